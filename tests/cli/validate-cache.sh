#!/bin/bash
# validate-cache.sh - the compiled plan cache (.tollgate/tollgate.yaml.cache)
# is input like the plan: a byte changed at any of many offsets (the file's
# length kept) never changes what tollgate sees, never crashes it. For each
# offset, `promote --dry-run --json`, `why --json` and `report --format json`
# print what they print from the parsed plan (TOLLGATE_NO_PLAN_CACHE=1), and a
# real `promote` runs the plan's deploy command, not one edited in the cache
# (issue 10: a changed cache ran a command that is not in the plan).
. "$TOLLGATE_SRC/tests/cli/lib.sh"

mkdir p
cat >p/tollgate.yaml <<'EOF'
version: 1
plan: {id: CACHE-1, title: Cache fixture}
environments:
  - {name: dev}
  - {name: sit}
people:
  - {id: sam, roles: [sdet]}
waves:
  - {id: w1}
projects:
  - {id: api, wave: w1, deploy: "echo plan-deploy-api >> deploys", timeout: 30s}
  - {id: web, wave: w1, depends_on: [api], deploy: "echo plan-deploy-web >> deploys"}
EOF
cd p
export TOLLGATE_NOW=2026-02-01T10:00:00Z
run record api dev --version 1.0 --as sam
expect_rc 0
run record web dev --version 2.0 --as sam
expect_rc 0

CMDS=("promote --to sit --dry-run --json" "why web sit --json" "report --format json")
# the parsed plan's answers (a dry run's id differs from run to run)
for i in "${!CMDS[@]}"; do
	# shellcheck disable=SC2086
	TOLLGATE_NO_PLAN_CACHE=1 "$TOLLGATE_BIN" ${CMDS[$i]} 2>&1 | sed '/"run": /d' >"$T/want$i" || true
done
run validate
expect_rc 0
run why web sit # writes the cache
CACHE=.tollgate/tollgate.yaml.cache
checks=$((checks + 1))
[ -s "$CACHE" ] || fail "no cache written"
cp "$CACHE" "$T/cache.orig"
size=$(stat -c %s "$T/cache.orig")

# every third byte of the header, then offsets spread over the image; each
# variant is the original cache with one byte changed, same length
mkdir "$T/variants"
offsets=$(python3 - "$T/cache.orig" "$T/variants" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
size = len(data)
offs = list(range(0, 120, 3)) + list(range(120, size, max(1, (size - 120) // 80)))
for off in offs:
    v = bytearray(data)
    v[off] ^= 0x20 if off % 2 else 0x01
    open("%s/%d" % (sys.argv[2], off), "wb").write(bytes(v))
print(" ".join(str(o) for o in offs))
PY
)
n=0
for off in $offsets; do
	for i in "${!CMDS[@]}"; do
		cp "$T/variants/$off" "$CACHE"
		set +e
		# shellcheck disable=SC2086
		"$TOLLGATE_BIN" ${CMDS[$i]} >"$T/got.raw" 2>&1
		rc=$?
		set -e
		sed '/"run": /d' "$T/got.raw" >"$T/got"
		checks=$((checks + 1))
		if [ "$rc" -ge 128 ] || ! cmp -s "$T/want$i" "$T/got"; then
			fail "a byte changed at offset $off of $size: '${CMDS[$i]}' (exit $rc) differs from the parsed plan's: $(diff "$T/want$i" "$T/got" | head -5)"
			break 2
		fi
	done
	n=$((n + 1))
done
echo "validate-cache: $n offsets, ${#CMDS[@]} commands each: as parsed"

# the attack itself: the deploy command's text changed in the cache (same
# length); a real promote runs the plan's command
off=$(python3 -c "
import sys
d = open(sys.argv[1], 'rb').read()
print(d.index(b'plan-deploy-api'))" "$T/cache.orig")
python3 - "$T/cache.orig" "$CACHE" "$off" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
off = int(sys.argv[3])
data[off:off + 15] = b"evil-deploy-api"
open(sys.argv[2], "wb").write(bytes(data))
PY
run promote --to sit --as sam
expect_rc 0
checks=$((checks + 1))
[ "$(cat deploys)" = "$(printf 'plan-deploy-api\nplan-deploy-web')" ] || fail "deploys: $(cat deploys)"
# and the cache was rewritten from the plan
checks=$((checks + 1))
grep -q "evil-deploy" "$CACHE" && fail "the edited cache was kept"

done_tests
