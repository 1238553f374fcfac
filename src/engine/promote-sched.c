/*
 * promote-sched.c - the scheduling of a promote run: which step runs next,
 * and what each step's end means.
 *
 * Each project walks deploy → verify → each trigger of the environment
 * measured once → soaking (or healthy). A dependent starts once every
 * dependency in the run has reached soaking/healthy, committed. Of the
 * projects that may start, the one with the longest remaining chain goes
 * first (promote-select.c). Steps of projects already started go before new
 * starts: they hold leases and unlock dependents. The projects that may
 * start when slots are free are started together (promote-write.c: one
 * transaction).
 *
 * Failure (deploy, verify, a breached trigger, a level-3 incident on the
 * project) runs the rollback and ends rolled-back or failed; dependents in
 * the run are skipped with the reason. A level >= 2 incident, opened by
 * anyone, stops new starts (checked between task starts); promotions already
 * started run to their end.
 *
 * The runner (exec.h) calls back on this thread; what the callbacks decide
 * is queued and committed at the next tick (prun_flush).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "engine/promote-run.h"
#include "plan/plan.h"

/* ---- heap of projects that may start (highest prio first) ----------------- */

static bool heap_before(const struct prun *r, size_t a, size_t b)
{
	if (r->v[a].prio != r->v[b].prio)
		return r->v[a].prio > r->v[b].prio;
	return a < b;
}

void prun_heap_push(struct prun *r, size_t i)
{
	size_t k = r->nheap++;
	r->heap[k] = i;
	while (k > 0) {
		size_t parent = (k - 1) / 2;
		if (!heap_before(r, r->heap[k], r->heap[parent]))
			break;
		size_t t = r->heap[k];
		r->heap[k] = r->heap[parent];
		r->heap[parent] = t;
		k = parent;
	}
	r->v[i].st = RP_QUEUED;
}

size_t prun_heap_pop(struct prun *r)
{
	size_t top = r->heap[0], k = 0;
	r->heap[0] = r->heap[--r->nheap];
	for (;;) {
		size_t l = 2 * k + 1, rr = l + 1, m = k;
		if (l < r->nheap && heap_before(r, r->heap[l], r->heap[m]))
			m = l;
		if (rr < r->nheap && heap_before(r, r->heap[rr], r->heap[m]))
			m = rr;
		if (m == k)
			break;
		size_t t = r->heap[k];
		r->heap[k] = r->heap[m];
		r->heap[m] = t;
		k = m;
	}
	return top;
}

void prun_cont_push(struct prun *r, size_t i)
{
	r->cont[(r->cont_head + r->cont_len++) % r->n] = i;
}

static size_t cont_pop(struct prun *r)
{
	size_t i = r->cont[r->cont_head];
	r->cont_head = (r->cont_head + 1) % r->n;
	r->cont_len--;
	return i;
}

/* ---- outcomes ----------------------------------------------------------- */

void prun_result(struct prun *r, struct rp *rp, enum promote_outcome o, const char *detail)
{
	struct promote_report *rep = r->rep;
	struct promote_result *x;

	ALLOC_GROW(rep->results, rep->nresults + 1, rep->results_alloc);
	x = &rep->results[rep->nresults++];
	memset(x, 0, sizeof(*x));
	x->project = rp->project;
	x->env = r->env;
	x->version = xstrdup(rp->version ? rp->version : "");
	x->previous = rp->previous ? xstrdup(rp->previous) : NULL;
	x->outcome = o;
	x->detail = detail ? xstrdup(detail) : NULL;
	x->incident = rp->incident;
	rp->st = RP_DONE;
	r->ndone++;
	if (o == PROMOTE_FAILED || o == PROMOTE_ROLLED_BACK || o == PROMOTE_INTERRUPTED)
		r->nfailed++;
	if (r->o->obs && r->o->obs->outcome)
		r->o->obs->outcome(r->o->obs->ctx, x);
}

void prun_skip(struct prun *r, struct rp *rp, const char *why)
{
	prun_result(r, rp, PROMOTE_SKIPPED, why);
	prun_skip_dependents(r, rp, NULL);
}

void prun_skip_dependents(struct prun *r, struct rp *rp, const char *why)
{
	for (size_t i = 0; i < rp->ndependents; i++) {
		struct rp *d = &r->v[rp->dependents[i]];
		char *msg;
		/* one queued is dropped from the heap lazily: done, popped later */
		if (d->st == RP_DONE || d->st == RP_ACTIVE)
			continue;
		msg = why ? xstrdup(why)
			  : xasprintf("dependency '%s' was not promoted", rp_id(r, rp));
		prun_skip(r, d, msg);
		free(msg);
	}
}

void prun_unlock_dependents(struct prun *r, struct rp *rp)
{
	for (size_t i = 0; i < rp->ndependents; i++) {
		struct rp *d = &r->v[rp->dependents[i]];
		if (d->st != RP_PENDING)
			continue;
		if (--d->ndeps_left == 0)
			prun_heap_push(r, (size_t)rp->dependents[i]);
	}
}

void prun_store_fail(struct prun *r, const struct err *e)
{
	if (r->store_failed)
		return;
	r->store_failed = true;
	r->err = *e;
	if (r->o->obs && r->o->obs->note) {
		char *note = xasprintf("the store failed: %s; nothing new starts and nothing more is "
				       "written, the running steps finish",
				       e->msg);
		r->o->obs->note(r->o->obs->ctx, NULL, note);
		free(note);
	}
}

void prun_strand(struct prun *r, struct rp *rp, const char *what)
{
	char *d;

	if (rp->stored == STATE_DEPLOYING || rp->stored == STATE_VERIFYING)
		d = xasprintf("%s: the store failed; it still holds %s %s under this run's lease, "
			      "which the next promote repairs (interrupted) and retries",
			      what, store_state_name(rp->stored), rp->version);
	else
		d = xasprintf("%s: the store failed; it holds %s", what,
			      store_state_name(rp->stored));
	rp->has_lease = false; /* left to the repair: no longer renewed */
	prun_result(r, rp, PROMOTE_INTERRUPTED, d);
	prun_skip_dependents(r, rp, "not started: the store failed");
	free(d);
}

/* ---- steps ----------------------------------------------------------------- */

static const struct plan_project *proj(const struct prun *r, const struct rp *rp)
{
	return &r->plan->projects[rp->project];
}

static const char *step_cmd(const struct prun *r, const struct rp *rp)
{
	switch (rp->step) {
	case STEP_DEPLOY: return proj(r, rp)->deploy;
	case STEP_VERIFY: return proj(r, rp)->verify;
	case STEP_ROLLBACK: return proj(r, rp)->rollback;
	case STEP_MEASURE: return r->plan->triggers[r->trigs[rp->trig]].measure;
	}
	return NULL;
}

/* "verify", "measure-errors": rp's next step, as its log names it. */
static void step_label(const struct prun *r, const struct rp *rp, char *buf, size_t n)
{
	switch (rp->step) {
	case STEP_DEPLOY: snprintf(buf, n, "deploy"); break;
	case STEP_VERIFY: snprintf(buf, n, "verify"); break;
	case STEP_ROLLBACK: snprintf(buf, n, "rollback"); break;
	case STEP_MEASURE:
		snprintf(buf, n, "measure-%s", r->plan->triggers[r->trigs[rp->trig]].id);
		break;
	}
}

/* Fill out with rp's current step. */
static int give(struct prun *r, size_t i, struct exec_task *out)
{
	struct rp *rp = &r->v[i];

	penv_release(&rp->pe);
	free(rp->log);
	step_label(r, rp, rp->step_name, sizeof(rp->step_name));
	penv_build(&rp->pe, &r->c, rp->project, r->env, rp->version, rp->previous, rp->step_name);
	rp->log = pctx_log_path(&r->c, rp->project, r->env, rp->step_name);
	memset(&rp->task, 0, sizeof(rp->task));
	rp->task.cmd = step_cmd(r, rp);
	rp->task.cwd = r->plan->dir;
	rp->task.env = rp->pe.v;
	rp->task.unset = r->c.unset;
	if (rp->step == STEP_MEASURE) {
		rp->task.timeout_ms = promote_timeout_ms(r->plan->triggers[r->trigs[rp->trig]].timeout);
		rp->task.capture_stdout = true;
	} else {
		rp->task.timeout_ms = promote_timeout_ms(proj(r, rp)->timeout);
	}
	rp->task.log_path = rp->log;
	rp->task.log_lazy = true;
	rp->task.log_mode = plan_file_mode(r->plan);
	rp->task.data = rp;
	rp->running = true;
	rp->step_mono_ms = exec_mono_ms();
	rp->step_wall_s = pclock_now(&r->c.clock);
	r->nrunning++;
	*out = rp->task;
	return 1;
}

void prun_strand_next(struct prun *r, size_t i)
{
	struct rp *rp = &r->v[i];
	char next[160];
	char *what;

	if (rp->st != RP_ACTIVE)
		return;
	step_label(r, rp, next, sizeof(next));
	if (rp->step == STEP_ROLLBACK)
		what = xasprintf("%s; its rollback did not run", rp->fail_detail);
	else if (rp->step_name[0])
		what = xasprintf("%s ended; %s did not run", rp->step_name, next);
	else
		what = xasprintf("%s did not run", next);
	prun_strand(r, rp, what);
	free(what);
}

/* The first step at or after `from` that has a command; false: none left. */
static bool next_step(struct prun *r, struct rp *rp, enum step_kind from, size_t trig)
{
	const struct plan_project *pr = proj(r, rp);
	if (from <= STEP_DEPLOY && pr->deploy) {
		rp->step = STEP_DEPLOY;
		return true;
	}
	if (from <= STEP_VERIFY && pr->verify) {
		rp->step = STEP_VERIFY;
		return true;
	}
	if (from <= STEP_MEASURE && trig < r->ntrigs) {
		rp->step = STEP_MEASURE;
		rp->trig = trig;
		return true;
	}
	return false;
}

/* The project made it: soaking (or healthy), lease released. */
static void finish_ok(struct prun *r, size_t i)
{
	struct rp *rp = &r->v[i];
	const struct plan_env *pe = &r->plan->envs[r->env];
	int64_t now = pclock_now(&r->c.clock);
	bool soaking = pe->soak > 0;
	char *audit;

	if (soaking) {
		char t[32];
		util_fmt_time(now + pe->soak, t, sizeof(t));
		audit = xasprintf("version %s verified; soaking until %s (run %s)", rp->version, t,
				  r->c.run_id);
	} else {
		audit = xasprintf("version %s verified (run %s)", rp->version, r->c.run_id);
	}
	prun_queue_state(r, i, soaking ? STATE_SOAKING : STATE_HEALTHY, soaking ? now + pe->soak : 0,
			 NULL, audit, true, soaking ? PROMOTE_SOAKING : PROMOTE_HEALTHY, NULL, NULL);
	free(audit);
}

/* Failed, and rolled back (rollback_ok), or not (no rollback, or it failed). */
static void finish_failed(struct prun *r, size_t i, bool rollback_ran, bool rollback_ok,
			  const char *rollback_how)
{
	struct rp *rp = &r->v[i];
	bool rolled = rollback_ran && rollback_ok;
	char *detail, *audit, *why;

	if (rolled)
		detail = xasprintf("%s; rolled back to %s", rp->fail_detail,
				   rp->previous ? rp->previous : "nothing (no previous version)");
	else if (rollback_ran)
		detail = xasprintf("%s; the rollback failed too (%s): needs a person",
				   rp->fail_detail, rollback_how);
	else
		detail = xasprintf("%s; %s has no rollback command: needs a person",
				   rp->fail_detail, rp_id(r, rp));
	audit = xasprintf("version %s: %s (run %s)", rp->version, detail, r->c.run_id);
	why = xasprintf("dependency '%s' %s", rp_id(r, rp), rolled ? "was rolled back" : "failed");
	prun_queue_state(r, i, rolled ? STATE_ROLLED_BACK : STATE_FAILED, 0, detail, audit, true,
			 rolled ? PROMOTE_ROLLED_BACK : PROMOTE_FAILED, NULL, why);
	free(detail);
	free(audit);
	free(why);
}

/* The step that failed (or a reason to roll back): rollback next, or end. */
static void begin_failure(struct prun *r, size_t i, char *detail)
{
	struct rp *rp = &r->v[i];
	free(rp->fail_detail);
	rp->fail_detail = detail;
	if (proj(r, rp)->rollback) {
		rp->step = STEP_ROLLBACK;
		prun_cont_push(r, i);
		return;
	}
	finish_failed(r, i, false, false, NULL);
}

/* A level-3 incident open on rp's project in the target env? (from the last
 * pause check) */
static const struct store_incident *level3_on(const struct prun *r, const struct rp *rp)
{
	for (size_t k = 0; k < r->pauses.n; k++) {
		const struct store_incident *x = &r->pauses.v[k];
		if (x->level >= 3 && x->project && !strcmp(x->project, rp_id(r, rp)) && x->env &&
		    !strcmp(x->env, r->plan->envs[r->env].name))
			return x;
	}
	return NULL;
}

/* Look at the open pausing incidents, at most every 50 ms. */
static void check_pause(struct prun *r, bool force)
{
	int64_t now = exec_mono_ms();
	struct err e;

	if (!force && now - r->last_pause_ms < 50)
		return;
	r->last_pause_ms = now;
	err_init(&e);
	store_incidents_release(&r->pauses);
	if (store_open_incidents(r->c.store, 2, &r->pauses, &e) < 0) {
		prun_store_fail(r, &e);
		return;
	}
	if (r->pauses.n && !r->paused) {
		const struct store_incident *x = &r->pauses.v[0];
		const char *on = x->project ? x->project : "";
		r->paused = true;
		r->rep->paused = true;
		snprintf(r->pause_why, sizeof(r->pause_why),
			 "paused: incident %lld (level %d) is open in %s%s%s; resolve it and run "
			 "promote again",
			 (long long)x->id, x->level, x->env ? x->env : "", on[0] ? " on " : "", on);
		if (r->o->obs && r->o->obs->note)
			r->o->obs->note(r->o->obs->ctx, NULL, r->pause_why);
	}
}

/* ---- runner callbacks ------------------------------------------------------ */

/* Commit what the callbacks queued and start as many queued projects as
 * there are free slots, all in one transaction; the started ones join the
 * continuation queue. */
static void start_some(struct prun *r)
{
	size_t free_slots = (size_t)(r->o->jobs > 0 ? r->o->jobs : 1);
	size_t *idx, n = 0;

	free_slots = free_slots > r->nrunning ? free_slots - r->nrunning : 1;
	idx = xcalloc(free_slots, sizeof(*idx));
	prun_tick_begin(r);
	while (r->nheap && n < free_slots) {
		size_t i;
		if (!r->store_failed)
			check_pause(r, false);
		i = prun_heap_pop(r);
		if (r->v[i].st != RP_QUEUED)
			continue; /* skipped while queued */
		if (r->store_failed) {
			prun_skip(r, &r->v[i], "not started: the store failed");
			continue;
		}
		if (r->paused) {
			prun_skip(r, &r->v[i], r->pause_why);
			continue;
		}
		if (prun_tick_start(r, i))
			idx[n++] = i;
	}
	prun_tick_end(r);
	for (size_t k = 0; k < n; k++) {
		struct rp *rp = &r->v[idx[k]];
		if (rp->st != RP_ACTIVE)
			continue; /* the commit failed */
		if (next_step(r, rp, STEP_DEPLOY, 0))
			prun_cont_push(r, idx[k]);
		else
			finish_ok(r, idx[k]);
	}
	free(idx);
}

static int next_task(void *cb, struct exec_task *out)
{
	struct prun *r = cb;

	for (;;) {
		if (r->cont_len) {
			/* what the next step follows from is committed first */
			prun_flush(r);
			if (r->store_failed) {
				/* it was not: no next step, no rollback */
				while (r->cont_len)
					prun_strand_next(r, cont_pop(r));
				continue;
			}
			if (r->cont_len)
				return give(r, cont_pop(r), out);
			continue;
		}
		if (!r->nheap && !r->nwrites && !r->nsteps && !r->npending)
			break;
		/* commit what the callbacks decided (dependents unlock) and
		 * start what may start, in one transaction */
		start_some(r);
	}
	if (r->nrunning)
		return 0;
	return -1;
}

static void on_start(void *cb, const struct exec_task *t, const struct exec_result *res)
{
	struct prun *r = cb;
	struct rp *rp = t->data;

	rp->pgid = (long)res->pgid;
	rp->pgid_pending = true;
	ALLOC_GROW(r->pending, r->npending + 1, r->pending_alloc);
	r->pending[r->npending++] = (size_t)(rp - r->v);
	if (r->o->obs && r->o->obs->step_start)
		r->o->obs->step_start(r->o->obs->ctx, rp_id(r, rp), rp->step_name);
}

static void on_finish(void *cb, const struct exec_task *t, const struct exec_result *res)
{
	struct prun *r = cb;
	struct rp *rp = t->data;
	size_t i = (size_t)(rp - r->v);
	char how[700], why[600];
	bool ok;

	r->nrunning--;
	rp->running = false;
	exec_result_describe(res, t, how, sizeof(how));
	if (rp->step == STEP_MEASURE) {
		const struct plan_trigger *tr = &r->plan->triggers[r->trigs[rp->trig]];
		ok = !promote_measure_breached(tr, t, res, why, sizeof(why));
		snprintf(how, sizeof(how), "%s", why);
	} else {
		ok = exec_result_ok(res);
	}
	if (r->o->obs && r->o->obs->step_end)
		r->o->obs->step_end(r->o->obs->ctx, rp_id(r, rp), rp->step_name, ok, how,
				    ok ? "" : res->tail ? res->tail : "", rp->log, exec_result_ms(res));
	if (r->store_failed) {
		/* nothing of it is written and nothing follows it (no verify,
		 * no rollback): the store keeps what it holds for the repair */
		char *what;
		if (rp->step == STEP_ROLLBACK)
			what = xasprintf("%s; its rollback %s", rp->fail_detail,
					 ok ? "ran" : how);
		else
			what = xasprintf("%s %s", rp->step_name, ok ? "ended" : how);
		prun_strand(r, rp, what);
		free(what);
		return;
	}
	prun_step_ended(r, i, res);

	if (rp->step == STEP_ROLLBACK) {
		finish_failed(r, i, true, ok, how);
	} else if (!ok) {
		char *detail;
		if (rp->step == STEP_MEASURE) {
			const struct plan_trigger *tr = &r->plan->triggers[r->trigs[rp->trig]];
			int level = tr->level > 0 ? tr->level : 1;
			struct err e;
			err_init(&e);
			detail = xasprintf("%s", how);
			if (promote_open_incident(&r->c, level, r->env, rp->project, how,
						  &rp->incident, &e) < 0)
				prun_store_fail(r, &e);
			else if (r->o->obs && r->o->obs->note) {
				char note[1000];
				snprintf(note, sizeof(note), "incident %lld (level %d) opened: %s",
					 (long long)rp->incident, level, how);
				r->o->obs->note(r->o->obs->ctx, rp_id(r, rp), note);
			}
			if (level >= 2)
				check_pause(r, true);
		} else {
			detail = xasprintf("%s %s", rp->step_name, how);
		}
		begin_failure(r, i, detail);
	} else {
		const struct store_incident *x;
		/* a person opened a level-3 incident on it meanwhile: roll it back */
		check_pause(r, false);
		x = level3_on(r, rp);
		if (x) {
			begin_failure(r, i, xasprintf("incident %lld (level 3) was opened on it",
						      (long long)x->id));
		} else if (rp->step == STEP_DEPLOY && next_step(r, rp, STEP_VERIFY, 0)) {
			char *audit = xasprintf("version %s deployed (run %s)", rp->version,
						r->c.run_id);
			prun_queue_state(r, i, STATE_VERIFYING, 0, NULL, audit, false,
					 PROMOTE_SOAKING, NULL, NULL);
			free(audit);
			prun_cont_push(r, i);
		} else if ((rp->step == STEP_VERIFY && next_step(r, rp, STEP_MEASURE, 0)) ||
			   (rp->step == STEP_MEASURE && next_step(r, rp, STEP_MEASURE, rp->trig + 1))) {
			prun_cont_push(r, i);
		} else {
			finish_ok(r, i);
		}
	}
	/* stopping: the runner asks for no more tasks, so commit now */
	if (cancel_level(r->o->cancel))
		prun_flush(r);
}

static void on_tick(void *cb, int64_t now_ms)
{
	struct prun *r = cb;
	size_t k = 0;

	prun_flush(r);
	prun_renew(r, now_ms);
	if (!r->o->obs || !r->o->obs->tick)
		return;
	for (size_t i = 0; i < r->n && k < r->nrunning; i++) {
		struct rp *rp = &r->v[i];
		if (!rp->running)
			continue;
		r->running_buf[k].project = rp_id(r, rp);
		r->running_buf[k].step = rp->step_name;
		r->running_buf[k].elapsed_ms = now_ms - rp->step_mono_ms;
		k++;
	}
	r->o->obs->tick(r->o->obs->ctx, r->running_buf, k, r->ndone, r->nfailed, r->n);
}

int promote_schedule(struct prun *r, struct err *e)
{
	struct exec_opts eo = { 0 };
	int xr;

	r->nheap = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!r->v[i].ndeps_left)
			prun_heap_push(r, i);
	check_pause(r, true);
	eo.max_jobs = r->o->jobs > 0 ? r->o->jobs : 1;
	eo.next_task = next_task;
	eo.on_start = on_start;
	eo.on_finish = on_finish;
	eo.on_tick = on_tick;
	eo.cancel = r->o->cancel;
	eo.cancel_policy = EXEC_CANCEL_FINISH;
	eo.gather_us = PROMOTE_GATHER_US;
	eo.cb = r;
	r->last_renew_ms = exec_mono_ms();
	xr = exec_run_parallel(&eo, e);
	if (xr == 1)
		r->rep->cancelled = true;
	prun_settle(r);
	return xr;
}
