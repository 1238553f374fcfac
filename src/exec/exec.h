/*
 * exec.h - the parallel process runner: runs shell commands as child
 * processes, each in its own process group, with a timeout, bounded output
 * logs and an in-memory tail of the output; up to max_jobs at once.
 *
 * The runner only runs. Which command runs next is the caller's business
 * (next_task), and what a result means is the caller's business (on_finish).
 * Values reach a command only through its environment: the command text is
 * handed to `/bin/sh -c` as is and never built from values (SPEC §6).
 *
 * Waiting is event driven: one ppoll() over the output pipes and a pidfd per
 * child (Linux 5.3+), with signals blocked outside ppoll so that a signal
 * that raises the cancel token always wakes the loop. Nothing here prints or
 * exits, and nothing keeps state outside a run: any number of runs may go on
 * at once on threads of one process.
 */
#ifndef TOLLGATE_EXEC_H
#define TOLLGATE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

#define EXEC_GRACE_MS_DEFAULT 10000          /* SIGTERM → SIGKILL */
#define EXEC_LOG_CAP_DEFAULT (1024 * 1024)   /* bytes one run adds to its log */
#define EXEC_CAPTURE_CAP_DEFAULT (64 * 1024) /* captured stdout */
#define EXEC_TAIL_CAP 4096                   /* result.tail */

/*
 * One command to run. Every pointer is owned by the caller and must stay
 * valid until on_finish has been called for the task (exec_run_parallel) or
 * exec_run_one has returned. Zero means "the default" for the numbers.
 *
 * The log gets the first half of log_cap as the output comes, the last half
 * when the command ends (kept in memory meanwhile), and lines of the
 * runner's own where something happened: "[tollgate: timed out: SIGTERM
 * sent to process group 123]", "[tollgate: could not start: …]". A command
 * is over when its shell has exited and its output pipes are closed; what
 * it leaves running in the background with the pipes open is read for
 * 100 ms more, then the pipes are closed (those writers get SIGPIPE). On a
 * timeout or a cancel, what remains of the group is killed with the shell.
 */
struct exec_task {
	const char *cmd;        /* run as /bin/sh -c CMD (a plain one-program
	                         * command is exec'd directly, as the shell
	                         * would: see plain_argv in exec.c) */
	const char *cwd;        /* NULL: the caller's working directory */
	const char *const *env; /* NULL-terminated "NAME=VALUE" added to (or
	                         * replacing in) the caller's environment; NULL: none */
	const char *const *unset; /* NULL-terminated names taken out of the
	                           * caller's environment ("PG*": every name with
	                           * that prefix); NULL: none */
	int64_t timeout_ms;     /* 0: no timeout (the plan's steps always have
	                         * one: the loader sets the default) */
	int64_t grace_ms;       /* SIGTERM to SIGKILL; 0: EXEC_GRACE_MS_DEFAULT */
	const char *log_path;   /* stdout+stderr appended here; NULL: no log */
	size_t log_cap;         /* at most this much is added to the log: the
	                         * first half and the last half of the output,
	                         * with a marker line between; 0: default */
	bool log_lazy;          /* create the log only when there is something to
	                         * write (most no-op steps print nothing) */
	unsigned log_mode;      /* a log made here gets exactly this mode, whatever
	                         * the umask; 0: 0600 (output may hold secrets) */
	bool capture_stdout;    /* keep stdout apart in result.out (a measure) */
	size_t capture_cap;     /* bound of result.out; 0: default */
	void *data;             /* the caller's, untouched */
};

/*
 * What happened. exec_result_release() frees what it holds. In on_finish the
 * result belongs to the runner and is released after the callback returns:
 * copy what you keep.
 */
struct exec_result {
	pid_t pid, pgid;       /* 0 when the command never started */
	int spawn_errno;       /* non-zero: it never started; see spawn_error */
	char spawn_error[300]; /* "cannot open log '…': Permission denied" */
	int exit_code;         /* exit status, -1 when killed or never started */
	int term_signal;       /* the signal that killed it, 0 when it exited */
	bool timed_out;        /* terminated by the runner: timeout */
	bool cancelled;        /* terminated by the runner: cancel */
	int64_t start_mono_ms, end_mono_ms; /* CLOCK_MONOTONIC */
	int64_t start_wall_ms, end_wall_ms; /* Unix epoch */
	char *tail;            /* the last lines of stdout+stderr, at most
	                        * EXEC_TAIL_CAP bytes, NUL-terminated, never NULL
	                        * after a run */
	size_t tail_len;
	char *out;             /* capture_stdout: stdout, NUL-terminated; else NULL */
	size_t out_len;
	bool out_truncated;    /* stdout was longer than capture_cap */
	uint64_t output_bytes; /* everything the command wrote */
	bool log_truncated;    /* output exceeded log_cap: the middle was left out */
	bool log_opened;       /* the log was opened (a lazy one: something was
	                        * written, so the file exists) */
	int log_errno;         /* a write to the log failed (ENOSPC…); 0: fine */
};

void exec_result_init(struct exec_result *r);
void exec_result_release(struct exec_result *r);
/* Exited with status 0. */
bool exec_result_ok(const struct exec_result *r);
/* How long the command ran, in milliseconds (monotonic); 0 when it never
 * started. */
int64_t exec_result_ms(const struct exec_result *r);
/* "exited with status 3", "killed by signal 9 (Killed)", "timed out after
 * 15m0s", "cancelled", "could not start: …" into buf; returns buf.
 * Reentrant (no strsignal). */
char *exec_result_describe(const struct exec_result *r, const struct exec_task *t,
			   char *buf, size_t n);

/* What a cancel does to the commands already running. */
enum exec_cancel_policy {
	EXEC_CANCEL_KILL = 0, /* SIGTERM their groups now, SIGKILL after grace */
	EXEC_CANCEL_FINISH    /* let them finish (their timeouts still apply) */
};

struct exec_opts {
	int max_jobs; /* at least 1 */
	/*
	 * Fill *out with the next task to start: return 1 for a task, 0 when
	 * none is ready now (something running must finish first), -1 when no
	 * task will ever come. Called only while a slot is free; after a 0,
	 * not again before some task has finished.
	 */
	int (*next_task)(void *cb, struct exec_task *out);
	/* The command started: result holds pid, pgid and the start times. */
	void (*on_start)(void *cb, const struct exec_task *t, const struct exec_result *r);
	/* The command ended, or never started (r->spawn_errno != 0): called
	 * once for every task next_task gave, before next_task is asked again. */
	void (*on_finish)(void *cb, const struct exec_task *t, const struct exec_result *r);
	/* Called about every tick_ms while commands run (progress display). */
	void (*on_tick)(void *cb, int64_t now_ms);
	int64_t tick_ms; /* 0: 250 */
	/*
	 * The run's cancellation token (util.h), raised by the caller: from a
	 * SIGINT/SIGTERM handler, another thread, or a callback. At level 1 no
	 * new task starts and running ones are treated per cancel_policy; at
	 * level 2 (a second Ctrl-C) they are killed whatever the policy.
	 * Signals are blocked on the runner's thread while it works and
	 * delivered while it waits, so a handler's raise on this thread wakes
	 * it at once; a raise from elsewhere is seen within 50 ms. NULL: no
	 * cancel. The caller must handle SIGINT and SIGTERM while running:
	 * children live in their own process groups, so a terminal's Ctrl-C
	 * reaches tollgate alone. A level-2 incident is a raise to 1 from
	 * on_finish with EXEC_CANCEL_FINISH; a Ctrl-C handler may then raise
	 * it to 2 to kill.
	 */
	const struct cancel_token *cancel;
	enum exec_cancel_policy cancel_policy;
	/*
	 * Gathering ends: when a task that ran for less than 10 x gather_us
	 * ends while more than half of the slots are still busy, next_task is
	 * asked again only once half of them are free or gather_us has passed
	 * (or nothing runs), so the caller handles several ends at once (promote
	 * commits them in one transaction). A slot waits at most gather_us
	 * after a task that ran ten times as long: never after a long one.
	 * 0: ask at once after every end.
	 */
	int64_t gather_us;
	bool no_pidfd; /* wait without pidfds, as on kernels before 5.3 (tests) */
	void *cb;      /* handed to every callback */
};

/*
 * Run tasks from opts->next_task, at most opts->max_jobs at a time, until
 * next_task returns -1 and every started task has finished. Returns 0 then;
 * 1 when the cancel token stopped it (every started task has finished, too); -1 with
 * e filled when the runner could not go on (next_task returned 0 while
 * nothing was running: a scheduler bug; a failing poll), after terminating
 * what still ran. A command that fails is not an error of the runner: its
 * result says so. Callbacks run between waits and should be quick; never
 * call exec_run_* from one (the running tasks would stall): make a step
 * that must follow another (a rollback after a failed deploy) a task.
 */
int exec_run_parallel(const struct exec_opts *opts, struct err *e);

/*
 * Run one task to completion (a check, a measure). r is initialised here and
 * belongs to the caller (exec_result_release). Returns 0 when the command
 * ran (whatever its status; see r), -1 with e filled when it could not be
 * started (r->spawn_errno says why) or the runner failed.
 */
int exec_run_one(const struct exec_task *t, struct exec_result *r, struct err *e);

/*
 * Terminate the process group pgid (crash repair: a command that outlived
 * the tollgate that started it): SIGTERM, wait up to grace_ms, then SIGKILL.
 * Returns 0 when the group existed and is gone now, 1 when there was no such
 * group, -1 when it could not be killed (not ours: EPERM; or still there).
 * Refuses pgid <= 1 and the caller's own group (-1).
 */
int exec_kill_group(pid_t pgid, int64_t grace_ms);
/* The process exists and is not a zombie. */
bool exec_pid_alive(pid_t pid);
/* Some process of group pgid exists and is not a zombie. */
bool exec_group_alive(pid_t pgid);

/*
 * When pid started, as Unix epoch ms (from /proc: accurate to about a
 * second); -1 when unknown. Before killing a recorded group, compare its
 * leader's start with the recorded result.start_wall_ms: a pid reused since
 * by another program started elsewhen.
 */
int64_t exec_pid_start_ms(pid_t pid);

/* Clocks, in milliseconds (exec_mono_us: microseconds). */
int64_t exec_mono_ms(void);
int64_t exec_mono_us(void);
int64_t exec_wall_ms(void);

#endif
