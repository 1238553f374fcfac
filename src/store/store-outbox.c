/*
 * store-outbox.c - the notification outbox (store.h, "the notification
 * outbox"; docs/notify.md). A message row is added by the outbox hook inside
 * the transaction of the audit entry that causes it (audit.c calls the hook
 * after writing the entry), so it exists exactly when the change committed.
 * Deliverers claim rows with a lease in a write transaction; a row is only
 * updated by the deliverer that holds its claim, so two deliverers never
 * send the same row at once, and a deliverer that died is replaced when its
 * lease runs out. Coordination data: never replayed by `log --verify`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

const char *store_outbox_state_name(enum store_outbox_state st)
{
	switch (st) {
	case OUTBOX_PENDING: return "pending";
	case OUTBOX_SENT: return "sent";
	case OUTBOX_DEAD: return "dead";
	}
	return "?";
}

static enum store_outbox_state state_parse(const char *s)
{
	if (s && !strcmp(s, "sent"))
		return OUTBOX_SENT;
	if (s && !strcmp(s, "dead"))
		return OUTBOX_DEAD;
	return OUTBOX_PENDING;
}

void store_set_outbox_hook(struct store *s, store_outbox_fn fn, void *ctx)
{
	s->outbox_fn = fn;
	s->outbox_ctx = ctx;
}

int store_outbox_add(struct store *s, const char *delivery_id, const char *channel, int64_t seq,
		     const char *event, const char *subject, const char *payload, struct err *e)
{
	if (!s->in_change)
		BUG("store_outbox_add called with no change open");
	struct store_val p[] = { sv_text(delivery_id), sv_text(channel),   sv_int(seq),
				 sv_text(event),       sv_text(subject),   sv_text(payload),
				 sv_int(s->change_now), sv_int(s->change_now) };
	return store_q(s, sql_outbox_add, p, 8, NULL, NULL, e) < 0 ? -1 : 0;
}

void store_outboxes_release(struct store_outboxes *l)
{
	free(l->v);
	arena_release(&l->arena);
	memset(l, 0, sizeof(*l));
}

static void list_init(struct store_outboxes *l)
{
	memset(l, 0, sizeof(*l));
	arena_init(&l->arena);
}

static int list_row(void *ctx, const struct store_row *r)
{
	struct store_outboxes *l = ctx;
	struct store_outbox *m;
	if ((l->n & (l->n - 1)) == 0)
		l->v = xrealloc(l->v, (l->n ? 2 * l->n : 1) * sizeof(*l->v));
	m = &l->v[l->n++];
	m->id = row_int(r, 0);
	m->delivery_id = row_dup(r, 1, &l->arena);
	m->channel = row_dup(r, 2, &l->arena);
	m->seq = row_int(r, 3);
	m->event = row_dup(r, 4, &l->arena);
	m->subject = row_dup(r, 5, &l->arena);
	m->payload = row_dup(r, 6, &l->arena);
	m->state = state_parse(row_dup(r, 7, &l->arena));
	m->attempts = (int)row_int(r, 8);
	m->next_at = row_int(r, 9);
	m->last_error = row_dup(r, 10, &l->arena);
	m->claimed_by = row_dup(r, 11, &l->arena);
	m->claimed_until = row_int(r, 12);
	m->created_at = row_int(r, 13);
	m->sent_at = row_int(r, 14);
	return 0;
}

struct ids {
	size_t n, cap;
	int64_t *v;
};

static int id_row(void *ctx, const struct store_row *r)
{
	struct ids *ids = ctx;
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? 2 * ids->cap : 16;
		ids->v = xrealloc(ids->v, ids->cap * sizeof(*ids->v));
	}
	ids->v[ids->n++] = row_int(r, 0);
	return 0;
}

/* A claim made during second now lasts at least lease seconds: it ends
 * (claimed_until <= now is free again) at the second after now + lease,
 * since the clock read is the start of a second that is partly gone. */
static int64_t claim_end(int64_t now, int64_t lease)
{
	return now + lease + 1;
}

struct claim_ctx {
	int64_t now, lease;
	const char *owner;
	size_t max;
	struct store_outboxes *out;
};

static int claim_tx(struct store *s, void *ctx, struct err *e)
{
	struct claim_ctx *c = ctx;
	struct ids ids = { 0 };
	const char *sql = s->be->skip_locked ? sql_outbox_due_skip_locked : sql_outbox_due;
	struct store_val p[] = { sv_int(c->now), sv_int(c->now), sv_int((int64_t)c->max) };
	int rc = -1;

	if (store_q(s, sql, p, 3, id_row, &ids, e) < 0)
		goto out;
	for (size_t i = 0; i < ids.n; i++) {
		struct store_val q[] = { sv_text(c->owner), sv_int(claim_end(c->now, c->lease)),
					 sv_int(ids.v[i]) };
		struct store_val g = sv_int(ids.v[i]);
		if (store_q(s, sql_outbox_claim, q, 3, NULL, NULL, e) < 0 ||
		    store_q(s, sql_outbox_get, &g, 1, list_row, c->out, e) < 0)
			goto out;
	}
	rc = 0;
out:
	free(ids.v);
	return rc;
}

int store_outbox_claim(struct store *s, int64_t now, const char *owner, int64_t lease, size_t max,
		       struct store_outboxes *out, struct err *e)
{
	struct claim_ctx c = { now, lease, owner, max, out };
	list_init(out);
	if (store_in_write(s, claim_tx, &c, e) < 0) {
		store_outboxes_release(out);
		list_init(out);
		return -1;
	}
	return 0;
}

struct update_ctx {
	const char *sql;
	struct store_val p[5];
	int np;
	int64_t changed;
};

static int update_tx(struct store *s, void *ctx, struct err *e)
{
	struct update_ctx *u = ctx;
	u->changed = store_q(s, u->sql, u->p, u->np, NULL, NULL, e);
	return u->changed < 0 ? -1 : 0;
}

static int update(struct store *s, struct update_ctx *u, struct err *e)
{
	if (store_in_write(s, update_tx, u, e) < 0)
		return -1;
	return u->changed > 0 ? 0 : 1;
}

int store_outbox_hold(struct store *s, int64_t id, const char *owner, int64_t now, int64_t lease,
		      struct err *e)
{
	struct update_ctx u = { sql_outbox_hold,
				{ sv_int(claim_end(now, lease)), sv_int(id), sv_text(owner), sv_int(now) },
				4,
				0 };
	return update(s, &u, e);
}

int store_outbox_sent(struct store *s, int64_t id, const char *owner, int64_t now, struct err *e)
{
	struct update_ctx u = { sql_outbox_sent, { sv_int(now), sv_int(id), sv_text(owner) }, 3, 0 };
	return update(s, &u, e);
}

int store_outbox_failed(struct store *s, int64_t id, const char *owner, const char *why,
			int64_t next_at, bool dead, struct err *e)
{
	struct strbuf clean = STRBUF_INIT;
	int rc;
	store_clean_text(&clean, why ? why : "", 1000, false);
	struct update_ctx u = { sql_outbox_failed,
				{ sv_text(dead ? "dead" : "pending"), sv_text(clean.buf ? clean.buf : ""),
				  sv_int(next_at), sv_int(id), sv_text(owner) },
				5,
				0 };
	rc = update(s, &u, e);
	strbuf_release(&clean);
	return rc;
}

int store_outbox_retry(struct store *s, int64_t id, int64_t now, struct err *e)
{
	struct update_ctx u = { sql_outbox_retry, { sv_int(now), sv_int(id) }, 2, 0 };
	return update(s, &u, e);
}

int store_outbox_list(struct store *s, bool only_dead, struct store_outboxes *out, struct err *e)
{
	list_init(out);
	if (store_q(s, only_dead ? sql_outbox_dead : sql_outbox_all, NULL, 0, list_row, out, e) < 0) {
		store_outboxes_release(out);
		list_init(out);
		return -1;
	}
	return 0;
}

struct counts_ctx {
	int (*fn)(void *ctx, const char *channel, enum store_outbox_state st, int64_t n);
	void *ctx;
	struct arena a;
};

static int counts_row(void *ctx, const struct store_row *r)
{
	struct counts_ctx *c = ctx;
	const char *ch = row_dup(r, 0, &c->a), *st = row_dup(r, 1, &c->a);
	return c->fn(c->ctx, ch ? ch : "", state_parse(st), row_int(r, 2));
}

int store_outbox_counts(struct store *s,
			int (*fn)(void *ctx, const char *channel, enum store_outbox_state st, int64_t n),
			void *ctx, struct err *e)
{
	struct counts_ctx c = { fn, ctx, { 0 } };
	int64_t rc;
	arena_init(&c.a);
	rc = store_q(s, sql_outbox_counts, NULL, 0, counts_row, &c, e);
	arena_release(&c.a);
	return rc < 0 ? -1 : 0;
}

static int prune_tx(struct store *s, void *ctx, struct err *e)
{
	struct store_val p = sv_int(*(int64_t *)ctx);
	if (store_q(s, sql_outbox_prune, &p, 1, NULL, NULL, e) < 0 ||
	    store_q(s, sql_schedule_prune, &p, 1, NULL, NULL, e) < 0)
		return -1;
	return 0;
}

int store_outbox_prune(struct store *s, int64_t before, struct err *e)
{
	return store_in_write(s, prune_tx, &before, e) < 0 ? -1 : 0;
}

static int last_row(void *ctx, const struct store_row *r)
{
	*(int64_t *)ctx = row_int(r, 0);
	return 0;
}

int store_schedule_last(struct store *s, const char *schedule, int64_t *slot, struct err *e)
{
	struct store_val p = sv_text(schedule);
	*slot = 0;
	return store_q(s, sql_schedule_last, &p, 1, last_row, slot, e) < 0 ? -1 : 0;
}

struct mark_ctx {
	const char *schedule, *state, *delivery_id, *channel, *event, *payload;
	int64_t slot, now, seq;
	bool marked;
};

static int mark_tx(struct store *s, void *ctx, struct err *e)
{
	struct mark_ctx *m = ctx;
	struct store_val p[] = { sv_text(m->schedule), sv_int(m->slot), sv_text(m->state),
				 sv_int(m->now) };
	int64_t n = store_q(s, sql_schedule_mark, p, 4, NULL, NULL, e);
	if (n < 0)
		return -1;
	m->marked = n > 0;
	if (m->marked && m->payload) {
		char subject[200];
		snprintf(subject, sizeof(subject), "schedule:%s", m->schedule);
		struct store_val q[] = { sv_text(m->delivery_id), sv_text(m->channel), sv_int(m->seq),
					 sv_text(m->event),	  sv_text(subject),	sv_text(m->payload),
					 sv_int(m->now),	  sv_int(m->now) };
		if (store_q(s, sql_outbox_add, q, 8, NULL, NULL, e) < 0)
			return -1;
	}
	return 0;
}

int store_schedule_mark(struct store *s, const char *schedule, int64_t slot, bool sent,
			const char *delivery_id, const char *channel, int64_t seq, const char *event,
			const char *payload, int64_t now, struct err *e)
{
	struct mark_ctx m = { schedule, sent ? "sent" : "skipped", delivery_id, channel, event,
			      sent ? payload : NULL, slot, now, seq, false };
	if (store_in_write(s, mark_tx, &m, e) < 0)
		return -1;
	return m.marked ? 0 : 1;
}

int store_outbox_next(struct store *s, int64_t *at, struct err *e)
{
	*at = -1;
	return store_q(s, sql_outbox_next, NULL, 0, last_row, at, e) < 0 ? -1 : 0;
}
