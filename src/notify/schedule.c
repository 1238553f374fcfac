/*
 * schedule.c - schedule slots in a time zone, and the status and standup
 * digests (schedule.h). The zone conversions share one mutex: TZ is process
 * state and tzset is not reentrant.
 */
#include "notify/schedule.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/encode.h"
#include "engine/query.h"
#include "plan/plan.h"

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

int notify_schedule_parse_at(const char *at, int *hour, int *minute, struct err *e)
{
	if (!at || strlen(at) != 5 || !isdigit((unsigned char)at[0]) ||
	    !isdigit((unsigned char)at[1]) || at[2] != ':' || !isdigit((unsigned char)at[3]) ||
	    !isdigit((unsigned char)at[4]))
		return err_set(e, ERR_USAGE, "time '%s' is not HH:MM", at ? at : "");
	*hour = (at[0] - '0') * 10 + (at[1] - '0');
	*minute = (at[3] - '0') * 10 + (at[4] - '0');
	if (*hour > 23 || *minute > 59)
		return err_set(e, ERR_USAGE, "time '%s' is not between 00:00 and 23:59", at);
	return 0;
}

unsigned notify_schedule_day_bit(const char *name)
{
	static const char *const days[] = {"sunday", "monday", "tuesday", "wednesday",
					   "thursday", "friday", "saturday"};
	size_t n = name ? strlen(name) : 0;

	for (int i = 0; i < 7; i++)
		if ((n == 3 && !strncasecmp(name, days[i], 3)) || !strcasecmp(name ? name : "", days[i]))
			return 1u << i;
	return 0;
}

bool notify_tz_valid(const char *tz)
{
	char path[512];
	struct stat st;

	if (!tz || !*tz || !strcmp(tz, "UTC"))
		return true;
	/* a name, never a path out of the zoneinfo folder */
	if (tz[0] == '/' || tz[0] == ':' || strstr(tz, ".."))
		return false;
	for (const char *c = tz; *c; c++)
		if (!isalnum((unsigned char)*c) && !strchr("/_-+", *c))
			return false;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Run fn(ctx) with the process's zone set to tz, under tz_lock; the previous
 * TZ (or its absence) is restored before the lock is released.
 */
struct tz_saved {
	char *old;
	bool had;
};

static int tz_enter(const char *tz, struct tz_saved *sv, struct err *e)
{
	const char *cur;

	sv->old = NULL;
	sv->had = false;
	if (!notify_tz_valid(tz))
		return err_set(e, ERR_USAGE, "unknown time zone '%s'", tz);
	pthread_mutex_lock(&tz_lock);
	cur = getenv("TZ");
	sv->had = cur != NULL;
	sv->old = cur ? xstrdup(cur) : NULL;
	setenv("TZ", tz && *tz ? tz : "UTC", 1);
	tzset();
	return 0;
}

static void tz_leave(struct tz_saved *sv)
{
	if (sv->had)
		setenv("TZ", sv->old, 1);
	else
		unsetenv("TZ");
	tzset();
	free(sv->old);
	pthread_mutex_unlock(&tz_lock);
}

/* The instant of local hour:minute on the date of *day (in the current
 * zone): its first occurrence when repeated, mktime's normalisation when
 * skipped. */
static time_t local_instant(const struct tm *day, int hour, int minute)
{
	time_t best = (time_t)-1;

	for (int dst = 0; dst <= 1; dst++) {
		struct tm tm = *day, back;
		time_t t;
		tm.tm_hour = hour;
		tm.tm_min = minute;
		tm.tm_sec = 0;
		tm.tm_isdst = dst;
		t = mktime(&tm);
		if (t == (time_t)-1 || !localtime_r(&t, &back))
			continue;
		/* an exact match of the wall time: a real occurrence */
		if (back.tm_hour == hour && back.tm_min == minute && back.tm_mday == day->tm_mday &&
		    back.tm_isdst == dst && (best == (time_t)-1 || t < best))
			best = t;
	}
	if (best == (time_t)-1) {
		/* the wall time does not exist that day: let mktime decide */
		struct tm tm = *day;
		tm.tm_hour = hour;
		tm.tm_min = minute;
		tm.tm_sec = 0;
		tm.tm_isdst = -1;
		best = mktime(&tm);
	}
	return best;
}

int notify_schedule_last_slot(const struct notify_schedule_spec *s, int64_t now, int64_t *slot,
			      struct err *e)
{
	struct tz_saved sv;
	time_t t = (time_t)now;
	struct tm today;
	int rc = -1;

	if (tz_enter(s->tz, &sv, e) < 0)
		return -1;
	if (!localtime_r(&t, &today))
		goto out;
	for (int back = 0; back <= 8; back++) {
		struct tm day = today;
		time_t at;
		day.tm_mday -= back;
		day.tm_hour = 12; /* noon: normalising the date never crosses a DST edge */
		day.tm_min = day.tm_sec = 0;
		day.tm_isdst = -1;
		if (mktime(&day) == (time_t)-1)
			continue;
		if (s->days && !(s->days & (1u << day.tm_wday)))
			continue;
		at = local_instant(&day, s->hour, s->minute);
		if (at == (time_t)-1 || (int64_t)at > now)
			continue;
		*slot = at;
		rc = 0;
		break;
	}
out:
	tz_leave(&sv);
	if (rc < 0 && e && e->code == ERR_NONE)
		err_set(e, ERR_USAGE, "the schedule has no day to run on");
	return rc;
}

int notify_schedule_due(const struct notify_schedule_spec *s, int64_t now, int64_t handled,
			int64_t grace, enum notify_slot_action *action, int64_t *slot, struct err *e)
{
	struct err none = {0};
	int64_t last;

	*action = NOTIFY_SLOT_NONE;
	*slot = 0;
	if (!notify_tz_valid(s->tz))
		return err_set(e, ERR_USAGE, "unknown time zone '%s'", s->tz);
	if (notify_schedule_last_slot(s, now, &last, &none) < 0)
		return 0; /* no day of the last week is one of its days: nothing due */
	*slot = last;
	if (last <= handled)
		return 0;
	*action = now - last <= grace ? NOTIFY_SLOT_SEND : NOTIFY_SLOT_SKIP;
	return 0;
}

int notify_local_time(int64_t t, const char *tz, char *buf, size_t size, struct err *e)
{
	struct tz_saved sv;
	time_t tt = (time_t)t;
	struct tm tm;
	int rc = 0;

	if (tz_enter(tz, &sv, e) < 0)
		return -1;
	if (!localtime_r(&tt, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M %Z", &tm))
		rc = err_set(e, ERR_FAILED, "cannot convert a time to zone '%s'", tz ? tz : "UTC");
	tz_leave(&sv);
	return rc;
}

/* ---- digests ---------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *blockers_json(const struct status_board *b)
{
	json_t *a = json_array();
	for (size_t i = 0; i < b->nblockers; i++) {
		const struct plan_blocker *bl = &b->plan->blockers[b->blockers[i]];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(bl->id));
		json_object_set_new(o, "text", str_or_null(bl->text));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *incidents_json(const struct status_board *b)
{
	json_t *a = json_array();
	for (size_t i = 0; i < b->nincidents; i++) {
		const struct state_incident *in = b->incidents[i];
		json_t *o = json_object();
		json_object_set_new(o, "id", json_integer(in->id));
		json_object_set_new(o, "level", json_integer(in->level));
		json_object_set_new(o, "text", str_or_null(in->text));
		json_object_set_new(o, "project",
				    in->project >= 0 ? json_string(b->plan->projects[in->project].id)
						     : json_null());
		json_object_set_new(o, "environment",
				    in->env >= 0 ? json_string(b->plan->envs[in->env].name) : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *cell_issues(const struct status_board *b, const struct status_cell *c)
{
	const struct plan *p = b->plan;
	json_t *a = json_array();

	for (size_t i = 0; i < b->nincidents; i++) {
		const struct state_incident *in = b->incidents[i];
		if ((in->project >= 0 && in->project != c->project) || (in->env >= 0 && in->env != c->env))
			continue;
		if (in->project < 0 && in->env < 0)
			continue; /* a plan-wide incident is listed once, not per row */
		json_array_append_new(a, json_sprintf("incident %lld (level %d): %s", (long long)in->id,
						      in->level, in->text ? in->text : ""));
	}
	for (size_t i = 0; i < b->nblockers; i++) {
		const struct plan_blocker *bl = &p->blockers[b->blockers[i]];
		if (bl->blocks_env != c->env)
			continue;
		json_array_append_new(a, json_sprintf("blocker %s: %s", bl->id, bl->text ? bl->text : ""));
	}
	if (c->late)
		json_array_append_new(a, json_string("late"));
	if (c->at_risk)
		json_array_append_new(a, json_string("at risk: the forecast puts its target out of reach"));
	if (c->failed_version)
		json_array_append_new(a, json_sprintf("%s %s", store_state_name(c->state),
						      c->failed_version));
	return a;
}

/* The cells whose target the forecast puts out of reach (engine/forecast.h),
 * promoted or not: [{"project", "environment", "target"}] */
static json_t *at_risk_json(const struct status_board *b)
{
	json_t *a = json_array();
	char d[16];
	for (size_t i = 0; i < b->ncells; i++) {
		const struct status_cell *c = &b->cells[i];
		json_t *r;
		if (!c->at_risk)
			continue;
		r = json_object();
		json_object_set_new(r, "project", json_string(b->plan->projects[c->project].id));
		json_object_set_new(r, "environment", json_string(b->plan->envs[c->env].name));
		json_object_set_new(r, "target", json_string(util_fmt_date(c->target, d, sizeof(d))));
		json_array_append_new(a, r);
	}
	return a;
}

static json_t *digest_head(const struct status_board *b, const char *kind)
{
	json_t *o = json_object();
	json_object_set_new(o, "digest", json_string(kind));
	json_object_set_new(o, "plan", str_or_null(b->plan->id));
	json_object_set_new(o, "at", encode_time(b->now));
	json_object_set_new(o, "at_risk", at_risk_json(b));
	return o;
}

json_t *notify_digest_status(const struct status_board *b)
{
	json_t *o = digest_head(b, "status"), *rows = json_array();

	for (size_t i = 0; i < b->ncells; i++) {
		const struct status_cell *c = &b->cells[i];
		json_t *r;
		if (c->state == STATE_NONE)
			continue;
		r = json_object();
		json_object_set_new(r, "project", json_string(b->plan->projects[c->project].id));
		json_object_set_new(r, "environment", json_string(b->plan->envs[c->env].name));
		json_object_set_new(r, "status", json_string(store_state_name(c->state)));
		json_object_set_new(r, "version", str_or_null(c->version));
		json_object_set_new(r, "late", json_boolean(c->late));
		json_object_set_new(r, "issues", cell_issues(b, c));
		json_array_append_new(rows, r);
	}
	json_object_set_new(o, "rows", rows);
	json_object_set_new(o, "blockers", blockers_json(b));
	json_object_set_new(o, "incidents", incidents_json(b));
	return o;
}

json_t *notify_digest_standup(const struct status_board *b, int64_t since, const char *tz,
			      struct err *e)
{
	json_t *o, *deployed = json_array(), *deploying = json_array(), *targets = json_array();
	char today[64], tday[16];

	if (!since)
		since = b->now - 86400;
	if (notify_local_time(b->now, tz, today, sizeof(today), e) < 0) {
		json_decref(deployed);
		json_decref(deploying);
		json_decref(targets);
		return NULL;
	}
	today[10] = '\0'; /* YYYY-MM-DD */
	o = digest_head(b, "standup");
	json_object_set_new(o, "since", encode_time(since));
	for (size_t i = 0; i < b->ncells; i++) {
		const struct status_cell *c = &b->cells[i];
		const char *proj = b->plan->projects[c->project].id, *env = b->plan->envs[c->env].name;
		json_t *r;

		if ((c->state == STATE_HEALTHY || c->state == STATE_SOAKING) && c->since > since &&
		    c->since <= b->now) {
			r = json_object();
			json_object_set_new(r, "project", json_string(proj));
			json_object_set_new(r, "environment", json_string(env));
			json_object_set_new(r, "version", str_or_null(c->version));
			json_object_set_new(r, "status", json_string(store_state_name(c->state)));
			json_object_set_new(r, "at", encode_time(c->since));
			json_array_append_new(deployed, r);
		}
		if (c->state == STATE_DEPLOYING || c->state == STATE_VERIFYING) {
			r = json_object();
			json_object_set_new(r, "project", json_string(proj));
			json_object_set_new(r, "environment", json_string(env));
			json_object_set_new(r, "version", str_or_null(c->version));
			json_object_set_new(r, "status", json_string(store_state_name(c->state)));
			json_array_append_new(deploying, r);
		}
		if (c->target && c->state != STATE_HEALTHY && c->state != STATE_SOAKING) {
			/* a target is a date (its UTC midnight): compare the dates */
			time_t tt = (time_t)c->target;
			struct tm tm;
			if (gmtime_r(&tt, &tm) && strftime(tday, sizeof(tday), "%Y-%m-%d", &tm) &&
			    !strcmp(tday, today)) {
				r = json_object();
				json_object_set_new(r, "project", json_string(proj));
				json_object_set_new(r, "environment", json_string(env));
				json_object_set_new(r, "target", json_string(tday));
				json_array_append_new(targets, r);
			}
		}
	}
	json_object_set_new(o, "deployed", deployed);
	json_object_set_new(o, "deploying", deploying);
	json_object_set_new(o, "targets", targets);
	json_object_set_new(o, "blockers", blockers_json(b));
	json_object_set_new(o, "incidents", incidents_json(b));
	return o;
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

static void text_common(struct strbuf *sb, const json_t *d)
{
	const json_t *v;
	size_t i;

	if (json_array_size(json_object_get(d, "at_risk"))) {
		strbuf_addstr(sb, "At risk (the forecast puts the target out of reach):\n");
		json_array_foreach(json_object_get(d, "at_risk"), i, v)
			strbuf_addf(sb, "  %s %s: target %s\n", jstr(v, "project"),
				    jstr(v, "environment"), jstr(v, "target"));
	}
	if (json_array_size(json_object_get(d, "blockers"))) {
		strbuf_addstr(sb, "Blockers:\n");
		json_array_foreach(json_object_get(d, "blockers"), i, v)
			strbuf_addf(sb, "  %s: %s\n", jstr(v, "id"), jstr(v, "text"));
	} else {
		strbuf_addstr(sb, "Blockers: none\n");
	}
	if (json_array_size(json_object_get(d, "incidents"))) {
		strbuf_addstr(sb, "Open incidents:\n");
		json_array_foreach(json_object_get(d, "incidents"), i, v)
			strbuf_addf(sb, "  #%lld level %lld: %s\n",
				    (long long)json_integer_value(json_object_get(v, "id")),
				    (long long)json_integer_value(json_object_get(v, "level")),
				    jstr(v, "text"));
	} else {
		strbuf_addstr(sb, "Open incidents: none\n");
	}
}

char *notify_digest_text(const json_t *d)
{
	struct strbuf sb = STRBUF_INIT;
	const char *kind = jstr(d, "digest");
	const json_t *v, *w;
	size_t i, j;

	if (!strcmp(kind, "status")) {
		strbuf_addf(&sb, "Status of %s at %s\n", jstr(d, "plan"), jstr(d, "at"));
		if (!json_array_size(json_object_get(d, "rows")))
			strbuf_addstr(&sb, "  nothing promoted yet\n");
		json_array_foreach(json_object_get(d, "rows"), i, v) {
			strbuf_addf(&sb, "  %s %s: %s %s", jstr(v, "project"), jstr(v, "environment"),
				    jstr(v, "status"), jstr(v, "version"));
			json_array_foreach(json_object_get(v, "issues"), j, w)
				strbuf_addf(&sb, "%s%s", j ? "; " : " (", json_string_value(w));
			strbuf_addstr(&sb, json_array_size(json_object_get(v, "issues")) ? ")\n" : "\n");
		}
	} else {
		strbuf_addf(&sb, "Standup for %s at %s\n", jstr(d, "plan"), jstr(d, "at"));
		strbuf_addf(&sb, "Deployed since %s:", jstr(d, "since"));
		if (!json_array_size(json_object_get(d, "deployed")))
			strbuf_addstr(&sb, " nothing");
		strbuf_addch(&sb, '\n');
		json_array_foreach(json_object_get(d, "deployed"), i, v)
			strbuf_addf(&sb, "  %s %s: %s (%s)\n", jstr(v, "project"), jstr(v, "environment"),
				    jstr(v, "version"), jstr(v, "status"));
		strbuf_addstr(&sb, "Deploying today:");
		if (!json_array_size(json_object_get(d, "deploying")) &&
		    !json_array_size(json_object_get(d, "targets")))
			strbuf_addstr(&sb, " nothing");
		strbuf_addch(&sb, '\n');
		json_array_foreach(json_object_get(d, "deploying"), i, v)
			strbuf_addf(&sb, "  %s %s: %s (%s)\n", jstr(v, "project"), jstr(v, "environment"),
				    jstr(v, "version"), jstr(v, "status"));
		json_array_foreach(json_object_get(d, "targets"), i, v)
			strbuf_addf(&sb, "  %s %s: target %s\n", jstr(v, "project"),
				    jstr(v, "environment"), jstr(v, "target"));
	}
	text_common(&sb, d);
	return strbuf_detach(&sb);
}
