/*
 * route.c - which channels an audit entry goes to (the plan's `notify`
 * routes), and the outbox hook that writes its messages in the entry's own
 * transaction: a change that does not commit leaves no message, a change
 * that commits leaves all of them, whatever happens to the process after.
 *
 * An entry's environment and project are read from its subject, as the
 * engine writes it: "PROJECT@ENV" (promotions, incidents of a project,
 * rejections), "ENV" (record, freeze.override, incidents of an environment).
 * Its incident level is read from its detail ("incident N, level L: …",
 * action_incident_open and the soak loop's). A filter the entry cannot
 * answer (no environment, no project, no level) keeps it out, except
 * min_level, which only holds back incidents whose level is known.
 */
#include "notify/notify.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "engine/encode.h"

/* The environment and project of subject, as indices (-1: none). */
static void subject_of(const struct plan *p, const char *subject, int *env, int *project)
{
	const char *at = strchr(subject, '@');
	*env = *project = -1;
	if (at) {
		char *pr = xstrndup(subject, (size_t)(at - subject));
		*project = plan_project_index(p, pr);
		*env = plan_env_index(p, at + 1);
		free(pr);
	} else {
		*env = plan_env_index(p, subject);
	}
}

/* The level in "incident N, level L: …"; 0 when none. */
static int level_of(const char *detail)
{
	const char *l = detail ? strstr(detail, ", level ") : NULL;
	if (!l || strncmp(detail, "incident ", 9) != 0)
		return 0;
	l += 8;
	return *l >= '1' && *l <= '3' && (l[1] == ':' || l[1] == '\0') ? *l - '0' : 0;
}

static bool in_refs(const struct plan_refs *r, int idx)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->idx[i] == idx)
			return true;
	return false;
}

static bool route_takes(const struct plan *p, const struct plan_notify *r,
			const struct store_log_entry *en, int env, int project, int level)
{
	bool hit = false;
	for (size_t i = 0; i < r->nevents && !hit; i++)
		hit = plan_notify_glob_match(r->events[i], en->action);
	if (!hit)
		return false;
	if (r->envs.n && (env < 0 || !in_refs(&r->envs, env)))
		return false;
	if (r->waves.n && (project < 0 || !in_refs(&r->waves, p->projects[project].wave)))
		return false;
	if (r->min_level && level && level < r->min_level)
		return false;
	return true;
}

size_t notify_route(const struct plan *p, const struct store_log_entry *en, int *out)
{
	int env, project, level = 0;
	size_t n = 0;

	subject_of(p, en->subject ? en->subject : "", &env, &project);
	if (!strncmp(en->action, "incident.", 9))
		level = level_of(en->detail);
	for (size_t i = 0; i < p->nnotify; i++) {
		const struct plan_notify *r = &p->notify[i];
		bool seen = false;
		if (r->channel < 0 || !route_takes(p, r, en, env, project, level))
			continue;
		for (size_t k = 0; k < n && !seen; k++)
			seen = out[k] == r->channel;
		if (!seen)
			out[n++] = r->channel;
	}
	return n;
}

char *notify_payload(const struct plan *p, const struct store_log_entry *en, const char *id)
{
	json_t *o = json_object();
	char *s;
	json_object_set_new(o, "id", encode_string(id));
	json_object_set_new(o, "event", encode_string(en->action));
	json_object_set_new(o, "plan", encode_string(p->id));
	json_object_set_new(o, "seq", json_integer(en->seq));
	json_object_set_new(o, "hash", encode_string(en->hash));
	json_object_set_new(o, "at", encode_time(en->at));
	json_object_set_new(o, "actor", encode_string(en->actor));
	json_object_set_new(o, "subject", encode_string(en->subject));
	json_object_set_new(o, "detail", encode_string(en->detail));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		BUG("out of memory for a notification");
	return s;
}

static int outbox_hook(void *ctx, struct store *s, const struct store_log_entry *en, struct err *e)
{
	const struct plan *p = ctx;
	int small[16], *chans;
	size_t n;
	int rc = 0;

	if (!p->nnotify)
		return 0;
	chans = p->nchannels <= 16 ? small : xmalloc(p->nchannels * sizeof(*chans));
	n = notify_route(p, en, chans);
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *ch = p->channels[chans[i]].id;
		/* stable across retries and deliverers: receivers de-duplicate by it */
		char *id = xasprintf("%s:%lld:%s", p->id, (long long)en->seq, ch);
		char *body = notify_payload(p, en, id);
		rc = store_outbox_add(s, id, ch, en->seq, en->action, en->subject, body, e);
		free(body);
		free(id);
	}
	if (chans != small)
		free(chans);
	return rc;
}

void notify_install(struct store *s, const struct plan *p)
{
	store_set_outbox_hook(s, p && p->nnotify ? outbox_hook : NULL, (void *)p);
}
