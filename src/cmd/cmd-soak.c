/*
 * cmd-soak.c - `tollgate soak [--wait]`: measures the triggers of every
 * soaking promotion, finishes those whose soak has passed as healthy and
 * rolls back (with an incident) those whose trigger is breached; --wait
 * keeps doing so until nothing is soaking.
 */
#include <jansson.h>
#include <stdlib.h>

#include "cmd/cmd-promote.h"
#include "cmd/cmd.h"
#include "engine/promote.h"
#include "plan/plan.h"

static int soak_exec(struct app *app, struct cmd_args *args)
{
	const char *poll = cmd_opt(args, "poll");
	struct soak_opts o = { 0 };
	struct soak_report rep;
	struct cmd_progress pg;
	size_t bad = 0;
	struct err e;
	char t[32];

	err_init(&e);
	o.wait = cmd_flag(args, "wait");
	if (poll && util_parse_duration(poll, &o.poll) < 0) {
		char *end;
		o.poll = strtoll(poll, &end, 10);
		if (end == poll || *end || o.poll < 1)
			return cmd_error(EXIT_USAGE, "--poll '%s': give a duration such as 30s or 5m",
					 poll);
	}
	o.actor = app->as;
	cmd_progress_init(&pg, app);
	pg.eager = true;
	o.obs = &pg.obs;
	cmd_progress_signals(&o.cancel);
	if (soak_run(app->plan, app->store, app->now, &o, &rep, &e) < 0) {
		cmd_progress_end(&pg);
		return cmd_err(&e);
	}
	cmd_progress_end(&pg);
	for (size_t i = 0; i < rep.nresults; i++)
		if (rep.results[i].outcome == PROMOTE_ROLLED_BACK ||
		    rep.results[i].outcome == PROMOTE_FAILED)
			bad++;
	if (app->json) {
		json_t *o2 = json_object(), *res = json_array();
		for (size_t i = 0; i < rep.nresults; i++)
			json_array_append_new(res, cmd_result_json(app->plan, &rep.results[i]));
		json_object_set_new(o2, "results", res);
		json_object_set_new(o2, "soaking", json_integer((json_int_t)rep.still_soaking));
		json_object_set_new(o2, "next_end",
				    rep.next_end ? json_string(util_fmt_time(rep.next_end, t, sizeof(t)))
						 : json_null());
		cmd_print_json(o2);
	} else if (!rep.nresults && !rep.still_soaking) {
		printf("nothing is soaking\n");
	} else {
		printf("soak: %zu finished, %zu rolled back or failed, %zu still soaking", rep.nresults - bad,
		       bad, rep.still_soaking);
		if (rep.next_end)
			printf(" (next soak ends %s)", util_fmt_time(rep.next_end, t, sizeof(t)));
		printf("\n");
	}
	soak_report_release(&rep);
	return bad ? EXIT_FAILED : EXIT_OK;
}

static const struct cmd_opt soak_opts[] = {
	{ "wait", 0, false, false, "keep going until nothing is soaking" },
	{ "poll", 0, true, false, "with --wait, look again at least this often (default 30s)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_soak_entry = {
	.name = "soak",
	.usage = "[--wait] [--poll DURATION]",
	.summary = "evaluates triggers for soaking promotions and finishes those whose soak has passed",
	.help = "Every soaking promotion has the triggers of its environment measured once. A\n"
		"breached trigger (or a measure that fails or prints no number) opens an incident\n"
		"on the project at the trigger's level and runs its rollback. A promotion whose\n"
		"soak has passed with no incident open on it becomes healthy.\n"
		"Exit status: 0 fine, 1 something was rolled back or failed.\n",
	.opts = soak_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE,
	.exec = soak_exec,
};
