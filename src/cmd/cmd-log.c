/*
 * cmd-log.c - `tollgate log [--limit N] [--head] [--verify [--anchor SEQ:HASH]…]`:
 * the audit log, oldest first; its head; and the check of its hash chain,
 * its anchors and the state it proves (SPEC §5, §7; issue 9, item 7).
 *
 * Entries are streamed from the store straight to stdout (also as JSON), so
 * a log of millions of entries prints in constant memory; the filters
 * (engine/log-filter.h) are checked as they stream by. --follow then waits
 * for new entries (store_watch: SQLite is polled, PostgreSQL LISTENs) and
 * prints them as they land, until SIGINT or SIGTERM.
 */
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/log-filter.h"
#include "store/store.h"

struct print_ctx {
	struct app *app;
	int64_t n;
	int (*print)(void *ctx, const struct store_log_entry *en);
	const struct log_filter *filter;
	int64_t last;  /* the last seq seen (printed or not) */
	int64_t first; /* print matches from this seq on (the --limit window) */
	/* the first pass of a filtered --limit: the seqs of the last matches */
	int64_t *ring;
	size_t nring, cap;
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
	struct strbuf auth = STRBUF_INIT;
	if (en->auth && *en->auth)
		strbuf_add_scrubbed(&auth, en->auth, false);
	util_fmt_time(en->at, at, sizeof(at));
	printf("%s%6" PRId64 "%s  %s  %-12s %s%-22s%s %s%s%s%s%s%s%s%s%s\n", dim, en->seq, reset, at,
	       f[0].len ? f[0].buf : "", bold, f[1].len ? f[1].buf : "", reset,
	       f[2].len ? f[2].buf : "", f[3].len ? ": " : "", f[3].len ? f[3].buf : "",
	       auth.len ? "  " : "", dim, auth.len ? "[" : "", auth.len ? auth.buf : "",
	       auth.len ? "]" : "", reset);
	for (int i = 0; i < 4; i++)
		strbuf_release(&f[i]);
	strbuf_release(&auth);
	c->n++;
	return ferror(stdout) ? 1 : 0;
}

/* {"entries": [encode_log_entry …]} laid out as encode_text does, one entry
 * a line, written as the entries stream in. */
static int print_json(void *ctx, const struct store_log_entry *en)
{
	struct print_ctx *c = ctx;
	struct strbuf sb = STRBUF_INIT;
	json_t *o = encode_log_line(en);
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

/* "'api'", "9", "null": one value as a message shows it (bounded, one line) */
static void add_value(struct strbuf *sb, const char *v, bool is_int)
{
	struct strbuf t = STRBUF_INIT;
	if (!v) {
		strbuf_addstr(sb, "null");
		return;
	}
	if (is_int) {
		strbuf_addstr(sb, v);
		return;
	}
	strbuf_add_scrubbed(&t, v, false);
	if (t.len > 80)
		strbuf_addf(sb, "'%.77s…'", t.buf);
	else
		strbuf_addf(sb, "'%s'", t.len ? t.buf : "");
	strbuf_release(&t);
}

static const char *times(int64_t n, char *buf, size_t len)
{
	if (n == 1)
		return "once";
	snprintf(buf, len, "%" PRId64 " times", n);
	return buf;
}

/* "approval (gate 'gate-4', role 'ops-lead', person 'olga') is in the store, …" */
static void describe_diff(struct strbuf *sb, const struct store_state_diff *d)
{
	const char **key = d->store ? d->store : d->log;
	const bool *kint = d->store ? d->store_int : d->log_int;
	strbuf_addf(sb, "%s (", d->table);
	for (int i = 0; i < d->nkey; i++) {
		strbuf_addf(sb, "%s%s ", i ? ", " : "", d->cols[i]);
		add_value(sb, key[i], kint[i]);
	}
	strbuf_addch(sb, ')');
	if (!d->log) {
		strbuf_addstr(sb, " is in the store, but no entry of the audit log wrote it");
		return;
	}
	if (!d->store) {
		strbuf_addstr(sb, " is missing from the store: the audit log wrote it");
		return;
	}
	strbuf_addstr(sb, " differs from what the audit log wrote: ");
	{
		bool first = true;
		for (int i = d->nkey; i < d->ncols; i++) {
			const char *a = d->store[i], *b = d->log[i];
			if (a == b || (a && b && !strcmp(a, b)))
				continue;
			strbuf_addf(sb, "%s%s is ", first ? "" : "; ", d->cols[i]);
			add_value(sb, a, d->store_int[i]);
			strbuf_addstr(sb, " in the store, ");
			add_value(sb, b, d->log_int[i]);
			strbuf_addstr(sb, " in the log");
			first = false;
		}
		if (d->store_count != d->log_count) {
			char b1[32], b2[32];
			strbuf_addf(sb, "%sthe store holds it %s, the log wrote it %s",
				    first ? "" : "; ", times(d->store_count, b1, sizeof(b1)),
				    times(d->log_count, b2, sizeof(b2)));
		}
	}
}

/* SEQ:HASH (or SEQ HASH, as `log --head` prints it) into a; 0 ok, -1 not one. */
static int parse_anchor(const char *arg, struct store_anchor *a)
{
	char *end;
	long long seq;
	size_t n;
	if (!(*arg >= '0' && *arg <= '9'))
		return -1;
	seq = strtoll(arg, &end, 10);
	if (seq < 0 || (*end != ':' && *end != ' '))
		return -1;
	end++;
	n = strlen(end);
	if (n != 64)
		return -1;
	for (size_t i = 0; i < 64; i++) {
		char c = end[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
		a->hash[i] = c;
	}
	a->hash[64] = '\0';
	a->seq = seq;
	return 0;
}

static int log_head(struct app *app)
{
	int64_t seq;
	char hash[65];
	struct err e;
	err_init(&e);
	if (store_log_head(app->store, &seq, hash, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "seq", json_integer(seq));
		json_object_set_new(o, "hash", json_string(hash));
		cmd_print_json(o);
	} else {
		printf("%" PRId64 " %s\n", seq, hash);
	}
	return EXIT_OK;
}

static int log_verify(struct app *app, const struct store_anchor *anchors, size_t nanchors)
{
	struct store_verify_full full;
	const struct store_verify *v = &full.chain;
	struct err e;
	int rc = EXIT_OK;

	err_init(&e);
	if (store_log_verify_full(app->store, anchors, nanchors, &full, &e) < 0) {
		store_verify_release(&full);
		return cmd_err(&e);
	}
	if (app->json)
		cmd_print_json(encode_log_verify(&full, nanchors));
	if (!v->ok) {
		if (v->added)
			rc = cmd_error(EXIT_FAILED,
				       "audit log entry %" PRId64 " does not belong (%s); remove it or "
				       "restore the store from a backup: until then every change is refused",
				       v->bad_seq, v->why);
		else
			rc = cmd_error(EXIT_FAILED,
				       "audit log entry %" PRId64 " was altered or removed (%s); "
				       "restore the store from a backup",
				       v->bad_seq, v->why);
		goto out;
	}
	if (full.anchors_failed)
		rc = cmd_error(EXIT_FAILED,
			       "the audit log does not pass through anchor %" PRId64 ":%s: %s; the log "
			       "was rewritten: restore the store from a backup",
			       full.bad_anchor.seq, full.bad_anchor.hash, full.anchor_why);
	if (!full.state_ok) {
		for (size_t i = 0; i < full.nlisted; i++) {
			struct strbuf sb = STRBUF_INIT;
			describe_diff(&sb, &full.diffs[i]);
			cmd_error(EXIT_FAILED, "%s", sb.buf);
			strbuf_release(&sb);
		}
		if (full.ndiffs > (int64_t)full.nlisted)
			cmd_error(EXIT_FAILED, "… and %" PRId64 " more rows",
				  full.ndiffs - (int64_t)full.nlisted);
		rc = cmd_error(EXIT_FAILED,
			       "the state differs from what the audit log wrote, in %" PRId64
			       " row%s: it was changed outside tollgate; restore the store from a backup",
			       full.ndiffs, full.ndiffs == 1 ? "" : "s");
	}
	if (rc == EXIT_OK && !app->json) {
		printf("audit log verified: %" PRId64 " entr%s", v->count, v->count == 1 ? "y" : "ies");
		if (nanchors)
			printf(", through %zu anchor%s", nanchors, nanchors == 1 ? "" : "s");
		printf("; the state (%" PRId64 " row%s) is what they wrote\n", full.state_rows,
		       full.state_rows == 1 ? "" : "s");
	}
out:
	store_verify_release(&full);
	return rc;
}

/* an entry streaming by: printed when it passes the filter */
static int filtered(void *ctx, const struct store_log_entry *en)
{
	struct print_ctx *c = ctx;
	c->last = en->seq;
	if (en->seq < c->first || !log_filter_match(c->filter, en))
		return 0;
	return c->print(c, en);
}

/* the first pass of a filtered --limit N: keep the seqs of the last N matches */
static int window(void *ctx, const struct store_log_entry *en)
{
	struct print_ctx *c = ctx;
	c->last = en->seq;
	if (log_filter_match(c->filter, en))
		c->ring[c->nring++ % c->cap] = en->seq;
	return 0;
}

static volatile sig_atomic_t follow_stop;

static void on_stop(int sig)
{
	(void)sig;
	follow_stop = 1;
}

/* --follow: the entries after c->last as they land, until a signal */
static int follow(struct app *app, struct print_ctx *c, struct err *e)
{
	struct sigaction sa, old_int, old_term;
	struct store *w = NULL;
	int rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	if (store_open_watcher(app->store, &w, e) < 0) {
		rc = -1;
		goto out;
	}
	while (!follow_stop) {
		int64_t before;
		int r;
		fflush(stdout);
		r = store_watch(w, 200, e);
		if (follow_stop)
			break;
		if (r < 0) {
			struct timespec ts = { 0, 200 * 1000000L };
			err_init(e);
			nanosleep(&ts, NULL);
			continue;
		}
		if (r == 0)
			continue;
		do {
			before = c->last;
			if (store_log_after(app->store, c->last, 500, filtered, c, e) < 0) {
				rc = -1;
				goto out;
			}
		} while (c->last - before >= 500 && !follow_stop);
	}
out:
	if (w)
		store_close(w);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}

static int log_exec(struct app *app, struct cmd_args *args)
{
	struct print_ctx c = { app, 0, NULL, NULL, 0, 0, NULL, 0, 0 };
	const char *lim = cmd_opt(args, "limit");
	const char *projects[CMD_MAX_OPTS], *envs[CMD_MAX_OPTS], *actors[CMD_MAX_OPTS],
		*actions[CMD_MAX_OPTS];
	const char *since = cmd_opt(args, "since"), *until = cmd_opt(args, "until");
	bool follow_on = cmd_flag(args, "follow");
	struct log_filter lf = { 0 };
	int64_t limit = 0;
	struct err e;
	int rc;

	err_init(&e);
	lf.projects = projects;
	lf.nprojects = cmd_opt_all(args, "project", projects, CMD_MAX_OPTS);
	lf.envs = envs;
	lf.nenvs = cmd_opt_all(args, "env", envs, CMD_MAX_OPTS);
	lf.actors = actors;
	lf.nactors = cmd_opt_all(args, "actor", actors, CMD_MAX_OPTS);
	lf.actions = actions;
	lf.nactions = cmd_opt_all(args, "action", actions, CMD_MAX_OPTS);
	if (log_filter_check_ids(&lf, app->plan, &e) < 0)
		return cmd_err(&e);
	if (since && log_filter_parse_time("since", since, false, &lf.since, &e) < 0)
		return cmd_err(&e);
	if (until && log_filter_parse_time("until", until, true, &lf.until, &e) < 0)
		return cmd_err(&e);
	if (lf.since && lf.until && lf.until <= lf.since)
		return cmd_error(EXIT_USAGE, "--until '%s' is not after --since '%s'", until, since);
	c.filter = &lf;

	if (lim) {
		char *end;
		long long v = strtoll(lim, &end, 10);
		if (end == lim || *end || v < 1)
			return cmd_error(EXIT_USAGE, "--limit '%s' is not a positive number", lim);
		limit = v;
	}
	{
		const char *arg[CMD_MAX_OPTS];
		struct store_anchor anchors[CMD_MAX_OPTS];
		size_t n = cmd_opt_all(args, "anchor", arg, CMD_MAX_OPTS);
		bool verify = cmd_flag(args, "verify"), head = cmd_flag(args, "head");
		if ((head || verify) && (log_filter_active(&lf) || follow_on))
			return cmd_error(EXIT_USAGE, "--%s goes alone: not with the filters or --follow",
					 head ? "head" : "verify");
		if (head && (verify || lim))
			return cmd_error(EXIT_USAGE, "--head goes alone: not with %s",
					 verify ? "--verify" : "--limit");
		if (n && !verify)
			return cmd_error(EXIT_USAGE, "--anchor goes with --verify");
		if (verify && lim)
			return cmd_error(EXIT_USAGE, "--verify checks the whole log: not with --limit");
		for (size_t i = 0; i < n; i++)
			if (parse_anchor(arg[i], &anchors[i]) < 0)
				return cmd_error(EXIT_USAGE,
						 "--anchor '%s' is not SEQ:HASH (an entry number and its 64 "
						 "hex digits, as 'log --head' prints them)",
						 arg[i]);
		if (head)
			return log_head(app);
		if (verify)
			return log_verify(app, anchors, n);
	}

	err_init(&e);
	c.print = app->json ? print_json : print_human;
	/* a filtered --limit N: the last N entries that match, in two passes
	 * (the first finds where they start), in constant memory */
	if (limit && log_filter_active(&lf)) {
		c.cap = (size_t)limit;
		c.ring = xcalloc(c.cap, sizeof(*c.ring));
		rc = store_log_each(app->store, 0, window, &c, &e);
		if (rc < 0) {
			free(c.ring);
			return cmd_err(&e);
		}
		c.first = c.nring > c.cap ? c.ring[c.nring % c.cap] : c.nring ? c.ring[0] : INT64_MAX;
		limit = 0;
		free(c.ring);
		c.ring = NULL;
	}
	if (app->json) {
		fputs(app->rehearsal ? "{\n  \"rehearsal\": true,\n  \"entries\": ["
				     : "{\n  \"entries\": [",
		      stdout);
		cmd_output_written();
		rc = store_log_each(app->store, limit, filtered, &c, &e);
		if (rc >= 0 && follow_on) {
			if (c.first == INT64_MAX)
				c.first = 0;
			rc = follow(app, &c, &e);
		}
		fputs(c.n ? "\n  ]\n}\n" : "]\n}\n", stdout);
		if (rc < 0)
			return cmd_err(&e);
		return EXIT_OK;
	}
	rc = store_log_each(app->store, limit, filtered, &c, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (!c.n && !follow_on)
		printf(log_filter_active(&lf) ? "no entry of the audit log matches\n"
					       : "the audit log is empty\n");
	if (follow_on) {
		if (c.first == INT64_MAX)
			c.first = 0;
		if (follow(app, &c, &e) < 0)
			return cmd_err(&e);
	}
	return EXIT_OK;
}

static const struct cmd_opt log_opts[] = {
	{ "limit", 'n', true, false, "only the last N entries" },
	{ "verify", 0, false, false,
	  "check the hash chain and the state it proves: exit 1 on any difference" },
	{ "anchor", 0, true, true,
	  "with --verify: SEQ:HASH the chain must pass through (from 'log --head')" },
	{ "head", 0, false, false, "print the head of the log: SEQ HASH" },
	{ "project", 0, true, true, "only entries about this project (repeatable)" },
	{ "env", 0, true, true, "only entries about this environment (repeatable)" },
	{ "actor", 0, true, true, "only entries by this actor: a people id, ci, api… (a glob; repeatable)" },
	{ "action", 0, true, true, "only entries of this action: approve, incident.* (a glob; repeatable)" },
	{ "since", 0, true, false, "only entries from this date or RFC 3339 time on" },
	{ "until", 0, true, false, "only entries up to this date (the whole day) or time" },
	{ "follow", 'f', false, false, "then print new entries as they land, until Ctrl-C (SIGINT) or SIGTERM" },
	{ NULL, 0, false, false, NULL },
};

/* `log --head` prints SEQ HASH for a program to keep as an anchor */
static bool log_plain_stdout(const struct cmd_args *args)
{
	return cmd_flag(args, "head");
}

const struct cmd_entry cmd_log_entry = {
	.name = "log",
	.usage = "[-n N] [--project P]... [--env E]... [--actor A]... [--action A]... [--since T] "
		 "[--until T] [-f] | --head | --verify [--anchor SEQ:HASH]...",
	.summary = "shows the audit log, or verifies it and the state it proves",
	.help = "Every change to the state is one audit entry: seq, time, actor, how they were\n"
		"authenticated (auth), action, subject, detail and the rows it wrote (ops),\n"
		"chained by SHA-256 hashes (each entry holds the hash of the one before).\n"
		"--verify walks the chain and names the first entry that was edited, deleted\n"
		"or moved; then it rebuilds the state from the rows the entries wrote and\n"
		"names every row of the store that differs: one no entry wrote, one missing,\n"
		"one changed. Someone who can write the store can still rewrite the whole\n"
		"chain: keep the head (--head prints SEQ HASH) outside the store, and give it\n"
		"back as --anchor SEQ:HASH (repeatable): --verify fails unless the chain still\n"
		"passes through every anchor.\n"
		"\n"
		"The filters keep the entries about a project or environment (named by the\n"
		"entry's subject or by a row it wrote), by an actor, of an action, in a time\n"
		"span; each may be repeated (any of its values matches) and all must hold.\n"
		"With --limit N, the last N entries that match. --follow then waits for new\n"
		"entries and prints those that match as they land (with --json, one entry a\n"
		"line; the document is closed when it stops), until SIGINT or SIGTERM: exit 0.\n",
	.examples = "tollgate log -n 20\n"
		    "tollgate log --action 'incident.*' --since 2026-03-01\n"
		    "tollgate log --project ledger --env prod-eu --follow\n"
		    "tollgate log --actor alice --until 2026-03-02T12:00:00Z --json\n"
		    "tollgate log --verify --anchor 812:3f9c...\n",
	.opts = log_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = log_exec,
	.plain_stdout = log_plain_stdout,
};
