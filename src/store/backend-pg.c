/*
 * backend-pg.c - the store on a PostgreSQL server, through libpq.
 *
 * The shared SQL is written with `?` placeholders; this backend rewrites them
 * to $1, $2 … once per statement (cached by the address of the SQL text),
 * sends its first run unprepared and prepares it when it runs again. Write
 * transactions are READ COMMITTED and begin by taking one
 * transaction-scoped advisory lock, so writers from any number of machines
 * queue exactly like SQLite's BEGIN IMMEDIATE: no serialization failures to
 * retry, no deadlocks, and each statement sees what the previous writer
 * committed. Read transactions are REPEATABLE READ READ ONLY: one snapshot.
 * Huge results (the audit log) are read in single-row mode: one query, the
 * rows streamed as the server sends them.
 */
#include <libpq-fe.h>
#include <inttypes.h>
#include <stdlib.h>
#include <ctype.h>
#include <string.h>

#include "store/store-internal.h"
#include "util/dynload.h"

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * libpq is loaded when a postgres:// store is opened, not at start-up: it
 * pulls in some twenty libraries (Kerberos, LDAP, GnuTLS …) whose loading
 * would double the start-up time of every command on the SQLite default.
 */
#define PQ_FUNCS(X) X(PQclear) X(PQresultStatus) X(PQexec) X(PQtransactionStatus) X(PQntuples) X(PQerrorMessage) X(PQstatus) X(PQsetNoticeProcessor) X(PQresultErrorMessage) X(PQprepare) X(PQnfields) X(PQgetvalue) X(PQgetlength) X(PQgetisnull) X(PQfinish) X(PQexecPrepared) X(PQexecParams) X(PQconnectdbParams) X(PQcmdTuples) X(PQsendQueryParams) X(PQsetSingleRowMode) X(PQgetResult) X(PQgetCancel) X(PQcancel) X(PQfreeCancel) X(PQenterPipelineMode) X(PQexitPipelineMode) X(PQpipelineSync) X(PQreset) X(PQresultErrorField) X(PQhost) X(PQport) X(PQuser) X(PQsocket) X(PQconsumeInput) X(PQnotifies) X(PQfreemem)
#define PQ_DECLARE(f) static __typeof__(f) *pq_##f;
PQ_FUNCS(PQ_DECLARE)
/* (# and ## take f as written, before the redirects below apply to it) */
#define PQ_SYM(f) { #f, &pq_##f },
#define PQclear pq_PQclear
#define PQresultStatus pq_PQresultStatus
#define PQexec pq_PQexec
#define PQtransactionStatus pq_PQtransactionStatus
#define PQntuples pq_PQntuples
#define PQerrorMessage pq_PQerrorMessage
#define PQstatus pq_PQstatus
#define PQsetNoticeProcessor pq_PQsetNoticeProcessor
#define PQresultErrorMessage pq_PQresultErrorMessage
#define PQprepare pq_PQprepare
#define PQnfields pq_PQnfields
#define PQgetvalue pq_PQgetvalue
#define PQgetlength pq_PQgetlength
#define PQgetisnull pq_PQgetisnull
#define PQfinish pq_PQfinish
#define PQexecPrepared pq_PQexecPrepared
#define PQexecParams pq_PQexecParams
#define PQconnectdbParams pq_PQconnectdbParams
#define PQcmdTuples pq_PQcmdTuples
#define PQsendQueryParams pq_PQsendQueryParams
#define PQsetSingleRowMode pq_PQsetSingleRowMode
#define PQgetResult pq_PQgetResult
#define PQgetCancel pq_PQgetCancel
#define PQcancel pq_PQcancel
#define PQfreeCancel pq_PQfreeCancel
#define PQenterPipelineMode pq_PQenterPipelineMode
#define PQexitPipelineMode pq_PQexitPipelineMode
#define PQpipelineSync pq_PQpipelineSync
#define PQreset pq_PQreset
#define PQresultErrorField pq_PQresultErrorField
#define PQhost pq_PQhost
#define PQport pq_PQport
#define PQuser pq_PQuser
#define PQsocket pq_PQsocket
#define PQconsumeInput pq_PQconsumeInput
#define PQnotifies pq_PQnotifies
#define PQfreemem pq_PQfreemem

/*
 * The outcome of loading libpq, decided once per process (pthread_once: any
 * number of threads may open stores at once) and reported to every open
 * after it: a failed load is never retried half-way, never a success with
 * null functions. TOLLGATE_LIBPQ names another library (tests load one that
 * is missing, or one without libpq's functions).
 */
static pthread_once_t pq_once = PTHREAD_ONCE_INIT;
static char pq_failure[400]; /* written once inside pq_once; empty: loaded */

static void pq_load_once(void)
{
	static const struct dyn_sym syms[] = { PQ_FUNCS(PQ_SYM) };

	dyn_load("TOLLGATE_LIBPQ", "libpq.so.5", "libpq for a postgres:// store", "libpq5", syms,
		 ARRAY_SIZE(syms), pq_failure, sizeof(pq_failure));
}

static int pq_load(struct err *e)
{
	pthread_once(&pq_once, pq_load_once);
	if (pq_failure[0])
		return err_setr(e, ERR_FAILED, REASON_IO, "%s", pq_failure);
	return 0;
}

#define PG_WRITE_LOCK_KEY "7308604939123195904" /* "tollgate" */
#define PG_MAX_COLS 32

/* A statement seen on this connection: the first run goes as one
 * parse-bind-execute round trip (PQexecParams); only a statement run again is
 * prepared, so a short command pays one round trip per query, not two. */
struct pg_stmt {
	const char *sql;
	char *text; /* with $n placeholders */
	bool has_plan; /* :plan is its last parameter */
	bool prepared;
	char name[16];
};

struct pg_conn {
	PGconn *conn;
	bool read_only; /* a reader's session: default_transaction_read_only */
	int64_t wait_ms; /* lock_timeout of a transaction */
	void (*waiting)(void *ctx, const char *holder);
	void *waiting_ctx;
	struct pg_stmt *stmts;
	size_t nstmts, alloc;
	char *plan; /* bound to every :plan */
	bool reconnect_failed; /* the last pg_reconnect found no server */
	bool listening; /* pg_watch: LISTEN ran in this session */
};

static void pg_quiet(void *arg, const char *msg)
{
	(void)arg;
	(void)msg; /* library code never prints: NOTICEs are dropped */
}

/* First line of a libpq message, without "ERROR:  " and trailing space. */
static int pg_set_err(struct err *e, const char *msg)
{
	size_t n;
	if (!msg || !*msg)
		msg = "unknown PostgreSQL error";
	if (!strncmp(msg, "ERROR:  ", 8))
		msg += 8;
	else if (!strncmp(msg, "FATAL:  ", 8))
		msg += 8;
	n = strcspn(msg, "\n");
	while (n > 0 && (msg[n - 1] == ' ' || msg[n - 1] == '\r'))
		n--;
	return err_setr(e, ERR_FAILED, REASON_IO, "%.*s", (int)n, msg);
}

/* SQLSTATE 55P03: a lock wait ran past lock_timeout */
static bool pg_lock_timeout(PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return st && !strcmp(st, "55P03");
}

static int pg_res_err(struct pg_conn *c, PGresult *r, struct err *e)
{
	const char *m = r ? PQresultErrorMessage(r) : NULL;
	if (pg_lock_timeout(r)) {
		char d[32];
		util_fmt_duration((c->wait_ms + 999) / 1000, d, sizeof(d));
		err_setr(e, ERR_FAILED, REASON_BUSY,
			 "a lock in the store was held by another session for more than %s; "
			 "find it in pg_locks, or wait longer with TOLLGATE_STORE_WAIT", d);
		PQclear(r);
		return -1;
	}
	if (!m || !*m)
		m = PQerrorMessage(c->conn);
	{
		const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
		struct err ce;
		err_init(&ce);
		/* 42501 insufficient privilege, 25006 a write in a read-only
		 * transaction: the role may only read */
		if (st && (!strcmp(st, "42501") || !strcmp(st, "25006"))) {
			const char *role = PQuser(c->conn);
			pg_set_err(&ce, m);
			err_setr(e, ERR_FAILED, REASON_FORBIDDEN,
				 "%s: the database role '%s' may only read the store; use a role that may "
				 "write it, or a command that only reads (status, why, next, log, report, "
				 "promote --dry-run)",
				 ce.msg, role ? role : "?");
			PQclear(r);
			return -1;
		}
		/* 53100 disk full, 53400 a configured limit */
		if (st && (!strcmp(st, "53100") || !strcmp(st, "53400"))) {
			pg_set_err(&ce, m);
			err_setr(e, ERR_FAILED, REASON_IO,
				 "%s: the database server's disk is full; ask its administrator to free "
				 "space, then run the command again",
				 ce.msg);
			PQclear(r);
			return -1;
		}
		/* class 23: integrity constraint violation */
		if (st && !strncmp(st, "23", 2)) {
			pg_set_err(&ce, m);
			err_setr(e, ERR_FAILED, REASON_CONFLICT, "%s", ce.msg);
			PQclear(r);
			return -1;
		}
	}
	pg_set_err(e, m);
	PQclear(r);
	return -1;
}

static void pg_close(void *conn)
{
	struct pg_conn *c = conn;
	if (!c)
		return;
	PQfinish(c->conn);
	for (size_t i = 0; i < c->nstmts; i++)
		free(c->stmts[i].text);
	free(c->stmts);
	free(c->plan);
	free(c);
}

/*
 * A reader's session cannot write: every transaction in it is read only,
 * so that what only reads needs no more than SELECT, and a write by mistake
 * fails. (A setting, not a wall: the role's grants are the wall.)
 */
static int pg_session(struct pg_conn *c, struct err *e)
{
	PGresult *r;
	if (!c->read_only)
		return 0;
	r = PQexec(c->conn, "SET default_transaction_read_only = on");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_set_err(e, PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int pg_open(void **out, const char *uri, const struct store_open_opts *o,
		   struct err *e)
{
	/* these come first so that the URI's own values win (NOTICEs, such as
	 * "already exists, skipping", are dropped by pg_quiet: no SET round
	 * trip, and no startup option a pooler such as pgbouncer may refuse) */
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "10", "tollgate", uri, NULL };
	struct pg_conn *c = xcalloc(1, sizeof(*c));

	*out = NULL;
	if (pq_load(e) < 0) {
		free(c);
		return -1;
	}
	c->conn = PQconnectdbParams(keys, vals, 1);
	if (!c->conn || PQstatus(c->conn) != CONNECTION_OK) {
		const char *m = c->conn ? PQerrorMessage(c->conn) : "out of memory";
		/* libpq prefixes "connection to server at ... failed: " */
		const char *f = strstr(m, "failed: ");
		if (f && (size_t)(f - m) < strcspn(m, "\n"))
			m = f + 8;
		pg_set_err(e, m);
		pg_close(c);
		return -1;
	}
	PQsetNoticeProcessor(c->conn, pg_quiet, NULL);
	c->read_only = o->read_only;
	if (pg_session(c, e) < 0) {
		pg_close(c);
		return -1;
	}
	c->wait_ms = o->wait_ms > 0 ? o->wait_ms : STORE_WAIT_DEFAULT_MS;
	c->plan = xstrdup(o->plan_id ? o->plan_id : "");
	c->waiting = o->waiting;
	c->waiting_ctx = o->ctx;
	*out = c;
	return 0;
}

/* A schema script without SQLite's " WITHOUT ROWID" (store-sql.c). */
static char *pg_script(const char *sql)
{
	static const char word[] = " WITHOUT ROWID";
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	while ((p = strstr(sql, word))) {
		strbuf_add(&sb, sql, (size_t)(p - sql));
		sql = p + sizeof(word) - 1;
	}
	strbuf_addstr(&sb, sql);
	return strbuf_detach(&sb);
}

static int pg_exec(void *conn, const char *sql, struct err *e)
{
	struct pg_conn *c = conn;
	char *text = pg_script(sql);
	PGresult *r = PQexec(c->conn, text);
	ExecStatusType st = PQresultStatus(r);
	free(text);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return pg_res_err(c, r, e);
	PQclear(r);
	return 0;
}

/*
 * The server went away while we held no transaction (a restart, a failover,
 * an idle connection cut during a long deploy): nothing is lost, so connect
 * again, once. The old session's prepared statements went with it.
 */
static bool pg_reconnect(void *conn)
{
	struct pg_conn *c = conn;

	if (PQstatus(c->conn) == CONNECTION_OK) {
		/* after a failure only: a session the server ended may not look
		 * closed yet (its FATAL read, not the end of the socket), so ask */
		PGresult *r = PQexec(c->conn, "");
		ExecStatusType st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_EMPTY_QUERY || PQstatus(c->conn) == CONNECTION_OK)
			return false;
	}
	PQreset(c->conn);
	c->reconnect_failed = PQstatus(c->conn) != CONNECTION_OK;
	if (c->reconnect_failed)
		return false;
	{
		struct err ignored;
		err_init(&ignored);
		if (pg_session(c, &ignored) < 0)
			return false;
	}
	for (size_t i = 0; i < c->nstmts; i++)
		c->stmts[i].prepared = false;
	return true;
}

static void pg_rollback(void *conn);

/*
 * The other sessions in a transaction on this database, oldest first: one of
 * them holds what we wait for (the write lock or a row). "session 4242
 * (tollgate, user tg, local, in a transaction for 45 s: LOCK TABLE …)".
 * Runs outside any transaction of ours.
 */
static void pg_holders(struct pg_conn *c, struct strbuf *out)
{
	PGresult *r = PQexec(c->conn,
			     "SELECT pid, application_name, usename, coalesce(host(client_addr), 'local'),"
			     " extract(epoch FROM now() - xact_start)::bigint, left(query, 80)"
			     " FROM pg_stat_activity WHERE datname = current_database()"
			     " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
			     " ORDER BY xact_start LIMIT 3");
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		for (int i = 0; i < PQntuples(r); i++) {
			strbuf_addf(out, "%ssession %s (", i ? ", " : "", PQgetvalue(r, i, 0));
			strbuf_add_scrubbed(out, PQgetvalue(r, i, 1), false);
			strbuf_addstr(out, ", user ");
			strbuf_add_scrubbed(out, PQgetvalue(r, i, 2), false);
			strbuf_addf(out, ", %s, in a transaction for %s s: ", PQgetvalue(r, i, 3),
				    PQgetvalue(r, i, 4));
			strbuf_add_scrubbed(out, PQgetvalue(r, i, 5), false);
			strbuf_addch(out, ')');
		}
	}
	PQclear(r);
}

/* BEGIN a write transaction whose lock waits end after ms. */
static int pg_begin_write(struct pg_conn *c, int64_t ms, struct err *e)
{
	char sql[256];
	snprintf(sql, sizeof(sql),
		 "BEGIN ISOLATION LEVEL READ COMMITTED; SET LOCAL lock_timeout = %lld;"
		 " SELECT pg_advisory_xact_lock(" PG_WRITE_LOCK_KEY ")",
		 (long long)ms);
	return pg_exec(c, sql, e);
}

#define PG_NOTICE_MS 1000

/*
 * A write takes the advisory write lock, waiting at most wait_ms (and so do
 * the row locks it meets later: lock_timeout stays set for the transaction).
 * With a listener, the first second is waited apart so that a longer wait
 * can be reported once, naming the sessions that may hold the lock.
 */
static int pg_begin(void *conn, bool write, struct err *e)
{
	struct pg_conn *c = conn;
	char sql[128];
	int64_t first_ms = c->wait_ms;
	struct err first;

	err_init(&first);
	/* a read waits for a table lock (a DBA's LOCK TABLE, a migration) no
	 * longer than a write would */
	snprintf(sql, sizeof(sql),
		 "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL lock_timeout = %lld",
		 (long long)c->wait_ms);
	if (!write) {
		if (pg_exec(c, sql, &first) == 0)
			return 0;
		if (pg_reconnect(c))
			return pg_exec(c, sql, e);
		err_copy(e, &first);
		return -1;
	}
	if (c->waiting && c->wait_ms > PG_NOTICE_MS)
		first_ms = PG_NOTICE_MS;
	if (pg_begin_write(c, first_ms, &first) == 0)
		return 0;
	if (err_is(&first, REASON_BUSY)) {
		struct strbuf who = STRBUF_INIT;
		char d[32];
		pg_rollback(c);
		if (first_ms < c->wait_ms) {
			pg_holders(c, &who);
			c->waiting(c->waiting_ctx, who.len ? who.buf : "another session");
			strbuf_reset(&who);
			err_init(&first);
			if (pg_begin_write(c, c->wait_ms - first_ms, &first) == 0) {
				strbuf_release(&who);
				return 0;
			}
			if (!err_is(&first, REASON_BUSY)) {
				strbuf_release(&who);
				err_copy(e, &first);
				return -1;
			}
			pg_rollback(c);
		}
		pg_holders(c, &who);
		util_fmt_duration((c->wait_ms + 999) / 1000, d, sizeof(d));
		err_setr(e, ERR_FAILED, REASON_BUSY,
			 "the store's write lock is held by %s and stayed held for %s; wait for it "
			 "to finish, or wait longer with TOLLGATE_STORE_WAIT",
			 who.len ? who.buf : "another session", d);
		strbuf_release(&who);
		return -1;
	}
	if (pg_reconnect(c))
		return pg_begin_write(c, c->wait_ms, e);
	err_copy(e, &first);
	return -1;
}

static int pg_commit(void *conn, struct err *e)
{
	struct pg_conn *c = conn;
	if (pg_exec(c, "COMMIT", e) < 0) {
		PQclear(PQexec(c->conn, "ROLLBACK"));
		return -1;
	}
	return 0;
}

static void pg_rollback(void *conn)
{
	struct pg_conn *c = conn;
	if (PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		PQclear(PQexec(c->conn, "ROLLBACK"));
}

/* Is p at the placeholder `:plan` (not a longer name)? */
static bool at_plan(const char *p)
{
	return !strncmp(p, ":plan", 5) && !isalnum((unsigned char)p[5]) && p[5] != '_';
}

/* `?` -> `$n` and `:plan` -> `$N+1` (N: the number of `?`), leaving quoted
 * strings and identifiers alone. */
static char *pg_rewrite(const char *sql, bool *has_plan)
{
	struct strbuf sb = STRBUF_INIT;
	int n = 0, count = 0;
	char quote = 0;

	for (int pass = 0; pass < 2; pass++) {
		*has_plan = false;
		for (const char *p = sql; *p; p++) {
			if (quote) {
				if (*p == quote)
					quote = 0;
				if (pass)
					strbuf_addch(&sb, *p);
			} else if (*p == '\'' || *p == '"') {
				quote = *p;
				if (pass)
					strbuf_addch(&sb, *p);
			} else if (*p == '?') {
				if (pass)
					strbuf_addf(&sb, "$%d", ++n);
				else
					count++;
			} else if (at_plan(p)) {
				*has_plan = true;
				if (pass)
					strbuf_addf(&sb, "$%d", count + 1);
				p += 4;
			} else if (pass) {
				strbuf_addch(&sb, *p);
			}
		}
	}
	return strbuf_detach(&sb);
}

/* sql's cache entry (with its $n text); *fresh, when asked, says whether it
 * was just made. */
static struct pg_stmt *pg_stmt_of(struct pg_conn *c, const char *sql, bool *fresh)
{
	struct pg_stmt *st;
	if (fresh)
		*fresh = false;
	for (size_t i = 0; i < c->nstmts; i++)
		if (c->stmts[i].sql == sql)
			return &c->stmts[i];
	ALLOC_GROW(c->stmts, c->nstmts + 1, c->alloc);
	st = &c->stmts[c->nstmts];
	memset(st, 0, sizeof(*st));
	st->sql = sql;
	st->text = pg_rewrite(sql, &st->has_plan);
	snprintf(st->name, sizeof(st->name), "tg%zu", c->nstmts);
	c->nstmts++;
	if (fresh)
		*fresh = true;
	return st;
}

/* Run sql: unprepared the first time, prepared from the second on. */
static PGresult *pg_run(struct pg_conn *c, const char *sql, int nparams, const char *const *vals,
			struct err *e)
{
	bool fresh;
	struct pg_stmt *st = pg_stmt_of(c, sql, &fresh);
	PGresult *r;

	if (fresh)
		return PQexecParams(c->conn, st->text, nparams, NULL, vals, NULL, NULL, 0);
	if (!st->prepared) {
		r = PQprepare(c->conn, st->name, st->text, 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			pg_res_err(c, r, e);
			return NULL;
		}
		PQclear(r);
		st->prepared = true;
	}
	return PQexecPrepared(c->conn, st->name, nparams, vals, NULL, NULL, 0);
}

/* Call fn for each row of r; its non-zero value stops. */
static int64_t pg_rows(PGresult *r, store_row_fn fn, void *ctx)
{
	struct store_val cols[PG_MAX_COLS];
	int nrows = PQntuples(r), ncol = PQnfields(r);
	if (!fn)
		return 0;
	if (ncol > PG_MAX_COLS)
		BUG("query with %d columns", ncol);
	for (int i = 0; i < nrows; i++) {
		struct store_row row = { ncol, cols };
		int64_t ret;
		for (int j = 0; j < ncol; j++) {
			if (PQgetisnull(r, i, j)) {
				cols[j] = sv_null();
			} else {
				cols[j].type = SV_TEXT;
				cols[j].s = PQgetvalue(r, i, j);
				cols[j].len = (size_t)PQgetlength(r, i, j);
				cols[j].i = 0;
			}
		}
		ret = fn(ctx, &row);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * A huge result (the audit log): one query in single-row mode, so the server
 * keeps sending while we hash, with no round trip per batch and constant
 * memory. When fn stops early, the rest is cancelled and drained.
 */
static int64_t pg_stream(struct pg_conn *c, const char *sql, int nparams, const char *const *vals,
			 store_row_fn fn, void *ctx, struct err *e)
{
	bool own = PQtransactionStatus(c->conn) == PQTRANS_IDLE;
	const char *text = pg_stmt_of(c, sql, NULL)->text;
	int64_t ret = 0;
	bool failed = false, delivered = false;
	PGresult *r;

again:
	if (!PQsendQueryParams(c->conn, text, nparams, NULL, vals, NULL, NULL, 0)) {
		if (own && pg_reconnect(c)) {
			own = false;
			goto again;
		}
		return pg_set_err(e, PQerrorMessage(c->conn));
	}
	PQsetSingleRowMode(c->conn);
	while ((r = PQgetResult(c->conn))) {
		switch (PQresultStatus(r)) {
		case PGRES_SINGLE_TUPLE:
			delivered = true;
			if (!ret && !failed) {
				ret = pg_rows(r, fn, ctx);
				if (ret) {
					PGcancel *cn = PQgetCancel(c->conn);
					char buf[256];
					if (cn) {
						PQcancel(cn, buf, sizeof(buf));
						PQfreeCancel(cn);
					}
				}
			}
			break;
		case PGRES_TUPLES_OK:
			break;
		default:
			/* after a cancel we asked for, the error is ours */
			if (!ret && !failed) {
				pg_set_err(e, PQresultErrorMessage(r));
				failed = true;
			}
			break;
		}
		PQclear(r);
	}
	/* a query of its own that found the server gone: once more, anew */
	if (failed && own && !delivered && pg_reconnect(c)) {
		own = false;
		failed = false;
		goto again;
	}
	return failed ? -1 : ret;
}

/* Parameters as libpq takes them: text, NULL for SQL NULL. */
struct pg_params {
	const char *small_vals[33];
	char small_nums[32][24];
	const char **vals;
	char (*nums)[24];
	int n; /* with :plan */
};

/* params, then the plan id when the statement has :plan */
static void pg_params_set(struct pg_params *pp, const struct pg_conn *c, const char *sql,
			  const struct store_val *params, int nparams)
{
	bool plan = pg_stmt_of((struct pg_conn *)c, sql, NULL)->has_plan;
	pp->vals = pp->small_vals;
	pp->nums = pp->small_nums;
	pp->n = nparams + (plan ? 1 : 0);
	if (nparams > 32) {
		pp->vals = xcalloc((size_t)nparams + 1, sizeof(*pp->vals));
		pp->nums = xcalloc((size_t)nparams, sizeof(*pp->nums));
	}
	if (plan)
		pp->vals[nparams] = c->plan;
	for (int i = 0; i < nparams; i++) {
		if (params[i].type == SV_INT) {
			snprintf(pp->nums[i], sizeof(pp->nums[i]), "%" PRId64, params[i].i);
			pp->vals[i] = pp->nums[i];
		} else {
			pp->vals[i] = params[i].type == SV_TEXT ? params[i].s : NULL;
		}
	}
}

static void pg_params_release(struct pg_params *pp)
{
	if (pp->vals != pp->small_vals) {
		free(pp->vals);
		free(pp->nums);
	}
}

static int64_t pg_query(void *conn, const char *sql, const struct store_val *params, int nparams,
			unsigned flags, store_row_fn fn, void *ctx, struct err *e)
{
	struct pg_conn *c = conn;
	struct pg_params pp;
	const char **vals;
	int64_t ret = 0;
	bool own;
	PGresult *r;

	pg_params_set(&pp, c, sql, params, nparams);
	vals = pp.vals;
	nparams = pp.n;
	/* outside a transaction every statement of ours is a read */
	own = PQtransactionStatus(c->conn) == PQTRANS_IDLE;
	if (flags & SQ_STREAM) {
		ret = pg_stream(c, sql, nparams, vals, fn, ctx, e);
		goto out;
	}
	r = pg_run(c, sql, nparams, vals, e);
	if (own && PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK &&
	    pg_reconnect(c)) {
		PQclear(r); /* the session was gone: once more on a new one */
		r = pg_run(c, sql, nparams, vals, e);
	}
	if (!r) {
		ret = -1;
		goto out;
	}
	switch (PQresultStatus(r)) {
	case PGRES_TUPLES_OK:
		ret = pg_rows(r, fn, ctx);
		PQclear(r);
		break;
	case PGRES_COMMAND_OK:
		ret = strtoll(PQcmdTuples(r), NULL, 10);
		PQclear(r);
		break;
	default:
		ret = pg_res_err(c, r, e);
		break;
	}
out:
	pg_params_release(&pp);
	return ret;
}

/*
 * Read queries in one pipeline: every query sent, then one sync, then the
 * results read in order, so a snapshot of many tables costs one round trip
 * instead of one per query (plus BEGIN and COMMIT when it is its own
 * transaction).
 */
static int pg_batch(void *conn, const struct store_batch_q *q, size_t n, bool snapshot,
		    struct err *e)
{
	struct pg_conn *c = conn;
	size_t nsent = 0, total = n + (snapshot ? 2 : 0);
	bool failed = false, delivered = false;
	PGresult *r;

	if (PQtransactionStatus(c->conn) != (snapshot ? PQTRANS_IDLE : PQTRANS_INTRANS) ||
	    !PQenterPipelineMode(c->conn))
		return 1;
	for (size_t k = 0; k < total && !failed; k++) {
		const char *text;
		struct pg_params pp;
		int ok;
		if (snapshot && k == 0) {
			text = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
			ok = PQsendQueryParams(c->conn, text, 0, NULL, NULL, NULL, NULL, 0);
		} else if (snapshot && k == total - 1) {
			ok = PQsendQueryParams(c->conn, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
		} else {
			const struct store_batch_q *x = &q[k - (snapshot ? 1 : 0)];
			pg_params_set(&pp, c, x->sql, x->params, x->nparams);
			ok = PQsendQueryParams(c->conn, pg_stmt_of(c, x->sql, NULL)->text,
					       pp.n, NULL, pp.vals, NULL, NULL, 0);
			pg_params_release(&pp);
		}
		if (!ok) {
			pg_set_err(e, PQerrorMessage(c->conn));
			failed = true;
			break;
		}
		nsent++;
	}
	if (!PQpipelineSync(c->conn) && !failed) {
		pg_set_err(e, PQerrorMessage(c->conn));
		failed = true;
	}
	/* each query's results, then NULL; then the sync */
	for (size_t k = 0; k < nsent; k++) {
		const struct store_batch_q *x =
			snapshot && (k == 0 || k == total - 1) ? NULL : &q[k - (snapshot ? 1 : 0)];
		while ((r = PQgetResult(c->conn))) {
			ExecStatusType st = PQresultStatus(r);
			if (st == PGRES_TUPLES_OK) {
				if (x && !failed) {
					delivered = delivered || PQntuples(r) > 0;
					pg_rows(r, x->fn, x->ctx);
				}
			} else if (st != PGRES_COMMAND_OK && !failed) {
				pg_set_err(e, st == PGRES_PIPELINE_ABORTED ? PQerrorMessage(c->conn)
									   : PQresultErrorMessage(r));
				failed = true;
			}
			PQclear(r);
		}
	}
	while ((r = PQgetResult(c->conn))) {
		ExecStatusType st = PQresultStatus(r);
		PQclear(r);
		if (st == PGRES_PIPELINE_SYNC)
			break;
	}
	if (!PQexitPipelineMode(c->conn) && !failed) {
		pg_set_err(e, PQerrorMessage(c->conn));
		failed = true;
	}
	if (failed && snapshot && !delivered && pg_reconnect(c))
		return 1; /* the caller runs them again, one by one, on the new session */
	if (failed && snapshot)
		pg_rollback(c);
	return failed ? -1 : 0;
}

/* "the owner of its tables is role tollgate" (meta's, else the database's) */
static void pg_owner(void *conn, struct strbuf *out)
{
	struct pg_conn *c = conn;
	PGresult *r = PQexec(c->conn,
			     "SELECT coalesce((SELECT tableowner FROM pg_catalog.pg_tables"
			     " WHERE schemaname = current_schema() AND tablename = 'meta'),"
			     " (SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database"
			     " WHERE datname = current_database()))");
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
		strbuf_addstr(out, "the owner of its tables is role ");
		strbuf_add_scrubbed(out, PQgetvalue(r, 0, 0), false);
	}
	PQclear(r);
}

static void pg_set_plan(void *conn, const char *plan)
{
	struct pg_conn *c = conn;
	free(c->plan);
	c->plan = xstrdup(plan ? plan : "");
}

/*
 * A failure whose session is lost is worded as such, naming the server,
 * whatever statement met it first: "server closed the connection
 * unexpectedly" alone does not say what happened. When connecting again
 * failed too (the server stopped, crashed or is out of reach) the server is
 * gone, and what connecting said is added. (No reconnect here: the store's
 * own retry of a coordination write asks pg_reconnect, which must find the
 * session lost.)
 */
static int pg_failed_at(struct pg_conn *c, bool commit, struct err *e)
{
	char first[400], again[400];
	const char *m, *f;
	size_t n;

	if (PQstatus(c->conn) != CONNECTION_BAD || e->code == ERR_NONE || err_is(e, REASON_BUSY))
		return -1;
	snprintf(first, sizeof(first), "%.390s", e->msg);
	m = PQerrorMessage(c->conn);
	f = m ? strstr(m, "failed: ") : NULL;
	if (f && (size_t)(f - m) < strcspn(m, "\n"))
		m = f + 8;
	n = m ? strcspn(m, "\n") : 0;
	while (n > 0 && (m[n - 1] == ' ' || m[n - 1] == '\r'))
		n--;
	snprintf(again, sizeof(again), "%.*s", (int)n, m ? m : "");
	if (commit)
		/* the COMMIT was sent: it may have landed before the session
		 * ended (the store reads the log back when it can) */
		snprintf(e->msg, sizeof(e->msg),
			 "the session with the PostgreSQL server %s:%s was lost at COMMIT (%s); "
			 "this change may or may not have been written: 'tollgate log' shows "
			 "whether it was",
			 PQhost(c->conn) ? PQhost(c->conn) : "?",
			 PQport(c->conn) ? PQport(c->conn) : "?", first);
	else if (!c->reconnect_failed)
		snprintf(e->msg, sizeof(e->msg),
			 "the session with the PostgreSQL server %s:%s was lost (%s); nothing of "
			 "this change was written; try again",
			 PQhost(c->conn) ? PQhost(c->conn) : "?",
			 PQport(c->conn) ? PQport(c->conn) : "?", first);
	else
		snprintf(e->msg, sizeof(e->msg),
			 "the PostgreSQL server %s:%s is gone (%s%s%s); start it again or check "
			 "the network, then try again",
			 PQhost(c->conn) ? PQhost(c->conn) : "?",
			 PQport(c->conn) ? PQport(c->conn) : "?", first,
			 again[0] && strcmp(again, first) ? "; connecting again: " : "",
			 again[0] && strcmp(again, first) ? again : "");
	e->reason = REASON_IO;
	return -1;
}

static int pg_failed(struct pg_conn *c, struct err *e)
{
	return pg_failed_at(c, false, e);
}

static int pgv_begin(void *conn, bool write, struct err *e)
{
	return pg_begin(conn, write, e) < 0 ? pg_failed(conn, e) : 0;
}

static int pgv_commit(void *conn, struct err *e)
{
	return pg_commit(conn, e) < 0 ? pg_failed_at(conn, true, e) : 0;
}

static int pgv_exec(void *conn, const char *sql, struct err *e)
{
	return pg_exec(conn, sql, e) < 0 ? pg_failed(conn, e) : 0;
}

static int64_t pgv_query(void *conn, const char *sql, const struct store_val *params, int nparams,
			 unsigned flags, store_row_fn fn, void *ctx, struct err *e)
{
	int64_t r = pg_query(conn, sql, params, nparams, flags, fn, ctx, e);
	if (r == -1 && e->code != ERR_NONE)
		pg_failed(conn, e);
	return r;
}

static int pgv_batch(void *conn, const struct store_batch_q *q, size_t n, bool snapshot,
		     struct err *e)
{
	int r = pg_batch(conn, q, n, snapshot, e);
	if (r < 0)
		pg_failed(conn, e);
	return r;
}

/*
 * Watching: every transaction that moves a plan's audit head sends NOTIFY
 * tollgate_audit with the plan id (sql_notify, from audit.c), delivered when
 * it commits. A watcher's session LISTENs and sleeps in poll() on its
 * socket. Its session lost (a restart, pg_terminate_backend), it connects
 * again and LISTENs again, and answers 1: what landed in between is read by
 * the caller from its last seq, so nothing is missed.
 */
#define PG_CHANNEL "tollgate_audit"

/* Notifications received for our plan (the others are dropped). */
static int pg_drain(struct pg_conn *c)
{
	PGnotify *n;
	int mine = 0;
	while ((n = PQnotifies(c->conn))) {
		if (!n->extra || !strcmp(n->extra, c->plan))
			mine++;
		PQfreemem(n);
	}
	return mine;
}

static int pg_listen(struct pg_conn *c, struct err *e)
{
	PGresult *r;
	if (PQstatus(c->conn) != CONNECTION_OK) {
		c->listening = false;
		PQreset(c->conn);
		c->reconnect_failed = PQstatus(c->conn) != CONNECTION_OK;
		if (c->reconnect_failed)
			return pg_set_err(e, PQerrorMessage(c->conn));
		for (size_t i = 0; i < c->nstmts; i++)
			c->stmts[i].prepared = false;
		if (pg_session(c, e) < 0)
			return -1;
	}
	r = PQexec(c->conn, "LISTEN " PG_CHANNEL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		pg_set_err(e, PQstatus(c->conn) == CONNECTION_OK ? PQresultErrorMessage(r)
								 : PQerrorMessage(c->conn));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	c->listening = true;
	return 0;
}

static int pg_watch(void *conn, int timeout_ms, struct err *e)
{
	struct pg_conn *c = conn;
	struct pollfd pfd;
	int rc;

	if (!c->listening || PQstatus(c->conn) != CONNECTION_OK) {
		c->listening = false;
		if (pg_listen(c, e) < 0)
			return -1;
		(void)pg_drain(c);
		return 1;
	}
	if (pg_drain(c))
		return 1;
	pfd.fd = PQsocket(c->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0)
		return 0; /* a signal: the caller looks again */
	if (rc == 0)
		return 0;
	if (!PQconsumeInput(c->conn) || PQstatus(c->conn) != CONNECTION_OK) {
		/* the session is gone: connect again now, or on the next call */
		c->listening = false;
		if (pg_listen(c, e) < 0)
			return -1;
		(void)pg_drain(c);
		return 1;
	}
	return pg_drain(c) ? 1 : 0;
}

const struct store_backend store_backend_pg = {
	.name = "postgres",
	.open = pg_open,
	.close = pg_close,
	.begin = pgv_begin,
	.commit = pgv_commit,
	.rollback = pg_rollback,
	.exec = pgv_exec,
	.query = pgv_query,
	.set_plan = pg_set_plan,
	.batch = pgv_batch,
	.reconnect = pg_reconnect,
	.owner = pg_owner,
	.sql_has_table = "SELECT count(*) FROM (SELECT to_regclass(CAST(? AS text)) AS r) AS t"
			 " WHERE r IS NOT NULL",
	.max_params = 65535,
	.users = true,
	.sql_notify = "SELECT pg_notify('" PG_CHANNEL "', :plan)",
	.skip_locked = true,
	.watch = pg_watch,
};
