/*
 * test-import.c - the import's text helpers: double-encoded UTF-8 repaired
 * (from Latin-1 and from Windows-1252 readings), valid text left alone,
 * ids from free text; and a small document mapped (a table, a task list,
 * a gate, an unknown section kept as notes).
 */
#include <stdlib.h>
#include <string.h>

#include "import/import.h"
#include "plan/plan.h"
#include "test.h"

static void repair(const char *in, const char *want, size_t want_count)
{
	size_t len = strlen(in), count = 99;
	char *out = import_repair_mojibake(in, &len, &count);
	CHECK_STR(out, want);
	CHECK_INT(len, strlen(want));
	CHECK_INT(count, want_count);
	free(out);
}

static void test_mojibake(void)
{
	/* "→" read as Windows-1252 ("â†’") and as Latin-1 (â U+0086 U+0092) */
	repair("DEV \xc3\xa2\xe2\x80\xa0\xe2\x80\x99 SIT", "DEV \xe2\x86\x92 SIT", 1);
	repair("DEV \xc3\xa2\xc2\x86\xc2\x92 SIT", "DEV \xe2\x86\x92 SIT", 1);
	/* "✅" (E2 9C 85) and a four-byte emoji "🟡" (F0 9F 9F A1) */
	repair("\xc3\xa2\xc5\x93\xe2\x80\xa6 ok", "\xe2\x9c\x85 ok", 1);
	repair("\xc3\xb0\xc5\xb8\xc5\xb8\xc2\xa1 M", "\xf0\x9f\x9f\xa1 M", 1);
	/* valid text that merely has Latin-1 letters stays */
	repair("caf\xc3\xa9 na\xc3\xafve \xe2\x86\x92", "caf\xc3\xa9 na\xc3\xafve \xe2\x86\x92", 0);
	/* a character cut short by a byte the tool replaced with U+FFFD
	 * ("ðŸ”�" for "🔍"): lost, and said so */
	repair("\xc3\xb0\xc5\xb8\xe2\x80\x9d\xef\xbf\xbd Fix", "\xef\xbf\xbd Fix", 1);
	/* a lead byte without its continuation is not a character: left */
	repair("\xc3\xa2 alone", "\xc3\xa2 alone", 0);
	repair("", "", 0);
}

static void test_slug(void)
{
	char *s;
	s = import_slug("All API tests passing (99.43%, 80%+, 80%+)", 6);
	CHECK_STR(s, "all-api-tests-passing");
	free(s);
	s = import_slug("api_infra (40%)", 4);
	CHECK_STR(s, "api_infra");
	free(s);
	s = import_slug("What's deploying today?", 6);
	CHECK_STR(s, "whats-deploying-today");
	free(s);
	s = import_slug("(Today)", 6);
	CHECK_STR(s, "item");
	free(s);
	s = import_slug("word eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", 3);
	CHECK_INT(strlen(s), IMPORT_ID_MAX);
	CHECK(!strncmp(s, "word-eeee", 9));
	free(s);
	s = import_slug("one two three four five six seven", 3);
	CHECK_STR(s, "one-two-three");
	free(s);
}

static void test_small_document(void)
{
	static const char doc[] =
		"# Small: QA \xe2\x86\x92 LIVE\n\n**Plan ID**: SMALL-1\n**Created**: 2026-03-01\n\n"
		"## Waves\n\n### Wave 1: Core (Mar 2 - Mar 9)\n\n"
		"| # | Project | LIVE Target | Owner |\n|---|---|---|---|\n| 1 | api | Mar 5 | Ops |\n\n"
		"**Prerequisites:**\n- [x] Tests green\n- [ ] Docs written\n\n"
		"## Gates\n\n### Gate 1: Go (PASSED)\n- **Approvers:** Ops Lead\n- **Criteria:** Tests green\n\n"
		"### Gate 2: Live (PENDING)\n- **Approvers:** Ops Lead and QA Lead, Security Off\n\n"
		"## Trivia\n\nSome words.\n";
	struct import_result r;
	struct err e;
	size_t ticks = 0, gates = 0;
	err_init(&e);
	CHECK_INT(import_markdown("small.md", doc, sizeof(doc) - 1, &r, &e), 0);
	CHECK(strstr(r.yaml, "id: SMALL-1") != NULL);
	CHECK(strstr(r.yaml, "- name: qa") != NULL);
	CHECK(strstr(r.yaml, "- name: live") != NULL);
	CHECK(strstr(r.yaml, "targets: {live: 2026-03-05}") != NULL);
	CHECK(strstr(r.yaml, "window: {from: 2026-03-02, to: 2026-03-09}") != NULL);
	CHECK(strstr(r.yaml, "prerequisites: [tests-green, docs-written]") != NULL);
	CHECK(strstr(r.yaml, "criteria: [tests-green]") != NULL);
	CHECK(strstr(r.yaml, "{id: ops-lead-tbd, name: TBD, roles: [ops-lead], tbd: true}") != NULL);
	/* "A and B": both are role ids (the first was once kept as written,
	 * and the imported plan did not load) */
	CHECK(strstr(r.yaml, "approvers: [ops-lead, qa-lead, security-off]") != NULL);
	CHECK(strstr(r.yaml, "roles: [qa-lead]") != NULL);
	CHECK(strstr(r.yaml, "- title: Trivia\n  text: Some words.") != NULL);
	for (size_t i = 0; i < r.nfacts; i++) {
		ticks += r.facts[i].kind == IMPORT_TICK;
		gates += r.facts[i].kind == IMPORT_GATE;
	}
	CHECK_INT(ticks, 1);
	CHECK_INT(gates, 1); /* the passed one: its approvals are state */
	CHECK_STR(r.source_env, "qa");
	import_result_release(&r);

	err_init(&e);
	CHECK_INT(import_markdown("x.md", "   \n", 4, &r, &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
	err_init(&e);
	CHECK_INT(import_markdown("x.md", "a\0b", 3, &r, &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
}

/* A "Depends on" column names projects by id or title; a word that names
 * none (a status in a column that only looked like one, a project of
 * another plan) is left out and said: the imported plan must load. */
static void test_depends_column(void)
{
	static const char doc[] =
		"# Deps: QA \xe2\x86\x92 LIVE\n\n**Plan ID**: DEPS-1\n\n"
		"## Waves\n\n### Wave 1: Core (Mar 2 - Mar 9)\n\n"
		"| # | Project | Title | Depends On | Owner |\n|---|---|---|---|---|\n"
		"| 1 | api | Public API | none | Ops |\n"
		"| 2 | web | Web front | Public API | Ops |\n"
		"| 3 | worker | Worker | api, Billing Service, worker | Ops |\n";
	struct import_result r;
	struct err e;
	int said = 0;
	err_init(&e);
	CHECK_INT(import_markdown("deps.md", doc, sizeof(doc) - 1, &r, &e), 0);
	/* web by api's title, worker by its id; nothing else is kept */
	{
		int n = 0;
		for (const char *q = r.yaml; (q = strstr(q, "depends_on:")); q++)
			n += !strncmp(q, "depends_on: [api]\n", 18) ? 1 : 100;
		CHECK_INT(n, 2);
	}
	for (size_t i = 0; i < r.decide.n; i++)
		said += strstr(r.decide.v[i].text, "\"Billing Service\", which is no project") != NULL ||
			strstr(r.decide.v[i].text, "\"worker\", which is the project itself") != NULL;
	CHECK_INT(said, 2);
	{
		struct plan_diags d;
		struct plan *p;
		plan_diags_init(&d, "deps.yaml");
		p = plan_load_buffer("deps.yaml", r.yaml, r.yaml_len, &d);
		CHECK(p != NULL);
		plan_free(p);
		plan_diags_release(&d);
	}
	import_result_release(&r);
}

int main(void)
{
	RUN(test_mojibake);
	RUN(test_slug);
	RUN(test_small_document);
	RUN(test_depends_column);
	return TEST_DONE();
}
