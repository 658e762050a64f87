/* test_eh.c - --eh SPEC parser and extension-header chain inserter: golden
 * packets built by scapy, option-area invariants, checksums preserved,
 * refusals, and every input cut at every length. */
#include <stdlib.h>
#include <string.h>

#include "t.h"
#include "eh.h"
#include "build.h"
#include "csum.h"
#include "cursor.h"
#include "pkt.h"
#include "eh_vectors.h"

static struct eh_chain chain_of(const char *const *specs, int given)
{
	struct eh_chain ch;
	char err[EH_ERRLEN];

	eh_chain_init(&ch);
	for (unsigned i = 0; specs[i]; i++)
		CHECKF(eh_parse(&ch, specs[i], err), "%s: %s", specs[i], err);
	CHECKF(eh_finish(&ch, given, err), "%s", err);
	return ch;
}

static void test_golden_scapy(void)
{
	static uint8_t out[8192];

	for (unsigned v = 0; v < sizeof(eh_vectors) / sizeof(eh_vectors[0]); v++) {
		const struct eh_vector *e = &eh_vectors[v];
		struct eh_chain ch = chain_of(e->specs, e->given);
		size_t n = 0;
		enum eh_skip r = eh_insert(&ch, e->dlt, e->in, e->in_len, out, sizeof(out), &n);

		CHECKF(r == EH_INSERTED, "%s: %s", e->name, eh_skip_name(r));
		CHECKF(n == e->out_len, "%s: %zu octets, scapy %u", e->name, n, e->out_len);
		if (n == e->out_len)
			CHECKF(!memcmp(out, e->out, n), "%s: bytes differ from scapy's", e->name);
	}
}

static void test_parse_errors(void)
{
	static const char *const bad[] = {
		"hbh:7", "dst:4096", "dst:0", "dstu:2056", "hbh:8,opt=300", "foo:8", "hbh",
		"hbh:8,opx=1", "dst:abc", "hbh:-8", "dst:16,opt=", "", "hbh:", "hbh:8,opt=0x100",
	};
	char err[EH_ERRLEN];

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct eh_chain ch;

		eh_chain_init(&ch);
		err[0] = 0;
		CHECKF(!eh_parse(&ch, bad[i], err), "%s accepted", bad[i]);
		CHECKF(err[0] == '\'', "%s: no reason", bad[i]);
		CHECK_EQ(ch.n, 0);
	}
}

static void test_parse_order(void)
{
	struct eh_chain ch;
	char err[EH_ERRLEN];

	eh_chain_init(&ch);
	CHECK(eh_parse(&ch, "dst:16", err));
	CHECK(eh_parse(&ch, "hbh:8,opt=0x3e", err));
	CHECK(eh_parse(&ch, "dstu:24", err));
	CHECK(eh_finish(&ch, false, err));
	CHECK_EQ(ch.n, 3);
	CHECK_EQ(ch.h[0].kind, EH_HBH);
	CHECK_EQ(ch.h[0].opt, 0x3e);
	CHECK_EQ(ch.h[1].kind, EH_DSTU);
	CHECK_EQ(ch.h[2].kind, EH_DST);
	CHECK_EQ(ch.n_unfrag, 2);
	CHECK_EQ(ch.unfrag_total, 32);
	CHECK_EQ(ch.total, 48);
	CHECK(!strcmp(ch.spec, "dst:16 hbh:8,opt=0x3e dstu:24"));

	/* Two of a kind: refused under RFC order, sent as given otherwise. */
	eh_chain_init(&ch);
	CHECK(eh_parse(&ch, "hbh:8", err));
	CHECK(eh_parse(&ch, "hbh:16", err));
	CHECK(!eh_finish(&ch, false, err));
	CHECK(strstr(err, "two hbh headers") != NULL);
	CHECK(eh_finish(&ch, true, err));
	CHECK_EQ(ch.n_unfrag, 2);

	/* Given order: a hbh after a dst stays in the fragmentable part. */
	eh_chain_init(&ch);
	CHECK(eh_parse(&ch, "dstu:8", err));
	CHECK(eh_parse(&ch, "dst:8", err));
	CHECK(eh_parse(&ch, "hbh:8", err));
	CHECK(eh_finish(&ch, true, err));
	CHECK_EQ(ch.n_unfrag, 1);
	CHECK_EQ(ch.h[2].kind, EH_HBH);

	eh_chain_init(&ch);
	for (int i = 0; i < EH_MAX; i++)
		CHECK(eh_parse(&ch, "dst:8", err));
	CHECK(!eh_parse(&ch, "dst:8", err));
}

/* Walk one header's option area: TLVs exactly fill it, no run of padding
 * over 7 octets (RFC 4942), the requested option first. */
static void check_options(const uint8_t *h, size_t len, int opt)
{
	size_t off = 2, pad_run = 0;
	unsigned tlvs = 0;
	bool first = true;

	CHECK_EQ((size_t)(h[1] + 1) * 8, len);
	while (off < len) {
		uint8_t t = h[off];
		size_t l = t == 0 ? 1 : 2 + (size_t)h[off + 1];

		if (first && opt >= 0)
			CHECKF((int)t == opt, "first option %u, want %d", t, opt);
		first = false;
		CHECKF(off + l <= len, "option at %zu overruns the header", off);
		if (t == 0 || t == 1) {
			pad_run += l;
			CHECKF(pad_run <= 7 || (opt == 1 && off == 2), "padding run of %zu", pad_run);
		} else {
			pad_run = 0;
			tlvs++;
		}
		for (size_t i = (t == 0 ? 1 : 2); i < l && (int)t != opt; i++)
			CHECK(h[off + i] == 0);
		off += l;
	}
	CHECK_EQ(off, len);
	CHECKF(tlvs <= 9, "%u options", tlvs);
}

static void test_option_area(void)
{
	uint8_t buf[EH_MAX_LEN];
	static const int opts[] = { -1, 0, 1, 0x3e, 0x7e, 0xbe, 0xfe };

	for (unsigned len = EH_MIN_LEN; len <= EH_MAX_LEN; len += 8)
		for (unsigned o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
			struct eh_hdr h = { .kind = EH_DST, .len = (uint16_t)len, .opt = opts[o] };
			struct wcur w;

			wcur_init(&w, buf, sizeof(buf));
			CHECK(eh_write_hdr(&w, &h, 17));
			CHECK_EQ(wcur_off(&w), len);
			CHECK_EQ(buf[0], 17);
			check_options(buf, len, opts[o]);
			/* Without a requested option, 2048 octets take at most 8 TLVs
			 * (Linux's default max_dst_opts_number). */
		}
	{
		struct eh_hdr h = { .kind = EH_HBH, .len = 16, .opt = -1 };
		struct wcur w;

		wcur_init(&w, buf, 15);
		CHECK(!eh_write_hdr(&w, &h, 17));
	}
}

static void test_checksum_kept(void)
{
	static const char *const specs[] = { "hbh:64", "dstu:8,opt=0x9e", "dst:1024", 0 };
	struct eh_chain ch = chain_of(specs, 0);
	uint8_t pkt[256], out[4096], payload[100];
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	size_t len, n = 0;
	struct pkt p;

	memset(payload, 0xab, sizeof(payload));
	len = build_udp6(pkt, sizeof(pkt), a, b, 1000, 53, payload, sizeof(payload));
	CHECK(len == 148);
	CHECK_EQ(eh_insert(&ch, V6_DLT_IPV6, pkt, len, out, sizeof(out), &n), EH_INSERTED);
	CHECK_EQ(n, len + 64 + 8 + 1024);
	CHECK_EQ(pkt_parse(&p, V6_DLT_IPV6, out, (uint32_t)n, (uint32_t)n), PKT_OK);
	CHECK_EQ(p.ip[0].n_ext, 3);
	CHECK_EQ(p.ip[0].ext[0].type, 0);
	CHECK_EQ(p.ip[0].ext[1].type, 60);
	CHECK_EQ(p.ip[0].ext[2].type, 60);
	CHECK_EQ(p.ip[0].proto, 17);
	CHECK_EQ(p.n_notes, 0);
	CHECK_MEM(out + n - 108, pkt + 40, 108);
	{
		/* The stored UDP checksum verifies over the new packet. */
		uint32_t s = csum_pseudo6(a, b, 17, 108);

		s = csum_partial(out + p.l4_off, 108, s);
		CHECK_EQ(csum_fold(s), 0);
	}
}

static void test_skips(void)
{
	static const char *const with_dst[] = { "hbh:8", "dst:8", 0 };
	static const char *const hbh_only[] = { "hbh:8", 0 };
	struct eh_chain ch = chain_of(with_dst, 0), ch2 = chain_of(hbh_only, 0);
	uint8_t out[4096];
	size_t n;
	/* ARP over Ethernet, an IPv4/UDP packet: no IPv6 layer. */
	static const uint8_t ip4[] = { 0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2,
				       0, 1, 0, 2, 0, 8, 0, 0 };

	CHECK_EQ(eh_insert(&ch, V6_DLT_RAW, ip4, sizeof(ip4), out, sizeof(out), &n), EH_SKIP_NOT_IPV6);
	/* existing_hbh vector's input already has a Hop-by-Hop header. */
	for (unsigned v = 0; v < sizeof(eh_vectors) / sizeof(eh_vectors[0]); v++) {
		const struct eh_vector *e = &eh_vectors[v];

		if (!strcmp(e->name, "existing_hbh"))
			CHECK_EQ(eh_insert(&ch2, e->dlt, e->in, e->in_len, out, sizeof(out), &n), EH_SKIP_HAS_HBH);
		if (!strcmp(e->name, "first_fragment_hbh")) {
			CHECK_EQ(eh_insert(&ch, e->dlt, e->in, e->in_len, out, sizeof(out), &n), EH_SKIP_FRAGMENT);
			CHECK_EQ(eh_insert(&ch2, e->dlt, e->in, e->in_len, out, sizeof(out), &n), EH_INSERTED);
		}
		if (!strcmp(e->name, "udp_hbh8"))
			CHECK_EQ(eh_insert(&ch, e->dlt, e->in, e->in_len, out, e->in_len + 8, &n), EH_SKIP_TOO_BIG);
	}
}

/* Every vector cut at every length into an exact-size heap buffer: no
 * read past it (ASan), and any output parses to the same verdict class. */
static void test_truncated_inputs(void)
{
	static uint8_t out[8192];

	for (unsigned v = 0; v < sizeof(eh_vectors) / sizeof(eh_vectors[0]); v++) {
		const struct eh_vector *e = &eh_vectors[v];
		struct eh_chain ch = chain_of(e->specs, e->given);

		for (unsigned cut = 0; cut <= e->in_len; cut++) {
			uint8_t *in = malloc(cut ? cut : 1);
			size_t n = 0;

			memcpy(in, e->in, cut);
			if (eh_insert(&ch, e->dlt, in, cut, out, sizeof(out), &n) == EH_INSERTED)
				CHECK_EQ(n, cut + ch.total);
			free(in);
		}
	}
}

int main(void)
{
	RUN(test_golden_scapy);
	RUN(test_parse_errors);
	RUN(test_parse_order);
	RUN(test_option_area);
	RUN(test_checksum_kept);
	RUN(test_skips);
	RUN(test_truncated_inputs);
	return t_done();
}
