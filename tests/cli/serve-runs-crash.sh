#!/bin/bash
# serve-runs-crash.sh - `serve` SIGKILLed during a promotion it runs (issue
# 11, reliability): the next runner repairs what it left exactly as after a
# CLI crash (crash.sh): the CLI's `promote`, and in a second round a new
# server's POST /api/v1/promotions. Every pair left deploying or verifying
# gets a logged `promotion.interrupted` before it is deployed again, its
# leftover deploy is killed (no overlap), everything ends healthy, the audit
# verifies.
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
projects="p1 p2 p3 q1 q2 r1 r2 r3"
export OLGA=$("$TOLLGATE_BIN" token create olga --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# post_run: start a promotion of everything to sit through the server; its
# run id in $T/run
post_run() {
	py '
st, h, j, raw = sc.send("POST", "/api/v1/promotions", {"to": "sit", "jobs": 3}, token=os.environ["OLGA"])
sc.check(st == 202, "promote: %d %s" % (st, raw))
open(os.environ["T"] + "/run", "w").write(j["run"] if st == 202 else "")
open(os.environ["T"] + "/repaired", "w").write(str(j.get("repaired", -1)) if j else "-1")
'
}

# kill_mid_run: SIGKILL the server once the first deploys have ended (their
# steps are in the store) and the next ones started
kill_mid_run() {
	local i
	for i in $(seq 100); do
		[ "$(grep -c '^start ' .fx/timeline 2>/dev/null || true)" -ge 4 ] && break
		sleep 0.1
	done
	kill -9 "$SERVE_PID"
	stop_serve none
}

stuck() {
	"$TOLLGATE_BIN" status --json | /usr/bin/python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin)["cells"] if c["env"] == "sit" and c["state"] in ("deploying", "verifying")))'
}

# the log: a pair left deploying/verifying is followed by `promotion.interrupted`
# before its next `promotion.deploying`; prints how many repairs there were
check_log() {
	run log --json
	/usr/bin/python3 - "$T/out" <<'PY' || fail "repairs are not logged as interrupted"
import json, sys
log = json.load(open(sys.argv[1]))
state, bad, interrupted = {}, [], 0
for en in log["entries"]:
    a, subj = en["action"], en["subject"]
    if not a.startswith("promotion."):
        continue
    st = a.split(".", 1)[1]
    if st == "interrupted":
        interrupted += 1
    if st == "deploying" and state.get(subj) in ("deploying", "verifying"):
        bad.append("%s: deployed again at seq %d while %s" % (subj, en["seq"], state[subj]))
    state[subj] = st
for b in bad:
    print(b, file=sys.stderr)
open(sys.argv[1] + ".interrupted", "w").write(str(interrupted))
sys.exit(1 if bad else 0)
PY
}

all_healthy() {
	run status --json
	expect_json 'sorted((c["project"], c["state"], c["version"]) for c in j["cells"] if c["env"] == "sit") == sorted((p, "healthy", "v'"$1"'-" + p) for p in "p1 p2 p3 q1 q2 r1 r2 r3".split())'
}

# ---- round 1: the server dies, the CLI repairs ----
for p in $projects; do "$TOLLGATE_BIN" record $p dev --version "v1-$p" >/dev/null; done
FX_SLEEP=1 start_serve || { fail "serve did not start"; done_tests; }
post_run
kill_mid_run
n=$(stuck)
checks=$((checks + 1))
[ "$n" -ge 1 ] || fail "the kill left nothing mid-promotion (nothing to repair)"
run promote --to sit -j 3
expect_rc 0
expect_out_has "died while"
all_healthy 1
check_log
checks=$((checks + 1))
[ "$(cat "$T/out.interrupted")" -ge "$n" ] || fail "$n pairs were left mid-promotion, $(cat "$T/out.interrupted") repaired"
checks=$((checks + 1))
[ ! -s .fx/overlap ] || fail "deploys overlapped: $(cat .fx/overlap)"
# the run the dead server started is shown from the store by another server
run1=$(cat "$T/run")

# ---- round 2: the server dies, a new server's POST repairs ----
for p in $projects; do "$TOLLGATE_BIN" record $p dev --version "v2-$p" >/dev/null; done
: >.fx/timeline
FX_SLEEP=1 start_serve || { fail "serve did not start"; done_tests; }
post_run
kill_mid_run
n=$(stuck)
checks=$((checks + 1))
[ "$n" -ge 1 ] || fail "round 2: the kill left nothing mid-promotion"
interrupted_before=$(cat "$T/out.interrupted")
FX_SLEEP=0 start_serve || { fail "serve did not start"; done_tests; }
export RUN1=$run1
post_run
checks=$((checks + 1))
[ "$(cat "$T/repaired")" -ge "$n" ] || fail "the new server's run repaired $(cat "$T/repaired"), $n were left"
py '
import time
run = open(os.environ["T"] + "/run").read()
for i in range(300):
    st, h, body = sc.get("/api/v1/runs/" + run)
    r = json.loads(body)
    if r["state"] != "running":
        break
    time.sleep(0.1)
sc.check(r["state"] == "done" and r["report"]["repaired"] >= 1, "the repairing run: %s" % body)
sc.check(all(x["outcome"] == "healthy" for x in r["report"]["results"]), "results %s" % r["report"]["results"])
sc.check(any("died while" in n for n in r["notes"]), "the repair is not in the notes: %s" % r["notes"])
# the run of the server killed in round 1, from the store
st, h, body = sc.get("/api/v1/runs/" + os.environ["RUN1"])
sc.valid("/api/v1/runs/{id}", st, body)
r = json.loads(body)
sc.check(st == 200 and r["source"] == "store" and r["state"] in ("done", "interrupted"), "the dead run: %d %s" % (st, body))
'
stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
all_healthy 2
check_log
checks=$((checks + 1))
[ "$(cat "$T/out.interrupted")" -ge $((interrupted_before + n)) ] || fail "round 2: $n pairs left mid-promotion, $(($(cat "$T/out.interrupted") - interrupted_before)) repaired"
checks=$((checks + 1))
[ ! -s .fx/overlap ] || fail "deploys overlapped: $(cat .fx/overlap)"
run log --verify
expect_rc 0
# nothing of this test is left running
checks=$((checks + 1))
sleep 0.2
for p in $(pgrep -f exec-scripts/deploy.sh || true); do
	[ "$(readlink /proc/$p/cwd 2>/dev/null)" != "$T" ] || fail "a deploy of this test still runs ($p)"
done
done_tests
