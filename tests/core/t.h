/* t.h - a tiny TAP unit-test harness for the core: one "ok"/"not ok" line per
 * test function; failed checks are printed as "# file:line: expr" diagnostics. */
#ifndef V6_T_H
#define V6_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_num, t_failed_tests, t_cur_fail;

#define CHECK(c) do { if (!(c)) { t_cur_fail++; \
	if (t_cur_fail <= 20) printf("# %s:%d: check failed: %s\n", __FILE__, __LINE__, #c); } } while (0)
#define CHECKF(c, ...) do { if (!(c)) { t_cur_fail++; \
	if (t_cur_fail <= 20) { printf("# %s:%d: check failed: %s: ", __FILE__, __LINE__, #c); \
	printf(__VA_ARGS__); printf("\n"); } } } while (0)
#define CHECK_EQ(a, b) CHECKF((a) == (b), "%lld != %lld", (long long)(a), (long long)(b))
#define CHECK_MEM(a, b, n) CHECKF(memcmp((a), (b), (n)) == 0, "memory differs")

static inline void t_run(const char *name, void (*fn)(void))
{
	t_cur_fail = 0;
	fn();
	t_num++;
	if (t_cur_fail) {
		t_failed_tests++;
		printf("not ok %d - %s (%d failed checks)\n", t_num, name, t_cur_fail);
	} else {
		printf("ok %d - %s\n", t_num, name);
	}
	fflush(stdout);
}

#define RUN(fn) t_run(#fn, fn)

static inline int t_done(void)
{
	printf("1..%d\n", t_num);
	return t_failed_tests ? 1 : 0;
}

/* Hex string to bytes; returns length. Whitespace ignored. */
static inline size_t t_unhex(const char *h, unsigned char *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;
	for (; *h && n < cap; h++) {
		int v;
		if (*h >= '0' && *h <= '9') v = *h - '0';
		else if (*h >= 'a' && *h <= 'f') v = *h - 'a' + 10;
		else if (*h >= 'A' && *h <= 'F') v = *h - 'A' + 10;
		else continue;
		if (hi < 0) hi = v;
		else { out[n++] = (unsigned char)(hi << 4 | v); hi = -1; }
	}
	return n;
}

#endif
