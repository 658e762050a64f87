/* pio.h - packet I/O: libpcap capture (offline pcap/pcapng, live), pcap dump
 * writer, and frame injection (Linux AF_PACKET or libpcap pcap_inject).
 *
 * One place turns libpcap/socket failures into the SPEC §2 exit codes:
 *   pio_open_offline()   missing/unreadable/garbage/empty file -> exit 2
 *   pio_open_live(), pio_tx_open()  no such interface, no privilege -> exit 3
 *   pio_dump_open()      output cannot be created -> exit 3; a link type
 *                        a pcap file cannot hold -> exit 2 (nothing created)
 * The pio_try_*() variants return NULL and a message instead of exiting
 * (for tests and for code that must not exit).
 *
 * Per-frame calls never exit: pio_next() returns -1 and pio_error() says why
 * (e.g. a truncated record); the caller reports it after processing every
 * frame before it, then exits 1 (SPEC §2 "Small rules").
 *
 * The libpcap paths are portable; the AF_PACKET sender is Linux only and
 * falls back to pcap_inject elsewhere.
 */
#ifndef V6_PIO_H
#define V6_PIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PIO_ERRLEN 256
#define PIO_SNAPLEN 262144	/* libpcap's MAXIMUM_SNAPLEN */

/* One captured frame.  `data` is valid until the next pio_next()/pio_close(). */
struct pio_frame {
	const uint8_t *data;
	uint32_t caplen;	/* octets present in data */
	uint32_t wirelen;	/* octets the frame had on the wire */
	int64_t ts_sec;		/* capture time, UTC seconds */
	uint32_t ts_nsec;	/* and nanoseconds (microsecond files: multiple of 1000) */
	int dlt;		/* link type of this frame: a pcapng file may mix them */
};

static inline uint64_t pio_frame_us(const struct pio_frame *f)
{
	return (uint64_t)f->ts_sec * 1000000u + f->ts_nsec / 1000u;
}

/* ---- capture ---- */

struct pio_in;

/* Flags for pio_open_live(). */
enum {
	PIO_PROMISC   = 1u << 0,	/* promiscuous mode */
	PIO_IMMEDIATE = 1u << 1,	/* deliver each packet at once (no buffering delay) */
	PIO_NONBLOCK  = 1u << 2,	/* pio_next() never waits: 0 = nothing ready */
	PIO_INBOUND   = 1u << 3,	/* only packets received, not those we send */
	PIO_BIGBUF    = 1u << 4,	/* 32 MiB kernel ring (libpcap's default: 2 MiB): for
					 * sustained rates, and loopback, whose 64 KiB MTU leaves
					 * a 2 MiB ring only 32 slots */
};

/* Open a pcap or pcapng file ("-" = stdin).  Timestamps are read at
 * nanosecond precision whatever the file's own precision. */
struct pio_in *pio_open_offline(const char *path);
struct pio_in *pio_try_open_offline(const char *path, char err[PIO_ERRLEN]);
/* True when the input is a classic pcap file with microsecond timestamps
 * (false for nanosecond pcap, pcapng, stdin and live): writers that must
 * reproduce the input pick PIO_DUMP_NSEC from this. */
bool pio_source_usec(const struct pio_in *in);

/* Open a live capture on `ifname` with an optional BPF filter (NULL = all).
 * A filter that does not compile is bad input (exit 2).  Blocking reads
 * return 0 after about 100 ms without traffic so callers can check flags. */
struct pio_in *pio_open_live(const char *ifname, const char *bpf_filter, unsigned flags);
struct pio_in *pio_try_open_live(const char *ifname, const char *bpf_filter, unsigned flags,
				 char err[PIO_ERRLEN], int *exit_code);

/* Next frame: 1 = frame in *f; 0 = end of file (offline) or nothing ready
 * yet (live); -1 = error, pio_error() has the message (e.g. a truncated
 * record: the frames before it were all delivered). */
int pio_next(struct pio_in *in, struct pio_frame *f);
const char *pio_error(const struct pio_in *in);
/* Frames whose timestamp fraction was a second or more (microseconds field
 * >= 10^6): delivered at the end of their second, never carried into the
 * next; the first is reported (file, packet) and the total at pio_close(). */
uint64_t pio_bad_timestamps(const struct pio_in *in);
int pio_dlt(const struct pio_in *in);		/* link type (pcap DLT_* value); pcapng:
						 * the first interface's (each frame
						 * carries its own: pio_frame.dlt) */
/* A pcapng file whose interfaces so far have more than one link type. */
bool pio_links_mixed(const struct pio_in *in);
int pio_snaplen(const struct pio_in *in);
const char *pio_dlt_name(int dlt);		/* "EN10MB", "RAW", ... or "unknown" */
/* Selectable fd for poll() (live only; -1 offline). */
int pio_fd(const struct pio_in *in);
/* Live statistics: received and dropped (kernel + interface) since open.
 * Returns 0, or -1 when the source has no statistics (offline). */
int pio_stats(struct pio_in *in, uint64_t *received, uint64_t *dropped);
/* Make a blocking pio_next() return soon (safe from a signal handler). */
void pio_break(struct pio_in *in);
void pio_close(struct pio_in *in);

/* ---- dump writer ---- */

struct pio_dump;

enum {
	PIO_DUMP_NSEC = 1u << 0,	/* nanosecond pcap (magic a1b23c4d); default microseconds */
};

/* Create a pcap file ("-" = stdout) of link type dlt. */
struct pio_dump *pio_dump_open(const char *path, int dlt, int snaplen, unsigned flags);
struct pio_dump *pio_try_dump_open(const char *path, int dlt, int snaplen, unsigned flags,
				   char err[PIO_ERRLEN]);
/* Write one frame with its timestamp; caplen is clipped to the snaplen.
 * Returns 0, or -1 when the output reported an error (see pio_dump_error). */
int pio_dump_write(struct pio_dump *d, const struct pio_frame *f);
/* The same for a frame of link type dlt: a frame of another link type than
 * the file's goes to a file of its own beside it, OUT.pcap -> OUT.RAW.pcap
 * (named on stderr when created; "-" cannot: an error), closed with d.  For
 * inputs that mix link types (pcapng). */
int pio_dump_write_link(struct pio_dump *d, const struct pio_frame *f, int dlt);
int pio_dump_flush(struct pio_dump *d);
const char *pio_dump_error(const struct pio_dump *d);
/* Frames wholly in the file (a write error leaves no partial record: it is
 * cut back), and frames handed to pio_dump_write(). */
uint64_t pio_dump_written(const struct pio_dump *d);
uint64_t pio_dump_frames(const struct pio_dump *d);
/* Flush and close; returns 0, or -1 when any write failed (disk full, EPIPE). */
int pio_dump_close(struct pio_dump *d);

/* ---- injection ---- */

enum pio_tx_kind {
	PIO_TX_PACKET,	/* Linux AF_PACKET SOCK_RAW bound to the interface */
	PIO_TX_PCAP,	/* libpcap pcap_inject (portable) */
};

struct pio_tx;

/* Open a sender of whole link-layer frames on ifname.  Exit 3 when the
 * interface is absent or privileges are missing.  PIO_TX_PACKET falls back
 * to PIO_TX_PCAP where AF_PACKET does not exist. */
struct pio_tx *pio_tx_open(const char *ifname, enum pio_tx_kind kind);
struct pio_tx *pio_try_tx_open(const char *ifname, enum pio_tx_kind kind,
			       char err[PIO_ERRLEN], int *exit_code);
/* Send one frame: 0, or -errno (ENOBUFS/EAGAIN when the queue is full,
 * EMSGSIZE when larger than the link MTU).  Never exits. */
int pio_tx_send(struct pio_tx *tx, const void *frame, size_t len);
enum pio_tx_kind pio_tx_kind(const struct pio_tx *tx);
int pio_tx_ifindex(const struct pio_tx *tx);
int pio_tx_fd(const struct pio_tx *tx);		/* for poll(POLLOUT); -1 if none */
/* Counters since open. */
void pio_tx_counters(const struct pio_tx *tx, uint64_t *sent, uint64_t *bytes, uint64_t *failed);
void pio_tx_close(struct pio_tx *tx);

#endif
