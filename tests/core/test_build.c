/* test_build.c - packet builders and transport checksums against packets
 * made by an independent implementation (scapy 2.5), plus the UDP 0 -> 0xffff
 * rule (RFC 768, RFC 8200 §8.1) and refusals. */
#include "build.h"
#include "csum.h"
#include "t.h"

static const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void check_hex(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[512];
	size_t n = t_unhex(hex, want, sizeof(want));

	CHECK_EQ(len, n);
	if (len == n)
		CHECK_MEM(got, want, n);
}

static void test_udp6(void)
{
	uint8_t buf[128];
	size_t n = build_udp6(buf, sizeof(buf), a6, b6, 1234, 53, "hello", 5);

	check_hex(buf, n, "60000000000d114020010db800000000000000000000000120010db8"
		  "00000000000000000000000204d20035000d5b8668656c6c6f");
	/* Exactly enough room, then one octet short. */
	CHECK_EQ(build_udp6(buf, 53, a6, b6, 1234, 53, "hello", 5), 53);
	CHECK_EQ(build_udp6(buf, 52, a6, b6, 1234, 53, "hello", 5), 0);
}

static void test_tcp6_options(void)
{
	static const uint8_t opts[] = { 2, 4, 0x05, 0xa0, 4, 2, 3, 3, 7 };
	struct build_tcp t = { 40000, 80, 0x01020304, 0x0a0b0c0d, TCPF_SYN | TCPF_ACK, 65535, 0,
			       opts, sizeof(opts) };
	uint8_t buf[128];
	struct wcur w;

	wcur_init(&w, buf, sizeof(buf));
	CHECK(build_ip6(&w, a6, b6, 6, 64, 0x2e, 0x12345, 0));
	CHECK(build_tcp(&w, &t, "GET", 3));
	CHECK(build_ip_finish(&w, 0));
	CHECK(build_l4_checksum(&w, 0));
	check_hex(buf, wcur_off(&w), "62e123450023064020010db800000000000000000000000120010db8"
		  "0000000000000000000000029c400050010203040a0b0c0d8012ffffbcb10000020405a0"
		  "0402030307000000474554");
	/* More than 40 option octets do not fit a TCP header. */
	uint8_t big[41] = { 0 };
	t.opts = big;
	t.optlen = sizeof(big);
	wcur_init(&w, buf, sizeof(buf));
	CHECK(!build_tcp(&w, &t, NULL, 0));
	CHECK(w.overflow);
}

static void test_udp4(void)
{
	const uint8_t s4[4] = { 192, 0, 2, 1 }, d4[4] = { 198, 51, 100, 7 };
	uint8_t buf[128];
	struct wcur w;

	wcur_init(&w, buf, sizeof(buf));
	CHECK(build_ip4(&w, s4, d4, 17, 61, 0x10, 0x1234, true));
	CHECK(build_udp(&w, 5353, 5353, "abcdefg", 7));
	CHECK(build_ip_finish(&w, 0));
	CHECK(build_l4_checksum(&w, 0));
	check_hex(buf, wcur_off(&w), "45100023123440003d113f4ac0000201c633640714e914e9000f5894"
		  "61626364656667");
	/* An IPv4 fragment is refused: its transport header may be split. */
	wcur_set_be16(&w, 6, 0x2000);
	CHECK(!build_l4_checksum(&w, 0));
}

static void test_icmp6_echo(void)
{
	const uint8_t ll[16] = { 0xfe, 0x80, [15] = 1 };
	const uint8_t mc[16] = { 0xff, 0x02, [15] = 1 };
	uint8_t buf[128];
	struct wcur w;

	wcur_init(&w, buf, sizeof(buf));
	CHECK(build_ip6(&w, ll, mc, 58, 255, 0, 0, 13));
	CHECK(build_icmp6_echo(&w, 128, 0x4242, 7, "ping!", 5));
	CHECK(build_l4_checksum(&w, 0));
	check_hex(buf, wcur_off(&w), "60000000000d3afffe800000000000000000000000000001ff02"
		  "0000000000000000000000000001800040184242000770696e6721");
}

static void test_hop_by_hop_skipped(void)
{
	static const uint8_t hbh[8] = { 17, 0, 1, 4, 0, 0, 0, 0 };	/* NH UDP, PadN */
	uint8_t buf[128];
	struct wcur w;

	wcur_init(&w, buf, sizeof(buf));
	build_ip6(&w, a6, b6, 0, 64, 0, 0, 0);
	wcur_bytes(&w, hbh, sizeof(hbh));
	build_udp(&w, 1, 2, "xyz", 3);
	CHECK(build_ip_finish(&w, 0));
	CHECK(build_l4_checksum(&w, 0));
	check_hex(buf, wcur_off(&w), "600000000013004020010db800000000000000000000000120010db8"
		  "000000000000000000000002110001040000000000010002000bb1e678797a");
}

/* Routing header with segments left: the pseudo-header takes the final
 * destination (RFC 8200 §8.1); expected bytes from scapy. */
static void test_routing_final_destination(void)
{
	static const uint8_t rt[24] = { 17, 2, 0, 1, 0, 0, 0, 0, 0x20, 0x01, 0x0d, 0xb8, 0, 0xff,
					[23] = 0x99 };
	uint8_t buf[128];
	struct wcur w;

	wcur_init(&w, buf, sizeof(buf));
	build_ip6(&w, a6, b6, 43, 64, 0, 0, 0);
	wcur_bytes(&w, rt, sizeof(rt));
	build_udp(&w, 1000, 2000, "routed", 6);
	CHECK(build_ip_finish(&w, 0));
	CHECK(build_l4_checksum(&w, 0));
	check_hex(buf, wcur_off(&w), "6000000000262b4020010db800000000000000000000000120010db8"
		  "000000000000000000000002110200010000000020010db800ff0000000000000000009903e807d0"
		  "000e49c7726f75746564");
}

static void test_fragment_refused(void)
{
	static const uint8_t frag[8] = { 17, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t buf[128];
	struct wcur w;

	wcur_init(&w, buf, sizeof(buf));
	build_ip6(&w, a6, b6, 44, 64, 0, 0, 0);
	wcur_bytes(&w, frag, sizeof(frag));
	build_udp(&w, 1, 2, "xyz", 3);
	CHECK(build_ip_finish(&w, 0));
	CHECK(!build_l4_checksum(&w, 0));
	/* Payload length lying beyond the buffer: refused, no over-read. */
	wcur_init(&w, buf, sizeof(buf));
	build_ip6(&w, a6, b6, 17, 64, 0, 0, 500);
	build_udp(&w, 1, 2, "xyz", 3);
	CHECK(!build_l4_checksum(&w, 0));
}

/* A datagram whose checksum computes to 0 must carry 0xffff. */
static void test_udp_zero_becomes_ffff(void)
{
	uint8_t buf[128], payload[2] = { 0, 0 };
	size_t n = build_udp6(buf, sizeof(buf), a6, b6, 7, 9, payload, 2);
	uint16_t c0 = (uint16_t)(buf[46] << 8 | buf[47]);

	CHECK(n == 50);
	/* With payload = c0 the one's-complement sum becomes 0xffff. */
	payload[0] = (uint8_t)(c0 >> 8);
	payload[1] = (uint8_t)c0;
	n = build_udp6(buf, sizeof(buf), a6, b6, 7, 9, payload, 2);
	CHECK(n == 50);
	CHECK_EQ(buf[46], 0xff);
	CHECK_EQ(buf[47], 0xff);
	/* And it still verifies. */
	CHECK_EQ(csum_fold(csum_partial(buf + 40, 10, csum_pseudo6(a6, b6, 17, 10))), 0);
}

static void test_eth_vlan(void)
{
	const uint8_t d[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	const uint8_t s[6] = { 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb };
	uint8_t buf[128];
	struct wcur w;

	wcur_init(&w, buf, sizeof(buf));
	CHECK(build_eth(&w, d, s, 0x2064, 0x86dd));
	CHECK(build_ip6(&w, a6, b6, 17, 64, 0, 0, 0));
	CHECK(build_udp(&w, 7, 9, NULL, 0));
	CHECK(build_ip_finish(&w, 18));
	CHECK(build_l4_checksum(&w, 18));
	check_hex(buf, wcur_off(&w), "00112233445566778899aabb8100206486dd600000000008114020010db8"
		  "00000000000000000000000120010db8000000000000000000000002000700090008a459");
	wcur_init(&w, buf, sizeof(buf));
	CHECK(build_eth(&w, d, s, BUILD_NO_VLAN, 0x0800));
	CHECK_EQ(wcur_off(&w), BUILD_ETH_LEN);
	CHECK_EQ(buf[12], 0x08);
}

static void test_finish_refuses_garbage(void)
{
	uint8_t buf[64] = { 0x70 };	/* version 7 */
	struct wcur w;

	wcur_init(&w, buf, sizeof(buf));
	wcur_zero(&w, 40);
	CHECK(!build_ip_finish(&w, 0));
	CHECK(!build_l4_checksum(&w, 0));
	CHECK(!build_ip_finish(&w, 41));	/* beyond what was written */
}

int main(void)
{
	RUN(test_udp6);
	RUN(test_tcp6_options);
	RUN(test_udp4);
	RUN(test_icmp6_echo);
	RUN(test_hop_by_hop_skipped);
	RUN(test_routing_final_destination);
	RUN(test_fragment_refused);
	RUN(test_udp_zero_becomes_ffff);
	RUN(test_eth_vlan);
	RUN(test_finish_refuses_garbage);
	return t_done();
}
