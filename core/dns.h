/* dns.h - DNS messages: reading a query or response (header, question with
 * name compression, EDNS(0) OPT) and building the answers a front end
 * writes itself: error responses and TXT responses of a chosen size
 * (RFC 1035 §3.1, §4.1, RFC 1035 §3.3.14 TXT, RFC 6891 EDNS(0), RFC 4343 case,
 * RFC 9619 one question).
 *
 * Everything is read through core/cursor.h.  A name is followed through at
 * most DNS_MAX_POINTERS compression pointers, each of which must point
 * strictly before the label that holds it, so a hostile message can neither
 * loop nor send the reader forward into itself.
 */
#ifndef V6_DNS_H
#define V6_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define DNS_HDR_LEN	12
#define DNS_NAME_MAX	255	/* wire octets of a name, root label included (RFC 1035 §3.1) */
#define DNS_LABEL_MAX	63
#define DNS_NAME_TEXT	(4 * DNS_NAME_MAX + 2)	/* presentation form, every octet as \DDD */
#define DNS_MAX_POINTERS 64
#define DNS_MSG_MAX	65535
#define DNS_UDP_MAX	65527	/* largest DNS payload of one IPv6 UDP datagram */
#define DNS_OPT_RR_LEN	11	/* an OPT record without options */
#define DNS_EDNS_PADDING 12	/* EDNS(0) option code of Padding (RFC 7830) */
#define DNS_PAD_OPT_HDR	4	/* option code + option length */

/* Header flag bits (RFC 1035 §4.1.1). */
#define DNS_F_QR	0x8000
#define DNS_F_AA	0x0400
#define DNS_F_TC	0x0200
#define DNS_F_RD	0x0100
#define DNS_F_RA	0x0080
#define DNS_OPCODE(f)	(((f) >> 11) & 0xf)
#define DNS_RCODE(f)	((f) & 0xf)

enum dns_rcode {
	DNS_NOERROR = 0, DNS_FORMERR = 1, DNS_SERVFAIL = 2, DNS_NXDOMAIN = 3,
	DNS_NOTIMP = 4, DNS_REFUSED = 5, DNS_BADVERS = 16,
};

enum {
	DNS_T_A = 1, DNS_T_NS = 2, DNS_T_CNAME = 5, DNS_T_SOA = 6, DNS_T_PTR = 12,
	DNS_T_MX = 15, DNS_T_TXT = 16, DNS_T_AAAA = 28, DNS_T_SRV = 33, DNS_T_OPT = 41,
	DNS_T_DS = 43, DNS_T_RRSIG = 46, DNS_T_DNSKEY = 48, DNS_T_HTTPS = 65,
	DNS_T_ANY = 255,
	DNS_C_IN = 1,
};

/* Why a message was not usable; DNS_OK when it was. */
enum dns_err {
	DNS_OK = 0,
	DNS_E_SHORT,		/* fewer than 12 octets */
	DNS_E_TRUNCATED,	/* a count or length promises more than the message holds */
	DNS_E_LABEL,		/* label type 01/10 (RFC 6891 §5 obsoleted extended labels) */
	DNS_E_NAME_LONG,	/* name over 255 octets */
	DNS_E_POINTER,		/* compression pointer not strictly backwards, or too many */
	DNS_E_QDCOUNT,		/* not exactly one question */
	DNS_E_OPT,		/* more than one OPT, or OPT not at the root */
	DNS_E_N
};

const char *dns_err_name(enum dns_err e);

struct dns_msg {
	uint16_t id, flags;
	uint16_t qdcount, ancount, nscount, arcount;
	/* the question (qdcount == 1) */
	uint8_t qname[DNS_NAME_MAX];	/* uncompressed wire form */
	uint16_t qname_len;
	uint16_t qtype, qclass;
	bool has_question;		/* qname/qtype/qclass were read */
	uint16_t question_end;		/* offset just after the question */
	/* EDNS(0) */
	bool has_opt;
	uint16_t opt_udp_size;		/* requestor's payload size */
	uint8_t opt_ext_rcode;		/* upper 8 bits of the 12-bit rcode */
	uint8_t opt_version;
	bool opt_do;
	enum dns_err err;
	uint32_t err_off;		/* where the problem was found */
};

/* Read a whole message: header, exactly one question, then every record of
 * the three other sections (skipped, except OPT).  Returns msg->err. */
enum dns_err dns_parse(const uint8_t *buf, size_t len, struct dns_msg *msg);

/* Full 12-bit rcode of a parsed response (OPT extended rcode included). */
static inline unsigned dns_rcode(const struct dns_msg *m)
{
	return (unsigned)m->opt_ext_rcode << 4 | DNS_RCODE(m->flags);
}

/* Same question?  Names compared case-insensitively (RFC 4343). */
bool dns_same_question(const struct dns_msg *a, const struct dns_msg *b);

/* Presentation form ("www.example.com.", "." for the root, RFC 4343 \. and
 * \DDD escapes) of an uncompressed wire name. */
const char *dns_name_text(const uint8_t *wire, size_t len, char out[DNS_NAME_TEXT]);

/* Names of types and rcodes ("TXT", "SERVFAIL"); "TYPE1234" / "RCODE12" otherwise. */
const char *dns_type_name(uint16_t type, char buf[16]);
const char *dns_rcode_name(unsigned rcode, char buf[16]);

/* Response to `q` with no answer: ID, opcode and RD copied, QR set, rcode
 * (BADVERS needs an OPT and gets one), the question echoed (or none when
 * the query had none usable), an OPT record when the query had one.
 * Returns the length written, 0 when cap is too small. */
size_t dns_build_error(const struct dns_msg *q, unsigned rcode, uint8_t *out, size_t cap);

/* Built-in answer of `size` octets to `q`: TXT records owned by the query
 * name, in the answer section for TXT and ANY queries and in the additional
 * section otherwise (so the answer to an A query stays a valid NODATA
 * answer), AA set, TTL 0.  Exactly `size` octets when that is at least the
 * smallest possible answer (header + question + OPT + one empty TXT
 * record), else that smallest answer.  Queries that are not opcode QUERY get
 * NOTIMP; an EDNS version above 0 gets BADVERS (RFC 6891 §6.1.3).
 * The requestor's UDP payload size is deliberately NOT honoured: the point
 * of the front end is to send large answers as IPv6 fragments.
 * Returns the length written, 0 when cap is too small. */
size_t dns_build_txt(const struct dns_msg *q, size_t size, uint8_t *out, size_t cap);

/* Smallest answer dns_build_txt() can produce for q. */
size_t dns_txt_min_size(const struct dns_msg *q);

/* Pieces for answers built elsewhere in the core (core/probe): the header
 * of a response to q (ID, opcode and RD copied, QR and `flags` set; QDCOUNT
 * 1 when q has a question), the question echoed as received, and an OPT
 * record (UDP size 4096, version 0, DO echoed, extended rcode from `rcode`),
 * bare (dns_put_opt) or holding one Padding option (RFC 7830) of `pad` zero octets: the record
 * then takes DNS_OPT_RR_LEN + DNS_PAD_OPT_HDR + pad octets.  Errors are the
 * writer's sticky overflow. */
void dns_put_header(struct wcur *w, const struct dns_msg *q, uint16_t flags,
		    uint16_t an, uint16_t ns, uint16_t ar);
void dns_put_question(struct wcur *w, const struct dns_msg *q);
void dns_put_opt(struct wcur *w, const struct dns_msg *q, unsigned rcode);
void dns_put_opt_padded(struct wcur *w, const struct dns_msg *q, unsigned rcode, uint16_t pad);

#endif
