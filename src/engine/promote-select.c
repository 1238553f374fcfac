/*
 * promote-select.c - what a promote run starts, and in which order: the
 * selection (--wave, --project), readiness (ready.h; a dependency promoted
 * in the same run counts as met, an interrupted promotion of the same
 * version is retried, a held project waits for --retry-held), the repair of
 * pairs dead runs left behind, and the critical-path priorities (the
 * longest remaining chain first, weighted by past step durations).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "engine/promote-run.h"
#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"

bool promote_selected(const struct plan *p, const struct promote_opts *o, int project)
{
	bool ok = o->nwaves == 0;
	for (size_t i = 0; i < o->nwaves; i++)
		if (o->waves[i] == p->projects[project].wave)
			ok = true;
	if (!ok)
		return false;
	if (o->nprojects == 0)
		return true;
	for (size_t i = 0; i < o->nprojects; i++)
		if (o->projects[i] == project)
			return true;
	return false;
}

bool promote_may_override_freeze(const struct plan *p, const struct promote_opts *o, int env)
{
	int who;
	if (!o->override_freeze || !o->actor)
		return false;
	who = plan_person_index(p, o->actor);
	if (who < 0)
		return false;
	for (size_t i = 0; i < p->envs[env].nfreeze_override; i++)
		if (plan_person_has_role(&p->people[who], p->envs[env].freeze_override[i]))
			return true;
	return false;
}

static void add_notready(struct promote_report *rep, int project, char *summary)
{
	ALLOC_GROW(rep->notready, rep->nnotready + 1, rep->notready_alloc);
	rep->notready[rep->nnotready].project = project;
	rep->notready[rep->nnotready].summary = summary;
	rep->notready[rep->nnotready].up_to_date = false;
	rep->nnotready++;
}

/* Past duration of deploy + verify per project in env, seconds (the average
 * deploy plus the average verify of its last runs); -1 unknown. */
static void past_durations(struct prun *r, double *dur)
{
	static const char *const steps[] = { "deploy", "verify" };
	size_t np = r->plan->nprojects;
	double *sum = xcalloc(np * ARRAY_SIZE(steps) + 1, sizeof(*sum));
	int *cnt = xcalloc(np * ARRAY_SIZE(steps) + 1, sizeof(*cnt));

	for (size_t k = 0; k < ARRAY_SIZE(steps); k++) {
		struct store_step_runs l;
		struct err e;
		err_init(&e);
		if (store_list_step_runs(r->c.store, NULL, r->plan->envs[r->env].name, steps[k],
					 20000, &l, &e) < 0)
			continue;
		for (size_t i = 0; i < l.n; i++) {
			int pi;
			size_t at;
			if (!l.v[i].ended || l.v[i].ended < l.v[i].started || l.v[i].exit_status != 0)
				continue;
			pi = plan_project_index(r->plan, l.v[i].project);
			if (pi < 0)
				continue;
			at = (size_t)pi * ARRAY_SIZE(steps) + k;
			if (cnt[at] >= 5)
				continue;
			/* milliseconds when the store has them (schema 2) */
			sum[at] += l.v[i].duration_ms > 0 ? (double)l.v[i].duration_ms / 1000.0
							  : (double)(l.v[i].ended - l.v[i].started);
			cnt[at]++;
		}
		store_step_runs_release(&l);
	}
	for (size_t i = 0; i < np; i++) {
		dur[i] = -1;
		for (size_t k = 0; k < ARRAY_SIZE(steps); k++) {
			size_t at = i * ARRAY_SIZE(steps) + k;
			if (cnt[at])
				dur[i] = (dur[i] < 0 ? 0 : dur[i]) + sum[at] / cnt[at];
		}
	}
	free(sum);
	free(cnt);
}

/* Weights and critical-path priorities (longest remaining chain, self
 * included), computed dependents-first. */
void promote_priorities(struct prun *r)
{
	double *dur = xcalloc(r->plan->nprojects, sizeof(*dur));
	past_durations(r, dur);
	for (size_t i = 0; i < r->n; i++) {
		double d = dur[r->v[i].project];
		/* known: the average in seconds (at least 10 ms: starting a
		 * step costs something); unknown: 1 */
		r->v[i].weight = d < 0 ? 1.0 : (d < 0.01 ? 0.01 : d);
	}
	free(dur);
	/* v is in topological order: walk it backwards */
	for (size_t k = r->n; k-- > 0;) {
		struct rp *rp = &r->v[k];
		double best = 0;
		for (size_t j = 0; j < rp->ndependents; j++)
			if (r->v[rp->dependents[j]].prio > best)
				best = r->v[rp->dependents[j]].prio;
		rp->prio = rp->weight + best;
	}
}

static void add_planned(struct promote_report *rep, int project, const char *version)
{
	rep->planned = xrealloc(rep->planned, (rep->nplanned + 1) * sizeof(*rep->planned));
	rep->planned_version = xrealloc(rep->planned_version,
					(rep->nplanned + 1) * sizeof(*rep->planned_version));
	rep->planned[rep->nplanned] = project;
	rep->planned_version[rep->nplanned] = xstrdup(version ? version : "");
	rep->nplanned++;
}

/* The order a run would start things in, one at a time: for --dry-run. */
void promote_simulate_order(struct prun *r)
{
	int *left = xcalloc(r->n ? r->n : 1, sizeof(*left));
	for (size_t i = 0; i < r->n; i++)
		left[i] = r->v[i].ndeps_left;
	r->nheap = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!left[i])
			prun_heap_push(r, i);
	while (r->nheap) {
		size_t i = prun_heap_pop(r);
		r->v[i].st = RP_PENDING;
		add_planned(r->rep, r->v[i].project, r->v[i].version);
		for (size_t j = 0; j < r->v[i].ndependents; j++)
			if (--left[r->v[i].dependents[j]] == 0)
				prun_heap_push(r, (size_t)r->v[i].dependents[j]);
	}
	free(left);
}

/* Repair every selected pair a dead runner left deploying/verifying. */
int promote_repair_pass(struct prun *r, const struct state *st, bool *busy, struct err *e)
{
	const struct plan *p = r->plan;
	for (size_t pi = 0; pi < p->nprojects; pi++) {
		const struct state_cell *cell = state_cell(st, (int)pi, r->env);
		char why[512];
		int rr;
		if (!promote_selected(p, r->o, (int)pi))
			continue;
		if (cell->state != STATE_DEPLOYING && cell->state != STATE_VERIFYING)
			continue;
		rr = promote_repair_pair(&r->c, (int)pi, r->env, why, sizeof(why), e);
		if (rr < 0)
			return -1;
		if (rr == REPAIR_BUSY) {
			busy[pi] = true;
			add_notready(r->rep, (int)pi, xstrdup(why));
		} else if (rr == REPAIR_DONE) {
			r->rep->nrepaired++;
			if (r->o->obs && r->o->obs->note)
				r->o->obs->note(r->o->obs->ctx, p->projects[pi].id, why);
		}
	}
	return 0;
}

void promote_choose(struct prun *r, struct state *st, const bool *busy)
{
	const struct plan *p = r->plan;
	struct ready_ctx rc;
	bool override = promote_may_override_freeze(p, r->o, r->env);

	ready_ctx_init(&rc, p, st, pclock_now(&r->c.clock));
	rc.retry_held = r->o->retry_held;
	r->v = xcalloc(p->nprojects ? p->nprojects : 1, sizeof(*r->v));
	for (size_t k = 0; k < p->nprojects; k++) {
		int pi = p->topo ? p->topo[k] : (int)k;
		struct ready_result res;
		bool ok[RULE_COUNT], all = true;
		const struct state_cell *dst = state_cell(st, pi, r->env);

		if (!promote_selected(p, r->o, pi) || busy[pi])
			continue;
		ready_check(&rc, pi, r->env, false, &res);
		for (int j = 0; j < RULE_COUNT; j++)
			ok[j] = res.rules[j].ok;
		if (!ok[RULE_FREEZE] && override)
			ok[RULE_FREEZE] = true;
		if (!ok[RULE_DEPENDS_ON]) {
			const struct plan_refs *d = &p->projects[pi].depends_on;
			bool met = true;
			for (size_t j = 0; j < d->n; j++) {
				int dep = d->idx[j];
				if (dep < 0 || ready_is_live(state_cell(st, dep, r->env)->state))
					continue;
				if (r->rp_of[dep] < 0)
					met = false;
			}
			ok[RULE_DEPENDS_ON] = met;
		}
		for (int j = 0; j < RULE_COUNT; j++)
			all = all && ok[j];
		if (!all) {
			const struct state_cell *src = state_cell(st, pi, r->env - 1);
			add_notready(r->rep, pi, ready_summary(&rc, pi, r->env, ok));
			r->rep->notready[r->rep->nnotready - 1].up_to_date =
				src->state == STATE_HEALTHY && src->version && dst->version &&
				ready_is_live(dst->state) && !strcmp(src->version, dst->version);
			ready_result_release(&res);
			continue;
		}
		{
			struct rp *rp = &r->v[r->n];
			const struct plan_refs *d = &p->projects[pi].depends_on;
			const char *live = promote_live_version((enum store_state)dst->state,
								dst->version, dst->previous);
			rp->project = pi;
			rp->version = xstrdup(res.version ? res.version : "");
			rp->previous = live ? xstrdup(live) : NULL;
			r->rp_of[pi] = (int)r->n;
			for (size_t j = 0; j < d->n; j++) {
				int dep = d->idx[j];
				struct rp *dr;
				if (dep < 0 || r->rp_of[dep] < 0 ||
				    ready_is_live(state_cell(st, dep, r->env)->state))
					continue;
				dr = &r->v[r->rp_of[dep]];
				ALLOC_GROW(dr->dependents, dr->ndependents + 1, dr->dependents_alloc);
				dr->dependents[dr->ndependents++] = (int)r->n;
				rp->ndeps_left++;
			}
			r->n++;
		}
		ready_result_release(&res);
	}
	ready_ctx_release(&rc);
}
