/*
 * ready.h - readiness (SPEC §3): may project P go to environment E (E > 0)
 * now? Eight rules, each ok / not ok with a detail a person can act on.
 *
 * Pure: plan + state + now in, verdicts out; no store, no I/O. `why`,
 * `next`, `promote` (and --dry-run), `status` and the report all decide here:
 * one rule set, one gate status, one "late".
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

/* What a person could do to make a rule pass (with details only): the
 * dashboard offers these as buttons to whoever may do them. */
enum ready_fix_kind {
	FIX_APPROVE,    /* gate, role: an approval the gate still needs */
	FIX_CHECK,      /* item: a checklist item not done */
	FIX_BLOCKER,    /* blocker: an open blocker in the way */
	FIX_ALLOW,      /* the candidate version is rejected: allow it again */
	FIX_RETRY_HELD, /* held after repeated rollbacks: promote --retry-held */
};
struct ready_fix {
	enum ready_fix_kind kind;
	enum ready_rule rule; /* the rule it makes pass (or helps to) */
	int gate, item, blocker; /* -1 when not of this kind */
	const char *role;        /* FIX_APPROVE: points into the plan */
};
/* "approve", "check", "blocker", "allow", "retry-held" */
const char *ready_fix_name(enum ready_fix_kind k);

struct ready_result {
	bool ready;
	const char *version; /* the version that would move (points into the state), or NULL */
	struct ready_verdict rules[RULE_COUNT];
	struct ready_fix *fixes; /* with details: what would fix the rules not ok */
	size_t nfixes;
};
void ready_result_release(struct ready_result *r);

/*
 * The hold rule (part of `source`): a project rolled back READY_HOLD_COUNT
 * times in one environment within READY_HOLD_WINDOW seconds, with no
 * soaking/healthy promotion there in between, is held until a person lets it
 * run with --retry-held (state_cell.rollbacks counts them; the state must be
 * loaded with `now` for that, state_load_opts). The one definition.
 */
#define READY_HOLD_COUNT 3
#define READY_HOLD_WINDOW (24 * 3600)

struct ready_cache;
struct ready_ctx {
	const struct plan *plan;
	const struct state *st;
	int64_t now;
	/* --retry-held: a person lets held projects run (false after init;
	 * set it before the first ready_check) */
	bool retry_held;
	/* optional, borrowed: each wave's projects in plan order ([wave], n in
	 * nwave_members), so a check walks a wave rather than every project
	 * (the server's why_base); NULL: walk every project */
	int *const *wave_members;
	const size_t *nwave_members;
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

/*
 * A one-line summary of what stops project → env: the names of the rules not
 * ok (ok[] as ready_check gave them, or as a caller relaxed them) and the
 * first of their details: "source, gates: …". Owned by the caller. For
 * `promote`'s not-ready list, so that it reads as `why`.
 */
char *ready_summary(struct ready_ctx *c, int project, int env, const bool ok[RULE_COUNT]);

/* Is the project's live state in env "there" (healthy or soaking)? */
bool ready_is_live(enum store_state s);
/* THE lateness rule (status, report): project has a target date in env, the
 * whole target day has passed, and it is not there (healthy or soaking). */
bool ready_is_late(const struct plan *p, const struct state *st, int project, int env,
		   int64_t now);
/* The same rule from the target date (0: none) and the pair's state. */
bool ready_target_late(int64_t target, enum store_state s, int64_t now);
/* Recent rollbacks when the hold rule holds the pair (project, env): the
 * count, else 0. */
int ready_held(const struct state *st, int project, int env);

/*
 * Approvals (issue 9). A gate's approval by a person for one of its roles
 * counts while the person holds the role (in the plan as it is now), before
 * the gate's `expires` after it was given, and — for a gate of `scope:
 * versions`, the default — for project P only while P's candidate for the
 * gate's environment is the version the approval was given for. A gate of
 * `scope: plan` is approved as a whole. Each role must be filled by a
 * different person: an approval never fills two roles of one gate.
 */
/* P's candidate for env (>= 1): the version that would be promoted into env
 * next, i.e. the one soaking or healthy in env - 1, or NULL. */
const char *ready_candidate(const struct state *st, int project, int env);
enum ready_approval {
	APPROVAL_COUNTS,
	APPROVAL_ROLE_LOST,    /* the person does not hold the role now */
	APPROVAL_EXPIRED,      /* the gate's `expires` has passed since it was given */
	APPROVAL_NO_CANDIDATE, /* the project has no candidate now */
	APPROVAL_NOT_COVERED,  /* given with no version for the project */
	APPROVAL_STALE,        /* given for another version than the candidate */
};
/* What approval a says for project (-1: for the gate as a whole, versions
 * aside) now. */
enum ready_approval ready_approval_check(const struct plan *p, const struct state *st,
					 const struct state_approval *a, int project, int64_t now);
/* When a stops counting for project (-1: as a whole), 0: never. */
int64_t ready_approval_expires(const struct plan *p, const struct state *st,
			       const struct state_approval *a, int project);

/* THE gate status (why's `gates` rule, the report's gate table, status):
 * for project (its candidate version), or for project -1 the gate as a
 * whole: every project of its waves that has a candidate now. */
enum ready_gate_status { GATE_PENDING, GATE_IN_PROGRESS, GATE_PASSED };
const char *ready_gate_status_name(enum ready_gate_status s); /* "pending" "in progress" "passed" */
enum ready_gate_status ready_gate_status(const struct plan *p, const struct state *st, int gate,
					 int project, int64_t now);
/* The approval that fills role on gate for project (-1: as a whole), or NULL. */
const struct state_approval *ready_gate_approval(const struct plan *p, const struct state *st,
						 int gate, const char *role, int project,
						 int64_t now);
/* How many of the gate's roles are filled / criteria are done. */
size_t ready_gate_napproved(const struct plan *p, const struct state *st, int gate, int project,
			    int64_t now);
size_t ready_gate_ncriteria_done(const struct plan *p, const struct state *st, int gate);
/* The gate in words, as `why` says it: "gate 'g' passed for 3.13.0 (alice as
 * release-manager, …)", or what it still needs ("gate 'g': approval by
 * alice (release-manager) was for 3.12.0; the candidate is now 3.13.0 —
 * approve again", roles, criteria). Appended to sb. */
void ready_gate_explain(const struct plan *p, const struct state *st, int gate, int project,
			int64_t now, struct strbuf *sb);

/*
 * Rejected versions (issue 9): a version rolled back from an environment, or
 * that failed there, or rejected by a person, is not promoted into it again
 * (rule `source`) until a person allows it again. The rejection that stops
 * version of project going into env now, or NULL.
 */
const struct state_rejection *ready_rejection(const struct state *st, int project,
					      const char *version, int env);
/* "version 2.8.1 was rolled back from prod-eu on T (reason)" and the like. */
void ready_describe_rejection(const struct plan *p, const struct state_rejection *r,
			      struct strbuf *sb);

/*
 * The release's completion (issue 9): every project healthy in the last
 * environment and that environment's `success` items done. When it is not
 * complete and why is not NULL, what is missing is appended to it
 * ("3 of 7 projects healthy in prod; success criteria not done: 'x'").
 * Needs every project's cells.
 */
bool ready_release_complete(const struct plan *p, const struct state *st, struct strbuf *why);

#endif
