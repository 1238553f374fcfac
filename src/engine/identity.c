/*
 * identity.c - who acts, and may they (identity.h): the plan's `identity`
 * mode applied to what the caller shows, and the person rules of every
 * state-changing action.
 */
#include "engine/identity.h"

#include <string.h>

static void roles_text(struct strbuf *sb, const char *const *roles, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strbuf_addf(sb, "%s'%s'", i ? ", " : "", roles[i]);
}

/* The claimed person's index, or -1 with e (unknown, with a did-you-mean). */
static int claimed(const struct plan *p, const struct identity_source *src, struct err *e)
{
	int i = plan_person_index(p, src->claim);
	const char *s;
	if (i >= 0)
		return i;
	s = plan_suggest_person(p, src->claim);
	if (s)
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "unknown person '%s'; did you mean '%s'?",
				src->claim, s);
	return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
			"unknown person '%s'; use a 'people' id of the plan", src->claim);
}

int identity_resolve(const struct plan *p, const struct identity_source *src,
		     struct identity *out, struct err *e)
{
	const char *from = src->claim_from ? src->claim_from : "--as";
	const char *user, *what, *key, *mode;
	int who, ci = -1;

	memset(out, 0, sizeof(*out));
	out->person = -1;
	out->mode = p->identity;
	if (out->mode == IDENTITY_DB && !src->db_session)
		out->mode = IDENTITY_OS; /* SQLite has no users: the OS user decides */
	if (src->claim) {
		ci = claimed(p, src, e);
		if (ci < 0)
			return -1;
	}
	if (out->mode == IDENTITY_CLAIM) {
		out->auth_kind = src->claim ? IDENTITY_AUTH_CLAIM : IDENTITY_AUTH_OS;
		if (src->claim)
			snprintf(out->auth, sizeof(out->auth), "claim:%s", src->claim);
		else /* nothing claimed: what is known is who ran it */
			snprintf(out->auth, sizeof(out->auth), "os:%s@%s",
				 src->os_user ? src->os_user : "?", src->host ? src->host : "?");
		if (ci < 0)
			snprintf(out->nobody, sizeof(out->nobody),
				 "use --as PERSON or set TOLLGATE_USER (identity: claim)");
		who = ci;
		goto done;
	}

	mode = p->identity == IDENTITY_DB && out->mode == IDENTITY_OS
		       ? "db (a store with no users: as os)"
		       : plan_identity_name(out->mode);
	if (out->mode == IDENTITY_OS) {
		user = src->os_user ? src->os_user : "?";
		who = plan_person_by_login(p, src->os_user);
		snprintf(out->auth, sizeof(out->auth), "os:%s@%s", user, src->host ? src->host : "?");
		what = "OS user";
		key = "login";
	} else {
		user = src->db_user ? src->db_user : "?";
		who = plan_person_by_db_user(p, src->db_user);
		snprintf(out->auth, sizeof(out->auth), "db:%s", user);
		out->auth_kind = IDENTITY_AUTH_DB;
		what = "database user";
		key = "db_user";
	}
	if (who < 0)
		snprintf(out->nobody, sizeof(out->nobody),
			 "%s '%s' is no person's '%s' in the plan (identity: %s); add it to your "
			 "people entry",
			 what, user, key, mode);
	if (ci >= 0 && who < 0)
		return err_setr(e, ERR_USAGE, REASON_FORBIDDEN,
				"%s %s: %s '%s' is no person's '%s' in the plan; with identity: %s "
				"you act only as the person it names",
				from, src->claim, what, user, key, mode);
	if (ci >= 0 && ci != who)
		return err_setr(e, ERR_USAGE, REASON_FORBIDDEN,
				"%s %s: you are '%s' (%s '%s'); with identity: %s you act only as "
				"yourself",
				from, src->claim, p->people[who].id, what, user, mode);
done:
	out->person = who;
	out->person_id = who >= 0 ? p->people[who].id : NULL;
	return 0;
}

int identity_from_token(const struct plan *p, const char *person, const char *token_id,
			struct identity *out, struct err *e)
{
	int who;

	memset(out, 0, sizeof(*out));
	out->person = -1;
	out->mode = p->identity;
	out->auth_kind = IDENTITY_AUTH_TOKEN;
	snprintf(out->auth, sizeof(out->auth), "token:%s", token_id ? token_id : "?");
	who = identity_actor(p, person, "acting with a token", e);
	if (who < 0)
		return -1;
	out->person = who;
	out->person_id = p->people[who].id;
	return 0;
}

int identity_actor(const struct plan *p, const char *actor, const char *what, struct err *e)
{
	int i;
	const char *s;

	if (!actor) {
		switch (p->identity) {
		case IDENTITY_OS:
			return err_setr(e, ERR_USAGE, REASON_FORBIDDEN,
					"%s needs a person: run it as an OS user listed in a "
					"people[].login of the plan (identity: os)",
					what);
		case IDENTITY_DB:
			return err_setr(e, ERR_USAGE, REASON_FORBIDDEN,
					"%s needs a person: connect as a database user named by a "
					"people[].db_user of the plan (identity: db)",
					what);
		case IDENTITY_CLAIM:
			break;
		}
		return err_setr(e, ERR_USAGE, REASON_FORBIDDEN,
				"%s needs a person; use --as PERSON or set TOLLGATE_USER", what);
	}
	i = plan_person_index(p, actor);
	if (i < 0) {
		s = plan_suggest_person(p, actor);
		if (s)
			return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
					"unknown person '%s'; did you mean '%s'?", actor, s);
		return err_setr(e, ERR_USAGE, REASON_NOT_FOUND,
				"unknown person '%s'; the plan's 'people' lists the ids", actor);
	}
	if (p->people[i].tbd)
		return err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
				"'%s' is a placeholder (tbd: true) and cannot act; name a person for "
				"its roles in the plan",
				actor);
	return i;
}

int identity_may_change_env(const struct plan *p, int person, int env, struct err *e)
{
	const struct plan_env *en = &p->envs[env];
	struct strbuf sb = STRBUF_INIT;

	if (!en->npromoters || plan_person_has_any_role(&p->people[person], en->promoters,
							  en->npromoters))
		return 0;
	roles_text(&sb, en->promoters, en->npromoters);
	err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
		 "'%s' may not change environment '%s': that needs a role among its promoters "
		 "(%s)",
		 p->people[person].id, en->name, sb.buf);
	strbuf_release(&sb);
	return -1;
}

int identity_may_tick(const struct plan *p, int person, int item, struct err *e)
{
	const struct plan_item *it = &p->items[item];
	struct strbuf sb = STRBUF_INIT;

	if (!it->nby || plan_person_has_any_role(&p->people[person], it->by, it->nby))
		return 0;
	roles_text(&sb, it->by, it->nby);
	err_setr(e, ERR_NOT_READY, REASON_FORBIDDEN,
		 "checklist item '%s' is ticked and unticked only by role %s (its 'by'); '%s' "
		 "holds none",
		 it->id, sb.buf, p->people[person].id);
	strbuf_release(&sb);
	return -1;
}

int identity_env_actor(const struct plan *p, const char *actor, int env, const char *what,
		       struct err *e)
{
	int who;

	if (env == 0 && !p->envs[0].npromoters && !actor)
		return -2;
	who = identity_actor(p, actor, what, e);
	if (who < 0)
		return -1;
	if (identity_may_change_env(p, who, env, e) < 0)
		return -1;
	return who;
}
