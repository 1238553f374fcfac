/*
 * cmd-log.c - `tollgate log [--limit N] [--verify]`: the audit log, oldest
 * first, and the check of its hash chain (SPEC §5, §7).
 *
 * Entries are streamed from the store straight to stdout (also as JSON), so
 * a log of millions of entries prints in constant memory.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "store/store.h"

struct print_ctx {
	struct app *app;
	int64_t n;
};

static int print_human(void *ctx, const struct store_log_entry *en)
{
	struct print_ctx *c = ctx;
	char at[32];
	const char *dim = cmd_color(c->app, C_DIM), *bold = cmd_color(c->app, C_BOLD);
	const char *reset = c->app->color ? C_RESET : "";

	/* one entry, one line: a newline in a field cannot forge another row */
	struct strbuf f[4] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT };
	strbuf_add_scrubbed(&f[0], en->actor, false);
	strbuf_add_scrubbed(&f[1], en->action, false);
	strbuf_add_scrubbed(&f[2], en->subject, false);
	strbuf_add_scrubbed(&f[3], en->detail, false);
	util_fmt_time(en->at, at, sizeof(at));
	printf("%s%6" PRId64 "%s  %s  %-12s %s%-22s%s %s%s%s\n", dim, en->seq, reset, at,
	       f[0].len ? f[0].buf : "", bold, f[1].len ? f[1].buf : "", reset,
	       f[2].len ? f[2].buf : "", f[3].len ? ": " : "", f[3].len ? f[3].buf : "");
	for (int i = 0; i < 4; i++)
		strbuf_release(&f[i]);
	c->n++;
	return ferror(stdout) ? 1 : 0;
}

/* {"entries": [encode_log_entry …]} laid out as encode_text does, one entry
 * a line, written as the entries stream in. */
static int print_json(void *ctx, const struct store_log_entry *en)
{
	struct print_ctx *c = ctx;
	struct strbuf sb = STRBUF_INIT;
	json_t *o = encode_log_entry(en);
	char *line;

	line = json_dumps(o, JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		return 1;
	strbuf_addstr(&sb, c->n ? ",\n    " : "\n    ");
	strbuf_addstr(&sb, line);
	free(line);
	fwrite(sb.buf, 1, sb.len, stdout);
	strbuf_release(&sb);
	c->n++;
	return ferror(stdout) ? 1 : 0;
}

static int log_verify(struct app *app)
{
	struct store_verify v;
	struct err e;

	err_init(&e);
	if (store_log_verify(app->store, &v, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "verified", json_boolean(v.ok));
		json_object_set_new(o, "entries", json_integer(v.count));
		if (!v.ok) {
			json_object_set_new(o, "bad_seq", json_integer(v.bad_seq));
			json_object_set_new(o, "why", encode_string(v.why));
		}
		cmd_print_json(o);
	}
	if (!v.ok && v.added)
		return cmd_error(EXIT_FAILED,
				 "audit log entry %" PRId64 " does not belong (%s); remove it or "
				 "restore the store from a backup: until then every change is refused",
				 v.bad_seq, v.why);
	if (!v.ok)
		return cmd_error(EXIT_FAILED,
				 "audit log entry %" PRId64 " was altered or removed (%s); "
				 "restore the store from a backup",
				 v.bad_seq, v.why);
	if (!app->json)
		printf("audit log verified: %" PRId64 " entr%s\n", v.count,
		       v.count == 1 ? "y" : "ies");
	return EXIT_OK;
}

static int log_exec(struct app *app, struct cmd_args *args)
{
	struct print_ctx c = { app, 0 };
	const char *lim = cmd_opt(args, "limit");
	int64_t limit = 0;
	struct err e;
	int rc;

	if (lim) {
		char *end;
		long long v = strtoll(lim, &end, 10);
		if (end == lim || *end || v < 1)
			return cmd_error(EXIT_USAGE, "--limit '%s' is not a positive number", lim);
		limit = v;
	}
	if (cmd_flag(args, "verify"))
		return log_verify(app);

	err_init(&e);
	if (app->json) {
		fputs(app->rehearsal ? "{\n  \"rehearsal\": true,\n  \"entries\": ["
				     : "{\n  \"entries\": [",
		      stdout);
		cmd_output_written();
		rc = store_log_each(app->store, limit, print_json, &c, &e);
		if (rc < 0) {
			fputs("]\n}\n", stdout);
			return cmd_err(&e);
		}
		fputs(c.n ? "\n  ]\n}\n" : "]\n}\n", stdout);
		return EXIT_OK;
	}
	rc = store_log_each(app->store, limit, print_human, &c, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (!c.n)
		printf("the audit log is empty\n");
	return EXIT_OK;
}

static const struct cmd_opt log_opts[] = {
	{ "limit", 'n', true, false, "only the last N entries" },
	{ "verify", 0, false, false, "check the hash chain: exit 1 when an entry was altered or removed" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_log_entry = {
	.name = "log",
	.usage = "[--limit N] [--verify]",
	.summary = "shows the audit log, or verifies its hash chain",
	.help = "Every change to the state is one audit entry: seq, time, actor, action,\n"
		"subject and detail, chained by SHA-256 hashes (each entry holds the hash of\n"
		"the one before). --verify walks the chain and names the first entry that was\n"
		"edited, deleted or moved.\n",
	.opts = log_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = log_exec,
};
