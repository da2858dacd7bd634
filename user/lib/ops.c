// SPDX-License-Identifier: GPL-2.0-only
/*
 * The operation table and what every operation shares: routes, request
 * checking and conversion from query strings, HTTP statuses, audit
 * details, opening the maps with the operator's messages, and the checks and
 * text forms edgewardctl uses for its own arguments too. See ops.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "ops_int.h"

/* ---- the table ---- */

const struct ops_field ops_f_none[] = { { NULL } };

#define OP(n, m, p, res, act, w, maps, f, s, fl) \
	{ .name = n, .method = m, .path = p, .resource = res, .action = act, .write = w, \
	  .needs_maps = maps, .fn = f, .stream = s, .fields = fl }

const struct ops_entry ops_table[] = {
	OP("status", "GET", "/v1/status", "filter", "read", false, false, ops_status, NULL,
	   ops_f_none),
	OP("attach", "POST", "/v1/filter/attach", "filter", "execute", true, false, ops_attach,
	   NULL, ops_f_attach),
	OP("detach", "POST", "/v1/filter/detach", "filter", "execute", true, false, ops_detach,
	   NULL, ops_f_detach),
	OP("reload", "POST", "/v1/filter/reload", "filter", "execute", true, false, ops_reload,
	   NULL, ops_f_none),
	OP("block.add", "POST", "/v1/blocks", "blocklist", "create", true, true, ops_block_add,
	   NULL, ops_f_block_add),
	OP("block.del", "POST", "/v1/blocks/delete", "blocklist", "delete", true, true,
	   ops_block_del, NULL, ops_f_cidrs_force),
	OP("block.list", "GET", "/v1/blocks", "blocklist", "read", false, true, ops_block_list,
	   ops_block_list_stream, ops_f_block_filter),
	OP("block.import", "POST", "/v1/blocks/import", "blocklist", "create", true, true,
	   ops_block_import, NULL, ops_f_block_import),
	OP("block.flush", "POST", "/v1/blocks/flush", "blocklist", "delete", true, true,
	   ops_block_flush, NULL, ops_f_block_filter),
	OP("allow.add", "POST", "/v1/allow", "allowlist", "create", true, true, ops_allow_add,
	   NULL, ops_f_cidrs_force),
	OP("allow.del", "POST", "/v1/allow/delete", "allowlist", "delete", true, true,
	   ops_allow_del, NULL, ops_f_cidrs_force),
	OP("allow.list", "GET", "/v1/allow", "allowlist", "read", false, true, ops_allow_list,
	   NULL, ops_f_none),
	OP("acl.add", "POST", "/v1/acl", "acl", "update", true, true, ops_acl_add, NULL,
	   ops_f_acl_add),
	OP("acl.del", "POST", "/v1/acl/delete", "acl", "update", true, true, ops_acl_del, NULL,
	   ops_f_acl_del),
	OP("acl.list", "GET", "/v1/acl", "acl", "read", false, true, ops_acl_list, NULL,
	   ops_f_none),
	OP("ratelimit.set", "POST", "/v1/ratelimit", "ratelimit", "update", true, true, ops_rl_set,
	   NULL, ops_f_rl_set),
	OP("ratelimit.del", "POST", "/v1/ratelimit/delete", "ratelimit", "update", true, true,
	   ops_rl_del, NULL, ops_f_rl_del),
	OP("ratelimit.list", "GET", "/v1/ratelimit", "ratelimit", "read", false, true,
	   ops_rl_list, NULL, ops_f_none),
	OP("policy.show", "GET", "/v1/policy", "policy", "read", false, true, ops_policy_show,
	   NULL, ops_f_none),
	OP("policy.set", "POST", "/v1/policy", "policy", "update", true, true, ops_policy_set,
	   NULL, ops_f_policy_set),
	OP("apply", "POST", "/v1/policy/apply", "policy", "update", true, false, ops_apply, NULL,
	   ops_f_apply),
	OP("stats", "GET", "/v1/stats", "stats", "read", false, true, ops_stats, NULL, ops_f_none),
	{ NULL }
};

const struct ops_entry *ops_find(const char *name)
{
	const struct ops_entry *e;

	for (e = ops_table; name && e->name; e++)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}

const struct ops_entry *ops_route(const char *method, const char *path, bool *path_known)
{
	const struct ops_entry *e;
	size_t len;

	if (path_known)
		*path_known = false;
	if (!method || !path)
		return NULL;
	len = strcspn(path, "?");
	for (e = ops_table; e->name; e++) {
		if (strlen(e->path) != len || strncmp(e->path, path, len))
			continue;
		if (path_known)
			*path_known = true;
		if (!strcmp(e->method, method))
			return e;
	}
	return NULL;
}

/* ---- errors and request checks ---- */

int ops_fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* A key from a request, fit for a message: printable ASCII, at most 48 bytes. */
static const char *safe_key(const char *s, char *buf, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < len && i < 48; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c >= 0x20 && c < 0x7f && c != '\'' && c != '\\' ? (char)c : '?';
	}
	if (s[i] && i + 4 <= len) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static const char *const type_words[] = {
	[OPS_T_STR] = "a string (without NUL bytes)",
	[OPS_T_BOOL] = "true or false",
	[OPS_T_UINT] = "a non-negative integer",
	[OPS_T_STRS] = "an array of strings (without NUL bytes)",
	[OPS_T_ARRAY] = "an array",
	[OPS_T_OBJECT] = "an object",
};

/* A JSON string that is also a C string: "1.2.3.4\u0000junk" must not pass as 1.2.3.4. */
static bool c_string(json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static bool type_ok(enum ops_type t, json_t *v)
{
	size_t i;
	json_t *x;

	switch (t) {
	case OPS_T_STR:
		return c_string(v);
	case OPS_T_BOOL:
		return json_is_boolean(v);
	case OPS_T_UINT:
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case OPS_T_STRS:
		if (!json_is_array(v))
			return false;
		json_array_foreach(v, i, x)
			if (!c_string(x))
				return false;
		return true;
	case OPS_T_ARRAY:
		return json_is_array(v);
	case OPS_T_OBJECT:
		return json_is_object(v);
	}
	return false;
}

int ops_req_check(json_t *req, const struct ops_field *fields, const char *prefix, char *err,
		  size_t errlen)
{
	const struct ops_field *f;
	const char *key;
	char kb[64];
	json_t *v;

	if (req && !json_is_object(req)) {
		if (prefix[0])
			return ops_fail(-EINVAL, err, errlen, "field '%.*s' must be an object",
					(int)strlen(prefix) - 1, prefix);
		return ops_fail(-EINVAL, err, errlen, "the request must be a JSON object");
	}
	json_object_foreach(req, key, v) {
		for (f = fields; f->name && strcmp(f->name, key); f++)
			;
		if (!f->name)
			return ops_fail(-EINVAL, err, errlen, "unknown field '%s%s'", prefix,
					safe_key(key, kb, sizeof(kb)));
		if (!type_ok(f->type, v))
			return ops_fail(-EINVAL, err, errlen, "field '%s%s' must be %s", prefix,
					f->name, type_words[f->type]);
	}
	for (f = fields; f->name; f++)
		if (f->required && !json_object_get(req, f->name))
			return ops_fail(-EINVAL, err, errlen, "missing field '%s%s'", prefix,
					f->name);
	return 0;
}

const char *ops_str(json_t *req, const char *key)
{
	return json_string_value(json_object_get(req, key));
}

bool ops_bool(json_t *req, const char *key)
{
	return json_is_true(json_object_get(req, key));
}

bool ops_has(json_t *req, const char *key)
{
	return json_object_get(req, key) != NULL;
}

int ops_uint(json_t *req, const char *key, const char *what, uint64_t min, uint64_t max,
	     uint64_t *v, char *err, size_t errlen)
{
	json_t *j = json_object_get(req, key);
	char num[32], e[EW_ERRLEN];

	if (!j)
		return 0;
	/* Through the same parser as the command line, for the same message. */
	snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(j));
	if (ew_u64_parse(num, min, max, v, e, sizeof(e)))
		return ops_fail(-EINVAL, err, errlen, "%s: %s", what, e);
	return 0;
}

/* ---- operator messages ---- */

void ops_msg(json_t *msgs, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	json_array_append_new(msgs, ops_jstr(line));
}

void ops_msgs_attach(json_t *out, json_t *msgs)
{
	if (out && json_array_size(msgs))
		json_object_set(out, "messages", msgs);
}

/* ---- CIDRs ---- */

int ops_cidr(const char *s, bool force, struct ew_cidr *out, char *warn, size_t warnlen, char *err,
	     size_t errlen)
{
	char canon[EW_CIDR_STRLEN];
	int r;

	if (warn && warnlen)
		warn[0] = '\0';
	r = ew_cidr_parse(s, EW_CIDR_CANON, out, err, errlen);
	if (r < 0)
		return r;
	/* The canonical text only for messages: imports check a million of these. */
	if (r == 1 || (ew_cidr_is_everything(out) && !force))
		ew_cidr_format(out, canon, sizeof(canon));
	if (r == 1 && warn && warnlen)
		snprintf(warn, warnlen, "%s has host bits set; using %s", s, canon);
	if (ew_cidr_is_everything(out) && !force)
		return ops_fail(-EINVAL, err, errlen,
				"%s covers every %s address; add --force if that is what you mean",
				canon, out->family == 4 ? "IPv4" : "IPv6");
	return 0;
}

bool ops_same_cidr(const struct ew_cidr *a, const struct ew_cidr *b)
{
	return a->family == b->family && a->plen == b->plen && !memcmp(a->addr, b->addr, 16);
}

int ops_cidr_cmp(const void *a, const void *b)
{
	const struct ew_cidr *x = a, *y = b;
	int r;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	r = memcmp(x->addr, y->addr, 16);
	if (r)
		return r;
	return (int)x->plen - (int)y->plen;
}

struct cidr_at {
	struct ew_cidr c;
	size_t at;
};

static int cidr_at_cmp(const void *a, const void *b)
{
	const struct cidr_at *x = a, *y = b;
	int r = ops_cidr_cmp(&x->c, &y->c);

	if (r)
		return r;
	return x->at < y->at ? -1 : x->at > y->at;
}

static int at_cmp(const void *a, const void *b)
{
	const struct cidr_at *x = a, *y = b;

	return x->at < y->at ? -1 : x->at > y->at;
}

int ops_cidr_list(json_t *arr, bool force, bool sort, json_t *msgs, struct ew_cidr **out,
		  size_t *n, char *err, size_t errlen)
{
	size_t total = json_array_size(arr), i, k = 0;
	char warn[EW_ERRLEN + EW_CIDR_STRLEN];
	struct cidr_at *v;
	struct ew_cidr *res;
	int r;

	*out = NULL;
	*n = 0;
	v = calloc(total ? total : 1, sizeof(*v));
	if (!v)
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	for (i = 0; i < total; i++) {
		r = ops_cidr(json_string_value(json_array_get(arr, i)), force, &v[i].c, warn,
			     sizeof(warn), err, errlen);
		if (r) {
			free(v);
			return r;
		}
		if (warn[0])
			ops_msg(msgs, "warning: %s", warn);
		v[i].at = i;
	}
	/* Duplicates out in O(n log n): a request may carry many. The first one stays. */
	qsort(v, total, sizeof(*v), cidr_at_cmp);
	for (i = 0; i < total; i++)
		if (!k || !ops_same_cidr(&v[k - 1].c, &v[i].c))
			v[k++] = v[i];
	if (!sort)
		qsort(v, k, sizeof(*v), at_cmp);
	res = calloc(k ? k : 1, sizeof(*res));
	if (!res) {
		free(v);
		return ops_fail(-ENOMEM, err, errlen, "out of memory");
	}
	for (i = 0; i < k; i++)
		res[i] = v[i].c;
	free(v);
	*out = res;
	*n = k;
	return 0;
}

/* ---- other checks ---- */

bool ops_printable(const char *s)
{
	json_t *j;
	size_t i;

	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	j = json_string(s);	/* jansson checks UTF-8 */
	json_decref(j);
	return j != NULL;
}

int ops_check_reason(const char *what, const char *s, char *err, size_t errlen)
{
	char q[EW_QUOTE_LEN];
	size_t i;

	if (strlen(s) >= EW_REASON_TEXT_LEN)
		return ops_fail(-EINVAL, err, errlen, "%s %s: too long (at most %d bytes)", what,
				ew_quote(s, q, sizeof(q)), EW_REASON_TEXT_LEN - 1);
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return ops_fail(-EINVAL, err, errlen,
					"%s %s: control characters are not allowed", what,
					ew_quote(s, q, sizeof(q)));
	if (!ops_printable(s))	/* no control characters: only UTF-8 can be wrong */
		return ops_fail(-EINVAL, err, errlen, "%s %s: not valid UTF-8", what,
				ew_quote(s, q, sizeof(q)));
	return 0;
}

int ops_check_class_name(const char *s, char *err, size_t errlen)
{
	char q[EW_QUOTE_LEN];
	size_t i;

	if (!*s)
		return ops_fail(-EINVAL, err, errlen, "empty class name");
	if (strlen(s) >= EW_NAME_LEN)
		return ops_fail(-EINVAL, err, errlen,
				"class name %s: too long (at most %d characters)",
				ew_quote(s, q, sizeof(q)), EW_NAME_LEN - 1);
	for (i = 0; s[i]; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || (i && (ch == '-' || ch == '_' || ch == '.'))))
			return ops_fail(-EINVAL, err, errlen,
					"class name %s: use letters, digits, '-', '_' and '.' "
					"(starting with a letter or digit)",
					ew_quote(s, q, sizeof(q)));
	}
	return 0;
}

/* ---- text and JSON forms ---- */

json_t *ops_jstr(const char *s)
{
	json_t *j = json_string(s ? s : "");
	char *buf, *o;
	size_t i;

	if (j)
		return j;
	/* Not UTF-8: keep printable ASCII, write every other byte as \xNN. */
	buf = malloc(strlen(s) * 4 + 1);
	if (!buf)
		return json_null();
	for (o = buf, i = 0; s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch >= 0x20 && ch < 0x7f)
			*o++ = (char)ch;
		else
			o += sprintf(o, "\\x%02x", ch);
	}
	*o = '\0';
	j = json_string(buf);
	free(buf);
	return j ? j : json_null();
}

json_t *ops_jcidr(const struct ew_cidr *c)
{
	char buf[EW_CIDR_STRLEN];

	if (ew_cidr_format(c, buf, sizeof(buf)) < 0)
		return json_null();
	return json_string(buf);
}

void ops_iso_time(time_t t, int ms, char *buf, size_t len)
{
	char tz[8];
	struct tm tm;
	size_t n;

	if (!localtime_r(&t, &tm) || !(n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm))) {
		snprintf(buf, len, "@%lld", (long long)t);
		return;
	}
	if (ms >= 0)
		n += (size_t)snprintf(buf + n, len - n, ".%03d", ms);
	/* %z gives +0100; ISO 8601's extended format wants +01:00. */
	if (n < len && strftime(tz, sizeof(tz), "%z", &tm) == 5)
		snprintf(buf + n, len - n, "%.3s:%.2s", tz, tz + 3);
}

void ops_rel_duration(uint64_t ns, char *buf, size_t len)
{
	uint64_t s = ns / 1000000000ULL;

	/* Two units at most, rounded down: "in 59m" reads better than "in 59m58s". */
	if (s < 60)
		snprintf(buf, len, "%llus", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, "%llum", (unsigned long long)(s / 60));
	else if (s < 86400 && s % 3600 / 60)
		snprintf(buf, len, "%lluh%llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s % 3600 / 60));
	else if (s < 86400)
		snprintf(buf, len, "%lluh", (unsigned long long)(s / 3600));
	else if (s % 86400 / 3600)
		snprintf(buf, len, "%llud%lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s % 86400 / 3600));
	else
		snprintf(buf, len, "%llud", (unsigned long long)(s / 86400));
}

/* ---- maps ---- */

void ops_maps_init(struct ew_maps *m, const char *pin_dir)
{
	memset(m, 0, sizeof(*m));
	m->stats = m->events = m->ev_cap = m->info = -1;
	m->bl4 = m->bl4_m16 = m->bl4_m24 = m->bl6 = m->bl6_m32 = m->bl6_short = m->reasons = -1;
	m->policy = m->lpm4 = m->lpm6 = m->rl_state = -1;
	m->lock = -1;
	m->pin_dir = pin_dir ? pin_dir : EW_PIN_DIR;
}

bool ops_maps_ready(const struct ew_maps *m)
{
	/* ew_maps_open sets all or none (a failed open closes what it had). */
	return m && m->info >= 0 && m->policy >= 0;
}

int ops_maps_open(struct ew_maps *m, const char *pin_dir, bool write, char *err, size_t errlen)
{
	char e[EW_ERRLEN] = "";
	struct stat st;
	int r;

	if (!pin_dir)
		pin_dir = EW_PIN_DIR;
	ops_maps_init(m, pin_dir);
	if (stat(pin_dir, &st) || !S_ISDIR(st.st_mode))
		return ops_fail(-ENOENT, err, errlen,
				"edgeward is not loaded (no pinned maps in %s); run 'edgewardctl "
				"attach IFACE' first",
				pin_dir);
	r = ew_maps_open(m, pin_dir, write, e, sizeof(e));
	if (!r)
		return 0;
	if (r == -ENOENT)
		return ops_fail(r, err, errlen,
				"cannot open the pinned maps in %s: %s (is edgeward loaded? try "
				"'edgewardctl attach IFACE')",
				pin_dir, e[0] ? e : strerror(-r));
	if (r == -EWOULDBLOCK || r == -EAGAIN)
		return ops_fail(r, err, errlen, "%s is locked by another writer: %s", pin_dir,
				e[0] ? e : strerror(-r));
	return ops_fail(r, err, errlen, "cannot open the pinned maps in %s: %s", pin_dir,
			e[0] ? e : strerror(-r));
}

void (*ops_progress_cb)(size_t done, size_t total, void *ctx);
void *ops_progress_ctx;

void ops_set_progress(void (*cb)(size_t done, size_t total, void *ctx), void *ctx)
{
	ops_progress_cb = cb;
	ops_progress_ctx = ctx;
}

/* ---- HTTP ---- */

int ops_http_status(int rc)
{
	switch (rc) {
	case 0:
		return 200;
	case -EINVAL:
	case -EFBIG:
	case -EMSGSIZE:
	case -ERANGE:
	case -EDOM:
	case -EILSEQ:
		return 400;
	case -EPERM:
	case -EACCES:
		return 403;
	case -ENOENT:
	case -ENODEV:
		return 404;
	case -EEXIST:
	case -EBUSY:
		return 409;
	case -EAGAIN:
		return 503;
	case -ENOSPC:
	case -E2BIG:
		return 507;
	default:
		return 500;
	}
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

/* Percent-decode s[0..n) ('+' is a space) into a new string; NULL if malformed or NUL. */
static char *pct_decode(const char *s, size_t n)
{
	char *o = malloc(n + 1), *p = o;
	size_t i;

	if (!o)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			*p++ = ' ';
		} else if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			/* %00 would cut the string short: refused. */
			if (hi < 0 || lo < 0 || (!hi && !lo))
				goto bad;
			*p++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*p++ = s[i];
		}
	}
	*p = '\0';
	return o;
bad:
	free(o);
	return NULL;
}

static int query_value(const struct ops_field *f, const char *key, const char *val, json_t *req,
		       char *err, size_t errlen)
{
	json_t *cur = json_object_get(req, key), *v = NULL;
	char e[EW_ERRLEN];
	uint64_t u;

	switch (f->type) {
	case OPS_T_STR:
		v = json_string(val);
		break;
	case OPS_T_BOOL:
		if (!*val || !strcmp(val, "true") || !strcmp(val, "1"))
			v = json_true();
		else if (!strcmp(val, "false") || !strcmp(val, "0"))
			v = json_false();
		else
			return ops_fail(-EINVAL, err, errlen, "field '%s' must be true or false",
					f->name);
		break;
	case OPS_T_UINT:
		if (ew_u64_parse(val, 0, INT64_MAX, &u, e, sizeof(e)))
			return ops_fail(-EINVAL, err, errlen, "field '%s': %s", f->name, e);
		v = json_integer((json_int_t)u);
		break;
	case OPS_T_STRS:
		if (!cur) {
			cur = json_array();
			if (!cur || json_object_set_new(req, key, cur))
				return ops_fail(-ENOMEM, err, errlen, "out of memory");
		}
		if (json_array_append_new(cur, json_string(val)))
			return ops_fail(-EINVAL, err, errlen, "field '%s' must be UTF-8", f->name);
		return 0;
	default:
		return ops_fail(-EINVAL, err, errlen, "field '%s' cannot be given in the query",
				f->name);
	}
	if (!v)
		return ops_fail(-EINVAL, err, errlen, "field '%s' must be UTF-8", f->name);
	if (cur) {
		json_decref(v);
		return ops_fail(-EINVAL, err, errlen, "field '%s' given twice", f->name);
	}
	return json_object_set_new(req, key, v) ? ops_fail(-ENOMEM, err, errlen, "out of memory") :
						  0;
}

int ops_request(const struct ops_entry *e, const char *query, const char *body, size_t len,
		json_t **req, char *err, size_t errlen)
{
	const struct ops_field *f;
	json_error_t je;
	json_t *r = NULL;
	char kb[64];
	int ret = 0;

	*req = NULL;
	if (body && len) {
		r = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
		if (!r)
			return ops_fail(-EINVAL, err, errlen, "the request is not JSON: %s",
					je.text);
		if (!json_is_object(r)) {
			json_decref(r);
			return ops_fail(-EINVAL, err, errlen, "the request must be a JSON object");
		}
	} else {
		r = json_object();
		if (!r)
			return ops_fail(-ENOMEM, err, errlen, "out of memory");
	}
	while (query && *query) {
		size_t n = strcspn(query, "&"), klen = strcspn(query, "=");
		char *key = NULL, *val = NULL;

		if (klen > n)
			klen = n;
		if (n) {
			key = pct_decode(query, klen);
			val = klen < n ? pct_decode(query + klen + 1, n - klen - 1) : strdup("");
			if (!key || !val) {
				ret = ops_fail(-EINVAL, err, errlen, "malformed query string");
			} else {
				for (f = e->fields; f->name && strcmp(f->name, key); f++)
					;
				if (!f->name)
					ret = ops_fail(-EINVAL, err, errlen, "unknown field '%s'",
						       safe_key(key, kb, sizeof(kb)));
				else if (f->type != OPS_T_STRS && json_object_get(r, key))
					ret = ops_fail(-EINVAL, err, errlen,
						       "field '%s' given twice", f->name);
				else
					ret = query_value(f, key, val, r, err, errlen);
			}
		}
		free(key);
		free(val);
		if (ret) {
			json_decref(r);
			return ret;
		}
		query += n;
		if (*query == '&')
			query++;
	}
	*req = r;
	return 0;
}

static int pct_encode(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
	return 0;
}

char *ops_query_path(const struct ops_entry *e, json_t *req)
{
	const char *key;
	char *buf = NULL;
	size_t len = 0, i;
	bool first = true;
	json_t *v, *x;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fputs(e->path, f);
	json_object_foreach(req, key, v) {
		size_t n = json_is_array(v) ? json_array_size(v) : 1;

		for (i = 0; i < n; i++) {
			x = json_is_array(v) ? json_array_get(v, i) : v;
			fputc(first ? '?' : '&', f);
			first = false;
			pct_encode(f, key);
			fputc('=', f);
			if (json_is_string(x))
				pct_encode(f, json_string_value(x));
			else if (json_is_boolean(x))
				fputs(json_is_true(x) ? "true" : "false", f);
			else if (json_is_integer(x))
				fprintf(f, "%lld", (long long)json_integer_value(x));
		}
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- audit ---- */

bool ops_changes(const struct ops_entry *e, json_t *req)
{
	return e && e->write && !ops_bool(req, "dry_run");
}

#define AUDIT_ITEMS 20
#define AUDIT_DEPTH 6

/* A copy of v with arrays longer than AUDIT_ITEMS cut to {"count", "first"}. */
static json_t *audit_cut(json_t *v, int depth)
{
	const char *key;
	json_t *o, *x;
	size_t i;

	if (depth > AUDIT_DEPTH)
		return json_string("...");
	if (json_is_object(v)) {
		o = json_object();
		json_object_foreach(v, key, x)
			json_object_set_new(o, key, audit_cut(x, depth + 1));
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();

		json_array_foreach(v, i, x) {
			if (i == AUDIT_ITEMS)
				break;
			json_array_append_new(a, audit_cut(x, depth + 1));
		}
		if (json_array_size(v) <= AUDIT_ITEMS)
			return a;
		o = json_object();
		json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(v)));
		json_object_set_new(o, "first", a);
		return o;
	}
	return json_copy(v);
}

static json_t *sha256_hex(const char *s, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	char hex[2 * EVP_MAX_MD_SIZE + 1];
	unsigned int len = 0, i;

	if (!EVP_Digest(s, n, md, &len, EVP_sha256(), NULL))
		return json_null();
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return json_string(hex);
}

json_t *ops_audit_details(const struct ops_entry *e, json_t *req, json_t *out)
{
	json_t *d = json_object(), *r, *yaml = json_object_get(req, "yaml");

	if (!d)
		return NULL;
	r = audit_cut(req, 0);
	/* A policy file can be 16 MiB: the record keeps its size and hash. */
	if (e && !strcmp(e->name, "apply") && json_is_string(yaml) && json_is_object(r)) {
		json_object_del(r, "yaml");
		json_object_set_new(r, "yaml_bytes",
				    json_integer((json_int_t)json_string_length(yaml)));
		json_object_set_new(r, "yaml_sha256",
				    sha256_hex(json_string_value(yaml), json_string_length(yaml)));
	}
	json_object_set_new(d, "request", r ? r : json_null());
	if (out) {
		json_t *o = audit_cut(out, 0);

		if (json_is_object(o))
			json_object_del(o, "messages");
		json_object_set_new(d, "result", o ? o : json_null());
	}
	return d;
}

/* ---- fill levels ---- */

static unsigned int fill_max_age;

void ops_set_fill_max_age(unsigned int seconds)
{
	fill_max_age = seconds;
}

int ops_map_fill(struct ew_maps *m, struct ew_fill *f)
{
	static struct ew_fill cached;
	static struct timespec at;
	struct timespec now;
	int r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (fill_max_age && at.tv_sec && now.tv_sec - at.tv_sec < (time_t)fill_max_age) {
		*f = cached;
		return 0;
	}
	r = ew_map_fill(m, f);
	if (r)
		return r;
	cached = *f;
	at = now;
	return 0;
}
