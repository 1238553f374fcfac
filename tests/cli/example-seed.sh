#!/bin/bash
# example-seed.sh - the example plan encodes ALL of its seed document
# (examples/q1-2026/seed.md, a copy of shared/seeds/master-promotion-plan.md):
# every checkbox is a checklist item with that text, every project row a
# project with its wave, owner and targets, every risk, gate, trigger,
# timeline line, rollback step, escalation level, resource and next step is
# there, and `tollgate validate --json` counts the same.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

EX="$TOLLGATE_SRC/examples/q1-2026"

checks=$((checks + 1))
set +e
/usr/bin/python3 - "$EX/seed.md" "$EX/tollgate.yaml" >"$T/out" 2>"$T/err" <<'PY'
import re, sys
import yaml

seed = open(sys.argv[1], encoding="utf-8").read()
class Loader(yaml.SafeLoader):
    pass
Loader.yaml_implicit_resolvers = {
    k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
plan = yaml.load(open(sys.argv[2], encoding="utf-8"), Loader=Loader)
problems = []
def want(cond, what):
    if not cond:
        problems.append(what)

def section(title):
    """The text of a seed section, from its heading to the next of its level."""
    m = re.search(r"^(#+) " + re.escape(title) + r".*$", seed, re.M)
    assert m, title
    level = len(m.group(1))
    rest = seed[m.end():]
    end = re.search(r"^#{1,%d} " % level, rest, re.M)
    return rest[: end.start()] if end else rest

MONTHS = {"Jan": 1, "Feb": 2, "Mar": 3}
def day(month, d):
    return "2026-%02d-%02d" % (MONTHS[month], int(d))

items = {c["id"]: c for c in plan["checklist"]}
texts = {c["text"]: c for c in plan["checklist"]}

# Checkboxes: one item each (a few lines are said by items named otherwise).
alias = {
    "SIT AWS account access verified": ["SIT AWS Account (815856636111) access verified"],
    "AWS account access (SIT: 815856636111, PROD: 093646564004)":
        ["SIT AWS Account (815856636111) access verified", "PROD AWS Account (093646564004) access verified"],
}
boxes = re.findall(r"^\s*- \[[ x]\] (.+?)\s*$", seed, re.M)
want(len(boxes) == 69, "expected 69 checkboxes in the seed, found %d" % len(boxes))
for b in boxes:
    for t in alias.get(b, [b]):
        want(t in texts, "checkbox not in the checklist: %s" % t)

# Pre-promotion categories, success criteria, post-promotion groups.
pre = section("Pre-Promotion Checklist")
for cat, body in re.findall(r"^### (.+?)\n(.*?)(?=^### |\Z)", pre, re.M | re.S):
    for b in re.findall(r"^- \[[ x]\] (.+)$", body, re.M):
        want(texts.get(b, {}).get("category") == cat, "'%s' should be in category '%s'" % (b, cat))
envs = {e["name"]: e for e in plan["environments"]}
for env, title in (("sit", "SIT Promotion Success"), ("prod", "PROD Promotion Success")):
    lines = re.findall(r"^- \[[ x]\] (.+)$", section(title), re.M)
    got = [items[i]["text"] for i in envs[env].get("success", [])]
    want(got == lines, "%s success should be %s, is %s" % (env, lines, got))
groups = {g["title"]: g for g in plan.get("post_promotion", [])}
for title in ("Wave 1 (After SIT)", "Wave 2 (After SIT)", "After PROD Promotion"):
    lines = re.findall(r"^- \[[ x]\] (.+)$", section(title), re.M)
    got = [items[i]["text"] for i in groups.get(title, {}).get("items", [])]
    want(got == lines, "post-promotion '%s' should be %s, is %s" % (title, lines, got))

# Environments and accounts, soak.
want([e["name"] for e in plan["environments"]] == ["dev", "sit", "prod"], "environments dev, sit, prod")
want(envs["sit"].get("account") == "815856636111" and envs["prod"].get("account") == "093646564004", "accounts")
want(envs["sit"].get("soak") == "24h" and envs["prod"].get("soak") == "24h", "24h soak in sit and prod")

# Waves and projects (the wave tables).
waves = {w["id"]: w for w in plan["waves"]}
# a project's keys over defaults.projects (as tollgate reads them)
projects = {p["id"]: {**plan.get("defaults", {}).get("projects", {}), **p} for p in plan["projects"]}
for n, (title, frm, to, year) in enumerate(re.findall(
        r"^### Wave \d: (.+?) \((\w+ \d+) - (\w+ \d+), (\d+)\)$", seed, re.M), 1):
    w = waves.get("wave-%d" % n, {})
    want(w.get("title") == title, "wave-%d title %s" % (n, title))
    want(w.get("window") == {"from": day(*frm.split()), "to": day(*to.split())}, "wave-%d window" % n)
    body = section("Wave %d: %s" % (n, title))
    pre_lines = re.findall(r"^- \[[ x]\] (.+)$", body, re.M)
    got = [items[i]["text"] for i in w.get("prerequisites", [])]
    want(len(got) == len(pre_lines) == 5, "wave-%d has the 5 prerequisites" % n)
    for row in re.findall(r"^\| \d \| (\w+) \| .*? \| (\w+ \d+) \| (\w+ \d+) \| (\w+) \|$", body, re.M):
        pid, sit, prod, owner = row
        p = projects.get(pid, {})
        want(p.get("wave") == "wave-%d" % n, "%s in wave-%d" % (pid, n))
        want(p.get("owner") == owner, "%s owner %s" % (pid, owner))
        want(p.get("targets") == {"sit": day(*sit.split()), "prod": day(*prod.split())}, "%s targets" % pid)
want(waves.get("wave-2", {}).get("after") == {"wave": "wave-1", "env": "sit"}, "wave-2 after wave-1 in sit")
want(sorted(projects.get("backend_public", {}).get("depends_on", [])) == ["dynamodb_schemas", "s3_schemas"],
     "backend_public depends on dynamodb_schemas and s3_schemas")
for pid, doc in re.findall(r"^\| (\w+) \| \[(\d\d_\w+\.md)\]", seed, re.M):
    want(projects.get(pid, {}).get("doc") == "plans/" + doc, "%s doc plans/%s" % (pid, doc))
want(len(projects) == 7, "7 projects")

# Gates.
gates = {g["title"]: g for g in plan.get("gates", [])}
role = {"Tech Lead": "tech-lead", "Developer Lead": "developer-lead", "DevOps Lead": "devops-lead",
        "Product Owner": "product-owner", "Ops Lead": "ops-lead"}
for num, title, body in re.findall(r"^### Gate (\d): (.+?) \(.*?\n(.*?)(?=^###|^---)", seed, re.M | re.S):
    g = gates.get(title, {})
    want(g.get("id") == "gate-" + num, "gate %s id" % title)
    loc = re.search(r"\*\*Location:\*\* (.+)", body).group(1)
    want(g.get("location") == loc, "gate %s location %s" % (title, loc))
    appr = [role[r.strip()] for r in re.search(r"\*\*Approvers:\*\* (.+)", body).group(1).split(",")]
    want(g.get("approvers") == appr, "gate %s approvers %s" % (title, appr))
people_roles = [r for p in plan["people"] for r in p.get("roles", [])]
for r in role.values():
    want(people_roles.count(r) >= 1, "someone holds %s" % r)

# Risks.
risks = {r["text"]: r for r in plan.get("risks", [])}
rows = re.findall(r"^\| ([^|]+?) \| \S+ (HIGH|MEDIUM|LOW) \| ([^|]+?) \| ([^|]+?) \|$", section("Risk Assessment"), re.M)
want(len(rows) == 7, "7 risks in the seed")
for text, sev, scope, mit in rows:
    r = risks.get(text, {})
    want(r.get("severity") == sev.lower(), "risk %s severity" % text)
    want(r.get("mitigation") == mit, "risk %s mitigation" % text)
    if scope in ("All",):
        want(r.get("projects") == "all", "risk %s projects all" % text)
    elif scope in projects:
        want(r.get("projects") == [scope], "risk %s projects" % text)
    else:
        want(r.get("scope") == scope, "risk %s scope %s" % (text, scope))

# Triggers, rollback steps, escalation.
trig = [t["text"] for t in plan.get("triggers", [])]
for line in re.findall(r"^- (.+)$", section("Immediate Rollback Triggers"), re.M):
    want(line in trig, "trigger: %s" % line)
measured = [t for t in plan["triggers"] if "measure" in t]
want(len(measured) == 1 and measured[0].get("above") == 0.05, "one measured trigger, above 0.05")
steps = [(s["step"], s["text"]) for s in plan.get("rollback_procedure", [])]
want(steps == re.findall(r"^\d\. \*\*(\w+):\*\* (.+)$", section("Rollback Process"), re.M), "rollback steps")
esc = [(e["level"], e["name"], e["action"]) for e in plan.get("escalation", [])]
want(esc == [(int(l), n, a) for l, n, a in re.findall(r"^\d\. \*\*Level (\d) \((\w+)\):\*\* (.+)$", seed, re.M)],
     "escalation levels")

# Blocker.
b = {x["id"]: x for x in plan.get("blockers", [])}.get("api_infra", {})
want(b.get("progress") == 40 and b.get("due") == "2026-01-09" and b.get("owner") == "DevOps Engineer"
     and b.get("blocks") == {"env": "sit", "waves": ["wave-1"]}
     and b.get("impact") == "Blocks custom domain routing" and b.get("mitigation") == "Prioritize this week",
     "the api_infra blocker")

# Timeline: every line a milestone on its dates.
ms = [(m["date"], m.get("until"), m["text"]) for m in plan.get("milestones", [])]
lines = re.findall(r"^[├└]─ (\w+) (\d+)(?:-(\d+))?\s.*?\s{2,}\S+\s+(.+?)\s*$", seed, re.M)
want(len(lines) == 13, "13 timeline lines in the seed, found %d" % len(lines))
for mon, d1, d2, text in lines:
    date, until = day(mon, d1), (day(mon, d2) if d2 else None)
    want(any(m[0] == date and m[1] == until and text in m[2] for m in ms),
         "milestone %s%s %s" % (date, ".." + until if until else "", text))

# Resources, change log, next steps, communication, plan identity.
res = [(r["role"], r["availability"], r["responsibility"]) for r in plan.get("resources", [])]
want(res == re.findall(r"^\| \*\*(.+?)\*\* \| [^|]+ \| ([^|]+?) \| ([^|]+?) \|$", section("Resource Allocation"), re.M),
     "resources")
want(plan.get("changelog") == [{"date": "2026-01-07", "change": "Initial master plan created", "author": "Agentic PM"}],
     "change log")
for title, body in re.findall(r"^### (.+?)\n(.*?)(?=^###|^---)", section("Next Steps"), re.M | re.S):
    got = {n["title"]: n["items"] for n in plan.get("next_steps", [])}.get(title)
    want(got == re.findall(r"^\d\. (.+)$", body, re.M), "next steps %s" % title)
comm = {c["title"]: c for c in plan.get("communication", [])}
want(comm.get("Daily Standup (During Promotion)", {}).get("time") == "9:00 AM", "daily standup")
want(comm.get("Status Updates", {}).get("channel") == "Slack #deployments", "status updates")
p = plan["plan"]
want((p.get("id"), p.get("created"), p.get("next_review"), p.get("manager"), p.get("contact"), p.get("risk"))
     == ("PROM-2026-Q1-001", "2026-01-07", "2026-01-08", "Agentic Project Manager", "Agentic Project Manager", "medium"),
     "plan identity")

for x in problems:
    print("missing: " + x)
sys.exit(1 if problems else 0)
PY
rc=$?
set -e
[ "$rc" -eq 0 ] || fail "the example does not encode all of the seed"

# the binary counts the same
run validate --plan "$EX/tollgate.yaml" --json
expect_rc 0
expect_json 'j["valid"] is True and [w["message"][:15] for w in j["warnings"]] == ["identity: claim"]'
expect_json 'j["counts"]["projects"] == 7 and j["counts"]["waves"] == 2 and j["counts"]["environments"] == 3'
expect_json 'j["counts"]["gates"] == 3 and j["counts"]["risks"] == 7 and j["counts"]["triggers"] == 5 and j["counts"]["blockers"] == 1'

done_tests
