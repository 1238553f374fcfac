#!/bin/bash
# notify-channels.sh - the channels people read, against real local
# receivers: a Slack incoming webhook (notify_receiver.py under /slack/) gets
# a Block Kit message with the project, environment, version, status, issues
# and the entry's seq and hash; an SMTP server (smtp_sink.py, aiosmtpd) gets
# an e-mail with a text and an HTML part; an incident of a level the plan's
# escalation names goes to that level's channels, naming its people (their
# Slack handle, their e-mail address as a recipient); a rollback alerts the
# channels of the plan's rollback procedure; `notify test` reports the
# receiver's answer for each kind.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
export TOLLGATE_USER=olga

cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: N-2}
identity: claim
environments: [{name: dev}, {name: sit}]
people:
  - {id: olga, roles: [release-manager]}
  - {id: tom, name: Tom, roles: [tech-lead], slack: U024BE7LH, email: tom@example.com}
  - {id: paula, name: Paula, roles: [product-owner], email: paula@example.com}
waves: [{id: wave-1}]
projects:
  - {id: api, wave: wave-1, deploy: "true", rollback: "true", verify: "test \"$TOLLGATE_VERSION\" != 2.0"}
channels:
  - {id: deployments, kind: slack, url_env: SLACK_URL}
  - {id: ops-mail, kind: email, smtp_env: SMTP_URL, from: tollgate@example.com, to: [ops@example.com]}
notify:
  - {channel: deployments, events: [promotion.healthy]}
notify_policy: {dashboard_url: "https://tollgate.example.com/"}
escalation:
  - {level: 2, name: Major, action: "Escalate to Tech Lead, pause deployments", notify: Tech Lead, channels: [deployments, ops-mail]}
  - {level: 3, name: Critical, action: "Escalate to Product Owner", notify: product-owner, channels: [ops-mail]}
rollback_procedure:
  - {step: Notify, text: "Alert team via Slack + email", channels: [deployments, ops-mail]}
  - {step: Execute, text: "Run rollback script"}
YAML

echo ok >control
/usr/bin/python3 "$TOLLGATE_SRC/tests/cli/notify_receiver.py" port log control unused &
RECEIVER=$!
/usr/bin/python3 "$TOLLGATE_SRC/tests/cli/smtp_sink.py" smtpport mail &
SMTP=$!
trap 'kill $RECEIVER $SMTP 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 200); do [ -s port ] && [ -s smtpport ] && break; sleep 0.05; done
export SLACK_URL="http://127.0.0.1:$(cat port)/slack/T000/B000/XXXXsecret"
export SMTP_URL="smtp://127.0.0.1:$(cat smtpport)"
touch log mail

# python over d (the Slack receiver's records) / m (the e-mails)
expect_log() {
	checks=$((checks + 1))
	python3 - "$T/log" "$T/mail" "$1" <<'PY' || fail "receiver check: $1"
import json, sys, email
from email import policy
d = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
m = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
for x in m:
    x["msg"] = email.message_from_string(x["data"], policy=policy.default)
    x["text"] = x["msg"].get_body(("plain",)).get_content()
    x["html"] = x["msg"].get_body(("html",)).get_content()
def blocks(r):
    return json.dumps(r["body"])
if not eval(sys.argv[3]):
    print(json.dumps([r["body"] for r in d], indent=1)[:3000], file=sys.stderr)
    print([x["data"][:1500] for x in m], file=sys.stderr)
    sys.exit(1)
PY
}

run validate
expect_rc 0

# -- a healthy promotion: Slack, with version, status and the anchors --------
run record api dev --version 1.0
expect_rc 0
run --as olga incident open --level 1 --env sit --project api "slow pages"
expect_rc 0
run promote --to sit --project api
expect_rc 0
run notify drain --json
expect_rc 0
expect_json 'j["sent"] == 1 and j["failed"] == 0'
expect_log 'len(d) == 1 and d[0]["slack"] and d[0]["delivery"]'
expect_log '"blocks" in d[0]["body"] and "text" in d[0]["body"]'
expect_log 'all(w in blocks(d[0]) for w in ["api", "sit", "1.0", "healthy", "slow pages", "tollgate.example.com"])'
run log --json
SEQ=$(python3 -c 'import json,sys; e=[x for x in json.load(open(sys.argv[1]))["entries"] if x["action"]=="promotion.healthy"][-1]; print(e["seq"], e["hash"])' "$T/out")
checks=$((checks + 1))
python3 - "$T/log" $SEQ <<'PY' || fail "the Slack message lacks the entry's seq and hash"
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
b = json.dumps(d[0]["body"])
assert sys.argv[2] in b and sys.argv[3][:12] in b, b
PY

# -- escalation: level 2 names Tom on Slack and mails him -------------------
run --as olga incident open --level 2 --env sit --project api "errors at 5%"
expect_rc 0
run notify list --json
expect_json 'sorted(m["channel"] for m in j["messages"] if m["event"] == "incident.open") == ["deployments", "ops-mail"]'
run notify drain --json
expect_json 'j["sent"] == 2 and j["failed"] == 0'
expect_log 'len(d) == 2 and "<@U024BE7LH>" in blocks(d[1]) and "Major" in blocks(d[1])'
expect_log 'len(m) == 1 and sorted(m[0]["to"]) == ["ops@example.com", "tom@example.com"]'
expect_log '"errors at 5%" in m[0]["text"] and "errors at 5%" in m[0]["html"] and "Tom" in m[0]["text"]'
expect_log 'm[0]["msg"]["X-Tollgate-Delivery"] and m[0]["from"] == "tollgate@example.com"'
# level 3 names Paula (by her role) on e-mail only; level 1 goes nowhere
run --as olga incident open --level 3 --env dev "down"
expect_rc 0
run notify drain --json
expect_json 'j["sent"] == 1'
expect_log 'len(m) == 2 and sorted(m[1]["to"]) == ["ops@example.com", "paula@example.com"] and len(d) == 2'

# -- a rollback alerts the rollback procedure's channels ---------------------
for i in 1 2 3; do run --as olga incident resolve $i; expect_rc 0; done
run record api dev --version 2.0
run promote --to sit --project api
expect_rc 1
run notify drain --json
expect_json 'j["sent"] == 2'
expect_log 'len(d) == 3 and "rolled-back" in blocks(d[2]) and "2.0" in blocks(d[2])'
expect_log 'len(m) == 3 and "rolled-back" in m[2]["text"] and "Alert team via Slack + email" in m[2]["text"] + json.dumps(d[2]["body"]) '

# -- notify test on each kind reports the answer -----------------------------
run notify test deployments
expect_rc 0
expect_out_has "200"
run notify test ops-mail
expect_rc 0
expect_out_has "250"
# an SMTP server that is gone: a clear failure naming the channel, no URL
kill $SMTP
wait $SMTP 2>/dev/null
run notify test ops-mail
expect_rc 1
expect_err_has "channel 'ops-mail'"
expect_out_lacks "XXXXsecret"
case $(cat "$T/err") in *XXXXsecret*) fail "the Slack URL is in an error" ;; esac

# -- a channel the escalation names must exist -------------------------------
sed -i 's/channels: \[ops-mail\]}/channels: [ops-mial]}/' tollgate.yaml
run validate
expect_rc 2
expect_err_has "escalation level 3 names unknown channel 'ops-mial'; did you mean 'ops-mail'?"
done_tests
