#!/bin/bash
# import-mojibake.sh - a master plan that went through a Latin-1 or
# Windows-1252 tool (its UTF-8 encoded twice: "â†’" for "→") is repaired by
# import, with a warning giving the count, and imports to the very plan the
# clean document gives.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

SEED="$TOLLGATE_SRC/examples/q1-2026/seed.md"
mkdir clean latin1 cp1252
cp "$SEED" clean/master.md
# every non-ASCII character of the seed is repaired once
want=$(python3 -c 'import sys; print(sum(1 for c in open(sys.argv[1], encoding="utf-8").read() if ord(c) > 127))' "$SEED")

# through a Latin-1 tool
iconv -f latin1 -t utf-8 "$SEED" > latin1/master.md
checks=$((checks + 1))
grep -q $'â\xc2\x86\xc2\x92' latin1/master.md || fail "the test document is not double-encoded"
# through a Windows-1252 tool (bytes it leaves undefined kept as Latin-1 does)
python3 - "$SEED" cp1252/master.md <<'PY'
import codecs, sys
def keep(e):
    return (e.object[e.start:e.end].decode("latin-1"), e.end)
codecs.register_error("keep", keep)
raw = open(sys.argv[1], "rb").read()
open(sys.argv[2], "w", encoding="utf-8").write(raw.decode("cp1252", errors="keep"))
PY
checks=$((checks + 1))
grep -q '†' cp1252/master.md || fail "the cp1252 document is not double-encoded"

cd "$T/clean"
run import master.md -o tollgate.yaml
expect_rc 0
checks=$((checks + 1))
if grep -q 'repaired' "$T/err"; then fail "the clean seed was 'repaired'"; fi

for d in latin1 cp1252; do
	cd "$T/$d"
	run import master.md -o tollgate.yaml
	expect_rc 0
	expect_err_line "tollgate: warning: master.md: repaired $want characters that were UTF-8 encoded twice (such as 'â†’' for '→')"
	checks=$((checks + 1))
	cmp -s tollgate.yaml "$T/clean/tollgate.yaml" || {
		diff "$T/clean/tollgate.yaml" tollgate.yaml | head -20 >&2
		fail "$d: the repaired import differs from the clean one"
	}
	run validate
	expect_rc 0
done

# valid text that only looks Latin-1 ("café", "naïve") is left alone
cd "$T"
printf '# Plan: DEV → PROD\n\n## Promotion Waves\n\n### Wave 1: Café (Jan 10 - Jan 20, 2026)\n\n| # | Project | PROD Target | Owner |\n|---|---|---|---|\n| 1 | api | Jan 12 | Zoë |\n' > small.md
run import small.md
expect_rc 0
expect_out_has "title: Café"
expect_out_has "owner: Zoë"
checks=$((checks + 1))
if grep -q 'repaired' "$T/err"; then fail "valid UTF-8 was 'repaired'"; fi

done_tests
