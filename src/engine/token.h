/*
 * token.h - API tokens bound to people (issue 11 item 2, docs/tokens.md).
 *
 * A token is `tg_<id>_<secret>`: a public id of TOKEN_ID_LEN characters
 * and 43 characters of base64url (32 random bytes from getrandom). The store
 * keeps the id, the person, and the SHA-256 of the whole token, never the
 * token; it is shown once, when created. A request that brings one acts as
 * its person, with the person's roles and every rule of the plan, exactly
 * as on the CLI; the audit log records `token:ID` as the authentication.
 *
 * Who may create or revoke a token for PERSON: PERSON, or a person holding
 * one of the promoter roles of the plan's last environment (production)
 * when it lists promoters: those who may change production may give a CI
 * system or a bot a token. Anybody with the store may list tokens (the
 * list never holds a secret). Nothing here prints.
 */
#ifndef TOLLGATE_ENGINE_TOKEN_H
#define TOLLGATE_ENGINE_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plan/plan.h"
#include "store/store.h"
#include "util/util.h"

#define TOKEN_ID_LEN 10
#define TOKEN_SECRET_LEN 43 /* base64url of 32 bytes, unpadded */
/* "tg_" id "_" secret */
#define TOKEN_LEN (3 + TOKEN_ID_LEN + 1 + TOKEN_SECRET_LEN)
#define TOKEN_NAME_MAX 200

/* A token just made: the only place its secret ever is. */
struct token_new {
	char id[TOKEN_ID_LEN + 1];
	char secret[TOKEN_LEN + 1]; /* the whole token, to show once */
	int64_t expires_at;         /* 0: never */
};

/*
 * Create a token for person, made by actor (a people id, or NULL: nobody),
 * named name (may be NULL; free text of at most TOKEN_NAME_MAX bytes),
 * valid until expires_at (0: never; else after now). One audited change:
 * action "token.created", subject the token's id, detail the person, name
 * and expiry. 0 with out filled, or -1 with e: ERR_USAGE (REASON_NOT_FOUND
 * for a person who is not in the plan, REASON_INVALID for a bad name or
 * expiry, REASON_FORBIDDEN for nobody acting), ERR_NOT_READY with
 * REASON_FORBIDDEN when actor may not act for person or person is a
 * placeholder, ERR_FAILED for the store or the random source.
 */
int token_create(struct store *s, const struct plan *p, int64_t now, const char *actor,
		 const char *person, const char *name, int64_t expires_at, struct token_new *out,
		 struct err *e);

/*
 * Revoke token id, by actor (the rule above, for the token's person). One
 * audited change: action "token.revoked", subject id. 0 revoked, 1 revoked
 * already (nothing written, no entry), -1 with e: ERR_USAGE REASON_NOT_FOUND
 * for an unknown id, ERR_NOT_READY REASON_FORBIDDEN for an actor who may
 * not, ERR_FAILED for the store.
 */
int token_revoke(struct store *s, const struct plan *p, int64_t now, const char *actor,
		 const char *id, struct err *e);

/* May person `actor` (an index) create or revoke a token of person `person`
 * (an index)? 0, or -1 with ERR_NOT_READY, REASON_FORBIDDEN. */
int token_may_act_for(const struct plan *p, int actor, int person, struct err *e);

/*
 * Authenticate secret (a whole token as a client sent it) at now: 0 with
 * *person and *token_id (the caller frees both), or -1 with both NULL and
 * e filled. Every -1 but REASON_IO means "not authenticated" (HTTP 401):
 *   REASON_INVALID   malformed, unknown, or the secret does not match
 *                    (one message for the last two: an id is public)
 *   REASON_FORBIDDEN a real token that may no longer be used: expired,
 *                    revoked, or its person is no longer a person of the
 *                    plan (or a placeholder)
 *   REASON_IO        the store could not be read (ERR_FAILED: HTTP 503)
 * The secret's hash is compared in constant time (CRYPTO_memcmp), and an
 * unknown id costs the same hashing and comparison as a known one. The
 * time of last use is written at most once a minute per token.
 */
int token_verify(struct store *s, const struct plan *p, const char *secret, int64_t now,
		 char **person, char **token_id, struct err *e);

/* How many constant-time comparisons token_verify made in this process
 * (for the tests: every verification past the syntax makes one). */
unsigned long token_compare_count(void);

/* The hex SHA-256 of a token (65 bytes with the NUL). 0, or -1 with e. */
int token_hash(const char *secret, char out[65], struct err *e);

/* What sessions (session.h) share with tokens: a random public id of idlen
 * characters (a-z, 2-7) and a secret of 32 random bytes in base64url. 0, or
 * -1 with e (no random bytes). */
int token_random(char *id, size_t idlen, char secret[TOKEN_SECRET_LEN + 1], struct err *e);
/* Are the n bytes of s all of a secret's (base64url) or an id's alphabet? */
bool token_secret_chars(const char *s, size_t n);
bool token_id_chars(const char *s, size_t n);
/* Does SHA-256(secret) equal stored (hex; NULL or malformed: never)? One
 * constant-time comparison either way. 0 with *equal, -1 with e. */
int token_hash_equals(const char *secret, const char *stored, bool *equal, struct err *e);

/* "90d", "12h", "1h30m" → seconds (> 0), for --expires. 0, or -1 with e
 * (ERR_USAGE, REASON_INVALID). */
int token_parse_expires(const char *s, int64_t *seconds, struct err *e);

#endif
