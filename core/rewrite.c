/* rewrite.c - MAC and IPv4/IPv6 address rewriting with RFC 1624 incremental
 * checksum updates (IPv4 header, RFC 791; TCP/UDP/ICMPv6 pseudo-header,
 * RFC 768, RFC 9293, RFC 4443, RFC 8200 §8.1). */
#include "rewrite.h"
#include "csum.h"
#include "cursor.h"

#include <string.h>

bool rewrite_map_addr(const struct v6_rewrite *maps, unsigned n, uint8_t family,
		      const uint8_t *in, uint8_t *out)
{
	struct v6_addr a = { .family = family };
	unsigned alen = family == 4 ? 4 : 16;

	memcpy(a.a, in, alen);
	for (unsigned i = 0; i < n; i++) {
		const struct v6_rewrite *m = &maps[i];
		unsigned bits = m->new_.len;

		if (m->old.addr.family != family || !prefix_match(&m->old, &a))
			continue;
		/* Keep the host part, take the network part from NEW. */
		for (unsigned b = 0; b < alen; b++) {
			uint8_t mask;

			if (bits >= 8)
				mask = 0xff;
			else
				mask = (uint8_t)(0xff00u >> bits);
			out[b] = (uint8_t)((m->new_.addr.a[b] & mask) | (in[b] & ~mask));
			bits = bits >= 8 ? bits - 8 : 0;
		}
		return true;
	}
	return false;
}

/* Read `n` bytes at `off` of the frame; false if outside the capture. */
static bool read_at(const struct cur *frame, size_t off, uint8_t *out, size_t n)
{
	struct cur w;

	if (!cur_window(frame, off, n, &w))
		return false;
	return cur_copy(&w, out, n);
}

static bool write_at(struct wcur *w, size_t off, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!wcur_set_u8(w, off + i, in[i]))
			return false;
	return true;
}

/* Apply an address change to the 16-bit checksum field at csum_off.  For
 * UDP a stored 0 means "no checksum" (IPv4) or is already invalid (IPv6):
 * it stays as it is; a computed 0 goes out as 0xffff (RFC 768). */
static unsigned update_csum(const struct cur *frame, struct wcur *w, size_t csum_off,
			    bool udp, const uint8_t *old_a, const uint8_t *new_a, size_t alen)
{
	struct cur c;
	uint16_t hc, nc;

	if (!cur_window(frame, csum_off, 2, &c) || !cur_be16(&c, &hc))
		return REWRITE_NOCSUM;
	if (udp && hc == 0)
		return 0;
	nc = csum_update_bytes(hc, old_a, new_a, alen);
	if (udp && nc == 0)
		nc = 0xffff;
	wcur_set_be16(w, csum_off, nc);
	return REWRITE_CSUM;
}

static unsigned rewrite_ip(const struct rewrite_cfg *cfg, const struct pkt *p, unsigned i,
			   const struct cur *frame, struct wcur *w)
{
	const struct pkt_ip *ip = &p->ip[i];
	size_t alen = ip->version == 4 ? 4 : 16;
	size_t src_off = ip->off + (ip->version == 4 ? 12 : 8);
	size_t dst_off = src_off + alen;
	bool innermost = i + 1 == p->n_ip;
	bool l4_pseudo = innermost && p->csum_off &&
		(p->l4 == 6 || p->l4 == 17 || (p->l4 == 58 && ip->version == 6));
	unsigned done = 0;

	for (int which = 0; which < 2; which++) {
		const struct v6_rewrite *maps = which ? cfg->dst : cfg->src;
		unsigned n = which ? cfg->n_dst : cfg->n_src;
		size_t aoff = which ? dst_off : src_off;
		uint8_t old_a[16], new_a[16];

		if (!n || !read_at(frame, aoff, old_a, alen))
			continue;
		if (!rewrite_map_addr(maps, n, ip->version, old_a, new_a) ||
		    !memcmp(old_a, new_a, alen))
			continue;
		if (!write_at(w, aoff, new_a, alen))
			continue;
		done |= REWRITE_IP;
		if (ip->version == 4)
			done |= update_csum(frame, w, ip->off + 10, false, old_a, new_a, alen);
		/* The IPv6 pseudo-header carries the final destination: with a
		 * Routing header the destination field is an intermediate hop. */
		if (l4_pseudo && !(which && ip->version == 6 && ip->rthdr_off))
			done |= update_csum(frame, w, p->csum_off, p->l4 == 17, old_a, new_a, alen);
	}
	return done;
}

unsigned rewrite_frame(const struct rewrite_cfg *cfg, int dlt, uint8_t *frame,
		       uint32_t caplen, uint32_t wirelen, struct pkt *p)
{
	struct cur rc;
	struct wcur w;
	unsigned done = 0;

	pkt_parse(p, dlt, frame, caplen, wirelen);
	cur_init(&rc, frame, caplen);
	wcur_init(&w, frame, caplen);
	if (p->has_eth) {
		if (cfg->set_dst_mac && write_at(&w, 0, cfg->dst_mac, 6))
			done |= REWRITE_MAC;
		if (cfg->set_src_mac && write_at(&w, 6, cfg->src_mac, 6))
			done |= REWRITE_MAC;
	}
	if (cfg->n_src || cfg->n_dst)
		for (unsigned i = 0; i < p->n_ip; i++)
			done |= rewrite_ip(cfg, p, i, &rc, &w);
	return done;
}
