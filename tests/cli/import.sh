#!/bin/bash
# import.sh - `tollgate import`: the seed master plan becomes a plan that
# validates with no error and whose report holds every table row and
# checklist line of the seed (import_compare.py says how they are compared);
# a second master plan written differently (other heading order, three
# waves, other environment names, a section tollgate does not know) imports
# and validates too; an existing -o file is never replaced without --force;
# bad input is refused with a clear error and exit status 2.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

SEED="$TOLLGATE_SRC/examples/q1-2026/seed.md"
SECOND="$TOLLGATE_SRC/tests/fixtures/import-payments-plan.md"
cp "$SEED" master.md

# the seed: summary on stdout with -o, the plan in the file
run import master.md -o tollgate.yaml
expect_rc 0
expect_out_has "imported master.md into tollgate.yaml"
expect_out_has "master.md:147: Gate 2: Code Review (PASSED): gate 'gate-2'"
expect_out_has "master.md:291: blocker 'api_infra' at 40%"
expect_out_has "still to decide:"
expect_out_has "who is the DevOps Lead (\"TBD\" in the document): name them in people 'devops-lead-tbd'"
expect_out_has "trigger 'error-rate-in-logs' (\">5% error rate in logs\"): write its \`measure\`"
expect_err_has "3 characters were already lost in the document (U+FFFD)"
run validate
expect_rc 0
expect_out_has "PROM-2026-Q1-001: 7 projects, 2 waves, 3 environments, 3 gates, 72 checklist items — valid"

# what the seed says, as keys
checks=$((checks + 1))
python3 - tollgate.yaml <<'PY' || fail "the imported plan's keys"
import sys, yaml
class L(yaml.SafeLoader): pass
L.yaml_implicit_resolvers = {k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:timestamp"]
                             for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
p = yaml.load(open(sys.argv[1], encoding="utf-8"), Loader=L)
envs = {e["name"]: e for e in p["environments"]}
assert list(envs) == ["dev", "sit", "prod"], envs
assert envs["sit"]["account"] == "815856636111" and envs["prod"]["account"] == "093646564004"
assert envs["prod"]["soak"] == "24h"
assert [w["id"] for w in p["waves"]] == ["wave-1", "wave-2"]
assert p["waves"][0]["window"] == {"from": "2026-01-10", "to": "2026-02-21"}
assert p["waves"][1]["after"] == {"wave": "wave-1", "env": "sit"}
prj = {x["id"]: x for x in p["projects"]}
assert prj["backend_public"]["depends_on"] == ["dynamodb_schemas", "s3_schemas"]
assert prj["campaigns_lambda"]["targets"] == {"sit": "2026-01-10", "prod": "2026-02-21"}
assert prj["campaigns_lambda"]["doc"] == "01_campaigns_lambda_promotion.md"
gates = {g["id"]: g for g in p["gates"]}
assert gates["gate-3"]["before"] == {"env": "sit", "waves": ["wave-2"]}, gates["gate-3"]
assert gates["gate-4"]["before"] == {"env": "prod"}, gates["gate-4"]
assert gates["gate-3"]["approvers"] == ["devops-lead", "tech-lead"]
b = p["blockers"][0]
assert (b["id"], b["progress"], b["owner"], b["due"]) == ("api_infra", 40, "DevOps Engineer", "2026-01-09")
assert b["blocks"] == {"env": "sit", "waves": ["wave-1"]}
t = {x["id"]: x for x in p["triggers"]}
assert t["error-rate-in-logs"]["above"] == 0.05 and "measure" not in t["error-rate-in-logs"]
assert t["data-corruption-detected"]["level"] == 3
# TBD is a placeholder, never an invented name
tbd = [x for x in p["people"] if x.get("tbd")]
assert all(x["name"] == "TBD" for x in tbd) and len(tbd) >= 4
assert {x["id"] for x in p["people"] if not x.get("tbd")} == {"agentic-pm"}
# the communication plan: a slack channel whose URL is a variable, schedules
assert p["channels"] == [{"id": "deployments", "kind": "slack", "url_env": "TOLLGATE_DEPLOYMENTS_WEBHOOK"}]
assert sorted(s["at"] for s in p["schedules"]) == ["09:00", "10:00", "16:00"]
assert [s["digest"] for s in p["schedules"] if s["at"] == "09:00"] == ["standup"]
esc = p["escalation"]
assert [(e["level"], e["name"], e.get("notify")) for e in esc] == [(1, "Minor", None), (2, "Major", "Tech Lead"), (3, "Critical", "Product Owner")]
assert all(e["channels"] == ["deployments"] for e in esc)
assert p["rollback_procedure"][0] == {"step": "Notify", "text": "Alert team via Slack + email", "channels": ["deployments"]}
assert [x["title"] for x in p["communication"]] == ["Daily Standup (During Promotion)", "Status Updates"]
assert p["communication"][0]["format"] == ["What was deployed yesterday?", "What's deploying today?", "Any blockers?"]
assert len(p["milestones"]) == 13 and p["milestones"][1] == {"date": "2026-01-08", "until": "2026-01-09", "text": "Pre-promotion checks (all projects)"}
assert p["milestones"][2] == {"date": "2026-01-10", "text": "Deploy Core APIs to SIT (Wave 1)", "env": "sit", "wave": "wave-1"}
assert [g["title"] for g in p["post_promotion"]] == ["Wave 1 (After SIT)", "Wave 2 (After SIT)", "After PROD Promotion"]
assert p["post_promotion"][0]["after"] == {"env": "sit", "waves": ["wave-1"]}
assert p["changelog"] == [{"date": "2026-01-07", "change": "Initial master plan created", "author": "Agentic PM"}]
assert [n["title"] for n in p["next_steps"]] == ["Immediate (Jan 7-8)", "This Week (Jan 7-10)", "Next Week (Jan 13-17)"]
assert p["plan"]["status"] == "IN PROGRESS (plan status: READY FOR APPROVAL)" and p["plan"]["risk"] == "medium"
# ids derived from the text, unique
ids = [i["id"] for i in p["checklist"]]
assert len(ids) == len(set(ids)) == 72
assert "all-api-tests-passing" in ids
PY

# the report holds every table row and checklist line of the seed
run report --format md -o report.md
expect_rc 0
checks=$((checks + 1))
python3 "$TOLLGATE_SRC/tests/cli/import_compare.py" master.md report.md >"$T/cmp" 2>&1 || {
	cat "$T/cmp" >&2
	fail "the report of the imported seed misses rows or lines"
}

# ids are stable: the same document gives the same plan
run import master.md
expect_rc 0
checks=$((checks + 1))
cmp -s "$T/out" tollgate.yaml || fail "import to stdout differs from the -o file"
expect_err_has "imported master.md"

# the plan written in another folder: the documents' links still resolve
mkdir -p docs/plans deploy
cp master.md docs/plans/master.md
run import docs/plans/master.md -o deploy/tollgate.yaml
expect_rc 0
checks=$((checks + 1))
grep -qF 'doc: ../docs/plans/01_campaigns_lambda_promotion.md' deploy/tollgate.yaml || fail "doc links not rebased"

# a summary that disagrees with the tables is said
sed 's/| \*\*Total Projects\*\* | 7 |/| **Total Projects** | 8 |/' master.md > eight.md
run import eight.md
expect_rc 0
expect_err_has "eight.md:14: the summary counts 8 projects, the waves' tables list 7: which is right"

# never over an existing file without --force; then atomically replaced
echo "# mine" > keep.yaml
run import master.md -o keep.yaml
expect_rc 2
expect_err_line "tollgate: error: 'keep.yaml' already exists; not overwriting it (--force to replace it)"
checks=$((checks + 1))
[ "$(cat keep.yaml)" = "# mine" ] || fail "keep.yaml was changed"
run import master.md -o keep.yaml --force
expect_rc 0
checks=$((checks + 1))
cmp -s keep.yaml tollgate.yaml || fail "--force did not write the plan"
checks=$((checks + 1))
[ -z "$(ls keep.yaml.tmp.* 2>/dev/null)" ] || fail "a temporary file was left behind"

# a second master plan, written differently
mkdir second && cd second
cp "$SECOND" plan.md
run import plan.md -o tollgate.yaml
expect_rc 0
expect_out_has "plan.md:127: Glossary: not a section tollgate knows; kept as text in notes"
run validate
expect_rc 0
expect_out_has "PAY-2026-07: 5 projects, 3 waves, 3 environments, 2 gates"
checks=$((checks + 1))
python3 - tollgate.yaml <<'PY' || fail "the second plan's keys"
import sys, yaml
class L(yaml.SafeLoader): pass
L.yaml_implicit_resolvers = {k: [(t, r) for t, r in v if t != "tag:yaml.org,2002:timestamp"]
                             for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
p = yaml.load(open(sys.argv[1], encoding="utf-8"), Loader=L)
assert [e["name"] for e in p["environments"]] == ["qa", "staging", "live"]
assert [e.get("soak") for e in p["environments"]] == ["0s", "12h", "48h"]
assert [w["id"] for w in p["waves"]] == ["wave-1", "wave-2", "wave-3"]
prj = {x["id"]: x for x in p["projects"]}
assert prj["ledger_api"]["depends_on"] == ["ledger_core"]
assert prj["card_gateway"]["wave"] == "wave-2"
assert p["waves"][1]["after"] == {"wave": "wave-1", "env": "staging"}
g = {x["id"]: x for x in p["gates"]}
assert g["gate-a"]["before"] == {"env": "staging", "waves": ["wave-1"]}
assert g["gate-b"]["before"] == {"env": "live"}
assert p["blockers"][0]["blocks"] == {"env": "live", "waves": ["wave-2"]}
assert p["notes"] == [{"title": "Glossary", "text": "PCI: Payment Card Industry data security standard."}]
assert [x["id"] for x in p["people"] if x.get("tbd")] == ["payments-lead-tbd"]
live = [e for e in p["environments"] if e["name"] == "live"][0]
assert len(live["success"]) == 2
PY
run report --format md -o report.md
expect_rc 0
checks=$((checks + 1))
grep -qxF "PCI: Payment Card Industry data security standard." report.md ||
	fail "the notes are not in the report"
# notes are carried by the compiled plan cache: the report from the cache
# (the run above wrote it) is the report from the YAML
run report --format md -o cached.md
TOLLGATE_NO_PLAN_CACHE=1 run report --format md -o parsed.md
checks=$((checks + 1))
ls .tollgate/*.cache >/dev/null 2>&1 || fail "no plan cache was written"
checks=$((checks + 1))
cmp -s <(grep -v Generated cached.md) <(grep -v Generated parsed.md) || fail "cached and parsed reports differ"
checks=$((checks + 1))
grep -qxF "PCI: Payment Card Industry data security standard." cached.md || fail "notes lost by the cache"
cd "$T"

# bad input: exit 2 and what to do
: > empty.md
run import empty.md
expect_rc 2
expect_err_line "tollgate: error: 'empty.md' is empty; give the Markdown master plan to import"
printf 'PK\003\004\377\376binary' > plan.zip
run import plan.zip
expect_rc 2
expect_err_has "tollgate: error: 'plan.zip' is not Markdown text (not UTF-8 at byte"
printf 'just a sentence, nothing more\n' > prose.md
run import prose.md
expect_rc 2
expect_err_line "tollgate: error: 'prose.md' has no heading, list or table: nothing of a master plan to import"
printf '# Notes\n\n- one\n- two\n' > noenv.md
run import noenv.md
expect_rc 2
expect_err_has "names no environments"
printf '# Plan: DEV → PROD\n\n## Risks\n\n- none\n' > nowave.md
run import nowave.md
expect_rc 2
expect_err_has "tollgate: error: 'nowave.md' names no project: a master plan lists them per wave"
# the fuzzer's finds (tests/fuzz/corpus/fuzz-import): each imports to a plan
# that validates, or is refused as input (never exit 1, "does not validate")
for f in "$TOLLGATE_SRC"/tests/fuzz/corpus/fuzz-import/*.md; do
	run import "$f"
	checks=$((checks + 1))
	[ "$rc" -eq 0 ] || [ "$rc" -eq 2 ] || fail "import of $(basename "$f"): exit $rc"
done

# nesting a hundred thousand levels deep is kept as text, in linear time
python3 -c 'print("# P: A → B\n\n## Waves\n\n### Wave 1: W (Jan 1 - Jan 5, 2026)\n\n| Project | B Target |\n|---|---|\n| x | Jan 3 |\n\n## Risks\n\n- " + ">" * 100000 + " deep")' > deep.md
checks=$((checks + 1))
timeout 60 "$TOLLGATE_BIN" import deep.md >/dev/null 2>&1 || fail "deep nesting: not imported in time"
run import missing.md
expect_rc 2
expect_err_has "tollgate: error: cannot read 'missing.md'"
run import master.md --versions x.txt
expect_rc 2
expect_err_has "--versions FILE goes with --state"
run import master.md --state
expect_rc 2
expect_err_has "--state needs -o FILE"

# the id 'import' is the importer's: no plan may give it to a person
printf 'version: 1\nplan: {id: X}\nenvironments: [{name: dev}, {name: sit}]\npeople: [{id: import, roles: [a]}]\nwaves: [{id: w}]\nprojects: [{id: p, wave: w}]\n' >reserved.yaml
run validate --plan reserved.yaml
expect_rc 2
expect_err_has "reserved.yaml:4:15: error: the person id 'import' is tollgate's own"

done_tests
