/* pktsum.h - verify and fix every Internet checksum of a parsed packet: the
 * IPv4 header checksum of each IPv4 layer (RFC 791) and the transport
 * checksum of the innermost layer through tunnels: TCP (RFC 9293), UDP
 * (RFC 768; zero = none over IPv4, invalid over IPv6 per RFC 8200 §8.1),
 * ICMP (RFC 792), ICMPv6 (RFC 4443), with the IPv6 pseudo-header using the
 * Routing header's final destination.
 *
 * Used by the checksum applet, pcap-replay --fix-checksums and 6in4-relay.
 * Verification reads through core/cursor.h; fixing writes through a wcur
 * over the same frame.  No allocation: a result lives on the caller's stack.
 */
#ifndef V6_PKTSUM_H
#define V6_PKTSUM_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "pkt.h"

enum pktsum_layer {
	PKTSUM_IPV4,
	PKTSUM_TCP,
	PKTSUM_UDP,
	PKTSUM_ICMP,
	PKTSUM_ICMPV6,
	PKTSUM_N_LAYERS
};

enum pktsum_status {
	PKTSUM_GOOD,
	PKTSUM_BAD,
	PKTSUM_NONE,		/* UDP over IPv4 with checksum 0: sender computed none */
};

/* Why the transport checksum of a packet was not checked (counted skips). */
enum pktsum_skip {
	PKTSUM_SKIP_NONE,
	PKTSUM_SKIP_TRUNCATED,	/* the capture holds less than the segment */
	PKTSUM_SKIP_INVALID,	/* the packet's own lengths contradict each other */
	PKTSUM_SKIP_UNSUPPORTED,/* not IP, unknown link type, jumbogram */
	PKTSUM_SKIP_FRAGMENT,	/* a fragment: verify after reassembly (see frag_ip) */
	PKTSUM_N_SKIPS
};

/* One checksum found in a packet. */
struct pktsum_check {
	uint8_t layer;		/* enum pktsum_layer */
	uint8_t status;		/* enum pktsum_status */
	uint8_t ip_index;	/* the IP layer it belongs to (pkt.ip[]) */
	uint16_t stored;	/* value in the packet */
	uint16_t computed;	/* value that belongs there (UDP: a computed 0 is 0xffff) */
	uint32_t field_off;	/* offset of the 16-bit field in the frame */
};

struct pktsum_result {
	struct pktsum_check c[PKT_MAX_IP + 1];
	uint8_t n;		/* checks filled, outermost first */
	uint8_t n_bad;
	uint8_t skip;		/* enum pktsum_skip: transport not checked, and why */
	int8_t frag_ip;		/* index of the fragmented IP layer to reassemble, -1 none */
};

/* Flags for pktsum_verify(). */
enum {
	/* Do not check ip[0]'s IPv4 header: it was rebuilt by the reassembler
	 * (each fragment's own header was checked as it arrived). */
	PKTSUM_SKIP_OUTER_IP4 = 1u << 0,
	/* Skip the transport checksum (only IPv4 headers). */
	PKTSUM_NO_TRANSPORT = 1u << 1,
};

/* Verify every checksum of a parsed frame.  Never reads outside the frame. */
void pktsum_verify(const struct pkt *p, unsigned flags, struct pktsum_result *r);

/* Write c->computed into the frame under `w` (a wcur over the same bytes the
 * pkt was parsed from).  Returns false when the field is outside `w`. */
bool pktsum_fix(struct wcur *w, const struct pktsum_check *c);
/* Fix every bad check of r; returns how many were written.  The checks are
 * independent (no checksum covers another one's field), so order is free. */
unsigned pktsum_fix_all(struct wcur *w, const struct pktsum_result *r);

/* Fragments: where in this fragment's frame is octet `data_off` of the
 * fragmentable part of its datagram (offset 0 = the first octet after the
 * unfragmentable part)?  True, with *frame_off, when this fragment holds the
 * `len` octets there.  `ip` is the fragmented layer of the parsed fragment. */
bool pktsum_frag_locate(const struct pkt_ip *ip, uint32_t data_off, uint32_t len,
			uint32_t *frame_off);
/* Octets before the fragmentable part (from the IP header start) in the
 * reassembled datagram built from a fragment whose offset is 0: IPv4 the
 * header length, IPv6 the unfragmentable part. */
uint32_t pktsum_unfrag_len(const struct pkt_ip *ip);

const char *pktsum_layer_name(unsigned layer);	/* "ipv4", "tcp", "udp", "icmp", "icmpv6" */
const char *pktsum_status_name(unsigned status);	/* "good", "bad", "none" */
const char *pktsum_skip_name(unsigned skip);	/* "truncated", "invalid", "unsupported", "fragment" */

#endif
