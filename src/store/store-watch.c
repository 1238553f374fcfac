/*
 * store-watch.c - what a long-running server needs of the store beside the
 * state: a second connection for a thread that watches the audit log's head
 * (the backends' watch hooks: PostgreSQL LISTEN/NOTIFY, SQLite's
 * data_version), and coordination values kept in plan_meta (not state, no
 * audit entry): a named lease of the whole plan, so that one server of many
 * does the background work, and when each trigger was last measured.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

int store_open_watcher(const struct store *r, struct store **out, struct err *e)
{
	struct store *s = xcalloc(1, sizeof(*s));
	struct err why;

	*out = NULL;
	strbuf_init(&s->change_detail);
	strbuf_init(&s->change_ops);
	s->auth = xstrdup(r->auth ? r->auth : "");
	s->be = r->be;
	s->display_url = xstrdup(r->display_url);
	s->log_dir = xstrdup(r->log_dir);
	s->plan_id = xstrdup(r->plan_id);
	s->target = xstrdup(r->target);
	s->read_only = r->read_only;
	s->rehearsal = r->rehearsal;
	s->opts = r->opts;
	s->opts.plan_id = s->plan_id;
	s->opts.existing_only = false;
	/* the store is there and migrated (r has it open): connect only */
	s->opts.enforce_mode = false;
	err_init(&why);
	if (s->be->open(&s->conn, s->target, &s->opts, &why) < 0) {
		err_setr(e, ERR_FAILED, why.reason, "cannot open the store '%s': %s", s->display_url,
			 why.msg);
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

int store_watch(struct store *s, int timeout_ms, struct err *e)
{
	if (store_in_tx(s))
		BUG("store_watch inside a transaction");
	return s->be->watch(s->conn, timeout_ms < 0 ? 0 : timeout_ms, e);
}

/* ---- coordination values ---------------------------------------------------- */

static int value_row(void *ctx, const struct store_row *r)
{
	char **out = ctx;
	if (!*out)
		*out = row_null(r, 0) ? xstrdup("") : xstrndup(r->v[0].s, r->v[0].len);
	return 0;
}

static int coord_read(struct store *s, const char *key, char **value, struct err *e)
{
	struct store_val p = sv_text(key);
	*value = NULL;
	if (store_q(s, sql_plan_meta_get, &p, 1, value_row, value, e) < 0) {
		free(*value);
		*value = NULL;
		return -1;
	}
	return *value ? 1 : 0;
}

static void check_key(const char *key)
{
	if (!key || !*key || !strncmp(key, "audit_", 6))
		BUG("a coordination key must not be empty or start with 'audit_'");
}

int store_coord_get(struct store *s, const char *key, char **value, struct err *e)
{
	check_key(key);
	return coord_read(s, key, value, e);
}

struct put_ctx {
	const char *key, *value;
};

static int put_fn(struct store *s, void *ctx, struct err *e)
{
	struct put_ctx *c = ctx;
	struct store_val p[] = { sv_text(c->value), sv_text(c->key) };
	return store_q(s, sql_audit_set_head, p, 2, NULL, NULL, e) < 0 ? -1 : 0;
}

int store_coord_put(struct store *s, const char *key, const char *value, struct err *e)
{
	struct put_ctx c = { key, value };
	check_key(key);
	return store_in_write(s, put_fn, &c, e);
}

/* ---- named leases ----------------------------------------------------------- */

/* "lease/NAME" = "EXPIRES HOLDER" */
struct lease_ctx {
	const char *key, *holder;
	int64_t now, expires;
	bool release;
	char **other;
};

/* Parse a lease value: 0 ok, -1 not one of ours (taken as free). */
static int lease_parse(const char *v, int64_t *expires, const char **holder)
{
	char *end;
	long long x = strtoll(v, &end, 10);
	if (end == v || *end != ' ')
		return -1;
	*expires = x;
	*holder = end + 1;
	return 0;
}

static int lease_fn(struct store *s, void *ctx, struct err *e)
{
	struct lease_ctx *c = ctx;
	char *cur = NULL, *val;
	const char *holder = "";
	int64_t expires = 0;
	int found = coord_read(s, c->key, &cur, e), rc;
	bool mine;

	if (found < 0)
		return -1;
	if (found && lease_parse(cur, &expires, &holder) < 0)
		found = 0;
	mine = found && !strcmp(holder, c->holder);
	if (c->release) {
		free(cur);
		if (!mine)
			return 0;
		/* an expiry in the past frees it for anyone */
		val = xasprintf("0 %s", c->holder);
		{
			struct put_ctx p = { c->key, val };
			rc = put_fn(s, &p, e);
		}
		free(val);
		return rc;
	}
	if (found && !mine && expires > c->now) {
		if (c->other)
			*c->other = xstrdup(holder);
		free(cur);
		return STORE_LEASE_BUSY;
	}
	free(cur);
	val = xasprintf("%" PRId64 " %s", c->expires, c->holder);
	{
		struct put_ctx p = { c->key, val };
		rc = put_fn(s, &p, e);
	}
	free(val);
	return rc < 0 ? -1 : STORE_LEASE_OK;
}

int store_named_lease(struct store *s, const char *name, const char *holder, int64_t now,
		      int64_t expires, char **other, struct err *e)
{
	char *key = xasprintf("lease/%s", name);
	struct lease_ctx c = { key, holder, now, expires, false, other };
	int rc;
	if (other)
		*other = NULL;
	if (!holder || !*holder || strchr(holder, '\n'))
		BUG("a named lease needs a holder on one line");
	rc = store_in_write(s, lease_fn, &c, e);
	free(key);
	return rc;
}

int store_named_lease_release(struct store *s, const char *name, const char *holder,
			      struct err *e)
{
	char *key = xasprintf("lease/%s", name);
	struct lease_ctx c = { key, holder, 0, 0, true, NULL };
	int rc = store_in_write(s, lease_fn, &c, e);
	free(key);
	return rc;
}
