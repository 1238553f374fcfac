#!/bin/bash
# approvals.sh - approvals are bound to what was approved (issue 9, item 1):
# an approval covers each project's candidate (the version soaking or healthy
# in the environment before the gate's); when the candidate changes it no
# longer counts for that project, in why, next, promote --dry-run, promote,
# status --json and the report alike; `expires` ends it; `scope: plan`
# approves the plan as a whole; roles are filled by distinct people who hold
# them now, whatever rows the store holds.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote and rollback need a person (issue 9 item 5): the release manager runs them
export TOLLGATE_USER=alice

backend_store
cp "$FIXTURES/governance.yaml" tollgate.yaml
export TOLLGATE_NOW=2026-03-02T10:00:00Z
gates_detail() { # the `gates` rule of why P E
	run why "$1" "$2" --json
	/usr/bin/python3 -c 'import json,sys; print([r["detail"] for r in json.load(open(sys.argv[1]))["rules"] if r["rule"] == "gates"][0])' "$T/out"
}

run record ledger dev --version 3.12.0
run record accounts dev --version 2.8.0
# no candidate in staging yet: nothing to approve for prod-eu
run approve prod-cab --as alice
expect_rc 3
expect_err_line "tollgate: error: gate 'prod-cab' approves versions, and no project it guards has a candidate for prod-eu (a version soaking or healthy in staging); nothing approved"

# ---- scope: plan: the schedule is approved as a whole --------------------
run approve schedule --as alice
expect_rc 0
expect_out_has "approved gate 'schedule' as release-manager (alice) for the plan as a whole"
run approve schedule --as alice --project ledger
expect_rc 2
expect_err_line "tollgate: error: gate 'schedule' approves the plan as a whole (scope: plan); drop --project"
run promote --to staging
expect_rc 0
run check staging-signoff --as sam
expect_rc 0

# ---- Mar 2: the board approves 3.12.0 ------------------------------------
run approve prod-cab --as alice
expect_rc 0
expect_out_has "approved gate 'prod-cab' as release-manager (alice) for ledger 3.12.0, accounts 2.8.0"
expect_out_has "not covered (no candidate for prod-eu): payments"
expect_out_has "it counts until 2026-03-09T10:00:00Z (expires: 7d)"
expect_out_has "gate 'prod-cab' still needs 'cab-chair'"
run approve prod-cab --as carol --json
expect_rc 0
expect_json 'j["changed"] and j["versions"] == {"ledger": "3.12.0", "accounts": "2.8.0"} and j["not_covered"] == ["payments"] and j["until"] == "2026-03-09T10:00:00Z" and j["still_needs"] == []'
run approve prod-cab --as alice
expect_rc 0
expect_out_has "already approved: gate 'prod-cab' as release-manager (alice) for ledger 3.12.0, accounts 2.8.0; nothing changed"
[ "$(gates_detail ledger prod-eu)" = "gate 'prod-cab' passed for 3.12.0 (alice as release-manager, carol as cab-chair)" ] ||
	fail "gates on 3.12.0: $(gates_detail ledger prod-eu)"
checks=$((checks + 1))
run log --json
expect_json '[e["detail"] for e in j["entries"] if e["action"] == "approve" and e["actor"] == "alice"][-1] == "as release-manager: ledger=3.12.0, accounts=2.8.0; no candidate: payments"'

# ---- Mar 5: ledger 3.13.0 reaches staging: the approvals were for 3.12.0 ----
export TOLLGATE_NOW=2026-03-05T10:00:00Z
run record ledger dev --version 3.13.0
run promote --to staging --project ledger
expect_rc 0
run why ledger prod-eu
expect_rc 3
expect_out_has "gate 'prod-cab': approval by alice (release-manager) was for 3.12.0; the candidate is now 3.13.0 — approve again"
expect_out_has "gate 'prod-cab': approval by carol (cab-chair) was for 3.12.0; the candidate is now 3.13.0 — approve again"
# every front end agrees: not ledger, still accounts
run next --json
expect_json 'not any(x["project"] == "ledger" and x["env"] == "prod-eu" for x in j["ready"])'
expect_json 'any(x["project"] == "accounts" and x["env"] == "prod-eu" and x["version"] == "2.8.0" for x in j["ready"])'
run promote --to prod-eu --dry-run --json
expect_json '[x["project"] for x in j["plan"]] == ["accounts"]'
expect_json '[x["summary"] for x in j["not_ready"] if x["project"] == "ledger"][0].startswith("gates: gate \x27prod-cab\x27: approval by alice (release-manager) was for 3.12.0")'
run promote --to prod-eu --project ledger
expect_rc 3
expect_out_has "approval by alice (release-manager) was for 3.12.0; the candidate is now 3.13.0"
checks=$((checks + 1))
[ ! -f .fx/prod-eu/ledger ] || fail "ledger was deployed to prod-eu on a stale approval"
run status --json
expect_json '[g["status"] for g in j["gates"] if g["id"] == "prod-cab"] != ["passed"]'
run report --format json
expect_json '{c["project"]: (c["version"], c["status"]) for c in [g for g in j["gates"] if g["id"] == "prod-cab"][0]["candidates"]} == {"ledger": ("3.13.0", "pending"), "accounts": ("2.8.0", "passed")}'
run report
expect_out_has "approval by alice (release-manager) was for ledger 3.12.0; the candidate is now 3.13.0 — approve again"

# approved again, for 3.13.0 (alice for ledger only): carol's still lags
run approve prod-cab --as alice --project ledger
expect_rc 0
expect_out_has "approved gate 'prod-cab' as release-manager (alice) for ledger 3.13.0"
expect_out_has "gate 'prod-cab' still needs 'cab-chair'"
run approve prod-cab --as alice --project payments
expect_rc 3
expect_err_has "no project it guards has a candidate for prod-eu"
run approve prod-cab --as alice --project nope
expect_rc 2
expect_err_line "tollgate: error: unknown project 'nope'; the plan's 'projects' lists the ids"
[ "$(gates_detail ledger prod-eu)" = "gate 'prod-cab': approval by carol (cab-chair) was for 3.12.0; the candidate is now 3.13.0 — approve again" ] ||
	fail "gates after alice: $(gates_detail ledger prod-eu)"
checks=$((checks + 1))
run approve prod-cab --as carol
expect_rc 0
expect_out_has "for ledger 3.13.0, accounts 2.8.0"
run promote --to prod-eu --project ledger
expect_rc 0
checks=$((checks + 1))
[ "$(cat .fx/prod-eu/ledger)" = 3.13.0 ] || fail "ledger 3.13.0 is not in prod-eu"

# ---- Mar 9, 10:00: alice's approval of accounts (given Mar 2) expires -----
export TOLLGATE_NOW=2026-03-09T10:00:00Z
[ "$(gates_detail accounts prod-eu)" = "gate 'prod-cab': approval by alice (release-manager) expired on 2026-03-09T10:00:00Z (expires: 7d) — approve again" ] ||
	fail "gates after expiry: $(gates_detail accounts prod-eu)"
checks=$((checks + 1))
run promote --to prod-eu --project accounts
expect_rc 3
expect_out_has "expired on 2026-03-09T10:00:00Z"
run next --json
expect_json 'not any(x["project"] == "accounts" for x in j["ready"])'
run approve prod-cab --as alice
expect_rc 0
expect_out_has "approved gate 'prod-cab' as release-manager (alice) for ledger 3.13.0, accounts 2.8.0"
expect_out_has "it counts until 2026-03-16T10:00:00Z (expires: 7d)"
run promote --to prod-eu --project accounts
expect_rc 0

# ---- distinct people who hold the roles now --------------------------------
# bob holds both roles: his approval fills one; a row for his second role
# written behind tollgate's back fills nothing
export TOLLGATE_NOW=2026-03-10T10:00:00Z
run record accounts dev --version 2.9.0
run promote --to staging --project accounts
expect_rc 0
run revoke prod-cab --as alice
run revoke prod-cab --as carol
run approve prod-cab --as bob
expect_rc 0
expect_out_has "approved gate 'prod-cab' as release-manager (bob) for ledger 3.13.0, accounts 2.9.0"
expect_out_has "gate 'prod-cab' still needs 'cab-chair' ('cab-chair' from someone other than bob: one person fills one role of a gate)"
raw "INSERT INTO approval (plan, gate, role, person, at) VALUES ('GOV-1', 'prod-cab', 'cab-chair', 'bob', 1773136800)"
raw "INSERT INTO approval_version (plan, gate, role, person, project, version, at) VALUES ('GOV-1', 'prod-cab', 'cab-chair', 'bob', 'accounts', '2.9.0', 1773136800)"
run why accounts prod-eu
expect_rc 3
expect_out_has "gate 'prod-cab': approval by bob (cab-chair) does not count: bob fills another role of the gate, which needs distinct people"
run promote --to prod-eu --project accounts
expect_rc 3
run approve prod-cab --as carol
expect_rc 0
run why accounts prod-eu
expect_rc 0

# a person who no longer holds the role: the approval stops counting
sed 's/{id: carol, roles: \[cab-chair\]}/{id: carol, roles: [auditor]}/' tollgate.yaml >moved.yaml
checks=$((checks + 1))
grep -q "roles: \[auditor\]" moved.yaml || fail "the role did not move"
run --plan moved.yaml why accounts prod-eu
expect_rc 3
expect_out_has "gate 'prod-cab': approval by carol (cab-chair) no longer counts: carol does not hold role 'cab-chair' now"

# the rows forged above are no entry's: log --verify names them
run log --verify
expect_rc 1
expect_err_has "approval (gate 'prod-cab', role 'cab-chair', person 'bob') is in the store, but no entry of the audit log wrote it"
expect_err_has "approval_version (gate 'prod-cab', role 'cab-chair', person 'bob', project 'accounts') is in the store, but no entry of the audit log wrote it"
raw "DELETE FROM approval WHERE role = 'cab-chair' AND person = 'bob'"
raw "DELETE FROM approval_version WHERE role = 'cab-chair' AND person = 'bob'"
run log --verify
expect_rc 0
done_tests
