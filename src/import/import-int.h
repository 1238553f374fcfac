/*
 * import-int.h - the import's insides: a small ordered tree of the plan being
 * built (maps keep their keys in the order written), and its YAML writer.
 */
#ifndef TOLLGATE_IMPORT_INT_H
#define TOLLGATE_IMPORT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

enum tn_kind { TN_MAP, TN_SEQ, TN_STR, TN_RAW };
/* TN_STR is text (quoted when it could be read as anything else); TN_RAW a
 * number, date or boolean written plain. */
struct tn {
	enum tn_kind kind;
	bool flow; /* {a: 1} / [a, b] */
	char *s;
	size_t n, alloc;
	char **keys;    /* TN_MAP */
	struct tn **v;  /* TN_MAP values, TN_SEQ entries */
};

struct tn *tn_map(bool flow);
struct tn *tn_seq(bool flow);
struct tn *tn_str(const char *s);
struct tn *tn_raw(const char *s);
struct tn *tn_rawf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tn_free(struct tn *t);
/* Set key to v (v owned by the map; an older value is freed). Returns v. */
struct tn *tn_set(struct tn *m, const char *key, struct tn *v);
/* The same for a string value; s NULL or empty sets nothing. */
void tn_set_str(struct tn *m, const char *key, const char *s);
struct tn *tn_get(const struct tn *m, const char *key);
const char *tn_get_str(const struct tn *m, const char *key);
/* A map's key removed (and freed). */
void tn_del(struct tn *m, const char *key);
struct tn *tn_add(struct tn *seq, struct tn *v);
void tn_add_str(struct tn *seq, const char *s);
bool tn_has_str(const struct tn *seq, const char *s);
/* The entry of seq whose key is s, or NULL. */
struct tn *tn_find(const struct tn *seq, const char *key, const char *s);

/* Write root as YAML (libyaml's emitter) after a comment header. 0 or -1. */
int tn_emit_yaml(const struct tn *root, const char *header, struct strbuf *out, struct err *e);

#endif
