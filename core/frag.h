/* frag.h - the IPv6 fragmenter: cuts one whole IPv6 packet into fragments
 * exactly as a plan says (RFC 8200 §4.5, RFC 6946 atomic fragments, RFC 7112
 * header chain in the first fragment, RFC 7739 unpredictable IDs).
 *
 * The application decides how a datagram is cut: maximum packet size, size of
 * the first fragment, "two fragments with a trailing one of N octets", a
 * minimum count, emission order and ID policy.  A plan that cannot be met is
 * refused with a reason; an invalid fragment set is never produced.
 */
#ifndef V6_FRAG_H
#define V6_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAG_MAX_FRAGS	1024	/* fragments per packet we agree to produce */
#define FRAG_HDR_LEN	8

enum frag_order {
	FRAG_ORDER_IN = 0,	/* offset order */
	FRAG_ORDER_REVERSE,	/* last fragment first */
	FRAG_ORDER_RANDOM,	/* a CSPRNG permutation */
};

enum frag_id_policy {
	FRAG_ID_RANDOM = 0,	/* fresh 32-bit value from getrandom (RFC 7739) */
	FRAG_ID_SEQUENTIAL,	/* plan->idgen: +1 per datagram from a random start */
	FRAG_ID_FIXED,		/* plan->fixed_id */
};

/* State of the sequential ID policy; zero-initialise, seeded on first use. */
struct frag_idgen {
	uint32_t next;
	bool seeded;
};

struct frag_plan {
	uint32_t max_size;	/* IPv6 packet octets per fragment, header included; 0 = 65535 framing */
	uint32_t first_size;	/* fragmentable octets in the first fragment (multiple of 8); 0 = as large as allowed */
	uint32_t trailing;	/* > 0: exactly two fragments, the second carrying this many octets */
	unsigned min_frags;	/* at least this many fragments (0 or 1: no minimum) */
	enum frag_order order;
	enum frag_id_policy id_policy;
	uint32_t fixed_id;
	struct frag_idgen *idgen;	/* required for FRAG_ID_SEQUENTIAL */
	bool atomic;		/* a packet that needs no cutting gets an atomic Fragment header (RFC 6946) */
	bool rfc7112;		/* refuse a first fragment without the whole header chain (RFC 7112);
				 * false = "allow a split chain" (--allow-split-chain) */
	/* Unfragmentable part (RFC 8200 §4.5).  0: the RFC walk alone: the IPv6
	 * header and every header up to and including the last Routing header,
	 * else a leading Hop-by-Hop header, else none.  > 0: the unfragmentable
	 * part reaches at least this many octets from the start of the IPv6
	 * header (further if the walk says so); it must end at an extension-header
	 * boundary before the upper layer.  A caller that inserted a `dstu`
	 * Destination Options header (eh_unfrag_len() in core/eh.h) says so here,
	 * so the header repeats in every fragment even with no Routing header. */
	uint32_t unfrag_min;
};

/* One output fragment, in emission order. */
struct frag_piece {
	uint32_t off;		/* where its bytes start in frag_out.buf */
	uint32_t len;		/* IPv6 packet octets */
	uint32_t frag_off;	/* fragment offset in octets */
	uint32_t data_len;	/* fragmentable octets it carries */
	bool more;		/* M flag */
};

struct frag_out {
	uint8_t *buf;		/* caller's buffer receiving the packets back to back */
	size_t cap;		/* its size; frag_out_need() tells how much is enough */
	/* Link header written in front of every packet (NULL/0: none): each
	 * fragment then lies in buf as a whole frame, ready to send. */
	const uint8_t *link;
	uint32_t link_len;
	unsigned n;		/* fragments produced (1 when no cutting was needed) */
	bool fragmented;	/* false: piece[0] is the input unchanged (no Fragment header) */
	uint32_t id;		/* Identification used (when fragmented) */
	uint32_t unfrag_len;	/* octets repeated in every fragment (IPv6 header + unfragmentable headers) */
	uint32_t chain_len;	/* octets of headers (extension + upper-layer) in the fragmentable part */
	size_t used;		/* octets of buf written */
	char err[320];		/* why frag_split() refused */
	struct frag_piece piece[FRAG_MAX_FRAGS];
};

/* A plan with no constraints: in order, random IDs, 65535 framing. */
void frag_plan_init(struct frag_plan *plan);

/* Buffer size that always suffices to cut this packet under any plan
 * (add FRAG_MAX_FRAGS * link_len, or (len / 8 + 1) * link_len, for a link header). */
size_t frag_out_need(const uint8_t *pkt, size_t len);

/* Next Identification value according to the plan's policy. */
uint32_t frag_next_id(const struct frag_plan *plan);

/* Cut the IPv6 packet pkt[0..len) (header, extension headers, upper layer;
 * len must equal 40 + Payload Length) according to `plan` into out->buf.
 * Returns 0, or -1 with out->err saying why the plan or the input was refused
 * (nothing in out is then meaningful besides err). */
int frag_split(const uint8_t *pkt, size_t len, const struct frag_plan *plan, struct frag_out *out);

/* Fragment i (emission order) as a frame: the link header and the packet;
 * NULL when i is out of range. */
const uint8_t *frag_frame(const struct frag_out *out, unsigned i, size_t *len);

/* Names for option parsers and messages ("in", "reverse", "random"); -1 if unknown. */
int frag_order_parse(const char *s);
const char *frag_order_name(enum frag_order o);

#endif
