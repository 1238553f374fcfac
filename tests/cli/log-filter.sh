#!/bin/bash
# log-filter.sh - `log` filters (issue 14, section 3): --project, --env,
# --actor, --action (globs), --since, --until (dates or RFC 3339), each
# repeatable, with --limit counting matches; --follow prints the entries a
# second process appends as they land and exits 0 on SIGINT or SIGTERM (with
# --json the document is closed, so stdout stays parseable).
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
cp "$FIXTURES/cli.yaml" tollgate.yaml
export TOLLGATE_USER=alice

at() { TOLLGATE_NOW=$1; export TOLLGATE_NOW; }
at 2026-03-01T09:00:00Z
run record ledger dev --version 1.0            # 1
run record payments dev --version 5.0          # 2
at 2026-03-02T10:00:00Z
run check qa-signoff --as sam                  # 3
run incident open --level 1 --env prod-eu --project ledger slow  # 4
run incident open --level 1 --env staging other                  # 5
at 2026-03-03T11:30:00Z
run incident resolve 2                         # 6
run reject ledger 1.0 --env prod-us --reason bad                 # 7
run record ledger staging --version 1.0        # 8
expect_rc 0

seqs() { python3 -c 'import json,sys; print(" ".join(str(e["seq"]) for e in json.load(open(sys.argv[1]))["entries"]))' "$T/out"; }
expect_seqs() {
	local got
	run log --json "$@"
	checks=$((checks + 1))
	got=$(seqs)
	[ "$got" = "$EXPECT" ] || fail "log $*: seqs '$got', expected '$EXPECT'"
}
EXPECT="1 4 7 8" expect_seqs --project ledger
EXPECT="1 2 4 7 8" expect_seqs --project ledger --project payments
EXPECT="4" expect_seqs --project ledger --env prod-eu
EXPECT="5" expect_seqs --env staging --action 'incident.*'
EXPECT="4 5 6" expect_seqs --action 'incident.*'
EXPECT="3" expect_seqs --actor sam
EXPECT="3 4 5 6 7 8" expect_seqs --actor 'a*' --actor sam --since 2026-03-02
EXPECT="1 2 3 4 5" expect_seqs --until 2026-03-02
EXPECT="3 4 5" expect_seqs --since 2026-03-02T10:00:00Z --until 2026-03-02T10:00:00Z
EXPECT="7 8" expect_seqs --project ledger -n 2
EXPECT="" expect_seqs --actor nobody -n 3
EXPECT="6 7 8" expect_seqs -n 3

run log --action 'incident.*'
expect_rc 0
expect_out_has "incident.open"
expect_out_lacks "record"
run log --actor nobody
expect_out_has "no entry of the audit log matches"
run log --env prod
expect_rc 2
expect_err_line "tollgate: error: unknown environment 'prod'; did you mean 'prod-eu' or 'prod-us'?"
run log --since yesterday
expect_rc 2
expect_err_has "--since 'yesterday' is not a date"
run log --since 2026-03-03 --until 2026-03-02
expect_rc 2
run log --verify --actor alice
expect_rc 2

# --follow: what a second process appends, as it lands
follow_run() { # ARGS...: starts `log --follow ARGS` in the background
	"$TOLLGATE_BIN" log --follow "$@" >"$T/follow.out" 2>"$T/follow.err" &
	fpid=$!
}
wait_for() { # TEXT: until follow.out holds it (10 s at most)
	for _ in $(seq 100); do
		grep -qF -- "$1" "$T/follow.out" && return 0
		sleep 0.1
	done
	return 1
}
follow_run --project accounts
sleep 0.5
run record accounts dev --version 7.7
run record payments dev --version 5.1
run record accounts staging --version 7.7
checks=$((checks + 1))
wait_for "accounts@staging" || fail "log --follow did not print the new entry"
kill -INT "$fpid"
set +e; wait "$fpid"; frc=$?; set -e
checks=$((checks + 1))
[ "$frc" -eq 0 ] || fail "log --follow exited $frc on SIGINT"
checks=$((checks + 1))
grep -q "accounts@dev: version 7.7" "$T/follow.out" || fail "follow: accounts@dev missing"
checks=$((checks + 1))
if grep -q "payments" "$T/follow.out"; then fail "follow: the filter let payments through"; fi

follow_run --json --action 'incident.*'
sleep 0.5
run incident open --level 1 --env dev late
checks=$((checks + 1))
wait_for '"action": "incident.open", "subject": "dev"' || wait_for "late" || fail "log --follow --json did not print the new entry"
kill -TERM "$fpid"
set +e; wait "$fpid"; frc=$?; set -e
checks=$((checks + 1))
[ "$frc" -eq 0 ] || fail "log --follow --json exited $frc on SIGTERM"
cp "$T/follow.out" "$T/out"
expect_json '[e["action"] for e in j["entries"]] == ["incident.open", "incident.open", "incident.resolve", "incident.open"]'
expect_json 'j["entries"][-1]["detail"].endswith("late")'
done_tests
