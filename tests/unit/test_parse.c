// SPDX-License-Identifier: GPL-2.0-only
/*
 * Strict parsers: tables of valid words with what they must mean, and of
 * invalid words that must be refused with -EINVAL and a reason.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <linux/types.h>

#include "edgeward/abi.h"
#include "edgeward/blocklist.h"
#include "edgeward/policy.h"
#include "parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define S 1000000000ULL

/* ---- CIDRs ---- */

static const struct {
	const char *in;
	const char *canon;	/* ew_cidr_format of the result */
	int family, plen;
} cidr_ok[] = {
	{ "192.0.2.0/24", "192.0.2.0/24", 4, 24 },
	{ "10.0.0.0/8", "10.0.0.0/8", 4, 8 },
	{ "10.0.0.1", "10.0.0.1/32", 4, 32 },
	{ "0.0.0.0/0", "0.0.0.0/0", 4, 0 },
	{ "0.0.0.0", "0.0.0.0/32", 4, 32 },
	{ "255.255.255.255/32", "255.255.255.255/32", 4, 32 },
	{ "172.16.0.0/12", "172.16.0.0/12", 4, 12 },
	{ "100.64.0.0/10", "100.64.0.0/10", 4, 10 },
	{ "2001:db8::/32", "2001:db8::/32", 6, 32 },
	{ "2001:DB8::/32", "2001:db8::/32", 6, 32 },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1/128", 6, 128 },
	{ "::/0", "::/0", 6, 0 },
	{ "::", "::/128", 6, 128 },
	{ "::1", "::1/128", 6, 128 },
	{ "fe80::/10", "fe80::/10", 6, 10 },
	{ "::ffff:1.2.3.4", "::ffff:1.2.3.4/128", 6, 128 },
	{ "::ffff:0.0.0.0/96", "::ffff:0.0.0.0/96", 6, 96 },
	{ "ff00::/8", "ff00::/8", 6, 8 },
	{ "1:2:3:4:5:6:7:8/128", "1:2:3:4:5:6:7:8/128", 6, 128 },
};

static const char *const cidr_bad[] = {
	"",
	"/",
	"/8",
	"/ 8",
	"1.2.3.4/",
	"1.2.3.4/ 8",
	"1.2.3.4/+8",
	"1.2.3.4/-8",
	"1.2.3.4/08",
	"1.2.3.4/00",
	"1.2.3.4/33",
	"1.2.3.4/8x",
	"1.2.3.4/0x8",
	"1.2.3.4/8.0",
	"1.2.3.4//8",
	"1.2.3.4/8/8",
	"1.2.3.4/99999999999999999999",
	"1.2.3.4/4294967328",
	" 1.2.3.4",
	"1.2.3.4 ",
	"1.2.3.4\n",
	"1.2.3.4\t",
	"1. 2.3.4",
	"1.2.3.4x",
	"010.1.1.1",
	"10.01.1.1",
	"1.2.3.04",
	"00.1.2.3",
	"10.1",
	"10",
	"10.1.1",
	"1.2.3.4.5",
	"256.1.1.1",
	"1.2.3.999",
	"4294967296",
	"2130706433",
	"0x0a.0.0.1",
	"0x7f000001",
	"1.2.3.-4",
	"-1.2.3.4",
	"+1.2.3.4",
	"1..2.3",
	"1.2.3.",
	".1.2.3",
	"1,2,3,4",
	"1.2.3.4:80",
	"\xd9\xa1.\xd9\xa2.\xd9\xa3.\xd9\xa4",	/* Arabic-Indic digits 1.2.3.4 */
	"\xef\xbc\x91.2.3.4",			/* fullwidth digit one */
	"1.2.3.\xc2\xb9",			/* superscript one */
	"::ffff:1.2.3.4/129",
	"2001:db8::/129",
	"2001:db8::/0129",
	"2001:db8::/-1",
	"::1/1 28",
	"2001:db8::/32/",
	"fe80::1%eth0",
	"fe80::1%1/64",
	"1:2:3:4:5:6:7:8:9",
	"1:2:3:4:5:6:7:8:9/64",
	"1:2:3:4:5:6:7",
	"1::2::3",
	"12345::",
	"gggg::",
	"2001:db8::g",
	":1::",
	"1::2:",
	":::",
	"2001:db8:::/48",
	"[::1]",
	"[::1]/128",
	"::ffff:01.2.3.4",
	"::ffff:1.2.3",
	"::1.2.3.4.5",
	"::1.2.3.4:5",
	"1.2.3.4::",
	"0x::",
	"192.168.1.5/24",	/* host bits, without EW_CIDR_CANON */
	"2001:db8::1/32",
	"10.0.0.1/0",
	"2001:db8:0:0:0:0:0:0:0/64",
	"1111111111111111111111111111111111111111111111111111111111111111111111",
};

static void test_cidr_valid(void **state)
{
	char err[EW_ERRLEN], buf[EW_CIDR_STRLEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cidr_ok); i++) {
		struct ew_cidr c;
		int r;

		memset(&c, 0xaa, sizeof(c));
		err[0] = '\0';
		r = ew_cidr_parse(cidr_ok[i].in, 0, &c, err, sizeof(err));
		if (r != 0)
			fail_msg("ew_cidr_parse(\"%s\") = %d (%s), expected 0", cidr_ok[i].in, r,
				 err);
		if (c.family != cidr_ok[i].family || c.plen != cidr_ok[i].plen)
			fail_msg("\"%s\": family %u plen %u, expected %d %d", cidr_ok[i].in,
				 c.family, c.plen, cidr_ok[i].family, cidr_ok[i].plen);
		r = ew_cidr_format(&c, buf, sizeof(buf));
		if (r != (int)strlen(cidr_ok[i].canon) || strcmp(buf, cidr_ok[i].canon))
			fail_msg("format(\"%s\") = %d \"%s\", expected \"%s\"", cidr_ok[i].in, r,
				 buf, cidr_ok[i].canon);
		if (c.family == 4)
			for (size_t b = 4; b < 16; b++)
				if (c.addr[b])
					fail_msg("\"%s\": byte %zu of an IPv4 address not zero",
						 cidr_ok[i].in, b);
	}
}

static void test_cidr_invalid(void **state)
{
	char err[EW_ERRLEN];
	size_t i;

	(void)state;
	assert_true(ARRAY_SIZE(cidr_bad) >= 40);
	for (i = 0; i < ARRAY_SIZE(cidr_bad); i++) {
		struct ew_cidr c;
		int r;

		err[0] = '\0';
		r = ew_cidr_parse(cidr_bad[i], 0, &c, err, sizeof(err));
		if (r != -EINVAL)
			fail_msg("ew_cidr_parse(\"%s\") = %d, expected -EINVAL", cidr_bad[i], r);
		if (!err[0])
			fail_msg("ew_cidr_parse(\"%s\"): empty error message", cidr_bad[i]);
		/* The echoed input is sanitised: no control characters reach a log line. */
		for (const char *p = err; *p; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				fail_msg("ew_cidr_parse(\"%s\"): raw byte 0x%02x in \"%s\"",
					 cidr_bad[i], (unsigned char)*p, err);
	}
	/* NULL is refused like the empty string. */
	assert_int_equal(ew_cidr_parse(NULL, 0, &(struct ew_cidr){ 0 }, err, sizeof(err)),
			 -EINVAL);
}

static void test_cidr_host_bits(void **state)
{
	char err[EW_ERRLEN], buf[EW_CIDR_STRLEN];
	struct ew_cidr c;
	int r;

	(void)state;
	r = ew_cidr_parse("192.168.1.5/24", 0, &c, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err,
			    "\"192.168.1.5/24\": host bits set (did you mean 192.168.1.0/24?)");

	r = ew_cidr_parse("192.168.1.5/24", EW_CIDR_CANON, &c, err, sizeof(err));
	assert_int_equal(r, 1);
	assert_non_null(strstr(err, "host bits set"));
	ew_cidr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "192.168.1.0/24");

	r = ew_cidr_parse("2001:db8::1/32", EW_CIDR_CANON, &c, err, sizeof(err));
	assert_int_equal(r, 1);
	ew_cidr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "2001:db8::/32");

	r = ew_cidr_parse("10.1.2.3/13", EW_CIDR_CANON, &c, err, sizeof(err));
	assert_int_equal(r, 1);
	ew_cidr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "10.0.0.0/13");

	/* CANON does not make bad text acceptable. */
	assert_int_equal(ew_cidr_parse("10.1/8", EW_CIDR_CANON, &c, err, sizeof(err)), -EINVAL);
	/* Already canonical: 0, not 1. */
	assert_int_equal(ew_cidr_parse("10.0.0.0/8", EW_CIDR_CANON, &c, err, sizeof(err)), 0);
}

static void test_cidr_addr_only(void **state)
{
	char err[EW_ERRLEN];
	struct ew_cidr c;

	(void)state;
	assert_int_equal(ew_cidr_parse("192.0.2.1", EW_CIDR_ADDR, &c, err, sizeof(err)), 0);
	assert_int_equal(c.plen, 32);
	assert_int_equal(ew_cidr_parse("2001:db8::1", EW_CIDR_ADDR, &c, err, sizeof(err)), 0);
	assert_int_equal(c.plen, 128);
	assert_int_equal(ew_cidr_parse("192.0.2.1/32", EW_CIDR_ADDR, &c, err, sizeof(err)),
			 -EINVAL);
	assert_true(err[0] != '\0');
	assert_int_equal(ew_cidr_parse("2001:db8::/32", EW_CIDR_ADDR, &c, err, sizeof(err)),
			 -EINVAL);
}

static struct ew_cidr cidr(const char *s)
{
	char err[EW_ERRLEN];
	struct ew_cidr c;

	if (ew_cidr_parse(s, 0, &c, err, sizeof(err)))
		fail_msg("fixture %s: %s", s, err);
	return c;
}

static void test_cidr_contains_mask_format(void **state)
{
	static const struct {
		const char *outer, *inner;
		bool want;
	} t[] = {
		{ "10.0.0.0/8", "10.1.2.3", true },
		{ "10.0.0.0/8", "10.0.0.0/8", true },
		{ "10.0.0.0/8", "10.0.0.0/7", false },
		{ "10.0.0.0/8", "11.0.0.0/8", false },
		{ "0.0.0.0/0", "255.1.2.3", true },
		{ "172.16.0.0/12", "172.31.255.255", true },
		{ "172.16.0.0/12", "172.32.0.0", false },
		{ "2001:db8::/32", "2001:db8:1::/48", true },
		{ "2001:db8::/32", "2001:db9::", false },
		{ "::/0", "10.0.0.0/8", false },
		{ "10.0.0.0/8", "::a00:0/104", false },
		{ "fe80::/10", "febf::1", true },
		{ "fe80::/10", "fec0::1", false },
	};
	char buf[EW_CIDR_STRLEN];
	struct ew_cidr c;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		struct ew_cidr o = cidr(t[i].outer), n = cidr(t[i].inner);

		if (ew_cidr_contains(&o, &n) != t[i].want)
			fail_msg("contains(%s, %s) = %d, expected %d", t[i].outer, t[i].inner,
				 !t[i].want, t[i].want);
	}

	c = cidr("255.255.255.255");
	c.plen = 20;
	ew_cidr_mask(&c);
	ew_cidr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "255.255.240.0/20");
	c = cidr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	c.plen = 65;
	ew_cidr_mask(&c);
	ew_cidr_format(&c, buf, sizeof(buf));
	assert_string_equal(buf, "ffff:ffff:ffff:ffff:8000::/65");
	assert_true(ew_cidr_is_everything(&(struct ew_cidr){ .family = 6, .plen = 0 }));

	/* Formatting: exact fit works, one byte less is -ENOSPC. */
	c = cidr("192.0.2.0/24");
	assert_int_equal(ew_cidr_format(&c, buf, 13), 12);
	assert_int_equal(ew_cidr_format(&c, buf, 12), -ENOSPC);
	assert_int_equal(ew_addr_format(4, c.addr, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "192.0.2.0");
	assert_int_equal(ew_addr_format(5, c.addr, buf, sizeof(buf)), -EINVAL);
}

/* ---- durations ---- */

static void test_duration(void **state)
{
	static const struct {
		const char *in;
		uint64_t ns;
	} ok[] = {
		{ "90s", 90 * S },
		{ "15m", 15 * 60 * S },
		{ "1h30m", 5400 * S },
		{ "7d", 7 * 86400 * S },
		{ "1w", 604800 * S },
		{ "2w3d4h5m6s", (2 * 604800 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6) * S },
		{ "1h0m", 3600 * S },
		{ "never", 0 },
		{ "30500w", 30500ULL * 604800 * S },
	};
	static const char *const bad[] = {
		"",	    "0s",	  "0",	     "0h0m",	"90",	     "90x",	"1h1h",
		"30m1h",    "1s1m",	  "-5m",     "+5m",	"5 m",	     " 5m",	"5m ",
		"5M",	    "1.5h",	  "01h",     "h",	"1hm",	     "5min",	"1h30",
		"Never",    "never ",	  "nev",     "1d-1h",	"0x10s",     "1e3s",	"30501w",
		"30500w4d", "99999999999999999999s", "18446744073709551616s", "1h\n",
	};
	char err[EW_ERRLEN];
	uint64_t ns;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		int r = ew_duration_parse(ok[i].in, &ns, err, sizeof(err));

		if (r || ns != ok[i].ns)
			fail_msg("duration \"%s\" = %d, %llu ns (%s), expected %llu", ok[i].in, r,
				 (unsigned long long)ns, r ? err : "",
				 (unsigned long long)ok[i].ns);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int r;

		err[0] = '\0';
		r = ew_duration_parse(bad[i], &ns, err, sizeof(err));
		if (r != -EINVAL || !err[0])
			fail_msg("duration \"%s\" = %d \"%s\", expected -EINVAL with a reason",
				 bad[i], r, err);
	}
}

static void test_duration_format(void **state)
{
	static const struct {
		uint64_t ns;
		const char *out;
	} t[] = {
		{ 0, "never" },	       { 45 * S, "45s" },	{ 90 * S, "1m30s" },
		{ 5400 * S, "1h30m" }, { 8 * 86400 * S, "1w1d" }, { 1, "1s" },
		{ S + 1, "2s" },       { 86400 * S, "1d" },
	};
	char buf[64], err[EW_ERRLEN];
	uint64_t ns;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(t); i++) {
		int r = ew_duration_format(t[i].ns, buf, sizeof(buf));

		if (r != (int)strlen(t[i].out) || strcmp(buf, t[i].out))
			fail_msg("format(%llu) = %d \"%s\", expected \"%s\"",
				 (unsigned long long)t[i].ns, r, buf, t[i].out);
		/* What it prints parses back (whole seconds). */
		if (ew_duration_parse(buf, &ns, err, sizeof(err)))
			fail_msg("\"%s\" does not parse back: %s", buf, err);
	}
	assert_int_equal(ew_duration_format(5400 * S, buf, 5), -ENOSPC);
	assert_int_equal(ew_duration_format(UINT64_MAX, buf, sizeof(buf)) > 0, 1);
}

/* ---- rates ---- */

static void test_rate(void **state)
{
	static const struct {
		const char *in;
		uint32_t rate, period;
	} ok[] = {
		{ "25/min", 25, 60 },	 { "1/s", 1, 1 },	  { "100/sec", 100, 1 },
		{ "5/second", 5, 1 },	 { "10/m", 10, 60 },	  { "3/minute", 3, 60 },
		{ "2/h", 2, 3600 },	 { "2/hour", 2, 3600 },	  { "7/day", 7, 86400 },
		{ "1/d", 1, 86400 },	 { "1000000000/sec", 1000000000, 1 },
	};
	static const char *const bad[] = {
		"",	    "25",	"/min",	     "0/min",	  "-1/min",	"+1/min",
		"1000000001/sec", "99999999999999999999/sec", "25/",	"25/mins",	"25/Min",
		"25 /min",  "25/ min",	"25/min ",   "025/min",	  "2.5/min",	"25/min/s",
		"0x19/min", "25per min", "25/w",     "25/minutes", "/",		" 25/min",
	};
	char err[EW_ERRLEN], buf[32];
	uint32_t rate, period;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		int r = ew_rate_parse(ok[i].in, &rate, &period, err, sizeof(err));

		if (r || rate != ok[i].rate || period != ok[i].period)
			fail_msg("rate \"%s\" = %d %u/%u (%s), expected %u/%u", ok[i].in, r, rate,
				 period, r ? err : "", ok[i].rate, ok[i].period);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int r;

		err[0] = '\0';
		r = ew_rate_parse(bad[i], &rate, &period, err, sizeof(err));
		if (r != -EINVAL || !err[0])
			fail_msg("rate \"%s\" = %d \"%s\", expected -EINVAL with a reason", bad[i],
				 r, err);
	}
	assert_int_equal(ew_rate_format(25, 60, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "25/min");
	assert_int_equal(ew_rate_format(1, 86400, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "1/day");
	assert_int_equal(ew_rate_format(1, 7, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(ew_rate_format(25, 60, buf, 4), -ENOSPC);
}

/* ---- ports ---- */

static void test_portspec(void **state)
{
	static const struct {
		const char *in;
		int def;
		int proto, lo, hi;
		const char *out;
	} ok[] = {
		{ "22/tcp", -1, EW_PI_TCP, 22, 22, "22/tcp" },
		{ "22/TCP", -1, EW_PI_TCP, 22, 22, "22/tcp" },
		{ "6000-6010/udp", -1, EW_PI_UDP, 6000, 6010, "6000-6010/udp" },
		{ "8/icmp", -1, EW_PI_ICMP, 8, 8, "8/icmp" },
		{ "128/icmpv6", -1, EW_PI_ICMP6, 128, 128, "128/icmpv6" },
		{ "255/icmp", -1, EW_PI_ICMP, 255, 255, "255/icmp" },
		{ "0/tcp", -1, EW_PI_TCP, 0, 0, "0/tcp" },
		{ "65535/udp", -1, EW_PI_UDP, 65535, 65535, "65535/udp" },
		{ "0-65535/tcp", -1, EW_PI_TCP, 0, 65535, "0-65535/tcp" },
		{ "5-5/tcp", -1, EW_PI_TCP, 5, 5, "5/tcp" },
		{ "22", EW_PI_TCP, EW_PI_TCP, 22, 22, "22/tcp" },
		{ "53", EW_PI_UDP, EW_PI_UDP, 53, 53, "53/udp" },
		{ "53/tcp", EW_PI_UDP, EW_PI_TCP, 53, 53, "53/tcp" },
	};
	static const struct {
		const char *in;
		int def;
	} bad[] = {
		{ "", EW_PI_TCP },	   { "/tcp", -1 },	   { "22/", -1 },
		{ "22/sctp", -1 },	   { "22/tcp ", -1 },	   { " 22/tcp", -1 },
		{ "22 /tcp", -1 },	   { "65536/tcp", -1 },	   { "256/icmp", -1 },
		{ "300/icmpv6", -1 },	   { "-1/tcp", -1 },	   { "+22/tcp", -1 },
		{ "022/tcp", -1 },	   { "10-5/tcp", -1 },	   { "5-/tcp", -1 },
		{ "-5/tcp", -1 },	   { "1-2-3/tcp", -1 },	   { "22/tcp/udp", -1 },
		{ "22,23/tcp", -1 },	   { "0x16/tcp", -1 },	   { "22", -1 },
		{ "22", EW_PI_COUNT },	   { "99999999999999999999/tcp", -1 },
		{ "22.0/tcp", -1 },	   { "ssh", EW_PI_TCP },   { "22/tcp\n", -1 },
	};
	char err[EW_ERRLEN], buf[32];
	struct ew_portspec p;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		int r = ew_portspec_parse(ok[i].in, ok[i].def, &p, err, sizeof(err));

		if (r || p.proto_idx != ok[i].proto || p.lo != ok[i].lo || p.hi != ok[i].hi)
			fail_msg("portspec \"%s\" = %d %u %u-%u (%s), expected %d %d-%d",
				 ok[i].in, r, p.proto_idx, p.lo, p.hi, r ? err : "", ok[i].proto,
				 ok[i].lo, ok[i].hi);
		ew_portspec_format(&p, buf, sizeof(buf));
		if (strcmp(buf, ok[i].out))
			fail_msg("format(\"%s\") = \"%s\", expected \"%s\"", ok[i].in, buf,
				 ok[i].out);
	}
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int r;

		err[0] = '\0';
		r = ew_portspec_parse(bad[i].in, bad[i].def, &p, err, sizeof(err));
		if (r != -EINVAL || !err[0])
			fail_msg("portspec \"%s\" = %d \"%s\", expected -EINVAL with a reason",
				 bad[i].in, r, err);
	}
}

static void test_portlist(void **state)
{
	static const char *const bad[] = {
		"", "80/tcp,", ",80/tcp", "80/tcp,,443/tcp", "80/tcp, 443/tcp", "80/tcp,bad", ",",
	};
	struct ew_portspec *v = NULL;
	char err[EW_ERRLEN];
	size_t n = 99, i;

	(void)state;
	assert_int_equal(ew_portlist_parse("80/tcp,443/tcp,53/udp", -1, &v, &n, err, sizeof(err)),
			 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[1].lo, 443);
	assert_int_equal(v[2].proto_idx, EW_PI_UDP);
	free(v);
	assert_int_equal(ew_portlist_parse("80,8000-8080", EW_PI_TCP, &v, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[1].hi, 8080);
	free(v);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		int r;

		err[0] = '\0';
		r = ew_portlist_parse(bad[i], -1, &v, &n, err, sizeof(err));
		if (r != -EINVAL || !err[0] || v || n)
			fail_msg("portlist \"%s\" = %d \"%s\", expected -EINVAL and nothing out",
				 bad[i], r, err);
	}
}

/* ---- numbers and names ---- */

static void test_u64(void **state)
{
	char err[EW_ERRLEN];
	uint64_t v;

	(void)state;
	assert_int_equal(ew_u64_parse("100", 1, 1000000, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 100);
	assert_int_equal(ew_u64_parse("0", 0, 5, &v, err, sizeof(err)), 0);
	assert_int_equal(ew_u64_parse("18446744073709551615", 0, UINT64_MAX, &v, err, sizeof(err)),
			 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(ew_u64_parse("18446744073709551616", 0, UINT64_MAX, &v, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(ew_u64_parse("0", 1, 5, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(ew_u64_parse("6", 1, 5, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(ew_u64_parse("05", 1, 5, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(ew_u64_parse("-1", 0, 5, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(ew_u64_parse(" 1", 0, 5, &v, err, sizeof(err)), -EINVAL);
	assert_int_equal(ew_u64_parse("", 0, 5, &v, err, sizeof(err)), -EINVAL);
}

static void test_names(void **state)
{
	static const char *const reasons[EW_R_COUNT] = {
		"pass",	      "pass-allowlist", "pass-arp",	"pass-l2",   "drop-l2",
		"trunc-eth",  "vlan-depth",	"trunc-ip4",	"bad-ip4",   "trunc-ip6",
		"bad-ip6",    "ip6-ext-depth",	"srcroute",	"trunc-l4",  "bad-l4",
		"frag-tiny",  "nonlinear",	"bogon",	"v4mapped",  "blocklist",
		"acl",	      "ratelimit",	"default-deny",
	};
	static const char *const origins[] = { "manual", "import", "policy", "auto", "fleet" };
	static const char *const protos[] = { "tcp", "udp", "icmp", "icmpv6" };
	int i;

	(void)state;
	for (i = 0; i < EW_R_COUNT; i++) {
		if (strcmp(ew_reason_name(i), reasons[i]))
			fail_msg("reason %d = \"%s\", expected \"%s\"", i, ew_reason_name(i),
				 reasons[i]);
		assert_int_equal(ew_reason_parse(reasons[i]), i);
	}
	assert_int_equal(EW_R_BLOCKLIST, 19);
	assert_string_equal(ew_reason_name(EW_R_COUNT), "reason-23");
	assert_string_equal(ew_reason_name(31), "reason-31");
	assert_string_equal(ew_reason_name(-1), "reason--1");
	assert_int_equal(ew_reason_parse("nope"), -EINVAL);
	assert_int_equal(ew_reason_parse(NULL), -EINVAL);

	for (i = 0; i < EW_ORIGIN_COUNT; i++) {
		assert_string_equal(ew_origin_name(i), origins[i]);
		assert_int_equal(ew_origin_parse(origins[i]), i);
	}
	assert_string_equal(ew_origin_name(EW_ORIGIN_COUNT), "origin-5");
	assert_int_equal(ew_origin_parse("Manual"), -EINVAL);
	assert_int_equal(ew_origin_parse(""), -EINVAL);
	assert_int_equal(ew_origin_parse(NULL), -EINVAL);

	for (i = 0; i < EW_PI_COUNT; i++) {
		assert_string_equal(ew_proto_name(i), protos[i]);
		assert_int_equal(ew_proto_parse(protos[i]), i);
	}
	assert_int_equal(ew_proto_parse("ICMPv6"), EW_PI_ICMP6);
	assert_int_equal(ew_proto_parse("sctp"), -EINVAL);
	assert_string_equal(ew_proto_name(EW_PI_COUNT), "proto-4");
}

static void test_quote(void **state)
{
	char buf[EW_QUOTE_LEN];
	char long_in[100];

	(void)state;
	assert_string_equal(ew_quote("abc", buf, sizeof(buf)), "\"abc\"");
	assert_string_equal(ew_quote("a\"b\\c\n\x1b", buf, sizeof(buf)),
			    "\"a\\x22b\\x5cc\\x0a\\x1b\"");
	memset(long_in, 'x', sizeof(long_in) - 1);
	long_in[sizeof(long_in) - 1] = '\0';
	ew_quote(long_in, buf, sizeof(buf));
	assert_int_equal(strlen(buf), 48 + 3 + 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_valid),
		cmocka_unit_test(test_cidr_invalid),
		cmocka_unit_test(test_cidr_host_bits),
		cmocka_unit_test(test_cidr_addr_only),
		cmocka_unit_test(test_cidr_contains_mask_format),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_duration_format),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_portspec),
		cmocka_unit_test(test_portlist),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_quote),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
