/* ndlive.c - listening for Router Advertisements on a live link, soliciting
 * them (RFC 4861 §6.3.7 host behaviour), and learning the default gateway's
 * link-layer address from them (RFC 4861 §6.3.4, §7.2.3 SLLA).
 *
 * Capture is libpcap (core/pio) so the Ethernet source of each RA is seen;
 * the RS goes out as a whole Ethernet frame (AF_PACKET), which needs no IPv6
 * socket state and works before the kernel has configured the interface. */
#include "nd.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "netlink.h"
#include "pio.h"
#include "priv.h"
#include "util.h"

/* Every packet that can hold an RA: ICMPv6 type 134 right after the fixed
 * header, and every IPv6 packet whose chain starts with Hop-by-Hop (0),
 * Routing (43), Fragment (44) or Destination Options (60) -- RA-Guard
 * evasion (RFC 7113) hides RAs exactly there; the one parser and the
 * reassembler decide the rest in user space.  `protochain` would follow any
 * chain but compiles to backward jumps the Linux kernel refuses, and
 * libpcap would then filter every packet in user space. */
#define ND_RA_FILTER "(icmp6 and ip6[40] == 134) or (ip6 and (ip6[6] == 0 or ip6[6] == 43 " \
		     "or ip6[6] == 44 or ip6[6] == 60))"

/* Our link-local address (first usable one) for the RS source; :: when the
 * interface has none yet, which RFC 4861 §4.1 allows (then without SLLA). */
static void our_link_local(int ifindex, uint8_t src[16])
{
	struct nl_addr a[32];
	int n = nl_addrs(ifindex, 6, a, V6_ARRAY_LEN(a));

	memset(src, 0, 16);
	if (n > (int)V6_ARRAY_LEN(a))
		n = (int)V6_ARRAY_LEN(a);
	for (int i = 0; i < n; i++) {
		if (pkt_ip6_is_link_local(a[i].addr) &&
		    !(a[i].flags & 0x40 /* IFA_F_TENTATIVE */)) {
			memcpy(src, a[i].addr, 16);
			return;
		}
	}
}

static size_t prepare_rs(const char *ifname, uint8_t *frame, size_t cap)
{
	uint8_t mac[6], src[16];
	int ifindex = nl_ifindex(ifname);

	if (ifindex < 0)
		die(EXIT_RESOURCE, "%s", nl_error());
	if (nl_ifmac(ifindex, mac) < 0)
		die(EXIT_RESOURCE, "%s: cannot solicit: no link-layer address (%s)", ifname, nl_error());
	our_link_local(ifindex, src);
	return nd_build_rs(frame, cap, mac, src);
}

/* One listening session: capture, optional solicitation schedule, stream. */
struct listen {
	const struct nd_listen_cfg *cfg;
	struct nd_listen_stats *st;
	struct pio_in *in;
	struct pio_tx *tx;
	struct nd_stream *stream;
	int dlt;
	uint8_t rs[128];
	size_t rs_len;
	uint64_t deadline, next_rs;
	unsigned sent;
	bool soliciting, done;
};

/* RFC 4861 §6.3.7: up to MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL
 * apart, until an RA arrives.  The initial random delay is for hosts
 * booting together; one tool asking once skips it.  False: give up. */
static bool solicit_step(struct listen *l, uint64_t now)
{
	if (!l->soliciting || now < l->next_rs)
		return true;
	if (l->sent < ND_MAX_RTR_SOLICITATIONS) {
		int e = pio_tx_send(l->tx, l->rs, l->rs_len);

		if (e < 0)
			warnmsg("%s: sending the router solicitation: %s", l->cfg->ifname, strerror(-e));
		else
			l->st->solicitations++;
		l->sent++;
		l->next_rs = now + ND_RTR_SOLICITATION_INTERVAL_MS * 1000ull;
	} else if (!l->deadline) {
		l->st->timed_out = true;	/* the last solicitation went unanswered */
		return false;
	} else {
		l->soliciting = false;
	}
	return true;
}

/* Drain what the capture holds; false on a capture error. */
static bool drain(struct listen *l)
{
	struct pio_frame f;
	int rc;

	while (!l->done && (rc = pio_next(l->in, &f)) == 1) {
		uint64_t ts = pio_frame_us(&f);
		const struct nd_ra *ra = nd_stream_frame(l->stream, l->dlt, f.data, f.caplen, f.wirelen, ts);

		l->st->packets++;
		if (!ra)
			continue;
		l->st->ras++;
		if (ra->fragmented && nd_ra_host_ignores(ra))
			l->st->ignored_fragmented++;
		else
			l->soliciting = false;	/* an answer a host would take */
		if (l->cfg->on_ra(l->cfg->ctx, nd_stream_pkt(l->stream), ra, ts))
			l->done = true;
	}
	if (!l->done && rc < 0) {
		errmsg("%s: %s", l->cfg->ifname, pio_error(l->in));
		return false;
	}
	return true;
}

static void listen_open(struct listen *l)
{
	const struct nd_listen_cfg *cfg = l->cfg;

	l->in = pio_open_live(cfg->ifname, ND_RA_FILTER, PIO_IMMEDIATE | PIO_NONBLOCK | PIO_INBOUND);
	l->dlt = pio_dlt(l->in);
	l->soliciting = cfg->solicit;
	if (l->soliciting) {
		l->rs_len = prepare_rs(cfg->ifname, l->rs, sizeof(l->rs));
		l->tx = pio_tx_open(cfg->ifname, PIO_TX_PACKET);
	}
	if (cfg->drop_privileges)
		priv_drop(NULL, 0);	/* the capture and the RS socket are open */
	l->stream = nd_stream_new();
	l->next_rs = now_mono_us();
	if (cfg->timeout_s > 0)
		l->deadline = l->next_rs + (uint64_t)(cfg->timeout_s * 1e6);
}

uint64_t nd_listen_run(const struct nd_listen_cfg *cfg, struct nd_listen_stats *st)
{
	struct listen l = { .cfg = cfg, .st = st };

	memset(st, 0, sizeof(*st));
	listen_open(&l);
	while (!l.done && !(cfg->stop && *cfg->stop)) {
		uint64_t now = now_mono_us(), wake = now + 1000000;
		struct pollfd pfd = { .fd = pio_fd(l.in), .events = POLLIN };

		if (!solicit_step(&l, now))
			break;
		if (l.deadline && now >= l.deadline) {
			st->timed_out = true;
			break;
		}
		if (l.deadline && l.deadline < wake)
			wake = l.deadline;
		if (l.soliciting && l.next_rs < wake)
			wake = l.next_rs;
		if (poll(&pfd, 1, (int)((wake - now + 999) / 1000)) < 0 && errno != EINTR)
			die(EXIT_RESOURCE, "poll: %s", strerror(errno));
		if (!drain(&l))
			break;
	}
	nd_stream_finish(l.stream);
	st->stream = *nd_stream_stats(l.stream);
	nd_stream_free(l.stream);
	pio_tx_close(l.tx);
	pio_close(l.in);
	return st->ras;
}

struct gw_ctx {
	uint8_t mac[6];
	uint8_t router[16];
	bool found;
};

static bool gw_on_ra(void *ctx, const struct pkt *p, const struct nd_ra *ra, uint64_t ts_us)
{
	struct gw_ctx *g = ctx;
	char ab[46];

	(void)p;
	(void)ts_us;
	if (ra->fragmented && nd_ra_host_ignores(ra)) {
		debugmsg("ignoring a fragmented RA from %s (%u fragments): hosts discard it (RFC 6980)",
			 fmt_ip6(ra->router, ab), ra->n_fragments);
		return false;
	}
	if (!nd_ra_is_gateway(ra)) {
		debugmsg("not a usable gateway: RA from %s: %s", fmt_ip6(ra->router, ab),
			 nd_ra_host_ignores(ra) ? ra->violations[0] : "router lifetime 0");
		return false;
	}
	g->found = nd_ra_gateway_mac(ra, g->mac);
	memcpy(g->router, ra->router, 16);
	return g->found;
}

int nd_gateway_learn_ex(const char *ifname, double timeout_s, bool solicit, uint8_t mac[6],
			uint8_t router[16], struct nd_listen_stats *st, volatile sig_atomic_t *stop,
			bool drop_privileges)
{
	struct gw_ctx g = { .found = false };
	struct nd_listen_cfg cfg = {
		.ifname = ifname, .timeout_s = timeout_s, .solicit = solicit,
		.on_ra = gw_on_ra, .ctx = &g, .stop = stop, .drop_privileges = drop_privileges,
	};
	struct nd_listen_stats local;

	if (!st)
		st = &local;
	nd_listen_run(&cfg, st);
	if (!g.found) {
		if (st->ignored_fragmented)
			debugmsg("%s: %llu fragmented RA(s) ignored (RFC 6980), no other usable RA", ifname,
				 (unsigned long long)st->ignored_fragmented);
		return -1;
	}
	memcpy(mac, g.mac, 6);
	if (router)
		memcpy(router, g.router, 16);
	return 0;
}

int nd_gateway_learn(const char *ifname, double timeout_s, bool solicit, uint8_t mac[6])
{
	return nd_gateway_learn_ex(ifname, timeout_s, solicit, mac, NULL, NULL, NULL, false);
}
