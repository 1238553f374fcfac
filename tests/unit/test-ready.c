/*
 * test-ready.c - each readiness rule of SPEC §3 on the small fixture
 * tests/fixtures/state-small.yaml, with snapshots built by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"
#include "test.h"

static struct plan *plan;
static int64_t t0; /* 2026-01-10T09:00:00Z */

enum { DEV, SIT, PROD };

static int P(const char *id)
{
	int i = plan_project_index(plan, id);
	if (i < 0) {
		fprintf(stderr, "no project %s in the fixture\n", id);
		exit(2);
	}
	return i;
}

static int I(const char *id)
{
	return plan_item_index(plan, id);
}

/* Evaluate with details; returns the result (release it). */
static struct ready_result eval(const struct state *st, const char *project, int env, int64_t now)
{
	struct ready_ctx c;
	struct ready_result r, fast;
	ready_ctx_init(&c, plan, st, now);
	ready_check(&c, P(project), env, true, &r);
	/* the fast path must agree with the detailed one */
	ready_check(&c, P(project), env, false, &fast);
	CHECK(fast.ready == r.ready);
	for (int i = 0; i < RULE_COUNT; i++) {
		CHECK(fast.rules[i].ok == r.rules[i].ok);
		CHECK(fast.rules[i].detail == NULL);
	}
	ready_result_release(&fast);
	ready_ctx_release(&c);
	return r;
}

/* Wave 1 ready for sit: dev healthy, prerequisites and sit item done, blocker resolved. */
static void wave1_ready(struct state *st)
{
	state_set_cell(st, P("api"), DEV, STATE_HEALTHY, "v1", NULL, t0 - 3600, 0);
	state_set_tick(st, I("api-tests"), true, "tom", t0 - 60, NULL);
	state_set_tick(st, I("sit-ready"), true, "dana", t0 - 60, NULL);
	state_set_blocker(st, plan_blocker_index(plan, "api_infra"), 100, true, t0 - 10, "dana");
}

static void test_names(void)
{
	CHECK_STR(ready_rule_name(RULE_SOURCE), "source");
	CHECK_STR(ready_rule_name(RULE_DEPENDS_ON), "depends_on");
	CHECK_STR(ready_rule_name(RULE_WAVE_ORDER), "wave_order");
	CHECK_STR(ready_rule_name(RULE_GATES), "gates");
	CHECK_STR(ready_rule_name(RULE_CHECKLIST), "checklist");
	CHECK_STR(ready_rule_name(RULE_BLOCKERS), "blockers");
	CHECK_STR(ready_rule_name(RULE_FREEZE), "freeze");
	CHECK_STR(ready_rule_name(RULE_INCIDENTS), "incidents");
	CHECK_STR(store_state_name(STATE_ROLLED_BACK), "rolled-back");
}

static void test_nothing_happened(void)
{
	struct state st;
	struct ready_result r;
	state_init_empty(&st, plan);
	r = eval(&st, "api", SIT, t0);
	CHECK(!r.ready);
	CHECK(r.version == NULL);
	CHECK(!r.rules[RULE_SOURCE].ok);
	CHECK_STR(r.rules[RULE_SOURCE].detail,
		  "api has no version in dev; record one with 'tollgate record api dev --version V'");
	CHECK(r.rules[RULE_DEPENDS_ON].ok);
	CHECK_STR(r.rules[RULE_DEPENDS_ON].detail, "no dependencies");
	CHECK(r.rules[RULE_WAVE_ORDER].ok);
	CHECK(r.rules[RULE_GATES].ok);
	CHECK_STR(r.rules[RULE_GATES].detail, "no gate before sit for wave 'wave-1'");
	CHECK(!r.rules[RULE_CHECKLIST].ok);
	CHECK_STR(r.rules[RULE_CHECKLIST].detail,
		  "2 of 2 items not done: 'api-tests' (All API tests passing), "
		  "'sit-ready' (SIT environment ready)");
	CHECK(!r.rules[RULE_BLOCKERS].ok);
	CHECK_STR(r.rules[RULE_BLOCKERS].detail,
		  "blocker 'api_infra' at 40%, owner DevOps Engineer, due 2026-01-09");
	CHECK(r.rules[RULE_FREEZE].ok);
	CHECK(r.rules[RULE_INCIDENTS].ok);
	ready_result_release(&r);
	state_release(&st);
}

static void test_wave1_ready(void)
{
	struct state st;
	struct ready_result r;
	state_init_empty(&st, plan);
	wave1_ready(&st);
	r = eval(&st, "api", SIT, t0);
	CHECK(r.ready);
	CHECK_STR(r.version, "v1");
	CHECK_STR(r.rules[RULE_SOURCE].detail,
		  "version 'v1' is healthy in dev (since 2026-01-10T08:00:00Z)");
	CHECK_STR(r.rules[RULE_CHECKLIST].detail, "2 items done");
	CHECK_STR(r.rules[RULE_BLOCKERS].detail, "blocker 'api_infra' resolved");
	ready_result_release(&r);

	/* a failed check is named as such */
	state_set_tick(&st, I("sit-ready"), false, "dana", t0, NULL);
	state_set_evidence(&st, I("sit-ready"), 1, "no flag\n");
	r = eval(&st, "api", SIT, t0);
	CHECK(!r.ready);
	CHECK_STR(r.rules[RULE_CHECKLIST].detail,
		  "1 of 2 items not done: 'sit-ready' (check failed, exit 1)");
	ready_result_release(&r);

	/* progress without resolution still blocks */
	state_set_tick(&st, I("sit-ready"), true, "dana", t0, NULL);
	state_set_blocker(&st, plan_blocker_index(plan, "api_infra"), 80, false, t0, "dana");
	r = eval(&st, "api", SIT, t0);
	CHECK(!r.ready);
	CHECK_STR(r.rules[RULE_BLOCKERS].detail,
		  "blocker 'api_infra' at 80%, owner DevOps Engineer, due 2026-01-09");
	ready_result_release(&r);
	state_release(&st);
}

static void test_already_live(void)
{
	struct state st;
	struct ready_result r;
	state_init_empty(&st, plan);
	wave1_ready(&st);
	state_set_cell(&st, P("api"), SIT, STATE_HEALTHY, "v1", NULL, t0, 0);
	r = eval(&st, "api", SIT, t0);
	CHECK(!r.rules[RULE_SOURCE].ok);
	CHECK_STR(r.rules[RULE_SOURCE].detail, "version 'v1' is already healthy in sit");
	ready_result_release(&r);

	/* nothing starts while a promotion to that env is under way */
	state_set_cell(&st, P("api"), DEV, STATE_HEALTHY, "v2", "v1", t0, 0);
	state_set_cell(&st, P("api"), SIT, STATE_VERIFYING, "v2", "v1", t0, 0);
	r = eval(&st, "api", SIT, t0);
	CHECK(!r.rules[RULE_SOURCE].ok);
	CHECK_STR(r.rules[RULE_SOURCE].detail,
		  "a promotion of 'v2' to sit is in progress (state: verifying since 2026-01-10T09:00:00Z)");
	ready_result_release(&r);
	state_set_cell(&st, P("api"), SIT, STATE_HEALTHY, "v1", NULL, t0, 0);

	/* a new version in dev may move again */
	state_set_cell(&st, P("api"), DEV, STATE_HEALTHY, "v2", "v1", t0, 0);
	r = eval(&st, "api", SIT, t0);
	CHECK(r.ready);
	CHECK_STR(r.version, "v2");
	ready_result_release(&r);

	/* a rolled-back v2 may be tried again */
	state_set_cell(&st, P("api"), SIT, STATE_ROLLED_BACK, "v2", "v1", t0, 0);
	r = eval(&st, "api", SIT, t0);
	CHECK(r.rules[RULE_SOURCE].ok);
	ready_result_release(&r);
	state_release(&st);
}

static void test_soaking_source(void)
{
	struct state st;
	struct ready_result r;
	int64_t soak_end;
	state_init_empty(&st, plan);
	util_parse_time("2026-01-11T09:00:00Z", &soak_end);
	state_set_cell(&st, P("api"), SIT, STATE_SOAKING, "v1", NULL, t0, soak_end);
	r = eval(&st, "api", PROD, t0);
	CHECK(!r.rules[RULE_SOURCE].ok);
	CHECK_STR(r.rules[RULE_SOURCE].detail,
		  "api is not healthy in sit (state: soaking, soak ends 2026-01-11T09:00:00Z)");
	/* sit's sign-off is needed before anything leaves sit */
	CHECK(!r.rules[RULE_CHECKLIST].ok);
	CHECK_STR(r.rules[RULE_CHECKLIST].detail,
		  "2 of 2 items not done: 'api-tests' (All API tests passing), "
		  "'sit-signoff' (SIT sign-off)");
	ready_result_release(&r);
	state_release(&st);
}

static void test_wave_order_and_depends(void)
{
	struct state st;
	struct ready_result r;
	state_init_empty(&st, plan);
	state_set_cell(&st, P("db"), DEV, STATE_HEALTHY, "d1", NULL, t0, 0);
	state_set_cell(&st, P("web"), DEV, STATE_HEALTHY, "w1", NULL, t0, 0);
	r = eval(&st, "web", SIT, t0);
	CHECK(r.rules[RULE_SOURCE].ok);
	CHECK(!r.rules[RULE_DEPENDS_ON].ok);
	CHECK_STR(r.rules[RULE_DEPENDS_ON].detail, "waiting for a dependency in sit: db (none)");
	CHECK(!r.rules[RULE_WAVE_ORDER].ok);
	CHECK_STR(r.rules[RULE_WAVE_ORDER].detail,
		  "wave 'wave-2' waits for wave 'wave-1' to be healthy in sit: 1 of 1 not yet: api (none)");
	CHECK(!r.rules[RULE_GATES].ok);
	CHECK_STR(r.rules[RULE_GATES].detail,
		  "gate 'gate-3' still needs roles 'devops-lead', 'tech-lead' (no approval yet); "
		  "criterion 'infra-validated' not done");
	ready_result_release(&r);

	/* soaking counts for depends_on, not for wave_order */
	state_set_cell(&st, P("db"), SIT, STATE_SOAKING, "d1", NULL, t0, t0 + 86400);
	state_set_cell(&st, P("api"), SIT, STATE_SOAKING, "v1", NULL, t0, t0 + 86400);
	r = eval(&st, "web", SIT, t0);
	CHECK(r.rules[RULE_DEPENDS_ON].ok);
	CHECK_STR(r.rules[RULE_DEPENDS_ON].detail, "every dependency is healthy or soaking in sit");
	CHECK(!r.rules[RULE_WAVE_ORDER].ok);
	ready_result_release(&r);

	state_set_cell(&st, P("api"), SIT, STATE_HEALTHY, "v1", NULL, t0, 0);
	/* approvals are for web's candidate, w1 (healthy in dev) */
	state_add_cover(&st,
			state_add_approval(&st, plan_gate_index(plan, "gate-3"),
					   plan_person_index(plan, "dana"), "devops-lead", t0),
			P("web"), "w1", t0);
	r = eval(&st, "web", SIT, t0);
	CHECK(r.rules[RULE_WAVE_ORDER].ok);
	CHECK_STR(r.rules[RULE_WAVE_ORDER].detail, "wave 'wave-1' is healthy in sit");
	CHECK_STR(r.rules[RULE_GATES].detail,
		  "gate 'gate-3' still needs role 'tech-lead' (approved: dana as devops-lead); "
		  "criterion 'infra-validated' not done");
	ready_result_release(&r);

	state_add_cover(&st,
			state_add_approval(&st, plan_gate_index(plan, "gate-3"),
					   plan_person_index(plan, "tom"), "tech-lead", t0),
			P("web"), "w1", t0);
	state_set_tick(&st, I("infra-validated"), true, "dana", t0, NULL);
	state_set_tick(&st, I("sit-ready"), true, "dana", t0, NULL);
	r = eval(&st, "web", SIT, t0);
	CHECK(r.rules[RULE_GATES].ok);
	CHECK_STR(r.rules[RULE_GATES].detail,
		  "gate 'gate-3' passed for w1 (dana as devops-lead, tom as tech-lead)");
	/* wave-2 has no prerequisites; sit-ready applies to every wave */
	CHECK_STR(r.rules[RULE_CHECKLIST].detail, "1 item done");
	CHECK(r.rules[RULE_BLOCKERS].ok); /* api_infra blocks wave-1 only */
	CHECK_STR(r.rules[RULE_BLOCKERS].detail, "no blocker for sit");
	CHECK(r.ready);
	ready_result_release(&r);
	state_release(&st);
}

static void test_gate4_roles(void)
{
	struct state st;
	struct ready_result r;
	int g4 = plan_gate_index(plan, "gate-4");
	state_init_empty(&st, plan);
	/* api's candidate for prod: v1, healthy in sit */
	state_set_cell(&st, P("api"), SIT, STATE_HEALTHY, "v1", NULL, t0, 0);
	state_add_cover(&st, state_add_approval(&st, g4, plan_person_index(plan, "paula"),
						"product-owner", t0),
			P("api"), "v1", t0);
	r = eval(&st, "api", PROD, t0);
	CHECK(!r.rules[RULE_GATES].ok);
	CHECK_STR(r.rules[RULE_GATES].detail,
		  "gate 'gate-4' still needs role 'ops-lead' (approved: paula as product-owner)");
	ready_result_release(&r);

	/* an approval whose person no longer holds the role does not count */
	state_add_cover(&st, state_add_approval(&st, g4, plan_person_index(plan, "sam"), "ops-lead", t0),
			P("api"), "v1", t0);
	r = eval(&st, "api", PROD, t0);
	CHECK(!r.rules[RULE_GATES].ok);
	ready_result_release(&r);

	state_add_cover(&st, state_add_approval(&st, g4, plan_person_index(plan, "olga"), "ops-lead", t0),
			P("api"), "v1", t0);
	r = eval(&st, "api", PROD, t0);
	CHECK(r.rules[RULE_GATES].ok);
	CHECK_STR(r.rules[RULE_GATES].detail,
		  "gate 'gate-4' passed for v1 (paula as product-owner, olga as ops-lead)");
	ready_result_release(&r);
	state_release(&st);
}

static void test_freeze(void)
{
	struct state st;
	struct ready_result r;
	int64_t in, before;
	util_parse_time("2026-02-14T12:00:00Z", &in);
	util_parse_time("2026-02-01T00:00:00Z", &before);
	state_init_empty(&st, plan);
	r = eval(&st, "api", PROD, in);
	CHECK(!r.rules[RULE_FREEZE].ok);
	CHECK_STR(r.rules[RULE_FREEZE].detail,
		  "prod is frozen until 2026-02-15T00:00:00Z (campaign peak)");
	ready_result_release(&r);
	r = eval(&st, "api", PROD, before);
	CHECK(r.rules[RULE_FREEZE].ok);
	CHECK_STR(r.rules[RULE_FREEZE].detail,
		  "prod is not frozen now; next freeze 2026-02-14T00:00:00Z to 2026-02-15T00:00:00Z");
	ready_result_release(&r);
	r = eval(&st, "api", PROD, in + 86400);
	CHECK_STR(r.rules[RULE_FREEZE].detail, "prod is not frozen now");
	ready_result_release(&r);
	state_release(&st);
}

static void test_incidents(void)
{
	struct state st;
	struct ready_result r;
	struct state_incident in = { 0 };
	state_init_empty(&st, plan);
	wave1_ready(&st);

	/* level 1 on api in dev stops api leaving dev, nothing else */
	in.id = 1;
	in.level = 1;
	in.env = DEV;
	in.project = P("api");
	in.text = "error spike";
	in.opened_by = "tom";
	in.opened_at = t0;
	in.open = true;
	state_add_incident(&st, &in);
	r = eval(&st, "api", SIT, t0);
	CHECK(!r.ready);
	CHECK(!r.rules[RULE_INCIDENTS].ok);
	CHECK_STR(r.rules[RULE_INCIDENTS].detail,
		  "incident 1 (level 1, api in dev) open since 2026-01-10T09:00:00Z: error spike; "
		  "resolve it before promoting");
	ready_result_release(&r);
	r = eval(&st, "db", SIT, t0);
	CHECK(r.rules[RULE_INCIDENTS].ok);
	ready_result_release(&r);

	/* resolved: no longer counts */
	st.incidents[0].open = false;
	r = eval(&st, "api", SIT, t0);
	CHECK(r.ready);
	ready_result_release(&r);

	/* level 2 anywhere pauses everything */
	in.id = 2;
	in.level = 2;
	in.env = SIT;
	in.project = -1;
	in.text = "database outage";
	state_add_incident(&st, &in);
	r = eval(&st, "api", SIT, t0);
	CHECK(!r.ready);
	CHECK_STR(r.rules[RULE_INCIDENTS].detail,
		  "incident 2 (level 2 in sit) open since 2026-01-10T09:00:00Z: database outage; "
		  "every promotion is paused until it is resolved");
	ready_result_release(&r);
	r = eval(&st, "web", PROD, t0);
	CHECK(!r.rules[RULE_INCIDENTS].ok);
	ready_result_release(&r);
	state_release(&st);
}

static void test_late(void)
{
	struct state st;
	int64_t day_after;
	state_init_empty(&st, plan);
	util_parse_time("2026-01-11T00:00:00Z", &day_after);
	CHECK(!ready_is_late(plan, &st, P("api"), SIT, t0)); /* on the target day */
	CHECK(ready_is_late(plan, &st, P("api"), SIT, day_after));
	CHECK(!ready_is_late(plan, &st, P("api"), DEV, day_after)); /* no target */
	state_set_cell(&st, P("api"), SIT, STATE_SOAKING, "v1", NULL, t0, 0);
	CHECK(!ready_is_late(plan, &st, P("api"), SIT, day_after));
	state_release(&st);
}

/* The hold rule: three rollbacks in the window hold the pair until
 * --retry-held; an interrupted promotion of the same version is ready (promote
 * retries it). why, next and promote all decide here. */
static void test_held_and_interrupted(void)
{
	struct state st;
	struct ready_result r;
	struct ready_ctx c;
	bool ok[RULE_COUNT];
	char *sum;

	state_init_empty(&st, plan);
	wave1_ready(&st);
	state_set_cell(&st, P("api"), SIT, STATE_ROLLED_BACK, "v1", NULL, t0, 0);
	state_set_rollbacks(&st, P("api"), SIT, 2);
	CHECK_INT(ready_held(&st, P("api"), SIT), 0);
	r = eval(&st, "api", SIT, t0);
	CHECK(r.ready);
	ready_result_release(&r);

	state_set_rollbacks(&st, P("api"), SIT, 3);
	CHECK_INT(ready_held(&st, P("api"), SIT), 3);
	r = eval(&st, "api", SIT, t0);
	CHECK(!r.ready);
	CHECK(!r.rules[RULE_SOURCE].ok);
	CHECK_STR(r.rules[RULE_SOURCE].detail,
		  "held: api was rolled back 3 times in sit in the last 24h; look at it, then let "
		  "it run with 'tollgate promote --to sit --project api --retry-held --as PERSON'");
	for (int i = 0; i < RULE_COUNT; i++)
		ok[i] = r.rules[i].ok;
	ready_result_release(&r);
	ready_ctx_init(&c, plan, &st, t0);
	sum = ready_summary(&c, P("api"), SIT, ok);
	CHECK(!strncmp(sum, "source: held: api was rolled back 3 times", 41));
	free(sum);
	/* --retry-held lets it run, with the same verdict fast and detailed */
	c.retry_held = true;
	ready_check(&c, P("api"), SIT, true, &r);
	CHECK(r.ready);
	CHECK_STR(r.version, "v1");
	ready_result_release(&r);
	ready_check(&c, P("api"), SIT, false, &r);
	CHECK(r.ready);
	ready_result_release(&r);
	ready_ctx_release(&c);
	/* the count matters only while the pair is rolled back */
	state_set_cell(&st, P("api"), SIT, STATE_FAILED, "v1", NULL, t0, 0);
	state_set_rollbacks(&st, P("api"), SIT, 3);
	CHECK_INT(ready_held(&st, P("api"), SIT), 0);

	/* interrupted with the version dev has: ready, promote retries it */
	state_set_cell(&st, P("api"), SIT, STATE_INTERRUPTED, "v1", NULL, t0, 0);
	r = eval(&st, "api", SIT, t0);
	CHECK(r.ready);
	CHECK(r.rules[RULE_SOURCE].ok);
	CHECK_STR(r.rules[RULE_SOURCE].detail,
		  "version 'v1' is healthy in dev; its promotion to sit was interrupted (since "
		  "2026-01-10T09:00:00Z) and will be retried");
	ready_result_release(&r);
	state_release(&st);
}

/* What runs in a pair, and what failed there. */
static void test_live_version(void)
{
	struct state st;
	const struct state_cell *c;
	state_init_empty(&st, plan);
	c = state_cell(&st, P("api"), SIT);
	CHECK(state_live_version(c) == NULL && state_failed_version(c) == NULL);
	state_set_cell(&st, P("api"), SIT, STATE_SOAKING, "v2", "v1", t0, t0 + 3600);
	CHECK_STR(state_live_version(c), "v2");
	CHECK(state_failed_version(c) == NULL);
	state_set_cell(&st, P("api"), SIT, STATE_ROLLED_BACK, "v2", "v1", t0, 0);
	CHECK_STR(state_live_version(c), "v1");
	CHECK_STR(state_failed_version(c), "v2");
	state_set_cell(&st, P("api"), SIT, STATE_DEPLOYING, "v3", "v1", t0, 0);
	CHECK_STR(state_live_version(c), "v1");
	CHECK(state_failed_version(c) == NULL);
	/* a failed rollback leaves it unknown */
	state_set_cell(&st, P("api"), SIT, STATE_FAILED, "v3", "v1", t0, 0);
	CHECK(state_live_version(c) == NULL);
	CHECK_STR(state_failed_version(c), "v3");
	state_release(&st);
}

int main(void)
{
	struct plan_diags d;
	const char *src = getenv("TOLLGATE_SRC");
	char *path = xasprintf("%s/tests/fixtures/state-small.yaml", src ? src : ".");

	plan_diags_init(&d, path);
	plan = plan_load(path, &d);
	if (!plan) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", path, d.v[i].line, d.v[i].col, d.v[i].msg);
		return 1;
	}
	util_parse_time("2026-01-10T09:00:00Z", &t0);

	RUN(test_names);
	RUN(test_nothing_happened);
	RUN(test_wave1_ready);
	RUN(test_already_live);
	RUN(test_soaking_source);
	RUN(test_wave_order_and_depends);
	RUN(test_gate4_roles);
	RUN(test_freeze);
	RUN(test_incidents);
	RUN(test_late);
	RUN(test_held_and_interrupted);
	RUN(test_live_version);

	plan_free(plan);
	plan_diags_release(&d);
	free(path);
	return TEST_DONE();
}
