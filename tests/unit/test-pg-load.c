/*
 * test-pg-load.c - loading libpq for postgres:// stores is done once per
 * process whatever the number of threads opening stores at once, and its
 * outcome holds for every open after it: a library that cannot be loaded,
 * or lacks libpq's functions (TOLLGATE_LIBPQ names it), makes every open
 * fail with the same message, never succeed with null functions. Each case
 * runs in a child process of its own (the load happens once per process).
 * With TOLLGATE_TEST_DB=postgres://… the real load also opens real stores
 * from the threads; without it, a server that refuses connections shows the
 * load worked (the error is the connection's, not the load's).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

#define THREADS 8
#define ROUNDS 3

struct opener {
	const char *url;
	pthread_barrier_t *start;
	int opened, failed;
	char first_error[1024];
	bool same_error; /* every failure said what the first said */
};

static void *open_stores(void *arg)
{
	struct opener *o = arg;
	o->same_error = true;
	pthread_barrier_wait(o->start);
	for (int i = 0; i < ROUNDS; i++) {
		struct store *s = NULL;
		struct err e;
		err_init(&e);
		if (store_open(&s, NULL, o->url, &e) == 0) {
			o->opened++;
			store_close(s);
			continue;
		}
		o->failed++;
		if (!o->first_error[0])
			snprintf(o->first_error, sizeof(o->first_error), "%s", e.msg);
		else if (strcmp(o->first_error, e.msg))
			o->same_error = false;
	}
	return NULL;
}

/* Open url from THREADS threads at once, ROUNDS times each; in a child.
 * want: "opened" (every open worked), or a text every error must contain. */
static void run_case(const char *name, const char *libpq, const char *url, const char *want)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pthread_barrier_t start;
		pthread_t th[THREADS];
		struct opener o[THREADS];
		int bad = 0;

		if (libpq)
			setenv("TOLLGATE_LIBPQ", libpq, 1);
		pthread_barrier_init(&start, NULL, THREADS);
		memset(o, 0, sizeof(o));
		for (int i = 0; i < THREADS; i++) {
			o[i].url = url;
			o[i].start = &start;
			pthread_create(&th[i], NULL, open_stores, &o[i]);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(th[i], NULL);
		for (int i = 0; i < THREADS; i++) {
			bool ok = !strcmp(want, "opened")
					  ? o[i].opened == ROUNDS
					  : o[i].failed == ROUNDS && o[i].same_error &&
						    strstr(o[i].first_error, want) != NULL;
			if (!ok) {
				fprintf(stderr, "%s: thread %d: %d opened, %d failed: %s\n", name, i,
					o[i].opened, o[i].failed, o[i].first_error);
				bad = 1;
			}
		}
		_exit(bad);
	}
	CHECK(pid > 0);
	CHECK(waitpid(pid, &status, 0) == pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "%s: child status %#x\n", name, status);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A library that is not there: every open, from every thread, says so. */
static void test_missing_library(void)
{
	run_case("missing", "libpq-not-installed.so.5", "postgres://127.0.0.1:1/none",
		 "cannot load libpq for a postgres:// store");
}

/* A library that loads but is not libpq (libm has none of its functions):
 * before, the first open failed and every later one "succeeded" and called
 * a null function. */
static void test_library_without_functions(void)
{
	run_case("lacking", "libm.so.6", "postgres://127.0.0.1:1/none", "lacks PQclear");
}

/* The real library, loaded by eight threads at once: the opens reach the
 * server (a real one when TOLLGATE_TEST_DB names it). */
static void test_real_library(void)
{
	const char *db = getenv("TOLLGATE_TEST_DB");
	if (db && !strncmp(db, "postgres", 8))
		run_case("real", NULL, db, "opened");
	else
		/* nothing listens on port 1: the failure is the connection's */
		run_case("real", NULL, "postgres://127.0.0.1:1/none", "127.0.0.1");
}

int main(void)
{
	RUN(test_missing_library);
	RUN(test_library_without_functions);
	RUN(test_real_library);
	return TEST_DONE();
}
