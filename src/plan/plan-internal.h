/*
 * plan-internal.h - what the plan loader's files share and nobody else sees:
 * the YAML node tree built from libyaml events (with the mark of every node),
 * a tiny open-addressing string → index map, and the loader's context.
 *
 * The flow is: plan-yaml.c turns bytes into a node tree (syntax, size, depth,
 * aliases, duplicate keys); plan-load.c maps the tree onto struct plan (keys,
 * types, values); plan-validate.c resolves references and checks the rules
 * that span objects (cycles, roles, warnings).
 */
#ifndef TOLLGATE_PLAN_INTERNAL_H
#define TOLLGATE_PLAN_INTERNAL_H

#include "plan/plan.h"

/* Limits from docs/plan.md; the node cap bounds memory on pathological input. */
#define PLAN_MAX_BYTES (32u << 20)
#define PLAN_MAX_DEPTH 64
#define PLAN_MAX_NODES 2000000u
/* What aliases may expand a plan to (or 10× the values it writes, if more). */
#define PLAN_MAX_EXPANDED 100000u
#define PLAN_MAX_DIAGS 1000

enum ynode_kind { YN_SCALAR, YN_MAP, YN_SEQ };

struct ynode {
	unsigned char kind;
	bool quoted; /* a quoted or block scalar: never null, never a number */
	int line, col; /* 1-based */
	size_t n;      /* scalar: length of str; seq: items; map: pairs */
	union {
		const char *str;      /* NUL-terminated; may hold NULs when len says so */
		struct ynode **kids;  /* seq: n items; map: 2n, key then value */
	} u;
};

/* Build the node tree of data. Returns the root (a map, sequence or scalar) or
 * NULL after adding at least one error to d. Nodes live in a. */
struct ynode *plan_yaml_parse(struct arena *a, const char *data, size_t len,
			      struct plan_diags *d);

static inline struct plan_loc ynode_loc(const struct ynode *n)
{
	struct plan_loc l = { n ? n->line : 0, n ? n->col : 0 };
	return l;
}
/* A plain scalar that YAML reads as null: "", "~", "null". */
bool ynode_is_null(const struct ynode *n);
/* What a node is, for "expected a list, got a string". */
const char *ynode_describe(const struct ynode *n);

/* An `x-` key: the team's own annotation, ignored wherever it is written. */
static inline bool plan_is_annotation(const char *key)
{
	return key[0] == 'x' && key[1] == '-';
}

/* a and b differ by one swap of neighbouring characters. */
bool plan_is_transposition(const char *a, const char *b);

/* FNV-1a of a NUL-terminated string, folded (the strmap's and the cache's hash). */
size_t plan_str_hash(const char *s);
/* plan_load of bytes already read from the file at path (the plan cache
 * hashes and parses the same bytes). */
struct plan *plan_load_file_bytes(const char *path, const char *data, size_t len,
				  struct plan_diags *diags);
/* The plan cache's checksum of a header (its checksum field zero) and an
 * image (plan-cache.c; tests forge caches with it). */
uint64_t plan_cache_checksum(const void *header, size_t header_len, const void *image,
			     size_t image_len);
/* The folder holding the file at path ("." for a bare name), in a. */
char *plan_dir_of(struct arena *a, const char *path);

/* String → int map with a fixed capacity chosen at init (no growth). */
struct strmap {
	size_t cap; /* power of two */
	const char **keys;
	int *vals;
	bool heap;
};
/* Room for n keys; storage from a, or from the heap when a is NULL. */
void strmap_init(struct strmap *m, struct arena *a, size_t n);
void strmap_release(struct strmap *m); /* only for heap maps */
int strmap_get(const struct strmap *m, const char *key);
/* Insert key → val; when key is present already, returns its value and keeps it,
 * else returns -1. */
int strmap_put(struct strmap *m, const char *key, int val);

/* The loader's working state. */
struct loader {
	struct plan *p;
	struct plan_diags *d;
	struct arena *a;
	const struct ynode *root;
	size_t nsuggest; /* suggestions computed so far (capped for big broken plans) */
};

void plan_ld_error(struct loader *ld, const struct ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void plan_ld_errorl(struct loader *ld, struct plan_loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void plan_ld_warnl(struct loader *ld, struct plan_loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Map the tree onto ld->p (plan-load.c). */
void plan_map_tree(struct loader *ld);
/* plan-load.c's getters, for its sibling files: each reports a bad value
 * where it was written and returns false (or leaves the output empty). */
const struct ynode *plan_ld_field(const struct ynode *map, const char *key);
void plan_ld_check_keys(struct loader *ld, const struct ynode *map, const char *const *keys,
			const char *where);
bool plan_ld_string(struct loader *ld, const struct ynode *n, const char *key, const char **out);
bool plan_ld_id(struct loader *ld, const struct ynode *n, const char *key, const char **out);
bool plan_ld_int(struct loader *ld, const struct ynode *n, const char *key, long lo, long hi,
		 int *out);
bool plan_ld_duration(struct loader *ld, const struct ynode *n, const char *key, int64_t *out);
void plan_ld_strlist(struct loader *ld, const struct ynode *n, const char *key,
		     const char ***out, size_t *nout, struct plan_loc **locs);
void plan_ld_refs(struct loader *ld, const struct ynode *n, const char *key, struct plan_refs *r);
void plan_ld_env_refs(struct loader *ld, const struct ynode *n, const char *key,
		      const char *whose, struct plan_refs *r);
const struct ynode *plan_ld_top_list(struct loader *ld, const char *key, size_t *n);
const struct ynode *plan_ld_entry_map(struct loader *ld, const struct ynode *n, const char *list);
void plan_ld_required(struct loader *ld, const struct ynode *m, const char *key,
		      const char *where);
const char *plan_ld_suggest_key(const char *word, const char *const *keys);
/* channels, notify, notify_policy, schedules (plan-notify.c); after waves. */
void plan_load_notify(struct loader *ld);
/* After the tables: the channels of escalation levels and rollback steps exist. */
void plan_check_alert_channels(struct loader *ld);

/* Resolve references, check cross-object rules, warnings, topo (plan-validate.c). */
void plan_validate(struct loader *ld);

/* Index maps kept in the plan for the lookups. */
struct plan_maps {
	struct strmap envs, people, waves, projects, gates, items, blockers, triggers;
};

#endif
