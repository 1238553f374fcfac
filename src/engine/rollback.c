/*
 * rollback.c - `tollgate rollback PROJECT ENV` by hand (and the rollback a
 * level-3 incident asks for): under the pair's lease, run the project's
 * rollback with TOLLGATE_VERSION = the version there and
 * TOLLGATE_PREVIOUS_VERSION = the one restored, then write rolled-back (or
 * failed when the rollback fails too) in one change.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "engine/promote-internal.h"
#include "plan/plan.h"

int rollback_run(const struct plan *p, struct store *s, int64_t now, int project, int env,
		 const char *actor, const char *reason, const struct promote_observer *obs,
		 struct promote_result *out, struct err *e)
{
	const struct plan_project *pr = &p->projects[project];
	const char *env_s = p->envs[env].name;
	struct store_promotion cur;
	struct store_lease mine, prev;
	struct exec_result res;
	struct arena a;
	struct pctx c;
	char how[300], why[512];
	bool ok, taken = false;
	char *detail = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (env < 1)
		return err_set(e, ERR_USAGE, "'%s' is the source environment; nothing is promoted "
					     "to it, so nothing rolls back there", env_s);
	if (!pr->rollback)
		return err_set(e, ERR_USAGE, "project '%s' has no rollback command; add "
					     "'rollback:' to it in the plan", pr->id);
	pctx_init(&c, p, s, now, actor, obs);
	arena_init(&a);
	for (int attempt = 0; attempt < 2 && !taken; attempt++) {
		int la;
		pctx_lease(&c, &mine, 0);
		la = store_lease_acquire(s, pr->id, env_s, &mine, pclock_now(&c.clock), &prev, NULL, e);
		if (la < 0)
			goto out;
		if (la == STORE_LEASE_OK) {
			taken = true;
			break;
		}
		if (promote_lease_alive(&c, &prev, pclock_now(&c.clock))) {
			err_setr(e, ERR_NOT_READY, REASON_BUSY,
				 "%s in %s is being worked on by run %s (host %s, pid "
				 "%ld); wait for it, or stop it first",
				pr->id, env_s, prev.run_id, prev.host, prev.pid);
			goto out;
		}
		if (promote_repair_pair(&c, project, env, why, sizeof(why), e) < 0)
			goto out;
	}
	if (!taken) {
		err_setr(e, ERR_NOT_READY, REASON_BUSY, "could not take the lease of %s in %s; try again", pr->id,
			env_s);
		goto out;
	}
	if (store_get_promotion(s, pr->id, env_s, &cur, &a, e) < 0)
		goto out_release;
	if (cur.state == STATE_DEPLOYING || cur.state == STATE_VERIFYING) {
		/* we hold the lease now, so whoever set this is gone */
		cur.state = STATE_INTERRUPTED;
	}
	if (cur.state == STATE_NONE || cur.state == STATE_ROLLED_BACK || !cur.version) {
		err_set(e, ERR_NOT_READY, "%s has nothing to roll back in %s (state: %s)", pr->id,
			env_s, store_state_name(cur.state));
		goto out_release;
	}
	promote_step_sync(&c, project, env, "rollback", pr->rollback, pr->timeout, cur.version,
			  cur.previous_version, false, &res, NULL, e);
	err_init(e);
	ok = exec_result_ok(&res);
	{
		struct exec_task t = { 0 };
		t.timeout_ms = (pr->timeout > 0 ? pr->timeout : 900) * 1000;
		exec_result_describe(&res, &t, how, sizeof(how));
	}
	exec_result_release(&res);
	if (ok)
		detail = xasprintf("rolled back by %s to %s%s%s", c.actor,
				   cur.previous_version ? cur.previous_version : "nothing",
				   reason ? ": " : "", reason ? reason : "");
	else
		detail = xasprintf("the rollback by %s failed (%s): needs a person%s%s", c.actor, how,
				   reason ? "; reason: " : "", reason ? reason : "");
	if (promote_set_state(&c, project, env, ok ? STATE_ROLLED_BACK : STATE_FAILED, cur.version,
			      cur.previous_version, 0, detail, "rollback", true, e) < 0)
		goto out_release;
	out->project = project;
	out->env = env;
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
