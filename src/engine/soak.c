/*
 * soak.c - `tollgate soak`: every promotion that is soaking has the triggers
 * of its environment measured once; a breach (or a measure that fails or
 * prints no number) opens an incident on the project at the trigger's level
 * and runs the rollback; otherwise a promotion whose soak has passed, with no
 * incident open on it there, becomes healthy. One pass: the caller that
 * waits for soaks to end (`soak --wait`, the server's loop) sleeps and calls
 * again. Each pair is worked on under its lease, like promote.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "engine/identity.h"
#include "engine/promote-internal.h"
#include "engine/state.h"
#include "plan/plan.h"

void soak_report_release(struct soak_report *r)
{
	for (size_t i = 0; i < r->nresults; i++)
		promote_result_release(&r->results[i]);
	free(r->results);
	memset(r, 0, sizeof(*r));
}

static void soak_result(struct pctx *c, struct soak_report *out, int project, int env,
			const char *version, const char *previous, enum promote_outcome o,
			const char *detail, int64_t incident)
{
	struct promote_result *x;
	ALLOC_GROW(out->results, out->nresults + 1, out->results_alloc);
	x = &out->results[out->nresults++];
	memset(x, 0, sizeof(*x));
	x->project = project;
	x->env = env;
	x->version = xstrdup(version ? version : "");
	x->previous = previous ? xstrdup(previous) : NULL;
	x->outcome = o;
	x->detail = detail ? xstrdup(detail) : NULL;
	x->incident = incident;
	if (c->obs && c->obs->outcome)
		c->obs->outcome(c->obs->ctx, x);
}

/* An open incident on project in env: its level, 0 none. */
static int open_incident_level(const struct state *st, int project, int env)
{
	int level = 0;
	for (size_t i = 0; i < st->nincidents; i++) {
		const struct state_incident *x = &st->incidents[i];
		if (x->open && x->project == project && x->env == env && x->level > level)
			level = x->level;
	}
	return level;
}

/* One soaking pair. Returns 0 (out updated), -1 on a store failure. */
static int soak_pair(struct pctx *c, const struct state *st, int project, int env,
		     const struct soak_schedule *sched, struct soak_report *out, struct err *e)
{
	const struct plan *p = c->plan;
	const char *pid_s = p->projects[project].id, *env_s = p->envs[env].name;
	struct store_promotion cur;
	struct arena a;
	char why[600];
	bool breached = false;
	int64_t incident = 0, now;
	int taken, level, rc = -1;

	arena_init(&a);
	taken = promote_lease_take(c, project, env, NULL, &cur, &a, why, sizeof(why), NULL, e);
	if (taken < 0)
		goto out;
	if (taken == LEASE_BUSY) {
		out->still_soaking++;
		rc = 0;
		goto out;
	}
	if (cur.state != STATE_SOAKING) {
		rc = 0;
		goto release;
	}
	level = open_incident_level(st, project, env);
	if (level >= 3) {
		breached = true;
		snprintf(why, sizeof(why), "a level-3 incident is open on it in %s", env_s);
	}
	for (size_t t = 0; t < p->ntriggers && !breached; t++) {
		const struct plan_trigger *tr = &p->triggers[t];
		struct exec_result res;
		struct exec_task task = { 0 };
		char step[160];
		struct err se;
		if (!plan_trigger_applies(tr, env))
			continue;
		if (sched && pclock_now(&c->clock) < cur.soak_until &&
		    !sched->due(sched->ctx, t, project, env))
			continue;
		snprintf(step, sizeof(step), "measure-%s", tr->id);
		err_init(&se);
		promote_step_sync(c, project, env, step, tr->measure, tr->timeout, cur.version,
				  cur.previous_version, true, &res, NULL, &se);
		if (res.cancelled) {
			/* stopped by the run's cancel: no verdict, left soaking */
			exec_result_release(&res);
			out->still_soaking++;
			rc = 0;
			goto release;
		}
		if (sched && sched->measured)
			sched->measured(sched->ctx, t, project, env);
		task.cmd = tr->measure;
		task.timeout_ms = promote_timeout_ms(tr->timeout);
		if (promote_measure_breached(tr, &task, &res, why, sizeof(why))) {
			int lv = tr->level > 0 ? tr->level : 1;
			breached = true;
			err_init(&se);
			if (promote_open_incident(c, lv, env, project, why, &incident, &se) < 0) {
				/* no incident, so no rollback either: the lease is
				 * left to the repair of the next run */
				err_setr(e, ERR_FAILED, se.reason,
					 "%s in %s: %s, but the store could not open its incident: "
					 "%s; the rollback did not run and it still soaks there",
					 pid_s, env_s, why, se.msg);
				exec_result_release(&res);
				goto out;
			}
			if (c->obs && c->obs->note) {
				char note[700];
				snprintf(note, sizeof(note), "incident %lld (level %d) opened: %s",
					 (long long)incident, lv, why);
				c->obs->note(c->obs->ctx, pid_s, note);
			}
		}
		exec_result_release(&res);
	}
	now = pclock_now(&c->clock);
	if (breached) {
		const struct plan_project *pr = &p->projects[project];
		bool ok = false;
		char how[300] = "", *detail;
		if (pr->rollback) {
			struct exec_result res;
			struct err se;
			err_init(&se);
			promote_step_sync(c, project, env, "rollback", pr->rollback, pr->timeout,
					  cur.version, cur.previous_version, false, &res, NULL, &se);
			ok = exec_result_ok(&res);
			exec_result_describe(&res, NULL, how, sizeof(how));
			exec_result_release(&res);
			detail = ok ? xasprintf("%s during soak; rolled back to %s", why,
						cur.previous_version ? cur.previous_version
								     : "nothing (no previous version)")
				    : xasprintf("%s during soak; the rollback failed too (%s): needs a "
						"person", why, how);
		} else {
			detail = xasprintf("%s during soak; %s has no rollback command: needs a person",
					   why, pid_s);
		}
		{
			struct err we;
			err_init(&we);
			if (promote_set_state(c, project, env, ok ? STATE_ROLLED_BACK : STATE_FAILED,
					      cur.version, cur.previous_version, 0, detail, NULL, true,
					      &we) < 0) {
				err_setr(e, ERR_FAILED, we.reason,
					 "%s in %s: %s; but the store could not record it: %s; it "
					 "still holds soaking %s there",
					 pid_s, env_s, detail, we.msg, cur.version);
				free(detail);
				goto out;
			}
		}
		soak_result(c, out, project, env, cur.version, cur.previous_version,
			    ok ? PROMOTE_ROLLED_BACK : PROMOTE_FAILED, detail, incident);
		free(detail);
		rc = 0;
		goto out;
	}
	if (now >= cur.soak_until && level == 0) {
		struct err we;
		err_init(&we);
		if (promote_set_state(c, project, env, STATE_HEALTHY, cur.version,
				      cur.previous_version, 0, "soak passed", "promotion.healthy", true,
				      &we) < 0) {
			err_setr(e, ERR_FAILED, we.reason,
				 "the soak of %s %s in %s passed, but the store could not record it: "
				 "%s; it still holds soaking there",
				 pid_s, cur.version, env_s, we.msg);
			goto out;
		}
		soak_result(c, out, project, env, cur.version, cur.previous_version, PROMOTE_HEALTHY,
			    NULL, 0);
		rc = 0;
		goto out;
	}
	out->still_soaking++;
	if (now < cur.soak_until && (!out->next_end || cur.soak_until < out->next_end))
		out->next_end = cur.soak_until;
	rc = 0;
release:
	{
		struct err ig;
		err_init(&ig);
		store_lease_release(c->store, pid_s, env_s, c->run_id, &ig);
	}
out:
	arena_release(&a);
	return rc;
}

int soak_run(const struct plan *p, struct store *s, int64_t now, const struct soak_opts *o,
	     struct soak_report *out, struct err *e)
{
	struct pctx c;
	struct state st;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* finishing soaks needs nobody; whoever is named must be able to act */
	if (o->actor && identity_actor(p, o->actor, "soak", e) < 0)
		return -1;
	pctx_init(&c, p, s, now, o->actor, o->obs, o->cancel);
	if (state_load(&st, p, s, e) < 0)
		goto done;
	for (size_t pi = 0; pi < p->nprojects; pi++)
		for (size_t ei = 1; ei < p->nenvs; ei++) {
			if (state_cell(&st, (int)pi, (int)ei)->state != STATE_SOAKING)
				continue;
			if (cancel_level(o->cancel)) {
				/* left for the next pass */
				out->still_soaking++;
				continue;
			}
			if (soak_pair(&c, &st, (int)pi, (int)ei, o->schedule, out, e) < 0) {
				state_release(&st);
				goto done;
			}
		}
	state_release(&st);
	rc = 0;
done:
	pctx_release(&c);
	return rc;
}
