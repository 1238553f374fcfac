/*
 * orphans.c - state for ids the plan no longer has: finding it (one query,
 * a hash lookup per id), carrying it over along the plan's `moved` entries,
 * and `forget`. See orphans.h.
 */
#define _GNU_SOURCE
#include "engine/orphans.h"

#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xxhash.h>

#include "store/store.h"

/* Suggestions cost a pass over the plan's ids each: only for the first few
 * (the cmd layer names at most about ten). */
#define MAX_SUGGEST 20

static const enum plan_kind plan_kind_of[STORE_ID_KINDS] = {
	[STORE_ID_PROJECT] = PLAN_KIND_PROJECT, [STORE_ID_ENV] = PLAN_KIND_ENV,
	[STORE_ID_GATE] = PLAN_KIND_GATE,       [STORE_ID_ITEM] = PLAN_KIND_ITEM,
	[STORE_ID_BLOCKER] = PLAN_KIND_BLOCKER,
};

bool orphans_store_kind(enum plan_kind k, int *out)
{
	for (int i = 0; i < STORE_ID_KINDS; i++)
		if (plan_kind_of[i] == k) {
			*out = i;
			return true;
		}
	return false;
}

/* The plan's `moved` entry renaming (kind, id), or NULL. */
static const struct plan_moved *find_moved(const struct plan *p, enum plan_kind k, const char *id)
{
	for (size_t i = 0; i < p->nmoved; i++)
		if (p->moved[i].kind == k && !strcmp(p->moved[i].from, id))
			return &p->moved[i];
	return NULL;
}

/* What the store's ids say against the plan: has[k][i] is set when the plan
 * id i of kind k holds state; ids the plan does not have go to out. */
struct scan {
	unsigned char *has[PLAN_KIND_COUNT];
};

static void scan_release(struct scan *sc)
{
	for (int k = 0; k < PLAN_KIND_COUNT; k++)
		free(sc->has[k]);
}

static bool holds(const struct plan *p, const struct scan *sc, enum plan_kind k, const char *id)
{
	int i = plan_kind_index(p, k, id);
	return i >= 0 && sc->has[k] && sc->has[k][i];
}

struct scan_ctx {
	const struct plan *p;
	struct scan *sc;
	struct orphans *out;
	size_t alloc;
};

static int scan_id(void *ctx, enum store_id_kind kind, const char *id)
{
	struct scan_ctx *c = ctx;
	enum plan_kind k = plan_kind_of[kind];
	int i = plan_kind_index(c->p, k, id);
	struct orphan *o;
	if (i >= 0) {
		if (!c->sc->has[k])
			c->sc->has[k] = xcalloc(plan_kind_count(c->p, k) + 1, 1);
		c->sc->has[k][i] = 1;
		return 0;
	}
	ALLOC_GROW(c->out->v, c->out->n + 1, c->alloc);
	o = &c->out->v[c->out->n++];
	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->id = arena_strdup(&c->out->arena, id);
	o->moved = find_moved(c->p, k, o->id);
	return 0;
}

/* Read the store's ids (one query) into sc and out; sc is released by the
 * caller either way. */
static int scan_store(const struct plan *p, struct store *s, struct scan *sc, struct orphans *out,
		      struct err *e)
{
	struct scan_ctx c = { p, sc, out, 0 };
	memset(sc, 0, sizeof(*sc));
	return store_each_state_id(s, scan_id, &c, e) < 0 ? -1 : 0;
}

/* One id contains the other (ledger / ledger-svc), the shorter of at least
 * three characters. */
static bool contains(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la < lb)
		return lb >= 3 && la >= 3 && strstr(b, a);
	return lb >= 3 && strstr(a, b);
}

/*
 * The plan id (of o's kind) that o->id may have become: among those that
 * hold no state yet, the closest spelling, else one containing it (or
 * contained), else the only one when o is the only unmapped id of its kind;
 * failing all that, the closest spelling of any.
 */
static const char *suggest(const struct plan *p, const struct scan *sc, const struct orphan *o,
			   bool alone)
{
	size_t n = plan_kind_count(p, o->kind), nfresh = 0;
	const char *contained = NULL, *fresh = NULL;
	size_t diff = (size_t)-1;
	struct suggest sg;

	suggest_init(&sg, o->id);
	for (size_t i = 0; i < n; i++) {
		const char *cand = plan_kind_id(p, o->kind, (int)i);
		size_t d;
		if (sc->has[o->kind] && sc->has[o->kind][i])
			continue;
		nfresh++;
		fresh = cand;
		suggest_add(&sg, cand);
		if (!contains(cand, o->id))
			continue;
		d = strlen(cand) > strlen(o->id) ? strlen(cand) - strlen(o->id)
						  : strlen(o->id) - strlen(cand);
		if (d < diff) {
			diff = d;
			contained = cand;
		}
	}
	if (suggest_result(&sg))
		return suggest_result(&sg);
	if (contained)
		return contained;
	if (alone && nfresh == 1)
		return fresh;
	return plan_kind_suggest(p, o->kind, o->id);
}

int orphans_find(struct orphans *out, const struct plan *p, struct store *s, struct err *e)
{
	struct scan sc;
	size_t unmapped[PLAN_KIND_COUNT] = { 0 }, nsuggest = 0;

	memset(out, 0, sizeof(*out));
	arena_init(&out->arena);
	if (scan_store(p, s, &sc, out, e) < 0) {
		scan_release(&sc);
		orphans_release(out);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++) {
		struct orphan *o = &out->v[i];
		if (o->moved) {
			out->nmoved++;
			o->clash = holds(p, &sc, o->kind, o->moved->to);
		} else {
			unmapped[o->kind]++;
		}
	}
	for (size_t i = 0; i < out->n && nsuggest < MAX_SUGGEST; i++) {
		struct orphan *o = &out->v[i];
		if (o->moved)
			continue;
		o->suggest = suggest(p, &sc, o, unmapped[o->kind] == 1);
		nsuggest++;
	}
	scan_release(&sc);
	return 0;
}

void orphans_release(struct orphans *o)
{
	free(o->v);
	arena_release(&o->arena);
	memset(o, 0, sizeof(*o));
}

int orphans_move(const struct action_ctx *c, struct orphans *o, size_t *nmoved, struct err *e)
{
	const struct plan *p = c->plan;
	struct strbuf subject = STRBUF_INIT, detail = STRBUF_INIT;
	struct orphans now = { 0 };
	struct scan sc;
	int rc = -1;

	*nmoved = 0;
	if (!p->nmoved)
		return 0;
	if (store_begin_change(c->store, c->now, c->actor ? c->actor : "tollgate", "moved", NULL,
			       NULL, e) < 0)
		return -1;
	/* under the write lock: what another process carried over is gone */
	arena_init(&now.arena);
	if (scan_store(p, c->store, &sc, &now, e) < 0) {
		scan_release(&sc);
		goto abort;
	}
	for (size_t i = 0; i < now.n; i++) {
		const struct orphan *x = &now.v[i];
		int64_t rows = 0;
		int sk;
		if (!x->moved || !orphans_store_kind(x->kind, &sk))
			continue;
		if (holds(p, &sc, x->kind, x->moved->to)) {
			for (size_t j = 0; o && j < o->n; j++)
				if (o->v[j].kind == x->kind && !strcmp(o->v[j].id, x->id))
					o->v[j].clash = true;
			continue;
		}
		if (store_move_id(c->store, (enum store_id_kind)sk, x->id, x->moved->to, &rows, e) < 0) {
			scan_release(&sc);
			goto abort;
		}
		strbuf_addf(&subject, "%s%s %s", subject.len ? ", " : "", plan_kind_key(x->kind), x->id);
		strbuf_addf(&detail, "%s%s '%s' is now '%s' (%lld row%s)", detail.len ? "; " : "",
			    plan_kind_name(x->kind), x->id, x->moved->to, (long long)rows,
			    rows == 1 ? "" : "s");
		(*nmoved)++;
	}
	scan_release(&sc);
	if (!*nmoved) {
		store_abort_change(c->store);
		rc = 0;
		goto out;
	}
	store_change_subject(c->store, subject.buf);
	store_change_detail(c->store, "the plan's 'moved': %s", detail.buf);
	if (store_commit_change(c->store, NULL, e) < 0) {
		*nmoved = 0;
		goto out;
	}
	rc = 0;
	goto out;
abort:
	store_abort_change(c->store);
	*nmoved = 0;
out:
	orphans_release(&now);
	strbuf_release(&subject);
	strbuf_release(&detail);
	return rc;
}

int action_forget(const struct action_ctx *c, enum plan_kind kind, const char *id,
		  const char *reason, int64_t *rows, struct err *e)
{
	const struct plan *p = c->plan;
	char *subject;
	int sk, pi, rc = -1;

	*rows = 0;
	if (!orphans_store_kind(kind, &sk))
		return err_set(e, ERR_USAGE, "a %s holds no state in the store; there is nothing to "
					     "forget",
			       plan_kind_name(kind));
	if (!id || !util_valid_id(id))
		return err_set(e, ERR_USAGE, "invalid %s '%s': use letters, digits, '_', '.' and '-'",
			       plan_kind_name(kind), id ? id : "");
	if (plan_kind_index(p, kind, id) >= 0)
		return err_setr(e, ERR_USAGE, REASON_CONFLICT,
				"the plan still has %s '%s'; 'forget' drops only the state of ids "
				"the plan no longer has",
				plan_kind_name(kind), id);
	pi = action_find_actor(c, e);
	if (pi < 0)
		return -1;
	while (reason && isspace((unsigned char)*reason))
		reason++;
	if (!reason || !*reason)
		return err_set(e, ERR_USAGE,
			       "say why with --reason TEXT: it goes into the audit log");
	subject = xasprintf("%s %s", plan_kind_key(kind), id);
	if (store_begin_change(c->store, c->now, p->people[pi].id, "forget", subject, NULL, e) < 0)
		goto out;
	if (store_forget_id(c->store, (enum store_id_kind)sk, id, rows, e) < 0) {
		store_abort_change(c->store);
		goto out;
	}
	if (!*rows) {
		/* already forgotten: nothing written */
		store_abort_change(c->store);
		rc = 0;
		goto out;
	}
	store_change_detail(c->store, "%lld row%s dropped: %s", (long long)*rows,
			    *rows == 1 ? "" : "s", reason);
	if (store_commit_change(c->store, NULL, e) < 0) {
		*rows = 0;
		goto out;
	}
	rc = 0;
out:
	free(subject);
	return rc;
}

/* ---- the clean mark: a read command's shortcut ---------------------------- */

/* What the mark says: the store, the plan's ids and the log head. */
static char *mark_text(const struct plan *p, struct store *s)
{
	XXH3_state_t *h = XXH3_createState();
	XXH128_hash_t sum;
	int64_t seq;
	char head[65];
	struct err e;
	char *text = NULL;

	err_init(&e);
	if (!h || store_log_head(s, &seq, head, &e) < 0 || XXH3_128bits_reset(h) == XXH_ERROR)
		goto out;
	for (int k = 0; k < PLAN_KIND_COUNT; k++) {
		size_t n = plan_kind_count(p, (enum plan_kind)k);
		for (size_t i = 0; i < n; i++) {
			const char *id = plan_kind_id(p, (enum plan_kind)k, (int)i);
			XXH3_128bits_update(h, id, strlen(id) + 1);
		}
		XXH3_128bits_update(h, "\001", 1);
	}
	for (size_t i = 0; i < p->nmoved; i++)
		XXH3_128bits_update(h, "\002", 1); /* a move to make is never clean */
	sum = XXH3_128bits_digest(h);
	text = xasprintf("tollgate orphans-ok 1\n%s\n%s\n%016" PRIx64 "%016" PRIx64 "\n%" PRId64
			 " %s\n",
			 store_display_url(s), p->id, (uint64_t)sum.high64, (uint64_t)sum.low64, seq,
			 head);
out:
	XXH3_freeState(h);
	return text;
}

static char *mark_path(const struct plan *p, const char *dir)
{
	return xasprintf("%s/orphans-ok.%s", dir, p->id);
}

char *orphans_mark(const struct plan *p, struct store *s)
{
	return p->nmoved ? NULL : mark_text(p, s);
}

bool orphans_mark_holds(const struct plan *p, const char *dir, const char *mark)
{
	char *path;
	char buf[1024];
	ssize_t n;
	int fd;

	if (!dir || !mark)
		return false;
	path = mark_path(p, dir);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	free(path);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return !strcmp(mark, buf);
}

void orphans_mark_write(const struct plan *p, const char *dir, const char *mark)
{
	char *path, *tmp;
	int fd;

	if (!dir || !mark)
		return;
	path = mark_path(p, dir);
	tmp = xasprintf("%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC); /* 0600 */
	if (fd >= 0) {
		bool ok = write(fd, mark, strlen(mark)) == (ssize_t)strlen(mark);
		ok = close(fd) == 0 && ok;
		if (!ok || rename(tmp, path) < 0)
			unlink(tmp);
	}
	free(tmp);
	free(path);
}
