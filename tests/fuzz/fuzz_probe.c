/* fuzz_probe.c - libFuzzer harness for the probe-zone name parser and
 * answers (core/probe): any DNS message that parses is classified without
 * reading outside its name; every answer the table builds parses back with
 * the same question; a probe answer with EDNS is exactly the probe size; the
 * table's books balance (every probe name opened is open or has exactly one
 * verdict). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t verdicts;

static void on_verdict(void *ctx, const struct probe_verdict *v)
{
	(void)ctx;
	if (v->attempts == 0 || v->clients == 0 || (unsigned)v->verdict >= PROBE_V_N)
		abort();
	verdicts++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct probe_table *t;
	static uint8_t out[DNS_MSG_MAX];
	static uint64_t now;
	static const uint8_t client[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	struct probe_zone z;
	struct probe_name n;
	struct probe_answer a;
	struct dns_msg q, r;
	const char *why;
	enum probe_kind k;

	if (!t) {
		struct probe_cfg cfg = { .size = 1500, .max_probes = 64, .timeout_us = 1000000,
					 .on_verdict = on_verdict };
		char err[128];

		if (!probe_zone_parse("probe.example", &cfg.zone, &why))
			abort();
		t = probe_new(&cfg, err);
		if (!t)
			abort();
	}
	if (!probe_zone_parse("Probe.Example.", &z, &why))
		abort();
	if (dns_parse(data, size, &q) != DNS_OK)
		return 0;
	k = probe_classify(&z, &q, &n);
	if ((unsigned)k >= PROBE_K_N || n.label_len > PROBE_LABEL_MAX ||
	    (k != PROBE_K_OUTSIDE && n.zone_off + z.len != q.qname_len))
		abort();
	if ((k == PROBE_K_PROBE || k == PROBE_K_FOLLOWUP) && n.label_len == 0)
		abort();

	now += 1000 + (size > 2 ? data[size - 1] * 10000u : 0);
	k = probe_query(t, &q, client, now, out, sizeof(out), &a);
	if (k == PROBE_K_OUTSIDE) {
		if (a.len)
			abort();
	} else {
		if (!a.len || dns_parse(out, a.len, &r) != DNS_OK || !dns_same_question(&q, &r) ||
		    r.id != q.id || dns_rcode(&r) != a.rcode)
			abort();
		/* the smallest probe answer is under 400 octets: 1500 is always exact */
		if (k == PROBE_K_PROBE && a.len != 1500)
			abort();
		if (a.fragment != (k == PROBE_K_PROBE))
			abort();
		probe_sent(t, &a, 2);
	}
	{
		const struct probe_counters *c = probe_counters(t);

		if (c->verdicts[0] + c->verdicts[1] + c->verdicts[2] != verdicts ||
		    c->probes != verdicts + c->open || c->open > 64)
			abort();
	}
	return 0;
}
