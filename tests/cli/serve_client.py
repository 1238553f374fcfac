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


def valid_schema(name, doc, what):
    """doc (parsed JSON) against components/schemas/NAME of the document."""
    v = Draft202012Validator({"$ref": "#/components/schemas/" + name}, resolver=RefResolver("", _doc))
    errs = list(v.iter_errors(doc))
    check(not errs, "%s does not match %s: %s" % (what, name, errs[:1]))


def done():
    print("%d passed, %d failed" % (checks - fails, fails))
    sys.exit(1 if fails else 0)


def local_remote_address():
    """An address of this machine that is not loopback (a client bound to it
    reaches the loopback server as a non-loopback peer), or None."""
    import socket
    import subprocess
    try:
        out = subprocess.run(["ip", "-o", "-4", "addr", "show"], capture_output=True,
                             text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():
        parts = line.split()
        if "inet" in parts:
            addr = parts[parts.index("inet") + 1].split("/")[0]
            if not addr.startswith("127."):
                try:
                    s = socket.socket()
                    s.bind((addr, 0))
                    s.close()
                    return addr
                except OSError:
                    continue
    return None


class Events:
    """A client of GET /api/v1/events on a raw socket: the status and headers,
    then the stream's blocks (SSE: fields up to a blank line), de-chunked.

        ev = sc.Events(headers={"Last-Event-ID": "4"})
        b = ev.block()          # {"id": "5", "data": "...", "comments": [...]}
        e = ev.event()          # the next block with data (heartbeats skipped)
    """

    def __init__(self, path="/api/v1/events", headers=None, source=None, timeout=10,
                 method="GET"):
        import socket
        self.sock = socket.create_connection(
            (URL.hostname, URL.port), timeout=timeout,
            source_address=(source, 0) if source else None)
        req = "%s %s HTTP/1.1\r\nHost: %s:%d\r\nAccept: text/event-stream\r\n" % (
            method, path, URL.hostname, URL.port)
        for k, v in (headers or {}).items():
            req += "%s: %s\r\n" % (k, v)
        self.sock.sendall((req + "\r\n").encode())
        self.raw = b""       # bytes read, not yet de-chunked
        self.data = b""      # the body, de-chunked, not yet parsed
        self.ended = False   # the last chunk (0) came: a clean end
        self.closed = False  # the connection closed
        self.comments = 0    # comment lines seen (heartbeats and the opener)
        self.last_id = None
        while b"\r\n\r\n" not in self.raw:
            if not self._recv():
                raise OSError("closed before the headers")
        head, self.raw = self.raw.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {}
        for l in lines[1:]:
            k, v = l.split(":", 1)
            self.headers[k.strip().lower()] = v.strip()
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        if self.status != 200 or method == "HEAD":
            n = int(self.headers.get("content-length", "0"))
            while len(self.raw) < n and self._recv():
                pass
            self.body = self.raw[:n]

    def _recv(self):
        b = self.sock.recv(65536)
        if not b:
            self.closed = True
            return False
        self.raw += b
        return True

    def _dechunk(self):
        if not self.chunked:
            self.data += self.raw
            self.raw = b""
            return
        while not self.ended:
            if b"\r\n" not in self.raw:
                return
            size_line, rest = self.raw.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                self.ended = True
                return
            if len(rest) < size + 2:
                return
            self.data += rest[:size]
            self.raw = rest[size + 2:]

    def block(self, timeout=10):
        """The next block (a dict of its fields, "comments": its comment
        lines), or None when the stream ended or timed out."""
        import socket
        import time
        until = time.time() + timeout
        while True:
            self._dechunk()
            if b"\n\n" in self.data:
                text, self.data = self.data.split(b"\n\n", 1)
                b = {"comments": []}
                for line in text.decode().split("\n"):
                    if line.startswith(":"):
                        b["comments"].append(line[1:].strip())
                        self.comments += 1
                        continue
                    k, _, v = line.partition(":")
                    b[k] = v[1:] if v.startswith(" ") else v
                if "id" in b:
                    self.last_id = b["id"]
                return b
            if self.ended or self.closed:
                return None
            left = until - time.time()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                if not self._recv():
                    continue
            except socket.timeout:
                return None
            except (ConnectionResetError, BrokenPipeError):
                self.closed = True

    def event(self, timeout=10):
        """The next block that carries data (an audit entry), or None."""
        import time
        until = time.time() + timeout
        while True:
            b = self.block(max(0.0, until - time.time()))
            if b is None or "data" in b:
                return b

    def close(self):
        self.sock.close()
