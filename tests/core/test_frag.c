/* test_frag.c - the fragmenter: random packets under random valid plans
 * reassemble (by core/reasm) to the original bytes and every fragment obeys
 * the plan and RFC 8200 §4.5; impossible plans are refused with a reason. */
#include <stdint.h>
#include <stdlib.h>

#include "eh.h"
#include "frag.h"
#include "pkt.h"
#include "reasm.h"
#include "t.h"
#include "frag_gen.h"

static uint8_t pktbuf[70000];
static struct frag_out fo;
static uint8_t *obuf;
static size_t obuf_cap;

static void out_reset(size_t cap)
{
	if (cap > obuf_cap) {
		free(obuf);
		obuf = malloc(cap);
		obuf_cap = cap;
	}
	fo.buf = obuf;
	fo.cap = cap;
}

static int split(const uint8_t *pkt, size_t len, const struct frag_plan *plan)
{
	out_reset(frag_out_need(pkt, len));
	return frag_split(pkt, len, plan, &fo);
}

/* Every property the plan promises, then reassembly to the original bytes.
 * Returns the number of failed checks (for the caller's diagnostics). */
static int check_fragments(const uint8_t *pkt, size_t len, uint32_t unfrag, const struct frag_plan *plan,
			   struct reasm *ra)
{
	int before = t_cur_fail;
	uint32_t maxp = plan->max_size ? plan->max_size : 65575;
	uint32_t F = (uint32_t)len - unfrag, sum = 0, nh_pos;
	bool seen[FRAG_MAX_FRAGS] = { 0 };
	struct reasm_result res;
	int done = 0;
	uint32_t first_data = 0;

	CHECK_EQ(fo.unfrag_len, unfrag);
	if (!fo.fragmented) {
		CHECK_EQ(fo.n, 1);
		CHECK_EQ(fo.piece[0].len, len);
		CHECK_MEM(fo.buf + fo.piece[0].off, pkt, len);
		CHECK(len <= maxp && plan->min_frags < 2 && !plan->trailing && !plan->atomic);
		return t_cur_fail - before;
	}
	CHECK(fo.n >= 1);
	if (fo.n > 1 || !plan->atomic)
		CHECK(fo.n >= (plan->min_frags ? plan->min_frags : 1));
	if (plan->trailing) {
		CHECK_EQ(fo.n, 2);
	}
	if (plan->id_policy == FRAG_ID_FIXED)
		CHECK_EQ(fo.id, plan->fixed_id);
	/* where the Next Header pointing at the Fragment header lives */
	{
		struct pkt p;
		pkt_parse(&p, V6_DLT_IPV6, pkt, (uint32_t)len, (uint32_t)len);
		nh_pos = 6;
		for (unsigned i = 0; i < p.ip[0].n_ext; i++)
			if (p.ip[0].ext[i].off + p.ip[0].ext[i].len == unfrag)
				nh_pos = p.ip[0].ext[i].off;
	}
	for (unsigned e = 0; e < fo.n; e++) {
		const struct frag_piece *pc = &fo.piece[e];
		const uint8_t *f = fo.buf + pc->off;
		struct pkt p;
		const struct pkt_ip *ip;
		enum reasm_status st;
		uint32_t idx;

		CHECK(pc->len <= maxp);
		CHECK_EQ(pc->len, unfrag + 8 + pc->data_len);
		pkt_parse(&p, V6_DLT_IPV6, f, pc->len, pc->len);
		ip = &p.ip[0];
		CHECK(p.n_ip >= 1 && ip->frag);
		CHECK_EQ(ip->tot_len, pc->len);
		CHECK_EQ(ip->frag_id, fo.id);
		CHECK_EQ(ip->frag_off, pc->frag_off);
		CHECK_EQ(ip->mf, pc->more);
		CHECK_EQ(ip->frag_hdr_off, unfrag);
		CHECK_EQ(f[nh_pos], 44);
		CHECK_EQ(f[unfrag], pkt[nh_pos]);
		/* unfragmentable part byte-identical but for Payload Length and that Next Header */
		CHECK_MEM(f, pkt, 4);
		CHECK_MEM(f + 6, pkt + 6, nh_pos - 6);
		CHECK_MEM(f + nh_pos + 1, pkt + nh_pos + 1, unfrag - nh_pos - 1);
		CHECK_MEM(f + unfrag + 8, pkt + unfrag + pc->frag_off, pc->data_len);
		if (pc->more)
			CHECK(pc->data_len % 8 == 0 && pc->data_len >= 8);
		CHECK_EQ(pc->more, pc->frag_off + pc->data_len < F);
		idx = pc->frag_off;
		if (e > 0 && plan->order == FRAG_ORDER_IN)
			CHECK(pc->frag_off > fo.piece[e - 1].frag_off);
		if (e > 0 && plan->order == FRAG_ORDER_REVERSE)
			CHECK(pc->frag_off < fo.piece[e - 1].frag_off);
		if (pc->frag_off == 0) {
			first_data = pc->data_len;
			if (plan->first_size && fo.n > 1)
				CHECK_EQ(pc->data_len, plan->first_size);
			if (plan->rfc7112)
				CHECK(pc->data_len >= fo.chain_len);
		}
		if (!pc->more && plan->trailing)
			CHECK_EQ(pc->data_len, plan->trailing);
		sum += pc->data_len;
		(void)idx;
		/* each offset appears once */
		{
			unsigned k = 0;
			for (unsigned j = 0; j < fo.n; j++)
				if (fo.piece[j].frag_off < pc->frag_off)
					k++;
			CHECK(k < FRAG_MAX_FRAGS && !seen[k]);
			if (k < FRAG_MAX_FRAGS)
				seen[k] = true;
		}
		st = reasm_add(ra, &p, 0, 1000000 + e, e + 1, &res);
		if (fo.n == 1 && plan->atomic) {
			CHECK_EQ(st, REASM_NOT_FRAGMENT);
			CHECK(ip->frag_atomic);
			continue;
		}
		if (e + 1 < fo.n) {
			CHECK_EQ(st, REASM_HELD);
		} else {
			CHECKF(st == REASM_DONE, "status %d reason %s", st, reasm_reason_name(res.reason));
			if (st == REASM_DONE) {
				done = 1;
				CHECK_EQ(res.len, len);
				CHECK(res.len == len && !memcmp(res.data, pkt, len));
				CHECK_EQ(res.n_tags, fo.n);
				/* RFC 7112 verdict agrees with the fragmenter's chain length */
				CHECKF((res.reason == REASM_INCOMPLETE_CHAIN) == (fo.chain_len > first_data),
				       "reason %s chain %u first %u", reasm_reason_name(res.reason), fo.chain_len, first_data);
				if (plan->rfc7112)
					CHECK(res.reason == REASM_OK);
			}
		}
	}
	CHECK_EQ(sum, F);
	(void)done;
	return t_cur_fail - before;
}

static void random_packet(size_t *len, uint32_t *unfrag, size_t maxpay)
{
	enum gen_chain ch = (enum gen_chain)rnd_in(0, GEN_N_CHAINS - 1);
	enum gen_l4 l4 = (enum gen_l4)rnd_in(0, GEN_N_L4 - 1);
	size_t pay = rnd_in(0, 9) == 0 ? rnd_in(0, 16) : rnd_in(0, (uint32_t)maxpay);

	*len = gen_packet(pktbuf, sizeof(pktbuf), ch, l4, pay, unfrag);
}

/* A plan built to be feasible for this packet. */
static void random_valid_plan(struct frag_plan *pl, size_t len, uint32_t unfrag, uint32_t chain,
			      struct frag_idgen *gen)
{
	uint32_t F = (uint32_t)len - unfrag;
	static const uint32_t sizes[] = { 0, 1280, 576, 512, 1500 };

	frag_plan_init(pl);
	pl->order = (enum frag_order)rnd_in(0, 2);
	pl->id_policy = (enum frag_id_policy)rnd_in(0, 2);
	pl->fixed_id = rnd();
	pl->idgen = gen;
	pl->rfc7112 = rnd_in(0, 1);
	pl->max_size = sizes[rnd_in(0, 4)];
	if (rnd_in(0, 3) == 0)
		pl->max_size = unfrag + 8 + 8 * rnd_in(1, 40) + rnd_in(0, 7);
	if (pl->rfc7112 && pl->max_size && pl->max_size < unfrag + 8 + chain + 8)
		pl->max_size = unfrag + 8 + ((chain + 7) & ~7u) + 8;
	switch (rnd_in(0, 4)) {
	case 0:	/* trailing, httpfrag style */
		if (F > 16) {
			uint32_t room = (pl->max_size ? pl->max_size : 65575) - unfrag - 8;
			uint32_t lead = 8 * rnd_in(1, (F - 1) / 8);
			if (pl->rfc7112 && lead < chain)
				lead = (chain + 7) & ~7u;
			if (lead < F && lead <= (room & ~7u) && F - lead <= room)
				pl->trailing = F - lead;
		}
		break;
	case 1:	/* small first fragment */
		if (F > 8) {
			uint32_t room = (pl->max_size ? pl->max_size : 65575) - unfrag - 8;
			uint32_t f = 8 * rnd_in(1, 8);
			if (pl->rfc7112 && f < chain)
				f = (chain + 7) & ~7u;
			if (f < F && f <= (room & ~7u))
				pl->first_size = f;
		}
		break;
	case 2:	/* dnsfrag: at least two */
		if (F >= 16 + (pl->rfc7112 ? ((chain + 7) & ~7u) : 0))
			pl->min_frags = rnd_in(2, 4 < F / 8 ? 4 : F / 8);
		if (pl->rfc7112 && pl->min_frags && (F - ((chain + 7) & ~7u)) / 8 + 1 < pl->min_frags)
			pl->min_frags = 0;
		break;
	case 3:
		pl->atomic = true;
		break;
	default:
		break;
	}
}

static void test_property_valid_plans(void)
{
	struct reasm *ra = reasm_new(NULL);
	struct frag_idgen gen = { 0 };
	unsigned ok = 0, fragmented = 0, shown = 0;

	for (unsigned iter = 0; iter < 3000; iter++) {
		size_t len;
		uint32_t unfrag, chain;
		struct frag_plan pl;
		struct pkt p;

		random_packet(&len, &unfrag, iter % 10 == 0 ? 9000 : 2000);
		CHECK(len > 0);
		pkt_parse(&p, V6_DLT_IPV6, pktbuf, (uint32_t)len, (uint32_t)len);
		chain = p.l4_off + p.l4_hlen - unfrag;
		random_valid_plan(&pl, len, unfrag, chain, &gen);
		if (split(pktbuf, len, &pl)) {
			CHECKF(0, "iter %u: valid plan refused: %s (len %zu unfrag %u max %u first %u trailing %u min %u 7112 %d)",
			       iter, fo.err, len, unfrag, pl.max_size, pl.first_size, pl.trailing, pl.min_frags, pl.rfc7112);
			continue;
		}
		CHECK_EQ(fo.chain_len, chain);
		if (check_fragments(pktbuf, len, unfrag, &pl, ra) && shown++ < 3)
			printf("# iter %u: len %zu unfrag %u max %u first %u trailing %u min %u order %d\n", iter, len,
			       unfrag, pl.max_size, pl.first_size, pl.trailing, pl.min_frags, pl.order);
		ok++;
		fragmented += fo.fragmented && fo.n > 1;
	}
	struct reasm_stats st;
	reasm_get_stats(ra, &st);
	CHECK_EQ(st.in_progress, 0);
	CHECK_EQ(st.bytes_held, 0);
	printf("# %u plans met, %u cut into 2+ fragments, %llu datagrams reassembled\n", ok, fragmented,
	       (unsigned long long)st.datagrams_done);
	CHECK(fragmented > 1000);
	reasm_free(ra);
}

/* Random plans of any kind: either refused with a reason or a valid set. */
static void test_property_any_plan(void)
{
	struct reasm *ra = reasm_new(NULL);
	struct frag_idgen gen = { 0 };
	unsigned refused = 0, met = 0;

	for (unsigned iter = 0; iter < 3000; iter++) {
		size_t len;
		uint32_t unfrag;
		struct frag_plan pl;

		random_packet(&len, &unfrag, 3000);
		frag_plan_init(&pl);
		pl.max_size = rnd_in(0, 3) ? rnd_in(40, 1600) : 0;
		pl.first_size = rnd_in(0, 2) ? 0 : rnd_in(0, 600);
		pl.trailing = rnd_in(0, 3) ? 0 : rnd_in(1, 1500);
		pl.min_frags = rnd_in(0, 3) ? 0 : rnd_in(0, 300);
		pl.atomic = rnd_in(0, 1);
		pl.rfc7112 = rnd_in(0, 1);
		pl.order = (enum frag_order)rnd_in(0, 2);
		pl.id_policy = FRAG_ID_SEQUENTIAL;
		pl.idgen = &gen;
		if (split(pktbuf, len, &pl)) {
			CHECK(fo.err[0] != 0);
			CHECK(strstr(fo.err, "internal") == NULL);
			refused++;
			continue;
		}
		check_fragments(pktbuf, len, unfrag, &pl, ra);
		met++;
	}
	printf("# any plan: %u met, %u refused\n", met, refused);
	CHECK(met > 300 && refused > 300);
	reasm_free(ra);
}

static void expect_refusal(const struct frag_plan *pl, size_t len, const char *what)
{
	int rc = split(pktbuf, len, pl);
	CHECKF(rc == -1 && strstr(fo.err, what), "wanted refusal '%s', got rc %d '%s'", what, rc, fo.err);
}

static void test_impossible_plans(void)
{
	struct frag_plan pl;
	uint32_t unfrag;
	size_t len = gen_packet(pktbuf, sizeof(pktbuf), GEN_NONE, GEN_UDP, 1000, &unfrag);	/* F = 1008 */

	frag_plan_init(&pl);
	pl.max_size = 40 + 8 + 7;
	expect_refusal(&pl, len, "leaves no 8-octet data unit");
	pl.max_size = 40 + 8;
	expect_refusal(&pl, len, "leaves no room for data");
	frag_plan_init(&pl);
	pl.first_size = 4;
	expect_refusal(&pl, len, "smaller than one 8-octet unit");
	pl.first_size = 20;
	expect_refusal(&pl, len, "not a multiple of 8");
	pl.first_size = 1008;	/* alone it means "no cut needed" */
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK(!fo.fragmented);
	pl.min_frags = 2;
	expect_refusal(&pl, len, "nothing left");
	frag_plan_init(&pl);
	pl.trailing = 256;	/* 1008 - 256 = 752 = 94*8: fine */
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	pl.trailing = 250;	/* leading 758 */
	expect_refusal(&pl, len, "not a multiple of 8");
	CHECK(strstr(fo.err, "256") && strstr(fo.err, "248"));
	pl.trailing = 1008;
	expect_refusal(&pl, len, "leaves nothing");
	pl.trailing = 256;
	pl.min_frags = 3;
	expect_refusal(&pl, len, "exactly two");
	pl.min_frags = 0;
	pl.max_size = 512;
	expect_refusal(&pl, len, "does not fit");
	frag_plan_init(&pl);
	pl.min_frags = 200;	/* 1008 octets = 126 units */
	expect_refusal(&pl, len, "whole 8-octet units");
	pl.min_frags = 2000;
	expect_refusal(&pl, len, "too many fragments");
	frag_plan_init(&pl);
	pl.max_size = 40 + 8 + 8;	/* 8 octets per fragment: 126 fragments is fine */
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.n, 126);
	{	/* a 60000-octet datagram at 8 octets per fragment: too many */
		size_t big = gen_packet(pktbuf, sizeof(pktbuf), GEN_NONE, GEN_UDP, 60000, &unfrag);
		expect_refusal(&pl, big, "too many fragments");
		len = gen_packet(pktbuf, sizeof(pktbuf), GEN_NONE, GEN_UDP, 1000, &unfrag);
	}
	/* RFC 7112: a 40-octet TCP header does not fit 16 octets of first fragment */
	len = gen_packet(pktbuf, sizeof(pktbuf), GEN_HBH_DST, GEN_TCP40, 500, &unfrag);
	frag_plan_init(&pl);
	pl.rfc7112 = true;
	pl.first_size = 16;
	expect_refusal(&pl, len, "RFC 7112");
	pl.first_size = 0;
	pl.max_size = unfrag + 8 + 24;
	expect_refusal(&pl, len, "RFC 7112");
	pl.rfc7112 = false;	/* without the flag the same cut is allowed */
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	/* inputs */
	frag_plan_init(&pl);
	expect_refusal(&pl, len - 1, "shorter than its Payload Length");
	expect_refusal(&pl, 30, "shorter than an IPv6 header");
	pktbuf[len] = 0;
	expect_refusal(&pl, len + 1, "longer than its Payload Length");
	pl.min_frags = 2;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	{	/* a fragment is not fragmented again */
		uint8_t copy[2000];
		memcpy(copy, fo.buf + fo.piece[0].off, fo.piece[0].len);
		CHECK_EQ(frag_split(copy, fo.piece[0].len, &pl, &fo), -1);
		CHECK(strstr(fo.err, "already a fragment") != NULL);
	}
	{	/* a caller buffer too small is refused, not overrun */
		uint8_t small[300];
		fo.buf = small;
		fo.cap = sizeof(small);
		CHECK_EQ(frag_split(pktbuf, len, &pl, &fo), -1);
		CHECK(strstr(fo.err, "buffer") != NULL);
		CHECK(frag_out_need(pktbuf, len) >= len + 2 * (unfrag + 8));
	}
	pktbuf[0] = 0x45;
	expect_refusal(&pl, len, "not an IPv6 packet");
}

static void test_exact_cuts(void)
{
	struct frag_plan pl;
	uint32_t unfrag;
	/* the seed's bug: TCP header of 20 octets, trailing 256 */
	size_t len = gen_packet(pktbuf, sizeof(pktbuf), GEN_NONE, GEN_TCP20, 1180, &unfrag);	/* F = 1200 */
	struct reasm *ra = reasm_new(NULL);

	frag_plan_init(&pl);
	pl.trailing = 256;
	pl.id_policy = FRAG_ID_FIXED;
	pl.fixed_id = 0xdeadbeef;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.n, 2);
	CHECK_EQ(fo.piece[0].data_len, 944);
	CHECK_EQ(fo.piece[1].data_len, 256);
	CHECK_EQ(fo.piece[1].frag_off, 944);
	CHECK_EQ(fo.id, 0xdeadbeef);
	CHECK_EQ(check_fragments(pktbuf, len, unfrag, &pl, ra), 0);

	/* 1280 framing of a 4000-octet UDP datagram: 1232 data octets per fragment */
	len = gen_packet(pktbuf, sizeof(pktbuf), GEN_NONE, GEN_UDP, 3992, &unfrag);
	frag_plan_init(&pl);
	pl.max_size = 1280;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.n, 4);
	CHECK_EQ(fo.piece[0].len, 1280);
	CHECK_EQ(fo.piece[0].data_len, 1232);
	CHECK_EQ(fo.piece[3].data_len, 4000 - 3 * 1232);
	CHECK_EQ(check_fragments(pktbuf, len, unfrag, &pl, ra), 0);

	/* dnsfrag: a 100-octet response in at least two fragments */
	len = gen_packet(pktbuf, sizeof(pktbuf), GEN_NONE, GEN_UDP, 92, &unfrag);
	frag_plan_init(&pl);
	pl.min_frags = 2;
	pl.max_size = 512;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.n, 2);
	CHECK_EQ(fo.piece[0].data_len, 56);
	CHECK_EQ(fo.piece[1].data_len, 44);
	CHECK_EQ(check_fragments(pktbuf, len, unfrag, &pl, ra), 0);

	/* Hop-by-Hop + Routing stay in front; Destination Options after RT travel in the data */
	len = gen_packet(pktbuf, sizeof(pktbuf), GEN_HBH_DST_RT_DST, GEN_TCP32, 2000, &unfrag);
	frag_plan_init(&pl);
	pl.max_size = 576;
	pl.order = FRAG_ORDER_REVERSE;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK(unfrag > 40 + 24);
	CHECK_EQ(fo.unfrag_len, unfrag);
	CHECK_EQ(check_fragments(pktbuf, len, unfrag, &pl, ra), 0);

	/* a Destination Options header without Routing header is fragmentable */
	len = gen_packet(pktbuf, sizeof(pktbuf), GEN_DST, GEN_UDP, 1000, &unfrag);
	CHECK_EQ(unfrag, 40);
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.unfrag_len, 40);
	CHECK_EQ(check_fragments(pktbuf, len, unfrag, &pl, ra), 0);
	reasm_free(ra);
}

/* A chain inserted by core/eh, then cut: hbh and dstu repeat in every
 * fragment, dst travels in the first; RFC 7112 refusals name the sizes. */
static uint8_t ehbuf[70000];

static size_t eh_packet(const char *const *specs, bool given, enum gen_chain gch, enum gen_l4 l4,
			size_t payload, struct eh_chain *ch)
{
	char err[EH_ERRLEN];
	uint32_t unfrag;
	size_t len = gen_packet(pktbuf, sizeof(pktbuf), gch, l4, payload, &unfrag), out = 0;

	eh_chain_init(ch);
	for (unsigned i = 0; specs[i]; i++)
		CHECKF(eh_parse(ch, specs[i], err), "%s", err);
	CHECKF(eh_finish(ch, given, err), "%s", err);
	CHECK_EQ(eh_insert(ch, V6_DLT_IPV6, pktbuf, len, ehbuf, sizeof(ehbuf), &out), EH_INSERTED);
	memcpy(pktbuf, ehbuf, out);
	return out;
}

static void test_eh_chains(void)
{
	static const char *const all[] = { "dst:256", "dstu:16", "hbh:8", NULL };
	static const char *const dsts[] = { "dst:8", "dstu:24", NULL };
	static const char *const dstonly[] = { "dst:8", NULL };
	static const char *const given[] = { "dstu:8", "hbh:16", "dst:8", NULL };
	struct reasm *ra = reasm_new(NULL);
	struct eh_chain ch;
	struct frag_plan pl;
	size_t len;
	uint32_t u;

	/* RFC 8200 §4.5 alone: only the leading Hop-by-Hop header repeats */
	len = eh_packet(all, false, GEN_NONE, GEN_UDP, 3000, &ch);
	CHECK_EQ(len, 40 + 8 + 16 + 256 + 8 + 3000);
	frag_plan_init(&pl);
	pl.max_size = 1280;
	pl.rfc7112 = true;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.unfrag_len, 48);
	CHECK_EQ(fo.chain_len, 16 + 256 + 8);
	CHECK_EQ(check_fragments(pktbuf, len, 48, &pl, ra), 0);
	/* the caller says dstu is unfragmentable: hbh + dstu in every fragment */
	u = eh_unfrag_len(&ch, pktbuf, len);
	CHECK_EQ(u, 40 + 8 + 16);
	pl.unfrag_min = u;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.unfrag_len, 64);
	CHECK_EQ(fo.chain_len, 256 + 8);
	CHECK(fo.n >= 3);
	CHECK_EQ(check_fragments(pktbuf, len, 64, &pl, ra), 0);
	/* a boundary that is not one, or past the upper layer, is refused */
	pl.unfrag_min = 60;
	expect_refusal(&pl, len, "extension-header boundary");
	pl.unfrag_min = 40 + 8 + 16 + 256 + 8;
	expect_refusal(&pl, len, "extension-header boundary");
	/* unfrag_min below the walk's part changes nothing */
	pl.unfrag_min = 40;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.unfrag_len, 48);

	/* RFC 7112: 1280 framing cannot carry a 2048-octet dst in the first fragment */
	{
		static const char *const huge[] = { "dst:2048", "hbh:8", NULL };

		len = eh_packet(huge, false, GEN_NONE, GEN_TCP20, 100, &ch);
		frag_plan_init(&pl);
		pl.max_size = 1280;
		pl.rfc7112 = true;
		expect_refusal(&pl, len, "header chain split (RFC 7112): the first fragment would carry 1224 octets (maximum size 1280), "
			       "but the chain after the 48-octet unfragmentable part is 2068 octets");
		CHECK(strstr(fo.err, "at least 2128 octets") != NULL);
		pl.rfc7112 = false;	/* --allow-split-chain */
		CHECK_EQ(split(pktbuf, len, &pl), 0);
		CHECK_EQ(check_fragments(pktbuf, len, 48, &pl, ra), 0);
		pl.rfc7112 = true;
		pl.max_size = 2128;
		CHECK_EQ(split(pktbuf, len, &pl), 0);
		CHECK_EQ(check_fragments(pktbuf, len, 48, &pl, ra), 0);
		/* a first_size plan that cuts the chain names it too */
		pl.max_size = 0;
		pl.first_size = 1024;
		expect_refusal(&pl, len, "first fragment would carry 1024 octets");
	}

	/* dstu with an existing Hop-by-Hop header: after it, then repeated */
	len = eh_packet(dsts, false, GEN_HBH, GEN_ICMP6, 1500, &ch);
	u = eh_unfrag_len(&ch, pktbuf, len);
	CHECK_EQ(u, 40 + 8u * (pktbuf[41] + 1u) + 24);	/* the generator's HBH, then dstu */
	CHECK_EQ(pktbuf[6], 0);
	CHECK_EQ(pktbuf[40], 60);
	frag_plan_init(&pl);
	pl.max_size = 576;
	pl.rfc7112 = true;
	pl.unfrag_min = u;
	pl.order = FRAG_ORDER_RANDOM;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(check_fragments(pktbuf, len, u, &pl, ra), 0);
	/* dstu then a Routing header: the walk already reaches past the Routing header */
	len = eh_packet(dsts, false, GEN_RT_DST, GEN_UDP, 1500, &ch);
	u = eh_unfrag_len(&ch, pktbuf, len);
	CHECK_EQ(u, 40 + 24);
	pl.unfrag_min = u;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.unfrag_len, 40 + 24 + 24);	/* dstu + Routing (type 0, 24 octets) */
	CHECK_EQ(check_fragments(pktbuf, len, 40 + 24 + 24, &pl, ra), 0);
	/* no dstu: eh_unfrag_len leaves it to the walk */
	len = eh_packet(dstonly, false, GEN_NONE, GEN_UDP, 100, &ch);
	CHECK_EQ(eh_unfrag_len(&ch, pktbuf, len), 0);
	/* given order: the unfragmentable run as given */
	len = eh_packet(given, true, GEN_NONE, GEN_UDP, 2000, &ch);
	CHECK_EQ(ch.n_unfrag, 2);
	u = eh_unfrag_len(&ch, pktbuf, len);
	CHECK_EQ(u, 40 + 8 + 16);
	pl.unfrag_min = u;
	pl.order = FRAG_ORDER_IN;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(check_fragments(pktbuf, len, u, &pl, ra), 0);
	/* a packet that is not the chain's: 0 */
	CHECK_EQ(eh_unfrag_len(&ch, pktbuf, 20), 0);
	reasm_free(ra);
}

/* RFC 8200 §4.5 walk on chains the generator builds. */
static void test_unfrag_walk(void)
{
	struct frag_plan pl;
	uint32_t unfrag;

	frag_plan_init(&pl);
	pl.min_frags = 2;
	for (enum gen_chain c = GEN_NONE; c < GEN_N_CHAINS; c++) {
		size_t len = gen_packet(pktbuf, sizeof(pktbuf), c, GEN_UDP, 200, &unfrag);
		const struct pkt_ip *ip;
		uint32_t want = 40;
		struct pkt p;

		pkt_parse(&p, V6_DLT_IPV6, pktbuf, (uint32_t)len, (uint32_t)len);
		ip = &p.ip[0];
		if (ip->rthdr_off)	/* Routing present: everything through it (dst before it too) */
			want = ip->rthdr_off + 24;
		else if (ip->n_ext && ip->ext[0].type == 0)	/* else the Hop-by-Hop header */
			want = ip->ext[0].len + 40;	/* a lone Destination Options header is fragmentable */
		CHECK_EQ(split(pktbuf, len, &pl), 0);
		CHECKF(fo.unfrag_len == want && unfrag == want, "chain %u: %u, want %u", c, fo.unfrag_len, want);
	}
}

static void test_atomic_and_passthrough(void)
{
	struct frag_plan pl;
	uint32_t unfrag;
	size_t len = gen_packet(pktbuf, sizeof(pktbuf), GEN_HBH, GEN_ICMP6, 100, &unfrag);
	struct pkt p;

	frag_plan_init(&pl);
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK(!fo.fragmented);
	CHECK_EQ(fo.n, 1);
	CHECK_MEM(fo.buf, pktbuf, len);
	pl.atomic = true;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK(fo.fragmented);
	CHECK_EQ(fo.n, 1);
	CHECK_EQ(fo.piece[0].len, len + 8);
	pkt_parse(&p, V6_DLT_IPV6, fo.buf, fo.piece[0].len, fo.piece[0].len);
	CHECK(p.ip[0].frag && p.ip[0].frag_atomic && !p.ip[0].mf && p.ip[0].frag_off == 0);
	CHECK_EQ(p.ip[0].frag_hdr_off, unfrag);
	CHECK_EQ(p.l4, 58);
	/* atomic requested but no room for the extra 8 octets: cut for real */
	pl.max_size = (uint32_t)len + 4;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	CHECK_EQ(fo.n, 2);
}

static void test_id_policies(void)
{
	struct frag_plan pl;
	struct frag_idgen gen = { 0 };
	uint32_t unfrag, first, ids[64];
	size_t len = gen_packet(pktbuf, sizeof(pktbuf), GEN_NONE, GEN_UDP, 3000, &unfrag);
	unsigned same = 0;

	frag_plan_init(&pl);
	pl.max_size = 1280;
	pl.id_policy = FRAG_ID_SEQUENTIAL;
	pl.idgen = &gen;
	CHECK_EQ(split(pktbuf, len, &pl), 0);
	first = fo.id;
	for (unsigned i = 1; i < 10; i++) {
		CHECK_EQ(split(pktbuf, len, &pl), 0);
		CHECK_EQ(fo.id, first + i);
		for (unsigned e = 0; e < fo.n; e++) {
			struct pkt p;
			pkt_parse(&p, V6_DLT_IPV6, fo.buf + fo.piece[e].off, fo.piece[e].len, fo.piece[e].len);
			CHECK_EQ(p.ip[0].frag_id, first + i);
		}
	}
	pl.id_policy = FRAG_ID_RANDOM;
	for (unsigned i = 0; i < 64; i++) {
		CHECK_EQ(split(pktbuf, len, &pl), 0);
		ids[i] = fo.id;
		for (unsigned j = 0; j < i; j++)
			same += ids[j] == ids[i];
	}
	CHECK(same == 0);	/* 64 draws from 2^32: a collision means no CSPRNG */
	/* random order is a permutation and not always the same one */
	pl.order = FRAG_ORDER_RANDOM;
	pl.max_size = 200;
	{
		unsigned in_order = 0;
		for (unsigned i = 0; i < 20; i++) {
			bool sorted = true;
			CHECK_EQ(split(pktbuf, len, &pl), 0);
			for (unsigned e = 1; e < fo.n; e++)
				sorted &= fo.piece[e].frag_off > fo.piece[e - 1].frag_off;
			in_order += sorted;
		}
		CHECK(in_order < 20);
	}
}

/* Hostile input: garbage and valid packets cut at every length or with a
 * corrupted byte are refused with a reason or cut validly, never overread
 * (each from an exact-size heap copy, for ASan). */
static void test_hostile_input(void)
{
	struct frag_plan pl;
	uint32_t unfrag;
	unsigned refused = 0, met = 0;

	frag_plan_init(&pl);
	pl.max_size = 256;
	for (unsigned iter = 0; iter < 300; iter++) {
		size_t len = gen_packet(pktbuf, sizeof(pktbuf), (enum gen_chain)(iter % GEN_N_CHAINS),
					(enum gen_l4)(iter % GEN_N_L4), rnd_in(0, 400), &unfrag);
		size_t cut = iter % 3 == 0 ? rnd_in(0, (uint32_t)len) : len;
		uint8_t *b = malloc(cut ? cut : 1);

		memcpy(b, pktbuf, cut);
		if (iter % 3 == 1 && cut > 0)
			b[rnd_in(0, (uint32_t)cut - 1)] = (uint8_t)rnd();	/* corrupt one byte */
		if (iter % 3 == 2)
			for (size_t i = 0; i < cut; i++)
				b[i] = (uint8_t)rnd();
		out_reset(frag_out_need(b, cut));
		if (frag_split(b, cut, &pl, &fo)) {
			CHECK(fo.err[0] && !strstr(fo.err, "internal"));
			refused++;
		} else {
			size_t sum = 0;
			CHECK(fo.n >= 1 && fo.used <= fo.cap);
			for (unsigned e = 0; e < fo.n; e++) {
				CHECK(fo.piece[e].len <= 256 || !fo.fragmented);
				sum += fo.piece[e].data_len;
			}
			CHECK_EQ(sum, cut - fo.unfrag_len);
			met++;
		}
		free(b);
	}
	printf("# hostile input: %u cut, %u refused\n", met, refused);
	CHECK(met > 0 && refused > 0);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		g_rng = strtoull(argv[1], NULL, 0);
	printf("# seed %#llx\n", (unsigned long long)g_rng);
	RUN(test_exact_cuts);
	RUN(test_atomic_and_passthrough);
	RUN(test_eh_chains);
	RUN(test_unfrag_walk);
	RUN(test_id_policies);
	RUN(test_impossible_plans);
	RUN(test_property_valid_plans);
	RUN(test_property_any_plan);
	RUN(test_hostile_input);
	free(obuf);
	return t_done();
}
