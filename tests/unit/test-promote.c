/*
 * test-promote.c - the executor's pure pieces: judging a trigger's measure
 * (a number above/below, a failed measure, no number), which triggers watch
 * an environment, the version live in a pair by its state, and the step
 * environment (values only as TOLLGATE_* variables, untouched).
 */
#include <stdlib.h>

#include "engine/promote-internal.h"
#include "plan/plan.h"
#include "test.h"

static const char plan_text[] =
	"version: 1\n"
	"plan: {id: UNIT-PROMOTE}\n"
	"environments:\n"
	"  - {name: dev}\n"
	"  - {name: sit, account: \"111\"}\n"
	"  - {name: prod}\n"
	"waves: [{id: w}]\n"
	"projects: [{id: api, wave: w, deploy: 'true'}]\n"
	"triggers:\n"
	"  - {id: err, text: errors, measure: 'echo 1', above: 0.05, envs: [sit]}\n"
	"  - {id: lat, text: latency, measure: 'echo 1', below: 10}\n"
	"  - {id: eyes, text: judged by a person}\n";

static struct exec_result result(int exit_code, const char *out)
{
	struct exec_result r;
	exec_result_init(&r);
	r.exit_code = exit_code;
	r.out = out ? (char *)out : NULL;
	return r;
}

static void test_measure(void)
{
	struct plan_diags d;
	struct plan *p;
	struct exec_task t = { 0 };
	struct exec_result r;
	char why[300];

	plan_diags_init(&d, "unit.yaml");
	p = plan_load_buffer("unit.yaml", plan_text, sizeof(plan_text) - 1, &d);
	CHECK(p != NULL);
	if (!p)
		return;
	r = result(0, "0.01\n");
	CHECK(!promote_measure_breached(&p->triggers[0], &t, &r, why, sizeof(why)));
	r = result(0, "  0.09 \n");
	CHECK(promote_measure_breached(&p->triggers[0], &t, &r, why, sizeof(why)));
	CHECK_STR(why, "trigger 'err' breached: measured 0.09, above 0.05");
	r = result(0, "5\n");
	CHECK(promote_measure_breached(&p->triggers[1], &t, &r, why, sizeof(why)));
	CHECK_STR(why, "trigger 'lat' breached: measured 5, below 10");
	r = result(0, "12%\n");
	CHECK(!promote_measure_breached(&p->triggers[1], &t, &r, why, sizeof(why)));
	r = result(0, "ok\n");
	CHECK(promote_measure_breached(&p->triggers[0], &t, &r, why, sizeof(why)));
	CHECK_STR(why, "trigger 'err': the measure printed no number");
	r = result(0, "");
	CHECK(promote_measure_breached(&p->triggers[0], &t, &r, why, sizeof(why)));
	r = result(0, "0.01 0.02\n");
	CHECK(promote_measure_breached(&p->triggers[0], &t, &r, why, sizeof(why)));
	r = result(2, "0.01\n");
	CHECK(promote_measure_breached(&p->triggers[0], &t, &r, why, sizeof(why)));
	CHECK_STR(why, "trigger 'err': the measure exited with status 2");

	/* which triggers watch which environment */
	CHECK(plan_trigger_applies(&p->triggers[0], 1));
	CHECK(!plan_trigger_applies(&p->triggers[0], 2));
	CHECK(plan_trigger_applies(&p->triggers[1], 1));
	CHECK(plan_trigger_applies(&p->triggers[1], 2));
	CHECK(!plan_trigger_applies(&p->triggers[1], 0));
	CHECK(!plan_trigger_applies(&p->triggers[2], 1)); /* no measure */
	plan_free(p);
	plan_diags_release(&d);
}

static void test_live_version(void)
{
	CHECK_STR(promote_live_version(STATE_HEALTHY, "2", "1"), "2");
	CHECK_STR(promote_live_version(STATE_SOAKING, "2", "1"), "2");
	CHECK_STR(promote_live_version(STATE_ROLLED_BACK, "2", "1"), "1");
	CHECK_STR(promote_live_version(STATE_DEPLOYING, "2", "1"), "1");
	CHECK_STR(promote_live_version(STATE_INTERRUPTED, "2", "1"), "1");
	CHECK(promote_live_version(STATE_ROLLED_BACK, "2", NULL) == NULL);
	CHECK(promote_live_version(STATE_NONE, NULL, NULL) == NULL);
	CHECK_STR(promote_outcome_name(PROMOTE_ROLLED_BACK), "rolled-back");
	CHECK_STR(promote_outcome_name(PROMOTE_SKIPPED), "skipped");
}

static void test_step_env(void)
{
	struct plan_diags d;
	struct plan *p;
	struct pctx c;
	struct penv pe;

	plan_diags_init(&d, "unit.yaml");
	p = plan_load_buffer("unit.yaml", plan_text, sizeof(plan_text) - 1, &d);
	CHECK(p != NULL);
	if (!p)
		return;
	memset(&c, 0, sizeof(c));
	c.plan = p;
	snprintf(c.run_id, sizeof(c.run_id), "R1");
	penv_build(&pe, &c, 0, 1, "1.0;touch x", "$(id)", "deploy");
	CHECK_STR(pe.v[0], "TOLLGATE_PROJECT=api");
	CHECK_STR(pe.v[1], "TOLLGATE_ENV=sit");
	CHECK_STR(pe.v[2], "TOLLGATE_VERSION=1.0;touch x");
	CHECK_STR(pe.v[3], "TOLLGATE_PREVIOUS_VERSION=$(id)");
	CHECK_STR(pe.v[4], "TOLLGATE_ACCOUNT=111");
	CHECK_STR(pe.v[5], "TOLLGATE_PLAN_ID=UNIT-PROMOTE");
	CHECK_STR(pe.v[6], "TOLLGATE_RUN_ID=R1");
	CHECK_STR(pe.v[7], "TOLLGATE_STEP=deploy");
	CHECK(pe.v[8] == NULL);
	penv_release(&pe);
	penv_build(&pe, &c, 0, 2, "2", NULL, "verify");
	CHECK_STR(pe.v[3], "TOLLGATE_PREVIOUS_VERSION=");
	CHECK_STR(pe.v[4], "TOLLGATE_ACCOUNT=");
	penv_release(&pe);
	plan_free(p);
	plan_diags_release(&d);
}

int main(void)
{
	RUN(test_measure);
	RUN(test_live_version);
	RUN(test_step_env);
	return TEST_DONE();
}
