/* test_nexthop.c - the next-hop cache against the kernel's own tables, in a
 * network namespace of its own (a veth pair, neighbour entries set with
 * ip(8)): a resolved next hop, frames held for one that never answers and
 * dropped as unresolved after resolve_ms, the hold bound, no route, frames
 * released when the entry turns usable (a notification), a watched entry's
 * MAC change, and a new route followed.  Without privilege for a namespace
 * only the notification socket is checked. */
#include "nexthop.h"
#include "netlink.h"
#include "util.h"
#include "t.h"

#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool isolated;

struct sink {
	unsigned frames, changes;
	uint8_t last_mac[6], changed_mac[6];
};

static int on_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct sink *s = ctx;

	(void)len;
	s->frames++;
	memcpy(s->last_mac, frame, 6);
	return 0;
}

static void on_change(void *ctx, const uint8_t dst[16], const uint8_t mac[6])
{
	struct sink *s = ctx;

	(void)dst;
	s->changes++;
	memcpy(s->changed_mac, mac, 6);
}

static void addr(uint8_t a[16], unsigned net, unsigned host)
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[5] = (uint8_t)net;
	a[15] = (uint8_t)host;
}

static int sh(const char *cmd)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s >/dev/null 2>&1", cmd);
	return system(buf);
}

/* Service the cache for up to ms, or until cond holds. */
static void pump(struct nh_cache *c, unsigned ms, const unsigned *watch, unsigned want)
{
	uint64_t end = now_mono_us() + (uint64_t)ms * 1000;

	while (now_mono_us() < end && (!watch || *watch < want)) {
		struct pollfd p = { .fd = nh_fd(c), .events = POLLIN };

		poll(&p, 1, 10);
		nh_service(c, now_mono_us());
	}
}

static void test_cache(void)
{
	struct sink s = { 0 };
	struct nh_cfg cfg = { .resolve_ms = 300, .hold_frames = 2, .send = on_send,
			      .on_change = on_change, .ctx = &s };
	static const uint8_t mac5[6] = { 2, 0, 0, 0, 0, 5 }, mac55[6] = { 2, 0, 0, 0, 0, 0x55 },
			     mac7[6] = { 2, 0, 0, 0, 0, 7 };
	uint8_t frame[60] = { 0 }, mac[6], d5[16], d6[16], d7[16], far[16], routed[16];
	struct nh_stats st;
	struct nh_cache *c;
	enum nh_drop why = NH_DROP_N;
	char err[256];

	if (!isolated)
		return;
	CHECK_EQ(sh("ip link add v0 type veth peer name v1 && ip link set v0 up && ip link set v1 up &&"
		    "ip -6 addr add 2001:db8:9::1/64 dev v0 nodad &&"
		    "ip -6 neigh add 2001:db8:9::5 lladdr 02:00:00:00:00:05 dev v0 nud permanent"), 0);
	cfg.ifindex = nl_ifindex("v0");
	cfg.ifname = "v0";
	c = nh_open(&cfg, err, sizeof(err));
	CHECKF(c != NULL, "%s", err);
	if (!c)
		return;
	addr(d5, 9, 5);
	addr(d6, 9, 6);
	addr(d7, 9, 7);
	addr(far, 0x99, 1);
	addr(routed, 0x77, 1);

	/* resolved from the table at once */
	CHECK_EQ(nh_lookup(c, d5, mac, &why, now_mono_us()), NH_READY);
	CHECK_MEM(mac, mac5, 6);
	/* nobody answers for ::6: held (bounded), then dropped as unresolved */
	CHECK_EQ(nh_lookup(c, d6, mac, &why, now_mono_us()), NH_PENDING);
	CHECK(nh_deadline(c) != UINT64_MAX);
	CHECK_EQ(nh_hold(c, d6, frame, sizeof(frame)), 0);
	CHECK_EQ(nh_hold(c, d6, frame, sizeof(frame)), 0);
	CHECK_EQ(nh_hold(c, d6, frame, sizeof(frame)), -1);
	pump(c, 600, NULL, 0);
	nh_stats(c, &st);
	CHECK_EQ(st.dropped[NH_DROP_UNRESOLVED], 2);
	CHECK_EQ(st.dropped[NH_DROP_HOLD_FULL], 1);
	CHECK_EQ(s.frames, 0);
	CHECK_EQ(nh_lookup(c, d6, mac, &why, now_mono_us()), NH_FAILED);	/* remembered */
	CHECK_EQ(why, NH_DROP_UNRESOLVED);
	/* no route */
	CHECK_EQ(nh_lookup(c, far, mac, &why, now_mono_us()), NH_FAILED);
	CHECK_EQ(why, NH_DROP_NO_ROUTE);
	/* ::7 resolves while frames wait: they leave with its MAC */
	CHECK_EQ(nh_lookup(c, d7, mac, &why, now_mono_us()), NH_PENDING);
	CHECK_EQ(nh_hold(c, d7, frame, sizeof(frame)), 0);
	CHECK_EQ(sh("ip -6 neigh replace 2001:db8:9::7 lladdr 02:00:00:00:00:07 dev v0 nud permanent"), 0);
	pump(c, 2000, &s.frames, 1);
	CHECK_EQ(s.frames, 1);
	CHECK_MEM(s.last_mac, mac7, 6);
	nh_stats(c, &st);
	CHECK_EQ(st.resolved, 1);
	CHECK_EQ(st.released, 1);
	/* a watched next hop changes its MAC: reported, and used */
	nh_watch(c, d5);
	CHECK_EQ(sh("ip -6 neigh replace 2001:db8:9::5 lladdr 02:00:00:00:00:55 dev v0 nud permanent"), 0);
	pump(c, 2000, &s.changes, 1);
	CHECK_EQ(s.changes, 1);
	CHECK_MEM(s.changed_mac, mac55, 6);
	CHECK_EQ(nh_lookup(c, d5, mac, &why, now_mono_us()), NH_READY);
	CHECK_MEM(mac, mac55, 6);
	/* a route added later is followed (route notification) */
	CHECK_EQ(nh_lookup(c, routed, mac, &why, now_mono_us()), NH_FAILED);
	nh_stats(c, &st);
	{
		uint64_t before = st.notifications;

		CHECK_EQ(sh("ip -6 route add 2001:db8:77::/64 via 2001:db8:9::5 dev v0"), 0);
		for (int i = 0; i < 100 && st.notifications == before; i++) {
			pump(c, 20, NULL, 0);
			nh_stats(c, &st);
		}
		CHECK(st.notifications > before);	/* the route change was read */
	}
	/* the negative entry lasts a second; the route is seen after it */
	pump(c, 1100, NULL, 0);
	CHECK_EQ(nh_lookup(c, routed, mac, &why, now_mono_us()), NH_READY);
	CHECK_MEM(mac, mac55, 6);
	/* at exit, what is still held is dropped and counted */
	{
		uint8_t d8[16];

		addr(d8, 9, 8);
		CHECK_EQ(nh_lookup(c, d8, mac, &why, now_mono_us()), NH_PENDING);
		CHECK_EQ(nh_hold(c, d8, frame, sizeof(frame)), 0);
		nh_abandon(c);
		nh_stats(c, &st);
		CHECK_EQ(st.dropped[NH_DROP_UNRESOLVED], 3);
		CHECK_EQ(nh_deadline(c), UINT64_MAX);
	}
	nh_close(c);
}

static void test_open(void)
{
	struct nh_cfg cfg = { .ifindex = 1, .ifname = "lo" };
	char err[256];
	struct nh_cache *c = nh_open(&cfg, err, sizeof(err));

	CHECKF(c != NULL, "%s", err);
	if (c) {
		CHECK(nh_fd(c) >= 0);
		CHECK_EQ(nh_deadline(c), UINT64_MAX);
		nh_service(c, now_mono_us());	/* nothing to read: returns at once */
		nh_close(c);
	}
	CHECK(!strcmp(nh_drop_name(NH_DROP_UNRESOLVED), "unresolved"));
	CHECK(!strcmp(nh_drop_name(NH_DROP_N), "?"));
}

int main(void)
{
	isolated = unshare(CLONE_NEWNET) == 0 && system("ip link set lo up") == 0;
	if (!isolated)
		printf("# no network namespace of our own (not root?): only the socket is checked\n");
	RUN(test_open);
	RUN(test_cache);
	return t_done();
}
