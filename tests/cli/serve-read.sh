#!/bin/bash
# serve-read.sh - the read API of `tollgate serve`: each endpoint answers the
# bytes the CLI's --json prints (status, why, next, log, log --verify,
# report), every answer matches openapi.json, errors carry the engine's
# reason and its status, ETag / If-None-Match give 304 until the CLI writes
# (visible on the next request), /metrics passes promtool, and the plan's
# load is audited as plan.loaded.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$FIXTURES/state-small.yaml" tollgate.yaml
run record api dev --version a-1 --as tom
expect_rc 0
run record api sit --version a-1 --as tom
expect_rc 0
run record db dev --version d-1 --as tom
expect_rc 0
run approve gate-3 --as dana
expect_rc 0

start_serve || { fail "serve did not start"; done_tests; }

# the load is audited with the plan's hash
run log --json
expect_rc 0
expect_json "j['entries'][-1]['action'] == 'plan.loaded' and j['entries'][-1]['actor'] == 'tollgate'"
expect_out_has "sha256 $(sha256sum tollgate.yaml | cut -d' ' -f1) of tollgate.yaml"

# the same bytes as the CLI
"$TOLLGATE_BIN" status --json >"$T/cli-status.json"
"$TOLLGATE_BIN" status --json --env sit >"$T/cli-status-sit.json"
"$TOLLGATE_BIN" why api prod --json >"$T/cli-why.json" || true
"$TOLLGATE_BIN" next --json >"$T/cli-next.json"
"$TOLLGATE_BIN" log --json >"$T/cli-log.json"
"$TOLLGATE_BIN" log --verify --json >"$T/cli-verify.json"
"$TOLLGATE_BIN" report --format md >"$T/cli-report.md"
"$TOLLGATE_BIN" report --format html >"$T/cli-report.html"
"$TOLLGATE_BIN" report --format json >"$T/cli-report.json"
py '
T = os.environ["T"]
def same(path, cli, template, ctype="application/json"):
    st, h, body = sc.get(path)
    sc.check(st == 200, "%s: status %d" % (path, st))
    sc.check(body == open(T + "/" + cli, "rb").read(), "%s differs from the CLI (%s)" % (path, cli))
    sc.check(h.get("content-type", "").startswith(ctype), "%s content-type %s" % (path, h.get("content-type")))
    sc.valid(template, st, body, h.get("content-type", ""))
same("/api/v1/status", "cli-status.json", "/api/v1/status")
same("/api/v1/status?env=sit", "cli-status-sit.json", "/api/v1/status")
same("/api/v1/why/api/prod", "cli-why.json", "/api/v1/why/{project}/{env}")
same("/api/v1/next", "cli-next.json", "/api/v1/next")
same("/api/v1/log", "cli-log.json", "/api/v1/log")
same("/api/v1/log/verify", "cli-verify.json", "/api/v1/log/verify")
same("/api/v1/report", "cli-report.md", "/api/v1/report", "text/markdown")
same("/api/v1/report?format=html", "cli-report.html", "/api/v1/report", "text/html")
same("/api/v1/report?format=json", "cli-report.json", "/api/v1/report")
st, h, body = sc.get("/api/v1/log/verify")
sc.check(json.loads(body)["verified"] is True, "the log with plan.loaded verifies")
'

# the plan, the probes, the document
py '
st, h, body = sc.get("/api/v1/plan")
sc.check(st == 200, "plan %d" % st)
sc.valid("/api/v1/plan", st, body)
p = json.loads(body)
sc.check(p["id"] == "TEST-READY" and [e["name"] for e in p["environments"]] == ["dev", "sit", "prod"], "plan ids")
sc.check(any(g["id"] == "gate-3" for g in p["gates"]), "plan gates")
for path in ("/healthz", "/readyz"):
    st, h, body = sc.get(path)
    sc.check(st == 200, "%s %d" % (path, st))
    sc.valid(path, st, body)
st, h, body = sc.get("/api/v1/openapi.json")
sc.check(st == 200 and json.loads(body)["openapi"] == "3.1.0", "openapi.json")
'

# log pages: after and limit
py '
st, h, body = sc.get("/api/v1/log?after=1&limit=2")
sc.valid("/api/v1/log", st, body)
seqs = [e["seq"] for e in json.loads(body)["entries"]]
sc.check(seqs == [2, 3], "page after 1, 2 entries: %r" % seqs)
st, h, body = sc.get("/api/v1/log?after=100")
sc.check(st == 200 and json.loads(body)["entries"] == [], "a page past the end is empty")
for q in ("limit=0", "limit=x", "after=-1", "limit=10001"):
    st, h, body = sc.get("/api/v1/log?" + q)
    sc.check(st == 400 and json.loads(body)["error"]["code"] == "invalid", "log?%s: %d" % (q, st))
    sc.valid("/api/v1/log", st, body)
'

# errors: the reason and its status, always {"error": {"code", "message"}}
py '
def err(method, path, status, code, msg=None, template=None):
    st, h, body = sc.request(method, path)
    sc.check(st == status, "%s %s: %d, expected %d" % (method, path, st, status))
    e = json.loads(body)["error"]
    sc.check(e["code"] == code, "%s: code %s" % (path, e["code"]))
    if msg:
        sc.check(e["message"] == msg, "%s: message %r" % (path, e["message"]))
    if template:
        sc.valid(template, st, body)
    return h
err("GET", "/api/v1/why/apii/sit", 404, "not_found", "unknown project %sapii%s; did you mean %sapi%s?" % (("\x27",) * 4), "/api/v1/why/{project}/{env}")
err("GET", "/api/v1/why/api/sitt", 404, "not_found", None, "/api/v1/why/{project}/{env}")
err("GET", "/api/v1/why/api/dev", 400, "invalid", None, "/api/v1/why/{project}/{env}")
err("GET", "/api/v1/status?env=prd", 404, "not_found", None, "/api/v1/status")
err("GET", "/api/v1/report?format=pdf", 400, "invalid", None, "/api/v1/report")
err("GET", "/api/v1/nothing", 404, "not_found")
err("GET", "/api/v1/why/api", 404, "not_found")
err("GET", "/nothing-here", 404, "not_found")
h = err("DELETE", "/api/v1/status", 405, "method_not_allowed", None, "/api/v1/status")
sc.check(h.get("allow") == "GET, HEAD", "Allow: %r" % h.get("allow"))
h = err("POST", "/api/v1/why/api/prod", 405, "method_not_allowed")
st, h, body = sc.request("HEAD", "/api/v1/status")
sc.check(st == 200 and body == b"", "HEAD %d" % st)
'

# the cache: ETag, 304, and a write by the CLI visible on the next request
py '
st, h, body = sc.get("/api/v1/status")
etag = h["etag"]
sc.check(etag.startswith("\"") and etag.endswith("\""), "a strong ETag: %s" % etag)
st, h2, body2 = sc.get("/api/v1/status", {"If-None-Match": etag})
sc.check(st == 304 and body2 == b"" and h2["etag"] == etag, "304 for the same ETag: %d" % st)
sc.valid("/api/v1/status", st, body2)
st, h3, body3 = sc.get("/api/v1/status")
sc.check(st == 200 and body3 == body and h3["etag"] == etag, "the cached answer is the same")
open(os.environ["T"] + "/etag", "w").write(etag)
'
run record db dev --version d-9 --as tom
expect_rc 0
"$TOLLGATE_BIN" status --json >"$T/cli-status2.json"
py '
T = os.environ["T"]
etag = open(T + "/etag").read()
st, h, body = sc.get("/api/v1/status", {"If-None-Match": etag})
sc.check(st == 200 and h["etag"] != etag, "a write makes a new ETag: %d" % st)
sc.check(body == open(T + "/cli-status2.json", "rb").read(), "the write is visible on the next request")
sc.check(b"d-9" in body, "d-9 on the board")
'

# metrics: promtool accepts them; the state and the counters are there
checks=$((checks + 1))
/usr/bin/python3 -c 'import serve_client as sc; sc.init(); st, h, b = sc.get("/metrics"); open("'"$T"'/metrics", "wb").write(b); assert st == 200 and h["content-type"].startswith("text/plain")' ||
	fail "GET /metrics"
checks=$((checks + 1))
promtool check metrics <"$T/metrics" >"$T/promtool.out" 2>&1 || { cat "$T/promtool.out" >&2; fail "promtool check metrics"; }
for line in 'tollgate_promotions{env="dev",state="healthy"} 2' 'tollgate_promotions{env="sit",state="healthy"} 1' \
	'tollgate_pending_approvals{gate="gate-4"} 2' \
	'tollgate_open_blockers 1' 'tollgate_soaks_running 0' \
	'tollgate_http_requests_total{route="/api/v1/status",status="304"} 1' \
	'tollgate_http_requests_total{route="unmatched",status="405"} 2' \
	'tollgate_event_stream_clients 0' 'tollgate_step_duration_seconds_count{step="deploy"} 0'; do
	checks=$((checks + 1))
	grep -qxF "$line" "$T/metrics" || fail "metrics line: $line"
done

stop_serve TERM
checks=$((checks + 1))
[ "$serve_rc" -eq 0 ] || fail "serve exit $serve_rc after SIGTERM"
done_tests
