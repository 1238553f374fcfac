/*
 * test-engine.c - the promotion engine end to end, on a real store and real
 * child processes (sh scripts in a temporary plan folder): promote_run
 * (order, rollback of a failed verify, dependents), the repair of a run
 * that died inside this live process, soak_run, rollback_run,
 * incident_respond, `checklist run`, store batches (group commit), and two
 * promotes of different environments plus a soak running at the same time
 * on threads of this process, each with its own store connection and
 * cancel token.
 *
 * The store is SQLite in a temporary folder, or the PostgreSQL database
 * TOLLGATE_TEST_DB names (tests/store/engine-pg.sh). Order and overlap are
 * proven from the events the scripts append to a file, never from times:
 * a script may wait for another's event (a barrier that fails after 30 s).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/actions.h"
#include "engine/promote-internal.h"
#include "engine/promote.h"
#include "plan/plan.h"
#include "store/store.h"
#include "test.h"

static const char plan_yaml[] =
	"version: 1\n"
	"plan: {id: UNIT-ENGINE}\n"
	"environments:\n"
	"  - {name: dev}\n"
	"  - {name: sit}\n"
	"  - {name: prod, soak: 1h}\n"
	"  - {name: stage}\n"
	"people:\n"
	"  - {id: olga, roles: [ops-lead]}\n"
	"waves: [{id: w}]\n"
	"projects:\n"
	"  - {id: a, wave: w, deploy: sh step.sh deploy, verify: sh step.sh verify, rollback: sh step.sh rollback}\n"
	"  - {id: b, wave: w, depends_on: [a], deploy: sh step.sh deploy, verify: sh step.sh verify, rollback: sh step.sh rollback}\n"
	"  - {id: c, wave: w, deploy: sh step.sh deploy, verify: sh step.sh verify, rollback: sh step.sh rollback}\n"
	"  - {id: p1, wave: w, deploy: sh step.sh deploy, rollback: sh step.sh rollback}\n"
	"  - {id: p2, wave: w, deploy: sh step.sh deploy, rollback: sh step.sh rollback}\n"
	"  - {id: p3, wave: w, deploy: sh step.sh deploy, rollback: sh step.sh rollback}\n"
	"  - {id: q1, wave: w, deploy: sh step.sh deploy, rollback: sh step.sh rollback}\n"
	"  - {id: q2, wave: w, deploy: sh step.sh deploy, rollback: sh step.sh rollback}\n"
	"  - {id: s1, wave: w, deploy: sh step.sh deploy, rollback: sh step.sh rollback}\n"
	"triggers:\n"
	"  - {id: err, text: errors, measure: sh step.sh measure, above: 0.5, envs: [prod]}\n"
	"checklist:\n"
	"  - {id: ready, text: ready, applies: {env: stage}, check: 'test \"$TOLLGATE_ITEM\" = ready'}\n"
	"  - {id: broken, text: broken, applies: {env: stage}, check: 'echo no such thing >&2; exit 3'}\n";

/* step.sh KIND: "start KIND PROJECT ENV" / "end …" lines in events; waits for
 * every line of wait-KIND-PROJECT-ENV to be in events (30 s at most); fails
 * when fail-KIND-PROJECT exists; a measure prints value-PROJECT (else 0). */
static const char step_sh[] =
	"set -u\n"
	"k=$1; p=$TOLLGATE_PROJECT; e=$TOLLGATE_ENV\n"
	"echo \"start $k $p $e\" >>events\n"
	"w=wait-$k-$p-$e\n"
	"if [ -f \"$w\" ]; then\n"
	"  while read -r ev; do\n"
	"    n=0\n"
	"    while ! grep -qx \"$ev\" events; do\n"
	"      n=$((n + 1))\n"
	"      if [ $n -gt 600 ]; then echo \"waited 30 s for '$ev'\" >&2; exit 1; fi\n"
	"      sleep 0.05\n"
	"    done\n"
	"  done <\"$w\"\n"
	"fi\n"
	"if [ -f \"fail-$k-$p\" ]; then echo \"$k of $p fails\" >&2; echo \"end $k $p $e\" >>events; exit 1; fi\n"
	"[ \"$k\" = measure ] && { cat \"value-$p\" 2>/dev/null || echo 0; }\n"
	"[ \"$k\" = deploy ] && echo \"deployed $p $e $TOLLGATE_VERSION\" >>events\n"
	"echo \"end $k $p $e\" >>events\n";

static char dir[64];
static const char *test_db; /* postgres://… or NULL */
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

static void remove_file(const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	unlink(path);
	free(path);
}

/* The line number (0-based) of the first line of events equal to ev; -1. */
static int event_at(const char *ev)
{
	char *path = xasprintf("%s/events", dir);
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0, at = -1;
	free(path);
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (!strcmp(line, ev)) {
			at = n;
			break;
		}
		n++;
	}
	fclose(f);
	return at;
}

static struct plan *load_plan(void)
{
	struct plan_diags d;
	struct plan *p;
	char *path = xasprintf("%s/tollgate.yaml", dir);
	plan_diags_init(&d, path);
	p = plan_load(path, &d);
	plan_diags_release(&d);
	free(path);
	if (!p) {
		fprintf(stderr, "the test plan does not load\n");
		exit(1);
	}
	return p;
}

/* A URL to a new, empty store (a new database on PostgreSQL). */
static char *new_url(void)
{
	ndb++;
	if (test_db) {
		const char *slash = strrchr(test_db, '/');
		char *name = xasprintf("eng_%ld_%d", (long)getpid(), ndb);
		char *cmd = xasprintf("psql '%s' -qAt -v ON_ERROR_STOP=1 -c 'CREATE DATABASE %s' "
				      ">/dev/null", test_db, name);
		char *url;
		if (system(cmd) != 0) {
			fprintf(stderr, "cannot create database %s\n", name);
			exit(1);
		}
		url = xasprintf("%.*s/%s", (int)(slash - test_db), test_db, name);
		free(cmd);
		free(name);
		return url;
	}
	return xasprintf("sqlite:%s/state-%d.db", dir, ndb);
}

static struct store *open_store(const struct plan *p, const char *url)
{
	struct store *s;
	struct err e;
	err_init(&e);
	if (store_open(&s, p, url, &e) < 0) {
		fprintf(stderr, "store_open %s: %s\n", url, e.msg);
		exit(1);
	}
	return s;
}

static void record(struct store *s, const char *project, const char *env, const char *version)
{
	struct err e;
	err_init(&e);
	CHECK(store_record_version(s, 1000, "olga", project, env, version, &e) == 0);
}

static enum store_state state_of(struct store *s, const char *project, const char *env,
				 char *version, size_t n)
{
	struct store_promotion pr;
	struct arena a;
	struct err e;
	enum store_state st;
	err_init(&e);
	arena_init(&a);
	CHECK(store_get_promotion(s, project, env, &pr, &a, &e) == 0);
	st = pr.state;
	if (version)
		snprintf(version, n, "%s", pr.version ? pr.version : "");
	arena_release(&a);
	return st;
}

static const struct promote_result *result_of(const struct promote_report *rep,
					       const struct plan *p, const char *project)
{
	for (size_t i = 0; i < rep->nresults; i++)
		if (!strcmp(p->projects[rep->results[i].project].id, project))
			return &rep->results[i];
	return NULL;
}

static enum promote_outcome outcome_of(const struct promote_report *rep, const struct plan *p,
				       const char *project)
{
	const struct promote_result *r = result_of(rep, p, project);
	return r ? r->outcome : (enum promote_outcome)-1;
}

static void check_log(struct store *s)
{
	struct store_verify v;
	struct err e;
	err_init(&e);
	CHECK(store_log_verify(s, &v, &e) == 0);
	CHECK(v.ok);
	if (!v.ok)
		fprintf(stderr, "log: %s\n", v.why);
}

/* How many audit entries have this action and subject. */
struct count_ctx {
	const char *action, *subject;
	int n;
	int64_t entries;
};
static int count_fn(void *ctx, const struct store_log_entry *en)
{
	struct count_ctx *c = ctx;
	c->entries++;
	if (!strcmp(en->action, c->action) && (!c->subject || !strcmp(en->subject, c->subject)))
		c->n++;
	return 0;
}
static int count_entries(struct store *s, const char *action, const char *subject, int64_t *all)
{
	struct count_ctx c = { action, subject, 0, 0 };
	struct err e;
	err_init(&e);
	CHECK(store_log_each(s, 0, count_fn, &c, &e) >= 0);
	if (all)
		*all = c.entries;
	return c.n;
}

static int promote(const struct plan *p, struct store *s, int64_t now, const char *to,
		   const int *projects, size_t n, int jobs, const struct cancel_token *cancel,
		   struct promote_report *rep)
{
	struct promote_opts o = { 0 };
	struct err e;
	int rc;
	err_init(&e);
	o.env = plan_env_index(p, to);
	o.projects = projects;
	o.nprojects = n;
	o.jobs = jobs;
	o.cancel = cancel;
	o.actor = "olga"; /* a promotion needs a person (issue 9 §5) */
	rc = promote_run(p, s, now, &o, rep, &e);
	if (rc < 0)
		fprintf(stderr, "promote_run: %s\n", e.msg);
	return rc;
}

/* ---- promote_run ------------------------------------------------------------ */

static struct plan *plan;
static char *url;
static struct store *store;

static void test_promote(void)
{
	struct promote_report rep;
	int sel[3];
	int64_t all;
	char v[64];

	record(store, "a", "dev", "1.a");
	record(store, "b", "dev", "1.b");
	record(store, "c", "dev", "1.c");
	write_file("fail-verify-c", "");
	sel[0] = plan_project_index(plan, "a");
	sel[1] = plan_project_index(plan, "b");
	sel[2] = plan_project_index(plan, "c");
	CHECK(promote(plan, store, 2000, "sit", sel, 3, 2, NULL, &rep) == 0);
	CHECK_INT(rep.nplanned, 3);
	CHECK_INT(outcome_of(&rep, plan, "a"), PROMOTE_HEALTHY);
	CHECK_INT(outcome_of(&rep, plan, "b"), PROMOTE_HEALTHY);
	CHECK_INT(outcome_of(&rep, plan, "c"), PROMOTE_ROLLED_BACK);
	CHECK(result_of(&rep, plan, "c") && strstr(result_of(&rep, plan, "c")->detail,
						    "verify exited with status 1"));
	promote_report_release(&rep);
	remove_file("fail-verify-c");

	/* a dependent starts only after its dependency verified */
	CHECK(event_at("end verify a sit") >= 0);
	CHECK(event_at("start deploy b sit") > event_at("end verify a sit"));
	CHECK(event_at("start rollback c sit") > event_at("end verify c sit"));
	CHECK(event_at("deployed a sit 1.a") >= 0);
	CHECK_INT(state_of(store, "a", "sit", v, sizeof(v)), STATE_HEALTHY);
	CHECK_STR(v, "1.a");
	CHECK_INT(state_of(store, "c", "sit", NULL, 0), STATE_ROLLED_BACK);
	/* group commit: still one audit entry per change, the chain intact */
	CHECK_INT(count_entries(store, "promotion.deploying", NULL, &all), 3);
	CHECK_INT(count_entries(store, "promotion.verifying", NULL, NULL), 3);
	CHECK_INT(count_entries(store, "promotion.healthy", NULL, NULL), 2);
	CHECK_INT(count_entries(store, "promotion.rolled-back", "c@sit", NULL), 1);
	CHECK_INT(all, 3 + 3 + 3 + 2 + 1);
	check_log(store);

	/* nothing is ready now: a run that plans nothing */
	CHECK(promote(plan, store, 2100, "sit", sel, 2, 2, NULL, &rep) == 0);
	CHECK_INT(rep.nplanned, 0);
	CHECK_INT(rep.nnotready, 2);
	promote_report_release(&rep);
}

/* A lease whose host and pid are this process's but whose run is not live
 * here (a server thread that died) is repaired, not taken for busy; one of
 * a live run of this process is busy. */
static void test_dead_run_in_live_process(void)
{
	struct promote_report rep;
	struct store_lease l;
	struct store_promotion pr = { 0 };
	struct err e;
	char host[256];
	int sel = plan_project_index(plan, "a");

	err_init(&e);
	memset(&l, 0, sizeof(l));
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	snprintf(l.host, sizeof(l.host), "%s", host);
	l.pid = (long)getpid();
	snprintf(l.run_id, sizeof(l.run_id), "live-run");
	l.expires = 1000000;
	CHECK(store_lease_acquire(store, "a", "prod", &l, 3000, NULL, NULL, &e) == STORE_LEASE_OK);
	promote_runs_add("live-run");
	CHECK(promote(plan, store, 3000, "prod", &sel, 1, 1, NULL, &rep) == 0);
	CHECK_INT(outcome_of(&rep, plan, "a"), PROMOTE_SKIPPED);
	CHECK(result_of(&rep, plan, "a") &&
	      strstr(result_of(&rep, plan, "a")->detail, "being promoted by run live-run"));
	promote_report_release(&rep);

	/* the run ends without releasing its lease, its pair left deploying */
	promote_runs_remove("live-run");
	CHECK(store_begin_change(store, 3000, "tollgate", "promotion.deploying", "a@prod", NULL,
				 &e) == 0);
	pr.project = "a";
	pr.env = "prod";
	pr.state = STATE_DEPLOYING;
	pr.version = "1.a";
	pr.previous_version = NULL;
	pr.run_id = "live-run";
	CHECK(store_set_promotion(store, &pr, &e) == 0);
	CHECK(store_commit_change(store, NULL, &e) == 0);

	CHECK(promote(plan, store, 3000, "prod", &sel, 1, 1, NULL, &rep) == 0);
	CHECK_INT(rep.nrepaired, 1);
	CHECK_INT(outcome_of(&rep, plan, "a"), PROMOTE_SOAKING);
	promote_report_release(&rep);
	CHECK_INT(count_entries(store, "promotion.interrupted", "a@prod", NULL), 1);
	CHECK_INT(state_of(store, "a", "prod", NULL, 0), STATE_SOAKING);
	CHECK(store_lease_get(store, "a", "prod", &l, &e) == 0); /* released */
	check_log(store);
}

/* ---- soak_run --------------------------------------------------------------- */

static void test_soak(void)
{
	struct promote_report rep;
	struct soak_opts so = { 0 };
	struct soak_report sr;
	struct cancel_token cancel;
	struct err e;
	int sel = plan_project_index(plan, "b");

	err_init(&e);
	/* b soaking in prod too; its measure will breach */
	CHECK(promote(plan, store, 3100, "prod", &sel, 1, 1, NULL, &rep) == 0);
	CHECK_INT(outcome_of(&rep, plan, "b"), PROMOTE_SOAKING);
	promote_report_release(&rep);

	/* a cancelled pass measures nothing */
	cancel_init(&cancel);
	cancel_raise(&cancel, 1);
	so.cancel = &cancel;
	CHECK(soak_run(plan, store, 3200, &so, &sr, &e) == 0);
	CHECK_INT(sr.nresults, 0);
	CHECK_INT(sr.still_soaking, 2);
	soak_report_release(&sr);
	CHECK(event_at("start measure a prod") > 0); /* from promote */

	/* before the end of the soak: measured, still soaking, next_end said */
	so.cancel = NULL;
	CHECK(soak_run(plan, store, 3200, &so, &sr, &e) == 0);
	CHECK_INT(sr.nresults, 0);
	CHECK_INT(sr.still_soaking, 2);
	CHECK(sr.next_end > 3200);
	soak_report_release(&sr);

	/* after it: a healthy, b breached → incident + rollback */
	write_file("value-b", "0.9\n");
	CHECK(soak_run(plan, store, 3000 + 7200, &so, &sr, &e) == 0);
	CHECK_INT(sr.nresults, 2);
	CHECK_INT(sr.still_soaking, 0);
	for (size_t i = 0; i < sr.nresults; i++) {
		const struct promote_result *r = &sr.results[i];
		if (!strcmp(plan->projects[r->project].id, "a")) {
			CHECK_INT(r->outcome, PROMOTE_HEALTHY);
		} else {
			CHECK_STR(plan->projects[r->project].id, "b");
			CHECK_INT(r->outcome, PROMOTE_ROLLED_BACK);
			CHECK(r->incident > 0);
			CHECK(strstr(r->detail, "trigger 'err' breached: measured 0.9") != NULL);
		}
	}
	soak_report_release(&sr);
	remove_file("value-b");
	CHECK_INT(state_of(store, "a", "prod", NULL, 0), STATE_HEALTHY);
	CHECK_INT(state_of(store, "b", "prod", NULL, 0), STATE_ROLLED_BACK);
	CHECK(event_at("start rollback b prod") > event_at("start measure b prod"));
	check_log(store);
}

/* ---- rollback_run and incident_respond ------------------------------------------ */

static void test_rollback(void)
{
	struct rollback_opts o = { 0 };
	struct promote_result r;
	struct store_lease l;
	struct err e;
	char host[256];

	err_init(&e);
	o.project = plan_project_index(plan, "b");
	o.env = plan_env_index(plan, "sit");
	o.actor = "olga";
	o.reason = "looks wrong";
	CHECK(rollback_run(plan, store, 4000, &o, &r, &e) == 0);
	CHECK_INT(r.outcome, PROMOTE_ROLLED_BACK);
	CHECK_STR(r.version, "1.b");
	promote_result_release(&r);
	CHECK(event_at("start rollback b sit") >= 0);
	CHECK_INT(state_of(store, "b", "sit", NULL, 0), STATE_ROLLED_BACK);
	CHECK_INT(count_entries(store, "rollback", "b@sit", NULL), 1);

	/* again: rolled back already, it holds; nothing runs or is written */
	err_init(&e);
	CHECK(rollback_run(plan, store, 4000, &o, &r, &e) == 0);
	CHECK(r.already);
	CHECK_INT(r.outcome, PROMOTE_ROLLED_BACK);
	promote_result_release(&r);
	CHECK_INT(count_entries(store, "rollback", "b@sit", NULL), 1);

	/* nobody: a rollback needs a person */
	o.actor = NULL;
	err_init(&e);
	CHECK(rollback_run(plan, store, 4000, &o, &r, &e) < 0);
	CHECK_INT(e.code, ERR_USAGE);
	o.actor = "olga";

	/* a live run of this process holds the pair: busy */
	memset(&l, 0, sizeof(l));
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	snprintf(l.host, sizeof(l.host), "%s", host);
	l.pid = (long)getpid();
	snprintf(l.run_id, sizeof(l.run_id), "holder-run");
	l.expires = 1000000;
	err_init(&e);
	CHECK(store_lease_acquire(store, "a", "sit", &l, 4000, NULL, NULL, &e) == STORE_LEASE_OK);
	promote_runs_add("holder-run");
	o.project = plan_project_index(plan, "a");
	err_init(&e);
	CHECK(rollback_run(plan, store, 4000, &o, &r, &e) < 0);
	CHECK(err_is(&e, REASON_BUSY));
	CHECK(strstr(e.msg, "being worked on by run holder-run") != NULL);
	promote_runs_remove("holder-run");
	err_init(&e);
	CHECK(store_lease_release(store, "a", "sit", "holder-run", &e) == 0);
}

static void test_incident_respond(void)
{
	struct incident_opts o = { 0 };
	struct incident_response r;
	struct store_lease l;
	struct action_ctx ac = { NULL, NULL, 5000, "olga" };
	struct err e;
	char host[256];

	ac.plan = plan;
	ac.store = store;
	/* level 2: opened, no rollback asked */
	err_init(&e);
	o.level = 2;
	o.env = "sit";
	o.project = "a";
	o.text = "slow";
	o.actor = "olga";
	CHECK(incident_respond(plan, store, 5000, &o, &r, &e) == 0);
	CHECK(r.id > 0);
	CHECK_INT(r.rollback, INCIDENT_ROLLBACK_NONE);
	CHECK(action_incident_resolve(&ac, r.id, &e) == 0);
	incident_response_release(&r);

	/* level 3 on a pair rolled back already (c was): nothing to do */
	o.level = 3;
	o.project = "c";
	CHECK(incident_respond(plan, store, 5000, &o, &r, &e) == 0);
	CHECK_INT(r.rollback, INCIDENT_ROLLBACK_NOTHING);
	CHECK(r.detail && strstr(r.detail, "rolled back in sit already"));
	CHECK(action_incident_resolve(&ac, r.id, &e) == 0);
	incident_response_release(&r);

	/* held by a running promote: it will roll it back itself */
	memset(&l, 0, sizeof(l));
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "localhost");
	snprintf(l.host, sizeof(l.host), "%s", host);
	l.pid = (long)getpid();
	snprintf(l.run_id, sizeof(l.run_id), "promote-run");
	l.expires = 1000000;
	CHECK(store_lease_acquire(store, "a", "sit", &l, 5000, NULL, NULL, &e) == STORE_LEASE_OK);
	promote_runs_add("promote-run");
	o.project = "a";
	CHECK(incident_respond(plan, store, 5000, &o, &r, &e) == 0);
	CHECK_INT(r.rollback, INCIDENT_ROLLBACK_BY_RUNNER);
	CHECK(r.detail && strstr(r.detail, "promote-run"));
	CHECK(action_incident_resolve(&ac, r.id, &e) == 0);
	incident_response_release(&r);
	promote_runs_remove("promote-run");
	CHECK(store_lease_release(store, "a", "sit", "promote-run", &e) == 0);

	/* free: the rollback runs, its outcome in the response */
	CHECK(incident_respond(plan, store, 5000, &o, &r, &e) == 0);
	CHECK_INT(r.rollback, INCIDENT_ROLLBACK_RAN);
	CHECK_INT(r.result.outcome, PROMOTE_ROLLED_BACK);
	CHECK(strstr(r.result.detail, "incident") != NULL);
	CHECK_INT(state_of(store, "a", "sit", NULL, 0), STATE_ROLLED_BACK);
	CHECK(action_incident_resolve(&ac, r.id, &e) == 0);
	incident_response_release(&r);

	/* bad input: no incident */
	o.env = "nowhere";
	err_init(&e);
	CHECK(incident_respond(plan, store, 5000, &o, &r, &e) < 0);
	CHECK_INT(r.id, 0);
	incident_response_release(&r);
	check_log(store);
}

/* ---- checklist run ------------------------------------------------------------------- */

static void test_checklist(void)
{
	struct action_ctx ac = { NULL, NULL, 6000, "olga" };
	struct check_outcomes out;
	struct err e;

	ac.plan = plan;
	ac.store = store;
	err_init(&e);
	CHECK(action_checklist_run(&ac, NULL, 0, &out, &e) == 0);
	CHECK_INT(out.n, 2);
	for (size_t i = 0; i < out.n; i++) {
		const char *id = plan->items[out.v[i].item].id;
		if (!strcmp(id, "ready")) {
			CHECK(out.v[i].ok); /* TOLLGATE_ITEM reached it */
		} else {
			CHECK(!out.v[i].ok);
			CHECK_INT(out.v[i].exit_status, 3);
			CHECK(strstr(out.v[i].tail, "no such thing") != NULL);
		}
	}
	check_outcomes_release(&out);
	CHECK_INT(count_entries(store, "checklist.run", NULL, NULL), 2);
}

/* ---- batches ---------------------------------------------------------------------------- */

static void test_batch(void)
{
	struct store_incidents l;
	struct err e;
	int64_t before, after, id;

	err_init(&e);
	count_entries(store, "x", NULL, &before);
	CHECK(store_begin_batch(store, &e) == 0);
	CHECK(store_in_batch(store));
	CHECK(store_begin_change(store, 7000, "olga", "incident.open", "sit", NULL, &e) == 0);
	CHECK(store_open_incident(store, 1, "sit", NULL, "first", "olga", &id, &e) == 0);
	CHECK(store_commit_change(store, NULL, &e) == 0);
	/* an aborted change undoes only its own writes */
	CHECK(store_begin_change(store, 7000, "olga", "incident.open", "sit", NULL, &e) == 0);
	CHECK(store_open_incident(store, 1, "sit", NULL, "aborted", "olga", &id, &e) == 0);
	store_abort_change(store);
	CHECK(store_begin_change(store, 7000, "olga", "incident.open", "sit", NULL, &e) == 0);
	CHECK(store_open_incident(store, 1, "sit", NULL, "second", "olga", &id, &e) == 0);
	CHECK(store_commit_change(store, NULL, &e) == 0);
	CHECK(store_commit_batch(store, &e) == 0);
	CHECK(!store_in_batch(store));
	count_entries(store, "x", NULL, &after);
	CHECK_INT(after, before + 2);
	check_log(store);
	CHECK(store_open_incidents(store, 1, &l, &e) == 0);
	{
		int first = 0, second = 0, aborted = 0;
		for (size_t i = 0; i < l.n; i++) {
			first += !strcmp(l.v[i].text, "first");
			second += !strcmp(l.v[i].text, "second");
			aborted += !strcmp(l.v[i].text, "aborted");
		}
		CHECK_INT(first, 1);
		CHECK_INT(second, 1);
		CHECK_INT(aborted, 0);
	}
	store_incidents_release(&l);

	/* an aborted batch writes nothing */
	CHECK(store_begin_batch(store, &e) == 0);
	CHECK(store_begin_change(store, 7000, "olga", "incident.open", "sit", NULL, &e) == 0);
	CHECK(store_open_incident(store, 1, "sit", NULL, "never", "olga", &id, &e) == 0);
	CHECK(store_commit_change(store, NULL, &e) == 0);
	store_abort_batch(store);
	count_entries(store, "x", NULL, &after);
	CHECK_INT(after, before + 2);
	check_log(store);

	/* the next plain change chains on (the head was kept right) */
	CHECK(store_begin_change(store, 7001, "olga", "incident.open", "sit", NULL, &e) == 0);
	CHECK(store_open_incident(store, 1, "sit", NULL, "after", "olga", &id, &e) == 0);
	CHECK(store_commit_change(store, NULL, &e) == 0);
	check_log(store);
}

/* ---- runs at the same time, on threads ---------------------------------------------------- */

struct job {
	const struct plan *p;
	const char *url;
	int kind; /* 0 promote, 1 soak */
	const char *to;
	int projects[4];
	size_t n;
	int64_t now;
	struct cancel_token cancel;
	struct promote_report rep;
	struct soak_report soak;
	int rc;
	char err[1024];
};

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct store *s = open_store(j->p, j->url);
	struct err e;

	err_init(&e);
	if (j->kind == 0) {
		struct promote_opts o = { 0 };
		o.env = plan_env_index(j->p, j->to);
		o.projects = j->projects;
		o.nprojects = j->n;
		o.jobs = 2;
		o.cancel = &j->cancel;
		o.actor = "olga";
		j->rc = promote_run(j->p, s, j->now, &o, &j->rep, &e);
	} else {
		struct soak_opts o = { 0 };
		o.cancel = &j->cancel;
		j->rc = soak_run(j->p, s, j->now, &o, &j->soak, &e);
	}
	snprintf(j->err, sizeof(j->err), "%s", e.msg);
	store_close(s);
	return NULL;
}

static void test_concurrent_runs(void)
{
	char *u = new_url();
	struct store *s = open_store(plan, u);
	struct promote_report rep;
	struct job jobs[4];
	pthread_t th[4];
	int s1 = plan_project_index(plan, "s1");
	const int64_t t0 = 10000, t1 = t0 + 7200;

	memset(jobs, 0, sizeof(jobs));
	remove_file("events");
	for (int k = 1; k <= 3; k++) {
		char id[8];
		snprintf(id, sizeof(id), "p%d", k);
		record(s, id, "dev", "2.p");
	}
	record(s, "q1", "sit", "2.q");
	record(s, "q2", "sit", "2.q");
	record(s, "s1", "sit", "2.s");
	/* s1 soaking in prod, its soak over by t1 */
	CHECK(promote(plan, s, t0, "prod", &s1, 1, 1, NULL, &rep) == 0);
	CHECK_INT(outcome_of(&rep, plan, "s1"), PROMOTE_SOAKING);
	promote_report_release(&rep);
	remove_file("events");

	/* barriers: the promote to sit, the promote to prod and the soak each
	 * wait for the others to have started a step */
	write_file("wait-deploy-p1-sit", "start deploy q1 prod\nstart measure s1 prod\n");
	write_file("wait-deploy-q1-prod", "start deploy p1 sit\n");
	write_file("wait-measure-s1-prod", "start deploy p1 sit\n");

	for (int k = 0; k < 4; k++) {
		jobs[k].p = plan;
		jobs[k].url = u;
		jobs[k].now = t1;
		cancel_init(&jobs[k].cancel);
	}
	jobs[0].to = "sit";
	jobs[0].projects[0] = plan_project_index(plan, "p1");
	jobs[0].projects[1] = plan_project_index(plan, "p2");
	jobs[0].n = 2;
	jobs[1].to = "prod";
	jobs[1].projects[0] = plan_project_index(plan, "q1");
	jobs[1].projects[1] = plan_project_index(plan, "q2");
	jobs[1].n = 2;
	jobs[2].kind = 1;
	/* a run cancelled before it starts stops alone: the token is its own */
	jobs[3].to = "sit";
	jobs[3].projects[0] = plan_project_index(plan, "p3");
	jobs[3].n = 1;
	cancel_raise(&jobs[3].cancel, 1);
	for (int k = 0; k < 4; k++)
		CHECK(pthread_create(&th[k], NULL, job_main, &jobs[k]) == 0);
	for (int k = 0; k < 4; k++)
		pthread_join(th[k], NULL);

	for (int k = 0; k < 4; k++) {
		CHECK_INT(jobs[k].rc, 0);
		if (jobs[k].rc)
			fprintf(stderr, "job %d: %s\n", k, jobs[k].err);
	}
	CHECK_INT(outcome_of(&jobs[0].rep, plan, "p1"), PROMOTE_HEALTHY);
	CHECK_INT(outcome_of(&jobs[0].rep, plan, "p2"), PROMOTE_HEALTHY);
	CHECK_INT(outcome_of(&jobs[1].rep, plan, "q1"), PROMOTE_SOAKING);
	CHECK_INT(outcome_of(&jobs[1].rep, plan, "q2"), PROMOTE_SOAKING);
	CHECK(jobs[2].soak.nresults >= 1);
	for (size_t i = 0; i < jobs[2].soak.nresults; i++) {
		CHECK_STR(plan->projects[jobs[2].soak.results[i].project].id, "s1");
		CHECK_INT(jobs[2].soak.results[i].outcome, PROMOTE_HEALTHY);
	}
	CHECK(jobs[3].rep.cancelled);
	CHECK_INT(outcome_of(&jobs[3].rep, plan, "p3"), PROMOTE_SKIPPED);
	CHECK(strcmp(jobs[0].rep.run_id, jobs[1].rep.run_id) != 0);
	CHECK(strcmp(jobs[0].rep.run_id, jobs[3].rep.run_id) != 0);
	/* each waited for the others: all three were at work at once */
	CHECK(event_at("end deploy p1 sit") > event_at("start deploy q1 prod"));
	CHECK(event_at("end deploy p1 sit") > event_at("start measure s1 prod"));
	CHECK(event_at("end deploy q1 prod") > event_at("start deploy p1 sit"));
	CHECK(event_at("end measure s1 prod") > event_at("start deploy p1 sit"));
	CHECK(event_at("start deploy p3 sit") < 0);
	CHECK_INT(state_of(s, "p1", "sit", NULL, 0), STATE_HEALTHY);
	CHECK_INT(state_of(s, "q2", "prod", NULL, 0), STATE_SOAKING);
	CHECK_INT(state_of(s, "s1", "prod", NULL, 0), STATE_HEALTHY);
	CHECK_INT(state_of(s, "p3", "sit", NULL, 0), STATE_NONE);
	check_log(s);
	for (int k = 0; k < 4; k++) {
		promote_report_release(&jobs[k].rep);
		soak_report_release(&jobs[k].soak);
	}
	remove_file("wait-deploy-p1-sit");
	remove_file("wait-deploy-q1-prod");
	remove_file("wait-measure-s1-prod");
	store_close(s);
	free(u);
}

int main(void)
{
	char tmpl[] = "/tmp/tollgate-engine-XXXXXX";
	const char *db = getenv("TOLLGATE_TEST_DB");
	char *cmd;
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
	write_file("step.sh", step_sh);
	plan = load_plan();
	url = new_url();
	store = open_store(plan, url);

	RUN(test_promote);
	RUN(test_dead_run_in_live_process);
	RUN(test_soak);
	RUN(test_rollback);
	RUN(test_incident_respond);
	RUN(test_checklist);
	RUN(test_batch);
	RUN(test_concurrent_runs);

	store_close(store);
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
