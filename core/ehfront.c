/* ehfront.c - --eh option glue and RFC 7112 plan check for the front ends
 * (RFC 8200 §4.1, §4.5; RFC 7112). */
#include "ehfront.h"

#include <stdio.h>
#include <string.h>

#include "args.h"
#include "frag.h"
#include "util.h"

uint32_t ehf_first_room(const struct eh_chain *ch, uint32_t max_size)
{
	uint32_t fixed = 40 + ch->unfrag_total + FRAG_HDR_LEN;

	return max_size > fixed ? (max_size - fixed) & ~7u : 0;
}

int ehf_first_fits(const struct eh_chain *ch, uint32_t max_size, uint32_t ul_hdr, const char *what,
		   char err[EHF_ERRLEN])
{
	uint32_t fixed = 40 + ch->unfrag_total + FRAG_HDR_LEN;
	uint32_t chain = eh_frag_total(ch) + ul_hdr;
	uint32_t room = ehf_first_room(ch, max_size);
	uint32_t need = fixed + ((chain + 7) & ~7u);

	if (room < 8) {
		snprintf(err, EHF_ERRLEN,
			 "%s leaves no data in a fragment: the IPv6 header, %u octets of unfragmentable "
			 "extension headers (repeated in every fragment) and the Fragment header take %u octets",
			 what, ch->unfrag_total, fixed);
		return -1;
	}
	if (room < chain) {
		snprintf(err, EHF_ERRLEN,
			 "%s cannot carry the header chain in the first fragment (RFC 7112): a first fragment "
			 "of %u octets is needed (%u before the Fragment header, 8 for it, %u of fragmentable "
			 "extension headers, %u of upper-layer header), %u data octets fit after %u "
			 "(--allow-split-chain sends the chain split)",
			 what, need, fixed - FRAG_HDR_LEN, eh_frag_total(ch), ul_hdr, room, fixed);
		return 1;
	}
	return 0;
}

int ehf_tcp_fits(const struct eh_chain *ch, uint32_t mtu, uint32_t tail, bool no_fragment,
		 const char *ifname, char err[EHF_ERRLEN])
{
	char what[64];

	if (no_fragment) {
		if (40 + ch->total + 60 + 8 > mtu) {
			snprintf(err, EHF_ERRLEN,
				 "the MTU %u of %s cannot carry a whole segment with the %u-octet --eh chain "
				 "(40 IPv6 + %u + up to 60 TCP header + data needs at least %u)",
				 mtu, ifname, ch->total, ch->total, 40 + ch->total + 60 + 8);
			return -1;
		}
		return 0;
	}
	if (40 + ch->unfrag_total + FRAG_HDR_LEN + tail > mtu) {
		snprintf(err, EHF_ERRLEN,
			 "--tail %u makes trailing fragments of %u octets (with %u octets of unfragmentable "
			 "extension headers), over the MTU %u of %s", tail, 40 + ch->unfrag_total + FRAG_HDR_LEN + tail,
			 ch->unfrag_total, mtu, ifname);
		return -1;
	}
	snprintf(what, sizeof(what), "the MTU %u of %s", mtu, ifname);
	return ehf_first_fits(ch, mtu, 60 + 8, what, err);
}
