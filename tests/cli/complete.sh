#!/bin/bash
# complete.sh - the last environment's success criteria are the release's
# completion (issue 9, item 10): with every project healthy in prod-eu the
# release is complete only once prod-eu's `success` items are done; status
# (text and --json) and the report say so, and the report no longer says its
# criteria must be met "before anything leaves" the last environment.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote and rollback need a person (issue 9 item 5): the release manager runs them
export TOLLGATE_USER=alice

backend_store
cp "$FIXTURES/governance.yaml" tollgate.yaml
export TOLLGATE_NOW=2026-03-02T10:00:00Z
for step in "record ledger dev --version 3.12.0" "record accounts dev --version 2.8.0" \
	"record payments dev --version 1.0" "approve schedule --as alice" "promote --to staging"; do
	run $step
	expect_rc 0
done
run status
expect_out_has "Release not complete: 0 of 3 projects healthy in prod-eu; 1 of 1 success criterion of prod-eu not done: 'prod-verified'"
run check staging-signoff --as sam
run approve prod-cab --as alice
run approve prod-cab --as carol
run promote --to prod-eu
expect_rc 0

# every project is healthy in prod-eu: not complete before its criteria
run status
expect_rc 0
expect_out_has "Release not complete: 1 of 1 success criterion of prod-eu not done: 'prod-verified'"
expect_out_lacks "Release complete"
run status --json
expect_json 'j["complete"] is False and j["incomplete"] == "1 of 1 success criterion of prod-eu not done: \x27prod-verified\x27"'
run report
expect_out_lacks "**Status**: ✅ COMPLETE"
expect_out_has "**Release complete:** not yet: 1 of 1 success criterion of prod-eu not done: 'prod-verified'. The release is complete when every project is healthy in PROD-EU and these criteria are done."
expect_out_has "Sign-off: these criteria must be done before anything leaves STAGING."
expect_out_lacks "before anything leaves PROD-EU"
run report --format json
expect_json 'j["completion"] == {"complete": False, "missing": "1 of 1 success criterion of prod-eu not done: \x27prod-verified\x27"}'
expect_json '[(s["env"], s["completes_release"]) for s in j["success_criteria"]] == [("staging", False), ("prod-eu", True)]'

# the criteria done: complete, everywhere alike
run check prod-verified --as sam
run status
expect_out_has "Release complete: every project is healthy in prod-eu and its success criteria are done"
run status --json
expect_json 'j["complete"] is True and j["incomplete"] is None'
run report
expect_out_has "**Status**: ✅ COMPLETE"
expect_out_has "**Release complete:** yes."
run report --format json
expect_json 'j["completion"]["complete"] is True'

# undone again: not complete again
run uncheck prod-verified --as sam
run status --json
expect_json 'j["complete"] is False'
done_tests
