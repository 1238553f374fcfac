/*
 * orphans.h - state the store keeps for ids the plan no longer has (issue 9
 * item 4). Renaming a project, environment, gate, item or blocker in the
 * plan would silently orphan its live state; instead:
 *
 * - the plan's `moved` entries carry it over to the new ids, once, in one
 *   audited change (action "moved"), the first time a command meets it;
 * - `tollgate forget KIND ID --reason TEXT` drops what nothing carries
 *   (action "forget", by a person);
 * - until then every command warns, naming the ids with a did-you-mean, and
 *   the commands that change state refuse (the cmd layer words both).
 *
 * The check is one query (store_each_state_id) and a hash lookup per id, done
 * once per command. Nothing here prints.
 */
#ifndef TOLLGATE_ENGINE_ORPHANS_H
#define TOLLGATE_ENGINE_ORPHANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/actions.h"
#include "plan/plan.h"

struct store;

/* An id the store holds state for and the plan does not have. */
struct orphan {
	enum plan_kind kind;
	const char *id;
	const struct plan_moved *moved; /* the plan's entry for it, or NULL */
	/* moved: the new id holds state too, so nothing was carried over */
	bool clash;
	/* not moved: the plan id it may have become (one of that kind with no
	 * state yet, when one is close), or NULL */
	const char *suggest;
};

struct orphans {
	struct arena arena;
	size_t n;
	struct orphan *v; /* in store order: projects, envs, gates, items, blockers */
	size_t nmoved;    /* how many have a `moved` entry */
};

/*
 * A read command need not look again while nothing was written. The mark
 * (orphans_mark: the store, a hash of the plan's ids and the audit head
 * read now; NULL when the plan has moves to make or the head cannot be read)
 * is kept in a file of ours, dir/orphans-ok.PLAN_ID (0600), when a scan
 * finds no orphans (orphans_mark_write), and a read command skips the scan
 * while the file holds the mark of now (orphans_mark_holds). Every change
 * moves the head; a head read before the scan can only make the mark older,
 * never hide a row. The file only ever spares a read command the scan (a
 * command that changes state always scans): a forged one can hide the
 * warning, never let a change through. Both fail quietly.
 */
char *orphans_mark(const struct plan *p, struct store *s);
bool orphans_mark_holds(const struct plan *p, const char *dir, const char *mark);
void orphans_mark_write(const struct plan *p, const char *dir, const char *mark);

/* Find them (one read). out is initialised here; release it. */
int orphans_find(struct orphans *out, const struct plan *p, struct store *s, struct err *e);
void orphans_release(struct orphans *o);

/*
 * Carry the state of every id the plan's `moved` renames over to its new id,
 * in ONE change (action "moved", by c->actor or "tollgate"), the ids read
 * again under the write lock so that two processes carry it once. *nmoved
 * gets how many ids moved (0: nothing to do, and no entry was written).
 * An entry whose new id holds state too is left as it is and marked clash
 * in o (when given); the others move. -1 on a store failure.
 */
int orphans_move(const struct action_ctx *c, struct orphans *o, size_t *nmoved, struct err *e);

/* Map a plan kind to the store's; false for a kind that holds no state (wave). */
bool orphans_store_kind(enum plan_kind k, int *out);

/*
 * forget KIND ID --reason TEXT: drop the state of an id the plan no longer
 * has, as the acting person, in one change (action "forget"). Returns 0 with
 * *rows the promotions / approvals / tick / blocker dropped (0: the store
 * held nothing for it, "already forgotten", and nothing was written); -1
 * with ERR_USAGE when the plan still has the id, the kind holds no state
 * (wave), the reason is empty or no person acts.
 */
int action_forget(const struct action_ctx *c, enum plan_kind kind, const char *id,
		  const char *reason, int64_t *rows, struct err *e);

#endif
