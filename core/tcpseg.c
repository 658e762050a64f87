/* tcpseg.c - TCP re-segmentation with fragment-aligned piece lengths
 * (RFC 9293 §3.1, §3.7; RFC 8200 §4.5, §8.1; RFC 7323). */
#include "tcpseg.h"

#include "build.h"
#include "csum.h"

#define TCP_OFF_SEQ	4
#define TCP_OFF_FLAGS	13
#define TCP_OFF_CSUM	16
#define TCP_OFF_URG	18

size_t tcpseg_max_pieces(uint32_t len, uint32_t tail)
{
	if (tail == 0)
		return 0;
	return 2 * (size_t)(len / tail) + 2;
}

uint32_t tcpseg_clamp_mss(uint32_t mss, uint32_t tail)
{
	/* 20 + M - tail = 0 (mod 8)  <=>  M = tail - 20 (mod 8) = tail + 4 (mod 8) */
	uint32_t want = (tail + 4) % 8;

	while (mss > 0 && mss % 8 != want)
		mss--;
	return mss;
}

/* Largest S <= lim with S = r (mod 8), or -1. */
static int64_t round_down_res(int64_t lim, uint32_t r)
{
	int64_t s = lim - (((lim - (int64_t)r) % 8 + 8) % 8);

	return s >= 0 ? s : -1;
}

static size_t put_whole(uint32_t off, uint32_t w, uint32_t tail, struct tcpseg_piece *out,
			size_t n, size_t max)
{
	uint32_t k, base, extra;

	if (w == 0)
		return n;
	k = (w + tail - 1) / tail;
	if (n + k > max)
		return 0;
	base = w / k;
	extra = w % k;
	for (uint32_t i = 0; i < k; i++) {
		uint32_t l = base + (i < extra);

		out[n].off = off;
		out[n].len = l;
		out[n].frag = false;
		off += l;
		n++;
	}
	return n;
}

size_t tcpseg_plan(uint32_t len, uint32_t thl, uint32_t mss, uint32_t tail,
		   struct tcpseg_piece *out, size_t max)
{
	uint32_t c, pmin, pmax, best_n = 0, best_whole = UINT32_MAX, nstart, nend;
	int64_t best_s = -1;
	size_t n = 0;

	if (thl < 20 || thl > 60 || thl % 4 || tail < 8 || mss < tail + 8 || max == 0)
		return 0;
	if (len <= tail) {
		out[0].off = 0;
		out[0].len = len;
		out[0].frag = false;
		return 1;
	}
	c = (tail % 8 + 8 - thl % 8) % 8;	/* residue every fragmented piece needs */
	pmin = tail + 1 + (c + 8 - (tail + 1) % 8) % 8;
	pmax = (uint32_t)round_down_res(mss, c);
	if (pmax < pmin)
		return 0;	/* cannot happen with mss >= tail + 8 */

	/* Choose how many aligned pieces (n) so that the fewest octets are left
	 * for whole pieces, then the fewest aligned pieces.  Past
	 * ceil(len / pmax) the leftover is < 8 octets whenever n pieces fit at
	 * all, so a short window of n is enough. */
	nstart = len > 7 + pmax ? (len - 7) / pmax : 1;
	nend = len / pmin;
	if (nend > nstart + 16)
		nend = nstart + 16;
	for (uint32_t k = nstart; k <= nend; k++) {
		int64_t lim = (int64_t)k * pmax < len ? (int64_t)k * pmax : len;
		int64_t s = round_down_res(lim, (uint32_t)((uint64_t)k * c % 8));
		uint32_t whole;

		if (s < (int64_t)k * pmin)
			continue;
		whole = len - (uint32_t)s;
		if (whole < best_whole) {
			best_whole = whole;
			best_n = k;
			best_s = s;
		}
		if (whole == 0)
			break;
	}
	if (best_s < 0)
		return put_whole(0, len, tail, out, 0, max);

	/* Spread the aligned octets evenly: pmin + 8 * units each. */
	{
		uint32_t units = (uint32_t)((best_s - (int64_t)best_n * pmin) / 8);
		uint32_t each = units / best_n, extra = units % best_n, off = 0;

		if (best_n > max)
			return 0;
		for (uint32_t i = 0; i < best_n; i++) {
			uint32_t l = pmin + 8 * (each + (i < extra));

			out[n].off = off;
			out[n].len = l;
			out[n].frag = true;
			off += l;
			n++;
		}
		return put_whole(off, len - off, tail, out, n, max);
	}
}

size_t tcpseg_plan_whole(uint32_t len, uint32_t max, struct tcpseg_piece *out, size_t maxn)
{
	if (max == 0 || maxn == 0)
		return 0;
	if (len == 0) {
		out[0] = (struct tcpseg_piece){ 0, 0, false };
		return 1;
	}
	return put_whole(0, len, max, out, 0, maxn);
}

bool tcpseg_read(struct cur *c, struct tcpseg_seg *s)
{
	uint8_t doff;
	uint32_t thl;

	if (!cur_peek_u8(c, 12, &doff))
		return false;
	thl = (uint32_t)(doff >> 4) * 4;
	if (thl < 20 || !cur_has(c, thl))
		return false;
	cur_peek_be32(c, TCP_OFF_SEQ, &s->seq);
	cur_peek_u8(c, TCP_OFF_FLAGS, &s->flags);
	cur_peek_be16(c, TCP_OFF_URG, &s->urg);
	cur_sub(c, thl, &s->hdr);
	cur_sub(c, cur_left(c), &s->payload);
	return !s->hdr.trunc;
}

bool tcpseg_build(struct wcur *w, const struct tcpseg_seg *s, const struct tcpseg_piece *pc,
		  bool first, bool last, const struct tcpseg_addr *a)
{
	size_t ip_off = wcur_off(w), tcp_off, thl = cur_left(&s->hdr);
	struct cur hdr = s->hdr, pay = s->payload;
	uint8_t flags = s->flags;
	uint16_t urg = 0;
	uint32_t sum;

	if (!cur_skip(&pay, pc->off) || cur_left(&pay) < pc->len)
		return false;
	if (!last)
		flags &= (uint8_t)~(TCPF_FIN | TCPF_PSH);
	if (!first)
		flags &= (uint8_t)~TCPF_CWR;
	/* The urgent pointer is an offset from the segment's sequence number:
	 * keep it on pieces it points into or past, relative to each. */
	if ((flags & TCPF_URG) && s->urg > pc->off)
		urg = (uint16_t)(s->urg - pc->off);
	else
		flags &= (uint8_t)~TCPF_URG;

	build_ip6(w, a->src, a->dst, 6, a->hop_limit, a->tclass, a->flow,
		  (uint16_t)(thl + pc->len));
	tcp_off = wcur_off(w);
	wcur_from(w, &hdr, thl);
	wcur_from(w, &pay, pc->len);
	wcur_set_be16(w, tcp_off, a->sport);
	wcur_set_be16(w, tcp_off + 2, a->dport);
	wcur_set_be32(w, tcp_off + TCP_OFF_SEQ, s->seq + pc->off);
	wcur_set_u8(w, tcp_off + TCP_OFF_FLAGS, flags);
	wcur_set_be16(w, tcp_off + TCP_OFF_CSUM, 0);
	wcur_set_be16(w, tcp_off + TCP_OFF_URG, urg);
	if (w->overflow || hdr.trunc || pay.trunc)
		return false;
	(void)ip_off;
	sum = csum_pseudo6(a->src, a->dst, 6, (uint32_t)(thl + pc->len));
	sum = csum_partial(w->base + tcp_off, thl + pc->len, sum);
	return wcur_set_be16(w, tcp_off + TCP_OFF_CSUM, csum_fold(sum));
}
