/*
 * cmd-rollback.c - `tollgate rollback PROJECT ENV [--reason TEXT]`: runs the
 * project's rollback by hand and restores the previous version.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd-progress.h"
#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/promote.h"
#include "plan/plan.h"

static int rollback_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	struct promote_result res;
	struct rollback_opts o = { 0 };
	struct cmd_progress pg;
	struct cancel_token cancel;
	struct err e;
	int pi, ei, rc;

	rc = cmd_swapped_project_env(app, args, "rollback");
	if (rc)
		return rc;
	err_init(&e);
	pi = action_find_project(p, args->argv[0], &e);
	if (pi < 0)
		return cmd_err(&e);
	ei = action_find_env(p, args->argv[1], &e);
	if (ei < 0)
		return cmd_err(&e);
	rc = cmd_need_person(app, "rollback");
	if (rc)
		return rc;
	cmd_progress_begin(&pg, app, true, &cancel);
	o.project = pi;
	o.env = ei;
	o.actor = app->as;
	o.reason = cmd_opt(args, "reason");
	o.cancel = &cancel;
	o.obs = &pg.obs;
	rc = rollback_run(p, app->store, app->now, &o, &res, &e);
	cmd_progress_end(&pg);
	cmd_progress_signals(NULL);
	if (rc < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *j = json_object(), *arr = json_array();
		json_array_append_new(arr, cmd_result_json(p, &res));
		json_object_set_new(j, "results", arr);
		cmd_print_json(j);
	} else if (res.already) {
		printf("already rolled back: %s in %s (live: %s); nothing changed\n",
		       p->projects[pi].id, p->envs[ei].name,
		       res.previous ? res.previous : "nothing");
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
		"when the rollback fails. Needs a person allowed to change the environment\n"
		"(its promoters). Exit status: 0 rolled back (or rolled back already: nothing\n"
		"runs), 1 the rollback failed, 3 nothing to roll back, another runner holds the\n"
		"pair, or the person may not.\n",
	.examples = "tollgate rollback ledger prod-eu --reason 'latency doubled'\n",
	.opts = rollback_opts,
	.min_args = 2,
	.max_args = 2,
	.needs = NEEDS_STORE,
	.exec = rollback_exec,
};
