/*
 * report.h - the living master plan: the sections of the seed document
 * (shared/seeds/master-promotion-plan.md) filled from the plan and the live
 * state, rendered as GitHub Markdown, one self-contained HTML page or JSON.
 *
 * The renderers read the live state model of engine/state.h (loaded with
 * report_state_load, or state_init_empty() for a plan nothing has happened
 * to yet) and decide gates, lateness and readiness through engine/ready.h,
 * as `why` and `status` do; report_render() turns plan + state into text.
 * Nothing here prints or exits.
 */
#ifndef TOLLGATE_REPORT_H
#define TOLLGATE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct plan;

enum report_format { REPORT_MD, REPORT_HTML, REPORT_JSON };

/* "md" (or "markdown"), "html", "json". 0 ok, -1 unknown. */
int report_format_parse(const char *name, enum report_format *out);
/* The closest format name to a wrong one, or NULL. */
const char *report_format_suggest(const char *name);
const char *report_format_name(enum report_format f);

struct state;
struct store;
/*
 * The live state the report reads (engine/state.h, the one model every front
 * end reads), with what only the report needs: each pair's last run log and
 * the audit log's tail for the change log, all in ONE store read. now counts
 * the hold rule back. 0 ok; -1 with e filled and st released.
 */
int report_state_load(struct state *st, const struct plan *p, struct store *s, int64_t now,
		      struct err *e);

/*
 * Render plan + state in the format into out (appended). now decides late
 * targets, "today" in the timeline and the generation stamp. 0 ok; -1 with e
 * filled (only when the JSON library fails).
 */
int report_render(const struct plan *p, const struct state *st, enum report_format f,
		  int64_t now, struct strbuf *out, struct err *e);

/*
 * What `tollgate gates`, `checklist`, `incidents`, `blockers` and
 * `rejections` list: the report's JSON section of that name (the same
 * objects GET /api/v1/report?format=json answers), narrowed by the options.
 */
enum report_list { REPORT_LIST_GATES, REPORT_LIST_CHECKLIST, REPORT_LIST_INCIDENTS,
		   REPORT_LIST_BLOCKERS, REPORT_LIST_REJECTIONS };
struct report_list_opts {
	int env;        /* gates before, incidents in, blockers blocking, rejections for
			 * this environment; -1 any */
	int done;       /* checklist: 1 ticked items only, 0 unticked only, -1 all */
	bool open_only; /* incidents not resolved, blockers not resolved, rejections in force */
};
/* The section's key ("gates", …). */
const char *report_list_name(enum report_list l);
/* A new reference to {"<name>": [...]}: the caller owns it (a jansson json_t). */
struct json_t *report_list(const struct plan *p, const struct state *st, enum report_list l,
			   const struct report_list_opts *o, int64_t now);
/* Where the links of a report resolve from: a report written to a file
 * links the projects' documents and the steps' logs relative to the file's
 * folder, so that they open from there. */
struct report_links {
	const char *from_dir; /* the folder the report is read from */
	const char *plan_dir; /* the plan's folder: documents are relative to it */
	const char *log_dir;  /* the store's log folder (store_log_dir): logs are under runs/ */
};
/* report_render with links resolved from links->from_dir (NULL: as written,
 * as report_render does). */
int report_render_to(const struct plan *p, const struct state *st, enum report_format f,
		     int64_t now, const struct report_links *links, struct strbuf *out,
		     struct err *e);

#endif
