/*
 * report-int.h - what the three renderers share: reading the snapshot and the
 * derivations that turn plan + state into the seed document's words (date
 * ranges, dependency sentences, gate and project status, checklist groups).
 * Everything that produces text produces plain text; each renderer escapes it
 * for its own format. Private to src/report/.
 */
#ifndef TOLLGATE_REPORT_INT_H
#define TOLLGATE_REPORT_INT_H

#include "engine/ready.h"
#include "engine/state.h"
#include "plan/plan.h"
#include "report/report.h"

/* How a status looks: an emoji in md, a badge colour in html. */
enum rp_tone { TONE_NONE, TONE_OK, TONE_PROGRESS, TONE_WARN, TONE_BAD };
const char *rp_tone_emoji(enum rp_tone t); /* "✅" "🔵" "🟡" "🔴" "⚪" */
const char *rp_tone_class(enum rp_tone t); /* "ok" "progress" "warn" "bad" "none" */

const char *rp_state_label(enum store_state s); /* "not started", "healthy", "rolled back" … */
enum rp_tone rp_state_tone(enum store_state s);
/* The version a cell shows: the live one after a rollback (what failed is
 * state_failed_version), else the one recorded. */
const char *rp_cell_version(const struct state_cell *c);

const char *rp_env_title(const struct plan_env *env);
const char *rp_person_name(const struct plan *p, const char *id); /* name ("TBD" for a placeholder), or id as given */
void rp_env_chain(const struct plan *p, struct strbuf *sb); /* "DEV → SIT → PROD" */
/* "Jan 10 - Mar 14, 2026", "Jan 8-9, 2026", "Dec 1, 2025 - Jan 4, 2026" */
void rp_date_range(struct strbuf *sb, int64_t from, int64_t to, bool with_year);
void rp_date(struct strbuf *sb, int64_t t, bool with_year); /* "Jan 10[, 2026]" */
void rp_datetime(struct strbuf *sb, int64_t t);              /* "2026-01-10 09:00 UTC" */
/* The span of milestones, wave windows and targets; false when the plan has none. */
bool rp_timeline_span(const struct plan *p, int64_t *from, int64_t *to);
void rp_wave_label(const struct plan *p, int w, struct strbuf *sb); /* "Core APIs (wave-1)" */
size_t rp_wave_nprojects(const struct plan *p, int w);
/* "a, b and c" */
void rp_join_words(struct strbuf *sb, const char *const *words, size_t n);
void rp_number(struct strbuf *sb, double v);

/* Plain-text lines, owned (free with rp_lines_release). */
struct rp_lines {
	size_t n, alloc;
	char **v;
};
void rp_lines_add(struct rp_lines *l, struct strbuf *sb); /* takes sb's text, resets sb */
void rp_lines_release(struct rp_lines *l);
/* Dependencies of a wave in words; "None (can proceed immediately)" when none. */
void rp_wave_dependencies(const struct plan *p, int w, struct rp_lines *out);

/* Gates: whether one passed, and which approvals count, is ready.h's
 * (ready_gate_status, ready_gate_approval), as for `why`. */
void rp_gate_required_before(const struct plan *p, int gate, struct strbuf *sb);
void rp_role_holders(const struct plan *p, const char *role, struct strbuf *sb); /* "Dana Ops, Tom" */
enum rp_tone rp_gate_tone(enum ready_gate_status s);
/* What an approval that counts covers: " for ledger 3.13.0, accounts 2.8.2"
 * (a gate of scope versions: the projects' candidates it was given for) and
 * " until 2026-03-23" when it expires. Appended to sb. */
void rp_approval_scope(const struct plan *p, const struct state *st, const struct state_approval *a,
		       int64_t now, struct strbuf *sb);

/* Checklist items. */
/* "done by Dana Ops on Jan 9, 2026 (note)" or "" when not done. */
void rp_tick_detail(const struct plan *p, const struct state_tick *t, struct strbuf *sb);
/* The pre-promotion checklist: categories in order of first appearance. */
struct rp_group {
	const char *name;
	size_t n;
	int *items;
};
size_t rp_checklist_groups(const struct plan *p, struct rp_group **out);
void rp_groups_free(struct rp_group *g, size_t n);
bool rp_is_external(const struct plan_item *it);
/* Items of the external-dependencies category; caller frees *out. */
size_t rp_external_items(const struct plan *p, int **out);

/* Projects and the plan as a whole. */
/* The furthest environment the project reached: "healthy in PROD", "not started". */
enum rp_tone rp_project_status(const struct plan *p, const struct state *st, int project,
			       struct strbuf *sb);
size_t rp_env_count_state(const struct plan *p, const struct state *st, int env,
			  enum store_state s);
/* The header status: the plan's `status`, else derived from the state. */
enum rp_tone rp_plan_status(const struct plan *p, const struct state *st, struct strbuf *sb);
enum rp_tone rp_severity_tone(enum plan_severity s);
void rp_risk_scope(const struct plan_risk *r, struct strbuf *sb);

/* Triggers: "measured: rollback when above 0.05 in SIT, PROD" /
 * "judged by a person: raise a level 3 incident". */
void rp_trigger_rule(const struct plan *p, const struct plan_trigger *t, struct strbuf *sb);
void rp_trigger_envs(const struct plan *p, const struct plan_trigger *t, struct strbuf *sb);

/* Blockers. */
int rp_blocker_progress(const struct state *st, int b);
bool rp_blocker_resolved(const struct state *st, int b);
/* "must be resolved before SIT promotion of Core APIs (wave-1)" or "" when informational. */
void rp_blocker_blocks(const struct plan *p, int b, struct strbuf *sb);

/* Post-promotion groups: the plan's title or "After SIT (wave-1)". */
void rp_activity_title(const struct plan *p, const struct plan_activity_group *g,
		       struct strbuf *sb);

/* Milestones by date (indices); change log: plan's then audit's, by date. */
size_t rp_sorted_milestones(const struct plan *p, int **out);
/* Where a milestone stands. Its tick comes from the state: the promotions it
 * names (plan keys env, wave, projects) happened. One that names none is
 * only placed in time. */
enum rp_milestone { MS_UNTRACKED, MS_DONE, MS_OPEN, MS_LATE };
enum rp_milestone rp_milestone_status(const struct plan *p, const struct state *st, int m,
				      int64_t now);
size_t rp_changes(const struct plan *p, const struct state *st, struct state_change **out);

/* The Activity section: the log's counts by day (the latest `max` days, the
 * earlier ones in one row marked older), each with its kinds in words
 * ("approve 2, record 3"). Free with rp_activity_days_free. */
#define RP_ACTIVITY_DAYS 31
struct rp_activity_day {
	int64_t day; /* midnight UTC; for the older row, the first day not in it */
	bool older;
	int64_t total;
	char *kinds;
};
size_t rp_activity_days(const struct state *st, size_t max, struct rp_activity_day **out);
void rp_activity_days_free(struct rp_activity_day *d, size_t n);

/* A link's href as the report's reader follows it (report-links.c): a
 * project's document (relative to the plan's folder) or a step's log (under
 * the store's log folder), relative to links->from_dir; as written when
 * links is NULL or for a URL. The caller frees it. */
enum rp_link_kind { RP_LINK_DOC, RP_LINK_LOG };
char *rp_link(const struct report_links *links, const char *target, enum rp_link_kind kind);

/* Open incidents first, then resolved; indices into st->incidents. */
size_t rp_sorted_incidents(const struct state *st, int **out);

/*
 * A document written through ops: report-doc.c walks the sections once and
 * report-md.c / report-html.c say how each block looks. Every string handed to
 * an op is plain text; the op escapes it. Lists nest; a table's cells hold
 * inline ops only.
 */
struct rp_doc;
struct rp_doc_ops {
	void (*begin)(struct rp_doc *d, const char *title);
	void (*end)(struct rp_doc *d);
	void (*toc)(struct rp_doc *d, const char *const *titles, const char *const *anchors,
		    size_t n);
	void (*heading_begin)(struct rp_doc *d, int level, const char *anchor);
	void (*heading_end)(struct rp_doc *d, int level);
	void (*rule)(struct rp_doc *d);
	void (*para_begin)(struct rp_doc *d);
	void (*para_end)(struct rp_doc *d);
	void (*text)(struct rp_doc *d, const char *s);
	void (*strong)(struct rp_doc *d, const char *s);
	void (*em)(struct rp_doc *d, const char *s);
	void (*code)(struct rp_doc *d, const char *s);
	void (*link)(struct rp_doc *d, const char *label, const char *href);
	void (*badge)(struct rp_doc *d, enum rp_tone t, const char *label);
	void (*progress)(struct rp_doc *d, int pct, enum rp_tone t);
	void (*field_begin)(struct rp_doc *d, const char *label); /* "Label: " on its own line */
	void (*field_end)(struct rp_doc *d);
	void (*list_begin)(struct rp_doc *d, bool ordered);
	void (*list_end)(struct rp_doc *d);
	void (*item_begin)(struct rp_doc *d, int check); /* check: -1 none, 0 open, 1 done */
	void (*item_end)(struct rp_doc *d);
	void (*table_begin)(struct rp_doc *d, const char *const *heads, size_t n);
	void (*table_end)(struct rp_doc *d);
	void (*row_begin)(struct rp_doc *d);
	void (*row_end)(struct rp_doc *d);
	void (*cell_begin)(struct rp_doc *d);
	void (*cell_end)(struct rp_doc *d);
	void (*timeline_begin)(struct rp_doc *d);
	void (*timeline_month)(struct rp_doc *d, const char *label);
	/* mark: MS_DONE ticks it, MS_LATE flags it */
	void (*timeline_entry)(struct rp_doc *d, const char *when, const char *text, bool last,
			       bool today, enum rp_milestone mark);
	void (*timeline_end)(struct rp_doc *d);
};

#define RP_MAX_DEPTH 8
struct rp_doc {
	const struct rp_doc_ops *ops;
	const struct report_links *links; /* NULL: links as written */
	struct strbuf *out;
	int depth;                  /* open lists */
	bool ordered[RP_MAX_DEPTH];
	int counter[RP_MAX_DEPTH];
	bool line_open;             /* md: the current line has text */
	size_t ncols;               /* md: columns of the open table */
	bool section_open;          /* html: a <section> is open */
	bool footer_open;           /* html: the <footer> is open */
	bool first_section;
	int timeline_months;
};

/* Walk every section of the report into d. */
void rp_doc_write(struct rp_doc *d, const struct plan *p, const struct state *st,
		  int64_t now);
extern const struct rp_doc_ops rp_md_ops;
extern const struct rp_doc_ops rp_html_ops;

int rp_render_md(const struct plan *p, const struct state *st, int64_t now,
		 const struct report_links *links, struct strbuf *out);
int rp_render_html(const struct plan *p, const struct state *st, int64_t now,
		   const struct report_links *links, struct strbuf *out);
int rp_render_json(const struct plan *p, const struct state *st, int64_t now,
		   struct strbuf *out, struct err *e);

#endif
