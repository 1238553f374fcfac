#!/bin/bash
# serve-write-actions.sh - the write endpoints beside POST /versions (issue
# 11 items 2 and 3): approvals, checks, blockers, incidents, rejections.
# Each is refused without a token and with an expired or a revoked one
# (401), for a person the plan's rules refuse (403, where the CLI has such a
# rule), with a bad body (400) and an unknown id (404, with the did-you-mean)
# with nothing written; a good call answers the CLI's --json bytes and the
# audit shows the token's person and token:ID. Every answer matches
# openapi.json. (The level-3 incident's rollback: serve-write-incident.sh.)
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-01-10T09:00:00Z
# prod is promoted by the devops lead only; api-tests is ticked by an sdet only
sed -e 's/^  - name: prod$/  - name: prod\n    promoters: [devops-lead]/' \
	-e 's/^  - {id: api-tests, text: All API tests passing}$/  - {id: api-tests, text: All API tests passing, by: [sdet]}/' \
	"$FIXTURES/state-small.yaml" >tollgate.yaml
grep -q 'by: \[sdet\]' tollgate.yaml || fail "the fixture changed: no 'by' on api-tests"
run validate
expect_rc 0

tok() { "$TOLLGATE_BIN" token create "$1" --as "$1" --json "${@:2}" |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
export TOM=$(tok tom) DANA=$(tok dana) SAM=$(tok sam) PAULA=$(tok paula)
export OLD=$(tok olga --expires 1d) GONE=$(tok paula)
run token revoke "$(echo "$GONE" | cut -d_ -f2)" --as paula
expect_rc 0
for who in TOM DANA SAM PAULA; do export "${who}_ID=$(echo "${!who}" | cut -d_ -f2)"; done
# db has a candidate for sit (gate-3 guards wave-2 before sit)
run record db dev --version d-1
expect_rc 0

# olga's token expires a day later: serve runs two days on
export TOLLGATE_NOW=2026-01-12T09:00:00Z
start_serve || { fail "serve did not start"; done_tests; }
count() { raw "SELECT count(*) FROM audit"; }
head0=$(count)

# every endpoint: no token, an expired one, a revoked one → 401, nothing written
py '
E = [
    ("post", "/api/v1/approvals", "/api/v1/approvals", {"gate": "gate-3"}),
    ("delete", "/api/v1/approvals/{gate}", "/api/v1/approvals/gate-3", None),
    ("post", "/api/v1/checks/{item}", "/api/v1/checks/sit-signoff", {"note": "x"}),
    ("delete", "/api/v1/checks/{item}", "/api/v1/checks/sit-signoff", None),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", {"progress": 50}),
    ("post", "/api/v1/incidents", "/api/v1/incidents", {"level": 2, "env": "sit", "text": "x"}),
    ("post", "/api/v1/incidents/{id}/resolve", "/api/v1/incidents/1/resolve", None),
    ("post", "/api/v1/rejections", "/api/v1/rejections", {"project": "api", "version": "a-1", "reason": "r"}),
    ("delete", "/api/v1/rejections/{project}/{version}", "/api/v1/rejections/api/a-1?reason=r", None),
]
for m, tmpl, path, doc in E:
    for name, tok, says in [("no", None, "needs an API token"), ("expired", os.environ["OLD"], "expired"),
                            ("revoked", os.environ["GONE"], "revoked")]:
        st, h, j, raw = sc.send(m.upper(), path, doc, token=tok)
        sc.check(st == 401 and j and says in j["error"]["message"], "%s %s, %s token: %d %s" % (m, path, name, st, raw))
        sc.check(h.get("www-authenticate", "").startswith("Bearer"), "%s %s: WWW-Authenticate" % (m, path))
        sc.valid(tmpl, st, raw, method=m)
    # a good token from the address clears its failures (no 429 here)
    st, h, j, raw = sc.send("GET", "/api/v1/next", token=os.environ["TOM"])
    sc.check(st == 200, "a read with a good token: %d" % st)
'
[ "$(count)" = "$head0" ] || fail "a write without a valid token wrote to the audit"

# bad bodies (400), unknown ids (404), a person the plan refuses (403), the
# state not allowing it (409): nothing written
py '
T, S, P = os.environ["TOM"], os.environ["SAM"], os.environ["PAULA"]
J = lambda d: json.dumps(d).encode()
cases = [
    # approvals
    ("post", "/api/v1/approvals", "/api/v1/approvals", b"{gate", T, 400, "not JSON"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", b"", T, 400, "JSON object"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({}), T, 400, "needs \x27gate\x27"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": 3}), T, 400, "\x27gate\x27 must be a string"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gate-3", "force": True}), T, 400, "unknown member \x27force\x27"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gate-3", "projects": []}), T, 400, "non-empty array"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gate-3", "projects": ["db", 7]}), T, 400, "projects[1]"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gate-3", "role": "sdet"}), T, 400, "does not ask for role \x27sdet\x27"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gate-3", "projects": ["api"]}), T, 400, "not one gate \x27gate-3\x27 guards"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gaet-3"}), T, 404, "did you mean \x27gate-3\x27"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gate-3", "projects": ["dbb"]}), T, 404, "did you mean \x27db\x27"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gate-4"}), S, 403, "holds none of the roles"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gate-3", "role": "devops-lead"}), T, 403, "does not hold role \x27devops-lead\x27"),
    ("post", "/api/v1/approvals", "/api/v1/approvals", J({"gate": "gate-4"}), P, 409, "no project it guards has a candidate"),
    ("delete", "/api/v1/approvals/{gate}", "/api/v1/approvals/gate-3", J({"role": "tech-lead"}), T, 400, "unknown member \x27role\x27"),
    ("delete", "/api/v1/approvals/{gate}", "/api/v1/approvals/gate-3?role=tech-lead", None, T, 400, "?role="),
    ("delete", "/api/v1/approvals/{gate}", "/api/v1/approvals/gate-33", None, T, 404, "did you mean"),
    # checks
    ("post", "/api/v1/checks/{item}", "/api/v1/checks/sit-signoff", J({"note": 5}), T, 400, "\x27note\x27 must be a string"),
    ("post", "/api/v1/checks/{item}", "/api/v1/checks/sit-signoff", J({"by": "tom"}), T, 400, "unknown member \x27by\x27"),
    ("post", "/api/v1/checks/{item}", "/api/v1/checks/sit-signoff", b"[]", T, 400, "must be a JSON object"),
    ("post", "/api/v1/checks/{item}", "/api/v1/checks/sit-signof", None, T, 404, "did you mean \x27sit-signoff\x27"),
    ("post", "/api/v1/checks/{item}", "/api/v1/checks/api-tests", None, T, 403, "only by role \x27sdet\x27"),
    ("delete", "/api/v1/checks/{item}", "/api/v1/checks/sit-signoff", J({"note": "x"}), T, 400, "unknown member \x27note\x27"),
    ("delete", "/api/v1/checks/{item}", "/api/v1/checks/sit-signof", None, T, 404, "did you mean \x27sit-signoff\x27"),
    ("delete", "/api/v1/checks/{item}", "/api/v1/checks/api-tests", None, T, 403, "only by role \x27sdet\x27"),
    # blockers
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", J({}), T, 400, "say what changed"),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", J({"resolve": False}), T, 400, "say what changed"),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", J({"progress": 50, "resolve": True}), T, 400, "either"),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", J({"progress": 101}), T, 400, "out of range"),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", J({"progress": -1}), T, 400, "out of range"),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", J({"progress": "50"}), T, 400, "must be an integer"),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", J({"progress": 50.5}), T, 400, "must be an integer"),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", J({"resolve": True, "reopen": True}), T, 400, "\x27reopen\x27 goes with"),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infra", J({"progress": 100, "reopen": True}), T, 400, "below 100"),
    ("post", "/api/v1/blockers/{id}", "/api/v1/blockers/api_infr", J({"progress": 50}), T, 404, "did you mean \x27api_infra\x27"),
    # incidents
    ("post", "/api/v1/incidents", "/api/v1/incidents", J({"level": 4, "env": "sit", "text": "x"}), T, 400, "use 1"),
    ("post", "/api/v1/incidents", "/api/v1/incidents", J({"level": "2", "env": "sit", "text": "x"}), T, 400, "must be an integer"),
    ("post", "/api/v1/incidents", "/api/v1/incidents", J({"level": 2, "env": "sit"}), T, 400, "needs \x27text\x27"),
    ("post", "/api/v1/incidents", "/api/v1/incidents", J({"level": 2, "env": "sit", "text": "  "}), T, 400, "say what happened"),
    ("post", "/api/v1/incidents", "/api/v1/incidents", J({"level": 2, "env": "sit", "text": "x", "by": "tom"}), T, 400, "unknown member \x27by\x27"),
    ("post", "/api/v1/incidents", "/api/v1/incidents", J({"level": 2, "env": "sitt", "text": "x"}), T, 404, "did you mean \x27sit\x27"),
    ("post", "/api/v1/incidents", "/api/v1/incidents", J({"level": 2, "env": "sit", "project": "apj", "text": "x"}), T, 404, "did you mean \x27api\x27"),
    ("post", "/api/v1/incidents/{id}/resolve", "/api/v1/incidents/1/resolve", J({"why": "x"}), T, 400, "unknown member \x27why\x27"),
    ("post", "/api/v1/incidents/{id}/resolve", "/api/v1/incidents/999/resolve", None, T, 404, "unknown incident 999"),
    ("post", "/api/v1/incidents/{id}/resolve", "/api/v1/incidents/abc/resolve", None, T, 404, "ids are numbers"),
    ("post", "/api/v1/incidents/{id}/resolve", "/api/v1/incidents/0/resolve", None, T, 404, "ids are numbers"),
    # rejections
    ("post", "/api/v1/rejections", "/api/v1/rejections", J({"project": "api", "version": "a-1"}), T, 400, "needs \x27reason\x27"),
    ("post", "/api/v1/rejections", "/api/v1/rejections", J({"project": "api", "version": "a\x011", "reason": "r"}), T, 400, "control character"),
    ("post", "/api/v1/rejections", "/api/v1/rejections", J({"project": "api", "version": "a-1", "env": "dev", "reason": "r"}), T, 400, "source environment"),
    ("post", "/api/v1/rejections", "/api/v1/rejections", J({"project": "api", "version": "a-1", "reason": ["r"]}), T, 400, "\x27reason\x27 must be a string"),
    ("post", "/api/v1/rejections", "/api/v1/rejections", J({"project": "apj", "version": "a-1", "reason": "r"}), T, 404, "did you mean \x27api\x27"),
    ("post", "/api/v1/rejections", "/api/v1/rejections", J({"project": "api", "version": "a-1", "env": "prdo", "reason": "r"}), T, 404, "did you mean \x27prod\x27"),
    ("delete", "/api/v1/rejections/{project}/{version}", "/api/v1/rejections/api/a-1", None, T, 400, "say why"),
    ("delete", "/api/v1/rejections/{project}/{version}", "/api/v1/rejections/api/a-1?reason=x", J({"reason": "y"}), T, 400, "given twice"),
    ("delete", "/api/v1/rejections/{project}/{version}", "/api/v1/rejections/api/a-1", J({"reason": "y", "version": "a-2"}), T, 400, "unknown member \x27version\x27"),
    ("delete", "/api/v1/rejections/{project}/{version}", "/api/v1/rejections/apj/a-1?reason=x", None, T, 404, "did you mean \x27api\x27"),
    ("delete", "/api/v1/rejections/{project}/{version}", "/api/v1/rejections/api/a-1?reason=x&env=sitt", None, T, 404, "did you mean \x27sit\x27"),
]
for m, tmpl, path, body, tok, want, says in cases:
    st, h, j, raw = sc.send(m.upper(), path, raw=body, token=tok)
    sc.check(st == want and j and says in j["error"]["message"],
             "%s %s %r: %d %s (want %d, %r)" % (m, path, (body or b"")[:60], st, raw, want, says))
    sc.valid(tmpl, st, raw, method=m)
'
[ "$(count)" = "$head0" ] || fail "a refused write wrote to the audit: $(count) entries, not $head0"

# good calls: each answers what the CLI prints for the same call (done by the
# CLI and undone first, so both find the same state), and an undo through
# the API answers what the CLI's undo printed
cli() { "$TOLLGATE_BIN" "$@" --json >"$T/cli.json" || fail "tollgate $*"; }
export CLI="$T/cli.json"
api_same() { # METHOD TEMPLATE PATH JSON|- TOKEN: the answer is $CLI's bytes
	METHOD=$1 TMPL=$2 URL=$3 DOC=$4 TOKVAR=$5 py '
m, doc = os.environ["METHOD"], os.environ["DOC"]
st, h, j, raw = sc.send(m.upper(), os.environ["URL"], None if doc == "-" else json.loads(doc), token=os.environ[os.environ["TOKVAR"]])
want = open(os.environ["CLI"], "rb").read()
sc.check(st == (201 if os.environ["TMPL"] == "/api/v1/incidents" else 200) and raw == want,
         "%s %s: %d\n%s\nnot the CLI bytes\n%s" % (m, os.environ["URL"], st, raw.decode(), want.decode()))
sc.valid(os.environ["TMPL"], st, raw, method=m)
'
}
# approve / revoke
run approve gate-3 --as tom
run revoke gate-3 --as tom
cli revoke gate-3 --as tom
api_same delete /api/v1/approvals/{gate} /api/v1/approvals/gate-3 - TOM # revoked already
cli approve gate-3 --as tom
run revoke gate-3 --as tom
api_same post /api/v1/approvals /api/v1/approvals '{"gate": "gate-3"}' TOM
cli approve gate-3 --as tom --project db
api_same post /api/v1/approvals /api/v1/approvals '{"gate": "gate-3", "projects": ["db"], "role": "tech-lead"}' TOM
cli revoke gate-3 --as tom
run approve gate-3 --as tom
api_same delete /api/v1/approvals/{gate} /api/v1/approvals/gate-3 - TOM
# check / uncheck
cli check api-tests --note "suite green" --as sam
run uncheck api-tests --as sam
api_same post /api/v1/checks/{item} /api/v1/checks/api-tests '{"note": "suite green"}' SAM
cli uncheck api-tests --as sam
run check api-tests --as sam
api_same delete /api/v1/checks/{item} /api/v1/checks/api-tests - SAM
cli check sit-signoff --as tom
run uncheck sit-signoff --as tom
api_same post /api/v1/checks/{item} /api/v1/checks/sit-signoff - TOM
# blocker: progress, resolve, a resolved one is not reopened without reopen (409), reopen
cli blocker api_infra --progress 60 --as dana
run blocker api_infra --progress 40 --as dana
api_same post /api/v1/blockers/{id} /api/v1/blockers/api_infra '{"progress": 60}' DANA
run blocker api_infra --resolve --as dana
cli blocker api_infra --resolve --as dana
api_same post /api/v1/blockers/{id} /api/v1/blockers/api_infra '{"resolve": true}' DANA # resolved already
py '
st, h, j, raw = sc.send("POST", "/api/v1/blockers/api_infra", {"progress": 30}, token=os.environ["DANA"])
sc.check(st == 409 and j["error"]["code"] == "conflict" and "reopen" in j["error"]["message"], "progress on a resolved blocker: %d %s" % (st, raw))
sc.valid("/api/v1/blockers/{id}", st, raw, method="post")
'
cli blocker api_infra --progress 30 --reopen --as dana
run blocker api_infra --resolve --as dana
api_same post /api/v1/blockers/{id} /api/v1/blockers/api_infra '{"progress": 30, "reopen": true}' DANA
# reject / allow
cli reject api a-1 --env prod --reason "bad build" --as paula
run allow api a-1 --env prod --reason "undo" --as paula
api_same post /api/v1/rejections /api/v1/rejections '{"project": "api", "version": "a-1", "env": "prod", "reason": "bad build"}' PAULA
cli allow api a-1 --env prod --reason "fixed" --as paula
run reject api a-1 --env prod --reason "again" --as paula
api_same delete /api/v1/rejections/{project}/{version} "/api/v1/rejections/api/a-1?reason=fixed&env=prod" - PAULA
cli reject web w-2 --reason "everywhere" --as tom
run allow web w-2 --reason "undo" --as tom
api_same post /api/v1/rejections /api/v1/rejections '{"project": "web", "version": "w-2", "reason": "everywhere"}' TOM
cli allow web w-2 --reason "fine now" --as tom
run reject web w-2 --reason "again" --as tom
api_same delete /api/v1/rejections/{project}/{version} /api/v1/rejections/web/w-2 '{"reason": "fine now"}' TOM
cli allow web w-2 --reason "fine now" --as tom
api_same delete /api/v1/rejections/{project}/{version} /api/v1/rejections/web/w-2 '{"reason": "fine now"}' TOM # not rejected: nothing changes
# incidents: ids differ (the CLI's is 1, the API's 2); the rest is the same, with Location
cli incident open --level 2 --env sit --project api --as dana "api 5xx in sit"
py '
st, h, j, raw = sc.send("POST", "/api/v1/incidents", {"level": 2, "env": "sit", "project": "api", "text": "api 5xx in sit"}, token=os.environ["DANA"])
want = json.load(open(os.environ["CLI"]))
sc.check(st == 201 and h.get("location") == "/api/v1/incidents/%d" % j["id"], "open: %d %s %s" % (st, h.get("location"), raw))
sc.check(want["id"] == 1 and j["id"] == 2 and dict(j, id=1) == want, "open: %s vs the CLI %s" % (raw, want))
sc.check(raw == open(os.environ["CLI"], "rb").read().replace(b"\"id\": 1,", b"\"id\": 2,"), "open: not the CLI bytes")
sc.valid("/api/v1/incidents", st, raw, method="post")
st, h, j, raw = sc.send("GET", "/api/v1/status")
sc.check(sorted(i["id"] for i in j["incidents"]) == [1, 2], "status lists both: %s" % raw[:300])
'
cli incident resolve 1 --as dana
py '
st, h, j, raw = sc.send("POST", "/api/v1/incidents/2/resolve", token=os.environ["DANA"])
want = json.load(open(os.environ["CLI"]))
sc.check(st == 200 and dict(j, id=1) == want and j["changed"] is True, "resolve 2: %d %s vs %s" % (st, raw, want))
sc.valid("/api/v1/incidents/{id}/resolve", st, raw, method="post")
# where Location pointed: the incident, now resolved
st, h, j, raw = sc.send("GET", "/api/v1/incidents/2")
sc.check(st == 200 and j["id"] == 2 and j["level"] == 2 and j["project"] == "api" and j["opened_by"] == "dana" and j["resolved_by"] == "dana" and j["resolved_at"], "GET incident 2: %d %s" % (st, raw))
sc.valid("/api/v1/incidents/{id}", st, raw)
for bad in ("99", "x1"):
    st, h, j, raw = sc.send("GET", "/api/v1/incidents/" + bad)
    sc.check(st == 404, "GET incident %s: %d" % (bad, st))
'
cli incident resolve 1 --as dana
api_same post /api/v1/incidents/{id}/resolve /api/v1/incidents/1/resolve - DANA # resolved already

# the audit: every write through the API by the token's person, as token:ID
run log --json
expect_rc 0
expect_json "[(e['action'], e['actor'], e['auth']) for e in j['entries'] if e['auth'].startswith('token:')] == [(a, p, 'token:' + {'tom': '$TOM_ID', 'dana': '$DANA_ID', 'sam': '$SAM_ID', 'paula': '$PAULA_ID'}[p]) for a, p in [
 ('approve', 'tom'), ('revoke', 'tom'),
 ('check', 'sam'), ('uncheck', 'sam'), ('check', 'tom'),
 ('blocker', 'dana'), ('blocker.reopen', 'dana'),
 ('reject', 'paula'), ('allow', 'paula'), ('reject', 'tom'), ('allow', 'tom'),
 ('incident.open', 'dana'), ('incident.resolve', 'dana')]]"

stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
done_tests
