/*
 * serve-auth.c - the placeholder of serve_auth_bearer (serve-auth.h): no
 * token is valid until the token library is wired in.
 */
#include "serve/serve-auth.h"

int serve_auth_bearer(struct store *s, const char *authorization_header, char **person,
		      char **token_id, struct err *e)
{
	(void)s;
	*person = NULL;
	*token_id = NULL;
	if (!authorization_header || !*authorization_header)
		return err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
				"this address needs a token: send 'Authorization: Bearer TOKEN'");
	return err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN, "the token is not valid");
}
