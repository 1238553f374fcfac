"""serve_client.py - a small HTTP client for the serve-*.sh tests.

    import serve_client as sc
    sc.init()                      # from $SERVE_URL, $T
    st, h, body = sc.get("/api/v1/status", headers={...})
    sc.check(cond, "what")         # counts a check; prints FAIL and remembers it
    sc.valid("/api/v1/status", 200, body)  # the body against openapi.json
    sc.done()                      # exit 1 on any failure
"""
import http.client
import json
import os
import ssl
import sys
import urllib.parse

from jsonschema import Draft202012Validator, RefResolver

URL = None
fails = 0
checks = 0
_doc = None


def init():
    global URL, _doc
    URL = urllib.parse.urlsplit(os.environ["SERVE_URL"])
    _doc = json.load(open(os.path.join(os.environ["TOLLGATE_SRC"], "src/serve/openapi.json")))


def conn(timeout=20):
    if URL.scheme == "https":
        ctx = ssl.create_default_context(cafile=os.environ.get("SERVE_CA"))
        ctx.check_hostname = False
        return http.client.HTTPSConnection(URL.hostname, URL.port, timeout=timeout, context=ctx)
    return http.client.HTTPConnection(URL.hostname, URL.port, timeout=timeout)


def request(method, path, body=None, headers=None):
    c = conn()
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


def send(method, path, doc=None, token=None, raw=None, headers=None):
    """A write: doc as JSON (or raw bytes), token as Bearer; (status, headers, parsed JSON or None)."""
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    body = raw if raw is not None else (json.dumps(doc).encode() if doc is not None else None)
    if body is not None:
        h.setdefault("Content-Type", "application/json")
    st, rh, data = request(method, path, body=body, headers=h)
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = None
    return st, rh, parsed, data


def get(path, headers=None):
    return request("GET", path, headers=headers)


def check(cond, what):
    global fails, checks
    checks += 1
    if not cond:
        fails += 1
        print("FAIL: " + what, file=sys.stderr)
    return cond


def _schema_for(path, status, ctype, method="get"):
    """The response schema the document gives path (a template) and status."""
    op = _doc["paths"][path][method]
    resp = op["responses"].get(str(status))
    if resp is not None and "$ref" in resp:
        resp = _doc["components"]["responses"][resp["$ref"].split("/")[-1]]
    if resp is None or "content" not in resp:
        return None
    content = resp["content"]
    key = "application/json" if "application/json" in content else next(iter(content))
    if ctype and ctype.split(";")[0] in content:
        key = ctype.split(";")[0]
    return content[key]["schema"]


def valid(path, status, body, ctype="application/json", method="get"):
    """Validate a response against the document; path is its template."""
    method = method.lower()
    if not check(path in _doc["paths"] and method in _doc["paths"][path],
                 "openapi.json has no %s %s" % (method.upper(), path)):
        return
    if not check(str(status) in _doc["paths"][path][method]["responses"],
                 "openapi.json has no status %d for %s %s" % (status, method.upper(), path)):
        return
    schema = _schema_for(path, status, ctype, method)
    if schema is None or not ctype.startswith("application/json"):
        return
    try:
        doc = json.loads(body)
    except ValueError as e:
        check(False, "%s %d: not JSON: %s" % (path, status, e))
        return
    v = Draft202012Validator(schema, resolver=RefResolver("", _doc))
    errs = list(v.iter_errors(doc))
    check(not errs, "%s %d does not match openapi.json: %s" % (path, status, errs[:1]))


def done():
    print("%d passed, %d failed" % (checks - fails, fails))
    sys.exit(1 if fails else 0)
