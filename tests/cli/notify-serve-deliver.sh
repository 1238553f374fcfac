#!/bin/bash
# notify-serve-deliver.sh - `tollgate serve` delivers in the background: a
# message committed by the CLI or by the server itself reaches a real
# receiver with no `notify drain`; a schedule's digest is sent by the server;
# a receiver that stays down leaves a dead message, listed by GET
# /api/v1/notifications?state=dead and sent again, with its delivery id, by
# POST /api/v1/notifications/{id}/retry; /metrics counts the deliveries.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"
backend_store

# a status digest whose slot was two minutes ago (UTC): due now, within grace
AT=$(date -u -d '2 minutes ago' +%H:%M)
cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cat >>tollgate.yaml <<YAML
channels:
  - {id: hook, kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}
notify:
  - {channel: hook, events: ["incident.*"]}
notify_policy: {max_attempts: 2, max_backoff: 1s}
schedules:
  - {id: status, channel: hook, digest: status, at: "$AT", tz: UTC}
YAML
SECRET=k3y
echo ok >control
/usr/bin/python3 "$TOLLGATE_SRC/tests/cli/notify_receiver.py" port log control "$SECRET" &
RECEIVER=$!
for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
export HOOK_URL="http://127.0.0.1:$(cat port)/hook" HOOK_SECRET=$SECRET
touch log
export OLGA=$("$TOLLGATE_BIN" token create olga --as olga --json |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# wait_log N: until the receiver holds N deliveries (10 s at most)
wait_log() {
	checks=$((checks + 1))
	for _ in $(seq 100); do
		[ "$(wc -l <log)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the receiver got $(wc -l <log) deliveries, not $1: $(cat log; cat "$T/serve.err")"
}
expect_log() {
	checks=$((checks + 1))
	python3 - "$T/log" "$1" <<'PY' || fail "receiver check: $1"
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ev = [r["body"]["event"] for r in d]
if not eval(sys.argv[2]):
    print(json.dumps(d, indent=1)[:3000], file=sys.stderr)
    sys.exit(1)
PY
}

start_serve || { fail "serve did not start"; kill $RECEIVER; done_tests; }
trap 'stop_serve; kill $RECEIVER 2>/dev/null' EXIT
# the schedule's slot first, then a change made by the CLI in another process
wait_log 1
expect_log 'ev == ["digest.status"] and d[0]["sig_ok"] and d[0]["body"]["schedule"] == "status"'
run incident open --level 1 --env sit --as olga "slow"
expect_rc 0
wait_log 2
expect_log 'ev[1] == "incident.open" and d[1]["body"]["detail"].endswith("slow")'
# a change made through the server
py '
st, h, j, raw = sc.send("POST", "/api/v1/incidents", {"level": 1, "env": "sit", "text": "slower"}, token=os.environ["OLGA"])
sc.check(st == 201, "open: %d %s" % (st, raw))
'
wait_log 3
expect_log 'ev[2] == "incident.open" and d[2]["body"]["detail"].endswith("slower") and all(r["sig_ok"] for r in d)'

# the receiver stays down: after max_attempts the message is dead
echo down >control
run incident open --level 1 --env sit --as olga "lost?"
checks=$((checks + 1))
for _ in $(seq 100); do
	"$TOLLGATE_BIN" notify list --failed --json >dead.json 2>/dev/null
	grep -q '"dead"' dead.json && break
	sleep 0.1
done
grep -q '"dead"' dead.json || fail "no dead message: $(cat dead.json)"
py '
st, h, b = sc.get("/api/v1/notifications?state=dead")
sc.valid("/api/v1/notifications", st, b)
j = json.loads(b)
sc.check(st == 200 and len(j["messages"]) == 1 and j["messages"][0]["state"] == "dead", b)
sc.check("503" in j["messages"][0]["last_error"], "last_error: %r" % j["messages"][0]["last_error"])
open("dead_id", "w").write("%d %s\n" % (j["messages"][0]["id"], j["messages"][0]["delivery_id"]))
st, h, j, raw = sc.send("POST", "/api/v1/notifications/%d/retry" % json.load(open("dead.json"))["messages"][0]["id"], None)
sc.check(st == 401, "retry without a token: %d" % st)
st, h, j, raw = sc.send("POST", "/api/v1/notifications/999/retry", None, token=os.environ["OLGA"])
sc.check(st == 404, "retry of no message: %d %s" % (st, raw))
'
echo ok >control
read -r DEAD_ID DEAD_DELIVERY <dead_id
py '
st, h, j, raw = sc.send("POST", "/api/v1/notifications/'"$DEAD_ID"'/retry", None, token=os.environ["OLGA"])
sc.valid("/api/v1/notifications/{id}/retry", st, raw, method="post")
sc.check(st == 200 and j["state"] == "pending", "retry: %d %s" % (st, raw))
'
wait_log 4
expect_log 'd[-1]["delivery"] == "'"$DEAD_DELIVERY"'" and d[-1]["body"]["detail"].endswith("lost?")'
run notify list --json
expect_json 'all(m["state"] == "sent" for m in j["messages"]) and len(j["messages"]) == 4'

# /metrics: this server's deliveries; promtool accepts it
/usr/bin/python3 -c 'import serve_client as sc; sc.init(); st, h, b = sc.get("/metrics"); open("'"$T"'/metrics", "wb").write(b); assert st == 200' ||
	fail "GET /metrics"
checks=$((checks + 1))
grep -qxF 'tollgate_notify_deliveries_total{result="sent"} 4' "$T/metrics" ||
	fail "deliveries: $(grep notify "$T/metrics")"
checks=$((checks + 1))
grep -qxF 'tollgate_notify_deliveries_total{result="dead"} 1' "$T/metrics" || fail "dead: $(grep notify "$T/metrics")"
checks=$((checks + 1))
grep -qxF 'tollgate_notify_digests_total{result="sent"} 1' "$T/metrics" || fail "digests: $(grep notify "$T/metrics")"
checks=$((checks + 1))
promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1 || { cat "$T/promtool.out" >&2; fail "promtool check metrics"; }
done_tests
