#!/bin/bash
# validate-robust.sh - hostile plan files, generated here at run time: deep
# nesting, a 50 MB file, binary junk, invalid UTF-8, NUL bytes, a billion
# laughs, thousands of problems. Each must end in a located error and exit 2,
# quickly and in bounded memory - never a crash or a hang.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

# hostile FILE LINE: rejected with exit 2, LINE on stderr, within 60 s (a loaded machine)
hostile() {
	set +e
	timeout 60 "$TOLLGATE_BIN" --plan "$1" validate >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	[ "$rc" -eq 124 ] && fail "$1: hung"
	expect_rc 2
	expect_err_line "$2"
	expect_err_has "tollgate: error: $1: "
	return 0
}

python3 -c "print('version: 1\nplan: ' + '[' * 100000)" >flow-deep.yaml
hostile flow-deep.yaml "flow-deep.yaml:2:70: error: nesting deeper than 64 levels; a plan is not that deep"

python3 -c "print('- ' * 100000 + 'x')" >seq-deep.yaml
hostile seq-deep.yaml "seq-deep.yaml:1:129: error: nesting deeper than 64 levels; a plan is not that deep"

python3 -c "print('a: ' + '{a: ' * 100000)" >map-deep.yaml
hostile map-deep.yaml "map-deep.yaml:1:256: error: nesting deeper than 64 levels; a plan is not that deep"

python3 -c "
import sys
for i in range(200):
    sys.stdout.write(' ' * i + 'k:\n')" >block-deep.yaml
hostile block-deep.yaml "block-deep.yaml:65:65: error: nesting deeper than 64 levels; a plan is not that deep"

head -c 50000000 /dev/zero | tr '\0' 'a' >big.yaml
hostile big.yaml "big.yaml: error: the file is larger than 32 MiB; a plan may be at most 32 MiB"

# just over the cap, and a valid-looking head on a 33 MiB comment
{ printf 'version: 1\n#'; head -c $((32 * 1024 * 1024)) /dev/zero | tr '\0' 'x'; echo; } >over.yaml
hostile over.yaml "over.yaml: error: the file is larger than 32 MiB; a plan may be at most 32 MiB"

printf 'version: 1\nplan: {id: P\xff\xfe}\n' >utf8.yaml
hostile utf8.yaml "utf8.yaml:2:13: error: the file is not valid UTF-8 (invalid leading UTF-8 octet); save it as UTF-8 text"

printf 'version: 1\nplan: {id: P\0}\n' >nul.yaml
hostile nul.yaml "nul.yaml:2:13: error: the file holds a control character (byte 0x00); a plan is UTF-8 text"

# binary junk: whatever the bytes, a located error and exit 2
python3 -c "
import random, sys
r = random.Random(7)
for n in range(20):
    open('junk%d.yaml' % n, 'wb').write(bytes(r.randrange(256) for _ in range(r.randrange(1, 5000))))"
for n in $(seq 0 19); do
	set +e
	timeout 60 "$TOLLGATE_BIN" --plan junk$n.yaml validate >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	expect_rc 2
	checks=$((checks + 1))
	grep -qE "^junk$n\.yaml:[0-9]+:[0-9]+: error: " "$T/err" || fail "junk$n.yaml: no located error"
done

# millions of tiny values: capped, not turned into gigabytes of tree
python3 -c "print('x: [' + 'a,' * 2100000 + 'a]')" >wide.yaml
hostile wide.yaml "wide.yaml:1:3999999: error: the plan holds more than 2000000 YAML values; split it or trim it"

# a billion laughs: rejected at the alias that expands it beyond the limit,
# nothing expanded
cp "$FIXTURES/bad-alias.yaml" .
hostile bad-alias.yaml "bad-alias.yaml:12:27: error: alias '*e' expands the plan beyond 100000 values; aliases may expand a plan to 100000 values, or 10 times the 130 it writes"

# 20,000 unknown keys: every one counted, the listing capped
python3 -c "
print('version: 1\nplan: {id: P}\nenvironments: [{name: dev}]\nwaves: [{id: w}]\nprojects:')
for i in range(20000):
    print('  - {id: p%d, wave: w, colour: red}' % i)" >many.yaml
hostile many.yaml "many.yaml:6:23: error: unknown key 'colour' in project 'p0'"
expect_err_line "tollgate: error: many.yaml: 20000 errors; plan rejected"
expect_err_line "many.yaml: error: 19000 more problems not shown"
checks=$((checks + 1))
[ "$(wc -l <"$T/err")" -le 1002 ] || fail "many.yaml: listing not capped"

# a 10,000-project plan with ~30,000 dependencies validates, fast
python3 - <<'PY'
import random
r = random.Random(1)
out = ["version: 1", "plan: {id: BIG}", "environments: [{name: dev}, {name: sit}, {name: prod}]",
       "waves:"] + ["  - {id: w%d}" % i for i in range(10)] + ["projects:"]
for i in range(10000):
    deps = sorted(set(r.randrange(i) for _ in range(3))) if i >= 3 else []
    out.append("  - {id: p%d, wave: w%d, owner: team%d, depends_on: [%s], deploy: ./deploy.sh}"
               % (i, i * 10 // 10000, i % 50, ", ".join("p%d" % d for d in deps)))
open("scale.yaml", "w").write("\n".join(out) + "\n")
PY
start=$(date +%s%N)
run --plan scale.yaml validate
end=$(date +%s%N)
expect_rc 0
expect_out_has "BIG: 10000 projects, 10 waves, 3 environments, 0 gates, 0 checklist items — valid (0 warnings)"
ms=$(((end - start) / 1000000))
echo "10,000 projects validated in ${ms} ms"
checks=$((checks + 1))
[ "$ms" -lt 5000 ] || fail "scale.yaml took ${ms} ms"

# a cycle through 100 projects is named, shortened in the middle
python3 -c "
print('version: 1\nplan: {id: P}\nenvironments: [{name: dev}]\nwaves: [{id: w}]\nprojects:')
for i in range(100):
    print('  - {id: p%d, wave: w, depends_on: [p%d]}' % (i, (i + 1) % 100))" >ring.yaml
run --plan ring.yaml validate
expect_rc 2
expect_err_line "ring.yaml:105:37: error: dependency cycle: p0 → p1 → p2 → p3 → p4 → p5 → p6 → p7 → p8 → p9 → … (80 more) → p90 → p91 → p92 → p93 → p94 → p95 → p96 → p97 → p98 → p99 → p0"
expect_err_line "tollgate: error: ring.yaml: 1 error; plan rejected"

done_tests
