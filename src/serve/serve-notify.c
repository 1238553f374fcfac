/*
 * serve-notify.c - the server delivers notifications in the background
 * (docs/notify.md): a thread with its own store connection that runs the
 * plan's schedules once a second and drains the outbox whenever a message
 * is due. Between drains it asks the store, every NOTIFY_POLL_MS, when the
 * next message may be claimed (one indexed read), so a message committed by
 * any process (the CLI, another server) is sent within that time; the
 * server's own writes wake it at once (serve_notify_wake). Several servers
 * on one store share the work through the outbox's claims.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "engine/encode.h"
#include "notify/notify.h"
#include "serve/serve-internal.h"
#include "store/store.h"

#define NOTIFY_POLL_MS 100
/* a claim outlives the longest send (30 s) with room to write the answer */
#define NOTIFY_LEASE 120
/* drains at once when messages are due: each claims its own messages (a
 * subject's next one only once its earlier one is sent, so order holds),
 * and a slow receiver holds up one of them, not the rest */
#define NOTIFY_WORKERS 4
#define NOTIFY_PRUNE_EVERY 3600

struct worker {
	struct store *w;
	const struct plan *p;
	struct notify_drain_result r;
	struct err e;
	int rc;
	pthread_t t;
	bool started;
};

struct serve_notify {
	struct serve *s;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, woken;
	/* for /metrics, under lock */
	uint64_t sent, failed, dead, digests, skipped, errors;
	char last_error[sizeof(((struct err *)0)->msg)];
};

static void note_error(struct serve_notify *k, const struct err *e)
{
	bool say;
	pthread_mutex_lock(&k->lock);
	k->errors++;
	/* a store or a zone that stays wrong is said once */
	say = strcmp(k->last_error, e->msg) != 0;
	snprintf(k->last_error, sizeof(k->last_error), "%s", e->msg);
	pthread_mutex_unlock(&k->lock);
	if (say)
		fprintf(stderr, "tollgate: notifications: %s (retried)\n", e->msg);
}

static void *drain_worker(void *arg)
{
	struct worker *x = arg;
	x->rc = notify_drain(x->w, x->p, NOTIFY_LEASE, &x->r, &x->e);
	return NULL;
}

/* Drain with NOTIFY_WORKERS connections at once (ws[0] in this thread); the
 * extra connections are opened on first use and kept. Sums into k. */
static int drain_all(struct serve_notify *k, struct store **ws, const struct plan *p, struct err *e)
{
	struct worker x[NOTIFY_WORKERS];
	int rc = 0;

	memset(x, 0, sizeof(x));
	for (int i = 0; i < NOTIFY_WORKERS; i++) {
		err_init(&x[i].e);
		x[i].p = p;
		if (!ws[i] && i > 0) {
			pthread_mutex_lock(&k->s->lock);
			if (store_open_writer(k->s->store, &ws[i], &x[i].e) < 0)
				ws[i] = NULL;
			pthread_mutex_unlock(&k->s->lock);
		}
		x[i].w = ws[i];
		if (i > 0 && x[i].w)
			x[i].started = pthread_create(&x[i].t, NULL, drain_worker, &x[i]) == 0;
	}
	drain_worker(&x[0]);
	for (int i = 0; i < NOTIFY_WORKERS; i++) {
		if (i > 0 && !x[i].started)
			continue;
		if (i > 0)
			pthread_join(x[i].t, NULL);
		pthread_mutex_lock(&k->lock);
		k->sent += x[i].r.sent;
		k->failed += x[i].r.failed;
		k->dead += x[i].r.dead;
		pthread_mutex_unlock(&k->lock);
		if (x[i].rc < 0 && rc == 0) {
			*e = x[i].e;
			rc = -1;
		}
	}
	return rc;
}

static void *notify_main(void *arg)
{
	struct serve_notify *k = arg;
	struct serve *s = k->s;
	struct store *ws[NOTIFY_WORKERS] = { NULL }, *w = NULL;
	char *plan_id = NULL;
	int64_t last_sched = 0, last_prune = 0;

	for (;;) {
		struct plan *p;
		struct err e;
		struct timespec until;
		int64_t now = 0, next = -1;

		err_init(&e);
		p = serve_bg_plan(s, &plan_id, ws, NOTIFY_WORKERS, &e);
		w = ws[0];

		if (w && util_now(&now, &e) == 0) {
			int rc = 0;
			if (p->nschedules && now != last_sched) {
				struct notify_schedule_result sr;
				last_sched = now;
				rc = notify_schedules_run(w, p, now, &sr, &e);
				if (rc == 0) {
					pthread_mutex_lock(&k->lock);
					k->digests += sr.sent;
					k->skipped += sr.skipped;
					pthread_mutex_unlock(&k->lock);
				}
			}
			if (rc == 0)
				rc = store_outbox_next(w, &next, &e);
			if (rc == 0 && next >= 0 && next <= (int64_t)time(NULL)) {
				rc = drain_all(k, ws, p, &e);
				if (rc == 0) {
					pthread_mutex_lock(&k->lock);
					k->last_error[0] = '\0';
					pthread_mutex_unlock(&k->lock);
				}
			}
			if (rc == 0 && (int64_t)time(NULL) - last_prune >= NOTIFY_PRUNE_EVERY) {
				last_prune = (int64_t)time(NULL);
				rc = notify_prune(w, p, &e);
			}
			if (rc < 0)
				note_error(k, &e);
		} else if (!w || now == 0) {
			note_error(k, &e);
		}
		serve_plan_put(s->runs, p);

		pthread_mutex_lock(&k->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += NOTIFY_POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!k->stop && !k->woken &&
		       pthread_cond_timedwait(&k->cond, &k->lock, &until) == 0)
			;
		k->woken = false;
		if (k->stop) {
			pthread_mutex_unlock(&k->lock);
			break;
		}
		pthread_mutex_unlock(&k->lock);
	}
	for (int i = 0; i < NOTIFY_WORKERS; i++)
		store_close(ws[i]);
	free(plan_id);
	return NULL;
}

int serve_notify_start(struct serve *s, struct err *e)
{
	struct serve_notify *k = xcalloc(1, sizeof(*k));
	k->s = s;
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->cond, NULL);
	if (pthread_create(&k->thread, NULL, notify_main, k)) {
		pthread_cond_destroy(&k->cond);
		pthread_mutex_destroy(&k->lock);
		free(k);
		return err_setr(e, ERR_FAILED, REASON_FAILED,
				"cannot start the notification deliverer's thread");
	}
	s->notify = k;
	return 0;
}

void serve_notify_wake(struct serve *s)
{
	struct serve_notify *k = s->notify;
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->woken = true;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
}

void serve_notify_stop(struct serve *s)
{
	struct serve_notify *k = s->notify;
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	k->stop = true;
	pthread_cond_broadcast(&k->cond);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	pthread_cond_destroy(&k->cond);
	pthread_mutex_destroy(&k->lock);
	free(k);
	s->notify = NULL;
}

void serve_notify_metrics(struct serve *s, struct strbuf *out)
{
	struct serve_notify *k = s->notify;
	uint64_t v[6];
	if (!k)
		return;
	pthread_mutex_lock(&k->lock);
	v[0] = k->sent;
	v[1] = k->failed;
	v[2] = k->dead;
	v[3] = k->digests;
	v[4] = k->skipped;
	v[5] = k->errors;
	pthread_mutex_unlock(&k->lock);
	strbuf_addstr(out, "# HELP tollgate_notify_deliveries_total Sends by this server's "
			   "deliverer, by result (failed: to retry; dead: given up).\n"
			   "# TYPE tollgate_notify_deliveries_total counter\n");
	strbuf_addf(out, "tollgate_notify_deliveries_total{result=\"sent\"} %" PRIu64 "\n", v[0]);
	strbuf_addf(out, "tollgate_notify_deliveries_total{result=\"failed\"} %" PRIu64 "\n", v[1]);
	strbuf_addf(out, "tollgate_notify_deliveries_total{result=\"dead\"} %" PRIu64 "\n", v[2]);
	strbuf_addstr(out, "# HELP tollgate_notify_digests_total Schedule slots this server "
			   "handled, by result.\n# TYPE tollgate_notify_digests_total counter\n");
	strbuf_addf(out, "tollgate_notify_digests_total{result=\"sent\"} %" PRIu64 "\n", v[3]);
	strbuf_addf(out, "tollgate_notify_digests_total{result=\"skipped\"} %" PRIu64 "\n", v[4]);
	strbuf_addstr(out, "# HELP tollgate_notify_errors_total Store or plan errors of the "
			   "deliverer (it retries).\n# TYPE tollgate_notify_errors_total counter\n");
	strbuf_addf(out, "tollgate_notify_errors_total %" PRIu64 "\n", v[5]);
}

/* ---- the outbox over HTTP --------------------------------------------------- */

/* GET /api/v1/notifications[?state=dead]: `tollgate notify list [--failed]` */
int serve_api_notifications(struct serve *s, const struct serve_request *rq,
			    struct serve_reply *r, struct err *e)
{
	const char *st = rq->arg(rq->conn, "state");
	struct store_outboxes l;
	int rc;

	if (st && strcmp(st, "dead"))
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"unknown state '%.40s': ?state=dead lists the dead messages, no "
				"state lists them all", st);
	if (store_outbox_list(s->store, st != NULL, &l, e) < 0)
		return -1;
	rc = serve_reply_json(s, r, encode_outbox(&l), true, e);
	store_outboxes_release(&l);
	return rc;
}

/* POST /api/v1/notifications/{id}/retry: `tollgate notify retry ID` */
int serve_api_notification_retry(struct serve *s, const struct serve_request *rq,
				 struct serve_reply *r, struct err *e)
{
	static const char *const no_fields[] = { NULL };
	const char *ids = rq->params[0];
	struct store *w;
	json_t *body, *o;
	char *end;
	long long id = strtoll(ids, &end, 10);
	int rc;

	body = serve_body_object(rq, no_fields, true, e);
	if (!body)
		return -1;
	json_decref(body);
	if (!*ids || *end || id < 1)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"no message '%.40s': message ids are numbers; GET "
				"/api/v1/notifications lists them", ids);
	if (serve_writer(s, rq, &w, e) < 0)
		return -1;
	rc = store_outbox_retry(w, id, rq->now, e);
	if (rc < 0)
		return -1;
	if (rc == 1)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"no message %lld to retry (unknown, or sent already)", id);
	o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "state", json_string("pending"));
	return serve_reply_json(s, r, o, true, e);
}
