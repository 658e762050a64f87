/* test_progress.c - core/progress: when the bar is drawn, what it shows, and
 * that it is erased. */
#include "emit.h"
#include "progress.h"
#include "t.h"

#include <unistd.h>

static void test_draw_and_erase(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct progress pg;

	progress_begin(&pg, 1000, f);
	progress_tick(&pg, 1, 500);		/* first tick draws */
	fflush(f);
	CHECKF(strstr(buf, "\r[====================                    ]  50% 1 packets") != NULL, "'%s'", buf);
	size_t before = len;
	progress_tick(&pg, 2, 600);		/* within 4096 packets: no clock look */
	fflush(f);
	CHECK_EQ(len, before);
	progress_done(&pg);
	fflush(f);
	CHECK(len >= 4 && !strcmp(buf + len - 4, "\r\033[K"));
	fclose(f);
	free(buf);
}

static void test_full_and_never_over(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct progress pg;

	progress_begin(&pg, 100, f);
	progress_tick(&pg, 9000, 5000);		/* estimate past the end: 100%, not more */
	fflush(f);
	CHECKF(strstr(buf, "] 100% 9000 packets") != NULL, "'%s'", buf);
	fclose(f);
	free(buf);
}

static void test_off_cases(void)
{
	struct progress pg;
	char path[] = "/tmp/v6kit-progress-XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	CHECK(ftruncate(fd, PROGRESS_MIN_SIZE * 2) == 0);
	/* Disabled, stdin, a small or missing file: off (and under make test,
	 * stderr is no terminal, so even a large file stays off). */
	progress_init(&pg, path, false);
	CHECK(pg.out == NULL);
	progress_init(&pg, "-", true);
	CHECK(pg.out == NULL);
	progress_init(&pg, "/nonexistent/x.pcap", true);
	CHECK(pg.out == NULL);
	progress_init(&pg, path, true);
	CHECK(pg.out == NULL || isatty(STDERR_FILENO));
	progress_tick(&pg, 1, 1);		/* off: harmless */
	progress_done(&pg);
	close(fd);
	unlink(path);
}

/* A report line (emitter) takes the bar off the screen first; the next tick
 * draws it again. */
static void test_interrupted_by_a_line(void)
{
	char *bar = NULL, *text = NULL;
	size_t blen = 0, tlen = 0;
	FILE *fb = open_memstream(&bar, &blen), *ft = open_memstream(&text, &tlen);
	struct progress pg;

	em_init(false, ft);
	progress_begin(&pg, 1000, fb);
	progress_tick(&pg, 1, 100);
	fflush(fb);
	size_t drawn = blen;
	CHECK(drawn > 0);
	em_begin("x");
	em_text("report line");
	em_end();
	fflush(fb);
	fflush(ft);
	CHECK(blen == drawn + 4 && !strcmp(bar + drawn, "\r\033[K"));
	CHECK(!strcmp(text, "report line\n"));
	em_begin("x");		/* bar already off: nothing more to erase */
	em_text("second");
	em_end();
	fflush(fb);
	CHECK_EQ(blen, drawn + 4);
	progress_tick(&pg, 4097, 200);	/* redrawn at once, not 100 ms later */
	fflush(fb);
	CHECKF(strstr(bar + drawn, "20% 4097 packets") != NULL, "'%s'", bar + drawn);
	progress_done(&pg);
	progress_interrupt();		/* no bar any more: harmless */
	em_init(false, stdout);
	fclose(fb);
	fclose(ft);
	free(bar);
	free(text);
}

int main(void)
{
	RUN(test_draw_and_erase);
	RUN(test_full_and_never_over);
	RUN(test_off_cases);
	RUN(test_interrupted_by_a_line);
	return t_done();
}
