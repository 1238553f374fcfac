/*
 * plan-notify.c - the plan's notification keys (docs/notify.md): `channels`
 * (where messages go: webhook, slack, email), `notify` (routes: which audit
 * actions go to which channel, filtered by environment, wave and incident
 * level), `notify_policy` (how long the outbox keeps trying) and `schedules`
 * (digests at set local times).
 *
 * Secrets never live in a plan: a channel names environment variables
 * (url_env, secret_env, smtp_env), and a value that looks like a URL or is
 * not a variable name is refused where it was written.
 */
#include "plan/plan-internal.h"

#include <ctype.h>
#include <fnmatch.h>
#include <string.h>
#include <sys/stat.h>

#define KEYS(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* Every action the audit log writes (store_begin_change's callers); a route's
 * glob must match one of them. */
const char *const plan_notify_actions[] = {
	"record",	       "approve",	     "revoke",		"reject",
	"allow",	       "check",		     "uncheck",		"checklist.run",
	"blocker",	       "blocker.resolve",    "blocker.reopen",	"incident.open",
	"incident.resolve",    "promotion.deploying", "promotion.verifying", "promotion.soaking",
	"promotion.healthy",   "promotion.rolled-back", "promotion.failed", "promotion.interrupted",
	"rollback",	       "lease.repair",	     "freeze.override", "moved",
	"forget",	       "session.started",    "session.ended",	"token.created",
	"token.revoked",       "plan.loaded",	     NULL,
};

const char *plan_channel_kind_name(enum plan_channel_kind k)
{
	static const char *const names[] = { "webhook", "slack", "email" };
	return (unsigned)k < 3 ? names[k] : "?";
}

bool plan_notify_glob_match(const char *glob, const char *action)
{
	return fnmatch(glob, action, 0) == 0;
}

int plan_channel_index(const struct plan *p, const char *id)
{
	for (size_t i = 0; id && i < p->nchannels; i++)
		if (p->channels[i].id && !strcmp(p->channels[i].id, id))
			return (int)i; /* (a channel without a valid id has none) */
	return -1;
}

/* An environment variable's name, or an error at n saying what to write. */
static void get_env_name(struct loader *ld, const struct ynode *n, const char *key,
			 const char **out)
{
	const char *s;
	bool ok;
	if (!plan_ld_string(ld, n, key, &s))
		return;
	ok = *s && !isdigit((unsigned char)s[0]);
	for (const char *c = s; *c; c++)
		ok = ok && (isalnum((unsigned char)*c) || *c == '_');
	if (!ok) {
		if (strstr(s, "://"))
			plan_ld_error(ld, n,
				      "'%s' names an environment variable, not a URL: a URL or secret "
				      "in the plan would be read by everyone who reads the plan; write "
				      "e.g. %s: HOOK_URL and set HOOK_URL where tollgate runs",
				      key, key);
		else
			plan_ld_error(ld, n,
				      "'%s' must name an environment variable, e.g. HOOK_URL, not '%.80s'",
				      key, s);
		return;
	}
	*out = s;
}

static void load_channels(struct loader *ld)
{
	static const char *const kinds[] = { "webhook", "slack", "email", NULL };
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = plan_ld_top_list(ld, "channels", &n);

	p->channels = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->channels));
	for (size_t i = 0; i < n; i++) {
		struct plan_channel *c = &p->channels[p->nchannels];
		const struct ynode *m = plan_ld_entry_map(ld, l->u.kids[i], "channels"), *f;
		const char *kind = NULL;
		char where[160];
		if (!m)
			continue;
		memset(c, 0, sizeof(*c));
		c->loc = ynode_loc(m);
		f = plan_ld_field(m, "id");
		if (!f)
			plan_ld_error(ld, m, "missing required key 'id' in 'channels' entry %zu", i + 1);
		else if (plan_ld_id(ld, f, "id", &c->id) && plan_channel_index(p, c->id) >= 0)
			plan_ld_error(ld, f, "duplicate channel id '%s'", c->id);
		if (c->id)
			snprintf(where, sizeof(where), "channel '%.100s'", c->id);
		else
			snprintf(where, sizeof(where), "'channels' entry %zu", i + 1);
		plan_ld_check_keys(ld, m,
				   KEYS("id", "kind", "url_env", "secret_env", "smtp_env", "from", "to"),
				   where);
		plan_ld_required(ld, m, "kind", where);
		f = plan_ld_field(m, "kind");
		if (plan_ld_string(ld, f, "kind", &kind)) {
			size_t k = 0;
			while (kinds[k] && strcmp(kinds[k], kind))
				k++;
			if (kinds[k]) {
				c->kind = (enum plan_channel_kind)k;
			} else {
				const char *s = util_suggest(kind, kinds, 3);
				if (s)
					plan_ld_error(ld, f, "unknown channel kind '%.80s'; did you mean '%s'?",
						      kind, s);
				else
					plan_ld_error(ld, f,
						      "unknown channel kind '%.80s'; use webhook, slack or email",
						      kind);
				kind = NULL;
			}
		}
		get_env_name(ld, plan_ld_field(m, "url_env"), "url_env", &c->url_env);
		get_env_name(ld, plan_ld_field(m, "secret_env"), "secret_env", &c->secret_env);
		get_env_name(ld, plan_ld_field(m, "smtp_env"), "smtp_env", &c->smtp_env);
		plan_ld_string(ld, plan_ld_field(m, "from"), "from", &c->from);
		plan_ld_strlist(ld, plan_ld_field(m, "to"), "to", &c->to, &c->nto, NULL);
		if (kind && c->kind != CHANNEL_EMAIL) {
			plan_ld_required(ld, m, "url_env", where);
			for (const char *const *k = KEYS("smtp_env", "from", "to"); *k; k++)
				if (plan_ld_field(m, *k))
					plan_ld_error(ld, plan_ld_field(m, *k),
						      "'%s' is for email channels; %s is a %s channel", *k,
						      where, kind);
		}
		if (kind && c->kind == CHANNEL_SLACK && plan_ld_field(m, "secret_env"))
			plan_ld_error(ld, plan_ld_field(m, "secret_env"),
				      "'secret_env' is for webhook channels (a Slack incoming webhook is not signed)");
		if (kind && c->kind == CHANNEL_EMAIL) {
			plan_ld_required(ld, m, "smtp_env", where);
			plan_ld_required(ld, m, "from", where);
			plan_ld_required(ld, m, "to", where);
			for (const char *const *k = KEYS("url_env", "secret_env"); *k; k++)
				if (plan_ld_field(m, *k))
					plan_ld_error(ld, plan_ld_field(m, *k),
						      "'%s' is not for email channels; use smtp_env", *k);
		}
		p->nchannels++;
	}
}

/* channel: an id of channels[], resolved; -1 and an error at n if not */
static int channel_ref(struct loader *ld, const struct ynode *n, const char *whose,
		       const char **id)
{
	const char *cands[64];
	size_t k = 0;
	int idx;
	if (!plan_ld_id(ld, n, "channel", id))
		return -1;
	idx = plan_channel_index(ld->p, *id);
	if (idx >= 0)
		return idx;
	for (size_t i = 0; i < ld->p->nchannels && k < 64; i++)
		if (ld->p->channels[i].id)
			cands[k++] = ld->p->channels[i].id;
	if (util_suggest(*id, cands, k))
		plan_ld_error(ld, n, "%s names unknown channel '%s'; did you mean '%s'?", whose, *id,
			      util_suggest(*id, cands, k));
	else
		plan_ld_error(ld, n, "%s names unknown channel '%s'; 'channels' lists them", whose,
			      *id);
	return -1;
}

static void load_routes(struct loader *ld)
{
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = plan_ld_top_list(ld, "notify", &n);

	p->notify = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->notify));
	for (size_t i = 0; i < n; i++) {
		struct plan_notify *r = &p->notify[p->nnotify];
		const struct ynode *m = plan_ld_entry_map(ld, l->u.kids[i], "notify"), *f;
		struct plan_loc *locs;
		char where[64];
		if (!m)
			continue;
		memset(r, 0, sizeof(*r));
		r->channel = -1;
		r->loc = ynode_loc(m);
		snprintf(where, sizeof(where), "'notify' entry %zu", i + 1);
		plan_ld_check_keys(ld, m, KEYS("channel", "events", "env", "wave", "min_level"), where);
		plan_ld_required(ld, m, "channel", where);
		plan_ld_required(ld, m, "events", where);
		if (plan_ld_field(m, "webhook_env") && !plan_ld_field(m, "channel"))
			plan_ld_error(ld, m,
				      "'notify' entries are routes now: declare the webhook in "
				      "'channels' ({id: hook, kind: webhook, url_env: ...}) and write "
				      "{channel: hook, events: [...]} here (docs/notify.md)");
		f = plan_ld_field(m, "channel");
		if (f)
			r->channel = channel_ref(ld, f, where, &r->channel_id);
		plan_ld_strlist(ld, plan_ld_field(m, "events"), "events", &r->events, &r->nevents,
				&locs);
		for (size_t j = 0; j < r->nevents; j++) {
			const char *g = r->events[j], *s;
			bool hit = false;
			for (size_t k = 0; plan_notify_actions[k] && !hit; k++)
				hit = plan_notify_glob_match(g, plan_notify_actions[k]);
			if (hit)
				continue;
			s = util_suggest(g, plan_notify_actions, ARRAY_SIZE(plan_notify_actions) - 1);
			if (s)
				plan_ld_errorl(ld, locs[j], "event '%.80s' matches no action; did you mean '%s'?",
					       g, s);
			else
				plan_ld_errorl(ld, locs[j],
					       "event '%.80s' matches no action of the audit log (e.g. "
					       "promotion.*, incident.open, rollback, approve; docs/notify.md "
					       "lists them)",
					       g);
		}
		plan_ld_env_refs(ld, plan_ld_field(m, "env"), "env", where, &r->envs);
		plan_ld_refs(ld, plan_ld_field(m, "wave"), "wave", &r->waves);
		for (size_t j = 0; j < r->waves.n; j++) {
			r->waves.idx[j] = plan_wave_index(p, r->waves.ids[j]);
			if (r->waves.idx[j] >= 0)
				continue;
			if (plan_suggest_wave(p, r->waves.ids[j]))
				plan_ld_errorl(ld, r->waves.locs[j],
					       "%s names unknown wave '%s'; did you mean '%s'?", where,
					       r->waves.ids[j], plan_suggest_wave(p, r->waves.ids[j]));
			else
				plan_ld_errorl(ld, r->waves.locs[j], "%s names unknown wave '%s'", where,
					       r->waves.ids[j]);
		}
		plan_ld_int(ld, plan_ld_field(m, "min_level"), "min_level", 1, 3, &r->min_level);
		p->nnotify++;
	}
}

static void load_policy(struct loader *ld)
{
	struct plan_notify_policy *pol = &ld->p->notify_policy;
	const struct ynode *m = plan_ld_field(ld->root, "notify_policy");

	pol->max_attempts = PLAN_NOTIFY_MAX_ATTEMPTS_DEFAULT;
	pol->max_backoff = PLAN_NOTIFY_MAX_BACKOFF_DEFAULT;
	pol->keep = PLAN_NOTIFY_KEEP_DEFAULT;
	if (!m)
		return;
	if (m->kind != YN_MAP) {
		plan_ld_error(ld, m, "expected a map for 'notify_policy', got %s", ynode_describe(m));
		return;
	}
	plan_ld_check_keys(ld, m, KEYS("max_attempts", "max_backoff", "keep", "dashboard_url"),
			   "'notify_policy'");
	if (plan_ld_duration(ld, plan_ld_field(m, "keep"), "keep", &pol->keep) &&
	    (pol->keep < 3600 || pol->keep > 3650 * 86400)) {
		plan_ld_error(ld, plan_ld_field(m, "keep"), "'keep' must be between 1h and 3650d");
		pol->keep = PLAN_NOTIFY_KEEP_DEFAULT;
	}
	if (plan_ld_string(ld, plan_ld_field(m, "dashboard_url"), "dashboard_url",
			   &pol->dashboard_url) &&
	    strncmp(pol->dashboard_url, "http://", 7) && strncmp(pol->dashboard_url, "https://", 8)) {
		plan_ld_error(ld, plan_ld_field(m, "dashboard_url"),
			      "'dashboard_url' must be an http:// or https:// URL, e.g. "
			      "https://tollgate.example.com");
		pol->dashboard_url = NULL;
	}
	plan_ld_int(ld, plan_ld_field(m, "max_attempts"), "max_attempts", 1, 1000,
		    &pol->max_attempts);
	if (plan_ld_duration(ld, plan_ld_field(m, "max_backoff"), "max_backoff", &pol->max_backoff) &&
	    (pol->max_backoff < 1 || pol->max_backoff > 7 * 86400)) {
		plan_ld_error(ld, plan_ld_field(m, "max_backoff"),
			      "'max_backoff' must be between 1s and 7d");
		pol->max_backoff = PLAN_NOTIFY_MAX_BACKOFF_DEFAULT;
	}
}

static bool zone_exists(const char *tz)
{
	char path[512];
	struct stat st;
	if (!*tz || tz[0] == '/' || strstr(tz, "..") || strlen(tz) > 200)
		return false;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void load_schedules(struct loader *ld)
{
	static const char *const digests[] = { "status", "standup", NULL };
	static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL };
	struct plan *p = ld->p;
	size_t n;
	const struct ynode *l = plan_ld_top_list(ld, "schedules", &n);

	p->schedules = arena_alloc(ld->a, (n ? n : 1) * sizeof(*p->schedules));
	for (size_t i = 0; i < n; i++) {
		struct plan_schedule *s = &p->schedules[p->nschedules];
		const struct ynode *m = plan_ld_entry_map(ld, l->u.kids[i], "schedules"), *f;
		const char **days;
		struct plan_loc *locs;
		size_t ndays;
		char where[160];
		const char *at;
		if (!m)
			continue;
		memset(s, 0, sizeof(*s));
		s->channel = -1;
		s->days = 0x7f;
		s->grace = PLAN_SCHEDULE_GRACE_DEFAULT;
		s->loc = ynode_loc(m);
		f = plan_ld_field(m, "id");
		if (!f)
			plan_ld_error(ld, m, "missing required key 'id' in 'schedules' entry %zu", i + 1);
		else if (plan_ld_id(ld, f, "id", &s->id))
			for (size_t j = 0; j < p->nschedules; j++)
				if (p->schedules[j].id && !strcmp(p->schedules[j].id, s->id))
					plan_ld_error(ld, f, "duplicate schedule id '%s'", s->id);
		if (s->id)
			snprintf(where, sizeof(where), "schedule '%.100s'", s->id);
		else
			snprintf(where, sizeof(where), "'schedules' entry %zu", i + 1);
		plan_ld_check_keys(ld, m, KEYS("id", "channel", "digest", "at", "tz", "days", "grace"),
				   where);
		for (const char *const *k = KEYS("channel", "digest", "at", "tz"); *k; k++)
			plan_ld_required(ld, m, *k, where);
		f = plan_ld_field(m, "channel");
		if (f)
			s->channel = channel_ref(ld, f, where, &s->channel_id);
		f = plan_ld_field(m, "digest");
		if (plan_ld_string(ld, f, "digest", &s->digest) && strcmp(s->digest, "status") &&
		    strcmp(s->digest, "standup")) {
			const char *g = util_suggest(s->digest, digests, 2);
			if (g)
				plan_ld_error(ld, f, "unknown digest '%.80s'; did you mean '%s'?", s->digest, g);
			else
				plan_ld_error(ld, f, "unknown digest '%.80s'; use status or standup",
					      s->digest);
			s->digest = NULL;
		}
		f = plan_ld_field(m, "at");
		if (plan_ld_string(ld, f, "at", &at)) {
			int h = -1, mi = -1;
			if (strlen(at) == 5 && isdigit((unsigned char)at[0]) && isdigit((unsigned char)at[1]) &&
			    at[2] == ':' && isdigit((unsigned char)at[3]) && isdigit((unsigned char)at[4])) {
				h = (at[0] - '0') * 10 + (at[1] - '0');
				mi = (at[3] - '0') * 10 + (at[4] - '0');
			}
			if (h < 0 || h > 23 || mi < 0 || mi > 59)
				plan_ld_error(ld, f, "bad time '%.80s' for 'at'; use HH:MM (24-hour), e.g. \"10:00\"",
					      at);
			else
				s->at = h * 60 + mi;
		}
		f = plan_ld_field(m, "tz");
		if (plan_ld_string(ld, f, "tz", &s->tz) && !zone_exists(s->tz)) {
			plan_ld_error(ld, f,
				      "unknown time zone '%.80s'; use a zone of /usr/share/zoneinfo, e.g. Europe/London or UTC",
				      s->tz);
			s->tz = NULL;
		}
		plan_ld_strlist(ld, plan_ld_field(m, "days"), "days", &days, &ndays, &locs);
		if (plan_ld_field(m, "days"))
			s->days = 0;
		for (size_t j = 0; j < ndays; j++) {
			size_t d = 0;
			while (day_names[d] && strcmp(day_names[d], days[j]))
				d++;
			if (day_names[d]) {
				s->days |= 1u << d;
			} else {
				const char *g = util_suggest(days[j], day_names, 7);
				if (g)
					plan_ld_errorl(ld, locs[j], "unknown day '%.80s'; did you mean '%s'?",
						       days[j], g);
				else
					plan_ld_errorl(ld, locs[j],
						       "unknown day '%.80s'; use mon, tue, wed, thu, fri, sat or sun",
						       days[j]);
			}
		}
		f = plan_ld_field(m, "grace");
		if (plan_ld_duration(ld, f, "grace", &s->grace) && (s->grace < 0 || s->grace > 86400)) {
			plan_ld_error(ld, f, "'grace' must be between 0s and 24h");
			s->grace = PLAN_SCHEDULE_GRACE_DEFAULT;
		}
		if (plan_ld_field(m, "days") && !ndays)
			plan_ld_error(ld, plan_ld_field(m, "days"), "'days' is empty: the schedule would never run");
		p->nschedules++;
	}
}

/* The channels an escalation level or a rollback step names (`channels`,
 * loaded with the tables, after the channels): each must be one. */
static void check_names(struct loader *ld, const char *whose, const char *const *ids,
			const struct plan_loc *locs, size_t n)
{
	const struct plan *p = ld->p;
	const char *cands[64];
	size_t k = 0;
	for (size_t i = 0; i < p->nchannels && k < 64; i++)
		if (p->channels[i].id)
			cands[k++] = p->channels[i].id;
	for (size_t i = 0; i < n; i++) {
		const char *g;
		if (plan_channel_index(p, ids[i]) >= 0)
			continue;
		g = util_suggest(ids[i], cands, k);
		if (g)
			plan_ld_errorl(ld, locs[i], "%s names unknown channel '%.80s'; did you mean '%s'?",
				       whose, ids[i], g);
		else
			plan_ld_errorl(ld, locs[i], "%s names unknown channel '%.80s'; 'channels' lists them",
				       whose, ids[i]);
	}
}

void plan_check_alert_channels(struct loader *ld)
{
	const struct plan *p = ld->p;
	char where[96];
	for (size_t i = 0; i < p->nescalation; i++) {
		snprintf(where, sizeof(where), "escalation level %d", p->escalation[i].level);
		check_names(ld, where, p->escalation[i].channels, p->escalation[i].channel_locs,
			    p->escalation[i].nchannels);
	}
	for (size_t i = 0; i < p->nrollback_steps; i++) {
		snprintf(where, sizeof(where), "rollback_procedure step %zu", i + 1);
		check_names(ld, where, p->rollback_steps[i].channels, p->rollback_steps[i].channel_locs,
			    p->rollback_steps[i].nchannels);
	}
}

void plan_load_notify(struct loader *ld)
{
	load_channels(ld);
	load_routes(ld);
	load_policy(ld);
	load_schedules(ld);
}
