/* test_netlink.c - rtnetlink helpers against the loopback interface of the
 * current namespace (the veth/neighbour paths are in tests/lab/core-lab.bats). */
#include "netlink.h"
#include "t.h"

#include <errno.h>
#include <net/if.h>

static const uint8_t loop6[16] = { [15] = 1 };

static void test_link_lo(void)
{
	struct nl_link l;
	uint32_t mtu = 0;
	int idx = nl_ifindex("lo");

	CHECK_EQ(idx, (int)if_nametoindex("lo"));
	CHECK_EQ(nl_link_get(NULL, idx, &l), 0);
	CHECK(strcmp(l.name, "lo") == 0);
	CHECK(l.flags & IFF_LOOPBACK);
	CHECK(l.mtu >= 1280);
	CHECK_EQ(nl_ifmtu(idx, &mtu), 0);
	CHECK_EQ(mtu, l.mtu);
	CHECK_EQ(nl_link_get("lo", 0, &l), 0);
	CHECK_EQ(l.ifindex, idx);
}

static void test_link_missing(void)
{
	struct nl_link l;

	CHECK_EQ(nl_ifindex("v6knosuch0"), -ENODEV);
	CHECKF(strstr(nl_error(), "v6knosuch0: no such interface") != NULL, "'%s'", nl_error());
	CHECK_EQ(nl_link_get(NULL, 999999, &l), -ENODEV);
	CHECK_EQ(nl_ifindex("a-name-far-too-long-for-linux"), -ENODEV);
}

static void test_addrs_lo(void)
{
	struct nl_addr a[16];
	int n = nl_addrs(nl_ifindex("lo"), 0, a, 16), found6 = 0, found4 = 0;

	CHECK(n >= 1);
	for (int i = 0; i < n && i < 16; i++) {
		if (a[i].family == 6 && !memcmp(a[i].addr, loop6, 16)) {
			found6++;
			CHECK_EQ(a[i].prefixlen, 128);
			CHECK_EQ(a[i].scope, 254);	/* RT_SCOPE_HOST */
		}
		if (a[i].family == 4 && a[i].addr[0] == 127) {
			found4++;
			CHECK_EQ(a[i].prefixlen, 8);
		}
	}
	CHECK(found6 + found4 >= 1);
	/* Family filter: no IPv4 entry in a v6-only listing. */
	n = nl_addrs(nl_ifindex("lo"), 6, a, 16);
	for (int i = 0; i < n && i < 16; i++)
		CHECK_EQ(a[i].family, 6);
	/* Count beyond max is still reported. */
	CHECK_EQ(nl_addrs(nl_ifindex("lo"), 0, a, 0), nl_addrs(nl_ifindex("lo"), 0, a, 16));
}

static void test_route_local(void)
{
	uint8_t gw[16], src[16];
	bool has_gw;
	int ifindex = 0;

	CHECK_EQ(nl_route6(loop6, &ifindex, &has_gw, gw, src), -EADDRNOTAVAIL);
	CHECKF(strstr(nl_error(), "::1 is a local address") != NULL, "'%s'", nl_error());
}

static void test_nexthop_multicast(void)
{
	const uint8_t mc[16] = { 0xff, 0x02, [12] = 0x12, 0x34, 0x56, 0x78 };
	const uint8_t want[6] = { 0x33, 0x33, 0x12, 0x34, 0x56, 0x78 };
	uint8_t nh[16], mac[6];
	int ifindex = nl_ifindex("lo");

	CHECK_EQ(nl_nexthop6(mc, &ifindex, nh, mac, 0), 0);
	CHECK_MEM(mac, want, 6);
	CHECK_MEM(nh, mc, 16);
}

static void test_nexthop_loopback(void)
{
	uint8_t nh[16], mac[6];
	int ifindex = 0;

	CHECK_EQ(nl_nexthop6(loop6, &ifindex, nh, mac, 10), -EADDRNOTAVAIL);
}

int main(void)
{
	RUN(test_link_lo);
	RUN(test_link_missing);
	RUN(test_addrs_lo);
	RUN(test_route_local);
	RUN(test_nexthop_multicast);
	RUN(test_nexthop_loopback);
	return t_done();
}
