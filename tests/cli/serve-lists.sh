#!/bin/bash
# serve-lists.sh - the API answers what the listing commands print: GET
# /api/v1/gates, /checklist, /incidents, /blockers and /rejections are the
# bytes of `tollgate gates --json` … with the same filters (?env, ?open,
# ?done), valid against openapi.json; a bad filter is 400 or 404.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"
backend_store
export T
export TOLLGATE_NOW=2026-03-02T10:00:00Z TOLLGATE_USER=alice
cp "$FIXTURES/cli.yaml" tollgate.yaml
for step in "record ledger dev --version 1.0" "record ledger staging --version 1.0" \
	"check qa-signoff --as sam" "incident open --level 1 --env prod-eu --project ledger slow" \
	"incident open --level 1 --env staging other" "incident resolve 2" \
	"reject ledger 1.0 --env prod-us --reason bad" "approve prod-cab" "blocker vpn --progress 40"; do
	# shellcheck disable=SC2086
	run $step
	expect_rc 0
done
start_serve || { fail "serve did not start"; done_tests; }
i=0
while read -r path cli; do
	i=$((i + 1))
	# shellcheck disable=SC2086
	"$TOLLGATE_BIN" $cli --json >"$T/cli-$i.json"
	echo "$path $T/cli-$i.json" >>"$T/pairs"
done <<'LIST'
/api/v1/gates gates
/api/v1/gates?env=staging gates --env staging
/api/v1/checklist checklist
/api/v1/checklist?done=false checklist --undone
/api/v1/checklist?done=true checklist --done
/api/v1/incidents incidents
/api/v1/incidents?open=1 incidents --open
/api/v1/incidents?env=staging incidents --env staging
/api/v1/blockers blockers
/api/v1/blockers?open=true&env=prod-eu blockers --open --env prod-eu
/api/v1/rejections rejections
/api/v1/rejections?open=1 rejections --open
LIST
py '
for line in open(os.environ["T"] + "/pairs"):
    path, cli = line.split()
    st, h, body = sc.get(path)
    sc.check(st == 200, "%s: status %d" % (path, st))
    sc.check(body == open(cli, "rb").read(), "%s differs from the CLI: %r" % (path, body[:200]))
    sc.valid(path.split("?")[0], st, body, h.get("content-type", ""))
st, h, body = sc.get("/api/v1/incidents?env=prod")
sc.check(st == 404 and b"prod-eu" in body, "unknown env: %d %r" % (st, body))
sc.valid("/api/v1/incidents", st, body, h.get("content-type", ""))
st, h, body = sc.get("/api/v1/blockers?open=maybe")
sc.check(st == 400, "bad flag: %d %r" % (st, body))
st, h, body = sc.get("/api/v1/checklist")
j = json.loads(body)
sc.check([(i["id"], i["done"], i["by"]) for c in j["checklist"] for i in c["items"]] == [("qa-signoff", True, "sam"), ("runbook", False, None)], "checklist: %r" % j)
'
stop_serve
done_tests
