/* pktsum.c - verify and fix IPv4 header (RFC 791), TCP (RFC 9293), UDP
 * (RFC 768, RFC 8200 §8.1), ICMP (RFC 792) and ICMPv6 (RFC 4443) checksums
 * of a parsed packet, with RFC 1071 arithmetic from core/csum. */
#include "pktsum.h"

#include "csum.h"

static const char *const layer_names[PKTSUM_N_LAYERS] = { "ipv4", "tcp", "udp", "icmp", "icmpv6" };
static const char *const status_names[] = { "good", "bad", "none" };
static const char *const skip_names[PKTSUM_N_SKIPS] = { "none", "truncated", "invalid", "unsupported", "fragment" };

const char *pktsum_layer_name(unsigned layer) { return layer < PKTSUM_N_LAYERS ? layer_names[layer] : "?"; }
const char *pktsum_status_name(unsigned status) { return status < 3 ? status_names[status] : "?"; }
const char *pktsum_skip_name(unsigned skip) { return skip < PKTSUM_N_SKIPS ? skip_names[skip] : "?"; }

/* Sum of `len` octets at `off` with the 16-bit field at `off + field` left
 * out (taken as zero).  `field` is even, so both halves start 16-bit aligned
 * in the checksummed data.  False when the frame does not hold them all. */
static bool sum_without_field(const struct cur *frame, uint32_t off, uint32_t len,
			      uint32_t field, uint32_t *sum)
{
	struct cur w;
	const uint8_t *b;

	if (field + 2 > len || !cur_window(frame, off, len, &w))
		return false;
	b = cur_take(&w, len);
	if (!b)
		return false;
	*sum = csum_partial(b + field + 2, len - field - 2, csum_partial(b, field, *sum));
	return true;
}

static void add_check(struct pktsum_result *r, unsigned layer, unsigned ip_index,
		      uint16_t stored, uint16_t computed, uint32_t field_off, bool zero_is_none)
{
	struct pktsum_check *c = &r->c[r->n++];

	c->layer = (uint8_t)layer;
	c->ip_index = (uint8_t)ip_index;
	c->stored = stored;
	c->computed = computed;
	c->field_off = field_off;
	/* One's complement has two zeros: a stored 0xffff where 0x0000 was
	 * computed verifies too (RFC 1071); UDP never computes 0x0000. */
	if (zero_is_none && stored == 0)
		c->status = PKTSUM_NONE;
	else if (stored == computed || (stored == 0xffff && computed == 0))
		c->status = PKTSUM_GOOD;
	else
		c->status = PKTSUM_BAD;
	if (c->status == PKTSUM_BAD)
		r->n_bad++;
}

static void check_ip4_header(const struct pkt *p, const struct cur *frame, unsigned i,
			     struct pktsum_result *r)
{
	const struct pkt_ip *ip = &p->ip[i];
	uint32_t sum = 0;

	if (ip->hlen < 20)
		return;
	if (!sum_without_field(frame, ip->off, ip->hlen, 10, &sum))
		return;
	add_check(r, PKTSUM_IPV4, i, ip->v4_csum, csum_fold(sum), ip->off + 10, false);
}

static enum pktsum_skip verdict_skip(enum pkt_verdict v)
{
	switch (v) {
	case PKT_TRUNCATED:
		return PKTSUM_SKIP_TRUNCATED;
	case PKT_INVALID:
		return PKTSUM_SKIP_INVALID;
	case PKT_UNSUPPORTED:
		return PKTSUM_SKIP_UNSUPPORTED;
	default:
		return PKTSUM_SKIP_NONE;
	}
}

static void check_transport(const struct pkt *p, const struct cur *frame, struct pktsum_result *r)
{
	unsigned i = p->n_ip - 1u;
	const struct pkt_ip *ip = &p->ip[i];
	uint32_t len = ip->ul_len, sum = 0, field;
	unsigned layer;
	uint16_t computed;

	switch (p->l4) {
	case 6:
		layer = PKTSUM_TCP;
		field = 16;
		break;
	case 17:
		layer = PKTSUM_UDP;
		field = 6;
		/* RFC 768: the UDP length bounds the checksummed data (and is
		 * what the pseudo-header carries); octets past it are padding. */
		if (p->udp_len >= 8 && p->udp_len <= len)
			len = p->udp_len;
		else if (p->udp_len) {
			r->skip = PKTSUM_SKIP_INVALID;
			return;
		}
		break;
	case 1:
		if (ip->version != 4)
			return;
		layer = PKTSUM_ICMP;
		field = 2;
		break;
	case 58:
		if (ip->version != 6)
			return;
		layer = PKTSUM_ICMPV6;
		field = 2;
		break;
	default:
		return;
	}
	if (p->csum_off != ip->ul_off + field)
		return;
	if (layer != PKTSUM_ICMP) {
		if (ip->version == 6)
			sum = csum_pseudo6(ip->src, ip->final_dst, p->l4, len);
		else
			sum = csum_pseudo4(ip->src, ip->dst, p->l4, len);
	}
	if (!sum_without_field(frame, ip->ul_off, len, field, &sum)) {
		r->skip = field + 2 > len ? PKTSUM_SKIP_INVALID : PKTSUM_SKIP_TRUNCATED;
		return;
	}
	computed = csum_fold(sum);
	/* RFC 768: a computed zero is transmitted as all ones (0 means "none"). */
	if (layer == PKTSUM_UDP && computed == 0)
		computed = 0xffff;
	add_check(r, layer, i, p->l4_csum, computed, p->csum_off,
		  layer == PKTSUM_UDP && ip->version == 4);
}

void pktsum_verify(const struct pkt *p, unsigned flags, struct pktsum_result *r)
{
	struct cur frame;
	const struct pkt_ip *in;

	r->n = 0;
	r->n_bad = 0;
	r->skip = PKTSUM_SKIP_NONE;
	r->frag_ip = -1;
	cur_init(&frame, p->data, p->caplen);

	for (unsigned i = 0; i < p->n_ip; i++) {
		if (p->ip[i].version != 4 || (i == 0 && (flags & PKTSUM_SKIP_OUTER_IP4)))
			continue;
		check_ip4_header(p, &frame, i, r);
	}
	if (flags & PKTSUM_NO_TRANSPORT)
		return;
	in = pkt_inner(p);
	if (!in) {
		r->skip = (uint8_t)verdict_skip(p->verdict == PKT_OK ? PKT_UNSUPPORTED : p->verdict);
		return;
	}
	/* The transport checksum covers the whole datagram: fragments wait
	 * for reassembly.  An atomic fragment (RFC 6946) is whole already. */
	if (in->frag && !in->frag_atomic) {
		r->skip = PKTSUM_SKIP_FRAGMENT;
		r->frag_ip = (int8_t)(p->n_ip - 1);
		return;
	}
	if (p->verdict != PKT_OK && p->verdict != PKT_TRUNCATED) {
		r->skip = (uint8_t)verdict_skip(p->verdict);
		return;
	}
	if (!p->l4) {
		/* Truncated before the transport header, or a protocol without
		 * a checksum we know (ESP, no next header...). */
		if (p->verdict == PKT_TRUNCATED)
			r->skip = PKTSUM_SKIP_TRUNCATED;
		return;
	}
	check_transport(p, &frame, r);
	if (r->skip == PKTSUM_SKIP_NONE && p->verdict == PKT_TRUNCATED &&
	    (r->n == 0 || r->c[r->n - 1].layer == PKTSUM_IPV4))
		r->skip = PKTSUM_SKIP_TRUNCATED;
}

bool pktsum_fix(struct wcur *w, const struct pktsum_check *c)
{
	return wcur_set_be16(w, c->field_off, c->computed);
}

unsigned pktsum_fix_all(struct wcur *w, const struct pktsum_result *r)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->n; i++)
		if (r->c[i].status == PKTSUM_BAD && pktsum_fix(w, &r->c[i]))
			n++;
	return n;
}

uint32_t pktsum_unfrag_len(const struct pkt_ip *ip)
{
	if (ip->version == 6)
		return ip->frag_hdr_off ? ip->unfrag_len : ip->ul_off - ip->off;
	return ip->hlen;
}

bool pktsum_frag_locate(const struct pkt_ip *ip, uint32_t data_off, uint32_t len, uint32_t *frame_off)
{
	uint32_t start, end;

	if (!ip->frag)
		return false;
	start = ip->version == 6 ? ip->frag_hdr_off + 8 : ip->off + ip->hlen;
	end = ip->off + ip->tot_len;
	if (end < start || data_off < ip->frag_off ||
	    (uint64_t)data_off + len > (uint64_t)ip->frag_off + (end - start))
		return false;
	*frame_off = start + (data_off - ip->frag_off);
	return true;
}
