/* 6in4-relay.c - relay protocol-41 tunnelled IPv6 to hosts behind an IPv4
 * NAT (the µTasker relay agent; RFC 4213).  Options, set-up, privilege drop
 * and the event loop; every packet decision is core/relay.c. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
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
	OPT_TIMEOUT, OPT_USER, OPT_LOG, OPT_MAC, OPT_GATEWAY_MAC, OPT_STATS_INTERVAL, OPT_NO_PROGRESS, OPT_MAX_DESTS,
	OPT_TUNNEL_MTU, OPT_ICMP_RATE, OPT_ICMP_SOURCE, OPT_LAN_VLAN,
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
	{ "log", required_argument, NULL, OPT_LOG },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "gateway-mac", required_argument, NULL, OPT_GATEWAY_MAC },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "max-destinations", required_argument, NULL, OPT_MAX_DESTS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "tunnel-mtu", required_argument, NULL, OPT_TUNNEL_MTU },
	{ "icmp-rate", required_argument, NULL, OPT_ICMP_RATE },
	{ "icmp-source", required_argument, NULL, OPT_ICMP_SOURCE },
	{ "lan-vlan", required_argument, NULL, OPT_LAN_VLAN },
	{ NULL, 0, NULL, 0 }
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: v6kit 6in4-relay -i IFACE [-l IPV4] (--table FILE | --dest SPEC)...\n"
		"                        [--tunnel-server IPV4]... [--allow PROTO/PORT]...\n"
		"                        [--outbound] [--json [--log FILE]] [--log-packets] [--user USER]\n"
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
		"      --tunnel-mtu N       IPv6 MTU of the tunnel (default 1480): larger\n"
		"                           outbound packets get ICMPv6 Packet Too Big\n"
		"      --icmp-rate N        ICMPv6 errors per second at most (default 100, 0 none)\n"
		"      --icmp-source IPV6   source of the ICMPv6 errors (default: IFACE's\n"
		"                           link-local address; a global one toward the tunnel)\n"
		"      --lan-vlan ID        802.1Q VLAN of frames to the LAN (default: the tag\n"
		"                           the host was last seen with, else the frame's own)\n"
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
		"      --log FILE           also append the JSON lines to FILE (reopened on SIGHUP)\n"
		"  -q, --quiet / -v, --verbose\n"
		"  -h, --help               this text\n"
		"\n"
		"Signals: SIGINT/SIGTERM stop with a summary, SIGHUP reloads the table and\n"
		"reopens the --log file, SIGUSR1 prints a stats line.\n"
		"Exit status: 0 stopped, 1 a send failed or a capture is truncated, 2 usage\n"
		"error or bad input (a table at FILE:LINE), 3 missing privilege or resource,\n"
		"or an output that cannot be created or written (-w, standard output).\n"
		"See v6kit-6in4-relay(1).\n");
}

static volatile sig_atomic_t sig_stop, sig_reload, sig_stats;

static void on_signal(int sig)
{
	if (sig == SIGHUP) {
		sig_reload = 1;
		em_log_reopen_request();
	} else if (sig == SIGUSR1) {
		sig_stats = 1;
	} else {
		sig_stop = 1;
	}
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
	struct relay_state state;
	struct relay_table table;
	struct relay_stats stats;
	const char *table_path;
	const char *dests[MAX_LIST];
	size_t n_dests;
	size_t max_dests;		/* --max-destinations */
	bool log_packets;
	uint64_t started_us;
	/* options */
	const char *iface, *rfile, *wfile, *user, *log_path;
	uint64_t count;
	double timeout, stats_every;
	bool json, has_gw, progress, has_icmp_source;
	/* running */
	uint8_t *out;
	struct pio_in *in;
	struct pio_tx *tx;
	struct pio_dump *dump;
	int sock41;
	struct priv_user priv;
};

/* Build a table from the --dest specs and the file; false with a message. */
static bool load_table(const struct relay_app *app, struct relay_table *t, unsigned *err_line,
		       char *err, size_t errlen)
{
	char msg[256];

	*err_line = 0;
	relay_table_init(t);
	t->max = app->max_dests;
	for (size_t i = 0; i < app->n_dests; i++) {
		if (!relay_table_add_line(t, app->dests[i], 0, msg, sizeof(msg))) {
			snprintf(err, errlen, "invalid --dest value '%s': %s", app->dests[i], msg);
			relay_table_free(t);
			return false;
		}
	}
	if (app->table_path && !relay_table_load_at(t, app->table_path, err_line, msg, sizeof(msg))) {
		if (*err_line)
			snprintf(err, errlen, "%s", msg);
		else
			snprintf(err, errlen, "%s: %s", app->table_path, msg);
		relay_table_free(t);
		return false;
	}
	return true;
}

/* SIGHUP: the new table replaces the old one only when all of it parses.
 * It is built beside the old one in a thread of its own, so relaying goes
 * on with the old table meanwhile (a 65,536-line table takes tens of ms,
 * more on a loaded machine); the main loop swaps it in when it is ready. */
static struct {
	pthread_t th;
	bool running;		/* a thread is building `t` */
	bool again;		/* SIGHUP during a load: load once more after it */
	atomic_bool done;
	const struct relay_app *app;
	struct relay_table t;
	bool ok;
	unsigned line;
	char err[512];
} loader;

static void reload_finish(struct relay_app *app, struct relay_table *tp, bool ok, unsigned line,
			  const char *err)
{
	struct relay_table t = *tp;

	em_begin("reload");
	em_ts(EM_ANY, "%s reload ", now_wall_us());
	em_str(EM_ANY, "status", "%s", ok ? "ok" : "failed");
	if (ok) {
		relay_table_free(&app->table);
		app->table = t;
		relay_stats_bind(&app->stats, &app->table);
		em_u64(EM_ANY, "destinations", ": %llu destinations", app->table.n);
	} else {
		char where[600];

		/* message keeps its FILE:LINE: prefix (scripts grep it); file and
		 * line are fields of their own too (SPEC §2) */
		if (app->table_path && line)
			snprintf(where, sizeof(where), "%s:%u: %s", app->table_path, line, err);
		else
			snprintf(where, sizeof(where), "%s", err);
		em_str(EM_ANY, "message", ", keeping the old table: %s", where);
		if (app->table_path && line) {
			em_str(EM_JSON, "file", NULL, app->table_path);
			em_u64(EM_JSON, "line", NULL, line);
		}
	}
	em_end();
	if (!ok && app->table_path && line)
		fprintf(stderr, "v6kit 6in4-relay: reload failed, keeping the old table: %s:%u: %s\n",
			app->table_path, line, err);
	else if (!ok)
		fprintf(stderr, "v6kit 6in4-relay: reload failed, keeping the old table: %s\n", err);
}

static void *loader_main(void *arg)
{
	(void)arg;
	loader.ok = load_table(loader.app, &loader.t, &loader.line, loader.err, sizeof(loader.err));
	atomic_store(&loader.done, true);
	return NULL;
}

static void reload_start(struct relay_app *app)
{
	if (loader.running) {
		loader.again = true;
		return;
	}
	loader.app = app;
	atomic_store(&loader.done, false);
	if (pthread_create(&loader.th, NULL, loader_main, NULL) == 0) {
		loader.running = true;
		return;
	}
	/* no thread: build it here, relaying waits */
	loader.ok = load_table(app, &loader.t, &loader.line, loader.err, sizeof(loader.err));
	reload_finish(app, &loader.t, loader.ok, loader.line, loader.err);
}

/* The main loop's check: swap in a table the thread has finished. */
static void reload_poll(struct relay_app *app, bool wait)
{
	if (!loader.running || (!wait && !atomic_load(&loader.done)))
		return;
	pthread_join(loader.th, NULL);
	loader.running = false;
	reload_finish(app, &loader.t, loader.ok, loader.line, loader.err);
	if (loader.again && !wait) {
		loader.again = false;
		reload_start(app);
	}
}

static void emit_stats(struct relay_app *app, const char *type)
{
	uint64_t received, dropped;

	/* -q quiets the human summary; a stats line asked for (SIGUSR1,
	 * --stats-interval) and every JSON line are still written. */
	if (v6_verbosity < 0 && !em_is_json() && !strcmp(type, "summary"))
		return;
	if (pio_stats(app->in, &received, &dropped) == 0)
		app->stats.capture_dropped = dropped;
	relay_emit_stats(&app->stats, type, (now_mono_us() - app->started_us) / 1e6);
}

/* Send what relay_process wrote: relayed frames and ICMPv6 errors to the
 * LAN on IFACE; tunnel traffic through the kernel's routing (sock41) unless
 * --gateway-mac asked for the link. */
static void transmit(struct relay_app *app, const struct relay_out *r, bool live)
{
	int rc = 0;

	if (!live || r->tx == RELAY_TX_NONE)
		return;
	if (r->tx == RELAY_TX_TUNNEL && !app->has_gw && app->sock41 >= 0)
		rc = relay_sock41_send(app->sock41, app->out + r->l2_len, r->len - r->l2_len, r->next_hop4);
	else
		rc = pio_tx_send(app->tx, app->out, r->len);
	if (rc < 0) {
		app->stats.send_errors++;
		debugmsg("send failed: %s", strerror(-rc));
	} else {
		app->stats.sent++;
	}
}

static void handle(struct relay_app *app, const struct pio_frame *f, bool live)
{
	struct relay_out r;

	relay_process(&app->cfg, &app->state, &app->table, f->dlt, f->data, f->caplen,
		      f->wirelen, pio_frame_us(f), app->out, &r);
	transmit(app, &r, live);
	if (r.tx != RELAY_TX_NONE && app->dump) {
		struct pio_frame o = *f;
		o.data = app->out;
		o.caplen = o.wirelen = (uint32_t)r.len;
		if (pio_dump_write(app->dump, &o) < 0)
			app->stats.send_errors++;
		else if (!live)
			app->stats.sent++;
	}
	relay_stats_count(&app->stats, &app->table, &r);
	if (app->log_packets)
		relay_emit_packet(&r, &app->table, pio_frame_us(f));
	else if (r.action == RELAY_DROP && v6_verbosity > 0)
		debugmsg("drop %s: %s", relay_reason_name(r.reason), r.why ? r.why : "");
}

static void parse_args(struct relay_app *app, int argc, char **argv)
{
	static uint8_t servers[MAX_LIST][4];
	static struct relay_allow allow[MAX_LIST];
	char err[512];
	int opt;
	static const char shortopts[] = "hjqvi:l:r:w:c:";

	app->max_dests = 65536;
	app->progress = true;
	app->cfg.icmp_rate = RELAY_ICMP_RATE;
	app->sock41 = -1;

	opterr = 0;	/* die_getopt() says what is wrong */
	while ((opt = getopt_long(argc, argv, shortopts, relay_6in4_longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		case 'j':
			app->json = true;
			break;
		case 'q':
			v6_verbosity = -1;
			break;
		case 'v':
			v6_verbosity++;
			break;
		case 'i':
			app->iface = optarg;
			break;
		case 'l':
			arg_ip4("local", optarg, app->cfg.local4);
			app->cfg.has_local = true;
			break;
		case 'r':
			app->rfile = optarg;
			break;
		case 'w':
			app->wfile = optarg;
			break;
		case 'c':
			app->count = arg_uint("count", optarg, 1, UINT64_MAX);
			break;
		case OPT_TIMEOUT:
			app->timeout = arg_double("timeout", optarg, 0.001, 1e9);
			break;
		case OPT_NO_PROGRESS:
			app->progress = false;
			break;
		case OPT_MAX_DESTS:
			app->max_dests = (size_t)arg_uint("max-destinations", optarg, 1, 1u << 24);
			break;
		case OPT_STATS_INTERVAL:
			app->stats_every = arg_double("stats-interval", optarg, 0.1, 1e9);
			break;
		case OPT_TABLE:
			if (app->table_path)
				die_usage("--table given twice");
			app->table_path = optarg;
			break;
		case OPT_DEST:
			if (app->n_dests == MAX_LIST)
				die_usage("more than %d --dest options", MAX_LIST);
			app->dests[app->n_dests++] = optarg;
			break;
		case OPT_TUNNEL_SERVER:
			if (app->cfg.n_servers == MAX_LIST)
				die_usage("more than %d --tunnel-server options", MAX_LIST);
			arg_ip4("tunnel-server", optarg, servers[app->cfg.n_servers++]);
			break;
		case OPT_ALLOW:
			if (app->cfg.n_allow == MAX_LIST)
				die_usage("more than %d --allow options", MAX_LIST);
			if (!relay_allow_parse(optarg, &allow[app->cfg.n_allow], err, sizeof(err)))
				die_usage("invalid --allow value '%s': %s", optarg, err);
			app->cfg.n_allow++;
			break;
		case OPT_OUTBOUND:
			app->cfg.outbound = true;
			break;
		case OPT_LOG_PACKETS:
			app->log_packets = true;
			break;
		case OPT_USER:
			app->user = optarg;
			break;
		case OPT_LOG:
			app->log_path = optarg;
			break;
		case OPT_MAC:
			arg_mac("mac", optarg, app->cfg.mac);
			app->cfg.has_mac = true;
			break;
		case OPT_GATEWAY_MAC:
			arg_mac("gateway-mac", optarg, app->cfg.gw_mac);
			app->has_gw = true;
			break;
		case OPT_TUNNEL_MTU:
			/* RFC 8200 §5: an IPv6 link carries at least 1280 octets */
			app->cfg.tunnel_mtu = (unsigned)arg_uint("tunnel-mtu", optarg, 1280, 65515);
			break;
		case OPT_ICMP_RATE:
			app->cfg.icmp_rate = (double)arg_uint("icmp-rate", optarg, 0, 1000000);
			break;
		case OPT_ICMP_SOURCE:
			arg_ip6("icmp-source", optarg, app->cfg.icmp_src6);
			memcpy(app->cfg.icmp_src6_tunnel, app->cfg.icmp_src6, 16);
			app->has_icmp_source = app->cfg.has_icmp_src = true;
			break;
		case OPT_LAN_VLAN:
			app->cfg.lan_vlan = (unsigned)arg_uint("lan-vlan", optarg, 1, 4094);
			break;
		default:
			die_getopt(argv, shortopts);
		}
	}
	/* "-w -" owns stdout: records go to stderr then */
	em_init(app->json, app->wfile && !strcmp(app->wfile, "-") ? stderr : stdout);
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	app->cfg.servers = (const uint8_t (*)[4])servers;
	app->cfg.allow = allow;
}

static void check_args(struct relay_app *app)
{
	if (!app->iface && !app->rfile)
		die_usage("need -i IFACE or -r FILE");
	if (app->iface && app->rfile)
		die_usage("-i and -r exclude each other");
	if (!app->table_path && !app->n_dests)
		die_usage("need --table FILE or --dest SPEC");
	if (app->log_path && !app->json)
		die_usage("--log writes JSON lines: it needs --json");
	if (app->log_path)
		em_log_open(app->log_path);
	if (app->cfg.outbound && !app->cfg.n_servers)
		die_usage("--outbound needs --tunnel-server");
	if (app->cfg.outbound && app->rfile && !app->cfg.has_local)
		die_usage("--outbound with -r needs -l IPV4 (the outer source address)");
	if (app->user && app->rfile)
		die_usage("--user is for live mode (-i)");
	if (app->user)
		priv_lookup(app->user, &app->priv);
}

/* The modified EUI-64 link-local address of a MAC (RFC 4291 §2.5.1). */
static void link_local_of(const uint8_t mac[6], uint8_t a[16])
{
	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = mac[0] ^ 2;
	a[9] = mac[1];
	a[10] = mac[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = mac[3];
	a[14] = mac[4];
	a[15] = mac[5];
}

/* Offline: errors come from the link-local address of --mac. */
static void run_offline(struct relay_app *app, int *rc)
{
	struct progress pg;
	struct pio_frame f;
	uint64_t bytes = PROGRESS_PCAP_HDR;
	int got;

	if (!app->has_icmp_source && app->cfg.has_mac) {
		link_local_of(app->cfg.mac, app->cfg.icmp_src6);
		memcpy(app->cfg.icmp_src6_tunnel, app->cfg.icmp_src6, 16);
		app->cfg.has_icmp_src = true;
	}
	app->in = pio_open_offline(app->rfile);
	if (app->wfile) {
		/* nanosecond input keeps its nanoseconds (as checksum and
		 * pcap-replay do) */
		app->dump = pio_dump_open(app->wfile, V6_DLT_EN10MB, PIO_SNAPLEN,
					  pio_source_usec(app->in) ? 0 : PIO_DUMP_NSEC);
		if (!app->cfg.has_mac && pio_dlt(app->in) != V6_DLT_EN10MB)
			warnmsg("%s has no Ethernet header to learn our MAC from: relayed frames "
				"get source MAC 00:00:00:00:00:00 (give --mac)", app->rfile);
	}
	app->started_us = now_mono_us();
	progress_init(&pg, app->rfile, app->progress && v6_verbosity >= 0);
	while (!sig_stop && (!app->count || app->stats.packets < app->count)) {
		got = pio_next(app->in, &f);
		if (got <= 0) {
			progress_done(&pg);
			if (got < 0) {
				em_error_at(app->rfile, 0, app->stats.packets + 1, "%s", pio_error(app->in));
				*rc = EXIT_FAIL;
			}
			break;
		}
		handle(app, &f, false);
		bytes += PROGRESS_PCAP_REC + f.caplen;
		progress_tick(&pg, app->stats.packets, bytes);
	}
	progress_done(&pg);
}

/* Our MAC, IPv4 and IPv6 addresses from IFACE where options did not give them. */
static void live_addresses(struct relay_app *app)
{
	struct nl_link link;
	struct nl_addr a[16];
	int n;

	if (nl_link_get(app->iface, 0, &link) < 0)
		die(EXIT_RESOURCE, "%s", nl_error());
	if (!app->cfg.has_mac) {
		if (link.addr_len != 6)
			die(EXIT_RESOURCE, "%s has no Ethernet address (give --mac)", app->iface);
		memcpy(app->cfg.mac, link.mac, 6);
		app->cfg.has_mac = true;
	}
	if (!app->cfg.has_local) {
		n = nl_addrs(link.ifindex, 4, a, 16);
		if (n <= 0)
			die(EXIT_RESOURCE, "%s has no IPv4 address (give -l)", app->iface);
		memcpy(app->cfg.local4, a[0].addr, 4);
		app->cfg.has_local = true;
	}
	if (app->has_icmp_source)
		return;
	/* The raw hosts' router is our link-local address; toward the tunnel
	 * a global address says more, when IFACE has one. */
	link_local_of(app->cfg.mac, app->cfg.icmp_src6);
	n = nl_addrs(link.ifindex, 6, a, 16);
	for (int i = 0; i < n; i++)
		if (a[i].scope == 253) {
			memcpy(app->cfg.icmp_src6, a[i].addr, 16);
			break;
		}
	memcpy(app->cfg.icmp_src6_tunnel, app->cfg.icmp_src6, 16);
	for (int i = 0; i < n; i++)
		if (a[i].scope == 0) {
			memcpy(app->cfg.icmp_src6_tunnel, a[i].addr, 16);
			break;
		}
	app->cfg.has_icmp_src = true;
}

static void open_live(struct relay_app *app)
{
	char filter[256], l4[16], macs[18];

	live_addresses(app);
	fmt_ip4(app->cfg.local4, l4);
	fmt_mac(app->cfg.mac, macs);
	if (app->cfg.outbound)
		snprintf(filter, sizeof(filter), "(ip proto 41 and dst host %s) or (ip6 and ether dst %s)",
			 l4, macs);
	else
		snprintf(filter, sizeof(filter), "ip proto 41 and dst host %s", l4);
	app->in = pio_open_live(app->iface, filter, PIO_IMMEDIATE | PIO_NONBLOCK | PIO_INBOUND);
	app->tx = pio_tx_open(app->iface, PIO_TX_PACKET);
	app->sock41 = relay_sock41_open();
	if (app->sock41 < 0)
		die(EXIT_RESOURCE, "raw IPv4 protocol-41 socket: %s", strerror(-app->sock41));
	if (app->wfile)
		app->dump = pio_dump_open(app->wfile, V6_DLT_EN10MB, PIO_SNAPLEN, 0);
	priv_drop(&app->priv, 0);
	install_signals();
	debugmsg("relaying protocol 41 to %s on %s (filter: %s)", l4, app->iface, filter);
}

/* poll() timeout: the next deadline or stats line, at most 500 ms. */
static int wait_ms(uint64_t now, uint64_t deadline_us, uint64_t next_stats_us)
{
	int ms = 500;

	if (deadline_us && (deadline_us - now) / 1000 < (uint64_t)ms)
		ms = (int)((deadline_us - now) / 1000) + 1;
	if (next_stats_us && (next_stats_us - now) / 1000 < (uint64_t)ms)
		ms = now >= next_stats_us ? 0 : (int)((next_stats_us - now) / 1000) + 1;
	return ms;
}

static void run_live(struct relay_app *app, int *rc)
{
	uint64_t next_stats_us = 0, deadline_us = 0;
	struct pio_frame f;
	int got;

	app->started_us = now_mono_us();
	if (app->timeout > 0)
		deadline_us = app->started_us + (uint64_t)(app->timeout * 1e6);
	if (app->stats_every > 0)
		next_stats_us = app->started_us + (uint64_t)(app->stats_every * 1e6);
	while (!sig_stop && (!app->count || app->stats.packets < app->count)) {
		struct pollfd pfd = { .fd = pio_fd(app->in), .events = POLLIN };
		uint64_t now = now_mono_us();

		if (deadline_us && now >= deadline_us)
			break;
		int ms = wait_ms(now, deadline_us, next_stats_us);

		if (loader.running && ms > 10)
			ms = 10;	/* a table is being built: look for it soon */
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			die(EXIT_RESOURCE, "poll: %s", strerror(errno));
		if (sig_reload) {
			sig_reload = 0;
			reload_start(app);
		}
		reload_poll(app, false);
		if (sig_stats) {
			sig_stats = 0;
			emit_stats(app, "stats");
		}
		if (next_stats_us && now_mono_us() >= next_stats_us) {
			emit_stats(app, "stats");
			next_stats_us += (uint64_t)(app->stats_every * 1e6);
		}
		/* Drain what is ready, bounded so signals stay responsive. */
		for (int i = 0; i < 256 && !sig_stop && (!app->count || app->stats.packets < app->count); i++) {
			got = pio_next(app->in, &f);
			if (got < 0) {
				errmsg("capture: %s", pio_error(app->in));
				*rc = EXIT_FAIL;
				sig_stop = 1;
				break;
			}
			if (got == 0)
				break;
			handle(app, &f, true);
		}
	}
}

static int finish(struct relay_app *app, int rc)
{
	reload_poll(app, true);	/* a load in progress: finish it, report it */
	/* The write error first: the summary is the last word of the run. */
	if (app->dump && pio_dump_close(app->dump) < 0) {
		errmsg("%s: write error: the output is incomplete", app->wfile);
		rc = EXIT_RESOURCE;	/* an output that cannot be written: SPEC §2, 3 */
	}
	emit_stats(app, "summary");
	if (app->tx)
		pio_tx_close(app->tx);
	if (app->sock41 >= 0)
		close(app->sock41);
	pio_close(app->in);
	if (rc == EXIT_OK || rc == EXIT_FAIL)	/* 3 (an unwritable output) stands */
		rc = daemon_exit_status(app->stats.send_errors, rc != EXIT_OK);
	free(app->out);
	relay_table_free(&app->table);
	relay_stats_free(&app->stats);
	relay_state_free(&app->state);
	return rc;
}

int relay_6in4_main(int argc, char **argv)
{
	static struct relay_app app;
	char err[512];
	unsigned line;
	int rc = EXIT_OK;

	parse_args(&app, argc, argv);
	check_args(&app);
	if (!load_table(&app, &app.table, &line, err, sizeof(err))) {
		/* FILE:LINE in text, "file" and "line" in the JSON error */
		if (line)
			em_error_at(app.table_path, line, 0, "%s", err);
		else
			em_error_at(NULL, 0, 0, "%s", err);
		exit(EXIT_USAGE);
	}
	if (!app.table.n)
		warnmsg("the relay table is empty: every packet will be dropped (no_destination)");
	relay_stats_init(&app.stats);
	relay_stats_bind(&app.stats, &app.table);
	relay_state_init(&app.state);
	app.out = xmalloc(RELAY_OUT_MAX);

	if (app.rfile) {
		run_offline(&app, &rc);
	} else {
		open_live(&app);
		run_live(&app, &rc);
	}
	return finish(&app, rc);
}
