/*
 * send.c - the channels people read: Slack (a Block Kit message POSTed to
 * an incoming webhook) and e-mail (SMTP or SMTPS through libcurl). Both are
 * made from the outbox's webhook body, so every message carries the audit
 * entry's sequence and hash; a digest's body carries the digest.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify/curl.h"
#include "notify/email.h"
#include "notify/entry.h"
#include "notify/notify.h"
#include "notify/slack.h"

static bool is_digest(const char *event)
{
	return event && !strncmp(event, "digest.", 7);
}

/* m's payload, parsed: NULL and e set when it is not JSON (a damaged row) */
static json_t *payload_of(const struct plan_channel *c, const struct notify_msg *m, struct err *e)
{
	json_error_t je;
	json_t *j = json_loads(m->payload, 0, &je);
	if (!json_is_object(j)) {
		json_decref(j);
		err_setr(e, ERR_FAILED, REASON_INVALID,
			 "channel '%s': message %s is not a JSON object (%s)", c->id, m->delivery_id,
			 je.text);
		return NULL;
	}
	return j;
}

int notify_send_slack(const struct plan *p, const struct plan_channel *c,
		      const struct notify_msg *m, struct notify_answer *a, struct err *e)
{
	const char *dash = p->notify_policy.dashboard_url;
	struct curl_slist *hdr = NULL;
	json_t *j, *msg = NULL;
	const char *url;
	char *body = NULL, *line;
	int rc = -1;

	if (notify_curl_load(e) < 0)
		return -1;
	url = notify_channel_env(c, "url_env", c->url_env, e);
	if (!url || !(j = payload_of(c, m, e)))
		return -1;
	if (is_digest(m->event)) {
		msg = notify_slack_digest_message(json_object_get(j, "digest"), dash);
	} else {
		struct notify_entry en;
		if (notify_entry_from_payload(j, &en) == 0) {
			en.issues = m->issues;
			en.nissues = m->nissues;
			msg = notify_slack_entry_message(&en, dash);
			notify_entry_release(&en);
		}
	}
	if (!msg || !(body = json_dumps(msg, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
		err_setr(e, ERR_FAILED, REASON_INVALID, "channel '%s': message %s cannot be shown",
			 c->id, m->delivery_id);
		goto out;
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json; charset=utf-8");
	line = xasprintf("X-Tollgate-Delivery: %s", m->delivery_id);
	hdr = curl_slist_append(hdr, line);
	free(line);
	rc = notify_post(c, url, hdr, body, a, e);
	curl_slist_free_all(hdr);
out:
	free(body);
	json_decref(msg);
	json_decref(j);
	return rc;
}

/* The channel's `to`, then the e-mail addresses of the people an escalation
 * names (once each) */
static size_t recipients(const struct plan_channel *c, const json_t *j, const char **to, size_t max)
{
	json_t *people = json_object_get(json_object_get(j, "escalation"), "people"), *w;
	size_t n = 0, i;
	for (size_t k = 0; k < c->nto && n < max; k++)
		to[n++] = c->to[k];
	json_array_foreach(people, i, w) {
		const char *mail = json_string_value(json_object_get(w, "email"));
		bool seen = false;
		for (size_t k = 0; mail && k < n && !seen; k++)
			seen = !strcasecmp(to[k], mail);
		if (mail && !seen && n < max)
			to[n++] = mail;
	}
	return n;
}

int notify_send_email(const struct plan *p, const struct plan_channel *c,
		      const struct notify_msg *m, struct notify_answer *a, struct err *e)
{
	const char *dash = p->notify_policy.dashboard_url, *url, *to[64];
	struct notify_email_content ct = { 0 };
	struct notify_email_answer ea = { 0 };
	struct notify_email em = { 0 };
	char *message = NULL;
	json_t *j;
	int rc = -1;

	url = notify_channel_env(c, "smtp_env", c->smtp_env, e);
	if (!url || !(j = payload_of(c, m, e)))
		return -1;
	if (is_digest(m->event)) {
		notify_email_digest_content(json_object_get(j, "digest"), dash, &ct);
	} else {
		struct notify_entry en;
		if (notify_entry_from_payload(j, &en) < 0) {
			err_setr(e, ERR_FAILED, REASON_INVALID,
				 "channel '%s': message %s cannot be shown", c->id, m->delivery_id);
			goto out;
		}
		const char *names[64];
		json_t *w;
		size_t i, n = 0;
		/* an e-mail names people by their names, not their chat handles */
		json_array_foreach(json_object_get(json_object_get(j, "escalation"), "people"), i, w)
			if (n < 64 && json_string_value(json_object_get(w, "name")))
				names[n++] = json_string_value(json_object_get(w, "name"));
		en.mentions = names;
		en.nmentions = n;
		en.issues = m->issues;
		en.nissues = m->nissues;
		notify_email_entry_content(&en, dash, &ct);
		notify_entry_release(&en);
	}
	em.from = c->from;
	em.to = to;
	em.nto = recipients(c, j, to, 64);
	em.subject = ct.subject;
	em.text = ct.text;
	em.html = ct.html;
	em.delivery_id = m->delivery_id;
	em.date = (int64_t)time(NULL);
	em.seq = json_integer_value(json_object_get(j, "seq"));
	em.hash = json_string_value(json_object_get(j, "hash"));
	if (notify_email_build(&em, &message, e) < 0)
		goto out;
	rc = notify_email_send(url, em.from, em.to, em.nto, message, 30, &ea, e);
	a->status = ea.code;
	snprintf(a->body, sizeof(a->body), "%s", ea.text);
	if (rc < 0 && strncmp(e->msg, "channel '", 9)) {
		char *was = xstrdup(e->msg);
		snprintf(e->msg, sizeof(e->msg), "channel '%.100s': %.900s", c->id, was);
		free(was);
	}
out:
	free(message);
	notify_email_content_release(&ct);
	json_decref(j);
	return rc;
}
