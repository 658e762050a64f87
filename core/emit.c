/* emit.c - human text and NDJSON from the same field calls (see emit.h). */
#include "emit.h"
#include "progress.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EM_MAX_DEPTH 16

static struct {
	bool json;
	FILE *out;
	bool open;
	json_t *stack[EM_MAX_DEPTH];
	int depth;
	int skip_depth;		/* >0 while inside a container not emitted in this mode */
	char *text;
	size_t tlen, tcap;
} em = { .out = NULL };

/* util's die()/warnmsg() report through here (v6_diag_hook): the bar
 * off the screen before the stderr line, the JSON error line after it. */
static void diag(const char *msg, bool written)
{
	if (written)
		em_error_json(msg);
	else
		progress_interrupt();
}

void em_init(bool json, FILE *out)
{
	em.json = json;
	em.out = out ? out : stdout;
	v6_diag_hook = diag;
}

bool em_is_json(void) { return em.json; }
FILE *em_stream(void) { return em.out ? em.out : stdout; }

static bool em_wants(enum em_where w)
{
	if (em.skip_depth)
		return false;
	return w == EM_ANY || (w == EM_JSON) == em.json;
}

static void text_vadd(const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	/* Format once into the room there is; only a field that does not fit
	 * is formatted again after growing (records are built field by field,
	 * so formatting twice would double the cost of text output). */
	if (em.tcap - em.tlen < 256) {
		em.tcap = em.tcap ? em.tcap * 2 : 1024;
		em.text = xrealloc(em.text, em.tcap);
	}
	va_copy(ap2, ap);
	n = vsnprintf(em.text + em.tlen, em.tcap - em.tlen, fmt, ap2);
	va_end(ap2);
	if (n <= 0)
		return;
	if (em.tlen + (size_t)n + 1 > em.tcap) {
		em.tcap = (em.tlen + (size_t)n + 1) * 2;
		em.text = xrealloc(em.text, em.tcap);
		vsnprintf(em.text + em.tlen, em.tcap - em.tlen, fmt, ap);
	}
	em.tlen += (size_t)n;
}

static void text_add(const char *fmt, ...) V6_PRINTF(1, 2);
static void text_add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	text_vadd(fmt, ap);
	va_end(ap);
}

/* The text renderings take a caller's format with one conversion. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
static void text_fmt_str(const char *fmt, const char *v) { if (fmt) text_add(fmt, v); }
static void text_fmt_u64(const char *fmt, uint64_t v) { if (fmt) text_add(fmt, (unsigned long long)v); }
static void text_fmt_i64(const char *fmt, int64_t v) { if (fmt) text_add(fmt, (long long)v); }
static void text_fmt_dbl(const char *fmt, double v) { if (fmt) text_add(fmt, v); }
static void text_lit(const char *fmt) { if (fmt) text_add("%s", fmt); }
#pragma GCC diagnostic pop

void em_begin(const char *type)
{
	if (em.open)
		em_discard();
	em.open = true;
	em.tlen = 0;
	em.skip_depth = 0;
	if (em.json) {
		em.depth = 1;
		em.stack[0] = json_object();
		json_object_set_new(em.stack[0], "type", json_string(type));
	}
}

static void json_put(const char *key, json_t *v)
{
	json_t *top;

	if (!v)
		return;
	if (em.depth <= 0) {
		json_decref(v);
		return;
	}
	top = em.stack[em.depth - 1];
	if (json_is_array(top))
		json_array_append_new(top, v);
	else
		json_object_set_new(top, key ? key : "value", v);
}

void em_end(void)
{
	FILE *out = em_stream();

	if (!em.open)
		return;
	progress_interrupt();
	if (em.json) {
		char *s = json_dumps(em.stack[0], JSON_COMPACT | JSON_REAL_PRECISION(10));
		if (s) {
			fputs(s, out);
			fputc('\n', out);
			free(s);
		}
		json_decref(em.stack[0]);
		em.depth = 0;
	} else if (em.tlen) {
		fwrite(em.text, 1, em.tlen, out);
		if (em.text[em.tlen - 1] != '\n')
			fputc('\n', out);
	}
	em.tlen = 0;
	em.open = false;
	fflush(out);
}

void em_discard(void)
{
	if (em.json && em.depth > 0)
		json_decref(em.stack[0]);
	em.depth = 0;
	em.tlen = 0;
	em.open = false;
	em.skip_depth = 0;
}

void em_format_ts(uint64_t wall_us, char buf[32])
{
	time_t sec = (time_t)(wall_us / 1000000u);
	struct tm tm;
	char tmp[24];

	gmtime_r(&sec, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, 32, "%.19s.%06uZ", tmp, (unsigned)(wall_us % 1000000u));
}

void em_ts(enum em_where w, const char *fmt, uint64_t wall_us)
{
	char buf[32];

	if (!em_wants(w))
		return;
	em_format_ts(wall_us, buf);
	if (em.json)
		json_put("ts", json_string(buf));
	else
		text_fmt_str(fmt, buf);
}

void em_str(enum em_where w, const char *key, const char *fmt, const char *v)
{
	if (!em_wants(w))
		return;
	if (em.json)
		json_put(key, v ? json_string(v) : json_null());
	else
		text_fmt_str(fmt, v ? v : "-");
}

void em_u64(enum em_where w, const char *key, const char *fmt, uint64_t v)
{
	if (!em_wants(w))
		return;
	if (em.json)
		json_put(key, json_integer((json_int_t)v));
	else
		text_fmt_u64(fmt, v);
}

void em_i64(enum em_where w, const char *key, const char *fmt, int64_t v)
{
	if (!em_wants(w))
		return;
	if (em.json)
		json_put(key, json_integer((json_int_t)v));
	else
		text_fmt_i64(fmt, v);
}

void em_dbl(enum em_where w, const char *key, const char *fmt, double v)
{
	if (!em_wants(w))
		return;
	if (em.json)
		json_put(key, json_real(v));
	else
		text_fmt_dbl(fmt, v);
}

void em_bool(enum em_where w, const char *key, const char *fmt, bool v)
{
	if (!em_wants(w))
		return;
	if (em.json)
		json_put(key, json_boolean(v));
	else
		text_fmt_str(fmt, v ? "yes" : "no");
}

void em_hex16(enum em_where w, const char *key, const char *fmt, uint16_t v)
{
	char buf[8];

	if (!em_wants(w))
		return;
	snprintf(buf, sizeof(buf), "0x%04x", v);
	if (em.json)
		json_put(key, json_string(buf));
	else
		text_fmt_str(fmt, buf);
}

void em_null(enum em_where w, const char *key, const char *fmt)
{
	if (!em_wants(w))
		return;
	if (em.json)
		json_put(key, json_null());
	else
		text_lit(fmt);
}

static void container_begin(enum em_where w, const char *key, const char *fmt, bool array)
{
	if (!em_wants(w)) {
		em.skip_depth++;
		return;
	}
	if (em.json) {
		json_t *c = array ? json_array() : json_object();
		if (em.depth >= EM_MAX_DEPTH) {
			json_decref(c);
			em.skip_depth++;
			return;
		}
		json_put(key, json_incref(c));
		em.stack[em.depth++] = c;
		json_decref(c);
	} else {
		text_lit(fmt);
	}
}

static void container_end(enum em_where w, const char *fmt)
{
	(void)w;
	if (em.skip_depth) {
		em.skip_depth--;
		return;
	}
	if (em.json) {
		if (em.depth > 1)
			em.depth--;
	} else {
		text_lit(fmt);
	}
}

void em_obj_begin(enum em_where w, const char *key, const char *fmt) { container_begin(w, key, fmt, false); }
void em_obj_end(enum em_where w, const char *fmt) { container_end(w, fmt); }
void em_arr_begin(enum em_where w, const char *key, const char *fmt) { container_begin(w, key, fmt, true); }
void em_arr_end(enum em_where w, const char *fmt) { container_end(w, fmt); }

void em_text(const char *fmt, ...)
{
	va_list ap;

	if (em.json || em.skip_depth)
		return;
	va_start(ap, fmt);
	text_vadd(fmt, ap);
	va_end(ap);
}

static void error_json(const char *file, unsigned long line, unsigned long packet, const char *msg)
{
	json_t *o;
	char *s;

	if (!em.json)
		return;
	o = json_object();
	json_object_set_new(o, "type", json_string("error"));
	json_object_set_new(o, "applet", json_string(v6_applet));
	json_object_set_new(o, "message", json_string(msg));
	if (file)
		json_object_set_new(o, "file", json_string(file));
	if (line)
		json_object_set_new(o, "line", json_integer((json_int_t)line));
	if (packet)
		json_object_set_new(o, "packet", json_integer((json_int_t)packet));
	s = json_dumps(o, JSON_COMPACT);
	if (s) {
		fputs(s, em_stream());
		fputc('\n', em_stream());
		free(s);
	}
	json_decref(o);
	fflush(em_stream());
}

void em_error_json(const char *msg) { error_json(NULL, 0, 0, msg); }

void em_error_at(const char *file, unsigned long line, unsigned long packet, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	progress_interrupt();
	if (file && line)
		fprintf(stderr, "v6kit %s: %s:%lu: %s\n", v6_applet, file, line, msg);
	else if (file)
		fprintf(stderr, "v6kit %s: %s: %s\n", v6_applet, file, msg);
	else if (packet)
		fprintf(stderr, "v6kit %s: packet %lu: %s\n", v6_applet, packet, msg);
	else
		fprintf(stderr, "v6kit %s: %s\n", v6_applet, msg);
	error_json(file, line, packet, msg);
}
