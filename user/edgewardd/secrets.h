/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Secrets at rest (TOTP seeds, webhook tokens, ...): sealed with AES-256-GCM
 * under a key from a keyring file, and bound to the record they belong to
 * through the associated data, so a sealed value copied into another record
 * (alice's TOTP seed into bob's row) does not open there.
 *
 * Keyring file: one key per line, "KID HEX64" (KID: 1..16 of A-Z a-z 0-9
 * _ -; HEX64: the 32-byte key in hex), blank lines and '#' comment lines
 * allowed. Every key opens; the LAST one seals (the active key), so
 * rotating is appending a line, and old values keep opening until they are
 * resealed. The file must be owned by the daemon's user or root and not
 * readable by group or others.
 *
 * Sealed form (text, safe in a database column or a YAML file):
 *   "ewsec1:KID:" BASE64(nonce[12] || ciphertext || tag[16])
 * with a random 96-bit nonce per seal (2^32 seals under one key keep the
 * chance of a repeat nonce below 2^-32) and AAD = "ewsec1:KID:" + aad, so
 * the version and the key id are authenticated too.
 */
#ifndef EW_SECRETS_H
#define EW_SECRETS_H

#include <stddef.h>

#define SEC_PREFIX	  "ewsec1:"
#define SEC_KID_MAX	  16
#define SEC_KEY_LEN	  32
#define SEC_NONCE_LEN	  12
#define SEC_TAG_LEN	  16
#define SEC_MAX_PLAINTEXT (1U << 20)
#define SEC_MAX_KEYS	  1024

struct sec_keyring;

/*
 * Load a keyring. Refused, with err "PATH: message" or "PATH:LINE:
 * message": a file not owned by the effective uid or root, a mode giving
 * group or others any access, a line that is not "KID HEX64", a bad key id,
 * a key that is not 64 hex digits, a duplicate key id, no key at all.
 * Returns 0 or -errno (-EINVAL for a bad file, -EPERM for bad ownership or
 * mode).
 */
int sec_keyring_load(const char *path, struct sec_keyring **out, char *err, size_t errlen);
/* Create a new keyring (refused if path exists) with one random key, "k1"; mode 0600. */
int sec_keyring_create(const char *path, char *err, size_t errlen);
/*
 * Append a new random key to an existing keyring, which becomes the active
 * one: "kN" with N one more than the highest "k<number>" id. The file is
 * checked as by sec_keyring_load first. Running daemons use it after they
 * reload the keyring.
 */
int sec_keyring_rotate(const char *path, char *err, size_t errlen);
void sec_keyring_free(struct sec_keyring *k);
const char *sec_active_kid(const struct sec_keyring *k);

/*
 * Seal len bytes under the active key, bound to aad (a string naming the
 * record, e.g. "totp:alice"; "" binds to nothing). Returns the malloc'd
 * sealed text, or NULL with errno set (EINVAL: no aad, too long).
 */
char *sec_seal(const struct sec_keyring *k, const char *aad, const void *pt, size_t len);
/*
 * Open a sealed value with the aad it was sealed with. *pt is malloc'd,
 * NUL-terminated after *len bytes; release it with sec_free. Returns 0,
 * -EINVAL (malformed), -ENOKEY (its key id is not in the keyring),
 * -EBADMSG (wrong aad, wrong key, or altered), -ENOMEM.
 */
int sec_open(const struct sec_keyring *k, const char *aad, const char *blob, void **pt,
	     size_t *len);
/* Wipe and free a plaintext from sec_open (NULL is fine). */
void sec_free(void *pt, size_t len);

#endif
