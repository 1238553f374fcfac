/*
 * store.h - the live state of a plan: promotions, approvals, checklist ticks,
 * blockers, incidents, leases, step runs and the hash-chained audit log,
 * behind one interface with an SQLite and a PostgreSQL backend chosen by the
 * --db URL scheme (SPEC §7).
 *
 * Rules every caller relies on:
 *
 * - Every change of state is ONE transaction and ONE audit entry. Domain code
 *   opens a change with store_begin_change() (which takes the write lock:
 *   SQLite BEGIN IMMEDIATE, PostgreSQL an advisory transaction lock, so
 *   concurrent CLI calls queue rather than fail), calls any number of the
 *   mutators below, then store_commit_change() (writes the audit entry and
 *   commits) or store_abort_change() (rolls everything back, no entry).
 *   Mutators called with no change open are a bug (BUG() aborts): the audit
 *   row cannot be forgotten. Exceptions, documented on each: leases and step
 *   runs, which are coordination records and may also run on their own.
 * - Times are UTC seconds since the epoch and always come from the caller
 *   (the app's clock: TOLLGATE_NOW honoured); the store never reads a clock.
 * - Reads never need a change. A returned list/snapshot owns its memory
 *   (one arena) and is freed with its *_release().
 * - Errors: functions return 0 (or a documented positive status) on success
 *   and -1 with `e` filled on failure: ERR_FAILED (exit 1) for an unreachable
 *   or broken store, ERR_USAGE (exit 2) for a bad URL or bad input (an
 *   invalid id, an empty version), ERR_NOT_READY never. Nothing prints.
 * - Ids (project, env, gate, item, blocker, person) are not checked against
 *   the plan here, only for the id syntax; the domain checks the plan.
 */
#ifndef TOLLGATE_STORE_H
#define TOLLGATE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

struct plan;
struct store;

/* The schema this binary writes. A store with a higher one is refused. */
#define STORE_SCHEMA_VERSION 9

/*
 * Open the store named by url, migrating its schema (in one transaction).
 *   NULL or ""               sqlite file .tollgate/state.db beside the plan
 *                            (plan->dir, "." when plan is NULL); the folder
 *                            is created
 *   sqlite:PATH, sqlite://PATH, or a plain path ending in .db
 *   postgres://..., postgresql://...   libpq connection URI
 * Failure messages name the store with any password masked:
 *   "cannot open the store 'postgres://tg@db/x': <reason>"           (exit 1)
 *   "the store 'X' has schema version 7 but this tollgate knows 1; upgrade tollgate" (exit 1)
 *   "unknown store URL 'mysql://…'; use sqlite:PATH or postgres://…"  (exit 2)
 */
int store_open(struct store **out, const struct plan *plan, const char *url, struct err *e);

/*
 * Waiting for another writer. A write waits for the store's write lock (and
 * PostgreSQL row locks) at most wait_ms; once a wait passes a second,
 * waiting() (may be NULL) is called once with what holds the lock, so that
 * the command can say so; past wait_ms the write fails with REASON_BUSY and
 * a message naming the holder and what to do.
 */
#define STORE_WAIT_DEFAULT_MS 30000
struct store_open_opts {
	int64_t wait_ms; /* 0: STORE_WAIT_DEFAULT_MS */
	void (*waiting)(void *ctx, const char *holder);
	void *ctx;
	/* a store created by this open is a rehearsal store (the app's clock
	 * is TOLLGATE_NOW); an existing store keeps what it was made as */
	bool rehearsal;
	/* open only a store that is there, at this binary's schema version:
	 * nothing is created or migrated, and store_open_with returns 1 (with
	 * *out NULL) for one that is not (validate's look at the state); it is
	 * opened read only */
	bool existing_only;
	/*
	 * Read only (status, why, next, log, report, promote --dry-run): the
	 * store is opened so that it cannot be written (SQLite read-only, a
	 * PostgreSQL session with default_transaction_read_only), and works
	 * where its user may only read it, or where its disk is full. A change,
	 * a batch or a coordination write on it is a bug (BUG()). A store that
	 * is missing or has an older schema is made or upgraded first by a
	 * writer connection of its own when this user may write it; otherwise
	 * store_open fails saying why, and who may.
	 */
	bool read_only;
	/* set by store_open_with from the plan: leave them */
	const char *plan_id;
	unsigned file_mode; /* plan_file_mode(): a new SQLite store's mode */
	unsigned dir_mode;  /* plan_dir_mode() */
	bool enforce_mode;  /* store_mode was written: an existing store of ours
			     * (and its -wal, -shm) is brought to file_mode */
};
int store_open_with(struct store **out, const struct plan *plan, const char *url,
		    const struct store_open_opts *o, struct err *e);
void store_close(struct store *s); /* NULL is fine; aborts an open change */
/* Was it opened read only (store_open_opts.read_only)? */
bool store_read_only(const struct store *s);
/* A writer on the same store as s (one opened read only), for what a reader
 * must have written first (the plan's `moved` carried over): *out is the
 * caller's to close; -1 with e saying why it cannot be written
 * (REASON_FORBIDDEN: this user or role may only read it). */
int store_open_writer(const struct store *s, struct store **out, struct err *e);

/* "sqlite" or "postgres" */
const char *store_backend_name(const struct store *s);
/* Was the store created as a rehearsal store (store_open_opts.rehearsal)?
 * Kept in its meta table ('clock': 'rehearsal' or 'real'); a store made
 * before tollgate kept it is a real one. */
bool store_is_rehearsal(const struct store *s);
/* The database user the session runs as (PostgreSQL: session_user), for
 * `identity: db`: 0 with *out a copy (the caller frees it), or NULL for a
 * store with no users of its own (SQLite); -1 when it cannot be read. */
int store_session_user(struct store *s, char **out, struct err *e);
/* The URL as shown to users (password masked). Owned by the store. */
const char *store_display_url(const struct store *s);
/* The folder beside which run logs are kept: the sqlite file's folder, or
 * .tollgate beside the plan for PostgreSQL. Owned by the store. */
const char *store_log_dir(const struct store *s);

/*
 * Who is authenticated, and how, for every audit entry from now on:
 * "os:alice@host", "db:alice", "claim:carol" (main.c sets it once after
 * opening). Copied; NULL or never set: "".
 */
void store_set_auth(struct store *s, const char *auth);

/* ---- changes ------------------------------------------------------------ */

/*
 * Begin a change made by `actor` (a people id, "ci", "tollgate" for automatic
 * actions) at time `now`; a `now` before the time of the log's last entry
 * (the clock went back) is taken as that time, so the log's times never go
 * backwards and the rows the change writes carry the entry's time. action is a dotted verb ("record", "approve",
 * "promotion.deploying", "incident.open" …), subject what it acts on
 * ("backend_public@sit", "gate-3", "42"), detail free text (may be NULL or
 * be set later with store_change_detail). Strings are copied.
 * Only one change may be open per store. -1 on failure (nothing open then).
 * Inside a batch (below) the change joins the batch's transaction.
 */
int store_begin_change(struct store *s, int64_t now, const char *actor, const char *action,
		       const char *subject, const char *detail, struct err *e);
/* Replace the subject of the open change. */
void store_change_subject(struct store *s, const char *subject);
/* Replace the detail of the open change (printf-style). */
void store_change_detail(struct store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append the audit entry and commit (inside a batch: append only; the batch
 * commits). On failure the change is rolled back and closed. *seq_out (may
 * be NULL) gets the entry's seq. */
int store_commit_change(struct store *s, int64_t *seq_out, struct err *e);
/* Roll back and close the open change; no audit entry. No-op when none. */
void store_abort_change(struct store *s);
bool store_in_change(const struct store *s);

/*
 * A batch: several changes in ONE transaction (group commit). Between
 * store_begin_batch and store_commit_batch every change still makes its own
 * audit entry, chained in order, but nothing of them is durable (or seen by
 * others) before store_commit_batch; the write lock is held throughout. Inside
 * a batch, store_commit_change only appends its entry, and store_abort_change
 * undoes only that change's writes (a savepoint). Leases and step runs
 * written outside a change join the batch. One batch at a time per store;
 * no change may be open when it begins or commits (BUG()).
 * store_begin_batch: -1 on failure (nothing open then).
 * store_commit_batch: -1 on failure. A session lost at the COMMIT of a
 * batch with entries is settled on a new session by reading the log back:
 * 0 when it landed, -1 when it did not.
 * store_abort_batch: undo the whole batch (no-op when none is open).
 */
int store_begin_batch(struct store *s, struct err *e);
int store_commit_batch(struct store *s, struct err *e);
void store_abort_batch(struct store *s);
bool store_in_batch(const struct store *s);
/*
 * After a batch failed (aborted, or store_commit_batch -1): true when it
 * failed because the store's session was lost (a server restart, a
 * failover, a cut connection), a new session is open now, and none of the
 * batch's changes were written, so the caller may make them again, once,
 * in a new batch. (The leases and step runs written outside a change may
 * have landed when the COMMIT was lost; writing them again is harmless.)
 * False for any other failure, and always for a store without sessions.
 */
bool store_batch_lost(struct store *s);

/* ---- promotions (SPEC §2) ---------------------------------------------- */

enum store_state {
	STATE_NONE = 0,
	STATE_DEPLOYING,
	STATE_VERIFYING,
	STATE_SOAKING,
	STATE_HEALTHY,
	STATE_ROLLED_BACK,
	STATE_FAILED,
	STATE_INTERRUPTED,
};
/* "none", "deploying", … "rolled-back", "interrupted". */
const char *store_state_name(enum store_state st);
/* 0 ok, -1 unknown name. */
int store_state_parse(const char *name, enum store_state *out);

/* The promotion of one project in one environment. A pair never written
 * reads as state STATE_NONE with every string NULL and times 0. */
struct store_promotion {
	const char *project, *env;
	enum store_state state;
	const char *version;          /* what is (or is being) deployed; NULL none */
	const char *previous_version; /* what was live before; NULL none */
	int64_t since;                /* when it entered this state */
	const char *run_id;           /* the run that set it; NULL for record */
	int64_t soak_until;           /* end of soak when soaking; 0 none */
	const char *detail;           /* last reason (a failure, a rollback) */
	int64_t seq;                  /* audit seq of the change that set it */
	/* read by store_snapshot_opts only (0 / NULL elsewhere): */
	int rollbacks;        /* rolled-back pair: rollbacks since last soaking/healthy */
	const char *log_path; /* the pair's last step log (opts->logs) */
};

/*
 * Write the promotion of (p->project, p->env) whole (state, version,
 * previous_version, run_id, soak_until, detail; since := the change's now)
 * and append it to that pair's history. Needs an open change.
 */
int store_set_promotion(struct store *s, const struct store_promotion *p, struct err *e);

/* Read one promotion. Strings point into `arena`, which the caller owns
 * (arena_init'ed; freed with arena_release). Never-written pairs read NONE. */
int store_get_promotion(struct store *s, const char *project, const char *env,
			struct store_promotion *out, struct arena *arena, struct err *e);

/*
 * Record `version` healthy in env for project (SPEC `record`): one change,
 * action "record", subject "PROJECT@ENV". previous_version := the version
 * that was there (unless it is the same). Returns 0 recorded, 1 when that
 * version is healthy there already (nothing written, no audit entry: a
 * repeated action holds), -1 ERR_USAGE on an invalid project/env id or an
 * empty version / one with whitespace.
 */
int store_record_version(struct store *s, int64_t now, const char *actor, const char *project,
			 const char *env, const char *version, struct err *e);
struct store_record {
	const char *project;
	const char *version;
	int line; /* source line for messages, 0 none */
};
/* Is v a version the store takes (not empty, at most 200 bytes, no control
 * character, no surrounding space)? 0, or -1 ERR_USAGE saying why. */
int store_check_version(const char *v, struct err *e);
/* The same for n projects in one env, in ONE transaction and one audit entry
 * (action "record", subject "ENV", detail "N versions: p=v, …"). If any one
 * is invalid nothing is written; the message names its line when given.
 * Versions healthy there already are skipped: returns how many were (n:
 * nothing written, no audit entry), or -1. */
int store_record_versions(struct store *s, int64_t now, const char *actor, const char *env,
			  const struct store_record *v, size_t n, struct err *e);
/* The same, the audit detail ending "; imported from FROM" (import --state). */
int store_record_imported(struct store *s, int64_t now, const char *actor, const char *env,
			  const struct store_record *v, size_t n, const char *from, struct err *e);

/* ---- approvals, ticks, blockers, incidents ------------------------------ */

struct store_approval {
	const char *gate, *role, *person;
	int64_t at;
};
/* Add (idempotent: an existing one keeps its time) / remove the approval of
 * gate by person for role. Need an open change. store_revoke with role NULL
 * removes all of person's approvals of gate. *changed (may be NULL) says
 * whether a row was added/removed. */
int store_approve(struct store *s, const char *gate, const char *role, const char *person,
		  bool *changed, struct err *e);
int store_revoke(struct store *s, const char *gate, const char *role, const char *person,
		 bool *changed, struct err *e);
/* The approval of gate by person for role given again: its time := the
 * change's now. Needs an open change. */
int store_approval_renew(struct store *s, const char *gate, const char *role, const char *person,
			 struct err *e);
/* What an approval covers (a gate with `scope: versions`): project's
 * candidate version when it was given; at := the change's now. Replaces what
 * the approval covered for project. store_revoke drops these with the
 * approval. Needs an open change; ERR_USAGE for a bad id or version. */
struct store_approval_version {
	const char *gate, *role, *person, *project, *version;
	int64_t at;
};
int store_approval_cover(struct store *s, const char *gate, const char *role, const char *person,
			 const char *project, const char *version, struct err *e);

/* ---- rejected versions (issue 9) ----------------------------------------- */

/* env of a rejection that holds in every environment */
#define STORE_EVERY_ENV "*"
struct store_rejection {
	const char *project, *version;
	const char *env;    /* an environment, or STORE_EVERY_ENV */
	const char *kind;   /* "rolled-back", "failed", "rejected"; "allowance": only
			     * allows the version in env against a STORE_EVERY_ENV row */
	const char *reason; /* may be NULL */
	const char *by;     /* person id or actor; may be NULL */
	int64_t at;
	/* allowed again by a person: allowed_at > 0 */
	const char *allowed_by, *allowed_reason;
	int64_t allowed_at;
};
/* Reject r->version of r->project in r->env (NULL or STORE_EVERY_ENV: in every
 * environment; then every allowance of that version is dropped too, so it is
 * rejected everywhere): kind, reason, by; at := the change's now; any earlier
 * allowance of the row is cleared. Needs an open change; ERR_USAGE for a bad
 * id or version. */
int store_reject(struct store *s, const struct store_rejection *r, struct err *e);
/* Allow version of project again in env (NULL: every row of that version,
 * wherever it was rejected): allowed_by, allowed_reason, allowed_at := the
 * change's now. In one env with no row of its own, an allowance row is added
 * (it overrides a STORE_EVERY_ENV rejection there). Needs an open change. */
int store_allow(struct store *s, const char *project, const char *version, const char *env,
		const char *by, const char *reason, struct err *e);

enum store_tick_source { TICK_MANUAL = 0, TICK_CHECK = 1 };
struct store_tick {
	const char *item;
	bool done;
	const char *by;   /* person id, or "check" */
	int64_t at;
	const char *note; /* may be NULL */
	enum store_tick_source source;
	int exit_status;  /* for TICK_CHECK: the check's exit status; -1 none */
	const char *output_tail; /* for TICK_CHECK: last bytes of its output; may be NULL */
};
/* Write the tick of t->item (done or not, with its evidence); at := the
 * change's now. Needs an open change. output_tail is truncated to 4 KiB. */
int store_set_tick(struct store *s, const struct store_tick *t, struct err *e);

struct store_blocker {
	const char *id;
	int progress; /* 0..100 */
	bool resolved;
	const char *by;
	int64_t at;
	const char *note;
};
/* Write blocker state; it overrides the plan's initial progress from now on.
 * at := the change's now. Needs an open change. ERR_USAGE for progress out
 * of 0..100. */
int store_set_blocker(struct store *s, const struct store_blocker *b, struct err *e);

struct store_incident {
	int64_t id; /* 1, 2, … assigned by the store */
	int level;  /* 1..3 */
	const char *env;
	const char *project; /* NULL: not about one project */
	const char *text;
	const char *opened_by;
	int64_t opened_at;
	int64_t resolved_at; /* 0: open */
	const char *resolved_by;
};
/* Open an incident (opened_at := the change's now); *id_out gets its id.
 * Needs an open change. ERR_USAGE for level outside 1..3 or empty text. */
int store_open_incident(struct store *s, int level, const char *env, const char *project,
			const char *text, const char *opened_by, int64_t *id_out, struct err *e);
/* Resolve it. Returns 0 done, 1 no such incident, 2 already resolved (e
 * untouched for 1 and 2). Needs an open change. */
int store_resolve_incident(struct store *s, int64_t id, const char *by, struct err *e);

struct store_incidents {
	struct arena arena;
	size_t n;
	struct store_incident *v;
};
/* The open incidents of level >= min_level, by id: a cheap read (no
 * snapshot) for a runner checking for a pause between steps. out is
 * initialised here; release it. */
int store_open_incidents(struct store *s, int min_level, struct store_incidents *out,
			 struct err *e);
void store_incidents_release(struct store_incidents *l);
/* Incident id, open or resolved: out->n is 1 (out->v[0]) or 0 when there
 * is none. out is initialised here; release it. */
int store_incident_by_id(struct store *s, int64_t id, struct store_incidents *out, struct err *e);

/* ---- ids the state names: renames in the plan (issue 9 item 4) ---------- */

enum store_id_kind {
	STORE_ID_PROJECT,
	STORE_ID_ENV,
	STORE_ID_GATE,
	STORE_ID_ITEM,
	STORE_ID_BLOCKER,
	STORE_ID_KINDS
};
/*
 * Call fn for each distinct id the state names, by kind: the projects and
 * environments of promotions, the gates of approvals, the ticked items, the
 * blockers changed (id is valid during the call only). One query, cheap
 * enough for every command (the check for state the plan no longer has),
 * in one read transaction, or the open one. fn returns non-zero to stop
 * (returned as is); -1 on error.
 */
typedef int (*store_id_fn)(void *ctx, enum store_id_kind kind, const char *id);
int store_each_state_id(struct store *s, store_id_fn fn, void *ctx, struct err *e);
/*
 * Rename id `from` of kind to `to` in every row that names it: for a
 * project or an environment its promotions, their history, leases, step
 * runs and incidents; for a gate its approvals; for an item its tick; for a
 * blocker its progress. Needs an open change; the caller checks that `to`
 * holds no state (a clash fails and the change must be aborted). *rows (may
 * be NULL) gets the number of rows changed, in every table.
 */
int store_move_id(struct store *s, enum store_id_kind kind, const char *from, const char *to,
		  int64_t *rows, struct err *e);
/*
 * Drop the state of id: a project's or environment's promotions, their
 * history, leases and step runs (incidents stay: they record what
 * happened); a gate's approvals; an item's tick; a blocker's progress.
 * Needs an open change. *rows as for store_move_id (0: nothing held).
 */
int store_forget_id(struct store *s, enum store_id_kind kind, const char *id, int64_t *rows,
		    struct err *e);

/* ---- leases: one runner per (project, env) (SPEC §2, §7) ---------------- */

struct store_lease {
	char host[256];
	long pid, pgid; /* pgid: the step's process group, 0 none */
	char run_id[128];
	int64_t acquired, expires;
};
enum { STORE_LEASE_OK = 0, STORE_LEASE_BUSY = 1 };
/*
 * Take the lease on (project, env) for `mine` (host, pid, pgid, run_id,
 * expires set by the caller; acquired := now). Free when there is no lease,
 * when the one there expired before `now`, or when it has mine->run_id.
 * Returns STORE_LEASE_OK (taken; when an expired lease of another run was
 * replaced, *prev gets it and *had_expired is true: the caller repairs the
 * interrupted promotion), STORE_LEASE_BUSY (*prev = the live holder), -1 on
 * error. prev/had_expired may be NULL. Joins the open change if any (so
 * taking the lease and marking the promotion deploying are one commit),
 * otherwise runs in its own write transaction with no audit entry.
 */
int store_lease_acquire(struct store *s, const char *project, const char *env,
			const struct store_lease *mine, int64_t now, struct store_lease *prev,
			bool *had_expired, struct err *e);
/* Push the expiry (and pgid, when > 0) of our lease. 0 ok, 1 lost (gone or
 * held by another run). Joins the open change if any. */
int store_lease_renew(struct store *s, const char *project, const char *env, const char *run_id,
		      int64_t expires, long pgid, struct err *e);
/* Drop our lease (no-op when not ours). Joins the open change if any. */
int store_lease_release(struct store *s, const char *project, const char *env,
			const char *run_id, struct err *e);
/* Take over the lease of (project, env) only while old_run_id still holds it
 * (compare-and-swap, for repairing a dead runner): 0 taken, 1 lost (someone
 * else changed it first). Joins the open change if any. */
int store_lease_steal(struct store *s, const char *project, const char *env,
		      const char *old_run_id, const struct store_lease *mine, int64_t now,
		      struct err *e);
/* Push the expiry of run_id's leases on (projects[i], env), i < n, in one
 * write transaction. Returns how many are still held (n when none was lost),
 * -1 on error. Joins the open change if any. */
int store_lease_renew_many(struct store *s, const char *const *projects, size_t n,
			   const char *env, const char *run_id, int64_t expires, struct err *e);
/* Read the lease: 1 found (out filled), 0 none, -1 error. */
int store_lease_get(struct store *s, const char *project, const char *env,
		    struct store_lease *out, struct err *e);

/* ---- step runs: what ran, how long (for ETAs and logs) ------------------ */

struct store_step_run {
	const char *run_id, *project, *env, *step; /* step: deploy|verify|rollback|check|measure */
	int64_t started, ended; /* ended 0: still running / died */
	int exit_status;        /* -1 unknown */
	const char *log_path;   /* may be NULL */
	int64_t duration_ms;    /* how long it ran; 0 unknown */
};
/* Insert or update the row (run_id, project, env, step). Joins the open
 * change if any, otherwise its own transaction; no audit entry. */
int store_put_step_run(struct store *s, const struct store_step_run *r, struct err *e);
/* A step started: put its row and, when pgid > 0, record the step's process
 * group (and lease_expires) on run_id's lease of (r->project, r->env), in one
 * write transaction (or the open change); no audit entry. */
int store_step_started(struct store *s, const struct store_step_run *r, long pgid,
		       int64_t lease_expires, struct err *e);
struct store_step_runs {
	struct arena arena;
	size_t n;
	struct store_step_run *v;
};
/* The last `limit` (0: all) runs of step for (project, env), newest first;
 * project/env/step NULL match any. out is initialised here; release it. */
int store_list_step_runs(struct store *s, const char *project, const char *env, const char *step,
			 size_t limit, struct store_step_runs *out, struct err *e);
/* The steps of one run (run_id), in the order they started; out as above. */
int store_list_run_steps(struct store *s, const char *run_id, struct store_step_runs *out,
			 struct err *e);
void store_step_runs_release(struct store_step_runs *l);
/* How long the finished runs of each project took (deploy and verify of one
 * run together, runs where both succeeded), by project: out->v[i] holds a
 * project id and a duration in milliseconds. out is initialised here;
 * release it with store_step_durations_release. */
struct store_step_duration {
	const char *project;
	int64_t ms;
};
struct store_step_durations {
	struct arena arena;
	size_t n;
	struct store_step_duration *v;
};
int store_step_durations(struct store *s, struct store_step_durations *out, struct err *e);
void store_step_durations_release(struct store_step_durations *l);

/* ---- snapshot: everything the live state model (engine/state.h) reads ---- */

struct store_state_snapshot {
	struct arena arena;
	size_t npromotions, napprovals, nticks, nblockers, nincidents, nleases, naudit;
	size_t napproval_versions, nrejections;
	struct store_promotion *promotions; /* only pairs ever written */
	struct store_approval *approvals;
	struct store_approval_version *approval_versions; /* by gate, role, person */
	struct store_rejection *rejections; /* by project, version, env */
	struct store_tick *ticks;
	struct store_blocker *blockers; /* only blockers the store changed */
	struct store_incident *incidents; /* open and resolved, by id */
	struct {
		const char *project, *env;
		struct store_lease lease;
	} *leases;
	struct store_log_entry *audit; /* opts->audit_tail: the log's tail, oldest first */
	/* opts->audit_summary: the whole log counted by UTC day (at / 86400) and
	 * action, by day then action; and its entries that change the plan
	 * (plan.loaded, moved, forget), oldest first */
	size_t naudit_counts, naudit_plan_changes;
	struct store_audit_count {
		int64_t day;
		const char *action;
		int64_t count;
	} *audit_counts;
	struct store_log_entry *audit_plan_changes;
};
struct store_snapshot_opts {
	/* the promotions of these projects only (in no particular order): for a
	 * command that reads a few projects of a large plan; NULL: all */
	const char *const *projects;
	size_t nprojects;
	/* count, for each rolled-back pair, its rollbacks since it was last
	 * soaking or healthy that happened after rollbacks_after
	 * (store_promotion.rollbacks) */
	bool rollbacks;
	int64_t rollbacks_after;
	/* with rollbacks: only this pair's (a cheap read of its history), when
	 * set; its promotion must be among those read */
	const char *rollbacks_project, *rollbacks_env;
	bool logs;          /* each run's pair: its last step log (log_path) */
	int64_t audit_tail; /* > 0: the last audit_tail audit entries too */
	bool audit_summary; /* the log's counts and plan changes too */
};
/* Read it all in ONE read transaction (consistent). out is initialised
 * here; free with store_snapshot_release. */
int store_snapshot_opts(struct store *s, const struct store_snapshot_opts *o,
			struct store_state_snapshot *out, struct err *e);
/* store_snapshot_opts with nothing but the state. */
int store_snapshot(struct store *s, struct store_state_snapshot *out, struct err *e);
/* The same with the promotions of the n listed projects only. */
int store_snapshot_of(struct store *s, const char *const *projects, size_t n,
		      struct store_state_snapshot *out, struct err *e);
void store_snapshot_release(struct store_state_snapshot *st);
/* Lookups in a snapshot: NULL when the store has nothing for it. */
const struct store_promotion *store_snap_promotion(const struct store_state_snapshot *st,
						   const char *project, const char *env);
const struct store_tick *store_snap_tick(const struct store_state_snapshot *st, const char *item);
const struct store_blocker *store_snap_blocker(const struct store_state_snapshot *st,
					       const char *id);
/* Has person approved gate for role? (person NULL: anyone) Returns the
 * approval or NULL. */
const struct store_approval *store_snap_approval(const struct store_state_snapshot *st,
						 const char *gate, const char *role,
						 const char *person);

/* History of one pair, oldest first (each entry a promotion as it was set). */
struct store_history {
	struct arena arena;
	size_t n;
	struct store_promotion *v;
};
int store_promotion_history(struct store *s, const char *project, const char *env,
			    struct store_history *out, struct err *e);
void store_history_release(struct store_history *h);

/* ---- the audit log ------------------------------------------------------ */

/* hash = hex SHA-256 over the canonical serialisation of (seq, at, actor,
 * action, subject, detail, prev_hash, auth, ops): each field as
 * "<decimal length>:<bytes>," in that order, numbers in decimal; prev_hash of
 * entry 1 is 64 '0's. An entry written before schema 3 has neither auth nor
 * ops (both NULL) and is hashed over the first seven fields only. */
struct store_log_entry {
	int64_t seq;
	int64_t at;
	const char *actor, *action, *subject, *detail;
	const char *prev_hash, *hash; /* 64 hex chars */
	const char *auth; /* "os:alice@host"; NULL in an entry from before schema 3 */
	/* the entry's row changes, a JSON array of [name, params…] (see
	 * store-sql.c); NULL in an entry from before schema 3 */
	const char *ops;
};
/* Call fn for the last `limit` entries (0: all), oldest first. Strings are
 * valid during the call only. fn returns non-zero to stop (returned as is). */
typedef int (*store_log_fn)(void *ctx, const struct store_log_entry *entry);
int store_log_each(struct store *s, int64_t limit, store_log_fn fn, void *ctx, struct err *e);
/* Compute an entry's hash into hex[65] from its fields (not from entry->hash). */
void store_log_hash(const struct store_log_entry *entry, char hex[65]);

struct store_verify {
	int64_t count;   /* entries checked (all of them when ok) */
	bool ok;
	int64_t bad_seq; /* the first bad entry's seq (or expected seq when missing) */
	char why[256];   /* "its hash does not match", "entry 7 is missing", … */
	bool added;      /* bad_seq and on were written after the head, outside tollgate */
};
/* Walk the whole chain in seq order: seq gaps, prev_hash mismatches, hash
 * mismatches and a head that does not match the last entry (a deleted tail)
 * all make ok false. Returns 0 when the walk ran (ok tells the outcome), -1
 * when the store could not be read. Streams rows (constant memory). */
int store_log_verify(struct store *s, struct store_verify *out, struct err *e);

/* The head of the log as the store keeps it: the last entry's seq (0 for an
 * empty log) and hash (64 '0's then) into hash[65]. */
int store_log_head(struct store *s, int64_t *seq, char hash[65], struct err *e);

/* An entry the chain must pass through: what `log --head` printed once,
 * kept outside the store. */
struct store_anchor {
	int64_t seq;
	char hash[65];
};

/* One row where the state differs from what the log wrote. Values are text
 * (numbers in decimal), NULL for SQL NULL; a side's values are NULL when it
 * has no such row. */
struct store_state_diff {
	const char *table;
	const char *const *cols; /* ncols column names */
	int ncols, nkey;         /* the first nkey columns name the row */
	const char **store, **log;
	bool *store_int, *log_int; /* per column: the value is a number */
	int64_t store_count, log_count; /* copies of the row on each side */
};

struct store_verify_full {
	struct store_verify chain;
	/* anchors: the first the chain does not pass through */
	size_t anchors_failed;
	struct store_anchor bad_anchor;
	char anchor_why[128]; /* "entry 4 has another hash", "it ends at entry 9" */
	/* the state rebuilt from the log (when the chain is whole) */
	bool state_checked, state_ok;
	int64_t state_rows;  /* rows of state in the store */
	int64_t ndiffs;      /* rows that differ (more than listed, past a cap) */
	size_t nlisted;
	struct store_state_diff *diffs;
	struct arena arena;
};
/*
 * The whole check of `log --verify`: the chain as store_log_verify does it,
 * the anchors, and then the state: every row change the entries recorded is
 * replayed, by name, into a private database of the same schema, and every
 * state table is compared with the store's, row by row (rows with no entry
 * behind them, rows missing, rows that differ). All in one read transaction;
 * linear in the log and the state. 0 when the check ran (see its fields),
 * -1 when the store could not be read. Free out with store_verify_release.
 */
int store_log_verify_full(struct store *s, const struct store_anchor *anchors, size_t nanchors,
			  struct store_verify_full *out, struct err *e);
void store_verify_release(struct store_verify_full *v);

/* ---- watching the log, and the server's coordination (store-watch.c) ---- */

/*
 * A second connection to the store s is on, for a watcher thread (a
 * connection is used by one thread at a time): it is opened as s was (read
 * only or not), is never migrated, and is closed with store_close.
 */
int store_open_watcher(const struct store *s, struct store **out, struct err *e);
/*
 * Wait at most timeout_ms for a sign that another session may have moved
 * the log's head: 1 (read the head: store_log_head), 0 (nothing happened),
 * -1 on error (the caller waits a while and calls again). PostgreSQL:
 * LISTEN tollgate_audit (each transaction that moves a plan's head sends
 * NOTIFY with the plan id; others' plans are ignored); a lost session is
 * opened again and answers 1, so that what landed meanwhile is read.
 * SQLite: PRAGMA data_version every STORE_WATCH_POLL_MS, no table read.
 * The first call answers 1 at once. Use it outside any transaction.
 */
#define STORE_WATCH_POLL_MS 50
int store_watch(struct store *s, int timeout_ms, struct err *e);
/* Call fn for the entries after seq `after`, oldest first, at most limit
 * (> 0) of them, as store_log_each does. */
int store_log_after(struct store *s, int64_t after, int64_t limit, store_log_fn fn, void *ctx,
		    struct err *e);

/*
 * Coordination values of the plan (plan_meta, not state, no audit entry):
 * what the server keeps across restarts. Keys are the caller's (never
 * "audit_*"). store_coord_get: 1 with *value a copy (the caller frees it),
 * 0 none (*value NULL), -1 error. store_coord_put: its own write
 * transaction (or the open one).
 */
int store_coord_get(struct store *s, const char *key, char **value, struct err *e);
int store_coord_put(struct store *s, const char *key, const char *value, struct err *e);
/*
 * A named lease of the whole plan (the server's background work: one holder
 * per store): taken by `holder` until `expires` when it is free, expired
 * before now, or already holder's (then renewed). Returns STORE_LEASE_OK,
 * or STORE_LEASE_BUSY with *other (may be NULL; the caller frees it) the
 * live holder, -1 on error. One write transaction, so two takers queue.
 * store_named_lease_release drops it when holder has it.
 */
int store_named_lease(struct store *s, const char *name, const char *holder, int64_t now,
		      int64_t expires, char **other, struct err *e);
int store_named_lease_release(struct store *s, const char *name, const char *holder,
			      struct err *e);

/* Append n synthetic entries in one transaction (benchmarks and tests only):
 * actor "bench", action "bench", subject "entry-N". */
int store_log_append_bulk(struct store *s, int64_t now, int64_t n, struct err *e);

/* ---- API tokens (issue 11, docs/tokens.md) -------------------------------- */

/*
 * A token lets a person act through the server. The store keeps its public
 * id and the SHA-256 of its secret (hex), never the secret. Tokens are
 * identity data, not plan state: their rows are written inside the audited
 * change that creates or revokes one (the entry says so; `log --verify`
 * does not replay them), and the time of last use on its own.
 */
struct store_token {
	const char *id;         /* short, public: "k3f9x2ab7q" */
	const char *person;     /* people id */
	const char *name;       /* may be NULL */
	const char *hash;       /* 64 hex digits */
	int64_t created_at;
	int64_t expires_at;     /* 0: never */
	int64_t revoked_at;     /* 0: not revoked */
	const char *created_by; /* who created it */
	int64_t last_used_at;   /* 0: never (kept to STORE_TOKEN_USED_RESOLUTION) */
};
/* Add t (created_at := the change's now; revoked_at, last_used_at 0). Needs
 * an open change. ERR_USAGE for a bad id or person id, ERR_FAILED for an id
 * the store has already. */
int store_token_add(struct store *s, const struct store_token *t, struct err *e);
/* Read token id: 0 found (strings in arena), 1 no such token, -1 error. */
int store_token_get(struct store *s, const char *id, struct store_token *out, struct arena *arena,
		    struct err *e);
struct store_tokens {
	struct arena arena;
	size_t n;
	struct store_token *v;
};
/* Every token of the plan, oldest first. out is initialised here; release it. */
int store_token_list(struct store *s, struct store_tokens *out, struct err *e);
void store_tokens_release(struct store_tokens *l);
/* Revoke token id (revoked_at := the change's now). Needs an open change.
 * 0 revoked, 1 no such token or revoked already (e untouched), -1 error. */
int store_token_revoke(struct store *s, const char *id, struct err *e);
/* Note a use of token id at now, at most once per STORE_TOKEN_USED_RESOLUTION
 * seconds (a server under load writes nothing more). Outside a change: its
 * own write transaction when it writes; nothing on a read-only store. */
#define STORE_TOKEN_USED_RESOLUTION 60
int store_token_used(struct store *s, const char *id, int64_t now, int64_t last_used_at,
		     struct err *e);

/* ---- sign-in sessions (issue 12, docs/dashboard.md) ----------------------- */

/* A browser's session, started with an API token (token_id) and bound to
 * it. The store keeps the SHA-256 of the cookie's secret, never the secret.
 * Identity data like tokens: written inside the audited change that starts
 * or ends one. */
struct store_session {
	const char *id;       /* public */
	const char *token_id; /* the token it was started with */
	const char *person;
	const char *hash;     /* 64 hex digits */
	int64_t created_at, expires_at;
	int64_t ended_at;     /* 0: not ended (signed out) */
};
/* Add x (created_at := the change's now). Needs an open change. */
int store_session_add(struct store *s, const struct store_session *x, struct err *e);
/* Read session id: 0 found (strings in arena), 1 none, -1 error. */
int store_session_get(struct store *s, const char *id, struct store_session *out,
		      struct arena *arena, struct err *e);
/* End session id (ended_at := the change's now). Needs an open change. 0
 * ended, 1 no such session or ended already, -1 error. */
int store_session_end(struct store *s, const char *id, struct err *e);

/* ---- the notification outbox (issue 13, docs/notify.md) ------------------ */

/*
 * A message waiting for (or done with) delivery: written in the transaction
 * of the audit entry that causes it, so nothing is sent for a change that
 * did not commit and nothing committed is lost. Coordination data, not
 * state: not replayed by `log --verify`.
 */
enum store_outbox_state { OUTBOX_PENDING, OUTBOX_SENT, OUTBOX_DEAD };
/* "pending", "sent", "dead". */
const char *store_outbox_state_name(enum store_outbox_state st);
struct store_outbox {
	int64_t id;              /* per plan, from 1 */
	const char *delivery_id; /* the same across retries (X-Tollgate-Delivery) */
	const char *channel;     /* a channel id of the plan */
	int64_t seq;             /* the audit entry that caused it */
	const char *event;       /* its action */
	const char *subject;     /* its subject: messages of one subject go in order */
	const char *payload;     /* JSON */
	enum store_outbox_state state;
	int attempts;
	int64_t next_at;         /* not sent before */
	const char *last_error;  /* NULL: none */
	const char *claimed_by;  /* NULL: nobody */
	int64_t claimed_until, created_at, sent_at;
};
struct store_outboxes {
	struct arena arena;
	size_t n;
	struct store_outbox *v;
};
void store_outboxes_release(struct store_outboxes *l);

/*
 * Called by store_commit_change for each entry it appends, inside the
 * change's transaction, after the entry is written (en->hash set): the
 * hook adds the entry's messages with store_outbox_add. A failure rolls the
 * change back. NULL fn: no hook. The hook must not begin changes.
 */
typedef int (*store_outbox_fn)(void *ctx, struct store *s, const struct store_log_entry *en,
			       struct err *e);
void store_set_outbox_hook(struct store *s, store_outbox_fn fn, void *ctx);
/* Add a pending message due at the change's now (only from the hook). */
int store_outbox_add(struct store *s, const char *delivery_id, const char *channel, int64_t seq,
		     const char *event, const char *subject, const char *payload, struct err *e);
/*
 * Claim at most max due messages for `owner` for at least lease seconds, in
 * one write transaction (on PostgreSQL with FOR UPDATE SKIP LOCKED): pending,
 * next_at <= now, not claimed by a live lease, and the first pending one of
 * their (channel, subject) (so a subject's messages go in order). out is
 * initialised here, oldest first; release it.
 */
int store_outbox_claim(struct store *s, int64_t now, const char *owner, int64_t lease, size_t max,
		       struct store_outboxes *out, struct err *e);
/* Hold the claimed message id for lease seconds more, from now: a
 * deliverer does so before it sends a message it claimed a while ago, so
 * that its claim outlives the send. 0 held, 1 the claim was lost (ran out,
 * and another deliverer may have it), -1 error. Its own write transaction. */
int store_outbox_hold(struct store *s, int64_t id, const char *owner, int64_t now, int64_t lease,
		      struct err *e);
/* The claimed message id was delivered at now (sent), or failed with why:
 * attempts + 1, then dead when dead is true, else pending again at next_at.
 * Only while owner holds the claim: 0 done, 1 the claim was lost (nothing
 * written), -1 error. Its own write transaction. */
int store_outbox_sent(struct store *s, int64_t id, const char *owner, int64_t now, struct err *e);
int store_outbox_failed(struct store *s, int64_t id, const char *owner, const char *why,
			int64_t next_at, bool dead, struct err *e);
/* Every message (only_dead: the dead ones), oldest first. */
int store_outbox_list(struct store *s, bool only_dead, struct store_outboxes *out, struct err *e);
/* fn(ctx, channel, state, n) for each (channel, state) that has messages,
 * by channel then state (the /metrics gauges). fn returns non-zero to stop. */
int store_outbox_counts(struct store *s,
			int (*fn)(void *ctx, const char *channel, enum store_outbox_state st, int64_t n),
			void *ctx, struct err *e);
/* Make message id pending again, due at now, its attempts back to 0 (keeps
 * its delivery id). 0 done, 1 no such message or sent already, -1 error. */
int store_outbox_retry(struct store *s, int64_t id, int64_t now, struct err *e);
/* Delete the messages sent before `before` (notify_policy.keep), except the
 * newest row, so ids are never given twice, and the schedule slots handled
 * before it, except each schedule's latest. Its own write transaction. */
int store_outbox_prune(struct store *s, int64_t before, struct err *e);
/* When the next pending message may be claimed (its next_at, or the end of
 * another deliverer's claim): *at, -1 when nothing is pending. A read. */
int store_outbox_next(struct store *s, int64_t *at, struct err *e);

/* ---- scheduled digests (issue 13, notify/schedule.h) ---------------------- */
/* The latest slot of schedule handled (sent or skipped), 0: none. */
int store_schedule_last(struct store *s, const char *schedule, int64_t *slot, struct err *e);
/* Mark slot of schedule handled at now, in one write transaction: sent (its
 * message, the digest's payload, joins the outbox for channel with
 * delivery_id, as event, anchored at seq) or skipped. 0 marked, 1 marked by
 * someone else already (nothing written), -1 error. */
int store_schedule_mark(struct store *s, const char *schedule, int64_t slot, bool sent,
			const char *delivery_id, const char *channel, int64_t seq, const char *event,
			const char *payload, int64_t now, struct err *e);

#endif
