/* test_txq.c - the asynchronous frame queue: every frame reaches the
 * callback once, intact and in order (across ring wrap-around, with a slow
 * callback, and with a frame too large for a slot); refusals are retried
 * (ENOBUFS, EAGAIN) or counted; close sends what is still queued. */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "t.h"
#include "txq.h"

#define N 20000
#define SLOT 256

struct rec {
	unsigned n;			/* frames seen by the callback */
	unsigned bad;			/* out of order or damaged */
	unsigned refuse_every;		/* refuse frame i if i % refuse_every == 0 (0: never) */
	unsigned busy_first;		/* say ENOBUFS this many times for frame 7 */
	unsigned slow_every;		/* sleep a little every so many frames */
};

/* Frame i: 4-octet index, then (len - 4) octets of (i + k) & 0xff. */
static size_t make(unsigned i, uint8_t *f)
{
	size_t len = 4 + (i * 37u) % (SLOT - 4);

	if (i == 12345)
		len = 3000;		/* larger than a slot */
	f[0] = (uint8_t)(i >> 24);
	f[1] = (uint8_t)(i >> 16);
	f[2] = (uint8_t)(i >> 8);
	f[3] = (uint8_t)i;
	for (size_t k = 4; k < len; k++)
		f[k] = (uint8_t)(i + k);
	return len;
}

static int cb(void *ctx, const uint8_t *f, size_t len)
{
	struct rec *r = ctx;
	uint8_t want[4096];
	unsigned i = (unsigned)f[0] << 24 | (unsigned)f[1] << 16 | (unsigned)f[2] << 8 | f[3];

	if (i == 7 && r->busy_first) {
		r->busy_first--;
		return -ENOBUFS;
	}
	if (i != r->n || make(i, want) != len || memcmp(want, f, len))
		r->bad++;
	r->n++;
	if (r->slow_every && i % r->slow_every == 0) {
		struct timespec ts = { 0, 100000 };

		nanosleep(&ts, NULL);
	}
	if (r->refuse_every && i % r->refuse_every == 0)
		return -EINVAL;
	return 0;
}

static void run_all(struct rec *r, unsigned slots)
{
	struct txq *q = txq_open(cb, r, slots, SLOT);
	uint8_t f[4096];

	CHECK(q != NULL);
	if (!q)
		return;
	for (unsigned i = 0; i < N; i++)
		CHECK_EQ(txq_send(q, f, make(i, f)), 0);
	txq_drain(q);
	CHECK_EQ(r->n, N);
	txq_close(q);
}

static void in_order_intact(void)
{
	struct rec r = { 0 };

	run_all(&r, 64);		/* wraps the ring hundreds of times */
	CHECK_EQ(r.bad, 0);
}

static void slow_callback_full_queue(void)
{
	struct rec r = { .slow_every = 500 };

	run_all(&r, 8);			/* the producer waits for room */
	CHECK_EQ(r.bad, 0);
}

static void refusals_counted(void)
{
	struct rec r = { .refuse_every = 1000 };
	struct txq *q = txq_open(cb, &r, 32, SLOT);
	uint8_t f[4096];
	int e = 0;

	for (unsigned i = 0; i < N; i++)
		txq_send(q, f, make(i, f));
	txq_drain(q);
	/* Frame 12345 went synchronously: not a multiple of 1000, so none
	 * of the 20 refusals is reported by txq_send itself. */
	CHECK_EQ(txq_failed(q, &e), N / 1000);
	CHECK_EQ(e, EINVAL);
	CHECK_EQ(r.bad, 0);
	txq_close(q);
}

static void busy_is_retried(void)
{
	struct rec r = { .busy_first = 3 };
	struct txq *q = txq_open(cb, &r, 16, SLOT);
	uint8_t f[4096];

	for (unsigned i = 0; i < 100; i++)
		txq_send(q, f, make(i, f));
	txq_drain(q);
	CHECK_EQ(r.n, 100);
	CHECK_EQ(r.bad, 0);
	CHECK_EQ(txq_failed(q, NULL), 0);
	txq_close(q);
}

static void close_sends_the_rest(void)
{
	struct rec r = { .slow_every = 10 };
	struct txq *q = txq_open(cb, &r, 512, SLOT);
	uint8_t f[4096];

	for (unsigned i = 0; i < 500; i++)
		txq_send(q, f, make(i, f));
	txq_close(q);			/* no drain first */
	CHECK_EQ(r.n, 500);
	CHECK_EQ(r.bad, 0);
}

int main(void)
{
	RUN(in_order_intact);
	RUN(slow_callback_full_queue);
	RUN(refusals_counted);
	RUN(busy_is_retried);
	RUN(close_sends_the_rest);
	return t_done();
}
