/* relay.h - the 6in4 relay agent (µTasker note §8-9 done properly): relay
 * table, per-packet decision with counted drop reasons, and the rewrites
 * (RFC 4213 6in4; RFC 791 TTL/checksum, RFC 1624 incremental update;
 * RFC 4291/8200 inner-header sanity).
 *
 * The relay is the DMZ host of an IPv4 NAT that does not understand
 * protocol 41.  For a protocol-41 packet addressed to it, relay_process()
 * checks the outer IPv4 header, the tunnel server, the inner IPv6 header,
 * looks the inner destination up in the table, applies the --allow filter,
 * and writes the frame to send: the whole IPv4 packet re-addressed to the
 * host (mode 6in4) or the bare IPv6 packet (mode raw), in an Ethernet frame
 * from our MAC to the table's MAC.  With `outbound`, IPv6 from a raw-mode
 * host to a global destination is encapsulated toward the first tunnel
 * server.  Nothing here does I/O except relay_sock41_*().
 */
#ifndef V6_RELAY_H
#define V6_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"

enum relay_mode { RELAY_MODE_6IN4, RELAY_MODE_RAW };

/* Drop reasons; names (relay_reason_name) are the stable JSON keys. */
enum relay_reason {
	RR_NOT_PROTO41,
	RR_BAD_OUTER_HEADER,
	RR_BAD_OUTER_CHECKSUM,
	RR_OUTER_FRAGMENT,
	RR_TUNNEL_SERVER_MISMATCH,
	RR_BAD_INNER_HEADER,
	RR_BAD_INNER_SOURCE,
	RR_NO_DESTINATION,
	RR_NOT_ALLOWED,
	RR_TRUNCATED,
	RR_TTL_EXCEEDED,	/* outer TTL / inner hop limit would reach 0 */
	RR_COUNT
};

struct relay_dest {
	struct v6_prefix v6;	/* an address is a /128 */
	uint8_t v4[4];
	uint8_t mac[6];
	enum relay_mode mode;
	unsigned line;		/* table line (0 = --dest) */
	char key[52];		/* counter name: "2001:db8::a" or "2001:db8:1::/64" */
	size_t stat;		/* slot in relay_stats.dest (relay_stats_bind) */
};

struct relay_table {
	struct relay_dest *d;
	size_t n, cap;
	size_t max;			/* refuse entries beyond this (0 = no bound) */
	/* Exact (/128) entries are found through an open-addressing hash of
	 * entry indexes (-1 = empty); shorter prefixes by a scan of `pfx`. */
	int32_t *hash;
	size_t hash_size;		/* power of two, > 2 * n */
	uint32_t *pfx;
	size_t n_pfx, cap_pfx;
	/* Every entry by (address, length), for the duplicate check. */
	int32_t *keys;
	size_t keys_size;
};

/* One --allow PROTO[/PORTS]: ports are TCP/UDP destination ports, for
 * ICMPv6 (and ICMP) message types. */
struct relay_allow {
	uint8_t proto;
	bool any;		/* no /PORTS: every packet of the protocol */
	uint8_t ports[8192];
};

struct relay_cfg {
	bool has_local;
	uint8_t local4[4];		/* -l: our IPv4 address */
	bool has_mac;
	uint8_t mac[6];			/* our MAC (else the frame's Ethernet destination) */
	uint8_t gw_mac[6];		/* Ethernet destination of outbound frames written to a file */
	const uint8_t (*servers)[4];	/* --tunnel-server list */
	size_t n_servers;
	const struct relay_allow *allow;
	size_t n_allow;
	bool outbound;
};

enum relay_action {
	RELAY_IGNORE,		/* not for the relay (not to -l, not from a raw host, ND...) */
	RELAY_DROP,
	RELAY_SEND,		/* out[0..len) is an Ethernet frame to send */
};

enum relay_kind { RELAY_KIND_6IN4, RELAY_KIND_RAW, RELAY_KIND_OUTBOUND };

struct relay_out {
	enum relay_action action;
	enum relay_reason reason;	/* RELAY_DROP */
	enum relay_kind kind;		/* RELAY_SEND */
	const char *why;		/* detail for -v / logs (static) */
	int dest;			/* table index, -1 none */
	size_t len;			/* frame length in out */
	/* for packet logs */
	bool has_outer, has_inner;
	uint8_t outer_src[4];
	uint8_t inner_src[16], inner_dst[16];
	uint8_t next_hop4[4];		/* RELAY_KIND_OUTBOUND: the tunnel server */
};

#define RELAY_OUT_MAX (65535 + 14 + 20)	/* largest frame relay_process writes */

struct relay_stats {
	uint64_t packets;		/* frames looked at */
	uint64_t ignored;
	uint64_t outbound;
	uint64_t send_errors;
	uint64_t capture_dropped;	/* live: dropped by the kernel/interface before we saw them */
	uint64_t dropped[RR_COUNT];
	struct relay_stat_dest {
		char key[52];
		uint64_t n;
	} *dest;
	size_t n_dest;
};

const char *relay_reason_name(enum relay_reason r);
const char *relay_mode_name(enum relay_mode m);

/* ---- table ---- */

void relay_table_init(struct relay_table *t);
void relay_table_free(struct relay_table *t);
/* One line "IPV6[/LEN] IPV4 MAC [6in4|raw]" (blanks or commas between
 * fields, '#' starts a comment).  Blank/comment lines add nothing.  False
 * with a message (without file:line) in err. */
bool relay_table_add_line(struct relay_table *t, const char *line, unsigned lineno,
			  char *err, size_t errlen);
/* Read a whole table file and add its lines; err is "FILE:LINE: message". */
bool relay_table_load(struct relay_table *t, const char *path, char *err, size_t errlen);
/* The same, with the message alone in err and its line in *err_line (0 when
 * it concerns the whole file): for FILE:LINE in text and JSON errors. */
bool relay_table_load_at(struct relay_table *t, const char *path, unsigned *err_line,
			 char *err, size_t errlen);
/* Longest-prefix match of an IPv6 destination; -1 when none. */
int relay_table_lookup(const struct relay_table *t, const uint8_t dst[16]);

/* ---- options ---- */

/* "tcp/80", "udp/53,5353", "tcp/8000-8010", "icmpv6/128", "tcp", "47". */
bool relay_allow_parse(const char *s, struct relay_allow *a, char *err, size_t errlen);

/* ---- per packet ---- */

/* Decide and rewrite one captured frame of link type dlt (Ethernet, raw IP,
 * Linux SLL).  out must hold RELAY_OUT_MAX octets.  Never reads outside
 * frame[0..caplen); wirelen is the frame's length on the wire. */
void relay_process(const struct relay_cfg *cfg, const struct relay_table *t,
		   int dlt, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
		   uint8_t *out, struct relay_out *r);

/* ---- counters ---- */

void relay_stats_init(struct relay_stats *s);
void relay_stats_free(struct relay_stats *s);
/* Give every table entry a counter slot (kept across reloads by key). */
void relay_stats_bind(struct relay_stats *s, struct relay_table *t);
/* Count one relay_process() result (call after relay_stats_bind). */
void relay_stats_count(struct relay_stats *s, const struct relay_table *t, const struct relay_out *r);
/* "summary" or "stats" record: packets, relayed {dest: n}, outbound,
 * dropped {reason: n}, ignored, send_errors, capture_dropped, elapsed_s. */
void relay_emit_stats(const struct relay_stats *s, const char *type, double elapsed_s);
/* "relay" or "drop" record for one packet (--log-packets). */
void relay_emit_packet(const struct relay_out *r, const struct relay_table *t, uint64_t wall_us);

/* ---- kernel glue ---- */

/* A raw IPv4 protocol-41 socket with IP_HDRINCL that receives nothing (a
 * drop-all filter): it sends outbound packets through the kernel's routing
 * and ARP, and its mere existence keeps the kernel from answering every
 * tunnelled packet with ICMP protocol unreachable.  -errno on failure. */
int relay_sock41_open(void);
/* Send the IPv4 packet at pkt (outer header first) to dst4: 0 or -errno. */
int relay_sock41_send(int fd, const uint8_t *pkt, size_t len, const uint8_t dst4[4]);

#endif
