/* reasm.h - the reassembler: IPv6 (RFC 8200 §4.5, RFC 5722 overlaps, RFC 6946
 * atomic fragments, RFC 7112 header chain) and IPv4 (RFC 791, RFC 815 style
 * hole accounting) datagrams rebuilt from parsed fragments, bounded in memory,
 * timed out in packet time.  Interface agreed in REASM_API.md: only additions.
 *
 * Discard semantics:
 *  - REASM_OVERLAP, REASM_INCONSISTENT, REASM_LIMIT_BYTES and strict
 *    REASM_INCOMPLETE_CHAIN drop the whole datagram: out->tags lists the
 *    fragments held (offset order) followed by this one.  After an overlap or
 *    inconsistency the key is remembered for the timeout and later fragments
 *    of it are discarded with the same reason (RFC 5722).
 *  - REASM_BAD_LENGTH, REASM_TRUNCATED, REASM_LIMIT_DATAGRAMS and
 *    REASM_LIMIT_SOURCE drop only this fragment (RFC 8200: "that fragment
 *    must be discarded"); out->tags = { tag }.
 *  - stats.reason[] counts fragments dropped for each reason, except
 *    REASM_INCOMPLETE_CHAIN, which counts datagrams reported.
 *  - A datagram that reasm_add finds past its timeout (the caller had not
 *    expired it at that packet time yet) is set aside and reported, with
 *    its tags, by the next reasm_expire call whatever its now_us; the
 *    fragment that found it starts a new datagram.
 */
#ifndef V6_REASM_H
#define V6_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

struct reasm_limits {
	size_t max_datagrams;	/* datagrams in progress (default 4096) */
	size_t max_bytes;	/* bytes held in total (default 64 MiB) */
	size_t max_per_source;	/* datagrams in progress per source address (default 256) */
	uint64_t timeout_us;	/* reassembly timeout (default 60 s, RFC 8200 §4.5) */
};

struct reasm;

struct reasm *reasm_new(const struct reasm_limits *lim);	/* NULL = defaults; 0 fields = defaults */
void reasm_free(struct reasm *r);

enum reasm_status {
	REASM_NOT_FRAGMENT,	/* the IP layer is not a fragment (or is an atomic fragment): use as is */
	REASM_HELD,		/* stored, datagram incomplete */
	REASM_DONE,		/* this fragment completed a datagram: see out */
	REASM_DISCARD,		/* the datagram (and this fragment) was discarded: see out->reason */
};

enum reasm_reason {	/* every discard has a reason callers can count */
	REASM_OK = 0,
	REASM_OVERLAP,
	REASM_BAD_LENGTH,	/* non-last fragment length not a multiple of 8, or offset+len > 65535 */
	REASM_INCONSISTENT,	/* last fragment disagrees with another last fragment / data past the end */
	REASM_LIMIT_DATAGRAMS,
	REASM_LIMIT_BYTES,
	REASM_LIMIT_SOURCE,
	REASM_TIMEOUT,
	REASM_INCOMPLETE_CHAIN,	/* RFC 7112 (reported; the datagram is still reassembled unless strict) */
	REASM_TRUNCATED,	/* the captured fragment is shorter than its IP length: cannot be used */
	REASM_N_REASONS
};

const char *reasm_reason_name(enum reasm_reason r);	/* snake_case names, e.g. "overlap" */

struct reasm_result {
	enum reasm_reason reason;	/* for REASM_DISCARD / expiry */
	const uint8_t *data;		/* REASM_DONE: the whole IP datagram (IPv6: Fragment header removed,
					 * Next Header and Payload Length fixed; IPv4: MF/offset cleared,
					 * total length and header checksum fixed), valid until the next
					 * reasm_* call */
	size_t len;
	const uint64_t *tags;		/* caller tags (e.g. 1-based packet numbers) of the fragments used, */
	size_t n_tags;			/* in offset order; tags[0] is the fragment at offset 0 */
	uint32_t dup_tolerated;		/* identical duplicates seen for this datagram */
};

/* Feed one parsed frame; ip_index selects the IP layer of p (usually the innermost
 * fragmented one).  now_us is the packet time (capture timestamp offline). */
enum reasm_status reasm_add(struct reasm *r, const struct pkt *p, unsigned ip_index,
			    uint64_t now_us, uint64_t tag, struct reasm_result *out);

/* Expire datagrams older than the timeout (call with packet time); cb gets each
 * dropped incomplete datagram's tags and reason REASM_TIMEOUT. flush_all=true
 * at end of input expires everything left. Returns the number expired. */
size_t reasm_expire(struct reasm *r, uint64_t now_us, bool flush_all,
		    void (*cb)(void *ctx, const struct reasm_result *res), void *ctx);

struct reasm_stats {
	uint64_t fragments, datagrams_done, duplicates, reason[REASM_N_REASONS];
	size_t in_progress, bytes_held;
};
void reasm_get_stats(const struct reasm *r, struct reasm_stats *st);

/* Additions to the agreed interface. */

/* Strict RFC 7112 / RFC 8200 §4.5: discard a datagram whose first fragment
 * lacks the whole header chain instead of reporting it. */
void reasm_set_strict(struct reasm *r, bool strict);

/* Index of the fragmented IP layer of p to pass to reasm_add, or -1. */
int reasm_frag_layer(const struct pkt *p);

#endif
