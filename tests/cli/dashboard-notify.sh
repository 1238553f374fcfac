#!/bin/bash
# dashboard-notify.sh - dead notifications on the dashboard (headless
# Chromium): serve's background deliverer gives a message up against a
# receiver that is down; the tab shows "1 dead", the view lists it with the
# receiver's error; a signed-in person clicks Retry once the receiver is back
# and the message arrives, with its delivery id, and leaves the list.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
. "$TOLLGATE_SRC/tests/cli/serve_lib.bash"

backend_store
export T
cp "$FIXTURES/dashboard.yaml" tollgate.yaml
cat >>tollgate.yaml <<'YAML'
channels:
  - {id: hook, kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET}
notify:
  - {channel: hook, events: ["incident.*"]}
notify_policy: {max_attempts: 1}
YAML
echo down >control
/usr/bin/python3 "$TOLLGATE_SRC/tests/cli/notify_receiver.py" port log control s3 &
RECEIVER=$!
for _ in $(seq 200); do [ -s port ] && break; sleep 0.05; done
export HOOK_URL="http://127.0.0.1:$(cat port)/hook" HOOK_SECRET=s3
touch log
export TOM=$("$TOLLGATE_BIN" token create tom --as tom --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
start_serve || { fail "serve did not start"; kill $RECEIVER; done_tests; }
trap 'kill $RECEIVER 2>/dev/null' EXIT
run incident open --as tom --level 1 --env sit "pages slow"
expect_rc 0
checks=$((checks + 1))
for _ in $(seq 100); do
	"$TOLLGATE_BIN" notify list --failed --json 2>/dev/null | grep -q '"dead"' && break
	sleep 0.1
done
"$TOLLGATE_BIN" notify list --failed --json | grep -q '"dead"' || fail "no dead message"
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

d = browser.start()
try:
    d.get(url + "/#board")
    browser.wait(d, "document.body.dataset.loaded", what="the page")
    badge = browser.wait(d, "!document.getElementById('dead-count').hidden && document.getElementById('dead-count').textContent", what="the dead badge")
    check(badge == "1 dead", "badge: %r" % badge)
    d.get(url + "/#notifications")
    li = browser.wait(d, "document.querySelector('#notifications li[data-message]') && document.querySelector('#notifications li[data-message]').textContent", what="the dead message")
    check("incident.open" in li and "503" in li and "hook" in li, "the listed message: %r" % li)
    check(not d.execute_script("return document.querySelector('#notifications button.retry')"), "a Retry button for nobody signed in")
    d.find_element("id", "signin-token").send_keys(os.environ["TOM"])
    d.find_element("css selector", "#signin button[type=submit]").click()
    browser.wait(d, "document.body.dataset.person == 'tom'", what="tom signed in")
    btn = browser.wait(d, "document.querySelector('#notifications button.retry')", what="the Retry button")
    open(T + "/control", "w").write("ok")
    d.execute_script("document.querySelector('#notifications button.retry').click()")
    browser.wait(d, "document.getElementById('dead-count').hidden && !document.querySelector('#notifications li[data-message]')", what="the list emptied")
    d.save_screenshot(T + "/notifications.png")
    errs = browser.console_errors(d)
    # expected: "who am I" is 401 before anyone signs in
    check(not [m for m in errs if "/api/v1/events" not in m["message"] and
               not ("/api/v1/session" in m["message"] and "401" in m["message"])], "console errors: %r" % errs)
finally:
    browser.stop(d)
print("%d failed" % len(fails))
sys.exit(1 if fails else 0)
PY
checks=$((checks + 1))
for _ in $(seq 100); do [ -s log ] && break; sleep 0.1; done
/usr/bin/python3 - <<'PY' || fail "the retried message did not arrive"
import json
d = [json.loads(l) for l in open("log") if l.strip()]
assert len(d) == 1 and d[0]["sig_ok"] and d[0]["body"]["event"] == "incident.open", d
assert d[0]["delivery"].endswith(":hook"), d
PY
stop_serve
[ "$serve_rc" = 0 ] || fail "serve exited $serve_rc"
done_tests
