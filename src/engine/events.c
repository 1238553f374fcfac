/*
 * events.c - the audit log as a stream of events (events.h): one watcher
 * thread reads each new entry once and keeps it, as the JSON the stream
 * sends, in a buffer that every client reads under one mutex and waits on
 * with one condition variable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/encode.h"
#include "engine/events.h"
#include "store/store.h"

#define EVENTS_READ_CHUNK 512 /* entries per store read */
#define EVENTS_RETRY_MS 200   /* after a failed watch */

/* One entry as sent: shared by the buffer and the readers copying it out
 * (a reader holds a reference while it writes to its client). */
struct ev_entry {
	atomic_int refs;
	int64_t seq;
	size_t len;
	char json[];
};

struct events {
	struct store *watch_store; /* the watcher thread's */
	struct store *read_store;  /* resumptions from before the buffer */
	pthread_mutex_t read_lock; /* one reader of read_store at a time */
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* broadcast when head moves or on stop */
	int64_t head;
	bool stop;
	struct ev_entry **buf; /* oldest first, consecutive in seq order */
	size_t n, cap;
	int watch_ms;
	uint64_t waiting;
	atomic_uint_fast64_t store_reads, head_reads, watch_errors;
};

static void entry_put(struct ev_entry *x)
{
	if (x && atomic_fetch_sub(&x->refs, 1) == 1)
		free(x);
}

static struct ev_entry *entry_new(const struct store_log_entry *en)
{
	json_t *o = encode_log_line(en);
	char *text = json_dumps(o, JSON_PRESERVE_ORDER);
	size_t len = text ? strlen(text) : 0;
	struct ev_entry *x = xmalloc(sizeof(*x) + len + 1);
	json_decref(o);
	atomic_init(&x->refs, 1);
	x->seq = en->seq;
	x->len = len;
	memcpy(x->json, text ? text : "", len + 1);
	free(text);
	return x;
}

struct collect {
	struct ev_entry **v;
	size_t n, alloc;
};

static int collect_fn(void *ctx, const struct store_log_entry *en)
{
	struct collect *c = ctx;
	ALLOC_GROW(c->v, c->n + 1, c->alloc);
	c->v[c->n++] = entry_new(en);
	return 0;
}

static void collect_release(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		entry_put(c->v[i]);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Add what was read to the buffer (dropping the oldest past cap) and wake
 * the waiters. Takes the references of c's entries. */
static void publish(struct events *ev, struct collect *c)
{
	pthread_mutex_lock(&ev->lock);
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i]->seq <= ev->head) {
			entry_put(c->v[i]); /* never twice */
			continue;
		}
		if (ev->n == ev->cap) {
			size_t drop = ev->cap / 4 ? ev->cap / 4 : 1;
			for (size_t k = 0; k < drop; k++)
				entry_put(ev->buf[k]);
			memmove(ev->buf, ev->buf + drop, (ev->n - drop) * sizeof(*ev->buf));
			ev->n -= drop;
		}
		ev->buf[ev->n++] = c->v[i];
		ev->head = c->v[i]->seq;
	}
	c->n = 0;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
}

static bool stopping(struct events *ev)
{
	bool s;
	pthread_mutex_lock(&ev->lock);
	s = ev->stop;
	pthread_mutex_unlock(&ev->lock);
	return s;
}

/* Read every entry after the head we have, in chunks; 0, -1 on failure
 * (the caller retries: what was published stays). */
static int catch_up(struct events *ev, int64_t to, struct err *e)
{
	struct collect c = { 0 };
	int64_t from = events_head(ev);
	while (from < to && !stopping(ev)) {
		atomic_fetch_add(&ev->store_reads, 1);
		if (store_log_after(ev->watch_store, from, EVENTS_READ_CHUNK, collect_fn, &c, e) < 0) {
			collect_release(&c);
			return -1;
		}
		if (!c.n)
			break; /* the head names entries that are not there: verify's business */
		from = c.v[c.n - 1]->seq;
		publish(ev, &c);
	}
	collect_release(&c);
	return 0;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void *watcher(void *arg)
{
	struct events *ev = arg;
	while (!stopping(ev)) {
		struct err e;
		char hash[65];
		int64_t seq;
		int r;
		err_init(&e);
		r = store_watch(ev->watch_store, ev->watch_ms, &e);
		if (r < 0) {
			atomic_fetch_add(&ev->watch_errors, 1);
			pause_ms(EVENTS_RETRY_MS);
			continue;
		}
		if (r == 0)
			continue;
		atomic_fetch_add(&ev->head_reads, 1);
		if (store_log_head(ev->watch_store, &seq, hash, &e) < 0) {
			/* the session may be lost: the next watch connects again
			 * and answers 1, and the head is read then */
			atomic_fetch_add(&ev->watch_errors, 1);
			continue;
		}
		if (seq > events_head(ev) && catch_up(ev, seq, &e) < 0)
			atomic_fetch_add(&ev->watch_errors, 1);
	}
	return NULL;
}

int events_open(struct events **out, struct store *s, const struct events_opts *o,
		struct err *e)
{
	struct events *ev = xcalloc(1, sizeof(*ev));
	pthread_condattr_t ca;
	char hash[65];

	*out = NULL;
	ev->cap = o && o->buffer ? o->buffer : EVENTS_BUFFER_DEFAULT;
	ev->buf = xcalloc(ev->cap, sizeof(*ev->buf));
	ev->watch_ms = o && o->watch_ms > 0 ? o->watch_ms : EVENTS_WATCH_MS_DEFAULT;
	pthread_mutex_init(&ev->lock, NULL);
	pthread_mutex_init(&ev->read_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ev->cond, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&ev->store_reads, 0);
	atomic_init(&ev->head_reads, 0);
	atomic_init(&ev->watch_errors, 0);
	if (store_open_watcher(s, &ev->watch_store, e) < 0 ||
	    store_open_watcher(s, &ev->read_store, e) < 0)
		goto fail;
	/* the first watch only starts watching (answers 1 at once): then the
	 * head is read, so nothing that lands from here on is missed */
	if (store_watch(ev->watch_store, 0, e) < 0 ||
	    store_log_head(ev->watch_store, &ev->head, hash, e) < 0)
		goto fail;
	if (pthread_create(&ev->thread, NULL, watcher, ev) != 0) {
		err_setr(e, ERR_FAILED, REASON_IO, "cannot start the event watcher: %s",
			 strerror(errno));
		goto fail;
	}
	ev->started = true;
	*out = ev;
	return 0;
fail:
	events_close(ev);
	return -1;
}

void events_stop(struct events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->lock);
	ev->stop = true;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->lock);
}

void events_close(struct events *ev)
{
	if (!ev)
		return;
	events_stop(ev);
	if (ev->started)
		pthread_join(ev->thread, NULL);
	for (size_t i = 0; i < ev->n; i++)
		entry_put(ev->buf[i]);
	free(ev->buf);
	store_close(ev->watch_store);
	store_close(ev->read_store);
	pthread_cond_destroy(&ev->cond);
	pthread_mutex_destroy(&ev->lock);
	pthread_mutex_destroy(&ev->read_lock);
	free(ev);
}

int64_t events_head(struct events *ev)
{
	int64_t h;
	pthread_mutex_lock(&ev->lock);
	h = ev->head;
	pthread_mutex_unlock(&ev->lock);
	return h;
}

int events_wait(struct events *ev, int64_t after_seq, int timeout_ms, struct err *e)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ev->lock);
	ev->waiting++;
	while (!ev->stop && ev->head <= after_seq && timeout_ms > 0) {
		if (pthread_cond_timedwait(&ev->cond, &ev->lock, &until) == ETIMEDOUT)
			break;
	}
	ev->waiting--;
	if (ev->head > after_seq)
		rc = 1;
	else if (ev->stop)
		rc = err_setr(e, ERR_FAILED, REASON_CANCELLED, "the event stream is closing");
	pthread_mutex_unlock(&ev->lock);
	return rc;
}

/* The first index of buf with seq > after (n when none). */
static size_t find_after(const struct events *ev, int64_t after)
{
	size_t lo = 0, hi = ev->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ev->buf[mid]->seq <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct direct {
	events_fn fn;
	void *ctx;
	int64_t head, last;
	size_t n;
	int rc;
};

static int direct_fn(void *ctx, const struct store_log_entry *en)
{
	struct direct *d = ctx;
	struct ev_entry *x;
	if (en->seq > d->head)
		return 1; /* not announced yet: the buffer gives it */
	x = entry_new(en);
	d->rc = d->fn(d->ctx, x->seq, x->json, x->len);
	entry_put(x);
	d->last = en->seq;
	d->n++;
	return d->rc ? 1 : 0;
}

int events_read(struct events *ev, int64_t after, size_t max, events_fn fn, void *ctx,
		struct err *e)
{
	struct ev_entry **out = NULL;
	size_t n = 0, given = 0;
	int rc = 0;

	for (;;) {
		size_t i;
		int64_t head;
		pthread_mutex_lock(&ev->lock);
		head = ev->head;
		if (after >= head || (max && given >= max)) {
			pthread_mutex_unlock(&ev->lock);
			break;
		}
		if (!ev->n || ev->buf[0]->seq > after + 1) {
			/* before the buffer: from the store, up to where it starts */
			struct direct d = { fn, ctx, ev->n ? ev->buf[0]->seq - 1 : head, after, 0, 0 };
			int64_t limit = max ? (int64_t)(max - given) : EVENTS_READ_CHUNK;
			pthread_mutex_unlock(&ev->lock);
			if (limit > EVENTS_READ_CHUNK)
				limit = EVENTS_READ_CHUNK;
			pthread_mutex_lock(&ev->read_lock);
			atomic_fetch_add(&ev->store_reads, 1);
			rc = store_log_after(ev->read_store, after, limit, direct_fn, &d, e);
			pthread_mutex_unlock(&ev->read_lock);
			if (rc < 0)
				return -1;
			rc = 0;
			if (d.rc)
				return d.rc;
			if (!d.n)
				break; /* entries missing from the store */
			given += d.n;
			after = d.last;
			continue;
		}
		i = find_after(ev, after);
		n = ev->n - i;
		if (max && n > max - given)
			n = max - given;
		out = xmalloc((n ? n : 1) * sizeof(*out));
		for (size_t k = 0; k < n; k++) {
			out[k] = ev->buf[i + k];
			atomic_fetch_add(&out[k]->refs, 1);
		}
		pthread_mutex_unlock(&ev->lock);
		for (size_t k = 0; k < n; k++) {
			if (!rc)
				rc = fn(ctx, out[k]->seq, out[k]->json, out[k]->len);
			entry_put(out[k]);
		}
		free(out);
		break;
	}
	return rc;
}

void events_get_stats(struct events *ev, struct events_stats *out)
{
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ev->lock);
	out->head = ev->head;
	out->waiting = ev->waiting;
	out->buffered = ev->n;
	pthread_mutex_unlock(&ev->lock);
	out->store_reads = atomic_load(&ev->store_reads);
	out->head_reads = atomic_load(&ev->head_reads);
	out->watch_errors = atomic_load(&ev->watch_errors);
}
