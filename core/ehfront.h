/* ehfront.h - the front ends' side of the extension-header experiments
 * (dnsfrag, httpfrag: --eh, --eh-order, --allow-split-chain): option glue
 * around the one SPEC parser (core/eh) and the RFC 7112 start-up check of a
 * fragment plan that carries the chain (RFC 8200 §4.1, §4.5; RFC 7112).
 */
#ifndef V6_EHFRONT_H
#define V6_EHFRONT_H

#include <stdbool.h>
#include <stdint.h>

#include "eh.h"

#define EHF_ERRLEN 400

/* The option parsers are core/args (arg_eh, arg_eh_order, arg_eh_finish). */

/* Octets of the chain that travel in the fragmentable part (dst, and in
 * given order anything after it). */
static inline uint32_t eh_frag_total(const struct eh_chain *ch)
{
	return ch->total - ch->unfrag_total;
}

/* RFC 7112 check of a plan: can a first fragment of at most `max_size`
 * octets of IPv6 packet hold the whole header chain -- the IPv6 header, the
 * unfragmentable headers (repeated in every fragment), the Fragment header,
 * the fragmentable headers and `ul_hdr` octets of upper-layer header?
 * Returns 0 when it can; 1 when it cannot (err names the sizes; a caller
 * with --allow-split-chain goes on); -1 when not even the unfragmentable
 * part and one 8-octet data unit fit (err says so; never allowed).  `what`
 * names the size option in the message ("--frag-size 512"). */
int ehf_first_fits(const struct eh_chain *ch, uint32_t max_size, uint32_t ul_hdr, const char *what,
		   char err[EHF_ERRLEN]);

/* Octets the fragmentable data of the first fragment can hold under
 * max_size (a multiple of 8; 0 when none). */
uint32_t ehf_first_room(const struct eh_chain *ch, uint32_t max_size);

/* httpfrag's plan on a client link of MTU mtu: can segments carrying the
 * chain and a TCP header of up to 60 octets go whole (no_fragment), or as a
 * leading fragment holding the whole chain and a trailing one of `tail`
 * octets?  Returns as ehf_first_fits(): 0 yes, 1 the chain does not fit a
 * leading fragment (RFC 7112; --allow-split-chain), -1 impossible. */
int ehf_tcp_fits(const struct eh_chain *ch, uint32_t mtu, uint32_t tail, bool no_fragment,
		 const char *ifname, char err[EHF_ERRLEN]);

#endif
