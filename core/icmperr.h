/* icmperr.h - ICMPv6 errors about packets the front ends sent: Destination
 * Unreachable, Packet Too Big, Time Exceeded and Parameter Problem (RFC 4443
 * §3; RFC 8200 §4.5 reassembly timeout; RFC 7112 incomplete header chain;
 * RFC 8883 extension-header limits) matched against a bounded table of
 * recent fragmented sends, so each error is attributed to a client and a
 * fragment ID -- or counted as unmatched (unrelated, stale or forged).
 *
 * The quoted packet (the invoking packet, as much as fits in 1280 octets)
 * is read by the one parser (core/pkt) as an IPv6 datagram: its addresses,
 * its extension-header chain up to the Fragment header (frag ID, offset,
 * next header) and, when the quote holds a first fragment's transport
 * header, its ports.  A quote of a non-first fragment has no ports: it
 * matches by source, destination and frag ID alone.  A match needs
 *   quoted destination + frag ID   = a recent send's client + frag ID, and
 *   quoted source                  = that send's source address, and
 *   quoted Fragment next header    = its transport protocol, and
 *   quoted ports, when present     = its ports;
 * a known (client, frag ID) that disagrees on the rest is a mismatch (a
 * forgery or a collision), one that is older than max_age_us is unknown.
 *
 * A quote without a Fragment header -- a packet sent whole (--no-fragment),
 * or the datagram the receiver reassembled from our fragments, which is what
 * Linux quotes in a Parameter Problem about a Destination Options option --
 * matches the newest recent send with the quoted destination, transport
 * protocol and ports, and then must have its source (else mismatch); the
 * report carries that send's frag ID when it was fragmented (has_frag).
 * TCP sends noted with their sequence number (has_seq) are keyed on it as
 * well: a quote matches the segment with its sequence number, so a
 * segment that was not noted (sent whole by httpfrag) matches nothing.
 * With no ports in the quote, or no such send, it is counted unfragmented.
 *
 * The table is a ring of `max_sends` entries (the oldest overwritten),
 * hashed on (client, frag ID) and on (client, protocol, ports[, TCP seq]) with a keyed
 * SipHash; a re-send with the same key replaces the older entry in that
 * chain (fixed frag-ID policies and long connections stay O(1)).
 *
 * Who calls what (dnsfrag, httpfrag, from their one event loop):
 *   set-up:     icmperr_new(); open a raw ICMPv6 socket with ICMP6_FILTER
 *               passing types 1-4 (the kernel verifies the checksum; errors
 *               about --tx link frames come back to the host stack too),
 *               or add icmp6 to an existing capture filter.
 *   per send:   after fragtx_send(), icmperr_note_send() with the
 *               datagram's addresses, ports, protocol, frag ID (frag_out.id;
 *               or `whole` when it left unfragmented) and a tag of the
 *               applet's (a probe slot, a binding's NAT port).
 *   per error:  raw socket: icmperr_input(from = recvmsg source, the
 *               message); capture: icmperr_input_pkt(parsed frame), which
 *               also checks the ICMPv6 checksum.  ICMPERR_MATCHED: emit an
 *               `icmp` line with icmperr_put() (from, icmp_type, icmp_code,
 *               mtu or pointer, client, frag_id); anything else is counted.
 *   summary:    icmperr_counters(): errors by type name (`icmp_errors`) and
 *               unmatched by reason.
 */
#ifndef V6_ICMPERR_H
#define V6_ICMPERR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define ICMPERR_SENDS_DEFAULT	4096
#define ICMPERR_AGE_DEFAULT_US	120000000ull	/* twice the 60 s reassembly timeout */

enum icmperr_result {
	ICMPERR_MATCHED = 0,
	ICMPERR_NOT_ERROR,	/* not ICMPv6, or not one of the four error types */
	ICMPERR_TRUNCATED,	/* message or quote too short to hold the quoted IPv6 + Fragment header */
	ICMPERR_BAD_CHECKSUM,	/* captured message whose checksum fails (icmperr_input_pkt) */
	ICMPERR_UNFRAGMENTED,	/* quotes a packet without a Fragment header that matches no send */
	ICMPERR_UNKNOWN,	/* no recent send to that client with that frag ID */
	ICMPERR_MISMATCH,	/* known (client, frag ID) but source, protocol or ports disagree */
	ICMPERR_R_N
};

/* The four error types, as indexes of the counters. */
enum icmperr_type { ICMPERR_T_UNREACH = 0, ICMPERR_T_TOO_BIG, ICMPERR_T_TIME, ICMPERR_T_PARAM, ICMPERR_T_N };

const char *icmperr_result_name(enum icmperr_result r);	/* "matched", "unknown", ... */
/* "destination_unreachable", "packet_too_big", "time_exceeded",
 * "parameter_problem" for types 1-4, NULL otherwise. */
const char *icmperr_type_name(uint8_t type);
/* "admin_prohibited", "reassembly_time_exceeded", ... or NULL when unnamed. */
const char *icmperr_code_name(uint8_t type, uint8_t code);

/* One fragmented datagram the applet sent. */
struct icmperr_send {
	uint8_t src[16];	/* our source address */
	uint8_t client[16];	/* its destination */
	uint32_t frag_id;
	uint8_t proto;		/* transport protocol (17 UDP, 6 TCP) */
	uint16_t sport, dport;	/* its ports as sent (ours, the client's) */
	uint64_t tag;		/* the applet's own reference, returned on a match */
	bool whole;		/* sent as one packet, no Fragment header: frag_id unused */
	bool has_seq;		/* TCP: seq is the segment's sequence number */
	uint32_t seq;
};

struct icmperr_report {
	enum icmperr_result result;
	uint8_t from[16];	/* the node that sent the error */
	uint8_t type, code;
	bool has_mtu;		/* Packet Too Big */
	uint32_t mtu;
	bool has_pointer;	/* Parameter Problem */
	uint32_t pointer;
	/* from the quote (set from `unfragmented` on) */
	uint8_t quoted_src[16], client[16];
	bool has_frag;		/* frag_id is set: quoted, or the matched send's */
	uint32_t frag_id;
	uint32_t frag_off;	/* octets; 0 = the quote is of a first fragment */
	bool quote_whole;	/* matched a quote without a Fragment header */
	bool ports_seen;	/* the quote held the transport ports */
	/* from the matching send */
	uint64_t tag;
	uint64_t sent_us;
};

struct icmperr_counters {
	uint64_t messages;			/* handed in */
	uint64_t errors[ICMPERR_T_N];		/* matched, by type */
	uint64_t results[ICMPERR_R_N];		/* by result (matched included) */
	uint64_t sends;				/* icmperr_note_send() calls */
};

struct icmperr;

/* max_sends 0 = ICMPERR_SENDS_DEFAULT, max_age_us 0 = ICMPERR_AGE_DEFAULT_US. */
struct icmperr *icmperr_new(uint32_t max_sends, uint64_t max_age_us);
void icmperr_free(struct icmperr *t);

void icmperr_note_send(struct icmperr *t, const struct icmperr_send *s, uint64_t now_us);

/* An ICMPv6 message (from its type octet on) received from `from`. */
enum icmperr_result icmperr_input(struct icmperr *t, const uint8_t from[16], const uint8_t *msg,
				  size_t len, uint64_t now_us, struct icmperr_report *r);
/* A captured frame parsed by pkt_parse(): its innermost IP layer must carry
 * ICMPv6; the checksum is verified when the whole message was captured. */
enum icmperr_result icmperr_input_pkt(struct icmperr *t, const struct pkt *p, uint64_t now_us,
				      struct icmperr_report *r);

const struct icmperr_counters *icmperr_counters(const struct icmperr *t);

/* The `icmp` record through core/emit: ts, from, icmp_type, icmp_type_name,
 * icmp_code, icmp_code_name, mtu or pointer (where they apply), client,
 * frag_id (JSON null: sent whole), frag_off (JSON null: the quote held no
 * Fragment header); the text line leaves out what is null. */
void icmperr_put(const struct icmperr_report *r, uint64_t wall_us);

#endif
