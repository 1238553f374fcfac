/*
 * cmd-forget.c - `tollgate forget KIND ID --reason TEXT`, and what every
 * command that opens the store does first about state for ids the plan no
 * longer has (engine/orphans.h): carry it over along the plan's `moved`,
 * warn about the rest, and refuse to change state until it is moved or
 * forgotten.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/orphans.h"
#include "plan/plan.h"
#include "store/store.h"

/* Warnings name at most this many ids; a summary line covers the rest. */
#define MAX_NAMED 10

/* The warning about o (owned by the caller). */
static char *orphan_text(const struct orphan *o)
{
	const char *kind = plan_kind_name(o->kind), *key = plan_kind_key(o->kind);
	if (o->moved && o->clash)
		return xasprintf("the store holds state for %s '%s', which the plan moves to '%s', "
				 "but '%s' holds state too, so none was carried over; keep one: "
				 "'tollgate forget %s %s --reason …' drops the old state",
				 kind, o->id, o->moved->to, o->moved->to, key, o->id);
	if (o->moved) /* not carried over: this command may only read */
		return xasprintf("the store holds state for %s '%s', which the plan moves to '%s'; "
				 "shown as it is, under '%s'",
				 kind, o->id, o->moved->to, o->id);
	if (o->suggest)
		return xasprintf("the store holds state for %s '%s', which the plan no longer has "
				 "(did you mean '%s'? add 'moved: [{%s: %s, to: %s}]' to the plan, "
				 "or 'tollgate forget %s %s --reason …')",
				 kind, o->id, o->suggest, key, o->id, o->suggest, key, o->id);
	return xasprintf("the store holds state for %s '%s', which the plan no longer has (add "
			 "'moved: [{%s: %s, to: NEW-ID}]' to the plan, or 'tollgate forget %s %s "
			 "--reason …')",
			 kind, o->id, key, o->id, key, o->id);
}

static void warn_orphan(const struct orphan *o)
{
	char *text = orphan_text(o);
	cmd_warn("%s", text);
	free(text);
}

size_t cmd_orphan_warnings(struct app *app, char ***out)
{
	struct orphans o;
	size_t n = 0, alloc = 0;
	struct err e;

	*out = NULL;
	err_init(&e);
	if (orphans_find(&o, app->plan, app->store, &e) < 0) {
		ALLOC_GROW(*out, 1, alloc);
		(*out)[n++] = xasprintf("cannot look in the store '%s' for state the plan no longer "
					"has: %s",
					store_display_url(app->store), e.msg);
		return n;
	}
	for (size_t i = 0; i < o.n; i++) {
		/* a moved id is carried over by the next command that opens the store */
		if (o.v[i].moved && !o.v[i].clash)
			continue;
		ALLOC_GROW(*out, n + 1, alloc);
		(*out)[n++] = orphan_text(&o.v[i]);
	}
	orphans_release(&o);
	return n;
}

/* The folder of the clean mark: the plan's .tollgate (made by the store or
 * the plan cache; NULL when it is not a real folder of ours). */
static const char *mark_dir(struct app *app)
{
	static char dir[4096];
	struct stat st;
	const char *pd = app->plan->dir ? app->plan->dir : ".";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/.tollgate", pd) >= sizeof(dir) ||
	    lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return NULL;
	return dir;
}

int cmd_check_orphans(struct app *app, const char *changing)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	struct orphans o;
	struct strbuf names = STRBUF_INIT;
	const char *dir = NULL;
	char *mark = NULL;
	size_t left = 0, named = 0;
	struct store *writer = NULL;
	bool unmoved = false;
	struct err e;
	int rc = 0;

	err_init(&e);
	/* a read command: nothing written since a scan found none */
	if (!changing) {
		dir = mark_dir(app);
		mark = dir ? orphans_mark(app->plan, app->store) : NULL;
		if (orphans_mark_holds(app->plan, dir, mark)) {
			free(mark);
			return 0;
		}
	}
	if (orphans_find(&o, app->plan, app->store, &e) < 0) {
		free(mark);
		return cmd_err(&e);
	}
	if (!o.n)
		orphans_mark_write(app->plan, dir, mark);
	free(mark);
	if (o.nmoved && store_read_only(app->store)) {
		/* a command that only reads has the store open read only: the
		 * move is written through a writer of its own, when this user
		 * may write the store; when not, the state stays under the old
		 * ids, warned about, until someone who may runs a command */
		if (store_open_writer(app->store, &writer, &e) < 0)
			unmoved = true;
		else
			c.store = writer;
	}
	if (o.nmoved && !unmoved) {
		size_t n = 0;
		if (orphans_move(&c, &o, &n, &e) < 0) {
			if (changing) {
				rc = cmd_err(&e);
				goto out;
			}
			unmoved = true;
		}
		for (size_t i = 0; n && i < o.n; i++)
			if (o.v[i].moved && !o.v[i].clash)
				fprintf(stderr, "tollgate: the state of %s '%s' now belongs to '%s' (the "
						"plan's 'moved'; see 'tollgate log')\n",
					plan_kind_name(o.v[i].kind), o.v[i].id, o.v[i].moved->to);
	}
	/* a command that only reads goes on without the move, and says why */
	if (unmoved)
		cmd_warn("the plan's 'moved' is not carried over: %s; any tollgate command run by "
			 "someone who may write the store carries it over",
			 err_is(&e, REASON_FORBIDDEN) ? "you may only read the store" : e.msg);
	for (size_t i = 0; i < o.n; i++) {
		const struct orphan *x = &o.v[i];
		if (x->moved && !x->clash && !unmoved)
			continue;
		if (left++ < MAX_NAMED) {
			warn_orphan(x);
			if (named++ < 3)
				strbuf_addf(&names, "%s%s '%s'", names.len ? ", " : "",
					    plan_kind_name(x->kind), x->id);
		}
	}
	if (left > MAX_NAMED)
		cmd_warn("… and %zu more ids the plan no longer has", left - MAX_NAMED);
	if (left && changing)
		rc = cmd_error(EXIT_USAGE,
			       "'%s' changes the state, but the store holds state for %zu id%s the "
			       "plan no longer has (%s%s); add %s to the plan's 'moved' or drop %s "
			       "with 'tollgate forget', then run it again",
			       changing, left, left == 1 ? "" : "s", names.buf, left > 3 ? ", …" : "",
			       left == 1 ? "it" : "them", left == 1 ? "it" : "them");
out:
	store_close(writer);
	strbuf_release(&names);
	orphans_release(&o);
	return rc;
}

static int forget_exec(struct app *app, struct cmd_args *args)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	const char *key = args->argv[0], *id = args->argv[1];
	enum plan_kind kind;
	int64_t rows = 0;
	struct err e;

	err_init(&e);
	if (plan_kind_parse(key, &kind) < 0)
		return cmd_error(EXIT_USAGE,
				 "unknown kind '%s'; use project, env, gate, item or blocker", key);
	if (action_forget(&c, kind, id, cmd_opt(args, "reason"), &rows, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "kind", json_string(plan_kind_key(kind)));
		json_object_set_new(o, "id", encode_string(id));
		json_object_set_new(o, "forgotten", json_boolean(rows > 0));
		json_object_set_new(o, "rows", json_integer(rows));
		cmd_print_json(o);
	} else if (!rows) {
		printf("%s '%s' is already forgotten: the store holds no state for it\n",
		       plan_kind_name(kind), id);
	} else {
		printf("forgot %s '%s': %" PRId64 " row%s of state dropped\n", plan_kind_name(kind), id,
		       rows, rows == 1 ? "" : "s");
	}
	return EXIT_OK;
}

static const struct cmd_opt forget_opts[] = {
	{ "reason", 0, true, false, "why it is dropped (required; kept in the audit log)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_forget_entry = {
	.name = "forget",
	.usage = "project|env|gate|item|blocker ID --reason TEXT",
	.summary = "drops the state of an id the plan no longer has",
	.help = "When the plan loses an id that the store holds state for (a project, an\n"
		"environment, a gate's approvals, an item's tick, a blocker's progress),\n"
		"every command warns and the commands that change state refuse. When the id\n"
		"was renamed, say so in the plan's 'moved' and the state is carried over;\n"
		"otherwise forget drops it, as the acting person, in one audited change.\n"
		"A project's or environment's incidents stay. Forgetting an id the store\n"
		"holds nothing for changes nothing (exit 0).\n",
	.examples = "tollgate forget item old-smoke-test --reason 'dropped from the plan'\n",
	.opts = forget_opts,
	.min_args = 2,
	.max_args = 2,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = forget_exec,
};
