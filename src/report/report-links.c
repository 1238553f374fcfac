/*
 * report-links.c - the links of a report written to a file resolve from that
 * file's folder: a project's document (a path relative to the plan's folder)
 * and a step's log (under the store's log folder) become paths relative to
 * the folder the report is read from, wherever -o put it and wherever
 * tollgate was run from. URLs and absolute paths are kept as written.
 */
#include "report/report-int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void setlen(struct strbuf *sb, size_t n)
{
	sb->len = n;
	sb->buf[n] = '\0';
}

/* path made absolute (from the current folder) and normalised: no ".", no
 * "..", no doubled '/'; its deepest folder that exists resolved (symlinks
 * too), so that two spellings of one place compare equal. */
static char *absolute(const char *path)
{
	struct strbuf n = STRBUF_INIT, sb = STRBUF_INIT;
	char *buf, *save = NULL, *tok, cwd[PATH_MAX];

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)))
		strbuf_addstr(&sb, cwd);
	strbuf_addch(&sb, '/');
	strbuf_addstr(&sb, path);
	buf = strbuf_detach(&sb);
	strbuf_addch(&n, '/');
	for (tok = strtok_r(buf, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		if (!strcmp(tok, "."))
			continue;
		if (!strcmp(tok, "..")) {
			char *slash = strrchr(n.buf, '/');
			setlen(&n, slash && slash != n.buf ? (size_t)(slash - n.buf) : 1);
			continue;
		}
		if (n.len > 1)
			strbuf_addch(&n, '/');
		strbuf_addstr(&n, tok);
	}
	free(buf);
	/* resolve the deepest prefix that exists; keep the rest as written */
	for (size_t cut = n.len; cut > 0;) {
		char saved = n.buf[cut], *real;
		n.buf[cut] = '\0';
		real = realpath(n.buf, NULL);
		n.buf[cut] = saved;
		if (real) {
			strbuf_addstr(&sb, real);
			if (sb.len > 1 && cut < n.len)
				strbuf_addstr(&sb, n.buf + cut);
			else if (cut < n.len)
				strbuf_addstr(&sb, n.buf + cut + 1);
			free(real);
			strbuf_release(&n);
			return strbuf_detach(&sb);
		}
		while (cut > 0 && n.buf[--cut] != '/')
			;
		if (cut == 0)
			break;
	}
	return strbuf_detach(&n);
}

/* target relative to the folder base (both absolute and normalised). */
static char *relative(const char *target, const char *base)
{
	struct strbuf sb = STRBUF_INIT;
	size_t common = 0;

	/* the longest prefix of whole components the two share */
	for (size_t i = 0;; i++) {
		char a = target[i], b = base[i];
		if (i > 0 && (a == '/' || !a) && (b == '/' || !b))
			common = i;
		if (a != b || !a)
			break;
	}
	for (const char *s = base + common; *s; s++)
		if (*s == '/' && s[1])
			strbuf_addstr(&sb, "../");
	target += common;
	if (*target == '/')
		target++;
	strbuf_addstr(&sb, target);
	if (!sb.len)
		strbuf_addch(&sb, '.');
	else if (sb.buf[sb.len - 1] == '/')
		setlen(&sb, sb.len - 1);
	return strbuf_detach(&sb);
}

static bool is_url(const char *s)
{
	return strstr(s, "://") || !strncmp(s, "mailto:", 7);
}

char *rp_link(const struct report_links *l, const char *target, enum rp_link_kind kind)
{
	const char *runs;
	char *abs_target, *abs_from, *joined, *out;

	if (!l || !l->from_dir || is_url(target))
		return xstrdup(target);
	if (kind == RP_LINK_LOG && l->log_dir && (runs = strstr(target, "runs/")) &&
	    (runs == target || runs[-1] == '/')) {
		/* the log's place under the store's log folder, however the run
		 * that wrote it spelled that folder (from its own current folder) */
		const char *last;
		while ((last = strstr(runs + 1, "/runs/")))
			runs = last + 1;
		joined = xasprintf("%s/%s", l->log_dir, runs);
	} else if (target[0] == '/') {
		joined = xstrdup(target);
	} else if (kind == RP_LINK_DOC && l->plan_dir) {
		joined = xasprintf("%s/%s", l->plan_dir, target);
	} else {
		joined = xstrdup(target);
	}
	abs_target = absolute(joined);
	abs_from = absolute(l->from_dir);
	out = relative(abs_target, abs_from);
	free(joined);
	free(abs_target);
	free(abs_from);
	return out;
}
