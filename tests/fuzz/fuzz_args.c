/* fuzz_args.c - libFuzzer harness for the option-value parsers: numbers,
 * durations, addresses, prefixes, MACs, port lists, OLD=NEW rewrites; and
 * the promise that canonical text parses back to the same address. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), err[ARG_ERRLEN], buf[46];
	uint8_t a6[16], b6[16], a4[4], mac[6];
	static uint8_t ports[8192];
	struct v6_addr addr;
	struct v6_prefix pfx;
	struct v6_rewrite rw;
	uint64_t u;
	double d;

	memcpy(s, data, size);
	s[size] = 0;
	parse_uint(s, 0, UINT64_MAX, &u, err);
	parse_uint(s, 10, 1000, &u, err);
	parse_double(s, 0, 1e9, &d, err);
	if (parse_ip6(s, a6, err)) {
		fmt_ip6(a6, buf);
		if (!parse_ip6(buf, b6, err) || memcmp(a6, b6, 16))
			abort();
	}
	if (parse_ip4(s, a4, err))
		fmt_ip4(a4, buf);
	if (parse_addr(s, &addr, err))
		fmt_addr(&addr, buf);
	if (parse_prefix(s, &pfx, err))
		prefix_match(&pfx, &pfx.addr) || (abort(), 0);
	if (parse_mac(s, mac, err))
		fmt_mac(mac, buf);
	parse_ports(s, ports, err);
	parse_rewrite(s, &rw, err);
	free(s);
	return 0;
}
