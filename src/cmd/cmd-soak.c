/*
 * cmd-soak.c - `tollgate soak [--wait]`: measures the triggers of every
 * soaking promotion, finishes those whose soak has passed as healthy and
 * rolls back (with an incident) those whose trigger is breached; --wait
 * keeps doing so, sleeping here between the engine's passes, until nothing
 * is soaking.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdlib.h>
#include <time.h>

#include "cmd/cmd-progress.h"
#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/promote.h"
#include "plan/plan.h"

static int64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Sleep until the clock (app now moved on by the monotonic clock) reaches
 * wake, or the token is raised. */
static void sleep_until(int64_t now0, int64_t mono0, int64_t wake, const struct cancel_token *t)
{
	while (now0 + (mono_s() - mono0) < wake && !cancel_level(t)) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static int soak_exec(struct app *app, struct cmd_args *args)
{
	const char *poll_s = cmd_opt(args, "poll");
	bool wait = cmd_flag(args, "wait");
	int64_t poll = SOAK_POLL_DEFAULT, mono0 = mono_s();
	struct soak_opts o = { 0 };
	struct soak_report rep, all = { 0 };
	struct cmd_progress pg;
	struct cancel_token cancel;
	size_t bad = 0;
	struct err e;
	char t[32];

	err_init(&e);
	if (poll_s && util_parse_duration(poll_s, &poll) < 0) {
		char *end;
		poll = strtoll(poll_s, &end, 10);
		if (end == poll_s || *end || poll < 1)
			return cmd_error(EXIT_USAGE, "--poll '%s': give a duration such as 30s or 5m",
					 poll_s);
	}
	if (poll < 1)
		poll = SOAK_POLL_DEFAULT;
	o.actor = app->as;
	cmd_progress_begin(&pg, app, true, &cancel);
	o.obs = &pg.obs;
	o.cancel = &cancel;
	for (;;) {
		int64_t now = app->now + (mono_s() - mono0), wake;
		if (soak_run(app->plan, app->store, now, &o, &rep, &e) < 0) {
			cmd_progress_end(&pg);
			cmd_progress_signals(NULL);
			soak_report_release(&rep);
			soak_report_release(&all);
			return cmd_err(&e);
		}
		/* keep every pass's outcomes; the last pass says what still soaks */
		for (size_t i = 0; i < rep.nresults; i++) {
			ALLOC_GROW(all.results, all.nresults + 1, all.results_alloc);
			all.results[all.nresults++] = rep.results[i];
		}
		rep.nresults = 0;
		all.still_soaking = rep.still_soaking;
		all.next_end = rep.next_end;
		soak_report_release(&rep);
		if (!wait || !all.still_soaking || cancel_level(&cancel))
			break;
		wake = now + poll;
		if (all.next_end && all.next_end < wake)
			wake = all.next_end;
		sleep_until(app->now, mono0, wake, &cancel);
		if (cancel_level(&cancel))
			break;
	}
	cmd_progress_end(&pg);
	cmd_progress_signals(NULL);
	for (size_t i = 0; i < all.nresults; i++)
		if (all.results[i].outcome == PROMOTE_ROLLED_BACK ||
		    all.results[i].outcome == PROMOTE_FAILED)
			bad++;
	if (app->json) {
		json_t *o2 = json_object(), *res = json_array();
		for (size_t i = 0; i < all.nresults; i++)
			json_array_append_new(res, cmd_result_json(app->plan, &all.results[i]));
		json_object_set_new(o2, "results", res);
		json_object_set_new(o2, "soaking", json_integer((json_int_t)all.still_soaking));
		json_object_set_new(o2, "next_end",
				    all.next_end ? encode_string(util_fmt_time(all.next_end, t, sizeof(t)))
						 : json_null());
		cmd_print_json(o2);
	} else if (!all.nresults && !all.still_soaking) {
		printf("nothing is soaking\n");
	} else {
		printf("soak: %zu finished, %zu rolled back or failed, %zu still soaking",
		       all.nresults - bad, bad, all.still_soaking);
		if (all.next_end)
			printf(" (next soak ends %s)", util_fmt_time(all.next_end, t, sizeof(t)));
		printf("\n");
	}
	soak_report_release(&all);
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
	.examples = "tollgate soak\n"
		    "tollgate soak --wait --poll 1m\n",
	.opts = soak_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE,
	.exec = soak_exec,
};
