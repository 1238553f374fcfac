#!/bin/bash
# promote-demo.sh - the example's demo (examples/q1-2026/demo.sh) runs the
# whole story to its end: DEV versions recorded, Gate 2 and the checklist
# replayed, Wave 1 to SIT with order_lambda's verify failing and rolled
# back, the demo soak, Wave 2 in dependency order, the reports. The only
# run of the demo in the suite.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

set +e
DEMO_OUT="$T/demo" sh "$TOLLGATE_SRC/examples/q1-2026/demo.sh" "$TOLLGATE_BIN" >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 0
expect_out_has "order_lambda: verify failed: exited with status 1"
expect_out_has "order_lambda sit: rolled-back o-2.0.1"
expect_out_has "soak: 3 finished, 0 rolled back or failed, 0 still soaking"
expect_out_has "== done =="
expect_out_has "campaigns_lambda  2026-01-10  Jan 11 00:10        -1d  wave-1 window opens Jan 10  AT RISK"
checks=$((checks + 1))
[ -s "$T/demo/report-after.md" ] || fail "no report after the promotions"
checks=$((checks + 1))
grep -q 'PROM-2026-Q1-001' "$T/demo/report-start.md" || fail "the demo's report lacks the plan id"

cd "$T/demo/plan"
unset TOLLGATE_NOW
export TOLLGATE_NOW=2026-01-12T12:00:00Z
run status --json --env sit
expect_json '{c["project"]: c["state"] for c in j["cells"]} == {"campaigns_lambda": "healthy", "order_lambda": "healthy", "product_lambda": "healthy", "dynamodb_schemas": "soaking", "s3_schemas": "soaking", "backend_public": "soaking", "ecs_terraform": "soaking"}'
# backend_public was deployed after both of its dependencies had verified
run log --json
expect_json '(lambda e: e.index("backend_public@sit promotion.deploying") > max(e.index("dynamodb_schemas@sit promotion.soaking"), e.index("s3_schemas@sit promotion.soaking")))([x["subject"] + " " + x["action"] for x in j["entries"]])'
run log --verify
expect_rc 0
done_tests
