/* fuzz_pkt.c - libFuzzer harness for the packet parser on every link type
 * (first byte picks the link type) and its extension-header walker.  Checks
 * the parser's promises: offsets of a packet judged OK lie inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = { V6_DLT_EN10MB, V6_DLT_RAW, V6_LINKTYPE_RAW, V6_DLT_LINUX_SLL,
			    V6_DLT_LINUX_SLL2, V6_DLT_NULL, V6_DLT_LOOP, V6_DLT_IPV4, V6_DLT_IPV6 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	uint8_t *copy;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	copy = malloc(n ? n : 1);	/* exact size, so ASan sees an overread */
	memcpy(copy, data + 1, n);
	pkt_parse(&p, dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))], copy, (uint32_t)n, (uint32_t)n);
	if (p.n_ip > PKT_MAX_IP)
		abort();
	if (p.verdict == PKT_OK) {
		for (unsigned i = 0; i < p.n_ip; i++) {
			const struct pkt_ip *ip = &p.ip[i];
			if (ip->off + ip->hlen > n || ip->n_ext > PKT_MAX_EXT)
				abort();
			for (unsigned e = 0; e < ip->n_ext; e++)
				if (ip->ext[e].off + ip->ext[e].len > n)
					abort();
		}
		if (p.l4 && (p.l4_off + 4 > n || (p.csum_off && p.csum_off + 2 > n)))
			abort();
	}
	free(copy);
	return 0;
}
