/* ra-sniff.c - the ra-sniff applet: decode router advertisements live or
 * from a capture, solicit them, and hand scripts the gateway MAC
 * (RFC 4861; decoding and soliciting live in core/nd). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applets.h"
#include "args.h"
#include "emit.h"
#include "nd.h"
#include "pio.h"
#include "progress.h"
#include "util.h"

enum { OPT_ONCE = 256, OPT_TIMEOUT, OPT_SOLICIT, OPT_GATEWAY, OPT_NO_PROGRESS, OPT_LOG };

const struct option ra_sniff_longopts[] = {
	V6_STD_LONGOPTS,
	{ "interface", required_argument, NULL, 'i' },
	{ "read", required_argument, NULL, 'r' },
	{ "count", required_argument, NULL, 'c' },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "solicit", no_argument, NULL, OPT_SOLICIT },
	{ "gateway", no_argument, NULL, OPT_GATEWAY },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "log", required_argument, NULL, OPT_LOG },
	{ NULL, 0, NULL, 0 }
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: v6kit ra-sniff -i IFACE [--solicit] [--once | -c N] [--timeout SEC] [--gateway]\n"
		"                      [--json [--log FILE]]\n"
		"       v6kit ra-sniff -r FILE [-c N] [--gateway]\n"
		"\n"
		"Decode every IPv6 router advertisement (RFC 4861) with all its options,\n"
		"report RFC 4861 6.1.2 violations per RA, and learn the gateway MAC.\n"
		"RAs behind extension headers or in fragments (RA-Guard evasion, RFC 7113)\n"
		"are found and reassembled too, and flagged.\n"
		"\n"
		"  -i, --interface IFACE  listen on IFACE (needs CAP_NET_RAW)\n"
		"  -r, --read FILE        read a pcap/pcapng capture ('-' = stdin)\n"
		"      --solicit          send a router solicitation to ff02::2 first (retried\n"
		"                         every 4 s, 3 times, until an RA arrives)\n"
		"      --once             stop after the first RA (same as -c 1)\n"
		"  -c, --count N          stop after N RAs\n"
		"      --timeout SEC      give up after SEC seconds (fractional allowed)\n"
		"      --gateway          print only the default router's MAC (SLLA option,\n"
		"                         else Ethernet source) of the first valid RA with a\n"
		"                         non-zero router lifetime, and exit (fragmented RAs\n"
		"                         are ignored, as hosts do: RFC 6980)\n"
		"  -j, --json             one JSON object per RA, then a summary line\n"
		"      --log FILE         also append the JSON lines to FILE (reopened on SIGHUP)\n"
		"  -q, --quiet            no text summary, no message when --gateway fails\n"
		"  -v, --verbose          more diagnostics on stderr\n"
		"      --no-progress      no progress bar (-r of a large file on a terminal)\n"
		"  -h, --help             this help\n"
		"\n"
		"Exit status: 0 an RA (or gateway) was found, 1 none before the timeout or\n"
		"end of capture, 2 usage error or unreadable file, 3 no such interface or\n"
		"no privilege, or an output that cannot be created or written (full disk,\n"
		"/dev/full, standard output included).  See v6kit-ra-sniff(1).\n");
}

struct run {
	unsigned long max;		/* 0 = unlimited */
	bool gateway;
	bool quiet;
	bool progress;			/* offline: bar on a terminal (SPEC §2) */
	uint64_t ras, invalid, shown;
	uint64_t ignored_fragmented;	/* --gateway: RAs a host discards (RFC 6980) */
	bool gw_found;
	uint8_t gw[6];
	uint8_t gw_router[16];
};

/* One RA: emit it, or in --gateway mode remember the first usable one. */
static bool on_ra(void *ctx, const struct pkt *p, const struct nd_ra *ra, uint64_t ts_us)
{
	struct run *r = ctx;

	(void)p;
	r->ras++;
	if (ra->n_violations_total)
		r->invalid++;
	if (r->gateway) {
		if (ra->fragmented && nd_ra_host_ignores(ra)) {
			char ab[46];

			r->ignored_fragmented++;
			debugmsg("ignoring a fragmented RA from %s (%u fragments): hosts discard it (RFC 6980)",
				 fmt_ip6(ra->router, ab), ra->n_fragments);
			return false;
		}
		if (!nd_ra_is_gateway(ra) || !nd_ra_gateway_mac(ra, r->gw))
			return false;
		r->gw_found = true;
		memcpy(r->gw_router, ra->router, 16);
		return true;
	}
	nd_ra_emit(ra, ts_us);
	r->shown++;
	return r->max && r->shown >= r->max;
}

static void summary(const struct run *r, uint64_t packets, uint64_t solicitations,
		    const struct nd_stream_stats *stream, uint64_t start_us, bool live)
{
	/* -q quiets human text; a --json consumer still gets its summary line. */
	if (r->gateway || (r->quiet && !em_is_json()))
		return;
	em_begin("summary");
	em_u64(EM_ANY, "packets", "%llu packets, ", packets);
	em_u64(EM_ANY, "ras", "%llu router advertisements", r->ras);
	em_u64(EM_ANY, "invalid", " (%llu with violations)", r->invalid);
	if (live)
		em_u64(EM_ANY, "solicitations", ", %llu solicitations sent", solicitations);
	nd_stream_emit_stats(stream);
	em_dbl(EM_JSON, "elapsed_s", NULL, (double)(now_mono_us() - start_us) / 1e6);
	em_end();
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		em_log_reopen_request();
	else
		stop_flag = 1;
}

static int run_offline(const char *path, struct run *r)
{
	struct pio_in *in = pio_open_offline(path);
	struct nd_stream *stream = nd_stream_new();
	uint64_t start = now_mono_us(), packets = 0, bytes = PROGRESS_PCAP_HDR;
	int rc = 0, status = EXIT_OK;
	struct pio_frame f;
	struct progress pg;

	progress_init(&pg, path, r->progress);
	while (!stop_flag && (rc = pio_next(in, &f)) == 1) {
		uint64_t ts = pio_frame_us(&f);
		int dlt = f.dlt;	/* per frame: a pcapng file may mix link types */
		const struct nd_ra *ra;

		packets++;
		bytes += PROGRESS_PCAP_REC + f.caplen;
		progress_tick(&pg, packets, bytes);
		ra = nd_stream_frame(stream, dlt, f.data, f.caplen, f.wirelen, ts);
		if (ra && on_ra(r, nd_stream_pkt(stream), ra, ts))
			break;
	}
	progress_done(&pg);
	if (rc < 0) {
		em_error_at(path, 0, packets + 1, "%s", pio_error(in));
		status = EXIT_FAIL;
	}
	nd_stream_finish(stream);
	pio_close(in);
	summary(r, packets, 0, nd_stream_stats(stream), start, false);
	nd_stream_free(stream);
	return status;
}

/* Live: listen (and solicit) until the count, the timeout or a signal. */
static int run_live(const char *ifname, double timeout, bool solicit, struct run *r)
{
	struct nd_listen_cfg cfg = {
		.ifname = ifname, .timeout_s = timeout, .solicit = solicit,
		.on_ra = on_ra, .ctx = r, .stop = &stop_flag,
		.drop_privileges = true,
	};
	struct nd_listen_stats st;
	uint64_t start = now_mono_us();

	nd_listen_run(&cfg, &st);
	r->ignored_fragmented = st.ignored_fragmented;
	summary(r, st.packets, st.solicitations, &st.stream, start, true);
	if (st.timed_out && !r->quiet && !r->gateway)
		debugmsg("no router advertisement within the time limit");
	return EXIT_OK;
}

/* --gateway: the MAC on stdout (or a "gateway" line), or exit 1 saying why. */
static int report_gateway(const struct run *r, const char *ifname, const char *path)
{
	char mb[18], ab[46];

	if (!r->gw_found) {
		if (!r->quiet) {
			if (r->ignored_fragmented)
				errmsg("no default router: the only RAs%s were fragmented (%llu ignored: "
					"hosts discard fragmented RAs, RFC 6980)",
					path ? " in the capture" : " before the time limit",
					(unsigned long long)r->ignored_fragmented);
			else
				errmsg("no default router: no valid RA with a non-zero router lifetime%s",
					path ? " in the capture" : " before the time limit");
		}
		return EXIT_FAIL;
	}
	em_begin("gateway");
	em_str(EM_ANY, "mac", "%s\n", fmt_mac(r->gw, mb));
	em_str(EM_JSON, "router", NULL, fmt_ip6(r->gw_router, ab));
	em_str(EM_JSON, "interface", NULL, ifname);
	em_end();
	return EXIT_OK;
}

int ra_sniff_main(int argc, char **argv)
{
	const char *ifname = NULL, *path = NULL, *log_path = NULL;
	struct run r = { .max = 0, .progress = true };
	bool json = false, solicit = false;
	double timeout = 0;
	int c, status;
	static const char shortopts[] = "hjqvi:r:c:";

	opterr = 0;	/* die_getopt() says what is wrong */
	while ((c = getopt_long(argc, argv, shortopts, ra_sniff_longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'j':
			json = true;
			break;
		case 'q':
			r.quiet = true;
			r.progress = false;
			v6_verbosity = -1;
			break;
		case 'v':
			v6_verbosity++;
			break;
		case 'i':
			ifname = optarg;
			break;
		case 'r':
			path = optarg;
			break;
		case 'c':
			r.max = (unsigned long)arg_uint("count", optarg, 1, UINT32_MAX);
			break;
		case OPT_ONCE:
			r.max = 1;
			break;
		case OPT_TIMEOUT:
			timeout = arg_double("timeout", optarg, 0.001, 1e9);
			break;
		case OPT_SOLICIT:
			solicit = true;
			break;
		case OPT_GATEWAY:
			r.gateway = true;
			break;
		case OPT_NO_PROGRESS:
			r.progress = false;
			break;
		case OPT_LOG:
			log_path = optarg;
			break;
		default:
			die_getopt(argv, shortopts);
		}
	}
	em_init(json, stdout);
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!ifname == !path)
		die_usage("give exactly one of -i IFACE or -r FILE");
	if (path && solicit)
		die_usage("--solicit needs -i IFACE");
	if (log_path && !json)
		die_usage("--log writes JSON lines: it needs --json");
	if (log_path)
		em_log_open(log_path);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, SIG_IGN);

	status = path ? run_offline(path, &r) : run_live(ifname, timeout, solicit, &r);
	if (r.gateway)
		return status == EXIT_OK ? report_gateway(&r, ifname, path) : status;
	if (r.ras == 0)
		return EXIT_FAIL;
	return status;
}
