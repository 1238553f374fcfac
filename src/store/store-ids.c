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
	struct store_ids *out;
	size_t alloc;
};

static int id_row(void *ctx, const struct store_row *r)
{
	struct ids_ctx *c = ctx;
	int64_t kind = row_int(r, 0);
	struct store_id *x;
	if (kind < 0 || kind >= STORE_ID_KINDS || row_null(r, 1))
		return 0;
	ALLOC_GROW(c->out->v, c->out->n + 1, c->alloc);
	x = &c->out->v[c->out->n++];
	x->kind = (enum store_id_kind)kind;
	x->id = row_dup(r, 1, &c->out->arena);
	return 0;
}

static int ids_fn(struct store *s, void *ctx, struct err *e)
{
	return store_q(s, sql_state_ids, NULL, 0, id_row, ctx, e) < 0 ? -1 : 0;
}

int store_state_ids(struct store *s, struct store_ids *out, struct err *e)
{
	struct ids_ctx c = { out, 0 };
	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	/* a read transaction: on PostgreSQL its lock waits are bounded too, so a
	 * table locked by someone's session ends in an error, not a hang */
	if (store_in_read(s, ids_fn, &c, e) < 0) {
		store_ids_release(out);
		return -1;
	}
	return 0;
}

void store_ids_release(struct store_ids *ids)
{
	free(ids->v);
	arena_release(&ids->arena);
	memset(ids, 0, sizeof(*ids));
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
