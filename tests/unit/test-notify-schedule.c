/*
 * test-notify-schedule.c - schedule slots in Europe/London across 10:00 and
 * 16:00, the DST changes of 2026 and days filters; the status and standup
 * digests from a hand-built board.
 */
#include <stdlib.h>
#include <time.h>

#include "engine/query.h"
#include "notify/schedule.h"
#include "plan/plan.h"
#include "test.h"

static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (int64_t)timegm(&tm);
}

static int64_t last(const struct notify_schedule_spec *s, int64_t now)
{
	struct err e = {0};
	int64_t slot = -1;
	if (notify_schedule_last_slot(s, now, &slot, &e) < 0)
		return -1;
	return slot;
}

static void test_parse(void)
{
	struct err e = {0};
	int h = -1, m = -1;
	CHECK_INT(notify_schedule_parse_at("09:05", &h, &m, &e), 0);
	CHECK_INT(h, 9);
	CHECK_INT(m, 5);
	CHECK(notify_schedule_parse_at("24:00", &h, &m, &e) < 0);
	CHECK(notify_schedule_parse_at("9:00", &h, &m, &e) < 0);
	CHECK(notify_schedule_parse_at("10:60", &h, &m, &e) < 0);
	CHECK_INT(notify_schedule_day_bit("mon"), 1 << 1);
	CHECK_INT(notify_schedule_day_bit("Sunday"), 1 << 0);
	CHECK_INT(notify_schedule_day_bit("sat"), 1 << 6);
	CHECK_INT(notify_schedule_day_bit("mo"), 0);
	CHECK(notify_tz_valid("Europe/London"));
	CHECK(notify_tz_valid("UTC"));
	CHECK(!notify_tz_valid("Europe/Londn"));
	CHECK(!notify_tz_valid("../../etc/passwd"));
	CHECK(!notify_tz_valid("/etc/localtime"));
}

/* the seed: 10:00 and 16:00 in London, winter (GMT) and summer (BST) */
static void test_ten_and_four(void)
{
	struct notify_schedule_spec am = {10, 0, "Europe/London", 0};
	struct notify_schedule_spec pm = {16, 0, "Europe/London", 0};

	/* winter: London is UTC */
	CHECK_INT(last(&am, utc(2026, 1, 15, 9, 59)), utc(2026, 1, 14, 10, 0));
	CHECK_INT(last(&am, utc(2026, 1, 15, 10, 0)), utc(2026, 1, 15, 10, 0));
	CHECK_INT(last(&pm, utc(2026, 1, 15, 15, 59)), utc(2026, 1, 14, 16, 0));
	CHECK_INT(last(&pm, utc(2026, 1, 15, 16, 1)), utc(2026, 1, 15, 16, 0));
	/* summer: 10:00 BST is 09:00 UTC */
	CHECK_INT(last(&am, utc(2026, 6, 15, 8, 59)), utc(2026, 6, 14, 9, 0));
	CHECK_INT(last(&am, utc(2026, 6, 15, 9, 0)), utc(2026, 6, 15, 9, 0));
	CHECK_INT(last(&pm, utc(2026, 6, 15, 15, 30)), utc(2026, 6, 15, 15, 0));
}

static void test_dst(void)
{
	struct notify_schedule_spec am = {10, 0, "Europe/London", 0};
	struct notify_schedule_spec gap = {1, 30, "Europe/London", 0};
	struct notify_schedule_spec twice = {1, 30, "Europe/London", 0};

	/* spring forward on Sunday 29 March 2026 at 01:00 UTC: 23 h between slots */
	CHECK_INT(last(&am, utc(2026, 3, 29, 8, 59)), utc(2026, 3, 28, 10, 0));
	CHECK_INT(last(&am, utc(2026, 3, 29, 9, 0)), utc(2026, 3, 29, 9, 0));
	/* 01:30 does not exist that day: 02:30 BST, 01:30 UTC */
	CHECK_INT(last(&gap, utc(2026, 3, 29, 1, 29)), utc(2026, 3, 28, 1, 30));
	CHECK_INT(last(&gap, utc(2026, 3, 29, 1, 30)), utc(2026, 3, 29, 1, 30));
	/* fall back on Sunday 25 October 2026: 01:30 happens at 00:30 and 01:30
	 * UTC; the slot is the first */
	CHECK_INT(last(&twice, utc(2026, 10, 25, 0, 30)), utc(2026, 10, 25, 0, 30));
	CHECK_INT(last(&twice, utc(2026, 10, 25, 1, 45)), utc(2026, 10, 25, 0, 30));
	/* 10:00 BST on the 24th, then 10:00 GMT on the 25th, 25 h later */
	CHECK_INT(last(&am, utc(2026, 10, 25, 9, 30)), utc(2026, 10, 24, 9, 0));
	CHECK_INT(last(&am, utc(2026, 10, 26, 10, 0)), utc(2026, 10, 26, 10, 0));
}

static void test_days(void)
{
	unsigned weekdays = 0;
	const char *names[] = {"mon", "tue", "wed", "thu", "fri"};
	for (size_t i = 0; i < 5; i++)
		weekdays |= notify_schedule_day_bit(names[i]);
	struct notify_schedule_spec standup = {9, 0, "Europe/London", weekdays};
	struct notify_schedule_spec none = {9, 0, "Europe/London", 0};
	struct err e = {0};
	enum notify_slot_action act;
	int64_t slot;

	/* Sunday 18 January 2026: Friday's */
	CHECK_INT(last(&standup, utc(2026, 1, 18, 12, 0)), utc(2026, 1, 16, 9, 0));
	CHECK_INT(last(&standup, utc(2026, 1, 19, 8, 59)), utc(2026, 1, 16, 9, 0));
	CHECK_INT(last(&standup, utc(2026, 1, 19, 9, 0)), utc(2026, 1, 19, 9, 0));
	CHECK_INT(last(&none, utc(2026, 1, 18, 12, 0)), utc(2026, 1, 18, 9, 0));
	/* Monday morning after a weekend with nothing running: Friday's slot is
	 * long gone, skipped, and Monday's is sent at 09:00 */
	CHECK_INT(notify_schedule_due(&standup, utc(2026, 1, 19, 8, 0), utc(2026, 1, 15, 9, 0), 3600,
				      &act, &slot, &e), 0);
	CHECK_INT(act, NOTIFY_SLOT_SKIP);
	CHECK_INT(slot, utc(2026, 1, 16, 9, 0));
	CHECK_INT(notify_schedule_due(&standup, utc(2026, 1, 19, 9, 0), slot, 3600, &act, &slot, &e), 0);
	CHECK_INT(act, NOTIFY_SLOT_SEND);
	CHECK_INT(slot, utc(2026, 1, 19, 9, 0));
}

/* a rehearsal clock crossing 10:00 and 16:00: each slot is sent once */
static void test_due_once(void)
{
	struct notify_schedule_spec am = {10, 0, "Europe/London", 0};
	struct notify_schedule_spec pm = {16, 0, "Europe/London", 0};
	int64_t handled_am = utc(2026, 6, 14, 9, 0), handled_pm = utc(2026, 6, 14, 15, 0);
	int sent_am = 0, sent_pm = 0, skipped = 0;
	struct err e = {0};

	for (int64_t t = utc(2026, 6, 15, 8, 0); t <= utc(2026, 6, 15, 18, 0); t += 60) {
		enum notify_slot_action act;
		int64_t slot;
		CHECK(notify_schedule_due(&am, t, handled_am, 900, &act, &slot, &e) == 0);
		if (act == NOTIFY_SLOT_SEND) {
			sent_am++;
			CHECK_INT(slot, utc(2026, 6, 15, 9, 0));
			CHECK_INT(t, slot);
			handled_am = slot;
		} else if (act == NOTIFY_SLOT_SKIP) {
			skipped++;
		}
		CHECK(notify_schedule_due(&pm, t, handled_pm, 900, &act, &slot, &e) == 0);
		if (act == NOTIFY_SLOT_SEND) {
			sent_pm++;
			CHECK_INT(slot, utc(2026, 6, 15, 15, 0));
			handled_pm = slot;
		} else if (act == NOTIFY_SLOT_SKIP) {
			skipped++;
		}
	}
	CHECK_INT(sent_am, 1);
	CHECK_INT(sent_pm, 1);
	CHECK_INT(skipped, 0);

	/* the server was down from 09:50 to 10:20 BST: within a 30-minute grace,
	 * sent once on return; beyond a 15-minute one, skipped */
	enum notify_slot_action act;
	int64_t slot;
	CHECK_INT(notify_schedule_due(&am, utc(2026, 6, 15, 9, 20), utc(2026, 6, 14, 9, 0), 1800, &act,
				      &slot, &e), 0);
	CHECK_INT(act, NOTIFY_SLOT_SEND);
	CHECK_INT(notify_schedule_due(&am, utc(2026, 6, 15, 9, 20), utc(2026, 6, 14, 9, 0), 900, &act,
				      &slot, &e), 0);
	CHECK_INT(act, NOTIFY_SLOT_SKIP);
	CHECK_INT(slot, utc(2026, 6, 15, 9, 0));

	struct notify_schedule_spec bad = {10, 0, "Mars/Olympus", 0};
	CHECK(notify_schedule_due(&bad, utc(2026, 6, 15, 9, 20), 0, 900, &act, &slot, &e) < 0);
}

static void test_tz_restored(void)
{
	char buf[64];
	struct err e = {0};

	setenv("TZ", "America/New_York", 1);
	tzset();
	CHECK_INT(notify_local_time(utc(2026, 6, 15, 9, 0), "Europe/London", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "2026-06-15 10:00 BST");
	CHECK_STR(getenv("TZ"), "America/New_York");
	unsetenv("TZ");
	CHECK_INT(notify_local_time(utc(2026, 1, 15, 9, 0), "Europe/London", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "2026-01-15 09:00 GMT");
	CHECK(getenv("TZ") == NULL);
}

/* a plan of two projects in two environments, by hand */
static void test_digests(void)
{
	struct plan p = {0};
	struct plan_project projects[2] = {{.id = "api"}, {.id = "web"}};
	struct plan_env envs[2] = {{.name = "dev"}, {.name = "prod"}};
	struct plan_blocker blockers[1] = {{.id = "b1", .text = "vendor SDK", .blocks_env = 1}};
	struct state_incident inc = {.id = 7, .level = 2, .env = 1, .project = 0, .text = "5xx spike", .open = true};
	const struct state_incident *incs[1] = {&inc};
	int blk[1] = {0};
	int64_t now = utc(2026, 6, 15, 8, 0); /* 09:00 BST */
	struct status_cell cells[4] = {
		{.project = 0, .env = 0, .state = STATE_HEALTHY, .version = "1.2.0", .since = now - 3600},
		{.project = 0, .env = 1, .state = STATE_DEPLOYING, .version = "1.2.0", .since = now - 60},
		{.project = 1, .env = 0, .state = STATE_HEALTHY, .version = "3.0.0", .since = now - 5 * 86400},
		{.project = 1, .env = 1, .state = STATE_NONE, .target = utc(2026, 6, 15, 0, 0), .late = false},
	};
	struct status_board b = {0};
	struct err e = {0};
	json_t *d;
	char *text;

	p.id = "q1";
	p.projects = projects;
	p.nprojects = 2;
	p.envs = envs;
	p.nenvs = 2;
	p.blockers = blockers;
	p.nblockers = 1;
	b.plan = &p;
	b.now = now;
	b.cells = cells;
	b.ncells = 4;
	b.nenvs_shown = 2;
	b.incidents = incs;
	b.nincidents = 1;
	b.blockers = blk;
	b.nblockers = 1;

	d = notify_digest_status(&b);
	CHECK_INT(json_array_size(json_object_get(d, "rows")), 3);
	json_t *r = json_array_get(json_object_get(d, "rows"), 1);
	CHECK_STR(json_string_value(json_object_get(r, "project")), "api");
	CHECK_STR(json_string_value(json_object_get(r, "environment")), "prod");
	CHECK_STR(json_string_value(json_object_get(r, "status")), "deploying");
	CHECK_INT(json_array_size(json_object_get(r, "issues")), 2);
	text = notify_digest_text(d);
	CHECK(strstr(text, "Status of q1 at 2026-06-15T08:00:00Z\n") != NULL);
	CHECK(strstr(text, "  api prod: deploying 1.2.0 (incident 7 (level 2): 5xx spike; blocker b1: vendor SDK)\n") != NULL);
	CHECK(strstr(text, "  web dev: healthy 3.0.0\n") != NULL);
	CHECK(strstr(text, "Blockers:\n  b1: vendor SDK\n") != NULL);
	CHECK(strstr(text, "Open incidents:\n  #7 level 2: 5xx spike\n") != NULL);
	free(text);
	json_decref(d);

	d = notify_digest_standup(&b, now - 86400, "Europe/London", &e);
	CHECK(d != NULL);
	CHECK_INT(json_array_size(json_object_get(d, "deployed")), 1);
	CHECK_INT(json_array_size(json_object_get(d, "deploying")), 1);
	CHECK_INT(json_array_size(json_object_get(d, "targets")), 1);
	text = notify_digest_text(d);
	CHECK(strstr(text, "Deployed since 2026-06-14T08:00:00Z:\n  api dev: 1.2.0 (healthy)\n") != NULL);
	CHECK(strstr(text, "Deploying today:\n  api prod: 1.2.0 (deploying)\n  web prod: target 2026-06-15\n") != NULL);
	free(text);
	json_decref(d);
	CHECK(notify_digest_standup(&b, 0, "Nowhere/Else", &e) == NULL);
}

int main(void)
{
	RUN(test_parse);
	RUN(test_ten_and_four);
	RUN(test_dst);
	RUN(test_days);
	RUN(test_due_once);
	RUN(test_tz_restored);
	RUN(test_digests);
	return TEST_DONE();
}
