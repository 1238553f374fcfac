/*
 * session.c - sign-in sessions (session.h): started with an API token,
 * bound to it, kept as the SHA-256 of the cookie, compared in constant time,
 * and each write's CSRF token derived from the cookie.
 */
#include "engine/session.h"

#include "util/crypto.h"
#include <stdlib.h>
#include <string.h>

#include "engine/token.h"

/* The CSRF token of a cookie: base64url of SHA-256("tollgate csrf\n" cookie). */
static int csrf_of(const char *cookie, char out[SESSION_CSRF_LEN + 1], struct err *e)
{
	static const char tag[] = "tollgate csrf\n";
	unsigned char md[32], b64[48];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, tag, sizeof(tag) - 1) == 1 &&
		 EVP_DigestUpdate(ctx, cookie, strlen(cookie)) == 1 &&
		 EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == 32 &&
		 EVP_EncodeBlock(b64, md, sizeof(md)) == 44;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return err_setr(e, ERR_FAILED, REASON_IO, "cannot derive a CSRF token (OpenSSL)");
	for (int i = 0; i < SESSION_CSRF_LEN; i++)
		out[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
	out[SESSION_CSRF_LEN] = '\0';
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

bool session_csrf_ok(const char *given, const char csrf[SESSION_CSRF_LEN + 1])
{
	char buf[SESSION_CSRF_LEN];
	size_t n = given ? strnlen(given, SESSION_CSRF_LEN + 1) : 0;
	/* one comparison of the same length whatever came */
	memset(buf, 0, sizeof(buf));
	if (n == SESSION_CSRF_LEN)
		memcpy(buf, given, SESSION_CSRF_LEN);
	return CRYPTO_memcmp(buf, csrf, SESSION_CSRF_LEN) == 0 && n == SESSION_CSRF_LEN;
}

/* Is cookie shaped as a session's? Its id into id when it is. */
static bool cookie_parse(const char *cookie, char id[SESSION_ID_LEN + 1])
{
	if (!cookie || strnlen(cookie, SESSION_LEN + 1) != SESSION_LEN ||
	    strncmp(cookie, "ts_", 3) || cookie[3 + SESSION_ID_LEN] != '_' ||
	    !token_id_chars(cookie + 3, SESSION_ID_LEN) ||
	    !token_secret_chars(cookie + 4 + SESSION_ID_LEN, SESSION_LEN - 4 - SESSION_ID_LEN))
		return false;
	memcpy(id, cookie + 3, SESSION_ID_LEN);
	id[SESSION_ID_LEN] = '\0';
	return true;
}

int session_start(struct store *s, const struct plan *p, const char *token, int64_t now,
		  int64_t ttl, struct session_new *out, struct err *e)
{
	char secret[TOKEN_SECRET_LEN + 1], hash[65], when[32], auth[64];
	struct store_session x = { 0 };
	struct store_token t;
	struct arena a;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (token_verify(s, p, token, now, &out->person, &out->token_id, e) < 0)
		return -1;
	arena_init(&a);
	out->expires_at = now + (ttl > 0 ? ttl : SESSION_TTL_DEFAULT);
	/* never past the token's own end */
	if (store_token_get(s, out->token_id, &t, &a, e) < 0)
		goto out;
	if (t.expires_at && t.expires_at < out->expires_at)
		out->expires_at = t.expires_at;
	if (token_random(out->id, SESSION_ID_LEN, secret, e) < 0)
		goto out;
	snprintf(out->cookie, sizeof(out->cookie), "ts_%s_%s", out->id, secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (token_hash(out->cookie, hash, e) < 0 || csrf_of(out->cookie, out->csrf, e) < 0)
		goto out;
	x.id = out->id;
	x.token_id = out->token_id;
	x.person = out->person;
	x.hash = hash;
	x.expires_at = out->expires_at;
	snprintf(auth, sizeof(auth), "token:%s", out->token_id);
	store_set_auth(s, auth);
	if (store_begin_change(s, now, out->person, "session.started", out->id, NULL, e) < 0)
		goto out;
	store_change_detail(s, "for %s with token %s, until %s", out->person, out->token_id,
			    util_fmt_time(out->expires_at, when, sizeof(when)));
	if (store_session_add(s, &x, e) < 0) {
		store_abort_change(s);
		goto out;
	}
	if (store_commit_change(s, NULL, e) < 0)
		goto out;
	rc = 0;
out:
	arena_release(&a);
	if (rc < 0) {
		free(out->person);
		free(out->token_id);
		OPENSSL_cleanse(out, sizeof(*out));
	}
	return rc;
}

int session_verify(struct store *s, const struct plan *p, const char *cookie, int64_t now,
		   char **person, char **token_id, int64_t *expires_at,
		   char csrf[SESSION_CSRF_LEN + 1], struct err *e)
{
	char id[SESSION_ID_LEN + 1], when[32];
	struct store_session x;
	struct store_token t;
	struct arena a;
	bool equal = false;
	int rc, pi;

	*person = NULL;
	*token_id = NULL;
	if (!cookie_parse(cookie, id))
		return err_setr(e, ERR_USAGE, REASON_INVALID, "not a session: sign in again");
	arena_init(&a);
	rc = store_session_get(s, id, &x, &a, e);
	if (rc < 0)
		goto out;
	/* an unknown id costs the same hashing and comparison as a known one */
	if (token_hash_equals(cookie, rc == 0 ? x.hash : NULL, &equal, e) < 0) {
		rc = -1;
		goto out;
	}
	if (rc == 1 || !equal) {
		rc = err_setr(e, ERR_USAGE, REASON_INVALID, "session '%s' is not valid: sign in again",
			      id);
		goto out;
	}
	rc = -1;
	if (x.ended_at) {
		err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN, "session '%s' ended on %s (signed out)",
			 id, util_fmt_time(x.ended_at, when, sizeof(when)));
		goto out;
	}
	if (x.expires_at <= now) {
		err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN, "session '%s' expired on %s: sign in again",
			 id, util_fmt_time(x.expires_at, when, sizeof(when)));
		goto out;
	}
	/* bound to its token: revoked or expired, the session is over too */
	if (store_token_get(s, x.token_id, &t, &a, e) < 0)
		goto out;
	if (!t.id || t.revoked_at || (t.expires_at && t.expires_at <= now)) {
		err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
			 "session '%s' was started with token '%s', which is %s: sign in again", id,
			 x.token_id, !t.id ? "gone" : t.revoked_at ? "revoked" : "expired");
		goto out;
	}
	pi = plan_person_index(p, x.person);
	if (pi < 0 || p->people[pi].tbd) {
		err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN, "session '%s' is of '%s', who is %s", id,
			 x.person,
			 pi < 0 ? "no person of the plan any more" : "a placeholder (tbd: true)");
		goto out;
	}
	if (csrf_of(cookie, csrf, e) < 0)
		goto out;
	*person = xstrdup(x.person);
	*token_id = xstrdup(x.token_id);
	*expires_at = x.expires_at;
	rc = 0;
out:
	arena_release(&a);
	return rc;
}

int session_end(struct store *s, const struct plan *p, const char *cookie, int64_t now,
		struct err *e)
{
	char id[SESSION_ID_LEN + 1], csrf[SESSION_CSRF_LEN + 1], auth[64];
	char *person = NULL, *token_id = NULL;
	int64_t expires;
	int rc = -1;

	if (session_verify(s, p, cookie, now, &person, &token_id, &expires, csrf, e) < 0)
		return -1;
	cookie_parse(cookie, id);
	snprintf(auth, sizeof(auth), "token:%s", token_id);
	store_set_auth(s, auth);
	if (store_begin_change(s, now, person, "session.ended", id, NULL, e) < 0)
		goto out;
	store_change_detail(s, "%s signed out", person);
	rc = store_session_end(s, id, e);
	if (rc != 0) {
		store_abort_change(s);
		rc = rc < 0 ? -1 : 0; /* ended by another meanwhile */
		goto out;
	}
	rc = store_commit_change(s, NULL, e) < 0 ? -1 : 0;
out:
	free(person);
	free(token_id);
	return rc;
}
