/*
 * ready.c - the eight readiness rules of SPEC §3.
 *
 * Rules that depend only on (wave, env) — wave order, gates, checklist,
 * blockers — are computed once per pair and cached in the ctx; freeze once
 * per env; the global incident pause once. Per project only `source`,
 * `depends_on` and the project's own incidents are evaluated, so checking
 * every project of a large plan is linear in its size.
 */
#include "engine/ready.h"

#include <stdlib.h>
#include <string.h>

#include "engine/promote.h"
#include "plan/plan.h"

#define LIST_MAX 5 /* names listed in one detail before "and N more" */

static const char *const rule_names[RULE_COUNT] = {
	[RULE_SOURCE] = "source",
	[RULE_DEPENDS_ON] = "depends_on",
	[RULE_WAVE_ORDER] = "wave_order",
	[RULE_GATES] = "gates",
	[RULE_CHECKLIST] = "checklist",
	[RULE_BLOCKERS] = "blockers",
	[RULE_FREEZE] = "freeze",
	[RULE_INCIDENTS] = "incidents",
};

const char *ready_rule_name(enum ready_rule r)
{
	return (unsigned)r < RULE_COUNT ? rule_names[r] : "?";
}

struct cached {
	bool done;
	bool ok;
	char *detail;
};

struct ready_cache {
	size_t nwaves, nenvs;
	struct cached *wave_order;    /* [wave] */
	struct cached *per_wave_env;  /* [(wave * nenvs + env) * 3 + k]: gates, checklist, blockers */
	struct cached *freeze;        /* [env] */
	struct cached pause;          /* the global incident pause */
	int *open_on_cell;            /* [project * nenvs + env]: 1 + first open incident, 0 none */
	unsigned char *item_mark;     /* scratch, [item] */
	unsigned char *gates_pp;      /* [wave * nenvs + env]: 0 unknown, 1 wave-wide, 2 per project */
};

enum { K_GATES, K_CHECKLIST, K_BLOCKERS, K_COUNT };

void ready_result_release(struct ready_result *r)
{
	for (int i = 0; i < RULE_COUNT; i++) {
		free(r->rules[i].detail);
		r->rules[i].detail = NULL;
	}
	free(r->fixes);
	r->fixes = NULL;
	r->nfixes = 0;
}

const char *ready_fix_name(enum ready_fix_kind k)
{
	static const char *const names[] = { [FIX_APPROVE] = "approve", [FIX_CHECK] = "check",
					     [FIX_BLOCKER] = "blocker", [FIX_ALLOW] = "allow",
					     [FIX_RETRY_HELD] = "retry-held" };
	return names[k];
}

bool ready_is_live(enum store_state s)
{
	return s == STATE_HEALTHY || s == STATE_SOAKING;
}

int ready_held(const struct state *st, int project, int env)
{
	const struct state_cell *c = state_cell(st, project, env);
	return c->state == STATE_ROLLED_BACK && c->rollbacks >= READY_HOLD_COUNT ? c->rollbacks
										    : 0;
}

bool ready_target_late(int64_t target, enum store_state s, int64_t now)
{
	/* the whole target day is still on time */
	return target && !ready_is_live(s) && now >= target + 86400;
}

bool ready_is_late(const struct plan *p, const struct state *st, int project, int env,
		   int64_t now)
{
	return ready_target_late(plan_project_target(&p->projects[project], env),
				 state_cell(st, project, env)->state, now);
}

void ready_ctx_init(struct ready_ctx *c, const struct plan *p, const struct state *st, int64_t now)
{
	struct ready_cache *k = xcalloc(1, sizeof(*k));
	c->plan = p;
	c->st = st;
	c->now = now;
	c->retry_held = false;
	c->wave_members = NULL;
	c->nwave_members = NULL;
	c->cache = k;
	k->nwaves = p->nwaves;
	k->nenvs = p->nenvs;
	k->wave_order = xcalloc(p->nwaves + 1, sizeof(*k->wave_order));
	k->per_wave_env = xcalloc(p->nwaves * p->nenvs * K_COUNT + 1, sizeof(*k->per_wave_env));
	k->freeze = xcalloc(p->nenvs + 1, sizeof(*k->freeze));
	k->item_mark = xcalloc(p->nitems + 1, 1);
	k->gates_pp = xcalloc(p->nwaves * p->nenvs + 1, 1);
	k->open_on_cell = NULL;
}

static void cached_release(struct cached *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].detail);
}

void ready_ctx_release(struct ready_ctx *c)
{
	struct ready_cache *k = c->cache;
	if (!k)
		return;
	cached_release(k->wave_order, k->nwaves);
	cached_release(k->per_wave_env, k->nwaves * k->nenvs * K_COUNT);
	cached_release(k->freeze, k->nenvs);
	free(k->pause.detail);
	free(k->wave_order);
	free(k->per_wave_env);
	free(k->freeze);
	free(k->open_on_cell);
	free(k->item_mark);
	free(k->gates_pp);
	free(k);
	c->cache = NULL;
}

static void sep(struct strbuf *sb, const char *s)
{
	if (sb->len)
		strbuf_addstr(sb, s);
}

/* ---- rules that depend on (wave, env) only ---- */

static void eval_wave_order(struct ready_ctx *c, int wave, struct cached *out)
{
	const struct plan *p = c->plan;
	const struct plan_wave *w = &p->waves[wave];
	struct strbuf sb = STRBUF_INIT;
	size_t total = 0, waiting = 0;

	if (w->after_wave < 0) {
		out->ok = true;
		out->detail = xasprintf("wave '%s' waits for no other wave", w->id);
		return;
	}
	size_t n = c->wave_members ? c->nwave_members[w->after_wave] : p->nprojects;
	for (size_t k = 0; k < n; k++) {
		const struct state_cell *cell;
		size_t i = c->wave_members ? (size_t)c->wave_members[w->after_wave][k] : k;
		if (p->projects[i].wave != w->after_wave)
			continue;
		total++;
		cell = state_cell(c->st, (int)i, w->after_env);
		if (cell->state == STATE_HEALTHY)
			continue;
		if (waiting < LIST_MAX) {
			sep(&sb, ", ");
			strbuf_addf(&sb, "%s (%s)", p->projects[i].id, store_state_name(cell->state));
		}
		waiting++;
	}
	if (waiting > LIST_MAX)
		strbuf_addf(&sb, " and %zu more", waiting - LIST_MAX);
	out->ok = waiting == 0;
	if (out->ok)
		out->detail = xasprintf("wave '%s' is healthy in %s", p->waves[w->after_wave].id,
					p->envs[w->after_env].name);
	else
		out->detail = xasprintf("wave '%s' waits for wave '%s' to be healthy in %s: "
					"%zu of %zu not yet: %s",
					w->id, p->waves[w->after_wave].id,
					p->envs[w->after_env].name, waiting, total, sb.buf);
	strbuf_release(&sb);
}

static bool item_done(const struct state *st, int item)
{
	return item >= 0 && st->ticks[item].done;
}

/* ---- approvals and gates ---- */

const char *ready_candidate(const struct state *st, int project, int env)
{
	const struct state_cell *c;
	if (env < 1 || (size_t)env >= st->nenvs)
		return NULL;
	c = state_cell(st, project, env - 1);
	return ready_is_live(c->state) ? c->version : NULL;
}

int64_t ready_approval_expires(const struct plan *p, const struct state *st,
			       const struct state_approval *a, int project)
{
	const struct plan_gate *g = &p->gates[a->gate];
	const struct state_cover *cv;
	if (!g->expires)
		return 0;
	if (g->scope_plan || project < 0)
		return a->at + g->expires;
	cv = state_approval_cover(st, a, project);
	return (cv ? cv->at : a->at) + g->expires;
}

static bool role_held(const struct plan *p, const struct state_approval *a)
{
	/* an imported approval stands for its role (the gate must still list
	 * it: gate_match); a placeholder never acts: a row in its name counts
	 * for nothing */
	if (a->imported)
		return a->role != NULL;
	return a->person >= 0 && (size_t)a->person < p->npeople && a->role &&
	       !p->people[a->person].tbd && plan_person_has_role(&p->people[a->person], a->role);
}

enum ready_approval ready_approval_check(const struct plan *p, const struct state *st,
					 const struct state_approval *a, int project, int64_t now)
{
	const struct plan_gate *g = &p->gates[a->gate];
	const struct state_cover *cv;
	const char *cand;
	int64_t until;

	if (!role_held(p, a))
		return APPROVAL_ROLE_LOST;
	until = ready_approval_expires(p, st, a, project);
	if (until && now >= until)
		return APPROVAL_EXPIRED;
	if (g->scope_plan || project < 0)
		return APPROVAL_COUNTS;
	cand = ready_candidate(st, project, g->before_env);
	if (!cand)
		return APPROVAL_NO_CANDIDATE;
	cv = state_approval_cover(st, a, project);
	if (!cv)
		return APPROVAL_NOT_COVERED;
	if (strcmp(cv->version, cand))
		return APPROVAL_STALE;
	return APPROVAL_COUNTS;
}

/*
 * Which approval fills which role of gate, for project (-1: the gate as a
 * whole): each role gets an approval for it that counts, from a person who
 * fills no other role of the gate (a matching of roles to distinct people:
 * an approval never fills two roles, whatever the store holds). match[r]
 * gets the approval of g->approvers[r] or NULL; returns how many are filled.
 */
struct gate_match {
	size_t nroles, nall;
	const struct state_approval **by_role; /* [nroles] */
	const struct state_approval **all;     /* the gate's approvals */
	unsigned char *ok;                     /* [nroles * nall]: may fill the role */
	int *person_role;                      /* [nall]: by person slot, the role, -1 */
	int *slot;                             /* [nall]: each approval's person slot */
	unsigned char *seen;                   /* [nall] */
};

static bool counts_whole_gate(const struct plan *p, const struct state *st,
			      const struct state_approval *a, int64_t now)
{
	const struct plan_gate *g = &p->gates[a->gate];
	if (ready_approval_check(p, st, a, -1, now) != APPROVAL_COUNTS)
		return false;
	if (g->scope_plan)
		return true;
	/* every project of the gate that has a candidate now: its version */
	for (size_t i = 0; i < p->nprojects; i++) {
		if (!plan_gate_covers_wave(g, p->projects[i].wave) || (st->loaded && !st->loaded[i]))
			continue;
		if (!ready_candidate(st, (int)i, g->before_env))
			continue;
		if (ready_approval_check(p, st, a, (int)i, now) != APPROVAL_COUNTS)
			return false;
	}
	return true;
}

static bool augment(struct gate_match *m, size_t r)
{
	for (size_t k = 0; k < m->nall; k++) {
		int s = m->slot[k];
		if (!m->ok[r * m->nall + k] || m->seen[s])
			continue;
		m->seen[s] = 1;
		if (m->person_role[s] < 0 || augment(m, (size_t)m->person_role[s])) {
			m->person_role[s] = (int)r;
			m->by_role[r] = m->all[k];
			return true;
		}
	}
	return false;
}

static size_t gate_match(const struct plan *p, const struct state *st, int gate, int project,
			 int64_t now, struct gate_match *m)
{
	const struct plan_gate *g = &p->gates[gate];
	size_t n = 0, tot;

	memset(m, 0, sizeof(*m));
	m->nroles = g->napprovers;
	m->by_role = xcalloc(g->napprovers + 1, sizeof(*m->by_role));
	for (size_t i = 0; i < st->napprovals; i++)
		m->nall += st->approvals[i].gate == gate;
	if (!m->nall || !g->napprovers)
		return 0;
	tot = m->nall;
	m->all = xcalloc(m->nall, sizeof(*m->all));
	m->ok = xcalloc(m->nall * g->napprovers, 1);
	m->person_role = xcalloc(m->nall, sizeof(*m->person_role));
	m->slot = xcalloc(m->nall, sizeof(*m->slot));
	m->seen = xcalloc(m->nall, 1);
	m->nall = 0;
	for (size_t i = 0; i < st->napprovals; i++) {
		const struct state_approval *a = &st->approvals[i];
		bool counts;
		size_t k;
		if (a->gate != gate)
			continue;
		k = m->nall++;
		m->all[k] = a;
		/* one slot per person */
		m->slot[k] = (int)k;
		for (size_t j = 0; j < k; j++)
			if (m->all[j]->person == a->person && !a->imported && !m->all[j]->imported) {
				m->slot[k] = m->slot[j];
				break;
			}
		m->person_role[k] = -1;
		counts = project < 0 ? counts_whole_gate(p, st, a, now)
				     : ready_approval_check(p, st, a, project, now) == APPROVAL_COUNTS;
		if (!counts)
			continue;
		for (size_t r = 0; r < g->napprovers; r++)
			if (!strcmp(a->role, g->approvers[r]))
				m->ok[r * tot + k] = 1;
	}
	for (size_t r = 0; r < g->napprovers; r++) {
		memset(m->seen, 0, m->nall);
		n += augment(m, r);
	}
	return n;
}

static void gate_match_release(struct gate_match *m)
{
	free(m->by_role);
	free(m->all);
	free(m->ok);
	free(m->person_role);
	free(m->slot);
	free(m->seen);
}

const struct state_approval *ready_gate_approval(const struct plan *p, const struct state *st,
						 int gate, const char *role, int project,
						 int64_t now)
{
	const struct plan_gate *g = &p->gates[gate];
	const struct state_approval *a = NULL;
	struct gate_match m;
	gate_match(p, st, gate, project, now, &m);
	for (size_t r = 0; r < g->napprovers; r++)
		if (!strcmp(g->approvers[r], role))
			a = m.by_role[r];
	gate_match_release(&m);
	return a;
}

size_t ready_gate_napproved(const struct plan *p, const struct state *st, int gate, int project,
			    int64_t now)
{
	struct gate_match m;
	size_t n = gate_match(p, st, gate, project, now, &m);
	gate_match_release(&m);
	return n;
}

size_t ready_gate_ncriteria_done(const struct plan *p, const struct state *st, int gate)
{
	const struct plan_gate *g = &p->gates[gate];
	size_t n = 0;
	for (size_t i = 0; i < g->criteria.n; i++)
		n += item_done(st, g->criteria.idx[i]);
	return n;
}

enum ready_gate_status ready_gate_status(const struct plan *p, const struct state *st, int gate,
					 int project, int64_t now)
{
	const struct plan_gate *g = &p->gates[gate];
	size_t a = ready_gate_napproved(p, st, gate, project, now);
	size_t c = ready_gate_ncriteria_done(p, st, gate);
	if (a == g->napprovers && c == g->criteria.n)
		return GATE_PASSED;
	if (a || c)
		return GATE_IN_PROGRESS;
	return GATE_PENDING;
}

const char *ready_gate_status_name(enum ready_gate_status s)
{
	switch (s) {
	case GATE_PASSED: return "passed";
	case GATE_IN_PROGRESS: return "in progress";
	case GATE_PENDING: break;
	}
	return "pending";
}

/* Is role held by placeholders (tbd: true) only? Then nobody can approve it. */
static bool role_only_placeholders(const struct plan *p, const char *role)
{
	bool any = false;
	for (size_t i = 0; i < p->npeople; i++) {
		if (!plan_person_has_role(&p->people[i], role))
			continue;
		if (!p->people[i].tbd)
			return false;
		any = true;
	}
	return any;
}

/* Why approval a does not fill its role for project: one clause. */
static void why_not(const struct plan *p, const struct state *st, const struct state_approval *a,
		    int project, bool name_project, enum ready_approval v, struct strbuf *sb)
{
	const struct plan_gate *g = &p->gates[a->gate];
	const char *who = state_approval_by(p, a);
	const char *pid = project >= 0 ? p->projects[project].id : NULL;
	const struct state_cover *cv = project >= 0 ? state_approval_cover(st, a, project) : NULL;
	const char *cand = project >= 0 ? ready_candidate(st, project, g->before_env) : NULL;
	char t[32], d[32];

	strbuf_addf(sb, "gate '%s': approval by %s (%s) ", g->id, who, a->role);
	switch (v) {
	case APPROVAL_ROLE_LOST:
		strbuf_addf(sb, "no longer counts: %s does not hold role '%s' now", who, a->role);
		break;
	case APPROVAL_EXPIRED:
		strbuf_addf(sb, "expired on %s (expires: %s)",
			    util_fmt_time(ready_approval_expires(p, st, a, project), t, sizeof(t)),
			    util_fmt_duration(g->expires, d, sizeof(d)));
		if (cv && cand && strcmp(cv->version, cand))
			strbuf_addf(sb, "; it was for %s%s%s; the candidate is now %s",
				    name_project ? pid : "", name_project ? " " : "", cv->version, cand);
		strbuf_addstr(sb, " — approve again");
		break;
	case APPROVAL_NO_CANDIDATE:
		if (cv)
			strbuf_addf(sb, "was for %s; %s has no candidate for %s now", cv->version, pid,
				    p->envs[g->before_env].name);
		else
			strbuf_addf(sb, "covers no version of %s, which has no candidate for %s", pid,
				    p->envs[g->before_env].name);
		break;
	case APPROVAL_NOT_COVERED:
		strbuf_addf(sb, "does not cover %s; the candidate is now %s — approve again", pid,
			    cand);
		break;
	case APPROVAL_STALE:
		strbuf_addf(sb, "was for %s%s%s; the candidate is now %s — approve again",
			    name_project ? pid : "", name_project ? " " : "", cv->version, cand);
		break;
	case APPROVAL_COUNTS:
		/* it counts, but its person fills another role of the gate */
		strbuf_addf(sb, "does not count: %s fills another role of the gate, which needs "
				"distinct people",
			    who);
		break;
	}
}

/* What approval a says for project (-1 and a gate of `scope: versions`: the
 * first project of the gate with a candidate that it does not count for,
 * stored in *proj). */
static enum ready_approval verdict_for(const struct plan *p, const struct state *st,
				       const struct state_approval *a, int project, int64_t now,
				       int *proj)
{
	const struct plan_gate *g = &p->gates[a->gate];
	enum ready_approval v = ready_approval_check(p, st, a, project, now);
	*proj = project;
	if (project >= 0 || g->scope_plan || v != APPROVAL_COUNTS)
		return v;
	for (size_t i = 0; i < p->nprojects; i++) {
		if (!plan_gate_covers_wave(g, p->projects[i].wave) || (st->loaded && !st->loaded[i]) ||
		    !ready_candidate(st, (int)i, g->before_env))
			continue;
		v = ready_approval_check(p, st, a, (int)i, now);
		if (v != APPROVAL_COUNTS) {
			*proj = (int)i;
			return v;
		}
	}
	return APPROVAL_COUNTS;
}

/* The clauses for a role no approval fills: each of the role's approvals and
 * why it does not (one given for the version before first). Returns how many
 * were added; *lost is set when one was given by someone who lost the role. */
static size_t explain_role(const struct plan *p, const struct state *st, const struct gate_match *m,
			   size_t r, int project, int64_t now, struct strbuf *why, bool *lost)
{
	static const enum ready_approval order[] = { APPROVAL_STALE,	   APPROVAL_EXPIRED,
						     APPROVAL_NOT_COVERED, APPROVAL_NO_CANDIDATE,
						     APPROVAL_COUNTS,	   APPROVAL_ROLE_LOST };
	const char *role = p->gates[m->all[0]->gate].approvers[r];
	size_t n = 0;
	for (size_t o = 0; o < ARRAY_SIZE(order); o++)
		for (size_t k = 0; k < m->nall; k++) {
			const struct state_approval *a = m->all[k];
			enum ready_approval v;
			int proj;
			if (strcmp(a->role, role))
				continue;
			v = verdict_for(p, st, a, project, now, &proj);
			if (v != order[o])
				continue;
			sep(why, "; ");
			why_not(p, st, a, proj, project < 0, v, why);
			if (v == APPROVAL_ROLE_LOST)
				*lost = true;
			n++;
		}
	return n;
}

void ready_gate_explain(const struct plan *p, const struct state *st, int gate, int project,
			int64_t now, struct strbuf *sb)
{
	const struct plan_gate *g = &p->gates[gate];
	struct strbuf need = STRBUF_INIT, have = STRBUF_INIT, crit = STRBUF_INIT,
		      why = STRBUF_INIT;
	struct gate_match m;
	size_t nneed = 0, ncrit = 0, napproved;
	const char *cand = NULL;

	if (g->scope_plan)
		project = -1;
	if (project >= 0)
		cand = ready_candidate(st, project, g->before_env);
	napproved = gate_match(p, st, gate, project, now, &m);
	for (size_t r = 0; r < g->napprovers; r++) {
		const struct state_approval *a = m.by_role[r];
		bool lost = false;
		if (a) {
			sep(&have, ", ");
			strbuf_addf(&have, "%s as %s", state_approval_by(p, a), a->role);
			continue;
		}
		/* a role whose approver lost it is still needed, as if never given */
		if (m.nall && explain_role(p, st, &m, r, project, now, &why, &lost) && !lost)
			continue;
		sep(&need, ", ");
		strbuf_addf(&need, "'%s'%s", g->approvers[r],
			    role_only_placeholders(p, g->approvers[r])
				    ? " (held only by a placeholder: TBD, name someone in the plan)"
				    : "");
		nneed++;
	}
	for (size_t i = 0; i < g->criteria.n; i++) {
		if (item_done(st, g->criteria.idx[i]))
			continue;
		sep(&crit, ", ");
		strbuf_addf(&crit, "'%s'", g->criteria.ids[i]);
		ncrit++;
	}
	if (napproved == g->napprovers && !ncrit) {
		strbuf_addf(sb, "gate '%s' passed", g->id);
		if (cand)
			strbuf_addf(sb, " for %s", cand);
		if (have.len)
			strbuf_addf(sb, " (%s)", have.buf);
	} else {
		size_t mark = sb->len;
		if (nneed) {
			strbuf_addf(sb, "gate '%s' still needs role%s %s (%s%s)", g->id,
				    nneed > 1 ? "s" : "", need.buf,
				    have.len ? "approved: " : "no approval yet",
				    have.len ? have.buf : "");
		}
		if (why.len) {
			if (sb->len > mark)
				strbuf_addstr(sb, "; ");
			strbuf_addstr(sb, why.buf);
		}
		if (ncrit) {
			if (sb->len == mark)
				strbuf_addf(sb, "gate '%s'", g->id);
			else
				strbuf_addch(sb, ';');
			strbuf_addf(sb, " criteri%s %s not done", ncrit > 1 ? "a" : "on", crit.buf);
		}
	}
	gate_match_release(&m);
	strbuf_release(&need);
	strbuf_release(&have);
	strbuf_release(&crit);
	strbuf_release(&why);
}

/* Does the `gates` rule for wave into env depend on the project? Only when
 * some gate there binds approvals to versions and has an approval to weigh:
 * with none given, every project of the wave gets the same answer. Worked
 * out once per wave and environment. */
static bool gates_per_project(struct ready_ctx *c, int wave, int env)
{
	const struct plan *p = c->plan;
	unsigned char *x = &c->cache->gates_pp[(size_t)wave * c->cache->nenvs + (size_t)env];

	if (*x)
		return *x == 2;
	*x = 1;
	for (size_t g = 0; g < p->ngates && *x == 1; g++) {
		const struct plan_gate *gt = &p->gates[g];
		if (gt->before_env != env || !plan_gate_covers_wave(gt, wave) || gt->scope_plan ||
		    !gt->napprovers)
			continue;
		for (size_t i = 0; i < c->st->napprovals; i++)
			if (c->st->approvals[i].gate == (int)g) {
				*x = 2;
				break;
			}
	}
	return *x == 2;
}

/* The `gates` rule for project (-1: for every project of the wave alike). */
static void eval_gates(struct ready_ctx *c, int wave, int env, int project, bool details,
		       struct ready_verdict *out)
{
	const struct plan *p = c->plan;
	struct strbuf okd = STRBUF_INIT, bad = STRBUF_INIT;
	struct strbuf one = STRBUF_INIT;
	size_t n = 0;

	out->ok = true;
	for (size_t g = 0; g < p->ngates; g++) {
		const struct plan_gate *gate = &p->gates[g];
		int who = gate->scope_plan ? -1 : project;
		bool passed;
		if (gate->before_env != env || !plan_gate_covers_wave(gate, wave))
			continue;
		n++;
		passed = ready_gate_status(p, c->st, (int)g, who, c->now) == GATE_PASSED;
		if (!passed)
			out->ok = false;
		if (!details)
			continue;
		strbuf_reset(&one);
		ready_gate_explain(p, c->st, (int)g, who, c->now, &one);
		if (passed) {
			sep(&okd, "; ");
			strbuf_addstr(&okd, one.buf);
		} else {
			sep(&bad, "; ");
			strbuf_addstr(&bad, one.buf);
		}
	}
	out->detail = NULL;
	if (details) {
		if (!n)
			out->detail = xasprintf("no gate before %s for wave '%s'", p->envs[env].name,
						p->waves[wave].id);
		else if (out->ok)
			out->detail = strbuf_detach(&okd);
		else
			out->detail = strbuf_detach(&bad);
	}
	strbuf_release(&okd);
	strbuf_release(&bad);
	strbuf_release(&one);
}

static void eval_gates_cached(struct ready_ctx *c, int wave, int env, struct cached *out)
{
	struct ready_verdict v;
	eval_gates(c, wave, env, -1, true, &v);
	out->ok = v.ok;
	out->detail = v.detail;
}

static void mark_refs(unsigned char *mark, const struct plan_refs *r, int *order, size_t *n)
{
	for (size_t i = 0; i < r->n; i++) {
		int it = r->idx[i];
		if (it < 0 || mark[it])
			continue;
		mark[it] = 1;
		order[(*n)++] = it;
	}
}

static void eval_checklist(struct ready_ctx *c, int wave, int env, struct cached *out)
{
	const struct plan *p = c->plan;
	unsigned char *mark = c->cache->item_mark;
	int *order = xcalloc(p->nitems + 1, sizeof(*order));
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0, missing = 0;

	/* in the order a person reads them: prerequisites, items for env, sign-off */
	mark_refs(mark, &p->waves[wave].prerequisites, order, &n);
	for (size_t i = 0; i < p->nitems; i++) {
		const struct plan_item *it = &p->items[i];
		if (mark[i] || !it->has_applies)
			continue;
		if (it->applies_env >= 0 && it->applies_env != env)
			continue;
		if (!plan_item_applies(it, env, wave))
			continue;
		mark[i] = 1;
		order[n++] = (int)i;
	}
	mark_refs(mark, &p->envs[env - 1].success, order, &n);

	for (size_t k = 0; k < n; k++) {
		int i = order[k];
		const struct state_tick *t = &c->st->ticks[i];
		mark[i] = 0;
		if (t->done)
			continue;
		missing++;
		if (missing > LIST_MAX)
			continue;
		sep(&sb, ", ");
		strbuf_addf(&sb, "'%s'", p->items[i].id);
		if (t->has_evidence)
			strbuf_addf(&sb, " (check failed, exit %d)", t->exit_status);
		else if (p->items[i].text)
			strbuf_addf(&sb, " (%s)", p->items[i].text);
	}
	if (missing > LIST_MAX)
		strbuf_addf(&sb, " and %zu more", missing - LIST_MAX);
	out->ok = missing == 0;
	if (!n)
		out->detail = xasprintf("no checklist item applies to %s for wave '%s'",
					p->envs[env].name, p->waves[wave].id);
	else if (out->ok)
		out->detail = xasprintf("%zu item%s done", n, n == 1 ? "" : "s");
	else
		out->detail = xasprintf("%zu of %zu item%s not done: %s", missing, n,
					n == 1 ? "" : "s", sb.buf);
	free(order);
	strbuf_release(&sb);
}


static void eval_blockers(struct ready_ctx *c, int wave, int env, struct cached *out)
{
	const struct plan *p = c->plan;
	struct strbuf bad = STRBUF_INIT, resolved = STRBUF_INIT;
	char date[16];

	for (size_t i = 0; i < p->nblockers; i++) {
		const struct plan_blocker *b = &p->blockers[i];
		const struct state_blocker *s = &c->st->blockers[i];
		if (!plan_blocker_applies(b, wave, env))
			continue;
		if (s->resolved) {
			sep(&resolved, ", ");
			strbuf_addf(&resolved, "'%s'", b->id);
			continue;
		}
		sep(&bad, "; ");
		strbuf_addf(&bad, "blocker '%s' at %d%%", b->id, s->progress);
		if (b->owner)
			strbuf_addf(&bad, ", owner %s", b->owner);
		if (b->due)
			strbuf_addf(&bad, ", due %s", util_fmt_date(b->due, date, sizeof(date)));
	}
	out->ok = bad.len == 0;
	if (!out->ok)
		out->detail = strbuf_detach(&bad);
	else if (resolved.len)
		out->detail = xasprintf("blocker%s %s resolved", strchr(resolved.buf, ',') ? "s" : "",
					resolved.buf);
	else
		out->detail = xasprintf("no blocker for %s", p->envs[env].name);
	strbuf_release(&bad);
	strbuf_release(&resolved);
}

static void eval_freeze(struct ready_ctx *c, int env, struct cached *out)
{
	const struct plan_env *e = &c->plan->envs[env];
	char from[32], to[32];
	const struct plan_freeze *next = NULL;

	for (size_t i = 0; i < e->nfreeze; i++) {
		const struct plan_freeze *f = &e->freeze[i];
		if (c->now >= f->from && c->now < f->to) {
			out->ok = false;
			out->detail = xasprintf("%s is frozen until %s%s%s%s", e->name,
						util_fmt_time(f->to, to, sizeof(to)),
						f->why ? " (" : "", f->why ? f->why : "",
						f->why ? ")" : "");
			return;
		}
		if (f->from > c->now && (!next || f->from < next->from))
			next = f;
	}
	out->ok = true;
	if (next)
		out->detail = xasprintf("%s is not frozen now; next freeze %s to %s", e->name,
					util_fmt_time(next->from, from, sizeof(from)),
					util_fmt_time(next->to, to, sizeof(to)));
	else
		out->detail = xasprintf("%s is not frozen now", e->name);
}

static void describe_incident(struct strbuf *sb, const struct plan *p,
			      const struct state_incident *in)
{
	char at[32];
	strbuf_addf(sb, "incident %lld (level %d", (long long)in->id, in->level);
	if (in->project >= 0)
		strbuf_addf(sb, ", %s", p->projects[in->project].id);
	if (in->env >= 0)
		strbuf_addf(sb, " in %s", p->envs[in->env].name);
	strbuf_addf(sb, ") open since %s: %s", util_fmt_time(in->opened_at, at, sizeof(at)),
		    in->text ? in->text : "");
}

static void eval_pause(struct ready_ctx *c, struct cached *out)
{
	const struct state *st = c->st;
	struct strbuf sb = STRBUF_INIT;
	size_t n = 0;

	for (size_t i = 0; i < st->nincidents; i++) {
		const struct state_incident *in = &st->incidents[i];
		if (!in->open || in->level < 2)
			continue;
		if (!n)
			describe_incident(&sb, c->plan, in);
		n++;
	}
	out->ok = n == 0;
	if (n > 1)
		strbuf_addf(&sb, " (and %zu more)", n - 1);
	if (n)
		strbuf_addstr(&sb, "; every promotion is paused until it is resolved");
	out->detail = strbuf_detach(&sb);
}

static struct cached *cache_get(struct ready_ctx *c, int wave, int env, int kind)
{
	struct ready_cache *k = c->cache;
	struct cached *x = &k->per_wave_env[((size_t)wave * k->nenvs + (size_t)env) * K_COUNT +
					    (size_t)kind];
	if (x->done)
		return x;
	switch (kind) {
	case K_GATES: eval_gates_cached(c, wave, env, x); break;
	case K_CHECKLIST: eval_checklist(c, wave, env, x); break;
	default: eval_blockers(c, wave, env, x); break;
	}
	x->done = true;
	return x;
}

static void build_open_index(struct ready_ctx *c)
{
	struct ready_cache *k = c->cache;
	const struct state *st = c->st;
	k->open_on_cell = xcalloc(st->nprojects * st->nenvs + 1, sizeof(int));
	for (size_t i = st->nincidents; i-- > 0;) {
		const struct state_incident *in = &st->incidents[i];
		if (!in->open || in->project < 0 || in->env < 0)
			continue;
		k->open_on_cell[(size_t)in->project * st->nenvs + (size_t)in->env] = (int)i + 1;
	}
}

/* ---- per project ---- */

static void set(struct ready_verdict *v, bool ok, bool details, char *detail)
{
	v->ok = ok;
	if (details)
		v->detail = detail;
	else
		free(detail);
}

static void set_cached(struct ready_verdict *v, const struct cached *x, bool details)
{
	v->ok = x->ok;
	v->detail = details && x->detail ? xstrdup(x->detail) : NULL;
}

const struct state_rejection *ready_rejection(const struct state *st, int project,
					      const char *version, int env)
{
	const struct state_rejection *r = state_rejection_for(st, project, version, env);
	return r && !r->allowed && r->kind != REJECT_ALLOWANCE ? r : NULL;
}

void ready_describe_rejection(const struct plan *p, const struct state_rejection *r,
			      struct strbuf *sb)
{
	const char *env = r->env >= 0 ? p->envs[r->env].name : NULL;
	char t[32];
	strbuf_addf(sb, "version %s ", r->version);
	switch (r->kind) {
	case REJECT_ROLLED_BACK:
		strbuf_addf(sb, "was rolled back from %s", env ? env : "an environment");
		break;
	case REJECT_FAILED:
		strbuf_addf(sb, "failed in %s", env ? env : "an environment");
		break;
	case REJECT_BY_HAND:
	case REJECT_ALLOWANCE:
		if (env)
			strbuf_addf(sb, "was rejected for %s", env);
		else
			strbuf_addstr(sb, "was rejected everywhere");
		if (r->by)
			strbuf_addf(sb, " by %s", r->by);
		break;
	}
	strbuf_addf(sb, " on %s", util_fmt_time(r->at, t, sizeof(t)));
	if (r->reason && *r->reason)
		strbuf_addf(sb, " (%s)", r->reason);
}

bool ready_release_complete(const struct plan *p, const struct state *st, struct strbuf *why)
{
	size_t last, healthy = 0, missing = 0;
	const struct plan_refs *success;
	struct strbuf items = STRBUF_INIT;

	if (!p->nenvs || !p->nprojects)
		return false;
	last = p->nenvs - 1;
	success = &p->envs[last].success;
	for (size_t i = 0; i < p->nprojects; i++)
		healthy += state_cell(st, (int)i, (int)last)->state == STATE_HEALTHY;
	for (size_t i = 0; i < success->n; i++) {
		if (item_done(st, success->idx[i]))
			continue;
		if (++missing <= LIST_MAX) {
			sep(&items, ", ");
			strbuf_addf(&items, "'%s'", success->ids[i]);
		}
	}
	if (missing > LIST_MAX)
		strbuf_addf(&items, " and %zu more", missing - LIST_MAX);
	if (why && (healthy < p->nprojects || missing)) {
		if (healthy < p->nprojects)
			strbuf_addf(why, "%zu of %zu project%s healthy in %s", healthy, p->nprojects,
				    p->nprojects == 1 ? "" : "s", p->envs[last].name);
		if (missing)
			strbuf_addf(why, "%s%zu of %zu success criteri%s of %s not done: %s",
				    healthy < p->nprojects ? "; " : "", missing, success->n,
				    success->n == 1 ? "on" : "a", p->envs[last].name, items.buf);
	}
	strbuf_release(&items);
	return healthy == p->nprojects && !missing;
}

static void eval_source(struct ready_ctx *c, int project, int env, bool details,
			struct ready_result *out)
{
	const struct plan *p = c->plan;
	const char *pid = p->projects[project].id;
	const char *from = p->envs[env - 1].name, *to = p->envs[env].name;
	const struct state_cell *src = state_cell(c->st, project, env - 1);
	const struct state_cell *dst = state_cell(c->st, project, env);
	struct ready_verdict *v = &out->rules[RULE_SOURCE];
	char t[32];

	if (src->state == STATE_HEALTHY && src->version) {
		const struct state_rejection *rej;
		int held;
		out->version = src->version;
		rej = ready_rejection(c->st, project, src->version, env);
		if (rej) {
			v->ok = false;
			if (details) {
				struct strbuf sb = STRBUF_INIT;
				ready_describe_rejection(p, rej, &sb);
				strbuf_addstr(&sb, ": record a new version, or allow it again");
				v->detail = strbuf_detach(&sb);
			}
			return;
		}
		if ((dst->state == STATE_DEPLOYING || dst->state == STATE_VERIFYING) &&
		    dst->orphaned) {
			/* its runner is gone: promote repairs it, then runs */
			v->ok = true;
			if (details)
				v->detail = xasprintf("version '%s' is healthy in %s; the promotion of "
						      "'%s' to %s (%s since %s) lost its runner: the "
						      "next promote repairs it and runs",
						      src->version, from,
						      dst->version ? dst->version : "?", to,
						      store_state_name(dst->state),
						      util_fmt_time(dst->since, t, sizeof(t)));
			return;
		}
		if (dst->state == STATE_DEPLOYING || dst->state == STATE_VERIFYING) {
			v->ok = false;
			if (details)
				v->detail = xasprintf("a promotion of '%s' to %s is in progress (state: %s "
						      "since %s)",
						      dst->version ? dst->version : "?", to,
						      store_state_name(dst->state),
						      util_fmt_time(dst->since, t, sizeof(t)));
			return;
		}
		held = ready_held(c->st, project, env);
		if (held && !c->retry_held) {
			v->ok = false;
			if (details)
				v->detail = xasprintf("held: %s was rolled back %d times in %s in the last "
						      "%dh; look at it, then let it run with 'tollgate "
						      "promote --to %s --project %s --retry-held --as PERSON'",
						      pid, held, to, READY_HOLD_WINDOW / 3600, to, pid);
			return;
		}
		if (dst->state == STATE_INTERRUPTED && dst->version &&
		    !strcmp(dst->version, src->version)) {
			/* a runner died promoting it: promote retries it */
			v->ok = true;
			if (details)
				v->detail = xasprintf("version '%s' is healthy in %s; its promotion to %s "
						      "was interrupted (since %s) and will be retried",
						      src->version, from, to,
						      util_fmt_time(dst->since, t, sizeof(t)));
			return;
		}
		if (dst->version && !strcmp(dst->version, src->version) &&
		    dst->state != STATE_NONE && dst->state != STATE_FAILED &&
		    dst->state != STATE_ROLLED_BACK) {
			v->ok = false;
			if (details)
				v->detail = xasprintf("version '%s' is already %s in %s", dst->version,
						      store_state_name(dst->state), to);
			return;
		}
		v->ok = true;
		if (details) {
			if (held)
				v->detail = xasprintf("version '%s' is healthy in %s (since %s); held after "
						      "%d rollbacks in %s, let run by --retry-held",
						      src->version, from,
						      util_fmt_time(src->since, t, sizeof(t)), held, to);
			else
				v->detail = xasprintf("version '%s' is healthy in %s (since %s)",
						      src->version, from,
						      util_fmt_time(src->since, t, sizeof(t)));
		}
		return;
	}
	v->ok = false;
	if (!details)
		return;
	if (src->state == STATE_NONE) {
		if (env - 1 == 0)
			v->detail = xasprintf("%s has no version in %s; record one with "
					      "'tollgate record %s %s --version V'",
					      pid, from, pid, from);
		else
			v->detail = xasprintf("%s is not in %s yet (state: none)", pid, from);
	} else if (src->state == STATE_SOAKING && src->soak_until) {
		v->detail = xasprintf("%s is not healthy in %s (state: soaking, soak ends %s)", pid,
				      from, util_fmt_time(src->soak_until, t, sizeof(t)));
	} else {
		v->detail = xasprintf("%s is not healthy in %s (state: %s)", pid, from,
				      store_state_name(src->state));
	}
}

static void eval_depends(struct ready_ctx *c, int project, int env, bool details,
			 struct ready_result *out)
{
	const struct plan *p = c->plan;
	const struct plan_refs *d = &p->projects[project].depends_on;
	struct strbuf sb = STRBUF_INIT;
	size_t waiting = 0;

	for (size_t i = 0; i < d->n; i++) {
		int dep = d->idx[i];
		enum store_state s;
		if (dep < 0)
			continue;
		s = state_cell(c->st, dep, env)->state;
		if (ready_is_live(s))
			continue;
		waiting++;
		if (!details)
			break;
		if (waiting <= LIST_MAX) {
			sep(&sb, ", ");
			strbuf_addf(&sb, "%s (%s)", p->projects[dep].id, store_state_name(s));
		}
	}
	if (!details) {
		out->rules[RULE_DEPENDS_ON].ok = waiting == 0;
		return;
	}
	if (waiting > LIST_MAX)
		strbuf_addf(&sb, " and %zu more", waiting - LIST_MAX);
	if (waiting)
		set(&out->rules[RULE_DEPENDS_ON], false, true,
		    xasprintf("waiting for %s in %s: %s", waiting == 1 ? "a dependency" : "dependencies",
			      p->envs[env].name, sb.buf));
	else if (d->n)
		set(&out->rules[RULE_DEPENDS_ON], true, true,
		    xasprintf("every dependency is healthy or soaking in %s", p->envs[env].name));
	else
		set(&out->rules[RULE_DEPENDS_ON], true, true, xstrdup("no dependencies"));
	strbuf_release(&sb);
}

static void eval_incidents(struct ready_ctx *c, int project, int env, bool details,
			   struct ready_result *out)
{
	struct ready_cache *k = c->cache;
	struct ready_verdict *v = &out->rules[RULE_INCIDENTS];
	int own;

	if (!k->pause.done) {
		eval_pause(c, &k->pause);
		k->pause.done = true;
	}
	if (!k->open_on_cell)
		build_open_index(c);
	own = k->open_on_cell[(size_t)project * k->nenvs + (size_t)(env - 1)];
	if (!k->pause.ok) {
		set_cached(v, &k->pause, details);
		return;
	}
	if (own) {
		struct strbuf sb = STRBUF_INIT;
		v->ok = false;
		if (details) {
			describe_incident(&sb, c->plan, &c->st->incidents[own - 1]);
			strbuf_addstr(&sb, "; resolve it before promoting");
			v->detail = strbuf_detach(&sb);
		}
		return;
	}
	v->ok = true;
	if (details)
		v->detail = xasprintf("no open incident on %s in %s and no global pause",
				      c->plan->projects[project].id, c->plan->envs[env - 1].name);
}

char *ready_summary(struct ready_ctx *c, int project, int env, const bool ok[RULE_COUNT])
{
	struct ready_result full;
	struct strbuf sb = STRBUF_INIT;
	const char *first = NULL;

	ready_check(c, project, env, true, &full);
	for (int k = 0; k < RULE_COUNT; k++) {
		if (ok[k])
			continue;
		sep(&sb, ", ");
		strbuf_addstr(&sb, ready_rule_name((enum ready_rule)k));
		if (!first && full.rules[k].detail)
			first = full.rules[k].detail;
	}
	if (first)
		strbuf_addf(&sb, ": %s", first);
	ready_result_release(&full);
	return strbuf_detach(&sb);
}

size_t ready_cells_needed(const struct plan *p, int project, int env, int **out)
{
	const struct plan_refs *d = &p->projects[project].depends_on;
	int after = p->waves[p->projects[project].wave].after_wave;
	size_t n = 0, alloc = 0;
	int *v = NULL;

	(void)env; /* every environment of a listed project is read */
	ALLOC_GROW(v, n + 1, alloc);
	v[n++] = project;
	for (size_t i = 0; i < d->n; i++)
		if (d->idx[i] >= 0) {
			ALLOC_GROW(v, n + 1, alloc);
			v[n++] = d->idx[i];
		}
	if (after >= 0)
		for (size_t i = 0; i < p->nprojects; i++)
			if (p->projects[i].wave == after) {
				ALLOC_GROW(v, n + 1, alloc);
				v[n++] = (int)i;
			}
	*out = v;
	return n;
}

/* ---- what would fix it ---- */

static void add_fix(struct ready_result *out, size_t *alloc, enum ready_fix_kind kind,
		    enum ready_rule rule, int gate, const char *role, int item, int blocker)
{
	/* an item may be a wave's prerequisite and a gate's criterion at once */
	for (size_t i = 0; i < out->nfixes; i++)
		if (out->fixes[i].kind == kind && out->fixes[i].gate == gate &&
		    out->fixes[i].item == item && out->fixes[i].blocker == blocker &&
		    (!role || (out->fixes[i].role && !strcmp(out->fixes[i].role, role))))
			return;
	ALLOC_GROW(out->fixes, out->nfixes + 1, *alloc);
	out->fixes[out->nfixes++] = (struct ready_fix){ kind, rule, gate, item, blocker, role };
}

/* The actions that would make the failing rules of project → env pass, as
 * the rules decide them: the roles a gate still needs and its criteria not
 * done, the checklist items not done (in the order eval_checklist reads
 * them), the open blockers in the way, a rejected or held candidate. */
static void collect_fixes(struct ready_ctx *c, int project, int env, struct ready_result *out)
{
	const struct plan *p = c->plan;
	const struct state *st = c->st;
	int wave = p->projects[project].wave;
	size_t alloc = 0;

	if (!out->rules[RULE_SOURCE].ok && out->version) {
		if (ready_rejection(st, project, out->version, env))
			add_fix(out, &alloc, FIX_ALLOW, RULE_SOURCE, -1, NULL, -1, -1);
		else if (ready_held(st, project, env) && !c->retry_held)
			add_fix(out, &alloc, FIX_RETRY_HELD, RULE_SOURCE, -1, NULL, -1, -1);
	}
	if (!out->rules[RULE_GATES].ok)
		for (size_t g = 0; g < p->ngates; g++) {
			const struct plan_gate *gate = &p->gates[g];
			int who = gate->scope_plan ? -1 : project;
			struct gate_match m;
			if (gate->before_env != env || !plan_gate_covers_wave(gate, wave) ||
			    ready_gate_status(p, st, (int)g, who, c->now) == GATE_PASSED)
				continue;
			gate_match(p, st, (int)g, who, c->now, &m);
			for (size_t r = 0; r < gate->napprovers; r++)
				if (!m.by_role || !m.by_role[r])
					add_fix(out, &alloc, FIX_APPROVE, RULE_GATES, (int)g,
						gate->approvers[r], -1, -1);
			gate_match_release(&m);
			for (size_t i = 0; i < gate->criteria.n; i++)
				if (gate->criteria.idx[i] >= 0 && !item_done(st, gate->criteria.idx[i]))
					add_fix(out, &alloc, FIX_CHECK, RULE_GATES, -1, NULL,
						gate->criteria.idx[i], -1);
		}
	if (!out->rules[RULE_CHECKLIST].ok) {
		const struct plan_refs *pre = &p->waves[wave].prerequisites, *succ = &p->envs[env - 1].success;
		for (size_t i = 0; i < pre->n; i++)
			if (pre->idx[i] >= 0 && !item_done(st, pre->idx[i]))
				add_fix(out, &alloc, FIX_CHECK, RULE_CHECKLIST, -1, NULL, pre->idx[i], -1);
		for (size_t i = 0; i < p->nitems; i++) {
			const struct plan_item *it = &p->items[i];
			if (!it->has_applies || (it->applies_env >= 0 && it->applies_env != env) ||
			    !plan_item_applies(it, env, wave) || item_done(st, (int)i))
				continue;
			add_fix(out, &alloc, FIX_CHECK, RULE_CHECKLIST, -1, NULL, (int)i, -1);
		}
		for (size_t i = 0; i < succ->n; i++)
			if (succ->idx[i] >= 0 && !item_done(st, succ->idx[i]))
				add_fix(out, &alloc, FIX_CHECK, RULE_CHECKLIST, -1, NULL, succ->idx[i], -1);
	}
	if (!out->rules[RULE_BLOCKERS].ok)
		for (size_t i = 0; i < p->nblockers; i++)
			if (plan_blocker_applies(&p->blockers[i], wave, env) && !st->blockers[i].resolved)
				add_fix(out, &alloc, FIX_BLOCKER, RULE_BLOCKERS, -1, NULL, -1, (int)i);
}

void ready_check(struct ready_ctx *c, int project, int env, bool details, struct ready_result *out)
{
	const struct plan *p = c->plan;
	struct ready_cache *k = c->cache;
	int wave = p->projects[project].wave;

	memset(out, 0, sizeof(*out));
	if (env < 1 || (size_t)env >= p->nenvs || project < 0 || (size_t)project >= p->nprojects)
		BUG("ready_check(%d, %d) out of range", project, env);

	eval_source(c, project, env, details, out);
	eval_depends(c, project, env, details, out);

	if (!k->wave_order[wave].done) {
		eval_wave_order(c, wave, &k->wave_order[wave]);
		k->wave_order[wave].done = true;
	}
	set_cached(&out->rules[RULE_WAVE_ORDER], &k->wave_order[wave], details);
	if (gates_per_project(c, wave, env))
		eval_gates(c, wave, env, project, details, &out->rules[RULE_GATES]);
	else
		set_cached(&out->rules[RULE_GATES], cache_get(c, wave, env, K_GATES), details);
	set_cached(&out->rules[RULE_CHECKLIST], cache_get(c, wave, env, K_CHECKLIST), details);
	set_cached(&out->rules[RULE_BLOCKERS], cache_get(c, wave, env, K_BLOCKERS), details);
	if (!k->freeze[env].done) {
		eval_freeze(c, env, &k->freeze[env]);
		k->freeze[env].done = true;
	}
	set_cached(&out->rules[RULE_FREEZE], &k->freeze[env], details);
	eval_incidents(c, project, env, details, out);

	out->ready = true;
	for (int i = 0; i < RULE_COUNT; i++)
		if (!out->rules[i].ok)
			out->ready = false;
	if (details && !out->ready)
		collect_fixes(c, project, env, out);
}
