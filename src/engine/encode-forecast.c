/*
 * encode-forecast.c - the forecast's JSON (encode_forecast, encode.h): what
 * `forecast --json` prints and GET /api/v1/forecast answers, the same
 * bytes.
 */
#include "engine/encode.h"

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
