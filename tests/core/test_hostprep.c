/* test_hostprep.c - which kernel offload features httpfrag --manage-host
 * turns off: found by name pattern, so features newer than any list (Linux
 * 6.18's tx-tcp-accecn-segmentation) are caught.  The ioctl side is proven
 * in tests/lab/hostprep-lab.bats against ethtool -k. */
#include <string.h>

#include "hostprep.h"
#include "t.h"

static void test_offload_names(void)
{
	/* every segmentation/merge feature of a Linux 6.18 veth that changes
	 * what the capture sees or what a co-located back end sends */
	static const char *const off[] = {
		"tx-tcp-segmentation", "tx-tcp-ecn-segmentation", "tx-tcp-mangleid-segmentation",
		"tx-tcp6-segmentation", "tx-tcp-accecn-segmentation", "tx-generic-segmentation",
		"rx-gro", "rx-gro-hw", "rx-gro-list", "rx-lro",
		"tx-tcp-future-segmentation",	/* whatever comes next */
	};
	static const char *const keep[] = {
		"tx-udp-segmentation", "tx-gre-segmentation", "tx-sctp-segmentation",
		"tx-ipxip4-segmentation", "tx-checksum-ipv4", "rx-checksum", "rx-udp-gro-forwarding",
		"tx-tcp", "tx-tcp-", "rx-lro-hw", "tx-generic-segmentation-x", "", "rx-gr",
		"tx-scatter-gather", "rx-vlan-hw-parse", "tx-tcp-segmentation-x",
	};

	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		CHECKF(hostprep_offload_wanted_off(off[i]), "%s should go off", off[i]);
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		CHECKF(!hostprep_offload_wanted_off(keep[i]), "%s should stay", keep[i]);
}

int main(void)
{
	RUN(test_offload_names);
	return t_done();
}
