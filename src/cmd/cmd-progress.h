/*
 * cmd-progress.h - the progress printer shared by the commands that run
 * steps (`promote`, `soak`, `rollback`, `incident open --level 3`;
 * cmd-progress.c): a promote_observer that prints plain lines, or a live view
 * of the running steps on a terminal, or nothing with --json. Not a command.
 */
#ifndef TOLLGATE_CMD_PROGRESS_H
#define TOLLGATE_CMD_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/promote.h"

struct app;
struct plan;

struct cmd_progress {
	struct app *app;
	bool quiet; /* --json */
	bool live;  /* a terminal: redraw the running steps in place */
	int drawn;  /* lines of the live view on screen */
	bool eager; /* flush every plain line (soak, rollback); else with each tick */
	struct promote_observer obs;
};
void cmd_progress_init(struct cmd_progress *pg, struct app *app);
/* What a command that runs steps does first: cmd_progress_init (eager:
 * flush every line), cancel_init(cancel), and SIGINT/SIGTERM raising it
 * (cmd_progress_signals; undo with cmd_progress_signals(NULL)). */
void cmd_progress_begin(struct cmd_progress *pg, struct app *app, bool eager,
			struct cancel_token *cancel);
void cmd_progress_end(struct cmd_progress *pg);
/* SIGINT/SIGTERM raise t (the command's run): the first to 1 (running steps
 * finish), the second to 2 (they are killed). NULL: the default handling
 * again (before t goes out of scope). */
void cmd_progress_signals(struct cancel_token *t);
/* {"project", "env", "version", "outcome", "previous", "detail"[, "incident"]} */
struct json_t *cmd_result_json(const struct plan *p, const struct promote_result *r);

#endif
