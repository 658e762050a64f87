/* fuzz_nd.c - libFuzzer harness for the RA decoder (core/nd): the first
 * byte picks the link type, the rest is one frame.  Checks the decoder's
 * promises: counts stay within their caps, the record emits (JSON and
 * text), and the stream (parser + reassembler) finds every whole RA the
 * decoder finds and survives whatever fragments it is fed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "nd.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = { V6_DLT_EN10MB, V6_LINKTYPE_RAW, V6_DLT_LINUX_SLL, V6_DLT_LINUX_SLL2 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct nd_ra ra;
	static FILE *sink;
	static struct nd_stream *stream;
	static uint64_t ts;
	const struct nd_ra *sra;
	struct pkt p;
	uint8_t *copy;
	size_t n;
	int dlt;

	if (size < 1)
		return 0;
	if (!sink && !(sink = fopen("/dev/null", "w")))
		abort();
	if (!stream)
		stream = nd_stream_new();	/* kept across inputs: fragments meet */
	n = size - 1;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	copy = malloc(n ? n : 1);	/* exact size, so ASan sees an overread */
	memcpy(copy, data + 1, n);
	pkt_parse(&p, dlt, copy, (uint32_t)n, (uint32_t)n);
	sra = nd_stream_frame(stream, dlt, copy, (uint32_t)n, (uint32_t)n, ts += 1000);
	if (nd_is_ra(&p) && (!sra || sra->fragmented != p.ip[p.n_ip - 1].frag))
		abort();
	if (sra && sra->n_ext > PKT_MAX_EXT + 1)
		abort();
	if (nd_ra_decode(&p, &ra)) {
		if (ra.n_violations > ND_MAX_VIOL || ra.n_prefixes > ND_MAX_PREFIXES ||
		    ra.n_rdnss > ND_MAX_RDNSS || ra.n_dnssl > ND_MAX_DNSSL ||
		    ra.n_routes > ND_MAX_ROUTES || ra.n_unknown > ND_MAX_UNKNOWN ||
		    ra.names_used > ND_NAME_POOL || (ra.n_violations_total == 0) != (ra.n_violations == 0))
			abort();
		em_init(data[0] & 0x80, sink);
		nd_ra_emit(&ra, 0);
	}
	free(copy);
	return 0;
}
