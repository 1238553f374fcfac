#!/bin/bash
# store-locked-mid-run.sh - a state write that fails mid-run because another
# writer holds the store locked past the wait (TOLLGATE_STORE_WAIT=1s): on
# SQLite the database's write lock (BEGIN IMMEDIATE), on PostgreSQL the
# `promotion` and `incident` tables (LOCK TABLE … IN EXCLUSIVE MODE, so
# reads go on), taken by a process a step starts outside its own group and
# held for a few seconds after the step ends.
#
# promote: the run stops at the failed write: verify never runs, the
# dependent never starts, nothing claims `healthy`; the project is reported
# `interrupted` with what the store holds (`deploying`), exit 1 with the
# cause; status/why show `deploying`; the next promote repairs it
# (`promotion.interrupted`) and finishes. rollback and soak: what ran is
# said, the store keeps what it held, and running them again finishes.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

backend_store
export TOLLGATE_NOW=2026-02-01T10:00:00Z
export TOLLGATE_USER=olga # a promotion needs a person
export TOLLGATE_STORE_WAIT=1s

# hold.sh SECONDS: take the store's lock from outside the step's process
# group (setsid: a step's leftovers in its group are ended with it), wait
# until it is taken, and return; `released` appears when it is let go.
# (A step never receives the store's URL from tollgate: the test hands it
# over in a file of its own.)
printf '%s' "$TOLLGATE_DB" >dburl
if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
	cat >hold.sh <<'EOF'
rm -f locked released
cat >hold.sql <<SQL
BEGIN;
LOCK TABLE promotion, incident IN EXCLUSIVE MODE;
\! touch locked
SELECT pg_sleep($1);
COMMIT;
\! touch released
SQL
setsid psql "$(cat dburl)" -qAt -v ON_ERROR_STOP=1 -f hold.sql >/dev/null 2>hold.err &
while [ ! -e locked ]; do sleep 0.05; done
EOF
else
	cat >hold.sh <<'EOF'
rm -f locked released
setsid python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
c.execute("BEGIN IMMEDIATE")
open("locked", "w").close()
time.sleep(float(sys.argv[2]))
c.execute("ROLLBACK")
c.close()
open("released", "w").close()
' "$(cat dburl | sed 's/^sqlite://')" "$1" 2>hold.err &
while [ ! -e locked ]; do sleep 0.05; done
EOF
fi
# released: wait until the holder has let go
released() {
	for _ in $(seq 1 200); do [ -e released ] && return 0; sleep 0.05; done
	fail "the lock holder never let go: $(cat hold.err 2>/dev/null)"
}

cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: LOCKED, title: The store locked mid-run}
environments:
  - {name: dev}
  - {name: sit}
  - {name: prod, soak: 1h}
people: [{id: olga, roles: [ops]}]
waves:
  - {id: w1}
projects:
  - id: a
    wave: w1
    deploy: "if [ -e lock-deploy ]; then rm lock-deploy; sh hold.sh 3; fi; echo $TOLLGATE_ENV >>deployed-a"
    verify: "echo $TOLLGATE_ENV >>verified-a"
    rollback: "if [ -e lock-rollback ]; then rm lock-rollback; sh hold.sh 5; fi; echo $TOLLGATE_ENV >>rolledback-a"
  - {id: b, wave: w1, deploy: "echo $TOLLGATE_ENV >>deployed-b", depends_on: [a]}
triggers:
  - id: errors
    text: the error count
    envs: [prod]
    measure: "if [ -e lock-measure ]; then rm lock-measure; sh hold.sh 5; echo 9; else echo 0; fi"
    above: 5
    level: 1
EOF
for p in a b; do
	run record $p dev --version 1.0
	expect_rc 0
done

# ---- promote: the write after the deploy fails ---------------------------------
touch lock-deploy
run promote --to sit
expect_rc 1
expect_err_has "tollgate: error: the store failed mid-run, so promote stopped: "
expect_err_has "TOLLGATE_STORE_WAIT"
expect_err_has "the next promote repairs what this run left deploying or verifying"
expect_out_has "a sit: interrupted 1.0"
expect_out_has "the store failed; it still holds deploying 1.0 under this run's lease"
expect_out_has "b sit: skipped 1.0"
expect_out_has "0 healthy, 0 soaking, 0 rolled back, 0 failed, 1 skipped, 1 interrupted"
expect_out_lacks "healthy 1.0"
expect_out_lacks "a: verify"
checks=$((checks + 1))
[ ! -e verified-a ] || fail "verify ran after the store failed"
checks=$((checks + 1))
[ ! -e deployed-b ] || fail "the dependent was deployed after the store failed"
checks=$((checks + 1))
[ ! -e rolledback-a ] || fail "a rollback ran after the store failed"
released

# what the store holds is what status and why say
run status --json
expect_rc 0
expect_json '[c["state"] for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"] == ["deploying"]'
expect_json 'not [c for c in j["cells"] if c["project"] == "b" and c["env"] == "sit" and c["state"] not in ("none", "")]'
run why a sit --json
expect_rc 0
expect_json '"deploying" in [r for r in j["rules"] if r["rule"] == "source"][0]["detail"]'
run log --json
expect_json '[e["action"] for e in j["entries"] if e["subject"] == "a@sit"] == ["promotion.deploying"]'

# the next run repairs it and finishes
run promote --to sit
expect_rc 0
expect_out_has "2 healthy, 0 soaking, 0 rolled back, 0 failed, 0 skipped"
run log --json
expect_json '[e["action"] for e in j["entries"] if e["subject"] == "a@sit"] == ["promotion.deploying", "promotion.interrupted", "promotion.deploying", "promotion.verifying", "promotion.healthy"]'
run log --verify
expect_rc 0

# ---- soak: a breach whose incident cannot be opened runs no rollback ------------
run promote --to prod --project a
expect_rc 0
expect_out_has "a prod: soaking 1.0"
touch lock-measure
run soak
expect_rc 1
expect_err_has "tollgate: error: a in prod: trigger 'errors' breached: measured 9, above 5, but the store could not open its incident: "
expect_err_has "the rollback did not run and it still soaks there"
checks=$((checks + 1))
! grep -qs prod rolledback-a || fail "the rollback ran though the incident was not opened"
released
run status --json
expect_json '[c["state"] for c in j["cells"] if c["project"] == "a" and c["env"] == "prod"] == ["soaking"]'
# ---- rollback by hand: the write after the rollback fails -----------------------
touch lock-rollback
run rollback a sit
expect_rc 1
expect_err_has "tollgate: error: the rollback of a in sit ran, but the store could not record it: "
expect_err_has "it still holds healthy 1.0 there: run 'tollgate rollback a sit' again once the store works"
released
run status --json
expect_json '[c["state"] for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"] == ["healthy"]'
# again: the lease the failed run left is repaired, the rollback recorded
run rollback a sit
expect_rc 0
run status --json
expect_json '[c["state"] for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"] == ["rolled-back"]'
checks=$((checks + 1))
[ "$(grep -c sit rolledback-a)" -eq 2 ] || fail "expected two rollbacks in sit: $(cat rolledback-a)"

run log --verify
expect_rc 0
done_tests
