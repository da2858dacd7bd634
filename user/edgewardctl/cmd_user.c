// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl login, logout, user and config: the commands that only
 * edgewardd can serve, because the operator store, the tokens and the
 * config are the daemon's. In emergency mode they say so and exit 1.
 *
 * Passwords are read from the terminal without echo, or one line from
 * standard input with --password-stdin (for scripts); never from the
 * command line, where every user of the machine could read them.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "client.h"
#include "ctl.h"

#define PW_MAX 1024

static const char why_users[] = "the operator store is the daemon's";

/* ---- passwords ---- */

/* One line from f into buf without its newline; -1 when there is none or it is too long. */
static int read_line(FILE *f, char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, f))
		return -1;
	n = strcspn(buf, "\n");
	if (!buf[n] && !feof(f))
		return -1;	/* longer than the buffer */
	buf[n] = '\0';
	if (n && buf[n - 1] == '\r')
		buf[n - 1] = '\0';
	return 0;
}

/* Ask on the terminal, echo off. */
static int ask_tty(const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int fd, r = -1;
	FILE *tty;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	tty = fdopen(fd, "r+");
	if (!tty) {
		close(fd);
		return -1;
	}
	fputs(prompt, tty);
	fflush(tty);
	if (tcgetattr(fd, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0) {
			r = read_line(tty, buf, len);
			tcsetattr(fd, TCSAFLUSH, &old);
			fputc('\n', tty);
		}
	}
	fclose(tty);
	return r;
}

/*
 * A password: one line of stdin with --password-stdin, else asked on the
 * terminal (twice when confirm). CTL_OK or CTL_ERR (reported).
 */
static int get_password(const char *prompt, bool from_stdin, bool confirm, char *buf, size_t len)
{
	char again[PW_MAX];
	int r;

	if (from_stdin) {
		if (read_line(stdin, buf, len))
			return ctl_err("--password-stdin: no password line on standard input (at "
				       "most %zu bytes)",
				       len - 1);
	} else {
		if (ask_tty(prompt, buf, len))
			return ctl_err("no terminal to ask for the password on; use "
				       "--password-stdin");
		if (confirm) {
			r = ask_tty("again: ", again, sizeof(again));
			if (r || strcmp(buf, again)) {
				explicit_bzero(again, sizeof(again));
				explicit_bzero(buf, len);
				return ctl_err(r ? "no terminal to ask for the password on" :
						   "the passwords do not match");
			}
			explicit_bzero(again, sizeof(again));
		}
	}
	if (!buf[0])
		return ctl_err("empty password");
	return CTL_OK;
}

/* ---- helpers ---- */

/* NAME as a path segment: percent-encoded, so a name cannot reach another endpoint. */
static char *user_path(const char *name, const char *tail)
{
	size_t n = strlen(name), i, o;
	char *p = malloc(16 + 3 * n + strlen(tail) + 1);

	if (!p)
		return NULL;
	o = (size_t)sprintf(p, "/v1/users/");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			p[o++] = (char)c;
		else
			o += (size_t)sprintf(p + o, "%%%02X", c);
	}
	strcpy(p + o, tail);
	return p;
}

/* Run one call; the answer is printed under -j, returned for text otherwise. */
static int call(const char *method, const char *path, json_t *body, json_t **out)
{
	int rc = cli_do(method, path, body, out);

	if (rc || !ctl.json)
		return rc;
	rc = ctl_json_print(*out) ? CTL_ERR : CTL_OK;
	*out = NULL;
	return rc;
}

static int call_user(const char *name, const char *tail, json_t *body, json_t **out)
{
	char *path = user_path(name, tail);
	int rc;

	if (!path)
		return ctl_err("out of memory");
	rc = call("POST", path, body, out);
	free(path);
	return rc;
}

/* The user name of the saved token (its "sub"), not verified: only to name oneself. */
static char *token_user(void)
{
	char *tok = cli_token_load(), *dot, *end, *name = NULL;
	unsigned char *raw = NULL;
	size_t n, i, pad;
	json_t *claims;
	char *b64;
	int len;

	if (!tok)
		return NULL;
	dot = strchr(tok, '.');
	end = dot ? strchr(dot + 1, '.') : NULL;
	if (!end)
		goto out;
	n = (size_t)(end - dot - 1);
	pad = (4 - n % 4) % 4;
	b64 = malloc(n + pad + 1);
	raw = malloc(n + pad + 1);
	if (!b64 || !raw) {
		free(b64);
		goto out;
	}
	for (i = 0; i < n; i++)
		b64[i] = dot[1 + i] == '-' ? '+' : dot[1 + i] == '_' ? '/' : dot[1 + i];
	memset(b64 + n, '=', pad);
	b64[n + pad] = '\0';
	len = EVP_DecodeBlock(raw, (unsigned char *)b64, (int)(n + pad));
	free(b64);
	if (len < 0)
		goto out;
	len -= (int)pad;
	claims = json_loadb((char *)raw, (size_t)(len > 0 ? len : 0), 0, NULL);
	if (json_string_value(json_object_get(claims, "sub")))
		name = strdup(json_string_value(json_object_get(claims, "sub")));
	json_decref(claims);
out:
	free(raw);
	explicit_bzero(tok, strlen(tok));
	free(tok);
	return name;
}

/* ---- login, logout ---- */

const char help_login[] =
	"Log in to edgewardd at --server (or $EDGEWARD_SERVER) and save the tokens in\n"
	"~/.config/edgeward/token (mode 0600; $EDGEWARD_TOKEN_FILE overrides), which\n"
	"later commands with --server send. The local socket needs no login: it is\n"
	"root's. Roles that require MFA need --totp with the code of the moment.\n"
	"\n"
	"Options:\n"
	"  -u, --user NAME       the operator (default: asked on the terminal)\n"
	"      --password-stdin  read the password from the first line of stdin\n"
	"  -t, --totp CODE       the 6-digit code of your authenticator app\n"
	"\n"
	"Example:\n"
	"  edgewardctl --server https://fw1.example.net:8443 --cacert ca.pem login --user alice\n";

const char help_logout[] =
	"Revoke the saved token at edgewardd (this login's tokens stop working) and\n"
	"remove it from this machine. The local copy goes even when the daemon cannot\n"
	"be reached.\n"
	"\n"
	"Example:\n"
	"  edgewardctl --server https://fw1.example.net:8443 logout\n";

enum { OPT_PW_STDIN = 0x100, OPT_FIRST, OPT_LAST, OPT_PHONE, OPT_EMAIL, OPT_ROLE, OPT_CODE };

int cmd_login(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "password-stdin", no_argument, NULL, OPT_PW_STDIN },
		{ "totp", required_argument, NULL, 't' },
		{ 0 }
	};
	char user[256] = "", pw[PW_MAX], dur[24];
	const char *totp = NULL, *msg, *env;
	bool pw_stdin = false;
	json_t *req = NULL, *resp = NULL;
	long status;
	int c, rc = CTL_ERR;

	while ((c = ctl_getopt(argc, argv, "u:t:", opts)) != -1) {
		switch (c) {
		case 'u':
			snprintf(user, sizeof(user), "%s", optarg);
			break;
		case 't':
			totp = optarg;
			break;
		case OPT_PW_STDIN:
			pw_stdin = true;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	env = getenv("EDGEWARD_SERVER");
	if (!cli.server && !(env && *env))
		return ctl_usage("login is for --server https://HOST:PORT; on the local socket "
				 "root needs no login");
	if (ctl_need_daemon("login", "tokens are the daemon's"))
		return CTL_ERR;
	if (!user[0] && (pw_stdin || ask_tty("user: ", user, sizeof(user)) || !user[0]))
		return ctl_usage("missing --user NAME");
	if (get_password("password: ", pw_stdin, false, pw, sizeof(pw)))
		return CTL_ERR;
	req = json_object();
	json_object_set_new(req, "username", ctl_jstr(user));
	json_object_set_new(req, "password", json_string(pw));
	if (totp)
		json_object_set_new(req, "totp", json_string(totp));
	explicit_bzero(pw, sizeof(pw));
	if (cli_call("POST", "/v1/auth/login", req, &status, &resp))
		goto out;
	msg = json_string_value(json_object_get(resp, "error"));
	if (status == 401 && msg && strstr(msg, "mfa required")) {
		rc = ctl_err("%s needs a one-time code: run again with --totp CODE", user);
		goto out;
	}
	if (status < 200 || status >= 300) {
		rc = ctl_err("%s (HTTP %ld)", msg ? msg : "login refused", status);
		goto out;
	}
	if (!json_string_value(json_object_get(resp, "access_token"))) {
		rc = ctl_err("edgewardd answered the login without a token");
		goto out;
	}
	if (cli_token_save(json_string_value(json_object_get(resp, "access_token")),
			   json_string_value(json_object_get(resp, "refresh_token"))))
		goto out;
	if (ctl.json) {
		json_t *o = json_object();

		/* The tokens stay in their file, not on stdout. */
		json_object_set_new(o, "logged_in", json_true());
		json_object_set_new(o, "user", ctl_jstr(user));
		json_object_set(o, "role", json_object_get(resp, "role"));
		json_object_set(o, "expires_in", json_object_get(resp, "expires_in"));
		ctl_json_print(o);
	} else {
		ctl_rel_duration((uint64_t)ctl_ji(resp, "expires_in") * 1000000000ULL, dur,
				 sizeof(dur));
		ctl_info("logged in as %s (role %s), token valid for %s", user,
			 ctl_js(resp, "role"), dur);
	}
	rc = CTL_OK;
out:
	if (req)
		json_object_del(req, "password");
	json_decref(req);
	json_decref(resp);
	return rc;
}

int cmd_logout(int argc, char **argv)
{
	json_t *req, *resp = NULL;
	long status = 0;
	int rc = ctl_no_args(argc, argv), r;

	if (rc != CTL_RUN)
		return rc;
	if (ctl_need_daemon("logout", "tokens are the daemon's"))
		return CTL_ERR;
	req = json_object();
	r = cli_call("POST", "/v1/auth/logout", req, &status, &resp);
	json_decref(req);
	json_decref(resp);
	/* Whatever the daemon said, this machine forgets the token. */
	if (cli_token_remove())
		ctl_warn("cannot remove the saved token");
	if (r)
		return CTL_ERR;
	if (status < 200 || status >= 300)
		ctl_warn("edgewardd did not revoke the token (HTTP %ld); it was removed here and "
			 "expires on its own",
			 status);
	if (ctl.json)
		return ctl_json_print_kv("logged_out", json_true()) ? CTL_ERR : CTL_OK;
	ctl_info("logged out");
	return CTL_OK;
}

/* ---- user ---- */

static int cmd_user_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "email", required_argument, NULL, OPT_EMAIL },
		{ "role", required_argument, NULL, OPT_ROLE },
		{ "first-name", required_argument, NULL, OPT_FIRST },
		{ "last-name", required_argument, NULL, OPT_LAST },
		{ "phone", required_argument, NULL, OPT_PHONE },
		{ "password-stdin", no_argument, NULL, OPT_PW_STDIN },
		{ 0 }
	};
	const char *email = NULL, *role = NULL, *first = NULL, *last = NULL, *phone = NULL;
	json_t *req, *out = NULL;
	bool pw_stdin = false;
	char pw[PW_MAX];
	const char *name;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		switch (c) {
		case OPT_EMAIL:
			email = optarg;
			break;
		case OPT_ROLE:
			role = optarg;
			break;
		case OPT_FIRST:
			first = optarg;
			break;
		case OPT_LAST:
			last = optarg;
			break;
		case OPT_PHONE:
			phone = optarg;
			break;
		case OPT_PW_STDIN:
			pw_stdin = true;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	name = ctl_arg(argc, argv, "NAME", true);
	if (!name)
		return CTL_USAGE;
	if (!email)
		return ctl_usage("missing --email ADDRESS");
	if (!role)
		return ctl_usage("missing --role ROLE");
	if (ctl_need_daemon("user", why_users))
		return CTL_ERR;
	if (get_password("password for the new user: ", pw_stdin, true, pw, sizeof(pw)))
		return CTL_ERR;
	/* Every value is checked by edgewardd, the one place that knows the policy. */
	req = json_object();
	json_object_set_new(req, "username", ctl_jstr(name));
	json_object_set_new(req, "email", ctl_jstr(email));
	if (first)
		json_object_set_new(req, "first_name", ctl_jstr(first));
	if (last)
		json_object_set_new(req, "last_name", ctl_jstr(last));
	if (phone)
		json_object_set_new(req, "phone", ctl_jstr(phone));
	json_object_set_new(req, "role", ctl_jstr(role));
	json_object_set_new(req, "password", json_string(pw));
	explicit_bzero(pw, sizeof(pw));
	rc = call("POST", "/v1/users", req, &out);
	json_object_del(req, "password");
	json_decref(req);
	if (!rc && out)
		ctl_info("added user %s (role %s)", name, role);
	json_decref(out);
	return rc;
}

static const char *yes_no(json_t *v)
{
	return json_is_true(v) ? "yes" : "no";
}

/* Untrusted text (from the operator store) made safe for a terminal. */
static const char *cell(json_t *o, const char *key, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s || !*s)
		return "-";
	return ctl_printable(s) ? s : ew_quote(s, buf, len);
}

static int cmd_user_list(int argc, char **argv)
{
	char q[6][EW_QUOTE_LEN], full[2 * EW_QUOTE_LEN + 2];
	json_t *out = NULL, *users, *u;
	struct ctl_table t;
	size_t i;
	int rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	if (ctl_need_daemon("user", why_users))
		return CTL_ERR;
	rc = call("GET", "/v1/users", NULL, &out);
	if (rc || !out)
		return rc;
	users = json_object_get(out, "users");
	if (!json_array_size(users)) {
		if (!ctl.quiet)
			printf("no users\n");
		json_decref(out);
		return CTL_OK;
	}
	tbl_init(&t, 7, 0, "USER", "ROLE", "EMAIL", "NAME", "MFA", "STATUS", "PASSWORD SET");
	json_array_foreach(users, i, u) {
		const char *status = "active";

		if (json_is_true(json_object_get(u, "disabled")))
			status = "disabled";
		else if (json_is_true(json_object_get(u, "locked")))
			status = "locked";

		snprintf(full, sizeof(full), "%s %s", cell(u, "first_name", q[3], sizeof(q[3])),
			 cell(u, "last_name", q[4], sizeof(q[4])));
		tbl_add(&t, cell(u, "username", q[0], sizeof(q[0])),
			cell(u, "role", q[1], sizeof(q[1])), cell(u, "email", q[2], sizeof(q[2])),
			strcmp(full, "- -") ? full : "-", yes_no(json_object_get(u, "mfa_enabled")),
			status, cell(u, "password_changed", q[5], sizeof(q[5])));
	}
	tbl_print(&t, stdout);
	tbl_free(&t);
	json_decref(out);
	return CTL_OK;
}

static int cmd_user_passwd(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "password-stdin", no_argument, NULL, OPT_PW_STDIN },
		{ 0 }
	};
	char *self = NULL, pw[PW_MAX], prompt[320];
	json_t *req, *out = NULL;
	bool pw_stdin = false;
	const char *name;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		if (c == OPT_PW_STDIN)
			pw_stdin = true;
		else if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	}
	if (optind + 1 < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind + 1]);
	if (ctl_need_daemon("user", why_users))
		return CTL_ERR;
	name = optind < argc ? argv[optind] : NULL;
	if (!name) {
		/* Oneself: the user the saved token was issued to (only with --server). */
		self = cli.server ? token_user() : NULL;
		if (!self)
			return ctl_usage("missing NAME (no login to take it from; on the local "
					 "socket, name the user)");
		name = self;
	}
	snprintf(prompt, sizeof(prompt), "new password for %.256s: ", name);
	rc = get_password(prompt, pw_stdin, true, pw, sizeof(pw));
	if (rc)
		goto out;
	req = json_object();
	json_object_set_new(req, "password", json_string(pw));
	explicit_bzero(pw, sizeof(pw));
	rc = call_user(name, "/password", req, &out);
	json_object_del(req, "password");
	json_decref(req);
	if (!rc && out)
		ctl_info("changed the password of %s", name);
out:
	json_decref(out);
	free(self);
	return rc;
}

/* user role|disable|unlock: NAME [VALUE] -> POST /v1/users/NAME/tail {key: VALUE}. */
static int user_simple(int argc, char **argv, const char *tail, const char *key,
		       const char *done)
{
	json_t *req, *out = NULL;
	const char *name, *val = NULL;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "", NULL)) != -1)
		if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	if (optind >= argc)
		return ctl_usage("missing NAME");
	name = argv[optind];
	if (key) {
		if (optind + 1 >= argc)
			return ctl_usage("missing ROLE");
		val = argv[optind + 1];
	}
	if (optind + (key ? 2 : 1) < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind + (key ? 2 : 1)]);
	if (ctl_need_daemon("user", why_users))
		return CTL_ERR;
	req = json_object();
	if (key)
		json_object_set_new(req, key, ctl_jstr(val));
	rc = call_user(name, tail, req, &out);
	json_decref(req);
	if (!rc && out)
		ctl_info("%s %s%s%s", done, name, val ? " to " : "", val ? val : "");
	json_decref(out);
	return rc;
}

static int cmd_user_role(int argc, char **argv)
{
	return user_simple(argc, argv, "/role", "role", "changed the role of");
}

static int cmd_user_disable(int argc, char **argv)
{
	return user_simple(argc, argv, "/disable", NULL, "disabled");
}

static int cmd_user_unlock(int argc, char **argv)
{
	return user_simple(argc, argv, "/unlock", NULL, "unlocked");
}

static int cmd_user_mfa(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "code", required_argument, NULL, OPT_CODE },
		{ 0 }
	};
	const char *code = NULL, *name;
	json_t *req, *out = NULL;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "", opts)) != -1) {
		if (c == OPT_CODE)
			code = optarg;
		else if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	}
	name = ctl_arg(argc, argv, "NAME", true);
	if (!name)
		return CTL_USAGE;
	if (ctl_need_daemon("user", why_users))
		return CTL_ERR;
	req = json_object();
	if (code)
		json_object_set_new(req, "code", ctl_jstr(code));
	rc = call_user(name, code ? "/mfa/confirm" : "/mfa/enrol", req, &out);
	json_decref(req);
	if (rc || !out)
		goto out;
	if (code) {
		ctl_info("MFA is on for %s", name);
	} else {
		const char *uri = ctl_js(out, "otpauth_uri");

		if (!ctl_printable(uri)) {
			rc = ctl_err("edgewardd answered with an unprintable otpauth URI");
			goto out;
		}
		printf("%s\n", uri);
		ctl_info("\nScan this URI (or enter its secret) in an authenticator app, then "
			 "confirm with\n  edgewardctl user mfa-enrol %s --code CODE",
			 name);
	}
out:
	json_decref(out);
	return rc;
}

static const struct ctl_cmd user_cmds[] = {
	{ "add", cmd_user_add, "add an operator",
	  "user add NAME --email ADDRESS --role ROLE [--first-name F]\n"
	  "            [--last-name L] [--phone +E164] [--password-stdin]",
	  "Create an operator account in edgewardd's store. The password is asked twice\n"
	  "on the terminal (or read from stdin) and must meet the password policy.\n"
	  "\n"
	  "Options:\n"
	  "      --email ADDRESS     contact address (required)\n"
	  "      --role ROLE         admin, manager, financial, employee, viewer, or a role\n"
	  "                          of the config (required)\n"
	  "      --first-name F, --last-name L, --phone +E164   optional details\n"
	  "      --password-stdin    read the password from the first line of stdin\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl user add alice --email alice@example.com --role manager\n" },
	{ "list", cmd_user_list, "list the operators", "user list",
	  "List the operators: name, role, e-mail, MFA, whether locked or disabled, last\n"
	  "login.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl -j user list\n" },
	{ "passwd", cmd_user_passwd, "set an operator's password",
	  "user passwd [NAME] [--password-stdin]",
	  "Set the password of NAME, or, logged in with --server, your own. Every token\n"
	  "the user holds stops working.\n"
	  "\n"
	  "Options:\n"
	  "      --password-stdin    read the password from the first line of stdin\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl user passwd bob\n" },
	{ "role", cmd_user_role, "change an operator's role", "user role NAME ROLE",
	  "Give NAME the role ROLE; tokens issued under the old role stop working.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl user role bob viewer\n" },
	{ "disable", cmd_user_disable, "disable an operator", "user disable NAME",
	  "Disable the account: no login, and every token it holds stops working.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl user disable mallory\n" },
	{ "unlock", cmd_user_unlock, "unlock an operator locked out by failed logins",
	  "user unlock NAME",
	  "Clear the lockout that failed logins put on the account.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl user unlock alice\n" },
	{ "mfa-enrol", cmd_user_mfa, "enrol an operator in TOTP MFA",
	  "user mfa-enrol NAME [--code CODE]",
	  "Without --code: start the enrolment and print the otpauth:// URI to scan with\n"
	  "an authenticator app. With --code: confirm it with the app's current code;\n"
	  "from then on logins of NAME need --totp.\n"
	  "\n"
	  "Options:\n"
	  "      --code CODE         the 6-digit code, to finish the enrolment\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl user mfa-enrol alice\n"
	  "  edgewardctl user mfa-enrol alice --code 123456\n" },
	{ 0 }
};

int cmd_user(int argc, char **argv)
{
	return ctl_dispatch(user_cmds, argc - 1, argv + 1);
}

/* ---- config ---- */

static int cmd_config_check(int argc, char **argv)
{
	json_t *req, *out = NULL, *errs, *x;
	const char *path = NULL;
	size_t i;
	int c, rc;

	while ((c = ctl_getopt(argc, argv, "", NULL)) != -1)
		if (c == CTL_OPT_DONE)
			return ctl.opt_rc;
	if (optind + 1 < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc)
		path = argv[optind];
	if (ctl_need_daemon("config", "the config is the daemon's"))
		return CTL_ERR;
	req = json_object();
	if (path)
		json_object_set_new(req, "path", ctl_jstr(path));
	rc = cli_do("POST", "/v1/config/check", req, &out);
	json_decref(req);
	if (rc)
		return rc;
	errs = json_object_get(out, "errors");
	rc = json_is_true(json_object_get(out, "ok")) ? CTL_OK : CTL_ERR;
	if (ctl.json) {
		ctl_json_print(out);
		return rc;
	}
	json_array_foreach(errs, i, x)
		fprintf(stderr, "%s\n", json_is_string(x) ? json_string_value(x) : "?");
	if (!rc)
		ctl_info("%s: ok", path ? path : "the config");
	else if (!json_array_size(errs))
		ctl_err("%s is not valid", path ? path : "the config");
	json_decref(out);
	return rc;
}

static int cmd_config_reload(int argc, char **argv)
{
	json_t *req, *out = NULL;
	int rc = ctl_no_args(argc, argv);

	if (rc != CTL_RUN)
		return rc;
	if (ctl_need_daemon("config", "the config is the daemon's"))
		return CTL_ERR;
	req = json_object();
	rc = call("POST", "/v1/config/reload", req, &out);
	json_decref(req);
	if (!rc && out)
		ctl_info("config reloaded (generation %lld)", ctl_ji(out, "generation"));
	json_decref(out);
	return rc;
}

static const struct ctl_cmd config_cmds[] = {
	{ "check", cmd_config_check, "check a config file without using it", "config check [FILE]",
	  "Have edgewardd check FILE (a path on the daemon's host; default: its own\n"
	  "config) as a reload would, and print every problem as FILE:LINE: message.\n"
	  "Exit status 1 when there is one.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl config check /etc/edgeward/edgewardd.yaml.new\n" },
	{ "reload", cmd_config_reload, "reload the config, all or nothing", "config reload",
	  "Have edgewardd read its config file again: the new one takes effect as a\n"
	  "whole, or, when anything is wrong (reported as FILE:LINE), not at all.\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl config reload\n" },
	{ 0 }
};

int cmd_config(int argc, char **argv)
{
	return ctl_dispatch(config_cmds, argc - 1, argv + 1);
}
