/*
 * store-coord.c - the coordination records: leases (one runner per project
 * and environment, SPEC §2/§7) and step runs (what ran, for how long, where
 * its log is). They are written inside the open change when there is one,
 * otherwise in their own write transaction, and make no audit entry.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

/* ---- leases --------------------------------------------------------------- */

void store_lease_from_row(struct store_lease *l, const struct store_row *r)
{
	memset(l, 0, sizeof(*l));
	if (!row_null(r, 2))
		snprintf(l->host, sizeof(l->host), "%.*s", (int)r->v[2].len, r->v[2].s);
	l->pid = (long)row_int(r, 3);
	l->pgid = (long)row_int(r, 4);
	if (!row_null(r, 5))
		snprintf(l->run_id, sizeof(l->run_id), "%.*s", (int)r->v[5].len, r->v[5].s);
	l->acquired = row_int(r, 6);
	l->expires = row_int(r, 7);
}

struct lease_get_ctx {
	struct store_lease *l;
	bool found;
};

static int lease_row(void *ctx, const struct store_row *r)
{
	struct lease_get_ctx *c = ctx;
	store_lease_from_row(c->l, r);
	c->found = true;
	return 0;
}

static int lease_read(struct store *s, const char *project, const char *env,
		      struct store_lease *out, struct err *e)
{
	struct store_val p[] = { sv_text(project), sv_text(env) };
	struct lease_get_ctx c = { out, false };
	if (store_q(s, sql_lease_get, p, 2, lease_row, &c, e) < 0)
		return -1;
	return c.found ? 1 : 0;
}

int store_lease_get(struct store *s, const char *project, const char *env, struct store_lease *out,
		    struct err *e)
{
	return lease_read(s, project, env, out, e);
}

struct acquire_ctx {
	const char *project, *env;
	const struct store_lease *mine;
	int64_t now;
	struct store_lease *prev;
	bool *had_expired;
};

static int acquire_fn(struct store *s, void *ctx, struct err *e)
{
	struct acquire_ctx *c = ctx;
	struct store_lease cur;
	int found = lease_read(s, c->project, c->env, &cur, e);
	if (found < 0)
		return -1;
	if (found && strcmp(cur.run_id, c->mine->run_id) && cur.expires > c->now) {
		if (c->prev)
			*c->prev = cur;
		return STORE_LEASE_BUSY;
	}
	if (found && strcmp(cur.run_id, c->mine->run_id)) {
		if (c->prev)
			*c->prev = cur;
		if (c->had_expired)
			*c->had_expired = true;
	}
	{
		struct store_val p[] = {
			sv_text(c->project), sv_text(c->env), sv_text(c->mine->host),
			sv_int(c->mine->pid), sv_int(c->mine->pgid), sv_text(c->mine->run_id),
			sv_int(c->now), sv_int(c->mine->expires),
		};
		if (store_q(s, sql_lease_put, p, 8, NULL, NULL, e) < 0)
			return -1;
	}
	return STORE_LEASE_OK;
}

int store_lease_acquire(struct store *s, const char *project, const char *env,
			const struct store_lease *mine, int64_t now, struct store_lease *prev,
			bool *had_expired, struct err *e)
{
	struct acquire_ctx c = { project, env, mine, now, prev, had_expired };
	if (had_expired)
		*had_expired = false;
	if (store_check_id("project", project, e) < 0 || store_check_id("environment", env, e) < 0)
		return -1;
	if (!mine->run_id[0])
		return err_set(e, ERR_USAGE, "a lease needs a run id");
	return store_in_write(s, acquire_fn, &c, e);
}

struct renew_ctx {
	const char *project, *env, *run_id;
	int64_t expires;
	long pgid;
};

static int renew_fn(struct store *s, void *ctx, struct err *e)
{
	struct renew_ctx *c = ctx;
	struct store_val p[] = { sv_int(c->expires), c->pgid > 0 ? sv_int(c->pgid) : sv_null(),
				 sv_text(c->project), sv_text(c->env), sv_text(c->run_id) };
	int64_t n = store_q(s, sql_lease_renew, p, 5, NULL, NULL, e);
	if (n < 0)
		return -1;
	return n > 0 ? 0 : 1;
}

int store_lease_renew(struct store *s, const char *project, const char *env, const char *run_id,
		      int64_t expires, long pgid, struct err *e)
{
	struct renew_ctx c = { project, env, run_id, expires, pgid };
	return store_in_write(s, renew_fn, &c, e);
}

static int release_fn(struct store *s, void *ctx, struct err *e)
{
	struct renew_ctx *c = ctx;
	struct store_val p[] = { sv_text(c->project), sv_text(c->env), sv_text(c->run_id) };
	return store_q(s, sql_lease_del, p, 3, NULL, NULL, e) < 0 ? -1 : 0;
}

int store_lease_release(struct store *s, const char *project, const char *env, const char *run_id,
			struct err *e)
{
	struct renew_ctx c = { project, env, run_id, 0, 0 };
	return store_in_write(s, release_fn, &c, e);
}

struct steal_ctx {
	const char *project, *env, *old;
	const struct store_lease *mine;
	int64_t now;
};

static int steal_fn(struct store *s, void *ctx, struct err *e)
{
	struct steal_ctx *c = ctx;
	struct store_val p[] = { sv_text(c->mine->host), sv_int(c->mine->pid),
				 sv_int(c->mine->pgid), sv_text(c->mine->run_id), sv_int(c->now),
				 sv_int(c->mine->expires), sv_text(c->project), sv_text(c->env),
				 sv_text(c->old) };
	int64_t n = store_q(s, sql_lease_cas, p, 9, NULL, NULL, e);
	if (n < 0)
		return -1;
	return n > 0 ? 0 : 1;
}

int store_lease_steal(struct store *s, const char *project, const char *env,
		      const char *old_run_id, const struct store_lease *mine, int64_t now,
		      struct err *e)
{
	struct steal_ctx c = { project, env, old_run_id, mine, now };
	if (!mine->run_id[0] || !old_run_id)
		return err_set(e, ERR_USAGE, "a lease needs a run id");
	return store_in_write(s, steal_fn, &c, e);
}

struct renew_many_ctx {
	const char *const *projects;
	size_t n;
	const char *env, *run_id;
	int64_t expires;
};

static int renew_many_fn(struct store *s, void *ctx, struct err *e)
{
	struct renew_many_ctx *c = ctx;
	int held = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct store_val p[] = { sv_int(c->expires), sv_text(c->projects[i]),
					 sv_text(c->env), sv_text(c->run_id) };
		int64_t k = store_q(s, sql_lease_push, p, 4, NULL, NULL, e);
		if (k < 0)
			return -1;
		held += k > 0;
	}
	return held;
}

int store_lease_renew_many(struct store *s, const char *const *projects, size_t n,
			   const char *env, const char *run_id, int64_t expires, struct err *e)
{
	struct renew_many_ctx c = { projects, n, env, run_id, expires };
	if (!n)
		return 0;
	return store_in_write(s, renew_many_fn, &c, e);
}

/* ---- step runs ------------------------------------------------------------ */

static int step_put_fn(struct store *s, void *ctx, struct err *e)
{
	const struct store_step_run *r = ctx;
	struct store_val p[] = { sv_text(r->run_id), sv_text(r->project), sv_text(r->env),
				 sv_text(r->step), sv_int(r->started), sv_int(r->ended),
				 sv_int(r->exit_status), sv_text(r->log_path),
				 sv_int(r->duration_ms > 0 ? r->duration_ms : 0) };
	return store_q(s, sql_step_put, p, 9, NULL, NULL, e) < 0 ? -1 : 0;
}

int store_put_step_run(struct store *s, const struct store_step_run *r, struct err *e)
{
	if (!r->run_id || !*r->run_id || !r->step || !*r->step)
		return err_set(e, ERR_USAGE, "a step run needs a run id and a step");
	if (store_check_id("project", r->project, e) < 0 || store_check_id("environment", r->env, e) < 0)
		return -1;
	return store_in_write(s, step_put_fn, (void *)r, e);
}

struct started_ctx {
	const struct store_step_run *r;
	long pgid;
	int64_t expires;
};

static int started_fn(struct store *s, void *ctx, struct err *e)
{
	struct started_ctx *c = ctx;
	const struct store_step_run *r = c->r;
	struct store_val p[] = { sv_int(c->expires), sv_int(c->pgid), sv_text(r->project),
				 sv_text(r->env), sv_text(r->run_id) };
	if (step_put_fn(s, (void *)r, e) < 0)
		return -1;
	if (c->pgid > 0 && store_q(s, sql_lease_renew, p, 5, NULL, NULL, e) < 0)
		return -1;
	return 0;
}

int store_step_started(struct store *s, const struct store_step_run *r, long pgid,
		       int64_t lease_expires, struct err *e)
{
	struct started_ctx c = { r, pgid, lease_expires };
	if (!r->run_id || !*r->run_id || !r->step || !*r->step)
		return err_set(e, ERR_USAGE, "a step run needs a run id and a step");
	if (store_check_id("project", r->project, e) < 0 || store_check_id("environment", r->env, e) < 0)
		return -1;
	return store_in_write(s, started_fn, &c, e);
}

struct steps_ctx {
	struct store_step_runs *l;
	size_t alloc;
};

static int step_row(void *ctx, const struct store_row *r)
{
	struct steps_ctx *c = ctx;
	struct store_step_run *x;
	struct arena *a = &c->l->arena;
	ALLOC_GROW(c->l->v, c->l->n + 1, c->alloc);
	x = &c->l->v[c->l->n++];
	x->run_id = row_dup(r, 0, a);
	x->project = row_dup(r, 1, a);
	x->env = row_dup(r, 2, a);
	x->step = row_dup(r, 3, a);
	x->started = row_int(r, 4);
	x->ended = row_int(r, 5);
	x->exit_status = (int)row_int(r, 6);
	x->log_path = row_dup(r, 7, a);
	x->duration_ms = row_int(r, 8);
	return 0;
}

int store_list_step_runs(struct store *s, const char *project, const char *env, const char *step,
			 size_t limit, struct store_step_runs *out, struct err *e)
{
	struct store_val p[] = { sv_text(project), sv_text(project), sv_text(env), sv_text(env),
				 sv_text(step), sv_text(step),
				 sv_int(limit ? (int64_t)limit : INT64_MAX) };
	struct steps_ctx c = { out, 0 };
	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	if (store_q(s, sql_step_list, p, 7, step_row, &c, e) < 0) {
		store_step_runs_release(out);
		return -1;
	}
	return 0;
}

int store_list_run_steps(struct store *s, const char *run_id, struct store_step_runs *out,
			 struct err *e)
{
	struct store_val p[] = { sv_text(run_id) };
	struct steps_ctx c = { out, 0 };
	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	if (store_q(s, sql_step_of_run, p, 1, step_row, &c, e) < 0) {
		store_step_runs_release(out);
		return -1;
	}
	return 0;
}

void store_step_runs_release(struct store_step_runs *l)
{
	free(l->v);
	arena_release(&l->arena);
	memset(l, 0, sizeof(*l));
}


struct durations_ctx {
	struct store_step_durations *l;
	size_t alloc;
};

static int duration_row(void *ctx, const struct store_row *r)
{
	struct durations_ctx *c = ctx;
	struct store_step_duration *x;
	ALLOC_GROW(c->l->v, c->l->n + 1, c->alloc);
	x = &c->l->v[c->l->n++];
	x->project = row_dup(r, 0, &c->l->arena);
	x->ms = row_int(r, 1);
	return 0;
}

int store_step_durations(struct store *s, struct store_step_durations *out, struct err *e)
{
	struct durations_ctx c = { out, 0 };
	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	if (store_q(s, sql_step_durations, NULL, 0, duration_row, &c, e) < 0) {
		store_step_durations_release(out);
		return -1;
	}
	return 0;
}

void store_step_durations_release(struct store_step_durations *l)
{
	free(l->v);
	arena_release(&l->arena);
	memset(l, 0, sizeof(*l));
}
