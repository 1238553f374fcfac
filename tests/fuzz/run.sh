#!/bin/sh
# run.sh BUILD_DIR SECONDS - run every libFuzzer target built in BUILD_DIR
# (one per tests/fuzz/*.c) for SECONDS each, on a scratch copy of its seed
# corpus (tests/fuzz/corpus/NAME/), with its dictionary when there is one
# (tests/fuzz/NAME.dict). Exits non-zero when a target finds a crash, a
# leak, a timeout or an out-of-memory; the reproducer is kept and named.
set -u
build=${1:?usage: run.sh BUILD_DIR SECONDS}
secs=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-fuzz.XXXXXX")
status=0

for src in "$here"/*.c; do
	name=$(basename "$src" .c)
	bin="$build/$name"
	if [ ! -x "$bin" ]; then
		echo "run.sh: $bin is not built; run 'make fuzz'" >&2
		status=1
		continue
	fi
	mkdir -p "$scratch/$name/corpus" "$scratch/$name/artifacts"
	if [ -d "$here/corpus/$name" ]; then
		cp -R "$here/corpus/$name/." "$scratch/$name/corpus/"
	fi
	dict=
	[ -f "$here/$name.dict" ] && dict="-dict=$here/$name.dict"
	echo "== $name: ${secs}s"
	"$bin" -max_total_time="$secs" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 $dict \
		-artifact_prefix="$scratch/$name/artifacts/" "$scratch/$name/corpus" \
		>"$scratch/$name/log" 2>&1
	rc=$?
	grep -E '^#[0-9]+.*(DONE|pulse)|^Done|stat::number_of_executed_units|stat::peak_rss_mb' \
		"$scratch/$name/log" | tail -4
	last=$(grep -E '^#[0-9]+' "$scratch/$name/log" | tail -1)
	echo "$name: last status: $last"
	if [ "$rc" -ne 0 ]; then
		echo "run.sh: $name failed (exit $rc); log and reproducer in $scratch/$name" >&2
		grep -E 'ERROR|SUMMARY|Test unit written' "$scratch/$name/log" >&2
		status=1
	fi
done
if [ "$status" -eq 0 ]; then
	rm -rf "$scratch"
fi
exit $status
