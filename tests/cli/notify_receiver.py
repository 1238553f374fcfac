#!/usr/bin/python3
"""notify_receiver.py - a webhook receiver for the notify tests.

Usage: notify_receiver.py PORTFILE LOG CONTROL SECRET

Listens on a free loopback port (written to PORTFILE once listening). Each
POST is checked: X-Tollgate-Signature must be sha256=HMAC-SHA256(SECRET, body)
(a bad one is answered 401 and logged as "badsig"). CONTROL holds the mode:
"ok" (200, the delivery is appended to LOG as one JSON line), "down" (503), or
"retry N" (503 with Retry-After: N) or "slow N" (as ok, after N seconds).
A path under /slack/ stands for a Slack incoming webhook: unsigned, logged
with "slack": true.
"""
import hashlib
import hmac
import http.server
import json
import sys
import time

portfile, log, control, secret = sys.argv[1:5]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code, text, headers=()):
        body = text.encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            mode = open(control).read().split()
        except OSError:
            mode = ["ok"]
        if mode and mode[0] == "down":
            return self.answer(503, "down for maintenance")
        if mode and mode[0] == "retry":
            return self.answer(503, "busy", [("Retry-After", mode[1])])
        if mode and mode[0] == "slow":
            time.sleep(float(mode[1]))
        want = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        sig = self.headers.get("X-Tollgate-Signature", "")
        j = json.loads(body)
        slack = self.path.startswith("/slack/")
        rec = {
            "delivery": self.headers.get("X-Tollgate-Delivery"),
            "path": self.path,
            "sig_ok": slack or hmac.compare_digest(want, sig),
            "slack": slack,
            "at": time.time(),
            "body": j,
        }
        with open(log, "a") as f:
            f.write(json.dumps(rec) + "\n")
        if not rec["sig_ok"]:
            return self.answer(401, "badsig")
        self.answer(200, "ok")


srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
