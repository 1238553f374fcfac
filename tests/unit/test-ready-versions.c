/*
 * test-ready-versions.c - the versions file of `record --versions` (lines
 * "PROJECT VERSION", comments, blanks) and the id lookups with their
 * did-you-mean messages, on tests/fixtures/state-small.yaml.
 */
#include <stdlib.h>

#include "engine/actions.h"
#include "plan/plan.h"
#include "test.h"

static struct plan *plan;

/* l is zeroed by the caller once, and released here before each parse:
 * action_parse_versions leaves the problems of a failed parse in it */
static int parse(const char *text, struct action_versions *l, struct err *e)
{
	action_versions_release(l);
	err_init(e);
	return action_parse_versions(plan, "v.txt", text, strlen(text), l, e);
}

static void test_good(void)
{
	struct action_versions l = { 0 };
	struct err e;
	CHECK_INT(parse("# header\n\napi v1\r\n  db\td-2 # trailing comment\nweb w/3", &l, &e), 0);
	CHECK_INT(l.n, 3);
	CHECK_STR(l.v[0].project, "api");
	CHECK_STR(l.v[0].version, "v1");
	CHECK_INT(l.v[0].line, 3);
	CHECK_STR(l.v[1].project, "db");
	CHECK_STR(l.v[1].version, "d-2");
	CHECK_STR(l.v[2].version, "w/3");
	CHECK_INT(l.v[2].line, 5);
	action_versions_release(&l);
}

static void test_bad(void)
{
	struct action_versions l = { 0 };
	struct err e;
	CHECK_INT(parse("api v1\napy v2\n", &l, &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
	CHECK_STR(e.msg, "v.txt:2: unknown project 'apy'; did you mean 'api'?");
	CHECK_INT(l.n, 0);
	CHECK_INT(parse("api v1 extra\n", &l, &e), -1);
	CHECK_STR(e.msg, "v.txt:1: expected 'PROJECT VERSION', got 'api v1 extra'");
	CHECK_INT(parse("db\n", &l, &e), -1);
	CHECK_STR(e.msg, "v.txt:1: expected 'PROJECT VERSION', got 'db'");
	CHECK_INT(parse("db d1\nweb w1\ndb d2\n", &l, &e), -1);
	CHECK_STR(e.msg, "v.txt:3: project 'db' is already on line 1");
	CHECK_INT(parse("# nothing\n\n", &l, &e), -1);
	CHECK_STR(e.msg, "v.txt: no 'PROJECT VERSION' line; nothing to record");
	action_versions_release(&l);
	err_init(&e);
	CHECK_INT(action_parse_versions(plan, "v.txt", "api v1\n\0x y\n", 12, &l, &e), -1);
	CHECK_STR(e.msg, "v.txt:2: a NUL byte; expected 'PROJECT VERSION'");
	CHECK_INT(parse("api v1\ndb caf\xe9\n", &l, &e), -1);
	CHECK_STR(e.msg, "v.txt:2:7: not valid UTF-8 (byte 0xe9); save the file as UTF-8");
	CHECK_INT(l.n, 0);
	action_versions_release(&l);
	/* every bad line is reported, each FILE:LINE:, the version checked as
	 * the store would (no 'line N:' of its own) */
	CHECK_INT(parse("api v1\nnope 2\ndb \"x\x01y\"\nweb w1\napi v2\n", &l, &e), -1);
	CHECK_STR(e.msg, "v.txt: 3 bad lines; nothing recorded");
	CHECK(err_is(&e, REASON_INVALID));
	CHECK_INT(l.n, 0);
	CHECK_INT(l.nproblems, 3);
	if (l.nproblems == 3) {
		CHECK_STR(l.problems[0], "v.txt:2: unknown project 'nope'");
		CHECK_STR(l.problems[1], "v.txt:3: version '\"x\x01y\"' holds a control character");
		CHECK_STR(l.problems[2], "v.txt:5: project 'api' is already on line 1");
	}
	action_versions_release(&l);
	CHECK_INT(parse("api v1\napy v2\n", &l, &e), -1);
	CHECK(err_is(&e, REASON_NOT_FOUND));
	action_versions_release(&l);
}

static void test_lookups(void)
{
	struct err e;
	err_init(&e);
	CHECK_INT(action_find_project(plan, "web", &e), plan_project_index(plan, "web"));
	CHECK_INT(action_find_env(plan, "prodd", &e), -1);
	CHECK_STR(e.msg, "unknown environment 'prodd'; did you mean 'prod'?");
	err_init(&e);
	CHECK_INT(action_find_gate(plan, "nothing-like-it", &e), -1);
	CHECK_STR(e.msg, "unknown gate 'nothing-like-it'; the plan's 'gates' lists the ids");
	err_init(&e);
	CHECK_INT(action_find_item(plan, "sit-redy", &e), -1);
	CHECK_STR(e.msg, "unknown checklist item 'sit-redy'; did you mean 'sit-ready'?");
	err_init(&e);
	CHECK_INT(action_find_blocker(plan, "api-infra", &e), -1);
	CHECK_STR(e.msg, "unknown blocker 'api-infra'; did you mean 'api_infra'?");
	err_init(&e);
	CHECK_INT(action_find_wave(plan, "wave2", &e), -1);
	CHECK_STR(e.msg, "unknown wave 'wave2'; did you mean 'wave-2'?");
	{
		struct action_ctx c = { plan, NULL, 0, "pauala" };
		err_init(&e);
		CHECK_INT(action_find_actor(&c, &e), -1);
		CHECK_STR(e.msg, "unknown person 'pauala'; did you mean 'paula'?");
		c.actor = NULL;
		err_init(&e);
		CHECK_INT(action_find_actor(&c, &e), -1);
		CHECK_INT(e.code, ERR_USAGE);
	}
}

int main(void)
{
	struct plan_diags d;
	const char *src = getenv("TOLLGATE_SRC");
	char *path = xasprintf("%s/tests/fixtures/state-small.yaml", src ? src : ".");

	plan_diags_init(&d, path);
	plan = plan_load(path, &d);
	if (!plan) {
		fprintf(stderr, "%s: cannot load the fixture\n", path);
		return 1;
	}
	RUN(test_good);
	RUN(test_bad);
	RUN(test_lookups);
	plan_free(plan);
	plan_diags_release(&d);
	free(path);
	return TEST_DONE();
}
