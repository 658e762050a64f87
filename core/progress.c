/* progress.c - terminal progress bar for long offline jobs (SPEC §2). */
#include "progress.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The one bar on screen: a process draws at most one. */
static struct progress *active;

void progress_begin(struct progress *pg, uint64_t total, FILE *out)
{
	active = pg;
	memset(pg, 0, sizeof(*pg));
	pg->last_pct = -1;
	pg->out = out;
	pg->total = total ? total : 1;
}

void progress_init(struct progress *pg, const char *path, bool enabled)
{
	struct stat st;

	memset(pg, 0, sizeof(*pg));
	pg->last_pct = -1;
	if (!enabled || !isatty(STDERR_FILENO) || !path || !strcmp(path, "-"))
		return;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)PROGRESS_MIN_SIZE)
		return;
	progress_begin(pg, (uint64_t)st.st_size, stderr);
}

void progress_tick(struct progress *pg, uint64_t packets, uint64_t bytes)
{
	uint64_t now;
	int pct, w;

	/* Look at the clock every 4096 packets, redraw at most 10 times a second. */
	if (!pg->out || packets < pg->next_check)
		return;
	pg->next_check = packets + 4096;
	now = now_mono_us();
	if (pg->last_pct >= 0 && now - pg->last_us < 100000)
		return;
	pg->last_us = now;
	pct = bytes >= pg->total ? 100 : (int)(bytes * 100 / pg->total);
	if (pct == pg->last_pct)
		return;
	pg->last_pct = pct;
	w = pct * 40 / 100;
	fprintf(pg->out, "\r[%.*s%*s] %3d%% %llu packets", w,
		"========================================", 40 - w, "", pct,
		(unsigned long long)packets);
	fflush(pg->out);
}

static void erase(struct progress *pg)
{
	if (pg->out && pg->last_pct >= 0) {
		fputs("\r\033[K", pg->out);
		fflush(pg->out);
	}
	pg->last_pct = -1;
}

void progress_done(struct progress *pg)
{
	erase(pg);
	if (active == pg)
		active = NULL;
}

void progress_interrupt(void)
{
	if (active)
		erase(active);
}
