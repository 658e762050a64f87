/* txq.c - see txq.h. */
#include "txq.h"
#include "txfast.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>


struct txq {
	txq_send_fn fn;
	void *ctx;
	unsigned slots;
	size_t slot_size;
	uint8_t *buf;
	size_t *len;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;		/* the consumer waits here when empty, the producer when full */
	uint64_t head;			/* frames queued (producer) */
	uint64_t tail;			/* frames sent (consumer) */
	int waiting;			/* threads asleep (or going to sleep) on cv */
	bool stop;
	bool threaded;			/* false: pthread_create failed, all synchronous */
	uint64_t failed;
	int last_errno;
};

static uint64_t load(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

/* The one wait policy (txf_retry, core/txfast.h). */
static int send_retry(struct txq *q, const uint8_t *frame, size_t len)
{
	struct txf_wait w = { 0 };
	int rc;

	while ((rc = q->fn(q->ctx, frame, len)) < 0 && txf_retry(&w, -1, -rc))
		;
	return rc;
}

/* Wake whoever waits (rare: only an empty consumer or a full producer). */
static void wake(struct txq *q)
{
	/* Pairs with the fence in wait_until: either the sleeper sees the
	 * new index, or this sees the sleeper. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&q->waiting, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&q->mu);
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
	}
}

/* Sleep on cv until cond() holds; spins a little first. */
static void wait_until(struct txq *q, bool (*cond)(struct txq *))
{
	for (int i = 0; i < 200; i++) {
		if (cond(q))
			return;
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	}
	pthread_mutex_lock(&q->mu);
	__atomic_add_fetch(&q->waiting, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	while (!cond(q))
		pthread_cond_wait(&q->cv, &q->mu);
	__atomic_sub_fetch(&q->waiting, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&q->mu);
}

static bool has_frames(struct txq *q)
{
	return load(&q->head) != q->tail || __atomic_load_n(&q->stop, __ATOMIC_ACQUIRE);
}

static bool has_room(struct txq *q)
{
	return q->head - load(&q->tail) < q->slots;
}

static bool is_empty(struct txq *q)
{
	return load(&q->tail) == q->head;
}

static void *consumer(void *arg)
{
	struct txq *q = arg;

	for (;;) {
		wait_until(q, has_frames);
		if (load(&q->head) == q->tail)
			break;			/* stop, and nothing left */
		while (q->tail != load(&q->head)) {
			unsigned i = (unsigned)(q->tail % q->slots);
			int rc = send_retry(q, q->buf + (size_t)i * q->slot_size, q->len[i]);

			if (rc < 0) {
				__atomic_store_n(&q->last_errno, -rc, __ATOMIC_RELAXED);
				__atomic_add_fetch(&q->failed, 1, __ATOMIC_RELEASE);
			}
			__atomic_store_n(&q->tail, q->tail + 1, __ATOMIC_RELEASE);
			wake(q);
		}
	}
	return NULL;
}

struct txq *txq_open(txq_send_fn fn, void *ctx, unsigned slots, size_t slot_size)
{
	struct txq *q = xcalloc(1, sizeof(*q));
	sigset_t all, old;
	int e;

	q->fn = fn;
	q->ctx = ctx;
	q->slots = slots ? slots : 1;
	q->slot_size = slot_size;
	/* Touched now: the resident size does not creep up as slots are first used. */
	q->buf = xmalloc((size_t)q->slots * slot_size);
	memset(q->buf, 0, (size_t)q->slots * slot_size);
	q->len = xcalloc(q->slots, sizeof(*q->len));
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	/* Signals stay with the caller's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&q->thread, NULL, consumer, q);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	q->threaded = !e;
	if (e)
		errno = e;
	return q;
}

bool txq_threaded(const struct txq *q)
{
	return q->threaded;
}

int txq_send(struct txq *q, const uint8_t *frame, size_t len)
{
	unsigned i;

	if (!q->threaded)
		return send_retry(q, frame, len);
	if (len > q->slot_size) {
		/* Keep the order: what is queued goes first. */
		txq_drain(q);
		return send_retry(q, frame, len);
	}
	if (!has_room(q))
		wait_until(q, has_room);
	i = (unsigned)(q->head % q->slots);
	memcpy(q->buf + (size_t)i * q->slot_size, frame, len);
	q->len[i] = len;
	__atomic_store_n(&q->head, q->head + 1, __ATOMIC_RELEASE);
	wake(q);
	return 0;
}

void txq_drain(struct txq *q)
{
	if (q && q->threaded)
		wait_until(q, is_empty);
}

uint64_t txq_failed(const struct txq *q, int *last_errno)
{
	if (!q)
		return 0;
	uint64_t n = __atomic_load_n(&q->failed, __ATOMIC_ACQUIRE);

	if (last_errno)
		*last_errno = __atomic_load_n(&q->last_errno, __ATOMIC_RELAXED);
	return n;
}

void txq_close(struct txq *q)
{
	if (!q)
		return;
	if (q->threaded) {
		__atomic_store_n(&q->stop, true, __ATOMIC_RELEASE);
		pthread_mutex_lock(&q->mu);
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->thread, NULL);
	}
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->buf);
	free(q->len);
	free(q);
}
