#!/bin/bash
# serve-forecast.sh - GET /api/v1/forecast answers the bytes `forecast
# --json` prints, with the same options (env, wave, project, assume —
# comma-separated --assume values), matches openapi.json, and maps bad
# ids and values to 404 / 400; status's "at_risk" in the API as in the CLI.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-03-02T09:00:00Z
cat >tollgate.yaml <<'P'
version: 1
identity: claim
plan: {id: SERVE-FC, title: forecast over HTTP}
environments:
  - {name: dev}
  - {name: sit, soak: 24h}
  - {name: prod, soak: 24h}
people:
  - {id: olga, roles: [ops]}
  - {id: pat, roles: [po]}
waves:
  - {id: w}
projects:
  - {id: a, wave: w, targets: {sit: 2026-03-02, prod: 2026-03-05}}
  - {id: b, wave: w, depends_on: [a], targets: {prod: 2026-03-09}}
gates:
  - {id: go, approvers: [po], before: {env: prod}}
blockers:
  - {id: certs, text: certs, progress: 10, due: 2026-03-03, blocks: {env: prod}}
P
for x in a b; do run record $x dev --version 1 --as olga; done

start_serve || { fail "serve did not start"; done_tests; }

"$TOLLGATE_BIN" forecast --json >"$T/cli-forecast.json"
"$TOLLGATE_BIN" forecast --json --env prod --project a >"$T/cli-forecast-a.json"
"$TOLLGATE_BIN" forecast --json --assume gate:go=2026-03-06 --assume soak:sit=48h >"$T/cli-forecast-assume.json"
"$TOLLGATE_BIN" status --json >"$T/cli-status.json"
py '
T = os.environ["T"]
def same(path, cli):
    st, h, body = sc.get(path)
    sc.check(st == 200, "%s: status %d" % (path, st))
    sc.check(body == open(T + "/" + cli, "rb").read(), "%s differs from the CLI (%s)" % (path, cli))
    sc.valid("/api/v1/forecast" if "forecast" in path else "/api/v1/status", st, body, h.get("content-type", ""))
    return json.loads(body)
j = same("/api/v1/forecast", "cli-forecast.json")
a = [c for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"][0]
sc.check(a["earliest_healthy"] == "2026-03-03T09:10:00Z" and a["at_risk"] is True, "a in sit: %r" % a)
sc.check([(d["kind"], d["id"]) for d in j["deadlines"]] == [("gate", "go"), ("blocker", "certs")], "deadlines %r" % j["deadlines"])
same("/api/v1/forecast?env=prod&project=a", "cli-forecast-a.json")
j = same("/api/v1/forecast?assume=gate:go%3D2026-03-06,soak:sit%3D48h", "cli-forecast-assume.json")
sc.check([c for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"][0]["earliest_healthy"] == "2026-03-04T09:10:00Z", "soak assumed")
sc.check([c for c in j["cells"] if c["project"] == "a" and c["env"] == "prod"][0]["because"] == ["go approved Mar 6 (assumed)"], "gate assumed")
j = same("/api/v1/status", "cli-status.json")
sc.check([(c["project"], c["env"]) for c in j["cells"] if c["at_risk"]] == [("a", "sit")], "status at_risk %r" % j["cells"])
for path, status, code in (("/api/v1/forecast?env=qa", 404, "not_found"),
                           ("/api/v1/forecast?assume=gate:nope%3D2026-03-06", 404, "not_found"),
                           ("/api/v1/forecast?assume=soak:sit%3Dsoon", 400, "invalid"),
                           ("/api/v1/forecast?assume=freeze:all", 400, "invalid")):
    st, h, body = sc.get(path)
    sc.check(st == status and json.loads(body)["error"]["code"] == code, "%s: %d %s" % (path, st, body))
    sc.valid("/api/v1/forecast", st, body, h.get("content-type", ""))
'
stop_serve
done_tests
