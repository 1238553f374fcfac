/*
 * cmd-reject.c - `tollgate reject PROJECT VERSION [--env E] --reason TEXT`
 * and `tollgate allow PROJECT VERSION [--env E] --reason TEXT` (issue 9): a
 * person keeps a version from being promoted (into one environment, or any),
 * or lets a rejected one (rolled back from an environment, or rejected by
 * hand) be promoted again. Both are logged; `why`, `status` and the report
 * show them.
 */
#include <jansson.h>

#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/encode.h"
#include "plan/plan.h"

static int run(struct app *app, struct cmd_args *args, bool reject)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	const char *project = args->argv[0], *version = args->argv[1];
	const char *env = cmd_opt(args, "env"), *reason = cmd_opt(args, "reason");
	bool already;
	struct err e;
	int rc;

	err_init(&e);
	rc = reject ? action_reject(&c, project, version, env, reason, &already, &e)
		    : action_allow(&c, project, version, env, reason, &already, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (app->json) {
		cmd_print_json(encode_rejected(project, version, env, reject, already, app->as,
						reason));
		return EXIT_OK;
	}
	if (reject && already)
		printf("%s %s is already rejected %s%s; nothing changed\n", project, version,
		       env ? "for " : "everywhere", env ? env : "");
	else if (reject)
		printf("rejected %s %s %s%s: %s\n", project, version, env ? "for " : "everywhere",
		       env ? env : "", reason);
	else if (already)
		printf("%s %s is not rejected %s%s; nothing changed\n", project, version,
		       env ? "for " : "anywhere", env ? env : "");
	else
		printf("allowed %s %s again %s%s: %s\n", project, version, env ? "in " : "everywhere",
		       env ? env : "", reason);
	return EXIT_OK;
}

static int reject_exec(struct app *app, struct cmd_args *args)
{
	return run(app, args, true);
}

static int allow_exec(struct app *app, struct cmd_args *args)
{
	return run(app, args, false);
}

static const struct cmd_opt reject_opts[] = {
	{ "env", 0, true, false, "only for this environment (default: every environment)" },
	{ "reason", 0, true, false, "why (required; shown by why, status and the report)" },
	{ NULL, 0, false, false, NULL },
};

static const struct cmd_opt allow_opts[] = {
	{ "env", 0, true, false, "only in this environment (default: wherever it is rejected)" },
	{ "reason", 0, true, false, "why (required; shown by why, status and the report)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_reject_entry = {
	.name = "reject",
	.usage = "PROJECT VERSION [--env E] --reason TEXT",
	.summary = "keeps a version from being promoted again (into one environment, or any)",
	.help = "A version rolled back from an environment (a failed deploy, verify or trigger,\n"
		"a breach during soak, a level-3 incident, `rollback`) is rejected there by\n"
		"itself; `reject` does it by hand. Rule `source` is not ok for a rejected\n"
		"version until a new version is recorded or `tollgate allow` lets it go again.\n"
		"Needs a person (--as or TOLLGATE_USER). Rejecting what is already rejected\n"
		"changes nothing (exit 0).\n",
	.examples = "tollgate reject ledger 3.12.0 --env prod-eu --reason 'corrupts balances'\n",
	.opts = reject_opts,
	.min_args = 2,
	.max_args = 2,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = reject_exec,
};

const struct cmd_entry cmd_allow_entry = {
	.name = "allow",
	.usage = "PROJECT VERSION [--env E] --reason TEXT",
	.summary = "lets a rejected version be promoted again (in one environment, or everywhere)",
	.help = "Lifts a rejection: one made by `tollgate reject`, or the one a rollback from an\n"
		"environment made. With --env, only there; without, wherever the version is\n"
		"rejected. Needs a person (--as or TOLLGATE_USER). Allowing a version that is not\n"
		"rejected changes nothing (exit 0).\n",
	.examples = "tollgate allow ledger 3.12.0 --reason 'fixed by a data migration'\n",
	.opts = allow_opts,
	.min_args = 2,
	.max_args = 2,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = allow_exec,
};
