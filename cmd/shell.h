/* shell.h - the interactive shell (readline) and the line-by-line command
 * reader for non-terminal stdin: `v6kit`, `v6kit shell`. */
#ifndef V6_SHELL_H
#define V6_SHELL_H

int shell_main(int argc, char **argv);

#endif
