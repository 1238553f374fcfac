#!/bin/bash
# dashboard-act.sh - acting through the dashboard in headless Chromium
# (issue 12): sam (sdet) signs in, ticks the QA item he may tick, and sees no
# Approve button for the tech lead's gate; a forged POST with his cookie but
# no CSRF token, and one from another origin, are refused (403) and write
# nothing; tom (tech lead) signs in and approves the gate by clicking, and the
# board marks the projects ready; he dry-runs and starts a promotion to sit
# from the page and watches the run view: api healthy, web's verify fails and
# it is rolled back, with the step's log tail shown; the audit log says who
# did each thing through which token.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
export TOLLGATE_NOW=2026-01-10T09:00:00Z
cp "$FIXTURES/dashboard.yaml" tollgate.yaml
run record api dev --version a-1 --as tom
expect_rc 0
run record web dev --version w-1 --as tom
expect_rc 0
tok() { "$TOLLGATE_BIN" token create "$1" --as "$1" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'; }
export TOM=$(tok tom) SAM=$(tok sam)
export TOM_ID=$(echo "$TOM" | cut -d_ -f2) SAM_ID=$(echo "$SAM" | cut -d_ -f2)
start_serve || { fail "serve did not start"; done_tests; }
export PYTHONPATH="$TOLLGATE_SRC/tests/e2e:$PYTHONPATH"
export TMPDIR="$T"

checks=$((checks + 1))
/usr/bin/python3 - <<'PY' || fail "browser checks (above)"
import json, os, sys, urllib.request, urllib.error
import browser

url, T = os.environ["SERVE_URL"], os.environ["T"]
fails = []
def check(cond, what):
    if not cond:
        fails.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond

def post(path, body, headers):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers=dict({"Content-Type": "application/json"}, **headers))
    try:
        return urllib.request.urlopen(req).status
    except urllib.error.HTTPError as e:
        return e.code

def audit_count():
    return len(json.loads(urllib.request.urlopen(url + "/api/v1/log?limit=1000").read())["entries"])

def sign_in(d, token, person):
    d.get(url + "/#gates")
    browser.wait(d, "document.body.dataset.loaded", what="the page")
    d.find_element("id", "signin-token").send_keys(token)
    d.find_element("css selector", "#signin button[type=submit]").click()
    browser.wait(d, "document.body.dataset.person == %r" % person, what=person + " signed in")

d = browser.start()
try:
    # sam: may tick the QA item, may not approve
    sign_in(d, os.environ["SAM"], "sam")
    browser.wait(d, "document.querySelector('#gates article[data-gate=g1]')", what="gate g1")
    check(d.execute_script("return document.querySelectorAll('#gates button.approve').length") == 0, "sam sees an Approve button")
    # the why panel says what is missing, and offers sam only what he may do: tick QA, not approve
    d.get(url + "/#board")
    browser.wait(d, "document.querySelector('td.cell[data-project=api][data-env=sit] button')", what="the board")
    d.execute_script("document.querySelector('td.cell[data-project=api][data-env=sit] button').click()")
    fixes = browser.wait(d, """document.querySelector('#why ul.fixes') && [...document.querySelectorAll('#why ul.fixes li')].map(li =>
        li.dataset.action + ':' + [...li.querySelectorAll('button')].map(b => b.textContent).join('|'))""", what="the why panel's fixes")
    check(fixes == ["approve:", "check:Tick qa-signoff"], "fixes offered to sam: %r" % fixes)
    d.get(url + "/#checklist")
    box = browser.wait(d, "document.querySelector('#tick-qa-signoff')", what="the QA box")
    check(d.execute_script("return !document.getElementById('tick-qa-signoff').disabled"), "sam may not tick qa-signoff")
    d.execute_script("document.getElementById('tick-qa-signoff').click()")
    browser.wait(d, "document.querySelector('li[data-item=\"qa-signoff\"].done')", what="qa-signoff ticked")
    # forged requests with sam's cookie: no CSRF token; another origin
    cookie = "tg_session=" + d.get_cookie("tg_session")["value"]
    csrf = d.execute_script("return fetch('/api/v1/session').then(r => r.json()).then(j => j.csrf)")
    n = audit_count()
    st = post("/api/v1/checks/qa-signoff", {"note": "forged"}, {"Cookie": cookie, "Origin": url})
    check(st == 403, "a POST without the CSRF token: %d" % st)
    st = post("/api/v1/checks/qa-signoff", {"note": "forged"}, {"Cookie": cookie, "Origin": "http://evil.example", "X-CSRF-Token": csrf})
    check(st == 403, "a cross-origin POST: %d" % st)
    # a page of another site posting a form with sam's cookie: the browser sends no cookie (SameSite) and the server refuses
    check(audit_count() == n, "a forged request wrote to the log")
    d.execute_script("document.getElementById('signout').click()")
    browser.wait(d, "document.body.dataset.person === ''", what="sam signed out")
    check(d.get_cookie("tg_session") is None, "the cookie outlives signing out")

    # tom: the why panel of api -> sit offers the approval he may give
    sign_in(d, os.environ["TOM"], "tom")
    d.get(url + "/#board")
    browser.wait(d, "document.querySelector('td.cell[data-project=api][data-env=sit] button')", what="the board")
    # (the panel's last answer, sam's, is cleared first: wait for tom's)
    d.execute_script("document.getElementById('why-body').textContent = ''")
    d.execute_script("document.querySelector('td.cell[data-project=api][data-env=sit] button').click()")
    fixes = browser.wait(d, """document.querySelector('#why ul.fixes') && [...document.querySelectorAll('#why ul.fixes li')].map(li =>
        li.dataset.action + ':' + [...li.querySelectorAll('button')].map(b => b.textContent).join('|'))""", what="the why panel's fixes")
    check(fixes == ["approve:Approve g1 as tech-lead"], "fixes offered to tom: %r" % fixes)
    d.execute_script("document.getElementById('why').hidden = true")
    # tom approves by clicking on the gate; the board marks both projects ready for sit
    btn = browser.wait(d, "document.querySelector('#gates article[data-gate=g1] button.approve')", what="tom's Approve button")
    d.get(url + "/#board")
    browser.wait(d, "document.querySelector('td.cell[data-project=api][data-env=sit]')", what="the board")
    check(d.execute_script("return document.querySelectorAll('td.cell[data-ready]').length") == 0, "ready before the approval")
    d.get(url + "/#gates")
    d.execute_script("document.querySelector('#gates article[data-gate=g1] button.approve').click()")
    browser.wait(d, "document.querySelector('#gates article[data-gate=g1] .badge.g-passed')", what="g1 passed")
    d.get(url + "/#board")
    ready = browser.wait(d, """document.querySelectorAll('td.cell[data-ready]').length == 2 &&
        [...document.querySelectorAll('td.cell[data-ready]')].map(c => c.dataset.project + '/' + c.dataset.env)""", what="cells ready")
    check(sorted(ready) == ["api/sit", "web/sit"], "ready cells %r" % ready)
    d.save_screenshot(T + "/ready.png")

    # promote from the page: the dry run's order first, then the run view
    d.get(url + "/#promote")
    browser.wait(d, "document.querySelector('#promote-to option[value=sit]')", what="the promote form")
    d.find_element("id", "promote-dry").click()
    order = browser.wait(d, "document.querySelectorAll('#promote-plan ol li').length == 2 && [...document.querySelectorAll('#promote-plan ol li')].map(l => l.dataset.project)", what="the dry run")
    check(sorted(order) == ["api", "web"], "dry-run order %r" % order)
    check(d.execute_script("return document.querySelectorAll('td.cell[data-state=running]').length") == 0, "the dry run ran something")
    d.find_element("id", "promote-start").click()
    browser.wait(d, "document.getElementById('run').dataset.state && document.getElementById('run').dataset.state != 'running'", timeout=30, what="the run to end")
    outcomes = d.execute_script("return Object.fromEntries([...document.querySelectorAll('#run .run-results li')].map(l => [l.dataset.project, l.dataset.outcome]))")
    check(outcomes == {"api": "healthy", "web": "rolled-back"}, "outcomes %r" % outcomes)
    steps = d.execute_script("return [...document.querySelectorAll('#run tr[data-step]')].map(r => r.dataset.project + ':' + r.dataset.step + ':' + r.dataset.state)")
    check("web:verify:failed" in steps and "web:rollback:ok" in steps and "api:deploy:ok" in steps, "steps %r" % steps)
    d.execute_script("document.querySelector('#run tr[data-project=web][data-step=verify] button').click()")
    tail = browser.wait(d, "document.querySelector('#run tr[data-project=web][data-step=verify] pre').textContent", what="the log tail")
    check("the smoke test failed" in tail, "the verify's log tail: %r" % tail)
    d.save_screenshot(T + "/run.png")
    d.get(url + "/#board")
    browser.wait(d, "document.querySelector('td.cell[data-project=web][data-env=sit][data-state=\"rolled-back\"]')", what="web rolled back on the board")
    # an incident opened from the page; the audit log filtered by person
    d.get(url + "/#incidents")
    browser.wait(d, "!document.getElementById('incident-form').hidden", what="the incident form")
    d.find_element("css selector", "#incident-form input[name=text]").send_keys("latency up in sit")
    d.execute_script("document.querySelector('#incident-form select[name=env]').value = 'sit'")
    d.find_element("css selector", "#incident-form button[type=submit]").click()
    browser.wait(d, "[...document.querySelectorAll('#incidents li[data-incident]')].some(li => li.textContent.includes('latency up in sit'))", what="the incident listed")
    d.get(url + "/#log")
    browser.wait(d, "document.querySelectorAll('#log tr[data-seq]').length > 5", what="the audit log")
    d.find_element("css selector", "#log-filter input[name=actor]").send_keys("sam")
    actors = browser.wait(d, "[...document.querySelectorAll('#log tr[data-seq] td:nth-child(3)')].map(t => t.textContent)", what="filtered")
    check(actors and set(actors) == {"sam"}, "the log filtered by sam: %r" % actors)
    check("Chain" in d.find_element("id", "chain").text or "chain verifies" in d.find_element("id", "chain").text, "chain: %r" % d.find_element("id", "chain").text)
    d.save_screenshot(T + "/log.png")
finally:
    browser.stop(d)
log = json.loads(urllib.request.urlopen(url + "/api/v1/log?limit=1000").read())["entries"]
acts = [(e["action"], e["actor"], e.get("auth")) for e in log if e["action"] in ("check", "approve", "incident.open")]
check(acts == [("check", "sam", "token:" + os.environ["SAM_ID"]), ("approve", "tom", "token:" + os.environ["TOM_ID"]),
               ("incident.open", "tom", "token:" + os.environ["TOM_ID"])], "audit %r" % acts)
shots = os.environ.get("TOLLGATE_SCREENSHOTS")
if shots:
    import shutil
    for f in ("ready.png", "run.png", "log.png"):
        shutil.copy(T + "/" + f, os.path.join(shots, "dashboard-" + f))
print("%d failed" % len(fails))
sys.exit(1 if fails else 0)
PY
stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
done_tests
