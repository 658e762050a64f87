/* dns.c - DNS message reader and the answers a front end builds itself
 * (RFC 1035 §4.1, RFC 1035 §3.3.14, RFC 6891, RFC 4343). */
#include "dns.h"

#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "names.h"

static const char *const err_names[DNS_E_N] = {
	[DNS_OK] = "ok",
	[DNS_E_SHORT] = "short",
	[DNS_E_TRUNCATED] = "truncated",
	[DNS_E_LABEL] = "bad_label",
	[DNS_E_NAME_LONG] = "name_too_long",
	[DNS_E_POINTER] = "bad_pointer",
	[DNS_E_QDCOUNT] = "qdcount",
	[DNS_E_OPT] = "bad_opt",
};

const char *dns_err_name(enum dns_err e)
{
	return (unsigned)e < DNS_E_N ? err_names[e] : "unknown";
}

/*
 * Read the name at *c into out (uncompressed wire form).  msg spans the whole
 * message: compression pointers are offsets from its start.  *c advances past
 * the name as it sits at its own position (through the first pointer).
 *
 * Loop protection: every pointer must point strictly before the start of the
 * label sequence that contains it.  Targets therefore strictly decrease and
 * the walk ends; well-formed compressors only ever point back at names that
 * were written earlier, so no valid message is refused.  The hop count is a
 * second, independent bound.
 */
static enum dns_err read_name(const struct cur *msg, struct cur *c, uint8_t *out,
			      uint16_t *outlen, uint32_t *err_off)
{
	struct cur w = *c;
	size_t limit = cur_off(c);
	unsigned hops = 0;
	bool jumped = false;
	size_t n = 0;

	for (;;) {
		uint8_t len, lo;

		*err_off = (uint32_t)cur_off(&w);
		if (!cur_u8(&w, &len))
			return DNS_E_TRUNCATED;
		if ((len & 0xc0) == 0xc0) {
			size_t target;

			if (!cur_u8(&w, &lo))
				return DNS_E_TRUNCATED;
			if (!jumped) {
				c->p = w.p;
				jumped = true;
			}
			target = (size_t)(len & 0x3f) << 8 | lo;
			if (target >= limit || ++hops > DNS_MAX_POINTERS)
				return DNS_E_POINTER;
			limit = target;
			cur_window(msg, target, cur_end_off(msg) - target, &w);
			continue;
		}
		if (len & 0xc0)
			return DNS_E_LABEL;
		if (n + 1 + len > DNS_NAME_MAX)
			return DNS_E_NAME_LONG;
		out[n++] = len;
		if (len == 0)
			break;
		if (!cur_copy(&w, out + n, len))
			return DNS_E_TRUNCATED;
		n += len;
	}
	if (!jumped)
		c->p = w.p;
	*outlen = (uint16_t)n;
	return DNS_OK;
}

static enum dns_err fail(struct dns_msg *m, enum dns_err e, size_t off)
{
	m->err = e;
	m->err_off = (uint32_t)off;
	return e;
}

enum dns_err dns_parse(const uint8_t *buf, size_t len, struct dns_msg *m)
{
	struct cur msg, c;
	uint8_t scratch[DNS_NAME_MAX];
	uint16_t slen;
	enum dns_err e;
	uint32_t rrs;

	memset(m, 0, sizeof(*m));
	cur_init(&msg, buf, len);
	if (len < DNS_HDR_LEN)
		return fail(m, DNS_E_SHORT, 0);
	c = msg;
	cur_be16(&c, &m->id);
	cur_be16(&c, &m->flags);
	cur_be16(&c, &m->qdcount);
	cur_be16(&c, &m->ancount);
	cur_be16(&c, &m->nscount);
	cur_be16(&c, &m->arcount);
	/* RFC 9619: more than one question is not a thing; none leaves nothing to answer. */
	if (m->qdcount != 1)
		return fail(m, DNS_E_QDCOUNT, 4);

	e = read_name(&msg, &c, m->qname, &m->qname_len, &m->err_off);
	if (e != DNS_OK)
		return fail(m, e, m->err_off);
	if (!cur_be16(&c, &m->qtype) || !cur_be16(&c, &m->qclass))
		return fail(m, DNS_E_TRUNCATED, cur_off(&c));
	m->has_question = true;
	m->question_end = (uint16_t)cur_off(&c);

	rrs = (uint32_t)m->ancount + m->nscount + m->arcount;
	for (uint32_t i = 0; i < rrs; i++) {
		uint16_t type, class, rdlen;
		uint32_t ttl;
		size_t rr_off = cur_off(&c);

		e = read_name(&msg, &c, scratch, &slen, &m->err_off);
		if (e != DNS_OK)
			return fail(m, e, m->err_off);
		cur_be16(&c, &type);
		cur_be16(&c, &class);
		cur_be32(&c, &ttl);
		cur_be16(&c, &rdlen);
		if (!cur_skip(&c, rdlen))
			return fail(m, DNS_E_TRUNCATED, rr_off);
		if (type != DNS_T_OPT || i < (uint32_t)m->ancount + m->nscount)
			continue;
		/* RFC 6891 §6.1.1: one OPT, owned by the root. */
		if (m->has_opt || slen != 1)
			return fail(m, DNS_E_OPT, rr_off);
		m->has_opt = true;
		m->opt_udp_size = class;
		m->opt_ext_rcode = (uint8_t)(ttl >> 24);
		m->opt_version = (uint8_t)(ttl >> 16);
		m->opt_do = ttl & 0x8000;
	}
	return DNS_OK;
}

static uint8_t lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + 32) : ch;
}

bool dns_same_question(const struct dns_msg *a, const struct dns_msg *b)
{
	if (!a->has_question || !b->has_question || a->qtype != b->qtype ||
	    a->qclass != b->qclass || a->qname_len != b->qname_len)
		return false;
	/* Length octets are < 64 and never letters, so folding them is harmless. */
	for (size_t i = 0; i < a->qname_len; i++)
		if (lower(a->qname[i]) != lower(b->qname[i]))
			return false;
	return true;
}

const char *dns_name_text(const uint8_t *wire, size_t len, char out[DNS_NAME_TEXT])
{
	struct cur c;
	size_t o = 0;
	uint8_t l, ch;

	cur_init(&c, wire, len);
	out[0] = 0;
	while (cur_u8(&c, &l) && l) {
		for (unsigned i = 0; i < l && cur_u8(&c, &ch); i++) {
			if (ch == '.' || ch == '\\' || ch == '"' || ch == '(' || ch == ')' ||
			    ch == ';' || ch == '@' || ch == '$')
				o += (size_t)snprintf(out + o, DNS_NAME_TEXT - o, "\\%c", ch);
			else if (ch < 0x21 || ch > 0x7e)
				o += (size_t)snprintf(out + o, DNS_NAME_TEXT - o, "\\%03u", ch);
			else
				out[o++] = (char)ch;
			if (o + 5 >= DNS_NAME_TEXT)
				break;
		}
		if (o + 2 >= DNS_NAME_TEXT)
			break;
		out[o++] = '.';
		out[o] = 0;
	}
	if (o == 0) {
		out[0] = '.';
		o = 1;
	}
	out[o] = 0;
	return out;
}

static const struct tok dns_types[] = {
	{ DNS_T_A, "A" }, { DNS_T_NS, "NS" }, { DNS_T_CNAME, "CNAME" }, { DNS_T_SOA, "SOA" },
	{ DNS_T_PTR, "PTR" }, { DNS_T_MX, "MX" }, { DNS_T_TXT, "TXT" }, { DNS_T_AAAA, "AAAA" },
	{ DNS_T_SRV, "SRV" }, { DNS_T_OPT, "OPT" }, { DNS_T_DS, "DS" }, { DNS_T_RRSIG, "RRSIG" },
	{ DNS_T_DNSKEY, "DNSKEY" }, { DNS_T_HTTPS, "HTTPS" }, { 64, "SVCB" }, { 99, "SPF" },
	{ 257, "CAA" }, { 252, "AXFR" }, { 251, "IXFR" }, { DNS_T_ANY, "ANY" },
	{ 0, NULL }
};

static const struct tok dns_rcodes[] = {
	{ 0, "NOERROR" }, { 1, "FORMERR" }, { 2, "SERVFAIL" }, { 3, "NXDOMAIN" },
	{ 4, "NOTIMP" }, { 5, "REFUSED" }, { 6, "YXDOMAIN" }, { 7, "YXRRSET" },
	{ 8, "NXRRSET" }, { 9, "NOTAUTH" }, { 10, "NOTZONE" }, { 16, "BADVERS" },
	{ 23, "BADCOOKIE" }, { 0, NULL }
};

const char *dns_type_name(uint16_t type, char buf[16])
{
	const char *s = tok_name(dns_types, type);

	if (s)
		return s;
	snprintf(buf, 16, "TYPE%u", type);	/* RFC 3597 §5 */
	return buf;
}

const char *dns_rcode_name(unsigned rcode, char buf[16])
{
	const char *s = tok_name(dns_rcodes, (int)rcode);

	if (s)
		return s;
	snprintf(buf, 16, "RCODE%u", rcode);
	return buf;
}

/* Our advertised payload size in OPT: large, since we fragment anyway. */
#define DNS_OUR_UDP_SIZE 4096

void dns_put_header(struct wcur *w, const struct dns_msg *q, uint16_t flags,
		    uint16_t an, uint16_t ns, uint16_t ar)
{
	wcur_be16(w, q->id);
	wcur_be16(w, (uint16_t)(DNS_F_QR | (q->flags & (0xf << 11 | DNS_F_RD)) | flags));
	wcur_be16(w, q->has_question ? 1 : 0);
	wcur_be16(w, an);
	wcur_be16(w, ns);
	wcur_be16(w, ar);
}

static void put_header(struct wcur *w, const struct dns_msg *q, uint16_t flags,
		       uint16_t an, uint16_t ar)
{
	dns_put_header(w, q, flags, an, 0, ar);
}

void dns_put_question(struct wcur *w, const struct dns_msg *q)
{
	if (!q->has_question)
		return;
	wcur_bytes(w, q->qname, q->qname_len);
	wcur_be16(w, q->qtype);
	wcur_be16(w, q->qclass);
}

static void put_question(struct wcur *w, const struct dns_msg *q)
{
	dns_put_question(w, q);
}

static void put_opt_rr(struct wcur *w, const struct dns_msg *q, unsigned rcode, uint16_t rdlen)
{
	wcur_u8(w, 0);			/* root owner */
	wcur_be16(w, DNS_T_OPT);
	wcur_be16(w, DNS_OUR_UDP_SIZE);
	/* extended rcode, version 0, DO echoed (RFC 3225 §3) */
	wcur_be32(w, (uint32_t)(rcode >> 4 & 0xff) << 24 | (q->opt_do ? 0x8000u : 0));
	wcur_be16(w, rdlen);
}

void dns_put_opt(struct wcur *w, const struct dns_msg *q, unsigned rcode)
{
	put_opt_rr(w, q, rcode, 0);
}

static void put_opt(struct wcur *w, const struct dns_msg *q, unsigned rcode)
{
	dns_put_opt(w, q, rcode);
}

void dns_put_opt_padded(struct wcur *w, const struct dns_msg *q, unsigned rcode, uint16_t pad)
{
	if (pad > DNS_MSG_MAX - DNS_OPT_RR_LEN - DNS_PAD_OPT_HDR) {
		w->overflow = true;
		return;
	}
	put_opt_rr(w, q, rcode, (uint16_t)(DNS_PAD_OPT_HDR + pad));
	wcur_be16(w, DNS_EDNS_PADDING);
	wcur_be16(w, pad);
	wcur_zero(w, pad);		/* RFC 7830 §4: the padding octets SHOULD be 0x00 */
}

size_t dns_build_error(const struct dns_msg *q, unsigned rcode, uint8_t *out, size_t cap)
{
	struct wcur w;
	bool opt = q->has_opt || rcode > 15;

	wcur_init(&w, out, cap);
	put_header(&w, q, (uint16_t)(rcode & 0xf), 0, opt ? 1 : 0);
	put_question(&w, q);
	if (opt)
		put_opt(&w, q, rcode);
	return w.overflow ? 0 : wcur_off(&w);
}

size_t dns_txt_min_size(const struct dns_msg *q)
{
	return DNS_HDR_LEN + (q->has_question ? q->qname_len + 4u : 0) +
	       (q->has_opt ? DNS_OPT_RR_LEN : 0) + 13;
}

/* One TXT record: pointer to the question name, then `rdlen` octets of
 * character-strings (255 octets each, the last shorter). */
#define TXT_RR_FIXED	12	/* name pointer, type, class, TTL, RDLENGTH */
#define TXT_RR_MAX	(TXT_RR_FIXED + 16 * 256)

static void put_txt_rr(struct wcur *w, size_t rdlen, unsigned rr_no)
{
	static const char alphabet[] = "v6kit-dnsfrag-builtin-answer-0123456789abcdefghijklmnopqrstuvwxyz";
	unsigned k = 0;

	wcur_be16(w, 0xc000 | DNS_HDR_LEN);
	wcur_be16(w, DNS_T_TXT);
	wcur_be16(w, DNS_C_IN);
	wcur_be32(w, 0);
	wcur_be16(w, (uint16_t)rdlen);
	while (rdlen > 0) {
		size_t piece = rdlen < 256 ? rdlen : 256;

		wcur_u8(w, (uint8_t)(piece - 1));
		for (size_t i = 0; i + 1 < piece; i++, k++)
			wcur_u8(w, (uint8_t)alphabet[(k + rr_no) % (sizeof(alphabet) - 1)]);
		rdlen -= piece;
	}
}

size_t dns_build_txt(const struct dns_msg *q, size_t size, uint8_t *out, size_t cap)
{
	struct wcur w;
	size_t base, target, left, n_rr = 0;
	bool in_answer;

	if (!q->has_question)
		return dns_build_error(q, DNS_FORMERR, out, cap);
	if (DNS_OPCODE(q->flags) != 0)
		return dns_build_error(q, DNS_NOTIMP, out, cap);
	if (q->has_opt && q->opt_version > 0)
		return dns_build_error(q, DNS_BADVERS, out, cap);

	base = dns_txt_min_size(q) - 13;
	target = size < base + 13 ? base + 13 : size;
	if (target > DNS_MSG_MAX || target > cap)
		return 0;

	/* Count the records first: the header carries the count. */
	left = target - base;
	while (left > 0) {
		size_t rr = left < TXT_RR_MAX ? left : TXT_RR_MAX;

		if (left - rr > 0 && left - rr < 13)
			rr = left - 13;		/* leave room for a whole last record */
		left -= rr;
		n_rr++;
	}

	in_answer = q->qtype == DNS_T_TXT || q->qtype == DNS_T_ANY;
	wcur_init(&w, out, cap);
	put_header(&w, q, DNS_F_AA, in_answer ? (uint16_t)n_rr : 0,
		   (uint16_t)((in_answer ? 0 : n_rr) + (q->has_opt ? 1 : 0)));
	put_question(&w, q);
	left = target - base;
	for (unsigned i = 0; left > 0; i++) {
		size_t rr = left < TXT_RR_MAX ? left : TXT_RR_MAX;

		if (left - rr > 0 && left - rr < 13)
			rr = left - 13;
		put_txt_rr(&w, rr - TXT_RR_FIXED, i);
		left -= rr;
	}
	if (q->has_opt)
		put_opt(&w, q, 0);
	return w.overflow ? 0 : wcur_off(&w);
}
