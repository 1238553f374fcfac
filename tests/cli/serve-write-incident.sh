#!/bin/bash
# serve-write-incident.sh - a level-3 incident opened through the API
# (POST /api/v1/incidents) rolls the project back in the environment as
# `tollgate incident open --level 3` does: the rollback command runs with the
# same variables, the pair ends rolled-back, the version is rejected there,
# and the audit shows the token's person through token:ID; where nothing is
# live nothing runs. The CLI does the same to another project on the same
# store, for comparison.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export TOLLGATE_NOW=2026-02-01T10:00:00Z
for v in 1 2; do
	for p in a e; do run record $p dev --version "$v.$p" --as sam; done
	run promote --to sit --project a --project e --as olga
	expect_rc 0
done
checks=$((checks + 1))
[ "$(cat .fx/sit/a) $(cat .fx/sit/e)" = "2.a 2.e" ] || fail "not 2.a 2.e in sit: $(cat .fx/sit/a) $(cat .fx/sit/e)"
export OLGA=$("$TOLLGATE_BIN" token create olga --as olga --json |
	/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
OLGA_ID=$(echo "$OLGA" | cut -d_ -f2)

start_serve || { fail "serve did not start"; done_tests; }
py '
st, h, j, raw = sc.send("POST", "/api/v1/incidents", {"level": 3, "env": "sit", "project": "a", "text": "data corruption seen"}, token=os.environ["OLGA"])
sc.check(st == 201 and j["id"] == 1 and h.get("location") == "/api/v1/incidents/1", "open: %d %s %s" % (st, h.get("location"), raw))
sc.valid("/api/v1/incidents", st, raw, method="post")
st, h, j, raw = sc.send("GET", "/api/v1/status")
cells = {(c["project"], c["env"]): c for c in j["cells"]}
sc.check(cells[("a", "sit")]["state"] == "rolled-back" and cells[("a", "sit")]["live_version"] == "1.a", "a in sit: %s" % cells[("a", "sit")])
sc.check(cells[("e", "sit")]["state"] == "healthy", "e in sit is untouched: %s" % cells[("e", "sit")])
# nothing live in prod: the incident opens, nothing runs
st, h, j, raw = sc.send("POST", "/api/v1/incidents", {"level": 3, "env": "prod", "project": "c", "text": "c looks wrong"}, token=os.environ["OLGA"])
sc.check(st == 201 and j["id"] == 2, "open on c: %d %s" % (st, raw))
'
checks=$((checks + 1))
[ "$(cat .fx/sit/a)" = 1.a ] || fail "the API's level-3 incident did not roll a back: $(cat .fx/sit/a)"
checks=$((checks + 1))
grep -qxF "a sit 2.a -> 1.a" .fx/rollbacks || fail "rollback env: $(cat .fx/rollbacks)"

# the CLI on e, on the same store while the server runs: the same response
run incident open --level 3 --env sit --project e --as olga --json "data corruption seen"
expect_rc 0
expect_json 'j["id"] == 3 and j["project"] == "e" and j["level"] == 3'
checks=$((checks + 1))
[ "$(cat .fx/sit/e)" = 1.e ] || fail "the CLI's level-3 incident did not roll e back: $(cat .fx/sit/e)"
run why a sit --json
expect_rc 3
cp "$T/out" "$T/why-a.json"
run why e sit --json
expect_rc 3
# the two pairs read the same (2.x rolled back and rejected in sit) but for their names
checks=$((checks + 1))
/usr/bin/python3 - "$T/why-a.json" "$T/out" <<'PY' || fail "a and e differ after the rollbacks"
import json, sys
a, e = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
sa = json.dumps(a["rules"][0]).replace(".a", ".X").replace("incident 1 ", "incident N ")
se = json.dumps(e["rules"][0]).replace(".e", ".X").replace("incident 3 ", "incident N ")
if sa != se or "rolled back from sit" not in sa or a["version"] != "2.a" or e["version"] != "2.e":
    print(sa, se, sep="\n----\n", file=sys.stderr)
    sys.exit(1)
PY
run log --json
expect_rc 0
# the API's incident and its rollback: olga through her token; the CLI's: olga, not through a token
expect_json "[(e['action'], e['subject'], e['auth']) for e in j['entries'] if e['subject'] in ('a@sit', 'e@sit') and e['action'] in ('incident.open', 'rollback')] == [('incident.open', 'a@sit', 'token:$OLGA_ID'), ('rollback', 'a@sit', 'token:$OLGA_ID'), ('incident.open', 'e@sit', 'claim:olga'), ('rollback', 'e@sit', 'claim:olga')]"
expect_json "[e['detail'].split(' (run ')[0] for e in j['entries'] if e['action'] == 'rollback' and e['subject'] == 'a@sit'] == ['version 2.a, previous 1.a: rolled back by olga to 1.a: incident 1 (level 3): data corruption seen']"
# c had nothing live in prod: no rollback entry
expect_json "[e['action'] for e in j['entries'] if e['subject'] == 'c@prod'] == ['incident.open']"
run log --verify
expect_rc 0

stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
done_tests
