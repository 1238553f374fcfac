/*
 * cmd-output.c - what the CLI writes as text is read by a person, on a
 * terminal or in a file: no byte of it may drive the terminal. Plan titles,
 * notes, incident texts, versions, a step's output and the arguments people
 * typed all end up in that text, as the store keeps them. So stdout (in text
 * mode) and stderr go through a filter: C0 controls but newline and tab,
 * carriage return, DEL, C1 controls (U+0080..U+009F) and every escape
 * sequence become '?', except SGR colour sequences (ESC [ digits/; m),
 * which tollgate itself writes on a terminal and which cannot move the
 * cursor, clear the screen, ring the bell or set a window title. The live
 * view's own cursor movements go around the filter (cmd_output_raw).
 *
 * Newlines inside one field (a forged `log` row) are the printers' business:
 * they scrub single-line fields with util_scrub(…, false).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"

enum { S_TEXT, S_C2, S_ESC, S_CSI };

struct safe_out {
	int fd;
	int state;
	char pend[24]; /* an escape sequence not decided yet */
	size_t npend;
	char *buf; /* what one write call produces */
	size_t len, alloc;
};

static void put(struct safe_out *o, const char *p, size_t n)
{
	ALLOC_GROW(o->buf, o->len + n, o->alloc);
	memcpy(o->buf + o->len, p, n);
	o->len += n;
}

/* The pending escape sequence is not one we let through: its ESC is shown
 * as '?', the rest as the text it is. */
static void refuse_pending(struct safe_out *o)
{
	put(o, "?", 1);
	if (o->npend > 1)
		put(o, o->pend + 1, o->npend - 1);
	o->npend = 0;
	o->state = S_TEXT;
}

static void filter(struct safe_out *o, unsigned char c)
{
	switch (o->state) {
	case S_C2:
		o->state = S_TEXT;
		if (c >= 0x80 && c <= 0x9f) { /* a C1 control, CSI among them */
			put(o, "?", 1);
			return;
		}
		put(o, "\xc2", 1);
		break;
	case S_ESC:
		if (c == '[') {
			o->pend[o->npend++] = (char)c;
			o->state = S_CSI;
			return;
		}
		refuse_pending(o);
		break;
	case S_CSI:
		if ((c >= '0' && c <= '9') || c == ';') {
			if (o->npend < sizeof(o->pend)) {
				o->pend[o->npend++] = (char)c;
				return;
			}
			refuse_pending(o);
			break;
		}
		if (c == 'm') { /* SGR: colour only */
			put(o, o->pend, o->npend);
			put(o, "m", 1);
			o->npend = 0;
			o->state = S_TEXT;
			return;
		}
		refuse_pending(o);
		break;
	}
	if (c == 0x1b) {
		o->pend[0] = (char)c;
		o->npend = 1;
		o->state = S_ESC;
	} else if (c == 0xc2) {
		o->state = S_C2;
	} else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
		put(o, "?", 1);
	} else {
		put(o, (const char *)&c, 1);
	}
}

static ssize_t safe_write(void *cookie, const char *data, size_t n)
{
	struct safe_out *o = cookie;
	size_t off = 0;

	o->len = 0;
	for (size_t i = 0; i < n;) {
		/* plain text (the bulk of every output) is copied in runs */
		size_t run = 0;
		while (o->state == S_TEXT && i + run < n) {
			unsigned char c = (unsigned char)data[i + run];
			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c == 0x1b || c == 0xc2)
				break;
			run++;
		}
		if (run) {
			put(o, data + i, run);
			i += run;
			continue;
		}
		filter(o, (unsigned char)data[i++]);
	}
	while (off < o->len) {
		ssize_t w = write(o->fd, o->buf + off, o->len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	return (ssize_t)n;
}

static int safe_close(void *cookie)
{
	struct safe_out *o = cookie;
	int rc = 0;
	if (o->npend || o->state != S_TEXT) {
		/* a sequence cut off by the end: shown, never obeyed */
		o->len = 0;
		if (o->state == S_C2)
			put(o, "\xc2", 1);
		else
			refuse_pending(o);
		if (write(o->fd, o->buf, o->len) < 0)
			rc = -1;
	}
	free(o->buf);
	free(o);
	return rc;
}

static FILE *safe_stream(int fd, int mode)
{
	struct safe_out *o = xcalloc(1, sizeof(*o));
	cookie_io_functions_t io = { .write = safe_write, .close = safe_close };
	FILE *f;

	o->fd = fd;
	f = fopencookie(o, "w", io);
	if (!f) {
		free(o);
		return NULL;
	}
	setvbuf(f, NULL, mode, BUFSIZ);
	return f;
}

/* the CLI's one process-wide set-up: the streams it replaced */
static FILE *orig_stdout, *orig_stderr;

/* At exit: flush and close the filters (what they hold is written, their
 * memory freed) and give the process its own streams back. */
static void output_finish(void)
{
	if (orig_stdout) {
		FILE *f = stdout;
		stdout = orig_stdout;
		orig_stdout = NULL;
		fclose(f);
	}
	if (orig_stderr) {
		FILE *f = stderr;
		stderr = orig_stderr;
		orig_stderr = NULL;
		fclose(f);
	}
}

void cmd_output_safe(bool text_stdout)
{
	static bool registered;
	FILE *f;
	fflush(stdout);
	fflush(stderr);
	if (!registered) {
		atexit(output_finish);
		registered = true;
	}
	if (text_stdout && !orig_stdout &&
	    (f = safe_stream(STDOUT_FILENO, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF))) {
		orig_stdout = stdout;
		stdout = f;
	}
	if (!orig_stderr && (f = safe_stream(STDERR_FILENO, _IOLBF))) {
		orig_stderr = stderr;
		stderr = f;
	}
}

void cmd_output_raw(const char *bytes)
{
	size_t n = strlen(bytes), off = 0;
	fflush(stdout);
	while (off < n) {
		ssize_t w = write(STDOUT_FILENO, bytes + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}
