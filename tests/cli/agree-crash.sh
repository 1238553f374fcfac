#!/bin/bash
# agree-crash.sh - why, next, promote --dry-run, promote, status --json and
# report --format json answer from one engine and agree (issue 8), in the
# situations where separate front ends used to disagree: a gate approved by a
# person who then lost the role, a rolled-back promotion (the restored version
# is live, the failed one is shown beside it), a project held after repeated
# rollbacks, and a promotion whose runner died (interrupted: ready, the repair
# is pending). tests/cli/agree.py compares the front ends for one cell.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
	TOLLGATE_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
	export TOLLGATE_DB
fi
export TOLLGATE_NOW=2026-02-01T10:00:00Z
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
# exec-dag.yaml with a gate before sit held by ops-lead (olga, rita)
python3 - "$FIXTURES/exec-dag.yaml" <<'PY'
import sys
src = open(sys.argv[1]).read()
src = src.replace("  - {id: olga, roles: [ops-lead]}\n",
                  "  - {id: olga, roles: [ops-lead]}\n  - {id: rita, roles: [ops-lead]}\n")
src += "gates:\n  - {id: sit-gate, approvers: [ops-lead], before: {env: sit}}\n"
open("tollgate.yaml", "w").write(src)
# the same plan after olga moved to another team: she no longer holds ops-lead
open("moved.yaml", "w").write(src.replace("{id: olga, roles: [ops-lead]}", "{id: olga, roles: [sdet]}"))
PY
export TOLLGATE_PLAN="$T/tollgate.yaml"

# agree P E [EXPECT]: the front ends agree on P in E (and why says EXPECT)
agree() {
	checks=$((checks + 1))
	if ! /usr/bin/python3 "$TOLLGATE_SRC/tests/cli/agree.py" "$TOLLGATE_BIN" "$@" >"$T/agree" 2>&1; then
		fails=$((fails + 1))
		echo "FAIL: the front ends disagree on $1 in $2 (plan $(basename "$TOLLGATE_PLAN")):" >&2
		sed 's/^/  /' "$T/agree" >&2
	fi
}

for p in a e; do run record $p dev --version "1.$p" --as sam; done
agree a sit not-ready:gates
run approve sit-gate --as olga
expect_rc 0
agree a sit ready
agree e sit ready

# olga loses the role: her approval no longer counts anywhere
export TOLLGATE_PLAN="$T/moved.yaml"
agree a sit not-ready:gates
agree e sit not-ready:gates
run report --format json
expect_json '[g for g in j["gates"] if g["id"] == "sit-gate"][0]["status"] != "passed"'
run promote --to sit --project a
expect_rc 3
# rita, who holds the role now, may approve: olga's approval no longer fills it
run approve sit-gate --as rita
expect_rc 0
agree a sit ready

run promote --to sit --project a --project e
expect_rc 0
agree a sit
agree a prod

# a new candidate: rita's approval was for 1.a, it no longer counts for a
# (everywhere alike), while it still does for e; approved again, for 2.a
run record a dev --version 2.a --as sam
agree a sit not-ready:gates
run why a sit
expect_out_has "gate 'sit-gate': approval by rita (ops-lead) was for 1.a; the candidate is now 2.a — approve again"
run approve sit-gate --as rita
expect_rc 0
expect_out_has "approved gate 'sit-gate' as ops-lead (rita) for a 2.a, e 1.e"

# a rolled-back promotion: 1.a stays live, 2.a failed
touch .fx/fail-verify-a
run promote --to sit --project a
expect_rc 1
agree a sit
run status --json
expect_json '[c for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"][0]["state"] == "rolled-back"'
expect_json '[c for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"][0]["live_version"] == "1.a"'
expect_json '[c for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"][0]["failed_version"] == "2.a"'
run status
expect_out_has "1.a"
expect_out_has "2.a"

# 2.a is rejected in sit now, in every front end
agree a sit not-ready:source
# twice more (allowed again each time): held after three rollbacks; every
# front end says so
for i in 1 2; do
	run allow a 2.a --env sit --reason "retry $i" --as olga
	expect_rc 0
	run promote --to sit --project a
	expect_rc 1
done
run allow a 2.a --env sit --reason "after the third" --as olga
agree a sit not-ready:source
run why a sit
expect_rc 3
expect_out_has "--retry-held"
run next --json
expect_json 'not any(x["project"] == "a" and x["env"] == "sit" for x in j["ready"])'
run promote --to sit --project a
expect_rc 3
expect_out_has "held"
rm .fx/fail-verify-a
run promote --to sit --project a --retry-held --as olga
expect_rc 0
agree a sit

# a runner killed in the middle of a deploy: the pair is ready again (the
# next run repairs it) in every front end, and the next promote does so
run record e dev --version 2.e --as sam
run approve sit-gate --as rita
expect_rc 0
echo 30 >.fx/sleep-e
: >.fx/timeline
"$TOLLGATE_BIN" promote --to sit --project e >"$T/bg.out" 2>&1 &
bg=$!
for _ in $(seq 1 200); do
	grep -q "^start e" .fx/timeline 2>/dev/null && break
	sleep 0.05
done
kill -9 "$bg"
wait "$bg" 2>/dev/null || true
rm -f .fx/sleep-e
agree e sit ready
run promote --to sit --project e
expect_rc 0
run log
expect_out_has "promotion.interrupted"
agree e sit
run status --json
expect_json '[c for c in j["cells"] if c["project"] == "e" and c["env"] == "sit"][0]["version"] == "2.e"'
done_tests
