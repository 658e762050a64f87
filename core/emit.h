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

void em_begin(const char *type);
void em_end(void);
/* Drop a record under construction (e.g. filtered out after all). */
void em_discard(void);

/* "ts": RFC 3339 UTC with microseconds; text shows the same string via fmt. */
void em_ts(enum em_where w, const char *fmt, uint64_t wall_us);
void em_str(enum em_where w, const char *key, const char *fmt, const char *v);
void em_u64(enum em_where w, const char *key, const char *fmt, uint64_t v);
void em_i64(enum em_where w, const char *key, const char *fmt, int64_t v);
void em_dbl(enum em_where w, const char *key, const char *fmt, double v);
/* Booleans: text fmt receives "yes"/"no". */
void em_bool(enum em_where w, const char *key, const char *fmt, bool v);
/* 16-bit value as the string "0x1234" in both renderings (fmt gets a string). */
void em_hex16(enum em_where w, const char *key, const char *fmt, uint16_t v);
void em_null(enum em_where w, const char *key, const char *fmt);

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
/* {"type":"warning","applet":...,"message":...} in JSON mode (warnmsg()). */
void em_warning_json(const char *msg);
/* Per-item error with context: stderr message always; JSON adds file/line/packet
 * (pass NULL/0 to omit). */
void em_error_at(const char *file, unsigned long line, unsigned long packet,
		 const char *fmt, ...) V6_PRINTF(4, 5);

#endif
