#!/bin/sh
# bench-validate.sh BUILD - times `tollgate validate` on a generated plan of
# 10,000 projects and ~30,000 dependencies, against its peer `ninja -n` on a
# build.ninja of the same graph (10,000 edges, same dependencies), and
# measures the peak RSS of both. Prints a table with the tollgate/ninja ratio.
# Target: validate < 0.3 s and peak RSS < 64 MiB; exits 1 when missed. The
# time judged is the best wall time, or the best CPU time (user + system, of
# 3 runs) when that is lower because other processes share the CPUs: on an
# idle machine the two agree for this single-threaded command.
# Runs: BENCH_RUNS (default 10), best of them; hyperfine when installed (and
# BENCH_NO_HYPERFINE unset), else a loop timed with date +%s.%N.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: bench-validate.sh BUILD" >&2
	exit 2
fi
BUILD=$(cd "$1" && pwd)
TG=$BUILD/tollgate
HERE=$(cd "$(dirname -- "$0")" && pwd)
RUNS=${BENCH_RUNS:-10}
PROJECTS=${BENCH_PROJECTS:-10000}
DEPS=${BENCH_DEPS:-30000}
TARGET_S=0.3
TARGET_MIB=64

[ -x "$TG" ] || { echo "bench-validate.sh: no binary at $TG; build first" >&2; exit 2; }
command -v ninja >/dev/null || { echo "bench-validate.sh: ninja is missing (make setup)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "bench-validate.sh: /usr/bin/time is missing (make setup)" >&2; exit 2; }

DIR=$BUILD/bench/validate
case $DIR in
*[[:space:]]*) echo "bench-validate.sh: the build folder's path must hold no spaces" >&2; exit 2 ;;
esac
mkdir -p "$DIR"
python3 "$HERE/gen-plan.py" --projects "$PROJECTS" --deps "$DEPS" "$DIR" >"$DIR/gen.txt"
cd "$DIR"
unset TOLLGATE_PLAN TOLLGATE_DB TOLLGATE_USER

# Both commands must succeed before they are timed.
if ! "$TG" validate --plan "$DIR/tollgate.yaml" >"$DIR/validate.out" 2>"$DIR/validate.err"; then
	echo "bench-validate.sh: tollgate validate failed on the generated plan:" >&2
	head -n 20 "$DIR/validate.err" >&2
	exit 1
fi
if [ -s "$DIR/validate.err" ]; then
	echo "bench-validate.sh: note: validate printed diagnostics:" >&2
	head -n 5 "$DIR/validate.err" >&2
fi
ninja -n -f "$DIR/build.ninja" >/dev/null

TG_CMD="$TG validate --plan $DIR/tollgate.yaml"
NINJA_CMD="ninja -n -f $DIR/build.ninja"

# best_loop CMD: best wall time of RUNS runs, seconds
best_loop() {
	best=""
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		t0=$(date +%s.%N)
		$1 >/dev/null 2>&1
		t1=$(date +%s.%N)
		best=$(echo "$t0 $t1 ${best:-}" | awk '{d = $2 - $1; if ($3 == "" || d < $3) print d; else print $3}')
		i=$((i + 1))
	done
	echo "$best"
}

if [ -z "${BENCH_NO_HYPERFINE-}" ] && command -v hyperfine >/dev/null; then
	how="hyperfine, best of $RUNS"
	hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$DIR/hyperfine.json" \
		"$TG_CMD" "$NINJA_CMD" >/dev/null 2>"$DIR/hyperfine.err" ||
		{ cat "$DIR/hyperfine.err" >&2; exit 1; }
	# shellcheck disable=SC2046 # two numbers, split on purpose
	set -- $(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"]
print(min(r[0]["times"]), min(r[1]["times"]))' "$DIR/hyperfine.json")
	tg_s=$1
	ninja_s=$2
else
	how="date loop, best of $RUNS"
	tg_s=$(best_loop "$TG_CMD")
	ninja_s=$(best_loop "$NINJA_CMD")
fi

# gnu_time CMD: "PEAK_KIB CPU_SECONDS" over 3 runs: the highest peak resident
# set size and the lowest user + system time (which, unlike the wall clock,
# does not grow while other processes hold the CPUs)
gnu_time() {
	: >"$DIR/time.all"
	for _ in 1 2 3; do
		# shellcheck disable=SC2086 # a command line, split on purpose
		/usr/bin/time -v -o "$DIR/time.txt" $1 >/dev/null 2>&1
		awk -F': ' '/Maximum resident set size/ {kib = $2}
			/User time \(seconds\)/ {cpu += $2} /System time \(seconds\)/ {cpu += $2}
			END {print kib, cpu}' "$DIR/time.txt" >>"$DIR/time.all"
	done
	awk 'NR == 1 || $1 > kib {kib = $1} NR == 1 || $2 < cpu {cpu = $2} END {print kib, cpu}' "$DIR/time.all"
}
# shellcheck disable=SC2046 # two numbers, split on purpose
set -- $(gnu_time "$TG_CMD")
tg_kib=$1
tg_cpu=$2
# shellcheck disable=SC2046 # two numbers, split on purpose
set -- $(gnu_time "$NINJA_CMD")
ninja_kib=$1
ninja_cpu=$2

yaml_kib=$(($(wc -c <"$DIR/tollgate.yaml") / 1024))
ninja_file_kib=$(($(wc -c <"$DIR/build.ninja") / 1024))

awk -v how="$how" -v gen="$(cat "$DIR/gen.txt")" \
	-v tg_s="$tg_s" -v ninja_s="$ninja_s" -v tg_cpu="$tg_cpu" -v ninja_cpu="$ninja_cpu" \
	-v tg_kib="$tg_kib" -v ninja_kib="$ninja_kib" \
	-v yk="$yaml_kib" -v nk="$ninja_file_kib" -v ts="$TARGET_S" -v tm="$TARGET_MIB" '
BEGIN {
	printf "bench-validate: %s\n", gen
	printf "  plan %d KiB of YAML; build.ninja %d KiB; timing: %s\n\n", yk, nk, how
	printf "  %-16s %18s %12s %8s\n", "", "tollgate validate", "ninja -n", "ratio"
	printf "  %-16s %18.3f %12.3f %8.2f\n", "wall, best (s)", tg_s, ninja_s, tg_s / ninja_s
	printf "  %-16s %18.3f %12.3f %8.2f\n", "cpu, best (s)", tg_cpu, ninja_cpu, (ninja_cpu > 0 ? tg_cpu / ninja_cpu : 0)
	printf "  %-16s %18.1f %12.1f %8.2f\n", "peak RSS (MiB)", tg_kib / 1024, ninja_kib / 1024, tg_kib / ninja_kib
	# The time judged: the best wall time, or the CPU time when lower (the
	# machine is busy; for this single-threaded command they agree when idle).
	t = ((tg_cpu > 0 && tg_cpu < tg_s) ? tg_cpu : tg_s)
	ok = (t < ts && tg_kib / 1024 < tm)
	printf "\n  target: validate < %s s (judged: %.3f s) and < %s MiB: %s\n", ts, t, tm, (ok ? "met" : "MISSED")
	exit (ok ? 0 : 1)
}'
