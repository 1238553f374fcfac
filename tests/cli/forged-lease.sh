#!/bin/bash
# forged-lease.sh - a lease row is input, not an order to kill (issue 10,
# item 2). A lease naming a dead process on this host and the process group
# of an unrelated `setsid sleep` (forged, or a pgid reused after a reboot)
# is repaired without touching that process: the group is stopped only when
# one of its processes carries the lease's run in its environment, and the
# audit entry says the group was left alone. A real step of a dead run is
# still stopped (crash.sh, crashed-leases.sh).
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

backend_store
cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export TOLLGATE_NOW=2026-02-01T10:00:00Z
now=$(date -u -d 2026-02-01T10:00:00Z +%s)
run record a dev --version 1.a --as sam
run record e dev --version 1.e --as sam

# an unrelated process group: a sleep in a session of its own
setsid sleep 300 </dev/null >/dev/null 2>&1 &
for _ in $(seq 1 100); do
	victim=$(pgrep -n -f '^sleep 300$' || true)
	[ -n "$victim" ] && [ "$(ps -o pgid= -p "$victim" | tr -d ' ')" = "$victim" ] && break
	sleep 0.05
done
trap 'kill "$victim" 2>/dev/null || true; rm -rf "$T"' EXIT
# a dead pid on this host
sleep 30 & dead=$!; kill -9 $dead; wait $dead 2>/dev/null || true
host=$(hostname)

# 1. a lease with no promotion under way (the row alone is forged)
raw "INSERT INTO lease (plan, project, env, host, pid, pgid, run_id, acquired, expires) VALUES ('TEST-EXEC', 'a', 'sit', '$host', $dead, $victim, 'forged-run', $now, $((now + 3600)));"
run promote --to sit --project a
expect_rc 0
checks=$((checks + 1))
kill -0 "$victim" 2>/dev/null || fail "promote killed the unrelated process group $victim"
run log
expect_out_has "process group $victim named by the lease was left alone: none of its processes carries run forged-run"

# 2. a promotion left deploying under the forged lease: repaired to
# interrupted and retried, the sleep untouched
raw "INSERT INTO promotion (plan, project, env, state, version, since, run_id) VALUES ('TEST-EXEC', 'e', 'sit', 'deploying', '1.e', $now, 'forged-run-2');
     INSERT INTO lease (plan, project, env, host, pid, pgid, run_id, acquired, expires) VALUES ('TEST-EXEC', 'e', 'sit', '$host', $dead, $victim, 'forged-run-2', $now, $((now + 3600)));"
run promote --to sit --project e --json
expect_rc 0
expect_json '[(r["project"], r["outcome"]) for r in j["results"]] == [("e", "healthy")]'
checks=$((checks + 1))
kill -0 "$victim" 2>/dev/null || fail "promote killed the unrelated process group $victim"
run log
expect_out_has "promotion.interrupted"
expect_out_has "0 process groups stopped; process group $victim named by the lease was left alone"
run log --verify
expect_rc 0
done_tests
