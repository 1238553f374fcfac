/*
 * digest.c - the plan's schedules, sent (`schedules:`, docs/notify.md): for
 * each schedule, the latest slot at or before now (schedule.h) is either
 * sent (its digest joins the outbox for the schedule's channel) or, when it
 * passed more than the schedule's grace ago, recorded as skipped. The slot
 * is marked in the store in the same transaction as its message, under the
 * key (plan, schedule, slot): with several servers, or a server and a cron
 * `notify drain`, each slot is sent once.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/encode.h"
#include "engine/query.h"
#include "notify/notify.h"
#include "notify/schedule.h"

/* The outbox body of a digest: the anchors of the log's head, the slot,
 * and the digest itself. */
static char *digest_payload(const struct plan *p, const struct plan_schedule *sc, int64_t slot,
			    const char *id, const char *event, int64_t seq, const char *hash,
			    json_t *digest)
{
	json_t *o = json_object();
	char *s;
	json_object_set_new(o, "id", encode_string(id));
	json_object_set_new(o, "event", encode_string(event));
	json_object_set_new(o, "plan", encode_string(p->id));
	json_object_set_new(o, "seq", json_integer(seq));
	json_object_set_new(o, "hash", encode_string(hash));
	json_object_set_new(o, "at", encode_time(slot));
	json_object_set_new(o, "schedule", encode_string(sc->id));
	json_object_set_new(o, "slot", encode_time(slot));
	json_object_set_new(o, "digest", digest);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		BUG("out of memory for a digest");
	return s;
}

static int send_slot(struct store *s, const struct plan *p, const struct plan_schedule *sc,
		     int64_t slot, int64_t since, int64_t now, struct err *e)
{
	struct status_board b;
	json_t *digest;
	char hash[65] = "", *id, *body, *event;
	int64_t seq = 0;
	int rc;

	if (store_log_head(s, &seq, hash, e) < 0)
		return -1;
	if (status_board(&b, p, s, now, -1, -1, e) < 0)
		return -1;
	if (!strcmp(sc->digest, "standup"))
		digest = notify_digest_standup(&b, since, sc->tz, e);
	else
		digest = notify_digest_status(&b);
	status_board_release(&b);
	if (!digest)
		return -1;
	json_object_set_new(digest, "schedule", encode_string(sc->id));
	id = xasprintf("%s:%s:%lld", p->id, sc->id, (long long)slot);
	event = xasprintf("digest.%s", sc->digest);
	body = digest_payload(p, sc, slot, id, event, seq, hash, digest);
	rc = store_schedule_mark(s, sc->id, slot, true, id, sc->channel_id, seq, event, body, now, e);
	free(body);
	free(event);
	free(id);
	return rc;
}

int notify_schedules_run(struct store *s, const struct plan *p, int64_t now,
			 struct notify_schedule_result *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < p->nschedules; i++) {
		const struct plan_schedule *sc = &p->schedules[i];
		struct notify_schedule_spec spec = { sc->at / 60, sc->at % 60, sc->tz, sc->days };
		enum notify_slot_action act;
		int64_t handled, slot;
		int rc;

		if (!sc->id || sc->channel < 0)
			continue;
		if (store_schedule_last(s, sc->id, &handled, e) < 0 ||
		    notify_schedule_due(&spec, now, handled, sc->grace, &act, &slot, e) < 0)
			return -1;
		if (act == NOTIFY_SLOT_NONE)
			continue;
		if (act == NOTIFY_SLOT_SEND)
			rc = send_slot(s, p, sc, slot, handled, now, e);
		else
			rc = store_schedule_mark(s, sc->id, slot, false, NULL, NULL, 0, NULL, NULL, now, e);
		if (rc < 0)
			return -1;
		if (rc == 0)
			*(act == NOTIFY_SLOT_SEND ? &r->sent : &r->skipped) += 1;
		else
			r->taken++;
	}
	return 0;
}
