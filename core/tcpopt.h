/* tcpopt.h - walking TCP options (RFC 9293 §3.2, §3.7.1 MSS; RFC 2018 SACK;
 * RFC 7323 window scale and timestamps) through the cursor: one walker for
 * every reader of options in the core (core/acktrack reads SACK blocks with
 * it; core/tcpfront's MSS clamp walks the same grammar and can move onto it).
 *
 * Grammar: kind 0 ends the list, kind 1 is one octet of padding, every
 * other kind has a length octet counting kind and length (>= 2) and must
 * fit in the header.  A list that breaks the grammar is malformed from that
 * point on: options before it were read, none after.
 */
#ifndef V6_TCPOPT_H
#define V6_TCPOPT_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "pkt.h"

#define TCPOPT_EOL	0
#define TCPOPT_NOP	1
#define TCPOPT_MSS	2
#define TCPOPT_WSCALE	3
#define TCPOPT_SACK_OK	4
#define TCPOPT_SACK	5
#define TCPOPT_TS	8
#define TCPOPT_SACK_MAX	4	/* 40 option octets hold at most 4 blocks */

struct tcpopt {
	uint8_t kind;
	uint8_t len;		/* whole option, kind and length octets included */
	struct cur val;		/* the len - 2 value octets */
};

enum tcpopt_step { TCPOPT_END = 0, TCPOPT_MORE = 1, TCPOPT_BAD = -1 };

/* The next option of *c (a cursor over the option octets only).  NOPs are
 * skipped.  END at EOL or when no octet is left; BAD when the grammar
 * breaks (length below 2, option running past the header). */
enum tcpopt_step tcpopt_next(struct cur *c, struct tcpopt *o);

/* Cursor over the options of the TCP header of a parsed packet (p->l4 ==
 * TCP, whole header captured).  False when there is none to read. */
bool tcpopt_window(const struct pkt *p, struct cur *opts);

struct tcp_sack {
	uint8_t n;			/* blocks read */
	bool malformed;			/* SACK option length not 2 + 8k, or the list broke */
	uint32_t left[TCPOPT_SACK_MAX];	/* first sequence number of the block */
	uint32_t right[TCPOPT_SACK_MAX];	/* one past its last */
};

/* The SACK blocks of an option list (the first SACK option only). */
void tcpopt_sack(const struct cur *opts, struct tcp_sack *s);

#endif
