/*
 * report-doc.c - the sections of the living master plan, in the seed
 * document's order and words, written once through the rp_doc ops so that the
 * Markdown and the HTML report always say the same thing.
 */
#include "report/report-int.h"
#include "engine/forecast.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct walk {
	struct rp_doc *d;
	const struct plan *p;
	const struct state *st;
	int64_t now;
	struct strbuf sb; /* scratch */
};

#define OPS (w->d->ops)

static void text(struct walk *w, const char *s)
{
	if (s && *s)
		OPS->text(w->d, s);
}

static void textf(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void textf(struct walk *w, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	text(w, sb.buf);
	strbuf_release(&sb);
}

/* Write the scratch buffer as text and reset it. */
static void flush(struct walk *w)
{
	text(w, w->sb.buf);
	strbuf_reset(&w->sb);
}

static void heading(struct walk *w, int level, const char *anchor, const char *s)
{
	OPS->heading_begin(w->d, level, anchor);
	text(w, s);
	OPS->heading_end(w->d, level);
}

static void field(struct walk *w, const char *label, const char *value)
{
	OPS->field_begin(w->d, label);
	text(w, value && *value ? value : "—");
	OPS->field_end(w->d);
}

/* An item "Label: value" of an open list. */
static void item_field(struct walk *w, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	OPS->item_begin(w->d, -1);
	OPS->strong(w->d, label);
	text(w, " ");
	text(w, value);
	OPS->item_end(w->d);
}

static void none_para(struct walk *w, const char *s)
{
	OPS->para_begin(w->d);
	OPS->em(w->d, s);
	OPS->para_end(w->d);
}

static void cell(struct walk *w, const char *s)
{
	OPS->cell_begin(w->d);
	text(w, s && *s ? s : "—");
	OPS->cell_end(w->d);
}

/* "wave-1" stays "wave-1"; "core" becomes "wave-core". */
static void anchor_for(char *buf, size_t n, const char *kind, const char *id)
{
	size_t k = strlen(kind);
	if (!strncmp(id, kind, k))
		snprintf(buf, n, "%s", id);
	else
		snprintf(buf, n, "%s-%s", kind, id);
}

static void upper(struct strbuf *sb, const char *s)
{
	for (; *s; s++)
		strbuf_addch(sb, (char)toupper((unsigned char)*s));
}

/* A checklist item as a checkbox with who/when once done. */
static void checkbox(struct walk *w, int item)
{
	const struct state_tick *t;
	if (item < 0) {
		OPS->item_begin(w->d, 0);
		text(w, "(unknown item)");
		OPS->item_end(w->d);
		return;
	}
	t = &w->st->ticks[item];
	OPS->item_begin(w->d, t->done ? 1 : 0);
	text(w, w->p->items[item].text);
	rp_tick_detail(w->p, t, &w->sb);
	if (w->sb.len) {
		text(w, " — ");
		OPS->em(w->d, w->sb.buf);
		strbuf_reset(&w->sb);
	}
	OPS->item_end(w->d);
}

static void checkboxes(struct walk *w, const struct plan_refs *r)
{
	OPS->list_begin(w->d, false);
	for (size_t i = 0; i < r->n; i++)
		checkbox(w, r->idx[i]);
	OPS->list_end(w->d);
}

/* --- sections --- */

static const char *const section_titles[] = {
	"Executive Summary", "Promotion Waves", "Overall Timeline", "Forecast",
	"Individual Project Plans",
	"Pre-Promotion Checklist (All Projects)", "Approval Gates", "Risk Assessment",
	"Communication Plan", "Success Criteria", "Rollback Procedures",
	"Post-Promotion Activities", "Resource Allocation", "Dependencies & Blockers",
	"Change Log", "Activity", "Next Steps",
};
static const char *const section_anchors[] = {
	"executive-summary", "promotion-waves", "overall-timeline", "forecast",
	"individual-project-plans",
	"pre-promotion-checklist", "approval-gates", "risk-assessment", "communication-plan",
	"success-criteria", "rollback-procedures", "post-promotion-activities",
	"resource-allocation", "dependencies-blockers", "change-log", "activity", "next-steps",
};
enum {
	S_SUMMARY, S_WAVES, S_TIMELINE, S_FORECAST, S_PROJECTS, S_CHECKLIST, S_GATES, S_RISKS, S_COMMS,
	S_SUCCESS, S_ROLLBACK, S_POST, S_RESOURCES, S_BLOCKERS, S_CHANGES, S_ACTIVITY, S_NEXT,
};

static void section(struct walk *w, int s)
{
	OPS->rule(w->d);
	heading(w, 2, section_anchors[s], section_titles[s]);
}

static void header(struct walk *w)
{
	const struct plan *p = w->p;
	enum rp_tone tone;
	char date[16];

	OPS->heading_begin(w->d, 1, "top");
	if (p->title && *p->title) {
		text(w, p->title);
	} else {
		strbuf_addstr(&w->sb, "Promotion Plan: ");
		rp_env_chain(p, &w->sb);
		flush(w);
	}
	OPS->heading_end(w->d, 1);

	if (w->st->rehearsal) {
		/* first, before anything a reader could take for the real release */
		OPS->field_begin(w->d, "Rehearsal");
		OPS->badge(w->d, TONE_WARN, "REHEARSAL");
		text(w, " from a rehearsal store (made with TOLLGATE_NOW): not the real release");
		OPS->field_end(w->d);
	}
	field(w, "Plan ID", p->id);
	field(w, "Created", p->created ? util_fmt_date(p->created, date, sizeof(date)) : NULL);
	field(w, "Project Manager", p->manager);
	tone = rp_plan_status(p, w->st, &w->sb);
	OPS->field_begin(w->d, "Status");
	OPS->badge(w->d, tone, w->sb.buf);
	strbuf_reset(&w->sb);
	OPS->field_end(w->d);
	OPS->field_begin(w->d, "Generated");
	rp_datetime(&w->sb, w->now);
	strbuf_addstr(&w->sb, w->st->live ? " from the live state"
					  : " from the plan alone (no state recorded yet)");
	flush(w);
	OPS->field_end(w->d);
	OPS->toc(w->d, section_titles, section_anchors, ARRAY_SIZE(section_titles));
}

static void summary(struct walk *w)
{
	static const char *const heads[] = { "Metric", "Value" };
	const struct plan *p = w->p;
	int64_t from, to;
	size_t open_blockers = 0, open_incidents = 0, naccounts = 0;
	enum plan_severity risk = plan_overall_risk(p);

	section(w, S_SUMMARY);
	OPS->table_begin(w->d, heads, 2);

	OPS->row_begin(w->d);
	OPS->cell_begin(w->d);
	OPS->strong(w->d, "Total Projects");
	OPS->cell_end(w->d);
	OPS->cell_begin(w->d);
	textf(w, "%zu", p->nprojects);
	OPS->cell_end(w->d);
	OPS->row_end(w->d);

	for (size_t i = 0; i < p->nwaves; i++) {
		size_t n = rp_wave_nprojects(p, (int)i);
		OPS->row_begin(w->d);
		OPS->cell_begin(w->d);
		rp_wave_label(p, (int)i, &w->sb);
		OPS->strong(w->d, w->sb.buf);
		strbuf_reset(&w->sb);
		OPS->cell_end(w->d);
		OPS->cell_begin(w->d);
		textf(w, "%zu project%s", n, n == 1 ? "" : "s");
		OPS->cell_end(w->d);
		OPS->row_end(w->d);
	}

	OPS->row_begin(w->d);
	OPS->cell_begin(w->d);
	OPS->strong(w->d, "Environments");
	OPS->cell_end(w->d);
	rp_env_chain(p, &w->sb);
	cell(w, w->sb.buf);
	strbuf_reset(&w->sb);
	OPS->row_end(w->d);

	for (size_t e = 0; e < p->nenvs; e++)
		if (p->envs[e].account && *p->envs[e].account)
			strbuf_addf(&w->sb, "%s%s: %s", naccounts++ ? ", " : "",
				    rp_env_title(&p->envs[e]), p->envs[e].account);
	if (naccounts) {
		OPS->row_begin(w->d);
		OPS->cell_begin(w->d);
		OPS->strong(w->d, "Accounts");
		OPS->cell_end(w->d);
		cell(w, w->sb.buf);
		OPS->row_end(w->d);
	}
	strbuf_reset(&w->sb);

	OPS->row_begin(w->d);
	OPS->cell_begin(w->d);
	OPS->strong(w->d, "Timeline");
	OPS->cell_end(w->d);
	if (rp_timeline_span(p, &from, &to))
		rp_date_range(&w->sb, from, to, true);
	cell(w, w->sb.buf);
	strbuf_reset(&w->sb);
	OPS->row_end(w->d);

	OPS->row_begin(w->d);
	OPS->cell_begin(w->d);
	OPS->strong(w->d, "Overall Risk");
	OPS->cell_end(w->d);
	OPS->cell_begin(w->d);
	upper(&w->sb, plan_severity_name(risk));
	OPS->badge(w->d, rp_severity_tone(risk), w->sb.buf);
	strbuf_reset(&w->sb);
	OPS->cell_end(w->d);
	OPS->row_end(w->d);

	OPS->row_begin(w->d);
	OPS->cell_begin(w->d);
	OPS->strong(w->d, "Progress");
	OPS->cell_end(w->d);
	for (size_t e = 0; e < p->nenvs; e++)
		strbuf_addf(&w->sb, "%s%s %zu/%zu healthy", e ? ", " : "",
			    rp_env_title(&p->envs[e]),
			    rp_env_count_state(p, w->st, (int)e, STATE_HEALTHY), p->nprojects);
	cell(w, w->sb.buf);
	strbuf_reset(&w->sb);
	OPS->row_end(w->d);

	for (size_t b = 0; b < p->nblockers; b++)
		open_blockers += !rp_blocker_resolved(w->st, (int)b);
	for (size_t i = 0; i < w->st->nincidents; i++)
		open_incidents += w->st->incidents[i].open;
	OPS->row_begin(w->d);
	OPS->cell_begin(w->d);
	OPS->strong(w->d, "Open Blockers");
	OPS->cell_end(w->d);
	OPS->cell_begin(w->d);
	textf(w, "%zu", open_blockers);
	OPS->cell_end(w->d);
	OPS->row_end(w->d);
	OPS->row_begin(w->d);
	OPS->cell_begin(w->d);
	OPS->strong(w->d, "Open Incidents");
	OPS->cell_end(w->d);
	OPS->cell_begin(w->d);
	textf(w, "%zu", open_incidents);
	OPS->cell_end(w->d);
	OPS->row_end(w->d);

	OPS->table_end(w->d);
}

/* " `1.4.2`", or after a rollback " `1.4.1` (`1.4.2` failed)". */
static void cell_version(struct walk *w, const struct state_cell *c)
{
	const char *v = rp_cell_version(c), *failed = state_failed_version(c);
	if (v && *v) {
		text(w, " ");
		OPS->code(w->d, v);
	}
	if (failed && *failed && c->state == STATE_ROLLED_BACK) {
		text(w, " (");
		OPS->code(w->d, failed);
		text(w, " failed)");
	}
}

/* "✅ healthy · 1.4.2" for the source environment's column. */
static void source_cell(struct walk *w, int project, int env)
{
	const struct state_cell *c = state_cell(w->st, project, env);
	OPS->cell_begin(w->d);
	OPS->badge(w->d, rp_state_tone(c->state), rp_state_label(c->state));
	cell_version(w, c);
	OPS->cell_end(w->d);
}

/* "Jan 10" plus the state once something happened there, and a late mark. */
static void target_cell(struct walk *w, int project, int env)
{
	const struct state_cell *c = state_cell(w->st, project, env);
	int64_t t = plan_project_target(&w->p->projects[project], env);
	OPS->cell_begin(w->d);
	if (t > 0)
		rp_date(&w->sb, t, false);
	else if (c->state == STATE_NONE)
		strbuf_addstr(&w->sb, "—");
	flush(w);
	if (c->state != STATE_NONE) {
		if (t > 0)
			text(w, " ");
		OPS->badge(w->d, rp_state_tone(c->state), rp_state_label(c->state));
		cell_version(w, c);
	}
	if (ready_is_late(w->p, w->st, project, env, w->now)) {
		text(w, " ");
		OPS->badge(w->d, TONE_BAD, "late");
	}
	OPS->cell_end(w->d);
}

static void wave(struct walk *w, int wi, int *number)
{
	const struct plan *p = w->p;
	const struct plan_wave *wv = &p->waves[wi];
	const char **heads = xcalloc(p->nenvs + 4, sizeof(*heads));
	char **owned = xcalloc(p->nenvs + 1, sizeof(*owned));
	struct rp_lines deps = { 0 };
	char anchor[160];
	size_t nh = 0;

	anchor_for(anchor, sizeof(anchor), "wave", wv->id);
	strbuf_addstr(&w->sb, wv->id);
	if (wv->title && *wv->title)
		strbuf_addf(&w->sb, ": %s", wv->title);
	if (wv->has_window) {
		strbuf_addstr(&w->sb, " (");
		rp_date_range(&w->sb, wv->window_from, wv->window_to, true);
		strbuf_addch(&w->sb, ')');
	}
	OPS->heading_begin(w->d, 3, anchor);
	flush(w);
	OPS->heading_end(w->d, 3);
	if (wv->notes && *wv->notes) {
		OPS->para_begin(w->d);
		OPS->strong(w->d, "Notes:");
		text(w, " ");
		text(w, wv->notes);
		OPS->para_end(w->d);
	}

	heads[nh++] = "#";
	heads[nh++] = "Project";
	for (size_t e = 0; e < p->nenvs; e++) {
		owned[e] = xasprintf("%s %s", rp_env_title(&p->envs[e]), e ? "Target" : "Status");
		heads[nh++] = owned[e];
	}
	heads[nh++] = "Owner";
	if (!rp_wave_nprojects(p, wi)) {
		none_para(w, "No projects in this wave.");
	} else {
		OPS->table_begin(w->d, heads, nh);
		for (size_t i = 0; i < p->nprojects; i++) {
			const struct plan_project *pr = &p->projects[i];
			if (pr->wave != wi)
				continue;
			OPS->row_begin(w->d);
			OPS->cell_begin(w->d);
			textf(w, "%d", ++*number);
			OPS->cell_end(w->d);
			OPS->cell_begin(w->d);
			OPS->strong(w->d, pr->id);
			if (pr->title && *pr->title) {
				text(w, " — ");
				text(w, pr->title);
			}
			OPS->cell_end(w->d);
			for (size_t e = 0; e < p->nenvs; e++) {
				if (e == 0)
					source_cell(w, (int)i, 0);
				else
					target_cell(w, (int)i, (int)e);
			}
			cell(w, pr->owner);
			OPS->row_end(w->d);
		}
		OPS->table_end(w->d);
	}

	OPS->para_begin(w->d);
	OPS->strong(w->d, "Prerequisites:");
	OPS->para_end(w->d);
	if (wv->prerequisites.n)
		checkboxes(w, &wv->prerequisites);
	else
		none_para(w, "None.");

	rp_wave_dependencies(p, wi, &deps);
	OPS->para_begin(w->d);
	OPS->strong(w->d, "Dependencies:");
	if (deps.n == 1) {
		text(w, " ");
		text(w, deps.v[0]);
	}
	OPS->para_end(w->d);
	if (deps.n > 1) {
		OPS->list_begin(w->d, false);
		for (size_t i = 0; i < deps.n; i++) {
			OPS->item_begin(w->d, -1);
			text(w, deps.v[i]);
			OPS->item_end(w->d);
		}
		OPS->list_end(w->d);
	}
	rp_lines_release(&deps);
	for (size_t e = 0; e < p->nenvs; e++)
		free(owned[e]);
	free(owned);
	free(heads);
}

static void waves(struct walk *w)
{
	int number = 0;
	section(w, S_WAVES);
	if (!w->p->nwaves)
		none_para(w, "No waves in the plan.");
	for (size_t i = 0; i < w->p->nwaves; i++)
		wave(w, (int)i, &number);
}

static void month_label(struct strbuf *sb, int64_t t)
{
	static const char *const months[] = { "JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY",
					      "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER",
					      "NOVEMBER", "DECEMBER" };
	char buf[16];
	util_fmt_date(t, buf, sizeof(buf));
	strbuf_addf(sb, "%s %.4s", months[(atoi(buf + 5) + 11) % 12], buf);
}

struct tl_entry {
	int64_t from, to;
	const char *text;
	enum rp_milestone mark;
};

static void timeline(struct walk *w)
{
	const struct plan *p = w->p;
	int *order;
	size_t n = rp_sorted_milestones(p, &order), ne = 0;
	struct tl_entry *v = xcalloc(n + 2, sizeof(*v));
	struct strbuf month = STRBUF_INIT, next = STRBUF_INIT, when = STRBUF_INIT;
	int64_t today = w->now - ((w->now % 86400) + 86400) % 86400;
	bool covered = false, marked = false;
	size_t nfreeze = 0;

	for (size_t i = 0; i < n; i++) {
		const struct plan_milestone *m = &p->milestones[order[i]];
		int64_t end = m->until > m->date ? m->until : m->date;
		covered |= today >= m->date && today <= end;
	}
	/* a living timeline says where today is, between milestones too */
	for (size_t i = 0; i < n; i++) {
		const struct plan_milestone *m = &p->milestones[order[i]];
		if (!covered && !marked && ne > 0 && v[ne - 1].from <= today && m->date > today) {
			v[ne++] = (struct tl_entry){ today, today, NULL, MS_UNTRACKED };
			marked = true;
		}
		v[ne++] = (struct tl_entry){ m->date, m->until > m->date ? m->until : m->date, m->text,
					     rp_milestone_status(p, w->st, order[i], w->now) };
	}

	section(w, S_TIMELINE);
	if (!ne)
		none_para(w, "No milestones in the plan.");
	else
		OPS->timeline_begin(w->d);
	for (size_t i = 0; i < ne; i++) {
		const struct tl_entry *en = &v[i];
		bool last = true, new_month = true;
		strbuf_reset(&month);
		month_label(&month, en->from);
		if (i) {
			strbuf_reset(&next);
			month_label(&next, v[i - 1].from);
			new_month = strcmp(next.buf, month.buf) != 0;
		}
		if (new_month)
			OPS->timeline_month(w->d, month.buf);
		if (i + 1 < ne) {
			strbuf_reset(&next);
			month_label(&next, v[i + 1].from);
			last = strcmp(next.buf, month.buf) != 0;
		}
		strbuf_reset(&when);
		rp_date_range(&when, en->from, en->to, false);
		OPS->timeline_entry(w->d, when.buf, en->text ? en->text : "◀ you are here", last,
				    today >= en->from && today <= en->to, en->mark);
	}
	if (ne)
		OPS->timeline_end(w->d);

	/* freeze windows belong on the timeline too */
	for (size_t e = 0; e < p->nenvs; e++)
		nfreeze += p->envs[e].nfreeze;
	if (nfreeze) {
		OPS->para_begin(w->d);
		OPS->strong(w->d, "Freeze windows:");
		OPS->para_end(w->d);
		OPS->list_begin(w->d, false);
	}
	for (size_t e = 0; e < p->nenvs; e++)
		for (size_t f = 0; f < p->envs[e].nfreeze; f++) {
			const struct plan_freeze *fz = &p->envs[e].freeze[f];
			OPS->item_begin(w->d, -1);
			strbuf_addf(&w->sb, "%s: ", rp_env_title(&p->envs[e]));
			rp_datetime(&w->sb, fz->from);
			strbuf_addstr(&w->sb, " to ");
			rp_datetime(&w->sb, fz->to);
			if (fz->why && *fz->why)
				strbuf_addf(&w->sb, " — %s", fz->why);
			flush(w);
			if (w->now >= fz->from && w->now < fz->to) {
				text(w, " ");
				OPS->badge(w->d, TONE_BAD, "frozen now");
			}
			OPS->item_end(w->d);
		}
	if (nfreeze)
		OPS->list_end(w->d);
	strbuf_release(&month);
	strbuf_release(&next);
	strbuf_release(&when);
	free(order);
	free(v);
}

#define REPORT_DEADLINES 12 /* the soonest shown; `tollgate forecast` has them all */

static void forecast_row(struct walk *w, const struct forecast_cell *c)
{
	const struct plan *p = w->p;
	OPS->row_begin(w->d);
	cell(w, p->projects[c->project].id);
	cell(w, rp_env_title(&p->envs[c->env]));
	rp_date(&w->sb, c->target, false);
	OPS->cell_begin(w->d);
	flush(w);
	OPS->cell_end(w->d);
	OPS->cell_begin(w->d);
	if (c->healthy) {
		rp_datetime(&w->sb, c->healthy);
		flush(w);
	} else {
		text(w, "never");
	}
	OPS->cell_end(w->d);
	OPS->cell_begin(w->d);
	if (c->at_risk) {
		OPS->badge(w->d, TONE_BAD, "at risk");
		text(w, " ");
	}
	if (c->healthy)
		textf(w, "%lld days", (long long)c->slack_days);
	OPS->cell_end(w->d);
	OPS->cell_begin(w->d);
	for (size_t k = 0; k < c->nbecause; k++) {
		if (k)
			strbuf_addstr(&w->sb, " → ");
		strbuf_addstr(&w->sb, c->because[k]);
	}
	if (c->conditional)
		strbuf_addstr(&w->sb, " (conditional)");
	flush(w);
	OPS->cell_end(w->d);
	OPS->row_end(w->d);
}

/* Beside the timeline: the dates the plan's constraints allow for every
 * target not yet met (engine/forecast.h), those at risk first, and the
 * latest dates of the pending human actions. */
static void forecast(struct walk *w)
{
	static const char *const heads[] = { "Project", "Environment", "Target",
					     "Earliest healthy", "Slack", "Because" };
	const struct plan *p = w->p;
	struct forecast f;
	size_t ntargets = 0, shown = 0;

	section(w, S_FORECAST);
	forecast_compute(&f, p, w->st, w->now, NULL);
	for (size_t i = 0; i < f.ncells; i++)
		ntargets += f.cells[i].target != 0;
	OPS->para_begin(w->d);
	text(w, "The earliest each target not yet met can be reached, from the state, the soaks, "
		"dependencies, wave order and windows, freezes and open blockers (at their due "
		"dates); gates and checklist items assumed done now (");
	OPS->code(w->d, "tollgate forecast");
	text(w, ", docs/forecast.md).");
	OPS->para_end(w->d);
	if (!ntargets) {
		none_para(w, "No target left to meet.");
	} else {
		OPS->table_begin(w->d, heads, ARRAY_SIZE(heads));
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; i < f.ncells; i++)
				if (f.cells[i].target && f.cells[i].at_risk == !pass)
					forecast_row(w, &f.cells[i]);
		OPS->table_end(w->d);
	}
	for (size_t i = 0; i < f.ndeadlines; i++)
		shown += f.deadlines[i].by != 0;
	if (shown) {
		OPS->para_begin(w->d);
		OPS->strong(w->d, "Deadlines");
		text(w, " (the latest each pending action keeps every target it holds up):");
		OPS->para_end(w->d);
		OPS->list_begin(w->d, false);
	}
	for (size_t i = 0, n = 0; i < f.ndeadlines && n < REPORT_DEADLINES; i++) {
		const struct forecast_deadline *d = &f.deadlines[i];
		const char *id = d->kind == FORECAST_GATE   ? p->gates[d->id].id
				 : d->kind == FORECAST_ITEM ? p->items[d->id].id
							    : p->blockers[d->id].id;
		if (!d->by)
			continue;
		n++;
		OPS->item_begin(w->d, -1);
		rp_datetime(&w->sb, d->by);
		strbuf_addf(&w->sb, ": %s ", forecast_kind_name(d->kind));
		flush(w);
		OPS->code(w->d, id);
		if (d->by < w->now) {
			text(w, " ");
			OPS->badge(w->d, TONE_BAD, "late");
		}
		OPS->item_end(w->d);
	}
	if (shown > REPORT_DEADLINES) {
		OPS->item_begin(w->d, -1);
		textf(w, "and %zu more", shown - REPORT_DEADLINES);
		OPS->item_end(w->d);
	}
	if (shown)
		OPS->list_end(w->d);
	forecast_release(&f);
}

static void projects(struct walk *w)
{
	static const char *const heads[] = { "Project", "Plan Document", "Status" };
	const struct plan *p = w->p;
	section(w, S_PROJECTS);
	if (!p->nprojects) {
		none_para(w, "No projects in the plan.");
		return;
	}
	OPS->table_begin(w->d, heads, 3);
	for (size_t i = 0; i < p->nprojects; i++) {
		const struct plan_project *pr = &p->projects[i];
		enum rp_tone tone;
		OPS->row_begin(w->d);
		cell(w, pr->id);
		OPS->cell_begin(w->d);
		if (pr->doc && *pr->doc) {
			const char *base = strrchr(pr->doc, '/');
			char *href = rp_link(w->d->links, pr->doc, RP_LINK_DOC);
			OPS->link(w->d, base && base[1] ? base + 1 : pr->doc, href);
			free(href);
		} else {
			text(w, "—");
		}
		OPS->cell_end(w->d);
		OPS->cell_begin(w->d);
		tone = rp_project_status(p, w->st, (int)i, &w->sb);
		OPS->badge(w->d, tone, w->sb.buf);
		strbuf_reset(&w->sb);
		for (size_t e = p->nenvs; e-- > 0;) {
			const struct state_cell *c = state_cell(w->st, (int)i, (int)e);
			if (c->state == STATE_NONE)
				continue;
			if (c->log && *c->log) {
				char *href = rp_link(w->d->links, c->log, RP_LINK_LOG);
				text(w, " · ");
				OPS->link(w->d, "last run log", href);
				free(href);
			}
			break;
		}
		OPS->cell_end(w->d);
		OPS->row_end(w->d);
	}
	OPS->table_end(w->d);
}

static void checklist(struct walk *w)
{
	struct rp_group *g;
	size_t n = rp_checklist_groups(w->p, &g);
	section(w, S_CHECKLIST);
	if (!n)
		none_para(w, "No pre-promotion checklist in the plan.");
	for (size_t i = 0; i < n; i++) {
		size_t done = 0;
		for (size_t j = 0; j < g[i].n; j++)
			done += w->st->ticks[g[i].items[j]].done;
		OPS->heading_begin(w->d, 3, NULL);
		text(w, g[i].name);
		textf(w, " (%zu/%zu)", done, g[i].n);
		OPS->heading_end(w->d, 3);
		OPS->list_begin(w->d, false);
		for (size_t j = 0; j < g[i].n; j++)
			checkbox(w, g[i].items[j]);
		OPS->list_end(w->d);
	}
	rp_groups_free(g, n);
}

static void gate(struct walk *w, int gi)
{
	const struct plan *p = w->p;
	const struct plan_gate *g = &p->gates[gi];
	enum ready_gate_status s = ready_gate_status(p, w->st, gi, -1, w->now);
	char anchor[160];

	anchor_for(anchor, sizeof(anchor), "gate", g->id);
	OPS->heading_begin(w->d, 3, anchor);
	text(w, g->id);
	if (g->title && *g->title) {
		text(w, ": ");
		text(w, g->title);
	}
	text(w, " ");
	upper(&w->sb, ready_gate_status_name(s));
	OPS->badge(w->d, rp_gate_tone(s), w->sb.buf);
	strbuf_reset(&w->sb);
	OPS->heading_end(w->d, 3);

	OPS->list_begin(w->d, false);
	item_field(w, "Location:", g->location);

	OPS->item_begin(w->d, -1);
	OPS->strong(w->d, "Approvers:");
	OPS->list_begin(w->d, false);
	for (size_t i = 0; i < g->napprovers; i++) {
		const struct state_approval *a =
			ready_gate_approval(p, w->st, gi, g->approvers[i], -1, w->now);
		OPS->item_begin(w->d, a ? 1 : 0);
		text(w, g->approvers[i]);
		rp_role_holders(p, g->approvers[i], &w->sb);
		if (w->sb.len && !a) {
			text(w, ": ");
			flush(w);
		}
		strbuf_reset(&w->sb);
		if (a) {
			if (a->imported)
				strbuf_addstr(&w->sb, "approved as imported (tollgate import)");
			else
				strbuf_addf(&w->sb, "approved by %s",
					    rp_person_name(p, state_approval_by(p, a)));
			if (a->at > 0) {
				strbuf_addstr(&w->sb, " on ");
				rp_date(&w->sb, a->at, true);
			}
			rp_approval_scope(p, w->st, a, w->now, &w->sb);
			text(w, ": ");
			OPS->em(w->d, w->sb.buf);
			strbuf_reset(&w->sb);
		}
		OPS->item_end(w->d);
	}
	OPS->list_end(w->d);
	OPS->item_end(w->d);

	OPS->item_begin(w->d, -1);
	OPS->strong(w->d, "Criteria:");
	if (!g->criteria.n)
		text(w, " none");
	else
		checkboxes(w, &g->criteria);
	OPS->item_end(w->d);

	OPS->item_begin(w->d, -1);
	OPS->strong(w->d, "Status:");
	text(w, " ");
	upper(&w->sb, ready_gate_status_name(s));
	OPS->badge(w->d, rp_gate_tone(s), w->sb.buf);
	strbuf_reset(&w->sb);
	textf(w, " (%zu/%zu approvals, %zu/%zu criteria)",
	      ready_gate_napproved(p, w->st, gi, -1, w->now), g->napprovers,
	      ready_gate_ncriteria_done(p, w->st, gi), g->criteria.n);
	OPS->item_end(w->d);
	if (s != GATE_PASSED) {
		ready_gate_explain(p, w->st, gi, -1, w->now, &w->sb);
		item_field(w, "Waiting For:", w->sb.buf);
		strbuf_reset(&w->sb);
	}
	item_field(w, "Approves:",
		   g->scope_plan ? "the plan as a whole"
				 : "each project's candidate version (a new version needs a new "
				   "approval)");
	if (g->expires) {
		char d[32];
		strbuf_addf(&w->sb, "%s after it is given",
			    util_fmt_duration(g->expires, d, sizeof(d)));
		item_field(w, "Approvals Expire:", w->sb.buf);
		strbuf_reset(&w->sb);
	}

	rp_gate_required_before(p, gi, &w->sb);
	item_field(w, "Required Before:", w->sb.buf);
	strbuf_reset(&w->sb);
	OPS->list_end(w->d);
}

static void gates(struct walk *w)
{
	section(w, S_GATES);
	if (!w->p->ngates)
		none_para(w, "No approval gates in the plan.");
	for (size_t i = 0; i < w->p->ngates; i++)
		gate(w, (int)i);
}

static void risks(struct walk *w)
{
	static const char *const heads[] = { "Risk", "Severity", "Project(s)", "Mitigation",
					     "Owner" };
	const struct plan *p = w->p;
	bool owners = false;
	section(w, S_RISKS);
	if (!p->nrisks) {
		none_para(w, "No risks in the plan.");
		return;
	}
	for (size_t i = 0; i < p->nrisks; i++)
		owners |= p->risks[i].owner && *p->risks[i].owner;
	OPS->table_begin(w->d, heads, owners ? 5 : 4);
	for (size_t i = 0; i < p->nrisks; i++) {
		const struct plan_risk *r = &p->risks[i];
		OPS->row_begin(w->d);
		cell(w, r->text);
		OPS->cell_begin(w->d);
		upper(&w->sb, plan_severity_name(r->severity));
		OPS->badge(w->d, rp_severity_tone(r->severity), w->sb.buf);
		strbuf_reset(&w->sb);
		OPS->cell_end(w->d);
		rp_risk_scope(r, &w->sb);
		cell(w, w->sb.buf);
		strbuf_reset(&w->sb);
		cell(w, r->mitigation);
		if (owners)
			cell(w, r->owner);
		OPS->row_end(w->d);
	}
	OPS->table_end(w->d);
}

static void string_list(struct walk *w, const char *const *v, size_t n, bool ordered)
{
	OPS->list_begin(w->d, ordered);
	for (size_t i = 0; i < n; i++) {
		OPS->item_begin(w->d, -1);
		text(w, v[i]);
		OPS->item_end(w->d);
	}
	OPS->list_end(w->d);
}

static void communication(struct walk *w)
{
	const struct plan *p = w->p;
	section(w, S_COMMS);
	if (!p->ncomms && !p->nescalation)
		none_para(w, "No communication plan in the plan.");
	for (size_t i = 0; i < p->ncomms; i++) {
		const struct plan_comm *c = &p->comms[i];
		heading(w, 3, NULL, c->title && *c->title ? c->title : "Meeting");
		OPS->list_begin(w->d, false);
		item_field(w, "Time:", c->time);
		item_field(w, "Duration:", c->duration);
		item_field(w, "Frequency:", c->frequency);
		item_field(w, "Channel:", c->channel);
		if (c->nattendees) {
			for (size_t k = 0; k < c->nattendees; k++)
				strbuf_addf(&w->sb, "%s%s", k ? ", " : "", c->attendees[k]);
			item_field(w, "Attendees:", w->sb.buf);
			strbuf_reset(&w->sb);
		}
		if (c->nformat) {
			OPS->item_begin(w->d, -1);
			OPS->strong(w->d, "Format:");
			string_list(w, c->format, c->nformat, false);
			OPS->item_end(w->d);
		}
		OPS->list_end(w->d);
	}
	if (!p->nescalation)
		return;
	heading(w, 3, "escalation", "Incident Escalation");
	OPS->list_begin(w->d, true);
	for (size_t i = 0; i < p->nescalation; i++) {
		const struct plan_escalation *e = &p->escalation[i];
		OPS->item_begin(w->d, -1);
		strbuf_addf(&w->sb, "Level %d", e->level);
		if (e->name && *e->name)
			strbuf_addf(&w->sb, " (%s)", e->name);
		strbuf_addch(&w->sb, ':');
		OPS->strong(w->d, w->sb.buf);
		strbuf_reset(&w->sb);
		text(w, " ");
		text(w, e->action);
		if (e->notify && *e->notify)
			textf(w, " — notify %s", e->notify);
		OPS->item_end(w->d);
	}
	OPS->list_end(w->d);
}

static void success(struct walk *w)
{
	const struct plan *p = w->p;
	size_t shown = 0;
	section(w, S_SUCCESS);
	for (size_t e = 0; e < p->nenvs; e++) {
		const struct plan_env *env = &p->envs[e];
		size_t healthy = rp_env_count_state(p, w->st, (int)e, STATE_HEALTHY);
		bool last = e + 1 == p->nenvs && e > 0;
		if (e == 0 && !env->success.n)
			continue;
		shown++;
		strbuf_addf(&w->sb, "%s Promotion Success", rp_env_title(env));
		heading(w, 3, NULL, w->sb.buf);
		strbuf_reset(&w->sb);
		OPS->list_begin(w->d, false);
		OPS->item_begin(w->d, p->nprojects && healthy == p->nprojects);
		textf(w, "Projects healthy in %s: %zu/%zu", rp_env_title(env), healthy,
		      p->nprojects);
		OPS->em(w->d, " (live)");
		OPS->item_end(w->d);
		for (size_t i = 0; i < env->success.n; i++)
			checkbox(w, env->success.idx[i]);
		OPS->list_end(w->d);
		OPS->para_begin(w->d);
		if (last) {
			/* nothing leaves the last environment: its criteria are
			 * the release's completion */
			bool done = ready_release_complete(p, w->st, &w->sb);
			OPS->strong(w->d, "Release complete:");
			if (done) {
				text(w, " yes");
			} else {
				text(w, " not yet: ");
				flush(w);
			}
			strbuf_reset(&w->sb);
			textf(w, ". The release is complete when every project is healthy in %s%s.",
			      rp_env_title(env), env->success.n ? " and these criteria are done" : "");
		} else if (env->success.n) {
			textf(w, "Sign-off: these criteria must be done before anything leaves %s.",
			      rp_env_title(env));
		}
		OPS->para_end(w->d);
		if (env->has_soak && env->soak > 0) {
			char buf[32];
			OPS->para_begin(w->d);
			OPS->strong(w->d, "Soak:");
			if (last)
				textf(w, " %s healthy with no incident before a promotion to %s counts as "
					 "healthy",
				      util_fmt_duration(env->soak, buf, sizeof(buf)), rp_env_title(env));
			else
				textf(w, " %s healthy with no incident before anything leaves %s",
				      util_fmt_duration(env->soak, buf, sizeof(buf)),
				      rp_env_title(env));
			OPS->para_end(w->d);
		}
	}
	if (!shown)
		none_para(w, "No success criteria in the plan.");
}

/* Rejected versions: what is not promoted again, and what was allowed again. */
static void rejections(struct walk *w)
{
	const struct plan *p = w->p;
	const struct state *st = w->st;
	size_t n = 0;
	char t[32];
	heading(w, 3, NULL, "Rejected Versions");
	for (size_t i = 0; i < st->nrejections; i++) {
		const struct state_rejection *r = &st->rejections[i];
		if (r->kind == REJECT_ALLOWANCE && !r->allowed)
			continue;
		if (!n++)
			OPS->list_begin(w->d, false);
		OPS->item_begin(w->d, -1);
		strbuf_addf(&w->sb, "%s %s", p->projects[r->project].id, r->version);
		OPS->strong(w->d, w->sb.buf);
		strbuf_reset(&w->sb);
		text(w, ": ");
		if (r->kind == REJECT_ALLOWANCE)
			textf(w, "allowed in %s", r->env >= 0 ? p->envs[r->env].name : "every environment");
		else {
			ready_describe_rejection(p, r, &w->sb);
			flush(w);
		}
		if (r->allowed) {
			text(w, " — ");
			strbuf_addf(&w->sb, "allowed again by %s on %s",
				    r->allowed_by ? rp_person_name(p, r->allowed_by) : "?",
				    util_fmt_time(r->allowed_at, t, sizeof(t)));
			if (r->allowed_reason && *r->allowed_reason)
				strbuf_addf(&w->sb, " (%s)", r->allowed_reason);
			OPS->em(w->d, w->sb.buf);
			strbuf_reset(&w->sb);
		} else {
			text(w, " — ");
			OPS->badge(w->d, TONE_BAD, "REJECTED");
		}
		OPS->item_end(w->d);
	}
	if (n)
		OPS->list_end(w->d);
	else
		none_para(w, "No version was rolled back or rejected.");
}

static void rollback(struct walk *w)
{
	const struct plan *p = w->p;
	section(w, S_ROLLBACK);
	heading(w, 3, NULL, "Immediate Rollback Triggers");
	if (!p->ntriggers)
		none_para(w, "No rollback triggers in the plan.");
	else
		OPS->list_begin(w->d, false);
	for (size_t i = 0; i < p->ntriggers; i++) {
		const struct plan_trigger *t = &p->triggers[i];
		OPS->item_begin(w->d, -1);
		text(w, t->text);
		text(w, " — ");
		rp_trigger_rule(p, t, &w->sb);
		OPS->em(w->d, w->sb.buf);
		strbuf_reset(&w->sb);
		OPS->item_end(w->d);
	}
	if (p->ntriggers)
		OPS->list_end(w->d);
	rejections(w);
	heading(w, 3, NULL, "Rollback Process");
	if (!p->nrollback_steps) {
		none_para(w, "No rollback procedure in the plan.");
		return;
	}
	OPS->list_begin(w->d, true);
	for (size_t i = 0; i < p->nrollback_steps; i++) {
		const struct plan_step *s = &p->rollback_steps[i];
		OPS->item_begin(w->d, -1);
		if (s->title && *s->title) {
			strbuf_addf(&w->sb, "%s:", s->title);
			OPS->strong(w->d, w->sb.buf);
			strbuf_reset(&w->sb);
			text(w, " ");
		}
		text(w, s->text);
		OPS->item_end(w->d);
	}
	OPS->list_end(w->d);
}

static void post(struct walk *w)
{
	const struct plan *p = w->p;
	section(w, S_POST);
	if (!p->npost)
		none_para(w, "No post-promotion activities in the plan.");
	for (size_t i = 0; i < p->npost; i++) {
		rp_activity_title(p, &p->post[i], &w->sb);
		heading(w, 3, NULL, w->sb.buf);
		strbuf_reset(&w->sb);
		checkboxes(w, &p->post[i].items);
	}
}

static void resources(struct walk *w)
{
	static const char *const heads[] = { "Role", "Name", "Availability", "Responsibility" };
	const struct plan *p = w->p;
	section(w, S_RESOURCES);
	if (!p->nresources) {
		none_para(w, "No resources in the plan.");
		return;
	}
	OPS->table_begin(w->d, heads, 4);
	for (size_t i = 0; i < p->nresources; i++) {
		const struct plan_resource *r = &p->resources[i];
		OPS->row_begin(w->d);
		OPS->cell_begin(w->d);
		OPS->strong(w->d, r->role && *r->role ? r->role : "—");
		OPS->cell_end(w->d);
		cell(w, r->person && *r->person ? rp_person_name(p, r->person) : "TBD");
		cell(w, r->availability);
		cell(w, r->responsibility);
		OPS->row_end(w->d);
	}
	OPS->table_end(w->d);
}

static void blocker(struct walk *w, int b)
{
	const struct plan *p = w->p;
	const struct plan_blocker *bl = &p->blockers[b];
	bool resolved = rp_blocker_resolved(w->st, b);
	int pct = rp_blocker_progress(w->st, b);
	enum rp_tone tone = resolved ? TONE_OK : bl->blocks_env >= 0 ? TONE_BAD : TONE_WARN;
	char buf[32];

	OPS->item_begin(w->d, -1);
	OPS->badge(w->d, tone, resolved ? "resolved" : bl->blocks_env >= 0 ? "blocking" : "open");
	text(w, " ");
	strbuf_addf(&w->sb, "%s (%d%%)", bl->id, pct);
	OPS->strong(w->d, w->sb.buf);
	strbuf_reset(&w->sb);
	text(w, ": ");
	text(w, bl->text);
	OPS->progress(w->d, pct, tone);
	OPS->list_begin(w->d, false);
	rp_blocker_blocks(p, b, &w->sb);
	if (w->sb.len) {
		/* "must be resolved before X" reads as "Blocks: X" */
		const char *s = w->sb.buf + strlen("must be resolved before ");
		item_field(w, "Blocks:", s);
	}
	strbuf_reset(&w->sb);
	item_field(w, "Impact:", bl->impact);
	item_field(w, "Owner:", bl->owner);
	if (bl->due) {
		OPS->item_begin(w->d, -1);
		OPS->strong(w->d, "Due:");
		text(w, " ");
		text(w, util_fmt_short_date(bl->due, true, buf, sizeof(buf)));
		if (!resolved && w->now >= bl->due + 86400) {
			text(w, " ");
			OPS->badge(w->d, TONE_BAD, "overdue");
		}
		OPS->item_end(w->d);
	}
	item_field(w, "Mitigation:", bl->mitigation);
	if (w->st->blockers[b].updated > 0) {
		rp_datetime(&w->sb, w->st->blockers[b].updated);
		item_field(w, "Last update:", w->sb.buf);
		strbuf_reset(&w->sb);
	}
	OPS->list_end(w->d);
	OPS->item_end(w->d);
}

static void incidents(struct walk *w)
{
	const struct plan *p = w->p;
	int *order;
	size_t n = rp_sorted_incidents(w->st, &order);
	heading(w, 3, "incidents", "Incidents");
	if (!n)
		none_para(w, "No incidents recorded.");
	else
		OPS->list_begin(w->d, false);
	for (size_t i = 0; i < n; i++) {
		const struct state_incident *in = &w->st->incidents[order[i]];
		OPS->item_begin(w->d, -1);
		strbuf_addf(&w->sb, "level %d %s", in->level, !in->open ? "resolved" : "open");
		OPS->badge(w->d, !in->open ? TONE_OK : in->level >= 2 ? TONE_BAD : TONE_WARN,
			   w->sb.buf);
		strbuf_reset(&w->sb);
		strbuf_addf(&w->sb, " #%lld", (long long)in->id);
		if (in->env >= 0 && (size_t)in->env < p->nenvs)
			strbuf_addf(&w->sb, " in %s", rp_env_title(&p->envs[in->env]));
		if (in->project >= 0 && (size_t)in->project < p->nprojects)
			strbuf_addf(&w->sb, " on %s", p->projects[in->project].id);
		strbuf_addf(&w->sb, ": %s", in->text ? in->text : "");
		flush(w);
		if (in->opened_at > 0 || in->opened_by) {
			strbuf_addstr(&w->sb, "opened");
			if (in->opened_by)
				strbuf_addf(&w->sb, " by %s", rp_person_name(p, in->opened_by));
			if (in->opened_at > 0) {
				strbuf_addstr(&w->sb, " on ");
				rp_datetime(&w->sb, in->opened_at);
			}
			if (!in->open && in->resolved_at > 0) {
				strbuf_addstr(&w->sb, ", resolved on ");
				rp_datetime(&w->sb, in->resolved_at);
			}
			text(w, " — ");
			OPS->em(w->d, w->sb.buf);
			strbuf_reset(&w->sb);
		}
		OPS->item_end(w->d);
	}
	if (n)
		OPS->list_end(w->d);
	free(order);
}

static void blockers(struct walk *w)
{
	const struct plan *p = w->p;
	int *ext;
	size_t next = rp_external_items(p, &ext);
	section(w, S_BLOCKERS);
	heading(w, 3, NULL, "External Dependencies");
	if (!next)
		none_para(w, "No external dependencies in the plan.");
	else
		OPS->list_begin(w->d, false);
	for (size_t i = 0; i < next; i++)
		checkbox(w, ext[i]);
	if (next)
		OPS->list_end(w->d);
	free(ext);

	heading(w, 3, "blockers", "Current Blockers");
	if (!p->nblockers)
		none_para(w, "No blockers.");
	else
		OPS->list_begin(w->d, false);
	for (size_t b = 0; b < p->nblockers; b++)
		blocker(w, (int)b);
	if (p->nblockers)
		OPS->list_end(w->d);
	incidents(w);
}

/* The plan's own change log and the audit's plan changes, by date. */
static void changes(struct walk *w)
{
	static const char *const heads[] = { "Date", "Change", "Author" };
	struct state_change *v;
	size_t n = rp_changes(w->p, w->st, &v);
	char buf[16];
	section(w, S_CHANGES);
	if (!n) {
		none_para(w, "No changes recorded.");
	} else {
		OPS->table_begin(w->d, heads, 3);
		for (size_t i = 0; i < n; i++) {
			OPS->row_begin(w->d);
			cell(w, v[i].date ? util_fmt_date(v[i].date, buf, sizeof(buf)) : NULL);
			cell(w, v[i].text);
			cell(w, v[i].author ? rp_person_name(w->p, v[i].author) : NULL);
			OPS->row_end(w->d);
		}
		OPS->table_end(w->d);
	}
	free(v);
}

/* What people and tollgate did, summarised: entries per day and kind, then
 * the last few; `tollgate log` has every one. */
static void activity(struct walk *w)
{
	static const char *const day_heads[] = { "Date", "Entries", "Kinds" };
	static const char *const last_heads[] = { "Time", "Entry", "By" };
	const struct state *st = w->st;
	struct rp_activity_day *days;
	size_t ndays;
	char buf[40];

	section(w, S_ACTIVITY);
	if (!st->activity_total) {
		none_para(w, "No activity recorded.");
		return;
	}
	ndays = rp_activity_days(st, RP_ACTIVITY_DAYS, &days);
	OPS->para_begin(w->d);
	textf(w, "%lld audit %s", (long long)st->activity_total,
	      st->activity_total == 1 ? "entry" : "entries");
	if (st->nactivity) {
		text(w, " from ");
		text(w, util_fmt_date(st->activity[0].day, buf, sizeof(buf)));
		text(w, " to ");
		text(w, util_fmt_date(st->activity[st->nactivity - 1].day, buf, sizeof(buf)));
	}
	text(w, "; ");
	OPS->code(w->d, "tollgate log");
	text(w, " shows each one.");
	OPS->para_end(w->d);

	OPS->table_begin(w->d, day_heads, 3);
	for (size_t i = 0; i < ndays; i++) {
		OPS->row_begin(w->d);
		if (days[i].older)
			strbuf_addf(&w->sb, "before %s", util_fmt_date(days[i].day, buf, sizeof(buf)));
		else
			strbuf_addstr(&w->sb, util_fmt_date(days[i].day, buf, sizeof(buf)));
		cell(w, w->sb.buf);
		strbuf_reset(&w->sb);
		snprintf(buf, sizeof(buf), "%lld", (long long)days[i].total);
		cell(w, buf);
		cell(w, days[i].kinds);
		OPS->row_end(w->d);
	}
	OPS->table_end(w->d);
	rp_activity_days_free(days, ndays);

	if (!st->nrecent)
		return;
	OPS->para_begin(w->d);
	strbuf_addf(&w->sb, "The last %zu:", st->nrecent);
	OPS->strong(w->d, w->sb.buf);
	strbuf_reset(&w->sb);
	OPS->para_end(w->d);
	OPS->table_begin(w->d, last_heads, 3);
	for (size_t i = st->nrecent; i-- > 0;) {
		const struct state_change *c = &st->recent[i];
		OPS->row_begin(w->d);
		rp_datetime(&w->sb, c->date);
		cell(w, w->sb.buf);
		strbuf_reset(&w->sb);
		cell(w, c->text);
		cell(w, c->author ? rp_person_name(w->p, c->author) : NULL);
		OPS->row_end(w->d);
	}
	OPS->table_end(w->d);
}

static void next_steps(struct walk *w)
{
	const struct plan *p = w->p;
	section(w, S_NEXT);
	if (!p->nnext)
		none_para(w, "No next steps in the plan.");
	for (size_t i = 0; i < p->nnext; i++) {
		heading(w, 3, NULL, p->next[i].title && *p->next[i].title ? p->next[i].title
									 : "Next");
		string_list(w, p->next[i].items, p->next[i].nitems, true);
	}
}

/* The plan's free text (`notes`), when it has any: each note's title, and
 * each non-blank line of its text a paragraph (as text: the renderers
 * escape it, so a note cannot inject markup into the report). */
static void notes(struct walk *w)
{
	const struct plan *p = w->p;
	if (!p->nnotes)
		return;
	OPS->rule(w->d);
	heading(w, 2, "notes", "Notes");
	for (size_t i = 0; i < p->nnotes; i++) {
		const char *s = p->notes[i].text;
		heading(w, 3, NULL, p->notes[i].title);
		while (s && *s) {
			const char *end = strchr(s, '\n');
			size_t n = end ? (size_t)(end - s) : strlen(s);
			while (n && (*s == ' ' || *s == '\t')) {
				s++;
				n--;
			}
			if (n) {
				strbuf_add(&w->sb, s, n);
				OPS->para_begin(w->d);
				flush(w);
				OPS->para_end(w->d);
			}
			s = end ? end + 1 : NULL;
		}
	}
}

static void footer(struct walk *w)
{
	const struct plan *p = w->p;
	enum rp_tone tone;
	char buf[16];
	OPS->rule(w->d);
	tone = rp_plan_status(p, w->st, &w->sb);
	OPS->field_begin(w->d, "Plan Status");
	OPS->badge(w->d, tone, w->sb.buf);
	strbuf_reset(&w->sb);
	OPS->field_end(w->d);
	if (p->next_review)
		field(w, "Next Review", util_fmt_date(p->next_review, buf, sizeof(buf)));
	field(w, "Contact", p->contact && *p->contact ? p->contact : p->manager);
}

void rp_doc_write(struct rp_doc *d, const struct plan *p, const struct state *st,
		  int64_t now)
{
	struct walk w = { .d = d, .p = p, .st = st, .now = now, .sb = STRBUF_INIT };
	const char *title = p->title && *p->title ? p->title : p->id;

	d->first_section = true;
	d->ops->begin(d, title);
	header(&w);
	summary(&w);
	waves(&w);
	timeline(&w);
	forecast(&w);
	projects(&w);
	checklist(&w);
	gates(&w);
	risks(&w);
	communication(&w);
	success(&w);
	rollback(&w);
	post(&w);
	resources(&w);
	blockers(&w);
	changes(&w);
	activity(&w);
	next_steps(&w);
	notes(&w);
	footer(&w);
	d->ops->end(d);
	strbuf_release(&w.sb);
}
