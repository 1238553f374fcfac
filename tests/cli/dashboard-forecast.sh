#!/bin/bash
# dashboard-forecast.sh - the board marks targets AT RISK as status --json
# does, and the dashboard's timeline draws the forecast next
# to each target (issue 15): a ▼ at the earliest healthy time of every cell
# with a target that `forecast --json` lists, red (at-risk) as the engine
# says, with a dashed line from the target when at risk; no console error.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-03-02T09:00:00Z
cat >tollgate.yaml <<'P'
version: 1
identity: claim
plan: {id: DASH-FC, title: forecast on the timeline}
environments:
  - {name: dev}
  - {name: sit, soak: 24h}
  - {name: prod, soak: 24h}
people:
  - {id: olga, roles: [ops]}
waves:
  - {id: w, window: {from: 2026-03-01, to: 2026-03-20}}
projects:
  - {id: a, wave: w, targets: {sit: 2026-03-02, prod: 2026-03-09}}
  - {id: b, wave: w, depends_on: [a], targets: {sit: 2026-03-06}}
P
for x in a b; do run record $x dev --version 1 --as olga; done
start_serve || { fail "serve did not start"; done_tests; }
"$TOLLGATE_BIN" forecast --json >"$T/forecast.json"

export PYTHONPATH="$TOLLGATE_SRC/tests/e2e:$PYTHONPATH"
export TMPDIR="$T"
checks=$((checks + 1))
/usr/bin/python3 - <<'PY' || fail "browser checks (above)"
import json, os, sys
import browser

url, T = os.environ["SERVE_URL"], os.environ["T"]
fails = []
def check(cond, what):
    if not cond:
        fails.append(what)
        print("FAIL: " + what, file=sys.stderr)

fc = json.load(open(T + "/forecast.json"))
want = sorted((c["project"], c["env"], c["earliest_healthy"], c["at_risk"]) for c in fc["cells"] if c["target"])
check(want == [("a", "prod", "2026-03-04T09:20:00Z", False), ("a", "sit", "2026-03-03T09:10:00Z", True),
               ("b", "sit", "2026-03-03T09:20:00Z", False)], "forecast %r" % want)
d = browser.start()
try:
    d.get(url + "/#timeline")
    browser.wait(d, "document.querySelector('#timeline svg path.forecast')", what="the forecast on the timeline")
    got = d.execute_script("""return [...document.querySelectorAll('#timeline path.forecast')].map(t =>
        [t.dataset.project, t.dataset.env, t.dataset.earliestHealthy, t.classList.contains('at-risk')])""")
    check(sorted(map(tuple, got)) == want, "timeline forecast %r, want %r" % (got, want))
    check(d.execute_script("return document.querySelectorAll('#timeline line.forecast-gap').length") == 1, "one at-risk gap")
    title = d.execute_script("return document.querySelector('#timeline path.forecast.at-risk title').textContent")
    check("a: earliest healthy in sit" in title and "(at risk)" in title, "title %r" % title)
    check("earliest healthy" in d.execute_script("return document.querySelector('#timeline .legend').textContent"), "legend")
    d.save_screenshot(T + "/timeline-forecast.png")
    # the board says AT RISK where status --json does
    d.get(url + "/")
    browser.wait(d, "document.body.dataset.loaded", what="the board")
    risky = d.execute_script("""return [...document.querySelectorAll('td.cell span.target.at-risk')].map(s =>
        [s.closest('td').dataset.project, s.closest('td').dataset.env, s.textContent])""")
    check(risky == [["a", "sit", "AT RISK, target 2026-03-02"]], "board at risk %r" % risky)
    errs = browser.console_errors(d)
    check(not [m for m in errs if "/api/v1/events" not in m["message"] and
               not ("/api/v1/session" in m["message"] and "401" in m["message"])], "console errors: %r" % errs)
finally:
    browser.stop(d)
print("%d failed" % len(fails))
sys.exit(1 if fails else 0)
PY
stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
done_tests
