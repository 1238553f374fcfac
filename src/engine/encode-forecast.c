/*
 * encode-forecast.c - the forecast's JSON (encode_forecast, encode.h): what
 * `forecast --json` prints and GET /api/v1/forecast answers, the same
 * bytes.
 */
#include "engine/encode.h"

#include <stdlib.h>

#include "engine/forecast.h"
#include "plan/plan.h"

static void set(json_t *o, const char *key, json_t *v)
{
	json_object_set_new_nocheck(o, key, v ? v : json_null());
}

static json_t *target_json(const struct plan *p, const struct forecast_target *t)
{
	json_t *o = json_object();
	set(o, "project", encode_string(p->projects[t->project].id));
	set(o, "env", encode_string(p->envs[t->env].name));
	set(o, "target", encode_date(t->target));
	return o;
}

json_t *encode_forecast_cell(const struct plan *p, const struct forecast_cell *c)
{
	json_t *o = json_object(), *because = json_array();
	set(o, "project", encode_string(p->projects[c->project].id));
	set(o, "env", encode_string(p->envs[c->env].name));
	set(o, "wave", encode_string(p->waves[p->projects[c->project].wave].id));
	set(o, "state", encode_string(store_state_name(c->state)));
	set(o, "target", encode_date(c->target));
	set(o, "earliest_start", encode_time(c->start));
	set(o, "earliest_healthy", encode_time(c->healthy));
	set(o, "slack_days", c->has_slack ? json_integer(c->slack_days) : json_null());
	set(o, "at_risk", json_boolean(c->at_risk));
	set(o, "conditional", json_boolean(c->conditional));
	for (size_t i = 0; i < c->nbecause; i++)
		json_array_append_new(because, encode_string(c->because[i]));
	set(o, "because", because);
	return o;
}

json_t *encode_forecast(const struct forecast *f)
{
	const struct plan *p = f->plan;
	json_t *o = json_object(), *cells = json_array(), *dl = json_array();

	set(o, "plan", encode_string(p->id));
	set(o, "now", encode_time(f->now));
	for (size_t i = 0; i < f->ncells; i++)
		json_array_append_new(cells, encode_forecast_cell(p, &f->cells[i]));
	set(o, "cells", cells);
	for (size_t i = 0; i < f->ndeadlines; i++) {
		const struct forecast_deadline *d = &f->deadlines[i];
		json_t *x = json_object(), *fo = json_array();
		const char *id = d->kind == FORECAST_GATE   ? p->gates[d->id].id
				 : d->kind == FORECAST_ITEM ? p->items[d->id].id
							    : p->blockers[d->id].id;
		set(x, "kind", encode_string(forecast_kind_name(d->kind)));
		set(x, "id", encode_string(id));
		set(x, "by", encode_time(d->by));
		set(x, "late", json_boolean(d->by && d->by < f->now));
		for (size_t k = 0; k < d->nfor; k++)
			json_array_append_new(fo, target_json(p, &d->for_[k]));
		set(x, "for", fo);
		json_array_append_new(dl, x);
	}
	set(o, "deadlines", dl);
	return o;
}

/* ---- the same as text, written straight (a forecast of 10,000 projects is
 * tens of thousands of objects: a jansson tree of them costs more than the
 * forecast) ---- */

static void add_key(struct strbuf *out, const char *key)
{
	strbuf_addstr(out, ", \"");
	strbuf_addstr(out, key);
	strbuf_addstr(out, "\": ");
}

static void add_field(struct strbuf *out, const char *key, const char *s)
{
	add_key(out, key);
	encode_add_string(out, s);
}

static void add_time(struct strbuf *out, const char *key, int64_t t, bool date)
{
	char buf[32];
	if (!t)
		add_field(out, key, NULL);
	else
		add_field(out, key, date ? util_fmt_date(t, buf, sizeof(buf))
					 : util_fmt_time(t, buf, sizeof(buf)));
}

static void add_bool(struct strbuf *out, const char *key, bool v)
{
	add_key(out, key);
	strbuf_addstr(out, v ? "true" : "false");
}

void encode_forecast_text(const struct forecast *f, struct strbuf *out)
{
	const struct plan *p = f->plan;
	char buf[32];

	strbuf_addstr(out, "{\n  \"plan\": ");
	encode_add_string(out, p->id);
	strbuf_addstr(out, ",\n  \"now\": ");
	encode_add_string(out, f->now ? util_fmt_time(f->now, buf, sizeof(buf)) : NULL);
	if (f->rehearsal)
		strbuf_addstr(out, ",\n  \"rehearsal\": true");
	strbuf_addstr(out, ",\n  \"cells\": [");
	for (size_t i = 0; i < f->ncells; i++) {
		const struct forecast_cell *c = &f->cells[i];
		strbuf_addstr(out, i ? ",\n    {\"project\": " : "\n    {\"project\": ");
		encode_add_string(out, p->projects[c->project].id);
		add_field(out, "env", p->envs[c->env].name);
		add_field(out, "wave", p->waves[p->projects[c->project].wave].id);
		add_field(out, "state", store_state_name(c->state));
		add_time(out, "target", c->target, true);
		add_time(out, "earliest_start", c->start, false);
		add_time(out, "earliest_healthy", c->healthy, false);
		add_key(out, "slack_days");
		if (c->has_slack)
			strbuf_addf(out, "%lld", (long long)c->slack_days);
		else
			strbuf_addstr(out, "null");
		add_bool(out, "at_risk", c->at_risk);
		add_bool(out, "conditional", c->conditional);
		add_key(out, "because");
		strbuf_addch(out, '[');
		for (size_t k = 0; k < c->nbecause; k++) {
			if (k)
				strbuf_addstr(out, ", ");
			encode_add_string(out, c->because[k]);
		}
		strbuf_addstr(out, "]}");
	}
	strbuf_addstr(out, f->ncells ? "\n  ],\n  \"deadlines\": [" : "],\n  \"deadlines\": [");
	for (size_t i = 0; i < f->ndeadlines; i++) {
		const struct forecast_deadline *d = &f->deadlines[i];
		const char *id = d->kind == FORECAST_GATE   ? p->gates[d->id].id
				 : d->kind == FORECAST_ITEM ? p->items[d->id].id
							    : p->blockers[d->id].id;
		strbuf_addstr(out, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
		encode_add_string(out, forecast_kind_name(d->kind));
		add_field(out, "id", id);
		add_time(out, "by", d->by, false);
		add_bool(out, "late", d->by && d->by < f->now);
		add_key(out, "for");
		strbuf_addch(out, '[');
		for (size_t k = 0; k < d->nfor; k++) {
			const struct forecast_target *t = &d->for_[k];
			strbuf_addstr(out, k ? ", {\"project\": " : "{\"project\": ");
			encode_add_string(out, p->projects[t->project].id);
			add_field(out, "env", p->envs[t->env].name);
			add_time(out, "target", t->target, true);
			strbuf_addch(out, '}');
		}
		strbuf_addstr(out, "]}");
	}
	strbuf_addstr(out, f->ndeadlines ? "\n  ]\n}\n" : "]\n}\n");
}
