/*
 * promote.h - the executor (SPEC §2, §3, §5, §6): `promote` runs the ready
 * projects of a selection to an environment in dependency order, N at a
 * time, through deploy → verify → each trigger measured once → soaking (or
 * healthy when the environment has no soak); a failure runs the project's
 * rollback. `soak` finishes soaking promotions or rolls them back on a
 * breached trigger, and `rollback` does it by hand.
 *
 * Every change of state is one store change (one transaction, one audit
 * entry), written on the calling thread from the runner's callbacks. A
 * promotion of a project to an environment holds a lease in the store (host,
 * pid, process group, run id; renewed while it runs): two runners never
 * deploy the same pair at once, and a runner that died is repaired by the
 * next one (its leftover processes killed, the pair marked `interrupted` and
 * retried).
 *
 * Nothing here prints: progress reaches the caller through a
 * promote_observer, outcomes through a promote_report.
 */
#ifndef TOLLGATE_ENGINE_PROMOTE_H
#define TOLLGATE_ENGINE_PROMOTE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct plan;
struct store;

/* No rollback loops: a project rolled back this many times in this window
 * in one environment, with no soaking/healthy promotion there in between, is
 * held; promote refuses it until a person passes --retry-held (each retry
 * needs it again while the count holds). */
#define PROMOTE_HOLD_COUNT 3
#define PROMOTE_HOLD_WINDOW (24 * 3600)

/* Leases last this long and are renewed every PROMOTE_LEASE_RENEW seconds
 * while their holder runs. A holder on this host is known dead at once
 * (its pid is gone); one on another host when its lease has expired. */
#define PROMOTE_LEASE_TTL 120
#define PROMOTE_LEASE_RENEW 20

/* How often `soak --wait` looks again when no soak ends sooner (seconds). */
#define SOAK_POLL_DEFAULT 30

enum promote_outcome {
	PROMOTE_HEALTHY = 0,
	PROMOTE_SOAKING,
	PROMOTE_ROLLED_BACK,
	PROMOTE_FAILED,
	PROMOTE_SKIPPED,
};
/* "healthy", "soaking", "rolled-back", "failed", "skipped" */
const char *promote_outcome_name(enum promote_outcome o);

struct promote_result {
	int project;
	int env;
	char *version;  /* the version promoted (or that would have been) */
	char *previous; /* what was live before; NULL none */
	enum promote_outcome outcome;
	char *detail;   /* why skipped, what failed; NULL when all went well */
	int64_t incident; /* incident opened by a breached trigger, 0 none */
};

/* A selected project that did not start, and why (rule names + first detail). */
struct promote_notready {
	int project;
	char *summary;
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
	const char *actor;         /* a people id, or NULL ("tollgate") */
	bool override_freeze;      /* --override-freeze: needs actor with a role of
	                            * the env's freeze_override, and reason */
	const char *reason;
	bool retry_held;           /* --retry-held: a person lets held projects run */
	const struct cancel_token *cancel; /* SIGINT: 1 let running steps finish, 2 kill */
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

/*
 * Run (or with dry_run, plan) a promotion. Returns 0 when it ran (outcomes
 * in out, whatever they are; out->nplanned == 0 means nothing was ready),
 * -1 with e filled on a usage error (a freeze override not allowed: ERR_NOT_READY;
 * ERR_USAGE) or a store failure (ERR_FAILED). out is initialised here.
 */
int promote_run(const struct plan *p, struct store *s, int64_t now, const struct promote_opts *o,
		struct promote_report *out, struct err *e);

/* ---- soak ---------------------------------------------------------------- */

struct soak_opts {
	bool wait;          /* keep going until nothing is soaking */
	int64_t poll;       /* seconds between looks with wait; 0: SOAK_POLL_DEFAULT */
	const char *actor;
	const struct cancel_token *cancel;
	const struct promote_observer *obs;
};
struct soak_report {
	size_t nresults, results_alloc;
	struct promote_result *results; /* healthy (soak over), rolled-back, failed */
	size_t still_soaking;           /* after the last pass */
	int64_t next_end;               /* the earliest soak end still ahead, 0 none */
};
void soak_report_release(struct soak_report *r);
/* Evaluate every soaking promotion (one pass, or until none is left with
 * wait). 0 ran (see out), -1 on a store failure. */
int soak_run(const struct plan *p, struct store *s, int64_t now, const struct soak_opts *o,
	     struct soak_report *out, struct err *e);

/* ---- rollback by hand ------------------------------------------------------ */

/*
 * Roll project back in env: run its rollback with TOLLGATE_VERSION = the
 * version there and TOLLGATE_PREVIOUS_VERSION = the one restored, then set
 * rolled-back (or failed when the rollback fails). out gets the outcome.
 * ERR_NOT_READY when nothing there can be rolled back or another runner holds
 * the pair; ERR_USAGE for an unknown id or a project without a rollback.
 */
int rollback_run(const struct plan *p, struct store *s, int64_t now, int project, int env,
		 const char *actor, const char *reason, const struct promote_observer *obs,
		 struct promote_result *out, struct err *e);
void promote_result_release(struct promote_result *r);

/* Is project held in env (PROMOTE_HOLD_COUNT rollbacks in the window)?
 * Returns the count of recent rollbacks when held, 0 when not, -1 on error. */
int promote_held(struct store *s, const char *project, const char *env, int64_t now,
		 struct err *e);

#endif
