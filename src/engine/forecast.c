/*
 * forecast.c - the forecast (forecast.h): one graph over the plan's cells
 * (project × environment) and, per wave × environment, a node standing for
 * "every project of the wave is healthy there" (what a wave `after` waits
 * for). Edges say what a start waits for: the project healthy one
 * environment down (source), a dependency soaking in the same environment
 * (depends_on), the wave it is after (wave_order). A pass in topological
 * order gives the earliest times; the reverse pass, from the targets, the
 * latest starts that keep them, from which each pending action's deadline
 * follows. O(cells + edges).
 */
#include "engine/forecast.h"

#include <stdlib.h>
#include <string.h>

#include "engine/ready.h"
#include "plan/plan.h"
#include "store/store.h"

#define NEVER INT64_MAX
#define DAY 86400
#define MAX_STEPS 4

enum edge_kind { EDGE_SOURCE, EDGE_DEP, EDGE_MEMBER, EDGE_AFTER };

/* What decided a planned start. */
enum decided { BY_NOW, BY_SOURCE, BY_DEP, BY_AFTER, BY_GROUP };

struct node {
	int64_t start, soak_at, healthy; /* soak_at: when it is soaking (dependents start) */
	int64_t latest;                  /* latest start keeping every target; NEVER none */
	int pred;                        /* the node that decided it, -1 none */
	int latest_target;               /* the cell whose target decided latest, -1 */
	bool planned;                    /* needs a promotion that has not started */
	bool soaks;                      /* healthy comes after a soak still to run */
	bool listed;                     /* not healthy yet */
	bool cond;
	bool done;                       /* reached by the topological pass */
	unsigned char nsteps;            /* of its steps in fc.steps */
};

/* What every project of wave w meets before entering env e (e >= 1). */
struct group {
	int64_t at;        /* latest of window, blockers, assumed gates and items; 0 none */
	const char *step;  /* what decides at */
	size_t nnotes;
	const char **notes; /* conditional assumptions */
	int64_t min_latest; /* over its cells that need a start */
	bool any;           /* a cell of it needs a start */
};

struct fc {
	const struct plan *p;
	const struct state *st;
	int64_t now;
	const struct forecast_assume *as;
	const int64_t *dur;
	struct arena *arena;
	size_t P, E, W, ncell, nnode;
	struct node *n;
	/* CSR adjacency of out-edges */
	size_t *off;
	int *to;
	unsigned char *kind;
	int *order; /* topological order; norder of nnode reached */
	size_t norder;
	struct group *g; /* [w * E + e] */
	int *members;    /* projects by wave, plan order: members[mfirst[w] … mfirst[w + 1]) */
	size_t *mfirst;
	const char **soak_step;  /* [env] "sit soak 24h", NULL without a soak */
	const char *pause;       /* an open incident of level >= 2 pauses every promotion */
	const char **incident;   /* [cell] an open incident on the project in env - 1; NULL */
	const char **after_step; /* [wave] "wave-2 after wave-1 in sit", NULL */
	/* [node] what its chain says of it; NULL without chains (the cells'
	 * steps are then neither made nor kept) */
	const char *(*steps)[MAX_STEPS];
};

const char *forecast_kind_name(enum forecast_kind k)
{
	switch (k) {
	case FORECAST_GATE: return "gate";
	case FORECAST_ITEM: return "item";
	case FORECAST_BLOCKER: return "blocker";
	}
	return "?";
}

/* ---- assumptions ----------------------------------------------------------- */

void forecast_assume_init(struct forecast_assume *a, const struct plan *p)
{
	memset(a, 0, sizeof(*a));
	a->blocker_at = xcalloc(p->nblockers + 1, sizeof(*a->blocker_at));
	a->gate_at = xcalloc(p->ngates + 1, sizeof(*a->gate_at));
	a->item_at = xcalloc(p->nitems + 1, sizeof(*a->item_at));
	a->soak = xcalloc(p->nenvs + 1, sizeof(*a->soak));
	for (size_t i = 0; i < p->nenvs; i++)
		a->soak[i] = -1;
}

void forecast_assume_release(struct forecast_assume *a)
{
	free(a->blocker_at);
	free(a->gate_at);
	free(a->item_at);
	free(a->soak);
	memset(a, 0, sizeof(*a));
}

static int assume_id(const struct plan *p, enum plan_kind k, const char *id, const char *spec,
		     struct err *e)
{
	int i = plan_kind_index(p, k, id);
	if (i < 0) {
		const char *near = plan_kind_suggest(p, k, id);
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"--assume '%s': no %s '%s' in the plan%s%s%s", spec, plan_kind_name(k),
				id, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
	}
	return i;
}

int forecast_assume_parse(struct forecast_assume *a, const struct plan *p, const char *spec,
			  struct err *e)
{
	char *kind = xstrdup(spec), *id, *val;
	int64_t t;
	int i, rc = -1;

	id = strchr(kind, ':');
	if (!id) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "--assume '%s': expected KIND:ID=VALUE (blocker:ID=DATE, gate:ID=DATE, "
			 "item:ID=DATE, soak:ENV=DURATION) or freeze:none", spec);
		goto out;
	}
	*id++ = '\0';
	if (!strcmp(kind, "freeze")) {
		if (strcmp(id, "none")) {
			err_setr(e, ERR_USAGE, REASON_INVALID,
				 "--assume '%s': freezes have no ids; only freeze:none is known", spec);
			goto out;
		}
		a->no_freeze = true;
		rc = 0;
		goto out;
	}
	val = strchr(id, '=');
	if (!val || !*id || !val[1]) {
		err_setr(e, ERR_USAGE, REASON_INVALID, "--assume '%s': expected %s:ID=VALUE", spec,
			 kind);
		goto out;
	}
	*val++ = '\0';
	if (!strcmp(kind, "soak")) {
		if ((i = assume_id(p, PLAN_KIND_ENV, id, spec, e)) < 0)
			goto out;
		if (util_parse_duration(val, &t) < 0) {
			err_setr(e, ERR_USAGE, REASON_INVALID,
				 "--assume '%s': '%s' is not a duration; use e.g. 48h", spec, val);
			goto out;
		}
		a->soak[i] = t;
		rc = 0;
		goto out;
	}
	if (strcmp(kind, "blocker") && strcmp(kind, "gate") && strcmp(kind, "item")) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "--assume '%s': unknown kind '%s'; use blocker, gate, item, soak or freeze",
			 spec, kind);
		goto out;
	}
	if (util_parse_time(val, &t) < 0) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "--assume '%s': '%s' is not a date; use e.g. 2026-01-12 or "
			 "2026-01-12T09:00:00Z", spec, val);
		goto out;
	}
	if (!strcmp(kind, "blocker")) {
		if ((i = assume_id(p, PLAN_KIND_BLOCKER, id, spec, e)) < 0)
			goto out;
		a->blocker_at[i] = t;
	} else if (!strcmp(kind, "gate")) {
		if ((i = assume_id(p, PLAN_KIND_GATE, id, spec, e)) < 0)
			goto out;
		a->gate_at[i] = t;
	} else {
		if ((i = assume_id(p, PLAN_KIND_ITEM, id, spec, e)) < 0)
			goto out;
		a->item_at[i] = t;
	}
	rc = 0;
out:
	free(kind);
	return rc;
}

/* ---- helpers --------------------------------------------------------------- */

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t soak_of(const struct fc *c, int env)
{
	if (c->as && c->as->soak && c->as->soak[env] >= 0)
		return c->as->soak[env];
	return c->p->envs[env].soak;
}

static int64_t dur_of(const struct fc *c, int project)
{
	return c->dur ? c->dur[project] : FORECAST_DURATION_DEFAULT;
}

/* "Jan 10", or "Jan 10 09:30" when not midnight. */
static char *when(int64_t t, char *buf, size_t n)
{
	char d[32];
	int64_t s = ((t % DAY) + DAY) % DAY;
	util_fmt_short_date(t, false, d, sizeof(d));
	if (s)
		snprintf(buf, n, "%s %02d:%02d", d, (int)(s / 3600), (int)(s / 60 % 60));
	else
		snprintf(buf, n, "%s", d);
	return buf;
}

static const char *astr(struct fc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static const char *astr(struct fc *c, const char *fmt, ...)
{
	va_list ap;
	char *s, *r;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	r = arena_strdup(c->arena, s);
	free(s);
	return r;
}

static void add_step(struct fc *c, struct node *x, const char *s)
{
	if (s && c->steps && x->nsteps < MAX_STEPS)
		c->steps[x - c->n][x->nsteps++] = s;
}

/* A step made for a chain only: neither made nor formatted when nobody
 * reads the chains (status marking what is at risk) */
#define STEP(c, x, ...)                                      \
	do {                                                 \
		if ((c)->steps)                              \
			add_step((c), (x), astr((c), __VA_ARGS__)); \
	} while (0)


/*
 * Which (wave, env) groups item i holds up: [w * E + e] set in m (e >= 1).
 * The `checklist` rule's items (a wave's prerequisites, items that apply,
 * the sign-off of env - 1) and the criteria of the gates.
 */
static void item_groups(const struct fc *c, int i, unsigned char *m)
{
	const struct plan *p = c->p;
	const struct plan_item *it = &p->items[i];
	memset(m, 0, c->W * c->E);
	for (size_t w = 0; w < c->W; w++) {
		bool prereq = plan_refs_has(&p->waves[w].prerequisites, i);
		for (size_t e = 1; e < c->E; e++)
			if (prereq || plan_item_applies(it, (int)e, (int)w) ||
			    plan_refs_has(&p->envs[e - 1].success, i))
				m[w * c->E + e] = 1;
	}
	for (size_t g = 0; g < p->ngates; g++) {
		const struct plan_gate *gt = &p->gates[g];
		if (!plan_refs_has(&gt->criteria, i))
			continue;
		for (size_t w = 0; w < c->W; w++)
			if (plan_gate_covers_wave(gt, (int)w))
				m[w * c->E + (size_t)gt->before_env] = 1;
	}
}

static void group_note(struct fc *c, struct group *g, const char *s)
{
	const char **v = arena_alloc(c->arena, (g->nnotes + 1) * sizeof(*v));
	if (g->nnotes)
		memcpy(v, g->notes, g->nnotes * sizeof(*v));
	v[g->nnotes++] = s;
	g->notes = v;
}

static void group_at(struct group *g, int64_t at, const char *step)
{
	if (at > g->at) {
		g->at = at;
		g->step = step;
	}
}

/* What each wave × environment waits for besides its cells: its window,
 * blockers, and the gates and items a person assumed a date for. */
static void build_groups(struct fc *c)
{
	const struct plan *p = c->p;
	const struct forecast_assume *as = c->as;
	unsigned char *m = xcalloc(c->W * c->E + 1, 1);
	char d[48];

	c->g = xcalloc(c->W * c->E + 1, sizeof(*c->g));
	for (size_t w = 0; w < c->W; w++) {
		const struct plan_wave *wv = &p->waves[w];
		for (size_t e = 1; e < c->E; e++) {
			struct group *g = &c->g[w * c->E + e];
			g->min_latest = NEVER;
			if (wv->has_window && wv->window_from > c->now)
				group_at(g, wv->window_from,
					 astr(c, "%s window opens %s", wv->id,
					      when(wv->window_from, d, sizeof(d))));
		}
	}
	for (size_t b = 0; b < p->nblockers; b++) {
		const struct plan_blocker *bl = &p->blockers[b];
		int64_t at = as ? as->blocker_at[b] : 0;
		const char *step = NULL;
		bool note = false;
		if (c->st->blockers[b].resolved && !at)
			continue;
		if (at)
			step = astr(c, "blocker %s resolved %s (assumed)", bl->id, when(at, d, sizeof(d)));
		else if (bl->due && bl->due > c->now)
			at = bl->due, step = astr(c, "blocker %s due %s", bl->id, when(bl->due, d, sizeof(d)));
		else if (bl->due)
			note = true, step = astr(c, "blocker %s overdue since %s: assumed resolved now",
						 bl->id, when(bl->due, d, sizeof(d)));
		else
			note = true, step = astr(c, "blocker %s has no due date: assumed resolved now",
						 bl->id);
		for (size_t w = 0; w < c->W; w++)
			for (size_t e = 1; e < c->E; e++) {
				struct group *g = &c->g[w * c->E + e];
				if (!plan_blocker_applies(bl, (int)w, (int)e))
					continue;
				if (note)
					group_note(c, g, step);
				else
					group_at(g, at, step);
			}
	}
	for (size_t gi = 0; as && gi < p->ngates; gi++) {
		const struct plan_gate *gt = &p->gates[gi];
		const char *step;
		if (!as->gate_at[gi])
			continue;
		step = astr(c, "%s approved %s (assumed)", gt->id, when(as->gate_at[gi], d, sizeof(d)));
		for (size_t w = 0; w < c->W; w++)
			if (plan_gate_covers_wave(gt, (int)w))
				group_at(&c->g[w * c->E + (size_t)gt->before_env], as->gate_at[gi], step);
	}
	for (size_t i = 0; as && i < p->nitems; i++) {
		const char *step;
		if (!as->item_at[i])
			continue;
		step = astr(c, "%s done %s (assumed)", p->items[i].id, when(as->item_at[i], d, sizeof(d)));
		item_groups(c, (int)i, m);
		for (size_t k = 0; k < c->W * c->E; k++)
			if (m[k])
				group_at(&c->g[k], as->item_at[i], step);
	}
	free(m);
}

/* ---- the graph ------------------------------------------------------------- */

static size_t cell_node(const struct fc *c, int project, int env)
{
	return (size_t)project * c->E + (size_t)env;
}

static size_t agg_node(const struct fc *c, int wave, int env)
{
	return c->ncell + (size_t)wave * c->E + (size_t)env;
}

/* Calls add(c, from, to, kind) for every edge; twice: to count, to fill. */
static void edges(struct fc *c, void (*add)(struct fc *, size_t, size_t, enum edge_kind))
{
	const struct plan *p = c->p;
	for (size_t pi = 0; pi < c->P; pi++) {
		const struct plan_project *pr = &p->projects[pi];
		const struct plan_wave *wv = &p->waves[pr->wave];
		for (size_t e = 0; e < c->E; e++) {
			size_t n = cell_node(c, (int)pi, (int)e);
			add(c, n, agg_node(c, pr->wave, (int)e), EDGE_MEMBER);
			if (!e)
				continue;
			add(c, cell_node(c, (int)pi, (int)e - 1), n, EDGE_SOURCE);
			for (size_t k = 0; k < pr->depends_on.n; k++)
				if (pr->depends_on.idx[k] >= 0)
					add(c, cell_node(c, pr->depends_on.idx[k], (int)e), n, EDGE_DEP);
			if (wv->after_wave >= 0)
				add(c, agg_node(c, wv->after_wave, wv->after_env), n, EDGE_AFTER);
		}
	}
}

static void count_edge(struct fc *c, size_t from, size_t to, enum edge_kind k)
{
	(void)to;
	(void)k;
	c->off[from + 1]++;
}

static void fill_edge(struct fc *c, size_t from, size_t to, enum edge_kind k)
{
	size_t at = c->off[from]++;
	c->to[at] = (int)to;
	c->kind[at] = (unsigned char)k;
}

static void build_graph(struct fc *c)
{
	size_t *in, head = 0;
	c->off = xcalloc(c->nnode + 2, sizeof(*c->off));
	edges(c, count_edge);
	for (size_t i = 0; i < c->nnode; i++)
		c->off[i + 1] += c->off[i];
	c->to = xcalloc(c->off[c->nnode] + 1, sizeof(*c->to));
	c->kind = xcalloc(c->off[c->nnode] + 1, 1);
	edges(c, fill_edge);
	/* fill_edge moved each off[i] to the end of i's edges: shift back */
	memmove(c->off + 1, c->off, c->nnode * sizeof(*c->off));
	c->off[0] = 0;

	in = xcalloc(c->nnode + 1, sizeof(*in));
	for (size_t i = 0; i < c->off[c->nnode]; i++)
		in[c->to[i]]++;
	c->order = xcalloc(c->nnode + 1, sizeof(*c->order));
	for (size_t i = 0; i < c->nnode; i++)
		if (!in[i])
			c->order[c->norder++] = (int)i;
	while (head < c->norder) {
		size_t u = (size_t)c->order[head++];
		for (size_t k = c->off[u]; k < c->off[u + 1]; k++)
			if (!--in[c->to[k]])
				c->order[c->norder++] = c->to[k];
	}
	free(in);
}

/* ---- forward: earliest times ----------------------------------------------- */

/* What a pair rolled back, held, failed or interrupted needs first, said in
 * its chain. */
static void state_step(struct fc *c, struct node *x, int e, const struct state_cell *cell)
{
	const struct plan *p = c->p;
	const char *env = p->envs[e].name;
	char d[48];
	int held;

	switch (cell->state) {
	case STATE_ROLLED_BACK:
		held = cell->rollbacks >= READY_HOLD_COUNT ? cell->rollbacks : 0;
		if (held)
			STEP(c, x, "held in %s after %d rollbacks: assumes promote --retry-held now",
					 env, held);
		else
			STEP(c, x, "rolled back in %s (%s rejected): assumes a new version or "
					    "allow now", env, cell->version ? cell->version : "?");
		x->cond = true;
		break;
	case STATE_FAILED:
		STEP(c, x, "failed in %s since %s: assumes a person repairs it now", env,
				 when(cell->since, d, sizeof(d)));
		x->cond = true;
		break;
	case STATE_INTERRUPTED:
		STEP(c, x, "interrupted in %s: the next promote repairs and retries it", env);
		break;
	default:
		break;
	}
}

static void forward_cell(struct fc *c, size_t ni)
{
	const struct plan *p = c->p;
	int pi = (int)(ni / c->E), e = (int)(ni % c->E);
	const struct plan_project *pr = &p->projects[pi];
	const struct state_cell *cell = state_cell(c->st, pi, e);
	struct node *x = &c->n[ni];
	int64_t soak = soak_of(c, e), dur = dur_of(c, pi), t;
	enum decided by = BY_NOW;
	int pred = -1, dep = -1;
	struct group *g = e ? &c->g[(size_t)pr->wave * c->E + (size_t)e] : NULL;
	char d[48];

	if (cell->state == STATE_HEALTHY) {
		x->start = x->soak_at = x->healthy = cell->since ? cell->since : c->now;
		return;
	}
	x->listed = true;
	if (cell->state == STATE_SOAKING) {
		x->start = x->soak_at = cell->since;
		x->healthy = max64(cell->soak_until, c->now);
		STEP(c, x, "soaking in %s until %s", p->envs[e].name,
				 when(cell->soak_until, d, sizeof(d)));
		return;
	}
	if ((cell->state == STATE_DEPLOYING || cell->state == STATE_VERIFYING) && !cell->orphaned) {
		x->start = cell->since;
		x->soak_at = max64(cell->since + dur, c->now);
		x->healthy = x->soak_at + soak;
		x->soaks = soak > 0;
		STEP(c, x, "%s in %s since %s", store_state_name(cell->state),
				 p->envs[e].name, when(cell->since, d, sizeof(d)));
		return;
	}
	x->planned = true;
	if (!e) {
		/* the source: versions enter it from CI, at once */
		x->start = x->soak_at = x->healthy = c->now;
		STEP(c, x, "no version in %s yet: assumes one is recorded now",
				 p->envs[0].name);
		x->cond = true;
		return;
	}
	t = c->now;
	{
		size_t src = cell_node(c, pi, e - 1);
		/* >=: a source that is ready just now still carries its
		 * assumptions (a version assumed recorded now) */
		if (c->n[src].healthy >= t)
			t = c->n[src].healthy, by = BY_SOURCE, pred = (int)src;
	}
	for (size_t k = 0; k < pr->depends_on.n; k++) {
		int q = pr->depends_on.idx[k];
		size_t dn;
		if (q < 0)
			continue;
		dn = cell_node(c, q, e);
		if (c->n[dn].soak_at > t)
			t = c->n[dn].soak_at, by = BY_DEP, pred = (int)dn, dep = q;
	}
	if (p->waves[pr->wave].after_wave >= 0) {
		const struct plan_wave *wv = &p->waves[pr->wave];
		size_t an = agg_node(c, wv->after_wave, wv->after_env);
		if (c->n[an].healthy > t)
			t = c->n[an].healthy, by = BY_AFTER, pred = (int)an;
	}
	if (g->at > t)
		t = g->at, by = BY_GROUP, pred = -1;
	x->pred = pred;
	switch (by) {
	case BY_SOURCE:
		if (c->n[pred].soaks)
			add_step(c, x, c->soak_step[e - 1]);
		break;
	case BY_DEP:
		STEP(c, x, "after %s in %s", p->projects[dep].id, p->envs[e].name);
		break;
	case BY_AFTER:
		add_step(c, x, c->after_step[pr->wave]);
		break;
	case BY_GROUP:
		add_step(c, x, g->step);
		break;
	case BY_NOW:
		break;
	}
	if (pred >= 0 && c->n[pred].cond)
		x->cond = true;
	/* no promotion starts inside a freeze: to its end, again while one
	 * begins there */
	for (bool moved = !(c->as && c->as->no_freeze); moved;) {
		const struct plan_env *en = &p->envs[e];
		moved = false;
		for (size_t f = 0; f < en->nfreeze; f++) {
			const struct plan_freeze *fz = &en->freeze[f];
			if (t >= fz->from && t < fz->to) {
				t = fz->to;
				moved = true;
				if (x->nsteps < MAX_STEPS - 1)
					STEP(c, x, "%s frozen until %s%s%s%s", en->name,
							 when(fz->to, d, sizeof(d)),
							 fz->why ? " (" : "", fz->why ? fz->why : "",
							 fz->why ? ")" : "");
			}
		}
	}
	for (size_t k = 0; k < g->nnotes; k++)
		add_step(c, x, g->notes[k]);
	if (g->nnotes)
		x->cond = true;
	/* the `incidents` rule: assumed resolved now */
	if (c->pause || (c->incident && c->incident[ni])) {
		add_step(c, x, c->pause ? c->pause : c->incident[ni]);
		x->cond = true;
	}
	state_step(c, x, e, cell);
	x->start = t;
	x->soak_at = t + dur;
	x->healthy = x->soak_at + soak;
	x->soaks = soak > 0;
}

/* The wave's node: healthy when its last project is (forward_cell's caller
 * raised healthy and pred as each member came). */
static void forward_agg(struct fc *c, size_t ni)
{
	struct node *x = &c->n[ni];
	int a = (int)((ni - c->ncell) % c->E);

	x->start = x->soak_at = x->healthy;
	if (x->pred >= 0) {
		x->cond = c->n[x->pred].cond;
		if (c->n[x->pred].soaks)
			add_step(c, x, c->soak_step[a]);
	}
}

/* ---- backward: latest starts ----------------------------------------------- */

static void take(int64_t *best, int *best_t, int64_t v, int t)
{
	if (v < *best) {
		*best = v;
		*best_t = t;
	}
}

static void backward(struct fc *c)
{
	const struct plan *p = c->p;
	for (size_t k = c->norder; k-- > 0;) {
		size_t ni = (size_t)c->order[k];
		struct node *x = &c->n[ni];
		int64_t lh = NEVER, lsoak = NEVER, l = NEVER;
		int th = -1, ts = -1, tl = -1;

		if (ni >= c->ncell) {
			for (size_t j = c->off[ni]; j < c->off[ni + 1]; j++)
				take(&l, &tl, c->n[c->to[j]].latest, c->n[c->to[j]].latest_target);
			x->latest = l;
			x->latest_target = tl;
			continue;
		}
		{
			int pi = (int)(ni / c->E), e = (int)(ni % c->E);
			int64_t target = plan_project_target(&p->projects[pi], e);
			int64_t dur = dur_of(c, pi), soak = soak_of(c, e);
			if (target)
				take(&lh, &th, target + DAY, (int)ni);
			for (size_t j = c->off[ni]; j < c->off[ni + 1]; j++) {
				const struct node *y = &c->n[c->to[j]];
				if (c->kind[j] == EDGE_DEP)
					take(&lsoak, &ts, y->latest, y->latest_target);
				else
					take(&lh, &th, y->latest, y->latest_target);
			}
			if (lh != NEVER)
				take(&l, &tl, lh - dur - (e ? soak : 0), th);
			if (lsoak != NEVER)
				take(&l, &tl, lsoak - dur, ts);
			if (l != NEVER && e && !(c->as && c->as->no_freeze)) {
				const struct plan_env *en = &p->envs[e];
				for (bool moved = true; moved;) {
					moved = false;
					for (size_t f = 0; f < en->nfreeze; f++)
						if (l >= en->freeze[f].from && l < en->freeze[f].to) {
							l = en->freeze[f].from - 1;
							moved = true;
						}
				}
			}
			x->latest = l;
			x->latest_target = tl;
		}
	}
}

/* ---- deadlines ------------------------------------------------------------- */

struct dl_build {
	struct fc *c;
	const struct forecast_opts *o;
	unsigned char *mark; /* [ncell] target already in the list */
	struct forecast_target *buf;
	size_t n, alloc;
};

static bool target_shown(const struct fc *c, const struct forecast_opts *o, int node)
{
	int pi = node / (int)c->E, e = node % (int)c->E;
	return (o->only_env < 0 || e == o->only_env) &&
	       (o->only_project < 0 || pi == o->only_project) &&
	       (o->only_wave < 0 || c->p->projects[pi].wave == o->only_wave);
}

static int cmp_target(const void *a, const void *b)
{
	const struct forecast_target *x = a, *y = b;
	if (x->target != y->target)
		return x->target < y->target ? -1 : 1;
	if (x->env != y->env)
		return x->env - y->env;
	return x->project - y->project;
}

static void add_target(struct dl_build *b, int t)
{
	struct fc *c = b->c;
	struct forecast_target *ft;
	int pi = t / (int)c->E, e = t % (int)c->E;
	int64_t target;
	if (t < 0 || b->mark[t] || !target_shown(c, b->o, t))
		return;
	target = plan_project_target(&c->p->projects[pi], e);
	if (!target)
		return;
	b->mark[t] = 1;
	ALLOC_GROW(b->buf, b->n + 1, b->alloc);
	ft = &b->buf[b->n++];
	ft->project = pi;
	ft->env = e;
	ft->target = target;
}

/* The deadline of an action holding up the groups marked in m. Returns
 * false when no cell of them needs a start (nothing to list). */
static bool deadline(struct dl_build *b, const unsigned char *m, struct forecast_deadline *out)
{
	struct fc *c = b->c;
	bool any = false;
	int64_t by = NEVER;

	b->n = 0;
	for (size_t w = 0; w < c->W; w++)
		for (size_t e = 1; e < c->E; e++) {
			if (!m[w * c->E + e] || !c->g[w * c->E + e].any)
				continue;
			for (size_t k = c->mfirst[w]; k < c->mfirst[w + 1]; k++) {
				const struct node *x = &c->n[cell_node(c, c->members[k], (int)e)];
				int t;
				if (!x->planned)
					continue;
				t = x->latest_target;
				/* listed: the cell's own target and the one its latest
				 * start keeps (a dependent's, the next environment's) */
				if (x->latest == NEVER) {
					/* no target waits for it: listed without a date,
					 * unless only some targets are shown */
					if (b->o->only_env < 0 && b->o->only_wave < 0 &&
					    b->o->only_project < 0)
						any = true;
					continue;
				}
				if (t >= 0 && !target_shown(c, b->o, t))
					continue;
				any = true;
				if (x->latest < by)
					by = x->latest;
				add_target(b, t);
				add_target(b, (int)cell_node(c, c->members[k], (int)e));
			}
		}
	for (size_t i = 0; i < b->n; i++)
		b->mark[cell_node(c, b->buf[i].project, b->buf[i].env)] = 0;
	if (!any)
		return false;
	if (b->n > 1)
		qsort(b->buf, b->n, sizeof(*b->buf), cmp_target);
	out->by = by == NEVER ? 0 : by;
	out->nfor = b->n;
	out->for_ = arena_alloc(c->arena, (b->n + 1) * sizeof(*out->for_));
	if (b->n)
		memcpy(out->for_, b->buf, b->n * sizeof(*b->buf));
	return true;
}

static int kind_rank(enum forecast_kind k)
{
	return k == FORECAST_GATE ? 0 : k == FORECAST_BLOCKER ? 1 : 2;
}

static int cmp_deadline(const void *a, const void *b)
{
	const struct forecast_deadline *x = a, *y = b;
	if ((x->by == 0) != (y->by == 0))
		return x->by == 0 ? 1 : -1;
	if (x->by != y->by)
		return x->by < y->by ? -1 : 1;
	/* on one date: gates, then blockers, then checklist items */
	if (x->kind != y->kind)
		return kind_rank(x->kind) - kind_rank(y->kind);
	return x->id - y->id;
}

static void build_deadlines(struct forecast *f, struct fc *c, const struct forecast_opts *o)
{
	const struct plan *p = c->p;
	struct dl_build b = { c, o, xcalloc(c->ncell + 1, 1), NULL, 0, 0 };
	unsigned char *m = xcalloc(c->W * c->E + 1, 1);
	size_t alloc = 0;
	struct forecast_deadline d;

	for (size_t pi = 0; pi < c->P; pi++)
		for (size_t e = 1; e < c->E; e++)
			if (c->n[cell_node(c, (int)pi, (int)e)].planned)
				c->g[(size_t)p->projects[pi].wave * c->E + e].any = true;

#define PUSH(k, i)                                                                 \
	do {                                                                       \
		memset(&d, 0, sizeof(d));                                          \
		d.kind = (k);                                                      \
		d.id = (int)(i);                                                   \
		if (deadline(&b, m, &d)) {                                         \
			ALLOC_GROW(f->deadlines, f->ndeadlines + 1, alloc);        \
			f->deadlines[f->ndeadlines++] = d;                         \
		}                                                                  \
	} while (0)

	for (size_t g = 0; g < p->ngates; g++) {
		const struct plan_gate *gt = &p->gates[g];
		if (ready_gate_status(p, c->st, (int)g, -1, c->now) == GATE_PASSED)
			continue;
		memset(m, 0, c->W * c->E);
		for (size_t w = 0; w < c->W; w++)
			if (plan_gate_covers_wave(gt, (int)w))
				m[w * c->E + (size_t)gt->before_env] = 1;
		PUSH(FORECAST_GATE, g);
	}
	for (size_t i = 0; i < p->nitems; i++) {
		if (c->st->ticks[i].done)
			continue;
		item_groups(c, (int)i, m);
		PUSH(FORECAST_ITEM, i);
	}
	for (size_t bi = 0; bi < p->nblockers; bi++) {
		if (c->st->blockers[bi].resolved)
			continue;
		memset(m, 0, c->W * c->E);
		for (size_t w = 0; w < c->W; w++)
			for (size_t e = 1; e < c->E; e++)
				if (plan_blocker_applies(&p->blockers[bi], (int)w, (int)e))
					m[w * c->E + e] = 1;
		PUSH(FORECAST_BLOCKER, bi);
	}
#undef PUSH
	if (f->ndeadlines)
		qsort(f->deadlines, f->ndeadlines, sizeof(*f->deadlines), cmp_deadline);
	free(b.mark);
	free(b.buf);
	free(m);
}

/* ---- the cells ------------------------------------------------------------- */

static void chain(struct fc *c, size_t ni, struct forecast_cell *out)
{
	size_t depth = 0, alloc = 0, n = 0;
	int *path = NULL;
	const char **v;

	for (int k = (int)ni; k >= 0; k = c->n[k].pred) {
		ALLOC_GROW(path, depth + 1, alloc);
		path[depth++] = k;
		if (depth > c->nnode)
			break; /* BUG guard: pred links are acyclic */
	}
	for (size_t k = 0; k < depth; k++)
		n += c->n[path[k]].nsteps;
	v = arena_alloc(c->arena, (n + 1) * sizeof(*v));
	n = 0;
	for (size_t k = depth; k-- > 0;) {
		const struct node *x = &c->n[path[k]];
		for (size_t s = 0; s < x->nsteps; s++)
			if (!n || strcmp(v[n - 1], c->steps[path[k]][s]))
				v[n++] = c->steps[path[k]][s];
	}
	if (!n)
		v[n++] = "can start now";
	out->because = v;
	out->nbecause = n;
	free(path);
}

static bool cell_shown(const struct fc *c, const struct forecast_opts *o, int pi, int e)
{
	return (o->only_env < 0 || e == o->only_env) &&
	       (o->only_project < 0 || pi == o->only_project) &&
	       (o->only_wave < 0 || c->p->projects[pi].wave == o->only_wave);
}

void forecast_compute(struct forecast *f, const struct plan *p, const struct state *st,
		      int64_t now, const struct forecast_opts *o)
{
	static const struct forecast_opts none = FORECAST_OPTS_INIT;
	struct fc c;
	size_t alloc = 0;

	if (!o)
		o = &none;
	memset(f, 0, sizeof(*f));
	arena_init(&f->arena);
	f->plan = p;
	f->now = now;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.st = st;
	c.now = now;
	c.as = o->assume;
	c.dur = o->durations ? o->durations : st->durations;
	c.arena = &f->arena;
	c.P = p->nprojects;
	c.E = p->nenvs;
	c.W = p->nwaves;
	c.ncell = c.P * c.E;
	c.nnode = c.ncell + c.W * c.E;
	c.n = xcalloc(c.nnode + 1, sizeof(*c.n));
	if (!o->no_chains)
		c.steps = xcalloc(c.nnode + 1, sizeof(*c.steps));
	for (size_t i = 0; i < c.nnode; i++) {
		c.n[i].pred = -1;
		c.n[i].latest = NEVER;
		c.n[i].latest_target = -1;
	}
	c.mfirst = xcalloc(c.W + 2, sizeof(*c.mfirst));
	c.members = xcalloc(c.P + 1, sizeof(*c.members));
	for (size_t i = 0; i < c.P; i++)
		c.mfirst[p->projects[i].wave + 1]++;
	for (size_t w = 0; w < c.W; w++)
		c.mfirst[w + 1] += c.mfirst[w];
	{
		size_t *fill = xcalloc(c.W + 1, sizeof(*fill));
		for (size_t i = 0; i < c.P; i++) {
			int w = p->projects[i].wave;
			c.members[c.mfirst[w] + fill[w]++] = (int)i;
		}
		free(fill);
	}
	c.soak_step = xcalloc(c.E + 1, sizeof(*c.soak_step));
	for (size_t e = 0; e < c.E; e++) {
		char d[32];
		if (soak_of(&c, (int)e) > 0)
			c.soak_step[e] = astr(&c, "%s soak %s", p->envs[e].name,
					      util_fmt_duration(soak_of(&c, (int)e), d, sizeof(d)));
	}
	c.after_step = xcalloc(c.W + 1, sizeof(*c.after_step));
	for (size_t w = 0; w < c.W; w++)
		if (p->waves[w].after_wave >= 0)
			c.after_step[w] = astr(&c, "%s after %s in %s", p->waves[w].id,
					       p->waves[p->waves[w].after_wave].id,
					       p->envs[p->waves[w].after_env].name);
	for (size_t i = 0; i < st->nincidents; i++) {
		const struct state_incident *in = &st->incidents[i];
		if (!in->open)
			continue;
		if (in->level >= 2 && !c.pause) {
			c.pause = astr(&c, "incident %lld (level %d) pauses every promotion: assumed "
					   "resolved now", (long long)in->id, in->level);
		} else if (in->project >= 0 && in->env >= 0 && (size_t)in->env + 1 < c.E) {
			if (!c.incident)
				c.incident = xcalloc(c.ncell + 1, sizeof(*c.incident));
			c.incident[cell_node(&c, in->project, in->env + 1)] =
				astr(&c, "incident %lld on %s in %s: assumed resolved now",
				     (long long)in->id, p->projects[in->project].id, p->envs[in->env].name);
		}
	}
	build_groups(&c);
	build_graph(&c);
	for (size_t k = 0; k < c.norder; k++) {
		size_t ni = (size_t)c.order[k];
		c.n[ni].done = true;
		if (ni < c.ncell) {
			struct node *a;
			forward_cell(&c, ni);
			a = &c.n[agg_node(&c, p->projects[ni / c.E].wave, (int)(ni % c.E))];
			if (c.n[ni].healthy > a->healthy) {
				a->healthy = c.n[ni].healthy;
				a->pred = (int)ni;
			}
		} else {
			forward_agg(&c, ni);
		}
	}
	/* the latest starts serve the deadlines only (what is at risk is
	 * read off the earliest times) */
	if (!o->no_deadlines) {
		backward(&c);
		build_deadlines(f, &c, o);
	}

	f->cell_of = xcalloc(c.ncell + 1, sizeof(*f->cell_of));
	for (size_t i = 0; i < c.ncell; i++)
		f->cell_of[i] = -1;
	for (size_t e = 0; e < c.E; e++)
		for (size_t pi = 0; pi < c.P; pi++) {
			size_t ni = cell_node(&c, (int)pi, (int)e);
			struct node *x = &c.n[ni];
			struct forecast_cell *fc;
			if (!cell_shown(&c, o, (int)pi, (int)e))
				continue;
			if (x->done && !x->listed)
				continue;
			ALLOC_GROW(f->cells, f->ncells + 1, alloc);
			fc = &f->cells[f->ncells];
			memset(fc, 0, sizeof(*fc));
			f->cell_of[ni] = (int)f->ncells++;
			fc->project = (int)pi;
			fc->env = (int)e;
			fc->state = state_cell(st, (int)pi, (int)e)->state;
			fc->target = plan_project_target(&p->projects[pi], (int)e);
			if (!x->done) {
				static const char *cycle[] = {
					"cannot be forecast: its dependencies and wave order wait on each other"
				};
				fc->because = cycle;
				fc->nbecause = 1;
				fc->at_risk = fc->target != 0;
				continue;
			}
			fc->start = x->start;
			fc->healthy = x->healthy;
			fc->conditional = x->cond;
			if (fc->target) {
				int64_t slack = fc->target + DAY - x->healthy;
				fc->has_slack = true;
				fc->slack_days = slack >= 0 ? slack / DAY : -((-slack + DAY - 1) / DAY);
				fc->at_risk = slack < 0;
			}
			if (o->no_chains) {
				static const char *none_[] = { NULL };
				fc->because = none_;
				fc->nbecause = 0;
			} else {
				chain(&c, ni, fc);
			}
		}

	free(c.n);
	free(c.steps);
	free(c.off);
	free(c.to);
	free(c.kind);
	free(c.order);
	free(c.g);
	free(c.members);
	free(c.mfirst);
	free(c.soak_step);
	free(c.incident);
	free(c.after_step);
}

void forecast_release(struct forecast *f)
{
	free(f->cells);
	free(f->deadlines);
	free(f->cell_of);
	arena_release(&f->arena);
	memset(f, 0, sizeof(*f));
}

bool forecast_cell_at_risk(const struct forecast *f, int project, int env)
{
	int i;
	if (!f->cell_of || !f->plan)
		return false;
	i = f->cell_of[(size_t)project * f->plan->nenvs + (size_t)env];
	return i >= 0 && f->cells[i].at_risk;
}

/* ---- from the store -------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int forecast_durations(const struct plan *p, struct store *s, int64_t **out, struct err *e)
{
	struct store_step_durations l;
	int64_t *d = xcalloc(p->nprojects + 1, sizeof(*d)), *ms = NULL;
	size_t alloc = 0;

	for (size_t i = 0; i < p->nprojects; i++)
		d[i] = FORECAST_DURATION_DEFAULT;
	if (store_step_durations(s, &l, e) < 0) {
		free(d);
		*out = NULL;
		return -1;
	}
	/* rows come by project: one median per run of rows */
	for (size_t i = 0; i < l.n;) {
		size_t j = i, n = 0;
		int pi = plan_project_index(p, l.v[i].project);
		while (j < l.n && !strcmp(l.v[j].project, l.v[i].project)) {
			ALLOC_GROW(ms, n + 1, alloc);
			ms[n++] = l.v[j].ms < 0 ? 0 : l.v[j].ms;
			j++;
		}
		if (pi >= 0) {
			int64_t med;
			qsort(ms, n, sizeof(*ms), cmp_i64);
			med = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
			d[pi] = (med + 500) / 1000;
		}
		i = j;
	}
	free(ms);
	store_step_durations_release(&l);
	*out = d;
	return 0;
}

int forecast_query(struct forecast *f, const struct plan *p, struct store *s, int64_t now,
		   const struct forecast_opts *o, struct err *e)
{
	static const struct forecast_opts none = FORECAST_OPTS_INIT;
	struct state_load_opts lo = { 0 };
	struct forecast_opts oo = o ? *o : none;
	struct state st;
	int64_t *dur;

	memset(f, 0, sizeof(*f));
	lo.now = now; /* the hold rule: a held pair says so */
	if (state_load_opts(&st, p, s, &lo, e) < 0)
		return -1;
	if (forecast_durations(p, s, &dur, e) < 0) {
		state_release(&st);
		return -1;
	}
	if (!oo.durations)
		oo.durations = dur;
	forecast_compute(f, p, &st, now, &oo);
	f->rehearsal = st.rehearsal;
	/* the cells' strings live in f's arena; nothing points into st */
	state_release(&st);
	free(dur);
	return 0;
}

size_t forecast_at_risk(const struct plan *p, const struct state *st, int64_t now,
			const int64_t *durations, struct forecast_risk **out)
{
	struct forecast_opts o = FORECAST_OPTS_INIT;
	struct forecast f;
	size_t n = 0;

	o.durations = durations;
	o.no_chains = o.no_deadlines = true;
	forecast_compute(&f, p, st, now, &o);
	*out = xcalloc(f.ncells + 1, sizeof(**out));
	for (size_t i = 0; i < f.ncells; i++) {
		const struct forecast_cell *x = &f.cells[i];
		if (!x->at_risk)
			continue;
		(*out)[n].project = x->project;
		(*out)[n].env = x->env;
		(*out)[n].target = x->target;
		(*out)[n].healthy = x->healthy;
		n++;
	}
	forecast_release(&f);
	return n;
}
