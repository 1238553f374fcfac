/*
 * cmd-report.c - `tollgate report [--format md|html|json] [-o FILE]`: the
 * living master plan. The plan and the live state (read from the store in
 * one transaction, report_state_load) are rendered in memory first; -o then
 * replaces FILE atomically (a temporary file in the same folder, fsync,
 * rename), so a reader never sees half a report and a failure leaves the old
 * file as it was. Its links (project documents, step logs) are written
 * relative to the folder the report lands in.
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/state.h"
#include "plan/plan.h"
#include "report/report.h"
#include "store/store.h"

static const struct cmd_opt report_opts[] = {
	{ "format", 'f', true, false, "md (default), html or json; --json means json" },
	{ "output", 'o', true, false, "write the report to FILE (atomically) instead of stdout" },
	{ NULL, 0, false, false, NULL },
};

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Replace path with data: all of it or, on failure, nothing. */
static int write_atomic(const char *path, const char *data, size_t len, struct err *e)
{
	const char *slash = strrchr(path, '/');
	char *tmp;
	struct stat sb;
	mode_t mode, mask;
	int fd, saved;

	if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
		return err_set(e, ERR_USAGE, "'%s' is a folder; give -o a file name", path);
	if (slash)
		tmp = xasprintf("%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	else
		tmp = xasprintf(".%s.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		saved = errno;
		free(tmp);
		return err_set(e, ERR_FAILED, "cannot write '%s': %s", path, strerror(saved));
	}
	/* mkstemp makes 0600; a report is as readable as any file the user creates */
	mask = umask(0);
	umask(mask);
	mode = !stat(path, &sb) ? (sb.st_mode & 07777) : (0666 & ~mask);
	if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		saved = errno;
		close(fd);
		goto fail;
	}
	if (close(fd) < 0) {
		saved = errno;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		saved = errno;
		goto fail;
	}
	free(tmp);
	return 0;
fail:
	unlink(tmp);
	free(tmp);
	return err_set(e, ERR_FAILED, "cannot write '%s': %s", path, strerror(saved));
}

static int pick_format(const struct app *app, const struct cmd_args *args,
		       enum report_format *out)
{
	const char *name = cmd_opt(args, "format");
	if (!name) {
		*out = app->json ? REPORT_JSON : REPORT_MD;
		return 0;
	}
	if (report_format_parse(name, out) < 0) {
		const char *s = report_format_suggest(name);
		if (s)
			return cmd_error(EXIT_USAGE, "unknown report format '%s'; did you mean '%s'?",
					 name, s);
		return cmd_error(EXIT_USAGE, "unknown report format '%s'; use md, html or json", name);
	}
	if (app->json && *out != REPORT_JSON)
		return cmd_error(EXIT_USAGE, "--json asks for json but --format says '%s'; drop one",
				 name);
	return 0;
}

static int report_exec(struct app *app, struct cmd_args *args)
{
	struct strbuf out = STRBUF_INIT;
	struct state st;
	enum report_format format;
	const char *path = cmd_opt(args, "output");
	struct report_links links = { 0 };
	char *from = NULL;
	struct err e;
	int rc;

	err_init(&e);
	rc = pick_format(app, args, &format);
	if (rc)
		return rc;
	/* the live state, its logs and the audit log's tail: one store read */
	if (report_state_load(&st, app->plan, app->store, app->now, &e) < 0)
		return cmd_err(&e);
	/* links open from where the report is read: the -o file's folder */
	from = path && strcmp(path, "-") && strrchr(path, '/')
		       ? xasprintf("%.*s", (int)(strrchr(path, '/') - path), path)
		       : xstrdup(".");
	links.from_dir = *from ? from : "/";
	links.plan_dir = app->plan->dir;
	links.log_dir = store_log_dir(app->store);
	if (report_render_to(app->plan, &st, format, app->now, &links, &out, &e) < 0) {
		rc = cmd_err(&e);
		goto out;
	}
	if (path && strcmp(path, "-")) {
		if (write_atomic(path, out.buf, out.len, &e) < 0)
			rc = cmd_err(&e);
	} else if (out.len && fwrite(out.buf, 1, out.len, stdout) != out.len) {
		rc = cmd_error(EXIT_FAILED, "could not write the report to stdout");
	}
out:
	free(from);
	state_release(&st);
	strbuf_release(&out);
	return rc;
}

/* the report carries its rehearsal banner inside the document */
static bool report_plain_stdout(const struct cmd_args *args)
{
	(void)args;
	return true;
}

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.usage = "[--format md|html|json] [-o FILE]",
	.summary = "renders the living master plan from the plan and the live state",
	.help = "The report has the sections of the master promotion plan: summary, waves,\n"
		"timeline, project plans, checklist, gates, risks, communication, success\n"
		"criteria, rollback, post-promotion, resources, blockers, change log and next\n"
		"steps, each filled from the plan and what has happened since.\n"
		"The change log holds the plan's own entries ('changelog') and its changes (ids\n"
		"moved, state forgotten, a new plan loaded by the server); what people and\n"
		"tollgate did is summarised under Activity: entries per day and kind, and the\n"
		"last 10 ('tollgate log' has them all).\n"
		"With -o, links to the projects' documents and the steps' logs are written\n"
		"relative to FILE's folder, so they open from where the report is.\n"
		"html is one self-contained page (no network), ready to print.\n",
	.examples = "tollgate report -o PLAN.md\n"
		    "tollgate report --format html -o site/plan.html\n"
		    "tollgate report --json | jq .summary\n",
	.opts = report_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = report_exec,
	.plain_stdout = report_plain_stdout,
};
