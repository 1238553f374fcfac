#!/bin/bash
# notify-slow-claims.sh - two deliverers and a receiver slower than their
# lease: no message is sent twice when nobody is killed.
#
# A deliverer claims a batch of messages for `--lease 1s` and sends them one
# after the other to a receiver that takes 0.5 s each, so its batch takes
# longer than its lease. The claim of a message it has not sent yet runs
# out, and another deliverer coming by claims it. Before sending a
# message it claimed a while ago, a deliverer holds it for a lease again,
# and skips it when it is no longer its own: each message is delivered
# exactly once, in its subject's order.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store

{
	echo "version: 1"
	echo "plan: {id: N-S}"
	echo "identity: claim"
	echo "environments: [{name: dev}, {name: sit}]"
	echo "people: [{id: ops, roles: [devops]}]"
	echo "waves: [{id: w}]"
	echo "projects:"
	for p in $(seq 6); do echo "  - {id: p$p, wave: w}"; done
	echo "channels:"
	echo "  - {id: h1, kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}"
	echo "notify:"
	echo "  - {channel: h1, events: [incident.open]}"
} >tollgate.yaml
SECRET=sl0w
echo "slow 0.5" >control
start_receiver "$SECRET"

# 12 messages on 6 subjects (2 each): a batch is the first pending message
# of each subject, 6 at a time, 3 s of sending, longer than a claim lasts
for i in $(seq 12); do
	"$TOLLGATE_BIN" incident open --as ops --level 1 --env sit --project "p$(( (i - 1) % 6 + 1 ))" "n$i" >/dev/null ||
		fail "incident $i"
done
"$TOLLGATE_BIN" notify drain --lease 1s --json >drain.0 2>drain.err &
D1=$!
# meanwhile others come by every 0.3 s and take what has run out
pending() { raw "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'"; }
sleep 0.5
k=0
while [ "$(pending)" != 0 ] && [ "$k" -lt 100 ]; do
	k=$((k + 1))
	"$TOLLGATE_BIN" notify drain --lease 1s --json >"drain.$k" 2>>drain.err ||
		fail "deliverer $k failed: $(cat drain.err)"
	sleep 0.3
done
wait $D1 || fail "the first deliverer failed: $(cat drain.err)"
checks=$((checks + 1))

run notify list --json
expect_rc 0
expect_json 'all(m["state"] == "sent" for m in j["messages"]) and len(j["messages"]) == 12'
checks=$((checks + 1))
/usr/bin/python3 - "$T/log" drain.* <<'PY' || fail "deliveries"
import json, sys, collections
d = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ids = collections.Counter(r["delivery"] for r in d)
dups = {k: n for k, n in ids.items() if n > 1}
assert not dups, "sent twice with nobody killed: %r" % dups
assert len(ids) == 12, "distinct deliveries: %d" % len(ids)
last = {}
for r in d:
    key = r["body"]["subject"]
    assert last.get(key, 0) < r["body"]["seq"], ("out of order", key)
    last[key] = r["body"]["seq"]
# the first deliverer did not send them all: the others really took
# claims of its that ran out
first = json.load(open(sys.argv[2]))
others = sum(json.load(open(f))["sent"] for f in sys.argv[3:] if f != "drain.err")
assert first["sent"] + others == 12, (first, others)
assert others > 0, "the first deliverer sent all 12: no claim ran out"
print("first deliverer: %r; the others sent %d" % (first, others))
PY
done_tests
