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
	free(st->covers);
	free(st->rejections);
	free(st->cells);
	free(st->ticks);
	free(st->blockers);
	free(st->approvals);
	free(st->incidents);
	free(st->changes);
	free(st->recent);
	free(st->activity);
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

size_t state_add_approval(struct state *st, int gate, int person, const char *role, int64_t at)
{
	struct state_approval *a;
	ALLOC_GROW(st->approvals, st->napprovals + 1, st->approvals_alloc);
	a = &st->approvals[st->napprovals++];
	memset(a, 0, sizeof(*a));
	a->gate = gate;
	a->person = person;
	a->role = dup(st, role);
	a->at = at;
	return st->napprovals - 1;
}

void state_add_cover(struct state *st, size_t approval, int project, const char *version,
		     int64_t at)
{
	struct state_cover *c;
	if (approval >= st->napprovals)
		BUG("state_add_cover: no approval %zu", approval);
	ALLOC_GROW(st->covers, st->ncovers + 1, st->covers_alloc);
	c = &st->covers[st->ncovers++];
	c->approval = approval;
	c->project = project;
	c->version = dup(st, version);
	c->at = at;
	st->indexed = false;
}

struct state_rejection *state_add_rejection(struct state *st, const struct state_rejection *r)
{
	struct state_rejection *n;
	ALLOC_GROW(st->rejections, st->nrejections + 1, st->rejections_alloc);
	n = &st->rejections[st->nrejections++];
	*n = *r;
	n->version = dup(st, r->version);
	n->reason = dup(st, r->reason);
	n->by = dup(st, r->by);
	n->allowed_by = dup(st, r->allowed_by);
	n->allowed_reason = dup(st, r->allowed_reason);
	st->indexed = false;
	return n;
}

static int cover_cmp(const void *a, const void *b)
{
	const struct state_cover *x = a, *y = b;
	if (x->approval != y->approval)
		return x->approval < y->approval ? -1 : 1;
	return (x->project > y->project) - (x->project < y->project);
}

static int rejection_cmp(const void *a, const void *b)
{
	const struct state_rejection *x = a, *y = b;
	int c;
	if (x->project != y->project)
		return x->project < y->project ? -1 : 1;
	c = strcmp(x->version, y->version);
	if (c)
		return c;
	return (x->env > y->env) - (x->env < y->env);
}

void state_index(struct state *st)
{
	if (st->ncovers)
		qsort(st->covers, st->ncovers, sizeof(*st->covers), cover_cmp);
	for (size_t i = 0; i < st->napprovals; i++)
		st->approvals[i].ncovers = 0;
	for (size_t i = 0; i < st->ncovers; i++) {
		struct state_approval *a = &st->approvals[st->covers[i].approval];
		if (!a->ncovers)
			a->covers_first = i;
		a->ncovers++;
	}
	/* by project (the lookups), then version and env (a stable display) */
	if (st->nrejections)
		qsort(st->rejections, st->nrejections, sizeof(*st->rejections), rejection_cmp);
	st->indexed = true;
}

const struct state_cover *state_approval_cover(const struct state *st,
					       const struct state_approval *a, int project)
{
	size_t ai = (size_t)(a - st->approvals);
	if (!st->indexed) {
		for (size_t i = 0; i < st->ncovers; i++)
			if (st->covers[i].approval == ai && st->covers[i].project == project)
				return &st->covers[i];
		return NULL;
	}
	{
		size_t lo = a->covers_first, hi = a->covers_first + a->ncovers;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int p = st->covers[mid].project;
			if (p == project)
				return &st->covers[mid];
			if (p < project)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	return NULL;
}

const struct state_rejection *state_rejection_for(const struct state *st, int project,
						  const char *version, int env)
{
	const struct state_rejection *every = NULL;
	size_t lo = 0, hi = st->nrejections;
	if (!version || !st->nrejections)
		return NULL;
	if (st->indexed) {
		/* the first row of project */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (st->rejections[mid].project < project)
				lo = mid + 1;
			else
				hi = mid;
		}
		hi = st->nrejections;
	}
	for (size_t i = lo; i < hi; i++) {
		const struct state_rejection *r = &st->rejections[i];
		if (r->project != project) {
			if (st->indexed)
				break;
			continue;
		}
		if (strcmp(r->version, version))
			continue;
		if (r->env == env)
			return r;
		if (r->env < 0)
			every = r;
	}
	return every;
}

static const char *const rejection_kinds[] = {
	[REJECT_ROLLED_BACK] = "rolled-back",
	[REJECT_FAILED] = "failed",
	[REJECT_BY_HAND] = "rejected",
	[REJECT_ALLOWANCE] = "allowance",
};

const char *state_rejection_kind_name(enum state_rejection_kind k)
{
	return (size_t)k < ARRAY_SIZE(rejection_kinds) ? rejection_kinds[k] : "rejected";
}

int state_rejection_kind_parse(const char *name, enum state_rejection_kind *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(rejection_kinds); i++)
		if (name && !strcmp(name, rejection_kinds[i])) {
			*out = (enum state_rejection_kind)i;
			return 0;
		}
	return -1;
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

void state_add_recent(struct state *st, int64_t date, const char *text, const char *author)
{
	struct state_change *c;
	ALLOC_GROW(st->recent, st->nrecent + 1, st->recent_alloc);
	c = &st->recent[st->nrecent++];
	c->date = date;
	c->text = dup(st, text);
	c->author = dup(st, author);
}

void state_add_activity(struct state *st, int64_t day, const char *action, int64_t count)
{
	struct state_activity *a;
	ALLOC_GROW(st->activity, st->nactivity + 1, st->activity_alloc);
	a = &st->activity[st->nactivity++];
	a->day = day;
	a->action = dup(st, action);
	a->count = count;
	st->activity_total += count;
}

const char *state_approval_by(const struct plan *p, const struct state_approval *a)
{
	if (a->imported || a->person < 0 || (size_t)a->person >= p->npeople)
		return STATE_IMPORT_ACTOR;
	return p->people[a->person].id;
}

const struct state_approval *state_find_approval(const struct state *st, int gate, int person)
{
	for (size_t i = 0; i < st->napprovals; i++)
		if (st->approvals[i].gate == gate && st->approvals[i].person == person &&
		    !st->approvals[i].imported)
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
