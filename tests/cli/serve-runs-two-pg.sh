#!/bin/bash
# serve-runs-two-pg.sh - two servers on one PostgreSQL store, each asked at
# once to promote the same projects (issue 11, reliability): the leases let
# one run take each pair, so each pair is deployed exactly once (counted by
# the fixture's deploy in .fx/deploys), nothing overlaps, everything ends
# healthy and the audit verifies.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"
export TOLLGATE_USER=olga
TOLLGATE_TEST_BACKEND=pg backend_store
export T
export TOLLGATE_NOW=2026-02-01T10:00:00Z
cp "$FIXTURES/exec-chain.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
projects="p1 p2 p3 q1 q2 r1 r2 r3"
export OLGA=$("$TOLLGATE_BIN" token create olga --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# the second server (serve_lib keeps one): its own port, stopped on exit
SERVE2_PID=
trap 'for p in $SERVE_PID $SERVE2_PID; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"' EXIT
export FX_SLEEP=0.3
start_serve || { fail "serve 1 did not start"; done_tests; }
export SERVE1_URL=$SERVE_URL
SERVE2_PID=$SERVE_PID
mv "$T/serve.err" "$T/serve1.err"
start_serve || { fail "serve 2 did not start"; done_tests; }
export SERVE2_URL=$SERVE_URL
# (serve_lib's SERVE_PID is now the second; SERVE2_PID holds the first)

for round in 1 2; do
	for p in $projects; do "$TOLLGATE_BIN" record $p dev --version "v$round-$p" >/dev/null; done
	: >.fx/deploys
	py '
import http.client, threading, time, urllib.parse
body = {"to": "sit", "projects": "p1 p2 p3 q1 q2 r1 r2 r3".split(), "jobs": 2}
answers = {}
ts = []
for name, url in (("a", os.environ["SERVE1_URL"]), ("b", os.environ["SERVE2_URL"])):
    u = urllib.parse.urlsplit(url)
    def go(name=name, u=u):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        c.request("POST", "/api/v1/promotions", body=json.dumps(body), headers={"Authorization": "Bearer " + os.environ["OLGA"], "Content-Type": "application/json"})
        r = c.getresponse()
        answers[name] = (r.status, r.getheader("Location"), r.read())
        c.close()
    ts.append(threading.Thread(target=go))
# both at once
for t in ts:
    t.start()
for t in ts:
    t.join()
started = 0
for name, url in (("a", os.environ["SERVE1_URL"]), ("b", os.environ["SERVE2_URL"])):
    st, loc, raw = answers[name]
    sc.check(st in (200, 202, 409), "server %s: %d %s" % (name, st, raw))
    if st != 202:
        continue
    started += 1
    u = urllib.parse.urlsplit(url)
    for i in range(600):
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        c.request("GET", loc)
        r = json.loads(c.getresponse().read())
        c.close()
        if r["state"] != "running":
            break
        time.sleep(0.1)
    sc.check(r["state"] == "done", "server %s run: %s" % (name, r))
print("round: answers %s" % sorted((n, a[0]) for n, a in answers.items()))
sc.check(started >= 1, "no server started a run: %s" % answers)
'
	for p in $projects; do
		checks=$((checks + 1))
		n=$(grep -c "^$p sit " .fx/deploys || true)
		[ "$n" -eq 1 ] || fail "round $round: $p was deployed $n times: $(cat .fx/deploys)"
	done
	run promote --to sit
	expect_rc 0
	run status --json
	expect_json 'sorted((c["project"], c["state"], c["version"]) for c in j["cells"] if c["env"] == "sit") == sorted((p, "healthy", "v'"$round"'-" + p) for p in "p1 p2 p3 q1 q2 r1 r2 r3".split())'
done
checks=$((checks + 1))
[ ! -s .fx/overlap ] || fail "deploys overlapped: $(cat .fx/overlap)"
run log --verify
expect_rc 0
stop_serve
[ "$serve_rc" = 0 ] || fail "serve 2 exited $serve_rc"
SERVE_PID=$SERVE2_PID
SERVE2_PID=
stop_serve
[ "$serve_rc" = 0 ] || fail "serve 1 exited $serve_rc"
done_tests
