/* nd.c - Router Advertisement decoder, validator and emitter; Router
 * Solicitation builder.  RFC 4861 (§4.1, §4.2, §4.6, §6.1.2), RFC 4191,
 * RFC 5175, RFC 4389, RFC 8106, RFC 8781, RFC 8910, RFC 3971 §5.3.2.
 * All packet bytes are read through core/cursor.h. */
#include "nd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "args.h"
#include "build.h"
#include "csum.h"
#include "emit.h"
#include "names.h"

#define ICMP6_RA	134
#define ICMP6_RS	133

enum {
	OPT_SLLA = 1, OPT_TLLA = 2, OPT_PREFIX = 3, OPT_REDIRECTED = 4, OPT_MTU = 5,
	OPT_NONCE = 14, OPT_ROUTE = 24, OPT_RDNSS = 25, OPT_DNSSL = 31,
	OPT_CAPTIVE = 37, OPT_PREF64 = 38,
};

static const char *const pref_names[4] = { "medium", "high", "reserved", "low" };

const char *nd_pref_name(uint8_t pref)
{
	return pref_names[pref & 3];
}

static void viol(struct nd_ra *ra, const char *fmt, ...) V6_PRINTF(2, 3);
static void viol(struct nd_ra *ra, const char *fmt, ...)
{
	va_list ap;

	ra->n_violations_total++;
	if (ra->n_violations >= ND_MAX_VIOL)
		return;
	va_start(ap, fmt);
	vsnprintf(ra->violations[ra->n_violations++], ND_VIOL_LEN, fmt, ap);
	va_end(ap);
}

bool nd_is_ra(const struct pkt *p)
{
	const struct pkt_ip *ip = pkt_inner(p);

	return ip && ip->version == 6 && p->l4 == IPPROTO_ICMPV6 && p->icmp_type == ICMP6_RA &&
	       (!ip->frag || ip->frag_atomic);
}

/* ---- options ---- */

static void opt_prefix(struct nd_ra *ra, struct cur *o, uint8_t len, size_t off)
{
	struct nd_prefix *pf;
	uint8_t plen = 0, fl = 0;

	if (len != 4) {
		viol(ra, "prefix information option at offset %zu has length %u, not 4", off, len);
		return;
	}
	if (ra->n_prefixes >= ND_MAX_PREFIXES) {
		ra->n_dropped++;
		return;
	}
	pf = &ra->prefixes[ra->n_prefixes++];
	cur_u8(o, &plen);
	cur_u8(o, &fl);
	cur_be32(o, &pf->valid_lifetime);
	cur_be32(o, &pf->preferred_lifetime);
	cur_skip(o, 4);
	cur_copy(o, pf->prefix, 16);
	pf->length = plen;
	pf->on_link = fl & 0x80;
	pf->autonomous = fl & 0x40;
	pf->router_address = fl & 0x20;
	if (plen > 128)
		viol(ra, "prefix information option with prefix length %u", plen);
	if (pf->preferred_lifetime > pf->valid_lifetime)
		viol(ra, "prefix %u: preferred lifetime exceeds valid lifetime (RFC 4862 5.5.3)",
		     ra->n_prefixes);
}

static void opt_mtu(struct nd_ra *ra, struct cur *o, uint8_t len, size_t off)
{
	uint32_t mtu = 0;

	if (len != 1) {
		viol(ra, "MTU option at offset %zu has length %u, not 1", off, len);
		return;
	}
	cur_skip(o, 2);
	cur_be32(o, &mtu);
	if (!ra->has_mtu) {
		ra->has_mtu = true;
		ra->mtu = mtu;
	} else {
		ra->n_dropped++;
	}
	if (mtu < 1280)
		viol(ra, "MTU option %u below the IPv6 minimum 1280", mtu);
}

static void opt_slla(struct nd_ra *ra, struct cur *o, uint8_t len)
{
	size_t n = (size_t)len * 8 - 2;

	if (ra->has_slla) {
		ra->n_dropped++;
		return;
	}
	ra->has_slla = true;
	ra->slla_len = n < 6 ? (uint8_t)n : 6;
	cur_copy(o, ra->slla, ra->slla_len);
}

static void opt_rdnss(struct nd_ra *ra, struct cur *o, uint8_t len, size_t off)
{
	struct nd_rdnss *r;
	unsigned n;

	if (len < 3 || !(len & 1)) {
		viol(ra, "RDNSS option at offset %zu has length %u (RFC 8106: odd, at least 3)", off, len);
		return;
	}
	if (ra->n_rdnss >= ND_MAX_RDNSS) {
		ra->n_dropped++;
		return;
	}
	r = &ra->rdnss[ra->n_rdnss++];
	cur_skip(o, 2);
	cur_be32(o, &r->lifetime);
	n = (len - 1u) / 2;
	r->n_total = (uint8_t)n;
	for (unsigned i = 0; i < n; i++) {
		if (r->n_servers < ND_MAX_SERVERS)
			cur_copy(o, r->servers[r->n_servers++], 16);
		else
			cur_skip(o, 16);
	}
	if (n > ND_MAX_SERVERS)
		ra->n_dropped++;
}

/* Append one text byte to the name pool, escaping what is not a hostname
 * character as dig does (\DDD, and \. for a dot inside a label). */
static bool pool_putc(struct nd_ra *ra, uint8_t ch, bool in_label)
{
	char tmp[5];
	size_t n;

	if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    ch == '-' || ch == '_' || (ch == '.' && !in_label)) {
		tmp[0] = (char)ch;
		n = 1;
	} else if (ch == '.' || ch == '\\') {
		tmp[0] = '\\';
		tmp[1] = (char)ch;
		n = 2;
	} else {
		n = (size_t)snprintf(tmp, sizeof(tmp), "\\%03u", ch);
	}
	if (ra->names_used + n + 1 > ND_NAME_POOL)
		return false;
	memcpy(ra->names + ra->names_used, tmp, n);
	ra->names_used = (uint16_t)(ra->names_used + n);
	return true;
}

/* DNSSL (RFC 8106 §5.2): uncompressed DNS names, then zero padding.  Each
 * malformation is a violation, and decoding stops at it. */
static void opt_dnssl(struct nd_ra *ra, struct cur *o, uint8_t len, size_t off)
{
	struct nd_dnssl *d;

	if (len < 2) {
		viol(ra, "DNSSL option at offset %zu has length %u (RFC 8106: at least 2)", off, len);
		return;
	}
	if (ra->n_dnssl >= ND_MAX_DNSSL) {
		ra->n_dropped++;
		return;
	}
	d = &ra->dnssl[ra->n_dnssl++];
	cur_skip(o, 2);
	cur_be32(o, &d->lifetime);
	while (cur_left(o)) {
		uint16_t start = ra->names_used;
		size_t wire = 0;
		uint8_t lab = 0;
		bool ok = true, first = true;

		cur_peek_u8(o, 0, &lab);
		if (lab == 0) {
			/* padding: the rest must be zero */
			while (cur_left(o)) {
				cur_u8(o, &lab);
				if (lab) {
					viol(ra, "DNSSL option at offset %zu: non-zero padding", off);
					return;
				}
			}
			break;
		}
		for (;;) {
			if (!cur_u8(o, &lab)) {
				viol(ra, "DNSSL option at offset %zu: name runs past the option", off);
				ok = false;
				break;
			}
			if (lab == 0)
				break;
			if (lab & 0xc0) {
				viol(ra, "DNSSL option at offset %zu: %s label (RFC 8106 forbids compression)",
				     off, (lab & 0xc0) == 0xc0 ? "compression pointer" : "extended");
				ok = false;
				break;
			}
			wire += 1u + lab;
			if (wire + 1 > 255) {
				viol(ra, "DNSSL option at offset %zu: name longer than 255 octets", off);
				ok = false;
				break;
			}
			if (cur_left(o) < lab) {
				viol(ra, "DNSSL option at offset %zu: label runs past the option", off);
				ok = false;
				break;
			}
			if (!first && !pool_putc(ra, '.', false))
				ok = false;
			first = false;
			for (unsigned i = 0; i < lab; i++) {
				uint8_t ch = 0;
				cur_u8(o, &ch);
				if (ok && !pool_putc(ra, ch, true))
					ok = false;
			}
			if (!ok)
				break;
		}
		if (!ok) {
			ra->names_used = start;
			return;
		}
		ra->names[ra->names_used++] = '\0';
		if (d->n_domains < ND_MAX_DOMAINS) {
			d->domain_off[d->n_domains++] = start;
		} else {
			ra->names_used = start;
			ra->n_dropped++;
		}
	}
}

/* Route Information (RFC 4191 §2.3): Length 1, 2 or 3 carries 0, 8 or 16
 * octets of prefix, and must be enough for the prefix length. */
static void opt_route(struct nd_ra *ra, struct cur *o, uint8_t len, size_t off)
{
	struct nd_route *rt;
	uint8_t plen = 0, fl = 0;
	size_t n;

	if (len > 3) {
		viol(ra, "route information option at offset %zu has length %u (RFC 4191: 1 to 3)", off, len);
		return;
	}
	cur_peek_u8(o, 0, &plen);
	if (plen > 128 || (plen > 64 && len < 3) || (plen > 0 && len < 2)) {
		viol(ra, "route information option at offset %zu: length %u too short for /%u", off, len, plen);
		return;
	}
	if (ra->n_routes >= ND_MAX_ROUTES) {
		ra->n_dropped++;
		return;
	}
	rt = &ra->routes[ra->n_routes++];
	cur_u8(o, &plen);
	cur_u8(o, &fl);
	cur_be32(o, &rt->lifetime);
	n = ((size_t)len - 1) * 8;
	cur_copy(o, rt->prefix, n);
	rt->length = plen;
	rt->preference = (fl >> 3) & 3;
	if (rt->preference == ND_PREF_RESERVED)
		viol(ra, "route information for /%u with reserved preference (RFC 4191: ignore)", plen);
}

/* PREF64 (RFC 8781 §4): 13-bit scaled lifetime (units of 8 s), 3-bit PLC. */
static void opt_pref64(struct nd_ra *ra, struct cur *o, uint8_t len, size_t off)
{
	static const uint8_t plc_len[8] = { 96, 64, 56, 48, 40, 32, 0, 0 };
	uint16_t v = 0;

	if (len != 2) {
		viol(ra, "PREF64 option at offset %zu has length %u, not 2", off, len);
		return;
	}
	if (ra->has_pref64) {
		ra->n_dropped++;
		return;
	}
	cur_be16(o, &v);
	if (plc_len[v & 7] == 0) {
		viol(ra, "PREF64 option at offset %zu: invalid prefix length code %u", off, v & 7);
		return;
	}
	ra->has_pref64 = true;
	ra->pref64_lifetime = (uint16_t)((v >> 3) * 8u);
	ra->pref64_len = plc_len[v & 7];
	memset(ra->pref64, 0, 16);
	cur_copy(o, ra->pref64, 12);
	/* bits beyond the prefix length are ignored by receivers */
	for (unsigned i = ra->pref64_len / 8; i < 16; i++)
		ra->pref64[i] = 0;
}

/* Captive portal (RFC 8910 §2.3): the URI, NUL-padded; non-printable bytes
 * shown as \xHH so the text stays valid UTF-8 for JSON. */
static void opt_captive(struct nd_ra *ra, struct cur *o)
{
	size_t n = 0;

	if (ra->has_captive) {
		ra->n_dropped++;
		return;
	}
	ra->has_captive = true;
	while (cur_left(o)) {
		uint8_t ch = 0;
		cur_u8(o, &ch);
		if (ch == 0)
			break;
		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			if (n + 1 > ND_TEXT_MAX)
				break;
			ra->captive_portal[n++] = (char)ch;
		} else {
			if (n + 4 > ND_TEXT_MAX)
				break;
			n += (size_t)snprintf(ra->captive_portal + n, 5, "\\x%02x", ch);
		}
	}
	ra->captive_portal[n] = '\0';
}

static void opt_unknown(struct nd_ra *ra, struct cur *o, uint8_t type, uint8_t len)
{
	struct nd_unknown *u;
	size_t n = cur_left(o);

	if (ra->n_unknown >= ND_MAX_UNKNOWN) {
		ra->n_dropped++;
		return;
	}
	u = &ra->unknown[ra->n_unknown++];
	u->type = type;
	u->length = len;
	u->data_len = (uint16_t)n;
	u->data = cur_take(o, n);
}

/* Walk the option area.  Every option must have a non-zero length and end
 * inside the message (RFC 4861 §6.1.2); a bad length makes the rest
 * unparseable, so decoding stops there. */
static void decode_options(struct nd_ra *ra, struct cur *c, size_t base_off)
{
	while (cur_left(c)) {
		size_t off = cur_off(c) - base_off;
		uint8_t type = 0, len = 0;
		struct cur o;

		if (cur_left(c) < 2) {
			viol(ra, "option at offset %zu: %zu stray octet(s) after the last option",
			     off, cur_left(c));
			return;
		}
		cur_peek_u8(c, 0, &type);
		cur_peek_u8(c, 1, &len);
		if (len == 0) {
			viol(ra, "option type %u at offset %zu has length 0", type, off);
			return;
		}
		if ((size_t)len * 8 > cur_left(c)) {
			viol(ra, "option type %u at offset %zu (%u octets) extends past the end of the message",
			     type, off, len * 8u);
			return;
		}
		cur_sub(c, (size_t)len * 8, &o);
		cur_skip(&o, 2);
		ra->n_options++;
		switch (type) {
		case OPT_SLLA:
			opt_slla(ra, &o, len);
			break;
		case OPT_PREFIX:
			opt_prefix(ra, &o, len, off);
			break;
		case OPT_MTU:
			opt_mtu(ra, &o, len, off);
			break;
		case OPT_RDNSS:
			opt_rdnss(ra, &o, len, off);
			break;
		case OPT_DNSSL:
			opt_dnssl(ra, &o, len, off);
			break;
		case OPT_ROUTE:
			opt_route(ra, &o, len, off);
			break;
		case OPT_PREF64:
			opt_pref64(ra, &o, len, off);
			break;
		case OPT_CAPTIVE:
			opt_captive(ra, &o);
			break;
		case OPT_NONCE:
			if (!ra->nonce) {
				ra->nonce_len = (uint16_t)cur_left(&o);
				ra->nonce = cur_take(&o, ra->nonce_len);
			} else {
				ra->n_dropped++;
			}
			break;
		default:
			opt_unknown(ra, &o, type, len);
			break;
		}
	}
}

/* How the RA travelled, when that is not what the parsed packet shows: a
 * datagram rebuilt from fragments has lost its Fragment header and its
 * link-layer header.  Packed into the reassembler's 64-bit tag of each
 * fragment, so the first fragment's facts come back with the datagram. */
struct nd_wire {
	bool fragmented;
	uint16_t n_fragments;
	uint8_t frag_pos;		/* extension headers before the Fragment header */
	bool has_mac;
	uint8_t mac[6];
};

#define WIRE_HAS_MAC	(1ull << 48)
#define WIRE_POS_SHIFT	49

static uint64_t wire_tag(const struct pkt *p, const struct pkt_ip *ip)
{
	uint64_t t = 0;
	const uint8_t *mac = p->has_eth ? p->eth_src : (p->has_sll && p->sll_halen == 6) ? p->sll_addr : NULL;
	unsigned pos = 0;

	while (pos < ip->n_ext && ip->ext[pos].type != IPPROTO_FRAGMENT)
		pos++;
	if (mac) {
		for (unsigned i = 0; i < 6; i++)
			t = t << 8 | mac[i];
		t |= WIRE_HAS_MAC;
	}
	return t | (uint64_t)pos << WIRE_POS_SHIFT;
}

static void wire_from_tag(struct nd_wire *w, uint64_t tag, size_t n_fragments)
{
	memset(w, 0, sizeof(*w));
	w->fragmented = true;
	w->n_fragments = n_fragments > UINT16_MAX ? UINT16_MAX : (uint16_t)n_fragments;
	w->frag_pos = (uint8_t)((tag >> WIRE_POS_SHIFT) & 0x0f);
	w->has_mac = tag & WIRE_HAS_MAC;
	for (unsigned i = 0; i < 6; i++)
		w->mac[i] = (uint8_t)(tag >> (40 - 8 * i));
}

/* Addresses, link source and the extension headers in wire order. */
static void ra_origin(struct nd_ra *ra, const struct pkt *p, const struct pkt_ip *ip, const struct nd_wire *w)
{
	memcpy(ra->router, ip->src, 16);
	memcpy(ra->dst, ip->dst, 16);
	ra->ip_hop_limit = ip->ttl;
	if (w) {
		ra->has_mac = w->has_mac;
		memcpy(ra->mac, w->mac, 6);
	} else if (p->has_eth) {
		memcpy(ra->mac, p->eth_src, 6);
		ra->has_mac = true;
	} else if (p->has_sll && p->sll_halen == 6) {
		memcpy(ra->mac, p->sll_addr, 6);
		ra->has_mac = true;
	}
	for (unsigned i = 0; i < ip->n_ext && ra->n_ext < PKT_MAX_EXT; i++) {
		if (w && i == w->frag_pos)
			ra->ext[ra->n_ext++] = IPPROTO_FRAGMENT;
		ra->ext[ra->n_ext++] = ip->ext[i].type;
		if (ip->ext[i].type != IPPROTO_FRAGMENT)
			ra->eh_evasion = true;
	}
	if (w && w->frag_pos >= ip->n_ext)
		ra->ext[ra->n_ext++] = IPPROTO_FRAGMENT;
	ra->fragmented = w ? true : ip->frag;
	ra->n_fragments = w ? w->n_fragments : ip->frag ? 1 : 0;
}

/* RFC 4861 §6.1.2 rules about the IP layer, RFC 6980 and RFC 7113. */
static void ra_check_ip(struct nd_ra *ra, const struct pkt *p, const struct pkt_ip *ip)
{
	if (ip->ttl != 255)
		viol(ra, "IP hop limit %u is not 255", ip->ttl);
	if (!pkt_ip6_is_link_local(ip->src))
		viol(ra, "source address is not link-local");
	if (ra->fragmented)
		viol(ra, ND_VIOL_FRAGMENTED);
	if (ra->eh_evasion)
		viol(ra, ND_VIOL_EH);
	if (p->icmp_code != 0)
		viol(ra, "ICMP code %u is not 0", p->icmp_code);
	if (ip->ul_len < ND_RA_HDR_LEN)
		viol(ra, "ICMP length %u is below 16", ip->ul_len);
}

/* Checksum over the whole message when the capture holds all of it. */
static void ra_checksum(struct nd_ra *ra, const struct pkt_ip *ip, const struct cur *msg)
{
	struct cur k = *msg;
	const uint8_t *head, *rest;
	uint16_t stored = 0;
	uint32_t sum;

	if (ra->truncated) {
		viol(ra, "message truncated by the capture (%zu of %u octets)", cur_left(msg), ip->ul_len);
		return;
	}
	head = cur_take(&k, 2);
	cur_be16(&k, &stored);
	if (!head)
		return;
	rest = cur_take(&k, cur_left(&k));
	sum = csum_pseudo6(ip->src, ip->final_dst, IPPROTO_ICMPV6, ip->ul_len);
	sum = csum_partial(head, 2, sum);
	if (rest)
		sum = csum_partial(rest, ip->ul_len - 4, sum);
	ra->checksum = stored;
	ra->checksum_computed = csum_fold(sum);
	ra->checksum_checked = true;
	if (csum_fold(csum_add16(sum, stored)) != 0)
		viol(ra, "bad ICMPv6 checksum 0x%04x (computed 0x%04x)", stored, ra->checksum_computed);
}

/* The RA's fixed part (RFC 4861 §4.2, RFC 5175 flags); false when cut. */
static bool ra_fixed(struct nd_ra *ra, struct cur *c)
{
	uint8_t type = 0, fl = 0;

	cur_u8(c, &type);
	cur_u8(c, &ra->code);
	cur_be16(c, &ra->checksum);
	cur_u8(c, &ra->hop_limit);
	cur_u8(c, &fl);
	cur_be16(c, &ra->router_lifetime);
	cur_be32(c, &ra->reachable_time);
	cur_be32(c, &ra->retrans_timer);
	ra->flags_raw = fl;
	ra->managed = fl & 0x80;
	ra->other = fl & 0x40;
	ra->home_agent = fl & 0x20;
	ra->preference = (fl >> 3) & 3;
	ra->proxy = fl & 0x04;
	ra->reserved = fl & 0x03;
	return !c->trunc;
}

static bool ra_decode(const struct pkt *p, struct nd_ra *ra, const struct nd_wire *w)
{
	const struct pkt_ip *ip = pkt_inner(p);
	struct cur frame, msg, c;

	memset(ra, 0, sizeof(*ra));
	if (!nd_is_ra(p))
		return false;
	ra_origin(ra, p, ip, w);
	ra->icmp_len = ip->ul_len;
	cur_init(&frame, p->data, p->caplen);
	cur_window(&frame, p->l4_off, ip->ul_len, &msg);
	ra->truncated = cur_left(&msg) < ip->ul_len;
	ra_check_ip(ra, p, ip);
	ra_checksum(ra, ip, &msg);
	c = msg;
	if (ra_fixed(ra, &c))
		decode_options(ra, &c, cur_off(&msg));
	return true;
}

bool nd_ra_decode(const struct pkt *p, struct nd_ra *ra)
{
	return ra_decode(p, ra, NULL);
}

bool nd_ra_host_ignores(const struct nd_ra *ra)
{
	return ra->n_violations_total > (ra->eh_evasion ? 1u : 0u);
}

bool nd_ra_is_gateway(const struct nd_ra *ra)
{
	return !nd_ra_host_ignores(ra) && ra->router_lifetime != 0;
}

bool nd_ra_gateway_mac(const struct nd_ra *ra, uint8_t mac[6])
{
	if (ra->has_slla && ra->slla_len == 6) {
		memcpy(mac, ra->slla, 6);
		return true;
	}
	if (ra->has_mac) {
		memcpy(mac, ra->mac, 6);
		return true;
	}
	return false;
}

/* ---- a stream of frames: parse, reassemble, decode ---- */

struct nd_stream {
	struct reasm *reasm;
	struct pkt p;			/* the frame */
	struct pkt rp;			/* a datagram rebuilt from fragments */
	const struct pkt *last;		/* behind the last RA returned */
	struct nd_ra ra;
	struct nd_stream_stats st;
};

struct nd_stream *nd_stream_new(void)
{
	struct nd_stream *s = xcalloc(1, sizeof(*s));
	struct reasm_limits lim = {
		.max_datagrams = ND_REASM_DATAGRAMS, .max_bytes = ND_REASM_BYTES,
		.max_per_source = ND_REASM_PER_SOURCE, .timeout_us = ND_REASM_TIMEOUT_US,
	};

	s->reasm = reasm_new(&lim);
	return s;
}

void nd_stream_free(struct nd_stream *s)
{
	if (!s)
		return;
	reasm_free(s->reasm);
	free(s);
}

const struct pkt *nd_stream_pkt(const struct nd_stream *s)
{
	return s->last;
}

const struct nd_stream_stats *nd_stream_stats(const struct nd_stream *s)
{
	return &s->st;
}

/* Could this IPv6 fragment be part of an RA?  Its Fragment header's Next
 * Header is ICMPv6, or an extension header hiding what follows (RFC 7113). */
static bool frag_may_hold_ra(const struct pkt_ip *ip)
{
	return ip->version == 6 && !ip->frag_atomic &&
	       (ip->frag_nh == IPPROTO_ICMPV6 || pkt_is_ext6(ip->frag_nh));
}

static void stream_sync_stats(struct nd_stream *s)
{
	struct reasm_stats rs;

	reasm_get_stats(s->reasm, &rs);
	memcpy(s->st.discarded, rs.reason, sizeof(s->st.discarded));
	s->st.reassembled = rs.datagrams_done;
	if (rs.bytes_held > s->st.held_bytes_max)
		s->st.held_bytes_max = rs.bytes_held;
}

/* A fragment: hand it to the reassembler; when it completes a datagram,
 * parse that (raw IPv6) and decode the RA it may hold. */
static const struct nd_ra *stream_fragment(struct nd_stream *s, int layer, uint64_t ts_us)
{
	const struct pkt_ip *ip = &s->p.ip[layer];
	struct reasm_result res;
	struct nd_wire w;
	enum reasm_status rc;

	s->st.fragments++;
	reasm_expire(s->reasm, ts_us, false, NULL, NULL);
	rc = reasm_add(s->reasm, &s->p, (unsigned)layer, ts_us, wire_tag(&s->p, ip), &res);
	stream_sync_stats(s);
	if (rc != REASM_DONE || res.n_tags == 0)
		return NULL;
	pkt_parse(&s->rp, V6_DLT_IPV6, res.data, (uint32_t)res.len, (uint32_t)res.len);
	wire_from_tag(&w, res.tags[0], res.n_tags);
	if (!ra_decode(&s->rp, &s->ra, &w))
		return NULL;
	s->last = &s->rp;
	return &s->ra;
}

const struct nd_ra *nd_stream_frame(struct nd_stream *s, int dlt, const uint8_t *data,
				    uint32_t caplen, uint32_t wirelen, uint64_t ts_us)
{
	const struct nd_ra *ra = NULL;
	int layer;

	s->st.packets++;
	pkt_parse(&s->p, dlt, data, caplen, wirelen);
	layer = reasm_frag_layer(&s->p);
	if (layer >= 0 && frag_may_hold_ra(&s->p.ip[layer]))
		ra = stream_fragment(s, layer, ts_us);
	else if (nd_is_ra(&s->p) && ra_decode(&s->p, &s->ra, NULL)) {
		ra = &s->ra;
		s->last = &s->p;
	}
	if (!ra)
		return NULL;
	s->st.ras++;
	s->st.fragmented += ra->fragmented;
	s->st.ext_headers += ra->eh_evasion;
	return ra;
}

void nd_stream_finish(struct nd_stream *s)
{
	reasm_expire(s->reasm, 0, true, NULL, NULL);
	stream_sync_stats(s);
}

void nd_stream_emit_stats(const struct nd_stream_stats *st)
{
	/* text only says it when there is something to say */
	bool any = st->fragmented || st->ext_headers || st->fragments;
	const char *sep = ", discarded:";

	em_u64(EM_ANY, "fragmented", any ? "; %llu fragmented" : NULL, st->fragmented);
	em_u64(EM_ANY, "extension_headers", any ? ", %llu behind extension headers" : NULL, st->ext_headers);
	em_obj_begin(EM_ANY, "fragments", NULL);
	em_u64(EM_ANY, "received", any ? "; %llu fragments" : NULL, st->fragments);
	em_u64(EM_ANY, "reassembled", any ? ", %llu datagrams rebuilt" : NULL, st->reassembled);
	em_obj_begin(EM_ANY, "discarded", NULL);
	for (unsigned i = REASM_OK + 1; i < REASM_N_REASONS; i++) {
		if (!st->discarded[i] || i == REASM_INCOMPLETE_CHAIN)
			continue;	/* an incomplete chain is reported, not dropped */
		em_text("%s %s ", sep, reasm_reason_name(i));
		em_u64(EM_ANY, reasm_reason_name(i), "%llu", st->discarded[i]);
		sep = ",";
	}
	em_obj_end(EM_ANY, NULL);
	em_u64(EM_JSON, "held_bytes_max", NULL, st->held_bytes_max);
	em_obj_end(EM_ANY, NULL);
}

/* ---- emitter ----
 * Each field is one emitter call serving both renderings (text modelled on
 * rdisc6); labels before a value are text-only decoration, and the few
 * JSON-only fields say so. */

static void emit_hex(const char *key, const char *fmt, const uint8_t *b, size_t n)
{
	char *s = xmalloc(n * 2 + 1);

	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[n * 2] = '\0';
	em_str(EM_ANY, key, fmt, s);
	free(s);
}

/* Lifetimes: text shows "infinite" for 0xffffffff (RFC 4861 §4.6.2). */
static void emit_lifetime(const char *key, const char *label, uint32_t v)
{
	em_text("%-26s: ", label);
	em_u64(EM_ANY, key, v == ND_INFINITY ? "    infinite (0x%08llx)\n" : "%12llu seconds\n", v);
}

static void emit_prefix(const char *label, const uint8_t a[16], unsigned len)
{
	char ab[46];

	em_text("%-26s: ", label);
	em_str(EM_ANY, "prefix", "%s", fmt_ip6(a, ab));
	em_u64(EM_ANY, "length", "/%llu\n", len);
}

static void emit_header(const struct nd_ra *ra, uint64_t ts_us)
{
	char ab[46], mb[18];

	em_ts(EM_ANY, "Router advertisement at %s", ts_us);
	em_str(EM_ANY, "router", " from %s", fmt_ip6(ra->router, ab));
	em_str(EM_ANY, "mac", ra->has_mac ? " (%s)\n" : "\n", ra->has_mac ? fmt_mac(ra->mac, mb) : NULL);
	em_str(EM_JSON, "destination", NULL, fmt_ip6(ra->dst, ab));
	em_u64(EM_ANY, "hop_limit", ra->hop_limit ? "Hop limit                 : %12llu\n"
						  : "Hop limit                 :    undefined (%llu)\n",
	       ra->hop_limit);
	em_obj_begin(EM_ANY, "flags", NULL);
	em_bool(EM_ANY, "managed", "Stateful address conf.    : %12s\n", ra->managed);
	em_bool(EM_ANY, "other", "Stateful other conf.      : %12s\n", ra->other);
	em_bool(EM_ANY, "home_agent", "Mobile home agent         : %12s\n", ra->home_agent);
	em_bool(EM_ANY, "proxy", "Neighbor discovery proxy  : %12s\n", ra->proxy);
	em_str(EM_ANY, "preference", "Router preference         : %12s\n", nd_pref_name(ra->preference));
	em_u64(EM_ANY, "reserved", ra->reserved ? "Reserved flag bits        : %12llu\n" : NULL, ra->reserved);
	em_obj_end(EM_ANY, NULL);
	em_u64(EM_ANY, "router_lifetime", "Router lifetime           : %12llu seconds\n", ra->router_lifetime);
	em_u64(EM_ANY, "reachable_time", ra->reachable_time ? "Reachable time            : %12llu milliseconds\n"
							    : "Reachable time            :  unspecified (%llu)\n",
	       ra->reachable_time);
	em_u64(EM_ANY, "retrans_timer", ra->retrans_timer ? "Retransmit time           : %12llu milliseconds\n"
							  : "Retransmit time           :  unspecified (%llu)\n",
	       ra->retrans_timer);
}

/* How it travelled: extension headers in wire order, fragments. */
static void emit_wire(const struct nd_ra *ra)
{
	em_arr_begin(EM_ANY, "extension_headers", ra->n_ext ? "Extension headers         :" : NULL);
	for (unsigned i = 0; i < ra->n_ext; i++)
		em_str(EM_ANY, NULL, " %s", tok_str(tok_ext6, ra->ext[i], "%d"));
	em_arr_end(EM_ANY, ra->n_ext ? "\n" : NULL);
	em_bool(EM_ANY, "fragmented", ra->fragmented ? "Fragmented                : %12s" : NULL, ra->fragmented);
	em_u64(EM_ANY, "fragments", ra->fragmented ? " (%llu fragments)\n" : NULL, ra->n_fragments);
}

static void emit_simple_options(const struct nd_ra *ra)
{
	char mb[18];

	if (ra->has_slla && ra->slla_len == 6)
		em_str(EM_ANY, "slla", " Source link-layer address: %s\n", fmt_mac(ra->slla, mb));
	else if (ra->has_slla)
		emit_hex("slla", " Source link-layer address: %s\n", ra->slla, ra->slla_len);
	else
		em_null(EM_JSON, "slla", NULL);
	if (ra->has_mtu)
		em_u64(EM_ANY, "mtu", " MTU                      : %12llu bytes\n", ra->mtu);
	else
		em_null(EM_JSON, "mtu", NULL);
}

/* PREF64, captive portal and nonce: after the lists, as ever. */
static void emit_late_options(const struct nd_ra *ra)
{
	char ab[46];

	if (ra->has_pref64) {
		em_obj_begin(EM_ANY, "pref64", NULL);
		em_str(EM_ANY, "prefix", " NAT64 prefix (PREF64)    : %s", fmt_ip6(ra->pref64, ab));
		em_u64(EM_ANY, "length", "/%llu\n", ra->pref64_len);
		em_u64(EM_ANY, "lifetime", "  PREF64 lifetime         : %12llu seconds\n", ra->pref64_lifetime);
		em_obj_end(EM_ANY, NULL);
	} else {
		em_null(EM_JSON, "pref64", NULL);
	}
	if (ra->has_captive)
		em_str(EM_ANY, "captive_portal", " Captive portal           : %s\n", ra->captive_portal);
	else
		em_null(EM_JSON, "captive_portal", NULL);
	if (ra->nonce)
		emit_hex("nonce", " Nonce                    : %s\n", ra->nonce, ra->nonce_len);
	else
		em_null(EM_JSON, "nonce", NULL);
}

static void emit_prefixes_routes(const struct nd_ra *ra)
{
	em_arr_begin(EM_ANY, "prefixes", NULL);
	for (unsigned i = 0; i < ra->n_prefixes; i++) {
		const struct nd_prefix *pf = &ra->prefixes[i];

		em_obj_begin(EM_ANY, NULL, NULL);
		emit_prefix(" Prefix", pf->prefix, pf->length);
		em_bool(EM_ANY, "on_link", "  On-link                 : %12s\n", pf->on_link);
		em_bool(EM_ANY, "autonomous", "  Autonomous address conf.: %12s\n", pf->autonomous);
		em_bool(EM_ANY, "router_address", "  Router address          : %12s\n", pf->router_address);
		emit_lifetime("valid_lifetime", "  Valid time", pf->valid_lifetime);
		emit_lifetime("preferred_lifetime", "  Pref. time", pf->preferred_lifetime);
		em_obj_end(EM_ANY, NULL);
	}
	em_arr_end(EM_ANY, NULL);

	em_arr_begin(EM_ANY, "routes", NULL);
	for (unsigned i = 0; i < ra->n_routes; i++) {
		const struct nd_route *rt = &ra->routes[i];

		em_obj_begin(EM_ANY, NULL, NULL);
		emit_prefix(" Route", rt->prefix, rt->length);
		em_str(EM_ANY, "preference", "  Route preference        : %12s\n", nd_pref_name(rt->preference));
		emit_lifetime("lifetime", "  Route lifetime", rt->lifetime);
		em_obj_end(EM_ANY, NULL);
	}
	em_arr_end(EM_ANY, NULL);
}

static void emit_dns(const struct nd_ra *ra)
{
	char ab[46];

	em_arr_begin(EM_ANY, "rdnss", NULL);
	for (unsigned i = 0; i < ra->n_rdnss; i++) {
		const struct nd_rdnss *r = &ra->rdnss[i];

		em_obj_begin(EM_ANY, NULL, NULL);
		em_arr_begin(EM_ANY, "servers", NULL);
		for (unsigned j = 0; j < r->n_servers; j++)
			em_str(EM_ANY, NULL, " Recursive DNS server     : %s\n", fmt_ip6(r->servers[j], ab));
		em_arr_end(EM_ANY, NULL);
		if (r->n_total > r->n_servers)
			em_text("  (%u more servers not shown)\n", r->n_total - r->n_servers);
		emit_lifetime("lifetime", "  DNS server lifetime", r->lifetime);
		em_obj_end(EM_ANY, NULL);
	}
	em_arr_end(EM_ANY, NULL);

	em_arr_begin(EM_ANY, "dnssl", NULL);
	for (unsigned i = 0; i < ra->n_dnssl; i++) {
		const struct nd_dnssl *d = &ra->dnssl[i];

		em_obj_begin(EM_ANY, NULL, NULL);
		em_arr_begin(EM_ANY, "domains", NULL);
		for (unsigned j = 0; j < d->n_domains; j++)
			em_str(EM_ANY, NULL, " DNS search list          : %s\n", ra->names + d->domain_off[j]);
		em_arr_end(EM_ANY, NULL);
		emit_lifetime("lifetime", "  DNS search list lifetime", d->lifetime);
		em_obj_end(EM_ANY, NULL);
	}
	em_arr_end(EM_ANY, NULL);
}

static void emit_unknown(const struct nd_ra *ra)
{
	em_arr_begin(EM_ANY, "unknown_options", NULL);
	for (unsigned i = 0; i < ra->n_unknown; i++) {
		const struct nd_unknown *u = &ra->unknown[i];
		const char *name = tok_name(tok_nd_opt, u->type);

		em_obj_begin(EM_ANY, NULL, NULL);
		em_u64(EM_ANY, "type", " Option %-3llu", u->type);
		if (name)
			em_str(EM_ANY, "name", " (%s)", name);
		else
			em_text(" (unknown)");
		em_u64(EM_ANY, "length", ", %llu x 8 octets: ", u->length);
		emit_hex("hex", "%s\n", u->data, u->data ? u->data_len : 0);
		em_obj_end(EM_ANY, NULL);
	}
	em_arr_end(EM_ANY, NULL);
}

static void emit_verdicts(const struct nd_ra *ra)
{
	em_u64(EM_JSON, "options", NULL, ra->n_options);
	em_bool(EM_JSON, "truncated", NULL, ra->truncated);
	if (ra->checksum_checked)
		em_hex16(EM_JSON, "checksum", NULL, ra->checksum);
	em_bool(EM_JSON, "valid", NULL, ra->n_violations_total == 0);
	em_arr_begin(EM_ANY, "violations", NULL);
	for (unsigned i = 0; i < ra->n_violations; i++)
		em_str(EM_ANY, NULL, " Violation: %s\n", ra->violations[i]);
	em_arr_end(EM_ANY, NULL);
	if (ra->n_violations_total > ra->n_violations)
		em_text(" (%u more violations)\n", ra->n_violations_total - ra->n_violations);
}

void nd_ra_emit(const struct nd_ra *ra, uint64_t ts_us)
{
	em_begin("ra");
	emit_header(ra, ts_us);
	emit_wire(ra);
	emit_simple_options(ra);
	emit_prefixes_routes(ra);
	emit_dns(ra);
	emit_late_options(ra);
	emit_unknown(ra);
	emit_verdicts(ra);
	em_text("\n");
	em_end();
}

/* ---- Router Solicitation ---- */

size_t nd_build_rs(uint8_t *frame, size_t cap, const uint8_t mac[6], const uint8_t src[16])
{
	static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
	static const uint8_t all_routers_mac[6] = { 0x33, 0x33, 0, 0, 0, 2 };	/* RFC 2464 §7 */
	static const uint8_t unspecified[16];
	struct wcur w;

	wcur_init(&w, frame, cap);
	build_eth(&w, all_routers_mac, mac, BUILD_NO_VLAN, 0x86dd);
	build_ip6(&w, src, all_routers, 58, 255, 0, 0, 0);
	wcur_u8(&w, ICMP6_RS);
	wcur_u8(&w, 0);
	wcur_be16(&w, 0);	/* checksum */
	wcur_be32(&w, 0);	/* reserved */
	/* RFC 4861 §4.1: no SLLA option from the unspecified address */
	if (memcmp(src, unspecified, 16)) {
		wcur_u8(&w, OPT_SLLA);
		wcur_u8(&w, 1);
		wcur_bytes(&w, mac, 6);
	}
	if (!build_ip_finish(&w, BUILD_ETH_LEN) || !build_l4_checksum(&w, BUILD_ETH_LEN))
		return 0;
	return wcur_off(&w);
}
