/* fuzz_acktrack.c - libFuzzer harness for the ACK/SACK tracker
 * (core/acktrack) and the TCP option walker (core/tcpopt).  The input is a
 * script of events -- back-end segments, fragmented pieces, client ACKs with
 * raw option octets -- applied to one tracker; after each the invariants
 * must hold: books balance (acknowledged + tracked == fragmented), ranges
 * bounded, sorted, non-overlapping, each holding no more octets than it
 * spans, the verdict agrees with the counters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "acktrack.h"
#include "cursor.h"
#include "tcpopt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void invariants(const struct acktrack *a)
{
	uint64_t b = 0;
	enum ackt_verdict v = ackt_verdict(a);

	if (a->n > ACKT_RANGES || a->frag_bytes_acked > a->frag_bytes)
		abort();
	for (unsigned i = 0; i < a->n; i++) {
		const struct ackt_range *r = &a->r[i];

		if ((int32_t)(r->hi - r->lo) <= 0 || r->bytes > r->hi - r->lo || r->bytes == 0)
			abort();
		/* every tracked octet lies in (una, max] and ranges ascend */
		if ((int32_t)(r->lo - a->una) < 0 || (int32_t)(a->max - r->hi) < 0)
			abort();
		if (i && (int32_t)(r->lo - a->r[i - 1].hi) < 0)
			abort();
		b += r->bytes;
	}
	if (b + a->frag_bytes_acked != a->frag_bytes)
		abort();
	if ((v == ACKT_NONE) != (a->frag_bytes == 0) ||
	    (v == ACKT_DELIVERED) != (a->frag_bytes && a->frag_bytes_acked == a->frag_bytes) ||
	    (v == ACKT_LOST) != (a->frag_bytes && !a->frag_bytes_acked))
		abort();
	if (a->started && (int32_t)(a->max - a->una) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acktrack a;
	struct cur c;
	uint32_t base = 0;

	ackt_init(&a);
	cur_init(&c, data, size);
	cur_be32(&c, &base);
	while (cur_left(&c) > 0 && !c.trunc) {
		uint8_t op = 0, flags = 0, olen = 0;
		uint16_t d16 = 0, l16 = 0;
		uint32_t v32 = 0;

		cur_u8(&c, &op);
		switch (op % 5) {
		case 0:	/* back-end segment near base */
			cur_be16(&c, &d16);
			cur_be16(&c, &l16);
			cur_u8(&c, &flags);
			ackt_backend(&a, base + d16, l16, flags);
			break;
		case 1:	/* fragmented piece near base */
			cur_be16(&c, &d16);
			cur_be16(&c, &l16);
			ackt_frag(&a, base + d16, l16);
			break;
		case 2: {	/* ACK near base with raw option octets */
			struct cur opts;
			struct tcp_sack s;

			cur_be16(&c, &d16);
			cur_u8(&c, &olen);
			cur_sub(&c, olen % 41, &opts);
			tcpopt_sack(&opts, &s);
			if (s.n > TCPOPT_SACK_MAX)
				abort();
			/* blocks are relative to base, like the ACK */
			for (unsigned i = 0; i < s.n; i++) {
				s.left[i] = base + (s.left[i] & 0xffff);
				s.right[i] = base + (s.right[i] & 0xffff);
			}
			ackt_ack(&a, base + d16, &s);
			break;
		}
		case 3:	/* anything at all: absolute ACK */
			cur_be32(&c, &v32);
			ackt_ack(&a, v32, NULL);
			break;
		case 4:	/* anything at all: absolute segment */
			cur_be32(&c, &v32);
			cur_be16(&c, &l16);
			if (op & 0x80)
				ackt_frag(&a, v32, (uint32_t)l16 << (op & 15));
			else
				ackt_backend(&a, v32, (uint32_t)l16 << (op & 15), (uint8_t)(op >> 3));
			break;
		}
		invariants(&a);
	}
	return 0;
}
