/* frag_gen.h - random IPv6 packets for the fragmentation tests: extension
 * chains (none, Hop-by-Hop, Destination Options, Routing + Destination
 * Options), UDP, TCP with 20/32/40-octet headers, ICMPv6, random payloads.
 * A small xorshift generator keeps runs reproducible from a printed seed. */
#ifndef V6_FRAG_GEN_H
#define V6_FRAG_GEN_H

#include <stdint.h>
#include <string.h>

#include "cursor.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static inline uint32_t rnd(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return (uint32_t)(g_rng >> 16);
}

static inline uint32_t rnd_in(uint32_t lo, uint32_t hi)	/* inclusive */
{
	return lo + rnd() % (hi - lo + 1);
}

enum gen_chain { GEN_NONE, GEN_HBH, GEN_DST, GEN_HBH_DST, GEN_RT_DST, GEN_HBH_DST_RT_DST, GEN_N_CHAINS };
enum gen_l4 { GEN_UDP, GEN_TCP20, GEN_TCP32, GEN_TCP40, GEN_ICMP6, GEN_N_L4 };

/* Options header (HBH 0 or DST 60) of 8*(units+1) octets, filled with PadN. */
static inline void gen_opts(struct wcur *w, uint8_t next, unsigned units)
{
	size_t pad = 8 * (units + 1) - 2;	/* units <= 31: one PadN option fills it */

	wcur_u8(w, next);
	wcur_u8(w, (uint8_t)units);
	wcur_u8(w, 1);
	wcur_u8(w, (uint8_t)(pad - 2));
	wcur_zero(w, pad - 2);
}

/* Build one packet; returns its length.  *unfrag gets the RFC 8200 unfragmentable length. */
static inline size_t gen_packet(uint8_t *buf, size_t cap, enum gen_chain ch, enum gen_l4 l4,
				size_t payload, uint32_t *unfrag)
{
	static const uint8_t order[GEN_N_CHAINS][5] = {
		[GEN_NONE] = { 0 },
		[GEN_HBH] = { 0, 255 },
		[GEN_DST] = { 60, 255 },
		[GEN_HBH_DST] = { 0, 60, 255 },
		[GEN_RT_DST] = { 43, 60, 255 },
		[GEN_HBH_DST_RT_DST] = { 0, 60, 43, 60, 255 },
	};
	uint8_t proto = l4 == GEN_UDP ? 17 : l4 == GEN_ICMP6 ? 58 : 6;
	size_t l4hl = l4 == GEN_TCP20 ? 20 : l4 == GEN_TCP32 ? 32 : l4 == GEN_TCP40 ? 40 : 8;
	const uint8_t *o = order[ch];
	unsigned n = 0;
	struct wcur w;
	size_t ul;

	while (ch != GEN_NONE && o[n] != 255)
		n++;
	wcur_init(&w, buf, cap);
	wcur_be32(&w, 0x60000000u | (rnd() & 0xfffffu));
	wcur_be16(&w, 0);
	wcur_u8(&w, n ? o[0] : proto);
	wcur_u8(&w, 64);
	wcur_be32(&w, 0x20010db8); wcur_be32(&w, 0); wcur_be32(&w, 0); wcur_be32(&w, 1);
	wcur_be32(&w, 0x20010db8); wcur_be32(&w, 0); wcur_be32(&w, 0); wcur_be32(&w, 2);
	*unfrag = 40;
	for (unsigned i = 0; i < n; i++) {
		uint8_t next = i + 1 < n ? o[i + 1] : proto;
		if (o[i] == 43) {
			/* type 0 with Segments Left 0: processed as if absent, stays unfragmentable */
			wcur_u8(&w, next);
			wcur_u8(&w, 2);
			wcur_u8(&w, 0);
			wcur_u8(&w, 0);
			wcur_be32(&w, 0);
			wcur_be32(&w, 0x20010db8); wcur_be32(&w, 0); wcur_be32(&w, 0); wcur_be32(&w, 3);
			*unfrag = (uint32_t)wcur_off(&w);
		} else {
			gen_opts(&w, next, rnd_in(0, 3));
			if (o[i] == 0)
				*unfrag = (uint32_t)wcur_off(&w);
		}
	}
	ul = wcur_off(&w);
	if (proto == 17) {
		wcur_be16(&w, (uint16_t)rnd());
		wcur_be16(&w, 53);
		wcur_be16(&w, (uint16_t)(8 + payload));
		wcur_be16(&w, (uint16_t)rnd());
	} else if (proto == 58) {
		wcur_u8(&w, 128);
		wcur_u8(&w, 0);
		wcur_be16(&w, (uint16_t)rnd());
		wcur_be32(&w, rnd());
	} else {
		wcur_be16(&w, (uint16_t)rnd());
		wcur_be16(&w, 80);
		wcur_be32(&w, rnd());
		wcur_be32(&w, rnd());
		wcur_u8(&w, (uint8_t)(l4hl / 4) << 4);
		wcur_u8(&w, 0x18);
		wcur_be16(&w, 65535);
		wcur_be16(&w, (uint16_t)rnd());
		wcur_be16(&w, 0);
		for (size_t i = 20; i < l4hl; i++)
			wcur_u8(&w, i + 1 < l4hl ? 1 : 0);	/* NOPs, then EOL */
	}
	for (size_t i = 0; i < payload; i++)
		wcur_u8(&w, (uint8_t)rnd());
	wcur_set_be16(&w, 4, (uint16_t)(wcur_off(&w) - 40));
	(void)ul;
	return w.overflow ? 0 : wcur_off(&w);
}

#endif
