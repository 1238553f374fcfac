/*
 * log-filter.c - the conditions of `tollgate log` (log-filter.h), checked on
 * each entry as the log streams by: the log is never held in memory.
 */
#include "engine/log-filter.h"

#include <fnmatch.h>
#include <jansson.h>
#include <string.h>

#include "engine/actions.h"
#include "store/store.h"

bool log_filter_active(const struct log_filter *f)
{
	return f->nprojects || f->nenvs || f->nactors || f->nactions || f->since || f->until;
}

static bool glob_any(const char *const *globs, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(globs[i], s ? s : "", 0))
			return true;
	return false;
}

/*
 * Is one of ids a word of the subject? A subject is "project@env", "id",
 * "project@*" or a list "kind id, kind id" (forget, moved): words end at
 * '@', ',' and ' '.
 */
static bool subject_names(const char *subject, const char *const *ids, size_t n)
{
	const char *s = subject ? subject : "";
	while (*s) {
		size_t len = strcspn(s, "@, ");
		for (size_t i = 0; len && i < n; i++)
			if (strlen(ids[i]) == len && !strncmp(s, ids[i], len))
				return true;
		s += len;
		if (*s)
			s++;
	}
	return false;
}

/* Does a row the entry wrote ([[name, params…]…]) hold one of ids as a value? */
static bool ops_name(json_t *ops, const char *const *ids, size_t n)
{
	size_t i, k;
	json_t *row, *v;
	json_array_foreach(ops, i, row) {
		json_array_foreach(row, k, v) {
			if (!k || !json_is_string(v))
				continue;
			for (size_t j = 0; j < n; j++)
				if (!strcmp(json_string_value(v), ids[j]))
					return true;
		}
	}
	return false;
}

bool log_filter_match(const struct log_filter *f, const struct store_log_entry *en)
{
	json_t *ops = NULL;
	bool ok = true;

	if ((f->since && en->at < f->since) || (f->until && en->at >= f->until))
		return false;
	if (f->nactors && !glob_any(f->actors, f->nactors, en->actor))
		return false;
	if (f->nactions && !glob_any(f->actions, f->nactions, en->action))
		return false;
	if (!f->nprojects && !f->nenvs)
		return true;
	if (en->ops)
		ops = json_loads(en->ops, 0, NULL);
	if (f->nprojects)
		ok = subject_names(en->subject, f->projects, f->nprojects) ||
		     ops_name(ops, f->projects, f->nprojects);
	if (ok && f->nenvs)
		ok = subject_names(en->subject, f->envs, f->nenvs) ||
		     ops_name(ops, f->envs, f->nenvs);
	json_decref(ops);
	return ok;
}

int log_filter_parse_time(const char *flag, const char *s, bool until, int64_t *out,
			  struct err *e)
{
	int64_t t;
	if (util_parse_date(s, &t) == 0) {
		*out = until ? t + 86400 : t;
		return 0;
	}
	if (util_parse_time(s, &t) == 0) {
		*out = until ? t + 1 : t; /* to the second given, included */
		return 0;
	}
	return err_set(e, ERR_USAGE,
		       "--%s '%s' is not a date (2026-03-01) or an RFC 3339 time "
		       "(2026-03-01T09:30:00Z)",
		       flag, s);
}

int log_filter_check_ids(const struct log_filter *f, const struct plan *p, struct err *e)
{
	for (size_t i = 0; i < f->nprojects; i++)
		if (action_find_project(p, f->projects[i], e) < 0)
			return -1;
	for (size_t i = 0; i < f->nenvs; i++)
		if (action_find_env(p, f->envs[i], e) < 0)
			return -1;
	return 0;
}
