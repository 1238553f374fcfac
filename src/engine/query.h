/*
 * query.h - the read-only questions every front end asks, answered as data:
 * the status board (`status`), one readiness verdict (`why`) and every
 * promotion that could start now (`next`). Each loads the live state it
 * needs in one read (state_load_opts) and decides through ready.h, so the
 * CLI and the server show the same thing; encode.h turns the answers into
 * JSON, cmd/ into text. Nothing here prints.
 */
#ifndef TOLLGATE_ENGINE_QUERY_H
#define TOLLGATE_ENGINE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/ready.h"
#include "engine/state.h"

struct plan;
struct store;

/* ---- status ---------------------------------------------------------------- */

/* One project in one environment, as the board shows it. Strings point into
 * the board's state. */
struct status_cell {
	int project, env;
	enum store_state state;
	bool late;                  /* ready_is_late */
	/* not late yet, but the forecast (engine/forecast.h) puts the earliest
	 * healthy time after the end of the target day */
	bool at_risk;
	const char *version;        /* as recorded (for rolled-back/failed: what failed) */
	const char *live_version;   /* what runs there (state_live_version), NULL none/unknown */
	const char *failed_version; /* what failed there (rolled-back, failed), NULL none */
	int64_t since;              /* 0: never */
	int64_t soak_until;         /* 0: not soaking */
	int64_t target;             /* the target date in env, 0 none */
};

/* The projects of one wave, in plan order: board->cells[first … first + n)
 * are theirs, board->nenvs_shown cells a project. */
struct status_wave {
	int wave;
	size_t first_project; /* index into board->projects */
	size_t nprojects;
};

struct status_board {
	const struct plan *plan;
	int64_t now;
	bool *env_shown, *wave_shown; /* [nenvs], [nwaves]; NULL: all */
	size_t nenvs_shown;
	int *envs;               /* [nenvs_shown] env indices shown, in order */
	size_t nwaves;
	struct status_wave *waves; /* the waves shown, in plan order */
	size_t nprojects;
	int *projects;           /* shown projects, grouped by wave */
	size_t ncells;
	struct status_cell *cells; /* [k * nenvs_shown + j]: projects[k] in envs[j] */
	size_t nincidents;
	const struct state_incident **incidents; /* the open ones, by id */
	size_t nblockers;
	int *blockers;           /* the unresolved ones (plan indices), in plan order */
	/* rejected versions, and those allowed again (not the bare allowances) */
	size_t nrejections;
	const struct state_rejection **rejections;
	enum ready_gate_status *gates; /* [plan->ngates]: ready_gate_status as a whole */
	bool complete;           /* ready_release_complete */
	char *incomplete;        /* what is missing when not complete, else NULL */
	struct state st;         /* what the board was built from */
};

/*
 * The board of plan p now: every project (or wave only_wave's, -1 all) in
 * every environment (or only_env, -1 all), grouped by wave, with the open
 * incidents and unresolved blockers. One read of the store. 0 ok; -1 with e
 * filled (b is then empty). Release with status_board_release.
 */
int status_board(struct status_board *b, const struct plan *p, struct store *s, int64_t now,
		 int only_env, int only_wave, struct err *e);
/* The same for several environments and waves: envs[nenvs] and
 * waves[nwaves] are plan indices; nenvs (nwaves) 0 means all. */
int status_board_sets(struct status_board *b, const struct plan *p, struct store *s,
		      int64_t now, const int *envs, size_t nenvs, const int *waves, size_t nwaves,
		      struct err *e);
void status_board_release(struct status_board *b);

/* ---- why ------------------------------------------------------------------- */

struct ready_why {
	int project, env;
	struct ready_result result; /* every rule, with details */
	struct state st;            /* what it was decided on (result.version points here) */
	/* ready_why_from: the answer asked whether a runner is alive now, which
	 * no audit entry records (a runner killed): not to be kept by the head */
	bool runner_bound;
};

struct ready_query_opts {
	bool retry_held; /* promote --retry-held: held projects are let run */
};

/*
 * Every readiness rule for project → env (1 <= env < nenvs) now, reading only
 * the cells the rules need. 0 ok (out->result.ready says the verdict); -1
 * with e filled. o may be NULL. Release with ready_why_release.
 */
int ready_why(struct ready_why *out, const struct plan *p, struct store *s, int64_t now,
	      int project, int env, const struct ready_query_opts *o, struct err *e);
void ready_why_release(struct ready_why *w);

/*
 * Many `why`s from one read (the server): a why_base holds every cell of the
 * plan as of one store read; ready_why_from answers from it what ready_why
 * would answer from the store at that point, the same rules on the same
 * cells (the base's read set is narrowed to ready_cells_needed for the
 * check, as ready_why reads only those). Where the answer depends on the
 * clock beyond the base (a cell of the read set deploying or verifying: is
 * its runner alive now; the pair itself rolled back: its rollbacks in the
 * hold window before now), it is ready_why itself on s.
 *
 * The base is valid while the store's state is what it was read at: the
 * caller keys it (serve: by the audit log's head and the plan's hash). One
 * ready_why_from at a time per base (it narrows the base while it checks).
 * out->result.version may point into the base: release out before the base.
 */
struct why_base;
int why_base_load(struct why_base **out, const struct plan *p, struct store *s, struct err *e);
void why_base_free(struct why_base *b);
int ready_why_from(struct ready_why *out, struct why_base *b, const struct plan *p,
		   struct store *s, int64_t now, int project, int env,
		   const struct ready_query_opts *o, struct err *e);

/* ---- next ------------------------------------------------------------------ */

struct ready_next_item {
	int project;
	int env;
	int from;            /* env - 1 */
	const char *version; /* the version that would move (points into the state) */
};

struct ready_next {
	size_t n, alloc;
	struct ready_next_item *v; /* by environment, then dependency order */
	struct state st;
};

/* Every (project, env) for which every readiness rule holds now. 0 ok; -1
 * with e filled. o may be NULL. Release with ready_next_release. */
int ready_next(struct ready_next *out, const struct plan *p, struct store *s, int64_t now,
	       const struct ready_query_opts *o, struct err *e);
void ready_next_release(struct ready_next *n);

#endif
