/*
 * promote.h - the executor (SPEC §2, §3, §5, §6): `promote` runs the ready
 * projects of a selection to an environment in dependency order, N at a
 * time, through deploy → verify → each trigger measured once → soaking (or
 * healthy when the environment has no soak); a failure runs the project's
 * rollback. `soak` finishes soaking promotions or rolls them back on a
 * breached trigger, and `rollback` does it by hand.
 *
 * Every change of state is one store change (one audit entry), written on
 * the calling thread from the runner's callbacks; the changes that are ready
 * at the same scheduler tick share one transaction (group commit). A
 * promotion of a project to an environment holds a lease in the store (host,
 * pid, process group, run id; renewed while it runs): two runners never
 * deploy the same pair at once, and a runner that died is repaired by the
 * next one (its leftover processes killed, the pair marked `interrupted` and
 * retried).
 *
 * Runs are reentrant: a process may hold several at once, on threads, each
 * with its own store connection (a struct store is not shared between
 * threads; a loaded plan may be). The holder of a lease is the run: a run
 * that died inside a live process (a thread of a server) is repaired like
 * one whose process died. Each run is stopped through its own
 * cancel_token (util.h).
 *
 * Nothing here prints: progress reaches the caller through a
 * promote_observer, outcomes through a promote_report.
 */
#ifndef TOLLGATE_ENGINE_PROMOTE_H
#define TOLLGATE_ENGINE_PROMOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct plan;
struct store;

/* Is the run that holds lease l alive, seen from this process at now? On
 * this host: its process lives (for this process: the run is registered
 * here); elsewhere: the lease has not expired. The same test promote's
 * repair makes, for the readers that must agree with it. */
struct store_lease;
bool promote_lease_alive_now(const struct store_lease *l, int64_t now);

/* No rollback loops: the hold rule (READY_HOLD_COUNT rollbacks within
 * READY_HOLD_WINDOW, ready.h) makes the source rule refuse a project until a
 * person passes --retry-held; promote, why and next apply the same rule. */

/* Leases last this long and are renewed every PROMOTE_LEASE_RENEW seconds
 * while their holder runs. A holder on this host is known dead at once
 * (its pid is gone, or the pid is ours and the run is not live in this
 * process); one on another host when its lease has expired. */
#define PROMOTE_LEASE_TTL 120
#define PROMOTE_LEASE_RENEW 20

/* How often a caller that keeps soaking (`soak --wait`, the server's loop)
 * should look again when no soak ends sooner (seconds). */
#define SOAK_POLL_DEFAULT 30

enum promote_outcome {
	PROMOTE_HEALTHY = 0,
	PROMOTE_SOAKING,
	PROMOTE_ROLLED_BACK,
	PROMOTE_FAILED,
	PROMOTE_SKIPPED,
	PROMOTE_INTERRUPTED, /* stopped while running (a cancel): the next run repairs it */
};
#define PROMOTE_OUTCOMES (PROMOTE_INTERRUPTED + 1)
/* "healthy", "soaking", "rolled-back", "failed", "skipped", "interrupted" */
const char *promote_outcome_name(enum promote_outcome o);

struct promote_result {
	int project;
	int env;
	char *version;  /* the version promoted (or that would have been) */
	char *previous; /* what was live before; NULL none */
	enum promote_outcome outcome;
	char *detail;   /* why skipped, what failed; NULL when all went well */
	int64_t incident; /* incident opened by a breached trigger, 0 none */
	bool already;   /* rollback_run: rolled back there already, nothing written */
};

/* A selected project that did not start, and why (rule names + first detail).
 * up_to_date: nothing to do, its candidate (the version healthy in the
 * environment before) is already soaking or healthy in the target; such a
 * project is listed here but is no refusal (exit 0 when all are so). */
struct promote_notready {
	int project;
	char *summary;
	bool up_to_date;
};

struct promote_report;

/* Progress, for the caller to show. Strings are valid during the call. */
struct promote_running {
	const char *project;
	const char *step;
	int64_t elapsed_ms;
};
struct promote_observer {
	void *ctx;
	void (*step_start)(void *ctx, const char *project, const char *step);
	/* how: "exited with status 1" …; tail: last lines of the output (on
	 * failure); log_path: the step's log */
	void (*step_end)(void *ctx, const char *project, const char *step, bool ok,
			 const char *how, const char *tail, const char *log_path, int64_t ms);
	void (*outcome)(void *ctx, const struct promote_result *r);
	/* the selection is made (rep->notready, rep->planned), before anything
	 * runs; also with dry_run */
	void (*selected)(void *ctx, const struct promote_report *rep);
	/* a crash repair or another notable event ("incident 4 opened …") */
	void (*note)(void *ctx, const char *project, const char *text);
	/* about every 250 ms while steps run */
	void (*tick)(void *ctx, const struct promote_running *running, size_t nrunning,
		     size_t done, size_t failed, size_t total);
};

struct promote_opts {
	int env;                   /* target environment index (>= 1) */
	const int *waves;          /* selection; none: every wave */
	size_t nwaves;
	const int *projects;       /* selection; none: every project (of the waves) */
	size_t nprojects;
	int jobs;                  /* at most this many steps at once (>= 1) */
	bool dry_run;              /* plan the order, run and write nothing */
	const char *actor;         /* a people id who may change env (identity.h);
	                            * NULL only with dry_run */
	bool override_freeze;      /* --override-freeze: needs actor with a role of
	                            * the env's freeze_override, and reason */
	const char *reason;
	bool retry_held;           /* --retry-held: a person lets held projects run */
	/* this run's cancellation (may be NULL): level 1 lets running steps
	 * finish and starts nothing new, 2 kills them */
	const struct cancel_token *cancel;
	const struct promote_observer *obs; /* may be NULL */
};

struct promote_report {
	char run_id[64];
	size_t nresults, results_alloc;
	struct promote_result *results; /* in the order they ended */
	size_t nnotready, notready_alloc;
	struct promote_notready *notready;
	size_t nplanned;   /* the projects that were to run, in planned start order */
	int *planned;
	char **planned_version; /* [nplanned] */
	size_t nrepaired;  /* crash repairs done before the run */
	bool paused;       /* a level >= 2 incident stopped new starts */
	bool cancelled;
};
void promote_report_release(struct promote_report *r);
/* Did the selection find only up-to-date projects (at least one, none
 * refused by a rule, nothing planned)? Then promote has nothing to do. */
bool promote_all_up_to_date(const struct promote_report *r);

/*
 * Run (or with dry_run, plan) a promotion. Returns 0 when it ran (outcomes
 * in out, whatever they are; out->nplanned == 0 means nothing was ready),
 * -1 with e filled on a usage error (a freeze override not allowed, an
 * actor who may not change env: ERR_NOT_READY; no actor: ERR_USAGE) or a
 * store failure (ERR_FAILED). out is initialised here.
 */
int promote_run(const struct plan *p, struct store *s, int64_t now, const struct promote_opts *o,
		struct promote_report *out, struct err *e);

/* Where a run writes the log of a step: STORE_LOG_DIR/runs/RUN_ID/
 * PROJECT.ENV.STEP.log (the caller owns the string). The server reads a
 * step's log there, never at a path a request names. */
char *promote_log_path(const struct store *s, const char *run_id, const char *project,
		       const char *env, const char *step);

/* ---- soak ---------------------------------------------------------------- */

/* Which triggers a pass measures (the server's soak_tick: each on its own
 * interval, `every`). due(trigger index, project, env) says whether to
 * measure it now; measured() is told each one that ran. On the pass that
 * ends a soak every trigger is measured, as `soak` does. */
struct soak_schedule {
	bool (*due)(void *ctx, size_t trigger, int project, int env);
	void (*measured)(void *ctx, size_t trigger, int project, int env);
	void *ctx;
};
struct soak_opts {
	const char *actor;
	const struct cancel_token *cancel; /* stops the pass between pairs; 2 kills a measure */
	const struct promote_observer *obs;
	const struct soak_schedule *schedule; /* NULL: every trigger on every pass */
};
struct soak_report {
	size_t nresults, results_alloc;
	struct promote_result *results; /* healthy (soak over), rolled-back, failed */
	size_t still_soaking;           /* after the last pass */
	int64_t next_end;               /* the earliest soak end still ahead, 0 none */
};
void soak_report_release(struct soak_report *r);
/* Evaluate every soaking promotion once (one pass; a caller that waits for
 * the soaks to end calls it again by out->next_end, see SOAK_POLL_DEFAULT).
 * 0 ran (see out), -1 on a store failure. */
int soak_run(const struct plan *p, struct store *s, int64_t now, const struct soak_opts *o,
	     struct soak_report *out, struct err *e);

/* ---- the server's background soak work (soak-tick.c) ---------------------- */

#define SOAK_TICK_LEASE "background"
#define SOAK_TICK_TTL_DEFAULT 60 /* seconds the lease lasts unrenewed */
struct soak_tick_opts {
	/* who ticks, unique per server process ("serve host 4242 3f9a…"); one
	 * line. Two servers on one store: the one holding the lease does the
	 * work, the other skips until it expires. */
	const char *holder;
	int64_t ttl; /* 0: SOAK_TICK_TTL_DEFAULT; the caller ticks more often */
	const struct cancel_token *cancel;
	const struct promote_observer *obs;
};
struct soak_tick_result {
	bool skipped;     /* another holder has the lease: nothing was done */
	char *holder;     /* then: who has it */
	size_t measured;  /* triggers measured on this tick */
	struct soak_report report; /* what the pass did (soak_run's) */
};
/*
 * One tick of the server's soak loop: take (or renew) the store's
 * background lease, then one soak_run pass in which each trigger is
 * measured on a soaking promotion only when its `every` has passed since it
 * was last measured there (kept in the store, so restarts keep the
 * interval; soaks that end are measured once more and finished, breaches
 * roll back, all exactly as `tollgate soak`). 0 ran or skipped (see r),
 * -1 on a store failure. Release r with soak_tick_result_release.
 */
int soak_tick(const struct plan *p, struct store *s, int64_t now, const struct soak_tick_opts *o,
	      struct soak_tick_result *r, struct err *e);
void soak_tick_result_release(struct soak_tick_result *r);
/* Give the lease up (a server that stops): another takes it on its tick. */
int soak_tick_release(struct store *s, const char *holder, struct err *e);

/* ---- rollback by hand ------------------------------------------------------ */

struct rollback_opts {
	int project, env;
	const char *actor;  /* a people id who may change env (identity.h) */
	bool response;      /* an incident's response: its opener needs no promoter role */
	const char *reason; /* logged; may be NULL */
	const struct cancel_token *cancel; /* 2 kills the rollback command */
	const struct promote_observer *obs;
};
/*
 * Roll project back in env: run its rollback with TOLLGATE_VERSION = the
 * version there and TOLLGATE_PREVIOUS_VERSION = the one restored, then set
 * rolled-back (or failed when the rollback fails). out gets the outcome;
 * out->already when the pair is rolled back already (nothing runs, nothing
 * is written). ERR_NOT_READY with REASON_BUSY when another run holds the
 * pair, REASON_CONFLICT when nothing there can be rolled back,
 * REASON_FORBIDDEN for an actor who may not change env; ERR_USAGE for the
 * source environment, a project without a rollback, or no actor.
 */
int rollback_run(const struct plan *p, struct store *s, int64_t now, const struct rollback_opts *o,
		 struct promote_result *out, struct err *e);

/* ---- the response to an incident ------------------------------------------------- */

/* What was done about the rollback a level-3 incident on a project asks for. */
enum incident_rollback {
	INCIDENT_ROLLBACK_NONE = 0,   /* none asked: level < 3, or no project */
	INCIDENT_ROLLBACK_RAN,        /* it ran: see result (rolled-back or failed) */
	INCIDENT_ROLLBACK_NO_COMMAND, /* the project has no rollback command: by hand */
	INCIDENT_ROLLBACK_NOTHING,    /* nothing there to roll back (detail says why) */
	INCIDENT_ROLLBACK_BY_RUNNER,  /* a running promote holds the pair; it rolls it back
	                               * when its current step ends (detail: who) */
};
struct incident_opts {
	int level;           /* 1..3 */
	const char *env;     /* ids, as typed (validated here) */
	const char *project; /* may be NULL */
	const char *text;
	const char *actor;   /* a people id (required) */
	const struct cancel_token *cancel;
	const struct promote_observer *obs; /* the rollback's progress */
};
struct incident_response {
	int64_t id;                   /* the incident opened */
	int project, env;             /* plan indices; project -1 when none */
	enum incident_rollback rollback;
	struct promote_result result; /* with INCIDENT_ROLLBACK_RAN */
	char *detail;                 /* NOTHING / BY_RUNNER: why (owned); else NULL */
};
void incident_response_release(struct incident_response *r);
/*
 * Open an incident and, at level 3 on a project, roll the project back in
 * the environment (rollback_run). Returns 0 when the incident is open (out
 * says what happened to the rollback; a rollback that ran and failed is
 * result.outcome == PROMOTE_FAILED, not an error), -1 with e filled when it
 * could not be opened (bad input, unknown person) or the store failed while
 * rolling back (out->id is then set: the incident is open).
 */
int incident_respond(const struct plan *p, struct store *s, int64_t now,
		     const struct incident_opts *o, struct incident_response *out, struct err *e);
void promote_result_release(struct promote_result *r);


#endif
