#!/bin/bash
# soak.sh - soaking promotions: a trigger measured once during promote (a
# breach there rolls back and opens an incident), `soak` measuring triggers of
# soaking promotions, finishing them healthy once the soak has passed, rolling
# back a breach during soak with an incident at the trigger's level, and
# `soak --wait` waiting for the next soak end.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export TOLLGATE_NOW=2026-02-01T10:00:00Z
for p in a b c d e; do run record $p dev --version "1.$p" --as sam; done

# a breach while verifying: rolled back, incident (level 1) on the project
echo 0.3 >.fx/rate-e
run promote --to sit --json
expect_rc 1
expect_json '{r["project"]: r["outcome"] for r in j["results"]} == {"a": "healthy", "b": "healthy", "c": "healthy", "d": "healthy", "e": "rolled-back"}'
expect_json '[r for r in j["results"] if r["project"] == "e"][0]["detail"].startswith("trigger \x27error-rate\x27 breached: measured 0.3, above 0.05")'
expect_json '[r for r in j["results"] if r["project"] == "e"][0]["incident"] == 1'
run status
expect_out_has "e@sit"
rm .fx/rate-e

# nothing soaking yet
run soak
expect_rc 0
expect_out_has "nothing is soaking"

# prod soaks 1h
run promote --to prod --project a --project b --project c --json
expect_rc 0
expect_json 'sorted(r["outcome"] for r in j["results"]) == ["soaking"] * 3'
run soak --json
expect_rc 0
expect_json 'j["results"] == [] and j["soaking"] == 3 and j["next_end"] == "2026-02-01T11:00:00Z"'

# a breach during soak: b rolled back, an incident at the trigger's level
echo 0.5 >.fx/rate-b
TOLLGATE_NOW=2026-02-01T10:30:00Z run soak --json
expect_rc 1
expect_json '[(r["project"], r["outcome"]) for r in j["results"]] == [("b", "rolled-back")]'
expect_json 'j["results"][0]["detail"].startswith("trigger \x27error-rate\x27 breached: measured 0.5, above 0.05 during soak; rolled back")'
expect_json 'j["soaking"] == 2 and j["results"][0]["incident"] == 2'
checks=$((checks + 1))
grep -qxF "b prod 1.b -> none" .fx/rollbacks || fail "soak did not roll b back: $(cat .fx/rollbacks)"
run status --json
expect_json '{(c["project"], c["env"]): c["state"] for c in j["cells"]}[("b", "prod")] == "rolled-back"'
rm .fx/rate-b

# the soak has passed: healthy
TOLLGATE_NOW=2026-02-01T11:00:05Z run soak --json
expect_rc 0
expect_json 'sorted((r["project"], r["outcome"]) for r in j["results"]) == [("a", "healthy"), ("c", "healthy")] and j["soaking"] == 0'
run log
expect_out_has "soak passed"

# soak --wait: sleeps until the soak ends (one second away), then finishes it
# (1.e, rolled back from sit by its breach, is rejected there: a new version)
run promote --to sit --project e
expect_rc 3
expect_out_has "source: version 1.e was rolled back from sit on 2026-02-01T10:00:00Z (trigger 'error-rate' breached: measured 0.3, above 0.05"
run record e dev --version 2.e --as sam
run promote --to sit --project e
expect_rc 0
run promote --to prod --project e
expect_rc 3
expect_out_has "incidents: incident 1 (level 1, e in sit)"
run incident resolve 1 --as olga
run promote --to prod --project e --json
expect_rc 0
TOLLGATE_NOW=2026-02-01T10:59:59Z run soak --wait --poll 1s --json
expect_rc 0
expect_json '[(r["project"], r["outcome"]) for r in j["results"]] == [("e", "healthy")] and j["soaking"] == 0'

# soak --wait stops on SIGINT: the handler raises the command's cancel token
# (once the first pass has measured, so the handler is in place)
run record e dev --version 9.e --as sam
run promote --to sit --project e
expect_rc 0
run promote --to prod --project e
expect_rc 0
"$TOLLGATE_BIN" soak --wait --poll 1s >"$T/wait.out" 2>&1 &
bg=$!
for _ in $(seq 1 600); do grep -q "measure-error-rate done" "$T/wait.out" && break; sleep 0.05; done
kill -INT $bg
set +e; wait $bg; bgrc=$?; set -e
checks=$((checks + 1))
[ "$bgrc" -eq 0 ] || fail "soak --wait after SIGINT exited $bgrc: $(cat "$T/wait.out")"
checks=$((checks + 1))
grep -q "1 still soaking" "$T/wait.out" || fail "soak --wait after SIGINT: $(cat "$T/wait.out")"

run log --verify
expect_rc 0
done_tests
