#!/bin/bash
# report-activity.sh - the report's Change Log holds the plan's hand-written
# entries and the plan's changes (ids moved, state forgotten, a plan loaded
# with a new digest), never machine activity; the Activity section counts
# the whole audit log per day and kind and lists the last entries; links to
# project documents and step logs open from the folder -o writes into, for
# md and html, wherever tollgate runs from.
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store

mkdir -p repo/docs repo/sub pub/deep elsewhere
echo "# api" >repo/docs/api.md
echo "# web" >repo/docs/web.md
cat >repo/tollgate.yaml <<'EOF'
version: 1
plan: {id: ACT-1, title: Activity}
environments: [{name: dev}, {name: sit}]
people: [{id: sam, roles: [dev]}]
waves: [{id: w1}]
defaults:
  projects: {wave: w1, deploy: echo deploying $TOLLGATE_PROJECT, verify: echo verified}
projects:
  - {id: api, doc: docs/api.md}
  - {id: web, doc: docs/web.md}
checklist:
  - {id: c1, text: One}
  - {id: c2, text: Two}
changelog:
  - {date: 2026-01-01, change: Plan written, author: sam}
EOF
export TOLLGATE_USER=sam

# day 1: 2 records; day 2: 2 promotions (3 entries each) and 12 ticks; day 3: a rename
cd repo/sub
export TOLLGATE_NOW=2026-01-10T09:00:00Z
run record api dev --version 1
run record web dev --version 1
expect_rc 0
export TOLLGATE_NOW=2026-01-11T09:00:00Z
run promote --to sit
expect_rc 0
for i in 1 2 3 4 5 6; do
	run check c1
	run uncheck c1
done
expect_rc 0
cd "$T"
export TOLLGATE_NOW=2026-01-12T09:00:00Z
sed -i 's/^  - {id: web, doc: docs\/web.md}$/  - {id: www, doc: docs\/web.md}\nmoved: [{project: web, to: www}]/' repo/tollgate.yaml
cd elsewhere
run --plan ../repo/tollgate.yaml status
expect_rc 0
cd "$T"
# plan.loaded entries (a server's): the same digest twice is one change
max=$(raw "SELECT MAX(seq) FROM audit WHERE plan = 'ACT-1'")
for d in "1 aaaaaaaaaaaaaaaa" "2 aaaaaaaaaaaaaaaa" "3 bbbbbbbbbbbbbbbb"; do
	set -- $d
	raw "INSERT INTO audit (plan, seq, at, actor, action, subject, detail, prev_hash, hash) VALUES ('ACT-1', $((max + $1)), 1768208400, 'tollgate', 'plan.loaded', 'ACT-1', 'sha256 $2 of tollgate.yaml', '', '')"
done
total=$(raw "SELECT COUNT(*) FROM audit WHERE plan = 'ACT-1'")

cd elsewhere
run --plan ../repo/tollgate.yaml report --format json
expect_rc 0
expect_json '[c["change"] for c in j["changelog"]] == ["Plan written", "moved project web: the plan\x27s \x27moved\x27: project \x27web\x27 is now \x27www\x27 (8 rows)", "plan loaded (sha256 aaaaaaaaaaaa)", "plan changed (sha256 bbbbbbbbbbbb)"]'
expect_json "j['activity']['total'] == $total"
expect_json '[(d["date"], d["kinds"].get("record"), d["kinds"].get("check"), d["kinds"].get("uncheck")) for d in j["activity"]["days"]] == [("2026-01-10", 2, None, None), ("2026-01-11", None, 6, 6), ("2026-01-12", None, None, None)]'
expect_json 'j["activity"]["days"][1]["kinds"]["promotion.healthy"] == 2 and j["activity"]["days"][2]["kinds"] == {"moved": 1, "plan.loaded": 3}'
expect_json 'len(j["activity"]["recent"]) == 10 and j["activity"]["recent"][0]["entry"].startswith("plan.loaded")'

run --plan ../repo/tollgate.yaml report -o ../pub/deep/report.md
expect_rc 0
run --plan ../repo/tollgate.yaml report --format html -o ../pub/deep/report.html
expect_rc 0
cd "$T"
sed -n '/^## Change Log$/,/^## Activity$/p' pub/deep/report.md >"$T/changelog"
checks=$((checks + 1))
grep -qE "check|record|promotion" "$T/changelog" && fail "machine activity in the change log: $(cat "$T/changelog")"
checks=$((checks + 1))
grep -qF "| 2026-01-12 | moved project web: the plan's 'moved': project 'web' is now 'www'" "$T/changelog" || fail "no moved entry: $(cat "$T/changelog")"
sed -n '/^## Activity$/,/^## Next Steps$/p' pub/deep/report.md >"$T/activity"
checks=$((checks + 1))
grep -qF "| 2026-01-11 | 18 | check 6, promotion.deploying 2, promotion.healthy 2, promotion.verifying 2, uncheck 6 |" "$T/activity" || fail "activity: $(cat "$T/activity")"
checks=$((checks + 1))
grep -qF "**The last 10:**" "$T/activity" || fail "no last entries: $(cat "$T/activity")"
checks=$((checks + 1))
[ "$(grep -c '^| 2026-01-1[0-2] [0-9]' "$T/activity")" = 10 ] || fail "not 10 last entries: $(cat "$T/activity")"

# every link of the md and the html opens from pub/deep
python3 - "$T/pub/deep" <<'PY' >"$T/links" || fail "links: $(cat "$T/links")"
import os, re, sys
base = sys.argv[1]
md = open(os.path.join(base, "report.md"), encoding="utf-8").read()
html = open(os.path.join(base, "report.html"), encoding="utf-8").read()
links = re.findall(r"\]\(([^)]+)\)", md) + re.findall(r'href="([^"#][^"]*)"', html)
bad = [l for l in links if "://" not in l and not os.path.exists(os.path.join(base, l))]
logs = [l for l in links if l.endswith(".log")]
docs = [l for l in links if l.endswith(".md")]
print("links", len(links), "logs", len(logs), "docs", len(docs), "bad", bad)
sys.exit(1 if bad or len(docs) < 4 or len(logs) < 2 else 0)
PY
checks=$((checks + 1))

done_tests
