/*
 * query-why.c - `why` answered from a state read once (query.h, why_base):
 * the server's why on a large plan costs the rules of one pair, not a read
 * of the thousand cells a wave's order needs.
 */
#include <assert.h>
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
	int **members;          /* [wave]: its projects, for the read set */
	size_t *nmembers;
};

/*
 * The read set of ready_check(project, env) into b->mask (set 1) or out of
 * it (0): ready_cells_needed's set (ready.h: the project, its depends_on
 * and the projects of the wave its wave waits for), from the base's lists
 * of each wave's projects rather than a walk of every project per request.
 * Returns whether a project of the set has a runner (deploying, verifying).
 */
static bool read_set(struct why_base *b, const struct plan *p, int project, unsigned char v)
{
	const struct plan_refs *d = &p->projects[project].depends_on;
	int after = p->waves[p->projects[project].wave].after_wave;
	bool running = b->running[project];

	b->mask[project] = v;
	for (size_t i = 0; i < d->n; i++)
		if (d->idx[i] >= 0) {
			b->mask[d->idx[i]] = v;
			running |= b->running[d->idx[i]];
		}
	if (after >= 0)
		for (size_t i = 0; i < b->nmembers[after]; i++) {
			b->mask[b->members[after][i]] = v;
			running |= b->running[b->members[after][i]];
		}
	return running;
}

#ifndef NDEBUG
/* read_set is ready_cells_needed's set (checked in debug builds: the tests) */
static void assert_read_set(struct why_base *b, const struct plan *p, int project, int env)
{
	int *need;
	size_t n = ready_cells_needed(p, project, env, &need), in = 0;
	for (size_t i = 0; i < n; i++)
		assert(b->mask[need[i]]);
	for (size_t i = 0; i < p->nprojects; i++)
		in += b->mask[i];
	for (size_t i = 0; i < n; i++) /* need may list a project twice */
		for (size_t k = 0; k < i; k++)
			if (need[k] == need[i]) {
				n--;
				break;
			}
	assert(in == n);
	free(need);
}
#endif

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
	b->members = xcalloc(p->nwaves + 1, sizeof(*b->members));
	b->nmembers = xcalloc(p->nwaves + 1, sizeof(*b->nmembers));
	for (size_t i = 0; i < p->nprojects; i++)
		b->nmembers[p->projects[i].wave]++;
	for (size_t w = 0; w < p->nwaves; w++) {
		b->members[w] = xcalloc(b->nmembers[w] + 1, sizeof(**b->members));
		b->nmembers[w] = 0;
	}
	for (size_t i = 0; i < p->nprojects; i++) {
		int w = p->projects[i].wave;
		b->members[w][b->nmembers[w]++] = (int)i;
	}
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
	for (size_t w = 0; b->members && w < b->plan->nwaves; w++)
		free(b->members[w]);
	free(b->members);
	free(b->nmembers);
	free(b);
}

int ready_why_from(struct ready_why *out, struct why_base *b, const struct plan *p,
		   struct store *s, int64_t now, int project, int env,
		   const struct ready_query_opts *o, struct err *e)
{
	struct ready_ctx ctx;
	bool running;

	if (p != b->plan || project < 0 || (size_t)project >= p->nprojects || env < 1 ||
	    (size_t)env >= p->nenvs)
		return ready_why(out, p, s, now, project, env, o, e);
	running = read_set(b, p, project, 1);
	if (running || state_cell(&b->st, project, env)->state == STATE_ROLLED_BACK) {
		int rc;
		read_set(b, p, project, 0);
		rc = ready_why(out, p, s, now, project, env, o, e);
		if (rc == 0)
			out->runner_bound = running;
		return rc;
	}
#ifndef NDEBUG
	assert_read_set(b, p, project, env);
#endif
	memset(out, 0, sizeof(*out)); /* out->st stays empty: the base holds the cells */
	out->project = project;
	out->env = env;
	b->st.loaded = b->mask;
	b->st.now = now;
	ready_ctx_init(&ctx, p, &b->st, now);
	ctx.retry_held = o && o->retry_held;
	ctx.wave_members = b->members;
	ctx.nwave_members = b->nmembers;
	ready_check(&ctx, project, env, true, &out->result);
	ready_ctx_release(&ctx);
	b->st.loaded = NULL;
	b->st.now = 0;
	read_set(b, p, project, 0);
	return 0;
}
