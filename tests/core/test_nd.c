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

static bool maybe_ra;	/* nd_frame_maybe_ra() on the last decoded frame */

/* Decode from an exact-size heap copy so ASan catches any overread. */
static bool decode(const char *name, unsigned cut, uint8_t **keep)
{
	const struct ra_vector *v = vec(name);
	unsigned len = cut ? cut : v->len;
	uint8_t *b = malloc(len ? len : 1);
	struct pkt p;

	memcpy(b, v->data, len);
	*keep = b;
	maybe_ra = nd_frame_maybe_ra(v->dlt, b, len);
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

/* The pre-check passes every RA (behind VLAN tags and extension headers
 * too) and rejects plain non-RA traffic. */
static void test_maybe_ra(void)
{
	uint8_t *b;

	for (size_t i = 0; i < sizeof(ra_vectors) / sizeof(ra_vectors[0]); i++) {
		bool is_ra = decode(ra_vectors[i].name, 0, &b);

		CHECKF(is_ra == !!strncmp(ra_vectors[i].name, "not_ra", 6), "%s", ra_vectors[i].name);
		if (is_ra)
			CHECKF(maybe_ra, "pre-check rejects %s", ra_vectors[i].name);
		else
			CHECKF(!maybe_ra, "pre-check passes %s", ra_vectors[i].name);
		free(b);
	}
	CHECK(decode("vlan", 0, &b) && ra.has_mtu && ra.n_violations == 0);
	free(b);
	CHECK(decode("hbh", 0, &b) && ra.has_mtu && ra.router_lifetime == 600 && ra.n_violations == 0);
	free(b);
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
				CHECKF(maybe_ra, "pre-check rejects %s cut %u", ra_vectors[i].name, cut);
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
	RUN(test_maybe_ra);
	RUN(test_truncation);
	RUN(test_corruption);
	RUN(test_build_rs);
	return t_done();
}
