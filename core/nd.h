/* nd.h - Router Advertisement decoding and validation (RFC 4861 §4.2, §4.6,
 * §6.1.2; RFC 4191 Prf and Route Information; RFC 5175 flags; RFC 3775 H;
 * RFC 4389 Proxy; RFC 8106 RDNSS/DNSSL; RFC 8781 PREF64; RFC 8910 captive
 * portal; RFC 3971 nonce), Router Solicitation building (RFC 4861 §4.1),
 * the RA emitter record, and gateway discovery on a live link (§6.3.7).
 *
 * Decoding never drops: every rule an RA breaks is a string in `violations`
 * (a host would silently discard it; we report it).  Option payloads that
 * are not copied (unknown options, nonce, captive portal) are borrowed
 * pointers into the packet buffer and live as long as it does.
 */
#ifndef V6_ND_H
#define V6_ND_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"
#include "reasm.h"

#define ND_RA_HDR_LEN	16	/* ICMPv6 header + RA fixed part */
#define ND_RS_HDR_LEN	8
#define ND_INFINITY	0xffffffffu

/* Caps on what one RA record keeps; more is counted as a violation-free
 * "not shown" note, never an overflow. */
#define ND_MAX_PREFIXES	32
#define ND_MAX_RDNSS	8
#define ND_MAX_SERVERS	16	/* per RDNSS option */
#define ND_MAX_DNSSL	8
#define ND_MAX_DOMAINS	16	/* per DNSSL option */
#define ND_MAX_ROUTES	32
#define ND_MAX_UNKNOWN	16
#define ND_MAX_VIOL	16
#define ND_VIOL_LEN	112
#define ND_NAME_POOL	4096	/* decoded DNSSL names, NUL-separated */
#define ND_TEXT_MAX	2048	/* captive-portal URI, sanitized */

/* RFC 4191 §2.1 preference values as they sit in the 2-bit field. */
enum nd_pref {
	ND_PREF_MEDIUM = 0, ND_PREF_HIGH = 1, ND_PREF_RESERVED = 2, ND_PREF_LOW = 3,
};

struct nd_prefix {
	uint8_t prefix[16];
	uint8_t length;
	bool on_link, autonomous, router_address;
	uint32_t valid_lifetime, preferred_lifetime;
};

struct nd_rdnss {
	uint32_t lifetime;
	uint8_t n_servers;		/* kept */
	uint8_t n_total;		/* in the option */
	uint8_t servers[ND_MAX_SERVERS][16];
};

struct nd_dnssl {
	uint32_t lifetime;
	uint8_t n_domains;
	uint16_t domain_off[ND_MAX_DOMAINS];	/* into nd_ra.names */
};

struct nd_route {
	uint8_t prefix[16];
	uint8_t length;
	uint8_t preference;		/* enum nd_pref */
	uint32_t lifetime;
};

struct nd_unknown {
	uint8_t type;
	uint8_t length;			/* the option's Length field (units of 8 octets) */
	uint16_t data_len;		/* octets after type and length present */
	const uint8_t *data;		/* borrowed */
};

struct nd_ra {
	/* where it came from */
	uint8_t router[16];		/* IPv6 source */
	uint8_t dst[16];
	uint8_t mac[6];			/* Ethernet (or SLL) source */
	bool has_mac;
	uint8_t ip_hop_limit;		/* of the IPv6 header */

	/* RA header (RFC 4861 §4.2) */
	uint8_t code;
	uint16_t checksum, checksum_computed;
	bool checksum_checked;		/* false when the capture cut the message */
	uint32_t icmp_len;		/* declared ICMPv6 length */
	bool truncated;			/* capture shorter than the message */
	uint8_t hop_limit;		/* Cur Hop Limit */
	uint8_t flags_raw;		/* M O H Prf(2) P reserved(2) */
	bool managed, other, home_agent, proxy;
	uint8_t preference;		/* enum nd_pref */
	uint8_t reserved;		/* the two low bits */
	uint16_t router_lifetime;
	uint32_t reachable_time, retrans_timer;

	/* options */
	bool has_slla;
	uint8_t slla[6];
	uint8_t slla_len;		/* octets of link-layer address (6 on Ethernet) */
	bool has_mtu;
	uint32_t mtu;
	struct nd_prefix prefixes[ND_MAX_PREFIXES];
	uint8_t n_prefixes;
	struct nd_rdnss rdnss[ND_MAX_RDNSS];
	uint8_t n_rdnss;
	struct nd_dnssl dnssl[ND_MAX_DNSSL];
	uint8_t n_dnssl;
	char names[ND_NAME_POOL];
	uint16_t names_used;
	struct nd_route routes[ND_MAX_ROUTES];
	uint8_t n_routes;
	bool has_pref64;
	uint8_t pref64[16];
	uint8_t pref64_len;
	uint16_t pref64_lifetime;	/* seconds (scaled lifetime * 8) */
	bool has_captive;
	char captive_portal[ND_TEXT_MAX + 1];
	const uint8_t *nonce;		/* borrowed */
	uint16_t nonce_len;
	struct nd_unknown unknown[ND_MAX_UNKNOWN];
	uint8_t n_unknown;
	uint16_t n_options;		/* every option seen */
	uint16_t n_dropped;		/* options decoded but not kept (caps) */

	/* how it travelled (RFC 6980, RFC 7113) */
	uint8_t ext[PKT_MAX_EXT + 1];	/* extension headers in wire order, Fragment included */
	uint8_t n_ext;
	bool fragmented;		/* arrived in fragments (or as an atomic fragment) */
	uint16_t n_fragments;		/* fragments it was rebuilt from (1 for an atomic one) */
	bool eh_evasion;		/* headers other than Fragment before ICMPv6 */

	char violations[ND_MAX_VIOL][ND_VIOL_LEN];
	uint8_t n_violations;
	uint16_t n_violations_total;	/* may exceed ND_MAX_VIOL */
};

/* The violations SPEC.md §3 names for RA-Guard evasion. */
#define ND_VIOL_FRAGMENTED	"fragmented RA (RFC 6980)"
#define ND_VIOL_EH		"extension headers before ICMPv6 (RFC 7113 evasion)"

/* Is this parsed packet an unfragmented ICMPv6 Router Advertisement
 * (innermost IPv6 layer; an atomic fragment counts as unfragmented)? */
bool nd_is_ra(const struct pkt *p);

/* Decode the RA in `p` (which must satisfy nd_is_ra) into *out, including
 * every RFC 4861 §6.1.2 violation.  Returns false when p is not an RA. */
bool nd_ra_decode(const struct pkt *p, struct nd_ra *out);

/* Would a host's kernel discard this RA (RFC 4861 §6.1.2 validity, RFC 6980
 * fragments)?  Extension headers alone do not make a host discard it. */
bool nd_ra_host_ignores(const struct nd_ra *ra);

/* Does this RA announce a default router a host would use: not ignored by
 * hosts (nd_ra_host_ignores) with a non-zero router lifetime (§6.3.4)? */
bool nd_ra_is_gateway(const struct nd_ra *ra);

/* ---- a stream of captured frames (live or offline): one path ----
 * Each frame goes through the one parser (core/pkt); fragments that may
 * hold an RA (IPv6, Next Header ICMPv6 or an extension header) go to the
 * one reassembler (core/reasm, RFC 5722 overlaps discarded, bounded by
 * ND_REASM_*), and every RA found, whole or rebuilt, is decoded. */
#define ND_REASM_DATAGRAMS	1024		/* datagrams in progress */
#define ND_REASM_PER_SOURCE	256		/* ... per source address */
#define ND_REASM_BYTES		(4u << 20)	/* octets held */
#define ND_REASM_TIMEOUT_US	60000000u	/* RFC 8200 §4.5 */

struct nd_stream;

struct nd_stream_stats {
	uint64_t packets;		/* frames fed */
	uint64_t ras;			/* RAs decoded */
	uint64_t fragmented;		/* ... that arrived fragmented */
	uint64_t ext_headers;		/* ... behind extension headers other than Fragment */
	uint64_t fragments;		/* IPv6 fragments given to the reassembler */
	uint64_t reassembled;		/* datagrams it rebuilt */
	uint64_t discarded[REASM_N_REASONS];	/* fragments dropped, by reason (core/reasm) */
	size_t held_bytes_max;		/* high-water mark of octets held */
};

struct nd_stream *nd_stream_new(void);
void nd_stream_free(struct nd_stream *s);
/* Feed one captured frame (ts_us: capture time).  Returns the RA it holds
 * or completes (valid until the next call), or NULL. */
const struct nd_ra *nd_stream_frame(struct nd_stream *s, int dlt, const uint8_t *data,
				    uint32_t caplen, uint32_t wirelen, uint64_t ts_us);
/* The parsed packet behind the last RA returned (the rebuilt datagram for
 * a fragmented one). */
const struct pkt *nd_stream_pkt(const struct nd_stream *s);
/* End of input: datagrams still incomplete are counted as discarded. */
void nd_stream_finish(struct nd_stream *s);
const struct nd_stream_stats *nd_stream_stats(const struct nd_stream *s);
/* The stream's counters as fields of the current record (a summary). */
void nd_stream_emit_stats(const struct nd_stream_stats *st);

/* The RA's usable gateway MAC: the SLLA option, else the link source.
 * False when there is none. */
bool nd_ra_gateway_mac(const struct nd_ra *ra, uint8_t mac[6]);

/* Name of a preference value: "medium", "high", "reserved", "low". */
const char *nd_pref_name(uint8_t pref);

/* Emit one "ra" record (em_begin .. em_end) with capture time ts_us. */
void nd_ra_emit(const struct nd_ra *ra, uint64_t ts_us);

/* Build an Ethernet frame carrying a Router Solicitation from `src` (our
 * link-local address, or :: for none, in which case no SLLA option is
 * sent, RFC 4861 §4.1) and `mac` to ff02::2, hop limit 255, with checksum.
 * Returns the frame length, 0 if cap is too small. */
size_t nd_build_rs(uint8_t *frame, size_t cap, const uint8_t mac[6], const uint8_t src[16]);

/* RFC 4861 §10 host constants used when soliciting. */
#define ND_RTR_SOLICITATION_INTERVAL_MS	4000
#define ND_MAX_RTR_SOLICITATIONS	3

/* ---- live listening ---- */

struct nd_listen;

/* Called for every RA received (valid or not).  Return true to stop. */
typedef bool (*nd_ra_cb)(void *ctx, const struct pkt *p, const struct nd_ra *ra, uint64_t ts_us);

struct nd_listen_cfg {
	const char *ifname;
	double timeout_s;		/* <= 0: none (with solicit: give up after the last retry) */
	bool solicit;
	nd_ra_cb on_ra;
	void *ctx;
	volatile sig_atomic_t *stop;	/* optional: a signal handler sets it */
	bool drop_privileges;		/* priv_drop() to none once the capture is open */
};

struct nd_listen_stats {
	uint64_t packets;		/* frames captured */
	uint64_t ras;			/* RAs decoded */
	uint64_t solicitations;		/* RSs sent */
	bool timed_out;
	uint64_t ignored_fragmented;	/* fragmented RAs a host ignores (RFC 6980) */
	struct nd_stream_stats stream;	/* fragments, reassembly, RA kinds */
};

/* Open the interface (dies with exit 3 when absent or not permitted: a
 * set-up error), solicit when asked, and deliver RAs to cfg->on_ra until it
 * returns true, the timeout expires or *stop is set.  Returns the number of
 * RAs delivered. */
uint64_t nd_listen_run(const struct nd_listen_cfg *cfg, struct nd_listen_stats *st);

/* Learn the default gateway's MAC on ifname from the first valid RA with a
 * non-zero router lifetime, soliciting when asked.  0 on success, -1 when
 * nothing arrived within timeout_s (<= 0: RFC 4861 solicitation schedule,
 * or forever without solicit). */
int nd_gateway_learn(const char *ifname, double timeout_s, bool solicit, uint8_t mac[6]);
/* Same, also giving the router's address (NULL: not wanted) and the
 * listening statistics (NULL: not wanted); stops early when *stop is set;
 * drop_privileges as in nd_listen_cfg. */
int nd_gateway_learn_ex(const char *ifname, double timeout_s, bool solicit, uint8_t mac[6],
			uint8_t router[16], struct nd_listen_stats *st, volatile sig_atomic_t *stop,
			bool drop_privileges);

#endif
