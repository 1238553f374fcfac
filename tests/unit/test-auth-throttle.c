/*
 * test-auth-throttle.c - failed authentications per address
 * (util/auth-throttle.h): 5 failures within 60 s lock an address out for
 * the backoff, which doubles on the next lockout up to its cap; failures
 * spread wider than the window never do; a success clears; addresses are
 * independent; a flood of new addresses fits in the fixed table without
 * freeing a locked-out one; several threads at once lose no count.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util/auth-throttle.h"
#include "util/util.h"
#include "test.h"

static struct auth_throttle *make(void)
{
	struct auth_throttle *t = xmalloc(sizeof(*t));
	auth_throttle_init(t, 0, 0, 0, 0);
	return t;
}

static void done(struct auth_throttle *t)
{
	auth_throttle_release(t);
	free(t);
}

static void test_lockout(void)
{
	struct auth_throttle *t = make();
	int64_t retry = 0, now = 1000;

	for (int i = 0; i < 4; i++) {
		CHECK(auth_throttle_allow(t, "10.0.0.1", now + i, &retry));
		CHECK(!auth_throttle_fail(t, "10.0.0.1", now + i));
	}
	CHECK(auth_throttle_allow(t, "10.0.0.1", now + 4, &retry));
	CHECK(auth_throttle_fail(t, "10.0.0.1", now + 4)); /* the 5th locks */
	CHECK(!auth_throttle_allow(t, "10.0.0.1", now + 5, &retry));
	CHECK_INT(retry, 59);
	/* another address is not concerned */
	CHECK(auth_throttle_allow(t, "10.0.0.2", now + 5, NULL));
	CHECK(auth_throttle_allow(t, "::1", now + 5, NULL));
	/* failing while locked out changes nothing */
	CHECK(!auth_throttle_fail(t, "10.0.0.1", now + 10));
	CHECK(!auth_throttle_allow(t, "10.0.0.1", now + 63, &retry));
	CHECK_INT(retry, 1);
	CHECK(auth_throttle_allow(t, "10.0.0.1", now + 64, &retry));
	/* the next lockout lasts twice as long */
	for (int i = 0; i < 5; i++)
		auth_throttle_fail(t, "10.0.0.1", now + 70);
	CHECK(!auth_throttle_allow(t, "10.0.0.1", now + 70, &retry));
	CHECK_INT(retry, 120);
	/* a success clears it all */
	auth_throttle_success(t, "10.0.0.1");
	CHECK(auth_throttle_allow(t, "10.0.0.1", now + 71, NULL));
	for (int i = 0; i < 5; i++)
		auth_throttle_fail(t, "10.0.0.1", now + 80);
	CHECK(!auth_throttle_allow(t, "10.0.0.1", now + 80, &retry));
	CHECK_INT(retry, 60);
	done(t);
}

static void test_window_and_cap(void)
{
	struct auth_throttle *t = make();
	struct auth_throttle *c = xmalloc(sizeof(*c));
	int64_t retry;

	/* four failures a minute apart, forever: never locked out */
	for (int i = 0; i < 40; i++)
		CHECK(!auth_throttle_fail(t, "10.1.1.1", 1000 + i * 20));
	CHECK(auth_throttle_allow(t, "10.1.1.1", 2000, NULL));
	done(t);

	/* 3 in 10 s, 30 s, capped at 100 s */
	auth_throttle_init(c, 3, 10, 30, 100);
	int64_t now = 5000;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 3; i++)
			auth_throttle_fail(c, "h", now);
		CHECK(!auth_throttle_allow(c, "h", now, &retry));
		CHECK_INT(retry, round == 0 ? 30 : round == 1 ? 60 : 100);
		now += retry;
	}
	auth_throttle_release(c);
	free(c);
}

static void test_flood(void)
{
	struct auth_throttle *t = make();
	char addr[32];

	for (int i = 0; i < 5; i++)
		auth_throttle_fail(t, "attacker", 100);
	CHECK(!auth_throttle_allow(t, "attacker", 100, NULL));
	/* four times the table's size of fresh addresses, each failing once */
	for (int i = 0; i < 4 * AUTH_THROTTLE_SLOTS; i++) {
		snprintf(addr, sizeof(addr), "10.9.%d.%d", i / 256, i % 256);
		auth_throttle_fail(t, addr, 101);
	}
	CHECK(!auth_throttle_allow(t, "attacker", 102, NULL));
	/* a long address is cut, not overflowed */
	char big[300];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 5; i++)
		auth_throttle_fail(t, big, 200);
	CHECK(!auth_throttle_allow(t, big, 200, NULL));
	big[AUTH_THROTTLE_ADDR_MAX + 5] = 'b'; /* past the cut: the same address */
	CHECK(!auth_throttle_allow(t, big, 200, NULL));
	CHECK(auth_throttle_allow(t, NULL, 200, NULL));
	done(t);
}

struct worker {
	struct auth_throttle *t;
	int n;
	int locked;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char addr[32];
	snprintf(addr, sizeof(addr), "192.168.0.%d", w->n);
	for (int i = 0; i < 5000; i++) {
		if (auth_throttle_fail(w->t, addr, 1000))
			w->locked++;
		auth_throttle_allow(w->t, "shared", 1000, NULL);
		auth_throttle_fail(w->t, "shared", 1000);
	}
	return NULL;
}

static void test_threads(void)
{
	struct auth_throttle *t = make();
	pthread_t th[4];
	struct worker w[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ t, i, 0 };
		CHECK_INT(pthread_create(&th[i], NULL, work, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	/* each address locked exactly once: its 5th failure (the rest were
	 * while locked out, at the same second) */
	for (int i = 0; i < 4; i++)
		CHECK_INT(w[i].locked, 1);
	CHECK(!auth_throttle_allow(t, "shared", 1000, NULL));
	done(t);
}

int main(void)
{
	RUN(test_lockout);
	RUN(test_window_and_cap);
	RUN(test_flood);
	RUN(test_threads);
	return TEST_DONE();
}
