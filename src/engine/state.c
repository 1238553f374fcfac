/*
 * state.c - the live state model in memory: construction, setters, lookups
 * and what a pair runs. Loading it from the store is in state-load.c.
 */
#include "engine/state.h"

#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

const char *state_live_version(const struct state_cell *c)
{
	switch (c->state) {
	case STATE_HEALTHY:
	case STATE_SOAKING:
		return c->version;
	case STATE_ROLLED_BACK:
	case STATE_DEPLOYING:
	case STATE_VERIFYING:
	case STATE_INTERRUPTED:
		return c->previous;
	case STATE_NONE:
	case STATE_FAILED:
		break;
	}
	return NULL;
}

const char *state_failed_version(const struct state_cell *c)
{
	return c->state == STATE_ROLLED_BACK || c->state == STATE_FAILED ? c->version : NULL;
}

static const char *dup(struct state *st, const char *s)
{
	return s ? arena_strdup(&st->arena, s) : NULL;
}

void state_init_empty(struct state *st, const struct plan *p)
{
	memset(st, 0, sizeof(*st));
	arena_init(&st->arena);
	st->plan = p;
	st->nprojects = p->nprojects;
	st->nenvs = p->nenvs;
	st->cells = xcalloc(p->nprojects * p->nenvs + 1, sizeof(*st->cells));
	st->ticks = xcalloc(p->nitems + 1, sizeof(*st->ticks));
	st->blockers = xcalloc(p->nblockers + 1, sizeof(*st->blockers));
	for (size_t i = 0; i < p->nblockers; i++) {
		st->blockers[i].progress = p->blockers[i].progress;
		st->blockers[i].resolved = false;
	}
}

void state_release(struct state *st)
{
	free(st->cells);
	free(st->ticks);
	free(st->blockers);
	free(st->approvals);
	free(st->incidents);
	free(st->changes);
	free(st->loaded);
	if (st->backing_release)
		st->backing_release(st->backing);
	arena_release(&st->arena);
	memset(st, 0, sizeof(*st));
}

static struct state_cell *cell_at(struct state *st, int project, int env)
{
	if (project < 0 || (size_t)project >= st->nprojects || env < 0 || (size_t)env >= st->nenvs)
		BUG("cell %d/%d out of range", project, env);
	return state_cell(st, project, env);
}

void state_set_cell(struct state *st, int project, int env, enum store_state s,
		    const char *version, const char *previous, int64_t since, int64_t soak_until)
{
	struct state_cell *c = cell_at(st, project, env);
	c->state = s;
	c->version = dup(st, version);
	c->previous = dup(st, previous);
	c->since = since;
	c->soak_until = soak_until;
}

void state_set_rollbacks(struct state *st, int project, int env, int rollbacks)
{
	cell_at(st, project, env)->rollbacks = rollbacks;
}

void state_set_log(struct state *st, int project, int env, const char *path)
{
	cell_at(st, project, env)->log = dup(st, path);
}

void state_add_approval(struct state *st, int gate, int person, const char *role, int64_t at)
{
	struct state_approval *a;
	ALLOC_GROW(st->approvals, st->napprovals + 1, st->approvals_alloc);
	a = &st->approvals[st->napprovals++];
	a->gate = gate;
	a->person = person;
	a->role = dup(st, role);
	a->at = at;
}

void state_set_tick(struct state *st, int item, bool done, const char *by, int64_t at,
		    const char *note)
{
	struct state_tick *t = &st->ticks[item];
	t->known = true;
	t->done = done;
	t->by = dup(st, by);
	t->at = at;
	t->note = dup(st, note);
	t->has_evidence = false;
	t->exit_status = 0;
	t->output = NULL;
}

void state_set_evidence(struct state *st, int item, int exit_status, const char *output)
{
	struct state_tick *t = &st->ticks[item];
	t->has_evidence = true;
	t->exit_status = exit_status;
	t->output = dup(st, output);
}

void state_set_blocker(struct state *st, int blocker, int progress, bool resolved,
		       int64_t updated, const char *by)
{
	struct state_blocker *b = &st->blockers[blocker];
	b->progress = progress < 0 ? 0 : progress > 100 ? 100 : progress;
	b->resolved = resolved;
	b->updated = updated;
	b->by = dup(st, by);
}

struct state_incident *state_add_incident(struct state *st, const struct state_incident *in)
{
	struct state_incident *n;
	ALLOC_GROW(st->incidents, st->nincidents + 1, st->incidents_alloc);
	n = &st->incidents[st->nincidents++];
	*n = *in;
	n->text = dup(st, in->text);
	n->opened_by = dup(st, in->opened_by);
	n->resolved_by = dup(st, in->resolved_by);
	return n;
}

void state_add_change(struct state *st, int64_t date, const char *text, const char *author)
{
	struct state_change *c;
	ALLOC_GROW(st->changes, st->nchanges + 1, st->changes_alloc);
	c = &st->changes[st->nchanges++];
	c->date = date;
	c->text = dup(st, text);
	c->author = dup(st, author);
}

const struct state_approval *state_find_approval(const struct state *st, int gate, int person)
{
	for (size_t i = 0; i < st->napprovals; i++)
		if (st->approvals[i].gate == gate && st->approvals[i].person == person)
			return &st->approvals[i];
	return NULL;
}

const struct state_approval *state_find_role(const struct state *st, int gate, const char *role)
{
	for (size_t i = 0; i < st->napprovals; i++)
		if (st->approvals[i].gate == gate && st->approvals[i].role &&
		    !strcmp(st->approvals[i].role, role))
			return &st->approvals[i];
	return NULL;
}
