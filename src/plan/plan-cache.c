/*
 * plan-cache.c - a compiled copy of a loaded plan, kept in .tollgate/ beside
 * the plan, so that commands other than `validate` skip the YAML parse when
 * the file has not changed (a 10,000-project plan parses in ~150 ms).
 *
 * The image is the plan model laid out in one buffer, id maps included, with
 * every pointer written as the address it will have when the image is mapped
 * at CACHE_BASE. Reading it back is one mmap of the file at that address: no
 * copy, no relocation, and only the pages a command touches are ever read
 * (`why` on one project reads a few of them). One walker lists every pointer
 * of the model; it is run twice when writing: to size the image, then to
 * copy the plan into it.
 *
 * The cache is keyed by the plan file's identity (device, inode, size,
 * mtime, ctime) and the tollgate binary's (size, mtime); it is replaced by
 * rename, never rewritten in place, so a mapped image cannot change under a
 * reader. When the address is taken, or anything is in doubt, the plan is
 * parsed as usual.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/plan-internal.h"
#include "plan/plan.h"

#define CACHE_MAGIC "TGPLANC3"

struct cache_header {
	char magic[8];
	uint32_t header_size, plan_size;
	uint64_t plan_dev, plan_ino, plan_size_bytes;
	int64_t plan_mtime_s, plan_mtime_ns, plan_ctime_s, plan_ctime_ns;
	uint64_t exe_size;
	int64_t exe_mtime_s, exe_mtime_ns;
	uint64_t image_size;
	uint64_t base;
};

/* Where images are mapped: in the user half of the address space, clear of
 * where Linux puts programs, heaps, libraries and stacks, and inside
 * AddressSanitizer's high application range. */
#define CACHE_BASE ((uint64_t)0x5a0000000000)
/* The image starts at this file offset (mmap wants a page boundary). */
#define CACHE_IMAGE_OFFSET 4096

enum walk_mode { WALK_SIZE, WALK_COPY };

struct walk {
	enum walk_mode mode;
	char *image; /* COPY */
	size_t off;  /* next free byte */
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

/*
 * Visit the pointer stored at slot, pointing to `size` bytes (strings: the
 * length is taken from the string). Returns where the walk goes on into the
 * pointee: the original (SIZE) or its copy in the image (COPY), whose own
 * pointers are still the originals; NULL for a NULL pointer or a string. In
 * COPY the slot gets the pointee's address in the mapped image.
 */
static void *visit(struct walk *w, void *slot, size_t size, bool is_string)
{
	void *ptr;
	uint64_t addr;

	memcpy(&ptr, slot, sizeof(ptr));
	if (!ptr)
		return NULL;
	if (is_string) {
		/* strings: stored once each, unaligned */
		size_t at = intern(w, ptr, w->off);
		size = strlen(ptr) + 1;
		if (at == (size_t)-1) {
			at = w->off;
			if (w->mode == WALK_COPY)
				memcpy(w->image + at, ptr, size);
			w->off += size;
		}
		if (w->mode == WALK_COPY) {
			addr = CACHE_BASE + at;
			memcpy(slot, &addr, sizeof(addr));
		}
		return NULL; /* nothing to walk into */
	}
	w->off = align16(w->off);
	if (w->mode == WALK_SIZE) {
		w->off += size;
		return ptr;
	}
	memcpy(w->image + w->off, ptr, size);
	addr = CACHE_BASE + w->off;
	memcpy(slot, &addr, sizeof(addr));
	ptr = w->image + w->off;
	w->off += size;
	return ptr;
}

#define STR(w, field) visit((w), &(field), 0, true)
#define ARR(w, field, n) visit((w), &(field), (n) * sizeof(*(field)), false)

static void walk_strv(struct walk *w, const char ***field, size_t n)
{
	const char **v = visit(w, field, n * sizeof(**field), false);
	for (size_t i = 0; v && i < n; i++)
		STR(w, v[i]);
}

static void walk_refs(struct walk *w, struct plan_refs *r)
{
	walk_strv(w, &r->ids, r->n);
	ARR(w, r->idx, r->n);
	ARR(w, r->locs, r->n);
}

static void walk_map(struct walk *w, struct strmap *m)
{
	const char **keys = ARR(w, m->keys, m->cap);
	for (size_t i = 0; keys && i < m->cap; i++)
		STR(w, keys[i]);
	ARR(w, m->vals, m->cap);
}

static void walk_plan(struct walk *w, struct plan *p)
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
	struct plan_resource *resources;
	struct plan_escalation *escalation;
	struct plan_step *steps;
	struct plan_comm *comms;
	struct plan_activity_group *post;
	struct plan_change *changes;
	struct plan_next_steps *next;

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
	}
	people = ARR(w, p->people, p->npeople);
	for (size_t i = 0; people && i < p->npeople; i++) {
		STR(w, people[i].id);
		STR(w, people[i].name);
		STR(w, people[i].email);
		walk_strv(w, &people[i].roles, people[i].nroles);
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
		STR(w, notify[i].webhook_env);
		walk_strv(w, &notify[i].events, notify[i].nevents);
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
	}
	steps = ARR(w, p->rollback_steps, p->nrollback_steps);
	for (size_t i = 0; steps && i < p->nrollback_steps; i++) {
		STR(w, steps[i].title);
		STR(w, steps[i].text);
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

static bool fill_key(struct cache_header *h, const char *plan_path)
{
	struct stat st, ex;
	if (stat(plan_path, &st) < 0 || !S_ISREG(st.st_mode) || stat("/proc/self/exe", &ex) < 0)
		return false;
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, CACHE_MAGIC, sizeof(h->magic));
	h->header_size = sizeof(*h);
	h->plan_size = sizeof(struct plan);
	h->plan_dev = st.st_dev;
	h->plan_ino = st.st_ino;
	h->plan_size_bytes = (uint64_t)st.st_size;
	h->plan_mtime_s = st.st_mtim.tv_sec;
	h->plan_mtime_ns = st.st_mtim.tv_nsec;
	h->plan_ctime_s = st.st_ctim.tv_sec;
	h->plan_ctime_ns = st.st_ctim.tv_nsec;
	h->exe_size = (uint64_t)ex.st_size;
	h->exe_mtime_s = ex.st_mtim.tv_sec;
	h->exe_mtime_ns = ex.st_mtim.tv_nsec;
	return true;
}

static bool same_key(const struct cache_header *a, const struct cache_header *b)
{
	return !memcmp(a->magic, b->magic, sizeof(a->magic)) &&
	       a->header_size == b->header_size && a->plan_size == b->plan_size &&
	       a->plan_dev == b->plan_dev && a->plan_ino == b->plan_ino &&
	       a->plan_size_bytes == b->plan_size_bytes && a->plan_mtime_s == b->plan_mtime_s &&
	       a->plan_mtime_ns == b->plan_mtime_ns && a->plan_ctime_s == b->plan_ctime_s &&
	       a->plan_ctime_ns == b->plan_ctime_ns && a->exe_size == b->exe_size &&
	       a->exe_mtime_s == b->exe_mtime_s && a->exe_mtime_ns == b->exe_mtime_ns;
}

static struct plan *cache_read(const char *cache, const struct cache_header *key)
{
	struct cache_header h;
	struct stat st;
	struct plan *p;
	void *image;
	int fd = open(cache, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) || !same_key(&h, key) ||
	    h.base != CACHE_BASE || h.image_size < sizeof(struct plan) ||
	    h.image_size > (uint64_t)1 << 30 || fstat(fd, &st) < 0 ||
	    (uint64_t)st.st_size != CACHE_IMAGE_OFFSET + h.image_size) {
		close(fd);
		return NULL;
	}
	image = mmap((void *)(uintptr_t)CACHE_BASE, h.image_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, CACHE_IMAGE_OFFSET);
	close(fd);
	if (image == MAP_FAILED)
		return NULL;
	if (image != (void *)(uintptr_t)CACHE_BASE) {
		/* a kernel before 4.17 took the address as a hint only */
		munmap(image, h.image_size);
		return NULL;
	}
	p = image;
	arena_init(&p->arena);
	p->cache_image = image;
	p->cache_image_size = h.image_size;
	return p;
}

static void cache_write(const struct plan *p, const char *dir, const char *cache,
			struct cache_header *key)
{
	struct walk w = { .mode = WALK_SIZE };
	struct plan copy = *p;
	struct plan *img;
	char *tmp;
	int fd;
	bool ok;

	w.off = align16(sizeof(struct plan));
	walk_plan(&w, &copy);
	w.off = align16(w.off);
	key->image_size = w.off;
	free(w.strs);
	w.strs = NULL;
	w.nstrs = w.strs_cap = 0;
	w.image = xcalloc(1, w.off);
	w.mode = WALK_COPY;
	img = (struct plan *)w.image;
	*img = *p;
	img->cache_image = NULL;
	img->cache_image_size = 0;
	memset(&img->arena, 0, sizeof(img->arena));
	w.off = align16(sizeof(struct plan));
	walk_plan(&w, img);
	w.off = align16(w.off);
	free(w.strs);
	if (w.off != key->image_size)
		BUG("plan cache: sized %zu bytes, wrote %zu", (size_t)key->image_size, w.off);
	key->base = CACHE_BASE;

	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		free(w.image);
		return;
	}
	tmp = xasprintf("%s.%ld.tmp", cache, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		free(tmp);
		free(w.image);
		return;
	}
	ok = pwrite(fd, key, sizeof(*key), 0) == (ssize_t)sizeof(*key) &&
	     pwrite(fd, w.image, w.off, CACHE_IMAGE_OFFSET) == (ssize_t)w.off;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, cache) < 0)
		unlink(tmp);
	free(tmp);
	free(w.image);
}

struct plan *plan_load_cached(const char *path, struct plan_diags *diags)
{
	struct cache_header key;
	const char *off = getenv("TOLLGATE_NO_PLAN_CACHE");
	struct plan *p;
	char *dir, *cache;

	if ((off && *off && strcmp(off, "0")) || !fill_key(&key, path))
		return plan_load(path, diags);
	cache = cache_path_for(path, &dir);
	p = cache_read(cache, &key);
	if (p) {
		/* the path as given this time, not as given when cached */
		p->path = arena_strdup(&p->arena, path);
		p->dir = plan_dir_of(&p->arena, path);
		free(cache);
		free(dir);
		return p;
	}
	p = plan_load(path, diags);
	if (p) {
		struct cache_header again;
		/* only cache what was read from the file as it still is */
		if (fill_key(&again, path) && same_key(&again, &key))
			cache_write(p, dir, cache, &key);
	}
	free(cache);
	free(dir);
	return p;
}
