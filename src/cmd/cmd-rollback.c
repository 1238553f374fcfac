/*
 * cmd-rollback.c - `tollgate rollback PROJECT ENV [--reason TEXT]`: runs the
 * project's rollback by hand and restores the previous version.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd-promote.h"
#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/promote.h"
#include "plan/plan.h"

static int rollback_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	struct promote_result res;
	struct cmd_progress pg;
	struct err e;
	int pi, ei, rc;

	err_init(&e);
	pi = action_find_project(p, args->argv[0], &e);
	if (pi < 0)
		return cmd_err(&e);
	ei = action_find_env(p, args->argv[1], &e);
	if (ei < 0)
		return cmd_err(&e);
	cmd_progress_init(&pg, app);
	pg.eager = true;
	if (rollback_run(p, app->store, app->now, pi, ei, app->as, cmd_opt(args, "reason"), &pg.obs,
			 &res, &e) < 0) {
		cmd_progress_end(&pg);
		return cmd_err(&e);
	}
	cmd_progress_end(&pg);
	if (app->json) {
		json_t *o = json_object(), *arr = json_array();
		json_array_append_new(arr, cmd_result_json(p, &res));
		json_object_set_new(o, "results", arr);
		cmd_print_json(o);
	} else if (res.outcome == PROMOTE_ROLLED_BACK) {
		printf("%s %s: rolled back from %s to %s\n", p->projects[pi].id, p->envs[ei].name,
		       res.version, res.previous ? res.previous : "nothing (no previous version)");
	} else {
		printf("%s %s: failed: %s\n", p->projects[pi].id, p->envs[ei].name,
		       res.detail ? res.detail : "");
	}
	rc = res.outcome == PROMOTE_ROLLED_BACK ? EXIT_OK : EXIT_FAILED;
	promote_result_release(&res);
	return rc;
}

static const struct cmd_opt rollback_opts[] = {
	{ "reason", 0, true, false, "why (logged)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_rollback_entry = {
	.name = "rollback",
	.usage = "PROJECT ENV [--reason TEXT]",
	.summary = "runs the rollback and restores the previous version",
	.help = "Runs the project's rollback with TOLLGATE_VERSION = the version there and\n"
		"TOLLGATE_PREVIOUS_VERSION = the one restored; the pair ends rolled-back, or failed\n"
		"when the rollback fails. Exit status: 0 rolled back, 1 the rollback failed,\n"
		"3 nothing to roll back or another runner holds the pair.\n",
	.opts = rollback_opts,
	.min_args = 2,
	.max_args = 2,
	.needs = NEEDS_STORE,
	.exec = rollback_exec,
};

int cmd_rollback_for_incident(struct app *app, const char *project, const char *env, int64_t id,
			      const char *text)
{
	const struct plan *p = app->plan;
	struct promote_result res;
	struct cmd_progress pg;
	char *reason;
	struct err e;
	int pi, ei, rc;

	err_init(&e);
	pi = plan_project_index(p, project);
	ei = plan_env_index(p, env);
	if (pi < 0 || ei < 1 || !p->projects[pi].rollback) {
		if (!app->json && pi >= 0 && ei >= 1)
			printf("%s has no rollback command: roll it back by hand\n", project);
		return EXIT_OK;
	}
	reason = xasprintf("incident %lld (level 3): %s", (long long)id, text ? text : "");
	cmd_progress_init(&pg, app);
	pg.eager = true;
	rc = rollback_run(p, app->store, app->now, pi, ei, app->as, reason, &pg.obs, &res, &e);
	cmd_progress_end(&pg);
	free(reason);
	if (rc < 0) {
		if (app->json)
			return e.code == ERR_NOT_READY ? EXIT_OK : EXIT_FAILED;
		if (e.code == ERR_NOT_READY) {
			printf("no rollback run: %s\n", e.msg);
			if (err_is(&e, REASON_BUSY))
				printf("the running promote rolls it back when its current step ends\n");
			return EXIT_OK;
		}
		return cmd_err(&e);
	}
	if (!app->json) {
		if (res.outcome == PROMOTE_ROLLED_BACK)
			printf("%s %s: rolled back from %s to %s\n", project, env, res.version,
			       res.previous ? res.previous : "nothing (no previous version)");
		else
			printf("%s %s: the rollback failed: %s\n", project, env, res.detail ? res.detail : "");
	}
	rc = res.outcome == PROMOTE_ROLLED_BACK ? EXIT_OK : EXIT_FAILED;
	promote_result_release(&res);
	return rc;
}
