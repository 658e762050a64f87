/* shell.c - the v6kit shell: each line is "APPLET ARGS..." run in a child.
 * (Readline front end pending; this is the line-by-line mode.) */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "applets.h"
#include "util.h"

int shell_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	die(EXIT_USAGE, "the shell is not built yet; run 'v6kit APPLET ...'");
}
