/*
 * import-state.c - `import --state`: the state an imported document records
 * written into the store through the engine's import actions (actions.h):
 * the source environment's versions first (so that passed gates have
 * candidates to be approved for), then ticks, blockers' progress and passed
 * gates, each one audit entry "imported from FILE:LINE".
 */
#include "import/import.h"

#include <stdlib.h>
#include <string.h>

#include "engine/actions.h"
#include "plan/plan.h"

int import_write_state(const struct action_ctx *c, const struct import_result *r,
		       const char *md, const struct action_versions *versions,
		       const char *versions_name, import_outcome_fn fn, void *ctx, struct err *e)
{
	const struct plan *p = c->plan;
	static const enum import_fact_kind order[] = { IMPORT_TICK, IMPORT_PROGRESS, IMPORT_GATE };

	for (size_t i = 0; versions && i < versions->n; i++) {
		struct import_outcome o = { 0 };
		char *from = xasprintf("%s:%d", versions_name, versions->v[i].line);
		int w = action_import_version(c, p->envs[0].name, versions->v[i].project,
					      versions->v[i].version, versions->v[i].line, from, e);
		if (w < 0) {
			free(from);
			return -1;
		}
		o.kind = IMPORT_READY;
		o.id = versions->v[i].project;
		o.version = versions->v[i].version;
		o.env = p->envs[0].name;
		o.from = from;
		o.written = w == 0;
		fn(ctx, &o);
		free(from);
	}
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (size_t i = 0; i < r->nfacts; i++) {
			const struct import_fact *f = &r->facts[i];
			struct import_outcome o = { 0 };
			struct approve_result ar;
			struct err why;
			int w;
			if (f->kind != order[k])
				continue;
			o.kind = f->kind;
			o.id = f->id;
			o.progress = f->progress;
			o.from = xasprintf("%s:%d", md, f->line);
			err_init(&why);
			if (f->kind == IMPORT_TICK)
				w = action_import_tick(c, f->id, o.from, &why);
			else if (f->kind == IMPORT_PROGRESS)
				w = action_import_progress(c, f->id, f->progress, o.from, &why);
			else {
				w = action_import_gate(c, f->id, o.from, &ar, &why);
				if (w >= 0)
					approve_result_release(&ar);
			}
			if (w < 0 && f->kind == IMPORT_GATE && why.code == ERR_NOT_READY) {
				/* no candidate to approve for: said, not fatal */
				o.skipped = why.msg;
			} else if (w < 0) {
				err_copy(e, &why);
				free((char *)o.from);
				return -1;
			}
			o.written = w == 0;
			fn(ctx, &o);
			free((char *)o.from);
		}
	return 0;
}
