/*
 * encode.h - the JSON of every shape that leaves the program (SPEC §5):
 * status, why, next, promote (and the results soak and rollback give), log
 * entries and errors. One encoder per shape, on jansson, taking engine
 * structs: the CLI's --json and the server's API answer with the same
 * bytes. Encoders return a new reference (the caller owns it); encode_text
 * lays a document out as the CLI prints it.
 */
#ifndef TOLLGATE_ENGINE_ENCODE_H
#define TOLLGATE_ENGINE_ENCODE_H

#include <jansson.h>
#include <stdbool.h>

#include "util/util.h"

struct plan;
struct status_board;
struct ready_why;
struct ready_next;
struct promote_result;
struct promote_report;
struct store_log_entry;
struct state_rejection;
struct action_versions;
struct approve_result;

/* {"plan", "now", "cells": [{"project", "env", "state", "version", "since",
 *  "target", "late", "at_risk" (not late, but the forecast puts the target
 *  out of reach), "wave", "live_version", "failed_version" (when any),
 *  "soak_until"}], "incidents": [{"id", "level", "project", "env", "text",
 *  "opened_by", "opened_at"}], "blockers": [{"id", "progress", "blocks",
 *  "owner", "due"}], "rejections": [encode_rejection], "gates": [{"id", "env",
 *  "status"}], "complete": bool (the release: ready_release_complete),
 *  "incomplete": what is missing or null}, appended to out as encode_text lays it out (a board is
 *  too large for a jansson tree: tens of thousands of cells). 0, or -1 when
 *  jansson fails. */
int encode_status_board(const struct status_board *b, struct strbuf *out);
/* s as a JSON string (null for NULL) appended to out: as is when nothing
 * needs escaping, else through jansson (encode_string scrubs bad UTF-8), so
 * the text encoders written straight (status, forecast) share one escaper. */
void encode_add_string(struct strbuf *out, const char *s);
/* A rejected version (status, report): {"project", "version", "env" (null:
 * every environment), "kind" ("rolled-back", "failed", "rejected",
 * "allowance"), "reason", "by", "at", "rejected": bool (false once allowed
 * again), "allowed_by", "allowed_reason", "allowed_at", "detail"} */
json_t *encode_rejection(const struct plan *p, const struct state_rejection *r);
/* {"project", "env", "ready", "version", "rules": [{"rule", "ok", "detail"}]} */
json_t *encode_why(const struct plan *p, const struct ready_why *w);
/* {"ready": [{"project", "env", "version", "from"}]} */
json_t *encode_next(const struct plan *p, const struct ready_next *n);
/* {"project", "env", "version", "outcome", "previous", "detail"[, "incident"]} */
json_t *encode_promote_result(const struct plan *p, const struct promote_result *r);
/* {"run", "env"[, "dry_run", "plan"], "results", "not_ready", "repaired",
 *  "paused", "cancelled"}; env is the run's target, dry_run whether it only
 *  planned */
json_t *encode_promote_report(const struct plan *p, const struct promote_report *rep, int env,
			      bool dry_run);
/* {"seq", "at", "actor", "action", "subject", "detail", "prev_hash", "hash",
 * "auth"} ("auth" only in entries of schema 3 on); `log --json` is
 * {"entries": [these, each with "ops" too]} */
json_t *encode_log_entry(const struct store_log_entry *en);
/* encode_log_entry with "ops" (the exact text hashed, so that anyone can
 * recompute the hash): one entry of `log --json`, and the `data:` of its
 * event in the server's event stream */
json_t *encode_log_line(const struct store_log_entry *en);
/* `log --verify --json`: {"verified", "entries"[, "bad_seq", "why"][,
 * "anchors": {"given", "failed"[, "first_failed", "why"]}][, "state":
 * {"rows", "differences": [{"table", "store", "log"[, "store_count",
 * "log_count"]}], "more"}]} (encode-verify.c) */
struct store_verify_full;
json_t *encode_log_verify(const struct store_verify_full *full, size_t nanchors);
/* The plan as loaded (encode-plan.c): {"id", "title", "manager", "status",
 * "identity", "environments", "people", "waves", "projects", "gates",
 * "checklist", "blockers", "risks", "triggers"}, ids by name. */
json_t *encode_plan(const struct plan *p);
/* The forecast (encode-forecast.c, engine/forecast.h): {"plan", "now",
 * "cells": [encode_forecast_cell], "deadlines": [{"kind" ("gate", "item",
 * "blocker"), "id", "by" (RFC 3339, null when no target depends on it),
 * "late", "for": [{"project", "env", "target"}]}]} */
struct forecast;
struct forecast_cell;
json_t *encode_forecast(const struct forecast *f);
/* The same document as encode_text lays it out (with "rehearsal": true
 * after "now" on a rehearsal store), written straight into out: what
 * `forecast --json` prints and GET /api/v1/forecast answers. */
void encode_forecast_text(const struct forecast *f, struct strbuf *out);
/* {"project", "env", "wave", "state", "target" (a day or null),
 *  "earliest_start", "earliest_healthy" (RFC 3339; null: cannot be
 *  forecast), "slack_days" (null without a target), "at_risk",
 *  "conditional", "because": [text]} */
json_t *encode_forecast_cell(const struct plan *p, const struct forecast_cell *c);
/* {"error": {"code": reason name ("not_found", "busy" …), "message"[, "file",
 *  "line", "column"]}} */
json_t *encode_error(const struct err *e);

/* ---- the actions' answers (encode-actions.c) ---- */
/* record: {"recorded": [{"project", "env", "version"}], "already": N (of
 * them healthy there before: nothing written for those), "changed": bool} */
json_t *encode_recorded(const char *env, const struct action_versions *l, int already);
/* approve: {"gate", "person", "role", "changed", "scope": "plan"|"versions",
 * "versions": {project: version}, "not_covered": [project], "until",
 * "already", "still_needs": [role]} */
json_t *encode_approved(const struct plan *p, const char *gate, const char *person,
			const struct approve_result *r);
/* The answers below take `already` as the action returned it: 0 written,
 * 1 it held already (nothing written). */
/* revoke: {"gate", "person", "role" (null when none), "changed", "already"} */
json_t *encode_revoked(const char *gate, const char *person, const char *role, int already);
/* check / uncheck: {"item", "done", "by", "note" (null when none), "changed",
 * "already"} */
json_t *encode_ticked(const char *item, bool done, const char *by, const char *note, int already);
/* blocker: {"blocker", "progress", "resolved", "changed", "already"} */
json_t *encode_blocker_update(const char *blocker, int progress, bool resolved, int already);
/* incident open: {"id", "level", "env", "project" (null when none), "text"} */
json_t *encode_incident_opened(int64_t id, int level, const char *env, const char *project,
			       const char *text);
/* one incident, open or resolved (GET /api/v1/incidents/{id}): the fields of
 * encode_incident_opened and "opened_by", "opened_at", "resolved_at",
 * "resolved_by" (null while open) */
struct store_incident;
json_t *encode_incident(const struct store_incident *in);
/* incident resolve: {"id", "resolved": true, "changed", "already"} */
json_t *encode_incident_resolved(int64_t id, int already);
/* reject / allow: {"project", "version", "env" (null: every environment),
 * "rejected" (true for reject), "changed", "by", "reason"} */
json_t *encode_rejected(const char *project, const char *version, const char *env, bool rejected,
			bool already, const char *by, const char *reason);
/* A JSON string of s (NULL: null). Text that is not valid UTF-8 (a store
 * written before tollgate refused it, a row written by hand) is scrubbed
 * (util_scrub) rather than dropped, so that every document stays valid and
 * keeps its fields. New reference. */
json_t *encode_string(const char *s);
/* RFC 3339 UTC time / YYYY-MM-DD date as a JSON string; 0 is null. */
json_t *encode_time(int64_t t);
json_t *encode_date(int64_t t);

/* Append j as the CLI prints it: an object's members one a line, an array's
 * elements one a line, each element on a single line; a final newline.
 * Returns 0, -1 when jansson fails. */
int encode_text(const json_t *j, struct strbuf *out);

/* `notify list --json` and GET /api/v1/notifications: {"messages": [{id,
 * delivery_id, channel, seq, event, subject, state, attempts, next_at,
 * sent_at, created_at, claimed_by, claimed_until, last_error}]} */
struct store_outboxes;
json_t *encode_outbox(const struct store_outboxes *l);

#endif
