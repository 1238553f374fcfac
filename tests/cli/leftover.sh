#!/bin/bash
# leftover.sh - what a step leaves running in its process group is ended
# when the step's main process exits (issue 10, item 11): `sleep 27 &` gets
# SIGTERM at once, a child that ignores SIGTERM gets SIGKILL after the grace,
# the step log says so, and a daemon that left the group (setsid) is not
# touched. A step that exits with nothing left gets no such note.
. "$TOLLGATE_SRC/tests/cli/lib.sh"
# a promotion needs a person (identity: claim here)
export TOLLGATE_USER=olga

cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: TEST-LEFTOVER, title: Leftover children}
environments:
  - {name: dev}
  - {name: sit}
people:
  - {id: olga, roles: [ops-lead]}
waves:
  - {id: w1}
projects:
  - {id: bg, wave: w1, deploy: sh bg.sh}
  - {id: stubborn, wave: w1, deploy: sh stubborn.sh}
  - {id: daemon, wave: w1, deploy: sh daemon.sh}
  - {id: clean, wave: w1, deploy: sh clean.sh}
YAML
cat >bg.sh <<'SH'
sleep 27 &
echo $! >bg.pid
echo done
SH
cat >stubborn.sh <<'SH'
(trap '' TERM; : >stubborn.ready; exec sleep 27) >/dev/null 2>&1 &
echo $! >stubborn.pid
while [ ! -e stubborn.ready ]; do sleep 0.01; done
SH
cat >daemon.sh <<'SH'
# a daemon detaches before the step ends (here: its pid is written after setsid)
setsid -f sh -c 'echo $$ >daemon.pid; exec sleep 27' </dev/null >/dev/null 2>&1
while [ ! -s daemon.pid ]; do sleep 0.01; done
SH
cat >clean.sh <<'SH'
echo fine
SH
alive() { kill -0 "$(cat "$1")" 2>/dev/null; }

export TOLLGATE_NOW=2026-01-10T09:00:00Z
for p in bg stubborn daemon clean; do run record $p dev --version 1 --as olga; expect_rc 0; done
run promote --to sit
expect_rc 0
expect_out_has "bg"
checks=$((checks + 4))
alive bg.pid && fail "bg's 'sleep 27 &' is still running after promote"
alive stubborn.pid && fail "the child that ignores SIGTERM is still running after promote"
# a daemon is started outside the step's group: not ours to end
alive daemon.pid || fail "the setsid daemon was killed"
kill "$(cat daemon.pid)" 2>/dev/null || true
# (the note is certain for the child that outlives SIGTERM)
logs=$(find .tollgate -name '*.log' -path '*stubborn*' | head -1)
[ -n "$logs" ] && grep -q "left processes running in its group .*: SIGTERM sent, SIGKILL after 10000 ms" $logs ||
	fail "stubborn's step log does not say what was left running"
run why bg sit
! grep -rq "left processes running" $(find .tollgate -name '*.log' -path '*clean*') ||
	fail "a step that left nothing running got the note"
checks=$((checks + 1))
done_tests
