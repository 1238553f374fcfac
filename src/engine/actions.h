/*
 * actions.h - the domain functions behind the state commands (and later the
 * HTTP API): record, approve, revoke, check, uncheck, checklist run, blocker
 * update, incident open/resolve.
 *
 * Each one validates its ids against the plan (unknown → ERR_USAGE with a
 * "did you mean"), checks who may do it (→ ERR_NOT_READY), then writes ONE
 * store change: one transaction and one audit entry, or nothing at all.
 * Nothing here prints; outcomes come back in small structs for the caller to
 * word.
 *
 * People and roles (SPEC §5, issue 3 §4): an approval is given for one role
 * of the gate that the person holds. A person holding several of a gate's
 * roles fills one of them per gate (the first, in the gate's order, that is
 * still open, or the one asked for with `role`); the others need someone
 * else, since a gate wants approvals from distinct people. A person holding
 * none of the roles is refused with ERR_NOT_READY.
 */
#ifndef TOLLGATE_ENGINE_ACTIONS_H
#define TOLLGATE_ENGINE_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct plan;
struct store;

struct action_ctx {
	const struct plan *plan;
	struct store *store;
	int64_t now;
	const char *actor; /* a people id; NULL where the action allows no person */
};

/* Id lookups: the index, or -1 with e = ERR_USAGE "unknown project 'x'; did
 * you mean 'y'?". */
int action_find_project(const struct plan *p, const char *id, struct err *e);
int action_find_env(const struct plan *p, const char *name, struct err *e);
int action_find_wave(const struct plan *p, const char *id, struct err *e);
int action_find_gate(const struct plan *p, const char *id, struct err *e);
int action_find_item(const struct plan *p, const char *id, struct err *e);
int action_find_blocker(const struct plan *p, const char *id, struct err *e);
/* The acting person's index; -1 with ERR_USAGE when ctx->actor is NULL or
 * unknown, ERR_NOT_READY for a placeholder (identity_actor). */
int action_find_actor(const struct action_ctx *c, struct err *e);

/* record: `version` healthy in env for project. Any environment but the
 * source needs a person who may change it (identity_env_actor: promoters).
 * 0 recorded, 1 healthy there already (nothing written), -1. */
int action_record(const struct action_ctx *c, const char *project, const char *env,
		  const char *version, struct err *e);

/* A parsed versions file: lines "PROJECT VERSION", '#' comments, blanks. */
struct action_version {
	char *project, *version;
	int line;
};
struct action_versions {
	size_t n, alloc;
	struct action_version *v;
	/* every bad line, "FILE:LINE: what" (FILE:LINE:COL for bad bytes) */
	size_t nproblems, problems_alloc;
	char **problems;
	enum err_reason first_reason; /* of problems[0] */
};
void action_versions_release(struct action_versions *l);
/* Parse text (named `name` in messages: a file's name or "<stdin>") and
 * check every line: the project against the plan, the version as the store
 * would. Every bad line is in l->problems; any → -1 ERR_USAGE and no
 * version in l: the message is the one problem, or "FILE: N bad lines;
 * nothing recorded". Release l after every call, whatever it returned. */
int action_parse_versions(const struct plan *p, const char *name, const char *text, size_t len,
			  struct action_versions *l, struct err *e);
/* Record them all in env, in one transaction (the person rules of
 * action_record). Returns how many were healthy there already (l->n:
 * nothing written), or -1. */
int action_record_bulk(const struct action_ctx *c, const char *env,
		       const struct action_versions *l, struct err *e);

#define APPROVE_MAX_ROLES 32
struct approve_result {
	const char *role;    /* the role recorded (or already held), in the plan */
	bool already;        /* it was given and still counts: nothing written */
	bool scope_plan;     /* the gate approves the plan as a whole */
	/* scope versions: the projects it covers, each with its candidate
	 * version (owned), and those with no candidate (not covered) */
	size_t ncovered, nuncovered;
	int *covered;
	char **versions;
	int *uncovered;
	int64_t until; /* when it stops counting (the gate's `expires`), 0 never */
	/* the gate's roles not filled yet (pointing into the plan) */
	size_t nneeds;
	const char *needs[APPROVE_MAX_ROLES];
	/* of those, the ones the person holds too: they need someone else */
	size_t nothers;
	const char *others[APPROVE_MAX_ROLES];
};
void approve_result_release(struct approve_result *r);
/*
 * Approve gate as the acting person (role NULL: pick as described above).
 * A gate of `scope: versions` is approved for the candidate version of each
 * project it guards (projects: only those, n > 0), as ready_candidate says
 * now; projects with none are not covered, and with none covered nothing is
 * approved (ERR_NOT_READY). An approval already given that still counts for
 * all of them is `already` (nothing written); one that no longer does (an
 * older version, expired) is given again. Release out after success.
 */
int action_approve(const struct action_ctx *c, const char *gate, const char *role,
		   const char *const *projects, size_t nprojects, struct approve_result *out,
		   struct err *e);
/* Take the acting person's approval of gate back; *role_out gets its role.
 * 1 (nothing written, *role_out NULL) when they have none: revoked already. */
int action_revoke(const struct action_ctx *c, const char *gate, const char **role_out,
		  struct err *e);

/*
 * `tollgate import --state` (docs/import.md): the state a Markdown plan
 * records, each write one change audited with actor "import"
 * (STATE_IMPORT_ACTOR, state.h) and the detail "imported from FROM"
 * (FILE:LINE of the document or versions file). No person is named or
 * checked: nobody approved or ticked anything in tollgate. Each returns 0
 * written, 1 held already (nothing written), or -1.
 */
int action_import_tick(const struct action_ctx *c, const char *item, const char *from,
		       struct err *e);
int action_import_progress(const struct action_ctx *c, const char *blocker, int progress,
			   const char *from, struct err *e);
/* version healthy in env for project (the source environment's versions). */
int action_import_version(const struct action_ctx *c, const char *env, const char *project,
			  const char *version, int line, const char *from, struct err *e);
/* gate passed: one approval per role of the gate by "import", for the
 * candidate of each project it guards now (as action_approve; a gate of
 * scope versions with no candidate: ERR_NOT_READY, nothing written). An
 * imported approval counts for its role until it is revoked (by a person
 * holding the role: action_revoke) or the candidate changes. Release out
 * after success. */
int action_import_gate(const struct action_ctx *c, const char *gate, const char *from,
		       struct approve_result *out, struct err *e);

/*
 * Rejected versions (issue 9). reject: version of project is not promoted
 * into env (NULL: any environment) again until a person allows it; allow:
 * lifts that (in env, or NULL: wherever it is rejected). Both need a person
 * and a reason; *already is set (nothing written) when the version is
 * already rejected there / not rejected there.
 */
int action_reject(const struct action_ctx *c, const char *project, const char *version,
		  const char *env, const char *reason, bool *already, struct err *e);
int action_allow(const struct action_ctx *c, const char *project, const char *version,
		 const char *env, const char *reason, bool *already, struct err *e);

/*
 * Repeating an action that already holds (issue 9 §8) writes nothing, no
 * audit entry, and returns 1 instead of 0: approve (approve_result.already),
 * revoke, tick, untick, a blocker's progress or resolve, incident resolve,
 * record. An action that contradicts the state (progress below 100 on a
 * resolved blocker) is refused unless it says so (reopen).
 */

/* check / uncheck by hand, by a holder of one of the item's `by` roles
 * (ERR_NOT_READY otherwise). 1: it was ticked / unticked already. */
int action_tick(const struct action_ctx *c, const char *item, bool done, const char *note,
		struct err *e);

/* checklist run: one check command's outcome. */
struct check_outcome {
	int item;          /* plan index */
	bool ran;          /* false: could not start */
	bool ok;           /* exit status 0 */
	int exit_status;   /* -1 when killed, timed out or not started */
	char how[160];     /* "exited with status 1", "timed out after 15m" … */
	char *tail;        /* last lines of its output (owned) */
	int64_t seconds;   /* how long it ran */
};
struct check_outcomes {
	size_t n;
	struct check_outcome *v;
};
void check_outcomes_release(struct check_outcomes *o);
/* Run the `check` command of each item named (every item with a check when
 * n == 0) by /bin/sh -c in the plan's folder with its timeout, and record
 * each outcome as evidence (done = exit 0) in its own change. Naming an item
 * without a check → ERR_USAGE before anything runs. Returns 0 when every
 * outcome was recorded (whatever the checks said), -1 on a store failure. */
int action_checklist_run(const struct action_ctx *c, const char *const *items, size_t n,
			 struct check_outcomes *out, struct err *e);

/* blocker: progress (0..100; -1 leaves it) and/or resolve. Progress 100
 * resolves the blocker too. progress_out and resolved_out get the result.
 * 1: it stands so already. A progress below 100 on a resolved blocker is
 * ERR_USAGE (REASON_CONFLICT) unless reopen (which needs such a progress). */
int action_blocker(const struct action_ctx *c, const char *id, int progress, bool resolve,
		   bool reopen, int *progress_out, bool *resolved_out, struct err *e);

/* incidents */
int action_incident_open(const struct action_ctx *c, int level, const char *env,
			 const char *project, const char *text, int64_t *id_out, struct err *e);
/* 1: resolved already (nothing written); ERR_USAGE for an unknown id. */
int action_incident_resolve(const struct action_ctx *c, int64_t id, struct err *e);

#endif
