#!/bin/bash
# notify-kill.sh - at-least-once through crashes: 2,000 messages (200
# incidents on 20 projects × 10 channels) are drained by `notify drain`
# processes killed with SIGKILL 20 times at random moments, against a real
# receiver. Every message arrives; a kill duplicates at most one message
# (the one sent and not yet marked), always with its delivery id; each
# channel's messages of one subject arrive in order. On PostgreSQL two
# deliverers run at once, each killed 10 times.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store

{
	echo "version: 1"
	echo "plan: {id: N-K}"
	echo "identity: claim"
	echo "environments: [{name: dev}, {name: sit}]"
	echo "people: [{id: ops, roles: [devops]}]"
	echo "waves: [{id: w}]"
	echo "projects:"
	for p in $(seq 20); do echo "  - {id: p$p, wave: w}"; done
	echo "channels:"
	for c in $(seq 10); do echo "  - {id: h$c, kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}"; done
	echo "notify:"
	for c in $(seq 10); do echo "  - {channel: h$c, events: [incident.open]}"; done
} >tollgate.yaml
SECRET=k1ll
echo "slow 0.002" >control
start_receiver "$SECRET"

for i in $(seq 200); do
	"$TOLLGATE_BIN" incident open --as ops --level 1 --env sit --project "p$(( (i - 1) % 20 + 1 ))" "n$i" >/dev/null ||
		fail "incident $i"
done
run notify list --json
expect_json 'len(j["messages"]) == 2000'

pending() { raw "SELECT COUNT(*) FROM outbox WHERE state <> 'sent'"; }
# killer N: N deliverers killed with SIGKILL at random moments
killer() {
	local n=0 p tries=0
	while [ "$n" -lt "$1" ] && [ "$tries" -lt 400 ]; do
		tries=$((tries + 1))
		"$TOLLGATE_BIN" notify drain --lease 1s >/dev/null 2>&1 &
		p=$!
		sleep "0.$((RANDOM % 15 + 5))"
		if kill -9 "$p" 2>/dev/null; then
			n=$((n + 1))
		fi
		wait "$p" 2>/dev/null || true
		[ "$(pending)" = 0 ] && break
	done
	echo "$n" >"kills.$2"
}
case "$TOLLGATE_TEST_BACKEND" in
pg)
	killer 10 a &
	K1=$!
	killer 10 b
	wait $K1
	;;
*) killer 20 a ;;
esac
KILLS=$(( $(cat kills.* | paste -sd+) ))
# what the killed left claimed comes back after its lease
for _ in $(seq 60); do
	"$TOLLGATE_BIN" notify drain --lease 1s >/dev/null 2>&1 || true
	[ "$(pending)" = 0 ] && break
	sleep 0.5
done
checks=$((checks + 1))
[ "$(pending)" = 0 ] || fail "messages left: $(pending)"
checks=$((checks + 1))
[ "$KILLS" -ge 10 ] || fail "only $KILLS kills landed during the delivery"
checks=$((checks + 1))
/usr/bin/python3 - "$T/log" "$KILLS" <<'PY' || fail "deliveries after $KILLS kills"
import json, sys, collections
d = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
kills = int(sys.argv[2])
ids = collections.Counter(r["delivery"] for r in d)
assert len(ids) == 2000, "distinct deliveries: %d" % len(ids)
dups = len(d) - 2000
assert dups <= kills, "%d duplicates for %d kills" % (dups, kills)
assert all(r["sig_ok"] for r in d)
# a duplicate is the same message: same delivery id, same body
first = {}
for r in d:
    if r["delivery"] in first:
        assert first[r["delivery"]] == r["body"], r["delivery"]
    first.setdefault(r["delivery"], r["body"])
# per channel and subject, first receipts come in the log's order
seen = set()
last = {}
for r in d:
    if r["delivery"] in seen:
        continue
    seen.add(r["delivery"])
    ch = r["delivery"].rsplit(":", 1)[1]
    key = (ch, r["body"]["subject"])
    assert last.get(key, 0) < r["body"]["seq"], ("out of order", key, last.get(key), r["body"]["seq"])
    last[key] = r["body"]["seq"]
print("kills %d, duplicates %d" % (kills, dups))
PY
done_tests
