#!/bin/bash
# dashboard.sh - the dashboard served at / (issue 12), in headless Chromium:
# the page and its assets come from the binary with their security headers;
# the board draws every project x environment cell grouped by wave with the
# state the engine gives (`status --json`), late marks and blocker marks;
# a cell opens the why panel with the engine's rules; the wall-screen mode
# (?tv) has no controls; the page makes no console error (CSP included).
# Screenshots go to $T (and to docs/ with TOLLGATE_SCREENSHOTS=DIR).
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-01-20T09:00:00Z
cp "$FIXTURES/state-small.yaml" tollgate.yaml
run record api dev --version a-1 --as tom
expect_rc 0
run record api sit --version a-1 --as tom
expect_rc 0
run record db dev --version d-1 --as tom
expect_rc 0
start_serve || { fail "serve did not start"; done_tests; }
"$TOLLGATE_BIN" status --json >"$T/status.json"

export PYTHONPATH="$TOLLGATE_SRC/tests/e2e:$PYTHONPATH"
# the browser's profile goes with the test's folder
export TMPDIR="$T"
checks=$((checks + 1))
/usr/bin/python3 - <<'PY' || fail "browser checks (above)"
import json, os, sys, urllib.request
import browser

url, T = os.environ["SERVE_URL"], os.environ["T"]
fails = []
def check(cond, what):
    if not cond:
        fails.append(what)
        print("FAIL: " + what, file=sys.stderr)

# the page: its headers
r = urllib.request.urlopen(url + "/")
csp = r.headers.get("Content-Security-Policy", "")
check("default-src 'self'" in csp and "frame-ancestors 'none'" in csp, "CSP: " + csp)
check(r.headers.get("X-Content-Type-Options") == "nosniff", "nosniff")
size = len(r.read()) + sum(len(urllib.request.urlopen(url + p).read()) for p in ("/assets/app.js", "/assets/app.css"))
check(size < 300 * 1024, "first page %d bytes, over 300 KB" % size)

status = json.load(open(T + "/status.json"))
d = browser.start()
try:
    d.get(url + "/")
    browser.wait(d, "document.body.dataset.loaded", what="the board")
    cells = d.execute_script("""return [...document.querySelectorAll('td.cell[data-project]')].map(c =>
        [c.dataset.project, c.dataset.env, c.dataset.state, c.innerText])""")
    check(len(cells) == len(status["cells"]), "%d cells drawn, status has %d" % (len(cells), len(status["cells"])))
    want = {(c["project"], c["env"]): c for c in status["cells"]}
    for p, e, st, text in cells:
        c = want.get((p, e))
        check(c is not None and c["state"] == st, "cell %s/%s: %s, status says %s" % (p, e, st, c and c["state"]))
        if c and c["state"] != "none":
            check(c["state"].upper() in text.upper(), "cell %s/%s shows no state word: %r" % (p, e, text))
        if c and c["late"]:
            check("LATE" in text, "cell %s/%s is late but shows no mark: %r" % (p, e, text))
        if c and c["version"]:
            check(c["version"] in text, "cell %s/%s lacks its version" % (p, e))
    waves = d.execute_script("return [...document.querySelectorAll('table.wave')].map(t => t.dataset.wave)")
    check(waves == ["wave-1", "wave-2"], "waves %r" % waves)
    # the blocker of wave-1 in sit is marked on api's sit cell, not on db's
    marks = d.execute_script("""return [...document.querySelectorAll('td.cell .mark.blocker')].map(m =>
        m.closest('td').dataset.project + '/' + m.closest('td').dataset.env)""")
    check(marks == ["api/sit"], "blocker marks on %r" % marks)
    d.save_screenshot(T + "/board.png")
    # the why panel: the engine's rules for api -> prod
    d.execute_script("document.querySelector('td.cell[data-project=api][data-env=prod] button').click()")
    rules = browser.wait(d, """document.querySelector('#why:not([hidden]) ul.rules') &&
        [...document.querySelectorAll('#why ul.rules li')].map(li => [li.dataset.rule, li.className])""", what="the why panel")
    why = json.loads(urllib.request.urlopen(url + "/api/v1/why/api/prod").read())
    check(rules == [[x["rule"], "ok" if x["ok"] else "not-ok"] for x in why["rules"]], "why rules %r vs %r" % (rules, why["rules"]))
    d.save_screenshot(T + "/why.png")
    # the other views come from the report
    d.get(url + "/#gates")
    browser.wait(d, "document.querySelectorAll('#gates article.gate').length == 2", what="the gates")
    d.get(url + "/#checklist")
    browser.wait(d, "document.querySelector('#checklist li[data-item=\"api-tests\"]')", what="the checklist")
    # the timeline: a target mark per cell with a target, a reached mark per
    # healthy or soaking cell, late targets marked as the engine says
    d.get(url + "/#timeline")
    browser.wait(d, "document.querySelector('#timeline svg')", what="the timeline")
    targets = d.execute_script("""return [...document.querySelectorAll('#timeline rect.target')].map(t =>
        [t.dataset.project, t.dataset.env, t.classList.contains('late')])""")
    check(sorted(map(tuple, targets)) == sorted((c["project"], c["env"], c["late"]) for c in status["cells"] if c["target"]),
          "timeline targets %r" % targets)
    reached = d.execute_script("""return [...document.querySelectorAll('#timeline circle.reached')].map(t =>
        t.dataset.project + '/' + t.dataset.env)""")
    check(sorted(reached) == sorted(c["project"] + "/" + c["env"] for c in status["cells"] if c["state"] in ("healthy", "soaking")),
          "timeline reached %r" % reached)
    check(d.execute_script("return !!document.querySelector('#timeline line.today')"), "no today line")
    d.save_screenshot(T + "/timeline.png")
    # wall-screen mode: the board, no buttons, no tabs
    d.get(url + "/?tv")
    browser.wait(d, "document.body.dataset.loaded", what="the tv board")
    check(d.execute_script("return document.querySelectorAll('td.cell button').length") == 0, "tv mode has buttons")
    check(d.execute_script("return !document.getElementById('view-timeline').hidden && !!document.querySelector('#timeline svg')"), "tv mode lacks the timeline")
    check(d.execute_script("return getComputedStyle(document.querySelector('nav.tabs')).display") == "none", "tv mode shows the tabs")
    d.save_screenshot(T + "/tv.png")
    errs = browser.console_errors(d)
    # expected: "who am I" is 401 before anyone signs in
    check(not [m for m in errs if "/api/v1/events" not in m["message"] and
               not ("/api/v1/session" in m["message"] and "401" in m["message"])], "console errors: %r" % errs)
finally:
    browser.stop(d)
shots = os.environ.get("TOLLGATE_SCREENSHOTS")
if shots:
    import shutil
    for f in ("board.png", "why.png", "timeline.png", "tv.png"):
        shutil.copy(T + "/" + f, os.path.join(shots, "dashboard-" + f))
print("%d failed" % len(fails))
sys.exit(1 if fails else 0)
PY
stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
done_tests
