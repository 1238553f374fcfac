/*
 * ready.h - readiness (SPEC §3): may project P go to environment E (E > 0)
 * now? Eight rules, each ok / not ok with a detail a person can act on.
 *
 * Pure: plan + state snapshot + now in, verdicts out; no store, no I/O.
 * A ready_ctx caches what does not depend on the project (gates, checklist,
 * blockers and wave order per wave × environment, freeze per environment,
 * the global incident pause) so that evaluating every project stays O(n).
 */
#ifndef TOLLGATE_ENGINE_READY_H
#define TOLLGATE_ENGINE_READY_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/state.h"

struct plan;

enum ready_rule {
	RULE_SOURCE,
	RULE_DEPENDS_ON,
	RULE_WAVE_ORDER,
	RULE_GATES,
	RULE_CHECKLIST,
	RULE_BLOCKERS,
	RULE_FREEZE,
	RULE_INCIDENTS,
	RULE_COUNT
};
/* The SPEC §3 name: "source", "depends_on", … "incidents". */
const char *ready_rule_name(enum ready_rule r);

struct ready_verdict {
	bool ok;
	char *detail; /* owned by the result; NULL when details were not asked for */
};

struct ready_result {
	bool ready;
	const char *version; /* the version that would move (points into the state), or NULL */
	struct ready_verdict rules[RULE_COUNT];
};
void ready_result_release(struct ready_result *r);

struct ready_cache;
struct ready_ctx {
	const struct plan *plan;
	const struct state *st;
	int64_t now;
	struct ready_cache *cache;
};

/* The ctx borrows plan and st, which must outlive it. */
void ready_ctx_init(struct ready_ctx *c, const struct plan *p, const struct state *st, int64_t now);
void ready_ctx_release(struct ready_ctx *c);

/*
 * Evaluate every rule for project → env (1 <= env < nenvs). With details,
 * each verdict carries its text; without, only ok flags are set (fast path
 * for `next` and `promote`). out is overwritten; release it with
 * ready_result_release.
 */
void ready_check(struct ready_ctx *c, int project, int env, bool details, struct ready_result *out);

/*
 * The projects whose cells ready_check(project, env) reads: the project, its
 * depends_on, and the projects of the wave its wave waits for. Returns how
 * many were stored in *out (malloc'ed; free it); for state_load_of.
 */
size_t ready_cells_needed(const struct plan *p, int project, int env, int **out);

/* Is the project's live state in env "there" (healthy or soaking)? */
bool ready_is_live(enum promo_state s);
/* Is the target date of project in env passed while it is not there yet? */
bool ready_is_late(const struct plan *p, const struct state *st, int project, int env,
		   int64_t now);

#endif
