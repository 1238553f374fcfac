/*
 * serve.h - `tollgate serve`: the HTTP server in front of the engine
 * (libmicrohttpd). cmd/cmd-serve.c parses the options and calls serve_run;
 * everything else of the server is private to src/serve/.
 */
#ifndef TOLLGATE_SERVE_H
#define TOLLGATE_SERVE_H

#include <stdbool.h>

#include "util/util.h"

struct plan;
struct store;

#define SERVE_LISTEN_DEFAULT "127.0.0.1:8086"
#define SERVE_BODY_MAX (1024 * 1024)   /* bytes of a request body: 413 beyond */
#define SERVE_HEADER_MEMORY (32 * 1024) /* a connection's buffer: headers beyond it 431 */
#define SERVE_TIMEOUT_DEFAULT 30        /* seconds a connection may be idle */
#define SERVE_CONNECTIONS_DEFAULT 1024  /* connections at once */
#define SERVE_HEARTBEAT_DEFAULT 15      /* seconds between an idle event stream's heartbeats */
#define SERVE_DRAIN_DEFAULT 60          /* seconds running steps get once SIGTERM came */

struct serve_opts {
	const char *listen;             /* ADDR:PORT or [ADDR6]:PORT */
	const char *tls_cert, *tls_key; /* both or neither */
	bool public_read;               /* reads need no token from any address */
	unsigned timeout;               /* seconds */
	unsigned max_connections;
	unsigned heartbeat;             /* seconds; 0: SERVE_HEARTBEAT_DEFAULT */
	unsigned drain_timeout;         /* seconds; then running steps are stopped */
	const char *plan_path, *db_url; /* what the process was started with */
	const char *auth;               /* how the process authenticated (audit) */
};

/*
 * Serve plan and store (both become the server's: it frees and closes them,
 * also on failure) until SIGTERM or SIGINT, then drain and return 0. -1 with
 * e filled when the server cannot start (bad address, TLS files, port taken).
 * Reloads the plan on SIGHUP and when its file changes. Prints its progress
 * and reload errors to stderr.
 */
int serve_run(const struct serve_opts *o, struct plan *plan, struct store *store, struct err *e);

/* Does a read of path from client need a token? Not from a loopback
 * address (127.0.0.0/8, ::1, ::ffff:127.x), not with --public-read, and
 * never for /healthz and /readyz. client NULL: unknown, so yes. */
struct sockaddr;
bool serve_needs_token(const struct sockaddr *client, bool public_read, const char *path);

/* "127.0.0.1:8086" into a socket address; 0 ok, -1 with e filled. */
struct sockaddr_storage;
int serve_parse_listen(const char *listen, struct sockaddr_storage *out, unsigned *len,
		       struct err *e);

#endif
