#!/bin/bash
# backends: sqlite pg
# libcrypto.sh - OpenSSL's libcrypto is loaded on first use, not linked:
# `tollgate` does not link it (ldd), a command that reads through a plan
# cache found by its stat never loads it (shown by naming a library that is
# not there: `why` and `status` still answer), and a command that needs it
# (`record` chains an audit entry) stops with a message saying what to
# install, exit 1, and writes nothing.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store

cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: CRYPTO-1, title: Lazy libcrypto}
environments:
  - {name: dev}
  - {name: sit}
people:
  - {id: sam, roles: [sdet]}
waves:
  - {id: w1}
projects:
  - {id: api, wave: w1, deploy: "true"}
YAML
export TOLLGATE_NOW=2026-02-01T10:00:00Z

checks=$((checks + 1))
! ldd "$TOLLGATE_BIN" | grep -q libcrypto || fail "tollgate links libcrypto: every command loads it"

run record api dev --version 1.0 --as sam
expect_rc 0
# the plan's last change settles (3 s) and the next command keys its cache
# by the file's stat; from then on a read needs no digest
sleep 3.5
run status
expect_rc 0
TOLLGATE_LIBCRYPTO=libnothing.so.1 run why api sit
expect_rc 0
expect_out_has "api"
TOLLGATE_LIBCRYPTO=libnothing.so.1 run status --json
expect_rc 0
expect_json '[c["version"] for c in j["cells"] if c["env"] == "dev"] == ["1.0"]'

# a write chains its audit entry with SHA-256: it needs libcrypto
TOLLGATE_LIBCRYPTO=libnothing.so.1 run record api dev --version 2.0 --as sam
expect_rc 1
expect_err_has "tollgate: error: cannot load OpenSSL's libcrypto: libnothing.so.1"
expect_err_has "install libssl3"
# nothing of it was written: the version, the audit log and its chain are as before
run status --json
expect_rc 0
expect_json '[c["version"] for c in j["cells"] if c["env"] == "dev"] == ["1.0"]'
run log --verify
expect_rc 0
run log --json
expect_rc 0
expect_json '[e["detail"] for e in j["entries"]] == ["version 1.0"]'
run record api dev --version 2.0 --as sam
expect_rc 0
done_tests
