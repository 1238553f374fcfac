/*
 * auth-throttle.c - failed authentications per client address, in a fixed
 * table under one mutex (auth-throttle.h). The table is scanned linearly:
 * 1024 short string compares are cheaper than the SHA-256 and the store
 * read of the authentication they guard.
 */
#include "util/auth-throttle.h"

#include <stdio.h>
#include <string.h>

void auth_throttle_init(struct auth_throttle *t, int max_failures, int64_t window,
			int64_t backoff, int64_t backoff_max)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->max_failures = max_failures > 0 ? max_failures : AUTH_THROTTLE_MAX_FAILURES;
	t->window = window > 0 ? window : AUTH_THROTTLE_WINDOW;
	t->backoff = backoff > 0 ? backoff : AUTH_THROTTLE_BACKOFF;
	t->backoff_max = backoff_max > 0 ? backoff_max : AUTH_THROTTLE_BACKOFF_MAX;
	if (t->backoff_max < t->backoff)
		t->backoff_max = t->backoff;
}

void auth_throttle_release(struct auth_throttle *t)
{
	pthread_mutex_destroy(&t->lock);
}

/* The key of addr as the table keeps it: cut to AUTH_THROTTLE_ADDR_MAX - 1
 * bytes, so that a longer one finds its slot again. */
static const char *key_of(const char *addr, char key[AUTH_THROTTLE_ADDR_MAX])
{
	snprintf(key, AUTH_THROTTLE_ADDR_MAX, "%s", addr && *addr ? addr : "?");
	return key;
}

static struct auth_throttle_slot *find(struct auth_throttle *t, const char *addr)
{
	for (size_t i = 0; i < AUTH_THROTTLE_SLOTS; i++)
		if (t->slots[i].addr[0] && !strcmp(t->slots[i].addr, addr))
			return &t->slots[i];
	return NULL;
}

/* A slot for addr: a free one, else the least recently seen that is not
 * locked out, else the lockout that ends first. */
static struct auth_throttle_slot *take(struct auth_throttle *t, const char *addr, int64_t now)
{
	struct auth_throttle_slot *best = NULL, *locked = NULL;

	for (size_t i = 0; i < AUTH_THROTTLE_SLOTS; i++) {
		struct auth_throttle_slot *s = &t->slots[i];
		if (!s->addr[0]) {
			best = s;
			break;
		}
		if (s->locked_until > now) {
			if (!locked || s->locked_until < locked->locked_until)
				locked = s;
		} else if (!best || s->seen < best->seen) {
			best = s;
		}
	}
	if (!best)
		best = locked;
	memset(best, 0, sizeof(*best));
	snprintf(best->addr, sizeof(best->addr), "%s", addr);
	best->backoff = t->backoff;
	return best;
}

bool auth_throttle_allow(struct auth_throttle *t, const char *addr, int64_t now,
			 int64_t *retry_after)
{
	struct auth_throttle_slot *s;
	bool ok = true;

	char key[AUTH_THROTTLE_ADDR_MAX];

	addr = key_of(addr, key);
	pthread_mutex_lock(&t->lock);
	s = find(t, addr);
	if (s && s->locked_until > now) {
		ok = false;
		if (retry_after)
			*retry_after = s->locked_until - now;
	}
	pthread_mutex_unlock(&t->lock);
	return ok;
}

bool auth_throttle_fail(struct auth_throttle *t, const char *addr, int64_t now)
{
	struct auth_throttle_slot *s;
	bool locked = false;

	char key[AUTH_THROTTLE_ADDR_MAX];

	addr = key_of(addr, key);
	pthread_mutex_lock(&t->lock);
	s = find(t, addr);
	if (!s)
		s = take(t, addr, now);
	s->seen = now;
	if (s->locked_until > now)
		goto out; /* refused already; allow() keeps it out */
	if (!s->failures || now - s->window_start >= t->window) {
		s->failures = 0;
		s->window_start = now;
	}
	if (++s->failures >= t->max_failures) {
		s->locked_until = now + s->backoff;
		s->backoff = s->backoff * 2 > t->backoff_max ? t->backoff_max : s->backoff * 2;
		s->failures = 0;
		locked = true;
	}
out:
	pthread_mutex_unlock(&t->lock);
	return locked;
}

void auth_throttle_success(struct auth_throttle *t, const char *addr)
{
	struct auth_throttle_slot *s;

	char key[AUTH_THROTTLE_ADDR_MAX];

	addr = key_of(addr, key);
	pthread_mutex_lock(&t->lock);
	s = find(t, addr);
	if (s)
		memset(s, 0, sizeof(*s));
	pthread_mutex_unlock(&t->lock);
}
