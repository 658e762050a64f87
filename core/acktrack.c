/* acktrack.c - fragmented octets sent vs. acknowledged, per binding
 * (RFC 9293 §3.4, RFC 2018, RFC 2883). */
#include "acktrack.h"

#include <string.h>

#include "build.h"

static const char *const verdict_names[ACKT_V_N] = { "none", "delivered", "partial", "lost" };

const char *ackt_verdict_name(enum ackt_verdict v)
{
	return (unsigned)v < ACKT_V_N ? verdict_names[v] : "?";
}

static bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static bool seq_le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static uint32_t seq_max(uint32_t a, uint32_t b) { return seq_lt(a, b) ? b : a; }
static uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

void ackt_init(struct acktrack *a)
{
	memset(a, 0, sizeof(*a));
}

static void start(struct acktrack *a, uint32_t seq)
{
	a->started = true;
	a->una = a->max = a->frag_hi = seq;
}

/* Within 2^30 of the acknowledged point, either way? */
static bool in_reach(const struct acktrack *a, uint32_t seq, uint32_t end)
{
	/* Strictly inside: two values within reach then differ by less than
	 * 2^31, so every comparison modulo 2^32 stays unambiguous (a piece
	 * at una - 2^30 beside max = una + 2^30 made max go backwards). */
	return seq_gt(seq, a->una - ACKT_WINDOW) && seq_lt(end, a->una + ACKT_WINDOW) &&
	       seq_le(seq, end);
}

void ackt_backend(struct acktrack *a, uint32_t seq, uint32_t len, uint8_t tcp_flags)
{
	uint32_t end;

	if (len > ACKT_WINDOW)
		len = ACKT_WINDOW;
	if (!a->started)
		start(a, tcp_flags & TCPF_SYN ? seq + 1 : seq);
	if (tcp_flags & TCPF_SYN)
		seq++;		/* the SYN's own sequence number is not data */
	end = seq + len + (tcp_flags & TCPF_FIN ? 1 : 0);
	if (!in_reach(a, seq, end)) {
		a->segs_out_of_window++;
		return;
	}
	if (end != seq && seq_lt(seq, a->max))
		a->retransmitted++;
	a->max = seq_max(a->max, end);
}

/* Merge neighbours until at most ACKT_RANGES remain: the smallest gap first. */
static void fit(struct ackt_range *r, unsigned *n)
{
	while (*n > ACKT_RANGES) {
		unsigned best = 0;
		uint32_t gap = UINT32_MAX;

		for (unsigned i = 0; i + 1 < *n; i++) {
			uint32_t g = r[i + 1].lo - r[i].hi;

			if (g < gap) {
				gap = g;
				best = i;
			}
		}
		r[best].hi = r[best + 1].hi;
		r[best].bytes += r[best + 1].bytes;
		memmove(&r[best + 1], &r[best + 2], (*n - best - 2) * sizeof(*r));
		(*n)--;
	}
}

static void store(struct acktrack *a, struct ackt_range *r, unsigned n)
{
	if (n > ACKT_RANGES)
		a->merges += n - ACKT_RANGES;
	fit(r, &n);
	memcpy(a->r, r, n * sizeof(*r));
	a->n = (uint8_t)n;
}

void ackt_frag(struct acktrack *a, uint32_t seq, uint32_t len)
{
	struct ackt_range r[ACKT_RANGES + 1];
	uint32_t end, lo;
	unsigned n = a->n;

	if (len > ACKT_WINDOW)
		len = ACKT_WINDOW;
	if (!a->started)
		start(a, seq);
	end = seq + len;
	if (!in_reach(a, seq, end)) {
		a->segs_out_of_window++;
		return;
	}
	a->frag_segments++;
	a->max = seq_max(a->max, end);
	/* Only octets never fragmented before and not yet acknowledged are new. */
	lo = seq_max(seq_max(seq, a->frag_hi), a->una);
	if (!seq_lt(lo, end))
		return;
	a->frag_bytes += end - lo;
	a->frag_hi = end;
	/* The common cases in place: the next piece of a run, or a free slot. */
	if (n && a->r[n - 1].hi == lo) {
		a->r[n - 1].hi = end;
		a->r[n - 1].bytes += end - lo;
		return;
	}
	if (n < ACKT_RANGES) {
		a->r[n] = (struct ackt_range){ lo, end, end - lo };
		a->n++;
		return;
	}
	memcpy(r, a->r, n * sizeof(*r));
	if (n && r[n - 1].hi == lo) {
		r[n - 1].hi = end;
		r[n - 1].bytes += end - lo;
	} else {
		r[n++] = (struct ackt_range){ lo, end, end - lo };
	}
	store(a, r, n);
}

/* Take [l, h) out of every range it overlaps, crediting what it covered. */
static void cover(struct acktrack *a, uint32_t l, uint32_t h)
{
	struct ackt_range r[2 * ACKT_RANGES];
	unsigned n = 0;

	for (unsigned i = 0; i < a->n; i++) {
		struct ackt_range x = a->r[i];
		uint32_t ol = seq_max(x.lo, l), oh = seq_min(x.hi, h);
		uint32_t left, right, rem, credited, lb;

		if (!seq_lt(ol, oh)) {
			r[n++] = x;
			continue;
		}
		left = ol - x.lo;
		right = x.hi - oh;
		/* Credit only what cannot be outside the covered part. */
		credited = x.bytes > left + right ? x.bytes - (left + right) : 0;
		rem = x.bytes - credited;
		lb = rem < left ? rem : left;
		a->frag_bytes_acked += credited;
		if (left)
			r[n++] = (struct ackt_range){ x.lo, ol, lb };
		if (right)
			r[n++] = (struct ackt_range){ oh, x.hi, rem - lb };
	}
	store(a, r, n);
}

/* The cumulative ACK moved up to `ack`: ranges are sorted and all at or
 * above the old ACK, so only a prefix of them is touched (what cover()
 * would do for [una, ack), in place). */
static void ack_front(struct acktrack *a, uint32_t ack)
{
	unsigned drop = 0;

	while (drop < a->n && seq_le(a->r[drop].hi, ack))
		a->frag_bytes_acked += a->r[drop++].bytes;
	if (drop < a->n && seq_lt(a->r[drop].lo, ack)) {
		struct ackt_range *x = &a->r[drop];
		uint32_t right = x->hi - ack;
		uint32_t keep = x->bytes < right ? x->bytes : right;

		a->frag_bytes_acked += x->bytes - keep;
		x->lo = ack;
		x->bytes = keep;
	}
	if (drop) {
		memmove(a->r, a->r + drop, (a->n - drop) * sizeof(*a->r));
		a->n = (uint8_t)(a->n - drop);
	}
}

void ackt_ack(struct acktrack *a, uint32_t ack, const struct tcp_sack *s)
{
	if (!a->started)
		return;
	a->acks++;
	if (seq_gt(ack, a->max)) {
		a->acks_out_of_window++;
		return;
	}
	if (seq_lt(ack, a->una)) {
		a->acks_stale++;
	} else if (ack != a->una) {
		ack_front(a, ack);
		a->una = ack;
	}
	for (unsigned i = 0; s && i < s->n && i < TCPOPT_SACK_MAX; i++) {
		uint32_t l = s->left[i], h = s->right[i];

		a->sack_blocks++;
		if (seq_lt(l, a->una)) {
			a->sack_dsack++;	/* RFC 2883: reports a duplicate, acknowledges nothing new */
			continue;
		}
		if (!seq_lt(l, h) || seq_gt(h, a->max)) {
			a->sack_invalid++;
			continue;
		}
		cover(a, l, h);
	}
}

void ackt_backend_pkt(struct acktrack *a, const struct pkt *p)
{
	const struct pkt_ip *ip = pkt_inner(p);
	uint32_t hdr;

	if (!ip || p->l4 != 6)
		return;
	hdr = p->l4_off - ip->off + p->l4_hlen;
	ackt_backend(a, p->tcp_seq, ip->tot_len > hdr ? ip->tot_len - hdr : 0, p->tcp_flags);
}

void ackt_client_pkt(struct acktrack *a, const struct pkt *p)
{
	struct tcp_sack s;
	struct cur opts;

	if (p->l4 != 6 || !(p->tcp_flags & TCPF_ACK))
		return;
	if (tcpopt_window(p, &opts))
		tcpopt_sack(&opts, &s);
	else
		memset(&s, 0, sizeof(s));
	ackt_ack(a, p->tcp_ack, &s);
}

enum ackt_verdict ackt_verdict(const struct acktrack *a)
{
	if (a->frag_bytes == 0)
		return ACKT_NONE;
	if (a->frag_bytes_acked == a->frag_bytes)
		return ACKT_DELIVERED;
	return a->frag_bytes_acked ? ACKT_PARTIAL : ACKT_LOST;
}

uint64_t ackt_outstanding(const struct acktrack *a)
{
	return a->frag_bytes - a->frag_bytes_acked;
}
