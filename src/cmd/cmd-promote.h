/*
 * cmd-promote.h - the progress printer shared by `promote`, `soak` and
 * `rollback` (cmd-promote.c): a promote_observer that prints plain lines, or
 * a live view of the running steps on a terminal, or nothing with --json.
 */
#ifndef TOLLGATE_CMD_PROMOTE_H
#define TOLLGATE_CMD_PROMOTE_H

#include <signal.h>
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
void cmd_progress_end(struct cmd_progress *pg);
/* SIGINT/SIGTERM: the first lets running steps finish, the second kills them. */
void cmd_progress_signals(const struct cancel_token **cancel);
/* {"project", "env", "version", "outcome", "previous", "detail"[, "incident"]} */
struct json_t *cmd_result_json(const struct plan *p, const struct promote_result *r);

/* After `incident open --level 3 --project P --env E`: roll P back in E
 * (when something is live there and no runner holds it) and say so. Returns
 * the exit status: 0, or 1 when the rollback failed. */
int cmd_rollback_for_incident(struct app *app, const char *project, const char *env, int64_t id,
			      const char *text);

#endif
