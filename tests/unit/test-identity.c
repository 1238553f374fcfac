/*
 * test-identity.c - who acts (engine/identity.h, issue 9 §5): each identity
 * mode maps what the process shows (OS user, database user, a claim) to a
 * person and an audit text; --as may only name the person the credentials
 * prove; nobody, placeholders, promoters and `by` roles are refused with the
 * right codes.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/identity.h"
#include "plan/plan.h"
#include "test.h"

static struct plan_diags diags;

static struct plan *load(const char *identity)
{
	char *text = xasprintf(
		"version: 1\n"
		"plan: {id: P}\n"
		"identity: %s\n"
		"environments:\n"
		"  - {name: dev}\n"
		"  - {name: sit}\n"
		"  - {name: prod, promoters: [ops]}\n"
		"people:\n"
		"  - {id: alice, roles: [ops, qa], login: [alice, al], db_user: alice_db}\n"
		"  - {id: bob, roles: [dev], login: [bob], db_user: bob_db}\n"
		"  - {id: carol, roles: [qa]}\n"
		"  - {id: q-tbd, name: TBD, roles: [ops], tbd: true}\n"
		"waves: [{id: w}]\n"
		"projects: [{id: api, wave: w}]\n"
		"checklist:\n"
		"  - {id: signoff, text: sign-off, by: [qa], applies: {env: prod}}\n"
		"  - {id: free, text: anyone, applies: {env: prod}}\n",
		identity);
	struct plan *p;
	plan_diags_release(&diags);
	plan_diags_init(&diags, "t.yaml");
	p = plan_load_buffer("t.yaml", text, strlen(text), &diags);
	free(text);
	if (!p)
		for (size_t i = 0; i < diags.n; i++)
			fprintf(stderr, "  %d:%d: %s\n", diags.v[i].line, diags.v[i].col, diags.v[i].msg);
	return p;
}

static int resolve(const struct plan *p, const char *os_user, const char *db_user,
		   const char *claim, struct identity *id, struct err *e)
{
	struct identity_source src = { 0 };
	src.os_user = os_user;
	src.host = "box";
	src.db_session = db_user != NULL;
	src.db_user = db_user;
	src.claim = claim;
	err_init(e);
	return identity_resolve(p, &src, id, e);
}

static void test_os(void)
{
	struct plan *p = load("os");
	struct identity id;
	struct err e;

	CHECK(p != NULL);
	if (!p)
		return;
	/* the OS user names the person; a claim of oneself is fine */
	CHECK_INT(resolve(p, "al", NULL, NULL, &id, &e), 0);
	CHECK_STR(id.person_id, "alice");
	CHECK_STR(id.auth, "os:al@box");
	CHECK_INT(id.mode, IDENTITY_OS);
	CHECK_INT(resolve(p, "alice", NULL, "alice", &id, &e), 0);
	CHECK_STR(id.person_id, "alice");
	/* another person: refused, exit 2 */
	CHECK_INT(resolve(p, "alice", NULL, "bob", &id, &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
	CHECK(err_is(&e, REASON_FORBIDDEN));
	CHECK_STR(e.msg, "--as bob: you are 'alice' (OS user 'alice'); with identity: os you act only "
			 "as yourself");
	/* an OS user no login lists: nobody, and no claim either */
	CHECK_INT(resolve(p, "mallory", NULL, NULL, &id, &e), 0);
	CHECK_INT(id.person, -1);
	CHECK_STR(id.auth, "os:mallory@box");
	CHECK_STR(id.nobody, "OS user 'mallory' is no person's 'login' in the plan (identity: os); "
			     "add it to your people entry");
	CHECK_INT(resolve(p, "mallory", NULL, "carol", &id, &e), -1);
	CHECK_STR(e.msg, "--as carol: OS user 'mallory' is no person's 'login' in the plan; with "
			 "identity: os you act only as the person it names");
	/* an unknown claim is a typo first */
	CHECK_INT(resolve(p, "alice", NULL, "alcie", &id, &e), -1);
	CHECK(err_is(&e, REASON_NOT_FOUND));
	CHECK_STR(e.msg, "unknown person 'alcie'; did you mean 'alice'?");
	plan_free(p);
}

static void test_db(void)
{
	struct plan *p = load("db");
	struct identity id;
	struct err e;

	CHECK(p != NULL);
	if (!p)
		return;
	/* PostgreSQL: the session user decides, whoever the OS user is */
	CHECK_INT(resolve(p, "alice", "bob_db", NULL, &id, &e), 0);
	CHECK_STR(id.person_id, "bob");
	CHECK_STR(id.auth, "db:bob_db");
	CHECK_INT(id.mode, IDENTITY_DB);
	CHECK_INT(resolve(p, "alice", "bob_db", "alice", &id, &e), -1);
	CHECK_STR(e.msg, "--as alice: you are 'bob' (database user 'bob_db'); with identity: db you "
			 "act only as yourself");
	CHECK_INT(resolve(p, "alice", "postgres", NULL, &id, &e), 0);
	CHECK_INT(id.person, -1);
	CHECK_STR(id.auth, "db:postgres");
	/* SQLite has no users: as os */
	CHECK_INT(resolve(p, "bob", NULL, NULL, &id, &e), 0);
	CHECK_STR(id.person_id, "bob");
	CHECK_STR(id.auth, "os:bob@box");
	CHECK_INT(id.mode, IDENTITY_OS);
	plan_free(p);
}

static void test_claim(void)
{
	struct plan *p = load("claim");
	struct identity id;
	struct err e;

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_INT(resolve(p, "alice", NULL, "carol", &id, &e), 0);
	CHECK_STR(id.person_id, "carol");
	CHECK_STR(id.auth, "claim:carol");
	CHECK_INT(resolve(p, "alice", NULL, NULL, &id, &e), 0);
	CHECK_INT(id.person, -1);
	CHECK_STR(id.auth, "os:alice@box");
	CHECK_STR(id.nobody, "use --as PERSON or set TOLLGATE_USER (identity: claim)");
	CHECK_INT(resolve(p, "alice", NULL, "nobody-here", &id, &e), -1);
	CHECK(err_is(&e, REASON_NOT_FOUND));
	plan_free(p);
}

static void test_rules(void)
{
	struct plan *p = load("claim");
	struct err e;
	int prod, dev;

	CHECK(p != NULL);
	if (!p)
		return;
	prod = plan_env_index(p, "prod");
	dev = plan_env_index(p, "dev");
	/* nobody: a usage error saying how to be somebody */
	err_init(&e);
	CHECK_INT(identity_actor(p, NULL, "promoting to 'prod'", &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
	CHECK_STR(e.msg, "promoting to 'prod' needs a person; use --as PERSON or set TOLLGATE_USER");
	/* a placeholder never acts */
	err_init(&e);
	CHECK_INT(identity_actor(p, "q-tbd", "approving", &e), -1);
	CHECK_INT(e.code, ERR_NOT_READY);
	CHECK(err_is(&e, REASON_FORBIDDEN));
	CHECK_INT(identity_actor(p, "carol", "approving", &e), 2);
	/* promoters */
	err_init(&e);
	CHECK_INT(identity_may_change_env(p, 0, prod, &e), 0);
	CHECK_INT(identity_may_change_env(p, 1, prod, &e), -1);
	CHECK_INT(e.code, ERR_NOT_READY);
	CHECK_STR(e.msg, "'bob' may not change environment 'prod': that needs a role among its "
			 "promoters ('ops')");
	CHECK_INT(identity_may_change_env(p, 1, plan_env_index(p, "sit"), &e), 0);
	/* the source: nobody may record there (CI), unless it has promoters */
	err_init(&e);
	CHECK_INT(identity_env_actor(p, NULL, dev, "recording", &e), -2);
	CHECK_INT(identity_env_actor(p, "bob", dev, "recording", &e), 1);
	CHECK_INT(identity_env_actor(p, NULL, prod, "recording", &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
	/* by */
	err_init(&e);
	CHECK_INT(identity_may_tick(p, 2, plan_item_index(p, "signoff"), &e), 0);
	CHECK_INT(identity_may_tick(p, 1, plan_item_index(p, "free"), &e), 0);
	CHECK_INT(identity_may_tick(p, 1, plan_item_index(p, "signoff"), &e), -1);
	CHECK_STR(e.msg, "checklist item 'signoff' is ticked and unticked only by role 'qa' (its "
			 "'by'); 'bob' holds none");
	plan_free(p);
	/* the other modes word "nobody" their own way */
	p = load("os");
	err_init(&e);
	CHECK_INT(identity_actor(p, NULL, "rolling back 'api' in 'prod'", &e), -1);
	CHECK_STR(e.msg, "rolling back 'api' in 'prod' needs a person: run it as an OS user listed in "
			 "a people[].login of the plan (identity: os)");
	plan_free(p);
}

int main(void)
{
	plan_diags_init(&diags, "t.yaml");
	RUN(test_os);
	RUN(test_db);
	RUN(test_claim);
	RUN(test_rules);
	plan_diags_release(&diags);
	return TEST_DONE();
}
