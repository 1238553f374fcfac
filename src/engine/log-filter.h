/*
 * log-filter.h - which audit entries `tollgate log --project/--env/--actor/
 * --action/--since/--until` shows. An entry is about a project (an
 * environment) when its subject names it ("ledger@prod-eu", "ledger") or one
 * of the rows it wrote (its ops) does. Each list matches when any of its
 * values does; the lists and the time bounds must all match.
 */
#ifndef TOLLGATE_LOG_FILTER_H
#define TOLLGATE_LOG_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct plan;
struct store_log_entry;

struct log_filter {
	const char *const *projects; /* project ids of the plan */
	size_t nprojects;
	const char *const *envs; /* environment names of the plan */
	size_t nenvs;
	const char *const *actors; /* globs (fnmatch): "alice", "ci", "*" */
	size_t nactors;
	const char *const *actions; /* globs: "incident.*", "approve" */
	size_t nactions;
	int64_t since, until; /* at >= since, at < until; 0: unbounded */
};

/* Is there any condition at all? */
bool log_filter_active(const struct log_filter *f);
/* Does entry en pass? */
bool log_filter_match(const struct log_filter *f, const struct store_log_entry *en);
/*
 * A bound from the command line: RFC 3339, or a date (midnight UTC). An
 * --until given as a date includes that whole day. 0 ok; -1 with e filled.
 */
int log_filter_parse_time(const char *flag, const char *s, bool until, int64_t *out,
			  struct err *e);
/* Each id of projects/envs must be the plan's: 0, or -1 with e filled
 * (did you mean …). */
int log_filter_check_ids(const struct log_filter *f, const struct plan *p, struct err *e);

#endif
