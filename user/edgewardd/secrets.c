// SPDX-License-Identifier: GPL-2.0-only
/*
 * Secrets at rest: the keyring file and AES-256-GCM sealing; formats in
 * secrets.h.
 *
 * Key material is handled only in buffers of our own (the file is read
 * with read(), not stdio, so no library buffer keeps a copy) and every
 * such buffer is wiped with OPENSSL_cleanse before it is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "fileio.h"
#include "log.h"
#include "secrets.h"

#define KEYRING_MAX_BYTES (64 * 1024)
/* The longest sealed text: prefix, id, base64 of the largest nonce || ciphertext || tag. */
#define SEC_MAX_BLOB                                                                 \
	(sizeof(SEC_PREFIX) + SEC_KID_MAX + 1 +                                       \
	 4 * ((SEC_NONCE_LEN + SEC_MAX_PLAINTEXT + SEC_TAG_LEN + 2) / 3))

struct sec_key {
	char kid[SEC_KID_MAX + 1];
	unsigned char key[SEC_KEY_LEN];
	unsigned int line;
};

struct sec_keyring {
	size_t n;
	struct sec_key *keys;	/* keys[n - 1] seals */
};

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

void sec_keyring_free(struct sec_keyring *k)
{
	if (!k)
		return;
	if (k->keys)
		OPENSSL_cleanse(k->keys, k->n * sizeof(*k->keys));
	free(k->keys);
	free(k);
}

const char *sec_active_kid(const struct sec_keyring *k)
{
	return k && k->n ? k->keys[k->n - 1].kid : NULL;
}

static bool kid_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static bool kid_valid(const char *s, size_t n)
{
	size_t i;

	if (n < 1 || n > SEC_KID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!kid_char(s[i]))
			return false;
	return true;
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

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static const struct sec_key *key_find(const struct sec_keyring *k, const char *kid, size_t n)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strlen(k->keys[i].kid) == n && !memcmp(k->keys[i].kid, kid, n))
			return &k->keys[i];
	return NULL;
}

/* One line "KID HEX64" (without its newline) into *key. */
static int parse_line(const char *path, unsigned int ln, const char *s, size_t n,
		      struct sec_key *key, char *err, size_t errlen)
{
	size_t i = 0, k0, k1, h0, h1, j;

	while (i < n && blank(s[i]))
		i++;
	k0 = i;
	while (i < n && !blank(s[i]))
		i++;
	k1 = i;
	while (i < n && blank(s[i]))
		i++;
	h0 = i;
	while (i < n && !blank(s[i]))
		i++;
	h1 = i;
	while (i < n && blank(s[i]))
		i++;
	if (h0 == h1 || i != n)
		return fail(err, errlen, -EINVAL,
			    "%s:%u: expected 'KID HEX64' (a key id and a key)", path, ln);
	if (!kid_valid(s + k0, k1 - k0))
		return fail(err, errlen, -EINVAL,
			    "%s:%u: bad key id (1 to %d of A-Z a-z 0-9 _ -)", path, ln,
			    SEC_KID_MAX);
	if (h1 - h0 != 2 * SEC_KEY_LEN)
		return fail(err, errlen, -EINVAL,
			    "%s:%u: key of %zu hex digits, expected %d (%d bytes)", path, ln,
			    h1 - h0, 2 * SEC_KEY_LEN, SEC_KEY_LEN);
	for (j = 0; j < SEC_KEY_LEN; j++) {
		int hi = hexval(s[h0 + 2 * j]), lo = hexval(s[h0 + 2 * j + 1]);

		if (hi < 0 || lo < 0) {
			OPENSSL_cleanse(key->key, sizeof(key->key));
			return fail(err, errlen, -EINVAL, "%s:%u: key is not hexadecimal", path,
				    ln);
		}
		key->key[j] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(key->kid, s + k0, k1 - k0);
	key->kid[k1 - k0] = '\0';
	key->line = ln;
	return 0;
}

static int parse_keys(const char *path, const char *buf, size_t len, struct sec_keyring *k,
		      char *err, size_t errlen)
{
	unsigned int ln = 0;
	size_t o = 0;
	int rc;

	while (o < len) {
		const char *nl = memchr(buf + o, '\n', len - o);
		size_t n = nl ? (size_t)(nl - (buf + o)) : len - o, i = 0;
		const struct sec_key *dup;
		struct sec_key key;

		ln++;
		while (i < n && blank(buf[o + i]))
			i++;
		if (i == n || buf[o + i] == '#') {
			o += n + 1;
			continue;
		}
		if (k->n == SEC_MAX_KEYS)
			return fail(err, errlen, -EINVAL, "%s:%u: more than %d keys", path, ln,
				    SEC_MAX_KEYS);
		memset(&key, 0, sizeof(key));
		rc = parse_line(path, ln, buf + o, n, &key, err, errlen);
		if (rc)
			return rc;
		dup = key_find(k, key.kid, strlen(key.kid));
		if (dup) {
			OPENSSL_cleanse(&key, sizeof(key));
			return fail(err, errlen, -EINVAL,
				    "%s:%u: duplicate key id \"%s\" (first on line %u)", path, ln,
				    dup->kid, dup->line);
		}
		k->keys[k->n++] = key;
		OPENSSL_cleanse(&key, sizeof(key));
		o += n + 1;
	}
	if (!k->n)
		return fail(err, errlen, -EINVAL, "%s: no key (create one with a new keyring)",
			    path);
	return 0;
}

/* Check an open keyring file's type, owner and mode, then read and parse it. */
static int keyring_read_fd(int fd, const char *path, struct sec_keyring **out, char *err,
			   size_t errlen)
{
	struct sec_keyring *k = NULL;
	char *buf = NULL;
	size_t len = 0;
	struct stat st;
	int rc;

	*out = NULL;
	if (fstat(fd, &st))
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(err, errlen, -EINVAL, "%s: not a regular file", path);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return fail(err, errlen, -EPERM,
			    "%s: owned by uid %u; must be owned by uid %u or root", path,
			    (unsigned int)st.st_uid, (unsigned int)geteuid());
	if (st.st_mode & 077)
		return fail(err, errlen, -EPERM,
			    "%s: mode %04o gives group or others access; chmod 600 it", path,
			    (unsigned int)(st.st_mode & 07777));
	if (st.st_size > KEYRING_MAX_BYTES)
		return fail(err, errlen, -EINVAL, "%s: %lld bytes, more than a keyring's %d", path,
			    (long long)st.st_size, KEYRING_MAX_BYTES);
	buf = malloc(KEYRING_MAX_BYTES + 1);
	k = calloc(1, sizeof(*k));
	if (k)
		k->keys = calloc(SEC_MAX_KEYS, sizeof(*k->keys));
	if (!buf || !k || !k->keys) {
		rc = fail(err, errlen, -ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t r = pread(fd, buf + len, KEYRING_MAX_BYTES + 1 - len, (off_t)len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > KEYRING_MAX_BYTES) {
			rc = fail(err, errlen, -EINVAL, "%s: more than a keyring's %d bytes", path,
				  KEYRING_MAX_BYTES);
			goto out;
		}
	}
	rc = parse_keys(path, buf, len, k, err, errlen);
	if (!rc) {
		*out = k;
		k = NULL;
	}
out:
	if (buf)
		OPENSSL_cleanse(buf, KEYRING_MAX_BYTES + 1);
	free(buf);
	sec_keyring_free(k);
	return rc;
}

int sec_keyring_load(const char *path, struct sec_keyring **out, char *err, size_t errlen)
{
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	rc = keyring_read_fd(fd, path, out, err, errlen);
	close(fd);
	return rc;
}

/* "KID HEX64\n" for a new random key into line (at least 96 bytes). */
static int key_line(const char *kid, char *line, size_t len)
{
	unsigned char key[SEC_KEY_LEN];
	size_t o, i;

	if (RAND_priv_bytes(key, sizeof(key)) != 1)
		return -EIO;
	o = (size_t)snprintf(line, len, "%s ", kid);
	for (i = 0; i < SEC_KEY_LEN && o + 3 < len; i++)
		o += (size_t)snprintf(line + o, len - o, "%02x", key[i]);
	snprintf(line + o, len - o, "\n");
	OPENSSL_cleanse(key, sizeof(key));
	return 0;
}

static int write_all(int fd, const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int sec_keyring_create(const char *path, char *err, size_t errlen)
{
	static const char head[] =
		"# edgeward secrets keyring: one key a line, \"KID HEX64\". The last key seals,\n"
		"# every key opens. Keep it mode 0600; losing it loses every secret sealed\n"
		"# with it. Rotate with a new line (edgewardd's key rotation does that).\n";
	char line[128];
	int fd, rc;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	rc = key_line("k1", line, sizeof(line));
	if (!rc)
		rc = write_all(fd, head, sizeof(head) - 1);
	if (!rc)
		rc = write_all(fd, line, strlen(line));
	if (!rc && fsync(fd))
		rc = -errno;
	OPENSSL_cleanse(line, sizeof(line));
	close(fd);
	if (rc) {
		unlink(path);
		return fail(err, errlen, rc, "%s: writing a new keyring: %s", path, strerror(-rc));
	}
	ew_sync_dir("sec_keyring_create", path);
	return 0;
}

/* "k<N+1>" for the highest "k<N>" in k (N up to 9 digits), skipping ids in use. */
static void next_kid(const struct sec_keyring *k, char *kid, size_t len)
{
	unsigned long max = 0, n;
	size_t i;

	for (i = 0; i < k->n; i++) {
		const char *s = k->keys[i].kid;
		char *end;

		if (s[0] != 'k' || s[1] < '1' || s[1] > '9' || strlen(s) > 10)
			continue;
		n = strtoul(s + 1, &end, 10);
		if (!*end && n > max)
			max = n;
	}
	do
		snprintf(kid, len, "k%lu", ++max);
	while (key_find(k, kid, strlen(kid)));
}

int sec_keyring_rotate(const char *path, char *err, size_t errlen)
{
	struct sec_keyring *k = NULL;
	char line[128], kid[SEC_KID_MAX + 1], last;
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
	/* Two rotations at once would both pick the same next id. */
	while (flock(fd, LOCK_EX) && errno == EINTR)
		;
	rc = keyring_read_fd(fd, path, &k, err, errlen);
	if (rc)
		goto out;
	next_kid(k, kid, sizeof(kid));
	rc = key_line(kid, line, sizeof(line));
	if (rc) {
		fail(err, errlen, rc, "%s: no random bytes for a key", path);
		goto out;
	}
	if (fstat(fd, &st) || (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)) {
		rc = fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (st.st_size > 0 && last != '\n')
		rc = write_all(fd, "\n", 1);
	if (!rc)
		rc = write_all(fd, line, strlen(line));
	if (!rc && fsync(fd))
		rc = -errno;
	if (rc) {
		/* A partly written line would make the file unloadable: cut it. */
		if (ftruncate(fd, st.st_size))
			log_warn("sec_keyring_rotate: %s: cutting back a failed append", path);
		fail(err, errlen, rc, "%s: appending a key: %s", path, strerror(-rc));
	}
out:
	OPENSSL_cleanse(line, sizeof(line));
	sec_keyring_free(k);
	close(fd);
	return rc;
}

/* "ewsec1:KID:" + aad as one buffer: the GCM associated data. */
static unsigned char *aad_build(const char *kid, size_t kidlen, const char *aad, size_t *len)
{
	size_t pl = strlen(SEC_PREFIX), al = strlen(aad);
	unsigned char *b;

	*len = pl + kidlen + 1 + al;
	b = malloc(*len ? *len : 1);
	if (!b)
		return NULL;
	memcpy(b, SEC_PREFIX, pl);
	memcpy(b + pl, kid, kidlen);
	b[pl + kidlen] = ':';
	memcpy(b + pl + kidlen + 1, aad, al);
	return b;
}

/* AES-256-GCM one way or the other; in and out may not overlap. 0 or -EBADMSG/-EIO. */
static int gcm(bool enc, const unsigned char *key, const unsigned char *nonce,
	       const unsigned char *aad, size_t aadlen, const unsigned char *in, size_t len,
	       unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, rc = -EIO;

	if (!c)
		return -ENOMEM;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, SEC_NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, SEC_TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) != 1)
		goto out;
	if (len && EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + len, &n) != 1) {
		rc = enc ? -EIO : -EBADMSG;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, SEC_TAG_LEN, tag) != 1)
		goto out;
	rc = 0;
out:
	EVP_CIPHER_CTX_free(c);
	return rc;
}

char *sec_seal(const struct sec_keyring *k, const char *aad, const void *pt, size_t len)
{
	const struct sec_key *key;
	unsigned char *raw = NULL, *ad = NULL;
	size_t rawlen, adlen, pl, kl;
	char *out = NULL;
	int rc;

	if (!k || !k->n || !aad || (!pt && len) || len > SEC_MAX_PLAINTEXT) {
		errno = EINVAL;
		return NULL;
	}
	key = &k->keys[k->n - 1];
	kl = strlen(key->kid);
	rawlen = SEC_NONCE_LEN + len + SEC_TAG_LEN;
	raw = malloc(rawlen);
	ad = aad_build(key->kid, kl, aad, &adlen);
	pl = strlen(SEC_PREFIX);
	out = malloc(pl + kl + 1 + 4 * ((rawlen + 2) / 3) + 1);
	if (!raw || !ad || !out) {
		rc = -ENOMEM;
		goto out;
	}
	if (RAND_bytes(raw, SEC_NONCE_LEN) != 1) {
		rc = -EIO;
		goto out;
	}
	rc = gcm(true, key->key, raw, ad, adlen, pt, len, raw + SEC_NONCE_LEN,
		 raw + SEC_NONCE_LEN + len);
	if (rc)
		goto out;
	memcpy(out, SEC_PREFIX, pl);
	memcpy(out + pl, key->kid, kl);
	out[pl + kl] = ':';
	EVP_EncodeBlock((unsigned char *)out + pl + kl + 1, raw, (int)rawlen);
out:
	free(raw);
	free(ad);
	if (rc) {
		free(out);
		errno = -rc;
		return NULL;
	}
	return out;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * Strict base64 (RFC 4648, padded, no whitespace) into a malloc'd buffer.
 * Only the canonical encoding of the bytes is accepted, so no two texts
 * decode to the same bytes: every changed character is a change the tag
 * sees, or a refusal here.
 */
static int b64_decode(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
	unsigned char *buf = NULL, *again = NULL;
	size_t i, pad = 0;
	int len, rc = -EINVAL;

	*out = NULL;
	if (!n || n % 4 || n > INT_MAX / 2)
		return -EINVAL;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n - pad; i++)
		if (!b64_char(s[i]))
			return -EINVAL;
	buf = malloc(n / 4 * 3 + 1);
	again = malloc(n + 1);
	if (!buf || !again) {
		rc = -ENOMEM;
		goto out;
	}
	len = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)n);
	if (len < 0 || (size_t)len < pad)
		goto out;
	len -= (int)pad;
	if (EVP_EncodeBlock(again, buf, len) != (int)n || memcmp(again, s, n))
		goto out;
	*out = buf;
	*outlen = (size_t)len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	free(again);
	return rc;
}

int sec_open(const struct sec_keyring *k, const char *aad, const char *blob, void **pt,
	     size_t *len)
{
	size_t pl = strlen(SEC_PREFIX), kl, rawlen, adlen, ctlen;
	unsigned char *raw = NULL, *ad = NULL, *plain = NULL;
	const struct sec_key *key;
	const char *kid, *colon;
	int rc;

	*pt = NULL;
	*len = 0;
	if (!k || !aad || !blob || strncmp(blob, SEC_PREFIX, pl))
		return -EINVAL;
	kid = blob + pl;
	colon = strchr(kid, ':');
	if (!colon || !kid_valid(kid, (size_t)(colon - kid)))
		return -EINVAL;
	kl = (size_t)(colon - kid);
	if (strnlen(blob, SEC_MAX_BLOB + 1) > SEC_MAX_BLOB)
		return -EINVAL;
	rc = b64_decode(colon + 1, strlen(colon + 1), &raw, &rawlen);
	if (rc)
		return rc;
	if (rawlen < SEC_NONCE_LEN + SEC_TAG_LEN) {
		rc = -EINVAL;
		goto out;
	}
	key = key_find(k, kid, kl);
	if (!key) {
		rc = -ENOKEY;
		goto out;
	}
	ctlen = rawlen - SEC_NONCE_LEN - SEC_TAG_LEN;
	ad = aad_build(kid, kl, aad, &adlen);
	plain = malloc(ctlen + 1);
	if (!ad || !plain) {
		rc = -ENOMEM;
		goto out;
	}
	rc = gcm(false, key->key, raw, ad, adlen, raw + SEC_NONCE_LEN, ctlen, plain,
		 raw + SEC_NONCE_LEN + ctlen);
	if (rc)
		goto out;
	plain[ctlen] = '\0';
	*pt = plain;
	*len = ctlen;
	plain = NULL;
out:
	if (plain)
		sec_free(plain, ctlen + 1);
	free(raw);
	free(ad);
	return rc;
}

void sec_free(void *pt, size_t len)
{
	if (!pt)
		return;
	OPENSSL_cleanse(pt, len);
	free(pt);
}
