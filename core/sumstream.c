/* sumstream.c - checksum verification and repair over a stream of frames
 * (RFC 1071 via core/pktsum); fragmented datagrams are rebuilt by core/reasm
 * (RFC 8200 §4.5, RFC 791) so the transport checksum is verified on the whole
 * datagram, and fixed in the fragment that carries the checksum field.
 *
 * In-order output with --fix: while a datagram is incomplete its fragments
 * and every frame after them wait in a ring (`held`), because the fragment
 * holding the checksum may need patching when a later fragment completes the
 * datagram.  Frames leave the ring from its head as soon as nothing before
 * them waits.  The ring is bounded (HOLD_MAX_BYTES); past that the oldest
 * frame goes out as it is and a later fix to it is reported as not done. */
#include "sumstream.h"

#include <stdlib.h>
#include <string.h>

#include "reasm.h"
#include "util.h"

#define HOLD_MAX_BYTES	(64u << 20)
#define EXPIRE_SLACK_US	1000000u	/* a held frame older than the reassembly timeout + this goes out */

/* Identity of a datagram (RFC 8200 §4.5: source, destination, identification;
 * RFC 791 adds the protocol).  Used to release duplicates of a datagram
 * that the reassembler did not keep. */
struct dgram_key {
	uint8_t version, proto;
	uint32_t id;
	uint8_t src[16], dst[16];
};

struct held {
	uint8_t *buf;
	uint32_t cap;
	uint32_t caplen, wirelen;
	int64_t ts_sec;
	uint32_t ts_nsec;
	bool own_dlt;
	int dlt;
	uint64_t ts_us;
	bool pending;		/* a fragment whose datagram is not settled yet */
	bool is_frag;
	struct dgram_key key;
	struct pkt_ip frag_ip;	/* the fragmented layer: where its data lies, for patching */
};

struct sumstream {
	int dlt;
	unsigned flags;
	struct sumstream_ops ops;
	struct pkt p;			/* reused for every frame: no per-frame allocation */
	struct pkt dg;			/* parse of a reassembled datagram */
	uint8_t *scratch;		/* copy of a frame being fixed on the direct path */
	size_t scratch_cap;
	struct reasm *reasm;
	bool frags_seen;
	uint64_t timeout_us;
	uint64_t now_us;
	/* the hold ring, indexed by packet number - head_pkt */
	struct held *ring;
	size_t ring_cap, head, count;
	uint64_t head_pkt;
	size_t held_bytes;
	size_t n_pending;
};

struct sumstream *sumstream_new(int dlt, unsigned flags, const struct sumstream_ops *ops)
{
	struct sumstream *s = xcalloc(1, sizeof(*s));
	struct reasm_limits lim = { 0 };

	s->dlt = dlt;
	s->flags = flags;
	s->ops = *ops;
	s->timeout_us = 60000000u;	/* RFC 8200 §4.5; the reasm default */
	lim.timeout_us = s->timeout_us;
	if (!(flags & SUMSTREAM_NO_REASM))
		s->reasm = reasm_new(&lim);
	return s;
}

void sumstream_set_reasm_limits(struct sumstream *s, const struct reasm_limits *lim)
{
	struct reasm_limits l = *lim;

	if (!s->reasm)
		return;
	if (!l.timeout_us)
		l.timeout_us = 60000000u;
	s->timeout_us = l.timeout_us;
	reasm_free(s->reasm);
	s->reasm = reasm_new(&l);
}

static void flush(struct sumstream *s, bool all);

void sumstream_free(struct sumstream *s)
{
	if (!s)
		return;
	reasm_free(s->reasm);
	for (size_t i = 0; i < s->ring_cap; i++)
		free(s->ring[i].buf);
	free(s->ring);
	free(s->scratch);
	free(s);
}

static uint8_t *scratch(struct sumstream *s, size_t n)
{
	if (n > s->scratch_cap) {
		s->scratch_cap = n < 65536 ? 65536 : n;
		free(s->scratch);
		s->scratch = xmalloc(s->scratch_cap);
	}
	return s->scratch;
}

/* ---- the hold ring ---- */

static struct held *held_at(struct sumstream *s, uint64_t pkt)
{
	if (pkt < s->head_pkt || pkt - s->head_pkt >= s->count)
		return NULL;
	return &s->ring[(s->head + (size_t)(pkt - s->head_pkt)) & (s->ring_cap - 1)];
}

static struct held *held_push(struct sumstream *s, uint64_t pkt, const struct sumstream_frame *f)
{
	struct held *h;

	if (s->count == s->ring_cap) {
		size_t ncap = s->ring_cap ? s->ring_cap * 2 : 64;
		struct held *n = xcalloc(ncap, sizeof(*n));

		/* unwrap into the new ring; slots keep their buffers for reuse */
		for (size_t i = 0; i < s->ring_cap; i++)
			n[i] = s->ring[(s->head + i) & (s->ring_cap - 1)];
		free(s->ring);
		s->ring = n;
		s->ring_cap = ncap;
		s->head = 0;
	}
	if (!s->count)
		s->head_pkt = pkt;
	h = &s->ring[(s->head + s->count) & (s->ring_cap - 1)];
	s->count++;
	if (h->cap < f->caplen || !h->buf) {
		free(h->buf);
		h->cap = f->caplen > 2048 ? f->caplen : 2048;
		h->buf = xmalloc(h->cap);
	}
	memcpy(h->buf, f->data, f->caplen);
	h->caplen = f->caplen;
	h->wirelen = f->wirelen;
	h->ts_sec = f->ts_sec;
	h->ts_nsec = f->ts_nsec;
	h->own_dlt = f->own_dlt;
	h->dlt = f->dlt;
	h->ts_us = s->now_us;
	h->pending = false;
	h->is_frag = false;
	s->held_bytes += f->caplen;
	return h;
}

static void emit_frame(struct sumstream *s, const struct held *h)
{
	struct sumstream_frame o = {
		.data = h->buf, .caplen = h->caplen, .wirelen = h->wirelen,
		.ts_sec = h->ts_sec, .ts_nsec = h->ts_nsec, .own_dlt = h->own_dlt, .dlt = h->dlt,
	};

	if (s->ops.out)
		s->ops.out(s->ops.ctx, &o);
}

/* Emit frames from the head that wait for nothing (`all`: everything). */
static void flush(struct sumstream *s, bool all)
{
	while (s->count) {
		struct held *h = &s->ring[s->head];

		if (h->pending && !all && s->held_bytes <= HOLD_MAX_BYTES &&
		    s->now_us <= h->ts_us + s->timeout_us + EXPIRE_SLACK_US)
			break;
		if (h->pending) {
			h->pending = false;
			s->n_pending--;
		}
		emit_frame(s, h);
		s->held_bytes -= h->caplen;
		s->head = (s->head + 1) & (s->ring_cap - 1);
		s->count--;
		s->head_pkt++;
	}
}

static void resolve(struct sumstream *s, uint64_t pkt)
{
	struct held *h = held_at(s, pkt);

	if (h && h->pending) {
		h->pending = false;
		s->n_pending--;
	}
}

/* Release every held fragment of a datagram (the reassembler drops
 * identical duplicates without a tag; they belong to it all the same). */
static void resolve_key(struct sumstream *s, const struct dgram_key *k)
{
	if (!s->n_pending)
		return;
	for (size_t i = 0; i < s->count && s->n_pending; i++) {
		struct held *h = &s->ring[(s->head + i) & (s->ring_cap - 1)];

		if (h->pending && !memcmp(&h->key, k, sizeof(*k))) {
			h->pending = false;
			s->n_pending--;
		}
	}
}

static void resolve_tags(struct sumstream *s, const struct reasm_result *res)
{
	const struct held *first = NULL;

	for (size_t i = 0; i < res->n_tags; i++) {
		const struct held *h = held_at(s, res->tags[i]);
		if (h && h->is_frag && !first)
			first = h;
		resolve(s, res->tags[i]);
	}
	if (first) {
		struct dgram_key k = first->key;
		resolve_key(s, &k);
	}
}

static void key_of(const struct pkt_ip *ip, struct dgram_key *k)
{
	memset(k, 0, sizeof(*k));
	k->version = ip->version;
	k->proto = ip->version == 4 ? ip->proto : 0;
	k->id = ip->frag_id;
	memcpy(k->src, ip->src, ip->version == 4 ? 4 : 16);
	memcpy(k->dst, ip->dst, ip->version == 4 ? 4 : 16);
}

/* ---- verification ---- */

static void report(struct sumstream *s, uint64_t pkt, const struct pktsum_result *r,
		   bool reassembled, const bool *fixed)
{
	if (!s->ops.check)
		return;
	for (unsigned i = 0; i < r->n; i++)
		s->ops.check(s->ops.ctx, pkt, &r->c[i], reassembled,
			     fixed && r->c[i].status == PKTSUM_BAD && fixed[i]);
}

static void skip(struct sumstream *s, uint64_t pkt, const char *reason)
{
	if (s->ops.skip)
		s->ops.skip(s->ops.ctx, pkt, reason);
}

static const char *reasm_skip_name(enum reasm_reason why)
{
	return why == REASM_TIMEOUT ? "incomplete_datagram" : reasm_reason_name(why);
}

/* Patch a checksum of a reassembled datagram into the held fragment that
 * carries its field.  `unfrag` is the datagram's unfragmentable length. */
static bool fix_in_fragment(struct sumstream *s, const struct reasm_result *res, uint32_t unfrag,
			    const struct pktsum_check *c)
{
	uint32_t data_off;

	if (c->field_off < unfrag)
		return false;
	data_off = c->field_off - unfrag;
	for (size_t i = 0; i < res->n_tags; i++) {
		struct held *h = held_at(s, res->tags[i]);
		uint32_t off;
		struct wcur w;

		if (!h || !h->is_frag || !pktsum_frag_locate(&h->frag_ip, data_off, 2, &off))
			continue;
		wcur_init(&w, h->buf, h->caplen);
		return wcur_set_be16(&w, off, c->computed);
	}
	return false;
}

static void verify_datagram(struct sumstream *s, const struct reasm_result *res)
{
	struct pktsum_result r;
	bool fixed[PKT_MAX_IP + 1] = { false };
	uint64_t first = res->n_tags ? res->tags[0] : 0;
	const struct held *h0 = held_at(s, first);
	uint32_t unfrag;

	pkt_parse(&s->dg, V6_DLT_RAW, res->data, (uint32_t)res->len, (uint32_t)res->len);
	pktsum_verify(&s->dg, PKTSUM_SKIP_OUTER_IP4, &r);
	if (s->dg.n_ip)
		unfrag = pktsum_unfrag_len(h0 && h0->is_frag ? &h0->frag_ip : &s->dg.ip[0]);
	else
		unfrag = 0;
	if ((s->flags & SUMSTREAM_FIX) && r.n_bad)
		for (unsigned i = 0; i < r.n; i++)
			if (r.c[i].status == PKTSUM_BAD)
				fixed[i] = fix_in_fragment(s, res, unfrag, &r.c[i]);
	report(s, first, &r, true, fixed);
	if (r.skip != PKTSUM_SKIP_NONE)
		skip(s, first, pktsum_skip_name(r.skip));
}

static void on_expired(void *ctx, const struct reasm_result *res)
{
	struct sumstream *s = ctx;

	if (res->n_tags)
		skip(s, res->tags[0], reasm_skip_name(res->reason));
	resolve_tags(s, res);
}

static void reassemble(struct sumstream *s, uint64_t pkt, int frag_ip, struct held *h)
{
	struct reasm_result res;
	enum reasm_status st = reasm_add(s->reasm, &s->p, (unsigned)frag_ip, s->now_us, pkt, &res);

	switch (st) {
	case REASM_HELD:
		return;
	case REASM_DONE:
		verify_datagram(s, &res);
		resolve_tags(s, &res);
		break;
	case REASM_DISCARD:
		skip(s, res.n_tags ? res.tags[0] : pkt, reasm_skip_name(res.reason));
		resolve_tags(s, &res);
		break;
	case REASM_NOT_FRAGMENT:
		break;
	}
	if (h && h->pending) {
		h->pending = false;
		s->n_pending--;
	}
}

void sumstream_add(struct sumstream *s, uint64_t pkt, const struct sumstream_frame *f)
{
	struct pktsum_result r;
	struct sumstream_frame o = *f;
	bool fixed[PKT_MAX_IP + 1] = { false };
	bool fix = s->flags & SUMSTREAM_FIX;
	bool frag;
	struct held *h = NULL;
	uint8_t *b = NULL;

	s->now_us = (uint64_t)f->ts_sec * 1000000u + f->ts_nsec / 1000u;
	pkt_parse(&s->p, f->own_dlt ? f->dlt : s->dlt, f->data, f->caplen, f->wirelen);
	pktsum_verify(&s->p, 0, &r);
	frag = r.frag_ip >= 0 && s->reasm;

	if (fix && (s->count || frag)) {
		h = held_push(s, pkt, f);
		b = h->buf;
		if (frag) {
			const struct pkt_ip *ip = &s->p.ip[r.frag_ip];

			h->is_frag = true;
			h->pending = true;
			s->n_pending++;
			key_of(ip, &h->key);
			h->frag_ip = *ip;
		}
	} else if (fix && r.n_bad) {
		b = scratch(s, f->caplen);
		memcpy(b, f->data, f->caplen);
		o.data = b;
	}
	if (fix && r.n_bad) {
		struct wcur w;

		wcur_init(&w, b, f->caplen);
		for (unsigned i = 0; i < r.n; i++)
			if (r.c[i].status == PKTSUM_BAD)
				fixed[i] = pktsum_fix(&w, &r.c[i]);
	}
	report(s, pkt, &r, false, fixed);

	if (frag) {
		s->frags_seen = true;
		reassemble(s, pkt, r.frag_ip, h);
	} else if (r.skip != PKTSUM_SKIP_NONE) {
		skip(s, pkt, pktsum_skip_name(r.skip));
	}
	if (s->frags_seen)
		reasm_expire(s->reasm, s->now_us, false, on_expired, s);

	if (!fix)
		return;
	if (h)
		flush(s, false);
	else if (s->ops.out)
		s->ops.out(s->ops.ctx, &o);
}

void sumstream_finish(struct sumstream *s)
{
	if (s->reasm)
		reasm_expire(s->reasm, s->now_us, true, on_expired, s);
	flush(s, true);
}
