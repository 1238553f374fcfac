/*
 * cmd-next.c - `tollgate next`: every promotion (project, env) that could
 * start now, with the version that would move, in environment order and in
 * dependency order within an environment.
 */
#include <jansson.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"

static int next_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	struct state st;
	struct ready_ctx ctx;
	struct err e;
	json_t *list = NULL;
	size_t n = 0, width = 0;

	(void)args;
	err_init(&e);
	if (state_load(&st, p, app->store, &e) < 0)
		return cmd_err(&e);
	ready_ctx_init(&ctx, p, &st, app->now);
	if (app->json)
		list = json_array();
	for (size_t i = 0; i < p->nprojects; i++) {
		size_t len = strlen(p->projects[i].id);
		if (len > width)
			width = len;
	}
	for (size_t env = 1; env < p->nenvs; env++) {
		for (size_t k = 0; k < p->nprojects; k++) {
			int pi = p->topo ? p->topo[k] : (int)k;
			struct ready_result r;
			ready_check(&ctx, pi, (int)env, false, &r);
			if (r.ready) {
				n++;
				if (list) {
					json_t *x = json_object();
					json_object_set_new(x, "project", json_string(p->projects[pi].id));
					json_object_set_new(x, "env", json_string(p->envs[env].name));
					json_object_set_new(x, "version", json_string(r.version));
					json_object_set_new(x, "from", json_string(p->envs[env - 1].name));
					json_array_append_new(list, x);
				} else {
					printf("%s%-*s%s  %s → %s  %s\n", cmd_color(app, C_BOLD), (int)width,
					       p->projects[pi].id, cmd_color(app, C_RESET),
					       p->envs[env - 1].name, p->envs[env].name, r.version);
				}
			}
			ready_result_release(&r);
		}
	}
	if (list) {
		json_t *o = json_object();
		json_object_set_new(o, "ready", list);
		cmd_print_json(o);
	} else if (!n) {
		printf("nothing can be promoted now; 'tollgate why PROJECT ENV' says what is missing\n");
	}
	ready_ctx_release(&ctx);
	state_release(&st);
	return EXIT_OK;
}

const struct cmd_entry cmd_next_entry = {
	.name = "next",
	.usage = "",
	.summary = "every promotion that could start now",
	.help = "Lists each project and environment for which every readiness rule holds now,\n"
		"with the version that would move. Exit 0, also when nothing is ready.\n",
	.opts = NULL,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE,
	.exec = next_exec,
};
