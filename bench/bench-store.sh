#!/bin/bash
# bench-store.sh [BUILD] - audit log throughput on both backends.
#
# For SQLite and for a throw-away PostgreSQL (tests/pg/pg-start.sh, which runs
# with fsync off: this measures tollgate, not the disk), appends N chained
# audit entries (default 1,000,000) in one transaction, then times
# `tollgate log --verify` (best of 3) and reports entries/s, by the wall
# clock and by the CPU time tollgate itself used (on a shared, loaded machine
# the second is the stable figure; for PostgreSQL the server's work is only in
# the wall clock). Target: verify >= 500,000 entries/s.
#
# BUILD (argument or environment, default ./build) holds tollgate and
# libtollgate_core.a; ENTRIES overrides N.
set -eu
N=${ENTRIES:-1000000}
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-${BUILD:-$SRC/build}}" && pwd)
[ -x "$BUILD/tollgate" ] && [ -f "$BUILD/libtollgate_core.a" ] || {
	echo "bench-store: error: build first: cmake -S . -B build -G Ninja && cmake --build build" >&2
	exit 1
}
W=$(mktemp -d "${TMPDIR:-/tmp}/bench-store.XXXXXX")
chmod 755 "$W"
cleanup() {
	[ -f "$W/pg/url" ] && bash "$SRC/tests/pg/pg-stop.sh" "$W/pg" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT

# shellcheck disable=SC2046
cc -O2 -std=gnu11 -I"$SRC/src" -o "$W/gen" "$SRC/bench/bench-store-gen.c" "$BUILD/libtollgate_core.a" \
	$(pkg-config --libs yaml-0.1 jansson sqlite3 libpq libcrypto) -lpthread -lm
cp "$BUILD/tollgate" "$W/tollgate" # a rebuild during the run must not change it
PLAN="$SRC/tests/fixtures/state-small.yaml"
# the plan's id: the generated entries must belong to it (one store, many plans)
PLAN_ID=$(sed -n 's/^plan: {id: \([^,}]*\).*/\1/p; s/^  id: //p' "$PLAN" | head -1)

verify_rate() { # URL: best of 3, wall clock and the CPU time tollgate used
	python3 - "$N" "$W/tollgate" "$PLAN" "$1" <<'PY'
import resource, subprocess, sys, time
n, exe, plan, url = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
best_wall = best_cpu = None
for _ in range(3):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    out = subprocess.run([exe, "--plan", plan, "--db", url, "log", "--verify"],
                         check=True, capture_output=True, text=True).stdout.strip()
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    best_wall = wall if best_wall is None else min(best_wall, wall)
    best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
print("%s; log --verify best of 3: %.3f s wall = %.0f entries/s; %.3f s CPU in tollgate = %.0f entries/s"
      % (out, best_wall, n / best_wall, best_cpu, n / best_cpu))
PY
}

echo "== sqlite ($N entries)"
"$W/gen" "sqlite:$W/bench.db" "$N" "$PLAN_ID"
verify_rate "sqlite:$W/bench.db"

echo "== postgres ($N entries)"
bash "$SRC/tests/pg/pg-start.sh" "$W/pg" >/dev/null
"$W/gen" "$(cat "$W/pg/url")" "$N" "$PLAN_ID"
verify_rate "$(cat "$W/pg/url")"
