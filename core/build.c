/* build.c - Ethernet/802.1Q, IPv6 (RFC 8200), IPv4 (RFC 791), UDP (RFC 768),
 * TCP (RFC 9293), ICMPv6 echo (RFC 4443) builders and transport checksums
 * over the pseudo-header (RFC 8200 §8.1), all through struct wcur. */
#include "build.h"
#include "pkt.h"
#include "csum.h"

bool build_eth(struct wcur *w, const uint8_t dst[6], const uint8_t src[6],
	       int vlan_tci, uint16_t ethertype)
{
	wcur_bytes(w, dst, 6);
	wcur_bytes(w, src, 6);
	if (vlan_tci >= 0) {
		wcur_be16(w, 0x8100);
		wcur_be16(w, (uint16_t)(vlan_tci & 0xffff));
	}
	return wcur_be16(w, ethertype);
}

bool build_ip6(struct wcur *w, const uint8_t src[16], const uint8_t dst[16], uint8_t next_header,
	       uint8_t hop_limit, uint8_t tclass, uint32_t flow, uint16_t payload_len)
{
	wcur_be32(w, 6u << 28 | (uint32_t)tclass << 20 | (flow & 0xfffff));
	wcur_be16(w, payload_len);
	wcur_u8(w, next_header);
	wcur_u8(w, hop_limit);
	wcur_bytes(w, src, 16);
	return wcur_bytes(w, dst, 16);
}

bool build_ip4(struct wcur *w, const uint8_t src[4], const uint8_t dst[4], uint8_t proto,
	       uint8_t ttl, uint8_t tos, uint16_t id, bool dont_fragment)
{
	wcur_u8(w, 0x45);
	wcur_u8(w, tos);
	wcur_be16(w, BUILD_IP4_LEN);	/* total length: build_ip_finish() */
	wcur_be16(w, id);
	wcur_be16(w, dont_fragment ? 0x4000 : 0);
	wcur_u8(w, ttl);
	wcur_u8(w, proto);
	wcur_be16(w, 0);		/* header checksum: build_ip_finish() */
	wcur_bytes(w, src, 4);
	return wcur_bytes(w, dst, 4);
}

bool build_udp(struct wcur *w, uint16_t sport, uint16_t dport, const void *payload, size_t len)
{
	if (len > 0xffff - BUILD_UDP_LEN) {
		w->overflow = true;
		return false;
	}
	wcur_be16(w, sport);
	wcur_be16(w, dport);
	wcur_be16(w, (uint16_t)(BUILD_UDP_LEN + len));
	wcur_be16(w, 0);
	return wcur_bytes(w, payload, len);
}

bool build_tcp(struct wcur *w, const struct build_tcp *t, const void *payload, size_t len)
{
	size_t optpad = (t->optlen + 3) & ~(size_t)3;

	if (optpad > 40) {
		w->overflow = true;
		return false;
	}
	wcur_be16(w, t->sport);
	wcur_be16(w, t->dport);
	wcur_be32(w, t->seq);
	wcur_be32(w, t->ack);
	wcur_u8(w, (uint8_t)(((BUILD_TCP_LEN + optpad) / 4) << 4));
	wcur_u8(w, t->flags);
	wcur_be16(w, t->win);
	wcur_be16(w, 0);
	wcur_be16(w, t->urg);
	wcur_bytes(w, t->opts, t->optlen);
	wcur_zero(w, optpad - t->optlen);	/* EOL padding (RFC 9293 §3.2) */
	return wcur_bytes(w, payload, len);
}

bool build_icmp6_echo(struct wcur *w, uint8_t type, uint16_t id, uint16_t seq,
		      const void *data, size_t len)
{
	wcur_u8(w, type);
	wcur_u8(w, 0);
	wcur_be16(w, 0);
	wcur_be16(w, id);
	wcur_be16(w, seq);
	return wcur_bytes(w, data, len);
}

bool build_ip_finish(struct wcur *w, size_t ip_off)
{
	struct cur c;
	size_t total;
	uint8_t vhl;

	if (w->overflow || ip_off > wcur_off(w))
		return false;
	total = wcur_off(w) - ip_off;
	cur_init(&c, w->base + ip_off, total);
	if (!cur_peek_u8(&c, 0, &vhl))
		return false;
	if (vhl >> 4 == 6) {
		if (total < BUILD_IP6_LEN || total - BUILD_IP6_LEN > 0xffff)
			return false;
		return wcur_set_be16(w, ip_off + 4, (uint16_t)(total - BUILD_IP6_LEN));
	}
	if (vhl >> 4 == 4) {
		size_t hlen = (size_t)(vhl & 15) * 4;
		const uint8_t *hdr;

		if (hlen < BUILD_IP4_LEN || total < hlen || total > 0xffff)
			return false;
		wcur_set_be16(w, ip_off + 2, (uint16_t)total);
		wcur_set_be16(w, ip_off + 10, 0);
		hdr = cur_take(&c, hlen);
		return hdr && wcur_set_be16(w, ip_off + 10, csum_buf(hdr, hlen));
	}
	return false;
}

/* Where the transport checksum field lies in its header, or -1. */
static int l4_csum_field(uint8_t proto)
{
	switch (proto) {
	case 17: return 6;	/* UDP */
	case 6: return 16;	/* TCP */
	case 58: return 2;	/* ICMPv6 */
	case 1: return 2;	/* ICMPv4 (no pseudo-header) */
	default: return -1;
	}
}

bool build_l4_checksum(struct wcur *w, size_t ip_off)
{
	const struct pkt_ip *ip;
	struct cur all, ipc, l4c;
	const uint8_t *l4;
	struct pkt p;
	uint32_t sum;
	size_t len;
	uint16_t v;
	int field;

	if (w->overflow || ip_off > wcur_off(w))
		return false;
	/* The one parser finds the upper layer and, through a Routing header,
	 * the final destination for the pseudo-header (RFC 8200 §8.1). */
	len = wcur_off(w) - ip_off;
	cur_init(&all, w->base, wcur_off(w));
	cur_window(&all, ip_off, len, &ipc);
	if (pkt_parse(&p, V6_DLT_RAW, cur_take(&ipc, len), (uint32_t)len, (uint32_t)len) != PKT_OK ||
	    p.n_ip != 1)
		return false;
	ip = &p.ip[0];
	/* A fragment's transport header is split: checksum before fragmenting. */
	if (ip->frag)
		return false;
	field = l4_csum_field(ip->proto);
	if (field < 0 || (ip->version == 6 && ip->proto == 1) || (ip->version == 4 && ip->proto == 58))
		return false;
	if (ip->ul_len < (size_t)field + 2)
		return false;
	if (ip->version == 6)
		sum = csum_pseudo6(ip->src, ip->final_dst, ip->proto, ip->ul_len);
	else
		sum = ip->proto == 1 ? 0 : csum_pseudo4(ip->src, ip->dst, ip->proto, ip->ul_len);
	if (!wcur_set_be16(w, ip_off + ip->ul_off + (size_t)field, 0))
		return false;
	cur_window(&all, ip_off + ip->ul_off, ip->ul_len, &l4c);
	l4 = cur_take(&l4c, ip->ul_len);
	if (!l4)
		return false;
	v = csum_fold(csum_partial(l4, ip->ul_len, sum));
	if (v == 0 && ip->proto == 17)
		v = 0xffff;
	return wcur_set_be16(w, ip_off + ip->ul_off + (size_t)field, v);
}

size_t build_udp6(void *buf, size_t cap, const uint8_t src[16], const uint8_t dst[16],
		  uint16_t sport, uint16_t dport, const void *payload, size_t len)
{
	struct wcur w;

	wcur_init(&w, buf, cap);
	build_ip6(&w, src, dst, 17, 64, 0, 0, 0);
	build_udp(&w, sport, dport, payload, len);
	if (!build_ip_finish(&w, 0) || !build_l4_checksum(&w, 0))
		return 0;
	return wcur_off(&w);
}
