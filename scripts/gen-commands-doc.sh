#!/bin/sh
# gen-commands-doc.sh TOLLGATE_BIN > docs/commands.md
# Every command's --help, in the order of `tollgate --help`, as one page.
# tests/cli/docs.sh checks that docs/commands.md is what this prints.
set -eu
TG=$1
cat <<'HEAD'
# Commands

Generated from `tollgate COMMAND --help` by `scripts/gen-commands-doc.sh`
(`tests/cli/docs.sh` fails when this page and the binary disagree).
See also [plan.md](plan.md), [readiness.md](readiness.md),
[promote.md](promote.md), [store.md](store.md), [serve.md](serve.md) and
[cli.md](cli.md) (help, arguments, --json, installing with man pages and completions).

```
HEAD
"$TG" --help
echo '```'
"$TG" --help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}' |
while read -r cmd; do
	printf '\n## `tollgate %s`\n\n```\n' "$cmd"
	"$TG" "$cmd" --help
	echo '```'
done
