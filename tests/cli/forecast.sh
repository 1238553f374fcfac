#!/bin/bash
# forecast.sh - `tollgate forecast` on small plans whose dates are computed
# by hand (docs/forecast.md): a soak chain across three environments, a
# dependency inside a wave, a wave waiting on another, a freeze pushing a
# start (and a deadline back), a window not yet open, a soaking promotion
# half-way with step durations from the store's history, an overdue
# blocker, the deadline of a gate held by two targets, each --assume kind
# and the bad ones. Expected deploy + verify without history: 10m.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
export TOLLGATE_USER=olga
export TOLLGATE_NOW=2026-03-02T09:00:00Z

# plan ID BODY: a plan file of its own (one store holds every plan)
plan() {
	mkdir -p "$T/$1"
	{
		printf 'version: 1\nidentity: claim\nplan: {id: %s, title: %s}\n' "$1" "$1"
		printf 'people:\n  - {id: olga, roles: [ops, lead]}\n  - {id: pat, roles: [po]}\n'
		cat
	} >"$T/$1/tollgate.yaml"
	export TOLLGATE_PLAN="$T/$1/tollgate.yaml"
}
cell() { # cell PROJECT ENV FIELD: a python expression on j for expect_json
	printf '[c for c in j["cells"] if c["project"] == "%s" and c["env"] == "%s"][0]["%s"]' "$1" "$2" "$3"
}
deadline() { # deadline KIND ID FIELD
	printf '[d for d in j["deadlines"] if d["kind"] == "%s" and d["id"] == "%s"][0]["%s"]' "$1" "$2" "$3"
}

# ---- a soak chain across three environments --------------------------------
plan chain <<'P'
environments:
  - {name: dev}
  - {name: sit, soak: 24h}
  - {name: uat, soak: 12h}
  - {name: prod, soak: 24h}
waves:
  - {id: w}
projects:
  - {id: a, wave: w, targets: {sit: 2026-03-02, uat: 2026-03-03, prod: 2026-03-04}}
  - {id: nodev, wave: w}
P
run record a dev --version 1
run forecast --json
expect_rc 0
expect_json 'j["now"] == "2026-03-02T09:00:00Z" and j["plan"] == "chain"'
# sit: now + 10m + 24h = Mar 3 09:10, 9h10m after the end of Mar 2: -1 day
expect_json "$(cell a sit earliest_start) == '2026-03-02T09:00:00Z' and $(cell a sit earliest_healthy) == '2026-03-03T09:10:00Z'"
expect_json "$(cell a sit slack_days) == -1 and $(cell a sit at_risk) is True"
# uat: + 10m + 12h = Mar 3 21:20, 2h40m before the end of Mar 3
expect_json "$(cell a uat earliest_start) == '2026-03-03T09:10:00Z' and $(cell a uat earliest_healthy) == '2026-03-03T21:20:00Z'"
expect_json "$(cell a uat slack_days) == 0 and $(cell a uat at_risk) is False"
# prod: + 10m + 24h = Mar 4 21:30
expect_json "$(cell a prod earliest_start) == '2026-03-03T21:20:00Z' and $(cell a prod earliest_healthy) == '2026-03-04T21:30:00Z'"
expect_json "$(cell a prod because) == ['sit soak 24h', 'uat soak 12h'] and $(cell a prod slack_days) == 0"
# no version in dev: recorded now, by assumption
expect_json "$(cell nodev dev because) == ['no version in dev yet: assumes one is recorded now'] and $(cell nodev dev conditional) is True"
expect_json "$(cell nodev prod earliest_healthy) == '2026-03-04T21:30:00Z' and $(cell nodev prod conditional) is True"
expect_json "not [c for c in j['cells'] if c['project'] == 'a' and c['env'] == 'dev']"
# the report's Forecast section, beside the timeline: at risk first
run report --format md
expect_out_has "| a | SIT | Mar 2 | 2026-03-03 09:10 UTC | 🔴 at risk -1 days | can start now |"
checks=$((checks + 1))
sed -n '/^## Forecast/,/^## /p' "$T/out" | grep '^| a |' | head -1 | grep -qF '| a | SIT |' || fail "at risk first"
run report --format json
expect_json 'j["forecast"]["cells"] == [c for c in j["forecast"]["cells"]] and [(c["project"], c["env"], c["at_risk"]) for c in j["forecast"]["cells"] if c["target"]] == [("a", "sit", True), ("a", "uat", False), ("a", "prod", False)]'
run report --format html
expect_out_has '<a href="#forecast">Forecast</a>'
expect_out_has '<h2>Forecast</h2>'
# soak:ENV=DURATION
run forecast --json --assume soak:sit=48h
expect_json "$(cell a sit earliest_healthy) == '2026-03-04T09:10:00Z' and $(cell a prod earliest_healthy) == '2026-03-05T21:30:00Z'"
expect_json "$(cell a prod because) == ['sit soak 2d', 'uat soak 12h'] and $(cell a prod slack_days) == -1"
run forecast --env uat --json
expect_json '[(c["project"], c["env"]) for c in j["cells"]] == [("a", "uat"), ("nodev", "uat")]'
run forecast --project a
expect_rc 0
# status marks a's sit and prod AT RISK (not late: their days have not passed)
run status --json
expect_json '{(c["project"], c["env"]): (c["late"], c["at_risk"]) for c in j["cells"] if c["project"] == "a"} == {("a", "dev"): (False, False), ("a", "sit"): (False, True), ("a", "uat"): (False, False), ("a", "prod"): (False, False)}'
run status
expect_out_has "- target Mar 2 AT RISK"
TOLLGATE_NOW=2026-03-03T09:00:00Z run status --json
expect_json '[(c["env"], c["late"], c["at_risk"]) for c in j["cells"] if c["project"] == "a"] == [("dev", False, False), ("sit", True, False), ("uat", False, True), ("prod", False, True)]'
run forecast --project a
expect_out_has "sit soak 24h → uat soak 12h"
expect_out_has "AT RISK"

# ---- a dependency inside a wave ---------------------------------------------
plan deps <<'P'
environments:
  - {name: dev}
  - {name: sit, soak: 24h}
waves:
  - {id: w}
projects:
  - {id: x, wave: w, targets: {sit: 2026-03-03}}
  - {id: y, wave: w, depends_on: [x], targets: {sit: 2026-03-03}}
  - {id: z, wave: w, depends_on: [y], targets: {sit: 2026-03-03}}
P
for p in x y z; do run record $p dev --version 1; done
run forecast --json
# y starts when x is soaking (09:10), z when y is (09:20)
expect_json "$(cell x sit earliest_healthy) == '2026-03-03T09:10:00Z'"
expect_json "$(cell y sit earliest_start) == '2026-03-02T09:10:00Z' and $(cell y sit earliest_healthy) == '2026-03-03T09:20:00Z'"
expect_json "$(cell z sit earliest_start) == '2026-03-02T09:20:00Z' and $(cell z sit earliest_healthy) == '2026-03-03T09:30:00Z'"
expect_json "$(cell z sit because) == ['after x in sit', 'after y in sit'] and $(cell z sit slack_days) == 0"

# ---- a wave waiting on another ----------------------------------------------
plan waves <<'P'
environments:
  - {name: dev}
  - {name: sit, soak: 24h}
  - {name: prod}
waves:
  - {id: wave-a}
  - {id: wave-b, after: {wave: wave-a, env: sit}}
projects:
  - {id: a1, wave: wave-a}
  - {id: a2, wave: wave-a, depends_on: [a1]}
  - {id: b1, wave: wave-b, targets: {sit: 2026-03-03, prod: 2026-03-04}}
P
for p in a1 a2 b1; do run record $p dev --version 1; done
run forecast --json
# wave-a healthy in sit when a2 is: Mar 3 09:20; b1 then + 10m + 24h
expect_json "$(cell b1 sit earliest_start) == '2026-03-03T09:20:00Z' and $(cell b1 sit earliest_healthy) == '2026-03-04T09:30:00Z'"
expect_json "$(cell b1 sit because) == ['after a1 in sit', 'sit soak 24h', 'wave-b after wave-a in sit']"
expect_json "$(cell b1 sit at_risk) is True and $(cell b1 sit slack_days) == -1"
expect_json "$(cell b1 prod earliest_healthy) == '2026-03-04T09:40:00Z' and $(cell b1 prod at_risk) is False"

# ---- a freeze that pushes a start (and a deadline back) ---------------------
plan freeze <<'P'
environments:
  - {name: dev}
  - {name: sit}
  - name: prod
    freeze:
      - {from: 2026-03-02T00:00:00Z, to: 2026-03-04T12:00:00Z, why: campaign peak}
waves:
  - {id: w}
projects:
  - {id: p, wave: w, targets: {prod: 2026-03-04}}
  - {id: q, wave: w, targets: {prod: 2026-03-03}}
gates:
  - {id: go, approvers: [lead], before: {env: prod}}
P
for x in p q; do run record $x dev --version 1; done
run forecast --json
expect_json "$(cell p sit earliest_healthy) == '2026-03-02T09:10:00Z'"
expect_json "$(cell p prod earliest_start) == '2026-03-04T12:00:00Z' and $(cell p prod earliest_healthy) == '2026-03-04T12:10:00Z'"
expect_json "$(cell p prod because) == ['prod frozen until Mar 4 12:00 (campaign peak)'] and $(cell p prod slack_days) == 0"
expect_json "$(cell q prod at_risk) is True and $(cell q prod slack_days) == -1"
# q's latest start, Mar 3 23:50, is inside the freeze: before it, already past
expect_json "$(deadline gate go by) == '2026-03-01T23:59:59Z' and $(deadline gate go late) is True"
expect_json "$(deadline gate go for) == [{'project': 'q', 'env': 'prod', 'target': '2026-03-03'}, {'project': 'p', 'env': 'prod', 'target': '2026-03-04'}]"
run forecast --json --assume freeze:none
expect_json "$(cell p prod earliest_start) == '2026-03-02T09:10:00Z' and $(cell p prod earliest_healthy) == '2026-03-02T09:20:00Z'"
expect_json "$(deadline gate go by) == '2026-03-03T23:50:00Z' and $(deadline gate go late) is False"

# ---- a window not yet open ---------------------------------------------------
plan window <<'P'
environments:
  - {name: dev}
  - {name: sit, soak: 1h}
waves:
  - {id: later, window: {from: 2026-03-10, to: 2026-03-20}}
projects:
  - {id: w1, wave: later, targets: {sit: 2026-03-09}}
P
run record w1 dev --version 1
run forecast --json
expect_json "$(cell w1 sit earliest_start) == '2026-03-10T00:00:00Z' and $(cell w1 sit earliest_healthy) == '2026-03-10T01:10:00Z'"
expect_json "$(cell w1 sit because) == ['later window opens Mar 10'] and $(cell w1 sit slack_days) == -1"

# ---- a soaking promotion half-way; durations from the history ---------------
plan soaking <<'P'
environments:
  - {name: dev}
  - {name: sit, soak: 24h}
  - {name: prod}
waves:
  - {id: w}
projects:
  - {id: s, wave: w, targets: {prod: 2026-03-03}}
P
run record s dev --version 1
run promote --to sit
expect_rc 0
TOLLGATE_NOW=2026-03-02T21:00:00Z run forecast --json
expect_json "$(cell s sit state) == 'soaking' and $(cell s sit earliest_start) == '2026-03-02T09:00:00Z'"
expect_json "$(cell s sit earliest_healthy) == '2026-03-03T09:00:00Z' and $(cell s sit because) == ['soaking in sit until Mar 3 09:00']"
expect_json "$(cell s prod earliest_start) == '2026-03-03T09:00:00Z' and $(cell s prod earliest_healthy) == '2026-03-03T09:10:00Z'"
# three finished runs of s (deploy + verify: 3m, 5m, 4m) and a failed one: 4m
for r in 1:120000:60000:0 2:200000:100000:0 3:180000:60000:0 4:1000:1000:1; do
	IFS=: read -r id dms vms st <<<"$r"
	raw "INSERT INTO step_run (plan, run_id, project, env, step, started, ended, exit_status, duration_ms) VALUES ('soaking', 'r$id', 's', 'sit', 'deploy', 1, 2, 0, $dms), ('soaking', 'r$id', 's', 'sit', 'verify', 2, 3, $st, $vms)"
done
TOLLGATE_NOW=2026-03-02T21:00:00Z run forecast --json
expect_json "$(cell s prod earliest_healthy) == '2026-03-03T09:04:00Z'"

# ---- an overdue blocker, one due later; blocker:ID=DATE ---------------------
plan blockers <<'P'
environments:
  - {name: dev}
  - {name: sit}
  - {name: prod}
waves:
  - {id: w}
  - {id: v}
projects:
  - {id: o, wave: w, targets: {sit: 2026-03-05}}
  - {id: d, wave: v, targets: {prod: 2026-03-06}}
blockers:
  - {id: late, text: routing, progress: 20, due: 2026-03-01, blocks: {env: sit, waves: [w]}}
  - {id: soon, text: certs, progress: 50, due: 2026-03-04, blocks: {env: prod, waves: [v]}}
P
for x in o d; do run record $x dev --version 1; done
run forecast --json
expect_json "$(cell o sit earliest_start) == '2026-03-02T09:00:00Z' and $(cell o sit conditional) is True"
expect_json "$(cell o sit because) == ['blocker late overdue since Mar 1: assumed resolved now']"
expect_json "$(cell d prod earliest_start) == '2026-03-04T00:00:00Z' and $(cell d prod because) == ['blocker soon due Mar 4']"
expect_json "$(cell d prod conditional) is False and $(cell d prod slack_days) == 2"
expect_json "$(deadline blocker late by) == '2026-03-05T23:50:00Z' and $(deadline blocker soon by) == '2026-03-06T23:50:00Z'"
expect_json '[d["id"] for d in j["deadlines"]] == ["late", "soon"]'
run forecast
expect_out_has "(conditional)"
expect_out_has "blocker late overdue since Mar 1: assumed resolved now"
run forecast --json --assume blocker:late=2026-03-06 --assume blocker:soon=2026-03-08T12:00:00Z
expect_json "$(cell o sit earliest_start) == '2026-03-06T00:00:00Z' and $(cell o sit conditional) is False"
expect_json "$(cell o sit because) == ['blocker late resolved Mar 6 (assumed)'] and $(cell o sit at_risk) is True"
expect_json "$(cell d prod earliest_healthy) == '2026-03-08T12:10:00Z' and $(cell d prod slack_days) == -2"
run blocker late --resolve
run forecast --json
expect_json '[d["id"] for d in j["deadlines"]] == ["soon"]'

# ---- a gate's deadline from two dependent targets; gate:ID= and item:ID= ------
plan gate <<'P'
environments:
  - {name: dev}
  - {name: sit}
  - {name: prod, soak: 24h}
waves:
  - {id: w}
projects:
  - {id: a, wave: w, targets: {prod: 2026-03-05}}
  - {id: b, wave: w, targets: {prod: 2026-03-09}}
checklist:
  - {id: ready, text: prod ready, applies: {env: prod}}
gates:
  - {id: go, approvers: [po], before: {env: prod}}
P
for x in a b; do run record $x dev --version 1; run record $x sit --version 1; done
run forecast --json
expect_json "$(cell a prod earliest_healthy) == '2026-03-03T09:10:00Z' and $(cell a prod slack_days) == 2"
# a: end of Mar 5 - 24h soak - 10m = Mar 4 23:50; b: Mar 8 23:50
expect_json "$(deadline gate go by) == '2026-03-04T23:50:00Z'"
expect_json "$(deadline gate go for) == [{'project': 'a', 'env': 'prod', 'target': '2026-03-05'}, {'project': 'b', 'env': 'prod', 'target': '2026-03-09'}]"
expect_json "$(deadline item ready by) == '2026-03-04T23:50:00Z'"
run forecast --json --project b
expect_json "$(deadline gate go by) == '2026-03-08T23:50:00Z' and $(deadline gate go for) == [{'project': 'b', 'env': 'prod', 'target': '2026-03-09'}]"
run forecast --json --assume gate:go=2026-03-06
# a then starts Mar 6 00:00, healthy Mar 7 00:10: 1 day 10m late, -2
expect_json "$(cell a prod earliest_start) == '2026-03-06T00:00:00Z' and $(cell a prod earliest_healthy) == '2026-03-07T00:10:00Z'"
expect_json "$(cell a prod slack_days) == -2 and $(cell a prod at_risk) is True and $(cell a prod because) == ['go approved Mar 6 (assumed)']"
run forecast --json --assume item:ready=2026-03-05T12:00:00Z
expect_json "$(cell b prod earliest_start) == '2026-03-05T12:00:00Z' and $(cell b prod because) == ['ready done Mar 5 12:00 (assumed)']"
run forecast
expect_out_has "gate    go  for a@prod, b@prod"
run approve go --as pat
run forecast --json
expect_json '[d["id"] for d in j["deadlines"]] == ["ready"]'
# open incidents: assumed resolved now, and said so
run incident open --level 1 --env sit --project a "slow responses"
expect_rc 0
run forecast --json
expect_json "$(cell a prod because) == ['incident 1 on a in sit: assumed resolved now'] and $(cell a prod conditional) is True"
expect_json "$(cell b prod conditional) is False and $(cell a prod earliest_healthy) == '2026-03-03T09:10:00Z'"
run incident open --level 2 --env prod "outage"
run forecast --json
expect_json "$(cell b prod because) == ['incident 2 (level 2) pauses every promotion: assumed resolved now'] and $(cell b prod conditional) is True"

# ---- bad --assume: exit 2 with a message ---------------------------------------
run forecast --assume gate:gox=2026-03-06
expect_rc 2
expect_err_has "--assume 'gate:gox=2026-03-06': no gate 'gox' in the plan; did you mean 'go'?"
run forecast --assume soak:sit=forever
expect_rc 2
expect_err_has "'forever' is not a duration"
run forecast --assume gate:go=tomorrow
expect_rc 2
expect_err_has "'tomorrow' is not a date"
run forecast --assume freeze:xmas
expect_rc 2
expect_err_has "only freeze:none is known"
run forecast --assume later
expect_rc 2
expect_err_has "expected KIND:ID=VALUE"
run forecast --assume risk:x=1
expect_rc 2
expect_err_has "unknown kind 'risk'"
run forecast --assume soak:qa=1h --json
expect_rc 2
expect_json 'j["error"]["code"] == "not_found"'

done_tests
