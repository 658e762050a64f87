/* nd.c - Router Advertisement decoder, validator and emitter; Router
 * Solicitation builder.  RFC 4861 (§4.1, §4.2, §4.6, §6.1.2), RFC 4191,
 * RFC 5175, RFC 4389, RFC 8106, RFC 8781, RFC 8910, RFC 3971 §5.3.2.
 * All packet bytes are read through core/cursor.h. */
#include "nd.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	return ip && ip->version == 6 && p->l4 == 58 && p->icmp_type == ICMP6_RA &&
	       !(ip->frag && ip->frag_off);
}

/* IPv6 header at the cursor: an RA right behind it, or something the full
 * parser must look into (extension headers, tunnels). */
static bool ip6_maybe_ra(struct cur *c)
{
	uint8_t vers = 0, nh = 0, type = 0;

	if (!cur_peek_u8(c, 0, &vers) || (vers >> 4) != 6 || !cur_peek_u8(c, 6, &nh))
		return false;
	if (nh == 58)
		return !cur_peek_u8(c, 40, &type) || type == ICMP6_RA;
	return pkt_is_ext6(nh) || nh == 41 || nh == 4;
}

bool nd_frame_maybe_ra(int dlt, const uint8_t *data, uint32_t caplen)
{
	struct cur c;
	uint16_t et = 0;
	uint8_t b0 = 0, proto = 0;

	cur_init(&c, data, caplen);
	switch (dlt) {
	case V6_DLT_EN10MB:
		cur_skip(&c, 12);
		cur_be16(&c, &et);
		for (int tags = 0; tags < PKT_MAX_VLAN && (et == 0x8100 || et == 0x88a8 || et == 0x9100); tags++) {
			cur_skip(&c, 2);
			cur_be16(&c, &et);
		}
		break;
	case V6_DLT_LINUX_SLL:
		cur_skip(&c, 14);
		cur_be16(&c, &et);
		break;
	case V6_DLT_LINUX_SLL2:
		cur_be16(&c, &et);
		cur_skip(&c, 18);
		break;
	default:
		/* raw IP, loopback and the rest: let the parser decide */
		return true;
	}
	if (c.trunc)
		return false;
	if (et == 0x86dd)
		return ip6_maybe_ra(&c);
	if (et != 0x0800)
		return false;
	/* IPv4: only a 6in4 tunnel (protocol 41) can carry an RA */
	if (!cur_peek_u8(&c, 0, &b0) || (b0 >> 4) != 4 || !cur_peek_u8(&c, 9, &proto))
		return false;
	return proto == 41;
}

static bool is_link_local(const uint8_t a[16])
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
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

bool nd_ra_decode(const struct pkt *p, struct nd_ra *ra)
{
	const struct pkt_ip *ip = pkt_inner(p);
	struct cur frame, msg, c;
	uint8_t type = 0, fl = 0;
	size_t have;

	memset(ra, 0, sizeof(*ra));
	if (!nd_is_ra(p))
		return false;
	memcpy(ra->router, ip->src, 16);
	memcpy(ra->dst, ip->dst, 16);
	ra->ip_hop_limit = ip->ttl;
	if (p->has_eth) {
		memcpy(ra->mac, p->eth_src, 6);
		ra->has_mac = true;
	} else if (p->has_sll && p->sll_halen == 6) {
		memcpy(ra->mac, p->sll_addr, 6);
		ra->has_mac = true;
	}
	ra->icmp_len = ip->ul_len;

	cur_init(&frame, p->data, p->caplen);
	cur_window(&frame, p->l4_off, ip->ul_len, &msg);
	have = cur_left(&msg);
	ra->truncated = have < ip->ul_len;

	if (ip->ttl != 255)
		viol(ra, "IP hop limit %u is not 255", ip->ttl);
	if (!is_link_local(ip->src))
		viol(ra, "source address is not link-local");
	if (ip->frag)
		viol(ra, "fragmented (RFC 6980 forbids fragmented ND messages)");
	if (p->icmp_code != 0)
		viol(ra, "ICMP code %u is not 0", p->icmp_code);
	if (ip->ul_len < ND_RA_HDR_LEN)
		viol(ra, "ICMP length %u is below 16", ip->ul_len);

	/* Checksum over the whole message when the capture holds all of it. */
	if (!ra->truncated) {
		struct cur k = msg;
		const uint8_t *head = cur_take(&k, 2);
		uint16_t stored = 0;
		uint32_t sum;

		cur_be16(&k, &stored);
		if (head) {
			const uint8_t *rest = cur_take(&k, cur_left(&k));
			sum = csum_pseudo6(ip->src, ip->final_dst, 58, ip->ul_len);
			sum = csum_partial(head, 2, sum);
			if (rest)
				sum = csum_partial(rest, ip->ul_len - 4, sum);
			ra->checksum = stored;
			ra->checksum_computed = csum_fold(sum);
			ra->checksum_checked = true;
			if (csum_fold(csum_add16(sum, stored)) != 0)
				viol(ra, "bad ICMPv6 checksum 0x%04x (computed 0x%04x)", stored,
				     ra->checksum_computed);
		}
	} else {
		viol(ra, "message truncated by the capture (%zu of %u octets)", have, ip->ul_len);
	}

	c = msg;
	cur_u8(&c, &type);
	cur_u8(&c, &ra->code);
	cur_be16(&c, &ra->checksum);
	cur_u8(&c, &ra->hop_limit);
	cur_u8(&c, &fl);
	cur_be16(&c, &ra->router_lifetime);
	cur_be32(&c, &ra->reachable_time);
	cur_be32(&c, &ra->retrans_timer);
	ra->flags_raw = fl;
	ra->managed = fl & 0x80;
	ra->other = fl & 0x40;
	ra->home_agent = fl & 0x20;
	ra->preference = (fl >> 3) & 3;
	ra->proxy = fl & 0x04;
	ra->reserved = fl & 0x03;
	if (c.trunc)
		return true;
	decode_options(ra, &c, cur_off(&msg));
	return true;
}

bool nd_ra_is_gateway(const struct nd_ra *ra)
{
	return ra->n_violations_total == 0 && ra->router_lifetime != 0;
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

/* ---- emitter ---- */

static void emit_hex(const char *key, const char *fmt, const uint8_t *b, size_t n)
{
	char *s = xmalloc(n * 2 + 1);

	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[n * 2] = '\0';
	em_str(EM_ANY, key, fmt, s);
	free(s);
}

/* Lifetimes: the number in JSON; text shows "infinite" for 0xffffffff. */
static void emit_lifetime(const char *key, const char *label, uint32_t v)
{
	em_u64(EM_JSON, key, NULL, v);
	if (v == ND_INFINITY)
		em_text("%-26s:     infinite (0xffffffff)\n", label);
	else
		em_text("%-26s: %12u (0x%08x) seconds\n", label, v, v);
}

static void emit_prefix_str(const char *key, const char *label, const uint8_t a[16], unsigned len)
{
	char ab[46], buf[64];

	snprintf(buf, sizeof(buf), "%s/%u", fmt_ip6(a, ab), len);
	em_str(EM_JSON, key, NULL, fmt_ip6(a, ab));
	em_u64(EM_JSON, "length", NULL, len);
	em_text("%-26s: %s\n", label, buf);
}

static const char *yes_no(bool v) { return v ? "Yes" : "No"; }

void nd_ra_emit(const struct nd_ra *ra, uint64_t ts_us)
{
	char ab[46], mb[18];

	em_begin("ra");
	em_ts(EM_ANY, "Router advertisement at %s", ts_us);
	em_str(EM_ANY, "router", " from %s", fmt_ip6(ra->router, ab));
	if (ra->has_mac)
		em_str(EM_ANY, "mac", " (%s)\n", fmt_mac(ra->mac, mb));
	else
		em_null(EM_ANY, "mac", "\n");
	em_str(EM_JSON, "destination", NULL, fmt_ip6(ra->dst, ab));
	if (ra->hop_limit)
		em_text("%-26s: %12u (      0x%02x)\n", "Hop limit", ra->hop_limit, ra->hop_limit);
	else
		em_text("%-26s:    undefined (      0x00)\n", "Hop limit");
	em_u64(EM_JSON, "hop_limit", NULL, ra->hop_limit);
	em_obj_begin(EM_ANY, "flags", NULL);
	em_bool(EM_JSON, "managed", NULL, ra->managed);
	em_bool(EM_JSON, "other", NULL, ra->other);
	em_bool(EM_JSON, "home_agent", NULL, ra->home_agent);
	em_bool(EM_JSON, "proxy", NULL, ra->proxy);
	em_str(EM_JSON, "preference", NULL, nd_pref_name(ra->preference));
	em_u64(EM_JSON, "reserved", NULL, ra->reserved);
	em_obj_end(EM_ANY, NULL);
	em_text("%-26s: %12s\n", "Stateful address conf.", yes_no(ra->managed));
	em_text("%-26s: %12s\n", "Stateful other conf.", yes_no(ra->other));
	em_text("%-26s: %12s\n", "Mobile home agent", yes_no(ra->home_agent));
	em_text("%-26s: %12s\n", "Router preference", nd_pref_name(ra->preference));
	em_text("%-26s: %12s\n", "Neighbor discovery proxy", yes_no(ra->proxy));
	if (ra->reserved)
		em_text("%-26s: %12u\n", "Reserved flag bits", ra->reserved);
	em_u64(EM_JSON, "router_lifetime", NULL, ra->router_lifetime);
	em_text("%-26s: %12u (0x%08x) seconds\n", "Router lifetime", ra->router_lifetime,
		ra->router_lifetime);
	em_u64(EM_JSON, "reachable_time", NULL, ra->reachable_time);
	if (ra->reachable_time)
		em_text("%-26s: %12u (0x%08x) milliseconds\n", "Reachable time",
			ra->reachable_time, ra->reachable_time);
	else
		em_text("%-26s:  unspecified (0x00000000)\n", "Reachable time");
	em_u64(EM_JSON, "retrans_timer", NULL, ra->retrans_timer);
	if (ra->retrans_timer)
		em_text("%-26s: %12u (0x%08x) milliseconds\n", "Retransmit time",
			ra->retrans_timer, ra->retrans_timer);
	else
		em_text("%-26s:  unspecified (0x00000000)\n", "Retransmit time");

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

	em_arr_begin(EM_ANY, "prefixes", NULL);
	for (unsigned i = 0; i < ra->n_prefixes; i++) {
		const struct nd_prefix *pf = &ra->prefixes[i];

		em_obj_begin(EM_ANY, NULL, NULL);
		emit_prefix_str("prefix", " Prefix", pf->prefix, pf->length);
		em_bool(EM_JSON, "on_link", NULL, pf->on_link);
		em_text("%-26s: %12s\n", "  On-link", yes_no(pf->on_link));
		em_bool(EM_JSON, "autonomous", NULL, pf->autonomous);
		em_text("%-26s: %12s\n", "  Autonomous address conf.", yes_no(pf->autonomous));
		em_bool(EM_JSON, "router_address", NULL, pf->router_address);
		em_text("%-26s: %12s\n", "  Router address", yes_no(pf->router_address));
		emit_lifetime("valid_lifetime", "  Valid time", pf->valid_lifetime);
		emit_lifetime("preferred_lifetime", "  Pref. time", pf->preferred_lifetime);
		em_obj_end(EM_ANY, NULL);
	}
	em_arr_end(EM_ANY, NULL);

	em_arr_begin(EM_ANY, "routes", NULL);
	for (unsigned i = 0; i < ra->n_routes; i++) {
		const struct nd_route *rt = &ra->routes[i];

		em_obj_begin(EM_ANY, NULL, NULL);
		emit_prefix_str("prefix", " Route", rt->prefix, rt->length);
		em_str(EM_ANY, "preference", "  Route preference        : %12s\n",
		       nd_pref_name(rt->preference));
		emit_lifetime("lifetime", "  Route lifetime", rt->lifetime);
		em_obj_end(EM_ANY, NULL);
	}
	em_arr_end(EM_ANY, NULL);

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

	if (ra->has_pref64) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s/%u", fmt_ip6(ra->pref64, ab), ra->pref64_len);
		em_obj_begin(EM_ANY, "pref64", NULL);
		em_str(EM_JSON, "prefix", NULL, ab);
		em_u64(EM_JSON, "length", NULL, ra->pref64_len);
		em_u64(EM_JSON, "lifetime", NULL, ra->pref64_lifetime);
		em_obj_end(EM_ANY, NULL);
		em_text(" NAT64 prefix (PREF64)    : %s\n", buf);
		em_text("  PREF64 lifetime         : %12u seconds\n", ra->pref64_lifetime);
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

	em_arr_begin(EM_ANY, "unknown_options", NULL);
	for (unsigned i = 0; i < ra->n_unknown; i++) {
		const struct nd_unknown *u = &ra->unknown[i];
		const char *name = tok_name(tok_nd_opt, u->type);

		em_obj_begin(EM_ANY, NULL, NULL);
		em_u64(EM_JSON, "type", NULL, u->type);
		if (name)
			em_str(EM_JSON, "name", NULL, name);
		em_u64(EM_JSON, "length", NULL, u->length);
		em_text(" Option %-3u (%s), %u octets: ", u->type, name ? name : "unknown",
			u->length * 8u);
		emit_hex("hex", "%s\n", u->data, u->data ? u->data_len : 0);
		em_obj_end(EM_ANY, NULL);
	}
	em_arr_end(EM_ANY, NULL);

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
