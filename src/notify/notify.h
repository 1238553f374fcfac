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
/* TODO(notify-channels): notify_send_slack and notify_send_email (src/notify/
 * slack.c, email.c) with the same signature; until they are linked,
 * notify_send answers "not yet supported" for those kinds. */

/* Dispatch on c->kind. a is reset first. */
int notify_send(const struct plan *p, const struct plan_channel *c, const struct notify_msg *m,
		struct notify_answer *a, struct err *e);

/* Write each audit entry's messages into the outbox, in the entry's
 * transaction, by p's routes (store_set_outbox_hook). p must outlive s. */
void notify_install(struct store *s, const struct plan *p);

/* The channels entry en goes to by p's routes (each once), as indices into
 * p->channels in out[] (room for p->nchannels); the count. */
size_t notify_route(const struct plan *p, const struct store_log_entry *en, int *out);

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

/* Send a test message ("notify.test", the log's head as seq and hash) to
 * channel of p now, outside the outbox: 0 delivered, -1 not (e says why,
 * ERR_USAGE for an unknown channel); a holds the receiver's answer. */
int notify_test(struct store *s, const struct plan *p, const char *channel, int64_t now,
		const char *actor, struct notify_answer *a, struct err *e);

#endif
