/* util.h - applet identity, diagnostics with the "v6kit APPLET:" prefix, exit codes, allocation. */
#ifndef V6_UTIL_H
#define V6_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit status, SPEC §2. */
enum {
	EXIT_OK = 0,       /* success */
	EXIT_FAIL = 1,     /* job ran, found a failure it reports */
	EXIT_USAGE = 2,    /* usage error or bad input */
	EXIT_RESOURCE = 3, /* missing privilege or resource */
};

#define V6_NORETURN __attribute__((noreturn))
#define V6_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define V6_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

extern const char *v6_applet;	/* name of the running applet, "v6kit" before dispatch */
extern int v6_verbosity;	/* -1 quiet, 0 normal, 1+ verbose */

/* Called twice with every diagnostic of die()/errmsg()/warnmsg(): before
 * its stderr line (V6_DIAG_BEFORE) and after it (V6_DIAG_ERROR, or
 * V6_DIAG_WARNING for warnmsg()).  The emitter (core/emit, em_init)
 * installs one that takes the progress bar off the screen first and writes
 * the JSON error or warning line after, so util depends on no layer above
 * it.  NULL: stderr only. */
enum v6_diag { V6_DIAG_BEFORE, V6_DIAG_ERROR, V6_DIAG_WARNING };
extern void (*v6_diag_hook)(const char *msg, enum v6_diag stage);

/* Set-up errors only: print "v6kit APPLET: msg" on stderr (and an error
 * object when the emitter is in JSON mode), then exit with `code`. */
void die(int code, const char *fmt, ...) V6_PRINTF(2, 3) V6_NORETURN;
/* Same, for usage errors: adds "Try 'v6kit APPLET --help'." and exits 2. */
void die_usage(const char *fmt, ...) V6_PRINTF(1, 2) V6_NORETURN;
/* The usage error behind getopt_long()'s '?' (call it there, having set
 * opterr = 0 before the loop so getopt prints nothing of its own): names the
 * option and what is wrong with it, as text and as a JSON error line. */
void die_getopt(char *const argv[], const char *shortopts) V6_NORETURN;
/* Non-fatal diagnostic on stderr (and a JSON warning line in JSON mode):
 * something the user should know; the job goes on as asked. */
void warnmsg(const char *fmt, ...) V6_PRINTF(1, 2);
/* An error that does not stop the process here (the caller ends the job and
 * exits 1): stderr, and a JSON error line in JSON mode. */
void errmsg(const char *fmt, ...) V6_PRINTF(1, 2);
/* Diagnostic on stderr only when verbose. */
void debugmsg(const char *fmt, ...) V6_PRINTF(1, 2);

/* The one exit rule for the daemons (dnsfrag, httpfrag, 6in4-relay; see
 * v6kit(1) EXIT STATUS), called once stopped: EXIT_FAIL when any frame the
 * daemon meant to send was refused by the kernel (after the transmit
 * policy's retries; `send_failed`, the count its summary shows) or when
 * `broken` (its capture, listener or output failed while running), with a
 * diagnostic naming the count; else EXIT_OK.  Packets it chose not to send
 * (refused, rate limited, not allowed, malformed input) never count. */
int daemon_exit_status(uint64_t send_failed, bool broken);

/* write(2) until len octets are out, retrying EINTR; returns how many
 * went out, with *err the errno that stopped it (ENOSPC for a write of 0). */
size_t v6_write_all(int fd, const void *buf, size_t len, int *err);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Monotonic and wall clocks in microseconds. */
uint64_t now_mono_us(void);
uint64_t now_wall_us(void);

/* Fill buf with bytes from the kernel CSPRNG (getrandom); never fails silently. */
void v6_random(void *buf, size_t n);

#endif
