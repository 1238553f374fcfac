/*
 * test-token.c - API tokens (engine/token.h, issue 11 item 2): who may make
 * and revoke one, and token_verify: a good token authenticates its person;
 * a wrong, tampered, malformed or unknown one, an expired or revoked one,
 * and one whose person left the plan do not, with the reason the server
 * maps; the hash is compared in constant time (also for an unknown id); the
 * last use is written at most once a minute. Also serve_auth_bearer's
 * parsing and identity_from_token. On an SQLite store in a temporary folder
 * (tests/cli/token.sh runs the commands on both backends).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/identity.h"
#include "engine/token.h"
#include "plan/plan.h"
#include "serve/serve-auth.h"
#include "store/store.h"
#include "test.h"

static struct plan_diags diags;
static char dir[] = "/tmp/tollgate-token-XXXXXX";
static char *url;

static struct plan *load(bool with_bob)
{
	char *text = xasprintf(
		"version: 1\n"
		"plan: {id: P}\n"
		"identity: claim\n"
		"environments:\n"
		"  - {name: dev}\n"
		"  - {name: prod, promoters: [ops]}\n"
		"people:\n"
		"  - {id: alice, roles: [ops]}\n"
		"%s"
		"  - {id: carol, roles: [qa]}\n"
		"  - {id: q-tbd, roles: [ops], tbd: true}\n"
		"waves: [{id: w}]\n"
		"projects: [{id: api, wave: w}]\n",
		with_bob ? "  - {id: bob, roles: [dev]}\n" : "");
	struct plan *p;
	plan_diags_release(&diags);
	plan_diags_init(&diags, "t.yaml");
	p = plan_load_buffer("t.yaml", text, strlen(text), &diags);
	free(text);
	return p;
}

static const int64_t NOW = 1768035600; /* 2026-01-10T09:00:00Z */

static int verify(struct store *s, const struct plan *p, const char *secret, int64_t now,
		  char **who, char **id, struct err *e)
{
	err_init(e);
	return token_verify(s, p, secret, now, who, id, e);
}

static void test_create_rules(void)
{
	struct plan *p = load(true);
	struct store *s = NULL;
	struct token_new t;
	struct err e;

	CHECK(p != NULL);
	err_init(&e);
	CHECK_INT(store_open(&s, p, url, &e), 0);
	if (!p || !s)
		return;
	/* oneself; and alice (a promoter of prod, the last environment) for anybody */
	CHECK_INT(token_create(s, p, NOW, "bob", "bob", "laptop", 0, &t, &e), 0);
	CHECK_INT((int)strlen(t.secret), TOKEN_LEN);
	CHECK(!strncmp(t.secret, "tg_", 3) && !strncmp(t.secret + 3, t.id, TOKEN_ID_LEN));
	CHECK_INT(token_create(s, p, NOW, "alice", "carol", NULL, NOW + 3600, &t, &e), 0);
	/* bob for carol: refused, exit 3 */
	err_init(&e);
	CHECK_INT(token_create(s, p, NOW, "bob", "carol", NULL, 0, &t, &e), -1);
	CHECK_INT(e.code, ERR_NOT_READY);
	CHECK_INT(e.reason, REASON_FORBIDDEN);
	CHECK(t.secret[0] == '\0');
	/* nobody, an unknown person, a placeholder, an expiry in the past, a bad name */
	err_init(&e);
	CHECK_INT(token_create(s, p, NOW, NULL, "bob", NULL, 0, &t, &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
	err_init(&e);
	CHECK_INT(token_create(s, p, NOW, "alice", "bobb", NULL, 0, &t, &e), -1);
	CHECK_INT(e.reason, REASON_NOT_FOUND);
	CHECK_STR(e.msg, "unknown person 'bobb'; did you mean 'bob'?");
	err_init(&e);
	CHECK_INT(token_create(s, p, NOW, "alice", "q-tbd", NULL, 0, &t, &e), -1);
	CHECK_INT(e.reason, REASON_FORBIDDEN);
	err_init(&e);
	CHECK_INT(token_create(s, p, NOW, "alice", "bob", NULL, NOW, &t, &e), -1);
	CHECK_INT(e.reason, REASON_INVALID);
	err_init(&e);
	CHECK_INT(token_create(s, p, NOW, "alice", "bob", "a\033[2Jb", 0, &t, &e), -1);
	CHECK_INT(e.reason, REASON_INVALID);
	{
		struct store_tokens l;
		err_init(&e);
		CHECK_INT(store_token_list(s, &l, &e), 0);
		CHECK_INT(l.n, 2);
		if (l.n == 2) {
			/* made at the same second: in the order of their ids */
			const struct store_token *b = &l.v[0], *c = &l.v[1];
			CHECK(strcmp(b->id, c->id) < 0);
			if (strcmp(b->person, "bob")) {
				b = &l.v[1];
				c = &l.v[0];
			}
			CHECK_STR(b->person, "bob");
			CHECK_STR(b->name, "laptop");
			CHECK_STR(b->created_by, "bob");
			CHECK_STR(c->created_by, "alice");
			CHECK_INT(c->expires_at, NOW + 3600);
			CHECK_INT((int)strlen(b->hash), 64);
		}
		store_tokens_release(&l);
	}
	{
		struct token_new a, b;
		CHECK_INT(token_create(s, p, NOW, "carol", "carol", NULL, 0, &a, &e), 0);
		CHECK_INT(token_create(s, p, NOW, "carol", "carol", NULL, 0, &b, &e), 0);
		CHECK(strcmp(a.id, b.id) && strcmp(a.secret, b.secret));
		/* revoking: the person, or alice; not bob; twice is 1 */
		err_init(&e);
		CHECK_INT(token_revoke(s, p, NOW, "bob", a.id, &e), -1);
		CHECK_INT(e.reason, REASON_FORBIDDEN);
		err_init(&e);
		CHECK_INT(token_revoke(s, p, NOW, "carol", a.id, &e), 0);
		CHECK_INT(token_revoke(s, p, NOW, "alice", b.id, &e), 0);
		CHECK_INT(token_revoke(s, p, NOW, "alice", b.id, &e), 1);
		CHECK_INT(token_revoke(s, p, NOW, "alice", "nosuchtok0", &e), -1);
		CHECK_INT(e.reason, REASON_NOT_FOUND);
	}
	store_close(s);
	plan_free(p);
}

static void test_verify(void)
{
	struct plan *p = load(true), *gone = load(false);
	struct store *s = NULL;
	struct token_new bob, exp, rev;
	struct err e;
	char *who, *id, bad[TOKEN_LEN + 1];
	unsigned long n0;

	CHECK(p != NULL && gone != NULL);
	err_init(&e);
	CHECK_INT(store_open(&s, p, url, &e), 0);
	if (!p || !gone || !s)
		return;
	CHECK_INT(token_create(s, p, NOW, "bob", "bob", NULL, 0, &bob, &e), 0);
	CHECK_INT(token_create(s, p, NOW, "bob", "bob", NULL, NOW + 600, &exp, &e), 0);
	CHECK_INT(token_create(s, p, NOW, "bob", "bob", NULL, 0, &rev, &e), 0);

	/* the good one, through one constant-time comparison */
	n0 = token_compare_count();
	CHECK_INT(verify(s, p, bob.secret, NOW + 1, &who, &id, &e), 0);
	CHECK_INT(token_compare_count(), n0 + 1);
	CHECK_STR(who, "bob");
	CHECK_STR(id, bob.id);
	{
		struct identity ident;
		CHECK_INT(identity_from_token(p, who, id, &ident, &e), 0);
		CHECK_STR(ident.person_id, "bob");
		CHECK_INT(ident.auth_kind, IDENTITY_AUTH_TOKEN);
		char *want = xasprintf("token:%s", bob.id);
		CHECK_STR(ident.auth, want);
		free(want);
		err_init(&e);
		CHECK_INT(identity_from_token(gone, "bob", id, &ident, &e), -1);
		CHECK_INT(ident.person, -1);
	}
	free(who);
	free(id);

	/* a wrong secret (last character changed): invalid, and compared */
	snprintf(bad, sizeof(bad), "%s", bob.secret);
	bad[TOKEN_LEN - 1] = bad[TOKEN_LEN - 1] == 'A' ? 'B' : 'A';
	n0 = token_compare_count();
	CHECK_INT(verify(s, p, bad, NOW, &who, &id, &e), -1);
	CHECK_INT(token_compare_count(), n0 + 1);
	CHECK_INT(e.reason, REASON_INVALID);
	CHECK(who == NULL && id == NULL);
	/* tampered: another token's id with bob's secret */
	snprintf(bad, sizeof(bad), "%s", bob.secret);
	memcpy(bad + 3, exp.id, TOKEN_ID_LEN);
	CHECK_INT(verify(s, p, bad, NOW, &who, &id, &e), -1);
	CHECK_INT(e.reason, REASON_INVALID);
	/* an unknown id costs the same comparison, and reads the same */
	memcpy(bad + 3, "zzzzzzzzzz", TOKEN_ID_LEN);
	n0 = token_compare_count();
	CHECK_INT(verify(s, p, bad, NOW, &who, &id, &e), -1);
	CHECK_INT(token_compare_count(), n0 + 1);
	CHECK_INT(e.reason, REASON_INVALID);
	CHECK_STR(e.msg, "token 'zzzzzzzzzz' is not valid");
	/* malformed: refused before the store, no comparison */
	{
		const char *const forms[] = { "", "tg_", "Bearer x", "tg_ABCDEFGHIJ_abc",
					      "xx_aaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
					      "tg_aaaaaaaaaa_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" };
		n0 = token_compare_count();
		for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
			CHECK_INT(verify(s, p, forms[i], NOW, &who, &id, &e), -1);
			CHECK_INT(e.reason, REASON_INVALID);
		}
		CHECK_INT(verify(s, p, NULL, NOW, &who, &id, &e), -1);
		CHECK_INT(token_compare_count(), n0);
		snprintf(bad, sizeof(bad), "%s", bob.secret);
		char *longer = xasprintf("%sA", bad);
		CHECK_INT(verify(s, p, longer, NOW, &who, &id, &e), -1);
		free(longer);
	}

	/* expired: at its time, and after */
	CHECK_INT(verify(s, p, exp.secret, NOW + 599, &who, &id, &e), 0);
	free(who);
	free(id);
	CHECK_INT(verify(s, p, exp.secret, NOW + 600, &who, &id, &e), -1);
	CHECK_INT(e.reason, REASON_FORBIDDEN);
	CHECK(strstr(e.msg, "expired on 2026-01-10T09:10:00Z") != NULL);

	/* revoked */
	err_init(&e);
	CHECK_INT(token_revoke(s, p, NOW + 5, "bob", rev.id, &e), 0);
	CHECK_INT(verify(s, p, rev.secret, NOW + 6, &who, &id, &e), -1);
	CHECK_INT(e.reason, REASON_FORBIDDEN);
	CHECK(strstr(e.msg, "was revoked on 2026-01-10T09:00:05Z") != NULL);

	/* the person left the plan */
	CHECK_INT(verify(s, gone, bob.secret, NOW, &who, &id, &e), -1);
	CHECK_INT(e.reason, REASON_FORBIDDEN);
	CHECK(strstr(e.msg, "no person of the plan any more") != NULL);

	/* last use: written on the first use, then not again within a minute */
	{
		struct store_token t;
		struct arena a;
		arena_init(&a);
		CHECK_INT(store_token_get(s, bob.id, &t, &a, &e), 0);
		CHECK_INT(t.last_used_at, NOW + 1);
		CHECK_INT(verify(s, p, bob.secret, NOW + 30, &who, &id, &e), 0);
		free(who);
		free(id);
		CHECK_INT(store_token_get(s, bob.id, &t, &a, &e), 0);
		CHECK_INT(t.last_used_at, NOW + 1);
		CHECK_INT(verify(s, p, bob.secret, NOW + 61, &who, &id, &e), 0);
		free(who);
		free(id);
		CHECK_INT(store_token_get(s, bob.id, &t, &a, &e), 0);
		CHECK_INT(t.last_used_at, NOW + 61);
		arena_release(&a);
	}
	/* a hash edited in the store (another token's, or not hex) matches nothing */
	{
		char *cmd = xasprintf("sqlite3 '%s/t.db' \"UPDATE token SET hash = (SELECT hash FROM"
				      " token WHERE id = '%s') WHERE id = '%s'\"", dir, exp.id, bob.id);
		CHECK_INT(system(cmd), 0);
		free(cmd);
		CHECK_INT(verify(s, p, bob.secret, NOW, &who, &id, &e), -1);
		CHECK_INT(e.reason, REASON_INVALID);
		cmd = xasprintf("sqlite3 '%s/t.db' \"UPDATE token SET hash = 'zz' WHERE id = '%s'\"",
				dir, bob.id);
		CHECK_INT(system(cmd), 0);
		free(cmd);
		n0 = token_compare_count();
		CHECK_INT(verify(s, p, bob.secret, NOW, &who, &id, &e), -1);
		CHECK_INT(e.reason, REASON_INVALID);
		CHECK_INT(token_compare_count(), n0 + 1);
	}

	/* serve_auth_bearer: the scheme in any case, blanks around, nothing else */
	CHECK_INT(token_create(s, p, NOW, "bob", "bob", NULL, 0, &bob, &e), 0);
	{
		const char *ok[] = { "Bearer %s", "bearer %s", "BEARER\t%s", "  Bearer   %s  " };
		const char *no[] = { "Basic %s", "Bearer", "Bearer ", "Bearer %s extra",
				     "Bearer%s", "Bearer x%s", "Token %s" };
		for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
			char *h = xasprintf(ok[i], bob.secret);
			err_init(&e);
			CHECK_INT(serve_auth_bearer(s, p, h, NOW + 62, &who, &id, &e), 0);
			CHECK_STR(who, "bob");
			free(who);
			free(id);
			free(h);
		}
		for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
			char *h = xasprintf(no[i], bob.secret);
			err_init(&e);
			CHECK_INT(serve_auth_bearer(s, p, h, NOW, &who, &id, &e), -1);
			CHECK_INT(e.reason, REASON_INVALID);
			CHECK(who == NULL && id == NULL);
			free(h);
		}
		err_init(&e);
		CHECK_INT(serve_auth_bearer(s, p, NULL, NOW, &who, &id, &e), -1);
		CHECK_INT(e.reason, REASON_INVALID);
		err_init(&e);
		CHECK_INT(serve_auth_bearer(s, p, "Bearer ", NOW, &who, &id, &e), -1);
		char *h = xasprintf("Bearer %s", rev.secret);
		err_init(&e);
		CHECK_INT(serve_auth_bearer(s, p, h, NOW, &who, &id, &e), -1);
		CHECK_INT(e.reason, REASON_FORBIDDEN);
		free(h);
	}
	store_close(s);
	plan_free(p);
	plan_free(gone);
}

struct last_entry {
	char auth[64], action[32], actor[32], ops[64];
};

static int last_entry_fn(void *ctx, const struct store_log_entry *en)
{
	struct last_entry *l = ctx;
	snprintf(l->auth, sizeof(l->auth), "%s", en->auth ? en->auth : "(null)");
	snprintf(l->action, sizeof(l->action), "%s", en->action);
	snprintf(l->actor, sizeof(l->actor), "%s", en->actor);
	snprintf(l->ops, sizeof(l->ops), "%s", en->ops ? en->ops : "(null)");
	return 0;
}

/* A request acting through a token: the person's rules apply, and the
 * audit entry's auth reads token:ID. A token of someone who left the plan
 * is revoked only by a promoter of the last environment. */
static void test_acting(void)
{
	struct plan *p = load(true), *gone = load(false);
	struct store *s = NULL;
	struct token_new bob, bob2, refused;
	struct identity ident;
	struct last_entry l;
	char *who, *id;
	struct err e;

	CHECK(p != NULL && gone != NULL);
	err_init(&e);
	CHECK_INT(store_open(&s, p, url, &e), 0);
	if (!p || !gone || !s)
		return;
	CHECK_INT(token_create(s, p, NOW, "bob", "bob", NULL, 0, &bob, &e), 0);
	CHECK_INT(token_create(s, p, NOW, "bob", "bob", NULL, 0, &bob2, &e), 0);
	CHECK_INT(token_verify(s, p, bob.secret, NOW, &who, &id, &e), 0);
	CHECK_INT(identity_from_token(p, who, id, &ident, &e), 0);
	store_set_auth(s, ident.auth);
	/* bob, through his token, may not manage carol's tokens, as on the CLI */
	err_init(&e);
	CHECK_INT(token_create(s, p, NOW, ident.person_id, "carol", NULL, 0, &refused, &e), -1);
	CHECK_INT(e.reason, REASON_FORBIDDEN);
	err_init(&e);
	CHECK_INT(token_revoke(s, p, NOW, ident.person_id, bob2.id, &e), 0);
	CHECK_INT(store_log_each(s, 1, last_entry_fn, &l, &e), 0);
	CHECK_STR(l.action, "token.revoked");
	CHECK_STR(l.actor, "bob");
	{
		char *want = xasprintf("token:%s", bob.id);
		CHECK_STR(l.auth, want);
		free(want);
	}
	CHECK_STR(l.ops, "[]"); /* identity data: no row change to replay */
	free(who);
	free(id);
	/* bob has left the plan: carol may not revoke his token, alice may */
	err_init(&e);
	CHECK_INT(token_revoke(s, gone, NOW, "carol", bob.id, &e), -1);
	CHECK_INT(e.reason, REASON_FORBIDDEN);
	CHECK(strstr(e.msg, "no longer in the plan") != NULL);
	err_init(&e);
	CHECK_INT(token_revoke(s, gone, NOW, "alice", bob.id, &e), 0);
	store_close(s);
	plan_free(p);
	plan_free(gone);
}

static void test_parse_expires(void)
{
	struct err e;
	int64_t s;
	err_init(&e);
	CHECK_INT(token_parse_expires("90d", &s, &e), 0);
	CHECK_INT(s, 90 * 86400);
	CHECK_INT(token_parse_expires("1h30m", &s, &e), 0);
	CHECK_INT(s, 5400);
	CHECK_INT(token_parse_expires("0s", &s, &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
	err_init(&e);
	CHECK_INT(token_parse_expires("soon", &s, &e), -1);
	CHECK_STR(e.msg, "--expires 'soon': use a duration such as 90d, 12h or 1h30m");
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	url = xasprintf("sqlite:%s/t.db", dir);
	RUN(test_create_rules);
	RUN(test_verify);
	RUN(test_acting);
	RUN(test_parse_expires);
	plan_diags_release(&diags);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
		free(cmd);
	}
	free(url);
	return TEST_DONE();
}
