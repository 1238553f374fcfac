#!/bin/bash
# install.sh - `make install PREFIX=...` (cmake --install): the binary, a man
# page per command made from the same table as --help, and completions for
# bash, zsh and fish made from the command table that complete commands,
# options and the plan's ids; used from clean shells, as a user would.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
: "${TOLLGATE_BUILD:?set by ctest}"
P="$T/prefix"
cmake --install "$TOLLGATE_BUILD" --prefix "$P" >"$T/install.log" 2>&1 || { cat "$T/install.log" >&2; exit 1; }
cp "$FIXTURES/cli.yaml" tollgate.yaml
commands=$("$TOLLGATE_BIN" --help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')

check() { # DESCRIPTION COMMAND...: the command succeeds
	local what=$1
	shift
	checks=$((checks + 1))
	"$@" >"$T/out" 2>"$T/err" || fail "$what"
}
check "the binary is installed" test -x "$P/bin/tollgate"
check "tollgate.1" test -s "$P/share/man/man1/tollgate.1"
for cmd in $commands; do
	page="$P/share/man/man1/tollgate-$cmd.1"
	check "a man page for $cmd" test -s "$page"
	# groff -ww: every warning; none is allowed
	checks=$((checks + 1))
	w=$(groff -man -ww -z "$page" 2>&1)
	[ -z "$w" ] || fail "groff warns on tollgate-$cmd.1: $w"
	# each option of --help is in the page
	for opt in $("$TOLLGATE_BIN" "$cmd" --help | sed -n '/^Options:/,/^$/p' | grep -o -- '--[a-z-]*' | sort -u); do
		checks=$((checks + 1))
		MANWIDTH=200 man -l "$page" 2>/dev/null | grep -qF -- "$opt" || fail "tollgate-$cmd.1 lacks $opt"
	done
done
checks=$((checks + 1))
MANWIDTH=100 man -M "$P/share/man" tollgate-status >"$T/out" 2>"$T/err" || fail "man -M PREFIX/share/man tollgate-status"
checks=$((checks + 1))
grep -q "tollgate-status *- *the projects" "$T/out" || fail "man tollgate-status: NAME"
expect_out_has "--wave ARG"
expect_out_has "tollgate status --json"
checks=$((checks + 1))
MANWIDTH=100 man -M "$P/share/man" tollgate >"$T/out" 2>&1 || fail "man tollgate"
expect_out_has "tollgate-promote(1)"

# bash, as a user with nothing but the completion file
cat >"$T/bash-t.sh" <<'SH'
. "$1/share/bash-completion/completions/tollgate"
t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _tollgate; echo "${COMPREPLY[*]}"; }
t tollgate pro
t tollgate why ""
t tollgate why ledger prod
t tollgate promote --to ""
t tollgate --to ""
t tollgate approve ""
t tollgate check ""
t tollgate status --w
t tollgate ""
t tollgate --plan other.yaml why ""
SH
cp tollgate.yaml other.yaml
sed -i 's/- {id: payments, wave: w2}/- {id: billing, wave: w2}/' other.yaml
env -i HOME="$T" PATH="$P/bin:/usr/bin:/bin" bash --norc --noprofile "$T/bash-t.sh" "$P" >"$T/bash.out" 2>"$T/bash.err"
mapfile -t got <"$T/bash.out"
expect_line() { # N WANT
	checks=$((checks + 1))
	[ "${got[$1]-}" = "$2" ] || fail "bash completion $1: got '${got[$1]-}', want '$2'"
}
expect_line 0 "promote"
expect_line 1 "ledger accounts payments"
expect_line 2 "prod-eu prod-us"
expect_line 3 "dev staging prod-eu prod-us"
expect_line 4 "dev staging prod-eu prod-us"
expect_line 5 "prod-cab"
expect_line 6 "qa-signoff runbook"
expect_line 7 "--wave"
expect_line 8 "$(echo $commands)"
expect_line 9 "ledger accounts billing"
checks=$((checks + 1))
[ ! -s "$T/bash.err" ] || fail "bash completion wrote to stderr: $(cat "$T/bash.err")"

# zsh: loads from its fpath with compinit, and completes (compadd observed)
cat >"$T/zsh-t.zsh" <<'ZSH'
fpath=($1/share/zsh/site-functions $fpath)
autoload -U compinit && compinit -u -d $2/zcompdump
(( $+functions[_tollgate] )) || { print "no _tollgate"; exit 1; }
[[ $_comps[tollgate] == _tollgate ]] || { print "not bound to tollgate"; exit 1; }
compadd() { local a; for a in "$@"; do [[ $a == -* ]] || { print -r -- "${(P)a}"; return; }; done; }
_describe() { print -r -- "${(P)4}"; }
_files() { print files; }
t() { words=("$@"); CURRENT=${#words}; _tollgate; }
t tollgate pro
t tollgate why ""
t tollgate promote --to ""
ZSH
env -i HOME="$T" PATH="$P/bin:/usr/bin:/bin" zsh -f "$T/zsh-t.zsh" "$P" "$T" >"$T/zsh.out" 2>"$T/zsh.err"
checks=$((checks + 1))
[ ! -s "$T/zsh.err" ] || fail "zsh: $(cat "$T/zsh.err")"
mapfile -t got <"$T/zsh.out"
checks=$((checks + 1))
[[ ${got[0]-} == *"promote:promotes every selected project"* ]] || fail "zsh lists the commands: ${got[0]-}"
checks=$((checks + 1))
[ "${got[1]-}" = "ledger accounts payments" ] || fail "zsh why: ${got[1]-}"
checks=$((checks + 1))
[ "${got[2]-}" = "dev staging prod-eu prod-us" ] || fail "zsh --to: ${got[2]-}"

# fish: found in PREFIX/share/fish/vendor_completions.d through XDG_DATA_DIRS
fishc() { env -i HOME="$T" PATH="$P/bin:/usr/bin:/bin" XDG_DATA_DIRS="$P/share" fish -c "$1" 2>"$T/fish.err"; }
checks=$((checks + 1))
[ "$(fishc 'complete -C "tollgate pro"')" = "$(printf 'promote\tpromotes every selected project that is ready, in dependency order')" ] ||
	fail "fish: tollgate pro<TAB>: $(fishc 'complete -C "tollgate pro"') $(cat "$T/fish.err")"
checks=$((checks + 1))
[ "$(fishc 'complete -C "tollgate why "' | tr '\n' ' ')" = "accounts ledger payments " ] || fail "fish: why"
checks=$((checks + 1))
[ "$(fishc 'complete -C "tollgate promote --to prod"' | tr '\n' ' ')" = "prod-eu prod-us " ] || fail "fish: --to"
checks=$((checks + 1))
[ "$(fishc 'complete -C "tollgate " | cut -f1 | sort' | tr '\n' ' ')" = "$(echo $commands | tr ' ' '\n' | sort | tr '\n' ' ')" ] || fail "fish lists every command"
done_tests
