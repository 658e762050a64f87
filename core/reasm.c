/* reasm.c - fragment reassembly for IPv6 (RFC 8200 §4.5, RFC 5722, RFC 6946,
 * RFC 7112) and IPv4 (RFC 791).
 *
 * Datagrams in progress live in a hash table keyed by (version, source,
 * destination, ID[, protocol for IPv4]) and on an age list in packet time,
 * so lookup is O(1) and expiry walks only what has expired.  Each datagram
 * keeps its fragments sorted by offset; since any overlap discards the whole
 * datagram (RFC 5722), stored fragments never overlap, one binary search finds
 * a newcomer's neighbours, and the datagram is complete exactly when the
 * octets held equal the length announced by the last fragment.
 */
#include "reasm.h"

#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "cursor.h"
#include "util.h"

#define IP6_MAX_DGRAM	(40u + 65535u)

struct rfrag {
	uint32_t off, len;
	uint64_t tag;
	uint8_t *data;
};

struct srcent {
	struct srcent *next;
	uint8_t version;
	uint8_t addr[16];
	size_t count;
};

struct dgram {
	struct dgram *hnext;
	struct dgram *older, *newer;
	uint64_t hash;
	uint8_t version, proto;
	uint8_t src[16], dst[16];
	uint32_t id;
	bool dead;		/* discarded; later fragments dropped until the timeout */
	bool zombie;		/* timed out, found by reasm_add: reported by the next reasm_expire */
	enum reasm_reason dead_reason;
	bool have_last, chain_incomplete;
	uint32_t total;		/* fragmentable octets, once the last fragment is known */
	uint32_t covered;	/* octets held (fragments never overlap) */
	uint64_t t0;
	struct rfrag *fr;
	uint32_t nfr, capfr;
	uint8_t *hdr;		/* offset-0 fragment's headers before the fragmentable part */
	uint32_t hdr_len, nh_pos;
	uint8_t nh;		/* IPv6: Next Header from the offset-0 Fragment header */
	uint32_t dups;
	size_t bytes;
	struct srcent *se;
};

struct dlist {
	struct dgram *oldest, *newest;
	size_t n;
};

struct reasm {
	struct reasm_limits lim;
	bool strict;
	struct dgram **tab;
	struct srcent **stab;
	size_t mask;
	struct dlist live, dead, zombies;
	uint64_t seed;		/* keyed hash: crafted IDs cannot pile into one chain */
	size_t bytes;
	struct reasm_stats st;
	uint8_t *out;
	uint64_t *tags;
	size_t tags_cap;
};

static const char *const reason_names[REASM_N_REASONS] = {
	[REASM_OK] = "ok",
	[REASM_OVERLAP] = "overlap",
	[REASM_BAD_LENGTH] = "bad_length",
	[REASM_INCONSISTENT] = "inconsistent",
	[REASM_LIMIT_DATAGRAMS] = "limit_datagrams",
	[REASM_LIMIT_BYTES] = "limit_bytes",
	[REASM_LIMIT_SOURCE] = "limit_source",
	[REASM_TIMEOUT] = "timeout",
	[REASM_INCOMPLETE_CHAIN] = "incomplete_chain",
	[REASM_TRUNCATED] = "truncated",
};

const char *reasm_reason_name(enum reasm_reason r)
{
	return (unsigned)r < REASM_N_REASONS ? reason_names[r] : "unknown";
}

struct reasm *reasm_new(const struct reasm_limits *lim)
{
	struct reasm *r = xcalloc(1, sizeof(*r));
	size_t sz = 64;

	r->lim = (struct reasm_limits){ 4096, 64u << 20, 256, 60000000u };
	if (lim) {
		if (lim->max_datagrams)
			r->lim.max_datagrams = lim->max_datagrams;
		if (lim->max_bytes)
			r->lim.max_bytes = lim->max_bytes;
		if (lim->max_per_source)
			r->lim.max_per_source = lim->max_per_source;
		if (lim->timeout_us)
			r->lim.timeout_us = lim->timeout_us;
	}
	/* live and remembered-dead datagrams together stay under 2 x max */
	while (sz < 2 * r->lim.max_datagrams && sz < ((size_t)1 << 24))
		sz <<= 1;
	r->mask = sz - 1;
	v6_random(&r->seed, sizeof(r->seed));
	r->tab = xcalloc(sz, sizeof(*r->tab));
	r->stab = xcalloc(sz, sizeof(*r->stab));
	r->out = xmalloc(IP6_MAX_DGRAM + 8);
	r->tags_cap = 64;
	r->tags = xmalloc(r->tags_cap * sizeof(*r->tags));
	return r;
}

void reasm_set_strict(struct reasm *r, bool strict)
{
	r->strict = strict;
}

int reasm_frag_layer(const struct pkt *p)
{
	for (int i = (int)p->n_ip - 1; i >= 0; i--)
		if (p->ip[i].frag)
			return i;
	return -1;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t bytes_hash(uint64_t h, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = 0;
		memcpy(&v, b + i, n - i < 8 ? n - i : 8);
		h = mix(h, v);
	}
	return h;
}

static uint64_t key_hash(uint64_t seed, uint8_t version, const uint8_t *src, const uint8_t *dst, uint32_t id,
			 uint8_t proto)
{
	size_t alen = version == 6 ? 16 : 4;
	uint64_t h = mix(seed, (uint64_t)version << 40 | (uint64_t)proto << 32 | id);

	h = bytes_hash(h, src, alen);
	return bytes_hash(h, dst, alen);
}

static void list_push(struct dlist *l, struct dgram *d)
{
	d->newer = NULL;
	d->older = l->newest;
	if (l->newest)
		l->newest->newer = d;
	else
		l->oldest = d;
	l->newest = d;
	l->n++;
}

static void list_unlink(struct dlist *l, struct dgram *d)
{
	if (d->older)
		d->older->newer = d->newer;
	else
		l->oldest = d->newer;
	if (d->newer)
		d->newer->older = d->older;
	else
		l->newest = d->older;
	d->older = d->newer = NULL;
	l->n--;
}

static void hash_unlink(struct reasm *r, struct dgram *d)
{
	struct dgram **pp = &r->tab[d->hash & r->mask];

	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
}

static struct srcent *src_get(struct reasm *r, uint8_t version, const uint8_t *addr, bool create)
{
	size_t alen = version == 6 ? 16 : 4;
	struct srcent **pp = &r->stab[bytes_hash(r->seed ^ version, addr, alen) & r->mask];

	for (struct srcent *s = *pp; s; s = s->next)
		if (s->version == version && !memcmp(s->addr, addr, alen))
			return s;
	if (!create)
		return NULL;
	struct srcent *s = xcalloc(1, sizeof(*s));
	s->version = version;
	memcpy(s->addr, addr, alen);
	s->next = *pp;
	*pp = s;
	return s;
}

static void src_put(struct reasm *r, struct srcent *se)
{
	struct srcent **pp;

	if (!se || --se->count)
		return;
	pp = &r->stab[bytes_hash(r->seed ^ se->version, se->addr, se->version == 6 ? 16 : 4) & r->mask];
	while (*pp && *pp != se)
		pp = &(*pp)->next;
	if (*pp)
		*pp = se->next;
	free(se);
}

/* Release the fragments and headers a datagram holds. */
static void release_data(struct reasm *r, struct dgram *d)
{
	for (uint32_t i = 0; i < d->nfr; i++)
		free(d->fr[i].data);
	free(d->fr);
	free(d->hdr);
	d->fr = NULL;
	d->hdr = NULL;
	d->nfr = d->capfr = 0;
	r->bytes -= d->bytes;
	d->bytes = 0;
	src_put(r, d->se);
	d->se = NULL;
}

static void dgram_destroy(struct reasm *r, struct dgram *d)
{
	if (!d->zombie)
		hash_unlink(r, d);
	list_unlink(d->dead ? &r->dead : d->zombie ? &r->zombies : &r->live, d);
	release_data(r, d);
	free(d);
}

static void need_tags(struct reasm *r, size_t n)
{
	if (n > r->tags_cap) {
		while (r->tags_cap < n)
			r->tags_cap *= 2;
		r->tags = xrealloc(r->tags, r->tags_cap * sizeof(*r->tags));
	}
}

/* out->tags = fragments held, in offset order, then optionally `extra`. */
static void fill_tags(struct reasm *r, const struct dgram *d, bool with_extra, uint64_t extra,
		      struct reasm_result *out)
{
	size_t n = d->nfr;

	need_tags(r, n + 1);
	for (size_t i = 0; i < n; i++)
		r->tags[i] = d->fr[i].tag;
	if (with_extra)
		r->tags[n++] = extra;
	out->tags = r->tags;
	out->n_tags = n;
	out->dup_tolerated = d->dups;
}

/* Drop a datagram and, for RFC 5722 verdicts, remember its key. */
static enum reasm_status kill(struct reasm *r, struct dgram *d, enum reasm_reason why, uint64_t tag,
			      uint64_t now, bool remember, struct reasm_result *out)
{
	fill_tags(r, d, true, tag, out);
	out->reason = why;
	r->st.reason[why] += d->nfr + 1;
	if (!remember) {
		dgram_destroy(r, d);
		return REASM_DISCARD;
	}
	release_data(r, d);
	list_unlink(&r->live, d);
	d->dead = true;
	d->dead_reason = why;
	d->t0 = now;
	list_push(&r->dead, d);
	if (r->dead.n > r->lim.max_datagrams)
		dgram_destroy(r, r->dead.oldest);
	return REASM_DISCARD;
}

static enum reasm_status drop_one(struct reasm *r, enum reasm_reason why, uint64_t tag, struct reasm_result *out)
{
	need_tags(r, 1);
	r->tags[0] = tag;
	out->tags = r->tags;
	out->n_tags = 1;
	out->reason = why;
	r->st.reason[why]++;
	return REASM_DISCARD;
}

static bool expired(const struct reasm *r, const struct dgram *d, uint64_t now)
{
	return now >= d->t0 && now - d->t0 >= r->lim.timeout_us;
}

static void forget_dead(struct reasm *r, uint64_t now)
{
	while (r->dead.oldest && expired(r, r->dead.oldest, now))
		dgram_destroy(r, r->dead.oldest);
}

size_t reasm_expire(struct reasm *r, uint64_t now_us, bool flush_all,
		    void (*cb)(void *ctx, const struct reasm_result *res), void *ctx)
{
	size_t n = 0;

	for (;;) {
		struct dgram *d = r->zombies.oldest;

		if (!d && r->live.oldest && (flush_all || expired(r, r->live.oldest, now_us)))
			d = r->live.oldest;
		if (!d)
			break;
		struct reasm_result res = { .reason = REASM_TIMEOUT };

		fill_tags(r, d, false, 0, &res);
		r->st.reason[REASM_TIMEOUT] += d->nfr;
		if (cb)
			cb(ctx, &res);
		dgram_destroy(r, d);
		n++;
	}
	if (flush_all)
		while (r->dead.oldest)
			dgram_destroy(r, r->dead.oldest);
	else
		forget_dead(r, now_us);
	return n;
}

void reasm_get_stats(const struct reasm *r, struct reasm_stats *st)
{
	*st = r->st;
	st->in_progress = r->live.n;
	st->bytes_held = r->bytes;
}

void reasm_free(struct reasm *r)
{
	if (!r)
		return;
	while (r->live.oldest)
		dgram_destroy(r, r->live.oldest);
	while (r->dead.oldest)
		dgram_destroy(r, r->dead.oldest);
	while (r->zombies.oldest)
		dgram_destroy(r, r->zombies.oldest);
	free(r->tab);
	free(r->stab);
	free(r->out);
	free(r->tags);
	free(r);
}

/* RFC 7112: does this first fragment hold the whole chain through the
 * upper-layer header?  The parser stops at a fragmented layer, so p->l4
 * describes it. */
static bool first_chain_incomplete(const struct pkt *p, const struct pkt_ip *ip)
{
	if (ip->chain_incomplete)
		return true;
	switch (ip->proto) {
	case 6:
		return p->l4 != 6 || p->l4_hlen < 20 || p->l4_hlen > ip->ul_len;
	case 17:
	case 58:
		return p->l4 != ip->proto || ip->ul_len < 8;
	default:
		return false;
	}
}

static enum reasm_status complete(struct reasm *r, struct dgram *d, struct reasm_result *out)
{
	struct wcur w;
	size_t len = d->hdr_len + d->total;
	enum reasm_status st = REASM_DONE;

	wcur_init(&w, r->out, IP6_MAX_DGRAM + 8);
	wcur_bytes(&w, d->hdr, d->hdr_len);
	for (uint32_t i = 0; i < d->nfr; i++)
		wcur_bytes(&w, d->fr[i].data, d->fr[i].len);
	if (d->version == 6) {
		wcur_set_be16(&w, 4, (uint16_t)(len - 40));
		wcur_set_u8(&w, d->nh_pos, d->nh);
	} else {
		struct cur c;
		uint16_t ff = 0;

		cur_init(&c, r->out, d->hdr_len);
		cur_peek_be16(&c, 6, &ff);
		wcur_set_be16(&w, 2, (uint16_t)len);
		wcur_set_be16(&w, 6, ff & 0x4000);	/* keep DF, clear MF and offset */
		wcur_set_be16(&w, 10, 0);
		wcur_set_be16(&w, 10, csum_buf(r->out, d->hdr_len));
	}
	fill_tags(r, d, false, 0, out);
	out->data = r->out;
	out->len = len;
	if (d->chain_incomplete) {
		out->reason = REASM_INCOMPLETE_CHAIN;
		r->st.reason[REASM_INCOMPLETE_CHAIN]++;
		if (r->strict) {
			out->data = NULL;
			out->len = 0;
			st = REASM_DISCARD;
		}
	}
	if (st == REASM_DONE)
		r->st.datagrams_done++;
	dgram_destroy(r, d);
	return st;
}

/* One fragment as the reassembler sees it: its data, its place in the
 * datagram and, for the first, the header that starts the datagram. */
struct frag_in {
	uint32_t off, len, end;		/* data octets [off, end) of the datagram */
	uint32_t hdr_len;		/* IPv6 unfragmentable part / IPv4 header */
	uint8_t proto;			/* IPv4 protocol (part of the key); 0 for IPv6 */
	bool mf;
	const uint8_t *data;
	const uint8_t *hdr;		/* first fragment only */
};

/* Phase 1: the fragment's lengths checked and its octets located (through
 * the cursor).  REASM_N_REASONS when it is usable, else why not. */
static enum reasm_reason frag_read(const struct pkt *p, const struct pkt_ip *ip, struct frag_in *f)
{
	uint32_t data_off;
	struct cur frame, win;

	if (ip->version == 6) {
		data_off = ip->frag_hdr_off + 8;
		f->hdr_len = ip->unfrag_len;
		f->proto = 0;
	} else {
		data_off = ip->off + ip->hlen;
		f->hdr_len = ip->hlen;
		f->proto = ip->proto;
	}
	if (ip->avail < ip->tot_len || ip->off + ip->tot_len < data_off)
		return REASM_TRUNCATED;
	f->len = ip->off + ip->tot_len - data_off;
	f->off = ip->frag_off;
	f->mf = ip->mf;
	f->end = f->off + f->len;
	f->hdr = NULL;
	if (f->len == 0 || (f->mf && f->len % 8))
		return REASM_BAD_LENGTH;
	/* the reassembled Payload Length (IPv6) / Total Length (IPv4) must fit 16 bits */
	if ((ip->version == 6 ? f->hdr_len - 40 : f->hdr_len) + f->end > 65535)
		return REASM_BAD_LENGTH;

	cur_init(&frame, p->data, p->caplen);
	if (!cur_window(&frame, data_off, f->len, &win) || !(f->data = cur_take(&win, f->len)))
		return REASM_TRUNCATED;
	if (f->off == 0 && (!cur_window(&frame, ip->off, f->hdr_len, &win) ||
			    !(f->hdr = cur_take(&win, f->hdr_len))))
		return REASM_TRUNCATED;
	return REASM_N_REASONS;
}

/* Phase 2: the datagram this fragment belongs to, if one is in progress.
 * One whose time is over (the caller has not expired it at this packet
 * time yet) becomes a zombie whose tags go to the next reasm_expire. */
static struct dgram *dgram_find(struct reasm *r, const struct pkt_ip *ip, uint8_t proto, uint64_t h,
				uint64_t now_us)
{
	struct dgram *d;

	for (d = r->tab[h & r->mask]; d; d = d->hnext)
		if (d->hash == h && d->version == ip->version && d->id == ip->frag_id && d->proto == proto &&
		    !memcmp(d->src, ip->src, 16) && !memcmp(d->dst, ip->dst, 16))
			break;
	if (d && !d->dead && expired(r, d, now_us)) {
		hash_unlink(r, d);
		list_unlink(&r->live, d);
		d->zombie = true;
		list_push(&r->zombies, d);
		d = NULL;
	}
	return d;
}

/* Phase 3: a new datagram within the datagram and per-source limits;
 * NULL with *why set when a limit says no. */
static struct dgram *dgram_new(struct reasm *r, const struct pkt_ip *ip, uint8_t proto, uint64_t h,
			       uint64_t now_us, enum reasm_reason *why)
{
	struct srcent *se;
	struct dgram *d;

	if (r->live.n >= r->lim.max_datagrams) {
		*why = REASM_LIMIT_DATAGRAMS;
		return NULL;
	}
	se = src_get(r, ip->version, ip->src, true);
	if (se->count >= r->lim.max_per_source) {
		*why = REASM_LIMIT_SOURCE;
		return NULL;
	}
	se->count++;
	d = xcalloc(1, sizeof(*d));
	d->hash = h;
	d->version = ip->version;
	d->proto = proto;
	memcpy(d->src, ip->src, 16);
	memcpy(d->dst, ip->dst, 16);
	d->id = ip->frag_id;
	d->t0 = now_us;
	d->se = se;
	d->hnext = r->tab[h & r->mask];
	r->tab[h & r->mask] = d;
	list_push(&r->live, d);
	return d;
}

/* Index of the first stored fragment at or after `off`. */
static uint32_t frag_slot(const struct dgram *d, uint32_t off)
{
	uint32_t lo = 0, hi = d->nfr;

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (d->fr[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Phase 4: RFC 5722 and consistency checks against what is held.
 * REASM_N_REASONS when the fragment may be stored at `slot`. */
static enum reasm_reason frag_check(const struct dgram *d, const struct frag_in *f, uint32_t slot)
{
	if ((slot > 0 && d->fr[slot - 1].off + d->fr[slot - 1].len > f->off) ||
	    (slot < d->nfr && d->fr[slot].off < f->end))
		return REASM_OVERLAP;
	if (!f->mf) {
		if ((d->have_last && d->total != f->end) ||
		    (d->nfr && d->fr[d->nfr - 1].off + d->fr[d->nfr - 1].len > f->end))
			return REASM_INCONSISTENT;
	} else if (d->have_last && f->end > d->total) {
		return REASM_INCONSISTENT;
	}
	return REASM_N_REASONS;
}

/* Phase 5: keep a copy of the fragment (and, for the first, its header and
 * where its chain names the Fragment header). */
static void frag_store(struct reasm *r, struct dgram *d, const struct pkt *p, const struct pkt_ip *ip,
		       const struct frag_in *f, uint32_t slot, uint64_t tag, size_t need)
{
	if (!f->mf) {
		d->have_last = true;
		d->total = f->end;
	}
	if (d->nfr == d->capfr) {
		d->capfr = d->capfr ? d->capfr * 2 : 4;
		d->fr = xrealloc(d->fr, d->capfr * sizeof(*d->fr));
	}
	memmove(&d->fr[slot + 1], &d->fr[slot], (d->nfr - slot) * sizeof(*d->fr));
	d->fr[slot] = (struct rfrag){ .off = f->off, .len = f->len, .tag = tag, .data = xmalloc(f->len) };
	memcpy(d->fr[slot].data, f->data, f->len);
	d->nfr++;
	d->covered += f->len;
	d->bytes += need;
	r->bytes += need;

	if (f->off != 0)
		return;
	d->hdr = xmalloc(f->hdr_len);
	memcpy(d->hdr, f->hdr, f->hdr_len);
	d->hdr_len = f->hdr_len;
	if (ip->version == 6) {
		/* the header whose Next Header named the Fragment header */
		d->nh_pos = 6;
		for (unsigned i = 0; i < ip->n_ext; i++)
			if (ip->ext[i].off == ip->frag_hdr_off && i > 0)
				d->nh_pos = ip->ext[i - 1].off - ip->off;
		d->nh = ip->frag_nh;
		d->chain_incomplete = first_chain_incomplete(p, ip);
	}
}

enum reasm_status reasm_add(struct reasm *r, const struct pkt *p, unsigned ip_index,
			    uint64_t now_us, uint64_t tag, struct reasm_result *out)
{
	const struct pkt_ip *ip;
	enum reasm_reason why;
	struct frag_in f;
	struct dgram *d;
	uint32_t slot;
	uint64_t h;
	size_t need;

	memset(out, 0, sizeof(*out));
	if (ip_index >= p->n_ip)
		return REASM_NOT_FRAGMENT;
	ip = &p->ip[ip_index];
	if (!ip->frag || (ip->version == 6 && ip->frag_atomic))
		return REASM_NOT_FRAGMENT;
	r->st.fragments++;
	forget_dead(r, now_us);

	why = frag_read(p, ip, &f);
	if (why != REASM_N_REASONS)
		return drop_one(r, why, tag, out);
	h = key_hash(r->seed, ip->version, ip->src, ip->dst, ip->frag_id, f.proto);
	d = dgram_find(r, ip, f.proto, h, now_us);
	if (d && d->dead)
		return drop_one(r, d->dead_reason, tag, out);

	need = f.len + (f.off == 0 ? f.hdr_len : 0);
	if (r->bytes + need > r->lim.max_bytes) {
		if (d)
			return kill(r, d, REASM_LIMIT_BYTES, tag, now_us, false, out);
		return drop_one(r, REASM_LIMIT_BYTES, tag, out);
	}
	if (!d && !(d = dgram_new(r, ip, f.proto, h, now_us, &why)))
		return drop_one(r, why, tag, out);

	slot = frag_slot(d, f.off);
	if (slot < d->nfr && d->fr[slot].off == f.off && d->fr[slot].len == f.len &&
	    !memcmp(d->fr[slot].data, f.data, f.len) && (f.mf || (d->have_last && d->total == f.end))) {
		d->dups++;
		r->st.duplicates++;
		out->dup_tolerated = d->dups;
		return REASM_HELD;
	}
	why = frag_check(d, &f, slot);
	if (why != REASM_N_REASONS)
		return kill(r, d, why, tag, now_us, true, out);
	frag_store(r, d, p, ip, &f, slot, tag, need);
	if (d->have_last && d->covered == d->total && d->hdr)
		return complete(r, d, out);
	out->dup_tolerated = d->dups;
	return REASM_HELD;
}
