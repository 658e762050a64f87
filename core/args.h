/* args.h - the one parser for option values: ranged numbers, durations,
 * IPv4/IPv6 addresses, prefixes, MACs, port lists, OLD=NEW rewrites.
 * parse_*() return false and fill `err` (for any caller); arg_*() are for
 * applet set-up and die with exit 2 and one message form:
 *   v6kit APPLET: invalid --OPT value 'TEXT': REASON
 * (`opt` is the long option name without dashes; one starting with '-' is
 * printed as given.)  parse_ports() clears the set first.
 */
#ifndef V6_ARGS_H
#define V6_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARG_ERRLEN 128

struct v6_addr {
	uint8_t family;		/* 4 or 6 */
	uint8_t a[16];		/* IPv4 in the first 4 octets */
};

struct v6_prefix {
	struct v6_addr addr;	/* host bits cleared */
	uint8_t len;		/* 0..32 or 0..128 */
};

struct v6_rewrite {		/* OLD=NEW: both addresses, or both prefixes of one length */
	struct v6_prefix old, new_;
};

bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err);
bool parse_double(const char *s, double min, double max, double *out, char *err);
bool parse_ip6(const char *s, uint8_t out[16], char *err);
bool parse_ip4(const char *s, uint8_t out[4], char *err);
bool parse_addr(const char *s, struct v6_addr *out, char *err);	/* either family */
/* "2001:db8::/32", "192.0.2.0/24"; a bare address is a full-length prefix. */
bool parse_prefix(const char *s, struct v6_prefix *out, char *err);
bool parse_mac(const char *s, uint8_t out[6], char *err);	/* aa:bb:cc:dd:ee:ff or aa-bb-... */
/* "80,443,8000-8010" into a 65536-bit set. */
bool parse_ports(const char *s, uint8_t set[8192], char *err);
static inline bool port_set_has(const uint8_t set[8192], uint16_t port)
{
	return set[port >> 3] >> (port & 7) & 1;
}
bool parse_rewrite(const char *s, struct v6_rewrite *out, char *err);
/* Hex octets ("0x" prefix optional; blanks, ':' and '-' ignored) into out[cap]. */
bool parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len, char *err);

/* Canonical text: RFC 5952 for IPv6; lower-case colon MAC. */
const char *fmt_ip6(const uint8_t a[16], char buf[46]);
const char *fmt_ip4(const uint8_t a[4], char buf[16]);
const char *fmt_addr(const struct v6_addr *a, char buf[46]);
const char *fmt_mac(const uint8_t m[6], char buf[18]);
bool prefix_match(const struct v6_prefix *p, const struct v6_addr *a);

/* --frag-id random|sequential|N, the same for every applet: policy is one
 * of core/frag.h's FRAG_ID_*, fixed the N (0..2^32-1) of FRAG_ID_FIXED. */
struct frag_id_arg {
	int policy;
	uint32_t fixed;
};
bool parse_frag_id(const char *s, struct frag_id_arg *out, char *err);
/* --tx link|raw: *raw true for "raw". */
bool parse_tx(const char *s, bool *raw, char *err);

uint64_t arg_uint(const char *opt, const char *s, uint64_t min, uint64_t max);
double arg_double(const char *opt, const char *s, double min, double max);
void arg_ip6(const char *opt, const char *s, uint8_t out[16]);
void arg_ip4(const char *opt, const char *s, uint8_t out[4]);
void arg_addr(const char *opt, const char *s, struct v6_addr *out);
void arg_prefix(const char *opt, const char *s, struct v6_prefix *out);
void arg_mac(const char *opt, const char *s, uint8_t out[6]);
void arg_ports(const char *opt, const char *s, uint8_t set[8192]);
void arg_rewrite(const char *opt, const char *s, struct v6_rewrite *out);
void arg_frag_id(const char *opt, const char *s, struct frag_id_arg *out);
void arg_tx(const char *opt, const char *s, bool *raw);

/* --eh SPEC (core/eh.h eh_parse), --eh-order rfc|given (true: given), and
 * the check after the last --eh (eh_finish: order, duplicates); exit 2
 * with the reason. */
struct eh_chain;
void arg_eh(const char *opt, const char *s, struct eh_chain *ch);
bool arg_eh_order(const char *opt, const char *s);
void arg_eh_finish(struct eh_chain *ch, bool given_order);

#endif
