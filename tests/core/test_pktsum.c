/* test_pktsum.c - checksum verification and repair against scapy-built
 * packets (tests/core/pkt_vectors.h, all with correct checksums): every check
 * good; each field corrupted in turn is found bad with the original value as
 * the computed one, and fixing restores the exact bytes; every truncation of
 * every vector reports no bad checksum and reads nothing outside the frame. */
#include <stdint.h>
#include <stdlib.h>

#include "csum.h"
#include "pkt.h"
#include "pktsum.h"
#include "t.h"
#include "util.h"
#include "pkt_vectors.h"

static const struct pkt_vector *vec(const char *name)
{
	for (size_t i = 0; i < sizeof(pkt_vectors) / sizeof(pkt_vectors[0]); i++)
		if (!strcmp(pkt_vectors[i].name, name))
			return &pkt_vectors[i];
	printf("# no vector %s\n", name);
	exit(2);
}

/* Expected checks (layers, outermost first) of each vector; -1 ends. */
static const struct {
	const char *name;
	int layers[4];
	int skip;
} expect[] = {
	{ "eth_ip4_tcp_opts", { PKTSUM_IPV4, PKTSUM_TCP, -1 }, PKTSUM_SKIP_NONE },
	{ "eth_vlan_ip6_udp", { PKTSUM_UDP, -1 }, PKTSUM_SKIP_NONE },
	{ "eth_qinq_ip6_icmp6", { PKTSUM_ICMPV6, -1 }, PKTSUM_SKIP_NONE },
	{ "raw_ip6_hbh_dst_rt0_frag_udp", { -1 }, PKTSUM_SKIP_FRAGMENT },
	{ "raw_ip6_frag_nonfirst", { -1 }, PKTSUM_SKIP_FRAGMENT },
	{ "raw_ip6_atomic_udp", { PKTSUM_UDP, -1 }, PKTSUM_SKIP_NONE },
	{ "raw_ip6_srh_tcp", { PKTSUM_TCP, -1 }, PKTSUM_SKIP_NONE },
	{ "raw_ip6_esp", { -1 }, PKTSUM_SKIP_NONE },
	{ "eth_ip4_6in4_ip6_tcp", { PKTSUM_IPV4, PKTSUM_TCP, -1 }, PKTSUM_SKIP_NONE },
	{ "raw_ip6_4in6_udp", { PKTSUM_IPV4, PKTSUM_UDP, -1 }, PKTSUM_SKIP_NONE },
	{ "raw_ip6_6in6_icmp6", { PKTSUM_ICMPV6, -1 }, PKTSUM_SKIP_NONE },
	{ "sll_ip6_udp", { PKTSUM_UDP, -1 }, PKTSUM_SKIP_NONE },
	{ "raw_ip4_opts_icmp", { PKTSUM_IPV4, PKTSUM_ICMP, -1 }, PKTSUM_SKIP_NONE },
	{ "raw_ip4_frag_first", { PKTSUM_IPV4, -1 }, PKTSUM_SKIP_FRAGMENT },
	{ "eth_arp", { -1 }, PKTSUM_SKIP_UNSUPPORTED },
};

static void verify_copy(const struct pkt_vector *v, uint8_t *b, unsigned len, struct pktsum_result *r)
{
	struct pkt p;

	pkt_parse(&p, v->dlt, b, len, len);
	pktsum_verify(&p, 0, r);
}

static void test_all_good(void)
{
	for (size_t i = 0; i < V6_ARRAY_LEN(expect); i++) {
		const struct pkt_vector *v = vec(expect[i].name);
		uint8_t *b = malloc(v->len);
		struct pktsum_result r;
		unsigned n = 0;

		memcpy(b, v->data, v->len);
		verify_copy(v, b, v->len, &r);
		while (n < 4 && expect[i].layers[n] >= 0)
			n++;
		CHECKF(r.n == n, "%s: %u checks, want %u", v->name, r.n, n);
		CHECKF(r.skip == expect[i].skip, "%s: skip %s", v->name, pktsum_skip_name(r.skip));
		CHECKF(r.n_bad == 0, "%s: %u bad", v->name, r.n_bad);
		for (unsigned k = 0; k < r.n && k < n; k++) {
			CHECKF(r.c[k].layer == expect[i].layers[k], "%s: layer %s", v->name,
			       pktsum_layer_name(r.c[k].layer));
			CHECKF(r.c[k].status == PKTSUM_GOOD, "%s: %s %s", v->name,
			       pktsum_layer_name(r.c[k].layer), pktsum_status_name(r.c[k].status));
			CHECK_EQ(r.c[k].stored, r.c[k].computed);
		}
		free(b);
	}
}

/* Corrupt each checksum field in turn: bad, computed = original, fix restores. */
static void test_corrupt_and_fix(void)
{
	for (size_t i = 0; i < V6_ARRAY_LEN(expect); i++) {
		const struct pkt_vector *v = vec(expect[i].name);
		struct pktsum_result r0;
		uint8_t *b = malloc(v->len);

		memcpy(b, v->data, v->len);
		verify_copy(v, b, v->len, &r0);
		for (unsigned k = 0; k < r0.n; k++) {
			struct pktsum_result r;
			struct wcur w;
			uint32_t off = r0.c[k].field_off;

			memcpy(b, v->data, v->len);
			b[off] ^= 0x12;
			b[off + 1] ^= 0x34;
			verify_copy(v, b, v->len, &r);
			CHECKF(r.n == r0.n && r.n_bad == 1, "%s/%u: %u checks %u bad", v->name, k, r.n, r.n_bad);
			CHECK_EQ(r.c[k].status, PKTSUM_BAD);
			CHECK_EQ(r.c[k].computed, r0.c[k].stored);
			wcur_init(&w, b, v->len);
			CHECK_EQ(pktsum_fix_all(&w, &r), 1);
			CHECKF(!memcmp(b, v->data, v->len), "%s/%u: fix did not restore", v->name, k);
		}
		free(b);
	}
}

/* Every prefix of every vector: nothing bad, nothing outside the copy (ASan). */
static void test_truncations(void)
{
	for (size_t i = 0; i < sizeof(pkt_vectors) / sizeof(pkt_vectors[0]); i++) {
		const struct pkt_vector *v = &pkt_vectors[i];

		for (unsigned len = 0; len < v->len; len++) {
			uint8_t *b = malloc(len ? len : 1);
			struct pktsum_result r;

			memcpy(b, v->data, len);
			verify_copy(v, b, len, &r);
			CHECKF(r.n_bad == 0, "%s cut at %u: %u bad", v->name, len, r.n_bad);
			for (unsigned k = 0; k < r.n; k++)
				CHECK(r.c[k].field_off + 2 <= len);
			free(b);
		}
	}
}

static void set16(uint8_t *b, uint32_t off, uint16_t v)
{
	b[off] = (uint8_t)(v >> 8);
	b[off + 1] = (uint8_t)v;
}

/* UDP zero: invalid over IPv6, "none" over IPv4; a computed zero is 0xffff. */
static void test_udp_zero(void)
{
	const struct pkt_vector *v6 = vec("eth_vlan_ip6_udp"), *v4 = vec("raw_ip6_4in6_udp");
	uint8_t b[256];
	struct pktsum_result r, r0;
	struct pkt p;

	memcpy(b, v6->data, v6->len);
	verify_copy(v6, b, v6->len, &r0);
	set16(b, r0.c[0].field_off, 0);
	verify_copy(v6, b, v6->len, &r);
	CHECK_EQ(r.c[0].status, PKTSUM_BAD);
	CHECK_EQ(r.c[0].computed, r0.c[0].stored);

	memcpy(b, v4->data, v4->len);
	verify_copy(v4, b, v4->len, &r0);
	set16(b, r0.c[1].field_off, 0);
	verify_copy(v4, b, v4->len, &r);
	CHECK_EQ(r.c[1].status, PKTSUM_NONE);
	CHECK_EQ(r.n_bad, 0);

	/* Add the checksum value into the first payload word: the sum then
	 * folds to zero, which UDP must carry as 0xffff. */
	memcpy(b, v6->data, v6->len);
	verify_copy(v6, b, v6->len, &r0);
	pkt_parse(&p, v6->dlt, b, v6->len, v6->len);
	{
		uint32_t w = (uint32_t)r0.c[0].stored + (uint32_t)(b[p.l4_off + 8] << 8 | b[p.l4_off + 9]);
		set16(b, p.l4_off + 8, (uint16_t)((w & 0xffff) + (w >> 16)));
	}
	set16(b, r0.c[0].field_off, 0x1111);
	verify_copy(v6, b, v6->len, &r);
	CHECK_EQ(r.c[0].computed, 0xffff);
	CHECK_EQ(r.c[0].status, PKTSUM_BAD);
	set16(b, r0.c[0].field_off, 0xffff);
	verify_copy(v6, b, v6->len, &r);
	CHECK_EQ(r.c[0].status, PKTSUM_GOOD);

	/* scapy leaves UDP behind an AH header with checksum 0: invalid (IPv6) */
	{
		const struct pkt_vector *ah = vec("raw_ip6_ah_udp");
		memcpy(b, ah->data, ah->len);
		verify_copy(ah, b, ah->len, &r);
		CHECK(r.n == 1 && r.c[0].layer == PKTSUM_UDP && r.c[0].stored == 0);
		CHECK_EQ(r.c[0].status, PKTSUM_BAD);
		CHECK(r.c[0].computed != 0);
	}
}

/* Routing header with segments left: the pseudo-header takes the final
 * destination, so rewriting the IPv6 destination field must not matter
 * for the transport checksum (SRH: segment list[0]). */
static void test_routing_final_dst(void)
{
	const struct pkt_vector *v = vec("raw_ip6_srh_tcp");
	uint8_t b[256];
	struct pktsum_result r;

	memcpy(b, v->data, v->len);
	b[24 + 15] ^= 0x40;		/* IPv6 destination, last octet */
	verify_copy(v, b, v->len, &r);
	CHECK_EQ(r.n, 1);
	CHECK_EQ(r.c[0].status, PKTSUM_GOOD);
	b[24 + 15] ^= 0x40;
	b[40 + 8 + 15] ^= 0x40;	/* segment list[0]: the final destination */
	verify_copy(v, b, v->len, &r);
	CHECK_EQ(r.c[0].status, PKTSUM_BAD);
}

static void test_frag_locate(void)
{
	const struct pkt_vector *v = vec("raw_ip6_frag_nonfirst");
	struct pkt p;
	uint32_t off = 0;

	pkt_parse(&p, v->dlt, v->data, v->len, v->len);
	/* offset 3 (24 octets), 24 octets of data after a 48-octet prefix */
	CHECK(!pktsum_frag_locate(&p.ip[0], 22, 2, &off));
	CHECK(pktsum_frag_locate(&p.ip[0], 24, 2, &off));
	CHECK_EQ(off, 48);
	CHECK(pktsum_frag_locate(&p.ip[0], 46, 2, &off));
	CHECK_EQ(off, 70);
	CHECK(!pktsum_frag_locate(&p.ip[0], 47, 2, &off));
	CHECK_EQ(pktsum_unfrag_len(&p.ip[0]), 40);
}

int main(void)
{
	RUN(test_all_good);
	RUN(test_corrupt_and_fix);
	RUN(test_truncations);
	RUN(test_udp_zero);
	RUN(test_routing_final_dst);
	RUN(test_frag_locate);
	return t_done();
}
