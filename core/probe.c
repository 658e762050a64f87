/* probe.c - the dnsfrag probe zone: names, answers (CNAME + RFC 7830
 * Padding), the bounded probe table and its verdicts (RFC 1034 §3.6.2,
 * RFC 1035, RFC 2308, RFC 4343, RFC 6891, RFC 7830, RFC 8020). */
#include "probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cursor.h"
#include "emit.h"
#include "nat.h"
#include "util.h"

#define TTL 0
#define SOA_SERIAL 1
#define RR_FIXED 10		/* type, class, TTL, RDLENGTH */
#define PTR_LEN 2
#define TXT_RR_MIN (PTR_LEN + RR_FIXED + 1)	/* owner pointer + one empty string */
#define NIL UINT32_MAX

static const char *const kind_names[PROBE_K_N] = {
	"outside", "probe", "followup", "bad_nonce", "apex", "ns", "ok", "nxdomain",
	"refused", "notimp", "badvers",
};
static const char *const refuse_names[PROBE_R_N] = { "label_octets", "label_long", "class" };
static const char *const result_names[PROBE_V_N] = { "delivered", "lost", "unknown" };
static const char *const end_names[PROBE_E_N] = { "followup", "timeout", "evict", "shutdown" };

const char *probe_kind_name(enum probe_kind k)
{
	return (unsigned)k < PROBE_K_N ? kind_names[k] : "?";
}

const char *probe_refuse_name(enum probe_refuse r)
{
	return (unsigned)r < PROBE_R_N ? refuse_names[r] : "?";
}

const char *probe_result_name(enum probe_result r)
{
	return (unsigned)r < PROBE_V_N ? result_names[r] : "?";
}

const char *probe_end_name(enum probe_end e)
{
	return (unsigned)e < PROBE_E_N ? end_names[e] : "?";
}

static uint8_t lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + 32) : ch;
}

/* Letters, digits, '-' and '_' (RFC 952 LDH, plus '_' of service labels). */
static bool name_octet(uint8_t ch)
{
	ch = lower(ch);
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

bool probe_zone_parse(const char *text, struct probe_zone *z, const char **why)
{
	size_t n = 0, tl = strlen(text);
	const char *s = text;

	memset(z, 0, sizeof(*z));
	if (tl && text[tl - 1] == '.')
		tl--;
	if (tl == 0) {
		*why = "the probe zone cannot be the root";
		return false;
	}
	while (s < text + tl) {
		const char *dot = memchr(s, '.', (size_t)(text + tl - s));
		size_t ll = dot ? (size_t)(dot - s) : (size_t)(text + tl - s);

		if (ll == 0) {
			*why = "empty label";
			return false;
		}
		if (ll > DNS_LABEL_MAX) {
			*why = "label longer than 63 octets";
			return false;
		}
		if (n + 1 + ll + 1 > DNS_NAME_MAX) {
			*why = "name longer than 255 octets";
			return false;
		}
		z->wire[n++] = (uint8_t)ll;
		for (size_t i = 0; i < ll; i++) {
			if (!name_octet((uint8_t)s[i])) {
				*why = "labels take letters, digits, '-' and '_' only";
				return false;
			}
			z->wire[n++] = lower((uint8_t)s[i]);
		}
		s += ll + (dot ? 1 : 0);
	}
	z->wire[n++] = 0;
	z->len = (uint16_t)n;
	dns_name_text(z->wire, z->len, z->text);
	return true;
}

static bool label_is(const uint8_t *l, size_t len, const char *word)
{
	size_t wl = strlen(word);

	if (len != wl)
		return false;
	for (size_t i = 0; i < len; i++)
		if (lower(l[i]) != (uint8_t)word[i])
			return false;
	return true;
}

static int hexval(uint8_t ch)
{
	ch = lower(ch);
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* LABEL-NONCE: LABEL valid, '-', 16 hex digits. */
static bool split_followup(const uint8_t *l, size_t len, struct probe_name *n)
{
	size_t ll;

	if (len < 1 + 1 + PROBE_NONCE_HEX)
		return false;
	ll = len - 1 - PROBE_NONCE_HEX;
	if (ll > PROBE_LABEL_MAX || l[ll] != '-')
		return false;
	for (size_t i = 0; i < 8; i++) {
		int hi = hexval(l[ll + 1 + 2 * i]), lo = hexval(l[ll + 2 + 2 * i]);

		if (hi < 0 || lo < 0)
			return false;
		n->nonce[i] = (uint8_t)(hi << 4 | lo);
	}
	for (size_t i = 0; i < ll; i++)
		n->label[i] = lower(l[i]);
	n->label_len = (uint8_t)ll;
	return true;
}

enum probe_kind probe_classify(const struct probe_zone *z, const struct dns_msg *q,
			       struct probe_name *n)
{
	struct cur c;
	size_t starts[DNS_NAME_MAX / 2 + 1], nl = 0, zoff;
	uint8_t len;
	bool odd = false;

	memset(n, 0, sizeof(*n));
	n->kind = PROBE_K_OUTSIDE;
	if (!q->has_question || q->qname_len < z->len)
		return n->kind;
	zoff = (size_t)q->qname_len - z->len;
	for (size_t i = 0; i < z->len; i++)
		if (lower(q->qname[zoff + i]) != z->wire[i])
			return n->kind;
	/* Walk the labels left of the zone: the suffix must start on a label. */
	cur_init(&c, q->qname, zoff);
	while (cur_left(&c) > 0) {
		const uint8_t *l;

		starts[nl++] = cur_off(&c);
		if (!cur_u8(&c, &len) || len == 0 || !(l = cur_take(&c, len)))
			return n->kind;	/* the zone's bytes matched inside a label */
		for (size_t i = 0; i < len; i++)
			if (!name_octet(l[i]))
				odd = true;
	}
	n->zone_off = (uint16_t)zoff;

	if (DNS_OPCODE(q->flags) != 0)
		return n->kind = PROBE_K_NOTIMP;
	if (q->has_opt && q->opt_version > 0)
		return n->kind = PROBE_K_BADVERS;
	if (q->qclass != DNS_C_IN) {
		n->refuse = PROBE_R_CLASS;
		return n->kind = PROBE_K_REFUSED;
	}
	if (odd) {
		n->refuse = PROBE_R_LABEL_OCTETS;
		return n->kind = PROBE_K_REFUSED;
	}
	if (nl == 0)
		return n->kind = PROBE_K_APEX;
	if (nl == 1) {
		const uint8_t *l = q->qname + 1;
		size_t ll = q->qname[0];

		if (label_is(l, ll, "ok"))
			return n->kind = PROBE_K_OK;
		if (label_is(l, ll, "ns"))
			return n->kind = PROBE_K_NS;
		if (ll > PROBE_LABEL_MAX) {
			n->refuse = PROBE_R_LABEL_LONG;
			return n->kind = PROBE_K_REFUSED;
		}
		for (size_t i = 0; i < ll; i++)
			n->label[i] = lower(l[i]);
		n->label_len = (uint8_t)ll;
		return n->kind = PROBE_K_PROBE;
	}
	if (nl == 2 && label_is(q->qname + starts[1] + 1, q->qname[starts[1]], "ok") &&
	    split_followup(q->qname + 1, q->qname[0], n))
		return n->kind = PROBE_K_FOLLOWUP;
	return n->kind = PROBE_K_NXDOMAIN;
}

/* ---- the table ---- */

enum { ST_FREE = 0, ST_OPEN, ST_DONE };

struct entry {
	uint8_t label[PROBE_LABEL_MAX];
	uint8_t label_len;
	uint8_t state;
	uint8_t n_clients;
	bool clients_capped;
	uint8_t clients[PROBE_CLIENTS_MAX][16];	/* [0] is the first */
	uint32_t attempts, fragments;
	uint32_t gen;
	uint64_t first_us, deadline_us;
	uint32_t hnext;			/* hash chain */
	uint32_t prev, next;		/* FIFO (deadline order) or free list (next) */
};

struct probe_table {
	struct probe_cfg cfg;
	struct probe_counters ctr;
	struct entry *e;
	uint32_t *bucket;
	uint32_t mask;
	/* Two FIFOs in deadline order, indexed by state: open probes (deadline
	 * = first ask + timeout) and tombstones of probes with a verdict
	 * (deadline = verdict + timeout); and the free list. */
	uint32_t head[3], tail[3], free;
	uint8_t key[16];		/* hash and NONCE MAC key */
	uint8_t pool[512];		/* random octets for NONCEs, refilled when used up */
	size_t pool_used;
};

struct probe_table *probe_new(const struct probe_cfg *cfg, char err[128])
{
	struct probe_table *t;
	uint32_t nb = 1;

	if (cfg->zone.len < 2) {
		snprintf(err, 128, "no probe zone");
		return NULL;
	}
	if (cfg->size > DNS_UDP_MAX) {
		snprintf(err, 128, "probe size %u over %u octets", cfg->size, DNS_UDP_MAX);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->cfg = *cfg;
	if (!t->cfg.size)
		t->cfg.size = PROBE_SIZE_DEFAULT;
	if (!t->cfg.timeout_us)
		t->cfg.timeout_us = PROBE_TIMEOUT_DEFAULT_US;
	if (!t->cfg.max_probes)
		t->cfg.max_probes = PROBE_MAX_DEFAULT;
	if (t->cfg.max_probes > (1u << 24))
		t->cfg.max_probes = 1u << 24;
	if (!t->cfg.eh)
		t->cfg.eh = "";
	while (nb < 2 * t->cfg.max_probes)
		nb <<= 1;
	t->e = xcalloc(t->cfg.max_probes, sizeof(*t->e));
	t->bucket = xmalloc(nb * sizeof(*t->bucket));
	for (uint32_t i = 0; i < nb; i++)
		t->bucket[i] = NIL;
	t->mask = nb - 1;
	for (uint32_t i = 0; i < t->cfg.max_probes; i++)
		t->e[i].next = i + 1 < t->cfg.max_probes ? i + 1 : NIL;
	t->free = 0;
	for (int k = 0; k < 3; k++)
		t->head[k] = t->tail[k] = NIL;
	v6_random(t->key, sizeof(t->key));
	t->pool_used = sizeof(t->pool);
	return t;
}

void probe_free(struct probe_table *t)
{
	if (!t)
		return;
	free(t->e);
	free(t->bucket);
	free(t);
}

const struct probe_counters *probe_counters(const struct probe_table *t)
{
	return &t->ctr;
}

static uint32_t hash_label(const struct probe_table *t, const uint8_t *l, size_t len)
{
	return (uint32_t)nat_siphash(t->key, l, len) & t->mask;
}

static uint32_t lookup(const struct probe_table *t, const uint8_t *l, size_t len)
{
	for (uint32_t i = t->bucket[hash_label(t, l, len)]; i != NIL; i = t->e[i].hnext)
		if (t->e[i].label_len == len && !memcmp(t->e[i].label, l, len))
			return i;
	return NIL;
}

static void list_out(struct probe_table *t, uint32_t i)
{
	struct entry *e = &t->e[i];

	if (e->prev != NIL)
		t->e[e->prev].next = e->next;
	else
		t->head[e->state] = e->next;
	if (e->next != NIL)
		t->e[e->next].prev = e->prev;
	else
		t->tail[e->state] = e->prev;
	if (e->state == ST_OPEN)
		t->ctr.open--;
}

/* Append to the list of `state` (its deadlines never decrease: every
 * deadline is some now + timeout, and the clock goes forward). */
static void list_in(struct probe_table *t, uint32_t i, uint8_t state, uint64_t deadline)
{
	struct entry *e = &t->e[i];

	e->state = state;
	e->deadline_us = deadline;
	e->prev = t->tail[state];
	e->next = NIL;
	if (t->tail[state] != NIL)
		t->e[t->tail[state]].next = i;
	else
		t->head[state] = i;
	t->tail[state] = i;
	if (state == ST_OPEN)
		t->ctr.open++;
}

static void unlink_entry(struct probe_table *t, uint32_t i)
{
	struct entry *e = &t->e[i];
	uint32_t *pp = &t->bucket[hash_label(t, e->label, e->label_len)];

	while (*pp != i)
		pp = &t->e[*pp].hnext;
	*pp = e->hnext;
	list_out(t, i);
	e->state = ST_FREE;
	e->gen++;
	e->next = t->free;
	t->free = i;
}

static void verdict(struct probe_table *t, struct entry *e, enum probe_result r,
		    enum probe_end end, const uint8_t *fclient, uint64_t now_us)
{
	struct probe_verdict v;
	uint8_t w[1 + PROBE_LABEL_MAX + DNS_NAME_MAX];

	/* The name came from a parsed query: it fits in 255 octets. */
	memset(&v, 0, sizeof(v));
	w[0] = e->label_len;
	memcpy(w + 1, e->label, e->label_len);
	memcpy(w + 1 + e->label_len, t->cfg.zone.wire, t->cfg.zone.len);
	dns_name_text(w, (size_t)1 + e->label_len + t->cfg.zone.len, v.qname);
	memcpy(v.client, e->clients[0], 16);
	v.clients = e->n_clients;
	v.clients_capped = e->clients_capped;
	v.attempts = e->attempts;
	v.fragments = e->fragments;
	v.eh = t->cfg.eh;
	v.verdict = r;
	v.end = end;
	if (fclient) {
		v.followup = true;
		memcpy(v.followup_client, fclient, 16);
		v.followup_ms = (double)(now_us - e->first_us) / 1000.0;
	}
	t->ctr.verdicts[r]++;
	if (t->cfg.on_verdict)
		t->cfg.on_verdict(t->cfg.ctx, &v);
}

/* A verdict was written: the entry stays as a tombstone for one more
 * timeout, so the resolver's later retries of the name are repeats. */
static void to_tombstone(struct probe_table *t, uint32_t i, uint64_t now_us)
{
	list_out(t, i);
	list_in(t, i, ST_DONE, now_us + t->cfg.timeout_us);
}

/* Make room: the oldest tombstone goes silently; without one, the oldest
 * open probe (`unknown`, end `evict`). */
static void evict_oldest(struct probe_table *t, uint64_t now_us)
{
	uint32_t i = t->head[ST_DONE] != NIL ? t->head[ST_DONE] : t->head[ST_OPEN];

	if (i == NIL)
		return;
	if (t->e[i].state == ST_OPEN) {
		t->ctr.evicted++;
		verdict(t, &t->e[i], PROBE_V_UNKNOWN, PROBE_E_EVICT, NULL, now_us);
	}
	unlink_entry(t, i);
}

static uint32_t open_probe(struct probe_table *t, const struct probe_name *n, uint64_t now_us)
{
	uint32_t i, h;
	struct entry *e;

	if (t->free == NIL)
		evict_oldest(t, now_us);
	i = t->free;
	e = &t->e[i];
	t->free = e->next;
	memcpy(e->label, n->label, n->label_len);
	e->label_len = n->label_len;
	e->n_clients = 0;
	e->clients_capped = false;
	e->attempts = e->fragments = 0;
	e->first_us = now_us;
	h = hash_label(t, e->label, e->label_len);
	e->hnext = t->bucket[h];
	t->bucket[h] = i;
	list_in(t, i, ST_OPEN, now_us + t->cfg.timeout_us);
	t->ctr.probes++;
	return i;
}

static void add_client(struct entry *e, const uint8_t client[16])
{
	for (unsigned k = 0; k < e->n_clients; k++)
		if (!memcmp(e->clients[k], client, 16))
			return;
	if (e->n_clients < PROBE_CLIENTS_MAX)
		memcpy(e->clients[e->n_clients++], client, 16);
	else
		e->clients_capped = true;
}

/* ---- NONCEs ---- */

static void nonce_mac(const struct probe_table *t, const uint8_t *label, size_t len,
		      const uint8_t rnd[4], uint8_t mac[4])
{
	uint8_t buf[PROBE_LABEL_MAX + 4];
	uint64_t h;

	memcpy(buf, label, len);
	memcpy(buf + len, rnd, 4);
	h = nat_siphash(t->key, buf, len + 4);
	for (int i = 0; i < 4; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
}

static void new_nonce(struct probe_table *t, const uint8_t *label, size_t len, uint8_t nonce[8])
{
	if (t->pool_used + 4 > sizeof(t->pool)) {
		v6_random(t->pool, sizeof(t->pool));
		t->pool_used = 0;
	}
	memcpy(nonce, t->pool + t->pool_used, 4);
	t->pool_used += 4;
	nonce_mac(t, label, len, nonce, nonce + 4);
}

static bool nonce_ok(const struct probe_table *t, const struct probe_name *n)
{
	uint8_t mac[4];

	nonce_mac(t, n->label, n->label_len, n->nonce, mac);
	return !memcmp(mac, n->nonce + 4, 4);
}

/* ---- answers ---- */

struct ans {
	struct wcur w;
	const struct dns_msg *q;
	const struct probe_table *t;
	uint16_t zptr;			/* compression pointer to ZONE in the question */
};

static void rr_head(struct ans *a, uint16_t owner_ptr, uint16_t type, uint16_t rdlen)
{
	wcur_be16(&a->w, owner_ptr);
	wcur_be16(&a->w, type);
	wcur_be16(&a->w, DNS_C_IN);
	wcur_be32(&a->w, TTL);
	wcur_be16(&a->w, rdlen);
}

/* "word" + pointer to ZONE. */
static void put_word_zone(struct ans *a, const char *word)
{
	size_t l = strlen(word);

	wcur_u8(&a->w, (uint8_t)l);
	wcur_bytes(&a->w, word, l);
	wcur_be16(&a->w, a->zptr);
}

#define SOA_RDLEN (1 + 2 + PTR_LEN + 1 + 10 + PTR_LEN + 20)

static void put_soa(struct ans *a)
{
	rr_head(a, a->zptr, DNS_T_SOA, SOA_RDLEN);
	put_word_zone(a, "ns");
	put_word_zone(a, "hostmaster");
	wcur_be32(&a->w, SOA_SERIAL);
	wcur_be32(&a->w, 3600);		/* refresh */
	wcur_be32(&a->w, 600);		/* retry */
	wcur_be32(&a->w, 86400);	/* expire */
	wcur_be32(&a->w, 0);		/* minimum: negative answers are not cached (RFC 2308 §5) */
}

static void put_aaaa(struct ans *a, uint16_t owner_ptr)
{
	rr_head(a, owner_ptr, DNS_T_AAAA, 16);
	wcur_bytes(&a->w, a->t->cfg.addr, 16);
}

/* Small answers: everything but the probe answer. */
static size_t small_answer(struct ans *a, enum probe_kind k)
{
	const struct dns_msg *q = a->q;
	uint16_t qt = q->qtype;
	bool aaaa = qt == DNS_T_AAAA || qt == DNS_T_ANY;
	uint16_t an = 0, ns = 0, ar = q->has_opt;
	unsigned rcode = DNS_NOERROR;
	enum { NONE, SOA, NS, AAAA } what = NONE;

	switch (k) {
	case PROBE_K_APEX:
		if (qt == DNS_T_SOA || qt == DNS_T_ANY)
			what = SOA;
		else if (qt == DNS_T_NS)
			what = NS;
		break;
	case PROBE_K_NS:
	case PROBE_K_FOLLOWUP:
		if (aaaa)
			what = AAAA;
		break;
	case PROBE_K_BAD_NONCE:
	case PROBE_K_NXDOMAIN:
		rcode = DNS_NXDOMAIN;
		break;
	default:
		break;
	}
	if (what == NONE)
		ns = 1;
	else
		an = 1;
	if (what == NS)
		ar++;
	dns_put_header(&a->w, q, (uint16_t)(DNS_F_AA | rcode), an, ns, ar);
	dns_put_question(&a->w, q);
	switch (what) {
	case SOA:
		put_soa(a);
		break;
	case NS:
		rr_head(a, a->zptr, DNS_T_NS, 1 + 2 + PTR_LEN);
		{
			uint16_t ns_off = (uint16_t)wcur_off(&a->w);

			put_word_zone(a, "ns");
			put_aaaa(a, (uint16_t)(0xc000 | ns_off));
		}
		break;
	case AAAA:
		put_aaaa(a, 0xc000 | DNS_HDR_LEN);
		break;
	case NONE:
		put_soa(a);
		break;
	}
	if (q->has_opt)
		dns_put_opt(&a->w, q, rcode);
	return a->w.overflow ? 0 : wcur_off(&a->w);
}

static void put_hex(struct wcur *w, const uint8_t *b, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		wcur_u8(w, (uint8_t)hex[b[i] >> 4]);
		wcur_u8(w, (uint8_t)hex[b[i] & 15]);
	}
}

/* One TXT record of rdlen octets owned by the question name. */
static void put_txt(struct ans *a, size_t rdlen)
{
	rr_head(a, 0xc000 | DNS_HDR_LEN, DNS_T_TXT, (uint16_t)rdlen);
	while (rdlen > 0) {
		size_t piece = rdlen < 256 ? rdlen : 256;

		wcur_u8(&a->w, (uint8_t)(piece - 1));
		for (size_t i = 0; i + 1 < piece; i++)
			wcur_u8(&a->w, 'p');
		rdlen -= piece;
	}
}

static size_t probe_answer_msg(struct ans *a, const struct probe_name *n, const uint8_t nonce[8],
			       bool *no_edns)
{
	const struct dns_msg *q = a->q;
	size_t target = a->t->cfg.size, cname_rd = 1 + n->label_len + 1 + PROBE_NONCE_HEX + 3 + PTR_LEN;
	size_t base = DNS_HDR_LEN + q->qname_len + 4u + PTR_LEN + RR_FIXED + cname_rd;
	size_t pad = 0;

	*no_edns = !q->has_opt;
	if (q->has_opt) {
		base += DNS_OPT_RR_LEN + DNS_PAD_OPT_HDR;
		pad = target > base ? target - base : 0;
	} else {
		pad = target > base + TXT_RR_MIN ? target - base : TXT_RR_MIN;
	}
	dns_put_header(&a->w, q, DNS_F_AA, 1, 0, 1);
	dns_put_question(&a->w, q);
	rr_head(a, 0xc000 | DNS_HDR_LEN, DNS_T_CNAME, (uint16_t)cname_rd);
	wcur_u8(&a->w, (uint8_t)(n->label_len + 1 + PROBE_NONCE_HEX));
	wcur_bytes(&a->w, n->label, n->label_len);
	wcur_u8(&a->w, '-');
	put_hex(&a->w, nonce, 8);
	put_word_zone(a, "ok");
	if (q->has_opt)
		dns_put_opt_padded(&a->w, q, 0, (uint16_t)(pad > 0xffff ? 0xffff : pad));
	else
		put_txt(a, pad - PTR_LEN - RR_FIXED);
	return a->w.overflow ? 0 : wcur_off(&a->w);
}

enum probe_kind probe_query(struct probe_table *t, const struct dns_msg *q,
			    const uint8_t client[16], uint64_t now_us,
			    uint8_t *out, size_t cap, struct probe_answer *pa)
{
	struct probe_name n;
	struct ans a;
	enum probe_kind k = probe_classify(&t->cfg.zone, q, &n);
	uint32_t i;

	memset(pa, 0, sizeof(*pa));
	pa->slot = NIL;
	pa->kind = k;
	if (k == PROBE_K_OUTSIDE)
		return k;
	probe_expire(t, now_us);	/* a name past its deadline is a new probe */
	if (k == PROBE_K_FOLLOWUP && !nonce_ok(t, &n))
		pa->kind = k = PROBE_K_BAD_NONCE;
	t->ctr.queries++;
	t->ctr.kinds[k]++;
	wcur_init(&a.w, out, cap);
	a.q = q;
	a.t = t;
	a.zptr = (uint16_t)(0xc000 | (DNS_HDR_LEN + n.zone_off));

	switch (k) {
	case PROBE_K_REFUSED:
		t->ctr.refused[n.refuse]++;
		pa->rcode = DNS_REFUSED;
		pa->len = dns_build_error(q, DNS_REFUSED, out, cap);
		return k;
	case PROBE_K_NOTIMP:
		pa->rcode = DNS_NOTIMP;
		pa->len = dns_build_error(q, DNS_NOTIMP, out, cap);
		return k;
	case PROBE_K_BADVERS:
		pa->rcode = DNS_BADVERS;
		pa->len = dns_build_error(q, DNS_BADVERS, out, cap);
		return k;
	case PROBE_K_PROBE: {
		uint8_t nonce[8];
		bool no_edns;

		i = lookup(t, n.label, n.label_len);
		if (i == NIL)
			i = open_probe(t, &n, now_us);
		if (t->e[i].state == ST_DONE) {
			t->ctr.repeats++;
		} else {
			t->e[i].attempts++;
			add_client(&t->e[i], client);
			pa->slot = i;
			pa->gen = t->e[i].gen;
		}
		new_nonce(t, n.label, n.label_len, nonce);
		pa->len = probe_answer_msg(&a, &n, nonce, &no_edns);
		pa->fragment = true;
		t->ctr.attempts++;
		t->ctr.no_edns += no_edns;
		return k;
	}
	case PROBE_K_FOLLOWUP:
		i = lookup(t, n.label, n.label_len);
		if (i != NIL && t->e[i].state == ST_OPEN) {
			to_tombstone(t, i, now_us);
			verdict(t, &t->e[i], PROBE_V_DELIVERED, PROBE_E_FOLLOWUP, client, now_us);
		} else {
			t->ctr.followups_late++;
		}
		break;
	default:
		break;
	}
	pa->len = small_answer(&a, k);
	pa->rcode = k == PROBE_K_NXDOMAIN || k == PROBE_K_BAD_NONCE ? DNS_NXDOMAIN : DNS_NOERROR;
	return k;
}

void probe_sent(struct probe_table *t, const struct probe_answer *a, unsigned fragments)
{
	if (a->slot >= t->cfg.max_probes || t->e[a->slot].gen != a->gen ||
	    t->e[a->slot].state == ST_FREE)
		return;
	t->e[a->slot].fragments = fragments;
}

uint64_t probe_next_deadline(const struct probe_table *t)
{
	uint64_t a = t->head[ST_OPEN] == NIL ? UINT64_MAX : t->e[t->head[ST_OPEN]].deadline_us;
	uint64_t b = t->head[ST_DONE] == NIL ? UINT64_MAX : t->e[t->head[ST_DONE]].deadline_us;

	return a < b ? a : b;
}

size_t probe_expire(struct probe_table *t, uint64_t now_us)
{
	size_t n = 0;
	uint32_t i;

	while ((i = t->head[ST_OPEN]) != NIL && t->e[i].deadline_us <= now_us) {
		to_tombstone(t, i, now_us);
		verdict(t, &t->e[i], PROBE_V_LOST, PROBE_E_TIMEOUT, NULL, now_us);
		n++;
	}
	while ((i = t->head[ST_DONE]) != NIL && t->e[i].deadline_us <= now_us)
		unlink_entry(t, i);
	return n;
}

void probe_flush(struct probe_table *t)
{
	uint32_t i;

	while ((i = t->head[ST_OPEN]) != NIL) {
		verdict(t, &t->e[i], PROBE_V_UNKNOWN, PROBE_E_SHUTDOWN, NULL, 0);
		unlink_entry(t, i);
	}
	while ((i = t->head[ST_DONE]) != NIL)
		unlink_entry(t, i);
}

void probe_put_verdict(const struct probe_verdict *v, uint64_t wall_us)
{
	char a[46];

	em_begin("verdict");
	em_ts(EM_ANY, "%s ", wall_us);
	em_str(EM_ANY, "qname", "%s ", v->qname);
	em_str(EM_ANY, "client", "from %s ", fmt_ip6(v->client, a));
	em_u64(EM_ANY, "clients", "clients %llu ", v->clients);
	em_bool(EM_JSON, "clients_capped", NULL, v->clients_capped);
	em_u64(EM_ANY, "attempts", "attempts %llu ", v->attempts);
	em_u64(EM_ANY, "fragments", "fragments %llu ", v->fragments);
	em_str(EM_JSON, "eh", NULL, v->eh);
	em_bool(EM_JSON, "followup", NULL, v->followup);
	if (v->followup) {
		em_str(EM_ANY, "followup_client", "followup from %s ", fmt_ip6(v->followup_client, a));
		em_dbl(EM_ANY, "followup_ms", "after %.3f ms ", v->followup_ms);
	} else {
		em_null(EM_JSON, "followup_client", NULL);
		em_null(EM_JSON, "followup_ms", NULL);
	}
	em_str(EM_ANY, "verdict", "%s", probe_result_name(v->verdict));
	em_str(EM_ANY, "end", " (%s)", probe_end_name(v->end));
	em_end();
}
