#!/bin/bash
# notify-schedule.sh - the plan's schedules on a rehearsal clock
# (TOLLGATE_NOW): the seed's status updates at 10:00 and 16:00 and the 9:00
# standup on weekdays, in the plan's zone, each slot sent once (a webhook
# receives the digest as data, Slack the digest message); a slot missed while
# nothing ran is sent on return within the schedule's grace, or recorded as
# skipped past it; two deliverers at the same moment send a slot once.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
export TOLLGATE_USER=olga

cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: N-3}
identity: claim
environments: [{name: dev}, {name: sit}, {name: prod}]
people: [{id: olga, roles: [release-manager]}]
waves: [{id: wave-1}]
projects:
  - {id: api, wave: wave-1, deploy: "true", targets: {sit: 2026-01-08, prod: 2026-01-10}}
  - {id: web, wave: wave-1, deploy: "true"}
blockers:
  - {id: vpn, text: "VPN to SIT not yet open", blocks: {env: prod}, owner: olga, due: 2026-01-20}
channels:
  - {id: hook, kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}
  - {id: deployments, kind: slack, url_env: SLACK_URL}
notify_policy: {keep: 2h}
schedules:
  - {id: status-am, channel: hook, digest: status, at: "10:00", tz: Europe/London}
  - {id: status-pm, channel: deployments, digest: status, at: "16:00", tz: Europe/London}
  - {id: standup, channel: hook, digest: standup, at: "09:00", days: [mon, tue, wed, thu, fri], tz: Europe/London}
YAML
SECRET=s3cret
echo ok >control
start_receiver "$SECRET"
export SLACK_URL="http://127.0.0.1:$(cat port)/slack/T/B/X"

expect_log() {
	checks=$((checks + 1))
	python3 - "$T/log" "$1" <<'PY' || fail "receiver check: $1"
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ev = [r["body"].get("event") for r in d]
if not eval(sys.argv[2]):
    print(json.dumps(d, indent=1)[:4000], file=sys.stderr)
    sys.exit(1)
PY
}
at() { export TOLLGATE_NOW=$1; }

# Wednesday 7 January 2026, London is on UTC in winter
at 2026-01-07T08:59:00Z
run notify drain --json
expect_rc 0
# yesterday's three slots passed long ago: skipped, not sent
expect_json 'j["digests"] == 0 and j["skipped"] == 3 and j["sent"] == 0'
run record api dev --version 1.0
run record web dev --version 2.0
run promote --to sit --project web
expect_rc 0

at 2026-01-07T09:00:20Z
run notify drain --json
expect_json 'j["digests"] == 1 and j["sent"] == 1'
expect_log 'ev == ["digest.standup"] and d[0]["sig_ok"]'
expect_log 'd[0]["body"]["schedule"] == "standup" and d[0]["body"]["slot"] == "2026-01-07T09:00:00Z" and d[0]["delivery"] == "N-3:standup:1767776400"'
expect_log '("web", "sit", "2.0") in [(x["project"], x["environment"], x["version"]) for x in d[0]["body"]["digest"]["deployed"]]'
expect_log '[x["id"] for x in d[0]["body"]["digest"]["blockers"]] == ["vpn"] and d[0]["body"]["seq"] > 0 and len(d[0]["body"]["hash"]) == 64'
run notify drain --json
expect_json 'j["digests"] == 0 and j["sent"] == 0'

at 2026-01-07T10:00:05Z
run notify drain --json
expect_json 'j["digests"] == 1'
expect_log 'ev == ["digest.standup", "digest.status"]'
expect_log '{(r["project"], r["environment"]) for r in d[1]["body"]["digest"]["rows"]} >= {("web", "sit"), ("api", "dev")}'
# the forecast: the blocker on prod (due 20 January) puts api's 10 January
# prod target out of reach: the digest lists the risk
expect_log 'd[1]["body"]["digest"]["at_risk"] == [{"project": "api", "environment": "prod", "target": "2026-01-10"}]'
at 2026-01-07T12:00:00Z
run notify drain --json
expect_json 'j["digests"] == 0 and j["skipped"] == 0'
# 16:00 to Slack, sent a little late (nothing ran at 16:00): within the grace
at 2026-01-07T16:40:00Z
run notify drain --json
expect_json 'j["digests"] == 1'
expect_log 'len(d) == 3 and d[2]["slack"] and "blocks" in d[2]["body"] and "web" in json.dumps(d[2]["body"])'
expect_log '"At risk" in json.dumps(d[2]["body"]) and "api prod: target 2026-01-10" in json.dumps(d[2]["body"])'

# Thursday: down from 08:00 to 10:30: the standup passed 1.5h ago (grace 1h:
# skipped), status-am 30 min ago (sent once, on return)
at 2026-01-08T10:30:00Z
run notify drain --json
expect_json 'j["digests"] == 1 and j["skipped"] == 1'
expect_log 'ev[3:] == ["digest.status"]'

# two deliverers at the same moment: the 16:00 slot is sent once
at 2026-01-08T16:00:10Z
"$TOLLGATE_BIN" notify drain --json >d1 2>e1 &
P1=$!
"$TOLLGATE_BIN" notify drain --json >d2 2>e2 &
wait $P1 $!
checks=$((checks + 1))
python3 - d1 d2 <<'PY' || fail "two deliverers: $(cat d1 d2 e1 e2)"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["digests"] + b["digests"] == 1, (a, b)
assert a["sent"] + b["sent"] == 1, (a, b)
PY
expect_log 'len(d) == 5 and d[4]["slack"] and ev.count("digest.status") == 2'

# a Saturday has no standup
at 2026-01-10T09:30:00Z
run notify drain --json
expect_json 'j["digests"] == 0'

# what was sent more than notify_policy.keep ago is pruned; the newest row
# stays, so a message id is never given twice
run notify list --json
expect_json 'len(j["messages"]) == 5'
raw "UPDATE outbox SET sent_at = sent_at - 7000"
run notify drain --json
run notify list --json
expect_json 'len(j["messages"]) == 5'
raw "UPDATE outbox SET sent_at = sent_at - 400"
run notify drain --json
run notify list --json
expect_json 'len(j["messages"]) == 1 and j["messages"][0]["id"] == 5'
# the slots handled before keep go too (this rehearsal's are months before
# the real clock), but each schedule's latest stays: no slot is sent twice
checks=$((checks + 1))
[ "$(raw "SELECT COUNT(*) FROM schedule_slot")" = 3 ] || fail "slots left: $(raw "SELECT * FROM schedule_slot")"
run notify drain --json
expect_json 'j["digests"] == 0'
done_tests
