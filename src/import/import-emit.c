/*
 * import-emit.c - the tree the import builds, and its YAML: written by
 * libyaml's emitter, which quotes and escapes every scalar as YAML needs (no
 * text of the document is pasted into YAML by hand).
 */
#include "import/import-int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static struct tn *tn_new(enum tn_kind k)
{
	struct tn *t = xcalloc(1, sizeof(*t));
	t->kind = k;
	return t;
}

struct tn *tn_map(bool flow)
{
	struct tn *t = tn_new(TN_MAP);
	t->flow = flow;
	return t;
}

struct tn *tn_seq(bool flow)
{
	struct tn *t = tn_new(TN_SEQ);
	t->flow = flow;
	return t;
}

struct tn *tn_str(const char *s)
{
	struct tn *t = tn_new(TN_STR);
	t->s = xstrdup(s ? s : "");
	return t;
}

struct tn *tn_raw(const char *s)
{
	struct tn *t = tn_new(TN_RAW);
	t->s = xstrdup(s);
	return t;
}

struct tn *tn_rawf(const char *fmt, ...)
{
	struct tn *t = tn_new(TN_RAW);
	va_list ap;
	va_start(ap, fmt);
	t->s = xvasprintf(fmt, ap);
	va_end(ap);
	return t;
}

void tn_free(struct tn *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		if (t->keys)
			free(t->keys[i]);
		tn_free(t->v[i]);
	}
	free(t->keys);
	free(t->v);
	free(t->s);
	free(t);
}

static ssize_t key_index(const struct tn *m, const char *key)
{
	if (!m || m->kind != TN_MAP)
		return -1;
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->keys[i], key))
			return (ssize_t)i;
	return -1;
}

struct tn *tn_set(struct tn *m, const char *key, struct tn *v)
{
	ssize_t i = key_index(m, key);
	if (i >= 0) {
		tn_free(m->v[i]);
		m->v[i] = v;
		return v;
	}
	if (m->n + 1 > m->alloc) {
		m->alloc = m->alloc ? m->alloc * 2 : 8;
		m->keys = xrealloc(m->keys, m->alloc * sizeof(*m->keys));
		m->v = xrealloc(m->v, m->alloc * sizeof(*m->v));
	}
	m->keys[m->n] = xstrdup(key);
	m->v[m->n++] = v;
	return v;
}

void tn_set_str(struct tn *m, const char *key, const char *s)
{
	if (s && *s)
		tn_set(m, key, tn_str(s));
}

struct tn *tn_get(const struct tn *m, const char *key)
{
	ssize_t i = key_index(m, key);
	return i < 0 ? NULL : m->v[i];
}

const char *tn_get_str(const struct tn *m, const char *key)
{
	const struct tn *v = tn_get(m, key);
	return v && (v->kind == TN_STR || v->kind == TN_RAW) ? v->s : NULL;
}

void tn_del(struct tn *m, const char *key)
{
	ssize_t i = key_index(m, key);
	if (i < 0)
		return;
	free(m->keys[i]);
	tn_free(m->v[i]);
	memmove(m->keys + i, m->keys + i + 1, (m->n - (size_t)i - 1) * sizeof(*m->keys));
	memmove(m->v + i, m->v + i + 1, (m->n - (size_t)i - 1) * sizeof(*m->v));
	m->n--;
}

struct tn *tn_add(struct tn *seq, struct tn *v)
{
	if (seq->n + 1 > seq->alloc) {
		seq->alloc = seq->alloc ? seq->alloc * 2 : 8;
		seq->v = xrealloc(seq->v, seq->alloc * sizeof(*seq->v));
	}
	seq->v[seq->n++] = v;
	return v;
}

void tn_add_str(struct tn *seq, const char *s)
{
	tn_add(seq, tn_str(s));
}

bool tn_has_str(const struct tn *seq, const char *s)
{
	for (size_t i = 0; seq && i < seq->n; i++)
		if (seq->v[i]->s && !strcmp(seq->v[i]->s, s))
			return true;
	return false;
}

struct tn *tn_find(const struct tn *seq, const char *key, const char *s)
{
	for (size_t i = 0; seq && i < seq->n; i++) {
		const char *v = tn_get_str(seq->v[i], key);
		if (v && !strcmp(v, s))
			return seq->v[i];
	}
	return NULL;
}

/* --- writing --- */

static int out_handler(void *data, unsigned char *buffer, size_t size)
{
	strbuf_add(data, buffer, size);
	return 1;
}

/* Would this text, written plain, be read as something else than a
 * string (a number, a date, a boolean, null)? Then it is quoted. */
static bool needs_quotes(const char *s)
{
	static const char *const words[] = { "true", "false", "yes", "no", "on", "off", "null",
					     "y", "n", "~", NULL };
	if (!*s)
		return true;
	if (isdigit((unsigned char)*s) || ((*s == '-' || *s == '+' || *s == '.') &&
					   isdigit((unsigned char)s[1])))
		return true;
	for (size_t i = 0; words[i]; i++)
		if (!strcasecmp(s, words[i]))
			return true;
	return false;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	return yaml_emitter_emit(em, ev) ? 0 : -1;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, bool raw)
{
	yaml_event_t ev;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;
	if (!raw && needs_quotes(s))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	if (!raw && strchr(s, '\n'))
		style = YAML_LITERAL_SCALAR_STYLE;
	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s),
					  1, 1, style))
		return -1;
	return emit(em, &ev);
}

static bool empty(const struct tn *t)
{
	return (t->kind == TN_MAP || t->kind == TN_SEQ) && !t->n;
}

static int emit_node(yaml_emitter_t *em, const struct tn *t)
{
	yaml_event_t ev;
	switch (t->kind) {
	case TN_STR:
		return emit_scalar(em, t->s, false);
	case TN_RAW:
		return emit_scalar(em, t->s, true);
	case TN_SEQ:
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  t->flow ? YAML_FLOW_SEQUENCE_STYLE
								  : YAML_BLOCK_SEQUENCE_STYLE) ||
		    emit(em, &ev) < 0)
			return -1;
		for (size_t i = 0; i < t->n; i++)
			if (emit_node(em, t->v[i]) < 0)
				return -1;
		yaml_sequence_end_event_initialize(&ev);
		return emit(em, &ev);
	case TN_MAP:
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							 t->flow ? YAML_FLOW_MAPPING_STYLE
								 : YAML_BLOCK_MAPPING_STYLE) ||
		    emit(em, &ev) < 0)
			return -1;
		for (size_t i = 0; i < t->n; i++) {
			if (empty(t->v[i]))
				continue;
			if (emit_scalar(em, t->keys[i], true) < 0 || emit_node(em, t->v[i]) < 0)
				return -1;
		}
		yaml_mapping_end_event_initialize(&ev);
		return emit(em, &ev);
	}
	return -1;
}

int tn_emit_yaml(const struct tn *root, const char *header, struct strbuf *out, struct err *e)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = -1;

	strbuf_addstr(out, header);
	if (!yaml_emitter_initialize(&em))
		return err_set(e, ERR_FAILED, "cannot start the YAML writer");
	yaml_emitter_set_output(&em, out_handler, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, 120);
	yaml_emitter_set_indent(&em, 2);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || emit(&em, &ev) < 0)
		goto out;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || emit(&em, &ev) < 0)
		goto out;
	if (emit_node(&em, root) < 0)
		goto out;
	if (!yaml_document_end_event_initialize(&ev, 1) || emit(&em, &ev) < 0)
		goto out;
	if (!yaml_stream_end_event_initialize(&ev) || emit(&em, &ev) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		err_set(e, ERR_FAILED, "cannot write the plan as YAML: %s",
			em.problem ? em.problem : "libyaml failed");
	yaml_emitter_delete(&em);
	return rc;
}
