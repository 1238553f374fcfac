/*
 * cmd-forecast.c - `tollgate forecast [--env E] [--wave W] [--project P]
 * [--assume K:ID=V]...`: prints the forecast engine/forecast.h computes — a
 * table per environment (project, target, earliest healthy, slack, the
 * chain that decides it), then the pending human actions with the latest
 * time each must happen, soonest first. --json is encode_forecast.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/encode.h"
#include "engine/forecast.h"
#include "plan/plan.h"

#define FOR_SHOWN 4 /* targets named per deadline in the text */

/* "Jan 10 00:10" (UTC) */
static const char *when(int64_t t, char *buf, size_t n)
{
	char d[16];
	int64_t s = ((t % 86400) + 86400) % 86400;
	util_fmt_short_date(t, false, d, sizeof(d));
	snprintf(buf, n, "%s %02d:%02d", d, (int)(s / 3600), (int)(s / 60 % 60));
	return buf;
}

static void print_cells(const struct app *app, const struct forecast *f)
{
	const struct plan *p = f->plan;
	size_t idw = 7;
	int env = -1;

	for (size_t i = 0; i < f->ncells; i++) {
		size_t l = strlen(p->projects[f->cells[i].project].id);
		if (l > idw)
			idw = l;
	}
	for (size_t i = 0; i < f->ncells; i++) {
		const struct forecast_cell *c = &f->cells[i];
		struct strbuf because = STRBUF_INIT;
		char t[32], h[48], s[24];
		if (c->env != env) {
			const struct plan_env *e = &p->envs[c->env];
			env = c->env;
			printf("\n%s%s%s\n", cmd_color(app, C_BOLD), e->title ? e->title : e->name,
			       cmd_color(app, C_RESET));
			printf("  %s%-*s  %-10s  %-16s  %5s  %s%s\n", cmd_color(app, C_DIM), (int)idw,
			       "PROJECT", "TARGET", "EARLIEST HEALTHY", "SLACK", "BECAUSE",
			       cmd_color(app, C_RESET));
		}
		for (size_t k = 0; k < c->nbecause; k++) {
			if (k)
				strbuf_addstr(&because, " → ");
			strbuf_add_scrubbed(&because, c->because[k], false);
		}
		if (c->has_slack)
			snprintf(s, sizeof(s), "%lldd", (long long)c->slack_days);
		else
			snprintf(s, sizeof(s), "-");
		printf("  %-*s  %-10s  %-16s  %s%5s%s  %s", (int)idw, p->projects[c->project].id,
		       c->target ? util_fmt_date(c->target, t, sizeof(t)) : "-",
		       c->healthy ? when(c->healthy, h, sizeof(h)) : "never",
		       cmd_color(app, c->at_risk ? C_RED : ""), s, cmd_color(app, c->at_risk ? C_RESET : ""),
		       because.buf);
		if (c->at_risk)
			printf("  %sAT RISK%s", cmd_color(app, C_RED), cmd_color(app, C_RESET));
		if (c->conditional)
			printf("  %s(conditional)%s", cmd_color(app, C_YELLOW), cmd_color(app, C_RESET));
		putchar('\n');
		strbuf_release(&because);
	}
}

static void print_deadlines(const struct app *app, const struct forecast *f)
{
	const struct plan *p = f->plan;
	if (!f->ndeadlines)
		return;
	printf("\n%sDeadlines%s (latest time each pending action keeps every target)\n",
	       cmd_color(app, C_BOLD), cmd_color(app, C_RESET));
	for (size_t i = 0; i < f->ndeadlines; i++) {
		const struct forecast_deadline *d = &f->deadlines[i];
		const char *id = d->kind == FORECAST_GATE   ? p->gates[d->id].id
				 : d->kind == FORECAST_ITEM ? p->items[d->id].id
							    : p->blockers[d->id].id;
		char b[48];
		bool late = d->by && d->by < f->now;
		printf("  %s%-12s%s  %-7s %s", cmd_color(app, late ? C_RED : ""),
		       d->by ? when(d->by, b, sizeof(b)) : "no target", cmd_color(app, late ? C_RESET : ""),
		       forecast_kind_name(d->kind), id);
		for (size_t k = 0; k < d->nfor && k < FOR_SHOWN; k++)
			printf("%s%s@%s", k ? ", " : "  for ", p->projects[d->for_[k].project].id,
			       p->envs[d->for_[k].env].name);
		if (d->nfor > FOR_SHOWN)
			printf(" and %zu more", d->nfor - FOR_SHOWN);
		if (late)
			printf("  %sLATE%s", cmd_color(app, C_RED), cmd_color(app, C_RESET));
		putchar('\n');
	}
}

static int forecast_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	const char *env_opt = cmd_opt(args, "env"), *wave_opt = cmd_opt(args, "wave");
	const char *project_opt = cmd_opt(args, "project");
	const char *assume[CMD_MAX_OPTS];
	size_t nassume = cmd_opt_all(args, "assume", assume, CMD_MAX_OPTS);
	struct forecast_opts o = FORECAST_OPTS_INIT;
	struct forecast_assume as;
	struct forecast f;
	struct err e;
	int rc = EXIT_OK;

	err_init(&e);
	if (env_opt && (o.only_env = action_find_env(p, env_opt, &e)) < 0)
		return cmd_err(&e);
	if (wave_opt && (o.only_wave = action_find_wave(p, wave_opt, &e)) < 0)
		return cmd_err(&e);
	if (project_opt && (o.only_project = action_find_project(p, project_opt, &e)) < 0)
		return cmd_err(&e);
	forecast_assume_init(&as, p);
	for (size_t i = 0; i < nassume; i++)
		if (forecast_assume_parse(&as, p, assume[i], &e) < 0) {
			rc = cmd_err(&e);
			goto out;
		}
	o.assume = &as;
	if (forecast_query(&f, p, app->store, app->now, &o, &e) < 0) {
		rc = cmd_err(&e);
		goto out;
	}
	if (app->json) {
		struct strbuf sb = STRBUF_INIT;
		encode_forecast_text(&f, &sb);
		fwrite(sb.buf, 1, sb.len, stdout);
		cmd_output_written();
		strbuf_release(&sb);
	} else {
		char now[32];
		printf("%s%s%s  %s  (now %s)\n", cmd_color(app, C_BOLD), p->id, cmd_color(app, C_RESET),
		       p->title ? p->title : "", util_fmt_time(app->now, now, sizeof(now)));
		if (!f.ncells)
			printf("\nevery project selected is healthy everywhere: nothing to forecast\n");
		print_cells(app, &f);
		print_deadlines(app, &f);
	}
	forecast_release(&f);
out:
	forecast_assume_release(&as);
	return rc;
}

static const struct cmd_opt forecast_opts[] = {
	{ "env", 0, true, false, "only this environment's cells" },
	{ "wave", 0, true, false, "only this wave's projects" },
	{ "project", 0, true, false, "only this project" },
	{ "assume", 0, true, true,
	  "what if: blocker:ID=DATE, gate:ID=DATE, item:ID=DATE, soak:ENV=DURATION, freeze:none" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_forecast_entry = {
	.name = "forecast",
	.usage = "[--env E] [--wave W] [--project P] [--assume K:ID=V]...",
	.summary = "which target dates are out of reach, and what must happen by when",
	.help = "For every project × environment not yet healthy: the earliest time it can start\n"
		"and be healthy, from its state, the soaks, dependencies, wave order and windows,\n"
		"freezes, open blockers (resolved at their due date) and the expected step\n"
		"durations (the median of the project's finished runs, 10m when none); the slack\n"
		"to its target in days (negative: late; AT RISK when the earliest healthy time is\n"
		"after the target day) and the chain of constraints that decides it. Gates and\n"
		"checklist items are assumed done now; the deadlines that follow give, for each\n"
		"pending one and each open blocker, the latest time it may happen and keep every\n"
		"target it holds up. --assume asks what if (repeatable):\n"
		"  --assume blocker:api_infra=2026-01-12   the blocker is resolved then\n"
		"  --assume gate:gate-4=2026-02-20         the gate is approved then\n"
		"  --assume item:sit-ready=2026-01-09      the checklist item is done then\n"
		"  --assume soak:sit=48h                   the environment soaks that long\n"
		"  --assume freeze:none                    no freeze window counts\n"
		"TOLLGATE_NOW overrides the clock on a rehearsal store.\n",
	.examples = "tollgate forecast\n"
		    "tollgate forecast --env prod --json\n"
		    "tollgate forecast --assume blocker:api_infra=2026-01-12 --assume soak:sit=48h\n",
	.opts = forecast_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = forecast_exec,
};
