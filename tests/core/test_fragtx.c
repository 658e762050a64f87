/* test_fragtx.c - fragtx_send_packet (RFC 8200 packets handed over whole):
 * input that is not an IPv6 packet (or, for fragtx_send_frame, not an
 * Ethernet frame holding one) is refused before anything is sent and
 * is not counted as a send failure; a packet with no way out is a counted
 * failure, in both modes.  Sends only in a network namespace of its own
 * (lo down, no routes), so nothing leaves it; without the privilege for the
 * sockets only the refusal to open is checked. */
#include "fragtx.h"
#include "util.h"
#include "t.h"

#include <sched.h>
#include <stdint.h>
#include <string.h>

static bool isolated;

/* 40-octet IPv6 header, no payload (Next Header 59), to dst */
static void ip6_packet(uint8_t p[40], const uint8_t dst[16])
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[6] = 59;
	p[7] = 64;
	p[23] = 1;		/* source ::1 */
	memcpy(p + 24, dst, 16);
}

static void check_refusals(struct fragtx *t)
{
	static const uint8_t v4[40] = { 0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 17 };
	static const uint8_t loop[16] = { [15] = 1 };
	uint8_t p[40];
	uint64_t sent, failed;

	CHECK_EQ(fragtx_send_packet(t, v4, sizeof(v4)), -1);
	CHECK(strstr(fragtx_error(t), "not an IPv6 packet") != NULL);
	ip6_packet(p, loop);
	CHECK_EQ(fragtx_send_packet(t, p, 39), -1);	/* header cut short */
	CHECK(strstr(fragtx_error(t), "not an IPv6 packet (39 octets)") != NULL);
	CHECK_EQ(fragtx_send_packet(t, p, 0), -1);
	p[0] = 0x40;				/* version 4 in an otherwise IPv6 header */
	CHECK_EQ(fragtx_send_packet(t, p, 40), -1);
	/* Frames: an IPv4 EtherType, a frame cut inside the link header, and
	 * an IPv6 EtherType around a bad packet are all refused the same way. */
	{
		uint8_t f[14 + 40] = { [12] = 0x08, [13] = 0x00 };

		CHECK_EQ(fragtx_send_frame(t, f, sizeof(f)), -1);
		CHECK(strstr(fragtx_error(t), "not an Ethernet frame holding IPv6") != NULL);
		CHECK_EQ(fragtx_send_frame(t, f, 13), -1);
		f[12] = 0x86;
		f[13] = 0xdd;
		CHECK_EQ(fragtx_send_frame(t, f, 14), -1);
		CHECK(strstr(fragtx_error(t), "not an IPv6 packet (0 octets)") != NULL);
		memcpy(f + 14, p, 40);		/* still version 4 */
		CHECK_EQ(fragtx_send_frame(t, f, sizeof(f)), -1);
	}
	fragtx_counters(t, &sent, &failed);
	CHECK_EQ(sent, 0);
	CHECK_EQ(failed, 0);
}

static void test_raw(void)
{
	struct fragtx_cfg cfg = { .mode = FRAGTX_RAW, .mark = FRAGTX_MARK };
	static const uint8_t loop[16] = { [15] = 1 };
	char err[FRAGTX_ERRLEN];
	struct fragtx *t;
	uint8_t p[40];
	uint64_t sent, failed;
	int code = 0;

	t = fragtx_open(&cfg, err, &code);
	if (!t) {
		/* without privilege the socket cannot be had: a resource error */
		CHECKF(!isolated, "%s", err);
		CHECK_EQ(code, EXIT_RESOURCE);
		return;
	}
	check_refusals(t);
	if (!isolated) {	/* privileged but in the host's namespace: send nothing */
		fragtx_close(t);
		return;
	}
	/* a real IPv6 packet, but lo is down in the new namespace */
	ip6_packet(p, loop);
	CHECK_EQ(fragtx_send_packet(t, p, sizeof(p)), -1);
	CHECKF(strstr(fragtx_error(t), "raw send to ::1") != NULL, "%s", fragtx_error(t));
	fragtx_counters(t, &sent, &failed);
	CHECK_EQ(sent, 0);
	CHECK_EQ(failed, 1);
	fragtx_close(t);
}

static void test_link(void)
{
	struct fragtx_cfg cfg = { .mode = FRAGTX_LINK, .ifname = "lo", .resolve_ms = 50 };
	static const uint8_t far[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	char err[FRAGTX_ERRLEN];
	struct fragtx *t;
	uint8_t p[40];
	uint64_t sent, failed;
	int code = 0;

	if (!isolated)
		return;
	t = fragtx_open(&cfg, err, &code);
	CHECKF(t != NULL, "%s", err);
	if (!t)
		return;
	check_refusals(t);
	ip6_packet(p, far);			/* no route to 2001:db8::1 here */
	CHECK_EQ(fragtx_send_packet(t, p, sizeof(p)), -1);
	CHECKF(strstr(fragtx_error(t), "2001:db8::1") != NULL, "%s", fragtx_error(t));
	fragtx_counters(t, &sent, &failed);
	CHECK_EQ(sent, 0);
	CHECK_EQ(failed, 1);
	fragtx_close(t);
}

int main(void)
{
	isolated = unshare(CLONE_NEWNET) == 0;
	if (!isolated)
		printf("# no network namespace of our own (not root?): only the refusal to open is checked\n");
	RUN(test_raw);
	RUN(test_link);
	return t_done();
}
