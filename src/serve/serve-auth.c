/*
 * serve-auth.c - `Authorization: Bearer <token>` (serve-auth.h): the header
 * is parsed strictly and the token handed to token_verify.
 */
#include "serve/serve-auth.h"

#include <string.h>
#include <strings.h>

#include "engine/token.h"

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

int serve_auth_bearer(struct store *s, const struct plan *p, const char *authorization_header,
		      int64_t now, char **person, char **token_id, struct err *e)
{
	const char *h = authorization_header, *tok, *end;
	char buf[TOKEN_LEN + 1];
	int rc;

	*person = NULL;
	*token_id = NULL;
	if (!h)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"this needs an API token: send 'Authorization: Bearer <token>'");
	while (blank(*h))
		h++;
	if (strncasecmp(h, "Bearer", 6) || !blank(h[6]))
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"the Authorization header must be 'Bearer <token>'");
	tok = h + 6;
	while (blank(*tok))
		tok++;
	for (end = tok; *end && !blank(*end); end++)
		;
	for (const char *t = end; *t; t++)
		if (!blank(*t))
			return err_setr(e, ERR_USAGE, REASON_INVALID,
					"the Authorization header must be 'Bearer <token>'");
	if (end == tok || (size_t)(end - tok) != TOKEN_LEN)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"not a tollgate token (tg_ID_SECRET, as 'tollgate token create' "
				"printed it)");
	memcpy(buf, tok, TOKEN_LEN);
	buf[TOKEN_LEN] = '\0';
	rc = token_verify(s, p, buf, now, person, token_id, e);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}
