/* eh.h - IPv6 extension-header experiments: the --eh SPEC parser and the one
 * builder that inserts Hop-by-Hop and Destination Options headers into a
 * packet (RFC 8200 §4.1 order, §4.2 options and padding, §4.3/§4.6 headers;
 * RFC 7872 / RFC 9098 measurements; RFC 4727 experimental option types;
 * RFC 4942 §2.1.9.5 padding limits).
 *
 * SPEC: hbh:N | dst:N | dstu:N, each optionally ",opt=T".  N is the header's
 * length in octets (8-2048, a multiple of 8); T (0-255) is one option put
 * first in the header, whose two high bits choose what a receiver that does
 * not know it does (00 skip, 01 discard, 10 discard + Parameter Problem,
 * 11 the same unless multicast).  `dstu` is a Destination Options header in
 * the unfragmentable part (before any Routing and Fragment header), `dst` the
 * final one (fragmentable part, just before the upper layer).
 *
 * Filling: up to 7 octets are padding (Pad1/PadN, exactly as RFC 8200 §4.2
 * encodes them).  Receivers drop more than 7 consecutive octets of padding
 * (RFC 4942 §2.1.9.5; Linux ip6_parse_tlv), so a larger header is filled
 * with experimental options of type 0x1e (RFC 4727, action 00 "skip") of up
 * to 255 data octets each, zero-filled, and a final pad of at most 7.  A
 * 2048-octet header so holds 8 such options: Linux's default
 * max_{hbh,dst}_opts_number.
 */
#ifndef V6_EH_H
#define V6_EH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EH_MAX		8	/* headers in one chain */
#define EH_MIN_LEN	8
#define EH_MAX_LEN	2048
#define EH_SPEC_MAX	256	/* octets of the "as given" text kept for JSON */
#define EH_ERRLEN	160
#define EH_FILL_OPT	0x1e	/* RFC 4727 experimental, action 00 (skip), not changing en route */

enum eh_kind {
	EH_HBH = 0,	/* Hop-by-Hop Options (protocol 0) */
	EH_DSTU,	/* Destination Options, unfragmentable part (protocol 60) */
	EH_DST,		/* Destination Options, fragmentable part (protocol 60) */
};

struct eh_hdr {
	enum eh_kind kind;
	uint16_t len;		/* octets, multiple of 8 */
	int opt;		/* option type 0-255, or -1 for padding only */
};

struct eh_chain {
	struct eh_hdr h[EH_MAX];	/* in wire order once eh_finish() ran */
	unsigned n;
	unsigned n_unfrag;		/* the first n_unfrag headers stay in every fragment */
	bool given_order;		/* --eh-order given */
	uint32_t total;			/* octets of all headers */
	uint32_t unfrag_total;		/* octets of the first n_unfrag */
	char spec[EH_SPEC_MAX];		/* the SPECs as given, space-separated ("" when none) */
};

void eh_chain_init(struct eh_chain *ch);

/* Add one --eh SPEC; false with err filled ("hbh:7: length 7 is not a
 * multiple of 8 (8-2048)") when it is not one. */
bool eh_parse(struct eh_chain *ch, const char *spec, char err[EH_ERRLEN]);

/* After the last eh_parse(): put the headers in RFC 8200 §4.1 order
 * (hbh, dstu, dst) unless given_order, and refuse what that order forbids
 * (two headers of one kind: RFC 8200 allows one Hop-by-Hop header, and one
 * Destination Options header before the Routing header and one before the
 * upper layer).  Fills n_unfrag and the totals. */
bool eh_finish(struct eh_chain *ch, bool given_order, char err[EH_ERRLEN]);

/* Protocol number of a header kind: 0 or 60. */
uint8_t eh_proto(enum eh_kind k);
const char *eh_kind_name(enum eh_kind k);

/* Write one header (Next Header `next`) at w; false if it did not fit. */
struct wcur;
bool eh_write_hdr(struct wcur *w, const struct eh_hdr *h, uint8_t next);

/* Why eh_insert() left a packet as it was. */
enum eh_skip {
	EH_INSERTED = 0,
	EH_SKIP_NOT_IPV6,	/* no IPv6 layer */
	EH_SKIP_UNPARSED,	/* the IPv6 header chain is truncated or invalid */
	EH_SKIP_HAS_HBH,	/* the chain has hbh and the packet already has one */
	EH_SKIP_FRAGMENT,	/* a fragment: a dst header would have to move the offsets */
	EH_SKIP_TOO_BIG,	/* the result would exceed 65535 octets of payload or the buffer */
	EH_SKIP_ENCAP,		/* an IPv4 header around the IPv6 one would overflow or is bad */
	EH_SKIP_N
};
const char *eh_skip_name(enum eh_skip s);

/* Insert the chain into the first IPv6 layer of frame in[0..len) of pcap
 * link type dlt, writing the result to out[0..cap): the link header and
 * everything before that IPv6 header are copied unchanged (an enclosing IPv4
 * header gets its Total Length and checksum updated: 6in4), the IPv6 Payload
 * Length and every Next Header on the way are updated, the transport header
 * and payload are copied unchanged (their checksums stay valid: neither the
 * pseudo-header nor the data change).
 * Where the headers go (RFC 8200 order): hbh right after the IPv6 header,
 * dstu after any Hop-by-Hop header, dst just before the upper layer (after
 * Routing, Fragment, AH; before ESP or No Next Header).  In a fragment only
 * hbh and dstu can go (before the Fragment header); a chain with dst leaves
 * a fragment as it was (EH_SKIP_FRAGMENT).  With given_order the whole chain
 * goes right after the IPv6 header, as given.
 * Returns EH_INSERTED with *outlen set, or the reason the frame was left
 * alone (out is then not written). */
enum eh_skip eh_insert(const struct eh_chain *ch, int dlt, const uint8_t *in, size_t len,
		       uint8_t *out, size_t cap, size_t *outlen);

/* For the IPv6 packet ip6[0..len) (IPv6 header first) into which
 * eh_insert() put `ch`: the octets, from the IPv6 header, that its
 * unfragmentable headers (hbh, dstu) end at, for frag_plan.unfrag_min
 * (core/frag.h); 0 when the chain has no dstu header (RFC 8200 §4.5 alone
 * is then right) or the packet does not have the headers where eh_insert()
 * puts them. */
uint32_t eh_unfrag_len(const struct eh_chain *ch, const uint8_t *ip6, size_t len);

#endif
