/*
 * promote-internal.h - what the executor's files (promote.c, promote-repair.c,
 * soak.c, rollback.c) share: the run context (clock, run id, host, logs), the
 * environment handed to every step and the crash repair of a pair. Store
 * access goes through store.h only.
 */
#ifndef TOLLGATE_ENGINE_PROMOTE_INTERNAL_H
#define TOLLGATE_ENGINE_PROMOTE_INTERNAL_H

#include "engine/promote.h"
#include "exec/exec.h"
#include "store/store.h"

struct plan_trigger;

/* The run's clock: starts at the app's now (TOLLGATE_NOW honoured) and
 * moves on with the monotonic clock, so leases expire and soaks end even
 * when the start is pinned. */
struct pclock {
	int64_t base;
	int64_t mono0_ms;
};
void pclock_init(struct pclock *c, int64_t now);
int64_t pclock_now(const struct pclock *c);

struct pctx {
	const struct plan *plan;
	struct store *store;
	struct pclock clock;
	char run_id[64];
	char host[256];
	long pid;
	const char *actor; /* people id or "tollgate" */
	char *log_dir;     /* store_log_dir/runs/RUN_ID, created on first use */
	bool log_dir_made;
	bool log_dir_failed; /* said once that logs are not kept */
	const struct promote_observer *obs;
	const struct cancel_token *cancel; /* may be NULL */
	const char **unset; /* what no step is given: promote_env_unset_for */
};
/* Start a run: a fresh run id, live in this process (the registry below)
 * until pctx_release. */
void pctx_init(struct pctx *c, const struct plan *p, struct store *s, int64_t now,
	       const char *actor, const struct promote_observer *obs,
	       const struct cancel_token *cancel);
void pctx_release(struct pctx *c);

/* The runs live in this process (promote-repair.c): a lease whose host and
 * pid are ours is held by a live run only when its run id is registered
 * here. Thread-safe. */
void promote_runs_add(const char *run_id);
void promote_runs_remove(const char *run_id);
bool promote_runs_live(const char *run_id);

/* A step's timeout in milliseconds from the plan's seconds. The 15-minute
 * default is the loader's (PLAN_TIMEOUT_DEFAULT); a timeout <= 0 is a bug. */
int64_t promote_timeout_ms(int64_t seconds);
/* The log of a step: LOGDIR/PROJECT.ENV.STEP.log (the folder is created).
 * Owned by the caller; NULL when the folder cannot be made. */
char *pctx_log_path(struct pctx *c, int project, int env, const char *step);
/* A lease of ours on a pair, expiring TTL from now. */
void pctx_lease(const struct pctx *c, struct store_lease *l, long pgid);

/* The environment of a step (SPEC §6): NAME=VALUE strings, NULL-terminated
 * in v. The one builder for promotion steps and checklist checks. */
#define PENV_MAX 12
struct penv {
	char *owned[PENV_MAX];
	const char *v[PENV_MAX + 1];
	size_t n;
};
void penv_init(struct penv *pe);
/* Add NAME=VALUE (value NULL: empty). BUG() past PENV_MAX. */
void penv_add(struct penv *pe, const char *name, const char *value);
/* A promotion step's: project, env, versions, account, plan id, run id, step. */
void penv_build(struct penv *pe, const struct pctx *c, int project, int env, const char *version,
		const char *previous, const char *step);
void penv_release(struct penv *pe);
/* What no step, check or measure receives from tollgate's own environment
 * (SPEC §6), for exec_task.unset: the store's URL, every libpq variable
 * (PGPASSWORD, PGHOST …) and the plan's `secrets`; NULL-terminated (free
 * it). */
const char **promote_env_unset_for(const struct plan *p);

/* The version live in a pair, by its state (rolled-back: the restored one). */
const char *promote_live_version(enum store_state st, const char *version, const char *previous);
/* Judge a measure: true when breached; why gets "measured 0.09, above 0.05"
 * or "the measure failed: …" / "printed no number". */
bool promote_measure_breached(const struct plan_trigger *t, const struct exec_task *task,
			      const struct exec_result *r, char *why, size_t n);

/* Run one step to its end (soak, rollback by hand). The step run is
 * recorded; *log_path (may be NULL) gets the log (caller frees). 0 ran,
 * -1 when it could not start (r says why; e filled). */
int promote_step_sync(struct pctx *c, int project, int env, const char *step, const char *cmd,
		      int64_t timeout_s, const char *version, const char *previous, bool capture,
		      struct exec_result *r, char **log_path, struct err *e);

/* Open an incident as tollgate (a breached trigger): its own change. */
int promote_open_incident(struct pctx *c, int level, int env, int project, const char *text,
			  int64_t *id_out, struct err *e);

/* Write a pair's promotion in one change (action "promotion.STATE" unless
 * given), releasing our lease when release is set. */
int promote_set_state(struct pctx *c, int project, int env, enum store_state st,
		      const char *version, const char *previous, int64_t soak_until,
		      const char *detail, const char *action, bool release, struct err *e);

/* A version rolled back from env, or that failed there (st ROLLED_BACK or
 * FAILED), is rejected there (issue 9): written inside the open change
 * that records the state, with the state's detail as the reason. Other
 * states write nothing. On failure the change is left for the caller to
 * abort. */
int promote_reject_failed(struct store *s, const struct plan *p, int project, int env,
			  enum store_state st, const char *version, const char *detail,
			  const char *actor, struct err *e);

/* ---- crash repair (promote-repair.c) ---------------------------------------- */

/* Is the holder of lease l alive: same host → its pid runs and the lease has
 * not expired; another host → the lease has not expired. */
bool promote_lease_alive(const struct pctx *c, const struct store_lease *l, int64_t now);
enum { REPAIR_NONE = 0, REPAIR_DONE = 1, REPAIR_BUSY = 2 };
/*
 * Repair (project, env) if a runner died on it: a lease whose holder is
 * dead, or a pair left deploying/verifying with no lease. The dead runner's
 * processes are killed (its recorded process group, and on this host every
 * process carrying its run id), the pair is set `interrupted` (one change,
 * audit "promotion.interrupted") and the lease dropped. REPAIR_BUSY: a live
 * holder (why says who). -1 on a store failure.
 */
int promote_repair_pair(struct pctx *c, int project, int env, char *why, size_t n,
			struct err *e);

/*
 * Take the lease of (project, env) for c's run, the one take-or-repair loop
 * of promote, soak and rollback: a lease held by a live run is busy; one
 * left by a dead run, or a pair left deploying/verifying, is repaired
 * (promote_repair_pair: counted in *nrepaired, told to c->obs->note) and
 * the lease taken again, at most three times.
 *
 * With action (an audit action such as "promotion.deploying"), the lease is
 * taken inside a change of that action on "PROJECT@ENV" which is LEFT OPEN
 * when taken: the caller writes the rest and commits (or aborts) it. Without
 * action it is taken in a transaction of its own. cur (may be NULL) gets the
 * pair's promotion as read under the lease, its strings in arena a.
 * Returns LEASE_TAKEN, LEASE_BUSY (why says who holds it), -1 on a store
 * failure (no change open then).
 */
enum { LEASE_BUSY = 0, LEASE_TAKEN = 1 };
int promote_lease_take(struct pctx *c, int project, int env, const char *action,
		       struct store_promotion *cur, struct arena *a, char *why, size_t n,
		       size_t *nrepaired, struct err *e);

#endif
