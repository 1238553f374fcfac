#!/usr/bin/python3
"""notify-load.py SERVE_URL TOKEN N PROJECTS COMMITS DIRECT_URL - bench-notify.sh's
load: N incidents opened through POST /api/v1/incidents on one keep-alive
connection, one after the other, each on one of PROJECTS projects; the time
each answer came back (the change is committed by then) is written to
COMMITS as "TIME TEXT". Then the same N bodies are POSTed straight to
DIRECT_URL (the peer: what the client and the receiver do with no tollgate
between them); prints that run's messages per second."""
import http.client
import json
import socket
import sys
import time
import urllib.parse

url, token, n, projects, commits, direct = sys.argv[1:7]
n, projects = int(n), int(projects)
u = urllib.parse.urlsplit(url)
c = http.client.HTTPConnection(u.hostname, u.port)
c.connect()
c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
hdr = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
lines = []
for i in range(n):
    text = "b%d" % i
    body = json.dumps({"level": 1, "env": "sit", "project": "p%d" % (i % projects), "text": text})
    c.request("POST", "/api/v1/incidents", body, hdr)
    r = c.getresponse()
    r.read()
    t = time.time()
    if r.status != 201:
        sys.exit("incident %d: HTTP %d" % (i, r.status))
    lines.append("%.6f %s" % (t, text))
with open(commits, "w") as f:
    f.write("\n".join(lines) + "\n")

d = urllib.parse.urlsplit(direct)
c = http.client.HTTPConnection(d.hostname, d.port)
c.connect()
c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
t0 = time.time()
for i in range(n):
    body = json.dumps({"event": "incident.open", "detail": "direct %d" % i})
    c.request("POST", d.path, body, {"Content-Type": "application/json", "X-Tollgate-Delivery": "d%d" % i})
    r = c.getresponse()
    r.read()
print("%.1f" % (n / (time.time() - t0)))
