/*
 * cmd-checklist.c - `tollgate checklist run [ITEM…]`: runs the `check`
 * commands of the named items (every item with one when none is named) and
 * records their evidence. Exit 1 when any check failed. With no subcommand
 * (or `list`) it lists the items (cmd-list.c).
 */
#include <jansson.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/actions.h"
#include "plan/plan.h"

static int checklist_exec(struct app *app, struct cmd_args *args)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	struct check_outcomes o;
	struct err e;
	size_t failed = 0, total;
	int rc;

	err_init(&e);
	if (args->argc == 0 || !strcmp(args->argv[0], "list")) {
		if (args->argc > 1)
			return cmd_error(EXIT_USAGE, "usage: tollgate checklist [list] [--done|--undone]");
		return cmd_list_checklist(app, args);
	}
	if (strcmp(args->argv[0], "run"))
		return cmd_error(EXIT_USAGE,
				 "unknown checklist subcommand '%s'; did you mean 'run' or 'list'?",
				 args->argv[0]);
	if (cmd_flag(args, "done") || cmd_flag(args, "undone"))
		return cmd_error(EXIT_USAGE, "--done and --undone are for 'checklist list'");
	rc = action_checklist_run(&c, (const char *const *)args->argv + 1, (size_t)args->argc - 1,
				  &o, &e);
	for (size_t i = 0; i < o.n; i++)
		if (!o.v[i].ok)
			failed++;
	if (app->json) {
		json_t *root = json_object(), *a = json_array();
		for (size_t i = 0; i < o.n; i++) {
			json_t *x = json_object();
			json_object_set_new(x, "item", encode_string(app->plan->items[o.v[i].item].id));
			json_object_set_new(x, "ok", json_boolean(o.v[i].ok));
			json_object_set_new(x, "exit_status", json_integer(o.v[i].exit_status));
			json_object_set_new(x, "how", encode_string(o.v[i].how));
			json_object_set_new(x, "output", encode_string(o.v[i].tail ? o.v[i].tail : ""));
			json_array_append_new(a, x);
		}
		json_object_set_new(root, "results", a);
		cmd_print_json(root);
	} else {
		for (size_t i = 0; i < o.n; i++) {
			const struct check_outcome *x = &o.v[i];
			printf("%s%-6s%s  %s  %s\n", cmd_color(app, x->ok ? C_GREEN : C_RED),
			       x->ok ? "ok" : "FAILED", cmd_color(app, C_RESET),
			       app->plan->items[x->item].id, x->how);
			if (!x->ok && x->tail && *x->tail) {
				/* the last lines say why; indent them */
				const char *s = x->tail;
				while (*s) {
					const char *nl = strchr(s, '\n');
					size_t len = nl ? (size_t)(nl - s) : strlen(s);
					printf("        | %.*s\n", (int)len, s);
					s += len + (nl ? 1 : 0);
				}
			}
		}
	}
	total = o.n;
	check_outcomes_release(&o);
	if (rc < 0)
		return cmd_err(&e);
	if (failed) {
		if (!app->json)
			fprintf(stderr, "tollgate: error: %zu of %zu check%s failed\n", failed,
				total, total == 1 ? "" : "s");
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static bool checklist_reads_only(const struct cmd_args *args)
{
	return args->argc == 0 || !strcmp(args->argv[0], "list");
}

static const struct cmd_opt checklist_opts[] = {
	{ "done", 0, false, false, "list: only the items ticked" },
	{ "undone", 0, false, false, "list: only the items not ticked" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_checklist_entry = {
	.name = "checklist",
	.usage = "[list] [--done|--undone] | run [ITEM...]",
	.summary = "lists the checklist (done or not, by whom), or runs its check commands",
	.help = "With no subcommand (or 'list'), every item by category: ticked or not, who\n"
		"ticked it, when and why, and the roles that may tick the others. With --json:\n"
		"{\"checklist\": [{\"category\", \"items\"}]}, the objects of the report's\n"
		"'checklist'.\n"
		"\n"
		"'run' runs the checks: each `check` runs by /bin/sh -c in the plan's folder with its timeout; its exit\n"
		"status, output tail, time and runner (--as, or 'check') are recorded, and\n"
		"exit status 0 ticks the item. Exit 1 when any check failed.\n",
	.examples = "tollgate checklist\n"
		    "tollgate checklist --undone --json\n"
		    "tollgate checklist run\n"
		    "tollgate checklist run db-backup\n",
	.opts = checklist_opts,
	.min_args = 0,
	.max_args = -1,
	.needs = NEEDS_STORE,
	.exec = checklist_exec,
	.reads_only = checklist_reads_only,
};
