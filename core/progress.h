/* progress.h - the progress bar of long offline jobs (SPEC §2): drawn on
 * stderr only when it is a terminal, only for a regular input file large
 * enough to take a while; throttled so it costs nothing per packet. */
#ifndef V6_PROGRESS_H
#define V6_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Inputs below this size finish before a bar would be worth drawing. */
#define PROGRESS_MIN_SIZE (1u << 22)
/* Callers estimate the bytes consumed of a pcap: file header, then one
 * record header per packet plus its captured bytes. */
#define PROGRESS_PCAP_HDR 24u
#define PROGRESS_PCAP_REC 16u

struct progress {
	FILE *out;		/* NULL: off */
	uint64_t total;		/* input size in bytes */
	uint64_t next_check;	/* packet count of the next clock look */
	uint64_t last_us;
	int last_pct;
};

/* On when `enabled`, stderr is a terminal and `path` is a regular file of
 * PROGRESS_MIN_SIZE or more ("-" = stdin never is).  Applets pass
 * enabled = !--no-progress && !quiet. */
void progress_init(struct progress *pg, const char *path, bool enabled);
/* Unconditionally on, drawing to `out` (tests; callers that know better). */
void progress_begin(struct progress *pg, uint64_t total, FILE *out);
void progress_tick(struct progress *pg, uint64_t packets, uint64_t bytes);
/* Erase the bar (before an error message, and at the end). */
void progress_done(struct progress *pg);
/* Erase the bar that is up, if any, so a line can be written; the next
 * tick redraws it.  The emitter and the diagnostics call it before every
 * line, so report lines never land on the bar's line. */
void progress_interrupt(void);

#endif
