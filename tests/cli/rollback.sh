#!/bin/bash
# rollback.sh - `tollgate rollback PROJECT ENV` by hand (the previous version
# restored, TOLLGATE_VERSION / TOLLGATE_PREVIOUS_VERSION as SPEC §6 says),
# rolled back already (exit 0, nothing runs), nothing to roll back (exit 3),
# a failing rollback (exit 1, state failed),
# and a level-3 incident on a project rolling it back.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# promote, rollback and record beyond the source need a person (identity: claim here)
export TOLLGATE_USER=olga

cp "$FIXTURES/exec-dag.yaml" tollgate.yaml
cp -R "$FIXTURES/exec-scripts" .
mkdir -p .fx
export TOLLGATE_NOW=2026-02-01T10:00:00Z
for p in a b c d e; do run record $p dev --version "1.$p" --as sam; done
run promote --to sit --project a --project e
expect_rc 0
for p in a e; do run record $p dev --version "2.$p" --as sam; done
run promote --to sit --project a --project e
expect_rc 0
checks=$((checks + 1))
[ "$(cat .fx/sit/a)" = 2.a ] || fail "a is not 2.a in sit"

run rollback a sit --reason "bad config" --as olga
expect_rc 0
expect_out_has "a sit: rolled back from 2.a to 1.a"
checks=$((checks + 1))
[ "$(cat .fx/sit/a)" = 1.a ] || fail "the rollback did not restore 1.a: $(cat .fx/sit/a)"
checks=$((checks + 1))
grep -qxF "a sit 2.a -> 1.a" .fx/rollbacks || fail "rollback env: $(cat .fx/rollbacks)"
run status --json
expect_json '{(c["project"], c["env"]): c["state"] for c in j["cells"]}[("a", "sit")] == "rolled-back"'
run log
expect_out_has "rolled back by olga to 1.a: bad config"

run rollback a sit
expect_rc 0
expect_out_has "already rolled back: a in sit (live: 1.a); nothing changed"
run rollback b sit
expect_rc 3
run rollback a dev
expect_rc 2
run rollback nope sit
expect_rc 2

# a failing rollback: failed, needs a person
touch .fx/fail-rollback-e
run rollback e sit --json
expect_rc 1
expect_json 'j["results"][0]["outcome"] == "failed" and "needs a person" in j["results"][0]["detail"]'
rm .fx/fail-rollback-e

# 2.a was rolled back from sit: it is rejected there until allowed again
run promote --to sit --project a --json
expect_rc 3
expect_json 'j["not_ready"][0]["summary"] == "source: version 2.a was rolled back from sit on 2026-02-01T10:00:00Z (rolled back by olga to 1.a: bad config): record a new version, or allow it again"'
run allow a 2.a --env sit --reason "config fixed" --as olga
expect_rc 0

# a level-3 incident on a project rolls it back there
run promote --to sit --project a --json
expect_rc 0
run incident open --level 3 --env sit --project a --as olga "data corruption seen"
expect_rc 0
expect_out_has "opened incident"
expect_out_has "a sit: rolled back from 2.a to 1.a"
checks=$((checks + 1))
[ "$(cat .fx/sit/a)" = 1.a ] || fail "the level-3 incident did not roll a back"
# a level-3 incident where nothing is live: nothing to roll back, said plainly
run incident open --level 3 --env prod --project c --as olga "c looks wrong"
expect_rc 0
expect_out_has "no rollback run: c has nothing to roll back in prod"
# a level-3 incident on a project while a promote deploys it: that run rolls
# it back once the running step ends
run incident resolve 1 --as olga
run incident resolve 2 --as olga
run record e dev --version 3.e --as sam
run promote --to sit --project e
expect_rc 0
run record e dev --version 4.e --as sam
# e's deploy waits for the event "incident" (deploy.sh's barrier): it is
# still running when the incident opens, however slow the host
starts=$(grep -c '^start e' .fx/timeline)
echo incident >.fx/await-e
"$TOLLGATE_BIN" promote --to sit --project e --json >"$T/bg.json" 2>"$T/bg.err" &
bg=$!
for _ in $(seq 1 600); do [ "$(grep -c '^start e' .fx/timeline)" -gt "$starts" ] && break; sleep 0.05; done
run incident open --level 3 --env sit --project e --as olga "e corrupts orders"
expect_rc 0
expect_out_has "the running promote rolls it back when its current step ends"
echo "incident opened" >>.fx/timeline
set +e; wait $bg; bgrc=$?; set -e
rm -f .fx/await-e
checks=$((checks + 1))
[ "$bgrc" -eq 1 ] || fail "the run with a level-3 incident exited $bgrc: $(cat "$T/bg.err")"
cp "$T/bg.json" "$T/out"
expect_json 'j["results"][0]["outcome"] == "rolled-back" and j["results"][0]["detail"].startswith("incident 3 (level 3) was opened on it; rolled back to 3.e")'
checks=$((checks + 1))
[ "$(cat .fx/sit/e)" = 3.e ] || fail "e was not rolled back to 3.e: $(cat .fx/sit/e)"

run log --verify
expect_rc 0
done_tests
