/* emit.c - human text and NDJSON from the same field calls (see emit.h). */
#include "emit.h"
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EM_MAX_DEPTH 16

static struct {
	bool json;		/* the main stream's rendering */
	FILE *out;
	bool open;
	/* What the record under construction renders: text for a text main
	 * stream, JSON for a JSON main stream or a log sink (both at once when
	 * a text main stream has a log beside it). */
	bool want_text, want_json;
	unsigned sinks;		/* EM_SINK_* of the record under construction */
	json_t *stack[EM_MAX_DEPTH];
	int depth;
	int skip_text, skip_json;	/* >0 inside a container not rendered that way */
	char *text;
	size_t tlen, tcap;
	int log_fd;		/* second sink (JSON lines), -1 = none */
	uint64_t log_lost;
	bool log_failing;	/* the last log write failed (warned once per outage) */
	bool atexit_set, write_failed;
} em = { .out = NULL, .log_fd = -1 };

/* GNU close_stdout(): output that never reached its file is a failure the
 * caller must see, not exit 0. */
static void em_check_stdout(void)
{
	if (em.write_failed)
		return;
	if (fflush(stdout) != 0 || ferror(stdout))
		em_write_failed("standard output");
}

void em_write_failed(const char *what)
{
	int e = errno ? errno : EIO;

	if (em.write_failed)
		_exit(EXIT_RESOURCE);
	em.write_failed = true;
	progress_interrupt();
	fprintf(stderr, "v6kit%s%s: write error: %s: %s\n", strcmp(v6_applet, "v6kit") ? " " : "",
		strcmp(v6_applet, "v6kit") ? v6_applet : "", what, strerror(e));
	fflush(stderr);
	/* Nothing buffered can reach the stream any more: do not let the exit
	 * path try again (and report twice). */
	_exit(EXIT_RESOURCE);
}

/* --log FILE opened by the emitter itself (em_log_open): the same fd sink
 * as em_log_set(), reopened by name before the next line after SIGHUP. */
static struct {
	char *path;
	bool owned;		/* em.log_fd was opened here */
} emlog;
static volatile sig_atomic_t emlog_hup;

static int emlog_openfd(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

void em_log_open(const char *path)
{
	int fd = emlog_openfd(path);

	if (fd < 0)
		die(EXIT_RESOURCE, "cannot open --log file %s: %s", path, strerror(errno));
	if (emlog.owned && em.log_fd >= 0)
		close(em.log_fd);
	free(emlog.path);
	emlog.path = xstrdup(path);
	emlog.owned = true;
	em_log_set(fd);
}

void em_log_reopen_request(void) { emlog_hup = 1; }

void em_log_service(void)
{
	int fd;

	if (!emlog_hup || !emlog.owned)
		return;
	emlog_hup = 0;
	fd = emlog_openfd(emlog.path);
	if (fd < 0) {
		warnmsg("cannot reopen --log file %s: %s (still writing the old one)", emlog.path,
			strerror(errno));
		return;
	}
	close(em.log_fd);
	em.log_fd = fd;
}

void em_log_close(void)
{
	if (emlog.owned && em.log_fd >= 0)
		close(em.log_fd);
	em_log_set(-1);
	emlog.owned = false;
	free(emlog.path);
	emlog.path = NULL;
}

/* util's die()/warnmsg() report through here (v6_diag_hook): the bar
 * off the screen before the stderr line, the JSON error line after it. */
static void diag(const char *msg, enum v6_diag stage)
{
	if (stage == V6_DIAG_ERROR)
		em_error_json(msg);
	else if (stage == V6_DIAG_WARNING)
		em_warning_json(msg);
	else
		progress_interrupt();
}

void em_init(bool json, FILE *out)
{
	em.json = json;
	em.out = out ? out : stdout;
	if (!em.atexit_set) {
		em.atexit_set = true;
		atexit(em_check_stdout);
	}
	v6_diag_hook = diag;
}

bool em_is_json(void) { return em.json; }
FILE *em_stream(void) { return em.out ? em.out : stdout; }

void em_log_set(int fd)
{
	em.log_fd = fd;
	em.log_failing = false;
}

uint64_t em_log_lost(void) { return em.log_lost; }

static bool wants_text(enum em_where w)
{
	return em.want_text && !em.skip_text && w != EM_JSON;
}

static bool wants_json(enum em_where w)
{
	return em.want_json && !em.skip_json && w != EM_TEXT;
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

void em_begin_to(unsigned sinks, const char *type)
{
	if (em.open)
		em_discard();
	if (em.log_fd < 0)
		sinks &= ~(unsigned)EM_SINK_LOG;
	em.sinks = sinks;
	em.open = true;
	em.tlen = 0;
	em.skip_text = em.skip_json = 0;
	em.want_text = (sinks & EM_SINK_OUT) && !em.json;
	em.want_json = ((sinks & EM_SINK_OUT) && em.json) || (sinks & EM_SINK_LOG);
	em.depth = 0;
	if (em.want_json) {
		em.depth = 1;
		em.stack[0] = json_object();
		json_object_set_new(em.stack[0], "type", json_string(type));
	}
}

void em_begin(const char *type) { em_begin_to(EM_SINK_OUT | EM_SINK_LOG, type); }

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

/* One whole line or nothing: a short write (disk full) is cut back, so a
 * reader of the log never sees half a record.  Lost lines are counted; the
 * first loss of an outage is reported on stderr, and writing resumes by
 * itself when space returns. */
static void log_write(const char *line, size_t len)
{
	struct stat st;
	off_t before = fstat(em.log_fd, &st) == 0 && S_ISREG(st.st_mode) ? st.st_size : -1;
	int e;
	size_t done = v6_write_all(em.log_fd, line, len, &e);
	if (done == len) {
		if (em.log_failing)
			fprintf(stderr, "v6kit %s: --log writable again (%llu lines lost in all)\n",
				v6_applet, (unsigned long long)em.log_lost);
		em.log_failing = false;
		return;
	}
	if (done && before >= 0 && ftruncate(em.log_fd, before) < 0)
		e = errno;
	em.log_lost++;
	if (!em.log_failing) {
		em.log_failing = true;
		progress_interrupt();
		fprintf(stderr, "v6kit %s: --log: write error: %s (lines are lost and counted "
			"in log_lost until it can be written again)\n", v6_applet, strerror(e));
	}
}

void em_end(void)
{
	FILE *out = em_stream();
	char *js = NULL;

	if (!em.open)
		return;
	progress_interrupt();
	if (em.want_json) {
		js = json_dumps(em.stack[0], JSON_COMPACT | JSON_REAL_PRECISION(10));
		json_decref(em.stack[0]);
		em.depth = 0;
	}
	if (em.sinks & EM_SINK_OUT) {
		if (em.json && js) {
			fputs(js, out);
			fputc('\n', out);
		} else if (!em.json && em.tlen) {
			fwrite(em.text, 1, em.tlen, out);
			if (em.text[em.tlen - 1] != '\n')
				fputc('\n', out);
		}
	}
	if ((em.sinks & EM_SINK_LOG) && js) {
		size_t n = strlen(js);

		em_log_service();
		js[n] = '\n';	/* json_dumps leaves room: replace the NUL, write n+1 */
		log_write(js, n + 1);
	}
	free(js);
	em.tlen = 0;
	em.open = false;
	if (em.sinks & EM_SINK_OUT)
		em_flush();
}

void em_flush(void)
{
	FILE *out = em_stream();

	if (fflush(out) != 0 || ferror(out))
		em_write_failed(out == stdout ? "standard output" :
				out == stderr ? "standard error" : "output");
}

void em_discard(void)
{
	if (em.want_json && em.depth > 0)
		json_decref(em.stack[0]);
	em.depth = 0;
	em.tlen = 0;
	em.open = false;
	em.skip_text = em.skip_json = 0;
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

void em_ts_(enum em_where w, const char *fmt, uint64_t wall_us)
{
	char buf[32];

	if (!wants_json(w) && !wants_text(w))
		return;
	em_format_ts(wall_us, buf);
	if (wants_json(w))
		json_put("ts", json_string(buf));
	if (wants_text(w))
		text_fmt_str(fmt, buf);
}

void em_str_(enum em_where w, const char *key, const char *fmt, const char *v)
{
	if (wants_json(w))
		json_put(key, v ? json_string(v) : json_null());
	if (wants_text(w))
		text_fmt_str(fmt, v ? v : "-");
}

void em_u64_(enum em_where w, const char *key, const char *fmt, uint64_t v)
{
	if (wants_json(w))
		json_put(key, json_integer((json_int_t)v));
	if (wants_text(w))
		text_fmt_u64(fmt, v);
}

void em_i64_(enum em_where w, const char *key, const char *fmt, int64_t v)
{
	if (wants_json(w))
		json_put(key, json_integer((json_int_t)v));
	if (wants_text(w))
		text_fmt_i64(fmt, v);
}

void em_dbl_(enum em_where w, const char *key, const char *fmt, double v)
{
	if (wants_json(w))
		json_put(key, json_real(v));
	if (wants_text(w))
		text_fmt_dbl(fmt, v);
}

void em_bool_(enum em_where w, const char *key, const char *fmt, bool v)
{
	if (wants_json(w))
		json_put(key, json_boolean(v));
	if (wants_text(w))
		text_fmt_str(fmt, v ? "yes" : "no");
}

void em_hex16_(enum em_where w, const char *key, const char *fmt, uint16_t v)
{
	char buf[8];

	snprintf(buf, sizeof(buf), "0x%04x", v);
	if (wants_json(w))
		json_put(key, json_string(buf));
	if (wants_text(w))
		text_fmt_str(fmt, buf);
}

void em_null(enum em_where w, const char *key, const char *fmt)
{
	if (wants_json(w))
		json_put(key, json_null());
	if (wants_text(w))
		text_lit(fmt);
}

static void container_begin(enum em_where w, const char *key, const char *fmt, bool array)
{
	if (em.want_json) {
		if (!wants_json(w)) {
			em.skip_json++;
		} else {
			json_t *c = array ? json_array() : json_object();

			if (em.depth >= EM_MAX_DEPTH) {
				json_decref(c);
				em.skip_json++;
			} else {
				json_put(key, json_incref(c));
				em.stack[em.depth++] = c;
				json_decref(c);
			}
		}
	}
	if (em.want_text) {
		if (!wants_text(w))
			em.skip_text++;
		else
			text_lit(fmt);
	}
}

static void container_end(enum em_where w, const char *fmt)
{
	(void)w;
	if (em.want_json) {
		if (em.skip_json)
			em.skip_json--;
		else if (em.depth > 1)
			em.depth--;
	}
	if (em.want_text) {
		if (em.skip_text)
			em.skip_text--;
		else
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

	if (!em.want_text || em.skip_text)
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
	em_flush();
}

void em_error_json(const char *msg) { error_json(NULL, 0, 0, msg); }

void em_warning_json(const char *msg)
{
	json_t *o;
	char *s;

	if (!em.json)
		return;
	o = json_pack("{s:s, s:s, s:s}", "type", "warning", "applet", v6_applet, "message", msg);
	s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (s) {
		fputs(s, em_stream());
		fputc('\n', em_stream());
		free(s);
	}
	json_decref(o);
	fflush(em_stream());
}

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
