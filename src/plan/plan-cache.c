/*
 * plan-cache.c - a compiled copy of a loaded plan, kept in .tollgate/ beside
 * the plan, so that commands other than `validate` skip the YAML parse when
 * the plan has not changed (a 10,000-project plan parses in ~85 ms and reads
 * back in a few).
 *
 * The image is the plan model laid out in one buffer, id maps included: the
 * structures first, each array right after the one before it in the order
 * of one walk of the model, then every distinct string once. A pointer is
 * written as its offset in the image (0 for NULL), so an image can be read
 * anywhere and several plans can be open in one process. One walker lists
 * every pointer of the model; it runs to size the image, to copy a plan
 * into it, and to read one back: there it checks each offset (an array must
 * start exactly where the walk expects it and end before the strings; a
 * string must lie among the strings, which end with a NUL) and turns it into
 * an address. Then every index, enum and required string is checked against
 * the counts, and the id maps against the ids.
 *
 * The cache is keyed by a SHA-256 digest of the exact bytes of the plan that
 * were read (and parsed, when the cache is written; plan_digest: pieces
 * hashed by two threads at once, then their hashes), by the layout of the model
 * and by the tollgate binary (size, mtime). Beside the digest it keeps the
 * plan file's stat when those bytes were read (device, inode, size, mtime
 * and ctime, to the nanosecond), once the file's last change is settled
 * (PLAN_STAT_SETTLE_S before): a file with that very stat has those bytes,
 * since any write, rename or utimensat() since sets the ctime to the time
 * of the change, a later one (only the kernel sets a ctime). Then the
 * digest need not be taken again (3 MB: ~2 ms of SHA-256 and reading); any
 * other stat, or a fresh one, means hashing as before, and a cache found
 * by its digest under a settled new stat (a touch, a checkout of the same
 * bytes) is written again with it. It carries a checksum of itself
 * (a 64-bit xxHash: it finds damage, at ten times SHA-256's speed; against a
 * forger no unkeyed sum would do more).
 * It is read into private memory and replaced by rename, never rewritten in
 * place. Anything that does not verify, or is out of bounds, means a normal
 * parse. The checksum is no signature: whoever may write .tollgate/ may
 * write a cache that verifies, as they may edit the plan beside it; what the
 * checks guarantee is that no cache makes tollgate read out of bounds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/crypto.h"
#include <xxhash.h>

#include "plan/plan-internal.h"
#include "plan/plan.h"

#define CACHE_MAGIC "TGPLANC6"
#define CACHE_MAX_IMAGE ((uint64_t)1 << 30)

struct cache_header {
	char magic[8];
	uint32_t header_size, layout;
	unsigned char plan_sha256[32]; /* of the plan's bytes */
	uint64_t exe_size;
	int64_t exe_mtime_s, exe_mtime_ns;
	/* the plan file's stat when the hashed bytes were read (stat_set: 1),
	 * or nothing (0: the file had changed too lately to be keyed by it) */
	uint64_t plan_dev, plan_ino, plan_size;
	int64_t plan_mtime_s, plan_mtime_ns, plan_ctime_s, plan_ctime_ns;
	uint64_t stat_set;
	uint64_t image_size;  /* bytes after the header */
	uint64_t strings_off; /* where the strings start in the image */
	uint64_t checksum; /* plan_cache_checksum of this header and the image */
	uint64_t reserved;
};

enum walk_mode { WALK_SIZE, WALK_COPY, WALK_LOAD };

/* The walker's pieces are inlined into one copy of the walk per mode
 * (walk_plan_as), in which the tests of the mode fold away: a 10,000-project
 * image is read back ~15 % faster than through calls that test it at every
 * pointer. */
#define WALK_INLINE static inline __attribute__((always_inline))

struct walk {
	enum walk_mode mode;
	char *image;     /* COPY, LOAD */
	size_t off;      /* next free byte for structures */
	size_t soff;     /* SIZE, COPY: next free byte among the strings, from strings_off */
	size_t strings_off, image_size; /* COPY, LOAD */
	bool bad;        /* LOAD: an offset out of place; the image is not used */
	/* SIZE, COPY: strings already placed (ids repeat a lot: every reference
	 * to a project names it again), so each distinct string is stored once */
	struct {
		const char *str;
		size_t off;
	} *strs;
	size_t nstrs, strs_cap;
};

/* The offset of an equal string placed before, or (size_t)-1 after noting
 * that s goes at `off`. */
static size_t intern(struct walk *w, const char *s, size_t off)
{
	size_t i;
	if (w->nstrs * 2 >= w->strs_cap) {
		size_t cap = w->strs_cap ? w->strs_cap * 2 : 1024;
		__typeof__(w->strs) old = w->strs;
		size_t oldcap = w->strs_cap;
		w->strs = xcalloc(cap, sizeof(*w->strs));
		w->strs_cap = cap;
		for (size_t j = 0; j < oldcap; j++) {
			if (!old[j].str)
				continue;
			for (i = plan_str_hash(old[j].str) & (cap - 1); w->strs[i].str; i = (i + 1) & (cap - 1))
				;
			w->strs[i] = old[j];
		}
		free(old);
	}
	for (i = plan_str_hash(s) & (w->strs_cap - 1); w->strs[i].str; i = (i + 1) & (w->strs_cap - 1))
		if (!strcmp(w->strs[i].str, s))
			return w->strs[i].off;
	w->strs[i].str = s;
	w->strs[i].off = off;
	w->nstrs++;
	return (size_t)-1;
}

static size_t align16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* LOAD: an offset that is not where it must be; the slot becomes NULL so the
 * rest of the walk goes on harmlessly, and the image is thrown away. */
WALK_INLINE void *reject(struct walk *w, void *slot)
{
	void *null = NULL;
	w->bad = true;
	memcpy(slot, &null, sizeof(null));
	return NULL;
}

/* The string pointer stored at slot. */
WALK_INLINE void visit_str(struct walk *w, void *slot)
{
	const char *ptr;
	uint64_t v;
	size_t at, size;

	if (w->mode == WALK_LOAD) {
		memcpy(&v, slot, sizeof(v));
		if (!v)
			return;
		/* the strings end with a NUL: any offset among them is a string */
		if (v < w->strings_off || v >= w->image_size) {
			reject(w, slot);
			return;
		}
		ptr = w->image + v;
		memcpy(slot, &ptr, sizeof(ptr));
		return;
	}
	memcpy(&ptr, slot, sizeof(ptr));
	if (!ptr)
		return;
	size = strlen(ptr) + 1;
	at = intern(w, ptr, w->soff);
	if (at == (size_t)-1) {
		at = w->soff;
		if (w->mode == WALK_COPY)
			memcpy(w->image + w->strings_off + at, ptr, size);
		w->soff += size;
	}
	if (w->mode == WALK_COPY) {
		v = w->strings_off + at;
		memcpy(slot, &v, sizeof(v));
	}
}

/*
 * The pointer stored at slot, to n elements of `size` bytes. Returns where
 * the walk goes on into the array: the original (SIZE) or its copy in the
 * image (COPY, LOAD), whose own pointers are still the originals (COPY) or
 * offsets (LOAD); NULL for a NULL pointer or a rejected one. In COPY the
 * slot gets the array's offset, in LOAD its address.
 */
WALK_INLINE void *visit_arr(struct walk *w, void *slot, size_t n, size_t size)
{
	void *ptr;
	uint64_t v;
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return w->mode == WALK_LOAD ? reject(w, slot) : NULL;
	w->off = align16(w->off);
	if (w->mode == WALK_LOAD) {
		memcpy(&v, slot, sizeof(v));
		if (!v)
			return NULL;
		/* exactly where the writer put it: arrays never overlap one
		 * another, the plan struct or the strings */
		if (v != w->off || bytes > w->strings_off - w->off)
			return reject(w, slot);
		ptr = w->image + v;
		memcpy(slot, &ptr, sizeof(ptr));
		w->off += bytes;
		return ptr;
	}
	memcpy(&ptr, slot, sizeof(ptr));
	if (!ptr)
		return NULL;
	if (w->mode == WALK_SIZE) {
		w->off += bytes;
		return ptr;
	}
	memcpy(w->image + w->off, ptr, bytes);
	v = w->off;
	memcpy(slot, &v, sizeof(v));
	ptr = w->image + w->off;
	w->off += bytes;
	return ptr;
}

#define STR(w, field) visit_str((w), &(field))
#define ARR(w, field, n) visit_arr((w), &(field), (n), sizeof(*(field)))

WALK_INLINE void walk_strv(struct walk *w, const char ***field, size_t n)
{
	const char **v = visit_arr(w, field, n, sizeof(**field));
	for (size_t i = 0; v && i < n; i++)
		STR(w, v[i]);
}

WALK_INLINE void walk_refs(struct walk *w, struct plan_refs *r)
{
	walk_strv(w, &r->ids, r->n);
	ARR(w, r->idx, r->n);
	ARR(w, r->locs, r->n);
}

WALK_INLINE void walk_map(struct walk *w, struct strmap *m)
{
	const char **keys = ARR(w, m->keys, m->cap);
	for (size_t i = 0; keys && i < m->cap; i++)
		STR(w, keys[i]);
	ARR(w, m->vals, m->cap);
}

WALK_INLINE void walk_plan(struct walk *w, struct plan *p)
{
	struct plan_maps *maps;
	struct plan_env *envs;
	struct plan_person *people;
	struct plan_wave *waves;
	struct plan_project *projects;
	struct plan_gate *gates;
	struct plan_item *items;
	struct plan_blocker *blockers;
	struct plan_risk *risks;
	struct plan_trigger *triggers;
	struct plan_milestone *milestones;
	struct plan_notify *notify;
	struct plan_channel *channels;
	struct plan_schedule *schedules;
	struct plan_resource *resources;
	struct plan_escalation *escalation;
	struct plan_step *steps;
	struct plan_comm *comms;
	struct plan_activity_group *post;
	struct plan_change *changes;
	struct plan_next_steps *next;
	struct plan_moved *moved;
	struct plan_note *notes;

	STR(w, p->path);
	STR(w, p->dir);
	STR(w, p->id);
	STR(w, p->title);
	STR(w, p->manager);
	STR(w, p->status);
	STR(w, p->contact);
	ARR(w, p->topo, p->nprojects);

	envs = ARR(w, p->envs, p->nenvs);
	for (size_t i = 0; envs && i < p->nenvs; i++) {
		struct plan_env *e = &envs[i];
		struct plan_freeze *fz;
		STR(w, e->name);
		STR(w, e->title);
		STR(w, e->account);
		walk_refs(w, &e->success);
		fz = ARR(w, e->freeze, e->nfreeze);
		for (size_t j = 0; fz && j < e->nfreeze; j++)
			STR(w, fz[j].why);
		walk_strv(w, &e->freeze_override, e->nfreeze_override);
		walk_strv(w, &e->promoters, e->npromoters);
		ARR(w, e->promoter_locs, e->npromoters);
	}
	people = ARR(w, p->people, p->npeople);
	for (size_t i = 0; people && i < p->npeople; i++) {
		STR(w, people[i].id);
		STR(w, people[i].name);
		STR(w, people[i].email);
		walk_strv(w, &people[i].roles, people[i].nroles);
		walk_strv(w, &people[i].logins, people[i].nlogins);
		ARR(w, people[i].login_locs, people[i].nlogins);
		STR(w, people[i].db_user);
		STR(w, people[i].slack);
	}
	waves = ARR(w, p->waves, p->nwaves);
	for (size_t i = 0; waves && i < p->nwaves; i++) {
		STR(w, waves[i].id);
		STR(w, waves[i].title);
		walk_refs(w, &waves[i].prerequisites);
		STR(w, waves[i].after_wave_id);
		STR(w, waves[i].after_env_id);
		STR(w, waves[i].notes);
	}
	projects = ARR(w, p->projects, p->nprojects);
	for (size_t i = 0; projects && i < p->nprojects; i++) {
		struct plan_project *pr = &projects[i];
		STR(w, pr->id);
		STR(w, pr->title);
		STR(w, pr->wave_id);
		STR(w, pr->owner);
		STR(w, pr->doc);
		STR(w, pr->deploy);
		STR(w, pr->verify);
		STR(w, pr->rollback);
		walk_refs(w, &pr->depends_on);
		ARR(w, pr->targets, pr->ntargets);
	}
	gates = ARR(w, p->gates, p->ngates);
	for (size_t i = 0; gates && i < p->ngates; i++) {
		struct plan_gate *g = &gates[i];
		STR(w, g->id);
		STR(w, g->title);
		STR(w, g->location);
		walk_strv(w, &g->approvers, g->napprovers);
		ARR(w, g->approver_locs, g->napprovers);
		walk_refs(w, &g->criteria);
		STR(w, g->before_env_id);
		walk_refs(w, &g->waves);
	}
	items = ARR(w, p->items, p->nitems);
	for (size_t i = 0; items && i < p->nitems; i++) {
		STR(w, items[i].id);
		STR(w, items[i].text);
		STR(w, items[i].category);
		STR(w, items[i].check);
		walk_refs(w, &items[i].applies_waves);
		walk_strv(w, &items[i].by, items[i].nby);
		ARR(w, items[i].by_locs, items[i].nby);
	}
	blockers = ARR(w, p->blockers, p->nblockers);
	for (size_t i = 0; blockers && i < p->nblockers; i++) {
		STR(w, blockers[i].id);
		STR(w, blockers[i].text);
		STR(w, blockers[i].owner);
		STR(w, blockers[i].impact);
		STR(w, blockers[i].mitigation);
		walk_refs(w, &blockers[i].blocks_waves);
	}
	risks = ARR(w, p->risks, p->nrisks);
	for (size_t i = 0; risks && i < p->nrisks; i++) {
		STR(w, risks[i].id);
		STR(w, risks[i].text);
		STR(w, risks[i].scope);
		walk_refs(w, &risks[i].projects);
		STR(w, risks[i].mitigation);
		STR(w, risks[i].owner);
	}
	triggers = ARR(w, p->triggers, p->ntriggers);
	for (size_t i = 0; triggers && i < p->ntriggers; i++) {
		STR(w, triggers[i].id);
		STR(w, triggers[i].text);
		STR(w, triggers[i].measure);
		walk_refs(w, &triggers[i].envs);
	}
	milestones = ARR(w, p->milestones, p->nmilestones);
	for (size_t i = 0; milestones && i < p->nmilestones; i++) {
		STR(w, milestones[i].text);
		STR(w, milestones[i].env_id);
		walk_refs(w, &milestones[i].waves);
		walk_refs(w, &milestones[i].projects);
	}
	notify = ARR(w, p->notify, p->nnotify);
	for (size_t i = 0; notify && i < p->nnotify; i++) {
		STR(w, notify[i].channel_id);
		walk_strv(w, &notify[i].events, notify[i].nevents);
		walk_refs(w, &notify[i].envs);
		walk_refs(w, &notify[i].waves);
	}
	STR(w, p->notify_policy.dashboard_url);
	channels = ARR(w, p->channels, p->nchannels);
	for (size_t i = 0; channels && i < p->nchannels; i++) {
		STR(w, channels[i].id);
		STR(w, channels[i].url_env);
		STR(w, channels[i].secret_env);
		STR(w, channels[i].smtp_env);
		STR(w, channels[i].from);
		walk_strv(w, &channels[i].to, channels[i].nto);
	}
	schedules = ARR(w, p->schedules, p->nschedules);
	for (size_t i = 0; schedules && i < p->nschedules; i++) {
		STR(w, schedules[i].id);
		STR(w, schedules[i].channel_id);
		STR(w, schedules[i].digest);
		STR(w, schedules[i].tz);
	}
	resources = ARR(w, p->resources, p->nresources);
	for (size_t i = 0; resources && i < p->nresources; i++) {
		STR(w, resources[i].role);
		STR(w, resources[i].person);
		STR(w, resources[i].availability);
		STR(w, resources[i].responsibility);
	}
	escalation = ARR(w, p->escalation, p->nescalation);
	for (size_t i = 0; escalation && i < p->nescalation; i++) {
		STR(w, escalation[i].name);
		STR(w, escalation[i].action);
		STR(w, escalation[i].notify);
		walk_strv(w, &escalation[i].channels, escalation[i].nchannels);
		ARR(w, escalation[i].channel_locs, escalation[i].nchannels);
	}
	steps = ARR(w, p->rollback_steps, p->nrollback_steps);
	for (size_t i = 0; steps && i < p->nrollback_steps; i++) {
		STR(w, steps[i].title);
		STR(w, steps[i].text);
		walk_strv(w, &steps[i].channels, steps[i].nchannels);
		ARR(w, steps[i].channel_locs, steps[i].nchannels);
	}
	comms = ARR(w, p->comms, p->ncomms);
	for (size_t i = 0; comms && i < p->ncomms; i++) {
		struct plan_comm *c = &comms[i];
		STR(w, c->title);
		STR(w, c->time);
		STR(w, c->duration);
		STR(w, c->frequency);
		STR(w, c->channel);
		walk_strv(w, &c->attendees, c->nattendees);
		walk_strv(w, &c->format, c->nformat);
	}
	post = ARR(w, p->post, p->npost);
	for (size_t i = 0; post && i < p->npost; i++) {
		STR(w, post[i].title);
		walk_refs(w, &post[i].waves);
		walk_refs(w, &post[i].items);
	}
	changes = ARR(w, p->changes, p->nchanges);
	for (size_t i = 0; changes && i < p->nchanges; i++) {
		STR(w, changes[i].change);
		STR(w, changes[i].author);
	}
	next = ARR(w, p->next, p->nnext);
	for (size_t i = 0; next && i < p->nnext; i++) {
		STR(w, next[i].title);
		walk_strv(w, &next[i].items, next[i].nitems);
	}
	notes = ARR(w, p->notes, p->nnotes);
	for (size_t i = 0; notes && i < p->nnotes; i++) {
		STR(w, notes[i].title);
		STR(w, notes[i].text);
	}
	moved = ARR(w, p->moved, p->nmoved);
	for (size_t i = 0; moved && i < p->nmoved; i++) {
		STR(w, moved[i].from);
		STR(w, moved[i].to);
	}
	walk_strv(w, &p->secrets, p->nsecrets);
	maps = ARR(w, p->maps, 1);
	if (maps) {
		walk_map(w, &maps->envs);
		walk_map(w, &maps->people);
		walk_map(w, &maps->waves);
		walk_map(w, &maps->projects);
		walk_map(w, &maps->gates);
		walk_map(w, &maps->items);
		walk_map(w, &maps->blockers);
		walk_map(w, &maps->triggers);
	}
}

/* The walk in one mode, on a copy of the walk's state that no pointer
 * stored in the model can reach, so that its mode is known throughout. */
static void walk_plan_as(enum walk_mode mode, struct walk *w, struct plan *p)
{
	struct walk lw = *w;

	switch (mode) {
	case WALK_SIZE:
		lw.mode = WALK_SIZE;
		walk_plan(&lw, p);
		break;
	case WALK_COPY:
		lw.mode = WALK_COPY;
		walk_plan(&lw, p);
		break;
	case WALK_LOAD:
		lw.mode = WALK_LOAD;
		walk_plan(&lw, p);
		break;
	}
	*w = lw;
}

/*
 * After LOAD: what the walk cannot see. Every index must point into its
 * array, every enum and bool hold one of its values, every string the rest
 * of tollgate takes as present be there, the topological order be one, and
 * each id map give back the entry of each id. Anything else: the image is
 * not used.
 */
static bool in_range(int v, int lo, size_t n)
{
	return v >= lo && (v < 0 || (size_t)v < n);
}

/* A bool read as a byte: anything but 0 or 1 is not a value C allows. */
static bool is_bool(const bool *b)
{
	unsigned char c;
	memcpy(&c, b, 1);
	return c <= 1;
}

/* What the loader can produce: dates of years 0000-9999 (0 is "none"),
 * durations of at most 100,000,000 days. */
static bool date_ok(int64_t t)
{
	return t >= -62167219200 && t < 253402300800;
}

static bool duration_ok(int64_t s)
{
	return s >= 0 && s <= (int64_t)100000000 * 86400;
}

static bool refs_ok(const struct plan_refs *r, size_t n)
{
	if (r->n && (!r->ids || !r->idx || !r->locs))
		return false;
	for (size_t i = 0; i < r->n; i++)
		if (!r->ids[i] || !in_range(r->idx[i], 0, n))
			return false;
	return true;
}

static bool strv_ok(const char *const *v, size_t n)
{
	if (n && !v)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!v[i])
			return false;
	return true;
}

/* Every entry's id is a key mapped to that entry, and nothing else is. */
static bool map_ok(const struct strmap *m, const void *table, size_t n, size_t stride,
		   size_t id_off)
{
	size_t keys = 0;
	if (!is_bool(&m->heap) || m->heap || m->cap < 2 || (m->cap & (m->cap - 1)) || !m->keys ||
	    !m->vals)
		return false;
	for (size_t i = 0; i < m->cap; i++) {
		const char *id;
		if (!m->keys[i])
			continue;
		keys++;
		if (!in_range(m->vals[i], 0, n))
			return false;
		memcpy(&id, (const char *)table + (size_t)m->vals[i] * stride + id_off, sizeof(id));
		/* each distinct string is stored once, so an id and its key are
		 * one string unless the image was made otherwise */
		if (!id || (id != m->keys[i] && strcmp(id, m->keys[i])))
			return false;
	}
	/* n distinct ids, each found above; a free slot ends every probe */
	return keys == n && keys < m->cap;
}

#define MAP_OK(m, arr, n, idfield) \
	map_ok(&(m), (arr), (n), sizeof(*(arr)), offsetof(__typeof__(*(arr)), idfield))

static bool model_ok(const struct plan *p)
{
	const struct plan_maps *m = p->maps;
	unsigned char *seen;
	size_t *pos;
	bool ok = false;

	if (!m || !p->id || (p->nprojects && !p->topo) || p->nprojects > INT32_MAX ||
	    p->risk_override < 0 || p->risk_override > SEV_CRITICAL ||
	    !in_range((int)p->identity, IDENTITY_CLAIM, IDENTITY_DB + 1) || !is_bool(&p->identity_set) ||
	    (p->store_mode & ~0664u) || (p->store_mode && (p->store_mode & 0600) != 0600) ||
	    !date_ok(p->created) ||
	    !date_ok(p->next_review))
		return false;
	for (size_t i = 0; i < p->nenvs; i++) {
		const struct plan_env *e = &p->envs[i];
		if (!e->name || !e->title || !is_bool(&e->has_soak) || !duration_ok(e->soak) ||
		    !refs_ok(&e->success, p->nitems) || (e->nfreeze && !e->freeze) ||
		    !strv_ok(e->freeze_override, e->nfreeze_override) ||
		    !strv_ok(e->promoters, e->npromoters) || (e->npromoters && !e->promoter_locs))
			return false;
		for (size_t j = 0; j < e->nfreeze; j++)
			if (!date_ok(e->freeze[j].from) || !date_ok(e->freeze[j].to))
				return false;
	}
	for (size_t i = 0; i < p->npeople; i++)
		if (!p->people[i].id || !p->people[i].name ||
		    !strv_ok(p->people[i].roles, p->people[i].nroles) ||
		    !strv_ok(p->people[i].logins, p->people[i].nlogins) ||
		    (p->people[i].nlogins && !p->people[i].login_locs) || !is_bool(&p->people[i].tbd))
			return false;
	for (size_t i = 0; i < p->nwaves; i++) {
		const struct plan_wave *w = &p->waves[i];
		if (!w->id || !is_bool(&w->has_window) || !date_ok(w->window_from) ||
		    !date_ok(w->window_to) || !refs_ok(&w->prerequisites, p->nitems) ||
		    !in_range(w->after_wave, -1, p->nwaves) || !in_range(w->after_env, -1, p->nenvs))
			return false;
	}
	for (size_t i = 0; i < p->nprojects; i++) {
		const struct plan_project *pr = &p->projects[i];
		if (!pr->id || !pr->wave_id || !in_range(pr->wave, 0, p->nwaves) || pr->timeout <= 0 ||
		    !duration_ok(pr->timeout) ||
		    !refs_ok(&pr->depends_on, p->nprojects) || (pr->ntargets && !pr->targets))
			return false;
		for (size_t j = 0; j < pr->ntargets; j++)
			if (!in_range(pr->targets[j].env, 0, p->nenvs) || !date_ok(pr->targets[j].date))
				return false;
	}
	for (size_t i = 0; i < p->ngates; i++) {
		const struct plan_gate *g = &p->gates[i];
		if (!g->id || !strv_ok(g->approvers, g->napprovers) || (g->napprovers && !g->approver_locs) ||
		    !refs_ok(&g->criteria, p->nitems) || !in_range(g->before_env, -1, p->nenvs) ||
		    !refs_ok(&g->waves, p->nwaves) || !is_bool(&g->scope_plan) ||
		    g->expires < 0 || !duration_ok(g->expires))
			return false;
	}
	for (size_t i = 0; i < p->nitems; i++) {
		const struct plan_item *it = &p->items[i];
		if (!it->id || !is_bool(&it->has_applies) || !in_range(it->applies_env, -1, p->nenvs) ||
		    !refs_ok(&it->applies_waves, p->nwaves) || it->timeout <= 0 || !duration_ok(it->timeout) ||
		    !strv_ok(it->by, it->nby) || (it->nby && !it->by_locs))
			return false;
	}
	for (size_t i = 0; i < p->nblockers; i++) {
		const struct plan_blocker *b = &p->blockers[i];
		if (!b->id || b->progress < 0 || b->progress > 100 || !date_ok(b->due) ||
		    !in_range(b->blocks_env, -1, p->nenvs) || !refs_ok(&b->blocks_waves, p->nwaves))
			return false;
	}
	for (size_t i = 0; i < p->nrisks; i++) {
		const struct plan_risk *r = &p->risks[i];
		if (!r->id || r->severity < 0 || r->severity > SEV_CRITICAL || !is_bool(&r->all_projects) ||
		    !refs_ok(&r->projects, p->nprojects))
			return false;
	}
	for (size_t i = 0; i < p->ntriggers; i++) {
		const struct plan_trigger *t = &p->triggers[i];
		if (!t->id || !is_bool(&t->has_above) || !is_bool(&t->has_below) || t->level < 0 ||
		    t->level > 3 || t->timeout <= 0 || !duration_ok(t->timeout) ||
		    t->every <= 0 || !duration_ok(t->every) || !refs_ok(&t->envs, p->nenvs))
			return false;
	}
	for (size_t i = 0; i < p->nmilestones; i++)
		if (!date_ok(p->milestones[i].date) || !date_ok(p->milestones[i].until) ||
		    !in_range(p->milestones[i].env, -1, p->nenvs) ||
		    (p->milestones[i].env >= 0 && !p->milestones[i].env_id) ||
		    !refs_ok(&p->milestones[i].waves, p->nwaves) ||
		    !refs_ok(&p->milestones[i].projects, p->nprojects))
			return false;
	for (size_t i = 0; i < p->nchanges; i++)
		if (!date_ok(p->changes[i].date))
			return false;
	for (size_t i = 0; i < p->nnotify; i++)
		if (!strv_ok(p->notify[i].events, p->notify[i].nevents) ||
		    !in_range(p->notify[i].channel, 0, p->nchannels) || !p->notify[i].channel_id ||
		    !refs_ok(&p->notify[i].envs, p->nenvs) || !refs_ok(&p->notify[i].waves, p->nwaves) ||
		    p->notify[i].min_level < 0 || p->notify[i].min_level > 3)
			return false;
	for (size_t i = 0; i < p->nchannels; i++)
		if (!p->channels[i].id || (unsigned)p->channels[i].kind > CHANNEL_EMAIL ||
		    !strv_ok(p->channels[i].to, p->channels[i].nto))
			return false;
	for (size_t i = 0; i < p->nschedules; i++)
		if (!p->schedules[i].id || !in_range(p->schedules[i].channel, 0, p->nchannels) ||
		    p->schedules[i].at < 0 || p->schedules[i].at >= 24 * 60 ||
		    p->schedules[i].days > 0x7f || p->schedules[i].grace < 0)
			return false;
	if (p->notify_policy.max_attempts < 1 || p->notify_policy.max_backoff < 1)
		return false;
	for (size_t i = 0; i < p->nescalation; i++)
		if (p->escalation[i].level < 0 || p->escalation[i].level > 3)
			return false;
	for (size_t i = 0; i < p->ncomms; i++)
		if (!strv_ok(p->comms[i].attendees, p->comms[i].nattendees) ||
		    !strv_ok(p->comms[i].format, p->comms[i].nformat))
			return false;
	for (size_t i = 0; i < p->npost; i++)
		if (!in_range(p->post[i].after_env, -1, p->nenvs) || !refs_ok(&p->post[i].waves, p->nwaves) ||
		    !refs_ok(&p->post[i].items, p->nitems))
			return false;
	for (size_t i = 0; i < p->nnext; i++)
		if (!strv_ok(p->next[i].items, p->next[i].nitems))
			return false;
	for (size_t i = 0; i < p->nnotes; i++)
		if (!p->notes[i].title || !p->notes[i].text)
			return false;
	for (size_t i = 0; i < p->nmoved; i++)
		if ((unsigned)p->moved[i].kind >= PLAN_KIND_COUNT || !p->moved[i].from ||
		    !p->moved[i].to)
			return false;
	if (!strv_ok(p->secrets, p->nsecrets))
		return false;
	/* the maps of every kind a lookup may ask for */
	if (!MAP_OK(m->envs, p->envs, p->nenvs, name) || !MAP_OK(m->people, p->people, p->npeople, id) ||
	    !MAP_OK(m->waves, p->waves, p->nwaves, id) ||
	    !MAP_OK(m->projects, p->projects, p->nprojects, id) ||
	    !MAP_OK(m->gates, p->gates, p->ngates, id) || !MAP_OK(m->items, p->items, p->nitems, id) ||
	    !MAP_OK(m->blockers, p->blockers, p->nblockers, id) ||
	    !MAP_OK(m->triggers, p->triggers, p->ntriggers, id))
		return false;
	/* topo: each project once, each after every project it depends on */
	seen = xcalloc(p->nprojects ? p->nprojects : 1, 1);
	pos = xcalloc(p->nprojects ? p->nprojects : 1, sizeof(*pos));
	for (size_t i = 0; i < p->nprojects; i++) {
		int t = p->topo[i];
		if (!in_range(t, 0, p->nprojects) || seen[t])
			goto out;
		seen[t] = 1;
		pos[t] = i;
	}
	for (size_t i = 0; i < p->nprojects; i++)
		for (size_t j = 0; j < p->projects[i].depends_on.n; j++)
			if (pos[p->projects[i].depends_on.idx[j]] >= pos[i])
				goto out;
	ok = true;
out:
	free(seen);
	free(pos);
	return ok;
}

/* .tollgate/NAME.cache beside the plan, for plan file NAME. */
static char *cache_path_for(const char *plan_path, char **dir_out)
{
	const char *slash = strrchr(plan_path, '/');
	const char *base = slash ? slash + 1 : plan_path;
	char *dir = slash ? xasprintf("%.*s/.tollgate", (int)(slash - plan_path), plan_path)
			  : xstrdup(".tollgate");
	char *path = xasprintf("%s/%s.cache", dir, base);
	*dir_out = dir;
	return path;
}

/* What the structs look like in this build: a cache from a build whose
 * model differs is not read even when the binary's size and mtime match. */
static uint32_t layout_of(void)
{
	static const size_t sizes[] = {
		sizeof(struct plan), sizeof(struct plan_env), sizeof(struct plan_person),
		sizeof(struct plan_wave), sizeof(struct plan_project), sizeof(struct plan_gate),
		sizeof(struct plan_item), sizeof(struct plan_blocker), sizeof(struct plan_risk),
		sizeof(struct plan_trigger), sizeof(struct plan_milestone), sizeof(struct plan_notify),
		sizeof(struct plan_resource), sizeof(struct plan_escalation), sizeof(struct plan_step),
		sizeof(struct plan_comm), sizeof(struct plan_activity_group), sizeof(struct plan_change),
		sizeof(struct plan_next_steps), sizeof(struct plan_maps), sizeof(struct plan_refs),
		sizeof(struct strmap), sizeof(struct plan_target), sizeof(struct plan_freeze),
		sizeof(struct plan_moved), sizeof(struct plan_channel), sizeof(struct plan_schedule),
		sizeof(struct plan_note),
	};
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		h ^= (uint32_t)sizes[i];
		h *= 16777619u;
	}
	return h;
}

static bool sha256(const void *data, size_t len, unsigned char out[32])
{
	unsigned int n = 0;
	return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 && n == 32;
}

uint64_t plan_cache_checksum(const void *header, size_t header_len, const void *image,
			     size_t image_len)
{
	/* libxxhash's XXH3: finds damage about ten times faster than SHA-256 */
	return XXH3_64bits_withSeed(image, image_len, XXH3_64bits(header, header_len));
}

/* The header's checksum: of the header with a zero checksum, then the image. */
static uint64_t checksum_of(const struct cache_header *h, const void *image)
{
	struct cache_header z = *h;
	z.checksum = 0;
	return plan_cache_checksum(&z, sizeof(z), image, h->image_size);
}

/* The key of a plan whose SHA-256 is sum (magic, layout, binary, plan hash). */
static bool fill_key(struct cache_header *h, const unsigned char sum[32])
{
	struct stat ex;
	memset(h, 0, sizeof(*h));
	if (stat("/proc/self/exe", &ex) < 0)
		return false;
	memcpy(h->magic, CACHE_MAGIC, sizeof(h->magic));
	h->header_size = sizeof(*h);
	h->layout = layout_of();
	memcpy(h->plan_sha256, sum, 32);
	h->exe_size = (uint64_t)ex.st_size;
	h->exe_mtime_s = ex.st_mtim.tv_sec;
	h->exe_mtime_ns = ex.st_mtim.tv_nsec;
	return true;
}

/*
 * A plan file's stat goes in the key only once its last change is this many
 * seconds old: a change after the cache is written then gets a later ctime
 * even on a file system whose clock ticks coarsely (1-2 s on some); a file
 * changed just now is hashed on every load until it has settled.
 */
#define PLAN_STAT_SETTLE_S 3

static void key_set_stat(struct cache_header *h, const struct stat *st)
{
	struct timespec now;

	h->stat_set = 0;
	if (clock_gettime(CLOCK_REALTIME, &now) < 0 ||
	    st->st_ctim.tv_sec > now.tv_sec - PLAN_STAT_SETTLE_S)
		return; /* fresh, or dated ahead of the clock */
	h->plan_dev = (uint64_t)st->st_dev;
	h->plan_ino = (uint64_t)st->st_ino;
	h->plan_size = (uint64_t)st->st_size;
	h->plan_mtime_s = st->st_mtim.tv_sec;
	h->plan_mtime_ns = st->st_mtim.tv_nsec;
	h->plan_ctime_s = st->st_ctim.tv_sec;
	h->plan_ctime_ns = st->st_ctim.tv_nsec;
	h->stat_set = 1;
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Is st the stat the cache's bytes were read under? */
static bool key_has_stat(const struct cache_header *h, const struct stat *st)
{
	return h->stat_set == 1 && h->plan_dev == (uint64_t)st->st_dev &&
	       h->plan_ino == (uint64_t)st->st_ino && h->plan_size == (uint64_t)st->st_size &&
	       h->plan_mtime_s == st->st_mtim.tv_sec && h->plan_mtime_ns == st->st_mtim.tv_nsec &&
	       h->plan_ctime_s == st->st_ctim.tv_sec && h->plan_ctime_ns == st->st_ctim.tv_nsec;
}

/* Read everything of fd at offset, or fail. */
static bool read_all(int fd, void *buf, size_t len, off_t at)
{
	char *p = buf;
	while (len) {
		ssize_t k = pread(fd, p, len, at);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return false;
		p += k;
		at += k;
		len -= (size_t)k;
	}
	return true;
}

/*
 * The plan's digest: SHA-256 over a tag, the length and the SHA-256 of each
 * PLAN_CHUNK-byte piece of the plan, in order. It is as binding as a SHA-256
 * of the bytes themselves (a collision in it is one in SHA-256), and its
 * pieces can be hashed by two threads at once: a 3 MB plan is hashed in
 * half the time. plan_digest() is the same function over bytes in memory.
 */
#define PLAN_CHUNK ((size_t)512 << 10)
#define PLAN_DIGEST_TAG "tollgate plan digest 1"

static void digest_final(uint64_t size, const unsigned char (*sums)[32], size_t n,
			 unsigned char out[32], bool *ok)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char len[8];
	unsigned int k = 0;

	for (int i = 0; i < 8; i++)
		len[i] = (unsigned char)(size >> (8 * i));
	*ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	      EVP_DigestUpdate(ctx, PLAN_DIGEST_TAG, sizeof(PLAN_DIGEST_TAG)) == 1 &&
	      EVP_DigestUpdate(ctx, len, sizeof(len)) == 1 &&
	      (n == 0 || EVP_DigestUpdate(ctx, sums, n * 32) == 1) &&
	      EVP_DigestFinal_ex(ctx, out, &k) == 1 && k == 32;
	EVP_MD_CTX_free(ctx);
}

static bool plan_digest(const void *data, size_t len, unsigned char out[32])
{
	size_t n = (len + PLAN_CHUNK - 1) / PLAN_CHUNK;
	unsigned char (*sums)[32] = xcalloc(n ? n : 1, 32);
	bool ok = true;

	for (size_t i = 0; i < n && ok; i++) {
		size_t at = i * PLAN_CHUNK, k = len - at < PLAN_CHUNK ? len - at : PLAN_CHUNK;
		ok = sha256((const char *)data + at, k, sums[i]);
	}
	if (ok)
		digest_final(len, sums, n, out, &ok);
	free(sums);
	return ok;
}

/*
 * The digest of the plan file as read now. Its pieces are taken in turn by
 * whichever thread asks next (plan_load_cached's own thread and the caller,
 * once the cache is read): each pread()s a piece into a buffer of its own.
 * It fails when the file is not a regular file, is larger than a plan may
 * be, or changes length while it is read (then a normal parse says what).
 */
struct hash_job {
	int fd;
	struct stat st; /* the file's, when opened */
	uint64_t size;
	size_t n;                 /* pieces */
	unsigned char (*sums)[32];
	atomic_size_t next;       /* the next piece to take */
	atomic_bool failed;
	unsigned char sum[32];
	bool ok;
};

static bool hash_job_open(struct hash_job *j, const char *path)
{
	struct stat *st = &j->st;

	memset(j, 0, sizeof(*j));
	j->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (j->fd < 0)
		return false;
	if (fstat(j->fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_size < 0 ||
	    (uint64_t)st->st_size > PLAN_MAX_BYTES) {
		close(j->fd);
		j->fd = -1;
		return false;
	}
	j->size = (uint64_t)st->st_size;
	j->n = (size_t)((j->size + PLAN_CHUNK - 1) / PLAN_CHUNK);
	j->sums = xcalloc(j->n ? j->n : 1, 32);
	atomic_init(&j->next, 0);
	atomic_init(&j->failed, false);
	return true;
}

static void hash_job_work(struct hash_job *j)
{
	char *buf = NULL;

	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		uint64_t at = (uint64_t)i * PLAN_CHUNK;
		size_t k;

		if (i >= j->n || atomic_load(&j->failed))
			break;
		k = j->size - at < PLAN_CHUNK ? (size_t)(j->size - at) : PLAN_CHUNK;
		if (!buf)
			buf = xmalloc(PLAN_CHUNK);
		if (!read_all(j->fd, buf, k, (off_t)at) || !sha256(buf, k, j->sums[i]))
			atomic_store(&j->failed, true);
	}
	free(buf);
}

/* After every thread's work: the digest, if the file still ends where it
 * ended when it was opened. */
static void hash_job_finish(struct hash_job *j)
{
	char c;
	ssize_t k;

	do
		k = pread(j->fd, &c, 1, (off_t)j->size);
	while (k < 0 && errno == EINTR);
	j->ok = false;
	if (!atomic_load(&j->failed) && k == 0)
		digest_final(j->size, (const unsigned char (*)[32])j->sums, j->n, j->sum, &j->ok);
}

static void hash_job_release(struct hash_job *j)
{
	if (j->fd >= 0)
		close(j->fd);
	free(j->sums);
	j->sums = NULL;
	j->fd = -1;
}

/* A plan this large is hashed on a thread of its own (below, a thread costs
 * more than it saves). */
#define PLAN_HASH_THREAD_BYTES (256 << 10)
static const unsigned char sum_zero[32];

static bool same_key(const struct cache_header *a, const struct cache_header *b)
{
	return !memcmp(a->magic, b->magic, sizeof(a->magic)) && a->header_size == b->header_size &&
	       a->layout == b->layout && !memcmp(a->plan_sha256, b->plan_sha256, 32) &&
	       a->exe_size == b->exe_size && a->exe_mtime_s == b->exe_mtime_s &&
	       a->exe_mtime_ns == b->exe_mtime_ns;
}

/*
 * A cache file's header and checksummed image, read into private memory
 * (never mapped: the file could change under a mapping after the check).
 * Every field of the key but the plan's hash is compared here; the caller
 * compares that one when the plan's hash is known (the two reads overlap).
 */
struct cache_fetch {
	struct cache_header h;
	char *image;
};

static bool cache_fetch(const char *cache, const struct cache_header *key, struct cache_fetch *f)
{
	struct cache_header want = *key;
	struct stat st;
	int fd = open(cache, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);

	f->image = NULL;
	if (fd < 0)
		return false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !read_all(fd, &f->h, sizeof(f->h), 0))
		goto fail;
	memcpy(want.plan_sha256, f->h.plan_sha256, 32);
	if (!same_key(&f->h, &want) || f->h.image_size > CACHE_MAX_IMAGE ||
	    (uint64_t)st.st_size != sizeof(f->h) + f->h.image_size ||
	    f->h.strings_off < align16(sizeof(struct plan)) || f->h.strings_off % 16 ||
	    f->h.strings_off >= f->h.image_size)
		goto fail;
	/* populated in one go: faulting 1,000 pages in one by one costs as much
	 * as reading them */
	f->image = mmap(NULL, f->h.image_size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (f->image == MAP_FAILED) {
		f->image = NULL;
		goto fail;
	}
	if (!read_all(fd, f->image, f->h.image_size, sizeof(f->h)) ||
	    checksum_of(&f->h, f->image) != f->h.checksum || f->image[f->h.image_size - 1] != '\0')
		goto fail;
	close(fd);
	return true;
fail:
	close(fd);
	if (f->image)
		munmap(f->image, f->h.image_size);
	f->image = NULL;
	return false;
}

static void cache_fetch_release(struct cache_fetch *f)
{
	if (f->image)
		munmap(f->image, f->h.image_size);
	f->image = NULL;
}

/* The plan of a fetched image, checked and its offsets made addresses; the
 * image stays f's until the caller knows its key is the plan's. */
static struct plan *cache_walk(struct cache_fetch *f)
{
	struct walk w;
	char *image = f->image;

	if (!image)
		return NULL;
	memset(&w, 0, sizeof(w));
	w.mode = WALK_LOAD;
	w.image = image;
	w.image_size = f->h.image_size;
	w.strings_off = f->h.strings_off;
	w.off = align16(sizeof(struct plan));
	walk_plan_as(WALK_LOAD, &w, (struct plan *)image);
	if (w.bad || align16(w.off) != f->h.strings_off || !model_ok((struct plan *)image))
		return NULL;
	((struct plan *)image)->cache_image_size = f->h.image_size;
	return (struct plan *)image;
}

/* The plan's own thread: pieces of the digest while the caller reads the cache. */
static void *hash_main(void *arg)
{
	hash_job_work(arg);
	return NULL;
}

static void cache_write(const struct plan *p, const char *dir, const char *cache,
			struct cache_header *key)
{
	struct walk w = { .mode = WALK_SIZE };
	struct plan copy = *p;
	struct plan *img;
	size_t strings_off, strings_size;
	char *tmp;
	int fd;
	bool ok;

	copy.path = copy.dir = NULL; /* set when read back */
	w.off = align16(sizeof(struct plan));
	walk_plan_as(WALK_SIZE, &w, &copy);
	strings_off = align16(w.off);
	strings_size = w.soff + 1; /* the final NUL every string offset relies on */
	free(w.strs);
	memset(&w, 0, sizeof(w));
	w.mode = WALK_COPY;
	w.strings_off = strings_off;
	w.image_size = strings_off + strings_size;
	w.image = xcalloc(1, w.image_size);
	img = (struct plan *)w.image;
	*img = *p;
	img->cache_image = NULL;
	img->cache_image_size = 0;
	img->cache_hashed = false;
	memset(&img->arena, 0, sizeof(img->arena));
	img->path = img->dir = NULL; /* set when read back */
	w.off = align16(sizeof(struct plan));
	walk_plan_as(WALK_COPY, &w, img);
	free(w.strs);
	if (align16(w.off) != strings_off || w.soff + 1 != strings_size)
		BUG("plan cache: sized %zu+%zu bytes, wrote %zu+%zu", strings_off, strings_size,
		    align16(w.off), w.soff + 1);
	key->image_size = w.image_size;
	key->strings_off = strings_off;
	key->checksum = checksum_of(key, w.image);
	/* .tollgate and the cache take the plan's store_mode, as the store
	 * beside them does (0700 / 0600 unless it says otherwise) */
	if (util_mkdir_mode(dir, plan_dir_mode(p), plan_store_mode_set(p)) < 0) {
		free(w.image);
		return;
	}
	/* a name of its own (threads of one process may write at once), 0600 */
	tmp = xasprintf("%s.XXXXXX", cache);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		free(tmp);
		free(w.image);
		return;
	}
	if (plan_file_mode(p) != 0600)
		(void)!fchmod(fd, (mode_t)plan_file_mode(p));
	ok = pwrite(fd, key, sizeof(*key), 0) == (ssize_t)sizeof(*key) &&
	     pwrite(fd, w.image, w.image_size, sizeof(*key)) == (ssize_t)w.image_size;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, cache) < 0)
		unlink(tmp);
	free(tmp);
	free(w.image);
}

/* The cache's plan, ready for use (f's image is the plan's now). */
static struct plan *cache_take(struct cache_fetch *f, struct plan *walked, const char *path,
			       bool hashed)
{
	struct plan *p = walked;

	f->image = NULL;
	arena_init(&p->arena);
	p->cache_image = p;
	p->cache_hashed = hashed;
	/* the path as given this time */
	p->path = arena_strdup(&p->arena, path);
	p->dir = plan_dir_of(&p->arena, path);
	return p;
}

struct plan *plan_load_cached(const char *path, struct plan_diags *diags)
{
	struct cache_header key;
	struct strbuf sb = STRBUF_INIT;
	const char *off = getenv("TOLLGATE_NO_PLAN_CACHE");
	unsigned char sum[32];
	struct plan *p = NULL;
	char *dir, *cache;
	struct hash_job hj;
	struct cache_fetch f;
	struct plan *walked;
	struct stat after;
	pthread_t t;
	bool threaded;

	if ((off && *off && strcmp(off, "0")) || !fill_key(&key, sum_zero))
		return plan_load(path, diags);
	/* anything unusual (no file, a folder, too big): the loader says what */
	if (!hash_job_open(&hj, path))
		return plan_load(path, diags);
	cache = cache_path_for(path, &dir);
	/* The file is the one the cache was made from, to the nanosecond of
	 * its last change: no need to hash it. */
	if (cache_fetch(cache, &key, &f) && key_has_stat(&f.h, &hj.st)) {
		walked = cache_walk(&f);
		if (walked) {
			p = cache_take(&f, walked, path, false);
			hash_job_release(&hj);
			goto out;
		}
		/* the walk may have changed the image: read it again */
		cache_fetch_release(&f);
		cache_fetch(cache, &key, &f);
	}
	/* A large plan is hashed by a thread of its own while the cache is
	 * walked here, then by both (a 3 MB plan: ~2 ms of hashing, ~2 ms of
	 * reading and walking the cache). */
	threaded = hj.size >= PLAN_HASH_THREAD_BYTES && !pthread_create(&t, NULL, hash_main, &hj);
	walked = cache_walk(&f);
	hash_job_work(&hj);
	if (threaded)
		pthread_join(t, NULL);
	hash_job_finish(&hj);
	hash_job_release(&hj);
	if (!hj.ok) {
		cache_fetch_release(&f);
		free(dir);
		free(cache);
		return plan_load(path, diags);
	}
	memcpy(sum, hj.sum, 32);
	memcpy(key.plan_sha256, sum, 32);
	if (walked && !memcmp(f.h.plan_sha256, sum, 32)) {
		bool restat = !key_has_stat(&f.h, &hj.st);
		p = cache_take(&f, walked, path, true);
		/* the same bytes under a new stat (touched, checked out again):
		 * the cache is written again with it, once it has settled; the
		 * digest is of the bytes read from the file opened then, so if
		 * the file is still that one, unchanged, they are its bytes */
		if (restat && stat(path, &after) == 0 && same_stat(&after, &hj.st)) {
			key_set_stat(&key, &hj.st);
			if (key.stat_set)
				cache_write(p, dir, cache, &key);
		}
		goto out;
	}
	cache_fetch_release(&f);
	/* a miss: the bytes parsed are the bytes hashed for the new key (the
	 * file may have changed since it was hashed above) */
	if (strbuf_read_file(&sb, path, PLAN_MAX_BYTES) < 0) {
		p = plan_load(path, diags);
		goto out;
	}
	if (!plan_digest(sb.buf ? sb.buf : "", sb.len, sum) || !fill_key(&key, sum)) {
		p = plan_load_file_bytes(path, sb.buf ? sb.buf : "", sb.len, diags);
		goto out;
	}
	/* what was read is the file as stat'ed when opened only if nothing
	 * changed it since (its ctime would have moved) */
	if (stat(path, &after) == 0 && same_stat(&after, &hj.st))
		key_set_stat(&key, &hj.st);
	p = plan_load_file_bytes(path, sb.buf ? sb.buf : "", sb.len, diags);
	if (p)
		cache_write(p, dir, cache, &key);
out:
	strbuf_release(&sb);
	free(cache);
	free(dir);
	return p;
}
