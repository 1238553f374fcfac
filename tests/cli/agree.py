#!/usr/bin/python3
"""agree.py BIN PROJECT ENV [EXPECT] - the front ends answer from one engine.

Runs `why`, `next`, `promote --dry-run`, `status --json` and
`report --format json` for PROJECT in ENV and checks that they agree:
  - why's verdict == PROJECT:ENV listed by next == PROJECT planned by the dry run;
  - when not ready, the dry run lists PROJECT as not ready, with the first
    failing rule's name in its summary;
  - the status cell and the report cell have the same state and live version;
  - every gate before ENV that why calls passed is passed in the report (for
    PROJECT's candidate), and one that why says is missing is not.
EXPECT (optional) is `ready` or `not-ready:RULE[,RULE]` (the failing rules).
Prints one line per disagreement and exits 1 when there is any.
"""
import json
import subprocess
import sys

binary, project, env = sys.argv[1:4]
expect = sys.argv[4] if len(sys.argv) > 4 else None
problems = []


def run(*args):
    p = subprocess.run([binary, *args], capture_output=True, text=True)
    try:
        return p.returncode, json.loads(p.stdout) if p.stdout.strip() else None
    except json.JSONDecodeError:
        problems.append("%s: not JSON: %r" % (" ".join(args), p.stdout[:300]))
        return p.returncode, None


rc_why, why = run("why", project, env, "--json")
_, nxt = run("next", "--json")
rc_dry, dry = run("promote", "--to", env, "--project", project, "--dry-run", "--json")
_, status = run("status", "--json")
_, report = run("report", "--format", "json")
if None in (why, nxt, dry, status, report):
    print("\n".join(problems) or "a command printed nothing")
    sys.exit(1)

ready = why["ready"]
failing = [r["rule"] for r in why["rules"] if not r["ok"]]
if rc_why != (0 if ready else 3):
    problems.append("why exited %d with ready=%s" % (rc_why, ready))
if expect == "ready" and not ready:
    problems.append("why says not ready (%s), expected ready" % failing)
elif expect and expect.startswith("not-ready:"):
    want = sorted(expect.split(":", 1)[1].split(","))
    if ready or sorted(failing) != want:
        problems.append("why's failing rules are %s, expected %s" % (failing, want))

in_next = any(x["project"] == project and x["env"] == env for x in nxt["ready"])
planned = [x if isinstance(x, str) else x.get("project") for x in dry.get("plan", [])]
in_dry = project in planned
if in_next != ready:
    problems.append("why says ready=%s but next %s it" % (ready, "lists" if in_next else "lacks"))
if in_dry != ready:
    problems.append("why says ready=%s but promote --dry-run %s it" %
                    (ready, "plans" if in_dry else "does not plan"))
if not ready:
    nr = [x for x in dry.get("not_ready", []) if x["project"] == project]
    if not nr:
        problems.append("promote --dry-run does not say why %s is not ready" % project)
    elif failing and failing[0] not in nr[0]["summary"] and not any(
            r["detail"] and r["detail"] in nr[0]["summary"] for r in why["rules"] if not r["ok"]):
        problems.append("dry run's reason %r names neither rule %s nor its detail" %
                        (nr[0]["summary"], failing[0]))
if ready and in_next:
    v = [x["version"] for x in nxt["ready"] if x["project"] == project and x["env"] == env][0]
    src = [r for r in why["rules"] if r["rule"] == "source"][0]
    if v not in (src.get("detail") or v):
        problems.append("next offers %s, why's source says %r" % (v, src.get("detail")))

cell = [c for c in status["cells"] if c["project"] == project and c["env"] == env]
rcell = [c for w in report["waves"] for p in w["projects"] if p["id"] == project
         for c in p["cells"] if c["env"] == env]
if len(cell) != 1 or len(rcell) != 1:
    problems.append("status has %d cells and the report %d for %s in %s" %
                    (len(cell), len(rcell), project, env))
else:
    c, r = cell[0], rcell[0]
    if c["state"] != r["state"]:
        problems.append("status says %s, the report %s" % (c["state"], r["state"]))
    live_s = c.get("live_version", c.get("version"))
    live_r = r.get("live_version", r.get("version"))
    if live_s != live_r:
        problems.append("status's live version is %s, the report's %s" % (live_s, live_r))

gates_rule = [r for r in why["rules"] if r["rule"] == "gates"][0]
for g in report["gates"]:
    if g["before"]["env"] != env:
        continue
    waves = g["before"].get("waves") or []
    wave = [w["id"] for w in report["waves"] if any(p["id"] == project for p in w["projects"])][0]
    if waves and wave not in waves:
        continue
    named = ("'%s'" % g["id"]) in (gates_rule["detail"] or "")
    # an approval is for a project's candidate: the gate for this project
    mine = [c for c in g.get("candidates", []) if c["project"] == project]
    passed = (mine[0]["status"] if mine else g["status"]) == "passed"
    if gates_rule["ok"] and not passed:
        problems.append("why passes the gates but the report says gate %s is %s" %
                        (g["id"], g["status"]))
    if not gates_rule["ok"] and named and passed:
        problems.append("why says gate %s is missing but the report says %s" %
                        (g["id"], g["status"]))

for p in problems:
    print("%s %s: %s" % (project, env, p))
sys.exit(1 if problems else 0)
