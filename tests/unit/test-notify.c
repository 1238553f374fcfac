/*
 * test-notify.c - the notify module's pure parts: which channels an audit
 * entry goes to by the plan's routes (globs, env, wave and min_level
 * filters, each channel once), the webhook payload's fields, and the
 * backoff (exponential, capped, jittered, Retry-After first).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "notify/notify.h"
#include "plan/plan.h"
#include "test.h"

static const char plan_text[] =
	"version: 1\n"
	"plan: {id: N-1}\n"
	"environments: [{name: dev}, {name: sit}, {name: prod}]\n"
	"waves: [{id: w1}, {id: w2}]\n"
	"projects: [{id: api, wave: w1}, {id: web, wave: w2}]\n"
	"channels:\n"
	"  - {id: all, kind: webhook, url_env: A}\n"
	"  - {id: prod, kind: slack, url_env: B}\n"
	"  - {id: sev, kind: email, smtp_env: C, from: a@b, to: [c@d]}\n"
	"notify:\n"
	"  - {channel: all, events: [\"*\"]}\n"
	"  - {channel: all, events: [\"incident.*\"]}\n"
	"  - {channel: prod, events: [\"promotion.*\"], env: prod, wave: w1}\n"
	"  - {channel: sev, events: [incident.open], min_level: 2}\n"
	"notify_policy: {max_attempts: 4}\n"
	"schedules:\n"
	"  - {id: pm, channel: prod, digest: status, at: \"16:30\", tz: Europe/London,\n"
	"     days: [mon, fri], grace: 30m}\n"
	"  - {id: am, channel: prod, digest: standup, at: \"09:05\", tz: UTC}\n";

static size_t route(const struct plan *p, const char *action, const char *subject,
		    const char *detail, int *out)
{
	struct store_log_entry en = { 0 };
	en.seq = 7;
	en.at = 1767225600;
	en.actor = "ops";
	en.action = action;
	en.subject = subject;
	en.detail = detail;
	en.hash = "ab";
	return notify_route(p, &en, out);
}

static void test_route(void)
{
	struct plan_diags d;
	struct plan *p;
	int ch[8];

	plan_diags_init(&d, "t.yaml");
	p = plan_load_buffer("t.yaml", plan_text, strlen(plan_text), &d);
	CHECK(p != NULL);
	if (!p)
		return;
	/* the keys as loaded */
	CHECK_INT(p->nchannels, 3);
	CHECK_INT(p->channels[2].kind, CHANNEL_EMAIL);
	CHECK_STR(p->channels[2].to[0], "c@d");
	CHECK_INT(p->notify[2].envs.idx[0], 2);
	CHECK_INT(p->notify[2].waves.idx[0], 0);
	CHECK_INT(p->notify_policy.max_attempts, 4);
	CHECK_INT(p->notify_policy.max_backoff, PLAN_NOTIFY_MAX_BACKOFF_DEFAULT);
	CHECK_INT(p->nschedules, 2);
	CHECK_INT(p->schedules[0].at, 16 * 60 + 30);
	CHECK_INT(p->schedules[0].days, (1u << 1) | (1u << 5));
	CHECK_INT(p->schedules[0].grace, 1800);
	CHECK_INT(p->schedules[0].channel, 1);
	CHECK_INT(p->schedules[1].days, 0x7f);
	CHECK_INT(p->schedules[1].grace, PLAN_SCHEDULE_GRACE_DEFAULT);
	/* "*" and "incident.*" both take it: the channel once */
	CHECK_INT(route(p, "incident.open", "sit", "incident 1, level 1: x", ch), 1);
	CHECK_INT(ch[0], 0);
	CHECK_INT(route(p, "incident.open", "api@sit", "incident 2, level 2: x", ch), 2);
	CHECK_INT(ch[1], 2);
	CHECK_INT(route(p, "incident.open", "sit", "incident 3, level 3: x", ch), 2);
	/* env and wave filters */
	CHECK_INT(route(p, "promotion.healthy", "api@prod", "", ch), 2);
	CHECK_INT(ch[1], 1);
	CHECK_INT(route(p, "promotion.healthy", "api@sit", "", ch), 1);
	CHECK_INT(route(p, "promotion.healthy", "web@prod", "", ch), 1);
	CHECK_INT(route(p, "promotion.healthy", "prod", "", ch), 1); /* no project: no wave */
	CHECK_INT(route(p, "approve", "gate-1", "", ch), 1);
	plan_free(p);
	plan_diags_release(&d);
}

static void test_payload(void)
{
	struct plan_diags d;
	struct plan *p;
	struct store_log_entry en = { 0 };
	json_t *j;
	char *s;

	plan_diags_init(&d, "t.yaml");
	p = plan_load_buffer("t.yaml", plan_text, strlen(plan_text), &d);
	CHECK(p != NULL);
	if (!p)
		return;
	en.seq = 7;
	en.at = 1767225600;
	en.actor = "ops";
	en.action = "record";
	en.subject = "api@dev";
	en.detail = "version 1.0";
	en.hash = "00ff";
	s = notify_payload(p, &en, "N-1:7:all");
	CHECK(!strncmp(s, "{\"id\":\"N-1:7:all\",\"event\":\"record\",\"plan\":\"N-1\",\"seq\":7,", 56));
	j = json_loads(s, 0, NULL);
	CHECK(j != NULL);
	CHECK_STR(json_string_value(json_object_get(j, "hash")), "00ff");
	CHECK_STR(json_string_value(json_object_get(j, "at")), "2026-01-01T00:00:00Z");
	CHECK_INT(json_object_size(j), 9);
	json_decref(j);
	free(s);
	plan_free(p);
	plan_diags_release(&d);
}

static void test_backoff(void)
{
	/* 2 s doubling, capped, jittered over the upper half */
	for (uint32_t r = 0; r < 50; r++) {
		int64_t b1 = notify_backoff(1, 3600, -1, r), b5 = notify_backoff(5, 3600, -1, r);
		int64_t cap = notify_backoff(30, 60, -1, r);
		CHECK(b1 >= 1 && b1 <= 2);
		CHECK(b5 >= 16 && b5 <= 32);
		CHECK(cap >= 30 && cap <= 60);
	}
	CHECK_INT(notify_backoff(3, 3600, 17, 12345), 17); /* Retry-After wins */
	CHECK_INT(notify_backoff(3, 3600, 0, 12345), 1);
	CHECK_INT(notify_backoff(1, 1, -1, 7), 1);
}

int main(void)
{
	RUN(test_route);
	RUN(test_payload);
	RUN(test_backoff);
	return TEST_DONE();
}
