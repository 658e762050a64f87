/* test_netlink_parse.c - the rtnetlink reply parser on synthetic messages:
 * valid link/address/route/neighbour replies, errors, stale sequence
 * numbers, and every truncation plus random corruption of each (netlink
 * replies are untrusted bytes; run under ASan by `make sanitize`). */
#include "../../core/netlink.c"	/* the static parser and callbacks under test */
#include "t.h"

#include <stdlib.h>

static void put16(struct wcur *w, uint16_t v) { wcur_bytes(w, &v, 2); }
static void put32(struct wcur *w, uint32_t v) { wcur_bytes(w, &v, 4); }

static size_t msg_begin(struct wcur *w, uint16_t type, uint32_t seq)
{
	size_t off = wcur_off(w);

	put32(w, 0);
	put16(w, type);
	put16(w, 0);
	put32(w, seq);
	put32(w, 0);
	return off;
}

static void msg_end(struct wcur *w, size_t off)
{
	uint32_t len = (uint32_t)(wcur_off(w) - off);
	uint8_t *save = w->p;

	w->p = w->base + off;
	put32(w, len);
	w->p = save;
	while (wcur_off(w) % 4)
		wcur_u8(w, 0);
}

static void attr(struct wcur *w, uint16_t type, const void *data, size_t len)
{
	put16(w, (uint16_t)(4 + len));
	put16(w, type);
	wcur_bytes(w, data, len);
	while (wcur_off(w) % 4)
		wcur_u8(w, 0);
}

static void done_msg(struct wcur *w, uint32_t seq)
{
	size_t m = msg_begin(w, NLMSG_DONE, seq);

	put32(w, 0);
	msg_end(w, m);
}

static const uint8_t mac6[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };
static const uint8_t addr6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x42 };

static size_t link_reply(uint8_t *buf, size_t cap)
{
	struct wcur w;
	size_t m;
	uint32_t mtu = 1500;

	wcur_init(&w, buf, cap);
	m = msg_begin(&w, RTM_NEWLINK, 7);
	wcur_u8(&w, AF_UNSPEC); wcur_u8(&w, 0); put16(&w, 1);
	put32(&w, 9); put32(&w, 0x1043); put32(&w, 0);
	attr(&w, IFLA_IFNAME, "eth9", 5);
	attr(&w, IFLA_MTU, &mtu, 4);
	attr(&w, IFLA_ADDRESS, mac6, 6);
	msg_end(&w, m);
	done_msg(&w, 7);
	return wcur_off(&w);
}

static size_t addr_reply(uint8_t *buf, size_t cap)
{
	struct wcur w;
	size_t m;
	uint32_t flags = 0x80;	/* IFA_F_PERMANENT */

	wcur_init(&w, buf, cap);
	m = msg_begin(&w, RTM_NEWADDR, 7);
	wcur_u8(&w, AF_INET6); wcur_u8(&w, 64); wcur_u8(&w, 0); wcur_u8(&w, 0);
	put32(&w, 9);
	attr(&w, IFA_ADDRESS, addr6, 16);
	attr(&w, IFA_FLAGS, &flags, 4);
	msg_end(&w, m);
	m = msg_begin(&w, RTM_NEWADDR, 7);	/* another interface: ignored */
	wcur_u8(&w, AF_INET6); wcur_u8(&w, 128); wcur_u8(&w, 0); wcur_u8(&w, 254);
	put32(&w, 1);
	attr(&w, IFA_ADDRESS, addr6, 16);
	msg_end(&w, m);
	done_msg(&w, 7);
	return wcur_off(&w);
}

static size_t route_reply(uint8_t *buf, size_t cap)
{
	struct wcur w;
	size_t m;
	uint32_t oif = 9;
	const uint8_t hdr[8] = { AF_INET6, 128, 0, 0, 254, 0, 0, RTN_UNICAST };

	wcur_init(&w, buf, cap);
	m = msg_begin(&w, RTM_NEWROUTE, 7);
	wcur_bytes(&w, hdr, 8);
	put32(&w, 0);
	attr(&w, RTA_DST, addr6, 16);
	attr(&w, RTA_OIF, &oif, 4);
	attr(&w, RTA_GATEWAY, addr6, 16);
	msg_end(&w, m);
	m = msg_begin(&w, NLMSG_ERROR, 7);	/* the ACK */
	put32(&w, 0);
	msg_end(&w, m);
	return wcur_off(&w);
}

static size_t neigh_reply(uint8_t *buf, size_t cap)
{
	struct wcur w;
	size_t m;

	wcur_init(&w, buf, cap);
	m = msg_begin(&w, RTM_NEWNEIGH, 7);
	wcur_u8(&w, AF_INET6); wcur_u8(&w, 0); put16(&w, 0);
	put32(&w, 9); put16(&w, NL_NUD_STALE); wcur_u8(&w, 0); wcur_u8(&w, 1);
	attr(&w, NDA_DST, addr6, 16);
	attr(&w, NDA_LLADDR, mac6, 6);
	msg_end(&w, m);
	done_msg(&w, 7);
	return wcur_off(&w);
}

/* Parse from an exact-size heap copy so ASan sees any over-read. */
static int parse_copy(const uint8_t *buf, size_t n, nl_cb cb, void *ctx, bool *done)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	memcpy(copy, buf, n);
	*done = false;
	rc = nl_parse(copy, n, 7, cb, ctx, done);
	free(copy);
	return rc;
}

static void test_link(void)
{
	uint8_t buf[256];
	size_t n = link_reply(buf, sizeof(buf));
	struct nl_link l;
	struct link_ctx lc = { &l, false };
	bool done;

	CHECK_EQ(parse_copy(buf, n, link_cb, &lc, &done), 0);
	CHECK(done);
	CHECK(lc.found);
	CHECK_EQ(l.ifindex, 9);
	CHECK(strcmp(l.name, "eth9") == 0);
	CHECK_EQ(l.mtu, 1500);
	CHECK_EQ(l.addr_len, 6);
	CHECK_MEM(l.mac, mac6, 6);
	CHECK_EQ(l.flags, 0x1043);
}

static void test_addr(void)
{
	uint8_t buf[256];
	size_t n = addr_reply(buf, sizeof(buf));
	struct nl_addr a[4];
	struct addr_ctx ac = { 9, a, 4, 0 };
	bool done;

	CHECK_EQ(parse_copy(buf, n, addr_cb, &ac, &done), 0);
	CHECK_EQ(ac.n, 1);
	CHECK_EQ(a[0].family, 6);
	CHECK_EQ(a[0].prefixlen, 64);
	CHECK_EQ(a[0].flags, 0x80);
	CHECK_MEM(a[0].addr, addr6, 16);
}

static void test_route(void)
{
	uint8_t buf[256];
	size_t n = route_reply(buf, sizeof(buf));
	struct route_ctx rc = { 0 };
	bool done;

	CHECK_EQ(parse_copy(buf, n, route_cb, &rc, &done), 0);
	CHECK(done);
	CHECK(rc.found);
	CHECK_EQ(rc.oif, 9);
	CHECK(rc.has_gw);
	CHECK_MEM(rc.gw, addr6, 16);
	CHECK_EQ(rc.rtype, RTN_UNICAST);
}

static void test_neigh(void)
{
	uint8_t buf[256];
	size_t n = neigh_reply(buf, sizeof(buf));
	struct neigh_ctx nc = { .ifindex = 9, .addr = addr6 };
	bool done;

	CHECK_EQ(parse_copy(buf, n, neigh_cb, &nc, &done), 0);
	CHECK(nc.found);
	CHECK(nc.n.has_mac);
	CHECK_EQ(nc.n.state, NL_NUD_STALE);
	CHECK_MEM(nc.n.mac, mac6, 6);
}

/* Notifications: sequence 0, neighbour and route changes, several per
 * datagram. */
struct seen {
	int neigh, route, deleted, overflow;
	struct nl_neigh last;
};

static void on_note(void *ctx, enum nl_event ev, const struct nl_neigh *n)
{
	struct seen *s = ctx;

	if (ev == NL_EV_NEIGH) {
		s->neigh++;
		s->deleted += n->deleted;
		s->last = *n;
	} else if (ev == NL_EV_ROUTE) {
		s->route++;
	} else {
		s->overflow++;
	}
}

static size_t notify_batch(uint8_t *buf, size_t cap)
{
	struct wcur w;
	size_t m;

	wcur_init(&w, buf, cap);
	m = msg_begin(&w, RTM_NEWNEIGH, 0);
	wcur_u8(&w, AF_INET6); wcur_u8(&w, 0); put16(&w, 0);
	put32(&w, 9); put16(&w, NL_NUD_REACHABLE); wcur_u8(&w, 0); wcur_u8(&w, 1);
	attr(&w, NDA_DST, addr6, 16);
	attr(&w, NDA_LLADDR, mac6, 6);
	msg_end(&w, m);
	m = msg_begin(&w, RTM_NEWNEIGH, 0);	/* IPv4: ignored */
	wcur_u8(&w, AF_INET); wcur_u8(&w, 0); put16(&w, 0);
	put32(&w, 9); put16(&w, NL_NUD_REACHABLE); wcur_u8(&w, 0); wcur_u8(&w, 1);
	attr(&w, NDA_DST, addr6, 4);
	msg_end(&w, m);
	m = msg_begin(&w, RTM_NEWROUTE, 0);
	wcur_u8(&w, AF_INET6); wcur_zero(&w, 7); put32(&w, 0);
	msg_end(&w, m);
	m = msg_begin(&w, RTM_DELNEIGH, 0);
	wcur_u8(&w, AF_INET6); wcur_u8(&w, 0); put16(&w, 0);
	put32(&w, 9); put16(&w, NL_NUD_FAILED); wcur_u8(&w, 0); wcur_u8(&w, 1);
	attr(&w, NDA_DST, addr6, 16);
	msg_end(&w, m);
	return wcur_off(&w);
}

static void test_notify(void)
{
	uint8_t buf[512];
	size_t n = notify_batch(buf, sizeof(buf));
	struct seen s = { 0 };
	uint8_t *copy = malloc(n);

	memcpy(copy, buf, n);
	CHECK_EQ(nl_notify_parse(copy, n, on_note, &s), 3);
	CHECK_EQ(s.neigh, 2);
	CHECK_EQ(s.route, 1);
	CHECK_EQ(s.deleted, 1);
	CHECK(s.last.deleted);
	CHECK(!s.last.has_mac);
	CHECK_MEM(s.last.addr, addr6, 16);
	CHECK_EQ(s.last.ifindex, 9);
	/* Every cut and random corruption: no crash, no over-read. */
	for (size_t cut = 0; cut <= n; cut++) {
		unsigned seed = (unsigned)cut * 7919u + 1;

		for (int iter = 0; iter < 100; iter++) {
			uint8_t *mut = malloc(cut ? cut : 1);
			struct seen z = { 0 };

			memcpy(mut, buf, cut);
			for (int f = 0; cut && iter && f < 1 + iter % 4; f++) {
				seed = seed * 1103515245 + 12345;
				mut[(seed >> 8) % cut] = (uint8_t)(seed >> 20);
			}
			CHECK(nl_notify_parse(mut, cut, on_note, &z) <= 4);
			free(mut);
		}
	}
	free(copy);
}

static void test_errors_and_stale(void)
{
	uint8_t buf[128];
	struct wcur w;
	struct route_ctx rc = { 0 };
	bool done;
	size_t m;

	wcur_init(&w, buf, sizeof(buf));
	m = msg_begin(&w, RTM_NEWROUTE, 6);	/* stale sequence: ignored */
	wcur_zero(&w, 12);
	msg_end(&w, m);
	m = msg_begin(&w, NLMSG_ERROR, 7);
	put32(&w, (uint32_t)-ENODEV);
	msg_end(&w, m);
	CHECK_EQ(parse_copy(buf, wcur_off(&w), route_cb, &rc, &done), -ENODEV);
	CHECK(done);
	CHECK(!rc.found);

	/* A length field smaller than the header: malformed, not a loop. */
	wcur_init(&w, buf, sizeof(buf));
	msg_begin(&w, RTM_NEWROUTE, 7);
	CHECK_EQ(parse_copy(buf, wcur_off(&w), route_cb, &rc, &done), -EBADMSG);
	/* An absurd error code is malformed too. */
	wcur_init(&w, buf, sizeof(buf));
	m = msg_begin(&w, NLMSG_ERROR, 7);
	put32(&w, 0x7fffffff);
	msg_end(&w, m);
	CHECK_EQ(parse_copy(buf, wcur_off(&w), route_cb, &rc, &done), -EBADMSG);
}

/* Every prefix and random corruption of every reply: no crash, no over-read
 * (ASan), no hang. */
static void test_truncation_and_fuzz(void)
{
	size_t (*makers[4])(uint8_t *, size_t) = { link_reply, addr_reply, route_reply, neigh_reply };
	uint8_t buf[256], mut[256];
	unsigned seed = 12345;
	int parsed = 0;

	for (int k = 0; k < 4; k++) {
		size_t n = makers[k](buf, sizeof(buf));

		for (size_t cut = 0; cut <= n; cut++) {
			for (int iter = 0; iter < 200; iter++) {
				struct nl_link l;
				struct link_ctx lc = { &l, false };
				struct nl_addr a[2];
				struct addr_ctx ac = { 9, a, 2, 0 };
				struct route_ctx rc = { 0 };
				struct neigh_ctx nc = { .ifindex = 9, .addr = addr6 };
				bool done;

				memcpy(mut, buf, n);
				for (int f = 0; iter && f < 1 + iter % 4; f++) {
					seed = seed * 1103515245 + 12345;
					mut[(seed >> 8) % n] = (uint8_t)(seed >> 20);
				}
				parse_copy(mut, cut, link_cb, &lc, &done);
				parse_copy(mut, cut, addr_cb, &ac, &done);
				parse_copy(mut, cut, route_cb, &rc, &done);
				parse_copy(mut, cut, neigh_cb, &nc, &done);
				parsed += 4;
			}
		}
	}
	CHECK(parsed > 100000);
}

int main(void)
{
	RUN(test_link);
	RUN(test_addr);
	RUN(test_route);
	RUN(test_neigh);
	RUN(test_notify);
	RUN(test_errors_and_stale);
	RUN(test_truncation_and_fuzz);
	return t_done();
}
