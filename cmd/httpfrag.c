/* httpfrag.c - IPv6 NAT front end for TCP (HTTP/HTTPS) that delivers the back
 * end's replies in application-made fragments: options, host preparation,
 * capture/transmit set-up and the event loop around core/tcpfront (RFC 9293,
 * RFC 8200 §4.5, RFC 6146). */
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
#include "cursor.h"
#include "frag.h"
#include "fragtx.h"
#include "hostprep.h"
#include "icmperr.h"
#include "icmpsock.h"
#include "netlink.h"
#include "nexthop.h"
#include "pio.h"
#include "priv.h"
#include "tcpfront.h"
#include "txq.h"
#include "tcpseg.h"
#include "util.h"


static const char usage_text[] =
	"Usage: v6kit httpfrag -i IFACE -l ADDR --backend ADDR [--ports 80,443]\n"
	"                      [--mss 1200] [--tail 256] [--frag-id random|sequential|N]\n"
	"                      [--tx link|raw] [--backend-interface IFACE] [--backend-port PORT]\n"
	"                      [--max-bindings N] [--binding-timeout SEC] [--nat-ports LO-HI]\n"
	"                      [--no-clamp-mss] [--manage-host | --no-host-check]\n"
	"                      [--user USER] [--json [--log FILE]] [-w FILE] [-c N] [--timeout SEC]\n"
	"\n"
	"IPv6 NAT front end for TCP: client connections to ADDR:PORTS are relayed to\n"
	"the back end, and its replies are re-cut so that every segment larger than\n"
	"--tail reaches the client as exactly two IPv6 fragments, the trailing one\n"
	"carrying the last --tail octets.  Content is delivered unchanged (HTTP, TLS).\n"
	"Each binding's close line says whether the client acknowledged the fragmented\n"
	"octets (verdict delivered, partial, lost, none); ICMPv6 errors about our\n"
	"fragments become icmp lines (V6KIT_HTTPFRAG_TRACK=0: neither).\n"
	"\n"
	"  -i, --interface IFACE       client-facing interface (ADDR lives here)\n"
	"  -l, --listen ADDR           the front end's IPv6 address clients connect to\n"
	"      --backend ADDR          the back-end server's IPv6 address\n"
	"      --backend-port PORT     back-end port (default: the port the client used)\n"
	"      --backend-interface IFACE  back-end leg (default: the route's interface)\n"
	"      --ports LIST            service ports, e.g. 80,443,8000-8010 (default 80,443)\n"
	"      --mss N                 largest TCP payload sent to clients, 64-65000 (1200)\n"
	"      --tail N                octets in the trailing fragment, 8 to mss-8 (256)\n"
	"      --frag-id ID            fragment IDs: random (default), sequential, or N\n"
	"      --tx MODE               link: Ethernet frames to the next hop (default);\n"
	"                              raw: whole packets to an IPPROTO_RAW socket, marked\n"
	"                              0x0076366b (kernel routes; conntrack may re-cut)\n"
	"      --max-bindings N        NAT bindings kept at once (default 16384; LRU eviction)\n"
	"      --binding-timeout SEC   idle time before a binding ends (default 300)\n"
	"      --nat-ports LO-HI       NAT port pool toward the back end (20000-29999)\n"
	"      --no-clamp-mss          leave the MSS of client SYNs alone (default: lower it\n"
	"                              so full back-end segments need no re-cutting)\n"
	"      --manage-host           drop the kernel's RSTs (own nftables table) and turn\n"
	"                              GRO/LRO/GSO/TSO off; everything restored on exit\n"
	"      --no-host-check         start even if the host is not prepared\n"
	"      --user USER             drop privileges to USER once set up\n"
	"  -j, --json                  one JSON object per line\n"
	"      --log FILE              also append the JSON lines to FILE (reopened on SIGHUP)\n"
	"  -w, --write FILE            also write every frame sent to a pcap file\n"
	"  -c, --count N               stop after N bindings have ended\n"
	"      --timeout SEC           stop after SEC seconds\n"
	"  -q, --quiet                 no per-binding lines (icmp lines stay)\n"
	"  -v, --verbose               diagnostics about dropped packets\n"
	"  -h, --help                  this text\n"
	"\n"
	"Signals: SIGINT/SIGTERM stop (summary, host restored), SIGUSR1 prints stats,\n"
	"SIGHUP reopens the --log file.\n"
	"Exit status: 0 stopped, 1 a capture failed, 2 usage error, 3 missing\n"
	"privilege or resource, or an output that cannot be created or written\n"
	"(-w, standard output).  See v6kit-httpfrag(1).\n";

enum {
	OPT_BACKEND = 256, OPT_BACKEND_PORT, OPT_BACKEND_IF, OPT_PORTS, OPT_MSS, OPT_TAIL,
	OPT_FRAG_ID, OPT_TX, OPT_MAX_BINDINGS, OPT_BINDING_TIMEOUT, OPT_NAT_PORTS,
	OPT_NO_CLAMP, OPT_MANAGE_HOST, OPT_NO_HOST_CHECK, OPT_USER, OPT_LOG, OPT_TIMEOUT,
};

const struct option httpfrag_longopts[] = {
	V6_STD_LONGOPTS,
	{ "interface", required_argument, NULL, 'i' },
	{ "listen", required_argument, NULL, 'l' },
	{ "write", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "backend-port", required_argument, NULL, OPT_BACKEND_PORT },
	{ "backend-interface", required_argument, NULL, OPT_BACKEND_IF },
	{ "ports", required_argument, NULL, OPT_PORTS },
	{ "mss", required_argument, NULL, OPT_MSS },
	{ "tail", required_argument, NULL, OPT_TAIL },
	{ "frag-id", required_argument, NULL, OPT_FRAG_ID },
	{ "tx", required_argument, NULL, OPT_TX },
	{ "max-bindings", required_argument, NULL, OPT_MAX_BINDINGS },
	{ "binding-timeout", required_argument, NULL, OPT_BINDING_TIMEOUT },
	{ "nat-ports", required_argument, NULL, OPT_NAT_PORTS },
	{ "no-clamp-mss", no_argument, NULL, OPT_NO_CLAMP },
	{ "manage-host", no_argument, NULL, OPT_MANAGE_HOST },
	{ "no-host-check", no_argument, NULL, OPT_NO_HOST_CHECK },
	{ "user", required_argument, NULL, OPT_USER },
	{ "log", required_argument, NULL, OPT_LOG },
	{ NULL, 0, NULL, 0 }
};

static struct {
	const char *ifname, *backend_ifname, *wfile, *log_path;
	struct priv_user user;
	char backend_if[16];
	uint8_t ports[8192];
	struct tf_config cfg;
	bool have_listen, have_backend, manage_host, no_host_check, json, tx_raw;
	uint64_t count;
	double run_timeout;
	/* state */
	struct tf *tf;
	struct pio_in *in_client, *in_backend;
	struct pio_tx *tx_client, *tx_backend;
	struct txq *q_client, *q_backend;	/* --tx link: each leg's sends on a thread */
	struct fragtx *raw;		/* --tx raw: both legs */
	struct nh_cache *nh;		/* --tx link: the back end's next hop, kept current */
	uint64_t mac_changes, mismatch_seen;
	struct pio_dump *dump;
	uint64_t ended, t_start_mono;
	bool capture_failed;
	struct hostprep hp;
	struct icmperr *icmp;		/* fragmented sends, for matching ICMPv6 errors */
	int icmp_fd;			/* raw ICMPv6 socket (-1: not listening) */
} H;

static volatile sig_atomic_t sig_stop, sig_stats;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_stats = 1;
	else if (sig == SIGHUP)
		em_log_reopen_request();
	else
		sig_stop = 1;
}

/* ---- output ---- */

/* The measurement fields of a close/evict line (SPEC §3 "Measurement verdicts"). */
static void put_verdict(const struct acktrack *a)
{
	if (!a)
		return;		/* tracking switched off (V6KIT_HTTPFRAG_TRACK=0) */
	em_u64(EM_ANY, "frag_segments", " frag_segments %llu", a->frag_segments);
	em_u64(EM_ANY, "frag_bytes", " frag_bytes %llu", a->frag_bytes);
	em_u64(EM_ANY, "frag_bytes_acked", " acked %llu", a->frag_bytes_acked);
	em_u64(EM_ANY, "retransmitted", " retransmitted %llu", a->retransmitted);
	em_u64(EM_JSON, "acks_out_of_window", NULL, a->acks_out_of_window);
	em_str(EM_ANY, "verdict", " verdict %s", ackt_verdict_name(ackt_verdict(a)));
}

static void on_binding(void *ctx, const struct nat_binding *b, enum tf_event ev, enum nat_end why)
{
	static const char *const ev_names[] = { "open", "close", "evict" };
	char a[46];

	(void)ctx;
	if (ev != TF_EV_OPEN)
		H.ended++;
	if (v6_verbosity < 0)
		return;
	em_begin("binding");
	em_ts(EM_ANY, "%s ", now_wall_us());
	em_str(EM_ANY, "event", "%s ", ev_names[ev]);
	em_str(EM_ANY, "client", "[%s]", fmt_ip6(b->client, a));
	em_u64(EM_ANY, "client_port", ":%llu ", b->client_port);
	em_u64(EM_ANY, "service_port", "port %llu ", b->service_port);
	em_u64(EM_ANY, "nat_port", "nat %llu", b->nat_port);
	if (ev != TF_EV_OPEN) {
		em_str(EM_ANY, "reason", " (%s)", nat_end_name(why));
		em_u64(EM_ANY, "bytes_to_client", " to_client %llu", b->bytes_to_client);
		em_u64(EM_ANY, "bytes_to_backend", " to_backend %llu", b->bytes_to_backend);
		em_u64(EM_ANY, "segments", " segments %llu", b->segments);
		em_u64(EM_ANY, "fragments", " fragments %llu", b->fragments);
		em_dbl(EM_ANY, "duration_s", " %.3fs", (double)(b->last_us - b->created_us) / 1e6);
		put_verdict(tf_binding_ack(H.tf, b));
		if (H.icmp)
			em_u64(EM_ANY, "icmp_count", " icmp %llu", tf_binding_icmp(H.tf, b));
	} else {
		em_u64(EM_JSON, "bytes_to_client", NULL, 0);
		em_u64(EM_JSON, "bytes_to_backend", NULL, 0);
		em_u64(EM_JSON, "segments", NULL, 0);
		em_u64(EM_JSON, "fragments", NULL, 0);
	}
	em_end();
}

static void emit_counters(const char *type)
{
	const struct tf_counters *c = tf_counters(H.tf);
	uint64_t in_drop = 0, rx = 0, kdrop = 0;

	em_begin(type);
	em_text("%s: ", type);
	if (!strcmp(type, "stats"))
		em_ts(EM_ANY, "%s ", now_wall_us());
	em_u64(EM_ANY, "packets", "packets %llu", c->from_client + c->from_backend);
	em_u64(EM_ANY, "bindings_open", " bindings_open %llu", tf_bindings_open(H.tf));
	em_u64(EM_ANY, "bindings_total", " bindings_total %llu", c->bindings_total);
	em_u64(EM_ANY, "evicted", " evicted %llu", c->evicted);
	em_u64(EM_ANY, "segments", " segments %llu", c->segments);
	em_u64(EM_ANY, "fragments", " fragments %llu", c->fragments);
	em_u64(EM_ANY, "recut", " recut %llu", c->recut);
	em_u64(EM_ANY, "whole", " whole %llu", c->whole);
	em_u64(EM_ANY, "clamped", " clamped %llu", c->clamped);
	em_u64(EM_ANY, "to_client", " to_client %llu", c->to_client);
	em_u64(EM_ANY, "to_backend", " to_backend %llu", c->to_backend);
	em_obj_begin(EM_ANY, "dropped", " dropped {");
	for (int d = 0; d < TF_DROP_N; d++) {
		char fmt[48];

		uint64_t n = c->dropped[d];

		/* Frames the send threads could not send count as refused too. */
		if (d == TF_DROP_SEND_FAILED)
			n += txq_failed(H.q_client, NULL) +
			     (H.q_backend != H.q_client ? txq_failed(H.q_backend, NULL) : 0);
		snprintf(fmt, sizeof(fmt), "%s%s %%llu", d ? ", " : "", tf_drop_name((enum tf_drop)d));
		em_u64(EM_ANY, tf_drop_name((enum tf_drop)d), fmt, n);
	}
	em_obj_end(EM_ANY, "}");
	{
		uint64_t qf = txq_failed(H.q_client, NULL) +
			      (H.q_backend != H.q_client ? txq_failed(H.q_backend, NULL) : 0);
		uint64_t out = c->to_client + c->to_backend;

		/* Frames, each counted once: handed to the link, or refused
		 * (by the link at once, or by a send thread later). */
		em_u64(EM_ANY, "sent", " sent %llu", out > qf ? out - qf : 0);
		em_u64(EM_ANY, "failed", " failed %llu", c->dropped[TF_DROP_SEND_FAILED] + qf);
	}
	em_u64(EM_ANY, "backend_mac_changes", " backend_mac_changes %llu", H.mac_changes);
	em_u64(EM_ANY, "backend_mac_mismatch", " backend_mac_mismatch %llu", c->backend_mac_mismatch);
	if (H.in_client && pio_stats(H.in_client, &rx, &kdrop) == 0)
		in_drop += kdrop;
	if (H.in_backend && H.in_backend != H.in_client && pio_stats(H.in_backend, &rx, &kdrop) == 0)
		in_drop += kdrop;
	em_u64(EM_ANY, "capture_dropped", " capture_dropped %llu", in_drop);
	em_obj_begin(EM_ANY, "verdicts", " verdicts {");
	for (int v = 0; v < ACKT_V_N; v++) {
		char fmt[48];

		snprintf(fmt, sizeof(fmt), "%s%s %%llu", v ? ", " : "", ackt_verdict_name((enum ackt_verdict)v));
		em_u64(EM_ANY, ackt_verdict_name((enum ackt_verdict)v), fmt, c->verdicts[v]);
	}
	em_obj_end(EM_ANY, "}");
	em_u64(EM_ANY, "acks_out_of_window", " acks_out_of_window %llu", c->acks_out_of_window);
	em_u64(EM_JSON, "acks_stale", NULL, c->acks_stale);
	em_u64(EM_JSON, "sack_invalid", NULL, c->sack_invalid);
	em_u64(EM_JSON, "segments_out_of_window", NULL, c->segs_out_of_window);
	{
		static const struct icmperr_counters none;
		const struct icmperr_counters *ic = H.icmp ? icmperr_counters(H.icmp) : &none;

		em_obj_begin(EM_ANY, "icmp_errors", " icmp_errors {");
		for (int i = 0; i < ICMPERR_T_N; i++) {
			char fmt[48];
			const char *n = icmperr_type_name((uint8_t)(i + 1));

			snprintf(fmt, sizeof(fmt), "%s%s %%llu", i ? ", " : "", n);
			em_u64(EM_ANY, n, fmt, ic->errors[i]);
		}
		em_obj_end(EM_ANY, "}");
		/* what the listener read and could not attribute, by reason */
		em_obj_begin(EM_ANY, "icmp_unmatched", " icmp_unmatched {");
		for (int i = ICMPERR_MATCHED + 1; i < ICMPERR_R_N; i++) {
			char fmt[48];
			const char *n = icmperr_result_name((enum icmperr_result)i);

			snprintf(fmt, sizeof(fmt), "%s%s %%llu", i > ICMPERR_MATCHED + 1 ? ", " : "", n);
			em_u64(EM_ANY, n, fmt, ic->results[i]);
		}
		em_obj_end(EM_ANY, "}");
	}
	em_dbl(EM_ANY, "elapsed_s", " elapsed %.3fs", (double)(now_mono_us() - H.t_start_mono) / 1e6);
	em_end();
	fflush(em_stream());
}

/* ---- sending ---- */

static void dump_frame(const uint8_t *frame, size_t len)
{
	uint64_t us = now_wall_us();
	struct pio_frame f = { frame, (uint32_t)len, (uint32_t)len, (int64_t)(us / 1000000),
			       (uint32_t)(us % 1000000) * 1000 };

	pio_dump_write(H.dump, &f);
}

static int send_cb(void *ctx, enum tf_leg leg, const uint8_t *frame, size_t len)
{
	int rc;

	(void)ctx;
	if (H.raw) {
		/* The IPv6 packet inside the engine's frame goes to the raw
		 * socket; the kernel routes it and picks the link addresses. */
		if (fragtx_send_frame(H.raw, frame, len) < 0) {
			debugmsg("send on %s leg: %s", leg == TF_LEG_CLIENT ? "client" : "back-end",
				 fragtx_error(H.raw));
			return -1;
		}
		if (H.dump)
			dump_frame(frame, len);
		return 0;
	}
	rc = txq_send(leg == TF_LEG_CLIENT ? H.q_client : H.q_backend, frame, len);
	if (rc < 0) {
		debugmsg("send on %s leg: %s", leg == TF_LEG_CLIENT ? "client" : "back-end", strerror(-rc));
		return -1;
	}
	if (H.dump)
		dump_frame(frame, len);
	return 0;
}

/* ---- set-up ---- */

/* "80, 443, 8000-8010" (nft) or "dst port 80 or dst port 443 or dst portrange 8000-8010" (BPF). */
static void ports_text(const uint8_t set[8192], bool bpf, char *buf, size_t cap)
{
	size_t len = 0;

	buf[0] = 0;
	for (uint32_t p = 0; p < 65536; p++) {
		uint32_t q = p;

		if (!port_set_has(set, (uint16_t)p))
			continue;
		while (q + 1 < 65536 && port_set_has(set, (uint16_t)(q + 1)))
			q++;
		if (len + 48 >= cap)
			die(EXIT_USAGE, "too many separate --ports ranges");
		if (bpf)
			len += (size_t)(q == p ? snprintf(buf + len, cap - len, "%sdst port %u", len ? " or " : "", p)
					 : snprintf(buf + len, cap - len, "%sdst portrange %u-%u", len ? " or " : "", p, q));
		else
			len += (size_t)(q == p ? snprintf(buf + len, cap - len, "%s%u", len ? ", " : "", p)
					 : snprintf(buf + len, cap - len, "%s%u-%u", len ? ", " : "", p, q));
		p = q;
	}
}

static void parse_nat_ports(const char *s)
{
	char err[ARG_ERRLEN];
	uint64_t lo, hi;
	const char *dash = strchr(s, '-');
	char a[16];

	if (!dash || (size_t)(dash - s) >= sizeof(a))
		die_usage("invalid --nat-ports value '%s': expected LO-HI", s);
	memcpy(a, s, (size_t)(dash - s));
	a[dash - s] = 0;
	if (!parse_uint(a, 1024, 65535, &lo, err) || !parse_uint(dash + 1, 1024, 65535, &hi, err))
		die_usage("invalid --nat-ports value '%s': %s", s, err);
	if (hi < lo)
		die_usage("invalid --nat-ports value '%s': LO above HI", s);
	H.cfg.nat.port_lo = (uint16_t)lo;
	H.cfg.nat.port_hi = (uint16_t)hi;
}

static void set_frag_id(const char *s)
{
	struct frag_id_arg id;

	arg_frag_id("frag-id", s, &id);
	H.cfg.frag_id_policy = id.policy;
	H.cfg.frag_fixed_id = id.fixed;
}

static void parse_args(int argc, char **argv)
{
	static const char shortopts[] = "hjqvi:l:w:c:";
	bool have_ports = false, have_mss = false;
	uint64_t tail = 256;
	int c;

	H.cfg.mss = 1200;
	H.cfg.clamp_mss = true;
	H.cfg.nat.max_bindings = 16384;
	H.cfg.nat.idle_us = 300 * 1000000ull;
	H.cfg.nat.port_lo = 20000;
	H.cfg.nat.port_hi = 29999;
	opterr = 0;	/* die_getopt() says what is wrong */
	while ((c = getopt_long(argc, argv, shortopts, httpfrag_longopts, NULL)) != -1) {
		switch (c) {
		case 'h': fputs(usage_text, stdout); exit(EXIT_OK);
		case 'j': H.json = true; em_init(true, stdout); break;
		case 'q': v6_verbosity = -1; break;
		case 'v': v6_verbosity++; break;
		case 'i': H.ifname = optarg; break;
		case 'l': arg_ip6("listen", optarg, H.cfg.listen); H.have_listen = true; break;
		case 'w': H.wfile = optarg; break;
		case 'c': H.count = arg_uint("count", optarg, 1, UINT64_MAX); break;
		case OPT_TIMEOUT: H.run_timeout = arg_double("timeout", optarg, 0.001, 1e9); break;
		case OPT_BACKEND: arg_ip6("backend", optarg, H.cfg.backend); H.have_backend = true; break;
		case OPT_BACKEND_PORT: H.cfg.backend_port = (uint16_t)arg_uint("backend-port", optarg, 1, 65535); break;
		case OPT_BACKEND_IF: H.backend_ifname = optarg; break;
		case OPT_PORTS: arg_ports("ports", optarg, H.ports); have_ports = true; break;
		case OPT_MSS: H.cfg.mss = (uint32_t)arg_uint("mss", optarg, 64, 65000); have_mss = true; break;
		case OPT_TAIL: tail = arg_uint("tail", optarg, 8, 64992); break;
		case OPT_FRAG_ID: set_frag_id(optarg); break;
		case OPT_TX: arg_tx("tx", optarg, &H.tx_raw); break;
		case OPT_MAX_BINDINGS: H.cfg.nat.max_bindings = (uint32_t)arg_uint("max-bindings", optarg, 1, 1000000); break;
		case OPT_BINDING_TIMEOUT:
			H.cfg.nat.idle_us = (uint64_t)(arg_double("binding-timeout", optarg, 0.1, 86400 * 7) * 1e6);
			break;
		case OPT_NAT_PORTS: parse_nat_ports(optarg); break;
		case OPT_NO_CLAMP: H.cfg.clamp_mss = false; break;
		case OPT_MANAGE_HOST: H.manage_host = true; break;
		case OPT_NO_HOST_CHECK: H.no_host_check = true; break;
		case OPT_USER: priv_lookup(optarg, &H.user); break;
		case OPT_LOG: H.log_path = optarg; break;
		default: die_getopt(argv, shortopts);
		}
	}
	(void)have_mss;
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!H.ifname)
		die_usage("missing -i IFACE (the client-facing interface)");
	if (!H.have_listen)
		die_usage("missing -l ADDR (the address clients connect to)");
	if (!H.have_backend)
		die_usage("missing --backend ADDR (the server behind the front end)");
	if (tail + 8 > H.cfg.mss)
		die(EXIT_USAGE, "invalid --tail value '%llu': must be 8 to --mss - 8 (%u)",
		    (unsigned long long)tail, H.cfg.mss - 8);
	H.cfg.tail = (uint32_t)tail;
	if (H.log_path && !H.json)
		die_usage("--log writes JSON lines: it needs --json");
	if (H.manage_host && H.no_host_check)
		die_usage("--manage-host and --no-host-check exclude each other");
	if (!have_ports)
		parse_ports("80,443", H.ports, (char[ARG_ERRLEN]){ 0 });
	H.cfg.ports = H.ports;
	H.cfg.nat.linger_us = H.cfg.nat.idle_us < 10000000 ? H.cfg.nat.idle_us : 10000000;
}

static bool addr_on_if(int ifindex, const uint8_t a[16])
{
	struct nl_addr addrs[64];
	int n = nl_addrs(ifindex, 6, addrs, 64);

	for (int i = 0; i < n && i < 64; i++)
		if (!memcmp(addrs[i].addr, a, 16))
			return true;
	return false;
}

static void resolve_legs(void)
{
	struct nl_link l;
	uint8_t gw[16], src[16], nh[16];
	bool has_gw;
	int cif, bif = 0, rc;
	char a[46];

	if ((cif = nl_ifindex(H.ifname)) < 0)
		die(EXIT_RESOURCE, "%s", nl_error());
	if (nl_ifmac(cif, H.cfg.client_if_mac) < 0)
		die(EXIT_RESOURCE, "%s: no Ethernet address: %s", H.ifname, nl_error());
	if (!addr_on_if(cif, H.cfg.listen))
		warnmsg("%s is not an address of %s: clients will not reach it", fmt_ip6(H.cfg.listen, a), H.ifname);
	if (H.backend_ifname && (bif = nl_ifindex(H.backend_ifname)) < 0)
		die(EXIT_RESOURCE, "%s", nl_error());
	rc = nl_route6(H.cfg.backend, &bif, &has_gw, gw, src);
	if (rc == -EADDRNOTAVAIL) {
		/* A back end on this host: its leg is the loopback interface, where
		 * the kernel leaves TCP checksums to be filled in later. */
		if ((bif = nl_ifindex("lo")) < 0)
			die(EXIT_RESOURCE, "%s", nl_error());
		memcpy(H.cfg.nat_src, H.cfg.backend, 16);
		memset(H.cfg.backend_nh_mac, 0, 6);
		memset(H.cfg.backend_if_mac, 0, 6);
		H.cfg.backend_csum_partial = true;
	} else if (rc < 0) {
		die(EXIT_RESOURCE, "back end %s: %s", fmt_ip6(H.cfg.backend, a), nl_error());
	} else {
		static const uint8_t zero[16];

		if (!memcmp(src, zero, 16))
			die(EXIT_RESOURCE, "no source address toward the back end %s", fmt_ip6(H.cfg.backend, a));
		memcpy(H.cfg.nat_src, src, 16);
		rc = nl_nexthop6(H.cfg.backend, &bif, nh, H.cfg.backend_nh_mac, 3000);
		if (rc < 0)
			die(EXIT_RESOURCE, "back end %s unreachable: %s", fmt_ip6(H.cfg.backend, a), nl_error());
		if (nl_ifmac(bif, H.cfg.backend_if_mac) < 0)
			die(EXIT_RESOURCE, "back-end leg: %s", nl_error());
	}
	if (nl_link_get(NULL, bif, &l) < 0)
		die(EXIT_RESOURCE, "%s", nl_error());
	snprintf(H.backend_if, sizeof(H.backend_if), "%s", l.name);
	{
		uint32_t mtu = 0;

		/* the leading fragment: IPv6 + Fragment header + TCP header (up to 60) + data */
		if (nl_ifmtu(cif, &mtu) == 0 && mtu && 40 + 8 + 60 + H.cfg.mss - H.cfg.tail > mtu)
			warnmsg("--mss %u with --tail %u makes leading fragments of up to %u octets, "
				"more than the MTU %u of %s", H.cfg.mss, H.cfg.tail,
				40 + 8 + 60 + H.cfg.mss - H.cfg.tail, mtu, H.ifname);
	}
}

static void host_cleanup(void)
{
	hostprep_restore(&H.hp);
}

static void prepare_host(void)
{
	const char *ifs[2] = { H.ifname, strcmp(H.ifname, H.backend_if) ? H.backend_if : NULL };
	char err[HOSTPREP_ERRLEN], names[256], cmd[160], a[46], b[46], s[46], ports[4096];
	int problems = 0;

	ports_text(H.ports, false, ports, sizeof(ports));
	if (H.manage_host) {
		char table[64], body[16384];

		atexit(host_cleanup);
		for (int i = 0; i < 2; i++)
			if (ifs[i] && strcmp(ifs[i], "lo") && hostprep_offloads_off(&H.hp, ifs[i], err) < 0)
				die(EXIT_RESOURCE, "%s", err);
		if (H.cfg.backend_csum_partial && hostprep_offloads_off(&H.hp, "lo", err) < 0)
			die(EXIT_RESOURCE, "%s", err);
		snprintf(table, sizeof(table), "v6kit_httpfrag_%ld", (long)getpid());
		/* The kernel must not answer the captured connections.  Dropping
		 * them at prerouting (after the capture taps, before the IP stack)
		 * spares it the socket lookups and the RSTs altogether; the output
		 * rules catch any RST that still gets made.  Packets we relay with
		 * --tx raw cross the output hook too, carrying FRAGTX_MARK: the
		 * RSTs among them are the client's or the back end's, and pass. */
		snprintf(body, sizeof(body),
			 "\tchain prerouting {\n"
			 "\t\ttype filter hook prerouting priority raw; policy accept;\n"
			 "\t\tip6 daddr %s tcp dport { %s } drop\n"
			 "\t\tip6 saddr %s ip6 daddr %s tcp dport %u-%u drop\n"
			 "\t}\n"
			 "\tchain output {\n"
			 "\t\ttype filter hook output priority filter; policy accept;\n"
			 "\t\tmeta mark != 0x%08x ip6 saddr %s tcp sport { %s } tcp flags & rst == rst drop\n"
			 "\t\tmeta mark != 0x%08x ip6 saddr %s ip6 daddr %s tcp sport %u-%u tcp flags & rst == rst drop\n"
			 "\t}\n",
			 fmt_ip6(H.cfg.listen, a), ports, fmt_ip6(H.cfg.backend, b), fmt_ip6(H.cfg.nat_src, s),
			 H.cfg.nat.port_lo, H.cfg.nat.port_hi,
			 FRAGTX_MARK, a, ports, FRAGTX_MARK, s, b, H.cfg.nat.port_lo, H.cfg.nat.port_hi);
		if (hostprep_nft_table(&H.hp, table, body, err) < 0)
			die(EXIT_RESOURCE, "%s", err);
		if (hostprep_keeper(&H.hp, err) < 0)
			die(EXIT_RESOURCE, "%s", err);
		debugmsg("host prepared: nftables table inet %s, offloads off", table);
		return;
	}
	for (int i = 0; i < 2; i++) {
		int on;

		if (!ifs[i])
			continue;
		on = hostprep_offloads_check(ifs[i], names, sizeof(names), err);
		if (on < 0) {
			warnmsg("%s", err);
		} else if (on > 0) {
			hostprep_offloads_cmd(ifs[i], cmd, sizeof(cmd));
			warnmsg("%s has %s on; run: %s", ifs[i], names, cmd);
			problems++;
		}
	}
	switch (hostprep_nft_drops_rst(err)) {
	case 0:
		warnmsg("nothing drops the kernel's TCP RSTs; run: nft add table inet v6kit; "
			"nft add chain inet v6kit out '{ type filter hook output priority 0; }'; "
			"nft add rule inet v6kit out meta mark != 0x%08x ip6 saddr %s tcp sport '{ %s }' "
			"tcp flags '&' rst == rst drop; "
			"nft add rule inet v6kit out meta mark != 0x%08x ip6 saddr %s ip6 daddr %s tcp sport %u-%u "
			"tcp flags '&' rst == rst drop",
			FRAGTX_MARK, fmt_ip6(H.cfg.listen, a), ports, FRAGTX_MARK, fmt_ip6(H.cfg.nat_src, s),
			fmt_ip6(H.cfg.backend, b),
			H.cfg.nat.port_lo, H.cfg.nat.port_hi);
		problems++;
		break;
	case -1:
		warnmsg("cannot check the nftables ruleset for RST suppression: %s", err);
		break;
	}
	if (problems && !H.no_host_check)
		die(EXIT_RESOURCE, "host not prepared (see above): run the commands, or use --manage-host, "
		    "or --no-host-check to start anyway");
}

/* ICMPv6 errors about the fragments we send (SPEC §3): a raw socket
 * (errors about --tx link frames reach the host stack too).  Off, with
 * ACK tracking, when V6KIT_HTTPFRAG_TRACK=0 (the benchmark's baseline). */
static void open_icmp(void)
{
	const char *track = getenv("V6KIT_HTTPFRAG_TRACK");
	char err[ICMPSOCK_ERRLEN];

	H.icmp_fd = -1;
	if (track && !strcmp(track, "0")) {
		H.cfg.no_tracking = true;
		return;
	}
	H.icmp_fd = icmpsock_open(err);
	if (H.icmp_fd < 0) {
		warnmsg("ICMPv6 errors not read: %s", err);
		return;
	}
	H.icmp = icmperr_new(0, 0);
	H.cfg.icmp = H.icmp;
}

static void open_io(void)
{
	char filt[8192], ports[4096], a[46], b[46];
	unsigned flags = PIO_IMMEDIATE | PIO_NONBLOCK | PIO_INBOUND | PIO_BIGBUF;

	ports_text(H.ports, true, ports, sizeof(ports));
	snprintf(filt, sizeof(filt), "ip6 and tcp and dst host %s and (%s)", fmt_ip6(H.cfg.listen, a), ports);
	H.in_client = pio_open_live(H.ifname, filt, flags);
	snprintf(filt, sizeof(filt), "ip6 and tcp and src host %s and dst host %s and dst portrange %u-%u",
		 fmt_ip6(H.cfg.backend, a), fmt_ip6(H.cfg.nat_src, b), H.cfg.nat.port_lo, H.cfg.nat.port_hi);
	H.in_backend = pio_open_live(H.backend_if, filt, flags);
	H.cfg.client_dlt = pio_dlt(H.in_client);
	H.cfg.backend_dlt = pio_dlt(H.in_backend);
	if (H.tx_raw) {
		struct fragtx_cfg tc = { .mode = FRAGTX_RAW, .mark = FRAGTX_MARK };
		char err[FRAGTX_ERRLEN];
		int code;

		/* No SO_BINDTODEVICE: one socket serves both legs, routed. */
		if (!(H.raw = fragtx_open(&tc, err, &code)))
			die(code, "%s", err);
	} else {
		H.tx_client = pio_tx_open(H.ifname, PIO_TX_PACKET);
		H.tx_backend = strcmp(H.ifname, H.backend_if) ? pio_tx_open(H.backend_if, PIO_TX_PACKET)
							       : H.tx_client;
	}
	if (H.wfile)
		H.dump = pio_dump_open(H.wfile, 1, PIO_SNAPLEN, 0);
	open_icmp();
}

/* The back end's next hop changed its MAC (a neighbour notification):
 * frames to it follow at once. */
static void backend_mac_changed(void *ctx, const uint8_t dst[16], const uint8_t mac[6])
{
	char a[46];

	(void)ctx;
	if (!memcmp(H.cfg.backend_nh_mac, mac, 6))
		return;
	H.mac_changes++;
	memcpy(H.cfg.backend_nh_mac, mac, 6);
	if (H.tf)
		tf_set_backend_mac(H.tf, mac);
	debugmsg("back end %s: next hop now %02x:%02x:%02x:%02x:%02x:%02x", fmt_ip6(dst, a),
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

/* --tx link on Ethernet: follow the back end's neighbour entry (issue 17:
 * a back end whose MAC changes, an entry that expires). */
static void watch_backend(void)
{
	struct nh_cfg nc = { .ifname = H.backend_if, .on_change = backend_mac_changed };
	char err[256];

	if (H.tx_raw || H.cfg.backend_csum_partial)
		return;
	nc.ifindex = nl_ifindex(H.backend_if);
	if (nc.ifindex <= 0 || !(H.nh = nh_open(&nc, err, sizeof(err)))) {
		warnmsg("back end's neighbour entry not followed: %s", nc.ifindex <= 0 ? nl_error() : err);
		return;
	}
	nh_watch(H.nh, H.cfg.backend);
}

/* --tx link: each leg's frames go out from a thread of their own (one
 * thread when both legs share the interface, keeping their order).  On a
 * veth the receiving peer's whole input path runs inside our send calls;
 * on threads it runs beside the capture and rewriting instead of after. */
static int txq_pio_send(void *ctx, const uint8_t *frame, size_t len)
{
	return pio_tx_send(ctx, frame, len);
}

static void start_send_threads(void)
{
	if (H.tx_raw)
		return;
	H.q_client = txq_open(txq_pio_send, H.tx_client, 512, 2048);
	if (!txq_threaded(H.q_client))
		warnmsg("no send thread (%s); sending from the capture thread", strerror(errno));
	H.q_backend = H.tx_backend == H.tx_client ? H.q_client
						 : txq_open(txq_pio_send, H.tx_backend, 512, 2048);
}

/* ---- event loop ---- */

static void drain(struct pio_in *in, enum tf_leg leg)
{
	struct pio_frame f;

	for (int i = 0; i < 512; i++) {
		int r = pio_next(in, &f);

		if (r <= 0) {
			if (r < 0) {
				/* the interface went away or the socket broke: stop, report */
				errmsg("capture on the %s leg failed: %s",
					leg == TF_LEG_CLIENT ? "client" : "back-end", pio_error(in));
				H.capture_failed = true;
				sig_stop = 1;
			}
			return;
		}
		tf_input(H.tf, leg, f.data, f.caplen, f.wirelen, now_mono_us());
	}
}

static void on_icmp(void *ctx, const struct icmperr_report *r)
{
	(void)ctx;
	tf_icmp_error(H.tf, r->tag, r->client, r->sent_us);
	icmperr_put(r, now_wall_us());	/* a measurement: kept under -q, as in dnsfrag */
}

/* The back end's frames come from another MAC than the one ours go to:
 * have the kernel verify its entry (at most once a second, nh_refresh). */
static void check_backend_mac(uint64_t now)
{
	uint64_t seen = tf_counters(H.tf)->backend_mac_mismatch;

	if (H.nh && seen != H.mismatch_seen) {
		H.mismatch_seen = seen;
		nh_refresh(H.nh, H.cfg.backend, now);
	}
}

static void run(void)
{
	struct pollfd pfd[4] = { { .fd = pio_fd(H.in_client), .events = POLLIN },
				 { .fd = pio_fd(H.in_backend), .events = POLLIN },
				 { .fd = H.nh ? nh_fd(H.nh) : -1, .events = POLLIN },
				 { .fd = H.icmp_fd, .events = POLLIN } };
	uint64_t deadline = H.run_timeout > 0 ? H.t_start_mono + (uint64_t)(H.run_timeout * 1e6) : 0;
	uint64_t next_expire = now_mono_us() + 1000000;

	while (!sig_stop) {
		uint64_t now;
		int timeout = 200;

		if (poll(pfd, 4, timeout) < 0 && errno != EINTR)
			die(EXIT_RESOURCE, "poll: %s", strerror(errno));
		/* Drain both legs every time: the immediate-mode ring may hold
		 * frames whose wake-up was consumed already. */
		drain(H.in_client, TF_LEG_CLIENT);
		drain(H.in_backend, TF_LEG_BACKEND);
		now = now_mono_us();
		if (H.nh && (pfd[2].revents & POLLIN))
			nh_service(H.nh, now);
		if (H.icmp_fd >= 0 && (pfd[3].revents & POLLIN))
			icmpsock_drain(H.icmp_fd, H.icmp, 64, on_icmp, NULL);
		check_backend_mac(now);
		if (now >= next_expire) {
			tf_expire(H.tf, now);
			next_expire = now + 1000000;
		}
		if (sig_stats) {
			sig_stats = 0;
			emit_counters("stats");
		}
		if (deadline && now >= deadline)
			break;
		if (H.count && H.ended >= H.count)
			break;
	}
}

int httpfrag_main(int argc, char **argv)
{
	uint64_t send_failed;
	struct sigaction sa;
	char err[128];
	bool out_failed = false;

	memset(&H, 0, sizeof(H));
	H.icmp_fd = -1;
	hostprep_init(&H.hp);
	parse_args(argc, argv);
	if (H.log_path)
		em_log_open(H.log_path);
	H.t_start_mono = now_mono_us();
	resolve_legs();
	prepare_host();
	open_io();
	watch_backend();
	H.cfg.send = send_cb;
	H.cfg.on_binding = on_binding;
	H.tf = tf_new(&H.cfg, err);
	if (!H.tf)
		die(EXIT_USAGE, "%s", err);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* Every socket is open; the keeper (a separate process) restores the
	 * host, so nothing here needs privileges any more. */
	priv_drop(&H.user, 0);
	/* Threads after the privilege drop: capabilities are per thread. */
	start_send_threads();
	{
		char a[46], b[46], s[46];

		/* One line once capturing: scripts wait for it before connecting. */
		em_begin("ready");
		em_ts(EM_ANY, "%s ", now_wall_us());
		em_str(EM_ANY, "listen", "listening on [%s]", fmt_ip6(H.cfg.listen, a));
		em_str(EM_ANY, "interface", " %s", H.ifname);
		em_str(EM_ANY, "backend", ", back end [%s]", fmt_ip6(H.cfg.backend, b));
		em_str(EM_ANY, "backend_interface", " via %s", H.backend_if);
		em_str(EM_ANY, "nat_source", " from [%s]", fmt_ip6(H.cfg.nat_src, s));
		em_u64(EM_ANY, "mss", ", mss %llu", H.cfg.mss);
		em_u64(EM_ANY, "tail", ", tail %llu", H.cfg.tail);
		em_bool(EM_ANY, "clamp_mss", ", MSS clamping %s", H.cfg.clamp_mss);
		em_str(EM_ANY, "tx", ", tx %s", H.tx_raw ? "raw" : "link");
		em_bool(EM_ANY, "manage_host", ", host managed %s", H.manage_host);
		em_end();
		fflush(em_stream());
	}
	run();
	tf_flush(H.tf);
	txq_drain(H.q_client);
	txq_drain(H.q_backend);
	emit_counters("summary");
	send_failed = tf_counters(H.tf)->dropped[TF_DROP_SEND_FAILED] + txq_failed(H.q_client, NULL) +
		      (H.q_backend != H.q_client ? txq_failed(H.q_backend, NULL) : 0);
	if (H.q_backend != H.q_client)
		txq_close(H.q_backend);
	txq_close(H.q_client);
	pio_close(H.in_client);
	pio_close(H.in_backend);
	if (H.tx_backend != H.tx_client)
		pio_tx_close(H.tx_backend);
	pio_tx_close(H.tx_client);
	fragtx_close(H.raw);
	nh_close(H.nh);
	if (H.icmp_fd >= 0)
		close(H.icmp_fd);
	icmperr_free(H.icmp);
	if (H.dump && pio_dump_close(H.dump) < 0) {
		errmsg("-w %s: write error: the output is incomplete", H.wfile);
		out_failed = true;
	}
	tf_free(H.tf);
	hostprep_restore(&H.hp);
	if (out_failed)
		return EXIT_RESOURCE;	/* an output that cannot be written: SPEC §2, 3 */
	return daemon_exit_status(send_failed, H.capture_failed);
}
