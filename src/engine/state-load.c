/*
 * state-load.c - fill a state snapshot from the store: one read transaction
 * (store_snapshot), then every row mapped from ids to plan indices. Rows for
 * ids the plan no longer has (a project removed from the YAML) are skipped.
 */
#include "engine/state.h"

#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "store/store.h"

/* The two enums are the same list; keep them so. */
_Static_assert((int)PROMO_NONE == (int)STATE_NONE && (int)PROMO_DEPLOYING == (int)STATE_DEPLOYING &&
		       (int)PROMO_VERIFYING == (int)STATE_VERIFYING &&
		       (int)PROMO_SOAKING == (int)STATE_SOAKING &&
		       (int)PROMO_HEALTHY == (int)STATE_HEALTHY &&
		       (int)PROMO_ROLLED_BACK == (int)STATE_ROLLED_BACK &&
		       (int)PROMO_FAILED == (int)STATE_FAILED &&
		       (int)PROMO_INTERRUPTED == (int)STATE_INTERRUPTED,
	       "enum promo_state and enum store_state differ");

static void snapshot_free(void *p)
{
	store_snapshot_release(p);
	free(p);
}

static int load(struct state *st, const struct plan *p, struct store *s, const int *projects,
		size_t n, struct err *e)
{
	struct store_state_snapshot *keep = xcalloc(1, sizeof(*keep));
	struct store_state_snapshot snap;
	int rc;

	state_init_empty(st, p);
	if (projects) {
		const char **ids = xcalloc(n + 1, sizeof(*ids));
		st->loaded = xcalloc(p->nprojects + 1, 1);
		for (size_t i = 0; i < n; i++) {
			ids[i] = p->projects[projects[i]].id;
			st->loaded[projects[i]] = 1;
		}
		rc = store_snapshot_of(s, ids, n, keep, e);
		free(ids);
	} else {
		rc = store_snapshot(s, keep, e);
	}
	if (rc < 0) {
		free(keep);
		state_release(st);
		return -1;
	}
	/* the cells (the bulk of a large plan) point into the snapshot, kept
	 * alive with the state; the few other rows are copied */
	st->backing = keep;
	st->backing_release = snapshot_free;
	snap = *keep;
	for (size_t i = 0; i < snap.npromotions; i++) {
		const struct store_promotion *sp = &snap.promotions[i];
		int pi = plan_project_index(p, sp->project), ei = plan_env_index(p, sp->env);
		struct state_cell *c;
		if (pi < 0 || ei < 0)
			continue;
		c = state_cell(st, pi, ei);
		c->state = (enum promo_state)sp->state;
		c->version = sp->version;
		c->previous = sp->previous_version;
		c->since = sp->since;
		c->soak_until = sp->soak_until;
	}
	for (size_t i = 0; i < snap.napprovals; i++) {
		const struct store_approval *a = &snap.approvals[i];
		int gi = plan_gate_index(p, a->gate), who = plan_person_index(p, a->person);
		if (gi < 0 || who < 0)
			continue;
		state_add_approval(st, gi, who, a->role, a->at);
	}
	for (size_t i = 0; i < snap.nticks; i++) {
		const struct store_tick *t = &snap.ticks[i];
		int it = plan_item_index(p, t->item);
		if (it < 0)
			continue;
		state_set_tick(st, it, t->done, t->by, t->at, t->note);
		if (t->source == TICK_CHECK)
			state_set_evidence(st, it, t->exit_status, t->output_tail);
	}
	for (size_t i = 0; i < snap.nblockers; i++) {
		const struct store_blocker *b = &snap.blockers[i];
		int bi = plan_blocker_index(p, b->id);
		if (bi < 0)
			continue;
		state_set_blocker(st, bi, b->progress, b->resolved, b->at, b->by);
	}
	for (size_t i = 0; i < snap.nincidents; i++) {
		const struct store_incident *si = &snap.incidents[i];
		struct state_incident in = { 0 };
		in.id = si->id;
		in.level = si->level;
		in.env = si->env ? plan_env_index(p, si->env) : -1;
		in.project = si->project ? plan_project_index(p, si->project) : -1;
		in.text = si->text;
		in.opened_by = si->opened_by;
		in.opened_at = si->opened_at;
		in.open = si->resolved_at == 0;
		in.resolved_at = si->resolved_at;
		in.resolved_by = si->resolved_by;
		state_add_incident(st, &in);
	}
	return 0;
}

int state_load(struct state *st, const struct plan *p, struct store *s, struct err *e)
{
	return load(st, p, s, NULL, 0, e);
}

int state_load_of(struct state *st, const struct plan *p, struct store *s, const int *projects,
		  size_t n, struct err *e)
{
	return load(st, p, s, projects, n, e);
}
