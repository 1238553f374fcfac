/*
 * soak-tick.c - the server's background soak work: on each tick, the one
 * server holding the store's background lease runs a soak pass (soak.c)
 * in which each trigger is measured on its own interval (`every`); when a
 * trigger was last measured on a pair is kept in the store's coordination
 * values, so the interval holds across restarts and across servers taking
 * the lease over.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/promote.h"
#include "plan/plan.h"
#include "store/store.h"

struct tick_ctx {
	const struct plan *p;
	struct store *s;
	int64_t now;
	size_t measured;
	bool failed; /* a coordination write failed: reported after the pass */
	struct err err;
};

static char *measured_key(const struct plan *p, size_t t, int project, int env)
{
	return xasprintf("measured/%s/%s/%s", p->triggers[t].id, p->projects[project].id,
			 p->envs[env].name);
}

static bool tick_due(void *ctx, size_t t, int project, int env)
{
	struct tick_ctx *c = ctx;
	char *key = measured_key(c->p, t, project, env), *v = NULL;
	struct err e;
	bool due = true;
	err_init(&e);
	if (store_coord_get(c->s, key, &v, &e) > 0) {
		char *end;
		long long last = strtoll(v, &end, 10);
		/* a value that is not a time (written by hand) is no reason to wait */
		if (end != v && !*end && last <= c->now)
			due = c->now - last >= c->p->triggers[t].every;
	}
	free(v);
	free(key);
	return due;
}

static void tick_measured(void *ctx, size_t t, int project, int env)
{
	struct tick_ctx *c = ctx;
	char *key = measured_key(c->p, t, project, env);
	char val[24];
	struct err e;
	err_init(&e);
	snprintf(val, sizeof(val), "%" PRId64, c->now);
	c->measured++;
	if (store_coord_put(c->s, key, val, &e) < 0 && !c->failed) {
		c->failed = true;
		err_copy(&c->err, &e);
	}
	free(key);
}

int soak_tick(const struct plan *p, struct store *s, int64_t now, const struct soak_tick_opts *o,
	      struct soak_tick_result *r, struct err *e)
{
	struct tick_ctx c = { p, s, now, 0, false, { 0 } };
	struct soak_schedule sched = { tick_due, tick_measured, &c };
	struct soak_opts so = { NULL, o->cancel, o->obs, &sched };
	int64_t ttl = o->ttl > 0 ? o->ttl : SOAK_TICK_TTL_DEFAULT;
	int taken;

	memset(r, 0, sizeof(*r));
	err_init(&c.err);
	taken = store_named_lease(s, SOAK_TICK_LEASE, o->holder, now, now + ttl, &r->holder, e);
	if (taken < 0)
		return -1;
	if (taken == STORE_LEASE_BUSY) {
		r->skipped = true;
		return 0;
	}
	if (soak_run(p, s, now, &so, &r->report, e) < 0)
		return -1;
	r->measured = c.measured;
	if (c.failed) {
		/* the pass ran; only its clock of measures was not kept */
		err_setr(e, ERR_FAILED, c.err.reason,
			 "the soak pass ran, but the store could not keep when its triggers were "
			 "measured: %s",
			 c.err.msg);
		return -1;
	}
	return 0;
}

void soak_tick_result_release(struct soak_tick_result *r)
{
	soak_report_release(&r->report);
	free(r->holder);
	memset(r, 0, sizeof(*r));
}

int soak_tick_release(struct store *s, const char *holder, struct err *e)
{
	return store_named_lease_release(s, SOAK_TICK_LEASE, holder, e);
}
