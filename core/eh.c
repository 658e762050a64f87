/* eh.c - IPv6 extension-header experiments: --eh SPEC parser and chain
 * inserter (RFC 8200 §4.1-4.6, RFC 4727, RFC 4942 §2.1.9.5, RFC 7872,
 * RFC 9098).  Where a header goes is decided from the one parser's view of
 * the packet (pkt_parse); bytes are written only through the write cursor. */
#include "eh.h"

#include <stdio.h>
#include <string.h>

#include "args.h"
#include "csum.h"
#include "cursor.h"
#include "pkt.h"
#include "util.h"

#define IP6_PLEN_MAX	65535u

static const char *const kind_names[] = { "hbh", "dstu", "dst" };

const char *eh_kind_name(enum eh_kind k)
{
	return (unsigned)k < V6_ARRAY_LEN(kind_names) ? kind_names[k] : "?";
}

uint8_t eh_proto(enum eh_kind k)
{
	return k == EH_HBH ? 0 : 60;
}

static const char *const skip_names[EH_SKIP_N] = {
	[EH_INSERTED] = "inserted",
	[EH_SKIP_NOT_IPV6] = "not_ipv6",
	[EH_SKIP_UNPARSED] = "bad_ipv6_chain",
	[EH_SKIP_HAS_HBH] = "has_hop_by_hop",
	[EH_SKIP_FRAGMENT] = "fragment",
	[EH_SKIP_TOO_BIG] = "too_big",
	[EH_SKIP_ENCAP] = "bad_encapsulation",
};

const char *eh_skip_name(enum eh_skip s)
{
	return (unsigned)s < EH_SKIP_N ? skip_names[s] : "?";
}

void eh_chain_init(struct eh_chain *ch)
{
	memset(ch, 0, sizeof(*ch));
}

static bool eh_fail(char err[EH_ERRLEN], const char *spec, const char *why, const char *detail)
{
	snprintf(err, EH_ERRLEN, "'%s': %s%s", spec, why, detail ? detail : "");
	return false;
}

bool eh_parse(struct eh_chain *ch, const char *spec, char err[EH_ERRLEN])
{
	char buf[64], numerr[ARG_ERRLEN];
	const char *colon = strchr(spec, ':');
	struct eh_hdr h = { .opt = -1 };
	uint64_t v;
	char *comma;
	size_t klen, have;
	unsigned k;

	if (!colon)
		return eh_fail(err, spec, "not hbh:N, dst:N or dstu:N (N octets, 8-2048, a multiple of 8)", NULL);
	klen = (size_t)(colon - spec);
	for (k = 0; k < V6_ARRAY_LEN(kind_names); k++)
		if (strlen(kind_names[k]) == klen && !strncmp(spec, kind_names[k], klen))
			break;
	if (k == V6_ARRAY_LEN(kind_names))
		return eh_fail(err, spec, "unknown header kind (hbh, dst or dstu)", NULL);
	h.kind = (enum eh_kind)k;
	if (strlen(colon + 1) >= sizeof(buf))
		return eh_fail(err, spec, "too long", NULL);
	strcpy(buf, colon + 1);
	comma = strchr(buf, ',');
	if (comma)
		*comma++ = '\0';
	if (!parse_uint(buf, EH_MIN_LEN, EH_MAX_LEN, &v, numerr))
		return eh_fail(err, spec, "length: ", numerr);
	if (v % 8) {
		snprintf(numerr, sizeof(numerr), "length %llu is not a multiple of 8 (8-2048)",
			 (unsigned long long)v);
		return eh_fail(err, spec, numerr, NULL);
	}
	h.len = (uint16_t)v;
	if (comma) {
		if (strncmp(comma, "opt=", 4))
			return eh_fail(err, spec, "expected ',opt=T' after the length", NULL);
		if (!parse_uint(comma + 4, 0, 255, &v, numerr))
			return eh_fail(err, spec, "option type: ", numerr);
		h.opt = (int)v;
	}
	if (ch->n == EH_MAX) {
		snprintf(numerr, sizeof(numerr), "more than %d headers", EH_MAX);
		return eh_fail(err, spec, numerr, NULL);
	}
	have = strlen(ch->spec);
	if (have + !!have + strlen(spec) >= sizeof(ch->spec))
		return eh_fail(err, spec, "the --eh list is too long", NULL);
	if (have)
		ch->spec[have++] = ' ';
	memcpy(ch->spec + have, spec, strlen(spec) + 1);
	ch->h[ch->n++] = h;
	return true;
}

bool eh_finish(struct eh_chain *ch, bool given_order, char err[EH_ERRLEN])
{
	static const char *const once[] = {
		[EH_HBH] = "RFC 8200 §4.1 allows one Hop-by-Hop Options header",
		[EH_DSTU] = "RFC 8200 §4.1 allows one Destination Options header before the Routing header",
		[EH_DST] = "RFC 8200 §4.1 allows one Destination Options header before the upper layer",
	};
	unsigned count[3] = { 0, 0, 0 };

	ch->given_order = given_order;
	if (!given_order) {
		struct eh_hdr sorted[EH_MAX];
		unsigned n = 0;

		for (unsigned i = 0; i < ch->n; i++)
			if (++count[ch->h[i].kind] == 2) {
				snprintf(err, EH_ERRLEN, "two %s headers: %s (--eh-order given sends them anyway)",
					 eh_kind_name(ch->h[i].kind), once[ch->h[i].kind]);
				return false;
			}
		for (unsigned k = EH_HBH; k <= EH_DST; k++)
			for (unsigned i = 0; i < ch->n; i++)
				if (ch->h[i].kind == k)
					sorted[n++] = ch->h[i];
		memcpy(ch->h, sorted, n * sizeof(sorted[0]));
	}
	ch->total = ch->unfrag_total = 0;
	ch->n_unfrag = 0;
	/* The Fragment header goes after the leading run of headers that belong
	 * to the unfragmentable part; in given order a hbh/dstu after a dst
	 * travels in the fragmentable part, as asked. */
	for (unsigned i = 0; i < ch->n; i++) {
		ch->total += ch->h[i].len;
		if (i == ch->n_unfrag && ch->h[i].kind != EH_DST) {
			ch->n_unfrag++;
			ch->unfrag_total += ch->h[i].len;
		}
	}
	return true;
}

/* Option area: the requested option, then fill options while more than 7
 * octets remain, then at most 7 octets of Pad1/PadN (RFC 4942 §2.1.9.5). */
bool eh_write_hdr(struct wcur *w, const struct eh_hdr *h, uint8_t next)
{
	size_t left = (size_t)h->len - 2;

	wcur_u8(w, next);
	wcur_u8(w, (uint8_t)(h->len / 8 - 1));
	if (h->opt == 0) {
		wcur_u8(w, 0);		/* Pad1 */
		left -= 1;
	} else if (h->opt > 0) {
		wcur_u8(w, (uint8_t)h->opt);
		wcur_u8(w, 0);
		left -= 2;
	}
	while (left > 7) {
		size_t data = left - 2 > 255 ? 255 : left - 2;

		wcur_u8(w, EH_FILL_OPT);
		wcur_u8(w, (uint8_t)data);
		wcur_zero(w, data);
		left -= 2 + data;
	}
	if (left == 1) {
		wcur_u8(w, 0);
	} else if (left >= 2) {
		wcur_u8(w, 1);		/* PadN */
		wcur_u8(w, (uint8_t)(left - 2));
		wcur_zero(w, left - 2);
	}
	return !w->overflow;
}

/* Headers to put at one header boundary of the input packet. */
struct eh_site {
	uint32_t pos;		/* input offset of the boundary */
	uint32_t nh_off;	/* input offset of the Next Header field that names what is at pos */
	uint8_t idx[EH_MAX];	/* chain indexes, in wire order */
	unsigned n;
	uint32_t added;
};

static void site_add(struct eh_site *sites, unsigned *nsites, uint32_t pos, uint32_t nh_off,
		     const struct eh_chain *ch, unsigned i)
{
	struct eh_site *s = NULL;

	for (unsigned k = 0; k < *nsites; k++)
		if (sites[k].pos == pos)
			s = &sites[k];
	if (!s) {
		s = &sites[(*nsites)++];
		memset(s, 0, sizeof(*s));
		s->pos = pos;
		s->nh_off = nh_off;
	}
	s->idx[s->n++] = (uint8_t)i;
	s->added += ch->h[i].len;
}

/* Decide where each header of the chain goes in ip's chain; false (with the
 * reason) when the packet cannot take the chain. */
static enum eh_skip plan_sites(const struct eh_chain *ch, const struct pkt_ip *ip,
			       struct eh_site *sites, unsigned *nsites)
{
	uint32_t after_ip = ip->off + 40, hbh_end = after_ip, hbh_nh = ip->off + 6;
	uint32_t ul_nh = ip->off + 6;
	bool has_hbh = ip->n_ext && ip->ext[0].type == 0;

	if (ip->n_ext) {
		const struct pkt_ext *last = &ip->ext[ip->n_ext - 1];

		if (last->off + last->len != ip->ul_off)
			return EH_SKIP_UNPARSED;	/* more headers than the parser records */
		ul_nh = last->off;
	}
	if (has_hbh) {
		hbh_end = ip->ext[0].off + ip->ext[0].len;
		hbh_nh = ip->ext[0].off;
	}
	*nsites = 0;
	for (unsigned i = 0; i < ch->n; i++) {
		const struct eh_hdr *h = &ch->h[i];

		if (ch->given_order) {
			site_add(sites, nsites, after_ip, ip->off + 6, ch, i);
			continue;
		}
		if (h->kind == EH_HBH) {
			if (has_hbh)
				return EH_SKIP_HAS_HBH;
			site_add(sites, nsites, after_ip, ip->off + 6, ch, i);
		} else if (h->kind == EH_DSTU) {
			site_add(sites, nsites, hbh_end, hbh_nh, ch, i);
		} else {
			if (ip->frag && !ip->frag_atomic)
				return EH_SKIP_FRAGMENT;
			site_add(sites, nsites, ip->ul_off, ul_nh, ch, i);
		}
	}
	return EH_INSERTED;
}

/* Output offset of input offset `in_off` (a boundary before which every
 * site at or below it has been inserted). */
static uint32_t shifted(const struct eh_site *sites, unsigned nsites, uint32_t in_off, bool at_or_below)
{
	uint32_t add = 0;

	for (unsigned k = 0; k < nsites; k++)
		if (sites[k].pos < in_off || (at_or_below && sites[k].pos == in_off))
			add += sites[k].added;
	return in_off + add;
}

static enum eh_skip write_frame(const struct eh_chain *ch, const struct pkt *p, unsigned k,
				struct eh_site *sites, unsigned nsites,
				const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
	const struct pkt_ip *ip = &p->ip[k];
	uint32_t added = 0, from = 0;
	struct cur c;
	struct wcur w;

	for (unsigned s = 0; s < nsites; s++)
		added += sites[s].added;
	if (ip->tot_len - 40 + added > IP6_PLEN_MAX || len + added > cap)
		return EH_SKIP_TOO_BIG;
	if (k > 0 && (p->ip[k - 1].tot_len + added > 0xffffu))
		return EH_SKIP_TOO_BIG;

	/* Sites in input order (at most EH_MAX: insertion sort). */
	for (unsigned i = 1; i < nsites; i++)
		for (unsigned j = i; j > 0 && sites[j].pos < sites[j - 1].pos; j--) {
			struct eh_site t = sites[j];
			sites[j] = sites[j - 1];
			sites[j - 1] = t;
		}

	cur_init(&c, in, len);
	wcur_init(&w, out, cap);
	for (unsigned s = 0; s < nsites; s++) {
		uint8_t orig_next = 0;
		struct cur at;

		cur_init(&at, in, len);
		if (!cur_peek_u8(&at, sites[s].nh_off, &orig_next))
			return EH_SKIP_UNPARSED;
		wcur_from(&w, &c, sites[s].pos - from);
		from = sites[s].pos;
		for (unsigned i = 0; i < sites[s].n; i++) {
			uint8_t next = i + 1 < sites[s].n ? eh_proto(ch->h[sites[s].idx[i + 1]].kind) : orig_next;

			eh_write_hdr(&w, &ch->h[sites[s].idx[i]], next);
		}
	}
	wcur_from(&w, &c, len - from);
	if (w.overflow || c.trunc)
		return EH_SKIP_TOO_BIG;

	/* Next Header fields that named the header at each site now name the
	 * first inserted one; then the length fields. */
	for (unsigned s = 0; s < nsites; s++)
		wcur_set_u8(&w, shifted(sites, nsites, sites[s].nh_off, true),
			    eh_proto(ch->h[sites[s].idx[0]].kind));
	wcur_set_be16(&w, ip->off + 4, (uint16_t)(ip->tot_len - 40 + added));
	if (k > 0) {
		const struct pkt_ip *v4 = &p->ip[k - 1];
		struct cur hc;
		const uint8_t *hdr;

		wcur_set_be16(&w, v4->off + 2, (uint16_t)(v4->tot_len + added));
		wcur_set_be16(&w, v4->off + 10, 0);
		cur_init(&hc, out, wcur_off(&w));
		cur_skip(&hc, v4->off);
		hdr = cur_take(&hc, v4->hlen);
		if (!hdr)
			return EH_SKIP_ENCAP;
		wcur_set_be16(&w, v4->off + 10, csum_buf(hdr, v4->hlen));
	}
	if (w.overflow)
		return EH_SKIP_TOO_BIG;
	*outlen = wcur_off(&w);
	return EH_INSERTED;
}

enum eh_skip eh_insert(const struct eh_chain *ch, int dlt, const uint8_t *in, size_t len,
		       uint8_t *out, size_t cap, size_t *outlen)
{
	struct eh_site sites[EH_MAX];
	unsigned nsites = 0, k;
	enum eh_skip why;
	struct pkt p;

	if (len > UINT32_MAX)
		return EH_SKIP_TOO_BIG;
	pkt_parse(&p, dlt, in, (uint32_t)len, (uint32_t)len);
	for (k = 0; k < p.n_ip && p.ip[k].version != 6; k++)
		;
	if (k == p.n_ip)
		return EH_SKIP_NOT_IPV6;
	if (k > 0) {
		const struct pkt_ip *outer = &p.ip[k - 1];

		/* An IPv4 packet around it (6in4): only whole, well-formed ones. */
		if (k > 1 || outer->version != 4 || outer->frag || outer->verdict != PKT_OK)
			return EH_SKIP_ENCAP;
	}
	if (p.ip[k].ul_off == 0 ||
	    (p.ip[k].verdict != PKT_OK && p.ip[k].verdict != PKT_TRUNCATED))
		return EH_SKIP_UNPARSED;
	if (ch->n == 0) {
		if (len > cap)
			return EH_SKIP_TOO_BIG;
		memcpy(out, in, len);
		*outlen = len;
		return EH_INSERTED;
	}
	why = plan_sites(ch, &p.ip[k], sites, &nsites);
	if (why != EH_INSERTED)
		return why;
	return write_frame(ch, &p, k, sites, nsites, in, len, out, cap, outlen);
}

uint32_t eh_unfrag_len(const struct eh_chain *ch, const uint8_t *ip6, size_t len)
{
	bool has_dstu = false;
	unsigned first, want;
	uint32_t end = 40;
	struct pkt p;
	const struct pkt_ip *ip;

	for (unsigned i = 0; i < ch->n_unfrag; i++)
		has_dstu |= ch->h[i].kind == EH_DSTU;
	if (!has_dstu || len > UINT32_MAX)
		return 0;
	pkt_parse(&p, V6_DLT_IPV6, ip6, (uint32_t)len, (uint32_t)len);
	if (p.n_ip == 0 || p.ip[0].version != 6)
		return 0;
	ip = &p.ip[0];
	if (ch->given_order) {
		/* the chain as given right after the IPv6 header */
		first = 0;
		want = ch->n_unfrag;
	} else {
		/* hbh (inserted or already there), then the one dstu */
		first = ip->n_ext && ip->ext[0].type == 0;
		want = 1;
	}
	if (first + want > ip->n_ext)
		return 0;
	for (unsigned i = 0; i < first + want; i++) {
		uint8_t t = ip->ext[i].type;

		if (i >= first && t != (ch->given_order ? eh_proto(ch->h[i].kind) : 60))
			return 0;
		end = ip->ext[i].off + ip->ext[i].len;
	}
	return end;
}
