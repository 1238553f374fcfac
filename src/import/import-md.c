/*
 * import-md.c - reading a Markdown master plan with cmark-gfm and mapping
 * what it says to the plan's keys.
 *
 * The document is cut into sections by its level-2 headings and their
 * level-3 subsections; each section is recognised by the words of its
 * heading ("Approval Gates", "Risk Assessment" …, docs/import.md) and mapped
 * by one function, from the parsed nodes: table rows and cells, task-list
 * items with their tick, `**Key:** value` bullets and paragraphs, numbered
 * lists, code blocks. What a section holds that no key takes (and every
 * section that is not recognised) is kept as Markdown under `notes`. The
 * sections are mapped in the order their references need (environments,
 * then waves and projects, then what names them), whatever their order in
 * the document.
 */
#define _GNU_SOURCE /* strcasestr */
#include "import/import.h"

#include <cmark-gfm.h>
#include <cmark-gfm-core-extensions.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/import-int.h"

/* --- the document cut into sections --- */

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
};

/* --- small text helpers --- */

static void lines_add(struct import_lines *l, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void lines_add(struct import_lines *l, int line, const char *fmt, ...)
{
	va_list ap;
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n].line = line;
	va_start(ap, fmt);
	l->v[l->n].text = xvasprintf(fmt, ap);
	va_end(ap);
	l->n++;
}

static void fact(struct im *m, enum import_fact_kind k, const char *id, int progress, int line)
{
	struct import_result *r = m->out;
	ALLOC_GROW(r->facts, r->nfacts + 1, r->facts_alloc);
	r->facts[r->nfacts].kind = k;
	r->facts[r->nfacts].id = xstrdup(id);
	r->facts[r->nfacts].progress = progress;
	r->facts[r->nfacts].line = line;
	r->nfacts++;
}

/* Is the code point at s a pictograph, a dingbat or a replacement
 * character (status marks such as 🟡 ✅ 📋 🔴 �)? Its length, else 0. */
static size_t symbol_len(const unsigned char *s)
{
	unsigned cp;
	size_t l = util_utf8_seq(s, strlen((const char *)s));
	if (l < 3)
		return 0;
	if (l == 3)
		cp = (unsigned)(s[0] & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
	else
		cp = (unsigned)(s[0] & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 |
		     (unsigned)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	if ((cp >= 0x2300 && cp <= 0x23ff) || (cp >= 0x2600 && cp <= 0x27bf) ||
	    (cp >= 0x2b00 && cp <= 0x2bff) || cp == 0xfffd || cp == 0xfe0f || cp == 0x200d ||
	    cp >= 0x1f000)
		return l;
	return 0;
}

/* s without status symbols, trimmed, with runs of spaces made one. */
static char *clean(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	bool space = false;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t l = symbol_len(p);
		if (l) {
			p += l;
			space = sb.len > 0;
			continue;
		}
		if (isspace(*p)) {
			space = sb.len > 0;
			p++;
			continue;
		}
		if (space && *p != ')' && *p != ',' && *p != '.' && *p != ':')
			strbuf_addch(&sb, ' ');
		space = false;
		strbuf_addch(&sb, (char)*p++);
	}
	return strbuf_detach(&sb);
}

static bool has_word(const char *text, const char *word)
{
	size_t wl = strlen(word);
	if (!wl)
		return false;
	for (const char *p = text; (p = strcasestr(p, word)); p++) {
		bool before = p == text || !isalnum((unsigned char)p[-1]);
		bool after = !isalnum((unsigned char)p[wl]);
		if (before && after)
			return true;
	}
	return false;
}

static bool contains(const char *text, const char *what)
{
	return text && strcasestr(text, what) != NULL;
}

/* The text of node, inlines flattened ("**a** b" → "a b", links → their text). */
static void text_of(cmark_node *n, struct strbuf *sb)
{
	for (cmark_node *c = cmark_node_first_child(n); c; c = cmark_node_next(c)) {
		switch (cmark_node_get_type(c)) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_HTML_INLINE:
			strbuf_addstr(sb, cmark_node_get_literal(c));
			break;
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
			strbuf_addch(sb, ' ');
			break;
		case CMARK_NODE_LIST:
			break; /* a nested list is read by itself */
		case CMARK_NODE_BLOCK_QUOTE:
			/* "- >5% error rate": the '>' was text, not a quote */
			strbuf_addch(sb, '>');
			if (cmark_node_first_child(c))
				text_of(cmark_node_first_child(c), sb);
			break;
		default:
			if (sb->len && cmark_node_get_type(c) == CMARK_NODE_PARAGRAPH)
				strbuf_addch(sb, ' ');
			text_of(c, sb);
		}
	}
}

static char *node_text(cmark_node *n)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	text_of(n, &sb);
	s = clean(sb.len ? sb.buf : "");
	strbuf_release(&sb);
	return s;
}

static int line_of(cmark_node *n)
{
	return cmark_node_get_start_line(n);
}

static bool is_type(cmark_node *n, const char *t)
{
	return !strcmp(cmark_node_get_type_string(n), t);
}

static bool is_task(cmark_node *n)
{
	return is_type(n, "tasklist");
}

/* `**Key:** value` or `**Key**: value` at the start of inline run first..:
 * the key (without its colon) and the value after it, both cleaned; the
 * inlines up to stop (exclusive; NULL: to the end). false when the run does
 * not start so. */
static bool key_value_run(cmark_node *first, cmark_node *stop, char **key, char **value)
{
	struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;
	char *kc;
	size_t kl;
	cmark_node *c = first;
	bool colon;

	if (!c || cmark_node_get_type(c) != CMARK_NODE_STRONG)
		return false;
	text_of(c, &k);
	kc = clean(k.len ? k.buf : "");
	strbuf_release(&k);
	kl = strlen(kc);
	colon = kl && kc[kl - 1] == ':';
	if (colon)
		kc[--kl] = 0;
	for (c = cmark_node_next(c); c && c != stop; c = cmark_node_next(c)) {
		if (cmark_node_get_type(c) == CMARK_NODE_TEXT || cmark_node_get_type(c) == CMARK_NODE_CODE)
			strbuf_addstr(&v, cmark_node_get_literal(c));
		else if (cmark_node_get_type(c) == CMARK_NODE_SOFTBREAK ||
			 cmark_node_get_type(c) == CMARK_NODE_LINEBREAK)
			strbuf_addch(&v, ' ');
		else
			text_of(c, &v);
	}
	if (!colon) {
		/* the colon after the bold part */
		const char *s = v.len ? v.buf : "";
		while (*s == ' ')
			s++;
		if (*s != ':') {
			free(kc);
			strbuf_release(&v);
			return false;
		}
		memmove(v.buf, s + 1, strlen(s + 1) + 1);
		v.len = strlen(v.buf);
	}
	*key = kc;
	*value = clean(v.len ? v.buf : "");
	strbuf_release(&v);
	return kl > 0;
}

/* A list item's or paragraph's first paragraph as `**Key:** value`. */
static bool key_value(cmark_node *n, char **key, char **value)
{
	cmark_node *para = n;
	if (cmark_node_get_type(n) == CMARK_NODE_ITEM)
		para = cmark_node_first_child(n);
	if (!para || cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH)
		return false;
	return key_value_run(cmark_node_first_child(para), NULL, key, value);
}

/* The nested list of a list item, or NULL. */
static cmark_node *sublist(cmark_node *item)
{
	for (cmark_node *c = cmark_node_first_child(item); c; c = cmark_node_next(c))
		if (cmark_node_get_type(c) == CMARK_NODE_LIST)
			return c;
	return NULL;
}

/* Split "a, b and c" into cleaned parts. */
static struct tn *split_list(const char *s, bool slug)
{
	struct tn *seq = tn_seq(true);
	char *copy = xstrdup(s), *save = NULL;
	for (char *p = copy; *p; p++)
		if (*p == '/' || *p == ';')
			*p = ',';
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *part = clean(t), *and = NULL;
		if (!strncasecmp(part, "and ", 4))
			memmove(part, part + 4, strlen(part + 4) + 1);
		and = strcasestr(part, " and ");
		if (and) {
			*and = 0;
			if (*part)
				tn_add_str(seq, part);
			memmove(part, and + 5, strlen(and + 5) + 1);
		}
		if (*part) {
			if (slug) {
				char *sl = import_slug(part, 6);
				if (!tn_has_str(seq, sl))
					tn_add_str(seq, sl);
				free(sl);
			} else {
				tn_add_str(seq, part);
			}
		}
		free(part);
	}
	free(copy);
	return seq;
}

/* --- dates --- */

static const char *const month_names[] = { "january", "february", "march",     "april",
					    "may",     "june",     "july",      "august",
					    "september", "october", "november", "december" };

/* The month a word names (at least its first three letters), 1..12, or 0. */
static int month_of(const char *w, size_t len)
{
	if (len < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (len <= strlen(month_names[i]) && !strncasecmp(w, month_names[i], len))
			return i + 1;
	return 0;
}

struct date {
	int y, m, d;
	int until_m, until_d; /* a range "Jan 8-9": until that day, 0 none */
};

/* Every date written in s, in order: ISO "2026-01-07", "Jan 10", "Jan 10,
 * 2026", "Jan 8-9", "Jan 10-Feb 28". A date without a year takes the next
 * year written after it, else def_year. */
static size_t find_dates(const char *s, int def_year, struct date *out, size_t max)
{
	size_t n = 0, open = 0;
	const char *p = s;
	while (*p && n < max) {
		if (isdigit((unsigned char)*p) && (p == s || !isalnum((unsigned char)p[-1]))) {
			int y, mo, d, used = 0;
			if (sscanf(p, "%4d-%2d-%2d%n", &y, &mo, &d, &used) == 3 && used == 10 &&
			    mo >= 1 && mo <= 12 && d >= 1 && d <= 31) {
				out[n++] = (struct date){ y, mo, d, 0, 0 };
				open = n;
				p += used;
				continue;
			}
			if (sscanf(p, "%4d%n", &y, &used) == 1 && used == 4 && y >= 1990 &&
			    y <= 2200) {
				for (size_t k = open; k < n; k++)
					out[k].y = y;
				open = n;
				p += used;
				continue;
			}
			while (isdigit((unsigned char)*p))
				p++;
			continue;
		}
		if (isalpha((unsigned char)*p) && (p == s || !isalpha((unsigned char)p[-1]))) {
			const char *w = p;
			int mo, d, used = 0;
			while (isalpha((unsigned char)*p))
				p++;
			mo = month_of(w, (size_t)(p - w));
			if (mo && sscanf(p, " %2d%n", &d, &used) == 1 && d >= 1 && d <= 31 &&
			    !isdigit((unsigned char)p[used])) {
				struct date dt = { 0, mo, d, 0, 0 };
				const char *q = p + used;
				int d2, u2 = 0;
				while (*q == ' ')
					q++;
				if ((*q == '-' || !strncmp(q, "\xe2\x80\x93", 3)) && q[*q == '-' ? 1 : 3]) {
					const char *r = q + (*q == '-' ? 1 : 3);
					while (*r == ' ')
						r++;
					if (sscanf(r, "%2d%n", &d2, &u2) == 1 && d2 >= d && d2 <= 31 &&
					    !isalpha((unsigned char)r[u2])) {
						dt.until_m = mo;
						dt.until_d = d2;
						q = r + u2;
					} else if (isalpha((unsigned char)*r)) {
						const char *w2 = r;
						int mo2;
						while (isalpha((unsigned char)*r))
							r++;
						mo2 = month_of(w2, (size_t)(r - w2));
						if (mo2 && sscanf(r, " %2d%n", &d2, &u2) == 1) {
							dt.until_m = mo2;
							dt.until_d = d2;
							q = r + u2;
						}
					}
				}
				out[n++] = dt;
				p = q;
			}
			continue;
		}
		p++;
	}
	for (size_t k = open; k < n; k++)
		if (!out[k].y)
			out[k].y = def_year;
	for (size_t k = 0; k < n; k++)
		if (!out[k].y)
			out[k].y = def_year;
	return n;
}

static char *iso(int y, int m, int d)
{
	return xasprintf("%04d-%02d-%02d", y, m, d);
}

/* The first date of s as ISO text, or NULL. */
static char *first_date(struct im *m, const char *s)
{
	struct date d[4];
	if (!find_dates(s, m->year, d, 4))
		return NULL;
	return iso(d[0].y, d[0].m, d[0].d);
}

/* --- the plan's objects --- */

static size_t nenvs(struct im *m)
{
	return m->envs->n;
}

static const char *env_name(struct im *m, size_t i)
{
	return tn_get_str(m->envs->v[i], "name");
}

/* The environments text names (by title or name, as a word; "production"
 * for the last), as a bit set. */
static unsigned envs_named(struct im *m, const char *text)
{
	unsigned set = 0;
	if (!text)
		return 0;
	for (size_t i = 0; i < nenvs(m) && i < 32; i++) {
		const char *t = tn_get_str(m->envs->v[i], "title");
		if (has_word(text, env_name(m, i)) || (t && has_word(text, t)))
			set |= 1u << i;
	}
	if (!set && nenvs(m) > 1 && (has_word(text, "production") || has_word(text, "prod")))
		set |= 1u << (nenvs(m) - 1);
	return set;
}

/* The first environment text names, or -1. */
static int env_named(struct im *m, const char *text)
{
	unsigned set = envs_named(m, text);
	for (int i = 0; i < 32; i++)
		if (set & (1u << i))
			return i;
	return -1;
}

/* The waves text names ("Wave 2", "wave-2", or a wave's title), added to seq. */
static void waves_named(struct im *m, const char *text, struct tn *seq)
{
	if (!text)
		return;
	for (size_t i = 0; i < m->waves->n; i++) {
		const char *id = tn_get_str(m->waves->v[i], "id");
		const char *title = tn_get_str(m->waves->v[i], "title");
		const char *num = strrchr(id, '-');
		bool named = has_word(text, id) || (title && *title && contains(text, title));
		if (!named && num && !strncmp(id, "wave-", 5)) {
			char *w = xasprintf("wave %s", num + 1);
			named = has_word(text, w);
			free(w);
		}
		if (named && !tn_has_str(seq, id))
			tn_add_str(seq, id);
	}
}

/* An id unique in seq (key "id"): base, or base-2, base-3 … */
static char *unique_id(const struct tn *seq, const char *key, const char *base)
{
	char *id = xstrdup(base);
	for (int k = 2; tn_find(seq, key, id); k++) {
		free(id);
		id = xasprintf("%s-%d", base, k);
	}
	return id;
}

/* A new checklist item; its id made from its text. Returns the item. */
static struct tn *add_item(struct im *m, const char *text, const char *category, int line)
{
	struct tn *it = tn_map(true);
	char *base = import_slug(text, 6), *id = unique_id(m->items, "id", base);
	tn_set_str(it, "id", id);
	tn_set(it, "text", tn_str(text));
	tn_set_str(it, "category", category);
	tn_add(m->items, it);
	(void)line;
	free(base);
	free(id);
	return it;
}

/* The items of a task list (or plain list) as checklist items of category;
 * their ids added to ids when not NULL; ticks recorded as facts. */
static size_t list_items(struct im *m, cmark_node *list, const char *category, struct tn *ids)
{
	size_t n = 0;
	for (cmark_node *li = cmark_node_first_child(list); li; li = cmark_node_next(li)) {
		char *text = node_text(li);
		struct tn *it;
		if (!*text) {
			free(text);
			continue;
		}
		it = add_item(m, text, category, line_of(li));
		if (ids)
			tn_add_str(ids, tn_get_str(it, "id"));
		if (is_task(li) && cmark_gfm_extensions_get_tasklist_item_checked(li))
			fact(m, IMPORT_TICK, tn_get_str(it, "id"), 0, line_of(li));
		free(text);
		n++;
	}
	return n;
}

static void add_note(struct im *m, const char *title, const char *text)
{
	struct tn *note;
	for (size_t i = 0; i < m->notes->n; i++)
		if (!strcmp(tn_get_str(m->notes->v[i], "title"), title)) {
			struct tn *t = tn_get(m->notes->v[i], "text");
			char *joined = xasprintf("%s\n\n%s", t->s, text);
			free(t->s);
			t->s = joined;
			return;
		}
	note = tn_map(false);
	tn_set_str(note, "title", title);
	tn_set(note, "text", tn_str(text));
	tn_add(m->notes, note);
}

/* node kept as Markdown text under notes, titled by where it was. */
static void keep(struct im *m, const struct sec *s, const struct sub *u, cmark_node *n)
{
	char *md = cmark_render_commonmark(n, CMARK_OPT_DEFAULT, 0);
	char *title = xasprintf("%s%s%s", s->title ? s->title : "Header",
				u && u->title ? " / " : "", u && u->title ? u->title : "");
	size_t l = strlen(md);
	while (l && md[l - 1] == '\n')
		md[--l] = 0;
	if (l)
		add_note(m, title, md);
	free(title);
	free(md);
}

/* --- the header: title, **Key**: value lines --- */

/* `**Plan ID**: …` and the like, where they are (header, footer): true when
 * the paragraph was all such lines. */
static bool meta_paragraph(struct im *m, cmark_node *para)
{
	cmark_node *start = cmark_node_first_child(para);
	bool any = false;
	while (start) {
		cmark_node *stop = start;
		char *k = NULL, *v = NULL;
		while (stop && cmark_node_get_type(stop) != CMARK_NODE_SOFTBREAK &&
		       cmark_node_get_type(stop) != CMARK_NODE_LINEBREAK)
			stop = cmark_node_next(stop);
		if (!key_value_run(start, stop, &k, &v))
			return any;
		if (!strcasecmp(k, "plan id") || !strcasecmp(k, "id")) {
			if (util_valid_id(v))
				tn_set_str(m->plan, "id", v);
			else {
				char *sl = import_slug(v, 8);
				tn_set_str(m->plan, "id", sl);
				free(sl);
			}
		} else if (!strcasecmp(k, "created") || !strcasecmp(k, "date")) {
			char *d = first_date(m, v);
			if (d) {
				m->year = atoi(d);
				tn_set(m->plan, "created", tn_raw(d));
			}
			free(d);
		} else if (contains(k, "manager") || !strcasecmp(k, "owner")) {
			tn_set_str(m->plan, "manager", v);
		} else if (!strcasecmp(k, "plan status")) {
			free(m->plan_status);
			m->plan_status = xstrdup(v);
		} else if (!strcasecmp(k, "status")) {
			free(m->status);
			m->status = xstrdup(v);
		} else if (contains(k, "review")) {
			char *d = first_date(m, v);
			if (d)
				tn_set(m->plan, "next_review", tn_raw(d));
			free(d);
		} else if (!strcasecmp(k, "contact")) {
			tn_set_str(m->plan, "contact", v);
		} else {
			char *t = xasprintf("%s: %s", k, v);
			add_note(m, "Header", t);
			free(t);
		}
		any = true;
		free(k);
		free(v);
		start = stop ? cmark_node_next(stop) : NULL;
	}
	return any;
}

/* "DEV → SIT → PROD" (or ->): the environments, when none is known yet. */
static bool env_chain(struct im *m, const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	char *copy, *save = NULL;
	size_t n = 0;
	const char *arrow = strstr(text, "\xe2\x86\x92") ? "\xe2\x86\x92" : "->";
	if (nenvs(m) || !strstr(text, arrow))
		return false;
	/* the chain is the words around the arrows: cut at a colon before it */
	{
		const char *colon = strrchr(text, ':');
		const char *first = strstr(text, arrow);
		if (colon && colon < first)
			text = colon + 1;
	}
	for (const char *p = text; *p;) {
		if (!strncmp(p, arrow, strlen(arrow))) {
			strbuf_addch(&sb, '\n');
			p += strlen(arrow);
		} else {
			strbuf_addch(&sb, *p++);
		}
	}
	copy = strbuf_detach(&sb);
	for (char *t = strtok_r(copy, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		char *title = clean(t), *name;
		struct tn *e;
		if (!*title) {
			free(title);
			continue;
		}
		name = import_slug(title, 3);
		e = tn_add(m->envs, tn_map(false));
		tn_set_str(e, "name", name);
		tn_set_str(e, "title", title);
		free(name);
		free(title);
		n++;
	}
	free(copy);
	return n > 1;
}

/* --- sections --- */

static bool title_has(const struct sec *s, const char *w)
{
	return s->title && contains(s->title, w);
}

static bool sub_has(const struct sub *u, const char *w)
{
	return u->title && contains(u->title, w);
}

/* A GFM table as rows of cleaned cell texts; row 0 is the header. */
struct table {
	size_t nrows, ncols;
	char ***cells; /* [row][col] */
	cmark_node ***nodes;
	int *lines;
};

static void table_read(cmark_node *t, struct table *tb)
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
		tb->lines[i] = line_of(r);
		for (cmark_node *c = cmark_node_first_child(r); c && j < tb->ncols;
		     c = cmark_node_next(c), j++) {
			tb->cells[i][j] = node_text(c);
			tb->nodes[i][j] = c;
		}
		for (; j < tb->ncols; j++)
			tb->cells[i][j] = xstrdup("");
	}
}

static void table_release(struct table *tb)
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

/* The column whose header contains word, or -1. */
static int column(const struct table *tb, const char *word)
{
	for (size_t j = 0; tb->nrows && j < tb->ncols; j++)
		if (contains(tb->cells[0][j], word))
			return (int)j;
	return -1;
}

static const char *cell(const struct table *tb, size_t row, int col)
{
	return col < 0 ? "" : tb->cells[row][col];
}

/* The first link's destination in node, or NULL. */
static const char *link_of(cmark_node *n)
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

static const char *severity_word(const char *s)
{
	static const char *const names[] = { "critical", "high", "medium", "low", NULL };
	for (size_t i = 0; names[i]; i++)
		if (has_word(s, names[i]))
			return names[i];
	return NULL;
}

/* Executive summary: the environments, the overall risk; the counts and
 * the timeline the report derives. */
static void map_summary(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			struct table tb;
			if (!is_type(n, "table")) {
				keep(m, s, &s->subs[k], n);
				continue;
			}
			table_read(n, &tb);
			for (size_t r = 1; r < tb.nrows; r++) {
				const char *key = tb.cells[r][0], *val = tb.ncols > 1 ? tb.cells[r][1] : "";
				if (contains(key, "environment")) {
					env_chain(m, val);
				} else if (contains(key, "risk") && severity_word(val)) {
					tn_set(m->plan, "risk", tn_str(severity_word(val)));
				} else if (contains(key, "project") || contains(key, "wave") ||
					   contains(key, "timeline")) {
					/* derived by the report from projects, waves and milestones */
				} else {
					char *t = xasprintf("%s: %s", key, val);
					add_note(m, s->title, t);
					free(t);
				}
			}
			table_release(&tb);
		}
	lines_add(&m->out->mapped, s->line,
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
			if (!where || !has_word(text, id))
				continue;
			/* the dependent side: after "before", or before "after" */
			if ((where > cut) != after) {
				for (size_t j = 0; j < m->projects->n; j++) {
					const char *dep = tn_get_str(m->projects->v[j], "id");
					const char *dw = strstr(text, dep);
					struct tn *deps;
					if (j == i || !dw || !has_word(text, dep) || (dw > cut) != after)
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
	waves_named(m, text, waves);
	if (waves->n == 1 && strcmp(waves->v[0]->s, tn_get_str(wave, "id")) && env_named(m, text) > 0) {
		struct tn *a = tn_set(wave, "after", tn_map(true));
		tn_set_str(a, "wave", waves->v[0]->s);
		tn_set_str(a, "env", env_name(m, (size_t)env_named(m, text)));
		lines_add(&m->out->decide, line,
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
	char *base = import_slug(head, 4), *id = unique_id(m->waves, "id", base);
	struct date d[4];
	size_t nd = find_dates(heading, m->year, d, 4);
	char *t;

	if (paren && nd)
		*paren = 0;
	t = clean(title);
	tn_set_str(w, "id", id);
	tn_set_str(w, "title", *t ? t : head);
	if (nd) {
		struct tn *win = tn_set(w, "window", tn_map(true));
		char *from = iso(d[0].y, d[0].m, d[0].d);
		char *to = nd > 1 ? iso(d[1].y, d[1].m, d[1].d)
				  : d[0].until_d ? iso(d[0].y, d[0].until_m, d[0].until_d) : NULL;
		tn_set(win, "from", tn_raw(from));
		if (to)
			tn_set(win, "to", tn_raw(to));
		else
			tn_del(w, "window");
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
	table_read(n, &tb);
	cp = column(&tb, "project");
	co = column(&tb, "owner");
	ct = column(&tb, "title");
	if (ct < 0)
		ct = column(&tb, "description");
	if (cp < 0)
		cp = tb.ncols > 1 && !strcmp(tb.cells[0][0], "#") ? 1 : 0;
	for (size_t r = 1; r < tb.nrows; r++) {
		const char *name = cell(&tb, r, cp);
		struct tn *pr, *targets = tn_map(true);
		char *id = util_valid_id(name) ? xstrdup(name) : import_slug(name, 6);
		if (tn_find(m->projects, "id", id)) {
			char *u = unique_id(m->projects, "id", id);
			free(id);
			id = u;
		}
		pr = tn_add(m->projects, tn_map(false));
		tn_set_str(pr, "id", id);
		if (ct >= 0)
			tn_set_str(pr, "title", cell(&tb, r, ct));
		else if (strcmp(id, name))
			tn_set_str(pr, "title", name);
		tn_set_str(pr, "wave", tn_get_str(wave, "id"));
		tn_set_str(pr, "owner", cell(&tb, r, co));
		for (size_t j = 0; j < tb.ncols; j++) {
			const char *h = tb.cells[0][j];
			int e = env_named(m, h);
			if ((int)j == cp || (int)j == co || (int)j == ct || !strcmp(h, "#"))
				continue;
			if (e >= 0 && contains(h, "target")) {
				char *d = first_date(m, tb.cells[r][j]);
				if (d)
					tn_set(targets, env_name(m, (size_t)e), tn_raw(d));
				free(d);
			} else if (e == 0 && contains(h, "status")) {
				if (contains(tb.cells[r][j], "ready") || contains(tb.cells[r][j], "healthy") ||
				    contains(tb.cells[r][j], "done") || contains(tb.cells[r][j], "deployed"))
					fact(m, IMPORT_READY, id, 0, tb.lines[r]);
			} else if (contains(h, "depend")) {
				struct tn *deps = split_list(tb.cells[r][j], false);
				if (deps->n && strcasecmp(deps->v[0]->s, "none"))
					tn_set(pr, "depends_on", deps);
				else
					tn_free(deps);
			} else if (*tb.cells[r][j]) {
				char *t = xasprintf("%s — %s: %s", id, h, tb.cells[r][j]);
				add_note(m, "Promotion Waves", t);
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
	table_release(&tb);
}

static void map_waves(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		struct tn *wave;
		const char *pending = NULL; /* the bold label a list follows */
		char *label = NULL;
		if (!u->title) {
			for (size_t i = 0; i < u->n; i++)
				keep(m, s, u, u->nodes[i]);
			continue;
		}
		wave = wave_from_heading(m, u->title);
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			char *key = NULL, *val = NULL;
			if (is_type(n, "table")) {
				wave_projects(m, wave, n);
			} else if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && key_value(n, &key, &val)) {
				free(label);
				label = xstrdup(key);
				pending = label;
				if (contains(key, "depend") && *val) {
					char *note = xasprintf("%s: %s", key, val);
					const char *old = tn_get_str(wave, "notes");
					char *joined = old ? xasprintf("%s; %s", old, note) : xstrdup(note);
					tn_set_str(wave, "notes", joined);
					dependency_sentence(m, wave, val, line_of(n));
					free(joined);
					free(note);
				} else if (*val) {
					keep(m, s, u, n);
				}
			} else if (cmark_node_get_type(n) == CMARK_NODE_LIST && pending &&
				   contains(pending, "prerequisite")) {
				struct tn *ids = tn_get(wave, "prerequisites");
				char *cat = xasprintf("%s Prerequisites", u->title);
				char *colon = strchr(cat, ':');
				if (colon) /* "Wave 1: Core APIs (…)" → "Wave 1 Prerequisites" */
					memmove(colon, " Prerequisites", strlen(" Prerequisites") + 1);
				if (!ids)
					ids = tn_set(wave, "prerequisites", tn_seq(true));
				list_items(m, n, cat, ids);
				free(cat);
			} else if (cmark_node_get_type(n) == CMARK_NODE_LIST && pending &&
				   contains(pending, "depend")) {
				for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
					char *t = node_text(li);
					const char *old = tn_get_str(wave, "notes");
					char *joined = old ? xasprintf("%s; %s", old, t) : xstrdup(t);
					tn_set_str(wave, "notes", joined);
					dependency_sentence(m, wave, t, line_of(li));
					free(joined);
					free(t);
				}
			} else {
				keep(m, s, u, n);
			}
			free(key);
			free(val);
		}
		free(label);
		lines_add(&m->out->mapped, u->line, "%s: wave '%s' with %s", u->title,
			  tn_get_str(wave, "id"), "its projects, prerequisites and dependencies");
	}
}

/* The code block of the overall timeline: a milestone per dated line. */
static void map_timeline(struct im *m, struct sec *s)
{
	size_t count = 0;
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			char *copy, *save = NULL;
			int year = m->year;
			if (cmark_node_get_type(n) != CMARK_NODE_CODE_BLOCK) {
				keep(m, s, &s->subs[k], n);
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
					    month_of(mon, strlen(mon)) && !p[used]) {
						year = y;
						continue;
					}
				}
				if (!find_dates(p, year, d, 1) || !month_of(p, 3)) {
					if (*p)
						add_note(m, s->title, l);
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
				text = clean(rest);
				ms = tn_add(m->milestones, tn_map(true));
				{
					char *from = iso(d[0].y, d[0].m, d[0].d);
					tn_set(ms, "date", tn_raw(from));
					free(from);
					if (d[0].until_d) {
						char *to = iso(d[0].y, d[0].until_m, d[0].until_d);
						tn_set(ms, "until", tn_raw(to));
						free(to);
					}
				}
				tn_set(ms, "text", tn_str(text));
				waves = tn_seq(true);
				waves_named(m, text, waves);
				e = env_named(m, text);
				if (waves->n == 1 && e > 0) {
					tn_set_str(ms, "env", env_name(m, (size_t)e));
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
	lines_add(&m->out->mapped, s->line, "%s: %zu milestones", s->title, count);
}

/* Individual project plans: each project's doc. */
static void map_project_docs(struct im *m, struct sec *s)
{
	size_t count = 0;
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			struct table tb;
			int cp, cd;
			if (!is_type(n, "table")) {
				keep(m, s, &s->subs[k], n);
				continue;
			}
			table_read(n, &tb);
			cp = column(&tb, "project");
			cd = column(&tb, "doc");
			if (cd < 0)
				cd = column(&tb, "plan");
			if (cp < 0)
				cp = 0;
			for (size_t r = 1; r < tb.nrows; r++) {
				struct tn *pr = tn_find(m->projects, "id", cell(&tb, r, cp));
				const char *url = cd >= 0 ? link_of(tb.nodes[r][cd]) : NULL;
				if (!url && cd >= 0)
					url = cell(&tb, r, cd);
				if (url && !strncmp(url, "./", 2))
					url += 2;
				if (!pr) {
					lines_add(&m->out->decide, tb.lines[r],
						  "project plan '%s' names no project of the waves",
						  cell(&tb, r, cp));
					continue;
				}
				if (url && *url) {
					tn_set_str(pr, "doc", url);
					count++;
				}
			}
			table_release(&tb);
		}
	lines_add(&m->out->mapped, s->line, "%s: 'doc' of %zu projects (the Status column is state)",
		  s->title, count);
}

/* Which environment an item of a pre-promotion checklist applies to: the one
 * its text names, else the first promotion. */
static void guess_applies(struct im *m, struct tn *it, int line)
{
	int e = env_named(m, tn_get_str(it, "text"));
	struct tn *ap;
	if (nenvs(m) < 2)
		return;
	if (e < 1)
		e = 1;
	ap = tn_set(it, "applies", tn_map(true));
	tn_set_str(ap, "env", env_name(m, (size_t)e));
	(void)line;
}

static void map_checklist(struct im *m, struct sec *s, bool external)
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
				count += list_items(m, n, cat, NULL);
			else
				keep(m, s, u, n);
		}
	}
	for (size_t i = first; i < m->items->n; i++)
		guess_applies(m, m->items->v[i], s->line);
	lines_add(&m->out->mapped, s->line,
		  "%s: %zu checklist items by category, each applying to the environment it names "
		  "(else '%s')",
		  s->title, count, nenvs(m) > 1 ? env_name(m, 1) : "-");
	if (count)
		lines_add(&m->out->decide, s->line,
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
	return add_item(m, phrase, "Gate Criteria", line);
}

static void map_gates(struct im *m, struct sec *s)
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
				keep(m, s, u, u->nodes[i]);
			tn_free(crit);
			tn_free(waves);
			continue;
		}
		colon = strchr(u->title, ':');
		head = colon ? xstrndup(u->title, (size_t)(colon - u->title)) : xstrdup(u->title);
		title = xstrdup(colon ? colon + 1 : u->title);
		paren = strrchr(title, '(');
		passed = paren && (contains(paren, "passed") || contains(paren, "approved"));
		if (paren)
			*paren = 0;
		base = import_slug(head, 4);
		id = unique_id(m->gates, "id", base);
		g = tn_add(m->gates, tn_map(false));
		tn_set_str(g, "id", id);
		{
			char *t = clean(title);
			tn_set_str(g, "title", *t ? t : head);
			free(t);
		}
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
				keep(m, s, u, n);
				continue;
			}
			for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
				char *key = NULL, *val = NULL;
				if (!key_value(li, &key, &val)) {
					keep(m, s, u, li);
					continue;
				}
				if (contains(key, "location")) {
					tn_set_str(g, "location", val);
					if (has_word(val, "after") && env_named(m, val) >= 0)
						after_env = env_named(m, val);
				} else if (contains(key, "approver")) {
					tn_set(g, "approvers", split_list(val, true));
				} else if (contains(key, "criteri")) {
					struct tn *parts = split_list(val, false);
					for (size_t j = 0; j < parts->n; j++) {
						bool created;
						struct tn *it = criterion(m, parts->v[j]->s, line_of(li), &created);
						created_any |= created;
						if (!tn_has_str(crit, tn_get_str(it, "id")))
							tn_add_str(crit, tn_get_str(it, "id"));
						if (created && passed)
							fact(m, IMPORT_TICK, tn_get_str(it, "id"), 0, line_of(li));
					}
					if (env < 0 && env_named(m, val) >= 0)
						env = env_named(m, val);
					tn_free(parts);
				} else if (contains(key, "status")) {
					passed |= contains(val, "passed") || contains(val, "approved");
					waves_named(m, val, waves);
					status_line = line_of(li);
				} else if (contains(key, "before") || contains(key, "required")) {
					if (env_named(m, val) >= 0)
						env = env_named(m, val);
					waves_named(m, val, waves);
				} else if (contains(key, "expire")) {
					int64_t secs;
					if (util_parse_duration(val, &secs) == 0)
						tn_set_str(g, "expires", val);
				} else {
					char *t = xasprintf("%s: %s: %s", tn_get_str(g, "id"), key, val);
					add_note(m, s->title, t);
					free(t);
				}
				free(key);
				free(val);
			}
		}
		if (env < 0 && after_env >= 0 && (size_t)after_env + 1 < nenvs(m))
			env = after_env + 1;
		if (env < 0 && env_named(m, tn_get_str(g, "title")) > 0)
			env = env_named(m, tn_get_str(g, "title"));
		if (env < 1) {
			env = nenvs(m) > 1 ? 1 : 0;
			lines_add(&m->out->decide, u->line,
				  "gate '%s': before which environment? (guessed '%s')", id,
				  nenvs(m) ? env_name(m, (size_t)env) : "-");
		}
		if (crit->n)
			tn_set(g, "criteria", crit);
		else
			tn_free(crit);
		before = tn_set(g, "before", tn_map(true));
		if (nenvs(m))
			tn_set_str(before, "env", env_name(m, (size_t)env));
		if (waves->n)
			tn_set(before, "waves", waves);
		else
			tn_free(waves);
		if (!tn_get(g, "approvers")) {
			lines_add(&m->out->decide, u->line, "gate '%s' names no approvers: add roles", id);
			tn_set(g, "approvers", split_list("approver", true));
		}
		if (passed)
			fact(m, IMPORT_GATE, id, 0, status_line ? status_line : u->line);
		strbuf_addf(&where, "gate '%s'%s", id, passed ? " (passed: state with --state)" : "");
		if (created_any)
			strbuf_addstr(&where, ", its criteria as checklist items");
		lines_add(&m->out->mapped, u->line, "%s: %s", u->title, where.buf);
		strbuf_release(&where);
		free(head);
		free(title);
		free(base);
		free(id);
	}
}

static void map_risks(struct im *m, struct sec *s)
{
	size_t count = 0;
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			struct table tb;
			int cr, cs, cp, cm, co;
			if (!is_type(n, "table")) {
				keep(m, s, &s->subs[k], n);
				continue;
			}
			table_read(n, &tb);
			cr = column(&tb, "risk");
			cs = column(&tb, "severity");
			if (cs < 0)
				cs = column(&tb, "impact");
			cp = column(&tb, "project");
			if (cp < 0)
				cp = column(&tb, "scope");
			cm = column(&tb, "mitigation");
			co = column(&tb, "owner");
			if (cr < 0)
				cr = 0;
			for (size_t r = 1; r < tb.nrows; r++) {
				struct tn *rk = tn_add(m->risks, tn_map(true)), *prs = tn_seq(true);
				const char *text = cell(&tb, r, cr), *scope = cell(&tb, r, cp);
				char *base = import_slug(text, 5), *id = unique_id(m->risks, "id", base);
				const char *sev = severity_word(cell(&tb, r, cs));
				tn_set_str(rk, "id", id);
				tn_set(rk, "text", tn_str(text));
				tn_set_str(rk, "severity", sev ? sev : "medium");
				if (!sev)
					lines_add(&m->out->decide, tb.lines[r],
						  "risk '%s': no severity written; imported as medium", id);
				for (size_t j = 0; j < m->projects->n; j++) {
					const char *pid = tn_get_str(m->projects->v[j], "id");
					if (has_word(scope, pid))
						tn_add_str(prs, pid);
				}
				if (prs->n) {
					tn_set(rk, "projects", prs);
				} else {
					tn_free(prs);
					tn_set(rk, "projects", tn_str("all"));
					if (*scope && strcasecmp(scope, "all"))
						lines_add(&m->out->decide, tb.lines[r],
							  "risk '%s': which projects \"%s\" means (imported as all)",
							  id, scope);
				}
				if (*scope)
					tn_set(rk, "scope", tn_str(scope));
				tn_set_str(rk, "mitigation", cell(&tb, r, cm));
				tn_set_str(rk, "owner", cell(&tb, r, co));
				free(base);
				free(id);
				count++;
			}
			table_release(&tb);
		}
	lines_add(&m->out->mapped, s->line, "%s: %zu risks", s->title, count);
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
	if (!contains(text, "slack") && !hash) {
		lines_add(&m->out->decide, line, "channel \"%s\": how to reach it (channels[])", text);
		return NULL;
	}
	base = import_slug(hash ? hash + 1 : "slack", 3);
	if (tn_find(m->channels, "id", base)) {
		c = tn_find(m->channels, "id", base);
		free(base);
		return tn_get_str(c, "id");
	}
	id = unique_id(m->channels, "id", base);
	c = tn_add(m->channels, tn_map(true));
	tn_set_str(c, "id", id);
	tn_set_str(c, "kind", contains(text, "slack") ? "slack" : "webhook");
	var = xasprintf("TOLLGATE_%s_WEBHOOK", id);
	for (char *p = var; *p; p++)
		*p = *p == '-' || *p == '.' ? '_' : (char)toupper((unsigned char)*p);
	tn_set_str(c, "url_env", var);
	lines_add(&m->out->decide, line,
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
	char *id = unique_id(m->schedules, "id", base);
	char hm[8];
	snprintf(hm, sizeof(hm), "%02d:%02d", (at / 60) % 24, at % 60);
	tn_set_str(sc, "id", id);
	tn_set_str(sc, "channel", channel);
	tn_set_str(sc, "digest", digest);
	tn_set(sc, "at", tn_str(hm));
	tn_set_str(sc, "tz", "UTC");
	lines_add(&m->out->decide, line, "schedule '%s' at %s: which time zone (imported as UTC)", id,
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
			keep(m, s, u, n);
			continue;
		}
		for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
			char *key = NULL, *val = NULL, *paren;
			struct tn *e;
			int lv = 0;
			if (!key_value(li, &key, &val)) {
				keep(m, s, u, li);
				continue;
			}
			level++;
			if (sscanf(key, "Level %d", &lv) != 1 && sscanf(key, "level %d", &lv) != 1)
				lv = level;
			if (lv < 1 || lv > 3) {
				keep(m, s, u, li);
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
			free(key);
			free(val);
		}
	}
	lines_add(&m->out->mapped, u->line, "%s: %zu escalation levels", u->title, m->escalation->n);
}

static void map_comms(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		struct tn *c;
		const char *chan = NULL;
		int times[8];
		size_t nt = 0, nschedules = m->schedules->n;
		bool standup = u->title && contains(u->title, "standup");
		int time_line = 0;
		if (!u->title) {
			for (size_t i = 0; i < u->n; i++)
				keep(m, s, u, u->nodes[i]);
			continue;
		}
		if (sub_has(u, "escalat") || sub_has(u, "incident")) {
			map_escalation(m, s, u);
			continue;
		}
		c = tn_add(m->comms, tn_map(false));
		tn_set_str(c, "title", u->title);
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
				keep(m, s, u, n);
				continue;
			}
			for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
				char *key = NULL, *val = NULL;
				cmark_node *sl = sublist(li);
				if (!key_value(li, &key, &val)) {
					keep(m, s, u, li);
					continue;
				}
				if (!strcasecmp(key, "time") || !strcasecmp(key, "when")) {
					tn_set_str(c, "time", val);
					nt += times_in(val, times + nt, 8 - nt);
					time_line = line_of(li);
				} else if (contains(key, "duration")) {
					tn_set_str(c, "duration", val);
				} else if (contains(key, "frequency")) {
					tn_set_str(c, "frequency", val);
					nt += times_in(val, times + nt, 8 - nt);
					time_line = line_of(li);
				} else if (contains(key, "channel")) {
					tn_set_str(c, "channel", val);
					chan = channel_for(m, val, line_of(li));
				} else if (contains(key, "attendee")) {
					tn_set(c, "attendees", split_list(val, false));
				} else if (contains(key, "format") || contains(key, "agenda")) {
					struct tn *f = sl ? tn_seq(false) : split_list(val, false);
					for (cmark_node *x = sl ? cmark_node_first_child(sl) : NULL; x;
					     x = cmark_node_next(x)) {
						char *t = node_text(x);
						tn_add_str(f, t);
						free(t);
					}
					tn_set(c, "format", f);
				} else {
					char *t = xasprintf("%s: %s: %s", u->title, key, val);
					add_note(m, s->title, t);
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
					lines_add(&m->out->decide, time_line,
						  "'%s' at a set time: which channel its digest goes to",
						  u->title);
				break;
			}
			add_schedule(m, chan, standup ? "standup" : "status", times[t], time_line);
		}
		lines_add(&m->out->mapped, u->line, "%s: communication entry%s", u->title,
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
		if (n && !has && contains(tn_get_str(c, "title"), "standup"))
			add_schedule(m, tn_get_str(m->channels->v[0], "id"), "standup", t[0],
				     s->line);
	}
	for (size_t i = 0; i < m->comms->n && !m->channels->n; i++)
		if (contains(tn_get_str(m->comms->v[i], "title"), "standup") &&
		    tn_get_str(m->comms->v[i], "time"))
			lines_add(&m->out->decide, s->line,
				  "'%s' at a set time: which channel its digest goes to (channels[], "
				  "schedules[])",
				  tn_get_str(m->comms->v[i], "title"));
}

static void map_success(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		const char *cat = u->title ? u->title : s->title;
		int e = env_named(m, cat);
		struct tn *ids = tn_seq(true);
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) == CMARK_NODE_LIST)
				list_items(m, n, cat, ids);
			else
				keep(m, s, u, n);
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
			lines_add(&m->out->mapped, u->line, "%s: %zu items, the success criteria of '%s'%s",
				  cat, ids->n, env_name(m, (size_t)e),
				  tn_get(m->envs->v[e], "soak") ? " (and its soak)" : "");
		} else {
			lines_add(&m->out->mapped, u->line, "%s: %zu checklist items", cat, ids->n);
			lines_add(&m->out->decide, u->line,
				  "'%s' names no environment: whose success criteria are they", cat);
		}
		tn_free(ids);
	}
}

static void map_rollback(struct im *m, struct sec *s)
{
	int person_level = 0;
	for (size_t i = 0; i < m->escalation->n; i++)
		if (contains(tn_get_str(m->escalation->v[i], "action"), "rollback") ||
		    contains(tn_get_str(m->escalation->v[i], "action"), "roll back"))
			person_level = atoi(tn_get_str(m->escalation->v[i], "level"));
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		bool triggers = sub_has(u, "trigger");
		size_t count = 0;
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
				keep(m, s, u, n);
				continue;
			}
			for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
				char *text = node_text(li), *key = NULL, *val = NULL;
				if (triggers) {
					struct tn *t = tn_add(m->triggers, tn_map(true));
					const char *words = text;
					char *base, *id;
					while (*words && !isalpha((unsigned char)*words))
						words++; /* ">5% error rate" → error-rate… */
					base = import_slug(words, 4);
					id = unique_id(m->triggers, "id", base);
					const char *pct = strchr(text, '%');
					unsigned envs = envs_named(m, text);
					tn_set_str(t, "id", id);
					tn_set(t, "text", tn_str(text));
					if (pct) {
						const char *d = pct;
						double v;
						while (d > text && (isdigit((unsigned char)d[-1]) || d[-1] == '.'))
							d--;
						if (d < pct && sscanf(d, "%lf", &v) == 1) {
							bool below = d > text && (d[-1] == '<' ||
										  contains(text, "below") ||
										  contains(text, "under"));
							tn_set(t, below ? "below" : "above", tn_rawf("%g", v / 100));
							lines_add(&m->out->decide, line_of(li),
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
						for (size_t e = 1; e < nenvs(m) && e < 32; e++)
							if (envs & (1u << e))
								tn_add_str(es, env_name(m, e));
					}
					free(base);
					free(id);
				} else {
					struct tn *st = tn_add(m->rollback, tn_map(true));
					if (key_value(li, &key, &val)) {
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
			lines_add(&m->out->mapped, u->line, "%s: %zu %s", u->title ? u->title : s->title,
				  count, triggers ? "rollback triggers" : "rollback_procedure steps");
	}
}

static void map_post(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		struct tn *g, *ids = tn_seq(true), *waves = tn_seq(true), *after;
		const char *title = u->title ? u->title : s->title;
		int e = env_named(m, title);
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) == CMARK_NODE_LIST)
				list_items(m, n, "Post-Promotion", ids);
			else
				keep(m, s, u, n);
		}
		if (!ids->n) {
			tn_free(ids);
			tn_free(waves);
			continue;
		}
		g = tn_add(m->post, tn_map(false));
		tn_set_str(g, "title", title);
		waves_named(m, title, waves);
		if (e >= 0) {
			after = tn_set(g, "after", tn_map(true));
			tn_set_str(after, "env", env_name(m, (size_t)e));
			if (waves->n)
				tn_set(after, "waves", waves);
			else
				tn_free(waves);
		} else {
			tn_free(waves);
		}
		tn_set(g, "items", ids);
		lines_add(&m->out->mapped, u->line, "%s: post_promotion group of %zu items", title,
			  ids->n);
	}
}

static void map_resources(struct im *m, struct sec *s)
{
	size_t count = 0;
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			struct table tb;
			int cr, cn, ca, cs;
			if (!is_type(n, "table")) {
				keep(m, s, &s->subs[k], n);
				continue;
			}
			table_read(n, &tb);
			cr = column(&tb, "role");
			cn = column(&tb, "name");
			if (cn < 0)
				cn = column(&tb, "person");
			ca = column(&tb, "availab");
			cs = column(&tb, "responsib");
			if (cr < 0)
				cr = 0;
			for (size_t r = 1; r < tb.nrows; r++) {
				const char *role = cell(&tb, r, cr), *name = cell(&tb, r, cn);
				char *rslug = import_slug(role, 6), *pid, *base;
				struct tn *res = tn_add(m->resources, tn_map(true)), *pe;
				bool tbd = !*name || !strcasecmp(name, "tbd") || !strcmp(name, "-") ||
					   !strcasecmp(name, "tba") || !strcasecmp(name, "n/a");
				base = tbd ? xasprintf("%s-tbd", rslug) : import_slug(name, 4);
				pe = tn_find(m->people, "id", base);
				if (pe && tbd)
					pe = NULL;
				pid = pe ? xstrdup(base) : unique_id(m->people, "id", base);
				if (!pe) {
					pe = tn_add(m->people, tn_map(true));
					tn_set_str(pe, "id", pid);
					tn_set_str(pe, "name", tbd ? "TBD" : name);
					tn_set(pe, "roles", tn_seq(true));
					if (tbd) {
						tn_set(pe, "tbd", tn_raw("true"));
						lines_add(&m->out->decide, tb.lines[r],
							  "who is the %s (\"%s\" in the document): name them in "
							  "people '%s'",
							  role, *name ? name : "empty", pid);
					}
				}
				if (!tn_has_str(tn_get(pe, "roles"), rslug))
					tn_add_str(tn_get(pe, "roles"), rslug);
				tn_set_str(res, "role", role);
				tn_set_str(res, "person", pid);
				tn_set_str(res, "availability", cell(&tb, r, ca));
				tn_set_str(res, "responsibility", cell(&tb, r, cs));
				free(rslug);
				free(pid);
				free(base);
				count++;
			}
			table_release(&tb);
		}
	lines_add(&m->out->mapped, s->line, "%s: %zu resources and their people (roles)", s->title,
		  count);
	if (count)
		lines_add(&m->out->decide, s->line,
			  "each person's login (people[].login, for `identity: os`) or e-mail");
}

/* "🔴 **api_infra (40%)**: Must complete before Wave 1 SIT" and its bullets. */
static void map_blockers(struct im *m, struct sec *s, struct sub *u)
{
	for (size_t i = 0; i < u->n; i++) {
		cmark_node *n = u->nodes[i];
		if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
			keep(m, s, u, n);
			continue;
		}
		for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
			cmark_node *para = cmark_node_first_child(li), *c, *strong = NULL;
			cmark_node *sl = sublist(li);
			struct strbuf name = STRBUF_INIT, rest = STRBUF_INIT;
			struct tn *b, *blocks, *waves = tn_seq(true);
			char *id, *base, *text, *nm;
			const char *pct;
			int progress = 0, e;
			if (!para || cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH) {
				keep(m, s, u, li);
				tn_free(waves);
				continue;
			}
			for (c = cmark_node_first_child(para); c; c = cmark_node_next(c)) {
				if (!strong && cmark_node_get_type(c) == CMARK_NODE_STRONG) {
					strong = c;
					text_of(c, &name);
				} else if (strong) {
					if (cmark_node_get_type(c) == CMARK_NODE_TEXT)
						strbuf_addstr(&rest, cmark_node_get_literal(c));
					else
						text_of(c, &rest);
				}
			}
			if (!strong) {
				text_of(para, &name);
			}
			nm = clean(name.len ? name.buf : "");
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
			id = unique_id(m->blockers, "id", base);
			{
				const char *r = rest.len ? rest.buf : "";
				while (*r == ':' || *r == ' ')
					r++;
				text = clean(r);
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
				if (!key_value(c, &key, &val)) {
					keep(m, s, u, c);
					continue;
				}
				if (contains(key, "owner"))
					tn_set_str(b, "owner", val);
				else if (contains(key, "due")) {
					char *d = first_date(m, val);
					if (d)
						tn_set(b, "due", tn_raw(d));
					free(d);
				} else if (contains(key, "impact"))
					tn_set_str(b, "impact", val);
				else if (contains(key, "mitigation"))
					tn_set_str(b, "mitigation", val);
				else {
					char *t = xasprintf("%s: %s: %s", id, key, val);
					add_note(m, s->title, t);
					free(t);
				}
				free(key);
				free(val);
			}
			e = env_named(m, text);
			waves_named(m, text, waves);
			blocks = tn_set(b, "blocks", tn_map(true));
			if (e < 1) {
				e = nenvs(m) > 1 ? 1 : 0;
				lines_add(&m->out->decide, line_of(li),
					  "blocker '%s': which environment it blocks (guessed '%s')", id,
					  nenvs(m) ? env_name(m, (size_t)e) : "-");
			}
			if (nenvs(m))
				tn_set_str(blocks, "env", env_name(m, (size_t)e));
			if (waves->n)
				tn_set(blocks, "waves", waves);
			else
				tn_free(waves);
			fact(m, IMPORT_PROGRESS, id, progress, line_of(li));
			lines_add(&m->out->mapped, line_of(li), "blocker '%s' at %d%%", id, progress);
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
static void find_accounts(struct im *m, const char *text)
{
	for (size_t i = 0; i < nenvs(m); i++) {
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

static void map_blockers_section(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		if (sub_has(u, "blocker")) {
			map_blockers(m, s, u);
		} else if (u->title) {
			size_t first = m->items->n, count = 0;
			for (size_t i = 0; i < u->n; i++) {
				if (cmark_node_get_type(u->nodes[i]) == CMARK_NODE_LIST)
					count += list_items(m, u->nodes[i],
							    sub_has(u, "external") ? "External Dependencies"
										   : u->title,
							    NULL);
				else
					keep(m, s, u, u->nodes[i]);
			}
			for (size_t i = first; i < m->items->n; i++)
				guess_applies(m, m->items->v[i], u->line);
			lines_add(&m->out->mapped, u->line, "%s: %zu checklist items", u->title, count);
		} else {
			for (size_t i = 0; i < u->n; i++)
				keep(m, s, u, u->nodes[i]);
		}
	}
}

static void map_changes(struct im *m, struct sec *s)
{
	size_t count = 0;
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			struct table tb;
			int cd, cc, ca;
			if (!is_type(n, "table")) {
				keep(m, s, &s->subs[k], n);
				continue;
			}
			table_read(n, &tb);
			cd = column(&tb, "date");
			cc = column(&tb, "change");
			ca = column(&tb, "author");
			if (ca < 0)
				ca = column(&tb, "by");
			for (size_t r = 1; r < tb.nrows; r++) {
				char *d = first_date(m, cell(&tb, r, cd));
				struct tn *c;
				if (!d) {
					lines_add(&m->out->decide, tb.lines[r],
						  "change-log row without a date: kept in notes");
					add_note(m, s->title, cell(&tb, r, cc));
					continue;
				}
				c = tn_add(m->changes, tn_map(true));
				tn_set(c, "date", tn_raw(d));
				tn_set(c, "change", tn_str(cell(&tb, r, cc)));
				tn_set_str(c, "author", cell(&tb, r, ca));
				free(d);
				count++;
			}
			table_release(&tb);
		}
	lines_add(&m->out->mapped, s->line, "%s: %zu changelog entries", s->title, count);
}

static void map_next(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++) {
		struct sub *u = &s->subs[k];
		struct tn *g = NULL;
		for (size_t i = 0; i < u->n; i++) {
			cmark_node *n = u->nodes[i];
			if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && meta_paragraph(m, n))
				continue;
			if (cmark_node_get_type(n) != CMARK_NODE_LIST) {
				keep(m, s, u, n);
				continue;
			}
			if (!g) {
				g = tn_add(m->next, tn_map(false));
				tn_set_str(g, "title", u->title ? u->title : s->title);
				tn_set(g, "items", tn_seq(false));
			}
			for (cmark_node *li = cmark_node_first_child(n); li; li = cmark_node_next(li)) {
				char *t = node_text(li);
				tn_add_str(tn_get(g, "items"), t);
				free(t);
			}
		}
		if (g)
			lines_add(&m->out->mapped, u->line, "%s: next_steps group",
				  u->title ? u->title : s->title);
	}
}

static void map_unknown(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && meta_paragraph(m, n))
				continue;
			keep(m, s, &s->subs[k], n);
		}
	if (s->title)
		lines_add(&m->out->mapped, s->line, "%s: not a section tollgate knows; kept as text in notes",
			  s->title);
}

/* --- the whole document --- */

static struct sec *new_sec(struct im *m, const char *title, int line)
{
	struct sec *s;
	ALLOC_GROW(m->secs, m->nsecs + 1, m->secs_alloc);
	s = &m->secs[m->nsecs++];
	memset(s, 0, sizeof(*s));
	s->title = title ? xstrdup(title) : NULL;
	s->line = line;
	ALLOC_GROW(s->subs, 1, s->alloc);
	memset(&s->subs[0], 0, sizeof(s->subs[0]));
	s->subs[0].line = line;
	s->n = 1;
	return s;
}

static void add_node(struct sec *s, cmark_node *n)
{
	struct sub *u = &s->subs[s->n - 1];
	ALLOC_GROW(u->nodes, u->n + 1, u->alloc);
	u->nodes[u->n++] = n;
}

static void cut_sections(struct im *m, cmark_node *doc)
{
	struct sec *s = new_sec(m, NULL, 1);
	for (cmark_node *n = cmark_node_first_child(doc); n; n = cmark_node_next(n)) {
		int lv;
		char *t;
		if (cmark_node_get_type(n) == CMARK_NODE_THEMATIC_BREAK)
			continue;
		if (cmark_node_get_type(n) != CMARK_NODE_HEADING) {
			add_node(&m->secs[m->nsecs - 1], n);
			continue;
		}
		lv = cmark_node_get_heading_level(n);
		t = node_text(n);
		if (lv == 1 && !m->title) {
			m->title = t;
			m->title_line = line_of(n);
			continue;
		}
		if (lv <= 2) {
			s = new_sec(m, t, line_of(n));
		} else if (lv == 3) {
			s = &m->secs[m->nsecs - 1];
			ALLOC_GROW(s->subs, s->n + 1, s->alloc);
			memset(&s->subs[s->n], 0, sizeof(s->subs[0]));
			s->subs[s->n].title = xstrdup(t);
			s->subs[s->n].line = line_of(n);
			s->n++;
		} else {
			add_node(&m->secs[m->nsecs - 1], n);
		}
		free(t);
	}
}

enum kind {
	K_NONE, K_SUMMARY, K_WAVES, K_TIMELINE, K_DOCS, K_CHECKLIST, K_GATES, K_RISKS, K_COMMS,
	K_SUCCESS, K_ROLLBACK, K_POST, K_RESOURCES, K_BLOCKERS, K_CHANGES, K_NEXT, K_ENVS
};

static enum kind kind_of(const struct sec *s)
{
	if (!s->title)
		return K_NONE;
	if (title_has(s, "post-promotion") || title_has(s, "post promotion") ||
	    title_has(s, "after promotion"))
		return K_POST;
	if (title_has(s, "summary") || title_has(s, "overview"))
		return K_SUMMARY;
	if (title_has(s, "wave"))
		return K_WAVES;
	if (title_has(s, "timeline") || title_has(s, "schedule") || title_has(s, "milestone"))
		return K_TIMELINE;
	if (title_has(s, "project plan") || title_has(s, "documents"))
		return K_DOCS;
	if (title_has(s, "checklist"))
		return K_CHECKLIST;
	if (title_has(s, "gate") || title_has(s, "approval"))
		return K_GATES;
	if (title_has(s, "risk"))
		return K_RISKS;
	if (title_has(s, "communication"))
		return K_COMMS;
	if (title_has(s, "success") || title_has(s, "exit criteria"))
		return K_SUCCESS;
	if (title_has(s, "rollback") || title_has(s, "roll back"))
		return K_ROLLBACK;
	if (title_has(s, "resource") || title_has(s, "team") || title_has(s, "people") ||
	    title_has(s, "roles"))
		return K_RESOURCES;
	if (title_has(s, "blocker") || title_has(s, "dependenc"))
		return K_BLOCKERS;
	if (title_has(s, "change log") || title_has(s, "changelog") || title_has(s, "history"))
		return K_CHANGES;
	if (title_has(s, "next step"))
		return K_NEXT;
	if (title_has(s, "environment"))
		return K_ENVS;
	return K_NONE;
}

/* An "Environments" section: a table Environment | Account | Soak, or a
 * chain in its text. */
static void map_envs(struct im *m, struct sec *s)
{
	for (size_t k = 0; k < s->n; k++)
		for (size_t i = 0; i < s->subs[k].n; i++) {
			cmark_node *n = s->subs[k].nodes[i];
			if (is_type(n, "table") && !nenvs(m)) {
				struct table tb;
				int ce, ca, cs;
				table_read(n, &tb);
				ce = column(&tb, "env");
				if (ce < 0)
					ce = column(&tb, "name");
				if (ce < 0)
					ce = 0;
				ca = column(&tb, "account");
				cs = column(&tb, "soak");
				for (size_t r = 1; r < tb.nrows; r++) {
					struct tn *e = tn_add(m->envs, tn_map(false));
					char *name = import_slug(cell(&tb, r, ce), 3);
					int64_t secs;
					tn_set_str(e, "name", name);
					tn_set_str(e, "title", cell(&tb, r, ce));
					if (ca >= 0 && *cell(&tb, r, ca) && isdigit((unsigned char)*cell(&tb, r, ca)))
						tn_set(e, "account", tn_str(cell(&tb, r, ca)));
					if (cs >= 0 && util_parse_duration(cell(&tb, r, cs), &secs) == 0)
						tn_set_str(e, "soak", cell(&tb, r, cs));
					free(name);
				}
				table_release(&tb);
			} else {
				char *t = node_text(n);
				if (!env_chain(m, t))
					keep(m, s, &s->subs[k], n);
				free(t);
			}
		}
	lines_add(&m->out->mapped, s->line, "%s: %zu environments", s->title, nenvs(m));
}

/* Every gate role held by someone: a placeholder for each role nobody has. */
static void people_for_roles(struct im *m)
{
	for (size_t i = 0; i < m->gates->n; i++) {
		struct tn *roles = tn_get(m->gates->v[i], "approvers");
		for (size_t r = 0; roles && r < roles->n; r++) {
			const char *role = roles->v[r]->s;
			bool held = false;
			struct tn *pe;
			char *base, *id;
			for (size_t p = 0; p < m->people->n && !held; p++)
				held = tn_has_str(tn_get(m->people->v[p], "roles"), role);
			if (held)
				continue;
			base = xasprintf("%s-tbd", role);
			id = unique_id(m->people, "id", base);
			pe = tn_add(m->people, tn_map(true));
			tn_set_str(pe, "id", id);
			tn_set_str(pe, "name", "TBD");
			tn_set(pe, "roles", tn_seq(true));
			tn_add_str(tn_get(pe, "roles"), role);
			tn_set(pe, "tbd", tn_raw("true"));
			lines_add(&m->out->decide, 0,
				  "who approves gate '%s' as %s: name them in people '%s'",
				  tn_get_str(m->gates->v[i], "id"), role, id);
			free(base);
			free(id);
		}
	}
}

static void build_root(struct im *m)
{
	m->root = tn_map(false);
	tn_set(m->root, "version", tn_raw("1"));
	m->plan = tn_set(m->root, "plan", tn_map(false));
#define TOP(field, key) m->field = tn_set(m->root, key, tn_seq(false))
	TOP(envs, "environments");
	TOP(people, "people");
	TOP(waves, "waves");
	TOP(projects, "projects");
	TOP(gates, "gates");
	TOP(items, "checklist");
	TOP(blockers, "blockers");
	TOP(risks, "risks");
	TOP(triggers, "triggers");
	TOP(milestones, "milestones");
	TOP(channels, "channels");
	TOP(schedules, "schedules");
	TOP(resources, "resources");
	TOP(escalation, "escalation");
	TOP(rollback, "rollback_procedure");
	TOP(comms, "communication");
	TOP(post, "post_promotion");
	TOP(changes, "changelog");
	TOP(next, "next_steps");
	TOP(notes, "notes");
#undef TOP
}

/* Is there anything of a plan in the document? */
static bool looks_like_plan(cmark_node *doc)
{
	cmark_iter *it = cmark_iter_new(doc);
	cmark_event_type ev;
	bool any = false;
	while (!any && (ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *n = cmark_iter_get_node(it);
		any = ev == CMARK_EVENT_ENTER && (cmark_node_get_type(n) == CMARK_NODE_HEADING ||
						  cmark_node_get_type(n) == CMARK_NODE_LIST ||
						  is_type(n, "table"));
	}
	cmark_iter_free(it);
	return any;
}

static int line_key(const struct import_line *l)
{
	return l->line > 0 ? l->line : 1 << 30;
}

/* Sorted by line, stable (lines without one last): an insertion sort, for a
 * few dozen lines. */
static void sort_lines(struct import_lines *l)
{
	for (size_t i = 1; i < l->n; i++) {
		struct import_line x = l->v[i];
		size_t j = i;
		while (j > 0 && line_key(&l->v[j - 1]) > line_key(&x)) {
			l->v[j] = l->v[j - 1];
			j--;
		}
		l->v[j] = x;
	}
}

void import_result_release(struct import_result *r)
{
	struct import_lines *ls[] = { &r->mapped, &r->decide, &r->warnings };
	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < ls[k]->n; i++)
			free(ls[k]->v[i].text);
		free(ls[k]->v);
	}
	for (size_t i = 0; i < r->nfacts; i++)
		free(r->facts[i].id);
	free(r->facts);
	free(r->yaml);
	free(r->source_env);
	memset(r, 0, sizeof(*r));
}

int import_markdown(const char *name, const char *text, size_t len, struct import_result *out,
		    struct err *e)
{
	struct im m = { 0 };
	cmark_parser *parser;
	cmark_node *doc = NULL;
	char *fixed;
	size_t flen = len, bad = 0;
	struct strbuf yaml = STRBUF_INIT, header = STRBUF_INIT;
	static const char *const exts[] = { "table", "tasklist", "strikethrough" };
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!len || strspn(text, " \t\r\n") == len)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"'%s' is empty; give the Markdown master plan to import", name);
	if (memchr(text, 0, len) || !util_utf8_valid(text, len, &bad))
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"'%s' is not Markdown text (not UTF-8 at byte %zu); give the master "
				"plan's .md file",
				name, bad);
	fixed = import_repair_mojibake(text, &flen, &out->nrepaired);
	for (const char *p = fixed; (p = strstr(p, "\xef\xbf\xbd")); p += 3)
		out->nlost++;

	m.name = name;
	m.out = out;
	m.year = 0;
	build_root(&m);

	cmark_gfm_core_extensions_ensure_registered();
	parser = cmark_parser_new(CMARK_OPT_DEFAULT);
	for (size_t i = 0; i < 3; i++) {
		cmark_syntax_extension *x = cmark_find_syntax_extension(exts[i]);
		if (x)
			cmark_parser_attach_syntax_extension(parser, x);
	}
	cmark_parser_feed(parser, fixed, flen);
	doc = cmark_parser_finish(parser);
	cmark_parser_free(parser);
	if (!doc || !looks_like_plan(doc)) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "'%s' has no heading, list or table: nothing of a master plan to import", name);
		goto out;
	}
	cut_sections(&m, doc);

	/* the header first: its date is the year of dates written without one */
	for (size_t i = 0; i < m.secs[0].subs[0].n; i++) {
		cmark_node *n = m.secs[0].subs[0].nodes[i];
		if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && meta_paragraph(&m, n))
			continue;
		keep(&m, &m.secs[0], NULL, n);
	}
	m.secs[0].used = true;
	if (!m.year) {
		/* the first year written anywhere */
		for (const char *p = fixed; *p && !m.year; p++)
			if (isdigit((unsigned char)*p) && (p == fixed || !isalnum((unsigned char)p[-1]))) {
				int y = atoi(p);
				if (y >= 1990 && y <= 2200 && !isdigit((unsigned char)p[4]))
					m.year = y;
			}
	}
	if (m.title) {
		tn_set_str(m.plan, "title", m.title);
		lines_add(&out->mapped, m.title_line, "title: plan.title");
	}
	/* the order references need: environments, waves and projects, items,
	 * then what names them */
	{
		static const enum kind order[] = { K_ENVS,     K_SUMMARY,   K_WAVES,  K_DOCS,
						   K_TIMELINE, K_CHECKLIST, K_SUCCESS, K_POST,
						   K_BLOCKERS, K_GATES,     K_RISKS,  K_COMMS,
						   K_ROLLBACK, K_RESOURCES, K_CHANGES, K_NEXT };
		for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
			if (order[o] == K_WAVES && !nenvs(&m) && m.title)
				env_chain(&m, m.title);
			for (size_t i = 1; i < m.nsecs; i++) {
				struct sec *s = &m.secs[i];
				if (s->used || kind_of(s) != order[o])
					continue;
				s->used = true;
				switch (order[o]) {
				case K_ENVS: map_envs(&m, s); break;
				case K_SUMMARY: map_summary(&m, s); break;
				case K_WAVES: map_waves(&m, s); break;
				case K_DOCS: map_project_docs(&m, s); break;
				case K_TIMELINE: map_timeline(&m, s); break;
				case K_CHECKLIST: map_checklist(&m, s, false); break;
				case K_SUCCESS: map_success(&m, s); break;
				case K_POST: map_post(&m, s); break;
				case K_BLOCKERS: map_blockers_section(&m, s); break;
				case K_GATES: map_gates(&m, s); break;
				case K_RISKS: map_risks(&m, s); break;
				case K_COMMS: map_comms(&m, s); break;
				case K_ROLLBACK: map_rollback(&m, s); break;
				case K_RESOURCES: map_resources(&m, s); break;
				case K_CHANGES: map_changes(&m, s); break;
				case K_NEXT: map_next(&m, s); break;
				default: break;
				}
			}
		}
		for (size_t i = 1; i < m.nsecs; i++)
			if (!m.secs[i].used)
				map_unknown(&m, &m.secs[i]);
	}
	if (!nenvs(&m)) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "'%s' names no environments; write them as a chain such as 'DEV → SIT → "
			 "PROD' (in the title, the summary table or an Environments section)",
			 name);
		goto out;
	}
	for (size_t i = 0; i < m.items->n; i++)
		find_accounts(&m, tn_get_str(m.items->v[i], "text"));
	people_for_roles(&m);
	if (m.status || m.plan_status) {
		char *st = m.status && m.plan_status
				   ? xasprintf("%s (plan status: %s)", m.status, m.plan_status)
				   : xstrdup(m.status ? m.status : m.plan_status);
		tn_set_str(m.plan, "status", st);
		free(st);
	}
	if (!tn_get(m.plan, "id")) {
		char *id = import_slug(m.title ? m.title : name, 6);
		tn_set_str(m.plan, "id", id);
		lines_add(&out->decide, 0, "the plan's id (no 'Plan ID' line; imported as '%s')", id);
		free(id);
	}
	if (!tn_get(m.plan, "title"))
		tn_set_str(m.plan, "title", tn_get_str(m.plan, "id"));
	if (!m.waves->n)
		lines_add(&out->decide, 0, "no wave was found: a plan needs waves and projects");
	if (m.projects->n)
		lines_add(&out->decide, 0,
			  "each project's deploy, verify and rollback commands (imported as a deploy "
			  "that fails and says so) and timeout");
	lines_add(&out->decide, 0,
		  "how people prove who they are (`identity`; imported with none: anyone may "
		  "claim any person with --as)");
	if (out->nlost)
		lines_add(&out->warnings, 0,
			  "%zu characters were already lost in the document (U+FFFD) and are kept as "
			  "they are",
			  out->nlost);
	out->source_env = xstrdup(env_name(&m, 0));
	sort_lines(&out->mapped);
	sort_lines(&out->decide);

	{
		char *safe = xstrdup(name);
		util_scrub(safe, false);
		strbuf_addf(&header,
			    "# Imported by `tollgate import` from %s.\n"
			    "# What the team must still decide is in the summary it printed and\n"
			    "# docs/import.md; keys: docs/plan.md.\n",
			    safe);
		free(safe);
	}
	if (tn_emit_yaml(m.root, header.buf, &yaml, e) < 0)
		goto out;
	out->yaml_len = yaml.len;
	out->yaml = strbuf_detach(&yaml);
	rc = 0;
out:
	if (rc < 0)
		import_result_release(out);
	strbuf_release(&yaml);
	strbuf_release(&header);
	for (size_t i = 0; i < m.nsecs; i++) {
		for (size_t k = 0; k < m.secs[i].n; k++) {
			free(m.secs[i].subs[k].title);
			free(m.secs[i].subs[k].nodes);
		}
		free(m.secs[i].subs);
		free(m.secs[i].title);
	}
	free(m.secs);
	free(m.title);
	free(m.status);
	free(m.plan_status);
	tn_free(m.root);
	if (doc)
		cmark_node_free(doc);
	free(fixed);
	return rc;
}
