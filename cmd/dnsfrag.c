/* dnsfrag.c - DNS front end that answers in IPv6 fragments it builds: queries
 * in on a UDP socket, forwarded unchanged to a back end (or answered from
 * --builtin), responses out as application-cut fragments (RFC 1035, RFC 8200
 * §4.5, RFC 6891). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "applets.h"
#include "args.h"
#include "build.h"
#include "dns.h"
#include "ehfront.h"
#include "emit.h"
#include "frag.h"
#include "fragtx.h"
#include "icmperr.h"
#include "icmpsock.h"
#include "nd.h"
#include "priv.h"
#include "pkt.h"
#include "probe.h"
#include "util.h"

#define MAX_ALLOW	64
#define PKT_MAX		(40 + 8 + DNS_UDP_MAX)
/* Fragments are cut behind their link header (core/frag link_len). */
#define FRAGBUF_MAX	(PKT_MAX + FRAG_MAX_FRAGS * (BUILD_ETH_LEN + 40 + FRAG_HDR_LEN))
#define RL_SLOTS	4096
#define RX_BATCH	16	/* datagrams read per wake-up before looking at the rest */
#define TAG_LISTEN	(~(uint64_t)0)
#define TAG_NEXTHOP	(~(uint64_t)1)
#define TAG_ICMP	(~(uint64_t)2)

static const char usage_text[] =
	"Usage: v6kit dnsfrag -i IFACE [-l ADDR] [-p PORT] (--backend HOST[:PORT] | --builtin SIZE)\n"
	"                     [--frag-size N] [--first-frag N] [--order in|reverse|random]\n"
	"                     [--frag-id random|sequential|N] [--tx link|raw]\n"
	"                     [--gateway-mac MAC|auto] [--allow PREFIX]... [--rate-limit QPS]\n"
	"                     [--backend-timeout MS] [--drop-on-timeout] [--max-inflight N]\n"
	"                     [--eh SPEC]... [--eh-order rfc|given] [--allow-split-chain]\n"
	"                     [--no-fragment]\n"
	"                     [--probe-zone ZONE [--probe-size N] [--probe-timeout SEC]\n"
	"                      [--max-probes N]]\n"
	"                     [--user USER] [--json] [--log FILE] [-c N] [--timeout SEC]\n"
	"\n"
	"DNS front end: listens on UDP [ADDR]:PORT over IPv6, forwards each query to\n"
	"the back end (or answers it with --builtin) and sends every response of 16\n"
	"octets or more to the client as at least two IPv6 fragments that it builds.\n"
	"\n"
	"  -i, --interface IFACE   client-facing interface (frames leave here)\n"
	"  -l, --listen ADDR       IPv6 address to listen on (default ::, every address)\n"
	"  -p, --port PORT         UDP port (default 53)\n"
	"      --backend HOST[:PORT]  resolver: ADDR, [IPV6]:PORT, IPV4:PORT or a name (port 53)\n"
	"      --builtin SIZE      answer every query with ~SIZE octets of TXT (256-65000)\n"
	"      --frag-size N       largest IPv6 packet sent, header included (default 512)\n"
	"      --first-frag N      DNS octets in the first fragment, multiple of 8\n"
	"                          (default 128; 0 = as many as --frag-size allows)\n"
	"      --order ORDER       emission order: in (default), reverse, random\n"
	"      --frag-id ID        fragment IDs: random (default), sequential, or a fixed N\n"
	"      --tx link|raw       link (default): Ethernet frames to the next hop's MAC;\n"
	"                          raw: whole packets to the kernel (IPPROTO_RAW)\n"
	"      --gateway-mac MAC|auto  send every frame to MAC, or to the router learnt from RAs\n"
	"      --allow PREFIX      answer only clients in PREFIX (repeatable; others: REFUSED)\n"
	"      --rate-limit QPS    at most QPS queries per second per client /64\n"
	"      --backend-timeout MS  back-end wait before SERVFAIL (default 2000)\n"
	"      --drop-on-timeout   send nothing when the back end times out\n"
	"      --max-inflight N    back-end queries in flight at once (default 4096)\n"
	"      --eh SPEC           insert an extension header into every answer (repeatable):\n"
	"                          hbh:N, dst:N or dstu:N (N octets, 8-2048, multiple of 8),\n"
	"                          optionally ,opt=T (an option of type T, 0-255)\n"
	"      --eh-order ORDER    rfc (default: RFC 8200 4.1 order) or given\n"
	"      --allow-split-chain send even when the first fragment cannot hold the\n"
	"                          whole header chain (RFC 7112 refuses that by default)\n"
	"      --no-fragment       send answers whole (with --eh: headers measured alone)\n"
	"      --probe-zone ZONE   be authoritative for ZONE: LABEL.ZONE gets a fragmented\n"
	"                          answer whose CNAME's follow-up proves it arrived; one\n"
	"                          verdict line per probe name (needs -l ADDR)\n"
	"      --probe-size N      DNS octets of a probe answer (512-65000, default 1500)\n"
	"      --probe-timeout SEC  no follow-up within SEC: verdict lost (default 10)\n"
	"      --max-probes N      probe names in flight at once (default 16384)\n"
	"      --user USER         drop privileges to USER once the sockets are open\n"
	"  -j, --json              one JSON object per line\n"
	"      --log FILE          also write the JSON lines to FILE (reopened on SIGHUP)\n"
	"  -c, --count N           stop after N queries\n"
	"      --timeout SEC       stop after SEC seconds\n"
	"  -q, --quiet             no per-query lines (verdicts, icmp, summary and stats stay)\n"
	"  -v, --verbose           diagnostics about skipped datagrams\n"
	"  -h, --help              this text\n"
	"\n"
	"Signals: SIGINT/SIGTERM stop with a summary, SIGUSR1 prints a stats line,\n"
	"SIGHUP reopens the --log file.\n"
	"Exit status: 0 stopped, 1 no RA for --gateway-mac auto, 2 usage error,\n"
	"3 missing privilege or resource, or an output that cannot be created or\n"
	"written (the --log file, standard output).  See v6kit-dnsfrag(1).\n";

enum {
	OPT_BACKEND = 256, OPT_BUILTIN, OPT_FRAG_SIZE, OPT_FIRST_FRAG, OPT_ORDER, OPT_FRAG_ID,
	OPT_TX, OPT_GATEWAY_MAC, OPT_ALLOW, OPT_RATE_LIMIT, OPT_BACKEND_TIMEOUT,
	OPT_DROP_ON_TIMEOUT, OPT_MAX_INFLIGHT, OPT_USER, OPT_LOG, OPT_TIMEOUT,
	OPT_EH = 400, OPT_EH_ORDER, OPT_ALLOW_SPLIT_CHAIN, OPT_NO_FRAGMENT,
	OPT_PROBE_ZONE, OPT_PROBE_SIZE, OPT_PROBE_TIMEOUT, OPT_MAX_PROBES,
};

const struct option dnsfrag_longopts[] = {
	V6_STD_LONGOPTS,
	{ "interface", required_argument, NULL, 'i' },
	{ "listen", required_argument, NULL, 'l' },
	{ "port", required_argument, NULL, 'p' },
	{ "count", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "builtin", required_argument, NULL, OPT_BUILTIN },
	{ "frag-size", required_argument, NULL, OPT_FRAG_SIZE },
	{ "first-frag", required_argument, NULL, OPT_FIRST_FRAG },
	{ "order", required_argument, NULL, OPT_ORDER },
	{ "frag-id", required_argument, NULL, OPT_FRAG_ID },
	{ "tx", required_argument, NULL, OPT_TX },
	{ "gateway-mac", required_argument, NULL, OPT_GATEWAY_MAC },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
	{ "backend-timeout", required_argument, NULL, OPT_BACKEND_TIMEOUT },
	{ "drop-on-timeout", no_argument, NULL, OPT_DROP_ON_TIMEOUT },
	{ "max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT },
	{ "user", required_argument, NULL, OPT_USER },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "eh", required_argument, NULL, OPT_EH },
	{ "eh-order", required_argument, NULL, OPT_EH_ORDER },
	{ "allow-split-chain", no_argument, NULL, OPT_ALLOW_SPLIT_CHAIN },
	{ "no-fragment", no_argument, NULL, OPT_NO_FRAGMENT },
	{ "probe-zone", required_argument, NULL, OPT_PROBE_ZONE },
	{ "probe-size", required_argument, NULL, OPT_PROBE_SIZE },
	{ "probe-timeout", required_argument, NULL, OPT_PROBE_TIMEOUT },
	{ "max-probes", required_argument, NULL, OPT_MAX_PROBES },
	{ NULL, 0, NULL, 0 }
};

enum outcome { OUT_ANSWERED, OUT_SERVFAIL, OUT_DROPPED, OUT_REFUSED, OUT_RATE_LIMITED };
static const char *const outcome_names[] = { "answered", "servfail", "dropped", "refused", "rate_limited" };

/* A connected UDP socket to the back end, with a port the kernel chose at
 * random.  It serves one query at a time -- that is the first key of the
 * match: the kernel only delivers datagrams from the back end's address and
 * port to it, and an off-path spoofer must guess port and DNS ID; the reply
 * must then carry our ID and the very question we sent.  A socket goes back
 * to a small pool after an answered query and is replaced after
 * BSOCK_REUSE queries (socket+connect+close per query cost more than the
 * rest of the forwarding path); one whose query failed or timed out is
 * closed, so a late reply finds no socket. */
#define BSOCK_REUSE	64
#define BSOCK_IDLE_MAX	512

struct pending;

struct bsock {
	int fd;
	unsigned uses;
	struct pending *owner;		/* NULL: idle in the pool (or unused) */
	struct bsock *next_free;	/* structs are recycled, never freed while running */
};

/* One query in flight to the back end. */
struct pending {
	struct bsock *bs;		/* NULL: free */
	struct pending *prev, *next;	/* deadline order (all deadlines are now + timeout) */
	struct dns_msg q;
	struct sockaddr_in6 client;
	uint8_t local[16];
	uint64_t t_recv, t_wall, t_sent, deadline;
};

struct rx_slot;

struct ratelimit_slot {
	uint8_t net[8];
	bool used;
	double tokens;
	uint64_t last_us;
};

static struct {
	/* configuration */
	const char *ifname, *listen_s, *backend_s, *log_path;
	struct priv_user user;
	uint8_t listen_addr[16];
	uint16_t port;
	size_t builtin;
	struct sockaddr_storage backend;
	socklen_t backend_len;
	uint32_t frag_size;
	int first_frag;		/* DNS octets; -1 = default */
	struct frag_plan plan;
	struct frag_idgen idgen;
	struct fragtx_cfg txcfg;
	bool gateway_auto;
	struct eh_chain eh;	/* --eh (spec "" when none) */
	bool eh_given, allow_split_chain, no_fragment, frag_shaped;
	struct v6_prefix allow[MAX_ALLOW];
	unsigned n_allow;
	double rate_qps;
	unsigned backend_timeout_ms;
	bool drop_on_timeout;
	unsigned max_inflight;
	uint64_t count;
	double run_timeout;
	bool json;
	bool probing;		/* --probe-zone */
	struct probe_cfg probe;
	bool probe_opts;	/* a --probe-* or --max-probes option was given */
	/* state */
	int ep, lfd, icmpfd;
	struct probe_table *probes;
	struct icmperr *icmp;
	struct fragtx *tx;
	struct pending *pend;
	struct pending *free_list;	/* through ->next */
	struct pending *oldest, *newest;
	unsigned inflight, inflight_peak;
	struct bsock *idle[BSOCK_IDLE_MAX];
	unsigned n_idle;
	struct bsock *bs_free;
	uint64_t bsock_opened;
	struct ratelimit_slot *rl;
	uint32_t rl_key;
	uint8_t *pkt, *fragbuf, *rxbuf;
	size_t fragcap;		/* FRAGBUF_MAX and room for the --eh chain */
	uint32_t mtu;
	struct rx_slot *rx;
	struct frag_out *fo;
	uint64_t t_start;
	/* counters */
	uint64_t datagrams, queries, answered, servfail, refused, rate_limited, dropped,
		 malformed, backend_timeouts, backend_errors, backend_mismatch, send_errors,
		 inflight_full, done;
} D = { .port = 53, .frag_size = 512, .first_frag = -1, .backend_timeout_ms = 2000,
	.max_inflight = 4096, .ep = -1, .lfd = -1, .icmpfd = -1 };

static volatile sig_atomic_t sig_stop, sig_stats, sig_hup;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		sig_stats = 1;
	else if (sig == SIGHUP)
		sig_hup = 1;
	else
		sig_stop = 1;
}

/* ---- option parsing ---- */

static void parse_backend(const char *s)
{
	char host[256], port[8] = "53";
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV }, *res;
	const char *colon = strchr(s, ':');
	int rc;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || (close[1] && close[1] != ':') || (size_t)(close - s - 1) >= sizeof(host))
			die_usage("invalid --backend value '%s': expected [IPV6]:PORT", s);
		snprintf(host, sizeof(host), "%.*s", (int)(close - s - 1), s + 1);
		if (close[1] == ':')
			snprintf(port, sizeof(port), "%u", (unsigned)arg_uint("backend", close + 2, 1, 65535));
	} else if (colon && !strchr(colon + 1, ':')) {	/* IPV4:PORT or NAME:PORT */
		if ((size_t)(colon - s) >= sizeof(host) || colon == s)
			die_usage("invalid --backend value '%s'", s);
		snprintf(host, sizeof(host), "%.*s", (int)(colon - s), s);
		snprintf(port, sizeof(port), "%u", (unsigned)arg_uint("backend", colon + 1, 1, 65535));
	} else {					/* bare address or name */
		if (strlen(s) >= sizeof(host) || !*s)
			die_usage("invalid --backend value '%s'", s);
		snprintf(host, sizeof(host), "%s", s);
	}
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		die(EXIT_USAGE, "invalid --backend value '%s': %s", s, gai_strerror(rc));
	memcpy(&D.backend, res->ai_addr, res->ai_addrlen);
	D.backend_len = res->ai_addrlen;
	freeaddrinfo(res);
}

static void set_frag_id(const char *s)
{
	struct frag_id_arg id;

	arg_frag_id("frag-id", s, &id);
	D.plan.id_policy = (enum frag_id_policy)id.policy;
	D.plan.fixed_id = id.fixed;
	D.plan.idgen = id.policy == FRAG_ID_SEQUENTIAL ? &D.idgen : NULL;
}

/* The options that shape the fragments and how they leave. */
static bool set_frag_option(int c, const char *arg)
{
	int o;

	switch (c) {
	case OPT_EH:
		arg_eh("eh", arg, &D.eh);
		break;
	case OPT_EH_ORDER:
		D.eh_given = arg_eh_order("eh-order", arg);
		break;
	case OPT_ALLOW_SPLIT_CHAIN:
		D.allow_split_chain = true;
		break;
	case OPT_NO_FRAGMENT:
		D.no_fragment = true;
		break;
	case OPT_FRAG_SIZE:
		/* 112: 1024 fragments (the fragmenter's limit) still carry
		 * the largest UDP response, 64 octets at a time. */
		D.frag_size = (uint32_t)arg_uint("frag-size", arg, 112, 65535);
		D.frag_shaped = true;
		break;
	case OPT_FIRST_FRAG:
		D.first_frag = (int)arg_uint("first-frag", arg, 0, 65000);
		if (D.first_frag % 8)
			die_usage("invalid --first-frag value '%s': not a multiple of 8 "
				  "(the UDP header and the data before the second fragment "
				  "are whole 8-octet units)", arg);
		D.frag_shaped = true;
		break;
	case OPT_ORDER:
		o = frag_order_parse(arg);
		if (o < 0)
			die_usage("invalid --order value '%s': expected in, reverse or random", arg);
		D.plan.order = (enum frag_order)o;
		break;
	case OPT_FRAG_ID:
		set_frag_id(arg);
		break;
	case OPT_TX: {
		bool raw;

		arg_tx("tx", arg, &raw);
		D.txcfg.mode = raw ? FRAGTX_RAW : FRAGTX_LINK;
		break;
	}
	case OPT_GATEWAY_MAC:
		if (!strcmp(arg, "auto")) {
			D.gateway_auto = true;
		} else {
			arg_mac("gateway-mac", arg, D.txcfg.gw_mac);
			D.gateway_auto = false;
		}
		D.txcfg.fixed_mac = true;
		break;
	default:
		return false;
	}
	return true;
}

/* The probe zone (core/probe). */
static bool set_probe_option(int c, const char *arg)
{
	const char *why;

	switch (c) {
	case OPT_PROBE_ZONE:
		if (!probe_zone_parse(arg, &D.probe.zone, &why))
			die_usage("invalid --probe-zone value '%s': %s", arg, why);
		D.probing = true;
		return true;
	case OPT_PROBE_SIZE:
		D.probe.size = (uint32_t)arg_uint("probe-size", arg, 512, 65000);
		break;
	case OPT_PROBE_TIMEOUT:
		D.probe.timeout_us = (uint64_t)(arg_double("probe-timeout", arg, 0.1, 86400) * 1e6);
		break;
	case OPT_MAX_PROBES:
		D.probe.max_probes = (uint32_t)arg_uint("max-probes", arg, 1, 1u << 24);
		break;
	default:
		return false;
	}
	D.probe_opts = true;
	return true;
}

/* Every other option; false for one getopt did not know. */
static bool set_option(int c, const char *arg)
{
	switch (c) {
	case 'h':
		fputs(usage_text, stdout);
		exit(EXIT_OK);
	case 'j':
		D.json = true;
		em_init(true, stdout);
		break;
	case 'q':
		v6_verbosity = -1;
		break;
	case 'v':
		v6_verbosity++;
		break;
	case 'i':
		D.ifname = arg;
		break;
	case 'l':
		D.listen_s = arg;
		arg_ip6("listen", arg, D.listen_addr);
		break;
	case 'p':
		D.port = (uint16_t)arg_uint("port", arg, 1, 65535);
		break;
	case 'c':
		D.count = arg_uint("count", arg, 1, UINT64_MAX);
		break;
	case OPT_TIMEOUT:
		D.run_timeout = arg_double("timeout", arg, 0.001, 1e9);
		break;
	case OPT_BACKEND:
		D.backend_s = arg;
		break;
	case OPT_BUILTIN:
		D.builtin = (size_t)arg_uint("builtin", arg, 256, 65000);
		break;
	case OPT_ALLOW:
		if (D.n_allow == MAX_ALLOW)
			die_usage("too many --allow prefixes (at most %d)", MAX_ALLOW);
		arg_prefix("allow", arg, &D.allow[D.n_allow]);
		if (D.allow[D.n_allow].addr.family != 6)
			die_usage("invalid --allow value '%s': an IPv6 prefix is needed", arg);
		D.n_allow++;
		break;
	case OPT_RATE_LIMIT:
		D.rate_qps = arg_double("rate-limit", arg, 0.001, 1e7);
		break;
	case OPT_BACKEND_TIMEOUT:
		D.backend_timeout_ms = (unsigned)arg_uint("backend-timeout", arg, 1, 600000);
		break;
	case OPT_DROP_ON_TIMEOUT:
		D.drop_on_timeout = true;
		break;
	case OPT_MAX_INFLIGHT:
		D.max_inflight = (unsigned)arg_uint("max-inflight", arg, 1, 1000000);
		break;
	case OPT_USER:
		priv_lookup(arg, &D.user);
		break;
	case OPT_LOG:
		D.log_path = arg;
		break;
	default:
		return set_probe_option(c, arg) || set_frag_option(c, arg);
	}
	return true;
}

/* Options that only make sense together. */
static void check_args(int argc, char **argv)
{
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	if (!D.backend_s == !D.builtin)
		die_usage("exactly one of --backend and --builtin is needed");
	if (D.txcfg.mode == FRAGTX_LINK && !D.ifname)
		die_usage("-i IFACE is needed (the interface the fragments leave by)");
	if (D.gateway_auto && D.txcfg.mode != FRAGTX_LINK)
		die_usage("--gateway-mac applies to --tx link only");
	if (D.txcfg.fixed_mac && D.txcfg.mode != FRAGTX_LINK)
		die_usage("--gateway-mac applies to --tx link only");
	if (D.drop_on_timeout && D.builtin)
		die_usage("--drop-on-timeout needs --backend");
	if (D.no_fragment && D.frag_shaped)
		die_usage("--no-fragment sends answers whole: --frag-size and --first-frag do not apply");
	if (D.probe_opts && !D.probing)
		die_usage("--probe-size, --probe-timeout and --max-probes need --probe-zone");
	if (D.probing && !memcmp(D.listen_addr, (const uint8_t[16]){ 0 }, 16))
		die_usage("--probe-zone needs -l ADDR: the address follow-ups and ns.ZONE resolve to");
}

/* The fragment pattern: at least two fragments, the first holding the
 * UDP header and first_frag octets of DNS (the seed's small first
 * fragment), none larger than frag_size. */
static void plan_fragments(void)
{
	/* --eh: the unfragmentable headers repeat in every fragment, the
	 * fragmentable ones (eh_frag_total) lead the first fragment's data. */
	uint32_t room = ehf_first_room(&D.eh, D.frag_size), fe = eh_frag_total(&D.eh);
	char what[32], err[EHF_ERRLEN];
	int fits;

	if (D.no_fragment) {	/* whole, whatever the size: the link MTU is checked per answer */
		D.first_frag = 0;
		return;
	}
	snprintf(what, sizeof(what), "--frag-size %u", D.frag_size);
	fits = ehf_first_fits(&D.eh, D.frag_size, 8, what, err);
	if (fits < 0 || (fits > 0 && !D.allow_split_chain))
		die_usage("%s", err);
	if (fits > 0) {
		D.first_frag = 0;	/* the chain split: the first fragment as full as it goes */
	} else if (D.first_frag < 0) {
		D.first_frag = 128;
		if ((uint32_t)D.first_frag + 8 + fe > room)
			D.first_frag = (int)(room - 8 - fe);
	} else if (D.first_frag > 0 && (uint32_t)D.first_frag + 8 + fe > room) {
		die_usage("--first-frag %d does not fit --frag-size %u: the first fragment would be "
			  "%u octets (at most %u DNS octets fit)", D.first_frag, D.frag_size,
			  D.frag_size - room + fe + 8 + D.first_frag, room - 8 - fe);
	}
	D.plan.max_size = D.frag_size;
	D.plan.min_frags = 2;
	D.plan.rfc7112 = D.eh.n && !D.allow_split_chain;
}

static void parse_args(int argc, char **argv)
{
	static const char shortopts[] = "hjqvi:l:p:c:";
	int c;

	frag_plan_init(&D.plan);
	D.txcfg.mode = FRAGTX_LINK;
	opterr = 0;	/* die_getopt() says what is wrong */
	while ((c = getopt_long(argc, argv, shortopts, dnsfrag_longopts, NULL)) != -1)
		if (!set_option(c, optarg))
			die_getopt(argv, shortopts);
	check_args(argc, argv);
	arg_eh_finish(&D.eh, D.eh_given);
	plan_fragments();
	if (D.backend_s)
		parse_backend(D.backend_s);
}

/* ---- output ---- */

struct qlog {
	const struct dns_msg *q;
	const struct sockaddr_in6 *client;
	enum outcome outcome;
	int rcode;		/* -1: no response */
	size_t size;
	const struct frag_out *fo;	/* NULL: nothing sent */
	unsigned sent;
	double backend_ms;	/* < 0: no back-end leg */
	double total_ms;
	uint64_t wall;
	const char *error;	/* the response could not be sent: counted as dropped */
	const char *note;	/* why the back end failed, the SERVFAIL went out */
	bool held;		/* the fragments wait for the next hop to resolve */
};

static void put_query(const struct qlog *l)
{
	char addr[46], name[DNS_NAME_TEXT], tbuf[16], rbuf[16];

	/* -q quiets stdout; the --log file still gets every query */
	em_begin_to(EM_SINK_LOG | (v6_verbosity >= 0 ? EM_SINK_OUT : 0), "query");
	em_ts(EM_ANY, "%s ", l->wall);
	em_str(EM_ANY, "client", "%s", fmt_ip6(l->client->sin6_addr.s6_addr, addr));
	em_u64(EM_ANY, "client_port", "#%llu ", ntohs(l->client->sin6_port));
	em_str(EM_ANY, "qname", "%s ", dns_name_text(l->q->qname, l->q->qname_len, name));
	em_u64(EM_JSON, "qtype", NULL, l->q->qtype);
	em_str(EM_ANY, "qtype_name", "%s ", dns_type_name(l->q->qtype, tbuf));
	if (l->rcode >= 0) {
		em_u64(EM_JSON, "rcode", NULL, (uint64_t)l->rcode);
		em_str(EM_ANY, "rcode_name", "%s ", dns_rcode_name((unsigned)l->rcode, rbuf));
	} else {
		em_null(EM_JSON, "rcode", NULL);
		em_null(EM_JSON, "rcode_name", NULL);
	}
	em_u64(EM_ANY, "size", "%llu octets ", l->size);
	em_u64(EM_ANY, "fragments", "in %llu fragments ", l->fo ? l->sent : 0);
	em_arr_begin(EM_ANY, "fragment_sizes", "[");
	for (unsigned i = 0; l->fo && i < l->sent; i++)
		em_u64(EM_ANY, NULL, i ? " %llu" : "%llu", l->fo->piece[i].len);
	em_arr_end(EM_ANY, "] ");
	if (l->fo && l->fo->fragmented)
		em_u64(EM_ANY, "frag_id", "id %llu ", l->fo->id);
	else
		em_null(EM_JSON, "frag_id", NULL);
	if (l->backend_ms >= 0)
		em_dbl(EM_ANY, "backend_ms", "backend %.3f ms ", l->backend_ms);
	else
		em_null(EM_JSON, "backend_ms", NULL);
	em_dbl(EM_ANY, "total_ms", "total %.3f ms ", l->total_ms);
	em_str(EM_ANY, "outcome", "%s", outcome_names[l->outcome]);
	if (l->error || l->note)
		em_str(EM_ANY, "error", " (%s)", l->error ? l->error : l->note);
	else if (l->held)
		em_str(EM_ANY, "note", " (%s)", "held until the next hop resolves");
	if (D.eh.n)
		em_str(EM_TEXT, "eh", " eh %s", D.eh.spec);
	em_str(EM_JSON, "eh", NULL, D.eh.spec);
	em_end();
}

/* verdicts {verdict: n}, probes {...}, icmp_errors {type: n} and
 * icmp_unmatched {reason: n} of the summary and stats lines. */
static void put_probe_counters(void)
{
	const struct icmperr_counters *ic = D.icmp ? icmperr_counters(D.icmp) : NULL;
	struct probe_counters none = { 0 };
	const struct probe_counters *pc = D.probes ? probe_counters(D.probes) : &none;
	char fmt[64];

	em_obj_begin(EM_ANY, "verdicts", "verdicts: ");
	for (int i = 0; i < PROBE_V_N; i++) {
		snprintf(fmt, sizeof(fmt), "%s%%llu %s", i ? ", " : "", probe_result_name((enum probe_result)i));
		em_u64(EM_ANY, probe_result_name((enum probe_result)i), fmt, pc->verdicts[i]);
	}
	em_obj_end(EM_ANY, "; ");
	em_obj_begin(EM_ANY, "probes", "probes: ");
	em_u64(EM_ANY, "zone_queries", "%llu queries in the zone, ", pc->queries);
	em_u64(EM_ANY, "opened", "%llu opened, ", pc->probes);
	em_u64(EM_ANY, "open", "%llu open, ", pc->open);
	em_u64(EM_ANY, "attempts", "%llu answers, ", pc->attempts);
	em_u64(EM_ANY, "repeats", "%llu repeats, ", pc->repeats);
	em_u64(EM_ANY, "followups", "%llu follow-ups, ", pc->kinds[PROBE_K_FOLLOWUP]);
	em_u64(EM_ANY, "followups_late", "%llu late, ", pc->followups_late);
	em_u64(EM_ANY, "bad_nonce", "%llu bad nonce, ", pc->kinds[PROBE_K_BAD_NONCE]);
	em_u64(EM_ANY, "nxdomain", "%llu nxdomain, ", pc->kinds[PROBE_K_NXDOMAIN]);
	em_u64(EM_ANY, "evicted", "%llu evicted, ", pc->evicted);
	em_u64(EM_ANY, "no_edns", "%llu without EDNS, ", pc->no_edns);
	em_obj_begin(EM_ANY, "names_refused", "refused (");
	for (int i = 0; i < PROBE_R_N; i++) {
		snprintf(fmt, sizeof(fmt), "%s%%llu %s", i ? ", " : "", probe_refuse_name((enum probe_refuse)i));
		em_u64(EM_ANY, probe_refuse_name((enum probe_refuse)i), fmt, pc->refused[i]);
	}
	em_obj_end(EM_ANY, ")");
	em_obj_end(EM_ANY, "; ");
	em_obj_begin(EM_ANY, "icmp_errors", "ICMPv6 errors: ");
	for (int i = 0; i < ICMPERR_T_N; i++) {
		const char *tn = icmperr_type_name((uint8_t)(i + 1));

		snprintf(fmt, sizeof(fmt), "%s%%llu %s", i ? ", " : "", tn);
		em_u64(EM_ANY, tn, fmt, ic ? ic->errors[i] : 0);
	}
	em_obj_end(EM_ANY, "; ");
	em_obj_begin(EM_ANY, "icmp_unmatched", "unmatched (");
	for (int i = ICMPERR_MATCHED + 1, first = 1; i < ICMPERR_R_N; i++, first = 0) {
		const char *rn = icmperr_result_name((enum icmperr_result)i);

		snprintf(fmt, sizeof(fmt), "%s%%llu %s", first ? "" : ", ", rn);
		em_u64(EM_ANY, rn, fmt, ic ? ic->results[i] : 0);
	}
	em_obj_end(EM_ANY, "), ");
}

static void put_counters(const char *type)
{
	struct fragtx_stats ts = { 0 };

	if (D.tx)
		fragtx_stats(D.tx, &ts);
	em_begin(type);
	em_text("%s: ", type);
	em_u64(EM_ANY, "packets", "%llu packets, ", D.datagrams + ts.sent);
	em_u64(EM_ANY, "queries", "%llu queries: ", D.queries);
	em_u64(EM_ANY, "answered", "%llu answered, ", D.answered);
	em_u64(EM_ANY, "servfail", "%llu servfail, ", D.servfail);
	em_u64(EM_ANY, "refused", "%llu refused, ", D.refused);
	em_u64(EM_ANY, "rate_limited", "%llu rate limited, ", D.rate_limited);
	em_u64(EM_ANY, "dropped", "%llu dropped; ", D.dropped);
	em_u64(EM_ANY, "malformed", "%llu malformed, ", D.malformed);
	em_u64(EM_ANY, "backend_timeouts", "%llu back-end timeouts, ", D.backend_timeouts);
	em_u64(EM_ANY, "backend_errors", "%llu back-end errors, ", D.backend_errors);
	em_u64(EM_ANY, "backend_mismatched", "%llu mismatched replies, ", D.backend_mismatch);
	em_u64(EM_ANY, "send_errors", "%llu send errors, ", D.send_errors);
	em_u64(EM_ANY, "fragments_sent", "%llu fragments sent, ", ts.sent);
	em_u64(EM_ANY, "sent", "%llu frames sent, ", ts.sent);
	em_u64(EM_ANY, "failed", "%llu failed ", ts.failed);
	em_obj_begin(EM_ANY, "nexthop_dropped", "(no next hop: ");
	for (unsigned i = 0; i < NH_DROP_N; i++) {
		char fmt[48];

		snprintf(fmt, sizeof(fmt), "%s%%llu %s", i ? ", " : "", nh_drop_name((enum nh_drop)i));
		em_u64(EM_ANY, nh_drop_name((enum nh_drop)i), fmt, ts.dropped[i]);
	}
	em_obj_end(EM_ANY, "), ");
	em_u64(EM_ANY, "held", "%llu held for a next hop, ", ts.held);
	em_u64(EM_ANY, "send_retries", "%llu send retries, ", ts.retries);
	em_u64(EM_ANY, "inflight", "%llu in flight ", D.inflight);
	em_u64(EM_ANY, "inflight_peak", "(peak %llu), ", D.inflight_peak);
	em_u64(EM_ANY, "inflight_full", "%llu dropped with --max-inflight reached, ", D.inflight_full);
	em_u64(EM_ANY, "backend_sockets", "%llu back-end sockets opened, ", D.bsock_opened);
	put_probe_counters();
	if (D.log_path)
		em_u64(EM_ANY, "log_lost", "%llu --log lines lost, ", em_log_lost());
	em_str(EM_JSON, "eh", NULL, D.eh.spec);
	em_dbl(EM_ANY, "elapsed_s", "%.3f s", (double)(now_mono_us() - D.t_start) / 1e6);
	em_end();
}

/* ---- responses ---- */

/* Send `dns` to the client from `local` as fragments (whole: in one
 * packet, as the probe zone's small answers go); fills l->fo/sent. */
static void send_response_as(struct qlog *l, const uint8_t local[16], const uint8_t *dns,
			     size_t len, bool whole)
{
	struct frag_plan plan = D.plan;
	uint32_t F = eh_frag_total(&D.eh) + 8 + (uint32_t)len;
	unsigned sent = 0;
	size_t plen;
	int rc;

	l->size = len;
	plen = build_udp6(D.pkt, PKT_MAX, local, l->client->sin6_addr.s6_addr, D.port,
			  ntohs(l->client->sin6_port), dns, len);
	if (!plen) {
		l->error = "response too large for one UDP datagram";
		goto fail;
	}
	/* A response under 16 octets (a bare header) goes whole; every other
	 * one in at least two fragments, the first of the chosen size when the
	 * datagram is long enough to leave something for a second. */
	if (D.no_fragment && D.mtu && plen + D.eh.total > D.mtu) {
		l->error = "answer larger than the link MTU with --no-fragment";
		goto fail;
	}
	if (whole) {
		plan.min_frags = 0;
		plan.first_size = 0;
		if (plan.max_size < 1280)
			plan.max_size = 1280;	/* the IPv6 minimum MTU: every link carries it */
	} else if (len < 16) {
		plan.min_frags = 0;
		plan.first_size = 0;
	} else if (D.first_frag > 0) {
		plan.first_size = eh_frag_total(&D.eh) + 8 + (uint32_t)D.first_frag;
		if (plan.first_size >= F)
			plan.first_size = (F - 1) & ~7u;
	}
	D.fo->buf = D.fragbuf;
	D.fo->cap = D.fragcap;
	rc = fragtx_send(D.tx, D.pkt, plen, &plan, D.fo, &sent);
	if (rc < 0) {
		l->error = fragtx_error(D.tx);
		if (sent) {
			l->fo = D.fo;
			l->sent = sent;
		}
		goto fail;
	}
	l->fo = D.fo;
	/* Held: they leave when the next hop resolves, or are dropped and
	 * counted (summary: held, nexthop_dropped). */
	l->held = rc == 1;
	l->sent = l->held ? D.fo->n : sent;
	if (D.icmp) {	/* whole too: errors may quote it (or the reassembled datagram) */
		struct icmperr_send is = { .frag_id = D.fo->id, .proto = 17, .sport = D.port,
					   .dport = ntohs(l->client->sin6_port),
					   .whole = !D.fo->fragmented };

		memcpy(is.src, local, 16);
		memcpy(is.client, l->client->sin6_addr.s6_addr, 16);
		icmperr_note_send(D.icmp, &is, now_mono_us());
	}
	return;
fail:
	D.send_errors++;
	debugmsg("response to query %u: %s", l->q->id, l->error);
}

static void send_response(struct qlog *l, const uint8_t local[16], const uint8_t *dns, size_t len)
{
	send_response_as(l, local, dns, len, false);
}

static void finish(struct qlog *l, uint64_t t_recv)
{
	l->total_ms = (double)(now_mono_us() - t_recv) / 1000.0;
	if (l->error && l->outcome != OUT_RATE_LIMITED)
		l->outcome = OUT_DROPPED;
	switch (l->outcome) {
	case OUT_ANSWERED: D.answered++; break;
	case OUT_SERVFAIL: D.servfail++; break;
	case OUT_DROPPED: D.dropped++; break;
	case OUT_REFUSED: D.refused++; break;
	case OUT_RATE_LIMITED: D.rate_limited++; break;
	}
	put_query(l);
	D.done++;
	if (D.count && D.done >= D.count)
		sig_stop = 1;
}

static void answer_with_error(struct qlog *l, const uint8_t local[16], unsigned rcode)
{
	uint8_t msg[DNS_HDR_LEN + DNS_NAME_MAX + 4 + DNS_OPT_RR_LEN];
	size_t n = dns_build_error(l->q, rcode, msg, sizeof(msg));

	l->rcode = (int)rcode;
	send_response(l, local, msg, n);
}

/* ---- pending back-end queries ---- */

static void pend_unlink(struct pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		D.oldest = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		D.newest = p->prev;
	p->prev = p->next = NULL;
}

/* A socket for one forwarded query: from the pool, else a new one. */
static struct bsock *bsock_get(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct bsock *bs;
	int fd, e;

	if (D.n_idle)
		return D.idle[--D.n_idle];
	fd = socket(D.backend.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return NULL;
	if (D.bs_free) {
		bs = D.bs_free;
		D.bs_free = bs->next_free;
	} else {
		bs = xmalloc(sizeof(*bs));
	}
	*bs = (struct bsock){ .fd = fd };
	ev.data.ptr = bs;
	if (connect(fd, (struct sockaddr *)&D.backend, D.backend_len) < 0 ||
	    epoll_ctl(D.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		e = errno;
		close(fd);
		bs->fd = -1;
		bs->next_free = D.bs_free;
		D.bs_free = bs;
		errno = e;
		return NULL;
	}
	D.bsock_opened++;
	return bs;
}

static void bsock_put(struct bsock *bs, bool reuse)
{
	bs->owner = NULL;
	if (reuse && ++bs->uses < BSOCK_REUSE && D.n_idle < BSOCK_IDLE_MAX) {
		D.idle[D.n_idle++] = bs;
		return;
	}
	close(bs->fd);
	bs->fd = -1;
	bs->next_free = D.bs_free;
	D.bs_free = bs;
}

static void pend_release(struct pending *p, bool reuse_socket)
{
	pend_unlink(p);
	if (p->bs)
		bsock_put(p->bs, reuse_socket);
	p->bs = NULL;
	p->next = D.free_list;
	D.free_list = p;
	D.inflight--;
}

static struct pending *pend_get(void)
{
	struct pending *p = D.free_list;

	if (!p)
		return NULL;
	D.free_list = p->next;
	p->next = NULL;
	p->prev = D.newest;
	if (D.newest)
		D.newest->next = p;
	else
		D.oldest = p;
	D.newest = p;
	if (++D.inflight > D.inflight_peak)
		D.inflight_peak = D.inflight;
	return p;
}

static void pend_fail(struct pending *p, bool timeout, const char *why)
{
	struct qlog l = { .q = &p->q, .client = &p->client, .rcode = -1, .wall = p->t_wall,
			  .backend_ms = (double)(now_mono_us() - p->t_sent) / 1000.0 };

	if (timeout)
		D.backend_timeouts++;
	else
		D.backend_errors++;
	if (timeout && D.drop_on_timeout) {
		l.outcome = OUT_DROPPED;
		l.error = why;
	} else {
		l.outcome = OUT_SERVFAIL;
		answer_with_error(&l, p->local, DNS_SERVFAIL);
		if (!timeout)
			l.note = why;
	}
	finish(&l, p->t_recv);
	pend_release(p, false);
}

static void backend_readable(struct bsock *bs)
{
	struct pending *p = bs->owner;
	struct dns_msg r;

	for (;;) {
		ssize_t n = recv(bs->fd, D.rxbuf, DNS_MSG_MAX + 1, MSG_TRUNC);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR || !p)
				return;
			pend_fail(p, false, strerror(errno));	/* ICMP unreachable: ECONNREFUSED */
			return;
		}
		if (!p) {		/* a stray datagram on an idle pooled socket */
			D.backend_mismatch++;
			continue;
		}
		if (n > DNS_UDP_MAX || dns_parse(D.rxbuf, (size_t)n, &r) != DNS_OK ||
		    !(r.flags & DNS_F_QR) || r.id != p->q.id || !dns_same_question(&p->q, &r)) {
			D.backend_mismatch++;
			continue;	/* not our answer: keep waiting for the real one */
		}
		struct qlog l = { .q = &p->q, .client = &p->client, .outcome = OUT_ANSWERED,
				  .rcode = (int)dns_rcode(&r), .wall = p->t_wall,
				  .backend_ms = (double)(now_mono_us() - p->t_sent) / 1000.0 };
		send_response(&l, p->local, D.rxbuf, (size_t)n);
		finish(&l, p->t_recv);
		pend_release(p, true);
		return;
	}
}

static void forward(struct qlog *l, const uint8_t local[16], const uint8_t *query, size_t len,
		    uint64_t t_recv)
{
	struct pending *p = pend_get();

	if (!p) {
		D.inflight_full++;
		l->outcome = OUT_DROPPED;
		l->error = "too many queries in flight (--max-inflight)";
		finish(l, t_recv);
		return;
	}
	p->q = *l->q;
	p->client = *l->client;
	memcpy(p->local, local, 16);
	p->t_recv = t_recv;
	p->t_wall = l->wall;
	p->t_sent = now_mono_us();
	p->deadline = p->t_sent + (uint64_t)D.backend_timeout_ms * 1000;
	p->bs = bsock_get();
	if (!p->bs && (errno == EMFILE || errno == ENFILE)) {
		/* No descriptor for one more back-end socket: the in-flight
		 * bound the open-file limit sets, not a back-end failure. */
		D.inflight_full++;
		pend_release(p, false);
		l->outcome = OUT_DROPPED;
		l->error = "too many queries in flight (open-file limit)";
		finish(l, t_recv);
		return;
	}
	if (!p->bs) {
		pend_fail(p, false, strerror(errno));
		return;
	}
	p->bs->owner = p;
	if (send(p->bs->fd, query, len, 0) == (ssize_t)len)
		return;
	if (p->bs->uses > 0) {
		/* A pooled socket may hold an error from long ago: one fresh try. */
		bsock_put(p->bs, false);
		p->bs = bsock_get();
		if (p->bs) {
			p->bs->owner = p;
			if (send(p->bs->fd, query, len, 0) == (ssize_t)len)
				return;
		}
	}
	pend_fail(p, false, strerror(errno));
}

static void expire_pending(uint64_t now)
{
	while (D.oldest && D.oldest->deadline <= now)
		pend_fail(D.oldest, true, "back-end timeout");
}

/* ---- admission ---- */

static bool allowed(const uint8_t a[16])
{
	struct v6_addr addr = { .family = 6 };

	if (!D.n_allow)
		return true;
	memcpy(addr.a, a, 16);
	for (unsigned i = 0; i < D.n_allow; i++)
		if (prefix_match(&D.allow[i], &addr))
			return true;
	return false;
}

/* Token bucket per client /64, burst of one second's worth (at least one
 * query).  Direct-mapped on a keyed hash: a colliding /64 takes the slot
 * over with a full bucket, which errs on the side of answering. */
static bool rate_limited_client(const uint8_t a[16], uint64_t now)
{
	struct ratelimit_slot *s;
	double burst = D.rate_qps < 1 ? 1 : D.rate_qps;
	uint32_t h = 2166136261u ^ D.rl_key;

	if (D.rate_qps <= 0)
		return false;
	for (int i = 0; i < 8; i++)
		h = (h ^ a[i]) * 16777619u;
	s = &D.rl[(h ^ h >> 16) % RL_SLOTS];
	if (!s->used || memcmp(s->net, a, 8)) {
		memcpy(s->net, a, 8);
		s->used = true;
		s->tokens = burst;
		s->last_us = now;
	}
	s->tokens += (double)(now - s->last_us) / 1e6 * D.rate_qps;
	if (s->tokens > burst)
		s->tokens = burst;
	s->last_us = now;
	if (s->tokens < 1)
		return true;
	s->tokens -= 1;
	return false;
}

/* A query in the probe zone is answered here (core/probe): a probe in
 * fragments, everything else whole.  False for names outside the zone. */
static bool answer_probe(struct qlog *l, const uint8_t local[16], uint64_t t_recv)
{
	struct probe_answer a;
	enum probe_kind k = probe_query(D.probes, l->q, l->client->sin6_addr.s6_addr, t_recv,
					D.rxbuf, DNS_MSG_MAX + 1, &a);

	if (k == PROBE_K_OUTSIDE)
		return false;
	l->rcode = (int)a.rcode;
	l->outcome = k == PROBE_K_REFUSED ? OUT_REFUSED : OUT_ANSWERED;
	if (!a.len) {
		l->rcode = -1;
		l->error = "probe answer does not fit";
		D.send_errors++;
	} else {
		send_response_as(l, local, D.rxbuf, a.len, !a.fragment);
	}
	if (a.kind == PROBE_K_PROBE)
		probe_sent(D.probes, &a, l->error ? 0 : l->sent);
	finish(l, t_recv);
	return true;
}

static void handle_query(const uint8_t *buf, size_t len, const struct sockaddr_in6 *client,
			 const uint8_t local[16])
{
	uint64_t t_recv = now_mono_us();
	struct dns_msg q;
	struct qlog l = { .q = &q, .client = client, .rcode = -1, .wall = now_wall_us(),
			  .backend_ms = -1 };
	enum dns_err e = dns_parse(buf, len, &q);
	char a[46];

	if (e != DNS_OK || q.flags & DNS_F_QR || (local[0] == 0xff)) {
		D.malformed++;
		debugmsg("datagram of %zu octets from %s: not a query (%s)", len,
			 fmt_ip6(client->sin6_addr.s6_addr, a),
			 e != DNS_OK ? dns_err_name(e) : q.flags & DNS_F_QR ? "a response" : "to multicast");
		return;
	}
	D.queries++;
	if (rate_limited_client(client->sin6_addr.s6_addr, t_recv)) {
		l.outcome = OUT_RATE_LIMITED;
		finish(&l, t_recv);
		return;
	}
	if (!allowed(client->sin6_addr.s6_addr)) {
		l.outcome = OUT_REFUSED;
		answer_with_error(&l, local, DNS_REFUSED);
		finish(&l, t_recv);
		return;
	}
	if (D.probes && answer_probe(&l, local, t_recv))
		return;
	if (D.builtin) {
		size_t n = dns_build_txt(&q, D.builtin, D.rxbuf, DNS_MSG_MAX + 1);
		struct dns_msg r;

		if (n && dns_parse(D.rxbuf, n, &r) == DNS_OK)
			l.rcode = (int)dns_rcode(&r);
		l.outcome = OUT_ANSWERED;
		send_response(&l, local, D.rxbuf, n);
		finish(&l, t_recv);
		return;
	}
	forward(&l, local, buf, len, t_recv);
}

/* Queries are read RX_BATCH at a time with recvmmsg(); after a batch the
 * loop looks at the back-end sockets and timers before reading more. */
struct rx_slot {
	struct sockaddr_in6 client;
	union {
		struct cmsghdr align;
		uint8_t b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cbuf;
	struct iovec iov;
	uint8_t buf[DNS_MSG_MAX + 1];
};

static void listener_readable(void)
{
	static struct mmsghdr mm[RX_BATCH];
	struct rx_slot *rx = D.rx;
	int n;

	for (int i = 0; i < RX_BATCH; i++) {
		rx[i].iov = (struct iovec){ .iov_base = rx[i].buf, .iov_len = sizeof(rx[i].buf) };
		mm[i].msg_hdr = (struct msghdr){ .msg_name = &rx[i].client,
						 .msg_namelen = sizeof(rx[i].client),
						 .msg_iov = &rx[i].iov, .msg_iovlen = 1,
						 .msg_control = rx[i].cbuf.b,
						 .msg_controllen = sizeof(rx[i].cbuf.b) };
	}
	n = recvmmsg(D.lfd, mm, RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			warnmsg("receive: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < n; i++) {
		struct msghdr *mh = &mm[i].msg_hdr;
		uint8_t local[16];
		bool have_local = false;

		D.datagrams++;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
			if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				memcpy(local, &pi.ipi6_addr, 16);
				have_local = true;
			}
		}
		if (!have_local || mh->msg_flags & MSG_TRUNC) {
			D.malformed++;
			continue;
		}
		handle_query(rx[i].buf, mm[i].msg_len, &rx[i].client, local);
		if (sig_stop)
			break;
	}
}

/* ---- set-up ---- */

static void open_listener(void)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(D.port) };
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_LISTEN };
	int one = 1, rcvbuf = 4 << 20;
	char a[46];

	memcpy(&sa.sin6_addr, D.listen_addr, 16);
	if (pkt_ip6_is_link_local(D.listen_addr) && D.ifname)
		sa.sin6_scope_id = if_nametoindex(D.ifname);
	D.lfd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (D.lfd < 0)
		die(EXIT_RESOURCE, "UDP socket: %s", strerror(errno));
	setsockopt(D.lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	setsockopt(D.lfd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	if (setsockopt(D.lfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(D.lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(D.lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die(EXIT_RESOURCE, "cannot listen on [%s]:%u: %s", fmt_ip6(D.listen_addr, a), D.port,
		    strerror(errno));
	if (epoll_ctl(D.ep, EPOLL_CTL_ADD, D.lfd, &ev) < 0)
		die(EXIT_RESOURCE, "epoll: %s", strerror(errno));
}

static void on_verdict(void *ctx, const struct probe_verdict *v)
{
	(void)ctx;
	probe_put_verdict(v, now_wall_us());
}

/* ICMPv6 errors about the fragments we send (core/icmperr, read by
 * core/icmpsock at most 64 per wake-up, so the loop gets back to its other
 * sockets; epoll is level-triggered: the rest wake it again). */
static void on_icmp(void *ctx, const struct icmperr_report *r)
{
	(void)ctx;
	icmperr_put(r, now_wall_us());
}

static void open_icmp(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_ICMP };
	char err[ICMPSOCK_ERRLEN];

	D.icmpfd = icmpsock_open(err);
	if (D.icmpfd < 0)
		die(EXIT_RESOURCE, "%s", err);
	if (epoll_ctl(D.ep, EPOLL_CTL_ADD, D.icmpfd, &ev) < 0)
		die(EXIT_RESOURCE, "epoll: %s", strerror(errno));
	D.icmp = icmperr_new(0, 0);
}

static unsigned count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	if (!d)
		return 8;	/* no /proc: assume a few */
	while (readdir(d))
		n++;
	closedir(d);
	return n > 3 ? n - 3 : 0;	/* ".", ".." and the directory's own fd */
}

static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && D.backend_s) {
		/* One descriptor per query in flight, beside those open now and
		 * the few set-up still opens (sender, listener, log, netlink). */
		rlim_t open_now = (rlim_t)count_open_fds(), reserve = 16, room;

		room = rl.rlim_cur > open_now + reserve ? rl.rlim_cur - open_now - reserve : 0;
		if (room < 1)
			die(EXIT_RESOURCE, "the open-file limit (%llu) leaves no descriptor for back-end "
			    "queries (raise it: ulimit -n)", (unsigned long long)rl.rlim_cur);
		if (room < (rlim_t)D.max_inflight) {
			D.max_inflight = (unsigned)room;
			warnmsg("--max-inflight lowered to %u by the open-file limit (%llu)",
				D.max_inflight, (unsigned long long)rl.rlim_cur);
		}
	}
}

static void setup(void)
{
	char err[FRAGTX_ERRLEN];
	int code = EXIT_RESOURCE;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	uint32_t mtu;

	D.ep = epoll_create1(EPOLL_CLOEXEC);
	if (D.ep < 0)
		die(EXIT_RESOURCE, "epoll: %s", strerror(errno));
	raise_fd_limit();
	if (D.gateway_auto) {
		/* Learn the router from its RAs before the daemon starts (soliciting). */
		if (nd_gateway_learn(D.ifname, 10.0, true, D.txcfg.gw_mac) < 0)
			die(EXIT_FAIL, "--gateway-mac auto: no router advertisement on %s", D.ifname);
	}
	D.txcfg.ifname = D.ifname;
	D.tx = fragtx_open(&D.txcfg, err, &code);
	if (!D.tx)
		die(code, "%s", err);
	mtu = D.mtu = fragtx_mtu(D.tx);
	fragtx_set_eh(D.tx, &D.eh);
	/* Next hops resolve in the event loop, never inline (core/nexthop). */
	if (fragtx_fd(D.tx) >= 0) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_NEXTHOP };

		if (epoll_ctl(D.ep, EPOLL_CTL_ADD, fragtx_fd(D.tx), &ev) < 0)
			die(EXIT_RESOURCE, "epoll: %s", strerror(errno));
	}
	if (mtu && D.frag_size > mtu && !D.no_fragment)
		die(EXIT_USAGE, "--frag-size %u exceeds the MTU %u of %s", D.frag_size, mtu, D.ifname);
	open_listener();
	open_icmp();
	if (D.log_path)
		em_log_open(D.log_path);
	if (D.probing) {
		char perr[128];

		memcpy(D.probe.addr, D.listen_addr, 16);
		D.probe.eh = D.eh.spec;	/* verdict lines carry the --eh SPECs */
		D.probe.on_verdict = on_verdict;
		D.probes = probe_new(&D.probe, perr);
		if (!D.probes)
			die(EXIT_USAGE, "--probe-zone: %s", perr);
	}

	D.pend = xcalloc(D.max_inflight, sizeof(*D.pend));
	for (unsigned i = D.max_inflight; i-- > 0;) {
		D.pend[i].next = D.free_list;
		D.free_list = &D.pend[i];
	}
	D.rl = xcalloc(RL_SLOTS, sizeof(*D.rl));
	v6_random(&D.rl_key, sizeof(D.rl_key));
	D.pkt = xmalloc(PKT_MAX);
	D.fragcap = FRAGBUF_MAX + (size_t)FRAG_MAX_FRAGS * D.eh.unfrag_total + D.eh.total;
	D.fragbuf = xmalloc(D.fragcap);
	D.rxbuf = xmalloc(DNS_MSG_MAX + 1);
	D.rx = xcalloc(RX_BATCH, sizeof(*D.rx));
	D.fo = xcalloc(1, sizeof(*D.fo));

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* Every socket that needs privilege is open: none is kept. */
	priv_drop(&D.user, 0);
}

static void cleanup(void)
{
	while (D.oldest)
		pend_release(D.oldest, false);
	while (D.n_idle)
		bsock_put(D.idle[--D.n_idle], false);
	while (D.bs_free) {
		struct bsock *bs = D.bs_free;

		D.bs_free = bs->next_free;
		free(bs);
	}
	free(D.pend);
	free(D.rl);
	free(D.pkt);
	free(D.fragbuf);
	free(D.rxbuf);
	free(D.rx);
	free(D.fo);
	fragtx_close(D.tx);
	probe_free(D.probes);
	icmperr_free(D.icmp);
	if (D.icmpfd >= 0)
		close(D.icmpfd);
	close(D.lfd);
	close(D.ep);
	em_log_close();
}

int dnsfrag_main(int argc, char **argv)
{
	struct epoll_event evs[64];
	sigset_t none;
	uint64_t stop_at;
	char a[46];

	parse_args(argc, argv);
	setup();
	sigemptyset(&none);
	D.t_start = now_mono_us();
	stop_at = D.run_timeout > 0 ? D.t_start + (uint64_t)(D.run_timeout * 1e6) : 0;
	if (D.listen_s || v6_verbosity > 0)
		debugmsg("listening on [%s]:%u", fmt_ip6(D.listen_addr, a), D.port);

	while (!sig_stop) {
		uint64_t now = now_mono_us(), wake = UINT64_MAX;
		int n, timeout_ms;

		if (D.oldest)
			wake = D.oldest->deadline;
		if (fragtx_deadline(D.tx) < wake)
			wake = fragtx_deadline(D.tx);
		if (D.probes && probe_next_deadline(D.probes) < wake)
			wake = probe_next_deadline(D.probes);
		if (stop_at && stop_at < wake)
			wake = stop_at;
		timeout_ms = wake == UINT64_MAX ? -1 : wake <= now ? 0 : (int)((wake - now + 999) / 1000);
		n = epoll_pwait(D.ep, evs, (int)V6_ARRAY_LEN(evs), timeout_ms, &none);
		if (n < 0 && errno != EINTR)
			die(EXIT_RESOURCE, "epoll_wait: %s", strerror(errno));
		for (int i = 0; i < n && !sig_stop; i++) {
			if (evs[i].data.u64 == TAG_LISTEN)
				listener_readable();
			else if (evs[i].data.u64 == TAG_NEXTHOP)
				fragtx_service(D.tx, now_mono_us());
			else if (evs[i].data.u64 == TAG_ICMP)
				icmpsock_drain(D.icmpfd, D.icmp, 64, on_icmp, NULL);
			else
				backend_readable(evs[i].data.ptr);
		}
		now = now_mono_us();
		expire_pending(now);
		if (D.probes)
			probe_expire(D.probes, now);
		if (fragtx_deadline(D.tx) <= now)
			fragtx_service(D.tx, now);
		if (stop_at && now >= stop_at)
			sig_stop = 1;
		if (sig_hup) {
			sig_hup = 0;
			em_log_reopen_request();
			em_log_service();
		}
		if (sig_stats) {
			sig_stats = 0;
			put_counters("stats");
		}
	}
	fragtx_finish(D.tx);
	if (D.probes)
		probe_flush(D.probes);
	put_counters("summary");
	cleanup();
	return daemon_exit_status(D.send_errors, false);
}
