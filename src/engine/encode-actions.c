/*
 * encode-actions.c - the JSON answers of the state-changing actions
 * (record, approve, revoke, check, uncheck, blocker, incident open and
 * resolve, reject, allow): what `tollgate <command> --json` prints and the
 * server's write endpoints return, byte for byte.
 */
#include "engine/actions.h"
#include "engine/encode.h"
#include "store/store.h"
#include "plan/plan.h"

json_t *encode_recorded(const char *env, const struct action_versions *l, int already)
{
	json_t *o = json_object(), *a = json_array();
	for (size_t i = 0; i < l->n; i++) {
		json_t *x = json_object();
		json_object_set_new(x, "project", encode_string(l->v[i].project));
		json_object_set_new(x, "env", encode_string(env));
		json_object_set_new(x, "version", encode_string(l->v[i].version));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "recorded", a);
	json_object_set_new(o, "already", json_integer(already));
	json_object_set_new(o, "changed", json_boolean((size_t)already < l->n));
	return o;
}

json_t *encode_approved(const struct plan *p, const char *gate, const char *person,
			const struct approve_result *r)
{
	json_t *o = json_object(), *v = json_object(), *nc = json_array(), *needs = json_array();
	json_object_set_new(o, "gate", encode_string(gate));
	json_object_set_new(o, "person", encode_string(person));
	json_object_set_new(o, "role", encode_string(r->role));
	json_object_set_new(o, "changed", json_boolean(!r->already));
	json_object_set_new(o, "scope", json_string(r->scope_plan ? "plan" : "versions"));
	for (size_t i = 0; i < r->ncovered; i++)
		json_object_set_new(v, p->projects[r->covered[i]].id, encode_string(r->versions[i]));
	json_object_set_new(o, "versions", v);
	for (size_t i = 0; i < r->nuncovered; i++)
		json_array_append_new(nc, encode_string(p->projects[r->uncovered[i]].id));
	json_object_set_new(o, "not_covered", nc);
	json_object_set_new(o, "until", encode_time(r->until));
	json_object_set_new(o, "already", json_boolean(r->already));
	for (size_t i = 0; i < r->nneeds; i++)
		json_array_append_new(needs, encode_string(r->needs[i]));
	json_object_set_new(o, "still_needs", needs);
	return o;
}

json_t *encode_revoked(const char *gate, const char *person, const char *role, int already)
{
	json_t *o = json_object();
	json_object_set_new(o, "gate", encode_string(gate));
	json_object_set_new(o, "person", encode_string(person));
	json_object_set_new(o, "role", role ? encode_string(role) : json_null());
	json_object_set_new(o, "changed", json_boolean(already == 0));
	json_object_set_new(o, "already", json_boolean(already == 1));
	return o;
}

json_t *encode_ticked(const char *item, bool done, const char *by, const char *note, int already)
{
	json_t *o = json_object();
	json_object_set_new(o, "item", encode_string(item));
	json_object_set_new(o, "done", json_boolean(done));
	json_object_set_new(o, "by", encode_string(by));
	json_object_set_new(o, "note", note ? encode_string(note) : json_null());
	json_object_set_new(o, "changed", json_boolean(already == 0));
	json_object_set_new(o, "already", json_boolean(already == 1));
	return o;
}

json_t *encode_blocker_update(const char *blocker, int progress, bool resolved, int already)
{
	json_t *o = json_object();
	json_object_set_new(o, "blocker", encode_string(blocker));
	json_object_set_new(o, "progress", json_integer(progress));
	json_object_set_new(o, "resolved", json_boolean(resolved));
	json_object_set_new(o, "changed", json_boolean(already == 0));
	json_object_set_new(o, "already", json_boolean(already == 1));
	return o;
}

json_t *encode_incident_opened(int64_t id, int level, const char *env, const char *project,
			       const char *text)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "level", json_integer(level));
	json_object_set_new(o, "env", encode_string(env));
	json_object_set_new(o, "project", project ? encode_string(project) : json_null());
	json_object_set_new(o, "text", encode_string(text));
	return o;
}

json_t *encode_incident(const struct store_incident *in)
{
	json_t *o = encode_incident_opened(in->id, in->level, in->env, in->project, in->text);
	json_object_set_new(o, "opened_by", in->opened_by ? encode_string(in->opened_by) : json_null());
	json_object_set_new(o, "opened_at", encode_time(in->opened_at));
	json_object_set_new(o, "resolved_at", in->resolved_at ? encode_time(in->resolved_at) : json_null());
	json_object_set_new(o, "resolved_by", in->resolved_by ? encode_string(in->resolved_by) : json_null());
	return o;
}

json_t *encode_incident_resolved(int64_t id, int already)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	json_object_set_new(o, "resolved", json_true());
	json_object_set_new(o, "changed", json_boolean(already == 0));
	json_object_set_new(o, "already", json_boolean(already == 1));
	return o;
}

json_t *encode_rejected(const char *project, const char *version, const char *env, bool rejected,
			bool already, const char *by, const char *reason)
{
	json_t *o = json_object();
	json_object_set_new(o, "project", encode_string(project));
	json_object_set_new(o, "version", encode_string(version));
	json_object_set_new(o, "env", encode_string(env));
	json_object_set_new(o, "rejected", json_boolean(rejected));
	json_object_set_new(o, "changed", json_boolean(!already));
	json_object_set_new(o, "by", encode_string(by));
	json_object_set_new(o, "reason", encode_string(reason));
	return o;
}

json_t *encode_outbox(const struct store_outboxes *l)
{
	json_t *arr = json_array(), *o = json_object();
	for (size_t i = 0; i < l->n; i++) {
		const struct store_outbox *m = &l->v[i];
		json_t *j = json_object();
		json_object_set_new(j, "id", json_integer(m->id));
		json_object_set_new(j, "delivery_id", encode_string(m->delivery_id));
		json_object_set_new(j, "channel", encode_string(m->channel));
		json_object_set_new(j, "seq", json_integer(m->seq));
		json_object_set_new(j, "event", encode_string(m->event));
		json_object_set_new(j, "subject", encode_string(m->subject));
		json_object_set_new(j, "state", json_string(store_outbox_state_name(m->state)));
		json_object_set_new(j, "attempts", json_integer(m->attempts));
		json_object_set_new(j, "next_at", m->state == OUTBOX_PENDING ? encode_time(m->next_at)
									  : json_null());
		json_object_set_new(j, "sent_at", encode_time(m->sent_at));
		json_object_set_new(j, "created_at", encode_time(m->created_at));
		json_object_set_new(j, "claimed_by",
				    m->claimed_by ? encode_string(m->claimed_by) : json_null());
		json_object_set_new(j, "claimed_until", encode_time(m->claimed_until));
		json_object_set_new(j, "last_error",
				    m->last_error && *m->last_error ? encode_string(m->last_error)
								    : json_null());
		json_array_append_new(arr, j);
	}
	json_object_set_new(o, "messages", arr);
	return o;
}
