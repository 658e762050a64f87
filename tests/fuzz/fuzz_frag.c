/* fuzz_frag.c - libFuzzer harness for the fragmenter (RFC 8200 §4.5): the
 * first 9 octets are a plan, the rest an IPv6 packet (its version and
 * Payload Length made consistent half of the time so the chain walker is
 * reached).  Checks the promises: a plan is either refused with a reason or
 * met exactly (sizes, 8-octet units, count, trailing size), and the
 * fragments reassemble (core/reasm) to the input bytes.  With a link header
 * (1..16 octets), every fragment lies behind its own copy of it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "frag.h"
#include "pkt.h"
#include "reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct frag_out fo;
	struct frag_plan pl;
	struct cur c;
	uint16_t max = 0, first = 0, trail = 0;
	uint8_t minf = 0, flags = 0;
	uint8_t *pk;
	size_t len;
	uint32_t maxp, F, sum = 0;
	struct reasm *r;
	bool done = false;

	if (size < 9)
		return 0;
	cur_init(&c, data, size);
	cur_be16(&c, &max);
	cur_be16(&c, &first);
	cur_be16(&c, &trail);
	cur_u8(&c, &minf);
	cur_u8(&c, &flags);
	cur_skip(&c, 1);
	len = cur_left(&c);
	if (len > 65575)
		return 0;
	pk = malloc(len ? len : 1);	/* exact size: ASan sees overreads */
	memcpy(pk, c.p, len);
	if ((flags & 0x80) && len >= 40) {
		pk[0] = (uint8_t)(0x60 | (pk[0] & 15));
		pk[4] = (uint8_t)((len - 40) >> 8);
		pk[5] = (uint8_t)(len - 40);
	}
	frag_plan_init(&pl);
	pl.max_size = max & 0x0fff;	/* up to 4095: room for many fragments */
	pl.first_size = flags & 0x10 ? first % 2048 : 0;
	pl.trailing = flags & 0x20 ? trail % 4096 : 0;
	pl.min_frags = minf % 40;
	pl.order = (enum frag_order)(flags % 3);
	pl.atomic = flags & 0x04;
	pl.rfc7112 = flags & 0x08;
	pl.unfrag_min = flags & 0x40 ? 40u + 8u * (first >> 11) : 0;	/* a caller's dstu: any boundary or none */
	pl.id_policy = FRAG_ID_FIXED;
	pl.fixed_id = 0x12345678;

	{
		static const uint8_t link[16] = { 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5,
						  0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5 };

		fo.link = link;
		fo.link_len = minf & 0x80 ? 1u + (trail >> 12) : 0;
	}
	fo.cap = frag_out_need(pk, len) + (len / 8 + 1) * fo.link_len;
	fo.buf = malloc(fo.cap ? fo.cap : 1);
	if (frag_split(pk, len, &pl, &fo)) {
		if (!fo.err[0] || strstr(fo.err, "internal"))
			abort();
		goto out;
	}
	maxp = pl.max_size ? pl.max_size : 65575;
	F = (uint32_t)len - fo.unfrag_len;
	if (!fo.fragmented) {
		if (fo.n != 1 || fo.piece[0].len != len || fo.piece[0].off != fo.link_len ||
		    memcmp(fo.buf + fo.link_len, pk, len))
			abort();
		goto out;
	}
	if (fo.n > 1 && fo.n < pl.min_frags)
		abort();
	if (pl.trailing && (fo.n != 2))
		abort();
	r = reasm_new(&(struct reasm_limits){ .max_datagrams = 4 });
	for (unsigned e = 0; e < fo.n; e++) {
		const struct frag_piece *pc = &fo.piece[e];
		struct reasm_result res;
		enum reasm_status s;
		struct pkt p;
		size_t flen;
		const uint8_t *fr = frag_frame(&fo, e, &flen);

		if (!fr || flen != fo.link_len + pc->len || memcmp(fr, fo.link, fo.link_len) ||
		    fr + fo.link_len != fo.buf + pc->off)
			abort();
		if (pc->len > maxp || pc->off + pc->len > fo.used || pc->data_len == 0 ||
		    (pc->more && pc->data_len % 8) || (!pc->more && pl.trailing && pc->data_len != pl.trailing))
			abort();
		sum += pc->data_len;
		pkt_parse(&p, V6_DLT_IPV6, fo.buf + pc->off, pc->len, pc->len);
		if (!p.n_ip || !p.ip[0].frag || p.ip[0].frag_off != pc->frag_off || p.ip[0].frag_id != 0x12345678)
			abort();
		s = reasm_add(r, &p, 0, 0, e, &res);
		if (fo.n == 1) {
			if (s != REASM_NOT_FRAGMENT)
				abort();
			done = true;
		} else if (e + 1 == fo.n) {
			if (s != REASM_DONE || res.len != len || memcmp(res.data, pk, len))
				abort();
			done = true;
		} else if (s != REASM_HELD) {
			abort();
		}
	}
	if (sum != F || !done)
		abort();
	reasm_free(r);
out:
	free(fo.buf);
	free(pk);
	return 0;
}
