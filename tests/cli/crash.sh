#!/bin/bash
# crash.sh - `promote` SIGKILLed at random moments, many times, then
# run again: every project ends healthy, no deploy ever overlapped another of
# the same project (the fixture's lock), every pair a kill left deploying or
# verifying is repaired with a logged `promotion.interrupted` before it is
# deployed again, and the audit chain verifies. The kill moments come from
# CRASH_SEED (random when unset; printed on failure to replay a run).
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

backend_store
export TOLLGATE_NOW=2026-02-01T10:00:00Z
cp "$FIXTURES/exec-chain.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export FX_SLEEP=0.3

projects="p1 p2 p3 q1 q2 r1 r2 r3"
kills=${CRASH_KILLS:-12}
seed=${CRASH_SEED:-$(( $(date +%s%N) % 32768 ))}
RANDOM=$seed
stuck_seen=0
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
	# what this kill left mid-promotion: the next run must repair it
	n=$("$TOLLGATE_BIN" status --json | python3 -c 'import json,sys; print(sum(1 for c in json.load(sys.stdin)["cells"] if c["env"] == "sit" and c["state"] in ("deploying", "verifying")))')
	stuck_seen=$((stuck_seen + n))
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
run log --json
# per pair: a promotion left deploying/verifying is followed by a logged
# `promotion.interrupted` before its next `promotion.deploying`
checks=$((checks + 1))
python3 - "$T/out" "$stuck_seen" <<'PY' || fail "repairs are not logged as interrupted (seed $seed)"
import json, sys
log = json.load(open(sys.argv[1]))
entries = log["entries"] if isinstance(log, dict) else log
stuck_seen = int(sys.argv[2])
state, bad, interrupted = {}, [], 0
for en in entries:
    a, subj = en["action"], en["subject"]
    if not a.startswith("promotion."):
        continue
    st = a.split(".", 1)[1]
    if st == "interrupted":
        interrupted += 1
    if st == "deploying" and state.get(subj) in ("deploying", "verifying"):
        bad.append("%s: deployed again at seq %d while %s, with no interrupted entry"
                   % (subj, en["seq"], state[subj]))
    if st == "interrupted" and state.get(subj) not in ("deploying", "verifying"):
        bad.append("%s: interrupted at seq %d but it was %s" % (subj, en["seq"], state.get(subj)))
    state[subj] = st
for b in bad:
    print(b, file=sys.stderr)
if stuck_seen and not interrupted:
    print("%d pairs were left mid-promotion by the kills, none repaired as interrupted" % stuck_seen,
          file=sys.stderr)
    bad.append(1)
print("pairs left mid-promotion after kills: %d; repairs logged: %d" % (stuck_seen, interrupted))
sys.exit(1 if bad else 0)
PY
run log --verify
expect_rc 0
expect_out_has "verified"
# nothing of ours is left running
checks=$((checks + 1))
sleep 0.2
if pgrep -f "exec-scripts/deploy.sh" >/dev/null 2>&1 && [ -n "$(for p in $(pgrep -f exec-scripts/deploy.sh); do [ "$(readlink /proc/$p/cwd)" = "$T" ] && echo $p; done)" ]; then
	fail "a deploy of this test still runs"
fi
[ "$fails" -eq 0 ] || echo "crash.sh: replay with CRASH_SEED=$seed" >&2
done_tests
