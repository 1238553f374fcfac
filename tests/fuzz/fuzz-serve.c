/*
 * fuzz-serve.c - libFuzzer target for the requests `tollgate serve` routes:
 * the input is "METHOD PATH[?QUERY]" (the rest after a newline is an
 * If-None-Match value). It goes through serve_dispatch() against a small
 * plan and a fresh SQLite store; every answer must have a known status, an
 * error must be {"error": {"code", "message"}}, and a JSON answer must parse.
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
	"projects:\n"
	"  - {id: api, wave: w1, deploy: 'true'}\n"
	"  - {id: db, wave: w1, deploy: 'true', depends_on: [api]}\n";

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
	char *text = xstrndup((const char *)data, size), *sp, *path, *query, *nl;
	struct serve_request rq = { 0 };
	struct serve_reply r = { .body = STRBUF_INIT };
	struct fuzz_req q = { 0 };
	json_t *j;

	if (!srv.plan)
		setup();
	nl = strchr(text, '\n');
	if (nl) {
		*nl = '\0';
		q.inm = nl + 1;
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
	serve_dispatch(&srv, &rq, &r);
	if (r.status != 200 && r.status != 304 && r.status != 400 && r.status != 404 &&
	    r.status != 405 && r.status != 409 && r.status != 500 && r.status != 503)
		__builtin_trap();
	if (r.status != 304 && r.content_type && !strcmp(r.content_type, "application/json")) {
		j = json_loadb(r.body.buf ? r.body.buf : "", r.body.len, 0, NULL);
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
	free(text);
	return 0;
}
