/*
 * session.h - the dashboard's sign-in sessions (issue 12, docs/dashboard.md).
 *
 * A person signs in with one of their API tokens (token.h); the server then
 * keeps a session and hands the browser a cookie `ts_<id>_<secret>` (the
 * same shape as a token: a public id and 32 random bytes). The store keeps
 * the SHA-256 of the cookie, never the cookie. A session is bound to its
 * token: it ends when it expires (SESSION_TTL_DEFAULT), when the person
 * signs out, when the token is revoked or expires, or when the person
 * leaves the plan. Starting and ending one are audited (session.started,
 * session.ended) with the token as the authentication.
 *
 * Every state-changing request a session makes must carry its CSRF token
 * (session_csrf: derived from the cookie, which the page's script cannot
 * read; the page gets it when it signs in or asks who it is).
 */
#ifndef TOLLGATE_ENGINE_SESSION_H
#define TOLLGATE_ENGINE_SESSION_H

#include <stdint.h>

#include "plan/plan.h"
#include "store/store.h"
#include "util/util.h"

#define SESSION_ID_LEN 16
#define SESSION_LEN (3 + SESSION_ID_LEN + 1 + 43) /* "ts_" id "_" secret */
#define SESSION_CSRF_LEN 43
#define SESSION_TTL_DEFAULT (12 * 3600)

struct session_new {
	char id[SESSION_ID_LEN + 1];
	char cookie[SESSION_LEN + 1];
	char csrf[SESSION_CSRF_LEN + 1];
	char *person, *token_id; /* the caller frees both */
	int64_t expires_at;
};

/*
 * Sign in with token (a whole API token) at now for ttl seconds (0: the
 * default; never past the token's own expiry). 0 with out filled, or -1
 * with e: token_verify's errors (REASON_INVALID / REASON_FORBIDDEN: not
 * authenticated; REASON_IO the store).
 */
int session_start(struct store *s, const struct plan *p, const char *token, int64_t now,
		  int64_t ttl, struct session_new *out, struct err *e);

/*
 * The session a cookie names, at now: 0 with *person, *token_id (the caller
 * frees both), *expires_at and csrf (the token every write of it must
 * carry), or -1 with e: REASON_INVALID (malformed, unknown, wrong secret),
 * REASON_FORBIDDEN (ended, expired; its token revoked or expired; its
 * person gone from the plan), REASON_IO the store. Compared in constant time.
 */
int session_verify(struct store *s, const struct plan *p, const char *cookie, int64_t now,
		   char **person, char **token_id, int64_t *expires_at,
		   char csrf[SESSION_CSRF_LEN + 1], struct err *e);

/* Sign out: end the session the cookie names (which session_verify
 * accepted). 0, or -1 with e. */
int session_end(struct store *s, const struct plan *p, const char *cookie, int64_t now,
		struct err *e);

/* Does the CSRF token a request brought equal the session's? (constant time) */
bool session_csrf_ok(const char *given, const char csrf[SESSION_CSRF_LEN + 1]);

#endif
