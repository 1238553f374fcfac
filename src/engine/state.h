/*
 * state.h - the live state of a plan, indexed by plan indices: what is
 * deployed where (with each pair's recent rollbacks and, for the report, its
 * last run's log), who approved which gate, which checklist items are done,
 * each blocker's progress, the incidents and, for the report, the tail of the
 * audit log.
 *
 * This is the one model of the live state: `status`, `why`, `next`,
 * `promote`, `soak` and the report all read it, loaded from the store in ONE
 * read (state_load_opts), and the questions every front end asks of it are
 * answered here once: what a state is called (the store's table,
 * store_state_name), what runs in a pair (state_live_version), what failed
 * there (state_failed_version). Readiness, gates and lateness are in ready.h.
 * Tests build states by hand with state_init_empty and the setters.
 * Everything a state points at lives in its arena or in the store snapshot
 * it keeps; state_release frees it.
 */
#ifndef TOLLGATE_ENGINE_STATE_H
#define TOLLGATE_ENGINE_STATE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/util.h"

struct plan;

/* SPEC §2 states are enum store_state (store.h): one enum, one table of
 * names (store_state_name / store_state_parse). */

/* One project in one environment. */
struct state_cell {
	enum store_state state;
	/* rollbacks of the pair since it was last soaking or healthy, within
	 * the hold window before the state's `now` (the hold rule, ready.h);
	 * counted for rolled-back pairs only, 0 otherwise */
	int rollbacks;
	/* deploying or verifying, but the run that holds it is gone (its lease
	 * is missing, expired, or names a dead process or a run this process no
	 * longer has): the next promote repairs it to interrupted and retries,
	 * so readiness counts it as interrupted */
	bool orphaned;
	const char *version;  /* NULL: none; for rolled-back/failed the one that failed */
	const char *previous; /* the version live before, NULL: none */
	int64_t since;        /* when the cell entered its state, 0 = never */
	int64_t soak_until;   /* end of the soak when soaking, 0 = none */
	const char *log;      /* the last step's log (loaded with STATE_LOAD_LOGS), NULL none */
};

/* The actor of an approval written by `tollgate import --state` (a gate the
 * imported document says passed): it stands for no person, fills the one
 * role it was given for, and counts as any approval does until it is
 * revoked or its candidate changes (docs/import.md). */
#define STATE_IMPORT_ACTOR "import"

struct state_approval {
	int gate;
	int person; /* people index; -1 when imported */
	bool imported; /* given by `import --state` (STATE_IMPORT_ACTOR) */
	const char *role;
	int64_t at; /* when it was (last) given */
	/* what it covers (a gate with `scope: versions`): state.covers[first
	 * … first + ncovers) once the state is indexed (state_index) */
	size_t covers_first, ncovers;
};

/* One project's version an approval was given for. */
struct state_cover {
	size_t approval; /* index into state.approvals */
	int project;     /* project index */
	const char *version;
	int64_t at;      /* when */
};

/* A version that must not be promoted into an environment again (a
 * rollback or failure there, or a person's `reject`), unless allowed again. */
enum state_rejection_kind {
	REJECT_ROLLED_BACK, /* rolled back from env */
	REJECT_FAILED,      /* failed there, and its rollback failed too (or there is none) */
	REJECT_BY_HAND,     /* `tollgate reject` */
	REJECT_ALLOWANCE,   /* no rejection of its own: allows it in env against an every-env one */
};
struct state_rejection {
	int project;
	const char *version;
	int env; /* env index; -1: every environment */
	enum state_rejection_kind kind;
	const char *reason, *by; /* may be NULL */
	int64_t at;
	bool allowed; /* a person allowed it again */
	const char *allowed_by, *allowed_reason;
	int64_t allowed_at;
};

/* A checklist item: its last tick, by hand or by a check run. */
struct state_tick {
	bool done;
	bool known; /* false: never ticked nor run */
	const char *by; /* people id */
	int64_t at;
	const char *note;
	bool has_evidence; /* set by `checklist run` */
	int exit_status;   /* of the check; -1 when it did not finish (timeout, spawn) */
	const char *output; /* tail of its output */
};

struct state_blocker {
	int progress; /* 0..100 */
	bool resolved;
	int64_t updated; /* 0 = as in the plan */
	const char *by;
};

struct state_incident {
	int64_t id;
	int level;   /* 1..3 */
	int env;     /* env index, -1 none */
	int project; /* project index, -1 none */
	const char *text;
	const char *opened_by;
	int64_t opened_at;
	bool open;
	int64_t resolved_at;
	const char *resolved_by;
};

/* An audit entry as the report shows it (STATE_LOAD_AUDIT). */
struct state_change {
	int64_t date;
	const char *text;   /* "action subject: detail" */
	const char *author; /* the actor */
};

/* How many audit entries of one action one UTC day holds (STATE_LOAD_AUDIT). */
struct state_activity {
	int64_t day; /* the day's midnight, UTC */
	const char *action;
	int64_t count;
};

struct state {
	struct arena arena;
	const struct plan *plan;
	int64_t now; /* the time the hold window was counted back from */
	bool live;   /* read from a store (false: built by hand, or nothing loaded) */
	bool rehearsal; /* read from a rehearsal store (store_is_rehearsal) */
	size_t nprojects, nenvs;
	struct state_cell *cells; /* [project * nenvs + env] */
	size_t napprovals, approvals_alloc;
	struct state_approval *approvals;
	size_t ncovers, covers_alloc;
	struct state_cover *covers;
	size_t nrejections, rejections_alloc;
	struct state_rejection *rejections; /* by project once indexed */
	bool indexed; /* state_index ran since the last cover / rejection was added */
	struct state_tick *ticks;       /* [item] */
	struct state_blocker *blockers; /* [blocker] */
	size_t nincidents, incidents_alloc;
	struct state_incident *incidents;
	/* STATE_LOAD_AUDIT: the audit entries that changed the plan (a
	 * plan.loaded with a new digest, moved, forget), oldest first: the
	 * change log's; the log's tail (recent), oldest first; and the whole
	 * log counted by day and action (activity, by day then action) */
	size_t nchanges, changes_alloc;
	struct state_change *changes;
	size_t nrecent, recent_alloc;
	struct state_change *recent;
	size_t nactivity, activity_alloc;
	struct state_activity *activity;
	int64_t activity_total; /* entries in the whole log */
	/* state_load_of: which projects' cells were read ([project] != 0);
	 * NULL: all of them */
	unsigned char *loaded;
	/* each project's expected deploy + verify in seconds, for the forecast
	 * (engine/forecast.h, forecast_durations): [nprojects] in the arena, or
	 * NULL (the forecast's default) */
	int64_t *durations;
	/* what state_load read, when the strings above point into it */
	void *backing;
	void (*backing_release)(void *backing);
};

/* Nothing happened yet: every cell none, no approval, no tick, each blocker at
 * the plan's progress, no incident. Release with state_release(). */
void state_init_empty(struct state *st, const struct plan *p);
void state_release(struct state *st);

static inline struct state_cell *state_cell(const struct state *st, int project, int env)
{
	assert(!st->loaded || st->loaded[project]);
	return &st->cells[(size_t)project * st->nenvs + (size_t)env];
}

/* What runs in the pair as far as tollgate knows: the version when healthy or
 * soaking; the one restored when rolled back; the one still there while a
 * new one is deployed, verified or was interrupted; NULL when none or when a
 * failed rollback left it unknown. */
const char *state_live_version(const struct state_cell *c);
/* The version that failed there (rolled-back or failed), or NULL. */
const char *state_failed_version(const struct state_cell *c);

/* Setters (strings are copied into the arena). */
void state_set_cell(struct state *st, int project, int env, enum store_state s,
		    const char *version, const char *previous, int64_t since, int64_t soak_until);
void state_set_rollbacks(struct state *st, int project, int env, int rollbacks);
void state_set_log(struct state *st, int project, int env, const char *path);
/* Returns the approval's index (for state_add_cover). */
size_t state_add_approval(struct state *st, int gate, int person, const char *role, int64_t at);
void state_add_cover(struct state *st, size_t approval, int project, const char *version,
		     int64_t at);
struct state_rejection *state_add_rejection(struct state *st, const struct state_rejection *r);
/* Sort covers and rejections for the lookups below (state_load does it; a
 * state built by hand works without, only slower). */
void state_index(struct state *st);
/* What approval a covers for project: its cover, or NULL. */
const struct state_cover *state_approval_cover(const struct state *st,
					       const struct state_approval *a, int project);
/* The rejection row that decides whether version of project may go into env
 * (env's own row, else the every-env one), or NULL when none. Whether it
 * still rejects: !allowed (ready_rejection). */
const struct state_rejection *state_rejection_for(const struct state *st, int project,
						  const char *version, int env);
/* "rolled-back", "failed", "rejected", "allowance" and back (-1 unknown). */
const char *state_rejection_kind_name(enum state_rejection_kind k);
int state_rejection_kind_parse(const char *name, enum state_rejection_kind *out);
void state_set_tick(struct state *st, int item, bool done, const char *by, int64_t at,
		    const char *note);
void state_set_evidence(struct state *st, int item, int exit_status, const char *output);
void state_set_blocker(struct state *st, int blocker, int progress, bool resolved,
		       int64_t updated, const char *by);
struct state_incident *state_add_incident(struct state *st, const struct state_incident *in);
void state_add_change(struct state *st, int64_t date, const char *text, const char *author);
void state_add_recent(struct state *st, int64_t date, const char *text, const char *author);
void state_add_activity(struct state *st, int64_t day, const char *action, int64_t count);

/* Who gave approval a, for messages: a people id, or STATE_IMPORT_ACTOR. */
const char *state_approval_by(const struct plan *p, const struct state_approval *a);
/* The approval person gave on gate, or NULL. */
const struct state_approval *state_find_approval(const struct state *st, int gate, int person);
/* The approval given for role on gate, or NULL (whether it still counts is
 * ready_approval_counts). */
const struct state_approval *state_find_role(const struct state *st, int gate, const char *role);

/* What a load reads besides the state readiness needs. */
enum {
	STATE_LOAD_LOGS = 1 << 0,  /* each pair's last step log (state_cell.log) */
	STATE_LOAD_AUDIT = 1 << 1, /* the audit log's plan changes, tail and counts */
};
struct state_load_opts {
	/* the hold rule counts rollbacks back from this time (the caller's
	 * clock); 0: the cells' rollbacks stay 0 and nothing is held */
	int64_t now;
	/* only these projects' cells (see ready_cells_needed); reading another
	 * project's cell is a bug (asserted). NULL: every project */
	const int *projects;
	size_t nprojects;
	/* hold_one: the hold rule needs the pair (hold_project, hold_env)
	 * only (why): counted by a cheap read of its history */
	bool hold_one;
	int hold_project, hold_env;
	unsigned what;      /* STATE_LOAD_ bits */
	size_t audit_tail;  /* with STATE_LOAD_AUDIT: this many recent entries (0: 200) */
};

/*
 * Load the state of plan p from the store in ONE read transaction (one
 * consistent snapshot, logs and audit tail included when asked). Rows naming
 * ids the plan no longer has are skipped. 0 ok; -1 with e filled (ERR_FAILED
 * when the store cannot be read). st is released on failure.
 */
int state_load_opts(struct state *st, const struct plan *p, struct store *s,
		    const struct state_load_opts *o, struct err *e);
/* state_load_opts with every project, nothing extra and no hold count
 * (a zeroed state_load_opts). */
int state_load(struct state *st, const struct plan *p, struct store *s, struct err *e);
/* The same with only the cells of the n listed projects. */
int state_load_of(struct state *st, const struct plan *p, struct store *s, const int *projects,
		  size_t n, struct err *e);

#endif
