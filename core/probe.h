/* probe.h - the dnsfrag probe zone: an authoritative DNS zone whose answers
 * prove, per resolver, that a fragmented answer arrived.  A query for
 * LABEL.ZONE gets an answer of exactly `size` octets (EDNS(0) Padding,
 * RFC 7830) -- sent by the applet as IPv6 fragments -- holding a CNAME to
 * LABEL-NONCE.ok.ZONE, NONCE fresh per answer: only a resolver that
 * reassembled the answer can ask the follow-up.  (RFC 1034 §3.6.2 CNAME,
 * RFC 1035 §3.3, RFC 2308 negative answers with the SOA, RFC 4343 case,
 * RFC 6891 EDNS(0), RFC 7830 Padding, RFC 8020 empty non-terminals.)
 *
 * Names of the zone (ZONE as given, compared case-insensitively):
 *   ZONE                 SOA, NS (ns.ZONE), other types NODATA
 *   ns.ZONE              AAAA of cfg.addr, other types NODATA
 *   ok.ZONE              empty non-terminal: NODATA (so qname-minimising
 *                        resolvers walk on to the follow-up name)
 *   LABEL.ZONE           a probe: CNAME LABEL-NONCE.ok.ZONE, padded
 *   LABEL-NONCE.ok.ZONE  a follow-up: AAAA of cfg.addr for AAAA/ANY, NODATA
 *                        otherwise, whole (one packet); NXDOMAIN when NONCE
 *                        is not one this table issued (forged or corrupted)
 *   anything else        NXDOMAIN
 * Every answer is authoritative (AA), TTL 0 (no resolver caches a probe),
 * negative ones carry the zone's SOA (minimum 0).  Labels left of ZONE must
 * be letters, digits, '-' or '_' (a probe LABEL at most PROBE_LABEL_MAX
 * octets, so LABEL-NONCE fits in one label); a name with any other octet
 * ('.', '\\', NUL, space, bytes >= 0x80...) or a longer probe label is
 * REFUSED and counted by reason.  Compression in the question is resolved
 * by the DNS reader (core/dns) and names over 255 wire octets never reach
 * here (dns_parse: name_too_long -> the applet's `malformed`).  Class other
 * than IN: REFUSED; opcode other than QUERY: NOTIMP; EDNS version > 0:
 * BADVERS (RFC 6891 §6.1.3).
 *
 * A query without EDNS(0) (every current resolver sends it) still gets a
 * probe answer of `size` octets -- the point is the fragments -- padded with
 * one TXT record owned by the probe name in the additional section
 * (counted as no_edns); when the gap is under 13 octets the answer is 13
 * octets larger instead of exact.
 *
 * NONCE is 16 hex digits: 32 random bits (getrandom, drawn fresh for every
 * answer) and 32 bits of SipHash-2-4 of (LABEL, random bits) under the
 * table's secret key, so a follow-up's NONCE is verified without a table
 * lookup and a late follow-up (probe timed out or evicted) is still told
 * from a forged one.
 *
 * The table: one entry per probe name in flight (LABEL, lower-cased),
 * bounded by max_probes, O(1) lookup (hash chained on a keyed SipHash, a
 * hostile client cannot aim collisions), two FIFOs in deadline order (open
 * probes; tombstones) that are also the eviction order.  Each probe name
 * yields exactly one verdict through cfg.on_verdict:
 *   delivered  (end followup)  the follow-up arrived: written at once
 *   lost       (end timeout)   no follow-up within timeout_us of the first ask
 *   unknown    (end evict)     the table was full, no tombstone was left to
 *                              drop, and this was the oldest open probe
 *   unknown    (end shutdown)  probe_flush() at exit, before its deadline
 * After `delivered` or `lost` the entry stays one more timeout_us as a
 * tombstone: resolvers go on retrying a name whose answer never arrived
 * (unbound for well over 2 s), and those asks are `repeats` (answered,
 * counted, no second verdict).  A name asked again after that is a new
 * probe: campaigns use a fresh LABEL per probe.
 *
 * How an applet (dnsfrag) drives it, all from its one event loop:
 *   set-up:     probe_zone_parse() the option, probe_new()
 *   per query:  after dns_parse() succeeded, probe_query(); PROBE_K_OUTSIDE
 *               means "not ours" (forward/builtin as before); otherwise send
 *               a->len octets of out (fragmented when a->fragment, whole
 *               otherwise), then probe_sent() with the fragment count; the
 *               query line's outcome is `answered`, or `refused` for
 *               PROBE_K_REFUSED.  on_verdict may run inside probe_query()
 *               (a follow-up; an eviction; probes it finds past their
 *               deadline, which it expires first).
 *   timers:     the epoll timeout includes probe_next_deadline(); after each
 *               wake-up, probe_expire(now) (on_verdict for each `lost`).
 *   stats/exit: probe_counters() for the summary and `stats` lines
 *               (verdicts {name: n}); probe_flush() before the summary.
 *   output:     on_verdict calls probe_put_verdict() once per output stream.
 * Time is the monotonic clock in microseconds (now_mono_us()).
 */
#ifndef V6_PROBE_H
#define V6_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"

#define PROBE_LABEL_MAX		46	/* 46 + '-' + 16 hex = 63 (RFC 1035 §2.3.4) */
#define PROBE_NONCE_HEX		16
#define PROBE_CLIENTS_MAX	4	/* distinct resolver addresses remembered per probe */
#define PROBE_SIZE_DEFAULT	1500
#define PROBE_TIMEOUT_DEFAULT_US 10000000ull
#define PROBE_MAX_DEFAULT	16384

/* What a query in (or outside) the zone is. */
enum probe_kind {
	PROBE_K_OUTSIDE = 0,	/* not in ZONE: not ours */
	PROBE_K_PROBE,		/* LABEL.ZONE */
	PROBE_K_FOLLOWUP,	/* LABEL-NONCE.ok.ZONE, NONCE verified */
	PROBE_K_BAD_NONCE,	/* LABEL-NONCE.ok.ZONE, NONCE not ours: NXDOMAIN */
	PROBE_K_APEX,		/* ZONE */
	PROBE_K_NS,		/* ns.ZONE */
	PROBE_K_OK,		/* ok.ZONE (empty non-terminal) */
	PROBE_K_NXDOMAIN,	/* any other name in the zone */
	PROBE_K_REFUSED,	/* a name we will not serve (see probe_refuse) */
	PROBE_K_NOTIMP,		/* opcode not QUERY */
	PROBE_K_BADVERS,	/* EDNS version above 0 */
	PROBE_K_N
};

enum probe_refuse {
	PROBE_R_LABEL_OCTETS = 0,	/* a label with octets other than LDH and '_' */
	PROBE_R_LABEL_LONG,		/* a probe label over PROBE_LABEL_MAX octets */
	PROBE_R_CLASS,			/* QCLASS not IN */
	PROBE_R_N
};

enum probe_result { PROBE_V_DELIVERED = 0, PROBE_V_LOST, PROBE_V_UNKNOWN, PROBE_V_N };
enum probe_end { PROBE_E_FOLLOWUP = 0, PROBE_E_TIMEOUT, PROBE_E_EVICT, PROBE_E_SHUTDOWN, PROBE_E_N };

const char *probe_kind_name(enum probe_kind k);		/* "probe", "followup", ... */
const char *probe_refuse_name(enum probe_refuse r);	/* "label_octets", ... */
const char *probe_result_name(enum probe_result r);	/* "delivered", "lost", "unknown" */
const char *probe_end_name(enum probe_end e);		/* "followup", "timeout", "evict", "shutdown" */

/* ZONE in wire form, lower case. */
struct probe_zone {
	uint8_t wire[DNS_NAME_MAX];
	uint16_t len;			/* wire octets, root label included */
	char text[DNS_NAME_TEXT];	/* "probe.example." */
};

/* Parse the --probe-zone argument ("probe.example" or "probe.example.").
 * Labels of letters, digits, '-' and '_', 1..63 octets, the whole name
 * within 255 wire octets, not the root.  False with why set otherwise. */
bool probe_zone_parse(const char *text, struct probe_zone *z, const char **why);

/* The stateless half, for the parser alone (and its fuzz harness). */
struct probe_name {
	enum probe_kind kind;
	enum probe_refuse refuse;	/* when kind == PROBE_K_REFUSED */
	uint8_t label[PROBE_LABEL_MAX];	/* probe LABEL, lower case (PROBE, FOLLOWUP, BAD_NONCE) */
	uint8_t label_len;
	uint8_t nonce[8];		/* FOLLOWUP, BAD_NONCE: the NONCE read */
	uint16_t zone_off;		/* offset of ZONE within q->qname */
};

/* Classify q's question against z.  Does not check the NONCE (kind is then
 * PROBE_K_FOLLOWUP for any well-formed one): probe_query() does. */
enum probe_kind probe_classify(const struct probe_zone *z, const struct dns_msg *q,
			       struct probe_name *n);

struct probe_verdict {
	char qname[DNS_NAME_TEXT];	/* "label.probe.example." (LABEL lower-cased, ZONE as configured) */
	uint8_t client[16];		/* first resolver that asked */
	uint32_t clients;		/* distinct resolvers (exact up to PROBE_CLIENTS_MAX) */
	bool clients_capped;		/* more distinct ones than that asked */
	uint32_t attempts;		/* times the probe name was asked */
	uint32_t fragments;		/* fragments of the last answer sent */
	const char *eh;			/* cfg.eh ("" when none) */
	bool followup;
	uint8_t followup_client[16];
	double followup_ms;		/* first ask -> follow-up */
	enum probe_result verdict;
	enum probe_end end;
};

struct probe_cfg {
	struct probe_zone zone;
	uint32_t size;			/* DNS octets of a probe answer (0 = 1500) */
	uint64_t timeout_us;		/* 0 = 10 s */
	uint32_t max_probes;		/* 0 = PROBE_MAX_DEFAULT */
	uint8_t addr[16];		/* AAAA of follow-ups and ns.ZONE */
	const char *eh;			/* copied into verdicts (kept by the caller) */
	void (*on_verdict)(void *ctx, const struct probe_verdict *v);
	void *ctx;
};

struct probe_counters {
	uint64_t queries;		/* queries in the zone, any kind */
	uint64_t kinds[PROBE_K_N];	/* by kind (OUTSIDE is never counted) */
	uint64_t probes;		/* probe names opened */
	uint64_t attempts;		/* probe answers built */
	uint64_t repeats;		/* asks of a probe whose verdict was already written */
	uint64_t followups_late;	/* valid NONCE but the probe was no longer open */
	uint64_t refused[PROBE_R_N];
	uint64_t no_edns;		/* probe answers padded with TXT (query without OPT) */
	uint64_t evicted;		/* open probes pushed out by a full table */
	uint64_t verdicts[PROBE_V_N];
	uint32_t open;			/* probes without a verdict now */
};

/* What probe_query() wrote and how to send it. */
struct probe_answer {
	enum probe_kind kind;
	size_t len;			/* DNS octets in out; 0 when cap was too small */
	unsigned rcode;
	bool fragment;			/* a probe answer: send as fragments; else whole */
	uint32_t slot, gen;		/* the probe, for probe_sent() */
};

struct probe_table;

/* NULL with err filled when the configuration is impossible. */
struct probe_table *probe_new(const struct probe_cfg *cfg, char err[128]);
void probe_free(struct probe_table *t);

/* Handle one parsed query from `client` (dns_parse() == DNS_OK).  Returns
 * PROBE_K_OUTSIDE (nothing written) for names outside the zone; else
 * writes the answer to out.  cap >= DNS_MSG_MAX always suffices. */
enum probe_kind probe_query(struct probe_table *t, const struct dns_msg *q,
			    const uint8_t client[16], uint64_t now_us,
			    uint8_t *out, size_t cap, struct probe_answer *a);

/* The applet sent a probe answer in `fragments` fragments (0: it failed). */
void probe_sent(struct probe_table *t, const struct probe_answer *a, unsigned fragments);

/* Earliest deadline of a probe still in the table, UINT64_MAX when none. */
uint64_t probe_next_deadline(const struct probe_table *t);
/* End every probe whose deadline passed (`lost` for open ones); returns
 * how many verdicts were written. */
size_t probe_expire(struct probe_table *t, uint64_t now_us);
/* End every open probe (`unknown`, end `shutdown`) and empty the table. */
void probe_flush(struct probe_table *t);

const struct probe_counters *probe_counters(const struct probe_table *t);

/* The `verdict` record through core/emit (text and JSON from one call
 * list): ts, qname, client, clients, attempts, fragments, eh, followup,
 * followup_client, followup_ms, verdict, end. */
void probe_put_verdict(const struct probe_verdict *v, uint64_t wall_us);

#endif
