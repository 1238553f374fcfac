/*
 * report-store.c - fill a report snapshot from the store: promotions (with
 * the last run's log), approvals, ticks, blockers and incidents from one
 * consistent store snapshot, and the change log's tail from the audit log.
 * Rows naming ids the plan no longer has are left out: the report shows the
 * plan as it is now.
 */
#include "report/report.h"

#include <string.h>

#include "plan/plan.h"
#include "store/store.h"

/* How much of the audit log the change log shows; `tollgate log` has it all. */
#define REPORT_LOG_TAIL 200

struct log_ctx {
	struct report_state *st;
	bool first;
};

static int add_log_entry(void *ctx, const struct store_log_entry *en)
{
	struct log_ctx *c = ctx;
	struct strbuf sb = STRBUF_INIT;
	if (c->first && en->seq > 1)
		c->st->changes_omitted = (size_t)(en->seq - 1);
	c->first = false;
	strbuf_addstr(&sb, en->action ? en->action : "change");
	if (en->subject && *en->subject)
		strbuf_addf(&sb, " %s", en->subject);
	if (en->detail && *en->detail)
		strbuf_addf(&sb, ": %s", en->detail);
	report_state_add_change(c->st, en->at, sb.buf, en->actor);
	strbuf_release(&sb);
	return 0;
}

static int add_promotions(struct report_state *st, const struct plan *p, struct store *s,
			  const struct store_state_snapshot *snap, struct err *e)
{
	for (size_t i = 0; i < snap->npromotions; i++) {
		const struct store_promotion *pr = &snap->promotions[i];
		int pi = plan_project_index(p, pr->project), ei = plan_env_index(p, pr->env);
		struct store_step_runs runs;
		if (pi < 0 || ei < 0)
			continue;
		report_state_set_cell(st, pi, ei, store_state_name(pr->state), pr->version,
				      pr->since);
		if (!pr->run_id)
			continue;
		if (store_list_step_runs(s, pr->project, pr->env, NULL, 1, &runs, e) < 0)
			return -1;
		if (runs.n && runs.v[0].log_path)
			report_state_set_log(st, pi, ei, runs.v[0].log_path);
		store_step_runs_release(&runs);
	}
	return 0;
}

static void add_snapshot(struct report_state *st, const struct plan *p,
			 const struct store_state_snapshot *snap)
{
	for (size_t i = 0; i < snap->napprovals; i++) {
		const struct store_approval *a = &snap->approvals[i];
		int g = plan_gate_index(p, a->gate);
		if (g >= 0)
			report_state_add_approval(st, g, a->role, a->person, a->at);
	}
	for (size_t i = 0; i < snap->nticks; i++) {
		const struct store_tick *t = &snap->ticks[i];
		int it = plan_item_index(p, t->item);
		if (it >= 0)
			report_state_set_tick(st, it, t->done, t->by, t->at, t->note);
	}
	for (size_t i = 0; i < snap->nblockers; i++) {
		const struct store_blocker *b = &snap->blockers[i];
		int bi = plan_blocker_index(p, b->id);
		if (bi >= 0)
			report_state_set_blocker(st, bi, b->progress, b->resolved, b->at);
	}
	for (size_t i = 0; i < snap->nincidents; i++) {
		const struct store_incident *in = &snap->incidents[i];
		struct report_incident r = {
			.id = in->id,
			.level = in->level,
			.env = in->env ? plan_env_index(p, in->env) : -1,
			.project = in->project ? plan_project_index(p, in->project) : -1,
			.text = in->text,
			.opened_by = in->opened_by,
			.opened_at = in->opened_at,
			.resolved = in->resolved_at > 0,
			.resolved_at = in->resolved_at,
		};
		report_state_add_incident(st, &r);
	}
}

int report_state_load(struct report_state *st, const struct plan *p, struct store *s,
		      struct err *e)
{
	struct store_state_snapshot snap;
	struct log_ctx lc = { st, true };

	report_state_init_empty(st, p);
	st->live = true;
	if (store_snapshot(s, &snap, e) < 0)
		goto fail;
	add_snapshot(st, p, &snap);
	if (add_promotions(st, p, s, &snap, e) < 0) {
		store_snapshot_release(&snap);
		goto fail;
	}
	store_snapshot_release(&snap);
	if (store_log_each(s, REPORT_LOG_TAIL, add_log_entry, &lc, e) < 0)
		goto fail;
	return 0;
fail:
	report_state_release(st);
	return -1;
}
