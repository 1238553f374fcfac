/*
 * exec-spawner.c - the threads that spawn the commands of a parallel run.
 *
 * posix_spawn returns only once the child has exec'd, and on a busy machine
 * that is milliseconds of waiting for a CPU: done inline, it would hold up
 * everything else the runner's caller does between commands (promote writes
 * the state of each step). With more than one slot the spawns run on
 * threads of their own (EXEC_SPAWNERS per run, taking jobs from one queue:
 * the children a tick starts together do not wait for each other's exec); a
 * finished spawn is handed back through `done` and a byte on a pipe that
 * the runner's ppoll watches.
 */
#define _GNU_SOURCE
#include "exec/exec-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

static void *spawner_main(void *arg)
{
	struct runner *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct job *j;
		while (!r->ntodo && !r->quit)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->quit)
			break;
		j = r->todo[0];
		memmove(r->todo, r->todo + 1, --r->ntodo * sizeof(*r->todo));
		pthread_mutex_unlock(&r->mu);
		exec_job_spawn(j);
		pthread_mutex_lock(&r->mu);
		r->done[r->ndone++] = j;
		if (write(r->wake[1], "", 1) < 0) {
			/* full: the main loop has wake-ups enough pending */
		}
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}


/* Without a pipe or a thread, every spawn is simply done inline. */
void exec_spawner_start(struct runner *r)
{
	if (exec_pipe_cloexec(r->wake) < 0)
		return;
	fcntl(r->wake[1], F_SETFL, O_NONBLOCK);
	r->todo = xcalloc((size_t)r->njobs, sizeof(*r->todo));
	r->done = xcalloc((size_t)r->njobs, sizeof(*r->done));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	for (int i = 0; i < EXEC_SPAWNERS && i < r->njobs; i++)
		if (!pthread_create(&r->spawner[r->nspawners], NULL, spawner_main, r))
			r->nspawners++;
	if (!r->nspawners) {
		exec_spawner_release(r);
		return;
	}
	r->threaded = true;
}


/* Stop the thread (a spawn under way completes first). */
void exec_spawner_stop(struct runner *r)
{
	if (!r->threaded)
		return;
	pthread_mutex_lock(&r->mu);
	r->quit = true;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	for (int i = 0; i < r->nspawners; i++)
		pthread_join(r->spawner[i], NULL);
	r->nspawners = 0;
	r->threaded = false;
}


void exec_spawner_release(struct runner *r)
{
	if (!r->todo)
		return;
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	exec_close_fd(&r->wake[0]);
	exec_close_fd(&r->wake[1]);
	free(r->todo);
	free(r->done);
	r->todo = r->done = NULL;
}


/* Take in the spawns the thread has finished. */
void exec_collect_spawns(struct runner *r, int64_t now)
{
	struct job *got[64];
	size_t n;
	char drain[64];

	if (!r->todo)
		return;
	while (read(r->wake[0], drain, sizeof(drain)) > 0)
		;
	do {
		pthread_mutex_lock(&r->mu);
		n = r->ndone < ARRAY_SIZE(got) ? r->ndone : ARRAY_SIZE(got);
		memcpy(got, r->done, n * sizeof(*got));
		memmove(r->done, r->done + n, (r->ndone - n) * sizeof(*r->done));
		r->ndone -= n;
		pthread_mutex_unlock(&r->mu);
		for (size_t i = 0; i < n; i++)
			exec_job_start_done(r, got[i], now);
	} while (n == ARRAY_SIZE(got));
}


/* Start j: spawned at once (0: exec_job_start_done is next), handed to the
 * spawner thread (1), or not at all (-1: it could not be prepared). */
int exec_job_start(struct runner *r, struct job *j)
{
	if (exec_job_prepare(j) < 0) {
		exec_job_unprepare(j);
		return -1;
	}
	if (r->threaded) {
		j->spawning = true;
		pthread_mutex_lock(&r->mu);
		r->todo[r->ntodo++] = j;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		return 1;
	}
	exec_job_spawn(j);
	return 0;
}
