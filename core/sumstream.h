/* sumstream.h - verify (and optionally fix) the checksums of a stream of
 * captured frames, in order: every frame through core/pktsum, fragmented
 * datagrams through core/reasm so their transport checksum is verified on the
 * whole datagram (RFC 8200 §4.5, RFC 791) and fixed in the fragment that
 * holds the field.  With SUMSTREAM_FIX every frame comes back out in input
 * order (frames of incomplete datagrams are held until the datagram is
 * complete or expired), with all octets but checksum fields unchanged.
 *
 * The driver (an applet) owns input and output; the stream calls back.
 */
#ifndef V6_SUMSTREAM_H
#define V6_SUMSTREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "pktsum.h"

struct sumstream;

/* A frame and its capture metadata as the driver read it. */
struct sumstream_frame {
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	int64_t ts_sec;
	uint32_t ts_nsec;
	bool own_dlt;	/* dlt is this frame's link type (a pcapng file may mix */
	int dlt;	/* them); else the stream's from sumstream_new() */
};

struct sumstream_ops {
	void *ctx;
	/* Every checksum verified, good, bad or none.  `pkt` is the packet
	 * number it belongs to; for a reassembled datagram, the number of the
	 * fragment at offset 0.  `fixed`: the value was corrected in the output. */
	void (*check)(void *ctx, uint64_t pkt, const struct pktsum_check *c,
		      bool reassembled, bool fixed);
	/* A packet (or, for fragments, a datagram) whose transport checksum
	 * could not be verified; `reason` is a snake_case name. */
	void (*skip)(void *ctx, uint64_t pkt, const char *reason);
	/* SUMSTREAM_FIX only: each frame, corrected, in input order. */
	void (*out)(void *ctx, const struct sumstream_frame *f);
};

enum {
	SUMSTREAM_FIX = 1u << 0,	/* correct bad checksums and emit every frame */
	SUMSTREAM_NO_REASM = 1u << 1,	/* report fragments as skipped ("fragment") */
};

struct sumstream *sumstream_new(int dlt, unsigned flags, const struct sumstream_ops *ops);
/* Replace the reassembler's bounds (core/reasm.h; 0 fields = defaults)
 * before the first frame.  Overflows are skips named after the limit. */
struct reasm_limits;
void sumstream_set_reasm_limits(struct sumstream *s, const struct reasm_limits *lim);
/* Feed frame number `pkt` (1-based, consecutive). */
void sumstream_add(struct sumstream *s, uint64_t pkt, const struct sumstream_frame *f);
/* End of input: incomplete datagrams are reported ("incomplete_datagram")
 * and every held frame is emitted. */
void sumstream_finish(struct sumstream *s);
void sumstream_free(struct sumstream *s);

#endif
