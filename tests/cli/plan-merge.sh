#!/bin/bash
# plan-merge.sh - YAML anchors, aliases and merge keys in a plan: `<<: *base`
# and `<<: [*a, *b]` give a map the keys it does not write (its own win, then
# the first merged map); a wrong type of an alias is reported where it is
# used, a wrong value inside where it is written; an alias to no anchor and a
# merge of a non-map are located errors; an alias bomb is refused fast at the
# alias that crosses the limit (100,000 values, or 10× the values written),
# while a big plan that expands less than 10× its size loads.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: M-1, title: Merges}
environments: [{name: dev}, {name: sit}, {name: prod}]
people:
  - &person {id: sam, roles: [sdet]}
waves: [{id: w1}, {id: w2}]
checklist:
  - &item {id: tests, text: Tests pass, category: Testing}
  - {<<: *item, id: docs, text: Docs written}
projects:
  - &base
    id: api
    wave: w1
    owner: Platform
    deploy: echo base
    timeout: 5m
    targets: &dates {sit: 2026-01-10, prod: 2026-02-01}
  - <<: *base
    id: web
    owner: Web
  - <<: [{owner: First, verify: "true"}, *base]
    id: job
    wave: w2
    targets: *dates
EOF
export TOLLGATE_NOW=2026-02-01T10:00:00Z TOLLGATE_USER=sam

run validate
expect_rc 0
expect_out_has "3 projects, 2 waves, 3 environments, 0 gates, 2 checklist items"
for p in api web job; do
	run record "$p" dev --version 1
	expect_rc 0
done
run report --format json
expect_json '[(p["id"], p["owner"]) for w in j["waves"] for p in w["projects"]] == [("api", "Platform"), ("web", "Web"), ("job", "First")]'
expect_json '[[c["target"] for c in p["cells"]] for w in j["waves"] for p in w["projects"]] == [[None, "2026-01-10", "2026-02-01"]] * 3'
run promote --to sit --dry-run --json
expect_json '{s["project"]: (s["deploy"], s["verify"]) for s in j["plan"]} == {"api": ("echo base", None), "web": ("echo base", None), "job": ("echo base", "true")}'

# errors: located where they can be fixed
cat >bad.yaml <<'EOF'
version: 1
plan: {id: M-2}
environments: [{name: dev}, {name: sit}]
waves: [{id: w1}]
projects:
  - &base {id: a, wave: w1, timeout: banana, colour: red}
  - {<<: *base, id: b}
  - {<<: *nowhere, id: c, wave: w1}
  - {<<: lol, id: d, wave: w1}
  - {<<: [*base, 3], id: e}
  - {id: f, wave: w1, deploy: *base}
EOF
run --plan bad.yaml validate
expect_rc 2
expect_err_line "bad.yaml:6:38: error: bad duration 'banana' for 'timeout'; use e.g. 30s, 15m, 24h, 7d"
expect_err_line "bad.yaml:6:46: error: unknown key 'colour' in project 'a'"
expect_err_line "bad.yaml:8:10: error: alias '*nowhere' names no anchor ('&nowhere') written before it"
expect_err_line "bad.yaml:9:10: error: '<<' merges a map or a list of maps (e.g. '<<: *base'), got a string"
expect_err_line "bad.yaml:10:18: error: '<<' merges maps; this entry of its list is a number"
expect_err_line "bad.yaml:11:31: error: expected a string for 'deploy', got a map"
expect_err_lacks() { checks=$((checks + 1)); ! grep -qF -- "$1" "$T/err" || fail "stderr has: $1"; }
expect_err_lacks "duplicate key"
# the bad value merged into b and e is reported once, where it is written
checks=$((checks + 1))
[ "$(grep -c "banana" "$T/err")" = 1 ] || fail "banana reported $(grep -c banana "$T/err") times"

# a billion laughs: refused at once, at the alias that crosses the limit
cp "$FIXTURES/bad-alias.yaml" .
start=$(date +%s%N)
run --plan bad-alias.yaml validate
end=$(date +%s%N)
expect_rc 2
expect_err_line "bad-alias.yaml:12:27: error: alias '*e' expands the plan beyond 100000 values; aliases may expand a plan to 100000 values, or 10 times the 130 it writes"
checks=$((checks + 1))
[ $(((end - start) / 1000000)) -lt 2000 ] || fail "the alias bomb took $(((end - start) / 1000000)) ms"

# millions of aliases: each is a value written, capped as values are
python3 -c "print('version: 1\nx-a: &a 1\nx-b: [' + '*a,' * 2100000 + '*a]')" >many-aliases.yaml
run --plan many-aliases.yaml validate
expect_rc 2
expect_err_line "many-aliases.yaml:3:5999986: error: the plan holds more than 2000000 YAML values; split it or trim it"

# maps aliased ten times a level: refused too
python3 - >merge-bomb.yaml <<'PY'
print("version: 1\nplan: {id: P}\nenvironments: [{name: dev}]\nwaves: [{id: w}]\nprojects: []")
print("x0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}")
for l in range(1, 8):
    print("x%d: &m%d [" % (l, l) + ", ".join("*m%d" % (l - 1) for _ in range(10)) + "]")
PY
run --plan merge-bomb.yaml validate
expect_rc 2
expect_err_has "error: alias '*m3' expands the plan beyond 100000 values"

# 10× the values written: a plan of 30,000 values may expand to 300,000
python3 - >big.yaml <<'PY'
print("version: 1\nplan: {id: P}\nenvironments: [{name: dev}, {name: sit}]\nwaves: [{id: w}]")
print("people:")
for i in range(3000):
    print("  - {id: p%d, name: n, email: e, roles: [r1, r2, r3]}" % i)
print("next_steps:\n  - {title: base, items: &s [" + ", ".join("s%d" % i for i in range(1000)) + "]}")
for i in range(200):
    print("  - {title: t%d, items: *s}" % i)
print("projects: [{id: a, wave: w}]")
PY
unset TOLLGATE_USER
run --plan big.yaml validate
expect_rc 0
python3 - >big2.yaml <<'PY'
print("version: 1\nplan: {id: P}\nenvironments: [{name: dev}, {name: sit}]\nwaves: [{id: w}]")
print("next_steps:\n  - {title: base, items: &s [" + ", ".join("s%d" % i for i in range(1000)) + "]}")
for i in range(200):
    print("  - {title: t%d, items: *s}" % i)
print("projects: [{id: a, wave: w}]")
PY
run --plan big2.yaml validate
expect_rc 2
expect_err_has "error: alias '*s' expands the plan beyond 100000 values; aliases may expand a plan to 100000 values, or 10 times the"

done_tests
