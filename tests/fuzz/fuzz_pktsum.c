/* fuzz_pktsum.c - libFuzzer harness for checksum verification and repair
 * (core/pktsum) and the stream with reassembly (core/sumstream).  First byte:
 * link type; the rest is one frame, and also a stream of frames (each cut
 * from the input at a length given by one byte) fed to a fixing sumstream.
 * Checks the promises: fields lie inside the frame, verify -> fix -> verify
 * finds nothing bad, every frame leaves the stream once, in order, with its
 * length. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"
#include "pktsum.h"
#include "sumstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = { V6_DLT_EN10MB, V6_DLT_RAW, V6_DLT_LINUX_SLL, V6_DLT_LINUX_SLL2, V6_DLT_NULL };

struct order {
	uint64_t next;
	uint32_t len[256];
};

static void on_out(void *ctx, const struct sumstream_frame *f)
{
	struct order *o = ctx;

	/* frames carry their number in ts_nsec: out once each, in order */
	if (f->ts_nsec != o->next + 1 || f->caplen != o->len[o->next % 256])
		abort();
	o->next++;
}

static void one_frame(int dlt, const uint8_t *data, size_t n)
{
	struct pktsum_result r, r2;
	struct wcur w;
	struct pkt p;
	uint8_t *copy = malloc(n ? n : 1);	/* exact size, so ASan sees an overread */

	memcpy(copy, data, n);
	pkt_parse(&p, dlt, copy, (uint32_t)n, (uint32_t)n);
	pktsum_verify(&p, 0, &r);
	if (r.n > PKT_MAX_IP + 1 || r.n_bad > r.n)
		abort();
	for (unsigned i = 0; i < r.n; i++)
		if (r.c[i].field_off + 2 > n)
			abort();
	wcur_init(&w, copy, n);
	if (pktsum_fix_all(&w, &r) != r.n_bad)
		abort();
	pkt_parse(&p, dlt, copy, (uint32_t)n, (uint32_t)n);
	pktsum_verify(&p, 0, &r2);
	if (r2.n_bad || r2.n != r.n)
		abort();
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sumstream_ops ops0 = { NULL, NULL, NULL, on_out };
	struct sumstream_ops ops = ops0;
	struct order o = { 0 };
	struct sumstream *s;
	int dlt;
	uint64_t n = 0;
	size_t at = 1;

	if (size < 1)
		return 0;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	one_frame(dlt, data + 1, size - 1);

	ops.ctx = &o;
	s = sumstream_new(dlt, SUMSTREAM_FIX, &ops);
	while (at < size && n < 256) {
		size_t len = data[at++] * 4u;
		struct sumstream_frame f;
		uint8_t *copy;

		if (len > size - at)
			len = size - at;
		copy = malloc(len ? len : 1);
		memcpy(copy, data + at, len);
		f = (struct sumstream_frame){ .data = copy, .caplen = (uint32_t)len, .wirelen = (uint32_t)len,
					      .ts_sec = (int64_t)(n / 8), .ts_nsec = (uint32_t)(n + 1) };
		o.len[n % 256] = (uint32_t)len;
		sumstream_add(s, ++n, &f);
		free(copy);
		at += len;
	}
	sumstream_finish(s);
	sumstream_free(s);
	if (o.next != n)
		abort();
	return 0;
}
