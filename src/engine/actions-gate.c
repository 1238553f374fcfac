/*
 * actions-gate.c - approve and revoke (issue 9): an approval by the acting
 * person for one role of a gate they hold, and, for a gate of `scope:
 * versions`, for the candidate version of each project it covers (the
 * version that would be promoted into the gate's environment now). Whether
 * an approval still counts is decided at read time by ready.h; here only
 * what is given, under the store's write lock so that approvals queue.
 */
#include "engine/actions.h"

#include <stdlib.h>
#include <string.h>

#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"
#include "store/store.h"

void approve_result_release(struct approve_result *r)
{
	for (size_t i = 0; i < r->ncovered; i++)
		free(r->versions[i]);
	free(r->covered);
	free(r->versions);
	free(r->uncovered);
	memset(r, 0, sizeof(*r));
}

/* Does approval a count for every project covered (or for the plan as a
 * whole when the gate has scope plan)? */
static bool counts_for(const struct plan *p, const struct state *st, const struct state_approval *a,
		       const struct approve_result *out, int64_t now)
{
	if (p->gates[a->gate].scope_plan)
		return ready_approval_check(p, st, a, -1, now) == APPROVAL_COUNTS;
	for (size_t i = 0; i < out->ncovered; i++)
		if (ready_approval_check(p, st, a, out->covered[i], now) != APPROVAL_COUNTS)
			return false;
	return true;
}

/* Another person's approval of gate for role that counts for what this
 * approval covers, or NULL. */
static const struct state_approval *role_filled(const struct plan *p, const struct state *st,
						int gate, const char *role, int person,
						const struct approve_result *out, int64_t now)
{
	for (size_t i = 0; i < st->napprovals; i++) {
		const struct state_approval *a = &st->approvals[i];
		if (a->gate == gate && a->person != person && !strcmp(a->role, role) &&
		    counts_for(p, st, a, out, now))
			return a;
	}
	return NULL;
}

/* out->needs / out->others from st: the gate's roles other than role not
 * filled for every project covered (as a whole for scope plan). */
static void describe_gate(const struct plan *p, const struct state *st, int gate,
			  const struct plan_person *who, const char *role, int64_t now,
			  struct approve_result *out)
{
	const struct plan_gate *g = &p->gates[gate];
	out->nneeds = out->nothers = 0;
	for (size_t r = 0; r < g->napprovers; r++) {
		const char *gr = g->approvers[r];
		bool filled = true;
		if (role && !strcmp(gr, role))
			continue;
		if (g->scope_plan || !out->ncovered)
			filled = ready_gate_approval(p, st, gate, gr, -1, now) != NULL;
		for (size_t i = 0; !g->scope_plan && i < out->ncovered && filled; i++)
			filled = ready_gate_approval(p, st, gate, gr, out->covered[i], now) != NULL;
		if (filled)
			continue;
		if (out->nneeds < APPROVE_MAX_ROLES)
			out->needs[out->nneeds++] = gr;
		if (plan_person_has_role(who, gr) && out->nothers < APPROVE_MAX_ROLES)
			out->others[out->nothers++] = gr;
	}
}

/* Which projects the approval is for, and their candidates. */
static int select_projects(const struct plan *p, const struct state *st, int gate,
			   const char *const *projects, size_t nprojects,
			   struct approve_result *out, struct err *e)
{
	const struct plan_gate *g = &p->gates[gate];
	size_t n = 0;
	int *sel = xcalloc(p->nprojects + 1, sizeof(*sel));

	if (nprojects) {
		for (size_t i = 0; i < nprojects; i++) {
			int pi = action_find_project(p, projects[i], e);
			if (pi < 0)
				goto fail;
			if (!plan_gate_covers_wave(g, p->projects[pi].wave)) {
				err_setr(e, ERR_USAGE, REASON_INVALID,
					 "project '%s' (wave '%s') is not one gate '%s' guards; it "
					 "guards %s for %s",
					 p->projects[pi].id, p->projects[pi].wave_id, g->id,
					 p->envs[g->before_env].name,
					 g->waves.n ? "some waves only" : "every wave");
				goto fail;
			}
			for (size_t k = 0; k < n; k++)
				if (sel[k] == pi)
					pi = -1;
			if (pi >= 0)
				sel[n++] = pi;
		}
	} else {
		for (size_t i = 0; i < p->nprojects; i++)
			if (plan_gate_covers_wave(g, p->projects[i].wave))
				sel[n++] = (int)i;
	}
	out->covered = xcalloc(n + 1, sizeof(*out->covered));
	out->versions = xcalloc(n + 1, sizeof(*out->versions));
	out->uncovered = xcalloc(n + 1, sizeof(*out->uncovered));
	for (size_t k = 0; k < n; k++) {
		const char *cand = ready_candidate(st, sel[k], g->before_env);
		if (cand) {
			out->covered[out->ncovered] = sel[k];
			out->versions[out->ncovered++] = xstrdup(cand);
		} else {
			out->uncovered[out->nuncovered++] = sel[k];
		}
	}
	free(sel);
	return 0;
fail:
	free(sel);
	return -1;
}

/* The audit detail: the role, then what it covers. */
static void approval_detail(const struct plan *p, const struct plan_gate *g, const char *role,
			    const struct approve_result *out, struct strbuf *sb)
{
	strbuf_addf(sb, "as %s", role);
	if (g->scope_plan) {
		strbuf_addstr(sb, ": the plan as a whole");
		return;
	}
	for (size_t i = 0; i < out->ncovered; i++)
		strbuf_addf(sb, "%s%s=%s", i ? ", " : ": ", p->projects[out->covered[i]].id,
			    out->versions[i]);
	for (size_t i = 0; i < out->nuncovered; i++)
		strbuf_addf(sb, "%s%s", i ? ", " : "; no candidate: ",
			    p->projects[out->uncovered[i]].id);
}

/* When approval a stops counting for what it covers (the earliest), 0 never. */
static int64_t until_of(const struct plan *p, const struct state *st, const struct state_approval *a,
			const struct approve_result *out)
{
	int64_t until = 0;
	if (p->gates[a->gate].scope_plan || !out->ncovered)
		return ready_approval_expires(p, st, a, -1);
	for (size_t i = 0; i < out->ncovered; i++) {
		int64_t u = ready_approval_expires(p, st, a, out->covered[i]);
		if (u && (!until || u < until))
			until = u;
	}
	return until;
}

int action_approve(const struct action_ctx *c, const char *gate, const char *role,
		   const char *const *projects, size_t nprojects, struct approve_result *out,
		   struct err *e)
{
	const struct plan *p = c->plan;
	const struct plan_gate *g;
	const struct plan_person *who;
	struct state_load_opts lo = { 0 };
	struct state st;
	const struct state_approval *mine;
	const char *pick = NULL;
	struct strbuf roles = STRBUF_INIT, detail = STRBUF_INIT;
	bool loaded = false, renew = false;
	int gi, pi, rc = -1;

	memset(out, 0, sizeof(*out));
	gi = action_find_gate(p, gate, e);
	if (gi < 0)
		return -1;
	pi = action_find_actor(c, e);
	if (pi < 0)
		return -1;
	g = &p->gates[gi];
	who = &p->people[pi];
	out->scope_plan = g->scope_plan;
	if (g->scope_plan && nprojects) {
		err_set(e, ERR_USAGE, "gate '%s' approves the plan as a whole (scope: plan); drop "
				      "--project",
			g->id);
		goto out;
	}
	for (size_t r = 0; r < g->napprovers; r++) {
		if (roles.len)
			strbuf_addstr(&roles, ", ");
		strbuf_addstr(&roles, g->approvers[r]);
	}
	if (role) {
		bool listed = false;
		for (size_t r = 0; r < g->napprovers; r++)
			if (!strcmp(g->approvers[r], role)) {
				listed = true;
				role = g->approvers[r];
			}
		if (!listed) {
			err_set(e, ERR_USAGE, "gate '%s' does not ask for role '%s'; it needs %s",
				g->id, role, roles.buf);
			goto out;
		}
		if (!plan_person_has_role(who, role)) {
			err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
				 "'%s' does not hold role '%s' that gate '%s' asks for",
				who->id, role, g->id);
			goto out;
		}
	} else {
		bool any = false;
		for (size_t r = 0; r < g->napprovers; r++)
			if (plan_person_has_role(who, g->approvers[r]))
				any = true;
		if (!any) {
			err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
				 "'%s' holds none of the roles gate '%s' needs (%s); nothing approved",
				who->id, g->id, roles.buf);
			goto out;
		}
	}

	/* decide under the write lock, so concurrent approvals queue */
	if (store_begin_change(c->store, c->now, who->id, "approve", g->id, NULL, e) < 0)
		goto out;
	lo.now = c->now;
	if (state_load_opts(&st, p, c->store, &lo, e) < 0)
		goto abort;
	loaded = true;
	if (!g->scope_plan) {
		if (select_projects(p, &st, gi, projects, nprojects, out, e) < 0)
			goto abort;
		if (!out->ncovered) {
			err_setr(e, ERR_NOT_READY, REASON_CONFLICT,
				 "gate '%s' approves versions, and no project it guards has a candidate "
				 "for %s (a version soaking or healthy in %s); nothing approved",
				 g->id, p->envs[g->before_env].name,
				 g->before_env > 0 ? p->envs[g->before_env - 1].name : "none");
			goto abort;
		}
	}
	mine = state_find_approval(&st, gi, pi);
	if (mine && plan_person_has_role(who, mine->role)) {
		for (size_t r = 0; r < g->napprovers; r++)
			if (!strcmp(g->approvers[r], mine->role))
				out->role = g->approvers[r];
		if (role && strcmp(role, mine->role)) {
			err_setr(e, ERR_NOT_READY, REASON_CONFLICT,
				 "'%s' already approved gate '%s' as %s; one person fills one role of a "
				"gate (revoke first to switch)",
				who->id, g->id, mine->role);
			goto abort;
		}
		if (out->role && counts_for(p, &st, mine, out, c->now)) {
			out->already = true;
			describe_gate(p, &st, gi, who, out->role, c->now, out);
			out->until = until_of(p, &st, mine, out);
			store_abort_change(c->store);
			rc = 0;
			goto out;
		}
		if (out->role) {
			/* given again: for the candidates of now, from now */
			pick = out->role;
			renew = true;
		}
	}
	for (size_t r = 0; r < g->napprovers && !pick; r++) {
		const char *gr = g->approvers[r];
		const struct state_approval *h;
		if (role && strcmp(gr, role))
			continue;
		if (!plan_person_has_role(who, gr))
			continue;
		h = role_filled(p, &st, gi, gr, pi, out, c->now);
		if (h) {
			if (role) {
				err_setr(e, ERR_NOT_READY, REASON_CONFLICT,
					 "role '%s' of gate '%s' is already approved by %s; nothing approved",
					 gr, g->id, state_approval_by(p, h));
				goto abort;
			}
			continue;
		}
		pick = gr;
	}
	if (!pick) {
		err_setr(e, ERR_NOT_READY, REASON_CONFLICT,
			 "every role '%s' holds on gate '%s' is already approved by someone else; "
			"nothing approved",
			who->id, g->id);
		goto abort;
	}
	if (renew) {
		if (store_approval_renew(c->store, g->id, pick, who->id, e) < 0)
			goto abort;
	} else {
		/* a stale approval for a role the person lost goes first */
		if (mine && store_revoke(c->store, g->id, NULL, who->id, NULL, e) < 0)
			goto abort;
		if (store_approve(c->store, g->id, pick, who->id, NULL, e) < 0)
			goto abort;
	}
	for (size_t i = 0; i < out->ncovered; i++)
		if (store_approval_cover(c->store, g->id, pick, who->id,
					 p->projects[out->covered[i]].id, out->versions[i], e) < 0)
			goto abort;
	approval_detail(p, g, pick, out, &detail);
	store_change_detail(c->store, "%s", detail.buf);
	if (store_commit_change(c->store, NULL, e) < 0)
		goto out;
	out->role = pick;
	/* what the gate needs now, read back */
	state_release(&st);
	loaded = false;
	if (state_load_opts(&st, p, c->store, &lo, e) < 0)
		goto out;
	loaded = true;
	mine = state_find_approval(&st, gi, pi);
	if (mine)
		out->until = until_of(p, &st, mine, out);
	describe_gate(p, &st, gi, who, pick, c->now, out);
	rc = 0;
	goto out;
abort:
	store_abort_change(c->store);
out:
	if (loaded)
		state_release(&st);
	if (rc < 0)
		approve_result_release(out);
	strbuf_release(&roles);
	strbuf_release(&detail);
	return rc;
}

int action_revoke(const struct action_ctx *c, const char *gate, const char **role_out,
		  struct err *e)
{
	const struct plan *p = c->plan;
	struct store_state_snapshot snap;
	const struct store_approval *mine = NULL;
	const char *whose;
	int gi, pi, rc = -1;

	*role_out = NULL;
	gi = action_find_gate(p, gate, e);
	if (gi < 0)
		return -1;
	pi = action_find_actor(c, e);
	if (pi < 0)
		return -1;
	if (store_begin_change(c->store, c->now, p->people[pi].id, "revoke", p->gates[gi].id, NULL,
			       e) < 0)
		return -1;
	if (store_snapshot(c->store, &snap, e) < 0) {
		store_abort_change(c->store);
		return -1;
	}
	for (size_t i = 0; i < snap.napprovals && !mine; i++)
		if (!strcmp(snap.approvals[i].gate, p->gates[gi].id) &&
		    !strcmp(snap.approvals[i].person, p->people[pi].id))
			mine = &snap.approvals[i];
	/* none of their own: the imported approval of a role they hold is
	 * theirs to take back (docs/import.md) */
	for (size_t i = 0; i < snap.napprovals && !mine; i++)
		if (!strcmp(snap.approvals[i].gate, p->gates[gi].id) &&
		    !strcmp(snap.approvals[i].person, STATE_IMPORT_ACTOR) &&
		    plan_person_has_role(&p->people[pi], snap.approvals[i].role))
			mine = &snap.approvals[i];
	if (!mine) {
		/* revoked already (or never given): it holds, nothing to write */
		store_abort_change(c->store);
		rc = 1;
		goto out;
	}
	for (size_t r = 0; r < p->gates[gi].napprovers; r++)
		if (!strcmp(p->gates[gi].approvers[r], mine->role))
			*role_out = p->gates[gi].approvers[r];
	if (!*role_out)
		*role_out = "a role the gate no longer lists";
	whose = strcmp(mine->person, STATE_IMPORT_ACTOR) ? p->people[pi].id : STATE_IMPORT_ACTOR;
	store_change_detail(c->store, "as %s%s", mine->role,
			    whose == p->people[pi].id ? "" : " (the imported approval)");
	if (store_revoke(c->store, p->gates[gi].id, whose == p->people[pi].id ? NULL : mine->role,
			 whose, NULL, e) < 0) {
		store_abort_change(c->store);
		goto out;
	}
	if (store_commit_change(c->store, NULL, e) < 0)
		goto out;
	rc = 0;
out:
	store_snapshot_release(&snap);
	return rc;
}

int action_import_gate(const struct action_ctx *c, const char *gate, const char *from,
		       struct approve_result *out, struct err *e)
{
	const struct plan *p = c->plan;
	const struct plan_gate *g;
	struct state_load_opts lo = { 0 };
	struct state st;
	struct strbuf detail = STRBUF_INIT;
	bool loaded = false, wrote = false;
	int gi, rc = -1;

	memset(out, 0, sizeof(*out));
	gi = action_find_gate(p, gate, e);
	if (gi < 0)
		return -1;
	g = &p->gates[gi];
	out->scope_plan = g->scope_plan;
	if (store_begin_change(c->store, c->now, STATE_IMPORT_ACTOR, "approve", g->id, NULL, e) < 0)
		return -1;
	lo.now = c->now;
	if (state_load_opts(&st, p, c->store, &lo, e) < 0)
		goto abort;
	loaded = true;
	if (!g->scope_plan) {
		if (select_projects(p, &st, gi, NULL, 0, out, e) < 0)
			goto abort;
		if (!out->ncovered) {
			err_setr(e, ERR_NOT_READY, REASON_CONFLICT,
				 "gate '%s' approves versions, and no project it guards has a candidate "
				 "for %s (a version soaking or healthy in %s); its imported approval "
				 "needs the versions (--versions FILE)",
				 g->id, p->envs[g->before_env].name,
				 g->before_env > 0 ? p->envs[g->before_env - 1].name : "none");
			goto abort;
		}
	}
	strbuf_addstr(&detail, "as");
	for (size_t r = 0; r < g->napprovers; r++) {
		const char *role = g->approvers[r];
		const struct state_approval *have = NULL;
		for (size_t i = 0; i < st.napprovals && !have; i++)
			if (st.approvals[i].gate == gi && st.approvals[i].imported &&
			    !strcmp(st.approvals[i].role, role) &&
			    counts_for(p, &st, &st.approvals[i], out, c->now))
				have = &st.approvals[i];
		if (have)
			continue;
		/* a stale imported approval of the role is given again */
		if (store_revoke(c->store, g->id, role, STATE_IMPORT_ACTOR, NULL, e) < 0 ||
		    store_approve(c->store, g->id, role, STATE_IMPORT_ACTOR, NULL, e) < 0)
			goto abort;
		for (size_t i = 0; i < out->ncovered; i++)
			if (store_approval_cover(c->store, g->id, role, STATE_IMPORT_ACTOR,
						 p->projects[out->covered[i]].id, out->versions[i],
						 e) < 0)
				goto abort;
		strbuf_addf(&detail, "%s%s", wrote ? ", " : " ", role);
		wrote = true;
	}
	if (!wrote) {
		out->already = true;
		store_abort_change(c->store);
		rc = 1;
		goto out;
	}
	if (!g->scope_plan)
		for (size_t i = 0; i < out->ncovered; i++)
			strbuf_addf(&detail, "%s%s=%s", i ? ", " : ": ", p->projects[out->covered[i]].id,
				    out->versions[i]);
	strbuf_addf(&detail, "; imported from %s", from);
	store_change_detail(c->store, "%s", detail.buf);
	if (store_commit_change(c->store, NULL, e) < 0)
		goto out;
	rc = 0;
	goto out;
abort:
	store_abort_change(c->store);
out:
	if (loaded)
		state_release(&st);
	if (rc < 0)
		approve_result_release(out);
	strbuf_release(&detail);
	return rc;
}
