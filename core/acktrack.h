/* acktrack.h - per-binding delivery tracking for httpfrag: which octets the
 * front end sent to a client as IPv6 fragments, and which of them the
 * client acknowledged, cumulatively or with SACK blocks (RFC 9293 §3.4
 * sequence arithmetic modulo 2^32, §3.10.7.4 acceptable ACKs; RFC 2018 SACK;
 * RFC 2883 D-SACK).  The verdict is the measurement: a client whose stack
 * acknowledged every fragmented octet reassembled every fragmented segment.
 *
 * Constant memory, no allocation: struct acktrack is embedded per binding.
 * The fragmented octets not yet acknowledged are kept as at most
 * ACKT_RANGES sequence ranges, sorted and merged; when a new range (or a
 * SACK block splitting one) would need another slot, the two ranges with the
 * smallest gap between them are merged, each range remembering how many of
 * its octets really were fragmented (`bytes`).  Acknowledged octets are
 * credited exactly for whole ranges and conservatively (never more than
 * were fragmented) for a part of a merged range, so:
 *   frag_bytes_acked + sum(range bytes) == frag_bytes     always, and
 *   verdict `delivered`  <=> every fragmented octet was acknowledged (exact).
 *
 * Sequence space: the back end's.  Octets count once in frag_bytes however
 * often they are sent (re-sends are `retransmitted`).  A back-end segment
 * starting before the highest sequence already sent is a retransmission.
 * Client ACKs above the highest sequence sent are out of the window:
 * counted and ignored; ACKs below the highest ACK seen are stale (reordered
 * or old duplicates): counted, only their SACK blocks are read.  SACK blocks
 * must lie within (highest ACK, highest sent]; D-SACK blocks (below the
 * ACK) and invalid ones are counted and ignored.  Segments more than 2^30
 * away from the acknowledged point are ignored and counted, which keeps the
 * tracked window well inside the 2^31 that modular comparison needs.
 *
 * Who calls what (next to core/tcpfront, from httpfrag's one event loop):
 *   binding open:    ackt_init()
 *   back-end SYN-ACK and every back-end segment, before re-cutting:
 *                    ackt_backend_pkt() (or ackt_backend(seq, len, flags))
 *   each piece sent to the client as two fragments:
 *                    ackt_frag(seq, len)      (and, with --eh, pieces sent whole
 *                    carrying the chain; other whole pieces: nothing)
 *   every client segment with ACK set:
 *                    ackt_client_pkt() (or ackt_ack() with tcpopt_sack())
 *   binding close/evict line: frag_segments, frag_bytes, frag_bytes_acked,
 *                    retransmitted, verdict = ackt_verdict_name(ackt_verdict())
 */
#ifndef V6_ACKTRACK_H
#define V6_ACKTRACK_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"
#include "tcpopt.h"

#define ACKT_RANGES	8
#define ACKT_WINDOW	(1u << 30)

enum ackt_verdict { ACKT_NONE = 0, ACKT_DELIVERED, ACKT_PARTIAL, ACKT_LOST, ACKT_V_N };

struct ackt_range {
	uint32_t lo, hi;	/* [lo, hi) in sequence space */
	uint32_t bytes;		/* fragmented octets inside, not yet acknowledged */
};

struct acktrack {
	bool started;
	uint32_t una;		/* highest cumulative ACK (or where data began) */
	uint32_t max;		/* one past the highest sequence the back end sent */
	uint32_t frag_hi;	/* one past the highest fragmented octet */
	struct ackt_range r[ACKT_RANGES];
	uint8_t n;
	/* the binding line's counters */
	uint64_t frag_segments;		/* pieces sent as fragments (re-sends included) */
	uint64_t frag_bytes;		/* distinct octets sent in fragments */
	uint64_t frag_bytes_acked;	/* ... acknowledged by the client */
	uint64_t retransmitted;		/* back-end segments re-sending octets already sent */
	/* what was read and ignored */
	uint64_t acks, acks_stale, acks_out_of_window;
	uint64_t sack_blocks, sack_dsack, sack_invalid;
	uint64_t segs_out_of_window;
	uint64_t merges;		/* ranges merged to stay within ACKT_RANGES */
};

void ackt_init(struct acktrack *a);

/* A back-end segment (SYN, FIN and payload octets count in sequence space). */
void ackt_backend(struct acktrack *a, uint32_t seq, uint32_t len, uint8_t tcp_flags);
/* A piece of len payload octets at seq went to the client as fragments. */
void ackt_frag(struct acktrack *a, uint32_t seq, uint32_t len);
/* A client ACK (s may be NULL: no SACK option). */
void ackt_ack(struct acktrack *a, uint32_t ack, const struct tcp_sack *s);

/* The same from parsed packets (core/pkt): a back-end TCP segment; a client
 * segment (ignored without the ACK flag; SACK read from its options). */
void ackt_backend_pkt(struct acktrack *a, const struct pkt *p);
void ackt_client_pkt(struct acktrack *a, const struct pkt *p);

enum ackt_verdict ackt_verdict(const struct acktrack *a);
const char *ackt_verdict_name(enum ackt_verdict v);	/* "none", "delivered", "partial", "lost" */

/* Octets still tracked as unacknowledged (frag_bytes - frag_bytes_acked). */
uint64_t ackt_outstanding(const struct acktrack *a);

#endif
