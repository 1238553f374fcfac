/*
 * test-report.c - the living master plan rendered from a fixture plan
 * (tests/fixtures/report-small.yaml) with an empty and a filled state:
 * sections, rows, checkboxes, gate status, dependency sentences, escaping of
 * hostile plan strings, and the JSON shape.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/plan.h"
#include "report/report-int.h"
#include "engine/ready.h"
#include "engine/state.h"
#include "report/report.h"
#include "test.h"

static struct plan *load_fixture(void)
{
	const char *src = getenv("TOLLGATE_SRC");
	char path[1024];
	struct plan_diags d;
	struct plan *p;
	snprintf(path, sizeof(path), "%s/tests/fixtures/report-small.yaml", src ? src : "..");
	plan_diags_init(&d, path);
	p = plan_load(path, &d);
	if (!p)
		for (size_t i = 0; i < d.n; i++)
			fprintf(stderr, "%s:%d:%d: %s\n", path, d.v[i].line, d.v[i].col, d.v[i].msg);
	plan_diags_release(&d);
	return p;
}

static int64_t T(const char *s)
{
	int64_t t = 0;
	if (util_parse_time(s, &t) < 0)
		abort();
	return t;
}

static char *render(const struct plan *p, const struct state *st, enum report_format f,
		    const char *now)
{
	struct strbuf sb = STRBUF_INIT;
	struct err e;
	err_init(&e);
	CHECK(report_render(p, st, f, T(now), &sb, &e) == 0);
	return strbuf_detach(&sb);
}

static bool has(const char *hay, const char *needle)
{
	bool ok = strstr(hay, needle) != NULL;
	if (!ok)
		fprintf(stderr, "  missing: %s\n", needle);
	return ok;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *s = strstr(hay, needle); s; s = strstr(s + 1, needle))
		n++;
	return n;
}

/* The line of text holding needle (a static copy), or "". */
static const char *line_of(const char *hay, const char *needle)
{
	static char line[2048];
	const char *s = strstr(hay, needle), *b, *e;
	if (!s)
		return "";
	for (b = s; b > hay && b[-1] != '\n'; b--)
		;
	e = strchr(s, '\n');
	if (!e)
		e = s + strlen(s);
	snprintf(line, sizeof(line), "%.*s", (int)(e - b), b);
	return line;
}

static const char *const headings[] = {
	"## Executive Summary", "## Promotion Waves", "## Overall Timeline", "## Forecast",
	"## Individual Project Plans", "## Pre-Promotion Checklist (All Projects)",
	"## Approval Gates", "## Risk Assessment", "## Communication Plan", "## Success Criteria",
	"## Rollback Procedures", "## Post-Promotion Activities", "## Resource Allocation",
	"## Dependencies & Blockers", "## Change Log", "## Activity", "## Next Steps",
};

static void test_md_empty_state(void)
{
	struct plan *p = load_fixture();
	struct state st;
	char *md;
	CHECK(p != NULL);
	if (!p)
		return;
	state_init_empty(&st, p);
	md = render(p, &st, REPORT_MD, "2026-03-02T12:00:00Z");

	CHECK(has(md, "**Plan ID**: PROM-TEST-001"));
	CHECK(has(md, "**Created**: 2026-03-01"));
	CHECK(has(md, "**Project Manager**: Test Manager"));
	for (size_t i = 0; i < ARRAY_SIZE(headings); i++)
		CHECK(has(md, headings[i]));
	/* summary */
	CHECK(has(md, "| **Total Projects** | 4 |"));
	CHECK(has(md, "| **Core (wave-a)** | 1 project |"));
	CHECK(has(md, "| **Infra (wave-b)** | 3 projects |"));
	CHECK(has(md, "| **Environments** | DEV → SIT → PROD |"));
	CHECK(has(md, "SIT: 111122223333, PROD: 444455556666"));
	CHECK(has(md, "| **Timeline** | Mar 2 - Apr 3, 2026 |"));
	CHECK(has(md, "| **Overall Risk** | 🔴 HIGH |"));
	/* waves: one numbered row per project, states not started, targets */
	CHECK(has(md, "### wave-a: Core (Mar 2-20, 2026)"));
	CHECK(has(md, "### wave-b: Infra (Mar 9 - Apr 3, 2026)"));
	CHECK(has(md, "| # | Project | DEV Status | SIT Target | PROD Target | Owner |"));
	CHECK(has(line_of(md, "| 2 | **db_schema**"), "⚪ not started | Mar 10 | Mar 31 | Data |"));
	CHECK(has(md, "| 4 | **web_front**"));
	CHECK_INT(count(md, "⚪ not started"), 4 + 4); /* wave tables + project plans */
	CHECK(has(md, "- [ ] Unit tests passing"));
	CHECK(has(md, "**Dependencies:** None (can proceed immediately)"));
	CHECK(has(md, "- db_schema and bucket_schema must be promoted before web_front"));
	CHECK(has(md, "- Core (wave-a) must be healthy in SIT first"));
	/* timeline grouped by month */
	CHECK(has(md, "MARCH 2026\n├─ Mar 2 (Today)"));
	CHECK(has(md, "└─ Mar 9-13             SIT validation"));
	CHECK(has(md, "APRIL 2026\n└─ Apr 1"));
	CHECK(has(md, "PROD: 2026-04-10 00:00 UTC to 2026-04-11 00:00 UTC — quarter close"));
	/* project plans: doc links, and no javascript: link */
	CHECK(has(md, "| api_one | [api_one.md](./plans/api_one.md) | ⚪ not started |"));
	CHECK(!strstr(md, "](javascript:"));
	CHECK(has(md, "`javascript:alert(1)`"));
	/* checklist by category; wave prerequisites, gate criteria, success, post and
	 * external items live in their own sections */
	CHECK(has(md, "### Environment Setup (0/1)\n\n- [ ] VPC verified \\| peered"));
	CHECK(has(md, "### Backup & Rollback (0/1)"));
	CHECK(!strstr(md, "### Wave A Prerequisites"));
	CHECK(!strstr(md, "### Gate Criteria"));
	/* gates */
	CHECK(has(md, "### gate-infra: Infrastructure Review ⚪ PENDING"));
	CHECK(has(md, "- **Location:** After the DB migration"));
	CHECK(has(md, "  - [ ] devops-lead: Dana Ops"));
	CHECK(has(md, "- **Status:** ⚪ PENDING (0/2 approvals, 0/1 criteria)"));
	CHECK(has(md, "- **Required Before:** SIT promotion of Infra (wave-b)"));
	CHECK(has(md, "- **Required Before:** PROD promotion of every wave"));
	/* risks: the pipe in the text does not split the row */
	CHECK(has(md, "| Env \\| not ready | 🔴 HIGH | All | Check early | — |"));
	CHECK(has(md, "| Schema clash | 🔵 LOW | db_schema | Prefix names | Data |"));
	/* communication and escalation */
	CHECK(has(md, "- **Attendees:** PM, DevOps"));
	CHECK(has(md, "1. **Level 1 (Minor):** Log it — notify DevOps"));
	CHECK(has(md, "2. **Level 3 (Critical):** Roll back — notify Product Owner"));
	/* success criteria, triggers, procedure */
	CHECK(has(md, "### SIT Promotion Success"));
	CHECK(has(md, "- [ ] SIT sign-off from QA"));
	CHECK(has(md, "- Error rate over 5% — *measured: rollback when above 0.05 in SIT, PROD"));
	CHECK(has(md, "- Production down — *judged by a person: raise a level 3 incident*"));
	CHECK(has(md, "1. **Notify:** Tell the team\n2. **Execute:** Run the rollback"));
	/* post-promotion, resources, blockers */
	CHECK(has(md, "### Core (After SIT)\n\n- [ ] Monitor for 24 hours in SIT"));
	CHECK(has(md, "| **DevOps Lead** | Dana Ops | Full-time | Deploys |"));
	CHECK(has(md, "| **SRE** | TBD | On-call | Monitoring |"));
	CHECK(has(md, "### External Dependencies\n\n- [ ] DNS delegation from the parent zone"));
	CHECK(has(md, "**net_fix (40%)**: Routing fix"));
	CHECK(has(md, "  - **Blocks:** SIT promotion of Core (wave-a)"));
	CHECK(has(md, "  - **Due:** Mar 4, 2026\n"));
	/* change log and next steps, footer */
	CHECK(has(md, "| 2026-03-01 | Plan written | Test Manager |"));
	CHECK(has(md, "### This Week\n\n1. Kick off\n2. Check the VPC"));
	CHECK(has(md, "**Next Review**: 2026-03-05"));
	CHECK(has(md, "**Contact**: test@example.com"));
	/* HTML in plan strings is neutralised in md too */
	CHECK(!strstr(md, "<script>"));
	CHECK(!strstr(md, "<b>"));

	free(md);
	state_release(&st);
	plan_free(p);
}

/* A state with something happened: the report follows it. */
static void fill_state(const struct plan *p, struct state *st)
{
	int dev = plan_env_index(p, "dev"), sit = plan_env_index(p, "sit");
	int api = plan_project_index(p, "api_one"), db = plan_project_index(p, "db_schema");
	state_init_empty(st, p);
	st->live = true;
	state_set_cell(st, api, dev, STATE_HEALTHY, "v1.2.0", NULL, T("2026-03-02T08:00:00Z"), 0);
	state_set_cell(st, api, sit, STATE_SOAKING, "v1.2.0", NULL, T("2026-03-03T09:00:00Z"), 0);
	state_set_log(st, api, sit, ".tollgate/logs/run-3/api_one-sit-deploy.log");
	state_set_cell(st, db, dev, STATE_HEALTHY, "abc123", NULL, T("2026-03-02T08:00:00Z"), 0);
	state_set_cell(st, db, sit, STATE_ROLLED_BACK, "abc123", "abc122", T("2026-03-10T09:00:00Z"),
		       0);
	state_set_tick(st, plan_item_index(p, "unit-tests"), true, "dana", T("2026-03-01T15:00:00Z"),
		       "all green");
	state_set_tick(st, plan_item_index(p, "infra-ok"), true, "tom", T("2026-03-06T10:00:00Z"),
		       NULL);
	/* for db_schema's candidate (the only project of wave-b in DEV) */
	state_add_cover(st,
			state_add_approval(st, plan_gate_index(p, "gate-infra"),
					   plan_person_index(p, "dana"), "devops-lead",
					   T("2026-03-07T10:00:00Z")),
			db, "abc123", T("2026-03-07T10:00:00Z"));
	state_add_cover(st,
			state_add_approval(st, plan_gate_index(p, "gate-infra"),
					   plan_person_index(p, "tom"), "tech-lead",
					   T("2026-03-07T11:00:00Z")),
			db, "abc123", T("2026-03-07T11:00:00Z"));
	state_set_blocker(st, plan_blocker_index(p, "net_fix"), 75, false, T("2026-03-05T10:00:00Z"),
			  "dana");
	state_add_incident(st, &(struct state_incident){ .id = 7, .level = 2, .env = sit,
							 .project = db, .text = "latency spike",
							 .opened_by = "tom",
							 .opened_at = T("2026-03-10T09:30:00Z"),
							 .open = true });
	state_add_change(st, T("2026-03-07T10:00:00Z"), "moved project api to api_one", "dana");
	state_add_recent(st, T("2026-03-07T10:00:00Z"), "approve gate-infra: as devops-lead", "dana");
	state_add_recent(st, T("2026-03-07T11:00:00Z"), "approve gate-infra: as tech-lead", "tom");
	state_add_activity(st, T("2026-03-06T00:00:00Z"), "record", 3);
	state_add_activity(st, T("2026-03-07T00:00:00Z"), "approve", 2);
	state_add_activity(st, T("2026-03-07T00:00:00Z"), "check", 40);
}

static void test_md_live_state(void)
{
	struct plan *p = load_fixture();
	struct state st;
	char *md;
	if (!p)
		return;
	fill_state(p, &st);
	md = render(p, &st, REPORT_MD, "2026-03-12T12:00:00Z");

	CHECK(has(line_of(md, "| 1 | **api_one**"), "✅ healthy `v1.2.0` | Mar 3 🔵 soaking `v1.2.0` | Mar 18 |"));
	/* db_schema rolled back in SIT: past its target, so late */
	/* the version restored is live; the one that failed beside it */
	CHECK(has(line_of(md, "| 2 | **db_schema**"),
		  "Mar 10 🟡 rolled back `abc122` (`abc123` failed) 🔴 late"));
	/* a milestone is ticked by the state: wave-a (api_one) is in SIT */
	CHECK(has(md, "Core in SIT ✓"));
	CHECK(has(line_of(md, "| 3 | **bucket_schema**"), "Mar 10 🔴 late"));
	CHECK(has(md, "| api_one | [api_one.md](./plans/api_one.md) | 🔵 soaking in SIT (v1.2.0) · "
		      "[last run log](.tollgate/logs/run-3/api_one-sit-deploy.log) |"));
	CHECK(has(md, "- [x] Unit tests passing — *done by Dana Ops on Mar 1, 2026 (all green)*"));
	CHECK(has(md, "### gate-infra: Infrastructure Review ✅ PASSED"));
	CHECK(has(md, "  - [x] devops-lead: *approved by Dana Ops on Mar 7, 2026 for db_schema abc123*"));
	CHECK(has(md, "- **Status:** ✅ PASSED (2/2 approvals, 1/1 criteria)"));
	CHECK(has(md, "### gate-prod: Production Ready ⚪ PENDING"));
	CHECK(has(md, "**net_fix (75%)**: Routing fix"));
	CHECK(has(md, "🔴 overdue"));
	CHECK(has(md, "level 2 open #7 in SIT on db_schema: latency spike"));
	/* the change log: the plan's and its changes; machine activity apart */
	CHECK(has(md, "| 2026-03-07 | moved project api to api_one | Dana Ops |"));
	CHECK(!strstr(md, "| 2026-03-07 | approve gate-infra"));
	CHECK(has(md, "## Activity"));
	CHECK(has(md, "45 audit entries from 2026-03-06 to 2026-03-07; `tollgate log` shows each one."));
	CHECK(has(md, "| 2026-03-06 | 3 | record 3 |"));
	CHECK(has(md, "| 2026-03-07 | 42 | approve 2, check 40 |"));
	CHECK(has(md, "**The last 2:**"));
	CHECK(has(md, "| 2026-03-07 11:00 UTC | approve gate-infra: as tech-lead | Tom Tech |"));
	CHECK(has(md, "from the live state"));
	CHECK(has(md, "**Status**: 🔴 ATTENTION NEEDED"));
	free(md);
	state_release(&st);
	plan_free(p);
}

static void test_timeline_today(void)
{
	struct plan *p = load_fixture();
	struct state st;
	char *md;
	if (!p)
		return;
	state_init_empty(&st, p);
	/* between two milestones: a marker in its place */
	md = render(p, &st, REPORT_MD, "2026-03-05T08:00:00Z");
	/* nothing happened: no tick (Kick-off names no promotion, "Core in
	 * SIT" names wave-a in sit, which is not there: late) */
	CHECK(has(md, "MARCH 2026\n├─ Mar 2                Kick-off\n"
		      "├─ Mar 3                Core in SIT (late)\n"
		      "├─ Mar 5 (Today)        ◀ you are here\n"
		      "└─ Mar 9-13             SIT validation\n"));
	free(md);
	/* before the first milestone or after the last: none */
	md = render(p, &st, REPORT_MD, "2026-02-20T08:00:00Z");
	CHECK(!strstr(md, "you are here"));
	CHECK(!strstr(md, "(Today)"));
	free(md);
	md = render(p, &st, REPORT_MD, "2026-05-20T08:00:00Z");
	CHECK(!strstr(md, "you are here"));
	CHECK(has(md, "└─ Apr 1                PROD done (late)\n"));
	CHECK(!strstr(md, "✓"));
	free(md);
	state_release(&st);
	plan_free(p);
}

static void test_gate_status(void)
{
	struct plan *p = load_fixture();
	struct state st;
	int g, pg, tom, dana;
	if (!p)
		return;
	g = plan_gate_index(p, "gate-infra");
	pg = plan_gate_index(p, "gate-prod");
	tom = plan_person_index(p, "tom");
	dana = plan_person_index(p, "dana");
	state_init_empty(&st, p);
	CHECK_INT(ready_gate_status(p, &st, g, -1, 0), GATE_PENDING);
	state_add_approval(&st, g, tom, "tech-lead", 0);
	CHECK_INT(ready_gate_status(p, &st, g, -1, 0), GATE_IN_PROGRESS);
	state_add_approval(&st, g, dana, "devops-lead", 0);
	/* every role approved but the criterion is not done yet */
	CHECK_INT(ready_gate_status(p, &st, g, -1, 0), GATE_IN_PROGRESS);
	state_set_tick(&st, plan_item_index(p, "infra-ok"), true, "tom", 0, NULL);
	CHECK_INT(ready_gate_status(p, &st, g, -1, 0), GATE_PASSED);
	/* criteria done alone is progress, not a pass */
	state_release(&st);
	state_init_empty(&st, p);
	state_set_tick(&st, plan_item_index(p, "infra-ok"), true, "tom", 0, NULL);
	CHECK_INT(ready_gate_status(p, &st, g, -1, 0), GATE_IN_PROGRESS);
	CHECK_INT(ready_gate_status(p, &st, pg, -1, 0), GATE_PENDING);
	CHECK_STR(ready_gate_status_name(GATE_IN_PROGRESS), "in progress");
	state_release(&st);
	/* an approval counts only while its person holds the role: tom's
	 * approval as devops-lead (a role he does not hold) passes nothing,
	 * in the report as in why */
	state_init_empty(&st, p);
	state_add_approval(&st, g, tom, "tech-lead", 0);
	state_add_approval(&st, g, tom, "devops-lead", 0);
	state_set_tick(&st, plan_item_index(p, "infra-ok"), true, "tom", 0, NULL);
	CHECK_INT(ready_gate_status(p, &st, g, -1, 0), GATE_IN_PROGRESS);
	CHECK_INT(ready_gate_napproved(p, &st, g, -1, 0), 1);
	CHECK(ready_gate_approval(p, &st, g, "devops-lead", -1, 0) == NULL);
	{
		char *md = render(p, &st, REPORT_MD, "2026-03-05T08:00:00Z");
		CHECK(has(md, "- **Status:** 🟡 IN PROGRESS (1/2 approvals, 1/1 criteria)"));
		CHECK(has(md, "  - [ ] devops-lead: Dana Ops"));
		free(md);
	}
	state_release(&st);
	plan_free(p);
}

static void test_html(void)
{
	struct plan *p = load_fixture();
	struct state st;
	char *html;
	if (!p)
		return;
	fill_state(p, &st);
	html = render(p, &st, REPORT_HTML, "2026-03-12T12:00:00Z");

	CHECK(!strncmp(html, "<!DOCTYPE html>\n<html lang=\"en\">", 32));
	CHECK(has(html, "<meta charset=\"utf-8\">"));
	CHECK(has(html, "</html>\n"));
	CHECK(has(html, "<title>Report &lt;b&gt;Test&lt;/b&gt; Plan</title>"));
	/* the hostile title is text, not markup */
	CHECK(!strstr(html, "<script"));
	CHECK(has(html, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
	CHECK(!strstr(html, "<b>"));
	CHECK(!strstr(html, "href=\"javascript:"));
	CHECK(has(html, "<code>javascript:alert(1)</code>"));
	CHECK(has(html, "<a href=\"plans/api_one.md\">api_one.md</a>"));
	/* self-contained: nothing fetched */
	CHECK(!strstr(html, "<link"));
	CHECK(!strstr(html, "src="));
	CHECK(!strstr(html, "@import"));
	CHECK(!strstr(html, "url("));
	/* print CSS, sections, badges, progress bar */
	CHECK(has(html, "@media print{"));
	CHECK(has(html, "section.major{break-before:page"));
	CHECK_INT(count(html, "<section class=\"major"), ARRAY_SIZE(headings));
	CHECK_INT(count(html, "<section"), count(html, "</section>"));
	CHECK_INT(count(html, "<ul>"), count(html, "</ul>"));
	CHECK_INT(count(html, "<ol>"), count(html, "</ol>"));
	CHECK_INT(count(html, "<table>"), count(html, "</table>"));
	CHECK_INT(count(html, "<li"), count(html, "</li>"));
	CHECK_INT(count(html, "<p>") + count(html, "<p class="), count(html, "</p>"));
	CHECK(has(html, "<h2>Approval Gates</h2>"));
	CHECK(has(html, "<h3 id=\"gate-infra\">gate-infra: Infrastructure Review "));
	CHECK(has(html, "<h3 id=\"wave-a\">wave-a: Core (Mar 2-20, 2026)</h3>"));
	CHECK(has(html, "<span class=\"badge ok\">PASSED</span>"));
	CHECK(has(html, "<span class=\"badge none\">PENDING</span>"));
	CHECK(has(html, "<progress class=\"bar bad\" value=\"75\" max=\"100\">75%</progress>"));
	CHECK(has(html, "<li class=\"task done\">"));
	CHECK(has(html, "<td>SIT: 111122223333, PROD: 444455556666</td>"));
	CHECK(has(html, "<footer>"));
	/* tidy (installed by scripts/setup.sh) judges the page as HTML5 */
	if (system("command -v tidy >/dev/null 2>&1") == 0) {
		char path[] = "/tmp/tollgate-report-XXXXXX.html";
		int fd = mkstemps(path, 5);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		char cmd[256];
		CHECK(f != NULL);
		if (f) {
			fputs(html, f);
			fclose(f);
			snprintf(cmd, sizeof(cmd), "tidy -q -e %s", path);
			CHECK(system(cmd) == 0);
			unlink(path);
		}
	}
	free(html);
	state_release(&st);
	plan_free(p);
}

static void test_json(void)
{
	struct plan *p = load_fixture();
	struct state st;
	json_error_t jerr;
	json_t *j, *w, *g, *b;
	char *text;
	if (!p)
		return;
	fill_state(p, &st);
	text = render(p, &st, REPORT_JSON, "2026-03-12T12:00:00Z");
	j = json_loads(text, 0, &jerr);
	CHECK(j != NULL);
	if (!j) {
		fprintf(stderr, "json: %s at line %d\n", jerr.text, jerr.line);
		goto out;
	}
	static const char *const keys[] = {
		"plan", "summary", "waves", "gates", "checklist", "blockers", "risks", "triggers",
		"milestones", "resources", "communication", "escalation", "rollback_procedure",
		"post_promotion", "changelog", "next_steps", "success_criteria",
		"external_dependencies", "incidents",
	};
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		CHECK(json_object_get(j, keys[i]) != NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "plan"), "id")),
		  "PROM-TEST-001");
	CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "summary"),
						     "total_projects")), 4);
	CHECK_STR(json_string_value(json_object_get(json_object_get(j, "summary"), "chain")),
		  "DEV → SIT → PROD");
	w = json_array_get(json_object_get(j, "waves"), 1);
	CHECK_INT(json_array_size(json_object_get(w, "projects")), 3);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(w, "projects"),
								   0), "id")), "db_schema");
	CHECK_STR(json_string_value(json_object_get(
			  json_array_get(json_object_get(json_array_get(json_object_get(w, "projects"), 0),
							 "cells"), 1), "state")),
		  "rolled-back");
	CHECK_STR(json_string_value(json_array_get(json_object_get(w, "dependencies"), 0)),
		  "db_schema and bucket_schema must be promoted before web_front");
	g = json_array_get(json_object_get(j, "gates"), 0);
	CHECK_STR(json_string_value(json_object_get(g, "status")), "passed");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "gates"), 1),
						    "status")), "pending");
	b = json_array_get(json_object_get(j, "blockers"), 0);
	CHECK_INT(json_integer_value(json_object_get(b, "progress")), 75);
	CHECK(json_is_true(json_object_get(b, "overdue")));
	CHECK_INT(json_array_size(json_object_get(j, "changelog")), 2);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(j, "activity"), "total")), 45);
	CHECK_INT(json_integer_value(json_object_get(json_object_get(json_array_get(
			  json_object_get(json_object_get(j, "activity"), "days"), 1), "kinds"), "check")),
		  40);
	CHECK_INT(json_array_size(json_object_get(json_object_get(j, "activity"), "recent")), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "triggers"), 1),
						    "kind")), "judged");
	/* a hostile title is just a string in JSON */
	CHECK(has(text, "\"title\": \"<script>alert('x')</script>\""));
	json_decref(j);
out:
	free(text);
	state_release(&st);
	plan_free(p);
}

/* Activity over more days than it lists: the earlier ones in one row. */
static void test_activity_days(void)
{
	struct plan *p = load_fixture();
	struct state st;
	char *md;
	if (!p)
		return;
	state_init_empty(&st, p);
	for (int d = 0; d < 40; d++)
		state_add_activity(&st, T("2026-01-01T00:00:00Z") + d * 86400, "record", d + 1);
	state_add_activity(&st, T("2026-02-09T00:00:00Z"), "uncheck", 5);
	md = render(p, &st, REPORT_MD, "2026-03-12T12:00:00Z");
	/* days 1-9 (1+…+9 = 45 entries) before Jan 10, then one row a day */
	CHECK(has(md, "| before 2026-01-10 | 45 | — |"));
	CHECK(has(md, "| 2026-01-10 | 10 | record 10 |"));
	CHECK(has(md, "| 2026-02-09 | 45 | record 40, uncheck 5 |"));
	CHECK(has(md, "825 audit entries from 2026-01-01 to 2026-02-09"));
	CHECK(!strstr(md, "| 2026-01-09 |"));
	CHECK(!strstr(md, "The last"));
	free(md);
	state_release(&st);
	plan_free(p);
}

static void test_words(void)
{
	struct strbuf sb = STRBUF_INIT;
	enum report_format f;
	rp_date_range(&sb, T("2026-01-08"), T("2026-01-09"), true);
	CHECK_STR(sb.buf, "Jan 8-9, 2026");
	strbuf_reset(&sb);
	rp_date_range(&sb, T("2026-01-27"), T("2026-02-02"), true);
	CHECK_STR(sb.buf, "Jan 27 - Feb 2, 2026");
	strbuf_reset(&sb);
	rp_date_range(&sb, T("2025-12-30"), T("2026-01-04"), true);
	CHECK_STR(sb.buf, "Dec 30, 2025 - Jan 4, 2026");
	strbuf_reset(&sb);
	rp_date_range(&sb, T("2026-01-10"), T("2026-01-10"), false);
	CHECK_STR(sb.buf, "Jan 10");
	strbuf_release(&sb);

	CHECK(report_format_parse("md", &f) == 0 && f == REPORT_MD);
	CHECK(report_format_parse("markdown", &f) == 0 && f == REPORT_MD);
	CHECK(report_format_parse("html", &f) == 0 && f == REPORT_HTML);
	CHECK(report_format_parse("json", &f) == 0 && f == REPORT_JSON);
	CHECK(report_format_parse("pdf", &f) < 0);
	CHECK_STR(report_format_suggest("htm"), "html");
	CHECK_STR(report_format_suggest("jsno"), "json");
	CHECK_STR(report_format_suggest("markdwn"), "md");
	CHECK(report_format_suggest("spreadsheet") == NULL);
}

static void test_state_mismatch(void)
{
	struct plan *p = load_fixture();
	struct state st;
	struct strbuf sb = STRBUF_INIT;
	struct err e;
	if (!p)
		return;
	state_init_empty(&st, p);
	st.nprojects--;
	err_init(&e);
	CHECK(report_render(p, &st, REPORT_MD, 0, &sb, &e) < 0);
	CHECK(has(e.msg, "does not match plan 'PROM-TEST-001'"));
	st.nprojects++;
	strbuf_release(&sb);
	state_release(&st);
	plan_free(p);
}

int main(void)
{
	RUN(test_md_empty_state);
	RUN(test_md_live_state);
	RUN(test_timeline_today);
	RUN(test_gate_status);
	RUN(test_html);
	RUN(test_json);
	RUN(test_words);
	RUN(test_activity_days);
	RUN(test_state_mismatch);
	return TEST_DONE();
}
