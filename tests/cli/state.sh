#!/bin/bash
# state.sh - bad input and faults of the state commands: unknown ids (exit 2
# with a did-you-mean), identities and roles (exit 2 / 3), a bad versions
# file (exit 2 naming FILE:LINE, nothing written), a store that cannot be
# reached (exit 1, one line), and the one-person-one-role rule of gates.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cp "$FIXTURES/state-small.yaml" "$T/tollgate.yaml"
export TOLLGATE_NOW=2026-01-10T09:00:00Z

# ---- unknown ids: exit 2, one line with a did-you-mean ------------------
run why apii sit
expect_rc 2
expect_err_line "tollgate: error: unknown project 'apii'; did you mean 'api'?"
run why api sitt
expect_rc 2
expect_err_line "tollgate: error: unknown environment 'sitt'; did you mean 'sit'?"
run why zzzzzzzz sit
expect_rc 2
expect_err_line "tollgate: error: unknown project 'zzzzzzzz'; the plan's 'projects' lists the ids"
run approve gate-33 --as dana
expect_rc 2
expect_err_line "tollgate: error: unknown gate 'gate-33'; did you mean 'gate-3'?"
run check api-test --as tom
expect_rc 2
expect_err_line "tollgate: error: unknown checklist item 'api-test'; did you mean 'api-tests'?"
run blocker api_infr --resolve --as dana
expect_rc 2
expect_err_line "tollgate: error: unknown blocker 'api_infr'; did you mean 'api_infra'?"
run status --wave wave-3
expect_rc 2
expect_err_line "tollgate: error: unknown wave 'wave-3'; did you mean 'wave-1'?"
run status --env prd
expect_rc 2
expect_err_line "tollgate: error: unknown environment 'prd'; did you mean 'prod'?"
run incident open --level 2 --env sit --project ap --as tom "outage"
expect_rc 2
expect_err_line "tollgate: error: unknown project 'ap'; did you mean 'api'?"
run why api dev
expect_rc 2
expect_err_has "'dev' is the first environment"

# ---- identity and roles ---------------------------------------------------
run approve gate-3 --as tomm
expect_rc 2
expect_err_line "tollgate: error: unknown person 'tomm'; did you mean 'tom'?"
TOLLGATE_USER=danna run approve gate-3
expect_rc 2
expect_err_line "tollgate: error: unknown person 'danna'; did you mean 'dana'?"
run approve gate-3
expect_rc 2
expect_err_line "tollgate: error: 'approve' needs a person: use --as PERSON or set TOLLGATE_USER (identity: claim)"
run check api-tests
expect_rc 2
run approve gate-3 --as sam
expect_rc 3
expect_err_line "tollgate: error: 'sam' holds none of the roles gate 'gate-3' needs (devops-lead, tech-lead); nothing approved"
run approve gate-3 --as dana --role tech-lead
expect_rc 3
expect_err_line "tollgate: error: 'dana' does not hold role 'tech-lead' that gate 'gate-3' asks for"
run approve gate-3 --as dana --role qa
expect_rc 2
expect_err_line "tollgate: error: gate 'gate-3' does not ask for role 'qa'; it needs devops-lead, tech-lead"

# one person, two roles of the same gate: one approval, the other role needs
# someone else. An approval is for versions: api's candidate for prod (v1,
# healthy in sit); db and web have none
run approve gate-4 --as paula
expect_rc 3
expect_err_line "tollgate: error: gate 'gate-4' approves versions, and no project it guards has a candidate for prod (a version soaking or healthy in sit); nothing approved"
run record api sit --version v1 --as dana
expect_rc 0
run approve gate-4 --as paula
expect_rc 0
expect_out_has "approved gate 'gate-4' as product-owner (paula) for api v1"
expect_out_has "not covered (no candidate for prod): db, web"
expect_out_has "gate 'gate-4' still needs 'ops-lead' ('ops-lead' from someone other than paula: one person fills one role of a gate)"
run approve gate-4 --as paula --role ops-lead
expect_rc 3
expect_err_has "'paula' already approved gate 'gate-4' as product-owner; one person fills one role of a gate"
run approve gate-4 --as paula --json
expect_rc 0
expect_json 'j["changed"] is False and j["role"] == "product-owner" and j["still_needs"] == ["ops-lead"]'
run why api prod --json
expect_json '[r["detail"] for r in j["rules"] if r["rule"] == "gates"] == ["gate '"'"'gate-4'"'"' still needs role '"'"'ops-lead'"'"' (approved: paula as product-owner)"]'
run approve gate-4 --as olga
expect_rc 0
expect_out_has "gate 'gate-4' has every approval it needs"
run revoke gate-4 --as paula
expect_rc 0
expect_out_has "revoked paula's approval of gate 'gate-4' (was product-owner)"
run revoke gate-4 --as paula
expect_rc 0
expect_out_has "already revoked: paula has no approval of gate 'gate-4'; nothing changed"
# now paula's open role is product-owner again; ops-lead is olga's
run approve gate-4 --as paula --role ops-lead
expect_rc 3
expect_err_line "tollgate: error: role 'ops-lead' of gate 'gate-4' is already approved by olga; nothing approved"

# ---- record: one, bulk, bad files ----------------------------------------
run record api dev
expect_rc 2
expect_err_line "tollgate: error: 'record api dev' needs --version V"
printf 'api v1\n# comment\n\ndb   d1\nwebb w1\n' >"$T/v.txt"
run record --env dev --versions "$T/v.txt"
expect_rc 2
expect_err_line "tollgate: error: $T/v.txt:5: unknown project 'webb'; did you mean 'web'?"
run status --json --env dev
expect_json 'all(c["state"] == "none" for c in j["cells"])'
printf 'api v1\napi\n' >"$T/v2.txt"
run record --env dev --versions "$T/v2.txt"
expect_rc 2
expect_err_line "tollgate: error: $T/v2.txt:2: expected 'PROJECT VERSION', got 'api'"
printf 'api v1\napi v2\n' >"$T/v3.txt"
run record --env dev --versions "$T/v3.txt"
expect_rc 2
expect_err_line "tollgate: error: $T/v3.txt:2: project 'api' is already on line 1"
run record --env dev --versions "$T/missing.txt"
expect_rc 2
expect_err_has "cannot read versions file '$T/missing.txt'"
run record --versions "$T/v.txt"
expect_rc 2
expect_err_line "tollgate: error: 'record --versions FILE' needs --env ENV"
set +e
printf 'api v1 # from CI\ndb d1\nweb w1\n' | "$TOLLGATE_BIN" record --env dev --versions - --json >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 0
expect_json 'sorted(x["project"] + "=" + x["version"] for x in j["recorded"]) == ["api=v1", "db=d1", "web=w1"]'
run status --json --env dev
expect_json 'all(c["state"] == "healthy" for c in j["cells"]) and len(j["cells"]) == 3'
run status --json
expect_json 'j["plan"] == "TEST-READY" and j["now"] == "2026-01-10T09:00:00Z"'
run record web sit --version 'w"1\2é$(id)' --as dana
expect_rc 0
run status --json --env sit
expect_json '[c["version"] for c in j["cells"] if c["project"] == "web"] == ["w\"1\\2\u00e9$(id)"]'
expect_json 'set(j["cells"][0]) >= {"project", "env", "state", "version", "since", "target", "late"}'

# ---- blockers, incidents, checklist run ------------------------------------
run blocker api_infra --as dana
expect_rc 2
expect_err_line "tollgate: error: say what changed: --progress N (0-100) or --resolve"
run blocker api_infra --progress 101 --as dana
expect_rc 2
run blocker api_infra --progress 70 --as dana --json
expect_rc 0
expect_json 'j == {"blocker": "api_infra", "progress": 70, "resolved": False, "changed": True, "already": False, "rehearsal": True}'
run incident open --level 4 --env sit --as tom "x"
expect_rc 2
run incident open --level 2 --env sit --as tom
expect_rc 2
expect_err_has "say what happened"
run incident resolve 9 --as tom
expect_rc 2
expect_err_line "tollgate: error: unknown incident 9; 'tollgate status' lists the open ones"
run checklist run api-tests
expect_rc 2
expect_err_line "tollgate: error: checklist item 'api-tests' has no 'check' command; tick it with 'tollgate check api-tests'"
run checklist run
expect_rc 1
expect_out_has "FAILED  sit-ready  exited with status 1"
expect_err_line "tollgate: error: 1 of 1 check failed"
run why api sit --json
expect_json '[r["detail"] for r in j["rules"] if r["rule"] == "checklist"] == ["2 of 2 items not done: '"'"'api-tests'"'"' (All API tests passing), '"'"'sit-ready'"'"' (check failed, exit 1)"]'
touch "$T/ready.flag"
run checklist run sit-ready --json
expect_rc 0
expect_json 'j["results"][0]["item"] == "sit-ready" and j["results"][0]["ok"] is True and j["results"][0]["exit_status"] == 0'

# ---- no colour off a TTY; status shows open blockers ------------------------
run status
expect_rc 0
checks=$((checks + 1))
if grep -q $'\033' "$T/out"; then fail "colour codes off a TTY"; fi
expect_out_has "api_infra  70%  blocks sit  owner DevOps Engineer  due 2026-01-09"

# ---- a store that cannot be reached: exit 1, one line ---------------------
run status --db postgres://tollgate@127.0.0.1:1/none
expect_rc 1
checks=$((checks + 1))
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "one line on stderr"
expect_err_has "tollgate: error: cannot open the store"
run why api sit --db "sqlite:/proc/nonexistent/state.db"
expect_rc 1
checks=$((checks + 1))
[ "$(wc -l <"$T/err")" -eq 1 ] || fail "one line on stderr"
expect_err_has "tollgate: error: "

done_tests
