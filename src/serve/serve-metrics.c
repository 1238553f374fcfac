/*
 * serve-metrics.c - GET /metrics in the Prometheus text format (0.0.4):
 * the live state as gauges (promotions by environment and state, pending
 * approvals by gate, open incidents by level, open blockers, soaks running),
 * step durations as a histogram by step (from the store's step runs), and
 * the server's own counters (HTTP requests by route and status, event-stream
 * clients), and the notification outbox's messages by channel and state. The state is read through the same board `status` builds.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "engine/query.h"
#include "engine/ready.h"
#include "plan/plan.h"
#include "serve/serve-internal.h"
#include "store/store.h"

static const double buckets[] = { 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600 };

void serve_metrics_count(struct serve *s, const char *route, int status)
{
	for (size_t i = 0; i < s->ncounters; i++)
		if (s->counters[i].route == route && s->counters[i].status == status) {
			s->counters[i].n++;
			return;
		}
	if (s->ncounters < SERVE_COUNTERS_MAX) {
		s->counters[s->ncounters].route = route;
		s->counters[s->ncounters].status = status;
		s->counters[s->ncounters].n = 1;
		s->ncounters++;
	}
}

/* A label value: backslash, quote and newline escaped. */
static void label(struct strbuf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			strbuf_addch(out, '\\');
		if (*v == '\n') {
			strbuf_addstr(out, "\\n");
			continue;
		}
		strbuf_addch(out, *v);
	}
}

static void header(struct strbuf *out, const char *name, const char *type, const char *help)
{
	strbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void state_gauges(struct strbuf *out, const struct status_board *b)
{
	const struct plan *p = b->plan;
	size_t nstates = STATE_INTERRUPTED + 1;
	size_t *count = xcalloc(p->nenvs * nstates, sizeof(*count));
	size_t soaking = 0, levels[4] = { 0 };

	for (size_t i = 0; i < b->ncells; i++) {
		const struct status_cell *c = &b->cells[i];
		count[(size_t)c->env * nstates + c->state]++;
		if (c->state == STATE_SOAKING)
			soaking++;
	}
	header(out, "tollgate_promotions", "gauge", "Projects by environment and state.");
	for (size_t j = 0; j < p->nenvs; j++)
		for (size_t k = 0; k < nstates; k++) {
			strbuf_addstr(out, "tollgate_promotions{env=\"");
			label(out, p->envs[j].name);
			strbuf_addf(out, "\",state=\"%s\"} %zu\n", store_state_name((enum store_state)k),
				    count[j * nstates + k]);
		}
	free(count);

	header(out, "tollgate_pending_approvals", "gauge",
	       "Approver roles of a gate not yet filled (0 once the gate passed).");
	for (size_t g = 0; g < p->ngates; g++) {
		size_t n = p->gates[g].napprovers, done;
		done = b->gates[g] == GATE_PASSED ? n
						 : ready_gate_napproved(p, &b->st, (int)g, -1, b->now);
		strbuf_addstr(out, "tollgate_pending_approvals{gate=\"");
		label(out, p->gates[g].id);
		strbuf_addf(out, "\"} %zu\n", done < n ? n - done : 0);
	}

	for (size_t i = 0; i < b->nincidents; i++) {
		int l = b->incidents[i]->level;
		levels[l >= 1 && l <= 3 ? l : 0]++;
	}
	header(out, "tollgate_open_incidents", "gauge", "Open incidents by level.");
	for (int l = 1; l <= 3; l++)
		strbuf_addf(out, "tollgate_open_incidents{level=\"%d\"} %zu\n", l, levels[l]);
	header(out, "tollgate_open_blockers", "gauge", "Unresolved blockers.");
	strbuf_addf(out, "tollgate_open_blockers %zu\n", b->nblockers);
	header(out, "tollgate_soaks_running", "gauge", "Promotions soaking now.");
	strbuf_addf(out, "tollgate_soaks_running %zu\n", soaking);
}

static const char *const steps[] = { "deploy", "verify", "rollback", "check", "measure" };

static int step_histogram(struct serve *s, struct strbuf *out, struct err *e)
{
	struct store_step_runs runs;
	if (store_list_step_runs(s->store, NULL, NULL, NULL, 0, &runs, e) < 0)
		return -1;
	header(out, "tollgate_step_duration_seconds", "histogram",
	       "How long finished steps ran, by step (from the store's step runs).");
	for (size_t k = 0; k < ARRAY_SIZE(steps); k++) {
		uint64_t cum[ARRAY_SIZE(buckets)] = { 0 }, n = 0;
		double sum = 0;
		for (size_t i = 0; i < runs.n; i++) {
			const struct store_step_run *r = &runs.v[i];
			double secs;
			if (strcmp(r->step, steps[k]) || !r->ended)
				continue;
			secs = r->duration_ms ? (double)r->duration_ms / 1000.0
					      : (double)(r->ended - r->started);
			n++;
			sum += secs;
			for (size_t b = 0; b < ARRAY_SIZE(buckets); b++)
				if (secs <= buckets[b])
					cum[b]++;
		}
		for (size_t b = 0; b < ARRAY_SIZE(buckets); b++)
			strbuf_addf(out, "tollgate_step_duration_seconds_bucket{step=\"%s\",le=\"%g\"} %" PRIu64 "\n",
				    steps[k], buckets[b], cum[b]);
		strbuf_addf(out, "tollgate_step_duration_seconds_bucket{step=\"%s\",le=\"+Inf\"} %" PRIu64 "\n",
			    steps[k], n);
		strbuf_addf(out, "tollgate_step_duration_seconds_sum{step=\"%s\"} %.3f\n", steps[k], sum);
		strbuf_addf(out, "tollgate_step_duration_seconds_count{step=\"%s\"} %" PRIu64 "\n",
			    steps[k], n);
	}
	store_step_runs_release(&runs);
	return 0;
}

static int outbox_gauge(void *ctx, const char *channel, enum store_outbox_state st, int64_t n)
{
	struct strbuf *out = ctx;
	strbuf_addstr(out, "tollgate_notify_messages{channel=\"");
	label(out, channel);
	strbuf_addf(out, "\",state=\"%s\"} %" PRId64 "\n", store_outbox_state_name(st), n);
	return 0;
}

int serve_api_metrics(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		      struct err *e)
{
	struct status_board b;
	if (status_board(&b, s->plan, s->store, rq->now, -1, -1, e) < 0)
		return -1;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	state_gauges(&r->body, &b);
	status_board_release(&b);
	if (step_histogram(s, &r->body, e) < 0)
		return -1;
	header(&r->body, "tollgate_notify_messages", "gauge",
	       "Messages of the notification outbox, by channel and state (pending, sent, dead).");
	if (store_outbox_counts(s->store, outbox_gauge, &r->body, e) < 0)
		return -1;
	header(&r->body, "tollgate_http_requests_total", "counter",
	       "HTTP requests answered, by route and status.");
	for (size_t i = 0; i < s->ncounters; i++) {
		strbuf_addstr(&r->body, "tollgate_http_requests_total{route=\"");
		label(&r->body, s->counters[i].route);
		strbuf_addf(&r->body, "\",status=\"%d\"} %" PRIu64 "\n", s->counters[i].status,
			    s->counters[i].n);
	}
	header(&r->body, "tollgate_event_stream_clients", "gauge",
	       "Clients connected to the event stream.");
	strbuf_addf(&r->body, "tollgate_event_stream_clients %u\n", serve_events_clients(s));
	serve_runs_metrics(s, &r->body);
	serve_soak_metrics(s, &r->body);
	serve_notify_metrics(s, &r->body);
	return 0;
}
