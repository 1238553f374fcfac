/*
 * slack.h - Slack incoming-webhook messages (issue 13, channel kind `slack`):
 * Block Kit JSON for one audit entry (project, environment, version, status,
 * issues, the entry's sequence and hash, a link to the dashboard) and for a
 * scheduled digest (schedule.h). Pure functions: nothing here sends; the
 * core POSTs json_dumps(message) to the channel's url_env URL.
 *
 * Text is escaped for Slack's mrkdwn (&, <, >) and cut to Block Kit's limits
 * (header 150, field 2,000, section 3,000 characters, on UTF-8 boundaries),
 * so a message is never refused for its size.
 */
#ifndef TOLLGATE_NOTIFY_SLACK_H
#define TOLLGATE_NOTIFY_SLACK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* One audit entry as a Slack message shows it. Strings may be NULL (left
 * out, or "-"); they are copied into the message. */
struct notify_slack_entry {
	const char *plan;     /* the plan's id */
	const char *event;    /* the audit action: "promotion.healthy", "incident.open" */
	const char *actor;
	const char *subject;  /* "project@env" or "env" */
	const char *detail;
	int64_t seq, at;      /* at: UTC epoch seconds */
	const char *hash;     /* 64 hex chars: the receiver's anchor for log --verify --anchor */
	const char *project, *environment, *version, *status;
	const char *const *issues; /* open incidents, blockers, … as one line each */
	size_t nissues;
};

/*
 * Fill en from a webhook body of the core's outbox ({id, event, plan, seq,
 * hash, at, actor, subject, detail}, notify_payload): the project and
 * environment from the subject ("api@prod", or "prod" alone), the status
 * from a promotion.* event's suffix. version and issues are left NULL for
 * the caller, who knows them from the state. Strings point into payload,
 * which must outlive en. 0, or -1 when payload is not such an object.
 * *split receives a copy of the subject's project part (caller frees).
 */
int notify_slack_entry_from_payload(const json_t *payload, struct notify_slack_entry *en,
				    char **split);

/*
 * The message for en: {"text": fallback, "blocks": [header, fields (project,
 * environment, version, status), issues, context (plan, seq, hash, actor,
 * time), a button to the dashboard]}. dashboard_url is the base URL of
 * `serve` (no trailing slash needed); NULL or "": no button. The button opens
 * the incidents view for incident.* events, the board for promotion.* and
 * the audit log otherwise. New reference.
 */
json_t *notify_slack_entry_message(const struct notify_slack_entry *en, const char *dashboard_url);

/*
 * The message for a digest (notify_digest_status / notify_digest_standup's
 * JSON): a header ("Status of PLAN" / "Standup for PLAN"), one section per
 * part (rows, or deployed / deploying today), blockers and incidents, and
 * the dashboard button. New reference.
 */
json_t *notify_slack_digest_message(const json_t *digest, const char *dashboard_url);

/* s escaped for mrkdwn (& < >). The caller frees it. */
char *notify_slack_escape(const char *s);

#endif
