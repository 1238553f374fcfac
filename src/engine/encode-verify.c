/*
 * encode-verify.c - the JSON of `log --verify` (encode.h): the chain, the
 * anchors and the state the log proves, for the CLI and the server alike.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/encode.h"
#include "store/store.h"

static json_t *diff_side(const struct store_state_diff *d, const char **v, const bool *is_int)
{
	json_t *o;
	if (!v)
		return json_null();
	o = json_object();
	for (int i = 0; i < d->ncols; i++) {
		json_t *x;
		if (!v[i])
			x = json_null();
		else if (is_int[i])
			x = json_integer(strtoll(v[i], NULL, 10));
		else
			x = encode_string(v[i]);
		json_object_set_new(o, d->cols[i], x);
	}
	return o;
}

json_t *encode_log_verify(const struct store_verify_full *full, size_t nanchors)
{
	const struct store_verify *v = &full->chain;
	json_t *o = json_object();
	json_object_set_new(o, "verified",
			    json_boolean(v->ok && !full->anchors_failed && full->state_ok));
	json_object_set_new(o, "entries", json_integer(v->count));
	if (!v->ok) {
		json_object_set_new(o, "bad_seq", json_integer(v->bad_seq));
		json_object_set_new(o, "why", encode_string(v->why));
	}
	if (nanchors) {
		json_t *a = json_object();
		json_object_set_new(a, "given", json_integer((json_int_t)nanchors));
		json_object_set_new(a, "failed", json_integer((json_int_t)full->anchors_failed));
		if (full->anchors_failed) {
			char buf[96];
			snprintf(buf, sizeof(buf), "%" PRId64 ":%s", full->bad_anchor.seq,
				 full->bad_anchor.hash);
			json_object_set_new(a, "first_failed", json_string(buf));
			json_object_set_new(a, "why", encode_string(full->anchor_why));
		}
		json_object_set_new(o, "anchors", a);
	}
	if (full->state_checked) {
		json_t *st = json_object(), *arr = json_array();
		json_object_set_new(st, "rows", json_integer(full->state_rows));
		for (size_t i = 0; i < full->nlisted; i++) {
			const struct store_state_diff *d = &full->diffs[i];
			json_t *x = json_object();
			json_object_set_new(x, "table", json_string(d->table));
			json_object_set_new(x, "store", diff_side(d, d->store, d->store_int));
			json_object_set_new(x, "log", diff_side(d, d->log, d->log_int));
			if (d->store && d->log && d->store_count != d->log_count) {
				json_object_set_new(x, "store_count", json_integer(d->store_count));
				json_object_set_new(x, "log_count", json_integer(d->log_count));
			}
			json_array_append_new(arr, x);
		}
		json_object_set_new(st, "differences", arr);
		json_object_set_new(st, "more", json_integer(full->ndiffs - (int64_t)full->nlisted));
		json_object_set_new(o, "state", st);
	}
	return o;
}
