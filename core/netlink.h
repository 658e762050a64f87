/* netlink.h - rtnetlink queries (RFC 3549; rtnetlink(7)) over plain
 * NETLINK_ROUTE sockets: links, addresses, routes, IPv6 neighbours (RFC 4861
 * next-hop resolution).  Linux only; elsewhere every call returns -ENOSYS.
 *
 * Every call returns 0 (or a count) on success and -errno on failure;
 * nl_error() then holds a one-line message fit for die()/warnmsg(), e.g.
 * "no route to 2001:db8::1".  Replies are parsed through core/cursor.h.
 */
#ifndef V6_NETLINK_H
#define V6_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nl_link {
	int ifindex;
	char name[16];		/* IFNAMSIZ */
	uint8_t mac[6];		/* link-layer address when addr_len == 6 */
	uint8_t addr_len;	/* 0: no link-layer address (tun, lo...) */
	uint32_t mtu;
	unsigned flags;		/* IFF_UP, IFF_RUNNING, ... */
	uint16_t type;		/* ARPHRD_* */
};

struct nl_addr {
	uint8_t family;		/* 4 or 6 */
	uint8_t addr[16];	/* IPv4 in the first 4 octets */
	uint8_t prefixlen;
	uint8_t scope;		/* RT_SCOPE_*: 0 universe (global), 253 link, 254 host */
	uint32_t flags;		/* IFA_F_*: tentative, deprecated, nodad, ... */
};

/* Neighbour states (NUD_*, linux/neighbour.h). */
enum {
	NL_NUD_INCOMPLETE = 0x01, NL_NUD_REACHABLE = 0x02, NL_NUD_STALE = 0x04,
	NL_NUD_DELAY = 0x08, NL_NUD_PROBE = 0x10, NL_NUD_FAILED = 0x20,
	NL_NUD_NOARP = 0x40, NL_NUD_PERMANENT = 0x80,
};

/* Message of the last failed call ("" after success).  The message and the
 * receive buffer are per thread: calls from several threads are safe. */
const char *nl_error(void);

/* Interface by name (ifindex 0) or by index (name NULL). */
int nl_link_get(const char *name, int ifindex, struct nl_link *out);
/* Shortcuts: index (>0) or -errno; MAC; MTU. */
int nl_ifindex(const char *name);
int nl_ifmac(int ifindex, uint8_t mac[6]);
int nl_ifmtu(int ifindex, uint32_t *mtu);

/* Addresses of an interface; family 4, 6 or 0 (both).  Fills up to max
 * entries and returns how many exist (may exceed max) or -errno. */
int nl_addrs(int ifindex, int family, struct nl_addr *out, size_t max);

/* Route lookup for an IPv6 destination (what `ip -6 route get` says).
 * *ifindex on entry: 0, or the interface to route through (needed for a
 * link-local destination); on return: the output interface.  gw: the
 * gateway, or dst itself when on-link (has_gw false); src: the preferred
 * source (zeroed when none; may be NULL).  -ENETUNREACH when there is no
 * route; -EADDRNOTAVAIL when dst is a local address. */
int nl_route6(const uint8_t dst[16], int *ifindex, bool *has_gw, uint8_t gw[16], uint8_t src[16]);

/* Neighbour entry of addr on ifindex: 0 with its state and MAC (when it
 * has one), -ENOENT when there is no entry. */
int nl_neigh6(int ifindex, const uint8_t addr[16], uint16_t *state, uint8_t mac[6]);

/* Next-hop MAC for an IPv6 destination (*ifindex in/out as nl_route6;
 * nh_addr gets the gateway or dst): route lookup, then the neighbour
 * entry of the gateway (or dst when on-link).  When the entry is missing or
 * unresolved, a zero-length UDP datagram to the next hop's discard port
 * makes the kernel solicit it (RFC 4861 §7.2), and the table is polled for
 * up to timeout_ms.  Multicast destinations map to 33:33:xx:xx:xx:xx
 * (RFC 2464 §7) without any lookup.  Errors: -ENETUNREACH (no route),
 * -EHOSTUNREACH (resolution failed/timed out), -EADDRNOTAVAIL (local
 * address), -EOPNOTSUPP (interface without link-layer addresses). */
int nl_nexthop6(const uint8_t dst[16], int *ifindex, uint8_t nh_addr[16], uint8_t mac[6],
		unsigned timeout_ms);

/* ---- notifications (rtnetlink multicast groups) ----
 * An event loop keeps one socket subscribed to neighbour and IPv6 route
 * changes (RTNLGRP_NEIGH, RTNLGRP_IPV6_ROUTE) and reads it when it is
 * readable; nothing here ever waits. */

struct nl_neigh {
	int ifindex;
	uint8_t addr[16];
	uint16_t state;		/* NL_NUD_* */
	bool has_mac, deleted;	/* deleted: RTM_DELNEIGH */
	uint8_t mac[6];
};

enum nl_event { NL_EV_NEIGH, NL_EV_ROUTE, NL_EV_OVERFLOW };

/* ev NL_EV_NEIGH: n is an IPv6 neighbour change; NL_EV_ROUTE: some IPv6
 * route changed (n NULL); NL_EV_OVERFLOW: the kernel dropped notifications
 * (the socket's buffer was full): anything learnt may be stale. */
typedef void (*nl_notify_cb)(void *ctx, enum nl_event ev, const struct nl_neigh *n);

/* A non-blocking socket subscribed to the groups; fd or -errno. */
int nl_notify_open(void);
/* Read every pending notification (never blocks); returns how many
 * messages were handed to cb, or -errno (other than EAGAIN). */
int nl_notify_read(int fd, nl_notify_cb cb, void *ctx);
/* Parse one datagram of notifications (exposed for tests and fuzzing). */
int nl_notify_parse(const uint8_t *buf, size_t n, nl_notify_cb cb, void *ctx);

/* Make the kernel resolve nh on ifindex (ifname for SO_BINDTODEVICE, may be
 * NULL): a zero-length UDP datagram to its discard port, sent without
 * waiting (RFC 4861 §7.2 solicitation by the kernel). */
void nl_solicit6(const uint8_t nh[16], int ifindex, const char *ifname);

#endif
