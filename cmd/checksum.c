/* checksum.c - the checksum applet: verify, fix and compute Internet
 * checksums (RFC 1071, RFC 768, RFC 791, RFC 792, RFC 4443, RFC 8200 §8.1)
 * of one packet given as hex, of every packet of a capture, or of raw bytes.
 * Packet logic lives in core/pktsum and core/sumstream; this file is options,
 * usage, I/O glue and output. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "applets.h"
#include "args.h"
#include "csum.h"
#include "emit.h"
#include "pio.h"
#include "reasm.h"
#include "progress.h"
#include "pkt.h"
#include "pktsum.h"
#include "sumstream.h"
#include "util.h"

enum {
	OPT_HEX = 256,
	OPT_LINK,
	OPT_SUM,
	OPT_PSEUDO6,
	OPT_FIX,
	OPT_NO_PROGRESS,
	OPT_REASM_TIMEOUT, OPT_REASM_DATAGRAMS, OPT_REASM_BYTES, OPT_REASM_SOURCE,
};

const struct option checksum_longopts[] = {
	V6_STD_LONGOPTS,
	{ "read", required_argument, NULL, 'r' },
	{ "write", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "hex", required_argument, NULL, OPT_HEX },
	{ "link", required_argument, NULL, OPT_LINK },
	{ "sum", no_argument, NULL, OPT_SUM },
	{ "pseudo6", required_argument, NULL, OPT_PSEUDO6 },
	{ "fix", no_argument, NULL, OPT_FIX },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "reasm-timeout", required_argument, NULL, OPT_REASM_TIMEOUT },
	{ "reasm-max-datagrams", required_argument, NULL, OPT_REASM_DATAGRAMS },
	{ "reasm-max-bytes", required_argument, NULL, OPT_REASM_BYTES },
	{ "reasm-max-per-source", required_argument, NULL, OPT_REASM_SOURCE },
	{ NULL, 0, NULL, 0 }
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: v6kit checksum --hex HEX [--link raw|ether] [--fix]\n"
		"       v6kit checksum -r IN.pcap [--fix -w OUT.pcap] [-c N]\n"
		"       v6kit checksum --sum [--pseudo6 SRC,DST,NH] < BYTES\n"
		"\n"
		"Verify IPv4 header, TCP, UDP, ICMP and ICMPv6 checksums of one packet or\n"
		"of every packet of a capture (through VLANs, IPv6 extension headers and\n"
		"tunnels; fragmented datagrams are reassembled), fix them, or compute the\n"
		"RFC 1071 checksum of raw bytes.\n"
		"\n"
		"  -r, --read FILE       pcap or pcapng capture ('-' = stdin)\n"
		"      --hex HEX         one packet as hex (spaces and colons allowed)\n"
		"      --link raw|ether  link type of --hex (default raw: IPv4/IPv6 by version)\n"
		"      --sum             print the checksum (one's complement of the folded\n"
		"                        one's complement sum) of the bytes on stdin\n"
		"      --pseudo6 SRC,DST,NH  add an IPv6 pseudo-header (RFC 8200 8.1) whose\n"
		"                        length is the number of bytes read\n"
		"      --fix             correct every bad checksum (with -r: needs -w; with\n"
		"                        --hex: prints the corrected packet)\n"
		"  -w, --write FILE      pcap output of --fix ('-' = stdout; reports go to stderr)\n"
		"  -c, --count N         stop after N packets\n"
		"  -j, --json            one JSON object per line\n"
		"  -v, --verbose         also report good checksums and skipped packets\n"
		"  -q, --quiet           no human output (exit status only)\n"
		"      --no-progress     no progress bar on a terminal\n"
		"Reassembly bounds (fragments over a bound are skipped and counted by name):\n"
		"      --reasm-timeout SEC          in capture time (default 60)\n"
		"      --reasm-max-datagrams N      datagrams in progress (default 4096)\n"
		"      --reasm-max-bytes N          octets held (default 67108864)\n"
		"      --reasm-max-per-source N     datagrams in progress per source (default 256)\n"
		"  -h, --help            this help\n"
		"\n"
		"Exit status: 0 all checksums good (or --fix wrote the output), 1 a bad\n"
		"checksum was found or the capture is truncated, 2 usage error or bad input\n"
		"(also --hex bytes that are no packet, a link type -w cannot write), 3 an\n"
		"output that cannot be created or written (full disk, /dev/full, standard\n"
		"output included).  See v6kit-checksum(1).\n");
}

/* ---- counters and reports ---- */

#define MAX_REASONS 24

struct job {
	bool verbose, quiet, every;	/* every: report good checks too */
	struct reasm_limits lim;	/* --reasm-* (0 = default) */
	uint64_t packets;
	uint64_t checked[PKTSUM_N_LAYERS];
	uint64_t bad[PKTSUM_N_LAYERS];
	uint64_t fixed;
	struct { const char *name; uint64_t n; } skip[MAX_REASONS];
	unsigned n_skip;
	struct pio_dump *dump;
	bool write_failed;
	uint8_t *hex_out;
	uint32_t hex_out_len;
};

static void on_check(void *ctx, uint64_t pkt, const struct pktsum_check *c, bool reassembled, bool fixed)
{
	struct job *j = ctx;

	j->checked[c->layer]++;
	if (c->status == PKTSUM_BAD) {
		j->bad[c->layer]++;
		if (fixed)
			j->fixed++;
	} else if (!j->every) {
		return;
	}
	if (j->quiet && !em_is_json())
		return;
	em_begin("checksum");
	em_u64(EM_ANY, "packet", "packet %llu: ", pkt);
	em_str(EM_ANY, "layer", "%s ", pktsum_layer_name(c->layer));
	em_str(EM_ANY, "status", "%s", pktsum_status_name(c->status));
	/* which IP layer through tunnels: 1 = outermost */
	em_u64(EM_JSON, "ip_layer", NULL, c->ip_index + 1u);
	if (c->ip_index)
		em_text(" (tunnelled, IP layer %u)", c->ip_index + 1u);
	em_hex16(EM_ANY, "stored", ", stored %s", c->stored);
	em_hex16(EM_ANY, "computed", ", computed %s", c->computed);
	em_bool(EM_JSON, "reassembled", NULL, reassembled);
	if (reassembled)
		em_text(" (reassembled datagram)");
	em_bool(EM_JSON, "fixed", NULL, fixed);
	if (fixed)
		em_text(", fixed");
	em_end();
}

static void on_skip(void *ctx, uint64_t pkt, const char *reason)
{
	struct job *j = ctx;
	unsigned i;

	for (i = 0; i < j->n_skip; i++)
		if (!strcmp(j->skip[i].name, reason))
			break;
	if (i == j->n_skip && j->n_skip < MAX_REASONS)
		j->skip[j->n_skip++].name = reason;
	if (i < MAX_REASONS)
		j->skip[i].n++;
	if (j->verbose && !j->quiet) {
		em_begin("skip");
		em_u64(EM_ANY, "packet", "packet %llu: ", pkt);
		em_str(EM_ANY, "reason", "skipped (%s)", reason);
		em_end();
	}
}

static void on_out(void *ctx, const struct sumstream_frame *f)
{
	struct job *j = ctx;
	struct pio_frame pf = {
		.data = f->data, .caplen = f->caplen, .wirelen = f->wirelen,
		.ts_sec = f->ts_sec, .ts_nsec = f->ts_nsec, .dlt = f->dlt,
	};

	if (!j->dump) {		/* --hex --fix */
		free(j->hex_out);
		j->hex_out = xmalloc(f->caplen ? f->caplen : 1);
		memcpy(j->hex_out, f->data, f->caplen);
		j->hex_out_len = f->caplen;
		return;
	}
	if (!j->write_failed && (f->own_dlt ? pio_dump_write_link(j->dump, &pf, f->dlt) :
				 pio_dump_write(j->dump, &pf)) < 0)
		j->write_failed = true;
}

static bool any_bad(const struct job *j)
{
	for (unsigned i = 0; i < PKTSUM_N_LAYERS; i++)
		if (j->bad[i])
			return true;
	return false;
}

/* Text shows the non-zero counts only; JSON always has every layer. */
static void text_counts(const uint64_t *v)
{
	bool any = false;

	for (unsigned i = 0; i < PKTSUM_N_LAYERS; i++)
		if (v[i]) {
			em_text("%s %s %llu", any ? "," : "", pktsum_layer_name(i), (unsigned long long)v[i]);
			any = true;
		}
	if (!any)
		em_text(" none");
}

static void summary(const struct job *j, uint64_t t0)
{
	if (j->quiet && !em_is_json())
		return;
	em_begin("summary");
	em_u64(EM_ANY, "packets", "%llu packets", j->packets);
	em_obj_begin(EM_JSON, "checked", NULL);
	for (unsigned i = 0; i < PKTSUM_N_LAYERS; i++)
		em_u64(EM_JSON, pktsum_layer_name(i), NULL, j->checked[i]);
	em_obj_end(EM_JSON, NULL);
	em_text("; checked:");
	text_counts(j->checked);
	em_obj_begin(EM_JSON, "bad", NULL);
	for (unsigned i = 0; i < PKTSUM_N_LAYERS; i++)
		em_u64(EM_JSON, pktsum_layer_name(i), NULL, j->bad[i]);
	em_obj_end(EM_JSON, NULL);
	em_text("; bad:");
	text_counts(j->bad);
	em_u64(EM_ANY, "fixed", "; fixed %llu", j->fixed);
	em_obj_begin(EM_JSON, "skipped", NULL);
	for (unsigned i = 0; i < j->n_skip; i++)
		em_u64(EM_JSON, j->skip[i].name, NULL, j->skip[i].n);
	em_obj_end(EM_JSON, NULL);
	em_text("; skipped:");
	for (unsigned i = 0; i < j->n_skip; i++)
		em_text("%s %s %llu", i ? "," : "", j->skip[i].name, (unsigned long long)j->skip[i].n);
	if (!j->n_skip)
		em_text(" none");
	em_dbl(EM_ANY, "elapsed_s", "; %.3f s", (double)(now_mono_us() - t0) / 1e6);
	em_end();
}

/* ---- the three modes ---- */

static int run_capture(struct job *j, const char *in_path, const char *out_path, uint64_t count,
		       bool fix, bool show_progress)
{
	struct sumstream_ops ops = { .ctx = j, .check = on_check, .skip = on_skip, .out = on_out };
	uint64_t t0 = now_mono_us(), bytes = PROGRESS_PCAP_HDR;
	struct pio_in *in = pio_open_offline(in_path);
	struct sumstream *s;
	struct pio_frame f;
	struct progress pg;
	bool truncated = false;
	int rc;

	if (fix)
		j->dump = pio_dump_open(out_path, pio_dlt(in), pio_snaplen(in),
					pio_source_usec(in) ? 0 : PIO_DUMP_NSEC);
	s = sumstream_new(pio_dlt(in), fix ? SUMSTREAM_FIX : 0, &ops);
	sumstream_set_reasm_limits(s, &j->lim);
	progress_init(&pg, in_path, show_progress);
	while (!count || j->packets < count) {
		rc = pio_next(in, &f);
		if (rc == 0)
			break;
		if (rc < 0) {
			progress_done(&pg);
			em_error_at(strcmp(in_path, "-") ? in_path : "<stdin>", 0, j->packets + 1, "%s (after %llu packets)",
				    pio_error(in), (unsigned long long)j->packets);
			truncated = true;
			break;
		}
		j->packets++;
		bytes += PROGRESS_PCAP_REC + f.caplen;
		sumstream_add(s, j->packets, &(struct sumstream_frame){
			.data = f.data, .caplen = f.caplen, .wirelen = f.wirelen,
			.ts_sec = f.ts_sec, .ts_nsec = f.ts_nsec, .own_dlt = true, .dlt = f.dlt });
		progress_tick(&pg, j->packets, bytes);
	}
	sumstream_finish(s);
	progress_done(&pg);
	sumstream_free(s);
	pio_close(in);
	if (j->dump) {
		char why[PIO_ERRLEN];
		bool failed = pio_dump_flush(j->dump) < 0 || j->write_failed;

		snprintf(why, sizeof(why), "%s", pio_dump_error(j->dump));
		if (pio_dump_close(j->dump) < 0)
			failed = true;
		if (failed) {
			em_error_at(strcmp(out_path, "-") ? out_path : "<stdout>", 0, 0, "%s",
				    why[0] ? why : "write error");
			summary(j, t0);
			return EXIT_RESOURCE;	/* output not written: SPEC §2, 3 */
		}
	}
	summary(j, t0);
	if (truncated)
		return EXIT_FAIL;
	if (fix)
		return EXIT_OK;
	return any_bad(j) ? EXIT_FAIL : EXIT_OK;
}

static uint8_t *parse_hex_arg(const char *s, uint32_t *len)
{
	size_t cap = strlen(s) / 2 + 1, n = 0;
	uint8_t *b = xmalloc(cap);
	char err[ARG_ERRLEN];

	if (!parse_hex(s, b, cap, &n, err)) {
		free(b);
		die_usage("invalid --hex value: %s", err);
	}
	*len = (uint32_t)n;
	return b;
}

static int run_hex(struct job *j, const char *hex, int dlt, bool fix)
{
	struct sumstream_ops ops = { .ctx = j, .check = on_check, .skip = on_skip, .out = on_out };
	uint64_t t0 = now_mono_us();
	struct sumstream *s;
	uint32_t len;
	uint8_t *b = parse_hex_arg(hex, &len);

	j->every = true;	/* one packet: show every checksum it has */
	s = sumstream_new(dlt, fix ? SUMSTREAM_FIX : 0, &ops);
	j->packets = 1;
	sumstream_add(s, 1, &(struct sumstream_frame){ .data = b, .caplen = len, .wirelen = len });
	sumstream_finish(s);
	sumstream_free(s);
	if (fix && j->hex_out) {
		em_begin("fixed");
		em_text("fixed: ");
		{
			char *h = xmalloc((size_t)j->hex_out_len * 2 + 1);
			for (uint32_t i = 0; i < j->hex_out_len; i++)
				snprintf(h + 2 * i, 3, "%02x", j->hex_out[i]);
			em_str(EM_ANY, "hex", "%s", h);
			free(h);
		}
		em_end();
	}
	summary(j, t0);
	free(j->hex_out);
	/* One packet that is no packet is bad input, not "nothing bad found". */
	for (unsigned i = 0; i < j->n_skip; i++) {
		if (strcmp(j->skip[i].name, "invalid") && strcmp(j->skip[i].name, "truncated"))
			continue;
		bool ether_like = dlt != V6_DLT_EN10MB && len >= 14 &&
			((b[12] == 0x86 && b[13] == 0xdd) || (b[12] == 0x08 && b[13] == 0x00) ||
			 (b[12] == 0x81 && b[13] == 0x00) || (b[12] == 0x88 && b[13] == 0xa8));

		em_error_at(NULL, 0, 0, "--hex: the %u octets are no %s packet (%s)%s", len,
			    dlt == V6_DLT_EN10MB ? "Ethernet" : "IPv4 or IPv6", j->skip[i].name,
			    ether_like ? "; it looks like an Ethernet frame: add --link ether" :
			    dlt == V6_DLT_EN10MB ? "; for a bare IP packet use --link raw" :
			    "; for an Ethernet frame use --link ether");
		free(b);
		return EXIT_USAGE;
	}
	free(b);
	if (fix)
		return EXIT_OK;
	return any_bad(j) ? EXIT_FAIL : EXIT_OK;
}

static void parse_pseudo6(const char *arg, uint8_t src[16], uint8_t dst[16], uint8_t *nh)
{
	char *copy = xstrdup(arg), *a = copy, *b, *c;

	b = strchr(a, ',');
	c = b ? strchr(b + 1, ',') : NULL;
	if (!b || !c) {
		free(copy);
		die_usage("invalid --pseudo6 value '%s': want SRC,DST,NH", arg);
	}
	*b++ = '\0';
	*c++ = '\0';
	arg_ip6("--pseudo6", a, src);
	arg_ip6("--pseudo6", b, dst);
	*nh = (uint8_t)arg_uint("--pseudo6", c, 0, 255);
	free(copy);
}

static int run_sum(const char *pseudo6)
{
	static uint8_t buf[1 << 16];
	uint32_t sum = 0;
	uint64_t len = 0;
	uint8_t src[16], dst[16], nh = 0;
	size_t n;

	if (pseudo6)
		parse_pseudo6(pseudo6, src, dst, &nh);
	/* Each chunk is summed on its own and added at its offset in the data
	 * (csum_block_add swaps an odd-offset block's bytes). */
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
		sum = csum_block_add(sum, csum_partial(buf, n, 0), (size_t)len);
		len += n;
	}
	if (ferror(stdin))
		die(EXIT_USAGE, "cannot read stdin: %s", strerror(errno));
	if (pseudo6) {
		if (len > 0xffffffffu)
			die(EXIT_USAGE, "input longer than an IPv6 pseudo-header length can carry");
		sum = csum_block_add(sum, csum_pseudo6(src, dst, nh, (uint32_t)len), 0);
	}
	em_begin("sum");
	em_hex16(EM_ANY, "checksum", "%s", csum_fold(sum));
	em_hex16(EM_JSON, "sum", NULL, (uint16_t)~csum_fold(sum));
	em_u64(EM_JSON, "length", NULL, len);
	em_bool(EM_JSON, "pseudo6", NULL, pseudo6 != NULL);
	em_end();
	return EXIT_OK;
}

int checksum_main(int argc, char **argv)
{
	const char *in_path = NULL, *out_path = NULL, *hex = NULL, *link = NULL, *pseudo6 = NULL;
	bool json = false, sum = false, fix = false, progress = true;
	struct job j;
	uint64_t count = 0;
	int dlt = V6_DLT_RAW, opt, modes;
	static const char shortopts[] = "hjqvr:w:c:";

	memset(&j, 0, sizeof(j));

	opterr = 0;	/* die_getopt() says what is wrong */
	while ((opt = getopt_long(argc, argv, shortopts, checksum_longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'j':
			json = true;
			break;
		case 'q':
			j.quiet = true;
			v6_verbosity = -1;
			break;
		case 'v':
			j.verbose = j.every = true;
			v6_verbosity++;
			break;
		case 'r':
			in_path = optarg;
			break;
		case 'w':
			out_path = optarg;
			break;
		case 'c':
			count = arg_uint("--count", optarg, 1, UINT64_MAX);
			break;
		case OPT_HEX:
			hex = optarg;
			break;
		case OPT_LINK:
			link = optarg;
			break;
		case OPT_SUM:
			sum = true;
			break;
		case OPT_PSEUDO6:
			pseudo6 = optarg;
			break;
		case OPT_FIX:
			fix = true;
			break;
		case OPT_NO_PROGRESS:
			progress = false;
			break;
		case OPT_REASM_TIMEOUT:
			j.lim.timeout_us = (uint64_t)(arg_double("reasm-timeout", optarg, 0.001, 86400) * 1e6);
			break;
		case OPT_REASM_DATAGRAMS:
			j.lim.max_datagrams = arg_uint("reasm-max-datagrams", optarg, 1, 1u << 24);
			break;
		case OPT_REASM_BYTES:
			j.lim.max_bytes = arg_uint("reasm-max-bytes", optarg, 65535, (uint64_t)1 << 36);
			break;
		case OPT_REASM_SOURCE:
			j.lim.max_per_source = arg_uint("reasm-max-per-source", optarg, 1, 1u << 24);
			break;
		default:
			die_getopt(argv, shortopts);
		}
	}
	/* Reports go to stderr when the pcap goes to stdout. */
	em_init(json, out_path && !strcmp(out_path, "-") ? stderr : stdout);
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	modes = !!in_path + !!hex + sum;
	if (modes != 1)
		die_usage("give exactly one of -r FILE, --hex HEX, --sum");
	if (link && !hex)
		die_usage("--link applies to --hex only");
	if (link) {
		if (!strcmp(link, "raw"))
			dlt = V6_DLT_RAW;
		else if (!strcmp(link, "ether"))
			dlt = V6_DLT_EN10MB;
		else
			die_usage("invalid --link value '%s': want raw or ether", link);
	}
	if (pseudo6 && !sum)
		die_usage("--pseudo6 applies to --sum only");
	if (sum && fix)
		die_usage("--fix does not apply to --sum");
	if (out_path && !(fix && in_path))
		die_usage("-w writes the output of --fix -r");
	if (fix && in_path && !out_path)
		die_usage("--fix -r needs -w OUT.pcap");
	if (count && !in_path)
		die_usage("-c applies to -r only");
	if (json && !isatty(STDERR_FILENO))
		progress = false;

	if (sum)
		return run_sum(pseudo6);
	if (hex)
		return run_hex(&j, hex, dlt, fix);
	return run_capture(&j, in_path, out_path, count, fix, progress && !j.quiet);
}
