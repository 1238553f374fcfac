/*
 * bench-store-gen.c - fill a store's audit log with N chained entries in one
 * transaction (store_log_append_bulk), for bench-store.sh. Built by that
 * script against the build folder's libtollgate_core.a.
 *
 * usage: bench-store-gen URL N PLAN_ID
 * (the entries belong to that plan: the plan.id of the plan the caller's
 * `tollgate log --verify` reads)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "plan/plan.h"
#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct store *s = NULL;
	struct plan plan = { 0 };
	struct err e;
	double t0, t1;
	long long n;

	if (argc != 4 || (n = atoll(argv[2])) < 1) {
		fprintf(stderr, "usage: bench-store-gen URL N PLAN_ID\n");
		return 2;
	}
	plan.id = argv[3];
	err_init(&e);
	if (store_open(&s, &plan, argv[1], &e) < 0) {
		fprintf(stderr, "bench-store-gen: error: %s\n", e.msg);
		return 1;
	}
	t0 = now_s();
	if (store_log_append_bulk(s, 1768035600, n, &e) < 0) {
		fprintf(stderr, "bench-store-gen: error: %s\n", e.msg);
		store_close(s);
		return 1;
	}
	t1 = now_s();
	printf("%s: appended %lld entries in %.2f s (%.0f entries/s)\n", store_backend_name(s), n,
	       t1 - t0, (double)n / (t1 - t0));
	store_close(s);
	return 0;
}
