/* build.h - packet builders over struct wcur: Ethernet II with optional
 * 802.1Q tag (IEEE 802.3/802.1Q), IPv6 (RFC 8200), IPv4 (RFC 791), UDP
 * (RFC 768), TCP (RFC 9293), ICMPv6 echo (RFC 4443), and the transport
 * checksum over the IPv4/IPv6 pseudo-header (RFC 768, 9293, 4443, 8200 §8.1).
 *
 * Each builder appends one header at the writer's position and returns
 * false when it did not fit (the writer's sticky overflow flag is then set,
 * so a chain of builders can be checked once).  Length fields that depend
 * on what follows are patched by build_ip_finish() once the payload is in;
 * checksums last, by build_l4_checksum().
 */
#ifndef V6_BUILD_H
#define V6_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define BUILD_ETH_LEN	14
#define BUILD_VLAN_LEN	4
#define BUILD_IP6_LEN	40
#define BUILD_IP4_LEN	20
#define BUILD_UDP_LEN	8
#define BUILD_TCP_LEN	20
#define BUILD_ICMP6_ECHO_LEN 8

#define BUILD_NO_VLAN	(-1)

/* TCP flag bits (RFC 9293 §3.1). */
enum {
	TCPF_FIN = 0x01, TCPF_SYN = 0x02, TCPF_RST = 0x04, TCPF_PSH = 0x08,
	TCPF_ACK = 0x10, TCPF_URG = 0x20, TCPF_ECE = 0x40, TCPF_CWR = 0x80,
};

struct build_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;		/* TCPF_* */
	uint16_t win, urg;
	const uint8_t *opts;	/* raw option bytes, padded with EOL to 4 octets */
	size_t optlen;		/* at most 40 */
};

/* Ethernet II; vlan_tci >= 0 inserts one 802.1Q tag (TPID 0x8100). */
bool build_eth(struct wcur *w, const uint8_t dst[6], const uint8_t src[6],
	       int vlan_tci, uint16_t ethertype);

/* IPv6 fixed header; payload_len may be 0 and patched by build_ip_finish(). */
bool build_ip6(struct wcur *w, const uint8_t src[16], const uint8_t dst[16], uint8_t next_header,
	       uint8_t hop_limit, uint8_t tclass, uint32_t flow, uint16_t payload_len);

/* IPv4 header without options; total length and header checksum are
 * (re)computed by build_ip_finish(). */
bool build_ip4(struct wcur *w, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
	       uint8_t ttl, uint8_t tos, uint16_t id, bool dont_fragment);

/* UDP header + payload (length field set, checksum 0). */
bool build_udp(struct wcur *w, uint16_t sport, uint16_t dport, const void *payload, size_t len);

/* TCP header with options + payload (checksum 0). */
bool build_tcp(struct wcur *w, const struct build_tcp *t, const void *payload, size_t len);

/* ICMPv6 Echo Request (128) or Reply (129) + data (checksum 0). */
bool build_icmp6_echo(struct wcur *w, uint8_t type, uint16_t id, uint16_t seq,
		      const void *data, size_t len);

/* Set the length fields of the IP header at ip_off from what has been
 * written after it (IPv6 payload length; IPv4 total length and header
 * checksum).  False if the header is not there or the length overflows. */
bool build_ip_finish(struct wcur *w, size_t ip_off);

/* Fill the UDP/TCP/ICMPv6 (or ICMPv4) checksum of the IP packet at ip_off,
 * whose length fields must be final.  IPv6 Hop-by-Hop and Destination
 * The upper layer is found by the core parser (any extension chain; with a
 * Routing header the pseudo-header uses the final destination); fragments
 * are refused (checksum the whole datagram before fragmenting).  A UDP
 * checksum that computes to 0 is stored as 0xffff (RFC 768, RFC 8200 §8.1). */
bool build_l4_checksum(struct wcur *w, size_t ip_off);

/* Whole IPv6/UDP packet (no link header) with checksum: returns its length,
 * or 0 when it does not fit in cap. */
size_t build_udp6(void *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
		  uint16_t sport, uint16_t dport, const void *payload, size_t len);

#endif
