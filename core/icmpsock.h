/* icmpsock.h - the live half of core/icmperr: a raw ICMPv6 socket that
 * passes only the four error types (ICMP6_FILTER: Destination Unreachable,
 * Packet Too Big, Time Exceeded, Parameter Problem; the kernel verifies the
 * checksum), read without ever blocking, each message matched against the
 * sends an icmperr table remembers.  For the front ends' one event loop:
 *   set-up:  fd = icmpsock_open(err) (before privileges are dropped),
 *            epoll it (level-triggered);
 *   readable: icmpsock_drain(): at most `max` messages per call, so the
 *            loop gets back to its other sockets; a matched error goes to
 *            the callback (which writes the `icmp` line), any other result
 *            is counted by the icmperr table.
 * Errors about --tx link frames come back to the host stack like those
 * about --tx raw packets: one socket serves both. */
#ifndef V6_ICMPSOCK_H
#define V6_ICMPSOCK_H

#include <stddef.h>
#include <stdint.h>

#include "icmperr.h"

#define ICMPSOCK_ERRLEN 160

/* -1 with err filled (no CAP_NET_RAW, no socket). */
int icmpsock_open(char err[ICMPSOCK_ERRLEN]);

/* Read up to max messages (0 = 64) that are waiting on fd; returns how many
 * were read.  on_match(ctx, report) for each ICMPERR_MATCHED. */
unsigned icmpsock_drain(int fd, struct icmperr *t, unsigned max,
			void (*on_match)(void *ctx, const struct icmperr_report *r), void *ctx);

#endif
