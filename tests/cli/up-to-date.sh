#!/bin/bash
# up-to-date.sh - "up to date" is not a failure (issue 9, item 9): when every
# selected project already has its candidate version live in the target,
# promote prints one line and exits 0 (text and --json); exit 3 stays for
# "something could go, but a rule stops it", and then the up-to-date
# projects are still one line, not one refusal each.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export TOLLGATE_NOW=2026-02-01T10:00:00Z
for p in a b c d e; do run record $p dev --version "1.$p" --as sam; done
run promote --to sit
expect_rc 0

run promote --to sit
expect_rc 0
expect_out_has "up to date: 5 projects"
expect_out_lacks "not ready"
expect_err_empty
checks=$((checks + 1))
[ "$(grep -vxF "$REHEARSAL_MARK" "$T/out" | wc -l)" -eq 1 ] || fail "more than one line for an up-to-date promote"
run promote --to sit --json
expect_rc 0
expect_json 'j["results"] == [] and len(j["not_ready"]) == 5 and all(x["up_to_date"] for x in j["not_ready"])'
run promote --to sit --project a --dry-run
expect_rc 0
expect_out_has "up to date: 1 project"

# a mix: b has a new version that a rule stops (its dependency a is in
# prod with nothing of the new version... here: no dev version for a new
# project is simplest): an up-to-date project and a refused one
run record b dev --version 2.b --as sam
touch .fx/fail-deploy-b
run promote --to sit --project b
expect_rc 1
rm .fx/fail-deploy-b
run promote --to prod --project a --project e
expect_rc 0
run promote --to prod --project a --project b
expect_rc 3
expect_out_has "up to date: 1 project"
expect_out_has "1 project is not ready:"
expect_out_has "  b "
expect_err_has "nothing is ready to promote to 'prod'"
done_tests
