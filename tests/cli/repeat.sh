#!/bin/bash
# repeat.sh - issue 9 §8: repeating an action that already holds is exit 0,
# says "already …" and writes nothing (the audit log does not grow): approve,
# revoke (also with no approval at all), check, uncheck (also of an item never
# ticked), blocker --resolve, blocker --progress N, incident resolve, record
# (one version, and a file of them), rollback. An action that contradicts the
# state -- progress below 100 on a resolved blocker -- is refused (exit 2)
# unless it says --reopen.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
export TOLLGATE_NOW=2026-01-10T09:00:00Z

cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: REPEAT, title: Repeated actions}
identity: claim
environments:
  - {name: dev}
  - {name: sit}
people:
  - {id: tom, roles: [tech-lead]}
  - {id: dana, roles: [devops-lead]}
waves: [{id: w1}]
projects:
  - {id: api, wave: w1, deploy: "true", verify: "true", rollback: "true"}
  - {id: web, wave: w1, deploy: "true", verify: "true", rollback: "true"}
gates:
  - {id: g, approvers: [tech-lead, devops-lead], before: {env: sit}, scope: plan}
checklist:
  - {id: tests, text: Tests pass, applies: {env: sit}}
  - {id: docs, text: Docs written, applies: {env: sit}}
blockers:
  - {id: dns, text: DNS routing, progress: 40, blocks: {env: sit}}
EOF

entries() { raw "SELECT COUNT(*) FROM audit"; }

# twice WANT ARGS...: ARGS runs once (exit 0), then again: exit 0, stdout
# holds WANT, nothing on stderr, and the audit log did not grow
twice() {
	local want=$1 n
	shift
	run "$@"
	expect_rc 0
	n=$(entries)
	run "$@"
	expect_rc 0
	expect_out_has "$want"
	expect_err_empty
	checks=$((checks + 1))
	[ "$(entries)" = "$n" ] || fail "repeating '$*' wrote to the audit log ($n -> $(entries) entries)"
}

# again WANT ARGS...: the action holds already: exit 0, WANT, no entry
again() {
	local want=$1 n
	shift
	n=$(entries)
	run "$@"
	expect_rc 0
	expect_out_has "$want"
	expect_err_empty
	checks=$((checks + 1))
	[ "$(entries)" = "$n" ] || fail "'$*' held already but wrote to the audit log ($n -> $(entries) entries)"
}

# ---- approvals
twice "already approved: gate 'g' as tech-lead (tom) for the plan as a whole; nothing changed" approve g --as tom
run approve g --as tom --json
expect_json 'j["already"] is True and j["changed"] is False and j["role"] == "tech-lead"'
twice "already revoked: tom has no approval of gate 'g'; nothing changed" revoke g --as tom
again "already revoked: dana has no approval of gate 'g'; nothing changed" revoke g --as dana
run revoke g --as dana --json
expect_rc 0
expect_json 'j["already"] is True and j["changed"] is False and j["role"] is None'

# ---- ticks
twice "already ticked: 'tests'; nothing changed" check tests --as tom --note "all green"
run check tests --as tom --json
expect_json 'j["already"] is True and j["changed"] is False'
twice "already unticked: 'tests'; nothing changed" uncheck tests --as tom
again "already unticked: 'docs'; nothing changed" uncheck docs --as dana

# ---- blockers
twice "already at 60%: blocker 'dns'; nothing changed" blocker dns --progress 60 --as dana
twice "already resolved: blocker 'dns'; nothing changed" blocker dns --resolve --as dana
again "already resolved: blocker 'dns'; nothing changed" blocker dns --progress 100 --as dana
run blocker dns --resolve --as dana --json
expect_json 'j == {"blocker": "dns", "progress": 100, "resolved": True, "changed": False, "already": True, "rehearsal": True}'
# progress on a resolved blocker contradicts it: refused without --reopen
n=$(entries)
run blocker dns --progress 95 --as dana
expect_rc 2
expect_err_line "tollgate: error: blocker 'dns' is resolved; --progress 95 would reopen it: add --reopen if it is back"
checks=$((checks + 1))
[ "$(entries)" = "$n" ] || fail "a refused progress wrote to the audit log"
run status --json
run why api sit --json
expect_json '[r["ok"] for r in j["rules"] if r["rule"] == "blockers"] == [True]'
run blocker dns --reopen --as dana
expect_rc 2
expect_err_line "tollgate: error: --reopen needs --progress N below 100 (where the blocker stands again)"
twice "already at 95%: blocker 'dns'; nothing changed" blocker dns --progress 95 --reopen --as dana
run why api sit --json
expect_json '[r["ok"] for r in j["rules"] if r["rule"] == "blockers"] == [False]'
run log --json
expect_json '[e["detail"] for e in j["entries"] if e["action"] == "blocker.reopen"] == ["reopened at 95%"]'
twice "already resolved: blocker 'dns'; nothing changed" blocker dns --resolve --as dana

# ---- incidents
run incident open --level 1 --env sit --as dana "slow responses"
expect_rc 0
twice "already resolved: incident 1; nothing changed" incident resolve 1 --as dana
run incident resolve 1 --as dana --json
expect_json 'j["already"] is True and j["changed"] is False and j["resolved"] is True'
run incident resolve 9 --as dana
expect_rc 2
expect_err_has "unknown incident 9"

# ---- record: one version, then a file of them (some new, then none)
twice "already healthy: api 1.0 in dev; nothing changed" record api dev --version 1.0
run record api dev --version 1.0 --json
expect_json 'j["already"] == 1 and j["changed"] is False'
printf 'api 1.0\nweb 2.0\n' >versions.txt
n=$(entries)
run record --env dev --versions versions.txt
expect_rc 0
expect_out_has "recorded 1 version healthy in dev (1 already healthy)"
checks=$((checks + 1))
[ "$(entries)" = $((n + 1)) ] || fail "a partly new versions file is not one entry"
again "already healthy: all versions in dev; nothing changed" record --env dev --versions versions.txt
run log --json
expect_json 'j["entries"][-1]["detail"] == "1 version: web=2.0; 1 already healthy"'

# ---- rollback: promoted, rolled back, rolled back again
for step in "approve g --as tom" "approve g --as dana" "check tests --as tom" "check docs --as tom"; do
	run $step
	expect_rc 0
done
run promote --to sit --project api --as dana
expect_rc 0
twice "already rolled back: api in sit (live: nothing); nothing changed" rollback api sit --as dana
run rollback api sit --as dana --json
expect_rc 0
expect_json 'j["results"][0]["already"] is True and j["results"][0]["outcome"] == "rolled-back"'

run log --verify
expect_rc 0
done_tests
