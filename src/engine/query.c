/*
 * query.c - status, why and next as data (query.h): the board that
 * cmd-status.c used to build, the call sequence of cmd-why.c and the loop of
 * cmd-next.c, now shared by every front end.
 */
#include "engine/query.h"

#include <stdlib.h>
#include <string.h>

#include "engine/forecast.h"
#include "plan/plan.h"

/* ---- status ---------------------------------------------------------------- */

static void board_build(struct status_board *b, const struct plan *p, const struct state *st)
{
	size_t *start, *fill;

	/* environments shown */
	b->envs = xcalloc(p->nenvs + 1, sizeof(*b->envs));
	for (size_t ei = 0; ei < p->nenvs; ei++)
		if (!b->env_shown || b->env_shown[ei])
			b->envs[b->nenvs_shown++] = (int)ei;

	/* projects bucketed by wave, in plan order: O(n) */
	start = xcalloc(p->nwaves + 2, sizeof(*start));
	fill = xcalloc(p->nwaves + 1, sizeof(*fill));
	for (size_t i = 0; i < p->nprojects; i++)
		if (!b->wave_shown || b->wave_shown[p->projects[i].wave])
			start[p->projects[i].wave + 1]++;
	for (size_t w = 0; w < p->nwaves; w++)
		start[w + 1] += start[w];
	b->nprojects = start[p->nwaves];
	b->projects = xcalloc(b->nprojects + 1, sizeof(*b->projects));
	for (size_t i = 0; i < p->nprojects; i++) {
		int w = p->projects[i].wave;
		if (b->wave_shown && !b->wave_shown[w])
			continue;
		b->projects[start[w] + fill[w]++] = (int)i;
	}
	b->waves = xcalloc(p->nwaves + 1, sizeof(*b->waves));
	for (size_t w = 0; w < p->nwaves; w++) {
		if (b->wave_shown && !b->wave_shown[w])
			continue;
		b->waves[b->nwaves].wave = (int)w;
		b->waves[b->nwaves].first_project = start[w];
		b->waves[b->nwaves].nprojects = start[w + 1] - start[w];
		b->nwaves++;
	}
	free(start);
	free(fill);

	b->ncells = b->nprojects * b->nenvs_shown;
	b->cells = xcalloc(b->ncells + 1, sizeof(*b->cells));
	for (size_t k = 0; k < b->nprojects; k++) {
		int pi = b->projects[k];
		for (size_t j = 0; j < b->nenvs_shown; j++) {
			int ei = b->envs[j];
			const struct state_cell *c = state_cell(st, pi, ei);
			struct status_cell *x = &b->cells[k * b->nenvs_shown + j];
			x->project = pi;
			x->env = ei;
			x->state = c->state;
			x->version = c->version;
			x->live_version = state_live_version(c);
			x->failed_version = state_failed_version(c);
			x->since = c->state == STATE_NONE ? 0 : c->since;
			x->soak_until = c->state == STATE_SOAKING ? c->soak_until : 0;
			x->target = plan_project_target(&p->projects[pi], ei);
			x->late = ready_target_late(x->target, c->state, b->now);
		}
	}

	b->incidents = xcalloc(st->nincidents + 1, sizeof(*b->incidents));
	for (size_t i = 0; i < st->nincidents; i++)
		if (st->incidents[i].open)
			b->incidents[b->nincidents++] = &st->incidents[i];
	b->blockers = xcalloc(p->nblockers + 1, sizeof(*b->blockers));
	for (size_t i = 0; i < p->nblockers; i++)
		if (!st->blockers[i].resolved)
			b->blockers[b->nblockers++] = (int)i;
	b->rejections = xcalloc(st->nrejections + 1, sizeof(*b->rejections));
	for (size_t i = 0; i < st->nrejections; i++) {
		const struct state_rejection *r = &st->rejections[i];
		if (r->kind == REJECT_ALLOWANCE && !r->allowed)
			continue;
		if (b->wave_shown && !b->wave_shown[p->projects[r->project].wave])
			continue;
		if (b->env_shown && r->env >= 0 && !b->env_shown[r->env])
			continue;
		b->rejections[b->nrejections++] = r;
	}
	b->gates = xcalloc(p->ngates + 1, sizeof(*b->gates));
	for (size_t g = 0; g < p->ngates; g++)
		b->gates[g] = ready_gate_status(p, st, (int)g, -1, b->now);
	{
		struct strbuf why = STRBUF_INIT;
		b->complete = ready_release_complete(p, st, &why);
		b->incomplete = b->complete ? NULL : strbuf_detach(&why);
		strbuf_release(&why);
	}
}

/* Mark the cells whose target the forecast puts out of reach (at_risk). */
static int board_at_risk(struct status_board *b, struct store *s, struct err *e)
{
	struct forecast_opts o = FORECAST_OPTS_INIT;
	struct forecast f;
	int64_t *dur;

	if (forecast_durations(b->plan, s, &dur, e) < 0)
		return -1;
	o.durations = dur;
	o.no_chains = o.no_deadlines = true;
	forecast_compute(&f, b->plan, &b->st, b->now, &o);
	for (size_t i = 0; i < b->ncells; i++) {
		struct status_cell *c = &b->cells[i];
		c->at_risk = !c->late && c->target &&
			     forecast_cell_at_risk(&f, c->project, c->env);
	}
	forecast_release(&f);
	free(dur);
	return 0;
}

int status_board(struct status_board *b, const struct plan *p, struct store *s, int64_t now,
		 int only_env, int only_wave, struct err *e)
{
	return status_board_sets(b, p, s, now, &only_env, only_env >= 0, &only_wave,
				 only_wave >= 0, e);
}

int status_board_sets(struct status_board *b, const struct plan *p, struct store *s,
		      int64_t now, const int *envs, size_t nenvs, const int *waves, size_t nwaves,
		      struct err *e)
{
	struct state_load_opts o = { 0 };

	memset(b, 0, sizeof(*b));
	b->plan = p;
	b->now = now;
	if (nenvs) {
		b->env_shown = xcalloc(p->nenvs + 1, sizeof(*b->env_shown));
		for (size_t i = 0; i < nenvs; i++)
			b->env_shown[envs[i]] = true;
	}
	if (nwaves) {
		b->wave_shown = xcalloc(p->nwaves + 1, sizeof(*b->wave_shown));
		for (size_t i = 0; i < nwaves; i++)
			b->wave_shown[waves[i]] = true;
	}
	/* o.now stays 0: the board does not show the hold rule, and counting
	 * rollbacks costs a little on a large plan */
	if (state_load_opts(&b->st, p, s, &o, e) < 0) {
		free(b->env_shown);
		free(b->wave_shown);
		memset(b, 0, sizeof(*b));
		return -1;
	}
	board_build(b, p, &b->st);
	if (board_at_risk(b, s, e) < 0) {
		status_board_release(b);
		return -1;
	}
	return 0;
}

void status_board_release(struct status_board *b)
{
	free(b->envs);
	free(b->env_shown);
	free(b->wave_shown);
	free(b->waves);
	free(b->projects);
	free(b->cells);
	free(b->incidents);
	free(b->blockers);
	free(b->rejections);
	free(b->gates);
	free(b->incomplete);
	if (b->plan)
		state_release(&b->st);
	memset(b, 0, sizeof(*b));
}

/* ---- why ------------------------------------------------------------------- */

int ready_why(struct ready_why *out, const struct plan *p, struct store *s, int64_t now,
	      int project, int env, const struct ready_query_opts *o, struct err *e)
{
	struct state_load_opts lo = { 0 };
	struct ready_ctx ctx;
	int *need;
	int rc;

	memset(out, 0, sizeof(*out));
	if (project < 0 || (size_t)project >= p->nprojects || env < 1 || (size_t)env >= p->nenvs)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"nothing is promoted into environment '%s'",
				env >= 0 && (size_t)env < p->nenvs ? p->envs[env].name : "?");
	out->project = project;
	out->env = env;
	/* only the cells this check reads: on a large plan, loading them all
	 * would be most of the time */
	lo.now = now;
	lo.hold_one = true;
	lo.hold_project = project;
	lo.hold_env = env;
	lo.nprojects = ready_cells_needed(p, project, env, &need);
	lo.projects = need;
	rc = state_load_opts(&out->st, p, s, &lo, e);
	free(need);
	if (rc < 0)
		return -1;
	ready_ctx_init(&ctx, p, &out->st, now);
	ctx.retry_held = o && o->retry_held;
	ready_check(&ctx, project, env, true, &out->result);
	ready_ctx_release(&ctx);
	return 0;
}

void ready_why_release(struct ready_why *w)
{
	ready_result_release(&w->result);
	if (w->st.plan)
		state_release(&w->st);
	memset(w, 0, sizeof(*w));
}

/* ---- next ------------------------------------------------------------------ */

int ready_next(struct ready_next *out, const struct plan *p, struct store *s, int64_t now,
	       const struct ready_query_opts *o, struct err *e)
{
	struct state_load_opts lo = { 0 };
	struct ready_ctx ctx;

	memset(out, 0, sizeof(*out));
	lo.now = now;
	if (state_load_opts(&out->st, p, s, &lo, e) < 0)
		return -1;
	ready_ctx_init(&ctx, p, &out->st, now);
	ctx.retry_held = o && o->retry_held;
	for (size_t env = 1; env < p->nenvs; env++) {
		for (size_t k = 0; k < p->nprojects; k++) {
			int pi = p->topo ? p->topo[k] : (int)k;
			struct ready_result r;
			ready_check(&ctx, pi, (int)env, false, &r);
			if (r.ready) {
				struct ready_next_item *x;
				ALLOC_GROW(out->v, out->n + 1, out->alloc);
				x = &out->v[out->n++];
				x->project = pi;
				x->env = (int)env;
				x->from = (int)env - 1;
				x->version = r.version;
			}
			ready_result_release(&r);
		}
	}
	ready_ctx_release(&ctx);
	return 0;
}

void ready_next_release(struct ready_next *n)
{
	free(n->v);
	if (n->st.plan)
		state_release(&n->st);
	memset(n, 0, sizeof(*n));
}
