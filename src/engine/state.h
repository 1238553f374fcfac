/*
 * state.h - a snapshot of a plan's live state, indexed by plan indices: what
 * is deployed where, who approved which gate, which checklist items are done,
 * each blocker's progress and the incidents.
 *
 * A command loads one snapshot from the store in one read (state_load) and
 * hands it to the readiness rules (ready.h), which never touch the store.
 * Tests build snapshots by hand with state_init_empty and the setters.
 * Everything a snapshot points at lives in its arena; state_release frees it.
 */
#ifndef TOLLGATE_ENGINE_STATE_H
#define TOLLGATE_ENGINE_STATE_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct plan;
struct store;

/* SPEC §2: the state of a project in an environment. */
enum promo_state {
	PROMO_NONE = 0,
	PROMO_DEPLOYING,
	PROMO_VERIFYING,
	PROMO_SOAKING,
	PROMO_HEALTHY,
	PROMO_ROLLED_BACK,
	PROMO_FAILED,
	PROMO_INTERRUPTED,
};
const char *promo_state_name(enum promo_state s); /* "none", "rolled-back" … */
/* 0 and *out set, or -1 for an unknown name. */
int promo_state_parse(const char *name, enum promo_state *out);

/* One project in one environment. */
struct state_cell {
	enum promo_state state;
	const char *version;  /* NULL: none */
	const char *previous; /* the version live before, NULL: none */
	int64_t since;        /* when the cell entered its state, 0 = never */
	int64_t soak_until;   /* end of the soak when soaking, 0 = none */
};

struct state_approval {
	int gate;
	int person; /* people index */
	const char *role;
	int64_t at;
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

struct state {
	struct arena arena;
	const struct plan *plan;
	size_t nprojects, nenvs;
	struct state_cell *cells; /* [project * nenvs + env] */
	size_t napprovals, approvals_alloc;
	struct state_approval *approvals;
	struct state_tick *ticks;       /* [item] */
	struct state_blocker *blockers; /* [blocker] */
	size_t nincidents, incidents_alloc;
	struct state_incident *incidents;
	/* state_load_of: which projects' cells were read ([project] != 0);
	 * NULL: all of them */
	unsigned char *loaded;
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

/* Setters (strings are copied into the arena). */
void state_set_cell(struct state *st, int project, int env, enum promo_state s,
		    const char *version, const char *previous, int64_t since, int64_t soak_until);
void state_add_approval(struct state *st, int gate, int person, const char *role, int64_t at);
void state_set_tick(struct state *st, int item, bool done, const char *by, int64_t at,
		    const char *note);
void state_set_evidence(struct state *st, int item, int exit_status, const char *output);
void state_set_blocker(struct state *st, int blocker, int progress, bool resolved,
		       int64_t updated, const char *by);
struct state_incident *state_add_incident(struct state *st, const struct state_incident *in);

/* The approval person gave on gate, or NULL. */
const struct state_approval *state_find_approval(const struct state *st, int gate, int person);
/* The approval given for role on gate, or NULL. */
const struct state_approval *state_find_role(const struct state *st, int gate, const char *role);

/*
 * Load the snapshot of plan p from the store in one read transaction.
 * Rows naming ids the plan no longer has are skipped. 0 ok; -1 with e filled
 * (ERR_FAILED when the store cannot be read). st is released on failure.
 */
int state_load(struct state *st, const struct plan *p, struct store *s, struct err *e);
/* The same with only the cells of the n listed projects read from the store
 * (see ready_cells_needed); reading another project's cell is a bug
 * (asserted). For one readiness check on a large plan. */
int state_load_of(struct state *st, const struct plan *p, struct store *s, const int *projects,
		  size_t n, struct err *e);

#endif
