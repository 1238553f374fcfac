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
 */
#define _GNU_SOURCE
#include <errno.h>
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
};

static struct node *nodes;
static int nnodes;
static sqlite3 *db;
static sqlite3_stmt *up, *ins;
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
	if (sqlite3_step(up) != SQLITE_DONE)
		die("upsert");
	sqlite3_reset(up);
	sqlite3_bind_int64(ins, 1, seq);
	sqlite3_bind_int64(ins, 2, now);
	sqlite3_bind_text(ins, 3, text, len, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 4, md, 32, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		die("audit");
	sqlite3_reset(ins);
}

int main(int argc, char **argv)
{
	int jobs, running = 0, done = 0, nready = 0, *ready, active[256];
	char *const args[] = { "/bin/sh", "-c", "true", NULL };

	if (argc != 4) {
		fprintf(stderr, "usage: durable-floor BUILD.NINJA DB JOBS\n");
		return 2;
	}
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
	sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	mdctx = EVP_MD_CTX_new();

	while (done < nnodes) {
		long long now = (long long)time(NULL);
		int start = nready < jobs - running ? nready : jobs - running;
		if (start > 0) {
			/* 'running' is durable before anything starts */
			exec_sql("BEGIN IMMEDIATE");
			for (int k = 0; k < start; k++)
				change(ready[nready - 1 - k], "running", now);
			exec_sql("COMMIT");
			for (int k = 0; k < start; k++) {
				int i = ready[--nready];
				if (posix_spawn(&nodes[i].pid, args[0], NULL, NULL, args, environ))
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
			for (int k = 0; k < nended; k++)
				change(ended[k], "healthy", now);
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
	sqlite3_close(db);
	EVP_MD_CTX_free(mdctx);
	EVP_MD_free(sha);
	printf("%d projects, %lld changes\n", nnodes, seq);
	return 0;
}
