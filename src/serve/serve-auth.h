/*
 * serve-auth.h - who a request to `tollgate serve` comes from: the hook the
 * token library (issue 11 item 2) fills. Until it is wired, no token is ever
 * valid: reads from a non-loopback address without --public-read get 401.
 */
#ifndef TOLLGATE_SERVE_AUTH_H
#define TOLLGATE_SERVE_AUTH_H

#include "util/util.h"

struct store;

/*
 * The person behind an "Authorization: Bearer SECRET" header
 * (authorization_header is the whole header value, NULL when absent).
 * 0 with *person and *token_id set (the caller frees both); -1 with e
 * filled (REASON_FORBIDDEN for a missing, unknown, expired or revoked
 * token: the server answers 401).
 */
int serve_auth_bearer(struct store *s, const char *authorization_header, char **person,
		      char **token_id, struct err *e);

#endif
