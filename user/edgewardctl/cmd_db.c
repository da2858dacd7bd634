// SPDX-License-Identifier: GPL-2.0-only
/*
 * edgewardctl db migrate|status: the PostgreSQL schema (sql/migrations).
 *
 * A migration is a file NNNN_name.sql (NNNN from 0001 up, name of a-z 0-9 _).
 * migrate applies the pending ones in order, each in its own transaction
 * with a transaction-scoped advisory lock held, so two migrators (two
 * nodes of a fleet starting at once) never apply the same file twice: the
 * second waits, then finds it applied. Each applied file is recorded in
 * public.schema_migrations (version, name, sha256, applied_at) in the same
 * transaction as its effects, so a file is applied whole and recorded, or
 * neither. Migrations are append-only: a file changed after it was applied,
 * or a new file numbered below one already applied, is refused before
 * anything runs. A second migrate finds nothing to do.
 *
 * Every statement of ours goes through PQexecParams with its values as
 * parameters (one statement per call, no value ever spliced into SQL); only
 * the migration files themselves are sent as text (PQexec), since they are
 * the SQL. The connection string is never printed: it may hold a password.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <postgresql/libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd_db.h"
#include "ctl.h"

#define DB_DEFAULT_DIR	"sql/migrations"
#define DB_FILE_MAX	(16 << 20)	/* a migration larger than 16 MiB is a mistake */
#define DB_NAME_MAX	128
#define DB_SHA_LEN	64
/* hashtextextended(DB_LOCK_NAME, 0) is the advisory lock's key. */
#define DB_LOCK_NAME	"edgeward.schema_migrations"
/* How long migrate waits for another migrator before giving up. */
#define DB_LOCK_WAIT	"60s"

const char help_db[] =
	"The central store of a fleet (audit trail, fleet blocklist, RBAC, GDPR) is a\n"
	"PostgreSQL database whose schema is the numbered files of sql/migrations.\n"
	"'db migrate' applies the pending ones, 'db status' shows each file's state.\n"
	"The database is --db CONNINFO (a libpq connection string or URI), else\n"
	"$EDGEWARD_DB; passwords come from the string, $PGPASSWORD or ~/.pgpass.\n"
	"\n"
	"Example:\n"
	"  edgewardctl db migrate --db 'host=db1 dbname=edgeward user=edgeward_admin'\n"
	"  EDGEWARD_DB=postgresql://db1/edgeward edgewardctl -j db status\n";

enum { OPT_DB = 0x100, OPT_DIR, OPT_DRY_RUN };

/* One migration file, and what the database says about it. */
struct mig {
	unsigned int version;
	char name[DB_NAME_MAX];		/* the file name: "0001_shared.sql" */
	char sha[DB_SHA_LEN + 1];	/* of the file's bytes, lowercase hex */
	char *sql;			/* the file, NUL-terminated */
};

/* One row of public.schema_migrations. */
struct applied {
	unsigned int version;
	char name[DB_NAME_MAX];
	char sha[DB_SHA_LEN + 1];
	long long at;			/* applied_at, Unix seconds */
};

struct db {
	PGconn *conn;
	struct mig *migs;
	size_t nmigs;
	struct applied *rows;
	size_t nrows;
	bool has_table;			/* public.schema_migrations exists */
};

static void db_free(struct db *d)
{
	size_t i;

	if (d->conn)
		PQfinish(d->conn);
	for (i = 0; i < d->nmigs; i++)
		free(d->migs[i].sql);
	free(d->migs);
	free(d->rows);
	memset(d, 0, sizeof(*d));
}

/* ---- the files ---- */

/* "0001_shared.sql": the version, or 0 when the name is not a migration's. */
static unsigned int mig_version(const char *name)
{
	size_t len = strlen(name), i;

	if (len < 10 || len >= DB_NAME_MAX || strcmp(name + len - 4, ".sql") || name[4] != '_')
		return 0;
	for (i = 0; i < 4; i++)
		if (name[i] < '0' || name[i] > '9')
			return 0;
	for (i = 5; i < len - 4; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '_'))
			return 0;
	return (unsigned int)strtoul(name, NULL, 10);
}

static int mig_cmp(const void *a, const void *b)
{
	const struct mig *x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

/* Read one file whole (a regular file without NUL bytes) and hash it. */
static int mig_read(const char *dir, struct mig *m)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char path[4096];
	struct stat st;
	ssize_t r;
	size_t got = 0;
	int fd, rc = CTL_ERR;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, m->name) >= sizeof(path))
		return ctl_err("%s/%s: path too long", dir, m->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ctl_err("cannot open %s: %s", path, strerror(errno));
	if (fstat(fd, &st)) {
		ctl_err("cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > DB_FILE_MAX) {
		ctl_err("%s: not a regular file of at most %d MiB", path, DB_FILE_MAX >> 20);
		goto out;
	}
	m->sql = malloc((size_t)st.st_size + 1);
	if (!m->sql) {
		ctl_err("out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		r = read(fd, m->sql + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			ctl_err("cannot read %s: %s", path, r ? strerror(errno) : "file shrank");
			goto out;
		}
		got += (size_t)r;
	}
	m->sql[got] = '\0';
	/* PQexec takes a C string: a NUL would silently cut the migration short. */
	if (memchr(m->sql, '\0', got)) {
		ctl_err("%s: contains a NUL byte", path);
		goto out;
	}
	if (!EVP_Digest(m->sql, got, md, &mdlen, EVP_sha256(), NULL) || mdlen * 2 != DB_SHA_LEN) {
		ctl_err("%s: SHA-256 failed", path);
		goto out;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(m->sha + 2 * i, 3, "%02x", md[i]);
	rc = CTL_OK;
out:
	close(fd);
	return rc;
}

/*
 * Every NNNN_name.sql of dir, in order. Any other *.sql file is refused (a
 * misnamed migration must not be skipped in silence); other files (a
 * README) are ignored.
 */
static int db_load_files(const char *dir, struct db *d)
{
	struct dirent *de;
	size_t cap = 0, i;
	DIR *dp;
	int rc = CTL_ERR;

	dp = opendir(dir);
	if (!dp)
		return ctl_err("cannot open the migrations directory %s: %s (give --dir DIR)", dir,
			       strerror(errno));
	while ((errno = 0, de = readdir(dp))) {
		size_t len = strlen(de->d_name);
		unsigned int v;

		if (len < 4 || strcmp(de->d_name + len - 4, ".sql"))
			continue;
		v = mig_version(de->d_name);
		if (!v) {
			char q[EW_QUOTE_LEN];

			ctl_err("%s/%s: not a migration's name (NNNN_name.sql, NNNN from 0001, "
				"name of a-z 0-9 _); rename or remove it",
				dir, ew_quote(de->d_name, q, sizeof(q)));
			goto out;
		}
		if (d->nmigs == cap) {
			struct mig *g;

			cap = cap ? cap * 2 : 16;
			g = realloc(d->migs, cap * sizeof(*g));
			if (!g) {
				ctl_err("out of memory");
				goto out;
			}
			d->migs = g;
		}
		memset(&d->migs[d->nmigs], 0, sizeof(d->migs[0]));
		d->migs[d->nmigs].version = v;
		/* mig_version accepted it: len < DB_NAME_MAX. */
		memcpy(d->migs[d->nmigs].name, de->d_name, len + 1);
		d->nmigs++;
	}
	if (errno) {
		ctl_err("cannot read the directory %s: %s", dir, strerror(errno));
		goto out;
	}
	if (!d->nmigs) {
		ctl_err("no migrations (NNNN_name.sql) in %s (give --dir DIR)", dir);
		goto out;
	}
	qsort(d->migs, d->nmigs, sizeof(d->migs[0]), mig_cmp);
	for (i = 0; i < d->nmigs; i++) {
		if (i && d->migs[i].version == d->migs[i - 1].version) {
			ctl_err("%s and %s have the same number", d->migs[i - 1].name,
				d->migs[i].name);
			goto out;
		}
		if (mig_read(dir, &d->migs[i]))
			goto out;
	}
	rc = CTL_OK;
out:
	closedir(dp);
	return rc;
}

/* ---- the database ---- */

/* The server's message, one line, without libpq's trailing newline. */
static const char *db_msg(const char *s, char *buf, size_t len)
{
	size_t n;

	snprintf(buf, len, "%s", s && *s ? s : "unknown error");
	n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	for (; n; n--)
		if (buf[n - 1] == '\n')
			buf[n - 1] = ' ';
	return buf;
}

/*
 * A failed result as "message: detail (hint)", without libpq's "ERROR:  "
 * and line breaks; the connection's message when there is no result.
 */
static const char *db_res_msg(PGconn *conn, const PGresult *res, char *buf, size_t len)
{
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail, *hint;
	char tmp[1024];

	if (!primary)
		return db_msg(res ? PQresultErrorMessage(res) : PQerrorMessage(conn), buf, len);
	detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
	hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
	snprintf(tmp, sizeof(tmp), "%s%s%s%s%s%s", primary, detail ? ": " : "", detail ? detail : "",
		 hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	return db_msg(tmp, buf, len);
}

/* Server warnings (client_min_messages is warning) reach the operator. */
static void db_notice(void *arg, const char *message)
{
	char buf[1024];

	(void)arg;
	ctl_warn("database: %s", db_msg(message, buf, sizeof(buf)));
}

/*
 * Run one statement with parameters (text, NULL for SQL NULL). The result
 * when it succeeded (caller clears), else NULL with the error reported as
 * "what: message".
 */
static PGresult *db_run(struct db *d, const char *what, const char *sql, int n,
			const char *const *params)
{
	PGresult *res = PQexecParams(d->conn, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	char buf[1024];

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return res;
	ctl_err("%s: %s", what, db_res_msg(d->conn, res, buf, sizeof(buf)));
	PQclear(res);
	return NULL;
}

static int db_cmd(struct db *d, const char *what, const char *sql, int n,
		  const char *const *params)
{
	PGresult *res = db_run(d, what, sql, n, params);

	PQclear(res);
	return res ? CTL_OK : CTL_ERR;
}

/* Leave a failed or unwanted transaction; the connection stays usable. */
static void db_rollback(struct db *d)
{
	if (PQtransactionStatus(d->conn) != PQTRANS_IDLE)
		PQclear(PQexecParams(d->conn, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
}

static const char *db_conninfo(const char *opt)
{
	const char *env = getenv("EDGEWARD_DB");

	if (opt)
		return opt;
	return env && *env ? env : NULL;
}

static int db_connect(struct db *d, const char *conninfo)
{
	/*
	 * The defaults come before dbname, which expands to the whole connection
	 * string: what the string sets wins over them.
	 */
	static const char *const keys[] = { "connect_timeout", "application_name", "dbname",
					    NULL };
	const char *vals[] = { "10", "edgewardctl", conninfo, NULL };
	char buf[1024];

	d->conn = PQconnectdbParams(keys, vals, 1);
	if (!d->conn)
		return ctl_err("out of memory");
	if (PQstatus(d->conn) != CONNECTION_OK)
		return ctl_err("cannot connect to the database: %s",
			       db_msg(PQerrorMessage(d->conn), buf, sizeof(buf)));
	PQsetNoticeProcessor(d->conn, db_notice, NULL);
	return db_cmd(d, "setting up the session", "SET client_min_messages = warning", 0, NULL);
}

/* public.schema_migrations, if it exists, into d->rows (by version). */
static int db_load_applied(struct db *d)
{
	PGresult *res;
	int i, n;

	free(d->rows);
	d->rows = NULL;
	d->nrows = 0;
	res = db_run(d, "looking for public.schema_migrations",
		     "SELECT to_regclass('public.schema_migrations') IS NOT NULL", 0, NULL);
	if (!res)
		return CTL_ERR;
	d->has_table = !strcmp(PQgetvalue(res, 0, 0), "t");
	PQclear(res);
	if (!d->has_table)
		return CTL_OK;
	res = db_run(d, "reading public.schema_migrations",
		     "SELECT version, name, sha256, floor(extract(epoch FROM applied_at))::bigint "
		     "FROM public.schema_migrations ORDER BY version",
		     0, NULL);
	if (!res)
		return CTL_ERR;
	n = PQntuples(res);
	d->rows = calloc(n ? (size_t)n : 1, sizeof(*d->rows));
	if (!d->rows) {
		PQclear(res);
		return ctl_err("out of memory");
	}
	for (i = 0; i < n; i++) {
		struct applied *a = &d->rows[i];

		a->version = (unsigned int)strtoul(PQgetvalue(res, i, 0), NULL, 10);
		snprintf(a->name, sizeof(a->name), "%s", PQgetvalue(res, i, 1));
		snprintf(a->sha, sizeof(a->sha), "%s", PQgetvalue(res, i, 2));
		a->at = strtoll(PQgetvalue(res, i, 3), NULL, 10);
	}
	d->nrows = (size_t)n;
	PQclear(res);
	return CTL_OK;
}

static const struct applied *db_row(const struct db *d, unsigned int version)
{
	size_t i;

	for (i = 0; i < d->nrows; i++)
		if (d->rows[i].version == version)
			return &d->rows[i];
	return NULL;
}

static bool db_has_file(const struct db *d, unsigned int version)
{
	size_t i;

	for (i = 0; i < d->nmigs; i++)
		if (d->migs[i].version == version)
			return true;
	return false;
}

/*
 * Whether the files can be applied over what the database holds: no applied
 * file changed, no pending file numbered below the newest applied one.
 * Applied versions without a file only warn (an older checkout).
 */
static int db_check(const struct db *d, bool warn_missing)
{
	unsigned int newest = d->nrows ? d->rows[d->nrows - 1].version : 0;
	size_t i;

	for (i = 0; i < d->nmigs; i++) {
		const struct mig *m = &d->migs[i];
		const struct applied *a = db_row(d, m->version);

		if (a && strcmp(a->sha, m->sha))
			return ctl_err("%s was changed after it was applied (sha256 %.12s... "
				       "applied, %.12s... now): migrations are append-only; "
				       "restore it and put the change in a new file",
				       m->name, a->sha, m->sha);
		if (!a && m->version < newest)
			return ctl_err("%s is not applied but %04u is: a new migration needs a "
				       "number above %04u",
				       m->name, newest, newest);
	}
	for (i = 0; warn_missing && i < d->nrows; i++)
		if (!db_has_file(d, d->rows[i].version))
			ctl_warn("%s is applied but not in the migrations directory (is it older "
				 "than the database?)",
				 d->rows[i].name);
	return CTL_OK;
}

/*
 * "at line N": the line of a 1-based character position in sql. Only errors
 * found while parsing carry a position; for an error while running, the
 * message (and -v's context) must do.
 */
static unsigned int db_line(const char *sql, const char *pos)
{
	long chars = pos ? strtol(pos, NULL, 10) : 0;
	unsigned int line = 1;
	const unsigned char *p;

	if (chars <= 0)
		return 0;
	/* Positions count characters; UTF-8 continuation bytes do not start one. */
	for (p = (const unsigned char *)sql; *p && chars > 1; p++) {
		if ((*p & 0xc0) != 0x80)
			chars--;
		if (*p == '\n')
			line++;
	}
	return line;
}

static int db_exec_file(struct db *d, const struct mig *m)
{
	PGresult *res = PQexec(d->conn, m->sql);
	ExecStatusType st = PQresultStatus(res);
	const char *ctx;
	unsigned int line;
	char buf[1024], where[32] = "";

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) {
		PQclear(res);
		/* A COMMIT or ROLLBACK in the file would have ended our transaction. */
		if (PQtransactionStatus(d->conn) != PQTRANS_INTRANS)
			return ctl_err("%s ended the transaction it runs in (a COMMIT or ROLLBACK "
				       "in the file?): migrations must not contain either",
				       m->name);
		return CTL_OK;
	}
	line = res ? db_line(m->sql, PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION)) : 0;
	if (line)
		snprintf(where, sizeof(where), " at line %u", line);
	ctl_err("%s failed%s: %s (nothing of it was applied)", m->name, where,
		db_res_msg(d->conn, res, buf, sizeof(buf)));
	ctx = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	if (ctx && ctl.verbose)
		ctl_warn("context: %s", db_msg(ctx, buf, sizeof(buf)));
	PQclear(res);
	return CTL_ERR;
}

/*
 * BEGIN and take the migrators' lock, waiting at most DB_LOCK_WAIT for
 * another migrator; the lock is released by the COMMIT or ROLLBACK.
 */
static int db_begin_locked(struct db *d)
{
	const char *wait[] = { DB_LOCK_WAIT };
	const char *name[] = { DB_LOCK_NAME };
	PGresult *res;

	if (db_cmd(d, "BEGIN", "BEGIN", 0, NULL) ||
	    db_cmd(d, "setting lock_timeout", "SELECT set_config('lock_timeout', $1, true)", 1,
		   wait))
		return CTL_ERR;
	res = PQexecParams(d->conn, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", 1,
			   NULL, name, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		char buf[1024];

		if (state && !strcmp(state, "55P03"))
			ctl_err("another migrator has held the migration lock for %s; try again "
				"when it is done",
				DB_LOCK_WAIT);
		else
			ctl_err("taking the migration lock: %s",
				db_res_msg(d->conn, res, buf, sizeof(buf)));
		PQclear(res);
		return CTL_ERR;
	}
	PQclear(res);
	/* The migration itself may wait for locks as long as it needs. */
	return db_cmd(d, "resetting lock_timeout", "SELECT set_config('lock_timeout', '0', true)",
		      0, NULL);
}

static const char create_table_sql[] =
	"CREATE TABLE IF NOT EXISTS public.schema_migrations ("
	" version integer PRIMARY KEY CHECK (version > 0),"
	" name text NOT NULL,"
	" sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),"
	" applied_at timestamptz NOT NULL DEFAULT now())";

static long long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Apply one pending file, unless another migrator did meanwhile (*done: applied now). */
static int db_apply(struct db *d, const struct mig *m, bool *done)
{
	char version[16];
	const char *params[3] = { version, m->name, m->sha };
	const struct applied *a;

	*done = false;
	snprintf(version, sizeof(version), "%u", m->version);
	if (db_begin_locked(d))
		goto fail;
	/* Under the lock, what is applied is final: check again. */
	if (db_load_applied(d) || db_check(d, false))
		goto fail;
	a = db_row(d, m->version);
	if (a) {
		db_rollback(d);
		return CTL_OK;
	}
	if (db_exec_file(d, m))
		goto fail;
	if (db_cmd(d, "recording the migration",
		   "INSERT INTO public.schema_migrations (version, name, sha256) "
		   "VALUES ($1::integer, $2, $3)",
		   3, params) ||
	    db_cmd(d, "COMMIT", "COMMIT", 0, NULL))
		goto fail;
	/* Whatever session state the file set (SET, temp tables) ends with it. */
	if (db_cmd(d, "resetting the session", "DISCARD ALL", 0, NULL) ||
	    db_cmd(d, "setting up the session", "SET client_min_messages = warning", 0, NULL))
		return CTL_ERR;
	*done = true;
	return CTL_OK;
fail:
	db_rollback(d);
	return CTL_ERR;
}

/* The options of migrate (dry_run non-NULL: --dry-run allowed) and status. */
static int parse_opts(int argc, char **argv, const char **conninfo, const char **dir,
		      bool *dry_run)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ 0 }
	};
	/* status: the same without --dry-run */
	static const struct option status_opts[] = {
		{ "db", required_argument, NULL, OPT_DB },
		{ "dir", required_argument, NULL, OPT_DIR },
		{ 0 }
	};
	int c;

	while ((c = ctl_getopt(argc, argv, "", dry_run ? opts : status_opts)) != -1) {
		switch (c) {
		case OPT_DB:
			if (!*optarg)
				return ctl_usage("--db needs a connection string");
			*conninfo = optarg;
			break;
		case OPT_DIR:
			if (!*optarg)
				return ctl_usage("--dir needs a directory");
			*dir = optarg;
			break;
		case OPT_DRY_RUN:
			*dry_run = true;
			break;
		case CTL_OPT_DONE:
			return ctl.opt_rc;
		}
	}
	if (optind < argc)
		return ctl_usage("unexpected argument '%s'", argv[optind]);
	*conninfo = db_conninfo(*conninfo);
	if (!*conninfo)
		return ctl_usage("no database: give --db CONNINFO or set $EDGEWARD_DB");
	return CTL_RUN;
}

static json_t *names_json(const struct db *d, const bool *pick)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < d->nmigs; i++)
		if (pick[i])
			json_array_append_new(a, json_string(d->migs[i].name));
	return a;
}

static int cmd_db_migrate(int argc, char **argv)
{
	const char *conninfo = NULL, *dir = DB_DEFAULT_DIR;
	struct db d = { 0 };
	bool dry_run = false, *applied = NULL, *pending = NULL;
	size_t i, napplied = 0, npending = 0;
	int rc;

	rc = parse_opts(argc, argv, &conninfo, &dir, &dry_run);
	if (rc != CTL_RUN)
		return rc;
	rc = CTL_ERR;
	if (db_load_files(dir, &d) || db_connect(&d, conninfo))
		goto out;
	applied = calloc(d.nmigs, sizeof(*applied));
	pending = calloc(d.nmigs, sizeof(*pending));
	if (!applied || !pending) {
		ctl_err("out of memory");
		goto out;
	}
	/* The table is created under the lock too: two first runs must not race. */
	if (!dry_run) {
		if (db_begin_locked(&d) || db_cmd(&d, "creating public.schema_migrations",
						  create_table_sql, 0, NULL) ||
		    db_cmd(&d, "COMMIT", "COMMIT", 0, NULL)) {
			db_rollback(&d);
			goto out;
		}
	}
	/* Refuse a changed or out-of-order file before anything is applied. */
	if (db_load_applied(&d) || db_check(&d, true))
		goto out;
	for (i = 0; i < d.nmigs; i++) {
		struct timespec t0;
		bool done;

		if (db_row(&d, d.migs[i].version))
			continue;
		if (dry_run) {
			pending[i] = true;
			npending++;
			ctl_info("would apply %s", d.migs[i].name);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (db_apply(&d, &d.migs[i], &done)) {
			if (napplied)
				ctl_warn("%zu migration(s) before %s were applied", napplied,
					 d.migs[i].name);
			goto out;
		}
		if (done) {
			applied[i] = true;
			napplied++;
			ctl_info("applied %s (%lld ms)", d.migs[i].name, elapsed_ms(&t0));
		}
	}
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "applied", names_json(&d, applied));
		json_object_set_new(o, "pending", names_json(&d, pending));
		json_object_set_new(o, "dry_run", json_boolean(dry_run));
		json_object_set_new(o, "up_to_date", json_boolean(!npending));
		json_object_set_new(o, "migrations", json_integer((json_int_t)d.nmigs));
		if (ctl_json_print(o)) {
			ctl_err("out of memory");
			goto out;
		}
	} else if (npending) {
		ctl_info("%zu migration(s) pending; nothing applied (--dry-run)", npending);
	} else if (napplied) {
		ctl_info("applied %zu migration(s); database is up to date", napplied);
	} else {
		ctl_info("database is up to date (%zu migrations applied)", d.nmigs);
	}
	rc = CTL_OK;
out:
	free(applied);
	free(pending);
	db_free(&d);
	return rc;
}

/* ---- status ---- */

static int cmd_db_status(int argc, char **argv)
{
	const char *conninfo = NULL, *dir = DB_DEFAULT_DIR;
	struct db d = { 0 };
	size_t n_applied = 0, n_pending = 0, n_changed = 0, n_missing = 0;
	struct ctl_table tbl;
	json_t *list = NULL;
	int rc;

	rc = parse_opts(argc, argv, &conninfo, &dir, NULL);
	if (rc != CTL_RUN)
		return rc;
	rc = CTL_ERR;
	if (db_load_files(dir, &d) || db_connect(&d, conninfo) || db_load_applied(&d))
		goto out_free;
	if (ctl.json)
		list = json_array();
	else
		tbl_init(&tbl, 4, 0, "VERSION", "NAME", "STATE", "APPLIED");
	/* Files and rows merged by version: both lists are sorted. */
	for (size_t f = 0, r = 0; f < d.nmigs || r < d.nrows;) {
		const struct mig *m = f < d.nmigs ? &d.migs[f] : NULL;
		const struct applied *a = r < d.nrows ? &d.rows[r] : NULL;
		const char *state, *name;
		char ver[16], when[40] = "-";

		if (m && a && m->version == a->version) {
			f++, r++;
		} else if (m && (!a || m->version < a->version)) {
			a = NULL;
			f++;
		} else {
			m = NULL;
			r++;
		}
		if (m && a && !strcmp(m->sha, a->sha))
			state = "applied", n_applied++;
		else if (m && a)
			state = "changed", n_changed++;
		else if (m)
			state = "pending", n_pending++;
		else
			state = "missing", n_missing++;
		name = m ? m->name : a->name;
		snprintf(ver, sizeof(ver), "%04u", m ? m->version : a->version);
		if (a)
			ctl_iso_time((time_t)a->at, when, sizeof(when));
		if (ctl.json) {
			json_t *o = json_object();

			json_object_set_new(o, "version", json_integer(m ? m->version : a->version));
			json_object_set_new(o, "name", ctl_jstr(name));
			json_object_set_new(o, "state", json_string(state));
			json_object_set_new(o, "applied_at", a ? json_string(when) : json_null());
			json_object_set_new(o, "sha256", m ? json_string(m->sha) : json_null());
			json_object_set_new(o, "applied_sha256", a ? ctl_jstr(a->sha) : json_null());
			json_array_append_new(list, o);
		} else {
			char q[EW_QUOTE_LEN];

			tbl_add(&tbl, ver, ctl_printable(name) ? name : ew_quote(name, q, sizeof(q)),
				state, when);
		}
	}
	if (ctl.json) {
		json_t *o = json_object();

		json_object_set_new(o, "migrations", list);
		list = NULL;
		json_object_set_new(o, "applied", json_integer((json_int_t)n_applied));
		json_object_set_new(o, "pending", json_integer((json_int_t)n_pending));
		json_object_set_new(o, "changed", json_integer((json_int_t)n_changed));
		json_object_set_new(o, "missing", json_integer((json_int_t)n_missing));
		if (ctl_json_print(o)) {
			ctl_err("out of memory");
			goto out;
		}
	} else {
		tbl_print(&tbl, stdout);
		ctl_info("%zu applied, %zu pending%s", n_applied, n_pending,
			 n_pending ? " (run 'edgewardctl db migrate')" : "");
	}
	if (n_missing)
		ctl_warn("%zu applied migration(s) have no file in %s", n_missing, dir);
	/* A changed file is what migrate refuses: the status says so too. */
	if (n_changed && !ctl.json)
		ctl_err("%zu migration file(s) changed after being applied; migrations are "
			"append-only",
			n_changed);
	rc = n_changed ? CTL_ERR : CTL_OK;
out:
	if (!ctl.json)
		tbl_free(&tbl);
	json_decref(list);
out_free:
	db_free(&d);
	return rc;
}

static const struct ctl_cmd db_cmds[] = {
	{ "migrate", cmd_db_migrate, "apply the pending migrations, in order",
	  "db migrate [--db CONNINFO] [--dir DIR] [--dry-run]",
	  "Apply each pending NNNN_name.sql of the migrations directory, in order,\n"
	  "each in one transaction with the migrators' advisory lock held, and record\n"
	  "it (version, name, SHA-256, time) in public.schema_migrations. A file that\n"
	  "fails is rolled back whole and stops the run. Refused before anything runs:\n"
	  "a file changed after it was applied, a new file numbered below an applied\n"
	  "one, a misnamed *.sql file. Running it again when nothing is pending prints\n"
	  "\"database is up to date\". Needs a role that may create schemas and roles\n"
	  "(the database owner with CREATEROLE, or a superuser).\n"
	  "\n"
	  "Options:\n"
	  "      --db CONNINFO     libpq connection string or URI (default $EDGEWARD_DB)\n"
	  "      --dir DIR         the migrations (default " DB_DEFAULT_DIR ")\n"
	  "      --dry-run         list what would be applied; change nothing\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl db migrate --db 'host=127.0.0.1 dbname=edgeward user=postgres'\n" },
	{ "status", cmd_db_status, "show each migration's state",
	  "db status [--db CONNINFO] [--dir DIR]",
	  "List every migration of the directory and of public.schema_migrations with\n"
	  "its state: applied, pending, changed (the file differs from what was\n"
	  "applied: exit status 1) or missing (applied, but no such file here).\n"
	  "\n"
	  "Options:\n"
	  "      --db CONNINFO     libpq connection string or URI (default $EDGEWARD_DB)\n"
	  "      --dir DIR         the migrations (default " DB_DEFAULT_DIR ")\n"
	  "\n"
	  "Example:\n"
	  "  edgewardctl -j db status --db postgresql://db1/edgeward\n" },
	{ 0 }
};

int cmd_db(int argc, char **argv)
{
	return ctl_dispatch(db_cmds, argc - 1, argv + 1);
}
