/* test_rewrite.c - MAC/IP rewriting with RFC 1624 incremental checksum
 * updates: every rewritten packet's checksums must equal a full recompute
 * (RFC 1071, RFC 768/9293/4443 pseudo-headers), and wrong ones stay wrong. */
#include <stdint.h>
#include <string.h>

#include "args.h"
#include "csum.h"
#include "cursor.h"
#include "pkt.h"
#include "rewrite.h"
#include "t.h"

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };

static void ip6(const char *s, uint8_t a[16])
{
	char err[ARG_ERRLEN];

	if (!parse_ip6(s, a, err))
		memset(a, 0, 16);
}

static void map(struct v6_rewrite *m, const char *s)
{
	char err[ARG_ERRLEN];

	CHECKF(parse_rewrite(s, m, err), "%s: %s", s, err);
}

/* Ethernet + IPv6 + UDP (or ICMPv6 echo) with a correct checksum. */
static size_t frame6(uint8_t *buf, size_t cap, uint8_t nh, const char *src, const char *dst,
		     size_t payload)
{
	uint8_t s[16], d[16];
	struct wcur w;
	size_t l4len = 8 + payload;
	uint32_t sum;

	ip6(src, s);
	ip6(dst, d);
	wcur_init(&w, buf, cap);
	wcur_bytes(&w, mac_b, 6);
	wcur_bytes(&w, mac_a, 6);
	wcur_be16(&w, 0x86dd);
	wcur_be32(&w, 0x60000000);
	wcur_be16(&w, (uint16_t)l4len);
	wcur_u8(&w, nh);
	wcur_u8(&w, 64);
	wcur_bytes(&w, s, 16);
	wcur_bytes(&w, d, 16);
	if (nh == 17) {
		wcur_be16(&w, 5353);
		wcur_be16(&w, 53);
		wcur_be16(&w, (uint16_t)l4len);
		wcur_be16(&w, 0);
	} else {
		wcur_be32(&w, 0x80000000);
		wcur_be32(&w, 0x12340001);
	}
	for (size_t i = 0; i < payload; i++)
		wcur_u8(&w, (uint8_t)(i * 7 + 1));
	sum = csum_pseudo6(s, d, nh, (uint32_t)l4len);
	sum = csum_partial(buf + 54, l4len, sum);
	wcur_set_be16(&w, 54 + (nh == 17 ? 6 : 2), csum_fold(sum));
	return wcur_off(&w);
}

/* Ethernet + IPv4 + TCP (or UDP) with correct checksums. */
static size_t frame4(uint8_t *buf, size_t cap, uint8_t proto, const uint8_t s[4],
		     const uint8_t d[4], size_t payload, bool udp_zero)
{
	struct wcur w;
	size_t l4len = (proto == 6 ? 20 : 8) + payload;
	uint32_t sum;

	wcur_init(&w, buf, cap);
	wcur_bytes(&w, mac_b, 6);
	wcur_bytes(&w, mac_a, 6);
	wcur_be16(&w, 0x0800);
	wcur_be16(&w, 0x4500);
	wcur_be16(&w, (uint16_t)(20 + l4len));
	wcur_be32(&w, 0x12344000);
	wcur_be16(&w, (uint16_t)(64 << 8 | proto));
	wcur_be16(&w, 0);
	wcur_bytes(&w, s, 4);
	wcur_bytes(&w, d, 4);
	wcur_set_be16(&w, 24, csum_buf(buf + 14, 20));
	if (proto == 6) {
		wcur_be32(&w, 0x04d20050);
		wcur_be32(&w, 1000);
		wcur_be32(&w, 0);
		wcur_be32(&w, 0x50022000);
		wcur_be32(&w, 0);
	} else {
		wcur_be16(&w, 1234);
		wcur_be16(&w, 53);
		wcur_be16(&w, (uint16_t)l4len);
		wcur_be16(&w, 0);
	}
	for (size_t i = 0; i < payload; i++)
		wcur_u8(&w, (uint8_t)(i * 3 + 5));
	if (!udp_zero) {
		sum = csum_pseudo4(s, d, proto, (uint32_t)l4len);
		sum = csum_partial(buf + 34, l4len, sum);
		uint16_t v = csum_fold(sum);
		if (proto == 17 && v == 0)
			v = 0xffff;
		wcur_set_be16(&w, 34 + (proto == 6 ? 16 : 6), v);
	}
	return wcur_off(&w);
}

/* The folded sum over pseudo-header and segment: 0 when the transport
 * checksum is right, and a measure of how wrong it is otherwise. */
static uint16_t residual6(const uint8_t *f, size_t len)
{
	struct pkt p;
	const struct pkt_ip *ip;

	pkt_parse(&p, V6_DLT_EN10MB, f, (uint32_t)len, (uint32_t)len);
	ip = pkt_inner(&p);
	if (!ip)
		return 0xdead;
	return csum_fold(csum_partial(f + ip->ul_off, ip->ul_len,
				      csum_pseudo6(ip->src, ip->final_dst, p.l4, ip->ul_len)));
}

/* Full recompute: true when every checksum of the frame verifies. */
static bool all_good(const uint8_t *f, size_t len)
{
	struct pkt p;
	const struct pkt_ip *ip;
	uint32_t sum;

	pkt_parse(&p, V6_DLT_EN10MB, f, (uint32_t)len, (uint32_t)len);
	ip = pkt_inner(&p);
	if (!ip)
		return false;
	if (ip->version == 4) {
		if (csum_buf(f + ip->off, ip->hlen) != 0)
			return false;
		if (p.l4 == 17 && p.l4_csum == 0)
			return true;
		sum = csum_pseudo4(ip->src, ip->dst, p.l4, ip->ul_len);
	} else {
		sum = csum_pseudo6(ip->src, ip->final_dst, p.l4, ip->ul_len);
	}
	return csum_fold(csum_partial(f + ip->ul_off, ip->ul_len, sum)) == 0;
}

static void map_prefixes(void)
{
	struct v6_rewrite m[2];
	uint8_t in[16], out[16], want[16];

	map(&m[0], "2001:db8:1::/48=2001:db8:ff00::/48");
	map(&m[1], "192.0.2.0/24=198.51.100.0/24");
	ip6("2001:db8:1:abcd::42", in);
	CHECK(rewrite_map_addr(m, 2, 6, in, out));
	ip6("2001:db8:ff00:abcd::42", want);
	CHECK_MEM(out, want, 16);
	ip6("2001:db8:2::42", in);
	CHECK(!rewrite_map_addr(m, 2, 6, in, out));
	uint8_t a4[4] = { 192, 0, 2, 77 }, o4[4];
	CHECK(rewrite_map_addr(m, 2, 4, a4, o4));
	CHECK(o4[0] == 198 && o4[1] == 51 && o4[2] == 100 && o4[3] == 77);
	/* A prefix length that is not a multiple of 8 keeps the host bits. */
	map(&m[0], "10.0.0.0/12=172.16.0.0/12");
	uint8_t b4[4] = { 10, 0x0f, 1, 2 };
	CHECK(rewrite_map_addr(m, 1, 4, b4, o4));
	CHECK(o4[0] == 172 && o4[1] == 0x1f && o4[2] == 1 && o4[3] == 2);
	/* First match wins; a family mismatch never matches. */
	map(&m[0], "2001:db8::1=2001:db8::2");
	map(&m[1], "2001:db8::/32=3fff::/32");
	ip6("2001:db8::1", in);
	CHECK(rewrite_map_addr(m, 2, 6, in, out));
	ip6("2001:db8::2", want);
	CHECK_MEM(out, want, 16);
	CHECK(!rewrite_map_addr(m, 2, 4, in, out));
}

static void udp6_and_icmp6(void)
{
	static uint8_t f[1600];
	struct rewrite_cfg cfg = { 0 };
	struct pkt p;

	map(&cfg.src[cfg.n_src++], "2001:db8:1::/48=2001:db8:aaaa::/48");
	map(&cfg.dst[cfg.n_dst++], "2001:db8:2::1=fd00::1234:5678");
	for (size_t pay = 0; pay < 300; pay += 37) {
		for (int icmp = 0; icmp < 2; icmp++) {
			size_t n = frame6(f, sizeof(f), icmp ? 58 : 17, "2001:db8:1::7", "2001:db8:2::1", pay);
			uint8_t before[16], after[16];

			CHECK(all_good(f, n));
			memcpy(before, f + 22, 16);
			unsigned done = rewrite_frame(&cfg, V6_DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, &p);
			CHECK(done & REWRITE_IP);
			CHECK(done & REWRITE_CSUM);
			CHECK(all_good(f, n));
			memcpy(after, f + 22, 16);
			CHECK(memcmp(before, after, 16) != 0);
			ip6("2001:db8:aaaa::7", before);
			CHECK_MEM(after, before, 16);
		}
	}
}

static void tcp4_udp4(void)
{
	static uint8_t f[1600];
	const uint8_t s[4] = { 192, 0, 2, 1 }, d[4] = { 198, 51, 100, 9 };
	struct rewrite_cfg cfg = { 0 };
	struct pkt p;
	size_t n;

	map(&cfg.src[cfg.n_src++], "192.0.2.0/24=10.1.2.0/24");
	map(&cfg.dst[cfg.n_dst++], "198.51.100.9=203.0.113.200");
	cfg.set_src_mac = true;
	memcpy(cfg.src_mac, mac_b, 6);
	for (size_t pay = 0; pay < 100; pay += 13) {
		n = frame4(f, sizeof(f), 6, s, d, pay, false);
		CHECK(all_good(f, n));
		CHECK(rewrite_frame(&cfg, V6_DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, &p) & REWRITE_MAC);
		CHECK(all_good(f, n));
		CHECK(f[26] == 10 && f[30] == 203 && f[33] == 200);
		CHECK_MEM(f + 6, mac_b, 6);
		n = frame4(f, sizeof(f), 17, s, d, pay, false);
		rewrite_frame(&cfg, V6_DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, &p);
		CHECK(all_good(f, n));
	}
	/* UDP over IPv4 without a checksum keeps none. */
	n = frame4(f, sizeof(f), 17, s, d, 20, true);
	rewrite_frame(&cfg, V6_DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, &p);
	CHECK(f[40] == 0 && f[41] == 0);
	CHECK(all_good(f, n));
}

/* A wrong checksum stays exactly as wrong; a snaplen-cut frame still gets
 * its header checksums right; nothing is read past the capture. */
static void wrong_and_short(void)
{
	static uint8_t f[1600], g[1600];
	struct rewrite_cfg cfg = { 0 };
	struct pkt p;
	size_t n;
	uint16_t r1;

	map(&cfg.src[cfg.n_src++], "2001:db8:1::/48=2001:db8:aaaa::/48");
	n = frame6(f, sizeof(f), 17, "2001:db8:1::7", "2001:db8:2::1", 100);
	f[60] ^= 0x55;		/* break the UDP checksum */
	r1 = residual6(f, n);
	CHECK(r1 != 0);
	rewrite_frame(&cfg, V6_DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, &p);
	CHECK_EQ(residual6(f, n), r1);
	CHECK(!all_good(f, n));
	/* Cut to 64 octets: the UDP checksum field (offset 60) is in. */
	n = frame6(f, sizeof(f), 17, "2001:db8:1::7", "2001:db8:2::1", 100);
	memcpy(g, f, n);
	CHECK(rewrite_frame(&cfg, V6_DLT_EN10MB, f, 64, (uint32_t)n, &p) & REWRITE_CSUM);
	memcpy(f + 64, g + 64, n - 64);
	CHECK(all_good(f, n));
	/* Cut inside the source address: nothing written, no crash. */
	n = frame6(f, sizeof(f), 17, "2001:db8:1::7", "2001:db8:2::1", 10);
	memcpy(g, f, n);
	CHECK_EQ(rewrite_frame(&cfg, V6_DLT_EN10MB, f, 30, (uint32_t)n, &p), 0);
	CHECK_MEM(f, g, n);
	for (uint32_t cut = 0; cut <= n; cut++)
		rewrite_frame(&cfg, V6_DLT_EN10MB, f, cut, (uint32_t)n, &p);
}

/* 6in4: the outer IPv4 and the inner IPv6 are both mapped; the inner UDP
 * checksum follows the inner addresses only. */
static void tunnel(void)
{
	static uint8_t f[1600], inner[1600];
	struct rewrite_cfg cfg = { 0 };
	const uint8_t s4[4] = { 192, 0, 2, 1 }, d4[4] = { 192, 0, 2, 2 };
	struct pkt p;
	struct wcur w;
	size_t n6, n;

	map(&cfg.src[cfg.n_src++], "192.0.2.1=10.9.9.9");
	map(&cfg.src[cfg.n_src++], "2001:db8:1::/48=2001:db8:aaaa::/48");
	n6 = frame6(inner, sizeof(inner), 17, "2001:db8:1::7", "2001:db8:2::1", 40);
	wcur_init(&w, f, sizeof(f));
	wcur_bytes(&w, inner, 14);
	wcur_set_be16(&w, 12, 0x0800);
	wcur_be16(&w, 0x4500);
	wcur_be16(&w, (uint16_t)(20 + n6 - 14));
	wcur_be32(&w, 0);
	wcur_be16(&w, 64 << 8 | 41);
	wcur_be16(&w, 0);
	wcur_bytes(&w, s4, 4);
	wcur_bytes(&w, d4, 4);
	wcur_set_be16(&w, 24, csum_buf(f + 14, 20));
	wcur_bytes(&w, inner + 14, n6 - 14);
	n = wcur_off(&w);
	CHECK(rewrite_frame(&cfg, V6_DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, &p) & REWRITE_IP);
	CHECK_EQ(p.n_ip, 2);
	CHECK(f[26] == 10 && f[29] == 9);
	CHECK_EQ(csum_buf(f + 14, 20), 0);
	CHECK(all_good(f, n));
	CHECK(f[34 + 8 + 4] == 0xaa);
}

int main(void)
{
	RUN(map_prefixes);
	RUN(udp6_and_icmp6);
	RUN(tcp4_udp4);
	RUN(wrong_and_short);
	RUN(tunnel);
	return t_done();
}
