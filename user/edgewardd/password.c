// SPDX-License-Identifier: GPL-2.0-only
/*
 * Operator passwords: argon2id hashes and the password policy; see password.h.
 */
#include <argon2.h>
#include <ctype.h>
#include <errno.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "log.h"
#include "password.h"

#define PW_SALT_LEN 16
#define PW_TAG_LEN 32

/* Bounds for configured and stored costs: above them one verify could take seconds or GiBs. */
#define PW_T_MAX 64
#define PW_M_MAX_KIB (1024 * 1024)
#define PW_P_MAX 16

const struct pw_params pw_params_default = {
	.t_cost = 2,
	.m_cost_kib = 19456,
	.parallelism = 1,
};

const struct pw_policy pw_policy_default = {
	.min_chars = 12,
	.max_bytes = PW_MAX_BYTES,
	.require_upper = true,
	.require_lower = true,
	.require_digit = true,
	.require_special = true,
	.refuse_common = true,
	.prevent_reuse = 5,
	.max_age_s = 90 * 24 * 3600,
};

/*
 * The common-password list is assembled into .rodata from the repository's
 * data file (the path is relative to the repo root, where the build runs),
 * NUL-terminated so it can be read as one string.
 */
__asm__(".section .rodata\n"
	".global pw_common_blob\n"
	".hidden pw_common_blob\n"
	".type pw_common_blob, @object\n"
	"pw_common_blob:\n"
	".incbin \"data/common-passwords.txt\"\n"
	".byte 0\n"
	".previous\n");
extern const char pw_common_blob[] __attribute__((visibility("hidden")));

static pthread_once_t pw_common_once = PTHREAD_ONCE_INIT;
static char *pw_common_text;	/* a writable copy whose newlines became NULs */
static char **pw_common;	/* sorted */
static size_t pw_common_n;
static size_t pw_common_longest;

static pthread_once_t pw_locale_once = PTHREAD_ONCE_INIT;
static locale_t pw_locale = (locale_t)0;

static int pw_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void pw_common_load(void)
{
	size_t len = strlen(pw_common_blob), n = 0, cap = 0, i;
	char *line, *end;

	pw_common_text = malloc(len + 1);
	if (!pw_common_text)
		goto fail;
	memcpy(pw_common_text, pw_common_blob, len + 1);
	for (i = 0; i < len; i++)
		if (pw_common_text[i] == '\n')
			cap++;
	pw_common = calloc(cap + 1, sizeof(*pw_common));
	if (!pw_common)
		goto fail;
	for (line = pw_common_text; *line; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = '\0';
		else
			end = line + strlen(line);
		if (*line && line[strlen(line) - 1] == '\r')
			line[strlen(line) - 1] = '\0';
		if (!*line || !strncmp(line, "#!comment", 9))
			continue;
		if (strlen(line) > pw_common_longest)
			pw_common_longest = strlen(line);
		pw_common[n++] = line;
	}
	qsort(pw_common, n, sizeof(*pw_common), pw_strcmp);
	pw_common_n = n;
	return;
fail:
	/* Without the list every password counts as common: failing closed is loud and safe. */
	log_warnx("password: cannot load the common-password list: out of memory");
	free(pw_common_text);
	pw_common_text = NULL;
	pw_common_n = 0;
}

int pw_is_common(const char *pw)
{
	char low[PW_MAX_BYTES + 1], *key = low;
	size_t len = strlen(pw), i;

	pthread_once(&pw_common_once, pw_common_load);
	if (!pw_common)
		return 1;
	if (len > pw_common_longest)
		return 0;
	for (i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)pw[i]);
	low[len] = '\0';
	return bsearch(&key, pw_common, pw_common_n, sizeof(*pw_common), pw_strcmp) != NULL;
}

static void pw_locale_load(void)
{
	/* A locale object of our own: the daemon's global locale stays "C". */
	pw_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	if (!pw_locale)
		log_warnx("password: no C.UTF-8 locale; letters outside ASCII are not recognised");
}

bool pw_is_letter(uint32_t cp)
{
	if (cp < 0x80)
		return isalpha((int)cp);
	pthread_once(&pw_locale_once, pw_locale_load);
	return pw_locale && iswalpha_l((wint_t)cp, pw_locale);
}

bool pw_is_upper(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z';
	pthread_once(&pw_locale_once, pw_locale_load);
	return pw_locale && iswupper_l((wint_t)cp, pw_locale);
}

bool pw_is_lower(uint32_t cp)
{
	if (cp < 0x80)
		return cp >= 'a' && cp <= 'z';
	pthread_once(&pw_locale_once, pw_locale_load);
	return pw_locale && iswlower_l((wint_t)cp, pw_locale);
}

int pw_utf8_next(const char *str, size_t len, size_t *i, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str + *i;
	size_t left = len - *i, n, k;
	uint32_t c, min;

	if (!left)
		return -EILSEQ;
	if (s[0] < 0x80) {
		*cp = s[0];
		*i += 1;
		return 0;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return -EILSEQ;
	}
	if (left < n)
		return -EILSEQ;
	for (k = 1; k < n; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return -EILSEQ;
		c = c << 6 | (s[k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -EILSEQ;
	*cp = c;
	*i += n;
	return 0;
}

int pw_params_check(const struct pw_params *p, const char **why)
{
	const char *r = NULL;

	if (p->t_cost < 1 || p->t_cost > PW_T_MAX)
		r = "argon2 t_cost must be 1..64";
	else if (p->parallelism < 1 || p->parallelism > PW_P_MAX)
		r = "argon2 parallelism must be 1..16";
	else if (p->m_cost_kib < 8 * p->parallelism || p->m_cost_kib > PW_M_MAX_KIB)
		r = "argon2 m_cost_kib must be 8*parallelism..1048576";
	if (why)
		*why = r;
	return r ? -EINVAL : 0;
}

int pw_hash(const struct pw_params *p, const char *pw, char *out, size_t outlen)
{
	unsigned char salt[PW_SALT_LEN];
	size_t need, len = strlen(pw);
	int rc;

	if (!p)
		p = &pw_params_default;
	if (pw_params_check(p, NULL) || len > PW_MAX_BYTES)
		return -EINVAL;
	need = argon2_encodedlen(p->t_cost, p->m_cost_kib, p->parallelism, PW_SALT_LEN,
				 PW_TAG_LEN, Argon2_id);
	if (outlen < need)
		return -ENOSPC;
	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		log_warnx("pw_hash: RAND_bytes failed");
		return -EIO;
	}
	rc = argon2id_hash_encoded(p->t_cost, p->m_cost_kib, p->parallelism, pw, len, salt,
				   sizeof(salt), PW_TAG_LEN, out, outlen);
	OPENSSL_cleanse(salt, sizeof(salt));
	if (rc == ARGON2_OK)
		return 0;
	log_warnx("pw_hash: %s", argon2_error_message(rc));
	return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EINVAL;
}

/* Read a decimal without sign, leading zeros or overflow; advance *s. */
static int pw_parse_u32(const char **s, uint32_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	if (*p < '0' || *p > '9' || (*p == '0' && p[1] >= '0' && p[1] <= '9'))
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		x = x * 10 + (uint64_t)(*p - '0');
		if (x > UINT32_MAX)
			return -EINVAL;
	}
	*v = (uint32_t)x;
	*s = p;
	return 0;
}

/* Strictly split the "$argon2id$v=19$m=M,t=T,p=P$" prefix; the rest is libargon2's to decode. */
static int pw_parse_params(const char *enc, struct pw_params *p)
{
	static const char head[] = "$argon2id$v=19$m=";
	const char *s = enc;

	if (strncmp(s, head, sizeof(head) - 1))
		return -EINVAL;
	s += sizeof(head) - 1;
	if (pw_parse_u32(&s, &p->m_cost_kib) || strncmp(s, ",t=", 3))
		return -EINVAL;
	s += 3;
	if (pw_parse_u32(&s, &p->t_cost) || strncmp(s, ",p=", 3))
		return -EINVAL;
	s += 3;
	if (pw_parse_u32(&s, &p->parallelism) || *s != '$')
		return -EINVAL;
	return pw_params_check(p, NULL);
}

int pw_verify(const char *pw, const char *encoded)
{
	struct pw_params p;
	size_t len = strlen(pw);
	int rc;

	if (len > PW_MAX_BYTES || strlen(encoded) >= PW_HASH_MAX || pw_parse_params(encoded, &p))
		return -EINVAL;
	rc = argon2id_verify(encoded, pw, len);
	switch (rc) {
	case ARGON2_OK:
		return 0;
	case ARGON2_VERIFY_MISMATCH:
		return -EACCES;
	case ARGON2_MEMORY_ALLOCATION_ERROR:
		return -ENOMEM;
	default:
		return -EINVAL;
	}
}

int pw_needs_rehash(const char *encoded, const struct pw_params *p)
{
	struct pw_params have;

	if (!p)
		p = &pw_params_default;
	if (pw_parse_params(encoded, &have))
		return 1;
	return have.t_cost != p->t_cost || have.m_cost_kib != p->m_cost_kib ||
	       have.parallelism != p->parallelism;
}

int pw_expired(const struct pw_policy *pol, int64_t changed_at, int64_t now)
{
	if (pol->max_age_s <= 0)
		return 0;
	return now - changed_at >= pol->max_age_s;
}

/* Characters that render as nothing or reorder text: two passwords that look alike could differ. */
static bool pw_is_invisible(uint32_t cp)
{
	return (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2064) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff ||
	       cp == 0x00ad || (cp >= 0xfff9 && cp <= 0xfffb);
}

static int pw_refuse(char *why, size_t whylen, const char *reason)
{
	if (why && whylen)
		snprintf(why, whylen, "%s", reason);
	return -EINVAL;
}

/* ASCII case-insensitive substring test: usernames are ASCII (see users.h). */
static bool pw_contains_name(const char *pw, const char *name)
{
	size_t n = strlen(name), len = strlen(pw), i;

	/* Names of one or two letters would forbid half the alphabet's pairs. */
	if (n < 3 || n > len)
		return false;
	for (i = 0; i + n <= len; i++)
		if (!strncasecmp(pw + i, name, n))
			return true;
	return false;
}

int pw_policy_check(const struct pw_policy *pol, const char *pw, const char *username,
		    const char *const *history, size_t n_history, char *why, size_t whylen)
{
	bool upper = false, lower = false, digit = false, special = false;
	size_t len = strlen(pw), i = 0, chars = 0, k, max;
	uint32_t cp;
	char msg[96];
	int rc;

	max = pol->max_bytes && pol->max_bytes < PW_MAX_BYTES ? pol->max_bytes : PW_MAX_BYTES;
	if (len > max) {
		snprintf(msg, sizeof(msg), "password is longer than %zu bytes", max);
		return pw_refuse(why, whylen, msg);
	}
	while (i < len) {
		if (pw_utf8_next(pw, len, &i, &cp))
			return pw_refuse(why, whylen, "password is not valid UTF-8");
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return pw_refuse(why, whylen, "password contains a control character");
		if (pw_is_invisible(cp))
			return pw_refuse(why, whylen, "password contains an invisible or "
						      "direction-changing character");
		chars++;
		if (cp >= '0' && cp <= '9')
			digit = true;
		else if (pw_is_upper(cp))
			upper = true;
		else if (pw_is_lower(cp))
			lower = true;
		else if (!pw_is_letter(cp) && cp != ' ')
			special = true;
	}
	if (chars < pol->min_chars) {
		snprintf(msg, sizeof(msg), "password must be at least %u characters",
			 pol->min_chars);
		return pw_refuse(why, whylen, msg);
	}
	if (pol->require_upper && !upper)
		return pw_refuse(why, whylen, "password needs an uppercase letter");
	if (pol->require_lower && !lower)
		return pw_refuse(why, whylen, "password needs a lowercase letter");
	if (pol->require_digit && !digit)
		return pw_refuse(why, whylen, "password needs a digit");
	if (pol->require_special && !special)
		return pw_refuse(why, whylen, "password needs a special character (not a letter, "
					      "digit or space)");
	if (pol->refuse_common && pw_is_common(pw))
		return pw_refuse(why, whylen, "password is too common");
	if (username && pw_contains_name(pw, username))
		return pw_refuse(why, whylen, "password contains the username");
	for (k = 0; history && k < n_history && k < pol->prevent_reuse; k++) {
		if (!history[k])
			continue;
		rc = pw_verify(pw, history[k]);
		if (!rc) {
			snprintf(msg, sizeof(msg), "password was used before (one of the last %u)",
				 pol->prevent_reuse);
			return pw_refuse(why, whylen, msg);
		}
		if (rc == -ENOMEM)
			return pw_refuse(why, whylen,
					 "cannot check password history: out of memory");
		if (rc != -EACCES)
			log_warnx("pw_policy_check: history entry %zu is not an argon2id hash", k);
	}
	if (why && whylen)
		why[0] = '\0';
	return 0;
}
