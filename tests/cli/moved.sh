#!/bin/bash
# moved.sh - issue 9 item 4: renaming ids in the plan never orphans live
# state. Without `moved`, every command warns about state for ids the plan
# no longer has (with a did-you-mean) and the commands that change state
# refuse (exit 2); with it, the state of each old id is carried over to the
# new one once, in one audited change; `forget` drops what nothing carries.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

backend_store
export TOLLGATE_NOW=2026-03-02T09:00:00Z

# plan IDS...: writes tollgate.yaml with these ids (project, env, gate, item,
# blocker, second project[, third project]) and the `moved` lines on stdin
plan() {
	cat >"$T/tollgate.yaml" <<EOF
version: 1
plan: {id: MOVED-1, title: Renames}
environments:
  - {name: dev}
  - {name: $2}
people:
  - {id: alice, roles: [release-manager]}
  - {id: sam, roles: [sdet]}
waves:
  - {id: w1, prerequisites: [$4]}
projects:
  - {id: $1, wave: w1, deploy: "true"}
  - {id: $6, wave: w1, deploy: "true"}
${7:+  - {id: $7, wave: w1\}}
gates:
  - {id: $3, approvers: [release-manager], before: {env: $2}}
checklist:
  - {id: $4, text: Tests pass}
blockers:
  - {id: $5, text: Routing, progress: 10, blocks: {env: $2}}
EOF
	cat >>"$T/tollgate.yaml"
}

# ---- the state, under the old ids ------------------------------------------
plan ledger prod-eu cab tests-pass routing api </dev/null
run record ledger dev --version 3.12.0 --as sam
run record api dev --version 1.0 --as sam
run approve cab --as alice
run check tests-pass --as sam
run blocker routing --resolve --as sam
run promote --to prod-eu --as alice
expect_rc 0
run incident open --level 1 --env prod-eu --project ledger --as alice "slow ledger"
expect_rc 0
run reject ledger 3.11.0 --env prod-eu --reason "data loss" --as alice
expect_rc 0
run log --json
nentries=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["entries"]))' "$T/out")

# ---- renamed without `moved`: warnings, reads work, writes refuse -------------
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 api </dev/null
# not "valid (0 warnings)": validate looks in the store too
run validate
expect_rc 0
expect_out_has "— valid (6 warnings)" # the 6th: identity: claim
expect_err_line "tollgate: warning: the store holds state for project 'ledger', which the plan no longer has (did you mean 'ledger-svc'? add 'moved: [{project: ledger, to: ledger-svc}]' to the plan, or 'tollgate forget project ledger --reason …')"
run validate --json
expect_rc 0
expect_json '[w["line"] for w in j["warnings"]] == [7, 0, 0, 0, 0, 0] and "environment \x27prod-eu\x27" in j["warnings"][2]["message"]'
run status
expect_rc 0
expect_err_line "tollgate: warning: the store holds state for project 'ledger', which the plan no longer has (did you mean 'ledger-svc'? add 'moved: [{project: ledger, to: ledger-svc}]' to the plan, or 'tollgate forget project ledger --reason …')"
expect_err_line "tollgate: warning: the store holds state for environment 'prod-eu', which the plan no longer has (did you mean 'prod-emea'? add 'moved: [{env: prod-eu, to: prod-emea}]' to the plan, or 'tollgate forget env prod-eu --reason …')"
expect_err_line "tollgate: warning: the store holds state for gate 'cab', which the plan no longer has (did you mean 'cab-2'? add 'moved: [{gate: cab, to: cab-2}]' to the plan, or 'tollgate forget gate cab --reason …')"
expect_err_line "tollgate: warning: the store holds state for checklist item 'tests-pass', which the plan no longer has (did you mean 'tests-passing'? add 'moved: [{item: tests-pass, to: tests-passing}]' to the plan, or 'tollgate forget item tests-pass --reason …')"
expect_err_line "tollgate: warning: the store holds state for blocker 'routing', which the plan no longer has (did you mean 'routing-v2'? add 'moved: [{blocker: routing, to: routing-v2}]' to the plan, or 'tollgate forget blocker routing --reason …')"
for cmd in "why api prod-emea" "next" "log" "report" "status --json" "promote --to prod-emea --dry-run"; do
	# shellcheck disable=SC2086
	run $cmd
	checks=$((checks + 1))
	[ "$rc" -ne 2 ] || fail "'$cmd' refused while ids are orphaned"
	expect_err_has "which the plan no longer has"
done
refusal="tollgate: error: '%s' changes the state, but the store holds state for 5 ids the plan no longer has (project 'ledger', environment 'prod-eu', gate 'cab', …); add them to the plan's 'moved' or drop them with 'tollgate forget', then run it again"
for cmd in "record api dev --version 1.1 --as sam" "approve cab-2 --as alice" \
	"check tests-passing --as sam" "uncheck tests-passing --as sam" \
	"blocker routing-v2 --progress 20 --as sam" "promote --to prod-emea --as alice" "soak" \
	"rollback api prod-emea --as alice" "incident open --level 1 --env dev --as sam x" \
	"checklist run"; do
	# shellcheck disable=SC2086
	run $cmd
	expect_rc 2
	# shellcheck disable=SC2059
	expect_err_line "$(printf "$refusal" "${cmd%% *}")"
done
run log --json
expect_json "len(j['entries']) == $nentries"

# ---- `moved` is validated ------------------------------------------------------
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 api <<'EOF'
moved:
  - {project: ledger, to: ledger-sv}
  - {project: api, to: ledger-svc}
EOF
run validate
expect_rc 2
expect_err_line "tollgate.yaml:22:27: error: project 'ledger' is moved to unknown project 'ledger-sv'; did you mean 'ledger-svc'?"
expect_err_line "tollgate.yaml:23:15: error: project 'api' is moved to 'ledger-svc' but is still in the plan; a moved id is one the plan no longer has"

# ---- with `moved`: carried over once, in one audited change --------------------
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 api <<'EOF'
moved:
  - {project: ledger, to: ledger-svc}
  - {env: prod-eu, to: prod-emea}
  - {gate: cab, to: cab-2}
  - {item: tests-pass, to: tests-passing}
  - {blocker: routing, to: routing-v2}
  - {wave: w0, to: w1}
  - {project: never-had-state, to: api}
EOF
run validate
expect_rc 0
expect_out_has "— valid (1 warning)"
expect_err_lacks() { checks=$((checks + 1)); if grep -qF -- "$1" "$T/err"; then fail "expected stderr not to contain: $1"; fi; }
expect_err_lacks "the store holds state"
run status --json --as alice
expect_rc 0
expect_err_line "tollgate: the state of project 'ledger' now belongs to 'ledger-svc' (the plan's 'moved'; see 'tollgate log')"
expect_err_line "tollgate: the state of blocker 'routing' now belongs to 'routing-v2' (the plan's 'moved'; see 'tollgate log')"
expect_err_lacks "warning"
expect_json '{(c["project"], c["env"]): (c["state"], c["version"]) for c in j["cells"]}[("ledger-svc", "prod-emea")] == ("healthy", "3.12.0")'
expect_json '[i["project"] for i in j["incidents"]] == ["ledger-svc"] and j["incidents"][0]["env"] == "prod-emea"'
expect_json 'j["blockers"] == []'
expect_json '[(r["project"], r["version"], r["env"]) for r in j["rejections"]] == [("ledger-svc", "3.11.0", "prod-emea")]'
run log --json
expect_rc 0
expect_err_empty
expect_json "len(j['entries']) == $nentries + 1"
expect_json 'j["entries"][-1]["action"] == "moved" and j["entries"][-1]["actor"] == "alice"'
expect_json 'j["entries"][-1]["subject"] == "project ledger, env prod-eu, gate cab, item tests-pass, blocker routing"'
expect_json '"project \x27ledger\x27 is now \x27ledger-svc\x27" in j["entries"][-1]["detail"]'
# the gate's approval and the item's tick count under their new ids
run why api prod-emea --json
expect_json '{r["rule"]: r["ok"] for r in j["rules"]}["gates"] is True'
expect_json '{r["rule"]: r["ok"] for r in j["rules"]}["checklist"] is True'
expect_json '{r["rule"]: r["ok"] for r in j["rules"]}["blockers"] is True'
# a later run does nothing; writes work again
run record api dev --version 1.1 --as sam
expect_rc 0
expect_err_empty
run log --json
expect_json "len(j['entries']) == $nentries + 2 and j['entries'][-1]['action'] == 'record'"
run log --verify
expect_rc 0

# ---- forget: what nothing carries over ---------------------------------------------
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 web </dev/null
run status
expect_rc 0
expect_err_line "tollgate: warning: the store holds state for project 'api', which the plan no longer has (did you mean 'web'? add 'moved: [{project: api, to: web}]' to the plan, or 'tollgate forget project api --reason …')"
run forget project api --reason "retired"
expect_rc 2
expect_err_line "tollgate: error: 'forget' needs a person: use --as PERSON or set TOLLGATE_USER (identity: claim)"
run forget project api --as sam
expect_rc 2
expect_err_line "tollgate: error: say why with --reason TEXT: it goes into the audit log"
run forget project ledger-svc --reason "oops" --as sam
expect_rc 2
expect_err_line "tollgate: error: the plan still has project 'ledger-svc'; 'forget' drops only the state of ids the plan no longer has"
run forget wave w0 --reason "x" --as sam
expect_rc 2
expect_err_line "tollgate: error: a wave holds no state in the store; there is nothing to forget"
run forget projects api --reason "x" --as sam
expect_rc 2
expect_err_line "tollgate: error: unknown kind 'projects'; use project, env, gate, item or blocker"
run forget project api --reason "retired in March" --as sam
expect_rc 0
expect_out_has "forgot project 'api': "
run log --json
expect_json 'j["entries"][-1]["action"] == "forget" and j["entries"][-1]["subject"] == "project api" and j["entries"][-1]["actor"] == "sam" and j["entries"][-1]["detail"].endswith("dropped: retired in March")'
n=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["entries"]))' "$T/out")
run forget project api --reason "retired in March" --as sam --json
expect_rc 0
expect_json 'j["forgotten"] is False and j["rows"] == 0'
run log --json
expect_json "len(j['entries']) == $n"
run record web dev --version 1.0 --as sam
expect_rc 0
expect_err_empty

# ---- a new id that holds state already: nothing moves, the old one is forgotten ----
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 web api2 </dev/null
run record api2 dev --version 2.0 --as sam
expect_rc 0
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 api2 <<'EOF'
moved:
  - {project: web, to: api2}
EOF
run record api2 dev --version 2.1 --as sam
expect_rc 2
expect_err_line "tollgate: warning: the store holds state for project 'web', which the plan moves to 'api2', but 'api2' holds state too, so none was carried over; keep one: 'tollgate forget project web --reason …' drops the old state"
run forget project web --reason "api2 replaces it" --as sam
expect_rc 0
run record api2 dev --version 2.1 --as sam
expect_rc 0
expect_err_empty
run log --verify
expect_rc 0

# ---- a read command's shortcut (the clean mark) can hide nothing -------------
# a clean read leaves the mark; a rename in the plan invalidates it (the ids
# changed), and so does any change by another version of the plan (the log
# head moved); a forged mark never lets a change through
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 api2 </dev/null
run status
expect_rc 0
expect_err_empty
checks=$((checks + 1))
ls "$T"/.tollgate/orphans-ok.MOVED-1 >/dev/null 2>&1 || fail "a clean read left no mark"
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 api3 </dev/null
run status
expect_rc 0
expect_err_has "the store holds state for project 'api2'"
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 api2 </dev/null
run status
expect_err_empty
cp "$T/tollgate.yaml" "$T/keep.yaml"
plan ledger-svc prod-emea cab-2 tests-passing routing-v2 api2 newcomer </dev/null
run record newcomer dev --version 1 --as sam
expect_rc 0
cp "$T/keep.yaml" "$T/tollgate.yaml"
run status
expect_rc 0
expect_err_has "the store holds state for project 'newcomer'"
# a command that changes state always looks (a mark never lets it through)
run record api2 dev --version 2.2 --as sam
expect_rc 2
expect_err_has "the store holds state for 1 id the plan no longer has"
done_tests
