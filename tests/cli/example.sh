#!/bin/bash
# example.sh - the real binary accepts the example plan (examples/q1-2026) and
# the SPEC-only encoding of the seed (tests/fixtures/spec-seed.yaml): exit 0,
# a summary line, and no diagnostic but the one warning that both take
# --as at its word (identity: claim). (The example's demo is run once, by
# promote-demo.sh.)
. "$TOLLGATE_SRC/tests/cli/lib.sh"

EXAMPLE="$TOLLGATE_SRC/examples/q1-2026/tollgate.yaml"
SPEC_SEED="$TOLLGATE_SRC/tests/fixtures/spec-seed.yaml"

# the example, by --plan
run validate --plan "$EXAMPLE"
expect_rc 0
expect_err_line "$EXAMPLE:21:11: warning: identity: claim: anyone can act as anyone (--as is not checked); list each person's OS users in 'login' and use 'identity: os'"
checks=$((checks + 1))
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "validate should print one summary line"

# the example, as ./tollgate.yaml in its folder, global flag after the command
cp "$EXAMPLE" "$T/tollgate.yaml"
run validate
expect_rc 0
expect_err_line "tollgate.yaml:21:11: warning: identity: claim: anyone can act as anyone (--as is not checked); list each person's OS users in 'login' and use 'identity: os'"

# the SPEC-only plan, by TOLLGATE_PLAN
set +e
TOLLGATE_PLAN="$SPEC_SEED" "$TOLLGATE_BIN" validate >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 0
expect_err_line "$SPEC_SEED:24:5: warning: identity: claim: anyone can act as anyone (--as is not checked); list each person's OS users in 'login' and use 'identity: os'"

# --json gives machine output only
run validate --plan "$SPEC_SEED" --json
expect_rc 0
checks=$((checks + 1))
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/out" || fail "validate --json is not JSON"

# A copy of the example with two mistakes is rejected as a whole, both listed.
sed -e 's/^    depends_on: \[dynamodb_schemas, s3_schemas\]$/    depends_on: [dynamodb_schemas, s3_schema]/' \
	-e 's/^    wave: wave-1$/    wave: wave-one/' "$EXAMPLE" >"$T/broken.yaml"
run validate --plan "$T/broken.yaml"
expect_rc 2
dep_line=$(grep -n 'depends_on: \[dynamodb_schemas, s3_schema\]' "$T/broken.yaml" | cut -d: -f1)
wave_line=$(grep -n -m1 '^    wave: wave-one$' "$T/broken.yaml" | cut -d: -f1)
checks=$((checks + 1))
grep -Eq "broken\.yaml:$dep_line:[0-9]+: error: .*'s3_schema'" "$T/err" ||
	fail "expected a FILE:LINE:COL error on line $dep_line naming 's3_schema'"
checks=$((checks + 1))
grep -Eq "broken\.yaml:$wave_line:[0-9]+: error: .*'wave-one'" "$T/err" ||
	fail "expected a FILE:LINE:COL error on line $wave_line naming 'wave-one'"

done_tests
