/*
 * util.c - allocation, strbuf, arena, errors, time and suggestions.
 * See util.h for the contracts.
 */
#define _GNU_SOURCE
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void util_bug(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "tollgate: BUG: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void oom(void)
{
	fputs("tollgate: fatal: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom();
	return q;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_vaddf(&sb, fmt, ap);
	return strbuf_detach(&sb);
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

/* strbuf */

void strbuf_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = 0;
	sb->alloc = 0;
}

void strbuf_release(struct strbuf *sb)
{
	free(sb->buf);
	strbuf_init(sb);
}

void strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;
	if (need < sb->len)
		oom();
	ALLOC_GROW(sb->buf, need, sb->alloc);
}

void strbuf_add(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_grow(sb, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void strbuf_addstr(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addch(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	strbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		BUG("vsnprintf failed");
	if ((size_t)n >= sb->alloc - sb->len) {
		strbuf_grow(sb, (size_t)n);
		va_copy(cp, ap);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
		va_end(cp);
	}
	sb->len += (size_t)n;
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *strbuf_detach(struct strbuf *sb)
{
	char *p;
	if (!sb->buf)
		strbuf_grow(sb, 0);
	p = sb->buf;
	p[sb->len] = '\0';
	strbuf_init(sb);
	return p;
}

/* Read fd to EOF; with a limit, stop with EFBIG once more than limit bytes
 * came (an endless input such as /dev/zero or a FIFO ends there). */
static int read_fd_bounded(struct strbuf *sb, int fd, size_t limit)
{
	for (;;) {
		ssize_t n;
		strbuf_grow(sb, 65536);
		n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0)
			break;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
		if (limit && sb->len > limit) {
			errno = EFBIG;
			return -1;
		}
	}
	return 0;
}

int strbuf_read_fd(struct strbuf *sb, int fd)
{
	return read_fd_bounded(sb, fd, 0);
}

int strbuf_read_fd_limit(struct strbuf *sb, int fd, size_t limit)
{
	return read_fd_bounded(sb, fd, limit);
}

int strbuf_read_file(struct strbuf *sb, const char *path, size_t limit)
{
	struct stat st;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is
	 * refused below, and a regular file reads the same either way */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = ENODEV;
		return -1;
	}
	if (limit && S_ISREG(st.st_mode) && (size_t)st.st_size > limit) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	if (read_fd_bounded(sb, fd, limit) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	if (limit && sb->len > limit) {
		errno = EFBIG;
		return -1;
	}
	return 0;
}

/* arena */

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

void arena_init(struct arena *a)
{
	a->head = NULL;
}

void arena_release(struct arena *a)
{
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
}

/* Room for n bytes, not zeroed. */
static void *arena_alloc_raw(struct arena *a, size_t n)
{
	struct arena_block *b = a->head;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (!b || b->size - b->used < n) {
		size_t size = n > 65536 - sizeof(*b) ? n : 65536 - sizeof(*b);
		b = xmalloc(sizeof(*b) + size);
		b->size = size;
		b->used = 0;
		if (a->head && n > 65536 - sizeof(*b)) {
			/* a large block goes behind the current one to keep its space */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = b->data + b->used;
	b->used += n;
	return p;
}

void *arena_alloc(struct arena *a, size_t n)
{
	void *p = arena_alloc_raw(a, n);
	memset(p, 0, n);
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc_raw(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* errors */

void err_init(struct err *e)
{
	memset(e, 0, sizeof(*e));
}

static enum err_reason default_reason(enum err_code code)
{
	switch (code) {
	case ERR_NONE: return REASON_NONE;
	case ERR_FAILED: return REASON_FAILED;
	case ERR_USAGE: return REASON_INVALID;
	case ERR_NOT_READY: return REASON_NOT_READY;
	}
	return REASON_FAILED;
}

const char *err_reason_name(enum err_reason r)
{
	static const char *const names[] = {
		[REASON_NONE] = "none",           [REASON_FAILED] = "failed",
		[REASON_IO] = "io",               [REASON_INVALID] = "invalid",
		[REASON_NOT_FOUND] = "not_found", [REASON_NOT_READY] = "not_ready",
		[REASON_FORBIDDEN] = "forbidden", [REASON_BUSY] = "busy",
		[REASON_CONFLICT] = "conflict",   [REASON_CANCELLED] = "cancelled",
	};
	return (size_t)r < ARRAY_SIZE(names) && names[r] ? names[r] : "failed";
}

int err_setrv(struct err *e, enum err_code code, enum err_reason reason, const char *fmt,
	      va_list ap)
{
	if (!e || e->code != ERR_NONE)
		return -1;
	e->code = code;
	e->reason = reason == REASON_NONE ? default_reason(code) : reason;
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	return -1;
}

int err_setv(struct err *e, enum err_code code, const char *fmt, va_list ap)
{
	return err_setrv(e, code, REASON_NONE, fmt, ap);
}

int err_set(struct err *e, enum err_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_setrv(e, code, REASON_NONE, fmt, ap);
	va_end(ap);
	return -1;
}

int err_setr(struct err *e, enum err_code code, enum err_reason reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err_setrv(e, code, reason, fmt, ap);
	va_end(ap);
	return -1;
}

void err_copy(struct err *dst, const struct err *src)
{
	if (dst && src && dst->code == ERR_NONE && src->code != ERR_NONE)
		*dst = *src;
}

/* time */

static int parse_digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* days since 1970-01-01 for a civil date (Howard Hinnant's algorithm) */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int parse_date_prefix(const char **p, int64_t *days)
{
	int y, m, d;
	if (parse_digits(p, 4, &y) || **p != '-')
		return -1;
	(*p)++;
	if (parse_digits(p, 2, &m) || **p != '-')
		return -1;
	(*p)++;
	if (parse_digits(p, 2, &d))
		return -1;
	if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*days = days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

int util_parse_date(const char *s, int64_t *out)
{
	int64_t days;
	if (!s || parse_date_prefix(&s, &days) || *s)
		return -1;
	*out = days * 86400;
	return 0;
}

int util_parse_time(const char *s, int64_t *out)
{
	int64_t days;
	int h, mi, sec, oh, om;
	int64_t t;

	if (!s || parse_date_prefix(&s, &days))
		return -1;
	if (!*s) {
		*out = days * 86400;
		return 0;
	}
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (parse_digits(&s, 2, &h) || *s++ != ':' || parse_digits(&s, 2, &mi))
		return -1;
	sec = 0;
	if (*s == ':') {
		s++;
		if (parse_digits(&s, 2, &sec))
			return -1;
		if (*s == '.') { /* fractional seconds: ignored */
			s++;
			if (!isdigit((unsigned char)*s))
				return -1;
			while (isdigit((unsigned char)*s))
				s++;
		}
	}
	if (h > 23 || mi > 59 || sec > 60)
		return -1;
	t = days * 86400 + h * 3600 + mi * 60 + sec;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s == '-' ? -1 : 1;
		s++;
		if (parse_digits(&s, 2, &oh) || *s++ != ':' || parse_digits(&s, 2, &om))
			return -1;
		if (oh > 23 || om > 59)
			return -1;
		t -= sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*s)
		return -1;
	*out = t;
	return 0;
}

int util_now(int64_t *out, struct err *e)
{
	const char *env = getenv("TOLLGATE_NOW");
	if (env && *env) {
		if (util_parse_time(env, out) < 0)
			return err_set(e, ERR_USAGE,
				       "TOLLGATE_NOW '%s' is not an RFC 3339 time; use e.g. 2026-01-10T09:00:00Z",
				       env);
		return 0;
	}
	*out = (int64_t)time(NULL);
	return 0;
}

int util_parse_duration(const char *s, int64_t *out)
{
	int64_t total = 0;
	if (!s || !*s)
		return -1;
	while (*s) {
		int64_t v = 0, mult;
		if (!isdigit((unsigned char)*s))
			return -1;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s - '0');
			if (v > 100000000)
				return -1;
			s++;
		}
		switch (*s) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		case 'w': mult = 7 * 86400; break;
		default: return -1;
		}
		s++;
		total += v * mult;
		if (total > (int64_t)100000000 * 86400) /* ~270,000 years is enough */
			return -1;
	}
	*out = total;
	return 0;
}

static void civil_from_t(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;
	gmtime_r(&tt, tm);
}

char *util_fmt_time(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	civil_from_t(t, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

char *util_fmt_date(int64_t t, char *buf, size_t n)
{
	struct tm tm;
	civil_from_t(t, &tm);
	strftime(buf, n, "%Y-%m-%d", &tm);
	return buf;
}

char *util_fmt_short_date(int64_t t, bool with_year, char *buf, size_t n)
{
	static const char *mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	civil_from_t(t, &tm);
	if (with_year)
		snprintf(buf, n, "%s %d, %d", mon[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900);
	else
		snprintf(buf, n, "%s %d", mon[tm.tm_mon], tm.tm_mday);
	return buf;
}

char *util_fmt_duration(int64_t s, char *buf, size_t n)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' }
	};
	size_t off = 0;
	if (s <= 0) {
		snprintf(buf, n, "0s");
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(units) && off < n; i++) {
		/* "24h" reads better than "1d": only use days for whole days > 1 */
		if (units[i].unit == 'd' && (s % 86400 != 0 || s == 86400))
			continue;
		if (s >= units[i].secs) {
			int w = snprintf(buf + off, n - off, "%lld%c",
					 (long long)(s / units[i].secs), units[i].unit);
			if (w < 0)
				break;
			off += (size_t)w;
			s %= units[i].secs;
		}
	}
	return buf;
}

/* suggestions */

size_t util_edit_distance(const char *a, const char *b, size_t max)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row, best;

	if ((la > lb ? la - lb : lb - la) > max)
		return max + 1;
	if (la > 256 || lb > 256)
		return max + 1;
	row = xmalloc((lb + 1) * sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		best = row[0];
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]);
			size_t v = prev + cost;
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			prev = cur;
			if (v < best)
				best = v;
		}
		if (best > max) {
			free(row);
			return max + 1;
		}
	}
	best = row[lb];
	free(row);
	return best > max ? max + 1 : best;
}

void suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->best = NULL;
	s->best_dist = (size_t)-1;
}

void suggest_add(struct suggest *s, const char *cand)
{
	size_t len = strlen(s->word), max, d;
	if (!cand)
		return;
	max = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	d = util_edit_distance(s->word, cand, max);
	if (d <= max && d < s->best_dist) {
		s->best = cand;
		s->best_dist = d;
	}
}

const char *suggest_result(const struct suggest *s)
{
	return s->best;
}

const char *util_suggest(const char *word, const char *const *cands, size_t n)
{
	struct suggest s;
	suggest_init(&s, word);
	for (size_t i = 0; i < n; i++)
		suggest_add(&s, cands[i]);
	return suggest_result(&s);
}

bool util_valid_id(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

/* text from outside */

size_t util_utf8_seq(const unsigned char *u, size_t avail)
{
	size_t len;
	if (!avail)
		return 0;
	if (u[0] < 0x80)
		return 1;
	if (u[0] >= 0xc2 && u[0] <= 0xdf)
		len = 2;
	else if ((u[0] & 0xf0) == 0xe0)
		len = 3;
	else if (u[0] >= 0xf0 && u[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > avail)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	if (len == 3 && ((u[0] == 0xe0 && u[1] < 0xa0) || (u[0] == 0xed && u[1] >= 0xa0)))
		return 0;
	if (len == 4 && ((u[0] == 0xf0 && u[1] < 0x90) || (u[0] == 0xf4 && u[1] >= 0x90)))
		return 0;
	return len;
}

bool util_utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		size_t len = util_utf8_seq(u + i, n - i);
		if (!len) {
			if (bad)
				*bad = i;
			return false;
		}
		i += len;
	}
	return true;
}

static bool scrub_keeps(unsigned char c, bool keep_newlines)
{
	return keep_newlines && (c == '\n' || c == '\t');
}

void util_scrub(char *s, bool keep_newlines)
{
	unsigned char *u = (unsigned char *)s;
	size_t n = strlen(s);
	size_t i = 0;
	while (i < n) {
		size_t len = util_utf8_seq(u + i, n - i);
		if (len == 1 && (u[i] < 0x20 || u[i] == 0x7f) && !scrub_keeps(u[i], keep_newlines))
			len = 0;
		else if (len == 2 && u[i] == 0xc2 && u[i + 1] < 0xa0) /* C1 */
			len = 0;
		if (!len) {
			u[i++] = '?';
			continue;
		}
		i += len;
	}
}

void strbuf_add_scrubbed(struct strbuf *sb, const char *s, bool keep_newlines)
{
	size_t at;
	if (!s)
		return;
	at = sb->len;
	strbuf_addstr(sb, s);
	util_scrub(sb->buf + at, keep_newlines);
}

int util_mkdir_own(const char *path, unsigned mode)
{
	return util_mkdir_mode(path, mode, false);
}

int util_mkdir_mode(const char *path, unsigned mode, bool enforce)
{
	struct stat st;
	if (mkdir(path, (mode_t)mode) == 0)
		/* the umask took bits away (and mkdir sets no setgid): give them
		 * back, the plan asked; a setgid inherited from the parent stays */
		return lstat(path, &st) == 0 && ((st.st_mode & 0777) != (mode & 0777) ||
						 (mode & ~st.st_mode & 07000))
			       ? chmod(path, (mode_t)((st.st_mode & 07000) | (mode & 07777)))
			       : 0;
	if (errno != EEXIST)
		return -1;
	if (lstat(path, &st) < 0)
		return -1;
	if (S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (enforce && st.st_uid == geteuid() &&
	    ((st.st_mode & 0777) != (mode & 0777) || (mode & ~st.st_mode & 07000)) &&
	    chmod(path, (mode_t)((st.st_mode & 07000) | (mode & 07777))) < 0)
		return -1;
	return 0;
}
