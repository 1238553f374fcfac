/*
 * plan-validate.c - the rules that span objects: every reference resolves,
 * gate roles are held by someone, the project dependency graph and the wave
 * `after` graph are acyclic, and the warnings of docs/plan.md.
 *
 * Everything here is linear in the size of the plan (hash lookups, one
 * iterative depth-first search), so a 10,000-project plan validates in a few
 * milliseconds; suggestions, the only quadratic part, are capped.
 */
#include "plan/plan-internal.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SUGGESTIONS 200

enum ref_kind { REF_WAVE, REF_PROJECT, REF_ITEM };

static const char *ref_kind_name(enum ref_kind k)
{
	switch (k) {
	case REF_WAVE: return "wave";
	case REF_PROJECT: return "project";
	case REF_ITEM: return "checklist item";
	}
	return "id";
}

static int ref_lookup(const struct plan *p, enum ref_kind k, const char *id)
{
	switch (k) {
	case REF_WAVE: return plan_wave_index(p, id);
	case REF_PROJECT: return plan_project_index(p, id);
	case REF_ITEM: return plan_item_index(p, id);
	}
	return -1;
}

static const char *ref_suggest(struct loader *ld, enum ref_kind k, const char *id)
{
	if (ld->nsuggest++ >= MAX_SUGGESTIONS)
		return NULL;
	switch (k) {
	case REF_WAVE: return plan_suggest_wave(ld->p, id);
	case REF_PROJECT: return plan_suggest_project(ld->p, id);
	case REF_ITEM: return plan_suggest_item(ld->p, id);
	}
	return NULL;
}

/* Resolve r against kind k; whose/key describe the owner for messages. */
static void resolve(struct loader *ld, struct plan_refs *r, enum ref_kind k, const char *whose,
		    const char *key)
{
	for (size_t i = 0; i < r->n; i++) {
		const char *best;
		r->idx[i] = ref_lookup(ld->p, k, r->ids[i]);
		if (r->idx[i] >= 0)
			continue;
		best = ref_suggest(ld, k, r->ids[i]);
		if (best)
			plan_ld_errorl(ld, r->locs[i], "%s names unknown %s '%s' in '%s'; did you mean '%s'?",
				       whose, ref_kind_name(k), r->ids[i], key, best);
		else
			plan_ld_errorl(ld, r->locs[i], "%s names unknown %s '%s' in '%s'", whose,
				       ref_kind_name(k), r->ids[i], key);
	}
}

static void resolve_all(struct loader *ld)
{
	struct plan *p = ld->p;
	char whose[160];

	for (size_t i = 0; i < p->nenvs; i++) {
		snprintf(whose, sizeof(whose), "environment '%s'", p->envs[i].name);
		resolve(ld, &p->envs[i].success, REF_ITEM, whose, "success");
	}
	for (size_t i = 0; i < p->nwaves; i++) {
		struct plan_wave *w = &p->waves[i];
		snprintf(whose, sizeof(whose), "wave '%s'", w->id);
		resolve(ld, &w->prerequisites, REF_ITEM, whose, "prerequisites");
		if (w->after_wave_id) {
			w->after_wave = plan_wave_index(p, w->after_wave_id);
			if (w->after_wave < 0) {
				const char *best = ref_suggest(ld, REF_WAVE, w->after_wave_id);
				if (best)
					plan_ld_errorl(ld, w->after_loc,
						       "wave '%s' comes after unknown wave '%s'; did you mean '%s'?",
						       w->id, w->after_wave_id, best);
				else
					plan_ld_errorl(ld, w->after_loc,
						       "wave '%s' comes after unknown wave '%s'", w->id,
						       w->after_wave_id);
			} else if (w->after_wave == (int)i) {
				plan_ld_errorl(ld, w->after_loc, "wave '%s' comes after itself", w->id);
			}
		}
	}
	for (size_t i = 0; i < p->nprojects; i++) {
		struct plan_project *pr = &p->projects[i];
		struct plan_refs *r = &pr->depends_on;
		for (size_t j = 0; j < r->n; j++) {
			const char *best;
			r->idx[j] = plan_project_index(p, r->ids[j]);
			if (r->idx[j] == (int)i)
				plan_ld_errorl(ld, r->locs[j], "project '%s' depends on itself", pr->id);
			if (r->idx[j] >= 0)
				continue;
			best = ref_suggest(ld, REF_PROJECT, r->ids[j]);
			if (best)
				plan_ld_errorl(ld, r->locs[j],
					       "project '%s' depends on unknown project '%s'; did you mean '%s'?",
					       pr->id, r->ids[j], best);
			else
				plan_ld_errorl(ld, r->locs[j], "project '%s' depends on unknown project '%s'",
					       pr->id, r->ids[j]);
		}
	}
	for (size_t i = 0; i < p->ngates; i++) {
		snprintf(whose, sizeof(whose), "gate '%s'", p->gates[i].id);
		resolve(ld, &p->gates[i].criteria, REF_ITEM, whose, "criteria");
		resolve(ld, &p->gates[i].waves, REF_WAVE, whose, "waves");
	}
	for (size_t i = 0; i < p->nitems; i++) {
		snprintf(whose, sizeof(whose), "checklist item '%s'", p->items[i].id);
		resolve(ld, &p->items[i].applies_waves, REF_WAVE, whose, "waves");
	}
	for (size_t i = 0; i < p->nblockers; i++) {
		snprintf(whose, sizeof(whose), "blocker '%s'", p->blockers[i].id);
		resolve(ld, &p->blockers[i].blocks_waves, REF_WAVE, whose, "waves");
	}
	for (size_t i = 0; i < p->nrisks; i++) {
		snprintf(whose, sizeof(whose), "risk '%s'", p->risks[i].id);
		resolve(ld, &p->risks[i].projects, REF_PROJECT, whose, "projects");
	}
	for (size_t i = 0; i < p->npost; i++) {
		snprintf(whose, sizeof(whose), "'post_promotion' entry %zu", i + 1);
		resolve(ld, &p->post[i].waves, REF_WAVE, whose, "waves");
		resolve(ld, &p->post[i].items, REF_ITEM, whose, "items");
	}
	for (size_t i = 0; i < p->nmilestones; i++) {
		snprintf(whose, sizeof(whose), "'milestones' entry %zu", i + 1);
		resolve(ld, &p->milestones[i].waves, REF_WAVE, whose, "wave");
		resolve(ld, &p->milestones[i].projects, REF_PROJECT, whose, "projects");
	}
}

/* Kuhn's augmenting path: can role j get a person not already used? */
static bool match_role(const struct plan *p, const struct plan_gate *g, size_t j, int *owner,
		       unsigned char *seen)
{
	for (size_t k = 0; k < p->npeople; k++) {
		if (seen[k] || !plan_person_has_role(&p->people[k], g->approvers[j]))
			continue;
		seen[k] = 1;
		if (owner[k] < 0 || match_role(p, g, (size_t)owner[k], owner, seen)) {
			owner[k] = (int)j;
			return true;
		}
	}
	return false;
}

/* One approval per role from distinct people: every role held is not enough
 * when one person holds two of a gate's roles and nobody else does. */
static void check_distinct_approvers(struct loader *ld, const struct plan_gate *g,
				     const struct strmap *roles)
{
	const struct plan *p = ld->p;
	int *owner;
	unsigned char *seen;

	if (g->napprovers < 2 || g->napprovers > 16 || !p->npeople)
		return;
	for (size_t j = 0; j < g->napprovers; j++)
		if (strmap_get(roles, g->approvers[j]) < 0)
			return; /* already reported */
	owner = xmalloc(p->npeople * sizeof(*owner));
	seen = xmalloc(p->npeople);
	for (size_t k = 0; k < p->npeople; k++)
		owner[k] = -1;
	for (size_t j = 0; j < g->napprovers; j++) {
		memset(seen, 0, p->npeople);
		if (!match_role(p, g, j, owner, seen)) {
			plan_ld_errorl(ld, g->approver_locs[j],
				       "gate '%s' cannot be approved by distinct people: role '%s' is held only by people needed for its other roles",
				       g->id, g->approvers[j]);
			break;
		}
	}
	free(owner);
	free(seen);
}

/* The placeholder holding role when nobody real does (NULL otherwise, and
 * when nobody holds it at all). */
static const struct plan_person *only_placeholder(const struct plan *p, const struct strmap *real,
						  const char *role)
{
	if (strmap_get(real, role) >= 0)
		return NULL;
	for (size_t k = 0; k < p->npeople; k++)
		if (p->people[k].tbd && plan_person_has_role(&p->people[k], role))
			return &p->people[k];
	return NULL;
}

/* A list of roles that restricts who may act (environments[].promoters,
 * checklist[].by): each role held by someone; a warning when nobody real
 * holds any of them. */
static void check_role_list(struct loader *ld, const struct strmap *roles,
			    const struct strmap *real, const char *const *list, size_t n,
			    const struct plan_loc *locs, struct plan_loc at, const char *whose,
			    const char *key, const char *cannot)
{
	struct strbuf names = STRBUF_INIT;
	bool anyone_real = false;

	for (size_t j = 0; j < n; j++) {
		if (strmap_get(roles, list[j]) < 0)
			plan_ld_errorl(ld, locs[j], "role '%s' in '%s' of %s is held by nobody in 'people'",
				       list[j], key, whose);
		if (strmap_get(real, list[j]) >= 0)
			anyone_real = true;
		strbuf_addf(&names, "%s'%s'", j ? ", " : "", list[j]);
	}
	if (n && !anyone_real)
		plan_ld_warnl(ld, at, "%s %s until a person (not a placeholder) holds one of its '%s' roles (%s)",
			      whose, cannot, key, names.buf);
	strbuf_release(&names);
}

static void check_roles(struct loader *ld)
{
	struct plan *p = ld->p;
	struct strmap roles, real;
	char whose[200];
	size_t n = 0;

	for (size_t i = 0; i < p->npeople; i++)
		n += p->people[i].nroles;
	strmap_init(&roles, NULL, n);
	strmap_init(&real, NULL, n);
	for (size_t i = 0; i < p->npeople; i++)
		for (size_t j = 0; j < p->people[i].nroles; j++) {
			strmap_put(&roles, p->people[i].roles[j], (int)i);
			if (!p->people[i].tbd)
				strmap_put(&real, p->people[i].roles[j], (int)i);
		}
	for (size_t i = 0; i < p->ngates; i++) {
		const struct plan_gate *g = &p->gates[i];
		for (size_t j = 0; j < g->napprovers; j++) {
			const struct plan_person *tbd;
			if (strmap_get(&roles, g->approvers[j]) < 0) {
				plan_ld_errorl(ld, g->approver_locs[j],
					       "role '%s' of gate '%s' is held by nobody in 'people'",
					       g->approvers[j], g->id);
				continue;
			}
			tbd = only_placeholder(p, &real, g->approvers[j]);
			if (tbd)
				plan_ld_warnl(ld, g->approver_locs[j],
					      "gate '%s' cannot pass until someone is named for role '%s' (held only by placeholder '%s')",
					      g->id, g->approvers[j], tbd->id);
		}
		check_distinct_approvers(ld, g, &roles);
	}
	for (size_t i = 0; i < p->nenvs; i++) {
		const struct plan_env *e = &p->envs[i];
		snprintf(whose, sizeof(whose), "environment '%s'", e->name);
		check_role_list(ld, &roles, &real, e->promoters, e->npromoters, e->promoter_locs,
				e->npromoters ? e->promoter_locs[0] : e->loc, whose, "promoters",
				"cannot be changed (promote, rollback, record)");
	}
	for (size_t i = 0; i < p->nitems; i++) {
		const struct plan_item *it = &p->items[i];
		snprintf(whose, sizeof(whose), "checklist item '%s'", it->id);
		check_role_list(ld, &roles, &real, it->by, it->nby, it->by_locs,
				it->nby ? it->by_locs[0] : it->loc, whose, "by",
				"cannot be ticked");
	}
	strmap_release(&real);
	strmap_release(&roles);
}

/* people[].login and db_user name one person each; the identity mode
 * can work (issue 9 §5). */
static void check_identity(struct loader *ld)
{
	struct plan *p = ld->p;
	struct strmap logins, dbusers;
	size_t n = 0, ndb = 0;
	const struct plan_loc first = p->npeople ? p->people[0].loc : (struct plan_loc){ 0, 0 };
	const struct plan_loc at = p->identity_set ? p->identity_loc : first;

	for (size_t i = 0; i < p->npeople; i++)
		n += p->people[i].nlogins;
	strmap_init(&logins, NULL, n);
	strmap_init(&dbusers, NULL, p->npeople);
	for (size_t i = 0; i < p->npeople; i++) {
		const struct plan_person *pe = &p->people[i];
		for (size_t j = 0; j < pe->nlogins; j++) {
			int prev = strmap_put(&logins, pe->logins[j], (int)i);
			if (prev >= 0 && prev != (int)i)
				plan_ld_errorl(ld, pe->login_locs[j],
					       "login '%s' of person '%s' is also a login of '%s'; an OS user is one person",
					       pe->logins[j], pe->id, p->people[prev].id);
		}
		if (pe->db_user) {
			int prev = strmap_put(&dbusers, pe->db_user, (int)i);
			ndb++;
			if (prev >= 0)
				plan_ld_errorl(ld, pe->loc,
					       "db_user '%s' of person '%s' is also the db_user of '%s'; a database user is one person",
					       pe->db_user, pe->id, p->people[prev].id);
		}
	}
	switch (p->identity) {
	case IDENTITY_CLAIM:
		if (p->npeople)
			plan_ld_warnl(ld, at,
				      "identity: claim: anyone can act as anyone (--as is not checked); list each person's OS users in 'login' and use 'identity: os'");
		break;
	case IDENTITY_OS:
		if (!n)
			plan_ld_warnl(ld, at, "identity: os, but no person has a 'login': nobody can act");
		break;
	case IDENTITY_DB:
		if (!ndb)
			plan_ld_warnl(ld, at,
				      "identity: db, but no person has a 'db_user': on PostgreSQL nobody can act");
		break;
	}
	strmap_release(&logins);
	strmap_release(&dbusers);
}

/* "a → b → c → a", at most a few dozen names */
static char *cycle_text(const struct plan *p, const int *stack, size_t from, size_t to, int v)
{
	struct strbuf sb = STRBUF_INIT;
	size_t len = to - from + 1;
	for (size_t i = from; i <= to; i++) {
		if (len > 24 && i == from + 10) {
			strbuf_addf(&sb, "… (%zu more) → ", len - 20);
			i = to - 9;
		}
		strbuf_addf(&sb, "%s → ", p->projects[stack[i]].id);
	}
	strbuf_addstr(&sb, p->projects[v].id);
	return strbuf_detach(&sb);
}

/* Iterative depth-first search over depends_on: reports each back edge as a
 * cycle and leaves p->topo with dependencies before their dependents. */
static void check_project_cycles(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n = p->nprojects, ntopo = 0, sp;
	unsigned char *color = xcalloc(n ? n : 1, 1);
	int *stack = xmalloc((n ? n : 1) * sizeof(*stack));
	size_t *edge = xmalloc((n ? n : 1) * sizeof(*edge));
	size_t *pos = xmalloc((n ? n : 1) * sizeof(*pos));

	p->topo = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->topo));
	for (size_t s = 0; s < n; s++) {
		if (color[s])
			continue;
		sp = 0;
		stack[sp] = (int)s;
		edge[sp] = 0;
		pos[s] = sp;
		color[s] = 1;
		sp++;
		while (sp) {
			int u = stack[sp - 1];
			const struct plan_refs *r = &p->projects[u].depends_on;
			if (edge[sp - 1] < r->n) {
				size_t e = edge[sp - 1]++;
				int v = r->idx[e];
				if (v < 0 || v == u)
					continue;
				if (color[v] == 0) {
					stack[sp] = v;
					edge[sp] = 0;
					pos[v] = sp;
					color[v] = 1;
					sp++;
				} else if (color[v] == 1) {
					char *txt = cycle_text(p, stack, pos[v], sp - 1, v);
					plan_ld_errorl(ld, r->locs[e], "dependency cycle: %s", txt);
					free(txt);
				}
				continue;
			}
			color[u] = 2;
			p->topo[ntopo++] = u;
			sp--;
		}
	}
	free(color);
	free(stack);
	free(edge);
	free(pos);
}

/* Each wave has at most one `after`: follow the chains, marking as we go. */
static void check_wave_cycles(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n = p->nwaves;
	int *mark = xcalloc(n ? n : 1, sizeof(*mark)); /* 0 new, s+1 on walk s, -1 done */

	for (size_t s = 0; s < n; s++) {
		int w = (int)s;
		if (mark[s])
			continue;
		while (w >= 0 && mark[w] == 0) {
			mark[w] = (int)s + 1;
			w = p->waves[w].after_wave;
		}
		/* back on this walk: a cycle (a wave after itself is reported apart) */
		if (w >= 0 && mark[w] == (int)s + 1 && p->waves[w].after_wave != w) {
			struct strbuf sb = STRBUF_INIT;
			int v = w;
			size_t k = 0;
			do {
				if (k++ < 24)
					strbuf_addf(&sb, "%s → ", p->waves[v].id);
				v = p->waves[v].after_wave;
			} while (v != w);
			strbuf_addstr(&sb, p->waves[w].id);
			plan_ld_errorl(ld, p->waves[w].after_loc, "wave order cycle: %s", sb.buf);
			strbuf_release(&sb);
		}
		for (w = (int)s; w >= 0 && mark[w] == (int)s + 1; w = p->waves[w].after_wave)
			mark[w] = -1;
	}
	free(mark);
}

static void warn_targets(struct loader *ld)
{
	struct plan *p = ld->p;
	char a[16], b[16], c[16];

	for (size_t i = 0; i < p->nprojects; i++) {
		const struct plan_project *pr = &p->projects[i];
		const struct plan_wave *w = pr->wave >= 0 ? &p->waves[pr->wave] : NULL;
		for (size_t j = 0; j < pr->ntargets; j++) {
			const struct plan_target *t = &pr->targets[j];
			if (t->env == 0)
				plan_ld_warnl(ld, t->loc,
					      "project '%s' has a target date for '%s', the source environment; nothing is promoted there",
					      pr->id, p->envs[0].name);
			if (w && w->has_window && (t->date < w->window_from || t->date > w->window_to))
				plan_ld_warnl(ld, t->loc,
					      "target %s of project '%s' in '%s' is outside the window of wave '%s' (%s to %s)",
					      util_fmt_date(t->date, a, sizeof(a)), pr->id,
					      p->envs[t->env].name, w->id,
					      util_fmt_date(w->window_from, b, sizeof(b)),
					      util_fmt_date(w->window_to, c, sizeof(c)));
			for (size_t k = 0; k < pr->ntargets; k++) {
				const struct plan_target *o = &pr->targets[k];
				if (o->env < t->env && o->date > t->date)
					plan_ld_warnl(ld, t->loc,
						      "target of project '%s' in '%s' (%s) falls before its target in '%s' (%s)",
						      pr->id, p->envs[t->env].name,
						      util_fmt_date(t->date, a, sizeof(a)),
						      p->envs[o->env].name,
						      util_fmt_date(o->date, b, sizeof(b)));
			}
		}
		for (size_t j = 0; j < pr->depends_on.n; j++) {
			int d = pr->depends_on.idx[j];
			if (d < 0 || pr->wave < 0 || p->projects[d].wave <= pr->wave)
				continue;
			plan_ld_warnl(ld, pr->depends_on.locs[j],
				      "project '%s' of wave '%s' depends on '%s' of a later wave '%s'",
				      pr->id, p->waves[pr->wave].id, p->projects[d].id,
				      p->waves[p->projects[d].wave].id);
		}
	}
}

static void mark_refs(unsigned char *named, const struct plan_refs *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->idx[i] >= 0)
			named[r->idx[i]] = 1;
}

static void warn_unused(struct loader *ld)
{
	struct plan *p = ld->p;
	unsigned char *named = xcalloc(p->nitems ? p->nitems : 1, 1);

	for (size_t i = 0; i < p->nenvs; i++)
		mark_refs(named, &p->envs[i].success);
	for (size_t i = 0; i < p->nwaves; i++)
		mark_refs(named, &p->waves[i].prerequisites);
	for (size_t i = 0; i < p->ngates; i++)
		mark_refs(named, &p->gates[i].criteria);
	for (size_t i = 0; i < p->npost; i++)
		mark_refs(named, &p->post[i].items);
	for (size_t i = 0; i < p->nitems; i++)
		if (!named[i] && !p->items[i].has_applies)
			plan_ld_warnl(ld, p->items[i].loc,
				      "checklist item '%s' is named nowhere (no 'applies', and no wave, gate or environment lists it)",
				      p->items[i].id);
	free(named);
	for (size_t i = 0; i < p->npeople; i++)
		if (!p->people[i].nroles)
			plan_ld_warnl(ld, p->people[i].loc, "person '%s' has no role", p->people[i].id);
}

/*
 * moved: the new id is in the plan, the old one is not (its state is what
 * moves), an old id moves once, and no two old ids move onto one new id (their
 * state would collide).
 */
static void check_moved(struct loader *ld)
{
	struct plan *p = ld->p;
	struct strmap from[PLAN_KIND_COUNT], to[PLAN_KIND_COUNT];

	for (int k = 0; k < PLAN_KIND_COUNT; k++) {
		strmap_init(&from[k], NULL, p->nmoved);
		strmap_init(&to[k], NULL, p->nmoved);
	}
	for (size_t i = 0; i < p->nmoved; i++) {
		const struct plan_moved *mv = &p->moved[i];
		const char *kind = plan_kind_name(mv->kind);
		int prev;

		if (!strcmp(mv->from, mv->to)) {
			plan_ld_errorl(ld, mv->to_loc, "%s '%s' is moved to itself; drop the entry",
				       kind, mv->from);
			continue;
		}
		if (plan_kind_index(p, mv->kind, mv->to) < 0) {
			const char *best = ld->nsuggest++ < MAX_SUGGESTIONS
						   ? plan_kind_suggest(p, mv->kind, mv->to)
						   : NULL;
			if (best)
				plan_ld_errorl(ld, mv->to_loc,
					       "%s '%s' is moved to unknown %s '%s'; did you mean '%s'?",
					       kind, mv->from, kind, mv->to, best);
			else
				plan_ld_errorl(ld, mv->to_loc,
					       "%s '%s' is moved to unknown %s '%s'; 'to' names the "
					       "id it has now",
					       kind, mv->from, kind, mv->to);
		}
		if (plan_kind_index(p, mv->kind, mv->from) >= 0)
			plan_ld_errorl(ld, mv->loc,
				       "%s '%s' is moved to '%s' but is still in the plan; a moved "
				       "id is one the plan no longer has",
				       kind, mv->from, mv->to);
		prev = strmap_put(&from[mv->kind], mv->from, (int)i);
		if (prev >= 0)
			plan_ld_errorl(ld, mv->loc, "%s '%s' is moved twice (also on line %d)", kind,
				       mv->from, p->moved[prev].loc.line);
		prev = strmap_put(&to[mv->kind], mv->to, (int)i);
		if (prev >= 0 && strcmp(p->moved[prev].from, mv->from))
			plan_ld_errorl(ld, mv->to_loc,
				       "%s '%s' and '%s' are both moved to '%s'; their state would "
				       "collide: move one and forget the other",
				       kind, p->moved[prev].from, mv->from, mv->to);
	}
	for (int k = 0; k < PLAN_KIND_COUNT; k++) {
		strmap_release(&from[k]);
		strmap_release(&to[k]);
	}
}

void plan_validate(struct loader *ld)
{
	if (!ld->root)
		return;
	resolve_all(ld);
	check_roles(ld);
	check_identity(ld);
	check_project_cycles(ld);
	check_wave_cycles(ld);
	check_moved(ld);
	warn_targets(ld);
	warn_unused(ld);
}
