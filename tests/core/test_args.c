/* test_args.c - option value parsers: numbers, addresses, prefixes, MACs,
 * port lists, rewrites, RFC 5952 text and the one error message form. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "args.h"
#include "frag.h"
#include "util.h"
#include "t.h"

static char err[ARG_ERRLEN];

/* The reason text contains `frag` (reasons are part of the interface). */
#define CHECK_ERR(call, frag) do { err[0] = 0; CHECK(!(call)); \
	CHECKF(strstr(err, frag) != NULL, "error '%s' lacks '%s'", err, frag); } while (0)

static void uint_parser(void)
{
	uint64_t v = 99;

	CHECK(parse_uint("0", 0, 10, &v, err) && v == 0);
	CHECK(parse_uint("10", 0, 10, &v, err) && v == 10);
	CHECK(parse_uint("010", 0, 100, &v, err) && v == 10);	/* decimal, not octal */
	CHECK(parse_uint("0x1F", 0, 100, &v, err) && v == 31);
	CHECK(parse_uint("0Xff", 0, 1000, &v, err) && v == 255);
	CHECK(parse_uint("18446744073709551615", 0, UINT64_MAX, &v, err) && v == UINT64_MAX);
	CHECK(parse_uint("0xffffffffffffffff", 0, UINT64_MAX, &v, err) && v == UINT64_MAX);
	v = 7;
	CHECK_ERR(parse_uint("", 0, 10, &v, err), "empty");
	CHECK_EQ(v, 7);						/* untouched on error */
	CHECK_ERR(parse_uint(NULL, 0, 10, &v, err), "empty");
	CHECK_ERR(parse_uint("-1", 0, 10, &v, err), "sign");
	CHECK_ERR(parse_uint("+1", 0, 10, &v, err), "sign");
	CHECK_ERR(parse_uint(" 1", 0, 10, &v, err), "not a decimal");
	CHECK_ERR(parse_uint("1 ", 0, 10, &v, err), "not a decimal");
	CHECK_ERR(parse_uint("12abc", 0, 100, &v, err), "not a decimal");
	CHECK_ERR(parse_uint("1.5", 0, 100, &v, err), "not a decimal");
	CHECK_ERR(parse_uint("0x", 0, 100, &v, err), "no hex digits");
	CHECK_ERR(parse_uint("0xfg", 0, 1000, &v, err), "not a hexadecimal");
	CHECK_ERR(parse_uint("18446744073709551616", 0, UINT64_MAX, &v, err), "out of range");
	CHECK_ERR(parse_uint("0x10000000000000000", 0, UINT64_MAX, &v, err), "out of range");
	CHECK_ERR(parse_uint("99999999999999999999999", 0, 10, &v, err), "out of range (0..10)");
	CHECK_ERR(parse_uint("11", 0, 10, &v, err), "out of range (0..10)");
	CHECK_ERR(parse_uint("0", 1, 10, &v, err), "out of range (1..10)");
	CHECK(!parse_uint("x", 0, 1, &v, NULL));		/* err may be NULL */
}

static void double_parser(void)
{
	double d = -1;

	CHECK(parse_double("1.5", 0, 100, &d, err) && d == 1.5);
	CHECK(parse_double("2", 0, 100, &d, err) && d == 2);
	CHECK(parse_double(".25", 0, 100, &d, err) && d == 0.25);
	CHECK(parse_double("0", 0, 100, &d, err) && d == 0);
	CHECK(parse_double("1e-3", 0, 100, &d, err) && d == 0.001);
	CHECK(parse_double("-0.5", -1, 1, &d, err) && d == -0.5);
	CHECK_ERR(parse_double("", 0, 10, &d, err), "empty");
	CHECK_ERR(parse_double("nan", 0, 10, &d, err), "not a decimal");
	CHECK_ERR(parse_double("inf", 0, 1e300, &d, err), "not a decimal");
	CHECK_ERR(parse_double("infinity", 0, 1e300, &d, err), "not a decimal");
	CHECK_ERR(parse_double("0x10", 0, 100, &d, err), "not a decimal");
	CHECK_ERR(parse_double("1.5s", 0, 100, &d, err), "not a decimal");
	CHECK_ERR(parse_double(" 1", 0, 100, &d, err), "not a decimal");
	CHECK_ERR(parse_double("1.2.3", 0, 100, &d, err), "not a decimal");
	CHECK_ERR(parse_double(".", 0, 100, &d, err), "not a decimal");
	CHECK_ERR(parse_double("1e", 0, 100, &d, err), "not a decimal");
	CHECK_ERR(parse_double("-1", 0, 100, &d, err), "out of range");
	CHECK_ERR(parse_double("1e400", 0, 1e300, &d, err), "out of range");
	CHECK_ERR(parse_double("100.001", 0, 100, &d, err), "out of range");
}

static void ip_parsers(void)
{
	uint8_t a6[16], a4[4], want[16];
	struct v6_addr a;

	CHECK(parse_ip6("2001:db8::1", a6, err));
	inet_pton(AF_INET6, "2001:db8::1", want);
	CHECK_MEM(a6, want, 16);
	CHECK(parse_ip6("::", a6, err));
	CHECK(parse_ip6("::ffff:192.0.2.1", a6, err) && a6[10] == 0xff && a6[12] == 192 && a6[15] == 1);
	CHECK(parse_ip6("2001:DB8:0:0:0:0:0:1", a6, err) && !memcmp(a6, want, 16));
	CHECK_ERR(parse_ip6("fe80::1%eth0", a6, err), "zone");
	CHECK_ERR(parse_ip6("192.0.2.1", a6, err), "not IPv4");
	CHECK_ERR(parse_ip6("2001:db8::/32", a6, err), "not a prefix");
	CHECK_ERR(parse_ip6("[2001:db8::1]", a6, err), "brackets");
	CHECK_ERR(parse_ip6("2001:db8:::1", a6, err), "not an IPv6");
	CHECK_ERR(parse_ip6("2001:db8::1::2", a6, err), "not an IPv6");
	CHECK_ERR(parse_ip6("1:2:3:4:5:6:7:8:9", a6, err), "not an IPv6");
	CHECK_ERR(parse_ip6("2001:db8::g", a6, err), "not an IPv6");
	CHECK_ERR(parse_ip6("12345::", a6, err), "not an IPv6");
	CHECK_ERR(parse_ip6("", a6, err), "empty");

	CHECK(parse_ip4("192.0.2.1", a4, err) && a4[0] == 192 && a4[3] == 1);
	CHECK(parse_ip4("0.0.0.0", a4, err) && a4[0] == 0);
	CHECK(parse_ip4("255.255.255.255", a4, err) && a4[3] == 255);
	CHECK_ERR(parse_ip4("256.0.0.1", a4, err), "not an IPv4");
	CHECK_ERR(parse_ip4("1.2.3", a4, err), "not an IPv4");
	CHECK_ERR(parse_ip4("1.2.3.4.5", a4, err), "not an IPv4");
	CHECK_ERR(parse_ip4("010.0.0.1", a4, err), "not an IPv4");	/* octal trap */
	CHECK_ERR(parse_ip4("0x7f.0.0.1", a4, err), "not an IPv4");
	CHECK_ERR(parse_ip4("2130706433", a4, err), "not an IPv4");
	CHECK_ERR(parse_ip4("1.2.3.4 ", a4, err), "not an IPv4");
	CHECK_ERR(parse_ip4("::1", a4, err), "not IPv6");
	CHECK_ERR(parse_ip4("10.0.0.0/8", a4, err), "not a prefix");

	CHECK(parse_addr("2001:db8::1", &a, err) && a.family == 6 && !memcmp(a.a, want, 16));
	CHECK(parse_addr("192.0.2.7", &a, err) && a.family == 4 && a.a[3] == 7 && a.a[4] == 0);
	CHECK_ERR(parse_addr("example.com", &a, err), "not an IPv4");
	CHECK_ERR(parse_addr("eth0", &a, err), "not an IPv4 or IPv6");
	CHECK_ERR(parse_addr("", &a, err), "empty");
}

static void prefixes(void)
{
	struct v6_prefix p;
	struct v6_addr a;
	char buf[46];

	CHECK(parse_prefix("2001:db8::/32", &p, err) && p.len == 32 && p.addr.family == 6);
	CHECK(!strcmp(fmt_addr(&p.addr, buf), "2001:db8::"));
	CHECK(parse_prefix("192.0.2.0/24", &p, err) && p.len == 24 && p.addr.family == 4);
	CHECK(parse_prefix("::/0", &p, err) && p.len == 0);
	CHECK(parse_prefix("0.0.0.0/0", &p, err) && p.len == 0);
	CHECK(parse_prefix("2001:db8::1", &p, err) && p.len == 128);
	CHECK(parse_prefix("192.0.2.1", &p, err) && p.len == 32);
	CHECK(parse_prefix("2001:db8::1/128", &p, err) && p.len == 128);
	CHECK(parse_prefix("2001:db8:8000::/33", &p, err) && p.len == 33);
	CHECK_ERR(parse_prefix("2001:db8::1/64", &p, err), "host bits set (did you mean 2001:db8::/64?)");
	CHECK_ERR(parse_prefix("192.0.2.1/24", &p, err), "host bits set (did you mean 192.0.2.0/24?)");
	CHECK_ERR(parse_prefix("2001:db8:4000::/33", &p, err), "host bits set");
	CHECK_ERR(parse_prefix("2001:db8::/129", &p, err), "out of range (0..128)");
	CHECK_ERR(parse_prefix("192.0.2.0/33", &p, err), "out of range (0..32)");
	CHECK_ERR(parse_prefix("2001:db8::/", &p, err), "missing prefix length");
	CHECK_ERR(parse_prefix("/64", &p, err), "missing address");
	CHECK_ERR(parse_prefix("2001:db8::/0x20", &p, err), "not a decimal");
	CHECK_ERR(parse_prefix("2001:db8::/-1", &p, err), "not a decimal");
	CHECK_ERR(parse_prefix("2001:db8::/32/1", &p, err), "not a decimal");
	CHECK_ERR(parse_prefix("fe80::%eth0/64", &p, err), "zone");
	CHECK_ERR(parse_prefix("", &p, err), "empty");

	CHECK(parse_prefix("2001:db8:8000::/33", &p, err));
	CHECK(parse_addr("2001:db8:ffff::1", &a, err) && prefix_match(&p, &a));
	CHECK(parse_addr("2001:db8:7fff::1", &a, err) && !prefix_match(&p, &a));
	CHECK(parse_addr("192.0.2.1", &a, err) && !prefix_match(&p, &a));	/* family */
	CHECK(parse_prefix("::/0", &p, err) && parse_addr("ff02::1", &a, err) && prefix_match(&p, &a));
	CHECK(parse_prefix("10.0.0.0/8", &p, err) && parse_addr("10.255.0.1", &a, err) && prefix_match(&p, &a));
	CHECK(parse_addr("11.0.0.1", &a, err) && !prefix_match(&p, &a));
	CHECK(parse_prefix("192.0.2.1", &p, err) && parse_addr("192.0.2.1", &a, err) && prefix_match(&p, &a));
	CHECK(parse_addr("192.0.2.2", &a, err) && !prefix_match(&p, &a));
}

static void macs(void)
{
	uint8_t m[6];
	static const uint8_t want[6] = { 0x02, 0x00, 0x5e, 0x00, 0x53, 0xab };
	char buf[18];

	CHECK(parse_mac("02:00:5e:00:53:ab", m, err) && !memcmp(m, want, 6));
	CHECK(parse_mac("02-00-5E-00-53-AB", m, err) && !memcmp(m, want, 6));
	CHECK(parse_mac("2:0:5e:0:53:Ab", m, err) && !memcmp(m, want, 6));
	CHECK(!strcmp(fmt_mac(m, buf), "02:00:5e:00:53:ab"));
	CHECK(parse_mac("FF:FF:FF:FF:FF:FF", m, err) && !strcmp(fmt_mac(m, buf), "ff:ff:ff:ff:ff:ff"));
	CHECK_ERR(parse_mac("02:00:5e:00:53", m, err), "6 hex octets");
	CHECK_ERR(parse_mac("02:00:5e:00:53:ab:cd", m, err), "exactly 6");
	CHECK_ERR(parse_mac("02:00-5e:00:53:ab", m, err), "mixed");
	CHECK_ERR(parse_mac("02:00:5e:00:53:ag", m, err), "6 hex octets");
	CHECK_ERR(parse_mac("020:0:5e:00:53:ab", m, err), "6 hex octets");
	CHECK_ERR(parse_mac("0200.5e00.53ab", m, err), "6 hex octets");
	CHECK_ERR(parse_mac("02:00:5e:00:53:", m, err), "6 hex octets");
	CHECK_ERR(parse_mac("02::5e:00:53:ab", m, err), "6 hex octets");
	CHECK_ERR(parse_mac("", m, err), "empty");
}

static int count_ports(const uint8_t *set)
{
	int n = 0;

	for (unsigned p = 0; p < 65536; p++)
		n += port_set_has(set, (uint16_t)p);
	return n;
}

static void port_lists(void)
{
	static uint8_t set[8192];

	CHECK(parse_ports("80,443,8000-8010", set, err));
	CHECK(port_set_has(set, 80) && port_set_has(set, 443) && port_set_has(set, 8000) &&
	      port_set_has(set, 8005) && port_set_has(set, 8010));
	CHECK(!port_set_has(set, 81) && !port_set_has(set, 7999) && !port_set_has(set, 8011));
	CHECK_EQ(count_ports(set), 13);
	CHECK(parse_ports("1-65535", set, err) && count_ports(set) == 65535);
	CHECK(parse_ports("53", set, err) && count_ports(set) == 1 && port_set_has(set, 53));	/* cleared first */
	CHECK_ERR(parse_ports("0", set, err), "out of range (1..65535)");
	CHECK_ERR(parse_ports("0-80", set, err), "out of range (1..65535)");
	CHECK(parse_ports("65535,7-7", set, err) && port_set_has(set, 65535) && count_ports(set) == 2);
	CHECK(parse_ports("80,80", set, err) && count_ports(set) == 1);
	CHECK_ERR(parse_ports("8010-8000", set, err), "reversed range 8010-8000");
	CHECK_ERR(parse_ports("65536", set, err), "out of range (1..65535)");
	CHECK_ERR(parse_ports("1-70000", set, err), "out of range");
	CHECK_ERR(parse_ports("80,,443", set, err), "empty element");
	CHECK_ERR(parse_ports("80,", set, err), "empty element");
	CHECK_ERR(parse_ports(",80", set, err), "empty element");
	CHECK_ERR(parse_ports("-80", set, err), "empty number");
	CHECK_ERR(parse_ports("80-", set, err), "empty number");
	CHECK_ERR(parse_ports("1-2-3", set, err), "not a decimal");
	CHECK_ERR(parse_ports("http", set, err), "not a decimal");
	CHECK_ERR(parse_ports("0x50", set, err), "not a decimal");
	CHECK_ERR(parse_ports(" 80", set, err), "not a decimal");
	CHECK_ERR(parse_ports("", set, err), "empty");
}

static void hex_octets(void)
{
	uint8_t b[8];
	size_t n = 0;

	CHECK(parse_hex("0x60 00:ff-Aa", b, sizeof(b), &n, err));
	CHECK_EQ(n, 4);
	CHECK(b[0] == 0x60 && b[1] == 0 && b[2] == 0xff && b[3] == 0xaa);
	CHECK(!parse_hex("abc", b, sizeof(b), &n, err));
	CHECK(strstr(err, "odd") != NULL);
	CHECK(!parse_hex("zz", b, sizeof(b), &n, err));
	CHECK(strstr(err, "not a hex digit") != NULL);
	CHECK(!parse_hex("", b, sizeof(b), &n, err));
	CHECK(!parse_hex("0x", b, sizeof(b), &n, err));
	CHECK(!parse_hex("000102030405060708", b, sizeof(b), &n, err));	/* 9 > cap 8 */
	CHECK(strstr(err, "more than 8") != NULL);
	CHECK(parse_hex("0001020304050607", b, sizeof(b), &n, err) && n == 8);
}

static void rewrites(void)
{
	struct v6_rewrite r;
	char b1[46], b2[46];

	CHECK(parse_rewrite("2001:db8::1=2001:db8::2", &r, err) && r.old.len == 128 && r.new_.len == 128);
	CHECK(!strcmp(fmt_addr(&r.old.addr, b1), "2001:db8::1") && !strcmp(fmt_addr(&r.new_.addr, b2), "2001:db8::2"));
	CHECK(parse_rewrite("2001:db8:1::/48=2001:db8:2::/48", &r, err) && r.old.len == 48);
	CHECK(parse_rewrite("10.0.0.0/8=192.168.0.0/8", &r, err) == false);	/* host bits */
	CHECK(parse_rewrite("10.0.0.0/8=11.0.0.0/8", &r, err) && r.new_.addr.family == 4 && r.new_.addr.a[0] == 11);
	CHECK(parse_rewrite("192.0.2.1=198.51.100.1/32", &r, err));
	CHECK_ERR(parse_rewrite("2001:db8::/32=2001:db9::/48", &r, err), "prefix lengths differ (/32 and /48)");
	CHECK_ERR(parse_rewrite("2001:db8::1=192.0.2.1", &r, err), "different families");
	CHECK_ERR(parse_rewrite("::ffff:192.0.2.1=192.0.2.1", &r, err), "different families");
	CHECK_ERR(parse_rewrite("2001:db8::1", &r, err), "expected OLD=NEW");
	CHECK_ERR(parse_rewrite("2001:db8::1=", &r, err), "NEW: empty");
	CHECK_ERR(parse_rewrite("=2001:db8::1", &r, err), "OLD: empty");
	CHECK_ERR(parse_rewrite("a=b=c", &r, err), "more than one");
	CHECK_ERR(parse_rewrite("2001:db8::1/64=2001:db8::/64", &r, err), "OLD: host bits set");
	CHECK_ERR(parse_rewrite("", &r, err), "empty");
}

/* RFC 5952 §4 and §5 examples, and the edges of the zero-run rule. */
static void rfc5952_text(void)
{
	static const char *const cases[][2] = {
		/* §4.1 leading zeros */
		{ "2001:0db8::0001", "2001:db8::1" },
		{ "2001:db8:0000:0000:0000:0000:0000:0001", "2001:db8::1" },
		/* §4.2.1 shorten as much as possible */
		{ "2001:db8:0:0:0:0:2:1", "2001:db8::2:1" },
		{ "2001:db8::0:1", "2001:db8::1" },
		/* §4.2.2 a single 16-bit 0 field is not shortened */
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" },
		/* §4.2.3 longest run; leftmost on a tie */
		{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		/* §4.3 lower case */
		{ "2001:DB8::AAAA:BBBB", "2001:db8::aaaa:bbbb" },
		/* §5 IPv4-mapped */
		{ "::ffff:192.0.2.1", "::ffff:192.0.2.1" },
		{ "0:0:0:0:0:ffff:c000:0201", "::ffff:192.0.2.1" },
		/* edges */
		{ "::", "::" },
		{ "::1", "::1" },
		{ "1::", "1::" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "1:0:0:0:0:0:0:0", "1::" },
		{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
		{ "0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7" },
		{ "1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0" },
		{ "1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0" },
		{ "0:0:1:0:0:1:0:0", "::1:0:0:1:0:0" },
		{ "1:0:0:2:0:0:0:3", "1:0:0:2::3" },
		{ "fe80::0:0:1", "fe80::1" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "::ffff:0.0.0.0", "::ffff:0.0.0.0" },
		{ "::ffff:0:1.2.3.4", "::ffff:0:102:304" },	/* not IPv4-mapped */
		{ "::1.2.3.4", "::102:304" },			/* deprecated compatible: hex */
		{ "64:ff9b::192.0.2.33", "64:ff9b::c000:221" },
	};
	uint8_t a[16];
	char buf[46];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECKF(parse_ip6(cases[i][0], a, err), "%s: %s", cases[i][0], err);
		fmt_ip6(a, buf);
		CHECKF(!strcmp(buf, cases[i][1]), "%s -> %s, want %s", cases[i][0], buf, cases[i][1]);
	}
}

/* Random addresses with many zero fields: round trip, and glibc agrees. */
static void fmt_ip6_random(void)
{
	uint64_t x = 0x853c49e6748fea9bull;
	unsigned mism = 0;

	for (int k = 0; k < 20000; k++) {
		uint8_t a[16], back[16];
		char mine[46], libc[INET6_ADDRSTRLEN];

		for (int i = 0; i < 8; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint16_t w = (x & 3) ? 0 : (uint16_t)(x >> 20);	/* mostly zeros */
			if ((x >> 40 & 7) == 0)
				w = (uint16_t)(x >> 44) & 0xf;
			a[2 * i] = (uint8_t)(w >> 8);
			a[2 * i + 1] = (uint8_t)w;
		}
		fmt_ip6(a, mine);
		CHECK(inet_pton(AF_INET6, mine, back) == 1 && !memcmp(a, back, 16));
		/* glibc differs only for the deprecated ::a.b.c.d form */
		static const uint8_t zero12[12];
		bool compat = !memcmp(a, zero12, 12) && (a[12] | a[13]);
		inet_ntop(AF_INET6, a, libc, sizeof(libc));
		if (!compat && strcmp(mine, libc) && mism++ < 5)
			CHECKF(0, "mine %s, glibc %s", mine, libc);
	}
	CHECK_EQ(mism, 0);
}

static void fmt_other(void)
{
	uint8_t a4[4] = { 192, 0, 2, 255 };
	struct v6_addr a = { .family = 4 };
	char buf[46];

	CHECK(!strcmp(fmt_ip4(a4, buf), "192.0.2.255"));
	memcpy(a.a, a4, 4);
	CHECK(!strcmp(fmt_addr(&a, buf), "192.0.2.255"));
}

/* Run an arg_*() in a child; return its exit status and stderr text. */
static int in_child(void (*fn)(void), char *out, size_t cap)
{
	int fd[2], status;
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	if (pipe(fd))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		fn();
		_exit(0);
	}
	close(fd[1]);
	while (got + 1 < cap && (n = read(fd[0], out + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void bad_count(void) { arg_uint("count", "12x", 1, 1000); }
static void bad_timeout(void) { arg_double("timeout", "nan", 0, 1e6); }
static void bad_prefix(void) { struct v6_prefix p; arg_prefix("allow", "2001:db8::1/64", &p); }
static void bad_mac(void) { uint8_t m[6]; arg_mac("gateway-mac", "zz", m); }
static void bad_zone(void) { uint8_t a[16]; arg_ip6("listen", "fe80::1%eth0", a); }
static void good_ports(void)
{
	static uint8_t set[8192];

	arg_ports("ports", "80,443", set);
	_exit(port_set_has(set, 443) && arg_uint("count", "0x10", 0, 16) == 16 ? 0 : 1);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void die_message_form(void)
{
	char out[512];

	v6_applet = "dnsfrag";
	CHECK_EQ(in_child(bad_count, out, sizeof(out)), 2);
	CHECKF(!strcmp(out, "v6kit dnsfrag: invalid --count value '12x': not a decimal integer\n"), "%s", out);
	CHECK_EQ(in_child(bad_timeout, out, sizeof(out)), 2);
	CHECKF(starts_with(out, "v6kit dnsfrag: invalid --timeout value 'nan': not a decimal number"), "%s", out);
	CHECK_EQ(in_child(bad_prefix, out, sizeof(out)), 2);
	CHECKF(!strcmp(out, "v6kit dnsfrag: invalid --allow value '2001:db8::1/64': "
			    "host bits set (did you mean 2001:db8::/64?)\n"), "%s", out);
	CHECK_EQ(in_child(bad_mac, out, sizeof(out)), 2);
	CHECKF(starts_with(out, "v6kit dnsfrag: invalid --gateway-mac value 'zz': expected 6 hex octets"), "%s", out);
	CHECK_EQ(in_child(bad_zone, out, sizeof(out)), 2);
	CHECKF(strstr(out, "invalid --listen value 'fe80::1%eth0': zone ids") != NULL, "%s", out);
	CHECK_EQ(in_child(good_ports, out, sizeof(out)), 0);
	CHECK_EQ(out[0], '\0');
	v6_applet = "v6kit";
}

/* --frag-id and --tx: the one parser dnsfrag and httpfrag share. */
static void frag_id_and_tx(void)
{
	struct frag_id_arg id = { -1, 99 };
	bool raw = true;

	CHECK(parse_frag_id("random", &id, err) && id.policy == FRAG_ID_RANDOM && id.fixed == 0);
	CHECK(parse_frag_id("sequential", &id, err) && id.policy == FRAG_ID_SEQUENTIAL);
	CHECK(parse_frag_id("0", &id, err) && id.policy == FRAG_ID_FIXED && id.fixed == 0);
	CHECK(parse_frag_id("4294967295", &id, err) && id.policy == FRAG_ID_FIXED && id.fixed == UINT32_MAX);
	CHECK_ERR(parse_frag_id("4294967296", &id, err), "random, sequential or a number");
	CHECK_ERR(parse_frag_id("often", &id, err), "random, sequential or a number");
	CHECK_ERR(parse_frag_id("", &id, err), "random, sequential or a number");
	CHECK_ERR(parse_frag_id("Random", &id, err), "random, sequential or a number");
	CHECK(parse_tx("link", &raw, err) && !raw);
	CHECK(parse_tx("raw", &raw, err) && raw);
	CHECK_ERR(parse_tx("RAW", &raw, err), "expected link or raw");
	CHECK_ERR(parse_tx("", &raw, err), "expected link or raw");
	CHECK_ERR(parse_tx("rawx", &raw, err), "expected link or raw");
}

int main(void)
{
	RUN(uint_parser);
	RUN(hex_octets);
	RUN(double_parser);
	RUN(ip_parsers);
	RUN(prefixes);
	RUN(macs);
	RUN(port_lists);
	RUN(rewrites);
	RUN(rfc5952_text);
	RUN(fmt_ip6_random);
	RUN(fmt_other);
	RUN(die_message_form);
	RUN(frag_id_and_tx);
	return t_done();
}
