/* test_nd.c - the RA decoder against scapy-built RAs (tests/core/ra_vectors.h,
 * from tests/fixtures/ra/gen.py), every vector cut at every length, and the
 * RS builder parsed back through the packet parser. */
#include <stdint.h>
#include <stdlib.h>

#include <jansson.h>

#include "csum.h"
#include "emit.h"
#include "nd.h"
#include "pkt.h"
#include "t.h"
#include "ra_vectors.h"

static struct nd_ra ra;

static const struct ra_vector *vec(const char *name)
{
	for (size_t i = 0; i < sizeof(ra_vectors) / sizeof(ra_vectors[0]); i++)
		if (!strcmp(ra_vectors[i].name, name))
			return &ra_vectors[i];
	printf("# no vector %s\n", name);
	exit(2);
}

/* Decode from an exact-size heap copy so ASan catches any overread. */
static bool decode(const char *name, unsigned cut, uint8_t **keep)
{
	const struct ra_vector *v = vec(name);
	unsigned len = cut ? cut : v->len;
	uint8_t *b = malloc(len ? len : 1);
	struct pkt p;

	memcpy(b, v->data, len);
	*keep = b;
	pkt_parse(&p, v->dlt, b, len, v->len);
	return nd_ra_decode(&p, &ra);
}

static bool has_violation(const char *needle)
{
	for (unsigned i = 0; i < ra.n_violations; i++)
		if (strstr(ra.violations[i], needle))
			return true;
	return false;
}

static void test_rich(void)
{
	static const uint8_t p1[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
	static const uint8_t r48[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, 0 };
	static const uint8_t r80[16] = { 0x20, 0x01, 0x0d, 0xb8, 0xaa, 0xaa, 0xbb, 0xbb, 0xcc, 0xcc };
	static const uint8_t dns2[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x54 };
	static const uint8_t nat64[16] = { 0, 0x64, 0xff, 0x9b };
	uint8_t *b, mac[6];

	CHECK(decode("rich", 0, &b));
	CHECKF(ra.n_violations == 0, "%s", ra.violations[0]);
	CHECK(ra.checksum_checked && !ra.truncated);
	CHECK_EQ(ra.hop_limit, 64);
	CHECK(ra.managed && ra.other && !ra.home_agent && ra.proxy);
	CHECK_EQ(ra.preference, ND_PREF_HIGH);
	CHECK_EQ(ra.router_lifetime, 1800);
	CHECK_EQ(ra.reachable_time, 30000);
	CHECK_EQ(ra.retrans_timer, 1000);
	CHECK(ra.has_mac && ra.mac[5] == 0x01);
	CHECK(ra.has_slla && ra.slla_len == 6 && ra.slla[5] == 0xaa);
	CHECK(ra.has_mtu && ra.mtu == 1480);
	CHECK_EQ(ra.n_prefixes, 2);
	CHECK_MEM(ra.prefixes[0].prefix, p1, 16);
	CHECK_EQ(ra.prefixes[0].length, 64);
	CHECK(ra.prefixes[0].on_link && ra.prefixes[0].autonomous && !ra.prefixes[0].router_address);
	CHECK_EQ(ra.prefixes[0].valid_lifetime, 86400);
	CHECK_EQ(ra.prefixes[0].preferred_lifetime, 14400);
	CHECK(ra.prefixes[1].on_link && !ra.prefixes[1].autonomous && ra.prefixes[1].router_address);
	CHECK_EQ(ra.prefixes[1].valid_lifetime, ND_INFINITY);
	CHECK_EQ(ra.n_routes, 3);
	CHECK_MEM(ra.routes[0].prefix, r48, 16);
	CHECK_EQ(ra.routes[0].length, 48);
	CHECK_EQ(ra.routes[0].preference, ND_PREF_HIGH);
	CHECK_EQ(ra.routes[0].lifetime, 3600);
	CHECK_EQ(ra.routes[1].length, 0);
	CHECK_EQ(ra.routes[1].preference, ND_PREF_LOW);
	CHECK_MEM(ra.routes[2].prefix, r80, 16);
	CHECK_EQ(ra.routes[2].length, 80);
	CHECK_EQ(ra.n_rdnss, 1);
	CHECK_EQ(ra.rdnss[0].n_servers, 2);
	CHECK_MEM(ra.rdnss[0].servers[1], dns2, 16);
	CHECK_EQ(ra.rdnss[0].lifetime, 600);
	CHECK_EQ(ra.n_dnssl, 1);
	CHECK_EQ(ra.dnssl[0].n_domains, 2);
	CHECK(!strcmp(ra.names + ra.dnssl[0].domain_off[0], "example.com"));
	CHECK(!strcmp(ra.names + ra.dnssl[0].domain_off[1], "lab.example.org"));
	CHECK_EQ(ra.dnssl[0].lifetime, 1200);
	CHECK(ra.has_pref64 && ra.pref64_len == 96 && ra.pref64_lifetime == 1800);
	CHECK_MEM(ra.pref64, nat64, 16);
	CHECK(ra.has_captive && !strcmp(ra.captive_portal, "https://portal.example/api"));
	CHECK(ra.nonce && ra.nonce_len == 14 && ra.nonce[0] == 1 && ra.nonce[13] == 14);
	CHECK_EQ(ra.n_unknown, 0);
	CHECK(nd_ra_gateway_mac(&ra, mac) && mac[5] == 0xaa);
	free(b);
}

static void test_violations(void)
{
	uint8_t *b;

	CHECK(decode("zero_len_opt", 0, &b));
	CHECK(has_violation("type 5 at offset 24 has length 0"));
	CHECK(ra.has_slla && !ra.has_mtu);
	free(b);
	CHECK(decode("opt_past_end", 0, &b));
	CHECK(has_violation("extends past the end"));
	CHECK(ra.has_mtu && ra.n_prefixes == 0);
	free(b);
	CHECK(decode("bad_checksum", 0, &b));
	CHECK(has_violation("bad ICMPv6 checksum 0x1234"));
	CHECK_EQ(ra.n_violations, 1);
	free(b);
	CHECK(decode("hop_limit_64", 0, &b));
	CHECK(has_violation("hop limit 64"));
	CHECK_EQ(ra.n_violations, 1);
	free(b);
	CHECK(decode("global_source", 0, &b));
	CHECK(has_violation("not link-local"));
	CHECK_EQ(ra.n_violations, 1);
	free(b);
	CHECK(decode("code_1", 0, &b));
	CHECK(has_violation("code 1"));
	CHECK_EQ(ra.n_violations, 1);
	free(b);
	CHECK(decode("short_icmp", 0, &b));
	CHECK(has_violation("below 16"));
	free(b);
	CHECK(decode("minimal", 0, &b));
	CHECK_EQ(ra.n_violations, 0);
	CHECK(!ra.managed && !ra.other && ra.preference == ND_PREF_MEDIUM && ra.router_lifetime == 0);
	free(b);
}

static void test_unknown_then_known(void)
{
	uint8_t *b;

	CHECK(decode("unknown_then_known", 0, &b));
	CHECK_EQ(ra.n_violations, 0);
	CHECK_EQ(ra.n_unknown, 2);
	CHECK_EQ(ra.unknown[0].type, 200);
	CHECK_EQ(ra.unknown[0].length, 2);
	CHECK_EQ(ra.unknown[0].data_len, 14);
	CHECK(ra.unknown[0].data && ra.unknown[0].data[0] == 1 && ra.unknown[0].data[13] == 14);
	CHECK_EQ(ra.unknown[1].type, 253);
	CHECK(ra.has_mtu && ra.mtu == 1500);
	CHECK_EQ(ra.n_rdnss, 1);
	CHECK_EQ(ra.rdnss[0].n_servers, 3);
	CHECK_EQ(ra.rdnss[0].lifetime, ND_INFINITY);
	free(b);
}

static void test_dnssl_malformed(void)
{
	uint8_t *b;

	CHECK(decode("dnssl_pointer", 0, &b));
	CHECK(has_violation("compression pointer"));
	CHECK_EQ(ra.dnssl[0].n_domains, 1);
	CHECK(!strcmp(ra.names + ra.dnssl[0].domain_off[0], "foo"));
	CHECK(ra.has_mtu);
	free(b);
	CHECK(decode("dnssl_overrun", 0, &b));
	CHECK(has_violation("runs past"));
	CHECK_EQ(ra.dnssl[0].n_domains, 0);
	CHECK(ra.has_mtu);
	free(b);
	CHECK(decode("dnssl_escape", 0, &b));
	CHECK_EQ(ra.n_violations, 0);
	CHECK_EQ(ra.dnssl[0].n_domains, 1);
	CHECKF(!strcmp(ra.names + ra.dnssl[0].domain_off[0], "a\\.b\\001.c\\032d"), "%s",
	       ra.names + ra.dnssl[0].domain_off[0]);
	free(b);
}

static void test_links(void)
{
	uint8_t *b;

	CHECK(decode("sll", 0, &b));
	CHECK(ra.has_mac && ra.mac[5] == 0x01 && ra.has_slla);
	CHECK_EQ(ra.router_lifetime, 900);
	free(b);
	CHECK(decode("raw", 0, &b));
	CHECK(!ra.has_mac && ra.has_mtu && ra.mtu == 9000);
	CHECK_EQ(ra.n_violations, 0);
	free(b);
}

/* Every vector is classified by the one parser: RAs (behind VLAN tags and
 * extension headers too) are RAs, plain non-RA traffic is not; extension
 * headers and atomic fragments are reported in wire order (RFC 7113). */
static void test_classify(void)
{
	uint8_t *b;

	for (size_t i = 0; i < sizeof(ra_vectors) / sizeof(ra_vectors[0]); i++) {
		bool is_ra = decode(ra_vectors[i].name, 0, &b);

		CHECKF(is_ra == !!strncmp(ra_vectors[i].name, "not_ra", 6), "%s", ra_vectors[i].name);
		free(b);
	}
	CHECK(decode("vlan", 0, &b) && ra.has_mtu && ra.n_violations == 0 && ra.n_ext == 0);
	free(b);
	CHECK(decode("hbh", 0, &b) && ra.has_mtu && ra.router_lifetime == 600);
	CHECK(ra.n_ext == 1 && ra.ext[0] == 0 && ra.eh_evasion && !ra.fragmented);
	CHECK(ra.n_violations == 1 && has_violation(ND_VIOL_EH));
	/* a host's kernel takes it: still a gateway */
	CHECK(!nd_ra_host_ignores(&ra) && nd_ra_is_gateway(&ra));
	free(b);
	CHECK(decode("dst200", 0, &b) && ra.n_ext == 1 && ra.ext[0] == 60 && has_violation(ND_VIOL_EH));
	free(b);
	CHECK(decode("atomic", 0, &b) && ra.fragmented && ra.n_fragments == 1 && !ra.eh_evasion);
	CHECK(ra.n_ext == 1 && ra.ext[0] == 44 && has_violation(ND_VIOL_FRAGMENTED));
	CHECK(nd_ra_host_ignores(&ra) && !nd_ra_is_gateway(&ra));
	free(b);
}

/* ---- the stream: fragments built here from the rich RA ---- */

#define FRAME_MAX 2048

/* Ethernet + IPv6 + [HBH] + Fragment + body[a..b) of the rich RA's ICMPv6
 * message; returns the frame length. */
static unsigned frag_frame(uint8_t *f, unsigned a, unsigned b, bool more,
			   uint32_t id, bool hbh, const uint8_t src_last)
{
	const struct ra_vector *v = vec("rich");
	unsigned n = 14 + 40, plen = (hbh ? 8 : 0) + 8 + (b - a);

	memcpy(f, v->data, n);		/* Ethernet + IPv6 header of the rich RA */
	f[14 + 4] = (uint8_t)(plen >> 8);
	f[14 + 5] = (uint8_t)plen;
	f[14 + 6] = hbh ? 0 : 44;
	f[14 + 23] = src_last;		/* fe80::X */
	if (hbh) {
		static const uint8_t h[8] = { 44, 0, 1, 4, 0, 0, 0, 0 };
		memcpy(f + n, h, 8);
		n += 8;
	}
	f[n] = 58;
	f[n + 1] = 0;
	f[n + 2] = (uint8_t)(a >> 8);
	f[n + 3] = (uint8_t)((a & 0xf8) | (more ? 1 : 0));
	f[n + 4] = (uint8_t)(id >> 24);
	f[n + 5] = (uint8_t)(id >> 16);
	f[n + 6] = (uint8_t)(id >> 8);
	f[n + 7] = (uint8_t)id;
	n += 8;
	memcpy(f + n, v->data + 14 + 40 + a, b - a);
	return n + (b - a);
}

static const struct nd_ra *feed(struct nd_stream *s, const uint8_t *f, unsigned len, uint64_t ts)
{
	uint8_t *copy = malloc(len);		/* exact size: ASan sees overreads */
	const struct nd_ra *r;

	memcpy(copy, f, len);
	r = nd_stream_frame(s, V6_DLT_EN10MB, copy, len, len, ts);
	if (r)
		ra = *r;			/* borrowed pointers die with copy: not used below */
	free(copy);
	return r;
}

/* 2 and 6 fragments, in order and reversed, with and without a Hop-by-Hop
 * header: the rebuilt RA decodes exactly as the whole one does. */
static void test_stream_fragments(void)
{
	static const unsigned cuts2[] = { 0, 144, 288 }, cuts6[] = { 0, 48, 96, 144, 192, 240, 288 };
	const struct { const unsigned *cuts; unsigned n; bool reverse, hbh; } cases[] = {
		{ cuts2, 2, false, false }, { cuts6, 6, false, false },
		{ cuts6, 6, true, false }, { cuts2, 2, true, true },
	};
	uint8_t f[FRAME_MAX];

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct nd_stream *s = nd_stream_new();
		const struct nd_ra *got = NULL;

		for (unsigned j = 0; j < cases[k].n; j++) {
			unsigned i = cases[k].reverse ? cases[k].n - 1 - j : j;
			unsigned len = frag_frame(f, cases[k].cuts[i], cases[k].cuts[i + 1],
						  i + 1 < cases[k].n, 0x4242 + (uint32_t)k, cases[k].hbh, 1);

			got = feed(s, f, len, 1000 + j);
			CHECKF(!got == (j + 1 < cases[k].n), "case %zu fragment %u", k, j);
		}
		CHECKF(got != NULL, "case %zu", k);
		CHECK(ra.fragmented && ra.n_fragments == cases[k].n);
		CHECK(ra.router_lifetime == 1800 && ra.has_mtu && ra.mtu == 1480 && ra.n_prefixes == 2);
		CHECK(ra.checksum_checked && !has_violation("checksum") && !ra.truncated);
		CHECK(has_violation(ND_VIOL_FRAGMENTED));
		CHECK(ra.has_mac && ra.mac[5] == 0x01 && ra.has_slla);
		CHECK(nd_ra_host_ignores(&ra) && !nd_ra_is_gateway(&ra));
		if (cases[k].hbh)
			CHECK(ra.n_ext == 2 && ra.ext[0] == 0 && ra.ext[1] == 44 && has_violation(ND_VIOL_EH));
		else
			CHECK(ra.n_ext == 1 && ra.ext[0] == 44 && !ra.eh_evasion);
		CHECK_EQ(nd_stream_stats(s)->fragmented, 1);
		CHECK_EQ(nd_stream_stats(s)->fragments, cases[k].n);
		CHECK_EQ(nd_stream_stats(s)->reassembled, 1);
		nd_stream_free(s);
	}
}

/* RFC 5722: an overlapping set is discarded and counted, later fragments of
 * it too; an incomplete datagram is counted at the end. */
static void test_stream_overlap(void)
{
	struct nd_stream *s = nd_stream_new();
	uint8_t f[FRAME_MAX];
	unsigned len;

	len = frag_frame(f, 0, 144, true, 9, false, 1);
	CHECK(!feed(s, f, len, 1));
	len = frag_frame(f, 96, 288, false, 9, false, 1);
	CHECK(!feed(s, f, len, 2));
	len = frag_frame(f, 144, 288, false, 9, false, 1);
	CHECK(!feed(s, f, len, 3));
	CHECK_EQ(nd_stream_stats(s)->discarded[REASM_OVERLAP], 3);
	CHECK_EQ(nd_stream_stats(s)->ras, 0);
	len = frag_frame(f, 0, 144, true, 10, false, 1);
	CHECK(!feed(s, f, len, 4));
	nd_stream_finish(s);
	CHECK_EQ(nd_stream_stats(s)->discarded[REASM_TIMEOUT], 1);
	nd_stream_free(s);
}

/* 10,000 first fragments with random IDs from many sources: memory stays
 * within the limits, the overflow is counted, a whole RA among them and a
 * fragmented one completed late are still decoded. */
static void test_stream_flood(void)
{
	struct nd_stream *s = nd_stream_new();
	const struct nd_stream_stats *st = nd_stream_stats(s);
	uint8_t f[FRAME_MAX];
	uint64_t seed = 12345, dropped = 0;
	unsigned len, whole = 0;

	for (unsigned i = 0; i < 10000; i++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		len = frag_frame(f, 0, 144, true, (uint32_t)(seed >> 32), false, (uint8_t)(seed >> 20));
		feed(s, f, len, 1000 + i);
		if (i == 5000) {
			const struct ra_vector *v = vec("rich");

			whole += feed(s, v->data, v->len, 1000 + i) != NULL;
			CHECK(!ra.fragmented && ra.n_violations == 0);
		}
	}
	CHECK_EQ(whole, 1);
	for (unsigned i = 0; i < REASM_N_REASONS; i++)
		dropped += st->discarded[i];
	CHECKF(dropped > 0 && st->discarded[REASM_LIMIT_DATAGRAMS] + st->discarded[REASM_LIMIT_BYTES] +
	       st->discarded[REASM_LIMIT_SOURCE] == dropped, "dropped %llu", (unsigned long long)dropped);
	CHECKF(st->held_bytes_max <= ND_REASM_BYTES, "%zu", st->held_bytes_max);
	CHECK_EQ(st->fragments, 10000);
	CHECK_EQ(st->reassembled, 0);
	/* once the flood has timed out (60 s), an RA in 2 fragments gets through */
	len = frag_frame(f, 0, 144, true, 77, false, 1);
	feed(s, f, len, 62000000);
	len = frag_frame(f, 144, 288, false, 77, false, 1);
	CHECK(feed(s, f, len, 62000001) != NULL && ra.fragmented && ra.mtu == 1480);
	CHECK(st->discarded[REASM_TIMEOUT] > 0);
	nd_stream_free(s);
}

/* The summary fields render in JSON as SPEC names them. */
static void test_stream_emit(void)
{
	struct nd_stream *s = nd_stream_new();
	uint8_t f[FRAME_MAX];
	char line[4096];
	FILE *sink = tmpfile();
	json_t *o;
	unsigned len = frag_frame(f, 0, 144, true, 3, false, 1);

	feed(s, f, len, 1);
	len = frag_frame(f, 96, 288, false, 3, false, 1);
	feed(s, f, len, 2);
	em_init(true, sink);
	em_begin("summary");
	nd_stream_emit_stats(nd_stream_stats(s));
	em_end();
	em_init(false, stdout);
	rewind(sink);
	CHECK(fgets(line, sizeof(line), sink) != NULL);
	o = json_loads(line, 0, NULL);
	CHECKF(o && json_integer_value(json_object_get(json_object_get(json_object_get(o, "fragments"), "discarded"),
						       "overlap")) == 2, "%s", line);
	CHECK(o && json_integer_value(json_object_get(o, "fragmented")) == 0);
	json_decref(o);
	fclose(sink);
	nd_stream_free(s);
}

/* Every vector cut at every length: no crash, no overread (ASan), and a
 * cut message is reported as truncated rather than decoded as complete. */
static void test_truncation(void)
{
	for (size_t i = 0; i < sizeof(ra_vectors) / sizeof(ra_vectors[0]); i++) {
		for (unsigned cut = 1; cut < ra_vectors[i].len; cut++) {
			uint8_t *b;

			if (decode(ra_vectors[i].name, cut, &b)) {
				CHECKF(ra.truncated && has_violation("truncated"), "%s cut %u",
				       ra_vectors[i].name, cut);
			}
			free(b);
		}
	}
}

/* Random corruption of the ICMPv6 part of every vector (checksum left as
 * is, so the rest of the decoder is reached), each decoded and emitted in
 * both renderings: no crash, no overread (ASan), output valid JSON. */
static void test_corruption(void)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	for (int json = 0; json < 2; json++) {
		FILE *sink = tmpfile();
		char line[65536];
		unsigned records = 0;

		em_init(json, sink);
		for (size_t i = 0; i < sizeof(ra_vectors) / sizeof(ra_vectors[0]); i++) {
			const struct ra_vector *v = &ra_vectors[i];

			for (int round = 0; round < 400; round++) {
				uint8_t *b = malloc(v->len);
				struct pkt p;
				unsigned start, flips;

				memcpy(b, v->data, v->len);
				pkt_parse(&p, v->dlt, b, v->len, v->len);
				start = p.l4 == 58 ? p.l4_off + 4 : 0;
				seed = seed * 6364136223846793005ull + 1442695040888963407ull;
				flips = 1 + (unsigned)(seed >> 60);
				for (unsigned k = 0; k < flips && start < v->len; k++) {
					seed = seed * 6364136223846793005ull + 1442695040888963407ull;
					b[start + (seed >> 33) % (v->len - start)] = (uint8_t)(seed >> 24);
				}
				pkt_parse(&p, v->dlt, b, v->len, v->len);
				if (nd_ra_decode(&p, &ra)) {
					CHECK(ra.n_violations <= ND_MAX_VIOL);
					nd_ra_emit(&ra, 0);
				}
				free(b);
			}
		}
		em_init(false, stdout);
		rewind(sink);
		while (json && fgets(line, sizeof(line), sink)) {
			json_t *o = json_loads(line, 0, NULL);

			CHECKF(o && json_is_string(json_object_get(o, "type")) &&
			       json_is_array(json_object_get(o, "violations")), "%.200s", line);
			json_decref(o);
			records++;
		}
		if (json)
			CHECK(records > 1000);
		fclose(sink);
	}
}

static void test_build_rs(void)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 0x42 };
	static const uint8_t ll[16] = { 0xfe, 0x80, [15] = 0x42 };
	static const uint8_t none[16];
	uint8_t f[128];
	struct pkt p;
	size_t n = nd_build_rs(f, sizeof(f), mac, ll);
	uint32_t sum;

	CHECK_EQ(n, 14 + 40 + 16);
	CHECK_EQ(pkt_parse(&p, 1, f, (uint32_t)n, (uint32_t)n), PKT_OK);
	CHECK(p.l4 == 58 && p.icmp_type == 133 && p.icmp_code == 0);
	CHECK_EQ(p.ip[0].ttl, 255);
	CHECK(f[0] == 0x33 && f[1] == 0x33 && f[5] == 2);
	CHECK(f[14 + 40 + 8] == 1 && f[14 + 40 + 9] == 1 && f[14 + 40 + 15] == 0x42);
	sum = csum_pseudo6(p.ip[0].src, p.ip[0].dst, 58, 16);
	CHECK_EQ(csum_fold(csum_partial(f + 54, 16, sum)), 0);
	n = nd_build_rs(f, sizeof(f), mac, none);
	CHECK_EQ(n, 14 + 40 + 8);
	CHECK_EQ(nd_build_rs(f, 40, mac, ll), 0);
}

int main(void)
{
	RUN(test_rich);
	RUN(test_violations);
	RUN(test_unknown_then_known);
	RUN(test_dnssl_malformed);
	RUN(test_links);
	RUN(test_classify);
	RUN(test_stream_fragments);
	RUN(test_stream_overlap);
	RUN(test_stream_flood);
	RUN(test_stream_emit);
	RUN(test_truncation);
	RUN(test_corruption);
	RUN(test_build_rs);
	return t_done();
}
