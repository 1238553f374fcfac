#!/bin/bash
# log-state.sh - `log --verify` proves the state from the log (issue 9, item
# 7): rows forged, changed or deleted by SQL behind tollgate's back, a
# truncated log with its head rewritten and a chain re-hashed with the
# documented formula are all caught, the last two by anchors (`log --head`,
# `--verify --anchor SEQ:HASH`). Also the `auth` of each entry, and a store
# from before row changes were logged (schema 3), which is given a baseline.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

backend_store
export TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$TOLLGATE_SRC/tests/fixtures/state-small.yaml" tollgate.yaml
# gate-4 approves the plan as a whole here (no candidates needed: this test
# is about the log, approvals.sh about what an approval covers)
sed -i 's/{id: gate-4, approvers: \[product-owner, ops-lead\], before: {env: prod}}/{id: gate-4, approvers: [product-owner, ops-lead], before: {env: prod}, scope: plan}/' tollgate.yaml
grep -q "scope: plan" tollgate.yaml || { echo "log-state.sh: the fixture's gate-4 moved" >&2; exit 1; }

# a new, empty store for the next part
fresh_store() {
	rm -f "$T/state.db" "$T/state.db-wal" "$T/state.db-shm"
	backend_store
}

verify_ok() {
	run log --verify "$@"
	expect_rc 0
	expect_err_empty
}

# a few of every kind of change
run record api dev --version a-1 --as tom
expect_rc 0
TOLLGATE_NOW=2026-01-10T09:10:00Z run approve gate-4 --as paula --role product-owner
expect_rc 0
TOLLGATE_NOW=2026-01-10T09:20:00Z run approve gate-4 --as olga
expect_rc 0
TOLLGATE_NOW=2026-01-10T09:30:00Z run revoke gate-4 --as olga
expect_rc 0
TOLLGATE_NOW=2026-01-10T09:40:00Z run check api-tests --as sam --note "green"
expect_rc 0
TOLLGATE_NOW=2026-01-10T09:50:00Z run blocker api_infra --progress 80 --as dana
expect_rc 0
TOLLGATE_NOW=2026-01-10T10:00:00Z run incident open --level 1 --env dev --project api "slow" --as tom
expect_rc 0
TOLLGATE_NOW=2026-01-10T10:10:00Z run incident resolve 1 --as tom
expect_rc 0

verify_ok
[ "$out" = "$REHEARSAL_MARK
audit log verified: 8 entries; the state (6 rows) is what they wrote" ] ||
	fail "verify: $out"
checks=$((checks + 1))
run log --verify --json
expect_rc 0
expect_json "j['verified'] is True and j['entries'] == 8 and j['state']['rows'] == 6 and j['state']['differences'] == []"

# ---- auth: who was authenticated, and how ------------------------------
run log --json
expect_rc 0
expect_json "j['entries'][0]['auth'] == 'claim:tom' and j['entries'][1]['auth'] == 'claim:paula'"
expect_json "all(isinstance(e['ops'], str) and e['ops'].startswith('[') for e in j['entries'])"
expect_json "'approval.add' in j['entries'][1]['ops'] and 'approval.del' in j['entries'][3]['ops']"
run log -n 1
expect_out_has "[claim:tom]"
TOLLGATE_NOW=2026-01-10T10:20:00Z run record web dev --version w-1
expect_rc 0
run log --json -n 1
expect_json "j['entries'][0]['auth'] == 'os:%s@%s' % (__import__('pwd').getpwuid(__import__('os').geteuid()).pw_name, __import__('socket').gethostname())"
verify_ok

# the hash of a new entry covers auth and the row changes, as documented
run log --json
expect_json "all(__import__('hashlib').sha256(''.join('%d:%s,' % (len(str(v).encode()), v) for v in [e['seq'], int(__import__('calendar').timegm(__import__('time').strptime(e['at'], '%Y-%m-%dT%H:%M:%SZ'))), e['actor'], e['action'], e['subject'], e['detail'], e['prev_hash'], e['auth'], e['ops']]).encode()).hexdigest() == e['hash'] for e in j['entries'])"

# ---- log --head and anchors ------------------------------------------------
run log --head
expect_rc 0
expect_err_empty
anchor=$out
echo "$anchor" | grep -qE '^9 [0-9a-f]{64}$' || fail "log --head: $anchor"
checks=$((checks + 1))
run log --head --json
expect_json "j['seq'] == 9 and len(j['hash']) == 64"
a9=$(echo "$anchor" | tr ' ' ':')
run log --json
a3=$(python3 -c "import json,sys; e=json.load(open(sys.argv[1]))['entries'][2]; print('%d:%s' % (e['seq'], e['hash']))" "$T/out")
verify_ok --anchor "$a9" --anchor "$a3"
[ "$out" = "$REHEARSAL_MARK
audit log verified: 9 entries, through 2 anchors; the state (8 rows) is what they wrote" ] ||
	fail "verify with anchors: $out"
checks=$((checks + 1))
run log --verify --anchor 3:abc
expect_rc 2
expect_err_line "tollgate: error: --anchor '3:abc' is not SEQ:HASH (an entry number and its 64 hex digits, as 'log --head' prints them)"
run log --verify --anchor "4:${a3#3:}"
expect_rc 1
expect_err_line "tollgate: error: the audit log does not pass through anchor 4:${a3#3:}: entry 4 has another hash; the log was rewritten: restore the store from a backup"
run log --verify --anchor "12:${a3#3:}"
expect_rc 1
expect_err_line "tollgate: error: the audit log does not pass through anchor 12:${a3#3:}: it ends at entry 9; the log was rewritten: restore the store from a backup"
run log --head --anchor "$a9"
expect_rc 2

# ---- rows forged by SQL ------------------------------------------------
# a revoked approval put back
raw "INSERT INTO approval (plan, gate, role, person, at) VALUES ('TEST-READY', 'gate-4', 'ops-lead', 'olga', 1768036800)"
run log --verify
expect_rc 1
expect_err_line "tollgate: error: approval (gate 'gate-4', role 'ops-lead', person 'olga') is in the store, but no entry of the audit log wrote it"
expect_err_line "tollgate: error: the state differs from what the audit log wrote, in 1 row: it was changed outside tollgate; restore the store from a backup"
run log --verify --json
expect_rc 1
expect_json "j['verified'] is False and j['state']['differences'][0]['table'] == 'approval' and j['state']['differences'][0]['log'] is None and j['state']['differences'][0]['store']['person'] == 'olga'"
raw "DELETE FROM approval WHERE person = 'olga'"
verify_ok

# an approval for a second role
raw "INSERT INTO approval (plan, gate, role, person, at) VALUES ('TEST-READY', 'gate-4', 'ops-lead', 'paula', 1768036200)"
run log --verify
expect_rc 1
expect_err_line "tollgate: error: approval (gate 'gate-4', role 'ops-lead', person 'paula') is in the store, but no entry of the audit log wrote it"
raw "DELETE FROM approval WHERE role = 'ops-lead'"
verify_ok

# a version changed in place, a tick removed, a history row copied
raw "UPDATE promotion SET version = 'a-9' WHERE project = 'api' AND env = 'dev'"
raw "DELETE FROM tick WHERE item = 'api-tests'"
raw "INSERT INTO promotion_history SELECT * FROM promotion_history WHERE project = 'web'"
run log --verify
expect_rc 1
expect_err_line "tollgate: error: promotion (project 'api', env 'dev') differs from what the audit log wrote: version is 'a-9' in the store, 'a-1' in the log"
expect_err_line "tollgate: error: tick (item 'api-tests') is missing from the store: the audit log wrote it"
expect_err_has "tollgate: error: promotion_history (project 'web', env 'dev', seq 9) differs from what the audit log wrote: the store holds it 2 times, the log wrote it once"
expect_err_line "tollgate: error: the state differs from what the audit log wrote, in 3 rows: it was changed outside tollgate; restore the store from a backup"
raw "UPDATE promotion SET version = 'a-1' WHERE project = 'api' AND env = 'dev'"
raw "DELETE FROM promotion_history WHERE project = 'web'"
TOLLGATE_NOW=2026-01-10T10:30:00Z run record web dev --version w-1 --as tom
TOLLGATE_NOW=2026-01-10T10:40:00Z run check api-tests --as sam --note "green"
run log --verify
expect_rc 1
expect_err_has "promotion_history (project 'web', env 'dev', seq 9) is missing from the store"
# (the row of entry 9 is gone for good: the rest of the test works on a copy)

# ---- a truncated log, its head rewritten --------------------------------
fresh_store
TOLLGATE_NOW=2026-01-10T09:00:00Z run record api dev --version a-1 --as tom
TOLLGATE_NOW=2026-01-10T09:10:00Z run approve gate-4 --as paula
TOLLGATE_NOW=2026-01-10T09:20:00Z run approve gate-4 --as olga
TOLLGATE_NOW=2026-01-10T09:30:00Z run revoke gate-4 --as olga
verify_ok
run log --head
anchor4=$(echo "$out" | tr ' ' ':')
run log --json
h2=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['entries'][1]['hash'])" "$T/out")
h3=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['entries'][2]['hash'])" "$T/out")
# entry 4 (the revoke) dropped and the head set back to entry 3: olga's
# approval must come back for the state to fit
raw "DELETE FROM audit WHERE seq = 4"
raw "UPDATE plan_meta SET value = '3' WHERE key = 'audit_seq'"
raw "UPDATE plan_meta SET value = '$h3' WHERE key = 'audit_hash'"
run log --verify
expect_rc 1
expect_err_line "tollgate: error: approval (gate 'gate-4', role 'ops-lead', person 'olga') is missing from the store: the audit log wrote it"
# entries 3 and 4 dropped: the state fits entries 1-2, only the anchor sees it
raw "DELETE FROM audit WHERE seq = 3"
raw "UPDATE plan_meta SET value = '2' WHERE key = 'audit_seq'"
raw "UPDATE plan_meta SET value = '$h2' WHERE key = 'audit_hash'"
verify_ok
run log --verify --anchor "$anchor4"
expect_rc 1
expect_err_line "tollgate: error: the audit log does not pass through anchor $anchor4: it ends at entry 2; the log was rewritten: restore the store from a backup"

# ---- the whole chain re-hashed with the documented formula ---------------
# mallory's approval forged as entry 3 (row change and row both), every hash
# after it recomputed, the head moved: only an anchor kept outside sees it
fresh_store
TOLLGATE_NOW=2026-01-10T09:00:00Z run record api dev --version a-1 --as tom
TOLLGATE_NOW=2026-01-10T09:10:00Z run approve gate-4 --as paula
TOLLGATE_NOW=2026-01-10T09:20:00Z run record db dev --version d-1 --as tom
verify_ok
run log --head
anchor3=$(echo "$out" | tr ' ' ':')
run log --json
sql=$(/usr/bin/python3 - "$T/out" <<'PY'
import calendar, hashlib, json, sys, time
es = json.load(open(sys.argv[1]))["entries"]
def epoch(s): return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
def h(e):
    f = [e["seq"], epoch(e["at"]), e["actor"], e["action"], e["subject"], e["detail"],
         e["prev_hash"], e["auth"], e["ops"]]
    return hashlib.sha256("".join("%d:%s," % (len(str(v).encode()), v) for v in f).encode()).hexdigest()
es[1]["ops"] = es[1]["ops"].replace("product-owner", "ops-lead").replace('"paula"', '"mallory"')
es[1]["actor"] = "mallory"
es[1]["auth"] = "claim:mallory"
q = lambda s: "'" + s.replace("'", "''") + "'"
out = []
prev = es[0]["hash"]
for e in es[1:]:
    e["prev_hash"] = prev
    e["hash"] = prev = h(e)
    out.append("UPDATE audit SET actor = %s, auth = %s, ops = %s, prev_hash = %s, hash = %s WHERE seq = %d"
               % (q(e["actor"]), q(e["auth"]), q(e["ops"]), q(e["prev_hash"]), q(e["hash"]), e["seq"]))
out.append("UPDATE plan_meta SET value = %s WHERE key = 'audit_hash'" % q(prev))
out.append("UPDATE approval SET person = 'mallory', role = 'ops-lead' WHERE person = 'paula'")
print("; ".join(out))
PY
)
raw "$sql"
verify_ok
run log --verify --anchor "$anchor3"
expect_rc 1
expect_err_line "tollgate: error: the audit log does not pass through anchor $anchor3: entry 3 has another hash; the log was rewritten: restore the store from a backup"

# ---- two plans in one store: each proves its own rows ----------------------
fresh_store
sed 's/id: TEST-READY/id: TEST-APRIL/' tollgate.yaml >april.yaml
TOLLGATE_NOW=2026-01-10T09:00:00Z run record api dev --version a-1 --as tom
TOLLGATE_NOW=2026-01-10T09:10:00Z run approve gate-4 --as paula
TOLLGATE_NOW=2026-01-10T09:20:00Z run --plan april.yaml record api dev --version b-1 --as tom
verify_ok
[ "$out" = "$REHEARSAL_MARK
audit log verified: 2 entries; the state (3 rows) is what they wrote" ] || fail "plan 1: $out"
checks=$((checks + 1))
verify_ok --plan april.yaml
[ "$out" = "$REHEARSAL_MARK
audit log verified: 1 entry; the state (2 rows) is what they wrote" ] || fail "plan 2: $out"
checks=$((checks + 1))
raw "INSERT INTO approval (plan, gate, role, person, at) VALUES ('TEST-APRIL', 'gate-4', 'ops-lead', 'olga', 1768036800)"
verify_ok
run log --verify --plan april.yaml
expect_rc 1
expect_err_line "tollgate: error: approval (gate 'gate-4', role 'ops-lead', person 'olga') is in the store, but no entry of the audit log wrote it"
raw "DELETE FROM approval WHERE person = 'olga'"

# ---- a store from before row changes were logged --------------------------
# schema 3: no auth, no ops, entries hashed over 7 fields. Opening it takes
# the state of each of its plans as it stands into one baseline entry of that
# plan; from then on every row is proven. (The two plans above.)
rehash_legacy() { # PLAN-FILE: SQL re-hashing that plan's chain over 7 fields
	run --plan "$1" log --json
	/usr/bin/python3 - "$T/out" "$(sed -n 's/^plan: {id: \([A-Z-]*\),.*/\1/p' "$1")" <<'PY'
import calendar, hashlib, json, sys, time
es = json.load(open(sys.argv[1]))["entries"]
plan = sys.argv[2]
def epoch(s): return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))
prev = "0" * 64
out = []
for e in es:
    f = [e["seq"], epoch(e["at"]), e["actor"], e["action"], e["subject"], e["detail"], prev]
    hh = hashlib.sha256("".join("%d:%s," % (len(str(v).encode()), v) for v in f).encode()).hexdigest()
    out.append("UPDATE audit SET prev_hash = '%s', hash = '%s' WHERE plan = '%s' AND seq = %d"
               % (prev, hh, plan, e["seq"]))
    prev = hh
out.append("UPDATE plan_meta SET value = '%s' WHERE plan = '%s' AND key = 'audit_hash'" % (prev, plan))
print("; ".join(out))
PY
}
sql1=$(rehash_legacy tollgate.yaml)
sql2=$(rehash_legacy april.yaml)
raw "ALTER TABLE audit DROP COLUMN auth"
raw "ALTER TABLE audit DROP COLUMN ops"
raw "DROP TABLE approval_version; DROP TABLE rejection; DROP TABLE token; DROP TABLE session; DROP TABLE outbox; DROP TABLE schedule_slot"
raw "UPDATE meta SET value = '3' WHERE key = 'schema_version'"
raw "$sql1"
raw "$sql2"
verify_ok
[ "$out" = "$REHEARSAL_MARK
audit log verified: 3 entries; the state (3 rows) is what they wrote" ] || fail "after the upgrade: $out"
checks=$((checks + 1))
run log --json
expect_json "'auth' not in j['entries'][0] and 'ops' not in j['entries'][0]"
expect_json "j['entries'][2]['action'] == 'store.baseline' and j['entries'][2]['actor'] == 'tollgate'"
expect_json "j['entries'][2]['detail'] == 'the state as it stood when row changes began to be logged: 3 rows'"
expect_json "j['entries'][2]['at'] == '2026-01-10T09:10:00Z'"
# the other plan got its own, at the same upgrade
verify_ok --plan april.yaml
[ "$out" = "$REHEARSAL_MARK
audit log verified: 2 entries; the state (2 rows) is what they wrote" ] || fail "plan 2 after the upgrade: $out"
checks=$((checks + 1))
raw "INSERT INTO approval (plan, gate, role, person, at) VALUES ('TEST-READY', 'gate-4', 'ops-lead', 'olga', 1768036800)"
run log --verify
expect_rc 1
expect_err_has "approval (gate 'gate-4', role 'ops-lead', person 'olga') is in the store"
raw "DELETE FROM approval WHERE person = 'olga'"
TOLLGATE_NOW=2026-01-10T09:30:00Z run approve gate-4 --as olga
expect_rc 0
verify_ok

done_tests
