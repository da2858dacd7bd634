// SPDX-License-Identifier: GPL-2.0-only
/*
 * libFuzzer target: the CIDR parser every operator word goes through
 * (ew_cidr_parse, ew_cidr_format, ops_cidr).
 *
 * The first byte picks the flags (EW_CIDR_CANON, EW_CIDR_ADDR) and ops_cidr's
 * force; the rest is the text. Beyond "no crash", it asserts:
 *  - an accepted CIDR is well formed: family 4 or 6, plen in range, host
 *    bits and the unused bytes zero, bare addresses full length;
 *  - ew_cidr_format of it parses back (flags 0) to the same value and
 *    formats to the same text (the canonical form is a fixed point);
 *  - a text without '/' is accepted as an address exactly when inet_pton
 *    takes it (ew_cidr_parse promises inet_pton strictness), with the
 *    same bytes;
 *  - ops_cidr agrees with ew_cidr_parse(EW_CIDR_CANON) and refuses /0
 *    without force.
 * A broken property abort()s, so libFuzzer keeps the input as a crash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "parse.h"

#define FUZZ_MAX_TEXT 256 /* longer texts only test the length check */

static void fuzz_fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_cidr: %s (input \"%s\")\n", what, text);
	abort();
}

static void fuzz_check_shape(const struct ew_cidr *c, unsigned int flags, const char *text)
{
	struct ew_cidr m = *c;
	unsigned int i, bytes;

	if (c->family != 4 && c->family != 6)
		fuzz_fail("family is neither 4 nor 6", text);
	bytes = c->family == 4 ? 4 : 16;
	if (c->plen > bytes * 8)
		fuzz_fail("prefix length out of the family's range", text);
	for (i = bytes; i < sizeof(c->addr); i++)
		if (c->addr[i])
			fuzz_fail("IPv4 CIDR with nonzero bytes past addr[3]", text);
	ew_cidr_mask(&m);
	if (memcmp(&m, c, sizeof(m)))
		fuzz_fail("accepted CIDR has host bits set", text);
	if ((flags & EW_CIDR_ADDR) && c->plen != bytes * 8)
		fuzz_fail("bare address accepted with a short prefix", text);
}

/* format(c) parses back to c, and formats to the same text. */
static void fuzz_check_roundtrip(const struct ew_cidr *c, const char *text)
{
	char buf[EW_CIDR_STRLEN], again[EW_CIDR_STRLEN], err[EW_ERRLEN];
	struct ew_cidr back;
	int n;

	n = ew_cidr_format(c, buf, sizeof(buf));
	if (n < 0 || (size_t)n != strlen(buf))
		fuzz_fail("ew_cidr_format failed on an accepted CIDR", text);
	if (ew_cidr_parse(buf, 0, &back, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_cidr: canonical \"%s\" refused: %s\n", buf, err);
		fuzz_fail("the canonical text does not parse back", text);
	}
	if (memcmp(&back, c, sizeof(back))) {
		fprintf(stderr, "fuzz_cidr: canonical \"%s\" parsed to another value\n", buf);
		fuzz_fail("format/parse round trip changed the value", text);
	}
	if (ew_cidr_format(&back, again, sizeof(again)) != n || strcmp(buf, again))
		fuzz_fail("the canonical text is not a fixed point", text);
	if (!ew_cidr_contains(c, c))
		fuzz_fail("a CIDR does not contain itself", text);
}

/* Bare addresses: the same verdict and bytes as inet_pton. */
static void fuzz_check_pton(const char *text)
{
	char err[EW_ERRLEN];
	struct ew_cidr c;
	uint8_t a[16] = {0};
	int family = 0, r;

	if (strchr(text, '/'))
		return;
	if (inet_pton(AF_INET6, text, a) == 1)
		family = 6;
	else if (memset(a, 0, sizeof(a)), inet_pton(AF_INET, text, a) == 1)
		family = 4;
	r = ew_cidr_parse(text, EW_CIDR_ADDR, &c, err, sizeof(err));
	if (family && r != 0) {
		fprintf(stderr, "fuzz_cidr: refused: %s\n", err);
		fuzz_fail("inet_pton accepts an address ew_cidr_parse refuses", text);
	}
	if (!family && r >= 0)
		fuzz_fail("ew_cidr_parse accepts an address inet_pton refuses", text);
	if (family && (c.family != family || memcmp(c.addr, a, family == 4 ? 4 : 16)))
		fuzz_fail("ew_cidr_parse and inet_pton disagree on the bytes", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[EW_ERRLEN], warn[EW_ERRLEN + EW_CIDR_STRLEN], err2[EW_ERRLEN];
	struct ew_cidr c, canon, viaops;
	unsigned int flags;
	bool force;
	char *text;
	int r, rc, ro;

	if (size < 1 || size > FUZZ_MAX_TEXT + 1)
		return 0;
	flags = data[0] & (EW_CIDR_CANON | EW_CIDR_ADDR);
	force = data[0] & 0x4;
	text = strndup((const char *)data + 1, size - 1);
	if (!text)
		return 0;

	r = ew_cidr_parse(text, flags, &c, err, sizeof(err));
	if (r != 0 && r != 1 && r != -EINVAL)
		fuzz_fail("ew_cidr_parse returned neither 0, 1 nor -EINVAL", text);
	if (r == 1 && !(flags & EW_CIDR_CANON))
		fuzz_fail("host bits cleared without EW_CIDR_CANON", text);
	if (r < 0 && !err[0])
		fuzz_fail("refusal without a reason", text);
	if (r >= 0) {
		fuzz_check_shape(&c, flags, text);
		fuzz_check_roundtrip(&c, text);
	}
	fuzz_check_pton(text);

	/* ops_cidr is ew_cidr_parse(EW_CIDR_CANON) plus the /0 guard. */
	rc = ew_cidr_parse(text, EW_CIDR_CANON, &canon, err2, sizeof(err2));
	ro = ops_cidr(text, force, &viaops, warn, sizeof(warn), err, sizeof(err));
	if (rc < 0 && ro != -EINVAL)
		fuzz_fail("ops_cidr accepts what ew_cidr_parse refuses", text);
	if (rc >= 0) {
		bool everything = ew_cidr_is_everything(&canon);

		if (ro != (everything && !force ? -EINVAL : 0))
			fuzz_fail("ops_cidr's verdict differs from ew_cidr_parse and force", text);
		if (!ro && memcmp(&viaops, &canon, sizeof(canon)))
			fuzz_fail("ops_cidr and ew_cidr_parse give different values", text);
		if ((rc == 1) != (warn[0] != '\0'))
			fuzz_fail("ops_cidr warns exactly when host bits were set: it does not",
				  text);
	}
	free(text);
	return 0;
}
