/*
 * cmd-import.c - `tollgate import PLAN.md [-o FILE] [--force] [--state
 * [--versions FILE]]`: a Markdown master plan turned into a plan file
 * (import/import.h), with a summary of what each section became and what
 * the team must still decide; with --state, the state the document records
 * written into the store, each entry audited as imported from FILE:LINE.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "engine/actions.h"
#include "engine/encode.h"
#include "import/import.h"
#include "plan/plan.h"
#include "store/store.h"

#define IMPORT_FILE_MAX (16u << 20)

/* Write text to path through a temporary file in the same folder, so that
 * path is either the old file or the whole new one: renamed over it with
 * force, else linked to it (which fails when path exists, even when it
 * appeared meanwhile). */
static int write_atomic(const char *path, const char *text, size_t len, bool force)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	struct stat st;
	int fd, rc = EXIT_OK;

	if (!force && lstat(path, &st) == 0) {
		free(tmp);
		return cmd_error(EXIT_USAGE, "'%s' already exists; not overwriting it (--force to "
					     "replace it)",
				 path);
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		rc = cmd_error(EXIT_FAILED, "cannot create a file beside '%s': %s", path,
			       strerror(errno));
		free(tmp);
		return rc;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = cmd_error(EXIT_FAILED, "cannot write '%s': %s", tmp, strerror(errno));
			break;
		}
		off += (size_t)w;
	}
	if (rc == EXIT_OK && (fchmod(fd, 0644) < 0 || fsync(fd) < 0))
		rc = cmd_error(EXIT_FAILED, "cannot write '%s': %s", tmp, strerror(errno));
	if (close(fd) < 0 && rc == EXIT_OK)
		rc = cmd_error(EXIT_FAILED, "cannot write '%s': %s", tmp, strerror(errno));
	if (rc == EXIT_OK && !force && link(tmp, path) < 0)
		rc = errno == EEXIST ? cmd_error(EXIT_USAGE, "'%s' already exists; not overwriting "
							     "it (--force to replace it)",
						 path)
				     : cmd_error(EXIT_FAILED, "cannot write '%s': %s", path,
						 strerror(errno));
	else if (rc == EXIT_OK && force && rename(tmp, path) < 0)
		rc = cmd_error(EXIT_FAILED, "cannot write '%s': %s", path, strerror(errno));
	if (rc != EXIT_OK || !force)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* The folder of file, resolved (realpath), or NULL. */
static char *folder_of(const char *file)
{
	char *copy = xstrdup(file), *dir = realpath(dirname(copy), NULL);
	free(copy);
	return dir;
}

/* The relative path from the plan's folder to the document's, ending in
 * '/' ("" when they are one folder): what goes before the document's
 * relative links. NULL when a folder cannot be resolved. */
static char *doc_prefix(const char *md, const char *plan)
{
	char *from = folder_of(plan), *to = folder_of(md), *out = NULL;
	struct strbuf sb = STRBUF_INIT;
	size_t common = 0;
	if (!from || !to)
		goto done;
	/* the longest common prefix of whole components */
	for (size_t i = 0;; i++) {
		bool end_a = !from[i] || from[i] == '/', end_b = !to[i] || to[i] == '/';
		if (end_a && end_b)
			common = i;
		if (!from[i] || !to[i] || from[i] != to[i])
			break;
	}
	for (const char *p = from + common; *p; p++)
		if (*p == '/')
			strbuf_addstr(&sb, "../");
	if (to[common] == '/' && to[common + 1])
		strbuf_addf(&sb, "%s/", to + common + 1);
	out = strbuf_detach(&sb);
done:
	strbuf_release(&sb);
	free(from);
	free(to);
	return out;
}

static void print_lines(FILE *f, const char *file, const struct import_lines *l,
			const char *indent)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].line > 0)
			fprintf(f, "%s%s:%d: %s\n", indent, file, l->v[i].line, l->v[i].text);
		else
			fprintf(f, "%s%s\n", indent, l->v[i].text);
	}
}

static json_t *lines_json(const struct import_lines *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_pack("{s:i, s:o}", "line", l->v[i].line, "text",
						   encode_string(l->v[i].text)));
	return a;
}

static const char *fact_name(enum import_fact_kind k)
{
	switch (k) {
	case IMPORT_TICK: return "check";
	case IMPORT_PROGRESS: return "blocker";
	case IMPORT_GATE: return "approve";
	case IMPORT_READY: return "record";
	}
	return "?";
}

struct state_print {
	FILE *out;     /* the summary's stream, NULL with --json */
	json_t *json;  /* the "state" array with --json */
	size_t written, held, skipped;
};

static void print_outcome(void *ctx, const struct import_outcome *o)
{
	struct state_print *sp = ctx;
	const char *again = o->written ? "" : " (already)";
	if (o->skipped) {
		cmd_warn("%s: gate '%s' is passed in the document but not approved: %s", o->from,
			 o->id, o->skipped);
		sp->skipped++;
	} else {
		sp->written += o->written;
		sp->held += !o->written;
	}
	if (sp->json) {
		json_t *x = json_pack("{s:s, s:s, s:s, s:b}", "action", fact_name(o->kind), "id",
				      o->id, "from", o->from, "written", o->written);
		if (o->skipped)
			json_object_set_new(x, "skipped", encode_string(o->skipped));
		json_array_append_new(sp->json, x);
	}
	if (!sp->out || o->skipped)
		return;
	switch (o->kind) {
	case IMPORT_READY:
		fprintf(sp->out, "  %s: %s %s healthy in %s%s\n", o->from, o->id, o->version, o->env,
			again);
		break;
	case IMPORT_TICK:
		fprintf(sp->out, "  %s: ticked '%s'%s\n", o->from, o->id, again);
		break;
	case IMPORT_PROGRESS:
		fprintf(sp->out, "  %s: blocker '%s' at %d%%%s\n", o->from, o->id, o->progress, again);
		break;
	case IMPORT_GATE:
		fprintf(sp->out, "  %s: gate approved (as import) for '%s'%s\n", o->from, o->id, again);
		break;
	}
}

/* --state: the document's state into the store of the plan just written. */
static int import_state(struct app *app, const char *md, const char *plan_path,
			const char *versions, const struct import_result *r, FILE *out,
			json_t *jstate)
{
	struct plan_diags diags;
	struct plan *plan = NULL;
	struct store *store = NULL;
	struct store_open_opts so = { 0 };
	struct action_ctx c = { 0 };
	struct action_versions l = { 0 };
	struct state_print sp = { out, jstate, 0, 0, 0 };
	struct strbuf sb = STRBUF_INIT;
	struct err e;
	const char *pinned = getenv("TOLLGATE_NOW");
	int rc = EXIT_OK;

	err_init(&e);
	plan_diags_init(&diags, plan_path);
	plan = plan_load(plan_path, &diags);
	if (!plan) {
		rc = cmd_error(EXIT_FAILED, "%s: the imported plan does not load; nothing written "
					    "to the store",
			       plan_path);
		goto out;
	}
	if (versions) {
		if (strbuf_read_file(&sb, versions, 64u << 20) < 0) {
			rc = cmd_error(EXIT_USAGE, "cannot read versions file '%s': %s", versions,
				       strerror(errno));
			goto out;
		}
		if (action_parse_versions(plan, versions, sb.buf ? sb.buf : "", sb.len, &l, &e) < 0) {
			for (size_t i = 0; l.nproblems > 1 && i < l.nproblems; i++)
				fprintf(stderr, "%s\n", l.problems[i]);
			rc = cmd_err(&e);
			goto out;
		}
	}
	so.rehearsal = pinned && *pinned;
	if (store_open_with(&store, plan, app->db_url, &so, &e) < 0) {
		rc = cmd_err(&e);
		goto out;
	}
	if (so.rehearsal && !store_is_rehearsal(store)) {
		rc = cmd_error(EXIT_USAGE, "the store '%s' runs on the real clock: TOLLGATE_NOW is "
					   "only for a rehearsal store; unset TOLLGATE_NOW",
			       store_display_url(store));
		goto out;
	}
	c.plan = plan;
	c.store = store;
	c.now = app->now;
	if (import_write_state(&c, r, md, versions ? &l : NULL, versions, print_outcome, &sp, &e) < 0)
		rc = cmd_err(&e);
	if (out)
		fprintf(out, "state: %zu written to %s, %zu held already%s\n", sp.written,
			store_display_url(store), sp.held,
			sp.skipped ? "; some gates not approved (see the warnings)" : "");
out:
	action_versions_release(&l);
	strbuf_release(&sb);
	store_close(store);
	plan_free(plan);
	plan_diags_release(&diags);
	return rc;
}

static int import_exec(struct app *app, struct cmd_args *args)
{
	const char *md = args->argv[0], *outp = cmd_opt(args, "output");
	const char *versions = cmd_opt(args, "versions");
	bool force = cmd_flag(args, "force"), state = cmd_flag(args, "state");
	struct strbuf sb = STRBUF_INIT;
	struct import_result r;
	struct plan_diags diags;
	struct plan *check;
	struct err e;
	FILE *sum;
	json_t *j = NULL, *jstate = NULL;
	char *prefix;
	size_t nready = 0;
	int rc;

	if (versions && !state)
		return cmd_error(EXIT_USAGE, "--versions FILE goes with --state (the versions of "
					     "the source environment to write)");
	if (state && !outp)
		return cmd_error(EXIT_USAGE, "--state needs -o FILE: the state belongs to the plan "
					     "written there");
	if (app->json && !outp)
		return cmd_error(EXIT_USAGE, "--json needs -o FILE (the plan goes to the file, the "
					     "summary to stdout as JSON)");
	if (strbuf_read_file(&sb, md, IMPORT_FILE_MAX) < 0) {
		int saved = errno;
		strbuf_release(&sb);
		return cmd_error(EXIT_USAGE, "cannot read '%s': %s", md,
				 saved == EFBIG    ? "larger than 16 MiB"
				 : saved == ENODEV ? "not a regular file"
				 : saved == EISDIR ? "a folder; give the master plan's .md file"
						   : strerror(saved));
	}
	err_init(&e);
	prefix = outp ? doc_prefix(md, outp) : NULL;
	rc = import_markdown_from(md, sb.buf ? sb.buf : "", sb.len, prefix, &r, &e);
	strbuf_release(&sb);
	free(prefix);
	if (rc < 0)
		return cmd_err(&e);

	/* what it made must be a plan tollgate takes */
	plan_diags_init(&diags, outp ? outp : "<imported plan>");
	check = plan_load_buffer(outp ? outp : "<imported plan>", r.yaml, r.yaml_len, &diags);
	if (!check) {
		plan_diags_sort(&diags);
		for (size_t i = 0; i < diags.n; i++)
			if (diags.v[i].kind == DIAG_ERROR)
				fprintf(stderr, "%s:%d:%d: error: %s\n", diags.file, diags.v[i].line,
					diags.v[i].col, diags.v[i].msg);
		plan_diags_release(&diags);
		import_result_release(&r);
		return cmd_error(EXIT_FAILED, "the plan imported from '%s' does not validate (a bug "
					      "of import: please report it with the document); "
					      "nothing written",
				 md);
	}
	plan_free(check);

	if (outp) {
		rc = write_atomic(outp, r.yaml, r.yaml_len, force);
		if (rc) {
			plan_diags_release(&diags);
			import_result_release(&r);
			return rc;
		}
	} else {
		fwrite(r.yaml, 1, r.yaml_len, stdout);
	}

	if (r.nrepaired)
		cmd_warn("%s: repaired %zu character%s that %s UTF-8 encoded twice (such as "
			 "'\xc3\xa2\xe2\x80\xa0\xe2\x80\x99' for '\xe2\x86\x92')",
			 md, r.nrepaired, r.nrepaired == 1 ? "" : "s", r.nrepaired == 1 ? "was" : "were");
	for (size_t i = 0; i < r.warnings.n; i++)
		cmd_warn("%s: %s", md, r.warnings.v[i].text);
	for (size_t i = 0; i < r.nfacts; i++)
		nready += r.facts[i].kind == IMPORT_READY;

	sum = app->json ? NULL : outp ? stdout : stderr;
	if (sum) {
		fprintf(sum, "imported %s%s%s\n", md, outp ? " into " : "", outp ? outp : "");
		print_lines(sum, md, &r.mapped, "  ");
		fprintf(sum, "the plan validates (%zu warning%s: `tollgate validate` shows them)\n",
			diags.nwarnings, diags.nwarnings == 1 ? "" : "s");
		fprintf(sum, "still to decide:\n");
		print_lines(sum, md, &r.decide, "  - ");
		if (nready)
			fprintf(sum, "  - %zu projects are ready in '%s' in the document: give their "
				     "versions with --state --versions FILE (lines 'PROJECT VERSION')\n",
				nready, r.source_env);
		if (!state && r.nfacts)
			fprintf(sum, "the document records state (ticks, progress, passed gates): "
				     "--state writes it to the store\n");
	}
	if (app->json) {
		j = json_pack("{s:s, s:s, s:o, s:o, s:i, s:i}", "source", md, "written", outp,
			      "mapped", lines_json(&r.mapped), "decide", lines_json(&r.decide),
			      "repaired", (int)r.nrepaired, "warnings", (int)diags.nwarnings);
		if (state)
			jstate = json_array();
	}
	plan_diags_release(&diags);
	rc = EXIT_OK;
	if (state) {
		if (sum)
			fprintf(sum, "state from %s:\n", md);
		rc = import_state(app, md, outp, versions, &r, sum, jstate);
	}
	if (j) {
		if (jstate)
			json_object_set_new(j, "state", jstate);
		if (rc == EXIT_OK)
			cmd_print_json(j);
		else
			json_decref(j);
	}
	import_result_release(&r);
	return rc;
}

static const struct cmd_opt import_opts[] = {
	{ "output", 'o', true, false, "FILE: write the plan there (default: stdout)" },
	{ "force", 0, false, false, "replace an existing -o FILE" },
	{ "state", 0, false, false, "also write the state the document records into the store" },
	{ "versions", 0, true, false,
	  "FILE: with --state, the source environment's versions (lines 'PROJECT VERSION')" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_import_entry = {
	.name = "import",
	.usage = "PLAN.md [-o FILE] [--force] [--state [--versions FILE]]",
	.summary = "turns a Markdown master plan into a plan file",
	.help = "Reads a master plan written in Markdown (headings, tables, task lists,\n"
		"'**Key:** value' bullets, numbered lists) and writes the plan it describes:\n"
		"environments, waves, projects, gates, checklist, blockers, risks, triggers,\n"
		"communication, people, change log, next steps; what has no key is kept under\n"
		"'notes'. Text that was UTF-8 encoded twice is repaired (with a warning).\n"
		"The summary (stderr, or stdout with -o) says what each section became, with\n"
		"its line, and what the team must still decide. An existing -o FILE is never\n"
		"replaced without --force.\n"
		"--state also writes what the document records into the plan's store: ticked\n"
		"items, blockers' progress, passed gates (approved by 'import', never by a\n"
		"person), and with --versions FILE the source environment's versions; each\n"
		"entry is audited as imported from FILE:LINE.\n",
	.examples = "tollgate import master-plan.md -o tollgate.yaml\n"
		    "tollgate import master-plan.md > draft.yaml 2> summary.txt\n"
		    "tollgate import master-plan.md -o tollgate.yaml --force --state --versions dev.txt\n",
	.opts = import_opts,
	.min_args = 1,
	.max_args = 1,
	.needs = 0,
	.exec = import_exec,
};
