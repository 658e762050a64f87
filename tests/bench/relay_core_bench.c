/* relay_core_bench.c - the relay's per-packet decision and rewrite alone
 * (core/relay.c: parse, checks, table lookup, 6in4/raw rewrite with the
 * RFC 1624 checksum update), without capture or send, for 100-octet frames
 * and a table of 1 or 256 destinations; and outbound encapsulation from a
 * raw host (random outer IPv4 IDs, drawn in batches, included).  Shows how
 * much of the live figure of relay_bench.sh is the relay's own work.
 *
 * Usage: relay_core_bench [MILLION_PACKETS]   (default 3)
 * Exits 1 only if a frame is not relayed as expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build.h"
#include "csum.h"
#include "emit.h"
#include "pkt.h"
#include "relay.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t frame(uint8_t *buf, size_t cap, const uint8_t dst6[16])
{
	static const uint8_t rmac[6] = { 2, 0, 0, 0, 0, 1 }, nmac[6] = { 2, 0, 0, 0, 0, 0xfe };
	static const uint8_t ts4[4] = { 198, 51, 100, 1 }, r4[4] = { 192, 0, 2, 2 };
	static const uint8_t ts6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };
	uint8_t pay[18] = { 0 };
	struct wcur w;

	wcur_init(&w, buf, cap);
	build_eth(&w, rmac, nmac, BUILD_NO_VLAN, 0x0800);
	build_ip4(&w, ts4, r4, 41, 64, 0, 1, false);
	build_ip6(&w, ts6, dst6, 17, 64, 0, 0, 0);
	build_udp(&w, 1024, 9, pay, sizeof(pay));
	build_ip_finish(&w, 34);
	build_l4_checksum(&w, 34);
	build_ip_finish(&w, 14);
	return wcur_off(&w);
}

static int run(unsigned ndest, const char *mode, long n)
{
	struct relay_table t;
	struct relay_cfg c;
	static uint8_t out[RELAY_OUT_MAX];
	uint8_t f[256], dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	struct relay_out r;
	char line[128], err[128];
	size_t len;
	double t0, dt;

	relay_table_init(&t);
	for (unsigned i = 0; i < ndest; i++) {
		snprintf(line, sizeof(line), "2001:db8:1::%x 192.0.2.%u 02:00:00:00:01:%02x %s",
			 i + 1, i % 250 + 3, i & 0xff, mode);
		if (!relay_table_add_line(&t, line, i + 1, err, sizeof(err)))
			return fprintf(stderr, "table: %s\n", err), 1;
	}
	memset(&c, 0, sizeof(c));
	c.has_local = true;
	memcpy(c.local4, (uint8_t[]){ 192, 0, 2, 2 }, 4);
	dst[15] = (uint8_t)ndest;	/* the last entry: a full linear search */
	dst[14] = (uint8_t)(ndest >> 8);
	len = frame(f, sizeof(f), dst);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		relay_process(&c, NULL, &t, V6_DLT_EN10MB, f, (uint32_t)len, (uint32_t)len, 0, out, &r);
		if (r.action != RELAY_SEND)
			return fprintf(stderr, "frame not relayed (%s)\n", r.why ? r.why : "?"), 1;
	}
	dt = now_s() - t0;
	printf("  %-4s %3u destinations, %zu-octet frames: %6.2f Mpps (%5.0f ns/packet)\n",
	       mode, ndest, len, n / dt / 1e6, dt / n * 1e9);
	relay_table_free(&t);
	return 0;
}

/* --outbound: a raw host's 100-octet IPv6 frame encapsulated toward the
 * tunnel server, with the run's state (ID pool, VLAN learning). */
static int run_outbound(long n)
{
	static const uint8_t rmac[6] = { 2, 0, 0, 0, 0, 1 }, bmac[6] = { 2, 0, 0, 0, 0, 0x0b };
	static const uint8_t servers[1][4] = { { 198, 51, 100, 1 } };
	static const uint8_t b6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x0b };
	static const uint8_t ts6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, [15] = 1 };
	static uint8_t out[RELAY_OUT_MAX];
	struct relay_table t;
	struct relay_state st;
	struct relay_cfg c;
	struct relay_out r;
	uint8_t f[256], pay[38] = { 0 };
	char err[128];
	struct wcur w;
	size_t len;
	double t0, dt;

	relay_table_init(&t);
	relay_table_add_line(&t, "2001:db8:1::b 192.0.2.11 02:00:00:00:00:0b raw", 1, err, sizeof(err));
	relay_state_init(&st);
	memset(&c, 0, sizeof(c));
	c.has_local = c.has_mac = c.outbound = true;
	memcpy(c.local4, (uint8_t[]){ 192, 0, 2, 2 }, 4);
	memcpy(c.mac, rmac, 6);
	c.servers = servers;
	c.n_servers = 1;
	wcur_init(&w, f, sizeof(f));
	build_eth(&w, rmac, bmac, BUILD_NO_VLAN, 0x86dd);
	build_ip6(&w, b6, ts6, 17, 64, 0, 0, 0);
	build_udp(&w, 1024, 9, pay, sizeof(pay));
	build_ip_finish(&w, 14);
	build_l4_checksum(&w, 14);
	len = wcur_off(&w);
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		relay_process(&c, &st, &t, V6_DLT_EN10MB, f, (uint32_t)len, (uint32_t)len, 0, out, &r);
		if (r.action != RELAY_SEND || r.kind != RELAY_KIND_OUTBOUND)
			return fprintf(stderr, "frame not encapsulated (%s)\n", r.why ? r.why : "?"), 1;
	}
	dt = now_s() - t0;
	printf("  outbound   1 raw host,      %zu-octet frames: %6.2f Mpps (%5.0f ns/packet)\n",
	       len, n / dt / 1e6, dt / n * 1e9);
	relay_state_free(&st);
	relay_table_free(&t);
	return 0;
}

int main(int argc, char **argv)
{
	long n = (long)((argc > 1 ? atof(argv[1]) : 3) * 1e6);

	em_init(false, stdout);
	printf("relay_core_bench: relay_process() alone, %ld packets per line\n", n);
	return run(1, "6in4", n) || run(256, "6in4", n) || run(1, "raw", n) || run(256, "raw", n) ||
	       run_outbound(n);
}
