/*
 * serve-actions.c - the write endpoints beside POST /versions: approvals,
 * checks, blockers, incidents and rejections. Each one reads its body
 * strictly (serve-body.c: 400 naming the member), looks its ids up in the
 * plan (404 with the did-you-mean) before the store is touched, then calls
 * the engine action of the CLI command with the token's person as the actor
 * (the plan's rules: 403 forbidden, 409 when the state does not allow it)
 * and answers with the command's --json bytes (encode-actions.c).
 */
#include <stdlib.h>
#include <string.h>

#include "engine/actions.h"
#include "engine/encode.h"
#include "engine/promote.h"
#include "plan/plan.h"
#include "serve/serve-internal.h"
#include "store/store.h"

static const char *const no_fields[] = { NULL };

/* Member `name` of o as a non-empty array of strings (absent: *n = 0).
 * *out (owned by the caller, free() it) points into o. */
static int string_list(json_t *o, const char *name, const char ***out, size_t *n, struct err *e)
{
	json_t *a = json_object_get(o, name), *v;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!a)
		return 0;
	if (!json_is_array(a) || !json_array_size(a))
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"'%s' must be a non-empty array of ids (leave it out for all)", name);
	*out = xcalloc(json_array_size(a) + 1, sizeof(**out));
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
			free(*out);
			*out = NULL;
			return err_setr(e, ERR_USAGE, REASON_INVALID,
					"'%s[%zu]' must be a string (an id)", name, i);
		}
		(*out)[i] = json_string_value(v);
	}
	*n = json_array_size(a);
	return 0;
}

/* A query argument the endpoint does not take: refused, not ignored. */
static int no_arg(const struct serve_request *rq, const char *name, const char *why,
		  struct err *e)
{
	if (rq->arg(rq->conn, name))
		return err_setr(e, ERR_USAGE, REASON_INVALID, "'?%s=' is not taken here: %s", name,
				why);
	return 0;
}

/* A string given in the body or as ?name= (not both); NULL when neither. */
static int body_or_arg(const struct serve_request *rq, json_t *body, const char *name,
		       const char **out, struct err *e)
{
	const char *q = rq->arg(rq->conn, name);
	if (serve_json_string(body, name, false, out, e) < 0)
		return -1;
	if (*out && q)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"'%s' is given twice (in the body and as ?%s=); give it once", name,
				name);
	if (!*out)
		*out = q;
	return 0;
}

/* ---- approvals ------------------------------------------------------------ */

/* POST /api/v1/approvals {gate, role?, projects?}: `tollgate approve GATE
 * [--role R] [--project P]...` */
int serve_api_approve(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e)
{
	static const char *const fields[] = { "gate", "role", "projects", NULL };
	struct action_ctx c = { s->plan, NULL, rq->now, rq->person };
	struct approve_result res;
	const char *gate, *role, **projects = NULL;
	size_t n = 0;
	json_t *body;
	int rc = -1;

	body = serve_body_object(rq, fields, false, e);
	if (!body)
		return -1;
	if (serve_json_string(body, "gate", true, &gate, e) < 0 ||
	    serve_json_string(body, "role", false, &role, e) < 0 ||
	    string_list(body, "projects", &projects, &n, e) < 0 ||
	    action_find_gate(s->plan, gate, e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (action_find_project(s->plan, projects[i], e) < 0)
			goto out;
	if (serve_writer(s, rq, &c.store, e) < 0 ||
	    action_approve(&c, gate, role, projects, n, &res, e) < 0)
		goto out;
	rc = serve_reply_json(s, r, encode_approved(s->plan, gate, rq->person, &res), true, e);
	approve_result_release(&res);
out:
	free(projects);
	json_decref(body);
	return rc;
}

/* DELETE /api/v1/approvals/{gate}: `tollgate revoke GATE` (the person's one
 * approval of the gate, whatever its role: the CLI takes no --role) */
int serve_api_revoke(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e)
{
	struct action_ctx c = { s->plan, NULL, rq->now, rq->person };
	const char *gate = rq->params[0], *role;
	json_t *body;
	int rc;

	body = serve_body_object(rq, no_fields, true, e);
	if (!body)
		return -1;
	json_decref(body);
	if (no_arg(rq, "role", "a person holds one approval per gate, and this takes it back",
		   e) < 0 ||
	    action_find_gate(s->plan, gate, e) < 0 || serve_writer(s, rq, &c.store, e) < 0)
		return -1;
	rc = action_revoke(&c, gate, &role, e);
	if (rc < 0)
		return -1;
	return serve_reply_json(s, r, encode_revoked(gate, rq->person, role, rc), true, e);
}

/* ---- checks --------------------------------------------------------------- */

static int tick(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		bool done, struct err *e)
{
	static const char *const fields[] = { "note", NULL };
	struct action_ctx c = { s->plan, NULL, rq->now, rq->person };
	const char *item = rq->params[0], *note = NULL;
	json_t *body;
	int rc = -1;

	body = serve_body_object(rq, done ? fields : no_fields, true, e);
	if (!body)
		return -1;
	if (serve_json_string(body, "note", false, &note, e) < 0 ||
	    action_find_item(s->plan, item, e) < 0 || serve_writer(s, rq, &c.store, e) < 0)
		goto out;
	rc = action_tick(&c, item, done, note, e);
	if (rc >= 0)
		rc = serve_reply_json(s, r, encode_ticked(item, done, rq->person, note, rc), true, e);
out:
	json_decref(body);
	return rc;
}

/* POST /api/v1/checks/{item} {note?}: `tollgate check ITEM [--note TEXT]` */
int serve_api_check(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		    struct err *e)
{
	return tick(s, rq, r, true, e);
}

/* DELETE /api/v1/checks/{item}: `tollgate uncheck ITEM` */
int serve_api_uncheck(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e)
{
	return tick(s, rq, r, false, e);
}

/* ---- blockers ------------------------------------------------------------- */

/* POST /api/v1/blockers/{id} {progress, reopen?} | {resolve: true}:
 * `tollgate blocker ID --progress N [--reopen] | --resolve` */
int serve_api_blocker(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e)
{
	static const char *const fields[] = { "progress", "resolve", "reopen", NULL };
	struct action_ctx c = { s->plan, NULL, rq->now, rq->person };
	const char *id = rq->params[0];
	bool has_progress = false, resolve = false, reopen = false, resolved = false;
	int64_t progress = -1;
	int got = 0, rc = -1;
	json_t *body;

	body = serve_body_object(rq, fields, false, e);
	if (!body)
		return -1;
	if (serve_json_int(body, "progress", false, &has_progress, &progress, e) < 0 ||
	    serve_json_bool(body, "resolve", NULL, &resolve, e) < 0 ||
	    serve_json_bool(body, "reopen", NULL, &reopen, e) < 0)
		goto out;
	if (has_progress && (progress < 0 || progress > 100)) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "'progress' %lld is out of range; use 0 to 100 (100 resolves it)",
			 (long long)progress);
		goto out;
	}
	if (has_progress == resolve) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "say what changed: either 'progress' (0-100) or 'resolve': true");
		goto out;
	}
	if (reopen && !has_progress) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "'reopen' goes with 'progress' below 100 (where the blocker stands again)");
		goto out;
	}
	if (action_find_blocker(s->plan, id, e) < 0 || serve_writer(s, rq, &c.store, e) < 0)
		goto out;
	rc = action_blocker(&c, id, has_progress ? (int)progress : -1, resolve, reopen, &got,
			    &resolved, e);
	if (rc >= 0)
		rc = serve_reply_json(s, r, encode_blocker_update(id, got, resolved, rc), true, e);
out:
	json_decref(body);
	return rc;
}

/* ---- incidents ------------------------------------------------------------ */

/* POST /api/v1/incidents {level, env, project?, text}: `tollgate incident
 * open`; 201 with Location. A level-3 incident on a project rolls it back
 * there (incident_respond, as the CLI), within the request. */
int serve_api_incident_open(struct serve *s, const struct serve_request *rq,
			    struct serve_reply *r, struct err *e)
{
	static const char *const fields[] = { "level", "env", "project", "text", NULL };
	struct incident_opts o = { 0 };
	struct incident_response res;
	struct store *w;
	int64_t level = 0;
	json_t *body;
	int rc = -1;

	memset(&res, 0, sizeof(res));
	body = serve_body_object(rq, fields, false, e);
	if (!body)
		return -1;
	if (serve_json_int(body, "level", true, NULL, &level, e) < 0 ||
	    serve_json_string(body, "env", true, &o.env, e) < 0 ||
	    serve_json_string(body, "project", false, &o.project, e) < 0 ||
	    serve_json_string(body, "text", true, &o.text, e) < 0)
		goto out;
	if (level < 1 || level > 3) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "'level' %lld: use 1 (logs), 2 (pauses every promotion) or 3 (also rolls "
			 "back)",
			 (long long)level);
		goto out;
	}
	if (action_find_env(s->plan, o.env, e) < 0 ||
	    (o.project && action_find_project(s->plan, o.project, e) < 0) ||
	    serve_writer(s, rq, &w, e) < 0)
		goto out;
	o.level = (int)level;
	o.actor = rq->person;
	if (incident_respond(s->plan, w, rq->now, &o, &res, e) < 0)
		goto out; /* when res.id is set the incident is open: the message says why not more */
	rc = serve_reply_json(s, r, encode_incident_opened(res.id, o.level, o.env, o.project, o.text),
			      true, e);
	if (rc == 0) {
		r->status = 201;
		snprintf(r->location_buf, sizeof(r->location_buf), "/api/v1/incidents/%lld",
			 (long long)res.id);
		r->location = r->location_buf;
	}
out:
	incident_response_release(&res);
	json_decref(body);
	return rc;
}

/* POST /api/v1/incidents/{id}/resolve: `tollgate incident resolve ID` */
/* the id in a path: a number, or 0 */
static long long incident_id(const char *ids)
{
	if (strspn(ids, "0123456789") == strlen(ids) && strlen(ids) <= 15)
		return strtoll(ids, NULL, 10);
	return 0;
}

/* GET /api/v1/incidents/{id}: one incident, open or resolved (where POST
 * /api/v1/incidents points) */
int serve_api_incident(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		       struct err *e)
{
	long long id = incident_id(rq->params[0]);
	struct store_incidents l;
	int rc;

	if (id < 1 || store_incident_by_id(s->store, id, &l, e) < 0) {
		if (id < 1)
			return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
					"no incident '%.40s': incident ids are numbers", rq->params[0]);
		return -1;
	}
	if (!l.n) {
		store_incidents_release(&l);
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "no incident %lld", id);
	}
	rc = serve_reply_json(s, r, encode_incident(&l.v[0]), true, e);
	store_incidents_release(&l);
	return rc;
}

int serve_api_incident_resolve(struct serve *s, const struct serve_request *rq,
			       struct serve_reply *r, struct err *e)
{
	struct action_ctx c = { s->plan, NULL, rq->now, rq->person };
	const char *ids = rq->params[0];
	long long id = 0;
	json_t *body;
	int rc;

	body = serve_body_object(rq, no_fields, true, e);
	if (!body)
		return -1;
	json_decref(body);
	id = incident_id(ids);
	if (id < 1)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"no incident '%.40s': incident ids are numbers; GET /api/v1/status "
				"lists the open ones",
				ids);
	if (serve_writer(s, rq, &c.store, e) < 0)
		return -1;
	rc = action_incident_resolve(&c, id, e);
	if (rc < 0)
		return -1;
	return serve_reply_json(s, r, encode_incident_resolved(id, rc), true, e);
}

/* ---- rejections ----------------------------------------------------------- */

/* POST /api/v1/rejections {project, version, env?, reason}: `tollgate
 * reject PROJECT VERSION [--env E] --reason TEXT` */
int serve_api_reject(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		     struct err *e)
{
	static const char *const fields[] = { "project", "version", "env", "reason", NULL };
	struct action_ctx c = { s->plan, NULL, rq->now, rq->person };
	const char *project, *version, *env, *reason;
	bool already;
	json_t *body;
	int rc = -1;

	body = serve_body_object(rq, fields, false, e);
	if (!body)
		return -1;
	if (serve_json_string(body, "project", true, &project, e) < 0 ||
	    serve_json_string(body, "version", true, &version, e) < 0 ||
	    serve_json_string(body, "env", false, &env, e) < 0 ||
	    serve_json_string(body, "reason", true, &reason, e) < 0 ||
	    action_find_project(s->plan, project, e) < 0 ||
	    (env && action_find_env(s->plan, env, e) < 0) || serve_writer(s, rq, &c.store, e) < 0 ||
	    action_reject(&c, project, version, env, reason, &already, e) < 0)
		goto out;
	rc = serve_reply_json(s, r,
			      encode_rejected(project, version, env, true, already, rq->person, reason),
			      true, e);
out:
	json_decref(body);
	return rc;
}

/* DELETE /api/v1/rejections/{project}/{version} {reason, env?} (or
 * ?reason=&env=): `tollgate allow PROJECT VERSION [--env E] --reason TEXT` */
int serve_api_allow(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		    struct err *e)
{
	static const char *const fields[] = { "reason", "env", NULL };
	struct action_ctx c = { s->plan, NULL, rq->now, rq->person };
	const char *project = rq->params[0], *version = rq->params[1], *env, *reason;
	bool already;
	json_t *body;
	int rc = -1;

	body = serve_body_object(rq, fields, true, e);
	if (!body)
		return -1;
	if (body_or_arg(rq, body, "reason", &reason, e) < 0 ||
	    body_or_arg(rq, body, "env", &env, e) < 0)
		goto out;
	if (!reason || !*reason) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "say why: give 'reason' in the body or as ?reason=");
		goto out;
	}
	if (action_find_project(s->plan, project, e) < 0 ||
	    (env && action_find_env(s->plan, env, e) < 0) || serve_writer(s, rq, &c.store, e) < 0 ||
	    action_allow(&c, project, version, env, reason, &already, e) < 0)
		goto out;
	rc = serve_reply_json(s, r,
			      encode_rejected(project, version, env, false, already, rq->person,
					      reason),
			      true, e);
out:
	json_decref(body);
	return rc;
}
