#!/bin/bash
# log.sh - `tollgate log`: the audit log as lines and JSON, --limit, and
# --verify catching an entry edited, deleted or moved behind tollgate's back
# (with the sqlite3 / psql tools); the store's one-line errors.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

backend_store
export TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$TOLLGATE_SRC/tests/fixtures/state-small.yaml" tollgate.yaml

run log
expect_rc 0
expect_out_has "the audit log is empty"
run log --verify
expect_rc 0
expect_err_empty
[ "$out" = "$REHEARSAL_MARK
audit log verified: 0 entries; the state (0 rows) is what they wrote" ] ||
	fail "verify of an empty log: $out"
checks=$((checks + 1))

run record api dev --version a-1 --as tom
expect_rc 0
TOLLGATE_NOW=2026-01-10T10:00:00Z run record api dev --version a-2 --as tom
expect_rc 0
TOLLGATE_NOW=2026-01-10T11:00:00Z run record db dev --version d-1 --as tom
expect_rc 0
TOLLGATE_NOW=2026-01-10T12:00:00Z run approve gate-3 --as dana
expect_rc 0

run log
expect_rc 0
expect_err_empty
checks=$((checks + 1))
[ "$(wc -l <"$T/out")" -eq 5 ] || fail "log should print the rehearsal mark and 4 lines"
expect_out_has "2026-01-10T09:00:00Z  tom"
expect_out_has "api@dev: version a-2 (was a-1)"
expect_out_has "2026-01-10T12:00:00Z  dana"

run log --json
expect_rc 0
expect_err_empty
expect_json "[e['seq'] for e in j['entries']] == [1, 2, 3, 4]"
expect_json "j['entries'][0]['at'] == '2026-01-10T09:00:00Z' and j['entries'][0]['actor'] == 'tom'"
expect_json "j['entries'][0]['action'] == 'record' and j['entries'][0]['subject'] == 'api@dev'"
expect_json "all(len(e['hash']) == 64 for e in j['entries'])"
expect_json "all(j['entries'][i]['prev_hash'] == j['entries'][i-1]['hash'] for i in range(1, 4))"
expect_json "set(j['entries'][0]) >= {'seq', 'at', 'actor', 'action', 'subject', 'detail', 'hash'}"

# the hash is SHA-256 over the documented canonical form: check one by hand
expect_json "__import__('hashlib').sha256(''.join('%d:%s,' % (len(str(v).encode()), v) for v in [j['entries'][1]['seq'], 1768039200, j['entries'][1]['actor'], j['entries'][1]['action'], j['entries'][1]['subject'], j['entries'][1]['detail'], j['entries'][1]['prev_hash'], j['entries'][1]['auth'], j['entries'][1]['ops']]).encode()).hexdigest() == j['entries'][1]['hash']"

run log --limit 2 --json
expect_rc 0
expect_json "[e['seq'] for e in j['entries']] == [3, 4]"
run log -n 1
expect_rc 0
expect_out_has "gate-3: as devops-lead: db=d-1; no candidate: web"
expect_out_lacks "api@dev"
run log --limit 0
expect_rc 2
expect_err_line "tollgate: error: --limit '0' is not a positive number"

run log --verify
expect_rc 0
[ "$out" = "$REHEARSAL_MARK
audit log verified: 4 entries; the state (7 rows) is what they wrote" ] ||
	fail "verify: $out"
checks=$((checks + 1))

# edited behind tollgate's back
raw "UPDATE audit SET detail = 'version a-9 (was a-1)' WHERE seq = 2"
run log --verify
expect_rc 1
expect_err_line "tollgate: error: audit log entry 2 was altered or removed (its content does not match its hash); restore the store from a backup"
run log --verify --json
expect_rc 1
expect_json "j['verified'] == False and j['bad_seq'] == 2"
raw "UPDATE audit SET detail = 'version a-2 (was a-1)' WHERE seq = 2"
run log --verify
expect_rc 0

# two entries swapped
raw "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -1"
run log --verify
expect_rc 1
expect_err_has "tollgate: error: audit log entry 2 was altered or removed ("
raw "UPDATE audit SET seq = -1 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 3; UPDATE audit SET seq = 3 WHERE seq = -1"
run log --verify
expect_rc 0

# the last entry deleted (kept aside, then put back)
raw "CREATE TABLE audit_saved AS SELECT * FROM audit WHERE seq = 4"
raw "DELETE FROM audit WHERE seq = 4"
run log --verify
expect_rc 1
expect_err_line "tollgate: error: audit log entry 4 was altered or removed (the log ends at entry 3 but its head says 4); restore the store from a backup"
raw "INSERT INTO audit SELECT * FROM audit_saved"
run log --verify
expect_rc 0

# an entry added after the head, chained with the documented formula: named
# as what it is, and every change refused with how to recover, not a raw
# "UNIQUE constraint failed"
run log --json
entry5=$(/usr/bin/python3 - "$T/out" <<'PY'
import hashlib, json, sys
last = json.load(open(sys.argv[1]))["entries"][-1]
ops = '[["approval.add","gate-4","ops-lead","mallory",1768046400]]'
f = [str(last["seq"] + 1), str(last["at"] if isinstance(last["at"], int) else 1768046400),
     "mallory", "approve", "gate-4", "as ops-lead", last["hash"], "claim:mallory", ops]
h = hashlib.sha256("".join("%d:%s," % (len(x.encode()), x) for x in f).encode()).hexdigest()
print("('TEST-READY', %s, %s, 'mallory', 'approve', 'gate-4', 'as ops-lead', '%s', '%s', 'claim:mallory', '%s')"
      % (f[0], f[1], f[6], h, ops))
PY
)
raw "INSERT INTO audit (plan, seq, at, actor, action, subject, detail, prev_hash, hash, auth, ops) VALUES $entry5"
run log --verify
expect_rc 1
expect_err_line "tollgate: error: audit log entry 5 does not belong (it was added outside tollgate, after the log head (entry 4)); remove it or restore the store from a backup: until then every change is refused"
TOLLGATE_NOW=2026-01-10T12:30:00Z run record web dev --version w-0 --as tom
expect_rc 1
expect_err_line "tollgate: error: the audit log already holds an entry 5 that its head (entry 4) does not know: it was written outside tollgate, and nothing was written now; see 'tollgate log --verify', then remove it or restore the store from a backup"
raw "DELETE FROM audit WHERE seq = 5"
run log --verify
expect_rc 0

# deleted, then a new change: still caught at the hole
raw "DELETE FROM audit WHERE seq = 3"
run log --verify
expect_rc 1
expect_err_line "tollgate: error: audit log entry 3 was altered or removed (entry 3 is missing); restore the store from a backup"
TOLLGATE_NOW=2026-01-10T13:00:00Z run record web dev --version w-1 --as tom
expect_rc 0
run log --verify
expect_rc 1
expect_err_has "audit log entry 3 was altered or removed"

# a store from a newer tollgate
raw "UPDATE meta SET value = '42' WHERE key = 'schema_version'"
run log
expect_rc 1
expect_err_has "has schema version 42 but this tollgate knows only 9; upgrade tollgate"
raw "UPDATE meta SET value = '8' WHERE key = 'schema_version'"

# a store that cannot be reached: one line, no password
run log --db 'postgres://tg:hunter2@127.0.0.1:1/nothing'
expect_rc 1
checks=$((checks + 1))
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "one error line expected"
expect_err_has "tollgate: error: cannot open the store 'postgres://tg:***@127.0.0.1:1/nothing': "
checks=$((checks + 1))
if grep -q hunter2 "$T/err"; then fail "the password was printed"; fi
run log --db 'mysql://x/y'
expect_rc 2
expect_err_line "tollgate: error: unknown store URL 'mysql://x/y'; use sqlite:PATH or postgres://USER@HOST/DB"

done_tests
