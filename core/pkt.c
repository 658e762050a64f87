/* pkt.c - the packet parser: Ethernet/802.1Q/802.1ad (IEEE 802.1Q), Linux
 * SLL/SLL2, raw and BSD loopback links; IPv4 (RFC 791); IPv6 and its
 * extension-header chain (RFC 8200 §4, RFC 6946 atomic fragments, RFC 7112
 * header chain in the first fragment, RFC 4302 AH, RFC 8754 SRH); tunnels
 * (RFC 4213 6in4, RFC 2473); TCP (RFC 9293), UDP (RFC 768), ICMP (RFC 792),
 * ICMPv6 (RFC 4443).  Every read goes through core/cursor.h; each nested
 * length narrows the window (frame -> IP datagram -> upper layer). */
#include "pkt.h"

#include <stddef.h>
#include <string.h>

#define ETH_VLAN	0x8100
#define ETH_QINQ	0x88a8
#define ETH_VLAN9100	0x9100
#define ETH_IPV4	0x0800
#define ETH_IPV6	0x86dd

static const char *const verdict_names[] = { "ok", "truncated", "invalid", "unsupported" };

const char *pkt_verdict_name(enum pkt_verdict v)
{
	return (unsigned)v < 4 ? verdict_names[v] : "?";
}

/* The first problem wins: later ones are usually its consequences. */
static enum pkt_verdict set_verdict(struct pkt *p, enum pkt_verdict v, const char *why, size_t off)
{
	if (p->verdict == PKT_OK) {
		p->verdict = v;
		p->why = why;
		p->why_off = (uint32_t)off;
	}
	return v;
}

static void ip_verdict(struct pkt *p, struct pkt_ip *ip, enum pkt_verdict v, const char *why, size_t off)
{
	if (ip->verdict == PKT_OK) {
		ip->verdict = v;
		ip->why = why;
	}
	set_verdict(p, v, why, off);
}

static void note(struct pkt *p, const char *what)
{
	for (unsigned i = 0; i < p->n_notes; i++)
		if (p->notes[i] == what)
			return;
	if (p->n_notes < PKT_MAX_NOTES)
		p->notes[p->n_notes++] = what;
}

bool pkt_is_ext6(uint8_t nh)
{
	switch (nh) {
	case 0: case 43: case 44: case 51: case 60: case 253: case 254:
		return true;
	default:
		return false;
	}
}

/* RFC 8200 §4.1 recommended order; Destination Options may sit early (before
 * a Routing header) or last. */
static int ext_rank(uint8_t type, bool after_routing)
{
	switch (type) {
	case 0: return 0;
	case 60: return after_routing ? 6 : 1;
	case 43: return 2;
	case 44: return 3;
	case 51: return 4;
	default: return 5;
	}
}

/* Final destination for the pseudo-header (RFC 8200 §8.1): with segments
 * left, the last address of a type 0/2 header, or segment list[0] of an SRH. */
static void routing_final_dst(struct pkt *p, struct pkt_ip *ip, const struct cur *hdr, size_t len)
{
	struct cur c = *hdr;
	uint8_t rtype = 0, segleft = 0;
	struct cur a;

	cur_peek_u8(&c, 2, &rtype);
	cur_peek_u8(&c, 3, &segleft);
	if (segleft == 0)
		return;
	switch (rtype) {
	case 0:
	case 2: {
		size_t n = (len - 8) / 16;
		if (n == 0)
			break;
		cur_window(&c, cur_off(&c) + 8 + 16 * (n - 1), 16, &a);
		cur_copy(&a, ip->final_dst, 16);
		if (a.trunc)
			memcpy(ip->final_dst, ip->dst, 16);
		return;
	}
	case 4:
		if (len < 24)
			break;
		cur_window(&c, cur_off(&c) + 8, 16, &a);
		cur_copy(&a, ip->final_dst, 16);
		if (a.trunc)
			memcpy(ip->final_dst, ip->dst, 16);
		return;
	default:
		note(p, "routing header type without a known final destination");
		return;
	}
}

/* An extension header runs past its datagram or the capture.  Within a whole
 * first fragment that is the RFC 7112 case (reported, parsing stops cleanly);
 * otherwise the capture is short (truncated) or the lengths lie (invalid). */
static enum pkt_verdict chain_ends_early(struct pkt *p, struct pkt_ip *ip, uint8_t nh, size_t off)
{
	bool short_cap = ip->avail < ip->tot_len;

	if (!short_cap && ip->frag && !ip->frag_off) {
		ip->chain_incomplete = true;
		note(p, "first fragment does not hold the whole header chain (RFC 7112)");
		ip->proto = nh;
		ip->ul_off = (uint32_t)off;
		ip->ul_len = 0;
		return PKT_OK;
	}
	ip_verdict(p, ip, short_cap ? PKT_TRUNCATED : PKT_INVALID,
		   short_cap ? "extension header truncated" : "extension header beyond payload length", off);
	return p->verdict;
}

enum pkt_verdict pkt_ip6_chain(struct pkt *p, struct pkt_ip *ip, struct cur *c, uint8_t nh)
{
	unsigned seen = 0;	/* bit per rank seen */
	int last_rank = -1;
	bool after_routing = false;
	unsigned dst_count = 0;

	while (pkt_is_ext6(nh)) {
		size_t off = cur_off(c);
		uint8_t next = 0, hl = 0;
		size_t len;
		int rank;

		if (!cur_peek_u8(c, 0, &next) || !cur_peek_u8(c, 1, &hl))
			return chain_ends_early(p, ip, nh, off);
		if (nh == 44)
			len = 8;
		else if (nh == 51)
			len = ((size_t)hl + 2) * 4;
		else
			len = ((size_t)hl + 1) * 8;

		if (cur_left(c) < len)
			return chain_ends_early(p, ip, nh, off);
		if (ip->n_ext < PKT_MAX_EXT) {
			struct pkt_ext *e = &ip->ext[ip->n_ext++];
			e->type = nh;
			e->next = next;
			e->off = (uint32_t)off;
			e->len = (uint32_t)len;
		} else {
			note(p, "more extension headers than recorded");
		}

		/* Ordering rules (RFC 8200 §4.1): report, do not stop. */
		if (nh == 0 && ip->n_ext != 1)
			note(p, "hop-by-hop options header not first (RFC 8200 4.3)");
		rank = ext_rank(nh, after_routing);
		if (nh == 60) {
			if (++dst_count > 2)
				note(p, "destination options header more than twice (RFC 8200 4.1)");
		} else if (seen & (1u << rank)) {
			note(p, "extension header repeated (RFC 8200 4.1)");
		}
		if (rank < last_rank)
			note(p, "extension headers out of the recommended order (RFC 8200 4.1)");
		seen |= 1u << rank;
		if (rank > last_rank)
			last_rank = rank;

		if (nh == 44) {
			uint16_t offlg = 0;
			uint32_t id = 0;
			struct cur fh;

			cur_sub(c, 8, &fh);
			cur_skip(&fh, 2);
			cur_be16(&fh, &offlg);
			cur_be32(&fh, &id);
			if (fh.trunc) {
				ip_verdict(p, ip, PKT_TRUNCATED, "fragment header truncated", off);
				return p->verdict;
			}
			if (ip->frag_hdr_off)
				note(p, "more than one fragment header");
			ip->frag = true;
			ip->frag_off = offlg & 0xfff8u;
			ip->mf = offlg & 1u;
			ip->frag_id = id;
			ip->frag_hdr_off = (uint32_t)off;
			ip->frag_nh = next;
			ip->unfrag_len = (uint32_t)(off - ip->off);
			ip->frag_atomic = !ip->frag_off && !ip->mf;
			if (ip->frag_off) {
				/* A non-first fragment carries data only. */
				ip->proto = next;
				ip->ul_off = (uint32_t)cur_off(c);
				ip->ul_len = ip->off + ip->tot_len > ip->ul_off ? ip->off + ip->tot_len - ip->ul_off : 0;
				return PKT_OK;
			}
			nh = next;
			continue;
		}

		{
			struct cur h;
			cur_sub(c, len, &h);	/* fits: checked above */
			if (nh == 43) {
				ip->rthdr_off = (uint32_t)off;
				after_routing = true;
				routing_final_dst(p, ip, &h, len);
			}
		}
		nh = next;
	}
	ip->proto = nh;
	ip->ul_off = (uint32_t)cur_off(c);
	ip->ul_len = ip->off + ip->tot_len > ip->ul_off ? ip->off + ip->tot_len - ip->ul_off : 0;
	return PKT_OK;
}

/* Parse the upper-layer header found at ip->ul_off (first fragments included;
 * the header may then be cut by the fragment's end, which is reported). */
static void parse_l4(struct pkt *p, const struct pkt_ip *ip, const struct cur *frame)
{
	struct cur c;
	uint16_t u16 = 0;
	bool first_frag = ip->frag && !ip->frag_atomic;
	size_t need;

	cur_window(frame, ip->ul_off, ip->ul_len, &c);
	switch (ip->proto) {
	case 6:
		need = 20;
		break;
	case 17:
		need = 8;
		break;
	case 1:
	case 58:
		need = 4;
		break;
	default:
		return;
	}
	if (ip->ul_len < need) {
		if (first_frag)
			note(p, "first fragment does not hold the upper-layer header (RFC 7112)");
		else
			set_verdict(p, PKT_INVALID, "upper-layer header longer than IP payload", ip->ul_off);
		return;
	}
	if (cur_left(&c) < need) {
		set_verdict(p, PKT_TRUNCATED, "upper-layer header truncated", ip->ul_off);
		return;
	}
	p->l4_off = ip->ul_off;
	switch (ip->proto) {
	case 6: {
		uint16_t offfl = 0;
		size_t hl;

		cur_be16(&c, &p->sport);
		cur_be16(&c, &p->dport);
		cur_be32(&c, &p->tcp_seq);
		cur_be32(&c, &p->tcp_ack);
		cur_be16(&c, &offfl);
		cur_be16(&c, &p->tcp_win);
		cur_be16(&c, &p->l4_csum);
		hl = (size_t)(offfl >> 12) * 4;
		p->tcp_flags = (uint8_t)offfl;
		p->csum_off = ip->ul_off + 16;
		p->l4_hlen = (uint32_t)hl;
		p->l4 = 6;
		if (hl < 20) {
			set_verdict(p, PKT_INVALID, "TCP data offset below 5", ip->ul_off + 12);
		} else if (hl > ip->ul_len) {
			if (first_frag)
				note(p, "first fragment does not hold the whole TCP header (RFC 7112)");
			else
				set_verdict(p, PKT_INVALID, "TCP header longer than the segment", ip->ul_off + 12);
		} else {
			struct cur o;
			if (!cur_window(frame, ip->ul_off, hl, &o))
				set_verdict(p, PKT_TRUNCATED, "TCP options truncated", ip->ul_off + 20);
		}
		break;
	}
	case 17:
		cur_be16(&c, &p->sport);
		cur_be16(&c, &p->dport);
		cur_be16(&c, &p->udp_len);
		cur_be16(&c, &p->l4_csum);
		p->csum_off = ip->ul_off + 6;
		p->l4_hlen = 8;
		p->l4 = 17;
		if (p->udp_len < 8 && !(p->udp_len == 0 && ip->version == 6))
			set_verdict(p, PKT_INVALID, "UDP length below 8", ip->ul_off + 4);
		else if (!first_frag && p->udp_len > ip->ul_len)
			set_verdict(p, PKT_INVALID, "UDP length beyond IP payload", ip->ul_off + 4);
		break;
	case 1:
	case 58:
		cur_u8(&c, &p->icmp_type);
		cur_u8(&c, &p->icmp_code);
		cur_be16(&c, &u16);
		p->l4_csum = u16;
		p->csum_off = ip->ul_off + 2;
		p->l4_hlen = ip->ul_len >= 8 ? 8 : 4;
		p->l4 = ip->proto;
		break;
	}
}

/* The IPv4 header at `off` (c positioned on it, `window` octets readable):
 * fills ip; false when the walk stops here (a verdict is set). */
static bool ip4_header(struct pkt *p, struct pkt_ip *ip, struct cur *c, size_t off, size_t window)
{
	uint8_t vihl, ttl, proto;
	uint16_t tot, id, ff, sum;
	size_t hl;

	cur_u8(c, &vihl);
	cur_u8(c, &ip->tclass);
	cur_be16(c, &tot);
	cur_be16(c, &id);
	cur_be16(c, &ff);
	cur_u8(c, &ttl);
	cur_u8(c, &proto);
	cur_be16(c, &sum);
	cur_copy(c, ip->src, 4);
	cur_copy(c, ip->dst, 4);
	if (c->trunc) {
		ip_verdict(p, ip, PKT_TRUNCATED, "IPv4 header truncated", off);
		return false;
	}
	hl = (size_t)(vihl & 15) * 4;
	ip->hlen = (uint32_t)hl;
	ip->tot_len = tot;
	ip->v4_id = id;
	ip->v4_csum = sum;
	ip->ttl = ttl;
	ip->proto = proto;
	ip->frag_id = id;
	ip->frag_off = (uint32_t)(ff & 0x1fff) * 8;
	ip->mf = ff & 0x2000;
	ip->df = ff & 0x4000;
	ip->frag = ip->mf || ip->frag_off;
	memcpy(ip->final_dst, ip->dst, 4);
	if (hl < 20) {
		ip_verdict(p, ip, PKT_INVALID, "IPv4 header length below 20", off);
		return false;
	}
	if (tot < hl) {
		ip_verdict(p, ip, PKT_INVALID, "IPv4 total length below header length", off + 2);
		return false;
	}
	ip->avail = (uint32_t)(window < tot ? window : tot);
	if (window < hl) {
		ip_verdict(p, ip, PKT_TRUNCATED, "IPv4 options truncated", off + 20);
		return false;
	}
	if (window < tot)
		ip_verdict(p, ip, PKT_TRUNCATED, "capture shorter than IPv4 total length", off + window);
	ip->ul_off = (uint32_t)(off + hl);
	ip->ul_len = (uint32_t)(tot - hl);
	return true;
}

/* The IPv6 header at `off` and its extension header chain (RFC 8200);
 * false when the walk stops here. */
static bool ip6_header(struct pkt *p, struct pkt_ip *ip, const struct cur *frame, struct cur *c, size_t off,
		       size_t window)
{
	struct cur dgram;
	uint32_t vtf;
	uint16_t plen;
	uint8_t nh;

	cur_be32(c, &vtf);
	cur_be16(c, &plen);
	cur_u8(c, &nh);
	cur_u8(c, &ip->ttl);
	cur_copy(c, ip->src, 16);
	cur_copy(c, ip->dst, 16);
	if (c->trunc) {
		ip_verdict(p, ip, PKT_TRUNCATED, "IPv6 header truncated", off);
		return false;
	}
	ip->tclass = (uint8_t)(vtf >> 20);
	ip->flow = vtf & 0xfffffu;
	ip->hlen = 40;
	ip->tot_len = 40u + plen;
	ip->avail = (uint32_t)(window < ip->tot_len ? window : ip->tot_len);
	memcpy(ip->final_dst, ip->dst, 16);
	if (plen == 0 && nh == 0) {
		ip_verdict(p, ip, PKT_UNSUPPORTED, "IPv6 jumbogram (RFC 2675)", off + 4);
		return false;
	}
	if (window < ip->tot_len)
		ip_verdict(p, ip, PKT_TRUNCATED, "capture shorter than IPv6 payload length", off + window);
	cur_window(frame, off + 40, plen, &dgram);
	if (pkt_ip6_chain(p, ip, &dgram, nh) != PKT_OK && ip->verdict != PKT_TRUNCATED)
		return false;
	if (ip->verdict == PKT_TRUNCATED && ip->ul_off == 0)
		return false;
	return true;
}

/* Parse IP layers from the current position; follows 6in4/4in6/6in6. */
static void parse_ip(struct pkt *p, const struct cur *frame, size_t start, int want_version)
{
	struct cur windows[PKT_MAX_IP];	/* each tunnel narrows to its outer payload */
	size_t off = start;

	for (;;) {
		struct pkt_ip *ip;
		struct cur c;
		uint8_t b0 = 0;
		size_t window;

		if (p->n_ip == PKT_MAX_IP) {
			note(p, "tunnel nesting deeper than followed");
			return;
		}
		cur_window(frame, off, (size_t)-1 - off, &c);
		window = cur_left(&c);
		if (!cur_peek_u8(&c, 0, &b0)) {
			set_verdict(p, PKT_TRUNCATED, "IP header missing", off);
			return;
		}
		if (want_version && (b0 >> 4) != want_version) {
			set_verdict(p, PKT_INVALID, "IP version does not match the link type", off);
			return;
		}
		ip = &p->ip[p->n_ip++];
		if (p->n_ip > 1)
			memset(ip, 0, sizeof(*ip));
		ip->off = (uint32_t)off;
		ip->version = b0 >> 4;

		if (ip->version == 4) {
			if (!ip4_header(p, ip, &c, off, window))
				return;
		} else if (ip->version == 6) {
			if (!ip6_header(p, ip, frame, &c, off, window))
				return;
		} else {
			p->n_ip--;
			set_verdict(p, PKT_INVALID, "IP version neither 4 nor 6", off);
			return;
		}

		/* Non-first fragments carry no upper-layer header; a first fragment
		 * of a tunnelled packet is not followed (reassemble first). */
		if (ip->frag && ip->frag_off)
			return;
		if ((ip->proto == 41 || ip->proto == 4) && !(ip->frag && !ip->frag_atomic)) {
			cur_window(frame, ip->ul_off, ip->ul_len, &windows[p->n_ip - 1]);
			frame = &windows[p->n_ip - 1];
			off = ip->ul_off;
			want_version = ip->proto == 41 ? 6 : 4;
			continue;
		}
		parse_l4(p, ip, frame);
		return;
	}
}

enum pkt_verdict pkt_parse(struct pkt *p, int dlt, const uint8_t *data, uint32_t caplen, uint32_t wirelen)
{
	struct cur c;
	uint16_t et = 0;
	int want = 0;

	/* Clear what every parse uses; IP-layer slots past the first are
	 * cleared when a tunnel takes them (readers stop at n_ip), which keeps
	 * this at a third of the struct on the per-packet path. */
	memset(p, 0, offsetof(struct pkt, ip));
	memset(&p->ip[0], 0, sizeof(p->ip[0]));
	memset(&p->n_ip, 0, sizeof(*p) - offsetof(struct pkt, n_ip));
	p->dlt = dlt;
	p->data = data;
	p->caplen = caplen;
	p->wirelen = wirelen ? wirelen : caplen;
	cur_init(&c, data, caplen);

	switch (dlt) {
	case V6_DLT_EN10MB:
		cur_copy(&c, p->eth_dst, 6);
		cur_copy(&c, p->eth_src, 6);
		cur_be16(&c, &et);
		p->has_eth = true;
		while (!c.trunc && (et == ETH_VLAN || et == ETH_QINQ || et == ETH_VLAN9100)) {
			uint16_t tci = 0;
			cur_be16(&c, &tci);
			cur_be16(&c, &et);
			if (p->n_vlan < PKT_MAX_VLAN)
				p->vlan[p->n_vlan++] = tci;
			else {
				note(p, "more VLAN tags than followed");
				break;
			}
		}
		break;
	case V6_DLT_LINUX_SLL: {
		uint16_t hatype;
		cur_be16(&c, &p->sll_pkttype);
		cur_be16(&c, &hatype);
		cur_be16(&c, &p->sll_halen);
		cur_copy(&c, p->sll_addr, 8);
		cur_be16(&c, &et);
		p->has_sll = true;
		break;
	}
	case V6_DLT_LINUX_SLL2: {
		uint16_t hatype;
		uint8_t pkttype = 0, halen = 0;
		cur_be16(&c, &et);
		cur_skip(&c, 2 + 4);
		cur_be16(&c, &hatype);
		cur_u8(&c, &pkttype);
		cur_u8(&c, &halen);
		cur_copy(&c, p->sll_addr, 8);
		p->sll_pkttype = pkttype;
		p->sll_halen = halen;
		p->has_sll = true;
		break;
	}
	case V6_DLT_RAW:
	case V6_LINKTYPE_RAW:
		break;
	case V6_DLT_IPV4:
		want = 4;
		break;
	case V6_DLT_IPV6:
		want = 6;
		break;
	case V6_DLT_NULL:
	case V6_DLT_LOOP: {
		uint32_t fam = 0;
		uint8_t b[4];
		cur_copy(&c, b, 4);
		/* DLT_NULL is host order (of the capturing host), LOOP network order */
		fam = b[0] | b[1] | b[2] | b[3];
		if (fam == 2)
			want = 4;
		else if (fam == 10 || fam == 24 || fam == 28 || fam == 30)
			want = 6;
		else if (!c.trunc)
			return set_verdict(p, PKT_UNSUPPORTED, "loopback family not IP", 0);
		break;
	}
	default:
		return set_verdict(p, PKT_UNSUPPORTED, "link type not supported", 0);
	}
	if (c.trunc)
		return set_verdict(p, PKT_TRUNCATED, "link-layer header truncated", 0);
	p->l2_len = (uint32_t)cur_off(&c);
	p->ethertype = et;
	if (p->has_eth || p->has_sll) {
		if (et == ETH_IPV4)
			want = 4;
		else if (et == ETH_IPV6)
			want = 6;
		else
			return set_verdict(p, PKT_UNSUPPORTED, "not an IP ethertype", p->l2_len);
	}
	parse_ip(p, &c, p->l2_len, want);
	if (p->verdict == PKT_OK && p->caplen < p->wirelen && p->n_ip &&
	    p->ip[0].avail < p->ip[0].tot_len)
		set_verdict(p, PKT_TRUNCATED, "frame cut by the capture snap length", p->caplen);
	return p->verdict;
}
