/*
 * actions-reject.c - `reject` and `allow` (issue 9): a person rejects a
 * version of a project for one environment or for every one, or lets a
 * rejected version (one rolled back from an environment, or rejected by
 * hand) be promoted again. Readiness reads the rows (ready_rejection); the
 * automatic rejection of a rolled-back version is written by the promotion
 * paths themselves (promote_reject_failed).
 */
#include "engine/actions.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"
#include "store/store.h"

/* The ids, the person and the reason, checked; *env_out -1 for every env. */
static int check_args(const struct action_ctx *c, const char *verb, const char *project,
		      const char *version, const char *env, const char *reason, int *project_out,
		      int *env_out, int *person_out, struct err *e)
{
	const struct plan *p = c->plan;
	*project_out = action_find_project(p, project, e);
	if (*project_out < 0)
		return -1;
	if (store_check_version(version, e) < 0)
		return -1;
	*env_out = -1;
	if (env) {
		*env_out = action_find_env(p, env, e);
		if (*env_out < 0)
			return -1;
		if (*env_out == 0)
			return err_set(e, ERR_USAGE,
				       "'%s' is the source environment: nothing is promoted into it; "
				       "name a later one, or leave --env out for every environment",
				       p->envs[0].name);
	}
	*person_out = action_find_actor(c, e);
	if (*person_out < 0)
		return -1;
	while (reason && isspace((unsigned char)*reason))
		reason++;
	if (!reason || !*reason)
		return err_set(e, ERR_USAGE, "say why: 'tollgate %s %s %s%s%s --reason TEXT'", verb,
			       p->projects[*project_out].id, version, env ? " --env " : "",
			       env ? env : "");
	return 0;
}

/* Load the project's rows inside the open change. */
static int load(const struct action_ctx *c, int project, struct state *st, struct err *e)
{
	if (state_load_of(st, c->plan, c->store, &project, 1, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	return 0;
}

int action_reject(const struct action_ctx *c, const char *project, const char *version,
		  const char *env, const char *reason, bool *already, struct err *e)
{
	const struct plan *p = c->plan;
	struct store_rejection r = { 0 };
	struct state st;
	char *subject;
	int pi, ei, who, rc = -1;

	*already = false;
	if (check_args(c, "reject", project, version, env, reason, &pi, &ei, &who, e) < 0)
		return -1;
	subject = xasprintf("%s@%s", p->projects[pi].id, ei >= 0 ? p->envs[ei].name : STORE_EVERY_ENV);
	if (store_begin_change(c->store, c->now, p->people[who].id, "reject", subject, NULL, e) < 0)
		goto out;
	if (load(c, pi, &st, e) < 0)
		goto out;
	if (ei >= 0) {
		*already = ready_rejection(&st, pi, version, ei) != NULL;
	} else {
		/* rejected everywhere: by an every-env row, allowed nowhere */
		const struct state_rejection *every = state_rejection_for(&st, pi, version, -1);
		*already = every && every->env < 0 && !every->allowed;
		for (size_t i = 0; *already && i < st.nrejections; i++) {
			const struct state_rejection *x = &st.rejections[i];
			if (x->project == pi && !strcmp(x->version, version) &&
			    (x->allowed || x->kind == REJECT_ALLOWANCE))
				*already = false;
		}
	}
	state_release(&st);
	if (*already) {
		store_abort_change(c->store);
		rc = 0;
		goto out;
	}
	r.project = p->projects[pi].id;
	r.version = version;
	r.env = ei >= 0 ? p->envs[ei].name : STORE_EVERY_ENV;
	r.kind = "rejected";
	r.reason = reason;
	r.by = p->people[who].id;
	if (store_reject(c->store, &r, e) < 0) {
		store_abort_change(c->store);
		goto out;
	}
	store_change_detail(c->store, "version %s rejected %s%s: %s", version,
			    ei >= 0 ? "for " : "everywhere", ei >= 0 ? p->envs[ei].name : "", reason);
	if (store_commit_change(c->store, NULL, e) < 0)
		goto out;
	rc = 0;
out:
	free(subject);
	return rc;
}

int action_allow(const struct action_ctx *c, const char *project, const char *version,
		 const char *env, const char *reason, bool *already, struct err *e)
{
	const struct plan *p = c->plan;
	struct state st;
	char *subject;
	bool rejected = false;
	int pi, ei, who, rc = -1;

	*already = false;
	if (check_args(c, "allow", project, version, env, reason, &pi, &ei, &who, e) < 0)
		return -1;
	subject = xasprintf("%s@%s", p->projects[pi].id, ei >= 0 ? p->envs[ei].name : STORE_EVERY_ENV);
	if (store_begin_change(c->store, c->now, p->people[who].id, "allow", subject, NULL, e) < 0)
		goto out;
	if (load(c, pi, &st, e) < 0)
		goto out;
	if (ei >= 0) {
		rejected = ready_rejection(&st, pi, version, ei) != NULL;
	} else {
		for (size_t i = 0; i < st.nrejections; i++) {
			const struct state_rejection *x = &st.rejections[i];
			if (x->project == pi && !strcmp(x->version, version) && !x->allowed &&
			    x->kind != REJECT_ALLOWANCE)
				rejected = true;
		}
	}
	state_release(&st);
	if (!rejected) {
		*already = true;
		store_abort_change(c->store);
		rc = 0;
		goto out;
	}
	if (store_allow(c->store, p->projects[pi].id, version, ei >= 0 ? p->envs[ei].name : NULL,
			p->people[who].id, reason, e) < 0) {
		store_abort_change(c->store);
		goto out;
	}
	store_change_detail(c->store, "version %s allowed again %s%s: %s", version,
			    ei >= 0 ? "in " : "everywhere", ei >= 0 ? p->envs[ei].name : "", reason);
	if (store_commit_change(c->store, NULL, e) < 0)
		goto out;
	rc = 0;
out:
	free(subject);
	return rc;
}
