/*
 * serve-auth.h - a request's `Authorization: Bearer <token>` header checked
 * against the plan's API tokens (engine/token.h). The server calls it and
 * maps the result: 0 authenticated (then identity_from_token for the
 * actor), -1 with REASON_IO a store that cannot be read (503), any other -1
 * not authenticated (401; count it in the auth_throttle of util/, whose
 * refusal is a 429).
 */
#ifndef TOLLGATE_SERVE_AUTH_H
#define TOLLGATE_SERVE_AUTH_H

#include <stdint.h>

#include "util/util.h"

struct plan;
struct store;

/*
 * Parse authorization_header (the header's value, or NULL when the request
 * has none) as `Bearer <token>`: the scheme in any case, one or more spaces
 * or tabs, the token, nothing after it. Then token_verify at now. 0 with
 * *person and *token_id (the caller frees both), or -1 with both NULL and e:
 * ERR_USAGE, REASON_INVALID for no header, another scheme or a malformed
 * value, and token_verify's errors otherwise.
 */
int serve_auth_bearer(struct store *s, const struct plan *p, const char *authorization_header,
		      int64_t now, char **person, char **token_id, struct err *e);

#endif
