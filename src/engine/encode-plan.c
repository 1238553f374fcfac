/*
 * encode-plan.c - the plan as loaded, as JSON (encode.h's encode_plan): the
 * server's GET /api/v1/plan. References are written as the ids they name;
 * dates as YYYY-MM-DD, durations in seconds; absent values are null.
 */
#include "engine/encode.h"
#include "plan/plan.h"

static json_t *strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, encode_string(v[i]));
	return a;
}

static json_t *refs(const struct plan_refs *r)
{
	return strings(r->ids, r->n);
}

static void set(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v);
}

static json_t *env_name(const struct plan *p, int env)
{
	return env >= 0 ? encode_string(p->envs[env].name) : json_null();
}

static json_t *envs(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nenvs; i++) {
		const struct plan_env *v = &p->envs[i];
		json_t *o = json_object(), *fr = json_array();
		set(o, "name", encode_string(v->name));
		set(o, "title", encode_string(v->title));
		set(o, "account", encode_string(v->account));
		set(o, "soak", v->has_soak ? json_integer(v->soak) : json_null());
		set(o, "success", refs(&v->success));
		for (size_t k = 0; k < v->nfreeze; k++) {
			json_t *f = json_object();
			set(f, "from", encode_time(v->freeze[k].from));
			set(f, "to", encode_time(v->freeze[k].to));
			set(f, "why", encode_string(v->freeze[k].why));
			json_array_append_new(fr, f);
		}
		set(o, "freeze", fr);
		set(o, "freeze_override", strings(v->freeze_override, v->nfreeze_override));
		set(o, "promoters", strings(v->promoters, v->npromoters));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *people(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->npeople; i++) {
		const struct plan_person *v = &p->people[i];
		json_t *o = json_object();
		set(o, "id", encode_string(v->id));
		set(o, "name", encode_string(v->name));
		set(o, "email", encode_string(v->email));
		set(o, "roles", strings(v->roles, v->nroles));
		set(o, "logins", strings(v->logins, v->nlogins));
		set(o, "db_user", encode_string(v->db_user));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *waves(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nwaves; i++) {
		const struct plan_wave *v = &p->waves[i];
		json_t *o = json_object();
		set(o, "id", encode_string(v->id));
		set(o, "title", encode_string(v->title));
		set(o, "window_from", v->has_window ? encode_date(v->window_from) : json_null());
		set(o, "window_to", v->has_window ? encode_date(v->window_to) : json_null());
		set(o, "prerequisites", refs(&v->prerequisites));
		if (v->after_wave >= 0) {
			json_t *af = json_object();
			set(af, "wave", encode_string(p->waves[v->after_wave].id));
			set(af, "env", env_name(p, v->after_env));
			set(o, "after", af);
		} else {
			set(o, "after", json_null());
		}
		set(o, "notes", encode_string(v->notes));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *projects(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nprojects; i++) {
		const struct plan_project *v = &p->projects[i];
		json_t *o = json_object(), *t = json_object();
		set(o, "id", encode_string(v->id));
		set(o, "title", encode_string(v->title));
		set(o, "wave", encode_string(p->waves[v->wave].id));
		set(o, "owner", encode_string(v->owner));
		set(o, "doc", encode_string(v->doc));
		set(o, "deploy", encode_string(v->deploy));
		set(o, "verify", encode_string(v->verify));
		set(o, "rollback", encode_string(v->rollback));
		set(o, "timeout", json_integer(v->timeout));
		set(o, "depends_on", refs(&v->depends_on));
		for (size_t k = 0; k < v->ntargets; k++)
			set(t, p->envs[v->targets[k].env].name, encode_date(v->targets[k].date));
		set(o, "targets", t);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *gates(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->ngates; i++) {
		const struct plan_gate *v = &p->gates[i];
		json_t *o = json_object();
		set(o, "id", encode_string(v->id));
		set(o, "title", encode_string(v->title));
		set(o, "location", encode_string(v->location));
		set(o, "approvers", strings(v->approvers, v->napprovers));
		set(o, "criteria", refs(&v->criteria));
		set(o, "before", env_name(p, v->before_env));
		set(o, "waves", refs(&v->waves));
		set(o, "scope_plan", json_boolean(v->scope_plan));
		set(o, "expires", v->expires ? json_integer(v->expires) : json_null());
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *items(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nitems; i++) {
		const struct plan_item *v = &p->items[i];
		json_t *o = json_object();
		set(o, "id", encode_string(v->id));
		set(o, "text", encode_string(v->text));
		set(o, "category", encode_string(v->category));
		set(o, "check", encode_string(v->check));
		set(o, "env", v->has_applies ? env_name(p, v->applies_env) : json_null());
		set(o, "waves", refs(&v->applies_waves));
		set(o, "by", strings(v->by, v->nby));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *blockers(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->nblockers; i++) {
		const struct plan_blocker *v = &p->blockers[i];
		json_t *o = json_object();
		set(o, "id", encode_string(v->id));
		set(o, "text", encode_string(v->text));
		set(o, "progress", json_integer(v->progress));
		set(o, "owner", encode_string(v->owner));
		set(o, "due", encode_date(v->due));
		set(o, "impact", encode_string(v->impact));
		set(o, "mitigation", encode_string(v->mitigation));
		set(o, "blocks", env_name(p, v->blocks_env));
		set(o, "waves", refs(&v->blocks_waves));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *risks(const struct plan *p)
{
	static const char *const sev[] = { "", "low", "medium", "high", "critical" };
	json_t *a = json_array();
	for (size_t i = 0; i < p->nrisks; i++) {
		const struct plan_risk *v = &p->risks[i];
		json_t *o = json_object();
		set(o, "id", encode_string(v->id));
		set(o, "text", encode_string(v->text));
		set(o, "severity",
		    v->severity >= SEV_LOW && v->severity <= SEV_CRITICAL ? json_string(sev[v->severity])
									 : json_null());
		set(o, "projects", v->all_projects ? json_string("all") : refs(&v->projects));
		set(o, "mitigation", encode_string(v->mitigation));
		set(o, "owner", encode_string(v->owner));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *triggers(const struct plan *p)
{
	json_t *a = json_array();
	for (size_t i = 0; i < p->ntriggers; i++) {
		const struct plan_trigger *v = &p->triggers[i];
		json_t *o = json_object();
		set(o, "id", encode_string(v->id));
		set(o, "text", encode_string(v->text));
		set(o, "measure", encode_string(v->measure));
		set(o, "above", v->has_above ? json_real(v->above) : json_null());
		set(o, "below", v->has_below ? json_real(v->below) : json_null());
		set(o, "level", json_integer(v->level));
		set(o, "timeout", json_integer(v->timeout));
		set(o, "envs", refs(&v->envs));
		json_array_append_new(a, o);
	}
	return a;
}

json_t *encode_plan(const struct plan *p)
{
	json_t *o = json_object();
	set(o, "version", json_integer(p->version));
	set(o, "id", encode_string(p->id));
	set(o, "title", encode_string(p->title));
	set(o, "manager", encode_string(p->manager));
	set(o, "status", encode_string(p->status));
	set(o, "contact", encode_string(p->contact));
	set(o, "identity", json_string(plan_identity_name(p->identity)));
	set(o, "environments", envs(p));
	set(o, "people", people(p));
	set(o, "waves", waves(p));
	set(o, "projects", projects(p));
	set(o, "gates", gates(p));
	set(o, "checklist", items(p));
	set(o, "blockers", blockers(p));
	set(o, "risks", risks(p));
	set(o, "triggers", triggers(p));
	return o;
}
