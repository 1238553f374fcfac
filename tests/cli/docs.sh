#!/bin/bash
# docs.sh - docs/commands.md is exactly what the binary's --help says, and
# every command of the table has a section there and in the README.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

sh "$TOLLGATE_SRC/scripts/gen-commands-doc.sh" "$TOLLGATE_BIN" >"$T/commands.md"
checks=$((checks + 1))
if ! diff -u "$TOLLGATE_SRC/docs/commands.md" "$T/commands.md" >"$T/diff"; then
	fails=$((fails + 1))
	echo "FAIL: docs/commands.md is stale; run: sh scripts/gen-commands-doc.sh build/tollgate > docs/commands.md" >&2
	head -40 "$T/diff" >&2
fi
for cmd in $("$TOLLGATE_BIN" --help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}'); do
	checks=$((checks + 1))
	grep -q "^## \`tollgate $cmd\`" "$T/commands.md" || { fails=$((fails + 1)); echo "FAIL: no section for $cmd" >&2; }
	checks=$((checks + 1))
	grep -q "\`$cmd" "$TOLLGATE_SRC/README.md" || { fails=$((fails + 1)); echo "FAIL: README does not name '$cmd'" >&2; }
done
done_tests
