/*
 * encode.c - the JSON encoders (encode.h). Times are RFC 3339 UTC strings,
 * dates YYYY-MM-DD, a missing value is null; field names follow SPEC §5.
 */
#include "engine/encode.h"

#include <stdlib.h>
#include <string.h>

#include "engine/promote.h"
#include "engine/query.h"
#include "plan/plan.h"
#include "store/store.h"

json_t *encode_string(const char *s)
{
	json_t *j;
	char *clean;
	if (!s)
		return json_null();
	j = json_string(s);
	if (j)
		return j;
	clean = xstrdup(s);
	util_scrub(clean, true);
	j = json_string(clean);
	free(clean);
	return j ? j : json_null();
}

static json_t *jstr(const char *s)
{
	return encode_string(s);
}

json_t *encode_time(int64_t t)
{
	char buf[32];
	return t ? json_string(util_fmt_time(t, buf, sizeof(buf))) : json_null();
}

json_t *encode_date(int64_t t)
{
	char buf[32];
	return t ? json_string(util_fmt_date(t, buf, sizeof(buf))) : json_null();
}

static void set(json_t *o, const char *key, json_t *v)
{
	json_object_set_new_nocheck(o, key, v ? v : json_null());
}

/* ---- status ---------------------------------------------------------------- */

static int add_text(const char *buf, size_t size, void *data);
static int line(const json_t *j, struct strbuf *out);

/*
 * A board has tens of thousands of cells, and a jansson tree of them costs
 * several times the rest of `status` (an object, its strings and a dump's
 * bookkeeping per cell). So the cells are written straight into the text, in
 * the layout jansson gives a one-line object; strings go through jansson
 * whenever they hold anything JSON must escape, so there is one escaper.
 */
static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x80 || *s == '"' ||
		    *s == '\\')
			return false;
	return true;
}

void encode_add_string(struct strbuf *out, const char *s)
{
	json_t *j;
	if (!s) {
		strbuf_addstr(out, "null");
		return;
	}
	if (plain(s)) {
		strbuf_addch(out, '"');
		strbuf_addstr(out, s);
		strbuf_addch(out, '"');
		return;
	}
	j = encode_string(s);
	if (line(j, out) < 0)
		strbuf_addstr(out, "null");
	json_decref(j);
}

static void add_field(struct strbuf *out, const char *key, const char *s)
{
	strbuf_addstr(out, ", \"");
	strbuf_addstr(out, key);
	strbuf_addstr(out, "\": ");
	encode_add_string(out, s);
}

/* The last time and date formatted: a board repeats a few of each, and
 * formatting one costs more than the rest of its cell. */
struct time_memo {
	int64_t t[2];
	char text[2][32];
};

static void add_time(struct strbuf *out, struct time_memo *m, const char *key, int64_t t,
		     bool date)
{
	int k = date ? 1 : 0;
	if (!t) {
		add_field(out, key, NULL);
		return;
	}
	if (m->t[k] != t) {
		if (date)
			util_fmt_date(t, m->text[k], sizeof(m->text[k]));
		else
			util_fmt_time(t, m->text[k], sizeof(m->text[k]));
		m->t[k] = t;
	}
	add_field(out, key, m->text[k]);
}

static void cell_line(const struct plan *p, const struct status_cell *c, struct time_memo *m,
		      struct strbuf *out)
{
	strbuf_addstr(out, "{\"project\": ");
	encode_add_string(out, p->projects[c->project].id);
	add_field(out, "env", p->envs[c->env].name);
	add_field(out, "state", store_state_name(c->state));
	add_field(out, "version", c->version);
	add_time(out, m, "since", c->since, false);
	add_time(out, m, "target", c->target, true);
	strbuf_addstr(out, c->late ? ", \"late\": true" : ", \"late\": false");
	strbuf_addstr(out, c->at_risk ? ", \"at_risk\": true" : ", \"at_risk\": false");
	add_field(out, "wave", p->waves[p->projects[c->project].wave].id);
	add_field(out, "live_version", c->live_version);
	if (c->failed_version)
		add_field(out, "failed_version", c->failed_version);
	add_time(out, m, "soak_until", c->soak_until, false);
	strbuf_addch(out, '}');
}

static json_t *incident(const struct plan *p, const struct state_incident *in)
{
	json_t *o = json_object();
	set(o, "id", json_integer(in->id));
	set(o, "level", json_integer(in->level));
	set(o, "project", in->project >= 0 ? jstr(p->projects[in->project].id) : json_null());
	set(o, "env", in->env >= 0 ? jstr(p->envs[in->env].name) : json_null());
	set(o, "text", jstr(in->text));
	set(o, "opened_by", jstr(in->opened_by));
	set(o, "opened_at", encode_time(in->opened_at));
	return o;
}

static json_t *blocker(const struct plan *p, const struct state *st, int b)
{
	const struct plan_blocker *pb = &p->blockers[b];
	json_t *o = json_object();
	set(o, "id", jstr(pb->id));
	set(o, "progress", json_integer(st->blockers[b].progress));
	set(o, "blocks", pb->blocks_env >= 0 ? jstr(p->envs[pb->blocks_env].name)
					     : json_null());
	set(o, "owner", jstr(pb->owner));
	set(o, "due", encode_date(pb->due));
	return o;
}

/* `  "key": ` then v (stolen) on one line, or an array one element a line. */
static int member(struct strbuf *out, bool first, const char *key, json_t *v)
{
	int rc = 0;
	strbuf_addf(out, "%s  \"%s\": ", first ? "" : ",\n", key);
	if (json_is_array(v) && json_array_size(v)) {
		size_t i;
		json_t *x;
		strbuf_addch(out, '[');
		json_array_foreach(v, i, x) {
			strbuf_addstr(out, i ? ",\n    " : "\n    ");
			if (line(x, out) < 0)
				rc = -1;
		}
		strbuf_addstr(out, "\n  ]");
	} else if (line(v, out) < 0) {
		rc = -1;
	}
	json_decref(v);
	return rc;
}

int encode_status_board(const struct status_board *b, struct strbuf *out)
{
	const struct plan *p = b->plan;
	json_t *inc = json_array(), *bl = json_array();
	struct time_memo memo = { { 0, 0 }, { "", "" } };
	int rc = 0;

	strbuf_addstr(out, "{\n");
	rc |= member(out, true, "plan", jstr(p->id));
	rc |= member(out, false, "now", encode_time(b->now));
	if (b->st.rehearsal)
		rc |= member(out, false, "rehearsal", json_true());
	strbuf_addstr(out, ",\n  \"cells\": [");
	for (size_t i = 0; i < b->ncells; i++) {
		strbuf_addstr(out, i ? ",\n    " : "\n    ");
		cell_line(p, &b->cells[i], &memo, out);
	}
	strbuf_addstr(out, b->ncells ? "\n  ]" : "]");
	for (size_t i = 0; i < b->nincidents; i++)
		json_array_append_new(inc, incident(p, b->incidents[i]));
	rc |= member(out, false, "incidents", inc);
	for (size_t i = 0; i < b->nblockers; i++)
		json_array_append_new(bl, blocker(p, &b->st, b->blockers[i]));
	rc |= member(out, false, "blockers", bl);
	{
		json_t *rj = json_array(), *gt = json_array();
		for (size_t i = 0; i < b->nrejections; i++)
			json_array_append_new(rj, encode_rejection(p, b->rejections[i]));
		rc |= member(out, false, "rejections", rj);
		for (size_t g = 0; g < p->ngates; g++) {
			json_t *x = json_object();
			set(x, "id", jstr(p->gates[g].id));
			set(x, "env", jstr(p->envs[p->gates[g].before_env].name));
			set(x, "status", jstr(ready_gate_status_name(b->gates[g])));
			json_array_append_new(gt, x);
		}
		rc |= member(out, false, "gates", gt);
		rc |= member(out, false, "complete", json_boolean(b->complete));
		rc |= member(out, false, "incomplete", jstr(b->incomplete));
	}
	strbuf_addstr(out, "\n}\n");
	return rc ? -1 : 0;
}

json_t *encode_rejection(const struct plan *p, const struct state_rejection *r)
{
	json_t *o = json_object();
	struct strbuf sb = STRBUF_INIT;
	set(o, "project", jstr(p->projects[r->project].id));
	set(o, "version", jstr(r->version));
	set(o, "env", r->env >= 0 ? jstr(p->envs[r->env].name) : json_null());
	set(o, "kind", jstr(state_rejection_kind_name(r->kind)));
	set(o, "reason", jstr(r->reason));
	set(o, "by", jstr(r->by));
	set(o, "at", encode_time(r->at));
	set(o, "rejected", json_boolean(!r->allowed && r->kind != REJECT_ALLOWANCE));
	set(o, "allowed_by", jstr(r->allowed_by));
	set(o, "allowed_reason", jstr(r->allowed_reason));
	set(o, "allowed_at", encode_time(r->allowed_at));
	if (r->kind != REJECT_ALLOWANCE)
		ready_describe_rejection(p, r, &sb);
	set(o, "detail", jstr(sb.len ? sb.buf : NULL));
	strbuf_release(&sb);
	return o;
}

/* ---- why, next ------------------------------------------------------------- */

json_t *encode_why(const struct plan *p, const struct ready_why *w)
{
	json_t *o = json_object(), *rules = json_array();
	const struct ready_result *r = &w->result;

	set(o, "project", jstr(p->projects[w->project].id));
	set(o, "env", jstr(p->envs[w->env].name));
	set(o, "ready", json_boolean(r->ready));
	set(o, "version", jstr(r->version));
	for (int i = 0; i < RULE_COUNT; i++) {
		json_t *x = json_object();
		set(x, "rule", jstr(ready_rule_name((enum ready_rule)i)));
		set(x, "ok", json_boolean(r->rules[i].ok));
		set(x, "detail", jstr(r->rules[i].detail ? r->rules[i].detail : ""));
		json_array_append_new(rules, x);
	}
	set(o, "rules", rules);
	if (!r->ready) {
		json_t *fixes = json_array();
		for (size_t i = 0; i < r->nfixes; i++) {
			const struct ready_fix *f = &r->fixes[i];
			json_t *x = json_object();
			set(x, "action", jstr(ready_fix_name(f->kind)));
			set(x, "rule", jstr(ready_rule_name(f->rule)));
			if (f->gate >= 0)
				set(x, "gate", jstr(p->gates[f->gate].id));
			if (f->role)
				set(x, "role", jstr(f->role));
			if (f->item >= 0)
				set(x, "item", jstr(p->items[f->item].id));
			if (f->blocker >= 0)
				set(x, "blocker", jstr(p->blockers[f->blocker].id));
			if (f->kind == FIX_ALLOW || f->kind == FIX_RETRY_HELD)
				set(x, "version", jstr(r->version));
			json_array_append_new(fixes, x);
		}
		set(o, "fixes", fixes);
	}
	return o;
}

json_t *encode_next(const struct plan *p, const struct ready_next *n)
{
	json_t *o = json_object(), *list = json_array();
	for (size_t i = 0; i < n->n; i++) {
		const struct ready_next_item *x = &n->v[i];
		json_t *j = json_object();
		set(j, "project", jstr(p->projects[x->project].id));
		set(j, "env", jstr(p->envs[x->env].name));
		set(j, "version", jstr(x->version));
		set(j, "from", jstr(p->envs[x->from].name));
		json_array_append_new(list, j);
	}
	set(o, "ready", list);
	return o;
}

/* ---- promote --------------------------------------------------------------- */

json_t *encode_promote_result(const struct plan *p, const struct promote_result *r)
{
	json_t *o = json_object();
	set(o, "project", jstr(p->projects[r->project].id));
	set(o, "env", jstr(p->envs[r->env].name));
	set(o, "version", jstr(r->version ? r->version : ""));
	set(o, "outcome", jstr(promote_outcome_name(r->outcome)));
	set(o, "previous", jstr(r->previous));
	set(o, "detail", jstr(r->detail));
	if (r->incident)
		set(o, "incident", json_integer(r->incident));
	if (r->already)
		set(o, "already", json_true());
	return o;
}

json_t *encode_promote_report(const struct plan *p, const struct promote_report *rep, int env,
			      bool dry_run)
{
	json_t *o = json_object(), *res = json_array(), *nr = json_array();

	set(o, "run", jstr(rep->run_id));
	set(o, "env", jstr(p->envs[env].name));
	if (dry_run) {
		json_t *pl = json_array();
		set(o, "dry_run", json_true());
		for (size_t i = 0; i < rep->nplanned; i++) {
			const struct plan_project *pr = &p->projects[rep->planned[i]];
			json_t *x = json_object();
			set(x, "project", jstr(pr->id));
			set(x, "env", jstr(p->envs[env].name));
			set(x, "version", jstr(rep->planned_version[i]));
			set(x, "order", json_integer((json_int_t)i + 1));
			set(x, "deploy", jstr(pr->deploy));
			set(x, "verify", jstr(pr->verify));
			json_array_append_new(pl, x);
		}
		set(o, "plan", pl);
	}
	for (size_t i = 0; i < rep->nresults; i++)
		json_array_append_new(res, encode_promote_result(p, &rep->results[i]));
	set(o, "results", res);
	for (size_t i = 0; i < rep->nnotready; i++) {
		json_t *x = json_object();
		set(x, "project", jstr(p->projects[rep->notready[i].project].id));
		set(x, "summary", jstr(rep->notready[i].summary));
		set(x, "up_to_date", json_boolean(rep->notready[i].up_to_date));
		json_array_append_new(nr, x);
	}
	set(o, "not_ready", nr);
	set(o, "repaired", json_integer((json_int_t)rep->nrepaired));
	set(o, "paused", json_boolean(rep->paused));
	set(o, "cancelled", json_boolean(rep->cancelled));
	return o;
}

/* ---- log, errors ----------------------------------------------------------- */

json_t *encode_log_entry(const struct store_log_entry *en)
{
	json_t *o = json_object();
	set(o, "seq", json_integer(en->seq));
	set(o, "at", encode_time(en->at));
	set(o, "actor", jstr(en->actor ? en->actor : ""));
	set(o, "action", jstr(en->action ? en->action : ""));
	set(o, "subject", jstr(en->subject ? en->subject : ""));
	set(o, "detail", jstr(en->detail ? en->detail : ""));
	set(o, "prev_hash", jstr(en->prev_hash ? en->prev_hash : ""));
	set(o, "hash", jstr(en->hash ? en->hash : ""));
	/* absent in an entry from before schema 3 */
	if (en->auth)
		set(o, "auth", jstr(en->auth));
	return o;
}

json_t *encode_log_line(const struct store_log_entry *en)
{
	json_t *o = encode_log_entry(en);
	if (en->ops)
		set(o, "ops", encode_string(en->ops));
	return o;
}

json_t *encode_error(const struct err *e)
{
	json_t *o = json_object(), *x = json_object();
	enum err_reason r = e->reason;
	if (r == REASON_NONE)
		r = e->code == ERR_USAGE ? REASON_INVALID
		    : e->code == ERR_NOT_READY ? REASON_NOT_READY
					       : REASON_FAILED;
	set(x, "code", jstr(err_reason_name(r)));
	set(x, "message", jstr(e->msg[0] ? e->msg : "unknown error"));
	if (e->line > 0) {
		set(x, "file", jstr(e->file));
		set(x, "line", json_integer(e->line));
		set(x, "column", json_integer(e->col));
	}
	set(o, "error", x);
	return o;
}

/* ---- layout ---------------------------------------------------------------- */

static int add_text(const char *buf, size_t size, void *data)
{
	strbuf_add(data, buf, size);
	return 0;
}

/* One value on one line: ", " and ": " between members, as jansson writes
 * without indentation. */
static int line(const json_t *j, struct strbuf *out)
{
	return json_dump_callback(j, add_text, out, JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

static int members(const json_t *j, struct strbuf *out, const char *indent)
{
	size_t n = json_is_object(j) ? json_object_size(j) : json_array_size(j), k = 0;
	const char *key;
	json_t *v;

	if (!n)
		return line(j, out);
	strbuf_addch(out, json_is_object(j) ? '{' : '[');
	if (json_is_object(j)) {
		json_object_foreach((json_t *)j, key, v) {
			json_t *ks = jstr(key);
			strbuf_addstr(out, k++ ? ",\n" : "\n");
			strbuf_addf(out, "%s  ", indent);
			if (line(ks, out) < 0) {
				json_decref(ks);
				return -1;
			}
			json_decref(ks);
			strbuf_addstr(out, ": ");
			if (!strcmp(indent, "") && (json_is_array(v) || json_is_object(v))
				    ? members(v, out, "  ") < 0
				    : line(v, out) < 0)
				return -1;
		}
	} else {
		size_t i;
		json_array_foreach(j, i, v) {
			strbuf_addstr(out, i ? ",\n" : "\n");
			strbuf_addf(out, "%s  ", indent);
			if (line(v, out) < 0)
				return -1;
		}
	}
	strbuf_addf(out, "\n%s%c", indent, json_is_object(j) ? '}' : ']');
	return 0;
}

int encode_text(const json_t *j, struct strbuf *out)
{
	int rc = json_is_object(j) || json_is_array(j) ? members(j, out, "") : line(j, out);
	strbuf_addch(out, '\n');
	return rc < 0 ? -1 : 0;
}
