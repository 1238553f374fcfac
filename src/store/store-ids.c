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

/* Run what renaming or forgetting takes with params p (the state writes
 * recorded in the change's entry); *rows gets the rows changed, all tables. */
static int run_id_sql(struct store *s, const struct store_id_sql *q, const struct store_val *p,
		      int64_t *rows, struct err *e)
{
	int64_t total = 0;
	if (!s->in_change)
		BUG("a rename or forget with no change open");
	for (size_t i = 0; i < q->nwrites; i++) {
		int64_t n = store_write(s, q->writes[i], p, e);
		if (n < 0)
			return -1;
		total += n;
	}
	for (size_t i = 0; i < q->ncoord; i++) {
		int64_t n = store_q(s, q->coord[i], p, store_writes[q->writes[0]].nparams, NULL,
				    NULL, e);
		if (n < 0)
			return -1;
		total += n;
	}
	if (rows)
		*rows = total;
	return 0;
}

int store_move_id(struct store *s, enum store_id_kind kind, const char *from, const char *to,
		  int64_t *rows, struct err *e)
{
	struct store_val p[] = { sv_text(to), sv_text(from) };
	if ((unsigned)kind >= STORE_ID_KINDS)
		BUG("unknown id kind %d", (int)kind);
	if (store_check_id("id", from, e) < 0 || store_check_id("id", to, e) < 0)
		return -1;
	return run_id_sql(s, &store_id_moves[kind], p, rows, e);
}

int store_forget_id(struct store *s, enum store_id_kind kind, const char *id, int64_t *rows,
		    struct err *e)
{
	struct store_val p = sv_text(id);
	if ((unsigned)kind >= STORE_ID_KINDS)
		BUG("unknown id kind %d", (int)kind);
	if (store_check_id("id", id, e) < 0)
		return -1;
	return run_id_sql(s, &store_id_forgets[kind], &p, rows, e);
}
