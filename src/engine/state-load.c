/*
 * state-load.c - fill the live state from the store: one read transaction
 * (store_snapshot_opts: promotions with their hold counts and logs,
 * approvals, ticks, blockers, incidents and the audit tail), then every row
 * mapped from ids to plan indices. Rows for ids the plan no longer has (a
 * project removed from the YAML) are skipped.
 */
#include "engine/state.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/promote.h"
#include "engine/ready.h"
#include "plan/plan.h"
#include "store/store.h"

/* How much of the audit log a load with STATE_LOAD_AUDIT reads by default;
 * `tollgate log` has it all. */
#define STATE_AUDIT_TAIL 200

static void snapshot_free(void *p)
{
	store_snapshot_release(p);
	free(p);
}

/* "action subject: detail" */
static void entry_text(struct strbuf *sb, const struct store_log_entry *en)
{
	strbuf_addstr(sb, en->action && *en->action ? en->action : "change");
	if (en->subject && *en->subject)
		strbuf_addf(sb, " %s", en->subject);
	if (en->detail && *en->detail)
		strbuf_addf(sb, ": %s", en->detail);
}

static void add_recent(struct state *st, const struct store_log_entry *en)
{
	struct strbuf sb = STRBUF_INIT;
	entry_text(&sb, en);
	state_add_recent(st, en->at, sb.buf, en->actor);
	strbuf_release(&sb);
}

/* The digest a plan.loaded entry names ("sha256 HEX of PATH"), its length. */
static size_t loaded_digest(const char *detail, const char **out)
{
	const char *s = detail && !strncmp(detail, "sha256 ", 7) ? detail + 7 : "";
	*out = s;
	return strcspn(s, " ");
}

/*
 * The change log's entries of the audit log: each plan.loaded whose digest
 * differs from the one before (the plan was edited, or first loaded), and
 * every moved and forget.
 */
static void add_plan_changes(struct state *st, const struct store_state_snapshot *snap)
{
	const char *prev = NULL, *d;
	size_t nprev = 0, n;
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < snap->naudit_plan_changes; i++) {
		const struct store_log_entry *en = &snap->audit_plan_changes[i];
		if (!strcmp(en->action, "plan.loaded")) {
			n = loaded_digest(en->detail, &d);
			if (prev && n == nprev && !memcmp(prev, d, n))
				continue;
			strbuf_addf(&sb, "%s (sha256 %.12s)", prev ? "plan changed" : "plan loaded", d);
			prev = d;
			nprev = n;
		} else {
			entry_text(&sb, en);
		}
		state_add_change(st, en->at, sb.buf, en->actor);
		strbuf_reset(&sb);
	}
	strbuf_release(&sb);
}

static bool same_approval(const struct store_approval *a, const struct store_approval_version *v)
{
	return !strcmp(a->gate, v->gate) && !strcmp(a->role, v->role) &&
	       !strcmp(a->person, v->person);
}

int state_load_opts(struct state *st, const struct plan *p, struct store *s,
		    const struct state_load_opts *o, struct err *e)
{
	struct store_state_snapshot *keep = xcalloc(1, sizeof(*keep));
	struct store_snapshot_opts so = { 0 };
	const char **ids = NULL;
	const struct store_state_snapshot *snap;
	int rc;

	state_init_empty(st, p);
	st->now = o->now;
	st->live = true;
	st->rehearsal = store_is_rehearsal(s);
	if (o->projects) {
		ids = xcalloc(o->nprojects + 1, sizeof(*ids));
		st->loaded = xcalloc(p->nprojects + 1, 1);
		for (size_t i = 0; i < o->nprojects; i++) {
			ids[i] = p->projects[o->projects[i]].id;
			st->loaded[o->projects[i]] = 1;
		}
		so.projects = ids;
		so.nprojects = o->nprojects;
	}
	so.rollbacks = o->now > 0;
	so.rollbacks_after = o->now - READY_HOLD_WINDOW;
	if (o->hold_one) {
		so.rollbacks_project = p->projects[o->hold_project].id;
		so.rollbacks_env = p->envs[o->hold_env].name;
	}
	so.logs = (o->what & STATE_LOAD_LOGS) != 0;
	if (o->what & STATE_LOAD_AUDIT) {
		so.audit_tail = (int64_t)(o->audit_tail ? o->audit_tail : STATE_AUDIT_TAIL);
		so.audit_summary = true;
	}
	rc = store_snapshot_opts(s, &so, keep, e);
	free(ids);
	if (rc < 0) {
		free(keep);
		state_release(st);
		return -1;
	}
	/* the cells (the bulk of a large plan) point into the snapshot, kept
	 * alive with the state; the few other rows are copied */
	st->backing = keep;
	st->backing_release = snapshot_free;
	snap = keep;
	for (size_t i = 0; i < snap->npromotions; i++) {
		const struct store_promotion *sp = &snap->promotions[i];
		int pi = plan_project_index(p, sp->project), ei = plan_env_index(p, sp->env);
		struct state_cell *c;
		if (pi < 0 || ei < 0)
			continue;
		c = state_cell(st, pi, ei);
		c->state = sp->state;
		c->rollbacks = sp->rollbacks;
		c->version = sp->version;
		c->previous = sp->previous_version;
		c->since = sp->since;
		c->soak_until = sp->soak_until;
		c->log = sp->log_path;
		if (c->state == STATE_DEPLOYING || c->state == STATE_VERIFYING) {
			const struct store_lease *l = NULL;
			for (size_t k = 0; k < snap->nleases && !l; k++)
				if (!strcmp(snap->leases[k].project, sp->project) &&
				    !strcmp(snap->leases[k].env, sp->env))
					l = &snap->leases[k].lease;
			c->orphaned = !l || !promote_lease_alive_now(l, o->now);
		}
	}
	{
		/* each approval's index by its row, for its covers */
		size_t *idx = xcalloc(snap->napprovals + 1, sizeof(*idx));
		size_t last = 0;
		for (size_t i = 0; i < snap->napprovals; i++) {
			const struct store_approval *a = &snap->approvals[i];
			int gi = plan_gate_index(p, a->gate), who = plan_person_index(p, a->person);
			bool imported = who < 0 && !strcmp(a->person, STATE_IMPORT_ACTOR);
			idx[i] = SIZE_MAX;
			if (gi < 0 || (who < 0 && !imported))
				continue;
			idx[i] = state_add_approval(st, gi, who, a->role, a->at);
			st->approvals[idx[i]].imported = imported;
		}
		for (size_t i = 0; i < snap->napproval_versions; i++) {
			const struct store_approval_version *v = &snap->approval_versions[i];
			int pi = plan_project_index(p, v->project);
			size_t k = last;
			if (pi < 0)
				continue;
			/* covers come grouped by approval: the last one found first */
			if (k >= snap->napprovals || !same_approval(&snap->approvals[k], v))
				for (k = 0; k < snap->napprovals; k++)
					if (same_approval(&snap->approvals[k], v))
						break;
			if (k >= snap->napprovals || idx[k] == SIZE_MAX)
				continue;
			last = k;
			state_add_cover(st, idx[k], pi, v->version, v->at);
		}
		free(idx);
	}
	for (size_t i = 0; i < snap->nrejections; i++) {
		const struct store_rejection *r = &snap->rejections[i];
		struct state_rejection x = { 0 };
		x.project = plan_project_index(p, r->project);
		x.env = strcmp(r->env, STORE_EVERY_ENV) ? plan_env_index(p, r->env) : -1;
		if (x.project < 0 || (x.env < 0 && strcmp(r->env, STORE_EVERY_ENV)) ||
		    state_rejection_kind_parse(r->kind, &x.kind) < 0)
			continue;
		x.version = r->version;
		x.reason = r->reason;
		x.by = r->by;
		x.at = r->at;
		x.allowed = r->allowed_at > 0;
		x.allowed_by = r->allowed_by;
		x.allowed_reason = r->allowed_reason;
		x.allowed_at = r->allowed_at;
		state_add_rejection(st, &x);
	}
	for (size_t i = 0; i < snap->nticks; i++) {
		const struct store_tick *t = &snap->ticks[i];
		int it = plan_item_index(p, t->item);
		if (it < 0)
			continue;
		state_set_tick(st, it, t->done, t->by, t->at, t->note);
		if (t->source == TICK_CHECK)
			state_set_evidence(st, it, t->exit_status, t->output_tail);
	}
	for (size_t i = 0; i < snap->nblockers; i++) {
		const struct store_blocker *b = &snap->blockers[i];
		int bi = plan_blocker_index(p, b->id);
		if (bi < 0)
			continue;
		state_set_blocker(st, bi, b->progress, b->resolved, b->at, b->by);
	}
	for (size_t i = 0; i < snap->nincidents; i++) {
		const struct store_incident *si = &snap->incidents[i];
		struct state_incident in = { 0 };
		in.id = si->id;
		in.level = si->level;
		in.env = si->env ? plan_env_index(p, si->env) : -1;
		in.project = si->project ? plan_project_index(p, si->project) : -1;
		in.text = si->text;
		in.opened_by = si->opened_by;
		in.opened_at = si->opened_at;
		in.open = si->resolved_at == 0;
		in.resolved_at = si->resolved_at;
		in.resolved_by = si->resolved_by;
		state_add_incident(st, &in);
	}
	for (size_t i = 0; i < snap->naudit; i++)
		add_recent(st, &snap->audit[i]);
	add_plan_changes(st, snap);
	for (size_t i = 0; i < snap->naudit_counts; i++)
		state_add_activity(st, snap->audit_counts[i].day * 86400, snap->audit_counts[i].action,
				   snap->audit_counts[i].count);
	state_index(st);
	return 0;
}

int state_load(struct state *st, const struct plan *p, struct store *s, struct err *e)
{
	struct state_load_opts o = { 0 };
	return state_load_opts(st, p, s, &o, e);
}

int state_load_of(struct state *st, const struct plan *p, struct store *s, const int *projects,
		  size_t n, struct err *e)
{
	struct state_load_opts o = { 0 };
	o.projects = projects;
	o.nprojects = n;
	return state_load_opts(st, p, s, &o, e);
}
