/* frag.c - the IPv6 fragmenter (RFC 8200 §4.5; RFC 6946 atomic fragments;
 * RFC 7112 header chain in the first fragment; RFC 7739 fragment IDs).
 *
 * The unfragmentable part is found by the one parser (pkt_parse ->
 * pkt_ip6_chain); this file only decides sizes and writes the fragments.
 * Sizes are decided first, then checked once more against every rule the
 * plan and RFC 8200 impose, so an invalid set can never be written.
 */
#include "frag.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "pkt.h"
#include "util.h"

#define IP6_MAX_PACKET	(40u + 65535u)

static const char *const order_names[] = { "in", "reverse", "random" };

int frag_order_parse(const char *s)
{
	for (unsigned i = 0; i < V6_ARRAY_LEN(order_names); i++)
		if (!strcmp(s, order_names[i]))
			return (int)i;
	return -1;
}

const char *frag_order_name(enum frag_order o)
{
	return (unsigned)o < V6_ARRAY_LEN(order_names) ? order_names[o] : "?";
}

void frag_plan_init(struct frag_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	plan->order = FRAG_ORDER_IN;
	plan->id_policy = FRAG_ID_RANDOM;
}

/* RFC 8200 §4.5: the IPv6 header and every header up to and including the
 * last Routing header, else a leading Hop-by-Hop Options header, else no
 * extension header, stays in every fragment (a Destination Options header
 * before the Routing header is so unfragmentable; one without a Routing
 * header is not).  `min` > 0 extends the part to at least that boundary (a
 * `dstu` header the caller inserted).  Returns its length and where the Next
 * Header to rewrite to 44 lies, or 0 when `min` is not a header boundary
 * before the upper layer. */
static uint32_t unfrag_part(const struct pkt_ip *ip, uint32_t min, uint32_t *nh_pos)
{
	uint32_t u = 40;
	bool min_ok = min <= 40;

	*nh_pos = 6;
	for (unsigned i = 0; i < ip->n_ext; i++) {
		uint32_t end = ip->ext[i].off + ip->ext[i].len;

		if (ip->ext[i].type == 44)
			break;
		if (ip->ext[i].type == 43 || (i == 0 && ip->ext[i].type == 0) || end <= min) {
			if (end >= u) {
				u = end;
				*nh_pos = ip->ext[i].off;
			}
		}
		if (end == min)
			min_ok = true;
	}
	return min_ok ? u : 0;
}

size_t frag_out_need(const uint8_t *pkt, size_t len)
{
	struct pkt p;
	uint32_t u = (uint32_t)len, hdr, nh_pos, n;

	if (len > IP6_MAX_PACKET)
		return len;
	pkt_parse(&p, V6_DLT_IPV6, pkt, (uint32_t)len, (uint32_t)len);
	if (p.n_ip && p.ip[0].version == 6 && p.ip[0].verdict == PKT_OK)
		u = unfrag_part(&p.ip[0], 0, &nh_pos);
	if (u > len)
		u = (uint32_t)len;
	/* a caller's unfrag_min may repeat up to the upper layer in each */
	hdr = p.n_ip && p.ip[0].ul_off > u && p.ip[0].ul_off <= len ? p.ip[0].ul_off : u;
	n = (uint32_t)(len - u) / 8 + 1;
	if (n > FRAG_MAX_FRAGS)
		n = FRAG_MAX_FRAGS;
	return len + (size_t)n * (hdr + FRAG_HDR_LEN);
}

uint32_t frag_next_id(const struct frag_plan *plan)
{
	uint32_t id;

	switch (plan->id_policy) {
	case FRAG_ID_FIXED:
		return plan->fixed_id;
	case FRAG_ID_SEQUENTIAL:
		if (plan->idgen) {
			if (!plan->idgen->seeded) {
				v6_random(&plan->idgen->next, sizeof(plan->idgen->next));
				plan->idgen->seeded = true;
			}
			return plan->idgen->next++;
		}
		break;	/* without state, unpredictable is the safe choice */
	case FRAG_ID_RANDOM:
	default:
		break;
	}
	v6_random(&id, sizeof(id));
	return id;
}

static int refuse(struct frag_out *out, const char *fmt, ...) V6_PRINTF(2, 3);
static int refuse(struct frag_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->err, sizeof(out->err), fmt, ap);
	va_end(ap);
	out->n = 0;
	out->used = 0;
	return -1;
}

static uint32_t round8(uint32_t v) { return (v + 7u) & ~7u; }

/* Smallest count with full `cap8` pieces and a last piece of at most `room`. */
static uint32_t greedy_count(uint32_t r, uint32_t room, uint32_t cap8)
{
	if (r <= room)
		return 1;
	return 1 + (r - room + cap8 - 1) / cap8;
}

static void greedy_fill(uint32_t r, uint32_t cap8, uint32_t k, uint32_t *d)
{
	for (uint32_t i = 0; i + 1 < k; i++) {
		d[i] = cap8;
		r -= cap8;
	}
	d[k - 1] = r;
}

/* k pieces of nearly equal size in 8-octet units; the last takes the odd tail. */
static int even_fill(struct frag_out *out, uint32_t r, uint32_t k, uint32_t *d)
{
	uint32_t units = (r + 7) / 8, base, extra, used = 0;

	if (k > FRAG_MAX_FRAGS)
		return refuse(out, "too many fragments: %u requested, at most %u", k, FRAG_MAX_FRAGS);
	if (units < k)
		return refuse(out, "cannot cut %u octets into %u fragments of whole 8-octet units", r, k);
	base = units / k;
	extra = units % k;
	for (uint32_t i = 0; i + 1 < k; i++) {
		d[i] = (base + (i < extra)) * 8;
		used += d[i];
	}
	d[k - 1] = r - used;
	return 0;
}

/* RFC 7112 refusal, naming every size involved. */
static int refuse_split_chain(struct frag_out *out, uint32_t first, uint32_t U, uint32_t chain, uint32_t maxp)
{
	return refuse(out, "header chain split (RFC 7112): the first fragment would carry %u octets (maximum size %u), "
		      "but the chain after the %u-octet unfragmentable part is %u octets (extension headers through "
		      "the upper-layer header): it needs a first fragment of at least %u octets, or allow a split chain",
		      first, maxp, U, chain, U + FRAG_HDR_LEN + round8(chain));
}

/* Decide the data size of every fragment, in offset order. */
static int plan_sizes(struct frag_out *out, const struct frag_plan *plan, uint32_t F,
		      uint32_t U, uint32_t maxp, uint32_t chain, uint32_t *d, uint32_t *n)
{
	uint32_t room = maxp - U - FRAG_HDR_LEN;
	uint32_t cap8 = room & ~7u;
	uint32_t need1 = plan->rfc7112 && chain ? chain : 1;
	uint32_t k;

	if (plan->trailing) {
		uint32_t t = plan->trailing, lead;

		if (plan->min_frags > 2)
			return refuse(out, "a trailing fragment means exactly two fragments; a minimum of %u cannot be met",
				      plan->min_frags);
		if (t >= F)
			return refuse(out, "trailing fragment of %u octets leaves nothing for the first: the fragmentable part is %u octets",
				      t, F);
		lead = F - t;
		if (lead % 8) {
			uint32_t down = lead & ~7u, up = round8(lead);
			if (down && up < F)
				return refuse(out, "trailing fragment of %u octets leaves a leading fragment of %u octets, not a multiple of 8 "
					      "(a %u-octet fragmentable part allows a trailing size of %u or %u)",
					      t, lead, F, F - up, F - down);
			return refuse(out, "trailing fragment of %u octets leaves a leading fragment of %u octets, not a multiple of 8",
				      t, lead);
		}
		if (plan->first_size && plan->first_size != lead)
			return refuse(out, "first fragment of %u octets and trailing fragment of %u octets do not add up to the %u-octet fragmentable part",
				      plan->first_size, t, F);
		if (lead > cap8)
			return refuse(out, "leading fragment of %u octets does not fit the maximum size %u (room for %u data octets)",
				      lead, maxp, cap8);
		if (t > room)
			return refuse(out, "trailing fragment of %u octets does not fit the maximum size %u (room for %u data octets)",
				      t, maxp, room);
		d[0] = lead;
		d[1] = t;
		*n = 2;
		goto first_check;
	}

	if (plan->first_size) {
		uint32_t f = plan->first_size, r, want;

		if (f < 8)
			return refuse(out, "first fragment of %u octets is smaller than one 8-octet unit", f);
		if (f % 8)
			return refuse(out, "first fragment of %u octets is not a multiple of 8 (every fragment but the last carries whole 8-octet units)", f);
		if (f >= F)
			return refuse(out, "first fragment of %u octets would hold the whole %u-octet fragmentable part: nothing left for another fragment",
				      f, F);
		if (f > cap8)
			return refuse(out, "first fragment of %u octets does not fit the maximum size %u (room for %u data octets)",
				      f, maxp, cap8);
		r = F - f;
		if (cap8 == 0 && r > room)
			return refuse(out, "maximum size %u leaves no 8-octet data unit after %u octets of headers", maxp, U + FRAG_HDR_LEN);
		k = greedy_count(r, room, cap8 ? cap8 : 8);
		want = plan->min_frags > 1 ? plan->min_frags - 1 : 1;
		if (k + 1 > FRAG_MAX_FRAGS)
			return refuse(out, "too many fragments: %u needed, at most %u", k + 1, FRAG_MAX_FRAGS);
		d[0] = f;
		if (k >= want) {
			greedy_fill(r, cap8, k, d + 1);
		} else {
			k = want;
			if (even_fill(out, r, k, d + 1))
				return -1;
		}
		*n = k + 1;
		goto first_check;
	}

	if (cap8 == 0)
		return refuse(out, "maximum size %u leaves no 8-octet data unit after %u octets of headers", maxp, U + FRAG_HDR_LEN);
	k = greedy_count(F, room, cap8);
	if (k > FRAG_MAX_FRAGS)
		return refuse(out, "too many fragments: %u needed for %u octets at maximum size %u, at most %u",
			      k, F, maxp, FRAG_MAX_FRAGS);
	if (k >= plan->min_frags) {
		greedy_fill(F, cap8, k, d);
	} else {
		k = plan->min_frags;
		if (even_fill(out, F, k, d))
			return -1;
		if (d[0] < need1) {
			/* RFC 7112: grow the first fragment to hold the chain, share the rest */
			uint32_t f = round8(need1);
			if (f > cap8)
				return refuse_split_chain(out, cap8, U, need1, maxp);
			if (f >= F)
				return refuse(out, "the %u-octet header chain leaves nothing for %u fragments (RFC 7112)",
					      need1, k);
			d[0] = f;
			if (even_fill(out, F - f, k - 1, d + 1))
				return -1;
		}
	}
	*n = k;
first_check:
	if (d[0] < need1)
		return refuse_split_chain(out, d[0], U, chain, maxp);
	return 0;
}

/* Every rule once more, independent of how the sizes were chosen. */
static int verify_sizes(struct frag_out *out, const struct frag_plan *plan, const uint32_t *d, uint32_t n,
			uint32_t F, uint32_t U, uint32_t maxp)
{
	uint32_t sum = 0;

	if (n == 0 || n > FRAG_MAX_FRAGS)
		return refuse(out, "internal error: %u fragments", n);
	for (uint32_t i = 0; i < n; i++) {
		if (d[i] == 0 || (i + 1 < n && d[i] % 8))
			return refuse(out, "internal error: fragment %u carries %u octets", i, d[i]);
		if (U + FRAG_HDR_LEN + d[i] > maxp)
			return refuse(out, "internal error: fragment %u exceeds the maximum size", i);
		sum += d[i];
	}
	if (sum != F)
		return refuse(out, "internal error: fragments carry %u of %u octets", sum, F);
	if (n < plan->min_frags)
		return refuse(out, "internal error: %u fragments, minimum %u", n, plan->min_frags);
	if (plan->trailing && (n != 2 || d[1] != plan->trailing))
		return refuse(out, "internal error: trailing fragment not as planned");
	if (plan->first_size && n > 1 && d[0] != plan->first_size)
		return refuse(out, "internal error: first fragment not as planned");
	return 0;
}

/* What frag_split learns about its input before deciding anything. */
struct frag_in {
	struct cur c;
	uint32_t U, F, chain, nh_pos;
	uint8_t nh0;
};

/* Phase 1: the input is one whole, parseable IPv6 packet; find its
 * unfragmentable part and the header chain of the fragmentable one. */
static int split_input(const uint8_t *pkt, size_t len, uint32_t unfrag_min, struct frag_out *out,
		       struct frag_in *in)
{
	uint16_t plen = 0;
	uint8_t b0 = 0;
	uint32_t want = 0, l4_end;
	struct pkt p;
	const struct pkt_ip *ip;

	cur_init(&in->c, pkt, len);
	cur_peek_u8(&in->c, 0, &b0);
	cur_peek_be16(&in->c, 4, &plen);
	if (len < 40)
		return refuse(out, "input of %zu octets is shorter than an IPv6 header", len);
	if (b0 >> 4 != 6)
		return refuse(out, "input is not an IPv6 packet (version %u)", b0 >> 4);
	if (len < 40u + plen)
		return refuse(out, "input of %zu octets is shorter than its Payload Length says (%u)", len, 40u + plen);
	if (len > 40u + plen)
		return refuse(out, "input of %zu octets is longer than its Payload Length says (%u)", len, 40u + plen);
	pkt_parse(&p, V6_DLT_IPV6, pkt, (uint32_t)len, (uint32_t)len);
	if (p.n_ip == 0)
		return refuse(out, "input not parseable: %s", p.why ? p.why : "?");
	ip = &p.ip[0];
	if (ip->verdict != PKT_OK)
		return refuse(out, "input not usable: %s", ip->why ? ip->why : pkt_verdict_name(ip->verdict));
	if (ip->frag)
		return refuse(out, "input is already a fragment (it has a Fragment header)");
	if (ip->n_ext == PKT_MAX_EXT)
		return refuse(out, "input has more extension headers than the fragmenter follows (%u)", PKT_MAX_EXT);

	in->U = unfrag_part(ip, unfrag_min, &in->nh_pos);
	if (in->U == 0)
		return refuse(out, "unfragmentable part of %u octets does not end at an extension-header boundary before the upper layer (at %u)",
			      unfrag_min, ip->ul_off);
	in->nh0 = 0;
	cur_peek_u8(&in->c, in->nh_pos, &in->nh0);
	in->F = (uint32_t)len - in->U;
	/* The header chain of the fragmentable part ends after the upper-layer header. */
	switch (ip->proto) {
	case 6:
		want = p.n_ip == 1 && p.l4 == 6 ? p.l4_hlen : 20;
		break;
	case 17:
	case 58:
		want = 8;
		break;
	case 41:	/* a tunnelled packet's upper-layer header is its IP header */
		want = 40;
		break;
	case 4:
		want = 20;
		break;
	}
	l4_end = ip->ul_off + (want < ip->ul_len ? want : ip->ul_len);
	in->chain = l4_end > in->U ? l4_end - in->U : 0;
	out->unfrag_len = in->U;
	out->chain_len = in->chain;
	return 0;
}

/* Emission order: perm[e] is the index (in offset order) of the e-th
 * fragment sent. */
static void split_order(const struct frag_plan *plan, uint32_t *perm, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		perm[i] = plan->order == FRAG_ORDER_REVERSE ? n - 1 - i : i;
	if (plan->order != FRAG_ORDER_RANDOM)
		return;
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t r, j, t;

		v6_random(&r, sizeof(r));
		j = (uint32_t)(((uint64_t)r * (i + 1)) >> 32);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
}

/* The caller's link header in front of a packet about to be written. */
static void put_link(struct wcur *w, const struct frag_out *out)
{
	if (out->link_len)
		wcur_bytes(w, out->link, out->link_len);
}

/* Phase 3: write the fragments in emission order, each behind its own
 * copy of the link header.  Offsets are a prefix sum (linear). */
static int split_write(struct frag_out *out, struct frag_in *in, const uint32_t *d, uint32_t n,
		       const uint32_t *perm)
{
	uint32_t foffs[FRAG_MAX_FRAGS], sum = 0;
	struct wcur w;

	for (uint32_t i = 0; i < n; i++) {
		foffs[i] = sum;
		sum += d[i];
	}
	wcur_init(&w, out->buf, out->cap);
	for (uint32_t e = 0; e < n; e++) {
		uint32_t i = perm[e], foff = foffs[i];
		size_t start;
		struct cur src;

		put_link(&w, out);
		start = wcur_off(&w);
		cur_window(&in->c, 0, in->U, &src);
		wcur_from(&w, &src, in->U);
		wcur_set_be16(&w, start + 4, (uint16_t)(in->U - 40 + FRAG_HDR_LEN + d[i]));
		wcur_set_u8(&w, start + in->nh_pos, 44);
		wcur_u8(&w, in->nh0);
		wcur_u8(&w, 0);
		wcur_be16(&w, (uint16_t)(foff | (i + 1 < n ? 1u : 0u)));
		wcur_be32(&w, out->id);
		cur_window(&in->c, in->U + foff, d[i], &src);
		wcur_from(&w, &src, d[i]);
		if (w.overflow || src.trunc)
			return refuse(out, "internal error: fragment %u did not fit", i);
		out->piece[e] = (struct frag_piece){
			.off = (uint32_t)start, .len = (uint32_t)(wcur_off(&w) - start),
			.frag_off = foff, .data_len = d[i], .more = i + 1 < n,
		};
	}
	out->used = wcur_off(&w);
	return 0;
}

/* No cutting needed: the packet as it is, behind the link header. */
static int split_whole(const uint8_t *pkt, size_t len, struct frag_out *out, uint32_t F)
{
	struct wcur w;

	if (len + out->link_len > out->cap)
		return refuse(out, "output buffer of %zu octets too small for %zu", out->cap,
			      len + out->link_len);
	wcur_init(&w, out->buf, out->cap);
	put_link(&w, out);
	wcur_bytes(&w, pkt, len);
	out->n = 1;
	out->piece[0] = (struct frag_piece){ .off = out->link_len, .len = (uint32_t)len, .frag_off = 0,
					     .data_len = F, .more = false };
	out->used = wcur_off(&w);
	return 0;
}

int frag_split(const uint8_t *pkt, size_t len, const struct frag_plan *plan, struct frag_out *out)
{
	uint32_t d[FRAG_MAX_FRAGS];
	uint32_t perm[FRAG_MAX_FRAGS];
	uint32_t U, F, maxp, n = 0;
	struct frag_in in = { 0 };
	bool need;
	size_t total;

	out->err[0] = 0;
	out->n = 0;
	out->used = 0;
	out->fragmented = false;
	if (split_input(pkt, len, plan->unfrag_min, out, &in))
		return -1;
	U = in.U;
	F = in.F;

	maxp = plan->max_size ? plan->max_size : IP6_MAX_PACKET;
	if (maxp > IP6_MAX_PACKET)
		maxp = IP6_MAX_PACKET;
	need = len > maxp || plan->min_frags > 1 || plan->trailing || (plan->first_size && plan->first_size < F);
	if (!need && plan->atomic && len + FRAG_HDR_LEN > maxp)
		need = true;	/* no room for an atomic header: cut for real */
	if (!need && !plan->atomic)
		return split_whole(pkt, len, out, F);
	if (maxp < U + FRAG_HDR_LEN + 1)
		return refuse(out, "maximum size %u leaves no room for data after %u octets of headers (%u unfragmentable + 8 Fragment header)",
			      maxp, U + FRAG_HDR_LEN, U);
	if (F == 0)
		return refuse(out, "nothing to fragment: the packet has no fragmentable part");
	if (need) {
		if (plan_sizes(out, plan, F, U, maxp, in.chain, d, &n))
			return -1;
	} else {
		d[0] = F;	/* atomic fragment (RFC 6946) */
		n = 1;
		if (plan->rfc7112 && in.chain > F)
			return refuse(out, "packet does not hold its whole header chain (RFC 7112)");
	}
	if (verify_sizes(out, plan, d, n, F, U, maxp))
		return -1;
	total = (size_t)n * (out->link_len + U + FRAG_HDR_LEN) + F;
	if (total > out->cap)
		return refuse(out, "output buffer of %zu octets too small for %zu", out->cap, total);

	split_order(plan, perm, n);
	out->id = frag_next_id(plan);
	out->fragmented = true;
	out->n = n;
	return split_write(out, &in, d, n, perm);
}

const uint8_t *frag_frame(const struct frag_out *out, unsigned i, size_t *len)
{
	struct cur c, f;
	const struct frag_piece *p;

	if (i >= out->n)
		return NULL;
	p = &out->piece[i];
	cur_init(&c, out->buf, out->used);
	if (p->off < out->link_len || !cur_window(&c, p->off - out->link_len, out->link_len + p->len, &f))
		return NULL;
	*len = out->link_len + p->len;
	return cur_take(&f, *len);
}
