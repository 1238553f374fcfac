/*
 * test-plan.c - the plan loader and validator: good plans load with the right
 * model values and defaults, every rule rejects with a located message, all
 * problems of a file are reported, lookups and suggestions work, and the
 * starter plan validates.
 */
#include <stdlib.h>
#include <string.h>

#include "plan/plan.h"
#include "test.h"

static struct plan_diags diags;

static struct plan *load(const char *text)
{
	plan_diags_release(&diags);
	plan_diags_init(&diags, "t.yaml");
	return plan_load_buffer("t.yaml", text, strlen(text), &diags);
}

/* Is there a diagnostic of this kind at line:col whose message is msg? */
static bool has_diag(enum diag_kind kind, int line, int col, const char *msg)
{
	for (size_t i = 0; i < diags.n; i++)
		if (diags.v[i].kind == kind && diags.v[i].line == line && diags.v[i].col == col &&
		    !strcmp(diags.v[i].msg, msg))
			return true;
	for (size_t i = 0; i < diags.n; i++)
		fprintf(stderr, "  have %d:%d: %s\n", diags.v[i].line, diags.v[i].col, diags.v[i].msg);
	return false;
}

/* load text, expect rejection with exactly one error msg at line:col */
static void rejects(const char *text, int line, int col, const char *msg)
{
	struct plan *p = load(text);
	CHECK(p == NULL);
	CHECK_INT(diags.nerrors, 1);
	CHECK(has_diag(DIAG_ERROR, line, col, msg));
	plan_free(p);
}

#define HEAD "version: 1\nplan: {id: P}\nenvironments: [{name: dev}, {name: sit}, {name: prod}]\n"
#define WAVES "waves: [{id: wave-1}, {id: wave-2}]\n"

static void test_spec_seed(void)
{
	char *path = NULL;
	const char *src = getenv("TOLLGATE_SRC");
	struct plan *p;
	const struct plan_project *pr;
	const struct plan_gate *g;
	int64_t t;
	int i;

	if (!src)
		src = "..";
	path = xasprintf("%s/tests/fixtures/spec-seed.yaml", src);
	plan_diags_release(&diags);
	plan_diags_init(&diags, path);
	p = plan_load(path, &diags);
	CHECK(p != NULL);
	CHECK_INT(diags.nerrors, 0);
	if (!p) {
		free(path);
		return;
	}
	CHECK_STR(p->id, "PROM-2026-Q1-001");
	CHECK_STR(p->title, "MASTER Promotion Plan: DEV → SIT → PROD");
	CHECK_STR(p->manager, "Agentic Project Manager");
	util_parse_date("2026-01-07", &t);
	CHECK_INT(p->created, t);
	CHECK(p->dir && strstr(p->dir, "tests/fixtures") != NULL);
	CHECK_INT(p->version, 1);

	CHECK_INT(p->nenvs, 3);
	CHECK_STR(p->envs[0].name, "dev");
	CHECK_STR(p->envs[0].title, "DEV");
	CHECK(!p->envs[0].has_soak);
	CHECK_STR(p->envs[1].account, "815856636111");
	CHECK_INT(p->envs[1].soak, 24 * 3600);
	CHECK(p->envs[1].has_soak);
	CHECK_INT(p->envs[1].success.n, 6);
	CHECK_INT(p->envs[1].success.idx[0], plan_item_index(p, "sit-deployed"));
	CHECK_INT(p->envs[2].nfreeze, 1);
	util_parse_time("2026-02-14T00:00:00Z", &t);
	CHECK_INT(p->envs[2].freeze[0].from, t);
	CHECK_INT(p->envs[2].freeze[0].to, t + 86400);
	CHECK_STR(p->envs[2].freeze[0].why, "campaign peak");

	i = plan_person_index(p, "tom");
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_STR(p->people[i].name, "tom"); /* defaults to the id */
		CHECK(plan_person_has_role(&p->people[i], "tech-lead"));
		CHECK(!plan_person_has_role(&p->people[i], "ops-lead"));
	}

	CHECK_INT(p->nwaves, 2);
	CHECK_INT(p->waves[1].after_wave, 0);
	CHECK_INT(p->waves[1].after_env, 1);
	CHECK_STR(p->waves[1].after_env_id, "sit");
	CHECK(p->waves[0].has_window);
	util_parse_date("2026-02-21", &t);
	CHECK_INT(p->waves[0].window_to, t);
	CHECK_INT(p->waves[0].prerequisites.n, 5);
	CHECK_INT(p->waves[0].after_wave, -1);

	CHECK_INT(p->nprojects, 7);
	i = plan_project_index(p, "backend_public");
	CHECK(i >= 0);
	pr = &p->projects[i];
	CHECK_INT(pr->wave, plan_wave_index(p, "wave-2"));
	CHECK_STR(pr->wave_id, "wave-2");
	CHECK_INT(pr->depends_on.n, 2);
	CHECK_INT(pr->depends_on.idx[0], plan_project_index(p, "dynamodb_schemas"));
	CHECK_INT(pr->depends_on.idx[1], plan_project_index(p, "s3_schemas"));
	CHECK_INT(pr->depends_on.locs[0].line, 58);
	CHECK_INT(pr->timeout, 15 * 60); /* default */
	CHECK_STR(pr->deploy, "scripts/deploy.sh");
	util_parse_date("2026-02-24", &t);
	CHECK_INT(plan_project_target(pr, 2), t);
	CHECK_INT(plan_project_target(pr, 0), 0);
	CHECK_INT(pr->loc.line, 58);
	CHECK_INT(pr->loc.col, 5);

	/* topo: dependencies before dependents, every project once */
	{
		int seen[7] = { 0 }, pos[7] = { 0 };
		for (size_t k = 0; k < p->nprojects; k++) {
			seen[p->topo[k]]++;
			pos[p->topo[k]] = (int)k;
		}
		for (size_t k = 0; k < p->nprojects; k++)
			CHECK_INT(seen[k], 1);
		CHECK(pos[plan_project_index(p, "dynamodb_schemas")] < pos[i]);
		CHECK(pos[plan_project_index(p, "s3_schemas")] < pos[i]);
	}

	i = plan_gate_index(p, "gate-3");
	CHECK(i >= 0);
	g = &p->gates[i];
	CHECK_INT(g->napprovers, 2);
	CHECK_STR(g->approvers[0], "devops-lead");
	CHECK_INT(g->before_env, 1);
	CHECK(plan_gate_covers_wave(g, plan_wave_index(p, "wave-2")));
	CHECK(!plan_gate_covers_wave(g, plan_wave_index(p, "wave-1")));
	g = &p->gates[plan_gate_index(p, "gate-4")];
	CHECK(plan_gate_covers_wave(g, 0) && plan_gate_covers_wave(g, 1));

	i = plan_item_index(p, "sit-ready");
	CHECK(i >= 0);
	CHECK(p->items[i].has_applies);
	CHECK(plan_item_applies(&p->items[i], 1, 0));
	CHECK(!plan_item_applies(&p->items[i], 2, 0));
	CHECK_STR(p->items[i].check, "scripts/sit-ready.sh");
	CHECK_INT(p->items[i].timeout, 15 * 60);
	i = plan_item_index(p, "api-tests");
	CHECK(!plan_item_applies(&p->items[i], 1, 0)); /* no applies: only where named */

	CHECK(p->nblockers > 0);
	CHECK(p->ntriggers > 0);
	CHECK_INT(p->triggers[0].level, 1);
	CHECK(plan_overall_risk(p) >= SEV_LOW);

	CHECK_INT(plan_env_index(p, "prod"), 2);
	CHECK_INT(plan_env_index(p, "qa"), -1);
	CHECK_INT(plan_project_index(p, NULL), -1);
	CHECK_STR(plan_suggest_env(p, "prd"), "prod");
	CHECK_STR(plan_suggest_env(p, "sti"), "sit");
	CHECK_STR(plan_suggest_project(p, "order_lamda"), "order_lambda");
	CHECK_STR(plan_suggest_wave(p, "wave1"), "wave-1");
	CHECK_STR(plan_suggest_gate(p, "gate4"), "gate-4");
	CHECK_STR(plan_suggest_person(p, "danna"), "dana");
	CHECK(plan_suggest_project(p, "completely-different") == NULL);
	plan_free(p);
	free(path);
}

static void test_defaults_and_types(void)
{
	struct plan *p = load(HEAD WAVES
			      "people: [{id: ann, name: Ann, email: a@x, roles: qa}]\n"
			      "projects:\n"
			      "  - {id: a, wave: wave-1, timeout: 1h30m, targets: {sit: 2026-01-13}}\n"
			      "  - {id: b, wave: wave-2, depends_on: a}\n"
			      "checklist:\n"
			      "  - {id: c1, text: x, applies: {waves: [wave-2]}, timeout: 30s}\n"
			      "triggers:\n"
			      "  - {id: t1, text: x, measure: m.sh, below: -1.5e2, level: 3, envs: prod}\n"
			      "risks:\n"
			      "  - {id: r1, text: x, severity: critical, projects: all}\n"
			      "  - {id: r2, text: x, severity: low, projects: [a, b]}\n"
			      "blockers: [{id: b1, text: x, progress: 0, blocks: {env: sit}}]\n"
			      "milestones: [{date: 2026-01-10, until: 2026-01-12, text: M}]\n"
			      "channels: [{id: hook, kind: webhook, url_env: HOOK}]\n"
			      "notify: [{channel: hook, events: incident.*, env: prod, min_level: 2}]\n"
			      "escalation: [{level: 2, name: Major, action: pause, notify: pm}]\n"
			      "rollback_procedure: [{step: Notify, text: tell}]\n"
			      "communication: [{title: Standup, attendees: [a, b], format: x}]\n"
			      "post_promotion: [{title: After, after: {env: sit, waves: [wave-1]}, items: [c1]}]\n"
			      "changelog: [{date: 2026-01-07, change: created, author: pm}]\n"
			      "next_steps: [{title: Soon, items: [one, two]}]\n");
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_STR(p->envs[2].title, "PROD");
	CHECK_STR(p->people[0].email, "a@x");
	CHECK_INT(p->people[0].nroles, 1);
	CHECK_STR(p->people[0].roles[0], "qa");
	CHECK_INT(p->projects[0].timeout, 5400);
	CHECK_INT(p->projects[1].depends_on.n, 1);
	CHECK_INT(p->projects[1].depends_on.idx[0], 0);
	CHECK_INT(p->topo[0], 0);
	CHECK_INT(p->topo[1], 1);
	CHECK_INT(p->items[0].applies_env, -1);
	CHECK(plan_item_applies(&p->items[0], 2, 1));
	CHECK(!plan_item_applies(&p->items[0], 2, 0));
	CHECK_INT(p->items[0].timeout, 30);
	CHECK(p->triggers[0].has_below && !p->triggers[0].has_above);
	CHECK(p->triggers[0].below == -150.0);
	CHECK_INT(p->triggers[0].level, 3);
	CHECK_INT(p->triggers[0].envs.n, 1);
	CHECK_INT(p->triggers[0].envs.idx[0], 2);
	CHECK(p->risks[0].all_projects);
	CHECK_INT(p->risks[1].projects.idx[1], 1);
	CHECK_INT(plan_overall_risk(p), SEV_CRITICAL);
	CHECK_STR(plan_severity_name(SEV_CRITICAL), "critical");
	CHECK_INT(p->blockers[0].blocks_env, 1);
	CHECK_INT(p->blockers[0].blocks_waves.n, 0);
	CHECK(p->milestones[0].until > p->milestones[0].date);
	CHECK_INT(p->notify[0].nevents, 1);
	CHECK_INT(p->notify[0].channel, 0);
	CHECK_INT(p->notify[0].envs.idx[0], 2);
	CHECK_INT(p->notify[0].min_level, 2);
	CHECK_INT(p->notify_policy.max_attempts, PLAN_NOTIFY_MAX_ATTEMPTS_DEFAULT);
	CHECK_STR(p->escalation[0].name, "Major");
	CHECK_STR(p->rollback_steps[0].title, "Notify");
	CHECK_INT(p->comms[0].nattendees, 2);
	CHECK_INT(p->comms[0].nformat, 1);
	CHECK_INT(p->post[0].after_env, 1);
	CHECK_INT(p->post[0].items.idx[0], 0);
	CHECK_STR(p->changes[0].author, "pm");
	CHECK_INT(p->next[0].nitems, 2);
	CHECK_STR(p->dir, ".");
	plan_free(p);

	p = load(HEAD WAVES "plan2: 1\n");
	CHECK(p == NULL);
	p = load("version: 1\nplan: {id: P, risk: low}\nenvironments: [{name: dev}]\n"
		 "waves: []\nprojects: []\nrisks: [{id: r, text: x, severity: high}]\n");
	CHECK(p != NULL);
	if (p)
		CHECK_INT(plan_overall_risk(p), SEV_LOW);
	plan_free(p);
}

static void test_rules_reject(void)
{
	rejects(HEAD WAVES "projects: [{id: a, wave: wave-1, depends: [b]}]\n", 5, 34,
		"unknown key 'depends' in project 'a'; did you mean 'depends_on'?");
	rejects(HEAD WAVES "projects: [{id: a, wave: wave-1, depends_on: [bb]}, {id: b, wave: wave-1}]\n",
		5, 47, "project 'a' depends on unknown project 'bb'; did you mean 'b'?");
	rejects(HEAD WAVES "projects:\n  - {id: a, wave: wave-1, depends_on: [b]}\n"
			   "  - {id: b, wave: wave-1, depends_on: [a]}\n",
		7, 40, "dependency cycle: a → b → a");
	rejects(HEAD "waves: [{id: w, after: {wave: w, env: sit}}]\nprojects: []\n", 4, 31,
		"wave 'w' comes after itself");
	rejects(HEAD WAVES "projects: []\npeople: [{id: x, roles: [a]}]\n"
			   "gates: [{id: g, approvers: [a, b], before: {env: prod}}]\n",
		7, 32, "role 'b' of gate 'g' is held by nobody in 'people'");
	rejects(HEAD WAVES "projects: []\npeople: [{id: x, roles: [a]}]\n"
			   "gates: [{id: g, approvers: [a], before: {env: prod, waves: [wave-3]}}]\n",
		7, 61, "gate 'g' names unknown wave 'wave-3' in 'waves'; did you mean 'wave-1'?");
	rejects(HEAD WAVES "projects: []\npeople: [{id: x, roles: [a, b]}, {id: y, roles: [c]}]\n"
			   "gates: [{id: g, approvers: [a, b], before: {env: prod}}]\n",
		7, 32,
		"gate 'g' cannot be approved by distinct people: role 'b' is held only by people needed for its other roles");
	rejects(HEAD WAVES "projects: []\npeople: [{id: x, roles: [a]}]\n"
			   "gates: [{id: g, approvers: [a], before: {env: prod}, scope: plans}]\n",
		7, 61, "unknown scope 'plans'; did you mean 'plan'?");
	rejects(HEAD WAVES "projects: []\npeople: [{id: x, roles: [a]}]\n"
			   "gates: [{id: g, approvers: [a], before: {env: prod}, scope: everything}]\n",
		7, 61,
		"unknown scope 'everything'; use versions (each project's candidate version, the "
		"default) or plan (the plan as a whole)");
	rejects(HEAD WAVES "projects: []\npeople: [{id: x, roles: [a]}]\n"
			   "gates: [{id: g, approvers: [a], before: {env: prod}, expires: 0s}]\n",
		7, 63,
		"'expires' of gate 'g' must be longer than 0s; leave it out for approvals that never "
		"expire");
	rejects(HEAD WAVES "projects: []\npeople: [{id: x, roles: [a]}]\n"
			   "gates: [{id: g, approvers: [a], before: {env: prod}, expires: soon}]\n",
		7, 63, "bad duration 'soon' for 'expires'; use e.g. 30s, 15m, 24h, 7d");
	{
		struct plan *p = load(HEAD WAVES "projects: []\npeople: [{id: x, roles: [a]}]\n"
						 "gates: [{id: g, approvers: [a], before: {env: prod}, "
						 "scope: plan, expires: 7d},\n"
						 "        {id: h, approvers: [a], before: {env: sit}, scope: versions}]\n");
		CHECK(p != NULL);
		if (p) {
			CHECK(p->gates[0].scope_plan && p->gates[0].expires == 7 * 86400);
			CHECK(!p->gates[1].scope_plan && p->gates[1].expires == 0);
		}
		plan_free(p);
	}
	rejects(HEAD WAVES "projects: [{id: a}]\n", 5, 12,
		"project 'a' has no 'wave'; every project belongs to one wave");
	rejects(HEAD WAVES "projects: [{id: a, wave: wave-1}, {id: a, wave: wave-2}]\n", 5, 40,
		"duplicate project id 'a'");
	rejects(HEAD WAVES "projects: [{id: 'a b', wave: wave-1}]\n", 5, 17,
		"invalid id 'a b'; use letters, digits, '_', '.' and '-'");
	rejects(HEAD WAVES "projects: {a: 1}\n", 5, 11, "expected a list for 'projects', got a map");
	rejects(HEAD WAVES "projects: [{id: a, wave: wave-1, timeout: 15}]\n", 5, 43,
		"bad duration '15' for 'timeout'; use e.g. 30s, 15m, 24h, 7d");
	rejects(HEAD WAVES "projects: [{id: a, wave: wave-1, targets: {sit: Jan 10}}]\n", 5, 49,
		"bad date 'Jan 10' for 'targets'; use YYYY-MM-DD, e.g. 2026-01-10");
	rejects(HEAD WAVES "projects: [{id: a, wave: wave-1, targets: {qa: 2026-01-10}}]\n", 5, 44,
		"project 'a' names unknown environment 'qa'");
	rejects(HEAD WAVES "projects: []\nblockers: [{id: b, text: t, progress: 101}]\n", 6, 39,
		"'progress' must be between 0 and 100, got 101");
	rejects(HEAD WAVES "projects: []\nblockers: [{id: b, text: t, progress: 99999999999999999999}]\n",
		6, 39, "'progress' must be between 0 and 100, got 99999999999999999999");
	rejects(HEAD WAVES "projects: []\nblockers: [{id: b, text: t, progress: '50'}]\n", 6, 39,
		"expected an integer for 'progress', got a string");
	rejects(HEAD WAVES "projects: []\ntriggers: [{id: t, text: x, measure: m}]\n", 6, 38,
		"trigger 't' has a 'measure' but neither 'above' nor 'below'; say when it is breached");
	rejects(HEAD WAVES "projects: []\ntriggers: [{id: t, text: x, measure: m, above: .nan}]\n", 6,
		48, "expected a number for 'above', got '.nan'");
	rejects(HEAD WAVES "projects: []\nchecklist: [{id: c}]\n", 6, 13,
		"missing required key 'text' in checklist item 'c'");
	rejects(HEAD "waves: [{id: w, window: {from: 2026-02-01, to: 2026-01-01}}]\nprojects: []\n",
		4, 48, "window of wave 'w' ends before it starts");
	rejects("version: 1\nplan: {id: P}\nenvironments:\n  - {name: dev, freeze: [{from: 2026-01-02, to: 2026-01-02}]}\n"
		"waves: []\nprojects: []\n",
		4, 49, "freeze of environment 'dev' ends before it starts");
	rejects(HEAD WAVES "projects: []\nprojects: []\n", 6, 1, "duplicate key 'projects' (first at line 5)");
	rejects("version: 1\nplan: {}\nenvironments: [{name: dev}]\nwaves: []\nprojects: []\n", 2, 7,
		"missing required key 'id' in 'plan'");
	rejects("plan: {id: P}\nenvironments: [{name: dev}]\nwaves: []\nprojects: []\n", 1, 1,
		"missing required key 'version'; add 'version: 1' at the top");
	rejects("version: 1\nplan: {id: P}\nenvironments: []\nwaves: []\nprojects: []\n", 3, 15,
		"'environments' is empty; list the chain in order, e.g. dev, sit, prod");
	rejects("version: 1\nplan: {id: P}\nenvironments: [{name: dev}]\nwaves: []\nprojects: []\n"
		"next_steps: [{title: &a x}, {title: *b}]\n",
		6, 37, "alias '*b' names no anchor ('&b') written before it");
	rejects("version: 1\nplan:\n\tid: P\n", 3, 1, "tab used for indentation; indent with spaces");
	rejects("", 1, 1, "the plan is empty; write one, or run 'tollgate init' for a starter");
	rejects("version: 1\n\xc3\x28\n", 2, 2,
		"the file is not valid UTF-8 (invalid trailing UTF-8 octet); save it as UTF-8 text");
	rejects("[1, 2]\n", 1, 1,
		"a plan is a map of keys (version, plan, environments, waves, projects …), got a list");
	CHECK(load("version: 1\n? [a]\n: 1\n") == NULL);
	CHECK(has_diag(DIAG_ERROR, 2, 3, "a key must be a plain name, got a list"));
}

static void test_all_problems_reported(void)
{
	struct plan *p = load("version: 2\n"
			      "plan: {id: P, titel: x}\n"
			      "environments: [{name: dev}, {name: sit, soak: forever}]\n"
			      "waves: [{id: w}]\n"
			      "projects:\n"
			      "  - {id: a, wave: v, depends_on: [b, zz]}\n"
			      "  - {id: b, wave: w, depends_on: [a]}\n"
			      "gates: [{id: g, approvers: [nobody], before: {env: sti}}]\n");
	CHECK(p == NULL);
	CHECK_INT(diags.nerrors, 8);
	CHECK(has_diag(DIAG_ERROR, 1, 10, "unsupported plan version 2; this tollgate reads version 1"));
	CHECK(has_diag(DIAG_ERROR, 2, 15, "unknown key 'titel' in 'plan'; did you mean 'title'?"));
	CHECK(has_diag(DIAG_ERROR, 3, 47, "bad duration 'forever' for 'soak'; use e.g. 30s, 15m, 24h, 7d"));
	CHECK(has_diag(DIAG_ERROR, 6, 19, "project 'a' is in unknown wave 'v'; did you mean 'w'?"));
	CHECK(has_diag(DIAG_ERROR, 6, 38, "project 'a' depends on unknown project 'zz'"));
	CHECK(has_diag(DIAG_ERROR, 7, 35, "dependency cycle: a → b → a"));
	CHECK(has_diag(DIAG_ERROR, 8, 29, "role 'nobody' of gate 'g' is held by nobody in 'people'"));
	CHECK(has_diag(DIAG_ERROR, 8, 52, "gate 'g' names unknown environment 'sti'; did you mean 'sit'?"));
	/* sorted by position for printing */
	plan_diags_sort(&diags);
	for (size_t i = 1; i < diags.n; i++)
		CHECK(diags.v[i - 1].line < diags.v[i].line ||
		      (diags.v[i - 1].line == diags.v[i].line && diags.v[i - 1].col <= diags.v[i].col));
	plan_free(p);
}

static void test_warnings(void)
{
	struct plan *p = load(HEAD
			      "people: [{id: ann}]\n"
			      "waves: [{id: wave-1, window: {from: 2026-01-10, to: 2026-01-20}}, {id: wave-2}]\n"
			      "projects:\n"
			      "  - {id: a, wave: wave-1, depends_on: [b], targets: {dev: 2026-01-11, sit: 2026-01-19, prod: 2026-01-15}}\n"
			      "  - {id: b, wave: wave-2}\n"
			      "checklist: [{id: lost, text: nobody names me}]\n");
	CHECK(p != NULL);
	CHECK_INT(diags.nerrors, 0);
	CHECK_INT(diags.nwarnings, 6);
	CHECK(has_diag(DIAG_WARNING, 4, 10, "person 'ann' has no role"));
	CHECK(has_diag(DIAG_WARNING, 4, 10,
		       "identity: claim: anyone can act as anyone (--as is not checked); list each person's OS users in 'login' and use 'identity: os'"));
	CHECK(has_diag(DIAG_WARNING, 7, 40,
		       "project 'a' of wave 'wave-1' depends on 'b' of a later wave 'wave-2'"));
	CHECK(has_diag(DIAG_WARNING, 7, 54,
		       "project 'a' has a target date for 'dev', the source environment; nothing is promoted there"));
	CHECK(has_diag(DIAG_WARNING, 7, 88,
		       "target of project 'a' in 'prod' (2026-01-15) falls before its target in 'sit' (2026-01-19)"));
	CHECK(has_diag(DIAG_WARNING, 9, 13,
		       "checklist item 'lost' is named nowhere (no 'applies', and no wave, gate or environment lists it)"));
	plan_free(p);
	p = load(HEAD "waves: [{id: w, window: {from: 2026-01-10, to: 2026-01-20}}]\n"
		      "projects: [{id: a, wave: w, targets: {sit: 2026-02-01}}]\n");
	CHECK(p != NULL);
	CHECK(has_diag(DIAG_WARNING, 5, 39,
		       "target 2026-02-01 of project 'a' in 'sit' is outside the window of wave 'w' (2026-01-10 to 2026-01-20)"));
	plan_free(p);
}

static void test_starter_validates(void)
{
	struct plan *p = load(plan_starter_text);
	char *text;
	CHECK(p != NULL);
	CHECK_INT(diags.nerrors, 0);
	CHECK_INT(diags.nwarnings, 0);
	if (p) {
		CHECK(p->nprojects >= 2);
		CHECK(p->ngates >= 1);
		CHECK_INT(p->identity, IDENTITY_OS);
		CHECK_INT(plan_person_by_login(p, PLAN_STARTER_LOGIN), 0);
	}
	plan_free(p);
	/* init's copy names the user running it; odd names keep the marker */
	text = plan_starter("alice");
	p = load(text);
	CHECK(p != NULL);
	CHECK_INT(diags.nwarnings, 0);
	CHECK(p && plan_person_by_login(p, "alice") == 0);
	plan_free(p);
	free(text);
	text = plan_starter("a b: c");
	CHECK(strstr(text, "login: [" PLAN_STARTER_LOGIN "]") != NULL);
	free(text);
}

/* issue 9 §5: identity, people[].login / db_user / tbd, promoters, by */
static void test_identity(void)
{
	struct plan *p;

	/* every key, read into the model; os by default once someone has a login */
	p = load("version: 1\nplan: {id: P}\npeople:\n"
		      "  - {id: ann, roles: [ops, qa], login: [ann, ann2], db_user: ann_db}\n"
		      "  - {id: ci, roles: [ci], login: runner}\n"
		      "  - {id: q-tbd, name: Someone, roles: [qa], tbd: true}\n"
		      "environments: [{name: dev, promoters: [ci]}, {name: sit}, {name: prod, promoters: [ops, ci]}]\n"
		      WAVES "projects: [{id: a, wave: wave-1}]\n"
		      "checklist: [{id: x, text: t, by: [qa], applies: {env: sit}}]\n");
	CHECK(p != NULL);
	CHECK_INT(diags.nerrors, 0);
	CHECK_INT(diags.nwarnings, 0);
	if (p) {
		CHECK_INT(p->identity, IDENTITY_OS);
		CHECK(!p->identity_set);
		CHECK_INT(p->people[0].nlogins, 2);
		CHECK_STR(p->people[0].db_user, "ann_db");
		CHECK_INT(plan_person_by_login(p, "runner"), 1);
		CHECK_INT(plan_person_by_login(p, "ann2"), 0);
		CHECK_INT(plan_person_by_login(p, "bob"), -1);
		CHECK_INT(plan_person_by_db_user(p, "ann_db"), 0);
		CHECK(p->people[2].tbd && !p->people[0].tbd);
		CHECK_STR(plan_person_display(&p->people[2]), "TBD");
		CHECK_STR(plan_person_display(&p->people[0]), "ann");
		CHECK_INT(p->envs[2].npromoters, 2);
		CHECK_STR(p->envs[2].promoters[1], "ci");
		CHECK_INT(p->items[0].nby, 1);
	}
	plan_free(p);

	/* explicit modes; claim warns, and is the default with no login */
	p = load("identity: db\n" HEAD "people: [{id: ann, roles: [ops], db_user: ann}]\n" WAVES
		 "projects: [{id: a, wave: wave-1}]\n");
	CHECK(p && p->identity == IDENTITY_DB && p->identity_set);
	CHECK_INT(diags.nwarnings, 0);
	plan_free(p);
	p = load(HEAD "people: [{id: ann, roles: [ops]}]\n" WAVES "projects: [{id: a, wave: wave-1}]\n");
	CHECK(p && p->identity == IDENTITY_CLAIM && !p->identity_set);
	CHECK_INT(diags.nwarnings, 1);
	plan_free(p);
	p = load("identity: claim\n" HEAD "people: [{id: ann, roles: [ops], login: [ann]}]\n" WAVES
		 "projects: [{id: a, wave: wave-1}]\n");
	CHECK(p && p->identity == IDENTITY_CLAIM);
	CHECK(has_diag(DIAG_WARNING, 1, 11,
		       "identity: claim: anyone can act as anyone (--as is not checked); list each person's OS users in 'login' and use 'identity: os'"));
	plan_free(p);
	p = load("identity: os\n" HEAD "people: [{id: ann, roles: [ops]}]\n" WAVES
		 "projects: [{id: a, wave: wave-1}]\n");
	CHECK(has_diag(DIAG_WARNING, 1, 11, "identity: os, but no person has a 'login': nobody can act"));
	plan_free(p);

	/* placeholders: valid, with a warning wherever they stand alone */
	p = load("version: 1\nplan: {id: P}\n"
		 "people: [{id: ann, roles: [ops], login: [ann]}, {id: q, name: TBD, roles: [qa], tbd: true}]\n"
		 "environments: [{name: dev}, {name: prod, promoters: [qa]}]\n" WAVES
		 "projects: [{id: a, wave: wave-1}]\n"
		 "gates: [{id: g, approvers: [ops, qa], before: {env: prod}}]\n"
		 "checklist: [{id: x, text: t, by: [qa], applies: {env: prod}}]\n");
	CHECK(p != NULL);
	CHECK_INT(diags.nerrors, 0);
	CHECK_INT(diags.nwarnings, 3);
	CHECK(has_diag(DIAG_WARNING, 7, 34,
		       "gate 'g' cannot pass until someone is named for role 'qa' (held only by placeholder 'q')"));
	CHECK(has_diag(DIAG_WARNING, 4, 54,
		       "environment 'prod' cannot be changed (promote, rollback, record) until a person (not a placeholder) holds one of its 'promoters' roles ('qa')"));
	CHECK(has_diag(DIAG_WARNING, 8, 35,
		       "checklist item 'x' cannot be ticked until a person (not a placeholder) holds one of its 'by' roles ('qa')"));
	plan_free(p);

	/* rules */
	rejects("identity: oss\n" HEAD WAVES "projects: [{id: a, wave: wave-1}]\n", 1, 11,
		"unknown identity 'oss'; did you mean 'os'?");
	rejects("identity: ldap\n" HEAD WAVES "projects: [{id: a, wave: wave-1}]\n", 1, 11,
		"unknown identity 'ldap'; use os, db or claim");
	rejects(HEAD "people: [{id: a, roles: [r], login: [x]}, {id: b, roles: [r], login: [y, x]}]\n" WAVES
		"projects: [{id: p, wave: wave-1}]\n",
		4, 74, "login 'x' of person 'b' is also a login of 'a'; an OS user is one person");
	rejects(HEAD "people: [{id: a, roles: [r], db_user: x}, {id: b, roles: [r], db_user: x}]\n" WAVES
		"projects: [{id: p, wave: wave-1}]\n",
		4, 43, "db_user 'x' of person 'b' is also the db_user of 'a'; a database user is one person");
	rejects(HEAD "people: [{id: a, roles: [r], login: [x]}, {id: b, roles: [r], tbd: true, login: [y]}]\n" WAVES
		"projects: [{id: p, wave: wave-1}]\n",
		4, 81, "person 'b' is a placeholder (tbd: true) and never acts; drop its 'login' or its 'tbd'");
	rejects(HEAD "people: [{id: a, roles: [r], login: [x], tbd: yes}]\n" WAVES
		"projects: [{id: p, wave: wave-1}]\n",
		4, 47, "expected true or false for 'tbd', got a string");
	rejects(HEAD "people: [{id: a, roles: [r], login: [\"x y\"]}]\n" WAVES
		"projects: [{id: p, wave: wave-1}]\n",
		4, 38, "user name 'x y' in 'login' holds a space or a control character");
	rejects("version: 1\nplan: {id: P}\npeople: [{id: a, roles: [r], login: [x]}]\n"
		"environments: [{name: dev}, {name: prod, promoters: [r, boss]}]\n" WAVES
		"projects: [{id: p, wave: wave-1}]\n",
		4, 57, "role 'boss' in 'promoters' of environment 'prod' is held by nobody in 'people'");
	rejects(HEAD "people: [{id: a, roles: [r], login: [x]}]\n" WAVES
		"projects: [{id: p, wave: wave-1}]\n"
		"checklist: [{id: x, text: t, by: [boss], applies: {env: sit}}]\n",
		7, 35, "role 'boss' in 'by' of checklist item 'x' is held by nobody in 'people'");
	rejects(HEAD "people: [{id: a, roles: [r], logins: [x]}]\n" WAVES
		"projects: [{id: p, wave: wave-1}]\n",
		4, 30, "unknown key 'logins' in person 'a'; did you mean 'login'?");
}

static void test_missing_file(void)
{
	struct plan *p;
	plan_diags_release(&diags);
	plan_diags_init(&diags, "nope.yaml");
	p = plan_load("/nonexistent/nope.yaml", &diags);
	CHECK(p == NULL);
	CHECK_INT(diags.nerrors, 1);
	CHECK(has_diag(DIAG_ERROR, 0, 0,
		       "no plan file '/nonexistent/nope.yaml'; create one with 'tollgate init' or use --plan FILE"));
}

/* Issue 9 item 4: `moved` renames ids the plan no longer has. */
static void test_moved(void)
{
	struct plan *p;
	const char *gate = "gates: [{id: g2, approvers: [r], before: {env: sit}}]\n"
			   "people: [{id: ann, roles: [r]}]\n";
	char *text;

	text = xasprintf(HEAD WAVES "projects: [{id: ledger-svc, wave: wave-1}]\n%s"
				    "checklist: [{id: i2, text: T}]\n"
				    "blockers: [{id: b2, text: T}]\n"
				    "moved:\n"
				    "  - {project: ledger, to: ledger-svc}\n"
				    "  - {env: qa, to: sit}\n"
				    "  - {gate: g1, to: g2}\n"
				    "  - {item: i1, to: i2}\n"
				    "  - {wave: w1, to: wave-2}\n"
				    "  - {blocker: b1, to: b2}\n",
			 gate);
	p = load(text);
	free(text);
	CHECK(p != NULL);
	if (p) {
		CHECK_INT(p->nmoved, 6);
		CHECK_INT(p->moved[0].kind, PLAN_KIND_PROJECT);
		CHECK_STR(p->moved[0].from, "ledger");
		CHECK_STR(p->moved[0].to, "ledger-svc");
		CHECK_INT(p->moved[0].loc.line, 11);
		CHECK_INT(p->moved[1].kind, PLAN_KIND_ENV);
		CHECK_INT(p->moved[2].kind, PLAN_KIND_GATE);
		CHECK_INT(p->moved[3].kind, PLAN_KIND_ITEM);
		CHECK_INT(p->moved[4].kind, PLAN_KIND_WAVE);
		CHECK_INT(p->moved[5].kind, PLAN_KIND_BLOCKER);
		CHECK_STR(p->moved[5].to, "b2");
	}
	plan_free(p);

#define MV HEAD WAVES "projects: [{id: ledger-svc, wave: wave-1}, {id: api, wave: wave-1}]\nmoved:\n"
	rejects(MV "  - {project: ledger, to: ledger-sv}\n", 7, 27,
		"project 'ledger' is moved to unknown project 'ledger-sv'; did you mean 'ledger-svc'?");
	rejects(MV "  - {project: api, to: ledger-svc}\n", 7, 15,
		"project 'api' is moved to 'ledger-svc' but is still in the plan; a moved id is one "
		"the plan no longer has");
	rejects(MV "  - {env: prod, to: prod}\n", 7, 21, "environment 'prod' is moved to itself; drop the entry");
	rejects(MV "  - {project: a, to: api}\n  - {project: a, to: ledger-svc}\n", 8, 15,
		"project 'a' is moved twice (also on line 7)");
	rejects(MV "  - {project: a, to: api}\n  - {project: b, to: api}\n", 8, 22,
		"project 'a' and 'b' are both moved to 'api'; their state would collide: move one and "
		"forget the other");
	rejects(MV "  - {project: a, env: b, to: api}\n", 7, 23,
		"'moved' entry 1 names two ids ('project' and 'env'); one renamed id per entry");
	rejects(MV "  - {project: a}\n", 7, 5,
		"missing required key 'to' in 'moved' entry 1 (the project's new id)");
	rejects(MV "  - {wave: w9, to: w8}\n", 7, 20,
		"wave 'w9' is moved to unknown wave 'w8'; 'to' names the id it has now");
	rejects(MV "  - {wave: w1, to: wave-2, because: x}\n", 7, 28,
		"unknown key 'because' in 'moved' entry 1");
#undef MV
}

static void test_limits(void)
{
	size_t n = 200000;
	char *deep = malloc(n + 8);
	struct plan *p;

	memcpy(deep, "a: ", 3);
	memset(deep + 3, '[', n);
	deep[n + 3] = '\0';
	p = load(deep);
	CHECK(p == NULL);
	CHECK(has_diag(DIAG_ERROR, 1, 67, "nesting deeper than 64 levels; a plan is not that deep"));
	free(deep);

	/* a plan over 32 MiB is refused before parsing */
	n = (32u << 20) + 1;
	deep = malloc(n);
	memset(deep, '#', n);
	plan_diags_release(&diags);
	plan_diags_init(&diags, "big");
	p = plan_load_buffer("big", deep, n, &diags);
	CHECK(p == NULL);
	CHECK_INT(diags.nerrors, 1);
	free(deep);
}

int main(void)
{
	plan_diags_init(&diags, "t.yaml");
	RUN(test_spec_seed);
	RUN(test_defaults_and_types);
	RUN(test_rules_reject);
	RUN(test_all_problems_reported);
	RUN(test_warnings);
	RUN(test_starter_validates);
	RUN(test_identity);
	RUN(test_missing_file);
	RUN(test_limits);
	RUN(test_moved);
	plan_diags_release(&diags);
	return TEST_DONE();
}
