/* txq.h - an asynchronous frame queue: frames are copied into a ring and a
 * thread of their own hands them to a send callback, in order.
 *
 * Why: on a veth (and on any path where the receiver's input runs in the
 * sender's softirq) one send() carries the whole receive path of the peer:
 * a front end that both captures and sends spends most of its time inside
 * its send calls.  With the sends on another thread, capture, rewriting and
 * the peers' input paths run on different CPUs at once.
 *
 * One producer (txq_send), one consumer (the queue's thread).  A full queue
 * makes txq_send wait.  Frames the callback fails for good are counted.
 */
#ifndef V6_TXQ_H
#define V6_TXQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct txq;

/* The callback: 0 sent, -errno otherwise (-ENOBUFS and -EAGAIN are retried
 * under the one wait policy, txf_retry in core/txfast.h, then counted as
 * failed). */
typedef int (*txq_send_fn)(void *ctx, const uint8_t *frame, size_t len);

/* slots frames of at most slot_size octets each (a larger frame is sent by
 * the caller's thread after the queue drained).  If the thread cannot be
 * started, every frame is sent by the caller's thread (txq_threaded()
 * says false, errno why). */
struct txq *txq_open(txq_send_fn fn, void *ctx, unsigned slots, size_t slot_size);
bool txq_threaded(const struct txq *q);
/* Queue one frame (copied); 0, or the callback's -errno (after the same
 * retries) when the frame went synchronously and failed; such frames are
 * the caller's to count, not txq_failed()'s. */
int txq_send(struct txq *q, const uint8_t *frame, size_t len);
/* Wait until every queued frame was handed to the callback. */
void txq_drain(struct txq *q);
/* Frames the thread could not send, and the errno of the last one. */
uint64_t txq_failed(const struct txq *q, int *last_errno);
/* Drain, stop the thread, free. */
void txq_close(struct txq *q);

#endif
