/*
 * report.h - the living master plan: the sections of the seed document
 * (shared/seeds/master-promotion-plan.md) filled from the plan and the live
 * state, rendered as GitHub Markdown, one self-contained HTML page or JSON.
 *
 * The renderers read the live state only through `struct report_state`, a
 * plain-data snapshot: the store fills one (or report_state_init_empty() gives
 * the state of a plan nothing has happened to yet) and report_render() turns
 * plan + snapshot into text. Nothing here touches the store, prints or exits.
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

/* One project in one environment. state is a SPEC §2 state name ("none",
 * "deploying", "verifying", "soaking", "healthy", "rolled-back", "failed",
 * "interrupted"); NULL or "none" reads "not started". */
struct report_cell {
	const char *state;
	const char *version; /* NULL: none */
	int64_t since;       /* when the cell entered its state; 0 = unknown */
	const char *log;     /* the last run's log file (SPEC §6), NULL: none */
};

/* One approval of a gate: the role it was given for, by whom, when. */
struct report_approval {
	const char *role;
	const char *person; /* people id */
	int64_t at;
};

struct report_gate_state {
	size_t n, alloc;
	struct report_approval *v;
};

/* One checklist item. */
struct report_tick {
	bool done;
	const char *by; /* people id or "check" evidence; NULL when unknown */
	int64_t at;     /* 0 = unknown */
	const char *note;
};

struct report_blocker_state {
	int progress; /* 0..100 */
	bool resolved;
	int64_t updated; /* 0 = never changed since the plan */
};

struct report_incident {
	int64_t id;
	int level;   /* 1..3 */
	int env;     /* env index, -1 none */
	int project; /* project index, -1 none */
	const char *text;
	const char *opened_by; /* people id or trigger id */
	int64_t opened_at;
	bool resolved;
	int64_t resolved_at;
};

/* A change-log entry: the plan's own, then the audit log's. */
struct report_change {
	int64_t date;
	const char *text;
	const char *author;
};

/*
 * The snapshot. Arrays sized by the plan: cells[project * nenvs + env],
 * gates[gate], items[item], blockers[blocker]. Strings given to the add/set
 * functions are copied into `arena`; the store may also point at its own
 * strings as long as they outlive the render.
 */
struct report_state {
	struct arena arena;
	size_t nprojects, nenvs, ngates, nitems, nblockers;
	struct report_cell *cells;
	struct report_gate_state *gates;
	struct report_tick *items;
	struct report_blocker_state *blockers;
	size_t nincidents, incidents_alloc;
	struct report_incident *incidents;
	size_t nchanges, changes_alloc;
	struct report_change *changes; /* audit entries only; the plan's are read from the plan */
	size_t changes_omitted;        /* older audit entries left out of `changes` */
	bool live; /* false: no store behind this snapshot */
};

/* Every cell "none", no approvals, no ticks, each blocker at the plan's progress,
 * no incidents, no audit changes. Release with report_state_release(). */
void report_state_init_empty(struct report_state *st, const struct plan *p);
void report_state_release(struct report_state *st);

struct store;
/* The snapshot of store s for plan p (live = true): one consistent read of the
 * state plus the audit log's tail. 0 ok; -1 with e filled and st released. */
int report_state_load(struct report_state *st, const struct plan *p, struct store *s,
		      struct err *e);

/* Fillers for the store (strings are copied). Out-of-range indices are a BUG. */
void report_state_set_cell(struct report_state *st, int project, int env, const char *state,
			   const char *version, int64_t since);
void report_state_set_log(struct report_state *st, int project, int env, const char *path);
void report_state_add_approval(struct report_state *st, int gate, const char *role,
			       const char *person, int64_t at);
void report_state_set_tick(struct report_state *st, int item, bool done, const char *by,
			   int64_t at, const char *note);
void report_state_set_blocker(struct report_state *st, int blocker, int progress, bool resolved,
			      int64_t updated);
void report_state_add_incident(struct report_state *st, const struct report_incident *in);
void report_state_add_change(struct report_state *st, int64_t date, const char *text,
			     const char *author);

/* Gate status: passed when every approver role has an approval and every
 * criterion is done; in progress when some of that is there; pending otherwise. */
enum report_gate_status { GATE_PENDING, GATE_IN_PROGRESS, GATE_PASSED };
enum report_gate_status report_gate_status(const struct plan *p, const struct report_state *st,
					   int gate);
const char *report_gate_status_name(enum report_gate_status s); /* "passed" … */

/*
 * Render plan + state in the format into out (appended). now decides late
 * targets, "today" in the timeline and the generation stamp. 0 ok; -1 with e
 * filled (only when the JSON library fails).
 */
int report_render(const struct plan *p, const struct report_state *st, enum report_format f,
		  int64_t now, struct strbuf *out, struct err *e);

#endif
