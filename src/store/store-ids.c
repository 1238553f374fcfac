/*
 * store-ids.c - the ids the state names, and the two ways state changes its
 * id (issue 9 item 4): a rename carried over from the plan's `moved`
 * (store_move_id) and `forget`, which drops the state of an id the plan no
 * longer has (store_forget_id). Both run inside a change like every other
 * write: one transaction, one audit entry, made by the engine.
 */
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

struct ids_ctx {
	store_id_fn fn;
	void *ctx;
};

static int id_row(void *ctx, const struct store_row *r)
{
	struct ids_ctx *c = ctx;
	const struct store_val *v = &r->v[1];
	int64_t kind = row_int(r, 0);
	char buf[256], *id = buf;
	int rc;
	if (kind < 0 || kind >= STORE_ID_KINDS || v->type != SV_TEXT)
		return 0;
	/* ids are short (the plan's are at most 128 bytes): no allocation */
	if (v->len >= sizeof(buf))
		id = xmalloc(v->len + 1);
	memcpy(id, v->s, v->len);
	id[v->len] = '\0';
	rc = c->fn(c->ctx, (enum store_id_kind)kind, id);
	if (id != buf)
		free(id);
	return rc;
}

static int ids_fn(struct store *s, void *ctx, struct err *e)
{
	int64_t rc = store_q(s, sql_state_ids, NULL, 0, id_row, ctx, e);
	return rc < 0 ? -1 : (int)rc;
}

int store_each_state_id(struct store *s, store_id_fn fn, void *ctx, struct err *e)
{
	struct ids_ctx c = { fn, ctx };
	/* a read transaction: on PostgreSQL its lock waits are bounded too, so a
	 * table locked by someone's session ends in an error, not a hang */
	return store_in_read(s, ids_fn, &c, e);
}

static const char *const *move_sql(enum store_id_kind k)
{
	switch (k) {
	case STORE_ID_PROJECT: return sql_move_project;
	case STORE_ID_ENV: return sql_move_env;
	case STORE_ID_GATE: return sql_move_gate;
	case STORE_ID_ITEM: return sql_move_item;
	case STORE_ID_BLOCKER: return sql_move_blocker;
	default: BUG("unknown id kind %d", (int)k);
	}
}

static const char *const *forget_sql(enum store_id_kind k)
{
	switch (k) {
	case STORE_ID_PROJECT: return sql_forget_project;
	case STORE_ID_ENV: return sql_forget_env;
	case STORE_ID_GATE: return sql_forget_gate;
	case STORE_ID_ITEM: return sql_forget_item;
	case STORE_ID_BLOCKER: return sql_forget_blocker;
	default: BUG("unknown id kind %d", (int)k);
	}
}

/* Run each statement of list with params; *rows gets the rows they changed. */
static int run_list(struct store *s, const char *const *list, const struct store_val *p, int np,
		    int64_t *rows, struct err *e)
{
	if (!s->in_change)
		BUG("a rename or forget with no change open");
	if (rows)
		*rows = 0;
	for (size_t i = 0; list[i]; i++) {
		int64_t n = store_q(s, list[i], p, np, NULL, NULL, e);
		if (n < 0)
			return -1;
		if (rows)
			*rows += n;
	}
	return 0;
}

int store_move_id(struct store *s, enum store_id_kind kind, const char *from, const char *to,
		  int64_t *rows, struct err *e)
{
	struct store_val p[] = { sv_text(to), sv_text(from) };
	if (store_check_id("id", from, e) < 0 || store_check_id("id", to, e) < 0)
		return -1;
	return run_list(s, move_sql(kind), p, 2, rows, e);
}

int store_forget_id(struct store *s, enum store_id_kind kind, const char *id, int64_t *rows,
		    struct err *e)
{
	struct store_val p = sv_text(id);
	if (store_check_id("id", id, e) < 0)
		return -1;
	return run_list(s, forget_sql(kind), &p, 1, rows, e);
}
