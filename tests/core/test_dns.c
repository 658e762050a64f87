/* test_dns.c - DNS reader (RFC 1035 §4.1, compression, EDNS(0) RFC 6891) on
 * good, hostile and truncated messages; error and TXT answer builders. */
#include <stdint.h>
#include <string.h>

#include "cursor.h"
#include "dns.h"
#include "t.h"

static uint8_t buf[70000], out[70000];

/* A query for `name` (dotted, no escapes) of type qtype, optionally with OPT. */
static size_t make_query(uint8_t *b, size_t cap, uint16_t id, const char *name, uint16_t qtype,
			 bool opt, uint8_t version)
{
	struct wcur w;
	const char *s = name;

	wcur_init(&w, b, cap);
	wcur_be16(&w, id);
	wcur_be16(&w, DNS_F_RD);
	wcur_be16(&w, 1);
	wcur_be16(&w, 0);
	wcur_be16(&w, 0);
	wcur_be16(&w, opt ? 1 : 0);
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		if (l == 0)
			break;
		wcur_u8(&w, (uint8_t)l);
		wcur_bytes(&w, s, l);
		s += l + (dot ? 1 : 0);
	}
	wcur_u8(&w, 0);
	wcur_be16(&w, qtype);
	wcur_be16(&w, DNS_C_IN);
	if (opt) {
		wcur_u8(&w, 0);
		wcur_be16(&w, DNS_T_OPT);
		wcur_be16(&w, 1232);
		wcur_be32(&w, (uint32_t)version << 16 | 0x8000);
		wcur_be16(&w, 0);
	}
	return w.overflow ? 0 : wcur_off(&w);
}

static void parse_query(void)
{
	struct dns_msg m;
	char text[DNS_NAME_TEXT];
	size_t n = make_query(buf, sizeof(buf), 0xbeef, "www.Example.com", DNS_T_TXT, true, 0);

	CHECK(n == 12 + 17 + 4 + 11);
	CHECK_EQ(dns_parse(buf, n, &m), DNS_OK);
	CHECK_EQ(m.id, 0xbeef);
	CHECK(m.flags & DNS_F_RD);
	CHECK(!(m.flags & DNS_F_QR));
	CHECK_EQ(m.qtype, DNS_T_TXT);
	CHECK_EQ(m.qclass, DNS_C_IN);
	CHECK_EQ(m.qname_len, 17);
	CHECK_EQ(m.question_end, 12 + 17 + 4);
	CHECK(m.has_opt && m.opt_udp_size == 1232 && m.opt_do && m.opt_version == 0);
	CHECK(!strcmp(dns_name_text(m.qname, m.qname_len, text), "www.Example.com."));

	n = make_query(buf, sizeof(buf), 1, "", DNS_T_A, false, 0);
	CHECK_EQ(dns_parse(buf, n, &m), DNS_OK);
	CHECK_EQ(m.qname_len, 1);
	CHECK(!m.has_opt);
	CHECK(!strcmp(dns_name_text(m.qname, m.qname_len, text), "."));
}

static void name_text_escapes(void)
{
	static const uint8_t wire[] = { 3, 'a', '.', 'b', 2, 0x00, ' ', 1, '\\', 0 };
	char text[DNS_NAME_TEXT];
	uint8_t big[DNS_NAME_MAX];

	CHECK(!strcmp(dns_name_text(wire, sizeof(wire), text), "a\\.b.\\000\\032.\\\\."));
	/* The longest name with every octet escaped still fits. */
	memset(big, 0xff, sizeof(big));
	for (size_t i = 0; i + 64 <= sizeof(big); i += 64)
		big[i] = 63;
	big[192] = 61;
	big[254] = 0;
	dns_name_text(big, sizeof(big), text);
	CHECK(strlen(text) < DNS_NAME_TEXT);
	CHECK(strlen(text) == 63 * 3 * 4 + 61 * 4 + 4);
}

/* Header with qdcount 1 and nothing else; the caller appends the name. */
static void put_hdr(struct wcur *w, uint16_t qd, uint16_t an)
{
	wcur_be16(w, 7);
	wcur_be16(w, 0);
	wcur_be16(w, qd);
	wcur_be16(w, an);
	wcur_be16(w, 0);
	wcur_be16(w, 0);
}

static void pointer_loops(void)
{
	struct dns_msg m;
	struct wcur w;

	/* A name that points at itself. */
	wcur_init(&w, buf, sizeof(buf));
	put_hdr(&w, 1, 0);
	wcur_be16(&w, 0xc000 | 12);
	wcur_be32(&w, 0x00010001);
	CHECK_EQ(dns_parse(buf, wcur_off(&w), &m), DNS_E_POINTER);

	/* A label, then a pointer back to that label: a loop through one hop. */
	wcur_init(&w, buf, sizeof(buf));
	put_hdr(&w, 1, 0);
	wcur_u8(&w, 1);
	wcur_u8(&w, 'a');
	wcur_be16(&w, 0xc000 | 12);
	wcur_be32(&w, 0x00010001);
	CHECK_EQ(dns_parse(buf, wcur_off(&w), &m), DNS_E_POINTER);

	/* A forward pointer (into the question type). */
	wcur_init(&w, buf, sizeof(buf));
	put_hdr(&w, 1, 0);
	wcur_be16(&w, 0xc000 | 14);
	wcur_be32(&w, 0x00010001);
	CHECK_EQ(dns_parse(buf, wcur_off(&w), &m), DNS_E_POINTER);

	/* Two answer names pointing at each other (offsets 29 and 31). */
	wcur_init(&w, buf, sizeof(buf));
	put_hdr(&w, 1, 1);
	wcur_bytes(&w, "\x07" "example" "\x00", 9);	/* 12..20 */
	wcur_be32(&w, 0x00010001);			/* 21..24 */
	wcur_u8(&w, 1);					/* 25: "b" + pointer to 31 */
	wcur_u8(&w, 'b');
	wcur_be16(&w, 0xc000 | 31);
	wcur_u8(&w, 1);					/* 29 */
	wcur_u8(&w, 'c');
	wcur_be16(&w, 0xc000 | 25);
	CHECK_EQ(dns_parse(buf, wcur_off(&w), &m), DNS_E_POINTER);

	/* A pointer past the end of the message. */
	wcur_init(&w, buf, sizeof(buf));
	put_hdr(&w, 1, 1);
	wcur_bytes(&w, "\x01" "x" "\x00", 3);
	wcur_be32(&w, 0x00010001);
	wcur_be16(&w, 0xc000 | 0x3fff);
	CHECK_EQ(dns_parse(buf, wcur_off(&w), &m), DNS_E_POINTER);
}

/* A chain of names each one label plus a pointer to the previous one; the
 * answer's name is `hops` pointers deep. */
static size_t pointer_chain(unsigned hops)
{
	struct wcur w;
	size_t prev;

	wcur_init(&w, buf, sizeof(buf));
	put_hdr(&w, 1, 1);
	wcur_bytes(&w, "\x01" "z" "\x00", 3);	/* question name at 12 */
	wcur_be32(&w, 0x00100001);
	/* Chain links hidden in an answer's RDATA: the reader skips RDATA
	 * unread, so only the owner name below walks the chain. */
	wcur_be16(&w, 0xc000 | 12);
	wcur_be16(&w, DNS_T_TXT);
	wcur_be16(&w, 1);
	wcur_be32(&w, 0);
	size_t rdlen_off = wcur_off(&w);
	wcur_be16(&w, 0);
	prev = 12;
	for (unsigned i = 0; i < hops; i++) {
		size_t here = wcur_off(&w);

		wcur_u8(&w, 1);
		wcur_u8(&w, 'a');
		wcur_be16(&w, (uint16_t)(0xc000 | prev));
		prev = here;
	}
	wcur_set_be16(&w, rdlen_off, (uint16_t)(wcur_off(&w) - rdlen_off - 2));
	wcur_set_be16(&w, 6, 2);	/* ancount: a second record owned by the chain's end */
	wcur_be16(&w, (uint16_t)(0xc000 | prev));
	wcur_be16(&w, DNS_T_TXT);
	wcur_be16(&w, 1);
	wcur_be32(&w, 0);
	wcur_be16(&w, 0);
	return wcur_off(&w);
}

static void pointer_hop_limit(void)
{
	struct dns_msg m;
	size_t n;

	n = pointer_chain(DNS_MAX_POINTERS - 1);	/* + the final hop to the question */
	CHECK_EQ(dns_parse(buf, n, &m), DNS_OK);
	n = pointer_chain(DNS_MAX_POINTERS + 5);
	CHECK_EQ(dns_parse(buf, n, &m), DNS_E_POINTER);
	n = pointer_chain(126);		/* long enough to break both limits */
	CHECK(dns_parse(buf, n, &m) != DNS_OK);
}

static void bad_names(void)
{
	struct dns_msg m;
	struct wcur w;

	/* 5 x 63-octet labels = 321 octets. */
	wcur_init(&w, buf, sizeof(buf));
	put_hdr(&w, 1, 0);
	for (int i = 0; i < 5; i++) {
		wcur_u8(&w, 63);
		for (int j = 0; j < 63; j++)
			wcur_u8(&w, 'x');
	}
	wcur_u8(&w, 0);
	wcur_be32(&w, 0x00010001);
	CHECK_EQ(dns_parse(buf, wcur_off(&w), &m), DNS_E_NAME_LONG);

	/* Exactly 255 octets is fine: 3 x 63 + 61 + lengths + root. */
	wcur_init(&w, buf, sizeof(buf));
	put_hdr(&w, 1, 0);
	for (int i = 0; i < 4; i++) {
		int l = i < 3 ? 63 : 61;
		wcur_u8(&w, (uint8_t)l);
		for (int j = 0; j < l; j++)
			wcur_u8(&w, 'y');
	}
	wcur_u8(&w, 0);
	wcur_be32(&w, 0x00010001);
	CHECK_EQ(dns_parse(buf, wcur_off(&w), &m), DNS_OK);
	CHECK_EQ(m.qname_len, 255);

	/* Label types 01 and 10. */
	for (uint8_t t = 0x40; t != 0xc0; t = (uint8_t)(t + 0x40)) {
		wcur_init(&w, buf, sizeof(buf));
		put_hdr(&w, 1, 0);
		wcur_u8(&w, t | 1);
		wcur_u8(&w, 'q');
		wcur_u8(&w, 0);
		wcur_be32(&w, 0x00010001);
		CHECK_EQ(dns_parse(buf, wcur_off(&w), &m), DNS_E_LABEL);
	}
}

static void counts_and_opt(void)
{
	struct dns_msg m;
	size_t n;

	CHECK_EQ(dns_parse(buf, 0, &m), DNS_E_SHORT);
	CHECK_EQ(dns_parse(buf, 11, &m), DNS_E_SHORT);
	n = make_query(buf, sizeof(buf), 9, "a.b", DNS_T_A, false, 0);
	buf[5] = 0;
	CHECK_EQ(dns_parse(buf, n, &m), DNS_E_QDCOUNT);
	buf[5] = 2;
	CHECK_EQ(dns_parse(buf, n, &m), DNS_E_QDCOUNT);
	buf[5] = 1;
	buf[7] = 1;	/* an answer that is not there */
	CHECK_EQ(dns_parse(buf, n, &m), DNS_E_TRUNCATED);
	CHECK(m.has_question);		/* what was read stays usable for an error answer */

	/* Two OPT records. */
	n = make_query(buf, sizeof(buf), 9, "a.b", DNS_T_A, true, 0);
	memcpy(buf + n, buf + n - 11, 11);
	buf[11] = 2;
	CHECK_EQ(dns_parse(buf, n + 11, &m), DNS_E_OPT);
	/* OPT owned by a non-root name: pointer to the question name. */
	n = make_query(buf, sizeof(buf), 9, "a.b", DNS_T_A, true, 0);
	memmove(buf + n - 10 + 1, buf + n - 10, 10);
	buf[n - 11] = 0xc0;
	buf[n - 10] = 12;
	CHECK_EQ(dns_parse(buf, n + 1, &m), DNS_E_OPT);
	/* An OPT in the answer section is just a record. */
	n = make_query(buf, sizeof(buf), 9, "a.b", DNS_T_A, true, 0);
	buf[11] = 0;
	buf[7] = 1;
	CHECK_EQ(dns_parse(buf, n, &m), DNS_OK);
	CHECK(!m.has_opt);
}

/* Walk the TXT records of a built answer through a cursor: every RDATA is a
 * run of character-strings that fills it exactly. */
static bool txt_records_ok(const uint8_t *msg, size_t len, const struct dns_msg *m, unsigned *n_txt)
{
	struct cur c;
	unsigned rrs = (unsigned)m->ancount + m->nscount + m->arcount;

	*n_txt = 0;
	cur_init(&c, msg, len);
	cur_skip(&c, m->question_end);
	for (unsigned i = 0; i < rrs; i++) {
		uint16_t name, type, class, rdlen;
		uint32_t ttl;
		struct cur rd;
		uint8_t l;

		cur_be16(&c, &name);
		if (name == 0)		/* OPT: root owner is one zero octet */
			c.p--;
		cur_be16(&c, &type);
		cur_be16(&c, &class);
		cur_be32(&c, &ttl);
		cur_be16(&c, &rdlen);
		if (!cur_sub(&c, rdlen, &rd))
			return false;
		if (type == DNS_T_OPT)
			continue;
		if (type != DNS_T_TXT || name != (0xc000 | 12) || rdlen == 0)
			return false;
		while (cur_left(&rd) > 0)
			if (!cur_u8(&rd, &l) || !cur_skip(&rd, l))
				return false;
		(*n_txt)++;
	}
	return cur_left(&c) == 0 && !c.trunc;
}

static void builder_sizes(void)
{
	static const uint16_t types[] = { DNS_T_TXT, DNS_T_A, DNS_T_ANY };
	size_t qlen, rlen, checked = 0;
	struct dns_msg q, r;
	unsigned n_txt;

	for (size_t size = 256; size <= 65000; size += size < 4200 ? 7 : 997) {
		for (unsigned t = 0; t < 3; t++) {
			bool opt = (size + t) & 1;

			qlen = make_query(buf, sizeof(buf), (uint16_t)size, "big.example.net", types[t], opt, 0);
			CHECK_EQ(dns_parse(buf, qlen, &q), DNS_OK);
			rlen = dns_build_txt(&q, size, out, sizeof(out));
			CHECKF(rlen * 10 >= size * 9 && rlen * 10 <= size * 11, "size %zu gave %zu", size, rlen);
			CHECKF(dns_parse(out, rlen, &r) == DNS_OK, "size %zu: %s", size,
			       dns_err_name(r.err));
			CHECK(r.flags & DNS_F_QR && r.flags & DNS_F_AA && r.flags & DNS_F_RD);
			CHECK_EQ(r.id, (uint16_t)size);
			CHECK_EQ(dns_rcode(&r), DNS_NOERROR);
			CHECK(dns_same_question(&q, &r));
			CHECK(r.has_opt == opt);
			CHECK(txt_records_ok(out, rlen, &r, &n_txt) && n_txt >= 1);
			if (types[t] == DNS_T_A)
				CHECK(r.ancount == 0 && r.arcount == n_txt + opt);
			else
				CHECK(r.ancount == n_txt && r.arcount == (unsigned)opt);
			checked++;
		}
	}
	CHECK(checked > 1000);
	/* Sizes that leave a sliver after whole 4 KB records: still exact. */
	qlen = make_query(buf, sizeof(buf), 5, "edge.example", DNS_T_TXT, false, 0);
	dns_parse(buf, qlen, &q);
	for (size_t k = 1; k <= 3; k++) {
		for (size_t extra = 0; extra <= 14; extra++) {
			size_t size = qlen + k * (12 + 16 * 256) + extra;

			rlen = dns_build_txt(&q, size, out, sizeof(out));
			CHECK_EQ(rlen, size);
			CHECK(dns_parse(out, rlen, &r) == DNS_OK);
			CHECK(txt_records_ok(out, rlen, &r, &n_txt));
		}
	}
	/* Below the smallest answer: the smallest answer. */
	qlen = make_query(buf, sizeof(buf), 1, "a", DNS_T_TXT, false, 0);
	dns_parse(buf, qlen, &q);
	CHECK_EQ(dns_build_txt(&q, 10, out, sizeof(out)), dns_txt_min_size(&q));
	CHECK_EQ(dns_txt_min_size(&q), 12 + 3 + 4 + 13);
	/* Too small a buffer: 0, never an overflow. */
	CHECK_EQ(dns_build_txt(&q, 1000, out, 999), 0);
	CHECK_EQ(dns_build_txt(&q, 1000, out, 1000), 1000);
}

static void builder_errors(void)
{
	struct dns_msg q, r;
	size_t qlen, rlen;

	qlen = make_query(buf, sizeof(buf), 0x1234, "down.example", DNS_T_AAAA, true, 0);
	dns_parse(buf, qlen, &q);
	rlen = dns_build_error(&q, DNS_SERVFAIL, out, sizeof(out));
	CHECK_EQ(rlen, qlen);		/* same shape: header, question, OPT */
	CHECK_EQ(dns_parse(out, rlen, &r), DNS_OK);
	CHECK_EQ(dns_rcode(&r), DNS_SERVFAIL);
	CHECK(r.id == 0x1234 && r.flags & DNS_F_QR && r.flags & DNS_F_RD && !(r.flags & DNS_F_AA));
	CHECK(dns_same_question(&q, &r) && r.has_opt && r.opt_do);

	qlen = make_query(buf, sizeof(buf), 2, "x", DNS_T_A, false, 0);
	dns_parse(buf, qlen, &q);
	rlen = dns_build_error(&q, DNS_REFUSED, out, sizeof(out));
	CHECK_EQ(dns_parse(out, rlen, &r), DNS_OK);
	CHECK(dns_rcode(&r) == DNS_REFUSED && !r.has_opt && r.ancount == 0);
	CHECK_EQ(dns_build_error(&q, DNS_REFUSED, out, rlen - 1), 0);

	/* EDNS version 1: BADVERS, which lives partly in the OPT record. */
	qlen = make_query(buf, sizeof(buf), 3, "x", DNS_T_TXT, true, 1);
	dns_parse(buf, qlen, &q);
	rlen = dns_build_txt(&q, 2000, out, sizeof(out));
	CHECK_EQ(dns_parse(out, rlen, &r), DNS_OK);
	CHECK_EQ(dns_rcode(&r), DNS_BADVERS);
	CHECK(r.ancount == 0);

	/* Opcode STATUS: NOTIMP. */
	qlen = make_query(buf, sizeof(buf), 4, "x", DNS_T_TXT, false, 0);
	buf[2] |= 2 << 3;
	dns_parse(buf, qlen, &q);
	rlen = dns_build_txt(&q, 2000, out, sizeof(out));
	CHECK_EQ(dns_parse(out, rlen, &r), DNS_OK);
	CHECK_EQ(dns_rcode(&r), DNS_NOTIMP);
	CHECK_EQ(DNS_OPCODE(r.flags), 2);

	/* A header-only message: FORMERR without a question. */
	memset(buf, 0, 12);
	buf[1] = 5;
	dns_parse(buf, 12, &q);
	rlen = dns_build_txt(&q, 500, out, sizeof(out));
	CHECK_EQ(rlen, 12);
	CHECK_EQ(out[3] & 0xf, DNS_FORMERR);
	CHECK_EQ(out[1], 5);
}

static void same_question(void)
{
	struct dns_msg a, b;
	size_t n;

	n = make_query(buf, sizeof(buf), 1, "MiXeD.Example", DNS_T_A, false, 0);
	dns_parse(buf, n, &a);
	n = make_query(buf, sizeof(buf), 2, "mixed.example", DNS_T_A, true, 0);
	dns_parse(buf, n, &b);
	CHECK(dns_same_question(&a, &b));
	n = make_query(buf, sizeof(buf), 2, "mixed.example", DNS_T_AAAA, true, 0);
	dns_parse(buf, n, &b);
	CHECK(!dns_same_question(&a, &b));
	n = make_query(buf, sizeof(buf), 2, "mixed.exampla", DNS_T_A, true, 0);
	dns_parse(buf, n, &b);
	CHECK(!dns_same_question(&a, &b));
}

/* Every prefix of a valid message is refused (counts promise more), and
 * neither truncation nor random damage reads outside the message (ASan). */
static void truncated_every_length(void)
{
	struct dns_msg q, m;
	size_t qlen, rlen;
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	static uint8_t cut[8192];

	qlen = make_query(buf, sizeof(buf), 77, "trunc.example.org", DNS_T_TXT, true, 0);
	dns_parse(buf, qlen, &q);
	rlen = dns_build_txt(&q, 3000, out, sizeof(out));
	CHECK(rlen == 3000);
	for (size_t l = 0; l < qlen; l++) {
		memcpy(cut, buf, l);	/* exact-size copy: ASan sees any overread */
		CHECKF(dns_parse(cut, l, &m) != DNS_OK, "query prefix %zu accepted", l);
	}
	for (size_t l = 0; l < rlen; l++) {
		uint8_t *exact = cut + sizeof(cut) - l;

		memcpy(exact, out, l);
		CHECKF(dns_parse(exact, l, &m) != DNS_OK, "answer prefix %zu accepted", l);
	}
	CHECK_EQ(dns_parse(out, rlen, &m), DNS_OK);
	/* Random damage: any verdict, no crash, and OK only with a question. */
	for (int i = 0; i < 20000; i++) {
		size_t l = rlen < 600 ? rlen : 600;

		memcpy(cut, out, l);
		for (int k = 0; k < 4; k++) {
			rng ^= rng << 13;
			rng ^= rng >> 7;
			rng ^= rng << 17;
			cut[(rng >> 8) % l] = (uint8_t)(rng >> 40);
		}
		if (dns_parse(cut, (rng >> 20) % (l + 1), &m) == DNS_OK)
			CHECK(m.has_question && m.qname_len >= 1);
	}
}

int main(void)
{
	RUN(parse_query);
	RUN(name_text_escapes);
	RUN(pointer_loops);
	RUN(pointer_hop_limit);
	RUN(bad_names);
	RUN(counts_and_opt);
	RUN(builder_sizes);
	RUN(builder_errors);
	RUN(same_question);
	RUN(truncated_every_length);
	return t_done();
}
