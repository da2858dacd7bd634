// SPDX-License-Identifier: GPL-2.0-only
/*
 * Host monitors: established connections (sock_diag, else /proc) and the
 * integrity of critical files (SHA-256 baselines, inotify); see monitor.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/evp.h>

#include "journal.h"
#include "log.h"
#include "monitor.h"
#include "ops.h"

/* ---- configuration ---- */

int monitor_conf_defaults(struct monitor_conf *c)
{
	static const char *const files[] = { "/etc/passwd", "/etc/shadow", "/etc/sudoers",
					      "/etc/ssh/sshd_config" };
	size_t i;

	memset(c, 0, sizeof(*c));
	c->conn_threshold = 100;
	c->conn_interval_s = 10;
	c->files_interval_s = 600;
	c->files = calloc(4, sizeof(*c->files));
	if (!c->files)
		return -ENOMEM;
	for (i = 0; i < 4; i++) {
		c->files[i] = strdup(files[i]);
		if (!c->files[i]) {
			monitor_conf_release(c);
			return -ENOMEM;
		}
		c->n_files = i + 1;
	}
	return 0;
}

void monitor_conf_release(struct monitor_conf *c)
{
	for (size_t i = 0; c->files && i < c->n_files; i++)
		free(c->files[i]);
	free(c->files);
	c->files = NULL;
	c->n_files = 0;
}

/* ---- connections by remote address ---- */

/*
 * A fixed table: a host with a million connections from spoofed-looking
 * peers costs no more. Remotes beyond it are only counted in the total.
 */
#define CONN_SLOTS 4096

struct cslot {
	uint8_t family;			/* 0: empty */
	uint8_t addr[16];
	uint64_t n;
};

struct ctab {
	size_t used;
	uint64_t total;
	struct cslot s[CONN_SLOTS];
};

static void ctab_add(struct ctab *t, int family, const uint8_t *addr)
{
	size_t len = family == 4 ? 4 : 16, i;
	uint32_t h = 2166136261u;

	t->total++;
	for (i = 0; i < len; i++)
		h = (h ^ addr[i]) * 16777619u;
	for (i = 0; i < CONN_SLOTS; i++) {
		struct cslot *s = &t->s[(h + i) & (CONN_SLOTS - 1)];

		if (!s->family) {
			if (t->used >= CONN_SLOTS * 3 / 4)
				return;
			s->family = (uint8_t)family;
			memcpy(s->addr, addr, len);
			t->used++;
		} else if (s->family != family || memcmp(s->addr, addr, len)) {
			continue;
		}
		s->n++;
		return;
	}
}

static void ctab_result(const struct ctab *t, struct monitor_conns *c)
{
	memset(c, 0, sizeof(*c));
	c->total = t->total;
	for (size_t i = 0; i < CONN_SLOTS; i++) {
		const struct cslot *s = &t->s[i];
		size_t j;

		if (!s->family)
			continue;
		/* Insertion into the short sorted top list. */
		for (j = c->n_top; j > 0 && c->top[j - 1].count < s->n; j--)
			if (j < MONITOR_TOP)
				c->top[j] = c->top[j - 1];
		if (j >= MONITOR_TOP)
			continue;
		inet_ntop(s->family == 4 ? AF_INET : AF_INET6, s->addr, c->top[j].addr,
			  sizeof(c->top[j].addr));
		c->top[j].count = s->n;
		if (c->n_top < MONITOR_TOP)
			c->n_top++;
	}
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

/* 8 hex digits of a 32-bit word as the kernel printed it (%08X of the word in memory). */
static bool hex_word(const char *s, uint8_t out[4])
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return false;
		v = v << 4 | (uint32_t)h;
	}
	memcpy(out, &v, 4);
	return true;
}

/* "   1: 0100007F:0016 0200000A:D431 01 ...": the remote address if the state is 01. */
static void proc_line(struct ctab *t, const char *line)
{
	const char *p = line, *rem, *st;
	uint8_t addr[16];
	size_t rl, words;

	for (int f = 0; f < 2; f++) {		/* "sl:" and the local address */
		p += strspn(p, " ");
		p += strcspn(p, " ");
	}
	p += strspn(p, " ");
	rem = p;
	rl = strcspn(p, ":");
	p += strcspn(p, " ");
	st = p + strspn(p, " ");
	if (strncmp(st, "01 ", 3) || (rl != 8 && rl != 32) || rem[rl] != ':')
		return;
	words = rl / 8;
	for (size_t w = 0; w < words; w++)
		if (!hex_word(rem + 8 * w, addr + 4 * w))
			return;
	ctab_add(t, words == 1 ? 4 : 6, addr);
}

static int proc_count(struct ctab *t, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strchr(line, '\n') && !feof(f)) {
			/* A line longer than any the kernel writes: skip the rest of it. */
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			continue;
		}
		proc_line(t, line);
	}
	fclose(f);
	return 0;
}

int monitor_proc_count(const char *const *paths, size_t n, struct monitor_conns *c)
{
	struct ctab *t = calloc(1, sizeof(*t));
	int r = 0;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; !r && i < n; i++)
		r = proc_count(t, paths[i]);
	if (!r)
		ctab_result(t, c);
	free(t);
	return r;
}

/* ---- sock_diag ---- */

static int nl_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

static int nl_request(int fd, int family, uint32_t seq)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = seq },
		/* The kernel filters by state: only established sockets come back. */
		.r = { .sdiag_family = (uint8_t)family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = 1u << TCP_ESTABLISHED },
	};
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/* Messages of one recv: 1 when the dump is done, 0 when more follow, -errno. */
static int nl_consume(struct ctab *t, const void *buf, ssize_t len, uint32_t seq)
{
	const struct nlmsghdr *h = buf;

	for (; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
		if (h->nlmsg_seq != seq)
			continue;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = NLMSG_DATA(h);

			return e->error ? e->error : -EPROTO;
		}
		if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
		    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
			const struct inet_diag_msg *m = NLMSG_DATA(h);

			if (m->idiag_state == TCP_ESTABLISHED)
				ctab_add(t, m->idiag_family == AF_INET ? 4 : 6,
					 (const uint8_t *)m->id.idiag_dst);
		}
	}
	return 0;
}

int monitor_conn_count(struct monitor_conns *c)
{
	static const char *const procs[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	static const int fams[] = { AF_INET, AF_INET6 };
	char buf[32768] __attribute__((aligned(4)));
	struct ctab *t;
	int fd, r = 0;

	fd = nl_open();
	if (fd < 0)
		return monitor_proc_count(procs, 2, c);
	t = calloc(1, sizeof(*t));
	if (!t) {
		close(fd);
		return -ENOMEM;
	}
	for (int i = 0; !r && i < 2; i++) {
		r = nl_request(fd, fams[i], (uint32_t)i + 1);
		while (!r) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);

			if (n < 0 && errno == EAGAIN) {
				struct timeval tv = { .tv_sec = 1 };
				fd_set rs;

				FD_ZERO(&rs);
				FD_SET(fd, &rs);
				if (select(fd + 1, &rs, NULL, NULL, &tv) <= 0) {
					r = -ETIMEDOUT;
					break;
				}
				continue;
			}
			if (n <= 0) {
				r = n < 0 ? -errno : -EPROTO;
				break;
			}
			r = nl_consume(t, buf, n, (uint32_t)i + 1);
			if (r == 1) {
				r = 0;
				break;
			}
		}
	}
	close(fd);
	if (!r)
		ctab_result(t, c);
	free(t);
	/* An IPv6-less kernel answers the second dump with an error: /proc then. */
	return r ? monitor_proc_count(procs, 2, c) : 0;
}

/* ---- the monitor ---- */

struct fstate {
	bool exists;
	bool hashed;			/* sha holds the content's hash */
	unsigned char sha[32];
	mode_t mode;
	uid_t uid;
	gid_t gid;
	off_t size;
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	int err;			/* why it could not be hashed */
};

struct fwatch {
	char *path, *dir;
	const char *base;
	int wd, dwd;
	bool dirty;
	struct fstate st;
};

struct monitor {
	struct event_base *base;
	struct monitor_ops ops;
	void *arg;
	uint32_t threshold;
	/* connections */
	struct event *conn_timer;
	int nl;				/* sock_diag socket, -1: none */
	struct event *nl_ev;
	bool nl_busy, nl_failed;
	int nl_family;
	uint32_t nl_seq;
	struct ctab *tab;
	/* files */
	struct fwatch *fw;
	size_t n_fw;
	int ifd;
	struct event *iev, *settle, *files_timer;
	struct monitor_stats st;
};

static void audit(struct monitor *m, json_t *rec)
{
	int r;

	if (!rec)
		return;
	r = m->ops.audit ? m->ops.audit(m->arg, rec) : 0;
	if (r)
		log_warnx("monitor: an audit record was not written: %s", strerror(-r));
	json_decref(rec);
}

static json_t *record(const char *type, const char *resource, const char *action,
		      const char *result, json_t *details)
{
	json_t *rec = jr_event(type, "edgewardd", "local", resource, action, result, 0);

	if (!rec) {
		json_decref(details);
		return NULL;
	}
	json_object_del(rec, "risk");
	json_object_set_new(rec, "details", details ? details : json_object());
	return rec;
}

static void conn_judge(struct monitor *m, const struct monitor_conns *c)
{
	bool over = c->total > m->threshold;
	char text[512];
	json_t *top, *d;
	size_t i;
	int n;

	m->st.conn_checks++;
	m->st.conn_last = c->total;
	if (over == m->st.conn_over)
		return;
	m->st.conn_over = over;
	top = json_array();
	for (i = 0; i < c->n_top; i++)
		json_array_append_new(top, json_pack("{s:s, s:I}", "source", c->top[i].addr,
						     "connections", (json_int_t)c->top[i].count));
	d = json_pack("{s:I, s:I, s:o}", "established", (json_int_t)c->total, "threshold",
		      (json_int_t)m->threshold, "top_sources", top);
	if (over) {
		m->st.conn_alerts++;
		n = snprintf(text, sizeof(text),
			     "High number of established connections: %llu (threshold %u)",
			     (unsigned long long)c->total, m->threshold);
		for (i = 0; i < c->n_top && n < (int)sizeof(text); i++)
			n += snprintf(text + n, sizeof(text) - (size_t)n, "%s%s x%llu",
				      i ? ", " : "; most from ", c->top[i].addr,
				      (unsigned long long)c->top[i].count);
	} else {
		snprintf(text, sizeof(text),
			 "Established connections back to %llu (threshold %u)",
			 (unsigned long long)c->total, m->threshold);
	}
	log_info("monitor: %s", text);
	if (m->ops.alert)
		m->ops.alert(m->arg, over ? ALERT_HIGH : ALERT_INFO, "security_team", text, d);
	audit(m, record("connection_count", "tcp", "monitor", over ? "above" : "normal",
			json_incref(d)));
	json_decref(d);
}

static void nl_close(struct monitor *m)
{
	if (m->nl_ev)
		event_free(m->nl_ev);
	m->nl_ev = NULL;
	if (m->nl >= 0)
		close(m->nl);
	m->nl = -1;
	m->nl_busy = false;
}

static void conn_proc(struct monitor *m)
{
	static const char *const procs[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	struct monitor_conns c;
	int r = monitor_proc_count(procs, 2, &c);

	if (r) {
		/* /proc/net/tcp6 is missing on a kernel without IPv6: count IPv4 alone. */
		r = monitor_proc_count(procs, 1, &c);
		if (r) {
			log_warnx("monitor: cannot count connections: %s", strerror(-r));
			return;
		}
	}
	conn_judge(m, &c);
}

static void nl_fail(struct monitor *m, int err)
{
	log_warnx("monitor: sock_diag: %s; counting connections from /proc from now on",
		  strerror(-err));
	nl_close(m);
	m->nl_failed = true;
	m->st.netlink = false;
	conn_proc(m);
}

static void on_nl(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;
	char buf[32768] __attribute__((aligned(4)));
	struct monitor_conns c;
	ssize_t n;
	int r;

	(void)what;
	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			nl_fail(m, n < 0 ? -errno : -EPROTO);
			return;
		}
		r = nl_consume(m->tab, buf, n, m->nl_seq);
		if (r < 0) {
			nl_fail(m, r);
			return;
		}
		if (r == 0)
			continue;
		if (m->nl_family == AF_INET) {
			m->nl_family = AF_INET6;
			r = nl_request(m->nl, AF_INET6, ++m->nl_seq);
			if (r) {
				nl_fail(m, r);
				return;
			}
			continue;
		}
		m->nl_busy = false;
		ctab_result(m->tab, &c);
		conn_judge(m, &c);
		return;
	}
}

static void on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;
	int r;

	(void)fd;
	(void)what;
	if (m->nl_failed) {
		conn_proc(m);
		return;
	}
	if (m->nl_busy) {
		/* The previous dump never ended: start over on a fresh socket. */
		log_warnx("monitor: sock_diag dump did not finish within an interval");
		nl_close(m);
	}
	if (m->nl < 0) {
		m->nl = nl_open();
		if (m->nl < 0) {
			nl_fail(m, m->nl);
			return;
		}
		m->nl_ev = event_new(m->base, m->nl, EV_READ | EV_PERSIST, on_nl, m);
		if (!m->nl_ev || event_add(m->nl_ev, NULL)) {
			nl_fail(m, -ENOMEM);
			return;
		}
	}
	memset(m->tab, 0, sizeof(*m->tab));
	m->nl_family = AF_INET;
	r = nl_request(m->nl, AF_INET, ++m->nl_seq);
	if (r) {
		nl_fail(m, r);
		return;
	}
	m->nl_busy = true;
	m->st.netlink = true;
}

/* ---- files ---- */

static void fstate_read(const char *path, struct fstate *s)
{
	unsigned char buf[65536];
	EVP_MD_CTX *ctx = NULL;
	struct stat st;
	unsigned int len;
	ssize_t n;
	int fd;

	memset(s, 0, sizeof(*s));
	if (stat(path, &st)) {
		s->err = errno;
		return;
	}
	s->exists = true;
	s->mode = st.st_mode;
	s->uid = st.st_uid;
	s->gid = st.st_gid;
	s->size = st.st_size;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->mtime = st.st_mtim;
	if (!S_ISREG(st.st_mode) || st.st_size > MONITOR_FILE_MAX) {
		s->err = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		s->err = errno;
		return;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		s->err = ENOMEM;
		goto out;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (!EVP_DigestUpdate(ctx, buf, (size_t)n))
			break;
	if (n == 0 && EVP_DigestFinal_ex(ctx, s->sha, &len))
		s->hashed = true;
	else
		s->err = n < 0 ? errno : EIO;
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
}

static json_t *fstate_json(const struct fstate *s)
{
	char hex[65], mode[8];
	json_t *o;

	if (!s->exists)
		return json_pack("{s:b}", "exists", 0);
	snprintf(mode, sizeof(mode), "%04o", (unsigned int)(s->mode & 07777));
	o = json_pack("{s:b, s:s, s:i, s:i, s:I}", "exists", 1, "mode", mode, "uid", (int)s->uid,
		      "gid", (int)s->gid, "size", (json_int_t)s->size);
	if (o && s->hashed) {
		for (int i = 0; i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", s->sha[i]);
		json_object_set_new(o, "sha256", json_string(hex));
	}
	return o;
}

/* What changed between a and b, in words; NULL when nothing did. */
static const char *fstate_change(const struct fstate *a, const struct fstate *b)
{
	if (a->exists != b->exists)
		return b->exists ? "created" : "removed";
	if (!a->exists)
		return NULL;
	if (a->hashed && b->hashed) {
		if (memcmp(a->sha, b->sha, 32))
			return "modified";
	} else if (a->size != b->size || a->mtime.tv_sec != b->mtime.tv_sec ||
		   a->mtime.tv_nsec != b->mtime.tv_nsec || a->ino != b->ino) {
		/* Unreadable on one side: judged by what stat says. */
		return "modified";
	}
	if ((a->mode & 07777) != (b->mode & 07777) || a->uid != b->uid || a->gid != b->gid ||
	    (a->mode & S_IFMT) != (b->mode & S_IFMT))
		return "permissions changed";
	return NULL;
}

static void fw_rewatch(struct monitor *m, struct fwatch *f)
{
	if (m->ifd < 0)
		return;
	if (f->dwd < 0)
		f->dwd = inotify_add_watch(m->ifd, f->dir, IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
								   IN_DELETE | IN_ATTRIB |
								   IN_CLOSE_WRITE | IN_ONLYDIR);
	if (f->wd >= 0) {
		inotify_rm_watch(m->ifd, f->wd);
		f->wd = -1;
	}
	if (f->st.exists)
		f->wd = inotify_add_watch(m->ifd, f->path, IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE |
								   IN_MOVE_SELF | IN_DELETE_SELF);
}

static void fw_check(struct monitor *m, struct fwatch *f)
{
	struct fstate now;
	const char *what;
	char text[PATH_MAX + 64];
	json_t *d;

	f->dirty = false;
	m->st.file_checks++;
	fstate_read(f->path, &now);
	what = fstate_change(&f->st, &now);
	if (!what) {
		f->st.err = now.err;
		if (f->dwd < 0 || (f->wd < 0 && now.exists))
			fw_rewatch(m, f);
		return;
	}
	m->st.file_alerts++;
	snprintf(text, sizeof(text), "Critical file %s: %s", what, f->path);
	d = json_pack("{s:s, s:s, s:o, s:o}", "path", f->path, "change", what, "before",
		      fstate_json(&f->st), "after", fstate_json(&now));
	log_warnx("monitor: %s", text);
	if (m->ops.alert)
		m->ops.alert(m->arg, ALERT_HIGH, "security_team", text, d);
	audit(m, record("file_integrity", f->path, "monitor", what, json_incref(d)));
	json_decref(d);
	/* A replaced file is a new inode: watch that one. */
	if (now.ino != f->st.ino || now.dev != f->st.dev || now.exists != f->st.exists ||
	    f->dwd < 0) {
		f->st = now;
		fw_rewatch(m, f);
	} else {
		f->st = now;
	}
}

void monitor_files_check(struct monitor *m)
{
	for (size_t i = 0; i < m->n_fw; i++)
		fw_check(m, &m->fw[i]);
}

static void on_settle(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < m->n_fw; i++)
		if (m->fw[i].dirty)
			fw_check(m, &m->fw[i]);
}

static void on_files_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	monitor_files_check(arg);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct monitor *m = arg;
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct timeval tv = { .tv_usec = MONITOR_SETTLE_MS * 1000 };
	bool any = false;
	ssize_t n;

	(void)what;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			struct inotify_event *e = (struct inotify_event *)p;

			for (size_t i = 0; i < m->n_fw; i++) {
				struct fwatch *f = &m->fw[i];

				if (e->wd == -1 || e->wd == f->wd ||
				    (e->wd == f->dwd && e->len && !strcmp(e->name, f->base))) {
					f->dirty = true;
					any = true;
				}
				if (e->mask & IN_IGNORED) {
					if (e->wd == f->wd)
						f->wd = -1;
					if (e->wd == f->dwd)
						f->dwd = -1;
				}
			}
			p += sizeof(*e) + e->len;
		}
	}
	/* Editors write in steps: judge the file once it has been quiet a moment. */
	if (any)
		evtimer_add(m->settle, &tv);
}

struct monitor *monitor_new(struct event_base *base, const struct monitor_conf *conf,
			    const struct monitor_ops *ops, void *arg)
{
	struct monitor *m = calloc(1, sizeof(*m));
	struct timeval tv;
	size_t i;

	if (!m)
		return NULL;
	m->base = base;
	if (ops)
		m->ops = *ops;
	m->arg = arg;
	m->threshold = conf->conn_threshold;
	m->nl = -1;
	m->ifd = -1;
	if (conf->conn_threshold) {
		m->tab = calloc(1, sizeof(*m->tab));
		m->conn_timer = event_new(base, -1, EV_PERSIST, on_conn_timer, m);
		tv = (struct timeval){ .tv_sec = conf->conn_interval_s ? conf->conn_interval_s :
									  10 };
		if (!m->tab || !m->conn_timer || event_add(m->conn_timer, &tv))
			goto fail;
	}
	if (conf->n_files) {
		m->fw = calloc(conf->n_files, sizeof(*m->fw));
		if (!m->fw)
			goto fail;
		m->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (m->ifd < 0)
			log_warn("monitor: inotify_init1: files are checked every %us only",
				 conf->files_interval_s);
		m->settle = evtimer_new(base, on_settle, m);
		m->files_timer = event_new(base, -1, EV_PERSIST, on_files_timer, m);
		tv = (struct timeval){ .tv_sec = conf->files_interval_s ? conf->files_interval_s :
									   600 };
		if (!m->settle || !m->files_timer || event_add(m->files_timer, &tv))
			goto fail;
		if (m->ifd >= 0) {
			m->iev = event_new(base, m->ifd, EV_READ | EV_PERSIST, on_inotify, m);
			if (!m->iev || event_add(m->iev, NULL))
				goto fail;
		}
	}
	for (i = 0; i < conf->n_files; i++) {
		struct fwatch *f = &m->fw[i];
		char *copy;

		f->wd = f->dwd = -1;
		m->n_fw = i + 1;
		f->path = strdup(conf->files[i]);
		copy = strdup(conf->files[i]);
		if (!f->path || !copy) {
			free(copy);
			goto fail;
		}
		f->dir = strdup(dirname(copy));
		free(copy);
		if (!f->dir)
			goto fail;
		f->base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
		fstate_read(f->path, &f->st);
		if (!f->st.exists)
			log_warnx("monitor: %s: %s; its appearance will be reported", f->path,
				  strerror(f->st.err));
		else if (!S_ISREG(f->st.mode))
			log_warnx("monitor: %s is not a regular file; watching its metadata only",
				  f->path);
		else if (!f->st.hashed)
			log_warnx("monitor: %s: cannot hash it (%s); watching its metadata only",
				  f->path, strerror(f->st.err));
		fw_rewatch(m, f);
	}
	return m;
fail:
	log_warnx("monitor: cannot start (out of memory or event loop failure)");
	monitor_free(m);
	return NULL;
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	nl_close(m);
	if (m->conn_timer)
		event_free(m->conn_timer);
	free(m->tab);
	for (size_t i = 0; i < m->n_fw; i++) {
		free(m->fw[i].path);
		free(m->fw[i].dir);
	}
	free(m->fw);
	if (m->iev)
		event_free(m->iev);
	if (m->settle)
		event_free(m->settle);
	if (m->files_timer)
		event_free(m->files_timer);
	if (m->ifd >= 0)
		close(m->ifd);
	free(m);
}

void monitor_stats(const struct monitor *m, struct monitor_stats *out)
{
	*out = m->st;
}
