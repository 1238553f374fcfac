#!/bin/bash
# ctrl-c.sh - Ctrl-C tells the truth (issue 10, item 13): the first says at
# once that nothing new starts and the running steps finish, and what a
# second would do; the second says the running steps are being stopped; the
# summary counts the stopped promotion as interrupted (its own outcome, not
# "failed") and says the steps were killed, not that they finished.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export TOLLGATE_NOW=2026-02-01T10:00:00Z
run record a dev --version 1.a --as sam
echo 60 >.fx/sleep-a
: >.fx/timeline
"$TOLLGATE_BIN" promote --to sit --project a >"$T/bg.out" 2>"$T/bg.err" &
pid=$!
for _ in $(seq 1 600); do
	grep -q "^start a " .fx/timeline 2>/dev/null && break
	sleep 0.05
done
kill -INT $pid
for _ in $(seq 1 600); do
	grep -q "stopping:" "$T/bg.err" && break
	sleep 0.05
done
checks=$((checks + 1))
grep -qxF "tollgate: stopping: nothing new starts, the running steps finish (Ctrl-C again stops them now)" "$T/bg.err" ||
	fail "the first Ctrl-C said nothing at once: $(cat "$T/bg.err")"
kill -INT $pid
set +e
wait $pid
rc=$?
set -e
expect_rc 1
checks=$((checks + 1))
grep -qxF "tollgate: stopping now: the running steps are being stopped (SIGTERM, then SIGKILL)" "$T/bg.err" ||
	fail "the second Ctrl-C said nothing: $(cat "$T/bg.err")"
checks=$((checks + 1))
grep -q "0 failed, 0 skipped, 1 interrupted" "$T/bg.out" || fail "the summary does not count the interrupted promotion: $(cat "$T/bg.out")"
checks=$((checks + 1))
grep -q "cancelled: the running steps were stopped (killed)" "$T/bg.out" || fail "the summary does not say the steps were killed: $(cat "$T/bg.out")"
run status --json
expect_json '[c["state"] for c in j["cells"] if (c["project"], c["env"]) == ("a", "sit")] == ["interrupted"]'
rm -f .fx/sleep-a
run promote --to sit --project a --json
expect_rc 0
expect_json '[(r["project"], r["outcome"]) for r in j["results"]] == [("a", "healthy")]'
done_tests
