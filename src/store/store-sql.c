/*
 * store-sql.c - every SQL statement the store runs, written once for both
 * backends. The common subset is enough: TEXT and BIGINT columns, `?`
 * placeholders (the PostgreSQL backend rewrites them to $n), and
 * INSERT ... ON CONFLICT DO UPDATE, which SQLite (3.24+) and PostgreSQL spell
 * the same way. Times are BIGINT seconds since the epoch, passed in by the
 * caller: neither database's clock is ever used.
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

const char *const sql_schema[] = { schema_v1, schema_v2, NULL };

const char sql_meta_create[] =
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)";
/* what an open reads: the schema version and the clock the store was made on */
const char sql_meta_open[] =
	"SELECT key, value FROM meta WHERE key IN ('schema_version', 'clock')";
/* written once, when the store is created: 'rehearsal' or 'real' */
const char sql_meta_set_clock[] = "INSERT INTO meta (key, value) VALUES ('clock', ?)";
const char sql_set_version[] =
	"INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
	" ON CONFLICT (key) DO UPDATE SET value = excluded.value";

const char sql_audit_head[] =
	"SELECT key, value FROM meta WHERE key IN ('audit_seq', 'audit_hash')";
const char sql_audit_set_head[] = "UPDATE meta SET value = ? WHERE key = ?";
const char sql_audit_insert[] =
	"INSERT INTO audit (seq, at, actor, action, subject, detail, prev_hash, hash)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const char sql_audit_all[] =
	"SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit ORDER BY seq";
const char sql_audit_last[] =
	"SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit"
	" WHERE seq > (SELECT COALESCE(MAX(seq), 0) FROM audit) - ? ORDER BY seq";
const char sql_audit_count[] = "SELECT COUNT(*) FROM audit";
/* the time of the head entry: the next one is never dated before it */
const char sql_audit_at[] = "SELECT at FROM audit WHERE seq = ?";

#define PROMO_COLS \
	"project, env, state, version, previous_version, since, run_id, soak_until, detail, seq"
const char sql_promotion_get[] =
	"SELECT " PROMO_COLS " FROM promotion WHERE project = ? AND env = ?";
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
	" (SELECT COUNT(*) FROM promotion_history h WHERE h.project = promotion.project" \
	" AND h.env = promotion.env AND h.state = 'rolled-back' AND h.at > CAST(? AS BIGINT)" \
	" AND h.seq > COALESCE((SELECT MAX(l.seq) FROM promotion_history l" \
	" WHERE l.project = promotion.project AND l.env = promotion.env" \
	" AND l.state IN ('soaking', 'healthy')), -1)) ELSE 0 END," \
	" CASE WHEN CAST(? AS BIGINT) = 1 AND run_id IS NOT NULL THEN" \
	" (SELECT s.log_path FROM step_run s WHERE s.project = promotion.project" \
	" AND s.env = promotion.env ORDER BY s.started DESC, s.run_id DESC LIMIT 1) END"
#define P8 "?, ?, ?, ?, ?, ?, ?, ?"
#define P32 P8 ", " P8 ", " P8 ", " P8
#define IN_PROJECTS \
	" WHERE project IN (" P32 ", " P32 ", " P32 ", " P32 ", " P32 ", " P32 ", " P32 ", " P32 ")"
const char sql_promotion_all[] = "SELECT " PROMO_COLS " FROM promotion ORDER BY project, env";
const char sql_promotion_of[] = "SELECT " PROMO_COLS " FROM promotion" IN_PROJECTS;
const char sql_promotion_snap_all[] =
	"SELECT " PROMO_COLS SNAP_EXTRA " FROM promotion ORDER BY project, env";
const char sql_promotion_snap_of[] = "SELECT " PROMO_COLS SNAP_EXTRA " FROM promotion" IN_PROJECTS;
#undef IN_PROJECTS
#undef P32
#undef P8
#undef SNAP_EXTRA
/* The hold count of one pair (params: project, env, after, project, env). */
const char sql_rollbacks_pair[] =
	"SELECT COUNT(*) FROM promotion_history h WHERE h.project = ? AND h.env = ?"
	" AND h.state = 'rolled-back' AND h.at > CAST(? AS BIGINT)"
	" AND h.seq > COALESCE((SELECT MAX(l.seq) FROM promotion_history l"
	" WHERE l.project = ? AND l.env = ? AND l.state IN ('soaking', 'healthy')), -1)";
const char sql_promotion_put[] =
	"INSERT INTO promotion (" PROMO_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (project, env) DO UPDATE SET state = excluded.state,"
	" version = excluded.version, previous_version = excluded.previous_version,"
	" since = excluded.since, run_id = excluded.run_id, soak_until = excluded.soak_until,"
	" detail = excluded.detail, seq = excluded.seq";
const char sql_history_add[] =
	"INSERT INTO promotion_history (project, env, seq, at, state, version, previous_version,"
	" run_id, soak_until, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const char sql_history_get[] =
	"SELECT project, env, state, version, previous_version, at, run_id, soak_until, detail, seq"
	" FROM promotion_history WHERE project = ? AND env = ? ORDER BY seq";

const char sql_approval_add[] =
	"INSERT INTO approval (gate, role, person, at) VALUES (?, ?, ?, ?)"
	" ON CONFLICT (gate, role, person) DO NOTHING";
const char sql_approval_del[] =
	"DELETE FROM approval WHERE gate = ? AND role = ? AND person = ?";
const char sql_approval_del_all[] = "DELETE FROM approval WHERE gate = ? AND person = ?";
const char sql_approval_all[] =
	"SELECT gate, role, person, at FROM approval ORDER BY gate, role, at, person";

const char sql_tick_put[] =
	"INSERT INTO tick (item, done, by_person, at, note, source, exit_status, output_tail)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (item) DO UPDATE SET done = excluded.done, by_person = excluded.by_person,"
	" at = excluded.at, note = excluded.note, source = excluded.source,"
	" exit_status = excluded.exit_status, output_tail = excluded.output_tail";
const char sql_tick_all[] =
	"SELECT item, done, by_person, at, note, source, exit_status, output_tail FROM tick"
	" ORDER BY item";

const char sql_blocker_put[] =
	"INSERT INTO blocker (id, progress, resolved, by_person, at, note) VALUES (?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (id) DO UPDATE SET progress = excluded.progress,"
	" resolved = excluded.resolved, by_person = excluded.by_person, at = excluded.at,"
	" note = excluded.note";
const char sql_blocker_all[] =
	"SELECT id, progress, resolved, by_person, at, note FROM blocker ORDER BY id";

#define INCIDENT_COLS \
	"id, level, env, project, text, opened_by, opened_at, resolved_at, resolved_by"
const char sql_incident_next[] = "SELECT COALESCE(MAX(id), 0) + 1 FROM incident";
const char sql_incident_add[] =
	"INSERT INTO incident (" INCIDENT_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, 0, NULL)";
const char sql_incident_get[] = "SELECT resolved_at FROM incident WHERE id = ?";
const char sql_incident_resolve[] =
	"UPDATE incident SET resolved_at = ?, resolved_by = ? WHERE id = ? AND resolved_at = 0";
const char sql_incident_all[] = "SELECT " INCIDENT_COLS " FROM incident ORDER BY id";
const char sql_incident_open[] =
	"SELECT " INCIDENT_COLS " FROM incident WHERE resolved_at = 0 AND level >= ? ORDER BY id";

#define LEASE_COLS "project, env, host, pid, pgid, run_id, acquired, expires"
const char sql_lease_get[] =
	"SELECT " LEASE_COLS " FROM lease WHERE project = ? AND env = ?";
const char sql_lease_put[] =
	"INSERT INTO lease (" LEASE_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (project, env) DO UPDATE SET host = excluded.host, pid = excluded.pid,"
	" pgid = excluded.pgid, run_id = excluded.run_id, acquired = excluded.acquired,"
	" expires = excluded.expires";
const char sql_lease_renew[] =
	"UPDATE lease SET expires = ?, pgid = COALESCE(?, pgid)"
	" WHERE project = ? AND env = ? AND run_id = ?";
const char sql_lease_del[] = "DELETE FROM lease WHERE project = ? AND env = ? AND run_id = ?";
const char sql_lease_cas[] =
	"UPDATE lease SET host = ?, pid = ?, pgid = ?, run_id = ?, acquired = ?, expires = ?"
	" WHERE project = ? AND env = ? AND run_id = ?";
const char sql_lease_push[] =
	"UPDATE lease SET expires = ? WHERE project = ? AND env = ? AND run_id = ?";
const char sql_lease_all[] = "SELECT " LEASE_COLS " FROM lease ORDER BY project, env";

const char sql_step_put[] =
	"INSERT INTO step_run (run_id, project, env, step, started, ended, exit_status, log_path,"
	" duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
	" ON CONFLICT (run_id, project, env, step) DO UPDATE SET started = excluded.started,"
	" ended = excluded.ended, exit_status = excluded.exit_status, log_path = excluded.log_path,"
	" duration_ms = excluded.duration_ms";
const char sql_step_list[] =
	"SELECT run_id, project, env, step, started, ended, exit_status, log_path, duration_ms"
	" FROM step_run"
	" WHERE (CAST(? AS TEXT) IS NULL OR project = ?) AND (CAST(? AS TEXT) IS NULL OR env = ?)"
	" AND (CAST(? AS TEXT) IS NULL OR step = ?)"
	" ORDER BY started DESC, run_id DESC LIMIT ?";

/*
 * Ids the state names (store_state_ids): (kind, id), kind as enum
 * store_id_kind. The promotions' pairs, the approvals, ticks and blockers;
 * history, leases and step runs follow their promotions, and incidents are
 * records of what happened, resolved by number.
 */
/* (an environment's rows are all over the table: DISTINCT, in a subquery,
 * reads it once into a small hash instead of sorting it, several times
 * faster on SQLite) */
const char sql_state_ids[] =
	"SELECT 0, project FROM promotion GROUP BY project"
	" UNION ALL SELECT * FROM (SELECT DISTINCT 1, env FROM promotion) AS e"
	" UNION ALL SELECT 2, gate FROM approval GROUP BY gate"
	" UNION ALL SELECT 3, item FROM tick"
	" UNION ALL SELECT 4, id FROM blocker";

/* Renames (store_move_id): params (to, from). The first of each kind counts. */
const char *const sql_move_project[] = {
	"UPDATE promotion SET project = ? WHERE project = ?",
	"UPDATE promotion_history SET project = ? WHERE project = ?",
	"UPDATE lease SET project = ? WHERE project = ?",
	"UPDATE step_run SET project = ? WHERE project = ?",
	"UPDATE incident SET project = ? WHERE project = ?",
	NULL,
};
const char *const sql_move_env[] = {
	"UPDATE promotion SET env = ? WHERE env = ?",
	"UPDATE promotion_history SET env = ? WHERE env = ?",
	"UPDATE lease SET env = ? WHERE env = ?",
	"UPDATE step_run SET env = ? WHERE env = ?",
	"UPDATE incident SET env = ? WHERE env = ?",
	NULL,
};
const char *const sql_move_gate[] = { "UPDATE approval SET gate = ? WHERE gate = ?", NULL };
const char *const sql_move_item[] = { "UPDATE tick SET item = ? WHERE item = ?", NULL };
const char *const sql_move_blocker[] = { "UPDATE blocker SET id = ? WHERE id = ?", NULL };

/* Forgetting (store_forget_id): param (id). The first of each kind counts. */
const char *const sql_forget_project[] = {
	"DELETE FROM promotion WHERE project = ?",
	"DELETE FROM promotion_history WHERE project = ?",
	"DELETE FROM lease WHERE project = ?",
	"DELETE FROM step_run WHERE project = ?",
	NULL,
};
const char *const sql_forget_env[] = {
	"DELETE FROM promotion WHERE env = ?",
	"DELETE FROM promotion_history WHERE env = ?",
	"DELETE FROM lease WHERE env = ?",
	"DELETE FROM step_run WHERE env = ?",
	NULL,
};
const char *const sql_forget_gate[] = { "DELETE FROM approval WHERE gate = ?", NULL };
const char *const sql_forget_item[] = { "DELETE FROM tick WHERE item = ?", NULL };
const char *const sql_forget_blocker[] = { "DELETE FROM blocker WHERE id = ?", NULL };
