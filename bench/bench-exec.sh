#!/bin/sh
# bench-exec.sh BUILD - raw throughput of the process runner (src/exec/):
# N no-op commands (`true`, run by /bin/sh -c like every step) at -jJ,
# against its peer ninja running a build.ninja of N independent `true` edges
# (ninja also runs each through /bin/sh -c, in its own process group).
# Also times the runner writing one log file per command, as promote does.
# Runs alternate (ninja, runner, runner+logs) BENCH_RUNS times (default 3);
# the best and the median of each are reported with the runner/ninja ratio,
# and, when perf works, the CPU time of each orchestrator alone.
# Target: runner best <= 1.25 x ninja's best; exits 1 when missed.
# BENCH_N (default 2000), BENCH_J (default 8).
set -eu

if [ $# -ne 1 ]; then
	echo "usage: bench-exec.sh BUILD" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd)
HERE=$(cd "$(dirname -- "$0")" && pwd)
SRC=$(cd "$HERE/.." && pwd)
RUNS=${BENCH_RUNS:-3}
N=${BENCH_N:-2000}
J=${BENCH_J:-8}
TARGET=1.25

command -v ninja >/dev/null || { echo "bench-exec.sh: ninja is missing (make setup)" >&2; exit 2; }
CC=${CC:-cc}
DIR=$BUILD/bench/exec
rm -rf "$DIR"
mkdir -p "$DIR/ninja" "$DIR/logs"

# The driver is built from the sources with the project's flags, apart from
# the build so that it needs none of the libraries the CLI links.
$CC -std=gnu11 -O2 -Wall -Wextra -Werror -I"$SRC/src" \
	"$HERE/bench-exec.c" "$SRC"/src/exec/*.c "$SRC/src/util/util.c" \
	-o "$DIR/bench-exec" -lpthread

{
	printf 'rule t\n  command = true\n'
	i=0
	while [ $i -lt "$N" ]; do
		printf 'build o%d: t\n' $i
		i=$((i + 1))
	done
} >"$DIR/ninja/build.ninja"

now_ms() { date +%s%3N; }

# time_ms CMD... - runs CMD with stdout discarded, prints milliseconds
time_ms() {
	t0=$(now_ms)
	"$@" >/dev/null
	t1=$(now_ms)
	echo $((t1 - t0))
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best() { sort -n | head -n 1; }

: >"$DIR/ninja.ms"
: >"$DIR/runner.ms"
: >"$DIR/runner-logs.ms"
r=0
while [ $r -lt "$RUNS" ]; do
	time_ms ninja -C "$DIR/ninja" -j"$J" >>"$DIR/ninja.ms"
	time_ms "$DIR/bench-exec" "$N" "$J" >>"$DIR/runner.ms"
	rm -f "$DIR"/logs/*
	time_ms "$DIR/bench-exec" "$N" "$J" "$DIR/logs" >>"$DIR/runner-logs.ms"
	r=$((r + 1))
done
ninja_best=$(best <"$DIR/ninja.ms")

# The CPU time of the orchestrating process alone (perf stat --no-inherit:
# not the children): the per-command overhead that is ours, unblurred by
# the cost of starting /bin/sh, which is the same for both, or by the load.
self_cpu_ms() {
	perf stat -i -x, -e task-clock -o "$DIR/perf.txt" "$@" >/dev/null 2>&1 || return 1
	awk -F, '/task-clock/ { printf "%d\n", $1 }' "$DIR/perf.txt"
}

printf '%s no-op commands at -j%s, %s runs each, interleaved\n' "$N" "$J" "$RUNS"
printf '  %-14s %9s %9s %9s %12s\n' "wall" "best ms" "median ms" "us/cmd" "best/ninja"
for name in ninja runner runner-logs; do
	b=$(best <"$DIR/$name.ms")
	m=$(median <"$DIR/$name.ms")
	awk -v n="$name" -v b="$b" -v m="$m" -v cnt="$N" -v base="$ninja_best" \
		'BEGIN { printf "  %-14s %9d %9d %9.0f %12.2f\n", n, b, m, b * 1000 / cnt, b / base }'
done
if command -v perf >/dev/null && nc=$(self_cpu_ms ninja -C "$DIR/ninja" -j"$J") &&
	rc=$(self_cpu_ms "$DIR/bench-exec" "$N" "$J"); then
	printf '  %-14s %9s %9s %9s %12s\n' "own CPU" "ms" "" "us/cmd" "/ninja"
	awk -v n=ninja -v ms="$nc" -v cnt="$N" -v base="$nc" \
		'BEGIN { printf "  %-14s %9d %9s %9.0f %12.2f\n", n, ms, "", ms * 1000 / cnt, ms / base }'
	awk -v n=runner -v ms="$rc" -v cnt="$N" -v base="$nc" \
		'BEGIN { printf "  %-14s %9d %9s %9.0f %12.2f\n", n, ms, "", ms * 1000 / cnt, ms / base }'
	rm -f "$DIR"/logs/*
	if lc=$(self_cpu_ms "$DIR/bench-exec" "$N" "$J" "$DIR/logs"); then
		awk -v n=runner-logs -v ms="$lc" -v cnt="$N" -v base="$nc" \
			'BEGIN { printf "  %-14s %9d %9s %9.0f %12.2f\n", n, ms, "", ms * 1000 / cnt, ms / base }'
	fi
fi
runner_best=$(best <"$DIR/runner.ms")
if awk -v a="$runner_best" -v b="$ninja_best" -v t="$TARGET" 'BEGIN { exit !(a <= b * t) }'; then
	echo "target met: runner <= ${TARGET} x ninja (best wall time)"
else
	echo "target missed: runner > ${TARGET} x ninja (best wall time)" >&2
	exit 1
fi
