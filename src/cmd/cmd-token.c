/*
 * cmd-token.c - `tollgate token create PERSON [--expires 90d] [--name TEXT]`,
 * `tollgate token list` and `tollgate token revoke ID`: the API tokens that
 * let a person act through `tollgate serve` (engine/token.h; this file only
 * parses and prints). The secret is printed once, by create, and never again.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/token.h"
#include "plan/plan.h"
#include "store/store.h"

static int token_create_cmd(struct app *app, struct cmd_args *args)
{
	const char *exp = cmd_opt(args, "expires"), *name = cmd_opt(args, "name");
	struct token_new t;
	int64_t secs = 0;
	char when[32];
	struct err e;

	err_init(&e);
	if (args->argc != 2)
		return cmd_error(EXIT_USAGE,
				 "usage: tollgate token create PERSON [--expires 90d] [--name TEXT]");
	if (exp && token_parse_expires(exp, &secs, &e) < 0)
		return cmd_err(&e);
	if (cmd_need_person(app, "creating a token"))
		return EXIT_USAGE;
	if (token_create(app->store, app->plan, app->now, app->as, args->argv[1], name,
			 exp ? app->now + secs : 0, &t, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(t.id));
		json_object_set_new(o, "person", encode_string(args->argv[1]));
		json_object_set_new(o, "name", name ? encode_string(name) : json_null());
		json_object_set_new(o, "expires", encode_time(t.expires_at));
		json_object_set_new(o, "token", json_string(t.secret));
		cmd_print_json(o);
	} else {
		printf("created token %s for %s (%s%s); it is shown this once, keep it secret:\n",
		       t.id, args->argv[1], t.expires_at ? "expires " : "never expires",
		       t.expires_at ? util_fmt_time(t.expires_at, when, sizeof(when)) : "");
		printf("%s\n", t.secret);
	}
	explicit_bzero(&t, sizeof(t));
	return EXIT_OK;
}

static const char *token_state(const struct store_token *t, int64_t now)
{
	if (t->revoked_at)
		return "revoked";
	if (t->expires_at && t->expires_at <= now)
		return "expired";
	return "active";
}

static int token_list_cmd(struct app *app, struct cmd_args *args)
{
	struct store_tokens l;
	struct err e;
	char a[32], b[32], c[32], d[32];

	err_init(&e);
	if (args->argc != 1)
		return cmd_error(EXIT_USAGE, "usage: tollgate token list [--json]");
	if (store_token_list(app->store, &l, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *arr = json_array(), *o = json_object();
		for (size_t i = 0; i < l.n; i++) {
			const struct store_token *t = &l.v[i];
			json_t *j = json_object();
			json_object_set_new(j, "id", encode_string(t->id));
			json_object_set_new(j, "person", encode_string(t->person));
			json_object_set_new(j, "name", t->name ? encode_string(t->name) : json_null());
			json_object_set_new(j, "state", json_string(token_state(t, app->now)));
			json_object_set_new(j, "created", encode_time(t->created_at));
			json_object_set_new(j, "created_by",
					    t->created_by ? encode_string(t->created_by) : json_null());
			json_object_set_new(j, "expires", encode_time(t->expires_at));
			json_object_set_new(j, "revoked", encode_time(t->revoked_at));
			json_object_set_new(j, "last_used", encode_time(t->last_used_at));
			json_array_append_new(arr, j);
		}
		json_object_set_new(o, "tokens", arr);
		cmd_print_json(o);
	} else if (!l.n) {
		printf("no tokens; 'tollgate token create PERSON' makes one\n");
	} else {
		printf("%-10s  %-12s  %-7s  %-20s  %-20s  %-20s  %s\n", "ID", "PERSON", "STATE",
		       "CREATED", "EXPIRES", "LAST USED", "NAME");
		for (size_t i = 0; i < l.n; i++) {
			const struct store_token *t = &l.v[i];
			char *name = xstrdup(t->name ? t->name : "");
			util_scrub(name, false);
			printf("%-10s  %-12s  %-7s  %-20s  %-20s  %-20s  %s\n", t->id, t->person,
			       token_state(t, app->now), util_fmt_time(t->created_at, a, sizeof(a)),
			       t->expires_at ? util_fmt_time(t->expires_at, b, sizeof(b)) : "never",
			       t->last_used_at ? util_fmt_time(t->last_used_at, c, sizeof(c)) : "never",
			       name);
			if (t->revoked_at)
				printf("%-10s  revoked %s\n", "",
				       util_fmt_time(t->revoked_at, d, sizeof(d)));
			free(name);
		}
	}
	store_tokens_release(&l);
	return EXIT_OK;
}

static int token_revoke_cmd(struct app *app, struct cmd_args *args)
{
	struct err e;
	int rc;

	err_init(&e);
	if (args->argc != 2)
		return cmd_error(EXIT_USAGE, "usage: tollgate token revoke ID");
	if (cmd_need_person(app, "revoking a token"))
		return EXIT_USAGE;
	rc = token_revoke(app->store, app->plan, app->now, app->as, args->argv[1], &e);
	if (rc < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "id", encode_string(args->argv[1]));
		json_object_set_new(o, "revoked", json_true());
		json_object_set_new(o, "changed", json_boolean(rc == 0));
		cmd_print_json(o);
	} else if (rc == 1) {
		printf("already revoked: token %s; nothing changed\n", args->argv[1]);
	} else {
		printf("revoked token %s\n", args->argv[1]);
	}
	return EXIT_OK;
}

static int token_exec(struct app *app, struct cmd_args *args)
{
	static const char *const subs[] = { "create", "list", "revoke" };
	const char *sub = args->argv[0], *s;

	if (!strcmp(sub, "create"))
		return token_create_cmd(app, args);
	if (!strcmp(sub, "list"))
		return token_list_cmd(app, args);
	if (!strcmp(sub, "revoke"))
		return token_revoke_cmd(app, args);
	s = util_suggest(sub, subs, ARRAY_SIZE(subs));
	if (s)
		return cmd_error(EXIT_USAGE, "unknown token subcommand '%s'; did you mean '%s'?", sub,
				 s);
	return cmd_error(EXIT_USAGE,
			 "unknown token subcommand '%s'; use 'create', 'list' or 'revoke'", sub);
}

/* `token list` only reads (it runs on a store this user may only read) */
static bool token_reads_only(const struct cmd_args *args)
{
	return args->argc >= 1 && !strcmp(args->argv[0], "list");
}

static const struct cmd_opt token_opts[] = {
	{ "expires", 0, true, false, "create: valid for this long (90d, 12h); default: never expires" },
	{ "name", 0, true, false, "create: what the token is for (\"CI\", \"chat bot\")" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_token_entry = {
	.name = "token",
	.usage = "create PERSON [--expires 90d] [--name TEXT] | list | revoke ID",
	.summary = "creates, lists or revokes the API tokens of the plan's people",
	.help = "A token lets a program act as PERSON through 'tollgate serve' (Authorization:\n"
		"Bearer TOKEN), with PERSON's roles and every rule of the plan. create prints\n"
		"the token once; the store keeps only its SHA-256. A person creates and revokes\n"
		"their own tokens; a person holding a promoter role of the plan's last\n"
		"environment manages anybody's. list shows every token, never a secret.\n"
		"Revoking a revoked token is exit 0 and writes nothing. More in tokens.md\n"
		"of the documentation (share/doc/tollgate).\n",
	.examples = "tollgate token create alice --expires 90d --name CI\n"
		    "tollgate token list\n"
		    "tollgate token revoke 3\n",
	.opts = token_opts,
	.min_args = 1,
	.max_args = 2,
	.needs = NEEDS_STORE,
	.exec = token_exec,
	.reads_only = token_reads_only,
};
