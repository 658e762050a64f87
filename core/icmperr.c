/* icmperr.c - ICMPv6 errors matched to the fragments we sent (RFC 4443 §3,
 * RFC 8200 §4.5, RFC 7112, RFC 8883). */
#include "icmperr.h"

#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "csum.h"
#include "emit.h"
#include "names.h"
#include "nat.h"
#include "util.h"

#define NIL UINT32_MAX
#define ICMP6_HDR 8

static const char *const result_names[ICMPERR_R_N] = {
	"matched", "not_error", "truncated", "bad_checksum", "unfragmented", "unknown", "mismatch",
};
static const char *const type_names[ICMPERR_T_N] = {
	"destination_unreachable", "packet_too_big", "time_exceeded", "parameter_problem",
};

/* RFC 4443 §3, RFC 7112 §6, RFC 8883 §2. */
static const struct tok unreach_codes[] = {
	{ 0, "no_route" }, { 1, "admin_prohibited" }, { 2, "beyond_scope" },
	{ 3, "address_unreachable" }, { 4, "port_unreachable" }, { 5, "source_policy" },
	{ 6, "reject_route" }, { 7, "source_routing_header" }, { 8, "headers_too_long" },
	{ 0, NULL }
};
static const struct tok time_codes[] = {
	{ 0, "hop_limit_exceeded" }, { 1, "reassembly_time_exceeded" }, { 0, NULL }
};
static const struct tok param_codes[] = {
	{ 0, "erroneous_header_field" }, { 1, "unrecognized_next_header" },
	{ 2, "unrecognized_option" }, { 3, "incomplete_header_chain" }, { 4, "srh_error" },
	{ 5, "ext_header_too_big" }, { 6, "ext_header_chain_too_long" },
	{ 7, "too_many_ext_headers" }, { 8, "too_many_options" }, { 9, "option_too_big" },
	{ 10, "header_too_long" }, { 0, NULL }
};

const char *icmperr_result_name(enum icmperr_result r)
{
	return (unsigned)r < ICMPERR_R_N ? result_names[r] : "?";
}

const char *icmperr_type_name(uint8_t type)
{
	return type >= 1 && type <= 4 ? type_names[type - 1] : NULL;
}

const char *icmperr_code_name(uint8_t type, uint8_t code)
{
	switch (type) {
	case 1: return tok_name(unreach_codes, code);
	case 2: return code == 0 ? "packet_too_big" : NULL;
	case 3: return tok_name(time_codes, code);
	case 4: return tok_name(param_codes, code);
	default: return NULL;
	}
}

struct send_entry {
	struct icmperr_send s;
	uint64_t sent_us;
	uint32_t hnext, pnext;	/* chains: (client, frag ID); (client, proto, ports) */
	bool in_frag, in_port;	/* linked in each; neither = free */
};

struct icmperr {
	struct send_entry *e;
	uint32_t n, next;		/* ring size, next slot to write */
	uint32_t *bucket, *pbucket;
	uint32_t mask;
	uint64_t max_age_us;
	uint8_t key[16];
	struct icmperr_counters ctr;
};

struct icmperr *icmperr_new(uint32_t max_sends, uint64_t max_age_us)
{
	struct icmperr *t = xcalloc(1, sizeof(*t));
	uint32_t nb = 1;

	if (!max_sends)
		max_sends = ICMPERR_SENDS_DEFAULT;
	if (max_sends > (1u << 22))
		max_sends = 1u << 22;
	t->n = max_sends;
	t->max_age_us = max_age_us ? max_age_us : ICMPERR_AGE_DEFAULT_US;
	t->e = xcalloc(max_sends, sizeof(*t->e));
	while (nb < 2 * max_sends)
		nb <<= 1;
	t->bucket = xmalloc(nb * sizeof(*t->bucket));
	t->pbucket = xmalloc(nb * sizeof(*t->pbucket));
	for (uint32_t i = 0; i < nb; i++)
		t->bucket[i] = t->pbucket[i] = NIL;
	t->mask = nb - 1;
	v6_random(t->key, sizeof(t->key));
	return t;
}

void icmperr_free(struct icmperr *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->bucket);
	free(t->pbucket);
	free(t);
}

const struct icmperr_counters *icmperr_counters(const struct icmperr *t)
{
	return &t->ctr;
}

static uint32_t *chain(struct icmperr *t, const uint8_t client[16], uint32_t id)
{
	uint8_t k[20];

	memcpy(k, client, 16);
	memcpy(k + 16, &id, 4);
	return &t->bucket[(uint32_t)nat_siphash(t->key, k, sizeof(k)) & t->mask];
}

/* TCP sends noted with their sequence number (has_seq) are keyed on it too:
 * every segment of a connection is an entry of its own. */
static uint32_t key_seq(const struct icmperr_send *s)
{
	return s->has_seq ? s->seq : 0;
}

static uint32_t *pchain(struct icmperr *t, const uint8_t client[16], uint8_t proto, uint16_t sport,
			uint16_t dport, uint32_t seq)
{
	uint8_t k[25];

	memcpy(k, client, 16);
	k[16] = proto;
	memcpy(k + 17, &sport, 2);
	memcpy(k + 19, &dport, 2);
	memcpy(k + 21, &seq, 4);
	return &t->pbucket[(uint32_t)nat_siphash(t->key, k, sizeof(k)) & t->mask];
}

/* Unlink entry i from its (client, frag ID) chain. */
static void unlink_frag(struct icmperr *t, uint32_t i)
{
	uint32_t *pp = chain(t, t->e[i].s.client, t->e[i].s.frag_id);

	while (*pp != NIL && *pp != i)
		pp = &t->e[*pp].hnext;
	if (*pp == i)
		*pp = t->e[i].hnext;
	t->e[i].in_frag = false;
}

/* Unlink entry i from its (client, proto, ports) chain. */
static void unlink_port(struct icmperr *t, uint32_t i)
{
	const struct icmperr_send *s = &t->e[i].s;
	uint32_t *pp = pchain(t, s->client, s->proto, s->sport, s->dport, key_seq(s));

	while (*pp != NIL && *pp != i)
		pp = &t->e[*pp].pnext;
	if (*pp == i)
		*pp = t->e[i].pnext;
	t->e[i].in_port = false;
}

static uint32_t find(struct icmperr *t, const uint8_t client[16], uint32_t id)
{
	for (uint32_t i = *chain(t, client, id); i != NIL; i = t->e[i].hnext)
		if (t->e[i].s.frag_id == id && !memcmp(t->e[i].s.client, client, 16))
			return i;
	return NIL;
}

static uint32_t find_port(struct icmperr *t, const uint8_t client[16], uint8_t proto, uint16_t sport,
			  uint16_t dport, uint32_t seq)
{
	for (uint32_t i = *pchain(t, client, proto, sport, dport, seq); i != NIL; i = t->e[i].pnext) {
		const struct icmperr_send *s = &t->e[i].s;

		if (s->proto == proto && s->sport == sport && s->dport == dport &&
		    key_seq(s) == seq && !memcmp(s->client, client, 16))
			return i;
	}
	return NIL;
}

void icmperr_note_send(struct icmperr *t, const struct icmperr_send *s, uint64_t now_us)
{
	uint32_t i = t->next, old, *head;

	t->ctr.sends++;
	if (t->e[i].in_frag)
		unlink_frag(t, i);
	if (t->e[i].in_port)
		unlink_port(t, i);
	/* A re-send with the same key replaces the older entry in that chain
	 * (which keeps every chain short: one TCP connection's many segments
	 * share one (client, ports) key). */
	if (!s->whole && (old = find(t, s->client, s->frag_id)) != NIL)
		unlink_frag(t, old);
	if ((old = find_port(t, s->client, s->proto, s->sport, s->dport, key_seq(s))) != NIL)
		unlink_port(t, old);
	t->e[i].s = *s;
	t->e[i].sent_us = now_us;
	if (!s->whole) {
		head = chain(t, s->client, s->frag_id);
		t->e[i].hnext = *head;
		*head = i;
		t->e[i].in_frag = true;
	}
	head = pchain(t, s->client, s->proto, s->sport, s->dport, key_seq(s));
	t->e[i].pnext = *head;
	*head = i;
	t->e[i].in_port = true;
	t->next = (i + 1) % t->n;
}

static enum icmperr_result done(struct icmperr *t, struct icmperr_report *r, enum icmperr_result res)
{
	r->result = res;
	t->ctr.results[res]++;
	if (res == ICMPERR_MATCHED)
		t->ctr.errors[r->type - 1]++;
	return res;
}

/* A quote without a Fragment header: a packet sent whole, or the datagram
 * a receiver reassembled from our fragments (Linux quotes that one for a
 * Parameter Problem about a Destination Options option).  It matches by
 * quoted destination, transport protocol and ports (the newest send with
 * them), then quoted source; with no ports in the quote, or no such send,
 * it stays `unfragmented`. */
static enum icmperr_result match_whole(struct icmperr *t, const struct pkt *q,
				       const struct pkt_ip *ip, uint64_t now_us,
				       struct icmperr_report *r)
{
	const struct icmperr_send *s;
	uint32_t i;

	if (q->l4 != 6 && q->l4 != 17)
		return done(t, r, ICMPERR_UNFRAGMENTED);
	r->ports_seen = true;
	/* TCP: the segment with the quoted sequence number, else a send noted
	 * without one */
	i = find_port(t, ip->dst, q->l4, q->sport, q->dport, q->l4 == 6 ? q->tcp_seq : 0);
	if (i == NIL && q->l4 == 6 && q->tcp_seq)
		i = find_port(t, ip->dst, q->l4, q->sport, q->dport, 0);
	if (i == NIL || now_us - t->e[i].sent_us > t->max_age_us)
		return done(t, r, ICMPERR_UNFRAGMENTED);
	s = &t->e[i].s;
	if (memcmp(s->src, ip->src, 16))
		return done(t, r, ICMPERR_MISMATCH);
	if (!s->whole) {
		r->has_frag = true;
		r->frag_id = s->frag_id;
	}
	r->quote_whole = true;
	r->tag = s->tag;
	r->sent_us = t->e[i].sent_us;
	return done(t, r, ICMPERR_MATCHED);
}

enum icmperr_result icmperr_input(struct icmperr *t, const uint8_t from[16], const uint8_t *msg,
				  size_t len, uint64_t now_us, struct icmperr_report *r)
{
	struct cur c;
	struct pkt q;
	const struct pkt_ip *ip;
	const uint8_t *quote;
	uint32_t word = 0;
	uint32_t i;
	size_t qlen;

	memset(r, 0, sizeof(*r));
	memcpy(r->from, from, 16);
	t->ctr.messages++;
	cur_init(&c, msg, len);
	cur_u8(&c, &r->type);
	cur_u8(&c, &r->code);
	cur_skip(&c, 2);
	cur_be32(&c, &word);
	if (c.trunc)
		return done(t, r, len && (msg[0] < 1 || msg[0] > 4) ? ICMPERR_NOT_ERROR : ICMPERR_TRUNCATED);
	if (r->type < 1 || r->type > 4)
		return done(t, r, ICMPERR_NOT_ERROR);
	if (r->type == 2) {
		r->has_mtu = true;
		r->mtu = word;
	} else if (r->type == 4) {
		r->has_pointer = true;
		r->pointer = word;
	}
	qlen = cur_left(&c);
	quote = cur_take(&c, qlen);
	/* The quote is cut (RFC 4443 §2.4(c)): "truncated" is its normal state;
	 * what matters is which fields the parser could fill. */
	pkt_parse(&q, V6_DLT_IPV6, quote, (uint32_t)qlen, 0);
	ip = q.n_ip ? &q.ip[0] : NULL;
	if (!ip || ip->version != 6 || qlen < 40)
		return done(t, r, ICMPERR_TRUNCATED);
	memcpy(r->quoted_src, ip->src, 16);
	memcpy(r->client, ip->dst, 16);
	if (!ip->frag_hdr_off) {
		if (pkt_is_ext6(ip->proto) || (ip->verdict != PKT_OK && ip->ul_off == 0))
			return done(t, r, ICMPERR_TRUNCATED);
		return match_whole(t, &q, ip, now_us, r);
	}
	r->has_frag = true;
	r->frag_id = ip->frag_id;
	r->frag_off = ip->frag_off;
	r->ports_seen = ip->frag_off == 0 && (q.l4 == 6 || q.l4 == 17);
	i = find(t, ip->dst, ip->frag_id);
	if (i == NIL || now_us - t->e[i].sent_us > t->max_age_us)
		return done(t, r, ICMPERR_UNKNOWN);
	{
		const struct icmperr_send *s = &t->e[i].s;

		bool proto_ok;

		/* Extension headers may sit between the Fragment header and the
		 * transport (--eh dst:N): where the quote shows the transport it
		 * must be ours; where it shows only extension headers, they pass. */
		if (ip->frag_off == 0)
			proto_ok = ip->proto == s->proto || pkt_is_ext6(ip->proto);
		else
			proto_ok = ip->frag_nh == s->proto || pkt_is_ext6(ip->frag_nh);
		if (memcmp(s->src, ip->src, 16) || !proto_ok ||
		    (r->ports_seen && (q.l4 != s->proto || q.sport != s->sport || q.dport != s->dport)))
			return done(t, r, ICMPERR_MISMATCH);
		r->tag = s->tag;
		r->sent_us = t->e[i].sent_us;
	}
	return done(t, r, ICMPERR_MATCHED);
}

enum icmperr_result icmperr_input_pkt(struct icmperr *t, const struct pkt *p, uint64_t now_us,
				      struct icmperr_report *r)
{
	const struct pkt_ip *ip = pkt_inner(p);
	struct cur frame, m;
	size_t have;
	const uint8_t *msg;

	if (!ip || ip->version != 6 || p->l4 != 58 || ip->frag) {
		static const uint8_t none[16];

		memset(r, 0, sizeof(*r));
		t->ctr.messages++;
		if (ip)
			memcpy(r->from, ip->src, 16);
		else
			memcpy(r->from, none, 16);
		return done(t, r, ICMPERR_NOT_ERROR);
	}
	cur_init(&frame, p->data, p->caplen);
	cur_window(&frame, ip->ul_off, ip->ul_len, &m);
	have = cur_left(&m);
	msg = cur_take(&m, have);
	if (have == ip->ul_len && have >= ICMP6_HDR) {
		uint32_t sum = csum_pseudo6(ip->src, ip->final_dst, 58, (uint32_t)have);

		if (csum_fold(csum_partial(msg, have, sum)) != 0) {
			memset(r, 0, sizeof(*r));
			memcpy(r->from, ip->src, 16);
			r->type = p->icmp_type;
			r->code = p->icmp_code;
			t->ctr.messages++;
			return done(t, r, ICMPERR_BAD_CHECKSUM);
		}
	}
	return icmperr_input(t, ip->src, msg, have, now_us, r);
}

void icmperr_put(const struct icmperr_report *r, uint64_t wall_us)
{
	char a[46];
	const char *tn = icmperr_type_name(r->type), *cn = icmperr_code_name(r->type, r->code);

	em_begin("icmp");
	em_ts(EM_ANY, "%s ", wall_us);
	em_str(EM_ANY, "from", "from %s ", fmt_ip6(r->from, a));
	em_u64(EM_JSON, "icmp_type", NULL, r->type);
	em_str(EM_ANY, "icmp_type_name", "%s ", tn ? tn : "?");
	em_u64(EM_ANY, "icmp_code", "code %llu ", r->code);
	if (cn)
		em_str(EM_ANY, "icmp_code_name", "(%s) ", cn);
	else
		em_null(EM_JSON, "icmp_code_name", NULL);
	if (r->has_mtu)
		em_u64(EM_ANY, "mtu", "mtu %llu ", r->mtu);
	if (r->has_pointer)
		em_u64(EM_ANY, "pointer", "pointer %llu ", r->pointer);
	em_str(EM_ANY, "client", "client %s ", fmt_ip6(r->client, a));
	/* frag_id: the quoted fragment's, or (reassembled quote) the send's;
	 * null for a packet sent whole.  frag_off: null when the quote holds
	 * no Fragment header. */
	if (r->has_frag)
		em_u64(EM_ANY, "frag_id", "id %llu ", r->frag_id);
	else
		em_null(EM_JSON, "frag_id", NULL);
	if (r->quote_whole)
		em_null(EM_JSON, "frag_off", NULL);
	else
		em_u64(EM_ANY, "frag_off", "offset %llu", r->frag_off);
	em_end();
}
