/*
 * fuzz-serve.c - libFuzzer target for the requests `tollgate serve` routes:
 * the input is "METHOD PATH[?QUERY]", then after a newline an If-None-Match
 * value, then after a second newline the request body. It goes through
 * serve_dispatch() against a small plan and a throwaway SQLite store, a
 * write as a person of the plan with a token (as serve.c hands it over once
 * the token is checked), so the write endpoints' bodies reach their checks
 * and, when good, the engine. Every answer must have a known status, an
 * error must be {"error": {"code", "message"}}, a JSON answer must parse,
 * and a refused request must have written nothing (the audit's head).
 */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plan/plan.h"
#include "serve/serve-internal.h"
#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char plan_text[] =
	"version: 1\n"
	"plan: {id: fuzz, title: Fuzz}\n"
	"environments: [{name: dev}, {name: sit}]\n"
	"waves: [{id: w1, title: One}]\n"
	"people:\n"
	"  - {id: ann, roles: [lead, qa]}\n"
	"  - {id: bob, roles: [dev]}\n"
	"projects:\n"
	"  - {id: api, wave: w1, deploy: 'true'}\n"
	"  - {id: db, wave: w1, deploy: 'true', depends_on: [api]}\n"
	"gates:\n"
	"  - {id: g1, approvers: [lead, dev], before: {env: sit}}\n"
	"checklist:\n"
	"  - {id: smoke, text: Smoke, by: [qa]}\n"
	"  - {id: docs, text: Docs}\n"
	"blockers:\n"
	"  - {id: net, text: Net, progress: 10, blocks: {env: sit}}\n";

static struct serve_opts opts;
static struct serve srv;

#define NARGS 8
struct fuzz_req {
	char *names[NARGS], *values[NARGS];
	size_t n;
	const char *inm;
};

static const char *fuzz_arg(void *conn, const char *name)
{
	struct fuzz_req *q = conn;
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->names[i], name))
			return q->values[i];
	return NULL;
}

/* the audit's head: a refused request must leave it */
static int64_t audit_head(void)
{
	int64_t seq = -1;
	char hash[65];
	struct err e;
	err_init(&e);
	if (store_log_head(srv.store, &seq, hash, &e) < 0)
		__builtin_trap();
	return seq;
}

static const char *fuzz_header(void *conn, const char *name)
{
	struct fuzz_req *q = conn;
	return !strcmp(name, "If-None-Match") ? q->inm : NULL;
}

static char dir[] = "/tmp/fuzz-serve.XXXXXX";

/* the store's folder goes when the run ends */
static void teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	serve_writer_close(&srv);
	store_close(srv.store);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz-serve: could not remove %s\n", dir);
	free(cmd);
}

static void setup(void)
{
	struct plan_diags d;
	struct store_open_opts so = { 0 };
	char *url;
	struct err e;

	plan_diags_init(&d, "fuzz.yaml");
	srv.plan = plan_load_buffer("fuzz.yaml", plan_text, sizeof(plan_text) - 1, &d);
	plan_diags_release(&d);
	if (!srv.plan || !mkdtemp(dir))
		__builtin_trap();
	url = xasprintf("sqlite:%s/state.db", dir);
	err_init(&e);
	if (store_open_with(&srv.store, srv.plan, url, &so, &e) < 0)
		__builtin_trap();
	free(url);
	atexit(teardown);
	opts.listen = "127.0.0.1:0";
	srv.o = &opts;
	memset(srv.plan_hash, '0', 64);
	pthread_mutex_init(&srv.lock, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1), *sp, *path, *query, *nl, *body = NULL;
	int64_t head;
	struct serve_request rq = { 0 };
	struct serve_reply r = { .body = STRBUF_INIT };
	struct fuzz_req q = { 0 };
	json_t *j;

	/* the body may hold NULs: the whole input, NUL-terminated */
	memcpy(text, data, size);
	text[size] = '\0';
	if (!srv.plan)
		setup();
	nl = strchr(text, '\n');
	if (nl) {
		*nl = '\0';
		q.inm = nl + 1;
		body = strchr(nl + 1, '\n');
		if (body)
			*body++ = '\0';
	}
	sp = strchr(text, ' ');
	if (!sp)
		goto out;
	*sp = '\0';
	path = sp + 1;
	query = strchr(path, '?');
	if (query) {
		char *save = NULL;
		*query++ = '\0';
		for (char *kv = strtok_r(query, "&", &save); kv && q.n < NARGS;
		     kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');
			q.names[q.n] = kv;
			q.values[q.n] = eq ? (*eq = '\0', eq + 1) : (char *)"";
			q.n++;
		}
	}
	rq.method = text;
	rq.path = path;
	rq.arg = fuzz_arg;
	rq.header = fuzz_header;
	rq.conn = &q;
	rq.now = 1768035600;
	if (body) {
		rq.body = body;
		rq.body_len = size - (size_t)(body - text);
	}
	if (serve_is_write(rq.method)) {
		/* ann leads and tests, bob develops: writes as either */
		rq.person = rq.body_len & 1 ? "bob" : "ann";
		rq.token_id = "fuzztoken0";
	}
	head = audit_head();
	serve_dispatch(&srv, &rq, &r);
	if (r.status != 200 && r.status != 201 && r.status != 304 && r.status != 400 &&
	    r.status != 403 && r.status != 404 && r.status != 405 && r.status != 409 &&
	    r.status != 500 && r.status != 503)
		__builtin_trap();
	if (r.status >= 400 && audit_head() != head)
		__builtin_trap();
	if (r.status == 201 && (!r.location || strncmp(r.location, "/api/v1/", 8)))
		__builtin_trap();
	if (r.status != 304 && r.content_type && !strcmp(r.content_type, "application/json")) {
		j = r.blob ? json_loadb(r.blob->data, r.blob->len, 0, NULL)
			   : json_loadb(r.body.buf ? r.body.buf : "", r.body.len, 0, NULL);
		if (!j)
			__builtin_trap();
		if (r.status >= 400) {
			json_t *err = json_object_get(j, "error");
			if (!json_is_string(json_object_get(err, "code")) ||
			    !json_is_string(json_object_get(err, "message")))
				__builtin_trap();
		}
		json_decref(j);
	}
out:
	strbuf_release(&r.body);
	serve_blob_unref(r.blob);
	free(text);
	return 0;
}
