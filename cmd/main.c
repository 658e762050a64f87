/* main.c - multi-call dispatch: by the basename of argv[0], then by the first
 * argument (BusyBox style); --list, --version, --help, help APPLET.  The
 * applet table and applet_run() live in applets.c, the shell in shell.c:
 * main.c calls both, neither calls back. */
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "applets.h"
#include "emit.h"
#include "priv.h"
#include "shell.h"
#include "util.h"
#include "version.h"	/* generated from debian/changelog */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: v6kit APPLET [OPTION]... [ARG]...\n"
		"       APPLET [OPTION]...            (via a link named after the applet)\n"
		"       v6kit --list | --version | --help\n"
		"       v6kit --options APPLET        (APPLET's long options, for completions)\n"
		"       v6kit --values APPLET         (the values its options take, for completions)\n"
		"       v6kit help APPLET             (same as: v6kit APPLET --help)\n"
		"       v6kit [shell]                 interactive shell; reads commands\n"
		"                                     line by line when stdin is not a terminal\n"
		"       v6kit shell SCRIPT            run the 'APPLET ARGS...' lines of SCRIPT\n"
		"\n"
		"IPv6 measurement and packet tools over one packet core.\n"
		"\nApplets:\n");
	for (const struct applet *a = v6_applets; a->name; a++)
		fprintf(f, "  %-12s %s\n", a->name, a->summary);
	fprintf(f, "\nEvery applet takes --help; see also v6kit(1) and v6kit-APPLET(1).\n");
}

int main(int argc, char **argv)
{
	char self[256];
	const struct applet *a;
	const char *base;

	snprintf(self, sizeof(self), "%s", argc > 0 && argv[0] ? argv[0] : "v6kit");
	base = basename(self);
	em_init(false, stdout);
	priv_raise_permitted();	/* file capabilities "+p" (debian/postinst) */

	a = applet_find(base);
	if (a)
		return applet_run(a, argc, argv);

	if (argc < 2)
		return shell_main(argc, argv);

	if (!strcmp(argv[1], "--list")) {
		for (a = v6_applets; a->name; a++)
			printf("%s\t%s\n", a->name, a->summary);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--options")) {
		/* Long options of one applet, one per line ("--name" or "--name="
		 * when it takes a value): the data completions and the shell use. */
		if (argc < 3 || !(a = applet_find(argv[2])))
			die(EXIT_USAGE, "--options needs an applet name (see 'v6kit --list')");
		for (const struct option *o = a->longopts; o && o->name; o++)
			printf("--%s%s\n", o->name, o->has_arg == required_argument ? "=" : "");
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--values")) {
		/* "--OPTION<TAB>WORDS" per option with known values: a closed set
		 * ("link raw") or a kind (":interface", ":file", ":user"). */
		if (argc == 2) {
			applet_print_values(NULL);
			return EXIT_OK;
		}
		if (!(a = applet_find(argv[2])))
			die(EXIT_USAGE, "--values needs an applet name (see 'v6kit --list')");
		applet_print_values(a);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("v6kit %s\n", V6KIT_VERSION);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "shell"))
		return shell_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "help")) {
		if (argc < 3) {
			usage(stdout);
			return EXIT_OK;
		}
		a = applet_find(argv[2]);
		if (!a)
			die(EXIT_USAGE, "unknown applet '%s' (see 'v6kit --list')", argv[2]);
		char *hargv[] = { argv[2], "--help", NULL };
		return applet_run(a, 2, hargv);
	}
	a = applet_find(argv[1]);
	if (!a) {
		if (argv[1][0] == '-')
			die_usage("unknown option '%s'", argv[1]);
		die(EXIT_USAGE, "unknown applet '%s' (see 'v6kit --list')", argv[1]);
	}
	return applet_run(a, argc - 1, argv + 1);
}
