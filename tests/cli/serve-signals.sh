#!/bin/bash
# serve-signals.sh - the life of a `tollgate serve` process: a changed plan
# file is reloaded (and audited as plan.loaded with its hash); SIGHUP with a
# broken plan keeps serving the plan loaded before, prints FILE:LINE:COL to
# stderr and makes /readyz 503 until the file is fixed; SIGTERM stops
# accepting, lets a request in flight finish, and exits 0.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"
export T

backend_store
export TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$FIXTURES/state-small.yaml" tollgate.yaml
start_serve || { fail "serve did not start"; done_tests; }

# a valid change to the file: served within a few seconds, audited
sed -i 's/title: Readiness fixture/title: Readiness fixture two/' tollgate.yaml
py '
import time
for i in range(50):
    st, h, body = sc.get("/api/v1/plan")
    if json.loads(body)["title"] == "Readiness fixture two":
        break
    time.sleep(0.1)
sc.check(json.loads(body)["title"] == "Readiness fixture two", "the changed plan is served")
'
run log --json
expect_json "[e['action'] for e in j['entries']] == ['plan.loaded', 'plan.loaded']"
expect_out_has "sha256 $(sha256sum tollgate.yaml | cut -d' ' -f1) of tollgate.yaml"
checks=$((checks + 1))
grep -q "^tollgate: plan 'tollgate.yaml' reloaded (sha256 " "$T/serve.err" || fail "reload reported"

# a broken plan and SIGHUP: the errors located, the old plan still served
good=$(cat tollgate.yaml)
printf '%s\nbogus_key: 1\n' "$good" >tollgate.yaml
line=$(wc -l <tollgate.yaml)
kill -HUP "$SERVE_PID"
py '
import time
for i in range(50):
    st, h, body = sc.get("/readyz")
    if st == 503:
        break
    time.sleep(0.1)
sc.check(st == 503 and json.loads(body)["error"]["code"] == "not_ready", "readyz 503: %d" % st)
sc.valid("/readyz", st, body)
st, h, body = sc.get("/api/v1/plan")
sc.check(st == 200 and json.loads(body)["title"] == "Readiness fixture two", "the old plan is still served")
st, h, body = sc.get("/api/v1/status")
sc.check(st == 200, "status still answers")
'
checks=$((checks + 1))
grep -q "^tollgate.yaml:$line:1: error: " "$T/serve.err" || { cat "$T/serve.err" >&2; fail "the error located at tollgate.yaml:$line:1"; }
checks=$((checks + 1))
grep -q "^tollgate: tollgate.yaml: 1 error; plan not reloaded: still serving the plan loaded before" "$T/serve.err" ||
	fail "not reloaded, said so"
printf '%s\n' "$good" >good.yaml
run --plan good.yaml log --json
expect_json "[e['action'] for e in j['entries']] == ['plan.loaded', 'plan.loaded']"

# fixed again: ready
printf '%s\n' "$good" >tollgate.yaml
kill -HUP "$SERVE_PID"
py '
import time
for i in range(50):
    st, h, body = sc.get("/readyz")
    if st == 200:
        break
    time.sleep(0.1)
sc.check(st == 200, "readyz 200 once the plan is fixed: %d" % st)
'

# SIGTERM: a request in flight is answered, new connections are refused, exit 0
py '
import socket, signal, time
s = socket.create_connection((sc.URL.hostname, sc.URL.port), timeout=10)
s.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n")
time.sleep(0.2)
os.kill(int(os.environ["SERVE_PID"]), signal.SIGTERM)
time.sleep(1.5)
refused = False
try:
    socket.create_connection((sc.URL.hostname, sc.URL.port), timeout=2).close()
except OSError:
    refused = True
sc.check(refused, "no new connection while draining")
s.sendall(b"\r\n")
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
sc.check(out.startswith(b"HTTP/1.1 200") and b"\"cells\"" in out, "the request in flight is answered: %r" % out[:40])
'
stop_serve none
checks=$((checks + 1))
[ "$serve_rc" -eq 0 ] || fail "serve exit $serve_rc after SIGTERM"
checks=$((checks + 1))
grep -q "^tollgate: serve stopped" "$T/serve.err" || fail "stopped"
done_tests
