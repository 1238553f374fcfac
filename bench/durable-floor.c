/*
 * durable-floor.c BUILD.NINJA DB JOBS - the least a runner pays here for
 * running a DAG with its state and audit kept durably: the floor under
 * bench-promote.sh's no-op ratio.
 *
 * It runs the edges of a build.ninja written by gen-promote.py (`build pN:
 * run | deps`, each `sh -c true`) at most JOBS at once, as ninja does
 * (posix_spawn from the one thread, waitpid), and keeps only what a runner
 * that can be trusted after a crash cannot skip:
 *   - before a batch of projects starts: their state 'running' and one audit
 *     entry each (SHA-256 chained), committed (a crash then knows what may
 *     be running);
 *   - when a batch has ended: 'healthy' and an audit entry each, committed
 *     before a dependent starts.
 * One SQLite file in WAL mode with synchronous=NORMAL (tollgate's
 * settings), one upsert and one insert per change, prepared once, group
 * commit per batch. No step logs, no leases, no history, no readiness, no
 * plan: everything tollgate does beyond this is above the floor.
 *
 * With a fourth argument `records`, the floor of what SPEC asks a promote
 * to keep besides, written as tersely: tollgate's own tables and indexes
 * (promotion, promotion_history, audit with its head in plan_meta, lease,
 * step_run), each change a promotion row, a history row and an audit entry
 * (hex SHA-256 chain and its statement list); the lease taken with
 * 'deploying', its process group recorded in the next commit and the lease
 * dropped with 'healthy'; the step's record; each child in a process group
 * of its own with its output read through a pipe. Still no plan, no
 * readiness and no scheduling beyond the DAG's order.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct node {
	char name[32];
	int ndeps, *deps;
	int nrdeps, *rdeps;
	int waiting; /* deps not done */
	pid_t pid;
	int out; /* records: the read end of its output pipe */
};

static struct node *nodes;
static int nnodes;
static sqlite3 *db;
static sqlite3_stmt *up, *ins;
/* records mode */
static int records;
static sqlite3_stmt *hist, *lease_put, *lease_pgid, *lease_del, *step_put, *head_put;
static int *pgid_pending, npgid_pending;
static long long seq;
static unsigned char prev[32];
static EVP_MD *sha;
static EVP_MD_CTX *mdctx;

static void die(const char *what)
{
	fprintf(stderr, "durable-floor: %s: %s\n", what, db ? sqlite3_errmsg(db) : strerror(errno));
	exit(1);
}

static int find(const char *name)
{
	for (int i = nnodes - 1; i >= 0; i--)
		if (!strcmp(nodes[i].name, name))
			return i;
	return -1;
}

static void load(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int alloc = 0;
	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f)) {
		char *colon, *bar, *tok;
		struct node *n;
		if (strncmp(line, "build ", 6))
			continue;
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		if (nnodes == alloc) {
			alloc = alloc ? 2 * alloc : 1024;
			nodes = realloc(nodes, (size_t)alloc * sizeof(*nodes));
		}
		n = &nodes[nnodes];
		memset(n, 0, sizeof(*n));
		snprintf(n->name, sizeof(n->name), "%.31s", line + 6);
		bar = strchr(colon + 1, '|');
		if (bar) {
			for (tok = strtok(bar + 1, " \n"); tok; tok = strtok(NULL, " \n")) {
				int d = find(tok);
				if (d < 0)
					continue;
				n->deps = realloc(n->deps, (size_t)(n->ndeps + 1) * sizeof(int));
				n->deps[n->ndeps++] = d;
			}
		}
		nnodes++;
	}
	fclose(f);
	for (int i = 0; i < nnodes; i++) {
		nodes[i].waiting = nodes[i].ndeps;
		for (int k = 0; k < nodes[i].ndeps; k++) {
			struct node *d = &nodes[nodes[i].deps[k]];
			d->rdeps = realloc(d->rdeps, (size_t)(d->nrdeps + 1) * sizeof(int));
			d->rdeps[d->nrdeps++] = i;
		}
	}
}

static void exec_sql(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
}

/* one change: the state row and a chained audit entry */
static void change(int i, const char *state, long long now)
{
	char text[128];
	unsigned char md[32];
	unsigned int mdlen = 0;
	int len = snprintf(text, sizeof(text), "%lld %s %s", ++seq, nodes[i].name, state);

	EVP_DigestInit_ex2(mdctx, sha, NULL);
	EVP_DigestUpdate(mdctx, prev, sizeof(prev));
	EVP_DigestUpdate(mdctx, text, (size_t)len);
	EVP_DigestFinal_ex(mdctx, md, &mdlen);
	memcpy(prev, md, sizeof(prev));

	sqlite3_bind_text(up, 1, nodes[i].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(up, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(up, 3, now);
	if (records)
		sqlite3_bind_int64(up, 4, seq);
	if (sqlite3_step(up) != SQLITE_DONE)
		die("upsert");
	sqlite3_reset(up);
	if (!records) {
		sqlite3_bind_int64(ins, 1, seq);
		sqlite3_bind_int64(ins, 2, now);
		sqlite3_bind_text(ins, 3, text, len, SQLITE_STATIC);
		sqlite3_bind_blob(ins, 4, md, 32, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("audit");
		sqlite3_reset(ins);
		return;
	}
	{
		static const char hexd[] = "0123456789abcdef";
		char hex[65], prevhex[65], subject[64], action[64], ops[256];
		static char lasthex[65];
		for (int k = 0; k < 32; k++) {
			hex[2 * k] = hexd[md[k] >> 4];
			hex[2 * k + 1] = hexd[md[k] & 15];
		}
		hex[64] = '\0';
		memcpy(prevhex, lasthex, 65); /* "" before the first */
		memcpy(lasthex, hex, 65);
		snprintf(subject, sizeof(subject), "%s@sit", nodes[i].name);
		snprintf(action, sizeof(action), "promotion.%s", state);
		snprintf(ops, sizeof(ops), "[[\"promotion.set\",\"%s\",\"sit\",\"%s\",\"v1\",%lld]]",
			 nodes[i].name, state, now);
		sqlite3_bind_text(hist, 1, nodes[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(hist, 2, seq);
		sqlite3_bind_int64(hist, 3, now);
		sqlite3_bind_text(hist, 4, state, -1, SQLITE_STATIC);
		if (sqlite3_step(hist) != SQLITE_DONE)
			die("history");
		sqlite3_reset(hist);
		sqlite3_bind_int64(ins, 1, seq);
		sqlite3_bind_int64(ins, 2, now);
		sqlite3_bind_text(ins, 3, action, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 4, subject, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 5, prevhex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 6, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 7, ops, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ins) != SQLITE_DONE)
			die("audit");
		sqlite3_reset(ins);
	}
}

/* records: one statement on (project) or (value, project) */
static void step1(sqlite3_stmt *st, const char *what, int i, long long v, int with_v)
{
	int k = 1;
	if (with_v)
		sqlite3_bind_int64(st, k++, v);
	sqlite3_bind_text(st, k, nodes[i].name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		die(what);
	sqlite3_reset(st);
}

/* records: the process groups of the steps started since the last commit,
 * into their leases (first in a commit) */
static void flush_pgids(void)
{
	for (int k = 0; k < npgid_pending; k++)
		step1(lease_pgid, "lease pgid", pgid_pending[k], nodes[pgid_pending[k]].pid, 1);
	npgid_pending = 0;
}

/* records: the audit head, once per commit (last in it) */
static void put_head(void)
{
	char num[32];
	snprintf(num, sizeof(num), "%lld", seq);
	sqlite3_bind_text(head_put, 1, "audit_seq", -1, SQLITE_STATIC);
	sqlite3_bind_text(head_put, 2, num, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(head_put) != SQLITE_DONE)
		die("head");
	sqlite3_reset(head_put);
	sqlite3_bind_text(head_put, 1, "audit_hash", -1, SQLITE_STATIC);
	sqlite3_bind_blob(head_put, 2, prev, 32, SQLITE_STATIC);
	if (sqlite3_step(head_put) != SQLITE_DONE)
		die("head");
	sqlite3_reset(head_put);
}

/* records: tollgate's tables and indexes for what a promote writes (the
 * schema of src/store/store-sql.c), and the statements, prepared once */
static void prepare(sqlite3_stmt **st, const char *sql)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		die(sql);
}

static void prepare_records(void)
{
	exec_sql("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		 "CREATE TABLE plan_meta (plan TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
		 " PRIMARY KEY (plan, key)) WITHOUT ROWID;"
		 "CREATE TABLE promotion (plan TEXT NOT NULL, project TEXT NOT NULL, env TEXT NOT NULL,"
		 " state TEXT NOT NULL, version TEXT, previous_version TEXT, since BIGINT NOT NULL,"
		 " run_id TEXT, soak_until BIGINT NOT NULL DEFAULT 0, detail TEXT,"
		 " seq BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (plan, project, env)) WITHOUT ROWID;"
		 "CREATE TABLE promotion_history (plan TEXT NOT NULL, project TEXT NOT NULL,"
		 " env TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL, state TEXT NOT NULL,"
		 " version TEXT, previous_version TEXT, run_id TEXT, soak_until BIGINT NOT NULL"
		 " DEFAULT 0, detail TEXT);"
		 "CREATE INDEX promotion_history_pair ON promotion_history (plan, project, env, seq);"
		 "CREATE TABLE lease (plan TEXT NOT NULL, project TEXT NOT NULL, env TEXT NOT NULL,"
		 " host TEXT NOT NULL, pid BIGINT NOT NULL, pgid BIGINT NOT NULL DEFAULT 0,"
		 " run_id TEXT NOT NULL, acquired BIGINT NOT NULL, expires BIGINT NOT NULL,"
		 " PRIMARY KEY (plan, project, env)) WITHOUT ROWID;"
		 "CREATE TABLE step_run (plan TEXT NOT NULL, run_id TEXT NOT NULL, project TEXT NOT NULL,"
		 " env TEXT NOT NULL, step TEXT NOT NULL, started BIGINT NOT NULL,"
		 " ended BIGINT NOT NULL DEFAULT 0, exit_status BIGINT NOT NULL DEFAULT -1,"
		 " log_path TEXT, duration_ms BIGINT NOT NULL DEFAULT 0,"
		 " PRIMARY KEY (plan, run_id, project, env, step)) WITHOUT ROWID;"
		 "CREATE INDEX step_run_pair ON step_run (plan, project, env, step, started);"
		 "CREATE TABLE audit (plan TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL,"
		 " actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL,"
		 " detail TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, auth TEXT,"
		 " ops TEXT, PRIMARY KEY (plan, seq)) WITHOUT ROWID;");
	prepare(&up, "INSERT INTO promotion (plan, project, env, state, version, previous_version,"
		     " since, run_id, soak_until, detail, seq) VALUES ('bench', ?1, 'sit', ?2, 'v1',"
		     " NULL, ?3, 'run-1', 0, NULL, ?4) ON CONFLICT (plan, project, env) DO UPDATE"
		     " SET state = excluded.state, version = excluded.version,"
		     " previous_version = excluded.previous_version, since = excluded.since,"
		     " run_id = excluded.run_id, soak_until = excluded.soak_until,"
		     " detail = excluded.detail, seq = excluded.seq");
	prepare(&hist, "INSERT INTO promotion_history (plan, project, env, seq, at, state, version,"
		       " previous_version, run_id, soak_until, detail) VALUES ('bench', ?1, 'sit', ?2,"
		       " ?3, ?4, 'v1', NULL, 'run-1', 0, NULL)");
	prepare(&ins, "INSERT INTO audit (plan, seq, at, actor, action, subject, detail, prev_hash,"
		      " hash, auth, ops) VALUES ('bench', ?1, ?2, 'bench', ?3, ?4, '', ?5, ?6, NULL, ?7)");
	prepare(&lease_put, "INSERT INTO lease (plan, project, env, host, pid, pgid, run_id, acquired,"
			    " expires) VALUES ('bench', ?2, 'sit', 'host', 1, 0, 'run-1', ?1, ?1 + 900)");
	prepare(&lease_pgid, "UPDATE lease SET pgid = ?1 WHERE plan = 'bench' AND project = ?2"
			     " AND env = 'sit' AND run_id = 'run-1'");
	prepare(&lease_del, "DELETE FROM lease WHERE plan = 'bench' AND project = ?1 AND env = 'sit'"
			    " AND run_id = 'run-1'");
	prepare(&step_put, "INSERT INTO step_run (plan, run_id, project, env, step, started, ended,"
			   " exit_status, log_path, duration_ms) VALUES ('bench', 'run-1', ?2, 'sit',"
			   " 'deploy', ?1, ?1, 0, NULL, 1)");
	prepare(&head_put, "INSERT INTO plan_meta (plan, key, value) VALUES ('bench', ?1, ?2)"
			   " ON CONFLICT (plan, key) DO UPDATE SET value = excluded.value");
	pgid_pending = calloc((size_t)nnodes + 1, sizeof(int));
}

/* records: spawn in a process group of its own, output into a pipe */
static void spawn_records(int i, char *const args[])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		die("pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_adddup2(&fa, p[1], 2);
	if (posix_spawn(&nodes[i].pid, args[0], &fa, &at, args, environ))
		die("posix_spawn");
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	nodes[i].out = p[0];
	pgid_pending[npgid_pending++] = i;
}

/* records: what it wrote (read to the end: it has exited), and its end */
static void ended_records(int i, long long now)
{
	char buf[4096];
	while (read(nodes[i].out, buf, sizeof(buf)) > 0)
		;
	close(nodes[i].out);
	step1(step_put, "step", i, now, 1);
	step1(lease_del, "lease drop", i, 0, 0);
}

int main(int argc, char **argv)
{
	int jobs, running = 0, done = 0, nready = 0, *ready, active[256];
	char *const args[] = { "/bin/sh", "-c", "true", NULL };

	if (argc != 4 && !(argc == 5 && !strcmp(argv[4], "records"))) {
		fprintf(stderr, "usage: durable-floor BUILD.NINJA DB JOBS [records]\n");
		return 2;
	}
	records = argc == 5;
	jobs = atoi(argv[3]);
	if (jobs < 1 || jobs > 256)
		jobs = 8;
	load(argv[1]);
	ready = malloc((size_t)nnodes * sizeof(int));
	for (int i = 0; i < nnodes; i++)
		if (!nodes[i].waiting)
			ready[nready++] = i;
	unlink(argv[2]);
	if (sqlite3_open(argv[2], &db) != SQLITE_OK)
		die(argv[2]);
	if (records)
		prepare_records();
	else {
	exec_sql("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		 "CREATE TABLE state (project TEXT PRIMARY KEY, state TEXT NOT NULL,"
		 " at INTEGER NOT NULL) WITHOUT ROWID;"
		 "CREATE TABLE audit (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
		 " text TEXT NOT NULL, hash BLOB NOT NULL);");
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO state (project, state, at) VALUES (?, ?, ?)"
			       " ON CONFLICT (project) DO UPDATE SET state = excluded.state,"
			       " at = excluded.at",
			       -1, &up, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO audit (seq, at, text, hash) VALUES (?, ?, ?, ?)",
			       -1, &ins, NULL) != SQLITE_OK)
		die("prepare");
	}
	sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	mdctx = EVP_MD_CTX_new();

	while (done < nnodes) {
		long long now = (long long)time(NULL);
		int start = nready < jobs - running ? nready : jobs - running;
		if (start > 0) {
			/* 'running' is durable before anything starts */
			exec_sql("BEGIN IMMEDIATE");
			if (records)
				flush_pgids();
			for (int k = 0; k < start; k++) {
				if (records)
					step1(lease_put, "lease", ready[nready - 1 - k], now, 1);
				change(ready[nready - 1 - k], records ? "deploying" : "running", now);
			}
			if (records)
				put_head();
			exec_sql("COMMIT");
			for (int k = 0; k < start; k++) {
				int i = ready[--nready];
				if (records)
					spawn_records(i, args);
				else if (posix_spawn(&nodes[i].pid, args[0], NULL, NULL, args, environ))
					die("posix_spawn");
				active[running++] = i;
			}
		}
		/* wait for one to end, then take every other that has ended */
		{
			int ended[64], nended = 0, st;
			pid_t p = waitpid(-1, &st, 0);
			while (p > 0) {
				for (int k = 0; k < running; k++)
					if (nodes[active[k]].pid == p) {
						nodes[active[k]].pid = 0;
						ended[nended++] = active[k];
						active[k] = active[--running];
						break;
					}
				if (nended == 64)
					break;
				p = waitpid(-1, &st, WNOHANG);
			}
			if (!nended)
				die("waitpid");
			exec_sql("BEGIN IMMEDIATE");
			if (records)
				flush_pgids();
			for (int k = 0; k < nended; k++) {
				if (records)
					ended_records(ended[k], now);
				change(ended[k], "healthy", now);
			}
			if (records)
				put_head();
			exec_sql("COMMIT");
			for (int k = 0; k < nended; k++) {
				struct node *n = &nodes[ended[k]];
				done++;
				for (int r = 0; r < n->nrdeps; r++)
					if (--nodes[n->rdeps[r]].waiting == 0)
						ready[nready++] = n->rdeps[r];
			}
		}
	}
	sqlite3_finalize(up);
	sqlite3_finalize(ins);
	if (records) {
		sqlite3_finalize(hist);
		sqlite3_finalize(lease_put);
		sqlite3_finalize(lease_pgid);
		sqlite3_finalize(lease_del);
		sqlite3_finalize(step_put);
		sqlite3_finalize(head_put);
		free(pgid_pending);
	}
	sqlite3_close(db);
	EVP_MD_CTX_free(mdctx);
	EVP_MD_free(sha);
	printf("%d projects, %lld changes\n", nnodes, seq);
	return 0;
}
