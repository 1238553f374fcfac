#!/bin/bash
# notify-serve.sh - a change made through `tollgate serve` (an incident
# opened with POST /api/v1/incidents) leaves its messages in the outbox like
# the same change made with the CLI, and a plan reloaded by the server routes
# by its new routes.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cat >>tollgate.yaml <<'YAML'
channels:
  - {id: hook, kind: webhook, url_env: HOOK_URL}
notify:
  - {channel: hook, events: ["incident.*"]}
YAML
export OLGA=$("$TOLLGATE_BIN" token create olga --as olga --json |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

start_serve || { fail "serve did not start"; done_tests; }
py '
st, h, j, raw = sc.send("POST", "/api/v1/incidents", {"level": 1, "env": "sit", "text": "slow"}, token=os.environ["OLGA"])
sc.check(st == 201, "open: %d %s" % (st, raw))
'
run incident open --level 2 --env sit --as olga "slower"
expect_rc 0
run notify list --json
expect_json '[(m["event"], m["subject"], m["channel"]) for m in j["messages"]] == [("incident.open", "sit", "hook")] * 2'

# the server reloads a changed plan: its routes follow
sed -i 's/events: \["incident.\*"\]/events: [approve]/' tollgate.yaml
for _ in $(seq 100); do grep -q "plan '.*' reloaded" "$T/serve.err" && break; sleep 0.1; done
checks=$((checks + 1))
grep -q "reloaded" "$T/serve.err" || fail "serve did not reload the plan: $(cat "$T/serve.err")"
py '
st, h, j, raw = sc.send("POST", "/api/v1/incidents", {"level": 1, "env": "sit", "text": "again"}, token=os.environ["OLGA"])
sc.check(st == 201, "open: %d %s" % (st, raw))
'
run notify list --json
expect_json 'len(j["messages"]) == 2'
# /metrics counts them by channel and state; promtool accepts it
/usr/bin/python3 -c 'import serve_client as sc; sc.init(); st, h, b = sc.get("/metrics"); open("'"$T"'/metrics", "wb").write(b); assert st == 200' ||
	fail "GET /metrics"
checks=$((checks + 1))
grep -qxF 'tollgate_notify_messages{channel="hook",state="pending"} 2' "$T/metrics" ||
	fail "no pending gauge: $(grep notify "$T/metrics")"
checks=$((checks + 1))
promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1 || { cat "$T/promtool.out" >&2; fail "promtool check metrics"; }
stop_serve
done_tests
