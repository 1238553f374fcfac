/*
 * plan-yaml.c - bytes to a node tree, with the position of every node.
 *
 * libyaml's event parser does the syntax; this file builds a small tree from
 * its events without recursion (an explicit stack capped at PLAN_MAX_DEPTH),
 * counts nodes (so a 32 MiB file cannot turn into gigabytes of tree) and
 * reports duplicate keys.
 *
 * Anchors and aliases: an alias shares the anchored node (nothing is
 * copied), and a merge key (`<<: *base`, `<<: [*a, *b]`) gives a map the
 * pairs of the merged maps it does not write itself. What the loader walks is
 * the expanded tree, so its size is counted as the events arrive (an alias
 * counts every value it stands for) and a document that expands beyond
 * PLAN_MAX_EXPANDED values, or 10× the values it writes when that is more,
 * is refused at the alias that crosses the limit: a "billion laughs" costs a
 * few additions, never a walk.
 * libyaml's own errors are turned into one located diagnostic, with a plainer
 * word for the common causes (tabs, bad UTF-8).
 */
#include "plan/plan-internal.h"

#include <string.h>
#include <yaml.h>

struct frame {
	struct ynode *node;
	struct ynode **kids;
	size_t n, alloc;
	const char *anchor;    /* &name on this container, in the arena */
	size_t expanded_start; /* b->expanded before the node */
};

struct anchor {
	const char *name;
	struct ynode *node;
	size_t weight; /* values the node stands for, expanded */
};

/* An alias, and the expanded size of the document once it was counted: the
 * first whose size is beyond the limit is where the error points. */
struct alias_mark {
	size_t expanded;
	int line, col;
	size_t anchor;
};

struct builder {
	struct arena *a;
	struct plan_diags *d;
	const char *data;
	size_t len;
	struct frame stack[PLAN_MAX_DEPTH + 1];
	int depth;
	size_t nodes;
	struct ynode *root;
	bool failed; /* a fatal problem: no tree to map */
	size_t expanded; /* values of the expanded tree so far */
	struct anchor *anchors;
	size_t nanchors, anchors_alloc;
	struct strmap anchor_map; /* name → index in anchors */
	size_t anchor_map_room;
	struct alias_mark *marks;
	size_t nmarks, marks_alloc;
};

/* The expansion limit of a document that writes `nodes` values. */
static size_t expansion_limit(size_t nodes)
{
	return nodes > PLAN_MAX_EXPANDED / 10 ? nodes * 10 : PLAN_MAX_EXPANDED;
}

static size_t sat_add(size_t a, size_t b)
{
	return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

bool ynode_is_null(const struct ynode *n)
{
	if (!n)
		return true;
	if (n->kind != YN_SCALAR || n->quoted)
		return false;
	return n->n == 0 || !strcmp(n->u.str, "~") || !strcmp(n->u.str, "null") ||
	       !strcmp(n->u.str, "Null") || !strcmp(n->u.str, "NULL");
}

static bool looks_numeric(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || *s == '.' || *s == 'e' || *s == 'E' ||
		      *s == '-' || *s == '+'))
			return false;
	return true;
}

const char *ynode_describe(const struct ynode *n)
{
	if (!n || ynode_is_null(n))
		return "nothing";
	switch (n->kind) {
	case YN_MAP: return "a map";
	case YN_SEQ: return "a list";
	default: break;
	}
	if (!n->quoted && looks_numeric(n->u.str))
		return "a number";
	if (!n->quoted && (!strcmp(n->u.str, "true") || !strcmp(n->u.str, "false")))
		return "a boolean";
	return "a string";
}

static void add_error(struct builder *b, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_error(struct builder *b, int line, int col, const char *fmt, ...)
{
	struct plan_loc loc = { line, col };
	char *msg;
	va_list ap;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	plan_diag_add(b->d, DIAG_ERROR, loc, "%s", msg);
	free(msg);
}

/* Line and column (1-based, in bytes) of a byte offset. */
static void offset_loc(const struct builder *b, size_t off, int *line, int *col)
{
	size_t l = 1, start = 0;
	if (off > b->len)
		off = b->len;
	for (size_t i = 0; i < off; i++)
		if (b->data[i] == '\n') {
			l++;
			start = i + 1;
		}
	*line = (int)(l > 0x7fffffff ? 0x7fffffff : l);
	*col = (int)(off - start + 1);
}

/* The first tab in the indentation of lines up to `line` (1-based), scanning
 * from the end: the usual reason libyaml stops. */
static bool find_tab_indent(const struct builder *b, int upto, int *tline, int *tcol)
{
	int line = 1, found = 0, fcol = 0;
	size_t i = 0;
	while (i < b->len && line <= upto) {
		size_t start = i;
		while (i < b->len && (b->data[i] == ' ' || b->data[i] == '\t')) {
			if (b->data[i] == '\t' && !found) {
				found = line;
				fcol = (int)(i - start + 1);
			}
			i++;
		}
		if (found == line && (i >= b->len || b->data[i] == '\n' || b->data[i] == '\r'))
			found = 0; /* a blank line with a tab is harmless */
		while (i < b->len && b->data[i] != '\n')
			i++;
		i++;
		line++;
		if (found)
			break;
	}
	if (!found)
		return false;
	*tline = found;
	*tcol = fcol;
	return true;
}

static void parser_error(struct builder *b, const yaml_parser_t *p)
{
	int line, col, tl, tc;

	if (p->error == YAML_READER_ERROR) {
		offset_loc(b, p->problem_offset, &line, &col);
		if (strstr(p->problem, "UTF") || strstr(p->problem, "octet"))
			add_error(b, line, col, "the file is not valid UTF-8 (%s); save it as UTF-8 text",
				  p->problem);
		else if (strstr(p->problem, "control"))
			add_error(b, line, col,
				  "the file holds a control character (byte 0x%02x); a plan is UTF-8 text",
				  (unsigned)p->problem_value & 0xffu);
		else
			add_error(b, line, col, "cannot read the file as text: %s", p->problem);
		return;
	}
	if (p->error == YAML_MEMORY_ERROR) {
		add_error(b, 1, 1, "out of memory while parsing YAML");
		return;
	}
	line = (int)p->problem_mark.line + 1;
	col = (int)p->problem_mark.column + 1;
	if ((p->problem && strstr(p->problem, "tab")) ||
	    (p->error == YAML_SCANNER_ERROR || p->error == YAML_PARSER_ERROR)) {
		if (find_tab_indent(b, line, &tl, &tc)) {
			add_error(b, tl, tc, "tab used for indentation; indent with spaces");
			return;
		}
	}
	if (p->context && p->context_mark.line != p->problem_mark.line)
		add_error(b, line, col, "invalid YAML: %s (%s at line %d)", p->problem,
			  p->context, (int)p->context_mark.line + 1);
	else if (p->context)
		add_error(b, line, col, "invalid YAML: %s (%s)", p->problem, p->context);
	else
		add_error(b, line, col, "invalid YAML: %s", p->problem ? p->problem : "syntax error");
}

/* A node, with room for `extra` bytes of scalar text right behind it (one
 * allocation per value: the tree of a big plan stays small and warm). */
static struct ynode *new_node(struct builder *b, unsigned char kind, const yaml_mark_t *m,
			      size_t extra)
{
	struct ynode *n;
	if (++b->nodes > PLAN_MAX_NODES) {
		add_error(b, (int)m->line + 1, (int)m->column + 1,
			  "the plan holds more than %u YAML values; split it or trim it",
			  PLAN_MAX_NODES);
		return NULL;
	}
	b->expanded = sat_add(b->expanded, 1);
	n = arena_alloc(b->a, sizeof(*n) + extra);
	n->kind = kind;
	n->line = (int)(m->line + 1 > 0x7fffffff ? 0x7fffffff : m->line + 1);
	n->col = (int)(m->column + 1 > 0x7fffffff ? 0x7fffffff : m->column + 1);
	return n;
}

/* Attach a finished node to the open container (or make it the root). */
static void attach(struct builder *b, struct ynode *n)
{
	struct frame *f;
	if (b->depth == 0) {
		b->root = n;
		return;
	}
	f = &b->stack[b->depth - 1];
	ALLOC_GROW(f->kids, f->n + 1, f->alloc);
	f->kids[f->n++] = n;
}

static void check_duplicates(struct builder *b, struct ynode *map)
{
	size_t n = map->n;
	struct strmap seen;

	for (size_t i = 0; i < n; i++) {
		const struct ynode *k = map->u.kids[2 * i];
		if (k->kind != YN_SCALAR)
			add_error(b, k->line, k->col, "a key must be a plain name, got %s",
				  ynode_describe(k));
	}
	if (n < 2)
		return;
	if (n <= 8) {
		for (size_t i = 1; i < n; i++) {
			const struct ynode *k = map->u.kids[2 * i];
			if (k->kind != YN_SCALAR)
				continue;
			for (size_t j = 0; j < i; j++) {
				const struct ynode *o = map->u.kids[2 * j];
				if (o->kind == YN_SCALAR && o->n == k->n &&
				    !memcmp(o->u.str, k->u.str, k->n)) {
					add_error(b, k->line, k->col, "duplicate key '%s' (first at line %d)",
						  k->u.str, o->line);
					break;
				}
			}
		}
		return;
	}
	strmap_init(&seen, NULL, n);
	for (size_t i = 0; i < n; i++) {
		const struct ynode *k = map->u.kids[2 * i];
		int prev;
		if (k->kind != YN_SCALAR)
			continue;
		prev = strmap_put(&seen, k->u.str, (int)i);
		if (prev >= 0)
			add_error(b, k->line, k->col, "duplicate key '%s' (first at line %d)", k->u.str,
				  map->u.kids[2 * (size_t)prev]->line);
	}
	strmap_release(&seen);
}

static void anchor_define(struct builder *b, const char *name, struct ynode *node,
			  size_t weight)
{
	struct anchor *an;
	int prev = b->nanchors ? strmap_get(&b->anchor_map, name) : -1;

	if (prev >= 0) { /* a redefinition: later aliases see the new node */
		b->anchors[prev].node = node;
		b->anchors[prev].weight = weight;
		return;
	}
	if (b->nanchors + 1 > b->anchor_map_room) {
		if (b->anchor_map_room)
			strmap_release(&b->anchor_map);
		b->anchor_map_room = b->anchor_map_room ? 2 * b->anchor_map_room : 16;
		strmap_init(&b->anchor_map, NULL, b->anchor_map_room);
		for (size_t i = 0; i < b->nanchors; i++)
			strmap_put(&b->anchor_map, b->anchors[i].name, (int)i);
	}
	ALLOC_GROW(b->anchors, b->nanchors + 1, b->anchors_alloc);
	an = &b->anchors[b->nanchors];
	an->name = name;
	an->node = node;
	an->weight = weight;
	strmap_put(&b->anchor_map, name, (int)b->nanchors++);
}

static bool on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
	int i = b->nanchors ? strmap_get(&b->anchor_map, name) : -1;
	struct alias_mark *m;
	struct ynode *n;

	if (i < 0) {
		add_error(b, line, col, "alias '*%s' names no anchor ('&%s') written before it",
			  name, name);
		n = new_node(b, YN_SCALAR, &ev->start_mark, 0);
		if (!n)
			return false;
		n->u.str = "";
		attach(b, n);
		return true;
	}
	/* the alias is a value written (counted against PLAN_MAX_NODES, so a
	 * file of aliases stays small too) standing for `weight` values */
	n = new_node(b, YN_SCALAR, &ev->start_mark, 0);
	if (!n)
		return false;
	b->expanded = sat_add(b->expanded, b->anchors[i].weight - 1);
	ALLOC_GROW(b->marks, b->nmarks + 1, b->marks_alloc);
	m = &b->marks[b->nmarks++];
	m->expanded = b->expanded;
	m->line = line;
	m->col = col;
	m->anchor = (size_t)i;
	/* beyond what any document may reach: stop reading now */
	if (b->expanded > expansion_limit(PLAN_MAX_NODES))
		return false;
	/* a copy of the anchored node at the alias (its value shared): a wrong
	 * type is reported where the alias is used, a wrong value inside where
	 * it is written */
	*n = *b->anchors[i].node;
	n->line = line;
	n->col = col;
	attach(b, n);
	return true;
}

/* The refusal of a document whose expanded tree is too big, at the first
 * alias that made it so. */
static void expansion_error(struct builder *b)
{
	size_t limit = expansion_limit(b->nodes), lo = 0, hi = b->nmarks;
	const struct alias_mark *m;

	while (lo < hi) { /* marks[].expanded grows: the first beyond limit */
		size_t mid = lo + (hi - lo) / 2;
		if (b->marks[mid].expanded > limit)
			hi = mid;
		else
			lo = mid + 1;
	}
	m = &b->marks[lo < b->nmarks ? lo : b->nmarks - 1];
	add_error(b, m->line, m->col,
		  "alias '*%s' expands the plan beyond %zu values; aliases may expand a plan "
		  "to %u values, or 10 times the %zu it writes",
		  b->anchors[m->anchor].name, limit, PLAN_MAX_EXPANDED, b->nodes);
}

static bool is_merge_key(const struct ynode *k)
{
	return k->kind == YN_SCALAR && !k->quoted && k->n == 2 && !strcmp(k->u.str, "<<");
}

/* Append src's pairs whose key is not in seen to the frame's kids. */
static void merge_pairs(struct frame *f, struct strmap *seen, const struct ynode *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct ynode *k = src->u.kids[2 * i];
		if (k->kind != YN_SCALAR || strmap_put(seen, k->u.str, 0) >= 0)
			continue;
		ALLOC_GROW(f->kids, f->n + 2, f->alloc);
		f->kids[f->n++] = k;
		f->kids[f->n++] = src->u.kids[2 * i + 1];
	}
}

/*
 * Resolve the merge keys of a finished map's frame: its own pairs first,
 * then those of each merged map (in order, the first one winning) whose key
 * it does not have yet. Returns false when the map has no merge key.
 */
static bool resolve_merges(struct builder *b, struct frame *f)
{
	struct ynode **own = f->kids;
	size_t nown = f->n, room = 0, nmerge = 0;
	struct strmap seen;

	for (size_t i = 0; i < nown / 2; i++) {
		const struct ynode *k = own[2 * i], *v = own[2 * i + 1];
		if (!is_merge_key(k))
			continue;
		nmerge++;
		if (v->kind == YN_MAP) {
			room += v->n;
			continue;
		}
		if (v->kind == YN_SEQ) {
			for (size_t j = 0; j < v->n; j++)
				if (v->u.kids[j]->kind == YN_MAP)
					room += v->u.kids[j]->n;
				else
					add_error(b, v->u.kids[j]->line, v->u.kids[j]->col,
						  "'<<' merges maps; this entry of its list is %s",
						  ynode_describe(v->u.kids[j]));
			continue;
		}
		add_error(b, v->line, v->col,
			  "'<<' merges a map or a list of maps (e.g. '<<: *base'), got %s",
			  ynode_describe(v));
	}
	if (!nmerge)
		return false;
	f->kids = NULL;
	f->n = f->alloc = 0;
	strmap_init(&seen, NULL, nown / 2 + room);
	for (size_t i = 0; i < nown / 2; i++) {
		struct ynode *k = own[2 * i];
		if (is_merge_key(k))
			continue;
		if (k->kind == YN_SCALAR)
			strmap_put(&seen, k->u.str, 0);
		ALLOC_GROW(f->kids, f->n + 2, f->alloc);
		f->kids[f->n++] = k;
		f->kids[f->n++] = own[2 * i + 1];
	}
	for (size_t i = 0; i < nown / 2; i++) {
		const struct ynode *v = own[2 * i + 1];
		if (!is_merge_key(own[2 * i]))
			continue;
		if (v->kind == YN_MAP)
			merge_pairs(f, &seen, v);
		else if (v->kind == YN_SEQ)
			for (size_t j = 0; j < v->n; j++)
				if (v->u.kids[j]->kind == YN_MAP)
					merge_pairs(f, &seen, v->u.kids[j]);
	}
	strmap_release(&seen);
	free(own);
	return true;
}

static const char *event_anchor(struct builder *b, const yaml_event_t *ev)
{
	const yaml_char_t *a = NULL;
	switch (ev->type) {
	case YAML_SCALAR_EVENT: a = ev->data.scalar.anchor; break;
	case YAML_SEQUENCE_START_EVENT: a = ev->data.sequence_start.anchor; break;
	case YAML_MAPPING_START_EVENT: a = ev->data.mapping_start.anchor; break;
	default: break;
	}
	return a ? arena_strdup(b->a, (const char *)a) : NULL;
}

static bool on_event(struct builder *b, const yaml_event_t *ev)
{
	struct ynode *n;
	struct frame *f;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n = new_node(b, YN_SCALAR, &ev->start_mark, ev->data.scalar.length + 1);
		if (!n)
			return false;
		n->n = ev->data.scalar.length;
		memcpy(n + 1, ev->data.scalar.value, n->n); /* NUL from the zeroed arena */
		n->u.str = (const char *)(n + 1);
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		if (ev->data.scalar.anchor)
			anchor_define(b, event_anchor(b, ev), n, 1);
		attach(b, n);
		return true;
	case YAML_ALIAS_EVENT:
		return on_alias(b, ev);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		size_t start = b->expanded;
		if (b->depth >= PLAN_MAX_DEPTH) {
			add_error(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
				  "nesting deeper than %d levels; a plan is not that deep",
				  PLAN_MAX_DEPTH);
			return false;
		}
		n = new_node(b, ev->type == YAML_SEQUENCE_START_EVENT ? YN_SEQ : YN_MAP,
			     &ev->start_mark, 0);
		if (!n)
			return false;
		f = &b->stack[b->depth++];
		memset(f, 0, sizeof(*f));
		f->node = n;
		f->anchor = event_anchor(b, ev);
		f->expanded_start = start;
		return true;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth == 0)
			return false;
		f = &b->stack[--b->depth];
		n = f->node;
		if (n->kind == YN_MAP) {
			/* duplicates among the keys written; merged ones never clash */
			n->u.kids = f->kids;
			n->n = f->n / 2;
			check_duplicates(b, n);
			resolve_merges(b, f);
		}
		n->u.kids = arena_alloc(b->a, (f->n ? f->n : 1) * sizeof(*n->u.kids));
		if (f->n)
			memcpy(n->u.kids, f->kids, f->n * sizeof(*f->kids));
		free(f->kids);
		f->kids = NULL;
		n->n = n->kind == YN_MAP ? f->n / 2 : f->n;
		if (f->anchor)
			anchor_define(b, f->anchor, n, b->expanded - f->expanded_start);
		attach(b, n);
		return true;
	default:
		return true;
	}
}

struct ynode *plan_yaml_parse(struct arena *a, const char *data, size_t len,
			      struct plan_diags *d)
{
	struct builder b;
	yaml_parser_t parser;
	yaml_event_t ev;
	int docs = 0;
	bool done = false;

	memset(&b, 0, sizeof(b));
	b.a = a;
	b.d = d;
	b.data = data;
	b.len = len;
	if (len > PLAN_MAX_BYTES) {
		add_error(&b, 1, 1, "the file is %zu bytes; a plan may be at most 32 MiB", len);
		return NULL;
	}
	if (!yaml_parser_initialize(&parser)) {
		add_error(&b, 1, 1, "out of memory while parsing YAML");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			parser_error(&b, &parser);
			b.failed = true;
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			done = true;
		} else if (ev.type == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
			add_error(&b, (int)ev.start_mark.line + 1, (int)ev.start_mark.column + 1,
				  "a second YAML document ('---'); a plan is one document");
			done = true;
		} else if (!on_event(&b, &ev)) {
			b.failed = true;
			done = true;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	for (int i = 0; i < b.depth; i++)
		free(b.stack[i].kids);
	if (b.expanded > expansion_limit(b.nodes) && b.nmarks) {
		expansion_error(&b);
		b.failed = true;
	}
	free(b.anchors);
	free(b.marks);
	if (b.anchor_map_room)
		strmap_release(&b.anchor_map);
	if (b.failed)
		return NULL;
	if (!b.root || ynode_is_null(b.root)) {
		add_error(&b, 1, 1, "the plan is empty; write one, or run 'tollgate init' for a starter");
		return NULL;
	}
	return b.root;
}
