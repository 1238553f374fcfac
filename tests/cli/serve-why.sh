#!/bin/bash
# serve-why.sh - the server answers why from a state read once per audit
# head (query.h, ready_why_from): for every project and environment its
# bytes are the CLI's `why --json`, on a store with promotions, a rollback
# and a project held by three of them (the hold rule: read from the
# store), a pair deploying, then with its runner killed (is its runner alive
# now: read from the store), and after each write (read again); then on a
# plan with gates, approvals, checklist items, a blocker and a wave waiting
# for another, after each of a series of writes.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T TOLLGATE_USER=olga
export TOLLGATE_NOW=2026-02-01T10:00:00Z
cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
for p in a b c d e; do run record $p dev --version "1.$p" --as sam; expect_rc 0; done
run promote --to sit --project a --project e
expect_rc 0
for p in a e; do run record $p dev --version "2.$p" --as sam; expect_rc 0; done
run promote --to sit --project a --project e
expect_rc 0
run rollback a sit --reason "bad config" --as olga
expect_rc 0

start_serve || { fail "serve did not start"; done_tests; }

same_as_cli() { # WHAT
	py '
import subprocess
B = os.environ["TOLLGATE_BIN"]
for p in "abcde":
    for env in ("sit", "prod"):
        r = subprocess.run([B, "why", p, env, "--json"], capture_output=True)
        st, h, body = sc.get("/api/v1/why/%s/%s" % (p, env))
        sc.check(st == 200 and body == r.stdout, "'"$1"': why %s %s differs from the CLI:\n%s\n%s" % (p, env, body.decode(), r.stdout.decode()))
'
}
same_as_cli "promoted, a rolled back in sit"

run record b dev --version 2.b --as sam
expect_rc 0
same_as_cli "after a write"

# e deploying (its deploy sleeps): the rules that ask whether its runner is alive
run record e dev --version 3.e --as sam
expect_rc 0
echo 4 >.fx/sleep-e
"$TOLLGATE_BIN" promote --to sit --project e >"$T/promote.out" 2>&1 &
promote_pid=$!
for i in $(seq 50); do
	"$TOLLGATE_BIN" status --json | grep -q '"state": "deploying"' && break
	sleep 0.1
done
checks=$((checks + 1))
"$TOLLGATE_BIN" status --json | grep -q '"state": "deploying"' || fail "e is not deploying"
same_as_cli "e deploying"
# its runner killed: no audit entry says so, the lease's pid does
kill -9 $promote_pid
wait $promote_pid 2>/dev/null || true
run why e sit
expect_out_has "lost its runner"
same_as_cli "e deploying, its runner gone"
rm -f .fx/sleep-e
run promote --to sit --project e
expect_rc 0
same_as_cli "e repaired and promoted"

# a rolled back by hand, then twice by failed health checks: held (three in 24h)
touch .fx/fail-verify-a
for v in 3 4; do
	run record a dev --version "$v.a" --as sam
	expect_rc 0
	run promote --to sit --project a
	expect_rc 1
done
rm .fx/fail-verify-a
run record a dev --version 6.a --as sam
expect_rc 0
run why a sit
expect_out_has "held: a was rolled back 3 times in sit"
same_as_cli "a held"

stop_serve TERM
checks=$((checks + 1))
[ "$serve_rc" -eq 0 ] || fail "serve exit $serve_rc"

# gates, approvals, checklist, blockers and a second wave waiting for the
# first (another plan on the same store): every pair as the CLI says it
cp "$FIXTURES/state-small.yaml" tollgate.yaml
export TOLLGATE_NOW=2026-01-14T09:00:00Z
unset TOLLGATE_USER
for args in "record api dev --version a-1 --as tom" "record db dev --version d-1 --as tom" \
	"record web dev --version w-1 --as tom" "approve gate-3 --as dana" "check api-tests --as sam" \
	"blocker api_infra --progress 80 --as dana"; do
	run $args
	expect_rc 0
done
start_serve || { fail "serve did not start"; done_tests; }
same_state_small() { # WHAT
	py '
import subprocess
B = os.environ["TOLLGATE_BIN"]
for p in ("api", "db", "web"):
    for env in ("sit", "prod"):
        r = subprocess.run([B, "why", p, env, "--json"], capture_output=True)
        st, h, body = sc.get("/api/v1/why/%s/%s" % (p, env))
        sc.check(st == 200 and body == r.stdout, "'"$1"': why %s %s differs from the CLI:\n%s\n%s" % (p, env, body.decode(), r.stdout.decode()))
'
}
same_state_small "gate-3 half approved, a blocker open"
for args in "approve gate-3 --as tom" "check infra-validated --as tom" "blocker api_infra --resolve --as dana" \
	"record api sit --version a-1 --as tom" "approve gate-4 --as paula"; do
	run $args
	expect_rc 0
	same_state_small "after $args"
done
stop_serve TERM
checks=$((checks + 1))
[ "$serve_rc" -eq 0 ] || fail "serve exit $serve_rc"
done_tests
