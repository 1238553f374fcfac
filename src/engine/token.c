/*
 * token.c - API tokens bound to people (token.h): making one (random id and
 * secret, only the hash kept), revoking one, and authenticating a request's
 * token in constant time.
 */
#include "engine/token.h"

#include "util/crypto.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "engine/identity.h"

static atomic_ulong compares;

unsigned long token_compare_count(void)
{
	return atomic_load(&compares);
}

static int sha256(const char *s, unsigned char md[32], struct err *e)
{
	unsigned int n = 0;
	if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL) != 1 || n != 32)
		return err_setr(e, ERR_FAILED, REASON_IO, "cannot hash a token (OpenSSL)");
	return 0;
}

int token_hash(const char *secret, char out[65], struct err *e)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];

	if (sha256(secret, md, e) < 0)
		return -1;
	for (int i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The stored hash as bytes; a malformed one (edited by hand) matches nothing. */
static bool unhex(const char *h, unsigned char out[32])
{
	if (!h || strlen(h) != 64)
		return false;
	for (int i = 0; i < 32; i++) {
		int a = hexval(h[2 * i]), b = hexval(h[2 * i + 1]);
		if (a < 0 || b < 0)
			return false;
		out[i] = (unsigned char)(a << 4 | b);
	}
	return true;
}

/* Does the token's hash equal the stored one? Always one CRYPTO_memcmp of
 * 32 bytes, whatever the stored text holds (NULL: nothing matches). */
static bool hash_matches(const unsigned char md[32], const char *stored)
{
	unsigned char want[32];
	bool ok = unhex(stored, want);

	if (!ok)
		memset(want, 0xa5, sizeof(want));
	atomic_fetch_add(&compares, 1);
	return CRYPTO_memcmp(md, want, 32) == 0 && ok;
}

static bool b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_';
}

static const char id_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

static bool id_char(char c)
{
	return c && strchr(id_alphabet, c) != NULL;
}

/* Is s shaped as a token? Its id into id when it is. */
static bool token_parse(const char *s, char id[TOKEN_ID_LEN + 1])
{
	if (!s || strnlen(s, TOKEN_LEN + 1) != TOKEN_LEN || strncmp(s, "tg_", 3) ||
	    s[3 + TOKEN_ID_LEN] != '_')
		return false;
	for (int i = 0; i < TOKEN_ID_LEN; i++)
		if (!id_char(s[3 + i]))
			return false;
	for (int i = 0; i < TOKEN_SECRET_LEN; i++)
		if (!b64url_char(s[3 + TOKEN_ID_LEN + 1 + i]))
			return false;
	memcpy(id, s + 3, TOKEN_ID_LEN);
	id[TOKEN_ID_LEN] = '\0';
	return true;
}

static int random_bytes(unsigned char *buf, int n, struct err *e)
{
	if (RAND_bytes(buf, n) != 1)
		return err_setr(e, ERR_FAILED, REASON_IO, "cannot make a token: no random bytes");
	return 0;
}

int token_random(char *id, size_t idlen, char secret[TOKEN_SECRET_LEN + 1], struct err *e)
{
	unsigned char rnd[32], idb[64];
	unsigned char b64[48];

	if (idlen > sizeof(idb))
		BUG("token_random: an id of %zu characters", idlen);
	if (random_bytes(idb, (int)idlen, e) < 0 || random_bytes(rnd, sizeof(rnd), e) < 0)
		return -1;
	for (size_t i = 0; i < idlen; i++)
		id[i] = id_alphabet[idb[i] & 31];
	id[idlen] = '\0';
	if (EVP_EncodeBlock(b64, rnd, sizeof(rnd)) != 44)
		return err_setr(e, ERR_FAILED, REASON_IO, "cannot make a secret (OpenSSL)");
	for (int i = 0; i < TOKEN_SECRET_LEN; i++)
		secret[i] = b64[i] == '+' ? '-' : b64[i] == '/' ? '_' : (char)b64[i];
	secret[TOKEN_SECRET_LEN] = '\0';
	OPENSSL_cleanse(rnd, sizeof(rnd));
	OPENSSL_cleanse(b64, sizeof(b64));
	return 0;
}

bool token_secret_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!b64url_char(s[i]))
			return false;
	return true;
}

bool token_id_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!id_char(s[i]))
			return false;
	return true;
}

int token_hash_equals(const char *secret, const char *stored, bool *equal, struct err *e)
{
	unsigned char md[32];
	if (sha256(secret, md, e) < 0)
		return -1;
	*equal = hash_matches(md, stored);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

static int token_make(struct token_new *out, struct err *e)
{
	char secret[TOKEN_SECRET_LEN + 1];

	if (token_random(out->id, TOKEN_ID_LEN, secret, e) < 0)
		return -1;
	snprintf(out->secret, sizeof(out->secret), "tg_%s_%s", out->id, secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	return 0;
}

/* Does actor hold a promoter role of the last environment (one that lists
 * promoters)? They manage anybody's tokens. */
static bool token_admin(const struct plan *p, int actor)
{
	const struct plan_env *prod = p->nenvs ? &p->envs[p->nenvs - 1] : NULL;
	return prod && prod->npromoters &&
	       plan_person_has_any_role(&p->people[actor], prod->promoters, prod->npromoters);
}

int token_may_act_for(const struct plan *p, int actor, int person, struct err *e)
{
	const struct plan_env *prod = p->nenvs ? &p->envs[p->nenvs - 1] : NULL;

	if (actor == person || token_admin(p, actor))
		return 0;
	if (prod && prod->npromoters)
		return err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
				"'%s' may not manage the tokens of '%s': only '%s' or a person "
				"holding a promoter role of environment '%s' may",
				p->people[actor].id, p->people[person].id, p->people[person].id,
				prod->name);
	return err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
			"'%s' may not manage the tokens of '%s': only '%s' may (environment '%s' "
			"lists no promoters, who could manage anybody's)",
			p->people[actor].id, p->people[person].id, p->people[person].id,
			prod ? prod->name : "?");
}

/* The person a token is for: their index, or -1 with e. */
static int token_person(const struct plan *p, const char *person, struct err *e)
{
	int i = person ? plan_person_index(p, person) : -1;
	const char *s;

	if (i >= 0)
		return i;
	s = person ? plan_suggest_person(p, person) : NULL;
	if (s)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"unknown person '%s'; did you mean '%s'?", person, s);
	return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
			"unknown person '%s'; a token is for a person of the plan's 'people'",
			person ? person : "");
}

static int check_name(const char *name, struct err *e)
{
	size_t n;

	if (!name)
		return 0;
	n = strlen(name);
	if (!n || n > TOKEN_NAME_MAX)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"a token's name is 1 to %d bytes of text", TOKEN_NAME_MAX);
	if (!util_utf8_valid(name, n, NULL))
		return err_setr(e, ERR_USAGE, REASON_INVALID, "a token's name must be UTF-8 text");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return err_setr(e, ERR_USAGE, REASON_INVALID,
					"a token's name may not hold control characters");
	return 0;
}

int token_create(struct store *s, const struct plan *p, int64_t now, const char *actor,
		 const char *person, const char *name, int64_t expires_at, struct token_new *out,
		 struct err *e)
{
	struct store_token t = { 0 };
	char hash[65], when[32];
	int who, pi;

	memset(out, 0, sizeof(*out));
	who = identity_actor(p, actor, "creating a token", e);
	if (who < 0)
		return -1;
	pi = token_person(p, person, e);
	if (pi < 0)
		return -1;
	if (p->people[pi].tbd)
		return err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
				"'%s' is a placeholder (tbd: true) and cannot act: no token for it",
				person);
	if (token_may_act_for(p, who, pi, e) < 0 || check_name(name, e) < 0)
		return -1;
	if (expires_at && expires_at <= now)
		return err_setr(e, ERR_USAGE, REASON_INVALID, "a token must expire after now");
	if (token_make(out, e) < 0 || token_hash(out->secret, hash, e) < 0)
		goto fail;
	out->expires_at = expires_at;
	t.id = out->id;
	t.person = p->people[pi].id;
	t.name = name;
	t.hash = hash;
	t.expires_at = expires_at;
	t.created_by = p->people[who].id;
	if (store_begin_change(s, now, p->people[who].id, "token.created", out->id, NULL, e) < 0)
		goto fail;
	if (expires_at)
		util_fmt_time(expires_at, when, sizeof(when));
	store_change_detail(s, "for %s%s%s%s, %s%s", t.person, name ? ", named '" : "",
			    name ? name : "", name ? "'" : "", expires_at ? "expires " : "never expires",
			    expires_at ? when : "");
	if (store_token_add(s, &t, e) < 0) {
		store_abort_change(s);
		goto fail;
	}
	if (store_commit_change(s, NULL, e) < 0)
		goto fail;
	return 0;
fail:
	OPENSSL_cleanse(out, sizeof(*out));
	return -1;
}

int token_revoke(struct store *s, const struct plan *p, int64_t now, const char *actor,
		 const char *id, struct err *e)
{
	struct store_token t;
	struct arena a;
	int who, pi, rc;

	who = identity_actor(p, actor, "revoking a token", e);
	if (who < 0)
		return -1;
	arena_init(&a);
	rc = store_token_get(s, id, &t, &a, e);
	if (rc == 1)
		rc = err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
			      "unknown token '%s'; 'tollgate token list' shows the ids", id);
	if (rc < 0)
		goto out;
	if (t.revoked_at) {
		rc = 1;
		goto out;
	}
	pi = plan_person_index(p, t.person);
	/* a token of someone gone from the plan: those who manage anybody's */
	if (pi < 0 && !token_admin(p, who)) {
		rc = err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
			      "'%s' may not revoke token '%s' of '%s' (no longer in the plan): "
			      "only a person holding a promoter role of environment '%s' may",
			      p->people[who].id, id, t.person, p->envs[p->nenvs - 1].name);
		goto out;
	}
	if (pi >= 0 && token_may_act_for(p, who, pi, e) < 0) {
		rc = -1;
		goto out;
	}
	if (store_begin_change(s, now, p->people[who].id, "token.revoked", id, NULL, e) < 0) {
		rc = -1;
		goto out;
	}
	store_change_detail(s, "of %s%s%s%s", t.person, t.name ? ", named '" : "",
			    t.name ? t.name : "", t.name ? "'" : "");
	rc = store_token_revoke(s, id, e);
	if (rc != 0) {
		store_abort_change(s);
		goto out; /* 1: revoked by another meanwhile */
	}
	if (store_commit_change(s, NULL, e) < 0)
		rc = -1;
out:
	arena_release(&a);
	return rc;
}

int token_verify(struct store *s, const struct plan *p, const char *secret, int64_t now,
		 char **person, char **token_id, struct err *e)
{
	static const char dummy[] =
		"0000000000000000000000000000000000000000000000000000000000000000";
	char id[TOKEN_ID_LEN + 1], when[32];
	unsigned char md[32];
	struct store_token t;
	struct arena a;
	int rc, pi;

	*person = NULL;
	*token_id = NULL;
	if (!token_parse(secret, id))
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"not a tollgate token (tg_ID_SECRET, as 'tollgate token create' "
				"printed it)");
	if (sha256(secret, md, e) < 0)
		return -1;
	arena_init(&a);
	rc = store_token_get(s, id, &t, &a, e);
	if (rc < 0)
		goto out;
	/* an unknown id costs the same comparison as a known one */
	if (!hash_matches(md, rc == 0 ? t.hash : dummy) || rc == 1) {
		rc = err_setr(e, ERR_USAGE, REASON_INVALID, "token '%s' is not valid", id);
		goto out;
	}
	rc = -1;
	if (t.revoked_at) {
		err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN, "token '%s' was revoked on %s", id,
			 util_fmt_time(t.revoked_at, when, sizeof(when)));
		goto out;
	}
	if (t.expires_at && t.expires_at <= now) {
		err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN, "token '%s' expired on %s", id,
			 util_fmt_time(t.expires_at, when, sizeof(when)));
		goto out;
	}
	pi = plan_person_index(p, t.person);
	if (pi < 0 || p->people[pi].tbd) {
		err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
			 "token '%s' is of '%s', who is %s", id, t.person,
			 pi < 0 ? "no person of the plan any more" : "a placeholder (tbd: true)");
		goto out;
	}
	{
		struct err ignored; /* a busy store does not refuse a request */
		err_init(&ignored);
		store_token_used(s, id, now, t.last_used_at, &ignored);
	}
	*person = xstrdup(t.person);
	*token_id = xstrdup(id);
	rc = 0;
out:
	arena_release(&a);
	OPENSSL_cleanse(md, sizeof(md));
	return rc;
}

int token_parse_expires(const char *s, int64_t *seconds, struct err *e)
{
	if (!s || util_parse_duration(s, seconds) < 0 || *seconds <= 0)
		return err_setr(e, ERR_USAGE, REASON_INVALID,
				"--expires '%s': use a duration such as 90d, 12h or 1h30m",
				s ? s : "");
	return 0;
}
