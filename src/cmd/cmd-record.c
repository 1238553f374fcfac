/*
 * cmd-record.c - `tollgate record PROJECT ENV --version V` and
 * `tollgate record --env ENV --versions FILE|-`: versions recorded healthy
 * (CI uses it for the first environment). The bulk form is one transaction:
 * any bad line and nothing is written.
 */
#include <errno.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/actions.h"
#include "plan/plan.h"

#define VERSIONS_FILE_MAX (64u << 20)

/* Recording into env needs a person unless it is the source and lists no
 * promoters (identity_env_actor): say so under the plan's identity mode. */
static int record_needs_person(struct app *app, int env)
{
	char what[200];
	if (env == 0 && !app->plan->envs[0].npromoters)
		return 0;
	snprintf(what, sizeof(what), "recording in '%s'", app->plan->envs[env].name);
	return cmd_need_person(app, what);
}

static int record_bulk(struct app *app, const struct action_ctx *c, const char *env,
		       const char *file)
{
	struct strbuf sb = STRBUF_INIT;
	struct action_versions l;
	struct err e;
	const char *name = strcmp(file, "-") ? file : "<stdin>";
	int r, ei;

	err_init(&e);
	ei = action_find_env(app->plan, env, &e);
	if (ei < 0)
		return cmd_err(&e);
	r = record_needs_person(app, ei);
	if (r)
		return r;
	if (!strcmp(file, "-"))
		r = strbuf_read_fd_limit(&sb, STDIN_FILENO, VERSIONS_FILE_MAX);
	else
		r = strbuf_read_file(&sb, file, VERSIONS_FILE_MAX);
	if (r < 0) {
		int saved = errno;
		strbuf_release(&sb);
		return cmd_error(EXIT_USAGE, "cannot read versions file '%s': %s", name,
				 saved == EFBIG	   ? "larger than 64 MiB"
				 : saved == ENODEV ? "not a regular file (a FIFO, a device or a socket)"
						   : strerror(saved));
	}
	if (action_parse_versions(app->plan, name, sb.buf ? sb.buf : "", sb.len, &l, &e) < 0) {
		/* every bad line, then what it means */
		for (size_t i = 0; l.nproblems > 1 && i < l.nproblems; i++)
			fprintf(stderr, "tollgate: error: %s\n", l.problems[i]);
		action_versions_release(&l);
		strbuf_release(&sb);
		return cmd_err(&e);
	}
	strbuf_release(&sb);
	r = action_record_bulk(c, env, &l, &e);
	if (r < 0) {
		action_versions_release(&l);
		return cmd_err(&e);
	}
	if (app->json) {
		json_t *o = encode_recorded(env, &l, r);
		cmd_print_json(o);
	} else if ((size_t)r == l.n) {
		printf("already healthy: %s version%s in %s; nothing changed\n",
		       l.n == 1 ? "the" : "all", l.n == 1 ? "" : "s", env);
	} else if (r) {
		printf("recorded %zu version%s healthy in %s (%d already healthy)\n", l.n - (size_t)r,
		       l.n - (size_t)r == 1 ? "" : "s", env, r);
	} else {
		printf("recorded %zu version%s healthy in %s\n", l.n, l.n == 1 ? "" : "s", env);
	}
	action_versions_release(&l);
	return EXIT_OK;
}

static int record_exec(struct app *app, struct cmd_args *args)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	const char *version = cmd_opt(args, "version"), *env = cmd_opt(args, "env");
	const char *file = cmd_opt(args, "versions");
	struct err e;
	int rc;

	err_init(&e);
	if (file) {
		if (args->argc || version)
			return cmd_error(EXIT_USAGE, "use either 'record PROJECT ENV --version V' or "
						     "'record --env ENV --versions FILE', not both");
		if (!env)
			return cmd_error(EXIT_USAGE, "'record --versions FILE' needs --env ENV");
		return record_bulk(app, &c, env, file);
	}
	if (args->argc != 2)
		return cmd_error(EXIT_USAGE, "usage: tollgate record PROJECT ENV --version V, or "
					     "tollgate record --env ENV --versions FILE");
	rc = cmd_swapped_project_env(app, args, "record");
	if (rc)
		return rc;
	if (env && strcmp(env, args->argv[1]))
		return cmd_error(EXIT_USAGE, "--env '%s' contradicts ENV '%s'", env, args->argv[1]);
	if (!version)
		return cmd_error(EXIT_USAGE, "'record %s %s' needs --version V", args->argv[0],
				 args->argv[1]);
	if (plan_env_index(app->plan, args->argv[1]) >= 0) {
		int r = record_needs_person(app, plan_env_index(app->plan, args->argv[1]));
		if (r)
			return r;
	}
	rc = action_record(&c, args->argv[0], args->argv[1], version, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (app->json) {
		struct action_version one = { (char *)args->argv[0], (char *)version, 0 };
		struct action_versions l = { .n = 1, .v = &one };
		json_t *o = encode_recorded(args->argv[1], &l, rc);
		cmd_print_json(o);
	} else if (rc == 1) {
		printf("already healthy: %s %s in %s; nothing changed\n", args->argv[0], version,
		       args->argv[1]);
	} else {
		printf("recorded %s %s healthy in %s\n", args->argv[0], version, args->argv[1]);
	}
	return EXIT_OK;
}

static const struct cmd_opt record_opts[] = {
	{ "version", 0, true, false, "the version to record (one project)" },
	{ "env", 0, true, false, "the environment (with --versions)" },
	{ "versions", 0, true, false, "FILE or - : lines 'PROJECT VERSION' (# comments allowed)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_record_entry = {
	.name = "record",
	.usage = "PROJECT ENV --version V | --env ENV --versions FILE|-",
	.summary = "records a version healthy in an environment (CI uses it for the first one)",
	.help = "Sets the version healthy at once, with no deploy: the way versions enter the\n"
		"first environment. The bulk form records every line of FILE in one\n"
		"transaction; any bad line (named FILE:LINE) and nothing is written.\n"
		"Any environment but the first needs a person allowed to change it (its\n"
		"promoters); in the first the actor is the person if known, else 'ci'.\n"
		"A version already healthy there is skipped: exit 0, nothing written for it.\n",
	.examples = "tollgate record ledger dev --version 3.12.0\n"
		    "tollgate record --env dev --versions versions.txt\n",
	.opts = record_opts,
	.min_args = 0,
	.max_args = 2,
	.needs = NEEDS_STORE,
	.exec = record_exec,
};
