/* pace.h - transmit pacing against absolute deadlines: original capture
 * timing (optionally scaled), a fixed packet rate, a fixed bit rate, or none.
 *
 * Every deadline is computed from the start time and an exact running total
 * (capture nanoseconds, packet count or octet count), never by adding gaps to
 * the previous send time, so lateness of one packet (a preemption, a full
 * queue) is not carried into the next: the schedule does not drift.  Waiting
 * sleeps with clock_nanosleep(TIMER_ABSTIME) until shortly before the
 * deadline, then spins on the clock for the last microseconds, which is what
 * gets sub-10 µs accuracy out of a timer that wakes up tens of µs late.
 */
#ifndef V6_PACE_H
#define V6_PACE_H

#include <stdbool.h>
#include <stdint.h>

enum pace_mode {
	PACE_ORIGINAL,		/* capture timestamps divided by `multiplier` */
	PACE_PPS,		/* `rate` packets per second */
	PACE_BPS,		/* `rate` bits per second (of the octets given to pace_next) */
	PACE_TOPSPEED,		/* no waiting */
};

#define PACE_SPIN_NS_DEFAULT	60000u	/* spin this long before a deadline */

struct pace {
	enum pace_mode mode;
	double multiplier;	/* PACE_ORIGINAL: > 0 */
	double rate;		/* PACE_PPS / PACE_BPS: > 0 */
	uint64_t spin_ns;	/* sleep/spin boundary */

	uint64_t start_ns;	/* CLOCK_MONOTONIC of the first deadline */
	bool started;
	/* running totals the schedule is computed from */
	uint64_t virt_ns;	/* capture time elapsed (negative steps clamped to 0) */
	uint64_t last_cap_ns;	/* highest capture timestamp seen this pass */
	uint64_t max_sleep_ns;	/* PACE_ORIGINAL: longest wait between two packets
				 * (tcpreplay --maxsleep); 0 = no limit */
	uint64_t gaps_capped;	/* gaps cut down to max_sleep_ns */
	uint64_t last_gap_ns;	/* the last such gap (after the multiplier) */
	uint64_t backsteps;	/* timestamps below the highest seen */
	bool have_cap;
	uint64_t packets;	/* packets scheduled so far */
	uint64_t octets;	/* octets scheduled so far */

	/* how well it went */
	uint64_t late_max_ns;	/* largest lateness of a pace_wait() return */
	uint64_t late_total_ns;
	uint64_t waits;
};

/* Monotonic clock in nanoseconds. */
uint64_t pace_now_ns(void);

void pace_init(struct pace *p, enum pace_mode mode, double multiplier_or_rate);

/* Deadline (CLOCK_MONOTONIC ns) of the next packet, given its capture time
 * and the octets it puts on the wire.  The first call fixes the start time
 * at "now".  Capture time is only used by PACE_ORIGINAL. */
uint64_t pace_next(struct pace *p, uint64_t cap_ns, uint32_t octets);

/* Start a new pass over the input (--loop): the next packet's capture time
 * continues the schedule without a gap instead of jumping backwards. */
void pace_new_pass(struct pace *p);

/* Block until `deadline` (sleep, then spin).  Returns at once if it passed. */
void pace_wait(struct pace *p, uint64_t deadline);

/* Would pace_wait(deadline) wait at all? */
static inline bool pace_due(uint64_t deadline, uint64_t now)
{
	return deadline <= now;
}

#endif
