/*
 * cmd-blocker.c - `tollgate blocker ID --progress N` / `--resolve`: updates
 * a blocker's progress (0-100; 100 resolves it) as the acting person.
 */
#include <jansson.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/actions.h"
#include "plan/plan.h"

static int blocker_exec(struct app *app, struct cmd_args *args)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	const char *ps = cmd_opt(args, "progress");
	int progress = -1, got = 0, rc;
	bool resolved = false;
	struct err e;

	err_init(&e);
	if (ps) {
		char *end;
		long v = strtol(ps, &end, 10);
		if (end == ps || *end || v < 0 || v > 100)
			return cmd_error(EXIT_USAGE, "--progress '%s' is not a number from 0 to 100", ps);
		progress = (int)v;
	}
	rc = action_blocker(&c, args->argv[0], progress, cmd_flag(args, "resolve"),
			    cmd_flag(args, "reopen"), &got, &resolved, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (app->json) {
		cmd_print_json(encode_blocker_update(args->argv[0], got, resolved, rc));
	} else if (rc == 1 && resolved) {
		printf("already resolved: blocker '%s'; nothing changed\n", args->argv[0]);
	} else if (rc == 1) {
		printf("already at %d%%: blocker '%s'; nothing changed\n", got, args->argv[0]);
	} else if (resolved) {
		printf("blocker '%s' resolved\n", args->argv[0]);
	} else {
		printf("blocker '%s' at %d%%\n", args->argv[0], got);
	}
	return EXIT_OK;
}

static const struct cmd_opt blocker_opts[] = {
	{ "progress", 0, true, false, "progress from 0 to 100 (100 resolves it)" },
	{ "resolve", 0, false, false, "the blocker is gone" },
	{ "reopen", 0, false, false, "a resolved blocker is back (with --progress N below 100)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_blocker_entry = {
	.name = "blocker",
	.usage = "ID --progress N [--reopen] | --resolve",
	.summary = "updates a blocker",
	.help = "A blocker blocks its environment for its waves until resolved: --resolve, or\n"
		"--progress 100. A resolved blocker is reopened only with --reopen --progress N;\n"
		"a lower progress without --reopen is refused (exit 2). Setting what holds\n"
		"already (resolving a resolved blocker, the same progress) is exit 0 and writes\n"
		"nothing.\n",
	.examples = "tollgate blocker vpn-cutover --progress 60\n"
		    "tollgate blocker vpn-cutover --resolve\n",
	.opts = blocker_opts,
	.min_args = 1,
	.max_args = 1,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = blocker_exec,
};
