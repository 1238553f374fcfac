/*
 * cmd-next.c - `tollgate next`: every promotion (project, env) that could
 * start now, with the version that would move, in environment order and in
 * dependency order within an environment.
 */
#include <string.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/query.h"
#include "plan/plan.h"

static int next_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	struct ready_next n;
	struct err e;
	size_t width = 0;

	(void)args;
	err_init(&e);
	if (ready_next(&n, p, app->store, app->now, NULL, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		cmd_print_json(encode_next(p, &n));
		ready_next_release(&n);
		return EXIT_OK;
	}
	for (size_t i = 0; i < p->nprojects; i++) {
		size_t len = strlen(p->projects[i].id);
		if (len > width)
			width = len;
	}
	for (size_t i = 0; i < n.n; i++) {
		const struct ready_next_item *x = &n.v[i];
		printf("%s%-*s%s  %s → %s  %s\n", cmd_color(app, C_BOLD), (int)width,
		       p->projects[x->project].id, cmd_color(app, C_RESET), p->envs[x->from].name,
		       p->envs[x->env].name, x->version);
	}
	if (!n.n)
		printf("nothing can be promoted now; 'tollgate why PROJECT ENV' says what is missing\n");
	ready_next_release(&n);
	return EXIT_OK;
}

const struct cmd_entry cmd_next_entry = {
	.name = "next",
	.usage = "",
	.summary = "every promotion that could start now",
	.help = "Lists each project and environment for which every readiness rule holds now,\n"
		"with the version that would move. Exit 0, also when nothing is ready.\n",
	.examples = "tollgate next\n"
		    "tollgate next --json\n",
	.opts = NULL,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = next_exec,
};
