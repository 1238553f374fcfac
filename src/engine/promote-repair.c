/*
 * promote-repair.c - crash repair (SPEC §2): a runner that died (SIGKILL, a
 * lost machine) leaves a lease and a pair deploying or verifying. The next
 * runner sees it — at once when the holder was on this host and its pid is
 * gone, when the lease expires otherwise — kills what the dead runner
 * started (its recorded process group, and on this host every process whose
 * environment carries the dead run's id for that pair, which also catches a
 * step started in the instant before its group was recorded), takes the
 * lease over atomically, and sets the pair `interrupted` in one logged
 * change. The promotion is then retried like any other.
 *
 * The holder of a lease is a run, not a process: a lease whose host and pid
 * are ours belongs to a live run only while that run is registered in this
 * process (a server thread whose run ended without releasing it left a dead
 * lease behind, repaired like any other).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/promote-internal.h"
#include "plan/plan.h"

/* The registry of live runs: process-wide by nature (it answers "is this
 * run of my process alive"), so it is the one mutable global here, under a
 * lock. A handful of entries: a linear scan. */
static pthread_mutex_t runs_lock = PTHREAD_MUTEX_INITIALIZER;
static char (*runs)[64];
static size_t nruns, runs_alloc;

void promote_runs_add(const char *run_id)
{
	pthread_mutex_lock(&runs_lock);
	ALLOC_GROW(runs, nruns + 1, runs_alloc);
	snprintf(runs[nruns++], sizeof(runs[0]), "%s", run_id);
	pthread_mutex_unlock(&runs_lock);
}

void promote_runs_remove(const char *run_id)
{
	pthread_mutex_lock(&runs_lock);
	for (size_t i = 0; i < nruns; i++) {
		if (strcmp(runs[i], run_id))
			continue;
		memmove(runs[i], runs[nruns - 1], sizeof(runs[0]));
		nruns--;
		break;
	}
	if (!nruns) {
		free(runs);
		runs = NULL;
		runs_alloc = 0;
	}
	pthread_mutex_unlock(&runs_lock);
}

bool promote_runs_live(const char *run_id)
{
	bool live = false;
	pthread_mutex_lock(&runs_lock);
	for (size_t i = 0; i < nruns && !live; i++)
		live = !strcmp(runs[i], run_id);
	pthread_mutex_unlock(&runs_lock);
	return live;
}

static bool lease_alive(const char *host, long pid, const struct store_lease *l, int64_t now)
{
	if (!strcmp(l->host, host)) {
		/* ours: alive while the run is (it renews its own leases) */
		if (l->pid == pid)
			return promote_runs_live(l->run_id);
		return l->pid > 0 && exec_pid_alive((pid_t)l->pid) && l->expires > now;
	}
	return l->expires > now;
}

bool promote_lease_alive(const struct pctx *c, const struct store_lease *l, int64_t now)
{
	return lease_alive(c->host, c->pid, l, now);
}

bool promote_lease_alive_now(const struct store_lease *l, int64_t now)
{
	char host[256];
	if (gethostname(host, sizeof(host) - 1) < 0 || !host[0])
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	return lease_alive(host, (long)getpid(), l, now);
}

/* Does the environment block env (n bytes, NUL-separated) hold every one of
 * the needles (each "NAME=VALUE")? */
static bool environ_has(const char *env, size_t n, const char *const *needles, size_t k)
{
	size_t found = 0;
	for (size_t i = 0; i < k; i++) {
		size_t len = strlen(needles[i]);
		for (size_t off = 0; off < n;) {
			const char *s = env + off;
			size_t sl = strnlen(s, n - off);
			if (sl == len && !memcmp(s, needles[i], len)) {
				found++;
				break;
			}
			off += sl + 1;
		}
	}
	return found == k;
}

/*
 * Kill the process groups of the processes that provably belong to the step
 * of run_id on project@env: their environment carries TOLLGATE_RUN_ID,
 * TOLLGATE_PROJECT and TOLLGATE_ENV of that run (what the runner gave the
 * step, and nothing a reused process group id has) and they run as our user.
 * A lease row's process group is never signalled on its word alone: a forged
 * or stale row (a pgid reused after a reboot or a wrap-around) must not make
 * tollgate kill an unrelated process. *lease_group_ours (may be NULL) says
 * whether the group lease_pgid was one of them. Returns how many groups were
 * stopped.
 */
static int kill_run_processes(const char *run_id, const char *project, const char *env,
			      long lease_pgid, bool *lease_group_ours)
{
	char n1[200], n2[200], n3[200];
	const char *needles[3] = { n1, n2, n3 };
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid(), mypg = getpgrp();
	uid_t uid = getuid();
	pid_t done[64];
	size_t ndone = 0;
	int killed = 0;

	if (lease_group_ours)
		*lease_group_ours = false;
	if (!d)
		return 0;
	snprintf(n1, sizeof(n1), "TOLLGATE_RUN_ID=%s", run_id);
	snprintf(n2, sizeof(n2), "TOLLGATE_PROJECT=%s", project);
	snprintf(n3, sizeof(n3), "TOLLGATE_ENV=%s", env);
	while ((de = readdir(d))) {
		char path[64], buf[65536];
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		struct stat st;
		ssize_t len;
		bool seen = false;
		int fd;
		pid_t pg;

		if (*end || pid <= 1 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld", pid);
		if (stat(path, &st) < 0 || st.st_uid != uid)
			continue; /* another user's process is never ours to stop */
		snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf));
		close(fd);
		if (len <= 0 || !environ_has(buf, (size_t)len, needles, 3))
			continue;
		pg = getpgid((pid_t)pid);
		if (pg <= 1 || pg == mypg)
			continue;
		for (size_t k = 0; k < ndone; k++)
			seen = seen || done[k] == pg;
		if (seen)
			continue;
		if (ndone < ARRAY_SIZE(done))
			done[ndone++] = pg;
		if (lease_group_ours && pg == (pid_t)lease_pgid)
			*lease_group_ours = true;
		if (exec_kill_group(pg, 2000) == 0)
			killed++;
	}
	closedir(d);
	return killed;
}

int promote_repair_pair(struct pctx *c, int project, int env, char *why, size_t n,
			struct err *e)
{
	const struct plan *p = c->plan;
	const char *pid_s = p->projects[project].id, *env_s = p->envs[env].name;
	struct store_lease held, mine;
	struct store_promotion cur;
	struct arena a;
	int64_t now = pclock_now(&c->clock);
	bool has_lease, stuck;
	int found, rc = -1, killed = 0;
	char subject[300], not_ours[300] = "";

	arena_init(&a);
	found = store_lease_get(c->store, pid_s, env_s, &held, e);
	if (found < 0)
		goto out;
	has_lease = found == 1 && strcmp(held.run_id, c->run_id);
	if (has_lease && promote_lease_alive(c, &held, now)) {
		snprintf(why, n, "being promoted by run %s (host %s, pid %ld)", held.run_id, held.host,
			 held.pid);
		rc = REPAIR_BUSY;
		goto out;
	}
	if (store_get_promotion(c->store, pid_s, env_s, &cur, &a, e) < 0)
		goto out;
	stuck = cur.state == STATE_DEPLOYING || cur.state == STATE_VERIFYING;
	if (!has_lease && !stuck) {
		rc = REPAIR_NONE;
		goto out;
	}
	/* the holder is dead: stop what it left running before anything re-runs,
	 * and only what provably is its step (kill_run_processes) */
	if (has_lease && !strcmp(held.host, c->host)) {
		bool group_ours;
		killed += kill_run_processes(held.run_id, pid_s, env_s, held.pgid, &group_ours);
		if (held.pgid > 1 && !group_ours && exec_group_alive((pid_t)held.pgid))
			snprintf(not_ours, sizeof(not_ours),
				 "; process group %ld named by the lease was left alone: none of its "
				 "processes carries run %s",
				 held.pgid, held.run_id);
	} else if (!has_lease && cur.run_id) {
		killed += kill_run_processes(cur.run_id, pid_s, env_s, 0, NULL);
	}

	snprintf(subject, sizeof(subject), "%s@%s", pid_s, env_s);
	if (store_begin_change(c->store, now, "tollgate", stuck ? "promotion.interrupted" : "lease.repair",
			       subject, NULL, e) < 0)
		goto out;
	pctx_lease(c, &mine, 0);
	if (has_lease) {
		int r = store_lease_steal(c->store, pid_s, env_s, held.run_id, &mine, now, e);
		if (r != 0) {
			store_abort_change(c->store);
			if (r < 0)
				goto out;
			snprintf(why, n, "being repaired by another run");
			rc = REPAIR_BUSY;
			goto out;
		}
	} else {
		int r = store_lease_acquire(c->store, pid_s, env_s, &mine, now, &held, NULL, e);
		if (r != STORE_LEASE_OK) {
			store_abort_change(c->store);
			if (r < 0)
				goto out;
			snprintf(why, n, "being promoted by run %s (host %s, pid %ld)", held.run_id,
				 held.host, held.pid);
			rc = REPAIR_BUSY;
			goto out;
		}
		/* re-read under the write lock: did a live runner finish it meanwhile? */
		if (store_get_promotion(c->store, pid_s, env_s, &cur, &a, e) < 0) {
			store_abort_change(c->store);
			goto out;
		}
		stuck = cur.state == STATE_DEPLOYING || cur.state == STATE_VERIFYING;
		if (!stuck) {
			store_abort_change(c->store);
			rc = REPAIR_NONE;
			goto out;
		}
	}
	if (stuck) {
		struct store_promotion next = cur;
		char *detail = xasprintf("run %s (host %s, pid %ld) died while %s; %d process group%s "
					 "stopped%s; run %s retries it",
					 has_lease ? held.run_id : (cur.run_id ? cur.run_id : "?"),
					 has_lease ? held.host : "?", has_lease ? held.pid : 0L,
					 store_state_name(cur.state), killed, killed == 1 ? "" : "s",
					 not_ours, c->run_id);
		next.state = STATE_INTERRUPTED;
		next.run_id = c->run_id;
		next.soak_until = 0;
		next.detail = detail;
		if (store_set_promotion(c->store, &next, e) < 0) {
			free(detail);
			store_abort_change(c->store);
			goto out;
		}
		store_change_detail(c->store, "version %s: %s", cur.version ? cur.version : "none",
				    detail);
		snprintf(why, n, "%s", detail);
		free(detail);
	} else {
		store_change_detail(c->store, "dropped the lease of dead run %s (host %s, pid %ld); "
					      "%d process group%s stopped%s",
				    held.run_id, held.host, held.pid, killed, killed == 1 ? "" : "s",
				    not_ours);
		snprintf(why, n, "dropped the lease of dead run %s", held.run_id);
	}
	if (store_lease_release(c->store, pid_s, env_s, c->run_id, e) < 0) {
		store_abort_change(c->store);
		goto out;
	}
	if (store_commit_change(c->store, NULL, e) < 0)
		goto out;
	rc = REPAIR_DONE;
out:
	arena_release(&a);
	return rc;
}

static void say_busy(const struct store_lease *l, bool promoting, char *why, size_t n)
{
	snprintf(why, n, "being %s by run %s (host %s, pid %ld)",
		 promoting ? "promoted" : "worked on", l->run_id, l->host, l->pid);
}

int promote_lease_take(struct pctx *c, int project, int env, const char *action,
		       struct store_promotion *cur, struct arena *a, char *why, size_t n,
		       size_t *nrepaired, struct err *e)
{
	const char *pid_s = c->plan->projects[project].id, *env_s = c->plan->envs[env].name;
	char subject[300];
	struct store_promotion here;
	struct arena own;

	if (!cur)
		cur = &here;
	if (!a) {
		arena_init(&own);
		a = &own;
	}
	snprintf(subject, sizeof(subject), "%s@%s", pid_s, env_s);
	for (int attempt = 0; attempt < 3; attempt++) {
		struct store_lease mine, prev;
		bool expired = false, stuck;
		int la, rr;

		if (action && store_begin_change(c->store, pclock_now(&c->clock), c->actor, action,
						 subject, NULL, e) < 0)
			goto fail;
		pctx_lease(c, &mine, 0);
		la = store_lease_acquire(c->store, pid_s, env_s, &mine, pclock_now(&c->clock), &prev,
					 &expired, e);
		if (la < 0)
			goto fail_change;
		if (la == STORE_LEASE_BUSY && promote_lease_alive(c, &prev, pclock_now(&c->clock))) {
			store_abort_change(c->store);
			say_busy(&prev, action != NULL, why, n);
			goto busy;
		}
		stuck = false;
		if (la == STORE_LEASE_OK) {
			if (store_get_promotion(c->store, pid_s, env_s, cur, a, e) < 0)
				goto fail_change;
			stuck = cur->state == STATE_DEPLOYING || cur->state == STATE_VERIFYING;
			if (!stuck && !expired)
				goto taken;
		}
		/* a dead run's leftovers: repair (outside any change), then again */
		store_abort_change(c->store);
		rr = promote_repair_pair(c, project, env, why, n, e);
		if (rr < 0)
			goto fail;
		if (rr == REPAIR_BUSY)
			goto busy;
		if (rr == REPAIR_DONE) {
			if (nrepaired)
				(*nrepaired)++;
			if (c->obs && c->obs->note)
				c->obs->note(c->obs->ctx, pid_s, why);
		} else if (!action && la == STORE_LEASE_OK && !stuck) {
			/* an expired lease taken over in its own transaction, the
			 * pair not stuck: it is ours now */
			goto taken;
		}
	}
	snprintf(why, n, "could not take its lease after repairing it; try again");
busy:
	if (a == &own)
		arena_release(&own);
	return LEASE_BUSY;
taken:
	if (a == &own)
		arena_release(&own);
	return LEASE_TAKEN;
fail_change:
	store_abort_change(c->store);
fail:
	if (a == &own)
		arena_release(&own);
	return -1;
}
