/* udprelay.c - the cheapest DNS front end there can be, for dnsfrag's
 * benchmark: a batched UDP relay that neither parses nor fragments.  Queries
 * to LISTEN-ADDR:PORT go to BACKEND-ADDR:PORT from one connected socket;
 * answers go back to whoever last sent a query with the same DNS ID.  What it
 * reaches against the direct path bounds any front end that relays.
 *
 *   udprelay LISTEN-ADDR PORT BACKEND-ADDR PORT      (IPv6 addresses)
 *
 * Runs until killed.  Exit 2 usage, 3 sockets.  Not part of v6kit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 64
#define DGRAM 65536

static struct sockaddr_in6 client_of[65536];	/* by DNS ID */

static int addr6(const char *a, const char *port, struct sockaddr_in6 *sa)
{
	char *end;
	long p = strtol(port, &end, 10);

	memset(sa, 0, sizeof(*sa));
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)p);
	return *end || p < 1 || p > 65535 || inet_pton(AF_INET6, a, &sa->sin6_addr) != 1 ? -1 : 0;
}

int main(int argc, char **argv)
{
	static uint8_t buf[BATCH][DGRAM];
	struct sockaddr_in6 la, ba, from[BATCH];
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	struct epoll_event ev = { .events = EPOLLIN };
	int lfd, bfd, ep, big = 4 << 20;

	if (argc != 5 || addr6(argv[1], argv[2], &la) < 0 || addr6(argv[3], argv[4], &ba) < 0) {
		fprintf(stderr, "usage: udprelay LISTEN-ADDR PORT BACKEND-ADDR PORT\n");
		return 2;
	}
	lfd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	bfd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	if (lfd < 0 || bfd < 0 || ep < 0 || bind(lfd, (struct sockaddr *)&la, sizeof(la)) < 0 ||
	    connect(bfd, (struct sockaddr *)&ba, sizeof(ba)) < 0) {
		fprintf(stderr, "udprelay: %s\n", strerror(errno));
		return 3;
	}
	setsockopt(lfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(bfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.fd = bfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, bfd, &ev);
	for (;;) {
		struct epoll_event evs[2];
		int n = epoll_wait(ep, evs, 2, -1);

		for (int e = 0; e < n; e++) {
			int fd = evs[e].data.fd, r;

			do {
				for (int i = 0; i < BATCH; i++) {
					iov[i].iov_base = buf[i];
					iov[i].iov_len = DGRAM;
					memset(&mm[i], 0, sizeof(mm[i]));
					mm[i].msg_hdr.msg_name = &from[i];
					mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
					mm[i].msg_hdr.msg_iov = &iov[i];
					mm[i].msg_hdr.msg_iovlen = 1;
				}
				r = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
				for (int i = 0; i < r; i++) {
					uint16_t id = mm[i].msg_len >= 2 ? (uint16_t)(buf[i][0] << 8 | buf[i][1]) : 0;

					iov[i].iov_len = mm[i].msg_len;
					if (fd == lfd) {
						client_of[id] = from[i];
						mm[i].msg_hdr.msg_name = NULL;
						mm[i].msg_hdr.msg_namelen = 0;
					} else {
						mm[i].msg_hdr.msg_name = &client_of[id];
						mm[i].msg_hdr.msg_namelen = sizeof(client_of[id]);
					}
				}
				if (r > 0)
					sendmmsg(fd == lfd ? bfd : lfd, mm, (unsigned)r, 0);
			} while (r == BATCH);
		}
	}
}
