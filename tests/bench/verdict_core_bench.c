/* verdict_core_bench.c - the measurement-verdict cores alone, each side by
 * side with the work it rides on, in the same run and on the same input:
 *   dns:  dns_parse + probe_query (a 1500-octet probe answer with a fresh
 *         NONCE, table insert/lookup, with a follow-up for every 4th probe)
 *         against dns_parse + dns_build_txt (dnsfrag --builtin 1500), for
 *         distinct probe names;
 *   tcp:  tcpseg_plan + tcpseg_build of 1200-octet segments (what httpfrag
 *         does per back-end segment) with and without ackt_backend +
 *         ackt_frag per piece and ackt_ack per two segments.
 * Prints operations per second and the ratio.  Never fails on speed; exits
 * 1 if a result is wrong.
 * The tcp pair runs five alternating rounds each and keeps each side's best.
 * Usage: verdict_core_bench [THOUSAND_OPS]   (default 300)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acktrack.h"
#include "build.h"
#include "dns.h"
#include "probe.h"
#include "tcpseg.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static size_t query(uint8_t *b, unsigned i, bool followup, const char *fu)
{
	struct wcur w;
	char lbl[80];
	size_t l;

	if (followup)
		snprintf(lbl, sizeof(lbl), "%s", fu);
	else
		snprintf(lbl, sizeof(lbl), "p%u", i);
	l = strlen(lbl);
	wcur_init(&w, b, 512);
	wcur_be16(&w, (uint16_t)i);
	wcur_be16(&w, DNS_F_RD);
	wcur_be16(&w, 1);
	wcur_be16(&w, 0);
	wcur_be16(&w, 0);
	wcur_be16(&w, 1);
	wcur_u8(&w, (uint8_t)l);
	wcur_bytes(&w, lbl, l);
	if (followup)
		wcur_bytes(&w, "\x02ok", 3);
	wcur_bytes(&w, "\x05probe\x07" "example\x00", 15);
	wcur_be16(&w, followup ? DNS_T_AAAA : DNS_T_A);
	wcur_be16(&w, DNS_C_IN);
	wcur_u8(&w, 0);
	wcur_be16(&w, 41);
	wcur_be16(&w, 1232);
	wcur_be32(&w, 0);
	wcur_be16(&w, 0);
	return wcur_off(&w);
}

static uint64_t verdicts;
static void on_verdict(void *ctx, const struct probe_verdict *v)
{
	(void)ctx;
	verdicts += v->verdict == PROBE_V_DELIVERED;	/* the table is smaller than n: evictions too */
}

static int bench_dns(unsigned n)
{
	static uint8_t qb[512], out[DNS_MSG_MAX];
	static const uint8_t client[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
	struct probe_cfg cfg = { .size = 1500, .max_probes = 65536, .on_verdict = on_verdict };
	struct probe_table *t;
	struct dns_msg q;
	struct probe_answer a;
	char err[128], fu[80];
	const char *why;
	double t0, t_builtin, t_probe;
	size_t sink = 0;

	probe_zone_parse("probe.example", &cfg.zone, &why);
	t = probe_new(&cfg, err);
	t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		size_t ql = query(qb, i, false, NULL);

		if (dns_parse(qb, ql, &q) != DNS_OK)
			return 1;
		sink += dns_build_txt(&q, 1500, out, sizeof(out));
	}
	t_builtin = now_s() - t0;
	if (sink != (size_t)n * 1500)
		return 1;
	t0 = now_s();
	for (unsigned i = 0; i < n; i++) {
		size_t ql = query(qb, i, false, NULL);

		if (dns_parse(qb, ql, &q) != DNS_OK ||
		    probe_query(t, &q, client, i, out, sizeof(out), &a) != PROBE_K_PROBE || a.len != 1500)
			return 1;
		if (i % 4 == 0) {	/* the CNAME target's label sits at a fixed offset */
			memcpy(fu, out + 12 + q.qname_len + 4 + 13, out[12 + q.qname_len + 4 + 12]);
			fu[out[12 + q.qname_len + 4 + 12]] = 0;
			ql = query(qb, i, true, fu);
			if (dns_parse(qb, ql, &q) != DNS_OK ||
			    probe_query(t, &q, client, i, out, sizeof(out), &a) != PROBE_K_FOLLOWUP)
				return 1;
		}
	}
	t_probe = now_s() - t0;
	if (verdicts != (n + 3) / 4)
		return 1;
	printf("dns: builtin 1500: %.0f answers/s; probe 1500 (+1 follow-up per 4): %.0f probes/s; ratio %.2f\n",
	       n / t_builtin, n / t_probe, t_builtin / t_probe);
	probe_free(t);
	return 0;
}

static int bench_tcp(unsigned n)
{
	static uint8_t pay[1200], hdr[20], out[4096];
	static const uint8_t s6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, d6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct tcpseg_piece pc[16];
	struct tcpseg_addr ad = { .sport = 80, .dport = 40000, .hop_limit = 64 };
	double times[2] = { 1e9, 1e9 };
	struct acktrack a;

	memcpy(ad.src, s6, 16);
	memcpy(ad.dst, d6, 16);
	hdr[12] = 5 << 4;
	hdr[13] = TCPF_ACK;
	/* Alternate five rounds of each and keep each one's best: on a shared
	 * machine the other jobs' bursts then hit both sides alike. */
	for (int round = 0; round < 10; round++) {
		int track = round & 1;
		uint32_t seq = 1000;
		double el;
		double t0 = now_s();
		size_t sink = 0;

		ackt_init(&a);
		ackt_backend(&a, seq - 1, 0, TCPF_SYN | TCPF_ACK);
		for (unsigned i = 0; i < n; i++) {
			struct tcpseg_seg s;
			size_t np = tcpseg_plan(sizeof(pay), 20, 1200, 256, pc, 16);

			cur_init(&s.hdr, hdr, 20);
			cur_init(&s.payload, pay, sizeof(pay));
			s.seq = seq;
			s.flags = TCPF_ACK;
			s.urg = 0;
			if (track)
				ackt_backend(&a, seq, sizeof(pay), TCPF_ACK);
			for (size_t k = 0; k < np; k++) {
				struct wcur w;
				struct tcpseg_seg sk = s;

				wcur_init(&w, out, sizeof(out));
				if (!tcpseg_build(&w, &sk, &pc[k], k == 0, k + 1 == np, &ad))
					return 1;
				sink += wcur_off(&w);
				if (track && pc[k].frag)
					ackt_frag(&a, seq + pc[k].off, pc[k].len);
			}
			seq += sizeof(pay);
			if (track && i % 2 == 1)
				ackt_ack(&a, seq, NULL);
		}
		el = now_s() - t0;
		if (el < times[track])
			times[track] = el;
		if (!sink)
			return 1;
	}
	if (ackt_verdict(&a) != ACKT_DELIVERED || a.frag_bytes != (uint64_t)n * 1200)
		return 1;
	printf("tcp: re-cut 1200-octet segments: %.0f/s; with verdict tracking: %.0f/s; ratio %.2f\n",
	       n / times[0], n / times[1], times[0] / times[1]);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned n = (argc > 1 ? (unsigned)atoi(argv[1]) : 300) * 1000u;

	if (n == 0)
		n = 1000;
	printf("# one core, shared with ~8 other jobs on a 2-core machine: compare the ratio, not the rates\n");
	if (bench_dns(n) || bench_tcp(n)) {
		fprintf(stderr, "verdict_core_bench: a result was wrong\n");
		return 1;
	}
	return 0;
}
