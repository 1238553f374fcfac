#!/bin/bash
# serve-session.sh - signing in to the dashboard (issue 12 item 1): an API
# token starts a server-side session (an HttpOnly, SameSite=Strict cookie,
# Secure under TLS, that expires); the store keeps its hash only; a
# session's write needs the page's Origin and its CSRF token (403 without,
# nothing written); revoking the token or signing out ends the session; a
# session survives a server restart until it expires; sign-in failures are
# throttled like bad tokens; all of it is audited with token:ID.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$FIXTURES/state-small.yaml" tollgate.yaml
tok() { "$TOLLGATE_BIN" token create "$1" --as "$1" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
export TOM=$(tok tom) SAM=$(tok sam)
export TOM_ID=$(echo "$TOM" | cut -d_ -f2) SAM_ID=$(echo "$SAM" | cut -d_ -f2)
start_serve || { fail "serve did not start"; done_tests; }

# sign in; the cookie's attributes; who am I; a write with and without the CSRF token and Origin
py '
import re
st, h, j, raw = sc.send("POST", "/api/v1/session", {"token": "tg_aaaaaaaaaa_" + "A" * 43})
sc.check(st == 401 and j["error"]["code"] == "unauthorized", "a bad token signs in: %d %s" % (st, raw))
st, h, j, raw = sc.send("POST", "/api/v1/session", {"token": os.environ["TOM"]}, headers={"Origin": "http://evil.example"})
sc.check(st == 403, "a sign-in from another site: %d %s" % (st, raw))
st, h, j, raw = sc.send("POST", "/api/v1/session", {"token": os.environ["TOM"]})
sc.check(st == 201, "sign in: %d %s" % (st, raw))
sc.valid("/api/v1/session", st, raw, method="post")
c = h.get("set-cookie", "")
sc.check(re.match(r"tg_session=ts_[a-z2-7]{16}_[A-Za-z0-9_-]{43}; Path=/; Max-Age=43200; HttpOnly; SameSite=Strict$", c) is not None, "cookie: %r" % c)
sc.check(j["person"] == "tom" and j["roles"] == ["tech-lead"] and len(j["csrf"]) == 43 and j["expires"] == "2026-01-10T21:00:00Z", "who: %s" % raw)
cookie = c.split(";")[0]
open(os.environ["T"] + "/cookie", "w").write(cookie)
open(os.environ["T"] + "/csrf", "w").write(j["csrf"])
# who am I, with the cookie; without it nobody
st, h, j2, raw = sc.send("GET", "/api/v1/session", headers={"Cookie": cookie})
sc.check(st == 200 and j2["person"] == "tom" and j2["csrf"] == j["csrf"], "GET session: %d %s" % (st, raw))
sc.valid("/api/v1/session", st, raw)
st, h, j2, raw = sc.send("GET", "/api/v1/session")
sc.check(st == 401, "GET session without a cookie: %d" % st)
origin = sc.URL.scheme + "://" + sc.URL.netloc
V = "/api/v1/versions"
body = {"env": "dev", "versions": {"api": "a-5"}}
for name, hd in [("no CSRF token", {"Cookie": cookie, "Origin": origin}),
                 ("a wrong CSRF token", {"Cookie": cookie, "Origin": origin, "X-CSRF-Token": "x" * 43}),
                 ("another site", {"Cookie": cookie, "Origin": "http://evil.example", "X-CSRF-Token": j["csrf"]}),
                 ("no Origin", {"Cookie": cookie, "X-CSRF-Token": j["csrf"]})]:
    st, h, jj, raw = sc.send("POST", V, body, headers=hd)
    sc.check(st == 403 and jj["error"]["code"] == "forbidden", "%s: %d %s" % (name, st, raw))
st, h, jj, raw = sc.send("POST", V, body, headers={"Cookie": cookie, "Origin": origin, "X-CSRF-Token": j["csrf"]})
sc.check(st == 200 and jj["changed"] is True, "the page writes: %d %s" % (st, raw))
# a forged cookie
st, h, jj, raw = sc.send("POST", V, body, headers={"Cookie": cookie[:-3] + "AAA", "Origin": origin, "X-CSRF-Token": j["csrf"]})
sc.check(st == 401, "a forged cookie: %d %s" % (st, raw))
'
run log --json
expect_rc 0
expect_json "[(e['action'], e['actor'], e['auth']) for e in j['entries'] if e['action'] in ('session.started', 'record')] == [('session.started', 'tom', 'token:$TOM_ID'), ('record', 'tom', 'token:$TOM_ID')]"
checks=$((checks + 1))
[ "$(raw "SELECT count(*) FROM audit WHERE action = 'record'")" = 1 ] || fail "a refused write was recorded"
# the store keeps the cookie's hash, never the cookie
cookie=$(cut -d= -f2 "$T/cookie")
checks=$((checks + 1))
[ "$(raw "SELECT hash FROM session")" = "$(printf %s "$cookie" | sha256sum | cut -d' ' -f1)" ] || fail "the stored hash is not the cookie's SHA-256"
checks=$((checks + 1))
if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = sqlite ]; then ! grep -qa "$cookie" .tollgate/state.db* || fail "the cookie is in the database file"; fi

# a restart keeps the session; one later than its expiry ends it
stop_serve
start_serve || { fail "serve did not restart"; done_tests; }
py '
cookie = open(os.environ["T"] + "/cookie").read()
st, h, j, raw = sc.send("GET", "/api/v1/session", headers={"Cookie": cookie})
sc.check(st == 200 and j["person"] == "tom", "after a restart: %d %s" % (st, raw))
'
stop_serve
export TOLLGATE_NOW=2026-01-10T21:00:01Z
start_serve || { fail "serve did not restart"; done_tests; }
py '
cookie = open(os.environ["T"] + "/cookie").read()
st, h, j, raw = sc.send("GET", "/api/v1/session", headers={"Cookie": cookie})
sc.check(st == 401, "an expired session: %d %s" % (st, raw))
# a stale cookie does not stop an open read
st, h, body = sc.get("/api/v1/status", {"Cookie": cookie})
sc.check(st == 200, "a read with a stale cookie: %d" % st)
'

# revoking the token ends its sessions; signing out ends one
py '
st, h, j, raw = sc.send("POST", "/api/v1/session", {"token": os.environ["SAM"]})
sc.check(st == 201, "sam signs in: %d %s" % (st, raw))
open(os.environ["T"] + "/sam", "w").write(h["set-cookie"].split(";")[0] + "\n" + j["csrf"])
st, h, j, raw = sc.send("POST", "/api/v1/session", {"token": os.environ["TOM"]})
open(os.environ["T"] + "/tom2", "w").write(h["set-cookie"].split(";")[0] + "\n" + j["csrf"])
'
run token revoke "$SAM_ID" --as sam
expect_rc 0
py '
origin = sc.URL.scheme + "://" + sc.URL.netloc
cookie, csrf = open(os.environ["T"] + "/sam").read().split("\n")
st, h, j, raw = sc.send("GET", "/api/v1/session", headers={"Cookie": cookie})
sc.check(st == 401 and "revoked" in raw.decode(), "a session of a revoked token: %d %s" % (st, raw))
cookie, csrf = open(os.environ["T"] + "/tom2").read().split("\n")
st, h, j, raw = sc.send("DELETE", "/api/v1/session", headers={"Cookie": cookie})
sc.check(st == 403, "sign out without the CSRF token: %d" % st)
st, h, j, raw = sc.send("DELETE", "/api/v1/session", headers={"Cookie": cookie, "Origin": origin, "X-CSRF-Token": csrf})
sc.check(st == 200 and j == {"signed_out": True}, "sign out: %d %s" % (st, raw))
sc.check(h.get("set-cookie", "").startswith("tg_session=; Path=/; Max-Age=0;"), "the cookie is cleared: %r" % h.get("set-cookie"))
sc.valid("/api/v1/session", st, raw, method="delete")
st, h, j, raw = sc.send("GET", "/api/v1/session", headers={"Cookie": cookie})
sc.check(st == 401 and "signed out" in raw.decode(), "after signing out: %d %s" % (st, raw))
# guessing sessions is throttled like guessing tokens
for i in range(5):
    st, h, j, raw = sc.send("POST", "/api/v1/session", {"token": "tg_bbbbbbbbbb_" + "B" * 43})
st, h, j, raw = sc.send("POST", "/api/v1/session", {"token": os.environ["TOM"]})
sc.check(st == 429 and int(h.get("retry-after", 0)) >= 1, "throttled: %d %s" % (st, raw))
'
run log --json
expect_rc 0
expect_json "[e['action'] for e in j['entries'] if e['action'].startswith('session.')] == ['session.started', 'session.started', 'session.started', 'session.ended']"
stop_serve

# under TLS the cookie is Secure
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
export SERVE_CA="$T/cert.pem"
start_serve --tls-cert cert.pem --tls-key key.pem || { fail "https serve did not start"; done_tests; }
py '
st, h, j, raw = sc.send("POST", "/api/v1/session", {"token": os.environ["TOM"]})
sc.check(st == 201 and h.get("set-cookie", "").endswith("; HttpOnly; SameSite=Strict; Secure"), "https cookie: %d %r" % (st, h.get("set-cookie")))
'
stop_serve
done_tests
