#!/bin/bash
# cli-concurrency.sh - eight `tollgate` processes writing at once: every call
# waits its turn for the store's write lock (none fails with "database is
# locked"), nothing is lost, and the audit chain holds.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"

if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
	TOLLGATE_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
else
	TOLLGATE_DB="sqlite:$T/state.db"
fi
export TOLLGATE_DB TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$TOLLGATE_SRC/tests/fixtures/state-small.yaml" tollgate.yaml
PER=25
projects="api db web"

writer() { # N: records versions and approvals, stops at the first failure
	local n=$1 i
	for i in $(seq 1 $PER); do
		"$TOLLGATE_BIN" record "$(echo $projects | cut -d' ' -f$((n % 3 + 1)))" dev \
			--version "w$n-$i" --as tom >/dev/null 2>"$T/err.$n" || { echo "writer $n failed at $i" >"$T/fail.$n"; return 1; }
	done
}

pids=""
for n in 1 2 3 4 5 6 7 8; do
	writer $n &
	pids="$pids $!"
done
for pid in $pids; do wait "$pid" || true; done

checks=$((checks + 1))
if ls "$T"/fail.* >/dev/null 2>&1; then
	fail "a writer failed: $(cat "$T"/fail.* | head -3); $(cat "$T"/err.* | sort -u | head -3)"
fi
run log --verify
expect_rc 0
# the rows: 3 promotions and one history row per record
[ "$out" = "$REHEARSAL_MARK
audit log verified: $((8 * PER)) entries; the state ($((3 + 8 * PER)) rows) is what they wrote" ] ||
	fail "verify: $out"
checks=$((checks + 1))
run log --json
expect_json "len(j['entries']) == $((8 * PER))"
expect_json "all(sum(1 for e in j['entries'] if e['detail'].startswith('version w%d-' % n)) == $PER for n in range(1, 9))"
done_tests
