/* test_sumstream.c - checksums over a stream with fragments: reassembled
 * datagrams verified and attributed to the offset-0 fragment, fixed in the
 * fragment that carries the field, every frame out exactly once and in input
 * order (interleaved traffic, out-of-order and duplicate fragments,
 * incomplete datagrams, timeouts, a long hold), IPv4 fragments too. */
#include <stdint.h>
#include <stdlib.h>

#include "csum.h"
#include "pkt.h"
#include "pktsum.h"
#include "sumstream.h"
#include "t.h"

#define MAXF 4096

static struct {
	unsigned n_out;
	uint64_t out_id[MAXF];		/* ts_nsec of each frame out = its packet number */
	uint8_t out[MAXF][1600];
	uint32_t out_len[MAXF];
	unsigned n_checks, n_bad, n_reass, n_fixed;
	uint64_t reass_pkt;
	uint16_t reass_computed;
	unsigned n_skip;
	uint64_t skip_pkt;
	const char *skip_reason;
} got;

static void on_check(void *ctx, uint64_t pkt, const struct pktsum_check *c, bool reassembled, bool fixed)
{
	(void)ctx;
	got.n_checks++;
	if (c->status == PKTSUM_BAD)
		got.n_bad++;
	if (reassembled) {
		got.n_reass++;
		got.reass_pkt = pkt;
		got.reass_computed = c->computed;
	}
	if (fixed)
		got.n_fixed++;
}

static void on_skip(void *ctx, uint64_t pkt, const char *reason)
{
	(void)ctx;
	got.n_skip++;
	got.skip_pkt = pkt;
	got.skip_reason = reason;
}

static void on_out(void *ctx, const struct sumstream_frame *f)
{
	(void)ctx;
	if (got.n_out < MAXF) {
		got.out_id[got.n_out] = f->ts_nsec;
		memcpy(got.out[got.n_out], f->data, f->caplen < 1600 ? f->caplen : 1600);
		got.out_len[got.n_out] = f->caplen;
	}
	got.n_out++;
}

static const struct sumstream_ops ops = { NULL, on_check, on_skip, on_out };

static const uint8_t A[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void put16(uint8_t *b, uint16_t v) { b[0] = (uint8_t)(v >> 8); b[1] = (uint8_t)v; }

/* A UDP segment of `len` payload octets (UDP header included in the result)
 * with its correct checksum for IPv6 A->B; returns the checksum. */
static uint16_t udp6(uint8_t *seg, unsigned len, uint8_t fill)
{
	uint16_t c;

	put16(seg, 1000);
	put16(seg + 2, 2000);
	put16(seg + 4, (uint16_t)(8 + len));
	put16(seg + 6, 0);
	memset(seg + 8, fill, len);
	c = csum_fold(csum_partial(seg, 8 + len, csum_pseudo6(A, B, 17, 8 + len)));
	put16(seg + 6, c ? c : 0xffff);
	return c ? c : 0xffff;
}

/* IPv6 fragment of seg[off, off+len) into f; returns the frame length. */
static unsigned frag6(uint8_t *f, const uint8_t *seg, unsigned off, unsigned len, bool more, uint32_t id)
{
	memset(f, 0, 48);
	f[0] = 0x60;
	put16(f + 4, (uint16_t)(8 + len));
	f[6] = 44;
	f[7] = 64;
	memcpy(f + 8, A, 16);
	memcpy(f + 24, B, 16);
	f[40] = 17;
	put16(f + 42, (uint16_t)(off | (more ? 1 : 0)));
	f[44] = (uint8_t)(id >> 24);
	f[45] = (uint8_t)(id >> 16);
	f[46] = (uint8_t)(id >> 8);
	f[47] = (uint8_t)id;
	memcpy(f + 48, seg + off, len);
	return 48 + len;
}

/* A whole unfragmented IPv6 UDP packet. */
static unsigned plain6(uint8_t *f, uint8_t fill)
{
	memset(f, 0, 40);
	f[0] = 0x60;
	put16(f + 4, 8 + 20);
	f[6] = 17;
	f[7] = 64;
	memcpy(f + 8, A, 16);
	memcpy(f + 24, B, 16);
	udp6(f + 40, 20, fill);
	return 68;
}

static void feed(struct sumstream *s, uint64_t pkt, const uint8_t *f, unsigned len, int64_t sec)
{
	struct sumstream_frame fr = { .data = f, .caplen = len, .wirelen = len, .ts_sec = sec, .ts_nsec = (uint32_t)pkt };

	sumstream_add(s, pkt, &fr);
}

static bool in_order(unsigned n)
{
	if (got.n_out != n)
		return false;
	for (unsigned i = 0; i < n; i++)
		if (got.out_id[i] != i + 1)
			return false;
	return true;
}

/* Fragments A B C with packets between them; the checksum is bad and the fix
 * lands in the offset-0 fragment; frames leave in input order. */
static void test_interleaved_fix(void)
{
	uint8_t seg[8 + 200], f[6][1600];
	unsigned l[6];
	uint16_t good;
	struct sumstream *s;

	memset(&got, 0, sizeof(got));
	good = udp6(seg, 200, 'x');
	put16(seg + 6, (uint16_t)(good ^ 0x0f0f));	/* bad */
	l[0] = frag6(f[0], seg, 0, 80, true, 7);
	l[1] = plain6(f[1], 'a');
	l[2] = frag6(f[2], seg, 80, 80, true, 7);
	l[3] = plain6(f[3], 'b');
	l[4] = frag6(f[4], seg, 160, 48, false, 7);
	l[5] = plain6(f[5], 'c');
	s = sumstream_new(V6_DLT_RAW, SUMSTREAM_FIX, &ops);
	for (unsigned i = 0; i < 6; i++) {
		feed(s, i + 1, f[i], l[i], (int64_t)(i + 1));
		if (i == 1)
			CHECK_EQ(got.n_out, 0);	/* held behind the first fragment */
	}
	CHECK_EQ(got.n_out, 6);		/* released by completion, before finish */
	sumstream_finish(s);
	sumstream_free(s);
	CHECK(in_order(6));
	CHECK_EQ(got.n_reass, 1);
	CHECK_EQ(got.reass_pkt, 1);
	CHECK_EQ(got.reass_computed, good);
	CHECK_EQ(got.n_fixed, 1);
	CHECK_EQ(got.n_skip, 0);
	/* the first fragment now carries the right checksum; nothing else changed */
	CHECK_EQ(got.out[0][48 + 6] << 8 | got.out[0][48 + 7], good);
	got.out[0][48 + 6] = f[0][48 + 6];
	got.out[0][48 + 7] = f[0][48 + 7];
	for (unsigned i = 0; i < 6; i++)
		CHECKF(got.out_len[i] == l[i] && !memcmp(got.out[i], f[i], l[i]), "frame %u changed", i + 1);
}

/* Last fragment first, a duplicate of the middle one: the datagram is
 * attributed to the packet of the offset-0 fragment; nothing stalls. */
static void test_out_of_order_and_duplicate(void)
{
	uint8_t seg[8 + 200], f[5][1600];
	unsigned l[5];
	uint16_t good;
	struct sumstream *s;

	memset(&got, 0, sizeof(got));
	good = udp6(seg, 200, 'y');
	put16(seg + 6, (uint16_t)(good + 1));
	l[0] = frag6(f[0], seg, 160, 48, false, 9);
	l[1] = frag6(f[1], seg, 80, 80, true, 9);
	l[2] = frag6(f[2], seg, 80, 80, true, 9);	/* duplicate */
	l[3] = frag6(f[3], seg, 0, 80, true, 9);
	l[4] = plain6(f[4], 'z');
	s = sumstream_new(V6_DLT_RAW, SUMSTREAM_FIX, &ops);
	for (unsigned i = 0; i < 5; i++)
		feed(s, i + 1, f[i], l[i], (int64_t)(i + 1));
	CHECK_EQ(got.n_out, 5);
	sumstream_finish(s);
	sumstream_free(s);
	CHECK(in_order(5));
	CHECK_EQ(got.reass_pkt, 4);
	CHECK_EQ(got.n_fixed, 1);
	CHECK_EQ(got.out[3][48 + 6] << 8 | got.out[3][48 + 7], good);
}

/* An incomplete datagram is reported once (at finish, or when it expires in
 * packet time) and its frames still go out, in order. */
static void test_incomplete_and_timeout(void)
{
	uint8_t seg[8 + 200], f[1600], g[1600];
	unsigned lf, lg;
	struct sumstream *s;

	memset(&got, 0, sizeof(got));
	udp6(seg, 200, 'q');
	lf = frag6(f, seg, 0, 80, true, 11);
	lg = plain6(g, 'r');
	s = sumstream_new(V6_DLT_RAW, SUMSTREAM_FIX, &ops);
	feed(s, 1, f, lf, 100);
	feed(s, 2, g, lg, 101);
	CHECK_EQ(got.n_out, 0);
	sumstream_finish(s);
	sumstream_free(s);
	CHECK(in_order(2));
	CHECK_EQ(got.n_skip, 1);
	CHECK_EQ(got.skip_pkt, 1);
	CHECK(got.skip_reason && !strcmp(got.skip_reason, "incomplete_datagram"));

	/* the same, expired by packet time 70 s later, before the end */
	memset(&got, 0, sizeof(got));
	s = sumstream_new(V6_DLT_RAW, SUMSTREAM_FIX, &ops);
	feed(s, 1, f, lf, 100);
	feed(s, 2, g, lg, 101);
	feed(s, 3, g, lg, 170);
	CHECK_EQ(got.n_skip, 1);
	CHECK_EQ(got.n_out, 3);
	sumstream_finish(s);
	sumstream_free(s);
	CHECK_EQ(got.n_out, 3);
}

/* Hundreds of frames held behind an incomplete datagram: the ring grows and
 * order is kept. */
static void test_long_hold(void)
{
	uint8_t seg[8 + 200], f[1600], g[1600], h[1600];
	unsigned lf, lg, lh, n = 0;
	struct sumstream *s;

	memset(&got, 0, sizeof(got));
	udp6(seg, 200, 'w');
	lf = frag6(f, seg, 0, 80, true, 13);
	lh = frag6(h, seg, 80, 128, false, 13);
	lg = plain6(g, 'v');
	s = sumstream_new(V6_DLT_RAW, SUMSTREAM_FIX, &ops);
	n++;
	feed(s, n, f, lf, 1);
	for (unsigned i = 0; i < 1000; i++) {
		n++;
		feed(s, n, g, lg, 1 + (int64_t)n / 100);
	}
	CHECK_EQ(got.n_out, 0);
	n++;
	feed(s, n, h, lh, 20);
	CHECK_EQ(got.n_out, n);
	sumstream_finish(s);
	sumstream_free(s);
	CHECK(in_order(n));
	CHECK_EQ(got.n_bad, 0);
	CHECK_EQ(got.n_reass, 1);
}

/* IPv4: fragments of a UDP datagram with a bad checksum; verification only
 * (no output), and the fix in the first fragment. */
static void test_ipv4(void)
{
	static const uint8_t a4[4] = { 192, 0, 2, 1 }, b4[4] = { 192, 0, 2, 2 };
	uint8_t seg[8 + 100], f[2][200];
	unsigned l[2];
	uint16_t good;
	struct sumstream *s;

	memset(&got, 0, sizeof(got));
	put16(seg, 1);
	put16(seg + 2, 2);
	put16(seg + 4, 108);
	put16(seg + 6, 0);
	memset(seg + 8, 'k', 100);
	good = csum_fold(csum_partial(seg, 108, csum_pseudo4(a4, b4, 17, 108)));
	put16(seg + 6, (uint16_t)(good ^ 0x1000));
	for (unsigned i = 0; i < 2; i++) {
		unsigned off = i ? 56 : 0, len = i ? 52 : 56;
		uint8_t *p = f[i];

		memset(p, 0, 20);
		p[0] = 0x45;
		put16(p + 2, (uint16_t)(20 + len));
		put16(p + 4, 0x4242);
		put16(p + 6, (uint16_t)((i ? 0 : 0x2000) | off / 8));
		p[8] = 64;
		p[9] = 17;
		memcpy(p + 12, a4, 4);
		memcpy(p + 16, b4, 4);
		put16(p + 10, csum_buf(p, 20));
		memcpy(p + 20, seg + off, len);
		l[i] = 20 + len;
	}
	s = sumstream_new(V6_DLT_RAW, 0, &ops);
	feed(s, 1, f[0], l[0], 1);
	feed(s, 2, f[1], l[1], 1);
	sumstream_finish(s);
	sumstream_free(s);
	CHECK_EQ(got.n_out, 0);
	CHECK_EQ(got.n_bad, 1);
	CHECK_EQ(got.n_fixed, 0);
	CHECK_EQ(got.reass_pkt, 1);
	CHECK_EQ(got.reass_computed, good);
	CHECK_EQ(got.n_checks, 3);	/* two IPv4 headers, one UDP */

	memset(&got, 0, sizeof(got));
	s = sumstream_new(V6_DLT_RAW, SUMSTREAM_FIX, &ops);
	feed(s, 1, f[0], l[0], 1);
	feed(s, 2, f[1], l[1], 1);
	sumstream_finish(s);
	sumstream_free(s);
	CHECK(in_order(2));
	CHECK_EQ(got.n_fixed, 1);
	CHECK_EQ(got.out[0][26] << 8 | got.out[0][27], good);
	CHECK(!memcmp(got.out[0], f[0], 26));
	CHECK(!memcmp(got.out[1], f[1], l[1]));
}

int main(void)
{
	RUN(test_interleaved_fix);
	RUN(test_out_of_order_and_duplicate);
	RUN(test_incomplete_and_timeout);
	RUN(test_long_hold);
	RUN(test_ipv4);
	return t_done();
}
