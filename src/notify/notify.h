/*
 * notify.h - notifications from the outbox (issue 13, docs/notify.md): the
 * route hook that writes an audit entry's messages in its transaction, and
 * the deliverer that claims due messages and sends them through their
 * channel, with retries, backoff and dead-lettering.
 *
 * A channel kind is sent by one function, notify_send_<kind>, all with the
 * signature of notify_send_fn; notify_send dispatches on the channel's kind.
 * Only the library code of this module sends; cmd-notify.c parses and prints.
 */
#ifndef TOLLGATE_NOTIFY_H
#define TOLLGATE_NOTIFY_H

#include "plan/plan.h"
#include "store/store.h"
#include "util/util.h"

/* What a channel's sender is given: one message of the outbox (or a test). */
struct notify_msg {
	const char *delivery_id; /* the same across retries (X-Tollgate-Delivery) */
	const char *event;       /* the audit action, "notify.test" for a test */
	const char *subject;
	const char *payload;     /* the JSON body {id, event, plan, seq, hash, at, actor, subject, detail} */
	/* what is wrong with the entry's project and environment now (open
	 * incidents, blockers, late …), for the channels people read; may be 0 */
	const char *const *issues;
	size_t nissues;
};

/* What the receiver answered. */
struct notify_answer {
	long status;         /* HTTP status (SMTP reply code for email); 0: none */
	int64_t retry_after; /* seconds the receiver asked to wait; -1: not asked */
	char body[1024];     /* the start of its answer, NUL-terminated */
};

/* Send m through channel c of plan p: 0 delivered, -1 not (e says why;
 * a->retry_after may be set). Secrets are read from the environment at send
 * time and never written to e. */
typedef int (*notify_send_fn)(const struct plan *p, const struct plan_channel *c,
			      const struct notify_msg *m, struct notify_answer *a, struct err *e);
int notify_send_webhook(const struct plan *p, const struct plan_channel *c,
			const struct notify_msg *m, struct notify_answer *a, struct err *e);
/* Slack: the Block Kit message of slack.h POSTed to url_env's URL. A digest
 * ("digest.status", "digest.standup": the payload's "digest") is the digest
 * message. */
int notify_send_slack(const struct plan *p, const struct plan_channel *c,
		      const struct notify_msg *m, struct notify_answer *a, struct err *e);
/* E-mail: email.h's message to the channel's `to` and, for an escalation,
 * the e-mail addresses of the people it names, through smtp_env's server. */
int notify_send_email(const struct plan *p, const struct plan_channel *c,
		      const struct notify_msg *m, struct notify_answer *a, struct err *e);

/* For the senders (webhook.c): the variable a channel names for key, NULL
 * and e set when unset or empty; POST body with hdr to url, 0 on a 2xx. */
const char *notify_channel_env(const struct plan_channel *c, const char *key, const char *name,
			       struct err *e);
/* Between begin and end, this thread's POSTs share one libcurl handle, so a
 * receiver's connection is kept alive from one message to the next. */
void notify_http_begin(void);
void notify_http_end(void);
struct curl_slist;
int notify_post(const struct plan_channel *c, const char *url, struct curl_slist *hdr,
		const char *body, struct notify_answer *a, struct err *e);

/* Dispatch on c->kind. a is reset first. */
int notify_send(const struct plan *p, const struct plan_channel *c, const struct notify_msg *m,
		struct notify_answer *a, struct err *e);

/* Write each audit entry's messages into the outbox, in the entry's
 * transaction, by p's routes (store_set_outbox_hook). p must outlive s. */
void notify_install(struct store *s, const struct plan *p);

/* The channels entry en goes to by p's routes, and for an incident.open of
 * a level the plan's escalation names or a rollback, by that level's and the
 * rollback procedure's `channels` (each once), as indices into
 * p->channels in out[] (room for p->nchannels); the count. */
size_t notify_route(const struct plan *p, const struct store_log_entry *en, int *out);

/* The escalation level of the plan an entry (incident.open of level N)
 * calls, or NULL. */
const struct plan_escalation *notify_escalation_of(const struct plan *p,
						   const struct store_log_entry *en);
/* The people esc names (`notify`: a person's id or name, or a role, compared
 * without case, with ' ' and '_' as '-'), placeholders left out: at most max
 * into out; the count. */
size_t notify_escalation_people(const struct plan *p, const struct plan_escalation *esc,
				const struct plan_person **out, size_t max);

/* The webhook body of en for plan p (a JSON object, compact), with delivery
 * id `id`. The caller frees it. */
char *notify_payload(const struct plan *p, const struct store_log_entry *en, const char *id);

/* The next attempt's delay after `attempts` failed ones (>= 1): exponential
 * from 2s, capped at max_backoff, with jitter (half to all of it); a
 * receiver's Retry-After (>= 0) wins over it. rnd is a random 32-bit value. */
int64_t notify_backoff(int attempts, int64_t max_backoff, int64_t retry_after, uint32_t rnd);

struct notify_drain_result {
	size_t sent, failed, dead; /* this run: delivered, to retry, given up */
	size_t lost;               /* claims that ran out before the answer was written */
};
/* Send what is due now, then return (`tollgate notify drain`). Messages are
 * claimed (a lease of lease seconds) in batches; each is sent, then marked
 * sent, failed (due again after notify_backoff) or dead (after the plan's
 * notify_policy.max_attempts). -1 on a store error. */
int notify_drain(struct store *s, const struct plan *p, int64_t lease,
		 struct notify_drain_result *r, struct err *e);

/* Delete what notify_policy.keep lets go: sent messages and schedule slots
 * handled longer ago (store_outbox_prune). A scan of the outbox: `notify
 * drain` runs it once, serve once an hour. */
int notify_prune(struct store *s, const struct plan *p, struct err *e);

struct notify_schedule_result {
	size_t sent, skipped; /* slots this call handled */
	size_t taken;         /* slots another deliverer handled at the same moment */
};
/* Handle the plan's schedules at now: each one's latest slot not handled
 * yet is sent (its digest, of the store's state now, joins the outbox) or,
 * past its grace, recorded as skipped; once per slot across deliverers.
 * -1 on a store error or a bad zone. */
int notify_schedules_run(struct store *s, const struct plan *p, int64_t now,
			 struct notify_schedule_result *r, struct err *e);

/* Send a test message ("notify.test", the log's head as seq and hash) to
 * channel of p now, outside the outbox: 0 delivered, -1 not (e says why,
 * ERR_USAGE for an unknown channel); a holds the receiver's answer. */
int notify_test(struct store *s, const struct plan *p, const char *channel, int64_t now,
		const char *actor, struct notify_answer *a, struct err *e);

#endif
