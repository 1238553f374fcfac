/*
 * promote-common.c - what promote, soak and rollback share: the run context
 * (a clock that moves on from the app's now, the run id, the host, the log
 * folder), the environment of a step (SPEC §6: values only through
 * environment variables), judging a trigger's measure, running one step to
 * its end, and the one-change writes of a promotion's state and of an
 * incident opened by a breached trigger.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/promote-internal.h"
#include "plan/plan.h"

void pclock_init(struct pclock *c, int64_t now)
{
	c->base = now;
	c->mono0_ms = exec_mono_ms();
}

int64_t pclock_now(const struct pclock *c)
{
	return c->base + (exec_mono_ms() - c->mono0_ms) / 1000;
}

/* Runs started by this process: with the random part, keeps run ids of one
 * process distinct even when many start in the same second. */
static atomic_uint run_seq;

void pctx_init(struct pctx *c, const struct plan *p, struct store *s, int64_t now,
	       const char *actor, const struct promote_observer *obs,
	       const struct cancel_token *cancel)
{
	char t[32], compact[32];
	unsigned rnd = 0;
	size_t k = 0;

	memset(c, 0, sizeof(*c));
	c->plan = p;
	c->store = s;
	pclock_init(&c->clock, now);
	c->pid = (long)getpid();
	if (gethostname(c->host, sizeof(c->host) - 1) < 0 || !c->host[0])
		snprintf(c->host, sizeof(c->host), "localhost");
	c->actor = actor && *actor ? actor : "tollgate";
	c->obs = obs;
	c->cancel = cancel;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (unsigned)exec_wall_ms() ^ (unsigned)c->pid << 16;
	/* 20260110T090000Z-12345-1a2b3c: sortable, unique per process */
	util_fmt_time(now, t, sizeof(t));
	for (const char *q = t; *q && k + 1 < sizeof(compact); q++)
		if (*q != '-' && *q != ':')
			compact[k++] = *q;
	compact[k] = '\0';
	do {
		unsigned n = atomic_fetch_add(&run_seq, 1);
		snprintf(c->run_id, sizeof(c->run_id), "%s-%ld-%04x%02x", compact, c->pid,
			 rnd & 0xffff, n & 0xff);
		rnd += n >> 8;
	} while (promote_runs_live(c->run_id));
	promote_runs_add(c->run_id);
	c->log_dir = xasprintf("%s/runs/%s", store_log_dir(s), c->run_id);
	c->unset = promote_env_unset_for(p);
}

void pctx_release(struct pctx *c)
{
	if (c->run_id[0])
		promote_runs_remove(c->run_id);
	c->run_id[0] = '\0';
	free(c->log_dir);
	c->log_dir = NULL;
	free(c->unset);
	c->unset = NULL;
}

int64_t promote_timeout_ms(int64_t seconds)
{
	/* the loader gives every step a timeout (PLAN_TIMEOUT_DEFAULT when the
	 * plan names none), and the plan cache refuses one <= 0 */
	if (seconds <= 0)
		BUG("a step without a timeout (%lld s)", (long long)seconds);
	return seconds * 1000;
}

/* <store log dir>/runs/<run id>: the two levels tollgate makes, with the
 * plan's store_mode (0700), never through a symlink (the store's own folder
 * is the user's choice) */
static int make_run_dir(const struct plan *p, const char *log_dir)
{
	char *runs = xstrdup(log_dir);
	char *slash = strrchr(runs, '/');
	unsigned mode = plan_dir_mode(p);
	int rc = 0;
	if (slash) {
		*slash = '\0';
		rc = util_mkdir_mode(runs, mode, plan_store_mode_set(p));
	}
	free(runs);
	return rc < 0 ? -1 : util_mkdir_mode(log_dir, mode, false);
}

char *pctx_log_path(struct pctx *c, int project, int env, const char *step)
{
	if (!c->log_dir_made) {
		if (make_run_dir(c->plan, c->log_dir) < 0) {
			/* the run goes on without logs; say so once */
			if (!c->log_dir_failed && c->obs && c->obs->note) {
				char *why = xasprintf("step logs are not kept: cannot use '%s': %s",
						      c->log_dir,
						      errno == ELOOP ? "a symlink is in the way; tollgate "
								       "writes only to real folders"
								     : strerror(errno));
				c->obs->note(c->obs->ctx, NULL, why);
				free(why);
			}
			c->log_dir_failed = true;
			return NULL;
		}
		c->log_dir_made = true;
	}
	return xasprintf("%s/%s.%s.%s.log", c->log_dir, c->plan->projects[project].id,
			 c->plan->envs[env].name, step);
}

char *promote_log_path(const struct store *s, const char *run_id, const char *project,
		       const char *env, const char *step)
{
	return xasprintf("%s/runs/%s/%s.%s.%s.log", store_log_dir(s), run_id, project, env, step);
}

void pctx_lease(const struct pctx *c, struct store_lease *l, long pgid)
{
	memset(l, 0, sizeof(*l));
	snprintf(l->host, sizeof(l->host), "%s", c->host);
	l->pid = c->pid;
	l->pgid = pgid;
	snprintf(l->run_id, sizeof(l->run_id), "%s", c->run_id);
	l->expires = pclock_now(&c->clock) + PROMOTE_LEASE_TTL;
}

void penv_init(struct penv *pe)
{
	memset(pe, 0, sizeof(*pe));
}

void penv_add(struct penv *pe, const char *name, const char *value)
{
	if (pe->n >= PENV_MAX)
		BUG("a step environment holds at most %d variables", PENV_MAX);
	pe->owned[pe->n] = xasprintf("%s=%s", name, value ? value : "");
	pe->v[pe->n] = pe->owned[pe->n];
	pe->n++;
	pe->v[pe->n] = NULL;
}

void penv_build(struct penv *pe, const struct pctx *c, int project, int env, const char *version,
		const char *previous, const char *step)
{
	const struct plan *p = c->plan;

	penv_init(pe);
	penv_add(pe, "TOLLGATE_PROJECT", p->projects[project].id);
	penv_add(pe, "TOLLGATE_ENV", p->envs[env].name);
	penv_add(pe, "TOLLGATE_VERSION", version);
	penv_add(pe, "TOLLGATE_PREVIOUS_VERSION", previous);
	penv_add(pe, "TOLLGATE_ACCOUNT", p->envs[env].account);
	penv_add(pe, "TOLLGATE_PLAN_ID", p->id);
	penv_add(pe, "TOLLGATE_RUN_ID", c->run_id);
	penv_add(pe, "TOLLGATE_STEP", step);
}

static const char *const promote_env_unset[] = { "TOLLGATE_DB", "PG*", NULL };

const char **promote_env_unset_for(const struct plan *p)
{
	size_t n = ARRAY_SIZE(promote_env_unset) - 1, k = 0;
	const char **v = xcalloc(n + p->nsecrets + 3 * p->nchannels + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[k++] = promote_env_unset[i];
	for (size_t i = 0; i < p->nsecrets; i++)
		v[k++] = p->secrets[i];
	/* a channel's URL and secret (docs/notify.md) are tollgate's, not a step's */
	for (size_t i = 0; i < p->nchannels; i++) {
		const struct plan_channel *ch = &p->channels[i];
		const char *names[] = { ch->url_env, ch->secret_env, ch->smtp_env };
		for (size_t j = 0; j < 3; j++)
			if (names[j])
				v[k++] = names[j];
	}
	v[k] = NULL;
	return v;
}

void penv_release(struct penv *pe)
{
	for (size_t i = 0; i < pe->n; i++)
		free(pe->owned[i]);
	memset(pe, 0, sizeof(*pe));
}

const char *promote_live_version(enum store_state st, const char *version, const char *previous)
{
	switch (st) {
	case STATE_HEALTHY:
	case STATE_SOAKING:
		return version;
	case STATE_NONE:
		return NULL;
	default:
		/* rolled-back: the restored one; deploying, verifying, interrupted,
		 * failed: the one a rollback would restore */
		return previous;
	}
}

bool promote_measure_breached(const struct plan_trigger *t, const struct exec_task *task,
			      const struct exec_result *r, char *why, size_t n)
{
	char how[200];
	const char *s;
	char *end;
	double v;

	if (!exec_result_ok(r)) {
		snprintf(why, n, "trigger '%s': the measure %s", t->id,
			 exec_result_describe(r, task, how, sizeof(how)));
		return true;
	}
	s = r->out ? r->out : "";
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || isnan(v)) {
		snprintf(why, n, "trigger '%s': the measure printed no number", t->id);
		return true;
	}
	while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r' || *end == '%')
		end++;
	if (*end) {
		snprintf(why, n, "trigger '%s': the measure printed no number", t->id);
		return true;
	}
	if (t->has_above && v > t->above) {
		snprintf(why, n, "trigger '%s' breached: measured %g, above %g", t->id, v, t->above);
		return true;
	}
	if (t->has_below && v < t->below) {
		snprintf(why, n, "trigger '%s' breached: measured %g, below %g", t->id, v, t->below);
		return true;
	}
	snprintf(why, n, "trigger '%s': measured %g", t->id, v);
	return false;
}

/* One task through the parallel runner, so the run's cancel token reaches it. */
struct one_step {
	const struct exec_task *task;
	struct exec_result *res;
	bool given;
};

static int one_next(void *cb, struct exec_task *out)
{
	struct one_step *o = cb;
	if (o->given)
		return -1;
	o->given = true;
	*out = *o->task;
	return 1;
}

static void one_finish(void *cb, const struct exec_task *t, const struct exec_result *r)
{
	struct one_step *o = cb;
	(void)t;
	*o->res = *r;
	/* the runner releases its copy: keep ours */
	o->res->tail = r->tail ? xstrndup(r->tail, r->tail_len) : NULL;
	o->res->out = r->out ? xstrndup(r->out, r->out_len) : NULL;
}

int promote_step_sync(struct pctx *c, int project, int env, const char *step, const char *cmd,
		      int64_t timeout_s, const char *version, const char *previous, bool capture,
		      struct exec_result *r, char **log_path, struct err *e)
{
	struct exec_task t = { 0 };
	struct store_step_run sr = { 0 };
	struct penv pe;
	char *log = pctx_log_path(c, project, env, step);
	struct one_step one = { &t, r, false };
	struct exec_opts eo = { 0 };
	struct err ig;
	int rc;

	penv_build(&pe, c, project, env, version, previous, step);
	t.cmd = cmd;
	t.cwd = c->plan->dir;
	t.env = pe.v;
	t.unset = c->unset;
	t.timeout_ms = promote_timeout_ms(timeout_s);
	t.log_path = log;
	t.log_lazy = true;
	t.log_mode = plan_file_mode(c->plan);
	t.capture_stdout = capture;
	eo.max_jobs = 1;
	eo.next_task = one_next;
	eo.on_finish = one_finish;
	eo.cancel = c->cancel;
	eo.cancel_policy = EXEC_CANCEL_FINISH;
	eo.cb = &one;
	exec_result_init(r);
	if (c->obs && c->obs->step_start)
		c->obs->step_start(c->obs->ctx, c->plan->projects[project].id, step);
	rc = exec_run_parallel(&eo, e) < 0 ? -1 : 0;
	if (rc == 0 && !one.given) {
		/* cancelled before it started */
		r->cancelled = true;
		snprintf(r->spawn_error, sizeof(r->spawn_error), "cancelled before it started");
		r->spawn_errno = ECANCELED;
	}
	if (rc == 0 && r->spawn_errno)
		rc = err_setr(e, ERR_FAILED, r->cancelled ? REASON_CANCELLED : REASON_FAILED, "%s",
			      r->spawn_error);
	sr.run_id = c->run_id;
	sr.project = c->plan->projects[project].id;
	sr.env = c->plan->envs[env].name;
	sr.step = step;
	sr.started = r->start_wall_ms ? r->start_wall_ms / 1000 : pclock_now(&c->clock);
	sr.ended = r->end_wall_ms ? r->end_wall_ms / 1000 : sr.started;
	sr.exit_status = r->exit_code;
	sr.log_path = log && access(log, F_OK) == 0 ? log : NULL;
	sr.duration_ms = exec_result_ms(r);
	err_init(&ig);
	store_put_step_run(c->store, &sr, &ig);
	if (c->obs && c->obs->step_end) {
		char how[200];
		bool ok = rc == 0 && exec_result_ok(r);
		exec_result_describe(r, &t, how, sizeof(how));
		c->obs->step_end(c->obs->ctx, c->plan->projects[project].id, step, ok, how,
				 r->tail ? r->tail : "", log, exec_result_ms(r));
	}
	penv_release(&pe);
	if (log_path)
		*log_path = log;
	else
		free(log);
	return rc;
}

int promote_open_incident(struct pctx *c, int level, int env, int project, const char *text,
			  int64_t *id_out, struct err *e)
{
	const struct plan *p = c->plan;
	char *subject = xasprintf("%s@%s", p->projects[project].id, p->envs[env].name);
	int rc = -1;

	if (store_begin_change(c->store, pclock_now(&c->clock), "tollgate", "incident.open", subject,
			       NULL, e) < 0)
		goto out;
	if (store_open_incident(c->store, level, p->envs[env].name, p->projects[project].id, text,
				"tollgate", id_out, e) < 0) {
		store_abort_change(c->store);
		goto out;
	}
	store_change_detail(c->store, "incident %lld, level %d: %s", (long long)*id_out, level, text);
	rc = store_commit_change(c->store, NULL, e);
out:
	free(subject);
	return rc;
}

int promote_reject_failed(struct store *s, const struct plan *p, int project, int env,
			  enum store_state st, const char *version, const char *detail,
			  const char *actor, struct err *e)
{
	struct store_rejection r = { 0 };
	if ((st != STATE_ROLLED_BACK && st != STATE_FAILED) || !version || !*version)
		return 0;
	r.project = p->projects[project].id;
	r.version = version;
	r.env = p->envs[env].name;
	r.kind = st == STATE_ROLLED_BACK ? "rolled-back" : "failed";
	r.reason = detail;
	r.by = actor;
	return store_reject(s, &r, e);
}

int promote_set_state(struct pctx *c, int project, int env, enum store_state st,
		      const char *version, const char *previous, int64_t soak_until,
		      const char *detail, const char *action, bool release, struct err *e)
{
	const struct plan *p = c->plan;
	struct store_promotion pr = { 0 };
	char act[64], subject[300];

	if (!action) {
		snprintf(act, sizeof(act), "promotion.%s", store_state_name(st));
		action = act;
	}
	snprintf(subject, sizeof(subject), "%s@%s", p->projects[project].id, p->envs[env].name);
	if (store_begin_change(c->store, pclock_now(&c->clock), c->actor, action, subject, NULL, e) < 0)
		return -1;
	pr.project = p->projects[project].id;
	pr.env = p->envs[env].name;
	pr.state = st;
	pr.version = version;
	pr.previous_version = previous;
	pr.run_id = c->run_id;
	pr.soak_until = soak_until;
	pr.detail = detail;
	if (store_set_promotion(c->store, &pr, e) < 0 ||
	    promote_reject_failed(c->store, p, project, env, st, version, detail, c->actor, e) < 0 ||
	    (release && store_lease_release(c->store, pr.project, pr.env, c->run_id, e) < 0)) {
		store_abort_change(c->store);
		return -1;
	}
	store_change_detail(c->store, "version %s%s%s%s%s (run %s)", version ? version : "none",
			    previous ? ", previous " : "", previous ? previous : "",
			    detail ? ": " : "", detail ? detail : "", c->run_id);
	return store_commit_change(c->store, NULL, e);
}
