/*
 * auth-throttle.h - slowing down guessing: failed authentications counted
 * per client address, in fixed memory, safe to share between threads (the
 * server's connection threads share one).
 *
 * An address with `max_failures` failures within `window` seconds is refused
 * for `backoff` seconds (the server answers 429 with Retry-After); each
 * further lockout of the same address doubles it, up to `backoff_max`. A
 * success clears the address. The table holds AUTH_THROTTLE_SLOTS addresses;
 * when it is full the one least recently seen that is not locked out makes
 * room (if every slot is locked out, the oldest lockout), so a flood of
 * addresses costs memory never, and can at worst free an attacker's slot
 * early, never lock out an innocent address.
 */
#ifndef TOLLGATE_UTIL_AUTH_THROTTLE_H
#define TOLLGATE_UTIL_AUTH_THROTTLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define AUTH_THROTTLE_SLOTS 1024
#define AUTH_THROTTLE_ADDR_MAX 64 /* an IPv6 address with a zone fits; longer: cut */

struct auth_throttle_slot {
	char addr[AUTH_THROTTLE_ADDR_MAX]; /* "" free */
	int failures;       /* within the window that began at window_start */
	int64_t window_start;
	int64_t locked_until; /* 0: not locked out */
	int64_t backoff;      /* the next lockout's length */
	int64_t seen;         /* last failure or check */
};

struct auth_throttle {
	pthread_mutex_t lock;
	int max_failures;
	int64_t window, backoff, backoff_max; /* seconds */
	struct auth_throttle_slot slots[AUTH_THROTTLE_SLOTS];
};

/* Defaults: 5 failures in 60 s, locked out 60 s, doubling up to 15 min. */
#define AUTH_THROTTLE_MAX_FAILURES 5
#define AUTH_THROTTLE_WINDOW 60
#define AUTH_THROTTLE_BACKOFF 60
#define AUTH_THROTTLE_BACKOFF_MAX 900

/* Set t up (0 or negative values take the defaults). About 100 KiB: allocate
 * it with the server, not on a thread's stack. */
void auth_throttle_init(struct auth_throttle *t, int max_failures, int64_t window,
			int64_t backoff, int64_t backoff_max);
void auth_throttle_release(struct auth_throttle *t);

/* May addr try to authenticate at now? true, or false with *retry_after
 * (may be NULL) the seconds until it may (>= 1). */
bool auth_throttle_allow(struct auth_throttle *t, const char *addr, int64_t now,
			 int64_t *retry_after);
/* addr failed to authenticate at now. Returns true when this failure locks
 * it out. */
bool auth_throttle_fail(struct auth_throttle *t, const char *addr, int64_t now);
/* addr authenticated: forget its failures and lockouts. */
void auth_throttle_success(struct auth_throttle *t, const char *addr);

#endif
