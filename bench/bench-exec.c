/*
 * bench-exec.c - the driver of bench-exec.sh: runs N copies of a command
 * (default `true`) through exec_run_parallel, J at a time, each with its own
 * log file when a log folder is given (as promote does for every step).
 * Exits 1 when any command failed.
 *   bench-exec N J [LOGDIR [CMD]]
 */
#include <stdio.h>
#include <stdlib.h>

#include "exec/exec.h"

struct bench {
	int n, next, failed;
	const char *logdir, *cmd;
	char **logs;
};

static int next_task(void *cb, struct exec_task *t)
{
	struct bench *b = cb;
	if (b->next >= b->n)
		return -1;
	t->cmd = b->cmd;
	t->timeout_ms = 60000;
	if (b->logdir) {
		b->logs[b->next] = xasprintf("%s/step-%d.log", b->logdir, b->next);
		t->log_path = b->logs[b->next];
	}
	b->next++;
	return 1;
}

static void on_finish(void *cb, const struct exec_task *t, const struct exec_result *r)
{
	struct bench *b = cb;
	(void)t;
	if (!exec_result_ok(r))
		b->failed++;
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	struct exec_opts o = { 0 };
	struct err e;

	if (argc < 3) {
		fprintf(stderr, "usage: bench-exec N J [LOGDIR [CMD]]\n");
		return 2;
	}
	b.n = atoi(argv[1]);
	b.logdir = argc > 3 && argv[3][0] ? argv[3] : NULL;
	b.cmd = argc > 4 ? argv[4] : "true";
	b.logs = xcalloc((size_t)b.n + 1, sizeof(*b.logs));
	o.max_jobs = atoi(argv[2]);
	o.next_task = next_task;
	o.on_finish = on_finish;
	o.cb = &b;
	err_init(&e);
	if (exec_run_parallel(&o, &e) < 0) {
		fprintf(stderr, "bench-exec: %s\n", e.msg);
		return 1;
	}
	for (int i = 0; i < b.n; i++)
		free(b.logs[i]);
	free(b.logs);
	if (b.failed) {
		fprintf(stderr, "bench-exec: %d commands failed\n", b.failed);
		return 1;
	}
	return 0;
}
