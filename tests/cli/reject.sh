#!/bin/bash
# reject.sh - a known-bad version does not go out again (issue 9, item 3): a
# version rolled back from an environment (here a failed verify, a level-3
# incident and `rollback` by hand) is rejected there; why, next, promote
# (exit 3 with the reason, nothing deployed), status (text and --json) and
# the report say so, until a person allows it again or a new version is
# recorded. `reject` / `allow` by hand, for one environment or everywhere,
# need a person and a reason, are logged, and change nothing when repeated.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote and rollback need a person (issue 9 item 5): the release manager runs them
export TOLLGATE_USER=alice

backend_store
cp "$FIXTURES/governance.yaml" tollgate.yaml
export TOLLGATE_NOW=2026-03-02T10:00:00Z
for step in "record ledger dev --version 3.12.0" "record accounts dev --version 2.8.0" \
	"approve schedule --as alice" "promote --to staging" "check staging-signoff --as sam" \
	"approve prod-cab --as alice" "approve prod-cab --as carol"; do
	run $step
	expect_rc 0
done
# ---- a failed verify in prod-eu: 2.8.0 is rolled back and rejected there ---
touch .fx/fail-verify-accounts
run promote --to prod-eu
expect_rc 1
rm .fx/fail-verify-accounts
reason="version 2.8.0 was rolled back from prod-eu on 2026-03-02T10:00:00Z (verify exited with status 1; rolled back to nothing (no previous version)): record a new version, or allow it again"
run why accounts prod-eu
expect_rc 3
expect_out_has "not ok  source      $reason"
run next --json
expect_json 'not any(x["project"] == "accounts" for x in j["ready"])'
run promote --to prod-eu --dry-run --json
expect_json 'j["plan"] == [] and [x["summary"] for x in j["not_ready"] if x["project"] == "accounts"] == ["source: '"$reason"'"]'
: >.fx/deploys
run promote --to prod-eu --project accounts
expect_rc 3
expect_out_has "accounts"
expect_out_has "$reason"
expect_err_has "nothing is ready to promote to 'prod-eu'"
checks=$((checks + 1))
[ ! -f .fx/prod-eu/accounts ] || [ -z "$(cat .fx/prod-eu/accounts)" ] || fail "accounts 2.8.0 was deployed again: $(cat .fx/prod-eu/accounts)"
run status
expect_out_has "Rejected versions"
expect_out_has "accounts  version 2.8.0 was rolled back from prod-eu on 2026-03-02T10:00:00Z (verify exited with status 1"
run status --json
expect_json '[(r["project"], r["version"], r["env"], r["kind"], r["rejected"], r["by"]) for r in j["rejections"]] == [("accounts", "2.8.0", "prod-eu", "rolled-back", True, "alice")]'
run report
expect_out_has "### Rejected Versions"
expect_out_has "**accounts 2.8.0**: version 2.8.0 was rolled back from prod-eu on 2026-03-02T10:00:00Z"
# still fine elsewhere: only prod-eu rejects it
run why accounts staging
expect_out_lacks "rolled back from"

# ---- allow: a person lets it go again (needs a person and a reason) --------
unset TOLLGATE_USER
run allow accounts 2.8.0 --env prod-eu
expect_rc 2
expect_err_has "needs a person"
export TOLLGATE_USER=alice
run allow accounts 2.8.0 --env prod-eu --as alice
expect_rc 2
expect_err_line "tollgate: error: say why: 'tollgate allow accounts 2.8.0 --env prod-eu --reason TEXT'"
run allow accounts 2.8.0 --env dev --reason x --as alice
expect_rc 2
expect_err_has "'dev' is the source environment"
run allow accounts 2.8.0 --env prod-eu --reason "the probe was wrong, not the version" --as alice
expect_rc 0
expect_out_has "allowed accounts 2.8.0 again in prod-eu: the probe was wrong, not the version"
run allow accounts 2.8.0 --env prod-eu --reason again --as alice
expect_rc 0
expect_out_has "accounts 2.8.0 is not rejected for prod-eu; nothing changed"
run why accounts prod-eu
expect_rc 0
run status --json
expect_json '[(r["rejected"], r["allowed_by"], r["allowed_reason"]) for r in j["rejections"]] == [(False, "alice", "the probe was wrong, not the version")]'
run promote --to prod-eu --project accounts
expect_rc 0

# ---- a level-3 incident rolls ledger 3.12.0 back: rejected in prod-eu ----
export TOLLGATE_NOW=2026-03-03T10:00:00Z
run incident open --level 3 --env prod-eu --project ledger --as carol "ledger double-posts"
expect_rc 0
run incident resolve 1 --as carol
expect_rc 0
run why ledger prod-eu
expect_rc 3
expect_out_has "version 3.12.0 was rolled back from prod-eu on 2026-03-03T10:00:00Z (rolled back by carol to nothing: incident 1 (level 3): ledger double-posts)"
run promote --to prod-eu --project ledger
expect_rc 3
# a new version is a new candidate: not rejected (approved again first)
run record ledger dev --version 3.12.1
run promote --to staging --project ledger
expect_rc 0
run approve prod-cab --as alice
run approve prod-cab --as carol
run why ledger prod-eu
expect_rc 0

# ---- rollback by hand rejects what was rolled back -------------------------
run promote --to prod-eu --project ledger
expect_rc 0
run rollback ledger prod-eu --reason "wrong ledger rates" --as carol
expect_rc 0
run why ledger prod-eu
expect_rc 3
expect_out_has "version 3.12.1 was rolled back from prod-eu on 2026-03-03T10:00:00Z (rolled back by carol to nothing: wrong ledger rates)"

# ---- reject by hand: everywhere, or in one environment ---------------------
run reject ledger 3.12.1 --reason "rates table is wrong" --as bob
expect_rc 0
expect_out_has "rejected ledger 3.12.1 everywhere: rates table is wrong"
run reject ledger 3.12.1 --reason "again" --as bob
expect_rc 0
expect_out_has "ledger 3.12.1 is already rejected everywhere; nothing changed"
run why ledger staging
expect_rc 3
expect_out_has "version 3.12.1 was rejected everywhere by bob on 2026-03-03T10:00:00Z (rates table is wrong): record a new version, or allow it again"
unset TOLLGATE_USER
run reject ledger 3.12.1 --env prod-eu --reason x
expect_rc 2
expect_err_has "needs a person"
export TOLLGATE_USER=alice
run reject ledger 3.12.1 --env nowhere --reason x --as bob
expect_rc 2
expect_err_has "unknown environment 'nowhere'"
# allowed in staging only: still rejected in prod-eu
run allow ledger 3.12.1 --env staging --reason "staging may keep testing it" --as alice
expect_rc 0
run why ledger staging
expect_out_lacks "rejected everywhere"
run why ledger prod-eu
expect_rc 3
expect_out_has "version 3.12.1 was rolled back from prod-eu"
# allowed everywhere: nothing rejects it any more
run allow ledger 3.12.1 --reason "rates fixed upstream" --as alice
expect_rc 0
expect_out_has "allowed ledger 3.12.1 again everywhere: rates fixed upstream"
run why ledger prod-eu
expect_rc 0
run allow ledger 3.12.1 --reason "once more" --as alice
expect_out_has "ledger 3.12.1 is not rejected anywhere; nothing changed"
# rejected for one environment by hand
run reject accounts 2.8.0 --env prod-eu --reason "audit finding" --as bob --json
expect_rc 0
expect_json 'j["changed"] and j["env"] == "prod-eu" and j["rejected"]'
run status --json
expect_json '[(r["project"], r["version"], r["env"], r["kind"], r["by"]) for r in j["rejections"] if r["rejected"]] == [("ledger", "3.12.0", "prod-eu", "rolled-back", "carol"), ("accounts", "2.8.0", "prod-eu", "rejected", "bob")]'

# every one of them is in the log, by the person who did it
run log --json
expect_json '[(e["actor"], e["action"], e["subject"]) for e in j["entries"] if e["action"] in ("reject", "allow")] == [("alice", "allow", "accounts@prod-eu"), ("bob", "reject", "ledger@*"), ("alice", "allow", "ledger@staging"), ("alice", "allow", "ledger@*"), ("bob", "reject", "accounts@prod-eu")]'
run log --verify
expect_rc 0
done_tests
