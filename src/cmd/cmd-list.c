/*
 * cmd-list.c - the listing commands: `tollgate gates`, `checklist` (with no
 * subcommand), `incidents`, `blockers` and `rejections`. Each lists one
 * section of the report's JSON (report_list: the same objects the API's
 * report answers), as text or, with --json, as {"<section>": [...]}.
 * The text is printed from that JSON, so the two cannot disagree.
 */
#include <jansson.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/state.h"
#include "plan/plan.h"
#include "report/report.h"

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* One line of free text: quotes and notes never break the layout. */
static void put_text(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_scrubbed(&sb, s, false);
	fputs(sb.len ? sb.buf : "", stdout);
	strbuf_release(&sb);
}

static void print_gates(const struct app *app, json_t *a)
{
	size_t i, k;
	json_t *g, *r;
	json_array_foreach(a, i, g) {
		bool passed = !strcmp(str(g, "status"), "passed");
		printf("%s%s%s  before %s: ", cmd_color(app, C_BOLD), str(g, "id"),
		       cmd_color(app, C_RESET), str(json_object_get(g, "before"), "env"));
		printf("%s%s%s  ", cmd_color(app, passed ? C_GREEN : C_YELLOW), str(g, "status"),
		       cmd_color(app, C_RESET));
		put_text(str(g, "title"));
		putchar('\n');
		json_array_foreach(json_object_get(g, "approvers"), k, r) {
			printf("  %-20s ", str(r, "role"));
			if (json_is_true(json_object_get(r, "approved"))) {
				printf("approved by %s at %s", str(r, "by"), str(r, "at"));
				if (*str(r, "until"))
					printf(", until %s", str(r, "until"));
			} else {
				size_t h;
				json_t *x;
				printf("not approved (held by ");
				json_array_foreach(json_object_get(r, "holders"), h, x)
					printf("%s%s", h ? ", " : "", json_string_value(x));
				printf("%s)", json_array_size(json_object_get(r, "holders")) ? "" : "nobody");
			}
			putchar('\n');
		}
	}
}

static void print_checklist(const struct app *app, json_t *a)
{
	size_t i, k;
	json_t *c, *it;
	json_array_foreach(a, i, c) {
		printf("%s%s%s\n", cmd_color(app, C_BOLD),
		       *str(c, "category") ? str(c, "category") : "Checklist", cmd_color(app, C_RESET));
		json_array_foreach(json_object_get(c, "items"), k, it) {
			bool done = json_is_true(json_object_get(it, "done"));
			printf("  %s[%c]%s %-20s ", cmd_color(app, done ? C_GREEN : C_DIM), done ? 'x' : ' ',
			       cmd_color(app, C_RESET), str(it, "id"));
			put_text(str(it, "text"));
			if (done) {
				printf("  (done by %s at %s", str(it, "by"), str(it, "at"));
				if (*str(it, "note")) {
					fputs(": ", stdout);
					put_text(str(it, "note"));
				}
				putchar(')');
			} else if (json_array_size(json_object_get(it, "by_roles"))) {
				size_t h;
				json_t *x;
				fputs("  (to be ticked by ", stdout);
				json_array_foreach(json_object_get(it, "by_roles"), h, x)
					printf("%s%s", h ? " or " : "a ", json_string_value(x));
				putchar(')');
			}
			putchar('\n');
		}
	}
}

static void print_incidents(const struct app *app, json_t *a)
{
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x) {
		bool resolved = json_is_true(json_object_get(x, "resolved"));
		printf("#%-4lld level %lld  %s%-8s%s  %s%s%s  ", (long long)json_integer_value(json_object_get(x, "id")),
		       (long long)json_integer_value(json_object_get(x, "level")),
		       cmd_color(app, resolved ? C_DIM : C_RED), resolved ? "resolved" : "open",
		       cmd_color(app, C_RESET), str(x, "env"), *str(x, "project") ? " " : "",
		       str(x, "project"));
		put_text(str(x, "text"));
		printf("  (opened by %s at %s", str(x, "opened_by"), str(x, "opened_at"));
		if (resolved)
			printf(", resolved at %s", str(x, "resolved_at"));
		printf(")\n");
	}
}

static void print_blockers(const struct app *app, json_t *a)
{
	size_t i;
	json_t *x;
	json_array_foreach(a, i, x) {
		bool resolved = json_is_true(json_object_get(x, "resolved"));
		json_t *blocks = json_object_get(x, "blocks");
		printf("%-16s %3lld%%  %s%-8s%s", str(x, "id"),
		       (long long)json_integer_value(json_object_get(x, "progress")),
		       cmd_color(app, resolved ? C_GREEN : C_RED), resolved ? "resolved" : "open",
		       cmd_color(app, C_RESET));
		if (json_is_object(blocks))
			printf("  blocks %s", str(blocks, "env"));
		if (*str(x, "owner")) {
			fputs("  owner ", stdout);
			put_text(str(x, "owner"));
		}
		if (*str(x, "due"))
			printf("  due %s%s", str(x, "due"),
			       json_is_true(json_object_get(x, "overdue")) ? " OVERDUE" : "");
		fputs("  ", stdout);
		put_text(str(x, "text"));
		putchar('\n');
	}
}

static void print_rejections(const struct app *app, json_t *a)
{
	size_t i;
	json_t *x;
	(void)app;
	json_array_foreach(a, i, x) {
		bool rejected = json_is_true(json_object_get(x, "rejected"));
		printf("%s %s  %s %s%s", str(x, "project"), str(x, "version"),
		       rejected ? "rejected" : "allowed again", *str(x, "env") ? "in " : "",
		       *str(x, "env") ? str(x, "env") : "everywhere");
		printf("  (%s by %s at %s: ", str(x, "kind"), str(x, "by"), str(x, "at"));
		put_text(str(x, "reason"));
		putchar(')');
		if (!rejected && *str(x, "allowed_by")) {
			printf("  allowed by %s at %s: ", str(x, "allowed_by"), str(x, "allowed_at"));
			put_text(str(x, "allowed_reason"));
		}
		putchar('\n');
	}
}

static int list(struct app *app, struct cmd_args *args, enum report_list l)
{
	struct report_list_opts o = { .env = -1, .done = -1 };
	struct state_load_opts lo = { 0 };
	const char *env = cmd_opt(args, "env");
	const char *name = report_list_name(l);
	struct state st;
	struct err e;
	json_t *doc, *a;

	err_init(&e);
	if (env && (o.env = action_find_env(app->plan, env, &e)) < 0)
		return cmd_err(&e);
	if (cmd_flag(args, "done") && cmd_flag(args, "undone"))
		return cmd_error(EXIT_USAGE, "give --done or --undone, not both");
	o.done = cmd_flag(args, "done") ? 1 : cmd_flag(args, "undone") ? 0 : -1;
	o.open_only = cmd_flag(args, "open");
	lo.now = app->now;
	if (state_load_opts(&st, app->plan, app->store, &lo, &e) < 0)
		return cmd_err(&e);
	doc = report_list(app->plan, &st, l, &o, app->now);
	state_release(&st);
	if (app->json)
		return cmd_print_json(doc) < 0 ? cmd_error(EXIT_FAILED, "could not encode the list")
					       : EXIT_OK;
	a = json_object_get(doc, name);
	if (!json_array_size(a))
		printf("no %s%s\n", l == REPORT_LIST_CHECKLIST ? "checklist items" : name,
		       env || o.done >= 0 || o.open_only ? " match" : "");
	switch (l) {
	case REPORT_LIST_GATES: print_gates(app, a); break;
	case REPORT_LIST_CHECKLIST: print_checklist(app, a); break;
	case REPORT_LIST_INCIDENTS: print_incidents(app, a); break;
	case REPORT_LIST_BLOCKERS: print_blockers(app, a); break;
	case REPORT_LIST_REJECTIONS: print_rejections(app, a); break;
	}
	json_decref(doc);
	return EXIT_OK;
}

int cmd_list_checklist(struct app *app, struct cmd_args *args)
{
	return list(app, args, REPORT_LIST_CHECKLIST);
}

static int gates_exec(struct app *app, struct cmd_args *args)
{
	return list(app, args, REPORT_LIST_GATES);
}

static int incidents_exec(struct app *app, struct cmd_args *args)
{
	return list(app, args, REPORT_LIST_INCIDENTS);
}

static int blockers_exec(struct app *app, struct cmd_args *args)
{
	return list(app, args, REPORT_LIST_BLOCKERS);
}

static int rejections_exec(struct app *app, struct cmd_args *args)
{
	return list(app, args, REPORT_LIST_REJECTIONS);
}

static const struct cmd_opt gates_opts[] = {
	{ "env", 0, true, false, "only the gates before this environment" },
	{ NULL, 0, false, false, NULL },
};
static const struct cmd_opt incidents_opts[] = {
	{ "open", 0, false, false, "only the incidents not resolved" },
	{ "env", 0, true, false, "only this environment's incidents" },
	{ NULL, 0, false, false, NULL },
};
static const struct cmd_opt blockers_opts[] = {
	{ "open", 0, false, false, "only the blockers not resolved" },
	{ "env", 0, true, false, "only the blockers of this environment" },
	{ NULL, 0, false, false, NULL },
};
static const struct cmd_opt rejections_opts[] = {
	{ "open", 0, false, false, "only the rejections in force (not allowed again)" },
	{ "env", 0, true, false, "only what is rejected in this environment (or everywhere)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_gates_entry = {
	.name = "gates",
	.usage = "[--env E]",
	.summary = "lists the gates: status, and each role's approval (who, when, until)",
	.help = "A gate is passed when every role it lists has an approval that still counts\n"
		"(for each project's candidate version, unless the gate's scope is plan).\n"
		"With --json: {\"gates\": [...]}, the objects of the report's 'gates'.\n",
	.examples = "tollgate gates\n"
		    "tollgate gates --env prod-eu --json\n",
	.opts = gates_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = gates_exec,
};

const struct cmd_entry cmd_incidents_entry = {
	.name = "incidents",
	.usage = "[--open] [--env E]",
	.summary = "lists the incidents: level, open or resolved, where, who opened them",
	.help = "Newest first. With --json: {\"incidents\": [...]}, the objects of the report's\n"
		"'incidents'.\n",
	.examples = "tollgate incidents --open\n"
		    "tollgate incidents --env prod-eu --json\n",
	.opts = incidents_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = incidents_exec,
};

const struct cmd_entry cmd_blockers_entry = {
	.name = "blockers",
	.usage = "[--open] [--env E]",
	.summary = "lists the blockers: progress, what they block, owner, due date",
	.help = "In plan order. With --json: {\"blockers\": [...]}, the objects of the report's\n"
		"'blockers'.\n",
	.examples = "tollgate blockers --open\n"
		    "tollgate blockers --json\n",
	.opts = blockers_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = blockers_exec,
};

const struct cmd_entry cmd_rejections_entry = {
	.name = "rejections",
	.usage = "[--open] [--env E]",
	.summary = "lists the rejected versions, and those allowed again",
	.help = "Each version rejected by a rollback or by 'tollgate reject', where, by whom\n"
		"and why; one allowed again with 'tollgate allow' says so. With --json:\n"
		"{\"rejections\": [...]}, the objects of the report's 'rejections'.\n",
	.examples = "tollgate rejections\n"
		    "tollgate rejections --open --env prod-eu --json\n",
	.opts = rejections_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = rejections_exec,
};
