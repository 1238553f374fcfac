/*
 * plan.c - loading entry points, diagnostics, id lookups and the small
 * questions other modules ask of a loaded plan (does this gate cover that
 * wave, does this item apply there, what is the overall risk).
 */
#include "plan/plan-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* diagnostics */

void plan_diags_init(struct plan_diags *d, const char *file)
{
	memset(d, 0, sizeof(*d));
	d->file = file;
}

void plan_diags_release(struct plan_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	d->v = NULL;
	d->n = d->alloc = d->nerrors = d->nwarnings = 0;
}

void plan_diag_add(struct plan_diags *d, enum diag_kind kind, struct plan_loc loc,
		   const char *fmt, ...)
{
	va_list ap;
	struct plan_diag *g;

	if (kind == DIAG_ERROR)
		d->nerrors++;
	else
		d->nwarnings++;
	/* keep memory bounded on a hopeless file; the count stays exact */
	if (d->n >= PLAN_MAX_DIAGS)
		return;
	ALLOC_GROW(d->v, d->n + 1, d->alloc);
	g = &d->v[d->n++];
	g->kind = kind;
	g->line = loc.line;
	g->col = loc.col;
	va_start(ap, fmt);
	g->msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (strlen(g->msg) > 1000) /* a megabyte-long key is not worth echoing */
		memcpy(g->msg + 996, "...", 4);
	util_scrub(g->msg, false);
}

static int diag_cmp(const void *a, const void *b)
{
	const struct plan_diag *x = *(const struct plan_diag *const *)a;
	const struct plan_diag *y = *(const struct plan_diag *const *)b;
	if (x->line != y->line) /* file-level notes (line 0) go last */
		return x->line == 0 ? 1 : y->line == 0 ? -1 : x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x < y ? -1 : x > y; /* stable: original order */
}

void plan_diags_sort(struct plan_diags *d)
{
	struct plan_diag **ptrs, *sorted;
	size_t k = 0;
	if (d->n < 2)
		return;
	ptrs = xmalloc(d->n * sizeof(*ptrs));
	for (size_t i = 0; i < d->n; i++)
		ptrs[i] = &d->v[i];
	qsort(ptrs, d->n, sizeof(*ptrs), diag_cmp);
	sorted = xmalloc(d->alloc * sizeof(*sorted));
	for (size_t i = 0; i < d->n; i++) {
		/* a value merged into many maps (`<<: *base`) is checked in each:
		 * the same problem at the same place is said once */
		bool dup = false;
		for (size_t j = k; j-- > 0 && !dup;) {
			if (sorted[j].line != ptrs[i]->line || sorted[j].col != ptrs[i]->col)
				break;
			dup = sorted[j].kind == ptrs[i]->kind && !strcmp(sorted[j].msg, ptrs[i]->msg);
		}
		if (!dup) {
			sorted[k++] = *ptrs[i];
			continue;
		}
		if (ptrs[i]->kind == DIAG_ERROR)
			d->nerrors--;
		else
			d->nwarnings--;
		free(ptrs[i]->msg);
	}
	d->n = k;
	free(ptrs);
	free(d->v);
	d->v = sorted;
}

/* string map: open addressing, linear probing, FNV-1a */

size_t plan_str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return (size_t)(h ^ (h >> 29));
}

void strmap_init(struct strmap *m, struct arena *a, size_t n)
{
	size_t cap = 16;
	while (cap < n * 2 + 1)
		cap *= 2;
	m->cap = cap;
	m->heap = !a;
	if (a) {
		m->keys = arena_alloc(a, cap * sizeof(*m->keys));
		m->vals = arena_alloc(a, cap * sizeof(*m->vals));
	} else {
		m->keys = xcalloc(cap, sizeof(*m->keys));
		m->vals = xcalloc(cap, sizeof(*m->vals));
	}
}

void strmap_release(struct strmap *m)
{
	if (m->heap) {
		free(m->keys);
		free(m->vals);
	}
	memset(m, 0, sizeof(*m));
}

int strmap_get(const struct strmap *m, const char *key)
{
	size_t i;
	if (!m->cap || !key)
		return -1;
	for (i = plan_str_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->keys[i], key))
			return m->vals[i];
	return -1;
}

int strmap_put(struct strmap *m, const char *key, int val)
{
	size_t i;
	for (i = plan_str_hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->keys[i], key))
			return m->vals[i];
	m->keys[i] = key;
	m->vals[i] = val;
	return -1;
}

/* loader messages */

void plan_ld_errorl(struct loader *ld, struct plan_loc at, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	plan_diag_add(ld->d, DIAG_ERROR, at, "%s", msg);
	free(msg);
}

void plan_ld_error(struct loader *ld, const struct ynode *at, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	plan_diag_add(ld->d, DIAG_ERROR, ynode_loc(at), "%s", msg);
	free(msg);
}

void plan_ld_warnl(struct loader *ld, struct plan_loc at, const char *fmt, ...)
{
	va_list ap;
	char *msg;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	plan_diag_add(ld->d, DIAG_WARNING, at, "%s", msg);
	free(msg);
}

/* loading */

char *plan_dir_of(struct arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return arena_strdup(a, ".");
	if (slash == path)
		return arena_strdup(a, "/");
	return arena_strndup(a, path, (size_t)(slash - path));
}

static struct plan *load(const char *name, bool from_file, const char *data, size_t len,
			 struct plan_diags *d)
{
	struct plan *p = xcalloc(1, sizeof(*p));
	struct loader ld;
	size_t errors_before = d->nerrors;

	arena_init(&p->arena);
	p->path = arena_strdup(&p->arena, name);
	p->dir = from_file ? plan_dir_of(&p->arena, name) : arena_strdup(&p->arena, ".");
	memset(&ld, 0, sizeof(ld));
	ld.p = p;
	ld.d = d;
	ld.a = &p->arena;
	ld.root = plan_yaml_parse(&p->arena, data, len, d);
	if (ld.root) {
		plan_map_tree(&ld);
		plan_validate(&ld);
	}
	if (d->nerrors + d->nwarnings > d->n) {
		/* past the cap: one closing line, not counted as a problem itself */
		ALLOC_GROW(d->v, d->n + 1, d->alloc);
		d->v[d->n].kind = DIAG_ERROR;
		d->v[d->n].line = 0;
		d->v[d->n].col = 0;
		d->v[d->n].msg = xasprintf("%zu more problems not shown",
					   d->nerrors + d->nwarnings - d->n);
		d->n++;
	}
	if (d->nerrors > errors_before) {
		plan_free(p);
		return NULL;
	}
	return p;
}

struct plan *plan_load_buffer(const char *name, const char *data, size_t len,
			      struct plan_diags *diags)
{
	return load(name ? name : "<buffer>", false, data, len, diags);
}

struct plan *plan_load_file_bytes(const char *path, const char *data, size_t len,
				  struct plan_diags *diags)
{
	return load(path, true, data, len, diags);
}

struct plan *plan_load(const char *path, struct plan_diags *diags)
{
	struct strbuf sb = STRBUF_INIT;
	struct plan *p;
	struct plan_loc none = { 0, 0 };

	if (strbuf_read_file(&sb, path, PLAN_MAX_BYTES) < 0) {
		if (errno == EFBIG)
			plan_diag_add(diags, DIAG_ERROR, none,
				      "the file is larger than 32 MiB; a plan may be at most 32 MiB");
		else if (errno == ENOENT)
			plan_diag_add(diags, DIAG_ERROR, none,
				      "no plan file '%s'; create one with 'tollgate init' or use --plan FILE",
				      path);
		else if (errno == EISDIR)
			plan_diag_add(diags, DIAG_ERROR, none,
				      "'%s' is a folder, not a plan file; use --plan FILE", path);
		else if (errno == ENODEV)
			plan_diag_add(diags, DIAG_ERROR, none,
				      "'%s' is not a regular file (a FIFO, a device or a socket); "
				      "a plan is a file",
				      path);
		else
			plan_diag_add(diags, DIAG_ERROR, none, "cannot read '%s': %s", path,
				      strerror(errno));
		strbuf_release(&sb);
		return NULL;
	}
	p = load(path, true, sb.buf ? sb.buf : "", sb.len, diags);
	strbuf_release(&sb);
	return p;
}

void plan_free(struct plan *p)
{
	if (!p)
		return;
	arena_release(&p->arena);
	if (p->cache_image) {
		/* a cached plan lives at the start of its image */
		munmap(p->cache_image, p->cache_image_size);
		return;
	}
	free(p);
}

/* lookups */

#define LOOKUP(fn, field)                                                      \
	int fn(const struct plan *p, const char *id)                           \
	{                                                                      \
		if (!p || !p->maps || !id)                                     \
			return -1;                                             \
		return strmap_get(&p->maps->field, id);                        \
	}
LOOKUP(plan_env_index, envs)
LOOKUP(plan_project_index, projects)
LOOKUP(plan_wave_index, waves)
LOOKUP(plan_gate_index, gates)
LOOKUP(plan_item_index, items)
LOOKUP(plan_blocker_index, blockers)
LOOKUP(plan_person_index, people)
LOOKUP(plan_trigger_index, triggers)

bool plan_is_transposition(const char *a, const char *b)
{
	size_t la = strlen(a), i = 0;
	if (la != strlen(b) || la < 2)
		return false;
	while (i < la && a[i] == b[i])
		i++;
	if (i + 1 >= la || a[i] != b[i + 1] || a[i + 1] != b[i])
		return false;
	return !strcmp(a + i + 2, b + i + 2);
}

/* closest by edit distance; else a swap of two neighbours ('sti' → 'sit') */
#define SUGGEST(fn, arr, count, field)                                         \
	const char *fn(const struct plan *p, const char *id)                   \
	{                                                                      \
		struct suggest s;                                              \
		if (!p || !id)                                                 \
			return NULL;                                           \
		suggest_init(&s, id);                                          \
		for (size_t i = 0; i < p->count; i++)                          \
			suggest_add(&s, p->arr[i].field);                      \
		if (suggest_result(&s))                                        \
			return suggest_result(&s);                             \
		for (size_t i = 0; i < p->count; i++)                          \
			if (p->arr[i].field &&                                 \
			    plan_is_transposition(id, p->arr[i].field))        \
				return p->arr[i].field;                        \
		return NULL;                                                   \
	}
SUGGEST(plan_suggest_env, envs, nenvs, name)
SUGGEST(plan_suggest_project, projects, nprojects, id)
SUGGEST(plan_suggest_wave, waves, nwaves, id)
SUGGEST(plan_suggest_gate, gates, ngates, id)
SUGGEST(plan_suggest_item, items, nitems, id)
SUGGEST(plan_suggest_blocker, blockers, nblockers, id)
SUGGEST(plan_suggest_person, people, npeople, id)

/* by kind */

static const char *const kind_names[PLAN_KIND_COUNT] = {
	"project", "environment", "gate", "checklist item", "wave", "blocker",
};
static const char *const kind_keys[PLAN_KIND_COUNT] = {
	"project", "env", "gate", "item", "wave", "blocker",
};

const char *plan_kind_name(enum plan_kind k)
{
	return (unsigned)k < PLAN_KIND_COUNT ? kind_names[k] : "id";
}

const char *plan_kind_key(enum plan_kind k)
{
	return (unsigned)k < PLAN_KIND_COUNT ? kind_keys[k] : "id";
}

int plan_kind_parse(const char *key, enum plan_kind *out)
{
	for (int k = 0; key && k < PLAN_KIND_COUNT; k++)
		if (!strcmp(key, kind_keys[k])) {
			*out = (enum plan_kind)k;
			return 0;
		}
	return -1;
}

int plan_kind_index(const struct plan *p, enum plan_kind k, const char *id)
{
	switch (k) {
	case PLAN_KIND_PROJECT: return plan_project_index(p, id);
	case PLAN_KIND_ENV: return plan_env_index(p, id);
	case PLAN_KIND_GATE: return plan_gate_index(p, id);
	case PLAN_KIND_ITEM: return plan_item_index(p, id);
	case PLAN_KIND_WAVE: return plan_wave_index(p, id);
	case PLAN_KIND_BLOCKER: return plan_blocker_index(p, id);
	default: return -1;
	}
}

const char *plan_kind_suggest(const struct plan *p, enum plan_kind k, const char *id)
{
	switch (k) {
	case PLAN_KIND_PROJECT: return plan_suggest_project(p, id);
	case PLAN_KIND_ENV: return plan_suggest_env(p, id);
	case PLAN_KIND_GATE: return plan_suggest_gate(p, id);
	case PLAN_KIND_ITEM: return plan_suggest_item(p, id);
	case PLAN_KIND_WAVE: return plan_suggest_wave(p, id);
	case PLAN_KIND_BLOCKER: return plan_suggest_blocker(p, id);
	default: return NULL;
	}
}

const char *plan_kind_id(const struct plan *p, enum plan_kind k, int i)
{
	if (i < 0 || (size_t)i >= plan_kind_count(p, k))
		return NULL;
	switch (k) {
	case PLAN_KIND_PROJECT: return p->projects[i].id;
	case PLAN_KIND_ENV: return p->envs[i].name;
	case PLAN_KIND_GATE: return p->gates[i].id;
	case PLAN_KIND_ITEM: return p->items[i].id;
	case PLAN_KIND_WAVE: return p->waves[i].id;
	case PLAN_KIND_BLOCKER: return p->blockers[i].id;
	default: return NULL;
	}
}

size_t plan_kind_count(const struct plan *p, enum plan_kind k)
{
	switch (k) {
	case PLAN_KIND_PROJECT: return p->nprojects;
	case PLAN_KIND_ENV: return p->nenvs;
	case PLAN_KIND_GATE: return p->ngates;
	case PLAN_KIND_ITEM: return p->nitems;
	case PLAN_KIND_WAVE: return p->nwaves;
	case PLAN_KIND_BLOCKER: return p->nblockers;
	default: return 0;
	}
}

bool plan_person_has_role(const struct plan_person *who, const char *role)
{
	if (!who || !role)
		return false;
	for (size_t i = 0; i < who->nroles; i++)
		if (!strcmp(who->roles[i], role))
			return true;
	return false;
}

bool plan_person_has_any_role(const struct plan_person *who, const char *const *roles, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (plan_person_has_role(who, roles[i]))
			return true;
	return false;
}

int plan_person_by_login(const struct plan *p, const char *user)
{
	if (!user)
		return -1;
	for (size_t i = 0; i < p->npeople; i++)
		for (size_t j = 0; j < p->people[i].nlogins; j++)
			if (!strcmp(p->people[i].logins[j], user))
				return (int)i;
	return -1;
}

int plan_person_by_db_user(const struct plan *p, const char *user)
{
	if (!user)
		return -1;
	for (size_t i = 0; i < p->npeople; i++)
		if (p->people[i].db_user && !strcmp(p->people[i].db_user, user))
			return (int)i;
	return -1;
}

const char *plan_person_display(const struct plan_person *who)
{
	if (who->tbd)
		return "TBD";
	return who->name && *who->name ? who->name : who->id;
}

unsigned plan_file_mode(const struct plan *p)
{
	return p && p->store_mode ? p->store_mode : PLAN_STORE_MODE_DEFAULT;
}

unsigned plan_dir_mode(const struct plan *p)
{
	unsigned m = plan_file_mode(p);
	/* x where r; setgid where the group writes, as git's
	 * core.sharedRepository=group does: what anyone of the group makes in
	 * it (a -wal, a -shm, a run's folder) belongs to the folder's group,
	 * so the others of the group can write it */
	return m | (m & 0444) >> 2 | (m & 0020 ? 02000u : 0);
}

bool plan_store_mode_set(const struct plan *p)
{
	return p && p->store_mode;
}

const char *plan_identity_name(enum plan_identity m)
{
	switch (m) {
	case IDENTITY_OS: return "os";
	case IDENTITY_DB: return "db";
	case IDENTITY_CLAIM: break;
	}
	return "claim";
}

bool plan_refs_has(const struct plan_refs *r, int idx)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->idx[i] == idx)
			return true;
	return false;
}

bool plan_blocker_applies(const struct plan_blocker *b, int wave, int env)
{
	return b->blocks_env == env && (b->blocks_waves.n == 0 || plan_refs_has(&b->blocks_waves, wave));
}

bool plan_gate_covers_wave(const struct plan_gate *g, int wave)
{
	return g->waves.n == 0 || plan_refs_has(&g->waves, wave);
}

bool plan_item_applies(const struct plan_item *it, int env, int wave)
{
	if (!it->has_applies)
		return false;
	if (it->applies_env >= 0 && it->applies_env != env)
		return false;
	return it->applies_waves.n == 0 || plan_refs_has(&it->applies_waves, wave);
}

bool plan_trigger_applies(const struct plan_trigger *t, int env)
{
	if (!t->measure)
		return false;
	return t->envs.n ? plan_refs_has(&t->envs, env) : env > 0;
}

int64_t plan_project_target(const struct plan_project *pr, int env)
{
	for (size_t i = 0; i < pr->ntargets; i++)
		if (pr->targets[i].env == env)
			return pr->targets[i].date;
	return 0;
}

const char *plan_severity_name(enum plan_severity s)
{
	switch (s) {
	case SEV_LOW: return "low";
	case SEV_MEDIUM: return "medium";
	case SEV_HIGH: return "high";
	case SEV_CRITICAL: return "critical";
	}
	return "none";
}

enum plan_severity plan_overall_risk(const struct plan *p)
{
	enum plan_severity s = SEV_LOW;
	if (p->risk_override)
		return p->risk_override;
	for (size_t i = 0; i < p->nrisks; i++)
		if (p->risks[i].severity > s)
			s = p->risks[i].severity;
	return s;
}
