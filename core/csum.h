/* csum.h - Internet checksum (RFC 1071), IPv4/IPv6 pseudo-headers (RFC 768,
 * 793, 4443, 8200 §8.1), incremental update (RFC 1624).
 *
 * Partial sums are 32-bit values in "memory order" (the bytes summed as they
 * lie in the buffer); add them freely, then csum_fold() gives the 16-bit
 * checksum as a host-order number to write with a big-endian store.
 */
#ifndef V6_CSUM_H
#define V6_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* RFC 1071 partial sum of len bytes added to `sum`.  Runs near memory speed. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
/* Add the partial sum of a block that starts `offset` bytes into the
 * checksummed data (an odd offset swaps the block's bytes, RFC 1071 §2(B)). */
uint32_t csum_block_add(uint32_t sum, uint32_t block_sum, size_t offset);
/* Fold and complement: the checksum value (host order) to store. */
uint16_t csum_fold(uint32_t sum);
/* Add a host-order 16-bit field value to a partial sum. */
uint32_t csum_add16(uint32_t sum, uint16_t host_value);
/* Pseudo-header partial sums; len is the upper-layer length. */
uint32_t csum_pseudo4(const uint8_t src[4], const uint8_t dst[4], uint8_t proto, uint32_t len);
uint32_t csum_pseudo6(const uint8_t src[16], const uint8_t dst[16], uint8_t nh, uint32_t len);
/* Checksum of a buffer alone (IPv4 header): csum_fold(csum_partial(...)). */
uint16_t csum_buf(const void *buf, size_t len);
/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') for one 16-bit field change. */
uint16_t csum_update16(uint16_t hc, uint16_t old_v, uint16_t new_v);
/* Same for a changed run of bytes (even length, e.g. an address) that starts
 * at an even offset of the checksummed data.  UDP callers: a field that was
 * 0 (no checksum, IPv4) stays 0, and a result of 0 is sent as 0xffff. */
uint16_t csum_update_bytes(uint16_t hc, const uint8_t *old_b, const uint8_t *new_b, size_t len);
/* The naive reference loop (16 bits at a time), for tests and benchmarks. */
uint32_t csum_partial_ref(const void *buf, size_t len, uint32_t sum);

#endif
