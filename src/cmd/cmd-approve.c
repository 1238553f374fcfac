/*
 * cmd-approve.c - `tollgate approve GATE [--role R]` and `tollgate revoke
 * GATE`: an approval by the acting person (--as / TOLLGATE_USER) for one
 * role of the gate they hold; revoke takes it back. Both are logged.
 */
#include <jansson.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/actions.h"
#include "plan/plan.h"

static void roles_text(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s'%s'", i ? ", " : "", v[i]);
}

static void covered_text(const struct plan *p, const struct approve_result *r)
{
	for (size_t i = 0; i < r->ncovered; i++)
		printf("%s%s %s", i ? ", " : "", p->projects[r->covered[i]].id, r->versions[i]);
}

static int approve_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	struct approve_result r;
	struct err e;
	const char *gate = args->argv[0];
	const char *projects[CMD_MAX_OPTS];
	size_t nprojects = cmd_opt_all(args, "project", projects, CMD_MAX_OPTS);
	int gi;
	char t[32], d[32];

	err_init(&e);
	if (nprojects > CMD_MAX_OPTS)
		nprojects = CMD_MAX_OPTS;
	if (action_approve(&c, gate, cmd_opt(args, "role"), projects, nprojects, &r, &e) < 0)
		return cmd_err(&e);
	gi = plan_gate_index(p, gate);
	if (app->json) {
		cmd_print_json(encode_approved(p, gate, app->as, &r));
		approve_result_release(&r);
		return EXIT_OK;
	}
	if (r.already)
		printf("already approved: gate '%s' as %s (%s)", gate, r.role, app->as);
	else
		printf("approved gate '%s' as %s (%s)", gate, r.role, app->as);
	if (r.scope_plan) {
		printf(" for the plan as a whole");
	} else {
		printf(" for ");
		covered_text(p, &r);
	}
	printf("%s\n", r.already ? "; nothing changed" : "");
	if (r.nuncovered) {
		printf("not covered (no candidate for %s): ", p->envs[p->gates[gi].before_env].name);
		for (size_t i = 0; i < r.nuncovered; i++)
			printf("%s%s", i ? ", " : "", p->projects[r.uncovered[i]].id);
		putchar('\n');
	}
	if (r.until)
		printf("it counts until %s (expires: %s)\n", util_fmt_time(r.until, t, sizeof(t)),
		       util_fmt_duration(p->gates[gi].expires, d, sizeof(d)));
	if (r.nneeds) {
		printf("gate '%s' still needs ", gate);
		roles_text(r.needs, r.nneeds);
		if (r.nothers) {
			printf(" (");
			roles_text(r.others, r.nothers);
			printf(" from someone other than %s: one person fills one role of a gate)",
			       app->as);
		}
		putchar('\n');
	} else {
		printf("gate '%s' has every approval it needs\n", gate);
	}
	approve_result_release(&r);
	return EXIT_OK;
}

static int revoke_exec(struct app *app, struct cmd_args *args)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	const char *role;
	struct err e;
	int rc;

	err_init(&e);
	rc = action_revoke(&c, args->argv[0], &role, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (app->json) {
		cmd_print_json(encode_revoked(args->argv[0], app->as, role, rc));
	} else if (rc == 1) {
		printf("already revoked: %s has no approval of gate '%s'; nothing changed\n", app->as,
		       args->argv[0]);
	} else {
		printf("revoked %s's approval of gate '%s' (was %s)\n", app->as, args->argv[0], role);
	}
	return EXIT_OK;
}

static const struct cmd_opt approve_opts[] = {
	{ "role", 0, true, false, "the role to approve as (default: your first open role of the gate)" },
	{ "project", 0, true, true, "approve this project's candidate only (repeatable; default: every project the gate guards)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_approve_entry = {
	.name = "approve",
	.usage = "GATE [--role ROLE] [--project P]...",
	.summary = "an approval of a gate by the acting person, for a role they hold",
	.help = "A gate needs one approval per listed role, from distinct people. Your approval\n"
		"fills one role of the gate that you hold (the first still open, or --role);\n"
		"if you hold other roles of the same gate they need someone else.\n"
		"\n"
		"An approval is for versions: for each project the gate guards (or each\n"
		"--project), the candidate version now, i.e. the one soaking or healthy in the\n"
		"environment before the gate's. It prints the versions approved and the\n"
		"projects with no candidate (not covered). When a project's candidate changes,\n"
		"the approval no longer counts for it: approve again. A gate with `scope: plan`\n"
		"is approved as a whole; one with `expires: DURATION` stops counting that long\n"
		"after the approval. Approving again what still counts is exit 0 and writes\n"
		"nothing (\"already approved\").\n"
		"\n"
		"Exit 3 when you hold none of the gate's roles, they are all approved by others,\n"
		"or no project has a candidate.\n",
	.examples = "tollgate approve prod-cab --as alice\n"
		    "tollgate approve prod-cab --role ops-lead --project ledger\n",
	.opts = approve_opts,
	.min_args = 1,
	.max_args = 1,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = approve_exec,
};

const struct cmd_entry cmd_revoke_entry = {
	.name = "revoke",
	.usage = "GATE",
	.summary = "takes the acting person's approval of a gate back",
	.help = "When you have no approval on GATE it is revoked already: exit 0, nothing\n"
		"written.\n",
	.examples = "tollgate revoke prod-cab --as alice\n",
	.opts = NULL,
	.min_args = 1,
	.max_args = 1,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = revoke_exec,
};
