/* optvals.c - what an option's value can be, for completions: a closed set
 * of words, or a kind of thing (":interface", ":file", ":user").  The one
 * table behind `v6kit --values APPLET`, which completions/v6kit.bash,
 * completions/_v6kit and the shell's TAB read, as they read option names
 * from `v6kit --options APPLET` (each applet's getopt_long table). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "applets.h"

/* Applet "*" applies to every applet that has the option.  Keep the words in
 * step with the parsers (tests/completions.bats runs each one). */
static const struct optval {
	const char *applet, *option, *values;
} optvals[] = {
	{ "*", "interface", ":interface" },
	{ "*", "read", ":file" },
	{ "*", "write", ":file" },
	{ "*", "user", ":user" },
	{ "*", "eh", "hbh:8 dst:8 dstu:8 dst:8,opt=30" },
	{ "*", "eh-order", "rfc given" },
	{ "6in4-relay", "table", ":file" },
	{ "checksum", "link", "raw ether" },
	{ "dnsfrag", "order", "in reverse random" },
	{ "dnsfrag", "frag-id", "random sequential" },
	{ "dnsfrag", "tx", "link raw" },
	{ "dnsfrag", "gateway-mac", "auto" },
	{ "dnsfrag", "log", ":file" },
	{ "httpfrag", "frag-id", "random sequential" },
	{ "httpfrag", "tx", "link raw" },
	{ "httpfrag", "backend-interface", ":interface" },
	{ "pcap-replay", "intf1", ":interface" },
	{ "pcap-replay", "tx-method", "auto xdp ring mmsg packet pcap" },
};

static const char *values_of(const char *applet, const char *option)
{
	const char *any = NULL;

	for (size_t i = 0; i < sizeof(optvals) / sizeof(optvals[0]); i++) {
		if (strcmp(optvals[i].option, option))
			continue;
		if (!strcmp(optvals[i].applet, applet))
			return optvals[i].values;
		if (!strcmp(optvals[i].applet, "*"))
			any = optvals[i].values;
	}
	return any;
}

const char *applet_option_values(const struct applet *a, const char *word)
{
	if (word[0] != '-')
		return NULL;
	if (word[1] == '-')
		return values_of(a->name, word + 2);
	if (!word[1] || word[2])
		return NULL;
	for (const struct option *o = a->longopts; o && o->name; o++)
		if (o->val == (unsigned char)word[1] && o->has_arg == required_argument)
			return values_of(a->name, o->name);
	return NULL;
}

void applet_print_values(const struct applet *a)
{
	if (!a) {	/* the raw table, for the tests that keep it honest */
		for (size_t i = 0; i < sizeof(optvals) / sizeof(optvals[0]); i++)
			printf("%s\t--%s\t%s\n", optvals[i].applet, optvals[i].option, optvals[i].values);
		return;
	}
	for (const struct option *o = a->longopts; o && o->name; o++) {
		const char *v;

		if (o->has_arg != required_argument || !(v = values_of(a->name, o->name)))
			continue;
		printf("--%s\t%s\n", o->name, v);
		if (o->val > 0 && o->val < 128 && isalnum(o->val)) {
			const struct option *e = a->longopts;

			while (e != o && e->val != o->val)	/* an alias: once */
				e++;
			if (e == o)
				printf("-%c\t%s\n", o->val, v);
		}
	}
}
