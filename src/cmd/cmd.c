/*
 * cmd.c - the command table, option lookup, usage text and the printing
 * helpers shared by every command.
 */
#include "cmd/cmd.h"

#include <jansson.h>
#include <stdarg.h>
#include <string.h>

#include "engine/encode.h"
#include "plan/plan.h"

/*
 * What stdout carries, for the error printers: with --json an error is also
 * written there as {"error": …} (encode_error), unless the command already
 * wrote its document. The CLI has one stdout, so this is the process's,
 * set once by main.c before the command runs.
 */
static struct {
	bool json;
	bool written;
	bool rehearsal;
} cmd_stdout;

void cmd_output_init(bool json)
{
	cmd_stdout.json = json;
	cmd_stdout.written = false;
}

void cmd_output_rehearsal(bool rehearsal)
{
	cmd_stdout.rehearsal = rehearsal;
}

void cmd_output_written(void)
{
	cmd_stdout.written = true;
}

static void json_error(const struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *j;
	if (!cmd_stdout.json || cmd_stdout.written)
		return;
	j = encode_error(e);
	if (encode_text(j, &sb) == 0)
		fwrite(sb.buf, 1, sb.len, stdout);
	json_decref(j);
	strbuf_release(&sb);
	cmd_stdout.written = true;
}

/* Each cmd-*.c exports one entry; list them here in the order --help shows. */
extern const struct cmd_entry cmd_init_entry;
extern const struct cmd_entry cmd_import_entry;
extern const struct cmd_entry cmd_validate_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_status_entry;
extern const struct cmd_entry cmd_why_entry;
extern const struct cmd_entry cmd_forecast_entry;
extern const struct cmd_entry cmd_next_entry;
extern const struct cmd_entry cmd_record_entry;
extern const struct cmd_entry cmd_approve_entry;
extern const struct cmd_entry cmd_revoke_entry;
extern const struct cmd_entry cmd_reject_entry;
extern const struct cmd_entry cmd_allow_entry;
extern const struct cmd_entry cmd_check_entry;
extern const struct cmd_entry cmd_uncheck_entry;
extern const struct cmd_entry cmd_checklist_entry;
extern const struct cmd_entry cmd_blocker_entry;
extern const struct cmd_entry cmd_incident_entry;
extern const struct cmd_entry cmd_promote_entry;
extern const struct cmd_entry cmd_soak_entry;
extern const struct cmd_entry cmd_rollback_entry;
extern const struct cmd_entry cmd_log_entry;
extern const struct cmd_entry cmd_forget_entry;
extern const struct cmd_entry cmd_token_entry;
extern const struct cmd_entry cmd_notify_entry;
extern const struct cmd_entry cmd_serve_entry;
extern const struct cmd_entry cmd_help_entry;
extern const struct cmd_entry cmd_complete_entry;
extern const struct cmd_entry cmd_completion_entry;
extern const struct cmd_entry cmd_man_entry;
extern const struct cmd_entry cmd_gates_entry;
extern const struct cmd_entry cmd_incidents_entry;
extern const struct cmd_entry cmd_blockers_entry;
extern const struct cmd_entry cmd_rejections_entry;

const struct cmd_entry *const cmd_table[] = {
	&cmd_init_entry,
	&cmd_import_entry,
	&cmd_validate_entry,
	&cmd_report_entry,
	&cmd_status_entry,
	&cmd_why_entry,
	&cmd_forecast_entry,
	&cmd_next_entry,
	&cmd_record_entry,
	&cmd_gates_entry,
	&cmd_approve_entry,
	&cmd_revoke_entry,
	&cmd_reject_entry,
	&cmd_allow_entry,
	&cmd_rejections_entry,
	&cmd_check_entry,
	&cmd_uncheck_entry,
	&cmd_checklist_entry,
	&cmd_blockers_entry,
	&cmd_blocker_entry,
	&cmd_incidents_entry,
	&cmd_incident_entry,
	&cmd_promote_entry,
	&cmd_soak_entry,
	&cmd_rollback_entry,
	&cmd_log_entry,
	&cmd_forget_entry,
	&cmd_token_entry,
	&cmd_notify_entry,
	&cmd_serve_entry,
	&cmd_help_entry,
	&cmd_complete_entry,
	&cmd_completion_entry,
	&cmd_man_entry,
	NULL,
};

const struct cmd_entry *cmd_find(const char *name)
{
	for (size_t i = 0; cmd_table[i]; i++)
		if (!strcmp(cmd_table[i]->name, name))
			return cmd_table[i];
	return NULL;
}

const char *cmd_opt(const struct cmd_args *a, const char *name)
{
	const char *v = NULL;
	for (size_t i = 0; i < a->nopts; i++)
		if (!strcmp(a->opts[i].name, name))
			v = a->opts[i].value;
	return v;
}

bool cmd_flag(const struct cmd_args *a, const char *name)
{
	for (size_t i = 0; i < a->nopts; i++)
		if (!strcmp(a->opts[i].name, name))
			return true;
	return false;
}

size_t cmd_opt_all(const struct cmd_args *a, const char *name, const char **out, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < a->nopts; i++)
		if (!strcmp(a->opts[i].name, name)) {
			if (k < n)
				out[k] = a->opts[i].value;
			k++;
		}
	return k;
}

static const char global_help[] =
	"Global options (before or after the command):\n"
	"  --plan FILE     the plan (or TOLLGATE_PLAN; default tollgate.yaml here or in\n"
	"                  the nearest parent folder that has one)\n"
	"  --db URL        the store: sqlite:PATH or postgres://... (or TOLLGATE_DB)\n"
	"  --as PERSON     act as this people id (or TOLLGATE_USER)\n"
	"  --json          machine output on stdout, nothing else there\n"
	"  --no-color      no colour (NO_COLOR is honoured too)\n"
	"  -h, --help      this help (also: tollgate help COMMAND)\n"
	"  --version       print tollgate's version and exit\n";

void cmd_print_usage(FILE *f, const struct cmd_entry *e)
{
	fprintf(f, "usage: tollgate %s%s%s\n", e->name, *e->usage ? " " : "", e->usage);
	fprintf(f, "\n%s\n", e->summary);
	if (e->help)
		fprintf(f, "\n%s", e->help);
	if (e->opts && e->opts[0].name) {
		fputs("\nOptions:\n", f);
		for (const struct cmd_opt *o = e->opts; o->name; o++) {
			char left[64];
			if (o->short_name)
				snprintf(left, sizeof(left), "-%c, --%s%s", o->short_name, o->name,
					 o->has_arg ? " ARG" : "");
			else
				snprintf(left, sizeof(left), "    --%s%s", o->name,
					 o->has_arg ? " ARG" : "");
			fprintf(f, "  %-24s %s\n", left, o->help ? o->help : "");
		}
	}
	if (e->examples) {
		const char *s = e->examples;
		fputs("\nExamples:\n", f);
		while (*s) {
			const char *nl = strchr(s, '\n');
			size_t len = nl ? (size_t)(nl - s) : strlen(s);
			fprintf(f, "  %.*s\n", (int)len, s);
			s += len + (nl ? 1 : 0);
		}
	}
	fprintf(f, "\n%s", global_help);
}

void cmd_print_overview(FILE *f)
{
	fputs("usage: tollgate [--plan FILE] [--db URL] [--as PERSON] [--json] COMMAND [ARGS]\n\n"
	      "tollgate runs a release promotion plan (DEV -> SIT -> PROD): readiness,\n"
	      "approvals, checklists, blockers, promotions, soak, rollback and the report.\n\n"
	      "Commands:\n", f);
	for (size_t i = 0; cmd_table[i]; i++)
		if (!cmd_table[i]->hidden)
			fprintf(f, "  %-12s %s\n", cmd_table[i]->name, cmd_table[i]->summary);
	fprintf(f, "\n%s\nRun 'tollgate help COMMAND' (or 'tollgate COMMAND --help') for a command's\n"
		   "options and examples.\n"
		   "Exit status: 0 done, 1 an operation failed, 2 usage error or invalid plan,\n"
		   "3 nothing done because of a readiness rule.\n", global_help);
}

int cmd_print_help_json(const struct cmd_entry *e)
{
	json_t *o = json_object(), *a = json_array();
	if (!e) {
		for (size_t i = 0; cmd_table[i]; i++)
			if (!cmd_table[i]->hidden)
				json_array_append_new(a, json_pack("{s:s, s:s}", "name", cmd_table[i]->name,
								   "summary", cmd_table[i]->summary));
		json_object_set_new(o, "commands", a);
		return cmd_print_json(o);
	}
	json_object_set_new(o, "command", json_string(e->name));
	json_object_set_new(o, "usage", json_string(e->usage));
	json_object_set_new(o, "summary", json_string(e->summary));
	json_object_set_new(o, "help", encode_string(e->help));
	for (const char *s = e->examples; s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		json_array_append_new(a, json_stringn(s, len));
		s += len + (nl ? 1 : 0);
	}
	json_object_set_new(o, "examples", a);
	a = json_array();
	for (const struct cmd_opt *op = e->opts; op && op->name; op++) {
		char sh[2] = { op->short_name, 0 };
		json_array_append_new(a, json_pack("{s:s, s:o, s:b, s:b, s:o}", "name", op->name, "short",
						   op->short_name ? json_string(sh) : json_null(), "value",
						   op->has_arg, "repeatable", op->repeat, "help",
						   encode_string(op->help)));
	}
	json_object_set_new(o, "options", a);
	return cmd_print_json(o);
}

int cmd_error(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("tollgate: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (cmd_stdout.json && !cmd_stdout.written) {
		struct err e;
		err_init(&e);
		va_start(ap, fmt);
		err_setv(&e, status == EXIT_USAGE       ? ERR_USAGE
			     : status == EXIT_NOT_READY ? ERR_NOT_READY
							: ERR_FAILED,
			 fmt, ap);
		va_end(ap);
		json_error(&e);
	}
	return status;
}

int cmd_err(const struct err *e)
{
	int status = e->code ? (int)e->code : EXIT_FAILED;
	if (e->line > 0)
		fprintf(stderr, "%s:%d:%d: error: %s\n", e->file, e->line, e->col, e->msg);
	else
		fprintf(stderr, "tollgate: error: %s\n", e->msg[0] ? e->msg : "unknown error");
	json_error(e);
	return status;
}

int cmd_need_person(const struct app *app, const char *what)
{
	struct err e;
	if (app->as)
		return 0;
	err_init(&e);
	err_setr(&e, ERR_USAGE, REASON_FORBIDDEN, "%s needs a person: %s", what,
		 app->nobody && *app->nobody ? app->nobody : "use --as PERSON or set TOLLGATE_USER");
	return cmd_err(&e);
}

int cmd_swapped_project_env(const struct app *app, const struct cmd_args *a, const char *cmd)
{
	const struct plan *p = app->plan;
	struct strbuf rest = STRBUF_INIT;
	int rc;
	if (a->argc < 2 || plan_project_index(p, a->argv[0]) >= 0 ||
	    plan_env_index(p, a->argv[0]) < 0 || plan_project_index(p, a->argv[1]) < 0)
		return 0;
	for (int i = 2; i < a->argc; i++)
		strbuf_addf(&rest, " %s", a->argv[i]);
	rc = cmd_error(EXIT_USAGE,
		       "unknown project '%s' (it is an environment); did you mean '%s %s %s%s'?",
		       a->argv[0], cmd, a->argv[1], a->argv[0], rest.len ? rest.buf : "");
	strbuf_release(&rest);
	return rc;
}

void cmd_warn(const char *fmt, ...)
{
	va_list ap;
	fputs("tollgate: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *cmd_color(const struct app *app, const char *code)
{
	return app->color ? code : "";
}

int cmd_print_json(void *json)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;
	if (cmd_stdout.rehearsal && json_is_object((json_t *)json))
		json_object_set_new(json, "rehearsal", json_true());
	rc = encode_text(json, &sb);
	if (rc == 0)
		fwrite(sb.buf, 1, sb.len, stdout);
	json_decref(json);
	strbuf_release(&sb);
	cmd_stdout.written = true;
	return rc;
}

bool cmd_reads_only(const struct cmd_entry *e, const struct cmd_args *a)
{
	return (e->needs & READ_ONLY) || cmd_flag(a, "dry-run") ||
	       (e->reads_only && e->reads_only(a));
}
