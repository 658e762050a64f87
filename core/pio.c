/* pio.c - packet I/O over libpcap (capture, dump, inject) and a Linux
 * AF_PACKET frame sender (packet(7)); pcap/pcapng via libpcap's readers. */
#include "pio.h"
#include "capfile.h"
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
	char err[PIO_ERRLEN];
};

struct pio_dump {
	pcap_t *dead;
	char *iobuf;		/* stdio buffer of the output file (freed after close) */
	pcap_dumper_t *d;
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

/* The tool that decompresses `path` when it starts with a compressor's
 * magic (captures are often kept compressed), else NULL. */
static const char *decompressor(const char *path)
{
	static const struct { uint8_t magic[4]; size_t n; const char *cat; } z[] = {
		{ { 0x1f, 0x8b }, 2, "zcat" },
		{ { 0x28, 0xb5, 0x2f, 0xfd }, 4, "zstdcat" },
		{ { 0xfd, '7', 'z', 'X' }, 4, "xzcat" },
		{ { 'B', 'Z', 'h' }, 3, "bzcat" },
	};
	uint8_t m[4] = { 0 };
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : NULL;
	size_t n = fp ? fread(m, 1, sizeof(m), fp) : 0;

	if (fp)
		fclose(fp);
	for (size_t i = 0; i < sizeof(z) / sizeof(z[0]); i++)
		if (n >= z[i].n && !memcmp(m, z[i].magic, z[i].n))
			return z[i].cat;
	return NULL;
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
		else if ((strstr(ebuf, "unknown file format") || strstr(ebuf, "bad dump file format")) &&
			 decompressor(path))
			copy_err(err, "%s: compressed, not a pcap or pcapng capture: try '%s %s | v6kit %s ... -r -'",
				 path, decompressor(path), path, v6_applet);
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
	/* Unprivileged, libpcap says "permission denied" before it looks for
	 * the device: a missing interface is the first thing to fix. */
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE ||
	    (rc == PCAP_ERROR_PERM_DENIED && strcmp(ifname, "any") && !if_nametoindex(ifname) && errno == ENODEV))
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
		return 1;
	}
	if (rc == 0 || rc == PCAP_ERROR_BREAK)	/* live timeout / EOF / pio_break */
		return 0;
	copy_err(in->err, "%s", pcap_geterr(in->p));
	return -1;
}

const char *pio_error(const struct pio_in *in) { return in->err; }
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
	pcap_close(in->p);
	free(in->iobuf);
	free(in);
}

/* ---- dump writer ---- */

struct pio_dump *pio_try_dump_open(const char *path, int dlt, int snaplen, unsigned flags,
				   char err[PIO_ERRLEN])
{
	bool nsec = flags & PIO_DUMP_NSEC;
	struct pio_dump *d;
	pcap_t *dead;
	pcap_dumper_t *dp;
	char *iobuf = NULL;

	if (snaplen <= 0 || snaplen > PIO_SNAPLEN)
		snaplen = PIO_SNAPLEN;
	dead = pcap_open_dead_with_tstamp_precision(dlt, snaplen, nsec ?
			PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
	if (!dead) {
		copy_err(err, "%s: cannot create a capture of link type %d", path, dlt);
		return NULL;
	}
	if (strcmp(path, "-")) {
		FILE *fp = fopen(path, "wb");

		if (!fp) {
			copy_err(err, "%s: %s", path, strerror(errno));
			pcap_close(dead);
			return NULL;
		}
		/* as for reading: one write() per MiB, not per page */
		iobuf = xmalloc(PIO_STDIO_BUF);
		setvbuf(fp, iobuf, _IOFBF, PIO_STDIO_BUF);
		dp = pcap_dump_fopen(dead, fp);
		if (!dp) {
			fclose(fp);
			free(iobuf);
			iobuf = NULL;
		}
	} else {
		dp = pcap_dump_open(dead, path);
	}
	if (!dp) {
		copy_err(err, "%s", pcap_geterr(dead));
		pcap_close(dead);
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->dead = dead;
	d->d = dp;
	d->iobuf = iobuf;
	d->snaplen = snaplen;
	d->nsec = nsec;
	return d;
}

struct pio_dump *pio_dump_open(const char *path, int dlt, int snaplen, unsigned flags)
{
	char err[PIO_ERRLEN];
	struct pio_dump *d = pio_try_dump_open(path, dlt, snaplen, flags, err);

	if (!d)
		die(EXIT_RESOURCE, "%s", err);
	return d;
}

static int dump_check(struct pio_dump *d)
{
	FILE *fp = pcap_dump_file(d->d);

	if (!d->failed && fp && ferror(fp)) {
		d->failed = true;
		copy_err(d->err, "write error: %s", strerror(errno ? errno : EIO));
	}
	return d->failed ? -1 : 0;
}

int pio_dump_write(struct pio_dump *d, const struct pio_frame *f)
{
	struct pcap_pkthdr h;

	h.ts.tv_sec = (time_t)f->ts_sec;
	h.ts.tv_usec = (suseconds_t)(d->nsec ? f->ts_nsec : f->ts_nsec / 1000);
	h.len = f->wirelen < f->caplen ? f->caplen : f->wirelen;
	h.caplen = f->caplen > (uint32_t)d->snaplen ? (uint32_t)d->snaplen : f->caplen;
	pcap_dump((u_char *)d->d, &h, f->data);
	return dump_check(d);
}

int pio_dump_flush(struct pio_dump *d)
{
	if (pcap_dump_flush(d->d) < 0 && !d->failed) {
		d->failed = true;
		copy_err(d->err, "write error: %s", strerror(errno ? errno : EIO));
	}
	return dump_check(d);
}

const char *pio_dump_error(const struct pio_dump *d) { return d->err; }

int pio_dump_close(struct pio_dump *d)
{
	int rc;

	if (!d)
		return 0;
	rc = pio_dump_flush(d);
	pcap_dump_close(d->d);	/* fclose: stdout too, as tcpdump -w - does */
	pcap_close(d->dead);
	free(d->iobuf);
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
