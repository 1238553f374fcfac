#!/bin/bash
# crashed-leases.sh - leases left by runners that are gone, planted in the store
# with sqlite3 / psql: one of another host, still valid (busy: not touched), then
# expired (repaired: `interrupted` and retried); one of a dead process on this
# host (repaired at once although its lease has not expired); a live holder
# on this host (busy). `rollback` respects a live lease too.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

backend_store
cp "$FIXTURES/exec-chain.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export TOLLGATE_NOW=2026-02-01T10:00:00Z
now=$(date -u -d 2026-02-01T10:00:00Z +%s)
for p in p1 p2 p3 q1 q2 r1 r2 r3; do run record $p dev --version v1; done

# a runner on another machine died while deploying r1 (lease valid 60 s more)
raw "INSERT INTO promotion (plan, project, env, state, version, since, run_id) VALUES ('TEST-CHAIN', 'r1', 'sit', 'deploying', 'v1', $now, 'run-elsewhere');
     INSERT INTO lease (plan, project, env, host, pid, pgid, run_id, acquired, expires) VALUES ('TEST-CHAIN', 'r1', 'sit', 'build-42.example', 4242, 4242, 'run-elsewhere', $now, $((now + 60)));"
# a runner on this host died while verifying r2 (its pid is not running)
sleep 30 & dead=$!; kill -9 $dead; wait $dead 2>/dev/null || true
raw "INSERT INTO promotion (plan, project, env, state, version, since, run_id) VALUES ('TEST-CHAIN', 'r2', 'sit', 'verifying', 'v1', $now, 'run-dead-here');
     INSERT INTO lease (plan, project, env, host, pid, pgid, run_id, acquired, expires) VALUES ('TEST-CHAIN', 'r2', 'sit', '$(hostname)', $dead, 0, 'run-dead-here', $now, $((now + 600)));"
# a live holder on this host works on r3 (this shell)
raw "INSERT INTO lease (plan, project, env, host, pid, pgid, run_id, acquired, expires) VALUES ('TEST-CHAIN', 'r3', 'sit', '$(hostname)', $$, 0, 'run-alive-here', $now, $((now + 600)));"

run promote --to sit --json
expect_rc 0
expect_json '{r["project"]: r["outcome"] for r in j["results"]} == {"p1": "healthy", "p2": "healthy", "p3": "healthy", "q1": "healthy", "q2": "healthy", "r2": "healthy", "r3": "skipped"}'
expect_json '[r["detail"] for r in j["results"] if r["project"] == "r3"][0].startswith("being promoted by run run-alive-here (host ")'
expect_json '[x["summary"] for x in j["not_ready"] if x["project"] == "r1"] == ["being promoted by run run-elsewhere (host build-42.example, pid 4242)"]'
expect_json 'j["repaired"] == 1'
run log
expect_out_has "promotion.interrupted"
expect_out_has "r2@sit: version v1: run run-dead-here (host $(hostname), pid $dead) died while verifying"

# by hand, the live holder is respected too
run rollback r3 sit
expect_rc 3
expect_err_has "r3 in sit is being worked on by run run-alive-here"

# two minutes later the other host's lease has expired: repaired and retried
TOLLGATE_NOW=2026-02-01T10:02:00Z run promote --to sit --project r1 --json
expect_rc 0
expect_json 'j["results"] == [{"project": "r1", "env": "sit", "version": "v1", "outcome": "healthy", "previous": None, "detail": None}] and j["repaired"] == 1'
run log
expect_out_has "r1@sit: version v1: run run-elsewhere (host build-42.example, pid 4242) died while deploying"
checks=$((checks + 1))
[ "$(raw "SELECT COUNT(*) FROM lease")" = 1 ] || fail "leases left: $(raw 'SELECT * FROM lease')"
run log --verify
expect_rc 0
done_tests
