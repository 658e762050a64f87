/* fuzz_rewrite.c - libFuzzer harness for core/rewrite on every link type
 * (first byte picks the link type, as in fuzz_pkt).  Promises checked: no
 * access outside the frame (exact-size buffer for ASan), the frame keeps its
 * length, and a frame the parser finds no IP layer in is only touched in its
 * Ethernet addresses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "pkt.h"
#include "rewrite.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int dlts[] = { V6_DLT_EN10MB, V6_DLT_RAW, V6_LINKTYPE_RAW, V6_DLT_LINUX_SLL,
			    V6_DLT_LINUX_SLL2, V6_DLT_NULL, V6_DLT_LOOP, V6_DLT_IPV4, V6_DLT_IPV6 };

static struct rewrite_cfg cfg;
static int ready;

static void setup(void)
{
	static const char *const src[] = { "2000::/3=c000::/3", "0.0.0.0/1=128.0.0.0/1", "::/0=::/0" };
	static const char *const dst[] = { "fe80::/10=fd00::/10", "192.0.2.0/24=10.0.0.0/24",
					   "2001:db8::1=::ffff:1.2.3.4" };
	char err[ARG_ERRLEN];

	for (unsigned i = 0; i < 3; i++) {
		if (!parse_rewrite(src[i], &cfg.src[cfg.n_src], err) ||
		    !parse_rewrite(dst[i], &cfg.dst[cfg.n_dst], err))
			abort();
		cfg.n_src++;
		cfg.n_dst++;
	}
	cfg.set_src_mac = cfg.set_dst_mac = true;
	memset(cfg.src_mac, 0x02, 6);
	memset(cfg.dst_mac, 0x04, 6);
	ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt p;
	uint8_t *copy, *orig;
	size_t n;

	if (!ready)
		setup();
	if (size < 1)
		return 0;
	n = size - 1;
	copy = malloc(n ? n : 1);
	orig = malloc(n ? n : 1);
	memcpy(copy, data + 1, n);
	memcpy(orig, data + 1, n);
	rewrite_frame(&cfg, dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))], copy, (uint32_t)n,
		      (uint32_t)n, &p);
	if (p.n_ip == 0) {
		size_t from = p.has_eth ? 12 : 0;

		if (n > from && memcmp(copy + from, orig + from, n - from))
			abort();
	}
	free(copy);
	free(orig);
	return 0;
}
