/*
 * query-why.c - `why` answered from a state read once (query.h, why_base):
 * the server's why on a large plan costs the rules of one pair, not a read
 * of the thousand cells a wave's order needs.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/query.h"
#include "engine/ready.h"
#include "plan/plan.h"

struct why_base {
	const struct plan *plan;
	struct state st;        /* every cell; no hold counts (now 0) */
	unsigned char *running; /* [project]: a cell deploying or verifying */
	unsigned char *mask;    /* the read set of the check under way */
};

int why_base_load(struct why_base **out, const struct plan *p, struct store *s, struct err *e)
{
	struct why_base *b = xcalloc(1, sizeof(*b));
	struct state_load_opts lo = { 0 };

	*out = NULL;
	if (state_load_opts(&b->st, p, s, &lo, e) < 0) {
		free(b);
		return -1;
	}
	b->plan = p;
	b->running = xcalloc(p->nprojects + 1, 1);
	b->mask = xcalloc(p->nprojects + 1, 1);
	for (size_t i = 0; i < p->nprojects; i++)
		for (size_t k = 0; k < p->nenvs; k++) {
			enum store_state st = state_cell(&b->st, (int)i, (int)k)->state;
			if (st == STATE_DEPLOYING || st == STATE_VERIFYING)
				b->running[i] = 1;
		}
	*out = b;
	return 0;
}

void why_base_free(struct why_base *b)
{
	if (!b)
		return;
	state_release(&b->st);
	free(b->running);
	free(b->mask);
	free(b);
}

int ready_why_from(struct ready_why *out, struct why_base *b, const struct plan *p,
		   struct store *s, int64_t now, int project, int env,
		   const struct ready_query_opts *o, struct err *e)
{
	struct ready_ctx ctx;
	int *need = NULL;
	size_t n;
	bool clock = false;

	if (p != b->plan || project < 0 || (size_t)project >= p->nprojects || env < 1 ||
	    (size_t)env >= p->nenvs)
		return ready_why(out, p, s, now, project, env, o, e);
	n = ready_cells_needed(p, project, env, &need);
	for (size_t i = 0; i < n && !clock; i++)
		clock = b->running[need[i]];
	if (clock || state_cell(&b->st, project, env)->state == STATE_ROLLED_BACK) {
		int rc;
		free(need);
		rc = ready_why(out, p, s, now, project, env, o, e);
		if (rc == 0)
			out->runner_bound = clock;
		return rc;
	}
	memset(out, 0, sizeof(*out)); /* out->st stays empty: the base holds the cells */
	out->project = project;
	out->env = env;
	for (size_t i = 0; i < n; i++)
		b->mask[need[i]] = 1;
	b->st.loaded = b->mask;
	b->st.now = now;
	ready_ctx_init(&ctx, p, &b->st, now);
	ctx.retry_held = o && o->retry_held;
	ready_check(&ctx, project, env, true, &out->result);
	ready_ctx_release(&ctx);
	b->st.loaded = NULL;
	b->st.now = 0;
	for (size_t i = 0; i < n; i++)
		b->mask[need[i]] = 0;
	free(need);
	return 0;
}
