/*
 * test-encode.c - the queries (engine/query.h) and their JSON (engine/encode.h)
 * on a real SQLite store with the fixture tests/fixtures/state-small.yaml:
 * the board's cells (live and failed versions, late marks, incidents and
 * blockers), why and next, every document parsed back; a version JSON must
 * escape goes through jansson; errors carry their reason's name; the CLI
 * layout puts one array element a line.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/encode.h"
#include "engine/query.h"
#include "plan/plan.h"
#include "store/store.h"
#include "test.h"

static struct plan *plan;
static struct store *store;
static int64_t t0; /* 2026-01-10T09:00:00Z */

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	if (!j)
		fprintf(stderr, "not JSON (%s at %d): %s\n", je.text, je.position, text);
	CHECK(j != NULL);
	return j;
}

/* The cell of project in env in a parsed board, or NULL. */
static json_t *board_cell(json_t *board, const char *project, const char *env)
{
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(board, "cells"), i, c)
		if (!strcmp(json_string_value(json_object_get(c, "project")), project) &&
		    !strcmp(json_string_value(json_object_get(c, "env")), env))
			return c;
	return NULL;
}

static const char *jget(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void change(const char *action, void (*fn)(void))
{
	struct err e;
	err_init(&e);
	CHECK_INT(store_begin_change(store, t0, "tom", action, "x", NULL, &e), 0);
	fn();
	CHECK_INT(store_commit_change(store, NULL, &e), 0);
}

static void rolled_back_api(void)
{
	struct store_promotion p = { 0 };
	struct err e;
	err_init(&e);
	p.project = "api";
	p.env = "sit";
	p.state = STATE_ROLLED_BACK;
	p.version = "v2\"quoted\\";
	p.previous_version = "v1";
	p.run_id = "run-1";
	p.detail = "verify failed";
	CHECK_INT(store_set_promotion(store, &p, &e), 0);
}

static void open_incident(void)
{
	struct err e;
	int64_t id;
	err_init(&e);
	CHECK_INT(store_open_incident(store, 1, "sit", "api", "slow \"cold\" start", "tom", &id, &e), 0);
}

static void test_board(void)
{
	struct status_board b;
	struct strbuf sb = STRBUF_INIT;
	struct err e;
	json_t *j, *c;
	int64_t later = t0 + 5 * 86400;

	err_init(&e);
	CHECK_INT(store_record_version(store, t0, "ci", "api", "dev", "v2\"quoted\\", &e), 0);
	change("promotion.rolled-back", rolled_back_api);
	change("incident.open", open_incident);
	CHECK_INT(status_board(&b, plan, store, later, -1, -1, &e), 0);
	CHECK_INT(b.nenvs_shown, 3);
	CHECK_INT(b.nprojects, 3);
	CHECK_INT(b.ncells, 9);
	CHECK_INT(b.nwaves, 2);
	CHECK_INT(b.nincidents, 1);
	CHECK_INT(b.nblockers, 1);
	CHECK_INT(encode_status_board(&b, &sb), 0);
	j = parse(sb.buf);
	CHECK_STR(jget(j, "plan"), "TEST-READY");
	CHECK_STR(jget(j, "now"), "2026-01-15T09:00:00Z");
	c = board_cell(j, "api", "sit");
	CHECK(c != NULL);
	CHECK_STR(jget(c, "state"), "rolled-back");
	CHECK_STR(jget(c, "version"), "v2\"quoted\\");
	CHECK_STR(jget(c, "live_version"), "v1");
	CHECK_STR(jget(c, "failed_version"), "v2\"quoted\\");
	CHECK(json_is_true(json_object_get(c, "late")));
	CHECK_STR(jget(c, "target"), "2026-01-10");
	CHECK_STR(jget(c, "wave"), "wave-1");
	CHECK(json_is_null(json_object_get(c, "soak_until")));
	c = board_cell(j, "api", "dev");
	CHECK_STR(jget(c, "live_version"), "v2\"quoted\\");
	CHECK(json_object_get(c, "failed_version") == NULL);
	CHECK(json_is_false(json_object_get(c, "late")));
	c = board_cell(j, "db", "prod");
	CHECK(json_is_null(json_object_get(c, "version")) && json_is_null(json_object_get(c, "since")));
	c = json_array_get(json_object_get(j, "incidents"), 0);
	CHECK_STR(jget(c, "text"), "slow \"cold\" start");
	CHECK_STR(jget(c, "project"), "api");
	CHECK_INT(json_integer_value(json_object_get(c, "level")), 1);
	c = json_array_get(json_object_get(j, "blockers"), 0);
	CHECK_STR(jget(c, "id"), "api_infra");
	CHECK_STR(jget(c, "blocks"), "sit");
	/* the layout: one cell a line */
	CHECK(strstr(sb.buf, "\n    {\"project\": \"api\", \"env\": \"dev\", \"state\": \"healthy\"") != NULL);
	json_decref(j);
	strbuf_release(&sb);
	status_board_release(&b);

	/* one env, one wave */
	CHECK_INT(status_board(&b, plan, store, later, 1, 1, &e), 0);
	CHECK_INT(b.nenvs_shown, 1);
	CHECK_INT(b.envs[0], 1);
	CHECK_INT(b.nwaves, 1);
	CHECK_INT(b.nprojects, 2);
	CHECK_INT(b.cells[0].project, plan_project_index(plan, "db"));
	status_board_release(&b);
}

static void test_why_next(void)
{
	struct ready_why w;
	struct ready_next n;
	struct strbuf sb = STRBUF_INIT;
	struct err e;
	json_t *j, *o;

	err_init(&e);
	CHECK_INT(ready_why(&w, plan, store, t0, plan_project_index(plan, "api"), 1, NULL, &e), 0);
	CHECK(!w.result.ready);
	o = encode_why(plan, &w);
	CHECK_INT(encode_text(o, &sb), 0);
	json_decref(o);
	j = parse(sb.buf);
	CHECK_STR(jget(j, "project"), "api");
	CHECK_STR(jget(j, "env"), "sit");
	CHECK(json_is_false(json_object_get(j, "ready")));
	CHECK_INT(json_array_size(json_object_get(j, "rules")), RULE_COUNT);
	CHECK_STR(jget(json_array_get(json_object_get(j, "rules"), 0), "rule"), "source");
	/* each rule on its own line */
	CHECK(strstr(sb.buf, "\n    {\"rule\": \"source\", \"ok\": true") != NULL);
	json_decref(j);
	strbuf_reset(&sb);
	ready_why_release(&w);
	/* the first environment takes no promotion */
	CHECK(ready_why(&w, plan, store, t0, 0, 0, NULL, &e) < 0);
	CHECK(err_is(&e, REASON_INVALID));

	err_init(&e);
	CHECK_INT(ready_next(&n, plan, store, t0, NULL, &e), 0);
	o = encode_next(plan, &n);
	CHECK_INT(encode_text(o, &sb), 0);
	json_decref(o);
	j = parse(sb.buf);
	CHECK(json_is_array(json_object_get(j, "ready")));
	CHECK_INT(json_array_size(json_object_get(j, "ready")), n.n);
	json_decref(j);
	strbuf_release(&sb);
	ready_next_release(&n);
}

static void test_error(void)
{
	struct err e;
	struct strbuf sb = STRBUF_INIT;
	json_t *j;
	err_init(&e);
	err_setr(&e, ERR_NOT_READY, REASON_BUSY, "being promoted by run %s", "r-1");
	j = encode_error(&e);
	CHECK_INT(encode_text(j, &sb), 0);
	json_decref(j);
	CHECK_STR(sb.buf, "{\n  \"error\": {\n    \"code\": \"busy\",\n"
			  "    \"message\": \"being promoted by run r-1\"\n  }\n}\n");
	strbuf_release(&sb);
	/* no reason given: the code's */
	err_init(&e);
	err_set(&e, ERR_USAGE, "bad \"input\"");
	j = encode_error(&e);
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "error"), "code")), "invalid");
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "error"), "message")),
		  "bad \"input\"");
	json_decref(j);
}

int main(void)
{
	struct plan_diags d;
	const char *src = getenv("TOLLGATE_SRC");
	char *path = xasprintf("%s/tests/fixtures/state-small.yaml", src ? src : ".");
	char dir[] = "/tmp/test-encode.XXXXXX";
	char *url;
	struct err e;

	plan_diags_init(&d, path);
	plan = plan_load(path, &d);
	if (!plan || !mkdtemp(dir))
		return 1;
	url = xasprintf("sqlite:%s/state.db", dir);
	err_init(&e);
	if (store_open(&store, plan, url, &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	util_parse_time("2026-01-10T09:00:00Z", &t0);

	RUN(test_board);
	RUN(test_why_next);
	RUN(test_error);

	store_close(store);
	{
		char *rm = xasprintf("rm -rf '%s'", dir);
		CHECK_INT(system(rm), 0);
		free(rm);
	}
	free(url);
	plan_free(plan);
	plan_diags_release(&d);
	free(path);
	return TEST_DONE();
}
