/*
 * state.c - the in-memory snapshot of the live state: construction, setters
 * and lookups. Loading it from the store is in state-load.c.
 */
#include "engine/state.h"

#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"

static const char *const promo_names[] = {
	[PROMO_NONE] = "none",
	[PROMO_DEPLOYING] = "deploying",
	[PROMO_VERIFYING] = "verifying",
	[PROMO_SOAKING] = "soaking",
	[PROMO_HEALTHY] = "healthy",
	[PROMO_ROLLED_BACK] = "rolled-back",
	[PROMO_FAILED] = "failed",
	[PROMO_INTERRUPTED] = "interrupted",
};

const char *promo_state_name(enum promo_state s)
{
	if ((size_t)s >= ARRAY_SIZE(promo_names))
		return "none";
	return promo_names[s];
}

int promo_state_parse(const char *name, enum promo_state *out)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(promo_names); i++)
		if (!strcmp(promo_names[i], name)) {
			*out = (enum promo_state)i;
			return 0;
		}
	return -1;
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
	free(st->loaded);
	if (st->backing_release)
		st->backing_release(st->backing);
	arena_release(&st->arena);
	memset(st, 0, sizeof(*st));
}

void state_set_cell(struct state *st, int project, int env, enum promo_state s,
		    const char *version, const char *previous, int64_t since, int64_t soak_until)
{
	struct state_cell *c;
	if (project < 0 || (size_t)project >= st->nprojects || env < 0 || (size_t)env >= st->nenvs)
		BUG("cell %d/%d out of range", project, env);
	c = state_cell(st, project, env);
	c->state = s;
	c->version = dup(st, version);
	c->previous = dup(st, previous);
	c->since = since;
	c->soak_until = soak_until;
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
	b->progress = progress;
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
