/* args.c - the one parser for option values: numbers, addresses (RFC 4291,
 * RFC 791 dotted quad), prefixes, MACs, port lists, rewrites; RFC 5952 text. */
#include "args.h"
#include "eh.h"
#include "frag.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool fail(char *err, const char *fmt, ...) V6_PRINTF(2, 3);

static bool fail(char *err, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, ARG_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return false;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len, char *err)
{
	size_t n = 0;
	int hi = -1;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (const char *q = s; *q; q++) {
		int v = hexval(*q);

		if (v < 0) {
			if (*q == ' ' || *q == ':' || *q == '\t' || *q == '\n' || *q == '-')
				continue;
			return fail(err, "'%c' is not a hex digit", *q);
		}
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n == cap)
			return fail(err, "more than %zu octets", cap);
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return fail(err, "odd number of hex digits");
	if (n == 0)
		return fail(err, "no octets");
	*len = n;
	return true;
}

static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/*
 * Hand-rolled rather than strtoull: strtoull skips blanks, accepts a sign
 * (and negates!), and treats a leading 0 as octal; none of that belongs in
 * an option value.
 */
bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err)
{
	unsigned base = 10;
	uint64_t v = 0;
	const char *p;

	if (!s || !*s)
		return fail(err, "empty value");
	if (*s == '-' || *s == '+')
		return fail(err, "sign not allowed (expected %llu..%llu)",
			    (unsigned long long)min, (unsigned long long)max);
	p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!*p)
			return fail(err, "no hex digits after 0x");
	}
	for (; *p; p++) {
		int d = hexval(*p);

		if (d < 0 || (unsigned)d >= base)
			return fail(err, "not a %s integer", base == 16 ? "hexadecimal" : "decimal");
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return fail(err, "out of range (%llu..%llu)",
				    (unsigned long long)min, (unsigned long long)max);
		v = v * base + (uint64_t)d;
	}
	if (v < min || v > max)
		return fail(err, "out of range (%llu..%llu)", (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return true;
}

/* Decimal only, for prefix lengths and ports: "0x50" there is surely a typo. */
static bool parse_dec(const char *s, size_t n, uint64_t min, uint64_t max, uint64_t *out, char *err)
{
	char tmp[24];

	if (n == 0)
		return fail(err, "empty number");
	if (!all_digits(s, n))
		return fail(err, "'%.*s' is not a decimal number", (int)(n > 20 ? 20 : n), s);
	if (n >= sizeof(tmp))
		return fail(err, "out of range (%llu..%llu)", (unsigned long long)min, (unsigned long long)max);
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return parse_uint(tmp, min, max, out, err);
}

/* Plain decimal fractions ("1.5", "2", ".25", "1e-3"); no hex floats, nan, inf. */
bool parse_double(const char *s, double min, double max, double *out, char *err)
{
	bool digit = false;
	char *end;
	double v;

	if (!s || !*s)
		return fail(err, "empty value");
	for (const char *p = s; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digit = true;
		else if (*p == '.' || *p == 'e' || *p == 'E')
			continue;
		else if ((*p == '-' || *p == '+') && (p == s || p[-1] == 'e' || p[-1] == 'E'))
			continue;
		else
			return fail(err, "not a decimal number");
	}
	if (!digit)
		return fail(err, "not a decimal number");
	errno = 0;
	v = strtod(s, &end);
	if (*end || end == s)
		return fail(err, "not a decimal number");
	if (errno == ERANGE || !isfinite(v) || v < min || v > max)
		return fail(err, "out of range (%g..%g)", min, max);
	*out = v;
	return true;
}

bool parse_ip6(const char *s, uint8_t out[16], char *err)
{
	uint8_t tmp[4];

	if (!s || !*s)
		return fail(err, "empty value");
	if (strchr(s, '%'))
		return fail(err, "zone ids (%%IFACE) are not accepted; give the interface with its own option");
	if (strchr(s, '/'))
		return fail(err, "an address was expected, not a prefix");
	if (s[0] == '[')
		return fail(err, "brackets are not accepted around an address");
	if (inet_pton(AF_INET6, s, out) == 1)
		return true;
	if (inet_pton(AF_INET, s, tmp) == 1)
		return fail(err, "an IPv6 address was expected, not IPv4 (write ::ffff:%s for IPv4-mapped)", s);
	return fail(err, "not an IPv6 address");
}

bool parse_ip4(const char *s, uint8_t out[4], char *err)
{
	if (!s || !*s)
		return fail(err, "empty value");
	if (strchr(s, '/'))
		return fail(err, "an address was expected, not a prefix");
	/* glibc's inet_pton takes only four decimal parts, no leading zeros:
	 * no octal or shorthand surprises from inet_aton. */
	if (inet_pton(AF_INET, s, out) == 1)
		return true;
	if (strchr(s, ':'))
		return fail(err, "an IPv4 address was expected, not IPv6");
	return fail(err, "not an IPv4 address (dotted quad, e.g. 192.0.2.1)");
}

bool parse_addr(const char *s, struct v6_addr *out, char *err)
{
	memset(out, 0, sizeof(*out));
	if (s && strchr(s, ':')) {
		out->family = 6;
		return parse_ip6(s, out->a, err);
	}
	if (s && *s && !strchr(s, '.') && !strchr(s, '/'))
		return fail(err, "not an IPv4 or IPv6 address");
	out->family = 4;
	return parse_ip4(s, out->a, err);
}

static unsigned addr_bits(const struct v6_addr *a)
{
	return a->family == 6 ? 128 : 32;
}

/* Does `a` have any bit set at or after bit `len`? */
static bool host_bits(const struct v6_addr *a, unsigned len)
{
	unsigned nbytes = addr_bits(a) / 8;

	for (unsigned i = len / 8; i < nbytes; i++) {
		uint8_t mask = i == len / 8 ? (uint8_t)(0xff >> (len % 8)) : 0xff;

		if (a->a[i] & mask)
			return true;
	}
	return false;
}

static void clear_host_bits(struct v6_addr *a, unsigned len)
{
	unsigned nbytes = addr_bits(a) / 8;

	for (unsigned i = len / 8; i < nbytes; i++)
		a->a[i] &= i == len / 8 ? (uint8_t)~(0xff >> (len % 8)) : 0;
}

bool parse_prefix(const char *s, struct v6_prefix *out, char *err)
{
	char addr[64];
	const char *slash;
	uint64_t len;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return fail(err, "empty value");
	slash = strchr(s, '/');
	if (!slash) {
		if (!parse_addr(s, &out->addr, err))
			return false;
		out->len = (uint8_t)addr_bits(&out->addr);
		return true;
	}
	if ((size_t)(slash - s) >= sizeof(addr))
		return fail(err, "not an address/length prefix");
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (!*addr)
		return fail(err, "missing address before '/'");
	if (!parse_addr(addr, &out->addr, err))
		return false;
	if (!slash[1])
		return fail(err, "missing prefix length after '/'");
	if (!parse_dec(slash + 1, strlen(slash + 1), 0, addr_bits(&out->addr), &len, err)) {
		char why[ARG_ERRLEN];

		snprintf(why, sizeof(why), "%s", err ? err : "");
		return fail(err, "bad prefix length: %s", why);
	}
	if (host_bits(&out->addr, (unsigned)len)) {
		struct v6_addr net = out->addr;
		char buf[46];

		clear_host_bits(&net, (unsigned)len);
		return fail(err, "host bits set (did you mean %s/%u?)", fmt_addr(&net, buf), (unsigned)len);
	}
	out->len = (uint8_t)len;
	return true;
}

/* 1 or 2 hex digits per octet (macOS prints 0:1c:...), one separator kind. */
bool parse_mac(const char *s, uint8_t out[6], char *err)
{
	const char *p = s;
	char sep = 0;

	if (!s || !*s)
		return fail(err, "empty value");
	for (int i = 0; i < 6; i++) {
		int hi = hexval(p[0]), lo;

		if (hi < 0)
			return fail(err, "expected 6 hex octets like 02:00:5e:00:53:01");
		lo = hexval(p[1]);
		if (lo >= 0) {
			out[i] = (uint8_t)(hi << 4 | lo);
			p += 2;
		} else {
			out[i] = (uint8_t)hi;
			p += 1;
		}
		if (i == 5)
			break;
		if (*p != ':' && *p != '-')
			return fail(err, "expected 6 hex octets like 02:00:5e:00:53:01");
		if (sep && *p != sep)
			return fail(err, "mixed ':' and '-' separators");
		sep = *p++;
	}
	if (*p == ':' || *p == '-')
		return fail(err, "expected exactly 6 octets");
	if (*p)
		return fail(err, "expected 6 hex octets like 02:00:5e:00:53:01");
	return true;
}

bool parse_ports(const char *s, uint8_t set[8192], char *err)
{
	const char *p = s;

	memset(set, 0, 8192);
	if (!s || !*s)
		return fail(err, "empty value");
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		const char *dash = memchr(p, '-', n);
		uint64_t lo, hi;

		if (n == 0)
			return fail(err, "empty element in port list");
		if (dash) {
			/* Port 0 is no service port (nothing listens on it). */
			if (!parse_dec(p, (size_t)(dash - p), 1, 65535, &lo, err) ||
			    !parse_dec(dash + 1, n - (size_t)(dash - p) - 1, 1, 65535, &hi, err))
				return false;
			if (lo > hi)
				return fail(err, "reversed range %llu-%llu", (unsigned long long)lo,
					    (unsigned long long)hi);
		} else {
			if (!parse_dec(p, n, 1, 65535, &lo, err))
				return false;
			hi = lo;
		}
		for (uint64_t v = lo; v <= hi; v++)
			set[v >> 3] |= (uint8_t)(1u << (v & 7));
		if (!comma)
			return true;
		p = comma + 1;
	}
}

bool parse_rewrite(const char *s, struct v6_rewrite *out, char *err)
{
	char old[64], why[ARG_ERRLEN];
	const char *eq;

	memset(out, 0, sizeof(*out));
	if (!s || !*s)
		return fail(err, "empty value");
	eq = strchr(s, '=');
	if (!eq)
		return fail(err, "expected OLD=NEW");
	if (strchr(eq + 1, '='))
		return fail(err, "more than one '='");
	if ((size_t)(eq - s) >= sizeof(old))
		return fail(err, "OLD is not an address or prefix");
	memcpy(old, s, (size_t)(eq - s));
	old[eq - s] = '\0';
	if (!parse_prefix(old, &out->old, why))
		return fail(err, "OLD: %s", why);
	if (!parse_prefix(eq + 1, &out->new_, why))
		return fail(err, "NEW: %s", why);
	if (out->old.addr.family != out->new_.addr.family)
		return fail(err, "OLD and NEW are of different families");
	if (out->old.len != out->new_.len)
		return fail(err, "prefix lengths differ (/%u and /%u)", out->old.len, out->new_.len);
	return true;
}

/*
 * RFC 5952 §4: lower case, no leading zeros, the longest run of two or more
 * zero fields becomes "::" (the first on a tie), a lone zero field stays.
 * §5: mixed notation for IPv4-mapped (::ffff:0:0/96) only; the deprecated
 * IPv4-compatible ::/96 is printed in hex (glibc prints ::1.2.3.4 there).
 */
const char *fmt_ip6(const uint8_t a[16], char buf[46])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	unsigned w[8];
	int best = -1, best_len = 0;
	char *o = buf;

	if (!memcmp(a, mapped, 12)) {
		snprintf(buf, 46, "::ffff:%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
		return buf;
	}
	for (int i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8;) {
		int j = i;

		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			*o++ = ':';
			if (i == 0)
				*o++ = ':';
			i += best_len - 1;
			continue;
		}
		o += sprintf(o, "%x", w[i]);
		if (i < 7)
			*o++ = ':';
	}
	*o = '\0';
	return buf;
}

const char *fmt_ip4(const uint8_t a[4], char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
	return buf;
}

const char *fmt_addr(const struct v6_addr *a, char buf[46])
{
	return a->family == 6 ? fmt_ip6(a->a, buf) : fmt_ip4(a->a, buf);
}

const char *fmt_mac(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
	return buf;
}

bool prefix_match(const struct v6_prefix *p, const struct v6_addr *a)
{
	unsigned full = p->len / 8, rest = p->len % 8;

	if (p->addr.family != a->family || p->len > addr_bits(a))
		return false;
	if (memcmp(p->addr.a, a->a, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		return ((p->addr.a[full] ^ a->a[full]) & mask) == 0;
	}
	return true;
}

bool parse_frag_id(const char *s, struct frag_id_arg *out, char *err)
{
	uint64_t v;

	out->fixed = 0;
	if (!strcmp(s, "random")) {
		out->policy = FRAG_ID_RANDOM;
		return true;
	}
	if (!strcmp(s, "sequential")) {
		out->policy = FRAG_ID_SEQUENTIAL;
		return true;
	}
	if (!parse_uint(s, 0, UINT32_MAX, &v, err))
		return fail(err, "expected random, sequential or a number 0..4294967295");
	out->policy = FRAG_ID_FIXED;
	out->fixed = (uint32_t)v;
	return true;
}

bool parse_tx(const char *s, bool *raw, char *err)
{
	if (strcmp(s, "link") && strcmp(s, "raw"))
		return fail(err, "expected link or raw");
	*raw = !strcmp(s, "raw");
	return true;
}

/* The one message form for every bad option value (exit 2). */
static void V6_NORETURN bad_value(const char *opt, const char *s, const char *why)
{
	die(EXIT_USAGE, "invalid %s%s value '%s': %s", opt[0] == '-' ? "" : "--", opt, s ? s : "", why);
}

uint64_t arg_uint(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char err[ARG_ERRLEN];
	uint64_t v;

	if (!parse_uint(s, min, max, &v, err))
		bad_value(opt, s, err);
	return v;
}

double arg_double(const char *opt, const char *s, double min, double max)
{
	char err[ARG_ERRLEN];
	double v;

	if (!parse_double(s, min, max, &v, err))
		bad_value(opt, s, err);
	return v;
}

#define ARG_WRAP(name, out_decl)					\
void arg_##name(const char *opt, const char *s, out_decl)		\
{									\
	char err[ARG_ERRLEN];						\
									\
	if (!parse_##name(s, out, err))					\
		bad_value(opt, s, err);					\
}

ARG_WRAP(ip6, uint8_t out[16])
ARG_WRAP(ip4, uint8_t out[4])
ARG_WRAP(addr, struct v6_addr *out)
ARG_WRAP(prefix, struct v6_prefix *out)
ARG_WRAP(mac, uint8_t out[6])
ARG_WRAP(ports, uint8_t out[8192])
ARG_WRAP(rewrite, struct v6_rewrite *out)
ARG_WRAP(frag_id, struct frag_id_arg *out)
ARG_WRAP(tx, bool *out)

void arg_eh(const char *opt, const char *s, struct eh_chain *ch)
{
	char err[EH_ERRLEN];
	size_t n = strlen(s);
	const char *why = err;

	if (eh_parse(ch, s, err))
		return;
	/* eh_parse() names the SPEC itself: "'SPEC': why" */
	if (err[0] == '\'' && !strncmp(err + 1, s, n) && !strncmp(err + 1 + n, "': ", 3))
		why = err + n + 4;
	bad_value(opt, s, why);
}

bool arg_eh_order(const char *opt, const char *s)
{
	if (strcmp(s, "rfc") && strcmp(s, "given"))
		bad_value(opt, s, "expected rfc (RFC 8200 §4.1 order) or given");
	return !strcmp(s, "given");
}

void arg_eh_finish(struct eh_chain *ch, bool given_order)
{
	char err[EH_ERRLEN];

	if (!eh_finish(ch, given_order, err))
		die(EXIT_USAGE, "--eh %s: %s", ch->spec, err);
}
