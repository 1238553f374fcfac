/*
 * test-governance.c - approvals bound to versions, rejected versions and the
 * release's completion (issue 9) on tests/fixtures/governance.yaml, with
 * states built by hand: the candidate, what an approval says for a project,
 * the matching of roles to distinct people, expiry, scope plan, the
 * rejection rows (every environment, one, allowed again) and completion.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"
#include "test.h"

static struct plan *plan;
static int64_t t0; /* 2026-03-02T10:00:00Z */
enum { DEV, STAGING, PROD };
static int LEDGER, ACCOUNTS, PAYMENTS, CAB, SCHEDULE, ALICE, CAROL, BOB;

static const char *gates_detail(const struct state *st, int project, int env, int64_t now,
				struct ready_result *r)
{
	struct ready_ctx c;
	ready_ctx_init(&c, plan, st, now);
	ready_check(&c, project, env, true, r);
	ready_ctx_release(&c);
	return r->rules[RULE_GATES].detail;
}

static void test_candidate(void)
{
	struct state st;
	state_init_empty(&st, plan);
	CHECK(ready_candidate(&st, LEDGER, PROD) == NULL);
	state_set_cell(&st, LEDGER, STAGING, STATE_SOAKING, "3.13.0", "3.12.0", t0, t0 + 3600);
	CHECK_STR(ready_candidate(&st, LEDGER, PROD), "3.13.0");
	state_set_cell(&st, LEDGER, STAGING, STATE_ROLLED_BACK, "3.13.0", "3.12.0", t0, 0);
	CHECK(ready_candidate(&st, LEDGER, PROD) == NULL);
	CHECK(ready_candidate(&st, LEDGER, DEV) == NULL);
	state_release(&st);
}

static void test_versions_and_expiry(void)
{
	struct state st;
	struct ready_result r;
	size_t a, c;
	state_init_empty(&st, plan);
	state_set_cell(&st, LEDGER, STAGING, STATE_HEALTHY, "3.12.0", NULL, t0, 0);
	state_set_cell(&st, ACCOUNTS, STAGING, STATE_HEALTHY, "2.8.0", NULL, t0, 0);
	a = state_add_approval(&st, CAB, ALICE, "release-manager", t0);
	state_add_cover(&st, a, LEDGER, "3.12.0", t0);
	state_add_cover(&st, a, ACCOUNTS, "2.8.0", t0);
	c = state_add_approval(&st, CAB, CAROL, "cab-chair", t0);
	state_add_cover(&st, c, LEDGER, "3.12.0", t0);
	state_index(&st);
	CHECK_INT(ready_approval_check(plan, &st, &st.approvals[a], LEDGER, t0), APPROVAL_COUNTS);
	CHECK_INT(ready_approval_check(plan, &st, &st.approvals[c], ACCOUNTS, t0),
		  APPROVAL_NOT_COVERED);
	CHECK_INT(ready_approval_check(plan, &st, &st.approvals[a], PAYMENTS, t0),
		  APPROVAL_NO_CANDIDATE);
	CHECK_INT(ready_gate_status(plan, &st, CAB, LEDGER, t0), GATE_PASSED);
	CHECK_INT(ready_gate_status(plan, &st, CAB, ACCOUNTS, t0), GATE_IN_PROGRESS);
	/* as a whole: every project with a candidate */
	CHECK_INT(ready_gate_status(plan, &st, CAB, -1, t0), GATE_IN_PROGRESS);
	CHECK(ready_gate_approval(plan, &st, CAB, "release-manager", -1, t0) == &st.approvals[a]);
	CHECK(ready_gate_approval(plan, &st, CAB, "cab-chair", -1, t0) == NULL);
	CHECK_STR(gates_detail(&st, LEDGER, PROD, t0, &r),
		  "gate 'prod-cab' passed for 3.12.0 (alice as release-manager, carol as cab-chair)");
	ready_result_release(&r);

	/* a new candidate */
	state_set_cell(&st, LEDGER, STAGING, STATE_HEALTHY, "3.13.0", "3.12.0", t0 + 86400, 0);
	CHECK_INT(ready_approval_check(plan, &st, &st.approvals[a], LEDGER, t0), APPROVAL_STALE);
	CHECK_STR(gates_detail(&st, LEDGER, PROD, t0 + 86400, &r),
		  "gate 'prod-cab': approval by alice (release-manager) was for 3.12.0; the candidate "
		  "is now 3.13.0 — approve again; gate 'prod-cab': approval by carol (cab-chair) was "
		  "for 3.12.0; the candidate is now 3.13.0 — approve again");
	CHECK(!r.rules[RULE_GATES].ok);
	ready_result_release(&r);

	/* the 7 days of `expires`, counted from each cover */
	CHECK_INT(ready_approval_expires(plan, &st, &st.approvals[a], ACCOUNTS), t0 + 7 * 86400);
	CHECK_INT(ready_approval_check(plan, &st, &st.approvals[a], ACCOUNTS, t0 + 7 * 86400 - 1),
		  APPROVAL_COUNTS);
	CHECK_INT(ready_approval_check(plan, &st, &st.approvals[a], ACCOUNTS, t0 + 7 * 86400),
		  APPROVAL_EXPIRED);
	state_release(&st);
}

/* One readiness context for several projects of a wave (as `next` and
 * `status` use it): with no approval given, the gate's answer is worked out
 * once for the wave; once one is given, each project gets its own, in any
 * order of asking. */
static void test_gates_one_ctx(void)
{
	struct state st;
	struct ready_ctx c;
	struct ready_result r1, r2;
	size_t a;

	state_init_empty(&st, plan);
	state_set_cell(&st, LEDGER, STAGING, STATE_HEALTHY, "3.12.0", NULL, t0, 0);
	state_set_cell(&st, ACCOUNTS, STAGING, STATE_HEALTHY, "2.8.0", NULL, t0, 0);
	state_index(&st);
	ready_ctx_init(&c, plan, &st, t0);
	ready_check(&c, ACCOUNTS, PROD, true, &r1);
	ready_check(&c, LEDGER, PROD, true, &r2);
	CHECK(!r1.rules[RULE_GATES].ok && !r2.rules[RULE_GATES].ok);
	CHECK_STR(r1.rules[RULE_GATES].detail, r2.rules[RULE_GATES].detail);
	CHECK(strstr(r1.rules[RULE_GATES].detail, "no approval yet") != NULL);
	ready_result_release(&r1);
	ready_result_release(&r2);
	ready_ctx_release(&c);

	a = state_add_approval(&st, CAB, ALICE, "release-manager", t0);
	state_add_cover(&st, a, LEDGER, "3.12.0", t0);
	a = state_add_approval(&st, CAB, CAROL, "cab-chair", t0);
	state_add_cover(&st, a, LEDGER, "3.12.0", t0);
	state_index(&st);
	ready_ctx_init(&c, plan, &st, t0);
	ready_check(&c, ACCOUNTS, PROD, true, &r1);
	ready_check(&c, LEDGER, PROD, true, &r2);
	CHECK(!r1.rules[RULE_GATES].ok);
	CHECK(r2.rules[RULE_GATES].ok);
	CHECK_STR(r2.rules[RULE_GATES].detail,
		  "gate 'prod-cab' passed for 3.12.0 (alice as release-manager, carol as cab-chair)");
	ready_result_release(&r1);
	ready_result_release(&r2);
	/* asked again in the other order, in the same context */
	ready_check(&c, LEDGER, PROD, false, &r2);
	ready_check(&c, ACCOUNTS, PROD, false, &r1);
	CHECK(r2.rules[RULE_GATES].ok && !r1.rules[RULE_GATES].ok);
	ready_result_release(&r1);
	ready_result_release(&r2);
	ready_ctx_release(&c);
	state_release(&st);
}

static void test_scope_plan(void)
{
	struct state st;
	struct ready_result r;
	state_init_empty(&st, plan);
	state_set_cell(&st, LEDGER, DEV, STATE_HEALTHY, "3.12.0", NULL, t0, 0);
	state_add_approval(&st, SCHEDULE, ALICE, "release-manager", t0);
	/* no version, no expiry: it counts for any candidate, for ever */
	CHECK_INT(ready_gate_status(plan, &st, SCHEDULE, LEDGER, t0 + 400 * 86400), GATE_PASSED);
	CHECK_STR(gates_detail(&st, LEDGER, STAGING, t0, &r),
		  "gate 'schedule' passed (alice as release-manager)");
	ready_result_release(&r);
	state_set_cell(&st, LEDGER, DEV, STATE_HEALTHY, "3.13.0", NULL, t0, 0);
	CHECK(gates_detail(&st, LEDGER, STAGING, t0, &r) && r.rules[RULE_GATES].ok);
	ready_result_release(&r);
	state_release(&st);
}

static void test_distinct_people(void)
{
	struct state st;
	size_t b1, b2, c;
	state_init_empty(&st, plan);
	state_set_cell(&st, LEDGER, STAGING, STATE_HEALTHY, "3.12.0", NULL, t0, 0);
	/* bob holds both roles: two rows of his fill one role only */
	b1 = state_add_approval(&st, CAB, BOB, "release-manager", t0);
	b2 = state_add_approval(&st, CAB, BOB, "cab-chair", t0);
	state_add_cover(&st, b1, LEDGER, "3.12.0", t0);
	state_add_cover(&st, b2, LEDGER, "3.12.0", t0);
	CHECK_INT(ready_gate_napproved(plan, &st, CAB, LEDGER, t0), 1);
	CHECK_INT(ready_gate_status(plan, &st, CAB, LEDGER, t0), GATE_IN_PROGRESS);
	/* carol takes cab-chair: bob moves to release-manager (a matching, not
	 * first come) and the gate passes */
	c = state_add_approval(&st, CAB, CAROL, "cab-chair", t0);
	state_add_cover(&st, c, LEDGER, "3.12.0", t0);
	CHECK_INT(ready_gate_napproved(plan, &st, CAB, LEDGER, t0), 2);
	CHECK(ready_gate_approval(plan, &st, CAB, "cab-chair", LEDGER, t0) == &st.approvals[c]);
	CHECK(ready_gate_approval(plan, &st, CAB, "release-manager", LEDGER, t0) ==
	      &st.approvals[b1]);
	state_release(&st);
}

static void test_rejections(void)
{
	struct state st;
	struct state_rejection x = { 0 };
	struct strbuf sb = STRBUF_INIT;
	const struct state_rejection *r;
	struct ready_result rr;
	struct ready_ctx c;

	state_init_empty(&st, plan);
	x.project = ACCOUNTS;
	x.version = "2.8.1";
	x.env = PROD;
	x.kind = REJECT_ROLLED_BACK;
	x.reason = "verify exited with status 1; rolled back to 2.8.0";
	x.by = "tollgate";
	x.at = t0;
	state_add_rejection(&st, &x);
	state_index(&st);
	CHECK(ready_rejection(&st, ACCOUNTS, "2.8.1", PROD) != NULL);
	CHECK(ready_rejection(&st, ACCOUNTS, "2.8.1", STAGING) == NULL);
	CHECK(ready_rejection(&st, ACCOUNTS, "2.8.2", PROD) == NULL);
	CHECK(ready_rejection(&st, LEDGER, "2.8.1", PROD) == NULL);
	ready_describe_rejection(plan, ready_rejection(&st, ACCOUNTS, "2.8.1", PROD), &sb);
	CHECK_STR(sb.buf, "version 2.8.1 was rolled back from prod-eu on 2026-03-02T10:00:00Z "
			  "(verify exited with status 1; rolled back to 2.8.0)");
	strbuf_reset(&sb);

	/* the source rule */
	state_set_cell(&st, ACCOUNTS, STAGING, STATE_HEALTHY, "2.8.1", NULL, t0, 0);
	ready_ctx_init(&c, plan, &st, t0);
	ready_check(&c, ACCOUNTS, PROD, true, &rr);
	CHECK(!rr.rules[RULE_SOURCE].ok);
	CHECK_STR(rr.rules[RULE_SOURCE].detail,
		  "version 2.8.1 was rolled back from prod-eu on 2026-03-02T10:00:00Z (verify exited "
		  "with status 1; rolled back to 2.8.0): record a new version, or allow it again");
	ready_result_release(&rr);
	ready_ctx_release(&c);

	/* rejected everywhere by hand, allowed in staging only */
	x.env = -1;
	x.kind = REJECT_BY_HAND;
	x.reason = "audit finding";
	x.by = "bob";
	state_add_rejection(&st, &x);
	x.env = STAGING;
	x.kind = REJECT_ALLOWANCE;
	x.reason = NULL;
	x.allowed = true;
	x.allowed_by = "alice";
	x.allowed_at = t0 + 60;
	state_add_rejection(&st, &x);
	state_index(&st);
	r = ready_rejection(&st, ACCOUNTS, "2.8.1", DEV + 1);
	CHECK(r == NULL); /* staging: allowed */
	r = ready_rejection(&st, ACCOUNTS, "2.8.1", PROD);
	CHECK(r && r->kind == REJECT_ROLLED_BACK); /* prod-eu's own row decides */
	/* the every-env row, described */
	r = state_rejection_for(&st, ACCOUNTS, "2.8.1", -1);
	CHECK(r && r->env == -1);
	if (r)
		ready_describe_rejection(plan, r, &sb);
	CHECK_STR(sb.buf, "version 2.8.1 was rejected everywhere by bob on 2026-03-02T10:00:00Z "
			  "(audit finding)");
	strbuf_release(&sb);
	state_release(&st);
}

static void test_complete(void)
{
	struct state st;
	struct strbuf why = STRBUF_INIT;
	int item = plan_item_index(plan, "prod-verified");
	state_init_empty(&st, plan);
	CHECK(!ready_release_complete(plan, &st, &why));
	CHECK_STR(why.buf, "0 of 3 projects healthy in prod-eu; 1 of 1 success criterion of prod-eu "
			   "not done: 'prod-verified'");
	strbuf_reset(&why);
	state_set_cell(&st, LEDGER, PROD, STATE_HEALTHY, "1", NULL, t0, 0);
	state_set_cell(&st, ACCOUNTS, PROD, STATE_HEALTHY, "1", NULL, t0, 0);
	state_set_cell(&st, PAYMENTS, PROD, STATE_SOAKING, "1", NULL, t0, t0 + 60);
	CHECK(!ready_release_complete(plan, &st, NULL));
	state_set_cell(&st, PAYMENTS, PROD, STATE_HEALTHY, "1", NULL, t0, 0);
	CHECK(!ready_release_complete(plan, &st, &why));
	CHECK_STR(why.buf, "1 of 1 success criterion of prod-eu not done: 'prod-verified'");
	strbuf_reset(&why);
	state_set_tick(&st, item, true, "sam", t0, NULL);
	CHECK(ready_release_complete(plan, &st, &why));
	CHECK_INT(why.len, 0);
	strbuf_release(&why);
	state_release(&st);
}

int main(void)
{
	struct plan_diags d;
	const char *src = getenv("TOLLGATE_SRC");
	char *path = xasprintf("%s/tests/fixtures/governance.yaml", src ? src : ".");

	plan_diags_init(&d, path);
	plan = plan_load(path, &d);
	if (!plan) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", path, d.v[i].line, d.v[i].col, d.v[i].msg);
		return 1;
	}
	util_parse_time("2026-03-02T10:00:00Z", &t0);
	LEDGER = plan_project_index(plan, "ledger");
	ACCOUNTS = plan_project_index(plan, "accounts");
	PAYMENTS = plan_project_index(plan, "payments");
	CAB = plan_gate_index(plan, "prod-cab");
	SCHEDULE = plan_gate_index(plan, "schedule");
	ALICE = plan_person_index(plan, "alice");
	CAROL = plan_person_index(plan, "carol");
	BOB = plan_person_index(plan, "bob");

	RUN(test_candidate);
	RUN(test_versions_and_expiry);
	RUN(test_gates_one_ctx);
	RUN(test_scope_plan);
	RUN(test_distinct_people);
	RUN(test_rejections);
	RUN(test_complete);

	plan_free(plan);
	plan_diags_release(&d);
	free(path);
	return TEST_DONE();
}
