/* test_icmpsock.c - core/icmpsock: the raw ICMPv6 socket passes the four
 * error types only, is drained without blocking and at most `max` messages
 * per call, and hands each message to core/icmperr (matched -> callback,
 * others counted).  Needs root: runs in a network namespace of its own
 * (unshare), errors sent over its loopback by a second raw socket (the
 * kernel fills in the ICMPv6 checksum). */

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "icmpsock.h"
#include "t.h"
#include "util.h"

static const uint8_t LO[16] = { [15] = 1 };
static unsigned matched;
static struct icmperr_report last;

static void on_match(void *ctx, const struct icmperr_report *r)
{
	(void)ctx;
	matched++;
	last = *r;
}

/* ICMPv6 type/code quoting a first fragment ::1 -> ::1, UDP 53 -> 4242. */
static size_t mk_msg(uint8_t *m, uint8_t type, uint8_t code, uint32_t frag_id)
{
	size_t n = 0;

	memset(m, 0, 120);
	m[n++] = type;
	m[n++] = code;
	n += 6;				/* checksum (kernel), unused/MTU/pointer */
	m[n] = 0x60;			/* quoted IPv6 header */
	m[n + 4] = 0;
	m[n + 5] = 16;			/* payload: Fragment header + UDP header */
	m[n + 6] = 44;
	m[n + 7] = 64;
	memcpy(m + n + 8, LO, 16);
	memcpy(m + n + 24, LO, 16);
	n += 40;
	m[n] = 17;			/* Fragment header: UDP, offset 0, M */
	m[n + 3] = 1;
	m[n + 4] = (uint8_t)(frag_id >> 24);
	m[n + 5] = (uint8_t)(frag_id >> 16);
	m[n + 6] = (uint8_t)(frag_id >> 8);
	m[n + 7] = (uint8_t)frag_id;
	n += 8;
	m[n + 1] = 53;			/* UDP 53 -> 4242 */
	m[n + 2] = 4242 >> 8;
	m[n + 3] = 4242 & 0xff;
	m[n + 5] = 200;
	return n + 8;
}

static void send_msg(int s, const uint8_t *m, size_t n)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 };

	memcpy(&to.sin6_addr, LO, 16);
	CHECK_EQ(sendto(s, m, n, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)n);
}

static void test_live(void)
{
	struct icmperr_send snd = { .frag_id = 0xdeadbeef, .proto = 17, .sport = 53, .dport = 4242 };
	struct icmperr *t = icmperr_new(16, 0);
	char err[ICMPSOCK_ERRLEN];
	uint8_t m[128];
	int fd = icmpsock_open(err), s = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	const struct icmperr_counters *c = icmperr_counters(t);

	CHECKF(fd >= 0, "%s", err);
	CHECK(s >= 0);
	memcpy(snd.src, LO, 16);
	memcpy(snd.client, LO, 16);
	icmperr_note_send(t, &snd, now_mono_us());
	/* nothing waiting: returns at once */
	CHECK_EQ(icmpsock_drain(fd, t, 0, on_match, NULL), 0);
	/* an echo request (filtered out), a matching Time Exceeded, an
	 * unknown frag ID, a Packet Too Big that matches */
	m[0] = 128;
	memset(m + 1, 0, 7);
	send_msg(s, m, 8);
	send_msg(s, m, mk_msg(m, 3, 1, 0xdeadbeef));
	send_msg(s, m, mk_msg(m, 1, 4, 0x01020304));
	send_msg(s, m, mk_msg(m, 2, 0, 0xdeadbeef));
	usleep(20000);
	/* at most max per call */
	CHECK_EQ(icmpsock_drain(fd, t, 2, on_match, NULL), 2);
	CHECK_EQ(matched, 1);
	CHECK_EQ(last.type, 3);
	CHECK_EQ(last.code, 1);
	CHECK_EQ(last.frag_id, 0xdeadbeef);
	CHECK_MEM(last.client, LO, 16);
	CHECK_MEM(last.from, LO, 16);
	CHECK_EQ(c->results[ICMPERR_UNKNOWN], 1);
	CHECK_EQ(icmpsock_drain(fd, t, 64, on_match, NULL), 1);
	CHECK_EQ(matched, 2);
	CHECK(last.has_mtu);
	CHECK_EQ(c->messages, 3);	/* the echo request never arrived */
	CHECK_EQ(c->errors[ICMPERR_T_TIME], 1);
	CHECK_EQ(c->errors[ICMPERR_T_TOO_BIG], 1);
	CHECK_EQ(icmpsock_drain(fd, t, 64, on_match, NULL), 0);
	close(s);
	close(fd);
	icmperr_free(t);
}

int main(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int s;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
		printf("1..0 # skipped: needs root (a network namespace of its own)\n");
		return 0;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0 || (ifr.ifr_flags |= IFF_UP,
	    ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
		printf("1..0 # skipped: cannot bring lo up\n");
		return 0;
	}
	close(s);
	RUN(test_live);
	return t_done();
}
