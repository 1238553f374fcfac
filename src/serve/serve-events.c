/*
 * serve-events.c - GET /api/v1/events: the audit log as Server-Sent Events
 * (engine/events.h gives the entries; this file only moves bytes).
 *
 * Each stream is a libmicrohttpd callback response on the daemon's one
 * polling thread. When a stream has nothing to send, its reader suspends
 * the connection (MHD_suspend_connection: off the event loop, no timeout,
 * no CPU). One waker thread waits on events_wait for the log's head to move
 * or for the next heartbeat to fall due, and resumes the suspended streams
 * that have something to send; their readers then copy the entries out of
 * the engine's memory buffer. No thread per client, no polling loop: a
 * change costs one store read (the engine's) and one resume per client.
 *
 * Locking: se->lock guards the list of streams and each stream's
 * `suspended`, `heartbeat_due`, `since` and `last` (as of its suspension).
 * Order: se->lock, then the engine's lock (events_head), then libmicrohttpd's
 * own (MHD_suspend/resume_connection); the engine never calls back into this
 * file with its lock held.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include "serve/mhd.h"
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/events.h"
#include "serve/serve-internal.h"
#include "store/store.h"

#define STREAM_BATCH 64           /* entries formatted per reader call */
#define STREAM_KEEP_BUFFER 65536  /* a stream's buffer beyond this is freed once sent */
#define WAKER_MIN_MS 10

struct serve_stream {
	struct serve_events *se;
	struct MHD_Connection *conn;
	struct serve_stream *prev, *next;
	int64_t last;         /* the seq of the last entry formatted */
	int64_t since;        /* monotonic ms of the suspension */
	bool suspended;       /* off the event loop, waiting for the waker */
	bool heartbeat_due;   /* the waker resumed it for a heartbeat */
	bool opened;          /* the opening block was sent */
	struct strbuf out;    /* formatted, not yet handed to libmicrohttpd */
	size_t off;
};

struct serve_events {
	struct events *ev;
	int heartbeat_ms;
	pthread_mutex_t lock;
	struct serve_stream *streams;
	unsigned clients;
	bool stopping;
	pthread_t waker;
	bool waker_started;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void serve_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			fprintf(stderr, "tollgate: warning: cannot raise the open files limit: %s\n",
				strerror(errno));
	}
}

/* ---- the waker ---------------------------------------------------------------- */

/* How long the waker may sleep: until the first suspended stream needs a
 * heartbeat, at most one interval. Under se->lock. */
static int next_wake_ms(const struct serve_events *se, int64_t now)
{
	int64_t wait = se->heartbeat_ms;
	for (const struct serve_stream *st = se->streams; st; st = st->next) {
		int64_t due;
		if (!st->suspended)
			continue;
		due = st->since + se->heartbeat_ms - now;
		if (due < wait)
			wait = due;
	}
	return wait < WAKER_MIN_MS ? WAKER_MIN_MS : (int)wait;
}

/*
 * Sleep in events_wait until the head moves or a heartbeat falls due, then
 * resume the suspended streams that have something to send. A heartbeat
 * goes to every stream idle for half an interval or more, so streams
 * idle since different times share a wake-up: the waker wakes at most about
 * twice per interval for heartbeats, however many streams there are.
 */
static void *waker(void *arg)
{
	struct serve_events *se = arg;
	int64_t seen = events_head(se->ev);
	int wait;

	pthread_mutex_lock(&se->lock);
	wait = next_wake_ms(se, mono_ms());
	pthread_mutex_unlock(&se->lock);
	for (;;) {
		struct err e;
		int64_t head, now;
		bool stop;
		int r;

		err_init(&e);
		r = events_wait(se->ev, seen, wait, &e);
		head = events_head(se->ev);
		if (head > seen)
			seen = head;
		now = mono_ms();
		pthread_mutex_lock(&se->lock);
		if (r < 0)
			se->stopping = true;
		stop = se->stopping;
		for (struct serve_stream *st = se->streams; st; st = st->next) {
			bool news;
			if (!st->suspended)
				continue;
			news = st->last < head;
			if (!stop && !news && now - st->since < se->heartbeat_ms / 2)
				continue;
			st->heartbeat_due = !news;
			st->suspended = false;
			MHD_resume_connection(st->conn);
		}
		wait = next_wake_ms(se, now);
		pthread_mutex_unlock(&se->lock);
		if (stop)
			break;
	}
	return NULL;
}

int serve_events_start(struct serve *s, struct err *e)
{
	struct serve_events *se = xcalloc(1, sizeof(*se));
	struct events_opts eo = { 0 };

	se->heartbeat_ms = (int)(s->o->heartbeat ? s->o->heartbeat : SERVE_HEARTBEAT_DEFAULT) * 1000;
	pthread_mutex_init(&se->lock, NULL);
	if (events_open(&se->ev, s->store, &eo, e) < 0)
		goto fail;
	if (pthread_create(&se->waker, NULL, waker, se) != 0) {
		err_setr(e, ERR_FAILED, REASON_IO, "cannot start the event stream's thread: %s",
			 strerror(errno));
		goto fail;
	}
	se->waker_started = true;
	s->events = se;
	return 0;
fail:
	events_close(se->ev);
	pthread_mutex_destroy(&se->lock);
	free(se);
	return -1;
}

void serve_events_stop(struct serve *s)
{
	struct serve_events *se = s->events;
	if (!se)
		return;
	pthread_mutex_lock(&se->lock);
	se->stopping = true;
	pthread_mutex_unlock(&se->lock);
	events_stop(se->ev);
	if (se->waker_started) {
		/* it resumes every suspended stream, whose readers then end it */
		pthread_join(se->waker, NULL);
		se->waker_started = false;
	}
}

void serve_events_free(struct serve *s)
{
	struct serve_events *se = s->events;
	if (!se)
		return;
	serve_events_stop(s);
	events_close(se->ev);
	pthread_mutex_destroy(&se->lock);
	free(se);
	s->events = NULL;
}

unsigned serve_events_clients(struct serve *s)
{
	unsigned n;
	if (!s->events)
		return 0;
	pthread_mutex_lock(&s->events->lock);
	n = s->events->clients;
	pthread_mutex_unlock(&s->events->lock);
	return n;
}

/* ---- one stream ----------------------------------------------------------------- */

static int add_event(void *ctx, int64_t seq, const char *json, size_t len)
{
	struct serve_stream *st = ctx;
	strbuf_addf(&st->out, "id: %" PRId64 "\ndata: ", seq);
	strbuf_add(&st->out, json, len);
	strbuf_add(&st->out, "\n\n", 2);
	st->last = seq;
	return 0;
}

/* Has the client closed its end? (A suspended connection's hang-up is
 * not seen by libmicrohttpd until it writes.) */
static bool hung_up(struct serve_stream *st)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(st->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct pollfd p;
	if (!ci)
		return false;
	p.fd = ci->connect_fd;
	p.events = POLLRDHUP;
	p.revents = 0;
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/*
 * libmicrohttpd asks for the next bytes: what is formatted, else the next
 * entries, else a heartbeat when one is due, else suspend until the waker
 * resumes the connection (0 bytes: libmicrohttpd asks again then).
 */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct serve_stream *st = cls;
	struct serve_events *se = st->se;
	size_t n;

	(void)pos;
	if (st->off == st->out.len) {
		bool heartbeat, stop;
		struct err e;

		st->off = 0;
		if (st->out.alloc > STREAM_KEEP_BUFFER)
			strbuf_release(&st->out);
		strbuf_reset(&st->out);
		pthread_mutex_lock(&se->lock);
		stop = se->stopping;
		heartbeat = st->heartbeat_due;
		st->heartbeat_due = false;
		pthread_mutex_unlock(&se->lock);
		if (stop)
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (!st->opened) {
			/* an id without data moves an EventSource's last id without
			 * an event: a client that reconnects before any entry came
			 * resumes from here, not from the head of that later time */
			strbuf_addf(&st->out, ": tollgate audit log\nid: %" PRId64 "\n\n", st->last);
			st->opened = true;
		} else {
			if (heartbeat && hung_up(st))
				return MHD_CONTENT_READER_END_OF_STREAM; /* quietly */
			err_init(&e);
			if (events_read(se->ev, st->last, STREAM_BATCH, add_event, st, &e) < 0) {
				fprintf(stderr, "tollgate: serve: an event stream ends: %s\n", e.msg);
				return MHD_CONTENT_READER_END_WITH_ERROR;
			}
			if (!st->out.len && heartbeat)
				strbuf_addstr(&st->out, ": heartbeat\n\n");
		}
		if (!st->out.len) {
			pthread_mutex_lock(&se->lock);
			if (se->stopping) {
				pthread_mutex_unlock(&se->lock);
				return MHD_CONTENT_READER_END_OF_STREAM;
			}
			/* an entry that landed since the read above is sent on the
			 * next call; otherwise the waker resumes this connection */
			if (events_head(se->ev) <= st->last) {
				st->since = mono_ms();
				st->suspended = true;
				MHD_suspend_connection(st->conn);
			}
			pthread_mutex_unlock(&se->lock);
			return 0;
		}
	}
	n = st->out.len - st->off;
	if (n > max)
		n = max;
	memcpy(buf, st->out.buf + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

/* The response is gone (the connection closed, or it was never queued). */
static void stream_free(void *cls)
{
	struct serve_stream *st = cls;
	struct serve_events *se = st->se;

	pthread_mutex_lock(&se->lock);
	if (st->prev)
		st->prev->next = st->next;
	else
		se->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	se->clients--;
	pthread_mutex_unlock(&se->lock);
	strbuf_release(&st->out);
	free(st);
}

/* Where the stream starts: Last-Event-ID (an EventSource reconnecting),
 * else ?after=SEQ, else the log's head (new entries only). */
static int start_seq(struct serve *s, const struct serve_request *rq, int64_t *out, struct err *e)
{
	const char *v = rq->header(rq->conn, "Last-Event-ID");
	const char *what = "Last-Event-ID";
	char head[65];
	char *end;
	long long x;

	if (!v || !*v) {
		v = rq->arg(rq->conn, "after");
		what = "after";
	}
	if (!v)
		return store_log_head(s->store, out, head, e);
	errno = 0;
	x = strtoll(v, &end, 10);
	if (end == v || *end || x < 0 || errno)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"%s '%s' is not an event id (an entry's seq: 0 or more)", what, v);
	*out = x;
	return 0;
}

int serve_api_events(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e)
{
	struct serve_events *se = s->events;
	struct serve_stream *st;
	int64_t after;

	if (!se || s->draining)
		return err_setr(e, ERR_FAILED, REASON_CANCELLED, "the server is stopping");
	if (start_seq(s, rq, &after, e) < 0)
		return -1;
	r->content_type = "text/event-stream";
	if (!strcmp(rq->method, "HEAD"))
		return 0;
	st = xcalloc(1, sizeof(*st));
	st->se = se;
	st->conn = rq->conn;
	st->last = after;
	strbuf_init(&st->out);
	pthread_mutex_lock(&se->lock);
	if (se->stopping) {
		pthread_mutex_unlock(&se->lock);
		free(st);
		return err_setr(e, ERR_FAILED, REASON_CANCELLED, "the server is stopping");
	}
	st->next = se->streams;
	if (se->streams)
		se->streams->prev = st;
	se->streams = st;
	se->clients++;
	pthread_mutex_unlock(&se->lock);
	r->stream = st;
	return 0;
}

enum MHD_Result serve_events_queue(struct MHD_Connection *c, struct serve_stream *st)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, st,
						 stream_free);
	if (!resp) {
		stream_free(st);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	/* proxies (nginx) pass each event on at once */
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	/* the connection is the stream's: it ends with it */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp); /* stream_free runs when the connection lets it go */
	return ret;
}
