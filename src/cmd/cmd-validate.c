/*
 * cmd-validate.c - `tollgate validate`: the plan was loaded (and checked) by
 * main.c; print its warnings and one summary line, or the same as JSON.
 * When the plan is rejected main.c prints the errors; with --json it calls
 * cmd_validate_print_failure() so scripts still get one JSON object.
 * When there is a store to look at (--db / TOLLGATE_DB, or the default one
 * beside the plan, if it exists), state it holds for ids the plan no longer
 * has is warned about too (issue 9 item 4: a rename is not "valid, 0
 * warnings"); nothing is written.
 */
#include "cmd/cmd.h"

#include <jansson.h>
#include <stdlib.h>

#include "plan/plan.h"
#include "store/store.h"

/* The store's warnings, or none when there is no store to look at (one
 * that was never made, or not yet migrated: validate makes and changes
 * nothing). */
static size_t store_warnings(struct app *app, char ***out)
{
	struct store_open_opts o = { .existing_only = true };
	struct store *s = NULL;
	struct err e;
	size_t n;
	int rc;

	*out = NULL;
	err_init(&e);
	rc = store_open_with(&s, app->plan, app->db_url, &o, &e);
	if (rc == 1)
		return 0;
	if (rc < 0) {
		*out = xcalloc(1, sizeof(**out));
		(*out)[0] = xasprintf("cannot look in the store for state the plan no longer has: %s",
				      e.msg);
		return 1;
	}
	app->store = s;
	n = cmd_orphan_warnings(app, out);
	app->store = NULL;
	store_close(s);
	return n;
}

static json_t *diag_array(const struct plan_diags *d, enum diag_kind kind)
{
	json_t *a = json_array();
	for (size_t i = 0; i < d->n; i++) {
		const struct plan_diag *g = &d->v[i];
		if (g->kind != kind)
			continue;
		json_array_append_new(a, json_pack("{s:i, s:i, s:s}", "line", g->line, "col", g->col,
						   "message", g->msg));
	}
	return a;
}

int cmd_validate_print_failure(const struct plan_diags *d)
{
	return cmd_print_json(json_pack("{s:b, s:s, s:o, s:o}", "valid", 0, "file", d->file,
					"errors", diag_array(d, DIAG_ERROR), "warnings",
					diag_array(d, DIAG_WARNING)));
}

static size_t count_deps(const struct plan *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nprojects; i++)
		n += p->projects[i].depends_on.n;
	return n;
}

static int validate_exec(struct app *app, struct cmd_args *args)
{
	const struct plan *p = app->plan;
	const struct plan_diags *d = app->diags;
	size_t nwarn = 0, nstore;
	char **store_warns;

	(void)args;
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].kind == DIAG_WARNING)
			nwarn++;
	nstore = store_warnings(app, &store_warns);
	nwarn += nstore;
	if (app->json) {
		json_t *warns = diag_array(d, DIAG_WARNING);
		json_t *counts = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
					   "projects", (json_int_t)p->nprojects,
					   "waves", (json_int_t)p->nwaves,
					   "environments", (json_int_t)p->nenvs,
					   "gates", (json_int_t)p->ngates,
					   "checklist", (json_int_t)p->nitems,
					   "people", (json_int_t)p->npeople,
					   "blockers", (json_int_t)p->nblockers,
					   "risks", (json_int_t)p->nrisks,
					   "triggers", (json_int_t)p->ntriggers,
					   "dependencies", (json_int_t)count_deps(p));
		/* the store's: not at a place in the file */
		for (size_t i = 0; i < nstore; i++)
			json_array_append_new(warns, json_pack("{s:i, s:i, s:s}", "line", 0, "col", 0,
							       "message", store_warns[i]));
		cmd_print_json(json_pack("{s:b, s:s, s:s, s:o, s:o}", "valid", 1, "plan", p->id,
					 "file", d->file, "counts", counts, "warnings", warns));
		goto out;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct plan_diag *g = &d->v[i];
		if (g->kind != DIAG_WARNING)
			continue;
		if (g->line > 0)
			fprintf(stderr, "%s:%d:%d: warning: %s\n", d->file, g->line, g->col, g->msg);
		else
			fprintf(stderr, "%s: warning: %s\n", d->file, g->msg);
	}
	for (size_t i = 0; i < nstore; i++)
		cmd_warn("%s", store_warns[i]);
	printf("%s: %zu project%s, %zu wave%s, %zu environment%s, %zu gate%s, %zu checklist item%s"
	       " — valid (%zu warning%s)\n",
	       p->id, p->nprojects, p->nprojects == 1 ? "" : "s", p->nwaves,
	       p->nwaves == 1 ? "" : "s", p->nenvs, p->nenvs == 1 ? "" : "s", p->ngates,
	       p->ngates == 1 ? "" : "s", p->nitems, p->nitems == 1 ? "" : "s", nwarn,
	       nwarn == 1 ? "" : "s");
out:
	for (size_t i = 0; i < nstore; i++)
		free(store_warns[i]);
	free(store_warns);
	return EXIT_OK;
}

const struct cmd_entry cmd_validate_entry = {
	.name = "validate",
	.usage = "[--json]",
	.summary = "checks the plan; prints a summary line when it is valid",
	.help = "Every problem is listed as FILE:LINE:COL: error: message and the plan is\n"
		"rejected (exit 2). Warnings do not reject it. When a store is there (--db,\n"
		"TOLLGATE_DB, or .tollgate/state.db beside the plan), state it holds for ids\n"
		"the plan no longer has is a warning too (see 'moved' in plan.md of the\n"
		"documentation, share/doc/tollgate).\n"
		"With --json: {\"valid\", \"plan\", \"counts\", \"warnings\"} or, when rejected,\n"
		"{\"valid\": false, \"errors\"}.\n",
	.examples = "tollgate validate\n"
		    "tollgate --plan other.yaml validate --json\n",
	.opts = NULL,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_PLAN,
	.exec = validate_exec,
};
