/*
 * plan-load.c - the node tree onto struct plan: every key of docs/plan.md,
 * its type and its value (ids, dates, times, durations, numbers in range).
 *
 * It never stops at the first problem: a wrong value is reported where it was
 * written and loading goes on with the next key, so one run lists everything.
 * References to environments are resolved here (environments are loaded
 * first); the other references, which may point forward, are resolved by
 * plan-validate.c.
 */
#include "plan/plan-internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static const struct ynode *map_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->u.kids[2 * i];
		if (k->kind == YN_SCALAR && !strcmp(k->u.str, key))
			return map->u.kids[2 * i + 1];
	}
	return NULL;
}

/* Like map_get, but a null value counts as absent. */
static const struct ynode *field(const struct ynode *map, const char *key)
{
	const struct ynode *v = map_get(map, key);
	return ynode_is_null(v) ? NULL : v;
}

/* "did you mean" for keys: close spelling, or one is a prefix of the other
 * ('depends' → 'depends_on'). */
static const char *suggest_key(const char *word, const char *const *keys)
{
	struct suggest s;
	size_t wl = strlen(word);
	suggest_init(&s, word);
	for (size_t i = 0; keys[i]; i++)
		suggest_add(&s, keys[i]);
	if (suggest_result(&s))
		return suggest_result(&s);
	for (size_t i = 0; keys[i]; i++)
		if (plan_is_transposition(word, keys[i]))
			return keys[i];
	if (wl < 3)
		return NULL;
	for (size_t i = 0; keys[i]; i++) {
		size_t kl = strlen(keys[i]);
		if ((kl > wl && !strncasecmp(keys[i], word, wl)) ||
		    (wl > kl && kl >= 3 && !strncasecmp(word, keys[i], kl)))
			return keys[i];
	}
	return NULL;
}

static void check_keys(struct loader *ld, const struct ynode *map, const char *const *keys,
		       const char *where)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct ynode *k = map->u.kids[2 * i];
		const char *s;
		bool known = false;
		if (k->kind != YN_SCALAR)
			continue; /* reported by the parser */
		for (size_t j = 0; keys[j] && !known; j++)
			known = !strcmp(keys[j], k->u.str);
		if (known || plan_is_annotation(k->u.str))
			continue;
		s = suggest_key(k->u.str, keys);
		if (s)
			plan_ld_error(ld, k, "unknown key '%s' in %s; did you mean '%s'?", k->u.str,
				      where, s);
		else
			plan_ld_error(ld, k, "unknown key '%s' in %s", k->u.str, where);
	}
}

static bool want_kind(struct loader *ld, const struct ynode *n, int kind, const char *key)
{
	static const char *const names[] = { "a value", "a map", "a list" };
	if (n->kind == kind)
		return true;
	plan_ld_error(ld, n, "expected %s for '%s', got %s", names[kind], key, ynode_describe(n));
	return false;
}

/* value getters: report at the node and return false on a bad value */

static bool get_string(struct loader *ld, const struct ynode *n, const char *key,
		       const char **out)
{
	if (!n)
		return false;
	if (n->kind != YN_SCALAR) {
		plan_ld_error(ld, n, "expected a string for '%s', got %s", key, ynode_describe(n));
		return false;
	}
	if (strlen(n->u.str) != n->n) {
		plan_ld_error(ld, n, "'%s' holds a NUL character", key);
		return false;
	}
	*out = n->u.str;
	return true;
}

static bool get_id(struct loader *ld, const struct ynode *n, const char *key, const char **out)
{
	const char *s;
	if (!get_string(ld, n, key, &s))
		return false;
	if (strlen(s) > 128) {
		plan_ld_error(ld, n, "%s '%.40s...' is too long; use at most 128 characters", key, s);
		return false;
	}
	if (!util_valid_id(s)) {
		plan_ld_error(ld, n, "invalid %s '%.80s'; use letters, digits, '_', '.' and '-'",
			      key, s);
		return false;
	}
	*out = s;
	return true;
}

static bool get_date(struct loader *ld, const struct ynode *n, const char *key, int64_t *out)
{
	const char *s;
	if (!get_string(ld, n, key, &s))
		return false;
	if (strlen(s) > 10 || util_parse_date(s, out) < 0) {
		plan_ld_error(ld, n, "bad date '%.80s' for '%s'; use YYYY-MM-DD, e.g. 2026-01-10", s,
			      key);
		return false;
	}
	return true;
}

static bool get_time(struct loader *ld, const struct ynode *n, const char *key, int64_t *out)
{
	const char *s;
	if (!get_string(ld, n, key, &s))
		return false;
	if (strlen(s) > 64 || util_parse_time(s, out) < 0) {
		plan_ld_error(ld, n,
			      "bad time '%.80s' for '%s'; use RFC 3339, e.g. 2026-02-14T00:00:00Z",
			      s, key);
		return false;
	}
	return true;
}

static bool get_duration(struct loader *ld, const struct ynode *n, const char *key,
			 int64_t *out)
{
	const char *s;
	if (!get_string(ld, n, key, &s))
		return false;
	if (strlen(s) > 32 || util_parse_duration(s, out) < 0) {
		plan_ld_error(ld, n, "bad duration '%.80s' for '%s'; use e.g. 30s, 15m, 24h, 7d",
			      s, key);
		return false;
	}
	return true;
}

/* A step's timeout: the one place its default is applied (exec and the
 * engine take the plan's value as it is); `0s` means the default too. */
static void get_step_timeout(struct loader *ld, const struct ynode *n, int64_t *out)
{
	*out = PLAN_TIMEOUT_DEFAULT;
	if (get_duration(ld, n, "timeout", out) && *out <= 0)
		*out = PLAN_TIMEOUT_DEFAULT;
}

static bool get_int(struct loader *ld, const struct ynode *n, const char *key, long lo,
		    long hi, int *out)
{
	char *end;
	long long v;
	if (!n)
		return false;
	if (n->kind != YN_SCALAR || n->quoted || !n->n) {
		plan_ld_error(ld, n, "expected an integer for '%s', got %s", key, ynode_describe(n));
		return false;
	}
	errno = 0;
	v = strtoll(n->u.str, &end, 10);
	if (end == n->u.str || *end || !(isdigit((unsigned char)n->u.str[0]) ||
					 n->u.str[0] == '-' || n->u.str[0] == '+')) {
		plan_ld_error(ld, n, "expected an integer for '%s', got '%.80s'", key, n->u.str);
		return false;
	}
	if (errno == ERANGE || v < lo || v > hi) {
		plan_ld_error(ld, n, "'%s' must be between %ld and %ld, got %.80s", key, lo, hi,
			      n->u.str);
		return false;
	}
	*out = (int)v;
	return true;
}

static bool get_number(struct loader *ld, const struct ynode *n, const char *key, double *out)
{
	char *end;
	double v;
	if (!n)
		return false;
	if (n->kind != YN_SCALAR || n->quoted || !n->n) {
		plan_ld_error(ld, n, "expected a number for '%s', got %s", key, ynode_describe(n));
		return false;
	}
	errno = 0;
	v = strtod(n->u.str, &end);
	if (end == n->u.str || *end || !isfinite(v) || errno == ERANGE ||
	    isalpha((unsigned char)n->u.str[0]) || strpbrk(n->u.str, "xXnN")) {
		plan_ld_error(ld, n, "expected a number for '%s', got '%.80s'", key, n->u.str);
		return false;
	}
	*out = v;
	return true;
}

/* A ref list: a sequence of ids, or a single id. Indices start unresolved. */
static void get_refs(struct loader *ld, const struct ynode *n, const char *key,
		     struct plan_refs *r)
{
	size_t cnt, k = 0;
	memset(r, 0, sizeof(*r));
	if (!n)
		return;
	if (n->kind == YN_MAP) {
		plan_ld_error(ld, n, "expected a list of ids for '%s', got a map", key);
		return;
	}
	cnt = n->kind == YN_SEQ ? n->n : 1;
	r->ids = arena_alloc(ld->a, (cnt ? cnt : 1) * sizeof(*r->ids));
	r->idx = arena_alloc(ld->a, (cnt ? cnt : 1) * sizeof(*r->idx));
	r->locs = arena_alloc(ld->a, (cnt ? cnt : 1) * sizeof(*r->locs));
	for (size_t i = 0; i < cnt; i++) {
		const struct ynode *e = n->kind == YN_SEQ ? n->u.kids[i] : n;
		const char *id;
		if (e->kind != YN_SCALAR) {
			plan_ld_error(ld, e, "expected an id in '%s', got %s", key, ynode_describe(e));
			continue;
		}
		if (!get_id(ld, e, key, &id))
			continue;
		r->ids[k] = id;
		r->idx[k] = -1;
		r->locs[k] = ynode_loc(e);
		k++;
	}
	r->n = k;
}

/* A list of free strings (roles, attendees, events …); a single string too. */
static void get_strlist(struct loader *ld, const struct ynode *n, const char *key,
			const char ***out, size_t *nout, struct plan_loc **locs)
{
	size_t cnt, k = 0;
	*out = NULL;
	*nout = 0;
	if (locs)
		*locs = NULL;
	if (!n)
		return;
	if (n->kind == YN_MAP) {
		plan_ld_error(ld, n, "expected a list for '%s', got a map", key);
		return;
	}
	cnt = n->kind == YN_SEQ ? n->n : 1;
	*out = arena_alloc(ld->a, (cnt ? cnt : 1) * sizeof(**out));
	if (locs)
		*locs = arena_alloc(ld->a, (cnt ? cnt : 1) * sizeof(**locs));
	for (size_t i = 0; i < cnt; i++) {
		const struct ynode *e = n->kind == YN_SEQ ? n->u.kids[i] : n;
		const char *s;
		if (!get_string(ld, e, key, &s))
			continue;
		if (locs)
			(*locs)[k] = ynode_loc(e);
		(*out)[k++] = s;
	}
	*nout = k;
}

static bool get_bool(struct loader *ld, const struct ynode *n, const char *key, bool *out)
{
	if (!n)
		return false;
	if (n->kind == YN_SCALAR && !n->quoted && (!strcmp(n->u.str, "true") || !strcmp(n->u.str, "false"))) {
		*out = !strcmp(n->u.str, "true");
		return true;
	}
	plan_ld_error(ld, n, "expected true or false for '%s', got %s", key, ynode_describe(n));
	return false;
}

/* A user name as an OS or a database knows it: a non-empty word of
 * printable characters. */
static bool user_name_ok(struct loader *ld, struct plan_loc at, const char *key, const char *s)
{
	size_t len = strlen(s);
	if (!len || len > 256) {
		plan_ld_errorl(ld, at, "'%s' holds %s user name; give the user name (at most 256 bytes)",
			      key, len ? "too long a" : "an empty");
		return false;
	}
	for (const char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f) {
			plan_ld_errorl(ld, at, "user name '%.80s' in '%s' holds a space or a control character",
				      s, key);
			return false;
		}
	return true;
}

/* references to environments: environments are loaded first */

static void no_such(struct loader *ld, struct plan_loc at, const char *whose, const char *kind,
		    const char *id, const char *best)
{
	if (best)
		plan_ld_errorl(ld, at, "%s names unknown %s '%s'; did you mean '%s'?", whose, kind,
			       id, best);
	else
		plan_ld_errorl(ld, at, "%s names unknown %s '%s'", whose, kind, id);
}

static const char *suggest_env(struct loader *ld, const char *id)
{
	if (ld->nsuggest++ > 200)
		return NULL;
	return plan_suggest_env(ld->p, id);
}

static int env_ref(struct loader *ld, const struct ynode *n, const char *key, const char *whose,
		   const char **idout)
{
	const char *id;
	int idx;
	if (!get_id(ld, n, key, &id))
		return -1;
	if (idout)
		*idout = id;
	idx = plan_env_index(ld->p, id);
	if (idx < 0)
		no_such(ld, ynode_loc(n), whose, "environment", id, suggest_env(ld, id));
	return idx;
}

static void env_refs(struct loader *ld, const struct ynode *n, const char *key,
		     const char *whose, struct plan_refs *r)
{
	get_refs(ld, n, key, r);
	for (size_t i = 0; i < r->n; i++) {
		r->idx[i] = plan_env_index(ld->p, r->ids[i]);
		if (r->idx[i] < 0)
			no_such(ld, r->locs[i], whose, "environment", r->ids[i],
				suggest_env(ld, r->ids[i]));
	}
}

/* {env: name, waves: ref list}: gate `before`, item `applies`, blocker `blocks` … */
static void get_scope(struct loader *ld, const struct ynode *n, const char *key,
		      const char *whose, bool env_required, int *env, const char **env_id,
		      struct plan_refs *waves)
{
	char where[256];
	const struct ynode *e;
	*env = -1;
	memset(waves, 0, sizeof(*waves));
	if (!want_kind(ld, n, YN_MAP, key))
		return;
	snprintf(where, sizeof(where), "'%s' of %s", key, whose);
	check_keys(ld, n, KEYS("env", "waves"), where);
	e = field(n, "env");
	if (e)
		*env = env_ref(ld, e, "env", whose, env_id);
	else if (env_required)
		plan_ld_error(ld, n, "missing required key 'env' in %s", where);
	get_refs(ld, field(n, "waves"), "waves", waves);
}

/* Each element of a top-level list: a map, with the keys it may hold. */
static const struct ynode *entry_map(struct loader *ld, const struct ynode *n, const char *list)
{
	if (n->kind != YN_MAP) {
		plan_ld_error(ld, n, "expected a map for each entry of '%s', got %s", list,
			      ynode_describe(n));
		return NULL;
	}
	return n;
}

/* The where-string of an entry: "project 'x'", or "'milestones' entry 3". */
static void entry_name(char *buf, size_t n, const char *kind, const char *list, const char *id,
		       size_t i)
{
	if (id)
		snprintf(buf, n, "%s '%.100s'", kind, id);
	else
		snprintf(buf, n, "'%s' entry %zu", list, i + 1);
}

/* The id of an entry, checked; registers it in map (duplicates reported). */
static const char *entry_id(struct loader *ld, const struct ynode *m, const char *key,
			    const char *kind, struct strmap *map, int index)
{
	const struct ynode *n = field(m, key);
	const char *id = NULL;
	int prev;
	if (!n) {
		plan_ld_error(ld, m, "missing required key '%s' in %s", key, kind);
		return NULL;
	}
	if (!get_id(ld, n, key, &id))
		return NULL;
	prev = strmap_put(map, id, index);
	if (prev >= 0)
		plan_ld_error(ld, n, "duplicate %s %s '%s'", kind, key, id);
	return id;
}

static void required(struct loader *ld, const struct ynode *m, const char *key,
		     const char *where)
{
	if (!field(m, key))
		plan_ld_error(ld, m, "missing required key '%s' in %s", key, where);
}

static const struct ynode *top_list(struct loader *ld, const char *key, size_t *n)
{
	const struct ynode *l = field(ld->root, key);
	*n = 0;
	if (!l)
		return NULL;
	if (!want_kind(ld, l, YN_SEQ, key))
		return NULL;
	*n = l->n;
	return l;
}

static bool severity(struct loader *ld, const struct ynode *n, const char *key,
		     enum plan_severity *out)
{
	static const char *const names[] = { "low", "medium", "high", "critical", NULL };
	const char *s;
	if (!get_string(ld, n, key, &s))
		return false;
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum plan_severity)(i + 1);
			return true;
		}
	if (suggest_key(s, names))
		plan_ld_error(ld, n, "unknown %s '%.80s'; did you mean '%s'?", key, s,
			      suggest_key(s, names));
	else
		plan_ld_error(ld, n, "unknown %s '%.80s'; use low, medium, high or critical", key, s);
	return false;
}

/* sections */

/*
 * store_mode: "0640" (octal, the owner reads and writes, nobody else
 * writes, no x: folders get x where r is), private (0600) or group (0660).
 */
static void load_store_mode(struct loader *ld)
{
	static const char *const names[] = { "private", "group", NULL };
	static const unsigned modes[] = { 0600, 0660 };
	const struct ynode *v = field(ld->root, "store_mode");
	struct plan *p = ld->p;
	const char *s;
	unsigned m = 0;
	size_t n;

	if (!v || !get_string(ld, v, "store_mode", &s))
		return;
	p->store_mode_loc = ynode_loc(v);
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			m = modes[i];
	n = strlen(s);
	if (!m && n >= 3 && n <= 4 && strspn(s, "01234567") == n && (n == 3 || s[0] == '0'))
		m = (unsigned)strtoul(s, NULL, 8);
	else if (!m) {
		if (suggest_key(s, names))
			plan_ld_error(ld, v, "unknown store_mode '%.80s'; did you mean '%s'?", s,
				      suggest_key(s, names));
		else
			plan_ld_error(ld, v,
				      "store_mode '%.80s' is not a file mode; use an octal mode such as "
				      "\"0640\" (quoted), private (0600) or group (0660)",
				      s);
		return;
	}
	if ((m & 0600) != 0600)
		plan_ld_error(ld, v,
			      "store_mode '%s' does not let its owner read and write: tollgate must "
			      "read and write the files it makes; use 06x0",
			      s);
	else if (m & 0111)
		plan_ld_error(ld, v,
			      "store_mode '%s' has execute bits: it is the mode of files (the store, "
			      "logs); folders get x where r is given",
			      s);
	else if (m & 0002)
		plan_ld_error(ld, v,
			      "store_mode '%s' lets every user of the machine write the store: anyone "
			      "could change the state; use private, group or 0640",
			      s);
	else {
		p->store_mode = m;
		if (m & 0004)
			plan_ld_warnl(ld, p->store_mode_loc,
				      "store_mode '%s' lets every user of the machine read the store "
				      "and the step logs, which hold what steps print (secrets too)",
				      s);
	}
}

static void load_header(struct loader *ld)
{
	struct plan *p = ld->p;
	const struct ynode *v = map_get(ld->root, "version"), *m;

	if (!v)
		plan_ld_errorl(ld, (struct plan_loc){ 1, 1 },
			       "missing required key 'version'; add 'version: 1' at the top");
	else if (get_int(ld, v, "version", 0, 1000000, &p->version) && p->version != 1)
		plan_ld_error(ld, v, "unsupported plan version %d; this tollgate reads version 1",
			      p->version);

	v = field(ld->root, "identity");
	if (v) {
		static const char *const modes[] = { "claim", "os", "db", NULL };
		const char *mode;
		p->identity_loc = ynode_loc(v);
		if (get_string(ld, v, "identity", &mode)) {
			for (int i = 0; modes[i]; i++)
				if (!strcmp(mode, modes[i])) {
					p->identity = (enum plan_identity)i;
					p->identity_set = true;
				}
			if (!p->identity_set && suggest_key(mode, modes))
				plan_ld_error(ld, v, "unknown identity '%.80s'; did you mean '%s'?", mode,
					      suggest_key(mode, modes));
			else if (!p->identity_set)
				plan_ld_error(ld, v, "unknown identity '%.80s'; use os, db or claim", mode);
		}
	}

	load_store_mode(ld);

	m = map_get(ld->root, "plan");
	if (!m) {
		plan_ld_errorl(ld, (struct plan_loc){ 1, 1 },
			       "missing required key 'plan' (the plan's id, title, manager …)");
		return;
	}
	if (!want_kind(ld, m, YN_MAP, "plan"))
		return;
	check_keys(ld, m, KEYS("id", "title", "created", "manager", "status", "contact",
			       "next_review", "risk"), "'plan'");
	if (!field(m, "id"))
		plan_ld_error(ld, m, "missing required key 'id' in 'plan'");
	else
		get_id(ld, field(m, "id"), "id", &p->id);
	get_string(ld, field(m, "title"), "title", &p->title);
	get_date(ld, field(m, "created"), "created", &p->created);
	get_string(ld, field(m, "manager"), "manager", &p->manager);
	get_string(ld, field(m, "status"), "status", &p->status);
	get_string(ld, field(m, "contact"), "contact", &p->contact);
	get_date(ld, field(m, "next_review"), "next_review", &p->next_review);
	if (field(m, "risk"))
		severity(ld, field(m, "risk"), "risk", &p->risk_override);
}

static char *upper(struct arena *a, const char *s)
{
	char *u = arena_strdup(a, s);
	for (char *c = u; *c; c++)
		*c = (char)toupper((unsigned char)*c);
	return u;
}

static void load_envs(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "environments", &n);

	if (!map_get(ld->root, "environments"))
		plan_ld_errorl(ld, (struct plan_loc){ 1, 1 },
			       "missing required key 'environments' (e.g. dev, sit, prod in order)");
	else if (l && n == 0)
		plan_ld_error(ld, l, "'environments' is empty; list the chain in order, e.g. dev, sit, prod");
	strmap_init(&p->maps->envs, ld->a, n);
	p->envs = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->envs));
	for (size_t i = 0; i < n; i++) {
		struct plan_env *e = &p->envs[p->nenvs];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "environments"), *f;
		char where[160];
		if (!m)
			continue;
		e->loc = ynode_loc(m);
		e->name = entry_id(ld, m, "name", "environment", &p->maps->envs, (int)p->nenvs);
		entry_name(where, sizeof(where), "environment", "environments", e->name, i);
		check_keys(ld, m, KEYS("name", "title", "account", "soak", "success", "freeze",
				"freeze_override", "promoters"),
			   where);
		if (!e->name)
			continue;
		p->nenvs++;
		if (!get_string(ld, field(m, "title"), "title", &e->title))
			e->title = upper(ld->a, e->name);
		get_string(ld, field(m, "account"), "account", &e->account);
		if (get_duration(ld, field(m, "soak"), "soak", &e->soak))
			e->has_soak = e->soak > 0;
		get_refs(ld, field(m, "success"), "success", &e->success);
		get_strlist(ld, field(m, "freeze_override"), "freeze_override", &e->freeze_override,
			    &e->nfreeze_override, NULL);
		get_strlist(ld, field(m, "promoters"), "promoters", &e->promoters, &e->npromoters,
			    &e->promoter_locs);
		f = field(m, "freeze");
		if (f && want_kind(ld, f, YN_SEQ, "freeze")) {
			e->freeze = arena_alloc(ld->a, (f->n ? f->n : 1) * sizeof(*e->freeze));
			for (size_t j = 0; j < f->n; j++) {
				const struct ynode *w = entry_map(ld, f->u.kids[j], "freeze");
				struct plan_freeze *fz = &e->freeze[e->nfreeze];
				char fw[200];
				bool ok;
				if (!w)
					continue;
				snprintf(fw, sizeof(fw), "a freeze of environment '%s'", e->name);
				check_keys(ld, w, KEYS("from", "to", "why"), fw);
				required(ld, w, "from", fw);
				required(ld, w, "to", fw);
				fz->loc = ynode_loc(w);
				ok = get_time(ld, field(w, "from"), "from", &fz->from);
				ok = get_time(ld, field(w, "to"), "to", &fz->to) && ok;
				get_string(ld, field(w, "why"), "why", &fz->why);
				if (ok && fz->to <= fz->from)
					plan_ld_error(ld, field(w, "to"),
						      "freeze of environment '%s' ends before it starts",
						      e->name);
				e->nfreeze++;
			}
		}
	}
}

static void load_people(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "people", &n);

	strmap_init(&p->maps->people, ld->a, n);
	p->people = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->people));
	for (size_t i = 0; i < n; i++) {
		struct plan_person *pe = &p->people[p->npeople];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "people");
		char where[160];
		if (!m)
			continue;
		pe->loc = ynode_loc(m);
		pe->id = entry_id(ld, m, "id", "person", &p->maps->people, (int)p->npeople);
		entry_name(where, sizeof(where), "person", "people", pe->id, i);
		check_keys(ld, m, KEYS("id", "name", "email", "roles", "login", "db_user", "tbd", "slack"),
			   where);
		if (!pe->id)
			continue;
		if (!strcmp(pe->id, "import"))
			plan_ld_error(ld, field(m, "id"),
				      "the person id 'import' is tollgate's own: `tollgate import --state` "
				      "approves as it, and nobody else may; choose another id");
		p->npeople++;
		if (!get_string(ld, field(m, "name"), "name", &pe->name))
			pe->name = pe->id;
		get_string(ld, field(m, "email"), "email", &pe->email);
		get_string(ld, field(m, "slack"), "slack", &pe->slack);
		get_strlist(ld, field(m, "roles"), "roles", &pe->roles, &pe->nroles, NULL);
		get_strlist(ld, field(m, "login"), "login", &pe->logins, &pe->nlogins, &pe->login_locs);
		for (size_t j = 0; j < pe->nlogins; j++)
			user_name_ok(ld, pe->login_locs[j], "login", pe->logins[j]);
		if (get_string(ld, field(m, "db_user"), "db_user", &pe->db_user) &&
		    !user_name_ok(ld, ynode_loc(field(m, "db_user")), "db_user", pe->db_user))
			pe->db_user = NULL;
		get_bool(ld, field(m, "tbd"), "tbd", &pe->tbd);
		if (pe->tbd && (pe->nlogins || pe->db_user))
			plan_ld_error(ld, field(m, pe->nlogins ? "login" : "db_user"),
				      "person '%s' is a placeholder (tbd: true) and never acts; drop its '%s' or its 'tbd'",
				      pe->id, pe->nlogins ? "login" : "db_user");
	}
}

static void load_waves(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "waves", &n);

	if (!map_get(ld->root, "waves"))
		plan_ld_errorl(ld, (struct plan_loc){ 1, 1 },
			       "missing required key 'waves' (every project belongs to one wave)");
	strmap_init(&p->maps->waves, ld->a, n);
	p->waves = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->waves));
	for (size_t i = 0; i < n; i++) {
		struct plan_wave *w = &p->waves[p->nwaves];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "waves"), *f;
		char where[160];
		if (!m)
			continue;
		w->loc = ynode_loc(m);
		w->after_wave = -1;
		w->after_env = -1;
		w->id = entry_id(ld, m, "id", "wave", &p->maps->waves, (int)p->nwaves);
		entry_name(where, sizeof(where), "wave", "waves", w->id, i);
		check_keys(ld, m, KEYS("id", "title", "window", "prerequisites", "after", "notes"),
			   where);
		if (!w->id)
			continue;
		p->nwaves++;
		get_string(ld, field(m, "title"), "title", &w->title);
		get_string(ld, field(m, "notes"), "notes", &w->notes);
		get_refs(ld, field(m, "prerequisites"), "prerequisites", &w->prerequisites);
		f = field(m, "window");
		if (f && want_kind(ld, f, YN_MAP, "window")) {
			char ww[200];
			bool ok;
			snprintf(ww, sizeof(ww), "'window' of wave '%s'", w->id);
			check_keys(ld, f, KEYS("from", "to"), ww);
			required(ld, f, "from", ww);
			required(ld, f, "to", ww);
			ok = get_date(ld, field(f, "from"), "from", &w->window_from);
			ok = get_date(ld, field(f, "to"), "to", &w->window_to) && ok;
			if (ok && w->window_to < w->window_from)
				plan_ld_error(ld, field(f, "to"),
					      "window of wave '%s' ends before it starts", w->id);
			w->has_window = ok;
		}
		f = field(m, "after");
		if (f && want_kind(ld, f, YN_MAP, "after")) {
			char ww[200];
			snprintf(ww, sizeof(ww), "'after' of wave '%s'", w->id);
			check_keys(ld, f, KEYS("wave", "env"), ww);
			required(ld, f, "wave", ww);
			required(ld, f, "env", ww);
			w->after_loc = ynode_loc(f);
			if (field(f, "wave") && get_id(ld, field(f, "wave"), "wave", &w->after_wave_id))
				w->after_loc = ynode_loc(field(f, "wave"));
			snprintf(ww, sizeof(ww), "wave '%s'", w->id);
			if (field(f, "env"))
				w->after_env = env_ref(ld, field(f, "env"), "env", ww, &w->after_env_id);
		}
	}
}

/* The keys `defaults: {projects: …}` may give every project. */
#define PROJECT_DEFAULT_KEYS "owner", "wave", "targets", "deploy", "verify", "rollback", "timeout"

/* A project's wave, given where it was written (for the error). */
static void project_wave(struct loader *ld, const struct ynode *f, struct plan_project *pr,
			 const char *whose)
{
	struct plan *p = ld->p;
	if (!get_id(ld, f, "wave", &pr->wave_id))
		return;
	pr->wave = plan_wave_index(p, pr->wave_id);
	if (pr->wave < 0) {
		const char *best = ld->nsuggest++ > 200 ? NULL : plan_suggest_wave(p, pr->wave_id);
		if (best)
			plan_ld_error(ld, f, "%s is in unknown wave '%s'; did you mean '%s'?", whose,
				      pr->wave_id, best);
		else
			plan_ld_error(ld, f, "%s is in unknown wave '%s'", whose, pr->wave_id);
	}
}

/* targets: {env: date}, and base's (the defaults') for the envs f does not
 * name. */
static void project_targets(struct loader *ld, const struct ynode *f, struct plan_project *pr,
			    const char *where, const struct plan_project *base)
{
	size_t cap = (f && f->kind == YN_MAP ? f->n : 0) + (base ? base->ntargets : 0);
	pr->ntargets = 0;
	pr->targets = NULL;
	if (f && !want_kind(ld, f, YN_MAP, "targets"))
		f = NULL;
	if (!cap)
		return;
	pr->targets = arena_alloc(ld->a, cap * sizeof(*pr->targets));
	for (size_t j = 0; f && j < f->n; j++) {
		const struct ynode *k = f->u.kids[2 * j], *v = f->u.kids[2 * j + 1];
		struct plan_target *t = &pr->targets[pr->ntargets];
		int env;
		if (k->kind != YN_SCALAR ||
		    (plan_is_annotation(k->u.str) && plan_env_index(ld->p, k->u.str) < 0))
			continue;
		env = env_ref(ld, k, "targets", where, NULL);
		if (!get_date(ld, v, "targets", &t->date) || env < 0)
			continue;
		t->env = env;
		t->loc = ynode_loc(k);
		pr->ntargets++;
	}
	for (size_t j = 0; base && j < base->ntargets; j++) {
		bool own = false;
		for (size_t k = 0; k < pr->ntargets && !own; k++)
			own = pr->targets[k].env == base->targets[j].env;
		if (!own)
			pr->targets[pr->ntargets++] = base->targets[j];
	}
}

/*
 * defaults: {projects: {owner, wave, targets, deploy, verify, rollback,
 * timeout}}: what a project that does not say otherwise has. Loaded once,
 * so a bad default is reported once, where it is written.
 */
static void load_project_defaults(struct loader *ld, struct plan_project *d, bool *has_wave)
{
	const struct ynode *m = field(ld->root, "defaults"), *pm, *f;

	memset(d, 0, sizeof(*d));
	d->wave = -1;
	d->timeout = PLAN_TIMEOUT_DEFAULT;
	*has_wave = false;
	if (!m || !want_kind(ld, m, YN_MAP, "defaults"))
		return;
	check_keys(ld, m, KEYS("projects"), "'defaults'");
	pm = field(m, "projects");
	if (!pm || !want_kind(ld, pm, YN_MAP, "projects"))
		return;
	check_keys(ld, pm, KEYS(PROJECT_DEFAULT_KEYS), "'projects' of 'defaults'");
	get_string(ld, field(pm, "owner"), "owner", &d->owner);
	get_string(ld, field(pm, "deploy"), "deploy", &d->deploy);
	get_string(ld, field(pm, "verify"), "verify", &d->verify);
	get_string(ld, field(pm, "rollback"), "rollback", &d->rollback);
	get_step_timeout(ld, field(pm, "timeout"), &d->timeout);
	f = field(pm, "wave");
	if (f) {
		project_wave(ld, f, d, "'defaults' of projects");
		*has_wave = true; /* an unknown one is reported here, once */
	}
	project_targets(ld, field(pm, "targets"), d, "'defaults' of projects", NULL);
}

/* A project's string key: its own value when the key is written (null:
 * none, overriding the default), else the default. */
static void project_string(struct loader *ld, const struct ynode *m, const char *key,
			   const char *dflt, const char **out)
{
	const struct ynode *v = map_get(m, key);
	*out = v ? NULL : dflt;
	if (v && !ynode_is_null(v))
		get_string(ld, v, key, out);
}

static void load_projects(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "projects", &n);
	struct plan_project dflt;
	bool dflt_wave;
	const struct ynode *tv;

	if (!map_get(ld->root, "projects"))
		plan_ld_errorl(ld, (struct plan_loc){ 1, 1 },
			       "missing required key 'projects' (the units that are promoted)");
	strmap_init(&p->maps->projects, ld->a, n);
	p->projects = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->projects));
	load_project_defaults(ld, &dflt, &dflt_wave);
	for (size_t i = 0; i < n; i++) {
		struct plan_project *pr = &p->projects[p->nprojects];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "projects"), *f;
		char where[160];
		if (!m)
			continue;
		pr->loc = ynode_loc(m);
		pr->wave = -1;
		pr->id = entry_id(ld, m, "id", "project", &p->maps->projects, (int)p->nprojects);
		entry_name(where, sizeof(where), "project", "projects", pr->id, i);
		check_keys(ld, m, KEYS("id", "title", "depends_on", "doc", PROJECT_DEFAULT_KEYS),
			   where);
		if (!pr->id)
			continue;
		p->nprojects++;
		get_string(ld, field(m, "title"), "title", &pr->title);
		get_string(ld, field(m, "doc"), "doc", &pr->doc);
		project_string(ld, m, "owner", dflt.owner, &pr->owner);
		project_string(ld, m, "deploy", dflt.deploy, &pr->deploy);
		project_string(ld, m, "verify", dflt.verify, &pr->verify);
		project_string(ld, m, "rollback", dflt.rollback, &pr->rollback);
		if (map_get(m, "timeout"))
			get_step_timeout(ld, field(m, "timeout"), &pr->timeout);
		else
			pr->timeout = dflt.timeout;
		get_refs(ld, field(m, "depends_on"), "depends_on", &pr->depends_on);
		f = field(m, "wave");
		if (f) {
			project_wave(ld, f, pr, where);
		} else if (dflt_wave) {
			pr->wave = dflt.wave;
			pr->wave_id = dflt.wave_id;
		} else {
			plan_ld_error(ld, m, "project '%s' has no 'wave'; every project belongs to one wave",
				      pr->id);
		}
		/* own targets replace the defaults' env by env; `targets: null`, none */
		tv = map_get(m, "targets");
		project_targets(ld, ynode_is_null(tv) ? NULL : tv, pr, where,
				tv && ynode_is_null(tv) ? NULL : &dflt);
	}
}

/* A gate's `scope`: versions (the default) or plan. */
static void gate_scope(struct loader *ld, const struct ynode *n, bool *plan_scope)
{
	static const char *const names[] = { "versions", "plan", NULL };
	const char *s;
	*plan_scope = false;
	if (!get_string(ld, n, "scope", &s))
		return;
	if (!strcmp(s, "plan")) {
		*plan_scope = true;
		return;
	}
	if (!strcmp(s, "versions"))
		return;
	if (suggest_key(s, names))
		plan_ld_error(ld, n, "unknown scope '%.80s'; did you mean '%s'?", s,
			      suggest_key(s, names));
	else
		plan_ld_error(ld, n, "unknown scope '%.80s'; use versions (each project's candidate "
				     "version, the default) or plan (the plan as a whole)", s);
}

static void load_gates(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "gates", &n);

	strmap_init(&p->maps->gates, ld->a, n);
	p->gates = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->gates));
	for (size_t i = 0; i < n; i++) {
		struct plan_gate *g = &p->gates[p->ngates];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "gates"), *f;
		char where[160];
		if (!m)
			continue;
		g->loc = ynode_loc(m);
		g->before_env = -1;
		g->id = entry_id(ld, m, "id", "gate", &p->maps->gates, (int)p->ngates);
		entry_name(where, sizeof(where), "gate", "gates", g->id, i);
		check_keys(ld, m, KEYS("id", "title", "location", "approvers", "criteria", "before",
				"scope", "expires"),
			   where);
		if (!g->id)
			continue;
		p->ngates++;
		get_string(ld, field(m, "title"), "title", &g->title);
		get_string(ld, field(m, "location"), "location", &g->location);
		f = field(m, "approvers");
		if (!f)
			plan_ld_error(ld, m, "missing required key 'approvers' in %s", where);
		get_strlist(ld, f, "approvers", &g->approvers, &g->napprovers, &g->approver_locs);
		for (size_t j = 0; j < g->napprovers; j++)
			for (size_t k = 0; k < j; k++)
				if (!strcmp(g->approvers[j], g->approvers[k]))
					plan_ld_errorl(ld, g->approver_locs[j],
						       "role '%s' is listed twice in the approvers of gate '%s'",
						       g->approvers[j], g->id);
		get_refs(ld, field(m, "criteria"), "criteria", &g->criteria);
		gate_scope(ld, field(m, "scope"), &g->scope_plan);
		if (get_duration(ld, field(m, "expires"), "expires", &g->expires) && g->expires <= 0)
			plan_ld_error(ld, field(m, "expires"),
				      "'expires' of gate '%s' must be longer than 0s; leave it out for "
				      "approvals that never expire", g->id);
		f = field(m, "before");
		if (!f)
			plan_ld_error(ld, m, "missing required key 'before' in %s (the environment it guards)",
				      where);
		else
			get_scope(ld, f, "before", where, true, &g->before_env, &g->before_env_id,
				  &g->waves);
	}
}

static void load_items(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "checklist", &n);

	strmap_init(&p->maps->items, ld->a, n);
	p->items = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->items));
	for (size_t i = 0; i < n; i++) {
		struct plan_item *it = &p->items[p->nitems];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "checklist"), *f;
		char where[160];
		if (!m)
			continue;
		it->loc = ynode_loc(m);
		it->applies_env = -1;
		it->timeout = PLAN_TIMEOUT_DEFAULT;
		it->id = entry_id(ld, m, "id", "checklist item", &p->maps->items, (int)p->nitems);
		entry_name(where, sizeof(where), "checklist item", "checklist", it->id, i);
		check_keys(ld, m, KEYS("id", "text", "category", "applies", "check", "timeout", "by"),
			   where);
		if (!it->id)
			continue;
		p->nitems++;
		required(ld, m, "text", where);
		get_string(ld, field(m, "text"), "text", &it->text);
		get_string(ld, field(m, "category"), "category", &it->category);
		get_string(ld, field(m, "check"), "check", &it->check);
		get_step_timeout(ld, field(m, "timeout"), &it->timeout);
		get_strlist(ld, field(m, "by"), "by", &it->by, &it->nby, &it->by_locs);
		f = field(m, "applies");
		if (f) {
			it->has_applies = true;
			get_scope(ld, f, "applies", where, false, &it->applies_env, NULL,
				  &it->applies_waves);
		}
	}
}

static void load_blockers(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "blockers", &n);

	strmap_init(&p->maps->blockers, ld->a, n);
	p->blockers = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->blockers));
	for (size_t i = 0; i < n; i++) {
		struct plan_blocker *b = &p->blockers[p->nblockers];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "blockers"), *f;
		char where[160];
		if (!m)
			continue;
		b->loc = ynode_loc(m);
		b->blocks_env = -1;
		b->id = entry_id(ld, m, "id", "blocker", &p->maps->blockers, (int)p->nblockers);
		entry_name(where, sizeof(where), "blocker", "blockers", b->id, i);
		check_keys(ld, m, KEYS("id", "text", "progress", "owner", "due", "impact",
				       "mitigation", "blocks"), where);
		if (!b->id)
			continue;
		p->nblockers++;
		required(ld, m, "text", where);
		get_string(ld, field(m, "text"), "text", &b->text);
		get_int(ld, field(m, "progress"), "progress", 0, 100, &b->progress);
		get_string(ld, field(m, "owner"), "owner", &b->owner);
		get_date(ld, field(m, "due"), "due", &b->due);
		get_string(ld, field(m, "impact"), "impact", &b->impact);
		get_string(ld, field(m, "mitigation"), "mitigation", &b->mitigation);
		f = field(m, "blocks");
		if (f)
			get_scope(ld, f, "blocks", where, true, &b->blocks_env, NULL, &b->blocks_waves);
	}
}

static void load_risks(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "risks", &n);
	struct strmap ids;

	strmap_init(&ids, ld->a, n);
	p->risks = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->risks));
	for (size_t i = 0; i < n; i++) {
		struct plan_risk *r = &p->risks[p->nrisks];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "risks"), *f;
		char where[160];
		if (!m)
			continue;
		r->loc = ynode_loc(m);
		r->id = entry_id(ld, m, "id", "risk", &ids, (int)p->nrisks);
		entry_name(where, sizeof(where), "risk", "risks", r->id, i);
		check_keys(ld, m, KEYS("id", "text", "severity", "projects", "scope", "mitigation",
				       "owner"), where);
		if (!r->id)
			continue;
		p->nrisks++;
		required(ld, m, "text", where);
		required(ld, m, "severity", where);
		r->severity = SEV_LOW;
		get_string(ld, field(m, "text"), "text", &r->text);
		severity(ld, field(m, "severity"), "severity", &r->severity);
		get_string(ld, field(m, "scope"), "scope", &r->scope);
		get_string(ld, field(m, "mitigation"), "mitigation", &r->mitigation);
		get_string(ld, field(m, "owner"), "owner", &r->owner);
		f = field(m, "projects");
		if (f && f->kind == YN_SCALAR && !strcmp(f->u.str, "all"))
			r->all_projects = true;
		else
			get_refs(ld, f, "projects", &r->projects);
	}
}

static void load_triggers(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "triggers", &n);

	strmap_init(&p->maps->triggers, ld->a, n);
	p->triggers = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->triggers));
	for (size_t i = 0; i < n; i++) {
		struct plan_trigger *t = &p->triggers[p->ntriggers];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "triggers");
		char where[160];
		if (!m)
			continue;
		t->loc = ynode_loc(m);
		t->level = 1;
		t->timeout = PLAN_TIMEOUT_DEFAULT;
		t->every = PLAN_TRIGGER_EVERY_DEFAULT;
		t->id = entry_id(ld, m, "id", "trigger", &p->maps->triggers, (int)p->ntriggers);
		entry_name(where, sizeof(where), "trigger", "triggers", t->id, i);
		check_keys(ld, m, KEYS("id", "text", "measure", "above", "below", "envs", "level",
				       "timeout", "every"), where);
		if (!t->id)
			continue;
		p->ntriggers++;
		required(ld, m, "text", where);
		get_string(ld, field(m, "text"), "text", &t->text);
		get_string(ld, field(m, "measure"), "measure", &t->measure);
		t->has_above = get_number(ld, field(m, "above"), "above", &t->above);
		t->has_below = get_number(ld, field(m, "below"), "below", &t->below);
		get_int(ld, field(m, "level"), "level", 1, 3, &t->level);
		get_step_timeout(ld, field(m, "timeout"), &t->timeout);
		if (get_duration(ld, field(m, "every"), "every", &t->every) && t->every <= 0) {
			plan_ld_error(ld, field(m, "every"),
				      "trigger '%s' has 'every: 0s'; say how often the server measures "
				      "it, e.g. 5m",
				      t->id);
			t->every = PLAN_TRIGGER_EVERY_DEFAULT;
		}
		env_refs(ld, field(m, "envs"), "envs", where, &t->envs);
		if (t->measure && !field(m, "above") && !field(m, "below"))
			plan_ld_error(ld, field(m, "measure"),
				      "trigger '%s' has a 'measure' but neither 'above' nor 'below'; say when it is breached",
				      t->id);
	}
}

static void load_milestones(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "milestones", &n);

	p->milestones = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->milestones));
	for (size_t i = 0; i < n; i++) {
		struct plan_milestone *ms = &p->milestones[p->nmilestones];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "milestones");
		char where[64];
		if (!m)
			continue;
		entry_name(where, sizeof(where), "milestone", "milestones", NULL, i);
		check_keys(ld, m, KEYS("date", "until", "text", "env", "wave", "projects"), where);
		required(ld, m, "date", where);
		required(ld, m, "text", where);
		ms->loc = ynode_loc(m);
		ms->env = -1;
		if (field(m, "env"))
			ms->env = env_ref(ld, field(m, "env"), "env", where, &ms->env_id);
		get_refs(ld, field(m, "wave"), "wave", &ms->waves);
		get_refs(ld, field(m, "projects"), "projects", &ms->projects);
		if (!field(m, "env") && (ms->waves.n || ms->projects.n))
			plan_ld_error(ld, m, "%s names promotions ('wave' or 'projects') but no 'env'",
				      where);
		get_date(ld, field(m, "date"), "date", &ms->date);
		if (get_date(ld, field(m, "until"), "until", &ms->until) && ms->date &&
		    ms->until < ms->date)
			plan_ld_error(ld, field(m, "until"), "milestone ends before it starts");
		get_string(ld, field(m, "text"), "text", &ms->text);
		p->nmilestones++;
	}
}

static void load_tables(struct loader *ld)
{
	struct plan *p = ld->p;
	const struct ynode *l, *m;
	size_t n;
	char where[64];

	l = top_list(ld, "resources", &n);
	p->resources = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->resources));
	for (size_t i = 0; i < n; i++) {
		struct plan_resource *r = &p->resources[p->nresources];
		if (!(m = entry_map(ld, l->u.kids[i], "resources")))
			continue;
		entry_name(where, sizeof(where), "resource", "resources", NULL, i);
		check_keys(ld, m, KEYS("role", "person", "availability", "responsibility"), where);
		r->loc = ynode_loc(m);
		get_string(ld, field(m, "role"), "role", &r->role);
		get_string(ld, field(m, "person"), "person", &r->person);
		get_string(ld, field(m, "availability"), "availability", &r->availability);
		get_string(ld, field(m, "responsibility"), "responsibility", &r->responsibility);
		p->nresources++;
	}

	l = top_list(ld, "escalation", &n);
	p->escalation = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->escalation));
	for (size_t i = 0; i < n; i++) {
		struct plan_escalation *e = &p->escalation[p->nescalation];
		if (!(m = entry_map(ld, l->u.kids[i], "escalation")))
			continue;
		entry_name(where, sizeof(where), "escalation", "escalation", NULL, i);
		check_keys(ld, m, KEYS("level", "name", "action", "notify", "channels"), where);
		required(ld, m, "level", where);
		e->loc = ynode_loc(m);
		get_int(ld, field(m, "level"), "level", 1, 3, &e->level);
		get_string(ld, field(m, "name"), "name", &e->name);
		get_string(ld, field(m, "action"), "action", &e->action);
		get_string(ld, field(m, "notify"), "notify", &e->notify);
		get_strlist(ld, field(m, "channels"), "channels", &e->channels, &e->nchannels,
			    &e->channel_locs);
		p->nescalation++;
	}

	l = top_list(ld, "rollback_procedure", &n);
	p->rollback_steps = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->rollback_steps));
	for (size_t i = 0; i < n; i++) {
		struct plan_step *s = &p->rollback_steps[p->nrollback_steps];
		if (!(m = entry_map(ld, l->u.kids[i], "rollback_procedure")))
			continue;
		entry_name(where, sizeof(where), "step", "rollback_procedure", NULL, i);
		check_keys(ld, m, KEYS("step", "text", "channels"), where);
		get_string(ld, field(m, "step"), "step", &s->title);
		get_string(ld, field(m, "text"), "text", &s->text);
		get_strlist(ld, field(m, "channels"), "channels", &s->channels, &s->nchannels,
			    &s->channel_locs);
		p->nrollback_steps++;
	}

	l = top_list(ld, "communication", &n);
	p->comms = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->comms));
	for (size_t i = 0; i < n; i++) {
		struct plan_comm *c = &p->comms[p->ncomms];
		if (!(m = entry_map(ld, l->u.kids[i], "communication")))
			continue;
		entry_name(where, sizeof(where), "communication", "communication", NULL, i);
		check_keys(ld, m, KEYS("title", "time", "duration", "frequency", "channel",
				       "attendees", "format"), where);
		c->loc = ynode_loc(m);
		get_string(ld, field(m, "title"), "title", &c->title);
		get_string(ld, field(m, "time"), "time", &c->time);
		get_string(ld, field(m, "duration"), "duration", &c->duration);
		get_string(ld, field(m, "frequency"), "frequency", &c->frequency);
		get_string(ld, field(m, "channel"), "channel", &c->channel);
		get_strlist(ld, field(m, "attendees"), "attendees", &c->attendees, &c->nattendees,
			    NULL);
		get_strlist(ld, field(m, "format"), "format", &c->format, &c->nformat, NULL);
		p->ncomms++;
	}

	l = top_list(ld, "post_promotion", &n);
	p->post = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->post));
	for (size_t i = 0; i < n; i++) {
		struct plan_activity_group *g = &p->post[p->npost];
		const struct ynode *f;
		if (!(m = entry_map(ld, l->u.kids[i], "post_promotion")))
			continue;
		entry_name(where, sizeof(where), "post_promotion", "post_promotion", NULL, i);
		check_keys(ld, m, KEYS("title", "after", "items"), where);
		g->loc = ynode_loc(m);
		g->after_env = -1;
		get_string(ld, field(m, "title"), "title", &g->title);
		f = field(m, "after");
		if (f)
			get_scope(ld, f, "after", where, false, &g->after_env, NULL, &g->waves);
		get_refs(ld, field(m, "items"), "items", &g->items);
		p->npost++;
	}

	l = top_list(ld, "changelog", &n);
	p->changes = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->changes));
	for (size_t i = 0; i < n; i++) {
		struct plan_change *c = &p->changes[p->nchanges];
		if (!(m = entry_map(ld, l->u.kids[i], "changelog")))
			continue;
		entry_name(where, sizeof(where), "changelog", "changelog", NULL, i);
		check_keys(ld, m, KEYS("date", "change", "author"), where);
		get_date(ld, field(m, "date"), "date", &c->date);
		get_string(ld, field(m, "change"), "change", &c->change);
		get_string(ld, field(m, "author"), "author", &c->author);
		p->nchanges++;
	}

	l = top_list(ld, "next_steps", &n);
	p->next = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->next));
	for (size_t i = 0; i < n; i++) {
		struct plan_next_steps *s = &p->next[p->nnext];
		if (!(m = entry_map(ld, l->u.kids[i], "next_steps")))
			continue;
		entry_name(where, sizeof(where), "next_steps", "next_steps", NULL, i);
		check_keys(ld, m, KEYS("title", "items"), where);
		get_string(ld, field(m, "title"), "title", &s->title);
		get_strlist(ld, field(m, "items"), "items", &s->items, &s->nitems, NULL);
		p->nnext++;
	}

	l = top_list(ld, "notes", &n);
	p->notes = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->notes));
	for (size_t i = 0; i < n; i++) {
		struct plan_note *no = &p->notes[p->nnotes];
		if (!(m = entry_map(ld, l->u.kids[i], "notes")))
			continue;
		entry_name(where, sizeof(where), "notes", "notes", NULL, i);
		check_keys(ld, m, KEYS("title", "text"), where);
		required(ld, m, "title", where);
		required(ld, m, "text", where);
		get_string(ld, field(m, "title"), "title", &no->title);
		get_string(ld, field(m, "text"), "text", &no->text);
		no->loc = ynode_loc(m);
		p->nnotes++;
	}
}

/* moved: [{project: ledger, to: ledger-svc}, {env: prod-eu, to: prod-emea}] —
 * whether the ids exist is plan-validate.c's */
static void load_moved(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = top_list(ld, "moved", &n);

	p->moved = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->moved));
	for (size_t i = 0; i < n; i++) {
		struct plan_moved *mv = &p->moved[p->nmoved];
		const struct ynode *m = entry_map(ld, l->u.kids[i], "moved"), *from = NULL, *to;
		enum plan_kind kind = PLAN_KIND_PROJECT;
		int nkinds = 0;
		char where[64];

		if (!m)
			continue;
		entry_name(where, sizeof(where), "moved", "moved", NULL, i);
		check_keys(ld, m, KEYS("project", "env", "gate", "item", "wave", "blocker", "to"),
			   where);
		for (int k = 0; k < PLAN_KIND_COUNT; k++) {
			const struct ynode *f = field(m, plan_kind_key((enum plan_kind)k));
			if (!f)
				continue;
			if (nkinds++) {
				plan_ld_error(ld, f,
					      "%s names two ids ('%s' and '%s'); one renamed id per entry",
					      where, plan_kind_key(kind), plan_kind_key((enum plan_kind)k));
				continue;
			}
			kind = (enum plan_kind)k;
			from = f;
		}
		if (!nkinds) {
			plan_ld_error(ld, m,
				      "%s names no id; write {project: OLD, to: NEW} (or env, gate, item, "
				      "wave, blocker)",
				      where);
			continue;
		}
		to = field(m, "to");
		if (!to) {
			plan_ld_error(ld, m, "missing required key 'to' in %s (the %s's new id)", where,
				      plan_kind_name(kind));
			continue;
		}
		if (nkinds > 1 || !get_id(ld, from, plan_kind_key(kind), &mv->from) ||
		    !get_id(ld, to, "to", &mv->to))
			continue;
		mv->kind = kind;
		mv->loc = ynode_loc(from);
		mv->to_loc = ynode_loc(to);
		p->nmoved++;
	}
}

/* secrets: [NAME, PREFIX*]: environment variables no step is given */
static void load_secrets(struct loader *ld)
{
	struct plan *p = ld->p;
	struct plan_loc *locs;

	get_strlist(ld, field(ld->root, "secrets"), "secrets", &p->secrets, &p->nsecrets, &locs);
	for (size_t i = 0; i < p->nsecrets; i++) {
		const char *s = p->secrets[i];
		size_t n = strlen(s), k = 0;
		bool ok = n > 0 && (isalpha((unsigned char)s[0]) || s[0] == '_');
		for (k = 0; ok && k < n; k++)
			ok = isalnum((unsigned char)s[k]) || s[k] == '_' || (s[k] == '*' && k == n - 1 && k > 0);
		if (!ok)
			plan_ld_errorl(ld, locs[i],
				       "secrets: '%s' is not an environment variable name (NAME, or PREFIX* for every name that starts so)",
				       s);
	}
}

void plan_map_tree(struct loader *ld)
{
	static const char *const top[] = {
		"version",    "plan",       "environments", "people",
		"waves",      "projects",   "gates",        "checklist",
		"blockers",   "risks",      "triggers",     "milestones",
		"notify",     "channels",   "schedules",    "notify_policy", "resources",  "escalation",   "rollback_procedure",
		"communication", "post_promotion", "changelog", "next_steps", "notes",
		"moved",      "secrets",    "identity",   "store_mode", "defaults", NULL,
	};
	struct plan *p = ld->p;

	p->maps = arena_alloc(ld->a, sizeof(*p->maps));
	if (ld->root->kind != YN_MAP) {
		plan_ld_error(ld, ld->root,
			      "a plan is a map of keys (version, plan, environments, waves, projects …), got %s",
			      ynode_describe(ld->root));
		ld->root = NULL;
		return;
	}
	for (size_t i = 0; i < ld->root->n; i++) {
		const struct ynode *k = ld->root->u.kids[2 * i];
		const char *s;
		bool known = false;
		if (k->kind != YN_SCALAR)
			continue;
		for (size_t j = 0; top[j] && !known; j++)
			known = !strcmp(top[j], k->u.str);
		if (known || plan_is_annotation(k->u.str))
			continue;
		s = suggest_key(k->u.str, top);
		if (s)
			plan_ld_error(ld, k, "unknown top-level key '%s'; did you mean '%s'?", k->u.str, s);
		else
			plan_ld_error(ld, k, "unknown top-level key '%s'", k->u.str);
	}
	load_header(ld);
	load_envs(ld);
	load_people(ld);
	if (!p->identity_set) {
		p->identity = IDENTITY_CLAIM;
		for (size_t i = 0; i < p->npeople; i++)
			if (p->people[i].nlogins)
				p->identity = IDENTITY_OS;
	}
	load_waves(ld);
	load_projects(ld);
	load_gates(ld);
	load_items(ld);
	load_blockers(ld);
	load_risks(ld);
	load_triggers(ld);
	load_milestones(ld);
	plan_load_notify(ld);
	load_secrets(ld);
	load_tables(ld);
	plan_check_alert_channels(ld);
	load_moved(ld);
}

/* The getters above, for the loader's other files (plan-notify.c). */
const struct ynode *plan_ld_field(const struct ynode *map, const char *key)
{
	return field(map, key);
}

void plan_ld_check_keys(struct loader *ld, const struct ynode *map, const char *const *keys,
			const char *where)
{
	check_keys(ld, map, keys, where);
}

bool plan_ld_string(struct loader *ld, const struct ynode *n, const char *key, const char **out)
{
	return get_string(ld, n, key, out);
}

bool plan_ld_id(struct loader *ld, const struct ynode *n, const char *key, const char **out)
{
	return get_id(ld, n, key, out);
}

bool plan_ld_int(struct loader *ld, const struct ynode *n, const char *key, long lo, long hi,
		 int *out)
{
	return get_int(ld, n, key, lo, hi, out);
}

bool plan_ld_duration(struct loader *ld, const struct ynode *n, const char *key, int64_t *out)
{
	return get_duration(ld, n, key, out);
}

void plan_ld_strlist(struct loader *ld, const struct ynode *n, const char *key,
		     const char ***out, size_t *nout, struct plan_loc **locs)
{
	get_strlist(ld, n, key, out, nout, locs);
}

void plan_ld_refs(struct loader *ld, const struct ynode *n, const char *key, struct plan_refs *r)
{
	get_refs(ld, n, key, r);
}

void plan_ld_env_refs(struct loader *ld, const struct ynode *n, const char *key,
		      const char *whose, struct plan_refs *r)
{
	env_refs(ld, n, key, whose, r);
}

const struct ynode *plan_ld_top_list(struct loader *ld, const char *key, size_t *n)
{
	return top_list(ld, key, n);
}

const struct ynode *plan_ld_entry_map(struct loader *ld, const struct ynode *n, const char *list)
{
	return entry_map(ld, n, list);
}

void plan_ld_required(struct loader *ld, const struct ynode *m, const char *key,
		      const char *where)
{
	required(ld, m, key, where);
}

const char *plan_ld_suggest_key(const char *word, const char *const *keys)
{
	return suggest_key(word, keys);
}
