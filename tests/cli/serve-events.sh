#!/bin/bash
# serve-events.sh - GET /api/v1/events, the audit log as Server-Sent Events:
# entries written by the CLI in another process reach a client in order,
# id = seq, data = that entry's line of `log --json` byte for byte; an idle
# stream gets heartbeats and outlives --timeout; 200 clients all get an
# entry; entries written through a second server on the same store (its
# plan.loaded, a POST /api/v1/versions) arrive; the gauge tollgate_event_stream_clients counts clients and drops
# when they leave; reads' auth rules apply (a client bound to a non-loopback
# address of this machine); SIGTERM with streams open ends them cleanly and
# exits 0 within seconds; Last-Event-ID (or ?after=) resumes across a
# restart with nothing lost or repeated (entries written while it was down).
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$FIXTURES/state-small.yaml" tollgate.yaml
run record api dev --version a-1 --as tom
expect_rc 0

cat >"$T/evlib.py" <<'PY'
import json, os, subprocess, time
import serve_client as sc
B = os.environ["TOLLGATE_BIN"]
def cli(*a):
    r = subprocess.run([B] + list(a), capture_output=True)
    sc.check(r.returncode == 0, "tollgate %s: %d %s" % (" ".join(a), r.returncode, r.stderr[-300:]))
    return r.stdout
def log_lines():
    """seq -> that entry's line of `log --json`, as bytes"""
    out = {}
    for line in cli("log", "--json").split(b"\n"):
        line = line.strip()
        if line.startswith(b"{\"seq\""):
            line = line.rstrip(b",")
            out[json.loads(line)["seq"]] = line
    return out
def metric(name):
    st, h, body = sc.get("/metrics")
    for line in body.decode().split("\n"):
        if line.startswith(name + " "):
            return int(line.split()[1])
    return None
def gauge_becomes(n, within=10):
    until = time.time() + within
    while time.time() < until:
        v = metric("tollgate_event_stream_clients")
        if v == n:
            return True
        time.sleep(0.1)
    return False
PY
export PYTHONPATH="$PYTHONPATH:$T"

run serve --heartbeat 0
expect_rc 2
expect_err_line "tollgate: error: --heartbeat '0' is not a number from 1 to 3600"

start_serve --heartbeat 2 --timeout 1 || { fail "serve did not start"; done_tests; }

# the CLI's entries, in order, id = seq, data = the line of log --json
py '
from evlib import *
ev = sc.Events()
sc.check(ev.status == 200, "events: %d" % ev.status)
sc.check(ev.headers.get("content-type") == "text/event-stream", "content-type %r" % ev.headers.get("content-type"))
sc.check(ev.headers.get("cache-control") == "no-cache", "no-cache")
sc.valid("/api/v1/events", 200, b"", "text/event-stream")
opener = ev.block()
head = max(log_lines())
sc.check(opener is not None and "data" not in opener and opener.get("id") == str(head),
         "the opener names the head %d without an event: %r" % (head, opener))
cli("record", "db", "dev", "--version", "d-1", "--as", "tom")
cli("record", "web", "dev", "--version", "w-1", "--as", "tom")
cli("approve", "gate-3", "--as", "dana")
got = [ev.event(10) for _ in range(3)]
sc.check(None not in got, "three events: %r" % got)
lines = log_lines()
sc.check([int(e["id"]) for e in got if e] == [head + 1, head + 2, head + 3], "ids = seqs: %r" % [e and e["id"] for e in got])
for e in got:
    if e:
        sc.check(e["data"].encode() == lines[int(e["id"])], "data of %s is the line of log --json" % e["id"])
        sc.check("event" not in e, "no event name: onmessage gets every entry")
        sc.valid_schema("LogEntry", json.loads(e["data"]), "event %s" % e["id"])
sc.check(json.loads(got[2]["data"])["action"] == "approve", "the approval")
'

# an idle stream: heartbeats every --heartbeat, and --timeout 1 does not cut it
py '
from evlib import *
ev = sc.Events()
ev.block()
t0 = time.time()
beats = 0
while time.time() - t0 < 5:
    b = ev.block(6 - (time.time() - t0))
    if b is None:
        break
    if b["comments"] == ["heartbeat"] and "data" not in b:
        beats += 1
sc.check(beats >= 2, "heartbeats in 5 s at --heartbeat 2: %d" % beats)
sc.check(not ev.closed and not ev.ended, "the idle stream is still open after 5 s with --timeout 1")
cli("record", "api", "dev", "--version", "a-2", "--as", "tom")
e = ev.event(10)
sc.check(e is not None and json.loads(e["data"])["detail"].startswith("version a-2"), "an entry after the idle time: %r" % e)
'

# 200 clients get one entry; the gauge counts them and drops when they leave
py '
from evlib import *
sc.check(gauge_becomes(0), "no client left from before")
evs = [sc.Events() for _ in range(200)]
for ev in evs:
    ev.block()
sc.check(gauge_becomes(200), "the gauge counts 200 clients: %r" % metric("tollgate_event_stream_clients"))
st, h, body = sc.get("/metrics")
open(os.environ["T"] + "/metrics", "wb").write(body)
cli("record", "db", "dev", "--version", "d-2", "--as", "tom")
seq = max(log_lines())
ok = 0
for ev in evs:
    e = ev.event(10)
    if e and int(e["id"]) == seq and json.loads(e["data"])["subject"] == "db@dev":
        ok += 1
sc.check(ok == 200, "200 clients got the entry: %d" % ok)
for ev in evs[:150]:
    ev.close()
sc.check(gauge_becomes(50), "the gauge drops to 50 when 150 leave: %r" % metric("tollgate_event_stream_clients"))
for ev in evs[150:]:
    ev.close()
sc.check(gauge_becomes(0), "and to 0")
'
checks=$((checks + 1))
promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1 || { cat "$T/promtool.out" >&2; fail "promtool check metrics"; }
checks=$((checks + 1))
grep -qxF 'tollgate_event_stream_clients 200' "$T/metrics" || fail "metrics line: tollgate_event_stream_clients 200"

# entries written through a second server on the same store: its
# plan.loaded, then a version recorded through its API (POST /api/v1/versions)
run token create tom --as tom --name events
expect_rc 0
grep -E '^tg_' "$T/out" >"$T/token" || fail "no token printed"
py '
from evlib import *
import socket
ev = sc.Events()
ev.block()
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
err = open(os.environ["T"] + "/serve2.err", "w")
p = subprocess.Popen([B, "serve", "--listen", "127.0.0.1:%d" % port], stderr=err)
e = ev.event(15)
sc.check(e is not None and json.loads(e["data"])["action"] == "plan.loaded", "the second server'"'"'s entry arrives: %r" % e)
sc.check(e is not None and int(e["id"]) == max(log_lines()), "its id is its seq")
import http.client
tok = open(os.environ["T"] + "/token").read().strip()
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
c.request("POST", "/api/v1/versions", body=json.dumps({"env": "dev", "versions": {"web": "w-9"}}),
          headers={"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
r = c.getresponse(); r.read()
sc.check(r.status in (200, 201), "POST /api/v1/versions through the second server: %d" % r.status)
e = ev.event(15)
sc.check(e is not None and json.loads(e["data"])["action"] == "record" and "web=w-9" in json.loads(e["data"])["detail"],
         "the version recorded through the second server arrives: %r" % e)
sc.check(e is not None and json.loads(e["data"])["auth"].startswith("token:"), "written with the token")
p.terminate()
sc.check(p.wait(10) == 0, "the second server stops with 0")
'

# reads'"'"' auth rules: a client from a non-loopback address needs a token
py '
from evlib import *
addr = sc.local_remote_address()
if addr is None:
    print("no non-loopback address on this machine: the remote-client checks are skipped")
else:
    ev = sc.Events(source=addr)
    sc.check(ev.status == 401, "from %s without a token: %d" % (addr, ev.status))
    sc.check(ev.headers.get("www-authenticate", "").startswith("Bearer"), "WWW-Authenticate")
    sc.check(json.loads(ev.body)["error"]["code"] == "unauthorized", "unauthorized")
    sc.valid("/api/v1/events", 401, ev.body)
    ev = sc.Events(source=addr, headers={"Authorization": "Bearer tg_aaaaaaaaaa_" + "A" * 43})
    sc.check(ev.status == 401, "a bad token: %d" % ev.status)
    tok = open(os.environ["T"] + "/token").read().strip()
    ev = sc.Events(source=addr, headers={"Authorization": "Bearer " + tok})
    sc.check(ev.status == 200, "with a token: %d" % ev.status)
    b = ev.block()
    sc.check(b is not None and b.get("id") == str(max(log_lines())), "the token'"'"'s stream opens at the head")
    ev.close()
'

# bad positions; HEAD; other methods
py '
from evlib import *
for hdr, path in (({"Last-Event-ID": "x"}, "/api/v1/events"), ({"Last-Event-ID": "-1"}, "/api/v1/events"),
                  ({}, "/api/v1/events?after=1x")):
    ev = sc.Events(path, headers=hdr)
    sc.check(ev.status == 400 and json.loads(ev.body)["error"]["code"] == "invalid", "%r %s: %d" % (hdr, path, ev.status))
    sc.valid("/api/v1/events", 400, ev.body)
st, h, body = sc.request("HEAD", "/api/v1/events")
sc.check(st == 200 and body == b"" and h.get("content-type") == "text/event-stream", "HEAD: %d %r" % (st, h.get("content-type")))
st, h, body = sc.request("POST", "/api/v1/events")
sc.check(st == 405 and h.get("allow") == "GET, HEAD", "POST: %d" % st)
'

# SIGTERM with streams open: each ends cleanly, exit 0 within seconds; the
# entries written while the server is down come after Last-Event-ID
py '
from evlib import *
import signal
evs = [sc.Events() for _ in range(5)]
for ev in evs:
    ev.block()
cli("record", "web", "dev", "--version", "w-2", "--as", "tom")
e = evs[0].event(10)
last = int(e["id"])
open(os.environ["T"] + "/last", "w").write(str(last))
t0 = time.time()
os.kill(int(os.environ["SERVE_PID"]), signal.SIGTERM)
for ev in evs:
    while ev.block(10) is not None:
        pass
sc.check(all(ev.ended for ev in evs), "every stream ended with the last chunk: %r" % [ev.ended for ev in evs])
sc.check(time.time() - t0 < 3, "the streams ended within 3 s: %.1f" % (time.time() - t0))
'
t0=$(date +%s)
stop_serve none
checks=$((checks + 1))
[ "$serve_rc" -eq 0 ] || fail "serve exit $serve_rc after SIGTERM with streams open"
checks=$((checks + 1))
[ $(($(date +%s) - t0)) -le 3 ] || fail "serve took over 3 s to stop"

run record api dev --version a-3 --as tom
expect_rc 0
run record db dev --version d-3 --as tom
expect_rc 0
start_serve --heartbeat 2 || { fail "serve did not restart"; done_tests; }
py '
from evlib import *
last = int(open(os.environ["T"] + "/last").read())
lines = log_lines()
want = [s for s in sorted(lines) if s > last]
sc.check(len(want) == 3, "two records and a plan.loaded since: %r" % want)
for hdr, path in (({"Last-Event-ID": str(last)}, "/api/v1/events"), ({}, "/api/v1/events?after=%d" % last),
                  ({"Last-Event-ID": str(last)}, "/api/v1/events?after=0")):
    ev = sc.Events(path, headers=hdr)
    sc.check(ev.block().get("id") == str(last), "%s: the opener names the resumed id" % path)
    got = []
    while True:
        e = ev.event(1.5)
        if e is None:
            break
        got.append(e)
    sc.check([int(e["id"]) for e in got] == want, "%r %s: resumed with %r, want %r" % (hdr, path, [e["id"] for e in got], want))
    sc.check(all(e["data"].encode() == lines[int(e["id"])] for e in got), "resumed data as log --json")
    ev.close()
'
stop_serve TERM
checks=$((checks + 1))
[ "$serve_rc" -eq 0 ] || fail "serve exit $serve_rc"
done_tests
