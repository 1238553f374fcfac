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
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/promote-internal.h"
#include "plan/plan.h"

bool promote_lease_alive(const struct pctx *c, const struct store_lease *l, int64_t now)
{
	if (!strcmp(l->host, c->host)) {
		if (l->pid == c->pid)
			return true;
		return l->pid > 0 && exec_pid_alive((pid_t)l->pid) && l->expires > now;
	}
	return l->expires > now;
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

/* Kill the process groups of every process of ours carrying run_id for the
 * pair. Returns how many groups were killed. */
static int kill_run_processes(const char *run_id, const char *project, const char *env)
{
	char n1[200], n2[200], n3[200];
	const char *needles[3] = { n1, n2, n3 };
	DIR *d = opendir("/proc");
	struct dirent *de;
	pid_t self = getpid(), mypg = getpgrp();
	uid_t uid = getuid();
	int killed = 0;

	if (!d)
		return 0;
	snprintf(n1, sizeof(n1), "TOLLGATE_RUN_ID=%s", run_id);
	snprintf(n2, sizeof(n2), "TOLLGATE_PROJECT=%s", project);
	snprintf(n3, sizeof(n3), "TOLLGATE_ENV=%s", env);
	while ((de = readdir(d))) {
		char path[64], buf[65536];
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		ssize_t len;
		int fd;
		pid_t pg;

		if (*end || pid <= 1 || pid == self)
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/environ", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		len = read(fd, buf, sizeof(buf));
		close(fd);
		if (len <= 0 || !environ_has(buf, (size_t)len, needles, 3))
			continue;
		(void)uid;
		pg = getpgid((pid_t)pid);
		if (pg <= 1 || pg == mypg)
			continue;
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
	char subject[300];

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
	/* the holder is dead: stop what it left running before anything re-runs */
	if (has_lease && !strcmp(held.host, c->host)) {
		if (held.pgid > 1 && exec_group_alive((pid_t)held.pgid) &&
		    exec_kill_group((pid_t)held.pgid, 2000) == 0)
			killed++;
		killed += kill_run_processes(held.run_id, pid_s, env_s);
	} else if (!has_lease && cur.run_id) {
		killed += kill_run_processes(cur.run_id, pid_s, env_s);
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
					 "stopped; run %s retries it",
					 has_lease ? held.run_id : (cur.run_id ? cur.run_id : "?"),
					 has_lease ? held.host : "?", has_lease ? held.pid : 0L,
					 store_state_name(cur.state), killed, killed == 1 ? "" : "s",
					 c->run_id);
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
					      "%d process group%s stopped",
				    held.run_id, held.host, held.pid, killed, killed == 1 ? "" : "s");
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
