/*
 * test-events.c - the event stream over the audit log (engine/events.h) and
 * the server's background soak work (soak_tick), on a real store: SQLite in
 * a temporary folder, or the PostgreSQL database TOLLGATE_TEST_DB names
 * (tests/store/events-pg.sh).
 *
 * Waking is proven by events, never by times: a waiter must be woken by a
 * write from another process (the CLI) within a generous bound, and 200
 * waiters by one write with one read of the store's entries.
 */
#define _GNU_SOURCE
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/encode.h"
#include "engine/events.h"
#include "engine/promote.h"
#include "plan/plan.h"
#include "store/store.h"
#include "test.h"

static const char plan_yaml[] =
	"version: 1\n"
	"plan: {id: UNIT-EVENTS}\n"
	"environments:\n"
	"  - {name: dev}\n"
	"  - {name: prod, soak: 1h}\n"
	"people:\n"
	"  - {id: olga, roles: [ops-lead]}\n"
	"waves: [{id: w}]\n"
	"projects:\n"
	"  - {id: a, wave: w, deploy: 'true', rollback: echo rollback $TOLLGATE_PROJECT >>rollbacks}\n"
	"  - {id: b, wave: w, deploy: 'true', rollback: echo rollback $TOLLGATE_PROJECT >>rollbacks}\n"
	"  - {id: c, wave: w, deploy: 'true', rollback: echo rollback $TOLLGATE_PROJECT >>rollbacks}\n"
	"triggers:\n"
	"  - {id: err, text: errors, measure: sh measure.sh, above: 0.5, envs: [prod], every: 10m}\n";

/* measure.sh: one line per measure in `measures`, prints value-PROJECT (else 0) */
static const char measure_sh[] =
	"echo \"$TOLLGATE_PROJECT\" >>measures\n"
	"cat \"value-$TOLLGATE_PROJECT\" 2>/dev/null || echo 0\n";

static char dir[64];
static const char *test_db;
static struct plan *plan;
static char *url;
static int ndb;

static void write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
	free(path);
}

/* Lines of a file of dir (0 when it is not there). */
static int lines_of(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	int n = 0, ch;
	free(path);
	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static char *new_url(void)
{
	ndb++;
	if (test_db) {
		const char *slash = strrchr(test_db, '/');
		char *name = xasprintf("ev_%ld_%d", (long)getpid(), ndb);
		char *cmd = xasprintf("psql '%s' -qAt -v ON_ERROR_STOP=1 -c 'CREATE DATABASE %s' "
				      ">/dev/null", test_db, name);
		char *u;
		if (system(cmd) != 0) {
			fprintf(stderr, "cannot create database %s\n", name);
			exit(1);
		}
		u = xasprintf("%.*s/%s", (int)(slash - test_db), test_db, name);
		free(cmd);
		free(name);
		return u;
	}
	return xasprintf("sqlite:%s/state-%d.db", dir, ndb);
}

static struct store *open_store(const char *u)
{
	struct store *s;
	struct err e;
	err_init(&e);
	if (store_open(&s, plan, u, &e) < 0) {
		fprintf(stderr, "store_open %s: %s\n", u, e.msg);
		exit(1);
	}
	return s;
}

/* The CLI, in another process, records project@dev = version. */
static void cli_record(const char *project, const char *version)
{
	const char *bin = getenv("TOLLGATE_BIN");
	char *cmd = xasprintf("cd '%s' && '%s' --plan tollgate.yaml --db '%s' record %s dev "
			      "--version %s >/dev/null 2>cli.err || cat cli.err >&2",
			      dir, bin ? bin : "tollgate", url, project, version);
	CHECK(system(cmd) == 0);
	free(cmd);
}

static void record(struct store *s, const char *project, const char *version)
{
	struct err e;
	err_init(&e);
	CHECK(store_record_version(s, 1000, "olga", project, "dev", version, &e) == 0);
}

static int64_t head_of(struct store *s)
{
	int64_t seq = -1;
	char hash[65];
	struct err e;
	err_init(&e);
	CHECK(store_log_head(s, &seq, hash, &e) == 0);
	return seq;
}

/* What events_read gives: seqs and JSON texts. */
struct got {
	int64_t seq[256];
	char *json[256];
	int n;
};

static int got_fn(void *ctx, int64_t seq, const char *json, size_t len)
{
	struct got *g = ctx;
	if (g->n < 256) {
		g->seq[g->n] = seq;
		g->json[g->n] = xstrndup(json, len);
	}
	g->n++;
	return 0;
}

static void got_release(struct got *g)
{
	for (int i = 0; i < g->n && i < 256; i++)
		free(g->json[i]);
	g->n = 0;
}

/* The entries after `after` come exactly as after+1 … to, in order. */
static void check_seqs(const struct got *g, int64_t after, int64_t to)
{
	CHECK_INT(g->n, to - after);
	for (int i = 0; i < g->n && i < 256; i++)
		CHECK_INT(g->seq[i], after + 1 + i);
}

/* `log --json`'s text of the last entry (encode_log_line, as cmd-log.c) */
static int last_fn(void *ctx, const struct store_log_entry *en)
{
	json_t *o = encode_log_line(en);
	char **out = ctx;
	free(*out);
	*out = json_dumps(o, JSON_PRESERVE_ORDER);
	json_decref(o);
	return 0;
}

static void test_cli_write_wakes(void)
{
	struct store *s = open_store(url);
	struct events *ev;
	struct err e;
	struct got g = { 0 };
	int64_t h;
	char *expect = NULL;

	err_init(&e);
	record(s, "a", "1.0"); /* the log is not empty */
	CHECK(events_open(&ev, s, NULL, &e) == 0);
	h = events_head(ev);
	CHECK_INT(h, head_of(s));
	CHECK(events_wait(ev, h, 0, &e) == 0); /* nothing yet */
	cli_record("a", "1.1");
	CHECK(events_wait(ev, h, 20000, &e) == 1);
	CHECK(events_read(ev, h, 0, got_fn, &g, &e) == 0);
	check_seqs(&g, h, h + 1);
	CHECK(store_log_each(s, 1, last_fn, &expect, &e) == 0);
	if (g.n == 1)
		CHECK_STR(g.json[0], expect);
	CHECK(strstr(g.json[0] ? g.json[0] : "", "\"action\": \"record\"") != NULL);
	got_release(&g);
	free(expect);

	/* resumption: after N gives N+1 … exactly, each once */
	for (int i = 0; i < 5; i++) {
		char v[16];
		snprintf(v, sizeof(v), "2.%d", i);
		record(s, "b", v);
	}
	CHECK(events_wait(ev, h + 5, 20000, &e) == 1);
	CHECK_INT(events_head(ev), h + 6);
	CHECK(events_read(ev, h + 2, 0, got_fn, &g, &e) == 0);
	check_seqs(&g, h + 2, h + 6);
	got_release(&g);
	CHECK(events_read(ev, h + 2, 2, got_fn, &g, &e) == 0);
	check_seqs(&g, h + 2, h + 4);
	got_release(&g);
	CHECK(events_read(ev, h + 6, 0, got_fn, &g, &e) == 0);
	CHECK_INT(g.n, 0);
	/* from the start: before the buffer, read from the store */
	CHECK(events_read(ev, 0, 0, got_fn, &g, &e) == 0);
	check_seqs(&g, 0, h + 6);
	got_release(&g);
	events_close(ev);
	store_close(s);
}

/* A buffer of 2: what it no longer holds comes from the store, in order. */
static void test_small_buffer(void)
{
	struct store *s = open_store(url);
	struct events_opts o = { 2, 200 };
	struct events *ev;
	struct err e;
	struct got g = { 0 };
	int64_t h;

	err_init(&e);
	CHECK(events_open(&ev, s, &o, &e) == 0);
	h = events_head(ev);
	for (int i = 0; i < 7; i++) {
		char v[16];
		snprintf(v, sizeof(v), "3.%d", i);
		record(s, "c", v);
	}
	CHECK(events_wait(ev, h + 6, 20000, &e) == 1);
	CHECK(events_read(ev, h, 0, got_fn, &g, &e) == 0);
	check_seqs(&g, h, h + 7);
	got_release(&g);
	CHECK(events_read(ev, h + 3, 3, got_fn, &g, &e) == 0);
	check_seqs(&g, h + 3, h + 6);
	got_release(&g);
	events_close(ev);
	store_close(s);
}

#define NWAITERS 200
struct waiter {
	struct events *ev;
	int64_t after;
	int woken;
	struct got g;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	struct err e;
	err_init(&e);
	w->woken = events_wait(w->ev, w->after, 60000, &e);
	if (w->woken == 1 && events_read(w->ev, w->after, 0, got_fn, &w->g, &e) < 0)
		w->woken = -1;
	return NULL;
}

static void test_many_waiters(void)
{
	struct store *s = open_store(url);
	struct events *ev;
	struct events_stats st0, st;
	static struct waiter w[NWAITERS];
	pthread_t t[NWAITERS];
	struct err e;
	int64_t h;
	int ok = 0;

	err_init(&e);
	CHECK(events_open(&ev, s, NULL, &e) == 0);
	h = events_head(ev);
	for (int i = 0; i < NWAITERS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].ev = ev;
		w[i].after = h;
		pthread_create(&t[i], NULL, wait_thread, &w[i]);
	}
	for (int i = 0; i < 2000; i++) { /* all of them waiting (at most 20 s) */
		events_get_stats(ev, &st0);
		if (st0.waiting == NWAITERS)
			break;
		usleep(10000);
	}
	CHECK_INT(st0.waiting, NWAITERS);
	cli_record("a", "4.0");
	for (int i = 0; i < NWAITERS; i++) {
		pthread_join(t[i], NULL);
		if (w[i].woken == 1 && w[i].g.n == 1 && w[i].g.seq[0] == h + 1)
			ok++;
		got_release(&w[i].g);
	}
	CHECK_INT(ok, NWAITERS);
	events_get_stats(ev, &st);
	/* one read of the entries for all of them */
	CHECK_INT(st.store_reads - st0.store_reads, 1);
	events_close(ev);
	store_close(s);
}

/* PostgreSQL: the watcher's session is killed; what lands meanwhile comes. */
static void test_watcher_reconnect(void)
{
	struct store *s = open_store(url);
	struct events *ev;
	struct got g = { 0 };
	struct err e;
	char *cmd;
	int64_t h;

	err_init(&e);
	CHECK(events_open(&ev, s, NULL, &e) == 0);
	h = events_head(ev);
	store_close(s);
	/* every session of the database but psql's own: the watcher's too */
	cmd = xasprintf("psql '%s' -qAt -v ON_ERROR_STOP=1 -c \"SELECT count(pg_terminate_backend(pid))"
			" FROM pg_stat_activity WHERE datname = current_database()"
			" AND pid <> pg_backend_pid()\" >/dev/null", url);
	CHECK(system(cmd) == 0);
	cli_record("b", "5.0");
	cli_record("b", "5.1");
	CHECK(system(cmd) == 0);
	cli_record("b", "5.2");
	CHECK(events_wait(ev, h + 2, 30000, &e) == 1);
	CHECK(events_read(ev, h, 0, got_fn, &g, &e) == 0);
	check_seqs(&g, h, h + 3);
	got_release(&g);
	free(cmd);
	events_close(ev);
}

/* ---- soak_tick --------------------------------------------------------------- */

static void soaking(struct store *s, const char *project, int64_t now, int64_t until)
{
	struct store_promotion p = { 0 };
	struct err e;
	err_init(&e);
	p.project = project;
	p.env = "prod";
	p.state = STATE_SOAKING;
	p.version = "9.0";
	p.previous_version = "8.0";
	p.soak_until = until;
	CHECK(store_begin_change(s, now, "olga", "promotion.soaking", project, NULL, &e) == 0);
	CHECK(store_set_promotion(s, &p, &e) == 0);
	CHECK(store_commit_change(s, NULL, &e) == 0);
}

static enum store_state state_of(struct store *s, const char *project)
{
	struct store_promotion pr;
	struct arena a;
	struct err e;
	enum store_state st;
	err_init(&e);
	arena_init(&a);
	CHECK(store_get_promotion(s, project, "prod", &pr, &a, &e) == 0);
	st = pr.state;
	arena_release(&a);
	return st;
}

static int tick(struct store *s, const char *holder, int64_t now, struct soak_tick_result *r)
{
	struct soak_tick_opts o = { holder, 0, NULL, NULL };
	struct err e;
	int rc;
	err_init(&e);
	rc = soak_tick(plan, s, now, &o, r, &e);
	if (rc < 0)
		fprintf(stderr, "soak_tick: %s\n", e.msg);
	return rc;
}

struct tick_thread {
	const char *holder;
	int64_t now;
	struct soak_tick_result r;
	int rc;
};

static void *tick_fn(void *arg)
{
	struct tick_thread *t = arg;
	struct store *s = open_store(url);
	t->rc = tick(s, t->holder, t->now, &t->r);
	store_close(s);
	return NULL;
}

static void test_soak_tick(void)
{
	const int64_t t0 = 2000000000;
	struct store *s;
	struct soak_tick_result r;
	struct tick_thread a = { "serve-a", t0, { 0 }, 0 }, b = { "serve-b", t0, { 0 }, 0 };
	pthread_t ta, tb;
	char *u = new_url();

	free(url);
	url = u;
	s = open_store(url);
	soaking(s, "a", t0 - 10, t0 + 3600);
	soaking(s, "b", t0 - 10, t0 + 100);

	/* two servers tick at once: one measures, the other skips */
	pthread_create(&ta, NULL, tick_fn, &a);
	pthread_create(&tb, NULL, tick_fn, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	CHECK(a.rc == 0 && b.rc == 0);
	CHECK(a.r.skipped != b.r.skipped);
	CHECK_INT(lines_of("measures"), 2); /* a and b, once */
	{
		struct tick_thread *skip = a.r.skipped ? &a : &b, *did = a.r.skipped ? &b : &a;
		CHECK_STR(skip->r.holder, did->holder);
		CHECK_INT(did->r.measured, 2);
		/* the one that skipped keeps skipping while the lease lives */
		CHECK(tick(s, skip->holder, t0 + 30, &r) == 0);
		CHECK(r.skipped);
		soak_tick_result_release(&r);
		/* its holder goes on: not more often than every 10m */
		CHECK(tick(s, did->holder, t0 + 60, &r) == 0);
		CHECK(!r.skipped);
		CHECK_INT(r.measured, 0);
		soak_tick_result_release(&r);
		/* b's soak is over: measured once more and healthy */
		CHECK(tick(s, did->holder, t0 + 120, &r) == 0);
		CHECK_INT(r.measured, 1);
		CHECK_INT(r.report.nresults, 1);
		CHECK(r.report.nresults == 1 && r.report.results[0].outcome == PROMOTE_HEALTHY);
		soak_tick_result_release(&r);
		CHECK(state_of(s, "b") == STATE_HEALTHY);
		CHECK(state_of(s, "a") == STATE_SOAKING);
		CHECK_INT(lines_of("measures"), 3);
		/* the holder died: once its lease expired the other takes over,
		 * and the interval holds (it is kept in the store) */
		CHECK(tick(s, skip->holder, t0 + 300, &r) == 0);
		CHECK(!r.skipped);
		CHECK_INT(r.measured, 0);
		soak_tick_result_release(&r);
		CHECK(tick(s, did->holder, t0 + 310, &r) == 0);
		CHECK(r.skipped);
		soak_tick_result_release(&r);
		/* 10 minutes after a's last measure: measured again */
		CHECK(tick(s, skip->holder, t0 + 599, &r) == 0);
		CHECK_INT(r.measured, 0);
		soak_tick_result_release(&r);
		CHECK(tick(s, skip->holder, t0 + 600, &r) == 0);
		CHECK_INT(r.measured, 1);
		soak_tick_result_release(&r);
		CHECK_INT(lines_of("measures"), 4);
		/* a breach rolls back, as soak does */
		write_file("value-a", "0.9\n");
		CHECK(tick(s, skip->holder, t0 + 1200, &r) == 0);
		CHECK_INT(r.measured, 1);
		CHECK(r.report.nresults == 1 && r.report.results[0].outcome == PROMOTE_ROLLED_BACK);
		soak_tick_result_release(&r);
		CHECK(state_of(s, "a") == STATE_ROLLED_BACK);
		CHECK_INT(lines_of("rollbacks"), 1);
		/* a server that stops gives the lease up */
		{
			struct err e;
			err_init(&e);
			CHECK(soak_tick_release(s, skip->holder, &e) == 0);
		}
		CHECK(tick(s, did->holder, t0 + 1210, &r) == 0);
		CHECK(!r.skipped);
		soak_tick_result_release(&r);
	}
	soak_tick_result_release(&a.r);
	soak_tick_result_release(&b.r);
	store_close(s);
}

int main(void)
{
	char tmpl[] = "/tmp/tollgate-events-XXXXXX";
	const char *db = getenv("TOLLGATE_TEST_DB");
	struct plan_diags d;
	char *path, *cmd;
	int rc;

	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s", tmpl);
	if (db && (!strncmp(db, "postgres://", 11) || !strncmp(db, "postgresql://", 13)))
		test_db = db;
	printf("backend: %s\n", test_db ? test_db : "sqlite");
	write_file("tollgate.yaml", plan_yaml);
	write_file("measure.sh", measure_sh);
	path = xasprintf("%s/tollgate.yaml", dir);
	plan_diags_init(&d, path);
	plan = plan_load(path, &d);
	plan_diags_release(&d);
	free(path);
	if (!plan) {
		fprintf(stderr, "the test plan does not load\n");
		return 1;
	}
	url = new_url();

	RUN(test_cli_write_wakes);
	RUN(test_small_buffer);
	RUN(test_many_waiters);
	if (test_db)
		RUN(test_watcher_reconnect);
	RUN(test_soak_tick);

	free(url);
	plan_free(plan);
	rc = TEST_DONE();
	if (!rc) {
		cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		free(cmd);
	} else {
		fprintf(stderr, "left %s for a look\n", dir);
	}
	return rc;
}
