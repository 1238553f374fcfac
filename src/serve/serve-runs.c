/*
 * serve-runs.c - promotions run inside the server: POST /api/v1/promotions
 * starts promote_run (the CLI's scheduler, leases, logs and crash repair) on
 * a thread of its own with a store connection of its own, the token's person
 * as the actor; GET /api/v1/runs/{id} shows a run (its steps as the
 * observer reported them, its report once it ended), or a run of another
 * process from the store's step runs; GET /api/v1/runs/{id}/steps/{project}/
 * {step}/log serves a step's log from where the run wrote it.
 *
 * The request thread waits until the run has made its selection (or failed
 * before it): a refusal (the person's rights, a freeze, a store failure) is
 * then the request's answer, and a run that started is 202 with its id.
 * Each run holds the plan it started with (serve_plan_hold) so that a reload
 * never frees a plan under a running thread. The registry keeps at most
 * RUNS_RUNNING runs going and the last RUNS_KEPT finished ones.
 *
 * Locking: reg->lock guards the registry and every run's fields the
 * observer writes; the run thread never takes s->lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/actions.h"
#include "engine/encode.h"
#include "engine/identity.h"
#include "engine/promote.h"
#include "exec/exec.h"
#include "plan/plan.h"
#include "serve/serve-internal.h"
#include "store/store.h"

#define RUNS_RUNNING 4          /* runs at once; 503 beyond */
#define RUNS_KEPT 64            /* finished runs remembered */
#define RUN_NOTES_MAX 64        /* notes (crash repairs …) kept per run */
#define LOG_TAIL_DEFAULT (64 * 1024)
#define LOG_MAX (16 * 1024 * 1024) /* the most of a log one answer holds */

enum run_state { RUN_RUNNING, RUN_DONE, RUN_FAILED, RUN_CANCELLED };
static const char *const run_state_names[] = { "running", "done", "failed", "cancelled" };

struct run_step {
	char *project, *step;
	bool running, ok;
	int64_t started, ended;
	char *outcome; /* how it ended ("ok", "exited with status 1" …) */
	char *log;     /* the step's log file, as the run names it; NULL none */
};

struct srun {
	struct serve_runs *reg;
	char id[64]; /* "" until the run has its id (selection) */
	char location[128];
	enum run_state state;
	pthread_t thread;
	bool joinable;
	struct plan *plan;   /* held */
	struct store *store; /* the run's own connection */
	struct cancel_token cancel;
	struct promote_opts o;
	struct promote_observer obs;
	int *waves, *projects;
	char *actor, *auth, *reason, *env;
	int64_t now, mono0, started, ended;
	struct run_step *steps;
	size_t nsteps, steps_alloc;
	char **notes;
	size_t nnotes, notes_alloc;
	bool selected;  /* the selection is made: accepted (or nplanned == 0) */
	size_t nplanned;
	bool all_up_to_date;
	char *accepted; /* the 202 body */
	char *report;   /* encode_promote_report, once it ended */
	bool ended_run; /* promote_run returned */
	struct err err; /* when it returned -1 */
};

struct held_plan {
	struct plan *plan;
	unsigned refs;
	bool retired;
};

struct serve_runs {
	pthread_mutex_t lock;
	pthread_mutex_t reap_lock; /* one reaper at a time (joins happen outside lock) */
	pthread_cond_t cond;
	struct srun **v;
	size_t n, alloc;
	size_t running;
	struct held_plan *plans;
	size_t nplans, plans_alloc;
	uint64_t ended_total[4]; /* by run_state */
};

/* ---- plans held -------------------------------------------------------------- */

struct plan *serve_bg_plan(struct serve *s, char **plan_id, struct store **ws, size_t n,
			   struct err *e)
{
	struct plan *p;

	pthread_mutex_lock(&s->lock);
	p = s->plan;
	serve_plan_hold(s->runs, p);
	if (*plan_id && strcmp(*plan_id, p->id)) {
		/* a reload changed the plan's id: the connections' state is another's */
		for (size_t i = 0; i < n; i++) {
			store_close(ws[i]);
			ws[i] = NULL;
		}
	}
	free(*plan_id);
	*plan_id = xstrdup(p->id);
	if (!ws[0] && store_open_writer(s->store, &ws[0], e) < 0)
		ws[0] = NULL;
	pthread_mutex_unlock(&s->lock);
	return p;
}

void serve_plan_hold(struct serve_runs *reg, struct plan *p)
{
	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->nplans; i++)
		if (reg->plans[i].plan == p) {
			reg->plans[i].refs++;
			pthread_mutex_unlock(&reg->lock);
			return;
		}
	ALLOC_GROW(reg->plans, reg->nplans + 1, reg->plans_alloc);
	reg->plans[reg->nplans++] = (struct held_plan){ p, 1, false };
	pthread_mutex_unlock(&reg->lock);
}

void serve_plan_put(struct serve_runs *reg, struct plan *p)
{
	struct plan *gone = NULL;
	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->nplans; i++) {
		struct held_plan *h = &reg->plans[i];
		if (h->plan != p)
			continue;
		if (--h->refs == 0) {
			if (h->retired)
				gone = p;
			reg->plans[i] = reg->plans[--reg->nplans];
		}
		break;
	}
	pthread_mutex_unlock(&reg->lock);
	plan_free(gone);
}

bool serve_plan_retire(struct serve_runs *reg, struct plan *p)
{
	bool free_now = true;
	if (!reg)
		return true;
	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->nplans; i++)
		if (reg->plans[i].plan == p) {
			reg->plans[i].retired = true;
			free_now = false;
		}
	pthread_mutex_unlock(&reg->lock);
	return free_now;
}

/* ---- the registry -------------------------------------------------------------- */

struct serve_runs *serve_runs_new(void)
{
	struct serve_runs *reg = xcalloc(1, sizeof(*reg));
	pthread_mutex_init(&reg->lock, NULL);
	pthread_mutex_init(&reg->reap_lock, NULL);
	pthread_cond_init(&reg->cond, NULL);
	return reg;
}

static void run_free(struct srun *run)
{
	for (size_t i = 0; i < run->nsteps; i++) {
		free(run->steps[i].project);
		free(run->steps[i].step);
		free(run->steps[i].outcome);
		free(run->steps[i].log);
	}
	free(run->steps);
	for (size_t i = 0; i < run->nnotes; i++)
		free(run->notes[i]);
	free(run->notes);
	free(run->waves);
	free(run->projects);
	free(run->actor);
	free(run->auth);
	free(run->reason);
	free(run->env);
	free(run->accepted);
	free(run->report);
	free(run);
}

/* Join the threads of ended runs and forget the oldest finished runs beyond
 * RUNS_KEPT (and, with `all`, every run: the server stops). Not under
 * reg->lock. */
static void reap(struct serve_runs *reg, bool all)
{
	size_t finished = 0;

	pthread_mutex_lock(&reg->reap_lock);
	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->n; i++) {
		struct srun *run = reg->v[i];
		if (run->ended_run && run->joinable) {
			/* it touches nothing of the run any more: the join is short */
			pthread_t t = run->thread;
			run->joinable = false;
			pthread_mutex_unlock(&reg->lock);
			pthread_join(t, NULL);
			pthread_mutex_lock(&reg->lock);
		}
		if (run->ended_run && !run->joinable)
			finished++;
	}
	for (size_t i = 0; i < reg->n && (all || finished > RUNS_KEPT);) {
		struct srun *run = reg->v[i];
		if (!run->ended_run || run->joinable) {
			i++;
			continue;
		}
		run_free(run);
		memmove(&reg->v[i], &reg->v[i + 1], (reg->n - i - 1) * sizeof(*reg->v));
		reg->n--;
		finished--;
	}
	pthread_mutex_unlock(&reg->lock);
	pthread_mutex_unlock(&reg->reap_lock);
}

void serve_runs_free(struct serve_runs *reg)
{
	if (!reg)
		return;
	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->n; i++)
		cancel_raise(&reg->v[i]->cancel, 2);
	while (reg->running)
		pthread_cond_wait(&reg->cond, &reg->lock);
	pthread_mutex_unlock(&reg->lock);
	reap(reg, true);
	for (size_t i = 0; i < reg->nplans; i++)
		if (reg->plans[i].retired)
			plan_free(reg->plans[i].plan);
	free(reg->plans);
	free(reg->v);
	pthread_cond_destroy(&reg->cond);
	pthread_mutex_destroy(&reg->reap_lock);
	pthread_mutex_destroy(&reg->lock);
	free(reg);
}

void serve_runs_drain(struct serve *s, const sigset_t *set, unsigned timeout_s)
{
	struct serve_runs *reg = s->runs;
	int64_t deadline = exec_mono_ms() + (int64_t)timeout_s * 1000;
	bool killed = false;
	size_t running;

	pthread_mutex_lock(&reg->lock);
	for (size_t i = 0; i < reg->n; i++)
		cancel_raise(&reg->v[i]->cancel, 1);
	running = reg->running;
	pthread_mutex_unlock(&reg->lock);
	if (running)
		fprintf(stderr,
			"tollgate: waiting for %zu promotion run%s to finish %s running steps (at most "
			"%u s; SIGTERM again stops them)\n",
			running, running == 1 ? "" : "s", running == 1 ? "its" : "their", timeout_s);
	while (running) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		int sig = sigtimedwait(set, NULL, &ts);
		bool again = sig == SIGTERM || sig == SIGINT;
		if (!killed && (again || exec_mono_ms() >= deadline)) {
			fprintf(stderr, "tollgate: %s: stopping the running steps\n",
				again ? "signalled again" : "the drain timeout passed");
			killed = true;
			pthread_mutex_lock(&reg->lock);
			for (size_t i = 0; i < reg->n; i++)
				cancel_raise(&reg->v[i]->cancel, 2);
			pthread_mutex_unlock(&reg->lock);
		}
		pthread_mutex_lock(&reg->lock);
		running = reg->running;
		pthread_mutex_unlock(&reg->lock);
	}
	reap(reg, false);
}

/* ---- a run's thread and its observer ------------------------------------------- */

static int64_t run_clock(const struct srun *run)
{
	return run->now + (exec_mono_ms() - run->mono0) / 1000;
}

static struct run_step *find_step(struct srun *run, const char *project, const char *step,
				  bool running_only)
{
	for (size_t i = run->nsteps; i-- > 0;) {
		struct run_step *st = &run->steps[i];
		if (!strcmp(st->project, project) && !strcmp(st->step, step) &&
		    (!running_only || st->running))
			return st;
	}
	return NULL;
}

static void on_step_start(void *ctx, const char *project, const char *step)
{
	struct srun *run = ctx;
	struct run_step *st;
	char *log = promote_log_path(run->store, run->id, project, run->env, step);

	pthread_mutex_lock(&run->reg->lock);
	ALLOC_GROW(run->steps, run->nsteps + 1, run->steps_alloc);
	st = &run->steps[run->nsteps++];
	memset(st, 0, sizeof(*st));
	st->project = xstrdup(project);
	st->step = xstrdup(step);
	st->running = true;
	st->started = run_clock(run);
	st->log = log;
	pthread_mutex_unlock(&run->reg->lock);
}

static void on_step_end(void *ctx, const char *project, const char *step, bool ok,
			const char *how, const char *tail, const char *log_path, int64_t ms)
{
	struct srun *run = ctx;
	struct run_step *st;

	(void)tail;
	(void)ms;
	pthread_mutex_lock(&run->reg->lock);
	st = find_step(run, project, step, true);
	if (st) {
		st->running = false;
		st->ok = ok;
		st->ended = run_clock(run);
		st->outcome = xstrdup(ok ? "ok" : how ? how : "failed");
		free(st->log);
		st->log = log_path ? xstrdup(log_path) : NULL;
	}
	pthread_mutex_unlock(&run->reg->lock);
}

static void on_note(void *ctx, const char *project, const char *text)
{
	struct srun *run = ctx;
	pthread_mutex_lock(&run->reg->lock);
	if (run->nnotes < RUN_NOTES_MAX) {
		ALLOC_GROW(run->notes, run->nnotes + 1, run->notes_alloc);
		run->notes[run->nnotes++] =
			project ? xasprintf("%s: %s", project, text) : xstrdup(text);
	}
	pthread_mutex_unlock(&run->reg->lock);
}

/* The selection is made: the request that started the run is answered. */
static void on_selected(void *ctx, const struct promote_report *rep)
{
	struct srun *run = ctx;
	json_t *j = encode_promote_report(run->plan, rep, run->o.env, true);
	struct strbuf sb = STRBUF_INIT;

	json_object_set(j, "planned", json_object_get(j, "plan"));
	json_object_del(j, "plan");
	json_object_del(j, "dry_run");
	json_object_del(j, "results");
	json_object_del(j, "paused");
	json_object_del(j, "cancelled");
	json_object_set_new(j, "state", json_string("running"));
	pthread_mutex_lock(&run->reg->lock);
	snprintf(run->id, sizeof(run->id), "%s", rep->run_id);
	snprintf(run->location, sizeof(run->location), "/api/v1/runs/%s", run->id);
	json_object_set_new(j, "location", json_string(run->location));
	encode_text(j, &sb);
	run->accepted = strbuf_detach(&sb);
	run->nplanned = rep->nplanned;
	run->all_up_to_date = promote_all_up_to_date(rep);
	run->selected = true;
	pthread_cond_broadcast(&run->reg->cond);
	pthread_mutex_unlock(&run->reg->lock);
	json_decref(j);
}

static void *run_main(void *arg)
{
	struct srun *run = arg;
	struct serve_runs *reg = run->reg;
	struct promote_report rep;
	struct strbuf sb = STRBUF_INIT;
	bool cancelled;
	struct err e;
	int rc;

	err_init(&e);
	rc = promote_run(run->plan, run->store, run->now, &run->o, &rep, &e);
	if (run->selected && (rc == 0 || rep.nresults)) {
		json_t *j = encode_promote_report(run->plan, &rep, run->o.env, false);
		encode_text(j, &sb);
		json_decref(j);
	}
	cancelled = rep.cancelled;
	promote_report_release(&rep);
	store_close(run->store);
	run->store = NULL;
	/* the plan may be freed from here (a reload replaced it) */
	serve_plan_put(reg, run->plan);
	pthread_mutex_lock(&reg->lock);
	run->plan = NULL;
	run->report = sb.len ? strbuf_detach(&sb) : NULL;
	run->ended = run_clock(run);
	if (rc < 0) {
		run->state = RUN_FAILED;
		err_copy(&run->err, &e);
	} else {
		run->state = cancelled ? RUN_CANCELLED : RUN_DONE;
	}
	/* a step the run did not see end (the store failed, a kill) */
	for (size_t i = 0; i < run->nsteps; i++)
		if (run->steps[i].running) {
			run->steps[i].running = false;
			run->steps[i].outcome = xstrdup("interrupted");
		}
	if (run->selected && run->nplanned)
		reg->ended_total[run->state]++;
	/* from here the run is the registry's: this thread touches it no more */
	run->ended_run = true;
	reg->running--;
	pthread_cond_broadcast(&reg->cond);
	pthread_mutex_unlock(&reg->lock);
	strbuf_release(&sb);
	return NULL;
}

/* ---- POST /api/v1/promotions ------------------------------------------------------ */

/* members `name` (an array of ids) into indices, through find */
static int ids_of(const struct plan *p, json_t *body, const char *name, int **out, size_t *n,
		  int (*find)(const struct plan *, const char *, struct err *), struct err *e)
{
	json_t *a = json_object_get(body, name), *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!a)
		return 0;
	if (!json_is_array(a))
		return err_setr(e, ERR_USAGE, REASON_INVALID, "'%s' must be an array of ids", name);
	*out = xcalloc(json_array_size(a) + 1, sizeof(**out));
	json_array_foreach(a, i, v) {
		int idx;
		if (!json_is_string(v))
			return err_setr(e, ERR_USAGE, REASON_INVALID,
					"'%s[%zu]' must be a string (an id)", name, i);
		idx = find(p, json_string_value(v), e);
		if (idx < 0)
			return -1;
		(*out)[(*n)++] = idx;
	}
	return 0;
}

static int parse_opts(struct serve *s, const struct serve_request *rq, json_t *body,
		      struct promote_opts *o, int **waves, int **projects, struct err *e)
{
	const char *to;
	int64_t jobs = 4;
	bool present;

	memset(o, 0, sizeof(*o));
	if (serve_json_string(body, "to", true, &to, e) < 0)
		return -1;
	o->env = action_find_env(s->plan, to, e);
	if (o->env < 0)
		return -1;
	if (o->env == 0)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"'%s' is the source environment: versions enter it with "
				"POST /api/v1/versions; promote to a later one",
				s->plan->envs[0].name);
	if (ids_of(s->plan, body, "waves", waves, &o->nwaves, action_find_wave, e) < 0 ||
	    ids_of(s->plan, body, "projects", projects, &o->nprojects, action_find_project, e) < 0)
		return -1;
	o->waves = *waves;
	o->projects = *projects;
	if (serve_json_int(body, "jobs", false, &present, &jobs, e) < 0)
		return -1;
	if (jobs < 1 || jobs > 1024)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"'jobs' must be a number of parallel steps from 1 to 1024");
	o->jobs = (int)jobs;
	if (serve_json_bool(body, "dry_run", NULL, &o->dry_run, e) < 0 ||
	    serve_json_bool(body, "retry_held", NULL, &o->retry_held, e) < 0 ||
	    serve_json_bool(body, "override_freeze", NULL, &o->override_freeze, e) < 0 ||
	    serve_json_string(body, "reason", false, &o->reason, e) < 0)
		return -1;
	o->actor = rq->person;
	return 0;
}

/* A dry run: the plan of the run, on the request's thread (nothing is written). */
static int dry_run(struct serve *s, const struct serve_request *rq, struct promote_opts *o,
		   struct serve_reply *r, struct err *e)
{
	struct promote_report rep;
	int rc;
	if (promote_run(s->plan, s->store, rq->now, o, &rep, e) < 0) {
		promote_report_release(&rep);
		return -1;
	}
	rc = serve_reply_json(s, r, encode_promote_report(s->plan, &rep, o->env, true), true, e);
	promote_report_release(&rep);
	return rc;
}

/* The refusal of a run that selected nothing: as `promote` says it. */
static int nothing_ready(struct serve *s, struct srun *run, struct serve_reply *r,
			 struct err *e)
{
	const char *env = s->plan->envs[run->o.env].name;
	if (run->all_up_to_date && run->report) {
		json_t *j = json_loads(run->report, 0, NULL);
		r->status = 200;
		return serve_reply_json(s, r, j, true, e);
	}
	return err_setr(e, ERR_NOT_READY, REASON_NOT_READY,
			"nothing is ready to promote to '%s'; GET /api/v1/why/{project}/%s says what "
			"is missing",
			env, env);
}

int serve_api_promotions(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			 struct err *e)
{
	static const char *const fields[] = { "to",	    "waves",	  "projects",
					      "jobs",	    "dry_run",	  "retry_held",
					      "override_freeze", "reason", NULL };
	struct serve_runs *reg = s->runs;
	struct promote_opts o;
	struct identity id;
	struct srun *run = NULL;
	struct store *w = NULL;
	int *waves = NULL, *projects = NULL;
	json_t *body;
	int rc = -1;

	body = serve_body_object(rq, fields, false, e);
	if (!body)
		return -1;
	if (parse_opts(s, rq, body, &o, &waves, &projects, e) < 0)
		goto out;
	if (o.dry_run) {
		rc = dry_run(s, rq, &o, r, e);
		goto out;
	}
	if (s->draining || !reg) {
		err_setr(e, ERR_FAILED, REASON_BUSY, "the server is stopping: no new run starts");
		r->retry_after = 5;
		goto out;
	}
	reap(reg, false);
	pthread_mutex_lock(&reg->lock);
	if (reg->running >= RUNS_RUNNING) {
		pthread_mutex_unlock(&reg->lock);
		err_setr(e, ERR_FAILED, REASON_BUSY,
			 "%d promotion runs are going on in this server already; try again when one "
			 "has ended",
			 RUNS_RUNNING);
		r->retry_after = 10;
		goto out;
	}
	pthread_mutex_unlock(&reg->lock);
	if (!rq->person || !rq->token_id) {
		err_setr(e, ERR_USAGE, REASON_FORBIDDEN, "a promotion needs an API token");
		goto out;
	}
	if (identity_from_token(s->plan, rq->person, rq->token_id, &id, e) < 0 ||
	    store_open_writer(s->store, &w, e) < 0)
		goto out;
	store_set_auth(w, id.auth);

	run = xcalloc(1, sizeof(*run));
	run->reg = reg;
	run->plan = s->plan;
	run->store = w;
	w = NULL;
	cancel_init(&run->cancel);
	run->actor = xstrdup(rq->person);
	run->auth = xstrdup(id.auth);
	run->reason = o.reason ? xstrdup(o.reason) : NULL;
	run->env = xstrdup(s->plan->envs[o.env].name);
	run->waves = waves;
	run->projects = projects;
	waves = projects = NULL;
	run->o = o;
	run->o.waves = run->waves;
	run->o.projects = run->projects;
	run->o.actor = run->actor;
	run->o.reason = run->reason;
	run->o.cancel = &run->cancel;
	run->obs = (struct promote_observer){ .ctx = run,
					      .step_start = on_step_start,
					      .step_end = on_step_end,
					      .note = on_note,
					      .selected = on_selected };
	run->o.obs = &run->obs;
	run->now = rq->now;
	run->mono0 = exec_mono_ms();
	run->started = rq->now;
	err_init(&run->err);
	serve_plan_hold(reg, run->plan);

	pthread_mutex_lock(&reg->lock);
	ALLOC_GROW(reg->v, reg->n + 1, reg->alloc);
	reg->v[reg->n++] = run;
	reg->running++;
	if (pthread_create(&run->thread, NULL, run_main, run)) {
		reg->running--;
		reg->n--;
		pthread_mutex_unlock(&reg->lock);
		store_close(run->store);
		serve_plan_put(reg, run->plan);
		run_free(run);
		err_setr(e, ERR_FAILED, REASON_BUSY, "cannot start a thread for the run: %s",
			 strerror(errno));
		goto out;
	}
	run->joinable = true;
	/* the answer waits for the selection: a refusal is this request's */
	while (!run->selected && !run->ended_run)
		pthread_cond_wait(&reg->cond, &reg->lock);
	if (!run->selected) {
		struct err re = run->err;
		bool join;
		/* refused before it began: no run to show */
		pthread_mutex_unlock(&reg->lock);
		pthread_mutex_lock(&reg->reap_lock);
		pthread_mutex_lock(&reg->lock);
		for (size_t i = 0; i < reg->n; i++)
			if (reg->v[i] == run) {
				memmove(&reg->v[i], &reg->v[i + 1], (reg->n - i - 1) * sizeof(*reg->v));
				reg->n--;
				break;
			}
		join = run->joinable;
		run->joinable = false;
		pthread_mutex_unlock(&reg->lock);
		if (join)
			pthread_join(run->thread, NULL);
		pthread_mutex_unlock(&reg->reap_lock);
		run_free(run);
		err_copy(e, &re);
		goto out;
	}
	if (run->nplanned == 0) {
		/* nothing to run: the thread is ending */
		while (!run->ended_run)
			pthread_cond_wait(&reg->cond, &reg->lock);
		pthread_mutex_unlock(&reg->lock);
		rc = nothing_ready(s, run, r, e);
		goto out;
	}
	pthread_mutex_unlock(&reg->lock);
	r->status = 202;
	r->location = run->location;
	rc = serve_reply_json(s, r, json_loads(run->accepted, 0, NULL), true, e);
out:
	store_close(w);
	free(waves);
	free(projects);
	json_decref(body);
	return rc;
}

/* ---- GET /api/v1/runs/{id} ----------------------------------------------------------- */

static bool run_id_ok(const char *id)
{
	size_t n = strlen(id);
	return n > 0 && n < 64 && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					     "0123456789-") == n;
}

static struct srun *find_run(struct serve_runs *reg, const char *id)
{
	for (size_t i = 0; i < reg->n; i++)
		if (reg->v[i]->id[0] && !strcmp(reg->v[i]->id, id))
			return reg->v[i];
	return NULL;
}

static json_t *time_or_null(int64_t t)
{
	return t ? encode_time(t) : json_null();
}

static json_t *step_json(const char *run_id, const char *project, const char *env,
			 const char *step, const char *state, int64_t started, int64_t ended,
			 const char *outcome)
{
	json_t *x = json_object();
	char *log = xasprintf("/api/v1/runs/%s/steps/%s/%s/log", run_id, project, step);
	json_object_set_new(x, "project", json_string(project));
	json_object_set_new(x, "env", json_string(env));
	json_object_set_new(x, "step", json_string(step));
	json_object_set_new(x, "state", json_string(state));
	json_object_set_new(x, "started", time_or_null(started));
	json_object_set_new(x, "ended", time_or_null(ended));
	json_object_set_new(x, "outcome", outcome ? encode_string(outcome) : json_null());
	json_object_set_new(x, "log", json_string(log));
	free(log);
	return x;
}

/* under reg->lock */
static json_t *run_json(const struct srun *run)
{
	json_t *o = json_object(), *steps = json_array(), *notes = json_array();

	json_object_set_new(o, "run", json_string(run->id));
	json_object_set_new(o, "source", json_string("server"));
	json_object_set_new(o, "env", json_string(run->env));
	json_object_set_new(o, "state", json_string(run_state_names[run->state]));
	json_object_set_new(o, "actor", json_string(run->actor));
	json_object_set_new(o, "auth", json_string(run->auth));
	json_object_set_new(o, "started", encode_time(run->started));
	json_object_set_new(o, "ended", run->ended_run ? encode_time(run->ended) : json_null());
	for (size_t i = 0; i < run->nsteps; i++) {
		const struct run_step *st = &run->steps[i];
		json_array_append_new(steps, step_json(run->id, st->project, run->env, st->step,
						       st->running ? "running"
						       : st->ok	    ? "ok"
						       : st->outcome && !strcmp(st->outcome, "interrupted")
							       ? "interrupted"
							       : "failed",
						       st->started, st->ended, st->outcome));
	}
	json_object_set_new(o, "steps", steps);
	for (size_t i = 0; i < run->nnotes; i++)
		json_array_append_new(notes, encode_string(run->notes[i]));
	json_object_set_new(o, "notes", notes);
	json_object_set_new(o, "report",
			    run->report ? json_loads(run->report, 0, NULL) : json_null());
	if (run->state == RUN_FAILED)
		json_object_set_new(o, "error", encode_error(&run->err));
	return o;
}

/* A run of another process, from the store's step runs: running while a
 * live run holds a lease of its, interrupted when a dead one does. */
static int store_run(struct serve *s, const char *id, int64_t now, struct serve_reply *r,
		     struct err *e)
{
	struct store_step_runs l;
	json_t *o, *steps;
	bool alive = false, dead = false;
	const char *state;

	if (store_list_run_steps(s->store, id, &l, e) < 0)
		return -1;
	if (!l.n) {
		store_step_runs_release(&l);
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"no run '%s': this server did not start it and the store has no step "
				"of it",
				id);
	}
	for (size_t i = 0; i < l.n; i++) {
		struct store_lease le;
		struct err le_e;
		err_init(&le_e);
		if (!l.v[i].ended)
			dead = true;
		if (store_lease_get(s->store, l.v[i].project, l.v[i].env, &le, &le_e) == 1 &&
		    !strcmp(le.run_id, id)) {
			if (promote_lease_alive_now(&le, now))
				alive = true;
			else
				dead = true;
		}
	}
	state = alive ? "running" : dead ? "interrupted" : "done";
	o = json_object();
	steps = json_array();
	json_object_set_new(o, "run", json_string(id));
	json_object_set_new(o, "source", json_string("store"));
	json_object_set_new(o, "env", json_string(l.v[0].env));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "started", encode_time(l.v[0].started));
	for (size_t i = 0; i < l.n; i++) {
		const struct store_step_run *sr = &l.v[i];
		char how[64];
		if (sr->exit_status == 0)
			snprintf(how, sizeof(how), "ok");
		else
			snprintf(how, sizeof(how), "exited with status %d", sr->exit_status);
		json_array_append_new(steps, step_json(id, sr->project, sr->env, sr->step,
						       !sr->ended ? (alive ? "running" : "interrupted")
						       : sr->exit_status == 0 ? "ok"
									      : "failed",
						       sr->started, sr->ended, sr->ended ? how : NULL));
	}
	json_object_set_new(o, "steps", steps);
	json_object_set_new(o, "report", json_null());
	store_step_runs_release(&l);
	return serve_reply_json(s, r, o, false, e);
}

int serve_api_run(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		  struct err *e)
{
	const char *id = rq->params[0];
	struct srun *run;
	json_t *j = NULL;

	if (!run_id_ok(id))
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "no run '%.64s'", id);
	if (s->runs) {
		pthread_mutex_lock(&s->runs->lock);
		run = find_run(s->runs, id);
		if (run)
			j = run_json(run);
		pthread_mutex_unlock(&s->runs->lock);
	}
	if (j)
		return serve_reply_json(s, r, j, false, e);
	return store_run(s, id, rq->now, r, e);
}

/* ---- GET /api/v1/runs/{id}/steps/{project}/{step}/log -------------------------------- */

/*
 * Is path a log of run id, where runs write them (STORE_LOG_DIR/runs/ID/
 * one file name)? A path read back from the store is input: one written by
 * anything else is not served.
 */
/*
 * The step's log file as the run's log folder holds it: a recorded path is
 * relative to the folder the run was started in (the CLI in a subfolder of
 * the plan's, another server), so it is not opened as written. It must end
 * in runs/ID/NAME, NAME a plain file name; the file served is
 * STORE_LOG_DIR/runs/ID/NAME. NULL otherwise.
 */
static char *log_path_of(const struct store *st, const char *id, const char *recorded)
{
	const char *name = strrchr(recorded, '/');
	char *tail;
	size_t nt, nr = strlen(recorded);
	bool ok;

	name = name ? name + 1 : recorded;
	if (!*name || !strcmp(name, ".") || !strcmp(name, "..") || !*id || strchr(id, '/') ||
	    !strcmp(id, ".") || !strcmp(id, ".."))
		return NULL;
	tail = xasprintf("runs/%s/%s", id, name);
	nt = strlen(tail);
	ok = nr >= nt && !strcmp(recorded + nr - nt, tail) &&
	     (nr == nt || recorded[nr - nt - 1] == '/');
	free(tail);
	return ok ? xasprintf("%s/runs/%s/%s", store_log_dir(st), id, name) : NULL;
}

/* The last `want` bytes of the log at path into out; -1 with e. */
static int read_tail(const char *path, size_t want, struct strbuf *out, struct err *e)
{
	struct stat sb;
	off_t from;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return err_setr(e, ERR_USAGE,
				errno == ENOENT	  ? REASON_NOT_FOUND
				: errno == ELOOP ? REASON_FORBIDDEN
						 : REASON_IO,
				"the step's log '%s' cannot be read: %s", path,
				errno == ELOOP ? "it is a symlink" : strerror(errno));
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return err_setr(e, ERR_FAILED, REASON_IO, "the step's log '%s' is not a file", path);
	}
	from = sb.st_size > (off_t)want ? sb.st_size - (off_t)want : 0;
	if (lseek(fd, from, SEEK_SET) < 0) {
		close(fd);
		return err_setr(e, ERR_FAILED, REASON_IO, "cannot read the step's log '%s': %s", path,
				strerror(errno));
	}
	for (;;) {
		char buf[65536];
		size_t room = want - out->len;
		ssize_t k;
		if (!room)
			break;
		k = read(fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			close(fd);
			return err_setr(e, ERR_FAILED, REASON_IO, "cannot read the step's log '%s': %s",
					path, strerror(errno));
		}
		if (k == 0)
			break;
		strbuf_add(out, buf, (size_t)k);
	}
	close(fd);
	return 0;
}

/* ?tail=N bytes (1 … LOG_MAX), ?full=1 (up to LOG_MAX); LOG_TAIL_DEFAULT */
static int log_want(const struct serve_request *rq, size_t *want, struct err *e)
{
	const char *tail = rq->arg(rq->conn, "tail"), *full = rq->arg(rq->conn, "full");
	*want = LOG_TAIL_DEFAULT;
	if (full && strcmp(full, "1") && strcmp(full, "0"))
		return err_setr(e, ERR_USAGE, REASON_INVALID, "full must be 1 or 0");
	if (full && !strcmp(full, "1"))
		*want = LOG_MAX;
	if (tail) {
		char *end;
		unsigned long long n = strtoull(tail, &end, 10);
		if (full && !strcmp(full, "1"))
			return err_setr(e, ERR_USAGE, REASON_INVALID, "give tail or full=1, not both");
		if (end == tail || *end || *tail == '-' || n < 1 || n > LOG_MAX)
			return err_setr(e, ERR_USAGE, REASON_INVALID,
					"tail must be a number of bytes from 1 to %d", LOG_MAX);
		*want = (size_t)n;
	}
	return 0;
}

int serve_api_run_log(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e)
{
	const char *id = rq->params[0], *project = rq->params[1], *step = rq->params[2];
	char *path = NULL, *served;
	bool known = false, any;
	struct srun *run;
	size_t want;
	int rc = -1;

	if (log_want(rq, &want, e) < 0)
		return -1;
	if (!run_id_ok(id))
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "no run '%.64s'", id);
	run = NULL;
	if (s->runs) {
		pthread_mutex_lock(&s->runs->lock);
		run = find_run(s->runs, id);
		if (run) {
			struct run_step *st = find_step(run, project, step, false);
			known = st != NULL;
			if (st && st->log)
				path = xstrdup(st->log);
		}
		pthread_mutex_unlock(&s->runs->lock);
	}
	if (!run) {
		struct store_step_runs l;
		if (store_list_run_steps(s->store, id, &l, e) < 0)
			return -1;
		for (size_t i = 0; i < l.n; i++)
			if (!strcmp(l.v[i].project, project) && !strcmp(l.v[i].step, step)) {
				known = true;
				free(path);
				path = l.v[i].log_path && *l.v[i].log_path ? xstrdup(l.v[i].log_path)
									   : NULL;
			}
		any = l.n > 0;
		store_step_runs_release(&l);
		if (!any)
			return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
					"no run '%s': this server did not start it and the store has "
					"no step of it",
					id);
	}
	if (!known)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "run '%s' has no step '%.80s' of '%.80s'",
				id, step, project);
	if (!path)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"no log was kept of step '%.80s' of '%.80s' in run '%s'", step, project,
				id);
	served = log_path_of(s->store, id, path);
	free(path);
	path = served;
	if (!path) {
		err_setr(e, ERR_FAILED, REASON_FORBIDDEN,
			 "the log of step '%.80s' of '%.80s' is recorded outside the run's log folder; "
			 "it is not served",
			 step, project);
		goto out;
	}
	if (read_tail(path, want, &r->body, e) < 0)
		goto out;
	r->content_type = "text/plain; charset=utf-8";
	rc = 0;
out:
	free(path);
	return rc;
}

/* ---- /metrics ------------------------------------------------------------------------- */

void serve_runs_metrics(struct serve *s, struct strbuf *out)
{
	struct serve_runs *reg = s->runs;
	size_t running;
	uint64_t ended[4];

	if (!reg)
		return;
	pthread_mutex_lock(&reg->lock);
	running = reg->running;
	memcpy(ended, reg->ended_total, sizeof(ended));
	pthread_mutex_unlock(&reg->lock);
	strbuf_addstr(out, "# HELP tollgate_promote_runs_running Promotion runs going on in this "
			   "server.\n# TYPE tollgate_promote_runs_running gauge\n");
	strbuf_addf(out, "tollgate_promote_runs_running %zu\n", running);
	strbuf_addstr(out, "# HELP tollgate_promote_runs_total Promotion runs this server started "
			   "that ended, by how.\n# TYPE tollgate_promote_runs_total counter\n");
	for (int k = RUN_DONE; k <= RUN_CANCELLED; k++)
		strbuf_addf(out, "tollgate_promote_runs_total{state=\"%s\"} %" PRIu64 "\n",
			    run_state_names[k], ended[k]);
}
