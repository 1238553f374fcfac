/*
 * plan-yaml.c - bytes to a node tree, with the position of every node.
 *
 * libyaml's event parser does the syntax; this file builds a small tree from
 * its events without recursion (an explicit stack capped at PLAN_MAX_DEPTH),
 * rejects aliases (so a "billion laughs" cannot expand), counts nodes (so a
 * 32 MiB file cannot turn into gigabytes of tree) and reports duplicate keys.
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
	size_t aliases; /* only the first is reported */
};

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
		attach(b, n);
		return true;
	case YAML_ALIAS_EVENT:
		if (b->aliases++ == 0)
			add_error(b, (int)ev->start_mark.line + 1, (int)ev->start_mark.column + 1,
				  "YAML aliases ('*%s') are not supported; write the value out",
				  (const char *)ev->data.alias.anchor);
		n = new_node(b, YN_SCALAR, &ev->start_mark, 0);
		if (!n)
			return false;
		n->u.str = "";
		attach(b, n);
		return true;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
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
		return true;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth == 0)
			return false;
		f = &b->stack[--b->depth];
		n = f->node;
		n->u.kids = arena_alloc(b->a, (f->n ? f->n : 1) * sizeof(*n->u.kids));
		if (f->n)
			memcpy(n->u.kids, f->kids, f->n * sizeof(*f->kids));
		free(f->kids);
		f->kids = NULL;
		if (n->kind == YN_MAP) {
			n->n = f->n / 2;
			check_duplicates(b, n);
		} else {
			n->n = f->n;
		}
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
	if (b.failed)
		return NULL;
	if (!b.root || ynode_is_null(b.root)) {
		add_error(&b, 1, 1, "the plan is empty; write one, or run 'tollgate init' for a starter");
		return NULL;
	}
	return b.root;
}
