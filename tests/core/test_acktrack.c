/* test_acktrack.c - TCP option walker (core/tcpopt) and per-binding delivery
 * tracking (core/acktrack): verdicts, SACK, retransmissions, wrap-around,
 * bounded ranges, bad ACKs and malformed options. */
#include <string.h>

#include "acktrack.h"
#include "build.h"
#include "pkt.h"
#include "t.h"
#include "tcpopt.h"

static struct tcp_sack sack1(uint32_t l, uint32_t r)
{
	struct tcp_sack s = { .n = 1, .left = { l }, .right = { r } };
	return s;
}

static uint64_t tracked(const struct acktrack *a)
{
	uint64_t b = 0;

	for (unsigned i = 0; i < a->n; i++) {
		CHECK(a->r[i].bytes <= a->r[i].hi - a->r[i].lo);
		b += a->r[i].bytes;
	}
	return b;
}

#define BOOKS(a) CHECK_EQ((a)->frag_bytes_acked + tracked(a), (a)->frag_bytes)

static void test_none(void)
{
	struct acktrack a;

	ackt_init(&a);
	CHECK_EQ(ackt_verdict(&a), ACKT_NONE);
	ackt_ack(&a, 5, NULL);			/* before anything: ignored */
	CHECK_EQ(a.acks, 0);
	ackt_backend(&a, 999, 0, TCPF_SYN | TCPF_ACK);
	ackt_backend(&a, 1000, 100, TCPF_ACK);	/* a small whole segment */
	ackt_ack(&a, 1100, NULL);
	CHECK_EQ(ackt_verdict(&a), ACKT_NONE);
	CHECK(!strcmp(ackt_verdict_name(ACKT_NONE), "none"));
	CHECK(!strcmp(ackt_verdict_name(ACKT_V_N), "?"));
	CHECK_EQ(a.acks_out_of_window, 0);
}

/* SYN-ACK at 1000, one 3000-octet back-end segment cut in three pieces. */
static void setup3(struct acktrack *a)
{
	ackt_init(a);
	ackt_backend(a, 1000, 0, TCPF_SYN | TCPF_ACK);
	ackt_ack(a, 1001, NULL);
	ackt_backend(a, 1001, 3000, TCPF_ACK);
	ackt_frag(a, 1001, 1200);
	ackt_frag(a, 2201, 1200);
	ackt_frag(a, 3401, 600);
}

static void test_delivered_partial_lost(void)
{
	struct acktrack a;
	struct tcp_sack s;

	setup3(&a);
	CHECK_EQ(a.frag_segments, 3);
	CHECK_EQ(a.frag_bytes, 3000);
	CHECK_EQ(a.n, 1);		/* contiguous pieces merge */
	CHECK_EQ(ackt_verdict(&a), ACKT_LOST);
	BOOKS(&a);
	ackt_ack(&a, 2201, NULL);
	CHECK_EQ(a.frag_bytes_acked, 1200);
	CHECK_EQ(ackt_verdict(&a), ACKT_PARTIAL);
	BOOKS(&a);
	/* SACK of the last piece, then the hole filled. */
	s = sack1(3401, 4001);
	ackt_ack(&a, 2201, &s);
	CHECK_EQ(a.frag_bytes_acked, 1800);
	CHECK_EQ(a.n, 1);
	BOOKS(&a);
	ackt_ack(&a, 4001, &s);	/* the same block again: nothing twice */
	CHECK_EQ(a.frag_bytes_acked, 3000);
	CHECK_EQ(ackt_verdict(&a), ACKT_DELIVERED);
	CHECK_EQ(ackt_outstanding(&a), 0);
	CHECK_EQ(a.n, 0);
	BOOKS(&a);
	/* FIN from the back end and its ACK are in the window. */
	ackt_backend(&a, 4001, 0, TCPF_FIN | TCPF_ACK);
	ackt_ack(&a, 4002, NULL);
	CHECK_EQ(a.acks_out_of_window, 0);
	CHECK_EQ(a.una, 4002);
	CHECK_EQ(a.retransmitted, 0);
}

static void test_retransmission(void)
{
	struct acktrack a;

	setup3(&a);
	ackt_ack(&a, 2201, NULL);
	/* The back end re-sends from 2201 (RTO): counted; the pieces go again. */
	ackt_backend(&a, 2201, 1800, TCPF_ACK);
	CHECK_EQ(a.retransmitted, 1);
	ackt_frag(&a, 2201, 1200);
	ackt_frag(&a, 3401, 600);
	CHECK_EQ(a.frag_segments, 5);
	CHECK_EQ(a.frag_bytes, 3000);	/* octets count once */
	BOOKS(&a);
	/* A re-send of acknowledged octets adds nothing to track. */
	ackt_backend(&a, 1001, 1200, TCPF_ACK);
	ackt_frag(&a, 1001, 1200);
	CHECK_EQ(a.retransmitted, 2);
	CHECK_EQ(a.frag_bytes, 3000);
	ackt_ack(&a, 4001, NULL);
	CHECK_EQ(ackt_verdict(&a), ACKT_DELIVERED);
	/* New data after a partial overlap: only the new octets count. */
	ackt_backend(&a, 3801, 400, TCPF_ACK);	/* overlaps 3801..4000: a retransmission */
	CHECK_EQ(a.retransmitted, 3);
	ackt_frag(&a, 3801, 400 + 200);		/* 4001..4400 is new; max grows to 4401 */
	CHECK_EQ(a.frag_bytes, 3400);
	BOOKS(&a);
	CHECK_EQ(ackt_verdict(&a), ACKT_PARTIAL);
}

static void test_bad_acks(void)
{
	struct acktrack a;
	struct tcp_sack s;

	setup3(&a);
	ackt_ack(&a, 9000, NULL);		/* beyond what was sent */
	ackt_ack(&a, 1001 + 0x80000000u, NULL);	/* half the space away */
	CHECK_EQ(a.acks_out_of_window + a.acks_stale, 2);
	CHECK_EQ(a.frag_bytes_acked, 0);
	ackt_ack(&a, 2201, NULL);
	ackt_ack(&a, 1500, NULL);		/* stale: reordered */
	CHECK_EQ(a.una, 2201);
	CHECK(a.acks_stale >= 1);
	/* SACK blocks: reversed, beyond the top, empty, D-SACK below the ACK. */
	s = (struct tcp_sack){ .n = 4, .left = { 3000, 3401, 3000, 1001 },
			       .right = { 2900, 5000, 3000, 1201 } };
	ackt_ack(&a, 2201, &s);
	CHECK_EQ(a.sack_invalid, 3);
	CHECK_EQ(a.sack_dsack, 1);
	CHECK_EQ(a.frag_bytes_acked, 1200);
	/* A stale ACK still carries valid SACK information. */
	s = sack1(3401, 4001);
	ackt_ack(&a, 1500, &s);
	CHECK_EQ(a.frag_bytes_acked, 1800);
	BOOKS(&a);
	/* Segments from far away are not tracked. */
	ackt_frag(&a, 2201 + 0x50000000u, 100);
	ackt_backend(&a, 2201 - 0x50000000u, 100, TCPF_ACK);
	CHECK_EQ(a.segs_out_of_window, 2);
	CHECK_EQ(a.frag_bytes, 3000);
	/* An absurd length is clipped, not trusted. */
	ackt_frag(&a, 4001, UINT32_MAX);
	CHECK(a.frag_bytes <= 3000 + ACKT_WINDOW);
	BOOKS(&a);
}

static void test_wrap(void)
{
	struct acktrack a;
	struct tcp_sack s;
	uint32_t isn = 0xfffffb00u;

	ackt_init(&a);
	ackt_backend(&a, isn, 0, TCPF_SYN | TCPF_ACK);
	ackt_backend(&a, isn + 1, 4000, TCPF_ACK);
	for (uint32_t off = 0; off < 4000; off += 1000)
		ackt_frag(&a, isn + 1 + off, 1000);
	CHECK_EQ(a.frag_bytes, 4000);
	CHECK_EQ(a.n, 1);
	s = sack1(isn + 3001, isn + 4001);	/* crosses nothing, lies past 2^32 */
	ackt_ack(&a, isn + 1001, &s);
	CHECK_EQ(a.frag_bytes_acked, 2000);
	ackt_ack(&a, isn + 4001, NULL);	/* = 0x00000aa1 */
	CHECK_EQ(a.una, 0xaa1u);
	CHECK_EQ(ackt_verdict(&a), ACKT_DELIVERED);
	CHECK_EQ(a.acks_out_of_window, 0);
	BOOKS(&a);
}

/* Fragmented pieces with whole pieces between them: more ranges than slots. */
static void test_bounded_ranges(void)
{
	struct acktrack a;
	struct tcp_sack s;
	uint32_t seq = 5001;

	ackt_init(&a);
	ackt_backend(&a, 5000, 0, TCPF_SYN);
	for (int i = 0; i < 40; i++) {
		ackt_backend(&a, seq, 1000 + (uint32_t)i, TCPF_ACK);
		ackt_frag(&a, seq, 1000);		/* the whole piece of i octets follows */
		seq += 1000 + (uint32_t)i;
	}
	CHECK(a.n <= ACKT_RANGES);
	CHECK(a.merges > 0);
	CHECK_EQ(a.frag_bytes, 40000);
	BOOKS(&a);
	/* An ACK in the middle of a merged range credits no more than was fragmented. */
	ackt_ack(&a, 5001 + 20 * 1000 + 190 + 500, NULL);	/* inside piece 20 */
	CHECK(a.frag_bytes_acked <= 20500);
	CHECK(a.frag_bytes_acked > 0);
	BOOKS(&a);
	/* SACK blocks split ranges: still bounded, books balance. */
	for (int i = 0; i < 4; i++) {
		uint32_t l = 5001 + (uint32_t)(25 + 3 * i) * 1000 + 600;

		s = sack1(l, l + 300);
		ackt_ack(&a, a.una, &s);
		CHECK(a.n <= ACKT_RANGES);
		BOOKS(&a);
	}
	CHECK_EQ(ackt_verdict(&a), ACKT_PARTIAL);
	ackt_ack(&a, seq, NULL);
	CHECK_EQ(a.frag_bytes_acked, 40000);	/* exact once everything is covered */
	CHECK_EQ(ackt_verdict(&a), ACKT_DELIVERED);
	CHECK_EQ(a.n, 0);
}

/* ---- options and packets ---- */

static void test_tcpopt(void)
{
	struct cur c;
	struct tcpopt o;
	struct tcp_sack s;
	static const uint8_t good[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
					5, 18, 0, 0, 0x10, 0, 0, 0, 0x20, 0,
					0, 0, 0x30, 0, 0, 0, 0x40, 0, 0, 0 };
	static const uint8_t zero_len[] = { 2, 0, 5, 10 };
	static const uint8_t over[] = { 5, 10, 0, 0, 0, 1, 0, 0 };
	static const uint8_t odd_sack[] = { 5, 6, 0, 0, 0, 1 };
	static const uint8_t eol_then[] = { 0, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t mss_only[] = { 2, 4, 5, 0xb4 };

	cur_init(&c, good, sizeof(good));
	CHECK_EQ(tcpopt_next(&c, &o), TCPOPT_MORE);
	CHECK_EQ(o.kind, TCPOPT_TS);
	CHECK_EQ(cur_left(&o.val), 8);
	CHECK_EQ(tcpopt_next(&c, &o), TCPOPT_MORE);
	CHECK_EQ(o.kind, TCPOPT_SACK);
	CHECK_EQ(tcpopt_next(&c, &o), TCPOPT_END);
	cur_init(&c, good, sizeof(good));
	tcpopt_sack(&c, &s);
	CHECK_EQ(s.n, 2);
	CHECK(!s.malformed);
	CHECK_EQ(s.left[0], 0x1000u);
	CHECK_EQ(s.right[1], 0x4000u);

	cur_init(&c, zero_len, sizeof(zero_len));
	CHECK_EQ(tcpopt_next(&c, &o), TCPOPT_BAD);
	tcpopt_sack(&c, &s);
	CHECK(s.malformed);
	CHECK_EQ(s.n, 0);
	cur_init(&c, over, sizeof(over));
	tcpopt_sack(&c, &s);
	CHECK(s.malformed);
	CHECK_EQ(s.n, 0);
	cur_init(&c, odd_sack, sizeof(odd_sack));
	tcpopt_sack(&c, &s);
	CHECK(s.malformed);
	cur_init(&c, eol_then, sizeof(eol_then));
	tcpopt_sack(&c, &s);
	CHECK(!s.malformed);
	CHECK_EQ(s.n, 0);
	cur_init(&c, mss_only, sizeof(mss_only));
	tcpopt_sack(&c, &s);
	CHECK(!s.malformed);
	CHECK_EQ(s.n, 0);
	/* Every truncation of the good list: never a read outside, never more blocks. */
	for (size_t n = 0; n <= sizeof(good); n++) {
		cur_init(&c, good, n);
		tcpopt_sack(&c, &s);
		CHECK(s.n <= 2);
		CHECK(n >= 30 || s.n == 0);	/* the SACK option ends at 30 */
	}
}

static size_t tcp_pkt(uint8_t *buf, size_t cap, uint32_t seq, uint32_t ack, uint8_t flags,
		      const uint8_t *opts, size_t optlen, size_t payload)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	static uint8_t data[2000];
	struct build_tcp t = { .sport = 80, .dport = 40000, .seq = seq, .ack = ack,
			       .flags = flags, .win = 1000, .opts = opts, .optlen = optlen };
	struct wcur w;

	wcur_init(&w, buf, cap);
	build_ip6(&w, src, dst, 6, 64, 0, 0, 0);
	build_tcp(&w, &t, data, payload);
	build_ip_finish(&w, 0);
	build_l4_checksum(&w, 0);
	return w.overflow ? 0 : wcur_off(&w);
}

static void test_packets(void)
{
	uint8_t b[2200];
	struct pkt p;
	struct acktrack a;
	static const uint8_t sack_opt[] = { 1, 1, 5, 10, 0, 0, 0x0b, 0xb9, 0, 0, 0x0f, 0xa1 };	/* 3001..4001 */
	static const uint8_t bad_opt[] = { 1, 1, 5, 1 };
	size_t n;

	ackt_init(&a);
	n = tcp_pkt(b, sizeof(b), 1000, 1, TCPF_SYN | TCPF_ACK, NULL, 0, 0);
	CHECK_EQ(pkt_parse(&p, V6_DLT_RAW, b, (uint32_t)n, 0), PKT_OK);
	ackt_backend_pkt(&a, &p);
	n = tcp_pkt(b, sizeof(b), 1001, 1, TCPF_ACK, NULL, 0, 1500);
	CHECK_EQ(pkt_parse(&p, V6_DLT_RAW, b, (uint32_t)n, 0), PKT_OK);
	ackt_backend_pkt(&a, &p);
	CHECK_EQ(a.max, 2501);
	n = tcp_pkt(b, sizeof(b), 2501, 1, TCPF_ACK | TCPF_FIN, NULL, 0, 1500);
	CHECK_EQ(pkt_parse(&p, V6_DLT_RAW, b, (uint32_t)n, 0), PKT_OK);
	ackt_backend_pkt(&a, &p);
	CHECK_EQ(a.max, 4002);
	ackt_frag(&a, 1001, 3000);
	/* Client ACK 2001 with SACK 3001..4001, parsed from the wire. */
	n = tcp_pkt(b, sizeof(b), 1, 2001, TCPF_ACK, sack_opt, sizeof(sack_opt), 0);
	CHECK_EQ(pkt_parse(&p, V6_DLT_RAW, b, (uint32_t)n, 0), PKT_OK);
	ackt_client_pkt(&a, &p);
	CHECK_EQ(a.frag_bytes_acked, 2000);
	CHECK_EQ(a.sack_blocks, 1);
	/* A malformed option list: the cumulative ACK still counts. */
	n = tcp_pkt(b, sizeof(b), 1, 2501, TCPF_ACK, bad_opt, sizeof(bad_opt), 0);
	CHECK_EQ(pkt_parse(&p, V6_DLT_RAW, b, (uint32_t)n, 0), PKT_OK);
	ackt_client_pkt(&a, &p);
	CHECK_EQ(a.frag_bytes_acked, 2500);
	/* Without the ACK flag: ignored.  Truncated captures: the options are not read. */
	n = tcp_pkt(b, sizeof(b), 1, 4001, TCPF_SYN, NULL, 0, 0);
	pkt_parse(&p, V6_DLT_RAW, b, (uint32_t)n, 0);
	ackt_client_pkt(&a, &p);
	CHECK_EQ(a.frag_bytes_acked, 2500);
	n = tcp_pkt(b, sizeof(b), 1, 3001, TCPF_ACK, sack_opt, sizeof(sack_opt), 0);
	for (uint32_t cut = 0; cut < n; cut++) {
		struct acktrack c = a;

		pkt_parse(&p, V6_DLT_RAW, b, cut, (uint32_t)n);
		ackt_client_pkt(&c, &p);
		CHECK(c.frag_bytes_acked <= 3000);
	}
	n = tcp_pkt(b, sizeof(b), 1, 4002, TCPF_ACK, NULL, 0, 0);
	pkt_parse(&p, V6_DLT_RAW, b, (uint32_t)n, 0);
	ackt_client_pkt(&a, &p);
	CHECK_EQ(ackt_verdict(&a), ACKT_DELIVERED);
	CHECK_EQ(a.acks_out_of_window, 0);
	/* Not TCP: nothing happens. */
	p.l4 = 17;
	ackt_client_pkt(&a, &p);
	ackt_backend_pkt(&a, &p);
	CHECK_EQ(a.retransmitted, 0);
}

int main(void)
{
	RUN(test_none);
	RUN(test_delivered_partial_lost);
	RUN(test_retransmission);
	RUN(test_bad_acks);
	RUN(test_wrap);
	RUN(test_bounded_ranges);
	RUN(test_tcpopt);
	RUN(test_packets);
	return t_done();
}
