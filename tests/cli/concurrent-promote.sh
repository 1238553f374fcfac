#!/bin/bash
# concurrent-promote.sh - four `promote` processes started at once on one
# store deploy each project exactly once: the leases let one runner take a
# project, the others skip it (or find it already promoted); every project
# ends healthy, no deploy overlapped, the audit chain verifies.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

backend_store
export TOLLGATE_NOW=2026-02-01T10:00:00Z
cp "$FIXTURES/exec-chain.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export FX_SLEEP=0.2
projects="p1 p2 p3 q1 q2 r1 r2 r3"

for round in 1 2; do
	for p in $projects; do "$TOLLGATE_BIN" record $p dev --version "v$round-$p" >/dev/null; done
	: >.fx/deploys
	pids=""
	for k in 1 2 3 4; do
		"$TOLLGATE_BIN" promote --to sit -j 2 --json >"$T/run$k.json" 2>"$T/run$k.err" &
		pids="$pids $!"
	done
	for p in $pids; do
		set +e; wait "$p"; r=$?; set -e
		checks=$((checks + 1))
		[ "$r" -eq 0 ] || [ "$r" -eq 3 ] || fail "round $round: a promote exited $r: $(cat "$T"/run*.err)"
	done
	for p in $projects; do
		checks=$((checks + 1))
		n=$(grep -c "^$p sit " .fx/deploys || true)
		[ "$n" -eq 1 ] || fail "round $round: $p was deployed $n times: $(cat .fx/deploys)"
	done
	run status --json
	expect_json 'sorted((c["project"], c["state"], c["version"]) for c in j["cells"] if c["env"] == "sit") == sorted((p, "healthy", "v'"$round"'-" + p) for p in "p1 p2 p3 q1 q2 r1 r2 r3".split())'
	# across the four runs every project was promoted by exactly one of them
	checks=$((checks + 1))
	python3 - "$T"/run1.json "$T"/run2.json "$T"/run3.json "$T"/run4.json <<'PY' || fail "round $round: outcomes across the runs"
import json, sys, collections
done = collections.Counter()
for f in sys.argv[1:]:
    for r in json.load(open(f))["results"]:
        if r["outcome"] in ("healthy", "soaking"):
            done[r["project"]] += 1
        elif r["outcome"] != "skipped":
            print(f, r, file=sys.stderr); sys.exit(1)
if sorted(done.items()) != [(p, 1) for p in sorted("p1 p2 p3 q1 q2 r1 r2 r3".split())]:
    print(done, file=sys.stderr); sys.exit(1)
PY
done
checks=$((checks + 1))
if [ -s .fx/overlap ]; then fail "deploys overlapped: $(cat .fx/overlap)"; fi
run log --verify
expect_rc 0
done_tests
