/*
 * exec-log.c - where a command's output goes as it arrives: a byte ring
 * (the last bytes pushed), and the log, bounded: the first half of log_cap
 * written through at once, the rest kept in a ring and written when the
 * command ends, so a chatty command cannot fill the disk.
 */
#define _GNU_SOURCE
#include "exec/exec-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>


void exec_ring_push(struct ring *r, const char *p, size_t n)
{
	r->total += n;
	if (!r->cap)
		return;
	if (n >= r->cap) {
		memcpy(r->buf, p + n - r->cap, r->cap);
		r->pos = 0;
		return;
	}
	size_t first = r->cap - r->pos < n ? r->cap - r->pos : n;
	memcpy(r->buf + r->pos, p, first);
	memcpy(r->buf, p + first, n - first);
	r->pos = (r->pos + n) % r->cap;
}


/* The kept bytes, oldest first, into out (>= cap bytes); returns how many. */
size_t exec_ring_copy(const struct ring *r, char *out)
{
	if (r->total <= r->cap) {
		memcpy(out, r->buf, r->total);
		return r->total;
	}
	memcpy(out, r->buf + r->pos, r->cap - r->pos);
	memcpy(out + r->cap - r->pos, r->buf, r->pos);
	return r->cap;
}


/* When the ring lost bytes, its first line is partial: start after it. */
size_t exec_ring_line_start(const struct ring *r, const char *lin, size_t len)
{
	if (r->total <= r->cap)
		return 0;
	const char *nl = memchr(lin, '\n', len);
	if (!nl || (size_t)(nl + 1 - lin) >= len)
		return 0;
	return (size_t)(nl + 1 - lin);
}


int exec_log_open(const struct exec_task *t)
{
	mode_t mode = (mode_t)(t->log_mode ? t->log_mode : 0600);
	int fd = open(t->log_path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOFOLLOW,
		      mode);
	if (fd >= 0) {
		/* made now: the mode asked for, not what the umask left of it */
		if (mode != 0600)
			(void)!fchmod(fd, mode);
		return exec_fd_high(fd);
	}
	if (errno != EEXIST)
		return -1;
	return exec_fd_high(open(t->log_path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW));
}

/* task.log_lazy: the log is created with the first byte to write. */
static void log_open_lazy(struct job *j)
{
	if (j->log_fd >= 0 || !j->task.log_lazy || !j->task.log_path || j->res.log_errno)
		return;
	j->log_fd = exec_log_open(&j->task);
	if (j->log_fd < 0)
		j->res.log_errno = errno;
	else
		j->res.log_opened = true;
}


static void log_write(struct job *j, const char *p, size_t n)
{
	while (n && j->log_fd >= 0 && !j->res.log_errno) {
		ssize_t w = write(j->log_fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			j->res.log_errno = errno;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}


/* Into the log: the head straight through, the rest into the ring. */
void exec_log_feed(struct job *j, const char *p, size_t n)
{
	if (n)
		log_open_lazy(j);
	if (j->log_fd < 0 || !n)
		return;
	j->log_mid_line = p[n - 1] != '\n';
	size_t direct = n < j->log_head_left ? n : j->log_head_left;
	if (direct) {
		log_write(j, p, direct);
		j->head_mid_line = p[direct - 1] != '\n';
		j->log_head_left -= direct;
		p += direct;
		n -= direct;
	}
	if (n) {
		if (!j->log_ring.buf && j->log_ring.cap)
			j->log_ring.buf = xmalloc(j->log_ring.cap);
		exec_ring_push(&j->log_ring, p, n);
	}
}


/* A line of the runner's own in the log, where it happened in the output
 * ("[tollgate: timed out …]"), so that whoever reads the log knows. */
void exec_log_note(struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void exec_log_note(struct job *j, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	log_open_lazy(j);
	if (j->log_fd < 0)
		return;
	if (j->log_mid_line)
		exec_log_feed(j, "\n", 1);
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		exec_log_feed(j, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}


void exec_log_flush(struct job *j)
{
	struct ring *lr = &j->log_ring;

	if (lr->total) {
		char *lin = xmalloc(lr->cap ? lr->cap : 1);
		size_t len = exec_ring_copy(lr, lin);
		size_t skip = exec_ring_line_start(lr, lin, len);
		if (lr->total > len - skip) {
			char mark[128];
			int m = snprintf(mark, sizeof(mark),
					 "%s[tollgate: %llu bytes of output left out]\n",
					 j->head_mid_line ? "\n" : "",
					 (unsigned long long)(lr->total - (len - skip)));
			log_write(j, mark, (size_t)m);
			j->res.log_truncated = true;
		}
		log_write(j, lin + skip, len - skip);
		free(lin);
	}
	free(lr->buf);
	memset(lr, 0, sizeof(*lr));
	exec_close_fd(&j->log_fd);
}
