/*
 * identity.h - who is acting (issue 9 §5, docs/plan.md `identity`).
 *
 * The plan's `identity` mode says what makes a person of the plan the one
 * acting: `os`, the OS user running tollgate, listed in people[].login;
 * `db`, the PostgreSQL session user, named by people[].db_user (on SQLite
 * as `os`); `claim`, whatever --as / TOLLGATE_USER says, unchecked. With
 * `os` and `db`, --as may only name the person the credentials prove.
 *
 * identity_resolve() turns what the process can show (gathered by the
 * caller: the CLI reads getpwuid(geteuid()) and the store's session user;
 * a server would bring its own) into the acting person and an
 * authentication text for the audit log: "os:alice@host", "db:alice",
 * "claim:carol" (and "token:ID" for a server's request: identity_from_token). The other functions are the rules every state-changing
 * engine function applies to the person it is handed: a person is needed,
 * a placeholder (tbd: true) never acts, environments[].promoters and
 * checklist[].by restrict who may. Nothing here prints.
 */
#ifndef TOLLGATE_ENGINE_IDENTITY_H
#define TOLLGATE_ENGINE_IDENTITY_H

#include <stdbool.h>

#include "plan/plan.h"
#include "util/util.h"

/* What the caller can show about who runs it. Strings may be NULL. */
struct identity_source {
	const char *os_user;    /* the effective user's name (or its uid in decimal) */
	const char *host;       /* this host's name, for the audit text */
	bool db_session;        /* the store is a database with users (PostgreSQL) */
	const char *db_user;    /* its session user, with db_session */
	const char *claim;      /* a people id claimed: --as or TOLLGATE_USER */
	const char *claim_from; /* "--as" or "TOLLGATE_USER", for messages */
};

/* How the acting person was authenticated: the prefix of identity.auth. */
enum identity_auth {
	IDENTITY_AUTH_OS = 0, /* "os:alice@host" */
	IDENTITY_AUTH_DB,     /* "db:alice" */
	IDENTITY_AUTH_CLAIM,  /* "claim:carol" */
	IDENTITY_AUTH_TOKEN,  /* "token:k3f9x2ab7q": an API token (engine/token.h) */
};

struct identity {
	int person;              /* index into plan->people; -1: nobody */
	const char *person_id;   /* its id (points into the plan), or NULL */
	enum plan_identity mode; /* in effect: `db` without a database session is `os` */
	/* "os:alice@host", "db:alice", "claim:carol"; with no claim under
	 * `claim`, the OS user that ran it ("os:root@host") */
	char auth[400];
	char nobody[400];        /* person < 0: why nobody, and what to do */
	enum identity_auth auth_kind;
};

/*
 * Resolve who acts. 0 with out filled (out->person may be -1: nobody is
 * proven, which is fine for commands that need no person), or -1 with e:
 * ERR_USAGE, REASON_NOT_FOUND for a claim naming no person of the plan,
 * REASON_FORBIDDEN for a claim the credentials do not back (`os`, `db`).
 */
int identity_resolve(const struct plan *p, const struct identity_source *src,
		     struct identity *out, struct err *e);

/*
 * The actor of one request authenticated by an API token (the server, after
 * token_verify): person (a people id) acts, with every rule of the plan as
 * on the CLI; auth reads "token:ID". 0 with out filled, or -1 with e as
 * identity_actor's for a person who is not (or no longer) one of the plan
 * or a placeholder. Set the audit's authentication from out->auth
 * (store_set_auth) before the request changes anything.
 */
int identity_from_token(const struct plan *p, const char *person, const char *token_id,
			struct identity *out, struct err *e);

/*
 * The person who is to do `what` ("promoting to 'prod'", "approving a
 * gate"): their index, or -1 with e: ERR_USAGE when actor is NULL (nobody:
 * the message says how to be somebody under the plan's mode) or names no
 * person; ERR_NOT_READY, REASON_FORBIDDEN for a placeholder (tbd: true).
 */
int identity_actor(const struct plan *p, const char *actor, const char *what, struct err *e);

/* May person (an index) change environment env (promote, roll back,
 * record): env lists no promoters, or the person holds one. 0, or -1 with
 * ERR_NOT_READY, REASON_FORBIDDEN. */
int identity_may_change_env(const struct plan *p, int person, int env, struct err *e);

/* May person tick or untick item by hand: the item lists no `by` roles,
 * or the person holds one. 0, or -1 with ERR_NOT_READY, REASON_FORBIDDEN. */
int identity_may_tick(const struct plan *p, int person, int item, struct err *e);

/*
 * The person changing env (promote, rollback, record) with the rules
 * above. Every environment but the source needs a person; the source needs
 * one only when it lists promoters (recording there is CI's job: with no
 * person the change is logged as "ci"). Returns the person's index, -1
 * with e filled when refused, or -2 when nobody acts and that is allowed.
 */
int identity_env_actor(const struct plan *p, const char *actor, int env, const char *what,
		       struct err *e);

#endif
