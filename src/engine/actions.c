/*
 * actions.c - the state-changing domain functions: validate ids and
 * permissions against the plan, then one store change each (one
 * transaction, one audit entry). `checklist run` is in actions-check.c.
 */
#include "engine/actions.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "engine/identity.h"
#include "engine/state.h"
#include "plan/plan.h"
#include "store/store.h"

/* ---- id lookups --------------------------------------------------------- */

/*
 * An id the plan does not have: the closest one (a typo), else every id it
 * begins ('prod' -> prod-eu, prod-us), else where the ids are listed.
 */
static int unknown(const struct plan *p, enum plan_kind k, struct err *e, const char *id,
		   const char *where)
{
	const char *kind = plan_kind_name(k);
	const char *sugg = plan_kind_suggest(p, k, id);
	struct strbuf sb = STRBUF_INIT;
	size_t n = plan_kind_count(p, k), len = strlen(id), found = 0, show, shown = 0;
	int rc;

	for (size_t i = 0; len && i < n; i++) {
		const char *c = plan_kind_id(p, k, (int)i);
		found += c && !strncmp(c, id, len);
	}
	if (found < 2 && sugg)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "unknown %s '%s'; did you mean '%s'?",
				kind, id, sugg);
	if (!found)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"unknown %s '%s'; the plan's '%s' lists the ids", kind, id, where);
	show = found < 6 ? found : 6;
	for (size_t i = 0; i < n && shown < show; i++) {
		const char *c = plan_kind_id(p, k, (int)i);
		if (!c || strncmp(c, id, len))
			continue;
		shown++;
		strbuf_addf(&sb, "%s'%s'", shown == 1 ? "" : shown == show ? " or " : ", ", c);
	}
	if (found > shown)
		strbuf_addf(&sb, " (%zu more)", found - shown);
	rc = err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "unknown %s '%s'; did you mean %s?", kind, id,
		      sb.buf);
	strbuf_release(&sb);
	return rc;
}

#define FINDER(fn, k, where)                                              \
	int fn(const struct plan *p, const char *id, struct err *e)       \
	{                                                                 \
		int i = id ? plan_kind_index(p, k, id) : -1;              \
		if (i < 0)                                                \
			return unknown(p, k, e, id ? id : "", where);     \
		return i;                                                 \
	}

FINDER(action_find_project, PLAN_KIND_PROJECT, "projects")
FINDER(action_find_env, PLAN_KIND_ENV, "environments")
FINDER(action_find_wave, PLAN_KIND_WAVE, "waves")
FINDER(action_find_gate, PLAN_KIND_GATE, "gates")
FINDER(action_find_item, PLAN_KIND_ITEM, "checklist")
FINDER(action_find_blocker, PLAN_KIND_BLOCKER, "blockers")

int action_find_actor(const struct action_ctx *c, struct err *e)
{
	return identity_actor(c->plan, c->actor, "this", e);
}

/* ---- record ------------------------------------------------------------- */

/* Who records in env: a person (their id), or "ci" where nobody may. */
static const char *record_actor(const struct action_ctx *c, int ei, struct err *e)
{
	char what[200];
	int who;
	snprintf(what, sizeof(what), "recording a version in '%s'", c->plan->envs[ei].name);
	who = identity_env_actor(c->plan, c->actor, ei, what, e);
	if (who == -1)
		return NULL;
	return who >= 0 ? c->plan->people[who].id : "ci";
}

int action_record(const struct action_ctx *c, const char *project, const char *env,
		  const char *version, struct err *e)
{
	const char *actor;
	int ei;
	if (action_find_project(c->plan, project, e) < 0)
		return -1;
	ei = action_find_env(c->plan, env, e);
	if (ei < 0)
		return -1;
	if (!version || !*version)
		return err_set(e, ERR_USAGE, "'record' needs --version V (the version to record)");
	actor = record_actor(c, ei, e);
	if (!actor)
		return -1;
	return store_record_version(c->store, c->now, actor, project, env, version, e);
}

void action_versions_release(struct action_versions *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].project);
		free(l->v[i].version);
	}
	free(l->v);
	for (size_t i = 0; i < l->nproblems; i++)
		free(l->problems[i]);
	free(l->problems);
	memset(l, 0, sizeof(*l));
}

/* The next whitespace-separated word of [*s, end) or NULL. */
static const char *word(const char **s, const char *end, size_t *len)
{
	const char *p = *s, *start;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	if (p >= end) {
		*s = p;
		return NULL;
	}
	start = p;
	while (p < end && !(*p == ' ' || *p == '\t' || *p == '\r'))
		p++;
	*len = (size_t)(p - start);
	*s = p;
	return start;
}

/* Where the line holding s ends (past its newline). */
static const char *line_end(const char *s, const char *end)
{
	const char *eol = memchr(s, '\n', (size_t)(end - s));
	return eol ? eol + 1 : end;
}

static void problem(struct action_versions *l, enum err_reason why, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct action_versions *l, enum err_reason why, const char *fmt, ...)
{
	va_list ap;
	if (!l->nproblems)
		l->first_reason = why;
	ALLOC_GROW(l->problems, l->nproblems + 1, l->problems_alloc);
	va_start(ap, fmt);
	l->problems[l->nproblems++] = xvasprintf(fmt, ap);
	va_end(ap);
}

int action_parse_versions(const struct plan *p, const char *name, const char *text, size_t len,
			  struct action_versions *l, struct err *e)
{
	const char *s = text, *end = text + len;
	int *seen = xcalloc(p->nprojects + 1, sizeof(int));
	int line = 0;

	memset(l, 0, sizeof(*l));
	for (; s < end; s = line_end(s, end)) {
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		const char *le = eol ? eol : end, *w1, *w2, *w3;
		size_t n1 = 0, n2 = 0, n3 = 0, bad;
		char *project, *version;
		struct err ve;
		int pi;

		line++;
		if (memchr(s, '\0', (size_t)(le - s))) {
			problem(l, REASON_INVALID, "%s:%d: a NUL byte; expected 'PROJECT VERSION'", name, line);
			continue;
		}
		if (!util_utf8_valid(s, (size_t)(le - s), &bad)) {
			problem(l, REASON_INVALID, "%s:%d:%zu: not valid UTF-8 (byte 0x%02x); save the file as UTF-8",
				name, line, bad + 1, (unsigned char)s[bad]);
			continue;
		}
		w1 = word(&s, le, &n1);
		if (!w1 || *w1 == '#')
			continue;
		w2 = word(&s, le, &n2);
		w3 = word(&s, le, &n3);
		if (w2 && *w2 == '#')
			w2 = NULL;
		if (!w2 || (w3 && *w3 != '#')) {
			problem(l, REASON_INVALID, "%s:%d: expected 'PROJECT VERSION', got '%.*s'", name, line,
				(int)(le - w1 > 80 ? 80 : le - w1), w1);
			continue;
		}
		project = xstrndup(w1, n1);
		pi = plan_project_index(p, project);
		if (pi < 0) {
			const char *sg = plan_suggest_project(p, project);
			if (sg)
				problem(l, REASON_NOT_FOUND, "%s:%d: unknown project '%s'; did you mean '%s'?", name, line,
					project, sg);
			else
				problem(l, REASON_NOT_FOUND, "%s:%d: unknown project '%s'", name, line, project);
			free(project);
			continue;
		}
		if (seen[pi]) {
			problem(l, REASON_INVALID, "%s:%d: project '%s' is already on line %d", name, line, project,
				seen[pi]);
			free(project);
			continue;
		}
		seen[pi] = line;
		version = xstrndup(w2, n2);
		err_init(&ve);
		if (store_check_version(version, &ve) < 0) {
			problem(l, REASON_INVALID, "%s:%d: %s", name, line, ve.msg);
			free(project);
			free(version);
			continue;
		}
		ALLOC_GROW(l->v, l->n + 1, l->alloc);
		l->v[l->n].project = project;
		l->v[l->n].version = version;
		l->v[l->n].line = line;
		l->n++;
	}
	free(seen);
	if (l->nproblems) {
		/* nothing is recorded from a file with a bad line */
		for (size_t i = 0; i < l->n; i++) {
			free(l->v[i].project);
			free(l->v[i].version);
		}
		l->n = 0;
		if (l->nproblems == 1)
			return err_setr(e, ERR_USAGE, l->first_reason, "%s", l->problems[0]);
		return err_set(e, ERR_USAGE, "%s: %zu bad lines; nothing recorded", name,
			       l->nproblems);
	}
	if (!l->n)
		return err_set(e, ERR_USAGE, "%s: no 'PROJECT VERSION' line; nothing to record", name);
	return 0;
}

int action_record_bulk(const struct action_ctx *c, const char *env,
		       const struct action_versions *l, struct err *e)
{
	struct store_record *v;
	const char *actor;
	int rc, ei;
	ei = action_find_env(c->plan, env, e);
	if (ei < 0)
		return -1;
	actor = record_actor(c, ei, e);
	if (!actor)
		return -1;
	v = xcalloc(l->n + 1, sizeof(*v));
	for (size_t i = 0; i < l->n; i++) {
		v[i].project = l->v[i].project;
		v[i].version = l->v[i].version;
		v[i].line = l->v[i].line;
	}
	rc = store_record_versions(c->store, c->now, actor, env, v, l->n, e);
	free(v);
	return rc;
}

/* ---- ticks ---------------------------------------------------------------- */

int action_tick(const struct action_ctx *c, const char *item, bool done, const char *note,
		struct err *e)
{
	const struct plan *p = c->plan;
	struct store_state_snapshot snap;
	const struct store_tick *cur;
	struct store_tick t = { 0 };
	int it, pi;
	bool holds;

	it = action_find_item(p, item, e);
	if (it < 0)
		return -1;
	pi = action_find_actor(c, e);
	if (pi < 0)
		return -1;
	if (identity_may_tick(p, pi, it, e) < 0)
		return -1;
	t.item = p->items[it].id;
	t.done = done;
	t.by = p->people[pi].id;
	t.note = note;
	t.source = TICK_MANUAL;
	t.exit_status = -1;
	if (store_begin_change(c->store, c->now, t.by, done ? "check" : "uncheck", t.item, note,
			       e) < 0)
		return -1;
	/* decided under the write lock: a repeat writes nothing */
	if (store_snapshot(c->store, &snap, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	cur = store_snap_tick(&snap, t.item);
	holds = (cur && cur->done) == done;
	store_snapshot_release(&snap);
	if (holds) {
		store_abort_change(c->store);
		return 1;
	}
	if (store_set_tick(c->store, &t, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	return store_commit_change(c->store, NULL, e);
}

/* ---- import --state ------------------------------------------------------- */

int action_import_tick(const struct action_ctx *c, const char *item, const char *from,
		       struct err *e)
{
	const struct plan *p = c->plan;
	struct store_state_snapshot snap;
	const struct store_tick *cur;
	struct store_tick t = { 0 };
	bool holds;
	int it = action_find_item(p, item, e);
	if (it < 0)
		return -1;
	t.item = p->items[it].id;
	t.done = true;
	t.by = STATE_IMPORT_ACTOR;
	t.note = NULL;
	t.source = TICK_MANUAL;
	t.exit_status = -1;
	if (store_begin_change(c->store, c->now, STATE_IMPORT_ACTOR, "check", t.item, NULL, e) < 0)
		return -1;
	if (store_snapshot(c->store, &snap, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	cur = store_snap_tick(&snap, t.item);
	holds = cur && cur->done;
	store_snapshot_release(&snap);
	if (holds) {
		store_abort_change(c->store);
		return 1;
	}
	store_change_detail(c->store, "imported from %s", from);
	if (store_set_tick(c->store, &t, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	return store_commit_change(c->store, NULL, e);
}

int action_import_progress(const struct action_ctx *c, const char *blocker, int progress,
			   const char *from, struct err *e)
{
	const struct plan *p = c->plan;
	struct store_state_snapshot snap;
	const struct store_blocker *cur;
	struct store_blocker b = { 0 };
	bool holds;
	int bi = action_find_blocker(p, blocker, e);
	if (bi < 0)
		return -1;
	if (progress < 0 || progress > 100)
		return err_set(e, ERR_USAGE, "progress %d is out of range; use 0 to 100", progress);
	b.id = p->blockers[bi].id;
	b.progress = progress;
	b.resolved = progress == 100;
	b.by = STATE_IMPORT_ACTOR;
	if (store_begin_change(c->store, c->now, STATE_IMPORT_ACTOR,
			       b.resolved ? "blocker.resolve" : "blocker", b.id, NULL, e) < 0)
		return -1;
	if (store_snapshot(c->store, &snap, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	cur = store_snap_blocker(&snap, b.id);
	holds = cur && cur->progress == b.progress && cur->resolved == b.resolved;
	store_snapshot_release(&snap);
	if (holds) {
		store_abort_change(c->store);
		return 1;
	}
	store_change_detail(c->store, "progress %d%%; imported from %s", b.progress, from);
	if (store_set_blocker(c->store, &b, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	return store_commit_change(c->store, NULL, e);
}

int action_import_version(const struct action_ctx *c, const char *env, const char *project,
			  const char *version, int line, const char *from, struct err *e)
{
	struct store_record v = { 0 };
	int rc;
	if (action_find_env(c->plan, env, e) < 0 || action_find_project(c->plan, project, e) < 0)
		return -1;
	v.project = project;
	v.version = version;
	v.line = line;
	rc = store_record_imported(c->store, c->now, STATE_IMPORT_ACTOR, env, &v, 1, from, e);
	return rc < 0 ? -1 : rc > 0 ? 1 : 0;
}

/* ---- blockers ------------------------------------------------------------- */

int action_blocker(const struct action_ctx *c, const char *id, int progress, bool resolve,
		   bool reopen, int *progress_out, bool *resolved_out, struct err *e)
{
	const struct plan *p = c->plan;
	struct store_state_snapshot snap;
	const struct store_blocker *cur;
	struct store_blocker b = { 0 };
	int bi, pi, now_progress;
	bool now_resolved;

	bi = action_find_blocker(p, id, e);
	if (bi < 0)
		return -1;
	pi = action_find_actor(c, e);
	if (pi < 0)
		return -1;
	if (reopen && (resolve || progress < 0 || progress >= 100))
		return err_set(e, ERR_USAGE,
			       "--reopen needs --progress N below 100 (where the blocker stands again)");
	if (progress < 0 && !resolve)
		return err_set(e, ERR_USAGE, "say what changed: --progress N (0-100) or --resolve");
	if (progress > 100)
		return err_set(e, ERR_USAGE, "progress %d is out of range; use 0 to 100", progress);
	if (resolve && progress >= 0 && progress != 100)
		return err_set(e, ERR_USAGE,
			       "--resolve means 100%%; drop --progress %d or the --resolve", progress);
	b.id = p->blockers[bi].id;
	b.progress = resolve ? 100 : progress;
	b.resolved = b.progress == 100;
	b.by = p->people[pi].id;
	if (store_begin_change(c->store, c->now, b.by,
			       b.resolved ? "blocker.resolve" : reopen ? "blocker.reopen" : "blocker",
			       b.id, NULL, e) < 0)
		return -1;
	/* decided under the write lock: what holds now */
	if (store_snapshot(c->store, &snap, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	cur = store_snap_blocker(&snap, b.id);
	now_progress = cur ? cur->progress : p->blockers[bi].progress;
	now_resolved = cur && cur->resolved;
	store_snapshot_release(&snap);
	*progress_out = now_progress;
	*resolved_out = now_resolved;
	if (now_resolved && !b.resolved && !reopen) {
		store_abort_change(c->store);
		return err_setr(e, ERR_USAGE, REASON_CONFLICT,
				"blocker '%s' is resolved; --progress %d would reopen it: add --reopen "
				"if it is back",
				b.id, b.progress);
	}
	if (now_resolved == b.resolved && now_progress == b.progress) {
		store_abort_change(c->store);
		return 1;
	}
	if (b.resolved)
		store_change_detail(c->store, "resolved (100%%)");
	else if (now_resolved)
		store_change_detail(c->store, "reopened at %d%%", b.progress);
	else
		store_change_detail(c->store, "progress %d%%", b.progress);
	if (store_set_blocker(c->store, &b, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	if (store_commit_change(c->store, NULL, e) < 0)
		return -1;
	*progress_out = b.progress;
	*resolved_out = b.resolved;
	return 0;
}

/* ---- incidents ------------------------------------------------------------ */

int action_incident_open(const struct action_ctx *c, int level, const char *env,
			 const char *project, const char *text, int64_t *id_out, struct err *e)
{
	const struct plan *p = c->plan;
	int ei, prj = -1, pi;
	char *subject;
	int rc = -1;

	if (level < 1 || level > 3)
		return err_set(e, ERR_USAGE, "incident level %d is out of range; use 1, 2 or 3", level);
	ei = action_find_env(p, env, e);
	if (ei < 0)
		return -1;
	if (project) {
		prj = action_find_project(p, project, e);
		if (prj < 0)
			return -1;
	}
	pi = action_find_actor(c, e);
	if (pi < 0)
		return -1;
	while (text && isspace((unsigned char)*text))
		text++;
	if (!text || !*text)
		return err_set(e, ERR_USAGE, "say what happened: 'tollgate incident open --level N "
					     "--env E [--project P] TEXT'");
	subject = prj >= 0 ? xasprintf("%s@%s", p->projects[prj].id, p->envs[ei].name)
			   : xstrdup(p->envs[ei].name);
	if (store_begin_change(c->store, c->now, p->people[pi].id, "incident.open", subject, NULL,
			       e) < 0)
		goto out;
	if (store_open_incident(c->store, level, p->envs[ei].name,
				prj >= 0 ? p->projects[prj].id : NULL, text, p->people[pi].id, id_out,
				e) < 0) {
		store_abort_change(c->store);
		goto out;
	}
	store_change_detail(c->store, "incident %lld, level %d: %s", (long long)*id_out, level, text);
	if (store_commit_change(c->store, NULL, e) < 0)
		goto out;
	rc = 0;
out:
	free(subject);
	return rc;
}

int action_incident_resolve(const struct action_ctx *c, int64_t id, struct err *e)
{
	char subject[32];
	int pi, r;

	pi = action_find_actor(c, e);
	if (pi < 0)
		return -1;
	snprintf(subject, sizeof(subject), "%lld", (long long)id);
	if (store_begin_change(c->store, c->now, c->plan->people[pi].id, "incident.resolve",
			       subject, NULL, e) < 0)
		return -1;
	r = store_resolve_incident(c->store, id, c->plan->people[pi].id, e);
	if (r != 0) {
		store_abort_change(c->store);
		if (r == 1)
			return err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "unknown incident %lld; 'tollgate status' lists "
						     "the open ones", (long long)id);
		if (r == 2)
			return 1; /* resolved already: it holds, nothing written */
		return -1;
	}
	store_change_detail(c->store, "incident %lld resolved", (long long)id);
	return store_commit_change(c->store, NULL, e);
}
