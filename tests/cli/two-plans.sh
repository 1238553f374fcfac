#!/bin/bash
# two-plans.sh - one store holds many plans (issue 9, item 2): a second plan
# in the same folder (another plan id, the same default store) sees nothing
# of the first plan's approvals, versions, ticks or log, keeps its own audit
# chain, and the first plan is unchanged by what the second one does.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

backend_store
export TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$FIXTURES/state-small.yaml" tollgate.yaml
sed 's/id: TEST-READY/id: TEST-APRIL/' tollgate.yaml >april.yaml
grep -q "TEST-APRIL" april.yaml || fail "the fixture's plan id moved"

run record api dev --version a-1 --as tom
expect_rc 0
# (gate-4's approvals are for the candidate in sit)
run record api sit --version a-0 --as tom
expect_rc 0
run approve gate-4 --as paula
expect_rc 0
run check api-tests --as sam
expect_rc 0
run why api prod
expect_out_has "gate 'gate-4' still needs"
expect_out_lacks "no approval yet"

# the second plan: nothing of the first
run --plan april.yaml log
expect_rc 0
expect_out_has "the audit log is empty"
run --plan april.yaml why api sit
expect_rc 3
expect_out_has "api has no version in dev"
run --plan april.yaml status --json
expect_rc 0
expect_json 'j["plan"] == "TEST-APRIL" and all(c["state"] == "none" and c["version"] is None for c in j["cells"])'
run --plan april.yaml why api prod
expect_out_has "no approval yet"

# its own changes start its own chain at entry 1 and leave the first alone
run --plan april.yaml record api dev --version april-1 --as tom
expect_rc 0
run --plan april.yaml log --json
expect_rc 0
expect_json 'len(j["entries"]) == 1 and j["entries"][0]["seq"] == 1'
run --plan april.yaml log --verify
expect_rc 0
expect_out_has "audit log verified: 1 entry"
run log --verify
expect_rc 0
expect_out_has "audit log verified: 4 entries"
run why api sit
expect_out_has "version 'a-1' is healthy in dev"
run --plan april.yaml why api sit
expect_out_has "version 'april-1' is healthy in dev"

# a revoke in one plan does not touch the other's approval of the same gate
run --plan april.yaml record api sit --version april-1 --as tom
expect_rc 0
run --plan april.yaml approve gate-4 --as paula
expect_rc 0
run --plan april.yaml revoke gate-4 --as paula
expect_rc 0
run why api prod
expect_out_lacks "no approval yet"
done_tests
