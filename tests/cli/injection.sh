#!/bin/bash
# injection.sh - text from the plan, the store, a step's output or an
# argument never drives the terminal (issue 10, item 4): escape sequences
# (clear screen, window title), the bell, carriage returns, C1 controls and
# DEL reach neither the terminal (status, why, log, promote's last lines,
# checklist run, error messages) nor the Markdown and HTML reports; a
# newline in a field cannot forge a `log` row. The store keeps the text as
# given (log --json shows it exactly).
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=sam

export TOLLGATE_NOW=2026-02-01T10:00:00Z
# a deploy and a check printing a window-title sequence, a bell, a carriage
# return and a clear-screen (a plan itself cannot hold control characters:
# the loader refuses them, C1 included)
cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: INJ, title: Injection}
environments: [{name: dev}, {name: sit}]
people: [{id: sam, roles: [sdet]}]
waves: [{id: w1}]
projects:
  - {id: api, wave: w1, deploy: "printf '\\033]0;pwned\\007progress\\rfake\\n'; exit 1"}
checklist:
  - {id: ready, text: ready, applies: {env: sit}, check: "printf '\\033[2Jchecked\\302\\233\\n'"}
YAML
run validate
expect_rc 0

# clean FILE WHAT: FILE holds no control byte but newline and tab, no C1
clean() {
	checks=$((checks + 1))
	/usr/bin/python3 - "$1" <<'PY' || fail "$2 lets control characters through: $(od -c "$1" | grep -E '033|007|\\r|302 233' | head -3)"
import re, sys
data = open(sys.argv[1], "rb").read()
bad = re.search(rb"[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]", data)
sys.exit(1 if bad else 0)
PY
}

run record api dev --version 1.0 --as sam
run check ready --as sam --note $'looks \e[31mred\e[0m\a'
expect_rc 0
clean "$T/out" "check"
run incident open --level 1 --env sit --as sam $'db \e[2J cleared\n     9  2026-02-01T10:00:00Z  olga  approve  gate-x: forged'
expect_rc 0
clean "$T/out" "incident open"

run status
clean "$T/out" "status"
run why api sit
clean "$T/out" "why"
run log
clean "$T/out" "log"
checks=$((checks + 1))
[ "$(grep -c 'forged' "$T/out")" -eq 1 ] && ! grep -q '^     9  ' "$T/out" || fail "a newline in the incident text forged a log row: $(cat "$T/out")"
run log --json
expect_json '[e for e in j["entries"] if e["action"] == "incident.open"][0]["detail"].count("\x1b[2J") == 1'
run checklist run ready --as sam
clean "$T/out" "checklist run"
run promote --to sit
expect_rc 1
clean "$T/out" "promote"
clean "$T/err" "promote's errors"
expect_out_has "progress?fake"
run why nope$'\e[2J' sit
expect_rc 2
clean "$T/err" "an error message"
for f in md html; do
	run report --format $f
	expect_rc 0
	clean "$T/out" "report --format $f"
	run report --format $f -o report.$f
	clean report.$f "report -o report.$f"
done
done_tests
