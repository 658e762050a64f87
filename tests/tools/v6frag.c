/* v6frag.c - test tool for the fragmentation engine: build a UDP or TCP IPv6
 * packet (RFC 8200, RFC 768, RFC 9293) with optional Hop-by-Hop and
 * Destination Options headers, cut it with core/frag under a plan given on
 * the command line, and send the fragments (core/pio AF_PACKET) or write
 * them to a pcap; or read a capture and reassemble it with core/reasm.
 *
 *   v6frag --src A --dst B [-i IF --dst-mac MAC] [-w FILE] [--orig FILE]
 *          [--proto udp|tcp] [--tcp-hlen 20|32|40] [--tcp-flags S|SA|PA..]
 *          [--sport N] [--dport N] [--seq N] [--payload-len N | --payload-file F]
 *          [--hbh] [--rthdr] [--dstopts] [--max N] [--first N] [--trailing N] [--min N]
 *          [--order in|reverse|random] [--id random|sequential|N] [--atomic]
 *          [--rfc7112] [--count N] [--interleave N] [--raw] [--overlap]
 *   v6frag --reassemble FILE [-w OUT] [--timeout SEC]
 *
 * --overlap moves every fragment but the first 8 octets back (the seed's
 * offset bug): a negative control that receivers must discard (RFC 5722).
 * --interleave N emits batches of N datagrams fragment-wise (the first
 * fragment of each, then the second...), so N datagrams are in progress at
 * once for the reassembler.  Sending prints one line per datagram: "id ID fragments N sizes S1,S2,...".
 * --reassemble prints "fragments F datagrams D discarded X not_fragments N
 * elapsed_s T fragments_per_s R" and writes each reassembled datagram (raw
 * IP) to OUT.  Exit 0 ok, 1 plan refused or send failed, 2 usage, 3 resource.
 * Not part of v6kit: labs and benchmarks use it.
 */
#include "args.h"
#include "build.h"
#include "frag.h"
#include "netlink.h"
#include "pio.h"
#include "pkt.h"
#include "reasm.h"
#include "util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: v6frag --src A --dst B [-i IF --dst-mac MAC] [-w FILE] [--orig FILE]\n"
		"              [--proto udp|tcp] [--tcp-hlen 20|32|40] [--tcp-flags S|SA|PA]\n"
		"              [--sport N] [--dport N] [--seq N] [--payload-len N | --payload-file F]\n"
		"              [--hbh] [--rthdr] [--dstopts] [--max N] [--first N] [--trailing N] [--min N]\n"
		"              [--order in|reverse|random] [--id random|sequential|N] [--atomic]\n"
		"              [--rfc7112] [--count N] [--interleave N] [--raw] [--overlap]\n"
		"       v6frag --reassemble FILE [-w OUT] [--timeout SEC]\n");
	exit(code);
}

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int reassemble(const char *in, const char *outf, uint64_t timeout_us)
{
	struct pio_in *pi = pio_open_offline(in);
	struct pio_dump *d = outf ? pio_dump_open(outf, V6_DLT_RAW, 0, 0) : NULL;
	struct reasm *r = reasm_new(&(struct reasm_limits){ .timeout_us = timeout_us });
	struct pio_frame f;
	struct reasm_stats st;
	uint64_t tag = 0, notfrag = 0, discarded = 0, incomplete_chain = 0;
	int dlt = pio_dlt(pi), rc;
	double t0 = mono_s(), el;
	struct pkt p;

	while ((rc = pio_next(pi, &f)) == 1) {
		struct reasm_result res;
		enum reasm_status s;
		int layer;

		tag++;
		pkt_parse(&p, dlt, f.data, f.caplen, f.wirelen);
		layer = reasm_frag_layer(&p);
		if (layer < 0) {
			notfrag++;
			continue;
		}
		s = reasm_add(r, &p, (unsigned)layer, pio_frame_us(&f), tag, &res);
		if (s == REASM_DISCARD)
			discarded++;
		else if (s == REASM_NOT_FRAGMENT)
			notfrag++;
		if (s == REASM_DONE) {
			incomplete_chain += res.reason == REASM_INCOMPLETE_CHAIN;
			if (d) {
				struct pio_frame o = { .data = res.data, .caplen = (uint32_t)res.len,
						       .wirelen = (uint32_t)res.len, .ts_sec = f.ts_sec,
						       .ts_nsec = f.ts_nsec };
				pio_dump_write(d, &o);
			}
		}
		if ((tag & 1023) == 0)
			reasm_expire(r, pio_frame_us(&f), false, NULL, NULL);
	}
	if (rc < 0)
		warnmsg("%s: %s", in, pio_error(pi));
	reasm_expire(r, 0, true, NULL, NULL);
	el = mono_s() - t0;
	reasm_get_stats(r, &st);
	printf("fragments %llu datagrams %llu discarded %llu not_fragments %llu timeout %llu "
	       "incomplete_chain %llu duplicates %llu elapsed_s %.6f fragments_per_s %.0f\n",
	       (unsigned long long)st.fragments, (unsigned long long)st.datagrams_done,
	       (unsigned long long)discarded, (unsigned long long)notfrag,
	       (unsigned long long)st.reason[REASM_TIMEOUT], (unsigned long long)incomplete_chain,
	       (unsigned long long)st.duplicates, el, el > 0 ? (double)st.fragments / el : 0.0);
	reasm_free(r);
	pio_close(pi);
	if (d && pio_dump_close(d))
		die(EXIT_FAIL, "writing %s failed", outf);
	return rc < 0 ? EXIT_FAIL : EXIT_OK;
}

/* Options header (type given by the caller's Next Header) of 8 octets: one PadN. */
static void opts_hdr(struct wcur *w, uint8_t next)
{
	static const uint8_t padn[6] = { 1, 4, 0, 0, 0, 0 };

	wcur_u8(w, next);
	wcur_u8(w, 0);
	wcur_bytes(w, padn, sizeof(padn));
}

static uint8_t tcp_flags_parse(const char *s)
{
	uint8_t f = 0;

	for (; *s; s++) {
		switch (*s) {
		case 'S': f |= TCPF_SYN; break;
		case 'A': f |= TCPF_ACK; break;
		case 'P': f |= TCPF_PSH; break;
		case 'F': f |= TCPF_FIN; break;
		case 'R': f |= TCPF_RST; break;
		default: die_usage("invalid --tcp-flags value '%s': letters S A P F R", s);
		}
	}
	return f;
}

/* Insert a 24-octet Routing header (experimental type 253, RFC 4727) with
 * Segments Left 0 after the IPv6 header or the Hop-by-Hop header: a node
 * ignores it and goes on (RFC 8200 §4.4), but it makes the headers before it
 * the unfragmentable part (§4.5).  The final destination is unchanged, so is
 * the transport checksum computed before. */
static size_t insert_rthdr(uint8_t *pkt, size_t len, size_t cap, bool after_hbh)
{
	size_t at = after_hbh ? 48 : 40, nh_pos = after_hbh ? 40 : 6;
	struct wcur w;
	uint8_t rt[24] = { 0, 2, 253, 0 };
	uint16_t plen = 0;
	struct cur c;

	if (len + 24 > cap)
		die(EXIT_USAGE, "no room for a Routing header");
	cur_init(&c, pkt, len);
	cur_peek_u8(&c, nh_pos, &rt[0]);
	cur_peek_be16(&c, 4, &plen);
	rt[8] = 0x20; rt[9] = 0x01; rt[10] = 0x0d; rt[11] = 0xb8; rt[23] = 0x99;
	memmove(pkt + at + 24, pkt + at, len - at);
	wcur_init(&w, pkt, cap);
	wcur_set_u8(&w, nh_pos, 43);
	wcur_set_be16(&w, 4, (uint16_t)(plen + 24));
	w.p = pkt + at;
	wcur_bytes(&w, rt, sizeof(rt));
	return len + 24;
}

struct emitter {
	struct pio_tx *tx;
	struct pio_dump *dump;
	bool raw;
	uint8_t dmac[6], smac[6];
	uint8_t *frame;
	uint64_t t_us;
	int rc;
};

/* Send and/or write one IPv6 packet, in an Ethernet frame unless --raw. */
static void emit(struct emitter *em, const uint8_t *ip, size_t len)
{
	struct wcur fw;

	wcur_init(&fw, em->frame, 65600 + BUILD_ETH_LEN);
	if (!em->raw)
		build_eth(&fw, em->dmac, em->smac, BUILD_NO_VLAN, 0x86dd);
	wcur_bytes(&fw, ip, len);
	if (em->tx) {
		int err = pio_tx_send(em->tx, em->frame, wcur_off(&fw));
		if (err) {
			warnmsg("send failed: %s", strerror(-err));
			em->rc = EXIT_FAIL;
		}
	}
	if (em->dump) {
		struct pio_frame o = { .data = em->frame, .caplen = (uint32_t)wcur_off(&fw),
				       .wirelen = (uint32_t)wcur_off(&fw), .ts_sec = (int64_t)(em->t_us / 1000000),
				       .ts_nsec = (uint32_t)(em->t_us % 1000000) * 1000 };
		pio_dump_write(em->dump, &o);
	}
	em->t_us++;
}

struct held {
	unsigned rank;	/* emission index within its datagram */
	size_t seq, off, len;
};

static int held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int main(int argc, char **argv)
{
	enum { O_SRC = 256, O_DST, O_DMAC, O_ORIG, O_PROTO, O_THLEN, O_TFLAGS, O_SPORT, O_DPORT, O_SEQ,
	       O_PLEN, O_PFILE, O_HBH, O_DSTOPTS, O_MAX, O_FIRST, O_TRAIL, O_MIN, O_ORDER, O_ID,
	       O_ATOMIC, O_7112, O_COUNT, O_RAW, O_REASM, O_TIMEOUT, O_INTERLEAVE, O_RTHDR, O_OVERLAP };
	static const struct option lo[] = {
		{ "interface", required_argument, 0, 'i' }, { "write", required_argument, 0, 'w' },
		{ "src", required_argument, 0, O_SRC }, { "dst", required_argument, 0, O_DST },
		{ "dst-mac", required_argument, 0, O_DMAC }, { "orig", required_argument, 0, O_ORIG },
		{ "proto", required_argument, 0, O_PROTO }, { "tcp-hlen", required_argument, 0, O_THLEN },
		{ "tcp-flags", required_argument, 0, O_TFLAGS }, { "sport", required_argument, 0, O_SPORT },
		{ "dport", required_argument, 0, O_DPORT }, { "seq", required_argument, 0, O_SEQ },
		{ "payload-len", required_argument, 0, O_PLEN }, { "payload-file", required_argument, 0, O_PFILE },
		{ "hbh", no_argument, 0, O_HBH }, { "rthdr", no_argument, 0, O_RTHDR },
		{ "overlap", no_argument, 0, O_OVERLAP }, { "dstopts", no_argument, 0, O_DSTOPTS },
		{ "max", required_argument, 0, O_MAX }, { "first", required_argument, 0, O_FIRST },
		{ "trailing", required_argument, 0, O_TRAIL }, { "min", required_argument, 0, O_MIN },
		{ "order", required_argument, 0, O_ORDER }, { "id", required_argument, 0, O_ID },
		{ "atomic", no_argument, 0, O_ATOMIC }, { "rfc7112", no_argument, 0, O_7112 },
		{ "count", required_argument, 0, O_COUNT }, { "raw", no_argument, 0, O_RAW },
		{ "interleave", required_argument, 0, O_INTERLEAVE },
		{ "reassemble", required_argument, 0, O_REASM }, { "timeout", required_argument, 0, O_TIMEOUT },
		{ "help", no_argument, 0, 'h' }, { 0 },
	};
	const char *ifname = NULL, *wfile = NULL, *origf = NULL, *pfile = NULL, *reasm_in = NULL;
	uint8_t src[16], dst[16], dmac[6] = { 0 }, smac[6] = { 0 };
	bool have_src = false, have_dst = false, hbh = false, rthdr = false, overlap = false, dstopts = false, tcp = false, raw = false;
	unsigned thlen = 20;
	uint8_t tflags = TCPF_SYN;
	uint16_t sport = 40000, dport = 9;
	uint32_t seq;
	uint64_t plen = 1000, count = 1, timeout_us = 60000000, interleave = 1;
	struct held *held = NULL;
	size_t n_held = 0, held_cap = 0, pool_len = 0, pool_cap = 0;
	uint8_t *pool = NULL;
	struct frag_plan plan;
	struct frag_idgen idgen = { 0 };
	uint8_t *payload, *pkt;
	int c;

	v6_applet = "v6frag";
	frag_plan_init(&plan);
	v6_random(&seq, sizeof(seq));
	while ((c = getopt_long(argc, argv, "i:w:h", lo, NULL)) != -1) {
		switch (c) {
		case 'i': ifname = optarg; break;
		case 'w': wfile = optarg; break;
		case O_SRC: arg_ip6("src", optarg, src); have_src = true; break;
		case O_DST: arg_ip6("dst", optarg, dst); have_dst = true; break;
		case O_DMAC: arg_mac("dst-mac", optarg, dmac); break;
		case O_ORIG: origf = optarg; break;
		case O_PROTO:
			if (!strcmp(optarg, "tcp"))
				tcp = true;
			else if (strcmp(optarg, "udp"))
				die_usage("invalid --proto value '%s': udp or tcp", optarg);
			break;
		case O_THLEN: thlen = (unsigned)arg_uint("tcp-hlen", optarg, 20, 60); break;
		case O_TFLAGS: tflags = tcp_flags_parse(optarg); break;
		case O_SPORT: sport = (uint16_t)arg_uint("sport", optarg, 1, 65535); break;
		case O_DPORT: dport = (uint16_t)arg_uint("dport", optarg, 1, 65535); break;
		case O_SEQ: seq = (uint32_t)arg_uint("seq", optarg, 0, UINT32_MAX); break;
		case O_PLEN: plen = arg_uint("payload-len", optarg, 0, 65400); break;
		case O_PFILE: pfile = optarg; break;
		case O_HBH: hbh = true; break;
		case O_RTHDR: rthdr = true; break;
		case O_OVERLAP: overlap = true; break;
		case O_DSTOPTS: dstopts = true; break;
		case O_MAX: plan.max_size = (uint32_t)arg_uint("max", optarg, 0, 65575); break;
		case O_FIRST: plan.first_size = (uint32_t)arg_uint("first", optarg, 0, 65535); break;
		case O_TRAIL: plan.trailing = (uint32_t)arg_uint("trailing", optarg, 0, 65535); break;
		case O_MIN: plan.min_frags = (unsigned)arg_uint("min", optarg, 0, FRAG_MAX_FRAGS); break;
		case O_ORDER: {
			int o = frag_order_parse(optarg);
			if (o < 0)
				die_usage("invalid --order value '%s': in, reverse or random", optarg);
			plan.order = (enum frag_order)o;
			break;
		}
		case O_ID:
			if (!strcmp(optarg, "random")) {
				plan.id_policy = FRAG_ID_RANDOM;
			} else if (!strcmp(optarg, "sequential")) {
				plan.id_policy = FRAG_ID_SEQUENTIAL;
				plan.idgen = &idgen;
			} else {
				plan.id_policy = FRAG_ID_FIXED;
				plan.fixed_id = (uint32_t)arg_uint("id", optarg, 0, UINT32_MAX);
			}
			break;
		case O_ATOMIC: plan.atomic = true; break;
		case O_7112: plan.rfc7112 = true; break;
		case O_COUNT: count = arg_uint("count", optarg, 1, 100000000); break;
		case O_RAW: raw = true; break;
		case O_INTERLEAVE: interleave = arg_uint("interleave", optarg, 1, 1000000); break;
		case O_REASM: reasm_in = optarg; break;
		case O_TIMEOUT: timeout_us = (uint64_t)(arg_double("timeout", optarg, 0.001, 86400) * 1e6); break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (reasm_in)
		return reassemble(reasm_in, wfile, timeout_us);
	if (!have_src || !have_dst)
		die_usage("--src and --dst are required");
	if (!ifname && !wfile)
		die_usage("give -i IF (send) or -w FILE (write)");
	if (tcp && (thlen % 4 || thlen < 20))
		die_usage("--tcp-hlen must be a multiple of 4 from 20 to 60");

	if (pfile) {
		FILE *fp = fopen(pfile, "rb");
		if (!fp)
			die(EXIT_USAGE, "cannot open %s", pfile);
		payload = xmalloc(65536);
		plen = fread(payload, 1, 65400, fp);
		fclose(fp);
	} else {
		payload = xmalloc(plen ? plen : 1);
		for (uint64_t i = 0; i < plen; i++)
			payload[i] = (uint8_t)(i * 7 + 3);
	}

	/* the whole packet, checksummed before it is cut */
	size_t cap = 40 + 16 + 24 + 60 + plen + 64, len;
	struct wcur w;
	pkt = xmalloc(cap);
	wcur_init(&w, pkt, cap);
	uint8_t proto = tcp ? 6 : 17;
	build_ip6(&w, src, dst, hbh ? 0 : dstopts ? 60 : proto, 64, 0, 0, 0);
	if (hbh)
		opts_hdr(&w, dstopts ? 60 : proto);
	if (dstopts)
		opts_hdr(&w, proto);
	if (tcp) {
		uint8_t opts[40] = { 2, 4, 0x05, 0xb4 };	/* MSS 1460, then NOPs */
		for (unsigned i = 4; i < thlen - 20; i++)
			opts[i] = 1;
		struct build_tcp t = { .sport = sport, .dport = dport, .seq = seq, .ack = 0, .flags = tflags,
				       .win = 65535, .opts = opts, .optlen = thlen - 20 };
		build_tcp(&w, &t, payload, plen);
	} else {
		build_udp(&w, sport, dport, payload, plen);
	}
	if (w.overflow || !build_ip_finish(&w, 0) || !build_l4_checksum(&w, 0))
		die(EXIT_USAGE, "packet does not fit (payload %llu octets)", (unsigned long long)plen);
	len = wcur_off(&w);
	if (rthdr)
		len = insert_rthdr(pkt, len, cap, hbh);

	struct pio_tx *tx = NULL;
	struct pio_dump *dump = NULL, *odump = NULL;
	int rc = EXIT_OK;
	if (ifname) {
		int ifindex = nl_ifindex(ifname);
		if (ifindex < 0 || nl_ifmac(ifindex, smac) < 0)
			die(EXIT_RESOURCE, "%s", nl_error());
		tx = pio_tx_open(ifname, PIO_TX_PACKET);
	}
	if (wfile)
		dump = pio_dump_open(wfile, raw ? V6_DLT_RAW : V6_DLT_EN10MB, 0, 0);
	if (origf)
		odump = pio_dump_open(origf, V6_DLT_RAW, 0, 0);

	static struct frag_out fo;
	struct emitter em = { .tx = tx, .dump = dump, .raw = raw, .t_us = now_wall_us() };
	memcpy(em.dmac, dmac, 6);
	memcpy(em.smac, smac, 6);
	em.frame = xmalloc(65600 + BUILD_ETH_LEN);
	fo.cap = frag_out_need(pkt, len);
	fo.buf = xmalloc(fo.cap);
	for (uint64_t k = 0; k < count; k++) {
		if (frag_split(pkt, len, &plan, &fo)) {
			warnmsg("plan refused: %s", fo.err);
			rc = EXIT_FAIL;
			break;
		}
		if (odump) {
			struct pio_frame o = { .data = pkt, .caplen = (uint32_t)len, .wirelen = (uint32_t)len,
					       .ts_sec = (int64_t)(em.t_us / 1000000),
					       .ts_nsec = (uint32_t)(em.t_us % 1000000) * 1000 };
			pio_dump_write(odump, &o);
		}
		for (unsigned e = 0; overlap && e < fo.n; e++) {
			struct wcur pw;
			if (!fo.piece[e].frag_off)
				continue;
			wcur_init(&pw, fo.buf + fo.piece[e].off, fo.piece[e].len);
			wcur_set_be16(&pw, fo.unfrag_len + 2,
				      (uint16_t)((fo.piece[e].frag_off - 8) | fo.piece[e].more));
		}
		if (count <= 100) {
			printf("id %u fragments %u sizes ", fo.id, fo.n);
			for (unsigned e = 0; e < fo.n; e++)
				printf("%s%u", e ? "," : "", fo.piece[e].len);
			printf("\n");
		}
		for (unsigned e = 0; e < fo.n; e++) {
			if (interleave <= 1) {
				emit(&em, fo.buf + fo.piece[e].off, fo.piece[e].len);
				continue;
			}
			if (n_held == held_cap) {
				held_cap = held_cap ? held_cap * 2 : 1024;
				held = xrealloc(held, held_cap * sizeof(*held));
			}
			if (pool_len + fo.piece[e].len > pool_cap) {
				pool_cap = (pool_len + fo.piece[e].len) * 2;
				pool = xrealloc(pool, pool_cap);
			}
			memcpy(pool + pool_len, fo.buf + fo.piece[e].off, fo.piece[e].len);
			held[n_held++] = (struct held){ .rank = e, .seq = n_held, .off = pool_len, .len = fo.piece[e].len };
			pool_len += fo.piece[e].len;
		}
		/* a batch of `interleave` datagrams goes out fragment 1 of each, then 2 of each... */
		if (interleave > 1 && ((k + 1) % interleave == 0 || k + 1 == count)) {
			qsort(held, n_held, sizeof(*held), held_cmp);
			for (size_t i = 0; i < n_held; i++)
				emit(&em, pool + held[i].off, held[i].len);
			n_held = 0;
			pool_len = 0;
		}
	}
	rc = em.rc ? em.rc : rc;
	free(held);
	free(pool);
	free(em.frame);
	if (tx)
		pio_tx_close(tx);
	if (dump && pio_dump_close(dump))
		die(EXIT_RESOURCE, "writing %s failed", wfile);
	if (odump && pio_dump_close(odump))
		die(EXIT_RESOURCE, "writing %s failed", origf);
	free(fo.buf);
	free(pkt);
	free(payload);
	return rc;
}
