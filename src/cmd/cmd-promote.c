/*
 * cmd-promote.c - `tollgate promote --to ENV [--wave W]… [--project P]… [-j N]
 * [--dry-run]`: runs the ready projects through deploy, verify and the
 * triggers (engine/promote.h) and shows progress (cmd-progress.c): a live
 * view of the running steps on a terminal, plain lines otherwise, nothing
 * but JSON with --json.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd-progress.h"
#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/encode.h"
#include "engine/promote.h"
#include "plan/plan.h"

/* ---- promote ------------------------------------------------------------------- */

static int print_json(struct app *app, const struct promote_report *rep, int env, bool dry)
{
	return cmd_print_json(encode_promote_report(app->plan, rep, env, dry));
}

static void print_dry(struct app *app, const struct promote_report *rep, int env)
{
	const struct plan *p = app->plan;
	printf("would promote to %s, in this order (dry run: nothing runs):\n", p->envs[env].name);
	for (size_t i = 0; i < rep->nplanned; i++) {
		const struct plan_project *pr = &p->projects[rep->planned[i]];
		printf("  %zu. %s %s\n", i + 1, pr->id, rep->planned_version[i]);
		printf("       deploy: %s\n", pr->deploy ? pr->deploy : "(none)");
		printf("       verify: %s\n", pr->verify ? pr->verify : "(none)");
		if (pr->depends_on.n) {
			printf("       after:");
			for (size_t k = 0; k < pr->depends_on.n; k++)
				printf(" %s", pr->depends_on.ids[k]);
			printf("\n");
		}
	}
	for (size_t t = 0; t < p->ntriggers; t++) {
		const struct plan_trigger *tr = &p->triggers[t];
		if (plan_trigger_applies(tr, env))
			printf("  then for each: trigger %s: %s\n", tr->id, tr->measure);
	}
}

static int parse_ids(struct app *app, struct cmd_args *args, const char *name, int **out,
		     size_t *n, int (*find)(const struct plan *, const char *, struct err *))
{
	const char *vals[256];
	size_t k = cmd_opt_all(args, name, vals, ARRAY_SIZE(vals));
	struct err e;
	if (k > ARRAY_SIZE(vals))
		return cmd_error(EXIT_USAGE, "too many --%s options", name);
	*out = xcalloc(k ? k : 1, sizeof(**out));
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		/* also accept "a,b" */
		char *dup = xstrdup(vals[i]), *save = NULL;
		for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			int idx;
			err_init(&e);
			idx = find(app->plan, tok, &e);
			if (idx < 0) {
				free(dup);
				return cmd_err(&e);
			}
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = idx;
		}
		free(dup);
	}
	return 0;
}

/* The closing line: counts per outcome, then why the run stopped early. */
static void print_summary(const struct plan *p, const struct promote_report *rep, int env,
			  const struct cancel_token *cancel)
{
	size_t cnt[PROMOTE_OUTCOMES] = { 0 };
	for (size_t i = 0; i < rep->nresults; i++)
		cnt[rep->results[i].outcome]++;
	printf("promote to %s (run %s): %zu healthy, %zu soaking, %zu rolled back, %zu failed, "
	       "%zu skipped",
	       p->envs[env].name, rep->run_id, cnt[PROMOTE_HEALTHY], cnt[PROMOTE_SOAKING],
	       cnt[PROMOTE_ROLLED_BACK], cnt[PROMOTE_FAILED], cnt[PROMOTE_SKIPPED]);
	if (cnt[PROMOTE_INTERRUPTED])
		printf(", %zu interrupted", cnt[PROMOTE_INTERRUPTED]);
	putchar('\n');
	if (rep->paused)
		printf("paused by an open incident of level 2 or more: nothing new started\n");
	if (rep->cancelled && cancel_level(cancel) >= 2)
		printf("cancelled: the running steps were stopped (killed); the next "
		       "promote repairs and retries what was interrupted\n");
	else if (rep->cancelled)
		printf("cancelled: the running steps finished; the next promote retries what "
		       "was not started\n");
}

static int promote_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	const char *to = cmd_opt(args, "to"), *jobs = cmd_opt(args, "jobs");
	struct promote_opts o = { 0 };
	struct promote_report rep;
	struct cmd_progress pg;
	struct cancel_token cancel;
	int *waves = NULL, *projects = NULL;
	size_t nwaves = 0, nprojects = 0;
	struct err e;
	int rc, env;

	err_init(&e);
	if (!to)
		return cmd_error(EXIT_USAGE, "promote needs --to ENV (one of the environments after '%s')",
				 p->envs[0].name);
	env = action_find_env(p, to, &e);
	if (env < 0)
		return cmd_err(&e);
	if (env == 0)
		return cmd_error(EXIT_USAGE, "'%s' is the source environment: versions enter it with "
					     "'tollgate record'; promote to a later one",
				 p->envs[0].name);
	o.jobs = 4;
	if (jobs) {
		char *end;
		long j = strtol(jobs, &end, 10);
		if (end == jobs || *end || j < 1 || j > 1024)
			return cmd_error(EXIT_USAGE, "-j '%s': give a number of parallel steps from 1 "
						     "to 1024", jobs);
		o.jobs = (int)j;
	}
	rc = parse_ids(app, args, "wave", &waves, &nwaves, action_find_wave);
	if (rc)
		goto out;
	rc = parse_ids(app, args, "project", &projects, &nprojects, action_find_project);
	if (rc)
		goto out;
	o.env = env;
	o.waves = waves;
	o.nwaves = nwaves;
	o.projects = projects;
	o.nprojects = nprojects;
	o.dry_run = cmd_flag(args, "dry-run");
	o.actor = app->as;
	if (!o.dry_run) {
		char what[200];
		snprintf(what, sizeof(what), "promote --to %s", p->envs[env].name);
		rc = cmd_need_person(app, what);
		if (rc)
			goto out;
	}
	o.override_freeze = cmd_flag(args, "override-freeze");
	o.reason = cmd_opt(args, "reason");
	o.retry_held = cmd_flag(args, "retry-held");
	cmd_progress_begin(&pg, app, false, &cancel);
	o.obs = &pg.obs;
	o.cancel = &cancel;

	if (promote_run(p, app->store, app->now, &o, &rep, &e) < 0) {
		cmd_progress_end(&pg);
		if (app->json && rep.nresults)
			print_json(app, &rep, env, o.dry_run);
		else if (rep.nresults)
			print_summary(p, &rep, env, &cancel); /* the store failed mid-run */
		promote_report_release(&rep);
		rc = cmd_err(&e);
		goto out;
	}
	cmd_progress_end(&pg);
	if (app->json) {
		print_json(app, &rep, env, o.dry_run);
	} else {
		if (o.dry_run && rep.nplanned)
			print_dry(app, &rep, env);
	}
	if (rep.nplanned == 0 && promote_all_up_to_date(&rep)) {
		rc = EXIT_OK; /* everything selected already holds: nothing to do */
	} else if (rep.nplanned == 0) {
		rc = cmd_error(EXIT_NOT_READY,
			       "nothing is ready to promote to '%s'; 'tollgate why PROJECT %s' says "
			       "what is missing",
			       p->envs[env].name, p->envs[env].name);
	} else if (o.dry_run) {
		rc = EXIT_OK;
	} else {
		size_t cnt[PROMOTE_OUTCOMES] = { 0 };
		for (size_t i = 0; i < rep.nresults; i++)
			cnt[rep.results[i].outcome]++;
		if (!app->json)
			print_summary(p, &rep, env, &cancel);
		rc = cnt[PROMOTE_ROLLED_BACK] || cnt[PROMOTE_FAILED] || cnt[PROMOTE_INTERRUPTED] ||
				     rep.cancelled
			     ? EXIT_FAILED
			     : EXIT_OK;
	}
	promote_report_release(&rep);
out:
	cmd_progress_signals(NULL);
	free(waves);
	free(projects);
	return rc;
}

static const struct cmd_opt promote_opts[] = {
	{ "to", 0, true, false, "the environment to promote to" },
	{ "wave", 0, true, true, "only projects of this wave (repeatable)" },
	{ "project", 0, true, true, "only this project (repeatable)" },
	{ "jobs", 'j', true, false, "at most N steps at once (default 4)" },
	{ "dry-run", 0, false, false, "show the order and what would run; run nothing" },
	{ "override-freeze", 0, false, false, "promote during a freeze (needs --reason and a role "
					      "of the environment's freeze_override)" },
	{ "reason", 0, true, false, "why the freeze is overridden (logged)" },
	{ "retry-held", 0, false, false, "let a project held after repeated rollbacks run again" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_promote_entry = {
	.name = "promote",
	.usage = "--to ENV [--wave W]... [--project P]... [-j N] [--dry-run]",
	.summary = "promotes every selected project that is ready, in dependency order",
	.help = "Each project runs deploy, verify, then every trigger of the environment once,\n"
		"and ends soaking (or healthy when the environment has no soak). A failure runs\n"
		"its rollback (rolled-back, or failed when that fails too) and skips its\n"
		"dependents. A dependent starts once its dependencies in the run have verified.\n"
		"Projects that are not ready are listed with the rules they miss.\n"
		"A project rolled back 3 times in 24h in an environment is held until a person\n"
		"passes --retry-held. A freeze is overridden only with --override-freeze --reason\n"
		"TEXT by a person holding a role of the environment's freeze_override.\n"
		"A promotion (not --dry-run) needs a person allowed to change the environment\n"
		"(its promoters; the plan's identity says who you are).\n"
		"A store that fails mid-run (locked past TOLLGATE_STORE_WAIT, a full disk, a\n"
		"server gone) stops the run: nothing new starts, nothing more is written, and\n"
		"what the store holds is reported and left for the next promote to repair.\n"
		"Exit status: 0 all healthy or soaking, 1 a rollback, a failure, an interrupted\n"
		"promotion or a store that failed mid-run, 3 nothing ready.\n",
	.examples = "tollgate promote --to staging --dry-run\n"
		    "tollgate promote --to prod-eu --wave wave-1 -j 2\n",
	.opts = promote_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE,
	.exec = promote_exec,
};
