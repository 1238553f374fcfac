/*
 * backend-sqlite.c - the store on an embedded SQLite file.
 *
 * WAL journal, a bounded busy wait (30 s unless the caller says otherwise)
 * and BEGIN IMMEDIATE for every write transaction: concurrent tollgate
 * processes on one machine queue for the write lock instead of failing with
 * "database is locked", and readers never wait for writers. A wait that
 * passes a second is reported once (who has the file open); one that runs
 * out says who and what to do. Prepared statements are cached by the address
 * of their (static) SQL text.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store-internal.h"

#define SQ_NOTICE_MS 1000
#define SQ_MAX_COLS 32
#define SQ_MAX_CMDS 8
#define SQ_CMD_LEN 40

struct sq_stmt {
	const char *sql;
	sqlite3_stmt *st;
	int plan_at; /* the index of :plan, 0: none */
};

struct sq_conn {
	sqlite3 *db;
	char *path; /* the database file, resolved */
	int64_t wait_ms;
	void (*waiting)(void *ctx, const char *holder);
	void *waiting_ctx;
	bool noticed; /* this wait was reported */
	struct timespec busy_since;
	unsigned seed;
	struct sq_stmt *stmts;
	size_t nstmts, alloc;
	char *plan; /* bound to every :plan */
	/* the short one-statement commands of every transaction (BEGIN,
	 * COMMIT, SAVEPOINT…), prepared once; keyed by their text, a copy */
	struct sq_stmt cmds[SQ_MAX_CMDS];
	size_t ncmds;
};

/*
 * The processes other than us that have the database (or its WAL) open: one
 * of them holds the lock. "pid 4242 (tollgate promote --to sit), pid 77
 * (sqlite3 state.db)"; empty when none can be seen (another user's process,
 * another machine on a shared folder). Bounded: the first 4 are named.
 */
static void sq_holders(const struct sq_conn *c, struct strbuf *out)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	size_t named = 0, more = 0;
	size_t plen = c->path ? strlen(c->path) : 0;

	if (!proc || !plen) {
		if (proc)
			closedir(proc);
		return;
	}
	while ((d = readdir(proc))) {
		char fddir[64], link[PATH_MAX], target[PATH_MAX];
		DIR *fds;
		struct dirent *f;
		bool hit = false;
		long pid = strtol(d->d_name, NULL, 10);

		if (pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(fddir, sizeof(fddir), "/proc/%ld/fd", pid);
		if (!(fds = opendir(fddir)))
			continue;
		while (!hit && (f = readdir(fds))) {
			ssize_t n;
			if (f->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", fddir, f->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			hit = !strncmp(target, c->path, plen) &&
			      (!target[plen] || !strcmp(target + plen, "-wal") ||
			       !strcmp(target + plen, "-shm"));
		}
		closedir(fds);
		if (!hit)
			continue;
		if (named == 4) {
			more++;
			continue;
		}
		{
			char cmd[160] = "";
			int fd;
			snprintf(link, sizeof(link), "/proc/%ld/cmdline", pid);
			fd = open(link, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
				close(fd);
				if (n < 0)
					n = 0;
				cmd[n] = '\0';
				for (ssize_t i = 0; i + 1 < n; i++)
					if (!cmd[i])
						cmd[i] = ' ';
			}
			strbuf_addf(out, "%spid %ld", named ? ", " : "", pid);
			if (cmd[0]) {
				strbuf_addstr(out, " (");
				strbuf_add_scrubbed(out, cmd, false);
				strbuf_addch(out, ')');
			}
			named++;
		}
	}
	closedir(proc);
	if (more)
		strbuf_addf(out, " and %zu more", more);
}

/*
 * SQLite's own busy timeout sleeps up to 100 ms between tries, so a queue of
 * writers moves in 100 ms steps. Retry every 0.5-2 ms instead (with jitter so
 * waiters do not move in lockstep), up to wait_ms in all; say once who holds
 * the file when the wait passes a second.
 */
static int sq_busy(void *arg, int tries)
{
	struct sq_conn *c = arg;
	struct timespec now;
	long waited_ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (tries == 0) {
		c->busy_since = now;
		c->noticed = false;
	}
	waited_ms = (now.tv_sec - c->busy_since.tv_sec) * 1000 +
		    (now.tv_nsec - c->busy_since.tv_nsec) / 1000000;
	if (waited_ms >= c->wait_ms)
		return 0;
	if (waited_ms >= SQ_NOTICE_MS && !c->noticed && c->waiting) {
		struct strbuf who = STRBUF_INIT;
		c->noticed = true;
		sq_holders(c, &who);
		c->waiting(c->waiting_ctx, who.len ? who.buf : "another writer");
		strbuf_release(&who);
	}
	c->seed = c->seed * 1103515245u + 12345u;
	usleep(500 + (c->seed >> 16) % 1500);
	return 1;
}

static int sq_fail(struct sq_conn *c, struct err *e)
{
	if (sqlite3_errcode(c->db) == SQLITE_BUSY) {
		struct strbuf who = STRBUF_INIT;
		char d[32];
		sq_holders(c, &who);
		util_fmt_duration((c->wait_ms + 999) / 1000, d, sizeof(d));
		err_setr(e, ERR_FAILED, REASON_BUSY,
			 "the store is locked by another writer%s%s and stayed locked for %s; "
			 "wait for it to finish, or wait longer with TOLLGATE_STORE_WAIT",
			 who.len ? ": " : "", who.buf ? who.buf : "", d);
		strbuf_release(&who);
		return -1;
	}
	if (sqlite3_errcode(c->db) == SQLITE_CONSTRAINT)
		return err_setr(e, ERR_FAILED, REASON_CONFLICT, "%s", sqlite3_errmsg(c->db));
	return err_setr(e, ERR_FAILED, REASON_IO, "%s", sqlite3_errmsg(c->db));
}

static void sq_close(void *conn)
{
	struct sq_conn *c = conn;
	if (!c)
		return;
	for (size_t i = 0; i < c->nstmts; i++)
		sqlite3_finalize(c->stmts[i].st);
	free(c->stmts);
	for (size_t i = 0; i < c->ncmds; i++) {
		sqlite3_finalize(c->cmds[i].st);
		free((char *)c->cmds[i].sql);
	}
	sqlite3_close_v2(c->db);
	free(c->path);
	free(c->plan);
	free(c);
}

/* sql prepared, when it is a short command of one statement (cached);
 * NULL: run it with sqlite3_exec. */
static sqlite3_stmt *sq_cmd(struct sq_conn *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;

	if (strlen(sql) > SQ_CMD_LEN || strchr(sql, ';'))
		return NULL;
	for (size_t i = 0; i < c->ncmds; i++)
		if (!strcmp(c->cmds[i].sql, sql))
			return c->cmds[i].st;
	if (c->ncmds == SQ_MAX_CMDS ||
	    sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail) != SQLITE_OK)
		return NULL;
	if (!st || (tail && *tail)) {
		sqlite3_finalize(st);
		return NULL;
	}
	c->cmds[c->ncmds].sql = xstrdup(sql);
	c->cmds[c->ncmds].st = st;
	c->ncmds++;
	return st;
}

static int sq_exec(void *conn, const char *sql, struct err *e)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st = sq_cmd(c, sql);
	char *msg = NULL;

	if (st) {
		int rc = sqlite3_step(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			sq_fail(c, e);
			sqlite3_reset(st);
			return -1;
		}
		sqlite3_reset(st);
		return 0;
	}
	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		if (sqlite3_errcode(c->db) == SQLITE_BUSY)
			sq_fail(c, e);
		else
			err_setr(e, ERR_FAILED, REASON_IO, "%s", msg ? msg : sqlite3_errmsg(c->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/*
 * Switch a new store to WAL. While a fresh file is still in rollback mode,
 * several processes opening it at once can meet in a lock upgrade that
 * SQLite refuses at once (SQLITE_BUSY without calling the busy handler: it
 * would deadlock); so this one statement is retried here, up to the wait.
 */
static int sq_wal(struct sq_conn *c, struct err *e)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct err tmp;
		long waited_ms;
		err_init(&tmp);
		if (sq_exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", &tmp) == 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited_ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (!err_is(&tmp, REASON_BUSY) || waited_ms >= c->wait_ms) {
			err_copy(e, &tmp);
			return -1;
		}
		c->seed = c->seed * 1103515245u + 12345u;
		usleep(500 + (c->seed >> 16) % 1500);
	}
}

static int sq_open(void **out, const char *path, const struct store_open_opts *o,
		   struct err *e)
{
	struct sq_conn *c = xcalloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	/* a new store is 0600 (steps' evidence and the audit may hold what
	 * should not be world-readable); SQLite gives its -wal and -shm files
	 * the database file's mode. An existing file keeps its mode. An empty
	 * path is a private temporary database (the state `log --verify`
	 * rebuilds), deleted when it closes. */
	if (*path) {
		int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			close(fd);
	}
	c->wait_ms = o->wait_ms > 0 ? o->wait_ms : STORE_WAIT_DEFAULT_MS;
	c->plan = xstrdup(o->plan_id ? o->plan_id : "");
	c->waiting = o->waiting;
	c->waiting_ctx = o->ctx;
	rc = sqlite3_open_v2(path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (c->db)
			err_setr(e, ERR_FAILED, REASON_IO, "%s", sqlite3_errmsg(c->db));
		else
			err_setr(e, ERR_FAILED, REASON_IO, "out of memory");
		sq_close(c);
		return -1;
	}
	sqlite3_extended_result_codes(c->db, 0);
	{
		const char *f = sqlite3_db_filename(c->db, "main");
		char *real = f && *f ? realpath(f, NULL) : NULL;
		c->path = real ? real : f && *f ? xstrdup(f) : NULL;
	}
	c->seed = (unsigned)getpid() ^ (unsigned)(uintptr_t)c;
	sqlite3_busy_handler(c->db, sq_busy, c);
	/* journal_mode=WAL is persistent; switching needs a lock, so it waits
	 * in the busy handler like everything else. synchronous=NORMAL is the
	 * WAL setting: a crash never corrupts the file or breaks the audit chain;
	 * a power cut may lose the last commits (data and their entries
	 * together). */
	if (*path ? sq_wal(c, e) < 0
		  : sq_exec(c, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", e) < 0) {
		sq_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

static int sq_begin(void *conn, bool write, struct err *e)
{
	return sq_exec(conn, write ? "BEGIN IMMEDIATE" : "BEGIN", e);
}

static int sq_commit(void *conn, struct err *e)
{
	struct sq_conn *c = conn;
	if (sq_exec(c, "COMMIT", e) < 0) {
		if (!sqlite3_get_autocommit(c->db))
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void sq_rollback(void *conn)
{
	struct sq_conn *c = conn;
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static struct sq_stmt *sq_prepare(struct sq_conn *c, const char *sql, struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct sq_stmt *x;
	for (size_t i = 0; i < c->nstmts; i++)
		if (c->stmts[i].sql == sql)
			return &c->stmts[i];
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		sq_fail(c, e);
		return NULL;
	}
	ALLOC_GROW(c->stmts, c->nstmts + 1, c->alloc);
	x = &c->stmts[c->nstmts++];
	x->sql = sql;
	x->st = st;
	x->plan_at = sqlite3_bind_parameter_index(st, ":plan");
	return x;
}

static int64_t sq_query(void *conn, const char *sql, const struct store_val *params, int nparams,
			unsigned flags, store_row_fn fn, void *ctx, struct err *e)
{
	struct sq_conn *c = conn;
	struct store_val cols[SQ_MAX_COLS];
	struct sq_stmt *x = sq_prepare(c, sql, e);
	sqlite3_stmt *st;
	int64_t ret = 0;
	int rc, ncol, plan_at;

	(void)flags; /* sqlite3_step streams already */
	if (!x)
		return -1;
	st = x->st;
	/* :plan takes the index SQLite gave it; the `?` are numbered around it */
	plan_at = x->plan_at;
	if (plan_at && sqlite3_bind_text(st, plan_at, c->plan, -1, SQLITE_STATIC) != SQLITE_OK) {
		ret = sq_fail(c, e);
		goto out;
	}
	for (int i = 0; i < nparams; i++) {
		const struct store_val *p = &params[i];
		int at = plan_at && i + 1 >= plan_at ? i + 2 : i + 1;
		if (p->type == SV_INT)
			rc = sqlite3_bind_int64(st, at, p->i);
		else if (p->type == SV_TEXT)
			rc = sqlite3_bind_text(st, at, p->s, -1, SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(st, at);
		if (rc != SQLITE_OK) {
			ret = sq_fail(c, e);
			goto out;
		}
	}
	ncol = sqlite3_column_count(st);
	if (ncol > SQ_MAX_COLS)
		BUG("query with %d columns", ncol);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_row row = { ncol, cols };
		if (!fn)
			continue;
		for (int i = 0; i < ncol; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				cols[i] = sv_null();
				break;
			case SQLITE_INTEGER:
				cols[i] = sv_int(sqlite3_column_int64(st, i));
				break;
			default:
				cols[i].type = SV_TEXT;
				cols[i].s = (const char *)sqlite3_column_text(st, i);
				cols[i].len = (size_t)sqlite3_column_bytes(st, i);
				cols[i].i = 0;
				break;
			}
		}
		ret = fn(ctx, &row);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_fail(c, e);
		goto out;
	}
	ret = sqlite3_stmt_readonly(st) ? 0 : sqlite3_changes64(c->db);
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static void sq_set_plan(void *conn, const char *plan)
{
	struct sq_conn *c = conn;
	free(c->plan);
	c->plan = xstrdup(plan ? plan : "");
}

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.query = sq_query,
	.set_plan = sq_set_plan,
	.max_params = 32766,
};
