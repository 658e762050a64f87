/* fuzz_reasm.c - libFuzzer harness for the reassembler (RFC 8200 §4.5, RFC
 * 5722, RFC 791): the input is a stream of records, each either a raw IP
 * packet or a compact description of an IPv6/IPv4 fragment whose data is a
 * pattern fixed by its offset in the datagram.  Checks the promises: memory
 * and datagram bounds hold after every packet, a datagram built only from
 * described fragments carries exactly the pattern, and expiring everything
 * returns every byte. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "pkt.h"
#include "reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BYTES 40000u

/* Every described fragment carries this at its place in the datagram, so a
 * datagram rebuilt from them must carry it from end to end. */
static uint8_t pattern(uint32_t dgram_off)
{
	return (uint8_t)(dgram_off * 7u + 13u);
}

/* kind bit 0: IPv4; described fragment: src, id, offset/8 (be16), M, length. */
static size_t described(uint8_t *b, size_t cap, uint8_t kind, uint8_t src, uint8_t id, uint16_t off8,
			bool more, uint16_t len)
{
	struct wcur w;
	uint32_t off = (uint32_t)(off8 & 0x1fff) * 8;

	wcur_init(&w, b, cap);
	if (kind & 1) {
		wcur_u8(&w, 0x45);
		wcur_u8(&w, 0);
		wcur_be16(&w, (uint16_t)(20 + len));
		wcur_be16(&w, id);
		wcur_be16(&w, (uint16_t)((more ? 0x2000 : 0) | (off8 & 0x1fff)));
		wcur_u8(&w, 64);
		wcur_u8(&w, 17);
		wcur_be16(&w, 0);
		wcur_be32(&w, 0xc0000200u | src);
		wcur_be32(&w, 0xc0000299u);
	} else {
		wcur_be32(&w, 0x60000000u);
		wcur_be16(&w, (uint16_t)(8 + len));
		wcur_u8(&w, 44);
		wcur_u8(&w, 64);
		wcur_be32(&w, 0x20010db8); wcur_be32(&w, 0); wcur_be32(&w, 0); wcur_be32(&w, src);
		wcur_be32(&w, 0x20010db8); wcur_be32(&w, 0); wcur_be32(&w, 0); wcur_be32(&w, 0x99);
		wcur_u8(&w, 17);
		wcur_u8(&w, 0);
		wcur_be16(&w, (uint16_t)(off | more));
		wcur_be32(&w, id);
	}
	for (uint32_t i = 0; i < len; i++)
		wcur_u8(&w, pattern(off + i));
	return w.overflow ? 0 : wcur_off(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reasm *r = reasm_new(&(struct reasm_limits){ .max_datagrams = 8, .max_bytes = MAX_BYTES,
							     .max_per_source = 5, .timeout_us = 1000 });
	static uint8_t buf[70000];
	struct reasm_stats st;
	struct cur c;
	uint64_t now = 0, n = 0;

	cur_init(&c, data, size);
	while (cur_left(&c) >= 1) {
		uint8_t kind = 0, src = 0, id = 0, lenb = 0;
		uint16_t off8 = 0, rawlen = 0;
		size_t len;
		uint8_t *pk;
		struct pkt p;
		struct reasm_result res;
		enum reasm_status s;
		int layer;

		cur_u8(&c, &kind);
		if (kind & 0x80) {	/* raw packet */
			cur_be16(&c, &rawlen);
			len = rawlen % 2048;
			if (len > cur_left(&c))
				len = cur_left(&c);
			memcpy(buf, c.p, len);
			cur_skip(&c, len);
		} else {
			cur_u8(&c, &src);
			cur_u8(&c, &id);
			cur_be16(&c, &off8);
			cur_u8(&c, &lenb);
			if (c.trunc)
				break;
			len = described(buf, sizeof(buf), kind, src & 7, id & 3, off8, kind & 2,
					(uint16_t)(lenb * ((kind & 4) ? 1 : 8)));
		}
		pk = malloc(len ? len : 1);	/* exact size: ASan sees overreads */
		memcpy(pk, buf, len);
		pkt_parse(&p, V6_DLT_RAW, pk, (uint32_t)len, (uint32_t)len);
		n++;
		now += (kind >> 3) & 7;
		layer = reasm_frag_layer(&p);
		if (layer >= 0) {
			/* tags: odd = a described fragment */
			s = reasm_add(r, &p, (unsigned)layer, now * 100, n << 1 | !(kind & 0x80), &res);
			if (s == REASM_DONE) {
				bool all_described = true;
				uint32_t hl;
				if (!res.data || res.len > 40u + 65535u || !res.n_tags)
					abort();
				for (size_t i = 0; i < res.n_tags; i++)
					all_described &= res.tags[i] & 1;
				hl = (res.data[0] >> 4) == 4 ? 20 : 40;
				if (all_described)
					for (size_t i = hl; i < res.len; i++)
						if (res.data[i] != pattern((uint32_t)(i - hl)))
							abort();
			}
			if (s == REASM_DISCARD && (res.reason == REASM_OK || res.reason >= REASM_N_REASONS || !res.n_tags))
				abort();
		}
		free(pk);
		reasm_get_stats(r, &st);
		if (st.bytes_held > MAX_BYTES || st.in_progress > 8)
			abort();
		if ((kind & 0x70) == 0x70)
			reasm_expire(r, now * 100, false, NULL, NULL);
	}
	reasm_expire(r, 0, true, NULL, NULL);
	reasm_get_stats(r, &st);
	if (st.in_progress || st.bytes_held)
		abort();
	reasm_free(r);
	return 0;
}
