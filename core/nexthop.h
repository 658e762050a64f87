/* nexthop.h - the next-hop cache of an event loop: IPv6 destination ->
 * Ethernet address of its next hop (RFC 4861 §7.2, RFC 2464), kept current
 * by one rtnetlink socket subscribed to neighbour and route changes.
 *
 * Nothing here waits on the network.  A destination whose next hop is not
 * resolved yet gets a solicitation (the kernel sends the Neighbor
 * Solicitations, core/netlink nl_solicit6) and its frames are held, bounded
 * per next hop and in total; they leave when the kernel reports the entry
 * reachable, and are dropped with a counted reason when it reports the
 * entry failed or resolve_ms pass.  One client that never answers
 * solicitations therefore costs the loop a few microseconds per query, not
 * a stall.  Route and neighbour table lookups for a new destination are
 * single netlink requests the kernel answers at once.
 *
 * The caller adds nh_fd() to its poll/epoll set, calls nh_service() when it
 * is readable and when nh_deadline() passes.
 */
#ifndef V6_NEXTHOP_H
#define V6_NEXTHOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nh_drop {
	NH_DROP_UNRESOLVED,	/* the next hop did not resolve (failed or resolve_ms) */
	NH_DROP_HOLD_FULL,	/* too many frames held already */
	NH_DROP_NO_ROUTE,	/* no route, a local address, or another interface */
	NH_DROP_N
};

const char *nh_drop_name(enum nh_drop d);

struct nh_cfg {
	int ifindex;			/* frames leave through this interface */
	const char *ifname;
	unsigned resolve_ms;		/* 0 = 1000 */
	unsigned cache_ms;		/* 0 = 10000: re-read the table after this */
	unsigned hold_frames;		/* per next hop; 0 = 64 */
	size_t hold_bytes;		/* all next hops; 0 = 1 MiB */
	/* Send one held frame whose destination MAC is now filled in:
	 * 0 or -errno (the caller counts it in its sent/failed). */
	int (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* Optional: a resolved next hop's MAC changed (or was first learnt
	 * for a watched destination). */
	void (*on_change)(void *ctx, const uint8_t dst[16], const uint8_t mac[6]);
	void *ctx;
};

struct nh_stats {
	uint64_t resolved;		/* next hops that turned reachable after a wait */
	uint64_t held, released;	/* frames held; of those, handed to send */
	uint64_t changed;		/* MAC changes learnt from notifications */
	uint64_t notifications;		/* neighbour/route messages read */
	uint64_t resyncs;		/* notification overflows (table re-read) */
	uint64_t dropped[NH_DROP_N];	/* frames dropped, by reason */
};

enum nh_state { NH_READY, NH_PENDING, NH_FAILED };

struct nh_cache;

/* NULL with err (and errno) when the notification socket cannot be opened. */
struct nh_cache *nh_open(const struct nh_cfg *cfg, char *err, size_t errlen);
void nh_close(struct nh_cache *c);

int nh_fd(const struct nh_cache *c);
/* Monotonic µs of the next pending resolution to give up on (UINT64_MAX: none). */
uint64_t nh_deadline(const struct nh_cache *c);
/* Read notifications, release frames whose next hop resolved, drop those
 * whose next hop failed or timed out. */
void nh_service(struct nh_cache *c, uint64_t now_us);

/* Where frames to dst go.  NH_READY: mac filled.  NH_PENDING: resolving,
 * hold the frames with nh_hold().  NH_FAILED: *why says which drop reason
 * applies (the caller counts its frames with nh_drop()). */
enum nh_state nh_lookup(struct nh_cache *c, const uint8_t dst[16], uint8_t mac[6],
			enum nh_drop *why, uint64_t now_us);
/* Hold an Ethernet frame to dst (its first 6 octets are written when the
 * next hop resolves): 0 held, -1 dropped and counted (hold full). */
int nh_hold(struct nh_cache *c, const uint8_t dst[16], const uint8_t *frame, size_t len);
void nh_drop(struct nh_cache *c, enum nh_drop why, unsigned frames);

/* Keep dst's entry for good (a back end): when the kernel deletes or fails
 * its neighbour entry it is solicited again while the last MAC stays in
 * use; a changed MAC is reported through on_change. */
void nh_watch(struct nh_cache *c, const uint8_t dst[16]);
/* Frames to dst seem lost (a peer stopped answering): re-read the table
 * and have the kernel verify the entry. */
void nh_refresh(struct nh_cache *c, const uint8_t dst[16], uint64_t now_us);

/* At exit: every frame still held is dropped as unresolved (counted), so
 * that a summary accounts for each frame. */
void nh_abandon(struct nh_cache *c);

void nh_stats(const struct nh_cache *c, struct nh_stats *s);

#endif
