/* names.h - number-to-name tables (tcpdump's struct tok): IP protocols, IPv6
 * extension headers, ICMPv6 types, ND options, ethertypes, link types. */
#ifndef V6_NAMES_H
#define V6_NAMES_H

struct tok {
	int v;
	const char *s;
};

/* Name of v in table t, or NULL. */
const char *tok_name(const struct tok *t, int v);
/* Name of v, or `dflt` formatted with v ("%d") into a static buffer. */
const char *tok_str(const struct tok *t, int v, const char *dflt);
/* Value for a name, or -1. */
int tok_value(const struct tok *t, const char *s);

extern const struct tok tok_ipproto[];
extern const struct tok tok_ext6[];
extern const struct tok tok_icmp6_type[];
extern const struct tok tok_icmp4_type[];
extern const struct tok tok_nd_opt[];
extern const struct tok tok_ethertype[];
extern const struct tok tok_dlt[];

#endif
