/*
 * entry.c - an audit entry read back from the outbox's webhook body, for
 * the channels that show it to people (entry.h).
 */
#include "notify/entry.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

int notify_entry_from_payload(const json_t *payload, struct notify_entry *en)
{
	const char *at, *subject, *event, *sep;
	int64_t t = 0;

	memset(en, 0, sizeof(*en));
	if (!json_is_object(payload) || !json_is_string(json_object_get(payload, "event")))
		return -1;
	event = json_string_value(json_object_get(payload, "event"));
	en->event = event;
	en->plan = json_string_value(json_object_get(payload, "plan"));
	en->actor = json_string_value(json_object_get(payload, "actor"));
	en->detail = json_string_value(json_object_get(payload, "detail"));
	en->hash = json_string_value(json_object_get(payload, "hash"));
	en->seq = json_integer_value(json_object_get(payload, "seq"));
	at = json_string_value(json_object_get(payload, "at"));
	if (at && util_parse_time(at, &t) == 0)
		en->at = t;
	subject = json_string_value(json_object_get(payload, "subject"));
	en->subject = subject;
	if (subject && *subject) {
		sep = strchr(subject, '@');
		if (sep) {
			en->owned_ = xstrndup(subject, (size_t)(sep - subject));
			en->project = en->owned_;
			en->environment = sep + 1;
		} else {
			en->environment = subject;
		}
	}
	if (!strncmp(event, "promotion.", 10))
		en->status = event + 10;
	return 0;
}

void notify_entry_release(struct notify_entry *en)
{
	free(en->owned_);
	memset(en, 0, sizeof(*en));
}

const char *notify_entry_view(const char *event)
{
	if (event && !strncmp(event, "incident.", 9))
		return "incidents";
	if (event && (!strncmp(event, "promotion.", 10) || !strncmp(event, "rollback", 8)))
		return "board";
	return "log";
}

char *notify_dashboard_link(const char *base, const char *view)
{
	size_t n;

	if (!base || !*base)
		return NULL;
	n = strlen(base);
	return xasprintf("%.*s/#%s", (int)(base[n - 1] == '/' ? n - 1 : n), base, view);
}
