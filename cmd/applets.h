/* applets.h - the one applet list.  Expanded for prototypes, the dispatch
 * table, --list, and (via `v6kit --list`) the completions and the shell.
 * X(c_identifier, "name", "one-line summary")  -- keep sorted by name. */
#ifndef V6_APPLETS_H
#define V6_APPLETS_H

#define V6_APPLETS(X) \
	X(relay_6in4, "6in4-relay", "relay protocol-41 tunnelled IPv6 to hosts behind a NAT") \
	X(checksum, "checksum", "compute, verify and fix Internet checksums") \
	X(dnsfrag, "dnsfrag", "DNS front end that answers in IPv6 fragments it builds") \
	X(httpfrag, "httpfrag", "IPv6 NAT front end that sends TCP replies in fragments") \
	X(pcap_replay, "pcap-replay", "replay captures onto a link or into a file") \
	X(ra_sniff, "ra-sniff", "decode router advertisements, learn the gateway MAC") \
	/* applets are added here as they are built */

#include <getopt.h>

/* Each applet defines NAME_main and NAME_longopts (its getopt_long table, which
 * also feeds completions and the shell through `v6kit --options APPLET`). */
#define X_PROTO(id, name, summary) int id##_main(int argc, char **argv); \
	extern const struct option id##_longopts[];
V6_APPLETS(X_PROTO)
#undef X_PROTO

/* SPEC §2 options every applet takes, first in each NAME_longopts table. */
#define V6_STD_LONGOPTS \
	{ "help", no_argument, NULL, 'h' }, \
	{ "json", no_argument, NULL, 'j' }, \
	{ "quiet", no_argument, NULL, 'q' }, \
	{ "verbose", no_argument, NULL, 'v' }

struct applet {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
	const struct option *longopts;
};

extern const struct applet v6_applets[];	/* terminated by {NULL} */

/* Option values for completions (cmd/optvals.c): the closed set of words
 * ("link raw") or kind (":interface", ":file", ":user") that the option
 * `word` ("--tx", "-i") of applet `a` takes, or NULL.  applet_print_values() writes one line per
 * option, "--OPTION<TAB>VALUES" (and "-X<TAB>VALUES" for its short form):
 * `v6kit --values APPLET`; with a NULL applet, the raw table. */
const char *applet_option_values(const struct applet *a, const char *word);
void applet_print_values(const struct applet *a);
const struct applet *applet_find(const char *name);
/* Run applet `a` (argv[0] is replaced): sets the diagnostics prefix and the
 * emitter, as every entry point (dispatch, links, the shell) must. */
int applet_run(const struct applet *a, int argc, char **argv);

#endif
