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

#include <ctype.h>
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

static bool route_takes(const struct plan *p, const struct plan_notify *r,
			const struct store_log_entry *en, int env, int project, int level)
{
	bool hit = false;
	for (size_t i = 0; i < r->nevents && !hit; i++)
		hit = plan_notify_glob_match(r->events[i], en->action);
	if (!hit)
		return false;
	if (r->envs.n && (env < 0 || !plan_refs_has(&r->envs, env)))
		return false;
	if (r->waves.n && (project < 0 || !plan_refs_has(&r->waves, p->projects[project].wave)))
		return false;
	if (r->min_level && level && level < r->min_level)
		return false;
	return true;
}

static size_t add_channel(int *out, size_t n, int ch)
{
	for (size_t k = 0; k < n; k++)
		if (out[k] == ch)
			return n;
	if (ch >= 0)
		out[n++] = ch;
	return n;
}

static bool is_rollback(const char *action)
{
	return !strcmp(action, "promotion.rolled-back") || !strcmp(action, "rollback");
}

const struct plan_escalation *notify_escalation_of(const struct plan *p,
						   const struct store_log_entry *en)
{
	int level;
	if (strcmp(en->action, "incident.open") || !(level = level_of(en->detail)))
		return NULL;
	for (size_t i = 0; i < p->nescalation; i++)
		if (p->escalation[i].level == level)
			return &p->escalation[i];
	return NULL;
}

size_t notify_route(const struct plan *p, const struct store_log_entry *en, int *out)
{
	const struct plan_escalation *esc = notify_escalation_of(p, en);
	int env, project, level = 0;
	size_t n = 0;

	subject_of(p, en->subject ? en->subject : "", &env, &project);
	if (!strncmp(en->action, "incident.", 9))
		level = level_of(en->detail);
	for (size_t i = 0; i < p->nnotify; i++) {
		const struct plan_notify *r = &p->notify[i];
		if (r->channel >= 0 && route_takes(p, r, en, env, project, level))
			n = add_channel(out, n, r->channel);
	}
	/* the plan's escalation and rollback procedure alert their channels
	 * whatever the routes say */
	for (size_t i = 0; esc && i < esc->nchannels; i++)
		n = add_channel(out, n, plan_channel_index(p, esc->channels[i]));
	for (size_t i = 0; is_rollback(en->action) && i < p->nrollback_steps; i++)
		for (size_t j = 0; j < p->rollback_steps[i].nchannels; j++)
			n = add_channel(out, n, plan_channel_index(p, p->rollback_steps[i].channels[j]));
	return n;
}

/* "Tech Lead" and "tech-lead", "DevOps" and "devops": the same role */
static bool same_slug(const char *a, const char *b)
{
	for (;; a++, b++) {
		int ca = (*a == ' ' || *a == '_') ? '-' : tolower((unsigned char)*a);
		int cb = (*b == ' ' || *b == '_') ? '-' : tolower((unsigned char)*b);
		if (ca != cb)
			return false;
		if (!ca)
			return true;
	}
}

size_t notify_escalation_people(const struct plan *p, const struct plan_escalation *esc,
				const struct plan_person **out, size_t max)
{
	size_t n = 0;
	if (!esc->notify)
		return 0;
	for (size_t i = 0; i < p->npeople && n < max; i++) {
		const struct plan_person *pe = &p->people[i];
		bool hit = same_slug(pe->id, esc->notify) ||
			   (pe->name && same_slug(pe->name, esc->notify));
		for (size_t r = 0; r < pe->nroles && !hit; r++)
			hit = same_slug(pe->roles[r], esc->notify);
		if (hit && !pe->tbd)
			out[n++] = pe;
	}
	return n;
}

static json_t *escalation_json(const struct plan *p, const struct plan_escalation *esc)
{
	const struct plan_person *who[64];
	size_t n = notify_escalation_people(p, esc, who, 64);
	json_t *o = json_object(), *people = json_array();
	json_object_set_new(o, "level", json_integer(esc->level));
	json_object_set_new(o, "name", encode_string(esc->name));
	json_object_set_new(o, "action", encode_string(esc->action));
	json_object_set_new(o, "notify", encode_string(esc->notify));
	for (size_t i = 0; i < n; i++) {
		json_t *w = json_object();
		json_object_set_new(w, "id", encode_string(who[i]->id));
		json_object_set_new(w, "name", encode_string(plan_person_display(who[i])));
		if (who[i]->slack)
			json_object_set_new(w, "slack", encode_string(who[i]->slack));
		if (who[i]->email)
			json_object_set_new(w, "email", encode_string(who[i]->email));
		json_array_append_new(people, w);
	}
	json_object_set_new(o, "people", people);
	return o;
}

char *notify_payload(const struct plan *p, const struct store_log_entry *en, const char *id)
{
	const struct plan_escalation *esc = notify_escalation_of(p, en);
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
	if (esc)
		json_object_set_new(o, "escalation", escalation_json(p, esc));
	if (is_rollback(en->action) && p->nrollback_steps) {
		json_t *steps = json_array();
		for (size_t i = 0; i < p->nrollback_steps; i++) {
			const struct plan_step *st = &p->rollback_steps[i];
			char *t = xasprintf("%s%s%s", st->title ? st->title : "",
					    st->title && st->text ? ": " : "", st->text ? st->text : "");
			json_array_append_new(steps, encode_string(t));
			free(t);
		}
		json_object_set_new(o, "rollback_procedure", steps);
	}
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
	store_set_outbox_hook(s, p && p->nchannels ? outbox_hook : NULL, (void *)p);
}
