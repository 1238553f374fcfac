/*
 * test-forecast.c - the forecast engine (engine/forecast.h) driven directly:
 * states built by hand (deploying, rolled back, held, failed), expected
 * durations given per project, a wave order and a dependency that wait on
 * each other (a cycle: no forecast), and forecast_at_risk for the digest.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/encode.h"
#include "engine/forecast.h"
#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"
#include "test.h"

static const char plan_text[] =
	"version: 1\n"
	"plan: {id: unit, title: unit}\n"
	"environments:\n"
	"  - {name: dev}\n"
	"  - {name: sit, soak: 1h}\n"
	"  - {name: prod, soak: 2h}\n"
	"people:\n"
	"  - {id: olga, roles: [ops]}\n"
	"waves:\n"
	"  - {id: w}\n"
	"projects:\n"
	"  - {id: dep, wave: w, targets: {sit: 2026-03-02}}\n"
	"  - {id: roll, wave: w, targets: {prod: 2026-03-02}}\n"
	"  - {id: held, wave: w}\n"
	"  - {id: bad, wave: w}\n";

static const char cycle_text[] =
	"version: 1\n"
	"plan: {id: cyc, title: cyc}\n"
	"environments:\n"
	"  - {name: dev}\n"
	"  - {name: sit}\n"
	"people:\n"
	"  - {id: olga, roles: [ops]}\n"
	"waves:\n"
	"  - {id: a}\n"
	"  - {id: b, after: {wave: a, env: sit}}\n"
	"projects:\n"
	"  - {id: a1, wave: a, depends_on: [b1], targets: {sit: 2026-03-03}}\n"
	"  - {id: b1, wave: b}\n";

static const char freeze_text[] =
	"version: 1\n"
	"plan: {id: frz, title: frz}\n"
	"environments:\n"
	"  - {name: dev}\n"
	"  - name: prod\n"
	"    freeze:\n"
	"      - {from: 2026-03-01T00:00:00Z, to: 2026-03-03T00:00:00Z, why: \"the \\\"peak\\\" — März\"}\n"
	"people:\n"
	"  - {id: olga, roles: [ops]}\n"
	"waves:\n"
	"  - {id: w}\n"
	"projects:\n"
	"  - {id: a, wave: w, targets: {prod: 2026-03-02}}\n"
	"gates:\n"
	"  - {id: g, approvers: [ops], before: {env: prod}}\n";

static const int64_t now = 1772442000; /* 2026-03-02T09:00:00Z */

static struct plan *load(const char *text)
{
	struct plan_diags d;
	struct plan *p;
	plan_diags_init(&d, "unit.yaml");
	p = plan_load_buffer("unit.yaml", text, strlen(text), &d);
	if (!p) {
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%d:%d: %s\n", d.v[i].line, d.v[i].col, d.v[i].msg);
		exit(2);
	}
	plan_diags_release(&d);
	return p;
}

static const struct forecast_cell *cell(const struct forecast *f, const struct plan *p,
					const char *project, int env)
{
	int i = f->cell_of[(size_t)plan_project_index(p, project) * p->nenvs + (size_t)env];
	return i >= 0 ? &f->cells[i] : NULL;
}

static void test_states(void)
{
	struct plan *p = load(plan_text);
	struct state st;
	struct forecast f;
	struct forecast_opts o = FORECAST_OPTS_INIT;
	int64_t dur[4] = { 300, 60, 60, 60 };
	const struct forecast_cell *c;
	int dep = plan_project_index(p, "dep"), roll = plan_project_index(p, "roll");
	int held = plan_project_index(p, "held"), bad = plan_project_index(p, "bad");

	state_init_empty(&st, p);
	for (int i = 0; i < 4; i++)
		state_set_cell(&st, i, 0, STATE_HEALTHY, "1", NULL, now - 86400, 0);
	/* deploying for 2 minutes of its 5: soaking at 09:03, healthy 10:03 */
	state_set_cell(&st, dep, 1, STATE_DEPLOYING, "1", NULL, now - 120, 0);
	state_set_cell(&st, roll, 1, STATE_ROLLED_BACK, "1", NULL, now - 600, 0);
	state_set_cell(&st, held, 1, STATE_ROLLED_BACK, "1", NULL, now - 600, 0);
	state_set_rollbacks(&st, held, 1, READY_HOLD_COUNT);
	state_set_cell(&st, bad, 1, STATE_FAILED, "1", NULL, now - 600, 0);
	o.durations = dur;
	forecast_compute(&f, p, &st, now, &o);

	c = cell(&f, p, "dep", 1);
	CHECK(c != NULL);
	CHECK_INT(c->start, now - 120);
	CHECK_INT(c->healthy, now + 180 + 3600);
	CHECK_STR(c->because[0], "deploying in sit since Mar 2 08:58");
	CHECK(!c->at_risk && c->slack_days == 0);
	CHECK(!cell(&f, p, "dep", 0)); /* healthy: not listed */

	c = cell(&f, p, "roll", 1);
	CHECK(c->conditional);
	CHECK_STR(c->because[0], "rolled back in sit (1 rejected): assumes a new version or allow now");
	CHECK_INT(c->healthy, now + 60 + 3600);
	c = cell(&f, p, "roll", 2);
	CHECK(c->conditional);
	CHECK_INT(c->healthy, now + 60 + 3600 + 60 + 7200);
	CHECK(c->at_risk == false); /* Mar 2 12:02, before the end of the day */

	CHECK_STR(cell(&f, p, "held", 1)->because[0],
		  "held in sit after 3 rollbacks: assumes promote --retry-held now");
	CHECK_STR(cell(&f, p, "bad", 1)->because[0],
		  "failed in sit since Mar 2 08:50: assumes a person repairs it now");
	CHECK(forecast_cell_at_risk(&f, roll, 2) == false);
	forecast_release(&f);

	/* a day later, roll's prod target is out of reach */
	{
		struct forecast_risk *r;
		size_t n = forecast_at_risk(p, &st, now + 86400, dur, &r);
		CHECK_INT(n, 2);
		CHECK_INT(r[0].project, dep);
		CHECK_INT(r[0].env, 1);
		CHECK_INT(r[1].project, roll);
		CHECK_INT(r[1].env, 2);
		CHECK_INT(r[1].healthy, now + 86400 + 60 + 3600 + 60 + 7200);
		free(r);
	}
	state_release(&st);
	plan_free(p);
}

static void test_cycle(void)
{
	struct plan *p = load(cycle_text);
	struct state st;
	struct forecast f;
	const struct forecast_cell *c;

	state_init_empty(&st, p);
	state_set_cell(&st, 0, 0, STATE_HEALTHY, "1", NULL, now, 0);
	state_set_cell(&st, 1, 0, STATE_HEALTHY, "1", NULL, now, 0);
	forecast_compute(&f, p, &st, now, NULL);
	c = cell(&f, p, "a1", 1);
	CHECK(c != NULL);
	CHECK_INT(c->healthy, 0);
	CHECK(c->at_risk);
	CHECK_STR(c->because[0],
		  "cannot be forecast: its dependencies and wave order wait on each other");
	forecast_release(&f);
	state_release(&st);
	plan_free(p);
}

static void test_assume_parse(void)
{
	struct plan *p = load(plan_text);
	struct forecast_assume a;
	struct err e;

	forecast_assume_init(&a, p);
	err_init(&e);
	CHECK_INT(forecast_assume_parse(&a, p, "soak:sit=2h", &e), 0);
	CHECK_INT(a.soak[1], 7200);
	CHECK_INT(a.soak[2], -1);
	CHECK_INT(forecast_assume_parse(&a, p, "freeze:none", &e), 0);
	CHECK(a.no_freeze);
	CHECK_INT(forecast_assume_parse(&a, p, "gate:x=2026-01-01", &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
	err_init(&e);
	CHECK_INT(forecast_assume_parse(&a, p, "soak:sit=", &e), -1);
	forecast_assume_release(&a);
	plan_free(p);
}

/* forecast --json's text (encode_forecast_text) is the report's tree
 * (encode_forecast) laid out, escapes included */
static void test_encode_same(void)
{
	struct plan *p = load(freeze_text);
	struct state st;
	struct forecast f;
	struct strbuf sb = STRBUF_INIT;
	json_t *tree, *text;
	json_error_t jerr;

	state_init_empty(&st, p);
	forecast_compute(&f, p, &st, now, NULL);
	CHECK_INT(f.ncells, 2);
	CHECK_STR(f.cells[1].because[1], "prod frozen until Mar 3 (the \"peak\" — März)");
	CHECK_INT(f.ndeadlines, 1);
	encode_forecast_text(&f, &sb);
	tree = encode_forecast(&f);
	text = json_loads(sb.buf, 0, &jerr);
	CHECK(text != NULL);
	CHECK(text && json_equal(tree, text));
	json_decref(tree);
	json_decref(text);
	strbuf_release(&sb);
	forecast_release(&f);
	state_release(&st);
	plan_free(p);
}

int main(void)
{
	RUN(test_states);
	RUN(test_cycle);
	RUN(test_assume_parse);
	RUN(test_encode_same);
	return TEST_DONE();
}
