#!/bin/bash
# args.sh - command-line conventions (issue 14, section 3): a repeatable flag
# keeps every value, a flag that takes one value refuses two; a command's
# flags may come before its name; swapped PROJECT ENV gets the command meant;
# an environment's prefix proposes every environment it begins; with --json
# every error is a JSON document on stdout and nothing else is there.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
cp "$FIXTURES/cli.yaml" tollgate.yaml
export TOLLGATE_NOW=2026-03-02T10:00:00Z TOLLGATE_USER=alice

# repeatable: both waves, both environments
run status --wave w1 --wave w2 --env dev --env prod-us --json
expect_rc 0
expect_json 'sorted({c["wave"] for c in j["cells"]}) == ["w1", "w2"]'
expect_json 'sorted({c["env"] for c in j["cells"]}) == ["dev", "prod-us"]'
run status --wave w2 --wave w1
expect_out_has "ledger"
expect_out_has "payments"
run status --wave w1
expect_out_lacks "payments"
run status --wave w1 --wave nope
expect_rc 2
expect_err_line "tollgate: error: unknown wave 'nope'; the plan's 'waves' lists the ids"
# one value only: the second is not silently dropped
run promote --to staging --to prod-eu --dry-run
expect_rc 2
expect_err_line "tollgate: error: option '--to' of 'promote' takes one value, given 'staging' and 'prod-eu'"
run promote --to staging --to staging --dry-run
expect_rc 3

# a command's flags before its name
run --to staging promote --dry-run
expect_rc 3
expect_err_lacks() { checks=$((checks + 1)); if grep -qF -- "$1" "$T/err"; then fail "stderr has: $1"; fi; }
expect_err_lacks "unknown command"
expect_err_has "nothing is ready to promote to 'staging'"
run -j 2 --to staging promote --dry-run
expect_rc 3
expect_err_has "nothing is ready to promote to 'staging'"
run --wave w1 --json status
expect_rc 0
expect_json 'sorted({c["wave"] for c in j["cells"]}) == ["w1"]'
run record ledger dev --version 1.0
expect_rc 0
run --version 1.1 record ledger dev
expect_rc 0
run --json --env dev status
expect_json '[c["version"] for c in j["cells"] if c["project"] == "ledger"] == ["1.1"]'
run --version
expect_rc 0
expect_out_has "tollgate "

# swapped arguments
run why prod-eu ledger
expect_rc 2
expect_err_line "tollgate: error: unknown project 'prod-eu' (it is an environment); did you mean 'why ledger prod-eu'?"
run rollback staging ledger --reason x
expect_rc 2
expect_err_line "tollgate: error: unknown project 'staging' (it is an environment); did you mean 'rollback ledger staging'?"
run record dev ledger --version 2.0
expect_rc 2
expect_err_has "did you mean 'record ledger dev"

# prefixes
run why ledger prod
expect_rc 2
expect_err_line "tollgate: error: unknown environment 'prod'; did you mean 'prod-eu' or 'prod-us'?"
run status --env prod
expect_err_line "tollgate: error: unknown environment 'prod'; did you mean 'prod-eu' or 'prod-us'?"
run why ledger stagin
expect_err_line "tollgate: error: unknown environment 'stagin'; did you mean 'staging'?"

# --json: errors as documents, stdout always JSON
for cmdline in "nosuch" "why ledger prod" "why prod-eu ledger" "status --bogus" "promote --to" \
	"promote --to a --to b" "--plan missing.yaml status" "help nosuch" ""; do
	# shellcheck disable=SC2086
	run --json $cmdline
	checks=$((checks + 1))
	[ "$rc" -ne 0 ] || fail "'$cmdline' should fail"
	expect_json 'set(j) == {"error"} and set(j["error"]) == {"code", "message"}'
done
run --json why ledger prod
expect_json 'j["error"] == {"code": "not_found", "message": "unknown environment \x27prod\x27; did you mean \x27prod-eu\x27 or \x27prod-us\x27?"}'

# every command, failing or not, keeps stdout one JSON document
while read -r cmdline; do
	# shellcheck disable=SC2086
	run $cmdline --json
	checks=$((checks + 1))
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" 2>/dev/null ||
		fail "'$cmdline --json': stdout is not one JSON document"
done <<'LIST'
--help
--version
help
help status
status --help
init sub
validate
report
status
why ledger staging
next
record payments dev --version 9
gates
approve prod-cab
revoke prod-cab
reject payments 9 --reason x
allow payments 9 --reason y
rejections
check runbook
uncheck runbook
checklist
checklist run
blockers
blocker vpn --progress 30
incidents
incident open --level 1 --env dev x
incident resolve 1
promote --to staging --dry-run
promote --to staging
soak
rollback ledger dev
log
log --head
log --verify
forget item nope --reason x
token list
notify list
LIST
run help status --json
expect_json 'j["command"] == "status" and [o["name"] for o in j["options"] if o["repeatable"]] == ["env", "wave"]'
run --version --json
expect_json 'set(j) == {"version"}'
done_tests
