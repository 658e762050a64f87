/* pace.c - absolute-deadline transmit pacing (see pace.h). */
#include "pace.h"

#include <errno.h>
#include <sys/prctl.h>
#include <time.h>

uint64_t pace_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pace_init(struct pace *p, enum pace_mode mode, double multiplier_or_rate)
{
	*p = (struct pace){ .mode = mode, .multiplier = 1.0, .spin_ns = PACE_SPIN_NS_DEFAULT };
	if (mode == PACE_ORIGINAL && multiplier_or_rate > 0)
		p->multiplier = multiplier_or_rate;
	if ((mode == PACE_PPS || mode == PACE_BPS) && multiplier_or_rate > 0)
		p->rate = multiplier_or_rate;
	else if (mode == PACE_PPS || mode == PACE_BPS)
		p->mode = PACE_TOPSPEED;
	/* The default 50 µs timer slack would make every sleep that much late;
	 * the spin phase then has to cover it.  Ask for exact wake-ups. */
	if (p->mode != PACE_TOPSPEED)
		prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

void pace_new_pass(struct pace *p)
{
	p->have_cap = false;
}

uint64_t pace_next(struct pace *p, uint64_t cap_ns, uint32_t octets)
{
	long double off = 0;

	if (!p->started) {
		p->start_ns = pace_now_ns();
		p->started = true;
	}
	switch (p->mode) {
	case PACE_ORIGINAL:
		/* A timestamp that steps backwards (merged captures, clock
		 * steps) sends at once; the schedule keeps the highest
		 * timestamp seen, so the frames after the step are not held
		 * back by the time already spent (it never rewinds). */
		if (p->have_cap && cap_ns > p->last_cap_ns) {
			uint64_t gap = cap_ns - p->last_cap_ns;
			long double wait = (long double)gap / p->multiplier;

			if (p->max_sleep_ns && wait > (long double)p->max_sleep_ns) {
				p->gaps_capped++;
				p->last_gap_ns = (uint64_t)wait;
				gap = (uint64_t)((long double)p->max_sleep_ns * p->multiplier);
			}
			p->virt_ns += gap;
		}
		if (!p->have_cap || cap_ns > p->last_cap_ns)
			p->last_cap_ns = cap_ns;
		else if (cap_ns < p->last_cap_ns)
			p->backsteps++;
		p->have_cap = true;
		off = (long double)p->virt_ns / p->multiplier;
		break;
	case PACE_PPS:
		off = (long double)p->packets * 1e9L / p->rate;
		break;
	case PACE_BPS:
		off = (long double)p->octets * 8e9L / p->rate;
		break;
	case PACE_TOPSPEED:
		break;
	}
	p->packets++;
	p->octets += octets;
	if (off > 1.8e19L)
		off = 1.8e19L;
	return p->start_ns + (uint64_t)off;
}

void pace_wait(struct pace *p, uint64_t deadline)
{
	uint64_t now = pace_now_ns();

	if (p->mode == PACE_TOPSPEED)
		return;
	if (deadline > now + p->spin_ns) {
		uint64_t wake = deadline - p->spin_ns;
		struct timespec ts = { .tv_sec = (time_t)(wake / 1000000000u),
				       .tv_nsec = (long)(wake % 1000000000u) };

		/* A signal ends the sleep early; the caller checks its stop
		 * flag, and if it goes on the spin below finishes the wait. */
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			return;
		now = pace_now_ns();
	}
	while (now < deadline)
		now = pace_now_ns();
	p->waits++;
	p->late_total_ns += now - deadline;
	if (now - deadline > p->late_max_ns)
		p->late_max_ns = now - deadline;
}
