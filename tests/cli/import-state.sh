#!/bin/bash
# backends: sqlite pg
# import-state.sh - `import --state [--versions FILE]` writes the state the
# document records through the engine: the source environment's versions,
# the ticked items, the blockers' progress and each passed gate, approved
# by "import" (one approval per role, bound to the candidates of that
# moment, never a person), each audited as imported from FILE:LINE; the
# report then shows the seed's ticks. Readiness counts an imported approval
# for its role until a person holding the role revokes it, or the candidate
# changes; `log --verify` replays it all.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store

cp "$TOLLGATE_SRC/examples/q1-2026/seed.md" master.md
cat > dev.txt <<'V'
# the versions in DEV ("✅ Ready")
campaigns_lambda 1.0
order_lambda 1.0
product_lambda 1.0
dynamodb_schemas 2.0
s3_schemas 2.0
backend_public 2.0
ecs_terraform 2.0
V

run import master.md -o tollgate.yaml --state --versions dev.txt
expect_rc 0
expect_out_has "dev.txt:2: campaigns_lambda 1.0 healthy in dev"
expect_out_has "master.md:34: ticked 'all-api-tests-passing'"
expect_out_has "master.md:291: blocker 'api_infra' at 40%"
expect_out_has "master.md:151: gate approved (as import) for 'gate-2'"
expect_out_has "state: 16 written to"

# the audit log: actor import, never a person, each from FILE:LINE
run log --json
expect_rc 0
expect_json 'len(j["entries"]) == 16'
expect_json 'all(e["actor"] == "import" for e in j["entries"])'
expect_json 'all("imported from " in e["detail"] for e in j["entries"])'
expect_json '[e["detail"] for e in j["entries"] if e["action"] == "approve"] == ["as tech-lead, developer-lead: campaigns_lambda=1.0, order_lambda=1.0, product_lambda=1.0; imported from master.md:151"]'
expect_json '[e["detail"] for e in j["entries"] if e["subject"] == "all-api-tests-passing"] == ["imported from master.md:34"]'
run log --verify
expect_rc 0
# one approval row per role, by import, bound to the candidates
checks=$((checks + 1))
[ "$(raw "SELECT role || ':' || person FROM approval WHERE gate = 'gate-2' ORDER BY role")" = \
  "$(printf 'developer-lead:import\ntech-lead:import')" ] || fail "approval rows: $(raw "SELECT * FROM approval")"

# readiness counts the imported approvals of gate-2 (both roles)
run why campaigns_lambda sit --json
expect_json '[r["ok"] for r in j["rules"] if r["rule"] == "gates"] == [True]'
expect_json '"import as tech-lead" in [r["detail"] for r in j["rules"] if r["rule"] == "gates"][0]'

# the report holds the seed's ticks too
run report --format md -o report.md
expect_rc 0
checks=$((checks + 1))
python3 "$TOLLGATE_SRC/tests/cli/import_compare.py" master.md report.md --ticks >"$T/cmp" 2>&1 || {
	cat "$T/cmp" >&2
	fail "the report's ticks are not the seed's"
}
checks=$((checks + 1))
grep -q "tech-lead: \*approved as imported (tollgate import)" report.md || fail "report: imported approval"

# repeating it writes nothing
run import master.md -o tollgate.yaml --force --state --versions dev.txt
expect_rc 0
expect_out_has "state: 0 written to"
run log --json
expect_json 'len(j["entries"]) == 16'

# the candidate changes: the imported approval no longer counts for it
run record campaigns_lambda dev --version 1.1
expect_rc 0
run why campaigns_lambda sit --json
expect_json '[r["ok"] for r in j["rules"] if r["rule"] == "gates"] == [False]'
run why order_lambda sit --json
expect_json '[r["ok"] for r in j["rules"] if r["rule"] == "gates"] == [True]'

# a person named for the role revokes the imported approval of that role
sed -i 's/{id: tech-lead-tbd, name: TBD, roles: \[tech-lead\], tbd: true}/{id: tom, name: Tom, roles: [tech-lead]}/' tollgate.yaml
checks=$((checks + 1))
grep -q 'id: tom' tollgate.yaml || fail "could not name the tech lead"
run revoke gate-2 --as tom
expect_rc 0
run why order_lambda sit --json
expect_json '[r["ok"] for r in j["rules"] if r["rule"] == "gates"] == [False]'
expect_json '"tech-lead" in [r["detail"] for r in j["rules"] if r["rule"] == "gates"][0]'
run log --json
expect_json 'j["entries"][-1]["actor"] == "tom" and j["entries"][-1]["detail"] == "as tech-lead (the imported approval)"'
checks=$((checks + 1))
[ "$(raw "SELECT role || ':' || person FROM approval WHERE gate = 'gate-2'")" = "developer-lead:import" ] ||
	fail "after revoke: $(raw "SELECT * FROM approval")"
# tom approves as himself: the gate passes again, from tom and import
run approve gate-2 --as tom
expect_rc 0
run why order_lambda sit --json
expect_json '[r["ok"] for r in j["rules"] if r["rule"] == "gates"] == [True]'
run log --verify
expect_rc 0

# a passed gate with no candidate (no --versions): said, not approved
mkdir nover && cd nover
cp ../master.md .
if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = sqlite ]; then export TOLLGATE_DB="sqlite:$T/nover/state.db"; else backend_store; fi
run import master.md -o tollgate.yaml --state
expect_rc 0
expect_err_has "master.md:151: gate 'gate-2' is passed in the document but not approved"
expect_out_has "master.md:34: ticked 'all-api-tests-passing'"
# the same as JSON: what was written, what held, what was skipped and why
run import master.md -o tollgate.yaml --force --state --json
expect_rc 0
expect_json 'j["written"] == "tollgate.yaml" and j["repaired"] == 0'
expect_json '{"action": "check", "id": "all-api-tests-passing", "from": "master.md:34", "written": False} in j["state"]'
expect_json '[s["from"] for s in j["state"] if s.get("skipped")] == ["master.md:151"]'
expect_json 'any(d["line"] == 274 and "DevOps Lead" in d["text"] for d in j["decide"])'

done_tests
