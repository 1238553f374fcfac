/*
 * promote.c - the promotion scheduler and state machine.
 *
 * A run: repair what dead runners left (promote-repair.c), load one state
 * snapshot, pick the selected projects that are ready (SPEC §3, where a
 * dependency promoted in the same run counts as met), then hand steps to the
 * parallel runner (exec.h). The runner calls back on this thread, so every
 * store write of the run goes through one connection, in order.
 *
 * Each project walks deploy → verify → each trigger of the environment
 * measured once → soaking (or healthy). A dependent starts once every
 * dependency in the run has reached soaking/healthy. Of the projects that may
 * start, the one with the longest remaining chain goes first (critical path,
 * weighted by past step durations from the store when known). Steps of
 * projects already started go before new starts: they hold leases and
 * unlock dependents.
 *
 * Failure (deploy, verify, a breached trigger, a level-3 incident on the
 * project) runs the rollback and ends rolled-back or failed; dependents in
 * the run are skipped with the reason. A level >= 2 incident, opened by
 * anyone, stops new starts (checked between task starts); promotions already
 * started run to their end.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/promote-internal.h"
#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"

static const char *const outcome_names[] = {
	[PROMOTE_HEALTHY] = "healthy",	       [PROMOTE_SOAKING] = "soaking",
	[PROMOTE_ROLLED_BACK] = "rolled-back", [PROMOTE_FAILED] = "failed",
	[PROMOTE_SKIPPED] = "skipped",
};

const char *promote_outcome_name(enum promote_outcome o)
{
	return (unsigned)o < ARRAY_SIZE(outcome_names) ? outcome_names[o] : "?";
}

void promote_result_release(struct promote_result *r)
{
	free(r->version);
	free(r->previous);
	free(r->detail);
	memset(r, 0, sizeof(*r));
}

void promote_report_release(struct promote_report *r)
{
	for (size_t i = 0; i < r->nresults; i++)
		promote_result_release(&r->results[i]);
	free(r->results);
	for (size_t i = 0; i < r->nnotready; i++)
		free(r->notready[i].summary);
	free(r->notready);
	for (size_t i = 0; i < r->nplanned; i++)
		free(r->planned_version[i]);
	free(r->planned_version);
	free(r->planned);
	memset(r, 0, sizeof(*r));
}

enum step_kind { STEP_DEPLOY, STEP_VERIFY, STEP_MEASURE, STEP_ROLLBACK };
enum rp_state { RP_PENDING, RP_QUEUED, RP_ACTIVE, RP_DONE };

/* One project of the run. */
struct rp {
	int project;
	char *version, *previous;
	double weight, prio;
	int ndeps_left; /* dependencies in the run not yet soaking/healthy */
	int *dependents;
	size_t ndependents, dependents_alloc;
	enum rp_state st;
	enum step_kind step;
	size_t trig; /* with STEP_MEASURE: index into run->trigs */
	bool failing;
	char *fail_detail;
	const char *fail_step;
	int64_t incident;
	bool running;
	struct exec_task task;
	struct penv pe;
	char *log;
	char step_name[160];
	int64_t step_mono_ms, step_wall_s;
	long pgid;
	bool pgid_pending; /* started; its process group not in the lease yet */
	bool has_lease;
};

struct prun {
	struct pctx c;
	const struct plan *plan;
	const struct promote_opts *o;
	struct promote_report *rep;
	int env;
	struct rp *v;
	size_t n;
	int *rp_of; /* [nprojects]: index in v, -1 */
	size_t *heap, nheap;
	size_t *cont, cont_head, cont_len;
	size_t nrunning, ndone, nfailed;
	size_t *trigs, ntrigs; /* plan trigger indices measured in env */
	struct store_incidents pauses; /* open, level >= 2 */
	int64_t last_pause_ms, last_renew_ms;
	bool paused;
	char pause_why[700];
	bool store_failed;
	struct err err;
	struct promote_running *running_buf;
	size_t *pending, npending, pending_alloc; /* started steps whose pgid is not recorded */
};

/* ---- heap of projects that may start (highest prio first) ----------------- */

static bool heap_before(const struct prun *r, size_t a, size_t b)
{
	if (r->v[a].prio != r->v[b].prio)
		return r->v[a].prio > r->v[b].prio;
	return a < b;
}

static void heap_push(struct prun *r, size_t i)
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

static size_t heap_pop(struct prun *r)
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

static void cont_push(struct prun *r, size_t i)
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

static const char *pid_of(const struct prun *r, const struct rp *rp)
{
	return r->plan->projects[rp->project].id;
}

static void add_result(struct prun *r, struct rp *rp, enum promote_outcome o, const char *detail)
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
	if (o == PROMOTE_FAILED || o == PROMOTE_ROLLED_BACK)
		r->nfailed++;
	if (r->o->obs && r->o->obs->outcome)
		r->o->obs->outcome(r->o->obs->ctx, x);
}

static void skip_dependents(struct prun *r, struct rp *rp, const char *why);

static void skip(struct prun *r, struct rp *rp, const char *why)
{
	add_result(r, rp, PROMOTE_SKIPPED, why);
	skip_dependents(r, rp, NULL);
}

static void skip_dependents(struct prun *r, struct rp *rp, const char *why)
{
	for (size_t i = 0; i < rp->ndependents; i++) {
		struct rp *d = &r->v[rp->dependents[i]];
		char *msg;
		if (d->st == RP_DONE || d->st == RP_ACTIVE)
			continue;
		msg = why ? xstrdup(why)
			  : xasprintf("dependency '%s' was not promoted", pid_of(r, rp));
		if (d->st == RP_QUEUED) {
			/* drop it from the heap lazily: marked done, popped later */
		}
		skip(r, d, msg);
		free(msg);
	}
}

static void unlock_dependents(struct prun *r, struct rp *rp)
{
	for (size_t i = 0; i < rp->ndependents; i++) {
		struct rp *d = &r->v[rp->dependents[i]];
		if (d->st != RP_PENDING)
			continue;
		if (--d->ndeps_left == 0)
			heap_push(r, (size_t)rp->dependents[i]);
	}
}

static void store_fail(struct prun *r, const struct err *e)
{
	if (!r->store_failed) {
		r->store_failed = true;
		r->err = *e;
	}
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

/* Fill out with rp's current step. */
static int give(struct prun *r, size_t i, struct exec_task *out)
{
	struct rp *rp = &r->v[i];
	const char *ver = rp->version, *prev = rp->previous;

	penv_release(&rp->pe);
	free(rp->log);
	switch (rp->step) {
	case STEP_DEPLOY: snprintf(rp->step_name, sizeof(rp->step_name), "deploy"); break;
	case STEP_VERIFY: snprintf(rp->step_name, sizeof(rp->step_name), "verify"); break;
	case STEP_ROLLBACK: snprintf(rp->step_name, sizeof(rp->step_name), "rollback"); break;
	case STEP_MEASURE:
		snprintf(rp->step_name, sizeof(rp->step_name), "measure-%s",
			 r->plan->triggers[r->trigs[rp->trig]].id);
		break;
	}
	penv_build(&rp->pe, &r->c, rp->project, r->env, ver, prev, rp->step_name);
	rp->log = pctx_log_path(&r->c, rp->project, r->env, rp->step_name);
	memset(&rp->task, 0, sizeof(rp->task));
	rp->task.cmd = step_cmd(r, rp);
	rp->task.cwd = r->plan->dir;
	rp->task.env = rp->pe.v;
	if (rp->step == STEP_MEASURE) {
		rp->task.timeout_ms = promote_timeout_ms(r->plan->triggers[r->trigs[rp->trig]].timeout);
		rp->task.capture_stdout = true;
	} else {
		rp->task.timeout_ms = promote_timeout_ms(proj(r, rp)->timeout);
	}
	rp->task.log_path = rp->log;
	rp->task.log_lazy = true;
	rp->task.data = rp;
	rp->running = true;
	rp->step_mono_ms = exec_mono_ms();
	rp->step_wall_s = pclock_now(&r->c.clock);
	r->nrunning++;
	*out = rp->task;
	return 1;
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

static void put_step_end(struct prun *r, struct rp *rp, const struct exec_result *res)
{
	struct store_step_run sr = { 0 };
	struct err e;

	err_init(&e);
	sr.run_id = r->c.run_id;
	sr.project = pid_of(r, rp);
	sr.env = r->plan->envs[r->env].name;
	sr.step = rp->step_name;
	sr.started = rp->step_wall_s;
	sr.ended = pclock_now(&r->c.clock);
	sr.exit_status = res->exit_code;
	sr.duration_ms = exec_result_ms(res);
	/* logs are created lazily: a step that printed nothing has none */
	sr.log_path = rp->log && access(rp->log, F_OK) == 0 ? rp->log : NULL;
	if (store_put_step_run(r->c.store, &sr, &e) < 0)
		store_fail(r, &e);
}

/*
 * Record the process groups of the steps started since the last write in
 * their leases (crash repair kills them by it). Runs inside the change being
 * written, or in its own transaction (the tick): one write per batch rather
 * than one per step start. A step killed with its runner before this ran is
 * still found on this host by its run id (promote-repair.c).
 */
static void flush_pgids(struct prun *r)
{
	struct err e;
	err_init(&e);
	for (size_t k = 0; k < r->npending; k++) {
		struct rp *rp = &r->v[r->pending[k]];
		if (!rp->pgid_pending)
			continue;
		rp->pgid_pending = false;
		if (!rp->has_lease || !rp->running)
			continue;
		if (store_lease_renew(r->c.store, pid_of(r, rp), r->plan->envs[r->env].name,
				      r->c.run_id, pclock_now(&r->c.clock) + PROMOTE_LEASE_TTL, rp->pgid,
				      &e) < 0) {
			store_fail(r, &e);
			break;
		}
	}
	r->npending = 0;
}

/* The project made it: soaking (or healthy), lease released, one change. */
static void finish_ok(struct prun *r, size_t i, const struct exec_result *res)
{
	struct rp *rp = &r->v[i];
	const struct plan_env *pe = &r->plan->envs[r->env];
	int64_t now = pclock_now(&r->c.clock);
	enum store_state st = pe->soak > 0 ? STATE_SOAKING : STATE_HEALTHY;
	struct store_promotion pr = { 0 };
	char subject[300];
	struct err e;

	err_init(&e);
	snprintf(subject, sizeof(subject), "%s@%s", pid_of(r, rp), pe->name);
	if (store_begin_change(r->c.store, now, r->c.actor,
			       st == STATE_SOAKING ? "promotion.soaking" : "promotion.healthy",
			       subject, NULL, &e) < 0)
		goto fail;
	flush_pgids(r);
	if (res)
		put_step_end(r, rp, res);
	pr.project = pid_of(r, rp);
	pr.env = pe->name;
	pr.state = st;
	pr.version = rp->version;
	pr.previous_version = rp->previous;
	pr.run_id = r->c.run_id;
	pr.soak_until = st == STATE_SOAKING ? now + pe->soak : 0;
	if (store_set_promotion(r->c.store, &pr, &e) < 0 ||
	    store_lease_release(r->c.store, pr.project, pr.env, r->c.run_id, &e) < 0) {
		store_abort_change(r->c.store);
		goto fail;
	}
	if (st == STATE_SOAKING) {
		char t[32];
		store_change_detail(r->c.store, "version %s verified; soaking until %s (run %s)",
				    rp->version, util_fmt_time(pr.soak_until, t, sizeof(t)),
				    r->c.run_id);
	} else {
		store_change_detail(r->c.store, "version %s verified (run %s)", rp->version,
				    r->c.run_id);
	}
	if (store_commit_change(r->c.store, NULL, &e) < 0)
		goto fail;
	rp->has_lease = false;
	add_result(r, rp, st == STATE_SOAKING ? PROMOTE_SOAKING : PROMOTE_HEALTHY, NULL);
	unlock_dependents(r, rp);
	return;
fail:
	store_fail(r, &e);
	add_result(r, rp, PROMOTE_FAILED, e.msg);
	skip_dependents(r, rp, NULL);
}

/* Failed, and rolled back (rollback_ok), or not (no rollback, or it failed). */
static void finish_failed(struct prun *r, size_t i, const struct exec_result *res,
			  bool rollback_ran, bool rollback_ok, const char *rollback_how)
{
	struct rp *rp = &r->v[i];
	const struct plan_env *pe = &r->plan->envs[r->env];
	bool rolled = rollback_ran && rollback_ok;
	struct store_promotion pr = { 0 };
	char subject[300], *detail;
	struct err e;

	err_init(&e);
	if (rolled)
		detail = xasprintf("%s; rolled back to %s", rp->fail_detail,
				   rp->previous ? rp->previous : "nothing (no previous version)");
	else if (rollback_ran)
		detail = xasprintf("%s; the rollback failed too (%s): needs a person",
				   rp->fail_detail, rollback_how);
	else
		detail = xasprintf("%s; %s has no rollback command: needs a person",
				   rp->fail_detail, pid_of(r, rp));
	snprintf(subject, sizeof(subject), "%s@%s", pid_of(r, rp), pe->name);
	if (store_begin_change(r->c.store, pclock_now(&r->c.clock), r->c.actor,
			       rolled ? "promotion.rolled-back" : "promotion.failed", subject, NULL,
			       &e) < 0)
		goto fail;
	flush_pgids(r);
	if (res)
		put_step_end(r, rp, res);
	pr.project = pid_of(r, rp);
	pr.env = pe->name;
	pr.state = rolled ? STATE_ROLLED_BACK : STATE_FAILED;
	pr.version = rp->version;
	pr.previous_version = rp->previous;
	pr.run_id = r->c.run_id;
	pr.detail = detail;
	if (store_set_promotion(r->c.store, &pr, &e) < 0 ||
	    store_lease_release(r->c.store, pr.project, pr.env, r->c.run_id, &e) < 0) {
		store_abort_change(r->c.store);
		goto fail;
	}
	store_change_detail(r->c.store, "version %s: %s (run %s)", rp->version, detail, r->c.run_id);
	if (store_commit_change(r->c.store, NULL, &e) < 0)
		goto fail;
	rp->has_lease = false;
	goto done;
fail:
	store_fail(r, &e);
done:
	add_result(r, rp, rolled ? PROMOTE_ROLLED_BACK : PROMOTE_FAILED, detail);
	{
		char *why = xasprintf("dependency '%s' %s", pid_of(r, rp),
				      rolled ? "was rolled back" : "failed");
		skip_dependents(r, rp, why);
		free(why);
	}
	free(detail);
}

/* Set the pair verifying (deploy done, checks next): one change. */
static void set_verifying(struct prun *r, struct rp *rp, const struct exec_result *res)
{
	const struct plan_env *pe = &r->plan->envs[r->env];
	struct store_promotion pr = { 0 };
	char subject[300];
	struct err e;

	err_init(&e);
	snprintf(subject, sizeof(subject), "%s@%s", pid_of(r, rp), pe->name);
	if (store_begin_change(r->c.store, pclock_now(&r->c.clock), r->c.actor,
			       "promotion.verifying", subject, NULL, &e) < 0)
		goto fail;
	flush_pgids(r);
	if (res)
		put_step_end(r, rp, res);
	pr.project = pid_of(r, rp);
	pr.env = pe->name;
	pr.state = STATE_VERIFYING;
	pr.version = rp->version;
	pr.previous_version = rp->previous;
	pr.run_id = r->c.run_id;
	if (store_set_promotion(r->c.store, &pr, &e) < 0) {
		store_abort_change(r->c.store);
		goto fail;
	}
	store_change_detail(r->c.store, "version %s deployed (run %s)", rp->version, r->c.run_id);
	if (store_commit_change(r->c.store, NULL, &e) < 0)
		goto fail;
	return;
fail:
	store_fail(r, &e);
}

/* The step that failed (or a reason to roll back): rollback next, or end. */
static void begin_failure(struct prun *r, size_t i, const struct exec_result *res,
			  char *detail)
{
	struct rp *rp = &r->v[i];
	rp->failing = true;
	free(rp->fail_detail);
	rp->fail_detail = detail;
	if (proj(r, rp)->rollback) {
		if (res)
			put_step_end(r, rp, res);
		rp->step = STEP_ROLLBACK;
		cont_push(r, i);
		return;
	}
	finish_failed(r, i, res, false, false, NULL);
}

/* A level-3 incident open on rp's project in the target env? (from the last
 * pause check) */
static const struct store_incident *level3_on(const struct prun *r, const struct rp *rp)
{
	for (size_t k = 0; k < r->pauses.n; k++) {
		const struct store_incident *x = &r->pauses.v[k];
		if (x->level >= 3 && x->project && !strcmp(x->project, pid_of(r, rp)) && x->env &&
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
		store_fail(r, &e);
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

/* ---- starting a project: lease + deploying, one change ----------------------- */

/* 1: started (a step to run), 0: ended without running anything. */
static int start_project(struct prun *r, size_t i)
{
	struct rp *rp = &r->v[i];
	const char *pid_s = pid_of(r, rp), *env_s = r->plan->envs[r->env].name;
	char subject[300], why[512];
	struct err e;

	snprintf(subject, sizeof(subject), "%s@%s", pid_s, env_s);
	for (int attempt = 0; attempt < 3; attempt++) {
		struct store_lease mine, prev;
		struct store_promotion cur, pr = { 0 };
		struct arena a;
		bool expired = false;
		int la;

		err_init(&e);
		if (store_begin_change(r->c.store, pclock_now(&r->c.clock), r->c.actor,
				       "promotion.deploying", subject, NULL, &e) < 0)
			goto store_error;
		flush_pgids(r);
		pctx_lease(&r->c, &mine, 0);
		la = store_lease_acquire(r->c.store, pid_s, env_s, &mine, pclock_now(&r->c.clock),
					 &prev, &expired, &e);
		if (la < 0) {
			store_abort_change(r->c.store);
			goto store_error;
		}
		if (la == STORE_LEASE_BUSY && promote_lease_alive(&r->c, &prev,
								  pclock_now(&r->c.clock))) {
			store_abort_change(r->c.store);
			snprintf(why, sizeof(why), "being promoted by run %s (host %s, pid %ld)",
				 prev.run_id, prev.host, prev.pid);
			skip(r, rp, why);
			return 0;
		}
		arena_init(&a);
		if (la == STORE_LEASE_OK &&
		    store_get_promotion(r->c.store, pid_s, env_s, &cur, &a, &e) < 0) {
			arena_release(&a);
			store_abort_change(r->c.store);
			goto store_error;
		}
		if (la == STORE_LEASE_BUSY || expired || cur.state == STATE_DEPLOYING ||
		    cur.state == STATE_VERIFYING) {
			/* a dead runner's leftovers: repair, then try again */
			int rr;
			arena_release(&a);
			store_abort_change(r->c.store);
			rr = promote_repair_pair(&r->c, rp->project, r->env, why, sizeof(why), &e);
			if (rr < 0)
				goto store_error;
			if (rr == REPAIR_BUSY) {
				skip(r, rp, why);
				return 0;
			}
			if (rr == REPAIR_DONE) {
				r->rep->nrepaired++;
				if (r->o->obs && r->o->obs->note)
					r->o->obs->note(r->o->obs->ctx, pid_s, why);
			}
			continue;
		}
		if (cur.version && !strcmp(cur.version, rp->version) &&
		    (cur.state == STATE_SOAKING || cur.state == STATE_HEALTHY)) {
			/* another runner promoted it since our snapshot */
			snprintf(why, sizeof(why), "version %s is already %s in %s (run %s)",
				 rp->version, store_state_name(cur.state), env_s,
				 cur.run_id ? cur.run_id : "?");
			arena_release(&a);
			store_abort_change(r->c.store);
			add_result(r, rp, PROMOTE_SKIPPED, why);
			unlock_dependents(r, rp);
			return 0;
		}
		free(rp->previous);
		{
			const char *live = promote_live_version(cur.state, cur.version,
								cur.previous_version);
			rp->previous = live ? xstrdup(live) : NULL;
		}
		pr.project = pid_s;
		pr.env = env_s;
		pr.state = STATE_DEPLOYING;
		pr.version = rp->version;
		pr.previous_version = rp->previous;
		pr.run_id = r->c.run_id;
		if (store_set_promotion(r->c.store, &pr, &e) < 0) {
			arena_release(&a);
			store_abort_change(r->c.store);
			goto store_error;
		}
		{
			struct strbuf d = STRBUF_INIT;
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
		}
		arena_release(&a);
		if (store_commit_change(r->c.store, NULL, &e) < 0)
			goto store_error;
		rp->has_lease = true;
		rp->st = RP_ACTIVE;
		if (!next_step(r, rp, STEP_DEPLOY, 0)) {
			finish_ok(r, i, NULL);
			return 0;
		}
		return 1;
	}
	skip(r, rp, "could not take its lease after repairing it; run promote again");
	return 0;
store_error:
	store_fail(r, &e);
	skip(r, rp, e.msg);
	return 0;
}

/* ---- runner callbacks ------------------------------------------------------ */

static int next_task(void *cb, struct exec_task *out)
{
	struct prun *r = cb;

	for (;;) {
		if (r->cont_len)
			return give(r, cont_pop(r), out);
		if (!r->nheap)
			break;
		if (!r->store_failed)
			check_pause(r, false);
		{
			size_t i = heap_pop(r);
			struct rp *rp = &r->v[i];
			if (rp->st != RP_QUEUED)
				continue; /* skipped while queued */
			if (r->store_failed) {
				skip(r, rp, "not started: the store failed");
				continue;
			}
			if (r->paused) {
				skip(r, rp, r->pause_why);
				continue;
			}
			if (start_project(r, i))
				return give(r, i, out);
		}
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
		r->o->obs->step_start(r->o->obs->ctx, pid_of(r, rp), rp->step_name);
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
		r->o->obs->step_end(r->o->obs->ctx, pid_of(r, rp), rp->step_name, ok, how,
				    ok ? "" : res->tail ? res->tail : "", rp->log, exec_result_ms(res));

	if (rp->step == STEP_ROLLBACK) {
		finish_failed(r, i, res, true, ok, how);
		return;
	}
	if (!ok) {
		char *detail;
		if (rp->step == STEP_MEASURE) {
			const struct plan_trigger *tr = &r->plan->triggers[r->trigs[rp->trig]];
			int level = tr->level > 0 ? tr->level : 1;
			struct err e;
			err_init(&e);
			detail = xasprintf("%s", how);
			if (promote_open_incident(&r->c, level, r->env, rp->project, how,
						  &rp->incident, &e) < 0)
				store_fail(r, &e);
			else if (r->o->obs && r->o->obs->note) {
				char note[1000];
				snprintf(note, sizeof(note), "incident %lld (level %d) opened: %s",
					 (long long)rp->incident, level, how);
				r->o->obs->note(r->o->obs->ctx, pid_of(r, rp), note);
			}
			if (level >= 2)
				check_pause(r, true);
		} else {
			detail = xasprintf("%s %s", rp->step_name, how);
		}
		begin_failure(r, i, res, detail);
		return;
	}
	/* a person opened a level-3 incident on it meanwhile: roll it back */
	check_pause(r, false);
	{
		const struct store_incident *x = level3_on(r, rp);
		if (x) {
			begin_failure(r, i, res,
				      xasprintf("incident %lld (level 3) was opened on it",
						(long long)x->id));
			return;
		}
	}
	switch (rp->step) {
	case STEP_DEPLOY:
		if (next_step(r, rp, STEP_VERIFY, 0)) {
			set_verifying(r, rp, res);
			cont_push(r, i);
			return;
		}
		break;
	case STEP_VERIFY:
		if (next_step(r, rp, STEP_MEASURE, 0)) {
			put_step_end(r, rp, res);
			cont_push(r, i);
			return;
		}
		break;
	case STEP_MEASURE:
		if (next_step(r, rp, STEP_MEASURE, rp->trig + 1)) {
			put_step_end(r, rp, res);
			cont_push(r, i);
			return;
		}
		break;
	case STEP_ROLLBACK:
		break;
	}
	finish_ok(r, i, res);
}

static void on_tick(void *cb, int64_t now_ms)
{
	struct prun *r = cb;
	size_t k = 0;

	if (r->npending)
		flush_pgids(r);
	if (now_ms - r->last_renew_ms >= PROMOTE_LEASE_RENEW * 1000) {
		const char **names = xcalloc(r->n ? r->n : 1, sizeof(*names));
		size_t m = 0;
		struct err e;
		err_init(&e);
		r->last_renew_ms = now_ms;
		for (size_t i = 0; i < r->n; i++)
			if (r->v[i].has_lease)
				names[m++] = pid_of(r, &r->v[i]);
		if (store_lease_renew_many(r->c.store, names, m, r->plan->envs[r->env].name,
					   r->c.run_id, pclock_now(&r->c.clock) + PROMOTE_LEASE_TTL,
					   &e) < 0)
			store_fail(r, &e);
		free(names);
	}
	if (!r->o->obs || !r->o->obs->tick)
		return;
	for (size_t i = 0; i < r->n && k < r->nrunning; i++) {
		struct rp *rp = &r->v[i];
		if (!rp->running)
			continue;
		r->running_buf[k].project = pid_of(r, rp);
		r->running_buf[k].step = rp->step_name;
		r->running_buf[k].elapsed_ms = now_ms - rp->step_mono_ms;
		k++;
	}
	r->o->obs->tick(r->o->obs->ctx, r->running_buf, k, r->ndone, r->nfailed, r->n);
}

/* ---- selection and readiness ------------------------------------------------ */

static bool selected(const struct plan *p, const struct promote_opts *o, int project)
{
	bool ok = o->nwaves == 0;
	for (size_t i = 0; i < o->nwaves; i++)
		if (o->waves[i] == p->projects[project].wave)
			ok = true;
	if (!ok)
		return false;
	if (o->nprojects == 0)
		return true;
	for (size_t i = 0; i < o->nprojects; i++)
		if (o->projects[i] == project)
			return true;
	return false;
}

static bool may_override_freeze(const struct plan *p, const struct promote_opts *o, int env)
{
	int who;
	if (!o->override_freeze || !o->actor)
		return false;
	who = plan_person_index(p, o->actor);
	if (who < 0)
		return false;
	for (size_t i = 0; i < p->envs[env].nfreeze_override; i++)
		if (plan_person_has_role(&p->people[who], p->envs[env].freeze_override[i]))
			return true;
	return false;
}

static void add_notready(struct promote_report *rep, int project, char *summary)
{
	ALLOC_GROW(rep->notready, rep->nnotready + 1, rep->notready_alloc);
	rep->notready[rep->nnotready].project = project;
	rep->notready[rep->nnotready].summary = summary;
	rep->nnotready++;
}

/* "gates, checklist: <first detail>" */
static char *readiness_summary(struct ready_ctx *rc, int project, int env, const bool *ok)
{
	struct ready_result full;
	struct strbuf sb = STRBUF_INIT;
	const char *first = NULL;

	ready_check(rc, project, env, true, &full);
	for (int k = 0; k < RULE_COUNT; k++) {
		if (ok[k])
			continue;
		if (sb.len)
			strbuf_addstr(&sb, ", ");
		strbuf_addstr(&sb, ready_rule_name((enum ready_rule)k));
		if (!first && full.rules[k].detail)
			first = full.rules[k].detail;
	}
	if (first)
		strbuf_addf(&sb, ": %s", first);
	ready_result_release(&full);
	return strbuf_detach(&sb);
}

/* Past duration of deploy + verify per project in env, seconds (the average
 * deploy plus the average verify of its last runs); -1 unknown. */
static void past_durations(struct prun *r, double *dur)
{
	static const char *const steps[] = { "deploy", "verify" };
	size_t np = r->plan->nprojects;
	double *sum = xcalloc(np * ARRAY_SIZE(steps) + 1, sizeof(*sum));
	int *cnt = xcalloc(np * ARRAY_SIZE(steps) + 1, sizeof(*cnt));

	for (size_t k = 0; k < ARRAY_SIZE(steps); k++) {
		struct store_step_runs l;
		struct err e;
		err_init(&e);
		if (store_list_step_runs(r->c.store, NULL, r->plan->envs[r->env].name, steps[k],
					 20000, &l, &e) < 0)
			continue;
		for (size_t i = 0; i < l.n; i++) {
			int pi;
			size_t at;
			if (!l.v[i].ended || l.v[i].ended < l.v[i].started || l.v[i].exit_status != 0)
				continue;
			pi = plan_project_index(r->plan, l.v[i].project);
			if (pi < 0)
				continue;
			at = (size_t)pi * ARRAY_SIZE(steps) + k;
			if (cnt[at] >= 5)
				continue;
			/* milliseconds when the store has them (schema 2) */
			sum[at] += l.v[i].duration_ms > 0 ? (double)l.v[i].duration_ms / 1000.0
							  : (double)(l.v[i].ended - l.v[i].started);
			cnt[at]++;
		}
		store_step_runs_release(&l);
	}
	for (size_t i = 0; i < np; i++) {
		dur[i] = -1;
		for (size_t k = 0; k < ARRAY_SIZE(steps); k++) {
			size_t at = i * ARRAY_SIZE(steps) + k;
			if (cnt[at])
				dur[i] = (dur[i] < 0 ? 0 : dur[i]) + sum[at] / cnt[at];
		}
	}
	free(sum);
	free(cnt);
}

/* Weights and critical-path priorities (longest remaining chain, self
 * included), computed dependents-first. */
static void plan_priorities(struct prun *r)
{
	double *dur = xcalloc(r->plan->nprojects, sizeof(*dur));
	past_durations(r, dur);
	for (size_t i = 0; i < r->n; i++) {
		double d = dur[r->v[i].project];
		/* known: the average in seconds (at least 10 ms: starting a
		 * step costs something); unknown: 1 */
		r->v[i].weight = d < 0 ? 1.0 : (d < 0.01 ? 0.01 : d);
	}
	free(dur);
	/* v is in topological order: walk it backwards */
	for (size_t k = r->n; k-- > 0;) {
		struct rp *rp = &r->v[k];
		double best = 0;
		for (size_t j = 0; j < rp->ndependents; j++)
			if (r->v[rp->dependents[j]].prio > best)
				best = r->v[rp->dependents[j]].prio;
		rp->prio = rp->weight + best;
	}
}

static void add_planned(struct promote_report *rep, int project, const char *version)
{
	rep->planned = xrealloc(rep->planned, (rep->nplanned + 1) * sizeof(*rep->planned));
	rep->planned_version = xrealloc(rep->planned_version,
					(rep->nplanned + 1) * sizeof(*rep->planned_version));
	rep->planned[rep->nplanned] = project;
	rep->planned_version[rep->nplanned] = xstrdup(version ? version : "");
	rep->nplanned++;
}

/* The order a run would start things in, one at a time: for --dry-run. */
static void simulate_order(struct prun *r)
{
	int *left = xcalloc(r->n ? r->n : 1, sizeof(*left));
	for (size_t i = 0; i < r->n; i++)
		left[i] = r->v[i].ndeps_left;
	r->nheap = 0;
	for (size_t i = 0; i < r->n; i++)
		if (!left[i])
			heap_push(r, i);
	while (r->nheap) {
		size_t i = heap_pop(r);
		r->v[i].st = RP_PENDING;
		add_planned(r->rep, r->v[i].project, r->v[i].version);
		for (size_t j = 0; j < r->v[i].ndependents; j++)
			if (--left[r->v[i].dependents[j]] == 0)
				heap_push(r, (size_t)r->v[i].dependents[j]);
	}
	free(left);
}

/* Repair every selected pair a dead runner left deploying/verifying. */
static int repair_pass(struct prun *r, const struct state *st, bool *busy, struct err *e)
{
	const struct plan *p = r->plan;
	for (size_t pi = 0; pi < p->nprojects; pi++) {
		const struct state_cell *cell = state_cell(st, (int)pi, r->env);
		char why[512];
		int rr;
		if (!selected(p, r->o, (int)pi))
			continue;
		if (cell->state != PROMO_DEPLOYING && cell->state != PROMO_VERIFYING)
			continue;
		rr = promote_repair_pair(&r->c, (int)pi, r->env, why, sizeof(why), e);
		if (rr < 0)
			return -1;
		if (rr == REPAIR_BUSY) {
			busy[pi] = true;
			add_notready(r->rep, (int)pi, xstrdup(why));
		} else if (rr == REPAIR_DONE) {
			r->rep->nrepaired++;
			if (r->o->obs && r->o->obs->note)
				r->o->obs->note(r->o->obs->ctx, p->projects[pi].id, why);
		}
	}
	return 0;
}

static int choose(struct prun *r, struct state *st, const bool *busy, struct err *e)
{
	const struct plan *p = r->plan;
	struct ready_ctx rc;
	bool override = may_override_freeze(p, r->o, r->env);
	int rc_out = 0;

	ready_ctx_init(&rc, p, st, pclock_now(&r->c.clock));
	r->v = xcalloc(p->nprojects ? p->nprojects : 1, sizeof(*r->v));
	for (size_t k = 0; k < p->nprojects; k++) {
		int pi = p->topo ? p->topo[k] : (int)k;
		struct ready_result res;
		bool ok[RULE_COUNT], all = true;
		const struct state_cell *dst = state_cell(st, pi, r->env);
		const struct state_cell *src = state_cell(st, pi, r->env - 1);

		if (!selected(p, r->o, pi) || busy[pi])
			continue;
		ready_check(&rc, pi, r->env, false, &res);
		for (int j = 0; j < RULE_COUNT; j++)
			ok[j] = res.rules[j].ok;
		/* an interrupted promotion of the same version is retried */
		if (!ok[RULE_SOURCE] && dst->state == PROMO_INTERRUPTED &&
		    src->state == PROMO_HEALTHY && src->version && dst->version &&
		    !strcmp(src->version, dst->version)) {
			ok[RULE_SOURCE] = true;
			res.version = src->version;
		}
		if (!ok[RULE_FREEZE] && override)
			ok[RULE_FREEZE] = true;
		if (!ok[RULE_DEPENDS_ON]) {
			const struct plan_refs *d = &p->projects[pi].depends_on;
			bool met = true;
			for (size_t j = 0; j < d->n; j++) {
				int dep = d->idx[j];
				if (dep < 0 || ready_is_live(state_cell(st, dep, r->env)->state))
					continue;
				if (r->rp_of[dep] < 0)
					met = false;
			}
			ok[RULE_DEPENDS_ON] = met;
		}
		for (int j = 0; j < RULE_COUNT; j++)
			all = all && ok[j];
		if (all && dst->state == PROMO_ROLLED_BACK && !r->o->retry_held) {
			int held = promote_held(r->c.store, p->projects[pi].id, p->envs[r->env].name,
						pclock_now(&r->c.clock), e);
			if (held < 0) {
				ready_result_release(&res);
				rc_out = -1;
				break;
			}
			if (held > 0) {
				add_notready(r->rep, pi,
					     xasprintf("held: rolled back %d times in the last %dh; "
						       "look at it, then let it run with "
						       "'promote --retry-held --as PERSON'",
						       held, PROMOTE_HOLD_WINDOW / 3600));
				ready_result_release(&res);
				continue;
			}
		}
		if (!all) {
			add_notready(r->rep, pi, readiness_summary(&rc, pi, r->env, ok));
			ready_result_release(&res);
			continue;
		}
		{
			struct rp *rp = &r->v[r->n];
			const struct plan_refs *d = &p->projects[pi].depends_on;
			const char *live = promote_live_version((enum store_state)dst->state,
								dst->version, dst->previous);
			rp->project = pi;
			rp->version = xstrdup(res.version ? res.version : "");
			rp->previous = live ? xstrdup(live) : NULL;
			r->rp_of[pi] = (int)r->n;
			for (size_t j = 0; j < d->n; j++) {
				int dep = d->idx[j];
				struct rp *dr;
				if (dep < 0 || r->rp_of[dep] < 0 ||
				    ready_is_live(state_cell(st, dep, r->env)->state))
					continue;
				dr = &r->v[r->rp_of[dep]];
				ALLOC_GROW(dr->dependents, dr->ndependents + 1, dr->dependents_alloc);
				dr->dependents[dr->ndependents++] = (int)r->n;
				rp->ndeps_left++;
			}
			r->n++;
		}
		ready_result_release(&res);
	}
	ready_ctx_release(&rc);
	return rc_out;
}

static void run_release(struct prun *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].version);
		free(r->v[i].previous);
		free(r->v[i].dependents);
		free(r->v[i].fail_detail);
		free(r->v[i].log);
		penv_release(&r->v[i].pe);
	}
	free(r->v);
	free(r->rp_of);
	free(r->heap);
	free(r->cont);
	free(r->trigs);
	store_incidents_release(&r->pauses);
	free(r->running_buf);
	free(r->pending);
	pctx_release(&r->c);
}

/* After a cancel: what was started and not finished is interrupted. */
static void settle_unfinished(struct prun *r)
{
	for (size_t i = 0; i < r->n; i++) {
		struct rp *rp = &r->v[i];
		struct err e;
		if (rp->st == RP_DONE)
			continue;
		if (rp->st != RP_ACTIVE) {
			add_result(r, rp, PROMOTE_SKIPPED,
				   r->rep->cancelled ? "not started: cancelled" : "not started");
			continue;
		}
		err_init(&e);
		if (promote_set_state(&r->c, rp->project, r->env, STATE_INTERRUPTED, rp->version,
				      rp->previous, 0,
				      r->rep->cancelled ? "cancelled while running; promote again to retry"
							: "stopped; promote again to retry",
				      "promotion.interrupted", true, &e) < 0)
			store_fail(r, &e);
		rp->has_lease = false;
		add_result(r, rp, PROMOTE_FAILED, "interrupted: cancelled while running");
	}
}

int promote_run(const struct plan *p, struct store *s, int64_t now, const struct promote_opts *o,
		struct promote_report *out, struct err *e)
{
	struct prun r;
	struct state st;
	bool *busy = NULL;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	memset(&r, 0, sizeof(r));
	if (o->env < 1 || (size_t)o->env >= p->nenvs)
		return err_set(e, ERR_USAGE, "promote needs an environment after '%s'",
			       p->envs[0].name);
	if (o->override_freeze) {
		if (!o->reason || !*o->reason)
			return err_set(e, ERR_USAGE, "--override-freeze needs --reason TEXT saying why");
		if (!o->actor)
			return err_set(e, ERR_USAGE, "--override-freeze needs to know who you are; "
						     "use --as PERSON or set TOLLGATE_USER");
		if (!may_override_freeze(p, o, o->env))
			return err_set(e, ERR_NOT_READY,
				       p->envs[o->env].nfreeze_override
					       ? "'%s' holds no role that may override a freeze of '%s' "
						 "(environments[].freeze_override)"
					       : "nobody may override a freeze of '%s'; the plan lists no "
						 "environments[].freeze_override roles for it%.0s",
				       p->envs[o->env].nfreeze_override ? o->actor : p->envs[o->env].name,
				       p->envs[o->env].name);
	}
	if (o->retry_held && !o->actor)
		return err_set(e, ERR_USAGE, "--retry-held needs to know who you are; use --as PERSON "
					     "or set TOLLGATE_USER");
	r.plan = p;
	r.o = o;
	r.rep = out;
	r.env = o->env;
	pctx_init(&r.c, p, s, now, o->actor, o->obs, o->cancel);
	snprintf(out->run_id, sizeof(out->run_id), "%s", r.c.run_id);
	r.rp_of = xmalloc((p->nprojects ? p->nprojects : 1) * sizeof(*r.rp_of));
	for (size_t i = 0; i < p->nprojects; i++)
		r.rp_of[i] = -1;
	busy = xcalloc(p->nprojects ? p->nprojects : 1, sizeof(*busy));

	if (state_load(&st, p, s, e) < 0)
		goto out;
	if (!o->dry_run) {
		size_t before = out->nrepaired;
		if (repair_pass(&r, &st, busy, e) < 0) {
			state_release(&st);
			goto out;
		}
		if (out->nrepaired != before) {
			state_release(&st);
			if (state_load(&st, p, s, e) < 0)
				goto out;
		}
	}
	if (choose(&r, &st, busy, e) < 0) {
		state_release(&st);
		goto out;
	}
	state_release(&st);

	r.trigs = xcalloc(p->ntriggers ? p->ntriggers : 1, sizeof(*r.trigs));
	for (size_t t = 0; t < p->ntriggers; t++)
		if (promote_trigger_applies(&p->triggers[t], r.env))
			r.trigs[r.ntrigs++] = t;
	r.heap = xcalloc(r.n ? r.n : 1, sizeof(*r.heap));
	r.cont = xcalloc(r.n ? r.n : 1, sizeof(*r.cont));
	r.running_buf = xcalloc((size_t)(o->jobs > 0 ? o->jobs : 1) + 1, sizeof(*r.running_buf));
	plan_priorities(&r);
	simulate_order(&r);
	if (o->obs && o->obs->selected)
		o->obs->selected(o->obs->ctx, out);
	if (o->dry_run || r.n == 0) {
		rc = 0;
		goto out;
	}

	if (o->override_freeze) {
		int64_t fz_now = pclock_now(&r.c.clock);
		bool frozen = false;
		for (size_t k = 0; k < p->envs[r.env].nfreeze; k++)
			if (fz_now >= p->envs[r.env].freeze[k].from && fz_now < p->envs[r.env].freeze[k].to)
				frozen = true;
		if (frozen) {
			if (store_begin_change(s, fz_now, o->actor, "freeze.override", p->envs[r.env].name,
					       NULL, e) < 0)
				goto out;
			store_change_detail(s, "promotion to %s during a freeze (run %s): %s",
					    p->envs[r.env].name, r.c.run_id, o->reason);
			if (store_commit_change(s, NULL, e) < 0)
				goto out;
		}
	}

	r.nheap = 0;
	for (size_t i = 0; i < r.n; i++)
		if (!r.v[i].ndeps_left)
			heap_push(&r, i);
	check_pause(&r, true);
	{
		struct exec_opts eo = { 0 };
		struct err xe;
		int xr;
		err_init(&xe);
		eo.max_jobs = o->jobs > 0 ? o->jobs : 1;
		eo.next_task = next_task;
		eo.on_start = on_start;
		eo.on_finish = on_finish;
		eo.on_tick = on_tick;
		eo.cancel = o->cancel;
		eo.cancel_policy = EXEC_CANCEL_FINISH;
		eo.cb = &r;
		r.last_renew_ms = exec_mono_ms();
		xr = exec_run_parallel(&eo, &xe);
		if (xr == 1)
			out->cancelled = true;
		settle_unfinished(&r);
		if (xr < 0) {
			*e = xe;
			goto out;
		}
	}
	if (r.store_failed) {
		*e = r.err;
		goto out;
	}
	rc = 0;
out:
	free(busy);
	run_release(&r);
	return rc;
}

/* ---- the hold rule ------------------------------------------------------------ */

int promote_held(struct store *s, const char *project, const char *env, int64_t now,
		 struct err *e)
{
	struct store_history h;
	int count = 0;

	if (store_promotion_history(s, project, env, &h, e) < 0)
		return -1;
	/* rollbacks in the window since the pair was last soaking or healthy */
	for (size_t i = 0; i < h.n; i++) {
		if (h.v[i].state == STATE_SOAKING || h.v[i].state == STATE_HEALTHY)
			count = 0;
		else if (h.v[i].state == STATE_ROLLED_BACK && h.v[i].since > now - PROMOTE_HOLD_WINDOW)
			count++;
	}
	store_history_release(&h);
	return count >= PROMOTE_HOLD_COUNT ? count : 0;
}
