/*
 * store-token.c - the rows of API tokens (store.h, "API tokens") and of the
 * sign-in sessions started with them: a public
 * id, the person, and the SHA-256 of the secret. Identity data, not plan
 * state: the rows are written with plain statements inside the audited
 * change that creates or revokes a token (its entry names the token, never
 * the secret or its hash), and are not replayed by `log --verify`.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

#define REQUIRE_CHANGE(s)                                                              \
	do {                                                                           \
		if (!(s)->in_change)                                                   \
			BUG("%s called with no change open", __func__);                \
	} while (0)

static void token_from_row(struct store_token *t, const struct store_row *r, struct arena *a)
{
	t->id = row_dup(r, 0, a);
	t->person = row_dup(r, 1, a);
	t->name = row_dup(r, 2, a);
	t->hash = row_dup(r, 3, a);
	t->created_at = row_int(r, 4);
	t->expires_at = row_int(r, 5);
	t->revoked_at = row_int(r, 6);
	t->created_by = row_dup(r, 7, a);
	t->last_used_at = row_int(r, 8);
}

int store_token_add(struct store *s, const struct store_token *t, struct err *e)
{
	REQUIRE_CHANGE(s);
	if (store_check_id("token id", t->id, e) < 0 || store_check_id("person", t->person, e) < 0)
		return -1;
	if (!t->hash || strlen(t->hash) != 64)
		BUG("store_token_add: a token needs the SHA-256 of its secret");
	struct store_val p[] = { sv_text(t->id), sv_text(t->person), sv_text(t->name),
				 sv_text(t->hash), sv_int(s->change_now), sv_int(t->expires_at),
				 sv_text(t->created_by) };
	return store_q(s, sql_token_add, p, 7, NULL, NULL, e) < 0 ? -1 : 0;
}

struct token_get_ctx {
	struct store_token *t;
	struct arena *a;
	bool found;
};

static int token_get_row(void *ctx, const struct store_row *r)
{
	struct token_get_ctx *c = ctx;
	token_from_row(c->t, r, c->a);
	c->found = true;
	return 0;
}

int store_token_get(struct store *s, const char *id, struct store_token *out, struct arena *arena,
		    struct err *e)
{
	struct store_val p = sv_text(id);
	struct token_get_ctx c = { out, arena, false };

	memset(out, 0, sizeof(*out));
	if (store_q(s, sql_token_get, &p, 1, token_get_row, &c, e) < 0)
		return -1;
	return c.found ? 0 : 1;
}

struct token_list_ctx {
	struct store_tokens *l;
	size_t alloc;
};

static int token_list_row(void *ctx, const struct store_row *r)
{
	struct token_list_ctx *c = ctx;
	ALLOC_GROW(c->l->v, c->l->n + 1, c->alloc);
	token_from_row(&c->l->v[c->l->n++], r, &c->l->arena);
	return 0;
}

int store_token_list(struct store *s, struct store_tokens *out, struct err *e)
{
	struct token_list_ctx c = { out, 0 };

	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	if (store_q(s, sql_token_all, NULL, 0, token_list_row, &c, e) < 0) {
		store_tokens_release(out);
		return -1;
	}
	return 0;
}

void store_tokens_release(struct store_tokens *l)
{
	free(l->v);
	arena_release(&l->arena);
	memset(l, 0, sizeof(*l));
}

int store_token_revoke(struct store *s, const char *id, struct err *e)
{
	struct store_val p[] = { sv_int(s->change_now), sv_text(id) };
	int64_t n;

	REQUIRE_CHANGE(s);
	n = store_q(s, sql_token_revoke, p, 2, NULL, NULL, e);
	if (n < 0)
		return -1;
	return n ? 0 : 1;
}

struct token_used_ctx {
	const char *id;
	int64_t now;
};

static int token_used_fn(struct store *s, void *ctx, struct err *e)
{
	struct token_used_ctx *c = ctx;
	struct store_val p[] = { sv_int(c->now), sv_text(c->id),
				 sv_int(c->now - STORE_TOKEN_USED_RESOLUTION) };
	return store_q(s, sql_token_used, p, 3, NULL, NULL, e) < 0 ? -1 : 0;
}

int store_token_used(struct store *s, const char *id, int64_t now, int64_t last_used_at,
		     struct err *e)
{
	struct token_used_ctx c = { id, now };

	/* what the caller read says it is recent: no write lock taken at all */
	if (s->read_only || now - last_used_at < STORE_TOKEN_USED_RESOLUTION)
		return 0;
	return store_in_write(s, token_used_fn, &c, e);
}

/* ---- sign-in sessions ---------------------------------------------------- */

int store_session_add(struct store *s, const struct store_session *x, struct err *e)
{
	REQUIRE_CHANGE(s);
	if (store_check_id("session id", x->id, e) < 0 ||
	    store_check_id("person", x->person, e) < 0)
		return -1;
	if (!x->hash || strlen(x->hash) != 64)
		BUG("store_session_add: a session needs the SHA-256 of its secret");
	struct store_val p[] = { sv_text(x->id),       sv_text(x->token_id), sv_text(x->person),
				 sv_text(x->hash),     sv_int(s->change_now), sv_int(x->expires_at) };
	return store_q(s, sql_session_add, p, 6, NULL, NULL, e) < 0 ? -1 : 0;
}

struct session_get_ctx {
	struct store_session *x;
	struct arena *a;
	bool found;
};

static int session_get_row(void *ctx, const struct store_row *r)
{
	struct session_get_ctx *c = ctx;
	c->x->id = row_dup(r, 0, c->a);
	c->x->token_id = row_dup(r, 1, c->a);
	c->x->person = row_dup(r, 2, c->a);
	c->x->hash = row_dup(r, 3, c->a);
	c->x->created_at = row_int(r, 4);
	c->x->expires_at = row_int(r, 5);
	c->x->ended_at = row_int(r, 6);
	c->found = true;
	return 0;
}

int store_session_get(struct store *s, const char *id, struct store_session *out,
		      struct arena *arena, struct err *e)
{
	struct store_val p = sv_text(id);
	struct session_get_ctx c = { out, arena, false };

	memset(out, 0, sizeof(*out));
	if (store_q(s, sql_session_get, &p, 1, session_get_row, &c, e) < 0)
		return -1;
	return c.found ? 0 : 1;
}

int store_session_end(struct store *s, const char *id, struct err *e)
{
	struct store_val p[] = { sv_int(s->change_now), sv_text(id) };
	int64_t n;

	REQUIRE_CHANGE(s);
	n = store_q(s, sql_session_end, p, 2, NULL, NULL, e);
	if (n < 0)
		return -1;
	return n ? 0 : 1;
}
