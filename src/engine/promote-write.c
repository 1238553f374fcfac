/*
 * promote-write.c - the write path of a promote run, and its group commit.
 *
 * What the runner's callbacks learn (a step ended, a project verified,
 * failed or was rolled back) is queued here and committed at the next
 * scheduler tick: before anything new starts (next_task), on the runner's
 * tick, on a cancel and when the run ends. The changes ready at the same
 * tick go in ONE transaction (store_begin_batch), and the runner gathers
 * the ends of short steps for a moment (PROMOTE_GATHER_US) so that a tick
 * holds several: each is still its own change with its own audit entry,
 * chained in order. Nothing that was
 * durable before is less durable now: an outcome is reported, and a
 * dependent unlocked, only after the change that ends its dependency is
 * committed; starting N projects is one transaction in which each takes its
 * lease and is set deploying before any of their steps runs. After a SIGKILL
 * at any moment a queued change is simply not there: the pair is still
 * deploying or verifying under a dead run's lease and the next run repairs
 * it to `interrupted`, as it would have had the kill come before a
 * one-change commit.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "engine/promote-run.h"
#include "plan/plan.h"

void prun_step_ended(struct prun *r, size_t i, const struct exec_result *res)
{
	struct rp *rp = &r->v[i];
	struct pstep *ps;

	ALLOC_GROW(r->steps, r->nsteps + 1, r->steps_alloc);
	ps = &r->steps[r->nsteps++];
	memset(ps, 0, sizeof(*ps));
	ps->i = i;
	snprintf(ps->step, sizeof(ps->step), "%s", rp->step_name);
	/* logs are created lazily: a step that printed nothing has none */
	ps->log = rp->log && res->log_opened ? xstrdup(rp->log) : NULL;
	ps->started = rp->step_wall_s;
	ps->ended = pclock_now(&r->c.clock);
	ps->exit_status = res->exit_code;
	ps->duration_ms = exec_result_ms(res);
}

void prun_queue_state(struct prun *r, size_t i, enum store_state st, int64_t soak_until,
		      const char *pdetail, const char *audit, bool final,
		      enum promote_outcome outcome, const char *rdetail, const char *skip_why)
{
	struct pwrite *w;

	ALLOC_GROW(r->writes, r->nwrites + 1, r->writes_alloc);
	w = &r->writes[r->nwrites++];
	memset(w, 0, sizeof(*w));
	w->i = i;
	w->st = st;
	w->soak_until = soak_until;
	w->pdetail = pdetail ? xstrdup(pdetail) : NULL;
	w->audit = xstrdup(audit ? audit : "");
	w->final = final;
	w->outcome = outcome;
	w->rdetail = rdetail ? xstrdup(rdetail) : NULL;
	w->skip_why = skip_why ? xstrdup(skip_why) : NULL;
}

static void pwrite_release(struct pwrite *w)
{
	free(w->pdetail);
	free(w->audit);
	free(w->rdetail);
	free(w->skip_why);
}

/* Renew rp's lease, naming the process group of its running step: crash
 * repair kills by it. Nothing when rp holds no lease or runs no step. */
static int renew_lease(struct prun *r, struct rp *rp, struct err *e)
{
	if (!rp->has_lease || !rp->running)
		return 0;
	return store_lease_renew(r->c.store, rp_id(r, rp), r->plan->envs[r->env].name, r->c.run_id,
				 pclock_now(&r->c.clock) + PROMOTE_LEASE_TTL, rp->pgid, e);
}

/* Record the process groups of the steps started since the last commit in
 * their leases (crash repair kills them by it). A step killed with its
 * runner before this ran is still found on this host by its run id. */
static int flush_pgids(struct prun *r, struct err *e)
{
	for (size_t k = 0; k < r->npending; k++) {
		struct rp *rp = &r->v[r->pending[k]];
		if (!rp->pgid_pending)
			continue;
		rp->pgid_pending = false;
		if (renew_lease(r, rp, e) < 0)
			return -1;
	}
	r->npending = 0;
	return 0;
}

/* The step rows from the from'th on. */
static int flush_steps(struct prun *r, size_t from, struct err *e)
{
	for (size_t k = from; k < r->nsteps; k++) {
		const struct pstep *ps = &r->steps[k];
		struct store_step_run sr = { 0 };
		sr.run_id = r->c.run_id;
		sr.project = rp_id(r, &r->v[ps->i]);
		sr.env = r->plan->envs[r->env].name;
		sr.step = ps->step;
		sr.started = ps->started;
		sr.ended = ps->ended;
		sr.exit_status = ps->exit_status;
		sr.duration_ms = ps->duration_ms;
		sr.log_path = ps->log;
		if (store_put_step_run(r->c.store, &sr, e) < 0)
			return -1;
	}
	return 0;
}

/* Write the promotion of rp inside the open change (its action and subject
 * set by the caller), dropping our lease when release is set. On failure
 * the change is aborted. */
static int put_promotion(struct prun *r, struct rp *rp, enum store_state st, int64_t soak_until,
			 const char *pdetail, bool release, struct err *e)
{
	struct store_promotion pr = { 0 };

	pr.project = rp_id(r, rp);
	pr.env = r->plan->envs[r->env].name;
	pr.state = st;
	pr.version = rp->version;
	pr.previous_version = rp->previous;
	pr.run_id = r->c.run_id;
	pr.soak_until = soak_until;
	pr.detail = pdetail;
	if (store_set_promotion(r->c.store, &pr, e) < 0 ||
	    promote_reject_failed(r->c.store, r->plan, rp->project, r->env, st, rp->version, pdetail,
				  r->c.actor, e) < 0 ||
	    (release && store_lease_release(r->c.store, pr.project, pr.env, r->c.run_id, e) < 0)) {
		store_abort_change(r->c.store);
		return -1;
	}
	return 0;
}

/* One queued state change: its own change (and audit entry) in the batch. */
static int write_one(struct prun *r, const struct pwrite *w, struct err *e)
{
	struct rp *rp = &r->v[w->i];
	char action[64], subject[300];

	snprintf(action, sizeof(action), "promotion.%s", store_state_name(w->st));
	snprintf(subject, sizeof(subject), "%s@%s", rp_id(r, rp), r->plan->envs[r->env].name);
	if (store_begin_change(r->c.store, pclock_now(&r->c.clock), r->c.actor, action, subject,
			       w->audit, e) < 0)
		return -1;
	if (put_promotion(r, rp, w->st, w->soak_until, w->pdetail, w->final, e) < 0)
		return -1;
	return store_commit_change(r->c.store, NULL, e);
}

/* What follows a committed (ok) or lost (!ok) state change. A success has
 * unlocked its dependents already (tick_write): they start in the same
 * transaction at the earliest, so never before it is committed. A lost
 * change means the store failed: the run stops (prun_store_fail), and the
 * outcome reported is what the store still holds (prun_strand), never the
 * one that could not be written. A lost change that is not final leaves
 * its project waiting for its next step, which never comes (next_task). */
static void after_write(struct prun *r, const struct pwrite *w, bool ok)
{
	struct rp *rp = &r->v[w->i];
	bool success = w->outcome == PROMOTE_SOAKING || w->outcome == PROMOTE_HEALTHY;

	if (ok)
		rp->stored = w->st;
	if (!w->final)
		return;
	if (!ok) {
		char *what;
		if (success)
			what = xasprintf("%s ended; '%s' could not be written", rp->step_name,
					 store_state_name(w->st));
		else
			what = xasprintf("%s; '%s' could not be written",
					 w->pdetail ? w->pdetail : promote_outcome_name(w->outcome),
					 store_state_name(w->st));
		prun_strand(r, rp, what);
		free(what);
		return;
	}
	rp->has_lease = false;
	if (success) {
		prun_result(r, rp, w->outcome, NULL);
	} else {
		prun_result(r, rp, w->outcome, w->rdetail ? w->rdetail : w->pdetail);
		prun_skip_dependents(r, rp, w->skip_why);
	}
}

/* A success written in the open tick unlocks its dependents (once): they
 * start in the same transaction at the earliest. */
static void unlock_after(struct prun *r, struct pwrite *w)
{
	if (w->unlocked || !w->final ||
	    (w->outcome != PROMOTE_SOAKING && w->outcome != PROMOTE_HEALTHY))
		return;
	w->unlocked = true;
	prun_unlock_dependents(r, &r->v[w->i]);
}

/* The store failed before this tick: what is queued is not written. */
static void drop_queued(struct prun *r)
{
	r->npending = 0;
	for (size_t k = 0; k < r->nsteps; k++)
		free(r->steps[k].log);
	r->nsteps = 0;
	for (size_t k = 0; k < r->nwrites; k++) {
		after_write(r, &r->writes[k], false);
		pwrite_release(&r->writes[k]);
	}
	r->nwrites = 0;
}

/* Open the tick's transaction if it is not, and write what is queued into
 * it; the queued state changes move to r->inflight until tick_end. */
static void tick_write(struct prun *r)
{
	bool have = r->npending || r->nsteps || r->nwrites;

	if (!have && !r->tick_open)
		return;
	if (r->store_failed && !r->tick_open) {
		drop_queued(r);
		return;
	}
	if (!r->tick_open) {
		r->tick_open = true;
		r->tick_ok = store_begin_batch(r->c.store, &r->tick_err) == 0;
	}
	if (r->tick_ok &&
	    (flush_pgids(r, &r->tick_err) < 0 || flush_steps(r, r->steps_written, &r->tick_err) < 0))
		r->tick_ok = false;
	r->npending = 0;
	r->steps_written = r->nsteps; /* kept until tick_end: it may write them again */
	for (size_t k = 0; k < r->nwrites; k++) {
		struct pwrite *w = &r->writes[k];
		if (r->tick_ok && write_one(r, w, &r->tick_err) < 0)
			r->tick_ok = false;
		if (r->tick_ok)
			unlock_after(r, w);
		ALLOC_GROW(r->inflight, r->ninflight + 1, r->inflight_alloc);
		r->inflight[r->ninflight++] = *w;
	}
	r->nwrites = 0;
}

static int start_one(struct prun *r, size_t i, struct arena *a, struct err *e);

/* Renew the lease of every project of ours that runs a step, with its
 * process group: what flush_pgids wrote, and more (harmless). */
static int renew_running(struct prun *r, struct err *e)
{
	for (size_t i = 0; i < r->n; i++)
		if (renew_lease(r, &r->v[i], e) < 0)
			return -1;
	return 0;
}

/*
 * The tick's transaction failed. When it was because the store's session
 * was lost (a server restart, a failover, a proxy cutting an idle
 * connection) and nothing of it was written (store_batch_lost), write it
 * again, once, on the new session: the leases' process groups, the step
 * rows, the state changes (their dependents were unlocked by the first
 * writing; they only start in this same transaction) and the starts. An
 * entry is chained to the head the new transaction reads, so the log stays
 * whole. true when that committed.
 */
static bool tick_again(struct prun *r)
{
	struct err *e = &r->tick_err;
	char why[sizeof(e->msg)];
	struct arena a;

	if (!store_batch_lost(r->c.store))
		return false;
	snprintf(why, sizeof(why), "%s", e->msg);
	err_init(e);
	if (store_begin_batch(r->c.store, e) < 0)
		return false;
	if (renew_running(r, e) < 0 || flush_steps(r, 0, e) < 0)
		goto fail;
	for (size_t k = 0; k < r->ninflight; k++) {
		if (write_one(r, &r->inflight[k], e) < 0)
			goto fail;
		unlock_after(r, &r->inflight[k]);
	}
	arena_init(&a);
	for (size_t k = 0; k < r->nstarting; k++) {
		struct rp *rp = &r->v[r->starting[k]];
		int rc;
		if (rp->st != RP_ACTIVE || rp->has_lease)
			continue;
		rp->st = RP_QUEUED; /* what start_one finds a project to start in */
		rc = start_one(r, r->starting[k], &a, e);
		if (rc != 0)
			rp->st = RP_ACTIVE; /* started, or left to tick_end's failure */
		if (rc < 0) {
			arena_release(&a);
			goto fail;
		}
	}
	arena_release(&a);
	if (store_commit_batch(r->c.store, e) < 0)
		return false;
	if (r->o->obs && r->o->obs->note) {
		char *note = xasprintf("the store's session was lost (%s); connected again and "
				       "wrote what had not been written",
				       why);
		r->o->obs->note(r->o->obs->ctx, NULL, note);
		free(note);
	}
	return true;
fail:
	store_abort_batch(r->c.store);
	return false;
}

/* Commit the tick's transaction, then report what it held. */
static void tick_end(struct prun *r)
{
	size_t n = r->ninflight;

	if (!r->tick_open)
		return;
	r->tick_open = false;
	if (r->tick_ok && store_commit_batch(r->c.store, &r->tick_err) < 0)
		r->tick_ok = false;
	if (!r->tick_ok) {
		store_abort_batch(r->c.store);
		r->tick_ok = tick_again(r);
		if (!r->tick_ok)
			prun_store_fail(r, &r->tick_err);
	}
	for (size_t k = 0; k < r->nsteps; k++)
		free(r->steps[k].log);
	r->nsteps = 0;
	r->steps_written = 0;
	for (size_t k = 0; k < r->nstarting; k++) {
		struct rp *rp = &r->v[r->starting[k]];
		if (r->tick_ok && rp->st == RP_ACTIVE && !rp->has_lease) {
			rp->has_lease = true;
			rp->stored = STATE_DEPLOYING;
			continue;
		}
		if (rp->st == RP_ACTIVE) {
			rp->st = RP_QUEUED;
			prun_skip(r, rp, "not started: the store failed");
		}
	}
	r->nstarting = 0;
	r->ninflight = 0;
	for (size_t k = 0; k < n; k++) {
		after_write(r, &r->inflight[k], r->tick_ok);
		pwrite_release(&r->inflight[k]);
	}
	err_init(&r->tick_err);
}

void prun_flush(struct prun *r)
{
	tick_write(r);
	tick_end(r);
}

void prun_tick_begin(struct prun *r)
{
	tick_write(r);
}

void prun_tick_end(struct prun *r)
{
	tick_write(r);
	tick_end(r);
}

/* ---- starting projects ------------------------------------------------------ */

/* Take rp's lease and set it deploying: one change inside the open batch.
 * 1 started, 0 not (its outcome reported: busy, or already promoted). */
static int start_one(struct prun *r, size_t i, struct arena *a, struct err *e)
{
	struct rp *rp = &r->v[i];
	const char *env_s = r->plan->envs[r->env].name;
	struct store_promotion cur;
	struct strbuf d = STRBUF_INIT;
	char why[512];
	int taken;

	taken = promote_lease_take(&r->c, rp->project, r->env, "promotion.deploying", &cur, a, why,
				   sizeof(why), &r->rep->nrepaired, e);
	if (taken < 0)
		return -1;
	if (taken == LEASE_BUSY) {
		prun_skip(r, rp, why);
		return 0;
	}
	if (cur.version && !strcmp(cur.version, rp->version) &&
	    (cur.state == STATE_SOAKING || cur.state == STATE_HEALTHY)) {
		/* another run promoted it since our snapshot */
		snprintf(why, sizeof(why), "version %s is already %s in %s (run %s)", rp->version,
			 store_state_name(cur.state), env_s, cur.run_id ? cur.run_id : "?");
		store_abort_change(r->c.store);
		prun_result(r, rp, PROMOTE_SKIPPED, why);
		prun_unlock_dependents(r, rp);
		return 0;
	}
	free(rp->previous);
	{
		const char *live = promote_live_version(cur.state, cur.version, cur.previous_version);
		rp->previous = live ? xstrdup(live) : NULL;
	}
	if (put_promotion(r, rp, STATE_DEPLOYING, 0, NULL, false, e) < 0)
		return -1;
	strbuf_addf(&d, "version %s", rp->version);
	if (rp->previous)
		strbuf_addf(&d, " (was %s)", rp->previous);
	if (cur.state == STATE_INTERRUPTED)
		strbuf_addstr(&d, "; retry of an interrupted promotion");
	if (r->o->retry_held && cur.state == STATE_ROLLED_BACK)
		strbuf_addf(&d, "; retry of a held project allowed by %s", r->c.actor);
	strbuf_addf(&d, " (run %s, host %s, pid %ld)", r->c.run_id, r->c.host, r->c.pid);
	store_change_detail(r->c.store, "%s", d.buf);
	strbuf_release(&d);
	if (store_commit_change(r->c.store, NULL, e) < 0)
		return -1;
	return 1;
}

bool prun_tick_start(struct prun *r, size_t i)
{
	struct arena a;
	int rc;

	if (!r->tick_open) {
		r->tick_open = true;
		r->tick_ok = store_begin_batch(r->c.store, &r->tick_err) == 0;
	}
	if (r->tick_ok) {
		arena_init(&a);
		rc = start_one(r, i, &a, &r->tick_err);
		arena_release(&a);
		if (rc < 0)
			r->tick_ok = false;
		if (rc == 0)
			return false;
	}
	/* active from now; its lease is ours once the tick commits. (The tick
	 * failed: tick_end starts it when it writes the tick again, or skips
	 * it, "not started: the store failed".) */
	r->v[i].st = RP_ACTIVE;
	r->v[i].has_lease = false;
	ALLOC_GROW(r->starting, r->nstarting + 1, r->starting_alloc);
	r->starting[r->nstarting++] = i;
	return true;
}

/* ---- the end of a run ---------------------------------------------------------- */

void prun_settle(struct prun *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct rp *rp = &r->v[i];
		if (rp->st == RP_DONE)
			continue;
		if (rp->st != RP_ACTIVE) {
			prun_result(r, rp, PROMOTE_SKIPPED,
				    r->rep->cancelled ? "not started: cancelled" : "not started");
			continue;
		}
		if (r->store_failed) {
			/* nothing is written: the next run repairs it */
			prun_strand_next(r, i);
			continue;
		}
		{
			const char *why = r->rep->cancelled
						  ? "cancelled while running; promote again to retry"
						  : "stopped; promote again to retry";
			char *audit = xasprintf("version %s%s%s: %s (run %s)", rp->version,
						rp->previous ? ", previous " : "",
						rp->previous ? rp->previous : "", why, r->c.run_id);
			prun_queue_state(r, i, STATE_INTERRUPTED, 0, why, audit, true, PROMOTE_INTERRUPTED,
					 r->rep->cancelled ? "interrupted: cancelled while running"
							   : "interrupted: stopped while running",
					 NULL);
			free(audit);
		}
	}
	prun_flush(r);
}

void prun_renew(struct prun *r, int64_t now_ms)
{
	const char **names;
	size_t m = 0;
	struct err e;

	if (now_ms - r->last_renew_ms < PROMOTE_LEASE_RENEW * 1000)
		return;
	names = xcalloc(r->n ? r->n : 1, sizeof(*names));
	err_init(&e);
	r->last_renew_ms = now_ms;
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].has_lease)
			names[m++] = rp_id(r, &r->v[i]);
	if (store_lease_renew_many(r->c.store, names, m, r->plan->envs[r->env].name, r->c.run_id,
				   pclock_now(&r->c.clock) + PROMOTE_LEASE_TTL, &e) < 0)
		prun_store_fail(r, &e);
	free(names);
}
