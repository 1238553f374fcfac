#!/bin/bash
# schema-loader.sh - docs/plan.schema.json and the loader agree: variants of
# the example that the loader accepts, the schema accepts too (the schema is
# not stricter than `tollgate validate`), and variants that break a rule both
# can see are rejected by both.
# Uses Debian's python3-yaml and python3-jsonschema (scripts/setup.sh).
. "$TOLLGATE_SRC/tests/cli/lib.sh"

PY=/usr/bin/python3
SCHEMA="$TOLLGATE_SRC/docs/plan.schema.json"
EXAMPLE="$TOLLGATE_SRC/examples/q1-2026/tollgate.yaml"

cat >"$T/check.py" <<'PY'
import json, sys
import yaml
import jsonschema

class Loader(yaml.SafeLoader):
    pass
Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
validator = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as f:
        doc = json.loads(json.dumps(yaml.load(f, Loader=Loader)))
    errors = ["/" + "/".join(str(p) for p in e.path) + ": " + e.message
              for e in validator.iter_errors(doc)]
    with open(path + ".schema", "w") as out:
        out.write("invalid\n" if errors else "valid\n")
        out.write("".join(l + "\n" for l in errors))
PY

names=()
wants=()

# variant NAME EXPECT 'SED EXPR'...: a copy of the example with those changes;
# EXPECT is "valid" (both accept) or "invalid" (both reject). The loader runs
# now; the schema runs once for every variant at the end.
variant() {
	local name=$1 expect=$2
	shift 2
	local args=()
	for e in "$@"; do args+=(-e "$e"); done
	sed "${args[@]}" "$EXAMPLE" >"$T/$name.yaml"
	checks=$((checks + 1))
	if cmp -s "$EXAMPLE" "$T/$name.yaml"; then
		fail "$name: the sed expressions changed nothing"
	fi
	names+=("$name")
	wants+=("$expect")
	run validate --plan "$T/$name.yaml"
	checks=$((checks + 1))
	if [ "$expect" = valid ]; then
		[ "$rc" -eq 0 ] || fail "$name: the loader rejects what should be valid"
	else
		[ "$rc" -eq 2 ] || fail "$name: the loader does not reject it with exit 2"
	fi
}

# accepted by both: the short forms and optional parts docs/plan.md allows
variant single-role valid 's/roles: \[tech-lead\]}/roles: tech-lead}/'
variant single-ref valid 's/^    criteria: \[infra-validated\]  /    criteria: infra-validated  /'
variant single-event valid 's/^    events: \[promotion.deploying, .*\]$/    events: incident.open/'
variant applies-waves-only valid 's/applies: {env: sit, waves: \[wave-2\]}/applies: {waves: [wave-2]}/'
variant combined-duration valid 's/^    timeout: 1m$/    timeout: 1h30m/'
variant freeze valid '/^    soak: 24h$/a\    freeze:\n      - {from: 2026-02-14T00:00:00Z, to: 2026-02-15T00:00:00+01:00, why: campaign peak}'
variant below valid 's/^    above: 0.05$/    below: 0.5/'
variant no-optional-lists valid '/^changelog:$/,/^  - {date: 2026-01-07, change/d'
variant moved valid '$a\moved:\n  - {project: orders_lambda, to: order_lambda}\n  - {env: staging, to: sit}'

# rejected by both
variant unknown-key invalid 's/^    owner: DevOps$/    ownr: DevOps/'
variant bad-id invalid 's/^  - id: order_lambda$/  - id: order lambda/'
variant bad-duration invalid 's/^    timeout: 15m$/    timeout: 15 minutes/'
variant bad-date invalid 's/^  created: 2026-01-07$/  created: 2026-13-07/'
variant no-wave invalid '/^    wave: wave-2$/d'
variant bad-severity invalid 's/severity: high,/severity: severe,/'
variant bad-level invalid 's/^    level: 1$/    level: 4/'
variant no-threshold invalid '/^    above: 0.05$/d'
variant bad-progress invalid 's/^    progress: 40$/    progress: 140/'
variant bad-event invalid 's/events: \[promotion.deploying,/events: [promotion.begun,/'
variant gate-no-before invalid '/^    before: {env: prod}  /d'
variant blocks-no-env invalid 's/blocks: {env: sit, waves: \[wave-1\]}/blocks: {waves: [wave-1]}/'
variant bad-webhook-env invalid 's/url_env: TOLLGATE_SLACK_WEBHOOK/url_env: https:\/\/hooks.example/'
variant no-plan-id invalid '/^  id: PROM-2026-Q1-001$/d'
variant moved-two-ids invalid '$a\moved:\n  - {project: orders_lambda, env: staging, to: order_lambda}'
variant moved-no-to invalid '$a\moved:\n  - {project: orders_lambda}'
variant milestone-no-text invalid 's/^  - {date: 2026-01-07, text: Master Plan Created}$/  - {date: 2026-01-07}/'

paths=()
for n in "${names[@]}"; do paths+=("$T/$n.yaml"); done
set +e
"$PY" "$T/check.py" "$SCHEMA" "${paths[@]}" >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 0
expect_err_empty
for i in "${!names[@]}"; do
	checks=$((checks + 1))
	got=$(head -n1 "$T/${names[$i]}.yaml.schema")
	[ "$got" = "${wants[$i]}" ] ||
		fail "${names[$i]}: the schema says $got, the loader ${wants[$i]}: $(sed -n 2,4p "$T/${names[$i]}.yaml.schema")"
done

done_tests
