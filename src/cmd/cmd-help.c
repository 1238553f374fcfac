/*
 * cmd-help.c - `tollgate help [COMMAND]`: the overview, or one command's
 * help (the same text as `tollgate COMMAND --help`).
 */
#include "cmd/cmd.h"

static int help_exec(struct app *app, struct cmd_args *args)
{
	const struct cmd_entry *e;
	struct suggest s;

	if (args->argc == 0) {
		if (app->json)
			return cmd_print_help_json(NULL) < 0 ? EXIT_FAILED : EXIT_OK;
		cmd_print_overview(stdout);
		return EXIT_OK;
	}
	e = cmd_find(args->argv[0]);
	if (e) {
		if (app->json)
			return cmd_print_help_json(e) < 0 ? EXIT_FAILED : EXIT_OK;
		cmd_print_usage(stdout, e);
		return EXIT_OK;
	}
	suggest_init(&s, args->argv[0]);
	for (size_t i = 0; cmd_table[i]; i++)
		if (!cmd_table[i]->hidden)
			suggest_add(&s, cmd_table[i]->name);
	if (suggest_result(&s))
		return cmd_error(EXIT_USAGE, "unknown command '%s'; did you mean '%s'?",
				 args->argv[0], suggest_result(&s));
	return cmd_error(EXIT_USAGE, "unknown command '%s'; see 'tollgate --help'", args->argv[0]);
}

const struct cmd_entry cmd_help_entry = {
	.name = "help",
	.usage = "[COMMAND]",
	.summary = "the list of commands, or one command's help (as COMMAND --help)",
	.help = "With no COMMAND, the overview 'tollgate --help' prints; with one, what\n"
		"'tollgate COMMAND --help' prints.\n",
	.examples = "tollgate help\n"
		    "tollgate help promote\n",
	.opts = NULL,
	.min_args = 0,
	.max_args = 1,
	.needs = 0,
	.exec = help_exec,
};
