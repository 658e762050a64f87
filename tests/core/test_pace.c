/* test_pace.c - the pacing schedule: exact absolute deadlines for capture
 * timing (with a multiplier), packet rate and bit rate; no drift over many
 * packets; backward timestamps and loop passes; waits that end on time. */
#include <stdint.h>

#include "pace.h"
#include "t.h"

static void pps_exact(void)
{
	struct pace p;
	uint64_t d0, d;

	pace_init(&p, PACE_PPS, 5000);
	d0 = pace_next(&p, 0, 100);
	for (uint64_t i = 1; i <= 100000; i++) {
		d = pace_next(&p, 0, 100);
		if (i == 1)
			CHECK_EQ(d - d0, 200000);
	}
	/* 100000 gaps of 200 µs: exactly 20 s, no rounding build-up. */
	CHECK_EQ(d - d0, 20000000000ull);
	/* A rate that is not a divisor of 1e9 still lands on the right total. */
	pace_init(&p, PACE_PPS, 3);
	d0 = pace_next(&p, 0, 1);
	for (int i = 1; i <= 3000; i++)
		d = pace_next(&p, 0, 1);
	CHECK_EQ(d - d0, 1000000000000ull);
}

static void bps_exact(void)
{
	struct pace p;
	uint64_t d0, d1, d2;

	pace_init(&p, PACE_BPS, 8e6);		/* 1 octet per µs */
	d0 = pace_next(&p, 0, 1000);
	d1 = pace_next(&p, 0, 500);
	d2 = pace_next(&p, 0, 1);
	CHECK_EQ(d1 - d0, 1000000);
	CHECK_EQ(d2 - d1, 500000);
}

static void original_timing(void)
{
	struct pace p;
	uint64_t t0 = 1700000000ull * 1000000000ull, d0, d;

	pace_init(&p, PACE_ORIGINAL, 2.0);
	d0 = pace_next(&p, t0, 60);
	d = pace_next(&p, t0 + 1000000, 60);
	CHECK_EQ(d - d0, 500000);
	/* A timestamp stepping back goes out at once and does not rewind:
	 * the schedule keeps the highest timestamp seen (1 ms), so the next
	 * frame (2.5 ms) waits 1.5 ms of capture time, not the 2 ms from the
	 * step (issue 20). */
	d = pace_next(&p, t0 + 500000, 60);
	CHECK_EQ(d - d0, 500000);
	CHECK_EQ(p.backsteps, 1);
	d = pace_next(&p, t0 + 2500000, 60);
	CHECK_EQ(d - d0, 1250000);
	/* A new pass continues where the last one ended. */
	pace_new_pass(&p);
	d = pace_next(&p, t0, 60);
	CHECK_EQ(d - d0, 1250000);
	d = pace_next(&p, t0 + 4000000, 60);
	CHECK_EQ(d - d0, 3250000);
	/* Topspeed: every deadline is the start. */
	pace_init(&p, PACE_TOPSPEED, 0);
	d0 = pace_next(&p, 5, 1);
	CHECK_EQ(pace_next(&p, 99999999999ull, 1), d0);
}

/* --max-sleep: a gap of a year is cut to the limit (after the multiplier)
 * and counted; gaps under it are kept as they are. */
static void max_sleep(void)
{
	struct pace p;
	uint64_t t0 = 1700000000ull * 1000000000ull, d0, d;
	uint64_t year = 365ull * 86400ull * 1000000000ull;

	pace_init(&p, PACE_ORIGINAL, 2.0);
	p.max_sleep_ns = 1000000000ull;		/* 1 s */
	d0 = pace_next(&p, t0, 60);
	d = pace_next(&p, t0 + year, 60);
	CHECK_EQ(d - d0, 1000000000ull);
	CHECK_EQ(p.gaps_capped, 1);
	CHECK_EQ(p.last_gap_ns, year / 2);
	d = pace_next(&p, t0 + year + 1000000000ull, 60);	/* 0.5 s after the multiplier */
	CHECK_EQ(d - d0, 1500000000ull);
	CHECK_EQ(p.gaps_capped, 1);
}

static void wait_on_time(void)
{
	struct pace p;
	uint64_t d, now;

	pace_init(&p, PACE_PPS, 1000);
	d = pace_next(&p, 0, 1);
	for (int i = 0; i < 20; i++) {
		d = pace_next(&p, 0, 1);
		pace_wait(&p, d);
		now = pace_now_ns();
		CHECK(now >= d);
	}
	CHECK_EQ(p.waits, 20);
	/* Lateness is measured; on a shared machine allow a generous bound. */
	CHECKF(p.late_max_ns < 5000000, "late by %llu ns", (unsigned long long)p.late_max_ns);
	/* A deadline in the past returns at once. */
	now = pace_now_ns();
	pace_wait(&p, now - 1000000);
	CHECK(pace_now_ns() - now < 1000000);
}

int main(void)
{
	RUN(pps_exact);
	RUN(bps_exact);
	RUN(original_timing);
	RUN(max_sleep);
	RUN(wait_on_time);
	return t_done();
}
