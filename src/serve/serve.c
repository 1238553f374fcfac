/*
 * serve.c - the daemon of `tollgate serve`: libmicrohttpd with one internal
 * polling thread on epoll (a slow or idle client costs a socket, not a
 * thread; the event stream suspends and resumes connections on it), the
 * limits (body, headers, idle time, connections), TLS through MHD's GnuTLS,
 * and the main thread's signals: SIGTERM/SIGINT drain and stop, SIGHUP or a
 * changed plan file reload the plan when it is valid. A loaded plan is
 * audited as `plan.loaded` with its SHA-256.
 *
 * Requests are handled under s->lock (serve-internal.h); a reload builds the
 * new plan and store outside it and swaps them in under it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include "serve/mhd.h"
#include <netdb.h>
#include "util/crypto.h"
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/session.h"
#include "notify/notify.h"
#include "plan/plan.h"
#include "serve/serve-auth.h"
#include "serve/serve-internal.h"
#include "store/store.h"

#define DRAIN_SECONDS 5 /* how long in-flight requests get once SIGTERM came */

int serve_parse_listen(const char *listen, struct sockaddr_storage *out, unsigned *len,
		       struct err *e)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon, *port;
	size_t hl;
	int rc;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':')
			goto bad;
		hl = (size_t)(close - listen - 1);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, listen + 1, hl);
		port = close + 2;
	} else {
		colon = strrchr(listen, ':');
		if (!colon)
			goto bad;
		hl = (size_t)(colon - listen);
		if (hl >= sizeof(host) || memchr(listen, ':', hl))
			goto bad;
		memcpy(host, listen, hl);
		port = colon + 1;
	}
	host[hl] = '\0';
	if (!*host || !*port || strspn(port, "0123456789") != strlen(port) || atoi(port) > 65535)
		goto bad;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc || !res)
		goto bad;
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*len = (unsigned)res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
bad:
	return err_setr(e, ERR_USAGE, REASON_INVALID,
			"--listen '%s' is not ADDR:PORT (an IP address and a port, such as "
			"127.0.0.1:8086 or [::1]:8086)",
			listen);
}

static bool is_loopback(const struct sockaddr *sa)
{
	if (!sa)
		return false;
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

bool serve_needs_token(const struct sockaddr *client, bool public_read, const char *path)
{
	if (public_read || !strcmp(path, "/healthz") || !strcmp(path, "/readyz") ||
	    serve_web_public(path))
		return false;
	return !is_loopback(client);
}

/* ---- the plan: hash, load, audit ---------------------------------------------- */

struct plan_file {
	char hash[65];
	struct timespec mtime;
	off_t size;
	ino_t ino;
};

static int hash_file(const char *path, struct plan_file *f)
{
	static const char hex[] = "0123456789abcdef";
	struct strbuf sb = STRBUF_INIT;
	unsigned char sum[32];
	unsigned int n = 0;
	struct stat st;

	if (stat(path, &st) < 0 || strbuf_read_file(&sb, path, 0) < 0) {
		strbuf_release(&sb);
		return -1;
	}
	f->mtime = st.st_mtim;
	f->size = st.st_size;
	f->ino = st.st_ino;
	if (EVP_Digest(sb.buf ? sb.buf : "", sb.len, sum, &n, EVP_sha256(), NULL) != 1) {
		strbuf_release(&sb);
		return -1;
	}
	strbuf_release(&sb);
	for (int i = 0; i < 32; i++) {
		f->hash[2 * i] = hex[sum[i] >> 4];
		f->hash[2 * i + 1] = hex[sum[i] & 15];
	}
	f->hash[64] = '\0';
	return 0;
}

/* Has the file changed since f was taken (by its stat)? */
static bool file_changed(const char *path, const struct plan_file *f)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return false; /* gone for a moment (an editor's rename): keep serving */
	return st.st_size != f->size || st.st_ino != f->ino ||
	       st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec;
}

/* `plan.loaded` with the plan's hash, through a writer on the store. */
static void audit_loaded(struct serve *s, const char *hash)
{
	struct store *w = NULL;
	struct err e;
	int64_t now;

	err_init(&e);
	if (util_now(&now, &e) < 0 || store_open_writer(s->store, &w, &e) < 0)
		goto fail;
	store_set_auth(w, s->o->auth);
	if (store_begin_change(w, now, "tollgate", "plan.loaded", s->plan->id, NULL, &e) < 0)
		goto fail;
	store_change_detail(w, "sha256 %s of %s", hash, s->o->plan_path);
	if (store_commit_change(w, NULL, &e) < 0)
		goto fail;
	store_close(w);
	return;
fail:
	if (w)
		store_close(w);
	fprintf(stderr, "tollgate: warning: the plan's load was not audited: %s\n", e.msg);
}

static void print_diags(const struct plan_diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct plan_diag *g = &d->v[i];
		if (g->kind != DIAG_ERROR)
			continue;
		if (g->line > 0)
			fprintf(stderr, "%s:%d:%d: error: %s\n", d->file, g->line, g->col, g->msg);
		else
			fprintf(stderr, "%s: error: %s\n", d->file, g->msg);
	}
}

/*
 * Load the plan file again and serve it when it is valid and the store opens
 * with it; otherwise keep the plan served and say why (file:line:col).
 * `forced` (SIGHUP) reloads an unchanged file too.
 */
static void reload(struct serve *s, struct plan_file *pf, bool forced)
{
	struct plan_file now_file;
	struct plan_diags diags;
	struct plan *np, *old_plan;
	struct store *ns = NULL, *old_store;
	struct store_open_opts so = { 0 };
	const char *pinned = getenv("TOLLGATE_NOW");
	struct err e;

	err_init(&e);
	if (hash_file(s->o->plan_path, &now_file) < 0) {
		fprintf(stderr, "tollgate: plan '%s' not reloaded: cannot read it: %s\n",
			s->o->plan_path, strerror(errno));
		return;
	}
	if (!forced && !strcmp(now_file.hash, pf->hash)) {
		*pf = now_file;
		return;
	}
	*pf = now_file;
	plan_diags_init(&diags, s->o->plan_path);
	np = plan_load(s->o->plan_path, &diags);
	if (!np) {
		plan_diags_sort(&diags);
		print_diags(&diags);
		fprintf(stderr,
			"tollgate: %s: %zu error%s; plan not reloaded: still serving the plan "
			"loaded before (sha256 %.12s)\n",
			s->o->plan_path, diags.nerrors, diags.nerrors == 1 ? "" : "s", s->plan_hash);
		pthread_mutex_lock(&s->lock);
		free(s->plan_error);
		s->plan_error = xasprintf("%s: %zu error%s; serving the plan loaded before",
					  s->o->plan_path, diags.nerrors,
					  diags.nerrors == 1 ? "" : "s");
		pthread_mutex_unlock(&s->lock);
		plan_diags_release(&diags);
		return;
	}
	plan_diags_release(&diags);
	so.read_only = true;
	so.rehearsal = pinned && *pinned;
	if (store_open_with(&ns, np, s->o->db_url, &so, &e) < 0) {
		fprintf(stderr, "tollgate: plan not reloaded: %s\n", e.msg);
		plan_free(np);
		return;
	}
	notify_install(ns, np);
	pthread_mutex_lock(&s->lock);
	old_plan = s->plan;
	old_store = s->store;
	s->plan = np;
	s->store = ns;
	memcpy(s->plan_hash, now_file.hash, sizeof(s->plan_hash));
	free(s->plan_error);
	s->plan_error = NULL;
	serve_cache_clear(s);
	serve_writer_close(s); /* bound to the old plan */
	/* the store is the request thread's too: audit before letting it go */
	audit_loaded(s, s->plan_hash);
	pthread_mutex_unlock(&s->lock);
	store_close(old_store);
	/* a promotion run started under the old plan keeps it until it ends */
	if (serve_plan_retire(s->runs, old_plan))
		plan_free(old_plan);
	fprintf(stderr, "tollgate: plan '%s' reloaded (sha256 %.12s)\n", s->o->plan_path,
		s->plan_hash);
}

/* ---- requests ------------------------------------------------------------------ */

struct conn_req {
	size_t body; /* bytes of the body seen */
	struct strbuf buf; /* the body, for a write (up to SERVE_BODY_MAX) */
	bool replied;
};

static const char *get_arg(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static const char *get_header(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

/* libmicrohttpd is done sending a cached answer */
static void blob_done(void *cls)
{
	serve_blob_unref(cls);
}

static enum MHD_Result send_reply(struct serve *s, struct MHD_Connection *c,
				  struct serve_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->stream)
		return serve_events_queue(c, r->stream);
	if (r->blob) {
		/* the cached copy itself; libmicrohttpd drops the reference */
		struct serve_blob *b = r->blob;
		r->blob = NULL;
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			b->len, b->data, blob_done, b);
		if (!resp)
			serve_blob_unref(b);
	} else {
		resp = MHD_create_response_from_buffer(r->body.len,
						       r->body.buf ? r->body.buf : (char *)"",
						       MHD_RESPMEM_MUST_COPY);
	}
	if (!resp)
		return MHD_NO;
	if (r->content_type && r->status != 304)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	if (r->etag[0]) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	}
	if (r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->page) {
		/* the dashboard: its own scripts and styles only, never framed */
		MHD_add_response_header(resp, "Content-Security-Policy",
					"default-src 'self'; img-src 'self' data:; object-src 'none'; "
					"base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
		MHD_add_response_header(resp, "Referrer-Policy", "same-origin");
	}
	if (r->unauthorized)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"tollgate\"");
	if (r->retry_after > 0) {
		char ra[24];
		snprintf(ra, sizeof(ra), "%lld", (long long)r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	if (r->location)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	if (s->draining)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	ret = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result reply_too_large(struct serve *s, struct MHD_Connection *c,
				       struct conn_req *cr)
{
	struct serve_reply r = { .body = STRBUF_INIT };
	enum MHD_Result ret;
	serve_reply_errorf(&r, 413, "too_large", "the request body is over %d bytes",
			   SERVE_BODY_MAX);
	pthread_mutex_lock(&s->lock);
	serve_metrics_count(s, "unmatched", 413);
	pthread_mutex_unlock(&s->lock);
	cr->replied = true;
	ret = send_reply(s, c, &r);
	strbuf_release(&r.body);
	serve_blob_unref(r.blob);
	return ret;
}

/* The client's address as text ("127.0.0.1", "::1"), for the throttle. */
static void client_text(const struct sockaddr *sa, char *buf, size_t len)
{
	socklen_t sl = sa && sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						       : sizeof(struct sockaddr_in);
	if (!sa || getnameinfo(sa, sl, buf, (socklen_t)len, NULL, 0, NI_NUMERICHOST))
		snprintf(buf, len, "unknown");
}

/* Is this write from the page itself? Its Origin must be this server's
 * (scheme and Host), and for a session its CSRF token must match. */
static bool same_origin(struct serve *s, struct MHD_Connection *c)
{
	const char *origin = get_header(c, "Origin"), *host = get_header(c, MHD_HTTP_HEADER_HOST);
	const char *scheme = s->o->tls_cert ? "https://" : "http://";
	size_t n = strlen(scheme);
	return origin && host && !strncmp(origin, scheme, n) && !strcmp(origin + n, host);
}

/*
 * Who sends this request? Writes always need a valid token or a signed-in
 * session; reads from a non-loopback address too, unless --public-read.
 * A request that brings a token has it checked even where none is needed
 * (a bad one is refused, never ignored). A session's write must come from
 * the page (Origin) with its CSRF token (X-CSRF-Token), else 403. An
 * address that fails too often is refused for a while (429, Retry-After)
 * before its token is looked at. Signing in (POST /api/v1/session) checks
 * its own token. true: go on (rq->person and rq->token_id set when someone
 * authenticated, owned by *person and *token); false: r is the refusal.
 */
static bool authorized(struct serve *s, struct MHD_Connection *c, struct serve_request *rq,
		       char **person, char **token, struct serve_reply *r)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	const char *header = get_header(c, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *cookie = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SERVE_SESSION_COOKIE);
	bool sign_in = !strcmp(rq->path, "/api/v1/session") && !strcmp(rq->method, "POST");
	int64_t retry = 0;
	struct err e;
	bool needed;

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	client_text(sa, rq->client, sizeof(rq->client));
	if (sign_in) {
		if (get_header(c, "Origin") && !same_origin(s, c)) {
			serve_reply_errorf(r, 403, "forbidden",
					   "signing in from another site (Origin '%s') is refused",
					   get_header(c, "Origin"));
			return false;
		}
		return true; /* the handler checks the token in the body */
	}
	needed = serve_is_write(rq->method) || serve_needs_token(sa, s->o->public_read, rq->path);
	if (!needed && !header && !cookie)
		return true;
	if (!auth_throttle_allow(s->throttle, rq->client, rq->now, &retry)) {
		serve_reply_errorf(r, 429, "too_many_requests",
				   "too many failed authentications from %s: try again in %lld s",
				   rq->client, (long long)retry);
		r->retry_after = retry;
		return false;
	}
	err_init(&e);
	if (!header && cookie) {
		if (session_verify(s->store, s->plan, cookie, rq->now, person, token,
				   &rq->session_expires, rq->csrf, &e) == 0) {
			rq->person = *person;
			rq->token_id = *token;
			rq->session = cookie;
			if (!serve_is_write(rq->method))
				return true;
			if (!same_origin(s, c)) {
				serve_reply_errorf(r, 403, "forbidden",
						   "a write of a signed-in session must come from this "
						   "server's page (Origin %s)",
						   get_header(c, "Origin") ? "differs" : "missing");
				return false;
			}
			if (!session_csrf_ok(get_header(c, SERVE_CSRF_HEADER), rq->csrf)) {
				serve_reply_errorf(r, 403, "forbidden",
						   "a write of a signed-in session needs its CSRF token in "
						   "%s",
						   SERVE_CSRF_HEADER);
				return false;
			}
			return true;
		}
		if (e.reason == REASON_IO) {
			serve_reply_error(r, &e);
			return false;
		}
		auth_throttle_fail(s->throttle, rq->client, rq->now);
		snprintf(rq->session_error, sizeof(rq->session_error), "%.255s", e.msg);
		if (!needed)
			return true; /* a stale cookie does not stop an open read */
		serve_reply_errorf(r, 401, "unauthorized", "%s", e.msg);
		r->unauthorized = true;
		return false;
	}
	if (serve_auth_bearer(s->store, s->plan, header, rq->now, person, token, &e) == 0) {
		auth_throttle_success(s->throttle, rq->client);
		rq->person = *person;
		rq->token_id = *token;
		return true;
	}
	if (e.reason == REASON_IO) {
		serve_reply_error(r, &e);
		return false;
	}
	/* no header at all is no guess: it does not count against the address */
	if (header)
		auth_throttle_fail(s->throttle, rq->client, rq->now);
	serve_reply_errorf(r, 401, "unauthorized", "%s", e.msg);
	r->unauthorized = true;
	return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct serve *s = cls;
	struct conn_req *cr = *con_cls;
	struct serve_request rq = { 0 };
	struct serve_reply r = { .body = STRBUF_INIT };
	const char *route = "unmatched";
	char *person = NULL, *token = NULL;
	enum MHD_Result ret;
	struct err e;

	(void)version;
	if (!cr) {
		const char *cl = get_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
		cr = xcalloc(1, sizeof(*cr));
		*con_cls = cr;
		/* refused before a byte of it is read */
		if (cl && (strlen(cl) > 9 || strtoull(cl, NULL, 10) > SERVE_BODY_MAX))
			return reply_too_large(s, c, cr);
		return MHD_YES;
	}
	if (cr->replied) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* a write's body is kept; a read's is only counted */
		cr->body += *upload_data_size;
		if (cr->body <= SERVE_BODY_MAX && serve_is_write(method))
			strbuf_add(&cr->buf, upload_data, *upload_data_size);
		*upload_data_size = 0;
		/* a body without a length (chunked) that passes the limit: MHD
		 * cannot answer before the upload ends, so the connection closes */
		if (cr->body > SERVE_BODY_MAX) {
			pthread_mutex_lock(&s->lock);
			serve_metrics_count(s, "unmatched", 413);
			pthread_mutex_unlock(&s->lock);
			return MHD_NO;
		}
		return MHD_YES;
	}
	cr->replied = true;
	rq.method = method;
	rq.path = url;
	rq.arg = get_arg;
	rq.header = get_header;
	rq.conn = c;
	rq.tls = s->o->tls_cert != NULL;
	rq.body = cr->buf.len ? cr->buf.buf : NULL;
	rq.body_len = cr->buf.len;
	err_init(&e);
	if (util_now(&rq.now, &e) < 0) {
		serve_reply_error(&r, &e);
	} else {
		pthread_mutex_lock(&s->lock);
		if (!serve_route_exists(&rq) || authorized(s, c, &rq, &person, &token, &r))
			route = serve_dispatch(s, &rq, &r);
		serve_metrics_count(s, route, r.status);
		pthread_mutex_unlock(&s->lock);
		/* a write that succeeded may have left messages in the outbox */
		if (strcmp(method, "GET") && strcmp(method, "HEAD") && r.status < 300)
			serve_notify_wake(s);
	}
	free(person);
	free(token);
	ret = send_reply(s, c, &r);
	strbuf_release(&r.body);
	serve_blob_unref(r.blob);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (*con_cls)
		strbuf_release(&((struct conn_req *)*con_cls)->buf);
	free(*con_cls);
	*con_cls = NULL;
}

static void on_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("tollgate: serve: ", stderr);
	vfprintf(stderr, fmt, ap);
	if (!*fmt || fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

/* ---- the daemon ----------------------------------------------------------------- */

static int read_pem(const char *what, const char *path, struct strbuf *out, struct err *e)
{
	if (strbuf_read_file(out, path, 1024 * 1024) < 0)
		return err_setr(e, ERR_USAGE, REASON_INVALID, "cannot read %s '%s': %s", what, path,
				strerror(errno));
	if (!out->len || !strstr(out->buf, "-----BEGIN "))
		return err_setr(e, ERR_USAGE, REASON_INVALID, "%s '%s' is not a PEM file", what,
				path);
	return 0;
}

static unsigned connections(struct MHD_Daemon *d)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
	return i ? i->num_connections : 0;
}

int serve_run(const struct serve_opts *o, struct plan *plan, struct store *store, struct err *e)
{
	struct serve s;
	struct sockaddr_storage addr;
	unsigned addrlen = 0;
	struct strbuf cert = STRBUF_INIT, key = STRBUF_INIT;
	struct MHD_OptionItem opts[12];
	struct MHD_Daemon *d = NULL;
	struct plan_file pf;
	unsigned flags;
	sigset_t set;
	size_t n = 0;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	if (serve_mhd_load(e) < 0) {
		store_close(store);
		plan_free(plan);
		return -1;
	}
	s.o = o;
	s.plan = plan;
	s.store = store;
	pthread_mutex_init(&s.lock, NULL);
	s.throttle = xcalloc(1, sizeof(*s.throttle));
	s.runs = serve_runs_new();
	auth_throttle_init(s.throttle, 0, 0, 0, 0);
	if (serve_parse_listen(o->listen, &addr, &addrlen, e) < 0)
		goto out;
	if (o->tls_cert) {
		if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
			err_setr(e, ERR_FAILED, REASON_FAILED,
				 "this libmicrohttpd was built without TLS: serve without "
				 "--tls-cert, behind a proxy that terminates TLS");
			goto out;
		}
		if (read_pem("--tls-cert", o->tls_cert, &cert, e) < 0 ||
		    read_pem("--tls-key", o->tls_key, &key, e) < 0)
			goto out;
	}
	if (hash_file(o->plan_path, &pf) < 0) {
		err_setr(e, ERR_FAILED, REASON_IO, "cannot read the plan '%s': %s", o->plan_path,
			 strerror(errno));
		goto out;
	}
	memcpy(s.plan_hash, pf.hash, sizeof(s.plan_hash));
	serve_raise_nofile();

	/* the signals are the main thread's: the server's threads inherit the mask */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (serve_events_start(&s, e) < 0)
		goto out_mask;
	/* the logger first, so that MHD never prints on its own */
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_log, &s };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &addr };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
					     SERVE_HEADER_MEMORY, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, o->timeout, NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, o->max_connections,
					     NULL };
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed,
					     &s };
	if (o->tls_cert) {
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, cert.buf };
		opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, key.buf };
	}
	opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (o->tls_cert)
		flags |= MHD_USE_TLS;
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &s, MHD_OPTION_ARRAY, opts,
			     MHD_OPTION_END);
	if (!d) {
		err_setr(e, ERR_FAILED, REASON_IO,
			 "cannot listen on %s: the address is taken or not this machine's%s",
			 o->listen, o->tls_cert ? ", or the TLS key and certificate do not match" : "");
		goto out_mask;
	}
	pthread_mutex_lock(&s.lock);
	audit_loaded(&s, s.plan_hash);
	pthread_mutex_unlock(&s.lock);
	if (serve_soak_start(&s, e) < 0 || serve_notify_start(&s, e) < 0) {
		serve_events_stop(&s); /* no connection may stay suspended */
		MHD_stop_daemon(d);
		goto out_mask;
	}
	/* said once the load is audited and the loops run: a client (or a
	 * test) that waits for this line sees the server as it will stay */
	fprintf(stderr, "tollgate: serving %s://%s/api/v1 (plan '%s', sha256 %.12s)\n",
		o->tls_cert ? "https" : "http", o->listen, plan->id, s.plan_hash);

	for (;;) {
		struct timespec ts = { 1, 0 };
		int sig = sigtimedwait(&set, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP)
			reload(&s, &pf, true);
		else if (sig < 0 && file_changed(o->plan_path, &pf))
			reload(&s, &pf, false);
	}

	/* drain: no new connections; what is in flight gets DRAIN_SECONDS */
	pthread_mutex_lock(&s.lock);
	s.draining = true;
	pthread_mutex_unlock(&s.lock);
	/* the soak loop stops between pairs; promotion runs let their running
	 * steps finish (a second signal or the drain timeout stops them) */
	serve_soak_stop(&s);
	serve_runs_drain(&s, &set, o->drain_timeout ? o->drain_timeout : SERVE_DRAIN_DEFAULT);
	/* after the runs: what they wrote last is sent now if it can be */
	serve_notify_stop(&s);
	/* event streams end now (clients saw the runs' last entries), not
	 * after the connections' drain time */
	serve_events_stop(&s);
	{
		MHD_socket fd = MHD_quiesce_daemon(d);
		struct timespec tick = { 0, 50 * 1000 * 1000 };
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
		for (int i = 0; i < DRAIN_SECONDS * 20 && connections(d) > 0; i++)
			nanosleep(&tick, NULL);
	}
	MHD_stop_daemon(d);
	serve_events_free(&s);
	fprintf(stderr, "tollgate: serve stopped\n");
	rc = 0;
out_mask:
	/* the signals stay blocked: a second SIGTERM while the process ends
	 * must not kill it with another status */
out:
	serve_events_free(&s);
	serve_soak_stop(&s);
	serve_notify_stop(&s);
	serve_runs_free(s.runs);
	serve_cache_release(&s);
	serve_writer_close(&s);
	auth_throttle_release(s.throttle);
	free(s.throttle);
	free(s.plan_error);
	store_close(s.store);
	plan_free(s.plan);
	pthread_mutex_destroy(&s.lock);
	strbuf_release(&cert);
	strbuf_release(&key);
	return rc;
}
