/*
 * test-plan-cache.c - a plan read back from its compiled cache must be the
 * plan parsed from YAML: the JSON report (which prints every part of the
 * model) and the markdown report are compared byte for byte; a cut-short,
 * foreign, stale or disabled cache, or the address being taken, falls back
 * to parsing.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/state.h"
#include "plan/plan.h"
#include "report/report.h"
#include "test.h"

static char dir[256];
static char plan_path[300];
static char cache_path[320];

static char *render(struct plan *p, enum report_format f)
{
	struct state st;
	struct strbuf sb = STRBUF_INIT;
	struct err e;
	err_init(&e);
	state_init_empty(&st, p);
	CHECK(report_render(p, &st, f, 1767950000, &sb, &e) == 0);
	state_release(&st);
	return strbuf_detach(&sb);
}

static struct plan *load(bool cached)
{
	struct plan_diags d;
	struct plan *p;
	plan_diags_init(&d, plan_path);
	p = cached ? plan_load_cached(plan_path, &d) : plan_load(plan_path, &d);
	CHECK(p != NULL);
	CHECK_INT(d.nerrors, 0);
	plan_diags_release(&d);
	return p;
}

static void copy_example(void)
{
	const char *src = getenv("TOLLGATE_SRC");
	char *cmd;
	snprintf(dir, sizeof(dir), "/tmp/tollgate-plan-cache.XXXXXX");
	if (!mkdtemp(dir))
		BUG("mkdtemp");
	snprintf(plan_path, sizeof(plan_path), "%s/tollgate.yaml", dir);
	snprintf(cache_path, sizeof(cache_path), "%s/.tollgate/tollgate.yaml.cache", dir);
	cmd = xasprintf("cp '%s/examples/q1-2026/tollgate.yaml' '%s'", src ? src : ".", plan_path);
	CHECK(system(cmd) == 0);
	free(cmd);
}

static void test_same_plan(void)
{
	struct plan *parsed = load(false), *first = load(true), *second;
	char *a, *b, *c, *am, *cm;
	struct stat st;

	CHECK(first->cache_image == NULL); /* first run: parsed, cache written */
	CHECK(stat(cache_path, &st) == 0);
	second = load(true);
	CHECK(second->cache_image != NULL); /* second run: read back */
	a = render(parsed, REPORT_JSON);
	b = render(first, REPORT_JSON);
	c = render(second, REPORT_JSON);
	CHECK_STR(a, b);
	CHECK_STR(a, c);
	am = render(parsed, REPORT_MD);
	cm = render(second, REPORT_MD);
	CHECK_STR(am, cm);
	/* the lookups work on the rebuilt maps */
	CHECK(plan_project_index(second, "backend_public") ==
	      plan_project_index(parsed, "backend_public"));
	CHECK(plan_gate_index(second, "gate-3") >= 0);
	CHECK_STR(second->path, plan_path);
	CHECK_STR(second->dir, dir);
	for (size_t i = 0; i < parsed->nprojects; i++)
		CHECK_INT(second->topo[i], parsed->topo[i]);
	free(a), free(b), free(c), free(am), free(cm);
	plan_free(parsed);
	plan_free(first);
	plan_free(second);
}

static void test_damaged_cache(void)
{
	struct plan *p, *q;
	struct stat st;
	FILE *f;

	/* a cut-short cache (its size no longer matches its header) */
	CHECK(stat(cache_path, &st) == 0);
	CHECK(truncate(cache_path, st.st_size - 100) == 0);
	p = load(true);
	CHECK(p->cache_image == NULL);
	CHECK(plan_project_index(p, "order_lambda") >= 0);
	plan_free(p);
	p = load(true); /* rewritten by the load above */
	CHECK(p->cache_image != NULL);

	/* a second plan while the first is mapped: parsed, not mapped over it */
	q = load(true);
	CHECK(q->cache_image == NULL);
	CHECK(plan_project_index(q, "order_lambda") == plan_project_index(p, "order_lambda"));
	plan_free(q);
	plan_free(p);

	/* a header that is not ours */
	f = fopen(cache_path, "r+b");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs("GARBAGE!", f);
	fclose(f);
	p = load(true);
	CHECK(p->cache_image == NULL);
	plan_free(p);
	p = load(true);
	CHECK(p->cache_image != NULL);
	plan_free(p);
}

static void test_changed_plan(void)
{
	struct plan *p;
	char *cmd = xasprintf("sed -i 's/title: Core APIs/title: Core APIs v2/' '%s'", plan_path);
	CHECK(system(cmd) == 0);
	free(cmd);
	p = load(true);
	CHECK(p->cache_image == NULL);
	CHECK_STR(p->waves[0].title, "Core APIs v2");
	plan_free(p);
	p = load(true);
	CHECK(p->cache_image != NULL);
	CHECK_STR(p->waves[0].title, "Core APIs v2");
	plan_free(p);
}

static void test_disabled(void)
{
	struct plan *p;
	setenv("TOLLGATE_NO_PLAN_CACHE", "1", 1);
	p = load(true);
	CHECK(p->cache_image == NULL);
	plan_free(p);
	unsetenv("TOLLGATE_NO_PLAN_CACHE");
}

int main(void)
{
	char *cmd;
	copy_example();
	RUN(test_same_plan);
	RUN(test_damaged_cache);
	RUN(test_changed_plan);
	RUN(test_disabled);
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	return TEST_DONE();
}
