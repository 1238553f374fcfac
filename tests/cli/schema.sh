#!/bin/bash
# schema.sh - docs/plan.schema.json accepts the example plan and the SPEC-only
# encoding of the seed, and rejects broken copies of the example (an unknown
# key, a bad id, a bad duration, a bad date, a missing required key, a wrong
# enum value, a measured trigger without a threshold …) with the message an
# editor would show.
# Uses Debian's python3-yaml and python3-jsonschema (scripts/setup.sh).
. "$TOLLGATE_SRC/tests/cli/lib.sh"

PY=/usr/bin/python3
SCHEMA="$TOLLGATE_SRC/docs/plan.schema.json"
EXAMPLE="$TOLLGATE_SRC/examples/q1-2026/tollgate.yaml"

# The checker: YAML as an editor sees it (dates and times stay the strings
# written), then the schema. For each FILE it writes FILE.schema: "ok", or
# "invalid" and one line per problem.
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

schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
for path in sys.argv[2:]:
    with open(path, encoding="utf-8") as f:
        doc = json.loads(json.dumps(yaml.load(f, Loader=Loader)))
    lines = []
    for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
        lines.append("/" + "/".join(str(p) for p in e.path) + ": " + e.message)
        for c in e.context:  # why each alternative of an anyOf failed
            lines.append("  /" + "/".join(str(p) for p in c.absolute_path) + ": " + c.message)
    with open(path + ".schema", "w") as out:
        out.write("invalid\n" if lines else "ok\n")
        out.write("".join(l + "\n" for l in lines))
PY

files=()
expects=()
# broken NAME 'SED EXPR' 'EXPECTED MESSAGE PART': a copy of the example with
# one change, which the schema must reject with that message.
broken() {
	sed -e "$2" "$EXAMPLE" >"$T/$1.yaml"
	checks=$((checks + 1))
	if cmp -s "$EXAMPLE" "$T/$1.yaml"; then
		fail "$1: the sed expression changed nothing"
	fi
	files+=("$T/$1.yaml")
	expects+=("$3")
}

broken unknown-key 's/^    owner: DevOps$/    ownr: DevOps/' "'ownr' does not match any of the regexes: '^x-'"
broken bad-id 's/^  - id: order_lambda$/  - id: order lambda/' "'order lambda' does not match"
broken bad-duration 's/^    timeout: 15m$/    timeout: 15 minutes/' "'15 minutes' does not match"
broken bad-date 's/^  created: 2026-01-07$/  created: 2026-13-07/' "'2026-13-07' does not match"
broken no-wave '/^    wave: wave-2$/d' "'wave' is a required property"
broken bad-severity 's/severity: high,/severity: severe,/' "'severe' is not one of ['low', 'medium', 'high', 'critical']"
broken bad-level 's/^    level: 1$/    level: 4/' "4 is greater than the maximum of 3"
broken no-threshold '/^    above: 0.05$/d' "/triggers/0: 'above' is a required property"
broken bad-progress 's/^    progress: 40$/    progress: 140/' "140 is greater than the maximum of 100"
broken unknown-top 's/^milestones:$/milestone:/' "'milestone' does not match any of the regexes: '^x-'"
broken bad-event 's/events: \[promotion.deploying,/events: [promotion.begun,/' "is not valid under any of the given schemas"
broken bad-time 's/^  created: 2026-01-07$/  created: 2026-01-07T25:00:00Z/' "'2026-01-07T25:00:00Z' does not match"
broken no-before '/^    before: {env: prod}  /d' "'before' is a required property"

cp "$EXAMPLE" "$T/example.yaml"
# x- annotations anywhere, an x- anchor merged into a project: valid
sed -e 's/^identity: claim$/identity: claim\nx-team: {slack: "#rel"}\nx-base: \&base {x-note: shared}/' \
	-e 's/^    title: Order Lambda API$/    title: Order Lambda API\n    <<: *base\n    x-repo: git@example.com:order/' \
	-e 's/^    title: DEV$/    title: DEV\n    x-laptop: true/' "$EXAMPLE" >"$T/annotated.yaml"
checks=$((checks + 1))
[ "$(grep -c 'x-' "$T/annotated.yaml")" -ge 4 ] || fail "annotated: the sed expressions changed too little"
cp "$TOLLGATE_SRC/tests/fixtures/spec-seed.yaml" "$T/spec-seed.yaml"
set +e
"$PY" "$T/check.py" "$SCHEMA" "$T/example.yaml" "$T/spec-seed.yaml" "$T/annotated.yaml" "${files[@]}" >"$T/out" 2>"$T/err"
rc=$?
set -e
expect_rc 0
expect_err_empty

# The example plan, the SPEC-only plan and the annotated example are valid
# (to tollgate too).
run --plan "$T/annotated.yaml" validate
expect_rc 0
for f in example spec-seed annotated; do
	checks=$((checks + 1))
	[ "$(head -n1 "$T/$f.yaml.schema")" = ok ] || fail "$f: rejected: $(head -c 1000 "$T/$f.yaml.schema")"
done
# Every broken copy is invalid, with its message.
for i in "${!files[@]}"; do
	s="${files[$i]}.schema"
	checks=$((checks + 1))
	[ "$(head -n1 "$s")" = invalid ] || fail "${files[$i]##*/}: accepted"
	checks=$((checks + 1))
	grep -qF -- "${expects[$i]}" "$s" || fail "${files[$i]##*/}: expected: ${expects[$i]}; got: $(head -c 600 "$s")"
done

done_tests
