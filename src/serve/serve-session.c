/*
 * serve-session.c - signing in to the dashboard (engine/session.h):
 *   POST   /api/v1/session {token, ttl?}  start a session with an API token:
 *          201, the cookie (HttpOnly, SameSite=Strict, Secure under TLS) and
 *          the CSRF token the page sends with every write;
 *   GET    /api/v1/session                who is signed in (and the CSRF
 *          token again, for a page loaded afresh), 401 when nobody;
 *   DELETE /api/v1/session                sign out (a write: CSRF checked).
 * A failed sign-in counts against the address like a bad token.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/encode.h"
#include "engine/session.h"
#include "plan/plan.h"
#include "serve/serve-internal.h"

/* {"person", "name", "roles", "csrf", "expires"} */
static json_t *who(const struct plan *p, const char *person, const char *csrf, int64_t expires)
{
	json_t *o = json_object(), *roles = json_array();
	int pi = plan_person_index(p, person);
	if (pi >= 0)
		for (size_t i = 0; i < p->people[pi].nroles; i++)
			json_array_append_new(roles, encode_string(p->people[pi].roles[i]));
	json_object_set_new(o, "person", encode_string(person));
	json_object_set_new(o, "name", pi >= 0 && p->people[pi].name
					       ? encode_string(p->people[pi].name)
					       : json_null());
	json_object_set_new(o, "roles", roles);
	json_object_set_new(o, "csrf", encode_string(csrf));
	json_object_set_new(o, "expires", encode_time(expires));
	return o;
}

static void set_cookie(struct serve_reply *r, const struct serve_request *rq, const char *value,
		       int64_t max_age)
{
	snprintf(r->set_cookie, sizeof(r->set_cookie),
		 SERVE_SESSION_COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Strict%s",
		 value, (long long)max_age, rq->tls ? "; Secure" : "");
}

int serve_api_session_start(struct serve *s, const struct serve_request *rq,
			    struct serve_reply *r, struct err *e)
{
	static const char *const fields[] = { "token", "ttl", NULL };
	struct session_new sn;
	struct store *w;
	const char *token;
	int64_t ttl = 0, retry = 0;
	bool has_ttl = false;
	json_t *body;
	int rc;

	if (!auth_throttle_allow(s->throttle, rq->client, rq->now, &retry)) {
		serve_reply_errorf(r, 429, "too_many_requests",
				   "too many failed authentications from %s: try again in %lld s",
				   rq->client, (long long)retry);
		r->retry_after = retry;
		return 0;
	}
	body = serve_body_object(rq, fields, false, e);
	if (!body)
		return -1;
	if (serve_json_string(body, "token", true, &token, e) < 0 ||
	    serve_json_int(body, "ttl", false, &has_ttl, &ttl, e) < 0) {
		json_decref(body);
		return -1;
	}
	if (has_ttl && (ttl < 60 || ttl > 30 * 86400)) {
		json_decref(body);
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"'ttl' is seconds between 60 and 2592000 (30 days)");
	}
	if (serve_writer_open(s, &w, e) < 0) {
		json_decref(body);
		return -1;
	}
	rc = session_start(w, s->plan, token, rq->now, ttl, &sn, e);
	json_decref(body);
	if (rc < 0) {
		if (e->reason == REASON_IO)
			return -1;
		auth_throttle_fail(s->throttle, rq->client, rq->now);
		serve_reply_errorf(r, 401, "unauthorized", "%s", e->msg);
		r->unauthorized = true;
		return 0;
	}
	auth_throttle_success(s->throttle, rq->client);
	set_cookie(r, rq, sn.cookie, sn.expires_at - rq->now);
	rc = serve_reply_json(s, r, who(s->plan, sn.person, sn.csrf, sn.expires_at), false, e);
	r->status = 201;
	free(sn.person);
	free(sn.token_id);
	explicit_bzero(&sn, sizeof(sn));
	return rc;
}

int serve_api_session_get(struct serve *s, const struct serve_request *rq,
			  struct serve_reply *r, struct err *e)
{
	if (!rq->session) {
		if (rq->session_error[0])
			serve_reply_errorf(r, 401, "unauthorized", "%s", rq->session_error);
		else
			serve_reply_errorf(r, 401, "unauthorized",
					   "not signed in: POST /api/v1/session with an API token");
		return 0;
	}
	return serve_reply_json(s, r, who(s->plan, rq->person, rq->csrf, rq->session_expires),
				false, e);
}

int serve_api_session_end(struct serve *s, const struct serve_request *rq,
			  struct serve_reply *r, struct err *e)
{
	struct store *w;
	json_t *o;

	if (!rq->session)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"no session to end: this request came with a token, not a cookie");
	if (serve_writer_open(s, &w, e) < 0 || session_end(w, s->plan, rq->session, rq->now, e) < 0)
		return -1;
	set_cookie(r, rq, "", 0);
	o = json_object();
	json_object_set_new(o, "signed_out", json_true());
	return serve_reply_json(s, r, o, false, e);
}
