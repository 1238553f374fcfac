/*
 * cmd.h - the command table and what every command receives.
 *
 * A command is one `const struct cmd_entry` in its own cmd-NAME.c, listed in
 * cmd.c. main.c parses global and command options with getopt_long (global
 * flags may stand before or after the command name), loads the plan and opens
 * the store when the entry says it needs them, then calls exec. exec returns
 * the process exit status (SPEC §5: 0 done, 1 failed, 2 usage, 3 not ready).
 * Commands print; the domain below them never does.
 */
#ifndef TOLLGATE_CMD_H
#define TOLLGATE_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/util.h"

struct plan;
struct plan_diags;
struct store;

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2, EXIT_NOT_READY = 3 };

/* Shared set-up handed down to every command: no globals. */
struct app {
	const char *plan_path; /* --plan, TOLLGATE_PLAN or the tollgate.yaml found (plan_find) */
	const char *db_url;    /* --db, TOLLGATE_DB or NULL (default sqlite beside the plan) */
	/* the acting person's people id, or NULL: with a store, the one the
	 * plan's identity mode resolved (engine/identity.h) from --as /
	 * TOLLGATE_USER and what the process can prove */
	const char *as;
	const char *auth;   /* how it was authenticated: "os:alice@host", "db:alice", "claim:carol" */
	const char *nobody; /* as == NULL: why nobody, and what to do (for messages) */
	bool json;
	bool color; /* stdout is a TTY and neither --no-color nor NO_COLOR */
	struct plan *plan;   /* loaded when the entry NEEDS_PLAN */
	struct plan_diags *diags; /* the plan's warnings (validate prints them) */
	struct store *store; /* opened when the entry NEEDS_STORE */
	int64_t now;         /* TOLLGATE_NOW or the clock, read once */
	bool rehearsal;      /* the store is a rehearsal store: every output says so */
	const char *argv0;
};

/* One option a command takes, besides the global ones. */
struct cmd_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* 0 for none */
	bool has_arg;
	bool repeat; /* may be given several times (--wave W --wave X) */
	const char *help;
};

/* Parsed options and positionals. */
#define CMD_MAX_OPTS 64
struct cmd_args {
	int argc;
	char **argv; /* positionals after the command name */
	size_t nopts;
	struct {
		const char *name;
		const char *value; /* NULL for flags */
	} opts[CMD_MAX_OPTS];
};
/* Last value of option `name`, or NULL. */
const char *cmd_opt(const struct cmd_args *a, const char *name);
/* Was flag/option `name` given? */
bool cmd_flag(const struct cmd_args *a, const char *name);
/* All values of a repeated option, in order; returns the count, fills out (max n). */
size_t cmd_opt_all(const struct cmd_args *a, const char *name, const char **out, size_t n);

enum {
	NEEDS_PLAN = 1 << 0,
	NEEDS_STORE = 1 << 1 | 1 << 0, /* a store needs its plan */
	NEEDS_PERSON = 1 << 2,         /* --as / TOLLGATE_USER must name a person */
	/* never changes the state: opens the store read only, and runs (with a
	 * warning) while the store holds state for ids the plan no longer has;
	 * every other command that opens the store refuses then (as does one
	 * given --dry-run: see cmd_reads_only) */
	READ_ONLY = 1 << 3,
};

struct cmd_entry {
	const char *name;
	const char *usage;   /* "PROJECT ENV [--json]" */
	const char *summary; /* one line for `tollgate --help` */
	const char *help;    /* longer text for `tollgate CMD --help`, may be NULL */
	const char *examples; /* command lines, one a line, shown under "Examples:"; may be NULL */
	const struct cmd_opt *opts; /* terminated by {NULL} ; may be NULL */
	int min_args, max_args;     /* positionals; max -1 = unbounded */
	unsigned needs;
	int (*exec)(struct app *app, struct cmd_args *args);
	/* May be NULL. True when, with these arguments, stdout is a document
	 * or data for a program (the report, `log --head`): no "rehearsal:"
	 * line is put before it (the report carries its own banner). */
	bool (*plain_stdout)(const struct cmd_args *args);
	/* May be NULL. True when, with these arguments, the command only
	 * reads (as READ_ONLY: `token list`). */
	bool (*reads_only)(const struct cmd_args *args);
	/* not listed by --help, help or the completions (cmd-meta.c's __complete …) */
	bool hidden;
};
/* Does this run of e only read (READ_ONLY, or --dry-run)? Then the store
 * is opened read only (store_open_opts.read_only: it works for a user who
 * may only read it, and on a full disk), and state for ids the plan no
 * longer has is a warning, not a refusal. */
bool cmd_reads_only(const struct cmd_entry *e, const struct cmd_args *a);

const struct cmd_entry *cmd_find(const char *name);
extern const struct cmd_entry *const cmd_table[];
void cmd_print_usage(FILE *f, const struct cmd_entry *e);
void cmd_print_overview(FILE *f);
/* The same as JSON on stdout (help --json): {"commands": [{"name", "summary"}]}
 * with e NULL, else {"command", "usage", "summary", "help", "examples",
 * "options": [{"name", "short", "value", "repeatable", "help"}]}. */
int cmd_print_help_json(const struct cmd_entry *e);

/* Printing helpers for commands: each returns the exit status it was given.
 * With --json, an error is also written to stdout as {"error": {"code",
 * "message"}} (engine/encode.h) when the command wrote nothing there yet. */
int cmd_error(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cmd_err(const struct err *e); /* prints e, returns its exit status */
/* `what` ("promote --to prod") needs a person: 0 when app->as names one,
 * else prints why nobody acts (app->nobody) and returns EXIT_USAGE. */
int cmd_need_person(const struct app *app, const char *what);
/* `cmd PROJECT ENV` given as `cmd ENV PROJECT`: prints the error with the
 * command line meant and returns EXIT_USAGE; 0 when the order is not swapped. */
int cmd_swapped_project_env(const struct app *app, const struct cmd_args *a, const char *cmd);
void cmd_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* main.c, once the store is open (cmd-forget.c): carry the state of ids the
 * plan's `moved` renames over, warn about state for ids the plan no longer
 * has, and when `changing` (the name of a command about to change the
 * state; NULL for a read) refuse to go on. 0, or the exit status. */
int cmd_check_orphans(struct app *app, const char *changing);
/* validate (cmd-forget.c): the same warnings, read only (nothing is moved),
 * one string each in *out (the caller frees them and *out); the count. */
size_t cmd_orphan_warnings(struct app *app, char ***out);

/* `checklist` with no subcommand: the items, done or not and who (cmd-list.c). */
int cmd_list_checklist(struct app *app, struct cmd_args *args);

/* `validate --json` on a rejected plan: {"valid": false, "errors": [...]} (cmd-validate.c). */
int cmd_validate_print_failure(const struct plan_diags *d);

/* ANSI colour when app->color. */
const char *cmd_color(const struct app *app, const char *code); /* "" when off */
#define C_RESET "\033[0m"
#define C_BOLD "\033[1m"
#define C_RED "\033[31m"
#define C_GREEN "\033[32m"
#define C_YELLOW "\033[33m"
#define C_BLUE "\033[34m"
#define C_DIM "\033[2m"

/* Write JSON (a jansson json_t *) to stdout as encode_text lays it out;
 * steals the reference. */
struct json_t;
int cmd_print_json(void *json);
/* Text that leaves the CLI cannot drive a terminal (cmd-output.c): stderr,
 * and stdout when text_stdout, go through a filter that turns control
 * characters and escape sequences other than colours into '?'. Called
 * again with text_stdout, it adds stdout (each stream is wrapped once). */
void cmd_output_safe(bool text_stdout);
/* Write terminal control bytes of our own (the live view's cursor moves)
 * around that filter, after what stdout holds. */
void cmd_output_raw(const char *bytes);
/* main.c: say whether stdout carries JSON (--json), before the command runs. */
void cmd_output_init(bool json);
/* main.c: the store is a rehearsal store: every JSON document cmd_print_json
 * writes gets "rehearsal": true. */
void cmd_output_rehearsal(bool rehearsal);
/* A command that writes JSON to stdout by itself says so (no error document
 * is added after it). */
void cmd_output_written(void);

#endif
