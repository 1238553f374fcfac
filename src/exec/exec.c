/*
 * exec.c - the parallel process runner (see exec.h for the contracts).
 *
 * A child is started with posix_spawn (a vfork-style clone in glibc, so the
 * cost does not grow with our address space): /bin/sh -c CMD, or the
 * program itself for a plain one-program command (see plain_argv), its own
 * process group, stdin from /dev/null, stdout and stderr into a pipe, every
 * other descriptor closed (closefrom in the child, and O_CLOEXEC on all of
 * ours besides). With more than one slot the spawns run on a thread of
 * their own (posix_spawn waits for the child's exec, which on a loaded
 * machine is milliseconds the caller can use). The parent waits in one
 * ppoll() over the pipes, a pidfd per child and the spawner's wake pipe;
 * deadlines (timeouts, the SIGTERM→SIGKILL grace, ticks) set the ppoll
 * timeout, so nothing ever sleeps or spins.
 *
 * Output goes three ways as it arrives: to the log (the first half of
 * log_cap written through at once, the rest kept in a ring and written when
 * the command ends, so a chatty command cannot fill the disk), to a 4 KiB
 * ring that becomes result.tail, and, for a measure, stdout alone into
 * result.out up to capture_cap.
 */
#define _GNU_SOURCE
#include "exec/exec.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* After its leader exits, how long a task waits for the pipes to close: a
 * background process that kept stdout open must not hold the step hostage. */
#define LINGER_MS 100
#define TICK_MS_DEFAULT 250
#define FALLBACK_MAX_MS 50
#define READ_CHUNK 65536

int64_t exec_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t exec_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- a byte ring keeping the last cap bytes pushed ---- */

struct ring {
	char *buf;
	size_t cap, pos;
	uint64_t total;
};

static void ring_push(struct ring *r, const char *p, size_t n)
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
static size_t ring_copy(const struct ring *r, char *out)
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
static size_t ring_line_start(const struct ring *r, const char *lin, size_t len)
{
	if (r->total <= r->cap)
		return 0;
	const char *nl = memchr(lin, '\n', len);
	if (!nl || (size_t)(nl + 1 - lin) >= len)
		return 0;
	return (size_t)(nl + 1 - lin);
}

/* ---- results ---- */

void exec_result_init(struct exec_result *r)
{
	memset(r, 0, sizeof(*r));
	r->exit_code = -1;
}

void exec_result_release(struct exec_result *r)
{
	free(r->tail);
	free(r->out);
	exec_result_init(r);
}

int64_t exec_result_ms(const struct exec_result *r)
{
	return r->pid ? r->end_mono_ms - r->start_mono_ms : 0;
}

bool exec_result_ok(const struct exec_result *r)
{
	return !r->spawn_errno && !r->timed_out && !r->cancelled &&
	       !r->term_signal && r->exit_code == 0;
}

char *exec_result_describe(const struct exec_result *r, const struct exec_task *t,
			   char *buf, size_t n)
{
	if (r->spawn_errno) {
		snprintf(buf, n, "could not start: %s", r->spawn_error);
	} else if (r->timed_out) {
		int64_t ms = t ? t->timeout_ms : 0;
		if (ms > 0 && ms % 1000 == 0) {
			char d[32];
			snprintf(buf, n, "timed out after %s",
				 util_fmt_duration(ms / 1000, d, sizeof(d)));
		} else {
			snprintf(buf, n, "timed out after %lld ms", (long long)ms);
		}
	} else if (r->cancelled) {
		snprintf(buf, n, "cancelled");
	} else if (r->term_signal) {
		snprintf(buf, n, "killed by signal %d (%s)", r->term_signal,
			 strsignal(r->term_signal));
	} else {
		snprintf(buf, n, "exited with status %d", r->exit_code);
	}
	return buf;
}

/* ---- one running task ---- */

enum phase {
	PH_RUNNING,   /* nothing sent */
	PH_TERM_SENT, /* SIGTERM sent to the group; SIGKILL at deadline */
	PH_KILL_SENT
};

struct job {
	bool used;
	bool exited;   /* reaped */
	bool split;    /* fd[0] is stdout alone, fd[1] stderr */
	enum phase phase;
	struct exec_task task;
	struct exec_result res;
	int pidfd;     /* -1: none (fallback waiting) */
	int fd[2];     /* read ends; -1 once closed */
	int64_t deadline;     /* mono ms of the next timeout action */
	int64_t linger_until; /* after exit: give up on the pipes */
	int64_t grace_ms;
	int log_fd;
	size_t log_head_left; /* written through before the ring takes over */
	bool log_mid_line;    /* the last byte logged was not a newline */
	bool head_mid_line;   /* nor the last byte of the head */
	struct ring log_ring; /* buf allocated on first use */
	struct ring tail;
	char tail_buf[EXEC_TAIL_CAP];
	struct strbuf out;
	size_t capture_cap;
	/* the start (job_prepare → job_spawn → job_started) */
	bool spawning;       /* in the spawner thread's hands */
	bool cancel_pending; /* cancelled while spawning: terminate once started */
	bool prepared;       /* attr and fa initialised */
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	char **envp;
	char *argv[4];   /* sh -c CMD */
	char **direct;   /* the program and its words, when started directly */
	char *pwd;       /* "PWD=…" added to envp, or NULL */
	int child_fd[2]; /* the pipes' write ends, ours until the spawn is done */
	int spawn_rc;
	pid_t spawn_pid;
};

struct runner {
	const struct exec_opts *o;
	struct job *jobs;
	int njobs;
	int running;
	bool idle;     /* next_task said 0 and no task has finished since */
	bool no_pidfd;
	int64_t fallback_ms;
	struct pollfd *pfd;
	struct job **pjob; /* pfd[i] belongs to pjob[i] */
	int *pkind;        /* 0, 1: fd[k]; 2: pidfd; 3: the spawner's wake pipe */
	char buf[READ_CHUNK];
	/* the spawner thread (with max_jobs > 1) */
	bool threaded;
	pthread_t spawner;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job **todo, **done; /* guarded by mu */
	size_t ntodo, ndone;
	bool quit;
	int wake[2];
};

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int fd_high(int fd);

/* task.log_lazy: the log is created with the first byte to write. */
static void log_open_lazy(struct job *j)
{
	if (j->log_fd >= 0 || !j->task.log_lazy || !j->task.log_path || j->res.log_errno)
		return;
	j->log_fd = fd_high(open(j->task.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
	if (j->log_fd < 0)
		j->res.log_errno = errno;
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
static void log_feed(struct job *j, const char *p, size_t n)
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
		ring_push(&j->log_ring, p, n);
	}
}

/* A line of the runner's own in the log, where it happened in the output
 * ("[tollgate: timed out …]"), so that whoever reads the log knows. */
static void log_note(struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void log_note(struct job *j, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	log_open_lazy(j);
	if (j->log_fd < 0)
		return;
	if (j->log_mid_line)
		log_feed(j, "\n", 1);
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		log_feed(j, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* stream: 0 stdout+stderr mixed, 1 stdout alone, 2 stderr alone. */
static void job_feed(struct job *j, int stream, const char *p, size_t n)
{
	j->res.output_bytes += n;
	ring_push(&j->tail, p, n);
	if (stream == 1 && j->task.capture_stdout) {
		size_t room = j->capture_cap - j->out.len;
		strbuf_add(&j->out, p, n < room ? n : room);
		if (n > room)
			j->res.out_truncated = true;
	}
	log_feed(j, p, n);
}

/* One read from fd[k]; closes it at EOF. Returns bytes read, 0 at EOF or
 * when nothing was there. */
static ssize_t job_read(struct runner *r, struct job *j, int k)
{
	ssize_t n = read(j->fd[k], r->buf, sizeof(r->buf));
	if (n > 0) {
		job_feed(j, j->split ? k + 1 : 0, r->buf, (size_t)n);
		return n;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR))
		close_fd(&j->fd[k]);
	return 0;
}

static void job_drain(struct runner *r, struct job *j)
{
	for (int k = 0; k < 2; k++)
		while (j->fd[k] >= 0 && job_read(r, j, k) > 0)
			;
}

static void job_signal(struct job *j, int sig)
{
	if (j->res.pgid > 1)
		kill(-j->res.pgid, sig);
}

/* Ask the group to stop: SIGTERM now (and SIGCONT, should it be stopped),
 * SIGKILL when the grace runs out. */
static void job_terminate(struct job *j, int64_t now, bool cancelled)
{
	if (j->spawning) {
		j->cancel_pending = true;
		return;
	}
	if (j->exited || j->phase != PH_RUNNING)
		return;
	if (cancelled)
		j->res.cancelled = true;
	else
		j->res.timed_out = true;
	job_signal(j, SIGTERM);
	job_signal(j, SIGCONT);
	log_note(j, "[tollgate: %s: SIGTERM sent to process group %d]\n",
		 cancelled ? "cancelled" : "timed out", (int)j->res.pgid);
	j->phase = PH_TERM_SENT;
	j->deadline = now + j->grace_ms;
}

static void job_deadline(struct job *j, int64_t now)
{
	if (j->exited || j->deadline > now)
		return;
	if (j->phase == PH_RUNNING) {
		job_terminate(j, now, false);
	} else if (j->phase == PH_TERM_SENT) {
		job_signal(j, SIGKILL);
		log_note(j, "[tollgate: still running after %lld ms: SIGKILL sent]\n",
			 (long long)j->grace_ms);
		j->phase = PH_KILL_SENT;
		j->deadline = INT64_MAX;
	}
}

/* The leader has exited (it is a zombie): reap it and collect the rest of
 * its output. */
static void job_exited(struct runner *r, struct job *j, int64_t now)
{
	int st = 0;
	pid_t w;

	/* What is left of a group we terminated dies with its leader; the
	 * zombie leader keeps the pgid from being reused until we reap it. */
	if (j->phase != PH_RUNNING)
		job_signal(j, SIGKILL);
	do
		w = waitpid(j->res.pid, &st, 0);
	while (w < 0 && errno == EINTR);
	j->exited = true;
	j->res.end_mono_ms = now;
	j->res.end_wall_ms = exec_wall_ms();
	if (w == j->res.pid && WIFEXITED(st)) {
		j->res.exit_code = WEXITSTATUS(st);
	} else if (w == j->res.pid && WIFSIGNALED(st)) {
		j->res.exit_code = -1;
		j->res.term_signal = WTERMSIG(st);
	}
	/* else: reaped by someone else (SIGCHLD ignored): status unknown */
	close_fd(&j->pidfd);
	job_drain(r, j);
	j->linger_until = now + LINGER_MS;
}

/* Not reaped yet and no pidfd: has it exited? (WNOWAIT keeps the zombie, and
 * with it the pgid, until job_exited.) */
static bool job_poll_exit(struct job *j)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)j->res.pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return si.si_pid != 0;
}

static void job_flush_log(struct job *j)
{
	struct ring *lr = &j->log_ring;

	if (lr->total) {
		char *lin = xmalloc(lr->cap ? lr->cap : 1);
		size_t len = ring_copy(lr, lin);
		size_t skip = ring_line_start(lr, lin, len);
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
	close_fd(&j->log_fd);
}

static void job_unprepare(struct job *j);

static void job_release(struct job *j)
{
	job_unprepare(j);
	close_fd(&j->fd[0]);
	close_fd(&j->fd[1]);
	close_fd(&j->pidfd);
	free(j->log_ring.buf);
	close_fd(&j->log_fd);
	strbuf_release(&j->out);
	exec_result_release(&j->res);
	memset(j, 0, sizeof(*j));
	j->fd[0] = j->fd[1] = j->pidfd = j->log_fd = -1;
	j->child_fd[0] = j->child_fd[1] = -1;
}

/* Hand the result to on_finish and free the slot. */
static void job_finish(struct runner *r, struct job *j)
{
	char lin[EXEC_TAIL_CAP];
	size_t len, skip;

	job_flush_log(j);
	len = ring_copy(&j->tail, lin);
	skip = ring_line_start(&j->tail, lin, len);
	j->res.tail_len = len - skip;
	j->res.tail = xmalloc(len - skip + 1);
	memcpy(j->res.tail, lin + skip, len - skip);
	j->res.tail[len - skip] = '\0';
	if (j->task.capture_stdout) {
		j->res.out_len = j->out.len;
		j->res.out = strbuf_detach(&j->out);
	}
	if (r->o->on_finish)
		r->o->on_finish(r->o->cb, &j->task, &j->res);
	job_release(j);
}

/* ---- starting a task ---- */

/* Keep our descriptors off 0-2 (a caller started with them closed), so the
 * child's dup2s cannot clobber them. */
static int fd_high(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}

static int pipe_cloexec(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	p[0] = fd_high(p[0]);
	p[1] = fd_high(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		close_fd(&p[0]);
		close_fd(&p[1]);
		return -1;
	}
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	return 0;
}

static size_t env_name_len(const char *s)
{
	const char *eq = strchr(s, '=');
	return eq ? (size_t)(eq - s) : strlen(s);
}

static bool replaced_by(const char *entry, const char *const *extra, size_t m, const char *more)
{
	size_t len = env_name_len(entry);
	for (size_t x = 0; x < m; x++)
		if (env_name_len(extra[x]) == len && !strncmp(entry, extra[x], len))
			return true;
	return more && env_name_len(more) == len && !strncmp(entry, more, len);
}

/* environ with the task's NAME=VALUE entries (and more, when not NULL)
 * added or replacing; the strings are shared, only the array is ours. NULL
 * when an entry is bad. */
static char **build_env(const char *const *extra, const char *more)
{
	size_t n = 0, m = 0, k = 0;
	char **envp;

	while (environ && environ[n])
		n++;
	while (extra && extra[m]) {
		const char *eq = strchr(extra[m], '=');
		if (!eq || eq == extra[m])
			return NULL;
		m++;
	}
	envp = xmalloc((n + m + 2) * sizeof(*envp));
	for (size_t i = 0; i < n; i++)
		if (!replaced_by(environ[i], extra, m, more))
			envp[k++] = environ[i];
	for (size_t x = 0; x < m; x++)
		envp[k++] = (char *)extra[x];
	if (more)
		envp[k++] = (char *)more;
	envp[k] = NULL;
	return envp;
}

/*
 * The direct start. A command that is one program and plain words (letters,
 * digits and _-./,:+@%= only, separated by blanks; the first word neither an
 * assignment nor a word the shell keeps for itself) means to /bin/sh -c
 * exactly "run this program with these arguments": it is exec'd directly,
 * as make does, saving a shell's start-up per step. The program sees what
 * it would under the shell, PWD included (the shell would set it for the
 * folder it runs in). When the exec fails (not found, not executable, no
 * #! line), /bin/sh -c runs the command after all and says what it always
 * says.
 */
static const char *const shell_words[] = {
	".", ":", "alias", "bg", "break", "case", "cd", "chdir", "command", "continue",
	"do", "done", "echo", "elif", "else", "esac", "eval", "exec", "exit", "export",
	"false", "fc", "fg", "fi", "for", "getopts", "hash", "if", "in", "jobs", "kill",
	"local", "printf", "pwd", "read", "readonly", "return", "set", "shift", "test",
	"then", "times", "trap", "true", "type", "ulimit", "umask", "unalias", "unset",
	"until", "wait", "while",
};

static bool plain_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("_-./,:+@%=", c));
}

/* cmd's words as an argv (one allocation: the pointers, then the text), or
 * NULL when the command needs the shell. */
static char **plain_argv(const char *cmd)
{
	size_t len = strlen(cmd), nwords = 0, first_len = 0;
	const char *first = NULL;
	char **argv, *text, *save = NULL;
	bool in_word = false;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)cmd[i];
		if (c == ' ' || c == '\t') {
			in_word = false;
			continue;
		}
		if (!plain_byte(c))
			return NULL;
		if (!in_word) {
			nwords++;
			if (!first)
				first = cmd + i;
		}
		if (nwords == 1)
			first_len++;
		in_word = true;
	}
	if (!nwords || memchr(first, '=', first_len))
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(shell_words); i++)
		if (strlen(shell_words[i]) == first_len && !memcmp(first, shell_words[i], first_len))
			return NULL;
	argv = xmalloc((nwords + 1) * sizeof(*argv) + len + 1);
	text = (char *)(argv + nwords + 1);
	memcpy(text, cmd, len + 1);
	nwords = 0;
	for (char *w = strtok_r(text, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
		argv[nwords++] = w;
	argv[nwords] = NULL;
	return argv;
}

/* "PWD=…" for a program started directly in cwd (NULL: the caller's), as
 * the shell would set it: the inherited PWD when it names that folder,
 * else its physical path. NULL when the inherited one is right. */
static char *pwd_entry(const char *cwd)
{
	const char *dir = cwd ? cwd : ".", *pwd = getenv("PWD");
	struct stat a, b;
	char *real, *entry;

	if (stat(dir, &a) < 0)
		return NULL; /* the start fails, and the shell says why */
	if (pwd && pwd[0] == '/' && stat(pwd, &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return NULL;
	real = realpath(dir, NULL);
	if (!real)
		return NULL;
	entry = xasprintf("PWD=%s", real);
	free(real);
	return entry;
}

static int spawn_fail(struct job *j, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int spawn_fail(struct job *j, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->res.spawn_error, sizeof(j->res.spawn_error), fmt, ap);
	va_end(ap);
	j->res.spawn_errno = errnum ? errnum : EINVAL;
	log_note(j, "[tollgate: could not start: %s]\n", j->res.spawn_error);
	return -1;
}

/* Everything posix_spawn needs, into j (log, pipes, environment, spawn
 * attributes). 0 ok; -1 with the reason in j->res (nothing left to undo but
 * what job_release frees). */
static int job_prepare(struct job *j)
{
	const struct exec_task *t = &j->task;
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	sigset_t none, dfl;

	j->grace_ms = t->grace_ms > 0 ? t->grace_ms : EXEC_GRACE_MS_DEFAULT;
	j->capture_cap = t->capture_cap ? t->capture_cap : EXEC_CAPTURE_CAP_DEFAULT;
	j->tail.buf = j->tail_buf;
	j->tail.cap = sizeof(j->tail_buf);
	j->res.start_mono_ms = j->res.end_mono_ms = exec_mono_ms();
	j->res.start_wall_ms = j->res.end_wall_ms = exec_wall_ms();

	if (t->log_path) {
		size_t cap = t->log_cap ? t->log_cap : EXEC_LOG_CAP_DEFAULT;
		if (!t->log_lazy)
			j->log_fd = fd_high(open(t->log_path,
						 O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
		if (!t->log_lazy && j->log_fd < 0)
			return spawn_fail(j, errno, "cannot open log '%s': %s", t->log_path,
					  strerror(errno));
		j->log_head_left = cap / 2;
		j->log_ring.cap = cap - cap / 2;
	}
	if (!t->cmd || !*t->cmd)
		return spawn_fail(j, EINVAL, "no command to run");
	j->direct = plain_argv(t->cmd);
	if (j->direct)
		j->pwd = pwd_entry(t->cwd);
	j->envp = build_env(t->env, j->pwd);
	if (!j->envp)
		return spawn_fail(j, EINVAL, "an environment entry is not NAME=VALUE");
	if (pipe_cloexec(outp) < 0 || (t->capture_stdout && pipe_cloexec(errp) < 0)) {
		int err = errno;
		close_fd(&outp[0]);
		close_fd(&outp[1]);
		return spawn_fail(j, err, "cannot create a pipe: %s", strerror(err));
	}
	j->split = t->capture_stdout;
	/* the read ends are polled only once the command has started */
	j->fd[0] = outp[0];
	j->fd[1] = errp[0];
	j->child_fd[0] = outp[1];
	j->child_fd[1] = errp[1];

	posix_spawnattr_init(&j->attr);
	posix_spawn_file_actions_init(&j->fa);
	j->prepared = true;
	posix_spawnattr_setflags(&j->attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
						   POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&j->attr, 0);
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&j->attr, &none);
	/* What the caller ignores stays ignored across exec: undo it. */
	sigemptyset(&dfl);
	static const int dfl_sigs[] = { SIGPIPE, SIGINT,  SIGQUIT, SIGTERM, SIGHUP,
					SIGCHLD, SIGTSTP, SIGTTIN, SIGTTOU, SIGUSR1,
					SIGUSR2, SIGALRM, SIGXFSZ, SIGXCPU };
	for (size_t i = 0; i < ARRAY_SIZE(dfl_sigs); i++)
		sigaddset(&dfl, dfl_sigs[i]);
	posix_spawnattr_setsigdefault(&j->attr, &dfl);
	posix_spawn_file_actions_addopen(&j->fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&j->fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&j->fa, t->capture_stdout ? errp[1] : outp[1], 2);
	posix_spawn_file_actions_addclosefrom_np(&j->fa, 3);
	if (t->cwd)
		posix_spawn_file_actions_addchdir_np(&j->fa, t->cwd);
	j->argv[0] = "sh";
	j->argv[1] = "-c";
	j->argv[2] = (char *)t->cmd;
	j->argv[3] = NULL;
	return 0;
}

/* The spawn itself: touches only what job_prepare set up and the result's
 * start times and spawn answer (it may run on the spawner thread). */
static void job_spawn(struct job *j)
{
	j->res.start_mono_ms = exec_mono_ms();
	j->res.start_wall_ms = exec_wall_ms();
	if (j->direct) {
		j->spawn_rc = posix_spawnp(&j->spawn_pid, j->direct[0], &j->fa, &j->attr,
					   j->direct, j->envp);
		if (!j->spawn_rc)
			return;
	}
	j->spawn_rc = posix_spawn(&j->spawn_pid, "/bin/sh", &j->fa, &j->attr, j->argv, j->envp);
}

static void job_unprepare(struct job *j)
{
	if (j->prepared) {
		posix_spawn_file_actions_destroy(&j->fa);
		posix_spawnattr_destroy(&j->attr);
		j->prepared = false;
	}
	free(j->envp);
	j->envp = NULL;
	free(j->direct);
	j->direct = NULL;
	free(j->pwd);
	j->pwd = NULL;
	close_fd(&j->child_fd[0]);
	close_fd(&j->child_fd[1]);
}

/* After job_spawn: the child runs (0) or never started (-1, the reason in
 * j->res). */
static int job_started(struct runner *r, struct job *j)
{
	const struct exec_task *t = &j->task;
	int rc = j->spawn_rc;
	pid_t pid = j->spawn_pid;

	job_unprepare(j);
	if (rc) {
		/* posix_spawn says only errno: was it the chdir or the exec? */
		struct stat sb;
		int why = 0;
		if (t->cwd && stat(t->cwd, &sb) < 0)
			why = errno;
		else if (t->cwd && !S_ISDIR(sb.st_mode))
			why = ENOTDIR;
		else if (t->cwd && access(t->cwd, X_OK) < 0)
			why = errno;
		close_fd(&j->fd[0]);
		close_fd(&j->fd[1]);
		if (why)
			return spawn_fail(j, why, "cannot enter directory '%s': %s", t->cwd,
					  strerror(why));
		return spawn_fail(j, rc, "cannot run /bin/sh: %s", strerror(rc));
	}
	/* The child set its group before exec, and posix_spawn returns after
	 * the exec; this only matters for a libc that does otherwise, and fails
	 * harmlessly (EACCES) once the child has exec'd. */
	setpgid(pid, pid);
	j->res.pid = pid;
	j->res.pgid = pid;
	j->pidfd = -1;
#ifdef SYS_pidfd_open
	if (!r->no_pidfd) {
		j->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (j->pidfd < 0 && errno == ENOSYS)
			r->no_pidfd = true;
		j->pidfd = fd_high(j->pidfd);
	}
#else
	r->no_pidfd = true;
#endif
	j->deadline = t->timeout_ms > 0 ? j->res.start_mono_ms + t->timeout_ms : INT64_MAX;
	j->linger_until = INT64_MAX;
	j->phase = PH_RUNNING;
	r->fallback_ms = 1;
	return 0;
}

/* ---- the spawner thread ----
 *
 * posix_spawn returns only once the child has exec'd, and on a busy machine
 * that is milliseconds of waiting for a CPU: done inline, it would hold up
 * everything else the runner's caller does between commands (promote writes
 * the state of each step). With more than one slot the spawns run on a
 * thread of their own; a finished spawn is handed back through `done` and a
 * byte on a pipe that wait_events polls.
 */

static void spawner_release(struct runner *r);

static void *spawner_main(void *arg)
{
	struct runner *r = arg;

	pthread_mutex_lock(&r->mu);
	for (;;) {
		struct job *j;
		while (!r->ntodo && !r->quit)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->quit)
			break;
		j = r->todo[0];
		memmove(r->todo, r->todo + 1, --r->ntodo * sizeof(*r->todo));
		pthread_mutex_unlock(&r->mu);
		job_spawn(j);
		pthread_mutex_lock(&r->mu);
		r->done[r->ndone++] = j;
		if (write(r->wake[1], "", 1) < 0) {
			/* full: the main loop has wake-ups enough pending */
		}
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

/* Without a pipe or a thread, every spawn is simply done inline. */
static void spawner_start(struct runner *r)
{
	if (pipe_cloexec(r->wake) < 0)
		return;
	fcntl(r->wake[1], F_SETFL, O_NONBLOCK);
	r->todo = xcalloc((size_t)r->njobs, sizeof(*r->todo));
	r->done = xcalloc((size_t)r->njobs, sizeof(*r->done));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (pthread_create(&r->spawner, NULL, spawner_main, r)) {
		spawner_release(r);
		return;
	}
	r->threaded = true;
}

/* Stop the thread (a spawn under way completes first). */
static void spawner_stop(struct runner *r)
{
	if (!r->threaded)
		return;
	pthread_mutex_lock(&r->mu);
	r->quit = true;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->spawner, NULL);
	r->threaded = false;
}

static void spawner_release(struct runner *r)
{
	if (!r->todo)
		return;
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	close_fd(&r->wake[0]);
	close_fd(&r->wake[1]);
	free(r->todo);
	free(r->done);
	r->todo = r->done = NULL;
}

/* The start is over for j (started or not): tell the caller. */
static void job_start_done(struct runner *r, struct job *j, int64_t now)
{
	j->spawning = false;
	if (job_started(r, j) < 0) {
		job_finish(r, j);
		r->running--;
		r->idle = false;
		return;
	}
	if (r->o->on_start)
		r->o->on_start(r->o->cb, &j->task, &j->res);
	if (j->cancel_pending)
		job_terminate(j, now, true);
}

/* Take in the spawns the thread has finished. */
static void collect_spawns(struct runner *r, int64_t now)
{
	struct job *got[64];
	size_t n;
	char drain[64];

	if (!r->todo)
		return;
	while (read(r->wake[0], drain, sizeof(drain)) > 0)
		;
	do {
		pthread_mutex_lock(&r->mu);
		n = r->ndone < ARRAY_SIZE(got) ? r->ndone : ARRAY_SIZE(got);
		memcpy(got, r->done, n * sizeof(*got));
		memmove(r->done, r->done + n, (r->ndone - n) * sizeof(*r->done));
		r->ndone -= n;
		pthread_mutex_unlock(&r->mu);
		for (size_t i = 0; i < n; i++)
			job_start_done(r, got[i], now);
	} while (n == ARRAY_SIZE(got));
}

/* Start j: spawned at once (0: job_start_done is next), handed to the
 * spawner thread (1), or not at all (-1: it could not be prepared). */
static int job_start(struct runner *r, struct job *j)
{
	if (job_prepare(j) < 0) {
		job_unprepare(j);
		return -1;
	}
	if (r->threaded) {
		j->spawning = true;
		pthread_mutex_lock(&r->mu);
		r->todo[r->ntodo++] = j;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		return 1;
	}
	job_spawn(j);
	return 0;
}

/* ---- the loop ---- */

static bool cancel_set(const struct runner *r)
{
	return cancel_level(r->o->cancel) > 0;
}

static void job_slot_init(struct job *j)
{
	memset(j, 0, sizeof(*j));
	j->used = true;
	j->fd[0] = j->fd[1] = j->pidfd = j->log_fd = -1;
	j->child_fd[0] = j->child_fd[1] = -1;
	exec_result_init(&j->res);
}

/*
 * Start tasks while a slot is free and the scheduler has some. Returns its
 * last answer (1, 0, -1), or 2 when it was not asked.
 */
static int fill(struct runner *r, bool *no_more)
{
	int got = 2, rc;

	while (r->running < r->njobs && !*no_more && !r->idle && !cancel_set(r)) {
		struct job *j = NULL;
		for (int i = 0; i < r->njobs && !j; i++)
			if (!r->jobs[i].used)
				j = &r->jobs[i];
		job_slot_init(j);
		got = r->o->next_task(r->o->cb, &j->task);
		if (got <= 0) {
			j->used = false;
			r->idle = got == 0;
			if (got < 0) {
				got = -1;
				*no_more = true;
			}
			break;
		}
		got = 1;
		rc = job_start(r, j);
		if (rc < 0) {
			job_finish(r, j);
			continue;
		}
		r->running++;
		if (rc == 0)
			job_start_done(r, j, exec_mono_ms());
	}
	return got;
}

/* The runner cannot go on: kill what runs, reap it, report it. */
static void abort_all(struct runner *r)
{
	/* no more spawns; take in those done, drop those not begun */
	spawner_stop(r);
	collect_spawns(r, exec_mono_ms());
	for (int i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];
		if (!j->used || !j->spawning)
			continue;
		j->spawning = false;
		j->res.cancelled = true;
		spawn_fail(j, ECANCELED, "cancelled before it started");
		job_finish(r, j);
		r->running--;
	}
	for (int i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];
		if (!j->used)
			continue;
		if (!j->exited) {
			job_signal(j, SIGKILL);
			j->res.cancelled = true;
			j->phase = PH_KILL_SENT;
			job_exited(r, j, exec_mono_ms());
		}
		close_fd(&j->fd[0]);
		close_fd(&j->fd[1]);
		job_finish(r, j);
		r->running--;
	}
}

/* Reap, time out, give up lingering, finish: what the clock and the state
 * say should happen now. */
static void step_jobs(struct runner *r, int64_t now)
{
	collect_spawns(r, now);
	for (int i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];
		if (!j->used || j->spawning)
			continue;
		if (!j->exited) {
			if (j->pidfd < 0 && job_poll_exit(j))
				job_exited(r, j, now);
			else
				job_deadline(j, now);
		}
		if (j->exited && j->linger_until <= now &&
		    (j->fd[0] >= 0 || j->fd[1] >= 0)) {
			log_note(j, "[tollgate: the command exited; output of what it "
				    "left running in the background is not logged]\n");
			close_fd(&j->fd[0]);
			close_fd(&j->fd[1]);
		}
		if (j->exited && j->fd[0] < 0 && j->fd[1] < 0) {
			job_finish(r, j);
			r->running--;
			r->idle = false;
		}
	}
}

static void add_pfd(struct runner *r, int *n, struct job *j, int fd, int kind)
{
	r->pfd[*n].fd = fd;
	r->pfd[*n].events = POLLIN;
	r->pfd[*n].revents = 0;
	r->pjob[*n] = j;
	r->pkind[*n] = kind;
	(*n)++;
}

/* Wait for the next event or deadline. Returns ppoll's answer. */
static int wait_events(struct runner *r, int64_t now, int64_t next_tick,
		       const sigset_t *mask)
{
	int64_t wake = next_tick;
	bool fallback = false;
	struct timespec ts, *tsp = NULL;
	int n = 0, pr;

	if (r->threaded)
		add_pfd(r, &n, NULL, r->wake[0], 3);
	for (int i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];
		if (!j->used || j->spawning)
			continue;
		if (!j->exited) {
			if (j->deadline < wake)
				wake = j->deadline;
			if (j->pidfd >= 0)
				add_pfd(r, &n, j, j->pidfd, 2);
			else
				fallback = true;
		} else if (j->linger_until < wake) {
			wake = j->linger_until;
		}
		for (int k = 0; k < 2; k++)
			if (j->fd[k] >= 0)
				add_pfd(r, &n, j, j->fd[k], k);
	}
	if (wake != INT64_MAX || fallback) {
		int64_t ms = wake == INT64_MAX ? INT64_MAX : wake - now;
		if (fallback && ms > r->fallback_ms)
			ms = r->fallback_ms;
		if (ms < 0)
			ms = 0;
		ts.tv_sec = (time_t)(ms / 1000);
		ts.tv_nsec = (long)(ms % 1000) * 1000000;
		tsp = &ts;
	}
	pr = ppoll(r->pfd, (nfds_t)n, tsp, mask);
	if (pr < 0)
		return pr;
	now = exec_mono_ms();
	for (int i = 0; i < n && pr > 0; i++) {
		struct job *j = r->pjob[i];
		if (!r->pfd[i].revents || r->pkind[i] == 3)
			continue; /* the wake pipe: collect_spawns reads it */
		if (r->pkind[i] == 2) {
			if (!j->exited)
				job_exited(r, j, now);
		} else if (j->fd[r->pkind[i]] >= 0) {
			job_read(r, j, r->pkind[i]);
		}
	}
	if (fallback) {
		if (pr == 0 && r->fallback_ms < FALLBACK_MAX_MS)
			r->fallback_ms *= 2;
		else if (pr > 0)
			r->fallback_ms = 1;
	}
	return pr;
}

int exec_run_parallel(const struct exec_opts *o, struct err *e)
{
	static const int sync_sigs[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL,
					 SIGABRT, SIGTRAP, SIGSYS };
	struct runner *r;
	sigset_t block, old;
	bool no_more = false, stopping = false;
	int64_t tick, next_tick;
	int ret = 0;

	if (!o || !o->next_task || o->max_jobs < 1)
		return err_set(e, ERR_USAGE, "the runner needs a next_task and max_jobs of at least 1");
	r = xcalloc(1, sizeof(*r));
	r->o = o;
	r->njobs = o->max_jobs;
	r->jobs = xcalloc((size_t)r->njobs, sizeof(*r->jobs));
	r->pfd = xcalloc((size_t)r->njobs * 3 + 1, sizeof(*r->pfd));
	r->pjob = xcalloc((size_t)r->njobs * 3 + 1, sizeof(*r->pjob));
	r->pkind = xcalloc((size_t)r->njobs * 3 + 1, sizeof(*r->pkind));
	r->wake[0] = r->wake[1] = -1;
	r->no_pidfd = o->no_pidfd;
	r->fallback_ms = 1;
	tick = o->tick_ms > 0 ? o->tick_ms : TICK_MS_DEFAULT;

	/* Signals arrive only inside ppoll, which then returns: a handler that
	 * sets *cancel between our check and the wait cannot be missed. */
	sigfillset(&block);
	for (size_t i = 0; i < ARRAY_SIZE(sync_sigs); i++)
		sigdelset(&block, sync_sigs[i]);
	/* Left unblocked, a SIGCHLD nobody handles is dropped when sent;
	 * blocked, it would wake ppoll once for every child that ends. */
	sigdelset(&block, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	/* started with the signals blocked, the thread keeps them so */
	if (r->njobs > 1)
		spawner_start(r);

	next_tick = o->on_tick ? exec_mono_ms() + tick : INT64_MAX;
	for (;;) {
		int64_t now = exec_mono_ms();
		int got;

		if (cancel_set(r)) {
			if (!stopping)
				ret = 1;
			stopping = true;
			if (o->cancel_policy == EXEC_CANCEL_KILL || cancel_level(o->cancel) >= 2)
				for (int i = 0; i < r->njobs; i++)
					if (r->jobs[i].used)
						job_terminate(&r->jobs[i], now, true);
		}
		step_jobs(r, now);
		got = stopping ? 2 : fill(r, &no_more);
		if (!stopping && cancel_set(r))
			continue;
		if (!r->running) {
			if (no_more || stopping)
				break;
			if (got == 0) {
				ret = err_set(e, ERR_FAILED,
					      "scheduler bug: no task is ready and none is running");
				break;
			}
			continue;
		}
		if (wait_events(r, now, next_tick, &old) < 0 && errno != EINTR) {
			ret = err_set(e, ERR_FAILED, "cannot wait for commands: %s",
				      strerror(errno));
			break;
		}
		if (o->on_tick && exec_mono_ms() >= next_tick) {
			now = exec_mono_ms();
			o->on_tick(o->cb, now);
			next_tick = now + tick;
		}
	}
	if (ret < 0)
		abort_all(r);
	spawner_stop(r);
	spawner_release(r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(r->pfd);
	free(r->pjob);
	free(r->pkind);
	free(r->jobs);
	free(r);
	return ret;
}

/* ---- one task ---- */

struct one {
	const struct exec_task *task;
	bool given;
	struct exec_result *res;
};

static int one_next(void *cb, struct exec_task *out)
{
	struct one *one = cb;
	if (one->given)
		return -1;
	*out = *one->task;
	one->given = true;
	return 1;
}

static void one_finish(void *cb, const struct exec_task *t, const struct exec_result *src)
{
	struct one *one = cb;
	struct exec_result *dst = one->res;
	(void)t;
	*dst = *src;
	dst->tail = xmalloc(src->tail_len + 1);
	memcpy(dst->tail, src->tail, src->tail_len + 1);
	dst->out = NULL;
	if (src->out) {
		dst->out = xmalloc(src->out_len + 1);
		memcpy(dst->out, src->out, src->out_len + 1);
	}
}

int exec_run_one(const struct exec_task *t, struct exec_result *r, struct err *e)
{
	struct one one = { .task = t, .given = false, .res = r };
	struct exec_opts o = { .max_jobs = 1, .next_task = one_next,
			       .on_finish = one_finish, .cb = &one };

	exec_result_init(r);
	if (exec_run_parallel(&o, e) < 0)
		return -1;
	if (r->spawn_errno)
		return err_set(e, ERR_FAILED, "%s", r->spawn_error);
	return 0;
}

/* ---- processes that outlived us ---- */

/* State letter and process group of pid from /proc; 0 when unknown. */
static char proc_state(pid_t pid, pid_t *pgrp)
{
	char path[64], buf[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* "pid (comm) S ppid pgrp ..."; comm may hold spaces and ')' */
	char *p = strrchr(buf, ')');
	int ppid, pg;
	char st;
	if (!p || sscanf(p + 1, " %c %d %d", &st, &ppid, &pg) != 3)
		return 0;
	if (pgrp)
		*pgrp = pg;
	return st;
}

bool exec_pid_alive(pid_t pid)
{
	if (pid <= 0)
		return false;
	if (kill(pid, 0) < 0 && errno != EPERM)
		return false;
	char st = proc_state(pid, NULL);
	return st != 'Z' && st != 'X';
}

bool exec_group_alive(pid_t pgid)
{
	struct dirent *de;
	DIR *d;
	bool alive = false;

	if (pgid <= 1)
		return false;
	if (kill(-pgid, 0) < 0 && errno != EPERM)
		return false;
	/* kill() counts zombies nobody has reaped yet: look closer. */
	d = opendir("/proc");
	if (!d)
		return true;
	while (!alive && (de = readdir(d))) {
		pid_t pg = 0;
		char st;
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		st = proc_state((pid_t)atoi(de->d_name), &pg);
		alive = pg == pgid && st && st != 'Z' && st != 'X';
	}
	closedir(d);
	return alive;
}

int64_t exec_pid_start_ms(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long ticks = 0;
	long long btime = -1;
	long hz = sysconf(_SC_CLK_TCK);
	ssize_t n;
	int fd;
	FILE *f;

	if (pid <= 0 || hz <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* field 22, starttime: the 20th after the ')' closing comm */
	char *p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
				"%*d %*d %*d %*d %*d %*d %llu", &ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "re");
	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %lld", &btime) == 1)
			break;
	fclose(f);
	if (btime < 0)
		return -1;
	return btime * 1000 + (int64_t)(ticks * 1000 / (unsigned long long)hz);
}

/* Wait until the group is gone, up to ms. Nothing to wait on for processes
 * that are not our children: look again, at growing intervals. */
static bool wait_group_gone(pid_t pgid, int64_t ms)
{
	int64_t end = exec_mono_ms() + ms, step = 1;

	for (;;) {
		if (!exec_group_alive(pgid))
			return true;
		int64_t left = end - exec_mono_ms();
		if (left <= 0)
			return false;
		if (step > left)
			step = left;
		struct timespec ts = { (time_t)(step / 1000), (long)(step % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		if (step < 50)
			step *= 2;
	}
}

int exec_kill_group(pid_t pgid, int64_t grace_ms)
{
	if (pgid <= 1 || pgid == getpgrp())
		return -1;
	if (!exec_group_alive(pgid))
		return 1;
	if (kill(-pgid, SIGTERM) < 0)
		return errno == ESRCH ? 1 : -1;
	kill(-pgid, SIGCONT);
	if (wait_group_gone(pgid, grace_ms))
		return 0;
	if (kill(-pgid, SIGKILL) < 0 && errno != ESRCH)
		return -1;
	return wait_group_gone(pgid, 2000) ? 0 : -1;
}
