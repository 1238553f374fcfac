#!/bin/bash
# serve-runs-drain.sh - SIGTERM while the server runs a promotion (issue 11
# item 1): the running steps finish as in `promote` on SIGTERM (nothing new
# starts), then serve exits 0; a second SIGTERM, or --drain-timeout, stops
# them (killed) and serve still exits 0; the next promote finishes the work.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"
export TOLLGATE_USER=olga

backend_store
export T
export TOLLGATE_NOW=2026-02-01T10:00:00Z
cp "$FIXTURES/exec-chain.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
for p in p1 p2 p3 q1 q2 r1 r2 r3; do "$TOLLGATE_BIN" record $p dev --version "v1-$p" >/dev/null; done
export OLGA=$("$TOLLGATE_BIN" token create olga --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# promote PROJECTS...: POST a run of them to sit (202)
promote() {
	PROJECTS="$*" py '
st, h, j, raw = sc.send("POST", "/api/v1/promotions", {"to": "sit", "projects": os.environ["PROJECTS"].split(), "jobs": 2}, token=os.environ["OLGA"])
sc.check(st == 202, "promote: %d %s" % (st, raw))
'
}
# started N: wait until N deploys have started
started() {
	local i
	for i in $(seq 100); do
		[ "$(grep -c '^start ' .fx/timeline 2>/dev/null || true)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the deploys did not start"
}

# one SIGTERM: p1 and r1 deploy to the end; p2 (after p1) never starts.
# Before it, the plan is reloaded: the run keeps the plan it started with
# (under ASan a freed plan would be caught)
FX_SLEEP=1.5 start_serve || { fail "serve did not start"; done_tests; }
promote p1 p2 r1
started 2
echo "# changed while a run runs" >>tollgate.yaml
kill -HUP "$SERVE_PID"
for i in $(seq 50); do grep -q "reloaded" "$T/serve.err" && break; sleep 0.1; done
checks=$((checks + 1))
grep -q "plan 'tollgate.yaml' reloaded\|reloaded (sha256" "$T/serve.err" || fail "the plan was not reloaded: $(cat "$T/serve.err")"
t0=$(date +%s)
stop_serve TERM
checks=$((checks + 1))
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc after SIGTERM"
expect_err_has_file() { checks=$((checks + 1)); grep -qF "$1" "$T/serve.err" || fail "serve's stderr lacks '$1': $(cat "$T/serve.err")"; }
expect_err_has_file "waiting for 1 promotion run to finish its running steps"
checks=$((checks + 1))
[ "$(sort .fx/deploys)" = "$(printf 'p1 sit v1-p1\nr1 sit v1-r1')" ] || fail "the running deploys did not finish: $(cat .fx/deploys 2>/dev/null)"
checks=$((checks + 1))
! grep -q '^start p2 ' .fx/timeline || fail "p2 started after SIGTERM"
run promote --to sit --project p1 --project p2 --project r1
expect_rc 0
run status --json
expect_json 'sorted((c["project"], c["state"]) for c in j["cells"] if c["env"] == "sit" and c["project"] in ("p1", "p2", "r1")) == [("p1", "healthy"), ("p2", "healthy"), ("r1", "healthy")]'

# two SIGTERMs: the running deploys are stopped, serve exits 0 at once;
# 4 runs at once, a fifth is refused (503, Retry-After)
: >.fx/timeline
: >.fx/deploys
FX_SLEEP=30 start_serve || { fail "serve did not start"; done_tests; }
promote p3
promote q1
promote r2
promote r3
started 4
py '
st, h, j, raw = sc.send("POST", "/api/v1/promotions", {"to": "sit", "projects": ["q2"]}, token=os.environ["OLGA"])
sc.check(st == 503 and j["error"]["code"] == "busy" and int(h.get("retry-after", "0")) >= 1, "a fifth run: %d %s" % (st, raw))
sc.valid("/api/v1/promotions", st, raw, method="post")
st, h, m = sc.get("/metrics")
sc.check(b"tollgate_promote_runs_running 4" in m, "metrics: %s" % m[-600:])
'
t0=$(date +%s)
kill -TERM "$SERVE_PID"
sleep 0.5
stop_serve TERM
checks=$((checks + 1))
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc after two SIGTERMs"
checks=$((checks + 1))
[ $(($(date +%s) - t0)) -lt 15 ] || fail "the second SIGTERM did not stop the steps"
expect_err_has_file "signalled again: stopping the running steps"
checks=$((checks + 1))
[ ! -s .fx/deploys ] || fail "a stopped deploy finished: $(cat .fx/deploys)"

# --drain-timeout: one SIGTERM, the steps are stopped when it passes
: >.fx/timeline
"$TOLLGATE_BIN" record p1 dev --version v2-p1 >/dev/null
FX_SLEEP=30 start_serve --drain-timeout 1 || { fail "serve did not start"; done_tests; }
promote p1
started 1
t0=$(date +%s)
stop_serve TERM
checks=$((checks + 1))
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc after the drain timeout"
checks=$((checks + 1))
[ $(($(date +%s) - t0)) -lt 15 ] || fail "the drain timeout did not stop the steps"
expect_err_has_file "the drain timeout passed: stopping the running steps"
checks=$((checks + 1))
[ ! -s .fx/deploys ] || fail "a stopped deploy finished: $(cat .fx/deploys)"

# what was stopped is repaired and finished by the next promote
run promote --to sit
expect_rc 0
run status --json
expect_json 'all(c["state"] == "healthy" for c in j["cells"] if c["env"] == "sit" and c["project"] in ("p1", "p2", "p3", "q1", "q2", "r1", "r2", "r3"))'
done_tests
