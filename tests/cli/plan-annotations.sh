#!/bin/bash
# plan-annotations.sh - keys that start with `x-` are the team's own
# annotations: ignored wherever they are written (top level, plan, envs,
# freezes, people, waves, windows, defaults, projects, targets, gates,
# scopes, checklist, blockers, risks, triggers, milestones, channels, routes,
# schedules, the tables …), whatever they hold; any other unknown key is
# still an error, `X-` and `x_` too. An x- anchor is the usual home of a
# merged base.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cat >tollgate.yaml <<'EOF'
version: 1
x-team: {slack: "#rel", anything: [1, {deep: true}]}
x-base: &base {wave: w1, owner: Platform}
plan: {id: X-1, title: Annotated, x-jira: REL-1}
environments:
  - {name: dev, x-note: laptop}
  - name: sit
    x-owner: qa
    freeze: [{from: 2026-03-01, to: 2026-03-02, x-why: board}]
  - {name: x-ray}
people:
  - {id: sam, roles: [sdet, lead], x-phone: "555"}
waves:
  - {id: w1, window: {from: 2026-01-01, to: 2026-03-01, x-tz: UTC}, x-colour: blue}
defaults:
  x-comment: shared
  projects: {timeout: 5m, x-why: slow builds}
projects:
  - {<<: *base, id: api, targets: {sit: 2026-01-10, x-ray: 2026-02-01, x-comment: tentative}, x-repo: git@x:api}
gates:
  - {id: g1, approvers: [lead], before: {env: sit, x-note: n}, x-ticket: T-1}
checklist:
  - {id: c1, text: Tests, applies: {env: sit, x-n: 1}, x-link: "http://ci"}
blockers:
  - {id: b1, text: DNS, blocks: {env: sit}, x-eta: soon}
risks:
  - {id: r1, text: Risky, severity: low, x-prob: 0.1}
triggers:
  - {id: t1, text: Errors, x-dashboard: d}
milestones:
  - {date: 2026-01-10, text: SIT, x-who: sam}
channels:
  - {id: hook, kind: webhook, url_env: HOOK_URL, x-team: ops}
notify:
  - {channel: hook, events: [rollback], x-why: pager}
notify_policy: {max_attempts: 3, x-note: default}
schedules:
  - {id: s1, channel: hook, digest: status, at: "10:00", tz: UTC, x-owner: sam}
resources:
  - {role: QA, person: TBD, x-cost: 1}
changelog:
  - {date: 2026-01-01, change: Created, x-pr: 12}
next_steps:
  - {title: Soon, items: [a], x-prio: 1}
EOF
run validate
expect_rc 0
expect_out_has "X-1: 1 project, 1 wave, 3 environments, 1 gate, 1 checklist item — valid"
# x-ray is an environment: its target is kept, x-comment's is not
run report --format json
expect_json '[c["target"] for w in j["waves"] for p in w["projects"] for c in p["cells"]] == [None, "2026-01-10", "2026-02-01"]'
expect_json '[p["owner"] for w in j["waves"] for p in w["projects"]] == ["Platform"]'

# other unknown keys are still errors
cat >bad.yaml <<'EOF'
version: 1
X-team: 1
x_team: 2
plan: {id: X-2, xnote: 3}
environments: [{name: dev}, {name: sit}]
waves: [{id: w1}]
projects:
  - {id: a, wave: w1, "x": 4, targets: {x-sat: 2026-01-01, sat: 2026-01-01}}
EOF
run --plan bad.yaml validate
expect_rc 2
expect_err_line "bad.yaml:2:1: error: unknown top-level key 'X-team'"
expect_err_line "bad.yaml:3:1: error: unknown top-level key 'x_team'"
expect_err_has "bad.yaml:4:17: error: unknown key 'xnote' in 'plan'"
expect_err_line "bad.yaml:8:23: error: unknown key 'x' in project 'a'"
expect_err_line "bad.yaml:8:60: error: project 'a' names unknown environment 'sat'; did you mean 'sit'?"
expect_err_line "tollgate: error: bad.yaml: 5 errors; plan rejected"

done_tests
