/*
 * util.h - small helpers no library gives us: aborting allocators, a growable
 * string buffer, a bump arena for loaded plans, error records, time parsing and
 * "did you mean" suggestions. Everything here is free of I/O policy: nothing
 * prints, nothing exits (except the allocators on out-of-memory).
 */
#ifndef TOLLGATE_UTIL_H
#define TOLLGATE_UTIL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUG(...) util_bug(__FILE__, __LINE__, __VA_ARGS__)
void util_bug(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/* Allocation: abort on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* Grow *arr (of *alloc elements of size elsz) so that it holds at least n. */
#define ALLOC_GROW(arr, n, alloc)                                              \
	do {                                                                   \
		if ((n) > (alloc)) {                                           \
			size_t grow_ = (alloc) < 8 ? 8 : (alloc) * 2;          \
			if (grow_ < (n))                                       \
				grow_ = (n);                                   \
			(arr) = xrealloc((arr), grow_ * sizeof(*(arr)));       \
			(alloc) = grow_;                                       \
		}                                                              \
	} while (0)

/* A growable, always NUL-terminated byte buffer. */
struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};
#define STRBUF_INIT { NULL, 0, 0 }
void strbuf_init(struct strbuf *sb);
void strbuf_release(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
/* Give the buffer to the caller (never NULL); sb is reset. */
char *strbuf_detach(struct strbuf *sb);
/* Read a whole regular file; limit caps its size (0: none). -1 with errno on
 * failure: EFBIG when it exceeds limit, EISDIR for a folder, ENODEV for
 * anything else that is not a regular file (a FIFO, a device, a socket:
 * refused, never waited on). */
int strbuf_read_file(struct strbuf *sb, const char *path, size_t limit);
/* Read all of fd until EOF. */
int strbuf_read_fd(struct strbuf *sb, int fd);
/* The same, -1 with errno EFBIG once more than limit bytes came (0: none). */
int strbuf_read_fd_limit(struct strbuf *sb, int fd, size_t limit);

/* A bump arena: load, use, free once. */
struct arena_block;
struct arena {
	struct arena_block *head;
};
void arena_init(struct arena *a);
void arena_release(struct arena *a);
void *arena_alloc(struct arena *a, size_t n); /* zeroed, 16-aligned */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);

/*
 * An error record filled by library code. Only main.c and cmd/ print it.
 * file/line/col are set (line > 0) when the error points into a plan file.
 *
 * code picks the exit status; reason says why, for callers that must branch
 * (the CLI's level-3 response, the HTTP layer's status table): test the
 * reason, never the message text. The first error set wins: later err_set
 * calls on a filled record change nothing (err_init clears it).
 */
enum err_code {
	ERR_NONE = 0,
	ERR_FAILED = 1,   /* an operation failed: exit 1 */
	ERR_USAGE = 2,    /* bad input, bad plan, unknown id: exit 2 */
	ERR_NOT_READY = 3 /* refused by a readiness rule or a permission: exit 3 */
};
enum err_reason {
	REASON_NONE = 0,
	REASON_FAILED,    /* an operation ran and failed (a step, a check, a rollback) */
	REASON_IO,        /* the store or a file could not be read or written */
	REASON_INVALID,   /* bad input: a flag, a value, a plan */
	REASON_NOT_FOUND, /* an id that the plan or the store does not have */
	REASON_NOT_READY, /* a readiness rule stops it */
	REASON_FORBIDDEN, /* the acting person may not do it */
	REASON_BUSY,      /* another run holds what it needs (a lease) */
	REASON_CONFLICT,  /* the state does not allow it (nothing to roll back, resolved) */
	REASON_CANCELLED, /* the run was cancelled */
};
/* "failed", "io", "invalid", "not_found", … ("none" for REASON_NONE). */
const char *err_reason_name(enum err_reason r);
struct err {
	enum err_code code;
	enum err_reason reason;
	char msg[1024];
	char file[512];
	int line, col;
};
void err_init(struct err *e);
/* Set e unless it already holds an error (first error wins); the reason is
 * the code's default (FAILED, INVALID, NOT_READY). Returns -1 for
 * `return err_set(...)`. e may be NULL. */
int err_set(struct err *e, enum err_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int err_setv(struct err *e, enum err_code code, const char *fmt, va_list ap);
/* The same with an explicit reason. */
int err_setr(struct err *e, enum err_code code, enum err_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int err_setrv(struct err *e, enum err_code code, enum err_reason reason, const char *fmt,
	      va_list ap);
/* Copy src into dst unless dst already holds an error. */
void err_copy(struct err *dst, const struct err *src);
static inline bool err_is(const struct err *e, enum err_reason r)
{
	return e && e->code != ERR_NONE && e->reason == r;
}

/*
 * A run's cancellation token: whoever stops a run (the CLI's signal handler,
 * the server's shutdown) raises its level; the run reads it between steps.
 * 0 running, 1 let running steps finish and start nothing new, 2 stop the
 * running steps now. Lock-free, so cancel_raise is safe in a signal handler
 * and across threads. Each run has its own; nothing here is process-wide.
 */
struct cancel_token {
	atomic_int level;
};
static inline void cancel_init(struct cancel_token *t)
{
	atomic_init(&t->level, 0);
}
/* Raise the level to at least `level` (never lowers it). */
static inline void cancel_raise(struct cancel_token *t, int level)
{
	int cur = atomic_load(&t->level);
	while (cur < level && !atomic_compare_exchange_weak(&t->level, &cur, level))
		;
}
/* 0 when t is NULL. */
static inline int cancel_level(const struct cancel_token *t)
{
	return t ? atomic_load(&((struct cancel_token *)t)->level) : 0;
}

/* Time. All times are UTC seconds since the epoch. */
/* now(): TOLLGATE_NOW (RFC 3339) when set and valid, else the real clock.
 * Returns -1 and fills e when TOLLGATE_NOW is set but malformed. */
int util_now(int64_t *out, struct err *e);
/* "2026-01-10" (midnight UTC) or RFC 3339 "2026-01-10T09:00:00Z" / "+01:00". 0 ok, -1 bad. */
int util_parse_time(const char *s, int64_t *out);
/* "2026-01-10" only. */
int util_parse_date(const char *s, int64_t *out);
/* "30s", "15m", "24h", "7d", "0s"; also "1h30m". 0 ok, -1 bad. */
int util_parse_duration(const char *s, int64_t *out_seconds);
/* Format as RFC 3339 UTC "2026-01-10T09:00:00Z" into buf (>= 21 bytes). */
char *util_fmt_time(int64_t t, char *buf, size_t n);
/* "2026-01-10" into buf (>= 11 bytes). */
char *util_fmt_date(int64_t t, char *buf, size_t n);
/* "Jan 10" / "Jan 10, 2026" style for reports. */
char *util_fmt_short_date(int64_t t, bool with_year, char *buf, size_t n);
/* "24h", "15m", "1h30m", "0s". */
char *util_fmt_duration(int64_t s, char *buf, size_t n);

/* Levenshtein distance, capped: returns max+1 when larger. */
size_t util_edit_distance(const char *a, const char *b, size_t max);
/* The closest of cands[0..n) to word, or NULL when none is close enough. */
const char *util_suggest(const char *word, const char *const *cands, size_t n);
/* The same, fed one candidate at a time (for ids kept in structs). */
struct suggest {
	const char *word;
	const char *best;
	size_t best_dist;
};
void suggest_init(struct suggest *s, const char *word);
void suggest_add(struct suggest *s, const char *cand);
const char *suggest_result(const struct suggest *s); /* NULL: nothing close */

/*
 * Text from outside (a plan, an argument, a file, a step's output) is UTF-8
 * or refused at the door; text that reaches a terminal or a report is
 * neutralised, so that no escape sequence, bell or forged line gets through.
 */
/* The length (1..4) of the valid UTF-8 sequence at s (avail bytes there),
 * or 0 when it is not one (overlong, surrogate, past U+10FFFF, cut short). */
size_t util_utf8_seq(const unsigned char *s, size_t avail);
/* Is s[0..n) valid UTF-8? When not and bad is non-NULL, *bad gets the
 * offset of the first bad byte. */
bool util_utf8_valid(const char *s, size_t n, size_t *bad);
/* Neutralise s in place: C0 controls, DEL, C1 controls (U+0080..U+009F)
 * and bytes that are not valid UTF-8 become '?', byte for byte; with keep_newlines, '\n'
 * and '\t' stay (multi-line text such as a step's output tail). */
void util_scrub(char *s, bool keep_newlines);
/* Append s to sb neutralised as util_scrub does (NULL appends nothing). */
void strbuf_add_scrubbed(struct strbuf *sb, const char *s, bool keep_newlines);

/*
 * A folder tollgate makes for its own files (.tollgate, runs, checks): made
 * with mode (0700: step logs and the store may hold secrets), or, when it is
 * there already, accepted only as a real folder: a symlink there is refused
 * (errno ELOOP), so that nobody can point tollgate's writes elsewhere; any
 * other file, ENOTDIR. 0 ok, -1 with errno.
 */
int util_mkdir_own(const char *path, unsigned mode);
/*
 * The same, and the mode holds whatever the umask: a folder made here gets
 * exactly mode (setgid too); with enforce, a folder already there that
 * this user owns gets it too (the plan's store_mode, written explicitly),
 * special bits it has kept. 0 ok, -1 with errno.
 */
int util_mkdir_mode(const char *path, unsigned mode, bool enforce);

/* An id is [A-Za-z0-9_.-]+ */
bool util_valid_id(const char *s);

#endif
