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

#include "notify/entry.h"

/*
 * The message for en: {"text": fallback, "blocks": [header, mentions (when
 * en->nmentions: "*Escalation* <@U…> …", also at the end of the fallback
 * text so the notification pings them), fields (project,
 * environment, version, status), issues, context (plan, seq, hash, actor,
 * time), a button to the dashboard]}. dashboard_url is the base URL of
 * `serve` (no trailing slash needed); NULL or "": no button. The button opens
 * the incidents view for incident.* events, the board for promotion.* and
 * the audit log otherwise. New reference.
 */
json_t *notify_slack_entry_message(const struct notify_entry *en, const char *dashboard_url);

/*
 * The message for a digest (notify_digest_status / notify_digest_standup's
 * JSON): a header ("Status of PLAN" / "Standup for PLAN"), one section per
 * part (rows, or deployed / deploying today), blockers and incidents, and
 * the dashboard button. New reference.
 */
json_t *notify_slack_digest_message(const json_t *digest, const char *dashboard_url);

/* A person's chat handle as Slack mrkdwn: a member id ("U024BE7LH",
 * "W…") as "<@U024BE7LH>", a user group id ("S…") as "<!subteam^S…>", a
 * channel-wide word ("here", "channel", "everyone", with or without '@')
 * as "<!here>", anything else as "@name", escaped (Slack pings ids only).
 * The caller frees it. */
char *notify_slack_mention(const char *handle);

/* s escaped for mrkdwn (& < >). The caller frees it. */
char *notify_slack_escape(const char *s);

#endif
