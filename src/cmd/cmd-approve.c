/*
 * cmd-approve.c - `tollgate approve GATE [--role R]` and `tollgate revoke
 * GATE`: an approval by the acting person (--as / TOLLGATE_USER) for one
 * role of the gate they hold; revoke takes it back. Both are logged.
 */
#include <jansson.h>
#include <string.h>

#include "cmd/cmd.h"
#include "engine/encode.h"
#include "engine/actions.h"
#include "plan/plan.h"

static void roles_json(json_t *o, const char *key, const char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, encode_string(v[i]));
	json_object_set_new(o, key, a);
}

static void roles_text(const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("%s'%s'", i ? ", " : "", v[i]);
}

static int approve_exec(struct app *app, struct cmd_args *args)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	struct approve_result r;
	struct err e;
	const char *gate = args->argv[0];

	err_init(&e);
	if (action_approve(&c, gate, cmd_opt(args, "role"), &r, &e) < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "gate", encode_string(gate));
		json_object_set_new(o, "person", encode_string(app->as));
		json_object_set_new(o, "role", encode_string(r.role));
		json_object_set_new(o, "changed", json_boolean(!r.already));
		json_object_set_new(o, "already", json_boolean(r.already));
		roles_json(o, "still_needs", r.needs, r.nneeds);
		cmd_print_json(o);
		return EXIT_OK;
	}
	if (r.already)
		printf("already approved: gate '%s' as %s (%s); nothing changed\n", gate, r.role,
		       app->as);
	else
		printf("approved gate '%s' as %s (%s)\n", gate, r.role, app->as);
	if (r.nneeds) {
		printf("gate '%s' still needs ", gate);
		roles_text(r.needs, r.nneeds);
		if (r.nothers) {
			printf(" (");
			roles_text(r.others, r.nothers);
			printf(" from someone other than %s: one person fills one role of a gate)",
			       app->as);
		}
		putchar('\n');
	} else {
		printf("gate '%s' has every approval it needs\n", gate);
	}
	return EXIT_OK;
}

static int revoke_exec(struct app *app, struct cmd_args *args)
{
	struct action_ctx c = { app->plan, app->store, app->now, app->as };
	const char *role;
	struct err e;
	int rc;

	err_init(&e);
	rc = action_revoke(&c, args->argv[0], &role, &e);
	if (rc < 0)
		return cmd_err(&e);
	if (app->json) {
		json_t *o = json_object();
		json_object_set_new(o, "gate", encode_string(args->argv[0]));
		json_object_set_new(o, "person", encode_string(app->as));
		json_object_set_new(o, "role", role ? encode_string(role) : json_null());
		json_object_set_new(o, "changed", json_boolean(rc == 0));
		json_object_set_new(o, "already", json_boolean(rc == 1));
		cmd_print_json(o);
	} else if (rc == 1) {
		printf("already revoked: %s has no approval of gate '%s'; nothing changed\n", app->as,
		       args->argv[0]);
	} else {
		printf("revoked %s's approval of gate '%s' (was %s)\n", app->as, args->argv[0], role);
	}
	return EXIT_OK;
}

static const struct cmd_opt approve_opts[] = {
	{ "role", 0, true, false, "the role to approve as (default: your first open role of the gate)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_approve_entry = {
	.name = "approve",
	.usage = "GATE [--role ROLE]",
	.summary = "an approval of a gate by the acting person, for a role they hold",
	.help = "A gate needs one approval per listed role, from distinct people. Your approval\n"
		"fills one role of the gate that you hold (the first still open, or --role);\n"
		"if you hold other roles of the same gate they need someone else. Exit 3 when\n"
		"you hold none of the gate's roles or they are all approved by others.\n"
		"Approving again what you approved is exit 0 and writes nothing.\n",
	.opts = approve_opts,
	.min_args = 1,
	.max_args = 1,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = approve_exec,
};

const struct cmd_entry cmd_revoke_entry = {
	.name = "revoke",
	.usage = "GATE",
	.summary = "takes the acting person's approval of a gate back",
	.help = "When you have no approval on GATE it is revoked already: exit 0, nothing\n"
		"written.\n",
	.opts = NULL,
	.min_args = 1,
	.max_args = 1,
	.needs = NEEDS_STORE | NEEDS_PERSON,
	.exec = revoke_exec,
};
