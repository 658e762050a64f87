/* 6in4-relay.c - relay protocol-41 tunnelled IPv6 to hosts behind an IPv4
 * NAT (the µTasker relay agent; RFC 4213).  Options, set-up, privilege drop
 * and the event loop; every packet decision is core/relay.c. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applets.h"
#include "args.h"
#include "emit.h"
#include "netlink.h"
#include "pio.h"
#include "progress.h"
#include "pkt.h"
#include "priv.h"
#include "relay.h"
#include "util.h"

#define MAX_LIST 64

enum {
	OPT_TABLE = 256, OPT_DEST, OPT_TUNNEL_SERVER, OPT_ALLOW, OPT_OUTBOUND, OPT_LOG_PACKETS,
	OPT_TIMEOUT, OPT_USER, OPT_MAC, OPT_GATEWAY_MAC, OPT_STATS_INTERVAL, OPT_NO_PROGRESS, OPT_MAX_DESTS,
};

const struct option relay_6in4_longopts[] = {
	V6_STD_LONGOPTS,
	{ "interface", required_argument, NULL, 'i' },
	{ "local", required_argument, NULL, 'l' },
	{ "read", required_argument, NULL, 'r' },
	{ "write", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "dest", required_argument, NULL, OPT_DEST },
	{ "tunnel-server", required_argument, NULL, OPT_TUNNEL_SERVER },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "outbound", no_argument, NULL, OPT_OUTBOUND },
	{ "log-packets", no_argument, NULL, OPT_LOG_PACKETS },
	{ "user", required_argument, NULL, OPT_USER },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "gateway-mac", required_argument, NULL, OPT_GATEWAY_MAC },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "max-destinations", required_argument, NULL, OPT_MAX_DESTS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ NULL, 0, NULL, 0 }
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: v6kit 6in4-relay -i IFACE [-l IPV4] (--table FILE | --dest SPEC)...\n"
		"                        [--tunnel-server IPV4]... [--allow PROTO/PORT]...\n"
		"                        [--outbound] [--json] [--log-packets] [--user USER]\n"
		"       v6kit 6in4-relay -r IN.pcap [-w OUT.pcap] [-l IPV4] (--table FILE | --dest SPEC)...\n"
		"  SPEC / table line:  IPV6-ADDR[/LEN]  IPV4-ADDR  MAC  [6in4|raw]\n"
		"\n"
		"Relay protocol-41 tunnelled IPv6 arriving at the DMZ address of an IPv4 NAT\n"
		"to the hosts behind it: re-sent as 6in4 to the host's IPv4 address (mode\n"
		"6in4) or delivered as bare IPv6 (mode raw).  Every dropped packet is counted\n"
		"by reason.\n"
		"\n"
		"  -i, --interface IFACE    capture and send on IFACE (the NAT's DMZ link)\n"
		"  -l, --local IPV4         the relay's IPv4 address (default: IFACE's first)\n"
		"      --table FILE         relay table, one SPEC per line ('#' comments);\n"
		"                           SIGHUP reloads it\n"
		"      --dest SPEC          one destination (fields separated by commas or blanks)\n"
		"      --tunnel-server IPV4 accept tunnelled packets only from these sources;\n"
		"                           the first one receives --outbound traffic\n"
		"      --allow PROTO[/PORTS]  relay only this transport, e.g. tcp/80, udp/53,\n"
		"                           tcp/8000-8010, icmpv6 (repeatable; default all)\n"
		"      --outbound           encapsulate IPv6 from raw-mode hosts toward the\n"
		"                           first tunnel server\n"
		"      --log-packets        one relay/drop line per packet\n"
		"      --stats-interval SEC emit a stats line every SEC seconds\n"
		"      --max-destinations N refuse a table of more than N destinations\n"
		"                           (default 65536; a reload over it keeps the old table)\n"
		"      --user USER          drop privileges to USER after opening the interface\n"
		"      --mac MAC            our MAC (default: IFACE's; offline: the frame's\n"
		"                           Ethernet destination)\n"
		"      --gateway-mac MAC    Ethernet destination of outbound frames (live: send\n"
		"                           them on IFACE instead of through the kernel's routing)\n"
		"  -r, --read FILE          offline: relay a capture (pcap/pcapng, - = stdin)\n"
		"  -w, --write FILE         write relayed frames to a pcap (- = stdout)\n"
		"      --no-progress        no progress bar (-r of a large file on a terminal)\n"
		"  -c, --count N            stop after N packets\n"
		"      --timeout SEC        stop after SEC seconds\n"
		"  -j, --json               NDJSON output\n"
		"  -q, --quiet / -v, --verbose\n"
		"  -h, --help               this text\n"
		"\n"
		"Signals: SIGINT/SIGTERM stop with a summary, SIGHUP reloads the table,\n"
		"SIGUSR1 prints a stats line.  See v6kit-6in4-relay(1).\n");
}

static volatile sig_atomic_t sig_stop, sig_reload, sig_stats;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_reload = 1;
	else if (sig == SIGUSR1)
		sig_stats = 1;
	else
		sig_stop = 1;
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct relay_app {
	struct relay_cfg cfg;
	struct relay_table table;
	struct relay_stats stats;
	const char *table_path;
	const char *dests[MAX_LIST];
	size_t n_dests;
	size_t max_dests;		/* --max-destinations */
	bool log_packets;
	uint64_t started_us;
};

/* Build a table from the --dest specs and the file; false with a message. */
static bool load_table(const struct relay_app *app, struct relay_table *t, char *err, size_t errlen)
{
	char msg[256];

	relay_table_init(t);
	t->max = app->max_dests;
	for (size_t i = 0; i < app->n_dests; i++) {
		if (!relay_table_add_line(t, app->dests[i], 0, msg, sizeof(msg))) {
			snprintf(err, errlen, "invalid --dest value '%s': %s", app->dests[i], msg);
			relay_table_free(t);
			return false;
		}
	}
	if (app->table_path && !relay_table_load(t, app->table_path, err, errlen)) {
		relay_table_free(t);
		return false;
	}
	return true;
}

/* SIGHUP: the new table replaces the old one only when all of it parses. */
static void reload(struct relay_app *app)
{
	struct relay_table t;
	char err[512];
	bool ok = load_table(app, &t, err, sizeof(err));

	em_begin("reload");
	em_ts(EM_ANY, "%s reload ", now_wall_us());
	em_str(EM_ANY, "status", "%s", ok ? "ok" : "failed");
	if (ok) {
		relay_table_free(&app->table);
		app->table = t;
		relay_stats_bind(&app->stats, &app->table);
		em_u64(EM_ANY, "destinations", ": %llu destinations", app->table.n);
	} else {
		em_str(EM_ANY, "message", ", keeping the old table: %s", err);
	}
	em_end();
	if (!ok)
		fprintf(stderr, "v6kit 6in4-relay: reload failed, keeping the old table: %s\n", err);
}

static void emit_stats(struct relay_app *app, struct pio_in *in, const char *type)
{
	uint64_t received, dropped;

	/* -q quiets the human summary; a stats line asked for (SIGUSR1,
	 * --stats-interval) and every JSON line are still written. */
	if (v6_verbosity < 0 && !em_is_json() && !strcmp(type, "summary"))
		return;
	if (pio_stats(in, &received, &dropped) == 0)
		app->stats.capture_dropped = dropped;
	relay_emit_stats(&app->stats, type, (now_mono_us() - app->started_us) / 1e6);
}

static void handle(struct relay_app *app, int dlt, const struct pio_frame *f, uint8_t *out,
		   struct pio_tx *tx, int sock41, struct pio_dump *dump)
{
	struct relay_out r;
	int rc = 0;

	relay_process(&app->cfg, &app->table, dlt, f->data, f->caplen, f->wirelen, out, &r);
	if (r.action == RELAY_SEND && tx) {
		if (r.kind == RELAY_KIND_OUTBOUND && sock41 >= 0)
			rc = relay_sock41_send(sock41, out + 14, r.len - 14, r.next_hop4);
		else
			rc = pio_tx_send(tx, out, r.len);
		if (rc < 0) {
			app->stats.send_errors++;
			debugmsg("send failed: %s", strerror(-rc));
		}
	}
	if (r.action == RELAY_SEND && dump) {
		struct pio_frame o = *f;
		o.data = out;
		o.caplen = o.wirelen = (uint32_t)r.len;
		if (pio_dump_write(dump, &o) < 0)
			app->stats.send_errors++;
	}
	relay_stats_count(&app->stats, &app->table, &r);
	if (app->log_packets)
		relay_emit_packet(&r, &app->table, pio_frame_us(f));
	else if (r.action == RELAY_DROP && v6_verbosity > 0)
		debugmsg("drop %s: %s", relay_reason_name(r.reason), r.why ? r.why : "");
}

int relay_6in4_main(int argc, char **argv)
{
	static struct relay_app app;
	static uint8_t servers[MAX_LIST][4];
	static struct relay_allow allow[MAX_LIST];
	const char *iface = NULL, *rfile = NULL, *wfile = NULL, *user = NULL;
	struct priv_user priv = { 0 };
	uint64_t count = 0;
	double timeout = 0, stats_every = 0;
	bool json = false, has_gw = false, progress = true;
	char err[512];
	int opt;
	static const char shortopts[] = "hjqvi:l:r:w:c:";

	app.max_dests = 65536;

	opterr = 0;	/* die_getopt() says what is wrong */
	while ((opt = getopt_long(argc, argv, shortopts, relay_6in4_longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'j':
			json = true;
			break;
		case 'q':
			v6_verbosity = -1;
			break;
		case 'v':
			v6_verbosity++;
			break;
		case 'i':
			iface = optarg;
			break;
		case 'l':
			arg_ip4("local", optarg, app.cfg.local4);
			app.cfg.has_local = true;
			break;
		case 'r':
			rfile = optarg;
			break;
		case 'w':
			wfile = optarg;
			break;
		case 'c':
			count = arg_uint("count", optarg, 1, UINT64_MAX);
			break;
		case OPT_TIMEOUT:
			timeout = arg_double("timeout", optarg, 0.001, 1e9);
			break;
		case OPT_NO_PROGRESS:
			progress = false;
			break;
		case OPT_MAX_DESTS:
			app.max_dests = (size_t)arg_uint("max-destinations", optarg, 1, 1u << 24);
			break;
		case OPT_STATS_INTERVAL:
			stats_every = arg_double("stats-interval", optarg, 0.1, 1e9);
			break;
		case OPT_TABLE:
			if (app.table_path)
				die_usage("--table given twice");
			app.table_path = optarg;
			break;
		case OPT_DEST:
			if (app.n_dests == MAX_LIST)
				die_usage("more than %d --dest options", MAX_LIST);
			app.dests[app.n_dests++] = optarg;
			break;
		case OPT_TUNNEL_SERVER:
			if (app.cfg.n_servers == MAX_LIST)
				die_usage("more than %d --tunnel-server options", MAX_LIST);
			arg_ip4("tunnel-server", optarg, servers[app.cfg.n_servers++]);
			break;
		case OPT_ALLOW:
			if (app.cfg.n_allow == MAX_LIST)
				die_usage("more than %d --allow options", MAX_LIST);
			if (!relay_allow_parse(optarg, &allow[app.cfg.n_allow], err, sizeof(err)))
				die_usage("invalid --allow value '%s': %s", optarg, err);
			app.cfg.n_allow++;
			break;
		case OPT_OUTBOUND:
			app.cfg.outbound = true;
			break;
		case OPT_LOG_PACKETS:
			app.log_packets = true;
			break;
		case OPT_USER:
			user = optarg;
			break;
		case OPT_MAC:
			arg_mac("mac", optarg, app.cfg.mac);
			app.cfg.has_mac = true;
			break;
		case OPT_GATEWAY_MAC:
			arg_mac("gateway-mac", optarg, app.cfg.gw_mac);
			has_gw = true;
			break;
		default:
			die_getopt(argv, shortopts);
		}
	}
	/* "-w -" owns stdout: records go to stderr then */
	em_init(json, wfile && !strcmp(wfile, "-") ? stderr : stdout);
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!iface && !rfile)
		die_usage("need -i IFACE or -r FILE");
	if (iface && rfile)
		die_usage("-i and -r exclude each other");
	if (!app.table_path && !app.n_dests)
		die_usage("need --table FILE or --dest SPEC");
	if (app.cfg.outbound && !app.cfg.n_servers)
		die_usage("--outbound needs --tunnel-server");
	if (app.cfg.outbound && rfile && !app.cfg.has_local)
		die_usage("--outbound with -r needs -l IPV4 (the outer source address)");
	if (user && rfile)
		die_usage("--user is for live mode (-i)");
	if (user)
		priv_lookup(user, &priv);
	app.cfg.servers = (const uint8_t (*)[4])servers;
	app.cfg.allow = allow;

	if (!load_table(&app, &app.table, err, sizeof(err)))
		die(EXIT_USAGE, "%s", err);
	if (!app.table.n)
		warnmsg("the relay table is empty: every packet will be dropped (no_destination)");
	relay_stats_init(&app.stats);
	relay_stats_bind(&app.stats, &app.table);

	uint8_t *out = xmalloc(RELAY_OUT_MAX);
	struct pio_in *in;
	struct pio_tx *tx = NULL;
	struct pio_dump *dump = NULL;
	struct pio_frame f;
	int sock41 = -1, rc = EXIT_OK, got;
	uint64_t next_stats_us = 0, deadline_us = 0;

	if (rfile) {
		in = pio_open_offline(rfile);
		if (wfile)
			dump = pio_dump_open(wfile, V6_DLT_EN10MB, PIO_SNAPLEN, 0);
		struct progress pg;
		uint64_t bytes = PROGRESS_PCAP_HDR;

		app.started_us = now_mono_us();
		progress_init(&pg, rfile, progress && v6_verbosity >= 0);
		while (!sig_stop && (!count || app.stats.packets < count)) {
			got = pio_next(in, &f);
			if (got <= 0) {
				progress_done(&pg);
				if (got < 0) {
					em_error_at(rfile, 0, app.stats.packets + 1, "%s", pio_error(in));
					rc = EXIT_FAIL;
				}
				break;
			}
			handle(&app, pio_dlt(in), &f, out, NULL, -1, dump);
			bytes += PROGRESS_PCAP_REC + f.caplen;
			progress_tick(&pg, app.stats.packets, bytes);
		}
		progress_done(&pg);
	} else {
		char filter[256], l4[16], macs[18];
		struct nl_link link;

		if (nl_link_get(iface, 0, &link) < 0)
			die(EXIT_RESOURCE, "%s", nl_error());
		if (!app.cfg.has_mac) {
			if (link.addr_len != 6)
				die(EXIT_RESOURCE, "%s has no Ethernet address (give --mac)", iface);
			memcpy(app.cfg.mac, link.mac, 6);
			app.cfg.has_mac = true;
		}
		if (!app.cfg.has_local) {
			struct nl_addr a[16];
			int n = nl_addrs(link.ifindex, 4, a, 16);
			if (n <= 0)
				die(EXIT_RESOURCE, "%s has no IPv4 address (give -l)", iface);
			memcpy(app.cfg.local4, a[0].addr, 4);
			app.cfg.has_local = true;
		}
		fmt_ip4(app.cfg.local4, l4);
		fmt_mac(app.cfg.mac, macs);
		if (app.cfg.outbound)
			snprintf(filter, sizeof(filter), "(ip proto 41 and dst host %s) or (ip6 and ether dst %s)",
				 l4, macs);
		else
			snprintf(filter, sizeof(filter), "ip proto 41 and dst host %s", l4);
		in = pio_open_live(iface, filter, PIO_IMMEDIATE | PIO_NONBLOCK | PIO_INBOUND);
		tx = pio_tx_open(iface, PIO_TX_PACKET);
		sock41 = relay_sock41_open();
		if (sock41 < 0)
			die(EXIT_RESOURCE, "raw IPv4 protocol-41 socket: %s", strerror(-sock41));
		if (wfile)
			dump = pio_dump_open(wfile, V6_DLT_EN10MB, PIO_SNAPLEN, 0);
		priv_drop(&priv, 0);
		install_signals();
		app.started_us = now_mono_us();
		if (timeout > 0)
			deadline_us = app.started_us + (uint64_t)(timeout * 1e6);
		if (stats_every > 0)
			next_stats_us = app.started_us + (uint64_t)(stats_every * 1e6);
		debugmsg("relaying protocol 41 to %s on %s (filter: %s)", l4, iface, filter);

		while (!sig_stop && (!count || app.stats.packets < count)) {
			struct pollfd pfd = { .fd = pio_fd(in), .events = POLLIN };
			uint64_t now = now_mono_us();
			int wait_ms = 500;

			if (deadline_us) {
				if (now >= deadline_us)
					break;
				if ((deadline_us - now) / 1000 < (uint64_t)wait_ms)
					wait_ms = (int)((deadline_us - now) / 1000) + 1;
			}
			if (next_stats_us && (next_stats_us - now) / 1000 < (uint64_t)wait_ms)
				wait_ms = now >= next_stats_us ? 0 : (int)((next_stats_us - now) / 1000) + 1;
			if (poll(&pfd, 1, wait_ms) < 0 && errno != EINTR)
				die(EXIT_RESOURCE, "poll: %s", strerror(errno));
			if (sig_reload) {
				sig_reload = 0;
				reload(&app);
			}
			if (sig_stats) {
				sig_stats = 0;
				emit_stats(&app, in, "stats");
			}
			if (next_stats_us && now_mono_us() >= next_stats_us) {
				emit_stats(&app, in, "stats");
				next_stats_us += (uint64_t)(stats_every * 1e6);
			}
			/* Drain what is ready, bounded so signals stay responsive. */
			for (int i = 0; i < 256 && !sig_stop && (!count || app.stats.packets < count); i++) {
				got = pio_next(in, &f);
				if (got < 0) {
					warnmsg("capture: %s", pio_error(in));
					rc = EXIT_FAIL;
					sig_stop = 1;
					break;
				}
				if (got == 0)
					break;
				/* with --gateway-mac, outbound frames go straight to
				 * that MAC on IFACE, not through the kernel */
				handle(&app, pio_dlt(in), &f, out, tx, has_gw ? -1 : sock41, dump);
			}
		}
	}

	emit_stats(&app, in, "summary");
	if (dump && pio_dump_close(dump) < 0) {
		warnmsg("%s: write failed", wfile);
		rc = EXIT_FAIL;
	}
	if (tx)
		pio_tx_close(tx);
	if (sock41 >= 0)
		close(sock41);
	pio_close(in);
	rc = daemon_exit_status(app.stats.send_errors, rc != EXIT_OK);
	free(out);
	relay_table_free(&app.table);
	relay_stats_free(&app.stats);
	return rc;
}
