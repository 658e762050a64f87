/* util.c - diagnostics, exit codes and allocation shared by every applet. */
#include "util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

const char *v6_applet = "v6kit";
int v6_verbosity;
void (*v6_diag_hook)(const char *msg, enum v6_diag stage);

static void vreport_as(bool warning, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (v6_diag_hook)
		v6_diag_hook(msg, V6_DIAG_BEFORE);
	fprintf(stderr, "v6kit%s%s: %s\n", strcmp(v6_applet, "v6kit") ? " " : "",
		strcmp(v6_applet, "v6kit") ? v6_applet : "", msg);
	if (v6_diag_hook)
		v6_diag_hook(msg, warning ? V6_DIAG_WARNING : V6_DIAG_ERROR);
}

static void vreport(const char *fmt, va_list ap) { vreport_as(false, fmt, ap); }

void die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	fflush(stdout);
	exit(code);
}

void die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
	if (strcmp(v6_applet, "v6kit"))
		fprintf(stderr, "Try 'v6kit %s --help'.\n", v6_applet);
	else
		fprintf(stderr, "Try 'v6kit --help'.\n");
	fflush(stdout);
	exit(EXIT_USAGE);
}

void die_getopt(char *const argv[], const char *shortopts)
{
	/* glibc with opterr = 0: optopt is 0 for an unknown long option, else
	 * the option's character (or long option's val); a long option has
	 * already advanced optind, so argv[optind - 1] is the word at fault. */
	const char *word = optind > 0 ? argv[optind - 1] : "";

	if (!strncmp(word, "--", 2)) {
		const char *eq = strchr(word, '=');

		if (!optopt)
			die_usage("unrecognized option '%s'", word);
		if (eq)
			die_usage("option '%.*s' takes no value", (int)(eq - word), word);
		die_usage("option '%s' needs a value", word);
	}
	if (optopt > 0 && optopt < 256 && optopt != ':' && strchr(shortopts, optopt))
		die_usage("option '-%c' needs a value", optopt);
	if (optopt > 32 && optopt < 127)
		die_usage("unknown option '-%c'", optopt);
	die_usage("unknown option");
}

void warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport_as(true, fmt, ap);
	va_end(ap);
}

void errmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(fmt, ap);
	va_end(ap);
}

void debugmsg(const char *fmt, ...)
{
	va_list ap;

	if (v6_verbosity < 1)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "v6kit %s: ", v6_applet);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

int daemon_exit_status(uint64_t send_failed, bool broken)
{
	if (send_failed)
		errmsg("%llu send%s failed (see the summary's counters)",
			(unsigned long long)send_failed, send_failed == 1 ? "" : "s");
	return send_failed || broken ? EXIT_FAIL : EXIT_OK;
}

size_t v6_write_all(int fd, const void *buf, size_t len, int *err)
{
	const char *p = buf;
	size_t done = 0;

	*err = 0;
	while (done < len) {
		ssize_t n = write(fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? errno : ENOSPC;
			break;
		}
		done += (size_t)n;
	}
	return done;
}

static void *oom(void)
{
	die(EXIT_RESOURCE, "out of memory");
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	return p ? p : oom();
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);
	return p ? p : oom();
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	return q ? q : oom();
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	return p ? p : oom();
}

uint64_t now_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t now_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void v6_random(void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die(EXIT_RESOURCE, "getrandom: %s", strerror(errno));
		}
		p += r;
		n -= (size_t)r;
	}
}
