#!/bin/bash
# promote-order.sh - the critical path weighted by past durations: with no
# history, independent projects of equal chain length start in plan order;
# once the store knows how long each deploy and verify took in that
# environment (to the millisecond), the longest deploy + verify starts first.
# The durations the second run orders by are set in the store after the
# first run (what a loaded host measured does not decide the outcome).
. "$TOLLGATE_SRC/tests/cli/lib.sh"
export TOLLGATE_USER=olga # a promotion needs a person

cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: ORDER, title: Order by past durations}
environments:
  - {name: dev}
  - {name: sit}
people: [{id: olga, roles: [ops]}]
waves:
  - {id: w1}
projects:
  - {id: quick1, wave: w1, deploy: "sleep 0.1"}
  - {id: both, wave: w1, deploy: "sleep 0.3", verify: "sleep 0.5"}
  - {id: slow, wave: w1, deploy: "sleep 0.6"}
  - {id: quick3, wave: w1, deploy: "sleep 0.01"}
EOF

# starts: the projects in the order their deploy started (plain output)
starts() {
	grep -o '^[a-z0-9]*: deploy \.\.\.' "$T/out" | cut -d: -f1 | tr '\n' ' '
}

for v in 1 2; do
	for p in quick1 both slow quick3; do
		run record $p dev --version "$v.0"
		expect_rc 0
	done
	run promote --to sit -j 1
	expect_rc 0
	order=$(starts)
	checks=$((checks + 1))
	if [ $v = 1 ]; then
		# the durations recorded: never shorter than the sleeps
		/usr/bin/python3 - .tollgate/state.db <<'PY' || fail "durations not recorded to the millisecond"
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
ms = dict(((p, s), d) for p, s, d in db.execute(
    "SELECT project, step, MIN(duration_ms) FROM step_run GROUP BY project, step"))
need = {("slow", "deploy"): 600, ("both", "deploy"): 300, ("both", "verify"): 500,
        ("quick1", "deploy"): 100}
bad = [(k, ms.get(k), v) for k, v in need.items() if not ms.get(k) or ms[k] < v]
print("\n".join("%s %s: %s ms recorded, slept %d" % (k[0], k[1], got, v) for k, got, v in bad),
      file=sys.stderr)
# from here on the store says exactly these (a busy host stretches sleeps)
for (p, s), d in {("quick1", "deploy"): 100, ("both", "deploy"): 300, ("both", "verify"): 500,
                  ("slow", "deploy"): 600, ("quick3", "deploy"): 10}.items():
    db.execute("UPDATE step_run SET duration_ms = ? WHERE project = ? AND step = ?", (d, p, s))
db.commit()
sys.exit(1 if bad else 0)
PY
		[ "$order" = "quick1 both slow quick3 " ] ||
			fail "first run (no history) started in '$order', not plan order"
	else
		# both: 0.3 + 0.5 s, slow: 0.6 s, quick1: 0.1 s, quick3: 0.01 s
		[ "$order" = "both slow quick1 quick3 " ] ||
			fail "second run started in '$order', not longest past deploy + verify first"
	fi
done

done_tests
