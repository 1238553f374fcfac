/*
 * import-sections.c - one mapper per kind of section of a Markdown master
 * plan (docs/import.md): the executive summary, waves and their projects,
 * the timeline, project documents, checklists, gates, risks, the
 * communication plan, success criteria, rollback, post-promotion
 * activities, resources, blockers, the change log and next steps. Each
 * keeps what it cannot map as notes (im_keep).
 */
#define _GNU_SOURCE /* strcasestr */
#include <cmark-gfm-core-extensions.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import-md.h"

/* --- sections --- */

bool im_title_has(const struct sec *s, const char *w)
{
	return s->title && im_contains(s->title, w);
}

bool im_sub_has(const struct sub *u, const char *w)
{
	return u->title && im_contains(u->title, w);
}


void im_table_read(cmark_node *t, struct table *tb)
{
	memset(tb, 0, sizeof(*tb));
	tb->ncols = cmark_gfm_extensions_get_table_columns(t);
	for (cmark_node *r = cmark_node_first_child(t); r; r = cmark_node_next(r))
		tb->nrows++;
	tb->cells = xcalloc(tb->nrows + 1, sizeof(*tb->cells));
	tb->nodes = xcalloc(tb->nrows + 1, sizeof(*tb->nodes));
	tb->lines = xcalloc(tb->nrows + 1, sizeof(*tb->lines));
	size_t i = 0;
	for (cmark_node *r = cmark_node_first_child(t); r; r = cmark_node_next(r), i++) {
		size_t j = 0;
		tb->cells[i] = xcalloc(tb->ncols + 1, sizeof(char *));
		tb->nodes[i] = xcalloc(tb->ncols + 1, sizeof(cmark_node *));
		tb->lines[i] = im_line_of(r);
		for (cmark_node *c = cmark_node_first_child(r); c && j < tb->ncols;
		     c = cmark_node_next(c), j++) {
			tb->cells[i][j] = im_node_text(c);
			tb->nodes[i][j] = c;
		}
		for (; j < tb->ncols; j++)
			tb->cells[i][j] = xstrdup("");
	}
}

void im_table_release(struct table *tb)
{
	for (size_t i = 0; i < tb->nrows; i++) {
		for (size_t j = 0; j < tb->ncols; j++)
			free(tb->cells[i][j]);
		free(tb->cells[i]);
		free(tb->nodes[i]);
	}
	free(tb->cells);
	free(tb->nodes);
	free(tb->lines);
}

/* The next table of section s, read into tb (the caller releases it); what
 * comes before it that is not a table is kept (im_keep). false at the end. */
bool im_next_table(struct im *m, struct sec *s, struct table_walk *w, struct table *tb)
{
	for (; w->k < s->n; w->k++, w->i = 0)
		while (w->i < s->subs[w->k].n) {
			cmark_node *n = s->subs[w->k].nodes[w->i++];
			if (im_is_type(n, "table")) {
				im_table_read(n, tb);
				return true;
			}
			im_keep(m, s, &s->subs[w->k], n);
		}
	return false;
}

/* The column whose header contains word, or -1. */
int im_column(const struct table *tb, const char *word)
{
	for (size_t j = 0; tb->nrows && j < tb->ncols; j++)
		if (im_contains(tb->cells[0][j], word))
			return (int)j;
	return -1;
}

/* The column of word, or else the one of fallback (a header says either). */
int im_column_or(const struct table *tb, const char *word, const char *fallback)
{
	int c = im_column(tb, word);
	return c >= 0 ? c : im_column(tb, fallback);
}

const char *im_cell(const struct table *tb, size_t row, int col)
{
	return col < 0 ? "" : tb->cells[row][col];
}

/* The first link's destination in node, or NULL. */
const char *im_link_of(cmark_node *n)
{
	cmark_iter *it = cmark_iter_new(n);
	const char *url = NULL;
	cmark_event_type ev;
	while (!url && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE)
		if (ev == CMARK_EVENT_ENTER && cmark_node_get_type(cmark_iter_get_node(it)) == CMARK_NODE_LINK)
			url = cmark_node_get_url(cmark_iter_get_node(it));
	cmark_iter_free(it);
	return url;
}

const char *im_severity_word(const char *s)
{
	static const char *const names[] = { "critical", "high", "medium", "low", NULL };
	for (size_t i = 0; names[i]; i++)
		if (im_has_word(s, names[i]))
			return names[i];
	return NULL;
}

/* Executive summary: the environments, the overall risk; the counts and
 * the timeline the report derives. */
void im_map_summary(struct im *m, struct sec *s)
{
	struct table_walk w = { 0 };
	struct table tb;

	while (im_next_table(m, s, &w, &tb)) {
		for (size_t r = 1; r < tb.nrows; r++) {
			const char *key = tb.cells[r][0], *val = tb.ncols > 1 ? tb.cells[r][1] : "";
			if (im_contains(key, "environment")) {
				im_env_chain(m, val);
			} else if (im_contains(key, "risk") && im_severity_word(val)) {
				tn_set(m->plan, "risk", tn_str(im_severity_word(val)));
			} else if (im_contains(key, "project") || im_contains(key, "wave") ||
				   im_contains(key, "timeline")) {
				/* derived by the report from projects, waves and
				 * milestones; the total is checked at the end */
				if (im_contains(key, "total") && isdigit((unsigned char)*val)) {
					m->total_projects = atoi(val);
					m->total_line = tb.lines[r];
				}
			} else {
				char *t = xasprintf("%s: %s", key, val);
				im_add_note(m, s->title, t);
				free(t);
			}
		}
		im_table_release(&tb);
	}
	im_lines_add(&m->out->mapped, s->line,
		  "%s: environments and plan.risk; project and wave counts and the timeline are "
		  "derived by the report",
		  s->title);
}

/* "dynamodb_schemas and s3_schemas must be promoted BEFORE backend_public":
 * the projects named before "before" become dependencies of those named
 * after it ("after": the other way). A wave and an environment named
 * ("Core APIs (Wave 1) should be in SIT") make the wave's `after`. */
static void dependency_sentence(struct im *m, struct tn *wave, const char *text, int line)
{
	const char *cut = strcasestr(text, " before ");
	bool after = false;
	struct tn *waves = tn_seq(true);
	if (!cut) {
		cut = strcasestr(text, " after ");
		after = cut != NULL;
	}
	if (cut) {
		for (size_t i = 0; i < m->projects->n; i++) {
			struct tn *pi = m->projects->v[i];
			const char *id = tn_get_str(pi, "id");
			const char *where = strstr(text, id);
			if (!where || !im_has_word(text, id))
				continue;
			/* the dependent side: after "before", or before "after" */
			if ((where > cut) != after) {
				for (size_t j = 0; j < m->projects->n; j++) {
					const char *dep = tn_get_str(m->projects->v[j], "id");
					const char *dw = strstr(text, dep);
					struct tn *deps;
					if (j == i || !dw || !im_has_word(text, dep) || (dw > cut) != after)
						continue;
					deps = tn_get(pi, "depends_on");
					if (!deps)
						deps = tn_set(pi, "depends_on", tn_seq(true));
					if (!tn_has_str(deps, dep))
						tn_add_str(deps, dep);
				}
			}
		}
	}
	im_waves_named(m, text, waves);
	if (waves->n == 1 && strcmp(waves->v[0]->s, tn_get_str(wave, "id")) && im_env_named(m, text) > 0) {
		struct tn *a = tn_set(wave, "after", tn_map(true));
		tn_set_str(a, "wave", waves->v[0]->s);
		tn_set_str(a, "env", im_env_name(m, (size_t)im_env_named(m, text)));
		im_lines_add(&m->out->decide, line,
			  "wave '%s' waits for wave '%s' to be healthy in '%s' (\"%s\"): confirm",
			  tn_get_str(wave, "id"), waves->v[0]->s, tn_get_str(a, "env"), text);
	}
	tn_free(waves);
}

/* "Wave 1: Core APIs (Jan 10 - Feb 21, 2026)" */
static struct tn *wave_from_heading(struct im *m, const char *heading)
{
	struct tn *w = tn_add(m->waves, tn_map(false));
	const char *colon = strchr(heading, ':');
	char *head = colon ? xstrndup(heading, (size_t)(colon - heading)) : xstrdup(heading);
	char *title = xstrdup(colon ? colon + 1 : heading), *paren = strchr(title, '(');
	char *base = import_slug(head, 4), *id = im_unique_id(m->waves, "id", base);
	struct date d[4];
	size_t nd = im_find_dates(heading, m->year, d, 4);
	char *t;

	if (paren && nd)
		*paren = 0;
	t = im_clean(title);
	tn_set_str(w, "id", id);
	tn_set_str(w, "title", *t ? t : head);
	if (nd) {
		struct tn *win = tn_set(w, "window", tn_map(true));
		char *from = im_iso(d[0].y, d[0].m, d[0].d);
		char *to = nd > 1 ? im_iso(d[1].y, d[1].m, d[1].d)
				  : d[0].until_d ? im_iso(d[0].y, d[0].until_m, d[0].until_d) : NULL;
		tn_set(win, "from", tn_raw(from));
		if (to && strcmp(to, from) >= 0) {
			tn_set(win, "to", tn_raw(to));
		} else {
			if (to)
				im_lines_add(&m->out->decide, 0,
					     "wave '%s': its dates (%s to %s) end before they start; "
					     "write its window",
					     id, from, to);
			tn_del(w, "window");
		}
		free(from);
		free(to);
	}
	free(t);
	free(head);
	free(title);
	free(base);
	free(id);
	return w;
}

/* A wave's project table. */
static void wave_projects(struct im *m, struct tn *wave, cmark_node *n)
{
	struct table tb;
	int cp, co, ct;
	im_table_read(n, &tb);
	cp = im_column(&tb, "project");
	co = im_column(&tb, "owner");
	ct = im_column_or(&tb, "title", "description");
	if (cp < 0)
		cp = tb.ncols > 1 && !strcmp(tb.cells[0][0], "#") ? 1 : 0;
	for (size_t r = 1; r < tb.nrows; r++) {
		const char *name = im_cell(&tb, r, cp);
		struct tn *pr, *targets = tn_map(true);
		char *id = util_valid_id(name) && strlen(name) <= IMPORT_ID_MAX ? xstrdup(name)
										: import_slug(name, 6);
		if (tn_find(m->projects, "id", id)) {
			char *u = im_unique_id(m->projects, "id", id);
			free(id);
			id = u;
		}
		pr = tn_add(m->projects, tn_map(false));
		tn_set_str(pr, "id", id);
		if (ct >= 0)
			tn_set_str(pr, "title", im_cell(&tb, r, ct));
		else if (strcmp(id, name))
			tn_set_str(pr, "title", name);
		tn_set_str(pr, "wave", tn_get_str(wave, "id"));
		tn_set_str(pr, "owner", im_cell(&tb, r, co));
		for (size_t j = 0; j < tb.ncols; j++) {
			const char *h = tb.cells[0][j];
			int e = im_env_named(m, h);
			if ((int)j == cp || (int)j == co || (int)j == ct || !strcmp(h, "#"))
				continue;
			if (e >= 0 && im_contains(h, "target")) {
				char *d = im_first_date(m, tb.cells[r][j]);
				if (d)
					tn_set(targets, im_env_name(m, (size_t)e), tn_raw(d));
				free(d);
			} else if (e == 0 && im_contains(h, "status")) {
				if (im_contains(tb.cells[r][j], "ready") || im_contains(tb.cells[r][j], "healthy") ||
				    im_contains(tb.cells[r][j], "done") || im_contains(tb.cells[r][j], "deployed"))
					im_fact(m, IMPORT_READY, id, 0, tb.lines[r]);
			} else if (im_contains(h, "depend")) {
				struct tn *deps = im_split_list(tb.cells[r][j], false);
				if (deps->n && strcasecmp(deps->v[0]->s, "none"))
					tn_set(pr, "depends_on", deps);
				else
					tn_free(deps);
			} else if (*tb.cells[r][j]) {
				char *t = xasprintf("%s — %s: %s", id, h, tb.cells[r][j]);
				im_add_note(m, "Promotion Waves", t);
				free(t);
			}
		}
		if (targets->n)
			tn_set(pr, "targets", targets);
		else
			tn_free(targets);
		tn_set(pr, "deploy", tn_str("echo 'tollgate: write the deploy command' >&2; exit 1"));
		free(id);
	}
	im_table_release(&tb);
}

void im_map_waves(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		struct tn *wave;
		const char *pending = NULL; /* the bold label a list follows */
		char *label = NULL;
		if (!u->title) {
			for (size_t i = 0; i < u->n; i++)
				im_keep(m, s, u, u->nodes[i]);
			continue;
		}
		wave = wave_from_heading(m, u->title);
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			char *key = NULL, *val = NULL;
			if (im_is_type(n, "table")) {
				wave_projects(m, wave, n);
			} else if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && im_key_value(n, &key, &val)) {
				free(label);
				label = xstrdup(key);
				pending = label;
				if (im_contains(key, "depend") && *val) {
					char *note = xasprintf("%s: %s", key, val);
					const char *old = tn_get_str(wave, "notes");
					char *joined = old ? xasprintf("%s; %s", old, note) : xstrdup(note);
					tn_set_str(wave, "notes", joined);
					dependency_sentence(m, wave, val, im_line_of(n));
					free(joined);
					free(note);
				} else if (*val) {
					im_keep(m, s, u, n);
				}
			} else if (cmark_node_get_type(n) == CMARK_NODE_LIST && pending &&
				   im_contains(pending, "prerequisite")) {
				struct tn *ids = tn_get(wave, "prerequisites");
				char *cat = xasprintf("%s Prerequisites", u->title);
				char *colon = strchr(cat, ':');
				if (colon) /* "Wave 1: Core APIs (…)" → "Wave 1 Prerequisites" */
					memmove(colon, " Prerequisites", strlen(" Prerequisites") + 1);
				if (!ids)
					ids = tn_set(wave, "prerequisites", tn_seq(true));
				im_list_items(m, n, cat, ids);
				free(cat);
			} else if (cmark_node_get_type(n) == CMARK_NODE_LIST && pending &&
				   im_contains(pending, "depend")) {
				for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
					char *t = im_node_text(li);
					const char *old = tn_get_str(wave, "notes");
					char *joined = old ? xasprintf("%s; %s", old, t) : xstrdup(t);
					tn_set_str(wave, "notes", joined);
					dependency_sentence(m, wave, t, im_line_of(li));
					free(joined);
					free(t);
				}
			} else {
				im_keep(m, s, u, n);
			}
			free(key);
			free(val);
		}
		free(label);
		im_lines_add(&m->out->mapped, u->line, "%s: wave '%s' with %s", u->title,
			  tn_get_str(wave, "id"), "its projects, prerequisites and dependencies");
	}
}

/* The code block of the overall timeline: a milestone per dated line. */
void im_map_timeline(struct im *m, struct sec *s)
{
	size_t count = 0;
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			char *copy, *save = NULL;
			int year = m->year;
			if (cmark_node_get_type(n) != CMARK_NODE_CODE_BLOCK) {
				im_keep(m, s, &s->subs[k], n);
				continue;
			}
			copy = xstrdup(cmark_node_get_literal(n));
			for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
				struct date d[2];
				const char *p = l;
				char *rest, *text;
				struct strbuf paren = STRBUF_INIT, body = STRBUF_INIT;
				struct tn *ms, *waves;
				int e;
				/* the tree's drawing: ├─ └─ │ */
				while (*p && (isspace((unsigned char)*p) || (unsigned char)*p >= 0x80) &&
				       !isalpha((unsigned char)*p)) {
					size_t sl = util_utf8_seq((const unsigned char *)p, strlen(p));
					p += sl ? sl : 1;
				}
				{
					int y = 0, used = 0;
					char mon[16];
					if (sscanf(p, "%15s %4d%n", mon, &y, &used) == 2 && y > 1990 &&
					    im_month_of(mon, strlen(mon)) && !p[used]) {
						year = y;
						continue;
					}
				}
				if (!im_find_dates(p, year, d, 1) || !im_month_of(p, 3)) {
					if (*p)
						im_add_note(m, s->title, l);
					continue;
				}
				/* skip the date itself */
				while (*p && !isspace((unsigned char)*p))
					p++;
				while (*p == ' ')
					p++;
				while (*p && (isdigit((unsigned char)*p) || *p == '-' || *p == ',' ||
					      *p == ' '))
					p++;
				/* "(Today)", "(Wave 1)" before the text */
				while (*p == '(') {
					const char *end = strchr(p, ')');
					if (!end)
						break;
					if (strncasecmp(p, "(today)", 7)) {
						strbuf_addch(&paren, ' ');
						strbuf_add(&paren, p, (size_t)(end - p + 1));
					}
					p = end + 1;
					while (*p == ' ')
						p++;
				}
				strbuf_addstr(&body, p);
				if (paren.len)
					strbuf_addstr(&body, paren.buf);
				rest = strbuf_detach(&body);
				text = im_clean(rest);
				ms = tn_add(m->milestones, tn_map(true));
				{
					char *from = im_iso(d[0].y, d[0].m, d[0].d);
					tn_set(ms, "date", tn_raw(from));
					free(from);
					if (d[0].until_d) {
						/* "Dec 28-Jan 3": the next year's January */
						char *to = im_iso(d[0].y + (d[0].until_m < d[0].m),
								  d[0].until_m, d[0].until_d);
						tn_set(ms, "until", tn_raw(to));
						free(to);
					}
				}
				tn_set(ms, "text", tn_str(text));
				waves = tn_seq(true);
				im_waves_named(m, text, waves);
				e = im_env_named(m, text);
				if (waves->n == 1 && e > 0) {
					tn_set_str(ms, "env", im_env_name(m, (size_t)e));
					tn_set_str(ms, "wave", waves->v[0]->s);
				}
				tn_free(waves);
				strbuf_release(&paren);
				free(rest);
				free(text);
				count++;
			}
			free(copy);
		}
	im_lines_add(&m->out->mapped, s->line, "%s: %zu milestones", s->title, count);
}

/* Individual project plans: each project's doc. */
void im_map_project_docs(struct im *m, struct sec *s)
{
	size_t count = 0;
	struct table_walk w = { 0 };
	struct table tb;

	while (im_next_table(m, s, &w, &tb)) {
		int cp, cd;
		cp = im_column(&tb, "project");
		cd = im_column_or(&tb, "doc", "plan");
		if (cp < 0)
			cp = 0;
		for (size_t r = 1; r < tb.nrows; r++) {
			struct tn *pr = tn_find(m->projects, "id", im_cell(&tb, r, cp));
			const char *url = cd >= 0 ? im_link_of(tb.nodes[r][cd]) : NULL;
			if (!url && cd >= 0)
				url = im_cell(&tb, r, cd);
			if (url && !strncmp(url, "./", 2))
				url += 2;
			if (!pr) {
				im_lines_add(&m->out->decide, tb.lines[r],
					  "project plan '%s' names no project of the waves",
					  im_cell(&tb, r, cp));
				continue;
			}
			if (url && *url) {
				/* a relative link is relative to the document:
				 * from the plan's folder, through doc_prefix */
				bool relative = *url != '/' && !strstr(url, "://");
				char *doc = xasprintf("%s%s",
						      relative && m->doc_prefix ? m->doc_prefix : "",
						      url);
				tn_set_str(pr, "doc", doc);
				free(doc);
				count++;
			}
		}
		im_table_release(&tb);
	}
	im_lines_add(&m->out->mapped, s->line, "%s: 'doc' of %zu projects (the Status column is state)",
		  s->title, count);
}

/* Which environment an item of a pre-promotion checklist applies to: the one
 * its text names, else the first promotion. */
static void guess_applies(struct im *m, struct tn *it, int line)
{
	int e = im_env_named(m, tn_get_str(it, "text"));
	struct tn *ap;
	if (im_nenvs(m) < 2)
		return;
	if (e < 1)
		e = 1;
	ap = tn_set(it, "applies", tn_map(true));
	tn_set_str(ap, "env", im_env_name(m, (size_t)e));
	(void)line;
}

void im_map_checklist(struct im *m, struct sec *s, bool external)
{
	size_t count = 0, first = m->items->n;
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		const char *cat = u->title ? u->title : s->title;
		if (external)
			cat = "External Dependencies";
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) == CMARK_NODE_LIST)
				count += im_list_items(m, n, cat, NULL);
			else
				im_keep(m, s, u, n);
		}
	}
	for (size_t i = first; i < m->items->n; i++)
		guess_applies(m, m->items->v[i], s->line);
	im_lines_add(&m->out->mapped, s->line,
		  "%s: %zu checklist items by category, each applying to the environment it names "
		  "(else '%s')",
		  s->title, count, im_nenvs(m) > 1 ? im_env_name(m, 1) : "-");
	if (count)
		im_lines_add(&m->out->decide, s->line,
			  "which environment (and waves) each item of '%s' applies to "
			  "(`applies`), and which can be proven by a `check` command",
			  s->title);
}

/* An existing item whose text starts with phrase, or a new one. */
static struct tn *criterion(struct im *m, const char *phrase, int line, bool *created)
{
	size_t pl = strlen(phrase);
	*created = false;
	for (size_t i = 0; i < m->items->n; i++) {
		const char *t = tn_get_str(m->items->v[i], "text");
		if (!strncasecmp(t, phrase, pl) && (!t[pl] || t[pl] == ' '))
			return m->items->v[i];
	}
	*created = true;
	return im_add_item(m, phrase, "Gate Criteria", line);
}

void im_map_gates(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		struct tn *g, *crit = tn_seq(true), *waves = tn_seq(true), *before;
		char *head, *title, *base, *id, *paren;
		const char *colon;
		bool passed, created_any = false;
		int env = -1, after_env = -1, status_line = 0;
		struct strbuf where = STRBUF_INIT;
		if (!u->title) {
			for (size_t i = 0; i < u->n; i++)
				im_keep(m, s, u, u->nodes[i]);
			tn_free(crit);
			tn_free(waves);
			continue;
		}
		colon = strchr(u->title, ':');
		head = colon ? xstrndup(u->title, (size_t)(colon - u->title)) : xstrdup(u->title);
		title = xstrdup(colon ? colon + 1 : u->title);
		paren = strrchr(title, '(');
		passed = paren && (im_contains(paren, "passed") || im_contains(paren, "approved"));
		if (paren)
			*paren = 0;
		base = import_slug(head, 4);
		id = im_unique_id(m->gates, "id", base);
		g = tn_add(m->gates, tn_map(false));
		tn_set_str(g, "id", id);
		{
			char *t = im_clean(title);
			tn_set_str(g, "title", *t ? t : head);
			free(t);
		}
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
				im_keep(m, s, u, n);
				continue;
			}
			for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
				char *key = NULL, *val = NULL;
				if (!im_key_value(li, &key, &val)) {
					im_keep(m, s, u, li);
					continue;
				}
				if (im_contains(key, "location")) {
					tn_set_str(g, "location", val);
					if (im_has_word(val, "after") && im_env_named(m, val) >= 0)
						after_env = im_env_named(m, val);
				} else if (im_contains(key, "approver")) {
					tn_set(g, "approvers", im_split_list(val, true));
				} else if (im_contains(key, "criteri")) {
					struct tn *parts = im_split_list(val, false);
					for (size_t j = 0; j < parts->n; j++) {
						bool created;
						struct tn *it = criterion(m, parts->v[j]->s, im_line_of(li), &created);
						created_any |= created;
						if (!tn_has_str(crit, tn_get_str(it, "id")))
							tn_add_str(crit, tn_get_str(it, "id"));
						if (created && passed)
							im_fact(m, IMPORT_TICK, tn_get_str(it, "id"), 0, im_line_of(li));
					}
					if (env < 0 && im_env_named(m, val) >= 0)
						env = im_env_named(m, val);
					tn_free(parts);
				} else if (im_contains(key, "status")) {
					passed |= im_contains(val, "passed") || im_contains(val, "approved");
					im_waves_named(m, val, waves);
					status_line = im_line_of(li);
				} else if (im_contains(key, "before") || im_contains(key, "required")) {
					if (im_env_named(m, val) >= 0)
						env = im_env_named(m, val);
					im_waves_named(m, val, waves);
				} else if (im_contains(key, "expire")) {
					int64_t secs;
					if (util_parse_duration(val, &secs) == 0)
						tn_set_str(g, "expires", val);
				} else {
					char *t = xasprintf("%s: %s: %s", tn_get_str(g, "id"), key, val);
					im_add_note(m, s->title, t);
					free(t);
				}
				free(key);
				free(val);
			}
		}
		if (env < 0 && after_env >= 0 && (size_t)after_env + 1 < im_nenvs(m))
			env = after_env + 1;
		if (env < 0 && im_env_named(m, tn_get_str(g, "title")) > 0)
			env = im_env_named(m, tn_get_str(g, "title"));
		if (env < 1) {
			env = im_nenvs(m) > 1 ? 1 : 0;
			im_lines_add(&m->out->decide, u->line,
				  "gate '%s': before which environment? (guessed '%s')", id,
				  im_nenvs(m) ? im_env_name(m, (size_t)env) : "-");
		}
		if (crit->n)
			tn_set(g, "criteria", crit);
		else
			tn_free(crit);
		before = tn_set(g, "before", tn_map(true));
		if (im_nenvs(m))
			tn_set_str(before, "env", im_env_name(m, (size_t)env));
		if (waves->n)
			tn_set(before, "waves", waves);
		else
			tn_free(waves);
		if (!tn_get(g, "approvers") || !tn_get(g, "approvers")->n) {
			im_lines_add(&m->out->decide, u->line, "gate '%s' names no approvers: add roles", id);
			tn_set(g, "approvers", im_split_list("approver", true));
		}
		if (passed)
			im_fact(m, IMPORT_GATE, id, 0, status_line ? status_line : u->line);
		strbuf_addf(&where, "gate '%s'%s", id, passed ? " (passed: state with --state)" : "");
		if (created_any)
			strbuf_addstr(&where, ", its criteria as checklist items");
		im_lines_add(&m->out->mapped, u->line, "%s: %s", u->title, where.buf);
		strbuf_release(&where);
		free(head);
		free(title);
		free(base);
		free(id);
	}
}

void im_map_risks(struct im *m, struct sec *s)
{
	size_t count = 0;
	struct table_walk w = { 0 };
	struct table tb;

	while (im_next_table(m, s, &w, &tb)) {
		int cr, cs, cp, cm, co;
		cr = im_column(&tb, "risk");
		cs = im_column_or(&tb, "severity", "impact");
		cp = im_column_or(&tb, "project", "scope");
		cm = im_column(&tb, "mitigation");
		co = im_column(&tb, "owner");
		if (cr < 0)
			cr = 0;
		for (size_t r = 1; r < tb.nrows; r++) {
			struct tn *rk = tn_add(m->risks, tn_map(true)), *prs = tn_seq(true);
			const char *text = im_cell(&tb, r, cr), *scope = im_cell(&tb, r, cp);
			char *base = import_slug(text, 5), *id = im_unique_id(m->risks, "id", base);
			const char *sev = im_severity_word(im_cell(&tb, r, cs));
			tn_set_str(rk, "id", id);
			tn_set(rk, "text", tn_str(text));
			tn_set_str(rk, "severity", sev ? sev : "medium");
			if (!sev)
				im_lines_add(&m->out->decide, tb.lines[r],
					  "risk '%s': no severity written; imported as medium", id);
			for (size_t j = 0; j < m->projects->n; j++) {
				const char *pid = tn_get_str(m->projects->v[j], "id");
				if (im_has_word(scope, pid))
					tn_add_str(prs, pid);
			}
			if (prs->n) {
				struct strbuf ids = STRBUF_INIT;
				for (size_t j = 0; j < prs->n; j++)
					strbuf_addf(&ids, "%s%s", j ? ", " : "", prs->v[j]->s);
				if (!strcmp(ids.buf, scope))
					scope = ""; /* the ids say it all */
				strbuf_release(&ids);
				tn_set(rk, "projects", prs);
			} else {
				tn_free(prs);
				tn_set(rk, "projects", tn_str("all"));
				if (*scope && strcasecmp(scope, "all"))
					im_lines_add(&m->out->decide, tb.lines[r],
						  "risk '%s': which projects \"%s\" means (imported as all)",
						  id, scope);
			}
			if (*scope)
				tn_set(rk, "scope", tn_str(scope));
			tn_set_str(rk, "mitigation", im_cell(&tb, r, cm));
			tn_set_str(rk, "owner", im_cell(&tb, r, co));
			free(base);
			free(id);
			count++;
		}
		im_table_release(&tb);
	}
	im_lines_add(&m->out->mapped, s->line, "%s: %zu risks", s->title, count);
}

/* "9:00 AM", "16:00", "4 PM" in text: minutes after midnight, up to max. */
static size_t times_in(const char *text, int *out, size_t max)
{
	size_t n = 0;
	for (const char *p = text; *p && n < max; p++) {
		int h, mi = 0, used = 0;
		char ampm[3] = "";
		if (!isdigit((unsigned char)*p) || (p > text && isalnum((unsigned char)p[-1])))
			continue;
		if (sscanf(p, "%2d:%2d%n", &h, &mi, &used) == 2) {
			const char *q = p + used;
			while (*q == ' ')
				q++;
			if (!strncasecmp(q, "pm", 2) && h < 12)
				h += 12;
			else if (!strncasecmp(q, "am", 2) && h == 12)
				h = 0;
		} else if (sscanf(p, "%2d %2[APMapm]%n", &h, ampm, &used) == 2 &&
			   (!strcasecmp(ampm, "am") || !strcasecmp(ampm, "pm"))) {
			if (!strcasecmp(ampm, "pm") && h < 12)
				h += 12;
			else if (!strcasecmp(ampm, "am") && h == 12)
				h = 0;
		} else {
			continue;
		}
		if (h < 0 || h > 23 || mi < 0 || mi > 59)
			continue;
		out[n++] = h * 60 + mi;
		p += used - 1;
	}
	return n;
}

/* "Slack #deployments": a channel, its URL from an environment variable. */
static const char *channel_for(struct im *m, const char *text, int line)
{
	const char *hash = strchr(text, '#');
	char *base, *id, *var;
	struct tn *c;
	if (!im_contains(text, "slack") && !hash) {
		im_lines_add(&m->out->decide, line, "channel \"%s\": how to reach it (channels[])", text);
		return NULL;
	}
	base = import_slug(hash ? hash + 1 : "slack", 3);
	if (tn_find(m->channels, "id", base)) {
		c = tn_find(m->channels, "id", base);
		free(base);
		return tn_get_str(c, "id");
	}
	id = im_unique_id(m->channels, "id", base);
	c = tn_add(m->channels, tn_map(true));
	tn_set_str(c, "id", id);
	tn_set_str(c, "kind", im_contains(text, "slack") ? "slack" : "webhook");
	var = xasprintf("TOLLGATE_%s_WEBHOOK", id);
	for (char *p = var; *p; p++)
		*p = *p == '-' || *p == '.' ? '_' : (char)toupper((unsigned char)*p);
	tn_set_str(c, "url_env", var);
	im_lines_add(&m->out->decide, line,
		  "channel '%s' (\"%s\"): set %s to its webhook URL where tollgate runs", id, text, var);
	free(var);
	free(base);
	free(id);
	return tn_get_str(c, "id");
}

static void add_schedule(struct im *m, const char *channel, const char *digest, int at, int line)
{
	struct tn *sc = tn_add(m->schedules, tn_map(true));
	char *base = xasprintf("%s-%02d%02d", digest, at / 60, at % 60);
	char *id = im_unique_id(m->schedules, "id", base);
	char hm[8];
	snprintf(hm, sizeof(hm), "%02d:%02d", (at / 60) % 24, at % 60);
	tn_set_str(sc, "id", id);
	tn_set_str(sc, "channel", channel);
	tn_set_str(sc, "digest", digest);
	tn_set(sc, "at", tn_str(hm));
	tn_set_str(sc, "tz", "UTC");
	im_lines_add(&m->out->decide, line, "schedule '%s' at %s: which time zone (imported as UTC)", id,
		  hm);
	free(base);
	free(id);
}

static void map_escalation(struct im *m, struct sec *s, struct sub *u)
{
	int level = 0;
	for (size_t i = 0; i < u->n; i++) {
		cmark_node *n = u->nodes[i];
		if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
			im_keep(m, s, u, n);
			continue;
		}
		for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
			char *key = NULL, *val = NULL, *paren;
			struct tn *e;
			int lv = 0;
			if (!im_key_value(li, &key, &val)) {
				im_keep(m, s, u, li);
				continue;
			}
			level++;
			if (sscanf(key, "Level %d", &lv) != 1 && sscanf(key, "level %d", &lv) != 1)
				lv = level;
			if (lv < 1 || lv > 3) {
				im_keep(m, s, u, li);
				free(key);
				free(val);
				continue;
			}
			e = tn_add(m->escalation, tn_map(true));
			tn_set(e, "level", tn_rawf("%d", lv));
			paren = strchr(key, '(');
			if (paren) {
				char *end = strchr(paren, ')');
				char *name = end ? xstrndup(paren + 1, (size_t)(end - paren - 1))
						 : xstrdup(paren + 1);
				tn_set_str(e, "name", name);
				free(name);
			}
			tn_set(e, "action", tn_str(val));
			{
				/* "Escalate to Tech Lead, pause deployments" */
				const char *to = strcasestr(val, "escalate to ");
				if (to) {
					char *who = xstrdup(to + strlen("escalate to ")), *cut = strchr(who, ',');
					if (cut)
						*cut = 0;
					tn_set_str(e, "notify", who);
					free(who);
				}
			}
			free(key);
			free(val);
		}
	}
	im_lines_add(&m->out->mapped, u->line, "%s: %zu escalation levels", u->title, m->escalation->n);
}

void im_map_comms(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		struct tn *c;
		const char *chan = NULL;
		int times[8];
		size_t nt = 0, nschedules = m->schedules->n;
		bool standup = u->title && im_contains(u->title, "standup");
		int time_line = 0;
		if (!u->title) {
			for (size_t i = 0; i < u->n; i++)
				im_keep(m, s, u, u->nodes[i]);
			continue;
		}
		if (im_sub_has(u, "escalat") || im_sub_has(u, "incident")) {
			map_escalation(m, s, u);
			continue;
		}
		c = tn_add(m->comms, tn_map(false));
		tn_set_str(c, "title", u->title);
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
				im_keep(m, s, u, n);
				continue;
			}
			for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
				char *key = NULL, *val = NULL;
				cmark_node *sl = im_sublist(li);
				if (!im_key_value(li, &key, &val)) {
					im_keep(m, s, u, li);
					continue;
				}
				if (!strcasecmp(key, "time") || !strcasecmp(key, "when")) {
					tn_set_str(c, "time", val);
					nt += times_in(val, times + nt, 8 - nt);
					time_line = im_line_of(li);
				} else if (im_contains(key, "duration")) {
					tn_set_str(c, "duration", val);
				} else if (im_contains(key, "frequency")) {
					tn_set_str(c, "frequency", val);
					nt += times_in(val, times + nt, 8 - nt);
					time_line = im_line_of(li);
				} else if (im_contains(key, "channel")) {
					tn_set_str(c, "channel", val);
					chan = channel_for(m, val, im_line_of(li));
				} else if (im_contains(key, "attendee")) {
					tn_set(c, "attendees", im_split_list(val, false));
				} else if (im_contains(key, "format") || im_contains(key, "agenda")) {
					struct tn *f = sl ? tn_seq(false) : im_split_list(val, false);
					for (cmark_node *x = sl ? cmark_node_first_child(sl) : NULL; x;
					     x = cmark_node_next(x)) {
						char *t = im_node_text(x);
						tn_add_str(f, t);
						free(t);
					}
					tn_set(c, "format", f);
				} else {
					char *t = xasprintf("%s: %s: %s", u->title, key, val);
					im_add_note(m, s->title, t);
					free(t);
				}
				free(key);
				free(val);
			}
		}
		if (!chan && m->channels->n)
			chan = tn_get_str(m->channels->v[0], "id");
		for (size_t t = 0; t < nt; t++) {
			if (!chan) {
				/* a standup finds its channel below, once all are known */
				if (!standup)
					im_lines_add(&m->out->decide, time_line,
						  "'%s' at a set time: which channel its digest goes to",
						  u->title);
				break;
			}
			add_schedule(m, chan, standup ? "standup" : "status", times[t], time_line);
		}
		im_lines_add(&m->out->mapped, u->line, "%s: communication entry%s", u->title,
			  m->schedules->n > nschedules ? " and schedules" : "");
	}
	/* a standup whose channel came later */
	for (size_t i = 0; i < m->comms->n && m->channels->n; i++) {
		struct tn *c = m->comms->v[i];
		const char *time = tn_get_str(c, "time");
		int t[4];
		size_t n = time ? times_in(time, t, 4) : 0;
		bool has = false;
		for (size_t j = 0; j < m->schedules->n; j++)
			has |= !strcmp(tn_get_str(m->schedules->v[j], "digest"), "standup");
		if (n && !has && im_contains(tn_get_str(c, "title"), "standup"))
			add_schedule(m, tn_get_str(m->channels->v[0], "id"), "standup", t[0],
				     s->line);
	}
	for (size_t i = 0; i < m->comms->n && !m->channels->n; i++)
		if (im_contains(tn_get_str(m->comms->v[i], "title"), "standup") &&
		    tn_get_str(m->comms->v[i], "time"))
			im_lines_add(&m->out->decide, s->line,
				  "'%s' at a set time: which channel its digest goes to (channels[], "
				  "schedules[])",
				  tn_get_str(m->comms->v[i], "title"));
}

void im_map_success(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		const char *cat = u->title ? u->title : s->title;
		int e = im_env_named(m, cat);
		struct tn *ids = tn_seq(true);
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) == CMARK_NODE_LIST)
				im_list_items(m, n, cat, ids);
			else
				im_keep(m, s, u, n);
		}
		if (!ids->n) {
			tn_free(ids);
			continue;
		}
		for (size_t i = 0; i < ids->n; i++) {
			const char *text = tn_get_str(tn_find(m->items, "id", ids->v[i]->s), "text");
			int hours;
			const char *soak = strcasestr(text, "soak");
			if (e >= 0 && soak && sscanf(text, "%d-hour", &hours) == 1 && hours > 0) {
				char *d = xasprintf("%dh", hours);
				tn_set_str(m->envs->v[e], "soak", d);
				free(d);
			}
		}
		if (e >= 0) {
			struct tn *succ = tn_get(m->envs->v[e], "success");
			if (!succ)
				succ = tn_set(m->envs->v[e], "success", tn_seq(true));
			for (size_t i = 0; i < ids->n; i++)
				tn_add_str(succ, ids->v[i]->s);
			im_lines_add(&m->out->mapped, u->line, "%s: %zu items, the success criteria of '%s'%s",
				  cat, ids->n, im_env_name(m, (size_t)e),
				  tn_get(m->envs->v[e], "soak") ? " (and its soak)" : "");
		} else {
			im_lines_add(&m->out->mapped, u->line, "%s: %zu checklist items", cat, ids->n);
			im_lines_add(&m->out->decide, u->line,
				  "'%s' names no environment: whose success criteria are they", cat);
		}
		tn_free(ids);
	}
}

void im_map_rollback(struct im *m, struct sec *s)
{
	int person_level = 0;
	for (size_t i = 0; i < m->escalation->n; i++)
		if (im_contains(tn_get_str(m->escalation->v[i], "action"), "rollback") ||
		    im_contains(tn_get_str(m->escalation->v[i], "action"), "roll back"))
			person_level = atoi(tn_get_str(m->escalation->v[i], "level"));
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		bool triggers = im_sub_has(u, "trigger");
		size_t count = 0;
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
				im_keep(m, s, u, n);
				continue;
			}
			for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
				char *text = im_node_text(li), *key = NULL, *val = NULL;
				if (triggers) {
					struct tn *t = tn_add(m->triggers, tn_map(true));
					const char *words = text;
					char *base, *id;
					while (*words && !isalpha((unsigned char)*words))
						words++; /* ">5% error rate" → error-rate… */
					base = import_slug(words, 4);
					id = im_unique_id(m->triggers, "id", base);
					const char *pct = strchr(text, '%');
					unsigned envs = im_envs_named(m, text);
					tn_set_str(t, "id", id);
					tn_set(t, "text", tn_str(text));
					if (pct) {
						const char *d = pct;
						double v;
						while (d > text && (isdigit((unsigned char)d[-1]) || d[-1] == '.'))
							d--;
						if (d < pct && sscanf(d, "%lf", &v) == 1) {
							bool below = d > text && (d[-1] == '<' ||
										  im_contains(text, "below") ||
										  im_contains(text, "under"));
							tn_set(t, below ? "below" : "above", tn_rawf("%g", v / 100));
							im_lines_add(&m->out->decide, im_line_of(li),
								  "trigger '%s' (\"%s\"): write its `measure`, a "
								  "command printing the value as a fraction "
								  "(breached %s %g)",
								  id, text, below ? "below" : "above", v / 100);
						}
					} else if (person_level) {
						tn_set(t, "level", tn_rawf("%d", person_level));
					}
					if (envs && !(envs & 1u)) {
						struct tn *es = tn_set(t, "envs", tn_seq(true));
						for (size_t e = 1; e < im_nenvs(m) && e < 32; e++)
							if (envs & (1u << e))
								tn_add_str(es, im_env_name(m, e));
					}
					free(base);
					free(id);
				} else {
					struct tn *st = tn_add(m->rollback, tn_map(true));
					if (im_key_value(li, &key, &val)) {
						tn_set_str(st, "step", key);
						tn_set(st, "text", tn_str(val));
					} else {
						char *step = xasprintf("Step %zu", count + 1);
						tn_set_str(st, "step", step);
						tn_set(st, "text", tn_str(text));
						free(step);
					}
				}
				count++;
				free(text);
				free(key);
				free(val);
			}
		}
		if (u->title || count)
			im_lines_add(&m->out->mapped, u->line, "%s: %zu %s", u->title ? u->title : s->title,
				  count, triggers ? "rollback triggers" : "rollback_procedure steps");
	}
}

void im_map_post(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		struct tn *g, *ids = tn_seq(true), *waves = tn_seq(true), *after;
		const char *title = u->title ? u->title : s->title;
		int e = im_env_named(m, title);
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) == CMARK_NODE_LIST)
				im_list_items(m, n, "Post-Promotion", ids);
			else
				im_keep(m, s, u, n);
		}
		if (!ids->n) {
			tn_free(ids);
			tn_free(waves);
			continue;
		}
		g = tn_add(m->post, tn_map(false));
		tn_set_str(g, "title", title);
		im_waves_named(m, title, waves);
		if (e >= 0) {
			after = tn_set(g, "after", tn_map(true));
			tn_set_str(after, "env", im_env_name(m, (size_t)e));
			if (waves->n)
				tn_set(after, "waves", waves);
			else
				tn_free(waves);
		} else {
			tn_free(waves);
		}
		tn_set(g, "items", ids);
		im_lines_add(&m->out->mapped, u->line, "%s: post_promotion group of %zu items", title,
			  ids->n);
	}
}

void im_map_resources(struct im *m, struct sec *s)
{
	size_t count = 0;
	struct table_walk w = { 0 };
	struct table tb;

	while (im_next_table(m, s, &w, &tb)) {
		int cr, cn, ca, cs;
		cr = im_column(&tb, "role");
		cn = im_column_or(&tb, "name", "person");
		ca = im_column(&tb, "availab");
		cs = im_column(&tb, "responsib");
		if (cr < 0)
			cr = 0;
		for (size_t r = 1; r < tb.nrows; r++) {
			const char *role = im_cell(&tb, r, cr), *name = im_cell(&tb, r, cn);
			char *rslug = import_slug(role, 6), *pid, *base;
			struct tn *res = tn_add(m->resources, tn_map(true)), *pe;
			bool tbd = !*name || !strcasecmp(name, "tbd") || !strcmp(name, "-") ||
				   !strcasecmp(name, "tba") || !strcasecmp(name, "n/a");
			base = tbd ? xasprintf("%s-tbd", rslug) : import_slug(name, 4);
			pe = tn_find(m->people, "id", base);
			if (pe && tbd)
				pe = NULL;
			pid = pe ? xstrdup(base) : im_unique_id(m->people, "id", base);
			if (!pe) {
				pe = tn_add(m->people, tn_map(true));
				tn_set_str(pe, "id", pid);
				tn_set_str(pe, "name", tbd ? "TBD" : name);
				tn_set(pe, "roles", tn_seq(true));
				if (tbd) {
					tn_set(pe, "tbd", tn_raw("true"));
					im_lines_add(&m->out->decide, tb.lines[r],
						  "who is the %s (\"%s\" in the document): name them in "
						  "people '%s'",
						  role, *name ? name : "empty", pid);
				}
			}
			if (!tn_has_str(tn_get(pe, "roles"), rslug))
				tn_add_str(tn_get(pe, "roles"), rslug);
			tn_set_str(res, "role", role);
			tn_set_str(res, "person", pid);
			tn_set_str(res, "availability", im_cell(&tb, r, ca));
			tn_set_str(res, "responsibility", im_cell(&tb, r, cs));
			free(rslug);
			free(pid);
			free(base);
			count++;
		}
		im_table_release(&tb);
	}
	im_lines_add(&m->out->mapped, s->line, "%s: %zu resources and their people (roles)", s->title,
		  count);
	if (count)
		im_lines_add(&m->out->decide, s->line,
			  "each person's login (people[].login, for `identity: os`) or e-mail");
}

/* "🔴 **api_infra (40%)**: Must complete before Wave 1 SIT" and its bullets. */
static void map_blockers(struct im *m, struct sec *s, struct sub *u)
{
	for (size_t i = 0; i < u->n; i++) {
		cmark_node *n = u->nodes[i];
		if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
			im_keep(m, s, u, n);
			continue;
		}
		for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
			cmark_node *para = cmark_node_first_child(li), *c, *strong = NULL;
			cmark_node *sl = im_sublist(li);
			struct strbuf name = STRBUF_INIT, rest = STRBUF_INIT;
			struct tn *b, *blocks, *waves = tn_seq(true);
			char *id, *base, *text, *nm;
			const char *pct;
			int progress = 0, e;
			if (!para || cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH) {
				im_keep(m, s, u, li);
				tn_free(waves);
				continue;
			}
			for (c = cmark_node_first_child(para); c; c = cmark_node_next(c)) {
				if (!strong && cmark_node_get_type(c) == CMARK_NODE_STRONG) {
					strong = c;
					im_text_of(c, &name);
				} else if (strong) {
					if (cmark_node_get_type(c) == CMARK_NODE_TEXT)
						strbuf_addstr(&rest, cmark_node_get_literal(c));
					else
						im_text_of(c, &rest);
				}
			}
			if (!strong) {
				im_text_of(para, &name);
			}
			nm = im_clean(name.len ? name.buf : "");
			pct = strchr(nm, '%');
			if (pct) {
				const char *d = pct;
				while (d > nm && isdigit((unsigned char)d[-1]))
					d--;
				progress = atoi(d);
				if (progress > 100)
					progress = 100;
			}
			base = import_slug(nm, 4);
			id = im_unique_id(m->blockers, "id", base);
			{
				const char *r = rest.len ? rest.buf : "";
				while (*r == ':' || *r == ' ')
					r++;
				text = im_clean(r);
			}
			b = tn_add(m->blockers, tn_map(false));
			tn_set_str(b, "id", id);
			if (*text)
				tn_set(b, "text", tn_str(text));
			else
				tn_set(b, "text", tn_str(nm));
			tn_set(b, "progress", tn_rawf("%d", progress));
			for (c = sl ? cmark_node_first_child(sl) : NULL; c; c = cmark_node_next(c)) {
				char *key = NULL, *val = NULL;
				if (!im_key_value(c, &key, &val)) {
					im_keep(m, s, u, c);
					continue;
				}
				if (im_contains(key, "owner"))
					tn_set_str(b, "owner", val);
				else if (im_contains(key, "due")) {
					char *d = im_first_date(m, val);
					if (d)
						tn_set(b, "due", tn_raw(d));
					free(d);
				} else if (im_contains(key, "impact"))
					tn_set_str(b, "impact", val);
				else if (im_contains(key, "mitigation"))
					tn_set_str(b, "mitigation", val);
				else {
					char *t = xasprintf("%s: %s: %s", id, key, val);
					im_add_note(m, s->title, t);
					free(t);
				}
				free(key);
				free(val);
			}
			e = im_env_named(m, text);
			im_waves_named(m, text, waves);
			blocks = tn_set(b, "blocks", tn_map(true));
			if (e < 1) {
				e = im_nenvs(m) > 1 ? 1 : 0;
				im_lines_add(&m->out->decide, im_line_of(li),
					  "blocker '%s': which environment it blocks (guessed '%s')", id,
					  im_nenvs(m) ? im_env_name(m, (size_t)e) : "-");
			}
			if (im_nenvs(m))
				tn_set_str(blocks, "env", im_env_name(m, (size_t)e));
			if (waves->n)
				tn_set(blocks, "waves", waves);
			else
				tn_free(waves);
			im_fact(m, IMPORT_PROGRESS, id, progress, im_line_of(li));
			im_lines_add(&m->out->mapped, im_line_of(li), "blocker '%s' at %d%%", id, progress);
			strbuf_release(&name);
			strbuf_release(&rest);
			free(nm);
			free(text);
			free(base);
			free(id);
		}
	}
}

/* "SIT: 815856636111", "SIT AWS Account (815856636111)": accounts. */
void im_find_accounts(struct im *m, const char *text)
{
	for (size_t i = 0; i < im_nenvs(m); i++) {
		const char *t = tn_get_str(m->envs->v[i], "title");
		for (const char *p = text; t && (p = strcasestr(p, t)); p++) {
			const char *q = p + strlen(t);
			char digits[32];
			size_t n = 0;
			if (p > text && isalnum((unsigned char)p[-1]))
				continue;
			if (*q == ':')
				q++;
			else if (!strncasecmp(q, " AWS Account (", 14))
				q += 14;
			else if (!strncasecmp(q, " account (", 10))
				q += 10;
			else
				continue;
			while (*q == ' ')
				q++;
			while (isdigit((unsigned char)q[n]) && n < sizeof(digits) - 1) {
				digits[n] = q[n];
				n++;
			}
			digits[n] = 0;
			if (n >= 6 && !tn_get(m->envs->v[i], "account"))
				tn_set(m->envs->v[i], "account", tn_str(digits));
		}
	}
}

void im_map_blockers_section(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		if (im_sub_has(u, "blocker")) {
			map_blockers(m, s, u);
		} else if (u->title) {
			size_t first = m->items->n, count = 0;
			for (size_t i = 0; i < u->n; i++) {
				if (cmark_node_get_type(u->nodes[i]) == CMARK_NODE_LIST)
					count += im_list_items(m, u->nodes[i],
							    im_sub_has(u, "external") ? "External Dependencies"
										   : u->title,
							    NULL);
				else
					im_keep(m, s, u, u->nodes[i]);
			}
			for (size_t i = first; i < m->items->n; i++)
				guess_applies(m, m->items->v[i], u->line);
			im_lines_add(&m->out->mapped, u->line, "%s: %zu checklist items", u->title, count);
		} else {
			for (size_t i = 0; i < u->n; i++)
				im_keep(m, s, u, u->nodes[i]);
		}
	}
}

void im_map_changes(struct im *m, struct sec *s)
{
	size_t count = 0;
	struct table_walk w = { 0 };
	struct table tb;

	while (im_next_table(m, s, &w, &tb)) {
		int cd, cc, ca;
		cd = im_column(&tb, "date");
		cc = im_column(&tb, "change");
		ca = im_column_or(&tb, "author", "by");
		for (size_t r = 1; r < tb.nrows; r++) {
			char *d = im_first_date(m, im_cell(&tb, r, cd));
			struct tn *c;
			if (!d) {
				im_lines_add(&m->out->decide, tb.lines[r],
					  "change-log row without a date: kept in notes");
				im_add_note(m, s->title, im_cell(&tb, r, cc));
				continue;
			}
			c = tn_add(m->changes, tn_map(true));
			tn_set(c, "date", tn_raw(d));
			tn_set(c, "change", tn_str(im_cell(&tb, r, cc)));
			tn_set_str(c, "author", im_cell(&tb, r, ca));
			free(d);
			count++;
		}
		im_table_release(&tb);
	}
	im_lines_add(&m->out->mapped, s->line, "%s: %zu changelog entries", s->title, count);
}

void im_map_next(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		struct tn *g = NULL;
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && im_meta_paragraph(m, n))
				continue;
			if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
				im_keep(m, s, u, n);
				continue;
			}
			if (!g) {
				g = tn_add(m->next, tn_map(false));
				tn_set_str(g, "title", u->title ? u->title : s->title);
				tn_set(g, "items", tn_seq(false));
			}
			for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
				char *t = im_node_text(li);
				tn_add_str(tn_get(g, "items"), t);
				free(t);
			}
		}
		if (g)
			im_lines_add(&m->out->mapped, u->line, "%s: next_steps group",
				  u->title ? u->title : s->title);
	}
}

void im_map_unknown(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && im_meta_paragraph(m, n))
				continue;
			im_keep(m, s, &s->subs[k], n);
		}
	if (s->title)
		im_lines_add(&m->out->mapped, s->line, "%s: not a section tollgate knows; kept as text in notes",
			  s->title);
}

