/* test_relay.c - unit tests for core/relay: table parsing (lines, files,
 * file:line errors), --allow parsing, every drop reason, the 6in4 and raw
 * rewrites byte for byte, outbound encapsulation, counters across reloads,
 * and every truncation of a valid frame (RFC 4213, RFC 1624). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "build.h"
#include "csum.h"
#include "emit.h"
#include "pkt.h"
#include "relay.h"
#include "t.h"

static const uint8_t TS4[4] = { 198, 51, 100, 1 };
static const uint8_t RELAY4[4] = { 192, 0, 2, 2 };
static const uint8_t HOSTA4[4] = { 192, 0, 2, 10 };
static const uint8_t RMAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t NATMAC[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t AMAC[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t BMAC[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static uint8_t TS6[16], A6[16], B6[16], X6[16];

static void addrs(void)
{
	char err[ARG_ERRLEN];

	parse_ip6("2001:db8:ffff::1", TS6, err);
	parse_ip6("2001:db8:1::a", A6, err);
	parse_ip6("2001:db8:1::b", B6, err);
	parse_ip6("2001:db8:1::99", X6, err);
}

struct mk {
	const uint8_t *osrc, *odst, *isrc, *idst;
	uint8_t ttl, hlim, proto;
	uint16_t dport;
	bool frag, bad_csum;
	int plen_delta;		/* added to the inner payload length after building */
};

/* Ethernet + IPv4 (proto 41) + IPv6 + TCP SYN or ICMPv6 echo. */
static size_t mk6in4(uint8_t *buf, size_t cap, const struct mk *m)
{
	struct wcur w;
	size_t o4, o6;
	uint16_t plen;

	wcur_init(&w, buf, cap);
	build_eth(&w, RMAC, NATMAC, BUILD_NO_VLAN, 0x0800);
	o4 = wcur_off(&w);
	build_ip4(&w, m->osrc ? m->osrc : TS4, m->odst ? m->odst : RELAY4, m->proto ? m->proto : 41,
		  m->ttl ? m->ttl : 60, 0, 0x1234, false);
	o6 = wcur_off(&w);
	build_ip6(&w, m->isrc ? m->isrc : TS6, m->idst ? m->idst : A6, m->dport ? 6 : 58,
		  m->hlim ? m->hlim : 63, 0, 0, 0);
	if (m->dport) {
		struct build_tcp t = { .sport = 40000, .dport = m->dport, .seq = 1, .flags = TCPF_SYN,
				       .win = 65535 };
		build_tcp(&w, &t, NULL, 0);
	} else {
		build_icmp6_echo(&w, 128, 7, 1, "abcdefgh", 8);
	}
	build_ip_finish(&w, o6);
	build_l4_checksum(&w, o6);
	if (m->frag)
		wcur_set_be16(&w, o4 + 6, 0x2000);
	build_ip_finish(&w, o4);
	if (m->plen_delta) {
		plen = (uint16_t)(w.base[o6 + 4] << 8 | w.base[o6 + 5]);
		wcur_set_be16(&w, o6 + 4, (uint16_t)(plen + m->plen_delta));
	}
	if (m->bad_csum)
		wcur_set_be16(&w, o4 + 10, 0xdead);
	CHECK(!w.overflow);
	return wcur_off(&w);
}

static void table_ab(struct relay_table *t)
{
	char err[256];

	relay_table_init(t);
	CHECK(relay_table_add_line(t, "2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a 6in4", 1, err, sizeof(err)));
	CHECK(relay_table_add_line(t, "2001:db8:1::b 192.0.2.11 02:00:00:00:00:0b raw", 2, err, sizeof(err)));
}

static void cfg_basic(struct relay_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->has_local = true;
	memcpy(c->local4, RELAY4, 4);
	c->has_mac = true;
	memcpy(c->mac, RMAC, 6);
}

static uint8_t out[RELAY_OUT_MAX];

static void run(const struct relay_cfg *c, const struct relay_table *t, const uint8_t *f, size_t n,
		struct relay_out *r)
{
	relay_process(c, t, V6_DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, out, r);
}

static void test_table_lines(void)
{
	struct relay_table t;
	char err[256];

	relay_table_init(&t);
	CHECK(relay_table_add_line(&t, "   # a comment", 1, err, sizeof(err)));
	CHECK(relay_table_add_line(&t, "", 2, err, sizeof(err)));
	CHECK_EQ(t.n, 0);
	CHECK(relay_table_add_line(&t, "2001:DB8::A\t192.0.2.10  02-00-00-00-00-0A  # host A", 3, err, sizeof(err)));
	CHECK(relay_table_add_line(&t, "2001:db8:2::/64,192.0.2.11,02:00:00:00:00:0b,raw", 4, err, sizeof(err)));
	CHECK_EQ(t.n, 2);
	CHECK(!strcmp(t.d[0].key, "2001:db8::a"));
	CHECK_EQ(t.d[0].mode, RELAY_MODE_6IN4);
	CHECK_EQ(t.d[0].line, 3);
	CHECK_MEM(t.d[0].mac, AMAC, 6);
	CHECK(!strcmp(t.d[1].key, "2001:db8:2::/64"));
	CHECK_EQ(t.d[1].mode, RELAY_MODE_RAW);

	CHECK(!relay_table_add_line(&t, "2001:db8::a 192.0.2.12 02:00:00:00:00:0c", 9, err, sizeof(err)));
	CHECKF(strstr(err, "duplicate") && strstr(err, "line 3"), "%s", err);
	CHECK(!relay_table_add_line(&t, "192.0.2.1 192.0.2.12 02:00:00:00:00:0c", 9, err, sizeof(err)));
	CHECKF(strstr(err, "not IPv6"), "%s", err);
	CHECK(!relay_table_add_line(&t, "zz::1 192.0.2.12 02:00:00:00:00:0c", 9, err, sizeof(err)));
	CHECKF(strstr(err, "invalid IPv6 address 'zz::1'"), "%s", err);
	CHECK(!relay_table_add_line(&t, "2001:db8::c 192.0.2.300 02:00:00:00:00:0c", 9, err, sizeof(err)));
	CHECKF(strstr(err, "invalid IPv4"), "%s", err);
	CHECK(!relay_table_add_line(&t, "2001:db8::c 192.0.2.3 02:00:00:00:00", 9, err, sizeof(err)));
	CHECKF(strstr(err, "invalid MAC"), "%s", err);
	CHECK(!relay_table_add_line(&t, "2001:db8::c 192.0.2.3 ff:ff:ff:ff:ff:ff", 9, err, sizeof(err)));
	CHECK(!relay_table_add_line(&t, "2001:db8::c 192.0.2.3 02:00:00:00:00:0c tunnel", 9, err, sizeof(err)));
	CHECKF(strstr(err, "invalid mode 'tunnel'"), "%s", err);
	CHECK(!relay_table_add_line(&t, "2001:db8::c 192.0.2.3 02:00:00:00:00:0c raw extra", 9, err, sizeof(err)));
	CHECK(!relay_table_add_line(&t, "2001:db8::c 192.0.2.3", 9, err, sizeof(err)));
	CHECK(!relay_table_add_line(&t, "ff02::1 192.0.2.3 02:00:00:00:00:0c", 9, err, sizeof(err)));
	CHECK_EQ(t.n, 2);
	relay_table_free(&t);
}

static void test_table_file(void)
{
	char path[] = "/tmp/v6kit-relay-XXXXXX";
	struct relay_table t;
	char err[512];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fprintf(f, "# relay table\n2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a 6in4\n\n"
		   "2001:db8:1::b 192.0.2.11 02:00:00:00:00:0b raw\n2001:db8:1::c 192.0.2.x 02:00:00:00:00:0c\n");
	fclose(f);
	relay_table_init(&t);
	CHECK(!relay_table_load(&t, path, err, sizeof(err)));
	{
		char want[600];
		snprintf(want, sizeof(want), "%s:5: invalid IPv4 address '192.0.2.x'", path);
		CHECKF(!strncmp(err, want, strlen(want)), "%s", err);
	}
	relay_table_free(&t);

	/* A last line cut short (being written): refused with FILE:LINE, even
	 * when what is there would parse (issue 20). */
	f = fopen(path, "w");
	fprintf(f, "2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a\n2001:db8:1::/64 192.0.2.11 02:00:00:00:00:0b");
	fclose(f);
	CHECK(!relay_table_load(&t, path, err, sizeof(err)));
	{
		char want[600];
		unsigned line;

		snprintf(want, sizeof(want), "%s:2: the last line has no newline", path);
		CHECKF(!strncmp(err, want, strlen(want)), "%s", err);
		relay_table_free(&t);
		CHECK(!relay_table_load_at(&t, path, &line, err, sizeof(err)));
		CHECK_EQ(line, 2);
		CHECKF(strstr(err, "write-then-rename") != NULL, "%s", err);
	}
	relay_table_free(&t);
	f = fopen(path, "w");
	fprintf(f, "2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a\n2001:db8:1::/64 192.0.2.11 02:00:00:00:00:0b raw\n");
	fclose(f);
	CHECK(relay_table_load(&t, path, err, sizeof(err)));
	CHECK_EQ(t.n, 2);
	CHECK_EQ(relay_table_lookup(&t, A6), 0);	/* /128 beats /64 */
	CHECK_EQ(relay_table_lookup(&t, X6), 1);
	CHECK_EQ(relay_table_lookup(&t, TS6), -1);
	relay_table_free(&t);
	unlink(path);
	CHECK(!relay_table_load(&t, path, err, sizeof(err)));
	CHECKF(strstr(err, "No such file"), "%s", err);
}

/* 65,536 lines load in linear time: the duplicate check is a hash probe,
 * for /128s and prefixes alike (it compared every earlier line: 6 s). */
static void test_table_linear(void)
{
	struct relay_table t;
	char line[128], err[256];
	uint64_t t0;

	for (int kind = 0; kind < 2; kind++) {
		relay_table_init(&t);
		t0 = now_mono_us();
		for (unsigned i = 0; i < 65536; i++) {
			if (kind == 0)
				snprintf(line, sizeof(line), "2001:db8::%x:%x 192.0.2.1 02:00:00:00:00:01\n",
					 i >> 8, i & 0xff);
			else
				snprintf(line, sizeof(line), "2001:db8:%x:%x::/64 192.0.2.1 02:00:00:00:00:01\n",
					 i >> 8, i & 0xff);
			if (!relay_table_add_line(&t, line, i + 1, err, sizeof(err))) {
				CHECKF(0, "line %u: %s", i + 1, err);
				break;
			}
		}
		CHECK_EQ(t.n, 65536);
		/* generous for a loaded 2-core machine and ASan: quadratic took 6 s */
		CHECKF(now_mono_us() - t0 < 1500000, "%s: %.3f s", kind ? "prefixes" : "/128s",
		       (double)(now_mono_us() - t0) / 1e6);
		snprintf(line, sizeof(line), kind ? "2001:db8:ff:ff::/64 192.0.2.1 02:00:00:00:00:01" :
			 "2001:db8::ff:ff 192.0.2.1 02:00:00:00:00:01");
		CHECK(!relay_table_add_line(&t, line, 70000, err, sizeof(err)));
		CHECKF(strstr(err, "first on line 65536") != NULL, "%s", err);
		relay_table_free(&t);
	}
}

/* 2000 exact entries (hash, grown several times) beside prefixes (scan). */
static void test_table_many(void)
{
	struct relay_table t;
	char line[128], err[128];
	uint8_t a[16];

	relay_table_init(&t);
	CHECK(relay_table_add_line(&t, "2001:db8:7::/48 192.0.2.1 02:00:00:00:00:01 raw", 1, err, sizeof(err)));
	for (unsigned i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "2001:db8:7::%x 192.0.2.2 02:00:00:00:%02x:%02x", i, i >> 8, i & 0xff);
		CHECK(relay_table_add_line(&t, line, i + 2, err, sizeof(err)));
	}
	CHECK(relay_table_add_line(&t, "2001:db8:7:1::/64 192.0.2.3 02:00:00:00:00:03 raw", 9999, err, sizeof(err)));
	CHECK_EQ(t.n, 2002);
	for (unsigned i = 0; i < 2000; i++) {
		snprintf(line, sizeof(line), "2001:db8:7::%x", i);
		parse_ip6(line, a, err);
		CHECKF(relay_table_lookup(&t, a) == (int)i + 1, "%s", line);
	}
	parse_ip6("2001:db8:7::ffff", a, err);
	CHECK_EQ(relay_table_lookup(&t, a), 0);		/* the /48 */
	parse_ip6("2001:db8:7:1::5", a, err);
	CHECK_EQ(relay_table_lookup(&t, a), 2001);	/* the /64 beats the /48 */
	parse_ip6("2001:db8:8::1", a, err);
	CHECK_EQ(relay_table_lookup(&t, a), -1);
	CHECK(!relay_table_add_line(&t, "2001:db8:7::7cf 192.0.2.2 02:00:00:00:00:09", 1, err, sizeof(err)));
	CHECKF(strstr(err, "first on line 2001"), "%s", err);
	relay_table_free(&t);
}

static void test_allow_parse(void)
{
	struct relay_allow *a = malloc(sizeof(*a));
	char err[256];

	CHECK(relay_allow_parse("tcp/80", a, err, sizeof(err)));
	CHECK(a->proto == 6 && !a->any && port_set_has(a->ports, 80) && !port_set_has(a->ports, 81));
	CHECK(relay_allow_parse("udp/53,8000-8010", a, err, sizeof(err)));
	CHECK(a->proto == 17 && port_set_has(a->ports, 8005) && port_set_has(a->ports, 53));
	CHECK(relay_allow_parse("icmpv6", a, err, sizeof(err)));
	CHECK(a->proto == 58 && a->any);
	CHECK(relay_allow_parse("icmpv6/128", a, err, sizeof(err)));
	CHECK(relay_allow_parse("47", a, err, sizeof(err)));
	CHECK(a->proto == 47 && a->any);
	CHECK(!relay_allow_parse("tcp/", a, err, sizeof(err)));
	CHECK(!relay_allow_parse("tcp/70000", a, err, sizeof(err)));
	CHECK(!relay_allow_parse("bogus/1", a, err, sizeof(err)));
	CHECK(!relay_allow_parse("gre/1", a, err, sizeof(err)));
	CHECK(!relay_allow_parse("icmpv6/300", a, err, sizeof(err)));
	CHECK(!relay_allow_parse("fragment", a, err, sizeof(err)));
	CHECK(!relay_allow_parse("", a, err, sizeof(err)));
	free(a);
}

static void test_relay_6in4(void)
{
	struct relay_table t;
	struct relay_cfg c;
	struct relay_out r;
	uint8_t f[256];
	struct mk m = { 0 };
	size_t n = mk6in4(f, sizeof(f), &m);
	struct pkt p;

	table_ab(&t);
	cfg_basic(&c);
	run(&c, &t, f, n, &r);
	CHECK_EQ(r.action, RELAY_SEND);
	CHECK_EQ(r.kind, RELAY_KIND_6IN4);
	CHECK_EQ(r.dest, 0);
	CHECK_EQ(r.len, n);
	CHECK_MEM(out, AMAC, 6);
	CHECK_MEM(out + 6, RMAC, 6);
	CHECK(out[12] == 0x08 && out[13] == 0);
	CHECK_EQ(out[14 + 8], 59);		/* TTL 60 - 1 */
	CHECK_MEM(out + 14 + 16, HOSTA4, 4);
	CHECK_MEM(out + 14 + 12, TS4, 4);	/* source kept: the host's tunnel peer */
	CHECK_EQ(csum_buf(out + 14, 20), 0);
	CHECK_MEM(out + 34, f + 34, n - 34);	/* inner untouched */
	CHECK(!r.why);				/* incremental update was right */
	CHECK_EQ(pkt_parse(&p, V6_DLT_EN10MB, out, (uint32_t)r.len, 0), PKT_OK);
	CHECK_EQ(p.n_ip, 2);

	/* checksum update across many TTL/id values, against a full recompute */
	for (int ttl = 2; ttl < 256; ttl += 7) {
		m.ttl = (uint8_t)ttl;
		n = mk6in4(f, sizeof(f), &m);
		run(&c, &t, f, n, &r);
		CHECK_EQ(r.action, RELAY_SEND);
		CHECK_EQ(csum_buf(out + 14, 20), 0);
		CHECK(!r.why);
	}
	relay_table_free(&t);
}

static void test_relay_raw(void)
{
	struct relay_table t;
	struct relay_cfg c;
	struct relay_out r;
	uint8_t f[256];
	struct mk m = { .idst = B6, .dport = 80 };
	size_t n = mk6in4(f, sizeof(f), &m);

	table_ab(&t);
	cfg_basic(&c);
	run(&c, &t, f, n, &r);
	CHECK_EQ(r.action, RELAY_SEND);
	CHECK_EQ(r.kind, RELAY_KIND_RAW);
	CHECK_EQ(r.len, n - 20);
	CHECK_MEM(out, BMAC, 6);
	CHECK_MEM(out + 6, RMAC, 6);
	CHECK(out[12] == 0x86 && out[13] == 0xdd);
	CHECK_EQ(out[14 + 7], 62);
	CHECK_MEM(out + 14, f + 34, 7);
	CHECK_MEM(out + 22, f + 42, n - 42);

	/* without our own MAC the frame's Ethernet destination is ours */
	c.has_mac = false;
	run(&c, &t, f, n, &r);
	CHECK_MEM(out + 6, RMAC, 6);
	relay_table_free(&t);
}

static enum relay_reason reason_of(const struct relay_cfg *c, const struct relay_table *t, const struct mk *m)
{
	uint8_t f[256];
	struct relay_out r;
	size_t n = mk6in4(f, sizeof(f), m);

	run(c, t, f, n, &r);
	CHECK_EQ(r.action, RELAY_DROP);
	return r.action == RELAY_DROP ? r.reason : RR_COUNT;
}

static void test_drops(void)
{
	static const uint8_t other4[4] = { 203, 0, 113, 9 }, mc[16] = { 0xff, 0x02, [15] = 1 },
			     lo[16] = { [15] = 1 }, unspec[16];
	struct relay_table t;
	struct relay_cfg c;
	uint8_t servers[1][4];
	struct relay_allow allow[2];
	char err[128];

	table_ab(&t);
	cfg_basic(&c);
	memcpy(servers[0], TS4, 4);
	c.servers = (const uint8_t (*)[4])servers;
	c.n_servers = 1;
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .proto = 17 }), RR_NOT_PROTO41);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .bad_csum = true }), RR_BAD_OUTER_CHECKSUM);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .frag = true }), RR_OUTER_FRAGMENT);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .osrc = other4 }), RR_TUNNEL_SERVER_MISMATCH);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .isrc = mc }), RR_BAD_INNER_SOURCE);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .isrc = lo }), RR_BAD_INNER_SOURCE);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .isrc = unspec }), RR_BAD_INNER_SOURCE);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .idst = X6 }), RR_NO_DESTINATION);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .plen_delta = 8 }), RR_TRUNCATED);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .plen_delta = -8 }), RR_BAD_INNER_HEADER);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .ttl = 1 }), RR_TTL_EXCEEDED);
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .idst = B6, .hlim = 1 }), RR_TTL_EXCEEDED);

	/* --allow icmpv6 --allow tcp/80 */
	CHECK(relay_allow_parse("icmpv6", &allow[0], err, sizeof(err)));
	CHECK(relay_allow_parse("tcp/80", &allow[1], err, sizeof(err)));
	c.allow = allow;
	c.n_allow = 2;
	CHECK_EQ(reason_of(&c, &t, &(struct mk){ .dport = 22 }), RR_NOT_ALLOWED);
	{
		uint8_t f[256];
		struct relay_out r;
		size_t n = mk6in4(f, sizeof(f), &(struct mk){ .dport = 80 });
		run(&c, &t, f, n, &r);
		CHECK_EQ(r.action, RELAY_SEND);
		n = mk6in4(f, sizeof(f), &(struct mk){ 0 });
		run(&c, &t, f, n, &r);
		CHECK_EQ(r.action, RELAY_SEND);
	}

	/* not addressed to -l: not ours, not a drop */
	{
		uint8_t f[256];
		struct relay_out r;
		size_t n = mk6in4(f, sizeof(f), &(struct mk){ .odst = other4 });
		run(&c, &t, f, n, &r);
		CHECK_EQ(r.action, RELAY_IGNORE);
		/* inner version 4 */
		n = mk6in4(f, sizeof(f), &(struct mk){ 0 });
		f[34] = 0x45;
		run(&c, &t, f, n, &r);
		CHECK_EQ(r.action, RELAY_DROP);
		CHECK_EQ(r.reason, RR_BAD_INNER_HEADER);
		/* IHL 4 */
		n = mk6in4(f, sizeof(f), &(struct mk){ 0 });
		f[14] = 0x44;
		run(&c, &t, f, n, &r);
		CHECK_EQ(r.reason, RR_BAD_OUTER_HEADER);
		/* total length beyond the frame (not a capture cut) */
		n = mk6in4(f, sizeof(f), &(struct mk){ 0 });
		run(&c, &t, f, n - 4, &r);
		CHECK_EQ(r.reason, RR_BAD_OUTER_HEADER);
		/* the same cut by the snap length */
		relay_process(&c, &t, V6_DLT_EN10MB, f, (uint32_t)n - 4, (uint32_t)n, out, &r);
		CHECK_EQ(r.reason, RR_TRUNCATED);
		/* ARP is ignored */
		f[12] = 0x08; f[13] = 0x06;
		run(&c, &t, f, n, &r);
		CHECK_EQ(r.action, RELAY_IGNORE);
	}
	relay_table_free(&t);
}

/* Every prefix of a valid frame, as a snap-length cut and as a short frame:
 * a drop, never a relay, never an out-of-bounds read (ASan). */
static void test_truncations(void)
{
	struct relay_table t;
	struct relay_cfg c;
	struct relay_out r;
	uint8_t f[256];
	size_t n = mk6in4(f, sizeof(f), &(struct mk){ .dport = 443 });

	table_ab(&t);
	cfg_basic(&c);
	for (size_t k = 0; k < n; k++) {
		uint8_t *cut = malloc(k ? k : 1);
		memcpy(cut, f, k);
		relay_process(&c, &t, V6_DLT_EN10MB, cut, (uint32_t)k, (uint32_t)n, out, &r);
		CHECKF(r.action != RELAY_SEND, "len %zu", k);
		if (k >= 14)
			CHECKF(r.action == RELAY_DROP && r.reason == RR_TRUNCATED, "len %zu reason %d", k, r.reason);
		relay_process(&c, &t, V6_DLT_EN10MB, cut, (uint32_t)k, (uint32_t)k, out, &r);
		CHECKF(r.action != RELAY_SEND, "len %zu", k);
		free(cut);
	}
	relay_table_free(&t);
}

static void test_outbound(void)
{
	struct relay_table t;
	struct relay_cfg c;
	struct relay_out r;
	uint8_t servers[1][4], f[256];
	struct wcur w;
	size_t n;

	table_ab(&t);
	cfg_basic(&c);
	memcpy(servers[0], TS4, 4);
	c.servers = (const uint8_t (*)[4])servers;
	c.n_servers = 1;
	memcpy(c.gw_mac, NATMAC, 6);

	wcur_init(&w, f, sizeof(f));
	build_eth(&w, RMAC, BMAC, BUILD_NO_VLAN, 0x86dd);
	build_ip6(&w, B6, TS6, 58, 64, 0, 0, 0);
	build_icmp6_echo(&w, 129, 7, 1, "abcdefgh", 8);
	build_ip_finish(&w, 14);
	build_l4_checksum(&w, 14);
	n = wcur_off(&w);

	run(&c, &t, f, n, &r);
	CHECK_EQ(r.action, RELAY_IGNORE);	/* needs --outbound */
	c.outbound = true;
	run(&c, &t, f, n, &r);
	CHECK_EQ(r.action, RELAY_SEND);
	CHECK_EQ(r.kind, RELAY_KIND_OUTBOUND);
	CHECK_EQ(r.len, n + 20);
	CHECK_MEM(out, NATMAC, 6);
	CHECK_MEM(out + 6, RMAC, 6);
	CHECK(out[12] == 0x08 && out[13] == 0x00);
	CHECK_EQ(out[14], 0x45);
	CHECK_EQ(out[14 + 9], 41);
	CHECK_EQ(out[14 + 6] & 0x40, 0);	/* DF clear, RFC 4213 3.2.1 */
	CHECK_MEM(out + 14 + 12, RELAY4, 4);
	CHECK_MEM(out + 14 + 16, TS4, 4);
	CHECK_EQ(csum_buf(out + 14, 20), 0);
	CHECK_EQ((out[16] << 8 | out[17]), (int)(n - 14 + 20));
	CHECK_EQ(out[34 + 7], 63);
	CHECK_MEM(r.next_hop4, TS4, 4);

	/* a 6in4-mode host, a spoofed MAC, ND to a link-local: not ours */
	f[6 + 5] = 0x0a;
	run(&c, &t, f, n, &r);
	CHECK_EQ(r.action, RELAY_IGNORE);
	f[6 + 5] = 0x0b;
	f[14 + 24] = 0xfe; f[14 + 25] = 0x80;
	run(&c, &t, f, n, &r);
	CHECK_EQ(r.action, RELAY_IGNORE);
	f[14 + 24] = 0x20; f[14 + 25] = 0x01;
	f[0] = 0x04;	/* not to our MAC */
	run(&c, &t, f, n, &r);
	CHECK_EQ(r.action, RELAY_IGNORE);
	f[0] = 0x02;
	run(&c, &t, f, n, &r);
	CHECK_EQ(r.action, RELAY_SEND);
	relay_table_free(&t);
}

static void test_stats_reload(void)
{
	struct relay_table t, t2;
	struct relay_stats s;
	struct relay_cfg c;
	struct relay_out r;
	uint8_t f[256];
	char err[128];
	size_t n = mk6in4(f, sizeof(f), &(struct mk){ 0 });

	table_ab(&t);
	cfg_basic(&c);
	relay_stats_init(&s);
	relay_stats_bind(&s, &t);
	run(&c, &t, f, n, &r);
	relay_stats_count(&s, &t, &r);
	run(&c, &t, f, n, &r);
	relay_stats_count(&s, &t, &r);
	CHECK_EQ(s.packets, 2);
	CHECK_EQ(s.dest[t.d[0].stat].n, 2);

	/* reload: a new entry first; host A keeps its counter */
	relay_table_init(&t2);
	CHECK(relay_table_add_line(&t2, "2001:db8:1::c 192.0.2.12 02:00:00:00:00:0c", 1, err, sizeof(err)));
	CHECK(relay_table_add_line(&t2, "2001:db8:1::a 192.0.2.10 02:00:00:00:00:0a", 2, err, sizeof(err)));
	relay_stats_bind(&s, &t2);
	run(&c, &t2, f, n, &r);
	relay_stats_count(&s, &t2, &r);
	CHECK_EQ(s.n_dest, 3);
	CHECK_EQ(s.dest[t2.d[1].stat].n, 3);
	CHECK(!strcmp(s.dest[t2.d[1].stat].key, "2001:db8:1::a"));
	n = mk6in4(f, sizeof(f), &(struct mk){ .bad_csum = true });
	run(&c, &t2, f, n, &r);
	relay_stats_count(&s, &t2, &r);
	CHECK_EQ(s.dropped[RR_BAD_OUTER_CHECKSUM], 1);
	CHECK(!strcmp(relay_reason_name(RR_BAD_OUTER_CHECKSUM), "bad_outer_checksum"));
	CHECK(!strcmp(relay_reason_name(RR_TUNNEL_SERVER_MISMATCH), "tunnel_server_mismatch"));
	relay_stats_free(&s);
	relay_table_free(&t);
	relay_table_free(&t2);
}

/* Reloads of a large table: one counter per distinct destination, found
 * again on every reload (and the bind stays linear: this runs in
 * milliseconds, not the seconds a pairwise search took). */
static void test_stats_many(void)
{
	struct relay_table t;
	struct relay_stats s;
	char line[96], err[128];
	int bad = 0;

	relay_stats_init(&s);
	for (int round = 0; round < 3; round++) {
		relay_table_init(&t);
		/* rounds 0 and 2 hold the same 4000; round 1 half of them and 2000 new */
		for (int i = 0; i < 4000; i++) {
			int k = round == 1 ? i + 2000 : i;
			snprintf(line, sizeof(line), "2001:db8:%x::%x 192.0.2.1 02:00:00:00:00:01", k >> 12, k & 0xfff);
			CHECK(relay_table_add_line(&t, line, (unsigned)i + 1, err, sizeof(err)));
		}
		relay_stats_bind(&s, &t);
		for (size_t i = 0; i < t.n; i++)
			bad += strcmp(s.dest[t.d[i].stat].key, t.d[i].key) != 0;
		s.dest[t.d[0].stat].n++;
		relay_table_free(&t);
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(s.n_dest, 6000);
	CHECK_EQ(s.dest[0].n, 2);	/* 2001:db8::0 counted in rounds 0 and 2 */
	relay_stats_free(&s);
}

/* Random corruption of valid frames: whatever comes out is well-formed (a
 * relayed 6in4 frame always has a valid IPv4 checksum), nothing is read out
 * of bounds (ASan), every result is one of the three actions. */
static void test_mutations(void)
{
	struct relay_table t;
	struct relay_cfg c;
	struct relay_out r;
	struct relay_allow allow;
	uint8_t servers[1][4], base[3][256], f[256];
	size_t len[3];
	uint32_t seed = 12345;
	char err[64];
	struct wcur w;

	table_ab(&t);
	cfg_basic(&c);
	memcpy(servers[0], TS4, 4);
	c.servers = (const uint8_t (*)[4])servers;
	c.n_servers = 1;
	c.outbound = true;
	relay_allow_parse("tcp/80", &allow, err, sizeof(err));
	len[0] = mk6in4(base[0], sizeof(base[0]), &(struct mk){ 0 });
	len[1] = mk6in4(base[1], sizeof(base[1]), &(struct mk){ .idst = B6, .dport = 80 });
	wcur_init(&w, base[2], sizeof(base[2]));
	build_eth(&w, RMAC, BMAC, BUILD_NO_VLAN, 0x86dd);
	build_ip6(&w, B6, TS6, 58, 64, 0, 0, 0);
	build_icmp6_echo(&w, 129, 7, 1, "abcdefgh", 8);
	build_ip_finish(&w, 14);
	len[2] = wcur_off(&w);

	for (int i = 0; i < 30000; i++) {
		int k = i % 3, flips;
		size_t n = len[k];

		memcpy(f, base[k], n);
		seed = seed * 1103515245u + 12345u;
		flips = 1 + (int)(seed >> 28) % 4;
		for (int j = 0; j < flips; j++) {
			seed = seed * 1103515245u + 12345u;
			f[(seed >> 8) % n] ^= (uint8_t)(1u << ((seed >> 4) & 7));
		}
		seed = seed * 1103515245u + 12345u;
		if (seed >> 29 == 0)
			n = (seed >> 8) % n;
		c.n_allow = (i & 4) ? 1 : 0;
		c.allow = &allow;
		relay_process(&c, &t, V6_DLT_EN10MB, f, (uint32_t)n, (uint32_t)n, out, &r);
		CHECK(r.action == RELAY_IGNORE || r.action == RELAY_DROP || r.action == RELAY_SEND);
		if (r.action == RELAY_DROP)
			CHECK(r.reason < RR_COUNT);
		if (r.action == RELAY_SEND) {
			CHECKF(r.len >= 14 + 40 && r.len <= n + 20, "i %d kind %d len %zu n %zu", i, r.kind, r.len, n);
			if (r.kind != RELAY_KIND_RAW)
				CHECKF(csum_buf(out + 14, (size_t)(out[14] & 15) * 4) == 0, "iteration %d", i);
		}
	}
	relay_table_free(&t);
}

int main(void)
{
	addrs();
	em_init(true, stdout);
	RUN(test_table_lines);
	RUN(test_table_file);
	RUN(test_table_linear);
	RUN(test_table_many);
	RUN(test_allow_parse);
	RUN(test_stats_many);
	RUN(test_relay_6in4);
	RUN(test_relay_raw);
	RUN(test_drops);
	RUN(test_truncations);
	RUN(test_outbound);
	RUN(test_stats_reload);
	RUN(test_mutations);
	return t_done();
}
