/* pio.c - packet I/O over libpcap (capture, dump, inject) and a Linux
 * AF_PACKET frame sender (packet(7)); pcap/pcapng via libpcap's readers. */
#include "pio.h"
#include "capfile.h"
#include "cursor.h"
#include "progress.h"
#include "emit.h"
#include "pkt.h"
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
	struct ng *ng;		/* a pcapng file we read ourselves (else libpcap) */
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
	int dlt;
	unsigned flags;
	char *path;
	struct pio_dump *sib;	/* files of the other link types (pio_dump_write_link) */
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

/* ---- pcapng, read here ----
 *
 * libpcap refuses a pcapng file whose interfaces have different link types
 * (mergecap of an Ethernet and a raw-IP capture), and pcap_datalink() has
 * one value per file.  tshark decodes each packet with its own interface's
 * link type; so do we: every frame carries its dlt.  Blocks: SHB (new
 * section, byte order), IDB (link type, if_tsresol, if_tsoffset), EPB, SPB,
 * the obsolete PB; all others are skipped.  Read through the cursor. */

#define NG_MAX_BLOCK (PIO_SNAPLEN + 4096)

struct ng_if {
	int dlt;
	uint64_t units;		/* timestamp units per second */
	int64_t offset_s;	/* if_tsoffset */
};

struct ng {
	FILE *fp;
	bool le;		/* section byte order */
	struct ng_if *ifs;
	size_t n_if, cap_if;
	uint8_t *blk;		/* the current block */
	int first_dlt;
	bool mixed;		/* interfaces of more than one link type seen */
	bool at_eof;
};

static uint32_t ng_u32(struct cur *c, bool le)
{
	uint32_t v = 0;

	cur_be32(c, &v);
	return le ? __builtin_bswap32(v) : v;
}

static uint16_t ng_u16(struct cur *c, bool le)
{
	uint16_t v = 0;

	cur_be16(c, &v);
	return le ? __builtin_bswap16(v) : v;
}

/* LINKTYPE_ (in the file) to DLT_: equal but for a few historical values. */
static int ng_dlt(uint16_t linktype)
{
	return linktype == 101 ? DLT_RAW : linktype;
}

/* Read one block into ng->blk: 1 = block (type, body cursor), 0 = clean end
 * of file, -1 = error in err. */
static int ng_block(struct ng *ng, uint32_t *type, struct cur *body, char err[PIO_ERRLEN])
{
	uint8_t hdr[12];
	size_t n = fread(hdr, 1, 12, ng->fp);
	struct cur c;
	uint32_t len, tail;

	if (n == 0 && feof(ng->fp))
		return 0;
	if (n < 12) {
		copy_err(err, "truncated pcapng block header (%zu of 12 octets)", n);
		return -1;
	}
	cur_init(&c, hdr, 12);
	cur_be32(&c, type);
	if (*type == 0x0A0D0D0A) {	/* SHB: its magic says the byte order */
		uint32_t magic;

		cur_skip(&c, 4);
		cur_be32(&c, &magic);
		if (magic != 0x1A2B3C4D && magic != 0x4D3C2B1A) {
			copy_err(err, "bad pcapng byte-order magic 0x%08x", magic);
			return -1;
		}
		ng->le = magic == 0x4D3C2B1A;
		cur_init(&c, hdr, 12);
		cur_skip(&c, 4);
	} else if (ng->le) {
		*type = __builtin_bswap32(*type);
	}
	len = ng_u32(&c, ng->le);
	if (len < 12 || len % 4 || len > NG_MAX_BLOCK) {
		copy_err(err, "bad pcapng block length %u", len);
		return -1;
	}
	memcpy(ng->blk, hdr, 12);
	if (len > 12 && fread(ng->blk + 12, 1, len - 12, ng->fp) != len - 12) {
		copy_err(err, "truncated pcapng block (type 0x%08x, %u octets)", *type, len);
		return -1;
	}
	cur_init(&c, ng->blk + len - 4, 4);
	tail = ng_u32(&c, ng->le);
	if (tail != len) {
		copy_err(err, "pcapng block lengths disagree (%u, %u)", len, tail);
		return -1;
	}
	cur_init(body, ng->blk + 8, len - 12);
	return 1;
}

static void ng_add_if(struct ng *ng, struct cur *b)
{
	struct ng_if ifc = { .units = 1000000 };
	uint16_t linktype = ng_u16(b, ng->le);

	cur_skip(b, 6);		/* reserved, snaplen */
	ifc.dlt = ng_dlt(linktype);
	while (cur_has(b, 4)) {
		uint16_t code = ng_u16(b, ng->le), olen = ng_u16(b, ng->le);
		struct cur o;

		if (code == 0 || !cur_sub(b, olen, &o))
			break;
		cur_skip(b, (4 - olen % 4) % 4);
		if (code == 9 && olen >= 1) {		/* if_tsresol */
			uint8_t r = 0;

			cur_u8(&o, &r);
			if (r & 0x80)
				ifc.units = (r & 0x7f) < 64 ? 1ull << (r & 0x7f) : 0;
			else
				for (ifc.units = 1; r-- > 0 && ifc.units <= UINT64_MAX / 10;)
					ifc.units *= 10;
		} else if (code == 14 && olen == 8) {	/* if_tsoffset */
			uint32_t w0 = ng_u32(&o, ng->le), w1 = ng_u32(&o, ng->le);

			ifc.offset_s = (int64_t)(ng->le ? (uint64_t)w1 << 32 | w0 : (uint64_t)w0 << 32 | w1);
		}
	}
	if (!ifc.units)
		ifc.units = 1000000;
	if (ng->n_if == ng->cap_if) {
		ng->cap_if = ng->cap_if ? ng->cap_if * 2 : 4;
		ng->ifs = xrealloc(ng->ifs, ng->cap_if * sizeof(*ng->ifs));
	}
	if (ng->n_if == 0 && ng->first_dlt < 0)
		ng->first_dlt = ifc.dlt;
	else if (ifc.dlt != ng->first_dlt)
		ng->mixed = true;
	ng->ifs[ng->n_if++] = ifc;
}

/* Next packet: 1, 0 at the end, -1 with err. */
static int ng_next(struct ng *ng, struct pio_frame *f, char err[PIO_ERRLEN])
{
	for (;;) {
		uint32_t type, ifid = 0, hi = 0, lo = 0, caplen, wirelen;
		struct cur b;
		int rc = ng_block(ng, &type, &b, err);

		if (rc <= 0)
			return rc;
		switch (type) {
		case 0x0A0D0D0A:	/* a new section: its interfaces start again */
			ng->n_if = 0;
			continue;
		case 1:
			ng_add_if(ng, &b);
			continue;
		case 6:			/* EPB */
			ifid = ng_u32(&b, ng->le);
			hi = ng_u32(&b, ng->le);
			lo = ng_u32(&b, ng->le);
			caplen = ng_u32(&b, ng->le);
			wirelen = ng_u32(&b, ng->le);
			break;
		case 3:			/* SPB: interface 0, no time */
			wirelen = ng_u32(&b, ng->le);
			caplen = (uint32_t)cur_left(&b);
			if (caplen > wirelen)
				caplen = wirelen;
			break;
		case 2: {		/* PB (obsolete) */
			ifid = ng_u16(&b, ng->le);
			cur_skip(&b, 2);
			hi = ng_u32(&b, ng->le);
			lo = ng_u32(&b, ng->le);
			caplen = ng_u32(&b, ng->le);
			wirelen = ng_u32(&b, ng->le);
			break;
		}
		default:
			continue;
		}
		if (b.trunc || caplen > cur_left(&b)) {
			copy_err(err, "pcapng packet block: captured length %u exceeds the block", caplen);
			return -1;
		}
		if (ifid >= ng->n_if) {
			copy_err(err, "pcapng packet for interface %u, which is not described", ifid);
			return -1;
		}
		{
			const struct ng_if *ifc = &ng->ifs[ifid];
			uint64_t t = (uint64_t)hi << 32 | lo;
			uint64_t frac = t % ifc->units;

			f->data = cur_take(&b, caplen);
			f->caplen = caplen;
			f->wirelen = wirelen;
			f->ts_sec = (int64_t)(t / ifc->units) + ifc->offset_s;
			f->ts_nsec = (uint32_t)(ifc->units <= 1000000000u ?
				frac * (1000000000u / ifc->units) :
				(uint64_t)((unsigned __int128)frac * 1000000000u / ifc->units));
			f->dlt = ifc->dlt;
		}
		return 1;
	}
}

/* Open: the section header and the first interface must come first. */
static struct ng *ng_open(FILE *fp, char err[PIO_ERRLEN], const char *path)
{
	struct ng *ng = xcalloc(1, sizeof(*ng));
	uint32_t type;
	struct cur b;
	int rc;

	ng->fp = fp;
	ng->first_dlt = -1;
	ng->blk = xmalloc(NG_MAX_BLOCK);
	rc = ng_block(ng, &type, &b, err);
	if (rc > 0 && type != 0x0A0D0D0A) {
		copy_err(err, "not a pcapng section header");
		rc = -1;
	}
	/* Blocks before the first interface (name resolution, ...) are skipped;
	 * we must know a link type before the first packet. */
	while (rc > 0 && !ng->n_if) {
		rc = ng_block(ng, &type, &b, err);
		if (rc > 0 && type == 1)
			ng_add_if(ng, &b);
		else if (rc > 0 && (type == 2 || type == 3 || type == 6)) {
			copy_err(err, "pcapng packet before any interface description");
			rc = -1;
		}
	}
	if (rc == 0)
		copy_err(err, "pcapng file without an interface description");
	if (rc <= 0) {
		char msg[PIO_ERRLEN];

		snprintf(msg, sizeof(msg), "%s", err);
		copy_err(err, "%s: %s", path, msg);
		free(ng->blk);
		free(ng->ifs);
		free(ng);
		return NULL;
	}
	return ng;
}

static void ng_close(struct ng *ng)
{
	if (!ng)
		return;
	fclose(ng->fp);
	free(ng->blk);
	free(ng->ifs);
	free(ng);
}

/* ---- capture ---- */

/* libpcap reads every file at the precision we ask for and does not say what
 * the file held; a faithful copy needs to know.  Peek at the magic of a
 * seekable file (classic pcap, either byte order) and rewind. */
static bool file_is_usec_pcap(FILE *fp, bool *pcapng)
{
	uint8_t m[4];
	size_t n = fread(m, 1, sizeof(m), fp);
	int kind = capfile_classify(m, n);
	bool usec = kind == CAPFILE_PCAP;

	*pcapng = kind == CAPFILE_PCAPNG;
	if (fseek(fp, 0, SEEK_SET) != 0)
		usec = *pcapng = false;
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
	bool usec = false, pcapng = false;
	struct ng *ng = NULL;

	/* A large stdio buffer for files: libpcap reads record by record, and
	 * the default (one page) costs a read() every few packets.  glibc
	 * ignores the size when setvbuf() gets no buffer, so we give it one. */
	if (!fp) {
		snprintf(ebuf, sizeof(ebuf), "%s: %s", path, strerror(errno));
	} else {
		if (fp != stdin) {
			iobuf = xmalloc(PIO_STDIO_BUF);
			setvbuf(fp, iobuf, _IOFBF, PIO_STDIO_BUF);
			usec = file_is_usec_pcap(fp, &pcapng);
		}
		if (pcapng) {
			/* a seekable pcapng file: ours (stdin stays libpcap's) */
			ng = ng_open(fp, err, path);
			if (!ng) {
				fclose(fp);
				free(iobuf);
				return NULL;
			}
			in = xcalloc(1, sizeof(*in));
			in->iobuf = iobuf;
			in->ng = ng;
			in->path = xstrdup(path);
			return in;
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
	int rc;

	if (in->ng) {
		rc = ng_next(in->ng, f, in->err);
		if (rc == 1)
			in->frames++;
		return rc;
	}
	rc = pcap_next_ex(in->p, &h, &data);

	if (rc == 1) {
		f->data = data;
		f->caplen = h->caplen;
		f->wirelen = h->len;
		f->ts_sec = h->ts.tv_sec;
		/* tv_usec holds nanoseconds: the handle was opened NANO. */
		f->ts_nsec = (uint32_t)h->ts.tv_usec;
		f->dlt = pcap_datalink(in->p);
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
int pio_dlt(const struct pio_in *in) { return in->ng ? in->ng->first_dlt : pcap_datalink(in->p); }
int pio_snaplen(const struct pio_in *in) { return in->ng ? PIO_SNAPLEN : pcap_snapshot(in->p); }
bool pio_links_mixed(const struct pio_in *in) { return in->ng && in->ng->mixed; }

const char *pio_dlt_name(int dlt)
{
	const char *n = pcap_datalink_val_to_name(dlt);

	return n ? n : "unknown";
}

int pio_fd(const struct pio_in *in)
{
	return in->live && in->p ? pcap_get_selectable_fd(in->p) : -1;
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
	if (in->p)
		pcap_breakloop(in->p);
}

void pio_close(struct pio_in *in)
{
	if (!in)
		return;
	if (in->bad_ts > 1)
		em_error_at(in->path, 0, 0, "%llu packets had a timestamp fraction of a second or more",
			    (unsigned long long)in->bad_ts);
	if (in->p)
		pcap_close(in->p);
	ng_close(in->ng);
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
	d->dlt = dlt;
	d->flags = flags;
	d->path = xstrdup(path);
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

	if (!d->failed)
		done = v6_write_all(d->fd, d->buf, d->blen, &e);
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
	int rc = d->blen ? dump_drain(d) : (d->failed ? -1 : 0);

	for (struct pio_dump *s = d->sib; s; s = s->sib)
		if (pio_dump_flush(s) < 0) {
			if (!d->failed)
				copy_err(d->err, "%s: %s", s->path, s->err);
			rc = -1;
		}
	return rc;
}

const char *pio_dump_error(const struct pio_dump *d) { return d->err; }

uint64_t pio_dump_written(const struct pio_dump *d) { return d->written; }
uint64_t pio_dump_frames(const struct pio_dump *d) { return d->frames; }

/* OUT.pcap -> OUT.RAW.pcap (the link type's name before the extension). */
static void sibling_path(const char *path, int dlt, char *out, size_t n)
{
	const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');

	if (!dot || (slash && dot < slash) || dot == path || (slash && dot == slash + 1))
		snprintf(out, n, "%s.%s", path, pio_dlt_name(dlt));
	else
		snprintf(out, n, "%.*s.%s%s", (int)(dot - path), path, pio_dlt_name(dlt), dot);
}

int pio_dump_write_link(struct pio_dump *d, const struct pio_frame *f, int dlt)
{
	struct pio_dump *s;
	char path[PATH_MAX], err[PIO_ERRLEN];

	if (dlt == d->dlt)
		return pio_dump_write(d, f);
	for (s = d->sib; s; s = s->sib)
		if (s->dlt == dlt)
			return pio_dump_write(s, f);
	if (!strcmp(d->path, "-")) {
		d->failed = true;
		copy_err(d->err, "the input mixes link types (%s, %s) and standard output holds one: "
			 "give -w a file name", pio_dlt_name(d->dlt), pio_dlt_name(dlt));
		return -1;
	}
	sibling_path(d->path, dlt, path, sizeof(path));
	s = pio_try_dump_open(path, dlt, d->snaplen, d->flags, err);
	if (!s) {
		d->failed = true;
		copy_err(d->err, "%s", err);
		return -1;
	}
	progress_interrupt();
	fprintf(stderr, "v6kit %s: %s: frames of link type %s go to %s (a pcap file holds one "
		"link type)\n", v6_applet, d->path, pio_dlt_name(dlt), path);
	/* keep them in the order they were opened, after the main file */
	{
		struct pio_dump **pp = &d->sib;

		while (*pp)
			pp = &(*pp)->sib;
		*pp = s;
	}
	return pio_dump_write(s, f);
}

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
	while (d->sib) {
		struct pio_dump *s = d->sib;

		d->sib = s->sib;
		s->sib = NULL;
		if (pio_dump_close(s) < 0)
			rc = -1;
	}
	free(d->buf);
	free(d->path);
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
