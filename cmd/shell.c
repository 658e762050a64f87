/* shell.c - the v6kit shell: each line "APPLET ARGS..." runs in a child
 * process, with readline (completion, history) on a terminal and plain
 * line-by-line reading otherwise (scripts, pipes). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "applets.h"
#include "emit.h"
#include "shell.h"
#include "util.h"

#define PROMPT "v6kit> "
#define HISTORY_MAX 1000

static const char *const builtins[] = { "help", "exit", "quit", NULL };

static bool interactive;
static char *history_path;

/* ---- words ------------------------------------------------------------ */

struct words {
	char **v;
	size_t n, cap;
};

static void words_push(struct words *w, char *s)
{
	if (w->n + 2 > w->cap) {
		w->cap = w->cap ? w->cap * 2 : 8;
		w->v = xrealloc(w->v, w->cap * sizeof(*w->v));
	}
	w->v[w->n++] = s;
	w->v[w->n] = NULL;
}

static void words_free(struct words *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i]);
	free(w->v);
	*w = (struct words){ 0 };
}

/* Split a line the way sh would for simple commands: blanks separate words,
 * '...' is literal, "..." honours \" \\ \$ \`, a backslash outside quotes
 * takes the next character literally, and '#' starting a word begins a
 * comment.  No expansion of any kind.  Returns NULL on success or a message
 * (unterminated quote); `w` then holds the words parsed so far. */
static const char *split_words(const char *s, struct words *w)
{
	char *buf = xmalloc(strlen(s) + 1);
	const char *err = NULL;

	*w = (struct words){ 0 };
	for (;;) {
		size_t len = 0;
		bool have = false;

		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			s++;
		if (!*s || *s == '#')
			break;
		while (*s && !strchr(" \t\n\r", *s)) {
			have = true;
			if (*s == '\'') {
				const char *q = strchr(s + 1, '\'');
				if (!q) {
					err = "unterminated single quote";
					goto out;
				}
				memcpy(buf + len, s + 1, (size_t)(q - s - 1));
				len += (size_t)(q - s - 1);
				s = q + 1;
			} else if (*s == '"') {
				for (s++; *s != '"'; s++) {
					if (!*s) {
						err = "unterminated double quote";
						goto out;
					}
					if (*s == '\\' && s[1] && strchr("\"\\$`", s[1]))
						s++;
					buf[len++] = *s;
				}
				s++;
			} else if (*s == '\\') {
				if (s[1])
					s++;
				buf[len++] = *s++;
			} else {
				buf[len++] = *s++;
			}
		}
		if (have) {
			buf[len] = '\0';
			words_push(w, xstrdup(buf));
		}
	}
out:
	free(buf);
	return err;
}

/* ---- running commands ------------------------------------------------- */

static void shell_help(void)
{
	printf("Run 'APPLET [OPTION]... [ARG]...' in a child process; quote words as in sh.\n"
	       "\nBuiltins:\n"
	       "  help [APPLET]   this list, or APPLET's usage (APPLET --help)\n"
	       "  exit [N], quit  leave the shell (also Ctrl-D)\n"
	       "\nApplets:\n");
	if (!v6_applets[0].name)
		printf("  (none built yet)\n");
	for (const struct applet *a = v6_applets; a->name; a++)
		printf("  %-12s %s\n", a->name, a->summary);
	printf("\nTAB completes applet names, long options, interfaces after -i,\n"
	       "and file names elsewhere.\n");
	fflush(stdout);
}

/* Re-exec ourselves for the applet, so it starts from a clean process image
 * (fresh getopt and emitter state, default signal handlers); calling the
 * applet's main in the forked child is the fallback when /proc is absent. */
static V6_NORETURN void child_exec(const struct applet *a, char **argv)
{
	size_t argc = 0;

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGTSTP, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (!interactive) {
		/* The script is our stdin; an applet must not eat the next lines. */
		int fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, STDIN_FILENO);
			if (fd != STDIN_FILENO)
				close(fd);
		}
	}
	while (argv[argc])
		argc++;
	char **xargv = xcalloc(argc + 2, sizeof(*xargv));
	xargv[0] = "v6kit";
	for (size_t i = 0; i < argc; i++)
		xargv[i + 1] = argv[i];
	execv("/proc/self/exe", xargv);

	free(xargv);
	exit(applet_run(a, (int)argc, argv));
}

/* Run one applet; returns its exit status (128+N when killed by signal N,
 * as sh reports it) and reports anything but success on stderr. */
static int run_child(const struct applet *a, char **argv)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	struct termios tio;
	bool have_tio = interactive && tcgetattr(STDIN_FILENO, &tio) == 0;
	int status, rc;
	pid_t pid;

	fflush(NULL);
	/* Ctrl-C and Ctrl-\ go to the whole foreground group: they are for the
	 * applet, not for us. */
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid = fork();
	if (pid < 0) {
		warnmsg("fork: %s", strerror(errno));
		rc = EXIT_RESOURCE;
		goto out;
	}
	if (pid == 0)
		child_exec(a, argv);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			warnmsg("waitpid: %s", strerror(errno));
			rc = EXIT_RESOURCE;
			goto out;
		}
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		rc = 128 + sig;
		if (interactive && sig == SIGINT)
			putchar('\n');
		fflush(stdout);
		warnmsg("%s killed by signal %d (%s)%s", a->name, sig, strsignal(sig),
			WCOREDUMP(status) ? ", core dumped" : "");
	} else {
		rc = WEXITSTATUS(status);
		if (rc)
			warnmsg("%s exited with status %d", a->name, rc);
	}
out:
	/* A crashed applet may leave the terminal in raw or no-echo mode. */
	if (have_tio)
		tcsetattr(STDIN_FILENO, TCSADRAIN, &tio);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	return rc;
}

/* Execute one line.  Returns its status; *quit is set by exit/quit, with
 * the status to leave with. */
static int run_line(const char *line, bool *quit)
{
	struct words w;
	const char *err = split_words(line, &w);
	const struct applet *a;
	int rc = EXIT_OK;

	if (err) {
		warnmsg("%s", err);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!w.n)
		goto out;
	if (!strcmp(w.v[0], "exit") || !strcmp(w.v[0], "quit")) {
		*quit = true;
		if (w.n > 1) {
			char *end;
			long n = strtol(w.v[1], &end, 10);
			if (*end || end == w.v[1] || n < 0 || n > 255) {
				warnmsg("%s: status must be 0..255, not '%s'", w.v[0], w.v[1]);
				*quit = false;
				rc = EXIT_USAGE;
			} else {
				rc = (int)n;
			}
		}
		goto out;
	}
	if (!strcmp(w.v[0], "help") || !strcmp(w.v[0], "?")) {
		if (w.n == 1) {
			shell_help();
			goto out;
		}
		a = applet_find(w.v[1]);
		if (!a) {
			warnmsg("unknown applet '%s' (type 'help' for the list)", w.v[1]);
			rc = EXIT_USAGE;
			goto out;
		}
		char *hargv[] = { w.v[1], "--help", NULL };
		rc = run_child(a, hargv);
		goto out;
	}
	a = applet_find(w.v[0]);
	if (!a) {
		warnmsg("unknown applet '%s' (type 'help' for the list)", w.v[0]);
		rc = EXIT_USAGE;
		goto out;
	}
	rc = run_child(a, w.v);
out:
	words_free(&w);
	return rc;
}

/* ---- scripts: non-terminal input -------------------------------------- */

/* Exit status of a script: 0 when every command succeeded, else the status
 * of the last command that failed, so a failure early in a script is not
 * hidden by a later success. `exit N` leaves at once with N. */
static int run_script(FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	int status = EXIT_OK;
	bool quit = false;

	while (!quit && getline(&line, &cap, in) >= 0) {
		int rc = run_line(line, &quit);
		if (quit)
			status = rc;
		else if (rc)
			status = rc;
	}
	free(line);
	return status;
}

/* ---- completion ------------------------------------------------------- */

static char **cands;
static size_t ncands, cands_cap;

static void cands_reset(void)
{
	for (size_t i = 0; i < ncands; i++)
		free(cands[i]);
	ncands = 0;
}

static void cands_add(const char *s)
{
	if (ncands + 1 > cands_cap) {
		cands_cap = cands_cap ? cands_cap * 2 : 32;
		cands = xrealloc(cands, cands_cap * sizeof(*cands));
	}
	cands[ncands++] = xstrdup(s);
}

static void cands_applets(bool with_builtins)
{
	if (with_builtins)
		for (const char *const *b = builtins; *b; b++)
			cands_add(*b);
	for (const struct applet *a = v6_applets; a->name; a++)
		cands_add(a->name);
}

static void cands_options(const struct applet *a)
{
	char buf[128];

	for (const struct option *o = a->longopts; o && o->name; o++) {
		snprintf(buf, sizeof(buf), "--%s", o->name);
		cands_add(buf);
	}
}

static void cands_interfaces(void)
{
	struct if_nameindex *ifs = if_nameindex();

	if (!ifs)
		return;
	for (struct if_nameindex *i = ifs; i->if_index; i++)
		cands_add(i->if_name);
	if_freenameindex(ifs);
}

static void cands_words(const char *list)	/* space-separated */
{
	char buf[64];

	while (*list) {
		size_t n = strcspn(list, " ");

		if (n && n < sizeof(buf)) {
			memcpy(buf, list, n);
			buf[n] = 0;
			cands_add(buf);
		}
		list += n + (list[n] == ' ');
	}
}

static char *cand_gen(const char *text, int state)
{
	static size_t i, len;

	if (!state) {
		i = 0;
		len = strlen(text);
	}
	while (i < ncands) {
		const char *c = cands[i++];
		if (!strncmp(c, text, len))
			return xstrdup(c);
	}
	return NULL;
}

/* Decide from the words before the cursor what the word at [start,end)
 * is: a command, an option, an interface, or a file (readline's default). */
static char **complete(const char *text, int start, int end)
{
	char *prefix = xmalloc((size_t)start + 1);
	struct words w;
	const char *prev = NULL;
	const struct applet *a;
	const char *vals = NULL;
	char **matches = NULL;
	size_t nwords;
	bool after_eq;

	(void)end;
	memcpy(prefix, rl_line_buffer, (size_t)start);
	prefix[start] = '\0';
	/* '=' is a word break: "--interface=et" completes "et" after "--interface=". */
	after_eq = start > 0 && prefix[start - 1] == '=';
	if (after_eq)
		prefix[start - 1] = ' ';
	if (split_words(prefix, &w)) {
		/* Inside an open quote: leave it to readline's file completion. */
		words_free(&w);
		free(prefix);
		return NULL;
	}
	nwords = w.n;
	if (nwords)
		prev = w.v[nwords - 1];
	cands_reset();
	if (nwords == 0) {
		if (!after_eq)
			cands_applets(true);
	} else if (nwords >= 2 && (a = applet_find(w.v[0])) && (vals = applet_option_values(a, prev)) &&
		   strcmp(vals, ":interface")) {
		/* the option's values from the same table as bash and zsh; files
		 * and users are readline's own completion */
		if (vals[0] == ':') {
			words_free(&w);
			free(prefix);
			return NULL;
		}
		cands_words(vals);
	} else if (prev && (!strcmp(prev, "-i") || !strcmp(prev, "--interface") ||
			    (vals && !strcmp(vals, ":interface")))) {
		cands_interfaces();
	} else if (nwords == 1 && (!strcmp(w.v[0], "help") || !strcmp(w.v[0], "?"))) {
		cands_applets(false);
	} else if (text[0] == '-' && !after_eq && (a = applet_find(w.v[0]))) {
		cands_options(a);
	} else {
		words_free(&w);
		free(prefix);
		return NULL;
	}
	rl_attempted_completion_over = 1;
	matches = rl_completion_matches(text, cand_gen);
	words_free(&w);
	free(prefix);
	return matches;
}

/* ---- history ---------------------------------------------------------- */

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) < 0 && errno != EEXIST) {
			*p = '/';
			return -1;
		}
		*p = '/';
	}
	return mkdir(path, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static char *history_file(void)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	char *path;

	if (state && state[0] == '/') {
		char *dir;
		if (asprintf(&dir, "%s/v6kit", state) < 0)
			return NULL;
		if (mkdir_p(dir) == 0) {
			if (asprintf(&path, "%s/history", dir) < 0)
				path = NULL;
			free(dir);
			return path;
		}
		free(dir);
	}
	if (!home || !*home) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || !*home)
		return NULL;
	if (asprintf(&path, "%s/.v6kit_history", home) < 0)
		return NULL;
	return path;
}

static void history_open(void)
{
	int fd;

	history_path = history_file();
	stifle_history(HISTORY_MAX);
	if (!history_path)
		return;
	fd = open(history_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		warnmsg("history %s: %s", history_path, strerror(errno));
		free(history_path);
		history_path = NULL;
		return;
	}
	close(fd);
	read_history(history_path);
}

static void history_remember(char *line)
{
	HIST_ENTRY *last = history_length ? history_get(history_base + history_length - 1) : NULL;
	size_t len = strlen(line);

	while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		line[--len] = '\0';
	if (!len || (last && !strcmp(last->line, line)))
		return;
	add_history(line);
	/* Append now, so an abrupt end of the shell keeps what was typed. */
	if (history_path)
		append_history(1, history_path);
}

static void history_close(void)
{
	if (history_path)
		history_truncate_file(history_path, HISTORY_MAX);
	free(history_path);
	history_path = NULL;
}

/* ---- the interactive loop (readline callback interface) --------------- */

static volatile sig_atomic_t got_sigint, got_sigwinch;
static char *got_line;
static bool line_done;

static void on_signal(int sig)
{
	if (sig == SIGINT)
		got_sigint = 1;
	else
		got_sigwinch = 1;
}

static void on_line(char *line)
{
	got_line = line;
	line_done = true;
	/* Back to cooked mode while the applet runs. */
	rl_callback_handler_remove();
}

/* One line from readline; NULL on end of input.  Our own SIGINT handler
 * only sets a flag: Ctrl-C at the prompt discards the line, as in bash. */
static char *read_line(void)
{
	line_done = false;
	got_line = NULL;
	rl_callback_handler_install(PROMPT, on_line);
	while (!line_done) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		int n = poll(&pfd, 1, -1);

		if (got_sigwinch) {
			got_sigwinch = 0;
			rl_resize_terminal();
		}
		if (got_sigint) {
			got_sigint = 0;
			rl_free_line_state();
			rl_callback_sigcleanup();
			rl_crlf();
			rl_on_new_line();
			rl_replace_line("", 0);
			rl_redisplay();
			continue;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warnmsg("poll: %s", strerror(errno));
			rl_callback_handler_remove();
			return NULL;
		}
		rl_callback_read_char();
	}
	return got_line;
}

static int run_interactive(void)
{
	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_winch;
	int status = EXIT_OK;
	bool quit = false;
	char *line;

	rl_readline_name = "v6kit";
	rl_attempted_completion_function = complete;
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	history_open();
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGWINCH, &sa, &old_winch);

	while (!quit && (line = read_line())) {
		status = run_line(line, &quit);
		history_remember(line);
		free(line);
	}
	if (!quit) {
		/* Ctrl-D: end the prompt line the way a shell does. */
		putchar('\n');
		status = EXIT_OK;
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGWINCH, &old_winch, NULL);
	history_close();
	cands_reset();
	free(cands);
	cands = NULL;
	cands_cap = 0;
	rl_clear_history();
	return status;
}

static void shell_usage(FILE *f)
{
	fprintf(f,
		"Usage: v6kit\n"
		"       v6kit shell [SCRIPT]\n"
		"Interactive shell on a terminal (readline: TAB completion, history);\n"
		"otherwise reads 'APPLET ARGS...' lines from SCRIPT or stdin.\n"
		"Type 'help' in the shell for the list of commands.\n");
}

int shell_main(int argc, char **argv)
{
	int rc;

	v6_applet = "v6kit";
	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		shell_usage(stdout);
		return EXIT_OK;
	}
	if (argc == 2 && argv[1][0] == '-' && argv[1][1])
		die_usage("shell: unknown option '%s'", argv[1]);
	if (argc > 2)
		die_usage("shell: one SCRIPT at most");
	if (argc == 2 && strcmp(argv[1], "-")) {
		FILE *in = fopen(argv[1], "r");
		struct stat st;

		if (!in)
			die(EXIT_USAGE, "%s: %s", argv[1], strerror(errno));
		/* fopen() takes a directory; reading it then fails with EISDIR,
		 * which must not pass for an empty script. */
		if (fstat(fileno(in), &st) == 0 && S_ISDIR(st.st_mode))
			die(EXIT_USAGE, "%s: %s", argv[1], strerror(EISDIR));
		rc = run_script(in);
		if (ferror(in))
			die(EXIT_USAGE, "%s: read error", argv[1]);
		fclose(in);
		return rc;
	}
	interactive = isatty(STDIN_FILENO);
	if (!interactive)
		return run_script(stdin);
	return run_interactive();
}
