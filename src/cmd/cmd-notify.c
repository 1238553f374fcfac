/*
 * cmd-notify.c - `tollgate notify drain | list [--failed] | retry ID | test
 * CHANNEL`: the notification outbox (notify/notify.h, docs/notify.md). This
 * file parses and prints; claiming, sending and retrying are notify's.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "notify/notify.h"
#include "plan/plan.h"
#include "store/store.h"

/* a claim outlives the longest send (30 s) with room to write the answer */
#define NOTIFY_LEASE 120

static int drain_cmd(struct app *app, struct cmd_args *args)
{
	struct notify_schedule_result sr;
	struct notify_drain_result r;
	struct err e;

	const char *ls = cmd_opt(args, "lease");
	int64_t lease = NOTIFY_LEASE;

	err_init(&e);
	if (args->argc != 1)
		return cmd_error(EXIT_USAGE, "usage: tollgate notify drain [--lease DURATION]");
	if (ls && (util_parse_duration(ls, &lease) < 0 || lease < 1 || lease > 86400))
		return cmd_error(EXIT_USAGE,
				 "--lease '%s' is not a duration between 1s and 24h, such as 30s or 5m",
				 ls);
	/* the schedules first: a digest due now goes out in this drain */
	if (notify_schedules_run(app->store, app->plan, app->now, &sr, &e) < 0)
		return cmd_err(&e);
	if (notify_drain(app->store, app->plan, lease, &r, &e) < 0 ||
	    notify_prune(app->store, app->plan, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "digests", json_integer((json_int_t)sr.sent));
		json_object_set_new(o, "skipped", json_integer((json_int_t)sr.skipped));
		json_object_set_new(o, "sent", json_integer((json_int_t)r.sent));
		json_object_set_new(o, "failed", json_integer((json_int_t)r.failed));
		json_object_set_new(o, "dead", json_integer((json_int_t)r.dead));
		json_object_set_new(o, "lost", json_integer((json_int_t)r.lost));
		cmd_print_json(o);
	} else {
		if (sr.sent || sr.skipped)
			printf("schedules: %zu digest%s due, %zu slot%s skipped (past their grace)\n",
			       sr.sent, sr.sent == 1 ? "" : "s", sr.skipped, sr.skipped == 1 ? "" : "s");
		printf("sent %zu, failed %zu (to retry), dead %zu\n", r.sent, r.failed, r.dead);
		if (r.dead)
			printf("'tollgate notify list --failed' shows the dead ones; 'tollgate notify retry ID' sends one again\n");
	}
	return EXIT_OK;
}

static int list_cmd(struct app *app, struct cmd_args *args)
{
	bool failed = cmd_flag(args, "failed");
	struct store_outboxes l;
	struct err e;
	char a[32];

	err_init(&e);
	if (args->argc != 1)
		return cmd_error(EXIT_USAGE, "usage: tollgate notify list [--failed] [--json]");
	if (store_outbox_list(app->store, failed, &l, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		cmd_print_json(encode_outbox(&l));
	} else if (!l.n) {
		printf(failed ? "no dead messages\n" : "no messages\n");
	} else {
		printf("%-6s  %-7s  %-8s  %-14s  %-22s  %-24s  %-20s  %s\n", "ID", "STATE", "ATTEMPTS",
		       "CHANNEL", "EVENT", "SUBJECT", "NEXT / SENT", "LAST ERROR");
		for (size_t i = 0; i < l.n; i++) {
			const struct store_outbox *m = &l.v[i];
			char *why = xstrdup(m->last_error ? m->last_error : "");
			int64_t t = m->state == OUTBOX_SENT ? m->sent_at
				  : m->state == OUTBOX_PENDING ? m->next_at : 0;
			util_scrub(why, false);
			printf("%-6" PRId64 "  %-7s  %-8d  %-14s  %-22s  %-24s  %-20s  %s\n", m->id,
			       store_outbox_state_name(m->state), m->attempts, m->channel, m->event,
			       m->subject, t ? util_fmt_time(t, a, sizeof(a)) : "-", why);
			free(why);
		}
	}
	store_outboxes_release(&l);
	return EXIT_OK;
}

static int retry_cmd(struct app *app, struct cmd_args *args)
{
	char *end;
	long long id;
	struct err e;
	int rc;

	err_init(&e);
	if (args->argc != 2)
		return cmd_error(EXIT_USAGE, "usage: tollgate notify retry ID");
	id = strtoll(args->argv[1], &end, 10);
	if (!*args->argv[1] || *end || id < 1)
		return cmd_error(EXIT_USAGE,
				 "invalid message id '%s'; 'tollgate notify list' shows them",
				 args->argv[1]);
	rc = store_outbox_retry(app->store, id, app->now, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (rc == 1)
		return cmd_error(EXIT_USAGE,
				 "no message %lld to retry (unknown, or sent already); 'tollgate notify list' shows them",
				 id);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(id));
		json_object_set_new(o, "state", json_string("pending"));
		cmd_print_json(o);
	} else {
		printf("message %lld is pending again; 'tollgate notify drain' sends it\n", id);
	}
	return EXIT_OK;
}

static int test_cmd(struct app *app, struct cmd_args *args)
{
	struct notify_answer a;
	struct err e;
	int rc;

	err_init(&e);
	if (args->argc != 2)
		return cmd_error(EXIT_USAGE, "usage: tollgate notify test CHANNEL");
	rc = notify_test(app->store, app->plan, args->argv[1], app->now, app->as, &a, &e);
	if (rc < 0 && e.code == ERR_USAGE)
		return cmd_err(&e);
	util_scrub(a.body, false);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "channel", encode_string(args->argv[1]));
		json_object_set_new(o, "delivered", json_boolean(rc == 0));
		json_object_set_new(o, "status", a.status ? json_integer(a.status) : json_null());
		json_object_set_new(o, "answer", encode_string(a.body));
		json_object_set_new(o, "error", rc < 0 ? encode_string(e.msg) : json_null());
		cmd_print_json(o);
	} else if (rc == 0) {
		printf("channel '%s' answered %ld%s%s\n", args->argv[1], a.status, a.body[0] ? ": " : "",
		       a.body);
	}
	if (rc < 0) {
		if (!app->json)
			cmd_err(&e);
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

static int notify_exec(struct app *app, struct cmd_args *args)
{
	static const char *const subs[] = { "drain", "list", "retry", "test" };
	const char *sub = args->argv[0], *s;

	if (!strcmp(sub, "drain"))
		return drain_cmd(app, args);
	if (!strcmp(sub, "list"))
		return list_cmd(app, args);
	if (!strcmp(sub, "retry"))
		return retry_cmd(app, args);
	if (!strcmp(sub, "test"))
		return test_cmd(app, args);
	s = util_suggest(sub, subs, ARRAY_SIZE(subs));
	if (s)
		return cmd_error(EXIT_USAGE, "unknown notify subcommand '%s'; did you mean '%s'?", sub,
				 s);
	return cmd_error(EXIT_USAGE,
			 "unknown notify subcommand '%s'; use 'drain', 'list', 'retry' or 'test'", sub);
}

/* `notify list` and `notify test` write nothing */
static bool notify_reads_only(const struct cmd_args *args)
{
	return args->argc >= 1 && (!strcmp(args->argv[0], "list") || !strcmp(args->argv[0], "test"));
}

static const struct cmd_opt notify_opts[] = {
	{ "failed", 0, false, false, "list: only the dead messages (sending gave up)" },
	{ "lease", 0, true, false,
	  "drain: how long a claim lasts, e.g. 30s (default 2m): a deliverer killed mid-send "
	  "leaves its messages to the next one after this" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_notify_entry = {
	.name = "notify",
	.usage = "drain [--lease D] | list [--failed] | retry ID | test CHANNEL",
	.summary = "sends, lists or retries the notifications of the outbox",
	.help = "Every audit entry that a route of the plan's 'notify' takes leaves a message\n"
		"per channel in the store's outbox, in the same transaction. drain sends what\n"
		"is due, then exits (run it from cron or CI); a failed send is retried with\n"
		"backoff, and after notify_policy.max_attempts the message is dead. list\n"
		"shows the messages (--failed: the dead ones); retry makes one pending again\n"
		"(same delivery id); test sends a test message to CHANNEL and prints the\n"
		"receiver's answer. More in notify.md\n"
		"of the documentation (share/doc/tollgate).\n",
	.examples = "tollgate notify drain\n"
		    "tollgate notify list --failed\n"
		    "tollgate notify test team-chat\n",
	.opts = notify_opts,
	.min_args = 1,
	.max_args = 2,
	.needs = NEEDS_STORE,
	.exec = notify_exec,
	.reads_only = notify_reads_only,
};
