/* tcpfront.h - the packet engine of httpfrag: an IPv6 TCP NAT between clients
 * and a back end that re-cuts the back end's segments and sends each one
 * larger than `tail` as exactly two application-made fragments (RFC 9293,
 * RFC 8200 §4.5 and §8.1, RFC 1624 incremental checksums, RFC 6146 binding
 * model; RFC 7323 options copied to every piece).
 *
 * Frames come in from either leg (client side, back-end side) as captured;
 * frames to send leave through the `send` callback with the leg to use.  The
 * engine never reads a socket, never exits, and counts every packet it does
 * not forward under a drop reason.  Sequence numbers are never translated:
 * re-cut pieces cover exactly the octets of the original segment, so the
 * client's ACKs and SACK blocks mean the same to the back end.
 */
#ifndef V6_TCPFRONT_H
#define V6_TCPFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acktrack.h"
#include "icmperr.h"
#include "nat.h"

enum tf_leg { TF_LEG_CLIENT = 0, TF_LEG_BACKEND = 1 };

enum tf_drop {
	TF_DROP_MALFORMED,	/* not a parseable IPv6/TCP packet */
	TF_DROP_TRUNCATED,	/* capture shorter than the packet */
	TF_DROP_FRAGMENT,	/* arrived fragmented: we do not reassemble */
	TF_DROP_NOT_OURS,	/* addresses or ports are not the ones we serve */
	TF_DROP_NO_BINDING,	/* no binding and not a SYN (or a back-end reply to none) */
	TF_DROP_BAD_CHECKSUM,	/* a back-end segment to re-cut failed its checksum */
	TF_DROP_TOO_BIG,	/* cannot be rebuilt in a 65535-octet IPv6 packet */
	TF_DROP_FRAG_REFUSED,	/* the fragmenter refused a plan (should not happen) */
	TF_DROP_SEND_FAILED,	/* the link refused the frame */
	TF_DROP_N
};

const char *tf_drop_name(enum tf_drop d);

enum tf_event { TF_EV_OPEN, TF_EV_CLOSE, TF_EV_EVICT };

struct tf_config {
	uint8_t listen[16];		/* the front end's address clients connect to */
	const uint8_t *ports;		/* service ports: a parse_ports() set (kept by caller) */
	uint8_t backend[16];
	uint16_t backend_port;		/* 0: the port the client connected to */
	uint8_t nat_src[16];		/* our address on the back-end leg */
	uint8_t client_if_mac[6];	/* our MAC on the client leg */
	uint8_t backend_if_mac[6];	/* our MAC on the back-end leg */
	uint8_t backend_nh_mac[6];	/* next hop toward the back end */
	int client_dlt, backend_dlt;	/* link types of the captures */
	uint32_t mss, tail;		/* 64..65000; 8..mss-8 */
	bool clamp_mss;			/* lower the MSS in client SYNs (tcpseg_clamp_mss) */
	bool backend_csum_partial;	/* back-end leg is loopback: its checksums are not filled in */
	uint8_t hop_limit;		/* of the packets we build (0 = 64) */
	int frag_id_policy;		/* FRAG_ID_* (random, sequential, fixed) */
	uint32_t frag_fixed_id;
	struct nat_config nat;		/* on_end/ctx are the engine's: leave them NULL */
	/* measurement verdicts (SPEC §3): per binding, core/acktrack follows
	 * the fragmented octets and the client's ACK/SACK; every fragmented
	 * datagram is noted in `icmp` (when set) for core/icmperr matching */
	bool no_tracking;		/* true: no ACK tracking (benchmarks) */
	struct icmperr *icmp;		/* kept by the caller; NULL: sends not noted */
	/* callbacks */
	int (*send)(void *ctx, enum tf_leg leg, const uint8_t *frame, size_t len);
	void (*on_binding)(void *ctx, const struct nat_binding *b, enum tf_event ev,
			   enum nat_end why);
	void *ctx;
};

struct tf_counters {
	uint64_t from_client, from_backend;	/* frames handed in */
	uint64_t to_backend, to_client;		/* frames sent */
	uint64_t segments;			/* TCP segments sent to clients */
	uint64_t fragments;			/* fragments sent to clients */
	uint64_t recut;				/* back-end segments that were re-cut */
	uint64_t whole;				/* segments sent to clients unfragmented */
	uint64_t clamped;			/* SYN MSS options lowered */
	uint64_t bindings_total, evicted;
	uint64_t backend_mac_mismatch;		/* back-end frames from another MAC than we send to */
	uint64_t dropped[TF_DROP_N];
	/* of ended bindings (tracking on): verdicts, and ACK input ignored */
	uint64_t verdicts[ACKT_V_N];
	uint64_t acks_out_of_window, acks_stale, sack_invalid, segs_out_of_window;
};

struct tf;

/* NULL with err filled when the configuration is impossible. */
struct tf *tf_new(const struct tf_config *cfg, char err[128]);
void tf_free(struct tf *t);

/* One captured frame from a leg.  Never fails: a frame that is not forwarded
 * is counted under a drop reason. */
void tf_input(struct tf *t, enum tf_leg leg, const uint8_t *frame, uint32_t caplen,
	      uint32_t wirelen, uint64_t now_us);

/* Idle timeouts and linger; call about once a second. */
void tf_expire(struct tf *t, uint64_t now_us);
/* End every binding (at exit). */
void tf_flush(struct tf *t);

const struct tf_counters *tf_counters(const struct tf *t);

/* The back end's next hop has a new MAC (learnt from the neighbour table). */
void tf_set_backend_mac(struct tf *t, const uint8_t mac[6]);
uint32_t tf_bindings_open(const struct tf *t);

/* The binding's ACK tracker (frag_segments, frag_bytes, frag_bytes_acked,
 * retransmitted, verdict), valid inside on_binding; NULL with no_tracking. */
const struct acktrack *tf_binding_ack(const struct tf *t, const struct nat_binding *b);

/* A matched ICMPv6 error (core/icmperr) about a fragment noted with tag
 * `tag` (the NAT port) for `client` at sent_us: counted on that binding
 * when it is still the one that sent it.  tf_binding_icmp(): the count. */
void tf_icmp_error(struct tf *t, uint64_t tag, const uint8_t client[16], uint64_t sent_us);
uint32_t tf_binding_icmp(const struct tf *t, const struct nat_binding *b);

#endif
