"""import_compare.py SEED.md REPORT.md [--ticks]: does the report hold every
table row and every checklist line of the seed?

Normalisation (the report is a rendering of the plan, not a copy of the
text):
- a table row is compared as the multiset of its words: lower-cased runs of
  letters and digits, after markup is dropped (** and `, a link keeps its
  label) and emoji and other symbols are ignored. So "Wave 1 (Core APIs)"
  matches the report's "Core APIs (wave-1)", and "🟠 MEDIUM" matches
  "🟡 MEDIUM". Every word of the seed's row must be in one row of the report
  (the report adds its own: late marks, project titles).
- cells of a "Status" column are left out: they are live state, which the
  report shows from the store ("⚪ not started", "🟢 healthy"), not as typed.
- header rows and separator rows are not compared.
- a checklist line "- [x] text" must be a checklist line of the report whose
  text starts with the same text (the report may add "— done by …"); with
  --ticks its box must be the same too (the store holds the seed's ticks),
  without, any box.
Prints each miss; exit status 1 when there is one.
"""
import re
import sys
from collections import Counter

seed_path, report_path = sys.argv[1], sys.argv[2]
ticks = "--ticks" in sys.argv[3:]
seed = open(seed_path, encoding="utf-8").read().splitlines()
report = open(report_path, encoding="utf-8").read().splitlines()


def words(text):
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.replace("**", "").replace("`", "").replace("\\", "")
    return Counter(re.findall(r"[a-z0-9]+", text.lower()))


def cells(line):
    line = line.strip()
    return [c.strip() for c in line.strip("|").split("|")]


def tables(lines):
    """(header cells, [(line number, row cells)]) per table."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|") and i + 1 < len(lines) and re.match(
            r"^\s*\|[\s:|-]+\|\s*$", lines[i + 1]
        ):
            head = cells(lines[i])
            rows, j = [], i + 2
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                rows.append((j + 1, cells(lines[j])))
                j += 1
            out.append((head, rows))
            i = j
        else:
            i += 1
    return out


report_rows = [words(" ".join(r)) for _, rows in tables(report) for _, r in rows]
misses = 0
nrows = 0
for head, rows in tables(seed):
    keep = [k for k, h in enumerate(head) if "status" not in h.lower()]
    for ln, row in rows:
        nrows += 1
        want = words(" ".join(row[k] for k in keep if k < len(row)))
        if not any(not (want - have) for have in report_rows):
            print("%s:%d: table row not in the report: %s" % (seed_path, ln, " | ".join(row)))
            misses += 1

box = re.compile(r"^\s*[-*] \[([ xX])\] (.*?)\s*$")
report_boxes = []
for line in report:
    m = box.match(line)
    if m:
        report_boxes.append((m.group(1).lower(), " ".join(m.group(2).replace("\\", "").split())))
nboxes = 0
for ln, line in enumerate(seed, 1):
    m = box.match(line)
    if not m:
        continue
    nboxes += 1
    mark, text = m.group(1).lower(), " ".join(m.group(2).split())
    found = [b for b, t in report_boxes if t == text or t.startswith(text + " ")]
    if not found:
        print("%s:%d: checklist line not in the report: %s" % (seed_path, ln, line.strip()))
        misses += 1
    elif ticks and mark not in found:
        print("%s:%d: checklist line is [%s] in the seed, [%s] in the report: %s"
              % (seed_path, ln, mark, found[0], text))
        misses += 1
print("%d table rows, %d checklist lines compared, %d missing" % (nrows, nboxes, misses))
sys.exit(1 if misses else 0)
