/*
 * report-data.c - report_render()'s dispatch and the derivations every
 * renderer shares: what a state, a gate or a blocker reads as, dependency
 * sentences, date ranges, checklist groups, where a milestone stands. The
 * live state is engine/state.h's; gates and lateness are decided by ready.h.
 * No format-specific text lives here.
 */
#define _GNU_SOURCE /* strcasestr */
#include "report/report-int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* --- formats --- */

static const char *const format_names[] = { "md", "html", "json" };

int report_format_parse(const char *name, enum report_format *out)
{
	if (!strcmp(name, "md") || !strcmp(name, "markdown"))
		*out = REPORT_MD;
	else if (!strcmp(name, "html"))
		*out = REPORT_HTML;
	else if (!strcmp(name, "json"))
		*out = REPORT_JSON;
	else
		return -1;
	return 0;
}

const char *report_format_suggest(const char *name)
{
	static const char *const cands[] = { "md", "markdown", "html", "json" };
	const char *s = util_suggest(name, cands, ARRAY_SIZE(cands));
	if (!s && (!strcasecmp(name, "htm") || !strcasecmp(name, "HTML")))
		s = "html";
	return s && !strcmp(s, "markdown") ? "md" : s;
}

const char *report_format_name(enum report_format f)
{
	return format_names[f];
}

int report_render(const struct plan *p, const struct state *st, enum report_format f,
		  int64_t now, struct strbuf *out, struct err *e)
{
	return report_render_to(p, st, f, now, NULL, out, e);
}

int report_render_to(const struct plan *p, const struct state *st, enum report_format f,
		     int64_t now, const struct report_links *links, struct strbuf *out,
		     struct err *e)
{
	if (st->plan != p || st->nprojects != p->nprojects || st->nenvs != p->nenvs || st->loaded)
		return err_set(e, ERR_FAILED, "the state does not match plan '%s'; reload it", p->id);
	switch (f) {
	case REPORT_MD:
		return rp_render_md(p, st, now, links, out);
	case REPORT_HTML:
		return rp_render_html(p, st, now, links, out);
	case REPORT_JSON:
		return rp_render_json(p, st, now, out, e);
	}
	return err_set(e, ERR_USAGE, "unknown report format %d", (int)f);
}

/* --- states and tones --- */

const char *rp_tone_emoji(enum rp_tone t)
{
	switch (t) {
	case TONE_OK: return "✅";
	case TONE_PROGRESS: return "🔵";
	case TONE_WARN: return "🟡";
	case TONE_BAD: return "🔴";
	case TONE_NONE: break;
	}
	return "⚪";
}

const char *rp_tone_class(enum rp_tone t)
{
	switch (t) {
	case TONE_OK: return "ok";
	case TONE_PROGRESS: return "progress";
	case TONE_WARN: return "warn";
	case TONE_BAD: return "bad";
	case TONE_NONE: break;
	}
	return "none";
}

const char *rp_state_label(enum store_state s)
{
	switch (s) {
	case STATE_NONE: return "not started";
	case STATE_ROLLED_BACK: return "rolled back";
	default: return store_state_name(s);
	}
}

enum rp_tone rp_state_tone(enum store_state s)
{
	switch (s) {
	case STATE_NONE: return TONE_NONE;
	case STATE_HEALTHY: return TONE_OK;
	case STATE_DEPLOYING:
	case STATE_VERIFYING:
	case STATE_SOAKING: return TONE_PROGRESS;
	case STATE_ROLLED_BACK:
	case STATE_INTERRUPTED: return TONE_WARN;
	case STATE_FAILED: break;
	}
	return TONE_BAD;
}

const char *rp_cell_version(const struct state_cell *c)
{
	return c->state == STATE_ROLLED_BACK ? state_live_version(c) : c->version;
}

/* --- words --- */

const char *rp_env_title(const struct plan_env *env)
{
	return env->title && *env->title ? env->title : env->name;
}

const char *rp_person_name(const struct plan *p, const char *id)
{
	int i;
	if (!id)
		return "";
	i = plan_person_index(p, id);
	if (i >= 0)
		return plan_person_display(&p->people[i]); /* a placeholder: "TBD" */
	return id;
}

void rp_env_chain(const struct plan *p, struct strbuf *sb)
{
	for (size_t i = 0; i < p->nenvs; i++)
		strbuf_addf(sb, "%s%s", i ? " → " : "", rp_env_title(&p->envs[i]));
}

void rp_date(struct strbuf *sb, int64_t t, bool with_year)
{
	char buf[32];
	strbuf_addstr(sb, util_fmt_short_date(t, with_year, buf, sizeof(buf)));
}

void rp_datetime(struct strbuf *sb, int64_t t)
{
	char buf[32];
	util_fmt_time(t, buf, sizeof(buf));
	/* "2026-01-10T09:00:00Z" -> "2026-01-10 09:00 UTC" */
	if (strlen(buf) >= 16) {
		buf[10] = ' ';
		buf[16] = '\0';
		strbuf_addf(sb, "%s UTC", buf);
	} else {
		strbuf_addstr(sb, buf);
	}
}

static void ymd(int64_t t, int *y, int *m, int *d)
{
	char buf[16];
	util_fmt_date(t, buf, sizeof(buf));
	*y = atoi(buf);
	*m = atoi(buf + 5);
	*d = atoi(buf + 8);
}

void rp_date_range(struct strbuf *sb, int64_t from, int64_t to, bool with_year)
{
	int y1, m1, d1, y2, m2, d2;
	ymd(from, &y1, &m1, &d1);
	ymd(to, &y2, &m2, &d2);
	if (to <= from || (y1 == y2 && m1 == m2 && d1 == d2)) {
		rp_date(sb, from, with_year);
	} else if (y1 == y2 && m1 == m2) {
		rp_date(sb, from, false);
		strbuf_addf(sb, "-%d", d2);
		if (with_year)
			strbuf_addf(sb, ", %d", y2);
	} else {
		rp_date(sb, from, with_year && y1 != y2);
		strbuf_addstr(sb, " - ");
		rp_date(sb, to, with_year);
	}
}

static void span_add(int64_t t, int64_t *from, int64_t *to, bool *any)
{
	if (t <= 0)
		return;
	if (!*any || t < *from)
		*from = t;
	if (!*any || t > *to)
		*to = t;
	*any = true;
}

/*
 * The promotion's span, as the seed's summary gives it: it starts when the
 * first wave opens (or the first target) and ends with the last date of any
 * kind; milestones only set the start when there is no window or target.
 */
bool rp_timeline_span(const struct plan *p, int64_t *from, int64_t *to)
{
	int64_t mfrom = 0, mto = 0;
	bool any = false, many = false;
	*from = *to = 0;
	for (size_t i = 0; i < p->nwaves; i++)
		if (p->waves[i].has_window) {
			span_add(p->waves[i].window_from, from, to, &any);
			span_add(p->waves[i].window_to, from, to, &any);
		}
	for (size_t i = 0; i < p->nprojects; i++)
		for (size_t j = 0; j < p->projects[i].ntargets; j++)
			span_add(p->projects[i].targets[j].date, from, to, &any);
	for (size_t i = 0; i < p->nmilestones; i++) {
		span_add(p->milestones[i].date, &mfrom, &mto, &many);
		span_add(p->milestones[i].until, &mfrom, &mto, &many);
	}
	if (!any) {
		*from = mfrom;
		*to = mto;
		return many;
	}
	if (many && mto > *to)
		*to = mto;
	return true;
}

void rp_wave_label(const struct plan *p, int w, struct strbuf *sb)
{
	const struct plan_wave *wv = &p->waves[w];
	if (wv->title && *wv->title)
		strbuf_addf(sb, "%s (%s)", wv->title, wv->id);
	else
		strbuf_addstr(sb, wv->id);
}

size_t rp_wave_nprojects(const struct plan *p, int w)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nprojects; i++)
		n += p->projects[i].wave == w;
	return n;
}

void rp_join_words(struct strbuf *sb, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (i)
			strbuf_addstr(sb, i + 1 == n ? " and " : ", ");
		strbuf_addstr(sb, words[i]);
	}
}

void rp_number(struct strbuf *sb, double v)
{
	strbuf_addf(sb, "%g", v);
}

void rp_lines_add(struct rp_lines *l, struct strbuf *sb)
{
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = strbuf_detach(sb);
}

void rp_lines_release(struct rp_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static bool same_refs(const struct plan_refs *a, const struct plan_refs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->ids[i], b->ids[i]))
			return false;
	return true;
}

void rp_wave_dependencies(const struct plan *p, int w, struct rp_lines *out)
{
	struct strbuf sb = STRBUF_INIT;
	const struct plan_wave *wv = &p->waves[w];
	size_t before = out->n;
	const char **names = xcalloc(p->nprojects + 1, sizeof(*names));

	/* projects of this wave sharing one dependency list make one sentence */
	for (size_t i = 0; i < p->nprojects; i++) {
		const struct plan_project *pr = &p->projects[i];
		size_t n = 0;
		bool seen = false;
		if (pr->wave != w || !pr->depends_on.n)
			continue;
		for (size_t j = 0; j < i && !seen; j++)
			seen = p->projects[j].wave == w && same_refs(&p->projects[j].depends_on,
								    &pr->depends_on);
		if (seen)
			continue;
		for (size_t j = i; j < p->nprojects; j++)
			if (p->projects[j].wave == w && same_refs(&p->projects[j].depends_on,
								  &pr->depends_on))
				names[n++] = p->projects[j].id;
		rp_join_words(&sb, pr->depends_on.ids, pr->depends_on.n);
		strbuf_addf(&sb, " must be promoted before ");
		rp_join_words(&sb, names, n);
		rp_lines_add(out, &sb);
	}
	if (wv->after_wave >= 0) {
		rp_wave_label(p, wv->after_wave, &sb);
		strbuf_addf(&sb, " must be healthy in %s first",
			    wv->after_env >= 0 ? rp_env_title(&p->envs[wv->after_env])
					       : wv->after_env_id);
		rp_lines_add(out, &sb);
	}
	if (out->n == before) {
		strbuf_addstr(&sb, "None (can proceed immediately)");
		rp_lines_add(out, &sb);
	}
	free(names);
	strbuf_release(&sb);
}

/* --- gates --- */

void rp_approval_scope(const struct plan *p, const struct state *st, const struct state_approval *a,
		       int64_t now, struct strbuf *sb)
{
	const struct plan_gate *g = &p->gates[a->gate];
	int64_t until = 0;
	size_t n = 0;

	(void)now;
	if (!g->scope_plan) {
		for (size_t i = 0; i < p->nprojects; i++) {
			const struct state_cover *cv;
			const char *cand;
			int64_t u;
			if (!plan_gate_covers_wave(g, p->projects[i].wave))
				continue;
			cand = ready_candidate(st, (int)i, g->before_env);
			cv = state_approval_cover(st, a, (int)i);
			if (!cand || !cv || strcmp(cand, cv->version))
				continue;
			u = ready_approval_expires(p, st, a, (int)i);
			if (u && (!until || u < until))
				until = u;
			if (++n <= 5)
				strbuf_addf(sb, "%s%s %s", n == 1 ? " for " : ", ", p->projects[i].id,
					    cv->version);
		}
		if (n > 5)
			strbuf_addf(sb, " and %zu more", n - 5);
	} else {
		until = ready_approval_expires(p, st, a, -1);
	}
	if (until) {
		strbuf_addstr(sb, " until ");
		rp_date(sb, until, true);
	}
}

enum rp_tone rp_gate_tone(enum ready_gate_status s)
{
	return s == GATE_PASSED ? TONE_OK : s == GATE_IN_PROGRESS ? TONE_WARN : TONE_NONE;
}

static void waves_words(const struct plan *p, const struct plan_refs *waves, struct strbuf *sb)
{
	for (size_t i = 0; i < waves->n; i++) {
		if (i)
			strbuf_addstr(sb, i + 1 == waves->n ? " and " : ", ");
		if (waves->idx[i] >= 0)
			rp_wave_label(p, waves->idx[i], sb);
		else
			strbuf_addstr(sb, waves->ids[i]);
	}
}

void rp_gate_required_before(const struct plan *p, int gate, struct strbuf *sb)
{
	const struct plan_gate *g = &p->gates[gate];
	strbuf_addf(sb, "%s promotion of ",
		    g->before_env >= 0 ? rp_env_title(&p->envs[g->before_env]) : g->before_env_id);
	if (!g->waves.n)
		strbuf_addstr(sb, "every wave");
	else
		waves_words(p, &g->waves, sb);
}

void rp_role_holders(const struct plan *p, const char *role, struct strbuf *sb)
{
	size_t n = 0;
	for (size_t i = 0; i < p->npeople; i++)
		if (plan_person_has_role(&p->people[i], role))
			strbuf_addf(sb, "%s%s", n++ ? ", " : "", rp_person_name(p, p->people[i].id));
}

/* --- checklist --- */

void rp_tick_detail(const struct plan *p, const struct state_tick *t, struct strbuf *sb)
{
	if (!t->done)
		return;
	strbuf_addstr(sb, "done");
	if (t->by && *t->by)
		strbuf_addf(sb, " by %s", rp_person_name(p, t->by));
	if (t->at > 0) {
		strbuf_addstr(sb, " on ");
		rp_date(sb, t->at, true);
	}
	if (t->note && *t->note)
		strbuf_addf(sb, " (%s)", t->note);
}

bool rp_is_external(const struct plan_item *it)
{
	return it->category && !strncasecmp(it->category, "external", 8);
}

/* Where an item is shown besides the pre-promotion checklist. */
static bool item_is_success(const struct plan *p, int i)
{
	for (size_t e = 0; e < p->nenvs; e++)
		if (plan_refs_has(&p->envs[e].success, i))
			return true;
	return false;
}

static bool item_is_post(const struct plan *p, int i)
{
	for (size_t g = 0; g < p->npost; g++)
		if (plan_refs_has(&p->post[g].items, i))
			return true;
	return false;
}

static bool item_is_named(const struct plan *p, int i)
{
	for (size_t w = 0; w < p->nwaves; w++)
		if (plan_refs_has(&p->waves[w].prerequisites, i))
			return true;
	for (size_t g = 0; g < p->ngates; g++)
		if (plan_refs_has(&p->gates[g].criteria, i))
			return true;
	return false;
}

/* Pre-promotion material: not an env's sign-off, a post-promotion activity or
 * an external dependency (each has its own section). */
static bool item_is_pre(const struct plan *p, int i)
{
	return !rp_is_external(&p->items[i]) && !item_is_success(p, i) && !item_is_post(p, i);
}

static bool same_category(const char *a, const char *b)
{
	return a && *a && b && *b && !strcasecmp(a, b);
}

/*
 * The pre-promotion checklist. A category belongs here when one of its items
 * is named nowhere else (not only a wave's prerequisite or a gate's criterion):
 * then all its items are listed, so "Environment Setup" keeps the item a wave
 * also names, while "Wave 1 Prerequisites" stays with its wave. Uncategorised
 * items named nowhere else form "Other".
 */
size_t rp_checklist_groups(const struct plan *p, struct rp_group **out)
{
	struct rp_group *g = NULL;
	size_t n = 0, alloc = 0;
	for (size_t i = 0; i < p->nitems; i++) {
		const struct plan_item *it = &p->items[i];
		const char *cat = it->category;
		bool shown = false;
		size_t k;
		if (!item_is_pre(p, (int)i))
			continue;
		if (!cat || !*cat) {
			if (item_is_named(p, (int)i))
				continue;
			cat = "Other";
		} else {
			for (size_t j = 0; j < p->nitems && !shown; j++)
				shown = same_category(p->items[j].category, cat) &&
					item_is_pre(p, (int)j) && !item_is_named(p, (int)j);
			if (!shown)
				continue;
		}
		for (k = 0; k < n; k++)
			if (!strcasecmp(g[k].name, cat))
				break;
		if (k == n) {
			ALLOC_GROW(g, n + 1, alloc);
			g[n].name = cat;
			g[n].n = 0;
			g[n].items = xcalloc(p->nitems, sizeof(int));
			n++;
		}
		g[k].items[g[k].n++] = (int)i;
	}
	*out = g;
	return n;
}

void rp_groups_free(struct rp_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(g[i].items);
	free(g);
}

size_t rp_external_items(const struct plan *p, int **out)
{
	size_t n = 0;
	*out = xcalloc(p->nitems + 1, sizeof(int));
	for (size_t i = 0; i < p->nitems; i++)
		if (rp_is_external(&p->items[i]))
			(*out)[n++] = (int)i;
	return n;
}

/* --- projects, plan --- */

enum rp_tone rp_project_status(const struct plan *p, const struct state *st, int project,
			       struct strbuf *sb)
{
	for (size_t e = p->nenvs; e-- > 0;) {
		const struct state_cell *c = state_cell(st, project, (int)e);
		const char *v = rp_cell_version(c);
		if (c->state == STATE_NONE)
			continue;
		strbuf_addf(sb, "%s in %s", rp_state_label(c->state), rp_env_title(&p->envs[e]));
		if (v && *v)
			strbuf_addf(sb, " (%s)", v);
		return rp_state_tone(c->state);
	}
	strbuf_addstr(sb, "not started");
	return TONE_NONE;
}

size_t rp_env_count_state(const struct plan *p, const struct state *st, int env,
			  enum store_state s)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nprojects; i++)
		n += state_cell(st, (int)i, env)->state == s;
	return n;
}

enum rp_tone rp_plan_status(const struct plan *p, const struct state *st, struct strbuf *sb)
{
	size_t started = 0, bad = 0, done = 0;
	int last = (int)p->nenvs - 1;
	for (size_t i = 0; i < p->nprojects; i++) {
		for (size_t e = 1; e < p->nenvs; e++) {
			enum store_state s = state_cell(st, (int)i, (int)e)->state;
			started += s != STATE_NONE;
			bad += rp_state_tone(s) == TONE_BAD;
		}
		if (last > 0 && state_cell(st, (int)i, last)->state == STATE_HEALTHY)
			done++;
	}
	for (size_t i = 0; i < st->nincidents; i++)
		bad += st->incidents[i].open && st->incidents[i].level >= 2;
	if (p->status && *p->status) {
		strbuf_addstr(sb, p->status);
		if (bad)
			return TONE_BAD;
		if (started || strcasestr(p->status, "progress"))
			return TONE_WARN;
		if (strcasestr(p->status, "complete") || strcasestr(p->status, "done"))
			return TONE_OK;
		if (strcasestr(p->status, "block"))
			return TONE_BAD;
		return TONE_NONE;
	}
	/* complete: every project healthy in the last environment and its
	 * success criteria done (ready_release_complete) */
	if (p->nprojects && done == p->nprojects && ready_release_complete(p, st, NULL)) {
		strbuf_addstr(sb, "COMPLETE");
		return TONE_OK;
	}
	if (bad) {
		strbuf_addstr(sb, "ATTENTION NEEDED");
		return TONE_BAD;
	}
	if (started) {
		strbuf_addstr(sb, "IN PROGRESS");
		return TONE_WARN;
	}
	strbuf_addstr(sb, "NOT STARTED");
	return TONE_NONE;
}

enum rp_tone rp_severity_tone(enum plan_severity s)
{
	switch (s) {
	case SEV_CRITICAL:
	case SEV_HIGH: return TONE_BAD;
	case SEV_MEDIUM: return TONE_WARN;
	case SEV_LOW: break;
	}
	return TONE_PROGRESS;
}

void rp_risk_scope(const struct plan_risk *r, struct strbuf *sb)
{
	if (r->scope && *r->scope)
		strbuf_addstr(sb, r->scope);
	else if (r->all_projects || !r->projects.n)
		strbuf_addstr(sb, "All");
	else
		for (size_t i = 0; i < r->projects.n; i++)
			strbuf_addf(sb, "%s%s", i ? ", " : "", r->projects.ids[i]);
}

/* --- triggers --- */

void rp_trigger_envs(const struct plan *p, const struct plan_trigger *t, struct strbuf *sb)
{
	if (t->envs.n) {
		for (size_t i = 0; i < t->envs.n; i++)
			strbuf_addf(sb, "%s%s", i ? ", " : "",
				    t->envs.idx[i] >= 0 ? rp_env_title(&p->envs[t->envs.idx[i]])
							: t->envs.ids[i]);
		return;
	}
	for (size_t e = 1; e < p->nenvs; e++)
		strbuf_addf(sb, "%s%s", e > 1 ? ", " : "", rp_env_title(&p->envs[e]));
}

void rp_trigger_rule(const struct plan *p, const struct plan_trigger *t, struct strbuf *sb)
{
	if (!t->measure) {
		strbuf_addf(sb, "judged by a person: raise a level %d incident", t->level ? t->level : 1);
		if (t->envs.n) {
			strbuf_addstr(sb, " in ");
			rp_trigger_envs(p, t, sb);
		}
		return;
	}
	strbuf_addstr(sb, "measured: rollback when ");
	if (t->has_above) {
		strbuf_addstr(sb, "above ");
		rp_number(sb, t->above);
	}
	if (t->has_above && t->has_below)
		strbuf_addstr(sb, " or ");
	if (t->has_below) {
		strbuf_addstr(sb, "below ");
		rp_number(sb, t->below);
	}
	strbuf_addstr(sb, " in ");
	rp_trigger_envs(p, t, sb);
	strbuf_addf(sb, " (level %d incident)", t->level ? t->level : 1);
}

/* --- blockers --- */

int rp_blocker_progress(const struct state *st, int b)
{
	return st->blockers[b].resolved ? 100 : st->blockers[b].progress;
}

bool rp_blocker_resolved(const struct state *st, int b)
{
	return st->blockers[b].resolved;
}

void rp_blocker_blocks(const struct plan *p, int b, struct strbuf *sb)
{
	const struct plan_blocker *bl = &p->blockers[b];
	if (bl->blocks_env < 0)
		return;
	strbuf_addf(sb, "must be resolved before %s promotion of ",
		    rp_env_title(&p->envs[bl->blocks_env]));
	if (!bl->blocks_waves.n)
		strbuf_addstr(sb, "every wave");
	else
		waves_words(p, &bl->blocks_waves, sb);
}

void rp_activity_title(const struct plan *p, const struct plan_activity_group *g,
		       struct strbuf *sb)
{
	if (g->title && *g->title) {
		strbuf_addstr(sb, g->title);
		return;
	}
	if (g->waves.n) {
		waves_words(p, &g->waves, sb);
		strbuf_addch(sb, ' ');
	}
	if (g->after_env >= 0)
		strbuf_addf(sb, "%s %s", g->waves.n ? "(after" : "After",
			    rp_env_title(&p->envs[g->after_env]));
	if (g->after_env >= 0 && g->waves.n)
		strbuf_addch(sb, ')');
	else if (!g->waves.n)
		strbuf_addstr(sb, "Activities");
}

/* --- sorting --- */

size_t rp_sorted_milestones(const struct plan *p, int **out)
{
	int *v = xcalloc(p->nmilestones + 1, sizeof(int));
	/* insertion sort: stable, and a plan has a handful of milestones */
	for (size_t i = 0; i < p->nmilestones; i++) {
		size_t j = i;
		while (j > 0 && p->milestones[v[j - 1]].date > p->milestones[i].date) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = (int)i;
	}
	*out = v;
	return p->nmilestones;
}

enum rp_milestone rp_milestone_status(const struct plan *p, const struct state *st, int m,
				      int64_t now)
{
	const struct plan_milestone *ms = &p->milestones[m];
	int64_t end = ms->until > ms->date ? ms->until : ms->date;
	size_t named = 0, there = 0;

	if (ms->env < 0)
		return MS_UNTRACKED;
	for (size_t i = 0; i < p->nprojects; i++) {
		bool in = !ms->waves.n && !ms->projects.n;
		for (size_t k = 0; k < ms->waves.n && !in; k++)
			in = ms->waves.idx[k] == p->projects[i].wave;
		for (size_t k = 0; k < ms->projects.n && !in; k++)
			in = ms->projects.idx[k] == (int)i;
		if (!in)
			continue;
		named++;
		there += ready_is_live(state_cell(st, (int)i, ms->env)->state);
	}
	if (named && there == named)
		return MS_DONE;
	/* late as a target date is: the whole last day has passed */
	return now >= end + 86400 ? MS_LATE : MS_OPEN;
}

size_t rp_changes(const struct plan *p, const struct state *st, struct state_change **out)
{
	size_t n = p->nchanges + st->nchanges, k = 0;
	struct state_change *v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < p->nchanges; i++) {
		v[k].date = p->changes[i].date;
		v[k].text = p->changes[i].change;
		v[k].author = p->changes[i].author;
		k++;
	}
	for (size_t i = 0; i < st->nchanges; i++)
		v[k++] = st->changes[i];
	/* insertion sort: stable, and change logs are short */
	for (size_t i = 1; i < n; i++) {
		struct state_change c = v[i];
		size_t j = i;
		while (j > 0 && v[j - 1].date > c.date) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = c;
	}
	*out = v;
	return n;
}

size_t rp_activity_days(const struct state *st, size_t max, struct rp_activity_day **out)
{
	struct rp_activity_day *v = xcalloc(st->nactivity + 2, sizeof(*v));
	size_t n = 0, ndays = 0, first;
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < st->nactivity; i++)
		if (!i || st->activity[i].day != st->activity[i - 1].day)
			ndays++;
	/* the activity rows of days before the last `max` go to one row */
	first = ndays > max ? ndays - max : 0;
	for (size_t i = 0, day = 0; i < st->nactivity; i++) {
		const struct state_activity *a = &st->activity[i];
		struct rp_activity_day *d;
		if (i && a->day != st->activity[i - 1].day)
			day++;
		if (day < first) {
			d = &v[0];
			d->older = true;
			n = 1;
		} else {
			if (!n || v[n - 1].older || v[n - 1].day != a->day) {
				if (n && v[n - 1].older)
					v[n - 1].day = a->day;
				v[n].day = a->day;
				n++;
			}
			d = &v[n - 1];
		}
		d->total += a->count;
		/* kinds of the older row are not listed: its total says enough */
		if (d->older)
			continue;
		strbuf_reset(&sb);
		if (d->kinds)
			strbuf_addf(&sb, "%s, ", d->kinds);
		strbuf_addf(&sb, "%s %lld", a->action, (long long)a->count);
		free(d->kinds);
		d->kinds = strbuf_detach(&sb);
	}
	strbuf_release(&sb);
	*out = v;
	return n;
}

void rp_activity_days_free(struct rp_activity_day *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(d[i].kinds);
	free(d);
}

size_t rp_sorted_incidents(const struct state *st, int **out)
{
	size_t k = 0;
	int *v = xcalloc(st->nincidents + 1, sizeof(int));
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < st->nincidents; i++)
			if (st->incidents[i].open == (pass == 0))
				v[k++] = (int)i;
	*out = v;
	return k;
}
