/* csum_bench.c - RFC 1071 checksum speed against the machine's own read
 * bandwidth, measured in the same run on a buffer larger than the caches.
 *
 * Usage: csum_bench [MIB [PASSES]]   (default 256 MiB, 7 passes; median)
 * Never fails on speed; exits 1 only if csum_partial and the reference disagree.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csum.h"

#define SMALL_LEN (16 * 1024)		/* memcpy target that stays in L1 */
#define HOT_LEN (64 * 1024)		/* in-cache run: compute limit, not DRAM */

/* Results escape through a volatile so no loop can be dropped as dead. */
static volatile uint64_t sink;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The plain read limit: one 64-bit add per word, nothing else to wait on. */
__attribute__((noinline)) static uint64_t read_sum64(const uint8_t *p, size_t len)
{
	uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0, w[4];

	for (size_t i = 0; i + 32 <= len; i += 32) {
		memcpy(w, p + i, 32);
		a0 += w[0];
		a1 += w[1];
		a2 += w[2];
		a3 += w[3];
	}
	return a0 + a1 + a2 + a3;
}

/* Second read limit: libc's tuned memcpy reading the big buffer into a small hot one. */
__attribute__((noinline)) static uint64_t read_memcpy_small(const uint8_t *p, size_t len, uint8_t *small)
{
	for (size_t i = 0; i + SMALL_LEN <= len; i += SMALL_LEN) {
		memcpy(small, p + i, SMALL_LEN);
		__asm__ volatile("" : : "r"(small) : "memory");
	}
	return small[SMALL_LEN - 1];
}

__attribute__((noinline)) static uint64_t copy_big(uint8_t *dst, const uint8_t *src, size_t len)
{
	memcpy(dst, src, len);
	__asm__ volatile("" : : "r"(dst) : "memory");
	return dst[len / 2];
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

enum { M_READ64, M_READCPY, M_MEMCPY, M_CSUM, M_REF, M_CSUM_HOT, M_REF_HOT, M_N };
static const char *const m_name[M_N] = {
	"read (64-bit sum loop)", "read (memcpy to L1 buffer)", "memcpy (big to big)",
	"csum_partial", "csum_partial_ref (naive)",
	"csum_partial, in cache", "csum_partial_ref, in cache",
};

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	int passes = argc > 2 ? atoi(argv[2]) : 7;
	size_t len = mib << 20;
	double gbs[M_N][64];
	uint8_t *buf, *dst, *small;
	uint32_t c_fast = 0, c_ref = 0;
	int bad = 0;

	if (mib < 1 || passes < 1 || passes > 64) {
		fprintf(stderr, "usage: csum_bench [MIB [PASSES<=64]]\n");
		return 2;
	}
	buf = malloc(len);
	dst = malloc(len);
	small = malloc(SMALL_LEN);
	if (!buf || !dst || !small) {
		fprintf(stderr, "csum_bench: cannot allocate 2 x %zu MiB\n", mib);
		return 3;
	}
	/* Non-trivial contents, and every page faulted in before timing. */
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (size_t i = 0; i < len; i += 8) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		memcpy(buf + i, &x, 8);
	}
	memset(dst, 1, len);

	/* Interleave the methods in every pass so drift hits them alike. */
	for (int r = 0; r < passes; r++) {
		double t;
		int rounds;
		uint32_t s;

		t = now_s();
		sink += read_sum64(buf, len);
		gbs[M_READ64][r] = (double)len / (now_s() - t) / 1e9;

		t = now_s();
		sink += read_memcpy_small(buf, len, small);
		gbs[M_READCPY][r] = (double)len / (now_s() - t) / 1e9;

		t = now_s();
		sink += copy_big(dst, buf, len);
		gbs[M_MEMCPY][r] = (double)len / (now_s() - t) / 1e9;

		t = now_s();
		s = csum_partial(buf, len, 0);
		gbs[M_CSUM][r] = (double)len / (now_s() - t) / 1e9;
		sink += s;
		c_fast = s;

		t = now_s();
		s = csum_partial_ref(buf, len, 0);
		gbs[M_REF][r] = (double)len / (now_s() - t) / 1e9;
		sink += s;
		c_ref = s;
		if (csum_fold(c_fast) != csum_fold(c_ref))
			bad = 1;

		/* In cache: same total bytes, a hot 64 KiB window at an odd start. */
		rounds = (int)(len / HOT_LEN / 4);
		t = now_s();
		s = 0;
		for (int k = 0; k < rounds; k++)
			s = csum_partial(buf + 1, HOT_LEN, s);
		gbs[M_CSUM_HOT][r] = (double)rounds * HOT_LEN / (now_s() - t) / 1e9;
		sink += s;
		t = now_s();
		s = 0;
		for (int k = 0; k < rounds; k++)
			s = csum_partial_ref(buf + 1, HOT_LEN, s);
		gbs[M_REF_HOT][r] = (double)rounds * HOT_LEN / (now_s() - t) / 1e9;
		sink += s;
	}

	double med[M_N];
	for (int m = 0; m < M_N; m++)
		med[m] = median(gbs[m], passes);
	double read_bw = med[M_READ64] > med[M_READCPY] ? med[M_READ64] : med[M_READCPY];

	printf("csum_bench: %zu MiB buffer, median of %d passes (GB/s = 1e9 bytes/s)\n", mib, passes);
	for (int m = 0; m < M_N; m++)
		printf("  %-30s %7.2f GB/s\n", m_name[m], med[m]);
	printf("  %-30s %7.1f %%  (csum_partial / best read; target >= 80 %%)\n",
	       "csum vs read bandwidth", 100.0 * med[M_CSUM] / read_bw);
	printf("  %-30s %7.2f x\n", "csum vs naive (memory)", med[M_CSUM] / med[M_REF]);
	printf("  %-30s %7.2f x\n", "csum vs naive (in cache)", med[M_CSUM_HOT] / med[M_REF_HOT]);
	if (bad) {
		printf("  MISMATCH: csum_partial %#x, reference %#x\n", c_fast, c_ref);
		return 1;
	}
	return 0;
}
