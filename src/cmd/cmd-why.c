/*
 * cmd-why.c - `tollgate why PROJECT ENV`: every readiness rule of SPEC §3
 * with ok / not ok and what is missing. Exit 0 when ready, 3 when not.
 */
#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/encode.h"
#include "engine/query.h"
#include "plan/plan.h"

static int why_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	struct ready_why w;
	const struct ready_result *r;
	struct err e;
	int pi, ei, rc;

	rc = cmd_swapped_project_env(app, args, "why");
	if (rc)
		return rc;
	err_init(&e);
	pi = action_find_project(p, args->argv[0], &e);
	if (pi < 0)
		return cmd_err(&e);
	ei = action_find_env(p, args->argv[1], &e);
	if (ei < 0)
		return cmd_err(&e);
	if (ei == 0)
		return cmd_error(EXIT_USAGE,
				 "'%s' is the first environment: nothing is promoted into it; versions "
				 "enter it with 'tollgate record %s %s --version V'",
				 p->envs[0].name, p->projects[pi].id, p->envs[0].name);
	if (ready_why(&w, p, app->store, app->now, pi, ei, NULL, &e) < 0)
		return cmd_err(&e);
	r = &w.result;
	if (app->json) {
		cmd_print_json(encode_why(p, &w));
	} else {
		printf("%s%s%s → %s: %s%s%s", cmd_color(app, C_BOLD), p->projects[pi].id,
		       cmd_color(app, C_RESET), p->envs[ei].name,
		       cmd_color(app, r->ready ? C_GREEN : C_RED), r->ready ? "ready" : "not ready",
		       cmd_color(app, C_RESET));
		if (r->ready && r->version)
			printf(" (version %s)", r->version);
		putchar('\n');
		for (int i = 0; i < RULE_COUNT; i++) {
			/* a rule, one line: a detail quotes notes and versions */
			struct strbuf detail = STRBUF_INIT;
			strbuf_add_scrubbed(&detail, r->rules[i].detail, false);
			printf("  %s%-6s%s  %-10s  %s\n",
			       cmd_color(app, r->rules[i].ok ? C_GREEN : C_RED),
			       r->rules[i].ok ? "ok" : "not ok", cmd_color(app, C_RESET),
			       ready_rule_name((enum ready_rule)i), detail.len ? detail.buf : "");
			strbuf_release(&detail);
		}
	}
	rc = r->ready ? EXIT_OK : EXIT_NOT_READY;
	ready_why_release(&w);
	return rc;
}

const struct cmd_entry cmd_why_entry = {
	.name = "why",
	.usage = "PROJECT ENV",
	.summary = "each readiness rule with ok / not ok and what is missing",
	.help = "Evaluates the eight readiness rules (source, depends_on, wave_order, gates,\n"
		"checklist, blockers, freeze, incidents) for promoting PROJECT to ENV now\n"
		"(TOLLGATE_NOW overrides the clock on a rehearsal store). Exit 0 when ready,\n"
		"3 when not.\n",
	.examples = "tollgate why ledger prod-eu\n"
		    "tollgate why ledger staging --json\n",
	.opts = NULL,
	.min_args = 2,
	.max_args = 2,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = why_exec,
};
