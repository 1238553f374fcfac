/*
 * promote.c - `promote_run`, the entry of a promotion run, and the hold rule.
 *
 * A run: repair what dead runs left (promote-repair.c), load one state
 * snapshot, pick the selected projects that are ready and order them
 * (promote-select.c), then hand steps to the parallel runner
 * (promote-sched.c), whose callbacks run on this thread: every store write
 * of the run goes through one connection, in order, committed a tick at a
 * time (promote-write.c).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/identity.h"
#include "engine/promote-run.h"
#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"

static const char *const outcome_names[] = {
	[PROMOTE_HEALTHY] = "healthy",	       [PROMOTE_SOAKING] = "soaking",
	[PROMOTE_ROLLED_BACK] = "rolled-back", [PROMOTE_FAILED] = "failed",
	[PROMOTE_SKIPPED] = "skipped",	       [PROMOTE_INTERRUPTED] = "interrupted",
};

const char *promote_outcome_name(enum promote_outcome o)
{
	return (unsigned)o < ARRAY_SIZE(outcome_names) ? outcome_names[o] : "?";
}

void promote_result_release(struct promote_result *r)
{
	free(r->version);
	free(r->previous);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}

bool promote_all_up_to_date(const struct promote_report *r)
{
	if (r->nplanned || !r->nnotready)
		return false;
	for (size_t i = 0; i < r->nnotready; i++)
		if (!r->notready[i].up_to_date)
			return false;
	return true;
}

void promote_report_release(struct promote_report *r)
{
	for (size_t i = 0; i < r->nresults; i++)
		promote_result_release(&r->results[i]);
	free(r->results);
	for (size_t i = 0; i < r->nnotready; i++)
		free(r->notready[i].summary);
	free(r->notready);
	for (size_t i = 0; i < r->nplanned; i++)
		free(r->planned_version[i]);
	free(r->planned_version);
	free(r->planned);
	memset(r, 0, sizeof(*r));
}

static void run_release(struct prun *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].version);
		free(r->v[i].previous);
		free(r->v[i].dependents);
		free(r->v[i].fail_detail);
		free(r->v[i].log);
		penv_release(&r->v[i].pe);
	}
	free(r->v);
	free(r->rp_of);
	free(r->heap);
	free(r->cont);
	free(r->trigs);
	store_incidents_release(&r->pauses);
	free(r->running_buf);
	free(r->pending);
	for (size_t k = 0; k < r->nsteps; k++)
		free(r->steps[k].log);
	free(r->steps);
	for (size_t k = 0; k < r->nwrites; k++) {
		free(r->writes[k].pdetail);
		free(r->writes[k].audit);
		free(r->writes[k].rdetail);
		free(r->writes[k].skip_why);
	}
	free(r->writes);
	free(r->inflight);
	free(r->starting);
	pctx_release(&r->c);
}

int promote_run(const struct plan *p, struct store *s, int64_t now, const struct promote_opts *o,
		struct promote_report *out, struct err *e)
{
	struct prun r;
	struct state st;
	bool *busy = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (o->env < 1 || (size_t)o->env >= p->nenvs)
		return err_set(e, ERR_USAGE, "promote needs an environment after '%s'",
			       p->envs[0].name);
	if (!o->dry_run) {
		char what[200];
		snprintf(what, sizeof(what), "promoting to '%s'", p->envs[o->env].name);
		if (identity_env_actor(p, o->actor, o->env, what, e) == -1)
			return -1;
	}
	if (o->override_freeze) {
		if (!o->reason || !*o->reason)
			return err_set(e, ERR_USAGE, "--override-freeze needs --reason TEXT saying why");
		if (!o->actor)
			return err_set(e, ERR_USAGE, "--override-freeze needs to know who you are; "
						     "use --as PERSON or set TOLLGATE_USER");
		if (!promote_may_override_freeze(p, o, o->env))
			return err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
				       p->envs[o->env].nfreeze_override
					       ? "'%s' holds no role that may override a freeze of '%s' "
						 "(environments[].freeze_override)"
					       : "nobody may override a freeze of '%s'; the plan lists no "
						 "environments[].freeze_override roles for it%.0s",
				       p->envs[o->env].nfreeze_override ? o->actor : p->envs[o->env].name,
				       p->envs[o->env].name);
	}
	if (o->retry_held && !o->actor)
		return err_set(e, ERR_USAGE, "--retry-held needs to know who you are; use --as PERSON "
					     "or set TOLLGATE_USER");
	r.plan = p;
	r.o = o;
	r.rep = out;
	r.env = o->env;
	pctx_init(&r.c, p, s, now, o->actor, o->obs, o->cancel);
	snprintf(out->run_id, sizeof(out->run_id), "%s", r.c.run_id);
	r.rp_of = xmalloc((p->nprojects ? p->nprojects : 1) * sizeof(*r.rp_of));
	for (size_t i = 0; i < p->nprojects; i++)
		r.rp_of[i] = -1;
	busy = xcalloc(p->nprojects ? p->nprojects : 1, sizeof(*busy));

	if (state_load_opts(&st, p, s, &(struct state_load_opts){ .now = now }, e) < 0)
		goto out;
	if (!o->dry_run) {
		size_t before = out->nrepaired;
		if (promote_repair_pass(&r, &st, busy, e) < 0) {
			state_release(&st);
			goto out;
		}
		if (out->nrepaired != before) {
			state_release(&st);
			if (state_load_opts(&st, p, s, &(struct state_load_opts){ .now = now }, e) < 0)
				goto out;
		}
	}
	promote_choose(&r, &st, busy);
	state_release(&st);

	r.trigs = xcalloc(p->ntriggers ? p->ntriggers : 1, sizeof(*r.trigs));
	for (size_t t = 0; t < p->ntriggers; t++)
		if (plan_trigger_applies(&p->triggers[t], r.env))
			r.trigs[r.ntrigs++] = t;
	r.heap = xcalloc(r.n ? r.n : 1, sizeof(*r.heap));
	r.cont = xcalloc(r.n ? r.n : 1, sizeof(*r.cont));
	r.running_buf = xcalloc((size_t)(o->jobs > 0 ? o->jobs : 1) + 1, sizeof(*r.running_buf));
	promote_priorities(&r);
	promote_simulate_order(&r);
	if (o->obs && o->obs->selected)
		o->obs->selected(o->obs->ctx, out);
	if (o->dry_run || r.n == 0) {
		rc = 0;
		goto out;
	}

	if (o->override_freeze) {
		int64_t fz_now = pclock_now(&r.c.clock);
		bool frozen = false;
		for (size_t k = 0; k < p->envs[r.env].nfreeze; k++)
			if (fz_now >= p->envs[r.env].freeze[k].from && fz_now < p->envs[r.env].freeze[k].to)
				frozen = true;
		if (frozen) {
			if (store_begin_change(s, fz_now, o->actor, "freeze.override", p->envs[r.env].name,
					       NULL, e) < 0)
				goto out;
			store_change_detail(s, "promotion to %s during a freeze (run %s): %s",
					    p->envs[r.env].name, r.c.run_id, o->reason);
			if (store_commit_change(s, NULL, e) < 0)
				goto out;
		}
	}

	if (promote_schedule(&r, e) < 0)
		goto out;
	if (r.store_failed) {
		err_setr(e, ERR_FAILED, r.err.reason,
			 "the store failed mid-run, so promote stopped: %s; once the store works, the "
			 "next promote repairs what this run left deploying or verifying",
			 r.err.msg);
		goto out;
	}
	rc = 0;
out:
	free(busy);
	run_release(&r);
	return rc;
}
