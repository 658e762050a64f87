/* fuzz_icmperr.c - libFuzzer harness for ICMPv6 error matching
 * (core/icmperr): the input is an ICMPv6 message as a raw socket hands it
 * over, and also the same octets as a captured IPv6 frame; the quote is
 * read by the one parser without reading outside it, every result is one
 * of the defined ones and the counters add up.  The table holds a
 * fragmented send and a whole one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "icmperr.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct icmperr *t;
	static const uint8_t from[16] = { 0xfe, 0x80, [15] = 1 };
	struct icmperr_report r;
	enum icmperr_result res;
	struct pkt p;
	uint64_t sum = 0;

	if (!t) {
		/* The send the seeds quote: 2001:db8::53 -> 2001:db8:1::7, ID 0x12345678. */
		struct icmperr_send s = { .src = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x53 },
					  .client = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 7 },
					  .frag_id = 0x12345678, .proto = 17, .sport = 53, .dport = 40001 };

		t = icmperr_new(8, 0);
		icmperr_note_send(t, &s, 0);
		/* and one sent whole (--no-fragment): quotes without a Fragment header */
		s.whole = true;
		s.dport = 40002;
		icmperr_note_send(t, &s, 0);
	}
	res = icmperr_input(t, from, data, size, 1, &r);
	if ((unsigned)res >= ICMPERR_R_N || r.result != res)
		abort();
	if (res == ICMPERR_MATCHED && (r.type < 1 || r.type > 4))
		abort();
	if (res == ICMPERR_MATCHED && r.quote_whole && !r.ports_seen)
		abort();
	/* The same octets as a captured frame (an IPv6 packet carrying ICMPv6). */
	pkt_parse(&p, V6_DLT_RAW, data, (uint32_t)size, 0);
	res = icmperr_input_pkt(t, &p, 1, &r);
	if ((unsigned)res >= ICMPERR_R_N)
		abort();
	{
		const struct icmperr_counters *c = icmperr_counters(t);
		uint64_t m = 0;

		for (int i = 0; i < ICMPERR_R_N; i++)
			sum += c->results[i];
		for (int i = 0; i < ICMPERR_T_N; i++)
			m += c->errors[i];
		if (sum != c->messages || m != c->results[ICMPERR_MATCHED])
			abort();
	}
	return 0;
}
