/*
 * import-md.h - the Markdown side of the import, shared by import-md.c (the
 * document cut into sections, the helpers that read nodes and text) and
 * import-sections.c (one mapper per kind of section).
 */
#ifndef TOLLGATE_IMPORT_MD_H
#define TOLLGATE_IMPORT_MD_H

#include <cmark-gfm.h>
#include <stdbool.h>
#include <stddef.h>

#include "import/import-int.h"
#include "import/import.h"

struct sub {
	char *title; /* NULL: the part before the first level-3 heading */
	int line;
	size_t n, alloc;
	cmark_node **nodes;
};

struct sec {
	char *title; /* NULL: before the first level-2 heading */
	int line;
	size_t n, alloc;
	struct sub *subs;
	bool used;
};

struct im {
	const char *name;
	const char *doc_prefix; /* put before relative document links, or NULL */
	struct import_result *out;
	struct tn *root, *plan, *envs, *people, *waves, *projects, *gates, *items, *blockers,
		*risks, *triggers, *milestones, *channels, *schedules, *resources, *escalation,
		*rollback, *comms, *post, *changes, *next, *notes;
	int year; /* for dates written without one */
	size_t nsecs, secs_alloc;
	struct sec *secs;
	char *title;
	int title_line;
	/* the plan's status line(s) as written: "IN PROGRESS", then "Plan Status" */
	char *status, *plan_status;
	/* the summary's "Total Projects", to check against the waves' tables */
	int total_projects, total_line;
};

struct date {
	int y, m, d;
	int until_m, until_d; /* a range "Jan 8-9": until that day, 0 none */
};

/* A GFM table as rows of cleaned cell texts; row 0 is the header. */
struct table {
	size_t nrows, ncols;
	char ***cells; /* [row][col] */
	cmark_node ***nodes;
	int *lines;
};

/* The helpers of import-md.c (see each definition). */
void im_lines_add(struct import_lines *l, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void im_fact(struct im *m, enum import_fact_kind k, const char *id, int progress, int line);
char *im_clean(const char *s);
bool im_has_word(const char *text, const char *word);
bool im_contains(const char *text, const char *what);
void im_text_of(cmark_node *n, struct strbuf *sb);
char *im_node_text(cmark_node *n);
int im_line_of(cmark_node *n);
bool im_is_type(cmark_node *n, const char *t);
bool im_is_task(cmark_node *n);
bool im_key_value_run(cmark_node *first, cmark_node *stop, char **key, char **value);
bool im_key_value(cmark_node *n, char **key, char **value);
struct tn *im_split_list(const char *s, bool slug);
int im_month_of(const char *w, size_t len);
size_t im_find_dates(const char *s, int def_year, struct date *out, size_t max);
char *im_iso(int y, int m, int d);
char *im_first_date(struct im *m, const char *s);
size_t im_nenvs(struct im *m);
const char *im_env_name(struct im *m, size_t i);
unsigned im_envs_named(struct im *m, const char *text);
int im_env_named(struct im *m, const char *text);
void im_waves_named(struct im *m, const char *text, struct tn *seq);
char *im_unique_id(const struct tn *seq, const char *key, const char *base);
struct tn *im_add_item(struct im *m, const char *text, const char *category, int line);
size_t im_list_items(struct im *m, cmark_node *list, const char *category, struct tn *ids);
void im_add_note(struct im *m, const char *title, const char *text);
void im_keep(struct im *m, const struct sec *s, const struct sub *u, cmark_node *n);
bool im_meta_paragraph(struct im *m, cmark_node *para);
bool im_env_chain(struct im *m, const char *text);
bool im_title_has(const struct sec *s, const char *w);
bool im_sub_has(const struct sub *u, const char *w);
void im_table_read(cmark_node *t, struct table *tb);
void im_table_release(struct table *tb);
/* Where im_next_table is in a section: start at { 0 }. */
struct table_walk {
	size_t k, i;
};
bool im_next_table(struct im *m, struct sec *s, struct table_walk *w, struct table *tb);
int im_column(const struct table *tb, const char *word);
int im_column_or(const struct table *tb, const char *word, const char *fallback);
const char *im_cell(const struct table *tb, size_t row, int col);
const char *im_link_of(cmark_node *n);
const char *im_severity_word(const char *s);
/* The mappers of import-sections.c, one per kind of section. */
void im_map_summary(struct im *m, struct sec *s);
void im_map_waves(struct im *m, struct sec *s);
void im_map_timeline(struct im *m, struct sec *s);
void im_map_project_docs(struct im *m, struct sec *s);
void im_map_checklist(struct im *m, struct sec *s, bool external);
void im_map_gates(struct im *m, struct sec *s);
void im_map_risks(struct im *m, struct sec *s);
void im_map_comms(struct im *m, struct sec *s);
void im_map_success(struct im *m, struct sec *s);
void im_map_rollback(struct im *m, struct sec *s);
void im_map_post(struct im *m, struct sec *s);
void im_map_resources(struct im *m, struct sec *s);
void im_map_blockers_section(struct im *m, struct sec *s);
void im_map_changes(struct im *m, struct sec *s);
void im_map_next(struct im *m, struct sec *s);
void im_map_unknown(struct im *m, struct sec *s);
cmark_node *im_sublist(cmark_node *item);
void im_find_accounts(struct im *m, const char *text);

#endif
