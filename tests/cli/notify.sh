#!/bin/bash
# notify.sh - the outbox, delivered (docs/notify.md): against a real local
# webhook receiver (notify_receiver.py, which checks the HMAC signature),
# each audit entry a route takes is delivered once per channel, signed, with
# its seq and hash; a route's env and min_level filters hold entries back; a
# change that rolled back leaves no message; a receiver down then up gets
# everything in order per subject; Retry-After is honoured; a message is dead
# after notify_policy.max_attempts and `notify retry` sends it again with the
# same delivery id; the URL and the secret are never in the plan, the store
# or the output.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store

SECRET=hunter2-not-in-the-store
cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: N-1}
identity: claim
environments: [{name: dev}, {name: sit}]
people: [{id: ops, roles: [devops]}]
waves: [{id: wave-1}]
projects: [{id: api, wave: wave-1}, {id: web, wave: wave-1}]
checklist:
  - {id: env-dump, text: prints its environment, check: "env; echo done"}
channels:
  - {id: all, kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}
  - {id: sev, kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}
notify:
  - {channel: all, events: [record, "incident.*"]}
  - {channel: sev, events: [incident.open], env: sit, min_level: 2}
notify_policy: {max_attempts: 2, max_backoff: 1s}
YAML

echo ok >control
/usr/bin/python3 "$TOLLGATE_SRC/tests/cli/notify_receiver.py" port log control "$SECRET" &
RECEIVER=$!
trap 'kill $RECEIVER 2>/dev/null; rm -rf "$T"' EXIT
for _ in $(seq 100); do [ -s port ] && break; sleep 0.05; done
PORT=$(cat port)
export HOOK_URL="http://127.0.0.1:$PORT/hook/pathsecret42"
export HOOK_SECRET=$SECRET
touch log

# deliveries in the receiver's log: python over `d` (a list of records)
expect_log() {
	checks=$((checks + 1))
	python3 - "$T/log" "$1" <<'PY' || fail "receiver log check: $1"
import json, sys
d = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not eval(sys.argv[2]):
    print(d, file=sys.stderr)
    sys.exit(1)
PY
}
drain() {
	run notify drain --json
	expect_rc 0
}

# -- routing, signature, payload -------------------------------------------
run record api dev --version 1.0
expect_rc 0
run --as ops incident open --level 1 --env sit "slow pages"
expect_rc 0
run --as ops incident open --level 2 --env sit --project api "errors"
expect_rc 0
run --as ops incident open --level 3 --env dev "down"
expect_rc 0
# a change that rolls back (resolving an unknown incident) leaves nothing
run --as ops incident resolve 99
expect_rc 2
run notify list --json
expect_json 'len(j["messages"]) == 5'
expect_json 'all(m["state"] == "pending" for m in j["messages"])'
expect_json '[m["channel"] for m in j["messages"]] == ["all", "all", "all", "sev", "all"]'
drain
expect_json 'j["sent"] == 5 and j["failed"] == 0 and j["dead"] == 0'
expect_log 'len(d) == 5 and all(r["sig_ok"] for r in d)'
expect_log '[r["body"]["event"] for r in d].count("incident.open") == 4'
expect_log 'all(r["delivery"] == r["body"]["id"] for r in d)'
expect_log 'sorted(r["delivery"] for r in d) == sorted(["N-1:1:all", "N-1:2:all", "N-1:3:all", "N-1:3:sev", "N-1:4:all"])'
expect_log 'all(len(r["body"]["hash"]) == 64 and r["body"]["plan"] == "N-1" for r in d)'
expect_log 'all(set(r["body"].keys()) == {"id", "event", "plan", "seq", "hash", "at", "actor", "subject", "detail"} for r in d)'
# the hash is the audit entry's
run log --json
h3=$(python3 -c 'import json,sys; print([e["hash"] for e in json.load(open(sys.argv[1]))["entries"] if e["seq"] == 3][0])' "$T/out" 2>/dev/null || echo none)
expect_log "[r['body']['hash'] for r in d if r['body']['seq'] == 3][0] == '$h3'"
drain
expect_json 'j["sent"] == 0'

# -- receiver down, then up: everything, in order per subject ---------------
: >log
echo down >control
for v in 2.0 3.0 4.0; do
	run record api dev --version $v
	expect_rc 0
done
run record web dev --version 1.0
expect_rc 0
drain
# one per subject is tried: the later ones of api@dev wait behind the first
expect_json 'j["sent"] == 0 and j["failed"] == 2'
run notify list --json
expect_json '[m["attempts"] for m in j["messages"] if m["state"] == "pending"] == [1, 0, 0, 1]'
expect_json '"HTTP 503" in [m for m in j["messages"] if m["state"] == "pending"][0]["last_error"]'
echo ok >control
sleep 1.2
drain
expect_json 'j["sent"] == 4'
expect_log '[r["body"]["detail"].split()[1] for r in d if r["body"]["subject"] == "api@dev"] == ["2.0", "3.0", "4.0"]'

# -- Retry-After ------------------------------------------------------------
: >log
echo "retry 3" >control
run --as ops record api sit --version 1.0
expect_rc 0
drain
expect_json 'j["failed"] == 1'
echo ok >control
drain
expect_json 'j["sent"] == 0'
sleep 1.5
drain
# backoff alone (max_backoff 1s) would have sent it by now
expect_json 'j["sent"] == 0'
sleep 1.8
drain
expect_json 'j["sent"] == 1'

# -- dead after max_attempts, then retry (same delivery id) ------------------
: >log
echo down >control
run --as ops record web sit --version 1.0
expect_rc 0
drain
expect_json 'j["failed"] == 1'
sleep 1.2
drain
expect_json 'j["dead"] == 1'
run notify list --failed --json
expect_json 'len(j["messages"]) == 1 and j["messages"][0]["state"] == "dead" and j["messages"][0]["attempts"] == 2'
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messages"][0]["id"])' "$T/out")
did=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["messages"][0]["delivery_id"])' "$T/out")
run notify list --failed
expect_out_has "dead"
echo ok >control
run notify retry "$id"
expect_rc 0
expect_out_has "message $id is pending again"
drain
expect_json 'j["sent"] == 1'
expect_log "len(d) == 1 and d[0]['delivery'] == '$did'"
run notify list --failed
expect_out_has "no dead messages"
run notify retry "$id"
expect_rc 2
expect_err_has "no message $id to retry"

# -- notify test ------------------------------------------------------------
run notify test all
expect_rc 0
expect_out_has "channel 'all' answered 200: ok"
run notify test al
expect_rc 2
expect_err_has "unknown channel 'al'; did you mean 'all'?"
echo down >control
run notify test all
expect_rc 1
expect_err_has "HTTP 503"

# -- two deliverers at once: each message sent once, in order per subject ---
: >log
echo "slow 0.05" >control
for v in 1 2 3; do
	for pe in "api dev" "web dev" "api sit" "web sit"; do
		set -- $pe
		run --as ops record "$1" "$2" --version "5.$v"
		expect_rc 0
	done
done
"$TOLLGATE_BIN" notify drain --json >d1.json 2>d1.err &
D1=$!
"$TOLLGATE_BIN" notify drain --json >d2.json 2>d2.err &
D2=$!
wait $D1 $D2
run notify drain --json
python3 -c 'import json; print(sum(json.load(open(f))["sent"] for f in ("d1.json", "d2.json", "out")))' >total
checks=$((checks + 1))
[ "$(cat total)" = 12 ] || fail "two deliverers sent $(cat total) of 12"
expect_log 'len(d) == 12 and len({r["delivery"] for r in d}) == 12'
expect_log 'all([r["body"]["seq"] for r in d if r["body"]["subject"] == s] == sorted(r["body"]["seq"] for r in d if r["body"]["subject"] == s) for s in ("api@dev", "web@dev", "api@sit", "web@sit"))'
echo ok >control

# -- a claim held by a deliverer that died: sent once its lease ran out -----
: >log
run --as ops record web sit --version 9.0
expect_rc 0
far=$(( $(date +%s) + 600 ))
raw "UPDATE outbox SET claimed_by = 'gone:1:0', claimed_until = $far WHERE state = 'pending'"
drain
expect_json 'j["sent"] == 0'
run notify list --json
expect_json '[m["claimed_by"] for m in j["messages"] if m["state"] == "pending"] == ["gone:1:0"]'
raw "UPDATE outbox SET claimed_until = 1 WHERE state = 'pending'"
drain
expect_json 'j["sent"] == 1'
expect_log 'len(d) == 1 and d[0]["body"]["detail"].startswith("version 9.0")'

# the outbox is not state: the log still verifies
run log --verify
expect_rc 0

# -- secrets: never in the plan, the store or the output ----------------------
checks=$((checks + 1))
if grep -rqF -e "$SECRET" -e pathsecret42 tollgate.yaml out err; then fail "a secret in the plan or output"; fi
# nor in a step's environment: a check that prints it sees neither variable
run --as ops checklist run env-dump
expect_rc 0
dump=$(raw "SELECT output_tail FROM tick WHERE item = 'env-dump'")
checks=$((checks + 1))
case "$dump" in *done*) ;; *) fail "the check did not run: $dump" ;; esac
checks=$((checks + 1))
case "$dump" in *HOOK_URL* | *HOOK_SECRET* | *"$SECRET"* | *pathsecret42*) fail "a channel's variable reached a check" ;; esac
dump=$(raw "SELECT payload || COALESCE(last_error, '') FROM outbox"; raw "SELECT actor || subject || detail FROM audit")
checks=$((checks + 1))
case "$dump" in *"$SECRET"* | *pathsecret42*) fail "a secret in the store" ;; esac

done_tests
