#!/bin/sh
# gen-man-completions.sh TOLLGATE_BIN OUTDIR
# The build's man pages and shell completions, from the command table of the
# binary just built (its hidden commands __man and __completion):
#   OUTDIR/man/man1/tollgate.1, tollgate-COMMAND.1 (one per command)
#   OUTDIR/completions/tollgate (bash), _tollgate (zsh), tollgate.fish
# `make install` (cmake --install) copies them under PREFIX/share.
set -eu
BIN=$1
OUT=$2
TMP="$OUT.tmp"
rm -rf "$TMP"
mkdir -p "$TMP/man/man1" "$TMP/completions"
unset TOLLGATE_NOW
"$BIN" __man >"$TMP/man/man1/tollgate.1"
for cmd in $("$BIN" --help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}'); do
	"$BIN" __man "$cmd" >"$TMP/man/man1/tollgate-$cmd.1"
done
"$BIN" __completion bash >"$TMP/completions/tollgate"
"$BIN" __completion zsh >"$TMP/completions/_tollgate"
"$BIN" __completion fish >"$TMP/completions/tollgate.fish"
rm -rf "$OUT"
mv "$TMP" "$OUT"
