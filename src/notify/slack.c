/*
 * slack.c - Block Kit messages for Slack incoming webhooks (slack.h).
 */
#include "notify/slack.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

enum {
	SLACK_HEADER_MAX = 150,
	SLACK_FIELD_MAX = 2000,
	SLACK_SECTION_MAX = 3000,
	SLACK_FALLBACK_MAX = 3000,
};

char *notify_slack_escape(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "");
	for (; s && *s; s++) {
		if (*s == '&')
			strbuf_addstr(&sb, "&amp;");
		else if (*s == '<')
			strbuf_addstr(&sb, "&lt;");
		else if (*s == '>')
			strbuf_addstr(&sb, "&gt;");
		else
			strbuf_addch(&sb, *s);
	}
	return strbuf_detach(&sb);
}

static bool all_upper_alnum(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

char *notify_slack_mention(const char *handle)
{
	const char *h = handle && *handle == '@' ? handle + 1 : (handle ? handle : "");
	char *esc, *out;

	if ((h[0] == 'U' || h[0] == 'W') && all_upper_alnum(h + 1))
		return xasprintf("<@%s>", h);
	if (h[0] == 'S' && all_upper_alnum(h + 1))
		return xasprintf("<!subteam^%s>", h);
	if (!strcmp(h, "here") || !strcmp(h, "channel") || !strcmp(h, "everyone"))
		return xasprintf("<!%s>", h);
	esc = notify_slack_escape(h);
	out = xasprintf("@%s", esc);
	free(esc);
	return out;
}

static char *mentions_line(const struct notify_entry *en)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < en->nmentions; i++) {
		char *m = notify_slack_mention(en->mentions[i]);
		strbuf_addf(&sb, "%s%s", i ? " " : "", m);
		free(m);
	}
	return strbuf_detach(&sb);
}

/* s cut to at most max characters (code points), "…" marking a cut. */
static json_t *text_cut(const char *s, size_t max)
{
	size_t chars = 0, i, cut = 0;
	char *t;
	json_t *j;

	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80) {
			if (chars == max - 1)
				cut = i;
			chars++;
		}
	}
	if (chars <= max)
		return json_string(s);
	t = xmalloc(cut + 4);
	memcpy(t, s, cut);
	memcpy(t + cut, "\xe2\x80\xa6", 4);
	j = json_string(t);
	free(t);
	return j;
}

static json_t *text_obj(const char *type, const char *s, size_t max)
{
	json_t *o = json_object();
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "text", text_cut(s, max));
	return o;
}

static json_t *header_block(const char *s)
{
	json_t *b = json_object();
	json_object_set_new(b, "type", json_string("header"));
	json_object_set_new(b, "text", text_obj("plain_text", s, SLACK_HEADER_MAX));
	return b;
}

static json_t *section_block(const char *mrkdwn)
{
	json_t *b = json_object();
	json_object_set_new(b, "type", json_string("section"));
	json_object_set_new(b, "text", text_obj("mrkdwn", mrkdwn, SLACK_SECTION_MAX));
	return b;
}

static void add_field(json_t *fields, const char *label, const char *value)
{
	char *v = notify_slack_escape(value && *value ? value : "-");
	char *s = xasprintf("*%s*\n%s", label, v);
	json_array_append_new(fields, text_obj("mrkdwn", s, SLACK_FIELD_MAX));
	free(s);
	free(v);
}

static json_t *button_block(const char *base, const char *view)
{
	json_t *b, *btn, *els;
	char *url = notify_dashboard_link(base, view);

	if (!url)
		return NULL;
	btn = json_object();
	json_object_set_new(btn, "type", json_string("button"));
	json_object_set_new(btn, "text", text_obj("plain_text", "Open the dashboard", 75));
	json_object_set_new(btn, "url", json_string(url));
	els = json_array();
	json_array_append_new(els, btn);
	b = json_object();
	json_object_set_new(b, "type", json_string("actions"));
	json_object_set_new(b, "elements", els);
	free(url);
	return b;
}

json_t *notify_slack_entry_message(const struct notify_entry *en, const char *dashboard_url)
{
	json_t *msg = json_object(), *blocks = json_array(), *fields, *b, *els;
	struct strbuf sb = STRBUF_INIT;
	char *s, *hash, *mentions;
	char when[64] = "";

	if (en->at)
		util_fmt_time(en->at, when, sizeof(when));
	/* the fallback text: notifications and clients without blocks */
	strbuf_addf(&sb, "%s: %s %s", en->plan ? en->plan : "tollgate", en->event ? en->event : "",
		    en->subject ? en->subject : "");
	if (en->version)
		strbuf_addf(&sb, " %s", en->version);
	strbuf_addf(&sb, " (seq %lld)", (long long)en->seq);
	s = notify_slack_escape(sb.buf);
	mentions = en->nmentions ? mentions_line(en) : NULL;
	if (mentions) {
		char *t = xasprintf("%s %s", s, mentions);
		free(s);
		s = t;
	}
	json_object_set_new(msg, "text", text_cut(s, SLACK_FALLBACK_MAX));
	free(s);

	strbuf_reset(&sb);
	if (en->project && en->environment)
		strbuf_addf(&sb, "%s \xe2\x86\x92 %s", en->project, en->environment);
	else
		strbuf_addstr(&sb, en->subject && *en->subject ? en->subject : (en->plan ? en->plan : "tollgate"));
	strbuf_addf(&sb, ": %s", en->status ? en->status : (en->event ? en->event : ""));
	json_array_append_new(blocks, header_block(sb.buf));
	if (en->alert || mentions) {
		char *alert = notify_slack_escape(en->alert ? en->alert : "Escalation");
		s = xasprintf("*%s*%s%s", alert, mentions ? " " : "", mentions ? mentions : "");
		json_array_append_new(blocks, section_block(s));
		free(s);
		free(alert);
		free(mentions);
	}

	fields = json_array();
	add_field(fields, "Project", en->project);
	add_field(fields, "Environment", en->environment);
	add_field(fields, "Version", en->version);
	add_field(fields, "Status", en->status ? en->status : en->event);
	b = json_object();
	json_object_set_new(b, "type", json_string("section"));
	json_object_set_new(b, "fields", fields);
	json_array_append_new(blocks, b);

	strbuf_reset(&sb);
	strbuf_addstr(&sb, "*Issues*");
	if (!en->nissues)
		strbuf_addstr(&sb, "\nnone");
	for (size_t i = 0; i < en->nissues; i++) {
		s = notify_slack_escape(en->issues[i]);
		strbuf_addf(&sb, "\n\xe2\x80\xa2 %s", s);
		free(s);
	}
	json_array_append_new(blocks, section_block(sb.buf));

	if (en->detail && *en->detail) {
		s = notify_slack_escape(en->detail);
		json_array_append_new(blocks, section_block(s));
		free(s);
	}

	strbuf_reset(&sb);
	hash = notify_slack_escape(en->hash ? en->hash : "-");
	s = notify_slack_escape(en->actor ? en->actor : "-");
	strbuf_addf(&sb, "%s \xc2\xb7 seq %lld \xc2\xb7 hash `%s` \xc2\xb7 by %s", en->plan ? en->plan : "-",
		    (long long)en->seq, hash, s);
	if (*when)
		strbuf_addf(&sb, " at %s", when);
	free(s);
	free(hash);
	els = json_array();
	json_array_append_new(els, text_obj("mrkdwn", sb.buf, SLACK_SECTION_MAX));
	b = json_object();
	json_object_set_new(b, "type", json_string("context"));
	json_object_set_new(b, "elements", els);
	json_array_append_new(blocks, b);

	b = button_block(dashboard_url, notify_entry_view(en->event));
	if (b)
		json_array_append_new(blocks, b);
	json_object_set_new(msg, "blocks", blocks);
	strbuf_release(&sb);
	return msg;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

/* "*Title*" then one escaped line per element of arr, by fn; "none" if empty */
static void list_section(json_t *blocks, const char *title, const json_t *arr,
			 char *(*line)(const json_t *))
{
	struct strbuf sb = STRBUF_INIT;
	const json_t *v;
	size_t i;

	strbuf_addf(&sb, "*%s*", title);
	if (!json_array_size(arr))
		strbuf_addstr(&sb, "\nnone");
	json_array_foreach(arr, i, v) {
		char *l = line(v), *s = notify_slack_escape(l);
		strbuf_addf(&sb, "\n\xe2\x80\xa2 %s", s);
		free(s);
		free(l);
	}
	json_array_append_new(blocks, section_block(sb.buf));
	strbuf_release(&sb);
}

static char *row_line(const json_t *v)
{
	struct strbuf sb = STRBUF_INIT;
	const json_t *w;
	size_t j;

	strbuf_addf(&sb, "%s %s: %s %s", jstr(v, "project"), jstr(v, "environment"), jstr(v, "status"),
		    jstr(v, "version"));
	json_array_foreach(json_object_get(v, "issues"), j, w)
		strbuf_addf(&sb, "%s%s", j ? "; " : " (", json_string_value(w));
	if (json_array_size(json_object_get(v, "issues")))
		strbuf_addch(&sb, ')');
	return strbuf_detach(&sb);
}

static char *moved_line(const json_t *v)
{
	if (json_object_get(v, "target"))
		return xasprintf("%s %s: target %s", jstr(v, "project"), jstr(v, "environment"),
				 jstr(v, "target"));
	return xasprintf("%s %s: %s (%s)", jstr(v, "project"), jstr(v, "environment"),
			 jstr(v, "version"), jstr(v, "status"));
}

static char *risk_line(const json_t *v)
{
	return xasprintf("%s %s: target %s", jstr(v, "project"), jstr(v, "environment"),
			 jstr(v, "target"));
}

static char *blocker_line(const json_t *v)
{
	return xasprintf("%s: %s", jstr(v, "id"), jstr(v, "text"));
}

static char *incident_line(const json_t *v)
{
	return xasprintf("#%lld level %lld: %s", (long long)json_integer_value(json_object_get(v, "id")),
			 (long long)json_integer_value(json_object_get(v, "level")), jstr(v, "text"));
}

json_t *notify_slack_digest_message(const json_t *digest, const char *dashboard_url)
{
	json_t *msg = json_object(), *blocks = json_array(), *b;
	bool standup = !strcmp(jstr(digest, "digest"), "standup");
	char *title = xasprintf("%s %s", standup ? "Standup for" : "Status of", jstr(digest, "plan"));
	char *fallback = xasprintf("%s at %s", title, jstr(digest, "at"));

	json_object_set_new(msg, "text", text_cut(fallback, SLACK_FALLBACK_MAX));
	json_array_append_new(blocks, header_block(title));
	if (standup) {
		json_t *today = json_array();
		json_array_extend(today, json_object_get(digest, "deploying"));
		json_array_extend(today, json_object_get(digest, "targets"));
		char *since = xasprintf("Deployed since %s", jstr(digest, "since"));
		list_section(blocks, since, json_object_get(digest, "deployed"), moved_line);
		list_section(blocks, "Deploying today", today, moved_line);
		free(since);
		json_decref(today);
	} else {
		list_section(blocks, "Projects", json_object_get(digest, "rows"), row_line);
	}
	if (json_array_size(json_object_get(digest, "at_risk")))
		list_section(blocks, "At risk (target out of reach)", json_object_get(digest, "at_risk"),
			     risk_line);
	list_section(blocks, "Blockers", json_object_get(digest, "blockers"), blocker_line);
	list_section(blocks, "Open incidents", json_object_get(digest, "incidents"), incident_line);
	b = button_block(dashboard_url, "board");
	if (b)
		json_array_append_new(blocks, b);
	json_object_set_new(msg, "blocks", blocks);
	free(title);
	free(fallback);
	return msg;
}
