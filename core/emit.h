/* emit.h - one emitter for human text and NDJSON (jansson) from the same calls.
 *
 * Modelled on iproute2's print_*(PRINT_ANY, key, fmt, value): each field is
 * one call; `fmt` is the text rendering (a printf format with exactly one
 * conversion for the value, or NULL for JSON-only), `key` the JSON name.
 * A record is em_begin(type) ... em_end(); JSON mode writes it as one line.
 */
#ifndef V6_EMIT_H
#define V6_EMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util.h"

enum em_where {
	EM_ANY = 0,	/* text (if fmt) and JSON */
	EM_TEXT = 1,	/* text only */
	EM_JSON = 2,	/* JSON only */
};

void em_init(bool json, FILE *out);
bool em_is_json(void);

FILE *em_stream(void);

/* A second sink beside the main stream: every record (unless begun with
 * em_begin_to() without EM_SINK_LOG) is also written to fd as one JSON line,
 * whatever the main stream's rendering.  A line that cannot be written whole
 * (disk full) is cut back, never left half written, and counted in
 * em_log_lost(); the first loss of an outage is reported on stderr and
 * writing resumes by itself.  fd -1: no second sink.  The caller owns fd. */
void em_log_set(int fd);
uint64_t em_log_lost(void);

/* --log FILE (every daemon): the second sink above on FILE, opened for
 * appending now (exit 3 if it cannot be) and owned by the emitter.
 * em_log_reopen_request() is async-signal-safe (call it from the SIGHUP
 * handler): the file is reopened by name before the next line, for log
 * rotation; if that fails the old one stays in use, with a warning. */
void em_log_open(const char *path);
void em_log_reopen_request(void);
/* Reopen now if a request is pending (an event loop that saw SIGHUP), and
 * close the emitter's own --log file at the end. */
void em_log_service(void);
void em_log_close(void);

/* Flush the main stream; a write error there (disk full, /dev/full) is
 * fatal as in GNU tools: "write error" on stderr, exit 3 (SPEC §2: an
 * output that cannot be written is a missing resource).  em_end() does it
 * after every record, and the stream is checked once more at exit. */
void em_flush(void);
void em_write_failed(const char *what) V6_NORETURN;

enum { EM_SINK_OUT = 1u << 0, EM_SINK_LOG = 1u << 1 };
void em_begin(const char *type);	/* = em_begin_to(EM_SINK_OUT | EM_SINK_LOG, type) */
void em_begin_to(unsigned sinks, const char *type);
void em_end(void);
/* Drop a record under construction (e.g. filtered out after all). */
void em_discard(void);

/* The text formats are checked by the compiler like printf's: each field
 * call below is a macro that hands fmt, with the value as the text
 * rendering receives it, to a never-called printf-like function. */
static inline V6_PRINTF(1, 2) void em_fmt_check_(const char *fmt, ...) { (void)fmt; }
static inline void em_fmt_none_(const void *fmt, ...) { (void)fmt; }
/* NULL (JSON only) has nothing to check. */
#define EM_FMT_CHECK_(fmt, v) ((void)(0 && (__builtin_choose_expr( \
	__builtin_types_compatible_p(__typeof__(fmt), void *), em_fmt_none_, em_fmt_check_)((fmt), (v)), 0)))

/* "ts": RFC 3339 UTC with microseconds; text shows the same string via fmt. */
void em_ts_(enum em_where w, const char *fmt, uint64_t wall_us);
void em_str_(enum em_where w, const char *key, const char *fmt, const char *v);
void em_u64_(enum em_where w, const char *key, const char *fmt, uint64_t v);
void em_i64_(enum em_where w, const char *key, const char *fmt, int64_t v);
void em_dbl_(enum em_where w, const char *key, const char *fmt, double v);
/* Booleans: text fmt receives "yes"/"no". */
void em_bool_(enum em_where w, const char *key, const char *fmt, bool v);
/* 16-bit value as the string "0x1234" in both renderings (fmt gets a string). */
void em_hex16_(enum em_where w, const char *key, const char *fmt, uint16_t v);
void em_null(enum em_where w, const char *key, const char *fmt);

#define em_ts(w, fmt, us) \
	(EM_FMT_CHECK_(fmt, (const char *)""), em_ts_((w), (fmt), (us)))
#define em_str(w, key, fmt, v) \
	(EM_FMT_CHECK_(fmt, (const char *)""), em_str_((w), (key), (fmt), (v)))
#define em_u64(w, key, fmt, v) \
	(EM_FMT_CHECK_(fmt, (unsigned long long)0), em_u64_((w), (key), (fmt), (v)))
#define em_i64(w, key, fmt, v) \
	(EM_FMT_CHECK_(fmt, (long long)0), em_i64_((w), (key), (fmt), (v)))
#define em_dbl(w, key, fmt, v) \
	(EM_FMT_CHECK_(fmt, (double)0), em_dbl_((w), (key), (fmt), (v)))
#define em_bool(w, key, fmt, v) \
	(EM_FMT_CHECK_(fmt, (const char *)""), em_bool_((w), (key), (fmt), (v)))
#define em_hex16(w, key, fmt, v) \
	(EM_FMT_CHECK_(fmt, (const char *)""), em_hex16_((w), (key), (fmt), (v)))

/* Containers: fmt (may be NULL) is printed literally in text mode. Inside an
 * array pass key NULL to the element calls. */
void em_obj_begin(enum em_where w, const char *key, const char *fmt);
void em_obj_end(enum em_where w, const char *fmt);
void em_arr_begin(enum em_where w, const char *key, const char *fmt);
void em_arr_end(enum em_where w, const char *fmt);

/* Text-only decoration. */
void em_text(const char *fmt, ...) V6_PRINTF(1, 2);

/* Format a wall-clock time in microseconds as RFC 3339 UTC with microseconds. */
void em_format_ts(uint64_t wall_us, char buf[32]);

/* Error object {"type":"error","applet":...,"message":...} in JSON mode;
 * a no-op in text mode (the caller already wrote stderr).  Used by die(). */
void em_error_json(const char *msg);
/* Per-item error with context: stderr message always; JSON adds file/line/packet
 * (pass NULL/0 to omit). */
void em_error_at(const char *file, unsigned long line, unsigned long packet,
		 const char *fmt, ...) V6_PRINTF(4, 5);

#endif
