/*
 * actions-check.c - `checklist run`: run the `check` command of checklist
 * items (SPEC §6: /bin/sh -c in the plan's folder, own process group, a
 * timeout, values only through the environment) and record each outcome as
 * evidence — exit status, output tail, when, who — in its own change, so a
 * long run loses nothing already proven when it is interrupted.
 */
#include "engine/actions.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/identity.h"
#include "engine/promote-internal.h"
#include "exec/exec.h"
#include "plan/plan.h"
#include "store/store.h"

void check_outcomes_release(struct check_outcomes *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].tail);
	free(o->v);
	memset(o, 0, sizeof(*o));
}

/* <log dir>/checks, created; NULL when it cannot be (the run goes on unlogged). */
static char *checks_dir(struct store *s)
{
	const char *base = store_log_dir(s);
	char *dir;
	if (!base)
		return NULL;
	dir = xasprintf("%s/checks", base);
	if (util_mkdir_own(dir, 0700) < 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void run_one(const struct action_ctx *c, int item, const char *logdir,
		    struct check_outcome *o)
{
	const struct plan *p = c->plan;
	const struct plan_item *it = &p->items[item];
	struct exec_task t = { 0 };
	struct exec_result r;
	struct err e;
	struct penv pe;
	char run_id[64];
	char *log = NULL;
	const char **unset = promote_env_unset_for(p);

	err_init(&e);
	snprintf(run_id, sizeof(run_id), "check-%lld-%ld", (long long)c->now, (long)getpid());
	penv_init(&pe);
	penv_add(&pe, "TOLLGATE_PLAN_ID", p->id);
	penv_add(&pe, "TOLLGATE_ITEM", it->id);
	penv_add(&pe, "TOLLGATE_RUN_ID", run_id);
	if (logdir) {
		log = xasprintf("%s/%s.log", logdir, it->id);
		unlink(log); /* the latest run only: bounded */
	}
	t.cmd = it->check;
	t.cwd = p->dir;
	t.env = pe.v;
	t.unset = unset;
	t.timeout_ms = promote_timeout_ms(it->timeout);
	t.log_path = log;

	o->item = item;
	if (exec_run_one(&t, &r, &e) < 0 && !r.pid) {
		o->ran = false;
		o->ok = false;
		o->exit_status = -1;
		snprintf(o->how, sizeof(o->how), "could not start: %.140s",
			 r.spawn_error[0] ? r.spawn_error : e.msg);
		o->tail = xstrdup("");
	} else {
		o->ran = true;
		o->ok = exec_result_ok(&r);
		o->exit_status = r.exit_code;
		exec_result_describe(&r, &t, o->how, sizeof(o->how));
		o->tail = xstrdup(r.tail ? r.tail : "");
		o->seconds = exec_result_ms(&r) / 1000;
	}
	exec_result_release(&r);
	penv_release(&pe);
	free(unset);
	free(log);
}

static int record(const struct action_ctx *c, const struct check_outcome *o, struct err *e)
{
	const struct plan *p = c->plan;
	struct store_tick t = { 0 };
	const char *by = c->actor ? c->actor : "check";

	t.item = p->items[o->item].id;
	t.done = o->ok;
	t.by = by;
	t.note = o->how;
	t.source = TICK_CHECK;
	t.exit_status = o->exit_status;
	t.output_tail = o->tail;
	if (store_begin_change(c->store, c->now, by, "checklist.run", t.item, NULL, e) < 0)
		return -1;
	store_change_detail(c->store, "%s: %s", o->ok ? "passed" : "failed", o->how);
	if (store_set_tick(c->store, &t, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	return store_commit_change(c->store, NULL, e);
}

int action_checklist_run(const struct action_ctx *c, const char *const *items, size_t n,
			 struct check_outcomes *out, struct err *e)
{
	const struct plan *p = c->plan;
	int *which = xcalloc(p->nitems + n + 1, sizeof(int));
	size_t count = 0;
	char *logdir = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* nobody may run the checks (the evidence is theirs), but whoever is
	 * named must be able to act: not a placeholder */
	if (c->actor && identity_actor(p, c->actor, "checklist run", e) < 0)
		goto out;
	if (n) {
		for (size_t i = 0; i < n; i++) {
			int it = action_find_item(p, items[i], e);
			if (it < 0)
				goto out;
			if (!p->items[it].check) {
				err_set(e, ERR_USAGE,
					"checklist item '%s' has no 'check' command; tick it with "
					"'tollgate check %s'",
					p->items[it].id, p->items[it].id);
				goto out;
			}
			which[count++] = it;
		}
	} else {
		for (size_t i = 0; i < p->nitems; i++)
			if (p->items[i].check)
				which[count++] = (int)i;
		if (!count) {
			err_set(e, ERR_USAGE, "no checklist item has a 'check' command; nothing to run");
			goto out;
		}
	}
	logdir = checks_dir(c->store);
	out->v = xcalloc(count, sizeof(*out->v));
	for (size_t i = 0; i < count; i++) {
		run_one(c, which[i], logdir, &out->v[i]);
		out->n++;
		if (record(c, &out->v[i], e) < 0)
			goto out;
	}
	rc = 0;
out:
	free(logdir);
	free(which);
	return rc;
}
