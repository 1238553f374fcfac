#!/bin/bash
# serve-runs-subdir.sh - the default store (.tollgate/ beside the plan) and a
# promote started in a subfolder, the plan found in its parent: the run
# records its step logs relative to the subfolder; `serve`, started beside
# the plan, serves them from the run's log folder all the same (and still
# nothing outside it).
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"
unset TOLLGATE_DB TOLLGATE_PLAN
export T TOLLGATE_USER=olga
cp "$FIXTURES/exec-chain.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx sub
run record r2 dev --version v1 --as olga
expect_rc 0
(cd sub && "$TOLLGATE_BIN" promote --to sit --project r2 -j 1 --as olga --json >"$T/sub.json") ||
	fail "the promote from sub/: $(cat "$T/sub.json")"
checks=$((checks + 1))
[ -f .tollgate/state.db ] && [ ! -e sub/.tollgate ] || fail "the store is not beside the plan"
start_serve || { fail "serve did not start"; done_tests; }
py '
run = json.load(open(os.environ["T"] + "/sub.json"))["run"]
st, h, b = sc.get("/api/v1/runs/%s/steps/r2/deploy/log" % run)
sc.check(st == 200 and h["content-type"].startswith("text/plain"), "the log of a run started in sub/: %d %r" % (st, b))
'
# a recorded path that does not end in runs/RUN/NAME is still refused
cli_run=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["run"])' "$T/sub.json")
sqlite3 .tollgate/state.db "UPDATE step_run SET log_path = '/etc/passwd' WHERE run_id = '$cli_run' AND step = 'deploy'"
py '
run = json.load(open(os.environ["T"] + "/sub.json"))["run"]
st, h, b = sc.get("/api/v1/runs/%s/steps/r2/deploy/log" % run)
sc.check(st == 403 and b"root:" not in b, "a forged log path: %d %r" % (st, b))
'
stop_serve
done_tests
