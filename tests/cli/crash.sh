#!/bin/bash
# crash.sh - `promote` SIGKILLed at random moments, many times, then
# run again: every project ends healthy, no deploy ever overlapped another of
# the same project (the fixture's lock), the repairs are logged as
# `interrupted`, and the audit chain verifies.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
	TOLLGATE_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
else
	TOLLGATE_DB="sqlite:$T/state.db"
fi
export TOLLGATE_DB
export TOLLGATE_NOW=2026-02-01T10:00:00Z
cp "$FIXTURES/exec-chain.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export FX_SLEEP=0.3

projects="p1 p2 p3 q1 q2 r1 r2 r3"
kills=${CRASH_KILLS:-12}
for round in $(seq 1 "$kills"); do
	# a new version each few rounds, so that some kills land on fresh work
	if [ $((round % 4)) -eq 1 ]; then
		for p in $projects; do "$TOLLGATE_BIN" record $p dev --version "v$round-$p" >/dev/null; done
	fi
	"$TOLLGATE_BIN" promote --to sit -j 3 >"$T/round.out" 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 9))$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done

# the survivor run repairs and finishes everything
for attempt in 1 2 3; do
	run promote --to sit -j 3
	[ "$rc" -eq 0 ] && break
	[ "$rc" -eq 3 ] && break
done
checks=$((checks + 1))
[ "$rc" -eq 0 ] || [ "$rc" -eq 3 ] || fail "the run after the kills exited $rc"

run status --json
expect_json 'all(c["state"] == "healthy" for c in j["cells"] if c["env"] == "sit") and len([c for c in j["cells"] if c["env"] == "sit"]) == 8'
expect_json 'all(c["version"].endswith("-" + c["project"]) and c["version"].startswith("v%d-" % ((('"$kills"' - 1) // 4) * 4 + 1)) for c in j["cells"] if c["env"] == "sit")'
checks=$((checks + 1))
if [ -s .fx/overlap ]; then fail "deploys overlapped: $(cat .fx/overlap)"; fi
# every version live in sit is what its deploy wrote
for p in $projects; do
	checks=$((checks + 1))
	want=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print([c["version"] for c in j["cells"] if c["env"]=="sit" and c["project"]==sys.argv[2]][0])' "$T/out" $p)
	[ "$(cat .fx/sit/$p)" = "$want" ] || fail "$p: deployed '$(cat .fx/sit/$p)', store says '$want'"
done
run log
echo "repairs logged: $(grep -c 'promotion.interrupted' "$T/out" || true)"
run log --verify
expect_rc 0
expect_out_has "verified"
# nothing of ours is left running
checks=$((checks + 1))
sleep 0.2
if pgrep -f "exec-scripts/deploy.sh" >/dev/null 2>&1 && [ -n "$(for p in $(pgrep -f exec-scripts/deploy.sh); do [ "$(readlink /proc/$p/cwd)" = "$T" ] && echo $p; done)" ]; then
	fail "a deploy of this test still runs"
fi
done_tests
