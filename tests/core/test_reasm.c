/* test_reasm.c - the reassembler against hostile fragment sets: every kind of
 * overlap (RFC 5722), duplicates, missing first/last, offset+length past
 * 65535, lengths not a multiple of 8, tiny and atomic fragments (RFC 6946),
 * incomplete header chains (RFC 7112), IPv4 (RFC 791), timeouts in packet
 * time, and thousands of incomplete datagrams against the memory bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "cursor.h"
#include "pkt.h"
#include "reasm.h"
#include "util.h"
#include "t.h"
#include "frag_gen.h"

#define SEC 1000000ull

static uint8_t dgram[70000];	/* the "original" upper-layer bytes */

/* One IPv6 fragment (no extension headers but the Fragment header) carrying
 * dgram[off, off+len) as fragment data, parsed into p. */
static uint8_t fbuf[4][70000];
static unsigned fslot;

static void frag6(struct pkt *p, uint32_t src, uint32_t id, uint32_t off, uint32_t len, bool more, uint8_t nh,
		  const uint8_t *data)
{
	uint8_t *b = fbuf[fslot++ & 3];
	struct wcur w;

	wcur_init(&w, b, sizeof(fbuf[0]));
	wcur_be32(&w, 0x60000000u);
	wcur_be16(&w, (uint16_t)(8 + len));
	wcur_u8(&w, 44);
	wcur_u8(&w, 64);
	wcur_be32(&w, 0x20010db8); wcur_be32(&w, 0); wcur_be32(&w, 0); wcur_be32(&w, src);
	wcur_be32(&w, 0x20010db8); wcur_be32(&w, 0); wcur_be32(&w, 0); wcur_be32(&w, 2);
	wcur_u8(&w, nh);
	wcur_u8(&w, 0);
	wcur_be16(&w, (uint16_t)(off | more));
	wcur_be32(&w, id);
	wcur_bytes(&w, data ? data : dgram + off, len);
	pkt_parse(p, V6_DLT_IPV6, b, (uint32_t)wcur_off(&w), (uint32_t)wcur_off(&w));
}

static enum reasm_status add6(struct reasm *r, uint32_t id, uint32_t off, uint32_t len, bool more, uint64_t t,
			      uint64_t tag, struct reasm_result *res)
{
	struct pkt p;

	frag6(&p, 1, id, off, len, more, 17, NULL);
	return reasm_add(r, &p, 0, t, tag, res);
}

static void fill_dgram(void)
{
	for (size_t i = 0; i < sizeof(dgram); i++)
		dgram[i] = (uint8_t)rnd();
	/* a UDP header at offset 0 so first fragments hold their chain */
	dgram[4] = 0;
	dgram[5] = 64;
}

static void test_in_order_and_shuffled(void)
{
	struct reasm *r = reasm_new(NULL);
	struct reasm_result res;
	static const uint32_t offs[] = { 0, 64, 128, 192 };
	static const unsigned perms[][4] = { { 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 2, 0, 3, 1 }, { 1, 3, 0, 2 } };

	for (unsigned k = 0; k < 4; k++) {
		for (unsigned i = 0; i < 4; i++) {
			unsigned j = perms[k][i];
			enum reasm_status st = add6(r, 100 + k, offs[j], j == 3 ? 37 : 64, j != 3, 0, j + 1, &res);
			CHECK_EQ(st, i == 3 ? REASM_DONE : REASM_HELD);
		}
		CHECK_EQ(res.len, 40 + 192 + 37);
		CHECK_MEM(res.data + 40, dgram, 192 + 37);
		CHECK_EQ(res.data[6], 17);	/* Next Header restored */
		CHECK_EQ(res.data[4] << 8 | res.data[5], 192 + 37);
		CHECK_EQ(res.n_tags, 4);
		for (unsigned i = 0; i < 4 && i < res.n_tags; i++)
			CHECK_EQ(res.tags[i], i + 1);	/* offset order */
		CHECK_EQ(res.reason, REASM_OK);
	}
	struct reasm_stats st;
	reasm_get_stats(r, &st);
	CHECK_EQ(st.datagrams_done, 4);
	CHECK_EQ(st.fragments, 16);
	CHECK_EQ(st.in_progress, 0);
	CHECK_EQ(st.bytes_held, 0);
	reasm_free(r);
}

/* Every overlap shape discards the datagram, and the key stays dead. */
static void test_overlaps(void)
{
	struct {
		const char *name;
		uint32_t off, len;
		bool more;
		bool same_data;
	} kinds[] = {
		{ "inside", 72, 16, true, true },
		{ "covers", 56, 48, true, true },
		{ "head", 56, 24, true, true },
		{ "tail", 88, 24, true, true },
		{ "same offset longer", 64, 40, true, true },
		{ "same offset shorter", 64, 8, true, true },
		{ "same offset and length, other bytes", 64, 32, true, false },
		{ "first fragment again, longer", 0, 72, true, true },
		{ "last fragment inside", 72, 10, false, true },
	};
	for (unsigned k = 0; k < V6_ARRAY_LEN(kinds); k++) {
		struct reasm *r = reasm_new(NULL);
		struct reasm_result res;
		struct reasm_stats st;
		enum reasm_status s;
		struct pkt p;
		uint8_t other[128];

		CHECK_EQ(add6(r, 7, 0, 64, true, 0, 1, &res), REASM_HELD);
		CHECK_EQ(add6(r, 7, 64, 32, true, 0, 2, &res), REASM_HELD);
		memcpy(other, dgram + kinds[k].off, kinds[k].len);
		if (!kinds[k].same_data)
			other[3] ^= 0xff;
		frag6(&p, 1, 7, kinds[k].off, kinds[k].len, kinds[k].more, 17, other);
		s = reasm_add(r, &p, 0, 1, 3, &res);
		CHECKF(s == REASM_DISCARD && res.reason == REASM_OVERLAP, "%s: status %d reason %s", kinds[k].name, s,
		       reasm_reason_name(res.reason));
		CHECK_EQ(res.n_tags, 3);
		/* the rest of the datagram, even perfect, is discarded too (RFC 5722) */
		CHECK_EQ(add6(r, 7, 96, 20, false, 2, 4, &res), REASM_DISCARD);
		CHECK_EQ(res.reason, REASM_OVERLAP);
		reasm_get_stats(r, &st);
		CHECK_EQ(st.reason[REASM_OVERLAP], 4);
		CHECK_EQ(st.in_progress, 0);
		CHECK_EQ(st.bytes_held, 0);
		/* after the timeout the key may be used again */
		CHECK_EQ(add6(r, 7, 0, 64, true, 120 * SEC, 5, &res), REASM_HELD);
		CHECK_EQ(add6(r, 7, 64, 20, false, 120 * SEC, 6, &res), REASM_DONE);
		reasm_free(r);
	}
}

static void test_duplicates(void)
{
	struct reasm *r = reasm_new(NULL);
	struct reasm_result res;
	struct reasm_stats st;

	CHECK_EQ(add6(r, 9, 0, 64, true, 0, 1, &res), REASM_HELD);
	CHECK_EQ(add6(r, 9, 0, 64, true, 0, 2, &res), REASM_HELD);
	CHECK_EQ(res.dup_tolerated, 1);
	CHECK_EQ(add6(r, 9, 128, 30, false, 0, 3, &res), REASM_HELD);
	CHECK_EQ(add6(r, 9, 128, 30, false, 0, 3, &res), REASM_HELD);
	CHECK_EQ(add6(r, 9, 256, 30, false, 0, 4, &res), REASM_DISCARD);	/* a second, different last fragment */
	CHECK_EQ(res.reason, REASM_INCONSISTENT);
	CHECK_EQ(add6(r, 10, 0, 64, true, 0, 1, &res), REASM_HELD);
	CHECK_EQ(add6(r, 10, 0, 64, true, 0, 1, &res), REASM_HELD);
	CHECK_EQ(add6(r, 10, 64, 8, false, 0, 2, &res), REASM_DONE);
	CHECK_EQ(res.dup_tolerated, 1);
	CHECK_EQ(res.n_tags, 2);
	reasm_get_stats(r, &st);
	CHECK_EQ(st.duplicates, 3);
	reasm_free(r);
}

struct expired {
	unsigned n;
	size_t tags;
	enum reasm_reason reason;
};

static void on_expire(void *ctx, const struct reasm_result *res)
{
	struct expired *e = ctx;
	e->n++;
	e->tags += res->n_tags;
	e->reason = res->reason;
}

static void test_missing_and_timeout(void)
{
	struct reasm *r = reasm_new(NULL);
	struct reasm_result res;
	struct expired e = { 0 };
	struct reasm_stats st;

	/* missing first */
	CHECK_EQ(add6(r, 1, 64, 64, true, 0, 1, &res), REASM_HELD);
	CHECK_EQ(add6(r, 1, 128, 10, false, 0, 2, &res), REASM_HELD);
	/* missing last */
	CHECK_EQ(add6(r, 2, 0, 64, true, 10 * SEC, 3, &res), REASM_HELD);
	CHECK_EQ(add6(r, 2, 64, 64, true, 10 * SEC, 4, &res), REASM_HELD);
	size_t n;
	n = reasm_expire(r, 59 * SEC, false, on_expire, &e);
	CHECK_EQ(n, 0);
	n = reasm_expire(r, 60 * SEC, false, on_expire, &e);	/* packet time, not wall time */
	CHECK_EQ(n, 1);
	CHECK_EQ(e.tags, 2);
	CHECK_EQ(e.reason, REASM_TIMEOUT);
	/* The late last fragment of datagram 2 arrives after its timeout, before
	 * the caller expired it: datagram 2 is set aside for the next
	 * reasm_expire (tags kept), the fragment starts a new datagram. */
	CHECK_EQ(add6(r, 2, 128, 10, false, 71 * SEC, 5, &res), REASM_HELD);
	reasm_get_stats(r, &st);
	CHECK_EQ(st.in_progress, 1);
	n = reasm_expire(r, 0, false, on_expire, &e);	/* whatever the time */
	CHECK_EQ(n, 1);
	CHECK_EQ(e.n, 2);
	CHECK_EQ(e.tags, 4);
	reasm_get_stats(r, &st);
	CHECK_EQ(st.reason[REASM_TIMEOUT], 4);
	CHECK_EQ(st.in_progress, 1);
	n = reasm_expire(r, 0, true, on_expire, &e);
	CHECK_EQ(n, 1);
	CHECK_EQ(e.n, 3);
	reasm_get_stats(r, &st);
	CHECK_EQ(st.in_progress, 0);
	CHECK_EQ(st.bytes_held, 0);
	reasm_free(r);
}

static void test_bad_lengths(void)
{
	struct reasm *r = reasm_new(NULL);
	struct reasm_result res;
	struct reasm_stats st;

	CHECK_EQ(add6(r, 3, 0, 60, true, 0, 1, &res), REASM_DISCARD);	/* not a multiple of 8 */
	CHECK_EQ(res.reason, REASM_BAD_LENGTH);
	CHECK_EQ(res.n_tags, 1);
	CHECK_EQ(add6(r, 3, 65528, 16, false, 0, 2, &res), REASM_DISCARD);	/* past 65535 */
	CHECK_EQ(res.reason, REASM_BAD_LENGTH);
	CHECK_EQ(add6(r, 3, 65520, 15, false, 0, 3, &res), REASM_HELD);	/* ends at exactly 65535 */
	CHECK_EQ(add6(r, 3, 65520, 16, false, 0, 4, &res), REASM_DISCARD);
	CHECK_EQ(add6(r, 4, 64, 0, true, 0, 5, &res), REASM_DISCARD);	/* empty */
	CHECK_EQ(res.reason, REASM_BAD_LENGTH);
	/* data past the end announced by the last fragment */
	CHECK_EQ(add6(r, 6, 32, 16, false, 0, 7, &res), REASM_HELD);
	CHECK_EQ(add6(r, 6, 48, 16, true, 0, 8, &res), REASM_DISCARD);
	CHECK_EQ(res.reason, REASM_INCONSISTENT);
	CHECK_EQ(add6(r, 8, 48, 16, true, 0, 9, &res), REASM_HELD);
	CHECK_EQ(add6(r, 8, 16, 16, false, 0, 10, &res), REASM_DISCARD);
	CHECK_EQ(res.reason, REASM_INCONSISTENT);
	reasm_get_stats(r, &st);
	CHECK_EQ(st.reason[REASM_BAD_LENGTH], 4);
	CHECK_EQ(st.reason[REASM_INCONSISTENT], 4);
	reasm_free(r);
}

static void test_tiny_atomic_and_chain(void)
{
	struct reasm *r = reasm_new(NULL);
	struct reasm_result res;
	struct pkt p;
	enum reasm_status s = REASM_HELD;
	uint8_t tcp[64] = { 0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0xa0, 0x02 };	/* 40-octet TCP header */

	/* 8-octet fragments all the way */
	for (uint32_t off = 0; off < 200 && s == REASM_HELD; off += 8)
		s = add6(r, 11, off, 8, off + 8 < 200, 0, off / 8 + 1, &res);
	CHECK_EQ(s, REASM_DONE);
	CHECK_EQ(res.n_tags, 25);
	CHECK_MEM(res.data + 40, dgram, 200);
	CHECK_EQ(res.reason, REASM_OK);	/* 8 octets hold the UDP header */

	/* atomic fragment: processed in isolation */
	frag6(&p, 1, 12, 0, 30, false, 17, NULL);
	CHECK(p.ip[0].frag_atomic);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 1, &res), REASM_NOT_FRAGMENT);

	/* RFC 7112: first fragment holds 16 octets of a 40-octet TCP header */
	frag6(&p, 1, 13, 0, 16, true, 6, tcp);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 1, &res), REASM_HELD);
	frag6(&p, 1, 13, 16, 48, false, 6, tcp + 16);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 2, &res), REASM_DONE);
	CHECK_EQ(res.reason, REASM_INCOMPLETE_CHAIN);
	CHECK_EQ(res.len, 40 + 64);
	reasm_set_strict(r, true);
	frag6(&p, 1, 14, 0, 16, true, 6, tcp);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 1, &res), REASM_HELD);
	frag6(&p, 1, 14, 16, 48, false, 6, tcp + 16);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 2, &res), REASM_DISCARD);
	CHECK_EQ(res.reason, REASM_INCOMPLETE_CHAIN);
	/* with the whole header in the first fragment it is fine */
	frag6(&p, 1, 15, 0, 40, true, 6, tcp);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 1, &res), REASM_HELD);
	frag6(&p, 1, 15, 40, 24, false, 6, tcp + 40);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 2, &res), REASM_DONE);
	CHECK_EQ(res.reason, REASM_OK);
	CHECK_MEM(res.data + 40, tcp, 64);
	reasm_free(r);
}

static void test_truncated_capture(void)
{
	struct reasm *r = reasm_new(NULL);
	struct reasm_result res;
	struct pkt p;

	frag6(&p, 1, 16, 0, 64, true, 17, NULL);
	pkt_parse(&p, V6_DLT_IPV6, p.data, 40 + 8 + 30, 40 + 8 + 64);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 1, &res), REASM_DISCARD);
	CHECK_EQ(res.reason, REASM_TRUNCATED);
	reasm_free(r);
}

/* IPv4 (RFC 791): key includes the protocol; header checksum recomputed. */
static void frag4(struct pkt *p, uint8_t *b, uint16_t id, uint8_t proto, uint32_t off, uint32_t len, bool more)
{
	struct wcur w;
	uint32_t s = 0;

	wcur_init(&w, b, 2000);
	wcur_u8(&w, 0x45);
	wcur_u8(&w, 0);
	wcur_be16(&w, (uint16_t)(20 + len));
	wcur_be16(&w, id);
	wcur_be16(&w, (uint16_t)((more ? 0x2000 : 0) | off / 8));
	wcur_u8(&w, 64);
	wcur_u8(&w, proto);
	wcur_be16(&w, 0);
	wcur_be32(&w, 0xc0000201);
	wcur_be32(&w, 0xc0000202);
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	wcur_set_be16(&w, 10, (uint16_t)~s);
	wcur_bytes(&w, dgram + off, len);
	pkt_parse(p, V6_DLT_IPV4, b, (uint32_t)wcur_off(&w), (uint32_t)wcur_off(&w));
}

static void test_ipv4(void)
{
	struct reasm *r = reasm_new(NULL);
	struct reasm_result res;
	struct pkt p;
	uint8_t b[2000];
	uint32_t s = 0;

	frag4(&p, b, 77, 17, 80, 50, false);
	CHECK(p.ip[0].frag);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 2, &res), REASM_HELD);
	frag4(&p, b, 77, 6, 0, 80, true);	/* same ID, other protocol: another datagram */
	CHECK_EQ(reasm_add(r, &p, 0, 0, 3, &res), REASM_HELD);
	frag4(&p, b, 77, 17, 0, 80, true);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 1, &res), REASM_DONE);
	CHECK_EQ(res.len, 150);
	CHECK_MEM(res.data + 20, dgram, 130);
	CHECK_EQ(res.data[2] << 8 | res.data[3], 150);
	CHECK_EQ(res.data[6] & 0x3f, 0);
	CHECK_EQ(res.data[7], 0);
	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)res.data[i] << 8 | res.data[i + 1];
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	CHECK_EQ(s, 0xffff);	/* valid header checksum */
	{	/* the reassembled header parses as a whole datagram */
		struct pkt q;
		CHECK_EQ(pkt_parse(&q, V6_DLT_IPV4, res.data, (uint32_t)res.len, (uint32_t)res.len), PKT_OK);
		CHECK(!q.ip[0].frag);
		CHECK_EQ(q.l4, 17);
	}
	frag4(&p, b, 78, 17, 0, 80, true);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 4, &res), REASM_HELD);
	frag4(&p, b, 78, 17, 40, 80, false);
	CHECK_EQ(reasm_add(r, &p, 0, 0, 5, &res), REASM_DISCARD);
	CHECK_EQ(res.reason, REASM_OVERLAP);
	frag4(&p, b, 79, 17, 0, 30, false);	/* not a fragment */
	CHECK_EQ(reasm_add(r, &p, 0, 0, 6, &res), REASM_NOT_FRAGMENT);
	reasm_free(r);
}

/* 10000 incomplete datagrams: bounded, counted, linear. */
static void test_many_incomplete(void)
{
	struct reasm *r = reasm_new(NULL);
	struct reasm_result res;
	struct reasm_stats st;
	struct pkt p;
	unsigned held = 0, limited = 0;
	clock_t t = clock();

	for (uint32_t i = 0; i < 10000; i++) {
		frag6(&p, 100 + i % 64, i, 0, 1024, true, 17, NULL);	/* 64 sources */
		enum reasm_status s = reasm_add(r, &p, 0, i, i + 1, &res);
		held += s == REASM_HELD;
		limited += s == REASM_DISCARD && res.reason == REASM_LIMIT_DATAGRAMS;
	}
	reasm_get_stats(r, &st);
	CHECK_EQ(held, 4096);
	CHECK_EQ(limited, 10000 - 4096);
	CHECK_EQ(st.in_progress, 4096);
	CHECK_EQ(st.bytes_held, 4096 * (1024 + 40));
	CHECK_EQ(st.reason[REASM_LIMIT_DATAGRAMS], 10000 - 4096);
	CHECK_EQ(reasm_expire(r, 120 * SEC, false, NULL, NULL), 4096);
	reasm_get_stats(r, &st);
	CHECK_EQ(st.in_progress, 0);
	CHECK_EQ(st.bytes_held, 0);
	reasm_free(r);

	/* per-source and byte limits */
	r = reasm_new(&(struct reasm_limits){ .max_per_source = 10, .max_bytes = 100000 });
	held = 0;
	for (uint32_t i = 0; i < 50; i++) {
		frag6(&p, 1, i, 0, 1024, true, 17, NULL);
		held += reasm_add(r, &p, 0, 0, i, &res) == REASM_HELD;
	}
	CHECK_EQ(held, 10);
	reasm_get_stats(r, &st);
	CHECK_EQ(st.reason[REASM_LIMIT_SOURCE], 40);
	held = 0;
	for (uint32_t i = 0; i < 200; i++) {
		frag6(&p, 1000 + i, i, 0, 1024, true, 17, NULL);
		held += reasm_add(r, &p, 0, 0, i, &res) == REASM_HELD;
	}
	reasm_get_stats(r, &st);
	CHECK(st.bytes_held <= 100000);
	CHECK(st.reason[REASM_LIMIT_BYTES] > 0);
	CHECK_EQ(held + 10, st.in_progress);
	reasm_free(r);
	t = clock() - t;
	CHECKF(t < 2 * CLOCKS_PER_SEC, "took %ld ms", (long)(t * 1000 / CLOCKS_PER_SEC));
}

/* Random garbage sets: whatever happens, no crash, bounds hold, and memory
 * is returned when everything is expired. */
static void test_random_hostile(void)
{
	struct reasm *r = reasm_new(&(struct reasm_limits){ .max_datagrams = 64, .max_bytes = 1 << 20 });
	struct reasm_result res;
	struct reasm_stats st;
	struct pkt p;
	unsigned done = 0;

	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t off = 8 * rnd_in(0, 6), len = rnd_in(0, 5) ? 8 * rnd_in(1, 4) : rnd_in(1, 40);
		enum reasm_status s;

		frag6(&p, rnd_in(1, 3), rnd_in(0, 20), off, len, rnd_in(0, 2) != 0, 17, NULL);
		s = reasm_add(r, &p, 0, i * 1000ull, i, &res);
		if (s == REASM_DONE) {
			done++;
			CHECK(res.len > 40 && res.len <= 40 + 65535);
			CHECK_MEM(res.data + 40, dgram, res.len - 40);
		}
		reasm_get_stats(r, &st);
		CHECK(st.in_progress <= 64 && st.bytes_held <= (1 << 20));
		if (i % 1000 == 0)
			reasm_expire(r, i * 1000ull, false, NULL, NULL);
	}
	printf("# hostile: %u datagrams completed\n", done);
	reasm_expire(r, 0, true, NULL, NULL);
	reasm_get_stats(r, &st);
	CHECK_EQ(st.in_progress, 0);
	CHECK_EQ(st.bytes_held, 0);
	reasm_free(r);
}

/* Garbage from other sources and IDs does not disturb a valid datagram
 * whose fragments arrive in between. */
static void test_isolation(void)
{
	struct reasm *r = reasm_new(NULL);
	struct reasm_result res;
	struct pkt p;
	unsigned done = 0;

	for (uint32_t i = 0; i < 5000; i++) {
		uint32_t off = 8 * rnd_in(0, 20);
		enum reasm_status s;

		frag6(&p, rnd_in(1, 5), rnd_in(0, 50), off, 8 * rnd_in(1, 8), rnd_in(0, 3) != 0, 17, NULL);
		reasm_add(r, &p, 0, i, i, &res);
		if (i % 50 == 49) {	/* fragment k of a valid 4-fragment datagram from source 9 */
			uint32_t k = (i / 50) % 4, id = 1000000 + (i / 200);
			frag6(&p, 9, id, 3 - k == 0 ? 0 : (3 - k) * 256, 256, 3 - k != 3, 17, NULL);
			s = reasm_add(r, &p, 0, i, i, &res);
			if (k == 3) {
				CHECK_EQ(s, REASM_DONE);
				done += s == REASM_DONE;
				if (s == REASM_DONE) {
					CHECK_EQ(res.len, 40 + 1024);
					CHECK_MEM(res.data + 40, dgram, 1024);
				}
			} else {
				CHECK_EQ(s, REASM_HELD);
			}
		}
	}
	CHECK_EQ(done, 25);
	reasm_free(r);
}

int main(void)
{
	fill_dgram();
	RUN(test_in_order_and_shuffled);
	RUN(test_overlaps);
	RUN(test_duplicates);
	RUN(test_missing_and_timeout);
	RUN(test_bad_lengths);
	RUN(test_tiny_atomic_and_chain);
	RUN(test_truncated_capture);
	RUN(test_ipv4);
	RUN(test_many_incomplete);
	RUN(test_random_hostile);
	RUN(test_isolation);
	return t_done();
}
