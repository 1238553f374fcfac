/*
 * serve-soak.c - the server's background soak loop: a thread that calls
 * soak_tick (engine/soak-tick.c: the store's background lease, each trigger
 * measured on its own `every`, soaks finished or rolled back exactly as
 * `tollgate soak`) on an interval, with a store connection of its own and a
 * holder name unique to the process. Two servers on one store: the one
 * holding the lease does the work, the other's ticks are skipped.
 *
 * The interval is the shortest `every` of the plan's triggers, at most
 * SOAK_POLL_DEFAULT seconds, sooner when a soak ends before it. SIGTERM
 * stops the loop between pairs (its cancel token); the server waits for it
 * and gives the lease up.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine/promote.h"
#include "plan/plan.h"
#include "serve/serve-internal.h"
#include "store/store.h"

struct serve_soak {
	struct serve *s;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	struct cancel_token cancel;
	char holder[400];
	/* for /metrics, under lock */
	uint64_t ran, skipped, failed, measured, finished, rolled_back;
	bool held;
	char last_error[sizeof(((struct err *)0)->msg)];
};

/* seconds between ticks: the shortest `every` of a measured trigger, 1 … 30 */
static int64_t interval_of(const struct plan *p)
{
	int64_t iv = SOAK_POLL_DEFAULT;
	for (size_t t = 0; t < p->ntriggers; t++)
		if (p->triggers[t].measure && p->triggers[t].every > 0 && p->triggers[t].every < iv)
			iv = p->triggers[t].every;
	return iv < 1 ? 1 : iv;
}

static void count(struct serve_soak *k, int rc, const struct soak_tick_result *r,
		  const struct err *e)
{
	bool say = false;
	pthread_mutex_lock(&k->lock);
	if (rc < 0) {
		k->failed++;
		/* a store that stays down is said once, not every tick */
		say = strcmp(k->last_error, e->msg) != 0;
		snprintf(k->last_error, sizeof(k->last_error), "%s", e->msg);
	} else if (r->skipped) {
		k->skipped++;
		k->held = false;
	} else {
		k->ran++;
		k->held = true;
		k->measured += r->measured;
		k->last_error[0] = '\0';
		for (size_t i = 0; i < r->report.nresults; i++) {
			if (r->report.results[i].outcome == PROMOTE_HEALTHY)
				k->finished++;
			else if (r->report.results[i].outcome == PROMOTE_ROLLED_BACK)
				k->rolled_back++;
		}
	}
	pthread_mutex_unlock(&k->lock);
	if (say)
		fprintf(stderr, "tollgate: soak loop: %s (retried every tick)\n", e->msg);
}

static void *soak_main(void *arg)
{
	struct serve_soak *k = arg;
	struct serve *s = k->s;
	struct store *w = NULL;
	char *plan_id = NULL;

	for (;;) {
		struct soak_tick_opts o = { k->holder, 0, &k->cancel, NULL };
		struct soak_tick_result res;
		struct plan *p;
		int64_t now, wait;
		struct err e;
		struct timespec until;
		int rc = -1;

		err_init(&e);
		memset(&res, 0, sizeof(res));
		p = serve_bg_plan(s, &plan_id, &w, 1, &e);
		wait = interval_of(p);
		if (w && util_now(&now, &e) == 0) {
			rc = soak_tick(p, w, now, &o, &res, &e);
			if (rc == 0 && res.report.next_end > now && res.report.next_end - now < wait)
				wait = res.report.next_end - now;
		}
		count(k, rc, &res, &e);
		soak_tick_result_release(&res);
		serve_plan_put(s->runs, p);

		pthread_mutex_lock(&k->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += wait < 1 ? 1 : wait;
		while (!k->stop && pthread_cond_timedwait(&k->cond, &k->lock, &until) == 0)
			;
		if (k->stop) {
			pthread_mutex_unlock(&k->lock);
			break;
		}
		pthread_mutex_unlock(&k->lock);
	}
	if (w) {
		struct err e;
		err_init(&e);
		soak_tick_release(w, k->holder, &e);
		store_close(w);
	}
	free(plan_id);
	return NULL;
}

int serve_soak_start(struct serve *s, struct err *e)
{
	struct serve_soak *k = xcalloc(1, sizeof(*k));
	char host[256] = "localhost";
	unsigned rnd = 0;

	k->s = s;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	cancel_init(&k->cancel);
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (unsigned)time(NULL) ^ (unsigned)getpid() << 16;
	snprintf(k->holder, sizeof(k->holder), "serve %s %ld %08x", host, (long)getpid(), rnd);
	if (pthread_create(&k->thread, NULL, soak_main, k)) {
		pthread_cond_destroy(&k->cond);
		pthread_mutex_destroy(&k->lock);
		free(k);
		return err_setr(e, ERR_FAILED, REASON_FAILED,
				"cannot start the background soak loop's thread");
	}
	s->soak = k;
	return 0;
}

void serve_soak_stop(struct serve *s)
{
	struct serve_soak *k = s->soak;
	if (!k)
		return;
	cancel_raise(&k->cancel, 1);
	pthread_mutex_lock(&k->lock);
	k->stop = true;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->lock);
	free(k);
	s->soak = NULL;
}

void serve_soak_metrics(struct serve *s, struct strbuf *out)
{
	struct serve_soak *k = s->soak;
	uint64_t ran, skipped, failed, measured, finished, rolled_back;
	bool held;

	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	ran = k->ran;
	skipped = k->skipped;
	failed = k->failed;
	measured = k->measured;
	finished = k->finished;
	rolled_back = k->rolled_back;
	held = k->held;
	pthread_mutex_unlock(&k->lock);
	strbuf_addstr(out, "# HELP tollgate_soak_ticks_total Ticks of the background soak loop, "
			   "by result (skipped: another server holds the store's background "
			   "lease).\n# TYPE tollgate_soak_ticks_total counter\n");
	strbuf_addf(out, "tollgate_soak_ticks_total{result=\"ran\"} %" PRIu64 "\n", ran);
	strbuf_addf(out, "tollgate_soak_ticks_total{result=\"skipped\"} %" PRIu64 "\n", skipped);
	strbuf_addf(out, "tollgate_soak_ticks_total{result=\"failed\"} %" PRIu64 "\n", failed);
	strbuf_addstr(out, "# HELP tollgate_soak_measures_total Triggers measured by the soak "
			   "loop.\n# TYPE tollgate_soak_measures_total counter\n");
	strbuf_addf(out, "tollgate_soak_measures_total %" PRIu64 "\n", measured);
	strbuf_addstr(out, "# HELP tollgate_soak_outcomes_total Soaks the loop ended, by "
			   "outcome.\n# TYPE tollgate_soak_outcomes_total counter\n");
	strbuf_addf(out, "tollgate_soak_outcomes_total{outcome=\"healthy\"} %" PRIu64 "\n",
		    finished);
	strbuf_addf(out, "tollgate_soak_outcomes_total{outcome=\"rolled-back\"} %" PRIu64 "\n",
		    rolled_back);
	strbuf_addstr(out, "# HELP tollgate_soak_lease_held Whether this server did the soak work "
			   "on its last tick (it holds the store's background lease).\n"
			   "# TYPE tollgate_soak_lease_held gauge\n");
	strbuf_addf(out, "tollgate_soak_lease_held %d\n", held ? 1 : 0);
}
