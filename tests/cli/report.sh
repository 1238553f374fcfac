# report.sh - `tollgate report` on the example plan (examples/q1-2026):
# every section, project, gate, both accounts and the api_infra blocker in md,
# html and json; -o writes atomically; the report follows the live state
# (approvals, ticks, blocker progress, records, incidents, audit log); the
# Change Log holds the plan's entries and plan changes, machine activity is
# summarised apart (counts per day and kind, the last entries); links to
# project documents and step logs open from wherever -o writes the report;
# format errors exit 2 with a suggestion.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

# a copy, so that nothing (a future state store) is created in the source tree
cp "$TOLLGATE_SRC/examples/q1-2026/tollgate.yaml" "$T/tollgate.yaml"
export TOLLGATE_NOW=2026-01-08T10:00:00Z

sections="Executive Summary|Promotion Waves|Overall Timeline|Individual Project Plans|Pre-Promotion Checklist (All Projects)|Approval Gates|Risk Assessment|Communication Plan|Success Criteria|Rollback Procedures|Post-Promotion Activities|Resource Allocation|Dependencies & Blockers|Change Log|Activity|Next Steps"
projects="campaigns_lambda order_lambda product_lambda dynamodb_schemas s3_schemas backend_public ecs_terraform"
gates="gate-2 gate-3 gate-4"

# --- md (the default) ---
run report
expect_rc 0
expect_err_empty
expect_out_has "# MASTER Promotion Plan: DEV → SIT → PROD"
expect_out_has "**Plan ID**: PROM-2026-Q1-001"
IFS='|'
for s in $sections; do expect_out_has "## $s"; done
unset IFS
for p in $projects; do expect_out_has "| **$p** — "; expect_out_has "| $p | [0"; done
for g in $gates; do expect_out_has "### $g: "; done
expect_out_has "SIT: 815856636111, PROD: 093646564004"
expect_out_has "| **Timeline** | Jan 10 - Mar 14, 2026 |"
expect_out_has "| **Overall Risk** | 🟡 MEDIUM |"
expect_out_has "**api_infra (40%)**"
expect_out_has "- dynamodb_schemas and s3_schemas must be promoted before backend_public"
expect_out_has "- Core APIs (wave-1) must be healthy in SIT first"
expect_out_has "**Dependencies:** None (can proceed immediately)"
expect_out_has "├─ Jan 8-9 (Today)"
expect_out_has "not started"
cp "$T/out" "$T/report.md"

run report --format md
expect_rc 0
checks=$((checks + 1))
cmp -s "$T/out" "$T/report.md" || fail "--format md differs from the default"

# --- html ---
run report --format html
expect_rc 0
expect_out_has "<!DOCTYPE html>"
expect_out_has "</html>"
IFS='|'
for s in $sections; do expect_out_has ">$(printf '%s' "$s" | sed 's/&/\&amp;/g')</h2>"; done
unset IFS
for p in $projects; do expect_out_has "<strong>$p</strong>"; done
for g in $gates; do expect_out_has "<h3 id=\"$g\">$g: "; done
expect_out_has '<h3 id="wave-1">wave-1: Core APIs (Jan 10 - Feb 21, 2026)</h3>'
expect_out_has "SIT: 815856636111, PROD: 093646564004"
expect_out_has "<strong>api_infra (40%)</strong>"
expect_out_has "@media print"
expect_out_lacks "<script"
expect_out_lacks "<link"
expect_out_lacks "http://"
expect_out_lacks "https://"
checks=$((checks + 1))
python3 - "$T/out" <<'PY' || fail "html is not well nested"
import sys
from html.parser import HTMLParser
void = {"meta", "br", "hr", "img", "input", "link"}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.bad = [], []
    def handle_starttag(self, tag, attrs):
        if tag not in void:
            self.stack.append(tag)
    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.bad.append((tag, self.getpos()))
        else:
            self.stack.pop()
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
if p.bad or p.stack:
    print("bad:", p.bad[:5], "open:", p.stack, file=sys.stderr)
    sys.exit(1)
PY

# tidy (scripts/setup.sh installs it) checks the page as HTML5: no warning either
if command -v tidy >/dev/null 2>&1; then
	checks=$((checks + 1))
	tidy -q -e "$T/out" 2>"$T/tidy" || { cat "$T/tidy" >&2; fail "tidy finds problems in the html"; }
fi

# --- json, by --format and by --json ---
# expect_jsons: every line of stdin is a python3 expression over `j` that must
# hold (one interpreter for all of them: python starts slowly on a busy box)
expect_jsons() {
	checks=$((checks + 1))
	python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
bad = [e for e in sys.stdin.read().splitlines() if e.strip() and not eval(e)]
for e in bad:
    print("json check failed:", e, file=sys.stderr)
sys.exit(1 if bad else 0)
' "$T/out" || fail "json checks"
}
for args in "report --format json" "report --json" "--json report"; do
	run $args
	expect_rc 0
	expect_jsons <<EOF
j['plan']['id'] == 'PROM-2026-Q1-001'
[p['id'] for w in j['waves'] for p in w['projects']] == '$projects'.split()
[g['id'] for g in j['gates']] == '$gates'.split()
[g['status'] for g in j['gates']] == ['pending'] * 3
sorted(e['account'] for e in j['summary']['environments'] if e['account']) == ['093646564004', '815856636111']
[(b['id'], b['progress'], b['resolved']) for b in j['blockers']] == [('api_infra', 40, False)]
all(c['state'] == 'none' and c['label'] == 'not started' for w in j['waves'] for p in w['projects'] for c in p['cells'])
j['summary']['timeline']['text'] == 'Jan 10 - Mar 14, 2026'
j['waves'][1]['dependencies'] == ['dynamodb_schemas and s3_schemas must be promoted before backend_public', 'Core APIs (wave-1) must be healthy in SIT first']
all(k in j for k in ['summary', 'checklist', 'risks', 'triggers', 'milestones', 'resources', 'communication', 'escalation', 'rollback_procedure', 'post_promotion', 'changelog', 'next_steps'])
[c['category'] for c in j['checklist']] == ['Environment Setup', 'Security & Compliance', 'Backup & Rollback', 'Testing', 'Documentation']
len(j['external_dependencies']) == 4 and len(j['risks']) == 7 and len(j['triggers']) == 5
EOF
done

# --- -o FILE: atomic, same bytes as stdout (from the same folder), no
# temporary left behind; from another folder, only the links differ ---
run report --format md -o "$T/plan.md"
expect_rc 0
checks=$((checks + 1))
[ ! -s "$T/out" ] || fail "-o should leave stdout empty"
checks=$((checks + 1))
cmp -s "$T/plan.md" "$T/report.md" || fail "-o FILE differs from stdout"
rm "$T/plan.md"
mkdir "$T/outdir"
run report --format md -o "$T/outdir/plan.md"
expect_rc 0
checks=$((checks + 1))
sed 's#](\.\./plans/#](./plans/#g' "$T/outdir/plan.md" | cmp -s - "$T/report.md" ||
	fail "-o FILE in a folder differs from stdout beyond its links"
checks=$((checks + 1))
[ "$(ls -A "$T/outdir")" = "plan.md" ] || fail "temporary file left behind: $(ls -A "$T/outdir")"
run report --format html -o "$T/outdir/plan.md"
expect_rc 0
checks=$((checks + 1))
head -c 15 "$T/outdir/plan.md" | grep -q "<!DOCTYPE html>" || fail "-o did not replace the file"

run report -o "$T/missing/plan.md"
expect_rc 1
expect_err_has "tollgate: error: cannot write '$T/missing/plan.md'"
checks=$((checks + 1))
[ ! -e "$T/missing" ] || fail "a failed -o created something"

run report -o "$T/outdir"
expect_rc 2
expect_err_has "is a folder"

# --- the live state: approvals, ticks, blocker progress, a record, an incident ---
export TOLLGATE_NOW=2026-01-09T10:00:00Z
# (approvals are for the candidates: versions are recorded in dev first)
for step in "record campaigns_lambda dev --version v1.4.2 --as dana" \
	"record dynamodb_schemas dev --version d-11 --as dana" \
	"approve gate-2 --as tom" "approve gate-2 --as devi" "approve gate-3 --as dana" \
	"check api-tests --as dana --note 99.43%" "check code-review --as tom" \
	"blocker api_infra --progress 70 --as eve" \
	"incident open --level 1 --env sit --project order_lambda slow-cold-start --as rita"; do
	run $step
	expect_rc 0
done
run report
expect_rc 0
expect_out_has "| 1 | **campaigns_lambda** — Campaigns Lambda API | ✅ healthy \`v1.4.2\` | Jan 10 | Feb 21 | DevOps |"
expect_out_has "| campaigns_lambda | [01_campaigns_lambda_promotion.md](./plans/01_campaigns_lambda_promotion.md) | ✅ healthy in DEV (v1.4.2) |"
expect_out_has "- [x] All API tests passing (99.43%, 80%+, 80%+) — *done by Dana (DevOps Lead) on Jan 9, 2026 (99.43%)*"
expect_out_has "### gate-2: Code Review ✅ PASSED"
expect_out_has "  - [x] developer-lead: *approved by Devi (Developer Lead) on Jan 9, 2026 for campaigns_lambda v1.4.2*"
expect_out_has "### gate-3: Infrastructure Review 🟡 IN PROGRESS"
expect_out_has "- **Status:** 🟡 IN PROGRESS (1/2 approvals, 0/1 criteria)"
expect_out_has "**api_infra (70%)**"
expect_out_has "level 1 open #1 in SIT on order_lambda: slow-cold-start"
expect_out_has "| 2026-01-09 10:00 UTC | approve gate-2: as tech-lead: campaigns_lambda=v1.4.2; no candidate: order_lambda, product_lambda | Tom (Tech Lead) |"
# the Change Log: the plan's own entry only; the 9 entries are Activity
sed -n '/^## Change Log$/,/^## Activity$/p' "$T/out" >"$T/changelog"
checks=$((checks + 1))
[ "$(grep -c '^| 20' "$T/changelog")" = 1 ] && grep -qF "| 2026-01-07 | Initial master plan created | Agentic PM |" "$T/changelog" ||
	fail "the change log holds more than the plan's entry: $(cat "$T/changelog")"
expect_out_has "9 audit entries from 2026-01-09 to 2026-01-09; \`tollgate log\` shows each one."
expect_out_has "| 2026-01-09 | 9 | approve 3, blocker 1, check 2, incident.open 1, record 2 |"
expect_out_has "**The last 9:**"
expect_out_has "from the live state"
run report --json
expect_rc 0
expect_jsons <<EOF
[g['status'] for g in j['gates']] == ['passed', 'in progress', 'pending']
[(a['role'], a['by']) for a in j['gates'][0]['approvers']] == [('tech-lead', 'tom'), ('developer-lead', 'devi')]
j['blockers'][0]['progress'] == 70 and not j['blockers'][0]['resolved']
j['waves'][0]['projects'][0]['cells'][0]['state'] == 'healthy' and j['waves'][0]['projects'][0]['cells'][0]['version'] == 'v1.4.2'
j['waves'][0]['prerequisites'][0]['done'] and j['waves'][0]['prerequisites'][0]['by'] == 'dana'
[(i['id'], i['level'], i['project'], i['resolved']) for i in j['incidents']] == [(1, 1, 'order_lambda', False)]
len(j['changelog']) == 1 and j['live']
j['activity']['total'] == 9 and j['activity']['days'] == [{'date': '2026-01-09', 'total': 9, 'kinds': {'approve': 3, 'blocker': 1, 'check': 2, 'incident.open': 1, 'record': 2}}]
len(j['activity']['recent']) == 9 and j['activity']['recent'][0]['entry'].startswith('incident.open') and j['activity']['recent'][0]['actor'] == 'rita'
EOF
run report --format html
expect_rc 0
expect_out_has '<span class="badge ok">PASSED</span>'
expect_out_has '<progress class="bar bad" value="70" max="100">70%</progress>'
if command -v tidy >/dev/null 2>&1; then
	checks=$((checks + 1))
	tidy -q -e "$T/out" 2>"$T/tidy" || { cat "$T/tidy" >&2; fail "tidy finds problems in the live html"; }
fi

# --- an approval counts while its person holds the role: tom hands the
# tech-lead role to rita, and the report stops counting his approval of
# gate-2, as `why` does
sed 's/{id: tom, name: Tom (Tech Lead), roles: \[tech-lead\]}/{id: tom, name: Tom (Tech Lead), roles: [qa]}/; s/{id: rita, name: Rita (SRE), roles: \[sre\]}/{id: rita, name: Rita (SRE), roles: [sre, tech-lead]}/' \
	"$T/tollgate.yaml" >"$T/roles.yaml"
checks=$((checks + 1))
grep -q "roles: \[sre, tech-lead\]" "$T/roles.yaml" || fail "the role did not move in the copy"
run report --json --plan "$T/roles.yaml"
expect_rc 0
expect_jsons <<EOF
[g['status'] for g in j['gates']] == ['in progress', 'in progress', 'pending']
[(a['role'], a['approved'], a['by']) for a in j['gates'][0]['approvers']] == [('tech-lead', False, None), ('developer-lead', True, 'devi')]
EOF
run why campaigns_lambda sit --json --plan "$T/roles.yaml"
expect_json '[r["ok"] for r in j["rules"] if r["rule"] == "gates"] == [False] and "still needs role \x27tech-lead\x27" in [r["detail"] for r in j["rules"] if r["rule"] == "gates"][0]'

# --- the Overall Timeline ticks a milestone when the state says the
# promotions it names happened, never by the calendar alone
export TOLLGATE_NOW=2026-01-20T10:00:00Z
run report --db "sqlite:$T/timeline.db"
expect_rc 0
checks=$((checks + 1))
grep -F "Deploy Core APIs to SIT (Wave 1)" "$T/out" | grep -qF "(late)" || fail "an empty store does not show the SIT milestone late"
expect_out_lacks "✓"
run report --json --db "sqlite:$T/timeline.db"
expect_jsons <<EOF
[(m['status'], m['done']) for m in j['milestones'] if m['text'] == 'Deploy Core APIs to SIT (Wave 1)'] == [('late', False)]
[m['status'] for m in j['milestones'] if m['text'] == 'Master Plan Created'] == [None]
EOF
for p in campaigns_lambda order_lambda product_lambda; do
	run record $p sit --version v1 --as dana --db "sqlite:$T/timeline.db"
	expect_rc 0
done
run report --db "sqlite:$T/timeline.db"
expect_out_has "Deploy Core APIs to SIT (Wave 1) ✓"
checks=$((checks + 1))
grep -F "Deploy Infrastructure to SIT (Wave 2)" "$T/out" | grep -qF "(late)" || fail "wave 2 is not in SIT: its milestone is late"
run report --json --db "sqlite:$T/timeline.db"
expect_jsons <<EOF
[(m['status'], m['done']) for m in j['milestones'] if m['text'] == 'Deploy Core APIs to SIT (Wave 1)'] == [('done', True)]
EOF

# --- format errors ---
run report --format htm
expect_rc 2
expect_err_line "tollgate: error: unknown report format 'htm'; did you mean 'html'?"
run report --format pdf
expect_rc 2
expect_err_line "tollgate: error: unknown report format 'pdf'; use md, html or json"
run report --json --format md
expect_rc 2
expect_err_has "drop one"
run report extra
expect_rc 2

done_tests
