/*
 * schedule.h - when a scheduled digest is due (issue 13, `schedules:`), and
 * what the `status` and `standup` digests say, as data (JSON) and as text.
 *
 * Time zones come from the system's zoneinfo through localtime_r/mktime with
 * TZ set to the schedule's zone. TZ is process state: every conversion here
 * holds one process-wide mutex around setenv("TZ") + tzset + the conversion
 * + restoring the previous TZ, so two schedules in two threads never see each
 * other's zone. Code elsewhere that calls localtime_r at the same moment in
 * another thread may briefly see the schedule's zone; tollgate's own times
 * are UTC epoch seconds, so nothing else depends on the local zone. glibc's
 * setenv is not safe against a concurrent getenv in another thread either:
 * in `serve`, call these from the one thread that runs the schedules.
 *
 * Nothing here touches the store or sends: the core (src/notify/) keeps the
 * last slot it handled per schedule and asks notify_schedule_due.
 */
#ifndef TOLLGATE_NOTIFY_SCHEDULE_H
#define TOLLGATE_NOTIFY_SCHEDULE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/util.h"

struct status_board;

/* A schedule's times: hour:minute local time in zone tz, on the weekdays
 * whose bit is set in days (bit 0 Sunday … bit 6 Saturday; 0: every day). */
struct notify_schedule_spec {
	int hour, minute;
	const char *tz; /* an IANA name ("Europe/London"); NULL or "": UTC */
	unsigned days;
};

/* "HH:MM" (00:00 … 23:59) into *hour, *minute: 0, or -1 (e says why). */
int notify_schedule_parse_at(const char *at, int *hour, int *minute, struct err *e);
/* "sun" … "sat" (also "mon"…, any case; full English names too) into its
 * bit (1 << weekday): the bit, or 0 for an unknown name. */
unsigned notify_schedule_day_bit(const char *name);
/* Whether tz names a zone the system's zoneinfo has (glibc silently uses UTC
 * for an unknown one, so the plan's validation should ask this). */
bool notify_tz_valid(const char *tz);

/* The last slot of s at or before now (UTC epoch seconds), looking back up to
 * 8 days: 0 with *slot set, -1 if none (days names no day, or e: a bad zone).
 * A local time that does not exist that day (skipped by a DST change) is
 * the instant mktime normalises it to (01:30 on a spring-forward day in
 * London is 02:30 BST); a repeated one (autumn) is its first occurrence. */
int notify_schedule_last_slot(const struct notify_schedule_spec *s, int64_t now, int64_t *slot,
			      struct err *e);

enum notify_slot_action {
	NOTIFY_SLOT_NONE, /* nothing due: the last slot was handled already */
	NOTIFY_SLOT_SEND, /* send the digest for *slot now */
	NOTIFY_SLOT_SKIP, /* *slot passed more than grace ago: record it as skipped */
};
/*
 * What to do about schedule s now, given handled (the last slot already sent
 * or skipped, 0 none) and grace (seconds after a slot within which it is
 * still sent). Only the latest slot at or before now is considered: older
 * unhandled ones are superseded by it. After SEND or SKIP the caller records
 * *slot as handled (with a claim so that several servers send it once).
 * -1 with e filled for a bad zone.
 */
int notify_schedule_due(const struct notify_schedule_spec *s, int64_t now, int64_t handled,
			int64_t grace, enum notify_slot_action *action, int64_t *slot, struct err *e);

/* Local date and time of t in zone tz as "YYYY-MM-DD HH:MM" plus the zone's
 * abbreviation ("2026-03-29 10:00 BST") into buf. 0, or -1 for a bad zone. */
int notify_local_time(int64_t t, const char *tz, char *buf, size_t size, struct err *e);

/* ---- digests ---------------------------------------------------------------- */

/*
 * The `status` digest of board b (status_board in engine/query.h) as data:
 *   {"digest":"status","plan":ID,"at":TIME,
 *    "rows":[{"project","environment","status","version","late","issues":[TEXT…]}…],
 *    "blockers":[{"id","text"}…],"incidents":[{"id","level","text"}…]}
 * one row per project and environment with a promotion (a pair never
 * promoted is left out). A row's issues: open incidents on that project or
 * environment, blockers that block that environment, being late, a failed
 * or rolled-back version. New reference for the caller.
 */
json_t *notify_digest_status(const struct status_board *b);

/*
 * The `standup` digest: since (the previous standup's slot, 0: a day before
 * b->now) to b->now, the day being b->now's local date in tz:
 *   {"digest":"standup","plan","at","since",
 *    "deployed":[{"project","environment","version","status","at"}…],   healthy/soaking since `since`
 *    "deploying":[{"project","environment","version","status"}…],       running now
 *    "targets":[{"project","environment","target"}…],                   due today, not yet live
 *    "blockers":[…],"incidents":[…]}                                     as in the status digest
 * New reference; NULL with e filled for a bad zone.
 */
json_t *notify_digest_standup(const struct status_board *b, int64_t since, const char *tz,
			      struct err *e);

/* A digest (either kind, as above) as plain text, one line a fact, for a
 * chat message or an e-mail's text part. The caller frees it. */
char *notify_digest_text(const json_t *digest);

#endif
