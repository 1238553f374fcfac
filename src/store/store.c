/*
 * store.c - changes (one transaction + one audit entry each) and the
 * domain reads and writes (opening a store is store-open.c):
 * promotions, approvals, ticks, blockers, incidents, the snapshot. Leases and
 * step runs are in store-coord.c.
 * Each query is written once in store-sql.c; the backend behind s->be only
 * runs SQL. The audit chain itself lives in audit.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/plan.h"
#include "store/store-internal.h"

#define REQUIRE_CHANGE(s)                                                              \
	do {                                                                           \
		if (!(s)->in_change)                                                   \
			BUG("%s called with no change open", __func__);                \
	} while (0)

/* ---- rows and small helpers --------------------------------------------- */

int64_t row_int(const struct store_row *r, int i)
{
	const struct store_val *v = &r->v[i];
	if (v->type == SV_INT)
		return v->i;
	if (v->type == SV_TEXT)
		return strtoll(v->s, NULL, 10);
	return 0;
}

bool row_null(const struct store_row *r, int i)
{
	return r->v[i].type == SV_NULL;
}

const char *row_dup(const struct store_row *r, int i, struct arena *a)
{
	const struct store_val *v = &r->v[i];
	char buf[32];
	if (v->type == SV_NULL)
		return NULL;
	if (v->type == SV_INT) {
		snprintf(buf, sizeof(buf), "%" PRId64, v->i);
		return arena_strdup(a, buf);
	}
	return arena_strndup(a, v->s, v->len);
}

int64_t store_q(struct store *s, const char *sql, const struct store_val *p, int np,
		store_row_fn fn, void *ctx, struct err *e)
{
	int64_t rc = s->be->query(s->conn, sql, p, np, 0, fn, ctx, e);
	/* a failure inside a batch but outside a change has no savepoint to
	 * undo it (and leaves a PostgreSQL transaction aborted): the batch
	 * must not commit */
	if (rc < 0 && s->in_batch && !s->in_change)
		s->batch_failed = true;
	return rc;
}

void store_clean_text(struct strbuf *out, const char *s, size_t max, bool tail)
{
	size_t n = strlen(s), i = 0;
	strbuf_reset(out);
	if (tail && max && n > max) {
		i = n - max;
		while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
			i++; /* start on a character boundary */
	}
	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
				    : (c & 0xF8) == 0xF0 ? 4 : 0;
		bool ok = len > 0 && i + len <= n;
		for (size_t k = 1; ok && k < len; k++)
			ok = ((unsigned char)s[i + k] & 0xC0) == 0x80;
		if (ok && len == 2 && c < 0xC2)
			ok = false; /* overlong */
		if (max && out->len + (ok ? len : 1) > max)
			break;
		if (ok)
			strbuf_add(out, s + i, len);
		else
			strbuf_addch(out, '?');
		i += ok ? len : 1;
	}
}

int store_check_id(const char *what, const char *id, struct err *e)
{
	if (!id || !util_valid_id(id))
		return err_set(e, ERR_USAGE, "invalid %s '%s': use letters, digits, '_', '.' and '-'",
			       what, id ? id : "");
	return 0;
}

static const char *state_names[] = {
	"none", "deploying", "verifying", "soaking", "healthy", "rolled-back", "failed", "interrupted",
};

const char *store_state_name(enum store_state st)
{
	if ((size_t)st >= ARRAY_SIZE(state_names))
		return "none";
	return state_names[st];
}

int store_state_parse(const char *name, enum store_state *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(state_names); i++)
		if (name && !strcmp(name, state_names[i])) {
			*out = (enum store_state)i;
			return 0;
		}
	return -1;
}

/* A row of one integer (a count, an id) into *(int64_t *)ctx. */
int store_int_row(void *ctx, const struct store_row *r)
{
	*(int64_t *)ctx = row_int(r, 0);
	return 0;
}

/* ---- changes ------------------------------------------------------------ */

void store_change_reset(struct store *s)
{
	s->in_change = false;
	free(s->change_actor);
	free(s->change_action);
	free(s->change_subject);
	s->change_actor = s->change_action = s->change_subject = NULL;
	strbuf_reset(&s->change_detail);
	strbuf_reset(&s->change_ops);
}

/* ---- the row changes of a change ------------------------------------------ */

/* JSON string body of s[0..len): only '"', '\\' and control characters are
 * escaped (the text is the store's, UTF-8 as far as it is) */
static void ops_str(struct strbuf *sb, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;
	strbuf_grow(sb, len + 2);
	strbuf_addch(sb, '"');
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(sb, str + run, i - run);
		run = i + 1;
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			strbuf_add(sb, esc, 2);
		} else {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			strbuf_add(sb, esc, 6);
		}
	}
	strbuf_add(sb, str + run, len - run);
	strbuf_addch(sb, '"');
}

void store_ops_add(struct strbuf *sb, const char *name, const struct store_val *p, int n)
{
	if (sb->len > 1)
		strbuf_addch(sb, ',');
	strbuf_addch(sb, '[');
	ops_str(sb, name, strlen(name));
	for (int i = 0; i < n; i++) {
		strbuf_addch(sb, ',');
		if (p[i].type == SV_INT) {
			/* by hand: snprintf would be most of the cost of a write's record */
			char num[24];
			size_t k = sizeof(num);
			uint64_t u = p[i].i < 0 ? (uint64_t)0 - (uint64_t)p[i].i : (uint64_t)p[i].i;
			do {
				num[--k] = (char)('0' + u % 10);
				u /= 10;
			} while (u);
			if (p[i].i < 0)
				num[--k] = '-';
			strbuf_add(sb, num + k, sizeof(num) - k);
		} else if (p[i].type == SV_TEXT) {
			ops_str(sb, p[i].s, strlen(p[i].s));
		} else {
			strbuf_add(sb, "null", 4);
		}
	}
	strbuf_addch(sb, ']');
}

int64_t store_write(struct store *s, enum store_write_id w, const struct store_val *p,
		    struct err *e)
{
	const struct store_write *sw = &store_writes[w];
	int64_t n;
	REQUIRE_CHANGE(s);
	n = store_q(s, sw->sql, p, sw->nparams, NULL, NULL, e);
	/* a statement that changed nothing changes nothing on replay either */
	if (n > 0)
		store_ops_add(&s->change_ops, sw->name, p, sw->nparams);
	return n;
}

/* After a failure: was the session lost, and is a new one open now? Never
 * for a backend without sessions (SQLite). */
static bool session_renewed(struct store *s)
{
	return s->be->reconnect && s->be->reconnect(s->conn);
}

/*
 * BEGIN a write transaction and read the audit head under its lock. A
 * session lost between the two (a restart, a failover, a proxy's cut: the
 * backend's begin already connects again when the BEGIN itself meets it)
 * has written nothing: once more on a new session.
 */
static int begin_head(struct store *s, struct err *e)
{
	for (int attempt = 0;; attempt++) {
		if (s->be->begin(s->conn, true, e) < 0)
			return -1;
		if (audit_read_head(s, e) == 0)
			return 0;
		s->be->rollback(s->conn);
		if (attempt || !session_renewed(s))
			return -1;
		err_init(e);
	}
}

/*
 * COMMIT. A session lost at the COMMIT leaves it unknown whether the
 * transaction landed; when it appended entries (the last one head_seq,
 * head_hash), a new session reads the log to know: 0 it landed, -1 it did
 * not (then s->renewed: it may be written again). It reads under the write
 * lock: the old session's transaction may still be running on the server
 * (the COMMIT on its way, the backend not yet told its client is gone), and
 * the lock is only ours once that transaction has ended, committed or not.
 * Without an entry, or with no new session (or the lock not had in time),
 * it stays unknown and the backend's message says so.
 */
static int commit_verified(struct store *s, bool appended, struct err *e)
{
	int64_t seq = s->head_seq;
	char hash[65];
	struct err again;
	int has;

	memcpy(hash, s->head_hash, sizeof(hash));
	if (s->be->commit(s->conn, e) == 0)
		return 0;
	if (!session_renewed(s))
		return -1;
	if (!appended) {
		s->renewed = true; /* what the caller wrote again is idempotent */
		return -1;
	}
	err_init(&again);
	if (s->be->begin(s->conn, true, &again) < 0)
		return -1;
	has = audit_has_entry(s, seq, hash, &again);
	s->be->rollback(s->conn);
	if (has == 1) {
		err_init(e); /* it landed: the log holds its last entry */
		return 0;
	}
	if (has == 0) {
		s->renewed = true;
		err_init(e);
		return err_setr(e, ERR_FAILED, REASON_IO,
				"the session with the store %s was lost at COMMIT, and a new session "
				"finds no entry %" PRId64 " of it in the log: nothing of this change "
				"was written; try again",
				s->display_url ? s->display_url : "", seq);
	}
	return -1;
}

bool store_batch_lost(struct store *s)
{
	if (s->in_change || s->in_batch)
		BUG("store_batch_lost: the batch is still open");
	if (s->renewed) {
		s->renewed = false;
		return true;
	}
	return session_renewed(s);
}

/* Inside a batch each change is a savepoint: an aborted one undoes only its
 * own writes. */
static const char sql_change_savepoint[] = "SAVEPOINT tg_change";
static const char sql_change_release[] = "RELEASE SAVEPOINT tg_change";
static const char sql_change_undo[] = "ROLLBACK TO SAVEPOINT tg_change";

int store_begin_change(struct store *s, int64_t now, const char *actor, const char *action,
		       const char *subject, const char *detail, struct err *e)
{
	if (s->in_change)
		BUG("store_begin_change: a change is already open");
	if (!actor || !*actor || !action || !*action)
		BUG("store_begin_change: actor and action are required");
	if (s->read_only)
		BUG("store_begin_change: the store was opened read only");
	if (s->in_batch) {
		if (s->be->exec(s->conn, sql_change_savepoint, e) < 0)
			return -1;
	} else if (begin_head(s, e) < 0) {
		return -1;
	}
	s->in_change = true;
	/* the clock went back (or a rehearsal's TOLLGATE_NOW did): the entry,
	 * and what the change writes, take the last entry's time */
	s->change_now = now < s->head_at ? s->head_at : now;
	s->change_actor = xstrdup(actor);
	s->change_action = xstrdup(action);
	s->change_subject = xstrdup(subject ? subject : "");
	strbuf_reset(&s->change_detail);
	if (detail)
		strbuf_addstr(&s->change_detail, detail);
	strbuf_reset(&s->change_ops);
	strbuf_addch(&s->change_ops, '[');
	return 0;
}

void store_change_subject(struct store *s, const char *subject)
{
	REQUIRE_CHANGE(s);
	free(s->change_subject);
	s->change_subject = xstrdup(subject ? subject : "");
}

void store_change_detail(struct store *s, const char *fmt, ...)
{
	va_list ap;
	REQUIRE_CHANGE(s);
	strbuf_reset(&s->change_detail);
	va_start(ap, fmt);
	strbuf_vaddf(&s->change_detail, fmt, ap);
	va_end(ap);
}

int store_commit_change(struct store *s, int64_t *seq_out, struct err *e)
{
	REQUIRE_CHANGE(s);
	if (audit_append(s, e) < 0) {
		store_abort_change(s);
		return -1;
	}
	if (s->in_batch) {
		if (s->be->exec(s->conn, sql_change_release, e) < 0) {
			/* the entry is appended but the savepoint is unusable: the
			 * batch cannot commit in a known state */
			store_change_reset(s);
			store_abort_batch(s);
			return -1;
		}
		s->batch_dirty = true;
	} else if (commit_verified(s, true, e) < 0) {
		s->renewed = false; /* a single change is not written again here */
		store_change_reset(s);
		return -1;
	}
	if (seq_out)
		*seq_out = s->head_seq;
	store_change_reset(s);
	return 0;
}

void store_abort_change(struct store *s)
{
	if (!s->in_change)
		return;
	if (s->in_batch) {
		struct err ig;
		err_init(&ig);
		if (s->be->exec(s->conn, sql_change_undo, &ig) < 0 ||
		    s->be->exec(s->conn, sql_change_release, &ig) < 0) {
			store_change_reset(s);
			store_abort_batch(s);
			return;
		}
	} else {
		s->be->rollback(s->conn);
	}
	store_change_reset(s);
}

bool store_in_change(const struct store *s)
{
	return s->in_change;
}

int store_begin_batch(struct store *s, struct err *e)
{
	if (store_in_tx(s))
		BUG("store_begin_batch: a change, batch or read is already open");
	if (s->read_only)
		BUG("store_begin_batch: the store was opened read only");
	s->renewed = false;
	if (begin_head(s, e) < 0)
		return -1;
	s->in_batch = true;
	s->batch_dirty = false;
	s->batch_failed = false;
	return 0;
}

int store_commit_batch(struct store *s, struct err *e)
{
	bool appended;

	if (s->in_change)
		BUG("store_commit_batch: a change is still open");
	if (!s->in_batch)
		return err_setr(e, ERR_FAILED, REASON_IO,
				"the batch of changes was rolled back after a failed write");
	if (s->batch_failed) {
		store_abort_batch(s);
		return err_setr(e, ERR_FAILED, REASON_IO,
				"the batch of changes was rolled back after a failed write");
	}
	if (s->batch_dirty && audit_write_head(s, e) < 0) {
		store_abort_batch(s);
		return -1;
	}
	s->in_batch = false;
	appended = s->batch_dirty;
	s->batch_dirty = false;
	return commit_verified(s, appended, e);
}

void store_abort_batch(struct store *s)
{
	if (!s->in_batch)
		return;
	if (s->in_change)
		store_change_reset(s);
	s->be->rollback(s->conn);
	s->in_batch = false;
	s->batch_dirty = false;
	s->batch_failed = false;
}

bool store_in_batch(const struct store *s)
{
	return s->in_batch;
}

int store_in_write(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e), void *ctx,
		   struct err *e)
{
	int rc;
	if (s->in_change || s->in_batch)
		return fn(s, ctx, e);
	if (s->read_only)
		BUG("a coordination write on a store opened read only");
	for (int attempt = 0;; attempt++) {
		if (s->be->begin(s->conn, true, e) < 0)
			return -1;
		rc = fn(s, ctx, e);
		if (rc >= 0)
			break;
		s->be->rollback(s->conn);
		/* the session was lost under fn, so nothing of it was written
		 * (these fns only overwrite what they hand back): once more on a
		 * new session. A failed COMMIT is not retried: it may have landed. */
		if (attempt || !session_renewed(s))
			return rc;
		err_init(e);
	}
	if (s->be->commit(s->conn, e) < 0)
		return -1;
	return rc;
}

int store_in_read(struct store *s, int (*fn)(struct store *s, void *ctx, struct err *e), void *ctx,
		  struct err *e)
{
	int rc;
	if (store_in_tx(s))
		return fn(s, ctx, e);
	if (s->be->begin(s->conn, false, e) < 0)
		return -1;
	s->in_read = true;
	rc = fn(s, ctx, e);
	s->in_read = false;
	if (rc < 0) {
		s->be->rollback(s->conn);
		return rc;
	}
	if (s->be->commit(s->conn, e) < 0)
		return -1;
	return rc;
}

/* ---- promotions --------------------------------------------------------- */

struct promo_ctx {
	struct arena *arena;
	struct store_promotion *one;
	struct store_promotion *v;
	size_t n, alloc;
};

static void promo_from_row(struct store_promotion *p, const struct store_row *r, struct arena *a)
{
	const char *st = row_dup(r, 2, a);
	p->project = row_dup(r, 0, a);
	p->env = row_dup(r, 1, a);
	if (store_state_parse(st, &p->state) < 0)
		p->state = STATE_NONE;
	p->version = row_dup(r, 3, a);
	p->previous_version = row_dup(r, 4, a);
	p->since = row_int(r, 5);
	p->run_id = row_dup(r, 6, a);
	p->soak_until = row_int(r, 7);
	p->detail = row_dup(r, 8, a);
	p->seq = row_int(r, 9);
}

static int promo_row(void *ctx, const struct store_row *r)
{
	struct promo_ctx *c = ctx;
	if (c->one) {
		promo_from_row(c->one, r, c->arena);
		return 0;
	}
	ALLOC_GROW(c->v, c->n + 1, c->alloc);
	promo_from_row(&c->v[c->n++], r, c->arena);
	return 0;
}

int store_get_promotion(struct store *s, const char *project, const char *env,
			struct store_promotion *out, struct arena *arena, struct err *e)
{
	struct store_val p[] = { sv_text(project), sv_text(env) };
	struct promo_ctx c = { arena, out, NULL, 0, 0 };
	memset(out, 0, sizeof(*out));
	out->project = arena_strdup(arena, project);
	out->env = arena_strdup(arena, env);
	out->state = STATE_NONE;
	return store_q(s, sql_promotion_get, p, 2, promo_row, &c, e) < 0 ? -1 : 0;
}

static const char *clean_or_null(struct strbuf *sb, const char *s, size_t max, bool tail)
{
	if (!s)
		return NULL;
	store_clean_text(sb, s, max, tail);
	return sb->buf ? sb->buf : "";
}

int store_set_promotion(struct store *s, const struct store_promotion *pr, struct err *e)
{
	struct strbuf detail = STRBUF_INIT;
	int rc = -1;
	REQUIRE_CHANGE(s);
	if (store_check_id("project", pr->project, e) < 0 ||
	    store_check_id("environment", pr->env, e) < 0)
		return -1;
	{
		const char *d = clean_or_null(&detail, pr->detail, 4096, false);
		int64_t seq = s->head_seq + 1;
		struct store_val p[] = {
			sv_text(pr->project), sv_text(pr->env), sv_text(store_state_name(pr->state)),
			sv_text(pr->version), sv_text(pr->previous_version), sv_int(s->change_now),
			sv_text(pr->run_id), sv_int(pr->soak_until), sv_text(d), sv_int(seq),
		};
		struct store_val h[] = {
			sv_text(pr->project), sv_text(pr->env), sv_int(seq), sv_int(s->change_now),
			sv_text(store_state_name(pr->state)), sv_text(pr->version),
			sv_text(pr->previous_version), sv_text(pr->run_id), sv_int(pr->soak_until),
			sv_text(d),
		};
		if (store_write(s, W_PROMOTION_PUT, p, e) >= 0 &&
		    store_write(s, W_HISTORY_ADD, h, e) >= 0)
			rc = 0;
	}
	strbuf_release(&detail);
	return rc;
}

static int check_version(const char *v, int line, struct err *e);

int store_check_version(const char *v, struct err *e)
{
	return check_version(v, 0, e);
}

static int check_version(const char *v, int line, struct err *e)
{
	const char *where = "";
	char buf[32];
	if (line > 0) {
		snprintf(buf, sizeof(buf), "line %d: ", line);
		where = buf;
	}
	if (!v || !*v)
		return err_set(e, ERR_USAGE, "%san empty version; give the version to record", where);
	if (strlen(v) > 200)
		return err_set(e, ERR_USAGE, "%sversion '%.40s…' is longer than 200 characters", where,
			       v);
	/* opaque: any printable text, spaces and shell metacharacters included
	 * (it reaches commands only as TOLLGATE_VERSION); no control characters,
	 * no surrounding blanks that a reader could not see */
	for (const unsigned char *c = (const unsigned char *)v; *c; c++)
		if (*c < ' ' || *c == 0x7f)
			return err_set(e, ERR_USAGE, "%sversion '%s' holds a control character",
				       where, v);
	if (v[0] == ' ' || v[strlen(v) - 1] == ' ')
		return err_set(e, ERR_USAGE, "%sversion '%s' starts or ends with a space", where, v);
	return 0;
}

/* Record one version inside the open change; appends "p=v" to *summary.
 * 1 when the version is healthy there already (nothing written). */
static int record_one(struct store *s, const char *project, const char *env, const char *version,
		      struct strbuf *summary, struct err *e)
{
	struct arena a;
	struct store_promotion cur, next;
	int rc;

	arena_init(&a);
	rc = store_get_promotion(s, project, env, &cur, &a, e);
	if (rc == 0 && cur.state == STATE_HEALTHY && cur.version && !strcmp(cur.version, version))
		rc = 1;
	else if (rc == 0) {
		memset(&next, 0, sizeof(next));
		next.project = project;
		next.env = env;
		next.state = STATE_HEALTHY;
		next.version = version;
		next.previous_version = cur.version && strcmp(cur.version, version)
						? cur.version : cur.previous_version;
		rc = store_set_promotion(s, &next, e);
		if (summary) {
			if (summary->len)
				strbuf_addstr(summary, ", ");
			strbuf_addf(summary, "%s=%s", project, version);
		} else {
			store_change_detail(s, "version %s%s%s%s", version,
					    cur.version ? " (was " : "", cur.version ? cur.version : "",
					    cur.version ? ")" : "");
		}
	}
	arena_release(&a);
	return rc;
}

int store_record_version(struct store *s, int64_t now, const char *actor, const char *project,
			 const char *env, const char *version, struct err *e)
{
	char *subject;
	int rc;
	if (store_check_id("project", project, e) < 0 ||
	    store_check_id("environment", env, e) < 0 || check_version(version, 0, e) < 0)
		return -1;
	subject = xasprintf("%s@%s", project, env);
	rc = store_begin_change(s, now, actor, "record", subject, NULL, e);
	free(subject);
	if (rc < 0)
		return -1;
	rc = record_one(s, project, env, version, NULL, e);
	if (rc != 0) {
		store_abort_change(s);
		return rc;
	}
	return store_commit_change(s, NULL, e);
}

static int record_versions(struct store *s, int64_t now, const char *actor, const char *env,
			   const struct store_record *v, size_t n, const char *from, struct err *e);

int store_record_versions(struct store *s, int64_t now, const char *actor, const char *env,
			  const struct store_record *v, size_t n, struct err *e)
{
	return record_versions(s, now, actor, env, v, n, NULL, e);
}

int store_record_imported(struct store *s, int64_t now, const char *actor, const char *env,
			  const struct store_record *v, size_t n, const char *from, struct err *e)
{
	return record_versions(s, now, actor, env, v, n, from, e);
}

static int record_versions(struct store *s, int64_t now, const char *actor, const char *env,
			   const struct store_record *v, size_t n, const char *from, struct err *e)
{
	struct strbuf summary = STRBUF_INIT;
	size_t already = 0;
	if (store_check_id("environment", env, e) < 0)
		return -1;
	if (n == 0)
		return err_set(e, ERR_USAGE, "no versions to record");
	for (size_t i = 0; i < n; i++) {
		if (!v[i].project || !util_valid_id(v[i].project)) {
			if (v[i].line > 0)
				return err_set(e, ERR_USAGE, "line %d: invalid project '%s'", v[i].line,
					       v[i].project ? v[i].project : "");
			return store_check_id("project", v[i].project, e);
		}
		if (check_version(v[i].version, v[i].line, e) < 0)
			return -1;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(v[j].project, v[i].project)) {
				if (v[i].line > 0)
					return err_set(e, ERR_USAGE,
						       "line %d: project '%s' is listed twice (also line %d)",
						       v[i].line, v[i].project, v[j].line);
				return err_set(e, ERR_USAGE, "project '%s' is listed twice",
					       v[i].project);
			}
	}
	if (store_begin_change(s, now, actor, "record", env, NULL, e) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int r = record_one(s, v[i].project, env, v[i].version, &summary, e);
		if (r < 0) {
			store_abort_change(s);
			strbuf_release(&summary);
			return -1;
		}
		already += (size_t)r;
	}
	if (already == n) {
		store_abort_change(s);
		strbuf_release(&summary);
		return (int)(n > INT32_MAX ? INT32_MAX : n);
	}
	if (already)
		store_change_detail(s, "%zu version%s: %s; %zu already healthy%s%s", n - already,
				    n - already == 1 ? "" : "s", summary.buf, already,
				    from ? "; imported from " : "", from ? from : "");
	else
		store_change_detail(s, "%zu version%s: %s%s%s", n, n == 1 ? "" : "s", summary.buf,
				    from ? "; imported from " : "", from ? from : "");
	strbuf_release(&summary);
	if (store_commit_change(s, NULL, e) < 0)
		return -1;
	return (int)(already > INT32_MAX ? INT32_MAX : already);
}

struct history_ctx {
	struct store_history *h;
	size_t alloc;
};

static int history_row(void *ctx, const struct store_row *r)
{
	struct history_ctx *c = ctx;
	ALLOC_GROW(c->h->v, c->h->n + 1, c->alloc);
	promo_from_row(&c->h->v[c->h->n++], r, &c->h->arena);
	return 0;
}

int store_promotion_history(struct store *s, const char *project, const char *env,
			    struct store_history *out, struct err *e)
{
	struct store_val p[] = { sv_text(project), sv_text(env) };
	struct history_ctx c = { out, 0 };
	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	if (store_q(s, sql_history_get, p, 2, history_row, &c, e) < 0) {
		store_history_release(out);
		return -1;
	}
	return 0;
}

void store_history_release(struct store_history *h)
{
	free(h->v);
	arena_release(&h->arena);
	memset(h, 0, sizeof(*h));
}

/* ---- approvals, ticks, blockers, incidents ------------------------------ */

int store_approve(struct store *s, const char *gate, const char *role, const char *person,
		  bool *changed, struct err *e)
{
	struct store_val p[] = { sv_text(gate), sv_text(role), sv_text(person),
				 sv_int(s->change_now) };
	int64_t n;
	REQUIRE_CHANGE(s);
	if (store_check_id("gate", gate, e) < 0 || store_check_id("person", person, e) < 0)
		return -1;
	if (!role || !*role)
		return err_set(e, ERR_USAGE, "an approval needs a role");
	n = store_write(s, W_APPROVAL_ADD, p, e);
	if (n < 0)
		return -1;
	if (changed)
		*changed = n > 0;
	return 0;
}

int store_revoke(struct store *s, const char *gate, const char *role, const char *person,
		 bool *changed, struct err *e)
{
	int64_t n;
	REQUIRE_CHANGE(s);
	if (role) {
		struct store_val p[] = { sv_text(gate), sv_text(role), sv_text(person) };
		n = store_write(s, W_APPROVAL_DEL, p, e);
		if (n >= 0 && store_write(s, W_APPROVAL_VERSION_DEL, p, e) < 0)
			n = -1;
	} else {
		struct store_val p[] = { sv_text(gate), sv_text(person) };
		n = store_write(s, W_APPROVAL_DEL_ALL, p, e);
		if (n >= 0 && store_write(s, W_APPROVAL_VERSION_DEL_ALL, p, e) < 0)
			n = -1;
	}
	if (n < 0)
		return -1;
	if (changed)
		*changed = n > 0;
	return 0;
}

int store_approval_renew(struct store *s, const char *gate, const char *role, const char *person,
			 struct err *e)
{
	struct store_val p[] = { sv_int(s->change_now), sv_text(gate), sv_text(role),
				 sv_text(person) };
	REQUIRE_CHANGE(s);
	return store_write(s, W_APPROVAL_RENEW, p, e) < 0 ? -1 : 0;
}

int store_approval_cover(struct store *s, const char *gate, const char *role, const char *person,
			 const char *project, const char *version, struct err *e)
{
	struct store_val p[] = { sv_text(gate),	   sv_text(role),    sv_text(person),
				 sv_text(project), sv_text(version), sv_int(s->change_now) };
	REQUIRE_CHANGE(s);
	if (store_check_id("gate", gate, e) < 0 || store_check_id("person", person, e) < 0 ||
	    store_check_id("project", project, e) < 0 || store_check_version(version, e) < 0)
		return -1;
	return store_write(s, W_APPROVAL_VERSION_PUT, p, e) < 0 ? -1 : 0;
}

int store_reject(struct store *s, const struct store_rejection *r, struct err *e)
{
	struct strbuf reason = STRBUF_INIT;
	const char *env = r->env ? r->env : STORE_EVERY_ENV;
	bool every = !strcmp(env, STORE_EVERY_ENV);
	int rc = -1;
	REQUIRE_CHANGE(s);
	if (store_check_id("project", r->project, e) < 0 || store_check_version(r->version, e) < 0 ||
	    (!every && store_check_id("environment", env, e) < 0))
		return -1;
	if (!r->kind || !*r->kind)
		BUG("store_reject: a rejection needs a kind");
	{
		struct store_val pv[] = { sv_text(r->project), sv_text(r->version) };
		struct store_val p[] = {
			sv_text(r->project),
			sv_text(r->version),
			sv_text(env),
			sv_text(r->kind),
			sv_text(clean_or_null(&reason, r->reason, 4096, false)),
			sv_text(r->by),
			sv_int(s->change_now),
		};
		if (every && (store_write(s, W_REJECTION_DROP_ALLOWANCES, pv, e) < 0 ||
			      store_write(s, W_REJECTION_UNALLOW, pv, e) < 0))
			goto out;
		if (store_write(s, W_REJECTION_PUT, p, e) < 0)
			goto out;
	}
	rc = 0;
out:
	strbuf_release(&reason);
	return rc;
}

int store_allow(struct store *s, const char *project, const char *version, const char *env,
		const char *by, const char *reason, struct err *e)
{
	struct strbuf why = STRBUF_INIT;
	/* a time of 0 would read as "not allowed" */
	int64_t at = s->change_now > 0 ? s->change_now : 1;
	const char *rs;
	int64_t n;
	REQUIRE_CHANGE(s);
	if (store_check_id("project", project, e) < 0 || store_check_version(version, e) < 0 ||
	    (env && store_check_id("environment", env, e) < 0))
		return -1;
	rs = clean_or_null(&why, reason, 4096, false);
	if (env) {
		struct store_val p[] = { sv_text(project), sv_text(version), sv_text(env), sv_int(at),
					 sv_text(by),	   sv_text(rs),	     sv_int(at) };
		n = store_write(s, W_REJECTION_ALLOW_ENV, p, e);
	} else {
		struct store_val p[] = { sv_text(by), sv_text(rs), sv_int(at), sv_text(project),
					 sv_text(version) };
		n = store_write(s, W_REJECTION_ALLOW_ALL, p, e);
	}
	strbuf_release(&why);
	return n < 0 ? -1 : 0;
}

int store_set_tick(struct store *s, const struct store_tick *t, struct err *e)
{
	struct strbuf note = STRBUF_INIT, tail = STRBUF_INIT;
	int64_t n;
	REQUIRE_CHANGE(s);
	if (store_check_id("checklist item", t->item, e) < 0)
		return -1;
	{
		struct store_val p[] = {
			sv_text(t->item), sv_int(t->done ? 1 : 0), sv_text(t->by),
			sv_int(s->change_now), sv_text(clean_or_null(&note, t->note, 4096, false)),
			sv_text(t->source == TICK_CHECK ? "check" : "manual"),
			sv_int(t->source == TICK_CHECK ? t->exit_status : -1),
			sv_text(clean_or_null(&tail, t->output_tail, 4096, true)),
		};
		n = store_write(s, W_TICK_PUT, p, e);
	}
	strbuf_release(&note);
	strbuf_release(&tail);
	return n < 0 ? -1 : 0;
}

int store_set_blocker(struct store *s, const struct store_blocker *b, struct err *e)
{
	struct strbuf note = STRBUF_INIT;
	int64_t n;
	REQUIRE_CHANGE(s);
	if (store_check_id("blocker", b->id, e) < 0)
		return -1;
	if (b->progress < 0 || b->progress > 100)
		return err_set(e, ERR_USAGE, "progress %d of blocker '%s' is not between 0 and 100",
			       b->progress, b->id);
	{
		struct store_val p[] = {
			sv_text(b->id), sv_int(b->progress), sv_int(b->resolved ? 1 : 0),
			sv_text(b->by), sv_int(s->change_now),
			sv_text(clean_or_null(&note, b->note, 4096, false)),
		};
		n = store_write(s, W_BLOCKER_PUT, p, e);
	}
	strbuf_release(&note);
	return n < 0 ? -1 : 0;
}

int store_open_incident(struct store *s, int level, const char *env, const char *project,
			const char *text, const char *opened_by, int64_t *id_out, struct err *e)
{
	struct strbuf t = STRBUF_INIT;
	int64_t id = 0, n;
	REQUIRE_CHANGE(s);
	if (level < 1 || level > 3)
		return err_set(e, ERR_USAGE, "incident level %d is not 1, 2 or 3", level);
	if (!text || !*text)
		return err_set(e, ERR_USAGE, "an incident needs a text saying what happened");
	if ((env && store_check_id("environment", env, e) < 0) ||
	    (project && store_check_id("project", project, e) < 0))
		return -1;
	if (store_q(s, sql_incident_next, NULL, 0, store_int_row, &id, e) < 0)
		return -1;
	store_clean_text(&t, text, 4096, false);
	{
		struct store_val p[] = { sv_int(id), sv_int(level), sv_text(env), sv_text(project),
					 sv_text(t.buf ? t.buf : ""), sv_text(opened_by),
					 sv_int(s->change_now) };
		n = store_write(s, W_INCIDENT_ADD, p, e);
	}
	strbuf_release(&t);
	if (n < 0)
		return -1;
	if (id_out)
		*id_out = id;
	return 0;
}

struct resolved_ctx {
	bool found;
	int64_t resolved_at;
};

static int resolved_row(void *ctx, const struct store_row *r)
{
	struct resolved_ctx *c = ctx;
	c->found = true;
	c->resolved_at = row_int(r, 0);
	return 0;
}

int store_resolve_incident(struct store *s, int64_t id, const char *by, struct err *e)
{
	struct resolved_ctx c = { false, 0 };
	struct store_val g = sv_int(id);
	struct store_val p[] = { sv_int(s->change_now), sv_text(by), sv_int(id) };
	REQUIRE_CHANGE(s);
	if (store_q(s, sql_incident_get, &g, 1, resolved_row, &c, e) < 0)
		return -1;
	if (!c.found)
		return 1;
	if (c.resolved_at)
		return 2;
	/* a resolve at the very epoch would read as open: keep it >= 1 */
	if (s->change_now <= 0)
		p[0] = sv_int(1);
	return store_write(s, W_INCIDENT_RESOLVE, p, e) < 0 ? -1 : 0;
}

/* ---- snapshot --------------------------------------------------------------- */

struct snap_ctx {
	struct store_state_snapshot *st;
	size_t alloc;
};

static int snap_approval(void *ctx, const struct store_row *r)
{
	struct snap_ctx *c = ctx;
	struct store_approval *a;
	ALLOC_GROW(c->st->approvals, c->st->napprovals + 1, c->alloc);
	a = &c->st->approvals[c->st->napprovals++];
	a->gate = row_dup(r, 0, &c->st->arena);
	a->role = row_dup(r, 1, &c->st->arena);
	a->person = row_dup(r, 2, &c->st->arena);
	a->at = row_int(r, 3);
	return 0;
}

static int snap_approval_version(void *ctx, const struct store_row *r)
{
	struct snap_ctx *c = ctx;
	struct arena *a = &c->st->arena;
	struct store_approval_version *v;
	ALLOC_GROW(c->st->approval_versions, c->st->napproval_versions + 1, c->alloc);
	v = &c->st->approval_versions[c->st->napproval_versions++];
	v->gate = row_dup(r, 0, a);
	v->role = row_dup(r, 1, a);
	v->person = row_dup(r, 2, a);
	v->project = row_dup(r, 3, a);
	v->version = row_dup(r, 4, a);
	v->at = row_int(r, 5);
	return 0;
}

static int snap_rejection(void *ctx, const struct store_row *r)
{
	struct snap_ctx *c = ctx;
	struct arena *a = &c->st->arena;
	struct store_rejection *x;
	ALLOC_GROW(c->st->rejections, c->st->nrejections + 1, c->alloc);
	x = &c->st->rejections[c->st->nrejections++];
	x->project = row_dup(r, 0, a);
	x->version = row_dup(r, 1, a);
	x->env = row_dup(r, 2, a);
	x->kind = row_dup(r, 3, a);
	x->reason = row_dup(r, 4, a);
	x->by = row_dup(r, 5, a);
	x->at = row_int(r, 6);
	x->allowed_by = row_dup(r, 7, a);
	x->allowed_reason = row_dup(r, 8, a);
	x->allowed_at = row_int(r, 9);
	return 0;
}

static int snap_tick(void *ctx, const struct store_row *r)
{
	struct snap_ctx *c = ctx;
	struct arena *a = &c->st->arena;
	struct store_tick *t;
	const char *src;
	ALLOC_GROW(c->st->ticks, c->st->nticks + 1, c->alloc);
	t = &c->st->ticks[c->st->nticks++];
	t->item = row_dup(r, 0, a);
	t->done = row_int(r, 1) != 0;
	t->by = row_dup(r, 2, a);
	t->at = row_int(r, 3);
	t->note = row_dup(r, 4, a);
	src = row_dup(r, 5, a);
	t->source = src && !strcmp(src, "check") ? TICK_CHECK : TICK_MANUAL;
	t->exit_status = (int)row_int(r, 6);
	t->output_tail = row_dup(r, 7, a);
	return 0;
}

static int snap_blocker(void *ctx, const struct store_row *r)
{
	struct snap_ctx *c = ctx;
	struct arena *a = &c->st->arena;
	struct store_blocker *b;
	ALLOC_GROW(c->st->blockers, c->st->nblockers + 1, c->alloc);
	b = &c->st->blockers[c->st->nblockers++];
	b->id = row_dup(r, 0, a);
	b->progress = (int)row_int(r, 1);
	b->resolved = row_int(r, 2) != 0;
	b->by = row_dup(r, 3, a);
	b->at = row_int(r, 4);
	b->note = row_dup(r, 5, a);
	return 0;
}

static void incident_from_row(struct store_incident *x, const struct store_row *r,
			      struct arena *a)
{
	x->id = row_int(r, 0);
	x->level = (int)row_int(r, 1);
	x->env = row_dup(r, 2, a);
	x->project = row_dup(r, 3, a);
	x->text = row_dup(r, 4, a);
	x->opened_by = row_dup(r, 5, a);
	x->opened_at = row_int(r, 6);
	x->resolved_at = row_int(r, 7);
	x->resolved_by = row_dup(r, 8, a);
}

static int snap_incident(void *ctx, const struct store_row *r)
{
	struct snap_ctx *c = ctx;
	ALLOC_GROW(c->st->incidents, c->st->nincidents + 1, c->alloc);
	incident_from_row(&c->st->incidents[c->st->nincidents++], r, &c->st->arena);
	return 0;
}

struct incidents_ctx {
	struct store_incidents *l;
	size_t alloc;
};

static int incident_row(void *ctx, const struct store_row *r)
{
	struct incidents_ctx *c = ctx;
	ALLOC_GROW(c->l->v, c->l->n + 1, c->alloc);
	incident_from_row(&c->l->v[c->l->n++], r, &c->l->arena);
	return 0;
}

int store_open_incidents(struct store *s, int min_level, struct store_incidents *out,
			 struct err *e)
{
	struct store_val p = sv_int(min_level);
	struct incidents_ctx c = { out, 0 };
	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	if (store_q(s, sql_incident_open, &p, 1, incident_row, &c, e) < 0) {
		store_incidents_release(out);
		return -1;
	}
	return 0;
}

int store_incident_by_id(struct store *s, int64_t id, struct store_incidents *out, struct err *e)
{
	struct store_val p = sv_int(id);
	struct incidents_ctx c = { out, 0 };
	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	if (store_q(s, sql_incident_one, &p, 1, incident_row, &c, e) < 0) {
		store_incidents_release(out);
		return -1;
	}
	return 0;
}

void store_incidents_release(struct store_incidents *l)
{
	free(l->v);
	arena_release(&l->arena);
	memset(l, 0, sizeof(*l));
}

static int snap_lease(void *ctx, const struct store_row *r)
{
	struct snap_ctx *c = ctx;
	ALLOC_GROW(c->st->leases, c->st->nleases + 1, c->alloc);
	c->st->leases[c->st->nleases].project = row_dup(r, 0, &c->st->arena);
	c->st->leases[c->st->nleases].env = row_dup(r, 1, &c->st->arena);
	store_lease_from_row(&c->st->leases[c->st->nleases].lease, r);
	c->st->nleases++;
	return 0;
}

/* ---- read batches ------------------------------------------------------- */

struct batch_args {
	const struct store_batch_q *q;
	size_t n;
};

static int batch_fn(struct store *s, void *ctx, struct err *e)
{
	struct batch_args *a = ctx;
	for (size_t i = 0; i < a->n; i++)
		if (store_q(s, a->q[i].sql, a->q[i].params, a->q[i].nparams, a->q[i].fn,
			    a->q[i].ctx, e) < 0)
			return -1;
	return 0;
}

/* Run the queries in one consistent view (the open transaction's, or a read
 * snapshot), in as few round trips as the backend can. */
static int store_read_batch(struct store *s, const struct store_batch_q *q, size_t n,
			    struct err *e)
{
	struct batch_args a = { q, n };
	if (s->be->batch) {
		int rc = s->be->batch(s->conn, q, n, !store_in_tx(s), e);
		if (rc <= 0)
			return rc;
	}
	return store_in_read(s, batch_fn, &a, e);
}

static int snap_promo_row(void *ctx, const struct store_row *r)
{
	struct promo_ctx *c = ctx;
	struct store_promotion *p;
	ALLOC_GROW(c->v, c->n + 1, c->alloc);
	p = &c->v[c->n++];
	promo_from_row(p, r, c->arena);
	if (r->n > 10) {
		p->rollbacks = (int)row_int(r, 10);
		p->log_path = row_dup(r, 11, c->arena);
	}
	return 0;
}

struct audit_ctx {
	struct store_state_snapshot *st;
	size_t alloc;
};

static int count_row(void *ctx, const struct store_row *r)
{
	*(int64_t *)ctx = row_int(r, 0);
	return 0;
}

/* An audit row (AUDIT_COLS) into en, its strings in a. */
static void log_entry_of_row(struct store_log_entry *en, const struct store_row *r,
			     struct arena *a)
{
	en->seq = row_int(r, 0);
	en->at = row_int(r, 1);
	en->actor = row_dup(r, 2, a);
	en->action = row_dup(r, 3, a);
	en->subject = row_dup(r, 4, a);
	en->detail = row_dup(r, 5, a);
	en->prev_hash = row_dup(r, 6, a);
	en->hash = row_dup(r, 7, a);
	en->auth = row_dup(r, 8, a);
	en->ops = row_dup(r, 9, a);
}

static int snap_audit(void *ctx, const struct store_row *r)
{
	struct audit_ctx *c = ctx;
	ALLOC_GROW(c->st->audit, c->st->naudit + 1, c->alloc);
	log_entry_of_row(&c->st->audit[c->st->naudit++], r, &c->st->arena);
	return 0;
}

struct counts_ctx {
	struct store_state_snapshot *st;
	size_t alloc;
};

static int snap_audit_count(void *ctx, const struct store_row *r)
{
	struct counts_ctx *c = ctx;
	struct store_audit_count *n;
	ALLOC_GROW(c->st->audit_counts, c->st->naudit_counts + 1, c->alloc);
	n = &c->st->audit_counts[c->st->naudit_counts++];
	n->day = row_int(r, 0);
	n->action = row_dup(r, 1, &c->st->arena);
	n->count = row_int(r, 2);
	return 0;
}

static int snap_plan_change(void *ctx, const struct store_row *r)
{
	struct audit_ctx *c = ctx;
	struct store_state_snapshot *st = c->st;
	ALLOC_GROW(st->audit_plan_changes, st->naudit_plan_changes + 1, c->alloc);
	log_entry_of_row(&st->audit_plan_changes[st->naudit_plan_changes++], r, &st->arena);
	return 0;
}

int store_snapshot_opts(struct store *s, const struct store_snapshot_opts *o,
			struct store_state_snapshot *st, struct err *e)
{
	struct counts_ctx cc = { st, 0 };
	struct audit_ctx pcc = { st, 0 };
	struct promo_ctx pc = { &st->arena, NULL, NULL, 0, 0 };
	struct snap_ctx c[7];
	struct audit_ctx ac = { st, 0 };
	const char *const *projects = o->projects;
	size_t nprojects = o->nprojects;
	bool few = projects && nprojects <= SQL_PROMOTION_OF_SMALL;
	size_t slots = few ? SQL_PROMOTION_OF_SMALL : SQL_PROMOTION_OF_N;
	size_t nchunks = projects ? (nprojects + slots - 1) / slots : 1;
	/* the extra columns cost a little on a large plan: only when asked */
	bool one_pair = o->rollbacks && o->rollbacks_project && o->rollbacks_env;
	bool extra = (o->rollbacks && !one_pair) || o->logs;
	struct store_val pair[5];
	int64_t pair_count = 0;
	size_t nextra = extra ? 3 : 0;
	size_t per = nextra + (projects ? slots : 0);
	struct store_val *p = xcalloc(nchunks * per + 1, sizeof(*p));
	struct store_val tail = sv_int(o->audit_tail);
	struct store_batch_q *q = xcalloc(nchunks + 11, sizeof(*q));
	size_t n = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	arena_init(&st->arena);
	for (int k = 0; k < 7; k++)
		c[k] = (struct snap_ctx){ st, 0 };
	for (size_t k = 0; k < nchunks; k++) {
		struct store_val *x = p + k * per;
		if (extra) {
			x[0] = sv_int(o->rollbacks && !one_pair ? 1 : 0);
			x[1] = sv_int(o->rollbacks_after);
			x[2] = sv_int(o->logs ? 1 : 0);
		}
		if (projects) {
			/* the promotions of the listed projects, `slots` a query */
			const char *sql = few ? (extra ? sql_promotion_snap_of_few : sql_promotion_of_few)
					      : (extra ? sql_promotion_snap_of : sql_promotion_of);
			for (size_t i = 0; i < slots; i++) {
				size_t at = k * slots + i;
				x[nextra + i] = at < nprojects ? sv_text(projects[at]) : sv_null();
			}
			q[n++] = (struct store_batch_q){ sql, x, per, snap_promo_row, &pc };
		} else {
			q[n++] = (struct store_batch_q){ extra ? sql_promotion_snap_all
							       : sql_promotion_all,
							 x, per, snap_promo_row, &pc };
		}
	}
	q[n++] = (struct store_batch_q){ sql_approval_all, NULL, 0, snap_approval, &c[0] };
	q[n++] = (struct store_batch_q){ sql_tick_all, NULL, 0, snap_tick, &c[1] };
	q[n++] = (struct store_batch_q){ sql_blocker_all, NULL, 0, snap_blocker, &c[2] };
	q[n++] = (struct store_batch_q){ sql_incident_all, NULL, 0, snap_incident, &c[3] };
	q[n++] = (struct store_batch_q){ sql_lease_all, NULL, 0, snap_lease, &c[4] };
	q[n++] = (struct store_batch_q){ sql_approval_version_all, NULL, 0, snap_approval_version,
					 &c[5] };
	q[n++] = (struct store_batch_q){ sql_rejection_all, NULL, 0, snap_rejection, &c[6] };
	if (o->audit_tail > 0)
		q[n++] = (struct store_batch_q){ sql_audit_last, &tail, 1, snap_audit, &ac };
	if (o->audit_summary) {
		q[n++] = (struct store_batch_q){ sql_audit_counts, NULL, 0, snap_audit_count, &cc };
		q[n++] = (struct store_batch_q){ sql_audit_plan_changes, NULL, 0, snap_plan_change,
						 &pcc };
	}
	if (one_pair) {
		pair[0] = sv_text(o->rollbacks_project);
		pair[1] = sv_text(o->rollbacks_env);
		pair[2] = sv_int(o->rollbacks_after);
		pair[3] = pair[0];
		pair[4] = pair[1];
		q[n++] = (struct store_batch_q){ sql_rollbacks_pair, pair, 5, count_row, &pair_count };
	}
	rc = store_read_batch(s, q, n, e);
	free(q);
	free(p);
	st->promotions = pc.v;
	st->npromotions = pc.n;
	if (rc < 0) {
		store_snapshot_release(st);
		return -1;
	}
	for (size_t i = 0; one_pair && i < st->npromotions; i++) {
		struct store_promotion *pr = &st->promotions[i];
		if (pr->state == STATE_ROLLED_BACK && !strcmp(pr->project, o->rollbacks_project) &&
		    !strcmp(pr->env, o->rollbacks_env))
			pr->rollbacks = (int)pair_count;
	}
	return 0;
}

int store_snapshot(struct store *s, struct store_state_snapshot *out, struct err *e)
{
	struct store_snapshot_opts o = { 0 };
	return store_snapshot_opts(s, &o, out, e);
}

int store_snapshot_of(struct store *s, const char *const *projects, size_t n,
		      struct store_state_snapshot *out, struct err *e)
{
	struct store_snapshot_opts o = { 0 };
	o.projects = projects ? projects : (const char *const[]){ NULL };
	o.nprojects = n;
	return store_snapshot_opts(s, &o, out, e);
}

void store_snapshot_release(struct store_state_snapshot *st)
{
	free(st->promotions);
	free(st->approvals);
	free(st->approval_versions);
	free(st->rejections);
	free(st->ticks);
	free(st->blockers);
	free(st->incidents);
	free(st->leases);
	free(st->audit);
	free(st->audit_counts);
	free(st->audit_plan_changes);
	arena_release(&st->arena);
	memset(st, 0, sizeof(*st));
}

const struct store_promotion *store_snap_promotion(const struct store_state_snapshot *st,
						   const char *project, const char *env)
{
	for (size_t i = 0; i < st->npromotions; i++)
		if (!strcmp(st->promotions[i].project, project) && !strcmp(st->promotions[i].env, env))
			return &st->promotions[i];
	return NULL;
}

const struct store_tick *store_snap_tick(const struct store_state_snapshot *st, const char *item)
{
	for (size_t i = 0; i < st->nticks; i++)
		if (!strcmp(st->ticks[i].item, item))
			return &st->ticks[i];
	return NULL;
}

const struct store_blocker *store_snap_blocker(const struct store_state_snapshot *st,
					       const char *id)
{
	for (size_t i = 0; i < st->nblockers; i++)
		if (!strcmp(st->blockers[i].id, id))
			return &st->blockers[i];
	return NULL;
}

const struct store_approval *store_snap_approval(const struct store_state_snapshot *st,
						 const char *gate, const char *role,
						 const char *person)
{
	for (size_t i = 0; i < st->napprovals; i++) {
		const struct store_approval *a = &st->approvals[i];
		if (!strcmp(a->gate, gate) && !strcmp(a->role, role) &&
		    (!person || !strcmp(a->person, person)))
			return a;
	}
	return NULL;
}
