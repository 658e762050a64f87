/* icmpsock.c - a raw ICMPv6 socket for the errors core/icmperr matches. */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "icmpsock.h"
#include "util.h"

int icmpsock_open(char err[ICMPSOCK_ERRLEN])
{
	struct icmp6_filter f;
	int fd, rcvbuf = 1 << 20;

	fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0) {
		snprintf(err, ICMPSOCK_ERRLEN, "raw ICMPv6 socket (for ICMPv6 errors): %s",
			 strerror(errno));
		return -1;
	}
	ICMP6_FILTER_SETBLOCKALL(&f);
	ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
	ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
	ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
	ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
	if (setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f)) < 0) {
		snprintf(err, ICMPSOCK_ERRLEN, "ICMP6_FILTER: %s", strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

unsigned icmpsock_drain(int fd, struct icmperr *t, unsigned max,
			void (*on_match)(void *ctx, const struct icmperr_report *r), void *ctx)
{
	static uint8_t buf[1280 + 64];	/* an error is at most 1280 - 40 octets (RFC 4443 §2.4 (c)) */
	unsigned n = 0;

	if (!max)
		max = 64;
	while (n < max) {
		struct sockaddr_in6 from;
		socklen_t fl = sizeof(from);
		struct icmperr_report r;
		ssize_t len = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			break;	/* EAGAIN: nothing more; other errors: try next wake-up */
		}
		n++;
		if (fl < sizeof(from) || from.sin6_family != AF_INET6)
			memset(&from.sin6_addr, 0, 16);
		if (icmperr_input(t, from.sin6_addr.s6_addr, buf, (size_t)len, now_mono_us(), &r) ==
		    ICMPERR_MATCHED && on_match)
			on_match(ctx, &r);
	}
	return n;
}
