/* nat.h - the TCP NAT binding table of the fragmenting front ends: client
 * (address, port) <-> NAT port toward the back end, O(1) lookup in both
 * directions, a randomised NAT port pool, a bound with LRU eviction, idle
 * timeout, and FIN/RST tracking (RFC 9293 §3.5-3.6; RFC 6146 §3.5.2 timers;
 * RFC 6056 §3.3 port randomisation; RFC 7857 §2 linger after close).
 *
 * The table never allocates after nat_new(): bindings live in one array,
 * chained into a keyed hash (SipHash-2-4 with a random key, so a hostile
 * client cannot choose colliding ports) and into recency lists.  A binding
 * ends through the on_end callback, which receives it still intact.
 */
#ifndef V6_NAT_H
#define V6_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum nat_end {
	NAT_END_CLOSE,		/* FIN both ways or RST, then the linger time */
	NAT_END_IDLE,		/* idle timeout */
	NAT_END_EVICT,		/* the table was full and this was the least recently used */
	NAT_END_SHUTDOWN,	/* nat_flush() */
};

/* Connection progress seen by the NAT (enough to know when it is over). */
enum {
	NAT_FIN_CLIENT  = 1u << 0,	/* FIN from the client */
	NAT_FIN_BACKEND = 1u << 1,	/* FIN from the back end */
	NAT_RST         = 1u << 2,	/* RST either way */
	NAT_ESTABLISHED = 1u << 3,	/* the back end answered the SYN */
};

struct nat_binding {
	uint8_t client[16];
	uint16_t client_port;
	uint16_t service_port;		/* the front end's port the client connected to */
	uint16_t nat_port;		/* our port toward the back end */
	uint8_t client_mac[6];		/* link-layer source of the client's frames */
	uint8_t state;			/* NAT_FIN_* | NAT_RST | NAT_ESTABLISHED */
	bool closing;			/* on the linger list */
	uint64_t created_us, last_us, closing_us;
	/* accounting for the binding line */
	uint64_t bytes_to_client, bytes_to_backend;	/* TCP payload octets */
	uint64_t segments, fragments;			/* sent to the client */
	/* table internals */
	uint32_t hnext;			/* hash chain */
	uint32_t prev, next;		/* LRU list or linger list */
	bool used;
};

struct nat_config {
	uint32_t max_bindings;		/* bound (clipped to the pool size) */
	uint16_t port_lo, port_hi;	/* NAT port pool, inclusive */
	uint64_t idle_us;		/* idle timeout */
	uint64_t linger_us;		/* kept after FIN both ways / RST for late ACKs */
	void (*on_end)(void *ctx, const struct nat_binding *b, enum nat_end why);
	void *ctx;
};

struct nat_table;

/* NULL when the configuration is impossible (empty pool, zero bound). */
struct nat_table *nat_new(const struct nat_config *cfg);
void nat_free(struct nat_table *t);

struct nat_binding *nat_find_client(struct nat_table *t, const uint8_t addr[16], uint16_t port);
struct nat_binding *nat_find_nat(struct nat_table *t, uint16_t nat_port);

/* New binding for a client SYN, NAT port drawn from the pool.  When the table
 * is full the least recently used binding is ended (NAT_END_EVICT) first.
 * Never fails once nat_new() succeeded. */
struct nat_binding *nat_open(struct nat_table *t, const uint8_t addr[16], uint16_t port,
			     uint16_t service_port, const uint8_t mac[6], uint64_t now_us);

/* A packet of the binding went through: refresh its recency and follow the
 * FIN/RST exchange (flags are TCP flag bits, from_client the direction).
 * Once FIN went both ways, or on RST, the binding lingers linger_us. */
void nat_seen(struct nat_table *t, struct nat_binding *b, uint8_t tcp_flags, bool from_client,
	      uint64_t now_us);

/* End a binding now (reported as `why`). */
void nat_end(struct nat_table *t, struct nat_binding *b, enum nat_end why);

/* End every binding idle for idle_us or lingering past linger_us; returns
 * how many ended.  Cost is proportional to the number ended. */
size_t nat_expire(struct nat_table *t, uint64_t now_us);

/* End every binding: NAT_END_CLOSE for those lingering after FIN/RST, else
 * NAT_END_SHUTDOWN. */
void nat_flush(struct nat_table *t);

uint32_t nat_count(const struct nat_table *t);
uint32_t nat_capacity(const struct nat_table *t);
/* The binding's slot, 0 .. nat_capacity() - 1: callers keep per-binding
 * state of their own in parallel arrays (core/tcpfront's ACK trackers). */
uint32_t nat_index(const struct nat_table *t, const struct nat_binding *b);
uint32_t nat_pool_size(const struct nat_table *t);

const char *nat_end_name(enum nat_end why);	/* "close", "idle", "evict", "shutdown" */

/* SipHash-2-4 (Aumasson & Bernstein) of len bytes under a 128-bit key. */
uint64_t nat_siphash(const uint8_t key[16], const void *data, size_t len);

#endif
