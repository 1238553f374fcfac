/*
 * exec-internal.h - what the runner's files share and nobody else sees: a
 * task's slot (struct job), the runner (struct runner), the byte ring, and
 * the functions that cross files:
 *
 *   exec.c          the runner: the wait loop, a job from start to finish,
 *                   results, exec_run_parallel and exec_run_one
 *   exec-log.c      the output ring and the bounded log of a job
 *   exec-start.c    preparing and spawning a child (environment, argv,
 *                   posix_spawn attributes), and what its start says
 *   exec-spawner.c  the threads that run the spawns of a parallel run
 *   exec-proc.c     processes that outlived us, from /proc
 *
 * Every function here is reentrant: a process may hold several runs at once
 * (on threads); nothing keeps state outside its runner.
 */
#ifndef TOLLGATE_EXEC_INTERNAL_H
#define TOLLGATE_EXEC_INTERNAL_H

#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec.h"

#define READ_CHUNK 65536
/* Threads that spawn (with max_jobs > 1): posix_spawn holds its caller
 * until the child has exec'd, so one thread starts one child at a time; two
 * start the children of a tick about twice as fast. */
#define EXEC_SPAWNERS 2

/* strerror and strsignal may fill a static buffer: these never do (glibc's
 * descriptions are constant strings). */
static inline const char *exec_strerror(int errnum)
{
	const char *s = strerrordesc_np(errnum);
	return s ? s : "unknown error";
}

static inline const char *exec_signal_name(int sig)
{
	const char *s = sigdescr_np(sig);
	return s ? s : "unknown signal";
}

/* ---- a byte ring keeping the last cap bytes pushed ---- */

struct ring {
	char *buf;
	size_t cap, pos;
	uint64_t total;
};


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
	/* the start (exec_job_prepare → exec_job_spawn → exec_job_started) */
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


/* What a step left running in its process group after its main process
 * exited: SIGTERM was sent; SIGKILL at the deadline if anything is left. */
struct leftover {
	pid_t pgid;
	int64_t deadline; /* mono ms */
	bool killed;      /* SIGKILL sent: forgotten once gone, or at the deadline */
};

struct runner {
	const struct exec_opts *o;
	struct leftover *left;
	size_t nleft, aleft;
	struct job *jobs;
	int njobs;
	int running;
	bool idle;     /* next_task said 0 and no task has finished since */
	int64_t gather_until; /* mono us: next_task waits until then (0: no
			       * wait; see exec_opts.gather_us) */
	bool no_pidfd;
	int64_t fallback_ms;
	struct pollfd *pfd;
	struct job **pjob; /* pfd[i] belongs to pjob[i] */
	int *pkind;        /* 0, 1: fd[k]; 2: pidfd; 3: the spawner's wake pipe */
	char buf[READ_CHUNK];
	/* the spawner threads (with max_jobs > 1) */
	bool threaded;
	pthread_t spawner[EXEC_SPAWNERS];
	int nspawners;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job **todo, **done; /* guarded by mu */
	size_t ntodo, ndone;
	bool quit;
	int wake[2];
};


static inline void exec_close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* exec-log.c */
void exec_ring_push(struct ring *r, const char *p, size_t n);
/* The kept bytes, oldest first, into out (>= cap bytes); returns how many. */
size_t exec_ring_copy(const struct ring *r, char *out);
/* When the ring lost bytes, its first line is partial: where the next starts. */
size_t exec_ring_line_start(const struct ring *r, const char *lin, size_t len);
/* Into the log: the head straight through, the rest into the ring. */
void exec_log_feed(struct job *j, const char *p, size_t n);
/* A line of the runner's own in the log ("[tollgate: timed out …]"). */
void exec_log_note(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The command is over: the ring's tail into the log, then close it. */
void exec_log_flush(struct job *j);

/* exec-start.c */
/* fd moved off 0-2 (O_CLOEXEC), or fd itself. */
int exec_fd_high(int fd);
int exec_pipe_cloexec(int p[2]);
/* j never started: the reason into j->res and the log; returns -1. */
int exec_spawn_fail(struct job *j, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int exec_job_prepare(struct job *j);
void exec_job_spawn(struct job *j);
void exec_job_unprepare(struct job *j);
int exec_job_started(struct runner *r, struct job *j);

/* exec-spawner.c */
void exec_spawner_start(struct runner *r);
void exec_spawner_stop(struct runner *r);
void exec_spawner_release(struct runner *r);
void exec_collect_spawns(struct runner *r, int64_t now);
int exec_job_start(struct runner *r, struct job *j);

/* exec.c */
/* The start is over for j (started or not): tell the caller. */
void exec_job_start_done(struct runner *r, struct job *j, int64_t now);

#endif
