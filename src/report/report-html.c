/*
 * report-html.c - the report as one self-contained HTML5 page: inline CSS,
 * no font, script, image or any other request, a table of contents on screen
 * and one major section per printed page. Every plan string goes through
 * esc(), and links only keep relative, http(s) and mailto targets, so a plan
 * cannot inject markup or script into the page.
 */
#include "report/report-int.h"

#include <stdlib.h>
#include <string.h>

static const char css[] =
	":root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--head:#f6f8fa;"
	"--accent:#0969da;--ok:#1a7f37;--ok-bg:#dafbe1;--progress:#0550ae;--progress-bg:#ddf4ff;"
	"--warn:#7d4e00;--warn-bg:#fff8c5;--bad:#a40e26;--bad-bg:#ffebe9;--none:#59636e;"
	"--none-bg:#eff2f5}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 system-ui,-apple-system,"
	"\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,sans-serif}\n"
	"main{max-width:1120px;margin:0 auto;padding:32px 24px 64px}\n"
	"h1{font-size:1.9em;margin:0 0 .6em;line-height:1.25}\n"
	"h2{font-size:1.45em;margin:0 0 .7em;padding-bottom:.3em;border-bottom:1px solid var(--line)}\n"
	"h3{font-size:1.15em;margin:1.4em 0 .5em}\n"
	"h4{font-size:.95em;margin:1em 0 .3em;letter-spacing:.06em;color:var(--muted)}\n"
	"section.major{margin-top:2.6em}\n"
	"p{margin:.5em 0}\n"
	"p.field{margin:.15em 0}\n"
	".label{font-weight:600}\n"
	"a{color:var(--accent)}\n"
	"code{font:.88em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--head);"
	"padding:.1em .35em;border-radius:4px}\n"
	".table-wrap{overflow-x:auto;margin:.8em 0}\n"
	"table{border-collapse:collapse;width:100%;font-size:.95em}\n"
	"th,td{border:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}\n"
	"th{background:var(--head);font-weight:600}\n"
	"tbody tr:nth-child(even){background:#fafbfc}\n"
	"ul,ol{margin:.4em 0;padding-left:1.6em}\n"
	"li{margin:.2em 0}\n"
	"li.task{list-style:none;margin-left:-1.3em}\n"
	".box{display:inline-block;width:1.2em;font-weight:700}\n"
	"li.task.done>.box{color:var(--ok)}\n"
	"li.task.open>.box{color:var(--muted)}\n"
	".badge{display:inline-block;padding:.05em .55em;border-radius:999px;font-size:.8em;"
	"font-weight:600;line-height:1.5;white-space:nowrap;border:1px solid transparent;"
	"vertical-align:middle}\n"
	".badge.ok{color:var(--ok);background:var(--ok-bg);border-color:#a6e2b3}\n"
	".badge.progress{color:var(--progress);background:var(--progress-bg);border-color:#a8d4ff}\n"
	".badge.warn{color:var(--warn);background:var(--warn-bg);border-color:#eed888}\n"
	".badge.bad{color:var(--bad);background:var(--bad-bg);border-color:#ffc1ba}\n"
	".badge.none{color:var(--none);background:var(--none-bg);border-color:var(--line)}\n"
	"progress.bar{-webkit-appearance:none;appearance:none;width:120px;height:.75em;"
	"margin-left:.6em;border:1px solid var(--line);border-radius:999px;overflow:hidden;"
	"background:var(--none-bg);color:var(--accent);vertical-align:middle}\n"
	"progress.bar::-webkit-progress-bar{background:var(--none-bg)}\n"
	"progress.bar::-webkit-progress-value{background:currentColor}\n"
	"progress.bar::-moz-progress-bar{background:currentColor}\n"
	"progress.bar.ok{color:var(--ok)}progress.bar.warn{color:#bf8700}"
	"progress.bar.bad{color:#cf222e}\n"
	"nav.toc{margin:1.4em 0;padding:.8em 1.2em;background:var(--head);border:1px solid var(--line);"
	"border-radius:8px}\n"
	"nav.toc ol{columns:2;margin:.3em 0}\n"
	".timeline ul{list-style:none;padding-left:0;border-left:2px solid var(--line);margin-left:.4em}\n"
	".timeline li{padding-left:1em;position:relative}\n"
	".timeline li::before{content:\"\";position:absolute;left:-6px;top:.55em;width:10px;"
	"height:10px;border-radius:50%;background:var(--line)}\n"
	".timeline li.past::before{background:var(--ok)}\n"
	".timeline li.today::before{background:var(--accent)}\n"
	".timeline li.today{font-weight:600}\n"
	".when{display:inline-block;min-width:8.5em;color:var(--muted);font-variant-numeric:tabular-nums}\n"
	"hr{border:0;border-top:1px solid var(--line);margin:2.4em 0 1.2em}\n"
	"@page{margin:16mm 14mm}\n"
	"@media print{\n"
	"body{font-size:10pt}\n"
	"main{max-width:none;padding:0}\n"
	"nav.toc{display:none}\n"
	"section.major{break-before:page;margin-top:0}\n"
	"section.major.first{break-before:auto}\n"
	"h2,h3,h4{break-after:avoid}\n"
	"tr,li,p.field{break-inside:avoid}\n"
	"thead{display:table-header-group}\n"
	".table-wrap{overflow:visible}\n"
	"a{color:inherit;text-decoration:none}\n"
	".badge,progress.bar,th,.timeline li::before{-webkit-print-color-adjust:exact;"
	"print-color-adjust:exact}\n"
	"}\n";

/* Escape for text and attribute values alike. */
static void esc_to(struct strbuf *o, const char *text)
{
	/* no control character of the text reaches the page (see report-md.c) */
	char *clean = text ? xstrdup(text) : NULL, *s = clean;
	if (clean)
		util_scrub(clean, true);
	for (; s && *s; s++) {
		switch (*s) {
		case '&': strbuf_addstr(o, "&amp;"); break;
		case '<': strbuf_addstr(o, "&lt;"); break;
		case '>': strbuf_addstr(o, "&gt;"); break;
		case '"': strbuf_addstr(o, "&quot;"); break;
		case '\'': strbuf_addstr(o, "&#39;"); break;
		case '\r': break;
		default: strbuf_addch(o, *s);
		}
	}
	free(clean);
}

static void esc(struct rp_doc *d, const char *s)
{
	esc_to(d->out, s);
}

static void close_section(struct rp_doc *d)
{
	if (d->section_open)
		strbuf_addstr(d->out, "</section>\n");
	d->section_open = false;
}

static void html_begin(struct rp_doc *d, const char *title)
{
	strbuf_addstr(d->out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
			      "<meta name=\"generator\" content=\"tollgate\">\n<title>");
	esc(d, title);
	strbuf_addstr(d->out, "</title>\n<style>\n");
	strbuf_addstr(d->out, css);
	strbuf_addstr(d->out, "</style>\n</head>\n<body>\n<main>\n<header>\n");
}

static void html_end(struct rp_doc *d)
{
	close_section(d);
	if (d->footer_open)
		strbuf_addstr(d->out, "</footer>\n");
	strbuf_addstr(d->out, "</main>\n</body>\n</html>\n");
}

static void html_toc(struct rp_doc *d, const char *const *titles, const char *const *anchors,
		     size_t n)
{
	strbuf_addstr(d->out, "<nav class=\"toc\" aria-label=\"Contents\">\n<strong>Contents</strong>\n<ol>\n");
	for (size_t i = 0; i < n; i++) {
		strbuf_addstr(d->out, "<li><a href=\"#");
		esc(d, anchors[i]);
		strbuf_addstr(d->out, "\">");
		esc(d, titles[i]);
		strbuf_addstr(d->out, "</a></li>\n");
	}
	strbuf_addstr(d->out, "</ol>\n</nav>\n</header>\n");
}

static void html_heading_begin(struct rp_doc *d, int level, const char *anchor)
{
	if (level == 2) {
		close_section(d);
		strbuf_addstr(d->out, "<section class=\"major");
		if (d->first_section)
			strbuf_addstr(d->out, " first");
		d->first_section = false;
		strbuf_addstr(d->out, "\"");
		if (anchor) {
			strbuf_addstr(d->out, " id=\"");
			esc(d, anchor);
			strbuf_addstr(d->out, "\"");
		}
		strbuf_addstr(d->out, ">\n<h2>");
		d->section_open = true;
		return;
	}
	strbuf_addf(d->out, "<h%d", level);
	if (anchor && level != 1) {
		strbuf_addstr(d->out, " id=\"");
		esc(d, anchor);
		strbuf_addstr(d->out, "\"");
	}
	strbuf_addch(d->out, '>');
}

static void html_heading_end(struct rp_doc *d, int level)
{
	strbuf_addf(d->out, "</h%d>\n", level);
}

static void html_rule(struct rp_doc *d)
{
	/* a rule separates sections in md; in html it only opens the footer */
	(void)d;
}

static void html_para_begin(struct rp_doc *d)
{
	strbuf_addstr(d->out, "<p>");
}

static void html_para_end(struct rp_doc *d)
{
	strbuf_addstr(d->out, "</p>\n");
}

static void html_text(struct rp_doc *d, const char *s)
{
	esc(d, s);
}

static void html_strong(struct rp_doc *d, const char *s)
{
	strbuf_addstr(d->out, "<strong>");
	esc(d, s);
	strbuf_addstr(d->out, "</strong>");
}

static void html_em(struct rp_doc *d, const char *s)
{
	strbuf_addstr(d->out, "<em>");
	esc(d, s);
	strbuf_addstr(d->out, "</em>");
}

static void html_code(struct rp_doc *d, const char *s)
{
	strbuf_addstr(d->out, "<code>");
	esc(d, s);
	strbuf_addstr(d->out, "</code>");
}

static bool safe_href(const char *href)
{
	const char *colon = strchr(href, ':'), *slash = strchr(href, '/');
	for (const char *s = href; *s; s++)
		if ((unsigned char)*s < ' ' || *s == '\\')
			return false;
	if (!colon || (slash && slash < colon))
		return true; /* relative: no scheme */
	return !strncmp(href, "http://", 7) || !strncmp(href, "https://", 8) ||
	       !strncmp(href, "mailto:", 7);
}

static void html_link(struct rp_doc *d, const char *label, const char *href)
{
	if (!safe_href(href)) {
		html_code(d, href);
		return;
	}
	strbuf_addstr(d->out, "<a href=\"");
	esc(d, href);
	strbuf_addstr(d->out, "\">");
	esc(d, label);
	strbuf_addstr(d->out, "</a>");
}

static void html_badge(struct rp_doc *d, enum rp_tone t, const char *label)
{
	strbuf_addf(d->out, "<span class=\"badge %s\">", rp_tone_class(t));
	esc(d, label);
	strbuf_addstr(d->out, "</span>");
}

static void html_progress(struct rp_doc *d, int pct, enum rp_tone t)
{
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	strbuf_addf(d->out, " <progress class=\"bar %s\" value=\"%d\" max=\"100\">%d%%</progress>",
		    rp_tone_class(t), pct, pct);
}

static void html_field_begin(struct rp_doc *d, const char *label)
{
	/* the fields after the last section are the footer */
	if (d->section_open) {
		close_section(d);
		strbuf_addstr(d->out, "<hr>\n<footer>\n");
		d->footer_open = true;
	}
	strbuf_addstr(d->out, "<p class=\"field\"><span class=\"label\">");
	esc(d, label);
	strbuf_addstr(d->out, ":</span> ");
}

static void html_field_end(struct rp_doc *d)
{
	strbuf_addstr(d->out, "</p>\n");
}

static void html_list_begin(struct rp_doc *d, bool ordered)
{
	strbuf_addstr(d->out, ordered ? "<ol>\n" : "<ul>\n");
	if (d->depth < RP_MAX_DEPTH)
		d->ordered[d->depth] = ordered;
	d->depth++;
}

static void html_list_end(struct rp_doc *d)
{
	if (d->depth > 0)
		d->depth--;
	strbuf_addstr(d->out, d->depth < RP_MAX_DEPTH && d->ordered[d->depth] ? "</ol>\n"
									   : "</ul>\n");
}

static void html_item_begin(struct rp_doc *d, int check)
{
	if (check < 0)
		strbuf_addstr(d->out, "<li>");
	else if (check)
		strbuf_addstr(d->out, "<li class=\"task done\"><span class=\"box\" role=\"img\" "
				      "aria-label=\"done\">&#9745;</span>");
	else
		strbuf_addstr(d->out, "<li class=\"task open\"><span class=\"box\" role=\"img\" "
				      "aria-label=\"not done\">&#9744;</span>");
}

static void html_item_end(struct rp_doc *d)
{
	strbuf_addstr(d->out, "</li>\n");
}

static void html_table_begin(struct rp_doc *d, const char *const *heads, size_t n)
{
	strbuf_addstr(d->out, "<div class=\"table-wrap\"><table>\n<thead><tr>");
	for (size_t i = 0; i < n; i++) {
		strbuf_addstr(d->out, "<th scope=\"col\">");
		esc(d, heads[i]);
		strbuf_addstr(d->out, "</th>");
	}
	strbuf_addstr(d->out, "</tr></thead>\n<tbody>\n");
}

static void html_table_end(struct rp_doc *d)
{
	strbuf_addstr(d->out, "</tbody>\n</table></div>\n");
}

static void html_row_begin(struct rp_doc *d)
{
	strbuf_addstr(d->out, "<tr>");
}

static void html_row_end(struct rp_doc *d)
{
	strbuf_addstr(d->out, "</tr>\n");
}

static void html_cell_begin(struct rp_doc *d)
{
	strbuf_addstr(d->out, "<td>");
}

static void html_cell_end(struct rp_doc *d)
{
	strbuf_addstr(d->out, "</td>");
}

static void html_timeline_begin(struct rp_doc *d)
{
	strbuf_addstr(d->out, "<div class=\"timeline\">\n");
	d->timeline_months = 0;
}

static void html_timeline_month(struct rp_doc *d, const char *label)
{
	if (d->timeline_months++)
		strbuf_addstr(d->out, "</ul>\n");
	strbuf_addstr(d->out, "<h4>");
	esc(d, label);
	strbuf_addstr(d->out, "</h4>\n<ul>\n");
}

static void html_timeline_entry(struct rp_doc *d, const char *when, const char *text,
				bool last, bool today, enum rp_milestone mark)
{
	(void)last;
	strbuf_addf(d->out, "<li%s><span class=\"when\">",
		    today ? " class=\"today\"" : mark == MS_DONE ? " class=\"past\"" : "");
	esc(d, when);
	if (today)
		strbuf_addstr(d->out, " (Today)");
	strbuf_addstr(d->out, "</span> ");
	esc(d, text);
	if (mark == MS_DONE)
		strbuf_addstr(d->out, " ✓");
	else if (mark == MS_LATE)
		strbuf_addstr(d->out, " <span class=\"badge bad\">late</span>");
	strbuf_addstr(d->out, "</li>\n");
}

static void html_timeline_end(struct rp_doc *d)
{
	if (d->timeline_months)
		strbuf_addstr(d->out, "</ul>\n");
	strbuf_addstr(d->out, "</div>\n");
}

const struct rp_doc_ops rp_html_ops = {
	.begin = html_begin,
	.end = html_end,
	.toc = html_toc,
	.heading_begin = html_heading_begin,
	.heading_end = html_heading_end,
	.rule = html_rule,
	.para_begin = html_para_begin,
	.para_end = html_para_end,
	.text = html_text,
	.strong = html_strong,
	.em = html_em,
	.code = html_code,
	.link = html_link,
	.badge = html_badge,
	.progress = html_progress,
	.field_begin = html_field_begin,
	.field_end = html_field_end,
	.list_begin = html_list_begin,
	.list_end = html_list_end,
	.item_begin = html_item_begin,
	.item_end = html_item_end,
	.table_begin = html_table_begin,
	.table_end = html_table_end,
	.row_begin = html_row_begin,
	.row_end = html_row_end,
	.cell_begin = html_cell_begin,
	.cell_end = html_cell_end,
	.timeline_begin = html_timeline_begin,
	.timeline_month = html_timeline_month,
	.timeline_entry = html_timeline_entry,
	.timeline_end = html_timeline_end,
};

int rp_render_html(const struct plan *p, const struct state *st, int64_t now,
		   const struct report_links *links, struct strbuf *out)
{
	struct rp_doc d = { .ops = &rp_html_ops, .out = out, .links = links };
	rp_doc_write(&d, p, st, now);
	return 0;
}
