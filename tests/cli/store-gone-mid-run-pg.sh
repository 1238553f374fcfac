#!/bin/bash
# store-gone-mid-run-pg.sh - a state write that fails mid-run because the
# PostgreSQL server is gone: a step stops the server (pg_ctl stop -m fast)
# of a private instance this test starts for itself (never the shared one
# of the ctest fixture), and the run cannot connect again.
#
# promote: verify never runs, the dependent never starts, the project is
# reported `interrupted` with what the store holds (`deploying`), exit 1
# naming the server that is gone. With the server started again, status and
# why show `deploying` and the next promote repairs the pair
# (`promotion.interrupted`) and finishes. rollback: what ran is said, and
# the store keeps what it held until the rollback runs again.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

PGD="$T/pg"
bash "$TOLLGATE_SRC/tests/pg/pg-start.sh" "$PGD" >/dev/null
trap 'bash "$TOLLGATE_SRC/tests/pg/pg-stop.sh" "$PGD" >/dev/null 2>&1; rm -rf "$T"' EXIT
RUN=$PGD
[ -f "$PGD/rundir" ] && RUN=$(cat "$PGD/rundir")
url=$(cat "$PGD/url")
port=${url##*:}
port=${port%%/*}
bindir=""
if command -v pg_ctl >/dev/null 2>&1; then
	bindir=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
else
	for d in /usr/lib/postgresql/*/bin; do [ -x "$d/pg_ctl" ] && bindir=$d; done
fi
as_user=""
[ "$(id -u)" -eq 0 ] && as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
# pgctl start|stop: the private server, its data kept (as pg-start.sh runs it)
cat >pgctl.sh <<EOF
cd "$RUN" || exit 1
if [ "\$1" = stop ]; then
	$as_user "$bindir/pg_ctl" -D "$RUN/data" -m fast -w -t 60 stop >/dev/null
else
	$as_user "$bindir/pg_ctl" -D "$RUN/data" -l "$RUN/log" -w -t 60 \\
		-o "-p $port -k $RUN/sock -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
fi
EOF

export TOLLGATE_DB=$url
export TOLLGATE_NOW=2026-02-01T10:00:00Z
export TOLLGATE_USER=olga # a promotion needs a person

cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: GONE, title: The store's server gone mid-run}
environments:
  - {name: dev}
  - {name: sit}
people: [{id: olga, roles: [ops]}]
waves:
  - {id: w1}
projects:
  - id: a
    wave: w1
    deploy: "if [ -e stop-deploy ]; then rm stop-deploy; sh pgctl.sh stop; fi; echo a >>deployed"
    verify: "echo a >>verified"
    rollback: "if [ -e stop-rollback ]; then rm stop-rollback; sh pgctl.sh stop; fi; echo a >>rolledback"
  - {id: b, wave: w1, deploy: "echo b >>deployed", depends_on: [a]}
EOF
for p in a b; do
	run record $p dev --version 1.0
	expect_rc 0
done

# ---- promote: the server stops during the deploy -------------------------------------
touch stop-deploy
run promote --to sit
expect_rc 1
expect_err_has "tollgate: error: the store failed mid-run, so promote stopped: the PostgreSQL server 127.0.0.1:$port is gone ("
expect_err_has "start it again or check the network, then try again"
expect_out_has "a sit: interrupted 1.0"
expect_out_has "    deploy ended"
expect_out_has "the store failed; it still holds deploying 1.0 under this run's lease"
expect_out_has "b sit: skipped 1.0"
expect_out_has "0 healthy, 0 soaking, 0 rolled back, 0 failed, 1 skipped, 1 interrupted"
expect_out_lacks "failed 1.0"
checks=$((checks + 1))
[ ! -e verified ] || fail "verify ran after the store failed"
checks=$((checks + 1))
[ "$(cat deployed)" = a ] || fail "the dependent was deployed after the store failed: $(cat deployed)"
checks=$((checks + 1))
[ ! -e rolledback ] || fail "a rollback ran after the store failed"

# the server is down: status says so
run status
expect_rc 1
expect_err_has "cannot open the store"

# the server back: status and why show what the store holds; promote repairs it
sh pgctl.sh start
run status --json
expect_rc 0
expect_json '[c["state"] for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"] == ["deploying"]'
run why a sit --json
expect_rc 0
expect_json '"deploying" in [r for r in j["rules"] if r["rule"] == "source"][0]["detail"]'
run promote --to sit
expect_rc 0
expect_out_has "2 healthy, 0 soaking, 0 rolled back, 0 failed, 0 skipped"
run log --json
expect_json '[e["action"] for e in j["entries"] if e["subject"] == "a@sit"] == ["promotion.deploying", "promotion.interrupted", "promotion.deploying", "promotion.verifying", "promotion.healthy"]'

# ---- rollback by hand: the server stops during it ----------------------------------------
touch stop-rollback
run rollback a sit
expect_rc 1
expect_err_has "tollgate: error: the rollback of a in sit ran, but the store could not record it: the PostgreSQL server 127.0.0.1:$port is gone ("
expect_err_has "it still holds healthy 1.0 there: run 'tollgate rollback a sit' again once the store works"
sh pgctl.sh start
run status --json
expect_json '[c["state"] for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"] == ["healthy"]'
run rollback a sit
expect_rc 0
run status --json
expect_json '[c["state"] for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"] == ["rolled-back"]'
run log --verify
expect_rc 0
done_tests
