#!/bin/bash
# token.sh - issue 11 item 2: API tokens bound to people. `token create
# PERSON` prints the token once; the store keeps its SHA-256 only (neither
# the token table, the audit log nor the database file holds it); `token
# list` never shows it; a person manages their own tokens and a promoter of
# the last environment anybody's (exit 3 otherwise); an unknown person is
# exit 2 with a did-you-mean; revoke, expiry, and the audit entries
# token.created / token.revoked (without the secret).
# backends: sqlite pg
. "$TOLLGATE_SRC/tests/cli/lib.sh"
backend_store
export TOLLGATE_NOW=2026-01-10T09:00:00Z

cat >tollgate.yaml <<'YAML'
version: 1
plan: {id: TOK, title: Tokens}
identity: claim
environments:
  - {name: dev}
  - {name: prod, promoters: [release]}
people:
  - {id: alice, roles: [release]}
  - {id: bob, roles: [dev]}
  - {id: carol, roles: [qa]}
  - {id: q-tbd, roles: [qa], tbd: true}
waves: [{id: w1}]
projects:
  - {id: api, wave: w1}
YAML

secret_of() { grep -E '^tg_' "$T/out" || true; }

# ---- create: printed once, in its format -----------------------------------
run token create bob --as bob --name "CI runner" --expires 90d
expect_rc 0
expect_out_has "for bob (expires 2026-04-10T09:00:00Z); it is shown this once, keep it secret:"
bob_tok=$(secret_of)
checks=$((checks + 1))
[[ "$bob_tok" =~ ^tg_([a-z2-7]{10})_[A-Za-z0-9_-]{43}$ ]] || fail "not a token: '$bob_tok'"
bob_id=${BASH_REMATCH[1]}
expect_out_has "created token $bob_id for bob"

run token create carol --as alice --json
expect_rc 0
expect_json 'j["person"] == "carol" and j["expires"] is None and j["name"] is None'
expect_json 'j["token"].startswith("tg_" + j["id"] + "_") and len(j["token"]) == 57'
carol_tok=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$T/out")
carol_id=${carol_tok:3:10}

# ---- the store holds no secret, only its SHA-256 ----------------------------
checks=$((checks + 1))
[ "$(raw "SELECT hash FROM token WHERE id = '$bob_id'")" = "$(printf %s "$bob_tok" | sha256sum | cut -d' ' -f1)" ] ||
	fail "the stored hash is not the token's SHA-256"
for t in "$bob_tok" "$carol_tok"; do
	checks=$((checks + 1))
	dump=$(raw "SELECT * FROM token"; raw "SELECT * FROM audit"; raw "SELECT * FROM plan_meta")
	case "$dump" in *"${t:14}"*) fail "the store holds a secret" ;; esac
	if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = sqlite ]; then
		checks=$((checks + 1))
		if cat "$T"/state.db* | grep -aqF -- "${t:14}"; then fail "the database file holds a secret"; fi
	fi
done

# ---- list: never the secret -------------------------------------------------
run token list
expect_rc 0
expect_out_has "ID          PERSON        STATE    CREATED               EXPIRES               LAST USED             NAME"
expect_out_has "$bob_id  bob           active   2026-01-10T09:00:00Z  2026-04-10T09:00:00Z  never                 CI runner"
expect_out_lacks "${bob_tok:14}"
expect_out_lacks "${carol_tok:14}"
run token list --json
expect_rc 0
expect_json 'sorted(t["person"] for t in j["tokens"]) == ["bob", "carol"]'
expect_json 'all(set(t) == {"id", "person", "name", "state", "created", "created_by", "expires", "revoked", "last_used"} for t in j["tokens"])'
expect_json '[t["created_by"] for t in j["tokens"] if t["person"] == "carol"] == ["alice"]'
expect_out_lacks "${bob_tok:14}"

# ---- who may ----------------------------------------------------------------
run token create carol --as bob
expect_rc 3
expect_err_line "tollgate: error: 'bob' may not manage the tokens of 'carol': only 'carol' or a person holding a promoter role of environment 'prod' may"
expect_out_lacks "tg_"
run token create zed --as alice
expect_rc 2
expect_err_line "tollgate: error: unknown person 'zed'; a token is for a person of the plan's 'people'"
run token create bobb --as alice
expect_rc 2
expect_err_line "tollgate: error: unknown person 'bobb'; did you mean 'bob'?"
run token create q-tbd --as alice
expect_rc 3
expect_err_line "tollgate: error: 'q-tbd' is a placeholder (tbd: true) and cannot act: no token for it"
run token create bob
expect_rc 2
expect_err_line "tollgate: error: creating a token needs a person: use --as PERSON or set TOLLGATE_USER (identity: claim)"
run token create bob --as bob --expires soon
expect_rc 2
expect_err_line "tollgate: error: --expires 'soon': use a duration such as 90d, 12h or 1h30m"
run token create bob --as bob --name ""
expect_rc 2
run token creat bob --as bob
expect_rc 2
expect_err_line "tollgate: error: unknown token subcommand 'creat'; did you mean 'create'?"
run token list --json
expect_json 'len(j["tokens"]) == 2'

# ---- revoke -----------------------------------------------------------------
run token revoke "$carol_id" --as bob
expect_rc 3
expect_err_has "'bob' may not manage the tokens of 'carol'"
run token revoke "$carol_id" --as carol
expect_rc 0
expect_out_has "revoked token $carol_id"
run token revoke "$carol_id" --as alice
expect_rc 0
expect_out_has "already revoked: token $carol_id; nothing changed"
run token revoke nosuchtokn --as alice
expect_rc 2
expect_err_line "tollgate: error: unknown token 'nosuchtokn'; 'tollgate token list' shows the ids"
run token list --json
expect_json '[(t["state"], t["revoked"]) for t in j["tokens"] if t["person"] == "carol"] == [("revoked", "2026-01-10T09:00:00Z")]'

# ---- expiry (the rehearsal clock moves on) ----------------------------------
run token create bob --as bob --expires 1h --name short
expect_rc 0
short_id=$(secret_of | cut -c4-13)
TOLLGATE_NOW=2026-01-10T09:59:59Z run token list --json
expect_json '[t["state"] for t in j["tokens"] if t["id"] == "'"$short_id"'"] == ["active"]'
TOLLGATE_NOW=2026-01-10T10:00:00Z run token list --json
expect_json '[t["state"] for t in j["tokens"] if t["id"] == "'"$short_id"'"] == ["expired"]'
expect_json '[t["state"] for t in j["tokens"] if t["id"] == "'"$bob_id"'"] == ["active"]'

# ---- the audit log: who made and revoked what, never the secret -------------
run log --json
expect_rc 0
expect_json '[(e["action"], e["subject"], e["actor"]) for e in j["entries"]] == [("token.created", "'"$bob_id"'", "bob"), ("token.created", "'"$carol_id"'", "alice"), ("token.revoked", "'"$carol_id"'", "carol"), ("token.created", "'"$short_id"'", "bob")]'
expect_json 'j["entries"][0]["detail"] == "for bob, named '"'CI runner'"', expires 2026-04-10T09:00:00Z"'
expect_json 'j["entries"][1]["detail"] == "for carol, never expires"'
expect_json 'j["entries"][2]["detail"] == "of carol"'
expect_json 'j["entries"][0]["auth"] == "claim:bob"'
expect_out_lacks "${bob_tok:14}"
expect_out_lacks "$(raw "SELECT hash FROM token WHERE id = '$bob_id'")"
run log --verify
expect_rc 0
expect_out_has "audit log verified: 4 entries"

# `token list` only reads: it runs for a database role that may only read
if [ "${TOLLGATE_TEST_BACKEND:-sqlite}" = pg ]; then
	db=${TOLLGATE_DB##*/}
	role="ro_$db"
	ro_url="${TOLLGATE_DB%/*}/$db"
	ro_url="${ro_url/\/\/tollgate@/\/\/$role@}"
	raw "CREATE ROLE $role LOGIN" >/dev/null
	raw "GRANT USAGE ON SCHEMA public TO $role; GRANT SELECT ON ALL TABLES IN SCHEMA public TO $role" >/dev/null
	run --db "$ro_url" token list --json
	expect_rc 0
	expect_json 'len(j["tokens"]) == 3'
	run --db "$ro_url" token create alice --as alice
	expect_rc 1
	expect_out_lacks "tg_"
	raw "DROP OWNED BY $role; DROP ROLE $role" >/dev/null
fi

# a token's rows are identity data, not plan state: gone rows are not a
# broken state (log --verify replays no token write)
raw "DELETE FROM token WHERE id = '$short_id'"
run log --verify
expect_rc 0

# `token list` only reads: state for an id the plan no longer has is a
# warning for it, as for every read, while create refuses as every change does
run record api dev --version 1.0 --as bob
expect_rc 0
sed -i 's/{id: api, wave: w1}/{id: web, wave: w1}/' tollgate.yaml
run token list
expect_rc 0
expect_err_has "tollgate: warning: the store holds state for project 'api', which the plan no longer has"
expect_out_has "$bob_id  bob"
run token create bob --as bob
expect_rc 2
expect_err_has "tollgate: error: 'token' changes the state, but the store holds state for 1 id the plan no longer has"

done_tests
