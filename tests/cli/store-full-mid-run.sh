#!/bin/bash
# store-full-mid-run.sh - a state write that fails mid-run because the disk
# that holds the store is full: the SQLite store lives on a small tmpfs of
# its own, which a step fills (dd until ENOSPC).
#
# Filled during a deploy: verify never runs, the dependent never starts, the
# project is reported `interrupted` with what the store holds (`deploying`),
# exit 1 naming the full disk. Filled during a verify: the `healthy` that
# could not be written is not claimed; the store holds `verifying`. status
# and why read what the store holds on the full disk; once space is freed
# the next promote repairs each pair (`promotion.interrupted`) and finishes.
#
# The tmpfs is mounted with mount(8) when we are root; otherwise the script
# runs itself again in a user and mount namespace of its own (unshare -rm),
# where an unprivileged user may mount a tmpfs. Where neither works it fails
# and says so. (PostgreSQL's full disk is the server's to report; a server
# that stops over it is store-gone-mid-run-pg.sh.)
if [ "$(id -u)" -ne 0 ] && [ -z "${TOLLGATE_TEST_USERNS:-}" ]; then
	if unshare --user --map-root-user --mount true 2>/dev/null; then
		exec env TOLLGATE_TEST_USERNS=1 unshare --user --map-root-user --mount bash "$0" "$@"
	fi
	echo "FAIL: store-full-mid-run needs root or user namespaces (unshare -rm) to mount a small tmpfs" >&2
	exit 1
fi
. "$TOLLGATE_SRC/tests/cli/lib.sh"

mkdir mnt
if ! mount -t tmpfs -o size=2m,mode=0700 tollgate-test mnt; then
	echo "FAIL: could not mount a tmpfs on $T/mnt" >&2
	exit 1
fi
trap 'umount -l "$T/mnt" 2>/dev/null; rm -rf "$T"' EXIT

export TOLLGATE_DB="sqlite:$T/mnt/state.db"
export TOLLGATE_NOW=2026-02-01T10:00:00Z
export TOLLGATE_USER=olga # a promotion needs a person

# fill.sh: fill the store's disk (once per flag file)
cat >fill.sh <<'EOF'
[ -e "$1" ] || exit 0
rm -f "$1"
dd if=/dev/zero of=mnt/fill bs=16k 2>/dev/null
exit 0
EOF
cat >tollgate.yaml <<'EOF'
version: 1
plan: {id: FULL, title: The store's disk full mid-run}
environments:
  - {name: dev}
  - {name: sit}
people: [{id: olga, roles: [ops]}]
waves:
  - {id: w1}
projects:
  - id: a
    wave: w1
    deploy: "sh fill.sh fill-deploy; echo a >>deployed"
    verify: "echo a >>verified"
    rollback: "echo a >>rolledback"
  - {id: b, wave: w1, deploy: "echo b >>deployed", depends_on: [a]}
  - id: c
    wave: w1
    deploy: "echo c >>deployed"
    verify: "sleep 0.5; sh fill.sh fill-verify; echo c >>verified"
    rollback: "echo c >>rolledback"
EOF
for p in a b c; do
	run record $p dev --version 1.0
	expect_rc 0
done

# ---- full during a deploy --------------------------------------------------------
touch fill-deploy
run promote --to sit --project a --project b
expect_rc 1
expect_err_has "tollgate: error: the store failed mid-run, so promote stopped: the disk that holds the store is full ("
expect_err_has "free space on it, then try again"
expect_out_has "a sit: interrupted 1.0"
# (the failed write is the next one: the deploy's process group in its
# lease while it runs, or 'verifying' after it)
expect_out_has "    deploy ended"
expect_out_has "the store failed; it still holds deploying 1.0 under this run's lease"
expect_out_has "b sit: skipped 1.0"
expect_out_has "0 healthy, 0 soaking, 0 rolled back, 0 failed, 1 skipped, 1 interrupted"
expect_out_lacks "failed 1.0"
checks=$((checks + 1))
[ ! -e verified ] || fail "verify ran after the store failed: $(cat verified)"
checks=$((checks + 1))
[ "$(cat deployed)" = a ] || fail "the dependent was deployed after the store failed: $(cat deployed)"
checks=$((checks + 1))
[ ! -e rolledback ] || fail "a rollback ran after the store failed"

# status and why read what the store holds, on the full disk
run status --json
expect_rc 0
expect_json '[c["state"] for c in j["cells"] if c["project"] == "a" and c["env"] == "sit"] == ["deploying"]'
run why a sit --json
expect_rc 0
expect_json '"deploying" in [r for r in j["rules"] if r["rule"] == "source"][0]["detail"]'

# space back: the next run repairs it and finishes
rm mnt/fill
run promote --to sit --project a --project b
expect_rc 0
expect_out_has "2 healthy, 0 soaking, 0 rolled back, 0 failed, 0 skipped"
run log --json
expect_json '[e["action"] for e in j["entries"] if e["subject"] == "a@sit"] == ["promotion.deploying", "promotion.interrupted", "promotion.deploying", "promotion.verifying", "promotion.healthy"]'

# ---- full during a verify: 'healthy' cannot be written -------------------------------
touch fill-verify
run promote --to sit --project c
expect_rc 1
expect_err_has "the disk that holds the store is full"
expect_out_has "c sit: interrupted 1.0"
# (usually 'healthy' is the write that fails: "verify ended; 'healthy'
# could not be written")
expect_out_has "    verify ended"
expect_out_has "the store failed; it still holds verifying 1.0 under this run's lease"
expect_out_lacks "c sit: healthy"
run status --json
expect_json '[c["state"] for c in j["cells"] if c["project"] == "c" and c["env"] == "sit"] == ["verifying"]'
rm mnt/fill
run promote --to sit --project c
expect_rc 0
expect_out_has "c sit: healthy 1.0"
run log --json
expect_json '[e["action"] for e in j["entries"] if e["subject"] == "c@sit"] == ["promotion.deploying", "promotion.verifying", "promotion.interrupted", "promotion.deploying", "promotion.verifying", "promotion.healthy"]'
run log --verify
expect_rc 0
done_tests
