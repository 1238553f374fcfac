#!/bin/bash
# serve-write.sh - the write endpoints of `tollgate serve` (issue 11 items 2
# and 3): every write needs a Bearer token, also from loopback (401 without,
# with a bad, expired or revoked one; 429 once an address fails too often);
# the token's person is the actor and the plan's rules apply (403 without
# the right); bad bodies (not JSON, unknown members, wrong types, unknown
# ids) are 400/404 with nothing written; the audit shows token:ID; answers
# are the CLI's --json bytes and match openapi.json.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-01-10T09:00:00Z
# prod is promoted by the devops lead only
sed 's/^  - name: prod$/  - name: prod\n    promoters: [devops-lead]/' "$FIXTURES/state-small.yaml" >tollgate.yaml
run validate
expect_rc 0

tok() { "$TOLLGATE_BIN" token create "$1" --as "$1" --json "${@:2}" |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
export TOM=$(tok tom) DANA=$(tok dana) OLD=$(tok sam --expires 1d) GONE=$(tok paula)
gone_id=$(echo "$GONE" | cut -d_ -f2)
run token revoke "$gone_id" --as paula
expect_rc 0
export TOM_ID=$(echo "$TOM" | cut -d_ -f2) DANA_ID=$(echo "$DANA" | cut -d_ -f2)

# sam's token expires a day later: serve runs two days on
export TOLLGATE_NOW=2026-01-12T09:00:00Z
start_serve || { fail "serve did not start"; done_tests; }
head0=$(raw "SELECT count(*) FROM audit")

py '
V = "/api/v1/versions"
ok = {"env": "dev", "versions": {"api": "a-7"}}
# no token, a malformed one, an unknown one, an expired one, a revoked one: 401, nothing written
for name, tok in [("none", None), ("unknown", "tg_aaaaaaaaaa_" + "A" * 43)]:
    st, h, j, raw = sc.send("POST", V, ok, token=tok)
    sc.check(st == 401, "%s token: %d %s" % (name, st, raw))
    sc.check(h.get("www-authenticate", "").startswith("Bearer"), name + ": WWW-Authenticate")
    sc.valid(V, st, raw, method="post")
st, h, j, raw = sc.send("POST", V, ok, headers={"Authorization": "Basic dG9tOnRvbQ=="})
sc.check(st == 401 and "Bearer" in j["error"]["message"], "Basic auth: %d %s" % (st, raw))
st, h, j, raw = sc.send("POST", V, ok, token=os.environ["OLD"])
sc.check(st == 401 and "expired" in j["error"]["message"], "expired: %d %s" % (st, raw))
st, h, j, raw = sc.send("POST", V, ok, token=os.environ["GONE"])
sc.check(st == 401 and "revoked" in j["error"]["message"], "revoked: %d %s" % (st, raw))
'
[ "$(raw "SELECT count(*) FROM audit")" = "$head0" ] || fail "a refused write wrote to the audit"
[ "$(raw "SELECT count(*) FROM healthy WHERE version = 'a-7'")" = 0 ] 2>/dev/null ||
	[ "$(raw "SELECT count(*) FROM promotion WHERE version = 'a-7'")" = 0 ] || fail "a refused write recorded a-7"

py '
V = "/api/v1/versions"
T = os.environ["TOM"]
# bad bodies: 400 (or 404 for an unknown id), nothing written
bad = [
    (b"{not json", 400, "line 1"),
    (b"[1, 2]", 400, "object"),
    (b"", 400, "JSON object"),
    (json.dumps({"env": "dev", "versions": {"api": "a-7"}, "force": True}).encode(), 400, "unknown member \x27force\x27"),
    (json.dumps({"env": 3, "versions": {"api": "a-7"}}).encode(), 400, "\x27env\x27 must be a string"),
    (json.dumps({"versions": {"api": "a-7"}}).encode(), 400, "needs \x27env\x27"),
    (json.dumps({"env": "dev", "versions": {}}).encode(), 400, "not empty"),
    (json.dumps({"env": "dev", "versions": {"api": 7}}).encode(), 400, "must be a string"),
    (json.dumps({"env": "dev", "versions": {"api": "a\x017"}}).encode(), 400, "versions.api"),
    (json.dumps({"env": "dve", "versions": {"api": "a-7"}}).encode(), 404, "dev"),
    (json.dumps({"env": "dev", "versions": {"apj": "a-7"}}).encode(), 404, "did you mean \x27api\x27"),
    (b"{\"env\": \"dev\", \"env\": \"sit\", \"versions\": {\"api\": \"a-7\"}}", 400, "duplicate"),
]
for body, want, says in bad:
    st, h, j, raw = sc.send("POST", V, raw=body, token=T)
    sc.check(st == want and j and says in j["error"]["message"], "%r: %d %s (want %d, %r)" % (body[:60], st, raw, want, says))
    sc.valid(V, st, raw, method="post")
# a person without the right: 403 (prod is promoted by the devops lead)
st, h, j, raw = sc.send("POST", V, {"env": "prod", "versions": {"api": "a-1"}}, token=T)
sc.check(st == 403 and j["error"]["code"] == "forbidden", "tom records in prod: %d %s" % (st, raw))
sc.valid(V, st, raw, method="post")
'
[ "$(raw "SELECT count(*) FROM audit")" = "$head0" ] || fail "a bad write wrote to the audit"

# a good write: the CLI's bytes, audited as the token's person through token:ID
py '
V = "/api/v1/versions"
st, h, j, raw = sc.send("POST", V, {"env": "dev", "versions": {"api": "a-7", "db": "d-7"}}, token=os.environ["TOM"])
sc.check(st == 200, "record: %d %s" % (st, raw))
j.pop("rehearsal", None)
sc.check(j == {"recorded": [{"project": "api", "env": "dev", "version": "a-7"}, {"project": "db", "env": "dev", "version": "d-7"}], "already": 0, "changed": True}, "record answer %s" % raw)
sc.valid(V, st, raw, method="post")
st, h, j, raw = sc.send("POST", V, {"env": "dev", "versions": {"api": "a-7"}}, token=os.environ["TOM"])
sc.check(st == 200 and j["already"] == 1 and j["changed"] is False, "again: %s" % raw)
st, h, j, raw = sc.send("POST", V, {"env": "prod", "versions": {"api": "a-1"}}, token=os.environ["DANA"])
sc.check(st == 200 and j["changed"] is True, "dana records in prod: %d %s" % (st, raw))
'
run log --json
expect_rc 0
expect_json "[(e['actor'], e['auth']) for e in j['entries'] if e['action'].startswith('record')] == [('tom', 'token:$TOM_ID'), ('dana', 'token:$DANA_ID')]"
# the answer matches what the CLI prints for the same call
printf 'api a-7\n' >"$T/v"
"$TOLLGATE_BIN" record --env dev --versions "$T/v" --as tom --json >"$T/cli.json"
py '
st, h, j, raw = sc.send("POST", "/api/v1/versions", {"env": "dev", "versions": {"api": "a-7"}}, token=os.environ["TOM"])
sc.check(raw == open(os.environ["T"] + "/cli.json", "rb").read(), "not the CLI bytes: %s vs %s" % (raw, open(os.environ["T"] + "/cli.json", "rb").read()))
'

# guessing: after 5 bad tokens from one address, 429 with Retry-After, even for a good token
py '
for i in range(5):
    st, h, j, raw = sc.send("POST", "/api/v1/versions", {"env": "dev", "versions": {"api": "a-8"}}, token="tg_bbbbbbbbbb_" + "B" * 43)
    sc.check(st == 401, "guess %d: %d" % (i, st))
st, h, j, raw = sc.send("POST", "/api/v1/versions", {"env": "dev", "versions": {"api": "a-8"}}, token=os.environ["TOM"])
sc.check(st == 429 and int(h.get("retry-after", "0")) >= 1, "locked out: %d %s %s" % (st, h.get("retry-after"), raw))
sc.valid("/api/v1/versions", st, raw, method="post")
'
[ "$(raw "SELECT count(*) FROM audit WHERE action LIKE 'record%' AND detail LIKE '%a-8%'")" = 0 ] || fail "a locked-out write was recorded"

stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
done_tests
