#!/bin/bash
# session-lost-pg.sh - a PostgreSQL server that ends tollgate's session in
# the middle of a run (a restart, a failover, an idle connection cut by a
# proxy while a long deploy runs): the run connects again at its next write
# and finishes; every project healthy, the audit chain whole.
. "$TOLLGATE_SRC/tests/cli/lib.sh"

TOLLGATE_DB=$(bash "$TOLLGATE_SRC/tests/pg/newdb.sh")
export TOLLGATE_DB
export TOLLGATE_NOW=2026-02-01T10:00:00Z
export TOLLGATE_USER=olga # a promotion needs a person

# each deploy ends every tollgate session on this database, then works on;
# each termination is waited for (up to 10 s), so a session ended by one
# deploy is gone before the next deploy counts them (on a loaded machine a
# dying backend stayed listed and was counted twice)
cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: LOST, title: Session lost mid-run}
environments:
  - {name: dev}
  - {name: sit}
people: [{id: olga, roles: [ops]}]
waves:
  - {id: w1}
projects:
  - {id: a, wave: w1, deploy: "sh cut.sh && sleep 0.2"}
  - {id: b, wave: w1, deploy: "sh cut.sh && sleep 0.2", depends_on: [a]}
  - {id: c, wave: w1, deploy: "sh cut.sh && sleep 0.2", depends_on: [b]}
EOF
# (a step never receives the store's URL from tollgate: the test hands it
# over in a file of its own)
printf '%s' "$TOLLGATE_DB" >dburl
cat >cut.sh <<'EOF'
psql "$(cat dburl)" -qAt -v ON_ERROR_STOP=1 -c "SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE application_name = 'tollgate' AND datname = current_database()" >>cuts
EOF

for p in a b c; do
	run record $p dev --version "1.$p"
	expect_rc 0
done
run promote --to sit -j 2
expect_rc 0
expect_out_has "3 healthy, 0 soaking, 0 rolled back, 0 failed, 0 skipped"
# the sessions were really cut: one each time
checks=$((checks + 1))
[ "$(grep -c '^1$' cuts)" -eq 3 ] || fail "expected 3 cut sessions, got: $(cat cuts)"
run status --json
expect_rc 0
checks=$((checks + 1))
python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
s = {(c["project"], c["env"]): c["state"] for c in j["cells"]}
assert all(s[(p, "sit")] == "healthy" for p in "abc"), s
' "$T/out" || fail "not every project healthy in sit"
run log --verify
expect_rc 0
done_tests
