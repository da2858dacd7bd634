// SPDX-License-Identifier: GPL-2.0-only
/* edgewardctl to edgewardd: JSON over HTTP with libcurl; see client.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <curl/curl.h>

#include "client.h"
#include "ctl.h"
#include "journal.h"

struct cli_opts cli;

/* The most we read of an answer: the biggest are block lists (64 MiB covers 1M rules). */
#define CLI_MAX_REPLY (256u << 20)

static int sock_alive(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
	close(fd);
	return r;
}

int cli_mode(void)
{
	const char *e;
	int r;

	if (cli.mode != CLI_UNDECIDED)
		return cli.mode;
	if (!cli.socket)
		cli.socket = (e = getenv("EDGEWARD_SOCKET")) && *e ? e : EW_SOCKET_PATH;
	if (!cli.server && (e = getenv("EDGEWARD_SERVER")) && *e)
		cli.server = e;
	if (!cli.cacert && (e = getenv("EDGEWARD_CACERT")) && *e)
		cli.cacert = e;
	if (!cli.journal)
		cli.journal = (e = getenv("EDGEWARD_JOURNAL")) && *e ? e : EW_JOURNAL_PATH;
	if ((e = getenv("EDGEWARD_DIRECT")) && !strcmp(e, "1"))
		cli.direct = true;

	if (cli.server && cli.direct) {
		ctl_usage("--server and --direct exclude each other");
		return -1;
	}
	if (cli.server)
		return cli.mode = CLI_DAEMON;
	if (cli.direct) {
		if (geteuid() != 0) {
			ctl_err("--direct writes the pinned maps and needs root");
			return -1;
		}
		return cli.mode = CLI_DIRECT;
	}
	r = sock_alive(cli.socket);
	if (!r)
		return cli.mode = CLI_DAEMON;
	if ((r == -ENOENT || r == -ECONNREFUSED) && geteuid() == 0) {
		ctl_warn("edgewardd is not running (%s: %s): writing the pinned maps directly "
			 "(emergency mode; changes are recorded in %s)",
			 cli.socket, strerror(-r), cli.journal);
		return cli.mode = CLI_DIRECT;
	}
	if (r == -EACCES)
		ctl_err("cannot reach edgewardd at %s: %s (the local socket is root's; use sudo, or "
			"--server https://HOST:PORT after 'edgewardctl login')",
			cli.socket, strerror(-r));
	else
		ctl_err("cannot reach edgewardd at %s: %s (is it running? 'systemctl status "
			"edgewardd')",
			cli.socket, strerror(-r));
	return -1;
}

/* ---- tokens ---- */

static int token_path(char *buf, size_t len)
{
	const char *e = getenv("EDGEWARD_TOKEN_FILE"), *home;
	struct passwd *pw;

	if (cli.token_file)
		e = cli.token_file;
	if (e && *e)
		return snprintf(buf, len, "%s", e) >= (int)len ? -ENAMETOOLONG : 0;
	home = getenv("HOME");
	if (!home || !*home) {
		pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return -ENOENT;
	return snprintf(buf, len, "%s/.config/edgeward/token", home) >= (int)len ? -ENAMETOOLONG :
										    0;
}

char *cli_token_load(void)
{
	char path[PATH_MAX];
	json_t *t;
	const char *a;
	char *out = NULL;

	if (token_path(path, sizeof(path)))
		return NULL;
	t = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	a = json_string_value(json_object_get(t, "access_token"));
	if (a)
		out = strdup(a);
	json_decref(t);
	return out;
}

static int mkdir_p(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return 0;
}

int cli_token_save(const char *access, const char *refresh)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	json_t *t = json_object();
	int fd, r = 0;

	r = token_path(path, sizeof(path));
	if (r)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	r = mkdir_p(tmp);
	if (r)
		goto out;
	json_object_set_new(t, "access_token", json_string(access));
	if (refresh)
		json_object_set_new(t, "refresh_token", json_string(refresh));
	/* The token is a credential: 0600 from the start, replaced atomically. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	if (json_dumpfd(t, fd, JSON_COMPACT) || fsync(fd)) {
		r = -EIO;
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	if (rename(tmp, path))
		r = -errno;
out:
	json_decref(t);
	if (r)
		ctl_warn("cannot save the token to %s: %s", path, strerror(-r));
	return r;
}

int cli_token_remove(void)
{
	char path[PATH_MAX];

	if (token_path(path, sizeof(path)))
		return -ENOENT;
	return unlink(path) && errno != ENOENT ? -errno : 0;
}

/* ---- requests ---- */

struct reply {
	char *buf;
	size_t len;
	bool too_big;
};

static size_t on_data(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t add = size * n;
	char *nb;

	if (r->len + add > CLI_MAX_REPLY) {
		r->too_big = true;
		return 0;
	}
	nb = realloc(r->buf, r->len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + r->len, p, add);
	r->buf = nb;
	r->len += add;
	r->buf[r->len] = '\0';
	return add;
}

int cli_call_raw(const char *method, const char *path, const char *ctype, const char *data,
		 size_t len, long *status, json_t **resp)
{
	struct curl_slist *h = NULL;
	struct reply rep = { 0 };
	char url[2048], hdr[4096];
	char *token = NULL;
	CURLcode cc;
	CURL *c;
	int rc = -1;

	*resp = NULL;
	*status = 0;
	if (cli_mode() != CLI_DAEMON)
		return -1;
	c = curl_easy_init();
	if (!c) {
		ctl_err("cannot initialise libcurl");
		return -1;
	}
	if (cli.server) {
		snprintf(url, sizeof(url), "%s%s", cli.server, path);
		token = cli_token_load();
		if (token) {
			snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", token);
			h = curl_slist_append(h, hdr);
		}
		if (cli.cacert)
			curl_easy_setopt(c, CURLOPT_CAINFO, cli.cacert);
		curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
		curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	} else {
		/* The host part is not used on a Unix socket. */
		snprintf(url, sizeof(url), "http://localhost%s", path);
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, cli.socket);
	}
	if (data) {
		snprintf(hdr, sizeof(hdr), "Content-Type: %s", ctype);
		h = curl_slist_append(h, hdr);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, data);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	h = curl_slist_append(h, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &rep);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 600L);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		if (rep.too_big)
			ctl_err("the answer of edgewardd is larger than %u MiB", CLI_MAX_REPLY >> 20);
		else
			ctl_err("request to edgewardd failed: %s (%s)", curl_easy_strerror(cc),
				cli.server ? cli.server : cli.socket);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (rep.len) {
		json_error_t je;

		*resp = json_loadb(rep.buf, rep.len, JSON_REJECT_DUPLICATES, &je);
		if (!*resp) {
			ctl_err("edgewardd answered %ld with a body that is not JSON: %s", *status,
				je.text);
			goto out;
		}
	}
	rc = 0;
out:
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(token);
	free(rep.buf);
	return rc;
}

int cli_call(const char *method, const char *path, json_t *body, long *status, json_t **resp)
{
	char *s = NULL;
	int r;

	if (body) {
		s = json_dumps(body, JSON_COMPACT);
		if (!s) {
			ctl_err("out of memory");
			return -1;
		}
	}
	r = cli_call_raw(method, path, "application/json", s, s ? strlen(s) : 0, status, resp);
	free(s);
	return r;
}

int cli_do(const char *method, const char *path, json_t *body, json_t **resp)
{
	long status;
	const char *msg;

	*resp = NULL;
	if (cli_call(method, path, body, &status, resp))
		return CTL_ERR;
	if (status >= 200 && status < 300)
		return CTL_OK;
	msg = json_string_value(json_object_get(*resp, "error"));
	if (status == 401 && cli.server)
		ctl_err("%s (HTTP 401; run 'edgewardctl --server %s login')",
			msg ? msg : "not authenticated", cli.server);
	else
		ctl_err("%s (HTTP %ld)", msg ? msg : "edgewardd refused the request", status);
	json_decref(*resp);
	*resp = NULL;
	return CTL_ERR;
}

/* ---- emergency mode ---- */

int cli_journal_direct(const char *action, const char *resource, json_t *details)
{
	char err[256] = "", id[37];
	struct jr *j = NULL;
	json_t *ev;
	char actor[32];
	int r;

	snprintf(actor, sizeof(actor), "%s", getuid() == 0 ? "root" : "");
	if (!actor[0])
		snprintf(actor, sizeof(actor), "uid:%u", getuid());
	ev = jr_event("emergency_direct", actor, "local", resource, action, "success", 30);
	if (!ev)
		return -ENOMEM;
	if (details)
		json_object_set(ev, "details", details);
	r = jr_open(cli.journal, &j, err, sizeof(err));
	if (!r)
		r = jr_append(j, ev, id);
	jr_close(j);
	json_decref(ev);
	if (r)
		ctl_warn("the change was made but could not be recorded in the journal %s: %s",
			 cli.journal, err[0] ? err : strerror(-r));
	return r;
}
