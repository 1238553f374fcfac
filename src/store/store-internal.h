/*
 * store-internal.h - what the store's own files share and nobody else sees:
 * the backend vtable (SQLite's VFS / curl's vtls shape, kept at the level of
 * SQL primitives), typed parameters and rows, struct store itself, and the
 * SQL text, written once for both backends with `?` placeholders.
 */
#ifndef TOLLGATE_STORE_INTERNAL_H
#define TOLLGATE_STORE_INTERNAL_H

#include "store/store.h"

enum store_val_type { SV_NULL = 0, SV_INT, SV_TEXT };

/* A parameter or a column value. Text is not necessarily NUL-terminated in
 * rows (use len); parameters are NUL-terminated C strings. */
struct store_val {
	enum store_val_type type;
	int64_t i;
	const char *s;
	size_t len;
};

static inline struct store_val sv_text(const char *s)
{
	struct store_val v = { s ? SV_TEXT : SV_NULL, 0, s, 0 };
	return v;
}
static inline struct store_val sv_int(int64_t i)
{
	struct store_val v = { SV_INT, i, NULL, 0 };
	return v;
}
static inline struct store_val sv_null(void)
{
	struct store_val v = { SV_NULL, 0, NULL, 0 };
	return v;
}

struct store_row {
	int n;
	const struct store_val *v; /* valid during the callback only */
};
/* Return non-zero to stop the query; that value is returned by query(). */
typedef int (*store_row_fn)(void *ctx, const struct store_row *row);

/* query() flags */
enum {
	SQ_STREAM = 1 << 0, /* a huge result: streamed, constant memory */
};

/* One read query of a batch (store_backend.batch, store_read_batch). */
struct store_batch_q {
	const char *sql;
	const struct store_val *params;
	int nparams;
	store_row_fn fn; /* each row, in order; its return value is ignored */
	void *ctx;
};

struct store_backend {
	const char *name;
	/* Connect to target (a file path or a libpq URI). e->msg gets only the
	 * reason; store_open() words the message. */
	int (*open)(void **conn, const char *target, const struct store_open_opts *o,
		    struct err *e);
	void (*close)(void *conn);
	/* write: take the database-wide write lock for the whole transaction
	 * (SQLite BEGIN IMMEDIATE, PostgreSQL pg_advisory_xact_lock), so writers
	 * queue. Read transactions see one consistent snapshot. */
	int (*begin)(void *conn, bool write, struct err *e);
	int (*commit)(void *conn, struct err *e);
	void (*rollback)(void *conn);
	/* Run a script of statements without parameters (schema, pragmas). */
	int (*exec)(void *conn, const char *sql, struct err *e);
	/* Run one statement with `?` placeholders (the backend rewrites them as
	 * it needs); fn is called per row. sql's address is used as the key of a
	 * prepared-statement cache, so pass long-lived strings. Returns the
	 * number of rows changed (>= 0) or fn's non-zero value, -1 on error. */
	int64_t (*query)(void *conn, const char *sql, const struct store_val *params, int nparams,
			 unsigned flags, store_row_fn fn, void *ctx, struct err *e);
	/* Optional: run n read queries in order with as few round trips as the
	 * backend can (PostgreSQL: one pipeline); with snapshot, inside a
	 * read-only snapshot transaction of its own, else inside the open one.
	 * 0 ok, -1 error, 1 not possible here (the caller runs them one by
	 * one). NULL: the same as 1. */
	int (*batch)(void *conn, const struct store_batch_q *q, size_t n, bool snapshot,
		     struct err *e);
	/* Optional: after a failure, was the session lost, and is a new one
	 * open now? (A client-server backend; NULL: sessions are never lost.) */
	bool (*reconnect)(void *conn);
	/* Bind `:plan` to another plan id from now on (a copy); the one given
	 * at open is what every statement binds until then. */
	void (*set_plan)(void *conn, const char *plan);
	/* Optional: who owns the store, for a message saying who may write it
	 * ("user alice", "role tollgate"); nothing added when unknown. */
	void (*owner)(void *conn, struct strbuf *out);
	/* One `?`, a table name: one row, its count (0 or 1) in this store. */
	const char *sql_has_table;
	/* The largest number of parameters one statement may take. */
	int max_params;
	/* Optional: run in the transaction that moves the audit head, to wake
	 * the watchers of other sessions when it commits (PostgreSQL's NOTIFY);
	 * NULL: watchers look for themselves. */
	const char *sql_notify;
	/* Wait at most timeout_ms for a sign that another session committed
	 * (store_watch): 1 maybe, 0 nothing, -1 error. The first call (and the
	 * first after a lost session was reconnected) returns 1 at once. */
	int (*watch)(void *conn, int timeout_ms, struct err *e);
	/* The database has users of its own (sql_session_user works). */
	bool users;
	/* Rows about to be claimed are selected FOR UPDATE SKIP LOCKED
	 * (PostgreSQL): a concurrent claimer passes over them. */
	bool skip_locked;
};

extern const struct store_backend store_backend_sqlite;
extern const struct store_backend store_backend_pg;

struct store {
	const struct store_backend *be;
	void *conn;
	char *display_url;
	char *log_dir;

	bool read_only;   /* opened for reading (store_open_opts.read_only) */
	char *target;     /* what the backend opened (a path, a libpq URI) */
	struct store_open_opts opts; /* as it was opened (store_open_writer) */
	bool in_change;
	bool in_read;     /* a read transaction (snapshot) is open */
	bool in_batch;    /* a batch's write transaction is open (store_begin_batch) */
	bool batch_dirty; /* a change of the batch appended an entry: the head moves */
	bool batch_failed; /* a write outside a change failed: the batch cannot commit */
	bool renewed;      /* a lost session was replaced by a new one since the batch
			    * began, and what failed is known not to be written */
	int64_t change_now;
	char *change_actor, *change_action, *change_subject;
	struct strbuf change_detail;
	/* the change's row changes, a JSON array being built: "[" then one
	 * [name, params…] per state write that changed a row (store_write) */
	struct strbuf change_ops;
	char *auth; /* store_set_auth: recorded in every entry */
	char *plan_id; /* what :plan binds to */
	/* the audit head read under the write lock when the change began: the
	 * change's entry will be head_seq + 1, chained to head_hash */
	int64_t head_seq;
	char head_hash[65];
	int64_t head_at; /* the time of entry head_seq (0: none) */
	bool rehearsal;  /* meta 'clock' is 'rehearsal' */
	char *bulk_sql; /* multi-row audit insert, built once (stable address) */
	struct audit_hasher *hasher; /* audit.c's digest context, made on the
				      * first append */
	store_outbox_fn outbox_fn; /* store_set_outbox_hook */
	void *outbox_ctx;
};

/* Is a transaction open that a read or a coordination write joins? */
static inline bool store_in_tx(const struct store *s)
{
	return s->in_change || s->in_read || s->in_batch;
}

/* Thin wrappers used by store.c and audit.c. */
int64_t store_q(struct store *s, const char *sql, const struct store_val *p, int np,
		store_row_fn fn, void *ctx, struct err *e);
/* Run fn inside a write transaction: the open change's when there is one,
 * otherwise a fresh one committed (or rolled back on error) here. */
int store_in_write(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e), void *ctx,
		   struct err *e);

/* Run fn in a read transaction (or the open one) for one consistent view. */
int store_in_read(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e), void *ctx,
		  struct err *e);

/* -1 with ERR_USAGE unless id is a valid id ("invalid <what> '<id>': …"). */
int store_check_id(const char *what, const char *id, struct err *e);
void store_lease_from_row(struct store_lease *l, const struct store_row *r);

/* store.c: end the open change's bookkeeping (no SQL); a row of one
 * integer into *(int64_t *)ctx. */
void store_change_reset(struct store *s);
int store_int_row(void *ctx, const struct store_row *r);
/* store-open.c: the folder of a file path ("." or "/" at the ends). */
char *store_dir_of(const char *path);

/* Column helpers */
int64_t row_int(const struct store_row *r, int i);
bool row_null(const struct store_row *r, int i);
/* NUL-terminated copy into the arena; NULL for SQL NULL. */
const char *row_dup(const struct store_row *r, int i, struct arena *a);

/* audit.c: read the head into s->head_seq/head_hash (inside the write
 * transaction), and append the open change's entry (store_commit_change).
 * Inside a batch the head in meta is written once, at the batch's commit
 * (audit_write_head). */
int audit_read_head(struct store *s, struct err *e);
int audit_append(struct store *s, struct err *e);
int audit_write_head(struct store *s, struct err *e);
/* Is entry seq in the log with this hash? 1 yes, 0 no, -1 error. */
int audit_has_entry(struct store *s, int64_t seq, const char *hash, struct err *e);
/* Free what the appends kept (the digest context). */
void audit_release(struct store *s);

/* Free text as stored: valid UTF-8 (bad bytes become '?'), no NUL, at most
 * max bytes (0: no limit); with tail, the last max bytes are kept. */
void store_clean_text(struct strbuf *out, const char *s, size_t max, bool tail);

/* The SQL, written once (store-sql.c). */
extern const char *const sql_schema[]; /* sql_schema[v-1] migrates v-1 -> v */
extern const char *const sql_adopt[];  /* after v3: rows without a plan -> :plan */
extern const char sql_set_version[];
extern const char sql_meta_create[];
extern const char sql_meta_open[];
extern const char sql_meta_set_clock[];
extern const char sql_audit_at[];
extern const char sql_audit_hash_at[];
extern const char sql_audit_head[];
extern const char sql_audit_set_head[];
extern const char sql_audit_insert[];
extern const char sql_audit_all[];
extern const char sql_audit_last[];
extern const char sql_audit_count[];
extern const char sql_audit_after[];
extern const char sql_plan_meta_get[];
extern const char sql_audit_last_at[];
extern const char sql_audit_counts[];
extern const char sql_audit_plan_changes[];
extern const char sql_plans_all[];
extern const char sql_promotion_get[];
extern const char sql_promotion_all[];
extern const char sql_promotion_of[];
#define SQL_PROMOTION_OF_N 256 /* the project places of the _of statements */
extern const char sql_promotion_snap_all[]; /* 3 params (store.c) */
extern const char sql_promotion_snap_of[];  /* 3 params + SQL_PROMOTION_OF_N */
#define SQL_PROMOTION_OF_SMALL 8 /* the places of the _few statements */
extern const char sql_promotion_of_few[];
extern const char sql_promotion_snap_of_few[];
extern const char sql_rollbacks_pair[];
extern const char sql_history_get[];
extern const char sql_approval_all[];
extern const char sql_approval_version_all[];
extern const char sql_rejection_all[];
extern const char sql_tick_all[];
extern const char sql_blocker_all[];
extern const char sql_incident_next[];
extern const char sql_incident_get[];
extern const char sql_incident_all[];
extern const char sql_incident_open[];
extern const char sql_incident_one[];
extern const char sql_lease_get[];
extern const char sql_lease_put[];
extern const char sql_lease_renew[];
extern const char sql_lease_del[];
extern const char sql_lease_all[];
extern const char sql_lease_cas[];
extern const char sql_lease_push[];
extern const char sql_state_ids[];
extern const char sql_step_put[];
extern const char sql_step_list[];
extern const char sql_step_of_run[];
extern const char sql_step_durations[];
extern const char sql_session_user[]; /* backends with users only */
extern const char sql_token_add[];
extern const char sql_outbox_add[], sql_outbox_due[], sql_outbox_due_skip_locked[], sql_outbox_claim[], sql_outbox_hold[], sql_outbox_get[],
	sql_outbox_sent[], sql_outbox_failed[], sql_outbox_all[], sql_outbox_dead[],
	sql_outbox_retry[], sql_outbox_counts[],
	sql_outbox_prune[], sql_schedule_prune[], sql_outbox_next[], sql_schedule_last[], sql_schedule_mark[];
extern const char sql_token_get[];
extern const char sql_token_all[];
extern const char sql_token_revoke[];
extern const char sql_token_used[];
extern const char sql_session_add[];
extern const char sql_session_get[];
extern const char sql_session_end[];

/*
 * The registry of the statements that write state (store-sql.c, where the
 * rules are): the only way a state table is written, through store_write().
 */
enum store_write_id {
	W_PROMOTION_PUT,
	W_HISTORY_ADD,
	W_APPROVAL_ADD,
	W_APPROVAL_DEL,
	W_APPROVAL_DEL_ALL,
	W_TICK_PUT,
	W_BLOCKER_PUT,
	W_INCIDENT_ADD,
	W_INCIDENT_RESOLVE,
	W_INCIDENT_ROW,
	W_APPROVAL_RENEW,
	W_APPROVAL_VERSION_PUT,
	W_APPROVAL_VERSION_DEL,
	W_APPROVAL_VERSION_DEL_ALL,
	W_REJECTION_PUT,
	W_REJECTION_DROP_ALLOWANCES,
	W_REJECTION_UNALLOW,
	W_REJECTION_ALLOW_ENV,
	W_REJECTION_ALLOW_ALL,
	W_REJECTION_ROW,
	W_PROMOTION_MOVE_PROJECT,
	W_HISTORY_MOVE_PROJECT,
	W_INCIDENT_MOVE_PROJECT,
	W_PROMOTION_MOVE_ENV,
	W_HISTORY_MOVE_ENV,
	W_INCIDENT_MOVE_ENV,
	W_APPROVAL_MOVE_GATE,
	W_TICK_MOVE_ITEM,
	W_BLOCKER_MOVE_ID,
	W_PROMOTION_FORGET_PROJECT,
	W_HISTORY_FORGET_PROJECT,
	W_PROMOTION_FORGET_ENV,
	W_HISTORY_FORGET_ENV,
	W_APPROVAL_FORGET_GATE,
	W_TICK_FORGET_ITEM,
	W_BLOCKER_FORGET_ID,
	W_APPROVAL_VERSION_MOVE_PROJECT,
	W_APPROVAL_VERSION_MOVE_GATE,
	W_REJECTION_MOVE_PROJECT,
	W_REJECTION_MOVE_ENV,
	W_APPROVAL_VERSION_FORGET_PROJECT,
	W_APPROVAL_VERSION_FORGET_GATE,
	W_REJECTION_FORGET_PROJECT,
	W_REJECTION_FORGET_ENV,
	W_COUNT
};
struct store_write {
	const char *name; /* stable, recorded in the log: "approval.add" */
	const char *sql;
	int nparams;
};
extern const struct store_write store_writes[W_COUNT];

/* What renaming or forgetting an id of one kind runs (store-ids.c): state
 * writes of the registry, then coordination rows (leases, step runs: not
 * state, not in the log's row changes). */
struct store_id_sql {
	enum store_write_id writes[6];
	size_t nwrites;
	const char *coord[2];
	size_t ncoord;
};
extern const struct store_id_sql store_id_moves[STORE_ID_KINDS];
extern const struct store_id_sql store_id_forgets[STORE_ID_KINDS];

struct store_table {
	const char *name;     /* "approval" */
	const char *cols;     /* "gate, role, person, at": the whole row */
	int ncols, nkey;      /* the first nkey columns name a row */
	const char *rows_sql; /* SELECT cols FROM name */
	enum store_write_id row; /* writes one whole row (params = cols) */
};
extern const struct store_table store_state_tables[];
extern const size_t store_nstate_tables;

/* Run write w with its store_writes[w].nparams parameters inside the open
 * change (BUG() outside one) and record it in the change's audit entry when
 * it changed a row. Returns the rows changed, -1 on error. */
int64_t store_write(struct store *s, enum store_write_id w, const struct store_val *p,
		    struct err *e);

/* Append one row change [name, params…] to a JSON array being built in sb
 * ("[" is the caller's, and the closing "]"). */
void store_ops_add(struct strbuf *sb, const char *name, const struct store_val *p, int n);

/* replay.c: the state rebuilt from the log, in a private SQLite database. */
struct replay;
int replay_open(struct replay **out, struct err *e);
/* Apply one entry's row changes (its ops text). 0 applied; 1 they cannot be
 * read or applied (why says what); -1 error. */
int replay_entry(struct replay *r, const char *ops, size_t len, char *why, size_t whylen,
		 struct err *e);
/* Compare every state table of s (inside the caller's read transaction)
 * with the replayed one; fills out's state fields. */
int replay_compare(struct replay *r, struct store *s, struct store_verify_full *out,
		   struct err *e);
void replay_free(struct replay *r);

#endif
