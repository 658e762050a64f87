/* pio.c - packet I/O over libpcap (capture, dump, inject) and a Linux
 * AF_PACKET frame sender (packet(7)); pcap/pcapng via libpcap's readers. */
#include "pio.h"
#include "capfile.h"
#include "emit.h"
#include "util.h"

#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#if defined(__linux__)
#include <stdio_ext.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <net/if.h>
#include <sys/socket.h>
#ifdef __linux__
#include <linux/if_packet.h>
#endif

#define PIO_STDIO_BUF (1u << 20)

struct pio_in {
	pcap_t *p;
	char *iobuf;		/* stdio buffer of an offline file (freed after pcap_close) */
	bool live;
	bool source_usec;	/* a classic microsecond pcap file */
	char *path;		/* offline: for messages */
	uint64_t frames;	/* frames delivered */
	uint64_t bad_ts;	/* timestamp fractions of a second or more */
	char err[PIO_ERRLEN];
};

struct pio_dump {
	int fd;
	bool own_fd;		/* close it (a file; "-" writes a dup of stdout) */
	bool regular;		/* a regular file: a cut record can be cut back */
	char *buf;		/* whole records only, so a failed write is counted exactly */
	size_t blen;
	uint64_t committed;	/* octets known to be in the file */
	uint64_t frames;	/* frames accepted by pio_dump_write */
	uint64_t written;	/* frames wholly in the file */
	int snaplen;
	bool nsec;
	bool failed;
	char err[PIO_ERRLEN];
};

/* Room to grow: pcap-replay's fast path (PACKET_TX_RING or sendmmsg batches,
 * PACKET_QDISC_BYPASS) adds its ring/iovec state here and a pio_tx_batch()
 * entry point; pio_tx_send() stays the one-frame path. */
struct pio_tx {
	enum pio_tx_kind kind;
	int fd;			/* AF_PACKET socket, or -1 */
	int ifindex;
	pcap_t *p;		/* PIO_TX_PCAP handle, or NULL */
	uint64_t sent, bytes, failed;
};

static void copy_err(char err[PIO_ERRLEN], const char *fmt, ...) V6_PRINTF(2, 3);
static void copy_err(char err[PIO_ERRLEN], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, PIO_ERRLEN, fmt, ap);
	va_end(ap);
}

/* ---- capture ---- */

/* libpcap reads every file at the precision we ask for and does not say what
 * the file held; a faithful copy needs to know.  Peek at the magic of a
 * seekable file (classic pcap, either byte order) and rewind. */
static bool file_is_usec_pcap(FILE *fp)
{
	uint8_t m[4];
	size_t n = fread(m, 1, sizeof(m), fp);
	bool usec = capfile_classify(m, n) == CAPFILE_PCAP;

	if (fseek(fp, 0, SEEK_SET) != 0)
		usec = false;
	clearerr(fp);
	return usec;
}

struct pio_in *pio_try_open_offline(const char *path, char err[PIO_ERRLEN])
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pio_in *in;
	pcap_t *p = NULL;
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char *iobuf = NULL;
	bool usec = false;

	/* A large stdio buffer for files: libpcap reads record by record, and
	 * the default (one page) costs a read() every few packets.  glibc
	 * ignores the size when setvbuf() gets no buffer, so we give it one. */
	if (!fp) {
		snprintf(ebuf, sizeof(ebuf), "%s: %s", path, strerror(errno));
	} else {
		if (fp != stdin) {
			iobuf = xmalloc(PIO_STDIO_BUF);
			setvbuf(fp, iobuf, _IOFBF, PIO_STDIO_BUF);
			usec = file_is_usec_pcap(fp);
		}
#ifdef FSETLOCKING_BYCALLER
		/* Only this thread reads it: no stdio lock around each of
		 * libpcap's two fread()s per record. */
		__fsetlocking(fp, FSETLOCKING_BYCALLER);
#endif
		p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, ebuf);
		if (!p && fp != stdin) {
			fclose(fp);
			free(iobuf);
		}
	}
	if (!p) {
		/* libpcap says "truncated dump file; tried to read 4 file header
		 * bytes, only got 0" for an empty file: say it plainly. */
		if (strstr(ebuf, "only got 0"))
			copy_err(err, "%s: empty file, not a pcap or pcapng capture",
				 strcmp(path, "-") ? path : "stdin");
		else if (strstr(ebuf, "unknown file format") || strstr(ebuf, "bad dump file format"))
			copy_err(err, "%s: not a pcap or pcapng capture (%s)",
				 strcmp(path, "-") ? path : "stdin", ebuf);
		else if (strncmp(ebuf, path, strlen(path)) == 0)
			copy_err(err, "%s", ebuf);
		else
			copy_err(err, "%s: %s", strcmp(path, "-") ? path : "stdin", ebuf);
		return NULL;
	}
	in = xcalloc(1, sizeof(*in));
	in->iobuf = iobuf;
	in->p = p;
	in->source_usec = usec;
	in->path = xstrdup(strcmp(path, "-") ? path : "<stdin>");
	return in;
}

bool pio_source_usec(const struct pio_in *in)
{
	return in->source_usec;
}

struct pio_in *pio_open_offline(const char *path)
{
	char err[PIO_ERRLEN];
	struct pio_in *in = pio_try_open_offline(path, err);

	if (!in)
		die(EXIT_USAGE, "%s", err);
	return in;
}

static struct pio_in *live_fail(pcap_t *p, char err[PIO_ERRLEN], int *exit_code,
				int code, const char *fmt, const char *ifname, const char *detail)
{
	copy_err(err, fmt, ifname, detail);
	if (exit_code)
		*exit_code = code;
	if (p)
		pcap_close(p);
	return NULL;
}

struct pio_in *pio_try_open_live(const char *ifname, const char *bpf_filter, unsigned flags,
				 char err[PIO_ERRLEN], int *exit_code)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct bpf_program prog;
	struct pio_in *in;
	pcap_t *p;
	int rc;

	p = pcap_create(ifname, ebuf);
	if (!p)
		return live_fail(NULL, err, exit_code, EXIT_RESOURCE, "%s: %s", ifname, ebuf);
	pcap_set_snaplen(p, PIO_SNAPLEN);
	pcap_set_promisc(p, !!(flags & PIO_PROMISC));
	pcap_set_immediate_mode(p, !!(flags & PIO_IMMEDIATE));
	pcap_set_timeout(p, 100);
	pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	if (flags & PIO_BIGBUF)
		pcap_set_buffer_size(p, 32 << 20);
	rc = pcap_activate(p);
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
		return live_fail(p, err, exit_code, EXIT_RESOURCE, "%s: no such interface%s", ifname, "");
	if (rc == PCAP_ERROR_PERM_DENIED)
		return live_fail(p, err, exit_code, EXIT_RESOURCE,
				 "%s: permission denied capturing (need root or CAP_NET_RAW)%s", ifname, "");
	if (rc == PCAP_ERROR_IFACE_NOT_UP)
		return live_fail(p, err, exit_code, EXIT_RESOURCE, "%s: interface is down%s", ifname, "");
	if (rc < 0)
		return live_fail(p, err, exit_code, EXIT_RESOURCE, "%s: cannot capture: %s",
				 ifname, pcap_geterr(p));
	if (rc > 0)	/* a warning, e.g. promiscuous mode not supported */
		debugmsg("%s: %s", ifname, pcap_geterr(p));
	if ((flags & PIO_INBOUND) && pcap_setdirection(p, PCAP_D_IN) < 0)
		return live_fail(p, err, exit_code, EXIT_RESOURCE,
				 "%s: cannot restrict capture to inbound packets: %s", ifname, pcap_geterr(p));
	if (bpf_filter && *bpf_filter) {
		if (pcap_compile(p, &prog, bpf_filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			char msg[PCAP_ERRBUF_SIZE + 32];

			snprintf(msg, sizeof(msg), "'%s': %s", bpf_filter, pcap_geterr(p));
			return live_fail(p, err, exit_code, EXIT_USAGE, "%s: bad capture filter %s",
					 ifname, msg);
		}
		rc = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (rc < 0)
			return live_fail(p, err, exit_code, EXIT_RESOURCE, "%s: cannot set filter: %s",
					 ifname, pcap_geterr(p));
	}
	if ((flags & PIO_NONBLOCK) && pcap_setnonblock(p, 1, ebuf) < 0)
		return live_fail(p, err, exit_code, EXIT_RESOURCE, "%s: %s", ifname, ebuf);
	in = xcalloc(1, sizeof(*in));
	in->p = p;
	in->live = true;
	return in;
}

struct pio_in *pio_open_live(const char *ifname, const char *bpf_filter, unsigned flags)
{
	char err[PIO_ERRLEN];
	int code = EXIT_RESOURCE;
	struct pio_in *in = pio_try_open_live(ifname, bpf_filter, flags, err, &code);

	if (!in)
		die(code, "%s", err);
	return in;
}

int pio_next(struct pio_in *in, struct pio_frame *f)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(in->p, &h, &data);

	if (rc == 1) {
		f->data = data;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		f->ts_sec = h->ts.tv_sec;
		/* tv_usec holds nanoseconds: the handle was opened NANO. */
		f->ts_nsec = (uint32_t)h->ts.tv_usec;
		in->frames++;
		if (h->ts.tv_usec < 0 || h->ts.tv_usec >= 1000000000) {
			/* A fraction field of a second or more (a broken writer):
			 * carrying it into the seconds would make up a time the
			 * capture never had.  Keep the second, say so. */
			if (!in->bad_ts++)
				em_error_at(in->path, 0, in->frames,
					    "packet %llu: timestamp fraction %lld %s is not below one second: "
					    "kept within second %lld (further ones are counted)",
					    (unsigned long long)in->frames,
					    (long long)(in->source_usec ? h->ts.tv_usec / 1000 : h->ts.tv_usec),
					    in->source_usec ? "us" : "ns", (long long)h->ts.tv_sec);
			f->ts_nsec = 999999999u;
		}
		return 1;
	}
	if (rc == 0 || rc == PCAP_ERROR_BREAK)	/* live timeout / EOF / pio_break */
		return 0;
	copy_err(in->err, "%s", pcap_geterr(in->p));
	return -1;
}

const char *pio_error(const struct pio_in *in) { return in->err; }
uint64_t pio_bad_timestamps(const struct pio_in *in) { return in->bad_ts; }
int pio_dlt(const struct pio_in *in) { return pcap_datalink(in->p); }
int pio_snaplen(const struct pio_in *in) { return pcap_snapshot(in->p); }

const char *pio_dlt_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "unknown";
}

int pio_fd(const struct pio_in *in)
{
	return in->live ? pcap_get_selectable_fd(in->p) : -1;
}

int pio_stats(struct pio_in *in, uint64_t *received, uint64_t *dropped)
{
	struct pcap_stat st;

	if (!in->live || pcap_stats(in->p, &st) < 0)
		return -1;
	*received = st.ps_recv;
	*dropped = (uint64_t)st.ps_drop + st.ps_ifdrop;
	return 0;
}

void pio_break(struct pio_in *in)
{
	pcap_breakloop(in->p);
}

void pio_close(struct pio_in *in)
{
	if (!in)
		return;
	if (in->bad_ts > 1)
		em_error_at(in->path, 0, 0, "%llu packets had a timestamp fraction of a second or more",
			    (unsigned long long)in->bad_ts);
	pcap_close(in->p);
	free(in->iobuf);
	free(in->path);
	free(in);
}

/* ---- dump writer ---- */

/* libpcap writes the file header (it knows which DLT_ value maps to which
 * LINKTYPE_ in a file, and which it cannot write at all); the records we
 * write ourselves, so that a write error says exactly how many frames are
 * in the file and never leaves half a record. */
static int dump_header(int dlt, int snaplen, bool nsec, uint8_t hdr[24], char err[PIO_ERRLEN],
		       const char *path)
{
	pcap_t *dead = pcap_open_dead_with_tstamp_precision(dlt, snaplen, nsec ?
			PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	char *mem = NULL;
	size_t memlen = 0;
	FILE *ms;
	pcap_dumper_t *dp;
	int rc = -1;

	if (!dead) {
		copy_err(err, "%s: cannot write link type %d to a pcap file", path, dlt);
		return -1;
	}
	ms = open_memstream(&mem, &memlen);
	dp = ms ? pcap_dump_fopen(dead, ms) : NULL;
	if (!dp) {
		copy_err(err, "%s: cannot write link type %s (%d) to a pcap file%s%s", path,
			 pio_dlt_name(dlt), dlt, ms ? ": " : "", ms ? pcap_geterr(dead) : "");
		if (ms)
			fclose(ms);
	} else {
		pcap_dump_close(dp);	/* fcloses the memstream: mem holds the header */
		if (memlen == 24) {
			memcpy(hdr, mem, 24);
			rc = 0;
		} else {
			copy_err(err, "%s: libpcap wrote a %zu-octet file header", path, memlen);
		}
	}
	free(mem);
	pcap_close(dead);
	return rc;
}

struct pio_dump *pio_try_dump_open(const char *path, int dlt, int snaplen, unsigned flags,
				   char err[PIO_ERRLEN])
{
	bool nsec = flags & PIO_DUMP_NSEC;
	struct pio_dump *d;
	uint8_t hdr[24];
	struct stat st;
	int fd;

	if (snaplen <= 0 || snaplen > PIO_SNAPLEN)
		snaplen = PIO_SNAPLEN;
	/* Before the file exists: an unwritable link type leaves nothing behind. */
	if (dump_header(dlt, snaplen, nsec, hdr, err, path) < 0)
		return NULL;
	if (strcmp(path, "-"))
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	else
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);	/* stdout itself stays open */
	if (fd < 0) {
		copy_err(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->fd = fd;
	d->own_fd = true;
	d->regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	d->buf = xmalloc(PIO_STDIO_BUF);
	d->snaplen = snaplen;
	d->nsec = nsec;
	memcpy(d->buf, hdr, sizeof(hdr));
	d->blen = sizeof(hdr);
	return d;
}

struct pio_dump *pio_dump_open(const char *path, int dlt, int snaplen, unsigned flags)
{
	char err[PIO_ERRLEN];
	struct pio_dump *d = pio_try_dump_open(path, dlt, snaplen, flags, err);

	if (!d)
		die(strstr(err, "link type") ? EXIT_USAGE : EXIT_RESOURCE, "%s", err);
	return d;
}

/* Write the buffer (whole records); on failure count the records that did
 * reach the file and cut a partial one back. */
static int dump_drain(struct pio_dump *d)
{
	size_t done = 0, at, keep;
	int e = 0;

	while (!d->failed && done < d->blen) {
		ssize_t n = write(d->fd, d->buf + done, d->blen - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : ENOSPC;
			break;
		}
		done += (size_t)n;
	}
	if (d->failed || done == d->blen) {
		if (!d->failed) {
			/* all records in the buffer are out */
			for (at = d->committed ? 0 : 24; at + 16 <= d->blen;) {
				uint32_t cl;

				memcpy(&cl, d->buf + at + 8, 4);
				at += 16 + cl;
				d->written++;
			}
			d->committed += d->blen;
		}
		d->blen = 0;
		return d->failed ? -1 : 0;
	}
	/* Records wholly inside the `done` octets that made it. */
	at = d->committed ? 0 : 24;
	keep = done < at ? 0 : at;
	while (at + 16 <= done) {
		uint32_t cl;

		memcpy(&cl, d->buf + at + 8, 4);
		if (at + 16 + cl > done)
			break;
		at += 16 + cl;
		d->written++;
		keep = at;
	}
	if (d->regular && keep < done && ftruncate(d->fd, (off_t)(d->committed + keep)) < 0)
		debugmsg("cannot cut back a partial pcap record: %s", strerror(errno));
	d->committed += keep;
	d->failed = true;
	copy_err(d->err, "write error: %s", strerror(e));
	d->blen = 0;
	return -1;
}

int pio_dump_write(struct pio_dump *d, const struct pio_frame *f)
{
	uint32_t rec[4];
	uint32_t caplen = f->caplen > (uint32_t)d->snaplen ? (uint32_t)d->snaplen : f->caplen;

	if (d->failed)
		return -1;
	if (d->blen + 16 + caplen > PIO_STDIO_BUF && dump_drain(d) < 0)
		return -1;
	/* pcap record header, host byte order as libpcap writes it */
	rec[0] = (uint32_t)f->ts_sec;
	rec[1] = d->nsec ? f->ts_nsec : f->ts_nsec / 1000;
	rec[2] = caplen;
	rec[3] = f->wirelen < f->caplen ? f->caplen : f->wirelen;
	memcpy(d->buf + d->blen, rec, 16);
	memcpy(d->buf + d->blen + 16, f->data, caplen);
	d->blen += 16 + caplen;
	d->frames++;
	return 0;
}

int pio_dump_flush(struct pio_dump *d)
{
	return d->blen ? dump_drain(d) : (d->failed ? -1 : 0);
}

const char *pio_dump_error(const struct pio_dump *d) { return d->err; }

uint64_t pio_dump_written(const struct pio_dump *d) { return d->written; }
uint64_t pio_dump_frames(const struct pio_dump *d) { return d->frames; }

int pio_dump_close(struct pio_dump *d)
{
	int rc;

	if (!d)
		return 0;
	rc = pio_dump_flush(d);
	if (d->own_fd && close(d->fd) < 0 && rc == 0) {
		rc = -1;
		copy_err(d->err, "write error: %s", strerror(errno));
	}
	free(d->buf);
	free(d);
	return rc;
}

/* ---- injection ---- */

static struct pio_tx *tx_fail(struct pio_tx *tx, char err[PIO_ERRLEN], int *exit_code,
			      int code, const char *msg)
{
	copy_err(err, "%s", msg);
	if (exit_code)
		*exit_code = code;
	pio_tx_close(tx);
	return NULL;
}

static struct pio_tx *tx_open_pcap(struct pio_tx *tx, const char *ifname,
				   char err[PIO_ERRLEN], int *exit_code)
{
	/* A handle that captures nothing: injection only, no buffer to fill. */
	static struct bpf_insn ret0[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct bpf_program none = { 1, ret0 };
	char ebuf[PCAP_ERRBUF_SIZE] = "", msg[PIO_ERRLEN + 64];
	int rc;

	tx->p = pcap_create(ifname, ebuf);
	if (!tx->p) {
		snprintf(msg, sizeof(msg), "%s: %s", ifname, ebuf);
		return tx_fail(tx, err, exit_code, EXIT_RESOURCE, msg);
	}
	pcap_set_snaplen(tx->p, 64);
	pcap_set_buffer_size(tx->p, 65536);
	rc = pcap_activate(tx->p);
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
		snprintf(msg, sizeof(msg), "%s: no such interface", ifname);
	else if (rc == PCAP_ERROR_PERM_DENIED)
		snprintf(msg, sizeof(msg), "%s: permission denied opening for injection (need root or CAP_NET_RAW)",
			 ifname);
	else if (rc < 0)
		snprintf(msg, sizeof(msg), "%s: cannot open for injection: %s", ifname, pcap_geterr(tx->p));
	if (rc < 0)
		return tx_fail(tx, err, exit_code, EXIT_RESOURCE, msg);
	if (pcap_setfilter(tx->p, &none) < 0)
		debugmsg("%s: cannot set empty capture filter: %s", ifname, pcap_geterr(tx->p));
	tx->kind = PIO_TX_PCAP;
	return tx;
}

struct pio_tx *pio_try_tx_open(const char *ifname, enum pio_tx_kind kind,
			       char err[PIO_ERRLEN], int *exit_code)
{
	struct pio_tx *tx = xcalloc(1, sizeof(*tx));

	tx->fd = -1;
	tx->kind = kind;
	tx->ifindex = (int)if_nametoindex(ifname);
	if (!tx->ifindex) {
		char msg[PIO_ERRLEN];

		snprintf(msg, sizeof(msg), "%s: no such interface", ifname);
		return tx_fail(tx, err, exit_code, EXIT_RESOURCE, msg);
	}
#ifdef __linux__
	if (kind == PIO_TX_PACKET) {
		struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_ifindex = tx->ifindex };
		char msg[PIO_ERRLEN];

		/* Protocol 0: the socket receives nothing, so it never queues
		 * traffic nobody reads; it only sends. */
		tx->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
		if (tx->fd < 0) {
			snprintf(msg, sizeof(msg), "%s: cannot open AF_PACKET socket: %s%s", ifname,
				 strerror(errno), errno == EPERM || errno == EACCES ?
				 " (need root or CAP_NET_RAW)" : "");
			return tx_fail(tx, err, exit_code, EXIT_RESOURCE, msg);
		}
		if (bind(tx->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			snprintf(msg, sizeof(msg), "%s: cannot bind AF_PACKET socket: %s", ifname,
				 strerror(errno));
			return tx_fail(tx, err, exit_code, EXIT_RESOURCE, msg);
		}
		return tx;
	}
#else
	tx->kind = PIO_TX_PCAP;	/* no AF_PACKET: libpcap injects (BPF on BSD/macOS) */
#endif
	return tx_open_pcap(tx, ifname, err, exit_code);
}

struct pio_tx *pio_tx_open(const char *ifname, enum pio_tx_kind kind)
{
	char err[PIO_ERRLEN];
	int code = EXIT_RESOURCE;
	struct pio_tx *tx = pio_try_tx_open(ifname, kind, err, &code);

	if (!tx)
		die(code, "%s", err);
	return tx;
}

int pio_tx_send(struct pio_tx *tx, const void *frame, size_t len)
{
	int e = 0;

	if (len > INT_MAX)
		e = EMSGSIZE;
#ifdef __linux__
	else if (tx->kind == PIO_TX_PACKET) {
		ssize_t n = send(tx->fd, frame, len, 0);

		if (n < 0)
			e = errno;
		else if ((size_t)n != len)
			e = EIO;
	}
#endif
	else {
		errno = 0;
		if (pcap_inject(tx->p, frame, len) < 0)
			e = errno ? errno : EIO;
	}
	if (e) {
		tx->failed++;
		return -e;
	}
	tx->sent++;
	tx->bytes += len;
	return 0;
}

enum pio_tx_kind pio_tx_kind(const struct pio_tx *tx) { return tx->kind; }
int pio_tx_ifindex(const struct pio_tx *tx) { return tx->ifindex; }

int pio_tx_fd(const struct pio_tx *tx)
{
	if (tx->fd >= 0)
		return tx->fd;
	return tx->p ? pcap_get_selectable_fd(tx->p) : -1;
}

void pio_tx_counters(const struct pio_tx *tx, uint64_t *sent, uint64_t *bytes, uint64_t *failed)
{
	*sent = tx->sent;
	*bytes = tx->bytes;
	*failed = tx->failed;
}

void pio_tx_close(struct pio_tx *tx)
{
	if (!tx)
		return;
	if (tx->fd >= 0)
		close(tx->fd);
	if (tx->p)
		pcap_close(tx->p);
	free(tx);
}
