#!/bin/bash
# help.sh - `tollgate help COMMAND` is `tollgate COMMAND --help`; --help lists
# --version; every command's help has examples and names no document a user
# does not have (the product spec's sections).
. "$TOLLGATE_SRC/tests/cli/lib.sh"

run --help
expect_rc 0
expect_out_has "  --version       print tollgate's version and exit"
expect_out_has "  help         the list of commands, or one command's help (as COMMAND --help)"
expect_out_lacks "__"
overview=$out
run help
expect_rc 0
checks=$((checks + 1))
[ "$out" = "$overview" ] || fail "'tollgate help' differs from 'tollgate --help'"

for cmd in $("$TOLLGATE_BIN" --help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}'); do
	run "$cmd" --help
	expect_rc 0
	want=$out
	run help "$cmd"
	expect_rc 0
	checks=$((checks + 1))
	[ "$out" = "$want" ] || fail "'tollgate help $cmd' differs from 'tollgate $cmd --help'"
	checks=$((checks + 1))
	grep -q "^Examples:" "$T/out" || fail "'$cmd --help' has no examples"
	checks=$((checks + 1))
	grep -A50 "^Examples:" "$T/out" | grep -q "^  tollgate $cmd" || fail "'$cmd --help': an example of $cmd"
	expect_out_lacks "SPEC"
	expect_out_lacks "§"
	expect_out_lacks "docs/"
done

run help promot
expect_rc 2
expect_err_line "tollgate: error: unknown command 'promot'; did you mean 'promote'?"
run help promote extra
expect_rc 2
done_tests
