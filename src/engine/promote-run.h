/*
 * promote-run.h - what the files of one `promote` run share (promote.c the
 * entry, promote-select.c what runs and in which order, promote-sched.c the
 * runner's callbacks, promote-write.c the write path): the run and its
 * projects. Everything here runs on the thread that called promote_run.
 */
#ifndef TOLLGATE_ENGINE_PROMOTE_RUN_H
#define TOLLGATE_ENGINE_PROMOTE_RUN_H

#include "engine/promote-internal.h"
#include "plan/plan.h"

struct state;

/* After a short step ends, how long the runner waits for others to end
 * before the next tick (exec_opts.gather_us): the ends and the starts that
 * follow them then share one commit. Only steps that ran less than ten times
 * this are followed by a wait, so a slot loses at most a tenth of its time. */
#define PROMOTE_GATHER_US 1000

enum step_kind { STEP_DEPLOY, STEP_VERIFY, STEP_MEASURE, STEP_ROLLBACK };
enum rp_state { RP_PENDING, RP_QUEUED, RP_ACTIVE, RP_DONE };

/* One project of the run. */
struct rp {
	int project;
	char *version, *previous;
	double weight, prio;
	int ndeps_left; /* dependencies in the run not yet soaking/healthy */
	int *dependents;
	size_t ndependents, dependents_alloc;
	enum rp_state st;
	enum step_kind step;
	size_t trig; /* with STEP_MEASURE: index into run->trigs */
	char *fail_detail;
	int64_t incident;
	bool running;
	struct exec_task task;
	struct penv pe;
	char *log;
	char step_name[160];
	int64_t step_mono_ms, step_wall_s;
	long pgid;
	bool pgid_pending; /* started; its process group not in the lease yet */
	bool has_lease;
	enum store_state stored; /* what the store holds for it, as this run last committed */
};

/* A step that ended, its row not written yet (promote-write.c). */
struct pstep {
	size_t i;
	char step[160];
	char *log;
	int64_t started, ended, duration_ms;
	int exit_status;
};

/* A change of a project's state waiting for the tick's commit. */
struct pwrite {
	size_t i;
	enum store_state st;
	int64_t soak_until;
	char *pdetail;     /* the promotion's detail (NULL none) */
	char *audit;       /* the audit entry's detail */
	bool final;        /* the project ends: then its outcome is reported */
	enum promote_outcome outcome;
	char *rdetail;     /* the outcome's detail (NULL: pdetail) */
	char *skip_why;    /* dependents are skipped with this (final, not a success) */
	bool unlocked;     /* its dependents were unlocked (a success, written) */
};

struct prun {
	struct pctx c;
	const struct plan *plan;
	const struct promote_opts *o;
	struct promote_report *rep;
	int env;
	struct rp *v;
	size_t n;
	int *rp_of; /* [nprojects]: index in v, -1 */
	size_t *heap, nheap;
	size_t *cont, cont_head, cont_len;
	size_t nrunning, ndone, nfailed;
	size_t *trigs, ntrigs; /* plan trigger indices measured in env */
	struct store_incidents pauses; /* open, level >= 2 */
	int64_t last_pause_ms, last_renew_ms;
	bool paused;
	char pause_why[700];
	/* a store operation failed: nothing new starts (no next step, no
	 * dependent, no rollback) and nothing more is written; err says why */
	bool store_failed;
	struct err err;
	struct promote_running *running_buf;
	size_t *pending, npending, pending_alloc; /* started steps whose pgid is not recorded */
	struct pstep *steps;                      /* ended steps, rows not committed */
	size_t nsteps, steps_alloc;
	size_t steps_written;                     /* of them, written in the open tick */
	struct pwrite *writes;                    /* state changes not written */
	size_t nwrites, writes_alloc;
	/* the tick's transaction (promote-write.c) */
	bool tick_open, tick_ok;
	struct err tick_err;
	struct pwrite *inflight;                  /* written in it, not committed */
	size_t ninflight, inflight_alloc;
	size_t *starting, nstarting, starting_alloc; /* started in it */
};

static inline const char *rp_id(const struct prun *r, const struct rp *rp)
{
	return r->plan->projects[rp->project].id;
}

/* ---- promote-select.c ---- */
bool promote_selected(const struct plan *p, const struct promote_opts *o, int project);
bool promote_may_override_freeze(const struct plan *p, const struct promote_opts *o, int env);
/* Repair every selected pair a dead run left deploying/verifying (busy[]
 * marks those a live run holds). */
int promote_repair_pass(struct prun *r, const struct state *st, bool *busy, struct err *e);
/* Pick the selected projects that are ready into r->v (topological order). */
void promote_choose(struct prun *r, struct state *st, const bool *busy);
/* Critical-path priorities, weighted by past step durations. */
void promote_priorities(struct prun *r);
/* The start order one at a time (rep->planned, for --dry-run). */
void promote_simulate_order(struct prun *r);

/* ---- promote-sched.c ---- */
void prun_heap_push(struct prun *r, size_t i);
size_t prun_heap_pop(struct prun *r);
void prun_cont_push(struct prun *r, size_t i);
/* Run the projects of r->v through the parallel runner. 0 ran (1 when
 * cancelled), -1 when the runner failed (e). */
int promote_schedule(struct prun *r, struct err *e);

/* ---- outcomes (promote-sched.c) ---- */
void prun_result(struct prun *r, struct rp *rp, enum promote_outcome o, const char *detail);
void prun_skip(struct prun *r, struct rp *rp, const char *why);
/* Skip the dependents not started (why NULL: "dependency 'X' was not promoted"). */
void prun_skip_dependents(struct prun *r, struct rp *rp, const char *why);
/* rp reached soaking/healthy (committed): its dependents may start. */
void prun_unlock_dependents(struct prun *r, struct rp *rp);
/* The store failed (the first failure is kept, and told to the observer):
 * from now on the run starts nothing and writes nothing. */
void prun_store_fail(struct prun *r, const struct err *e);
/* rp stops here because the store failed: reported `interrupted`, its
 * detail saying what happened (what: "deploy ended; verify did not run")
 * and what the store still holds (rp->stored, under this run's lease, which
 * the next promote repairs); its dependents are skipped. */
void prun_strand(struct prun *r, struct rp *rp, const char *what);
/* prun_strand of project i, which waits for its next step (rp->step): "deploy
 * ended; verify did not run". Nothing when it is not active. */
void prun_strand_next(struct prun *r, size_t i);

/* ---- promote-write.c: the write path ---- */
/* Queue a step's end (its row) for the tick's commit. */
void prun_step_ended(struct prun *r, size_t i, const struct exec_result *res);
/* Queue a state change of project i (see struct pwrite; strings copied). */
void prun_queue_state(struct prun *r, size_t i, enum store_state st, int64_t soak_until,
		      const char *pdetail, const char *audit, bool final,
		      enum promote_outcome outcome, const char *rdetail, const char *skip_why);
/* Commit what is queued (process groups, step rows, state changes) in ONE
 * transaction, then report the outcomes (and skip the dependents of what
 * failed). */
void prun_flush(struct prun *r);
/*
 * One tick that also starts projects, in ONE transaction:
 * prun_tick_begin writes what is queued (a success unlocks its dependents
 * now: they may start in this same transaction, never before it commits);
 * prun_tick_start(i) takes project i's lease and sets it deploying (false:
 * not started, its outcome reported); prun_tick_end commits and reports.
 * Started projects are RP_ACTIVE; none of their steps may run before
 * prun_tick_end (if the commit fails they are skipped).
 */
void prun_tick_begin(struct prun *r);
bool prun_tick_start(struct prun *r, size_t i);
void prun_tick_end(struct prun *r);
/* After the runner: started and not finished → interrupted. */
void prun_settle(struct prun *r);
/* Renew our leases (every PROMOTE_LEASE_RENEW seconds). */
void prun_renew(struct prun *r, int64_t now_ms);

#endif
