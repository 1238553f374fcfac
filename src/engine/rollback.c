/*
 * rollback.c - `tollgate rollback PROJECT ENV` by hand, and the response to
 * an incident (the rollback a level-3 incident on a project asks for):
 * under the pair's lease, run the project's rollback with TOLLGATE_VERSION =
 * the version there and TOLLGATE_PREVIOUS_VERSION = the one restored, then
 * write rolled-back (or failed when the rollback fails too) in one change.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "engine/actions.h"
#include "engine/identity.h"
#include "engine/promote-internal.h"
#include "plan/plan.h"

int rollback_run(const struct plan *p, struct store *s, int64_t now, const struct rollback_opts *o,
		 struct promote_result *out, struct err *e)
{
	const struct plan_project *pr;
	const char *env_s;
	struct store_promotion cur;
	struct exec_result res;
	struct arena a;
	struct pctx c;
	char how[300], why[512];
	bool ok;
	char *detail = NULL;
	int rc = -1, taken;

	memset(out, 0, sizeof(*out));
	if (o->project < 0 || (size_t)o->project >= p->nprojects || o->env < 0 ||
	    (size_t)o->env >= p->nenvs)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "no such project or environment");
	pr = &p->projects[o->project];
	env_s = p->envs[o->env].name;
	if (o->env < 1)
		return err_set(e, ERR_USAGE, "'%s' is the source environment; nothing is promoted "
					     "to it, so nothing rolls back there", env_s);
	if (!pr->rollback)
		return err_set(e, ERR_USAGE, "project '%s' has no rollback command; add "
					     "'rollback:' to it in the plan", pr->id);
	{
		char what[300];
		int who;
		snprintf(what, sizeof(what), "rolling back '%s' in '%s'", pr->id, env_s);
		who = identity_actor(p, o->actor, what, e);
		if (who < 0 || (!o->response && identity_may_change_env(p, who, o->env, e) < 0))
			return -1;
	}
	pctx_init(&c, p, s, now, o->actor, o->obs, o->cancel);
	arena_init(&a);
	taken = promote_lease_take(&c, o->project, o->env, NULL, &cur, &a, why, sizeof(why), NULL, e);
	if (taken < 0)
		goto out;
	if (taken == LEASE_BUSY) {
		err_setr(e, ERR_NOT_READY, REASON_BUSY, "%s in %s is %s; wait for it, or stop it first",
			 pr->id, env_s, why);
		goto out;
	}
	if (cur.state == STATE_ROLLED_BACK && cur.version) {
		/* it holds: rolled back already */
		out->project = o->project;
		out->env = o->env;
		out->version = xstrdup(cur.version);
		out->previous = cur.previous_version ? xstrdup(cur.previous_version) : NULL;
		out->outcome = PROMOTE_ROLLED_BACK;
		out->already = true;
		rc = 0;
		goto out_release;
	}
	if (cur.state == STATE_NONE || cur.state == STATE_ROLLED_BACK || !cur.version) {
		err_setr(e, ERR_NOT_READY, REASON_CONFLICT, "%s has nothing to roll back in %s (state: %s)",
			 pr->id, env_s, store_state_name(cur.state));
		goto out_release;
	}
	{
		struct err se;
		struct exec_task t = { 0 };
		err_init(&se);
		promote_step_sync(&c, o->project, o->env, "rollback", pr->rollback, pr->timeout,
				  cur.version, cur.previous_version, false, &res, NULL, &se);
		ok = exec_result_ok(&res);
		t.timeout_ms = promote_timeout_ms(pr->timeout);
		exec_result_describe(&res, &t, how, sizeof(how));
		exec_result_release(&res);
	}
	if (ok)
		detail = xasprintf("rolled back by %s to %s%s%s", c.actor,
				   cur.previous_version ? cur.previous_version : "nothing",
				   o->reason ? ": " : "", o->reason ? o->reason : "");
	else
		detail = xasprintf("the rollback by %s failed (%s): needs a person%s%s", c.actor, how,
				   o->reason ? "; reason: " : "", o->reason ? o->reason : "");
	{
		struct err we;
		err_init(&we);
		if (promote_set_state(&c, o->project, o->env, ok ? STATE_ROLLED_BACK : STATE_FAILED,
				      cur.version, cur.previous_version, 0, detail, "rollback", true,
				      &we) < 0) {
			/* the store failed: say what ran and what the store still
			 * holds; the lease is left to the repair of the next run */
			err_setr(e, ERR_FAILED, we.reason,
				 "the rollback of %s in %s %s, but the store could not record it: %s; "
				 "it still holds %s %s there: run 'tollgate rollback %s %s' again once "
				 "the store works",
				 pr->id, env_s, ok ? "ran" : "failed", we.msg,
				 store_state_name(cur.state), cur.version, pr->id, env_s);
			goto out;
		}
	}
	out->project = o->project;
	out->env = o->env;
	out->version = xstrdup(cur.version);
	out->previous = cur.previous_version ? xstrdup(cur.previous_version) : NULL;
	out->outcome = ok ? PROMOTE_ROLLED_BACK : PROMOTE_FAILED;
	out->detail = detail;
	detail = NULL;
	rc = 0;
	goto out;
out_release:
	{
		struct err ig;
		err_init(&ig);
		store_lease_release(s, pr->id, env_s, c.run_id, &ig);
	}
out:
	free(detail);
	arena_release(&a);
	pctx_release(&c);
	return rc;
}

/* ---- the response to an incident ---------------------------------------------- */

void incident_response_release(struct incident_response *r)
{
	promote_result_release(&r->result);
	free(r->detail);
	memset(r, 0, sizeof(*r));
	r->project = -1;
}

int incident_respond(const struct plan *p, struct store *s, int64_t now,
		     const struct incident_opts *o, struct incident_response *out, struct err *e)
{
	struct action_ctx ac = { p, s, now, o->actor };
	struct rollback_opts ro = { 0 };
	struct err re;
	char *reason;
	int rc;

	memset(out, 0, sizeof(*out));
	out->project = -1;
	if (action_incident_open(&ac, o->level, o->env, o->project, o->text, &out->id, e) < 0)
		return -1;
	out->env = plan_env_index(p, o->env);
	if (o->project)
		out->project = plan_project_index(p, o->project);
	if (o->level < 3 || out->project < 0)
		return 0;
	if (out->env < 1) {
		out->rollback = INCIDENT_ROLLBACK_NOTHING;
		out->detail = xasprintf("'%s' is the source environment: nothing rolls back there",
					p->envs[out->env].name);
		return 0;
	}
	if (!p->projects[out->project].rollback) {
		out->rollback = INCIDENT_ROLLBACK_NO_COMMAND;
		return 0;
	}
	if (o->obs && o->obs->note) {
		char note[300];
		snprintf(note, sizeof(note), "incident %lld (level 3) opened: rolling it back in %s",
			 (long long)out->id, p->envs[out->env].name);
		o->obs->note(o->obs->ctx, p->projects[out->project].id, note);
	}
	reason = xasprintf("incident %lld (level 3): %s", (long long)out->id, o->text ? o->text : "");
	ro.project = out->project;
	ro.env = out->env;
	ro.actor = o->actor;
	ro.response = true;
	ro.reason = reason;
	ro.cancel = o->cancel;
	ro.obs = o->obs;
	err_init(&re);
	rc = rollback_run(p, s, now, &ro, &out->result, &re);
	free(reason);
	if (rc == 0 && out->result.already) {
		out->rollback = INCIDENT_ROLLBACK_NOTHING;
		out->detail = xasprintf("%s is rolled back in %s already (live: %s)",
					p->projects[out->project].id, p->envs[out->env].name,
					out->result.previous ? out->result.previous : "nothing");
		return 0;
	}
	if (rc == 0) {
		out->rollback = INCIDENT_ROLLBACK_RAN;
		return 0;
	}
	if (err_is(&re, REASON_BUSY)) {
		/* a running promote holds it: it sees the incident when its
		 * current step ends and rolls the project back itself */
		out->rollback = INCIDENT_ROLLBACK_BY_RUNNER;
		out->detail = xstrdup(re.msg);
		return 0;
	}
	if (err_is(&re, REASON_CONFLICT)) {
		out->rollback = INCIDENT_ROLLBACK_NOTHING;
		out->detail = xstrdup(re.msg);
		return 0;
	}
	err_copy(e, &re);
	return -1;
}
