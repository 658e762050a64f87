/* fuzz_relay.c - libFuzzer harness for the 6in4 relay's per-packet decision
 * and rewrite (core/relay.c).  First byte: option bits (tunnel server,
 * --allow, --outbound, link type, 64: a state kept across inputs -- outer
 * reassembly, ICMPv6 errors and their rate limit, learnt VLAN tags -- with
 * packet time advancing 0.1 s per input, 128: --lan-vlan); the rest is the
 * frame.  Checks the relay's promises: whatever it sends fits, starts with
 * our MAC as source, a 6in4 or tunnel frame has a valid IPv4 header
 * checksum, an ICMPv6 error stays within 1280 octets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "pkt.h"
#include "relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct relay_table table;
static struct relay_allow allow[2];
static uint8_t out[RELAY_OUT_MAX];
static struct relay_state state;
static uint64_t now_us;

static void init(void)
{
	char err[128];

	relay_table_add_line(&table, "2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a 6in4", 1, err, sizeof(err));
	relay_table_add_line(&table, "2001:db8:1::b 192.0.2.11 02:00:00:00:00:0b raw", 2, err, sizeof(err));
	relay_table_add_line(&table, "2001:db8:2::/64 192.0.2.12 02:00:00:00:00:0c raw", 3, err, sizeof(err));
	relay_allow_parse("icmpv6", &allow[0], err, sizeof(err));
	relay_allow_parse("tcp/80,443", &allow[1], err, sizeof(err));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t servers[1][4] = { { 198, 51, 100, 1 } };
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct relay_cfg c;
	struct relay_out r;
	uint8_t *copy;
	size_t n;

	if (!table.n) {
		init();
		relay_state_init(&state);
	}
	if (size < 1)
		return 0;
	memset(&c, 0, sizeof(c));
	c.has_local = data[0] & 1;
	memcpy(c.local4, (uint8_t[]){ 192, 0, 2, 2 }, 4);
	if (data[0] & 2) {
		c.servers = servers;
		c.n_servers = 1;
	}
	if (data[0] & 4) {
		c.allow = allow;
		c.n_allow = 2;
	}
	c.outbound = (data[0] & 8) && c.n_servers;
	c.has_mac = data[0] & 16;
	memcpy(c.mac, mac, 6);
	if (data[0] & 64) {
		c.has_icmp_src = true;
		c.icmp_src6[0] = 0xfe;
		c.icmp_src6[1] = 0x80;
		c.icmp_src6[15] = 1;
		memcpy(c.icmp_src6_tunnel, c.icmp_src6, 16);
		c.icmp_rate = RELAY_ICMP_RATE;
		c.tunnel_mtu = 1280;
		now_us += 100000;
	}
	if (data[0] & 128)
		c.lan_vlan = 5;
	n = size - 1;
	copy = malloc(n ? n : 1);	/* exact size, so ASan sees an overread */
	memcpy(copy, data + 1, n);
	relay_process(&c, (data[0] & 64) ? &state : NULL, &table, (data[0] & 32) ? V6_DLT_RAW : V6_DLT_EN10MB,
		      copy, (uint32_t)n, (uint32_t)n, now_us, out, &r);
	if (r.action == RELAY_DROP && r.reason >= RR_COUNT)
		abort();
	if ((r.action == RELAY_SEND) != (r.tx != RELAY_TX_NONE && r.icmp == RELAY_ICMP_NONE))
		abort();
	if (r.tx != RELAY_TX_NONE) {
		if (r.len > RELAY_OUT_MAX || r.l2_len < 14 || r.len < r.l2_len + 40 ||
		    (c.has_mac && memcmp(out + 6, mac, 6)))
			abort();
		if (!r.reassembled && r.icmp == RELAY_ICMP_NONE && r.len > n + 20 + 14 + 4)
			abort();
		if (r.tx == RELAY_TX_TUNNEL || (r.action == RELAY_SEND && r.kind == RELAY_KIND_6IN4)) {
			if (csum_buf(out + r.l2_len, (size_t)(out[r.l2_len] & 15) * 4) != 0)
				abort();
		}
		if (r.icmp != RELAY_ICMP_NONE &&
		    r.len - r.l2_len > (r.tx == RELAY_TX_TUNNEL ? 20u : 0u) + RELAY_ICMP_MAX)
			abort();
		if (r.action == RELAY_SEND && r.dest < 0 && r.kind != RELAY_KIND_OUTBOUND)
			abort();
	}
	free(copy);
	return 0;
}
