#!/bin/bash
# promote.sh - `tollgate promote` on a small executable plan (exec-dag.yaml,
# real processes, a real store): --dry-run, dependency order and parallelism
# (times written by the fixture scripts), a failed verify rolled back with its
# dependents skipped, versions that try shell injection reaching deploy
# intact, nothing ready (exit 3), freeze override, the rollback-loop hold and
# a level-2 incident pausing a run. Order and overlap are proven from the
# order of the events the fixture scripts append, never from times.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export TOLLGATE_NOW=2026-02-01T10:00:00Z

for p in a b c d e; do
	run record $p dev --version "1.$p" --as sam
done

# --- dry run: the order and the commands, nothing runs
run promote --to sit --dry-run
expect_rc 0
expect_out_has "1. a 1.a"
expect_out_has "deploy: sh exec-scripts/deploy.sh"
expect_out_has "then for each: trigger error-rate: sh exec-scripts/measure.sh"
checks=$((checks + 1))
[ ! -e .fx/deploys ] || fail "dry run deployed something"
run promote --to sit --dry-run --json
expect_json 'j["dry_run"] and [x["project"] for x in j["plan"]][0] == "a" and [x["project"] for x in j["plan"]].index("d") > [x["project"] for x in j["plan"]].index("b")'

# --- dependency order and parallelism, from the order of recorded events.
# Barriers prove overlap: a's deploy ends only once e's has started, b's only
# once c's has started and c's only once b's has (a run that serialised them
# would fail those deploys after 30 s).
echo "start e" >.fx/await-a; echo "start c" >.fx/await-b; echo "start b" >.fx/await-c
run promote --to sit -j 4 --json
expect_rc 0
expect_json 'sorted((r["project"], r["outcome"]) for r in j["results"]) == [(p, "healthy") for p in "abcde"]'
expect_json 'all(r["env"] == "sit" and r["version"] == "1." + r["project"] for r in j["results"])'
checks=$((checks + 1))
python3 - .fx/timeline <<'PY' || fail "dependency order / parallelism (timeline below)"
import sys
at = {}
for n, line in enumerate(open(sys.argv[1])):
    kind, p = line.split()[:2]
    at.setdefault((kind, p), n)
ok = True
def need(cond, what):
    global ok
    if not cond:
        print("timeline:", what, file=sys.stderr); ok = False
# a dependent starts only after its dependency verified
need(at[("start", "b")] > at[("verify", "a")], "b started before a verified")
need(at[("start", "c")] > at[("verify", "a")], "c started before a verified")
need(at[("start", "d")] > max(at[("verify", "b")], at[("verify", "c")]), "d started before b and c verified")
# independent ones overlapped: a with e, b with c
need(at[("start", "e")] < at[("end", "a")], "a and e did not run at once")
need(max(at[("start", "b")], at[("start", "c")]) < min(at[("end", "b")], at[("end", "c")]), "b and c did not run at once")
sys.exit(0 if ok else 1)
PY
[ "$fails" -eq 0 ] || cat .fx/timeline >&2
rm -f .fx/await-*

# logs per run and step, beside the store
checks=$((checks + 1))
ls .tollgate/runs/*/a.sit.deploy.log >/dev/null 2>&1 || fail "no log .tollgate/runs/RUN/a.sit.deploy.log"

# --- everything already there: up to date is done, not a refusal (exit 0)
run promote --to sit
expect_rc 0
expect_out_has "up to date: 5 projects"
expect_err_empty

# --- a failed verify: rolled back, its dependents skipped, the last lines shown
touch .fx/fail-verify-b
run promote --to prod -j 2
expect_rc 1
expect_out_has "b: verify failed: exited with status 1"
expect_out_has "| health check of b: 3 of 3 probes failed"
run status --json
expect_json '{(c["project"], c["env"]): c["state"] for c in j["cells"]}[("b", "prod")] == "rolled-back"'
# 1.b was rolled back from prod: rejected there, promote does not deploy it
# again (exit 3, the reason said); a person allows it again, and it runs
run promote --to prod --json
expect_rc 3
expect_json '[x["summary"] for x in j["not_ready"] if x["project"] == "b"] == ["source: version 1.b was rolled back from prod on 2026-02-01T10:00:00Z (verify exited with status 1; rolled back to nothing (no previous version)): record a new version, or allow it again"]'
run allow b 1.b --env prod --reason "flaky probe, once more" --as olga
expect_rc 0
run promote --to prod --json
expect_rc 1
expect_json '{r["project"]: r["outcome"] for r in j["results"]} == {"b": "rolled-back", "d": "skipped"}'
expect_json '[r["detail"] for r in j["results"] if r["project"] == "d"][0] == "dependency \x27b\x27 was rolled back"'
checks=$((checks + 1))
grep -qxF "b prod 1.b -> none" .fx/rollbacks || fail "the rollback did not get TOLLGATE_VERSION=1.b and no previous version"

# --- the third rollback in 24h holds b: refused until a person retries it
run allow b 1.b --env prod --reason "once more" --as olga
run promote --to prod --project b
expect_rc 1
run allow b 1.b --env prod --reason "and again" --as olga
run promote --to prod --project b
expect_rc 3
expect_out_has "held: b was rolled back 3 times in prod in the last 24h"
rm .fx/fail-verify-b
TOLLGATE_USER= run promote --to prod --project b --retry-held
expect_rc 2
expect_err_line "tollgate: error: promote --to prod needs a person: use --as PERSON or set TOLLGATE_USER (identity: claim)"
run promote --to prod --project b --retry-held --as olga --json
expect_rc 0
expect_json 'j["results"][0]["outcome"] == "soaking"'
run log
expect_out_has "retry of a held project allowed by olga"

# --- shell injection: values reach the commands only as environment variables
# (the issue's own examples: '1.0;touch x' and '$(id)')
run record a dev --version '1.0;touch injected' --as sam
expect_rc 0
run record e dev --version '$(touch injected2)`id`' --as sam
expect_rc 0
run promote --to sit --json
expect_rc 0
expect_json 'sorted(r["version"] for r in j["results"]) == ["$(touch injected2)`id`", "1.0;touch injected"]'
checks=$((checks + 1))
[ "$(cat .fx/sit/a)" = '1.0;touch injected' ] || fail "deploy got '$(cat .fx/sit/a)' for a"
checks=$((checks + 1))
[ "$(cat .fx/sit/e)" = '$(touch injected2)`id`' ] || fail "deploy got '$(cat .fx/sit/e)' for e"
checks=$((checks + 1))
[ ! -e injected ] && [ ! -e injected2 ] || fail "a version was run by a shell"

# --- freeze window in prod: refused, overridden only by a freeze_override role
export TOLLGATE_NOW=2026-03-01T12:00:00Z
run promote --to prod --project a
expect_rc 3
expect_out_has "freeze"
run promote --to prod --project a --override-freeze --as olga
expect_rc 2
expect_err_has "--override-freeze needs --reason"
run promote --to prod --project a --override-freeze --reason "hotfix" --as sam
expect_rc 3
expect_err_line "tollgate: error: 'sam' holds no role that may override a freeze of 'prod' (environments[].freeze_override)"
run promote --to prod --project a --override-freeze --reason "hotfix for the checkout" --as olga --json
expect_rc 0
expect_json 'j["results"][0]["project"] == "a" and j["results"][0]["outcome"] == "soaking"'
run log
expect_out_has "freeze.override"
expect_out_has "hotfix for the checkout"

# --- a level-2 incident opened during a run: the running step ends, nothing new starts
export TOLLGATE_NOW=2026-03-05T12:00:00Z
for p in a b c d e; do run record $p dev --version "2.$p" --as sam; done
# every deploy waits for the event "incident" (the barrier below): the
# first one is still running when the incident opens, however slow the host
for p in a b c d e; do echo incident >.fx/await-$p; done
starts=$(grep -c '^start' .fx/timeline)
"$TOLLGATE_BIN" promote --to sit -j 1 --json >"$T/bg.json" 2>"$T/bg.err" &
bg=$!
for _ in $(seq 1 600); do [ "$(grep -c '^start' .fx/timeline)" -gt "$starts" ] && break; sleep 0.05; done
run incident open --level 2 --env sit --as olga "error budget burnt"
expect_rc 0
echo "incident opened" >>.fx/timeline
set +e; wait $bg; bgrc=$?; set -e
rm -f .fx/await-*
checks=$((checks + 1))
[ "$bgrc" -eq 0 ] || fail "the paused run exited $bgrc"
cp "$T/bg.json" "$T/out"
expect_json '[r["outcome"] for r in j["results"]].count("healthy") == 1 and len(j["results"]) == 5'
expect_json 'j["paused"] and all(r["outcome"] == "skipped" and "incident 1 (level 2)" in r["detail"] for r in j["results"] if r["outcome"] != "healthy")'
run promote --to sit
expect_rc 3
expect_out_has "incidents"

run log --verify
expect_rc 0
done_tests
