/*
 * serve-route.c - the server's routes: method and path pattern to handler,
 * 404 for a path no route has, 405 (with Allow) for a method the path does
 * not take, and the one table mapping an engine error's reason to an HTTP
 * status. Errors are always {"error": {"code", "message"}} (encode_error).
 */
#include <stdarg.h>
#include <string.h>

#include "engine/encode.h"
#include "serve/serve-internal.h"

struct route {
	const char *method;
	const char *pattern; /* segments; "{x}" matches one non-empty segment */
	serve_handler fn;
};

static const struct route routes[] = {
	{ "GET", "/", serve_web_asset },
	{ "GET", "/assets/app.js", serve_web_asset },
	{ "GET", "/assets/app.css", serve_web_asset },
	{ "GET", "/healthz", serve_api_healthz },
	{ "GET", "/readyz", serve_api_readyz },
	{ "GET", "/metrics", serve_api_metrics },
	{ "GET", "/api/v1/openapi.json", serve_api_openapi },
	{ "GET", "/api/v1/status", serve_api_status },
	{ "GET", "/api/v1/why/{project}/{env}", serve_api_why },
	{ "GET", "/api/v1/next", serve_api_next },
	{ "GET", "/api/v1/forecast", serve_api_forecast },
	{ "GET", "/api/v1/plan", serve_api_plan },
	{ "GET", "/api/v1/report", serve_api_report },
	{ "GET", "/api/v1/gates", serve_api_gates },
	{ "GET", "/api/v1/checklist", serve_api_checklist },
	{ "GET", "/api/v1/incidents", serve_api_incidents },
	{ "GET", "/api/v1/blockers", serve_api_blockers },
	{ "GET", "/api/v1/rejections", serve_api_rejections },
	{ "GET", "/api/v1/log", serve_api_log },
	{ "GET", "/api/v1/log/verify", serve_api_log_verify },
	{ "GET", "/api/v1/events", serve_api_events },
	{ "POST", "/api/v1/versions", serve_api_versions },
	{ "POST", "/api/v1/session", serve_api_session_start },
	{ "GET", "/api/v1/session", serve_api_session_get },
	{ "DELETE", "/api/v1/session", serve_api_session_end },
	{ "POST", "/api/v1/approvals", serve_api_approve },
	{ "DELETE", "/api/v1/approvals/{gate}", serve_api_revoke },
	{ "POST", "/api/v1/checks/{item}", serve_api_check },
	{ "DELETE", "/api/v1/checks/{item}", serve_api_uncheck },
	{ "POST", "/api/v1/blockers/{id}", serve_api_blocker },
	{ "POST", "/api/v1/incidents", serve_api_incident_open },
	{ "GET", "/api/v1/incidents/{id}", serve_api_incident },
	{ "POST", "/api/v1/incidents/{id}/resolve", serve_api_incident_resolve },
	{ "POST", "/api/v1/rejections", serve_api_reject },
	{ "DELETE", "/api/v1/rejections/{project}/{version}", serve_api_allow },
	{ "POST", "/api/v1/promotions", serve_api_promotions },
	{ "GET", "/api/v1/runs/{id}", serve_api_run },
	{ "GET", "/api/v1/notifications", serve_api_notifications },
	{ "POST", "/api/v1/notifications/{id}/retry", serve_api_notification_retry },
	{ "GET", "/api/v1/runs/{id}/steps/{project}/{step}/log", serve_api_run_log },
};

/* engine reason → HTTP status; not_ready is 409 (the state does not allow it
 * now), as conflict */
static const struct {
	enum err_reason reason;
	int status;
} status_of[] = {
	{ REASON_INVALID, 400 },   { REASON_FORBIDDEN, 403 }, { REASON_NOT_FOUND, 404 },
	{ REASON_CONFLICT, 409 },  { REASON_NOT_READY, 409 }, { REASON_BUSY, 503 },
	{ REASON_CANCELLED, 503 }, { REASON_IO, 500 },        { REASON_FAILED, 500 },
};

int serve_status_of(const struct err *e)
{
	for (size_t i = 0; i < ARRAY_SIZE(status_of); i++)
		if (status_of[i].reason == e->reason)
			return status_of[i].status;
	switch (e->code) {
	case ERR_USAGE: return 400;
	case ERR_NOT_READY: return 409;
	default: return 500;
	}
}

void serve_reply_error(struct serve_reply *r, const struct err *e)
{
	json_t *j = encode_error(e);
	r->status = serve_status_of(e);
	r->content_type = "application/json";
	strbuf_reset(&r->body);
	r->etag[0] = '\0';
	encode_text(j, &r->body);
	json_decref(j);
}

void serve_reply_errorf(struct serve_reply *r, int status, const char *code, const char *fmt, ...)
{
	json_t *j = json_object(), *inner = json_object();
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_object_set_new(inner, "code", json_string(code));
	json_object_set_new(inner, "message", encode_string(msg));
	json_object_set_new(j, "error", inner);
	r->status = status;
	r->content_type = "application/json";
	strbuf_reset(&r->body);
	r->etag[0] = '\0';
	encode_text(j, &r->body);
	json_decref(j);
}

/* Split a path into its segments: buf holds a copy with each '/' made a
 * NUL; seg[] point into it. Returns the count, or -1 when too long or not
 * absolute. */
static int split(const char *path, char *buf, size_t len, const char **seg, int max)
{
	size_t l = strlen(path);
	int n = 0;
	if (path[0] != '/' || l >= len)
		return -1;
	memcpy(buf, path, l + 1);
	for (char *c = buf; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		if (n == max)
			return -1;
		seg[n++] = c + 1;
	}
	return n;
}

/* Does path match pattern? Fills rq->params with pointers into buf. */
static bool match(const char *pattern, const char *path, struct serve_request *rq, char *buf,
		  size_t len)
{
	char pbuf[128];
	const char *ps[16], *qs[16];
	int np = split(pattern, pbuf, sizeof(pbuf), ps, 16);
	int nq = split(path, buf, len, qs, 16);
	size_t n = 0;

	if (np < 0 || nq != np)
		return false;
	for (int i = 0; i < np; i++) {
		if (ps[i][0] == '{') {
			if (!qs[i][0] || n >= SERVE_PARAMS_MAX)
				return false;
			rq->params[n++] = qs[i];
		} else if (strcmp(ps[i], qs[i])) {
			return false;
		}
	}
	rq->nparams = n;
	return true;
}

bool serve_route_exists(const struct serve_request *rq)
{
	char buf[2048];
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		struct serve_request tmp = *rq;
		if ((!strcmp(routes[i].method, rq->method) ||
		     (!strcmp(rq->method, "HEAD") && !strcmp(routes[i].method, "GET"))) &&
		    match(routes[i].pattern, rq->path, &tmp, buf, sizeof(buf)))
			return true;
	}
	return false;
}

const char *serve_dispatch(struct serve *s, struct serve_request *rq, struct serve_reply *r)
{
	static char allow[64];
	char buf[2048];
	const struct route *hit = NULL;
	bool path_known = false;
	struct err e;

	allow[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		struct serve_request tmp = *rq;
		if (!match(routes[i].pattern, rq->path, &tmp, buf, sizeof(buf)))
			continue;
		path_known = true;
		if (strlen(allow) + strlen(routes[i].method) + 8 < sizeof(allow)) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, routes[i].method);
		}
		if (!strcmp(routes[i].method, rq->method) ||
		    (!strcmp(rq->method, "HEAD") && !strcmp(routes[i].method, "GET")))
			hit = &routes[i];
	}
	if (!hit) {
		if (path_known) {
			if (!strstr(allow, "HEAD") && strstr(allow, "GET"))
				strcat(allow, ", HEAD");
			r->allow = allow;
			serve_reply_errorf(r, 405, "method_not_allowed",
					   "'%s' does not take %s; it takes %s", rq->path, rq->method,
					   allow);
			return "unmatched";
		}
		serve_reply_errorf(r, 404, "not_found", "no such resource '%s'; see /api/v1/openapi.json",
				   rq->path);
		return "unmatched";
	}
	/* match again, for the parameters to point into buf while the handler runs */
	match(hit->pattern, rq->path, rq, buf, sizeof(buf));
	err_init(&e);
	r->status = 200;
	if (hit->fn(s, rq, r, &e) < 0)
		serve_reply_error(r, &e);
	return hit->pattern;
}
