/*
 * events.h - the audit log as a stream of events, for the server's
 * `GET /api/v1/events` (Server-Sent Events): one event per entry as it lands
 * from any writer (this process, the CLI, another server on the same
 * PostgreSQL store), its id the entry's seq and its data the entry's JSON,
 * byte for byte one entry of `log --json` (encode_log_line).
 *
 * One watcher thread per struct events, on a store connection of its own,
 * waits for the log's head to move (store_watch: LISTEN/NOTIFY on
 * PostgreSQL, data_version on SQLite), then reads the new entries ONCE and
 * keeps the last ones in memory; any number of clients wait on one
 * condition variable and read from that buffer, so a change costs one store
 * read however many clients there are. A client resuming from further back
 * than the buffer reads the store (a connection of its own, one client at a
 * time).
 *
 * Resumption: events_read(after = N) gives N+1, N+2 … in order, each once;
 * the watcher reads from the last seq it has, so a lost session (a server
 * restart) loses nothing.
 *
 * Thread safety: every function but events_open/events_close may be called
 * from any number of threads at once.
 */
#ifndef TOLLGATE_ENGINE_EVENTS_H
#define TOLLGATE_ENGINE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

struct store;
struct events;

#define EVENTS_BUFFER_DEFAULT 4096 /* entries kept in memory */
#define EVENTS_WATCH_MS_DEFAULT 1000
struct events_opts {
	size_t buffer; /* 0: EVENTS_BUFFER_DEFAULT */
	int watch_ms;  /* the longest one wait of the watcher (and a stop's delay); 0: default */
};

/*
 * Start watching the log of the store s is on (s itself is not used after
 * this returns: the watcher and the readers have connections of their own).
 * The stream starts at the head as it is now. o may be NULL. 0, or -1 with
 * e saying why (the store cannot be opened again).
 */
int events_open(struct events **ev, struct store *s, const struct events_opts *o,
		struct err *e);
/* Stop the watcher (within watch_ms), wake every waiter (events_wait: -1,
 * REASON_CANCELLED) and free it all. Nobody may be inside another events_*
 * call on ev by the time it frees. NULL is fine. */
void events_close(struct events *ev);
/* Wake every waiter with -1 (REASON_CANCELLED), for a server that drains;
 * the watcher stops too. events_close is still needed. */
void events_stop(struct events *ev);

/* The last seq the watcher has seen (the log's head, as of its last look). */
int64_t events_head(struct events *ev);

/*
 * Wait until an entry with seq > after_seq is known (1), at most
 * timeout_ms (0: timed out; timeout_ms 0 only looks), or -1 with
 * REASON_CANCELLED once events_stop/events_close ran.
 */
int events_wait(struct events *ev, int64_t after_seq, int timeout_ms, struct err *e);

/*
 * Call fn for the entries after seq `after`, oldest first, at most max
 * (0: every one known), up to the head the watcher has seen: seq and the
 * entry's JSON (one line, not NUL-terminated in general; valid during the
 * call). fn returns non-zero to stop (returned as is). Served from memory
 * when the buffer reaches back to after + 1, otherwise from the store.
 * 0 (or fn's value), -1 on a store failure.
 */
typedef int (*events_fn)(void *ctx, int64_t seq, const char *json, size_t len);
int events_read(struct events *ev, int64_t after, size_t max, events_fn fn, void *ctx,
		struct err *e);

struct events_stats {
	int64_t head;
	uint64_t store_reads; /* reads of entries from the store (watcher and resumptions) */
	uint64_t head_reads;  /* reads of the head (each time the store may have moved) */
	uint64_t waiting;     /* callers inside events_wait now */
	uint64_t watch_errors; /* failed watches / reads (the watcher retries) */
	size_t buffered;      /* entries in memory */
};
void events_get_stats(struct events *ev, struct events_stats *out);

#endif
