/*
 * report-md.c - the report as GitHub Markdown, shaped like the seed document:
 * "**Key**: value" header lines, pipe tables, "- [x]" checkboxes, emoji status
 * marks and the timeline as a fenced block of ├─ lines. Plan strings are
 * escaped so that they can neither break a table nor inject HTML.
 */
#include "report/report-int.h"

#include <stdlib.h>
#include <string.h>

static bool ends_with(const struct strbuf *sb, const char *s)
{
	size_t n = strlen(s);
	return sb->len >= n && !memcmp(sb->buf + sb->len - n, s, n);
}

/* Start a block: a blank line after whatever came before. */
static void block(struct rp_doc *d)
{
	struct strbuf *o = d->out;
	if (d->line_open) {
		strbuf_addch(o, '\n');
		d->line_open = false;
	}
	if (!o->len || ends_with(o, "\n\n"))
		return;
	strbuf_addstr(o, ends_with(o, "\n") ? "\n" : "\n\n");
}

static void esc(struct rp_doc *d, const char *text)
{
	struct strbuf *o = d->out;
	/* no control character of the text reaches the document (a step's
	 * output, a note, a version are the store's, as given) */
	char *clean = xstrdup(text), *s = clean;
	util_scrub(clean, true);
	for (; *s; s++) {
		switch (*s) {
		case '\\': case '`': case '*': case '|': case '[': case ']': case '<': case '>':
			/* CommonMark takes any escaped punctuation literally: no tag, no cell break */
			strbuf_addch(o, '\\');
			strbuf_addch(o, *s);
			break;
		case '\n': case '\r': case '\t': strbuf_addch(o, ' '); break;
		default: strbuf_addch(o, *s);
		}
	}
	free(clean);
	d->line_open = true;
}

static void md_begin(struct rp_doc *d, const char *title)
{
	(void)d;
	(void)title;
}

static void md_end(struct rp_doc *d)
{
	if (d->line_open || !ends_with(d->out, "\n"))
		strbuf_addch(d->out, '\n');
	d->line_open = false;
}

static void md_toc(struct rp_doc *d, const char *const *titles, const char *const *anchors,
		   size_t n)
{
	/* the seed has no table of contents; GitHub draws one from the headings */
	(void)d;
	(void)titles;
	(void)anchors;
	(void)n;
}

static void md_heading_begin(struct rp_doc *d, int level, const char *anchor)
{
	(void)anchor;
	block(d);
	for (int i = 0; i < level; i++)
		strbuf_addch(d->out, '#');
	strbuf_addch(d->out, ' ');
}

static void md_heading_end(struct rp_doc *d, int level)
{
	(void)level;
	strbuf_addch(d->out, '\n');
	d->line_open = false;
}

static void md_rule(struct rp_doc *d)
{
	if (!d->out->len)
		return;
	block(d);
	strbuf_addstr(d->out, "---\n");
}

static void md_para_begin(struct rp_doc *d)
{
	block(d);
}

static void md_para_end(struct rp_doc *d)
{
	strbuf_addch(d->out, '\n');
	d->line_open = false;
}

static void md_text(struct rp_doc *d, const char *s)
{
	esc(d, s);
}

static void md_strong(struct rp_doc *d, const char *s)
{
	strbuf_addstr(d->out, "**");
	esc(d, s);
	strbuf_addstr(d->out, "**");
}

static void md_em(struct rp_doc *d, const char *s)
{
	/* spaces just inside the stars would stop the emphasis: keep them outside */
	size_t lead = strspn(s, " "), len = strlen(s), trail = 0;
	char *mid;
	while (trail < len - lead && s[len - 1 - trail] == ' ')
		trail++;
	strbuf_add(d->out, s, lead);
	if (lead == len)
		return;
	mid = xstrndup(s + lead, len - lead - trail);
	strbuf_addch(d->out, '*');
	esc(d, mid);
	strbuf_addch(d->out, '*');
	strbuf_add(d->out, s + len - trail, trail);
	free(mid);
}

static void md_code(struct rp_doc *d, const char *s)
{
	bool tick = strchr(s, '`') != NULL;
	strbuf_addstr(d->out, tick ? "`` " : "`");
	for (; *s; s++)
		strbuf_addch(d->out, *s == '\n' || *s == '\r' || *s == '|' ? ' ' : *s);
	strbuf_addstr(d->out, tick ? " ``" : "`");
	d->line_open = true;
}

static bool safe_href(const char *href)
{
	const char *colon = strchr(href, ':'), *slash = strchr(href, '/');
	if (!colon || (slash && slash < colon))
		return true; /* relative */
	return !strncmp(href, "http://", 7) || !strncmp(href, "https://", 8) ||
	       !strncmp(href, "mailto:", 7);
}

static void md_link(struct rp_doc *d, const char *label, const char *href)
{
	if (!safe_href(href)) {
		md_code(d, href);
		return;
	}
	strbuf_addch(d->out, '[');
	esc(d, label);
	strbuf_addstr(d->out, "](");
	if (strncmp(href, "http", 4) && strncmp(href, "mailto:", 7) && href[0] != '/' &&
	    href[0] != '.')
		strbuf_addstr(d->out, "./");
	for (const char *s = href; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c <= ' ' || c == '(' || c == ')' || c == '<' || c == '>' || c == '|' ||
		    c == '\\' || c == 0x7f)
			strbuf_addf(d->out, "%%%02X", c);
		else
			strbuf_addch(d->out, (char)c);
	}
	strbuf_addch(d->out, ')');
}

static void md_badge(struct rp_doc *d, enum rp_tone t, const char *label)
{
	strbuf_addstr(d->out, rp_tone_emoji(t));
	strbuf_addch(d->out, ' ');
	esc(d, label);
}

static void md_progress(struct rp_doc *d, int pct, enum rp_tone t)
{
	(void)t;
	strbuf_addstr(d->out, " `");
	for (int i = 0; i < 10; i++)
		strbuf_addstr(d->out, i < (pct + 5) / 10 ? "█" : "░");
	strbuf_addstr(d->out, "`");
}

static void md_field_begin(struct rp_doc *d, const char *label)
{
	/* consecutive fields are lines of one paragraph, joined by hard breaks */
	if (!ends_with(d->out, "  \n"))
		block(d);
	strbuf_addstr(d->out, "**");
	esc(d, label);
	strbuf_addstr(d->out, "**: ");
}

static void md_field_end(struct rp_doc *d)
{
	strbuf_addstr(d->out, "  \n");
	d->line_open = false;
}

static int indent_of(const struct rp_doc *d)
{
	int n = 0;
	for (int i = 0; i + 1 < d->depth && i < RP_MAX_DEPTH; i++)
		n += d->ordered[i] ? 3 : 2;
	return n;
}

static void md_list_begin(struct rp_doc *d, bool ordered)
{
	if (d->depth == 0) {
		block(d);
	} else if (d->line_open) {
		strbuf_addch(d->out, '\n');
		d->line_open = false;
	}
	if (d->depth < RP_MAX_DEPTH) {
		d->ordered[d->depth] = ordered;
		d->counter[d->depth] = 0;
	}
	d->depth++;
}

static void md_list_end(struct rp_doc *d)
{
	if (d->line_open) {
		strbuf_addch(d->out, '\n');
		d->line_open = false;
	}
	if (d->depth > 0)
		d->depth--;
}

static void md_item_begin(struct rp_doc *d, int check)
{
	int lvl = d->depth - 1;
	if (d->line_open) {
		strbuf_addch(d->out, '\n');
		d->line_open = false;
	}
	for (int i = indent_of(d); i > 0; i--)
		strbuf_addch(d->out, ' ');
	if (lvl >= 0 && lvl < RP_MAX_DEPTH && d->ordered[lvl])
		strbuf_addf(d->out, "%d. ", ++d->counter[lvl]);
	else
		strbuf_addstr(d->out, "- ");
	if (check >= 0)
		strbuf_addstr(d->out, check ? "[x] " : "[ ] ");
	d->line_open = true;
}

static void md_item_end(struct rp_doc *d)
{
	if (d->line_open)
		strbuf_addch(d->out, '\n');
	d->line_open = false;
}

static void md_table_begin(struct rp_doc *d, const char *const *heads, size_t n)
{
	block(d);
	strbuf_addch(d->out, '|');
	for (size_t i = 0; i < n; i++) {
		strbuf_addch(d->out, ' ');
		esc(d, heads[i]);
		strbuf_addstr(d->out, " |");
	}
	strbuf_addstr(d->out, "\n|");
	for (size_t i = 0; i < n; i++)
		strbuf_addstr(d->out, "---|");
	strbuf_addch(d->out, '\n');
	d->line_open = false;
	d->ncols = n;
}

static void md_table_end(struct rp_doc *d)
{
	d->ncols = 0;
}

static void md_row_begin(struct rp_doc *d)
{
	strbuf_addch(d->out, '|');
	d->line_open = true;
}

static void md_row_end(struct rp_doc *d)
{
	strbuf_addch(d->out, '\n');
	d->line_open = false;
}

static void md_cell_begin(struct rp_doc *d)
{
	strbuf_addch(d->out, ' ');
}

static void md_cell_end(struct rp_doc *d)
{
	strbuf_addstr(d->out, " |");
}

static void md_timeline_begin(struct rp_doc *d)
{
	block(d);
	strbuf_addstr(d->out, "```\n");
	d->timeline_months = 0;
}

static void raw_line_text(struct strbuf *o, const char *s)
{
	for (; s && *s; s++)
		strbuf_addch(o, *s == '\n' || *s == '\r' ? ' ' : *s);
}

static void md_timeline_month(struct rp_doc *d, const char *label)
{
	if (d->timeline_months++)
		strbuf_addch(d->out, '\n');
	raw_line_text(d->out, label);
	strbuf_addch(d->out, '\n');
}

static void md_timeline_entry(struct rp_doc *d, const char *when, const char *text, bool last,
			      bool today, enum rp_milestone mark)
{
	char label[64];
	snprintf(label, sizeof(label), "%s%s", when, today ? " (Today)" : "");
	strbuf_addf(d->out, "%s %-20s ", last ? "└─" : "├─", label);
	raw_line_text(d->out, text);
	if (mark == MS_DONE)
		strbuf_addstr(d->out, " ✓");
	else if (mark == MS_LATE)
		strbuf_addstr(d->out, " (late)");
	strbuf_addch(d->out, '\n');
}

static void md_timeline_end(struct rp_doc *d)
{
	strbuf_addstr(d->out, "```\n");
	d->line_open = false;
}

const struct rp_doc_ops rp_md_ops = {
	.begin = md_begin,
	.end = md_end,
	.toc = md_toc,
	.heading_begin = md_heading_begin,
	.heading_end = md_heading_end,
	.rule = md_rule,
	.para_begin = md_para_begin,
	.para_end = md_para_end,
	.text = md_text,
	.strong = md_strong,
	.em = md_em,
	.code = md_code,
	.link = md_link,
	.badge = md_badge,
	.progress = md_progress,
	.field_begin = md_field_begin,
	.field_end = md_field_end,
	.list_begin = md_list_begin,
	.list_end = md_list_end,
	.item_begin = md_item_begin,
	.item_end = md_item_end,
	.table_begin = md_table_begin,
	.table_end = md_table_end,
	.row_begin = md_row_begin,
	.row_end = md_row_end,
	.cell_begin = md_cell_begin,
	.cell_end = md_cell_end,
	.timeline_begin = md_timeline_begin,
	.timeline_month = md_timeline_month,
	.timeline_entry = md_timeline_entry,
	.timeline_end = md_timeline_end,
};

int rp_render_md(const struct plan *p, const struct state *st, int64_t now,
		 const struct report_links *links, struct strbuf *out)
{
	struct rp_doc d = { .ops = &rp_md_ops, .out = out, .links = links };
	rp_doc_write(&d, p, st, now);
	return 0;
}
