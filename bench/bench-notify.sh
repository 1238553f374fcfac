#!/bin/bash
# bench-notify.sh [BUILD] - notifications delivered by `tollgate serve`: N
# (default 10,000) incidents opened through the API, one after the other,
# each routed to a webhook receiver on loopback (bench/notify_sink.py,
# answering at once). Prints, and exits 1 when the p99 misses its target:
#   - messages per second from the first commit to the last receipt;
#   - the delay from each change's commit (its API answer) to its receipt:
#     p50, p99, max. Target: p99 < 1 s;
#   - the peer, in the same run: the same client POSTing the same number of
#     bodies straight to the receiver (no tollgate, no store), its messages
#     per second, and tollgate's as a ratio of it.
# On the SQLite store. N and PROJECTS override the sizes.
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-${BUILD:-$SRC/build}}
BUILD=$(cd "$BUILD" && pwd)
N=${N:-10000}
PROJECTS=${PROJECTS:-20}
PY=/usr/bin/python3
TG=$BUILD/tollgate
W=$(mktemp -d /tmp/bench-notify.XXXXXX)
SINK= SERVE=
cleanup() {
	[ -n "$SERVE" ] && kill "$SERVE" 2>/dev/null && wait "$SERVE" 2>/dev/null
	[ -n "$SINK" ] && kill "$SINK" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT
cd "$W"
{
	echo "version: 1"
	echo "plan: {id: BENCH-N}"
	echo "identity: claim"
	echo "environments: [{name: dev}, {name: sit}]"
	echo "people: [{id: ops, roles: [devops]}]"
	echo "waves: [{id: w}]"
	echo "projects:"
	for p in $(seq 0 $((PROJECTS - 1))); do echo "  - {id: p$p, wave: w}"; done
	echo "channels: [{id: hook, kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}]"
	echo "notify: [{channel: hook, events: [incident.open]}]"
} >tollgate.yaml
$PY "$SRC/bench/notify_sink.py" sinkport arrivals &
SINK=$!
for _ in $(seq 100); do [ -s sinkport ] && break; sleep 0.05; done
export HOOK_URL="http://127.0.0.1:$(cat sinkport)/hook" HOOK_SECRET=bench
TOKEN=$("$TG" token create ops --as ops --json | $PY -c 'import json,sys; print(json.load(sys.stdin)["token"])')
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$TG" serve --listen "127.0.0.1:$PORT" 2>serve.err &
SERVE=$!
for _ in $(seq 100); do grep -q "^tollgate: serving" serve.err && break; sleep 0.1; done
DIRECT=$($PY "$SRC/bench/notify-load.py" "http://127.0.0.1:$PORT" "$TOKEN" "$N" "$PROJECTS" commits \
	"http://127.0.0.1:$(cat sinkport)/direct")
# every message in, or 60 s
for _ in $(seq 600); do
	[ "$("$TG" notify list --json | $PY -c 'import json,sys; print(sum(m["state"] != "sent" for m in json.load(sys.stdin)["messages"]))')" = 0 ] && break
	sleep 0.1
done
"$TG" notify list --json | $PY -c '
import json, sys, collections
m = json.load(sys.stdin)["messages"]
retried = [x for x in m if x["attempts"] > 1]
print("notify: %d of %d messages needed more than one attempt" % (len(retried), len(m)))
for e, n in collections.Counter(x["last_error"] for x in retried).most_common(3):
    print("notify:   %d x %s" % (n, e))
'
grep -v "^tollgate: serving" serve.err | head -5 >&2 || true
kill "$SINK"
wait "$SINK" 2>/dev/null || true
SINK=
$PY - commits arrivals "$N" "$DIRECT" <<'PY'
import sys
commits, arrivals, n, direct = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
c = {}
for l in open(commits):
    t, text = l.split()
    c[text] = float(t)
first = {}
for l in open(arrivals):
    t, did, detail = l.rstrip("\n").split(" ", 2)
    if detail.startswith("direct"):
        continue
    text = detail.rsplit(": ", 1)[-1]
    first.setdefault(text, float(t))
missing = [k for k in c if k not in first]
if missing:
    sys.exit("bench-notify: error: %d messages never arrived" % len(missing))
d = sorted(max(0.0, first[k] - c[k]) for k in c)
q = lambda p: d[min(len(d) - 1, int(p * len(d)))]
span = max(first.values()) - min(c.values())
rate = n / span
print("notify: %d messages, %.0f msg/s commit-to-receipt (first commit to last receipt)" % (n, rate))
print("notify: delay commit -> receipt: p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 < 1000 ms)" %
      (q(0.5) * 1000, q(0.99) * 1000, d[-1] * 1000))
print("notify: peer (the client POSTing straight to the receiver): %.0f msg/s; tollgate / peer = %.2f" %
      (direct, rate / direct))
if q(0.99) >= 1.0:
    sys.exit("bench-notify: missed: p99 %.0f ms >= 1000 ms" % (q(0.99) * 1000))
PY
