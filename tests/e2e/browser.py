"""browser.py - headless Chromium (Debian's chromium + chromium-driver) through
python3-selenium, for the dashboard's end-to-end tests.

    import browser
    d = browser.start()            # a WebDriver; browser.stop(d) at the end
    browser.wait(d, "js expression", timeout=10)  # until it is truthy
"""
import os
import time

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service


def start(width=1400, height=900):
    o = Options()
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--no-first-run", "--disable-extensions", f"--window-size={width},{height}"):
        o.add_argument(a)
    o.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=o)


def stop(d):
    try:
        d.quit()
    except Exception:
        pass


def wait(d, expr, timeout=30.0, what=None):
    """Poll a JavaScript expression until it is truthy; its value, or raise."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = d.execute_script("return (" + expr + ");")
        except Exception as e:  # the page may be between loads
            last = e
        if last and not isinstance(last, Exception):
            return last
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what or expr, last))


def console_errors(d):
    """The page's console errors (a CSP refusal, an exception)."""
    return [m for m in d.get_log("browser") if m.get("level") == "SEVERE"]
