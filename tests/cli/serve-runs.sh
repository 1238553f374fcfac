#!/bin/bash
# serve-runs.sh - promotions through the API (issue 11): POST
# /api/v1/promotions runs promote inside the server (202, Location), GET
# /api/v1/runs/{id} shows its steps and, once it ended, the report the CLI's
# `promote --json` gives for the same state; a step's log is served (tail,
# full); refused without a token (401), for a person who may not promote
# (403), for bad bodies (400/404), with nothing run; the audit shows the
# token; a run of the CLI is shown from the store's step runs; a dry run is
# `promote --dry-run --json`.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-02-01T10:00:00Z
# sit is promoted by the ops lead only; sam may not
sed -e 's/^  - {name: sit}$/  - {name: sit, promoters: [ops-lead]}/' \
	-e 's/^  - {id: olga, roles: \[ops-lead\]}$/  - {id: olga, roles: [ops-lead]}\n  - {id: sam, roles: [sdet]}/' \
	"$FIXTURES/exec-chain.yaml" >tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
grep -q "promoters: \[ops-lead\]" tollgate.yaml && grep -q "id: sam" tollgate.yaml || fail "fixture edit"
for p in p1 p2 p3 q1 r1 r2; do
	run record $p dev --version v1 --as olga
	expect_rc 0
done

tok() { "$TOLLGATE_BIN" token create "$1" --as "$1" --json |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
export OLGA=$(tok olga) SAM=$(tok sam)
export OLGA_ID=$(echo "$OLGA" | cut -d_ -f2)

start_serve || { fail "serve did not start"; done_tests; }
head0=$(raw "SELECT count(*) FROM audit")

# refusals: nothing runs, nothing is written
py '
P = "/api/v1/promotions"
ok = {"to": "sit", "projects": ["p1"]}
st, h, j, raw = sc.send("POST", P, ok)
sc.check(st == 401 and h.get("www-authenticate", "").startswith("Bearer"), "no token: %d %s" % (st, raw))
sc.valid(P, st, raw, method="post")
st, h, j, raw = sc.send("POST", P, ok, token=os.environ["SAM"])
sc.check(st == 403 and j["error"]["code"] == "forbidden", "sam promotes: %d %s" % (st, raw))
sc.valid(P, st, raw, method="post")
T = os.environ["OLGA"]
bad = [
    (b"{nope", 400, "line 1"),
    (b"[]", 400, "object"),
    (b"{}", 400, "needs \x27to\x27"),
    (json.dumps({"to": 3}).encode(), 400, "\x27to\x27 must be a string"),
    (json.dumps({"to": "sit", "force": True}).encode(), 400, "unknown member \x27force\x27"),
    (json.dumps({"to": "sit", "jobs": 0}).encode(), 400, "jobs"),
    (json.dumps({"to": "sit", "jobs": "2"}).encode(), 400, "\x27jobs\x27 must be an integer"),
    (json.dumps({"to": "sit", "projects": "p1"}).encode(), 400, "array"),
    (json.dumps({"to": "sit", "projects": [1]}).encode(), 400, "projects[0]"),
    (json.dumps({"to": "sit", "dry_run": "yes"}).encode(), 400, "true or false"),
    (json.dumps({"to": "dev"}).encode(), 400, "source environment"),
    (json.dumps({"to": "sti"}).encode(), 404, "sit"),
    (json.dumps({"to": "sit", "projects": ["p9"]}).encode(), 404, "p9"),
    (json.dumps({"to": "sit", "waves": ["w9"]}).encode(), 404, "w9"),
    (json.dumps({"to": "sit", "override_freeze": True}).encode(), 400, "--reason"),
]
for body, want, says in bad:
    st, h, j, raw = sc.send("POST", P, raw=body, token=T)
    sc.check(st == want and j and says in j["error"]["message"], "%r: %d %s (want %d, %r)" % (body[:60], st, raw, want, says))
    sc.valid(P, st, raw, method="post")
'
[ "$(raw "SELECT count(*) FROM audit")" = "$head0" ] || fail "a refused promotion wrote to the audit"
checks=$((checks + 1))
[ ! -e .fx/deploys ] || fail "a refused promotion deployed: $(cat .fx/deploys)"

# a dry run: `promote --dry-run --json` (but for the run id)
"$TOLLGATE_BIN" promote --to sit --project p1 --project p2 --dry-run --json >"$T/dry.json"
py '
st, h, j, raw = sc.send("POST", "/api/v1/promotions", {"to": "sit", "projects": ["p1", "p2"], "dry_run": True}, token=os.environ["OLGA"])
sc.check(st == 200, "dry run: %d %s" % (st, raw))
sc.valid("/api/v1/promotions", st, raw, method="post")
cli = json.load(open(os.environ["T"] + "/dry.json"))
for x in (j, cli):
    x.pop("run")
sc.check(j == cli, "dry run differs from the CLI: %s vs %s" % (j, cli))
'
checks=$((checks + 1))
[ ! -e .fx/deploys ] || fail "a dry run deployed"

# a run: 202, Location; its steps, then its report
py '
import time
st, h, j, raw = sc.send("POST", "/api/v1/promotions", {"to": "sit", "projects": ["p1", "p2", "p3"], "jobs": 1}, token=os.environ["OLGA"])
sc.check(st == 202, "promote: %d %s" % (st, raw))
sc.valid("/api/v1/promotions", st, raw, method="post")
run = j["run"]
sc.check(h.get("location") == "/api/v1/runs/" + run and j["location"] == h.get("location"), "Location %s" % h)
sc.check([x["project"] for x in j["planned"]] == ["p1", "p2", "p3"], "planned %s" % j["planned"])
for i in range(300):
    st, h, body = sc.get("/api/v1/runs/" + run)
    r = json.loads(body)
    if r["state"] != "running":
        break
    time.sleep(0.1)
sc.check(st == 200, "run: %d" % st)
sc.valid("/api/v1/runs/{id}", st, body)
sc.check(r["state"] == "done" and r["source"] == "server" and r["actor"] == "olga" and r["auth"] == "token:" + os.environ["OLGA_ID"], "run %s" % body)
sc.check([(s["project"], s["step"], s["state"]) for s in r["steps"]] == [(p, s, "ok") for p in ("p1", "p2", "p3") for s in ("deploy", "verify")], "steps %s" % r["steps"])
sc.check([(x["project"], x["outcome"]) for x in r["report"]["results"]] == [("p1", "healthy"), ("p2", "healthy"), ("p3", "healthy")], "report %s" % r["report"])
open(os.environ["T"] + "/run", "w").write(run)
# the log of a step
st, h, body = sc.get("/api/v1/runs/%s/steps/p2/deploy/log" % run)
sc.check(st == 200 and h["content-type"].startswith("text/plain") and body.endswith(b"deployed p2\n"), "log: %d %r" % (st, body))
sc.valid("/api/v1/runs/{id}/steps/{project}/{step}/log", st, body, ctype="text/plain")
st, h, tail = sc.get("/api/v1/runs/%s/steps/p2/deploy/log?tail=3" % run)
sc.check(st == 200 and tail == b"p2\n", "tail=3: %r" % tail)
st, h, full = sc.get("/api/v1/runs/%s/steps/p2/deploy/log?full=1" % run)
sc.check(st == 200 and full == body, "full=1: %r" % full)
for path, want in [("/api/v1/runs/%s/steps/p2/deploy/log?tail=0" % run, 400),
                   ("/api/v1/runs/%s/steps/p2/deploy/log?tail=x" % run, 400),
                   ("/api/v1/runs/%s/steps/p2/deploy/log?full=1&tail=4" % run, 400),
                   ("/api/v1/runs/%s/steps/p2/rollback/log" % run, 404),
                   ("/api/v1/runs/%s/steps/p9/deploy/log" % run, 404),
                   ("/api/v1/runs/%s/steps/..%%2F..%%2Fx/deploy/log" % run, 404),
                   ("/api/v1/runs/nope/steps/p2/deploy/log", 404)]:
    st, h, b = sc.get(path)
    sc.check(st == want, "%s: %d %s (want %d)" % (path, st, b, want))
    sc.valid("/api/v1/runs/{id}/steps/{project}/{step}/log", st, b)
for path in ["/api/v1/runs/nope", "/api/v1/runs/20260101T000000Z-1-000000", "/api/v1/runs/a%20b"]:
    st, h, b = sc.get(path)
    sc.check(st == 404, "%s: %d %s" % (path, st, b))
    sc.valid("/api/v1/runs/{id}", st, b)
# the same again: every project is up to date, nothing runs (200, the report)
st, h, j, raw = sc.send("POST", "/api/v1/promotions", {"to": "sit", "projects": ["p1", "p2", "p3"]}, token=os.environ["OLGA"])
sc.check(st == 200 and j["results"] == [] and all(x["up_to_date"] for x in j["not_ready"]), "again: %d %s" % (st, raw))
sc.valid("/api/v1/promotions", st, raw, method="post")
# nothing ready (q2 waits for q1 in sit): 409 as promote exits 3
st, h, j, raw = sc.send("POST", "/api/v1/promotions", {"to": "sit", "projects": ["q2"]}, token=os.environ["OLGA"])
sc.check(st == 409 and "nothing is ready" in j["error"]["message"], "nothing ready: %d %s" % (st, raw))
sc.valid("/api/v1/promotions", st, raw, method="post")
'
checks=$((checks + 1))
[ "$(sort .fx/deploys)" = "$(printf 'p1 sit v1\np2 sit v1\np3 sit v1')" ] || fail "deploys: $(cat .fx/deploys)"
run log --json
expect_rc 0
expect_json "sorted(set((e['subject'], e['actor'], e['auth']) for e in j['entries'] if e['action'].startswith('promotion.'))) == [('p%d@sit' % i, 'olga', 'token:$OLGA_ID') for i in (1, 2, 3)]"

# the report equals the CLI's for the same state: r1 through the API, r2
# (defined and recorded as r1) through the CLI
"$TOLLGATE_BIN" promote --to sit --project r2 -j 1 --as olga --json >"$T/cli.json"
py '
import time
st, h, j, raw = sc.send("POST", "/api/v1/promotions", {"to": "sit", "projects": ["r1"], "jobs": 1}, token=os.environ["OLGA"])
sc.check(st == 202, "r1: %d %s" % (st, raw))
for i in range(300):
    st, h, body = sc.get(j["location"])
    r = json.loads(body)
    if r["state"] != "running":
        break
    time.sleep(0.1)
api = r["report"]
cli = json.load(open(os.environ["T"] + "/cli.json"))
cli.pop("rehearsal", None)
for x in (api, cli):
    x.pop("run")
sc.check(json.dumps(api).replace("r1", "r2") == json.dumps(cli), "API report %s, CLI %s" % (api, cli))
# the CLI run, from the store
run = [l for l in open(os.environ["T"] + "/cli.json")][1].split("\"")[3]
st, h, body = sc.get("/api/v1/runs/" + run)
sc.valid("/api/v1/runs/{id}", st, body)
r = json.loads(body)
sc.check(st == 200 and r["source"] == "store" and r["state"] == "done" and r["report"] is None, "CLI run: %d %s" % (st, body))
sc.check([(s["project"], s["step"], s["state"]) for s in r["steps"]] == [("r2", "deploy", "ok"), ("r2", "verify", "ok")], "CLI steps %s" % r["steps"])
st, h, b = sc.get("/api/v1/runs/%s/steps/r2/verify/log" % run)
sc.check(st == 200 and h["content-type"].startswith("text/plain"), "CLI run log: %d %r" % (st, b))
# metrics: the runs this server ran
st, h, m = sc.get("/metrics")
sc.check(b"tollgate_promote_runs_total{state=\"done\"} 2" in m and b"tollgate_promote_runs_running 0" in m, "metrics %s" % m[-800:])
'

# a log path in the store that is not where runs write logs is not served
cli_run=$(sed -n 2p "$T/cli.json" | cut -d'"' -f4)
raw "UPDATE step_run SET log_path = '/etc/passwd' WHERE run_id = '$cli_run' AND step = 'deploy'"
py '
run = open(os.environ["T"] + "/cli.json").read().split("\"run\": \"")[1].split("\"")[0]
st, h, b = sc.get("/api/v1/runs/%s/steps/r2/deploy/log" % run)
sc.check(st == 403 and b"root:" not in b, "a forged log path: %d %r" % (st, b))
'

# nor a log that is a symlink (to a file the server's user may read)
for f in runs/"$cli_run"/r2.sit.verify.log .tollgate/runs/"$cli_run"/r2.sit.verify.log; do
	[ -f "$f" ] && ln -sf /etc/passwd "$f"
done
py '
run = open(os.environ["T"] + "/cli.json").read().split("\"run\": \"")[1].split("\"")[0]
st, h, b = sc.get("/api/v1/runs/%s/steps/r2/verify/log" % run)
sc.check(st == 403 and b"root:" not in b, "a log that is a symlink: %d %r" % (st, b))
'

stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
done_tests
