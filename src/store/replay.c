/*
 * replay.c - the state as the audit log wrote it, for `log --verify`.
 *
 * A private temporary SQLite database gets the store's whole schema (the same
 * migrations); each entry's row changes (its `ops`: a JSON array of
 * [name, params…]) are applied to it by name, through the registry of state
 * writes (store-sql.c), never as SQL text read from the log. Then every state
 * table of the store is copied beside its replayed twin (live_TABLE) and the
 * two are compared as multisets of rows (GROUP BY every column, with a
 * count, EXCEPT both ways), so a row added, removed, changed or copied behind
 * tollgate's back is found, and named by its key columns.
 *
 * Cost: one pass over the log, one indexed write per recorded row change, one
 * copy of the state; memory is SQLite's page cache (the database spills to a
 * temporary file when large).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-internal.h"

#define REPLAY_MAX_PARAMS 32
/* rows of one side of one table kept for pairing and naming; past it they
 * are counted only */
#define REPLAY_SIDE_CAP 1000
/* differences listed in all */
#define REPLAY_LIST_CAP 100

struct replay_table {
	char *create, *insert, *store_only, *log_only, *count; /* SQL, alive with conn */
	const char **cols;
};

struct replay {
	const struct store_backend *be;
	void *conn;
	struct strbuf text[REPLAY_MAX_PARAMS];
	struct replay_table *t; /* store_nstate_tables */
	struct arena arena;
};

void replay_free(struct replay *r)
{
	if (!r)
		return;
	/* the statements are cached by their text's address: close first */
	if (r->conn)
		r->be->close(r->conn);
	for (size_t i = 0; r->t && i < store_nstate_tables; i++) {
		free(r->t[i].create);
		free(r->t[i].insert);
		free(r->t[i].store_only);
		free(r->t[i].log_only);
		free(r->t[i].count);
	}
	free(r->t);
	for (int i = 0; i < REPLAY_MAX_PARAMS; i++)
		strbuf_release(&r->text[i]);
	arena_release(&r->arena);
	free(r);
}

/* "a, b, c" -> { "a", "b", "c" } in the arena */
static const char **split_cols(struct arena *a, const char *cols, int n)
{
	const char **v = arena_alloc(a, (size_t)n * sizeof(*v));
	const char *p = cols;
	for (int i = 0; i < n; i++) {
		size_t len = strcspn(p, ",");
		v[i] = arena_strndup(a, p, len);
		p += len;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return v;
}

int replay_open(struct replay **out, struct err *e)
{
	struct store_open_opts o = { 0 };
	struct replay *r = xcalloc(1, sizeof(*r));
	struct err why;

	*out = NULL;
	err_init(&why);
	r->be = &store_backend_sqlite;
	arena_init(&r->arena);
	for (int i = 0; i < REPLAY_MAX_PARAMS; i++)
		strbuf_init(&r->text[i]);
	if (r->be->open(&r->conn, "", &o, &why) < 0) {
		err_setr(e, ERR_FAILED, REASON_IO,
			 "cannot make a temporary database to rebuild the state in: %s", why.msg);
		goto fail;
	}
	/* one transaction for the schema and the whole replay: the migrations
	 * run as one batch of DDL (a fraction of their cost one by one) */
	if (r->be->begin(r->conn, true, e) < 0)
		goto fail;
	for (size_t v = 0; sql_schema[v]; v++)
		if (r->be->exec(r->conn, sql_schema[v], e) < 0)
			goto fail;
	r->t = xcalloc(store_nstate_tables, sizeof(*r->t));
	for (size_t i = 0; i < store_nstate_tables; i++) {
		const struct store_table *t = &store_state_tables[i];
		struct replay_table *x = &r->t[i];
		struct strbuf q = STRBUF_INIT;
		x->cols = split_cols(&r->arena, t->cols, t->ncols);
		/* the live copy takes the columns' types (affinities), none of
		 * their constraints: a forged duplicate must fit in it */
		x->create = xasprintf("CREATE TABLE live_%s AS SELECT %s FROM %s WHERE 0", t->name,
				      t->cols, t->name);
		strbuf_addf(&q, "INSERT INTO live_%s (%s) VALUES (", t->name, t->cols);
		for (int k = 0; k < t->ncols; k++)
			strbuf_addstr(&q, k ? ", ?" : "?");
		strbuf_addch(&q, ')');
		x->insert = strbuf_detach(&q);
		x->store_only = xasprintf("SELECT %s, COUNT(*) FROM live_%s GROUP BY %s EXCEPT"
					  " SELECT %s, COUNT(*) FROM %s GROUP BY %s",
					  t->cols, t->name, t->cols, t->cols, t->name, t->cols);
		x->log_only = xasprintf("SELECT %s, COUNT(*) FROM %s GROUP BY %s EXCEPT"
					" SELECT %s, COUNT(*) FROM live_%s GROUP BY %s",
					t->cols, t->name, t->cols, t->cols, t->name, t->cols);
		x->count = xasprintf("SELECT COUNT(*) FROM live_%s", t->name);
		if (r->be->exec(r->conn, x->create, e) < 0)
			goto fail;
	}
	*out = r;
	return 0;
fail:
	replay_free(r);
	return -1;
}

/* ---- reading the row changes ---------------------------------------------------- */

struct ops_reader {
	const char *p, *end;
};

static void skip_ws(struct ops_reader *rd)
{
	while (rd->p < rd->end && (*rd->p == ' ' || *rd->p == '\n' || *rd->p == '\t' ||
				   *rd->p == '\r'))
		rd->p++;
}

static bool take(struct ops_reader *rd, char c)
{
	skip_ws(rd);
	if (rd->p < rd->end && *rd->p == c) {
		rd->p++;
		return true;
	}
	return false;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* A JSON string into sb (NUL-terminated); 0 ok, 1 malformed. */
static int read_string(struct ops_reader *rd, struct strbuf *sb)
{
	strbuf_reset(sb);
	strbuf_addstr(sb, "");
	if (!take(rd, '"'))
		return 1;
	while (rd->p < rd->end) {
		const char *run = rd->p;
		while (rd->p < rd->end && *rd->p != '"' && *rd->p != '\\')
			rd->p++;
		strbuf_add(sb, run, (size_t)(rd->p - run));
		if (rd->p == rd->end)
			return 1;
		if (*rd->p++ == '"')
			return 0;
		if (rd->p == rd->end)
			return 1;
		switch (*rd->p++) {
		case '"': strbuf_addch(sb, '"'); break;
		case '\\': strbuf_addch(sb, '\\'); break;
		case '/': strbuf_addch(sb, '/'); break;
		case 'b': strbuf_addch(sb, '\b'); break;
		case 'f': strbuf_addch(sb, '\f'); break;
		case 'n': strbuf_addch(sb, '\n'); break;
		case 'r': strbuf_addch(sb, '\r'); break;
		case 't': strbuf_addch(sb, '\t'); break;
		case 'u': {
			unsigned cp = 0;
			if (rd->end - rd->p < 4)
				return 1;
			for (int i = 0; i < 4; i++) {
				int h = hexval(rd->p[i]);
				if (h < 0)
					return 1;
				cp = cp << 4 | (unsigned)h;
			}
			rd->p += 4;
			/* no NUL (the store's text is C strings), no lone surrogates */
			if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
				return 1;
			if (cp < 0x80) {
				strbuf_addch(sb, (char)cp);
			} else if (cp < 0x800) {
				strbuf_addch(sb, (char)(0xC0 | cp >> 6));
				strbuf_addch(sb, (char)(0x80 | (cp & 0x3F)));
			} else {
				strbuf_addch(sb, (char)(0xE0 | cp >> 12));
				strbuf_addch(sb, (char)(0x80 | ((cp >> 6) & 0x3F)));
				strbuf_addch(sb, (char)(0x80 | (cp & 0x3F)));
			}
			break;
		}
		default:
			return 1;
		}
	}
	return 1;
}

/* One parameter: a string, an integer or null. 0 ok, 1 malformed. */
static int read_value(struct ops_reader *rd, struct strbuf *sb, struct store_val *v)
{
	skip_ws(rd);
	if (rd->p == rd->end)
		return 1;
	if (*rd->p == '"') {
		if (read_string(rd, sb))
			return 1;
		if (strlen(sb->buf) != sb->len)
			return 1;
		*v = sv_text(sb->buf);
		return 0;
	}
	if (rd->end - rd->p >= 4 && !memcmp(rd->p, "null", 4)) {
		rd->p += 4;
		*v = sv_null();
		return 0;
	}
	{
		bool neg = false;
		uint64_t u = 0;
		int digits = 0;
		if (*rd->p == '-') {
			neg = true;
			rd->p++;
		}
		while (rd->p < rd->end && *rd->p >= '0' && *rd->p <= '9') {
			unsigned d = (unsigned)(*rd->p++ - '0');
			if (u > (UINT64_MAX - d) / 10)
				return 1;
			u = u * 10 + d;
			digits++;
		}
		if (!digits || u > (uint64_t)INT64_MAX + (neg ? 1 : 0))
			return 1;
		*v = sv_int(neg ? (int64_t)(0 - u) : (int64_t)u);
		return 0;
	}
}

static const struct store_write *write_named(const char *name)
{
	for (int w = 0; w < W_COUNT; w++)
		if (!strcmp(store_writes[w].name, name))
			return &store_writes[w];
	return NULL;
}

int replay_entry(struct replay *r, const char *ops, size_t len, char *why, size_t whylen,
		 struct err *e)
{
	struct ops_reader rd = { ops, ops + len };
	struct store_val p[REPLAY_MAX_PARAMS];
	const struct store_write *w = NULL;
	int nop = 0;

	if (!take(&rd, '['))
		goto malformed;
	if (take(&rd, ']'))
		goto end;
	do {
		int n = 0;
		nop++;
		if (!take(&rd, '[') || read_string(&rd, &r->text[0]))
			goto malformed;
		w = write_named(r->text[0].buf);
		if (!w) {
			struct strbuf name = STRBUF_INIT;
			strbuf_add_scrubbed(&name, r->text[0].buf, false);
			snprintf(why, whylen, "row change %d is '%.60s', which tollgate does not know",
				 nop, name.buf ? name.buf : "");
			strbuf_release(&name);
			return 1;
		}
		while (take(&rd, ',')) {
			if (n == w->nparams || n + 1 >= REPLAY_MAX_PARAMS)
				goto count;
			if (read_value(&rd, &r->text[n + 1], &p[n]))
				goto malformed;
			n++;
		}
		if (!take(&rd, ']'))
			goto malformed;
		if (n != w->nparams)
			goto count;
		{
			struct err qe;
			err_init(&qe);
			if (r->be->query(r->conn, w->sql, p, n, 0, NULL, NULL, &qe) < 0) {
				if (!err_is(&qe, REASON_CONFLICT)) {
					err_copy(e, &qe);
					return -1;
				}
				snprintf(why, whylen, "row change %d (%s): %s", nop, w->name, qe.msg);
				return 1;
			}
		}
	} while (take(&rd, ','));
	if (!take(&rd, ']'))
		goto malformed;
end:
	skip_ws(&rd);
	if (rd.p != rd.end)
		goto malformed;
	return 0;
malformed:
	snprintf(why, whylen, "they are not a JSON array of [name, values…] (byte %zu)",
		 (size_t)(rd.p - ops));
	return 1;
count:
	snprintf(why, whylen, "row change %d (%s) does not have its %d values", nop, w->name,
		 w->nparams);
	return 1;
}

/* ---- comparing ---------------------------------------------------------------- */

struct copy_ctx {
	struct replay *r;
	const struct replay_table *x;
	int ncols;
	struct err *e;
	bool failed;
};

static int copy_row(void *ctx, const struct store_row *row)
{
	struct copy_ctx *c = ctx;
	struct store_val p[REPLAY_MAX_PARAMS];
	for (int i = 0; i < c->ncols && i < row->n; i++) {
		const struct store_val *v = &row->v[i];
		if (v->type == SV_TEXT) {
			strbuf_reset(&c->r->text[i]);
			strbuf_add(&c->r->text[i], v->s, v->len);
			strbuf_addstr(&c->r->text[i], "");
			p[i] = sv_text(c->r->text[i].buf);
		} else {
			p[i] = *v;
		}
	}
	if (c->r->be->query(c->r->conn, c->x->insert, p, c->ncols, 0, NULL, NULL, c->e) < 0) {
		c->failed = true;
		return 1;
	}
	return 0;
}

static int side_count(void *ctx, const struct store_row *row)
{
	*(int64_t *)ctx = row_int(row, 0);
	return 0;
}

/* One row of one side of the comparison. */
struct side_row {
	const char **v;
	bool *is_int;
	int64_t count;
	bool paired;
};

struct side {
	struct arena *a;
	int ncols;
	struct side_row *rows;
	size_t n, alloc;
	int64_t total;
};

static int side_row(void *ctx, const struct store_row *row)
{
	struct side *s = ctx;
	struct side_row *x;
	s->total++;
	if (s->n == REPLAY_SIDE_CAP)
		return 0;
	ALLOC_GROW(s->rows, s->n + 1, s->alloc);
	x = &s->rows[s->n++];
	x->v = arena_alloc(s->a, (size_t)s->ncols * sizeof(*x->v));
	x->is_int = arena_alloc(s->a, (size_t)s->ncols * sizeof(*x->is_int));
	for (int i = 0; i < s->ncols; i++) {
		x->v[i] = row_dup(row, i, s->a);
		x->is_int[i] = row->v[i].type == SV_INT;
	}
	x->count = row_int(row, s->ncols);
	x->paired = false;
	return 0;
}

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_key(const struct side_row *a, const struct side_row *b, int nkey)
{
	for (int i = 0; i < nkey; i++)
		if (!same(a->v[i], b->v[i]))
			return false;
	return true;
}

static void list_diff(struct store_verify_full *out, const struct store_table *t,
		      const char **cols, const struct side_row *st, const struct side_row *lg,
		      size_t *alloc)
{
	struct store_state_diff *d;
	out->ndiffs++;
	if (out->nlisted == REPLAY_LIST_CAP)
		return;
	ALLOC_GROW(out->diffs, out->nlisted + 1, *alloc);
	d = &out->diffs[out->nlisted++];
	d->table = t->name;
	d->cols = cols;
	d->ncols = t->ncols;
	d->nkey = t->nkey;
	d->store = st ? st->v : NULL;
	d->store_int = st ? st->is_int : NULL;
	d->store_count = st ? st->count : 0;
	d->log = lg ? lg->v : NULL;
	d->log_int = lg ? lg->is_int : NULL;
	d->log_count = lg ? lg->count : 0;
}

int replay_compare(struct replay *r, struct store *s, struct store_verify_full *out,
		   struct err *e)
{
	size_t alloc = 0;
	int rc = -1;

	for (size_t i = 0; i < store_nstate_tables; i++) {
		const struct store_table *t = &store_state_tables[i];
		const struct replay_table *x = &r->t[i];
		struct copy_ctx cc = { r, x, t->ncols, e, false };
		struct side st = { &out->arena, t->ncols, NULL, 0, 0, 0 };
		struct side lg = { &out->arena, t->ncols, NULL, 0, 0, 0 };
		int64_t rows = 0;
		const char **cols;

		if (s->be->query(s->conn, t->rows_sql, NULL, 0, SQ_STREAM, copy_row, &cc, e) < 0 ||
		    cc.failed)
			goto out;
		if (r->be->query(r->conn, x->count, NULL, 0, 0, side_count, &rows, e) < 0)
			goto out;
		out->state_rows += rows;
		if (r->be->query(r->conn, x->store_only, NULL, 0, 0, side_row, &st, e) < 0 ||
		    r->be->query(r->conn, x->log_only, NULL, 0, 0, side_row, &lg, e) < 0) {
			free(st.rows);
			free(lg.rows);
			goto out;
		}
		/* the column names, for the caller: copied into its arena */
		cols = arena_alloc(&out->arena, (size_t)t->ncols * sizeof(*cols));
		for (int k = 0; k < t->ncols; k++)
			cols[k] = arena_strdup(&out->arena, x->cols[k]);
		/* a key on both sides is one row that differs; a key on one side
		 * only is a row added or removed (past the cap: counted only) */
		for (size_t a = 0; a < st.n; a++) {
			struct side_row *match = NULL;
			for (size_t b = 0; b < lg.n && !match; b++)
				if (!lg.rows[b].paired && same_key(&st.rows[a], &lg.rows[b], t->nkey))
					match = &lg.rows[b];
			if (match)
				match->paired = true;
			list_diff(out, t, cols, &st.rows[a], match, &alloc);
		}
		for (size_t b = 0; b < lg.n; b++)
			if (!lg.rows[b].paired)
				list_diff(out, t, cols, NULL, &lg.rows[b], &alloc);
		out->ndiffs += (st.total - (int64_t)st.n) + (lg.total - (int64_t)lg.n);
		free(st.rows);
		free(lg.rows);
	}
	rc = 0;
out:
	return rc;
}
