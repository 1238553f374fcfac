/*
 * deliver.c - the deliverer (`tollgate notify drain`; serve's background
 * delivery next): claim due messages from the outbox with a lease, send
 * each through its channel, and write what happened: sent; failed, due again
 * after an exponential backoff with jitter (or the receiver's Retry-After);
 * or dead after the plan's notify_policy.max_attempts. A deliverer killed
 * between the send and the write leaves a claimed row whose lease runs out:
 * it is sent again, with the same delivery id (at-least-once).
 */
#include "notify/notify.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "engine/query.h"
#include "notify/schedule.h"

#define DRAIN_BATCH 16

int notify_send(const struct plan *p, const struct plan_channel *c, const struct notify_msg *m,
		struct notify_answer *a, struct err *e)
{
	memset(a, 0, sizeof(*a));
	a->retry_after = -1;
	switch (c->kind) {
	case CHANNEL_WEBHOOK:
		return notify_send_webhook(p, c, m, a, e);
	case CHANNEL_SLACK:
		return notify_send_slack(p, c, m, a, e);
	case CHANNEL_EMAIL:
		return notify_send_email(p, c, m, a, e);
	}
	return err_setr(e, ERR_FAILED, REASON_INVALID,
			"channel '%s': sending to a %s channel is not supported yet", c->id,
			plan_channel_kind_name(c->kind));
}

int64_t notify_backoff(int attempts, int64_t max_backoff, int64_t retry_after, uint32_t rnd)
{
	int64_t d = 2;
	if (retry_after >= 0)
		return retry_after > 0 ? retry_after : 1;
	for (int i = 1; i < attempts && d < max_backoff; i++)
		d *= 2;
	if (d > max_backoff)
		d = max_backoff;
	/* full jitter over the upper half: deliverers that failed together
	 * do not come back together */
	d = d / 2 + (int64_t)(rnd % (uint64_t)(d - d / 2 + 1));
	return d > 0 ? d : 1;
}

static uint32_t random32(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	return r;
}

/* "host:pid:random": who holds a claim */
static char *owner_name(void)
{
	char host[256] = "localhost";
	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	return xasprintf("%s:%ld:%08x", host, (long)getpid(), random32());
}

/* What is wrong now, per project and environment, for the channels people
 * read: the status digest's rows (schedule.h), read from the store once per
 * drain, when the first such message is sent. */
struct issues {
	bool loaded;
	json_t *digest;
	const char *v[32];
};

static void issues_of(struct issues *is, struct store *s, const struct plan *p,
		      const char *subject, struct notify_msg *m)
{
	const char *at = subject ? strchr(subject, '@') : NULL;
	json_t *row;
	size_t i;

	if (!is->loaded) {
		struct status_board b;
		struct err e;
		err_init(&e);
		is->loaded = true;
		/* a message without its issues is better than none */
		if (status_board(&b, p, s, (int64_t)time(NULL), -1, -1, &e) == 0) {
			is->digest = notify_digest_status(&b);
			status_board_release(&b);
		}
	}
	json_array_foreach(json_object_get(is->digest, "rows"), i, row) {
		const char *pr = json_string_value(json_object_get(row, "project"));
		const char *env = json_string_value(json_object_get(row, "environment"));
		bool hit = at ? pr && env && !strncmp(subject, pr, (size_t)(at - subject)) &&
					pr[at - subject] == '\0' && !strcmp(env, at + 1)
			      : false;
		json_t *v;
		size_t k;
		if (!hit)
			continue;
		json_array_foreach(json_object_get(row, "issues"), k, v) {
			if (m->nissues < 32 && json_is_string(v))
				is->v[m->nissues++] = json_string_value(v);
		}
		break;
	}
	m->issues = is->v;
}

static int deliver_one(struct store *s, const struct plan *p, const struct store_outbox *o,
		       const char *owner, int64_t lease, struct issues *is,
		       struct notify_drain_result *r, struct err *e)
{
	int ci = plan_channel_index(p, o->channel);
	struct notify_msg m = { o->delivery_id, o->event, o->subject, o->payload, NULL, 0 };
	struct notify_answer a;
	struct err se;
	int64_t now;
	int rc;

	err_init(&se);
	/* claimed a second or more ago (the batch's earlier sends took it):
	 * hold it for a whole lease again before sending, or another
	 * deliverer could claim it while it is being sent. Lost already: not
	 * ours to send. */
	now = (int64_t)time(NULL);
	if (o->claimed_until - now <= lease) {
		rc = store_outbox_hold(s, o->id, owner, now, lease, e);
		if (rc != 0) {
			if (rc == 1)
				r->lost++;
			return rc < 0 ? -1 : 0;
		}
	}
	if (ci < 0) {
		err_setr(&se, ERR_FAILED, REASON_NOT_FOUND,
			 "channel '%s' is no longer in the plan", o->channel);
		rc = -1;
		a.retry_after = -1;
	} else {
		if (p->channels[ci].kind != CHANNEL_WEBHOOK)
			issues_of(is, s, p, o->subject, &m);
		rc = notify_send(p, &p->channels[ci], &m, &a, &se);
	}
	now = (int64_t)time(NULL);
	if (rc == 0) {
		rc = store_outbox_sent(s, o->id, owner, now, e);
		if (rc == 0)
			r->sent++;
	} else {
		bool dead = ci < 0 || o->attempts + 1 >= p->notify_policy.max_attempts;
		int64_t next = now + notify_backoff(o->attempts + 1, p->notify_policy.max_backoff,
						    a.retry_after, random32());
		rc = store_outbox_failed(s, o->id, owner, se.msg, dead ? now : next, dead, e);
		if (rc == 0)
			*(dead ? &r->dead : &r->failed) += 1;
	}
	if (rc == 1)
		r->lost++;
	return rc < 0 ? -1 : 0;
}

int notify_drain(struct store *s, const struct plan *p, int64_t lease,
		 struct notify_drain_result *r, struct err *e)
{
	char *owner = owner_name();
	struct issues is = { 0 };
	int rc = 0;

	memset(r, 0, sizeof(*r));
	notify_http_begin();
	for (;;) {
		struct store_outboxes l;
		size_t n;
		if (store_outbox_claim(s, (int64_t)time(NULL), owner, lease, DRAIN_BATCH, &l, e) < 0) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < l.n && rc == 0; i++)
			rc = deliver_one(s, p, &l.v[i], owner, lease, &is, r, e);
		n = l.n;
		store_outboxes_release(&l);
		if (rc < 0 || n == 0)
			break;
	}
	notify_http_end();
	json_decref(is.digest);
	free(owner);
	return rc;
}

int notify_prune(struct store *s, const struct plan *p, struct err *e)
{
	/* what was sent long ago has served its purpose (notify_policy.keep) */
	return store_outbox_prune(s, (int64_t)time(NULL) - p->notify_policy.keep, e);
}

int notify_test(struct store *s, const struct plan *p, const char *channel, int64_t now,
		const char *actor, struct notify_answer *a, struct err *e)
{
	struct store_log_entry en = { 0 };
	char hash[65], *id, *body;
	int ci = plan_channel_index(p, channel);
	int rc;

	if (ci < 0) {
		const char *cands[64];
		size_t k = 0;
		for (size_t i = 0; i < p->nchannels && k < 64; i++)
			cands[k++] = p->channels[i].id;
		if (util_suggest(channel, cands, k))
			return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
					"unknown channel '%s'; did you mean '%s'?", channel,
					util_suggest(channel, cands, k));
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"unknown channel '%s'; the plan's 'channels' lists them", channel);
	}
	/* the log's head: a receiver may check it with log --verify --anchor */
	if (store_log_head(s, &en.seq, hash, e) < 0)
		return -1;
	en.hash = hash;
	en.at = now;
	en.actor = actor ? actor : "tollgate";
	en.action = "notify.test";
	en.subject = channel;
	en.detail = "a test message from tollgate: the channel works";
	id = xasprintf("%s:test:%lld:%08x", p->id, (long long)now, random32());
	body = notify_payload(p, &en, id);
	struct notify_msg m = { id, en.action, en.subject, body, NULL, 0 };
	rc = notify_send(p, &p->channels[ci], &m, a, e);
	free(body);
	free(id);
	return rc;
}
