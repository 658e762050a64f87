/* fragtx.h - send whole IPv6 packets as fragments the application cut: the
 * core fragmenter (core/frag) splits them per a frag_plan, then either
 *   link: each fragment is framed in Ethernet to the next hop's MAC (kernel
 *         route + neighbour tables, RFC 4861 §7.2; or a fixed gateway MAC)
 *         and written with AF_PACKET / libpcap (core/pio), or
 *   raw:  each fragment is handed whole to the kernel through an IPPROTO_RAW
 *         IPv6 socket (IPV6_HDRINCL semantics, RFC 3542 has no equivalent).
 * Shared by the fragmenting front ends (dnsfrag, httpfrag).
 *
 * Why link is the default: on the raw path the packets cross the kernel's
 * output hooks, and with netfilter connection tracking loaded the IPv6
 * defragmenter (nf_defrag_ipv6) reassembles them and the output path
 * re-cuts them at its own sizes -- the fragments on the wire are then not the
 * ones we planned.  The link path writes frames below all of that.
 *
 * Link mode sends through the one batch sender (core/txfast, sendmmsg or
 * libpcap) under the one wait policy (txf_retry).  Next hops come from the
 * next-hop cache (core/nexthop), which never waits: frames to a next hop
 * that is still resolving are held (bounded) and leave when the kernel
 * reports it reachable, or are dropped with a counted reason after
 * `resolve_ms`.  The caller polls fragtx_fd() and calls fragtx_service().
 */
#ifndef V6_FRAGTX_H
#define V6_FRAGTX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "frag.h"
#include "nexthop.h"

#define FRAGTX_ERRLEN 256

/* The socket mark (SO_MARK) a front end may give its raw socket so that its
 * own firewall rules can tell the packets it relays from the kernel's (the
 * RST filter of `--manage-host` exempts it).  "v6k" in ASCII. */
#define FRAGTX_MARK 0x0076366bu

enum fragtx_mode {
	FRAGTX_LINK = 0,
	FRAGTX_RAW,
};

struct fragtx_cfg {
	enum fragtx_mode mode;
	const char *ifname;	/* link: required; raw: optional (SO_BINDTODEVICE) */
	bool use_pcap;		/* link: libpcap injection instead of AF_PACKET */
	bool fixed_mac;		/* link: every frame goes to gw_mac */
	uint8_t gw_mac[6];
	unsigned resolve_ms;	/* 0 = 1000 */
	unsigned cache_ms;	/* 0 = 10000 */
	uint32_t mark;		/* raw: SO_MARK of the socket (0 = none; CAP_NET_ADMIN or, 5.17+, CAP_NET_RAW) */
};

struct fragtx;

/* Open the sender.  NULL with err and *exit_code (2 bad configuration,
 * 3 interface absent / no privilege) on failure. */
struct fragtx *fragtx_open(const struct fragtx_cfg *cfg, char err[FRAGTX_ERRLEN], int *exit_code);

/* Interface MTU (link mode; raw mode with an interface), 0 when unknown. */
uint32_t fragtx_mtu(const struct fragtx *t);

/* Cut the IPv6 packet pkt[0..len) per plan into out (whose buf/cap the
 * caller provides: frag_out_need() plus BUILD_ETH_LEN per fragment) and
 * send every fragment in the plan's emission order.  Returns 0 when all
 * were sent; 1 when all are held until the next hop resolves (they are
 * counted as sent or failed then); -1 with fragtx_error() saying why (plan
 * refused, no next hop, send failure); out->n then tells what was cut and
 * *sent how many left. */
int fragtx_send(struct fragtx *t, const uint8_t *pkt, size_t len, const struct frag_plan *plan,
		struct frag_out *out, unsigned *sent);

/* --eh: insert this chain (core/eh, kept by the caller; NULL or empty:
 * none) into every packet fragtx_send() cuts, before cutting: the
 * unfragmentable headers then repeat in every fragment, the fragmentable
 * ones travel in the first (RFC 8200 §4.5).  A packet that cannot take the
 * chain is refused (-1, fragtx_error() says why), never sent without it. */
struct eh_chain;
void fragtx_set_eh(struct fragtx *t, const struct eh_chain *ch);

/* Send ONE IPv6 packet that is already built (whole or a fragment) as it
 * is: link mode frames it to the next hop of its destination, raw mode hands
 * it to the raw socket.  0 when sent (1: held, as fragtx_send); -1 with fragtx_error() when pkt is not
 * an IPv6 packet (refused before anything is sent, not counted as a failure,
 * as in fragtx_send) or the next hop or the send failed (counted). */
int fragtx_send_packet(struct fragtx *t, const uint8_t *pkt, size_t len);
/* The same for the IPv6 packet inside an Ethernet II frame (the frame's
 * own link-layer header is dropped): for engines that build frames. */
int fragtx_send_frame(struct fragtx *t, const uint8_t *frame, size_t len);

const char *fragtx_error(const struct fragtx *t);

/* Frames/packets written and failed since open (failed includes the
 * next-hop drops). */
void fragtx_counters(const struct fragtx *t, uint64_t *sent, uint64_t *failed);

struct fragtx_stats {
	uint64_t sent, failed;		/* frames, each counted once */
	uint64_t retries;		/* ENOBUFS/EAGAIN waits (txf_retry) */
	uint64_t held, resolved;	/* frames held for a next hop; next hops that resolved */
	uint64_t dropped[NH_DROP_N];	/* part of failed: no next hop, by reason */
};
void fragtx_stats(const struct fragtx *t, struct fragtx_stats *s);

/* The next-hop cache's notification socket (-1: none) and the time its
 * oldest pending resolution gives up (UINT64_MAX: none); service it when
 * the socket is readable or the time has come. */
int fragtx_fd(const struct fragtx *t);
uint64_t fragtx_deadline(const struct fragtx *t);
void fragtx_service(struct fragtx *t, uint64_t now_us);

/* Before the summary at exit: frames still waiting for a next hop are
 * dropped as unresolved, so that sent + failed accounts for every frame. */
void fragtx_finish(struct fragtx *t);

void fragtx_close(struct fragtx *t);

#endif
