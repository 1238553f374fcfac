/*
 * encode-actions.c - the JSON answers of the state-changing actions
 * (record, …): what `tollgate <command> --json` prints and the server's
 * write endpoints return, byte for byte.
 */
#include "engine/actions.h"
#include "engine/encode.h"

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
