/*
 * test-notify-slack.c - Slack Block Kit messages for an audit entry (from
 * the outbox's webhook body) and for the digests: fields, escaping, limits,
 * the dashboard link, the anchors (seq, hash).
 */
#include <stdlib.h>

#include "notify/slack.h"
#include "test.h"

static const char *block_text(json_t *msg, size_t i)
{
	json_t *b = json_array_get(json_object_get(msg, "blocks"), i);
	return json_string_value(json_object_get(json_object_get(b, "text"), "text"));
}

static const char *block_type(json_t *msg, size_t i)
{
	json_t *b = json_array_get(json_object_get(msg, "blocks"), i);
	return json_string_value(json_object_get(b, "type"));
}

static void test_entry_from_payload(void)
{
	const char *body = "{\"id\":\"q1:42:deployments\",\"event\":\"promotion.healthy\",\"plan\":\"q1\","
			   "\"seq\":42,\"hash\":\"ab12\",\"at\":\"2026-06-15T09:00:00Z\",\"actor\":\"alice\","
			   "\"subject\":\"api@prod\",\"detail\":\"1.2.0 <soak passed> & done\"}";
	json_t *payload = json_loads(body, 0, NULL);
	struct notify_entry en;
	const char *issues[] = {"incident 7 (level 2): 5xx > 1%"};
	json_t *msg, *fields;

	CHECK_INT(notify_entry_from_payload(payload, &en), 0);
	CHECK_STR(en.project, "api");
	CHECK_STR(en.environment, "prod");
	CHECK_STR(en.status, "healthy");
	CHECK_INT(en.seq, 42);
	en.version = "1.2.0";
	en.issues = issues;
	en.nissues = 1;

	msg = notify_slack_entry_message(&en, "http://127.0.0.1:8080/");
	CHECK_STR(json_string_value(json_object_get(msg, "text")), "q1: promotion.healthy api@prod 1.2.0 (seq 42)");
	CHECK_STR(block_type(msg, 0), "header");
	CHECK_STR(block_text(msg, 0), "api \xe2\x86\x92 prod: healthy");
	fields = json_object_get(json_array_get(json_object_get(msg, "blocks"), 1), "fields");
	CHECK_INT(json_array_size(fields), 4);
	CHECK_STR(json_string_value(json_object_get(json_array_get(fields, 0), "text")), "*Project*\napi");
	CHECK_STR(json_string_value(json_object_get(json_array_get(fields, 1), "text")), "*Environment*\nprod");
	CHECK_STR(json_string_value(json_object_get(json_array_get(fields, 2), "text")), "*Version*\n1.2.0");
	CHECK_STR(json_string_value(json_object_get(json_array_get(fields, 3), "text")), "*Status*\nhealthy");
	CHECK_STR(block_text(msg, 2), "*Issues*\n\xe2\x80\xa2 incident 7 (level 2): 5xx &gt; 1%");
	CHECK_STR(block_text(msg, 3), "1.2.0 &lt;soak passed&gt; &amp; done");
	json_t *ctx = json_array_get(json_object_get(msg, "blocks"), 4);
	CHECK_STR(json_string_value(json_object_get(ctx, "type")), "context");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(ctx, "elements"), 0), "text")),
		  "q1 \xc2\xb7 seq 42 \xc2\xb7 hash `ab12` \xc2\xb7 by alice at 2026-06-15T09:00:00Z");
	json_t *act = json_array_get(json_object_get(msg, "blocks"), 5);
	CHECK_STR(json_string_value(json_object_get(act, "type")), "actions");
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(act, "elements"), 0), "url")),
		  "http://127.0.0.1:8080/#board");
	json_decref(msg);
	notify_entry_release(&en);
	json_decref(payload);

	/* an incident on an environment: no project; no dashboard: no button */
	payload = json_loads("{\"event\":\"incident.open\",\"plan\":\"q1\",\"seq\":3,\"hash\":\"ff\","
			     "\"subject\":\"prod\",\"detail\":\"\"}", 0, NULL);
	CHECK_INT(notify_entry_from_payload(payload, &en), 0);
	CHECK(en.project == NULL);
	CHECK_STR(en.environment, "prod");
	msg = notify_slack_entry_message(&en, NULL);
	CHECK_STR(block_text(msg, 0), "prod: incident.open");
	CHECK_INT(json_array_size(json_object_get(msg, "blocks")), 4);
	CHECK_STR(block_text(msg, 2), "*Issues*\nnone");
	json_decref(msg);
	msg = notify_slack_entry_message(&en, "https://tg.example.com");
	json_t *last = json_array_get(json_object_get(msg, "blocks"), 4);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(last, "elements"), 0), "url")),
		  "https://tg.example.com/#incidents");
	json_decref(msg);
	notify_entry_release(&en);
	json_decref(payload);

	payload = json_integer(1);
	CHECK(notify_entry_from_payload(payload, &en) < 0);
	json_decref(payload);
}

static void test_mentions(void)
{
	const char *who[] = {"U024BE7LH", "@S0614TZR7", "@here", "alice<b>"};
	struct notify_entry en = {.plan = "q1", .event = "incident.open", .subject = "api@prod",
				  .project = "api", .environment = "prod", .seq = 9,
				  .mentions = who, .nmentions = 4};
	json_t *msg = notify_slack_entry_message(&en, NULL);

	CHECK_STR(json_string_value(json_object_get(msg, "text")),
		  "q1: incident.open api@prod (seq 9) <@U024BE7LH> <!subteam^S0614TZR7> <!here> @alice&lt;b&gt;");
	CHECK_STR(block_text(msg, 1), "*Escalation* <@U024BE7LH> <!subteam^S0614TZR7> <!here> @alice&lt;b&gt;");
	CHECK_STR(block_type(msg, 2), "section");
	json_decref(msg);
	char *m = notify_slack_mention("Ualice");
	CHECK_STR(m, "@Ualice");
	free(m);
}

static void test_limits(void)
{
	struct notify_entry en = {0};
	char subject[400];
	json_t *msg;
	const char *h;

	/* 199 two-byte characters: cut to 149 and an ellipsis, on a boundary */
	for (int i = 0; i < 199; i++)
		memcpy(subject + 2 * i, "\xc3\xa9", 2);
	subject[398] = '\0';
	en.subject = subject;
	en.event = "lease.repair";
	msg = notify_slack_entry_message(&en, NULL);
	h = block_text(msg, 0);
	CHECK(h != NULL);
	CHECK_INT(strlen(h), 149 * 2 + 3);
	CHECK(h && !strcmp(h + 298, "\xe2\x80\xa6"));
	json_decref(msg);
}

static void test_digest(void)
{
	json_t *d = json_loads(
		"{\"digest\":\"standup\",\"plan\":\"q1\",\"at\":\"2026-06-15T08:00:00Z\","
		"\"since\":\"2026-06-12T08:00:00Z\","
		"\"deployed\":[{\"project\":\"api\",\"environment\":\"dev\",\"version\":\"1.2.0\",\"status\":\"healthy\"}],"
		"\"deploying\":[],\"targets\":[{\"project\":\"web\",\"environment\":\"prod\",\"target\":\"2026-06-15\"}],"
		"\"blockers\":[{\"id\":\"b1\",\"text\":\"SDK <2.0>\"}],\"incidents\":[]}", 0, NULL);
	json_t *msg = notify_slack_digest_message(d, "http://h");

	CHECK_STR(json_string_value(json_object_get(msg, "text")), "Standup for q1 at 2026-06-15T08:00:00Z");
	CHECK_STR(block_text(msg, 0), "Standup for q1");
	CHECK_STR(block_text(msg, 1), "*Deployed since 2026-06-12T08:00:00Z*\n\xe2\x80\xa2 api dev: 1.2.0 (healthy)");
	CHECK_STR(block_text(msg, 2), "*Deploying today*\n\xe2\x80\xa2 web prod: target 2026-06-15");
	CHECK_STR(block_text(msg, 3), "*Blockers*\n\xe2\x80\xa2 b1: SDK &lt;2.0&gt;");
	CHECK_STR(block_text(msg, 4), "*Open incidents*\nnone");
	CHECK_STR(block_type(msg, 5), "actions");
	json_decref(msg);
	json_decref(d);

	d = json_loads("{\"digest\":\"status\",\"plan\":\"q1\",\"at\":\"2026-06-15T09:00:00Z\","
		       "\"rows\":[{\"project\":\"api\",\"environment\":\"prod\",\"status\":\"deploying\","
		       "\"version\":\"1.2.0\",\"issues\":[\"late\"]}],\"blockers\":[],\"incidents\":"
		       "[{\"id\":7,\"level\":2,\"text\":\"5xx\"}]}", 0, NULL);
	msg = notify_slack_digest_message(d, NULL);
	CHECK_STR(block_text(msg, 0), "Status of q1");
	CHECK_STR(block_text(msg, 1), "*Projects*\n\xe2\x80\xa2 api prod: deploying 1.2.0 (late)");
	CHECK_STR(block_text(msg, 3), "*Open incidents*\n\xe2\x80\xa2 #7 level 2: 5xx");
	CHECK_INT(json_array_size(json_object_get(msg, "blocks")), 4);
	json_decref(msg);
	json_decref(d);
}

int main(void)
{
	RUN(test_entry_from_payload);
	RUN(test_mentions);
	RUN(test_limits);
	RUN(test_digest);
	return TEST_DONE();
}
