/*
 * serve-api.c - the read handlers of /api/v1 and the probes: each parses
 * its request, calls the engine function the CLI calls and writes the same
 * encoder's bytes (status, why, next, report, log, log --verify), nothing
 * more. Reads are cached by what they depend on (serve-internal.h).
 *
 * The cache: an answer's strong ETag is a hash of the audit log's head (seq
 * and hash: every state change appends an entry, from any process), the
 * plan's hash, the clock to the second (answers carry "now" and lateness)
 * and the request's own arguments. A request whose ETag is in the cache is
 * answered from it; If-None-Match with it gets 304.
 */
#include <inttypes.h>
#include "util/crypto.h"
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

#include "engine/actions.h"
#include "engine/encode.h"
#include "engine/forecast.h"
#include "engine/query.h"
#include "plan/plan.h"
#include "report/report.h"
#include "serve/serve-internal.h"
#include "store/store.h"

#define LOG_LIMIT_DEFAULT 1000
#define LOG_LIMIT_MAX 10000

extern const char serve_openapi_json[];
extern const size_t serve_openapi_json_len;

typedef int (*build_fn)(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			struct err *e);

static int etag_of(struct serve *s, const struct serve_request *rq, const char *key,
		   char out[70], struct err *e)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char sum[32];
	unsigned int n = 0;
	struct strbuf sb = STRBUF_INIT;
	char head[65];
	int64_t seq;

	if (store_log_head(s->store, &seq, head, e) < 0)
		return -1;
	strbuf_addf(&sb, "%" PRId64 "\n%s\n%s\n%" PRId64 "\n%s", seq, head, s->plan_hash, rq->now,
		    key);
	if (EVP_Digest(sb.buf, sb.len, sum, &n, EVP_sha256(), NULL) != 1) {
		strbuf_release(&sb);
		return err_setr(e, ERR_FAILED, REASON_FAILED, "cannot hash the answer's key");
	}
	strbuf_release(&sb);
	out[0] = '"';
	for (int i = 0; i < 16; i++) {
		out[1 + 2 * i] = hex[sum[i] >> 4];
		out[2 + 2 * i] = hex[sum[i] & 15];
	}
	out[33] = '"';
	out[34] = '\0';
	return 0;
}

static bool etag_matches(const char *inm, const char *etag)
{
	return inm && (!strcmp(inm, "*") || strstr(inm, etag));
}

void serve_cache_clear(struct serve *s)
{
	for (size_t i = 0; i < SERVE_CACHE_SLOTS; i++)
		s->cache[i].etag[0] = '\0';
	why_base_free(s->why_base);
	s->why_base = NULL;
}

void serve_cache_release(struct serve *s)
{
	for (size_t i = 0; i < SERVE_CACHE_SLOTS; i++)
		serve_blob_unref(s->cache[i].blob), s->cache[i].blob = NULL;
	why_base_free(s->why_base);
	s->why_base = NULL;
}

struct serve_blob *serve_blob_new(const char *data, size_t len)
{
	struct serve_blob *b = xmalloc(sizeof(*b) + len + 1);
	atomic_init(&b->refs, 1);
	b->len = len;
	if (len)
		memcpy(b->data, data, len);
	b->data[len] = '\0';
	return b;
}

struct serve_blob *serve_blob_ref(struct serve_blob *b)
{
	atomic_fetch_add(&b->refs, 1);
	return b;
}

void serve_blob_unref(struct serve_blob *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

/* Answer from the cache, or build and keep the answer. */
static int cached(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		  const char *key, build_fn build, struct err *e)
{
	const char *inm = rq->header(rq->conn, "If-None-Match");
	struct serve_cache_slot *slot = NULL;
	char etag[70];

	if (etag_of(s, rq, key, etag, e) < 0)
		return -1;
	for (size_t i = 0; i < SERVE_CACHE_SLOTS; i++)
		if (!strcmp(s->cache[i].etag, etag))
			slot = &s->cache[i];
	if (etag_matches(inm, etag)) {
		r->status = 304;
		strbuf_reset(&r->body);
		memcpy(r->etag, etag, sizeof(etag));
		return 0;
	}
	if (slot) {
		r->status = slot->status;
		r->content_type = slot->content_type;
		strbuf_reset(&r->body);
		r->blob = serve_blob_ref(slot->blob);
		memcpy(r->etag, etag, sizeof(etag));
		return 0;
	}
	if (build(s, rq, r, e) < 0)
		return -1;
	if (r->status != 200 || r->uncached)
		return 0;
	memcpy(r->etag, etag, sizeof(etag));
	slot = &s->cache[s->cache_next++ % SERVE_CACHE_SLOTS];
	memcpy(slot->etag, etag, sizeof(etag));
	slot->status = r->status;
	slot->content_type = r->content_type;
	serve_blob_unref(slot->blob);
	slot->blob = serve_blob_new(r->body.buf, r->body.len);
	/* this answer too is sent from the one copy */
	r->blob = serve_blob_ref(slot->blob);
	strbuf_release(&r->body);
	return 0;
}

/* j as the CLI prints it (with "rehearsal": true on a rehearsal store, as
 * cmd_print_json adds it); steals j */
int serve_reply_json(struct serve *s, struct serve_reply *r, json_t *j, bool rehearsal_mark,
		      struct err *e)
{
	int rc;
	if (rehearsal_mark && store_is_rehearsal(s->store) && json_is_object(j))
		json_object_set_new(j, "rehearsal", json_true());
	r->content_type = "application/json";
	rc = encode_text(j, &r->body);
	json_decref(j);
	if (rc < 0)
		return err_setr(e, ERR_FAILED, REASON_FAILED, "cannot encode the answer");
	return 0;
}

/* ---- status ------------------------------------------------------------------ */

static int build_status(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			struct err *e)
{
	const char *env = rq->arg(rq->conn, "env"), *wave = rq->arg(rq->conn, "wave");
	int only_env = -1, only_wave = -1;
	struct status_board b;
	int rc;

	if (env && (only_env = action_find_env(s->plan, env, e)) < 0)
		return -1;
	if (wave && (only_wave = action_find_wave(s->plan, wave, e)) < 0)
		return -1;
	if (status_board(&b, s->plan, s->store, rq->now, only_env, only_wave, e) < 0)
		return -1;
	r->content_type = "application/json";
	rc = encode_status_board(&b, &r->body);
	status_board_release(&b);
	if (rc < 0)
		return err_setr(e, ERR_FAILED, REASON_FAILED, "cannot encode the board");
	return 0;
}

int serve_api_status(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e)
{
	struct strbuf key = STRBUF_INIT;
	const char *env = rq->arg(rq->conn, "env"), *wave = rq->arg(rq->conn, "wave");
	int rc;
	strbuf_addf(&key, "status\n%s\n%s\n%s", env ? "1" : "0", env ? env : "", wave ? wave : "");
	rc = cached(s, rq, r, key.buf, build_status, e);
	strbuf_release(&key);
	return rc;
}

/* ---- why --------------------------------------------------------------------- */

/* Every cell as of the log's head now, read again when the head or the plan
 * moved: a why then costs its rules only (query.h, ready_why_from). Read
 * after the head, so never older than its key. */
static struct why_base *why_base_now(struct serve *s, struct err *e)
{
	char head[65], key[sizeof(s->why_key)];
	int64_t seq;

	if (store_log_head(s->store, &seq, head, e) < 0)
		return NULL;
	snprintf(key, sizeof(key), "%" PRId64 " %s %s", seq, head, s->plan_hash);
	if (s->why_base && !strcmp(key, s->why_key))
		return s->why_base;
	why_base_free(s->why_base);
	s->why_base = NULL;
	if (why_base_load(&s->why_base, s->plan, s->store, e) < 0)
		return NULL;
	memcpy(s->why_key, key, sizeof(key));
	return s->why_base;
}

static int build_why(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e)
{
	const struct plan *p = s->plan;
	struct why_base *base;
	struct ready_why w;
	int pi, ei, rc;

	pi = action_find_project(p, rq->params[0], e);
	if (pi < 0)
		return -1;
	ei = action_find_env(p, rq->params[1], e);
	if (ei < 0)
		return -1;
	if (ei == 0)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"'%s' is the first environment: nothing is promoted into it; versions "
				"enter it with 'tollgate record %s %s --version V'",
				p->envs[0].name, p->projects[pi].id, p->envs[0].name);
	base = why_base_now(s, e);
	if (!base)
		return -1;
	if (ready_why_from(&w, base, p, s->store, rq->now, pi, ei, NULL, e) < 0)
		return -1;
	r->uncached = w.runner_bound;
	rc = serve_reply_json(s, r, encode_why(p, &w), true, e);
	ready_why_release(&w);
	return rc;
}

int serve_api_why(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		  struct err *e)
{
	struct strbuf key = STRBUF_INIT;
	int rc;
	strbuf_addf(&key, "why\n%s\n%s", rq->params[0], rq->params[1]);
	rc = cached(s, rq, r, key.buf, build_why, e);
	strbuf_release(&key);
	return rc;
}

/* ---- next -------------------------------------------------------------------- */

static int build_next(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e)
{
	struct ready_next n;
	int rc;
	if (ready_next(&n, s->plan, s->store, rq->now, NULL, e) < 0)
		return -1;
	rc = serve_reply_json(s, r, encode_next(s->plan, &n), true, e);
	ready_next_release(&n);
	return rc;
}

int serve_api_next(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		   struct err *e)
{
	return cached(s, rq, r, "next", build_next, e);
}

/* ---- forecast ---------------------------------------------------------------- */

static int build_forecast(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			  struct err *e)
{
	const struct plan *p = s->plan;
	const char *env = rq->arg(rq->conn, "env"), *wave = rq->arg(rq->conn, "wave");
	const char *project = rq->arg(rq->conn, "project"), *assume = rq->arg(rq->conn, "assume");
	struct forecast_opts o = FORECAST_OPTS_INIT;
	struct forecast_assume as;
	struct forecast f;
	int rc = -1;

	if (env && (o.only_env = action_find_env(p, env, e)) < 0)
		return -1;
	if (wave && (o.only_wave = action_find_wave(p, wave, e)) < 0)
		return -1;
	if (project && (o.only_project = action_find_project(p, project, e)) < 0)
		return -1;
	forecast_assume_init(&as, p);
	if (assume) {
		char *list = xstrdup(assume), *save = NULL;
		for (char *one = strtok_r(list, ",", &save); one; one = strtok_r(NULL, ",", &save))
			if (forecast_assume_parse(&as, p, one, e) < 0) {
				free(list);
				goto out;
			}
		free(list);
	}
	o.assume = &as;
	if (forecast_query(&f, p, s->store, rq->now, &o, e) < 0)
		goto out;
	r->content_type = "application/json";
	encode_forecast_text(&f, &r->body);
	rc = 0;
	forecast_release(&f);
out:
	forecast_assume_release(&as);
	return rc;
}

int serve_api_forecast(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		       struct err *e)
{
	struct strbuf key = STRBUF_INIT;
	const char *args[] = { "env", "wave", "project", "assume" };
	int rc;
	strbuf_addstr(&key, "forecast");
	for (size_t i = 0; i < ARRAY_SIZE(args); i++) {
		const char *v = rq->arg(rq->conn, args[i]);
		strbuf_addf(&key, "\n%s%s", v ? "1" : "0", v ? v : "");
	}
	rc = cached(s, rq, r, key.buf, build_forecast, e);
	strbuf_release(&key);
	return rc;
}

/* ---- plan -------------------------------------------------------------------- */

static int build_plan(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e)
{
	(void)rq;
	return serve_reply_json(s, r, encode_plan(s->plan), false, e);
}

int serve_api_plan(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		   struct err *e)
{
	return cached(s, rq, r, "plan", build_plan, e);
}

/* ---- report ------------------------------------------------------------------ */

static int report_format(const struct serve_request *rq, enum report_format *f, struct err *e)
{
	const char *name = rq->arg(rq->conn, "format");
	if (!name) {
		*f = REPORT_MD;
		return 0;
	}
	if (report_format_parse(name, f) == 0)
		return 0;
	if (report_format_suggest(name))
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"unknown report format '%s'; did you mean '%s'?", name,
				report_format_suggest(name));
	return err_setr(e, ERR_USAGE, REASON_INVALID, "unknown report format '%s'; use md, html or json",
			name);
}

static int build_report(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			struct err *e)
{
	static const char *const types[] = { "text/markdown; charset=utf-8",
					     "text/html; charset=utf-8", "application/json" };
	enum report_format f;
	struct state st;
	int rc;

	if (report_format(rq, &f, e) < 0)
		return -1;
	if (report_state_load(&st, s->plan, s->store, rq->now, e) < 0)
		return -1;
	rc = report_render(s->plan, &st, f, rq->now, &r->body, e);
	state_release(&st);
	r->content_type = types[f];
	return rc;
}

int serve_api_report(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e)
{
	enum report_format f;
	char key[32];
	if (report_format(rq, &f, e) < 0)
		return -1;
	snprintf(key, sizeof(key), "report\n%d", (int)f);
	return cached(s, rq, r, key, build_report, e);
}

/* ---- lists: gates, checklist, incidents, blockers, rejections ------------------ */

/* ?name=1|true|0|false: *out 1, 0, or -1 when absent; -1 on another value */
static int flag_arg(const struct serve_request *rq, const char *name, int *out, struct err *e)
{
	const char *v = rq->arg(rq->conn, name);
	*out = -1;
	if (!v)
		return 0;
	if (!strcmp(v, "1") || !strcmp(v, "true"))
		*out = 1;
	else if (!strcmp(v, "0") || !strcmp(v, "false"))
		*out = 0;
	else
		return err_setr(e, ERR_USAGE, REASON_INVALID, "?%s='%s' is not true or false", name,
				v);
	return 0;
}

static int list_opts(struct serve *s, const struct serve_request *rq, struct report_list_opts *o,
		     struct err *e)
{
	const char *env = rq->arg(rq->conn, "env");
	int open, done;
	o->env = -1;
	if (env && (o->env = action_find_env(s->plan, env, e)) < 0)
		return -1;
	if (flag_arg(rq, "open", &open, e) < 0 || flag_arg(rq, "done", &done, e) < 0)
		return -1;
	o->open_only = open == 1;
	o->done = done;
	return 0;
}

static int build_list(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      enum report_list l, struct err *e)
{
	struct report_list_opts o;
	struct state_load_opts lo = { 0 };
	struct state st;
	json_t *doc;

	if (list_opts(s, rq, &o, e) < 0)
		return -1;
	lo.now = rq->now;
	if (state_load_opts(&st, s->plan, s->store, &lo, e) < 0)
		return -1;
	doc = report_list(s->plan, &st, l, &o, rq->now);
	state_release(&st);
	return serve_reply_json(s, r, doc, true, e);
}

#define LIST_API(name, kind)                                                                  \
	static int build_##name(struct serve *s, const struct serve_request *rq,                \
				struct serve_reply *r, struct err *e)                           \
	{                                                                                     \
		return build_list(s, rq, r, kind, e);                                         \
	}                                                                                     \
	int serve_api_##name(struct serve *s, const struct serve_request *rq,                   \
			     struct serve_reply *r, struct err *e)                              \
	{                                                                                     \
		struct strbuf key = STRBUF_INIT;                                              \
		const char *env = rq->arg(rq->conn, "env"), *open = rq->arg(rq->conn, "open"); \
		const char *done = rq->arg(rq->conn, "done");                                 \
		int rc;                                                                       \
		strbuf_addf(&key, #name "\n%s%s\n%s%s\n%s%s", env ? "=" : "", env ? env : "",  \
			    open ? "=" : "", open ? open : "", done ? "=" : "", done ? done : "");  \
		rc = cached(s, rq, r, key.buf, build_##name, e);                              \
		strbuf_release(&key);                                                         \
		return rc;                                                                    \
	}

LIST_API(gates, REPORT_LIST_GATES)
LIST_API(checklist, REPORT_LIST_CHECKLIST)
LIST_API(incidents, REPORT_LIST_INCIDENTS)
LIST_API(blockers, REPORT_LIST_BLOCKERS)
LIST_API(rejections, REPORT_LIST_REJECTIONS)

/* ---- log --------------------------------------------------------------------- */

struct log_ctx {
	struct strbuf *out;
	int64_t n;
};

/* one entry as `log --json` writes it: one line, with its ops */
static int log_entry(void *ctx, const struct store_log_entry *en)
{
	struct log_ctx *c = ctx;
	json_t *o = encode_log_entry(en);
	char *line;
	if (en->ops)
		json_object_set_new(o, "ops", encode_string(en->ops));
	line = json_dumps(o, JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!line)
		return 1;
	strbuf_addstr(c->out, c->n ? ",\n    " : "\n    ");
	strbuf_addstr(c->out, line);
	free(line);
	c->n++;
	return 0;
}

/* A query argument as a number in [min, max]; def when absent. */
static int number_arg(const struct serve_request *rq, const char *name, int64_t def, int64_t min,
		      int64_t max, int64_t *out, struct err *e)
{
	const char *v = rq->arg(rq->conn, name);
	char *end;
	long long x;
	if (!v) {
		*out = def;
		return 0;
	}
	x = strtoll(v, &end, 10);
	if (end == v || *end || x < min || x > max)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"%s '%s' is not a number from %" PRId64 " to %" PRId64, name, v, min,
				max);
	*out = x;
	return 0;
}

static int build_log(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e)
{
	struct log_ctx c = { &r->body, 0 };
	int64_t after = 0, limit = LOG_LIMIT_DEFAULT;
	if (number_arg(rq, "after", 0, 0, INT64_MAX, &after, e) < 0 ||
	    number_arg(rq, "limit", LOG_LIMIT_DEFAULT, 1, LOG_LIMIT_MAX, &limit, e) < 0)
		return -1;
	r->content_type = "application/json";
	strbuf_addstr(&r->body, store_is_rehearsal(s->store)
					? "{\n  \"rehearsal\": true,\n  \"entries\": ["
					: "{\n  \"entries\": [");
	if (store_log_after(s->store, after, limit, log_entry, &c, e) < 0)
		return -1;
	strbuf_addstr(&r->body, c.n ? "\n  ]\n}\n" : "]\n}\n");
	return 0;
}

int serve_api_log(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		  struct err *e)
{
	struct strbuf key = STRBUF_INIT;
	const char *after = rq->arg(rq->conn, "after"), *limit = rq->arg(rq->conn, "limit");
	int rc;
	strbuf_addf(&key, "log\n%s\n%s", after ? after : "", limit ? limit : "");
	rc = cached(s, rq, r, key.buf, build_log, e);
	strbuf_release(&key);
	return rc;
}

/* Not cached: the check reads every row, and a row changed behind the log's
 * back (what it exists to find) does not move the log's head. */
int serve_api_log_verify(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
			 struct err *e)
{
	struct store_verify_full full;
	int rc;
	(void)rq;
	if (store_log_verify_full(s->store, NULL, 0, &full, e) < 0) {
		store_verify_release(&full);
		return -1;
	}
	rc = serve_reply_json(s, r, encode_log_verify(&full, 0), true, e);
	store_verify_release(&full);
	return rc;
}

/* ---- the document and the probes --------------------------------------------- */

int serve_api_openapi(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e)
{
	(void)s;
	(void)rq;
	(void)e;
	r->content_type = "application/json";
	strbuf_add(&r->body, serve_openapi_json, serve_openapi_json_len);
	return 0;
}

int serve_api_healthz(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e)
{
	(void)s;
	(void)rq;
	(void)e;
	r->content_type = "application/json";
	strbuf_addstr(&r->body, "{\n  \"status\": \"up\"\n}\n");
	return 0;
}

int serve_api_readyz(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e)
{
	char head[65];
	int64_t seq;
	(void)rq;
	if (store_log_head(s->store, &seq, head, e) < 0) {
		serve_reply_errorf(r, 503, "not_ready", "the store cannot be read: %s", e->msg);
		return 0;
	}
	if (s->plan_error) {
		serve_reply_errorf(r, 503, "not_ready", "%s", s->plan_error);
		return 0;
	}
	r->content_type = "application/json";
	strbuf_addstr(&r->body, "{\n  \"status\": \"ready\"\n}\n");
	return 0;
}
