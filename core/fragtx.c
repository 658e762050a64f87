/* fragtx.c - application-cut IPv6 fragments onto the wire: Ethernet frames
 * to the next hop (RFC 2464, RFC 4861 §7.2) or whole packets through an
 * IPPROTO_RAW socket (RFC 8200 §4.5 fragments built by core/frag). */
#include "fragtx.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"
#include "build.h"
#include "cursor.h"
#include "netlink.h"
#include "pio.h"
#include "util.h"

#define NH_CACHE	1024	/* direct-mapped next-hop cache slots */
#define NH_NEG_US	1000000	/* a failed resolution is remembered this long */
#define FRAME_MAX	(BUILD_ETH_LEN + 65535 + 40)

struct nh_entry {
	uint8_t dst[16];
	uint8_t mac[6];
	bool used, ok;
	uint64_t expires;	/* monotonic µs */
};

struct fragtx {
	struct fragtx_cfg cfg;
	struct pio_tx *tx;	/* link */
	int raw_fd;		/* raw */
	int ifindex;
	uint8_t ifmac[6];
	uint32_t mtu;
	uint32_t hash_key;
	uint64_t sent, failed;
	struct nh_entry cache[NH_CACHE];
	uint8_t frame[FRAME_MAX];
	char err[FRAGTX_ERRLEN];
};

static struct fragtx *open_fail(struct fragtx *t, char err[FRAGTX_ERRLEN], int *exit_code, int code,
				const char *fmt, ...) V6_PRINTF(5, 6);

static struct fragtx *open_fail(struct fragtx *t, char err[FRAGTX_ERRLEN], int *exit_code, int code,
				const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, FRAGTX_ERRLEN, fmt, ap);
	va_end(ap);
	*exit_code = code;
	fragtx_close(t);
	return NULL;
}

struct fragtx *fragtx_open(const struct fragtx_cfg *cfg, char err[FRAGTX_ERRLEN], int *exit_code)
{
	struct fragtx *t = xcalloc(1, sizeof(*t));
	char perr[PIO_ERRLEN];
	int rc;

	t->cfg = *cfg;
	t->raw_fd = -1;
	if (!t->cfg.resolve_ms)
		t->cfg.resolve_ms = 1000;
	if (!t->cfg.cache_ms)
		t->cfg.cache_ms = 10000;
	v6_random(&t->hash_key, sizeof(t->hash_key));

	if (cfg->ifname) {
		struct nl_link link;

		if (nl_link_get(cfg->ifname, 0, &link) < 0)
			return open_fail(t, err, exit_code, EXIT_RESOURCE, "%s", nl_error());
		t->ifindex = link.ifindex;
		t->mtu = link.mtu;
		if (link.addr_len == 6)
			memcpy(t->ifmac, link.mac, 6);
		else if (cfg->mode == FRAGTX_LINK)
			return open_fail(t, err, exit_code, EXIT_USAGE,
					 "interface %s has no Ethernet address: use --tx raw", cfg->ifname);
	}

	if (cfg->mode == FRAGTX_LINK) {
		if (!cfg->ifname)
			return open_fail(t, err, exit_code, EXIT_USAGE, "link transmission needs an interface (-i)");
		t->tx = pio_try_tx_open(cfg->ifname, cfg->use_pcap ? PIO_TX_PCAP : PIO_TX_PACKET, perr, &rc);
		if (!t->tx)
			return open_fail(t, err, exit_code, rc, "%s", perr);
		return t;
	}

	/* IPPROTO_RAW on an IPv6 socket means "header included" on Linux. */
	t->raw_fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (t->raw_fd < 0)
		return open_fail(t, err, exit_code, EXIT_RESOURCE, "raw IPv6 socket: %s%s", strerror(errno),
				 errno == EPERM ? " (needs CAP_NET_RAW)" : "");
	if (cfg->ifname && setsockopt(t->raw_fd, SOL_SOCKET, SO_BINDTODEVICE, cfg->ifname,
				      (socklen_t)strlen(cfg->ifname)) < 0)
		return open_fail(t, err, exit_code, EXIT_RESOURCE, "bind raw socket to %s: %s",
				 cfg->ifname, strerror(errno));
	/* The mark rides on every packet through the output hooks, where the
	 * host's RST filter must let our relayed RSTs pass (hostprep). */
	if (cfg->mark && setsockopt(t->raw_fd, SOL_SOCKET, SO_MARK, &cfg->mark, sizeof(cfg->mark)) < 0)
		return open_fail(t, err, exit_code, EXIT_RESOURCE, "mark raw socket (SO_MARK): %s%s",
				 strerror(errno), errno == EPERM ? " (needs CAP_NET_ADMIN)" : "");
	return t;
}

uint32_t fragtx_mtu(const struct fragtx *t)
{
	return t->mtu;
}

const char *fragtx_error(const struct fragtx *t)
{
	return t->err;
}

void fragtx_counters(const struct fragtx *t, uint64_t *sent, uint64_t *failed)
{
	*sent = t->sent;
	*failed = t->failed;
}

void fragtx_close(struct fragtx *t)
{
	if (!t)
		return;
	if (t->tx)
		pio_tx_close(t->tx);
	if (t->raw_fd >= 0)
		close(t->raw_fd);
	free(t);
}

static int set_err(struct fragtx *t, const char *fmt, ...) V6_PRINTF(2, 3);

static int set_err(struct fragtx *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->err, sizeof(t->err), fmt, ap);
	va_end(ap);
	return -1;
}

static unsigned nh_slot(const struct fragtx *t, const uint8_t dst[16])
{
	uint32_t h = 2166136261u ^ t->hash_key;

	for (int i = 0; i < 16; i++)
		h = (h ^ dst[i]) * 16777619u;
	return (h ^ h >> 15) % NH_CACHE;
}

/* The MAC the frame to dst goes to. */
static int next_hop_mac(struct fragtx *t, const uint8_t dst[16], uint8_t mac[6])
{
	struct nh_entry *e;
	uint64_t now;
	uint8_t nh[16];
	char a[46];
	int ifindex = 0, rc;

	if (t->cfg.fixed_mac) {
		memcpy(mac, t->cfg.gw_mac, 6);
		return 0;
	}
	now = now_mono_us();
	e = &t->cache[nh_slot(t, dst)];
	if (e->used && e->expires > now && !memcmp(e->dst, dst, 16)) {
		if (!e->ok)
			return set_err(t, "next hop for %s unresolved (cached failure)", fmt_ip6(dst, a));
		memcpy(mac, e->mac, 6);
		return 0;
	}
	memcpy(e->dst, dst, 16);
	e->used = true;
	rc = nl_nexthop6(dst, &ifindex, nh, e->mac, t->cfg.resolve_ms);
	if (rc == 0 && ifindex != t->ifindex)
		rc = -EXDEV;
	e->ok = rc == 0;
	e->expires = now + (e->ok ? (uint64_t)t->cfg.cache_ms * 1000 : NH_NEG_US);
	if (rc == -EXDEV)
		return set_err(t, "the route to %s does not leave through %s", fmt_ip6(dst, a),
			       t->cfg.ifname);
	if (rc < 0)
		return set_err(t, "next hop for %s: %s", fmt_ip6(dst, a), nl_error());
	memcpy(mac, e->mac, 6);
	return 0;
}

static int send_link(struct fragtx *t, const uint8_t dst[16], const uint8_t *p, size_t len)
{
	uint8_t mac[6];
	struct wcur w;
	int rc;

	if (next_hop_mac(t, dst, mac) < 0)
		return -1;
	wcur_init(&w, t->frame, sizeof(t->frame));
	build_eth(&w, mac, t->ifmac, BUILD_NO_VLAN, 0x86dd);
	wcur_bytes(&w, p, len);
	if (w.overflow)
		return set_err(t, "frame of %zu octets too large", len + BUILD_ETH_LEN);
	rc = pio_tx_send(t->tx, t->frame, wcur_off(&w));
	if (rc < 0)
		return set_err(t, "send on %s: %s", t->cfg.ifname, strerror(-rc));
	return 0;
}

static int send_raw(struct fragtx *t, const uint8_t dst[16], const uint8_t *p, size_t len)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	char a[46];

	memcpy(&sa.sin6_addr, dst, 16);
	if (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)
		sa.sin6_scope_id = (uint32_t)t->ifindex;
	for (int tries = 0; tries < 2; tries++) {
		if (sendto(t->raw_fd, p, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len)
			return 0;
		if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
			break;
	}
	return set_err(t, "raw send to %s: %s", fmt_ip6(dst, a), strerror(errno));
}

int fragtx_send_packet(struct fragtx *t, const uint8_t *pkt, size_t len)
{
	uint8_t dst[16], vers;
	struct cur c, d;
	int rc;

	t->err[0] = 0;
	cur_init(&c, pkt, len);
	if (!cur_peek_u8(&c, 0, &vers) || vers >> 4 != 6 || !cur_window(&c, 24, 16, &d) ||
	    !cur_copy(&d, dst, 16))
		return set_err(t, "not an IPv6 packet (%zu octets)", len);
	rc = t->cfg.mode == FRAGTX_LINK ? send_link(t, dst, pkt, len) : send_raw(t, dst, pkt, len);
	if (rc < 0) {
		t->failed++;
		return -1;
	}
	t->sent++;
	return 0;
}

int fragtx_send_frame(struct fragtx *t, const uint8_t *frame, size_t len)
{
	const uint8_t *pkt;
	uint16_t type;
	struct cur c;

	cur_init(&c, frame, len);
	if (!cur_skip(&c, 12) || !cur_be16(&c, &type) || type != 0x86dd ||
	    !(pkt = cur_take(&c, cur_left(&c))))
		return set_err(t, "not an Ethernet frame holding IPv6 (%zu octets)", len);
	return fragtx_send_packet(t, pkt, len - 14);
}

/* Borrow fragment i of out through a cursor over the caller's buffer. */
static const uint8_t *piece_bytes(const struct frag_out *out, unsigned i)
{
	struct cur pc, piece;

	cur_init(&pc, out->buf, out->used);
	if (!cur_window(&pc, out->piece[i].off, out->piece[i].len, &piece))
		return NULL;
	return cur_take(&piece, out->piece[i].len);
}

#ifdef __linux__
/*
 * The whole response in one sendmmsg(): per response one system call instead
 * of one per fragment, and no copy into a frame buffer -- the Ethernet header
 * and the fragment are two iovecs.  (A pio_tx_batch() in core/pio would be
 * the general home for this; until then the AF_PACKET descriptor pio opened
 * is used directly.)  Returns how many went, -1 with t->err set.
 */
#define BATCH 64

static int send_batch(struct fragtx *t, int fd, const uint8_t dst[16], const struct frag_out *out,
		      unsigned *sent)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH][2];
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	uint8_t mac[6];
	struct wcur w;
	bool link = t->cfg.mode == FRAGTX_LINK;
	char a[46];

	if (link) {
		if (next_hop_mac(t, dst, mac) < 0)
			return -1;
		wcur_init(&w, t->frame, BUILD_ETH_LEN);
		build_eth(&w, mac, t->ifmac, BUILD_NO_VLAN, 0x86dd);
	} else {
		memcpy(&sa.sin6_addr, dst, 16);
		if (dst[0] == 0xfe && (dst[1] & 0xc0) == 0x80)
			sa.sin6_scope_id = (uint32_t)t->ifindex;
	}
	while (*sent < out->n) {
		unsigned k = 0, tries = 0;
		int n;

		for (; k < BATCH && *sent + k < out->n; k++) {
			unsigned i = *sent + k;
			const uint8_t *b = piece_bytes(out, i);
			unsigned v = 0;

			if (!b)
				return set_err(t, "fragment %u outside the output buffer", i);
			memset(&msg[k], 0, sizeof(msg[k]));
			if (link)
				iov[k][v++] = (struct iovec){ .iov_base = t->frame, .iov_len = BUILD_ETH_LEN };
			else {
				msg[k].msg_hdr.msg_name = &sa;
				msg[k].msg_hdr.msg_namelen = sizeof(sa);
			}
			iov[k][v++] = (struct iovec){ .iov_base = (void *)b, .iov_len = out->piece[i].len };
			msg[k].msg_hdr.msg_iov = iov[k];
			msg[k].msg_hdr.msg_iovlen = v;
		}
		do {
			n = sendmmsg(fd, msg, k, 0);
		} while (n < 0 && (errno == EINTR || ((errno == ENOBUFS || errno == EAGAIN) && ++tries < 3)));
		if (n <= 0)
			return set_err(t, "%s %s: %s", link ? "send on" : "raw send to",
				       link ? t->cfg.ifname : fmt_ip6(dst, a), strerror(n < 0 ? errno : EIO));
		*sent += (unsigned)n;
		t->sent += (unsigned)n;
	}
	return 0;
}
#endif

int fragtx_send(struct fragtx *t, const uint8_t *pkt, size_t len, const struct frag_plan *plan,
		struct frag_out *out, unsigned *sent)
{
	uint8_t dst[16];
	struct cur c, d;

	*sent = 0;
	t->err[0] = 0;
	cur_init(&c, pkt, len);
	if (!cur_window(&c, 24, 16, &d) || !cur_copy(&d, dst, 16))
		return set_err(t, "not an IPv6 packet (%zu octets)", len);
	if (frag_split(pkt, len, plan, out) < 0)
		return set_err(t, "fragmenter refused: %s", out->err);
#ifdef __linux__
	if (t->cfg.mode == FRAGTX_RAW || pio_tx_kind(t->tx) == PIO_TX_PACKET) {
		int rc = send_batch(t, t->cfg.mode == FRAGTX_RAW ? t->raw_fd : pio_tx_fd(t->tx),
				    dst, out, sent);

		if (rc < 0)
			t->failed++;
		return rc;
	}
#endif
	for (unsigned i = 0; i < out->n; i++) {
		const uint8_t *bytes = piece_bytes(out, i);
		int rc;

		if (!bytes)
			return set_err(t, "fragment %u outside the output buffer", i);
		rc = t->cfg.mode == FRAGTX_LINK ? send_link(t, dst, bytes, out->piece[i].len)
						: send_raw(t, dst, bytes, out->piece[i].len);
		if (rc < 0) {
			t->failed++;
			return -1;
		}
		t->sent++;
		(*sent)++;
	}
	return 0;
}
