/* test_csum.c - RFC 1071 sums, pseudo-headers (RFC 768, 8200 §8.1) and
 * RFC 1624 incremental updates against known packets and the naive loop. */
#include <stdint.h>
#include <string.h>

#include "csum.h"
#include "cursor.h"
#include "t.h"

#define V6_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* xorshift: reproducible "random" data, so a failure can be replayed. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void rnd_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static uint16_t be16_at(const uint8_t *pkt, size_t len, size_t off)
{
	struct cur c;
	uint16_t v;

	cur_init(&c, pkt, len);
	return cur_peek_be16(&c, off, &v) ? v : 0xdead;
}

static void set_be16_at(uint8_t *pkt, size_t len, size_t off, uint16_t v)
{
	struct wcur w;

	wcur_init(&w, pkt, len);
	wcur_set_be16(&w, off, v);
}

/* RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2, checksum 220d. */
static void rfc1071_example(void)
{
	static const uint8_t b[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t out[2];

	CHECK_EQ(csum_buf(b, 8), 0x220d);
	CHECK_EQ(csum_fold(csum_partial_ref(b, 8, 0)), 0x220d);
	/* Folding is order-free: any split at even points gives the same. */
	CHECK_EQ(csum_fold(csum_partial(b + 4, 4, csum_partial(b, 4, 0))), 0x220d);
	set_be16_at(out, 2, 0, csum_buf(b, 8));
	CHECK(out[0] == 0x22 && out[1] == 0x0d);
	/* Empty buffer: sum 0, checksum 0xffff; sum passes through. */
	CHECK_EQ(csum_buf(b, 0), 0xffff);
	CHECK_EQ(csum_partial(b, 0, 1234), 1234);
}

/* Packets built by scapy 2.5 (python3 -c, once); their checksums are scapy's. */
static const char ip4_udp_hex[] =
	"4500002d1c4640004011323ec0000201c633640714e900350019cc9868656c6c6f2c20636865636b73756d2121";
static const char ip4_tcp_hex[] =
	"4500002c00010000400666c90a0000010a00000204d20050000003e800000000600220005b1a0000020405b4";
static const char ip6_udp_hex[] =
	"600000000025114020010db800000000000000000000000120010db80000000100000000000000539c40003500250ac6"
	"123401000001000000000000076578616d706c6503636f6d00001c0001";
static const char ip6_ra_hex[] =
	"6000000000383afffe800000000000000000000000000001ff0200000000000000000000000000018600007700080708"
	"0000000000000000030440c0ffffffffffffffff0000000020010db80001000000000000000000000101020000000001";
static const char ip6_echo_odd_hex[] =	/* 19-octet ICMPv6 message: odd length */
	"6000000000133a4020010db800000000000000000000000a20010db800000000000000000000000b8000abef12340007"
	"6162636465666768696a6b";

/* Verify then recompute the IPv4 header checksum. */
static void check_ip4_header(uint8_t *pkt, size_t len, uint16_t expect)
{
	CHECK_EQ(be16_at(pkt, len, 10), expect);
	CHECK_EQ(csum_buf(pkt, 20), 0);			/* stored value validates */
	set_be16_at(pkt, len, 10, 0);
	CHECK_EQ(csum_buf(pkt, 20), expect);		/* and is recomputed */
	set_be16_at(pkt, len, 10, expect);
}

/* Transport checksum at `csum_off` (from the start of the transport header). */
static void check_l4(uint8_t *pkt, size_t len, size_t l4, size_t csum_off, uint32_t pseudo, uint16_t expect)
{
	size_t ulen = len - l4;

	CHECK_EQ(be16_at(pkt, len, l4 + csum_off), expect);
	CHECK_EQ(csum_fold(csum_partial(pkt + l4, ulen, pseudo)), 0);
	CHECK_EQ(csum_fold(csum_partial_ref(pkt + l4, ulen, pseudo)), 0);
	set_be16_at(pkt, len, l4 + csum_off, 0);
	CHECK_EQ(csum_fold(csum_partial(pkt + l4, ulen, pseudo)), expect);
	set_be16_at(pkt, len, l4 + csum_off, expect);
}

static void known_packets(void)
{
	uint8_t pkt[256];
	size_t n;

	n = t_unhex(ip4_udp_hex, pkt, sizeof(pkt));
	CHECK_EQ(n, 45);
	check_ip4_header(pkt, n, 0x323e);
	check_l4(pkt, n, 20, 6, csum_pseudo4(pkt + 12, pkt + 16, 17, (uint32_t)n - 20), 0xcc98);

	n = t_unhex(ip4_tcp_hex, pkt, sizeof(pkt));
	CHECK_EQ(n, 44);
	check_ip4_header(pkt, n, 0x66c9);
	check_l4(pkt, n, 20, 16, csum_pseudo4(pkt + 12, pkt + 16, 6, (uint32_t)n - 20), 0x5b1a);

	n = t_unhex(ip6_udp_hex, pkt, sizeof(pkt));
	CHECK_EQ(n, 77);
	check_l4(pkt, n, 40, 6, csum_pseudo6(pkt + 8, pkt + 24, 17, (uint32_t)n - 40), 0x0ac6);

	n = t_unhex(ip6_ra_hex, pkt, sizeof(pkt));
	CHECK_EQ(n, 96);
	check_l4(pkt, n, 40, 2, csum_pseudo6(pkt + 8, pkt + 24, 58, (uint32_t)n - 40), 0x0077);

	n = t_unhex(ip6_echo_odd_hex, pkt, sizeof(pkt));
	CHECK_EQ(n, 59);
	check_l4(pkt, n, 40, 2, csum_pseudo6(pkt + 8, pkt + 24, 58, (uint32_t)n - 40), 0xabef);

	/* Same packet at an odd address: the result must not depend on it. */
	uint8_t shifted[257];
	memcpy(shifted + 1, pkt, n);
	CHECK_EQ(csum_fold(csum_partial(shifted + 41, n - 40, csum_pseudo6(pkt + 8, pkt + 24, 58, (uint32_t)n - 40))), 0);

	/* A wrong checksum is detected. */
	pkt[45] ^= 0x01;
	CHECK(csum_fold(csum_partial(pkt + 40, n - 40, csum_pseudo6(pkt + 8, pkt + 24, 58, (uint32_t)n - 40))) != 0);
}

/* Pseudo-headers against their literal byte layouts. */
static void pseudo_headers(void)
{
	uint8_t ph6[40], ph4[12], src[16], dst[16];

	for (int k = 0; k < 200; k++) {
		uint32_t len = k == 0 ? 0x00012345 : k == 1 ? 0xffffffff : rnd();	/* jumbograms too */
		uint8_t nh = (uint8_t)rnd();

		rnd_fill(src, 16);
		rnd_fill(dst, 16);
		memcpy(ph6, src, 16);
		memcpy(ph6 + 16, dst, 16);
		ph6[32] = (uint8_t)(len >> 24);
		ph6[33] = (uint8_t)(len >> 16);
		ph6[34] = (uint8_t)(len >> 8);
		ph6[35] = (uint8_t)len;
		ph6[36] = ph6[37] = ph6[38] = 0;
		ph6[39] = nh;
		CHECK_EQ(csum_fold(csum_pseudo6(src, dst, nh, len)), csum_buf(ph6, 40));

		memcpy(ph4, src, 4);
		memcpy(ph4 + 4, dst, 4);
		ph4[8] = 0;
		ph4[9] = nh;
		ph4[10] = (uint8_t)(len >> 8);
		ph4[11] = (uint8_t)len;
		CHECK_EQ(csum_fold(csum_pseudo4(src, dst, nh, len & 0xffff)), csum_buf(ph4, 12));
	}
	/* csum_add16 adds the field as it would lie big-endian in the packet. */
	uint8_t f[2] = { 0x12, 0x34 };
	CHECK_EQ(csum_fold(csum_add16(0, 0x1234)), csum_buf(f, 2));
	CHECK_EQ(csum_fold(csum_add16(0, 0x1234)), 0xedcb);
}

/* Every length 0..2048 at every start alignment 0..15, random contents. */
static void fast_equals_ref(void)
{
	static uint8_t buf[2048 + 16 + 64];
	unsigned bad = 0;

	for (size_t len = 0; len <= 2048; len++) {
		rnd_fill(buf, len + 16);
		for (size_t a = 0; a < 16; a++) {
			uint32_t init = len % 3 ? rnd() : 0;
			uint32_t f = csum_partial(buf + a, len, init);
			uint32_t r = csum_partial_ref(buf + a, len, init);

			if (csum_fold(f) != csum_fold(r) && bad++ < 5)
				CHECKF(0, "len %zu align %zu: %#x vs %#x", len, a, f, r);
		}
	}
	CHECK_EQ(bad, 0);
}

/* Carry-heavy contents (all 0xff, all 0x00, alternating) and sizes crossing
 * the fast loop's internal chunk (1 MiB), at even and odd addresses. */
static void extreme_contents(void)
{
	size_t cap = (3u << 20) + 64;
	uint8_t *buf = malloc(cap);
	static const uint8_t fill[] = { 0xff, 0x00, 0x80, 0x7f };

	CHECK(buf != NULL);
	if (!buf)
		return;
	for (size_t k = 0; k < sizeof(fill); k++) {
		memset(buf, fill[k], cap);
		for (size_t a = 0; a < 2; a++) {
			size_t lens[] = { 63, 64, 65, 4095, (1u << 20) - 1, 1u << 20, (1u << 20) + 3, 3u << 20 };

			for (size_t i = 0; i < V6_ARRAY_LEN(lens); i++)
				CHECKF(csum_fold(csum_partial(buf + a, lens[i], 0xffffffff)) ==
				       csum_fold(csum_partial_ref(buf + a, lens[i], 0xffffffff)),
				       "fill %#x align %zu len %zu", fill[k], a, lens[i]);
		}
	}
	/* All-0xff data sums to -0: checksum 0 (never 0xffff for non-zero data). */
	memset(buf, 0xff, 64);
	CHECK_EQ(csum_buf(buf, 64), 0);
	free(buf);
}

/* Chained partial sums over random split points, odd ones included. */
static void chaining(void)
{
	uint8_t buf[1500];

	for (int k = 0; k < 3000; k++) {
		size_t n = rnd() % sizeof(buf), s1, s2;
		uint16_t whole;
		uint32_t s;

		rnd_fill(buf, n);
		whole = csum_buf(buf, n);
		s1 = n ? rnd() % (n + 1) : 0;
		s2 = s1 + (n - s1 ? rnd() % (n - s1 + 1) : 0);
		/* Three blocks, each summed alone, placed by offset. */
		s = csum_partial(buf, s1, 0);
		s = csum_block_add(s, csum_partial(buf + s1, s2 - s1, 0), s1);
		s = csum_block_add(s, csum_partial(buf + s2, n - s2, 0), s2);
		CHECKF(csum_fold(s) == whole, "n %zu split %zu,%zu", n, s1, s2);
		/* Even split points chain through the `sum` argument directly. */
		s1 &= ~(size_t)1;
		s = csum_partial(buf + s1, n - s1, csum_partial(buf, s1, 0));
		CHECKF(csum_fold(s) == whole, "n %zu split %zu", n, s1);
	}
	/* An odd split chained naively is wrong: the test above can fail. */
	uint8_t b[4] = { 0x12, 0x34, 0x56, 0x78 };
	CHECK(csum_fold(csum_partial(b + 1, 3, csum_partial(b, 1, 0))) != csum_buf(b, 4));
}

/* RFC 1624 §3: m 0x5555 -> 0x3285 with the rest summing to 0xcd7a. */
static void rfc1624_corner(void)
{
	uint8_t h[4];

	set_be16_at(h, 4, 0, 0xcd7a);	/* "the rest" */
	set_be16_at(h, 4, 2, 0x5555);
	CHECK_EQ(csum_buf(h, 4), 0xdd2f);
	set_be16_at(h, 4, 2, 0x3285);
	CHECK_EQ(csum_buf(h, 4), 0x0000);	/* full recomputation: +0 */
	CHECK_EQ(csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);	/* eqn. 3, not -0 0xffff */
	/* And back again. */
	CHECK_EQ(csum_update16(0x0000, 0x3285, 0x5555), 0xdd2f);
	/* No change leaves the checksum alone, even a -0 one. */
	CHECK_EQ(csum_update16(0x1234, 0xabcd, 0xabcd), 0x1234);
	uint8_t o[2] = { 0x55, 0x55 }, n[2] = { 0x32, 0x85 };
	CHECK_EQ(csum_update_bytes(0xdd2f, o, n, 2), 0x0000);
}

/* Host-order folded sum of the data with the field at `off` taken as zero. */
static uint16_t fold_excluding(const uint8_t *d, size_t n, size_t off)
{
	uint8_t tmp[256];

	memcpy(tmp, d, n);
	set_be16_at(tmp, n, off, 0);
	return (uint16_t)~csum_buf(tmp, n);
}

/* Thousands of random field and address changes: update == recompute. */
static void incremental_updates(void)
{
	uint8_t data[200], old[16];
	unsigned bad16 = 0, badaddr = 0;

	for (int k = 0; k < 20000; k++) {
		size_t n = 20 + 2 * (rnd() % 90);
		size_t off = 2 * (rnd() % (n / 2));
		uint16_t hc, oldv, newv, upd;

		rnd_fill(data, n);
		hc = csum_buf(data, n);
		oldv = be16_at(data, n, off);
		switch (k % 8) {
		case 0: newv = 0x0000; break;
		case 1: newv = 0xffff; break;
		case 2: newv = oldv; break;
		default: newv = (uint16_t)rnd(); break;
		}
		/* Make the new sum -0 now and then (RFC 1624's case). */
		if (k % 16 == 5)
			newv = (uint16_t)~fold_excluding(data, n, off);
		set_be16_at(data, n, off, newv);
		upd = csum_update16(hc, oldv, newv);
		if (upd != csum_buf(data, n) && bad16++ < 5)
			CHECKF(0, "16-bit: n %zu off %zu %#x->%#x: %#x vs %#x", n, off, oldv, newv, upd,
			       csum_buf(data, n));

		/* A 16-octet address somewhere at an even offset. */
		off = 2 * (rnd() % ((n - 16) / 2 + 1));
		hc = csum_buf(data, n);
		memcpy(old, data + off, 16);
		rnd_fill(data + off, 16);
		if (k % 5 == 0)
			memcpy(data + off, old, 8);	/* only the interface identifier changes */
		upd = csum_update_bytes(hc, old, data + off, 16);
		if (upd != csum_buf(data, n) && badaddr++ < 5)
			CHECKF(0, "address: n %zu off %zu: %#x vs %#x", n, off, upd, csum_buf(data, n));
	}
	CHECK_EQ(bad16, 0);
	CHECK_EQ(badaddr, 0);
}

/* A NAT-style source rewrite of a real UDP/IPv6 packet via the pseudo-header. */
static void rewrite_real_packet(void)
{
	uint8_t pkt[128], newsrc[16];
	size_t n = t_unhex(ip6_udp_hex, pkt, sizeof(pkt));
	uint16_t hc = be16_at(pkt, n, 46), upd;

	t_unhex("20010db8ffff00000000000000000042", newsrc, 16);
	upd = csum_update_bytes(hc, pkt + 8, newsrc, 16);
	memcpy(pkt + 8, newsrc, 16);
	set_be16_at(pkt, n, 46, upd);
	CHECK_EQ(csum_fold(csum_partial(pkt + 40, n - 40, csum_pseudo6(pkt + 8, pkt + 24, 17, (uint32_t)n - 40))), 0);
	CHECK(upd != hc);
}

int main(void)
{
	RUN(rfc1071_example);
	RUN(known_packets);
	RUN(pseudo_headers);
	RUN(fast_equals_ref);
	RUN(extreme_contents);
	RUN(chaining);
	RUN(rfc1624_corner);
	RUN(incremental_updates);
	RUN(rewrite_real_packet);
	return t_done();
}
