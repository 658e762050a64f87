/* nexthop.c - next-hop cache driven by rtnetlink notifications (RFC 4861
 * §7.2 resolution by the kernel, RFC 2464 §7 multicast mapping); see
 * nexthop.h. */
#include "nexthop.h"
#include "args.h"
#include "netlink.h"
#include "pkt.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NH_SLOTS	4096u	/* open addressing, NH_PROBE slots per key */
#define NH_PROBE	8u
#define NH_NEG_US	1000000	/* a failed next hop is remembered this long */
#define NH_RESOLICIT_US	200000	/* watched entries: at most this often */

struct nh_held {
	struct nh_held *next;
	size_t len;
	uint8_t frame[];
};

enum slot_state { S_FREE, S_PENDING, S_READY, S_FAILED };

struct nh_entry {
	uint8_t dst[16], nh[16], mac[6];
	enum slot_state state;
	bool watched;
	enum nh_drop why;		/* S_FAILED */
	uint32_t route_gen;
	uint64_t until;			/* pending: give up; ready: re-read; failed: forget */
	uint64_t solicited;
	struct nh_held *head, *tail;
	unsigned nheld;
};

struct nh_cache {
	struct nh_cfg cfg;
	int fd;
	uint32_t key, route_gen;
	uint64_t now, next_deadline;
	size_t held_bytes;
	unsigned npending;
	bool resync;
	struct nh_stats st;
	struct nh_entry slot[NH_SLOTS];
};

static const char *const drop_names[NH_DROP_N] = { "unresolved", "hold_full", "no_route" };

const char *nh_drop_name(enum nh_drop d)
{
	return (unsigned)d < NH_DROP_N ? drop_names[d] : "?";
}

static const uint16_t USABLE = NL_NUD_REACHABLE | NL_NUD_STALE | NL_NUD_DELAY | NL_NUD_PROBE |
			       NL_NUD_PERMANENT;

static bool mac_zero(const uint8_t mac[6])
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static unsigned hash(const struct nh_cache *c, const uint8_t dst[16])
{
	uint32_t h = 2166136261u ^ c->key;

	for (int i = 0; i < 16; i++)
		h = (h ^ dst[i]) * 16777619u;
	return (h ^ h >> 15) % NH_SLOTS;
}

static struct nh_entry *find(struct nh_cache *c, const uint8_t dst[16])
{
	unsigned h = hash(c, dst);

	for (unsigned i = 0; i < NH_PROBE; i++) {
		struct nh_entry *e = &c->slot[(h + i) % NH_SLOTS];

		if (e->state != S_FREE && !memcmp(e->dst, dst, 16))
			return e;
	}
	return NULL;
}

static void drop_held(struct nh_cache *c, struct nh_entry *e, enum nh_drop why)
{
	while (e->head) {
		struct nh_held *h = e->head;

		e->head = h->next;
		c->held_bytes -= h->len;
		c->st.dropped[why]++;
		free(h);
	}
	e->tail = NULL;
	e->nheld = 0;
}

static void set_state(struct nh_cache *c, struct nh_entry *e, enum slot_state s)
{
	if (e->state == S_PENDING)
		c->npending--;
	if (s == S_PENDING)
		c->npending++;
	e->state = s;
}

/* A slot for dst: free, or whatever is least useful (never a pending or a
 * watched one).  NULL when all candidates are busy resolving. */
static struct nh_entry *claim(struct nh_cache *c, const uint8_t dst[16])
{
	unsigned h = hash(c, dst);
	struct nh_entry *victim = NULL;

	for (unsigned i = 0; i < NH_PROBE; i++) {
		struct nh_entry *e = &c->slot[(h + i) % NH_SLOTS];

		if (e->state == S_FREE)
			return e;
		if (e->state == S_PENDING || e->watched)
			continue;
		if (!victim || e->until < victim->until)
			victim = e;
	}
	return victim;
}

static void fail(struct nh_cache *c, struct nh_entry *e, enum nh_drop why)
{
	drop_held(c, e, why);
	set_state(c, e, S_FAILED);
	e->why = why;
	e->until = c->now + NH_NEG_US;
}

static void solicit(struct nh_cache *c, struct nh_entry *e)
{
	nl_solicit6(e->nh, c->cfg.ifindex, c->cfg.ifname);
	e->solicited = c->now;
}

static void release(struct nh_cache *c, struct nh_entry *e)
{
	while (e->head) {
		struct nh_held *h = e->head;

		e->head = h->next;
		c->held_bytes -= h->len;
		memcpy(h->frame, e->mac, 6);
		c->st.released++;
		if (c->cfg.send)
			c->cfg.send(c->cfg.ctx, h->frame, h->len);
		free(h);
	}
	e->tail = NULL;
	e->nheld = 0;
}

static void ready(struct nh_cache *c, struct nh_entry *e, const uint8_t mac[6])
{
	bool changed = e->state == S_READY && memcmp(e->mac, mac, 6);
	bool first = e->state != S_READY;

	if (e->state == S_PENDING)
		c->st.resolved++;
	memcpy(e->mac, mac, 6);
	set_state(c, e, S_READY);
	e->until = c->now + (uint64_t)c->cfg.cache_ms * 1000;
	if (changed)
		c->st.changed++;
	if ((changed || (first && e->watched)) && c->cfg.on_change)
		c->cfg.on_change(c->cfg.ctx, e->dst, mac);
	release(c, e);
}

/* Route and table lookups for e->dst; leaves e ready, pending or failed. */
static void resolve(struct nh_cache *c, struct nh_entry *e)
{
	int ifindex = pkt_ip6_is_link_local(e->dst) ? c->cfg.ifindex : 0;
	uint16_t state = 0;
	uint8_t mac[6];
	bool has_gw;
	int rc;

	e->route_gen = c->route_gen;
	if (e->dst[0] == 0xff) {	/* RFC 2464 §7: no resolution */
		memcpy(e->nh, e->dst, 16);
		mac[0] = mac[1] = 0x33;
		memcpy(mac + 2, e->dst + 12, 4);
		ready(c, e, mac);
		return;
	}
	rc = nl_route6(e->dst, &ifindex, &has_gw, e->nh, NULL);
	if (rc < 0 || ifindex != c->cfg.ifindex) {
		debugmsg("next hop for %s: %s", fmt_ip6(e->dst, (char[46]){ 0 }),
			 rc < 0 ? nl_error() : "the route leaves through another interface");
		fail(c, e, NH_DROP_NO_ROUTE);
		return;
	}
	rc = nl_neigh6(ifindex, e->nh, &state, mac);
	if (rc == 0 && (state & USABLE) && !mac_zero(mac)) {
		ready(c, e, mac);
		return;
	}
	if (rc == 0 && (state & NL_NUD_NOARP)) {
		fail(c, e, NH_DROP_NO_ROUTE);
		return;
	}
	if (e->state == S_READY && e->watched)
		return;		/* keep the last MAC; notifications will tell */
	if (e->state != S_PENDING) {
		set_state(c, e, S_PENDING);
		e->until = c->now + (uint64_t)c->cfg.resolve_ms * 1000;
		if (e->until < c->next_deadline)
			c->next_deadline = e->until;
	}
	solicit(c, e);
}

enum nh_state nh_lookup(struct nh_cache *c, const uint8_t dst[16], uint8_t mac[6],
			enum nh_drop *why, uint64_t now_us)
{
	struct nh_entry *e = find(c, dst);

	c->now = now_us;
	if (e && e->state == S_FAILED && now_us >= e->until) {
		set_state(c, e, S_FREE);
		e = NULL;
	}
	if (!e) {
		e = claim(c, dst);
		if (!e) {
			*why = NH_DROP_HOLD_FULL;
			return NH_FAILED;
		}
		drop_held(c, e, NH_DROP_UNRESOLVED);
		memset(e, 0, sizeof(*e));
		memcpy(e->dst, dst, 16);
		resolve(c, e);
	} else if (e->route_gen != c->route_gen ||
		   (e->state == S_READY && !e->watched && now_us >= e->until)) {
		if (e->state == S_READY && !e->watched)
			set_state(c, e, S_FREE);	/* re-read as new */
		resolve(c, e);
	}
	switch (e->state) {
	case S_READY:
		memcpy(mac, e->mac, 6);
		return NH_READY;
	case S_PENDING:
		return NH_PENDING;
	default:
		*why = e->why;
		return NH_FAILED;
	}
}

int nh_hold(struct nh_cache *c, const uint8_t dst[16], const uint8_t *frame, size_t len)
{
	struct nh_entry *e = find(c, dst);
	struct nh_held *h;

	if (!e || e->state != S_PENDING || !c->cfg.send || e->nheld >= c->cfg.hold_frames ||
	    c->held_bytes + len > c->cfg.hold_bytes) {
		c->st.dropped[NH_DROP_HOLD_FULL]++;
		return -1;
	}
	h = xmalloc(sizeof(*h) + len);
	h->next = NULL;
	h->len = len;
	memcpy(h->frame, frame, len);
	if (e->tail)
		e->tail->next = h;
	else
		e->head = h;
	e->tail = h;
	e->nheld++;
	c->held_bytes += len;
	c->st.held++;
	return 0;
}

void nh_drop(struct nh_cache *c, enum nh_drop why, unsigned frames)
{
	if ((unsigned)why < NH_DROP_N)
		c->st.dropped[why] += frames;
}

/* A neighbour entry of our interface changed: every destination whose next
 * hop it is follows. */
static void neigh_changed(struct nh_cache *c, const struct nl_neigh *n)
{
	bool usable = !n->deleted && (n->state & USABLE) && n->has_mac && !mac_zero(n->mac);

	for (unsigned i = 0; i < NH_SLOTS; i++) {
		struct nh_entry *e = &c->slot[i];

		if (e->state == S_FREE || e->state == S_FAILED || memcmp(e->nh, n->addr, 16))
			continue;
		if (usable) {
			if (e->state == S_PENDING || memcmp(e->mac, n->mac, 6))
				ready(c, e, n->mac);
			else
				e->until = c->now + (uint64_t)c->cfg.cache_ms * 1000;
		} else if (e->state == S_PENDING && (n->state & NL_NUD_FAILED) && !n->deleted) {
			fail(c, e, NH_DROP_UNRESOLVED);
		} else if (e->state == S_READY && e->watched && (n->deleted || (n->state & NL_NUD_FAILED))) {
			/* Gone from the table (expired, flushed, failed): have
			 * it resolved again, sending to the last MAC meanwhile. */
			if (c->now - e->solicited >= NH_RESOLICIT_US)
				solicit(c, e);
		} else if (e->state == S_READY && (n->state & NL_NUD_FAILED)) {
			e->until = 0;	/* re-read at the next lookup */
		}
	}
}

static void on_note(void *ctx, enum nl_event ev, const struct nl_neigh *n)
{
	struct nh_cache *c = ctx;

	c->st.notifications++;
	if (ev == NL_EV_NEIGH && n->ifindex == c->cfg.ifindex)
		neigh_changed(c, n);
	else if (ev == NL_EV_ROUTE)
		c->route_gen++;
	else if (ev == NL_EV_OVERFLOW) {
		c->st.notifications--;
		c->st.resyncs++;
		c->route_gen++;
		c->resync = true;
	}
}

void nh_service(struct nh_cache *c, uint64_t now_us)
{
	c->now = now_us;
	nl_notify_read(c->fd, on_note, c);
	if (c->resync) {
		/* Notifications were lost: ask the table about everything
		 * that waits or is watched. */
		c->resync = false;
		for (unsigned i = 0; i < NH_SLOTS; i++) {
			struct nh_entry *e = &c->slot[i];

			if (e->state == S_PENDING || (e->state == S_READY && e->watched))
				resolve(c, e);
			else if (e->state == S_READY)
				e->until = 0;
		}
	}
	if (!c->npending || now_us < c->next_deadline)
		return;
	c->next_deadline = UINT64_MAX;
	for (unsigned i = 0; i < NH_SLOTS && c->npending; i++) {
		struct nh_entry *e = &c->slot[i];

		if (e->state != S_PENDING)
			continue;
		if (e->until <= now_us)
			fail(c, e, NH_DROP_UNRESOLVED);
		else if (e->until < c->next_deadline)
			c->next_deadline = e->until;
	}
}

uint64_t nh_deadline(const struct nh_cache *c)
{
	return c->npending ? c->next_deadline : UINT64_MAX;
}

int nh_fd(const struct nh_cache *c)
{
	return c->fd;
}

void nh_watch(struct nh_cache *c, const uint8_t dst[16])
{
	uint8_t mac[6];
	enum nh_drop why;
	struct nh_entry *e;

	nh_lookup(c, dst, mac, &why, now_mono_us());
	if ((e = find(c, dst)))
		e->watched = true;
}

void nh_refresh(struct nh_cache *c, const uint8_t dst[16], uint64_t now_us)
{
	struct nh_entry *e = find(c, dst);

	c->now = now_us;
	if (!e || e->state != S_READY || now_us - e->solicited < NH_NEG_US)
		return;
	resolve(c, e);
	if (e->state == S_READY)
		solicit(c, e);	/* a packet through the kernel makes it verify the entry */
}

void nh_abandon(struct nh_cache *c)
{
	for (unsigned i = 0; i < NH_SLOTS && c->npending; i++)
		if (c->slot[i].state == S_PENDING)
			fail(c, &c->slot[i], NH_DROP_UNRESOLVED);
}

void nh_stats(const struct nh_cache *c, struct nh_stats *s)
{
	*s = c->st;
}

struct nh_cache *nh_open(const struct nh_cfg *cfg, char *err, size_t errlen)
{
	struct nh_cache *c = xcalloc(1, sizeof(*c));

	c->cfg = *cfg;
	if (!c->cfg.resolve_ms)
		c->cfg.resolve_ms = 1000;
	if (!c->cfg.cache_ms)
		c->cfg.cache_ms = 10000;
	if (!c->cfg.hold_frames)
		c->cfg.hold_frames = 64;
	if (!c->cfg.hold_bytes)
		c->cfg.hold_bytes = 1u << 20;
	c->next_deadline = UINT64_MAX;
	v6_random(&c->key, sizeof(c->key));
	c->fd = nl_notify_open();
	if (c->fd < 0) {
		snprintf(err, errlen, "%s", nl_error());
		errno = -c->fd;
		free(c);
		return NULL;
	}
	return c;
}

void nh_close(struct nh_cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < NH_SLOTS; i++)
		drop_held(c, &c->slot[i], NH_DROP_UNRESOLVED);
	close(c->fd);
	free(c);
}
