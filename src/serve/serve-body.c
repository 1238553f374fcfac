/*
 * serve-body.c - what every write endpoint shares: its JSON body read
 * strictly (an object, known members only, the right types: anything else
 * is a 400 that says where and what, before anything is written), and the
 * store connection writes go through, with the request's token as the
 * audit's authentication.
 */
#include <string.h>

#include "engine/identity.h"
#include "serve/serve-internal.h"
#include "store/store.h"

bool serve_is_write(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

static void list_fields(const char *const *fields, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; fields[i] && used + 1 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s'%s'", i ? ", " : "",
					 fields[i]);
	if (!fields[0])
		snprintf(buf, len, "none");
}

json_t *serve_body_object(const struct serve_request *rq, const char *const *fields,
			  bool empty_ok, struct err *e)
{
	json_error_t je;
	json_t *o;
	const char *key;
	json_t *v;

	if (!rq->body || !rq->body_len) {
		if (empty_ok)
			return json_object();
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "this needs a JSON object as its body (Content-Type: application/json)");
		return NULL;
	}
	o = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!o) {
		err_setr(e, ERR_USAGE, REASON_INVALID, "the body is not JSON: line %d, column %d: %s",
			 je.line, je.column, je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		err_setr(e, ERR_USAGE, REASON_INVALID, "the body must be a JSON object");
		json_decref(o);
		return NULL;
	}
	json_object_foreach(o, key, v) {
		bool known = false;
		char allowed[256];
		(void)v;
		for (size_t i = 0; fields[i] && !known; i++)
			known = !strcmp(fields[i], key);
		if (known)
			continue;
		list_fields(fields, allowed, sizeof(allowed));
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "unknown member '%.64s' in the body; this takes %s", key, allowed);
		json_decref(o);
		return NULL;
	}
	return o;
}

static int missing_or_wrong(const char *name, const char *type, json_t *v, struct err *e)
{
	if (!v)
		return err_setr(e, ERR_USAGE, REASON_INVALID, "the body needs '%s' (%s)", name,
				type);
	return err_setr(e, ERR_USAGE, REASON_INVALID, "'%s' must be %s", name, type);
}

int serve_json_string(json_t *o, const char *name, bool required, const char **out,
		      struct err *e)
{
	json_t *v = json_object_get(o, name);
	*out = NULL;
	if (!v && !required)
		return 0;
	if (!json_is_string(v))
		return missing_or_wrong(name, "a string", v, e);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return err_setr(e, ERR_USAGE, REASON_INVALID, "'%s' must not contain NUL", name);
	*out = json_string_value(v);
	return 0;
}

int serve_json_int(json_t *o, const char *name, bool required, bool *present, int64_t *out,
		   struct err *e)
{
	json_t *v = json_object_get(o, name);
	if (present)
		*present = v != NULL;
	if (!v && !required)
		return 0;
	if (!json_is_integer(v))
		return missing_or_wrong(name, "an integer", v, e);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

int serve_json_bool(json_t *o, const char *name, bool *present, bool *out, struct err *e)
{
	json_t *v = json_object_get(o, name);
	if (present)
		*present = v != NULL;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return missing_or_wrong(name, "true or false", v, e);
	*out = json_is_true(v);
	return 0;
}

int serve_writer(struct serve *s, const struct serve_request *rq, struct store **w,
		 struct err *e)
{
	struct identity id;

	if (!rq->person || !rq->token_id)
		return err_setr(e, ERR_USAGE, REASON_FORBIDDEN, "a write needs an API token");
	if (identity_from_token(s->plan, rq->person, rq->token_id, &id, e) < 0)
		return -1;
	if (serve_writer_open(s, w, e) < 0)
		return -1;
	store_set_auth(s->writer, id.auth);
	*w = s->writer;
	return 0;
}

int serve_writer_open(struct serve *s, struct store **w, struct err *e)
{
	if (!s->writer && store_open_writer(s->store, &s->writer, e) < 0)
		return -1;
	*w = s->writer;
	return 0;
}

void serve_writer_close(struct serve *s)
{
	if (s->writer)
		store_close(s->writer);
	s->writer = NULL;
}
