/*
 * report-store.c - the state the report reads: the live state model
 * (engine/state.h) loaded in one store read with the report's extras, each
 * pair's last run log, the audit log's plan changes (the Change Log), its
 * counts by day and kind and its last entries (Activity). Rows naming
 * ids the plan no longer has are left out: the report shows the plan as it
 * is now.
 */
#include "report/report.h"

#include <stdlib.h>
#include <string.h>

#include "engine/forecast.h"
#include "engine/state.h"
#include "plan/plan.h"

/* How many of the audit log's last entries the Activity section lists (the
 * whole log is counted); `tollgate log` has them all. */
#define REPORT_LOG_TAIL 10

int report_state_load(struct state *st, const struct plan *p, struct store *s, int64_t now,
		      struct err *e)
{
	struct state_load_opts o = { 0 };
	o.now = now;
	o.what = STATE_LOAD_LOGS | STATE_LOAD_AUDIT;
	o.audit_tail = REPORT_LOG_TAIL;
	if (state_load_opts(st, p, s, &o, e) < 0)
		return -1;
	/* the Forecast section's expected durations: the store's history */
	{
		int64_t *dur;
		if (forecast_durations(p, s, &dur, e) < 0) {
			state_release(st);
			return -1;
		}
		st->durations = arena_alloc(&st->arena, (p->nprojects + 1) * sizeof(*dur));
		memcpy(st->durations, dur, p->nprojects * sizeof(*dur));
		free(dur);
	}
	return 0;
}
