#!/bin/bash
# forecast-example.sh - the worked example of docs/forecast.md: the bundled
# Q1 plan (examples/q1-2026) on its Jan 7 state — DEV versions recorded,
# Gate 2 passed, the seed's ticked prerequisites, api_infra at 40% — gives
# the dates the page computes by hand, and its two what-ifs.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
cp "$TOLLGATE_SRC/examples/q1-2026/tollgate.yaml" .
cp -R "$TOLLGATE_SRC/examples/q1-2026/scripts" .
export TOLLGATE_NOW=2026-01-07T09:00:00Z

# the Jan 7 state (the seed's ticks)
printf '%s\n' "campaigns_lambda c-1.4.2" "order_lambda o-2.0.1" "product_lambda p-0.9.7" \
	"dynamodb_schemas d-11" "s3_schemas s-5" "backend_public b-3.1.0" "ecs_terraform e-42" >versions.txt
run record --env dev --versions versions.txt --as eve
expect_rc 0
run approve gate-2 --as tom
expect_rc 0
run approve gate-2 --as devi
expect_rc 0
for item in api-tests code-review cicd-validated infra-validated tf-state; do
	run check "$item" --as sam
	expect_rc 0
done
run blocker api_infra --progress 40 --as eve
expect_rc 0

cell() { # cell PROJECT ENV: the cell as (earliest_start, earliest_healthy, slack_days, at_risk)
	printf '[(c["earliest_start"], c["earliest_healthy"], c["slack_days"], c["at_risk"]) for c in j["cells"] if c["project"] == "%s" and c["env"] == "%s"][0]' "$1" "$2"
}
by() { # by KIND ID
	printf '[d["by"] for d in j["deadlines"] if d["kind"] == "%s" and d["id"] == "%s"][0]' "$1" "$2"
}

run forecast --json
expect_rc 0
expect_json 'len(j["cells"]) == 14'
for p in campaigns_lambda order_lambda product_lambda; do
	expect_json "$(cell $p sit) == ('2026-01-10T00:00:00Z', '2026-01-11T00:10:00Z', -1, True)"
	expect_json "$(cell $p prod) == ('2026-01-11T00:10:00Z', '2026-01-12T00:20:00Z', 40, False)"
done
for p in dynamodb_schemas s3_schemas ecs_terraform; do
	expect_json "$(cell $p sit) == ('2026-01-13T00:00:00Z', '2026-01-14T00:10:00Z', -1, True)"
	expect_json "$(cell $p prod) == ('2026-01-14T00:10:00Z', '2026-01-15T00:20:00Z', 40, False)"
done
expect_json "$(cell backend_public sit) == ('2026-01-13T00:10:00Z', '2026-01-14T00:20:00Z', -1, True)"
expect_json "$(cell backend_public prod) == ('2026-01-14T00:20:00Z', '2026-01-15T00:30:00Z', 40, False)"
expect_json '[c["because"] for c in j["cells"] if c["project"] == "backend_public" and c["env"] == "prod"][0] == ["wave-2 window opens Jan 13", "after dynamodb_schemas in sit", "sit soak 24h"]'
expect_json "$(by blocker api_infra) == '2026-01-09T23:50:00Z'"
expect_json "$(by gate gate-3) == '2026-01-12T23:40:00Z'"
expect_json "$(by gate gate-4) == '2026-02-20T23:50:00Z'"
expect_json "$(by item sit-ready) == '2026-01-09T23:50:00Z' and $(by item backup-rollback-docs) == '2026-01-12T23:40:00Z'"
expect_json "$(by item full-stack-ready) == '2026-02-20T23:50:00Z' and $(by item sit-signoff) == '2026-02-20T23:50:00Z'"
expect_json 'not [d for d in j["deadlines"] if d["id"] in ("gate-2", "api-tests", "code-review", "cicd-validated", "infra-validated", "tf-state")]'
expect_json '[(d["kind"], d["id"]) for d in j["deadlines"]][:2] == [("blocker", "api_infra"), ("item", "sit-ready")]'

# what if api_infra slips to Jan 12
run forecast --json --assume blocker:api_infra=2026-01-12
expect_json "$(cell campaigns_lambda sit) == ('2026-01-12T00:00:00Z', '2026-01-13T00:10:00Z', -3, True)"
expect_json "$(cell dynamodb_schemas sit) == ('2026-01-13T00:10:00Z', '2026-01-14T00:20:00Z', -1, True)"
expect_json "$(cell backend_public sit) == ('2026-01-13T00:20:00Z', '2026-01-14T00:30:00Z', -1, True)"
expect_json '[c["because"] for c in j["cells"] if c["project"] == "dynamodb_schemas" and c["env"] == "sit"][0] == ["blocker api_infra resolved Jan 12 (assumed)", "sit soak 24h", "wave-2 after wave-1 in sit"]'

# what if Gate 4 is approved only on Feb 21
run forecast --json --assume gate:gate-4=2026-02-21
expect_json "$(cell order_lambda prod) == ('2026-02-21T00:00:00Z', '2026-02-22T00:10:00Z', -1, True)"
expect_json "$(cell ecs_terraform prod) == ('2026-02-21T00:00:00Z', '2026-02-22T00:10:00Z', 2, False)"
expect_json "$(cell backend_public prod) == ('2026-02-21T00:10:00Z', '2026-02-22T00:20:00Z', 2, False)"

# the text the page shows
run forecast --env sit
expect_out_has "  campaigns_lambda  2026-01-10  Jan 11 00:10        -1d  wave-1 window opens Jan 10  AT RISK"
run status --env sit
expect_out_has "- target Jan 10 AT RISK"

done_tests
