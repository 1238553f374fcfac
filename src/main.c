/*
 * main.c - global flags, identity, plan and store opening, dispatch.
 *
 * Global flags may stand before or after the command name; the command's own
 * options are parsed in the same getopt_long pass. Everything a command needs
 * is put in one struct app and handed down.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "engine/identity.h"
#include "notify/notify.h"
#include "plan/plan.h"
#include "store/store.h"

extern const struct cmd_entry cmd_validate_entry;
extern const struct cmd_entry cmd_forget_entry;

#ifndef TOLLGATE_VERSION
#define TOLLGATE_VERSION "0.1.0"
#endif

enum {
	OPT_PLAN = 1000,
	OPT_DB,
	OPT_AS,
	OPT_JSON,
	OPT_NO_COLOR,
	OPT_HELP,
	OPT_VERSION,
	OPT_CMD_BASE = 2000,
};

static const struct option global_opts[] = {
	{ "plan", required_argument, NULL, OPT_PLAN },
	{ "db", required_argument, NULL, OPT_DB },
	{ "as", required_argument, NULL, OPT_AS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "no-color", no_argument, NULL, OPT_NO_COLOR },
	{ "no-colour", no_argument, NULL, OPT_NO_COLOR },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "version", no_argument, NULL, OPT_VERSION },
};

static bool global_takes_arg(const char *arg)
{
	return !strcmp(arg, "--plan") || !strcmp(arg, "--db") || !strcmp(arg, "--as");
}

/* Does some command have option a ("--to", "-j"; not "--to=X") taking a value? */
static bool command_opt_takes_arg(const char *a)
{
	if (strchr(a, '='))
		return false;
	for (size_t i = 0; cmd_table[i]; i++)
		for (const struct cmd_opt *o = cmd_table[i]->opts; o && o->name; o++) {
			if (!o->has_arg)
				continue;
			if (a[1] == '-' ? !strcmp(a + 2, o->name)
					: o->short_name && a[1] == o->short_name && !a[2])
				return true;
		}
	return false;
}

/*
 * Index of the command name in argv, or -1. Options may come first, the
 * command's own as well as the global ones (`tollgate --to staging
 * promote`): the word after an option that takes a value is that value,
 * unless it is a command's name.
 */
static int find_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--"))
			return i + 1 < argc ? i + 1 : -1;
		if (a[0] == '-' && a[1]) {
			if (global_takes_arg(a))
				i++;
			else if (i + 1 < argc && command_opt_takes_arg(a) && !cmd_find(argv[i + 1]))
				i++;
			continue;
		}
		return i;
	}
	return -1;
}

/* --json anywhere before "--": errors say so from the first one */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			return true;
	return false;
}

static int print_version(bool json)
{
	if (json)
		return printf("{\n  \"version\": \"%s\"\n}\n", TOLLGATE_VERSION) < 0 ? EXIT_FAILED
										  : EXIT_OK;
	printf("tollgate %s\n", TOLLGATE_VERSION);
	return EXIT_OK;
}

static int print_plan_diags(const struct plan_diags *d, bool errors_only)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct plan_diag *g = &d->v[i];
		if (errors_only && g->kind != DIAG_ERROR)
			continue;
		if (g->line > 0)
			fprintf(stderr, "%s:%d:%d: %s: %s\n", d->file, g->line, g->col,
				g->kind == DIAG_ERROR ? "error" : "warning", g->msg);
		else
			fprintf(stderr, "%s: %s: %s\n", d->file,
				g->kind == DIAG_ERROR ? "error" : "warning", g->msg);
	}
	return 0;
}

/* A claimed person must be in the plan (checked before a store is opened;
 * whether the claim holds is resolve_identity's question). */
static int check_claim(struct app *app)
{
	if (app->as && app->plan && plan_person_index(app->plan, app->as) < 0) {
		const char *s = plan_suggest_person(app->plan, app->as);
		if (s)
			return cmd_error(EXIT_USAGE, "unknown person '%s'; did you mean '%s'?", app->as, s);
		return cmd_error(EXIT_USAGE, "unknown person '%s'; use a 'people' id of the plan",
				 app->as);
	}
	return 0;
}

/*
 * Who acts (engine/identity.h): what this process can show -- its OS user,
 * the store's database user, a claim (--as / TOLLGATE_USER) -- through the
 * plan's identity mode. app->as becomes the proven person (or NULL),
 * app->auth how, for the audit log.
 */
static int resolve_identity(struct app *app, const struct cmd_entry *e, bool claim_from_env,
			    struct identity *id)
{
	struct identity_source src = { 0 };
	struct passwd *pw;
	char user[256], host[256];
	char *db_user = NULL;
	struct err err;
	int rc;

	err_init(&err);
	pw = getpwuid(geteuid());
	if (pw && pw->pw_name && *pw->pw_name)
		snprintf(user, sizeof(user), "%s", pw->pw_name);
	else
		snprintf(user, sizeof(user), "%lu", (unsigned long)geteuid());
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "?");
	host[sizeof(host) - 1] = '\0';
	src.os_user = user;
	src.host = host;
	src.claim = app->as;
	src.claim_from = claim_from_env ? "TOLLGATE_USER" : "--as";
	if (app->plan->identity == IDENTITY_DB) {
		if (store_session_user(app->store, &db_user, &err) < 0)
			return cmd_err(&err);
		src.db_session = db_user != NULL;
		src.db_user = db_user;
	}
	rc = identity_resolve(app->plan, &src, id, &err);
	free(db_user);
	if (rc < 0)
		return cmd_err(&err);
	app->as = id->person_id;
	app->auth = id->auth;
	app->nobody = id->nobody;
	/* every audit entry records who was authenticated and how, beside
	 * the person (issue 9 items 5 and 7) */
	store_set_auth(app->store, app->auth);
	if ((e->needs & NEEDS_PERSON) && !app->as) {
		char what[64];
		snprintf(what, sizeof(what), "'%s'", e->name);
		return cmd_need_person(app, what);
	}
	return 0;
}

/* A write has waited a second for another writer: say so, once. */
static void store_waiting(void *ctx, const char *holder)
{
	(void)ctx;
	fprintf(stderr, "tollgate: waiting for the store: locked by %s\n", holder);
}

/* environment variables tollgate reads as text */
static const char *const utf8_env[] = { "TOLLGATE_USER", "TOLLGATE_NOW", "TOLLGATE_PLAN",
					"TOLLGATE_DB", "TOLLGATE_STORE_WAIT" };

int main(int argc, char **argv)
{
	struct app app = { 0 };
	struct cmd_args args = { 0 };
	struct plan_diags diags;
	struct option *longopts = NULL;
	const struct cmd_entry *e;
	struct strbuf shortopts = STRBUF_INIT;
	char **nargv = NULL;
	char *found_plan = NULL;
	size_t nglobal = ARRAY_SIZE(global_opts), nlong = 0;
	int ci, nargc, rc = EXIT_OK, c;
	bool want_help = false, no_color = false, claim_from_env = false;
	struct identity ident;
	struct err err;

	err_init(&err);
	app.argv0 = argv[0];
	cmd_output_safe(false); /* stderr now; stdout once --json is known */
	/* text enters as UTF-8 or not at all: a stray Latin-1 byte would end
	 * up in the store, the audit log and every JSON answer */
	for (int i = 1; i < argc; i++) {
		size_t bad;
		if (!util_utf8_valid(argv[i], strlen(argv[i]), &bad))
			return cmd_error(EXIT_USAGE,
					 "argument %d is not valid UTF-8 (byte 0x%02x at offset %zu); "
					 "give text as UTF-8",
					 i, (unsigned char)argv[i][bad], bad);
	}
	for (size_t i = 0; i < ARRAY_SIZE(utf8_env); i++) {
		const char *v = getenv(utf8_env[i]);
		size_t bad;
		if (v && !util_utf8_valid(v, strlen(v), &bad))
			return cmd_error(EXIT_USAGE,
					 "%s is not valid UTF-8 (byte 0x%02x at offset %zu); "
					 "give text as UTF-8",
					 utf8_env[i], (unsigned char)v[bad], bad);
	}
	cmd_output_init(wants_json(argc, argv));
	ci = find_command(argc, argv);
	if (ci < 0) {
		for (int i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "--version"))
				return print_version(wants_json(argc, argv));
			if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
				if (wants_json(argc, argv))
					return cmd_print_help_json(NULL) < 0 ? EXIT_FAILED : EXIT_OK;
				cmd_print_overview(stdout);
				return EXIT_OK;
			}
		}
		cmd_print_overview(stderr);
		return cmd_error(EXIT_USAGE, "no command given; see 'tollgate --help'");
	}
	e = cmd_find(argv[ci]);
	if (!e) {
		struct suggest s;
		suggest_init(&s, argv[ci]);
		for (size_t i = 0; cmd_table[i]; i++)
			if (!cmd_table[i]->hidden)
			suggest_add(&s, cmd_table[i]->name);
		if (suggest_result(&s))
			return cmd_error(EXIT_USAGE, "unknown command '%s'; did you mean '%s'?",
					 argv[ci], suggest_result(&s));
		return cmd_error(EXIT_USAGE, "unknown command '%s'; see 'tollgate --help'", argv[ci]);
	}

	/* one argv without the command name, one option table for both kinds */
	nargv = xcalloc((size_t)argc + 1, sizeof(*nargv));
	nargc = 0;
	for (int i = 0; i < argc; i++)
		if (i != ci)
			nargv[nargc++] = argv[i];
	for (const struct cmd_opt *o = e->opts; o && o->name; o++)
		nlong++;
	longopts = xcalloc(nglobal + nlong + 1, sizeof(*longopts));
	memcpy(longopts, global_opts, sizeof(global_opts));
	/* a command's own option wins over a global of the same name
	 * (`record --version V` is not `tollgate --version`) */
	for (size_t g = 0; g < nglobal; g++)
		for (const struct cmd_opt *o = e->opts; o && o->name; o++)
			if (!strcmp(longopts[g].name, o->name))
				longopts[g].name = "\x01shadowed";
	strbuf_addstr(&shortopts, ":h");
	for (size_t i = 0; i < nlong; i++) {
		const struct cmd_opt *o = &e->opts[i];
		longopts[nglobal + i].name = o->name;
		longopts[nglobal + i].has_arg = o->has_arg ? required_argument : no_argument;
		longopts[nglobal + i].val = OPT_CMD_BASE + (int)i;
		if (o->short_name) {
			strbuf_addch(&shortopts, o->short_name);
			if (o->has_arg)
				strbuf_addch(&shortopts, ':');
		}
	}

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(nargc, nargv, shortopts.buf, longopts, NULL)) != -1) {
		int idx = -1;
		switch (c) {
		case OPT_PLAN: app.plan_path = optarg; continue;
		case OPT_DB: app.db_url = optarg; continue;
		case OPT_AS: app.as = optarg; continue;
		case OPT_JSON: app.json = true; continue;
		case OPT_NO_COLOR: no_color = true; continue;
		case 'h':
		case OPT_HELP: want_help = true; continue;
		case OPT_VERSION: rc = print_version(wants_json(argc, argv)); goto out;
		case ':':
			rc = cmd_error(EXIT_USAGE, "option '%s' of '%s' needs a value; see 'tollgate %s --help'",
				       nargv[optind - 1], e->name, e->name);
			goto out;
		case '?':
			if (optopt)
				rc = cmd_error(EXIT_USAGE, "unknown option '-%c' for '%s'; see 'tollgate %s --help'",
					       optopt, e->name, e->name);
			else
				rc = cmd_error(EXIT_USAGE, "unknown option '%s' for '%s'; see 'tollgate %s --help'",
					       nargv[optind - 1], e->name, e->name);
			goto out;
		default:
			break;
		}
		if (c >= OPT_CMD_BASE)
			idx = c - OPT_CMD_BASE;
		else
			for (size_t i = 0; i < nlong; i++)
				if (e->opts[i].short_name == c)
					idx = (int)i;
		if (idx < 0)
			BUG("unhandled option %d", c);
		if (!e->opts[idx].repeat && e->opts[idx].has_arg) {
			const char *before = cmd_opt(&args, e->opts[idx].name);
			if (before && strcmp(before, optarg)) {
				rc = cmd_error(EXIT_USAGE,
					       "option '--%s' of '%s' takes one value, given '%s' and "
					       "'%s'",
					       e->opts[idx].name, e->name, before, optarg);
				goto out;
			}
		}
		if (args.nopts >= CMD_MAX_OPTS) {
			rc = cmd_error(EXIT_USAGE, "too many options");
			goto out;
		}
		args.opts[args.nopts].name = e->opts[idx].name;
		args.opts[args.nopts].value = e->opts[idx].has_arg ? optarg : NULL;
		args.nopts++;
	}
	if (want_help) {
		if (app.json) {
			rc = cmd_print_help_json(e) < 0 ? EXIT_FAILED : EXIT_OK;
			goto out;
		}
		cmd_print_usage(stdout, e);
		rc = EXIT_OK;
		goto out;
	}
	cmd_output_init(app.json);
	cmd_output_safe(!app.json);
	args.argc = nargc - optind;
	args.argv = nargv + optind;
	if (args.argc < e->min_args || (e->max_args >= 0 && args.argc > e->max_args)) {
		rc = cmd_error(EXIT_USAGE, "usage: tollgate %s %s", e->name, e->usage);
		goto out;
	}

	if (!app.plan_path)
		app.plan_path = getenv("TOLLGATE_PLAN");
	if (!app.plan_path || !*app.plan_path) {
		/* none named: here or the nearest parent that has one, as git */
		found_plan = plan_find("tollgate.yaml");
		app.plan_path = found_plan ? found_plan : "tollgate.yaml";
	}
	if (!app.db_url)
		app.db_url = getenv("TOLLGATE_DB");
	if (app.db_url && !*app.db_url)
		app.db_url = NULL;
	if (!app.as) {
		app.as = getenv("TOLLGATE_USER");
		claim_from_env = app.as != NULL;
	}
	if (app.as && !*app.as)
		app.as = NULL;
	app.color = !no_color && !getenv("NO_COLOR") && isatty(STDOUT_FILENO) && !app.json;
	if (util_now(&app.now, &err) < 0) {
		rc = cmd_err(&err);
		goto out;
	}

	plan_diags_init(&diags, app.plan_path);
	app.diags = &diags;
	if (e->needs & NEEDS_PLAN) {
		/* validate always parses (it reports warnings); the rest may use
		 * the compiled cache of an unchanged plan */
		if (e == &cmd_validate_entry)
			app.plan = plan_load(app.plan_path, &diags);
		else
			app.plan = plan_load_cached(app.plan_path, &diags);
		if (!app.plan) {
			plan_diags_sort(&diags);
			if (app.json && e == &cmd_validate_entry)
				cmd_validate_print_failure(&diags);
			print_plan_diags(&diags, false);
			rc = cmd_error(EXIT_USAGE, "%s: %zu error%s; plan rejected", app.plan_path,
				       diags.nerrors, diags.nerrors == 1 ? "" : "s");
			rc = EXIT_USAGE;
			goto out_diags;
		}
		plan_diags_sort(&diags);
	}
	rc = check_claim(&app);
	if (rc)
		goto out_plan;
	if (e->needs & (1 << 1)) {
		struct store_open_opts so = { .waiting = store_waiting };
		so.read_only = cmd_reads_only(e, &args);
		const char *wait = getenv("TOLLGATE_STORE_WAIT");
		const char *pinned = getenv("TOLLGATE_NOW");
		if (wait && *wait) {
			int64_t secs;
			if (util_parse_duration(wait, &secs) < 0 || secs <= 0) {
				rc = cmd_error(EXIT_USAGE,
					       "TOLLGATE_STORE_WAIT='%s' is not a duration such as 30s or "
					       "5m",
					       wait);
				goto out_plan;
			}
			so.wait_ms = secs * 1000;
		}
		/* a store made on a pinned clock is a rehearsal store for good */
		so.rehearsal = pinned && *pinned;
		if (store_open_with(&app.store, app.plan, app.db_url, &so, &err) < 0) {
			rc = cmd_err(&err);
			goto out_plan;
		}
		notify_install(app.store, app.plan); /* the outbox: docs/notify.md */
		rc = resolve_identity(&app, e, claim_from_env, &ident);
		if (rc)
			goto out_store;
		app.rehearsal = store_is_rehearsal(app.store);
		if (so.rehearsal && !app.rehearsal) {
			rc = cmd_error(EXIT_USAGE,
				       "the store '%s' runs on the real clock: TOLLGATE_NOW is only "
				       "for a rehearsal store (one created with it set); unset "
				       "TOLLGATE_NOW, or rehearse on a store of its own (--db "
				       "sqlite:rehearsal.db)",
				       store_display_url(app.store));
			goto out_store;
		}
		cmd_output_rehearsal(app.rehearsal);
		if (app.rehearsal && !app.json && !(e->plain_stdout && e->plain_stdout(&args)))
			printf("%srehearsal:%s a store made with TOLLGATE_NOW; nothing here is the "
			       "real release\n",
			       cmd_color(&app, C_YELLOW), cmd_color(&app, C_RESET));
		/* state for ids the plan no longer has: moved, or warned about
		 * (forget is how it goes away, so it never waits for itself) */
		if (e != &cmd_forget_entry) {
			rc = cmd_check_orphans(&app, cmd_reads_only(e, &args) ? NULL : e->name);
			if (rc)
				goto out_store;
		}
	}

	fflush(stdout);
	rc = e->exec(&app, &args);
	if (fflush(stdout) != 0 && rc == EXIT_OK)
		rc = cmd_error(EXIT_FAILED, "could not write the output");

out_store:
	if (app.store)
		store_close(app.store);
out_plan:
	plan_free(app.plan);
out_diags:
	plan_diags_release(&diags);
out:
	free(found_plan);
	free(longopts);
	free(nargv);
	strbuf_release(&shortopts);
	return rc;
}
