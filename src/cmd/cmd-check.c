/*
 * cmd-check.c - `tollgate check ITEM [--note TEXT]` and `tollgate uncheck
 * ITEM`: tick or untick a checklist item by hand, as the acting person.
 */
#include <jansson.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/actions.h"
#include "plan/plan.h"

static int tick(struct app *app, struct cmd_args *args, bool done)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	const char *note = cmd_opt(args, "note");
	struct err e;
	int rc;

	err_init(&e);
	rc = action_tick(&c, args->argv[0], done, note, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (app->json) {
		cmd_print_json(encode_ticked(args->argv[0], done, app->as, note, rc));
	} else if (rc == 1) {
		printf("already %s: '%s'; nothing changed\n", done ? "ticked" : "unticked",
		       args->argv[0]);
	} else {
		printf("%s '%s' (%s)\n", done ? "ticked" : "unticked", args->argv[0], app->as);
	}
	return EXIT_OK;
}

static int check_exec(struct app *app, struct cmd_args *args)
{
	return tick(app, args, true);
}

static int uncheck_exec(struct app *app, struct cmd_args *args)
{
	return tick(app, args, false);
}

static const struct cmd_opt check_opts[] = {
	{ "note", 0, true, false, "why it is done (kept with the tick)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.usage = "ITEM [--note TEXT]",
	.summary = "ticks a checklist item by hand",
	.help = "An item with 'by' roles is ticked and unticked only by a person holding one\n"
		"(exit 3 otherwise). Ticking a ticked item is exit 0 and writes nothing (to\n"
		"change its note, uncheck it first).\n",
	.examples = "tollgate check staging-signoff --note 'signed by QA'\n",
	.opts = check_opts,
	.min_args = 1,
	.max_args = 1,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = check_exec,
};

const struct cmd_entry cmd_uncheck_entry = {
	.name = "uncheck",
	.usage = "ITEM",
	.summary = "unticks a checklist item",
	.help = "Only a holder of one of the item's 'by' roles, if it has any. Unticking an item\n"
		"that is not ticked is exit 0 and writes nothing.\n",
	.examples = "tollgate uncheck staging-signoff\n",
	.opts = NULL,
	.min_args = 1,
	.max_args = 1,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = uncheck_exec,
};
