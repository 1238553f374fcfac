#!/bin/bash
# utf8.sh - text enters as UTF-8 or not at all: an argument, an environment
# variable or a versions file holding a Latin-1 byte is refused with a clear,
# located error (exit 2) and nothing is written, so that the store, the audit
# log and every JSON answer stay valid UTF-8.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

cp "$FIXTURES/state-small.yaml" tollgate.yaml
export TOLLGATE_NOW=2026-01-10T09:00:00Z

run record api dev --version $'caf\xe9' --as sam
expect_rc 2
expect_err_line "tollgate: error: argument 5 is not valid UTF-8 (byte 0xe9 at offset 3); give text as UTF-8"
run incident open --level 1 --env sit --as sam $'bad \xff text'
expect_rc 2
expect_err_has "is not valid UTF-8 (byte 0xff at offset 4)"
TOLLGATE_USER=$'s\xe4m' run status
expect_rc 2
expect_err_line "tollgate: error: TOLLGATE_USER is not valid UTF-8 (byte 0xe4 at offset 1); give text as UTF-8"

printf 'api 1.0\ndb caf\xe9\n' >versions.txt
run record --env dev --versions versions.txt --as sam
expect_rc 2
expect_err_has "versions.txt:2:7: not valid UTF-8 (byte 0xe9); save the file as UTF-8"
run record --env dev --versions - --as sam <versions.txt
expect_rc 2
expect_err_has ":2:7: not valid UTF-8 (byte 0xe9)"

# nothing of the above was written; valid UTF-8 goes through and stays valid JSON
run log --json
expect_rc 0
expect_json 'j["entries"] == []'
run record api dev --version "café-→-1" --as sam
expect_rc 0
run status --json
expect_rc 0
expect_json '[c for c in j["cells"] if c["project"] == "api" and c["env"] == "dev"][0]["version"] == "café-→-1"'

# bytes that are not UTF-8, put in the store by hand
sqlite3 .tollgate/state.db "UPDATE promotion SET version = CAST(X'636166E9' AS TEXT) WHERE project = 'api' AND env = 'dev';
  UPDATE audit SET detail = CAST(X'76657273696F6E20636166E9' AS TEXT) WHERE seq = 1;"
run status --json
expect_rc 0
expect_json '[c for c in j["cells"] if c["project"] == "api" and c["env"] == "dev"][0]["version"] == "caf?"'
run next --json
expect_rc 0
run why api sit --json
expect_json '[r for r in j["rules"] if r["rule"] == "source"][0]["detail"] is not None'
run log --json
expect_rc 0
expect_json 'j["entries"][0]["detail"] == "version caf?"'
run report --format json
expect_rc 0
expect_json 'any(c["version"] == "caf?" for w in j["waves"] for p in w["projects"] for c in p["cells"])'
done_tests
