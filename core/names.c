/* names.c - number-to-name tables: IANA protocol numbers, IPv6 extension
 * headers (RFC 8200, 7045), ICMPv6 types (RFC 4443, 4861), ND options
 * (RFC 4861, 6106/8106, 4191, 8781, 8910, 3971), ethertypes, pcap link types. */
#include "names.h"

#include <stdio.h>
#include <string.h>

const char *tok_name(const struct tok *t, int v)
{
	for (; t->s; t++)
		if (t->v == v)
			return t->s;
	return NULL;
}

const char *tok_str(const struct tok *t, int v, const char *dflt)
{
	static char buf[4][32];
	static unsigned slot;
	const char *s = tok_name(t, v);
	char *b;

	if (s)
		return s;
	b = buf[slot++ % 4];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	snprintf(b, sizeof(buf[0]), dflt ? dflt : "#%d", v);
#pragma GCC diagnostic pop
	return b;
}

int tok_value(const struct tok *t, const char *s)
{
	for (; t->s; t++)
		if (!strcmp(t->s, s))
			return t->v;
	return -1;
}

const struct tok tok_ipproto[] = {
	{ 0, "hopopts" }, { 1, "icmp" }, { 2, "igmp" }, { 4, "ipv4" }, { 6, "tcp" },
	{ 17, "udp" }, { 41, "ipv6" }, { 43, "routing" }, { 44, "fragment" },
	{ 47, "gre" }, { 50, "esp" }, { 51, "ah" }, { 58, "icmpv6" }, { 59, "none" },
	{ 60, "dstopts" }, { 103, "pim" }, { 112, "vrrp" }, { 132, "sctp" },
	{ 135, "mobility" }, { 136, "udplite" }, { 139, "hip" }, { 140, "shim6" },
	{ 253, "exp1" }, { 254, "exp2" }, { 0, NULL }
};

const struct tok tok_ext6[] = {
	{ 0, "hop-by-hop" }, { 43, "routing" }, { 44, "fragment" }, { 50, "esp" },
	{ 51, "ah" }, { 60, "destination" }, { 135, "mobility" }, { 139, "hip" },
	{ 140, "shim6" }, { 253, "experimental-253" }, { 254, "experimental-254" },
	{ 0, NULL }
};

const struct tok tok_icmp6_type[] = {
	{ 1, "destination-unreachable" }, { 2, "packet-too-big" }, { 3, "time-exceeded" },
	{ 4, "parameter-problem" }, { 128, "echo-request" }, { 129, "echo-reply" },
	{ 130, "mld-query" }, { 131, "mld-report" }, { 132, "mld-done" },
	{ 133, "router-solicitation" }, { 134, "router-advertisement" },
	{ 135, "neighbor-solicitation" }, { 136, "neighbor-advertisement" },
	{ 137, "redirect" }, { 138, "router-renumbering" }, { 143, "mldv2-report" },
	{ 0, NULL }
};

const struct tok tok_icmp4_type[] = {
	{ 0, "echo-reply" }, { 3, "destination-unreachable" }, { 4, "source-quench" },
	{ 5, "redirect" }, { 8, "echo-request" }, { 9, "router-advertisement" },
	{ 10, "router-solicitation" }, { 11, "time-exceeded" }, { 12, "parameter-problem" },
	{ 13, "timestamp" }, { 14, "timestamp-reply" }, { 0, NULL }
};

const struct tok tok_nd_opt[] = {
	{ 1, "source-lladdr" }, { 2, "target-lladdr" }, { 3, "prefix-information" },
	{ 4, "redirected-header" }, { 5, "mtu" }, { 7, "adv-interval" },
	{ 8, "home-agent-info" }, { 14, "nonce" }, { 24, "route-information" },
	{ 25, "rdnss" }, { 31, "dnssl" }, { 37, "captive-portal" }, { 38, "pref64" },
	{ 0, NULL }
};

const struct tok tok_ethertype[] = {
	{ 0x0800, "ipv4" }, { 0x0806, "arp" }, { 0x8100, "vlan" }, { 0x86dd, "ipv6" },
	{ 0x88a8, "qinq" }, { 0x88cc, "lldp" }, { 0x8847, "mpls" }, { 0x9100, "vlan-9100" },
	{ 0, NULL }
};

const struct tok tok_dlt[] = {
	{ 0, "null" }, { 1, "ethernet" }, { 12, "raw" }, { 101, "raw" }, { 108, "loop" },
	{ 113, "linux-sll" }, { 228, "ipv4" }, { 229, "ipv6" }, { 276, "linux-sll2" },
	{ 0, NULL }
};
