/* pcap-replay.c - replay pcap/pcapng captures onto a link or into a file,
 * paced like the capture or at a set rate, with MAC/IP rewriting (RFC 1624
 * checksum updates).  Option names follow tcpreplay(1) where they overlap.
 * Glue only: pacing is core/pace, rewriting core/rewrite, transmission
 * core/txfast, capture files core/pio. */
#include <errno.h>
#include <getopt.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applets.h"
#include "args.h"
#include "capfile.h"
#include "eh.h"
#include "emit.h"
#include "frag.h"
#include "pace.h"
#include "pio.h"
#include "pkt.h"
#include "pktsum.h"
#include "priv.h"
#include "rewrite.h"
#include "txfast.h"
#include "util.h"

static const char usage_text[] =
	"Usage: v6kit pcap-replay -i IFACE [TIMING] [REWRITE] FILE...\n"
	"       v6kit pcap-replay -w OUT.pcap [TIMING] [REWRITE] FILE...\n"
	"Send the frames of pcap/pcapng captures (\"-\" = stdin) onto a link, in order,\n"
	"or write them into a pcap file.  Option names follow tcpreplay.\n"
	"\n"
	"Input:\n"
	"  -r, --read FILE         a capture to replay (repeatable; same as a FILE operand)\n"
	"Output:\n"
	"  -i, --interface IFACE   send on IFACE (alias --intf1)\n"
	"  -w, --write FILE        write a pcap (\"-\" = stdout) instead of / besides -i\n"
	"Timing (default: the capture's own pacing; with only -w: --topspeed):\n"
	"  -x, --multiplier X      capture pacing sped up X times (0.001-1e6)\n"
	"  -p, --pps N             N packets per second\n"
	"  -M, --mbps N            N megabits per second\n"
	"  -t, --topspeed          as fast as the link takes them\n"
	"  -l, --loop N            replay the input N times (0 = until stopped)\n"
	"  -K, --preload-pcap      read the input into memory first\n"
	"  -L, --limit N           stop after N packets (also -c, --count)\n"
	"      --duration SEC      stop after SEC seconds\n"
	"      --max-sleep SEC     wait at most SEC between two packets (capture pacing;\n"
	"                          longer gaps are cut down, warned about and counted;\n"
	"                          alias --maxsleep)\n"
	"Rewriting:\n"
	"      --src-mac MAC       set the Ethernet source (alias --enet-smac)\n"
	"      --dst-mac MAC       set the Ethernet destination (alias --enet-dmac)\n"
	"      --src-ip OLD=NEW    map source addresses or prefixes (repeatable)\n"
	"      --dst-ip OLD=NEW    map destination addresses or prefixes (repeatable)\n"
	"  -C, --fix-checksums     correct every wrong IPv4/TCP/UDP/ICMP/ICMPv6 checksum\n"
	"                          (alias --fixcsum)\n"
	"      --fragment SIZE     cut IPv6 packets longer than SIZE octets into fragments\n"
	"      --mtu N             skip (and count) packets whose IP packet exceeds N octets\n"
	"Extension headers (inserted before --mtu and --fragment apply):\n"
	"      --eh SPEC           insert into every IPv6 packet (repeatable): hbh:N,\n"
	"                          dst:N or dstu:N, N octets (8-2048, a multiple of 8),\n"
	"                          optionally ,opt=T (one option of type 0-255)\n"
	"      --eh-order ORDER    rfc (RFC 8200 order, default) or given\n"
	"      --allow-split-chain let --fragment put part of the header chain outside\n"
	"                          the first fragment (RFC 7112 forbids it)\n"
	"Transmission:\n"
	"      --tx-method M       auto, xdp (AF_XDP), ring (PACKET_MMAP), mmsg (sendmmsg),\n"
	"                          packet, pcap\n"
	"      --no-bypass         keep the qdisc in the path (local captures see the frames)\n"
	"Output format:\n"
	"  -j, --json              summary (and errors) as JSON lines\n"
	"      --no-progress       no progress bar on a terminal\n"
	"  -q, --quiet             no summary text   -v, --verbose  more diagnostics\n"
	"  -h, --help              this text\n"
	"Exit status: 0 everything went out, 1 a frame failed or an input was\n"
	"truncated, 2 bad usage or input (a link type -w cannot write included),\n"
	"3 missing interface or privilege, or an output that cannot be created or\n"
	"written (full disk, /dev/full, standard output included).\n"
	"See v6kit-pcap-replay(1).\n";

enum {
	OPT_DURATION = 256, OPT_MAX_SLEEP, OPT_SRC_MAC, OPT_DST_MAC, OPT_SRC_IP, OPT_DST_IP,
	OPT_MTU, OPT_FRAGMENT, OPT_FIX_CHECKSUMS, OPT_TX_METHOD, OPT_NO_BYPASS, OPT_NO_PROGRESS,
	OPT_EH, OPT_EH_ORDER, OPT_ALLOW_SPLIT_CHAIN,
};

const struct option pcap_replay_longopts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "intf1", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "read", required_argument, NULL, 'r' },
	{ "multiplier", required_argument, NULL, 'x' },
	{ "pps", required_argument, NULL, 'p' },
	{ "mbps", required_argument, NULL, 'M' },
	{ "topspeed", no_argument, NULL, 't' },
	{ "loop", required_argument, NULL, 'l' },
	{ "preload-pcap", no_argument, NULL, 'K' },
	{ "limit", required_argument, NULL, 'L' },
	{ "count", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "max-sleep", required_argument, NULL, OPT_MAX_SLEEP },
	{ "maxsleep", required_argument, NULL, OPT_MAX_SLEEP },
	{ "src-mac", required_argument, NULL, OPT_SRC_MAC },
	{ "enet-smac", required_argument, NULL, OPT_SRC_MAC },
	{ "dst-mac", required_argument, NULL, OPT_DST_MAC },
	{ "enet-dmac", required_argument, NULL, OPT_DST_MAC },
	{ "src-ip", required_argument, NULL, OPT_SRC_IP },
	{ "dst-ip", required_argument, NULL, OPT_DST_IP },
	{ "fix-checksums", no_argument, NULL, OPT_FIX_CHECKSUMS },
	{ "fixcsum", no_argument, NULL, OPT_FIX_CHECKSUMS },
	{ "fragment", required_argument, NULL, OPT_FRAGMENT },
	{ "mtu", required_argument, NULL, OPT_MTU },
	{ "eh", required_argument, NULL, OPT_EH },
	{ "eh-order", required_argument, NULL, OPT_EH_ORDER },
	{ "allow-split-chain", no_argument, NULL, OPT_ALLOW_SPLIT_CHAIN },
	{ "tx-method", required_argument, NULL, OPT_TX_METHOD },
	{ "no-bypass", no_argument, NULL, OPT_NO_BYPASS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	V6_STD_LONGOPTS,
	{ NULL, 0, NULL, 0 },
};

struct input {
	const char *path;
	int dlt;
	int snaplen;
	enum capfile_kind kind;
	off_t size;			/* 0 when unknown (stdin, pipes) */
	struct pio_in *held;		/* stdin, opened once */
	bool truncated;			/* ended in a bad record (reported once) */
};

/* A frame kept in memory by --preload-pcap. */
struct stored {
	size_t off;			/* into the preload arena */
	uint32_t caplen, wirelen;
	uint64_t ts_ns;
	unsigned file;
};

struct replay {
	/* configuration */
	const char *ifname, *outpath;
	struct input *in;
	unsigned n_in;
	enum pace_mode mode;
	double pace_arg;
	uint64_t loops;			/* 0 = forever */
	uint64_t limit;			/* 0 = none */
	uint64_t duration_ns;		/* 0 = none */
	uint64_t max_sleep_ns;		/* --max-sleep, 0 = none */
	const char *stop_why;		/* why the run ended before the input did */
	bool preload, progress;
	uint32_t mtu;			/* 0 = none */
	bool fix_csum;			/* --fix-checksums */
	uint32_t frag_size;		/* --fragment: 0 = none */
	struct frag_plan plan;
	struct frag_out *fout;
	uint8_t *fbuf;			/* fragments, back to back */
	size_t fbuf_cap;
	struct rewrite_cfg rw;
	struct eh_chain eh;		/* --eh (eh.n == 0: none) */
	bool allow_split;		/* --allow-split-chain */
	uint8_t *ehwork;		/* a frame with the chain inserted */
	size_t ehwork_cap;
	enum txfast_method method;
	unsigned txflags;
	int dlt;

	/* state */
	struct pace pace;
	struct txfast *tx;
	struct pio_dump *dump;
	uint8_t *work;			/* rewrite buffer */
	uint64_t ts_shift_ns;		/* added to capture times of later passes (-w) */
	uint64_t pass_first_ns, pass_max_ns;
	bool pass_has_ts;
	uint64_t end_ns;		/* --duration deadline */
	uint64_t next_progress_ns;
	uint64_t est_done, est_total;	/* progress estimate, octets of input */
	bool stop;			/* --duration reached, output failed */

	/* preload */
	uint8_t *arena;
	struct wcur aw;
	size_t arena_len, arena_cap;
	struct stored *frames;
	size_t n_frames, cap_frames;

	/* counters */
	uint64_t emitted;		/* frames handed to the outputs (--limit) */
	uint64_t read, packets, bytes, failed, written, rewritten, skipped_mtu;
	uint64_t short_frames, truncated, pass;
	uint64_t fragmented, fragments, unfragmentable;
	uint64_t fixed, fixed_frames, fix_skipped_frag;
	uint64_t dump_failed;
	uint64_t skipped_link;		/* frames of another link type (mixed pcapng) */
	uint64_t eh_inserted, eh_skipped[EH_SKIP_N];	/* --eh: frames that took the chain, left as they were */
	bool interrupted;
};

static volatile sig_atomic_t stop_flag;
static struct txfast *sig_tx;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
	if (sig_tx)
		txfast_abort(sig_tx);
}

static void usage(void)
{
	fputs(usage_text, stdout);
	exit(EXIT_OK);
}

static int if_arptype(const char *ifname)
{
	char path[128];
	FILE *f;
	int type = -1;

	snprintf(path, sizeof(path), "/sys/class/net/%s/type", ifname);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	return type;
}

/* Check every input before sending anything: a missing or unreadable file
 * is bad input (exit 2) even if it is the last one. */
static void probe_inputs(struct replay *r)
{
	bool have_stdin = false;

	for (unsigned i = 0; i < r->n_in; i++) {
		struct input *in = &r->in[i];
		struct pio_in *h;
		struct stat st;

		if (!strcmp(in->path, "-")) {
			if (have_stdin)
				die_usage("standard input given twice");
			have_stdin = true;
			if (r->loops != 1 && !r->preload)
				die_usage("--loop with standard input needs --preload-pcap");
		}
		h = pio_open_offline(in->path);
		in->dlt = pio_dlt(h);
		in->snaplen = pio_snaplen(h);
		in->kind = capfile_probe(in->path);
		if (strcmp(in->path, "-") && stat(in->path, &st) == 0 && S_ISREG(st.st_mode))
			in->size = st.st_size;
		in->held = h;	/* the first pass reads it, after the privilege drop */
		if (i == 0)
			r->dlt = in->dlt;
		else if (in->dlt != r->dlt && r->outpath)
			die(EXIT_USAGE, "%s: link type %s differs from %s's %s; one pcap file "
			    "holds one link type", in->path, pio_dlt_name(in->dlt),
			    r->in[0].path, pio_dlt_name(r->dlt));
		if (r->ifname && in->dlt != V6_DLT_EN10MB && if_arptype(r->ifname) == 1)
			die(EXIT_USAGE, "%s: link type %s cannot be sent on Ethernet interface %s",
			    in->path, pio_dlt_name(in->dlt), r->ifname);
	}
}

static void open_outputs(struct replay *r)
{
	if (r->ifname) {
		char err[256];
		int code = EXIT_RESOURCE;

		r->tx = txfast_open(r->ifname, r->method, r->txflags, err, sizeof(err), &code);
		if (!r->tx)
			die(code, "%s", err);
		sig_tx = r->tx;
		debugmsg("sending on %s with %s%s", r->ifname, txfast_method_name(txfast_method(r->tx)),
			 txfast_bypass(r->tx) ? " (qdisc bypass)" : "");
	}
	if (r->outpath) {
		int snaplen = 0;
		unsigned flags = 0;

		for (unsigned i = 0; i < r->n_in; i++) {
			if (r->in[i].snaplen > snaplen)
				snaplen = r->in[i].snaplen;
			/* Keep nanoseconds unless every input is a microsecond
			 * pcap, so that -w reproduces its input exactly. */
			if (r->in[i].kind != CAPFILE_PCAP)
				flags = PIO_DUMP_NSEC;
		}
		if (snaplen && r->eh.n)		/* room for the inserted headers */
			snaplen = snaplen + (int)r->eh.total > PIO_SNAPLEN ? PIO_SNAPLEN : snaplen + (int)r->eh.total;
		r->dump = pio_dump_open(r->outpath, r->dlt, snaplen ? snaplen : PIO_SNAPLEN, flags);
	}
}

static void progress_draw(struct replay *r, bool final)
{
	uint64_t now;
	double el, pct = -1;
	char bar[32];

	if (!r->progress)
		return;
	now = pace_now_ns();
	if (!final && now < r->next_progress_ns)
		return;
	r->next_progress_ns = now + 100000000u;
	if (r->tx) {
		struct txfast_stats st;

		txfast_stats(r->tx, &st);
		r->packets = st.sent;
	}
	el = r->pace.started ? (double)(now - r->pace.start_ns) / 1e9 : 0;
	if (r->est_total && r->loops)
		pct = 100.0 * ((double)(r->pass ? r->pass - 1 : 0) + (double)r->est_done /
			       (double)r->est_total) / (double)r->loops;
	if (r->limit) {
		double lp = 100.0 * (double)r->emitted / (double)r->limit;
		if (pct < 0 || lp > pct)
			pct = lp;
	}
	if (pct > 100 || (final && !stop_flag && pct >= 0))
		pct = 100;
	if (pct >= 0) {
		int fill = (int)(pct / 100 * 20);

		for (int i = 0; i < 20; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[20] = '\0';
		fprintf(stderr, "\r[%s] %5.1f%% ", bar, pct);
	} else {
		fputc('\r', stderr);
	}
	fprintf(stderr, "%llu packets %.0f pps %llu failed   ",
		(unsigned long long)r->packets, el > 0 ? (double)r->packets / el : 0.0,
		(unsigned long long)r->failed);
	if (final)
		fputc('\n', stderr);
}

/* A gap longer than --max-sleep was cut down: say so (the first few, then
 * only the count in the summary). */
static void pace_report_gap(struct replay *r, uint64_t capped_before)
{
	if (r->pace.gaps_capped == capped_before || r->pace.gaps_capped > 5)
		return;
	warnmsg("packet %llu: a gap of %.3f s in the capture is cut to --max-sleep %.3f s%s",
		(unsigned long long)r->read, (double)r->pace.last_gap_ns / 1e9,
		(double)r->max_sleep_ns / 1e9,
		r->pace.gaps_capped == 5 ? " (further gaps only counted)" : "");
}

/* Hand one frame to the wire and/or the file, at its deadline. */
static void emit_frame(struct replay *r, const uint8_t *frame, uint32_t len, uint32_t wirelen,
		       uint64_t ts_ns)
{
	uint64_t capped = r->pace.gaps_capped;
	uint64_t deadline = pace_next(&r->pace, ts_ns, len);
	bool paced = r->mode != PACE_TOPSPEED;

	pace_report_gap(r, capped);

	if (paced) {
		uint64_t now = pace_now_ns();

		if (r->duration_ns && deadline > r->end_ns) {
			r->stop = true;		/* the next frame would be late for --duration */
			r->stop_why = "duration (the next frame was due after it)";
			return;
		}
		if (deadline > now) {
			if (r->tx)
				r->failed += txfast_flush(r->tx);
			pace_wait(&r->pace, deadline);
			if (stop_flag)
				return;		/* a signal cut the wait short */
		}
	}
	r->emitted++;
	if (r->tx) {
		r->failed += txfast_queue(r->tx, frame, len);
		/* On schedule: out now.  Behind it (a stall): let the batch
		 * fill so that the backlog drains at full speed. */
		if (paced && pace_now_ns() < deadline + 20000)
			r->failed += txfast_flush(r->tx);
	}
	if (r->dump) {
		struct pio_frame f = {
			.data = frame, .caplen = len, .wirelen = wirelen < len ? len : wirelen,
			.ts_sec = (int64_t)((ts_ns + r->ts_shift_ns) / 1000000000u),
			.ts_nsec = (uint32_t)((ts_ns + r->ts_shift_ns) % 1000000000u),
		};

		if (pio_dump_write(r->dump, &f) < 0) {
			r->dump_failed++;
			if (!r->tx) {
				errmsg("%s: %s", r->outpath, pio_dump_error(r->dump));
				r->stop = true;
				r->stop_why = "write error";
			}
		} else {
			r->written++;
		}
	}
	if (!r->tx && r->dump) {
		r->packets = r->written;
		r->bytes += len;
	}
}

/* --mtu: is the frame's IP packet (at its length on the wire) too long? */
static bool over_mtu(struct replay *r, const struct pkt *p, uint32_t len, uint32_t wirelen)
{
	uint32_t l2 = p->l2_len < len ? p->l2_len : len;

	if ((wirelen > len ? wirelen : len) - l2 <= r->mtu)
		return false;
	r->skipped_mtu++;
	return true;
}

/* --fragment: the core fragmenter cuts the IPv6 packet that follows the
 * link header and writes each fragment behind its own copy of that header
 * (frag_out link header); the frames are sent as it laid them out.
 * False when the frame goes out as it is: not IPv6, short enough, or not
 * cuttable (counted, the first reason reported). */
static bool fragment(struct replay *r, const uint8_t *frame, uint32_t len,
		     const struct pkt *p, uint64_t ts_ns, bool eh_inserted)
{
	const struct pkt_ip *ip = p->n_ip ? &p->ip[0] : NULL;
	const uint8_t *l2, *pkt6;
	struct cur fc;
	size_t need;

	if (!ip || ip->version != 6 || ip->off != p->l2_len || ip->tot_len <= r->frag_size)
		return false;
	cur_init(&fc, frame, len);
	l2 = cur_take(&fc, ip->off);
	pkt6 = cur_take(&fc, ip->tot_len);
	if (!l2 || !pkt6 || ip->frag) {
		if (!r->unfragmentable++)
			warnmsg("frame %llu: %s; sent as it is", (unsigned long long)r->read,
				ip->frag ? "already a fragment" : "IPv6 packet not wholly captured");
		return false;
	}
	need = frag_out_need(pkt6, ip->tot_len) + (size_t)(ip->tot_len / 8 + 1) * ip->off;
	if (need > r->fbuf_cap) {
		free(r->fbuf);
		r->fbuf_cap = need;
		r->fbuf = xmalloc(need);
	}
	r->fout->buf = r->fbuf;
	r->fout->cap = r->fbuf_cap;
	r->fout->link = l2;
	r->fout->link_len = ip->off;
	/* A `dstu` the chain put in repeats in every fragment (RFC 8200 §4.5
	 * alone would call it fragmentable without a Routing header). */
	r->plan.unfrag_min = eh_inserted ? eh_unfrag_len(&r->eh, pkt6, ip->tot_len) : 0;
	if (frag_split(pkt6, ip->tot_len, &r->plan, r->fout) < 0) {
		if (!r->unfragmentable++)
			warnmsg("frame %llu: cannot fragment: %s; sent as it is",
				(unsigned long long)r->read, r->fout->err);
		return false;
	}
	r->fragmented++;
	for (unsigned i = 0; i < r->fout->n && !(r->limit && r->emitted >= r->limit); i++) {
		size_t flen;
		const uint8_t *f = frag_frame(r->fout, i, &flen);

		if (!f || flen > PIO_SNAPLEN)
			continue;
		if (r->mtu && r->fout->piece[i].len > r->mtu) {
			r->skipped_mtu++;
			continue;
		}
		r->fragments++;
		emit_frame(r, f, (uint32_t)flen, (uint32_t)flen, ts_ns);
	}
	return true;
}

/* --eh: the chain into the frame's first IPv6 layer (core/eh), after the
 * rewrites and checksum fixes; the transport checksums stay valid (neither
 * the pseudo-header nor the data change).  A frame that cannot take it goes
 * on as it was, counted by reason. */
static bool insert_eh(struct replay *r, const uint8_t **frame, uint32_t *len, uint32_t *wirelen)
{
	size_t out = 0;
	enum eh_skip why = eh_insert(&r->eh, r->dlt, *frame, *len, r->ehwork, r->ehwork_cap, &out);

	if (why != EH_INSERTED) {
		r->eh_skipped[why]++;
		return false;
	}
	r->eh_inserted++;
	*wirelen += (uint32_t)out - *len;
	*len = (uint32_t)out;
	*frame = r->ehwork;
	return true;
}

/* One frame of input: rewrite, check, insert extension headers, send. */
static void process(struct replay *r, const struct pio_frame *f, uint64_t ts_ns)
{
	const uint8_t *frame = f->data;
	uint32_t len = f->caplen, wirelen = f->wirelen;
	struct pkt p;
	bool parsed = false, eh_in = false;

	r->read++;
	if (f->caplen < f->wirelen)
		r->short_frames++;
	if (!r->pass_has_ts || ts_ns < r->pass_first_ns)
		r->pass_first_ns = ts_ns;
	if (!r->pass_has_ts || ts_ns > r->pass_max_ns)
		r->pass_max_ns = ts_ns;
	r->pass_has_ts = true;
	r->est_done += f->caplen + 16;

	/* (Frames larger than any link-layer frame go out untouched.) */
	if (rewrite_active(&r->rw) && len <= PIO_SNAPLEN) {
		struct wcur w;

		wcur_init(&w, r->work, PIO_SNAPLEN);
		wcur_bytes(&w, f->data, len);
		if (rewrite_frame(&r->rw, r->dlt, r->work, len, f->wirelen, &p))
			r->rewritten++;
		parsed = true;
		frame = r->work;
	}
	if (r->fix_csum && len <= PIO_SNAPLEN) {
		struct pktsum_result res;
		struct wcur w;

		if (frame != r->work) {
			wcur_init(&w, r->work, PIO_SNAPLEN);
			wcur_bytes(&w, f->data, len);
			frame = r->work;
		}
		/* Parse again: a rewrite changed the fields the verdict reads. */
		pkt_parse(&p, r->dlt, r->work, len, f->wirelen);
		parsed = true;
		pktsum_verify(&p, 0, &res);
		if (res.n_bad) {
			wcur_init(&w, r->work, len);
			r->fixed += pktsum_fix_all(&w, &res);
			r->fixed_frames++;
		}
		if (res.skip == PKTSUM_SKIP_FRAGMENT)
			r->fix_skipped_frag++;
	}
	if (r->eh.n)
		eh_in = insert_eh(r, &frame, &len, &wirelen);
	if ((r->mtu || r->frag_size) && (!parsed || eh_in))
		pkt_parse(&p, r->dlt, frame, len, wirelen);
	if (r->frag_size && fragment(r, frame, len, &p, ts_ns, eh_in))
		return;
	if (r->mtu && over_mtu(r, &p, len, wirelen))
		return;
	emit_frame(r, frame, len, wirelen, ts_ns);
}

/* A pcapng file may mix link types; the replay sends (and -w writes) the
 * first one's.  Frames of another are skipped, counted and reported once. */
static bool other_link(struct replay *r, unsigned i, const struct pio_frame *f)
{
	if (f->dlt == r->dlt)
		return false;
	if (!r->skipped_link++)
		warnmsg("%s: frames of link type %s skipped: the replay sends and writes %s "
			"(split the capture by interface first, e.g. tshark -Y frame.interface_id==N)",
			r->in[i].path, pio_dlt_name(f->dlt), pio_dlt_name(r->dlt));
	return true;
}

static bool should_stop(struct replay *r)
{
	if (r->stop)
		return true;
	if (stop_flag)
		r->stop_why = "signal";
	else if (r->limit && r->emitted >= r->limit)
		r->stop_why = "limit";
	else if (r->duration_ns && r->pace.started && pace_now_ns() >= r->end_ns)
		r->stop_why = "duration";
	else
		return false;
	return true;
}

static void note_truncated(struct replay *r, unsigned i, struct pio_in *h)
{
	if (r->in[i].truncated)
		return;
	r->in[i].truncated = true;
	r->truncated++;
	em_error_at(r->in[i].path, 0, 0, "%s (frames before it were replayed)",
		    pio_error(h));
}

static void start_pass(struct replay *r)
{
	if (r->pass > 0 && r->pass_has_ts) {
		r->ts_shift_ns += r->pass_max_ns - r->pass_first_ns;
		pace_new_pass(&r->pace);
	}
	r->pass++;
	r->pass_has_ts = false;
	r->est_done = 0;
}

/* Append a frame to the preload arena, doubling it when full. */
static size_t arena_put(struct replay *r, const uint8_t *data, uint32_t len)
{
	size_t off = wcur_off(&r->aw);

	if (wcur_left(&r->aw) < len) {
		size_t cap = r->arena_cap ? r->arena_cap : (1u << 20);
		uint8_t *bigger;
		struct wcur w;

		while (cap - off < len)
			cap *= 2;
		bigger = xmalloc(cap);
		wcur_init(&w, bigger, cap);
		wcur_bytes(&w, r->arena, off);
		free(r->arena);
		r->arena = bigger;
		r->arena_cap = cap;
		r->aw = w;
	}
	wcur_bytes(&r->aw, data, len);
	return off;
}

static void preload(struct replay *r)
{
	wcur_init(&r->aw, r->arena, 0);
	for (unsigned i = 0; i < r->n_in; i++) {
		struct pio_in *h = r->in[i].held ? r->in[i].held : pio_open_offline(r->in[i].path);
		struct pio_frame f;
		int rc;

		while ((rc = pio_next(h, &f)) == 1) {
			if (other_link(r, i, &f))
				continue;
			if (r->n_frames == r->cap_frames) {
				r->cap_frames = r->cap_frames ? r->cap_frames * 2 : 4096;
				r->frames = xrealloc(r->frames, r->cap_frames * sizeof(*r->frames));
			}
			r->frames[r->n_frames++] = (struct stored){
				.off = arena_put(r, f.data, f.caplen), .caplen = f.caplen,
				.wirelen = f.wirelen, .file = i,
				.ts_ns = (uint64_t)f.ts_sec * 1000000000u + f.ts_nsec,
			};
		}
		if (rc < 0)
			note_truncated(r, i, h);
		pio_close(h);
		r->in[i].held = NULL;
	}
	r->arena_len = wcur_off(&r->aw);
	r->est_total = 0;
	for (size_t k = 0; k < r->n_frames; k++)
		r->est_total += r->frames[k].caplen + 16;
	debugmsg("preloaded %zu frames (%zu octets)", r->n_frames, r->arena_len);
}

static void run_pass_memory(struct replay *r)
{
	struct cur arena;

	cur_init(&arena, r->arena, r->arena_len);
	for (size_t k = 0; k < r->n_frames && !should_stop(r); k++) {
		const struct stored *s = &r->frames[k];
		struct cur w;
		struct pio_frame f = { .caplen = s->caplen, .wirelen = s->wirelen };

		cur_window(&arena, s->off, s->caplen, &w);
		f.data = cur_take(&w, s->caplen);
		process(r, &f, s->ts_ns);
		progress_draw(r, false);
	}
}

static void run_pass_stream(struct replay *r)
{
	for (unsigned i = 0; i < r->n_in && !should_stop(r); i++) {
		struct pio_in *h = r->in[i].held ? r->in[i].held : pio_open_offline(r->in[i].path);
		struct pio_frame f;
		int rc = 0;

		while (!should_stop(r) && (rc = pio_next(h, &f)) == 1) {
			if (other_link(r, i, &f))
				continue;
			process(r, &f, (uint64_t)f.ts_sec * 1000000000u + f.ts_nsec);
			progress_draw(r, false);
		}
		if (rc < 0)
			note_truncated(r, i, h);
		pio_close(h);
		r->in[i].held = NULL;
	}
}

static void summary(struct replay *r, double elapsed)
{
	double pps = elapsed > 0 ? (double)r->packets / elapsed : 0;
	double mbps = elapsed > 0 ? (double)r->bytes * 8 / elapsed / 1e6 : 0;
	struct txfast_stats st = { 0 };

	if (r->tx)
		txfast_stats(r->tx, &st);
	em_begin("summary");
	em_u64(EM_ANY, "packets", "%llu packets", r->packets);
	em_u64(EM_ANY, "bytes", " (%llu octets)", r->bytes);
	em_dbl(EM_ANY, "elapsed_s", " in %.6f s:", elapsed);
	em_dbl(EM_ANY, "pps", " %.1f pps,", pps);
	em_dbl(EM_ANY, "mbps", " %.3f Mbps;", mbps);
	em_u64(EM_ANY, "sent", " %llu sent,", r->packets);
	em_u64(EM_ANY, "failed", " %llu failed,", r->failed);
	em_u64(EM_ANY, "truncated", " %llu truncated inputs", r->truncated);
	em_u64(EM_ANY, "read", "\nread %llu frames", r->read);
	em_u64(EM_ANY, "loops", ", %llu passes", r->pass);
	if (r->dump)
		em_u64(EM_ANY, "written", ", %llu written", r->written);
	em_u64(EM_ANY, "rewritten", ", %llu rewritten", r->rewritten);
	em_u64(EM_ANY, "skipped_mtu", ", %llu over --mtu skipped", r->skipped_mtu);
	em_u64(EM_ANY, "short_frames", ", %llu shorter than on the wire", r->short_frames);
	if (r->skipped_link)
		em_u64(EM_ANY, "skipped_link", ", %llu of another link type skipped", r->skipped_link);
	if (r->fix_csum) {
		em_u64(EM_ANY, "fixed", "\nfixed %llu checksums", r->fixed);
		em_u64(EM_ANY, "fixed_frames", " in %llu frames", r->fixed_frames);
		em_u64(EM_ANY, "fix_skipped_fragments", ", %llu fragments left as they were",
		       r->fix_skipped_frag);
	}
	em_str(r->eh.n ? EM_ANY : EM_JSON, "eh", "\nextension headers '%s':", r->eh.spec);
	if (r->eh.n) {
		uint64_t skipped = 0;

		for (unsigned i = 1; i < EH_SKIP_N; i++)
			skipped += r->eh_skipped[i];
		em_u64(EM_ANY, "eh_inserted", " inserted into %llu frames", r->eh_inserted);
		em_u64(EM_ANY, "eh_skipped", ", %llu left as they were", skipped);
		em_obj_begin(EM_ANY, "eh_skip", skipped ? " (" : NULL);
		for (unsigned i = 1, said = 0; i < EH_SKIP_N; i++) {
			if (!r->eh_skipped[i])
				continue;
			em_u64(EM_ANY, eh_skip_name((enum eh_skip)i), said++ ? ", %llu " : "%llu ",
			       r->eh_skipped[i]);
			em_text("%s", eh_skip_name((enum eh_skip)i));
		}
		em_obj_end(EM_ANY, skipped ? ")" : NULL);
	}
	if (r->frag_size) {
		em_u64(EM_ANY, "fragmented", "\nfragmented %llu packets", r->fragmented);
		em_u64(EM_ANY, "fragments", " into %llu fragments", r->fragments);
		em_u64(EM_ANY, "unfragmentable", ", %llu could not be cut", r->unfragmentable);
	}
	if (r->tx) {
		em_str(EM_ANY, "tx_method", "\ntransmit: %s", txfast_method_name(txfast_method(r->tx)));
		em_bool(EM_JSON, "qdisc_bypass", NULL, txfast_bypass(r->tx));
		em_u64(EM_ANY, "send_calls", ", %llu calls", st.calls);
		em_u64(EM_ANY, "retries", ", %llu ENOBUFS/EAGAIN retries", st.retries);
		if (st.failed)
			em_str(EM_ANY, "last_error", ", last error: %s", strerror(st.last_errno));
	}
	if (r->mode != PACE_TOPSPEED && r->pace.waits) {
		em_dbl(EM_ANY, "late_mean_us", "\npacing: mean lateness %.2f us",
		       (double)r->pace.late_total_ns / (double)r->pace.waits / 1e3);
		em_dbl(EM_ANY, "late_max_us", ", max %.2f us", (double)r->pace.late_max_ns / 1e3);
	}
	if (r->max_sleep_ns)
		em_u64(EM_ANY, "gaps_capped", "\n%llu gaps cut to --max-sleep", r->pace.gaps_capped);
	if (r->pace.backsteps)
		em_u64(EM_ANY, "timestamps_backwards", "\n%llu timestamps went backwards (sent at once)",
		       r->pace.backsteps);
	em_str(EM_ANY, "stopped_by", "\nstopped by: %s", r->stop_why ? r->stop_why : "end of input");
	em_bool(EM_JSON, "interrupted", NULL, r->interrupted);
	em_end();
}

/* A chain that no packet could carry under --fragment / --mtu is bad usage
 * (exit 2), named with its sizes.  The smallest upper-layer header (UDP,
 * ICMPv6: 8 octets) is assumed; a packet with a longer one that does not fit
 * is counted when it comes. */
static void check_eh_plan(const struct replay *r)
{
	uint32_t unfrag = 40 + r->eh.unfrag_total, chain = r->eh.total - r->eh.unfrag_total + 8;
	uint32_t first = r->allow_split ? 8 : (chain + 7) & ~7u;

	if (r->frag_size && unfrag + FRAG_HDR_LEN + first > r->frag_size)
		die(EXIT_USAGE, "--fragment %u cannot carry --eh '%s': every fragment repeats %u octets "
		    "(IPv6 header + %u of unfragmentable headers) and the 8-octet Fragment header, "
		    "and the first one needs %u octets for %s, %u octets in all%s",
		    r->frag_size, r->eh.spec, unfrag, r->eh.unfrag_total, first,
		    r->allow_split ? "data" : "the rest of the header chain (RFC 7112; with an 8-octet upper-layer header)",
		    unfrag + FRAG_HDR_LEN + first, r->allow_split ? "" : " (or --allow-split-chain)");
	if (r->mtu && !r->frag_size && 40 + r->eh.total + 8 > r->mtu)
		die(EXIT_USAGE, "--mtu %u cannot carry --eh '%s': 40 octets of IPv6 header + %u of extension headers "
		    "+ 8 of upper-layer header = %u octets (--fragment SIZE cuts such packets)",
		    r->mtu, r->eh.spec, r->eh.total, 40 + r->eh.total + 8);
}

static void add_map(struct v6_rewrite *maps, unsigned *n, const char *opt, const char *v)
{
	if (*n >= REWRITE_MAX_MAPS)
		die_usage("too many --%s maps (at most %d)", opt, REWRITE_MAX_MAPS);
	arg_rewrite(opt, v, &maps[(*n)++]);
}

/* Phase 2 (after the options): inputs, buffers, outputs, signals. */
static void prepare(struct replay *r, const char **files, unsigned n_files, bool no_progress)
{
	static struct sigaction sa = { .sa_handler = on_signal };

	r->n_in = n_files;
	r->in = xcalloc(n_files, sizeof(*r->in));
	for (unsigned i = 0; i < n_files; i++)
		r->in[i].path = files[i];
	free(files);
	probe_inputs(r);
	for (unsigned i = 0; i < r->n_in; i++)
		r->est_total += (uint64_t)r->in[i].size;
	r->progress = !no_progress && isatty(STDERR_FILENO) && v6_verbosity >= 0;
	r->work = xmalloc(PIO_SNAPLEN);
	if (r->eh.n) {
		r->ehwork_cap = PIO_SNAPLEN + r->eh.total;
		r->ehwork = xmalloc(r->ehwork_cap);
	}
	if (r->frag_size) {
		frag_plan_init(&r->plan);
		r->plan.max_size = r->frag_size;
		/* RFC 7112: the whole header chain in the first fragment
		 * (--allow-split-chain lifts it) */
		r->plan.rfc7112 = !r->allow_split;
		r->fout = xcalloc(1, sizeof(*r->fout));
	}
	open_outputs(r);
	/* CAP_NET_RAW: the transmitter reopens its packet socket when it
	 * falls back mid-run (AF_XDP or TX ring lost).  Inputs stay open from
	 * probe_inputs() for the first pass; later --loop passes reopen them
	 * by name. */
	if (r->ifname)
		priv_drop(NULL, PRIV_CAP(CAP_NET_RAW) |
			  (r->loops != 1 && !r->preload ? PRIV_CAP(CAP_DAC_READ_SEARCH) : 0));

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Phase 3: every pass over the input, paced. */
static void replay(struct replay *r)
{
	if (r->preload)
		preload(r);
	pace_init(&r->pace, r->mode, r->pace_arg);
	r->pace.max_sleep_ns = r->max_sleep_ns;
	/* --duration counts from the start of sending. */
	if (r->duration_ns)
		r->end_ns = pace_now_ns() + r->duration_ns;
	while (!should_stop(r) && (r->loops == 0 || r->pass < r->loops)) {
		uint64_t before = r->read;

		start_pass(r);
		if (r->preload)
			run_pass_memory(r);
		else
			run_pass_stream(r);
		if (r->read == before)
			break;		/* empty input: looping would spin */
	}
	if (r->tx)
		r->failed += txfast_flush(r->tx);
}

/* Phase 4: counters, summary, clean-up; the exit status. */
static int finish(struct replay *r, bool json)
{
	uint64_t t_end = pace_now_ns();
	bool out_failed = false;
	double elapsed;

	r->interrupted = stop_flag;
	if (r->tx) {
		struct txfast_stats st;

		txfast_stats(r->tx, &st);
		r->packets = st.sent;
		r->bytes = st.bytes;
		if (st.failed)
			errmsg("%llu frames could not be sent (last error: %s)",
				(unsigned long long)st.failed, strerror(st.last_errno));
	}
	r->failed += r->dump_failed;
	elapsed = r->pace.started ? (double)(t_end - r->pace.start_ns) / 1e9 : 0;
	progress_draw(r, true);
	if (r->dump) {
		/* Frames really in the file, not frames handed to the writer. */
		int wrc = pio_dump_flush(r->dump);
		uint64_t handed = pio_dump_frames(r->dump);

		r->written = pio_dump_written(r->dump);
		if (!r->tx)
			r->packets = r->written;
		if (wrc < 0 && !r->stop_why)
			r->stop_why = "write error";
		if (pio_dump_close(r->dump) < 0)
			wrc = -1;
		if (wrc < 0) {
			errmsg("%s: write error: only %llu of %llu frames were written", r->outpath,
				(unsigned long long)r->written, (unsigned long long)handed);
			r->failed++;
			out_failed = true;
		}
	}
	if (v6_verbosity >= 0 || json)
		summary(r, elapsed);
	sig_tx = NULL;
	if (r->tx)
		txfast_close(r->tx);
	free(r->work);
	free(r->ehwork);
	free(r->fout);
	free(r->fbuf);
	free(r->arena);
	free(r->frames);
	free(r->in);
	if (out_failed)
		return EXIT_RESOURCE;	/* an output that cannot be written: SPEC §2, 3 */
	if (r->failed || r->truncated)
		return EXIT_FAIL;
	/* Stopped by a signal before the input was done: not everything went
	 * out, unless the user asked for an endless loop. */
	if (r->interrupted && r->loops != 0)
		return EXIT_FAIL;
	return EXIT_OK;
}

int pcap_replay_main(int argc, char **argv)
{
	static const char shortopts[] = "i:w:r:x:p:M:tl:KL:c:Cjqvh";
	struct replay r = { .mode = PACE_ORIGINAL, .pace_arg = 1.0, .loops = 1 };
	bool json = false, no_progress = false, timing_set = false, eh_given = false;
	const char **files = xcalloc((size_t)argc + 1, sizeof(*files));
	unsigned n_files = 0;
	int c;

	opterr = 0;	/* die_getopt() says what is wrong */
	while ((c = getopt_long(argc, argv, shortopts, pcap_replay_longopts, NULL)) != -1) {
		switch (c) {
		case 'i': r.ifname = optarg; break;
		case 'w': r.outpath = optarg; break;
		case 'r': files[n_files++] = optarg; break;
		case 'x': case 'p': case 'M': case 't':
			if (timing_set)
				die_usage("give only one of --multiplier, --pps, --mbps, --topspeed");
			timing_set = true;
			if (c == 'x') {
				r.mode = PACE_ORIGINAL;
				r.pace_arg = arg_double("multiplier", optarg, 0.001, 1e6);
			} else if (c == 'p') {
				r.mode = PACE_PPS;
				r.pace_arg = arg_double("pps", optarg, 0.001, 1e9);
			} else if (c == 'M') {
				r.mode = PACE_BPS;
				r.pace_arg = arg_double("mbps", optarg, 0.001, 1e6) * 1e6;
			} else {
				r.mode = PACE_TOPSPEED;
			}
			break;
		case 'l': r.loops = arg_uint("loop", optarg, 0, UINT64_MAX); break;
		case 'K': r.preload = true; break;
		case 'L': r.limit = arg_uint("limit", optarg, 1, UINT64_MAX); break;
		case 'c': r.limit = arg_uint("count", optarg, 1, UINT64_MAX); break;
		case OPT_DURATION:
			r.duration_ns = (uint64_t)(arg_double("duration", optarg, 0.000001, 1e9) * 1e9);
			break;
		case OPT_MAX_SLEEP:
			r.max_sleep_ns = (uint64_t)(arg_double("max-sleep", optarg, 0.000001, 1e9) * 1e9);
			break;
		case OPT_SRC_MAC: r.rw.set_src_mac = true; arg_mac("src-mac", optarg, r.rw.src_mac); break;
		case OPT_DST_MAC: r.rw.set_dst_mac = true; arg_mac("dst-mac", optarg, r.rw.dst_mac); break;
		case OPT_SRC_IP: add_map(r.rw.src, &r.rw.n_src, "src-ip", optarg); break;
		case OPT_DST_IP: add_map(r.rw.dst, &r.rw.n_dst, "dst-ip", optarg); break;
		case OPT_MTU: r.mtu = (uint32_t)arg_uint("mtu", optarg, 68, 65535); break;
		case 'C':
		case OPT_FIX_CHECKSUMS: r.fix_csum = true; break;
		case OPT_FRAGMENT:
			/* 40 header + 8 Fragment header + 8 octets of data at least */
			r.frag_size = (uint32_t)arg_uint("fragment", optarg, 56, 65535);
			break;
		case OPT_TX_METHOD: {
			int m = txfast_method_parse(optarg);

			if (m < 0)
				die_usage("invalid --tx-method value '%s': expected auto, xdp, ring, mmsg, packet or pcap",
					  optarg);
			r.method = (enum txfast_method)m;
			break;
		}
		case OPT_NO_BYPASS: r.txflags |= TXF_NO_BYPASS; break;
		case OPT_EH: arg_eh("eh", optarg, &r.eh); break;
		case OPT_EH_ORDER: eh_given = arg_eh_order("eh-order", optarg); break;
		case OPT_ALLOW_SPLIT_CHAIN: r.allow_split = true; break;
		case 'j': json = true; break;
		case OPT_NO_PROGRESS: no_progress = true; break;
		case 'q': v6_verbosity = -1; break;
		case 'v': v6_verbosity++; break;
		case 'h': usage(); break;
		default: die_getopt(argv, shortopts);
		}
	}
	for (int i = optind; i < argc; i++)
		files[n_files++] = argv[i];
	/* A pcap on stdout leaves the summary to stderr. */
	em_init(json, r.outpath && !strcmp(r.outpath, "-") ? stderr : stdout);
	if (!r.ifname && !r.outpath)
		die_usage("nothing to replay to: give -i IFACE or -w FILE");
	if (!n_files)
		die_usage("no capture file given");
	if (r.outpath && !r.ifname && !timing_set)
		r.mode = PACE_TOPSPEED;
	arg_eh_finish(&r.eh, eh_given);
	if (r.eh.n)
		check_eh_plan(&r);

	prepare(&r, files, n_files, no_progress);
	replay(&r);
	return finish(&r, json);
}
