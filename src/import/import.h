/*
 * import.h - `tollgate import`: a Markdown master plan (the kind of document
 * in shared/seeds/master-promotion-plan.md) turned into a plan file.
 *
 * The Markdown is parsed by cmark-gfm (tables, task lists, strikethrough);
 * what its headings, tables, task lists, `**Key:** value` bullets and
 * numbered lists say is mapped to the plan's keys (docs/import.md), into a
 * tree that is written as YAML by libyaml's emitter. What has no key is kept
 * under `notes`, so nothing of the document is lost. Beside the plan, the
 * import gives a summary (each section, where it was, what it became, what
 * the team must still decide) and the state the document records (ticked
 * items, blockers' progress, passed gates) for `--state`.
 *
 * Nothing here prints or exits; errors come back in struct err.
 */
#ifndef TOLLGATE_IMPORT_H
#define TOLLGATE_IMPORT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/util.h"

/* One line of the summary: the section at line, what it became. */
struct import_line {
	int line;
	char *text;
};
struct import_lines {
	size_t n, alloc;
	struct import_line *v;
};

/* A piece of state the document records, for --state. */
enum import_fact_kind {
	IMPORT_TICK,     /* checklist item id is ticked ([x]) */
	IMPORT_PROGRESS, /* blocker id is at progress */
	IMPORT_GATE,     /* gate id is passed */
	IMPORT_READY,    /* project id is ready in the source environment */
};
struct import_fact {
	enum import_fact_kind kind;
	char *id;
	int progress;
	int line;
};

struct import_result {
	char *yaml; /* the plan file's text */
	size_t yaml_len;
	struct import_lines mapped; /* section → what it became */
	struct import_lines decide; /* what the team must still decide */
	struct import_lines warnings;
	size_t nfacts, facts_alloc;
	struct import_fact *facts;
	size_t nrepaired; /* characters repaired from double-encoded UTF-8 */
	size_t nlost;     /* U+FFFD replacement characters met (already lost) */
	char *source_env; /* the first environment's name */
};
void import_result_release(struct import_result *r);

/*
 * Import the Markdown text (name is used in messages and in the plan's
 * header comment). Text that was UTF-8 encoded twice is repaired first (its
 * count in out->nrepaired). -1 with ERR_USAGE when the text is empty, not
 * UTF-8, or has nothing of a master plan (no heading, table or list).
 */
int import_markdown(const char *name, const char *text, size_t len, struct import_result *out,
		    struct err *e);
/* The same, where the plan is written in another folder than the document:
 * doc_prefix (such as "../plans/", or NULL) goes before the document's
 * relative links, so that projects' `doc` resolve from the plan's folder. */
int import_markdown_from(const char *name, const char *text, size_t len, const char *doc_prefix,
			 struct import_result *out, struct err *e);

/* What --state did with one fact (or one line of the versions file). */
struct import_outcome {
	enum import_fact_kind kind; /* IMPORT_READY: a version recorded */
	const char *id;             /* item, blocker, gate or project */
	const char *from;           /* "FILE:LINE" */
	const char *version, *env;  /* IMPORT_READY */
	int progress;               /* IMPORT_PROGRESS */
	bool written;               /* false: it held already (or skipped) */
	const char *skipped;        /* a passed gate not approved: why, else NULL */
};
typedef void (*import_outcome_fn)(void *ctx, const struct import_outcome *o);

struct action_ctx;
struct action_versions;
/*
 * Write the state r records into c->store through the engine's import
 * actions (actor "import", each audited as imported from MD:LINE): first
 * versions (parsed from versions_name, may be NULL) healthy in the source
 * environment, then ticks, blockers' progress and passed gates. fn is called
 * for each. A passed gate that cannot be approved (no candidate) is
 * reported with `skipped`, not an error. -1 on the first failure (what was
 * written before it stays: each is its own change).
 */
int import_write_state(const struct action_ctx *c, const struct import_result *r,
		       const char *md, const struct action_versions *versions,
		       const char *versions_name, import_outcome_fn fn, void *ctx,
		       struct err *e);

/*
 * Repair text that was UTF-8 encoded twice (its bytes read as Latin-1 or
 * Windows-1252 and encoded again: "â†’" for "→"). Returns a new string
 * (the caller frees it; *len updated) and the count of characters repaired
 * in *count. Valid single-encoded text comes back unchanged.
 */
char *import_repair_mojibake(const char *text, size_t *len, size_t *count);

/* An id from free text: lower case, words joined by '-', at most max_words
 * words and IMPORT_ID_MAX characters; never empty ("item" then). The
 * caller frees it. */
#define IMPORT_ID_MAX 64
char *import_slug(const char *text, size_t max_words);

#endif
