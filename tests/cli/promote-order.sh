#!/bin/bash
# promote-order.sh - the critical path weighted by past durations: with no
# history, independent projects of equal chain length start in plan order;
# once the store knows how long each deploy and verify took in that
# environment (to the millisecond), the longest deploy + verify starts first.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: ORDER, title: Order by past durations}
environments:
  - {name: dev}
  - {name: sit}
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
		[ "$order" = "quick1 both slow quick3 " ] ||
			fail "first run (no history) started in '$order', not plan order"
	else
		# both: 0.3 + 0.5 s, slow: 0.6 s, quick1: 0.1 s, quick3: 0.01 s
		[ "$order" = "both slow quick1 quick3 " ] ||
			fail "second run started in '$order', not longest past deploy + verify first"
	fi
done

# the durations behind it, as the store keeps them
checks=$((checks + 1))
if command -v sqlite3 >/dev/null; then
	ms=$(sqlite3 .tollgate/state.db \
		"SELECT MIN(duration_ms) FROM step_run WHERE project = 'slow' AND step = 'deploy'")
	[ "$ms" -ge 600 ] && [ "$ms" -lt 5000 ] || fail "slow's deploy recorded as $ms ms"
fi
done_tests
