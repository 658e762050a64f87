/* nat.c - TCP NAT binding table: keyed hash, port pool, LRU and linger lists
 * (RFC 9293 §3.5-3.6, RFC 6056 §3.3, RFC 6146 §3.5.2, RFC 7857 §2). */
#include "nat.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define NIL UINT32_MAX

struct list {
	uint32_t head, tail;	/* head: most recent */
};

struct nat_table {
	struct nat_config cfg;
	uint32_t cap, n;
	struct nat_binding *b;
	uint32_t free_head;		/* through .next */
	uint32_t *bucket;
	uint32_t nbucket;		/* power of two */
	uint8_t key[16];
	struct list lru, linger;
	/* free NAT ports: a ring, oldest-freed first */
	uint16_t *ring;
	uint32_t pool, ring_head, ring_count;
	uint32_t *by_port;		/* port - port_lo -> binding index */
};

/* ---- SipHash-2-4 ---- */

static inline uint64_t rotl(uint64_t x, int b) { return x << b | x >> (64 - b); }

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

#define SIPROUND do { \
	v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32); \
	v2 += v3; v3 = rotl(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = rotl(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32); } while (0)

uint64_t nat_siphash(const uint8_t key[16], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(in + i);
		v3 ^= m;
		SIPROUND; SIPROUND;
		v0 ^= m;
	}
	for (size_t j = 0; i + j < len; j++)
		b |= (uint64_t)in[i + j] << (8 * j);
	v3 ^= b;
	SIPROUND; SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND; SIPROUND; SIPROUND; SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint32_t hash_client(const struct nat_table *t, const uint8_t addr[16], uint16_t port)
{
	uint8_t k[18];

	memcpy(k, addr, 16);
	k[16] = (uint8_t)(port >> 8);
	k[17] = (uint8_t)port;
	return (uint32_t)nat_siphash(t->key, k, sizeof(k)) & (t->nbucket - 1);
}

/* ---- lists ---- */

static void list_push(struct nat_table *t, struct list *l, uint32_t i)
{
	struct nat_binding *b = &t->b[i];

	b->prev = NIL;
	b->next = l->head;
	if (l->head != NIL)
		t->b[l->head].prev = i;
	l->head = i;
	if (l->tail == NIL)
		l->tail = i;
}

static void list_del(struct nat_table *t, struct list *l, uint32_t i)
{
	struct nat_binding *b = &t->b[i];

	if (b->prev != NIL)
		t->b[b->prev].next = b->next;
	else
		l->head = b->next;
	if (b->next != NIL)
		t->b[b->next].prev = b->prev;
	else
		l->tail = b->prev;
	b->prev = b->next = NIL;
}

/* ---- table ---- */

struct nat_table *nat_new(const struct nat_config *cfg)
{
	struct nat_table *t;
	uint32_t pool;

	if (!cfg || cfg->port_lo == 0 || cfg->port_hi < cfg->port_lo || cfg->max_bindings == 0)
		return NULL;
	pool = (uint32_t)cfg->port_hi - cfg->port_lo + 1;
	t = xcalloc(1, sizeof(*t));
	t->cfg = *cfg;
	t->pool = pool;
	t->cap = cfg->max_bindings < pool ? cfg->max_bindings : pool;
	t->b = xcalloc(t->cap, sizeof(*t->b));
	for (uint32_t i = 0; i < t->cap; i++)
		t->b[i].next = i + 1 < t->cap ? i + 1 : NIL;
	t->free_head = 0;
	for (t->nbucket = 16; t->nbucket < 2 * t->cap; t->nbucket <<= 1)
		;
	t->bucket = xmalloc(t->nbucket * sizeof(*t->bucket));
	for (uint32_t i = 0; i < t->nbucket; i++)
		t->bucket[i] = NIL;
	v6_random(t->key, sizeof(t->key));
	t->lru.head = t->lru.tail = t->linger.head = t->linger.tail = NIL;
	t->ring = xmalloc(pool * sizeof(*t->ring));
	t->by_port = xmalloc(pool * sizeof(*t->by_port));
	for (uint32_t i = 0; i < pool; i++) {
		t->ring[i] = (uint16_t)(cfg->port_lo + i);
		t->by_port[i] = NIL;
	}
	t->ring_count = pool;
	return t;
}

void nat_free(struct nat_table *t)
{
	if (!t)
		return;
	free(t->b);
	free(t->bucket);
	free(t->ring);
	free(t->by_port);
	free(t);
}

uint32_t nat_count(const struct nat_table *t) { return t->n; }
uint32_t nat_capacity(const struct nat_table *t) { return t->cap; }
uint32_t nat_index(const struct nat_table *t, const struct nat_binding *b) { return (uint32_t)(b - t->b); }
uint32_t nat_pool_size(const struct nat_table *t) { return t->pool; }

struct nat_binding *nat_find_client(struct nat_table *t, const uint8_t addr[16], uint16_t port)
{
	for (uint32_t i = t->bucket[hash_client(t, addr, port)]; i != NIL; i = t->b[i].hnext)
		if (t->b[i].client_port == port && !memcmp(t->b[i].client, addr, 16))
			return &t->b[i];
	return NULL;
}

struct nat_binding *nat_find_nat(struct nat_table *t, uint16_t nat_port)
{
	uint32_t i;

	if (nat_port < t->cfg.port_lo || nat_port > t->cfg.port_hi)
		return NULL;
	i = t->by_port[nat_port - t->cfg.port_lo];
	return i == NIL ? NULL : &t->b[i];
}

/* A free port chosen at random among the older half of the free ring: random
 * enough that the next port cannot be predicted (RFC 6056), while a port just
 * freed is not handed out again before the back end has forgotten the old
 * connection (its TIME-WAIT, RFC 9293 §3.6.1). */
static uint16_t port_take(struct nat_table *t)
{
	uint32_t r, span = t->ring_count / 2, idx;
	uint16_t p;

	v6_random(&r, sizeof(r));
	if (span == 0)
		span = 1;
	idx = (t->ring_head + r % span) % t->pool;
	p = t->ring[idx];
	t->ring[idx] = t->ring[t->ring_head];
	t->ring_head = (t->ring_head + 1) % t->pool;
	t->ring_count--;
	return p;
}

static void port_give(struct nat_table *t, uint16_t p)
{
	t->ring[(t->ring_head + t->ring_count) % t->pool] = p;
	t->ring_count++;
}

void nat_end(struct nat_table *t, struct nat_binding *b, enum nat_end why)
{
	uint32_t i = (uint32_t)(b - t->b), *pp;

	if (!b->used)
		return;
	if (t->cfg.on_end)
		t->cfg.on_end(t->cfg.ctx, b, why);
	for (pp = &t->bucket[hash_client(t, b->client, b->client_port)]; *pp != i; pp = &t->b[*pp].hnext)
		;
	*pp = b->hnext;
	list_del(t, b->closing ? &t->linger : &t->lru, i);
	t->by_port[b->nat_port - t->cfg.port_lo] = NIL;
	port_give(t, b->nat_port);
	memset(b, 0, sizeof(*b));
	b->next = t->free_head;
	t->free_head = i;
	t->n--;
}

struct nat_binding *nat_open(struct nat_table *t, const uint8_t addr[16], uint16_t port,
			     uint16_t service_port, const uint8_t mac[6], uint64_t now_us)
{
	struct nat_binding *b;
	uint32_t i, h;

	if (t->free_head == NIL) {
		/* Lingering bindings are over already: end those before live ones. */
		i = t->linger.tail != NIL ? t->linger.tail : t->lru.tail;
		nat_end(t, &t->b[i], t->b[i].closing ? NAT_END_CLOSE : NAT_END_EVICT);
	}
	i = t->free_head;
	b = &t->b[i];
	t->free_head = b->next;
	memset(b, 0, sizeof(*b));
	b->used = true;
	memcpy(b->client, addr, 16);
	b->client_port = port;
	b->service_port = service_port;
	if (mac)
		memcpy(b->client_mac, mac, 6);
	b->created_us = b->last_us = now_us;
	b->nat_port = port_take(t);
	t->by_port[b->nat_port - t->cfg.port_lo] = i;
	h = hash_client(t, addr, port);
	b->hnext = t->bucket[h];
	t->bucket[h] = i;
	list_push(t, &t->lru, i);
	t->n++;
	return b;
}

void nat_seen(struct nat_table *t, struct nat_binding *b, uint8_t tcp_flags, bool from_client,
	      uint64_t now_us)
{
	uint32_t i = (uint32_t)(b - t->b);

	b->last_us = now_us;
	if (tcp_flags & 0x04)
		b->state |= NAT_RST;
	if (tcp_flags & 0x01)
		b->state |= from_client ? NAT_FIN_CLIENT : NAT_FIN_BACKEND;
	if (!from_client && (tcp_flags & 0x12) == 0x12)
		b->state |= NAT_ESTABLISHED;
	if (b->closing)
		return;		/* lingering: the deadline does not move */
	list_del(t, &t->lru, i);
	if ((b->state & NAT_RST) ||
	    (b->state & (NAT_FIN_CLIENT | NAT_FIN_BACKEND)) == (NAT_FIN_CLIENT | NAT_FIN_BACKEND)) {
		b->closing = true;
		b->closing_us = now_us;
		list_push(t, &t->linger, i);
	} else {
		list_push(t, &t->lru, i);
	}
}

size_t nat_expire(struct nat_table *t, uint64_t now_us)
{
	size_t n = 0;
	uint32_t i;

	while ((i = t->linger.tail) != NIL && now_us - t->b[i].closing_us >= t->cfg.linger_us) {
		nat_end(t, &t->b[i], NAT_END_CLOSE);
		n++;
	}
	while ((i = t->lru.tail) != NIL && now_us - t->b[i].last_us >= t->cfg.idle_us) {
		nat_end(t, &t->b[i], NAT_END_IDLE);
		n++;
	}
	return n;
}

void nat_flush(struct nat_table *t)
{
	uint32_t i;

	while ((i = t->linger.tail) != NIL)	/* over already: report them as closed */
		nat_end(t, &t->b[i], NAT_END_CLOSE);
	while ((i = t->lru.tail) != NIL)
		nat_end(t, &t->b[i], NAT_END_SHUTDOWN);
}

const char *nat_end_name(enum nat_end why)
{
	switch (why) {
	case NAT_END_CLOSE: return "close";
	case NAT_END_IDLE: return "idle";
	case NAT_END_EVICT: return "evict";
	case NAT_END_SHUTDOWN: return "shutdown";
	}
	return "?";
}
