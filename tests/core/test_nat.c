/* test_nat.c - the TCP NAT binding table: lookups both ways, the randomised
 * port pool, the LRU bound, idle timeout, FIN/RST linger, SipHash vectors,
 * and a long random run checked against a plain model (RFC 6056, RFC 6146,
 * RFC 9293 §3.5). */
#include <stdint.h>
#include <string.h>

#include "nat.h"
#include "t.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t rng_state = 0x1234567887654321ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

struct ended {
	uint8_t client[16];
	uint16_t port, nat_port;
	enum nat_end why;
};
static struct ended ended[100000];
static size_t n_ended;

static void on_end(void *ctx, const struct nat_binding *b, enum nat_end why)
{
	(void)ctx;
	if (n_ended < ARRAY_LEN(ended)) {
		memcpy(ended[n_ended].client, b->client, 16);
		ended[n_ended].port = b->client_port;
		ended[n_ended].nat_port = b->nat_port;
		ended[n_ended].why = why;
	}
	n_ended++;
}

static struct nat_table *mk(uint32_t max, uint16_t lo, uint16_t hi)
{
	struct nat_config c = { .max_bindings = max, .port_lo = lo, .port_hi = hi,
				.idle_us = 300000000, .linger_us = 10000000, .on_end = on_end };

	n_ended = 0;
	return nat_new(&c);
}

static void addr(uint8_t a[16], uint32_t n)
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[12] = (uint8_t)(n >> 24);
	a[13] = (uint8_t)(n >> 16);
	a[14] = (uint8_t)(n >> 8);
	a[15] = (uint8_t)n;
}

static void siphash_vectors(void)
{
	/* Reference vectors from the SipHash paper / reference implementation:
	 * key 00..0f, message 00..(len-1). */
	static const uint64_t want[] = { 0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull,
					 0x0d6c8009d9a94f5aull };
	uint8_t key[16], msg[64];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	for (size_t len = 0; len < ARRAY_LEN(want); len++)
		CHECKF(nat_siphash(key, msg, len) == want[len], "len %zu: %016llx", len,
		       (unsigned long long)nat_siphash(key, msg, len));
	CHECK(nat_siphash(key, msg, 15) == 0xa129ca6149be45e5ull);
}

static void lookups_both_ways(void)
{
	struct nat_table *t = mk(100, 20000, 20099);
	struct nat_binding *b[50];
	uint8_t a[16], mac[6] = { 2, 0, 0, 0, 0, 1 };

	CHECK(t != NULL);
	for (uint32_t i = 0; i < 50; i++) {
		addr(a, i % 7);
		b[i] = nat_open(t, a, (uint16_t)(1000 + i), 80, mac, 1);
		CHECK(b[i]->nat_port >= 20000 && b[i]->nat_port <= 20099);
		CHECK(!memcmp(b[i]->client_mac, mac, 6));
		CHECK_EQ(b[i]->service_port, 80);
	}
	CHECK_EQ(nat_count(t), 50);
	for (uint32_t i = 0; i < 50; i++) {
		addr(a, i % 7);
		CHECK(nat_find_client(t, a, (uint16_t)(1000 + i)) == b[i]);
		CHECK(nat_find_nat(t, b[i]->nat_port) == b[i]);
		for (uint32_t j = 0; j < i; j++)
			CHECK(b[i]->nat_port != b[j]->nat_port);
	}
	addr(a, 99);
	CHECK(nat_find_client(t, a, 1000) == NULL);
	CHECK(nat_find_nat(t, 19999) == NULL);
	CHECK(nat_find_nat(t, 20100) == NULL);
	/* ending one frees both keys */
	{
		uint16_t np = b[3]->nat_port;

		nat_end(t, b[3], NAT_END_CLOSE);
		addr(a, 3);
		CHECK(nat_find_client(t, a, 1003) == NULL);
		CHECK(nat_find_nat(t, np) == NULL);
		CHECK_EQ(nat_count(t), 49);
		CHECK_EQ(n_ended, 1);
	}
	nat_free(t);
	CHECK(mk(0, 1, 2) == NULL);
	CHECK(mk(10, 3000, 2000) == NULL);
	CHECK(mk(10, 0, 10) == NULL);
}

static void ports_random_and_not_reused_at_once(void)
{
	struct nat_table *t = mk(10, 20000, 29999);
	uint8_t a[16];
	uint16_t prev = 0;
	int ascending = 0, seen_last = 0;
	static uint8_t used[10000];

	addr(a, 1);
	for (int i = 0; i < 2000; i++) {
		struct nat_binding *b = nat_open(t, a, (uint16_t)i, 80, NULL, 1);
		uint16_t p = b->nat_port;

		if (p == (uint16_t)(prev + 1))
			ascending++;
		/* a port just freed is not handed out again for a long while */
		if (i > 0 && p == prev)
			seen_last++;
		used[p - 20000] = 1;
		prev = p;
		nat_end(t, b, NAT_END_CLOSE);
	}
	CHECK(ascending < 20);
	CHECK_EQ(seen_last, 0);
	{
		int distinct = 0;

		for (int i = 0; i < 10000; i++)
			distinct += used[i];
		CHECK(distinct > 1900);	/* 2000 bindings, hardly any port twice */
	}
	/* the pool bounds the table */
	nat_free(t);
	t = mk(1000, 40000, 40009);
	CHECK_EQ(nat_capacity(t), 10);
	CHECK_EQ(nat_pool_size(t), 10);
	nat_free(t);
}

static void lru_eviction(void)
{
	struct nat_table *t = mk(4, 20000, 20999);
	struct nat_binding *b[4];
	uint8_t a[16];

	addr(a, 5);
	for (int i = 0; i < 4; i++)
		b[i] = nat_open(t, a, (uint16_t)(100 + i), 443, NULL, (uint64_t)i);
	nat_seen(t, b[0], 0x10, true, 10);	/* 0 is now the most recent, 1 the least */
	nat_open(t, a, 200, 443, NULL, 11);
	CHECK_EQ(n_ended, 1);
	CHECK_EQ(ended[0].port, 101);
	CHECK_EQ(ended[0].why, NAT_END_EVICT);
	CHECK_EQ(nat_count(t), 4);
	CHECK(nat_find_client(t, a, 100) != NULL);
	CHECK(nat_find_client(t, a, 101) == NULL);
	/* a lingering (finished) binding goes before any live one */
	nat_seen(t, nat_find_client(t, a, 103), 0x04, false, 12);	/* RST */
	nat_open(t, a, 201, 443, NULL, 13);
	CHECK_EQ(n_ended, 2);
	CHECK_EQ(ended[1].port, 103);
	CHECK_EQ(ended[1].why, NAT_END_CLOSE);
	nat_free(t);
}

static void idle_timeout_and_linger(void)
{
	struct nat_table *t = mk(100, 20000, 20999);
	struct nat_binding *x, *y, *z;
	uint8_t a[16];
	uint64_t s = 1000000;

	addr(a, 9);
	x = nat_open(t, a, 1, 80, NULL, 0);
	y = nat_open(t, a, 2, 80, NULL, 0);
	z = nat_open(t, a, 3, 80, NULL, 0);
	nat_seen(t, y, 0x10, true, 200 * s);
	/* FIN from the client alone keeps the binding live */
	nat_seen(t, z, 0x11, true, 250 * s);
	CHECK(!z->closing);
	nat_seen(t, z, 0x11, false, 251 * s);	/* FIN back: over, lingers */
	CHECK(z->closing);
	CHECK_EQ(nat_expire(t, 260 * s), 0);
	CHECK_EQ(nat_expire(t, 261 * s), 1);	/* z: linger of 10 s */
	CHECK_EQ(ended[0].port, 3);
	CHECK_EQ(ended[0].why, NAT_END_CLOSE);
	CHECK_EQ(nat_expire(t, 299 * s), 0);
	CHECK_EQ(nat_expire(t, 300 * s), 1);	/* x idle since 0 */
	CHECK_EQ(ended[1].port, 1);
	CHECK_EQ(ended[1].why, NAT_END_IDLE);
	CHECK_EQ(nat_count(t), 1);
	(void)x;
	nat_flush(t);
	CHECK_EQ(ended[2].port, 2);
	CHECK_EQ(ended[2].why, NAT_END_SHUTDOWN);
	CHECK_EQ(nat_count(t), 0);
	nat_free(t);
}

/* Random opens, packets, FIN/RST and expiry against a plain array model. */
static void random_against_model(void)
{
	enum { N = 64, CLIENTS = 200 };
	struct nat_table *t = mk(N, 30000, 30099);
	struct { bool live; uint16_t nat_port; } model[CLIENTS] = { 0 };
	uint64_t now = 0;
	uint8_t a[16];

	for (int step = 0; step < 200000; step++) {
		uint32_t c = rnd() % CLIENTS, op = rnd() % 10;
		struct nat_binding *b;
		size_t before = n_ended;

		now += rnd() % 50000;
		addr(a, c);
		b = nat_find_client(t, a, (uint16_t)(c + 1));
		CHECKF((b != NULL) == model[c].live, "step %d client %u", step, c);
		if (b)
			CHECK(nat_find_nat(t, b->nat_port) == b && b->nat_port == model[c].nat_port);
		if (!b && op < 4) {
			b = nat_open(t, a, (uint16_t)(c + 1), 80, NULL, now);
			model[c].live = true;
			model[c].nat_port = b->nat_port;
		} else if (b && op < 8) {
			nat_seen(t, b, (uint8_t)(rnd() % 64 == 0 ? 0x04 : rnd() % 16 == 0 ? 0x11 : 0x10),
				 rnd() & 1, now);
		} else if (b && op == 8) {
			nat_end(t, b, NAT_END_CLOSE);
		} else if (op == 9) {
			nat_expire(t, now);
		}
		for (size_t i = before; i < n_ended && i < ARRAY_LEN(ended); i++) {
			uint32_t k = (uint32_t)(ended[i].port - 1);

			CHECK(k < CLIENTS && model[k].live);
			if (k < CLIENTS)
				model[k].live = false;
		}
		CHECK(nat_count(t) <= N);
		if (n_ended > ARRAY_LEN(ended) - 10)
			n_ended = 0;
	}
	{
		uint32_t live = 0;

		for (int c = 0; c < CLIENTS; c++)
			live += model[c].live;
		CHECK_EQ(live, nat_count(t));
	}
	nat_free(t);
}

int main(void)
{
	RUN(siphash_vectors);
	RUN(lookups_both_ways);
	RUN(ports_random_and_not_reused_at_once);
	RUN(lru_eviction);
	RUN(idle_timeout_and_linger);
	RUN(random_against_model);
	return t_done();
}
