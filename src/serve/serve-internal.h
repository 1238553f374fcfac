/*
 * serve-internal.h - what the files of src/serve/ share: the server's state
 * (the plan and store served, the answer cache, the request counters), one
 * request as a handler sees it (no libmicrohttpd types), and one reply.
 *
 * Locking: libmicrohttpd runs every handler on its one polling thread; the
 * main thread reloads the plan. s->lock is held around each request's
 * handling and around a reload's swap, so a handler sees one plan and store
 * from start to end.
 */
#ifndef TOLLGATE_SERVE_INTERNAL_H
#define TOLLGATE_SERVE_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "serve/serve.h"
#include "util/auth-throttle.h"
#include "util/util.h"

#define SERVE_CACHE_SLOTS 64
#define SERVE_COUNTERS_MAX 256
#define SERVE_PARAMS_MAX 4
#define SERVE_SESSION_COOKIE "tg_session"
#define SERVE_CSRF_HEADER "X-CSRF-Token"

/* An answer kept in the cache and sent by reference: every connection
 * sending it holds a reference (libmicrohttpd drops it when done), so 64
 * clients of a 6 MB status share one copy. */
struct serve_blob {
	_Atomic int refs;
	size_t len;
	char data[];
};
struct serve_blob *serve_blob_new(const char *data, size_t len);
struct serve_blob *serve_blob_ref(struct serve_blob *b);
void serve_blob_unref(struct serve_blob *b); /* NULL is fine */

struct serve_cache_slot {
	char etag[70]; /* quoted; "" for an empty slot */
	int status;
	const char *content_type;
	struct serve_blob *blob;
};

struct serve_counter {
	const char *route; /* a route's pattern (static), or "unmatched" */
	int status;
	uint64_t n;
};

struct serve {
	const struct serve_opts *o;
	pthread_mutex_t lock;
	struct plan *plan;
	struct store *store;
	char plan_hash[65];   /* SHA-256 of the plan file's bytes as loaded */
	char *plan_error;     /* why the plan file on disk is not served, or NULL */
	bool draining;
	struct serve_cache_slot cache[SERVE_CACHE_SLOTS];
	size_t cache_next;
	struct serve_counter counters[SERVE_COUNTERS_MAX];
	size_t ncounters;
	struct serve_events *events; /* GET /api/v1/events (serve-events.c) */
	struct why_base *why_base;   /* every cell, for why (serve-api.c) */
	char why_key[160];           /* the audit head and plan hash it was read at */
	struct auth_throttle *throttle; /* failed token checks, per client address */
	struct store *writer; /* opened on the first write (serve_writer), under lock */
	struct serve_runs *runs; /* promotion runs and the plans they hold (serve-runs.c) */
	struct serve_soak *soak; /* the background soak loop (serve-soak.c) */
	struct serve_notify *notify; /* the notification deliverer (serve-notify.c) */
};

/* One request, as a handler sees it. */
struct serve_request {
	const char *method, *path;
	const char *params[SERVE_PARAMS_MAX]; /* the pattern's {…} segments, in order */
	size_t nparams;
	/* a query argument (?name=value), NULL when absent */
	const char *(*arg)(void *conn, const char *name);
	const char *(*header)(void *conn, const char *name);
	void *conn;
	int64_t now;
	const char *body; /* the request body (NUL-terminated), NULL when none */
	size_t body_len;
	/* who sent it: set when the request carried a valid token (always for
	 * a write: serve.c refuses a write without one) */
	const char *person;   /* a people id of the served plan */
	const char *token_id; /* the token's id: audited as "token:ID" */
	/* a signed-in session's cookie (NULL: none, or a token came), its end
	 * and its CSRF token */
	const char *session;
	int64_t session_expires;
	char csrf[44];
	char session_error[256]; /* why a cookie that came was not a session */
	char client[AUTH_THROTTLE_ADDR_MAX]; /* the client's address, as text */
	bool tls;                            /* the server speaks HTTPS */
};

struct serve_reply {
	int status;
	const char *content_type; /* static */
	struct strbuf body;
	char etag[70];       /* "" none */
	const char *allow;   /* 405: the methods the path takes */
	bool unauthorized;   /* 401: add WWW-Authenticate */
	struct serve_stream *stream; /* answer with this event stream, not body */
	bool uncached;       /* depends on more than the cache's key: not kept, no ETag */
	struct serve_blob *blob; /* the body when it is a cached answer (a reference
	                          * the reply owns; body is empty then) */
	int64_t retry_after; /* 429/503: seconds for Retry-After; 0 none */
	const char *location; /* 201/202: Location; NULL none (static, owned by s, or location_buf) */
	char location_buf[80];
	bool page;            /* the dashboard's page: its security headers (CSP …) */
	char set_cookie[200]; /* Set-Cookie; "" none */
};

typedef int (*serve_handler)(struct serve *s, const struct serve_request *rq,
			     struct serve_reply *r, struct err *e);

/* serve-route.c */
/* Route rq (method and path set): fill params and call the handler, or
 * answer 404 / 405; errors become {"error": …} with their status. Returns
 * the matched route's pattern (static) for the metrics, or "unmatched". */
const char *serve_dispatch(struct serve *s, struct serve_request *rq, struct serve_reply *r);
/* Does a route take rq's method and path? (Otherwise serve_dispatch
 * answers 404 or 405 without looking at who asks.) */
bool serve_route_exists(const struct serve_request *rq);
/* The HTTP status an engine error maps to. */
int serve_status_of(const struct err *e);
/* r becomes the error document of e, with its status. */
void serve_reply_error(struct serve_reply *r, const struct err *e);
/* r becomes {"error": {"code", "message"}} with this status. */
void serve_reply_errorf(struct serve_reply *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* j (consumed) as the answer, laid out as the CLI prints it, with
 * "rehearsal": true on a rehearsal store when rehearsal_mark (as the CLI's
 * --json). 0, or -1 when it cannot be encoded. */
int serve_reply_json(struct serve *s, struct serve_reply *r, json_t *j, bool rehearsal_mark,
		     struct err *e);

/* serve-body.c: request bodies and writes */
/* Is this method a write (anything but GET and HEAD)? Writes need a token. */
bool serve_is_write(const char *method);
/*
 * The request's body as a JSON object whose members are all among `fields`
 * (NULL-terminated). An empty body is {} when `empty_ok`. NULL with e
 * (REASON_INVALID: the message names the line:column of bad JSON, the
 * unknown member and the ones allowed). The caller json_decref()s it.
 */
json_t *serve_body_object(const struct serve_request *rq, const char *const *fields,
			  bool empty_ok, struct err *e);
/* Member `name` of o as a string: 0 with *out (NULL when absent and not
 * required), -1 with e (REASON_INVALID) when of another type or missing. */
int serve_json_string(json_t *o, const char *name, bool required, const char **out,
		      struct err *e);
/* The same for an integer (a JSON integer, not a float or a string). */
int serve_json_int(json_t *o, const char *name, bool required, bool *present, int64_t *out,
		   struct err *e);
/* The same for a boolean. */
int serve_json_bool(json_t *o, const char *name, bool *present, bool *out, struct err *e);
/*
 * The store a write goes to, with the audit's authentication set to the
 * request's token ("token:ID"): the server's writer connection, opened on
 * first use. Only under s->lock, within one request. -1 with e.
 */
int serve_writer(struct serve *s, const struct serve_request *rq, struct store **w,
		 struct err *e);
/* Forget the writer (a reload: the new plan's store gets its own). */
void serve_writer_close(struct serve *s);
/* The writer connection with nobody's authentication set yet (signing in
 * sets its own). Under s->lock. */
int serve_writer_open(struct serve *s, struct store **w, struct err *e);

/* serve-session.c: sign-in sessions for the dashboard */
int serve_api_session_start(struct serve *s, const struct serve_request *rq,
			    struct serve_reply *r, struct err *e);
int serve_api_session_get(struct serve *s, const struct serve_request *rq,
			  struct serve_reply *r, struct err *e);
int serve_api_session_end(struct serve *s, const struct serve_request *rq,
			  struct serve_reply *r, struct err *e);

/* serve-write.c: the write endpoints */
int serve_api_versions(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		       struct err *e);
/* serve-actions.c: approvals, checks, blockers, incidents, rejections */
int serve_api_approve(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e);
int serve_api_revoke(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e);
int serve_api_check(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		    struct err *e);
int serve_api_uncheck(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e);
int serve_api_blocker(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e);
int serve_api_incident_open(struct serve *s, const struct serve_request *rq,
			    struct serve_reply *r, struct err *e);
int serve_api_incident(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		       struct err *e);
int serve_api_incident_resolve(struct serve *s, const struct serve_request *rq,
			       struct serve_reply *r, struct err *e);
int serve_api_reject(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e);
int serve_api_allow(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		    struct err *e);

/* serve-runs.c: promotion runs inside the server, each on a thread of its
 * own with a store connection of its own; the plans they hold */
int serve_api_promotions(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			 struct err *e);
int serve_api_run(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		  struct err *e);
int serve_api_run_log(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e);
struct serve_runs *serve_runs_new(void);
/* SIGTERM: let the running steps of every run finish (cancel level 1); a
 * signal of `set` again, or timeout_s, stops them (level 2). Returns once
 * every run has ended. */
void serve_runs_drain(struct serve *s, const sigset_t *set, unsigned timeout_s);
/* Join every run and free the registry (the server stops). */
void serve_runs_free(struct serve_runs *reg);
/* A plan in use outside a request (a run, the soak loop): held, it is not
 * freed by a reload until put. */
void serve_plan_hold(struct serve_runs *reg, struct plan *p);
void serve_plan_put(struct serve_runs *reg, struct plan *p);
/* For a background loop (soak, notifications): the server's plan now, held
 * (serve_plan_put it), and its n store connections ws kept to that plan's
 * state: closed when a reload changed the plan's id, ws[0] opened when it is
 * not (NULL, e set, when it cannot be). *plan_id tracks the id (free it). */
struct plan *serve_bg_plan(struct serve *s, char **plan_id, struct store **ws, size_t n,
			   struct err *e);
/* A reload replaced p: true when nothing holds it (the caller frees it
 * now); otherwise the last serve_plan_put frees it. */
bool serve_plan_retire(struct serve_runs *reg, struct plan *p);
void serve_runs_metrics(struct serve *s, struct strbuf *out);

/* serve-soak.c: the background soak loop (soak_tick on a timer) */
int serve_soak_start(struct serve *s, struct err *e);
/* Stop it between pairs (cancel level 1), wait for it, give the lease up. */
void serve_soak_stop(struct serve *s);
void serve_soak_metrics(struct serve *s, struct strbuf *out);

/* serve-notify.c: notifications delivered in the background (schedules and
 * the outbox); wake: a write of this server committed, look now */
int serve_notify_start(struct serve *s, struct err *e);
void serve_notify_wake(struct serve *s);
void serve_notify_stop(struct serve *s);
void serve_notify_metrics(struct serve *s, struct strbuf *out);
int serve_api_notifications(struct serve *s, const struct serve_request *rq,
			    struct serve_reply *r, struct err *e);
int serve_api_notification_retry(struct serve *s, const struct serve_request *rq,
				 struct serve_reply *r, struct err *e);

/* serve-web.c: the dashboard's files */
int serve_web_asset(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		    struct err *e);
/* Is path one of the dashboard's files (served to anyone: they hold no data)? */
bool serve_web_public(const char *path);

/* serve-api.c: the handlers */
int serve_api_status(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e);
int serve_api_why(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		  struct err *e);
/* GET /api/v1/forecast[?env=E&wave=W&project=P&assume=K:ID=V,...]: the
 * bytes of `forecast --json` with the same options (assume: the --assume
 * values, comma-separated) */
int serve_api_forecast(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		       struct err *e);
int serve_api_next(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		   struct err *e);
int serve_api_plan(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		   struct err *e);
int serve_api_report(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e);
int serve_api_log(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		  struct err *e);
/* the listing commands' answers (gates, checklist …: report_list) */
int serve_api_gates(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		    struct err *e);
int serve_api_checklist(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			struct err *e);
int serve_api_incidents(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			struct err *e);
int serve_api_blockers(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		       struct err *e);
int serve_api_rejections(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			 struct err *e);
int serve_api_log_verify(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			 struct err *e);
int serve_api_openapi(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e);
int serve_api_healthz(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e);
int serve_api_readyz(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e);
/* The cache: forget every answer (a reload). */
void serve_cache_clear(struct serve *s);
void serve_cache_release(struct serve *s);

/* serve-events.c: GET /api/v1/events */
int serve_api_events(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e);
/* Start the event source and its waker thread (before the daemon), stop
 * every stream (the drain: streams end at once), free it (after the daemon
 * stopped). */
int serve_events_start(struct serve *s, struct err *e);
void serve_events_stop(struct serve *s);
void serve_events_free(struct serve *s);
/* Queue r->stream as c's answer; it is freed with the connection. */
struct MHD_Connection;
enum MHD_Result serve_events_queue(struct MHD_Connection *c, struct serve_stream *st);
/* Clients connected to the event stream now. */
unsigned serve_events_clients(struct serve *s);
/* Raise the soft limit of open files to the hard one (1,000 streams). */
void serve_raise_nofile(void);

/* serve-metrics.c */
int serve_api_metrics(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e);
/* Count one answered request. */
void serve_metrics_count(struct serve *s, const char *route, int status);

#endif
