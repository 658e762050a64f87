/* fuzz_tcpfront.c - libFuzzer harness for the httpfrag engine (core/tcpfront):
 * a sequence of frames, each "LEG LEN_HI LEN_LO FRAME" (LEG bit 0: 0 client
 * leg, 1 back-end leg; bit 1: advance the clock by a minute first), fed to
 * one engine whose NAT pool is ports 20000-20001 (the first binding gets
 * 20000, so seeds can speak for the back end).  Checks the engine's promises
 * on every frame it sends: it parses, goes to the right peer from the right
 * address, and toward the client is either a whole segment of at most --tail
 * payload octets (or a handshake/RST), a leading fragment whose data is a
 * multiple of 8, or a trailing fragment of exactly --tail octets.  With
 * verdict tracking on and an ICMPv6 send table attached (httpfrag's set-up):
 * each ended binding's tracker never credits more than was fragmented.
 * Seeds: tests/fixtures/tcpfront_corpus.py. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "build.h"
#include "pkt.h"
#include "tcpfront.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TAIL 256

static const uint8_t L[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x80 };
static const uint8_t B[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2 };
static const uint8_t N[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1 };
static uint8_t ports[8192];

static int check_sent(void *ctx, enum tf_leg leg, const uint8_t *frame, size_t len)
{
	struct pkt p;
	const struct pkt_ip *ip;

	(void)ctx;
	if (pkt_parse(&p, V6_DLT_EN10MB, frame, (uint32_t)len, (uint32_t)len) != PKT_OK || p.n_ip != 1)
		abort();
	ip = &p.ip[0];
	if (leg == TF_LEG_BACKEND) {
		if (memcmp(ip->src, N, 16) || memcmp(ip->dst, B, 16) || p.l4 != 6 ||
		    p.sport < 20000 || p.sport > 20001)
			abort();
		return 0;
	}
	if (memcmp(ip->src, L, 16))
		abort();
	if (ip->frag) {
		uint32_t dlen = ip->tot_len - ip->unfrag_len - 8;

		if (ip->mf ? (ip->frag_off != 0 || dlen % 8) : dlen != TAIL)
			abort();
	} else {
		uint32_t plen = ip->tot_len - (p.l4_off - ip->off) - p.l4_hlen;

		if (p.l4 != 6 || (plen > TAIL && !(p.tcp_flags & (TCPF_SYN | TCPF_RST))))
			abort();
	}
	return 0;
}

static struct tf *cur;

static void check_ended(void *ctx, const struct nat_binding *b, enum tf_event ev, enum nat_end why)
{
	const struct acktrack *a;

	(void)ctx;
	(void)why;
	if (ev == TF_EV_OPEN)
		return;
	a = tf_binding_ack(cur, b);
	if (!a || a->frag_bytes_acked > a->frag_bytes || a->frag_segments * 65535 < a->frag_bytes ||
	    (unsigned)ackt_verdict(a) >= ACKT_V_N)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct icmperr *icmp;
	struct tf_config c = { .mss = 1200, .tail = TAIL, .clamp_mss = true,
			       .client_dlt = V6_DLT_EN10MB, .backend_dlt = V6_DLT_EN10MB,
			       .send = check_sent, .on_binding = check_ended };
	uint64_t now = 1;
	char err[128];
	struct tf *t;
	size_t off = 0;

	memset(ports, 0, sizeof(ports));
	ports[80 >> 3] |= 1 << (80 & 7);
	ports[443 >> 3] |= 1 << (443 & 7);
	c.ports = ports;
	memcpy(c.listen, L, 16);
	memcpy(c.backend, B, 16);
	memcpy(c.nat_src, N, 16);
	c.nat.max_bindings = 2;
	c.nat.port_lo = 20000;
	c.nat.port_hi = 20001;
	c.nat.idle_us = 30000000;
	c.nat.linger_us = 1000000;
	if (!icmp)
		icmp = icmperr_new(64, 0);
	c.icmp = icmp;
	t = tf_new(&c, err);
	if (!t)
		abort();
	cur = t;
	while (off + 3 <= size) {
		uint8_t leg = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		uint8_t *copy;

		off += 3;
		if (len > size - off)
			len = size - off;
		copy = malloc(len ? len : 1);	/* exact size: ASan sees any overread */
		memcpy(copy, data + off, len);
		if (leg & 2) {
			now += 60000000;
			tf_expire(t, now);
		}
		tf_input(t, (leg & 1) ? TF_LEG_BACKEND : TF_LEG_CLIENT, copy, (uint32_t)len,
			 (uint32_t)len, now++);
		free(copy);
		off += len;
	}
	tf_flush(t);
	tf_free(t);
	return 0;
}
