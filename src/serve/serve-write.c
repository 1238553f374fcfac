/*
 * serve-write.c - the API's write endpoints: each reads its body strictly
 * (serve-body.c), calls the same engine action as the CLI command with the
 * token's person as the actor, and answers with the same JSON as the
 * command's --json. The person rules, the one transaction and the audit
 * entry are the engine's; the audit's authentication is "token:ID".
 */
#include <string.h>

#include "engine/actions.h"
#include "engine/encode.h"
#include "plan/plan.h"
#include "serve/serve-internal.h"
#include "store/store.h"

/* {"versions": {project: version}} into l, checked as a versions file is */
static int versions_of(const struct plan *p, json_t *map, struct action_versions *l,
		       struct err *e)
{
	const char *key;
	json_t *v;

	memset(l, 0, sizeof(*l));
	if (!json_is_object(map) || !json_object_size(map))
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"'versions' must be an object of project: version, not empty");
	json_object_foreach(map, key, v) {
		int pi = plan_project_index(p, key);
		struct err ve;
		if (pi < 0) {
			const char *sg = plan_suggest_project(p, key);
			return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
					"unknown project '%.80s' in 'versions'%s%s%s", key,
					sg ? "; did you mean '" : "", sg ? sg : "", sg ? "'?" : "");
		}
		if (!json_is_string(v))
			return err_setr(e, ERR_USAGE, REASON_INVALID,
					"'versions.%s' must be a string (the version)", key);
		err_init(&ve);
		if (store_check_version(json_string_value(v), &ve) < 0)
			return err_setr(e, ERR_USAGE, REASON_INVALID, "'versions.%s': %s", key,
					ve.msg);
		if (l->n == l->alloc) {
			l->alloc = l->alloc ? 2 * l->alloc : 8;
			l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
		}
		l->v[l->n].project = xstrdup(key);
		l->v[l->n].version = xstrdup(json_string_value(v));
		l->v[l->n].line = 0;
		l->n++;
	}
	return 0;
}

/* POST /api/v1/versions {env, versions: {project: version}}: CI records
 * builds healthy in an environment (`tollgate record --env ENV --versions`) */
int serve_api_versions(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		       struct err *e)
{
	static const char *const fields[] = { "env", "versions", NULL };
	struct action_versions l = { 0 };
	struct action_ctx c = { s->plan, NULL, rq->now, rq->person };
	const char *env;
	json_t *body;
	int rc = -1, already;

	body = serve_body_object(rq, fields, false, e);
	if (!body)
		return -1;
	if (serve_json_string(body, "env", true, &env, e) < 0 ||
	    action_find_env(s->plan, env, e) < 0 ||
	    versions_of(s->plan, json_object_get(body, "versions"), &l, e) < 0 ||
	    serve_writer(s, rq, &c.store, e) < 0)
		goto out;
	already = action_record_bulk(&c, env, &l, e);
	if (already < 0)
		goto out;
	rc = serve_reply_json(s, r, encode_recorded(env, &l, already), true, e);
out:
	action_versions_release(&l);
	json_decref(body);
	return rc;
}
