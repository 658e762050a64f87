/* pkt.h - the one packet parser: link layer (Ethernet + 802.1Q/802.1ad, Linux
 * SLL/SLL2, raw), IPv4 with options, IPv6 with its whole extension-header chain
 * (RFC 8200), IP-in-IP tunnels (6in4 RFC 4213, 4in6/6in6 RFC 2473), and the
 * TCP/UDP/ICMPv4/ICMPv6 header.  Results are data: offsets, lengths, fields
 * and verdicts.  Nothing is copied; offsets index the caller's buffer.
 *
 * "truncated" = the capture ended before the packet's own lengths say it
 * should; "invalid" = the packet's lengths or fields contradict each other
 * or an RFC rule that makes it unparseable beyond that point.
 */
#ifndef V6_PKT_H
#define V6_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"

/* pcap link types the core parses (values from pcap/dlt.h). */
#define V6_DLT_NULL	0
#define V6_DLT_EN10MB	1
#define V6_DLT_RAW	12	/* also 101 on some systems: LINKTYPE_RAW */
#define V6_LINKTYPE_RAW	101
#define V6_DLT_LOOP	108
#define V6_DLT_LINUX_SLL 113
#define V6_DLT_IPV4	228
#define V6_DLT_IPV6	229
#define V6_DLT_LINUX_SLL2 276

#define PKT_MAX_IP	4	/* IP layers followed through tunnels */
#define PKT_MAX_EXT	12	/* IPv6 extension headers recorded per IP layer */
#define PKT_MAX_VLAN	4
#define PKT_MAX_NOTES	4

enum pkt_verdict {
	PKT_OK = 0,
	PKT_TRUNCATED,		/* capture shorter than the packet's own lengths */
	PKT_INVALID,		/* self-contradictory lengths/fields */
	PKT_UNSUPPORTED,	/* link type or protocol we do not parse (not an error) */
};

/* One IPv6 extension header as found in the chain. */
struct pkt_ext {
	uint8_t type;		/* the header's own protocol number: 0, 43, 44, 51, 60, ... */
	uint8_t next;		/* its Next Header field */
	uint32_t off;		/* offset in the packet */
	uint32_t len;		/* octets */
};

/* One IP layer (outermost first). */
struct pkt_ip {
	uint8_t version;	/* 4 or 6 */
	uint32_t off;		/* offset of the IP header */
	uint32_t hlen;		/* IPv4: IHL*4; IPv6: 40 */
	uint32_t tot_len;	/* declared length: IPv4 total length, IPv6 40 + payload length */
	uint32_t avail;		/* octets of this datagram present: min(tot_len, window) */
	uint8_t src[16];	/* IPv4 addresses use the first 4 octets */
	uint8_t dst[16];
	uint8_t final_dst[16];	/* IPv6: pseudo-header destination (Routing header aware) */
	uint8_t ttl;		/* TTL / hop limit */
	uint8_t tclass;		/* IPv4 TOS / IPv6 traffic class */
	uint32_t flow;		/* IPv6 flow label */
	uint16_t v4_id;
	uint16_t v4_csum;	/* stored IPv4 header checksum */
	uint8_t proto;		/* upper-layer protocol (after the chain); 59 none, 50 ESP */
	uint32_t ul_off;	/* offset of the upper-layer header */
	uint32_t ul_len;	/* declared upper-layer octets in this packet: tot_len - (ul_off - off) */
	/* fragmentation (IPv4 MF/offset, IPv6 Fragment header) */
	bool frag;		/* a fragment (IPv6: Fragment header present, even atomic) */
	bool frag_atomic;	/* IPv6 Fragment header with offset 0 and M clear (RFC 6946) */
	bool mf;		/* more fragments */
	bool df;		/* IPv4 DF */
	uint32_t frag_off;	/* octets */
	uint32_t frag_id;	/* IPv6 32-bit identification; IPv4 16-bit */
	uint32_t frag_hdr_off;	/* IPv6: offset of the Fragment header (0 = none) */
	uint8_t frag_nh;	/* IPv6: Next Header inside the Fragment header */
	uint32_t unfrag_len;	/* IPv6: octets before the Fragment header, from `off` */
	bool chain_incomplete;	/* IPv6 first fragment lacks the whole header chain (RFC 7112) */
	uint32_t rthdr_off;	/* IPv6: offset of the Routing header (0 = none) */
	struct pkt_ext ext[PKT_MAX_EXT];
	uint8_t n_ext;
	enum pkt_verdict verdict;
	const char *why;	/* static string when verdict != OK */
};

struct pkt {
	int dlt;
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;

	/* link layer */
	uint32_t l2_len;		/* octets before the first network header */
	bool has_eth;
	uint8_t eth_dst[6], eth_src[6];
	uint16_t ethertype;		/* after VLAN tags / from SLL */
	uint16_t vlan[PKT_MAX_VLAN];	/* TCI of each tag, outermost first */
	uint8_t n_vlan;
	bool has_sll;
	uint16_t sll_pkttype;
	uint16_t sll_halen;
	uint8_t sll_addr[8];		/* link-layer source address from SLL/SLL2 */

	/* network layers, outermost first */
	struct pkt_ip ip[PKT_MAX_IP];
	uint8_t n_ip;

	/* upper layer of the innermost IP layer (when it starts in this packet) */
	uint8_t l4;			/* IPPROTO_TCP/UDP/ICMP/ICMPV6, 0 = not parsed */
	uint32_t l4_off;
	uint32_t l4_hlen;		/* TCP data offset*4, UDP 8, ICMP 8 (4 minimum) */
	uint16_t sport, dport;		/* TCP/UDP */
	uint32_t tcp_seq, tcp_ack;
	uint8_t tcp_flags;
	uint16_t tcp_win;
	uint16_t udp_len;
	uint8_t icmp_type, icmp_code;
	uint16_t l4_csum;		/* stored transport checksum */
	uint32_t csum_off;		/* offset of the transport checksum field, 0 = none */

	/* overall verdict: the first problem found, at its offset */
	enum pkt_verdict verdict;
	const char *why;
	uint32_t why_off;
	/* RFC rules broken that did not stop parsing (e.g. extension header order) */
	const char *notes[PKT_MAX_NOTES];
	uint8_t n_notes;
};

/* Parse one captured frame of link type `dlt`.  Always fills what it could;
 * returns p->verdict.  Never reads outside [data, data+caplen). */
enum pkt_verdict pkt_parse(struct pkt *p, int dlt, const uint8_t *data,
			   uint32_t caplen, uint32_t wirelen);

/* Innermost IP layer or NULL. */
static inline const struct pkt_ip *pkt_inner(const struct pkt *p)
{
	return p->n_ip ? &p->ip[p->n_ip - 1] : (const struct pkt_ip *)0;
}

/* Walk an IPv6 extension chain starting at `c` (positioned after the fixed
 * header) with first Next Header `nh`, filling ip->ext/proto/ul_off/frag*.
 * Exposed for the fragmenter, which must find the unfragmentable part. */
enum pkt_verdict pkt_ip6_chain(struct pkt *p, struct pkt_ip *ip, struct cur *c, uint8_t nh);

/* Is `nh` an IPv6 extension header (walked as part of the chain)? */
bool pkt_is_ext6(uint8_t nh);

/* Is `a` an IPv6 link-local unicast address (fe80::/10, RFC 4291 §2.5.6)? */
static inline bool pkt_ip6_is_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* Text of a verdict: "ok", "truncated", "invalid", "unsupported". */
const char *pkt_verdict_name(enum pkt_verdict v);

#endif
