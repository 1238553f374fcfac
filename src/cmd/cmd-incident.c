/*
 * cmd-incident.c - `tollgate incident open --level N --env E [--project P]
 * TEXT` and `tollgate incident resolve ID`. A level 2 or 3 incident pauses
 * every promotion until resolved (readiness rule `incidents`).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd-promote.h"
#include "cmd/cmd.h"
#include "engine/actions.h"
#include "plan/plan.h"

static int incident_open(struct app *app, struct cmd_args *args, const struct action_ctx *c)
{
	const char *ls = cmd_opt(args, "level"), *env = cmd_opt(args, "env");
	const char *project = cmd_opt(args, "project");
	struct strbuf text = STRBUF_INIT;
	struct err e;
	int64_t id = 0;
	long level;
	char *end;

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
	if (action_incident_open(c, (int)level, env, project, text.buf ? text.buf : "", &id, &e) < 0) {
		strbuf_release(&text);
		return cmd_err(&e);
	}
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(id));
		json_object_set_new(o, "level", json_integer(level));
		json_object_set_new(o, "env", json_string(env));
		json_object_set_new(o, "project", project ? json_string(project) : json_null());
		json_object_set_new(o, "text", json_string(text.buf));
		cmd_print_json(o);
	} else {
		printf("opened incident %lld (level %ld)%s\n", (long long)id, level,
		       level >= 2 ? ": every promotion is paused until it is resolved" : "");
	}
	if (level >= 3 && project) { /* level 3 also rolls the project back (cmd-rollback.c) */
		int rrc = cmd_rollback_for_incident(app, project, env, id, text.buf);
		strbuf_release(&text);
		return rrc;
	}
	strbuf_release(&text);
	return EXIT_OK;
}

static int incident_resolve(struct app *app, struct cmd_args *args, const struct action_ctx *c)
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
	if (action_incident_resolve(c, id, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(id));
		json_object_set_new(o, "resolved", json_true());
		cmd_print_json(o);
	} else {
		printf("resolved incident %lld\n", id);
	}
	return EXIT_OK;
}

static int incident_exec(struct app *app, struct cmd_args *args)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	const char *sub = args->argv[0];

	if (!strcmp(sub, "open"))
		return incident_open(app, args, &c);
	if (!strcmp(sub, "resolve"))
		return incident_resolve(app, args, &c);
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
		"one of any level on a project in an environment stops that project leaving it.\n",
	.opts = incident_opts,
	.min_args = 1,
	.max_args = -1,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = incident_exec,
};
