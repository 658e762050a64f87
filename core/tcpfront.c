/* tcpfront.c - IPv6 TCP NAT front end that sends re-cut back-end segments as
 * two fragments each (RFC 9293, RFC 8200 §4.5/§8.1, RFC 1624, RFC 6146). */
#include "tcpfront.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "build.h"
#include "csum.h"
#include "cursor.h"
#include "eh.h"
#include "frag.h"
#include "pkt.h"
#include "tcpseg.h"
#include "util.h"


#define FRAME_CAP	(BUILD_ETH_LEN + 40 + 65535 + 64)
#define IP6_OFF_SRC	8
#define TCP_OFF_CSUM	16

struct tf {
	struct tf_config cfg;
	struct nat_table *nat;
	struct tf_counters ctr;
	uint8_t *frame;			/* frame being built (Ethernet + IPv6 packet) */
	uint8_t *ehframe;		/* --eh: the frame with the chain (swapped with frame) */
	struct tcpseg_piece *pieces;
	size_t max_pieces;
	uint32_t clamp;			/* MSS announced to the back end (0: no clamping) */
	struct frag_plan plan;
	struct frag_idgen idgen;
	struct frag_out *fo;
	struct acktrack *ack;		/* per binding slot (nat_index); NULL: tracking off */
	uint32_t *icmp_errs;		/* per binding slot: matched ICMPv6 errors (with cfg.icmp) */
};

static const char *const drop_names[TF_DROP_N] = {
	"malformed", "truncated", "fragment", "not_ours", "no_binding", "bad_checksum",
	"too_big", "frag_refused", "send_failed",
};

const char *tf_drop_name(enum tf_drop d)
{
	return (unsigned)d < TF_DROP_N ? drop_names[d] : "?";
}

/* Largest piece behind a thl-octet TCP header: --mss, and with --eh or
 * --no-fragment what the client link's MTU leaves beside the chain (whole
 * packet, or the leading fragment of a two-fragment piece). */
static uint32_t piece_max(const struct tf *t, uint32_t thl)
{
	uint32_t e = t->cfg.eh ? t->cfg.eh->total : 0, mtu = t->cfg.client_mtu, over;

	if (!mtu || t->cfg.split_chain || (!e && !t->cfg.no_fragment))
		return t->cfg.mss;	/* split chain: the fragmenter cuts to the MTU */
	over = t->cfg.no_fragment ? 40 + e + thl : 40 + e + FRAG_HDR_LEN + thl;
	if (!t->cfg.no_fragment)
		mtu += t->cfg.tail;		/* the trailing fragment carries the tail */
	return mtu <= over ? 1 : mtu - over < t->cfg.mss ? mtu - over : t->cfg.mss;
}

/* --eh: the chain into the frame being sent (t->frame, len octets); the new
 * length, 0 when the packet cannot take it (counted too_big). */
static size_t with_eh(struct tf *t, size_t len)
{
	uint8_t *x;
	size_t out;

	if (!t->cfg.eh)
		return len;
	if (eh_insert(t->cfg.eh, V6_DLT_EN10MB, t->frame, len, t->ehframe, FRAME_CAP, &out) != EH_INSERTED) {
		t->ctr.dropped[TF_DROP_TOO_BIG]++;
		return 0;
	}
	x = t->frame;
	t->frame = t->ehframe;
	t->ehframe = x;
	return out;
}

/* ---- measurement verdicts: core/acktrack per binding, core/icmperr notes ---- */

static struct acktrack *ack_of(struct tf *t, const struct nat_binding *b)
{
	return t->ack ? &t->ack[nat_index(t->nat, b)] : NULL;
}

const struct acktrack *tf_binding_ack(const struct tf *t, const struct nat_binding *b)
{
	return t->ack ? &t->ack[nat_index(t->nat, b)] : NULL;
}

void tf_icmp_error(struct tf *t, uint64_t tag, const uint8_t client[16], uint64_t sent_us)
{
	struct nat_binding *b;

	if (!t->icmp_errs || tag > UINT16_MAX)
		return;
	b = nat_find_nat(t->nat, (uint16_t)tag);
	/* the NAT port may have gone to a newer binding since */
	if (b && !memcmp(b->client, client, 16) && b->created_us <= sent_us)
		t->icmp_errs[nat_index(t->nat, b)]++;
}

uint32_t tf_binding_icmp(const struct tf *t, const struct nat_binding *b)
{
	return t->icmp_errs ? t->icmp_errs[nat_index(t->nat, b)] : 0;
}

static void ack_ended(struct tf *t, const struct nat_binding *b)
{
	const struct acktrack *a = tf_binding_ack(t, b);

	if (!a)
		return;
	t->ctr.verdicts[ackt_verdict(a)]++;
	t->ctr.acks_out_of_window += a->acks_out_of_window;
	t->ctr.acks_stale += a->acks_stale;
	t->ctr.sack_invalid += a->sack_invalid;
	t->ctr.segs_out_of_window += a->segs_out_of_window;
}

/* A piece of len octets at seq went to the client as two fragments (t->fo,
 * frags) or, with --eh, carrying the chain whole (frags 0): tracked either way. */
static void frag_sent(struct tf *t, const struct nat_binding *b, uint32_t seq, uint32_t len,
		      int frags, uint64_t now)
{
	struct acktrack *a = ack_of(t, b);

	if (a && (frags || t->cfg.eh))
		ackt_frag(a, seq, len);
	if (frags && t->cfg.icmp) {
		struct icmperr_send s = { .frag_id = t->fo->id, .proto = 6, .sport = b->service_port,
					  .dport = b->client_port, .tag = b->nat_port,
					  .has_seq = true, .seq = seq };

		memcpy(s.src, t->cfg.listen, 16);
		memcpy(s.client, b->client, 16);
		icmperr_note_send(t->cfg.icmp, &s, now);
	}
}

static void on_nat_end(void *ctx, const struct nat_binding *b, enum nat_end why)
{
	struct tf *t = ctx;

	ack_ended(t, b);
	if (why == NAT_END_EVICT)
		t->ctr.evicted++;
	if (t->cfg.on_binding)
		t->cfg.on_binding(t->cfg.ctx, b, why == NAT_END_EVICT ? TF_EV_EVICT : TF_EV_CLOSE, why);
}

struct tf *tf_new(const struct tf_config *cfg, char err[128])
{
	struct tf *t;
	struct nat_config nc;

	if (cfg->mss < 64 || cfg->mss > 65000) {
		snprintf(err, 128, "mss %u outside 64..65000", cfg->mss);
		return NULL;
	}
	if (cfg->tail < 8 || cfg->tail + 8 > cfg->mss) {
		snprintf(err, 128, "tail %u outside 8..mss-8 (%u)", cfg->tail, cfg->mss - 8);
		return NULL;
	}
	if (!cfg->send || !cfg->ports) {
		snprintf(err, 128, "no sender or no service ports");
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	t->cfg = *cfg;
	if (!t->cfg.hop_limit)
		t->cfg.hop_limit = 64;
	nc = cfg->nat;
	nc.on_end = on_nat_end;
	nc.ctx = t;
	t->nat = nat_new(&nc);
	if (!t->nat) {
		snprintf(err, 128, "impossible NAT table (empty port pool or zero bindings)");
		free(t);
		return NULL;
	}
	t->frame = xmalloc(FRAME_CAP);
	if (!cfg->no_tracking)
		t->ack = xcalloc(nat_capacity(t->nat), sizeof(*t->ack));
	if (cfg->icmp)
		t->icmp_errs = xcalloc(nat_capacity(t->nat), sizeof(*t->icmp_errs));
	t->max_pieces = tcpseg_max_pieces(65535, cfg->tail);
	t->pieces = xcalloc(t->max_pieces, sizeof(*t->pieces));
	if (cfg->eh && !cfg->eh->n)
		t->cfg.eh = NULL;
	if (t->cfg.eh)
		t->ehframe = xmalloc(FRAME_CAP);
	if (cfg->clamp_mss)
		t->clamp = cfg->no_fragment ? piece_max(t, 20) : tcpseg_clamp_mss(piece_max(t, 20), cfg->tail);
	frag_plan_init(&t->plan);
	t->plan.trailing = cfg->tail;
	t->plan.id_policy = (enum frag_id_policy)cfg->frag_id_policy;
	t->plan.fixed_id = cfg->frag_fixed_id;
	t->plan.idgen = &t->idgen;
	t->fo = xcalloc(1, sizeof(*t->fo));
	t->fo->cap = 2 * FRAME_CAP + 2 * BUILD_ETH_LEN;
	t->fo->buf = xmalloc(t->fo->cap);
	return t;
}

void tf_free(struct tf *t)
{
	if (!t)
		return;
	nat_free(t->nat);
	free(t->ack);
	free(t->icmp_errs);
	free(t->frame);
	free(t->ehframe);
	free(t->pieces);
	free(t->fo->buf);
	free(t->fo);
	free(t);
}

const struct tf_counters *tf_counters(const struct tf *t) { return &t->ctr; }

void tf_set_backend_mac(struct tf *t, const uint8_t mac[6])
{
	memcpy(t->cfg.backend_nh_mac, mac, 6);
}
uint32_t tf_bindings_open(const struct tf *t) { return nat_count(t->nat); }

void tf_expire(struct tf *t, uint64_t now_us) { nat_expire(t->nat, now_us); }
void tf_flush(struct tf *t) { nat_flush(t->nat); }

static bool drop(struct tf *t, enum tf_drop d)
{
	t->ctr.dropped[d]++;
	return false;
}

static bool send_frame(struct tf *t, enum tf_leg leg, const uint8_t *f, size_t len)
{
	if (t->cfg.send(t->cfg.ctx, leg, f, len) < 0)
		return drop(t, TF_DROP_SEND_FAILED);
	if (leg == TF_LEG_CLIENT)
		t->ctr.to_client++;
	else
		t->ctr.to_backend++;
	return true;
}

/* Copy the IPv6 packet of `p` behind a new Ethernet header into t->frame with
 * its addresses and ports replaced and the TCP checksum updated (RFC 1624).
 * Returns the frame length (0 when it does not fit); *ip_off and *tcp_off
 * tell where the headers are in t->frame. */
static size_t rewrite(struct tf *t, const struct pkt *p, const uint8_t eth_dst[6],
		      const uint8_t eth_src[6], const uint8_t src[16], const uint8_t dst[16],
		      uint16_t sport, uint16_t dport, size_t *ip_off, size_t *tcp_off)
{
	const struct pkt_ip *ip = &p->ip[0];
	struct cur in, win;
	struct wcur w;
	uint16_t cs = p->l4_csum;

	cur_init(&in, p->data, p->caplen);
	if (!cur_window(&in, ip->off, ip->tot_len, &win))
		return 0;
	wcur_init(&w, t->frame, FRAME_CAP);
	build_eth(&w, eth_dst, eth_src, BUILD_NO_VLAN, 0x86dd);
	*ip_off = wcur_off(&w);
	*tcp_off = *ip_off + (p->l4_off - ip->off);
	wcur_from(&w, &win, ip->tot_len);
	cs = csum_update_bytes(cs, ip->src, src, 16);
	cs = csum_update_bytes(cs, ip->dst, dst, 16);
	cs = csum_update16(cs, p->sport, sport);
	cs = csum_update16(cs, p->dport, dport);
	wcur_set_be16(&w, *tcp_off, sport);
	wcur_set_be16(&w, *tcp_off + 2, dport);
	wcur_set_be16(&w, *tcp_off + TCP_OFF_CSUM, cs);
	if (w.overflow)
		return 0;
	{
		struct wcur a;

		wcur_init(&a, t->frame + *ip_off + IP6_OFF_SRC, 32);
		wcur_bytes(&a, src, 16);
		wcur_bytes(&a, dst, 16);
	}
	return wcur_off(&w);
}

/* Lower the MSS option of a SYN in place (RFC 9293 §3.7.1, RFC 6691). */
static void clamp_mss(struct tf *t, size_t tcp_off, size_t thl)
{
	struct cur c;
	struct wcur w;
	uint16_t cs = 0, mss;
	uint8_t kind, len;

	cur_init(&c, t->frame, tcp_off + thl);
	cur_skip(&c, tcp_off + 20);
	wcur_init(&w, t->frame, tcp_off + thl);
	while (cur_u8(&c, &kind) && kind != 0) {
		if (kind == 1)
			continue;
		if (!cur_u8(&c, &len) || len < 2)
			return;
		if (kind == 2 && len == 4) {
			size_t at = cur_off(&c);

			if (!cur_be16(&c, &mss))
				return;
			if (mss > t->clamp) {
				struct cur cc;

				cur_init(&cc, t->frame, tcp_off + thl);
				cur_skip(&cc, tcp_off + TCP_OFF_CSUM);
				cur_be16(&cc, &cs);
				wcur_set_be16(&w, at, (uint16_t)t->clamp);
				wcur_set_be16(&w, tcp_off + TCP_OFF_CSUM,
					      csum_update16(cs, mss, (uint16_t)t->clamp));
				t->ctr.clamped++;
			}
			return;
		}
		if (!cur_skip(&c, len - 2u))
			return;
	}
}

static void from_client(struct tf *t, const struct pkt *p, uint64_t now)
{
	const struct pkt_ip *ip = &p->ip[0];
	struct nat_binding *b;
	bool syn = (p->tcp_flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN;
	size_t len, ip_off, tcp_off;
	uint16_t bport;

	if (memcmp(ip->dst, t->cfg.listen, 16) || !port_set_has(t->cfg.ports, p->dport)) {
		drop(t, TF_DROP_NOT_OURS);
		return;
	}
	b = nat_find_client(t->nat, ip->src, p->sport);
	if (b && syn && (b->closing || b->service_port != p->dport)) {
		/* The client reuses its port for a new connection. */
		nat_end(t->nat, b, NAT_END_CLOSE);
		b = NULL;
	}
	if (!b) {
		if (!syn) {
			drop(t, TF_DROP_NO_BINDING);
			return;
		}
		b = nat_open(t->nat, ip->src, p->sport, p->dport, p->has_eth ? p->eth_src : NULL, now);
		t->ctr.bindings_total++;
		if (t->ack)
			ackt_init(ack_of(t, b));
		if (t->icmp_errs)
			t->icmp_errs[nat_index(t->nat, b)] = 0;
		if (t->cfg.on_binding)
			t->cfg.on_binding(t->cfg.ctx, b, TF_EV_OPEN, NAT_END_CLOSE);
	}
	if (t->ack)
		ackt_client_pkt(ack_of(t, b), p);
	if (p->has_eth)		/* follow the client's router if it changes (VRRP, renumbering) */
		memcpy(b->client_mac, p->eth_src, 6);
	bport = t->cfg.backend_port ? t->cfg.backend_port : p->dport;
	len = rewrite(t, p, t->cfg.backend_nh_mac, t->cfg.backend_if_mac, t->cfg.nat_src,
		      t->cfg.backend, b->nat_port, bport, &ip_off, &tcp_off);
	if (!len) {
		drop(t, TF_DROP_TOO_BIG);
		return;
	}
	if (syn && t->clamp)
		clamp_mss(t, tcp_off, p->l4_hlen);
	if (send_frame(t, TF_LEG_BACKEND, t->frame, len))
		b->bytes_to_backend += p->ip[0].tot_len - (p->l4_off - ip->off) - p->l4_hlen;
	nat_seen(t->nat, b, p->tcp_flags, true, now);
}

/* Send one built IPv6 packet (at t->frame + BUILD_ETH_LEN) to the client,
 * whole or as two fragments; returns the fragments sent (0 whole, -1 failed).
 * The fragmenter writes each fragment behind its own copy of the frame's
 * Ethernet header (core/frag link header): no second copy here. */
static int send_piece(struct tf *t, size_t pkt_len, bool frag)
{
	struct frag_plan plan = t->plan;
	int sent = 0;

	if (!frag)
		return send_frame(t, TF_LEG_CLIENT, t->frame, BUILD_ETH_LEN + pkt_len) ? 0 : -1;
	if (t->cfg.split_chain) {	/* --allow-split-chain: as the MTU cuts it */
		plan.trailing = 0;
		plan.max_size = t->cfg.client_mtu;
		plan.min_frags = 2;
	}
	if (t->cfg.eh)		/* a dstu repeats in every fragment too */
		plan.unfrag_min = eh_unfrag_len(t->cfg.eh, t->frame + BUILD_ETH_LEN, pkt_len);
	t->fo->link = t->frame;
	t->fo->link_len = BUILD_ETH_LEN;
	if (frag_split(t->frame + BUILD_ETH_LEN, pkt_len, &plan, t->fo) < 0) {
		debugmsg("fragmenter refused: %s", t->fo->err);
		drop(t, TF_DROP_FRAG_REFUSED);
		return -1;
	}
	for (unsigned i = 0; i < t->fo->n; i++) {
		size_t len;
		const uint8_t *f = frag_frame(t->fo, i, &len);

		if (!f) {
			drop(t, TF_DROP_TOO_BIG);
			return -1;
		}
		if (!send_frame(t, TF_LEG_CLIENT, f, len))
			return -1;
		sent++;
	}
	return sent;
}

static bool segment_csum_ok(const struct pkt *p)
{
	const struct pkt_ip *ip = &p->ip[0];
	struct cur in, seg;
	const uint8_t *b;
	uint32_t len = ip->tot_len - (p->l4_off - ip->off);

	cur_init(&in, p->data, p->caplen);
	if (!cur_window(&in, p->l4_off, len, &seg) || !(b = cur_take(&seg, len)))
		return false;
	return csum_fold(csum_partial(b, len, csum_pseudo6(ip->src, ip->final_dst, 6, len))) == 0;
}

static void from_backend(struct tf *t, const struct pkt *p, uint64_t now)
{
	const struct pkt_ip *ip = &p->ip[0];
	struct nat_binding *b;
	struct tcpseg_seg seg;
	struct tcpseg_addr a;
	struct cur in, segc;
	uint32_t seglen, plen;
	size_t n, ip_off, tcp_off, flen;
	uint64_t frags = 0, segs = 0;
	struct wcur w;

	if (memcmp(ip->src, t->cfg.backend, 16) || memcmp(ip->dst, t->cfg.nat_src, 16)) {
		drop(t, TF_DROP_NOT_OURS);
		return;
	}
	/* The back end (or its router) now sends from another MAC than the
	 * one we send to: our frames may be going nowhere.  Counted; the
	 * caller re-reads the neighbour table (tf_set_backend_mac). */
	if (p->has_eth && t->cfg.backend_dlt == V6_DLT_EN10MB &&
	    memcmp(p->eth_src, t->cfg.backend_nh_mac, 6))
		t->ctr.backend_mac_mismatch++;
	b = nat_find_nat(t->nat, p->dport);
	if (!b || p->sport != (t->cfg.backend_port ? t->cfg.backend_port : b->service_port)) {
		drop(t, b ? TF_DROP_NOT_OURS : TF_DROP_NO_BINDING);
		return;
	}
	if (t->ack)
		ackt_backend_pkt(ack_of(t, b), p);
	seglen = ip->tot_len - (p->l4_off - ip->off);
	plen = seglen - p->l4_hlen;

	if (plen <= (t->cfg.no_fragment ? piece_max(t, p->l4_hlen) : t->cfg.tail) ||
	    (p->tcp_flags & (TCPF_SYN | TCPF_RST))) {
		/* Small segments and handshakes go whole, addresses rewritten. */
		size_t len = rewrite(t, p, b->client_mac, t->cfg.client_if_mac, t->cfg.listen,
				     b->client, b->service_port, b->client_port, &ip_off, &tcp_off);

		if (!len) {
			drop(t, TF_DROP_TOO_BIG);
			return;
		}
		if (t->cfg.backend_csum_partial) {
			wcur_init(&w, t->frame, len);
			w.p = w.end;
			build_l4_checksum(&w, ip_off);
		}
		if (plen && !(len = with_eh(t, len)))
			return;
		if (send_frame(t, TF_LEG_CLIENT, t->frame, len)) {
			t->ctr.segments++;
			t->ctr.whole++;
			b->segments++;
			b->bytes_to_client += plen;
			if (plen)
				frag_sent(t, b, p->tcp_seq, plen, 0, now);
		}
		nat_seen(t->nat, b, p->tcp_flags, false, now);
		return;
	}

	/* Re-cut: the new checksums are computed from scratch, so check the old
	 * one first -- a NAT must not turn a corrupted segment into a valid one. */
	if (!t->cfg.backend_csum_partial && !segment_csum_ok(p)) {
		drop(t, TF_DROP_BAD_CHECKSUM);
		return;
	}
	cur_init(&in, p->data, p->caplen);
	cur_window(&in, p->l4_off, seglen, &segc);
	if (!tcpseg_read(&segc, &seg)) {
		drop(t, TF_DROP_MALFORMED);
		return;
	}
	if (t->cfg.no_fragment || t->cfg.split_chain)
		n = tcpseg_plan_whole(plen, piece_max(t, p->l4_hlen), t->pieces, t->max_pieces);
	else
		n = tcpseg_plan(plen, p->l4_hlen, piece_max(t, p->l4_hlen), t->cfg.tail, t->pieces, t->max_pieces);
	for (size_t i = 0; t->cfg.split_chain && i < n; i++)
		t->pieces[i].frag = t->pieces[i].len > t->cfg.tail;
	if (n == 0) {
		drop(t, TF_DROP_MALFORMED);
		return;
	}
	memcpy(a.src, t->cfg.listen, 16);
	memcpy(a.dst, b->client, 16);
	a.sport = b->service_port;
	a.dport = b->client_port;
	a.tclass = ip->tclass;
	a.flow = ip->flow;
	a.hop_limit = t->cfg.hop_limit;
	if (n > 1 || t->pieces[0].len != plen)
		t->ctr.recut++;
	for (size_t i = 0; i < n; i++) {
		int r;

		wcur_init(&w, t->frame, FRAME_CAP);
		build_eth(&w, b->client_mac, t->cfg.client_if_mac, BUILD_NO_VLAN, 0x86dd);
		if (!tcpseg_build(&w, &seg, &t->pieces[i], i == 0, i + 1 == n, &a)) {
			drop(t, TF_DROP_TOO_BIG);
			break;
		}
		if (!(flen = with_eh(t, wcur_off(&w))))
			break;
		r = send_piece(t, flen - BUILD_ETH_LEN, t->pieces[i].frag);
		if (r < 0)
			break;
		segs++;
		frags += (uint64_t)r;
		if (r == 0)
			t->ctr.whole++;
		frag_sent(t, b, seg.seq + t->pieces[i].off, t->pieces[i].len, r, now);
		b->bytes_to_client += t->pieces[i].len;
	}
	t->ctr.segments += segs;
	t->ctr.fragments += frags;
	b->segments += segs;
	b->fragments += frags;
	nat_seen(t->nat, b, p->tcp_flags, false, now);
}

void tf_input(struct tf *t, enum tf_leg leg, const uint8_t *frame, uint32_t caplen,
	      uint32_t wirelen, uint64_t now_us)
{
	struct pkt p;
	enum pkt_verdict v;

	if (leg == TF_LEG_CLIENT)
		t->ctr.from_client++;
	else
		t->ctr.from_backend++;
	v = pkt_parse(&p, leg == TF_LEG_CLIENT ? t->cfg.client_dlt : t->cfg.backend_dlt,
		      frame, caplen, wirelen);
	if (v == PKT_TRUNCATED) {
		drop(t, TF_DROP_TRUNCATED);
		return;
	}
	if (v == PKT_OK && p.n_ip == 1 && p.ip[0].frag) {
		drop(t, TF_DROP_FRAGMENT);
		return;
	}
	if (v != PKT_OK || p.n_ip != 1 || p.ip[0].version != 6 || p.l4 != 6 ||
	    p.ip[0].rthdr_off || p.l4_hlen < 20) {
		drop(t, TF_DROP_MALFORMED);
		return;
	}
	if (leg == TF_LEG_CLIENT)
		from_client(t, &p, now_us);
	else
		from_backend(t, &p, now_us);
}
