/* rewrite.h - in-place rewriting of captured frames: Ethernet source and
 * destination MAC, IPv4/IPv6 source and destination addresses by OLD=NEW
 * address or prefix maps, at every IP layer (tunnels included), with
 * incremental checksum updates (RFC 1624) of the IPv4 header checksum and of
 * the TCP/UDP/ICMPv6 checksum whose pseudo-header (RFC 768, RFC 9293,
 * RFC 4443, RFC 8200 §8.1) holds the changed address.
 *
 * Incremental updates keep a checksum exactly as right or wrong as it was,
 * need none of the payload (snaplen-truncated frames work), and cost the
 * same for any packet size.
 */
#ifndef V6_REWRITE_H
#define V6_REWRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "pkt.h"

#define REWRITE_MAX_MAPS 64

struct rewrite_cfg {
	bool set_src_mac, set_dst_mac;
	uint8_t src_mac[6], dst_mac[6];
	/* OLD=NEW maps, first match wins; each side is a prefix (an address
	 * is a full-length prefix); host bits are kept. */
	struct v6_rewrite src[REWRITE_MAX_MAPS];
	unsigned n_src;
	struct v6_rewrite dst[REWRITE_MAX_MAPS];
	unsigned n_dst;
};

/* What rewrite_frame() did to one frame. */
enum {
	REWRITE_MAC   = 1u << 0,	/* a MAC address was set */
	REWRITE_IP    = 1u << 1,	/* an IP address was mapped */
	REWRITE_CSUM  = 1u << 2,	/* a checksum was updated */
	REWRITE_NOCSUM = 1u << 3,	/* a checksum field that needed an update is outside the capture */
};

static inline bool rewrite_active(const struct rewrite_cfg *cfg)
{
	return cfg->set_src_mac || cfg->set_dst_mac || cfg->n_src || cfg->n_dst;
}

/* Map `a` (family 4 or 6) through the maps; true when one matched. */
bool rewrite_map_addr(const struct v6_rewrite *maps, unsigned n, uint8_t family,
		      const uint8_t *in, uint8_t *out);

/* Rewrite the frame (link type dlt, caplen octets) in place.  `p` is filled
 * with the parse of the frame before rewriting (callers reuse it).  Returns
 * REWRITE_* flags; 0 when nothing applied. */
unsigned rewrite_frame(const struct rewrite_cfg *cfg, int dlt, uint8_t *frame,
		       uint32_t caplen, uint32_t wirelen, struct pkt *p);

#endif
