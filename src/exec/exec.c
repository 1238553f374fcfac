/*
 * exec.c - the parallel process runner (see exec.h for the contracts): the
 * wait loop, a job from its start to on_finish, results. The other parts are
 * listed in exec-internal.h (log ring, start, spawner thread, /proc).
 *
 * A child is started with posix_spawn (a vfork-style clone in glibc, so the
 * cost does not grow with our address space): /bin/sh -c CMD, or the
 * program itself for a plain one-program command (see exec-start.c), its own
 * process group, stdin from /dev/null, stdout and stderr into a pipe, every
 * other descriptor closed (closefrom in the child, and O_CLOEXEC on all of
 * ours besides). With more than one slot the spawns run on two threads of
 * their own (posix_spawn waits for the child's exec, which on a loaded
 * machine is milliseconds the caller can use). The parent waits in one
 * ppoll() over the pipes, a pidfd per child and the spawner's wake pipe;
 * deadlines (timeouts, the SIGTERM→SIGKILL grace, ticks) set the ppoll
 * timeout, so nothing ever sleeps or spins (with a cancel token, the wait
 * also ends every 50 ms to look at it: another thread may raise it).
 * After a short task ends, the next ask for a task may wait a moment for
 * other ends (exec_opts.gather_us), so the caller handles them together.
 *
 * Output goes three ways as it arrives: to the log (the first half of
 * log_cap written through at once, the rest kept in a ring and written when
 * the command ends, so a chatty command cannot fill the disk), to a 4 KiB
 * ring that becomes result.tail, and, for a measure, stdout alone into
 * result.out up to capture_cap.
 */
#define _GNU_SOURCE
#include "exec/exec-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

/* After its leader exits, how long a task waits for the pipes to close: a
 * background process that kept stdout open must not hold the step hostage. */
#define LINGER_MS 100
#define TICK_MS_DEFAULT 250
#define FALLBACK_MAX_MS 50
/* With a cancel token, the longest wait between looks at it: whoever raises
 * it may be another thread, or a signal handler that ran on one. */
#define CANCEL_POLL_MS 50

int64_t exec_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


int64_t exec_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}


int64_t exec_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
			 exec_signal_name(r->term_signal));
	} else {
		snprintf(buf, n, "exited with status %d", r->exit_code);
	}
	return buf;
}


/* stream: 0 stdout+stderr mixed, 1 stdout alone, 2 stderr alone. */
static void job_feed(struct job *j, int stream, const char *p, size_t n)
{
	j->res.output_bytes += n;
	exec_ring_push(&j->tail, p, n);
	if (stream == 1 && j->task.capture_stdout) {
		size_t room = j->capture_cap - j->out.len;
		strbuf_add(&j->out, p, n < room ? n : room);
		if (n > room)
			j->res.out_truncated = true;
	}
	exec_log_feed(j, p, n);
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
		exec_close_fd(&j->fd[k]);
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
	exec_log_note(j, "[tollgate: %s: SIGTERM sent to process group %d]\n",
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
		exec_log_note(j, "[tollgate: still running after %lld ms: SIGKILL sent]\n",
			 (long long)j->grace_ms);
		j->phase = PH_KILL_SENT;
		j->deadline = INT64_MAX;
	}
}


/*
 * The groups that steps left behind: a group that is empty is forgotten; one
 * whose grace ran out gets SIGKILL. Once the leader is reaped, the group's id
 * cannot name another group while anything of it is left (the kernel keeps
 * the number while it is in use as a group id), and an empty one is seen here
 * within LEFTOVER_POLL_MS, well before its number could come round again.
 */
#define LEFTOVER_POLL_MS 20
#define LEFTOVER_KILL_WAIT_MS 2000 /* after SIGKILL, for its end to be seen */

static void leftovers_step(struct runner *r, int64_t now, bool kill_now)
{
	size_t k = 0;
	for (size_t i = 0; i < r->nleft; i++) {
		struct leftover *l = &r->left[i];
		if (kill(-l->pgid, 0) < 0 && errno == ESRCH)
			continue; /* all gone */
		if (l->killed && l->deadline <= now)
			continue; /* SIGKILLed, not reaped yet by whoever inherited it */
		if (!l->killed && (kill_now || l->deadline <= now)) {
			kill(-l->pgid, SIGKILL);
			l->killed = true;
			l->deadline = now + LEFTOVER_KILL_WAIT_MS;
		}
		r->left[k++] = *l;
	}
	r->nleft = k;
}

/* The leader has exited (it is a zombie): end what it left running in its
 * group, reap it and collect the rest of its output. */
static void job_exited(struct runner *r, struct job *j, int64_t now)
{
	bool clean = j->phase == PH_RUNNING;
	int st = 0;
	pid_t w;

	/* The zombie leader keeps the pgid from being reused until we reap it:
	 * signal the group now. What is left of a group we terminated dies with
	 * its leader; what a step that ended by itself left running (`sleep 60
	 * &`) gets SIGTERM, and SIGKILL after the grace (leftovers_step), as a
	 * service manager ends a unit's control group. */
	if (!clean) {
		job_signal(j, SIGKILL);
	} else {
		job_signal(j, SIGTERM);
		job_signal(j, SIGCONT);
	}
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
	exec_close_fd(&j->pidfd);
	job_drain(r, j); /* what it wrote before it exited goes before the note */
	if (clean && j->res.pgid > 1 && kill(-j->res.pgid, 0) == 0) {
		exec_log_note(j, "[tollgate: the command exited and left processes running in its "
				 "group %d: SIGTERM sent, SIGKILL after %lld ms]\n",
			      (int)j->res.pgid, (long long)j->grace_ms);
		ALLOC_GROW(r->left, r->nleft + 1, r->aleft);
		r->left[r->nleft].pgid = j->res.pgid;
		r->left[r->nleft].deadline = now + j->grace_ms;
		r->left[r->nleft].killed = false;
		r->nleft++;
	}
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


static void job_release(struct job *j)
{
	exec_job_unprepare(j);
	exec_close_fd(&j->fd[0]);
	exec_close_fd(&j->fd[1]);
	exec_close_fd(&j->pidfd);
	free(j->log_ring.buf);
	exec_close_fd(&j->log_fd);
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

	exec_log_flush(j);
	len = exec_ring_copy(&j->tail, lin);
	skip = exec_ring_line_start(&j->tail, lin, len);
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


/* The start is over for j (started or not): tell the caller. */
void exec_job_start_done(struct runner *r, struct job *j, int64_t now)
{
	j->spawning = false;
	if (exec_job_started(r, j) < 0) {
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


/* A short task ended (it ran ran_ms): gather the ends that follow it
 * (exec_opts.gather_us) unless a gathering is under way already. */
static void gather_begin(struct runner *r, int64_t ran_ms)
{
	int64_t g = r->o->gather_us;

	if (g <= 0 || r->gather_until || ran_ms * 1000 >= 10 * g)
		return;
	r->gather_until = exec_mono_us() + g;
}


/* Is next_task to wait for more ends? Ends the gathering once half of the
 * slots are free or its time is up. */
static bool gathering(struct runner *r)
{
	if (!r->gather_until)
		return false;
	if (2 * (r->njobs - r->running) >= r->njobs || exec_mono_us() >= r->gather_until) {
		r->gather_until = 0;
		return false;
	}
	return true;
}


/*
 * Start tasks while a slot is free and the scheduler has some. Returns its
 * last answer (1, 0, -1), or 2 when it was not asked.
 */
static int fill(struct runner *r, bool *no_more)
{
	int got = 2, rc;

	while (r->running < r->njobs && !*no_more && !r->idle && !cancel_set(r) &&
	       !gathering(r)) {
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
		rc = exec_job_start(r, j);
		if (rc < 0) {
			job_finish(r, j);
			continue;
		}
		r->running++;
		if (rc == 0)
			exec_job_start_done(r, j, exec_mono_ms());
	}
	return got;
}


/* The runner cannot go on: kill what runs, reap it, report it. */
static void abort_all(struct runner *r)
{
	/* no more spawns; take in those done, drop those not begun */
	exec_spawner_stop(r);
	exec_collect_spawns(r, exec_mono_ms());
	for (int i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];
		if (!j->used || !j->spawning)
			continue;
		j->spawning = false;
		j->res.cancelled = true;
		exec_spawn_fail(j, ECANCELED, "cancelled before it started");
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
		exec_close_fd(&j->fd[0]);
		exec_close_fd(&j->fd[1]);
		job_finish(r, j);
		r->running--;
	}
}


/* Reap, time out, give up lingering, finish: what the clock and the state
 * say should happen now. */
static void step_jobs(struct runner *r, int64_t now)
{
	exec_collect_spawns(r, now);
	if (r->nleft)
		leftovers_step(r, now, false);
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
			exec_log_note(j, "[tollgate: the command exited; output of what it "
				    "left running in the background is not logged]\n");
			exec_close_fd(&j->fd[0]);
			exec_close_fd(&j->fd[1]);
		}
		if (j->exited && j->fd[0] < 0 && j->fd[1] < 0) {
			int64_t ran_ms = j->res.end_mono_ms - j->res.start_mono_ms;
			job_finish(r, j);
			r->running--;
			r->idle = false;
			gather_begin(r, ran_ms);
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
	if (r->o->cancel && wake > now + CANCEL_POLL_MS)
		wake = now + CANCEL_POLL_MS;
	if (r->nleft && wake > now + LEFTOVER_POLL_MS)
		wake = now + LEFTOVER_POLL_MS;
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
	if (r->gather_until) {
		/* the end of a gathering, to the microsecond; one that is over
		 * is dropped (the next fill asks at once) */
		int64_t us = r->gather_until - exec_mono_us();
		if (us <= 0) {
			us = 0;
			r->gather_until = 0;
		}
		if (!tsp || us < (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000) {
			ts.tv_sec = (time_t)(us / 1000000);
			ts.tv_nsec = (long)(us % 1000000) * 1000;
			tsp = &ts;
		}
	}
	pr = ppoll(r->pfd, (nfds_t)n, tsp, mask);
	if (pr < 0)
		return pr;
	now = exec_mono_ms();
	for (int i = 0; i < n && pr > 0; i++) {
		struct job *j = r->pjob[i];
		if (!r->pfd[i].revents || r->pkind[i] == 3)
			continue; /* the wake pipe: exec_collect_spawns reads it */
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
	 * raises the token between our check and the wait cannot be missed. A
	 * token raised from another thread (or a signal delivered to one) is
	 * seen within CANCEL_POLL_MS: see wait_events. */
	sigfillset(&block);
	for (size_t i = 0; i < ARRAY_SIZE(sync_sigs); i++)
		sigdelset(&block, sync_sigs[i]);
	/* Left unblocked, a SIGCHLD nobody handles is dropped when sent;
	 * blocked, it would wake ppoll once for every child that ends. */
	sigdelset(&block, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	/* started with the signals blocked, the thread keeps them so */
	if (r->njobs > 1)
		exec_spawner_start(r);

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
				      exec_strerror(errno));
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
	/* what steps left running: until it ends or its grace runs out (at once
	 * when the run was cancelled or failed) */
	while (r->nleft) {
		bool now_kill = ret < 0 || cancel_level(o->cancel) >= 2;
		leftovers_step(r, exec_mono_ms(), now_kill);
		if (r->nleft)
			usleep(LEFTOVER_POLL_MS * 1000);
	}
	free(r->left);
	exec_spawner_stop(r);
	exec_spawner_release(r);
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
