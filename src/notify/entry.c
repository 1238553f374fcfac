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
	json_t *people, *esc;
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
	if (en->detail && !strncmp(en->detail, "version ", 8)) {
		const char *v = en->detail + 8;
		size_t n = strcspn(v, " :;,()");
		if (n)
			en->version = en->owned_version_ = xstrndup(v, n);
	}
	esc = json_object_get(payload, "escalation");
	if (json_is_object(esc)) {
		const char *name = json_string_value(json_object_get(esc, "name"));
		const char *act = json_string_value(json_object_get(esc, "action"));
		en->alert = en->owned_alert_ = xasprintf(
			"Escalation level %d%s%s%s%s%s", (int)json_integer_value(json_object_get(esc, "level")),
			name ? " (" : "", name ? name : "", name ? ")" : "", act ? ": " : "", act ? act : "");
	} else if (json_array_size(json_object_get(payload, "rollback_procedure"))) {
		struct strbuf sb = STRBUF_INIT;
		json_t *st;
		size_t i;
		strbuf_addstr(&sb, "Rollback procedure:");
		json_array_foreach(json_object_get(payload, "rollback_procedure"), i, st)
			strbuf_addf(&sb, "%s %s", i ? ";" : "", json_string_value(st) ? json_string_value(st) : "");
		en->alert = en->owned_alert_ = strbuf_detach(&sb);
	}
	people = json_object_get(esc, "people");
	if (json_array_size(people)) {
		size_t i;
		json_t *w;
		en->owned_mentions_ = xcalloc(json_array_size(people), sizeof(char *));
		json_array_foreach(people, i, w) {
			const char *h = json_string_value(json_object_get(w, "slack"));
			if (!h)
				h = json_string_value(json_object_get(w, "name"));
			if (h)
				en->owned_mentions_[en->nmentions++] = h;
		}
		en->mentions = en->owned_mentions_;
	}
	return 0;
}

void notify_entry_release(struct notify_entry *en)
{
	free(en->owned_);
	free(en->owned_version_);
	free(en->owned_mentions_);
	free(en->owned_alert_);
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
