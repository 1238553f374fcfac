/*
 * entry.h - one audit entry as a notification shows it, whatever the channel
 * (slack.h, email.h): the entry's anchors (plan, seq, hash), what happened
 * and to which project and environment, with the version, status and issues
 * the caller knows from the state.
 */
#ifndef TOLLGATE_NOTIFY_ENTRY_H
#define TOLLGATE_NOTIFY_ENTRY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Strings may be NULL (shown as "-" or left out); they are borrowed. */
struct notify_entry {
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
	/* who the plan's escalation names for this entry (an incident's level,
	 * a rollback): chat handles (people[].slack) for Slack, shown by name
	 * in e-mail; see notify_slack_mention */
	const char *const *mentions;
	size_t nmentions;
	/* what the plan says to do: "Escalation level 2 (Major): Escalate to
	 * Tech Lead, pause deployments", "Rollback procedure: Notify: …; …" */
	const char *alert;
	char *owned_;         /* notify_entry_from_payload's copy of the project */
	char *owned_version_; /* … of the version */
	const char **owned_mentions_;
	char *owned_alert_;
};

/*
 * Fill en from a webhook body of the core's outbox ({id, event, plan, seq,
 * hash, at, actor, subject, detail}, notify_payload): the project and
 * environment from the subject ("api@prod", or "prod" alone), the status
 * from a promotion.* event's suffix, the version from a detail that starts
 * "version V" (promotions, allow, reject), the mentions from an escalation's
 * people (their `slack` handle, else their name). issues are left NULL for
 * the caller, who knows them from the state. Strings point into payload,
 * which must outlive en. 0, or -1 when payload is not such an object.
 * Release with notify_entry_release.
 */
int notify_entry_from_payload(const json_t *payload, struct notify_entry *en);
void notify_entry_release(struct notify_entry *en);

/* The dashboard's view for an event: "incidents" for incident.*, "board" for
 * promotion.* and rollback*, else "log". */
const char *notify_entry_view(const char *event);

/* base + "/#" + view (base's trailing '/' dropped); NULL for no base. The
 * caller frees it. */
char *notify_dashboard_link(const char *base, const char *view);

#endif
