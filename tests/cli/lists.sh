#!/bin/bash
# lists.sh - the listing commands (issue 14, section 3): gates, checklist
# (done or not, and who), incidents, blockers and rejections, as text and as
# --json, whose arrays are the report's (what the API's report answers).
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
cp "$FIXTURES/cli.yaml" tollgate.yaml
export TOLLGATE_NOW=2026-03-02T10:00:00Z TOLLGATE_USER=alice

# nothing happened yet
run gates
expect_rc 0
expect_out_has "prod-cab  before prod-eu: pending  Change Advisory Board"
expect_out_has "  release-manager      not approved (held by alice)"
run checklist
expect_rc 0
expect_out_has "  [ ] qa-signoff           QA sign-off  (to be ticked by a sdet)"
expect_out_has "  [ ] runbook              Runbook reviewed"
run incidents
expect_out_has "no incidents"
run rejections --json
expect_json 'j["rejections"] == []'

for step in "record ledger dev --version 1.0" "record accounts dev --version 2.0" \
	"check qa-signoff --as sam --note all-green" \
	"incident open --level 1 --env prod-eu --project ledger slow" \
	"incident open --level 1 --env staging second" "incident resolve 2" \
	"reject ledger 1.0 --env prod-us --reason bad" "reject accounts 2.0 --reason worse" \
	"allow accounts 2.0 --reason fine" "blocker vpn --progress 50"; do
	# shellcheck disable=SC2086
	run $step
	expect_rc 0
done

run checklist
expect_out_has "Sign-off"
expect_out_has "  [x] qa-signoff           QA sign-off  (done by sam at 2026-03-02T10:00:00Z: all-green)"
expect_out_has "  [ ] runbook              Runbook reviewed"
run checklist --done --json
expect_json '[(c["category"], [(i["id"], i["done"], i["by"]) for i in c["items"]]) for c in j["checklist"]] == [("Sign-off", [("qa-signoff", True, "sam")])]'
run checklist list --undone --json
expect_json '[i["id"] for c in j["checklist"] for i in c["items"]] == ["runbook"]'
run checklist --done --undone
expect_rc 2
run checklist run --done
expect_rc 2
run incidents
expect_out_has "#1    level 1  open      prod-eu ledger  slow  (opened by alice at 2026-03-02T10:00:00Z)"
expect_out_has "#2    level 1  resolved  staging  second  (opened by alice at 2026-03-02T10:00:00Z, resolved at 2026-03-02T10:00:00Z)"
run incidents --open --json
expect_json '[i["id"] for i in j["incidents"]] == [1]'
run incidents --env staging --json
expect_json '[i["id"] for i in j["incidents"]] == [2]'
run blockers
expect_out_has "vpn               50%  open      blocks prod-eu  owner Net Team  due 2026-03-04  VPN cutover"
run blocker vpn --resolve
run blockers --open
expect_out_has "no blockers match"
run blockers --json
expect_json '[(b["id"], b["progress"], b["resolved"]) for b in j["blockers"]] == [("vpn", 100, True)]'
run rejections
expect_out_has "ledger 1.0  rejected in prod-us  (rejected by alice at 2026-03-02T10:00:00Z: bad)"
expect_out_has "accounts 2.0  allowed again everywhere"
run rejections --open --json
expect_json '[(r["project"], r["env"]) for r in j["rejections"]] == [("ledger", "prod-us")]'
run rejections --env prod-eu --json
expect_json '[r["project"] for r in j["rejections"]] == ["accounts"]'
run record ledger staging --version 1.0
expect_rc 0
run approve prod-cab
expect_rc 0
run gates --env prod-eu
expect_out_has "  release-manager      approved by alice at 2026-03-02T10:00:00Z"
run gates --env staging --json
expect_json 'j["gates"] == []'

# the same objects as the report (and so the API's report)
run report --format json
cp "$T/out" "$T/report.json"
for kind in gates checklist incidents blockers rejections; do
	run "$kind" --json
	checks=$((checks + 1))
	python3 - "$T/report.json" "$T/out" "$kind" <<'PY' || fail "$kind --json differs from the report's '$kind'"
import json, sys
r = json.load(open(sys.argv[1])); l = json.load(open(sys.argv[2]))
sys.exit(0 if r[sys.argv[3]] == l[sys.argv[3]] else 1)
PY
done
done_tests
