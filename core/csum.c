/* csum.c - Internet checksum (RFC 1071) at memory speed, pseudo-headers
 * (RFC 768, RFC 8200 §8.1) and incremental update (RFC 1624). */
#include "csum.h"

#include <string.h>

/*
 * Partial sums are kept in "memory order": 16-bit words are loaded natively,
 * so on a little-endian host every word is byte-swapped relative to network
 * order.  RFC 1071 §2(B) makes the one's complement sum independent of byte
 * order up to one final swap, which csum_fold() does.  Likewise 32-bit words
 * fold to the same sum as their two 16-bit halves (2^16 == 1 mod 0xffff),
 * which is what lets the fast loop eat 4 or 8 bytes per addition.
 */

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define CSUM_BIG_ENDIAN 1
#else
#define CSUM_BIG_ENDIAN 0
#endif

/* Host-order 16-bit value <-> the memory-order word holding it big-endian. */
static inline uint16_t to_mem16(uint16_t v)
{
	return CSUM_BIG_ENDIAN ? v : (uint16_t)(v << 8 | v >> 8);
}

static inline uint32_t fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

static inline uint16_t fold32(uint32_t s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The memory-order word of a lone trailing byte: the byte, then a zero pad. */
static inline uint16_t last_byte_word(uint8_t b)
{
	uint8_t pair[2] = { b, 0 };
	uint16_t w;

	memcpy(&w, pair, 2);
	return w;
}

static inline uint32_t load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/*
 * Sum of a buffer starting at an even address.  32-bit words go into four
 * independent 64-bit accumulators: no carry chain between additions, so the
 * loop retires several loads per cycle (and the compiler may vectorise it),
 * well above what DRAM delivers.  A 64-bit accumulator absorbs 2^32 words
 * of 32 bits, far more than one CHUNK.
 */
#define CSUM_CHUNK ((size_t)1 << 20)

static uint64_t sum_even(const uint8_t *p, size_t len)
{
	uint64_t total = 0;
	uint16_t w;

	/* Two-byte steps keep word parity; reach 8-byte alignment. */
	while (len >= 2 && ((uintptr_t)p & 7)) {
		memcpy(&w, p, 2);
		total += w;
		p += 2;
		len -= 2;
	}
	while (len >= 64) {
		size_t n = len < CSUM_CHUNK ? len & ~(size_t)63 : CSUM_CHUNK;
		const uint8_t *end = p + n;
		uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;

		for (; p < end; p += 64) {
			a0 += load32(p + 0);
			a1 += load32(p + 4);
			a2 += load32(p + 8);
			a3 += load32(p + 12);
			a0 += load32(p + 16);
			a1 += load32(p + 20);
			a2 += load32(p + 24);
			a3 += load32(p + 28);
			a0 += load32(p + 32);
			a1 += load32(p + 36);
			a2 += load32(p + 40);
			a3 += load32(p + 44);
			a0 += load32(p + 48);
			a1 += load32(p + 52);
			a2 += load32(p + 56);
			a3 += load32(p + 60);
		}
		len -= n;
		total += fold64(a0) + (uint64_t)fold64(a1) + fold64(a2) + (uint64_t)fold64(a3);
		total = fold64(total);
	}
	while (len >= 4) {
		total += load32(p);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w, p, 2);
		total += w;
		p += 2;
		len -= 2;
	}
	if (len)
		total += last_byte_word(*p);
	return total;
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t total = sum;

	if (len == 0)
		return sum;
	if ((uintptr_t)p & 1) {
		/*
		 * Odd start: the first byte is the high half of word 0; the
		 * rest, summed from an even address, has its words shifted
		 * by one byte, so its folded sum is byte-swapped back.
		 */
		uint16_t rest = fold32(fold64(sum_even(p + 1, len - 1)));

		total += last_byte_word(p[0]);
		total += (uint16_t)(rest << 8 | rest >> 8);
	} else {
		total += sum_even(p, len);
	}
	return fold64(total);
}

uint32_t csum_partial_ref(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;
	uint64_t total = sum;
	uint16_t w;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		total += w;
	}
	if (i < len)
		total += last_byte_word(p[i]);
	return fold64(total);
}

uint16_t csum_fold(uint32_t sum)
{
	uint16_t s = (uint16_t)~fold32(sum);

	return to_mem16(s);	/* memory order -> host order: the same swap */
}

uint32_t csum_add16(uint32_t sum, uint16_t host_value)
{
	return fold64((uint64_t)sum + to_mem16(host_value));
}

uint32_t csum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t len)
{
	uint32_t s = csum_partial(src, 4, 0);

	s = csum_partial(dst, 4, s);
	s = csum_add16(s, proto);		/* zero octet, protocol */
	return csum_add16(s, (uint16_t)len);	/* RFC 768: 16-bit length */
}

uint32_t csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t nh, uint32_t len)
{
	uint32_t s = csum_partial(src, 16, 0);

	s = csum_partial(dst, 16, s);
	s = csum_add16(s, (uint16_t)(len >> 16));	/* 32-bit upper-layer length */
	s = csum_add16(s, (uint16_t)len);
	return csum_add16(s, nh);			/* three zero octets, next header */
}

uint16_t csum_buf(const void *buf, size_t len)
{
	return csum_fold(csum_partial(buf, len, 0));
}

/*
 * RFC 1624 eqn. 3.  Eqn. 2 (HC - ~m - m', RFC 1141) can turn a correct 0x0000
 * into 0xffff (-0); eqn. 3 with end-around carry never yields -0 for a
 * non-zero sum, so it agrees with a full recomputation.  Host order works
 * because one's complement addition commutes with byte swapping.
 */
uint16_t csum_update16(uint16_t hc, uint16_t old_v, uint16_t new_v)
{
	uint32_t s = (uint16_t)~hc;

	s += (uint16_t)~old_v;
	s += new_v;
	return (uint16_t)~fold32(s);
}

/* The run must start at an even offset of the checksummed data (every
 * address field does); an odd length is padded with a zero octet. */
uint16_t csum_update_bytes(uint16_t hc, const uint8_t *old_b, const uint8_t *new_b, size_t len)
{
	uint64_t s = (uint16_t)~hc;
	size_t i;

	for (i = 0; i + 1 < len; i += 2) {
		s += (uint16_t)~(old_b[i] << 8 | old_b[i + 1]);
		s += (uint16_t)(new_b[i] << 8 | new_b[i + 1]);
	}
	if (i < len) {
		s += (uint16_t)~(old_b[i] << 8);
		s += (uint16_t)(new_b[i] << 8);
	}
	return (uint16_t)~fold32(fold64(s));
}

uint32_t csum_block_add(uint32_t sum, uint32_t block_sum, size_t offset)
{
	uint16_t b = fold32(block_sum);

	if (offset & 1)
		b = (uint16_t)(b << 8 | b >> 8);
	return fold64((uint64_t)sum + b);
}
