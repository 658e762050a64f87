/* test_tcpseg.c - TCP re-segmentation for two-fragment delivery: every plan
 * for header lengths 20..60, payloads 1..65000 and a range of mss/tail values
 * respects mss, tail and 8-octet alignment and covers the payload exactly;
 * built pieces carry contiguous sequence numbers, FIN/PSH only on the last,
 * the original options, valid checksums, and rebuild the byte stream
 * (RFC 9293, RFC 8200 §4.5, RFC 7323). */
#include <stdint.h>
#include <string.h>

#include "build.h"
#include "csum.h"
#include "cursor.h"
#include "frag.h"
#include "pkt.h"
#include "tcpseg.h"
#include "t.h"


#define V6_ARRAY_LEN_T(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static struct tcpseg_piece pieces[40000];

/* Check one plan; returns the number of octets sent in whole pieces. */
static uint32_t check_plan(uint32_t len, uint32_t thl, uint32_t mss, uint32_t tail, size_t *np)
{
	size_t n = tcpseg_plan(len, thl, mss, tail, pieces, V6_ARRAY_LEN_T(pieces));
	uint32_t off = 0, whole = 0;
	int bad = 0;

	CHECKF(n > 0, "no plan for len %u thl %u mss %u tail %u", len, thl, mss, tail);
	CHECKF(n <= tcpseg_max_pieces(len, tail), "%zu pieces > bound %zu", n, tcpseg_max_pieces(len, tail));
	for (size_t i = 0; i < n && !bad; i++) {
		const struct tcpseg_piece *p = &pieces[i];

		if (p->off != off) bad = 1;
		if (p->len > mss) bad = 2;
		if (p->frag && (p->len <= tail || (thl + p->len - tail) % 8 != 0)) bad = 3;
		if (!p->frag && p->len > tail) bad = 4;
		if (p->len == 0 && len != 0) bad = 5;
		if (!p->frag)
			whole += p->len;
		off += p->len;
	}
	CHECKF(!bad && off == len, "plan len %u thl %u mss %u tail %u: defect %d (covered %u)",
	       len, thl, mss, tail, bad, off);
	*np = n;
	return whole;
}

static void plan_every_header_and_length(void)
{
	static const uint32_t tails[] = { 8, 16, 100, 256, 511 };
	static const uint32_t extra[] = { 8, 9, 15, 16, 17, 300, 944, 1200, 1440 };

	for (uint32_t thl = 20; thl <= 60; thl += 4)
		for (size_t ti = 0; ti < V6_ARRAY_LEN_T(tails); ti++)
			for (size_t mi = 0; mi < V6_ARRAY_LEN_T(extra); mi++) {
				uint32_t tail = tails[ti], mss = tail + extra[mi];

				for (uint32_t len = 1; len <= 3000; len++) {
					size_t n;
					uint32_t whole = check_plan(len, thl, mss, tail, &n);

					/* Whole pieces only for what alignment cannot place:
					 * fewer than 8 octets once lengths leave room. */
					if (mss >= 2 * tail + 24 && len >= 2 * (tail + 8) + 14)
						CHECKF(whole <= 7, "len %u thl %u mss %u tail %u: %u whole octets",
						       len, thl, mss, tail, whole);
					if (len <= tail)
						CHECK(n == 1 && !pieces[0].frag);
				}
			}
}

static void plan_large_payloads(void)
{
	for (int i = 0; i < 20000; i++) {
		uint32_t thl = 20 + 4 * (rnd() % 11), tail = 8 + rnd() % 2000;
		uint32_t mss = tail + 8 + rnd() % (65000 - tail - 8 + 1);
		uint32_t len = 1 + rnd() % 65000;
		size_t n;

		if (mss > 65000)
			mss = 65000;
		check_plan(len, thl, mss, tail, &n);
	}
	/* every payload length with the defaults, 20- and 32-octet headers */
	for (uint32_t thl = 20; thl <= 32; thl += 12)
		for (uint32_t len = 1; len <= 65000; len++) {
			size_t n;
			uint32_t whole = check_plan(len, thl, 1200, 256, &n);

			if (len >= 600)
				CHECKF(whole <= 7, "len %u thl %u: %u whole octets", len, thl, whole);
		}
	/* the defaults against a 1428-octet back-end segment (timestamps on) */
	{
		size_t n;
		uint32_t whole = check_plan(1428, 32, 1200, 256, &n);

		CHECK_EQ(n, 3);
		CHECK(whole <= 7);
	}
}

static void plan_refuses_impossible(void)
{
	struct tcpseg_piece p[4];

	CHECK_EQ(tcpseg_plan(100, 20, 1200, 4, p, 4), 0);	/* tail < 8 */
	CHECK_EQ(tcpseg_plan(100, 20, 260, 256, p, 4), 0);	/* mss < tail + 8 */
	CHECK_EQ(tcpseg_plan(100, 18, 1200, 256, p, 4), 0);	/* header not a multiple of 4 */
	CHECK_EQ(tcpseg_plan(100, 64, 1200, 256, p, 4), 0);	/* header too long */
	CHECK_EQ(tcpseg_plan(60000, 20, 1200, 256, p, 4), 0);	/* no room for the pieces */
	CHECK_EQ(tcpseg_plan(0, 20, 1200, 256, p, 4), 1);	/* a pure ACK goes whole */
	CHECK(!p[0].frag && p[0].len == 0);
}

static void clamp_aligns_full_segments(void)
{
	for (uint32_t tail = 8; tail < 600; tail++)
		for (uint32_t mss = tail + 8; mss < tail + 40; mss++) {
			uint32_t m = tcpseg_clamp_mss(mss, tail);

			CHECKF(m <= mss && m + 8 > mss, "mss %u tail %u -> %u", mss, tail, m);
			/* with k option octets: payload m-k behind 20+k octets of header */
			for (uint32_t k = 0; k <= 40; k += 4)
				CHECK((20 + k + (m - k) - tail) % 8 == 0);
		}
	CHECK_EQ(tcpseg_clamp_mss(1200, 256), 1196);
}

/* A back-end segment: IPv6 + TCP with `optlen` option octets + payload. */
static size_t make_segment(uint8_t *buf, size_t cap, uint32_t optlen, const uint8_t *payload,
			   uint32_t len, uint8_t flags, uint32_t seq)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1 };
	uint8_t opts[40];
	struct build_tcp t = { .sport = 80, .dport = 20001, .seq = seq, .ack = 777,
			       .flags = flags, .win = 500, .opts = opts, .optlen = optlen };
	struct wcur w;

	for (uint32_t i = 0; i < optlen; i++)
		opts[i] = 1;	/* NOPs ... */
	if (optlen >= 12) {	/* ... and a timestamp option at the end */
		uint8_t ts[10] = { 8, 10, 1, 2, 3, 4, 5, 6, 7, 8 };

		memcpy(opts + optlen - 10, ts, 10);
	}
	wcur_init(&w, buf, cap);
	build_ip6(&w, src, dst, 6, 64, 0, 0, 0);
	build_tcp(&w, &t, payload, len);
	build_ip_finish(&w, 0);
	build_l4_checksum(&w, 0);
	return w.overflow ? 0 : wcur_off(&w);
}

static uint8_t payload[65536], rebuilt[65536], seg_buf[70000], out_buf[70000];

static void build_pieces_rebuild_stream(void)
{
	static const uint8_t csrc[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x80 };
	static const uint8_t cdst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x99 };
	static const uint32_t lens[] = { 1, 17, 255, 256, 257, 263, 264, 1000, 1195, 1428, 2896, 9000, 65000 };
	static const uint8_t flag_sets[] = { TCPF_ACK, TCPF_ACK | TCPF_PSH, TCPF_ACK | TCPF_PSH | TCPF_FIN,
					     TCPF_ACK | TCPF_CWR | TCPF_PSH };

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)rnd();
	for (uint32_t optlen = 0; optlen <= 40; optlen += 4)
		for (size_t li = 0; li < V6_ARRAY_LEN_T(lens); li++)
			for (size_t fi = 0; fi < V6_ARRAY_LEN_T(flag_sets); fi++) {
				uint32_t len = lens[li], seq = 0xfffff000u + (uint32_t)li;	/* wraps */
				uint32_t thl = 20 + optlen, mss = 1200, tail = 256;
				size_t slen = make_segment(seg_buf, sizeof(seg_buf), optlen, payload, len,
							   flag_sets[fi], seq);
				struct tcpseg_addr a = { .sport = 443, .dport = 50000, .hop_limit = 64,
							 .tclass = 0x20, .flow = 0x12345 };
				struct tcpseg_seg s;
				struct cur c;
				size_t n;

				memcpy(a.src, csrc, 16);
				memcpy(a.dst, cdst, 16);
				CHECK(slen > 0);
				cur_init(&c, seg_buf, slen);
				cur_skip(&c, 40);
				CHECK(tcpseg_read(&c, &s));
				CHECK_EQ(cur_left(&s.hdr), thl);
				CHECK_EQ(cur_left(&s.payload), len);
				n = tcpseg_plan(len, thl, mss, tail, pieces, V6_ARRAY_LEN_T(pieces));
				CHECK(n > 0);
				memset(rebuilt, 0, len);
				for (size_t k = 0; k < n; k++) {
					struct wcur w;
					struct pkt p;
					uint32_t plen;

					wcur_init(&w, out_buf, sizeof(out_buf));
					CHECK(tcpseg_build(&w, &s, &pieces[k], k == 0, k + 1 == n, &a));
					CHECK_EQ(pkt_parse(&p, V6_DLT_IPV6, out_buf, (uint32_t)wcur_off(&w),
							   (uint32_t)wcur_off(&w)), PKT_OK);
					CHECK(p.l4 == 6 && p.l4_hlen == thl);
					CHECK(!memcmp(p.ip[0].src, csrc, 16) && !memcmp(p.ip[0].dst, cdst, 16));
					CHECK(p.sport == 443 && p.dport == 50000);
					CHECK(p.ip[0].tclass == 0x20 && p.ip[0].flow == 0x12345);
					CHECK_EQ(p.tcp_seq, (uint32_t)(seq + pieces[k].off));
					CHECK_EQ(p.tcp_ack, 777);
					plen = p.ip[0].tot_len - 40 - thl;
					CHECK_EQ(plen, pieces[k].len);
					/* checksum over pseudo-header + segment folds to zero */
					CHECK_EQ(csum_fold(csum_partial(out_buf + 40, thl + plen,
						 csum_pseudo6(csrc, cdst, 6, thl + plen))), 0);
					/* options copied byte for byte */
					CHECK_MEM(out_buf + 40 + 20, seg_buf + 40 + 20, optlen);
					if (k + 1 < n)
						CHECK((p.tcp_flags & (TCPF_FIN | TCPF_PSH)) == 0);
					else
						CHECK_EQ(p.tcp_flags & (TCPF_FIN | TCPF_PSH),
							 flag_sets[fi] & (TCPF_FIN | TCPF_PSH));
					if (k > 0)
						CHECK((p.tcp_flags & TCPF_CWR) == 0);
					CHECK(p.tcp_flags & TCPF_ACK);
					memcpy(rebuilt + pieces[k].off, out_buf + 40 + thl, plen);
					if (pieces[k].frag) {
						static struct frag_out fo;
						static uint8_t fbuf[140000];
						struct frag_plan plan;

						frag_plan_init(&plan);
						plan.trailing = tail;
						fo.buf = fbuf;
						fo.cap = sizeof(fbuf);
						CHECKF(frag_split(out_buf, wcur_off(&w), &plan, &fo) == 0,
						       "frag_split: %s", fo.err);
						CHECK_EQ(fo.n, 2);
						CHECK_EQ(fo.piece[0].data_len % 8, 0);
						CHECK_EQ(fo.piece[1].data_len, tail);
						CHECK(fo.piece[0].data_len + fo.piece[1].data_len == thl + plen);
					}
				}
				CHECK_MEM(rebuilt, payload, len);
			}
}

static void build_refuses_small_buffer(void)
{
	uint8_t small[60];
	struct tcpseg_addr a = { .sport = 1, .dport = 2, .hop_limit = 64 };
	struct tcpseg_piece pc = { 0, 100, true };
	struct tcpseg_seg s;
	struct cur c;
	struct wcur w;
	size_t slen = make_segment(seg_buf, sizeof(seg_buf), 12, payload, 100, TCPF_ACK, 1);

	cur_init(&c, seg_buf, slen);
	cur_skip(&c, 40);
	CHECK(tcpseg_read(&c, &s));
	wcur_init(&w, small, sizeof(small));
	CHECK(!tcpseg_build(&w, &s, &pc, true, true, &a));
	/* a piece beyond the payload is refused, never read */
	pc.off = 50;
	pc.len = 51;
	wcur_init(&w, out_buf, sizeof(out_buf));
	CHECK(!tcpseg_build(&w, &s, &pc, true, true, &a));
	/* truncated headers */
	for (size_t cut = 0; cut < 32; cut++) {
		cur_init(&c, seg_buf + 40, cut);
		CHECK(!tcpseg_read(&c, &s));
	}
}

int main(void)
{
	RUN(plan_every_header_and_length);
	RUN(plan_large_payloads);
	RUN(plan_refuses_impossible);
	RUN(clamp_aligns_full_segments);
	RUN(build_pieces_rebuild_stream);
	RUN(build_refuses_small_buffer);
	return t_done();
}
