/* tcpseg.h - TCP re-segmentation for application-made fragments: cut one TCP
 * segment's payload into pieces of at most `mss` octets such that every piece
 * larger than `tail` can go out as exactly two IPv6 fragments whose trailing
 * fragment carries exactly `tail` octets (RFC 9293 §3.1, §3.7; RFC 8200 §4.5;
 * RFC 7323 timestamps copied to every piece).
 *
 * Why the lengths matter: a fragment's offset is counted in 8-octet units, so
 * the leading fragment's data -- TCP header plus the first part of the
 * payload -- must be a multiple of 8.  With a trailing fragment of exactly
 * `tail` octets that means thl + len - tail = 0 (mod 8) for every piece: the
 * planner picks piece lengths with that residue for the header length at hand
 * (20, 32, 40... octets), and puts what cannot be aligned into at most a
 * few small whole pieces of <= `tail` octets (usually none or one, < 8 octets).
 */
#ifndef V6_TCPSEG_H
#define V6_TCPSEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

struct tcpseg_piece {
	uint32_t off;		/* payload offset of this piece */
	uint32_t len;		/* payload octets */
	bool frag;		/* goes out as two fragments (len > tail, aligned) */
};

/* Upper bound of the pieces tcpseg_plan() produces for len octets. */
size_t tcpseg_max_pieces(uint32_t len, uint32_t tail);

/* Plan the pieces of a payload of len octets behind a TCP header of thl
 * octets (20..60, multiple of 4).  Needs 8 <= tail and tail + 8 <= mss.
 * Returns the number of pieces written to out (at least 1; a payload of 0
 * or <= tail is one whole piece), or 0 when the arguments are impossible or
 * max is too small. */
size_t tcpseg_plan(uint32_t len, uint32_t thl, uint32_t mss, uint32_t tail,
		   struct tcpseg_piece *out, size_t max);

/* Pieces of at most max octets, all whole (frag false), near-equal:
 * --no-fragment and split-chain cutting.  0 when max is too small. */
size_t tcpseg_plan_whole(uint32_t len, uint32_t max, struct tcpseg_piece *out, size_t maxn);

/* The MSS to announce to the back end so that its full-sized segments need no
 * re-cutting: the largest M <= mss with 20 + M - tail = 0 (mod 8).  A sender
 * that subtracts its TCP options from the MSS (RFC 9293 §3.7.1, as Linux and
 * BSD do) then sends payloads of M - optlen behind 20 + optlen header octets:
 * aligned whatever the options. */
uint32_t tcpseg_clamp_mss(uint32_t mss, uint32_t tail);

/* Addresses and IPv6 fields of the packets built. */
struct tcpseg_addr {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint8_t tclass, hop_limit;
	uint32_t flow;
};

/* The segment being cut, as read from the wire. */
struct tcpseg_seg {
	struct cur hdr;		/* the TCP header, options included (thl octets) */
	struct cur payload;	/* its payload */
	uint32_t seq;
	uint8_t flags;
	uint16_t urg;
};

/* Read a TCP segment (header and payload) from a cursor over exactly the
 * segment.  False when the header is truncated or its data offset invalid. */
bool tcpseg_read(struct cur *c, struct tcpseg_seg *s);

/* Append piece `pc` as a whole IPv6 packet (no link header) to w: the IPv6
 * header, the original TCP header with a's ports, the piece's sequence
 * number, flags (FIN and PSH only on the last piece, CWR only on the first;
 * URG and the urgent pointer only where the pointer falls), every option
 * copied, and a freshly computed checksum; then the piece's payload.
 * False when w has no room. */
bool tcpseg_build(struct wcur *w, const struct tcpseg_seg *s, const struct tcpseg_piece *pc,
		  bool first, bool last, const struct tcpseg_addr *a);

#endif
