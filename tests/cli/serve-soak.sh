#!/bin/bash
# serve-soak.sh - the soak loop inside `serve` (issue 11 item 5): with no CLI
# call, a server measures the triggers of soaking promotions on their
# `every`, rolls back on a breach (incident, rollback run) exactly as `soak`
# does, and finishes a soak whose time is up; two servers on one store: only
# the one holding the background lease measures (measures counted by the
# trigger's command, and in /metrics). Time moves with TOLLGATE_NOW on a
# rehearsal store.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"
export TOLLGATE_USER=olga

backend_store
export T
export TOLLGATE_NOW=2026-02-01T10:00:00Z
# the trigger's measure also counts itself in .fx/measures
sed 's|measure: sh exec-scripts/measure.sh|measure: sh count-measure.sh|' "$FIXTURES/exec-dag.yaml" >tollgate.yaml
printf '%s\n' 'echo "$TOLLGATE_PROJECT $TOLLGATE_ENV" >>.fx/measures' 'exec sh exec-scripts/measure.sh' >count-measure.sh
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
for p in a e; do run record $p dev --version "1.$p" --as sam; done
run promote --to sit --project a --project e
expect_rc 0
run promote --to prod --project a --project e --json
expect_rc 0
expect_json 'sorted(r["outcome"] for r in j["results"]) == ["soaking"] * 2'
rm -f .fx/measures

# metric NAME: wait (10 s at most) until the server's /metrics shows NAME >= 1
metric_at_least() {
	NAME=$1 py '
import time
for i in range(100):
    st, h, m = sc.get("/metrics")
    vals = [float(l.split()[-1]) for l in m.decode().splitlines() if l.startswith(os.environ["NAME"] + " ")]
    if vals and vals[0] >= 1:
        break
    time.sleep(0.1)
sc.check(vals and vals[0] >= 1, "%s never reached 1: %s" % (os.environ["NAME"], vals))
'
}
# state P: the state of P in prod
state() { "$TOLLGATE_BIN" status --json | /usr/bin/python3 -c 'import json,sys; print([c["state"] for c in json.load(sys.stdin)["cells"] if c["env"] == "prod" and c["project"] == sys.argv[1]][0])' "$1"; }
wait_state() {
	local i
	for i in $(seq 100); do
		[ "$(state "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 in prod is $(state "$1"), not $2"
}

# ---- two servers at 10:30: one measures each soaking pair once ----
export TOLLGATE_NOW=2026-02-01T10:30:00Z
SERVE2_PID=
trap 'for p in $SERVE_PID $SERVE2_PID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
start_serve || { fail "serve 1 did not start"; done_tests; }
metric_at_least 'tollgate_soak_ticks_total{result="ran"}'
SERVE1_URL=$SERVE_URL
SERVE2_PID=$SERVE_PID
mv "$T/serve.err" "$T/serve1.err"
start_serve || { fail "serve 2 did not start"; done_tests; }
metric_at_least 'tollgate_soak_ticks_total{result="skipped"}'
py '
st, h, m = sc.get("/metrics")
sc.check(b"tollgate_soak_lease_held 0" in m and b"tollgate_soak_measures_total 0" in m, "the second server measured: %s" % m[-900:])
'
SERVE_URL=$SERVE1_URL py '
st, h, m = sc.get("/metrics")
sc.check(b"tollgate_soak_lease_held 1" in m and b"tollgate_soak_measures_total 2" in m, "the first server: %s" % m[-900:])
'
checks=$((checks + 1))
[ "$(sort .fx/measures)" = "$(printf 'a prod\ne prod')" ] || fail "measures: $(cat .fx/measures)"
[ "$(state a)" = soaking ] && [ "$(state e)" = soaking ] || fail "not soaking any more"
stop_serve
[ "$serve_rc" = 0 ] || fail "serve 2 exited $serve_rc"
SERVE_PID=$SERVE2_PID
SERVE2_PID=
stop_serve
[ "$serve_rc" = 0 ] || fail "serve 1 exited $serve_rc"
# the stopped holder gave its lease up
checks=$((checks + 1))
lease=$(raw "SELECT value FROM plan_meta WHERE key = 'lease/background'")
[ -z "$lease" ] || [ "${lease%% *}" = 0 ] || fail "the background lease was not given up: $(raw "SELECT value FROM plan_meta WHERE key = 'lease/background'")"

# ---- a breach at 10:40 (the trigger is due again: every 5m): e rolled back ----
echo 0.5 >.fx/rate-e
export TOLLGATE_NOW=2026-02-01T10:40:00Z
start_serve || { fail "serve did not start"; done_tests; }
wait_state e rolled-back
checks=$((checks + 1))
grep -qxF "e prod 1.e -> none" .fx/rollbacks || fail "the loop did not run e's rollback: $(cat .fx/rollbacks 2>/dev/null)"
[ "$(state a)" = soaking ] || fail "a is not soaking"
metric_at_least 'tollgate_soak_outcomes_total{outcome="rolled-back"}'
stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
run log --json
expect_json 'any(e["action"] == "incident.open" and e["subject"] == "e@prod" and e["actor"] == "tollgate" for e in j["entries"])'
expect_json 'any(e["subject"] == "e@prod" and e["action"] == "promotion.rolled-back" and "breached" in e["detail"] for e in j["entries"])'
rm .fx/rate-e

# ---- the soak is over at 11:00:05: a is healthy, with nobody at a terminal ----
export TOLLGATE_NOW=2026-02-01T11:00:05Z
start_serve || { fail "serve did not start"; done_tests; }
wait_state a healthy
metric_at_least 'tollgate_soak_outcomes_total{outcome="healthy"}'
stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
run log
expect_out_has "soak passed"
run log --verify
expect_rc 0
done_tests
