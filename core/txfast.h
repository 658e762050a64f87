/* txfast.h - batched frame transmission for replay at line rate: a Linux
 * PACKET_MMAP TX ring (TPACKET_V2), or AF_PACKET sendmmsg(2) batches, both
 * with PACKET_QDISC_BYPASS; falling back to core/pio's one-send-per-frame
 * AF_PACKET sender or libpcap injection.
 *
 * The kernel's per-packet work (skb, driver, the receiver's input path on a
 * veth) is the ceiling; what a sender controls is the per-call overhead and
 * which kernel path each frame takes.  An AF_XDP socket in copy mode (the
 * default where the kernel has one) hands descriptors of a shared frame area
 * to the kernel, which builds one skb per frame and gives it straight to the
 * driver: no packet-socket frame status, header parsing or flow dissection
 * per frame: 15-25% more frames per second than the TX ring on a veth.  The
 * TX ring hands the kernel a whole ring of frames per system call with no
 * per-frame message parsing.  It is set up with a virtio-net header whose
 * hdr_len covers the whole frame, which makes the kernel copy each frame
 * into the skb: without it the skb would point into the ring, and a veth
 * (or any path that must own the data) copies it again page by page, which
 * is slower than sendmmsg.  A
 * frame the kernel refuses for lack of room (ENOBUFS/EAGAIN) is retried after
 * waiting for the socket to drain; any other refusal (EMSGSIZE, ENETDOWN...)
 * is counted as failed with its errno, never silently lost.
 */
#ifndef V6_TXFAST_H
#define V6_TXFAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum txfast_method {
	TXF_AUTO,	/* TXF_XDP, else TXF_RING, else TXF_MMSG, else TXF_PCAP */
	TXF_RING,	/* AF_PACKET PACKET_TX_RING (+ qdisc bypass) */
	TXF_MMSG,	/* AF_PACKET + sendmmsg batches (+ qdisc bypass) */
	TXF_PACKET,	/* AF_PACKET, one send() per frame (core/pio) */
	TXF_PCAP,	/* libpcap pcap_inject (core/pio) */
	TXF_XDP,	/* AF_XDP socket, copy mode (bypasses the qdisc) */
};

enum {
	TXF_NO_BYPASS = 1u << 0,	/* keep the qdisc (and local taps) in the path */
};

#define TXF_BATCH	128		/* frames per system call */
#define TXF_RETRIES	1000		/* ENOBUFS/EAGAIN retries of one frame */

/* The one wait policy for every sender in v6kit (v6kit(1), "SENDING"):
 * a frame the kernel refuses for lack of room (ENOBUFS, EAGAIN) is tried
 * again after waiting for the socket to drain (poll for POLLOUT up to
 * 1 ms, then 50 us), at most TXF_RETRIES times (about a second); EINTR is
 * retried at once; ENOBUFS on a link without carrier and every other error
 * fail the frame at once.  Failed frames are counted, never silently lost.
 *
 *	struct txf_wait w = { 0 };
 *	while (send(...) < 0 && txf_retry(&w, fd, errno))
 *		;
 */
struct txf_wait {
	unsigned tries;
	int ifindex;			/* for the carrier check (0: do not check) */
	uint64_t waits;			/* waits so far (for the caller's counters) */
};
bool txf_retry(struct txf_wait *w, int fd, int err);

struct txfast_stats {
	uint64_t sent, bytes;		/* frames the kernel accepted */
	uint64_t failed;		/* frames refused for good */
	uint64_t retries;		/* ENOBUFS/EAGAIN waits */
	uint64_t calls;			/* system calls that sent */
	int last_errno;			/* errno of the last failed frame */
};

struct txfast;

/* Open a sender on ifname.  NULL with err and *exit_code (3: no such
 * interface or no privilege) on failure. */
struct txfast *txfast_open(const char *ifname, enum txfast_method m, unsigned flags,
			   char *err, size_t errlen, int *exit_code);
/* Which method is in use, and its name ("ring", "mmsg", "packet", "pcap"). */
enum txfast_method txfast_method(const struct txfast *t);
const char *txfast_method_name(enum txfast_method m);
/* Parse "auto", "ring", "mmsg", "packet", "pcap"; -1 if unknown. */
int txfast_method_parse(const char *s);
/* Whether qdisc bypass is on (the kernel may refuse it). */
bool txfast_bypass(const struct txfast *t);

/* Queue one frame (copied).  Transmits when the batch is full.  Returns the
 * number of frames that failed for good during this call (0 normally). */
unsigned txfast_queue(struct txfast *t, const void *frame, size_t len);
/* Transmit whatever is queued; returns frames failed for good. */
unsigned txfast_flush(struct txfast *t);
/* Frames queued but not yet handed to the kernel. */
unsigned txfast_pending(const struct txfast *t);

void txfast_stats(const struct txfast *t, struct txfast_stats *s);
/* Make a retry wait give up (safe from a signal handler): pending frames
 * are then counted as failed. */
void txfast_abort(struct txfast *t);
/* Flush and close; returns frames failed during the final flush. */
unsigned txfast_close(struct txfast *t);

#endif
