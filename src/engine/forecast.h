/*
 * forecast.h - the calendar the plan's constraints make (issue 15): for
 * every project × environment not yet healthy, the earliest time it can
 * start and be healthy, how much slack its target date has and the chain of
 * constraints that decides it; and for every pending human action (a gate,
 * a checklist item, an open blocker) the latest time it must happen for
 * every target it holds up to be met.
 *
 * Pure: plan + state + now + assumptions in, dates out (forecast_compute);
 * forecast_query reads the state and the step history from the store first.
 * The rules (docs/forecast.md):
 *   - a cell soaking is healthy at its soak_until; one deploying or
 *     verifying is soaking once its expected duration has passed; healthy
 *     ones are done; rolled-back, failed and held ones say what they need
 *     and are forecast as if it were given now (conditional);
 *   - a promotion into E starts once the project is healthy in E - 1, its
 *     dependencies are soaking in E, the wave its wave is `after` is healthy
 *     in that environment, its wave's window is open, every open blocker on
 *     it is resolved (at its due date; an overdue one, or one without a due
 *     date, is assumed resolved now: conditional), and outside E's freezes;
 *     open incidents in the way are assumed resolved now (conditional);
 *     gates and checklist items are assumed done now;
 *   - it takes the project's expected duration (the median of its finished
 *     deploy + verify runs, FORECAST_DURATION_DEFAULT when none), then soaks
 *     for E's soak;
 *   - at risk: the earliest healthy time is after the end of the target day.
 * Latest times run the same graph backwards from the targets.
 */
#ifndef TOLLGATE_ENGINE_FORECAST_H
#define TOLLGATE_ENGINE_FORECAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/state.h"
#include "util/util.h"

struct plan;
struct store;

/* A promotion's deploy + verify, in seconds, when the store has no finished
 * run of the project. */
#define FORECAST_DURATION_DEFAULT (10 * 60)

/* What-if (`--assume`): each array is indexed like the plan's; 0 (or -1 for
 * soak) means "as it is". */
struct forecast_assume {
	int64_t *blocker_at; /* [nblockers] the blocker is resolved then */
	int64_t *gate_at;    /* [ngates] the gate is approved then */
	int64_t *item_at;    /* [nitems] the item is done then */
	int64_t *soak;       /* [nenvs] the environment's soak, seconds; -1 the plan's */
	bool no_freeze;      /* freeze:none: no freeze window counts */
};
void forecast_assume_init(struct forecast_assume *a, const struct plan *p);
void forecast_assume_release(struct forecast_assume *a);
/*
 * One --assume: "blocker:ID=DATE", "gate:ID=DATE", "item:ID=DATE" (DATE a
 * day or an RFC 3339 time), "soak:ENV=DURATION", "freeze:none". 0 ok; -1
 * with e filled (ERR_USAGE) on a bad kind, id or value.
 */
int forecast_assume_parse(struct forecast_assume *a, const struct plan *p, const char *spec,
			  struct err *e);

struct forecast_opts {
	const struct forecast_assume *assume; /* NULL: none */
	/* [nprojects] expected deploy + verify, seconds; NULL: the state's
	 * (state.durations), else the default */
	const int64_t *durations;
	int only_env, only_wave, only_project; /* -1: all (what is listed only) */
	/* dates only (status's marks): no because chains (nbecause 0), no
	 * deadlines */
	bool no_chains, no_deadlines;
};
#define FORECAST_OPTS_INIT { NULL, NULL, -1, -1, -1, false, false }

struct forecast_cell {
	int project, env;
	enum store_state state;
	int64_t target;          /* the target day (midnight), 0 none */
	int64_t start, healthy;  /* earliest; 0: cannot be forecast (a cycle) */
	bool has_slack;          /* a target and a forecast */
	int64_t slack_days;      /* floor((end of target day - healthy) / 1 day) */
	bool at_risk;            /* healthy after the end of the target day */
	bool conditional;        /* rests on an assumption that is not a plan date */
	size_t nbecause;
	const char **because;    /* the chain that decides it, first cause first */
};

enum forecast_kind { FORECAST_GATE, FORECAST_ITEM, FORECAST_BLOCKER };
/* "gate", "item", "blocker" */
const char *forecast_kind_name(enum forecast_kind k);

struct forecast_target {
	int project, env;
	int64_t target;
};

struct forecast_deadline {
	enum forecast_kind kind;
	int id;       /* index in the plan's gates / items / blockers */
	int64_t by;   /* latest time it may happen; 0: no target depends on it */
	size_t nfor;
	struct forecast_target *for_; /* the targets it holds up, tightest first */
};

struct forecast {
	const struct plan *plan;
	int64_t now;
	bool rehearsal; /* forecast_query: read from a rehearsal store */
	size_t ncells;
	struct forecast_cell *cells; /* by environment, then plan order */
	size_t ndeadlines;
	struct forecast_deadline *deadlines; /* soonest first, none last */
	int *cell_of; /* [project * nenvs + env]: index in cells, -1 not listed */
	struct arena arena;
};

/*
 * Compute the forecast of plan p on state st (every project's cells) at now.
 * o may be NULL (FORECAST_OPTS_INIT). Release f with forecast_release.
 */
void forecast_compute(struct forecast *f, const struct plan *p, const struct state *st,
		      int64_t now, const struct forecast_opts *o);
void forecast_release(struct forecast *f);

/*
 * The expected deploy + verify of each project from the store's history
 * (the median of its finished runs, rounded to the second; the default when
 * none): *out is [nprojects], malloc'ed. 0 ok; -1 with e filled.
 */
int forecast_durations(const struct plan *p, struct store *s, int64_t **out, struct err *e);

/*
 * forecast_compute on the store's state (one read) and step history. 0 ok;
 * -1 with e filled (f is then empty).
 */
int forecast_query(struct forecast *f, const struct plan *p, struct store *s, int64_t now,
		   const struct forecast_opts *o, struct err *e);

/*
 * The cells at risk now (for the notification digest's "new risks"): the
 * at-risk cells of forecast_compute(p, st, now) with the default durations
 * (or durations, [nprojects], when not NULL) and no assumption, by
 * environment then plan order. *out is malloc'ed (free it); the count.
 */
struct forecast_risk {
	int project, env;
	int64_t target, healthy;
};
size_t forecast_at_risk(const struct plan *p, const struct state *st, int64_t now,
			const int64_t *durations, struct forecast_risk **out);

/* Is (project, env) at risk in f? (status marks the cell) */
bool forecast_cell_at_risk(const struct forecast *f, int project, int env);

#endif
