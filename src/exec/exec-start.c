/*
 * exec-start.c - starting one command: its log, pipes, environment and
 * posix_spawn attributes (exec_job_prepare), the spawn itself
 * (exec_job_spawn, which may run on the spawner thread), and what the
 * start says (exec_job_started). A child is /bin/sh -c CMD, or the program
 * itself for a plain one-program command (see plain_argv), in its own
 * process group, stdin from /dev/null, stdout and stderr into a pipe, every
 * other descriptor closed.
 */
#define _GNU_SOURCE
#include "exec/exec-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>

extern char **environ;


/* Keep our descriptors off 0-2 (a caller started with them closed), so the
 * child's dup2s cannot clobber them. */
int exec_fd_high(int fd)
{
	if (fd < 0 || fd > 2)
		return fd;
	int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	close(fd);
	return nfd;
}


int exec_pipe_cloexec(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	p[0] = exec_fd_high(p[0]);
	p[1] = exec_fd_high(p[1]);
	if (p[0] < 0 || p[1] < 0) {
		exec_close_fd(&p[0]);
		exec_close_fd(&p[1]);
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


/* Is the variable of entry named by one of unset (a trailing '*' makes a
 * prefix)? */
static bool unset_by(const char *entry, const char *const *unset)
{
	size_t len = env_name_len(entry);
	for (size_t i = 0; unset && unset[i]; i++) {
		size_t n = strlen(unset[i]);
		if (n && unset[i][n - 1] == '*') {
			if (len >= n - 1 && !strncmp(entry, unset[i], n - 1))
				return true;
		} else if (n == len && !strncmp(entry, unset[i], len)) {
			return true;
		}
	}
	return false;
}

/* environ less the names in unset, with the task's NAME=VALUE entries (and
 * more, when not NULL) added or replacing; the strings are shared, only the
 * array is ours. NULL when an entry is bad. */
static char **build_env(const char *const *extra, const char *const *unset, const char *more)
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
		if (!replaced_by(environ[i], extra, m, more) && !unset_by(environ[i], unset))
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


int exec_spawn_fail(struct job *j, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int exec_spawn_fail(struct job *j, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->res.spawn_error, sizeof(j->res.spawn_error), fmt, ap);
	va_end(ap);
	j->res.spawn_errno = errnum ? errnum : EINVAL;
	exec_log_note(j, "[tollgate: could not start: %s]\n", j->res.spawn_error);
	return -1;
}


/* Everything posix_spawn needs, into j (log, pipes, environment, spawn
 * attributes). 0 ok; -1 with the reason in j->res (nothing left to undo but
 * what job_release frees). */
int exec_job_prepare(struct job *j)
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
			j->log_fd = exec_log_open(t);
		if (!t->log_lazy && j->log_fd < 0)
			return exec_spawn_fail(j, errno, "cannot open log '%s': %s", t->log_path,
					  exec_strerror(errno));
		j->res.log_opened = j->log_fd >= 0;
		j->log_head_left = cap / 2;
		j->log_ring.cap = cap - cap / 2;
	}
	if (!t->cmd || !*t->cmd)
		return exec_spawn_fail(j, EINVAL, "no command to run");
	j->direct = plain_argv(t->cmd);
	if (j->direct)
		j->pwd = pwd_entry(t->cwd);
	j->envp = build_env(t->env, t->unset, j->pwd);
	if (!j->envp)
		return exec_spawn_fail(j, EINVAL, "an environment entry is not NAME=VALUE");
	if (exec_pipe_cloexec(outp) < 0 || (t->capture_stdout && exec_pipe_cloexec(errp) < 0)) {
		int err = errno;
		exec_close_fd(&outp[0]);
		exec_close_fd(&outp[1]);
		return exec_spawn_fail(j, err, "cannot create a pipe: %s", exec_strerror(err));
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


/* The spawn itself: touches only what exec_job_prepare set up and the result's
 * start times and spawn answer (it may run on the spawner thread). */
void exec_job_spawn(struct job *j)
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


void exec_job_unprepare(struct job *j)
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
	exec_close_fd(&j->child_fd[0]);
	exec_close_fd(&j->child_fd[1]);
}


/* After exec_job_spawn: the child runs (0) or never started (-1, the reason in
 * j->res). */
int exec_job_started(struct runner *r, struct job *j)
{
	const struct exec_task *t = &j->task;
	int rc = j->spawn_rc;
	pid_t pid = j->spawn_pid;

	exec_job_unprepare(j);
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
		exec_close_fd(&j->fd[0]);
		exec_close_fd(&j->fd[1]);
		if (why)
			return exec_spawn_fail(j, why, "cannot enter directory '%s': %s", t->cwd,
					  exec_strerror(why));
		return exec_spawn_fail(j, rc, "cannot run /bin/sh: %s", exec_strerror(rc));
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
		j->pidfd = exec_fd_high(j->pidfd);
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
