/* test_pkt.c - the packet parser against scapy-built packets of every header
 * type (tests/core/pkt_vectors.h), each also cut at every length. */
#include <stdint.h>
#include <stdlib.h>

#include "pkt.h"
#include "t.h"
#include "pkt_vectors.h"

static const struct pkt_vector *vec(const char *name)
{
	for (size_t i = 0; i < sizeof(pkt_vectors) / sizeof(pkt_vectors[0]); i++)
		if (!strcmp(pkt_vectors[i].name, name))
			return &pkt_vectors[i];
	printf("# no vector %s\n", name);
	exit(2);
}

/* Parse from an exact-size heap copy so ASan catches any overread. */
static enum pkt_verdict parse_copy(struct pkt *p, const struct pkt_vector *v, unsigned len, unsigned char **keep)
{
	unsigned char *b = malloc(len ? len : 1);
	memcpy(b, v->data, len);
	*keep = b;
	return pkt_parse(p, v->dlt, b, len, len);
}

static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t ip6_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
static const uint8_t ip6_f[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 0x99 };

static void test_eth_ip4_tcp(void)
{
	struct pkt p;
	unsigned char *b;
	const struct pkt_vector *v = vec("eth_ip4_tcp_opts");

	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK(p.has_eth && p.ethertype == 0x0800 && p.l2_len == 14);
	CHECK_EQ(p.eth_src[5], 1);
	CHECK_EQ(p.eth_dst[5], 2);
	CHECK_EQ(p.n_ip, 1);
	CHECK_EQ(p.ip[0].version, 4);
	CHECK_EQ(p.ip[0].v4_id, 7);
	CHECK_EQ(p.ip[0].proto, 6);
	CHECK_EQ(p.ip[0].tot_len, v->len - 14);
	CHECK_EQ(p.l4, 6);
	CHECK_EQ(p.sport, 1234);
	CHECK_EQ(p.dport, 80);
	CHECK_EQ(p.tcp_seq, 1000);
	CHECK_EQ(p.tcp_ack, 2000);
	CHECK_EQ(p.tcp_flags, 0x18);
	CHECK_EQ(p.l4_hlen, 28);	/* MSS(4) NOP(1) WS(3) = 8 octets of options */
	CHECK_EQ(p.csum_off, 14 + 20 + 16);
	free(b);
}

static void test_vlan_qinq(void)
{
	struct pkt p;
	unsigned char *b;
	const struct pkt_vector *v = vec("eth_vlan_ip6_udp");

	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.n_vlan, 1);
	CHECK_EQ(p.vlan[0] & 0xfff, 42);
	CHECK_EQ(p.l2_len, 18);
	CHECK_EQ(p.l4, 17);
	CHECK_EQ(p.dport, 53);
	CHECK_EQ(p.udp_len, 28);
	CHECK_MEM(p.ip[0].src, ip6_a, 16);
	CHECK_MEM(p.ip[0].dst, ip6_b, 16);
	free(b);

	v = vec("eth_qinq_ip6_icmp6");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.n_vlan, 2);
	CHECK_EQ(p.vlan[0] & 0xfff, 100);
	CHECK_EQ(p.vlan[1] & 0xfff, 200);
	CHECK_EQ(p.l2_len, 22);
	CHECK_EQ(p.l4, 58);
	CHECK_EQ(p.icmp_type, 128);
	CHECK_EQ(p.csum_off, 22 + 40 + 2);
	free(b);
}

static void test_ext_chain(void)
{
	struct pkt p;
	unsigned char *b;
	const struct pkt_vector *v = vec("raw_ip6_hbh_dst_rt0_frag_udp");
	const struct pkt_ip *ip;

	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	ip = &p.ip[0];
	CHECK_EQ(ip->n_ext, 4);
	CHECK_EQ(ip->ext[0].type, 0);
	CHECK_EQ(ip->ext[0].off, 40);
	CHECK_EQ(ip->ext[0].len, 8);
	CHECK_EQ(ip->ext[1].type, 60);
	CHECK_EQ(ip->ext[2].type, 43);
	CHECK_EQ(ip->ext[2].len, 8 + 2 * 16);
	CHECK_EQ(ip->ext[3].type, 44);
	CHECK(ip->frag && ip->mf && !ip->frag_atomic);
	CHECK_EQ(ip->frag_off, 0);
	CHECK_EQ(ip->frag_id, 0x12345678);
	CHECK_EQ(ip->frag_hdr_off, 40 + 8 + 8 + 40);
	CHECK_EQ(ip->unfrag_len, 40 + 8 + 8 + 40);
	CHECK_EQ(ip->rthdr_off, 56);
	CHECK_MEM(ip->final_dst, ip6_f, 16);	/* last address, segments left 2 */
	CHECK_EQ(ip->proto, 17);
	CHECK_EQ(ip->ul_off, 104);
	CHECK_EQ(p.l4, 17);
	CHECK_EQ(p.dport, 2);
	CHECK_EQ(p.n_notes, 0);
	free(b);
}

static void test_fragments(void)
{
	struct pkt p;
	unsigned char *b;
	const struct pkt_vector *v = vec("raw_ip6_frag_nonfirst");

	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK(p.ip[0].frag && !p.ip[0].mf);
	CHECK_EQ(p.ip[0].frag_off, 24);
	CHECK_EQ(p.ip[0].frag_id, 0xabcdef01);
	CHECK_EQ(p.ip[0].proto, 17);
	CHECK_EQ(p.ip[0].ul_off, 48);
	CHECK_EQ(p.ip[0].ul_len, 24);
	CHECK_EQ(p.l4, 0);		/* no upper-layer header in a non-first fragment */
	free(b);

	v = vec("raw_ip6_atomic_udp");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK(p.ip[0].frag && p.ip[0].frag_atomic);
	CHECK_EQ(p.l4, 17);
	CHECK_EQ(p.sport, 7);
	free(b);

	v = vec("raw_ip4_frag_first");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK(p.ip[0].frag && p.ip[0].mf);
	CHECK_EQ(p.ip[0].frag_id, 99);
	CHECK_EQ(p.l4, 17);		/* first fragment: header parsed, length not checked */
	CHECK_EQ(p.udp_len, 200);
	free(b);
}

static void test_srh_ah_esp_nonext(void)
{
	struct pkt p;
	unsigned char *b;
	const struct pkt_vector *v = vec("raw_ip6_srh_tcp");

	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.ip[0].n_ext, 1);
	CHECK_EQ(p.ip[0].ext[0].type, 43);
	CHECK_MEM(p.ip[0].final_dst, ip6_f, 16);	/* segment list[0] */
	CHECK_EQ(p.l4, 6);
	CHECK_EQ(p.sport, 443);
	free(b);

	v = vec("raw_ip6_ah_udp");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.ip[0].ext[0].type, 51);
	CHECK_EQ(p.ip[0].ext[0].len, 24);
	CHECK_EQ(p.l4, 17);
	CHECK_EQ(p.dport, 20);
	free(b);

	v = vec("raw_ip6_esp");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.ip[0].proto, 50);
	CHECK_EQ(p.l4, 0);
	free(b);

	v = vec("raw_ip6_nonext");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.ip[0].proto, 59);
	CHECK_EQ(p.ip[0].ul_len, 0);
	free(b);
}

static void test_tunnels(void)
{
	struct pkt p;
	unsigned char *b;
	const struct pkt_vector *v = vec("eth_ip4_6in4_ip6_tcp");

	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.n_ip, 2);
	CHECK_EQ(p.ip[0].version, 4);
	CHECK_EQ(p.ip[0].proto, 41);
	CHECK_EQ(p.ip[1].version, 6);
	CHECK_EQ(p.ip[1].off, 34);
	CHECK_EQ(p.l4, 6);
	CHECK_EQ(p.dport, 2222);
	CHECK_EQ(p.csum_off, 34 + 40 + 16);
	free(b);

	v = vec("raw_ip6_4in6_udp");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.n_ip, 2);
	CHECK_EQ(p.ip[1].version, 4);
	CHECK_EQ(p.l4, 17);
	CHECK_EQ(p.dport, 222);
	free(b);

	v = vec("raw_ip6_6in6_icmp6");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.n_ip, 2);
	CHECK_MEM(p.ip[1].src, ip6_f, 16);
	CHECK_EQ(p.l4, 58);
	free(b);
}

static void test_links(void)
{
	struct pkt p;
	unsigned char *b;
	const struct pkt_vector *v = vec("sll_ip6_udp");

	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK(p.has_sll && p.l2_len == 16 && p.ethertype == 0x86dd);
	CHECK_EQ(p.sll_addr[5], 1);
	CHECK_EQ(p.l4, 17);
	free(b);

	v = vec("sll2_ip4_icmp");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK(p.has_sll && p.l2_len == 20 && p.ethertype == 0x0800);
	CHECK_EQ(p.sll_pkttype, 4);
	CHECK_EQ(p.l4, 1);
	CHECK_EQ(p.icmp_type, 8);
	free(b);

	v = vec("null_ip6_udp");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.l2_len, 4);
	CHECK_EQ(p.l4, 17);
	free(b);

	v = vec("raw_ip4_opts_icmp");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_OK);
	CHECK_EQ(p.ip[0].hlen, 24);
	CHECK_EQ(p.l4_off, 24);
	CHECK_EQ(p.icmp_type, 0);
	free(b);

	v = vec("eth_arp");
	CHECK_EQ(parse_copy(&p, v, v->len, &b), PKT_UNSUPPORTED);
	CHECK_EQ(p.n_ip, 0);
	free(b);

	CHECK_EQ(pkt_parse(&p, 147, v->data, v->len, v->len), PKT_UNSUPPORTED);
}

/* Every vector cut at every length: truncated (never OK, never a crash). */
static void test_truncated_every_length(void)
{
	for (size_t i = 0; i < sizeof(pkt_vectors) / sizeof(pkt_vectors[0]); i++) {
		const struct pkt_vector *v = &pkt_vectors[i];
		for (unsigned len = 0; len < v->len; len++) {
			struct pkt p;
			unsigned char *b;
			enum pkt_verdict r = parse_copy(&p, v, len, &b);
			/* ARP is unsupported once its Ethernet header is whole */
			if (!strcmp(v->name, "eth_arp") && len >= 14)
				CHECKF(r == PKT_UNSUPPORTED, "%s cut at %u: %s", v->name, len, pkt_verdict_name(r));
			else if (!strcmp(v->name, "raw_ip6_nonext") && len >= 40)
				CHECKF(r == PKT_OK, "%s cut at %u", v->name, len);
			else
				CHECKF(r == PKT_TRUNCATED, "%s cut at %u: %s (%s)", v->name, len,
				       pkt_verdict_name(r), p.why ? p.why : "");
			free(b);
		}
		/* snapped capture: caplen < wirelen */
		{
			struct pkt p;
			if (v->len > 20 && strcmp(v->name, "eth_arp"))
				CHECKF(pkt_parse(&p, v->dlt, v->data, v->len - 1, v->len) == PKT_TRUNCATED, "%s snapped", v->name);
		}
	}
}

/* Lengths that contradict each other are invalid, not truncated. */
static void test_invalid(void)
{
	struct pkt p;
	unsigned char b[128];
	const struct pkt_vector *v = vec("raw_ip4_opts_icmp");

	memcpy(b, v->data, v->len);
	b[0] = 0x44;			/* IHL 4 */
	CHECK_EQ(pkt_parse(&p, 12, b, v->len, v->len), PKT_INVALID);
	memcpy(b, v->data, v->len);
	b[2] = 0; b[3] = 10;		/* total length 10 */
	CHECK_EQ(pkt_parse(&p, 12, b, v->len, v->len), PKT_INVALID);
	memcpy(b, v->data, v->len);
	b[0] = 0x75;			/* version 7 */
	CHECK_EQ(pkt_parse(&p, 12, b, v->len, v->len), PKT_INVALID);

	v = vec("eth_ip4_tcp_opts");
	memcpy(b, v->data, v->len);
	b[14 + 20 + 12] = 0x40;		/* TCP data offset 4 */
	CHECK_EQ(pkt_parse(&p, 1, b, v->len, v->len), PKT_INVALID);
	memcpy(b, v->data, v->len);
	b[14 + 20 + 12] = 0xf0;		/* 60-octet header in a 33-octet segment */
	CHECK_EQ(pkt_parse(&p, 1, b, v->len, v->len), PKT_INVALID);

	v = vec("eth_vlan_ip6_udp");
	memcpy(b, v->data, v->len);
	b[18 + 40 + 5] = 200;		/* UDP length beyond payload */
	CHECK_EQ(pkt_parse(&p, 1, b, v->len, v->len), PKT_INVALID);
	memcpy(b, v->data, v->len);
	b[14] = 0x40;			/* ethertype says 6, version says 4 -- through VLAN */
	b[18] = 0x45;
	CHECK_EQ(pkt_parse(&p, 1, b, v->len, v->len), PKT_INVALID);
}

/* RFC 8200 ordering problems are notes, parsing continues. */
static void test_order_notes(void)
{
	struct pkt p;
	unsigned char b[128];
	const struct pkt_vector *v = vec("raw_ip6_hbh_dst_rt0_frag_udp");

	/* swap to HBH after DST: make ext[1] (dst opts) a HBH header */
	memcpy(b, v->data, v->len);
	b[40] = 0;			/* HBH's next header: HBH again */
	CHECK_EQ(pkt_parse(&p, 12, b, v->len, v->len), PKT_OK);
	CHECK(p.n_notes >= 1);
	CHECK_EQ(p.l4, 17);
}

/* Random bytes on every link type: never a crash, verdict always set. */
static void test_random_garbage(void)
{
	static const int dlts[] = { 0, 1, 12, 101, 108, 113, 228, 229, 276 };
	unsigned seed = 12345;

	for (int n = 0; n < 20000; n++) {
		unsigned len = (seed = seed * 1103515245 + 12345) % 200;
		unsigned char *b = malloc(len ? len : 1);
		struct pkt p;
		for (unsigned i = 0; i < len; i++)
			b[i] = (unsigned char)((seed = seed * 1103515245 + 12345) >> 16);
		if (len > 14 && (n & 1)) {	/* bias toward plausible headers */
			b[12] = 0x86; b[13] = 0xdd; b[14] = 0x60;
		}
		enum pkt_verdict r = pkt_parse(&p, dlts[n % 9], b, len, len);
		CHECK(r <= PKT_UNSUPPORTED);
		CHECK(p.n_ip <= PKT_MAX_IP);
		free(b);
	}
}

int main(void)
{
	RUN(test_eth_ip4_tcp);
	RUN(test_vlan_qinq);
	RUN(test_ext_chain);
	RUN(test_fragments);
	RUN(test_srh_ah_esp_nonext);
	RUN(test_tunnels);
	RUN(test_links);
	RUN(test_truncated_every_length);
	RUN(test_invalid);
	RUN(test_order_notes);
	RUN(test_random_garbage);
	return t_done();
}
