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

/* RAs only: ICMPv6 type 134 right after the fixed header, or ICMPv6 behind
 * one Hop-by-Hop header (the decoder then checks the type).  `protochain`
 * would follow any chain but compiles to backward jumps the Linux kernel
 * refuses, and libpcap would then filter every packet in user space. */
#define ND_RA_FILTER "(icmp6 and ip6[40] == 134) or (ip6[6] == 0 and ip6[40] == 58)"

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
		if (a[i].addr[0] == 0xfe && (a[i].addr[1] & 0xc0) == 0x80 &&
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
		die(EXIT_RESOURCE, "%s: %s", ifname, nl_error());
	if (nl_ifmac(ifindex, mac) < 0)
		die(EXIT_RESOURCE, "%s: cannot solicit: no link-layer address (%s)", ifname, nl_error());
	our_link_local(ifindex, src);
	return nd_build_rs(frame, cap, mac, src);
}

uint64_t nd_listen_run(const struct nd_listen_cfg *cfg, struct nd_listen_stats *st)
{
	struct pio_in *in;
	struct pio_tx *tx = NULL;
	struct nd_ra *ra = xmalloc(sizeof(*ra));
	uint8_t rs[128];
	size_t rs_len = 0;
	uint64_t start, deadline = 0, next_rs = 0;
	unsigned sent = 0;
	bool done = false, soliciting = cfg->solicit;
	int dlt;

	memset(st, 0, sizeof(*st));
	in = pio_open_live(cfg->ifname, ND_RA_FILTER, PIO_IMMEDIATE | PIO_NONBLOCK | PIO_INBOUND);
	dlt = pio_dlt(in);
	if (soliciting) {
		rs_len = prepare_rs(cfg->ifname, rs, sizeof(rs));
		tx = pio_tx_open(cfg->ifname, PIO_TX_PACKET);
	}
	if (cfg->drop_privileges)
		priv_drop(NULL, 0);	/* the capture and the RS socket are open */
	start = now_mono_us();
	if (cfg->timeout_s > 0)
		deadline = start + (uint64_t)(cfg->timeout_s * 1e6);
	next_rs = start;

	while (!done && !(cfg->stop && *cfg->stop)) {
		uint64_t now = now_mono_us(), wake = now + 1000000;
		struct pio_frame f;
		struct pollfd pfd;
		int rc;

		/* RFC 4861 §6.3.7: up to MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL
		 * apart, until an RA arrives.  The initial random delay is for hosts
		 * booting together; one tool asking once skips it. */
		if (soliciting && now >= next_rs) {
			if (sent < ND_MAX_RTR_SOLICITATIONS) {
				int e = pio_tx_send(tx, rs, rs_len);
				if (e < 0)
					warnmsg("%s: sending the router solicitation: %s", cfg->ifname, strerror(-e));
				else
					st->solicitations++;
				sent++;
				next_rs = now + ND_RTR_SOLICITATION_INTERVAL_MS * 1000ull;
			} else if (!deadline) {
				st->timed_out = true;	/* the last solicitation went unanswered */
				break;
			} else {
				soliciting = false;
			}
		}
		if (deadline && now >= deadline) {
			st->timed_out = true;
			break;
		}
		if (deadline && deadline < wake)
			wake = deadline;
		if (soliciting && next_rs < wake)
			wake = next_rs;

		pfd.fd = pio_fd(in);
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, (int)((wake - now + 999) / 1000));
		if (rc < 0 && errno != EINTR)
			die(EXIT_RESOURCE, "poll: %s", strerror(errno));
		while (!done && (rc = pio_next(in, &f)) == 1) {
			struct pkt p;

			st->packets++;
			pkt_parse(&p, dlt, f.data, f.caplen, f.wirelen);
			if (!nd_ra_decode(&p, ra))
				continue;
			st->ras++;
			soliciting = false;
			if (cfg->on_ra(cfg->ctx, &p, ra, pio_frame_us(&f)))
				done = true;
		}
		if (rc < 0) {
			warnmsg("%s: %s", cfg->ifname, pio_error(in));
			break;
		}
	}
	pio_tx_close(tx);
	pio_close(in);
	free(ra);
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
	if (!nd_ra_is_gateway(ra)) {
		debugmsg("not a usable gateway: RA from %s: %s", fmt_ip6(ra->router, ab),
			 ra->n_violations_total ? ra->violations[0] : "router lifetime 0");
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

	nd_listen_run(&cfg, st ? st : &local);
	if (!g.found)
		return -1;
	memcpy(mac, g.mac, 6);
	if (router)
		memcpy(router, g.router, 16);
	return 0;
}

int nd_gateway_learn(const char *ifname, double timeout_s, bool solicit, uint8_t mac[6])
{
	return nd_gateway_learn_ex(ifname, timeout_s, solicit, mac, NULL, NULL, NULL, false);
}
