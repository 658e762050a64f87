/* netlink.c - rtnetlink (RFC 3549) link/address/route/neighbour queries and
 * IPv6 next-hop resolution (RFC 4861 §7.2) over NETLINK_ROUTE sockets.
 * Replies are untrusted bytes: parsed only through core/cursor.h. */
#include "netlink.h"
#include "cursor.h"
#include "pkt.h"
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* One message per thread: the send threads (core/txq) and the event loop
 * may both ask the kernel something at the same time. */
static _Thread_local char nl_msg[256];

const char *nl_error(void) { return nl_msg; }

static int nl_fail(int e, const char *fmt, ...) V6_PRINTF(2, 3);
static int nl_fail(int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(nl_msg, sizeof(nl_msg), fmt, ap);
	va_end(ap);
	return -e;
}

#ifndef __linux__

int nl_link_get(const char *name, int ifindex, struct nl_link *out)
{
	(void)name; (void)ifindex; (void)out;
	return nl_fail(ENOSYS, "netlink is Linux only");
}
/* ... the other entry points likewise; BSD ports use routing sockets. */
int nl_ifindex(const char *name) { return nl_link_get(name, 0, NULL); }
int nl_ifmac(int ifindex, uint8_t mac[6]) { (void)mac; return nl_link_get(NULL, ifindex, NULL); }
int nl_ifmtu(int ifindex, uint32_t *mtu) { (void)mtu; return nl_link_get(NULL, ifindex, NULL); }
int nl_addrs(int ifindex, int family, struct nl_addr *out, size_t max)
{
	(void)family; (void)out; (void)max;
	return nl_link_get(NULL, ifindex, NULL);
}
int nl_route6(const uint8_t dst[16], int *ifindex, bool *has_gw, uint8_t gw[16], uint8_t src[16])
{
	(void)dst; (void)has_gw; (void)gw; (void)src;
	return nl_link_get(NULL, *ifindex, NULL);
}
int nl_neigh6(int ifindex, const uint8_t addr[16], uint16_t *state, uint8_t mac[6])
{
	(void)addr; (void)state; (void)mac;
	return nl_link_get(NULL, ifindex, NULL);
}
int nl_nexthop6(const uint8_t dst[16], int *ifindex, uint8_t nh_addr[16], uint8_t mac[6],
		unsigned timeout_ms)
{
	(void)dst; (void)nh_addr; (void)mac; (void)timeout_ms;
	return nl_link_get(NULL, *ifindex, NULL);
}
int nl_notify_open(void) { return nl_link_get(NULL, 0, NULL); }
int nl_notify_read(int fd, nl_notify_cb cb, void *ctx) { (void)fd; (void)cb; (void)ctx; return 0; }
int nl_notify_parse(const uint8_t *buf, size_t n, nl_notify_cb cb, void *ctx)
{
	(void)buf; (void)n; (void)cb; (void)ctx;
	return 0;
}
void nl_solicit6(const uint8_t nh[16], int ifindex, const char *ifname)
{
	(void)nh; (void)ifindex; (void)ifname;
}

#else

#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#define NL_HDRLEN 16	/* struct nlmsghdr */
#define NL_RXBUF 65536	/* > the kernel's largest dump skb (32 KiB) */

static const char *ip6_text(const uint8_t a[16], char buf[INET6_ADDRSTRLEN])
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* Netlink fields are in host byte order: read and write them by copy. */
static bool cur_h16(struct cur *c, uint16_t *v) { return cur_copy(c, v, 2); }
static bool cur_h32(struct cur *c, uint32_t *v) { return cur_copy(c, v, 4); }
static bool wcur_h16(struct wcur *w, uint16_t v) { return wcur_bytes(w, &v, 2); }
static bool wcur_h32(struct wcur *w, uint32_t v) { return wcur_bytes(w, &v, 4); }

/* ---- requests ---- */

struct nl_req {
	uint8_t buf[512];
	struct wcur w;
	uint32_t seq;
};

static uint32_t nl_seq;

static void req_init(struct nl_req *r, uint16_t type, uint16_t flags)
{
	wcur_init(&r->w, r->buf, sizeof(r->buf));
	r->seq = __atomic_add_fetch(&nl_seq, 1, __ATOMIC_RELAXED);
	wcur_h32(&r->w, 0);		/* nlmsg_len, set by req_len() */
	wcur_h16(&r->w, type);
	wcur_h16(&r->w, flags);
	wcur_h32(&r->w, r->seq);
	wcur_h32(&r->w, 0);		/* nlmsg_pid: the kernel */
}

static void req_pad(struct nl_req *r)
{
	while (wcur_off(&r->w) % 4 && !r->w.overflow)
		wcur_u8(&r->w, 0);
}

static void req_attr(struct nl_req *r, uint16_t type, const void *data, size_t len)
{
	req_pad(r);
	wcur_h16(&r->w, (uint16_t)(4 + len));
	wcur_h16(&r->w, type);
	wcur_bytes(&r->w, data, len);
	req_pad(r);
}

static size_t req_len(struct nl_req *r)
{
	uint32_t len = (uint32_t)wcur_off(&r->w);
	uint8_t *save = r->w.p;

	r->w.p = r->w.base;
	wcur_h32(&r->w, len);
	r->w.p = save;
	return len;
}

/* ---- replies ---- */

/* Next attribute of an rtattr list: type (nested/byte-order bits dropped)
 * and a cursor over its value. */
static bool attr_next(struct cur *c, uint16_t *type, struct cur *val)
{
	uint16_t len;

	if (cur_left(c) < 4)
		return false;
	cur_h16(c, &len);
	cur_h16(c, type);
	*type &= NLA_TYPE_MASK;
	if (len < 4)
		return cur_fail(c);
	if (!cur_sub(c, (size_t)len - 4, val))
		return false;
	cur_skip(c, ((len + 3u) & ~3u) - len < cur_left(c) ? ((len + 3u) & ~3u) - len : cur_left(c));
	return true;
}

typedef int (*nl_cb)(void *ctx, uint16_t type, struct cur *payload);

/* Walk the netlink messages in one datagram: messages of our sequence go to
 * cb; NLMSG_DONE or an NLMSG_ERROR (0 = ACK) set *done.  Returns 0, the
 * kernel's -errno, cb's error, or -EBADMSG for malformed framing. */
static int nl_parse(const uint8_t *buf, size_t n, uint32_t seq_want, nl_cb cb, void *ctx, bool *done)
{
	struct cur c;
	int rc = 0;

	cur_init(&c, buf, n);
	while (cur_left(&c) >= NL_HDRLEN && rc == 0 && !*done) {
		uint32_t mlen, seq, pid;
		uint16_t type, flags;
		struct cur body;

		cur_h32(&c, &mlen);
		cur_h16(&c, &type);
		cur_h16(&c, &flags);
		cur_h32(&c, &seq);
		cur_h32(&c, &pid);
		if (mlen < NL_HDRLEN || !cur_sub(&c, mlen - NL_HDRLEN, &body))
			return nl_fail(EBADMSG, "malformed netlink reply");
		cur_skip(&c, ((mlen + 3u) & ~3u) - mlen < cur_left(&c) ?
			 ((mlen + 3u) & ~3u) - mlen : cur_left(&c));
		if (seq != seq_want)
			continue;	/* not ours (stale) */
		if (type == NLMSG_DONE) {
			*done = true;
		} else if (type == NLMSG_ERROR) {
			uint32_t e;

			if (!cur_h32(&body, &e))
				return nl_fail(EBADMSG, "malformed netlink error message");
			*done = true;
			if ((int32_t)e < 0 && (int32_t)e > -4096)
				rc = nl_fail(-(int32_t)e, "%s", strerror(-(int32_t)e));
			else if ((int32_t)e != 0)
				rc = nl_fail(EBADMSG, "malformed netlink error code");
		} else if (type >= NLMSG_MIN_TYPE) {
			rc = cb(ctx, type, &body);
		}
	}
	return rc;
}

/* Send one request and feed every reply message to cb until NLMSG_DONE or
 * the ACK.  Returns 0, a negative errno from the kernel, or cb's error. */
static int nl_talk(struct nl_req *r, nl_cb cb, void *ctx)
{
	/* Per thread, like nl_msg: each caller has its own socket anyway. */
	static _Thread_local uint8_t rx[NL_RXBUF];
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct timeval tmo = { .tv_sec = 2 };
	size_t len = req_len(r);
	int fd, rc = 0;
	bool done = false;

	if (r->w.overflow)
		return nl_fail(EMSGSIZE, "netlink request too large");
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return nl_fail(errno, "cannot open netlink socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo));
	if (sendto(fd, r->buf, len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		rc = nl_fail(errno, "netlink send: %s", strerror(errno));
		goto out;
	}
	while (!done && rc == 0) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, rx, sizeof(rx), MSG_TRUNC, (struct sockaddr *)&from, &flen);

		if (n >= 0 && from.nl_pid != 0)
			continue;	/* only the kernel answers; ignore other senders */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = nl_fail(errno, "netlink receive: %s", strerror(errno));
			break;
		}
		if ((size_t)n > sizeof(rx)) {
			rc = nl_fail(EMSGSIZE, "netlink reply larger than %zu octets", sizeof(rx));
			break;
		}
		if (n == 0) {
			rc = nl_fail(EPROTO, "netlink socket closed");
			break;
		}
		rc = nl_parse(rx, (size_t)n, r->seq, cb, ctx, &done);
	}
out:
	close(fd);
	return rc;
}

/* ---- links ---- */

struct link_ctx {
	struct nl_link *out;
	bool found;
};

static int link_cb(void *ctx, uint16_t type, struct cur *c)
{
	struct link_ctx *lc = ctx;
	struct nl_link *l = lc->out;
	uint8_t family, pad;
	uint16_t hwtype, at;
	uint32_t index, flags, change;
	struct cur v;

	if (type != RTM_NEWLINK)
		return 0;
	cur_u8(c, &family);
	cur_u8(c, &pad);
	cur_h16(c, &hwtype);
	cur_h32(c, &index);
	cur_h32(c, &flags);
	cur_h32(c, &change);
	if (c->trunc)
		return nl_fail(EBADMSG, "malformed netlink link message");
	memset(l, 0, sizeof(*l));
	l->ifindex = (int)index;
	l->flags = flags;
	l->type = hwtype;
	while (attr_next(c, &at, &v)) {
		size_t n = cur_left(&v);

		if (at == IFLA_ADDRESS && n == 6) {
			cur_copy(&v, l->mac, 6);
			l->addr_len = 6;
		} else if (at == IFLA_ADDRESS) {
			l->addr_len = n > 255 ? 255 : (uint8_t)n;
		} else if (at == IFLA_MTU) {
			cur_h32(&v, &l->mtu);
		} else if (at == IFLA_IFNAME) {
			if (n >= sizeof(l->name))
				n = sizeof(l->name) - 1;
			cur_copy(&v, l->name, n);
			l->name[n] = 0;
		}
	}
	lc->found = true;
	return 0;
}

int nl_link_get(const char *name, int ifindex, struct nl_link *out)
{
	struct nl_link tmp;
	struct link_ctx lc = { out ? out : &tmp, false };
	struct nl_req r;
	int rc;

	if (name && strlen(name) >= IFNAMSIZ)
		return nl_fail(ENODEV, "%s: no such interface (name too long)", name);
	req_init(&r, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK);
	wcur_u8(&r.w, AF_UNSPEC);
	wcur_u8(&r.w, 0);
	wcur_h16(&r.w, 0);
	wcur_h32(&r.w, name ? 0 : (uint32_t)ifindex);
	wcur_h32(&r.w, 0);
	wcur_h32(&r.w, 0);
	if (name)
		req_attr(&r, IFLA_IFNAME, name, strlen(name) + 1);
	rc = nl_talk(&r, link_cb, &lc);
	if (rc == -ENODEV || (rc == 0 && !lc.found)) {
		if (name)
			return nl_fail(ENODEV, "%s: no such interface", name);
		return nl_fail(ENODEV, "no interface with index %d", ifindex);
	}
	if (rc < 0)
		return nl_fail(-rc, "interface %s: %s", name ? name : "lookup", nl_msg);
	nl_msg[0] = 0;
	return 0;
}

int nl_ifindex(const char *name)
{
	struct nl_link l;
	int rc = nl_link_get(name, 0, &l);

	return rc < 0 ? rc : l.ifindex;
}

int nl_ifmac(int ifindex, uint8_t mac[6])
{
	struct nl_link l;
	int rc = nl_link_get(NULL, ifindex, &l);

	if (rc < 0)
		return rc;
	if (l.addr_len != 6)
		return nl_fail(EOPNOTSUPP, "%s: no Ethernet address", l.name);
	memcpy(mac, l.mac, 6);
	return 0;
}

int nl_ifmtu(int ifindex, uint32_t *mtu)
{
	struct nl_link l;
	int rc = nl_link_get(NULL, ifindex, &l);

	if (rc < 0)
		return rc;
	*mtu = l.mtu;
	return 0;
}

/* ---- addresses ---- */

struct addr_ctx {
	int ifindex;
	struct nl_addr *out;
	size_t max, n;
};

static int addr_cb(void *ctx, uint16_t type, struct cur *c)
{
	struct addr_ctx *ac = ctx;
	struct nl_addr a = { 0 };
	uint8_t family, plen, flags8, scope;
	uint32_t index;
	uint16_t at;
	struct cur v, addr = { 0 }, local = { 0 };
	bool have_addr = false, have_local = false;
	size_t alen;

	if (type != RTM_NEWADDR)
		return 0;
	cur_u8(c, &family);
	cur_u8(c, &plen);
	cur_u8(c, &flags8);
	cur_u8(c, &scope);
	cur_h32(c, &index);
	if (c->trunc)
		return nl_fail(EBADMSG, "malformed netlink address message");
	if ((int)index != ac->ifindex || (family != AF_INET && family != AF_INET6))
		return 0;
	alen = family == AF_INET ? 4 : 16;
	a.family = family == AF_INET ? 4 : 6;
	a.prefixlen = plen;
	a.scope = scope;
	a.flags = flags8;
	while (attr_next(c, &at, &v)) {
		if (at == IFA_ADDRESS && cur_left(&v) == alen) {
			addr = v;
			have_addr = true;
		} else if (at == IFA_LOCAL && cur_left(&v) == alen) {
			local = v;
			have_local = true;
		} else if (at == IFA_FLAGS) {
			cur_h32(&v, &a.flags);
		}
	}
	/* On point-to-point links IFA_ADDRESS is the peer; IFA_LOCAL is ours. */
	if (have_local)
		cur_copy(&local, a.addr, alen);
	else if (have_addr)
		cur_copy(&addr, a.addr, alen);
	else
		return 0;
	if (ac->n < ac->max)
		ac->out[ac->n] = a;
	ac->n++;
	return 0;
}

int nl_addrs(int ifindex, int family, struct nl_addr *out, size_t max)
{
	struct addr_ctx ac = { ifindex, out, max, 0 };
	struct nl_req r;
	int rc;

	req_init(&r, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP);
	wcur_u8(&r.w, family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC);
	wcur_u8(&r.w, 0);
	wcur_u8(&r.w, 0);
	wcur_u8(&r.w, 0);
	wcur_h32(&r.w, (uint32_t)ifindex);
	rc = nl_talk(&r, addr_cb, &ac);
	if (rc < 0)
		return nl_fail(-rc, "addresses of interface %d: %s", ifindex, nl_msg);
	nl_msg[0] = 0;
	return (int)ac.n;
}

/* ---- routes ---- */

struct route_ctx {
	bool found;
	uint8_t rtype;
	uint32_t oif;
	bool has_gw;
	uint8_t gw[16], src[16];
};

static int route_cb(void *ctx, uint16_t type, struct cur *c)
{
	struct route_ctx *rc = ctx;
	uint8_t hdr[8];
	uint32_t flags;
	uint16_t at;
	struct cur v;

	if (type != RTM_NEWROUTE)
		return 0;
	cur_copy(c, hdr, sizeof(hdr));	/* family, dst_len, src_len, tos, table, protocol, scope, type */
	cur_h32(c, &flags);
	if (c->trunc)
		return nl_fail(EBADMSG, "malformed netlink route message");
	rc->found = true;
	rc->rtype = hdr[7];
	while (attr_next(c, &at, &v)) {
		if (at == RTA_OIF)
			cur_h32(&v, &rc->oif);
		else if (at == RTA_GATEWAY && cur_left(&v) == 16)
			rc->has_gw = cur_copy(&v, rc->gw, 16);
		else if (at == RTA_PREFSRC && cur_left(&v) == 16)
			cur_copy(&v, rc->src, 16);
	}
	return 0;
}

int nl_route6(const uint8_t dst[16], int *ifindex, bool *has_gw, uint8_t gw[16], uint8_t src[16])
{
	struct route_ctx ctx = { 0 };
	char text[INET6_ADDRSTRLEN];
	struct nl_req r;
	int rc;

	req_init(&r, RTM_GETROUTE, NLM_F_REQUEST | NLM_F_ACK);
	wcur_u8(&r.w, AF_INET6);
	wcur_u8(&r.w, 128);	/* dst_len */
	wcur_zero(&r.w, 6);	/* src_len tos table protocol scope type */
	wcur_h32(&r.w, 0);
	req_attr(&r, RTA_DST, dst, 16);
	if (*ifindex > 0) {
		uint32_t oif = (uint32_t)*ifindex;

		req_attr(&r, RTA_OIF, &oif, 4);
	}
	rc = nl_talk(&r, route_cb, &ctx);
	ip6_text(dst, text);
	if (rc == -ENETUNREACH || rc == -EHOSTUNREACH || (rc == 0 && !ctx.found))
		return nl_fail(ENETUNREACH, "no route to %s", text);
	if (rc < 0)
		return nl_fail(-rc, "route to %s: %s", text, nl_msg);
	if (ctx.rtype == RTN_LOCAL)
		return nl_fail(EADDRNOTAVAIL, "%s is a local address", text);
	if (ctx.rtype != RTN_UNICAST && ctx.rtype != RTN_MULTICAST)
		return nl_fail(ENETUNREACH, "no route to %s (route type %u)", text, ctx.rtype);
	if (!ctx.oif)
		return nl_fail(ENETUNREACH, "route to %s has no output interface", text);
	*ifindex = (int)ctx.oif;
	*has_gw = ctx.has_gw;
	memcpy(gw, ctx.has_gw ? ctx.gw : dst, 16);
	if (src)
		memcpy(src, ctx.src, 16);
	nl_msg[0] = 0;
	return 0;
}

/* ---- neighbours ---- */

/* One RTM_NEWNEIGH/RTM_DELNEIGH body: 1 when it is an IPv6 entry with an
 * address, 0 when it is something else, -EBADMSG when malformed. */
static int neigh_read(uint16_t type, struct cur *c, struct nl_neigh *n)
{
	uint8_t family, pad1, nflags, ntype;
	uint16_t pad2, state, at;
	uint32_t index;
	bool dst_ok = false;
	struct cur v;

	cur_u8(c, &family);
	cur_u8(c, &pad1);
	cur_h16(c, &pad2);
	cur_h32(c, &index);
	cur_h16(c, &state);
	cur_u8(c, &nflags);
	cur_u8(c, &ntype);
	if (c->trunc)
		return nl_fail(EBADMSG, "malformed netlink neighbour message");
	if (family != AF_INET6)
		return 0;
	memset(n, 0, sizeof(*n));
	n->ifindex = (int)index;
	n->state = state;
	n->deleted = type == RTM_DELNEIGH;
	while (attr_next(c, &at, &v)) {
		if (at == NDA_DST && cur_left(&v) == 16)
			dst_ok = cur_copy(&v, n->addr, 16);
		else if (at == NDA_LLADDR && cur_left(&v) == 6)
			n->has_mac = cur_copy(&v, n->mac, 6);
	}
	return dst_ok ? 1 : 0;
}

struct neigh_ctx {
	int ifindex;
	const uint8_t *addr;
	bool found;
	struct nl_neigh n;
};

static int neigh_cb(void *ctx, uint16_t type, struct cur *c)
{
	struct neigh_ctx *nc = ctx;
	struct nl_neigh n;
	int rc;

	if (type != RTM_NEWNEIGH)
		return 0;
	rc = neigh_read(type, c, &n);
	if (rc <= 0)
		return rc;
	if (n.ifindex != nc->ifindex || memcmp(n.addr, nc->addr, 16))
		return 0;
	nc->found = true;
	nc->n = n;
	return 0;
}

/* RTM_GETNEIGH for one address (the kernel's neigh_get, Linux 4.20+): one
 * entry instead of a dump of the whole table.  Older kernels refuse the
 * request (EINVAL/EOPNOTSUPP): the caller then dumps. */
static int neigh_get_one(struct neigh_ctx *nc, uint16_t flags)
{
	struct nl_req r;

	req_init(&r, RTM_GETNEIGH, flags);
	wcur_u8(&r.w, AF_INET6);
	wcur_zero(&r.w, 3);
	wcur_h32(&r.w, (uint32_t)nc->ifindex);
	wcur_h16(&r.w, 0);
	wcur_u8(&r.w, 0);
	wcur_u8(&r.w, 0);
	if (!(flags & NLM_F_DUMP))
		req_attr(&r, NDA_DST, nc->addr, 16);
	return nl_talk(&r, neigh_cb, nc);
}

int nl_neigh6(int ifindex, const uint8_t addr[16], uint16_t *state, uint8_t mac[6])
{
	struct neigh_ctx nc = { .ifindex = ifindex, .addr = addr };
	char text[INET6_ADDRSTRLEN];
	int rc;

	rc = neigh_get_one(&nc, NLM_F_REQUEST | NLM_F_ACK);
	if (rc == -EINVAL || rc == -EOPNOTSUPP)
		rc = neigh_get_one(&nc, NLM_F_REQUEST | NLM_F_DUMP);
	ip6_text(addr, text);
	if (rc == -ENOENT || (rc == 0 && !nc.found))
		return nl_fail(ENOENT, "no neighbour entry for %s", text);
	if (rc < 0)
		return nl_fail(-rc, "neighbour %s: %s", text, nl_msg);
	*state = nc.n.state;
	if (nc.n.has_mac)
		memcpy(mac, nc.n.mac, 6);
	else
		memset(mac, 0, 6);
	nl_msg[0] = 0;
	return 0;
}

void nl_solicit6(const uint8_t nh[16], int ifindex, const char *ifname)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	memcpy(&sin6.sin6_addr, nh, 16);
	if (pkt_ip6_is_link_local(nh))
		sin6.sin6_scope_id = (uint32_t)ifindex;
	/* Pin the interface: the route we resolved may not be the one a plain
	 * send would pick (e.g. a caller-chosen oif).  Needs privilege; fine if
	 * it fails. */
	if (ifname)
		setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname));
	sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&sin6, sizeof(sin6));
	close(fd);
}

/* A zero-length datagram to the discard port (RFC 863) makes the kernel
 * queue it and send a Neighbor Solicitation for the next hop. */
static void solicit(const uint8_t nh[16], const struct nl_link *l)
{
	nl_solicit6(nh, l->ifindex, l->name);
}

/* ---- notifications ---- */

int nl_notify_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_NEIGH | RTMGRP_IPV6_ROUTE };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	int rcvbuf = 1 << 20;

	if (fd < 0)
		return nl_fail(errno, "cannot open netlink socket: %s", strerror(errno));
	/* Room for bursts (a neighbour table flush); an overflow is reported
	 * as NL_EV_OVERFLOW and the caller starts afresh. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return nl_fail(e, "netlink subscription: %s", strerror(e));
	}
	nl_msg[0] = 0;
	return fd;
}

struct notify_ctx {
	nl_notify_cb cb;
	void *ctx;
	int n;
};

static int notify_msg(void *ctx, uint16_t type, struct cur *c)
{
	struct notify_ctx *nc = ctx;
	struct nl_neigh n;
	int rc;

	if (type == RTM_NEWROUTE || type == RTM_DELROUTE) {
		uint8_t family;

		if (!cur_u8(c, &family))
			return nl_fail(EBADMSG, "malformed netlink route message");
		if (family == AF_INET6) {
			nc->cb(nc->ctx, NL_EV_ROUTE, NULL);
			nc->n++;
		}
		return 0;
	}
	if (type != RTM_NEWNEIGH && type != RTM_DELNEIGH)
		return 0;
	rc = neigh_read(type, c, &n);
	if (rc <= 0)
		return rc;
	nc->cb(nc->ctx, NL_EV_NEIGH, &n);
	nc->n++;
	return 0;
}

/* Multicast messages carry sequence number 0; a malformed message ends
 * the datagram (the rest cannot be framed) but not the socket. */
int nl_notify_parse(const uint8_t *buf, size_t n, nl_notify_cb cb, void *ctx)
{
	struct notify_ctx nc = { cb, ctx, 0 };
	bool done = false;
	int rc = nl_parse(buf, n, 0, notify_msg, &nc, &done);

	return rc < 0 ? rc : nc.n;
}

int nl_notify_read(int fd, nl_notify_cb cb, void *ctx)
{
	static _Thread_local uint8_t rx[NL_RXBUF];
	int total = 0;

	for (;;) {
		struct sockaddr_nl from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, rx, sizeof(rx), MSG_DONTWAIT | MSG_TRUNC,
				     (struct sockaddr *)&from, &flen);
		int rc;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return total;
			if (errno == ENOBUFS) {	/* the kernel dropped some: resync */
				cb(ctx, NL_EV_OVERFLOW, NULL);
				total++;
				continue;
			}
			return nl_fail(errno, "netlink receive: %s", strerror(errno));
		}
		if (from.nl_pid != 0 || (size_t)n > sizeof(rx))
			continue;	/* not the kernel, or cut: ignore */
		rc = nl_notify_parse(rx, (size_t)n, cb, ctx);
		if (rc > 0)
			total += rc;
	}
}

int nl_nexthop6(const uint8_t dst[16], int *ifindex, uint8_t nh_addr[16], uint8_t mac[6],
		unsigned timeout_ms)
{
	const uint16_t usable = NL_NUD_REACHABLE | NL_NUD_STALE | NL_NUD_DELAY |
				NL_NUD_PROBE | NL_NUD_PERMANENT;
	uint64_t start = now_mono_us(), last_solicit = 0;
	char text[INET6_ADDRSTRLEN];
	bool has_gw, solicited = false;
	struct nl_link l;
	uint16_t state = 0;
	int rc;

	if (dst[0] == 0xff) {	/* RFC 2464 §7: multicast needs no resolution */
		if (*ifindex <= 0 && (rc = nl_route6(dst, ifindex, &has_gw, nh_addr, NULL)) < 0)
			return rc;
		memcpy(nh_addr, dst, 16);
		mac[0] = mac[1] = 0x33;
		memcpy(mac + 2, dst + 12, 4);
		return 0;
	}
	rc = nl_route6(dst, ifindex, &has_gw, nh_addr, NULL);
	if (rc < 0)
		return rc;
	rc = nl_link_get(NULL, *ifindex, &l);
	if (rc < 0)
		return rc;
	if (l.addr_len != 6)
		return nl_fail(EOPNOTSUPP, "%s has no Ethernet addresses to resolve %s on", l.name,
			       ip6_text(nh_addr, text));
	for (;;) {
		uint64_t now;

		rc = nl_neigh6(*ifindex, nh_addr, &state, mac);
		if (rc < 0 && rc != -ENOENT)
			return rc;
		if (rc == 0 && (state & usable) && memcmp(mac, "\0\0\0\0\0\0", 6)) {
			nl_msg[0] = 0;
			return 0;
		}
		if (rc == 0 && (state & NL_NUD_NOARP))
			return nl_fail(EOPNOTSUPP, "%s: %s is not resolved on this link (NOARP)",
				       l.name, ip6_text(nh_addr, text));
		now = now_mono_us();
		if (now - start >= (uint64_t)timeout_ms * 1000)
			break;
		/* No entry or a failed one: (re)start resolution, at most once
		 * a second — the kernel retransmits solicitations itself. */
		if ((rc == -ENOENT || (state & NL_NUD_FAILED) || !solicited) &&
		    (!solicited || now - last_solicit >= 1000000)) {
			solicit(nh_addr, &l);
			solicited = true;
			last_solicit = now;
		}
		poll(NULL, 0, 10);
	}
	return nl_fail(EHOSTUNREACH, "next hop %s on %s did not resolve within %u ms%s",
		       ip6_text(nh_addr, text), l.name, timeout_ms,
		       rc == -ENOENT ? " (no neighbour entry)" :
		       state & NL_NUD_FAILED ? " (neighbour unreachable)" : "");
}

#endif
