/*
 * cmd-serve.c - `tollgate serve [--listen ADDR:PORT] [--tls-cert FILE
 * --tls-key FILE] [--public-read]`: parses the options and hands the plan
 * and the store to the server (serve/serve.h), which runs until SIGTERM.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "serve/serve.h"

static int positive(const char *opt, const char *v, unsigned max, unsigned *out)
{
	char *end;
	unsigned long x;
	if (!v)
		return 0;
	x = strtoul(v, &end, 10);
	if (end == v || *end || x < 1 || x > max || *v == '-')
		return cmd_error(EXIT_USAGE, "--%s '%s' is not a number from 1 to %u", opt, v, max);
	*out = (unsigned)x;
	return 0;
}

static int serve_exec(struct app *app, struct cmd_args *args)
{
	struct serve_opts o = { 0 };
	struct err e;
	int rc;

	o.listen = cmd_opt(args, "listen") ? cmd_opt(args, "listen") : SERVE_LISTEN_DEFAULT;
	o.tls_cert = cmd_opt(args, "tls-cert");
	o.tls_key = cmd_opt(args, "tls-key");
	o.public_read = cmd_flag(args, "public-read");
	o.timeout = SERVE_TIMEOUT_DEFAULT;
	o.max_connections = SERVE_CONNECTIONS_DEFAULT;
	o.heartbeat = SERVE_HEARTBEAT_DEFAULT;
	o.drain_timeout = SERVE_DRAIN_DEFAULT;
	o.plan_path = app->plan_path;
	o.db_url = app->db_url;
	o.auth = app->auth;
	if (!o.tls_cert != !o.tls_key)
		return cmd_error(EXIT_USAGE, "--tls-cert and --tls-key go together: give both");
	if ((rc = positive("timeout", cmd_opt(args, "timeout"), 3600, &o.timeout)) ||
	    (rc = positive("max-connections", cmd_opt(args, "max-connections"), 100000,
			   &o.max_connections)) ||
	    (rc = positive("heartbeat", cmd_opt(args, "heartbeat"), 3600, &o.heartbeat)) ||
	    (rc = positive("drain-timeout", cmd_opt(args, "drain-timeout"), 86400,
			   &o.drain_timeout)))
		return rc;
	err_init(&e);
	/* the server owns the plan and the store from here, also on failure */
	rc = serve_run(&o, app->plan, app->store, &e);
	app->plan = NULL;
	app->store = NULL;
	if (rc < 0)
		return cmd_err(&e);
	return EXIT_OK;
}

static const struct cmd_opt serve_opts[] = {
	{ "listen", 'l', true, false, "ADDR:PORT to listen on (default 127.0.0.1:8086)" },
	{ "tls-cert", 0, true, false, "serve HTTPS with this PEM certificate (with --tls-key)" },
	{ "tls-key", 0, true, false, "the PEM private key of --tls-cert" },
	{ "public-read", 0, false, false, "reads need no token from any address" },
	{ "timeout", 0, true, false, "seconds a connection may be idle (default 30)" },
	{ "max-connections", 0, true, false, "connections at once (default 1024)" },
	{ "heartbeat", 0, true, false,
	  "seconds between heartbeats on an idle event stream (default 15)" },
	{ "drain-timeout", 0, true, false, "seconds running promotion steps get to finish once "
					   "SIGTERM came (default 60)" },
	{ NULL, 0, false, false, NULL },
};

const struct cmd_entry cmd_serve_entry = {
	.name = "serve",
	.usage = "[--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE] [--public-read]",
	.summary = "serves the JSON API (/api/v1), /metrics, /healthz and /readyz over HTTP",
	.help = "Runs until SIGTERM or SIGINT, then lets requests in flight finish and exits 0;\n"
		"the running steps of promotion runs (POST /api/v1/promotions) finish first, as\n"
		"in promote: a second signal, or --drain-timeout, stops them. A background loop\n"
		"finishes soaks and measures triggers on their `every`; with several servers on\n"
		"one store, one of them does it (a lease).\n"
		"SIGHUP, or a change to the plan file, reloads the plan when it is valid; when\n"
		"it is not, the errors go to stderr (FILE:LINE:COL) and the plan loaded before\n"
		"is still served. Each load is audited as plan.loaded with the plan's SHA-256.\n"
		"Reads are open from loopback addresses and need a token from any other one,\n"
		"unless --public-read. Request bodies are limited to 1 MiB (413), headers to\n"
		"32 KiB (431). GET /api/v1/events streams the audit log as Server-Sent Events\n"
		"(Last-Event-ID resumes), with a heartbeat comment on an idle stream every\n"
		"--heartbeat seconds. The endpoints are\n"
		"in serve.md of the documentation (share/doc/tollgate).\n",
	.examples = "tollgate serve\n"
		    "tollgate serve --listen 0.0.0.0:8443 --tls-cert cert.pem --tls-key key.pem\n",
	.opts = serve_opts,
	.min_args = 0,
	.max_args = 0,
	.needs = NEEDS_STORE | READ_ONLY,
	.exec = serve_exec,
};
