/*
 * test-store.c - the store's contract suite, run on every backend.
 *
 * TOLLGATE_TEST_DB names the store to test: a postgres:// URL (the suite makes
 * a fresh database beside it for each case, with psql) or a sqlite: URL / a
 * folder (fresh files there). Unset: sqlite files in a temporary folder (how
 * `ctest -R unit/test-store` runs it). tests/store/contract.sh runs it on
 * both backends. Tampering with the audit log is done the way an attacker
 * would: with the sqlite3 / psql command-line tools, behind tollgate's back.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plan/plan.h"
#include "store/store-internal.h"
#include "store/store.h"
#include "test.h"

static char *base_url;   /* postgres://… of an existing database, or NULL */
static char *sqlite_dir; /* folder for sqlite files */
static int ndb;

static bool is_pg(void)
{
	return base_url != NULL;
}

/* A URL to a new, empty store. Returned string is leaked on purpose (tests). */
/* Every URL handed out, freed at exit (tests keep them to the end). */
static char *urls[64];
static size_t nurls;

static char *keep_url(char *url)
{
	if (nurls < sizeof(urls) / sizeof(urls[0]))
		urls[nurls++] = url;
	return url;
}

static void free_urls(void)
{
	while (nurls)
		free(urls[--nurls]);
}

static char *new_url(const char *tag)
{
	ndb++;
	if (is_pg()) {
		char *slash = strrchr(base_url, '/');
		char *name = xasprintf("c_%s_%ld_%d", tag, (long)getpid(), ndb);
		char *cmd = xasprintf("psql '%s' -qAt -v ON_ERROR_STOP=1 -c 'CREATE DATABASE %s' >/dev/null",
				      base_url, name);
		char *url;
		if (system(cmd) != 0) {
			fprintf(stderr, "cannot create database %s on %s\n", name, base_url);
			exit(1);
		}
		url = xasprintf("%.*s/%s", (int)(slash - base_url), base_url, name);
		free(cmd);
		free(name);
		return keep_url(url);
	}
	return keep_url(xasprintf("sqlite:%s/%s-%d.db", sqlite_dir, tag, ndb));
}

/* Run SQL on the store's database behind tollgate's back. */
static int raw_sql(const char *url, const char *sql)
{
	char *cmd;
	int rc;
	if (!strncmp(url, "postgres", 8))
		cmd = xasprintf("psql '%s' -qAt -v ON_ERROR_STOP=1 -c \"%s\" >/dev/null", url, sql);
	else
		cmd = xasprintf("sqlite3 -bail '%s' \"%s\" >/dev/null", url + 7, sql);
	rc = system(cmd);
	free(cmd);
	return rc;
}

static struct store *open_ok(const char *url)
{
	struct store *s = NULL;
	struct err e;
	err_init(&e);
	if (store_open(&s, NULL, url, &e) < 0) {
		fprintf(stderr, "store_open(%s): %s\n", url, e.msg);
		exit(1);
	}
	return s;
}

static const int64_t T0 = 1768035600; /* 2026-01-10T09:00:00Z */

static int64_t audit_count(struct store *s)
{
	struct store_verify v;
	struct err e;
	err_init(&e);
	CHECK(store_log_verify(s, &v, &e) == 0);
	CHECK(v.ok);
	return v.count;
}

/* One approval, as its own change. */
static int approve_one(struct store *s, const char *gate, const char *role, const char *person)
{
	struct err e;
	err_init(&e);
	if (store_begin_change(s, T0, person, "approve", gate, NULL, &e) < 0)
		return -1;
	if (store_approve(s, gate, role, person, NULL, &e) < 0) {
		store_abort_change(s);
		return -1;
	}
	return store_commit_change(s, NULL, &e);
}

static void test_open_and_migrate(void)
{
	char *url = new_url("open");
	struct store *s = open_ok(url);
	struct err e;
	CHECK_STR(store_backend_name(s), is_pg() ? "postgres" : "sqlite");
	store_close(s);
	s = open_ok(url); /* migrating an up-to-date store is a no-op */
	CHECK_INT(audit_count(s), 0);
	store_close(s);

	/* a store from a newer tollgate is refused */
	CHECK_INT(raw_sql(url, "UPDATE meta SET value = '99' WHERE key = 'schema_version'"), 0);
	err_init(&e);
	s = NULL;
	CHECK(store_open(&s, NULL, url, &e) < 0);
	CHECK(s == NULL);
	CHECK_INT(e.code, ERR_FAILED);
	CHECK(strstr(e.msg, "has schema version 99 but this tollgate knows only 9; upgrade tollgate") != NULL);
	CHECK_INT(raw_sql(url, "UPDATE meta SET value = '9' WHERE key = 'schema_version'"), 0);
	s = open_ok(url);
	store_close(s);

	/* a version-2 store (one plan, no plan column) is migrated on open: its
	 * rows go to the plan that opens it, and another plan sees none of them */
	{
		struct plan pa = { .id = "plan-a" }, pb = { .id = "plan-b" };
		struct store_state_snapshot sn;
		char *v2 = new_url("v2");
		CHECK_INT(raw_sql(v2, sql_schema[0]), 0);
		CHECK_INT(raw_sql(v2, sql_schema[1]), 0);
		CHECK_INT(raw_sql(v2, "INSERT INTO meta (key, value) VALUES ('schema_version', '2')"), 0);
		CHECK_INT(raw_sql(v2, "INSERT INTO approval VALUES ('g1', 'qa', 'carol', 1)"), 0);
		err_init(&e);
		s = NULL;
		CHECK_INT(store_open(&s, &pa, v2, &e), 0);
		if (s) {
			CHECK_INT(store_snapshot(s, &sn, &e), 0);
			CHECK_INT(sn.napprovals, 1);
			store_snapshot_release(&sn);
			/* the state it had, as one baseline entry of the plan (v4) */
			CHECK_INT(audit_count(s), 1);
			CHECK_INT(approve_one(s, "g2", "dev", "dana"), 0);
			CHECK_INT(audit_count(s), 2);
			store_close(s);
		}
		s = NULL;
		CHECK_INT(store_open(&s, &pb, v2, &e), 0);
		if (s) {
			CHECK_INT(store_snapshot(s, &sn, &e), 0);
			CHECK_INT(sn.napprovals, 0); /* nothing of plan-a */
			store_snapshot_release(&sn);
			CHECK_INT(audit_count(s), 0); /* its own chain */
			CHECK_INT(approve_one(s, "g1", "qa", "erin"), 0);
			CHECK_INT(audit_count(s), 1);
			store_close(s);
		}
		s = NULL;
		CHECK_INT(store_open(&s, &pa, v2, &e), 0);
		if (s) {
			CHECK_INT(store_snapshot(s, &sn, &e), 0);
			CHECK_INT(sn.napprovals, 2);
			for (size_t i = 0; i < sn.napprovals; i++)
				CHECK(strcmp(sn.approvals[i].person, "erin") != 0);
			store_snapshot_release(&sn);
			CHECK_INT(audit_count(s), 2);
			store_close(s);
		}
	}
}

static void test_bad_urls(void)
{
	struct store *s = NULL;
	struct err e;

	err_init(&e);
	CHECK(store_open(&s, NULL, "postgres://tg:sekrit@127.0.0.1:1/nothing", &e) < 0);
	CHECK_INT(e.code, ERR_FAILED);
	CHECK(!strncmp(e.msg, "cannot open the store 'postgres://tg:***@127.0.0.1:1/nothing': ", strlen("cannot open the store 'postgres://tg:***@127.0.0.1:1/nothing': ")));
	CHECK(strstr(e.msg, "sekrit") == NULL);
	CHECK(strchr(e.msg, '\n') == NULL);

	err_init(&e);
	CHECK(store_open(&s, NULL, "mysql://x/y", &e) < 0);
	CHECK_INT(e.code, ERR_USAGE);
	CHECK_STR(e.msg, "unknown store URL 'mysql://x/y'; use sqlite:PATH or postgres://USER@HOST/DB");

	err_init(&e);
	CHECK(store_open(&s, NULL, "sqlite:/nonexistent-dir/x/state.db", &e) < 0);
	CHECK_INT(e.code, ERR_FAILED);
	CHECK(!strncmp(e.msg, "cannot open the store 'sqlite:/nonexistent-dir/x/state.db': ", strlen("cannot open the store 'sqlite:/nonexistent-dir/x/state.db': ")));
}

static void test_default_location(void)
{
	char cwd[4096];
	char *dir;
	struct store *s;
	struct stat st;
	dir = xasprintf("%s/default", sqlite_dir);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	mkdir(dir, 0777);
	CHECK_INT(chdir(dir), 0);
	s = open_ok(NULL);
	CHECK_STR(store_display_url(s), "./.tollgate/state.db");
	CHECK_STR(store_log_dir(s), "./.tollgate");
	store_close(s);
	CHECK_INT(stat(".tollgate/state.db", &st), 0);
	CHECK_INT(chdir(cwd), 0);
	free(dir);
}

static void test_record(void)
{
	char *url = new_url("record");
	struct store *s = open_ok(url);
	struct store_promotion p;
	struct store_history h;
	struct arena a;
	struct err e;

	arena_init(&a);
	err_init(&e);
	CHECK_INT(store_get_promotion(s, "api", "dev", &p, &a, &e), 0);
	CHECK_INT(p.state, STATE_NONE);
	CHECK(p.version == NULL);

	CHECK_INT(store_record_version(s, T0, "ci", "api", "dev", "abc123", &e), 0);
	CHECK_INT(store_record_version(s, T0 + 60, "ci", "api", "dev", "def456", &e), 0);
	CHECK_INT(store_get_promotion(s, "api", "dev", &p, &a, &e), 0);
	CHECK_INT(p.state, STATE_HEALTHY);
	CHECK_STR(p.version, "def456");
	CHECK_STR(p.previous_version, "abc123");
	CHECK_INT(p.since, T0 + 60);
	CHECK_INT(p.seq, 2);

	CHECK_INT(store_promotion_history(s, "api", "dev", &h, &e), 0);
	CHECK_INT(h.n, 2);
	if (h.n == 2) {
		CHECK_STR(h.v[0].version, "abc123");
		CHECK_STR(h.v[1].version, "def456");
		CHECK_INT(h.v[1].since, T0 + 60);
	}
	store_history_release(&h);

	/* bad input: nothing written, clear message */
	err_init(&e);
	CHECK(store_record_version(s, T0, "ci", "api", "dev", "", &e) < 0);
	CHECK_INT(e.code, ERR_USAGE);
	err_init(&e);
	CHECK(store_record_version(s, T0, "ci", "no such", "dev", "v1", &e) < 0);
	CHECK_STR(e.msg, "invalid project 'no such': use letters, digits, '_', '.' and '-'");

	/* bulk: all in one change, or nothing at all */
	{
		struct store_record good[] = { { "api", "v9", 1 }, { "web", "w1", 2 }, { "db", "d1", 3 } };
		struct store_record bad[] = { { "api", "v10", 1 }, { "web", "w2", 2 }, { "db", "", 3 } };
		struct store_record dup[] = { { "api", "v10", 1 }, { "api", "v11", 2 } };
		int64_t before;
		err_init(&e);
		before = audit_count(s);
		CHECK(store_record_versions(s, T0 + 120, "ci", "dev", bad, 3, &e) < 0);
		CHECK_INT(e.code, ERR_USAGE);
		CHECK_STR(e.msg, "line 3: an empty version; give the version to record");
		err_init(&e);
		CHECK(store_record_versions(s, T0 + 120, "ci", "dev", dup, 2, &e) < 0);
		CHECK_STR(e.msg, "line 2: project 'api' is listed twice (also line 1)");
		CHECK_INT(audit_count(s), before);
		CHECK_INT(store_get_promotion(s, "web", "dev", &p, &a, &e), 0);
		CHECK_INT(p.state, STATE_NONE);
		CHECK_INT(store_get_promotion(s, "api", "dev", &p, &a, &e), 0);
		CHECK_STR(p.version, "def456");

		err_init(&e);
		CHECK_INT(store_record_versions(s, T0 + 120, "ci", "dev", good, 3, &e), 0);
		CHECK_INT(audit_count(s), before + 1);
		CHECK_INT(store_get_promotion(s, "db", "dev", &p, &a, &e), 0);
		CHECK_STR(p.version, "d1");
		CHECK_INT(p.state, STATE_HEALTHY);
	}

	/* a change that fails half-way leaves nothing behind */
	{
		struct store_promotion np = { 0 };
		int64_t before = audit_count(s);
		np.project = "api";
		np.env = "sit";
		np.state = STATE_DEPLOYING;
		np.version = "v9";
		np.run_id = "run-1";
		CHECK_INT(store_begin_change(s, T0 + 200, "dana", "promotion.deploying", "api@sit", NULL, &e), 0);
		CHECK_INT(store_set_promotion(s, &np, &e), 0);
		store_abort_change(s);
		CHECK_INT(store_get_promotion(s, "api", "sit", &p, &a, &e), 0);
		CHECK_INT(p.state, STATE_NONE);
		CHECK_INT(audit_count(s), before);

		CHECK_INT(store_begin_change(s, T0 + 200, "dana", "promotion.deploying", "api@sit", NULL, &e), 0);
		CHECK_INT(store_set_promotion(s, &np, &e), 0);
		store_change_detail(s, "deploying %s", "v9");
		CHECK_INT(store_commit_change(s, NULL, &e), 0);
		CHECK_INT(store_get_promotion(s, "api", "sit", &p, &a, &e), 0);
		CHECK_INT(p.state, STATE_DEPLOYING);
		CHECK_STR(p.run_id, "run-1");
		CHECK_INT(audit_count(s), before + 1);
	}
	arena_release(&a);
	store_close(s);
}

static void test_approvals_ticks_blockers_incidents(void)
{
	char *url = new_url("domain");
	struct store *s = open_ok(url);
	struct store_state_snapshot st;
	struct err e;
	bool changed = false;
	int64_t id1 = 0, id2 = 0;

	err_init(&e);
	CHECK_INT(store_begin_change(s, T0, "dana", "approve", "gate-3", NULL, &e), 0);
	CHECK_INT(store_approve(s, "gate-3", "devops-lead", "dana", &changed, &e), 0);
	CHECK(changed);
	CHECK_INT(store_approve(s, "gate-3", "devops-lead", "dana", &changed, &e), 0);
	CHECK(!changed);
	CHECK_INT(store_approve(s, "gate-3", "tech-lead", "tom", &changed, &e), 0);
	CHECK_INT(store_commit_change(s, NULL, &e), 0);

	CHECK_INT(store_begin_change(s, T0 + 1, "dana", "check", "api-tests", NULL, &e), 0);
	{
		struct store_tick t = { "api-tests", true, "dana", 0, "all green", TICK_MANUAL, -1, NULL };
		struct store_tick c = { "sit-ready", false, "check", 0, NULL, TICK_CHECK, 3,
					"line1\nno route to sit\n" };
		CHECK_INT(store_set_tick(s, &t, &e), 0);
		CHECK_INT(store_set_tick(s, &c, &e), 0);
	}
	CHECK_INT(store_commit_change(s, NULL, &e), 0);
	{
		/* a long check output keeps its tail, cut on a character boundary */
		struct strbuf big = STRBUF_INIT;
		struct store_tick c = { "long-check", true, "check", 0, NULL, TICK_CHECK, 0, NULL };
		struct store_state_snapshot sn;
		const struct store_tick *t;
		for (int i = 0; i < 3000; i++)
			strbuf_addstr(&big, "\xc3\xa9");
		strbuf_addstr(&big, "END");
		c.output_tail = big.buf;
		CHECK_INT(store_begin_change(s, T0 + 1, "check", "checklist.run", "long-check", NULL, &e), 0);
		CHECK_INT(store_set_tick(s, &c, &e), 0);
		CHECK_INT(store_commit_change(s, NULL, &e), 0);
		CHECK_INT(store_snapshot(s, &sn, &e), 0);
		t = store_snap_tick(&sn, "long-check");
		CHECK(t && t->output_tail && strlen(t->output_tail) <= 4096 && strlen(t->output_tail) > 4000);
		if (t && t->output_tail) {
			size_t n = strlen(t->output_tail);
			CHECK_STR(t->output_tail + n - 5, "\xc3\xa9" "END");
			CHECK((unsigned char)t->output_tail[0] == 0xc3);
		}
		store_snapshot_release(&sn);
		strbuf_release(&big);
	}

	CHECK_INT(store_begin_change(s, T0 + 2, "dana", "blocker", "api_infra", NULL, &e), 0);
	{
		struct store_blocker b = { "api_infra", 80, false, "dana", 0, NULL };
		struct store_blocker bad = { "api_infra", 101, false, "dana", 0, NULL };
		CHECK_INT(store_set_blocker(s, &b, &e), 0);
		CHECK(store_set_blocker(s, &bad, &e) < 0);
		CHECK_INT(e.code, ERR_USAGE);
	}
	CHECK_INT(store_commit_change(s, NULL, &e), 0);

	err_init(&e);
	CHECK_INT(store_begin_change(s, T0 + 3, "dana", "incident.open", "sit", NULL, &e), 0);
	CHECK_INT(store_open_incident(s, 2, "sit", "api", "5xx spike", "dana", &id1, &e), 0);
	CHECK_INT(store_open_incident(s, 1, "prod", NULL, "slow dashboards", "dana", &id2, &e), 0);
	CHECK(store_open_incident(s, 4, "prod", NULL, "x", "dana", NULL, &e) < 0);
	{
		/* free text is stored as valid UTF-8 whatever comes in (PostgreSQL
		 * would refuse the whole change otherwise) */
		int64_t id3 = 0;
		struct store_incidents all;
		CHECK_INT(store_open_incident(s, 1, "dev", NULL, "bad \xff" " byte \xc3\xa9t\xc3", "dana", &id3, &e), 0);
		CHECK_INT(store_open_incidents(s, 1, &all, &e), 0);
		CHECK_INT(all.n, 3);
		if (all.n == 3)
			CHECK_STR(all.v[2].text, "bad ? byte \xc3\xa9" "t?");
		store_incidents_release(&all);
	}
	CHECK_INT(store_commit_change(s, NULL, &e), 0);
	CHECK_INT(id1, 1);
	CHECK_INT(id2, 2);
	CHECK_INT(store_begin_change(s, T0 + 4, "tom", "incident.resolve", "1", NULL, &e), 0);
	CHECK_INT(store_resolve_incident(s, 1, "tom", &e), 0);
	CHECK_INT(store_resolve_incident(s, 1, "tom", &e), 2);
	CHECK_INT(store_resolve_incident(s, 77, "tom", &e), 1);
	CHECK_INT(store_commit_change(s, NULL, &e), 0);

	{
		struct store_incidents open;
		CHECK_INT(store_open_incidents(s, 1, &open, &e), 0);
		CHECK_INT(open.n, 2);
		if (open.n)
			CHECK_STR(open.v[0].text, "slow dashboards");
		store_incidents_release(&open);
		CHECK_INT(store_open_incidents(s, 2, &open, &e), 0);
		CHECK_INT(open.n, 0);
		store_incidents_release(&open);
	}

	CHECK_INT(store_snapshot(s, &st, &e), 0);
	CHECK_INT(st.napprovals, 2);
	CHECK(store_snap_approval(&st, "gate-3", "devops-lead", "dana") != NULL);
	CHECK(store_snap_approval(&st, "gate-3", "tech-lead", NULL) != NULL);
	CHECK(store_snap_approval(&st, "gate-3", "tech-lead", "dana") == NULL);
	CHECK_INT(st.nticks, 3);
	{
		const struct store_tick *t = store_snap_tick(&st, "api-tests");
		const struct store_tick *c = store_snap_tick(&st, "sit-ready");
		CHECK(t && t->done && t->source == TICK_MANUAL && t->at == T0 + 1);
		if (t)
			CHECK_STR(t->note, "all green");
		CHECK(c && !c->done && c->source == TICK_CHECK && c->exit_status == 3);
		if (c)
			CHECK_STR(c->output_tail, "line1\nno route to sit\n");
	}
	{
		const struct store_blocker *b = store_snap_blocker(&st, "api_infra");
		CHECK(b && b->progress == 80 && !b->resolved && b->at == T0 + 2);
		CHECK(store_snap_blocker(&st, "other") == NULL);
	}
	CHECK_INT(st.nincidents, 3);
	if (st.nincidents == 3) {
		CHECK_INT(st.incidents[0].level, 2);
		CHECK_STR(st.incidents[0].project, "api");
		CHECK_INT(st.incidents[0].resolved_at, T0 + 4);
		CHECK_STR(st.incidents[0].resolved_by, "tom");
		CHECK(st.incidents[1].project == NULL);
		CHECK_INT(st.incidents[1].resolved_at, 0);
	}
	store_snapshot_release(&st);

	CHECK_INT(store_begin_change(s, T0 + 5, "dana", "revoke", "gate-3", NULL, &e), 0);
	CHECK_INT(store_revoke(s, "gate-3", NULL, "dana", &changed, &e), 0);
	CHECK(changed);
	CHECK_INT(store_revoke(s, "gate-3", "tech-lead", "dana", &changed, &e), 0);
	CHECK(!changed);
	CHECK_INT(store_commit_change(s, NULL, &e), 0);
	CHECK_INT(store_snapshot(s, &st, &e), 0);
	CHECK_INT(st.napprovals, 1);
	CHECK(store_snap_approval(&st, "gate-3", "devops-lead", NULL) == NULL);
	store_snapshot_release(&st);
	CHECK_INT(audit_count(s), 7);
	store_close(s);
}

/* store_snapshot_of: the promotions of the listed projects only, across
 * the query's chunks of places, and the same result when run again (on
 * PostgreSQL the second run goes through a prepared statement). */
static void test_snapshot_of(void)
{
	enum { N = 600, ASK = 530 };
	char *url = new_url("snapof");
	struct store *s = open_ok(url);
	struct store_record *recs = xcalloc(N, sizeof(*recs));
	char (*ids)[16] = xcalloc(N, sizeof(*ids));
	char (*vers)[16] = xcalloc(N, sizeof(*vers));
	const char *ask[ASK];
	struct store_state_snapshot sn;
	struct err e;

	err_init(&e);
	for (int i = 0; i < N; i++) {
		snprintf(ids[i], sizeof(ids[i]), "p%03d", i);
		snprintf(vers[i], sizeof(vers[i]), "v%d", i);
		recs[i].project = ids[i];
		recs[i].version = vers[i];
		recs[i].line = i + 1;
	}
	CHECK_INT(store_record_versions(s, T0, "ci", "dev", recs, N, &e), 0);
	CHECK_INT(store_record_versions(s, T0, "ci", "sit", recs, N / 2, &e), 0);
	/* every odd project from p001 on, then ids the store never saw */
	for (int i = 0; i < ASK; i++)
		ask[i] = i < N / 2 ? ids[2 * i + 1] : (i % 2 ? "ghost-a" : "ghost-b");
	for (int run = 0; run < 2; run++) {
		size_t dev = 0, sit = 0, odd = 0;
		CHECK_INT(store_snapshot_of(s, ask, ASK, &sn, &e), 0);
		for (size_t i = 0; i < sn.npromotions; i++) {
			const struct store_promotion *p = &sn.promotions[i];
			int n = atoi(p->project + 1);
			odd += n % 2;
			dev += !strcmp(p->env, "dev");
			sit += !strcmp(p->env, "sit");
			if (!strcmp(p->env, "dev") && n == 599)
				CHECK_STR(p->version, "v599");
		}
		CHECK_INT(sn.npromotions, N / 2 + N / 4);
		CHECK_INT(dev, N / 2);
		CHECK_INT(sit, N / 4);
		CHECK_INT(odd, sn.npromotions);
		store_snapshot_release(&sn);
	}
	CHECK_INT(store_snapshot_of(s, ask, 1, &sn, &e), 0);
	CHECK_INT(sn.npromotions, 2);
	store_snapshot_release(&sn);
	CHECK_INT(store_snapshot_of(s, ask, 0, &sn, &e), 0);
	CHECK_INT(sn.npromotions, 0);
	store_snapshot_release(&sn);
	CHECK_INT(store_snapshot(s, &sn, &e), 0);
	CHECK_INT(sn.npromotions, N + N / 2);
	store_snapshot_release(&sn);

	/* a query of the snapshot failing (a table gone behind our back): a
	 * clear error, nothing half-read, and the same connection reads again
	 * once the table is back (PostgreSQL: an aborted pipeline) */
	CHECK_INT(raw_sql(url, "ALTER TABLE tick RENAME TO tick_gone"), 0);
	err_init(&e);
	CHECK(store_snapshot(s, &sn, &e) < 0);
	CHECK(strstr(e.msg, "tick") != NULL);
	CHECK_INT(sn.npromotions, 0);
	CHECK_INT(raw_sql(url, "ALTER TABLE tick_gone RENAME TO tick"), 0);
	err_init(&e);
	CHECK_INT(store_snapshot_of(s, ask, 3, &sn, &e), 0);
	CHECK_INT(sn.npromotions, 6);
	store_snapshot_release(&sn);
	free(recs);
	free(ids);
	free(vers);
	store_close(s);
}

/* PostgreSQL: the server ends our session while we hold no transaction (a
 * restart, a failover, an idle connection cut during a long deploy): the
 * next change, snapshot and log read connect again and go on. */
static void test_reconnect(void)
{
	static const char kill_ours[] =
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
		" WHERE application_name = 'tollgate' AND datname = current_database()";
	char *url;
	struct store *s;
	struct store_state_snapshot sn;
	struct store_verify v;
	struct err e;

	url = new_url("reconnect");
	s = open_ok(url);
	err_init(&e);
	CHECK_INT(store_record_version(s, T0, "ci", "api", "dev", "v1", &e), 0);
	CHECK_INT(raw_sql(url, kill_ours), 0);
	CHECK_INT(store_record_version(s, T0 + 1, "ci", "web", "dev", "w1", &e), 0);
	CHECK_INT(raw_sql(url, kill_ours), 0);
	CHECK_INT(store_snapshot(s, &sn, &e), 0);
	CHECK_INT(sn.npromotions, 2);
	store_snapshot_release(&sn);
	CHECK_INT(raw_sql(url, kill_ours), 0);
	memset(&v, 0, sizeof(v));
	CHECK_INT(store_log_verify(s, &v, &e), 0);
	CHECK(v.ok);
	CHECK_INT(v.count, 2);
	/* a statement prepared on the old session is prepared again */
	CHECK_INT(store_record_version(s, T0 + 2, "ci", "api", "dev", "v2", &e), 0);
	CHECK_INT(raw_sql(url, kill_ours), 0);
	CHECK_INT(store_record_version(s, T0 + 3, "ci", "api", "dev", "v3", &e), 0);
	CHECK_INT(store_snapshot(s, &sn, &e), 0);
	CHECK(sn.npromotions == 2 && !strcmp(store_snap_promotion(&sn, "api", "dev")->version, "v3"));
	store_snapshot_release(&sn);
	store_close(s);
}

static void test_leases_and_steps(void)
{
	char *url = new_url("lease");
	struct store *s1 = open_ok(url), *s2 = open_ok(url);
	struct store_lease a = { "host-a", 100, 0, "run-a", 0, T0 + 60 };
	struct store_lease b = { "host-b", 200, 0, "run-b", 0, T0 + 600 };
	struct store_lease prev, got;
	struct store_step_runs runs;
	bool expired = true;
	struct err e;

	err_init(&e);
	CHECK_INT(store_lease_acquire(s1, "api", "sit", &a, T0, &prev, &expired, &e), STORE_LEASE_OK);
	CHECK(!expired);
	CHECK_INT(store_lease_acquire(s2, "api", "sit", &b, T0 + 30, &prev, &expired, &e),
		  STORE_LEASE_BUSY);
	CHECK_STR(prev.run_id, "run-a");
	CHECK_STR(prev.host, "host-a");
	CHECK_INT(prev.pid, 100);
	/* another pair is free */
	CHECK_INT(store_lease_acquire(s2, "web", "sit", &b, T0 + 30, NULL, NULL, &e), STORE_LEASE_OK);
	/* renewing keeps it; the same run may re-acquire */
	CHECK_INT(store_lease_renew(s1, "api", "sit", "run-a", T0 + 90, 4242, &e), 0);
	CHECK_INT(store_lease_get(s2, "api", "sit", &got, &e), 1);
	CHECK_INT(got.pgid, 4242);
	CHECK_INT(got.expires, T0 + 90);
	CHECK_INT(store_lease_acquire(s1, "api", "sit", &a, T0 + 40, NULL, NULL, &e), STORE_LEASE_OK);
	CHECK_INT(store_lease_get(s2, "api", "sit", &got, &e), 1);
	CHECK_INT(got.expires, T0 + 60); /* the re-acquire wrote mine->expires */
	/* after expiry the other holder takes it over and learns it was expired */
	CHECK_INT(store_lease_acquire(s2, "api", "sit", &b, T0 + 61, &prev, &expired, &e),
		  STORE_LEASE_OK);
	CHECK(expired);
	CHECK_STR(prev.run_id, "run-a");
	CHECK_INT(store_lease_renew(s1, "api", "sit", "run-a", T0 + 900, 0, &e), 1);
	CHECK_INT(store_lease_release(s1, "api", "sit", "run-a", &e), 0); /* not ours: no-op */
	CHECK_INT(store_lease_get(s1, "api", "sit", &got, &e), 1);
	CHECK_STR(got.run_id, "run-b");
	/* compare-and-swap take-over: only while the old run still holds it */
	{
		struct store_lease c = { "host-c", 300, 0, "run-c", 0, T0 + 900 };
		const char *pair[] = { "api", "web" };
		CHECK_INT(store_lease_steal(s1, "api", "sit", "run-a", &c, T0 + 70, &e), 1);
		CHECK_INT(store_lease_steal(s1, "api", "sit", "run-b", &c, T0 + 70, &e), 0);
		CHECK_INT(store_lease_get(s2, "api", "sit", &got, &e), 1);
		CHECK_STR(got.run_id, "run-c");
		CHECK_INT(got.acquired, T0 + 70);
		/* renew many: api is now run-c's, web still run-b's */
		CHECK_INT(store_lease_renew_many(s2, pair, 2, "sit", "run-b", T0 + 1000, &e), 1);
		CHECK_INT(store_lease_get(s2, "web", "sit", &got, &e), 1);
		CHECK_INT(got.expires, T0 + 1000);
		CHECK_INT(store_lease_renew_many(s1, pair, 2, "sit", "run-c", T0 + 1200, &e), 1);
		CHECK_INT(store_lease_release(s1, "api", "sit", "run-b", &e), 0);
		CHECK_INT(store_lease_get(s1, "api", "sit", &got, &e), 1);
		CHECK_INT(store_lease_release(s1, "api", "sit", "run-c", &e), 0);
	}
	CHECK_INT(store_lease_get(s1, "api", "sit", &got, &e), 0);
	/* a step start records the step and the process group on the lease */
	{
		struct store_step_run r = { "run-b", "web", "sit", "verify", T0 + 5, 0, -1, NULL, 0 };
		CHECK_INT(store_step_started(s1, &r, 777, T0 + 2000, &e), 0);
		CHECK_INT(store_lease_get(s1, "web", "sit", &got, &e), 1);
		CHECK_INT(got.pgid, 777);
		CHECK_INT(got.expires, T0 + 2000);
		CHECK_INT(store_list_step_runs(s2, "web", "sit", "verify", 0, &runs, &e), 0);
		CHECK_INT(runs.n, 1);
		store_step_runs_release(&runs);
	}

	/* step runs */
	{
		struct store_step_run r1 = { "run-a", "api", "sit", "deploy", T0, 0, -1, "/tmp/x.log", 0 };
		struct store_step_run r2 = { "run-b", "api", "sit", "deploy", T0 + 100, T0 + 130, 0, NULL, 30000 };
		CHECK_INT(store_put_step_run(s1, &r1, &e), 0);
		r1.ended = T0 + 42;
		r1.exit_status = 1;
		CHECK_INT(store_put_step_run(s1, &r1, &e), 0);
		CHECK_INT(store_put_step_run(s1, &r2, &e), 0);
		CHECK_INT(store_list_step_runs(s2, "api", "sit", "deploy", 0, &runs, &e), 0);
		CHECK_INT(runs.n, 2);
		if (runs.n == 2) {
			CHECK_STR(runs.v[0].run_id, "run-b");
			CHECK_INT(runs.v[1].ended - runs.v[1].started, 42);
			CHECK_INT(runs.v[1].exit_status, 1);
			CHECK_STR(runs.v[1].log_path, "/tmp/x.log");
		}
		store_step_runs_release(&runs);
		CHECK_INT(store_list_step_runs(s2, NULL, NULL, NULL, 1, &runs, &e), 0);
		CHECK_INT(runs.n, 1);
		store_step_runs_release(&runs);
	}
	CHECK_INT(audit_count(s1), 0); /* coordination records are not audited */
	store_close(s1);
	store_close(s2);
}

/* Make n audited changes in a fresh store and return its URL. */
static char *audited_store(const char *tag, int n)
{
	char *url = new_url(tag);
	struct store *s = open_ok(url);
	struct err e;
	err_init(&e);
	for (int i = 0; i < n; i++) {
		char v[32];
		snprintf(v, sizeof(v), "v%d", i);
		CHECK_INT(store_record_version(s, T0 + i, "ci", "api", "dev", v, &e), 0);
	}
	store_close(s);
	return url;
}

static struct store_verify verify_url(const char *url)
{
	struct store *s = open_ok(url);
	struct store_verify v;
	struct err e;
	err_init(&e);
	CHECK_INT(store_log_verify(s, &v, &e), 0);
	store_close(s);
	return v;
}

struct collect {
	int n;
	int64_t first, last;
	char hash[65];
};

static int collect_fn(void *ctx, const struct store_log_entry *en)
{
	struct collect *c = ctx;
	char hex[65];
	if (!c->n)
		c->first = en->seq;
	c->last = en->seq;
	c->n++;
	store_log_hash(en, hex);
	CHECK_STR(hex, en->hash);
	snprintf(c->hash, sizeof(c->hash), "%s", en->hash);
	return 0;
}

/* A copy of entry `seq` (its strings are the copy's: entry_copy_release). */
struct entry_copy {
	int64_t seq;
	struct store_log_entry en;
};

static int copy_entry_fn(void *ctx, const struct store_log_entry *en)
{
	struct entry_copy *c = ctx;
	if (en->seq != c->seq)
		return 0;
	c->en = *en;
	c->en.actor = xstrdup(en->actor);
	c->en.action = xstrdup(en->action);
	c->en.subject = xstrdup(en->subject);
	c->en.detail = xstrdup(en->detail);
	c->en.prev_hash = xstrdup(en->prev_hash);
	c->en.hash = xstrdup(en->hash);
	c->en.auth = en->auth ? xstrdup(en->auth) : NULL;
	c->en.ops = en->ops ? xstrdup(en->ops) : NULL;
	return 0;
}

static void entry_copy_release(struct entry_copy *c)
{
	free((char *)c->en.actor);
	free((char *)c->en.action);
	free((char *)c->en.subject);
	free((char *)c->en.detail);
	free((char *)c->en.prev_hash);
	free((char *)c->en.hash);
	free((char *)c->en.auth);
	free((char *)c->en.ops);
}

static void test_audit_chain(void)
{
	char *url = audited_store("audit", 6);
	struct store_verify v = verify_url(url);
	struct store *s;
	struct collect c = { 0, 0, 0, "" };
	struct err e;

	CHECK(v.ok);
	CHECK_INT(v.count, 6);

	s = open_ok(url);
	err_init(&e);
	CHECK_INT(store_log_each(s, 0, collect_fn, &c, &e), 0);
	CHECK_INT(c.n, 6);
	c.n = 0;
	CHECK_INT(store_log_each(s, 2, collect_fn, &c, &e), 0);
	CHECK_INT(c.n, 2);
	CHECK_INT(c.first, 5);
	CHECK_INT(c.last, 6);
	store_close(s);

	/* an edited row */
	CHECK_INT(raw_sql(url, "UPDATE audit SET detail = 'version v9' WHERE seq = 3"), 0);
	v = verify_url(url);
	CHECK(!v.ok);
	CHECK_INT(v.bad_seq, 3);
	CHECK_STR(v.why, "its content does not match its hash");

	/* a deleted row */
	url = audited_store("audit_del", 6);
	CHECK_INT(raw_sql(url, "DELETE FROM audit WHERE seq = 4"), 0);
	v = verify_url(url);
	CHECK(!v.ok);
	CHECK_INT(v.bad_seq, 4);
	CHECK_STR(v.why, "entry 4 is missing");
	/* the next change does not paper over it */
	s = open_ok(url);
	CHECK_INT(store_record_version(s, T0 + 99, "ci", "api", "dev", "v99", &e), 0);
	store_close(s);
	v = verify_url(url);
	CHECK(!v.ok);
	CHECK_INT(v.bad_seq, 4);

	/* a deleted tail */
	url = audited_store("audit_tail", 5);
	CHECK_INT(raw_sql(url, "DELETE FROM audit WHERE seq = 5"), 0);
	v = verify_url(url);
	CHECK(!v.ok);
	CHECK_INT(v.bad_seq, 5);
	CHECK_STR(v.why, "the log ends at entry 4 but its head says 5");

	/* a reordered pair: 3 and 4 swap places */
	url = audited_store("audit_swap", 6);
	CHECK_INT(raw_sql(url, "UPDATE audit SET seq = -1 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = 4;"
			       " UPDATE audit SET seq = 4 WHERE seq = -1"), 0);
	v = verify_url(url);
	CHECK(!v.ok);
	CHECK_INT(v.bad_seq, 3);

	/* a row re-hashed consistently is still caught: the chain breaks after it */
	url = audited_store("audit_rehash", 4);
	{
		struct entry_copy two = { 2, { 0 } };
		struct store_log_entry en;
		char hex[65];
		char *sql;
		s = open_ok(url);
		CHECK_INT(store_log_each(s, 0, copy_entry_fn, &two, &e), 0);
		store_close(s);
		en = two.en;
		en.detail = "forged";
		store_log_hash(&en, hex);
		sql = xasprintf("UPDATE audit SET detail = 'forged', hash = '%s' WHERE seq = 2", hex);
		CHECK_INT(raw_sql(url, sql), 0);
		free(sql);
		v = verify_url(url);
		CHECK(!v.ok);
		CHECK_INT(v.bad_seq, 3);
		entry_copy_release(&two);
	}
}

static void test_bulk_append(void)
{
	char *url = new_url("bulk");
	struct store *s = open_ok(url);
	struct store_verify v;
	struct err e;
	err_init(&e);
	CHECK_INT(store_record_version(s, T0, "ci", "api", "dev", "v1", &e), 0);
	CHECK_INT(store_log_append_bulk(s, T0, 1000, &e), 0);
	CHECK_INT(store_record_version(s, T0, "ci", "api", "dev", "v2", &e), 0);
	CHECK_INT(store_log_verify(s, &v, &e), 0);
	CHECK(v.ok);
	CHECK_INT(v.count, 1002);
	store_close(s);
}

/* Issue 9 item 4: the ids the state names, renamed and forgotten. */
struct ids_seen {
	int n[STORE_ID_KINDS];
	char last[STORE_ID_KINDS][64];
};

static int ids_fn(void *ctx, enum store_id_kind kind, const char *id)
{
	struct ids_seen *c = ctx;
	c->n[kind]++;
	snprintf(c->last[kind], sizeof(c->last[kind]), "%s", id);
	return 0;
}

static struct ids_seen ids_of(struct store *s)
{
	struct ids_seen c;
	struct err e;
	memset(&c, 0, sizeof(c));
	err_init(&e);
	CHECK_INT(store_each_state_id(s, ids_fn, &c, &e), 0);
	return c;
}

static void test_move_and_forget(void)
{
	char *url = new_url("moved");
	struct store *s = open_ok(url);
	struct store_state_snapshot st;
	struct ids_seen seen;
	struct store_history h;
	int64_t rows = 0, inc = 0;
	struct err e;

	err_init(&e);
	seen = ids_of(s);
	CHECK_INT(seen.n[STORE_ID_PROJECT] + seen.n[STORE_ID_GATE] + seen.n[STORE_ID_BLOCKER], 0);
	CHECK_INT(store_record_version(s, T0, "ci", "ledger", "dev", "1", &e), 0);
	CHECK_INT(store_record_version(s, T0, "ci", "ledger", "prod-eu", "1", &e), 0);
	CHECK_INT(store_record_version(s, T0, "ci", "api", "prod-eu", "2", &e), 0);
	CHECK_INT(store_begin_change(s, T0, "ann", "x", "y", NULL, &e), 0);
	CHECK_INT(store_approve(s, "cab", "rm", "ann", NULL, &e), 0);
	{
		struct store_tick t = { "tests", true, "ann", 0, NULL, TICK_MANUAL, -1, NULL };
		struct store_blocker b = { "dns", 50, false, "ann", 0, NULL };
		CHECK_INT(store_set_tick(s, &t, &e), 0);
		CHECK_INT(store_set_blocker(s, &b, &e), 0);
	}
	CHECK_INT(store_open_incident(s, 1, "prod-eu", "ledger", "slow", "ann", &inc, &e), 0);
	CHECK_INT(store_commit_change(s, NULL, &e), 0);
	seen = ids_of(s);
	CHECK_INT(seen.n[STORE_ID_PROJECT], 2);
	CHECK_INT(seen.n[STORE_ID_ENV], 2);
	CHECK_INT(seen.n[STORE_ID_GATE], 1);
	CHECK_STR(seen.last[STORE_ID_ITEM], "tests");
	CHECK_STR(seen.last[STORE_ID_BLOCKER], "dns");

	/* a rename carries every row over, history and incidents included */
	CHECK_INT(store_begin_change(s, T0 + 1, "tollgate", "moved", "project ledger", NULL, &e), 0);
	CHECK_INT(store_move_id(s, STORE_ID_PROJECT, "ledger", "ledger-svc", &rows, &e), 0);
	CHECK_INT(rows, 5); /* 2 promotions, 2 history rows, 1 incident */
	CHECK_INT(store_move_id(s, STORE_ID_ENV, "prod-eu", "prod-emea", &rows, &e), 0);
	CHECK_INT(store_move_id(s, STORE_ID_GATE, "cab", "prod-cab", &rows, &e), 0);
	CHECK_INT(rows, 1);
	CHECK_INT(store_move_id(s, STORE_ID_ITEM, "tests", "api-tests", &rows, &e), 0);
	CHECK_INT(store_move_id(s, STORE_ID_BLOCKER, "dns", "dns-2", &rows, &e), 0);
	CHECK_INT(rows, 1);
	CHECK_INT(store_move_id(s, STORE_ID_BLOCKER, "nothing", "dns-3", &rows, &e), 0);
	CHECK_INT(rows, 0);
	CHECK_INT(store_commit_change(s, NULL, &e), 0);
	CHECK_INT(store_snapshot(s, &st, &e), 0);
	CHECK(store_snap_promotion(&st, "ledger-svc", "prod-emea") != NULL);
	CHECK(store_snap_promotion(&st, "ledger", "prod-eu") == NULL);
	CHECK(store_snap_approval(&st, "prod-cab", "rm", "ann") != NULL);
	CHECK(store_snap_tick(&st, "api-tests") != NULL);
	CHECK(store_snap_blocker(&st, "dns-2") != NULL);
	CHECK_INT(st.nincidents, 1);
	if (st.nincidents) {
		CHECK_STR(st.incidents[0].project, "ledger-svc");
		CHECK_STR(st.incidents[0].env, "prod-emea");
	}
	store_snapshot_release(&st);
	CHECK_INT(store_promotion_history(s, "ledger-svc", "prod-emea", &h, &e), 0);
	CHECK_INT(h.n, 1);
	store_history_release(&h);

	/* forgetting drops the state, not the incidents */
	CHECK_INT(store_begin_change(s, T0 + 2, "ann", "forget", "project api", NULL, &e), 0);
	CHECK_INT(store_forget_id(s, STORE_ID_PROJECT, "api", &rows, &e), 0);
	CHECK_INT(rows, 2); /* its promotion and its history row */
	CHECK_INT(store_forget_id(s, STORE_ID_GATE, "prod-cab", &rows, &e), 0);
	CHECK_INT(rows, 1);
	CHECK_INT(store_forget_id(s, STORE_ID_ENV, "prod-emea", &rows, &e), 0);
	CHECK_INT(rows, 2);
	CHECK_INT(store_forget_id(s, STORE_ID_ITEM, "none", &rows, &e), 0);
	CHECK_INT(rows, 0);
	CHECK(store_forget_id(s, STORE_ID_ITEM, "bad id", &rows, &e) < 0);
	CHECK_INT(e.code, ERR_USAGE);
	CHECK_INT(store_commit_change(s, NULL, &e), 0);
	seen = ids_of(s);
	CHECK_INT(seen.n[STORE_ID_PROJECT], 1);
	CHECK_STR(seen.last[STORE_ID_ENV], "dev");
	CHECK_INT(seen.n[STORE_ID_ENV], 1);
	CHECK_INT(seen.n[STORE_ID_GATE], 0);
	CHECK_INT(store_snapshot(s, &st, &e), 0);
	CHECK_INT(st.nincidents, 1);
	store_snapshot_release(&st);
	CHECK_INT(audit_count(s), 6);
	store_close(s);
}

/* Issue 9 item 6: a store remembers whether it was made on a rehearsal
 * clock, and the log's times never go backwards. */
static int at_fn(void *ctx, const struct store_log_entry *en)
{
	int64_t *v = ctx;
	v[en->seq - 1] = en->at;
	return 0;
}

static void test_rehearsal_and_clock(void)
{
	char *url = new_url("rehearsal");
	struct store_open_opts o = { 0 };
	struct store *s = NULL;
	struct store_verify v;
	int64_t at[4] = { 0 };
	struct err e;

	err_init(&e);
	o.rehearsal = true;
	CHECK_INT(store_open_with(&s, NULL, url, &o, &e), 0);
	CHECK(store_is_rehearsal(s));
	store_close(s);
	s = open_ok(url); /* made as a rehearsal store, it stays one */
	CHECK(store_is_rehearsal(s));
	store_close(s);

	/* a store that is not there is not made by an existing_only open */
	url = new_url("none");
	{
		struct store_open_opts only = { 0 };
		only.existing_only = true;
		s = NULL;
		CHECK_INT(store_open_with(&s, NULL, url, &only, &e), 1);
		CHECK(s == NULL);
		if (!is_pg()) {
			struct stat sb;
			CHECK(stat(url + 7, &sb) < 0);
		}
		s = open_ok(url); /* made now: existing_only finds it */
		store_close(s);
		s = NULL;
		CHECK_INT(store_open_with(&s, NULL, url, &only, &e), 0);
		CHECK(s != NULL);
		store_close(s);
	}

	url = new_url("real");
	s = open_ok(url);
	CHECK(!store_is_rehearsal(s));
	store_close(s);
	s = NULL;
	CHECK_INT(store_open_with(&s, NULL, url, &o, &e), 0); /* and a real one stays real */
	CHECK(!store_is_rehearsal(s));

	/* the clock goes back an hour between changes, and within a batch */
	CHECK_INT(store_record_version(s, T0 + 3600, "ci", "api", "dev", "v1", &e), 0);
	CHECK_INT(store_record_version(s, T0, "ci", "api", "dev", "v2", &e), 0);
	CHECK_INT(store_begin_batch(s, &e), 0);
	CHECK_INT(store_begin_change(s, T0 + 7200, "ci", "x", "a", NULL, &e), 0);
	CHECK_INT(store_commit_change(s, NULL, &e), 0);
	CHECK_INT(store_begin_change(s, T0 + 60, "ci", "x", "b", NULL, &e), 0);
	CHECK_INT(store_commit_change(s, NULL, &e), 0);
	CHECK_INT(store_commit_batch(s, &e), 0);
	CHECK_INT(store_log_each(s, 0, at_fn, at, &e), 0);
	CHECK_INT(at[0], T0 + 3600);
	CHECK_INT(at[1], T0 + 3600);
	CHECK_INT(at[2], T0 + 7200);
	CHECK_INT(at[3], T0 + 7200);
	CHECK_INT(store_log_verify(s, &v, &e), 0);
	CHECK(v.ok);
	{
		/* what the change wrote carries the entry's time too */
		struct store_promotion p;
		struct arena a;
		arena_init(&a);
		CHECK_INT(store_get_promotion(s, "api", "dev", &p, &a, &e), 0);
		CHECK_INT(p.since, T0 + 3600);
		arena_release(&a);
	}
	store_close(s);
}

/* nproc processes × nchanges changes at once: all land, none fails. */
static void test_concurrency(int nproc, int nchanges)
{
	char *url = new_url("conc");
	struct store *s = open_ok(url);
	pid_t pids[16];
	int failed = 0;
	struct err e;

	store_close(s);
	for (int p = 0; p < nproc; p++) {
		pids[p] = fork();
		if (pids[p] == 0) {
			struct store *cs = NULL;
			char project[32];
			int bad = 0;
			err_init(&e);
			if (store_open(&cs, NULL, url, &e) < 0) {
				fprintf(stderr, "child %d: %s\n", p, e.msg);
				_exit(2);
			}
			snprintf(project, sizeof(project), "p%d", p);
			for (int i = 0; i < nchanges; i++) {
				char v[32];
				snprintf(v, sizeof(v), "v%d", i);
				err_init(&e);
				if (store_record_version(cs, T0 + i, "ci", project, "dev", v, &e) < 0) {
					fprintf(stderr, "child %d change %d: %s\n", p, i, e.msg);
					bad = 1;
					break;
				}
			}
			store_close(cs);
			_exit(bad);
		}
	}
	for (int p = 0; p < nproc; p++) {
		int status = 0;
		waitpid(pids[p], &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	}
	CHECK_INT(failed, 0);
	s = open_ok(url);
	CHECK_INT(audit_count(s), (int64_t)nproc * nchanges);
	for (int p = 0; p < nproc; p++) {
		char project[32], last[32];
		struct store_history h;
		snprintf(project, sizeof(project), "p%d", p);
		snprintf(last, sizeof(last), "v%d", nchanges - 1);
		err_init(&e);
		CHECK_INT(store_promotion_history(s, project, "dev", &h, &e), 0);
		CHECK_INT(h.n, nchanges);
		if (h.n)
			CHECK_STR(h.v[h.n - 1].version, last);
		store_history_release(&h);
	}
	store_close(s);
}

static void test_concurrency_full(void)
{
	if (is_pg())
		test_concurrency(4, 100);
	else
		test_concurrency(8, 500);
}

int main(void)
{
	const char *db = getenv("TOLLGATE_TEST_DB");
	char tmpl[] = "/tmp/tollgate-store-XXXXXX";
	char *cmd;

	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	sqlite_dir = tmpl;
	if (db && (!strncmp(db, "postgres://", 11) || !strncmp(db, "postgresql://", 13)))
		base_url = xstrdup(db);
	printf("backend: %s\n", is_pg() ? base_url : "sqlite");

	RUN(test_open_and_migrate);
	RUN(test_bad_urls);
	if (!is_pg()) /* the default store is a SQLite file */
		RUN(test_default_location);
	RUN(test_record);
	RUN(test_approvals_ticks_blockers_incidents);
	RUN(test_snapshot_of);
	if (is_pg()) /* SQLite has no session to lose */
		RUN(test_reconnect);
	RUN(test_leases_and_steps);
	RUN(test_audit_chain);
	RUN(test_bulk_append);
	RUN(test_rehearsal_and_clock);
	RUN(test_move_and_forget);
	RUN(test_concurrency_full);

	cmd = xasprintf("rm -rf '%s'", tmpl);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpl);
	free(cmd);
	free_urls();
	free((char *)base_url);
	return TEST_DONE();
}
