/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The local operator store: accounts with roles, argon2id passwords under
 * the password policy, TOTP MFA, lockout, and the token version that
 * revokes every token of a user at once. One JSON file, mode 0600, written
 * atomically (temp file, fsync, rename, fsync of the directory).
 *
 * Usernames. "Alice", " alice " and "ALICE" must be one account, and
 * nothing that merely looks like "alice" may be another. So a name is
 * normalised before anything else: surrounding ASCII whitespace is
 * trimmed and ASCII is lowercased; then any byte outside ASCII (Cyrillic
 * "а", fullwidth "Ａ", zero-width spaces ...), any control character or
 * inner whitespace is refused rather than mapped. What remains must be
 * [a-z0-9._-], 1..64 characters, starting with a letter or digit.
 *
 * Lockout is keyed by that normalised name, whether or not the account
 * exists, so every spelling and every source address counts against one
 * counter, and an unknown name behaves exactly like a known one: after
 * max_failures failures (5) in a row the name is locked for lockout_s
 * (30 min); hard_lock_after lockouts (3) in a row without a success lock it
 * until users_unlock (which the API offers to admins and local root
 * only). Each failed attempt also lengthens the wait before the answer:
 * 0, 0, 250, 500, 1000, 2000 ... up to 5000 ms. Unknown names live in a
 * bounded in-memory table (the oldest is forgotten when it is full).
 *
 * users_authenticate always runs exactly one argon2id verification: against
 * a dummy hash made with the current parameters when the name is unknown,
 * disabled or locked. It writes the store only after a correct password;
 * failure counters of known users are written by users_flush (call it from
 * a timer), so a failure costs the same time for every name. Its result
 * codes are OK, FAIL (unknown, wrong, locked, disabled: the API must answer
 * all of them identically; the reason is for the audit journal),
 * MFA_REQUIRED (the password was right but a TOTP code is missing or wrong)
 * and PASSWORD_EXPIRED (right password and code, older than the policy's
 * maximum age: allow only a password change).
 *
 * MFA is required for the roles the policy lists (admin and financial by
 * default) and for any user who enrolled. A required user without a
 * confirmed secret gets MFA_REQUIRED with mfa_enrol set: the API may then
 * call users_mfa_enrol (after the correct password) and the next login
 * with password and code confirms the secret. TOTP secrets are stored
 * sealed with the keyring (secrets.h) under the AAD "totp:<username>", so a
 * secret copied into another record does not open.
 *
 * Roles are the guide's enum (admin, manager, financial, employee, viewer),
 * plus any role the policy's role_ok callback accepts (rbac_role_exists
 * for roles the config adds).
 *
 * Record validation follows the guide's userCreateSchema: email (zod's
 * email syntax, at most 255 bytes), first and last name (letters of any
 * script, spaces, hyphens and apostrophes, 1..50 characters), phone
 * (optional, E.164: +, then 2..15 digits not starting with 0), role.
 *
 * Not thread-safe: the daemon's event loop owns the store.
 */
#ifndef EW_USERS_H
#define EW_USERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "password.h"

#define USERS_NAME_MAX 64
#define USERS_EMAIL_MAX 255
#define USERS_PERSON_CHARS 50
#define USERS_PERSON_MAX (USERS_PERSON_CHARS * 4)	/* bytes of UTF-8 */
#define USERS_PHONE_MAX 16
#define USERS_ROLE_MAX 31
#define USERS_HISTORY_MAX 24	/* preventReuse at most */

struct sec_keyring;
struct users;

struct users_policy {
	struct pw_params pw;		/* argon2id costs for new hashes */
	struct pw_policy password;
	uint32_t max_failures;		/* 5 */
	int64_t lockout_s;		/* 1800 */
	uint32_t hard_lock_after;	/* lockouts in a row, then only users_unlock: 3; 0 = never */
	bool progressive_delay;		/* true */
	uint32_t delay_step_ms;		/* 250: the third failure in a row waits this long */
	uint32_t delay_max_ms;		/* 5000 */
	const char *const *mfa_roles;	/* roles that must use MFA: admin, financial */
	size_t n_mfa_roles;
	const char *totp_issuer;	/* "edgeward", shown by authenticator apps */
	uint32_t unknown_slots;		/* lockout entries for unknown names: 4096 */
	/* Roles beyond the five defaults; NULL: the defaults only. */
	bool (*role_ok)(void *arg, const char *role);
	void *role_arg;
};

/* The defaults above; the pointers in it are to static data. */
void users_policy_default(struct users_policy *pol);

/* A new record, or the fields to change (NULL: keep) for users_set_profile. */
struct users_new {
	const char *name;
	const char *email;
	const char *first_name;
	const char *last_name;
	const char *phone;	/* NULL or "": none */
	const char *role;
};

/* What callers may see of a record: never the hashes or the TOTP secret. */
struct users_info {
	char name[USERS_NAME_MAX + 1];
	char email[USERS_EMAIL_MAX + 1];
	char first_name[USERS_PERSON_MAX + 1];
	char last_name[USERS_PERSON_MAX + 1];
	char phone[USERS_PHONE_MAX + 1];
	char role[USERS_ROLE_MAX + 1];
	bool disabled;
	bool mfa_enabled;
	bool mfa_required;	/* by role or by enrolment */
	int64_t created_at, pw_changed_at;
	int64_t token_version;
	uint32_t failures;	/* towards the next lockout */
	uint32_t lockouts;	/* in a row without a success */
	int64_t locked_until;	/* 0: not locked */
	bool hard_locked;
};

enum users_auth_result {
	USERS_AUTH_OK,
	USERS_AUTH_FAIL,
	USERS_AUTH_MFA_REQUIRED,
	USERS_AUTH_PASSWORD_EXPIRED,
};

/* Why an attempt failed: for the audit journal only, never for the client. */
enum users_fail_reason {
	USERS_FAIL_NONE,
	USERS_FAIL_BAD_NAME,	/* not a valid username spelling */
	USERS_FAIL_UNKNOWN,
	USERS_FAIL_PASSWORD,
	USERS_FAIL_LOCKED,
	USERS_FAIL_HARD_LOCKED,
	USERS_FAIL_DISABLED,
	USERS_FAIL_MFA_MISSING,	/* password right, no code given */
	USERS_FAIL_MFA_CODE,	/* password right, code wrong or replayed */
	USERS_FAIL_INTERNAL,	/* out of memory, unreadable hash or secret */
};

struct users_auth {
	enum users_auth_result result;
	enum users_fail_reason reason;
	char name[USERS_NAME_MAX + 1];	/* normalised; "" for a refused spelling */
	char role[USERS_ROLE_MAX + 1];	/* OK, PASSWORD_EXPIRED */
	int64_t token_version;		/* OK, PASSWORD_EXPIRED */
	bool mfa_enrol;			/* MFA_REQUIRED: no confirmed secret yet */
	bool locked_now;		/* this attempt started a lockout */
	bool hard_locked_now;		/* this attempt made it a hard lock */
	uint32_t delay_ms;		/* wait this long before answering */
};

/*
 * Open the store at path (a missing file is an empty store, created at the
 * first change; NULL keeps it in memory). The file must not be open to
 * group or other. keys (may be NULL: no MFA) must outlive the store.
 * Returns 0, -EINVAL with the reason logged (malformed file), -EPERM (mode)
 * or -errno.
 */
int users_open(const char *path, const struct users_policy *pol, const struct sec_keyring *keys,
	       struct users **out);
void users_close(struct users *u);
/* Replace the policy (config reload); the dummy hash follows new argon2 costs. */
int users_set_policy(struct users *u, const struct users_policy *pol);
/* Write the store now / only if users_authenticate left unsaved counters. */
int users_save(struct users *u);
int users_flush(struct users *u);

/* Normalise a username (see above) into out (not overlapping in): 0 or -EINVAL. */
int users_name_normalise(const char *in, char out[USERS_NAME_MAX + 1]);

/* Field validators: 0, or -EINVAL with a reason. */
int users_check_email(const char *s, const char **why);
int users_check_person_name(const char *s, const char **why);
int users_check_phone(const char *s, const char **why);
int users_check_role(const struct users *u, const char *role, const char **why);
/*
 * Every field of in (all required except phone); why gets one
 * "field: reason" per bad field, joined by "; ". 0 or -EINVAL.
 */
int users_validate(const struct users *u, const struct users_new *in, char *why, size_t whylen);

/* Add an account: -EINVAL (why says which field or the password rule), -EEXIST. */
int users_add(struct users *u, const struct users_new *in, const char *password, int64_t now,
	      char *why, size_t whylen);
/* Change email, names or phone (name and role fields of in are ignored). */
int users_set_profile(struct users *u, const char *name, const struct users_new *in, char *why,
		      size_t whylen);
int users_delete(struct users *u, const char *name);
/* 0 or -ENOENT. */
int users_get(const struct users *u, const char *name, struct users_info *out);
/* A malloc'd array of every account, sorted by name. */
int users_list(const struct users *u, struct users_info **out, size_t *n);

/*
 * Set a new password under the policy and history. old non-NULL (a user
 * changing their own) must be the current password (-EACCES); NULL is an
 * admin reset. Bumps the token version: every token dies.
 */
int users_set_password(struct users *u, const char *name, const char *old, const char *password,
		       int64_t now, char *why, size_t whylen);
/* These bump the token version too. */
int users_set_role(struct users *u, const char *name, const char *role, char *why, size_t whylen);
int users_disable(struct users *u, const char *name);
int users_revoke_tokens(struct users *u, const char *name);	/* logout everywhere */
int users_enable(struct users *u, const char *name);
/* Clear failures, lockout and hard lock of a name, known or not. */
int users_unlock(struct users *u, const char *name);

/*
 * Start enrolment: a new secret, kept sealed as pending, and its
 * otpauth:// URI in *uri (malloc'd; show it once, as a QR code). Replaces
 * an earlier pending secret; the confirmed one stays until users_mfa_confirm.
 * -ENOKEY without a keyring.
 */
int users_mfa_enrol(struct users *u, const char *name, char **uri);
/* Confirm the pending secret with a code from it: MFA is on from then. 0 or -EACCES. */
int users_mfa_confirm(struct users *u, const char *name, const char *code, int64_t now);
/* Check a code against the confirmed secret, each step once. 0 or -EACCES. */
int users_mfa_verify(struct users *u, const char *name, const char *code, int64_t now);
/* Drop MFA (lost device; admins only): secrets go, the token version is bumped. */
int users_mfa_reset(struct users *u, const char *name);

/*
 * One login attempt; see above. code may be NULL. Returns 0 with the
 * outcome in *res (whatever the outcome), or -errno when the attempt could
 * not be judged at all (then answer as FAIL).
 */
int users_authenticate(struct users *u, const char *name, const char *password, const char *code,
		       int64_t now, struct users_auth *res);
/* The progressive delay for name's current failure streak, for any spelling. */
uint32_t users_login_delay_ms(const struct users *u, const char *name, int64_t now);

/*
 * tok_user_check_fn for tok_rev_set_user_check (arg is the store): 0 when
 * sub exists, is enabled, has that role and that token version.
 */
int users_token_check(void *arg, const char *sub, const char *role, int64_t ver);

const char *users_fail_reason_name(enum users_fail_reason r);

#endif
