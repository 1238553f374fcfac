/*
 * store-sql.c - every SQL statement the store runs, written once for both
 * backends. The common subset is enough: TEXT and BIGINT columns, `?`
 * placeholders (the PostgreSQL backend rewrites them to $n), and
 * INSERT ... ON CONFLICT DO UPDATE, which SQLite (3.24+) and PostgreSQL spell
 * the same way. Times are BIGINT seconds since the epoch, passed in by the
 * caller: neither database's clock is ever used.
 *
 * State and its proof. The tables of plan state (store_state_tables[]) are
 * written only by the statements of the registry store_writes[]: their SQL
 * is static here, and store_write() (store.c) is the one function that runs
 * it. Each write is recorded, by its stable name and with its parameters, in
 * the audit entry of the change that makes it; `log --verify` replays those
 * writes, by name only, into a fresh database of the same schema and compares
 * every state table with the store's (replay.c). A table of state added later
 * registers each statement that writes it below (a new name: names are never
 * reused or changed, old logs replay by them) and itself in
 * store_state_tables[], with a full-row write for the baseline of an older
 * store. Coordination tables (meta, plan_meta, lease, step_run) and the audit log itself
 * are not state.
 */
#include "store/store-internal.h"

/* Schema migrations: sql_schema[v-1] takes a store from version v-1 to v.
 * Add new versions at the end; never edit a released one. */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE promotion ("
	" project TEXT NOT NULL, env TEXT NOT NULL, state TEXT NOT NULL,"
	" version TEXT, previous_version TEXT, since BIGINT NOT NULL, run_id TEXT,"
	" soak_until BIGINT NOT NULL DEFAULT 0, detail TEXT, seq BIGINT NOT NULL DEFAULT 0,"
	" PRIMARY KEY (project, env));"
	"CREATE TABLE promotion_history ("
	" project TEXT NOT NULL, env TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL,"
	" state TEXT NOT NULL, version TEXT, previous_version TEXT, run_id TEXT,"
	" soak_until BIGINT NOT NULL DEFAULT 0, detail TEXT);"
	"CREATE INDEX promotion_history_pair ON promotion_history (project, env, seq);"
	"CREATE TABLE approval ("
	" gate TEXT NOT NULL, role TEXT NOT NULL, person TEXT NOT NULL, at BIGINT NOT NULL,"
	" PRIMARY KEY (gate, role, person));"
	"CREATE TABLE tick ("
	" item TEXT PRIMARY KEY, done BIGINT NOT NULL, by_person TEXT, at BIGINT NOT NULL,"
	" note TEXT, source TEXT NOT NULL, exit_status BIGINT NOT NULL DEFAULT -1,"
	" output_tail TEXT);"
	"CREATE TABLE blocker ("
	" id TEXT PRIMARY KEY, progress BIGINT NOT NULL, resolved BIGINT NOT NULL,"
	" by_person TEXT, at BIGINT NOT NULL, note TEXT);"
	"CREATE TABLE incident ("
	" id BIGINT PRIMARY KEY, level BIGINT NOT NULL, env TEXT, project TEXT,"
	" text TEXT NOT NULL, opened_by TEXT, opened_at BIGINT NOT NULL,"
	" resolved_at BIGINT NOT NULL DEFAULT 0, resolved_by TEXT);"
	"CREATE TABLE lease ("
	" project TEXT NOT NULL, env TEXT NOT NULL, host TEXT NOT NULL, pid BIGINT NOT NULL,"
	" pgid BIGINT NOT NULL DEFAULT 0, run_id TEXT NOT NULL, acquired BIGINT NOT NULL,"
	" expires BIGINT NOT NULL, PRIMARY KEY (project, env));"
	"CREATE TABLE step_run ("
	" run_id TEXT NOT NULL, project TEXT NOT NULL, env TEXT NOT NULL, step TEXT NOT NULL,"
	" started BIGINT NOT NULL, ended BIGINT NOT NULL DEFAULT 0,"
	" exit_status BIGINT NOT NULL DEFAULT -1, log_path TEXT,"
	" PRIMARY KEY (run_id, project, env, step));"
	"CREATE INDEX step_run_pair ON step_run (project, env, step, started);"
	"CREATE TABLE audit ("
	" seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,"
	" subject TEXT NOT NULL, detail TEXT NOT NULL, prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL);"
	"INSERT INTO meta (key, value) VALUES ('audit_seq', '0');"
	"INSERT INTO meta (key, value) VALUES ('audit_hash',"
	" '0000000000000000000000000000000000000000000000000000000000000000');";

/* v2: how long a step ran, in milliseconds (0: unknown), for the critical
 * path weights (started/ended are whole seconds) */
static const char schema_v2[] =
	"ALTER TABLE step_run ADD COLUMN duration_ms BIGINT NOT NULL DEFAULT 0;";

/*
 * v3: one store holds many plans. Every table of plan state gets a first
 * column `plan`, first in its key; the audit head moves from meta to
 * plan_meta (per plan). Existing rows get plan '' here and are adopted by the
 * plan that opens the store for the migration (store.c: sql_adopt[]), in the
 * same transaction: before v3 a store served one plan.
 *
 * Tables with a primary key are SQLite WITHOUT ROWID tables (the rows live
 * in the key's B-tree: a change rewrites one page per table, not two); the
 * PostgreSQL backend drops those two words from a script, the one place
 * where the text is not common.
 *
 * From v3 on, every statement scopes itself with the named placeholder
 * `:plan`, which both backends bind to the store's plan id themselves;
 * positional `?` parameters are numbered as if it were not there.
 */
#define V3_MOVE(t) "ALTER TABLE " t " RENAME TO " t "_v2;"
static const char schema_v3[] =
	V3_MOVE("promotion") V3_MOVE("promotion_history") V3_MOVE("approval") V3_MOVE("tick")
	V3_MOVE("blocker") V3_MOVE("incident") V3_MOVE("lease") V3_MOVE("step_run")
	V3_MOVE("audit")
	"DROP INDEX promotion_history_pair;"
	"DROP INDEX step_run_pair;"
	"CREATE TABLE plan_meta (plan TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,"
	" PRIMARY KEY (plan, key)) WITHOUT ROWID;"
	"INSERT INTO plan_meta (plan, key, value) SELECT '', key, value FROM meta"
	" WHERE key IN ('audit_seq', 'audit_hash');"
	"DELETE FROM meta WHERE key IN ('audit_seq', 'audit_hash');"
	"CREATE TABLE promotion ("
	" plan TEXT NOT NULL, project TEXT NOT NULL, env TEXT NOT NULL, state TEXT NOT NULL,"
	" version TEXT, previous_version TEXT, since BIGINT NOT NULL, run_id TEXT,"
	" soak_until BIGINT NOT NULL DEFAULT 0, detail TEXT, seq BIGINT NOT NULL DEFAULT 0,"
	" PRIMARY KEY (plan, project, env)) WITHOUT ROWID;"
	"INSERT INTO promotion SELECT '', project, env, state, version, previous_version, since,"
	" run_id, soak_until, detail, seq FROM promotion_v2;"
	"CREATE TABLE promotion_history ("
	" plan TEXT NOT NULL, project TEXT NOT NULL, env TEXT NOT NULL, seq BIGINT NOT NULL,"
	" at BIGINT NOT NULL, state TEXT NOT NULL, version TEXT, previous_version TEXT,"
	" run_id TEXT, soak_until BIGINT NOT NULL DEFAULT 0, detail TEXT);"
	"INSERT INTO promotion_history SELECT '', project, env, seq, at, state, version,"
	" previous_version, run_id, soak_until, detail FROM promotion_history_v2;"
	"CREATE INDEX promotion_history_pair ON promotion_history (plan, project, env, seq);"
	"CREATE TABLE approval ("
	" plan TEXT NOT NULL, gate TEXT NOT NULL, role TEXT NOT NULL, person TEXT NOT NULL,"
	" at BIGINT NOT NULL, PRIMARY KEY (plan, gate, role, person)) WITHOUT ROWID;"
	"INSERT INTO approval SELECT '', gate, role, person, at FROM approval_v2;"
	"CREATE TABLE tick ("
	" plan TEXT NOT NULL, item TEXT NOT NULL, done BIGINT NOT NULL, by_person TEXT,"
	" at BIGINT NOT NULL, note TEXT, source TEXT NOT NULL,"
	" exit_status BIGINT NOT NULL DEFAULT -1, output_tail TEXT, PRIMARY KEY (plan, item)) WITHOUT ROWID;"
	"INSERT INTO tick SELECT '', item, done, by_person, at, note, source, exit_status,"
	" output_tail FROM tick_v2;"
	"CREATE TABLE blocker ("
	" plan TEXT NOT NULL, id TEXT NOT NULL, progress BIGINT NOT NULL, resolved BIGINT NOT NULL,"
	" by_person TEXT, at BIGINT NOT NULL, note TEXT, PRIMARY KEY (plan, id)) WITHOUT ROWID;"
	"INSERT INTO blocker SELECT '', id, progress, resolved, by_person, at, note FROM blocker_v2;"
	"CREATE TABLE incident ("
	" plan TEXT NOT NULL, id BIGINT NOT NULL, level BIGINT NOT NULL, env TEXT, project TEXT,"
	" text TEXT NOT NULL, opened_by TEXT, opened_at BIGINT NOT NULL,"
	" resolved_at BIGINT NOT NULL DEFAULT 0, resolved_by TEXT, PRIMARY KEY (plan, id)) WITHOUT ROWID;"
	"INSERT INTO incident SELECT '', id, level, env, project, text, opened_by, opened_at,"
	" resolved_at, resolved_by FROM incident_v2;"
	"CREATE TABLE lease ("
	" plan TEXT NOT NULL, project TEXT NOT NULL, env TEXT NOT NULL, host TEXT NOT NULL,"
	" pid BIGINT NOT NULL, pgid BIGINT NOT NULL DEFAULT 0, run_id TEXT NOT NULL,"
	" acquired BIGINT NOT NULL, expires BIGINT NOT NULL, PRIMARY KEY (plan, project, env)) WITHOUT ROWID;"
	"INSERT INTO lease SELECT '', project, env, host, pid, pgid, run_id, acquired, expires"
	" FROM lease_v2;"
	"CREATE TABLE step_run ("
	" plan TEXT NOT NULL, run_id TEXT NOT NULL, project TEXT NOT NULL, env TEXT NOT NULL,"
	" step TEXT NOT NULL, started BIGINT NOT NULL, ended BIGINT NOT NULL DEFAULT 0,"
	" exit_status BIGINT NOT NULL DEFAULT -1, log_path TEXT,"
	" duration_ms BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (plan, run_id, project, env, step)) WITHOUT ROWID;"
	"INSERT INTO step_run SELECT '', run_id, project, env, step, started, ended, exit_status,"
	" log_path, duration_ms FROM step_run_v2;"
	"CREATE INDEX step_run_pair ON step_run (plan, project, env, step, started);"
	"CREATE TABLE audit ("
	" plan TEXT NOT NULL, seq BIGINT NOT NULL, at BIGINT NOT NULL, actor TEXT NOT NULL,"
	" action TEXT NOT NULL, subject TEXT NOT NULL, detail TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (plan, seq)) WITHOUT ROWID;"
	"INSERT INTO audit SELECT '', seq, at, actor, action, subject, detail, prev_hash, hash"
	" FROM audit_v2;"
	"DROP TABLE promotion_v2; DROP TABLE promotion_history_v2; DROP TABLE approval_v2;"
	"DROP TABLE tick_v2; DROP TABLE blocker_v2; DROP TABLE incident_v2; DROP TABLE lease_v2;"
	"DROP TABLE step_run_v2; DROP TABLE audit_v2;";
#undef V3_MOVE

/* v3's adoption: the rows the migration left without a plan go to the plan
 * that migrates the store (run by store.c right after schema_v3). */
#define ADOPT(t) "UPDATE " t " SET plan = :plan WHERE plan = ''"
const char *const sql_adopt[] = {
	ADOPT("plan_meta"), ADOPT("promotion"), ADOPT("promotion_history"), ADOPT("approval"),
	ADOPT("tick"), ADOPT("blocker"), ADOPT("incident"), ADOPT("lease"), ADOPT("step_run"),
	ADOPT("audit"), NULL
};
#undef ADOPT

/* v4: who was authenticated, and how (`os:alice@host`, `claim:carol`), and
 * the row changes of the entry (a JSON array of [name, params…], replayed by
 * `log --verify`). NULL in older entries, which keep their 7-field hash;
 * store.c gives each plan of a store migrated from before v4 a baseline
 * entry (its state as it stood). */
static const char schema_v4[] =
	"ALTER TABLE audit ADD COLUMN auth TEXT;"
	"ALTER TABLE audit ADD COLUMN ops TEXT;";

/* v5 (issue 9): what an approval covers, and rejected versions.
 * approval_version: for an approval of a gate with `scope: versions`, the
 * candidate version of each project it was given for, and when.
 * rejection: a version that must not be promoted into env again ('*': into
 * any environment), because it was rolled back or failed there (kind
 * 'rolled-back' / 'failed') or a person rejected it ('rejected'); allowed_at
 * > 0 once a person allowed it again. kind 'allowance' is a row that only
 * allows a version in one env that a '*' row rejects. */
static const char schema_v5[] =
	"CREATE TABLE approval_version ("
	" plan TEXT NOT NULL, gate TEXT NOT NULL, role TEXT NOT NULL, person TEXT NOT NULL,"
	" project TEXT NOT NULL, version TEXT NOT NULL, at BIGINT NOT NULL,"
	" PRIMARY KEY (plan, gate, role, person, project)) WITHOUT ROWID;"
	"CREATE TABLE rejection ("
	" plan TEXT NOT NULL, project TEXT NOT NULL, version TEXT NOT NULL, env TEXT NOT NULL,"
	" kind TEXT NOT NULL, reason TEXT, by_person TEXT, at BIGINT NOT NULL,"
	" allowed_by TEXT, allowed_reason TEXT, allowed_at BIGINT NOT NULL DEFAULT 0,"
	" PRIMARY KEY (plan, project, version, env)) WITHOUT ROWID;";

/* v6 (issue 11): API tokens bound to people (docs/tokens.md). Identity
 * data, not plan state: written by plain statements (below) inside the
 * audited change that creates or revokes a token, never replayed; the
 * secret is never stored, only its SHA-256. */
static const char schema_v6[] =
	"CREATE TABLE token ("
	" plan TEXT NOT NULL, id TEXT NOT NULL, person TEXT NOT NULL, name TEXT,"
	" hash TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL DEFAULT 0,"
	" revoked_at BIGINT NOT NULL DEFAULT 0, created_by TEXT,"
	" last_used_at BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (plan, id)) WITHOUT ROWID;";

/* v7 (issue 12): the dashboard's sign-in sessions, each started with an API
 * token and bound to it (revoking the token ends them). Identity data like
 * tokens: written inside the audited change that starts or ends one, never
 * replayed; the cookie's secret is never stored, only its SHA-256. */
static const char schema_v7[] =
	"CREATE TABLE session ("
	" plan TEXT NOT NULL, id TEXT NOT NULL, token_id TEXT NOT NULL, person TEXT NOT NULL,"
	" hash TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"
	" ended_at BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (plan, id)) WITHOUT ROWID;";

/* v8 (issue 13): the notification outbox (store-outbox.c, docs/notify.md).
 * Coordination data like leases: rows are written in the transaction of the
 * audit entry that causes them, claimed and updated by deliverers, and not
 * replayed by `log --verify`. */
static const char schema_v8[] =
	"CREATE TABLE outbox ("
	" plan TEXT NOT NULL, id BIGINT NOT NULL, delivery_id TEXT NOT NULL, channel TEXT NOT NULL,"
	" seq BIGINT NOT NULL, event TEXT NOT NULL, subject TEXT NOT NULL, payload TEXT NOT NULL,"
	" state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, next_at BIGINT NOT NULL,"
	" last_error TEXT, claimed_by TEXT, claimed_until BIGINT NOT NULL DEFAULT 0,"
	" created_at BIGINT NOT NULL, sent_at BIGINT NOT NULL DEFAULT 0,"
	" PRIMARY KEY (plan, id));"
	"CREATE INDEX outbox_due ON outbox (plan, state, next_at);"
	/* the claim's "no earlier pending message of this subject" */
	"CREATE INDEX outbox_subject ON outbox (plan, channel, subject, id);";

/* v9 (issue 13): the slots of the plan's schedules handled (sent or
 * skipped), one row each: the key makes several servers send a slot once. */
static const char schema_v9[] =
	"CREATE TABLE schedule_slot ("
	" plan TEXT NOT NULL, schedule TEXT NOT NULL, slot BIGINT NOT NULL, state TEXT NOT NULL,"
	" handled_at BIGINT NOT NULL, PRIMARY KEY (plan, schedule, slot));"
	/* the claim's "first pending message of each (channel, subject)": an
	 * index of the pending rows only, so a backlog of thousands is one short
	 * scan and not one scan of a subject's history per row */
	"CREATE INDEX outbox_pending ON outbox (plan, channel, subject, id) WHERE state = 'pending';"
	/* which it replaces: no statement reads it any more */
	"DROP INDEX outbox_subject;";

const char *const sql_schema[] = { schema_v1, schema_v2, schema_v3, schema_v4, schema_v5,
				   schema_v6, schema_v7, schema_v8, schema_v9, NULL };

const char sql_meta_create[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";
/* what an open reads: the schema version and the clock the store was made on
 * (two lookups, not `key IN (…)`: SQLite builds a temporary b-tree for an
 * IN list, which costs more than the lookups themselves) */
const char sql_meta_open[] =
	"SELECT key, value FROM meta WHERE key = 'schema_version'"
	" UNION ALL SELECT key, value FROM meta WHERE key = 'clock'";
/* written once, when the store is created: 'rehearsal' or 'real' */
const char sql_meta_set_clock[] = "INSERT INTO meta (key, value) VALUES ('clock', ?)";
const char sql_set_version[] =
	"INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
	" ON CONFLICT (key) DO UPDATE SET value = excluded.value";

/* read at the start of every write transaction: two lookups, no IN list
 * (see sql_meta_open) */
const char sql_audit_head[] =
	"SELECT key, value FROM plan_meta WHERE plan = :plan AND key = 'audit_seq'"
	" UNION ALL SELECT key, value FROM plan_meta WHERE plan = :plan AND key = 'audit_hash'";
const char sql_audit_set_head[] =
	"INSERT INTO plan_meta (plan, value, key) VALUES (:plan, ?, ?)"
	" ON CONFLICT (plan, key) DO UPDATE SET value = excluded.value";
#define AUDIT_COLS "seq, at, actor, action, subject, detail, prev_hash, hash, auth, ops"
const char sql_audit_insert[] =
	"INSERT INTO audit (plan, " AUDIT_COLS ") VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const char sql_audit_all[] = "SELECT " AUDIT_COLS " FROM audit WHERE plan = :plan ORDER BY seq";
const char sql_audit_last[] =
	"SELECT " AUDIT_COLS " FROM audit"
	" WHERE plan = :plan AND seq > (SELECT COALESCE(MAX(seq), 0) FROM audit WHERE plan = :plan) - ?"
	" ORDER BY seq";
/* a page of the log: the entries after a seq, oldest first (serve's GET /log) */
const char sql_audit_count[] = "SELECT COUNT(*) FROM audit WHERE plan = :plan";
/* the entries after a seq, at most a limit (the event stream) */
const char sql_audit_after[] =
	"SELECT " AUDIT_COLS " FROM audit WHERE plan = :plan AND seq > ? ORDER BY seq LIMIT ?";
/* a coordination value of the plan (store-watch.c: the background lease,
 * when each trigger was last measured); written by sql_audit_set_head, the
 * one upsert of plan_meta (params: value, key) */
const char sql_plan_meta_get[] = "SELECT value FROM plan_meta WHERE plan = :plan AND key = ?";
/* the report's Activity: the whole log counted by UTC day and action */
const char sql_audit_counts[] =
	"SELECT at / 86400, action, COUNT(*) FROM audit WHERE plan = :plan"
	" GROUP BY at / 86400, action ORDER BY 1, 2";
/* the report's Change Log: the entries that change the plan or its ids (a
 * plan.loaded whose digest is the one before is left out by the reader) */
const char sql_audit_plan_changes[] =
	"SELECT " AUDIT_COLS " FROM audit WHERE plan = :plan"
	" AND action IN ('plan.loaded', 'moved', 'forget') ORDER BY seq";
const char sql_audit_last_at[] = "SELECT COALESCE(MAX(at), 0) FROM audit WHERE plan = :plan";
/* the time of the head entry: the next one is never dated before it */
const char sql_audit_at[] = "SELECT at FROM audit WHERE plan = :plan AND seq = ?";
const char sql_audit_hash_at[] = "SELECT hash FROM audit WHERE plan = :plan AND seq = ?";
/* every plan with state or a log in the store (the v4 baseline) */
const char sql_plans_all[] =
	"SELECT plan FROM plan_meta UNION SELECT plan FROM promotion"
	" UNION SELECT plan FROM promotion_history UNION SELECT plan FROM approval"
	" UNION SELECT plan FROM tick UNION SELECT plan FROM blocker UNION SELECT plan FROM incident";

#define PROMO_COLS \
	"project, env, state, version, previous_version, since, run_id, soak_until, detail, seq"
const char sql_promotion_get[] =
	"SELECT " PROMO_COLS " FROM promotion WHERE plan = :plan AND project = ? AND env = ?";
/*
 * The snapshot's promotions: PROMO_COLS, then for a rolled-back pair the
 * rollbacks since it was last soaking or healthy after a time (the hold rule;
 * params 1-2: count them? 1/0, after), then the last step's log of a pair a
 * run set (param 3: read logs? 1/0). The extra columns cost nothing for the
 * rows they do not apply to, but the columns themselves do on a large plan:
 * a snapshot that needs neither reads the plain form. The _of forms read the
 * rows of up to SQL_PROMOTION_OF_N projects; unused places are NULL.
 */
#define SNAP_EXTRA \
	", CASE WHEN state = 'rolled-back' AND CAST(? AS BIGINT) = 1 THEN" \
	" (SELECT COUNT(*) FROM promotion_history h WHERE h.plan = promotion.plan" \
	" AND h.project = promotion.project" \
	" AND h.env = promotion.env AND h.state = 'rolled-back' AND h.at > CAST(? AS BIGINT)" \
	" AND h.seq > COALESCE((SELECT MAX(l.seq) FROM promotion_history l" \
	" WHERE l.plan = promotion.plan AND l.project = promotion.project AND l.env = promotion.env" \
	" AND l.state IN ('soaking', 'healthy')), -1)) ELSE 0 END," \
	" CASE WHEN CAST(? AS BIGINT) = 1 AND run_id IS NOT NULL THEN" \
	" (SELECT s.log_path FROM step_run s WHERE s.plan = promotion.plan" \
	" AND s.project = promotion.project" \
	" AND s.env = promotion.env ORDER BY s.started DESC, s.run_id DESC LIMIT 1) END"
#define P8 "?, ?, ?, ?, ?, ?, ?, ?"
#define P32 P8 ", " P8 ", " P8 ", " P8
#define IN_PROJECTS \
	" WHERE plan = :plan AND project IN (" P32 ", " P32 ", " P32 ", " P32 ", " P32 ", " P32 ", " P32 ", " P32 ")"
const char sql_promotion_all[] =
	"SELECT " PROMO_COLS " FROM promotion WHERE plan = :plan ORDER BY project, env";
const char sql_promotion_of[] = "SELECT " PROMO_COLS " FROM promotion" IN_PROJECTS;
const char sql_promotion_snap_all[] =
	"SELECT " PROMO_COLS SNAP_EXTRA " FROM promotion WHERE plan = :plan ORDER BY project, env";
const char sql_promotion_snap_of[] = "SELECT " PROMO_COLS SNAP_EXTRA " FROM promotion" IN_PROJECTS;
/* the same for up to SQL_PROMOTION_OF_SMALL projects (`why`: one project and
 * its dependencies): a statement of 256 places costs a process more to
 * prepare than to run */
#define IN_FEW_PROJECTS " WHERE plan = :plan AND project IN (" P8 ")"
const char sql_promotion_of_few[] = "SELECT " PROMO_COLS " FROM promotion" IN_FEW_PROJECTS;
const char sql_promotion_snap_of_few[] =
	"SELECT " PROMO_COLS SNAP_EXTRA " FROM promotion" IN_FEW_PROJECTS;
#undef IN_FEW_PROJECTS
#undef IN_PROJECTS
#undef P32
#undef P8
#undef SNAP_EXTRA
/* The hold count of one pair (params: project, env, after, project, env). */
const char sql_rollbacks_pair[] =
	"SELECT COUNT(*) FROM promotion_history h WHERE h.plan = :plan AND h.project = ? AND h.env = ?"
	" AND h.state = 'rolled-back' AND h.at > CAST(? AS BIGINT)"
	" AND h.seq > COALESCE((SELECT MAX(l.seq) FROM promotion_history l"
	" WHERE l.plan = :plan AND l.project = ? AND l.env = ? AND l.state IN ('soaking', 'healthy')),"
	" -1)";
static const char sql_promotion_put[] =
	"INSERT INTO promotion (plan, " PROMO_COLS ") VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (plan, project, env) DO UPDATE SET state = excluded.state,"
	" version = excluded.version, previous_version = excluded.previous_version,"
	" since = excluded.since, run_id = excluded.run_id, soak_until = excluded.soak_until,"
	" detail = excluded.detail, seq = excluded.seq";
static const char sql_history_add[] =
	"INSERT INTO promotion_history (plan, project, env, seq, at, state, version,"
	" previous_version, run_id, soak_until, detail)"
	" VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const char sql_history_get[] =
	"SELECT project, env, state, version, previous_version, at, run_id, soak_until, detail, seq"
	" FROM promotion_history WHERE plan = :plan AND project = ? AND env = ? ORDER BY seq";

static const char sql_approval_add[] =
	"INSERT INTO approval (plan, gate, role, person, at) VALUES (:plan, ?, ?, ?, ?)"
	" ON CONFLICT (plan, gate, role, person) DO NOTHING";
static const char sql_approval_del[] =
	"DELETE FROM approval WHERE plan = :plan AND gate = ? AND role = ? AND person = ?";
static const char sql_approval_del_all[] = "DELETE FROM approval WHERE plan = :plan AND gate = ? AND person = ?";
const char sql_approval_all[] =
	"SELECT gate, role, person, at FROM approval WHERE plan = :plan"
	" ORDER BY gate, role, at, person";
static const char sql_approval_renew[] =
	"UPDATE approval SET at = ? WHERE plan = :plan AND gate = ? AND role = ? AND person = ?";
static const char sql_approval_version_put[] =
	"INSERT INTO approval_version (plan, gate, role, person, project, version, at)"
	" VALUES (:plan, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (plan, gate, role, person, project) DO UPDATE SET version = excluded.version,"
	" at = excluded.at";
static const char sql_approval_version_del[] =
	"DELETE FROM approval_version WHERE plan = :plan AND gate = ? AND role = ? AND person = ?";
static const char sql_approval_version_del_all[] =
	"DELETE FROM approval_version WHERE plan = :plan AND gate = ? AND person = ?";
const char sql_approval_version_all[] =
	"SELECT gate, role, person, project, version, at FROM approval_version WHERE plan = :plan"
	" ORDER BY gate, role, person, project";

#define REJECTION_COLS \
	"project, version, env, kind, reason, by_person, at, allowed_by, allowed_reason, allowed_at"
static const char sql_rejection_put[] =
	"INSERT INTO rejection (plan, " REJECTION_COLS ")"
	" VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0)"
	" ON CONFLICT (plan, project, version, env) DO UPDATE SET kind = excluded.kind,"
	" reason = excluded.reason, by_person = excluded.by_person, at = excluded.at,"
	" allowed_by = NULL, allowed_reason = NULL, allowed_at = 0";
static const char sql_rejection_drop_allowances[] =
	"DELETE FROM rejection WHERE plan = :plan AND project = ? AND version = ?"
	" AND kind = 'allowance'";
static const char sql_rejection_unallow[] =
	"UPDATE rejection SET allowed_by = NULL, allowed_reason = NULL, allowed_at = 0"
	" WHERE plan = :plan AND project = ? AND version = ?";
static const char sql_rejection_allow_env[] =
	"INSERT INTO rejection (plan, " REJECTION_COLS ")"
	" VALUES (:plan, ?, ?, ?, 'allowance', NULL, NULL, ?, ?, ?, ?)"
	" ON CONFLICT (plan, project, version, env) DO UPDATE SET allowed_by = excluded.allowed_by,"
	" allowed_reason = excluded.allowed_reason, allowed_at = excluded.allowed_at";
static const char sql_rejection_allow_all[] =
	"UPDATE rejection SET allowed_by = ?, allowed_reason = ?, allowed_at = ?"
	" WHERE plan = :plan AND project = ? AND version = ?";
/* a whole row (the baseline's write of the table) */
static const char sql_rejection_row[] =
	"INSERT INTO rejection (plan, " REJECTION_COLS ")"
	" VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const char sql_rejection_all[] =
	"SELECT " REJECTION_COLS " FROM rejection WHERE plan = :plan ORDER BY project, version, env";

static const char sql_tick_put[] =
	"INSERT INTO tick (plan, item, done, by_person, at, note, source, exit_status, output_tail)"
	" VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (plan, item) DO UPDATE SET done = excluded.done, by_person = excluded.by_person,"
	" at = excluded.at, note = excluded.note, source = excluded.source,"
	" exit_status = excluded.exit_status, output_tail = excluded.output_tail";
const char sql_tick_all[] =
	"SELECT item, done, by_person, at, note, source, exit_status, output_tail FROM tick"
	" WHERE plan = :plan ORDER BY item";

static const char sql_blocker_put[] =
	"INSERT INTO blocker (plan, id, progress, resolved, by_person, at, note)"
	" VALUES (:plan, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (plan, id) DO UPDATE SET progress = excluded.progress,"
	" resolved = excluded.resolved, by_person = excluded.by_person, at = excluded.at,"
	" note = excluded.note";
const char sql_blocker_all[] =
	"SELECT id, progress, resolved, by_person, at, note FROM blocker WHERE plan = :plan"
	" ORDER BY id";

#define INCIDENT_COLS \
	"id, level, env, project, text, opened_by, opened_at, resolved_at, resolved_by"
const char sql_incident_next[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM incident WHERE plan = :plan";
static const char sql_incident_add[] =
	"INSERT INTO incident (plan, " INCIDENT_COLS ") VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, 0, NULL)";
const char sql_incident_get[] = "SELECT resolved_at FROM incident WHERE plan = :plan AND id = ?";
static const char sql_incident_resolve[] =
	"UPDATE incident SET resolved_at = ?, resolved_by = ?"
	" WHERE plan = :plan AND id = ? AND resolved_at = 0";
static const char sql_incident_row[] =
	"INSERT INTO incident (plan, " INCIDENT_COLS ") VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const char sql_incident_all[] = "SELECT " INCIDENT_COLS " FROM incident WHERE plan = :plan ORDER BY id";
const char sql_incident_one[] =
	"SELECT " INCIDENT_COLS " FROM incident WHERE plan = :plan AND id = ?";
const char sql_incident_open[] =
	"SELECT " INCIDENT_COLS " FROM incident"
	" WHERE plan = :plan AND resolved_at = 0 AND level >= ? ORDER BY id";

#define LEASE_COLS "project, env, host, pid, pgid, run_id, acquired, expires"
const char sql_lease_get[] =
	"SELECT " LEASE_COLS " FROM lease WHERE plan = :plan AND project = ? AND env = ?";
const char sql_lease_put[] =
	"INSERT INTO lease (plan, " LEASE_COLS ") VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (plan, project, env) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
	" pgid = excluded.pgid, run_id = excluded.run_id, acquired = excluded.acquired,"
	" expires = excluded.expires";
const char sql_lease_renew[] =
	"UPDATE lease SET expires = ?, pgid = COALESCE(?, pgid)"
	" WHERE plan = :plan AND project = ? AND env = ? AND run_id = ?";
const char sql_lease_del[] =
	"DELETE FROM lease WHERE plan = :plan AND project = ? AND env = ? AND run_id = ?";
const char sql_lease_cas[] =
	"UPDATE lease SET host = ?, pid = ?, pgid = ?, run_id = ?, acquired = ?, expires = ?"
	" WHERE plan = :plan AND project = ? AND env = ? AND run_id = ?";
const char sql_lease_push[] =
	"UPDATE lease SET expires = ? WHERE plan = :plan AND project = ? AND env = ? AND run_id = ?";
const char sql_lease_all[] =
	"SELECT " LEASE_COLS " FROM lease WHERE plan = :plan ORDER BY project, env";

const char sql_step_put[] =
	"INSERT INTO step_run (plan, run_id, project, env, step, started, ended, exit_status,"
	" log_path, duration_ms) VALUES (:plan, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (plan, run_id, project, env, step) DO UPDATE SET started = excluded.started,"
	" ended = excluded.ended, exit_status = excluded.exit_status, log_path = excluded.log_path,"
	" duration_ms = excluded.duration_ms";
const char sql_step_list[] =
	"SELECT run_id, project, env, step, started, ended, exit_status, log_path, duration_ms"
	" FROM step_run"
	" WHERE plan = :plan AND (CAST(? AS TEXT) IS NULL OR project = ?) AND (CAST(? AS TEXT) IS NULL OR env = ?)"
	" AND (CAST(? AS TEXT) IS NULL OR step = ?)"
	" ORDER BY started DESC, run_id DESC LIMIT ?";
/* how long each finished run of a pair took, deploy and verify together,
 * in milliseconds (forecast.c's expected durations); runs whose deploy and
 * verify all succeeded only */
const char sql_step_durations[] =
	"SELECT project, CAST(SUM(CASE WHEN duration_ms > 0 THEN duration_ms"
	" ELSE (ended - started) * 1000 END) AS BIGINT)"
	" FROM step_run WHERE plan = :plan AND (step = 'deploy' OR step = 'verify')"
	" GROUP BY project, env, run_id"
	" HAVING MIN(exit_status) = 0 AND MAX(exit_status) = 0 AND MIN(ended) > 0"
	" ORDER BY project";
/* one run's steps, in the order they started (GET /api/v1/runs/{id}) */
const char sql_step_of_run[] =
	"SELECT run_id, project, env, step, started, ended, exit_status, log_path, duration_ms"
	" FROM step_run WHERE plan = :plan AND run_id = ? ORDER BY started, project, step";

/* ---- API tokens (store-token.c): identity data, not state ----------------- */

#define TOKEN_COLS \
	"id, person, name, hash, created_at, expires_at, revoked_at, created_by, last_used_at"
const char sql_token_add[] =
	"INSERT INTO token (plan, " TOKEN_COLS ") VALUES (:plan, ?, ?, ?, ?, ?, ?, 0, ?, 0)";
const char sql_token_get[] = "SELECT " TOKEN_COLS " FROM token WHERE plan = :plan AND id = ?";
const char sql_token_all[] =
	"SELECT " TOKEN_COLS " FROM token WHERE plan = :plan ORDER BY created_at, id";
const char sql_token_revoke[] =
	"UPDATE token SET revoked_at = ? WHERE plan = :plan AND id = ? AND revoked_at = 0";
/* last use, kept coarse (params: now, id, now - resolution): one write per
 * token per resolution at most, never one per request */
const char sql_token_used[] =
	"UPDATE token SET last_used_at = ? WHERE plan = :plan AND id = ? AND last_used_at <= ?";

#define SESSION_COLS "id, token_id, person, hash, created_at, expires_at, ended_at"
const char sql_session_add[] =
	"INSERT INTO session (plan, id, token_id, person, hash, created_at, expires_at)"
	" VALUES (:plan, ?, ?, ?, ?, ?, ?)";
const char sql_session_get[] =
	"SELECT " SESSION_COLS " FROM session WHERE plan = :plan AND id = ?";
const char sql_session_end[] =
	"UPDATE session SET ended_at = ? WHERE plan = :plan AND id = ? AND ended_at = 0";
#undef TOKEN_COLS

/* ---- ids the state names: renames and forgetting (store-ids.c) ------------- */

/*
 * The distinct ids the state names (store_each_state_id): (kind, id), kind as
 * enum store_id_kind, each once. The promotions' pairs, the approvals, ticks
 * and blockers, and the projects and environments of rejections and of
 * approvals given for a project's version that no promotion names (small
 * tables: each row looks its id up in promotion's key); history, leases and
 * step runs follow their promotions, and incidents are records of what
 * happened, resolved by number. (An environment's rows are all over the
 * table: DISTINCT, in a subquery, reads it once into a small hash instead of
 * sorting it, several times faster on SQLite.)
 */
const char sql_state_ids[] =
	"SELECT 0, project FROM promotion WHERE plan = :plan GROUP BY project"
	" UNION ALL SELECT * FROM (SELECT DISTINCT 1, env FROM promotion WHERE plan = :plan) AS e"
	" UNION ALL SELECT 2, gate FROM approval WHERE plan = :plan GROUP BY gate"
	" UNION ALL SELECT 3, item FROM tick WHERE plan = :plan"
	" UNION ALL SELECT 4, id FROM blocker WHERE plan = :plan"
	" UNION ALL SELECT 0, x.project FROM (SELECT project FROM rejection WHERE plan = :plan"
	" UNION SELECT project FROM approval_version WHERE plan = :plan) AS x"
	" WHERE NOT EXISTS (SELECT 1 FROM promotion p WHERE p.plan = :plan"
	" AND p.project = x.project)"
	" UNION ALL SELECT 1, y.env FROM (SELECT DISTINCT env FROM rejection"
	" WHERE plan = :plan AND env <> '*') AS y"
	" WHERE NOT EXISTS (SELECT 1 FROM promotion p WHERE p.plan = :plan AND p.env = y.env)";

/* Renames (the plan's `moved`): params (to, from). */
#define MOVE(t, col) "UPDATE " t " SET " col " = ? WHERE plan = :plan AND " col " = ?"
static const char sql_promotion_move_project[] = MOVE("promotion", "project");
static const char sql_history_move_project[] = MOVE("promotion_history", "project");
static const char sql_incident_move_project[] = MOVE("incident", "project");
static const char sql_promotion_move_env[] = MOVE("promotion", "env");
static const char sql_history_move_env[] = MOVE("promotion_history", "env");
static const char sql_incident_move_env[] = MOVE("incident", "env");
static const char sql_approval_move_gate[] = MOVE("approval", "gate");
static const char sql_tick_move_item[] = MOVE("tick", "item");
static const char sql_blocker_move_id[] = MOVE("blocker", "id");
static const char sql_approval_version_move_project[] = MOVE("approval_version", "project");
static const char sql_approval_version_move_gate[] = MOVE("approval_version", "gate");
static const char sql_rejection_move_project[] = MOVE("rejection", "project");
static const char sql_rejection_move_env[] = MOVE("rejection", "env");
static const char sql_lease_move_project[] = MOVE("lease", "project");
static const char sql_step_move_project[] = MOVE("step_run", "project");
static const char sql_lease_move_env[] = MOVE("lease", "env");
static const char sql_step_move_env[] = MOVE("step_run", "env");
#undef MOVE

/* Forgetting (`tollgate forget`): param (id). Incidents stay. */
#define FORGET(t, col) "DELETE FROM " t " WHERE plan = :plan AND " col " = ?"
static const char sql_promotion_forget_project[] = FORGET("promotion", "project");
static const char sql_history_forget_project[] = FORGET("promotion_history", "project");
static const char sql_promotion_forget_env[] = FORGET("promotion", "env");
static const char sql_history_forget_env[] = FORGET("promotion_history", "env");
static const char sql_approval_forget_gate[] = FORGET("approval", "gate");
static const char sql_tick_forget_item[] = FORGET("tick", "item");
static const char sql_blocker_forget_id[] = FORGET("blocker", "id");
static const char sql_approval_version_forget_project[] = FORGET("approval_version", "project");
static const char sql_approval_version_forget_gate[] = FORGET("approval_version", "gate");
static const char sql_rejection_forget_project[] = FORGET("rejection", "project");
static const char sql_rejection_forget_env[] = FORGET("rejection", "env");
static const char sql_lease_forget_project[] = FORGET("lease", "project");
static const char sql_step_forget_project[] = FORGET("step_run", "project");
static const char sql_lease_forget_env[] = FORGET("lease", "env");
static const char sql_step_forget_env[] = FORGET("step_run", "env");
#undef FORGET

/* Per enum store_id_kind: the state writes (registered below, so that the
 * log records and replays them) and the coordination rows that follow. */
const struct store_id_sql store_id_moves[STORE_ID_KINDS] = {
	[STORE_ID_PROJECT] = { { W_PROMOTION_MOVE_PROJECT, W_HISTORY_MOVE_PROJECT,
				 W_INCIDENT_MOVE_PROJECT, W_APPROVAL_VERSION_MOVE_PROJECT,
				 W_REJECTION_MOVE_PROJECT }, 5,
			       { sql_lease_move_project, sql_step_move_project }, 2 },
	[STORE_ID_ENV] = { { W_PROMOTION_MOVE_ENV, W_HISTORY_MOVE_ENV, W_INCIDENT_MOVE_ENV,
			     W_REJECTION_MOVE_ENV }, 4,
			   { sql_lease_move_env, sql_step_move_env }, 2 },
	[STORE_ID_GATE] = { { W_APPROVAL_MOVE_GATE, W_APPROVAL_VERSION_MOVE_GATE }, 2, { NULL }, 0 },
	[STORE_ID_ITEM] = { { W_TICK_MOVE_ITEM }, 1, { NULL }, 0 },
	[STORE_ID_BLOCKER] = { { W_BLOCKER_MOVE_ID }, 1, { NULL }, 0 },
};
const struct store_id_sql store_id_forgets[STORE_ID_KINDS] = {
	[STORE_ID_PROJECT] = { { W_PROMOTION_FORGET_PROJECT, W_HISTORY_FORGET_PROJECT,
				 W_APPROVAL_VERSION_FORGET_PROJECT, W_REJECTION_FORGET_PROJECT }, 4,
			       { sql_lease_forget_project, sql_step_forget_project }, 2 },
	[STORE_ID_ENV] = { { W_PROMOTION_FORGET_ENV, W_HISTORY_FORGET_ENV, W_REJECTION_FORGET_ENV }, 3,
			   { sql_lease_forget_env, sql_step_forget_env }, 2 },
	[STORE_ID_GATE] = { { W_APPROVAL_FORGET_GATE, W_APPROVAL_VERSION_FORGET_GATE }, 2, { NULL }, 0 },
	[STORE_ID_ITEM] = { { W_TICK_FORGET_ITEM }, 1, { NULL }, 0 },
	[STORE_ID_BLOCKER] = { { W_BLOCKER_FORGET_ID }, 1, { NULL }, 0 },
};

/* ---- the registry of state writes ------------------------------------------ */

/* Indexed by enum store_write_id. The name is what the log records. */
const struct store_write store_writes[W_COUNT] = {
	[W_PROMOTION_PUT] = { "promotion.put", sql_promotion_put, 10 },
	[W_HISTORY_ADD] = { "history.add", sql_history_add, 10 },
	[W_APPROVAL_ADD] = { "approval.add", sql_approval_add, 4 },
	[W_APPROVAL_DEL] = { "approval.del", sql_approval_del, 3 },
	[W_APPROVAL_DEL_ALL] = { "approval.del_all", sql_approval_del_all, 2 },
	[W_TICK_PUT] = { "tick.put", sql_tick_put, 8 },
	[W_BLOCKER_PUT] = { "blocker.put", sql_blocker_put, 6 },
	[W_INCIDENT_ADD] = { "incident.add", sql_incident_add, 7 },
	[W_INCIDENT_RESOLVE] = { "incident.resolve", sql_incident_resolve, 3 },
	[W_INCIDENT_ROW] = { "incident.row", sql_incident_row, 9 },
	[W_APPROVAL_RENEW] = { "approval.renew", sql_approval_renew, 4 },
	[W_APPROVAL_VERSION_PUT] = { "approval_version.put", sql_approval_version_put, 6 },
	[W_APPROVAL_VERSION_DEL] = { "approval_version.del", sql_approval_version_del, 3 },
	[W_APPROVAL_VERSION_DEL_ALL] = { "approval_version.del_all", sql_approval_version_del_all, 2 },
	[W_REJECTION_PUT] = { "rejection.put", sql_rejection_put, 7 },
	[W_REJECTION_DROP_ALLOWANCES] = { "rejection.drop_allowances", sql_rejection_drop_allowances,
					  2 },
	[W_REJECTION_UNALLOW] = { "rejection.unallow", sql_rejection_unallow, 2 },
	[W_REJECTION_ALLOW_ENV] = { "rejection.allow_env", sql_rejection_allow_env, 7 },
	[W_REJECTION_ALLOW_ALL] = { "rejection.allow_all", sql_rejection_allow_all, 5 },
	[W_REJECTION_ROW] = { "rejection.row", sql_rejection_row, 10 },
	/* the plan's `moved` (issue 9 item 4): params (to, from) */
	[W_PROMOTION_MOVE_PROJECT] = { "promotion.move_project", sql_promotion_move_project, 2 },
	[W_HISTORY_MOVE_PROJECT] = { "history.move_project", sql_history_move_project, 2 },
	[W_INCIDENT_MOVE_PROJECT] = { "incident.move_project", sql_incident_move_project, 2 },
	[W_PROMOTION_MOVE_ENV] = { "promotion.move_env", sql_promotion_move_env, 2 },
	[W_HISTORY_MOVE_ENV] = { "history.move_env", sql_history_move_env, 2 },
	[W_INCIDENT_MOVE_ENV] = { "incident.move_env", sql_incident_move_env, 2 },
	[W_APPROVAL_MOVE_GATE] = { "approval.move_gate", sql_approval_move_gate, 2 },
	[W_TICK_MOVE_ITEM] = { "tick.move_item", sql_tick_move_item, 2 },
	[W_BLOCKER_MOVE_ID] = { "blocker.move_id", sql_blocker_move_id, 2 },
	/* `tollgate forget`: param (id) */
	[W_PROMOTION_FORGET_PROJECT] = { "promotion.forget_project", sql_promotion_forget_project, 1 },
	[W_HISTORY_FORGET_PROJECT] = { "history.forget_project", sql_history_forget_project, 1 },
	[W_PROMOTION_FORGET_ENV] = { "promotion.forget_env", sql_promotion_forget_env, 1 },
	[W_HISTORY_FORGET_ENV] = { "history.forget_env", sql_history_forget_env, 1 },
	[W_APPROVAL_FORGET_GATE] = { "approval.forget_gate", sql_approval_forget_gate, 1 },
	[W_TICK_FORGET_ITEM] = { "tick.forget_item", sql_tick_forget_item, 1 },
	[W_BLOCKER_FORGET_ID] = { "blocker.forget_id", sql_blocker_forget_id, 1 },
	/* the same for the tables of schema v5 */
	[W_APPROVAL_VERSION_MOVE_PROJECT] = { "approval_version.move_project",
					      sql_approval_version_move_project, 2 },
	[W_APPROVAL_VERSION_MOVE_GATE] = { "approval_version.move_gate",
					   sql_approval_version_move_gate, 2 },
	[W_REJECTION_MOVE_PROJECT] = { "rejection.move_project", sql_rejection_move_project, 2 },
	[W_REJECTION_MOVE_ENV] = { "rejection.move_env", sql_rejection_move_env, 2 },
	[W_APPROVAL_VERSION_FORGET_PROJECT] = { "approval_version.forget_project",
						sql_approval_version_forget_project, 1 },
	[W_APPROVAL_VERSION_FORGET_GATE] = { "approval_version.forget_gate",
					     sql_approval_version_forget_gate, 1 },
	[W_REJECTION_FORGET_PROJECT] = { "rejection.forget_project", sql_rejection_forget_project, 1 },
	[W_REJECTION_FORGET_ENV] = { "rejection.forget_env", sql_rejection_forget_env, 1 },
};

/*
 * The tables of state, as `log --verify` compares them: cols is the whole
 * row (in the order of the full-row write `row`, which a baseline uses), the
 * first nkey columns name a row in messages. rows_sql reads every row.
 */
#define HISTORY_COLS \
	"project, env, seq, at, state, version, previous_version, run_id, soak_until, detail"
#define TICK_COLS "item, done, by_person, at, note, source, exit_status, output_tail"
#define BLOCKER_COLS "id, progress, resolved, by_person, at, note"
#define APPROVAL_COLS "gate, role, person, at"
static const char sql_history_rows[] = "SELECT " HISTORY_COLS " FROM promotion_history WHERE plan = :plan";
static const char sql_approval_rows[] = "SELECT " APPROVAL_COLS " FROM approval WHERE plan = :plan";
static const char sql_promotion_rows[] = "SELECT " PROMO_COLS " FROM promotion WHERE plan = :plan";
static const char sql_tick_rows[] = "SELECT " TICK_COLS " FROM tick WHERE plan = :plan";
static const char sql_blocker_rows[] = "SELECT " BLOCKER_COLS " FROM blocker WHERE plan = :plan";
static const char sql_incident_rows[] = "SELECT " INCIDENT_COLS " FROM incident WHERE plan = :plan";
#define APPROVAL_VERSION_COLS "gate, role, person, project, version, at"
static const char sql_approval_version_rows[] =
	"SELECT " APPROVAL_VERSION_COLS " FROM approval_version WHERE plan = :plan";
static const char sql_rejection_rows[] = "SELECT " REJECTION_COLS " FROM rejection WHERE plan = :plan";

const struct store_table store_state_tables[] = {
	{ "promotion", PROMO_COLS, 10, 2, sql_promotion_rows, W_PROMOTION_PUT },
	{ "promotion_history", HISTORY_COLS, 10, 3, sql_history_rows, W_HISTORY_ADD },
	{ "approval", APPROVAL_COLS, 4, 3, sql_approval_rows, W_APPROVAL_ADD },
	{ "tick", TICK_COLS, 8, 1, sql_tick_rows, W_TICK_PUT },
	{ "blocker", BLOCKER_COLS, 6, 1, sql_blocker_rows, W_BLOCKER_PUT },
	{ "incident", INCIDENT_COLS, 9, 1, sql_incident_rows, W_INCIDENT_ROW },
	{ "approval_version", APPROVAL_VERSION_COLS, 6, 4, sql_approval_version_rows,
	  W_APPROVAL_VERSION_PUT },
	{ "rejection", REJECTION_COLS, 10, 3, sql_rejection_rows, W_REJECTION_ROW },
};
const size_t store_nstate_tables = ARRAY_SIZE(store_state_tables);

/* Who the session is, for `identity: db` (issue 9 §5): run only on a backend
 * with users of its own (PostgreSQL); SQLite has none. */
const char sql_session_user[] = "SELECT session_user";

/* ---- the notification outbox (store-outbox.c): coordination, not state ---- */
#define OUTBOX_COLS                                                                        \
	"id, delivery_id, channel, seq, event, subject, payload, state, attempts, next_at,"  \
	" last_error, claimed_by, claimed_until, created_at, sent_at"
const char sql_outbox_add[] =
	"INSERT INTO outbox (plan, id, delivery_id, channel, seq, event, subject, payload, state,"
	" next_at, created_at)"
	" SELECT :plan, COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ?, ?, 'pending', ?, ? FROM outbox"
	" WHERE plan = :plan";
/* due, unclaimed, and first pending of its (channel, subject); params: now,
 * now, max. The second for backends with skip_locked (PostgreSQL). */
#define OUTBOX_DUE                                                                         \
	"SELECT id FROM outbox o WHERE o.plan = :plan AND o.id IN (SELECT MIN(id) FROM outbox"    \
	" WHERE plan = :plan AND state = 'pending' GROUP BY channel, subject)"                   \
	" AND o.state = 'pending' AND o.next_at <= ? AND o.claimed_until <= ? ORDER BY o.id LIMIT ?"
const char sql_outbox_due[] = OUTBOX_DUE;
const char sql_outbox_due_skip_locked[] = OUTBOX_DUE " FOR UPDATE SKIP LOCKED";
#undef OUTBOX_DUE
const char sql_outbox_claim[] =
	"UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE plan = :plan AND id = ?";
const char sql_outbox_hold[] =
	"UPDATE outbox SET claimed_until = ? WHERE plan = :plan AND id = ? AND claimed_by = ?"
	" AND state = 'pending' AND claimed_until > ?";
const char sql_outbox_get[] = "SELECT " OUTBOX_COLS " FROM outbox WHERE plan = :plan AND id = ?";
const char sql_outbox_sent[] =
	"UPDATE outbox SET state = 'sent', attempts = attempts + 1, sent_at = ?, last_error = NULL,"
	" claimed_by = NULL, claimed_until = 0"
	" WHERE plan = :plan AND id = ? AND claimed_by = ? AND state = 'pending'";
const char sql_outbox_failed[] =
	"UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ?, next_at = ?,"
	" claimed_by = NULL, claimed_until = 0"
	" WHERE plan = :plan AND id = ? AND claimed_by = ? AND state = 'pending'";
const char sql_outbox_all[] = "SELECT " OUTBOX_COLS " FROM outbox WHERE plan = :plan ORDER BY id";
const char sql_outbox_dead[] =
	"SELECT " OUTBOX_COLS " FROM outbox WHERE plan = :plan AND state = 'dead' ORDER BY id";
const char sql_outbox_retry[] =
	"UPDATE outbox SET state = 'pending', attempts = 0, next_at = ?, claimed_by = NULL,"
	" claimed_until = 0 WHERE plan = :plan AND id = ? AND state <> 'sent'";
const char sql_outbox_counts[] =
	"SELECT channel, state, COUNT(*) FROM outbox WHERE plan = :plan GROUP BY channel, state"
	" ORDER BY channel, state";
/* sent before ?, and not the newest row (ids are MAX(id) + 1: never reused) */
const char sql_outbox_prune[] =
	"DELETE FROM outbox WHERE plan = :plan AND state = 'sent' AND sent_at < ?"
	" AND id < (SELECT MAX(id) FROM outbox WHERE plan = :plan)";
/* schedule slots handled before ?, except each schedule's latest (the one
 * notify_schedule_due compares with) */
const char sql_schedule_prune[] =
	"DELETE FROM schedule_slot WHERE plan = :plan AND handled_at < ? AND slot < (SELECT MAX(slot)"
	" FROM schedule_slot l WHERE l.plan = :plan AND l.schedule = schedule_slot.schedule)";
/* when the next pending message is due, claims counted (-1: none) */
const char sql_outbox_next[] =
	"SELECT COALESCE(MIN(CASE WHEN claimed_until > next_at THEN claimed_until ELSE next_at END), -1)"
	" FROM outbox WHERE plan = :plan AND state = 'pending'";
const char sql_schedule_last[] =
	"SELECT COALESCE(MAX(slot), 0) FROM schedule_slot WHERE plan = :plan AND schedule = ?";
const char sql_schedule_mark[] =
	"INSERT INTO schedule_slot (plan, schedule, slot, state, handled_at) VALUES (:plan, ?, ?, ?, ?)"
	" ON CONFLICT DO NOTHING";
#undef OUTBOX_COLS
