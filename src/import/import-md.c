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
#include <time.h>

#include "import/import-int.h"
#include "import/import-md.h"

/* --- small text helpers --- */

void im_lines_add(struct import_lines *l, int line, const char *fmt, ...)
{
	va_list ap;
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n].line = line;
	va_start(ap, fmt);
	l->v[l->n].text = xvasprintf(fmt, ap);
	va_end(ap);
	l->n++;
}

void im_fact(struct im *m, enum import_fact_kind k, const char *id, int progress, int line)
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
char *im_clean(const char *s)
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

bool im_has_word(const char *text, const char *word)
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

bool im_contains(const char *text, const char *what)
{
	return text && strcasestr(text, what) != NULL;
}

/* The text of node, inlines flattened ("**a** b" → "a b", links → their text). */
/* Nesting deeper than this (">>>>…" a thousand times) is not a plan's text:
 * what is below it is left out rather than recursed into. */
#define TEXT_DEPTH_MAX 32

static void text_at(cmark_node *n, struct strbuf *sb, int depth)
{
	if (depth > TEXT_DEPTH_MAX)
		return;
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
				text_at(cmark_node_first_child(c), sb, depth + 1);
			break;
		default:
			if (sb->len && cmark_node_get_type(c) == CMARK_NODE_PARAGRAPH)
				strbuf_addch(sb, ' ');
			text_at(c, sb, depth + 1);
		}
	}
}

void im_text_of(cmark_node *n, struct strbuf *sb)
{
	text_at(n, sb, 0);
}

char *im_node_text(cmark_node *n)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	im_text_of(n, &sb);
	s = im_clean(sb.len ? sb.buf : "");
	strbuf_release(&sb);
	return s;
}

int im_line_of(cmark_node *n)
{
	return cmark_node_get_start_line(n);
}

bool im_is_type(cmark_node *n, const char *t)
{
	return !strcmp(cmark_node_get_type_string(n), t);
}

bool im_is_task(cmark_node *n)
{
	return im_is_type(n, "tasklist");
}

/* `**Key:** value` or `**Key**: value` at the start of inline run first..:
 * the key (without its colon) and the value after it, both cleaned; the
 * inlines up to stop (exclusive; NULL: to the end). false when the run does
 * not start so. */
bool im_key_value_run(cmark_node *first, cmark_node *stop, char **key, char **value)
{
	struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;
	char *kc;
	size_t kl;
	cmark_node *c = first;
	bool colon;

	if (!c || cmark_node_get_type(c) != CMARK_NODE_STRONG)
		return false;
	im_text_of(c, &k);
	kc = im_clean(k.len ? k.buf : "");
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
			im_text_of(c, &v);
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
	if (!kl) {
		/* "**:** value": no key */
		free(kc);
		strbuf_release(&v);
		return false;
	}
	*key = kc;
	*value = im_clean(v.len ? v.buf : "");
	strbuf_release(&v);
	return true;
}

/* A list item's or paragraph's first paragraph as `**Key:** value`. */
bool im_key_value(cmark_node *n, char **key, char **value)
{
	cmark_node *para = n;
	if (cmark_node_get_type(n) == CMARK_NODE_ITEM)
		para = cmark_node_first_child(n);
	if (!para || cmark_node_get_type(para) != CMARK_NODE_PARAGRAPH)
		return false;
	return im_key_value_run(cmark_node_first_child(para), NULL, key, value);
}

/* The nested list of a list item, or NULL. */
cmark_node *im_sublist(cmark_node *item)
{
	for (cmark_node *c = cmark_node_first_child(item); c; c = cmark_node_next(c))
		if (cmark_node_get_type(c) == CMARK_NODE_LIST)
			return c;
	return NULL;
}

/* Add one item of a list, as an id when slug is set (once). */
static void list_add(struct tn *seq, const char *part, bool slug)
{
	char *sl;
	if (!*part)
		return;
	if (!slug) {
		tn_add_str(seq, part);
		return;
	}
	sl = import_slug(part, 6);
	if (!tn_has_str(seq, sl))
		tn_add_str(seq, sl);
	free(sl);
}

/* Split "a, b and c" into cleaned parts. */
struct tn *im_split_list(const char *s, bool slug)
{
	struct tn *seq = tn_seq(true);
	char *copy = xstrdup(s), *save = NULL;
	for (char *p = copy; *p; p++)
		if (*p == '/' || *p == ';')
			*p = ',';
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *part = im_clean(t), *and = NULL;
		if (!strncasecmp(part, "and ", 4))
			memmove(part, part + 4, strlen(part + 4) + 1);
		and = strcasestr(part, " and ");
		if (and) {
			/* "Ops Lead and QA Lead": two items, each an id when asked
			 * (the first was once added as written, an invalid id) */
			*and = 0;
			list_add(seq, part, slug);
			memmove(part, and + 5, strlen(and + 5) + 1);
		}
		list_add(seq, part, slug);
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
int im_month_of(const char *w, size_t len)
{
	if (len < 3)
		return 0;
	for (int i = 0; i < 12; i++)
		if (len <= strlen(month_names[i]) && !strncasecmp(w, month_names[i], len))
			return i + 1;
	return 0;
}


/* Is y-m-d a day of the calendar (no Feb 30)? */
static bool real_day(int y, int m, int d)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m < 1 || m > 12 || d < 1)
		return false;
	return d <= days[m - 1] + (m == 2 && leap);
}

/* Every date written in s, in order: ISO "2026-01-07", "Jan 10", "Jan 10,
 * 2026", "Jan 8-9", "Jan 10-Feb 28". A date without a year takes the next
 * year written after it, else def_year. */
size_t im_find_dates(const char *s, int def_year, struct date *out, size_t max)
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
			mo = im_month_of(w, (size_t)(p - w));
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
						mo2 = im_month_of(w2, (size_t)(r - w2));
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
	for (size_t k = 0; k < n; k++)
		if (!out[k].y)
			out[k].y = def_year;
	/* only days of the calendar ("Feb 30" is none) */
	{
		size_t kept = 0;
		for (size_t k = 0; k < n; k++) {
			if (!real_day(out[k].y, out[k].m, out[k].d))
				continue;
			if (out[k].until_d && !real_day(out[k].y, out[k].until_m, out[k].until_d))
				out[k].until_m = out[k].until_d = 0;
			out[kept++] = out[k];
		}
		n = kept;
	}
	return n;
}

char *im_iso(int y, int m, int d)
{
	return xasprintf("%04d-%02d-%02d", y, m, d);
}

/* The first date of s as ISO text, or NULL. */
char *im_first_date(struct im *m, const char *s)
{
	struct date d[4];
	if (!im_find_dates(s, m->year, d, 4))
		return NULL;
	return im_iso(d[0].y, d[0].m, d[0].d);
}

/* --- the plan's objects --- */

size_t im_nenvs(struct im *m)
{
	return m->envs->n;
}

const char *im_env_name(struct im *m, size_t i)
{
	return tn_get_str(m->envs->v[i], "name");
}

/* The environments text names (by title or name, as a word; "production"
 * for the last), as a bit set. */
unsigned im_envs_named(struct im *m, const char *text)
{
	unsigned set = 0;
	if (!text)
		return 0;
	for (size_t i = 0; i < im_nenvs(m) && i < 32; i++) {
		const char *t = tn_get_str(m->envs->v[i], "title");
		if (im_has_word(text, im_env_name(m, i)) || (t && im_has_word(text, t)))
			set |= 1u << i;
	}
	if (!set && im_nenvs(m) > 1 && (im_has_word(text, "production") || im_has_word(text, "prod")))
		set |= 1u << (im_nenvs(m) - 1);
	return set;
}

/* The first environment text names, or -1. */
int im_env_named(struct im *m, const char *text)
{
	unsigned set = im_envs_named(m, text);
	for (int i = 0; i < 32; i++)
		if (set & (1u << i))
			return i;
	return -1;
}

/* The waves text names ("Wave 2", "wave-2", or a wave's title), added to seq. */
void im_waves_named(struct im *m, const char *text, struct tn *seq)
{
	if (!text)
		return;
	for (size_t i = 0; i < m->waves->n; i++) {
		const char *id = tn_get_str(m->waves->v[i], "id");
		const char *title = tn_get_str(m->waves->v[i], "title");
		const char *num = strrchr(id, '-');
		bool named = im_has_word(text, id) || (title && *title && im_contains(text, title));
		if (!named && num && !strncmp(id, "wave-", 5)) {
			char *w = xasprintf("wave %s", num + 1);
			named = im_has_word(text, w);
			free(w);
		}
		if (named && !tn_has_str(seq, id))
			tn_add_str(seq, id);
	}
}

/* An id unique in seq (key "id"): base, or base-2, base-3 … */
char *im_unique_id(const struct tn *seq, const char *key, const char *base)
{
	char *id = xstrdup(base);
	for (int k = 2; tn_find(seq, key, id); k++) {
		free(id);
		id = xasprintf("%s-%d", base, k);
	}
	return id;
}

/* A new checklist item; its id made from its text. Returns the item. */
struct tn *im_add_item(struct im *m, const char *text, const char *category, int line)
{
	struct tn *it = tn_map(true);
	char *base = import_slug(text, 6), *id = im_unique_id(m->items, "id", base);
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
size_t im_list_items(struct im *m, cmark_node *list, const char *category, struct tn *ids)
{
	size_t n = 0;
	for (cmark_node *li = cmark_node_first_child(list); li; li = cmark_node_next(li)) {
		char *text = im_node_text(li);
		struct tn *it;
		if (!*text) {
			free(text);
			continue;
		}
		it = im_add_item(m, text, category, im_line_of(li));
		if (ids)
			tn_add_str(ids, tn_get_str(it, "id"));
		if (im_is_task(li) && cmark_gfm_extensions_get_tasklist_item_checked(li))
			im_fact(m, IMPORT_TICK, tn_get_str(it, "id"), 0, im_line_of(li));
		free(text);
		n++;
	}
	return n;
}

void im_add_note(struct im *m, const char *title, const char *text)
{
	struct tn *note;
	if (!title || !*title)
		title = "Untitled section"; /* "## " with nothing after it */
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
/* How deep the blocks under n nest (a list in a quote in a list …). */
static int block_depth(cmark_node *n)
{
	cmark_iter *it = cmark_iter_new(n);
	cmark_event_type ev;
	int depth = 0, max = 0;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		switch (cmark_node_get_type(cmark_iter_get_node(it))) {
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
		case CMARK_NODE_HTML_INLINE:
		case CMARK_NODE_SOFTBREAK:
		case CMARK_NODE_LINEBREAK:
		case CMARK_NODE_CODE_BLOCK:
		case CMARK_NODE_HTML_BLOCK:
		case CMARK_NODE_THEMATIC_BREAK:
			continue; /* a leaf: no exit event */
		default:
			break;
		}
		depth += ev == CMARK_EVENT_ENTER ? 1 : -1;
		if (depth > max)
			max = depth;
	}
	cmark_iter_free(it);
	return max;
}

void im_keep(struct im *m, const struct sec *s, const struct sub *u, cmark_node *n)
{
	/* rendering nests a prefix per level: past a sane depth, the text */
	char *md = block_depth(n) > TEXT_DEPTH_MAX ? im_node_text(n)
						  : cmark_render_commonmark(n, CMARK_OPT_DEFAULT, 0);
	char *title = xasprintf("%s%s%s", s->title ? s->title : "Header",
				u && u->title ? " / " : "", u && u->title ? u->title : "");
	size_t l = strlen(md);
	while (l && md[l - 1] == '\n')
		md[--l] = 0;
	if (l)
		im_add_note(m, title, md);
	free(title);
	free(md);
}

/* --- the header: title, **Key**: value lines --- */

/* `**Plan ID**: …` and the like, where they are (header, footer): true when
 * the paragraph was all such lines. */
bool im_meta_paragraph(struct im *m, cmark_node *para)
{
	cmark_node *start = cmark_node_first_child(para);
	bool any = false;
	while (start) {
		cmark_node *stop = start;
		char *k = NULL, *v = NULL;
		while (stop && cmark_node_get_type(stop) != CMARK_NODE_SOFTBREAK &&
		       cmark_node_get_type(stop) != CMARK_NODE_LINEBREAK)
			stop = cmark_node_next(stop);
		if (!im_key_value_run(start, stop, &k, &v))
			return any;
		if (!strcasecmp(k, "plan id") || !strcasecmp(k, "id")) {
			if (util_valid_id(v) && strlen(v) <= IMPORT_ID_MAX)
				tn_set_str(m->plan, "id", v);
			else {
				char *sl = import_slug(v, 8);
				tn_set_str(m->plan, "id", sl);
				free(sl);
			}
		} else if (!strcasecmp(k, "created") || !strcasecmp(k, "date")) {
			char *d = im_first_date(m, v);
			if (d) {
				m->year = atoi(d);
				tn_set(m->plan, "created", tn_raw(d));
			}
			free(d);
		} else if (im_contains(k, "manager") || !strcasecmp(k, "owner")) {
			tn_set_str(m->plan, "manager", v);
		} else if (!strcasecmp(k, "plan status")) {
			free(m->plan_status);
			m->plan_status = xstrdup(v);
		} else if (!strcasecmp(k, "status")) {
			free(m->status);
			m->status = xstrdup(v);
		} else if (im_contains(k, "review")) {
			char *d = im_first_date(m, v);
			if (d)
				tn_set(m->plan, "next_review", tn_raw(d));
			free(d);
		} else if (!strcasecmp(k, "contact")) {
			tn_set_str(m->plan, "contact", v);
		} else {
			char *t = xasprintf("%s: %s", k, v);
			im_add_note(m, "Header", t);
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
bool im_env_chain(struct im *m, const char *text)
{
	struct strbuf sb = STRBUF_INIT;
	char *copy, *save = NULL;
	size_t n = 0;
	const char *arrow = strstr(text, "\xe2\x86\x92") ? "\xe2\x86\x92" : "->";
	if (im_nenvs(m) || !strstr(text, arrow))
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
		char *title = im_clean(t), *name;
		struct tn *e;
		if (!*title) {
			free(title);
			continue;
		}
		name = import_slug(title, 3);
		if (tn_find(m->envs, "name", name)) {
			/* "DEV → SIT → DEV": an environment is in the chain once */
			free(name);
			free(title);
			continue;
		}
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
		t = im_node_text(n);
		if (lv == 1 && !m->title) {
			m->title = t;
			m->title_line = im_line_of(n);
			continue;
		}
		if (lv <= 2) {
			s = new_sec(m, t, im_line_of(n));
		} else if (lv == 3) {
			s = &m->secs[m->nsecs - 1];
			ALLOC_GROW(s->subs, s->n + 1, s->alloc);
			memset(&s->subs[s->n], 0, sizeof(s->subs[0]));
			s->subs[s->n].title = xstrdup(t);
			s->subs[s->n].line = im_line_of(n);
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
	if (im_title_has(s, "post-promotion") || im_title_has(s, "post promotion") ||
	    im_title_has(s, "after promotion"))
		return K_POST;
	if (im_title_has(s, "summary") || im_title_has(s, "overview"))
		return K_SUMMARY;
	if (im_title_has(s, "wave"))
		return K_WAVES;
	if (im_title_has(s, "timeline") || im_title_has(s, "schedule") || im_title_has(s, "milestone"))
		return K_TIMELINE;
	if (im_title_has(s, "project plan") || im_title_has(s, "documents"))
		return K_DOCS;
	if (im_title_has(s, "checklist"))
		return K_CHECKLIST;
	if (im_title_has(s, "gate") || im_title_has(s, "approval"))
		return K_GATES;
	if (im_title_has(s, "risk"))
		return K_RISKS;
	if (im_title_has(s, "communication"))
		return K_COMMS;
	if (im_title_has(s, "success") || im_title_has(s, "exit criteria"))
		return K_SUCCESS;
	if (im_title_has(s, "rollback") || im_title_has(s, "roll back"))
		return K_ROLLBACK;
	if (im_title_has(s, "resource") || im_title_has(s, "team") || im_title_has(s, "people") ||
	    im_title_has(s, "roles"))
		return K_RESOURCES;
	if (im_title_has(s, "blocker") || im_title_has(s, "dependenc"))
		return K_BLOCKERS;
	if (im_title_has(s, "change log") || im_title_has(s, "changelog") || im_title_has(s, "history"))
		return K_CHANGES;
	if (im_title_has(s, "next step"))
		return K_NEXT;
	if (im_title_has(s, "environment"))
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
			if (im_is_type(n, "table") && !im_nenvs(m)) {
				struct table tb;
				int ce, ca, cs;
				im_table_read(n, &tb);
				ce = im_column_or(&tb, "env", "name");
				if (ce < 0)
					ce = 0;
				ca = im_column(&tb, "account");
				cs = im_column(&tb, "soak");
				for (size_t r = 1; r < tb.nrows; r++) {
					char *name = import_slug(im_cell(&tb, r, ce), 3);
					struct tn *e;
					int64_t secs;
					if (tn_find(m->envs, "name", name)) {
						im_lines_add(&m->out->decide, tb.lines[r],
							     "environment '%s' is listed twice: kept once",
							     name);
						free(name);
						continue;
					}
					e = tn_add(m->envs, tn_map(false));
					tn_set_str(e, "name", name);
					tn_set_str(e, "title", im_cell(&tb, r, ce));
					if (ca >= 0 && *im_cell(&tb, r, ca) && isdigit((unsigned char)*im_cell(&tb, r, ca)))
						tn_set(e, "account", tn_str(im_cell(&tb, r, ca)));
					if (cs >= 0 && util_parse_duration(im_cell(&tb, r, cs), &secs) == 0)
						tn_set_str(e, "soak", im_cell(&tb, r, cs));
					free(name);
				}
				im_table_release(&tb);
			} else {
				char *t = im_node_text(n);
				if (!im_env_chain(m, t))
					im_keep(m, s, &s->subs[k], n);
				free(t);
			}
		}
	im_lines_add(&m->out->mapped, s->line, "%s: %zu environments", s->title, im_nenvs(m));
}

/* The id of the project a document's words name: its id, the id those
 * words make, or its title (case aside); NULL when none. */
static const char *project_named(struct im *m, const char *name)
{
	char *slug = import_slug(name, 6);
	const char *found = NULL;
	for (size_t i = 0; i < m->projects->n && !found; i++) {
		const char *id = tn_get_str(m->projects->v[i], "id");
		const char *title = tn_get_str(m->projects->v[i], "title");
		if (!strcmp(id, name) || !strcmp(id, slug) || (title && !strcasecmp(title, name)))
			found = id;
	}
	free(slug);
	return found;
}

/* A project's dependencies as the document wrote them (a "Depends on"
 * column) must each name another project of the plan. What names none (a
 * word of a column that only looked like one, a project of another plan)
 * is left out, and said. */
static void resolve_dependencies(struct im *m)
{
	for (size_t i = 0; i < m->projects->n; i++) {
		struct tn *pr = m->projects->v[i], *deps = tn_get(pr, "depends_on"), *ok;
		const char *self = tn_get_str(pr, "id");
		if (!deps)
			continue;
		ok = tn_seq(true);
		for (size_t k = 0; k < deps->n; k++) {
			const char *name = deps->v[k]->s ? deps->v[k]->s : "";
			const char *id = project_named(m, name);
			if (id && strcmp(id, self)) {
				if (!tn_has_str(ok, id))
					tn_add_str(ok, id);
				continue;
			}
			im_lines_add(&m->out->decide, 0,
				  "project '%s' depends on \"%s\", which is %s: left out of its depends_on",
				  self, name, id ? "the project itself" : "no project of the plan");
		}
		if (ok->n)
			tn_set(pr, "depends_on", ok);
		else {
			tn_free(ok);
			tn_del(pr, "depends_on");
		}
	}
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
			id = im_unique_id(m->people, "id", base);
			pe = tn_add(m->people, tn_map(true));
			tn_set_str(pe, "id", id);
			tn_set_str(pe, "name", "TBD");
			tn_set(pe, "roles", tn_seq(true));
			tn_add_str(tn_get(pe, "roles"), role);
			tn_set(pe, "tbd", tn_raw("true"));
			im_lines_add(&m->out->decide, 0,
				  "who approves gate '%s' as %s: name them in people '%s'",
				  tn_get_str(m->gates->v[i], "id"), role, id);
			free(base);
			free(id);
		}
	}
}

/* The chat channel the communication plan gave (the first): where each
 * escalation level is sent, and a rollback step that alerts "via Slack". */
static void alert_channels(struct im *m)
{
	const char *chan = NULL;
	for (size_t i = 0; i < m->channels->n && !chan; i++)
		if (!strcmp(tn_get_str(m->channels->v[i], "kind"), "slack"))
			chan = tn_get_str(m->channels->v[i], "id");
	if (!chan)
		return;
	for (size_t i = 0; i < m->escalation->n; i++) {
		struct tn *c = tn_set(m->escalation->v[i], "channels", tn_seq(true));
		tn_add_str(c, chan);
	}
	for (size_t i = 0; i < m->rollback->n; i++)
		if (im_contains(tn_get_str(m->rollback->v[i], "text"), "slack")) {
			struct tn *c = tn_set(m->rollback->v[i], "channels", tn_seq(true));
			tn_add_str(c, chan);
		}
	if (m->escalation->n)
		im_lines_add(&m->out->decide, 0,
			     "escalations and rollbacks are sent to channel '%s': confirm, and give "
			     "people their chat handle (people[].slack)",
			     chan);
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
						  im_is_type(n, "table"));
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
	return import_markdown_from(name, text, len, NULL, out, e);
}

int import_markdown_from(const char *name, const char *text, size_t len, const char *doc_prefix,
			 struct import_result *out, struct err *e)
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
	m.doc_prefix = doc_prefix;
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
		if (cmark_node_get_type(n) == CMARK_NODE_PARAGRAPH && im_meta_paragraph(&m, n))
			continue;
		im_keep(&m, &m.secs[0], NULL, n);
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
	if (!m.year) {
		/* no year anywhere: this one */
		time_t t = time(NULL);
		struct tm tm;
		m.year = gmtime_r(&t, &tm) ? tm.tm_year + 1900 : 2026;
	}
	if (m.title) {
		tn_set_str(m.plan, "title", m.title);
		im_lines_add(&out->mapped, m.title_line, "title: plan.title");
	}
	/* the order references need: environments, waves and projects, items,
	 * then what names them */
	{
		static const enum kind order[] = { K_ENVS,     K_SUMMARY,   K_WAVES,  K_DOCS,
						   K_TIMELINE, K_CHECKLIST, K_SUCCESS, K_POST,
						   K_BLOCKERS, K_GATES,     K_RISKS,  K_COMMS,
						   K_ROLLBACK, K_RESOURCES, K_CHANGES, K_NEXT };
		for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
			if (order[o] == K_WAVES && !im_nenvs(&m) && m.title)
				im_env_chain(&m, m.title);
			for (size_t i = 1; i < m.nsecs; i++) {
				struct sec *s = &m.secs[i];
				if (s->used || kind_of(s) != order[o])
					continue;
				s->used = true;
				switch (order[o]) {
				case K_ENVS: map_envs(&m, s); break;
				case K_SUMMARY: im_map_summary(&m, s); break;
				case K_WAVES: im_map_waves(&m, s); break;
				case K_DOCS: im_map_project_docs(&m, s); break;
				case K_TIMELINE: im_map_timeline(&m, s); break;
				case K_CHECKLIST: im_map_checklist(&m, s, false); break;
				case K_SUCCESS: im_map_success(&m, s); break;
				case K_POST: im_map_post(&m, s); break;
				case K_BLOCKERS: im_map_blockers_section(&m, s); break;
				case K_GATES: im_map_gates(&m, s); break;
				case K_RISKS: im_map_risks(&m, s); break;
				case K_COMMS: im_map_comms(&m, s); break;
				case K_ROLLBACK: im_map_rollback(&m, s); break;
				case K_RESOURCES: im_map_resources(&m, s); break;
				case K_CHANGES: im_map_changes(&m, s); break;
				case K_NEXT: im_map_next(&m, s); break;
				default: break;
				}
			}
		}
		for (size_t i = 1; i < m.nsecs; i++)
			if (!m.secs[i].used)
				im_map_unknown(&m, &m.secs[i]);
	}
	if (!im_nenvs(&m)) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "'%s' names no environments; write them as a chain such as 'DEV → SIT → "
			 "PROD' (in the title, the summary table or an Environments section)",
			 name);
		goto out;
	}
	for (size_t i = 0; i < m.items->n; i++)
		im_find_accounts(&m, tn_get_str(m.items->v[i], "text"));
	resolve_dependencies(&m);
	people_for_roles(&m);
	alert_channels(&m);
	if (m.total_projects && (size_t)m.total_projects != m.projects->n)
		im_lines_add(&out->decide, m.total_line,
			     "the summary counts %d projects, the waves' tables list %zu: which is right",
			     m.total_projects, m.projects->n);
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
		im_lines_add(&out->decide, 0, "the plan's id (no 'Plan ID' line; imported as '%s')", id);
		free(id);
	}
	if (!tn_get(m.plan, "title"))
		tn_set_str(m.plan, "title", tn_get_str(m.plan, "id"));
	if (!m.projects->n) {
		err_setr(e, ERR_USAGE, REASON_INVALID,
			 "'%s' names no project: a master plan lists them per wave, a heading such "
			 "as '### Wave 1: Core APIs (Jan 10 - Feb 21, 2026)' under a section whose "
			 "heading says 'Waves', followed by a table with a 'Project' column",
			 name);
		goto out;
	}
	if (m.projects->n)
		im_lines_add(&out->decide, 0,
			  "each project's deploy, verify and rollback commands (imported as a deploy "
			  "that fails and says so) and timeout");
	im_lines_add(&out->decide, 0,
		  "how people prove who they are (`identity`; imported with none: anyone may "
		  "claim any person with --as)");
	if (out->nlost)
		im_lines_add(&out->warnings, 0,
			  "%zu characters were already lost in the document (U+FFFD) and are kept as "
			  "they are",
			  out->nlost);
	out->source_env = xstrdup(im_env_name(&m, 0));
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
