#!/bin/bash
# identity.sh - issue 9 §5, who acts. identity: os: the person is the one
# whose login lists the OS user running tollgate; --as / TOLLGATE_USER may
# only name that person (exit 2); an OS user in no login is nobody, and
# nobody may promote, roll back, record beyond the source, open or resolve
# an incident, move a blocker or approve. environments[].promoters and
# checklist[].by restrict who may; a placeholder (tbd: true) never acts and
# is shown as TBD. identity: db: the PostgreSQL session user decides (as os
# on SQLite). identity: claim: --as as before, and validate says so.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
export TOLLGATE_NOW=2026-01-10T09:00:00Z
me=$(id -un)

# plan OS-USER-OF-ALICE [IDENTITY]: the plan, alice's login given
plan() {
	cat >tollgate.yaml <<EOF
version: 1
plan: {id: IDENT, title: Who acts}
identity: ${2:-os}
environments:
  - {name: dev}
  - {name: sit}
  - {name: prod, promoters: [release]}
people:
  - {id: alice, name: Alice Ops, roles: [ops, release], login: ["$1"], db_user: ${3:-nobody_db}}
  - {id: bob, name: Bob Dev, roles: [dev], login: [bob-is-not-an-os-user], db_user: ${4:-bob_db}}
  - {id: carol, name: Carol QA, roles: [qa, ops]}
  - {id: q-tbd, name: Someone, roles: [qa-lead], tbd: true}
waves: [{id: w1}]
projects:
  - {id: api, wave: w1, deploy: "true", verify: "true", rollback: "true"}
gates:
  - {id: cab, approvers: [ops, qa-lead], before: {env: prod}, scope: plan}
checklist:
  - {id: signoff, text: QA sign-off, by: [qa], applies: {env: prod}}
  - {id: notes, text: Release notes, applies: {env: prod}}
blockers:
  - {id: dns, text: DNS routing, progress: 40, blocks: {env: prod}}
EOF
}

# ---- identity: os, the OS user is alice's login
plan "$me"
run validate
expect_rc 0
expect_err_line "tollgate.yaml:17:32: warning: gate 'cab' cannot pass until someone is named for role 'qa-lead' (held only by placeholder 'q-tbd')"
# nobody needs --as: the OS user says who acts
run record api dev --version 1.0
expect_rc 0
run promote --to sit
expect_rc 0
run log --json
expect_json '[e["actor"] for e in j["entries"]][:2] == ["alice", "alice"]'
# each entry says who was authenticated, and how
host=$(hostname)
expect_json '[e["auth"] for e in j["entries"]][:2] == ["os:'"$me@$host"'"] * 2'
run approve cab --as alice
expect_rc 0
expect_out_has "approved gate 'cab' as ops (alice)"
# --as / TOLLGATE_USER may only name yourself, on every command
n=$(raw "SELECT COUNT(*) FROM audit")
run approve cab --as carol
expect_rc 2
expect_err_line "tollgate: error: --as carol: you are 'alice' (OS user '$me'); with identity: os you act only as yourself"
TOLLGATE_USER=bob run promote --to prod
expect_rc 2
expect_err_line "tollgate: error: TOLLGATE_USER bob: you are 'alice' (OS user '$me'); with identity: os you act only as yourself"
TOLLGATE_USER=bob run status
expect_rc 2
run rollback api sit --as bob
expect_rc 2
checks=$((checks + 1))
[ "$(raw "SELECT COUNT(*) FROM audit")" = "$n" ] || fail "a refused identity wrote to the audit log"
# checklist by: alice holds no 'qa'
run check signoff
expect_rc 3
expect_err_line "tollgate: error: checklist item 'signoff' is ticked and unticked only by role 'qa' (its 'by'); 'alice' holds none"
run check notes
expect_rc 0
expect_out_has "ticked 'notes' (alice)"
# reports show the placeholder as TBD, never its name; why says so
run report --json
expect_json '[a["holders"] for a in j["gates"][0]["approvers"] if a["role"] == "qa-lead"] == [["TBD"]]'
run report
expect_out_lacks "Someone"
run why api prod --json
expect_json '"still needs role \x27qa-lead\x27 (held only by a placeholder: TBD, name someone in the plan)" in [r["detail"] for r in j["rules"] if r["rule"] == "gates"][0]'

# ---- identity: os, the OS user is nobody's login: nobody acts
plan "someone-else"
n=$(raw "SELECT COUNT(*) FROM audit")
nobody="OS user '$me' is no person's 'login' in the plan (identity: os); add it to your people entry"
run promote --to sit
expect_rc 2
expect_err_line "tollgate: error: promote --to sit needs a person: $nobody"
run rollback api sit
expect_rc 2
expect_err_line "tollgate: error: rollback needs a person: $nobody"
run record api sit --version 2.0
expect_rc 2
expect_err_line "tollgate: error: recording in 'sit' needs a person: $nobody"
run incident open --level 1 --env sit "slow"
expect_rc 2
expect_err_line "tollgate: error: 'incident' needs a person: $nobody"
run blocker dns --resolve
expect_rc 2
run approve cab --as alice
expect_rc 2
expect_err_line "tollgate: error: --as alice: OS user '$me' is no person's 'login' in the plan; with identity: os you act only as the person it names"
checks=$((checks + 1))
[ "$(raw "SELECT COUNT(*) FROM audit")" = "$n" ] || fail "an anonymous action wrote to the audit log"
# reading needs nobody; the source takes CI's versions from nobody
run status
expect_rc 0
run promote --to sit --dry-run
expect_rc 0
run record api dev --version 2.0
expect_rc 0
run log --json
expect_json 'j["entries"][-1]["actor"] == "ci" and j["entries"][-1]["auth"] == "os:'"$me@$(hostname)"'"'

# ---- identity: claim: --as as before; promoters and placeholders still hold
plan "$me" claim
run validate
expect_rc 0
expect_err_has "warning: identity: claim: anyone can act as anyone (--as is not checked)"
run promote --to prod --as carol
expect_rc 3
expect_err_line "tollgate: error: 'carol' may not change environment 'prod': that needs a role among its promoters ('release')"
run record api prod --version 1.0 --as bob
expect_rc 3
expect_err_has "'bob' may not change environment 'prod'"
run rollback api sit --as bob
expect_rc 0
run log --json
expect_json 'j["entries"][-1]["actor"] == "bob" and j["entries"][-1]["auth"] == "claim:bob"'
run approve cab --as q-tbd
expect_rc 3
expect_err_line "tollgate: error: 'q-tbd' is a placeholder (tbd: true) and cannot act; name a person for its roles in the plan"
run check signoff --as carol
expect_rc 0
run checklist run --as q-tbd
expect_rc 3
run soak --as q-tbd
expect_rc 3
run soak
expect_rc 0
run uncheck signoff --as bob
expect_rc 3
run promote --to prod
expect_rc 2
expect_err_line "tollgate: error: promote --to prod needs a person: use --as PERSON or set TOLLGATE_USER (identity: claim)"

# ---- identity: db: the database's session user decides (SQLite: as os)
if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
	session=$(raw "SELECT session_user")
	other="bob_$$_${RANDOM}"
	raw "CREATE ROLE $other LOGIN; GRANT ALL ON ALL TABLES IN SCHEMA public TO $other" >/dev/null
	plan "someone-else" db "$session" "$other"
	run approve cab
	expect_rc 0
	expect_out_has "already approved: gate 'cab' as ops (alice)"
	run approve cab --as bob
	expect_rc 2
	expect_err_line "tollgate: error: --as bob: you are 'alice' (database user '$session'); with identity: db you act only as yourself"
	# the same OS user, connected as bob's database user, is bob
	run incident open --level 1 --env sit "seen by bob" --db "${TOLLGATE_DB/"$session@"/"$other@"}"
	expect_rc 0
	run log --json
	expect_json 'j["entries"][-1]["actor"] == "bob" and j["entries"][-1]["action"] == "incident.open" and j["entries"][-1]["auth"] == "db:'"$other"'"'
	raw "REASSIGN OWNED BY $other TO $session; DROP OWNED BY $other; DROP ROLE $other" >/dev/null
else
	plan "$me" db
	run approve cab
	expect_rc 0
	expect_out_has "already approved: gate 'cab' as ops (alice)"
	run approve cab --as bob
	expect_rc 2
	expect_err_line "tollgate: error: --as bob: you are 'alice' (OS user '$me'); with identity: db (a store with no users: as os) you act only as yourself"
fi

run log --verify
expect_rc 0
done_tests
