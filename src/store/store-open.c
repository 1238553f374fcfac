/*
 * store-open.c - opening a store: the URL to a backend, the folder and file
 * modes, read-only and writer connections, schema migration (with the
 * baselines of older stores), closing, and the store's accessors. The rest
 * of the store (changes, domain reads and writes) is store.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/plan.h"
#include "store/store-internal.h"

/* ---- opening ------------------------------------------------------------ */

/* The URL with any password replaced by "***". */
static char *mask_url(const char *url)
{
	struct strbuf sb = STRBUF_INIT;
	const char *scheme = strstr(url, "://");
	const char *at, *colon, *pw;

	if (scheme) {
		const char *auth = scheme + 3;
		size_t hostpart = strcspn(auth, "/?#");
		at = memchr(auth, '@', hostpart);
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			strbuf_add(&sb, url, (size_t)(colon + 1 - url));
			strbuf_addstr(&sb, "***");
			strbuf_addstr(&sb, at);
		} else {
			strbuf_addstr(&sb, url);
		}
	} else {
		strbuf_addstr(&sb, url);
	}
	/* password=... in a query string or key/value form */
	pw = strstr(sb.buf, "password=");
	if (pw) {
		size_t off = (size_t)(pw - sb.buf) + 9;
		size_t end = off + strcspn(sb.buf + off, "& ");
		struct strbuf m = STRBUF_INIT;
		strbuf_add(&m, sb.buf, off);
		strbuf_addstr(&m, "***");
		strbuf_addstr(&m, sb.buf + end);
		strbuf_release(&sb);
		return strbuf_detach(&m);
	}
	return strbuf_detach(&sb);
}

char *store_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}


struct version_ctx {
	int64_t v;
	bool found;
	bool rehearsal;
};

/* A row of sql_meta_open: (key, value). */
static int version_row(void *ctx, const struct store_row *r)
{
	struct version_ctx *c = ctx;
	const struct store_val *k = &r->v[0], *v = &r->v[1];
	if (k->type != SV_TEXT)
		return 0;
	if (k->len == 14 && !memcmp(k->s, "schema_version", 14)) {
		c->v = row_int(r, 1);
		c->found = true;
	} else if (k->len == 5 && !memcmp(k->s, "clock", 5)) {
		c->rehearsal = v->type == SV_TEXT && v->len == 9 && !memcmp(v->s, "rehearsal", 9);
	}
	return 0;
}

struct baseline_ctx {
	struct store *s;
	const struct store_table *t;
	struct store_val p[32];
	struct arena arena;
	int64_t rows;
};

static int baseline_row(void *ctx, const struct store_row *r)
{
	struct baseline_ctx *c = ctx;
	for (int i = 0; i < c->t->ncols && i < r->n; i++) {
		const struct store_val *v = &r->v[i];
		c->p[i] = v->type == SV_INT    ? sv_int(v->i)
			  : v->type == SV_NULL ? sv_null()
					       : sv_text(arena_strndup(&c->arena, v->s, v->len));
	}
	store_ops_add(&c->s->change_ops, store_writes[c->t->row].name, c->p, c->t->ncols);
	c->rows++;
	return 0;
}

/*
 * A store from before schema 3 holds state that no entry recorded: take it,
 * as it stands, into one entry ("store.baseline", dated like the last entry:
 * the store never reads a clock), so that from here on the log proves every
 * row. Inside the migration's write transaction; no entry when there is no
 * state.
 */
static int write_baseline(struct store *s, struct err *e)
{
	struct baseline_ctx c = { .s = s };
	int64_t at = 0;
	int rc = -1;

	arena_init(&c.arena);
	strbuf_reset(&s->change_ops);
	strbuf_addch(&s->change_ops, '[');
	if (audit_read_head(s, e) < 0 || store_q(s, sql_audit_last_at, NULL, 0, store_int_row, &at, e) < 0)
		goto out;
	for (size_t i = 0; i < store_nstate_tables; i++) {
		c.t = &store_state_tables[i];
		if (store_q(s, c.t->rows_sql, NULL, 0, baseline_row, &c, e) < 0)
			goto out;
	}
	rc = 0;
	if (!c.rows)
		goto out;
	s->change_now = at;
	s->change_actor = xstrdup("tollgate");
	s->change_action = xstrdup("store.baseline");
	s->change_subject = xstrdup("state");
	strbuf_reset(&s->change_detail);
	strbuf_addf(&s->change_detail,
		    "the state as it stood when row changes began to be logged: %" PRId64 " row%s",
		    c.rows, c.rows == 1 ? "" : "s");
	rc = audit_append(s, e);
out:
	store_change_reset(s);
	arena_release(&c.arena);
	return rc;
}

struct plans_ctx {
	char **v;
	size_t n, alloc;
};

static int plan_row(void *ctx, const struct store_row *r)
{
	struct plans_ctx *c = ctx;
	ALLOC_GROW(c->v, c->n + 1, c->alloc);
	c->v[c->n++] = r->v[0].type == SV_TEXT ? xstrndup(r->v[0].s, r->v[0].len) : xstrdup("");
	return 0;
}

/* A baseline for every plan of the store (one store may hold many, v3 on),
 * :plan bound to each in turn; then to ours again. */
static int write_baselines(struct store *s, struct err *e)
{
	struct plans_ctx c = { NULL, 0, 0 };
	int rc = store_q(s, sql_plans_all, NULL, 0, plan_row, &c, e) < 0 ? -1 : 0;
	for (size_t i = 0; i < c.n && rc == 0; i++) {
		s->be->set_plan(s->conn, c.v[i]);
		rc = write_baseline(s, e);
	}
	s->be->set_plan(s->conn, s->plan_id);
	for (size_t i = 0; i < c.n; i++)
		free(c.v[i]);
	free(c.v);
	return rc;
}

/* 0 ready, 1 not there (o->existing_only), -1 error */
static int migrate(struct store *s, const struct store_open_opts *o, struct err *e)
{
	struct version_ctx vc = { 0, false, false };
	struct err ignored;
	int64_t known = STORE_SCHEMA_VERSION;
	char buf[24];

	/* fast path: an up-to-date store needs no write lock */
	err_init(&ignored);
	if (s->be->query(s->conn, sql_meta_open, NULL, 0, 0, version_row, &vc, &ignored) >= 0 &&
	    vc.found && vc.v == known) {
		s->rehearsal = vc.rehearsal;
		return 0;
	}
	if (vc.found && vc.v > known)
		goto newer;
	if (o->existing_only)
		return 1;

	if (s->be->begin(s->conn, true, e) < 0)
		return -1;
	vc = (struct version_ctx){ 0, false, false };
	if (s->be->exec(s->conn, sql_meta_create, e) < 0 ||
	    s->be->query(s->conn, sql_meta_open, NULL, 0, 0, version_row, &vc, e) < 0)
		goto fail;
	if (vc.v > known) {
		s->be->rollback(s->conn);
		goto newer;
	}
	for (int64_t v = vc.v; v < known; v++) {
		struct store_val p;
		if (s->be->exec(s->conn, sql_schema[v], e) < 0)
			goto fail;
		if (v + 1 == 3) /* rows of before plan ids go to the plan migrating */
			for (const char *const *a = sql_adopt; *a; a++)
				if (s->be->query(s->conn, *a, NULL, 0, 0, NULL, NULL, e) < 0)
					goto fail;
		snprintf(buf, sizeof(buf), "%" PRId64, v + 1);
		p = sv_text(buf);
		if (s->be->query(s->conn, sql_set_version, &p, 1, 0, NULL, NULL, e) < 0)
			goto fail;
	}
	if (vc.v >= 1 && vc.v < 4 && write_baselines(s, e) < 0)
		goto fail;
	if (!vc.v) {
		/* a new store: it is a rehearsal store for good, or never */
		struct store_val p = sv_text(o->rehearsal ? "rehearsal" : "real");
		if (s->be->query(s->conn, sql_meta_set_clock, &p, 1, 0, NULL, NULL, e) < 0)
			goto fail;
		vc.rehearsal = o->rehearsal;
	}
	s->rehearsal = vc.rehearsal;
	return s->be->commit(s->conn, e);
fail:
	s->be->rollback(s->conn);
	return -1;
newer:
	return err_setr(e, ERR_FAILED, REASON_CONFLICT,
		       "the store '%s' has schema version %" PRId64
		       " but this tollgate knows only %" PRId64 "; upgrade tollgate",
		       s->display_url, vc.v, known);
}

/*
 * The default store's folder, .tollgate beside the plan: made (with the
 * plan's store_mode) for a writer; for a reader only checked, never made.
 * Never a symlink: whoever planted one would choose where tollgate writes,
 * or what it reads as the state.
 */
static int store_dir(const char *dir, const struct plan *plan, bool read_only, struct err *e)
{
	struct stat st;
	int rc;

	if (read_only) {
		rc = lstat(dir, &st);
		if (rc == 0 && S_ISLNK(st.st_mode))
			errno = ELOOP;
		else if (rc == 0 && !S_ISDIR(st.st_mode))
			errno = ENOTDIR;
		else if (rc == 0 || errno == ENOENT)
			return 0; /* missing: the store is missing (open_read) */
	} else if (util_mkdir_mode(dir, plan_dir_mode(plan), plan_store_mode_set(plan)) == 0) {
		return 0;
	}
	return err_setr(e, ERR_FAILED,
			errno == EACCES || errno == EPERM || errno == EROFS ? REASON_FORBIDDEN
									    : REASON_IO,
			"cannot open the store '%s/state.db': cannot %s '%s': %s", dir,
			read_only ? "use" : "create", dir,
			errno == ELOOP ? "it is a symlink; tollgate writes only to a real folder"
				       : strerror(errno));
}

static int open_write(struct store *s, const char *target, const struct store_open_opts *o,
		      struct err *e)
{
	static const char *const subs[] = { "runs", "checks" };
	struct err why;

	/* a store_mode written in the plan holds for the folders tollgate made
	 * for logs too (made again with it when they are used) */
	for (size_t i = 0; o->enforce_mode && i < ARRAY_SIZE(subs); i++) {
		char *sub = xasprintf("%s/%s", s->log_dir, subs[i]);
		struct stat st;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
			(void)util_mkdir_mode(sub, o->dir_mode, true);
		free(sub);
	}
	err_init(&why);
	if (s->be->open(&s->conn, target, o, &why) < 0) {
		err_setr(e, ERR_FAILED, why.reason, "cannot open the store '%s': %s", s->display_url,
			 why.msg);
		return -1;
	}
	if (migrate(s, o, &why) < 0) {
		if (err_is(&why, REASON_CONFLICT))
			err_copy(e, &why);
		else
			err_setr(e, ERR_FAILED, why.reason, "cannot open the store '%s': %s",
				 s->display_url, why.msg);
		return -1;
	}
	return 0;
}

/* The schema version of an open store (0 when it has no tables yet), and
 * whether it is a rehearsal store (s->rehearsal). */
static int read_version(struct store *s, int64_t *v, struct err *e)
{
	struct version_ctx vc = { 0, false, false };
	struct store_val name = sv_text("meta");
	struct err first;
	int64_t tables = 0;

	err_init(&first);
	*v = 0;
	if (s->be->query(s->conn, sql_meta_open, NULL, 0, 0, version_row, &vc, &first) >= 0) {
		*v = vc.v;
		s->rehearsal = vc.rehearsal;
		return 0;
	}
	/* no meta table (a new file, an empty database), or the store cannot
	 * be read: ask the catalogue which */
	if (s->be->query(s->conn, s->be->sql_has_table, &name, 1, 0, store_int_row, &tables, e) < 0)
		return -1;
	if (tables) {
		err_copy(e, &first);
		return -1;
	}
	return 0;
}

static void close_conn(struct store *s)
{
	if (s->conn)
		s->be->close(s->conn);
	s->conn = NULL;
}

/*
 * Open for reading only (status, why, next, log, report, promote
 * --dry-run): a connection that cannot write (SQLite SQLITE_OPEN_READONLY,
 * PostgreSQL a default_transaction_read_only session), so that a user who
 * may only read the store reads it, and that never migrates. A store that
 * is missing, or older than this tollgate, must first be made or upgraded by
 * a writer: when this user may write it, a connection of its own does that
 * and closes, as any command did before; when not, the error says why and
 * who may.
 */
static int open_read(struct store *s, const struct plan *plan, const char *target,
		     const char *make_dir, const struct store_open_opts *o, struct err *e)
{
	struct store_open_opts wo = *o;
	struct strbuf owner = STRBUF_INIT;
	struct err why;
	int64_t v = 0;
	bool missing, made = true;

	err_init(&why);
	if (o->existing_only && s->be == &store_backend_sqlite && access(target, F_OK) < 0)
		return 1; /* nothing made for a store that is not there */
	if (s->be->open(&s->conn, target, o, &why) == 0) {
		if (read_version(s, &v, &why) < 0) {
			err_setr(e, ERR_FAILED, why.reason, "cannot open the store '%s': %s",
				 s->display_url, why.msg);
			return -1;
		}
		if (v == STORE_SCHEMA_VERSION)
			return 0;
		if (v > STORE_SCHEMA_VERSION)
			return err_setr(e, ERR_FAILED, REASON_CONFLICT,
					"the store '%s' has schema version %" PRId64
					" but this tollgate knows only %d; upgrade tollgate",
					s->display_url, v, STORE_SCHEMA_VERSION);
		if (o->existing_only)
			return 1;
		if (s->be->owner)
			s->be->owner(s->conn, &owner);
		close_conn(s);
	} else if (!err_is(&why, REASON_NOT_FOUND)) {
		err_setr(e, ERR_FAILED, why.reason, "cannot open the store '%s': %s", s->display_url,
			 why.msg);
		return -1;
	}
	if (o->existing_only)
		return 1;
	missing = v == 0;

	/* made or upgraded by a writer of its own, then read as it is */
	err_init(&why);
	wo.read_only = false;
	if (make_dir && store_dir(make_dir, plan, false, &why) < 0)
		made = false;
	if (!made || s->be->open(&s->conn, target, &wo, &why) < 0 || migrate(s, &wo, &why) < 0) {
		close_conn(s);
		/* a user who may only read is told who may write, not how to
		 * get write access for a command that only reads */
		const char *cause = err_is(&why, REASON_FORBIDDEN) ? "you may only read it" : why.msg;
		if (err_is(&why, REASON_CONFLICT))
			err_copy(e, &why);
		else if (missing)
			err_setr(e, ERR_FAILED, why.reason,
				 "the store '%s' does not exist yet, and it cannot be created here (%s); "
				 "any tollgate command run by someone who may write %s creates it",
				 s->display_url,
				 err_is(&why, REASON_FORBIDDEN) ? "you may not write there" : why.msg,
				 s->be == &store_backend_sqlite ? "its folder" : "the database");
		else
			err_setr(e, ERR_FAILED, why.reason,
				 "the store '%s' has schema version %" PRId64
				 " and this tollgate reads version %d: it must be upgraded first, which "
				 "cannot be done here (%s); any tollgate command run by someone who may "
				 "write it%s%s%s upgrades it",
				 s->display_url, v, STORE_SCHEMA_VERSION, cause, owner.len ? " (" : "",
				 owner.len ? owner.buf : "", owner.len ? ")" : "");
		strbuf_release(&owner);
		return -1;
	}
	strbuf_release(&owner);
	close_conn(s);
	err_init(&why);
	if (s->be->open(&s->conn, target, o, &why) < 0 || read_version(s, &v, &why) < 0) {
		err_setr(e, ERR_FAILED, why.reason, "cannot open the store '%s': %s", s->display_url,
			 why.msg);
		return -1;
	}
	return 0;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int store_open(struct store **out, const struct plan *plan, const char *url, struct err *e)
{
	return store_open_with(out, plan, url, NULL, e);
}

int store_open_with(struct store **out, const struct plan *plan, const char *url,
		    const struct store_open_opts *o, struct err *e)
{
	struct store_open_opts defaults = { 0 };
	struct store *s = xcalloc(1, sizeof(*s));
	const char *plan_dir = plan && plan->dir ? plan->dir : ".";
	char *target = NULL, *make_dir = NULL;
	int rc;

	*out = NULL;
	strbuf_init(&s->change_detail);
	strbuf_init(&s->change_ops);
	s->auth = xstrdup("");
	if (o)
		defaults = *o;
	defaults.plan_id = plan && plan->id ? plan->id : "";
	defaults.file_mode = plan_file_mode(plan);
	defaults.dir_mode = plan_dir_mode(plan);
	defaults.enforce_mode = plan_store_mode_set(plan);
	o = &defaults;
	/* validate's look at the state reads only */
	s->read_only = o->read_only || o->existing_only;
	defaults.read_only = s->read_only;
	if (!url || !*url) {
		char *dir = xasprintf("%s/.tollgate", plan_dir);
		if (store_dir(dir, plan, s->read_only, e) < 0) {
			free(dir);
			goto fail;
		}
		if (s->read_only)
			make_dir = xstrdup(dir);
		target = xasprintf("%s/state.db", dir);
		free(dir);
		s->be = &store_backend_sqlite;
		s->display_url = xstrdup(target);
	} else if (has_prefix(url, "postgres://") || has_prefix(url, "postgresql://")) {
		s->be = &store_backend_pg;
		target = xstrdup(url);
		s->display_url = mask_url(url);
	} else if (has_prefix(url, "sqlite:")) {
		const char *path = url + 7;
		if (has_prefix(path, "//"))
			path += 2;
		if (!*path) {
			err_set(e, ERR_USAGE, "the store URL '%s' names no file; use sqlite:PATH", url);
			goto fail;
		}
		s->be = &store_backend_sqlite;
		target = xstrdup(path);
		s->display_url = xstrdup(url);
	} else if (strstr(url, "://") || strchr(url, ':')) {
		char *m = mask_url(url);
		err_set(e, ERR_USAGE, "unknown store URL '%s'; use sqlite:PATH or postgres://USER@HOST/DB",
			m);
		free(m);
		goto fail;
	} else {
		s->be = &store_backend_sqlite; /* a plain file path */
		target = xstrdup(url);
		s->display_url = xstrdup(url);
	}
	if (s->be == &store_backend_sqlite)
		s->log_dir = store_dir_of(target);
	else
		s->log_dir = xasprintf("%s/.tollgate", plan_dir);
	s->plan_id = xstrdup(defaults.plan_id);
	s->target = xstrdup(target);
	s->opts = defaults;
	s->opts.plan_id = s->plan_id;
	if (s->read_only) {
		rc = open_read(s, plan, target, make_dir, o, e);
		if (rc == 1)
			goto none;
		if (rc < 0)
			goto fail;
	} else if (open_write(s, target, o, e) < 0) {
		goto fail;
	}
	free(target);
	free(make_dir);
	*out = s;
	return 0;
none:
	free(target);
	free(make_dir);
	store_close(s);
	return 1;
fail:
	free(target);
	free(make_dir);
	store_close(s);
	return -1;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (store_in_tx(s))
		s->be->rollback(s->conn);
	if (s->conn)
		s->be->close(s->conn);
	free(s->display_url);
	free(s->log_dir);
	free(s->change_actor);
	free(s->change_action);
	free(s->change_subject);
	free(s->bulk_sql);
	audit_release(s);
	strbuf_release(&s->change_detail);
	strbuf_release(&s->change_ops);
	free(s->auth);
	free(s->plan_id);
	free(s->target);
	free(s);
}

bool store_read_only(const struct store *s)
{
	return s->read_only;
}

int store_open_writer(const struct store *r, struct store **out, struct err *e)
{
	struct store *s = xcalloc(1, sizeof(*s));

	*out = NULL;
	strbuf_init(&s->change_detail);
	strbuf_init(&s->change_ops);
	s->auth = xstrdup(r->auth);
	s->be = r->be;
	s->display_url = xstrdup(r->display_url);
	s->log_dir = xstrdup(r->log_dir);
	s->plan_id = xstrdup(r->plan_id);
	s->target = xstrdup(r->target);
	s->opts = r->opts;
	s->opts.plan_id = s->plan_id;
	s->opts.read_only = s->opts.existing_only = false;
	s->outbox_fn = r->outbox_fn; /* the same plan's routes */
	s->outbox_ctx = r->outbox_ctx;
	if (open_write(s, s->target, &s->opts, e) < 0) {
		store_close(s);
		return -1;
	}
	*out = s;
	return 0;
}

const char *store_backend_name(const struct store *s)
{
	return s->be->name;
}

bool store_is_rehearsal(const struct store *s)
{
	return s->rehearsal;
}

static int text_row(void *ctx, const struct store_row *r)
{
	char **out = ctx;
	if (r->n > 0 && !row_null(r, 0) && !*out)
		*out = xstrndup(r->v[0].s, r->v[0].len);
	return 0;
}

int store_session_user(struct store *s, char **out, struct err *e)
{
	*out = NULL;
	if (!s->be->users)
		return 0;
	if (store_q(s, sql_session_user, NULL, 0, text_row, out, e) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	if (!*out)
		return err_set(e, ERR_FAILED, "the store did not say which database user this is");
	return 0;
}

const char *store_display_url(const struct store *s)
{
	return s->display_url;
}

const char *store_log_dir(const struct store *s)
{
	return s->log_dir;
}

void store_set_auth(struct store *s, const char *auth)
{
	struct strbuf sb = STRBUF_INIT;
	store_clean_text(&sb, auth ? auth : "", 256, false);
	free(s->auth);
	s->auth = sb.buf ? strbuf_detach(&sb) : xstrdup("");
}

