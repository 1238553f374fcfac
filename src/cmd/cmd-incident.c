/*
 * cmd-incident.c - `tollgate incident open --level N --env E [--project P]
 * TEXT` and `tollgate incident resolve ID`. A level 2 or 3 incident pauses
 * every promotion until resolved (readiness rule `incidents`); a level 3 on
 * a project also rolls it back (incident_respond in the engine; this file
 * only prints what it did).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd-progress.h"
#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/actions.h"
#include "engine/promote.h"
#include "plan/plan.h"

/* The rollback part of the response, as text; the exit status. */
static int print_rollback(struct app *app, const struct incident_response *r)
{
	const struct plan *p = app->plan;
	const char *project = r->project >= 0 ? p->projects[r->project].id : "";
	const char *env = p->envs[r->env].name;

	switch (r->rollback) {
	case INCIDENT_ROLLBACK_NONE:
		return EXIT_OK;
	case INCIDENT_ROLLBACK_NO_COMMAND:
		if (!app->json)
			printf("%s has no rollback command: roll it back by hand\n", project);
		return EXIT_OK;
	case INCIDENT_ROLLBACK_NOTHING:
		if (!app->json)
			printf("no rollback run: %s\n", r->detail ? r->detail : "");
		return EXIT_OK;
	case INCIDENT_ROLLBACK_BY_RUNNER:
		if (!app->json) {
			printf("no rollback run: %s\n", r->detail ? r->detail : "");
			printf("the running promote rolls it back when its current step ends\n");
		}
		return EXIT_OK;
	case INCIDENT_ROLLBACK_RAN:
		break;
	}
	if (!app->json) {
		if (r->result.outcome == PROMOTE_ROLLED_BACK)
			printf("%s %s: rolled back from %s to %s\n", project, env, r->result.version,
			       r->result.previous ? r->result.previous : "nothing (no previous version)");
		else
			printf("%s %s: the rollback failed: %s\n", project, env,
			       r->result.detail ? r->result.detail : "");
	}
	return r->result.outcome == PROMOTE_ROLLED_BACK ? EXIT_OK : EXIT_FAILED;
}

static int incident_open(struct app *app, struct cmd_args *args)
{
	const char *ls = cmd_opt(args, "level"), *env = cmd_opt(args, "env");
	const char *project = cmd_opt(args, "project");
	struct strbuf text = STRBUF_INIT;
	struct incident_opts o = { 0 };
	struct incident_response r;
	struct cmd_progress pg;
	struct cancel_token cancel;
	struct err e;
	long level;
	char *end;
	int rc;

	err_init(&e);
	if (!ls || !env)
		return cmd_error(EXIT_USAGE, "usage: tollgate incident open --level N --env E "
					     "[--project P] TEXT");
	level = strtol(ls, &end, 10);
	if (end == ls || *end || level < 1 || level > 3)
		return cmd_error(EXIT_USAGE, "--level '%s': use 1 (logs), 2 (pauses every promotion) "
					     "or 3 (also rolls back)", ls);
	for (int i = 1; i < args->argc; i++) {
		if (i > 1)
			strbuf_addch(&text, ' ');
		strbuf_addstr(&text, args->argv[i]);
	}
	o.level = (int)level;
	o.env = env;
	o.project = project;
	o.text = text.buf ? text.buf : "";
	o.actor = app->as;
	cmd_progress_begin(&pg, app, true, &cancel);
	o.obs = &pg.obs;
	o.cancel = &cancel;
	rc = incident_respond(app->plan, app->store, app->now, &o, &r, &e);
	cmd_progress_end(&pg);
	cmd_progress_signals(NULL);
	if (rc < 0 && !r.id) {
		strbuf_release(&text);
		incident_response_release(&r);
		return cmd_err(&e);
	}
	if (app->json) {
		cmd_print_json(encode_incident_opened(r.id, (int)level, env, project,
						      text.buf ? text.buf : ""));
	} else {
		printf("opened incident %lld (level %ld)%s\n", (long long)r.id, level,
		       level >= 2 ? ": every promotion is paused until it is resolved" : "");
	}
	strbuf_release(&text);
	if (rc < 0) {
		incident_response_release(&r);
		return cmd_err(&e);
	}
	rc = print_rollback(app, &r);
	incident_response_release(&r);
	return rc;
}

static int incident_resolve(struct app *app, struct cmd_args *args)
{
	struct err e;
	long long id;
	char *end;

	err_init(&e);
	if (args->argc != 2)
		return cmd_error(EXIT_USAGE, "usage: tollgate incident resolve ID");
	id = strtoll(args->argv[1], &end, 10);
	if (end == args->argv[1] || *end || id < 1)
		return cmd_error(EXIT_USAGE, "incident id '%s' is not a number; 'tollgate status' "
					     "lists the open ones", args->argv[1]);
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	int rc = action_incident_resolve(&c, id, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (app->json) {
		cmd_print_json(encode_incident_resolved(id, rc));
	} else if (rc == 1) {
		printf("already resolved: incident %lld; nothing changed\n", id);
	} else {
		printf("resolved incident %lld\n", id);
	}
	return EXIT_OK;
}

static int incident_exec(struct app *app, struct cmd_args *args)
{
	const char *sub = args->argv[0];

	if (!strcmp(sub, "open"))
		return incident_open(app, args);
	if (!strcmp(sub, "resolve"))
		return incident_resolve(app, args);
	{
		static const char *const subs[] = { "open", "resolve" };
		const char *s = util_suggest(sub, subs, 2);
		if (s)
			return cmd_error(EXIT_USAGE, "unknown incident subcommand '%s'; did you mean '%s'?",
					 sub, s);
		return cmd_error(EXIT_USAGE, "unknown incident subcommand '%s'; use 'open' or 'resolve'",
				 sub);
	}
}

static const struct cmd_opt incident_opts[] = {
	{ "level", 0, true, false, "1 logs, 2 pauses every promotion, 3 also rolls back" },
	{ "env", 0, true, false, "the environment where it happens" },
	{ "project", 0, true, false, "the project it is about, if one" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_incident_entry = {
	.name = "incident",
	.usage = "open --level N --env E [--project P] TEXT | resolve ID",
	.summary = "opens or resolves an incident",
	.help = "An open incident of level 2 or more pauses every promotion (rule 'incidents');\n"
		"one of any level on a project in an environment stops that project leaving it.\n"
		"Resolving a resolved incident is exit 0 and writes nothing.\n",
	.examples = "tollgate incident open --level 2 --env prod-eu --project ledger 'error rate 4%'\n"
		    "tollgate incident resolve 7\n",
	.opts = incident_opts,
	.min_args = 1,
	.max_args = -1,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = incident_exec,
};
