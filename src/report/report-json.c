/*
 * report-json.c - the report as JSON (jansson): the same sections as the
 * Markdown and HTML, one key each, with ids kept next to display text so that
 * scripts can join them with `status --json` and the plan.
 * Dates are "2026-01-10", times RFC 3339; absent values are null.
 */
#include "engine/forecast.h"
#include "report/report-int.h"

#include <jansson.h>
#include <stdlib.h>

#include "engine/encode.h"
#include <string.h>

/* Take the scratch buffer's text as a JSON string and reset it. */
static json_t *jsb(struct strbuf *sb)
{
	json_t *j = encode_string(sb->len ? sb->buf : "");
	strbuf_reset(sb);
	return j;
}

static json_t *jstrings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, encode_string(v[i]));
	return a;
}

static json_t *jrefs(const struct plan_refs *r)
{
	return jstrings(r->ids, r->n);
}

static json_t *jenv(const struct plan *p, int env)
{
	return env >= 0 && (size_t)env < p->nenvs ? encode_string(p->envs[env].name) : json_null();
}

static json_t *jitem(const struct plan *p, const struct state *st, int i)
{
	const struct plan_item *it = &p->items[i];
	const struct state_tick *t = &st->ticks[i];
	return json_pack("{s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o}", "id", encode_string(it->id), "text",
			 encode_string(it->text), "category", encode_string(it->category), "done", t->done, "by",
			 encode_string(t->by), "at", encode_time(t->at), "note", encode_string(t->note), "check",
			 encode_string(it->check), "by_roles", jstrings(it->by, it->nby));
}

static json_t *jitems(const struct plan *p, const struct state *st,
		      const struct plan_refs *r)
{
	json_t *a = json_array();
	for (size_t i = 0; i < r->n; i++)
		if (r->idx[i] >= 0)
			json_array_append_new(a, jitem(p, st, r->idx[i]));
	return a;
}

static json_t *jstatus(enum rp_tone tone, struct strbuf *sb)
{
	json_t *text = jsb(sb);
	return json_pack("{s:o, s:s}", "text", text, "tone", rp_tone_class(tone));
}

static json_t *plan_obj(const struct plan *p)
{
	char sev[16] = "";
	if (p->risk_override)
		snprintf(sev, sizeof(sev), "%s", plan_severity_name(p->risk_override));
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "id", encode_string(p->id), "title",
			 encode_string(p->title), "created", encode_date(p->created), "manager", encode_string(p->manager),
			 "status", encode_string(p->status), "contact", encode_string(p->contact), "next_review",
			 encode_date(p->next_review), "risk", *sev ? encode_string(sev) : json_null(),
			 "identity", plan_identity_name(p->identity));
}

static json_t *summary_obj(const struct plan *p, const struct state *st,
			   struct strbuf *sb)
{
	json_t *o = json_object(), *waves = json_array(), *envs = json_array(),
	       *progress = json_array();
	int64_t from, to;
	size_t open_blockers = 0, open_incidents = 0;
	enum rp_tone tone;

	json_object_set_new(o, "total_projects", json_integer((json_int_t)p->nprojects));
	for (size_t i = 0; i < p->nwaves; i++)
		json_array_append_new(waves, json_pack("{s:o, s:o, s:I}", "id",
						       encode_string(p->waves[i].id), "title",
						       encode_string(p->waves[i].title), "projects",
						       (json_int_t)rp_wave_nprojects(p, (int)i)));
	json_object_set_new(o, "waves", waves);
	for (size_t e = 0; e < p->nenvs; e++) {
		const struct plan_env *env = &p->envs[e];
		char buf[32];
		json_array_append_new(envs, json_pack("{s:o, s:o, s:o, s:o, s:o}", "name", encode_string(env->name),
						      "title", encode_string(rp_env_title(env)), "account",
						      encode_string(env->account), "soak",
						      env->has_soak && env->soak > 0
							      ? encode_string(util_fmt_duration(env->soak, buf,
										       sizeof(buf)))
							      : json_null(),
						      "promoters", jstrings(env->promoters, env->npromoters)));
		json_array_append_new(progress,
				      json_pack("{s:s, s:I, s:I}", "env", env->name, "healthy",
						(json_int_t)rp_env_count_state(p, st, (int)e, STATE_HEALTHY),
						"total", (json_int_t)p->nprojects));
	}
	json_object_set_new(o, "environments", envs);
	rp_env_chain(p, sb);
	json_object_set_new(o, "chain", jsb(sb));
	if (rp_timeline_span(p, &from, &to)) {
		rp_date_range(sb, from, to, true);
		json_object_set_new(o, "timeline", json_pack("{s:o, s:o, s:o}", "from", encode_date(from),
							     "to", encode_date(to), "text", jsb(sb)));
	} else {
		json_object_set_new(o, "timeline", json_null());
	}
	json_object_set_new(o, "overall_risk", encode_string(plan_severity_name(plan_overall_risk(p))));
	tone = rp_plan_status(p, st, sb);
	json_object_set_new(o, "status", jstatus(tone, sb));
	json_object_set_new(o, "progress", progress);
	for (size_t b = 0; b < p->nblockers; b++)
		open_blockers += !rp_blocker_resolved(st, (int)b);
	for (size_t i = 0; i < st->nincidents; i++)
		open_incidents += st->incidents[i].open;
	json_object_set_new(o, "open_blockers", json_integer((json_int_t)open_blockers));
	json_object_set_new(o, "open_incidents", json_integer((json_int_t)open_incidents));
	return o;
}

static json_t *project_obj(const struct plan *p, const struct state *st, int i,
			   int number, int64_t now, struct strbuf *sb)
{
	const struct plan_project *pr = &p->projects[i];
	json_t *cells = json_array();
	enum rp_tone tone;
	for (size_t e = 0; e < p->nenvs; e++) {
		const struct state_cell *c = state_cell(st, i, (int)e);
		json_t *x = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:b, s:o, s:o}", "env",
				      p->envs[e].name, "state", store_state_name(c->state), "label",
				      rp_state_label(c->state), "version", encode_string(c->version), "since",
				      encode_time(c->state == STATE_NONE ? 0 : c->since), "target",
				      encode_date(plan_project_target(pr, (int)e)), "late",
				      ready_is_late(p, st, i, (int)e, now), "log", encode_string(c->log),
				      "live_version", encode_string(state_live_version(c)));
		if (state_failed_version(c))
			json_object_set_new(x, "failed_version", encode_string(state_failed_version(c)));
		json_array_append_new(cells, x);
	}
	tone = rp_project_status(p, st, i, sb);
	return json_pack("{s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "number", number, "id",
			 encode_string(pr->id), "title", encode_string(pr->title), "owner", encode_string(pr->owner), "doc",
			 encode_string(pr->doc), "depends_on", jrefs(&pr->depends_on), "status",
			 jstatus(tone, sb), "cells", cells);
}

static json_t *waves_arr(const struct plan *p, const struct state *st, int64_t now,
			 struct strbuf *sb)
{
	json_t *a = json_array();
	int number = 0;
	for (size_t w = 0; w < p->nwaves; w++) {
		const struct plan_wave *wv = &p->waves[w];
		json_t *o = json_object(), *projects = json_array(), *deps = json_array();
		struct rp_lines lines = { 0 };
		json_object_set_new(o, "id", encode_string(wv->id));
		json_object_set_new(o, "title", encode_string(wv->title));
		if (wv->has_window) {
			rp_date_range(sb, wv->window_from, wv->window_to, true);
			json_object_set_new(o, "window",
					    json_pack("{s:o, s:o, s:o}", "from", encode_date(wv->window_from),
						      "to", encode_date(wv->window_to), "text", jsb(sb)));
		} else {
			json_object_set_new(o, "window", json_null());
		}
		json_object_set_new(o, "after",
				    wv->after_wave >= 0
					    ? json_pack("{s:o, s:o}", "wave", encode_string(wv->after_wave_id),
							"env", encode_string(wv->after_env_id))
					    : json_null());
		json_object_set_new(o, "notes", encode_string(wv->notes));
		json_object_set_new(o, "prerequisites", jitems(p, st, &wv->prerequisites));
		rp_wave_dependencies(p, (int)w, &lines);
		for (size_t i = 0; i < lines.n; i++)
			json_array_append_new(deps, encode_string(lines.v[i]));
		rp_lines_release(&lines);
		json_object_set_new(o, "dependencies", deps);
		for (size_t i = 0; i < p->nprojects; i++)
			if (p->projects[i].wave == (int)w)
				json_array_append_new(projects, project_obj(p, st, (int)i, ++number,
									    now, sb));
		json_object_set_new(o, "projects", projects);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *milestones_arr(const struct plan *p, const struct state *st, int64_t now)
{
	static const char *const marks[] = { [MS_UNTRACKED] = NULL, [MS_DONE] = "done",
					     [MS_OPEN] = "open", [MS_LATE] = "late" };
	json_t *a = json_array();
	int *order;
	size_t n = rp_sorted_milestones(p, &order);
	for (size_t i = 0; i < n; i++) {
		const struct plan_milestone *m = &p->milestones[order[i]];
		int64_t end = m->until > m->date ? m->until : m->date;
		enum rp_milestone ms = rp_milestone_status(p, st, order[i], now);
		/* status: "done" (the promotions it names happened), "open",
		 * "late", or null when it names none (nothing to tick) */
		json_array_append_new(a, json_pack("{s:o, s:o, s:o, s:b, s:b, s:o, s:b, s:o}", "date",
						   encode_date(m->date), "until", encode_date(m->until), "text",
						   encode_string(m->text), "past", now >= end + 86400, "today",
						   now >= m->date && now < end + 86400, "status",
						   encode_string(marks[ms]), "done", ms == MS_DONE, "env",
						   encode_string(m->env_id)));
	}
	free(order);
	return a;
}

static json_t *freezes_arr(const struct plan *p, int64_t now)
{
	json_t *a = json_array();
	for (size_t e = 0; e < p->nenvs; e++)
		for (size_t f = 0; f < p->envs[e].nfreeze; f++) {
			const struct plan_freeze *fz = &p->envs[e].freeze[f];
			json_array_append_new(a, json_pack("{s:s, s:o, s:o, s:o, s:b}", "env",
							   p->envs[e].name, "from", encode_time(fz->from),
							   "to", encode_time(fz->to), "why", encode_string(fz->why),
							   "active", now >= fz->from && now < fz->to));
		}
	return a;
}

static json_t *checklist_arr(const struct plan *p, const struct state *st)
{
	json_t *a = json_array();
	struct rp_group *g;
	size_t n = rp_checklist_groups(p, &g);
	for (size_t i = 0; i < n; i++) {
		json_t *items = json_array();
		for (size_t j = 0; j < g[i].n; j++)
			json_array_append_new(items, jitem(p, st, g[i].items[j]));
		json_array_append_new(a, json_pack("{s:o, s:o}", "category", encode_string(g[i].name),
						   "items", items));
	}
	rp_groups_free(g, n);
	return a;
}

/* {project: version} of what approval a covers, for the projects of its
 * gate whose candidate it still is */
static json_t *approval_versions(const struct plan *p, const struct state *st,
				 const struct state_approval *a)
{
	const struct plan_gate *g = &p->gates[a->gate];
	json_t *o = json_object();
	for (size_t i = 0; i < p->nprojects; i++) {
		const struct state_cover *cv = state_approval_cover(st, a, (int)i);
		const char *cand;
		if (!cv || !plan_gate_covers_wave(g, p->projects[i].wave))
			continue;
		cand = ready_candidate(st, (int)i, g->before_env);
		if (cand && !strcmp(cand, cv->version))
			json_object_set_new(o, p->projects[i].id, encode_string(cv->version));
	}
	return o;
}

/* The gate for each project it guards that has a candidate now: [{"project",
 * "version", "status"}] (a gate of scope plan: the same status for each) */
static json_t *gate_candidates(const struct plan *p, const struct state *st, int gate, int64_t now)
{
	const struct plan_gate *g = &p->gates[gate];
	json_t *a = json_array();
	for (size_t i = 0; i < p->nprojects; i++) {
		const char *cand;
		if (!plan_gate_covers_wave(g, p->projects[i].wave))
			continue;
		cand = ready_candidate(st, (int)i, g->before_env);
		if (!cand)
			continue;
		json_array_append_new(
			a, json_pack("{s:o, s:o, s:s}", "project", encode_string(p->projects[i].id),
				     "version", encode_string(cand), "status",
				     ready_gate_status_name(ready_gate_status(
					     p, st, gate, g->scope_plan ? -1 : (int)i, now))));
	}
	return a;
}

static json_t *gates_arr(const struct plan *p, const struct state *st, int64_t now,
			 struct strbuf *sb)
{
	json_t *a = json_array();
	for (size_t gi = 0; gi < p->ngates; gi++) {
		const struct plan_gate *g = &p->gates[gi];
		enum ready_gate_status s = ready_gate_status(p, st, (int)gi, -1, now);
		json_t *approvers = json_array(), *o;
		for (size_t i = 0; i < g->napprovers; i++) {
			const struct state_approval *ap =
				ready_gate_approval(p, st, (int)gi, g->approvers[i], -1, now);
			json_t *holders = json_array(), *x;
			int64_t until = ap ? ready_approval_expires(p, st, ap, -1) : 0;
			for (size_t k = 0; k < p->npeople; k++)
				if (plan_person_has_role(&p->people[k], g->approvers[i]))
					json_array_append_new(holders,
							      encode_string(p->people[k].tbd ? "TBD" : p->people[k].id));
			x = json_pack("{s:o, s:o, s:b, s:o, s:o}", "role", encode_string(g->approvers[i]),
				      "holders", holders, "approved", ap != NULL, "by",
				      ap ? encode_string(state_approval_by(p, ap)) : json_null(), "at",
				      ap ? encode_time(ap->at) : json_null());
			if (ap && !g->scope_plan)
				json_object_set_new(x, "versions", approval_versions(p, st, ap));
			json_object_set_new(x, "until", encode_time(until));
			json_array_append_new(approvers, x);
		}
		o = json_pack("{s:o, s:o, s:o, s:s, s:o, s:o}", "id", encode_string(g->id), "title",
			      encode_string(g->title), "location", encode_string(g->location), "status",
			      ready_gate_status_name(s), "approvers", approvers, "criteria",
			      jitems(p, st, &g->criteria));
		json_object_set_new(o, "before", json_pack("{s:o, s:o}", "env", encode_string(g->before_env_id),
							   "waves", jrefs(&g->waves)));
		json_object_set_new(o, "scope", json_string(g->scope_plan ? "plan" : "versions"));
		json_object_set_new(o, "expires", g->expires ? json_integer(g->expires) : json_null());
		ready_gate_explain(p, st, (int)gi, -1, now, sb);
		json_object_set_new(o, "detail", jsb(sb));
		json_object_set_new(o, "candidates", gate_candidates(p, st, (int)gi, now));
		rp_gate_required_before(p, (int)gi, sb);
		json_object_set_new(o, "required_before", jsb(sb));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *risks_arr(const struct plan *p, struct strbuf *sb)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nrisks; i++) {
		const struct plan_risk *r = &p->risks[i];
		rp_risk_scope(r, sb);
		json_array_append_new(
			a, json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "id", encode_string(r->id), "text",
				     encode_string(r->text), "severity", plan_severity_name(r->severity),
				     "scope", jsb(sb), "projects",
				     r->all_projects ? json_string("all") : jrefs(&r->projects),
				     "mitigation", encode_string(r->mitigation), "owner", encode_string(r->owner)));
	}
	return a;
}

static json_t *comms_arr(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->ncomms; i++) {
		const struct plan_comm *c = &p->comms[i];
		json_array_append_new(
			a, json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "title", encode_string(c->title),
				     "time", encode_string(c->time), "duration", encode_string(c->duration),
				     "frequency", encode_string(c->frequency), "channel", encode_string(c->channel),
				     "attendees", jstrings(c->attendees, c->nattendees), "format",
				     jstrings(c->format, c->nformat)));
	}
	return a;
}

static json_t *escalation_arr(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nescalation; i++) {
		const struct plan_escalation *e = &p->escalation[i];
		json_array_append_new(a, json_pack("{s:i, s:o, s:o, s:o}", "level", e->level, "name",
						   encode_string(e->name), "action", encode_string(e->action), "notify",
						   encode_string(e->notify)));
	}
	return a;
}

static json_t *success_arr(const struct plan *p, const struct state *st)
{
	json_t *a = json_array();
	for (size_t e = 0; e < p->nenvs; e++) {
		const struct plan_env *env = &p->envs[e];
		char buf[32];
		if (e == 0 && !env->success.n)
			continue;
		json_t *x;
		x = json_pack("{s:s, s:o, s:I, s:I, s:o, s:o}", "env", env->name, "title",
				     encode_string(rp_env_title(env)), "healthy",
				     (json_int_t)rp_env_count_state(p, st, (int)e, STATE_HEALTHY), "total",
				     (json_int_t)p->nprojects, "soak",
				     env->has_soak && env->soak > 0
					     ? encode_string(util_fmt_duration(env->soak, buf, sizeof(buf)))
					     : json_null(),
				     "items", jitems(p, st, &env->success));
		/* the last environment's criteria are the release's completion;
		 * any other's, its sign-off before anything leaves it */
		json_object_set_new(x, "completes_release", json_boolean(e + 1 == p->nenvs));
		json_array_append_new(a, x);
	}
	return a;
}

static json_t *completion_obj(const struct plan *p, const struct state *st, struct strbuf *sb)
{
	bool done = ready_release_complete(p, st, sb);
	return json_pack("{s:b, s:o}", "complete", done, "missing",
			 done ? json_null() : jsb(sb));
}

static json_t *rejections_arr(const struct plan *p, const struct state *st)
{
	json_t *a = json_array();
	for (size_t i = 0; i < st->nrejections; i++)
		if (st->rejections[i].kind != REJECT_ALLOWANCE || st->rejections[i].allowed)
			json_array_append_new(a, encode_rejection(p, &st->rejections[i]));
	return a;
}

static json_t *triggers_arr(const struct plan *p, struct strbuf *sb)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->ntriggers; i++) {
		const struct plan_trigger *t = &p->triggers[i];
		json_t *envs = json_array(), *o;
		if (t->envs.n)
			for (size_t k = 0; k < t->envs.n; k++)
				json_array_append_new(envs, encode_string(t->envs.ids[k]));
		else
			for (size_t e = 1; e < p->nenvs; e++)
				json_array_append_new(envs, encode_string(p->envs[e].name));
		o = json_pack("{s:o, s:o, s:s, s:o, s:o, s:o, s:o, s:i}", "id", encode_string(t->id), "text",
			      encode_string(t->text), "kind", t->measure ? "measured" : "judged", "measure",
			      encode_string(t->measure), "above",
			      t->has_above ? json_real(t->above) : json_null(), "below",
			      t->has_below ? json_real(t->below) : json_null(), "envs", envs, "level",
			      t->level ? t->level : 1);
		rp_trigger_rule(p, t, sb);
		json_object_set_new(o, "rule", jsb(sb));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *rollback_arr(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nrollback_steps; i++)
		json_array_append_new(a, json_pack("{s:o, s:o}", "step",
						   encode_string(p->rollback_steps[i].title), "text",
						   encode_string(p->rollback_steps[i].text)));
	return a;
}

static json_t *post_arr(const struct plan *p, const struct state *st, struct strbuf *sb)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->npost; i++) {
		const struct plan_activity_group *g = &p->post[i];
		rp_activity_title(p, g, sb);
		json_array_append_new(
			a, json_pack("{s:o, s:o, s:o}", "title", jsb(sb), "after",
				     json_pack("{s:o, s:o}", "env", jenv(p, g->after_env), "waves",
					       jrefs(&g->waves)),
				     "items", jitems(p, st, &g->items)));
	}
	return a;
}

static json_t *resources_arr(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nresources; i++) {
		const struct plan_resource *r = &p->resources[i];
		json_array_append_new(
			a, json_pack("{s:o, s:o, s:o, s:o, s:o}", "role", encode_string(r->role), "person",
				     encode_string(r->person), "name",
				     encode_string(r->person ? rp_person_name(p, r->person) : "TBD"),
				     "availability", encode_string(r->availability), "responsibility",
				     encode_string(r->responsibility)));
	}
	return a;
}

static json_t *external_arr(const struct plan *p, const struct state *st)
{
	json_t *a = json_array();
	int *ext;
	size_t n = rp_external_items(p, &ext);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, jitem(p, st, ext[i]));
	free(ext);
	return a;
}

static json_t *blockers_arr(const struct plan *p, const struct state *st, int64_t now)
{
	json_t *a = json_array();
	for (size_t b = 0; b < p->nblockers; b++) {
		const struct plan_blocker *bl = &p->blockers[b];
		bool resolved = rp_blocker_resolved(st, (int)b);
		json_t *o = json_pack(
			"{s:o, s:o, s:i, s:b, s:o, s:o, s:b, s:o, s:o}", "id", encode_string(bl->id), "text",
			encode_string(bl->text), "progress", rp_blocker_progress(st, (int)b), "resolved",
			resolved, "owner", encode_string(bl->owner), "due", encode_date(bl->due), "overdue",
			!resolved && bl->due && now >= bl->due + 86400, "impact", encode_string(bl->impact),
			"mitigation", encode_string(bl->mitigation));
		json_object_set_new(o, "blocks",
				    bl->blocks_env >= 0
					    ? json_pack("{s:o, s:o}", "env", jenv(p, bl->blocks_env),
							"waves", jrefs(&bl->blocks_waves))
					    : json_null());
		json_object_set_new(o, "updated", encode_time(st->blockers[b].updated));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *incidents_arr(const struct plan *p, const struct state *st)
{
	json_t *a = json_array();
	int *order;
	size_t n = rp_sorted_incidents(st, &order);
	for (size_t i = 0; i < n; i++) {
		const struct state_incident *in = &st->incidents[order[i]];
		json_array_append_new(
			a, json_pack("{s:I, s:i, s:o, s:o, s:o, s:o, s:o, s:b, s:o}", "id",
				     (json_int_t)in->id, "level", in->level, "env", jenv(p, in->env),
				     "project",
				     in->project >= 0 && (size_t)in->project < p->nprojects
					     ? encode_string(p->projects[in->project].id)
					     : json_null(),
				     "text", encode_string(in->text), "opened_by", encode_string(in->opened_by),
				     "opened_at", encode_time(in->opened_at), "resolved", !in->open,
				     "resolved_at", encode_time(in->resolved_at)));
	}
	free(order);
	return a;
}

static json_t *changelog_arr(const struct plan *p, const struct state *st)
{
	json_t *a = json_array();
	struct state_change *v;
	size_t n = rp_changes(p, st, &v);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}", "date", encode_date(v[i].date),
						   "change", encode_string(v[i].text), "author",
						   encode_string(v[i].author)));
	free(v);
	return a;
}

/* {total, days: [{date, total, kinds: {action: count}}], recent: [...]}: the
 * whole log by day and kind, and its last entries, newest first */
static json_t *activity_obj(const struct plan *p, const struct state *st)
{
	json_t *days = json_array(), *recent = json_array(), *day = NULL, *kinds = NULL;
	int64_t total = 0;

	for (size_t i = 0; i < st->nactivity; i++) {
		const struct state_activity *a = &st->activity[i];
		if (!i || a->day != st->activity[i - 1].day) {
			if (day)
				json_object_set_new(day, "total", json_integer((json_int_t)total));
			kinds = json_object();
			day = json_pack("{s:o, s:i, s:o}", "date", encode_date(a->day), "total", 0,
					"kinds", kinds);
			json_array_append_new(days, day);
			total = 0;
		}
		json_object_set_new(kinds, a->action, json_integer((json_int_t)a->count));
		total += a->count;
	}
	if (day)
		json_object_set_new(day, "total", json_integer((json_int_t)total));
	for (size_t i = st->nrecent; i-- > 0;) {
		const struct state_change *c = &st->recent[i];
		json_array_append_new(recent, json_pack("{s:o, s:o, s:o}", "at", encode_time(c->date),
							"entry", encode_string(c->text),
							"actor", encode_string(c->author)));
	}
	(void)p;
	return json_pack("{s:I, s:o, s:o}", "total", (json_int_t)st->activity_total, "days", days,
			 "recent", recent);
}

static json_t *next_arr(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nnext; i++)
		json_array_append_new(a, json_pack("{s:o, s:o}", "title", encode_string(p->next[i].title),
						   "items",
						   jstrings(p->next[i].items, p->next[i].nitems)));
	return a;
}

int rp_render_json(const struct plan *p, const struct state *st, int64_t now,
		   struct strbuf *out, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *o = json_object();
	char *text;
	int rc = 0;

	json_object_set_new(o, "plan", plan_obj(p));
	json_object_set_new(o, "generated_at", encode_time(now));
	json_object_set_new(o, "live", json_boolean(st->live));
	if (st->rehearsal)
		json_object_set_new(o, "rehearsal", json_true());
	json_object_set_new(o, "summary", summary_obj(p, st, &sb));
	json_object_set_new(o, "waves", waves_arr(p, st, now, &sb));
	json_object_set_new(o, "milestones", milestones_arr(p, st, now));
	json_object_set_new(o, "freezes", freezes_arr(p, now));
	{
		/* the Forecast section: forecast --json's cells and deadlines */
		struct forecast f;
		json_t *fj;
		forecast_compute(&f, p, st, now, NULL);
		fj = encode_forecast(&f);
		json_object_del(fj, "plan");
		json_object_del(fj, "now");
		json_object_set_new(o, "forecast", fj);
		forecast_release(&f);
	}
	json_object_set_new(o, "checklist", checklist_arr(p, st));
	json_object_set_new(o, "gates", gates_arr(p, st, now, &sb));
	json_object_set_new(o, "risks", risks_arr(p, &sb));
	json_object_set_new(o, "communication", comms_arr(p));
	json_object_set_new(o, "escalation", escalation_arr(p));
	json_object_set_new(o, "success_criteria", success_arr(p, st));
	json_object_set_new(o, "completion", completion_obj(p, st, &sb));
	json_object_set_new(o, "rejections", rejections_arr(p, st));
	json_object_set_new(o, "triggers", triggers_arr(p, &sb));
	json_object_set_new(o, "rollback_procedure", rollback_arr(p));
	json_object_set_new(o, "post_promotion", post_arr(p, st, &sb));
	json_object_set_new(o, "resources", resources_arr(p));
	json_object_set_new(o, "external_dependencies", external_arr(p, st));
	json_object_set_new(o, "blockers", blockers_arr(p, st, now));
	json_object_set_new(o, "incidents", incidents_arr(p, st));
	json_object_set_new(o, "changelog", changelog_arr(p, st));
	json_object_set_new(o, "activity", activity_obj(p, st));
	json_object_set_new(o, "next_steps", next_arr(p));
	if (p->nnotes) {
		json_t *a = json_array();
		for (size_t i = 0; i < p->nnotes; i++)
			json_array_append_new(a, json_pack("{s:o, s:o}", "title",
							   encode_string(p->notes[i].title), "text",
							   encode_string(p->notes[i].text)));
		json_object_set_new(o, "notes", a);
	}

	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text) {
		rc = err_set(e, ERR_FAILED, "could not encode the report of plan '%s' as JSON", p->id);
	} else {
		strbuf_addstr(out, text);
		strbuf_addch(out, '\n');
		free(text);
	}
	json_decref(o);
	strbuf_release(&sb);
	return rc;
}

/* ---- the listing commands ------------------------------------------------- */

static const char *const list_names[] = { "gates", "checklist", "incidents", "blockers",
					  "rejections" };

const char *report_list_name(enum report_list l)
{
	return list_names[l];
}

/* Keep the elements of a for which keep() holds. */
static void filter(json_t *a, bool (*keep)(json_t *x, const struct report_list_opts *o,
					   const struct plan *p),
		   const struct report_list_opts *o, const struct plan *p)
{
	for (size_t i = json_array_size(a); i-- > 0;)
		if (!keep(json_array_get(a, i), o, p))
			json_array_remove(a, i);
}

static bool env_is(json_t *v, const struct report_list_opts *o, const struct plan *p)
{
	return o->env < 0 || (json_is_string(v) && !strcmp(json_string_value(v), p->envs[o->env].name));
}

static bool keep_gate(json_t *x, const struct report_list_opts *o, const struct plan *p)
{
	return env_is(json_object_get(json_object_get(x, "before"), "env"), o, p);
}

static bool keep_item(json_t *x, const struct report_list_opts *o, const struct plan *p)
{
	(void)p;
	return o->done < 0 || json_is_true(json_object_get(x, "done")) == (o->done == 1);
}

static bool keep_incident(json_t *x, const struct report_list_opts *o, const struct plan *p)
{
	return env_is(json_object_get(x, "env"), o, p) &&
	       !(o->open_only && json_is_true(json_object_get(x, "resolved")));
}

static bool keep_blocker(json_t *x, const struct report_list_opts *o, const struct plan *p)
{
	json_t *blocks = json_object_get(x, "blocks");
	if (o->open_only && json_is_true(json_object_get(x, "resolved")))
		return false;
	return o->env < 0 || (json_is_object(blocks) && env_is(json_object_get(blocks, "env"), o, p));
}

static bool keep_rejection(json_t *x, const struct report_list_opts *o, const struct plan *p)
{
	json_t *env = json_object_get(x, "env");
	if (o->open_only && !json_is_true(json_object_get(x, "rejected")))
		return false;
	/* a rejection for every environment is one for this one too */
	return o->env < 0 || json_is_null(env) || env_is(env, o, p);
}

json_t *report_list(const struct plan *p, const struct state *st, enum report_list l,
		    const struct report_list_opts *o, int64_t now)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *a = NULL;
	switch (l) {
	case REPORT_LIST_GATES:
		a = gates_arr(p, st, now, &sb);
		filter(a, keep_gate, o, p);
		break;
	case REPORT_LIST_CHECKLIST:
		a = checklist_arr(p, st);
		for (size_t i = json_array_size(a); i-- > 0;) {
			json_t *items = json_object_get(json_array_get(a, i), "items");
			filter(items, keep_item, o, p);
			if (!json_array_size(items))
				json_array_remove(a, i);
		}
		break;
	case REPORT_LIST_INCIDENTS:
		a = incidents_arr(p, st);
		filter(a, keep_incident, o, p);
		break;
	case REPORT_LIST_BLOCKERS:
		a = blockers_arr(p, st, now);
		filter(a, keep_blocker, o, p);
		break;
	case REPORT_LIST_REJECTIONS:
		a = rejections_arr(p, st);
		filter(a, keep_rejection, o, p);
		break;
	}
	strbuf_release(&sb);
	return json_pack("{s:o}", list_names[l], a);
}
