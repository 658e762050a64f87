/* applets.c - the applet table (expanded from V6_APPLETS), lookup by name,
 * and applet_run(): the one way into an applet, for the dispatcher in
 * main.c and for the shell's children alike. */
#include <stdio.h>
#include <string.h>

#include "applets.h"
#include "emit.h"
#include "util.h"

#define X_ENTRY(id, name, summary) { name, summary, id##_main, id##_longopts },
const struct applet v6_applets[] = {
	V6_APPLETS(X_ENTRY)
	{ NULL, NULL, NULL, NULL }
};
#undef X_ENTRY

const struct applet *applet_find(const char *name)
{
	for (const struct applet *a = v6_applets; a->name; a++)
		if (!strcmp(a->name, name))
			return a;
	return NULL;
}

int applet_run(const struct applet *a, int argc, char **argv)
{
	static char self[64];
	bool json = false;

	/* getopt prints its own diagnostics under argv[0]: give them the
	 * "v6kit APPLET: " prefix every stderr line must carry (SPEC §2). */
	snprintf(self, sizeof(self), "v6kit %s", a->name);
	v6_applet = a->name;
	argv[0] = self;
	optind = 1;
	/* A usage error is found before the applet reaches its em_init(): with
	 * -j/--json anywhere before "--" it must still come out as a JSON
	 * error line.  -j may sit in a cluster behind the other SPEC flags
	 * (-h -q -v), none of which takes a value; an option value that
	 * happens to look like one is the one case this guesses wrong,
	 * harmlessly. */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json") ||
		    (argv[i][0] == '-' && argv[i][1] != '-' && argv[i][strspn(argv[i] + 1, "hqv") + 1] == 'j'))
			json = true;
	em_init(json, stdout);
	return a->main(argc, argv);
}
