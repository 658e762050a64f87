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
#include "eh.h"
#include "netlink.h"
#include "nexthop.h"
#include "txfast.h"
#include "pkt.h"
#include "util.h"

#define FRAME_MAX	(BUILD_ETH_LEN + 65535 + 40)

struct fragtx {
	struct fragtx_cfg cfg;
	struct txfast *fx;	/* link: the batch sender */
	struct nh_cache *nh;	/* link without a fixed MAC: next hops */
	int raw_fd;		/* raw */
	int ifindex;
	uint8_t ifmac[6];
	uint32_t mtu;
	uint64_t raw_sent, raw_failed;
	uint8_t eth[BUILD_ETH_LEN];	/* link header of the frames being cut */
	enum nh_drop why;		/* of the last next hop that failed */
	const struct eh_chain *eh;	/* --eh: inserted before cutting */
	uint8_t *ehpkt;			/* the packet with the chain */
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

static int held_send(void *ctx, const uint8_t *frame, size_t len);

struct fragtx *fragtx_open(const struct fragtx_cfg *cfg, char err[FRAGTX_ERRLEN], int *exit_code)
{
	struct fragtx *t = xcalloc(1, sizeof(*t));
	char ferr[256];
	int rc = EXIT_RESOURCE;

	t->cfg = *cfg;
	t->raw_fd = -1;
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
		/* The qdisc stays in the path: captures on the interface see
		 * what was sent, as with any other program. */
		t->fx = txfast_open(cfg->ifname, cfg->use_pcap ? TXF_PCAP : TXF_MMSG, TXF_NO_BYPASS,
				    ferr, sizeof(ferr), &rc);
		if (!t->fx)
			return open_fail(t, err, exit_code, rc, "%s", ferr);
		if (!cfg->fixed_mac) {
			struct nh_cfg nc = { .ifindex = t->ifindex, .ifname = cfg->ifname,
					     .resolve_ms = cfg->resolve_ms, .cache_ms = cfg->cache_ms,
					     .send = held_send, .ctx = t };

			t->nh = nh_open(&nc, ferr, sizeof(ferr));
			if (!t->nh)
				return open_fail(t, err, exit_code, EXIT_RESOURCE, "next-hop cache: %s", ferr);
		}
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
	struct fragtx_stats s;

	fragtx_stats(t, &s);
	*sent = s.sent;
	*failed = s.failed;
}

void fragtx_stats(const struct fragtx *t, struct fragtx_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->sent = t->raw_sent;
	s->failed = t->raw_failed;
	if (t->fx) {
		struct txfast_stats fs;

		txfast_stats(t->fx, &fs);
		s->sent += fs.sent;
		s->failed += fs.failed;
		s->retries = fs.retries;
	}
	if (t->nh) {
		struct nh_stats ns;

		nh_stats(t->nh, &ns);
		s->held = ns.held;
		s->resolved = ns.resolved;
		for (unsigned i = 0; i < NH_DROP_N; i++) {
			s->dropped[i] = ns.dropped[i];
			s->failed += ns.dropped[i];
		}
	}
}

int fragtx_fd(const struct fragtx *t)
{
	return t->nh ? nh_fd(t->nh) : -1;
}

uint64_t fragtx_deadline(const struct fragtx *t)
{
	return t->nh ? nh_deadline(t->nh) : UINT64_MAX;
}

void fragtx_service(struct fragtx *t, uint64_t now_us)
{
	if (t->nh) {
		nh_service(t->nh, now_us);
		txfast_flush(t->fx);
	}
}

void fragtx_finish(struct fragtx *t)
{
	if (t && t->nh) {
		nh_abandon(t->nh);
		txfast_flush(t->fx);
	}
}

void fragtx_close(struct fragtx *t)
{
	if (!t)
		return;
	nh_close(t->nh);
	if (t->fx)
		txfast_close(t->fx);
	if (t->raw_fd >= 0)
		close(t->raw_fd);
	free(t->ehpkt);
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

/* A frame the next-hop cache held leaves now, its MAC filled in. */
static int held_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct fragtx *t = ctx;

	return txfast_queue(t->fx, frame, len) ? -EIO : 0;
}

/* Link header for frames to dst in t->eth.  0: send now; 1: the next hop
 * is resolving (hold them); -1: no next hop, n frames dropped (counted). */
static int link_header(struct fragtx *t, const uint8_t dst[16], unsigned n)
{
	static const uint8_t unknown[6];
	uint8_t mac[6];
	enum nh_drop why = NH_DROP_NO_ROUTE;
	enum nh_state st = NH_READY;
	struct wcur w;
	char a[46];

	if (t->cfg.fixed_mac)
		memcpy(mac, t->cfg.gw_mac, 6);
	else
		st = nh_lookup(t->nh, dst, mac, &why, now_mono_us());
	wcur_init(&w, t->eth, sizeof(t->eth));
	build_eth(&w, st == NH_READY ? mac : unknown, t->ifmac, BUILD_NO_VLAN, 0x86dd);
	if (st == NH_FAILED) {
		t->why = why;
		nh_drop(t->nh, why, n);
		return set_err(t, "next hop for %s %s (%s)", fmt_ip6(dst, a),
			       why == NH_DROP_NO_ROUTE ? "not on this link" : "unresolved",
			       nh_drop_name(why));
	}
	return st == NH_PENDING;
}

/* Hand frames over (or to the next-hop cache to hold); returns how many
 * failed for good now. */
static unsigned link_out(struct fragtx *t, const uint8_t dst[16], const uint8_t *frame, size_t len,
			 bool hold)
{
	if (hold)
		return nh_hold(t->nh, dst, frame, len) < 0;
	return txfast_queue(t->fx, frame, len);
}

/* The one transmit policy (txf_retry) on the raw socket. */
static int send_raw(struct fragtx *t, const uint8_t dst[16], const uint8_t *p, size_t len)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	struct txf_wait wt = { 0 };
	char a[46];

	memcpy(&sa.sin6_addr, dst, 16);
	if (pkt_ip6_is_link_local(dst))
		sa.sin6_scope_id = (uint32_t)t->ifindex;
	for (;;) {
		if (sendto(t->raw_fd, p, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len) {
			t->raw_sent++;
			return 0;
		}
		if (!txf_retry(&wt, t->raw_fd, errno))
			break;
	}
	t->raw_failed++;
	return set_err(t, "raw send to %s: %s", fmt_ip6(dst, a), strerror(errno));
}

static bool packet_dst(const uint8_t *pkt, size_t len, uint8_t dst[16])
{
	uint8_t vers;
	struct cur c, d;

	cur_init(&c, pkt, len);
	return cur_peek_u8(&c, 0, &vers) && vers >> 4 == 6 && cur_window(&c, 24, 16, &d) &&
	       cur_copy(&d, dst, 16);
}

int fragtx_send_packet(struct fragtx *t, const uint8_t *pkt, size_t len)
{
	uint8_t dst[16];
	struct wcur w;
	int hold;

	t->err[0] = 0;
	if (!packet_dst(pkt, len, dst))
		return set_err(t, "not an IPv6 packet (%zu octets)", len);
	if (t->cfg.mode == FRAGTX_RAW)
		return send_raw(t, dst, pkt, len);
	if ((hold = link_header(t, dst, 1)) < 0)
		return -1;
	wcur_init(&w, t->frame, sizeof(t->frame));
	wcur_bytes(&w, t->eth, sizeof(t->eth));
	wcur_bytes(&w, pkt, len);
	if (w.overflow)
		return set_err(t, "frame of %zu octets too large", len + BUILD_ETH_LEN);
	if (link_out(t, dst, t->frame, wcur_off(&w), hold) + txfast_flush(t->fx))
		return set_err(t, "send on %s failed", t->cfg.ifname);
	return hold ? 1 : 0;
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

#ifdef __linux__
/* Raw mode: the whole response in one sendmmsg() (one system call per
 * response, not per fragment), under the one retry policy. */
#define BATCH 64

static int raw_batch(struct fragtx *t, const uint8_t dst[16], const struct frag_out *out,
		     unsigned *sent)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
	char a[46];

	memcpy(&sa.sin6_addr, dst, 16);
	if (pkt_ip6_is_link_local(dst))
		sa.sin6_scope_id = (uint32_t)t->ifindex;
	while (*sent < out->n) {
		struct txf_wait wt = { 0 };
		unsigned k = 0;
		int n;

		for (; k < BATCH && *sent + k < out->n; k++) {
			size_t flen;
			const uint8_t *b = frag_frame(out, *sent + k, &flen);

			if (!b)
				return set_err(t, "fragment %u outside the output buffer", *sent + k);
			memset(&msg[k], 0, sizeof(msg[k]));
			msg[k].msg_hdr.msg_name = &sa;
			msg[k].msg_hdr.msg_namelen = sizeof(sa);
			iov[k] = (struct iovec){ .iov_base = (void *)b, .iov_len = flen };
			msg[k].msg_hdr.msg_iov = &iov[k];
			msg[k].msg_hdr.msg_iovlen = 1;
		}
		do {
			n = sendmmsg(t->raw_fd, msg, k, 0);
		} while (n <= 0 && txf_retry(&wt, t->raw_fd, n < 0 ? errno : EIO));
		if (n <= 0) {
			t->raw_failed += out->n - *sent;
			return set_err(t, "raw send to %s: %s", fmt_ip6(dst, a), strerror(n < 0 ? errno : EIO));
		}
		*sent += (unsigned)n;
		t->raw_sent += (unsigned)n;
	}
	return 0;
}
#endif

void fragtx_set_eh(struct fragtx *t, const struct eh_chain *ch)
{
	t->eh = ch && ch->n ? ch : NULL;
	if (t->eh && !t->ehpkt)
		t->ehpkt = xmalloc(40 + 65535);
}

int fragtx_send(struct fragtx *t, const uint8_t *pkt, size_t len, const struct frag_plan *plan,
		struct frag_out *out, unsigned *sent)
{
	struct frag_plan plan_eh;
	uint8_t dst[16];
	unsigned failed = 0;
	int hold = 0;

	*sent = 0;
	t->err[0] = 0;
	if (!packet_dst(pkt, len, dst))
		return set_err(t, "not an IPv6 packet (%zu octets)", len);
	if (t->eh) {
		enum eh_skip why = eh_insert(t->eh, V6_DLT_IPV6, pkt, len, t->ehpkt, 40 + 65535, &len);

		if (why != EH_INSERTED)
			return set_err(t, "extension headers not inserted: %s", eh_skip_name(why));
		pkt = t->ehpkt;
		plan_eh = *plan;	/* a dstu repeats in every fragment too */
		plan_eh.unfrag_min = eh_unfrag_len(t->eh, pkt, len);
		plan = &plan_eh;
	}
	out->link = NULL;
	out->link_len = 0;
	if (t->cfg.mode == FRAGTX_LINK) {
		/* The next hop first: its MAC goes into the link header that
		 * the fragmenter writes in front of every fragment. */
		if ((hold = link_header(t, dst, 0)) >= 0) {
			out->link = t->eth;
			out->link_len = BUILD_ETH_LEN;
		}
	}
	if (frag_split(pkt, len, plan, out) < 0)
		return set_err(t, "fragmenter refused: %s", out->err);
	if (hold < 0) {
		nh_drop(t->nh, t->why, out->n);
		return -1;
	}
#ifdef __linux__
	if (t->cfg.mode == FRAGTX_RAW)
		return raw_batch(t, dst, out, sent);
#else
	if (t->cfg.mode == FRAGTX_RAW) {
		for (unsigned i = 0; i < out->n; i++) {
			size_t flen;
			const uint8_t *b = frag_frame(out, i, &flen);

			if (!b || send_raw(t, dst, b, flen) < 0)
				return -1;
			(*sent)++;
		}
		return 0;
	}
#endif
	for (unsigned i = 0; i < out->n; i++) {
		size_t flen;
		const uint8_t *b = frag_frame(out, i, &flen);

		if (!b)
			return set_err(t, "fragment %u outside the output buffer", i);
		failed += link_out(t, dst, b, flen, hold);
	}
	failed += txfast_flush(t->fx);
	if (hold && !failed)
		return 1;
	*sent = hold ? 0 : out->n > failed ? out->n - failed : 0;
	if (failed)
		return set_err(t, "%u of %u fragments %s on %s", failed, out->n,
			       hold ? "could not be held" : "refused", t->cfg.ifname);
	return 0;
}
