/*
 * test-exec.c - the process runner with real child processes: exit codes,
 * signals, timeouts and the SIGKILL grace, process groups, bounded logs,
 * captured output, environment values that must not be interpreted, cwd,
 * descriptor leaks, max_jobs, cancel, and the crash-repair helpers.
 *
 * No assertion depends on how fast the machine is: order and parallelism are
 * proven from events the children record (lines appended to a file, each
 * child waiting for the others' lines), and durations are only checked
 * against the deadlines the runner must not beat (a timeout never fires
 * early), never against an upper bound.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec/exec.h"
#include "test.h"

static char dir[PATH_MAX];

static char *path_in(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static char *slurp(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	char *p = path_in(name);
	if (strbuf_read_file(&sb, p, 0) < 0) {
		free(p);
		strbuf_release(&sb);
		return NULL;
	}
	free(p);
	return strbuf_detach(&sb);
}

static bool exists(const char *name)
{
	char *p = path_in(name);
	bool ok = access(p, F_OK) == 0;
	free(p);
	return ok;
}

static int one(struct exec_task t, struct exec_result *r)
{
	struct err e;
	err_init(&e);
	return exec_run_one(&t, r, &e);
}

/* Wait up to ms for pid (or group, when group) to be gone. */
static bool gone_within(pid_t id, bool group, int ms)
{
	for (int i = 0; i < ms / 10; i++) {
		if (group ? !exec_group_alive(id) : !exec_pid_alive(id))
			return true;
		usleep(10000);
	}
	return false;
}

/* ---- a scheduler over a list of commands, recording what it sees ---- */

#define MAXT 400
struct sched {
	const char **cmds;
	int n, next, asked;
	struct exec_task proto;
	int started, finished, running, max_running;
	struct exec_result res[MAXT];
	const int64_t *timeouts; /* per task, when not NULL */
	struct cancel_token *cancel;
	int cancel_after_starts; /* raise cancel when this many have started */
	int cancel_on_failure;   /* raise cancel to this when a task fails */
	int ticks;
};

static int s_next(void *cb, struct exec_task *out)
{
	struct sched *s = cb;
	s->asked++;
	if (s->next >= s->n)
		return -1;
	*out = s->proto;
	out->cmd = s->cmds[s->next];
	if (s->timeouts)
		out->timeout_ms = s->timeouts[s->next];
	out->data = (void *)(intptr_t)s->next;
	s->next++;
	return 1;
}

static void s_start(void *cb, const struct exec_task *t, const struct exec_result *r)
{
	struct sched *s = cb;
	(void)t;
	CHECK(r->pid > 0 && r->pgid == r->pid);
	s->started++;
	if (++s->running > s->max_running)
		s->max_running = s->running;
	if (s->cancel && s->cancel_after_starts && s->started == s->cancel_after_starts)
		cancel_raise(s->cancel, 1);
}

static void s_finish(void *cb, const struct exec_task *t, const struct exec_result *r)
{
	struct sched *s = cb;
	int i = (int)(intptr_t)t->data;
	s->finished++;
	if (!r->spawn_errno)
		s->running--;
	s->res[i] = *r;
	s->res[i].tail = xstrdup(r->tail ? r->tail : "");
	s->res[i].out = r->out ? xstrdup(r->out) : NULL;
	if (s->cancel && s->cancel_on_failure && !exec_result_ok(r))
		cancel_raise(s->cancel, s->cancel_on_failure);
}

static void s_tick(void *cb, int64_t now)
{
	struct sched *s = cb;
	(void)now;
	s->ticks++;
}

static int run_sched(struct sched *s, struct exec_opts *o, struct err *e)
{
	o->next_task = s_next;
	o->on_start = s_start;
	o->on_finish = s_finish;
	o->cb = s;
	err_init(e);
	return exec_run_parallel(o, e);
}

static void sched_release(struct sched *s)
{
	for (int i = 0; i < s->n; i++)
		exec_result_release(&s->res[i]);
}

/* ---- tests ---- */

static void test_exit_status(void)
{
	struct exec_result r;
	char d[256];

	CHECK_INT(one((struct exec_task){ .cmd = "true" }, &r), 0);
	CHECK(exec_result_ok(&r));
	CHECK_INT(r.exit_code, 0);
	CHECK(r.pid > 0 && r.pgid == r.pid);
	CHECK(r.end_mono_ms >= r.start_mono_ms);
	CHECK(r.start_wall_ms > 1700000000000LL);
	exec_result_release(&r);

	one((struct exec_task){ .cmd = "echo hello; echo oops >&2; exit 3" }, &r);
	CHECK(!exec_result_ok(&r));
	CHECK_INT(r.exit_code, 3);
	CHECK_INT(r.term_signal, 0);
	CHECK_STR(r.tail, "hello\noops\n");
	CHECK_STR(exec_result_describe(&r, NULL, d, sizeof(d)), "exited with status 3");
	exec_result_release(&r);

	one((struct exec_task){ .cmd = "kill -USR1 $$; sleep 5" }, &r);
	CHECK_INT(r.term_signal, SIGUSR1);
	CHECK_INT(r.exit_code, -1);
	CHECK(!r.timed_out);
	CHECK(strstr(exec_result_describe(&r, NULL, d, sizeof(d)), "killed by signal 10") != NULL);
	exec_result_release(&r);
}

static void test_timeout(void)
{
	struct exec_result r;
	struct exec_task t = { .cmd = "printf partial; sleep 5", .timeout_ms = 200, .grace_ms = 300 };
	char d[256], *log, *want;
	int64_t ms;

	one(t, &r);
	ms = r.end_mono_ms - r.start_mono_ms;
	CHECK(r.timed_out);
	CHECK_INT(r.term_signal, SIGTERM);
	CHECK(ms >= 200); /* never before the deadline */
	CHECK_STR(exec_result_describe(&r, &t, d, sizeof(d)), "timed out after 200 ms");
	CHECK_STR(r.tail, "partial");
	exec_result_release(&r);
	t.timeout_ms = 1000;
	t.cmd = "exec sleep 3";
	one(t, &r);
	CHECK_STR(exec_result_describe(&r, &t, d, sizeof(d)), "timed out after 1s");
	exec_result_release(&r);
	t.timeout_ms = 200;

	/* a command that ignores SIGTERM is killed when the grace runs out;
	 * its log says what the runner did */
	t.cmd = "trap '' TERM; printf waiting; sleep 5; echo survived";
	t.log_path = path_in("timeout.log");
	one(t, &r);
	log = slurp("timeout.log");
	want = xasprintf("waiting\n[tollgate: timed out: SIGTERM sent to process group %d]\n"
			 "[tollgate: still running after 300 ms: SIGKILL sent]\n", (int)r.pgid);
	CHECK_STR(log, want);
	free(log);
	free(want);
	free((char *)t.log_path);
	t.log_path = NULL;
	ms = r.end_mono_ms - r.start_mono_ms;
	CHECK(r.timed_out);
	CHECK_INT(r.term_signal, SIGKILL);
	CHECK(ms >= 500); /* the timeout, then the whole grace */
	CHECK(strstr(r.tail, "survived") == NULL);
	exec_result_release(&r);
}

static void test_group_killed(void)
{
	struct exec_result r;
	struct exec_task t = { .cwd = dir, .timeout_ms = 200, .grace_ms = 300,
			       .cmd = "sh -c 'trap \"\" TERM; sleep 30' & echo $! > gc.pid; sleep 30" };
	char *s;
	pid_t gc;

	one(t, &r);
	CHECK(r.timed_out);
	s = slurp("gc.pid");
	CHECK(s != NULL);
	gc = s ? (pid_t)atoi(s) : 0;
	CHECK(gc > 0);
	/* the grandchild ignored SIGTERM: it dies with the leader's group */
	CHECK(gone_within(gc, false, 1000));
	CHECK(gone_within(r.pgid, true, 1000));
	free(s);
	exec_result_release(&r);
}

static void test_log_cap(void)
{
	struct exec_result r;
	struct exec_task t = {
		.cmd = "echo FIRST-LINE; yes 'a line of output that repeats' | head -n 170000; echo LAST-LINE",
	};
	struct stat st;
	char *log = path_in("big.log"), *s;

	t.log_path = log;
	one(t, &r);
	CHECK(exec_result_ok(&r));
	CHECK(r.output_bytes > 5000000);
	CHECK(r.log_truncated);
	CHECK_INT(stat(log, &st), 0);
	CHECK(st.st_size <= EXEC_LOG_CAP_DEFAULT + 100);
	CHECK(st.st_size >= EXEC_LOG_CAP_DEFAULT - 100);
	s = slurp("big.log");
	CHECK(s && !strncmp(s, "FIRST-LINE\na line", 17));
	CHECK(s && strstr(s, " bytes of output left out]\na line of output that repeats\n"));
	CHECK(s && st.st_size > 10 && !strcmp(s + st.st_size - 10, "LAST-LINE\n"));
	/* the tail in memory: bounded, starting on a line */
	CHECK(r.tail_len <= EXEC_TAIL_CAP);
	CHECK(!strncmp(r.tail, "a line of output that repeats\n", 30));
	CHECK(r.tail_len > 10 && !strcmp(r.tail + r.tail_len - 10, "LAST-LINE\n"));
	free(s);
	exec_result_release(&r);

	/* under the cap: everything, appended to what was there */
	t.cmd = "echo second run";
	t.log_cap = 1000;
	one(t, &r);
	CHECK(!r.log_truncated);
	s = slurp("big.log");
	CHECK(s && !strcmp(s + st.st_size, "second run\n"));
	free(s);
	exec_result_release(&r);

	/* a small cap, exactly: 500 bytes of head, 500 of tail, one marker */
	t.log_path = path_in("small.log");
	t.cmd = "i=0; while [ $i -lt 300 ]; do echo \"line $i\"; i=$((i+1)); done";
	one(t, &r);
	s = slurp("small.log");
	CHECK(s && !strncmp(s, "line 0\nline 1\n", 14));
	CHECK(s && strstr(s, "line 299\n") && !strstr(s, "line 150\n"));
	CHECK(s && strlen(s) <= 1000 + 60);
	free(s);
	free((char *)t.log_path);
	t.log_path = NULL;
	exec_result_release(&r);
	free(log);
}

static void test_env_values(void)
{
	const char *env[] = {
		"TOLLGATE_VERSION=1.0;touch pwned1",
		"TOLLGATE_PROJECT=$(touch pwned2)",
		"TOLLGATE_ENV=`touch pwned3` \"q\" 'x' | touch pwned4 &&",
		"HOME=/nowhere",
		NULL,
	};
	struct exec_task t = {
		.cwd = dir, .env = env,
		.cmd = "printf '%s\\n' \"$TOLLGATE_VERSION\" \"$TOLLGATE_PROJECT\" "
		       "\"$TOLLGATE_ENV\" \"$HOME\" \"$TOLLGATE_TEST_OUTER\" > env.out",
	};
	struct exec_result r;
	char *s;

	setenv("TOLLGATE_TEST_OUTER", "kept", 1);
	one(t, &r);
	CHECK(exec_result_ok(&r));
	s = slurp("env.out");
	CHECK_STR(s, "1.0;touch pwned1\n$(touch pwned2)\n`touch pwned3` \"q\" 'x' | touch pwned4 &&\n"
		     "/nowhere\nkept\n");
	CHECK(!exists("pwned1") && !exists("pwned2") && !exists("pwned3") && !exists("pwned4"));
	free(s);
	exec_result_release(&r);

	/* the value is replaced, not added twice */
	env[0] = "TOLLGATE_TEST_OUTER=replaced";
	env[1] = NULL;
	t.cmd = "env | grep -c '^TOLLGATE_TEST_OUTER='; echo $TOLLGATE_TEST_OUTER";
	t.capture_stdout = true;
	one(t, &r);
	CHECK_STR(r.out, "1\nreplaced\n");
	exec_result_release(&r);

	env[0] = "NOT-AN-ASSIGNMENT";
	CHECK_INT(one(t, &r), -1);
	CHECK(r.spawn_errno != 0);
	exec_result_release(&r);
}

static void test_cwd_and_capture(void)
{
	struct exec_result r;
	struct exec_task t = { .cwd = dir, .cmd = "pwd; echo noise >&2", .capture_stdout = true };
	char real[PATH_MAX], *want;
	char d[512];

	CHECK(realpath(dir, real) != NULL);
	want = xasprintf("%s\n", real);
	one(t, &r);
	CHECK_STR(r.out, want);
	CHECK(strstr(r.tail, "noise\n") != NULL);
	free(want);
	exec_result_release(&r);

	t.cwd = "/nonexistent/place";
	t.log_path = path_in("nocwd.log");
	CHECK_INT(one(t, &r), -1);
	want = slurp("nocwd.log");
	CHECK_STR(want, "[tollgate: could not start: cannot enter directory "
			"'/nonexistent/place': No such file or directory]\n");
	free(want);
	free((char *)t.log_path);
	t.log_path = NULL;
	CHECK_INT(r.spawn_errno, ENOENT);
	CHECK_STR(r.spawn_error, "cannot enter directory '/nonexistent/place': No such file or directory");
	CHECK_STR(exec_result_describe(&r, &t, d, sizeof(d)),
		  "could not start: cannot enter directory '/nonexistent/place': No such file or directory");
	exec_result_release(&r);

	/* a file is no directory */
	t.cwd = "/dev/null";
	CHECK_INT(one(t, &r), -1);
	CHECK_STR(r.spawn_error, "cannot enter directory '/dev/null': Not a directory");
	exec_result_release(&r);

	/* a measure prints a number */
	one((struct exec_task){ .cmd = "echo 0.042", .capture_stdout = true }, &r);
	CHECK_STR(r.out, "0.042\n");
	CHECK_INT(r.out_len, 6);
	CHECK(!r.out_truncated);
	exec_result_release(&r);

	one((struct exec_task){ .cmd = "head -c 100000 /dev/zero | tr '\\0' 7",
				.capture_stdout = true }, &r);
	CHECK_INT(r.out_len, EXEC_CAPTURE_CAP_DEFAULT);
	CHECK(r.out_truncated);
	CHECK_INT(r.output_bytes, 100000);
	exec_result_release(&r);

	/* bytes, not strings */
	one((struct exec_task){ .cmd = "printf 'a\\000b'", .capture_stdout = true }, &r);
	CHECK_INT(r.out_len, 3);
	CHECK_INT(r.tail_len, 3);
	CHECK(!memcmp(r.out, "a\0b", 4) && !memcmp(r.tail, "a\0b", 4));
	exec_result_release(&r);

	one((struct exec_task){ .cmd = "echo 12345678", .capture_stdout = true,
				.capture_cap = 4 }, &r);
	CHECK_STR(r.out, "1234");
	CHECK(r.out_truncated);
	exec_result_release(&r);
}

static void write_file(const char *name, const char *text, mode_t mode)
{
	char *p = path_in(name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
	CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	if (fd >= 0)
		close(fd);
	free(p);
}

/* A plain command (one program, plain words) is started directly, as make
 * does; anything else, or a program the exec refuses, by /bin/sh -c, with
 * the same output, status and environment a user would see either way. */
static void test_direct_start(void)
{
	struct exec_result r;
	struct exec_task t = { .cwd = dir, .capture_stdout = true };
	char real[PATH_MAX], *p, *want, *old_pwd;
	long ppid = 0;

	/* the program is our child: no shell in between */
	t.cmd = "cat /proc/self/stat";
	one(t, &r);
	CHECK(exec_result_ok(&r));
	p = r.out ? strrchr(r.out, ')') : NULL;
	CHECK(p && sscanf(p, ") %*c %ld", &ppid) == 1);
	CHECK_INT(ppid, (long)getpid());
	exec_result_release(&r);
	/* with a pipe, the shell runs it */
	t.cmd = "cat /proc/self/stat | cat";
	one(t, &r);
	p = r.out ? strrchr(r.out, ')') : NULL;
	CHECK(p && sscanf(p, ") %*c %ld", &ppid) == 1);
	CHECK(ppid != (long)getpid());
	exec_result_release(&r);

	/* what the exec refuses, the shell runs or explains */
	write_file("noshebang", "echo ran by the shell\n", 0755);
	write_file("notexec", "echo never\n", 0644);
	t.cmd = "./noshebang";
	one(t, &r);
	CHECK(exec_result_ok(&r));
	CHECK_STR(r.out, "ran by the shell\n");
	exec_result_release(&r);
	t.cmd = "./notexec";
	one(t, &r);
	CHECK_INT(r.exit_code, 126);
	CHECK(strstr(r.tail, "Permission denied") != NULL);
	exec_result_release(&r);
	t.cmd = "no-such-program-here --flag";
	one(t, &r);
	CHECK_INT(r.exit_code, 127);
	CHECK(strstr(r.tail, "no-such-program-here: not found") != NULL);
	exec_result_release(&r);

	/* PWD names the folder the program runs in, as the shell would set it */
	CHECK(realpath(dir, real) != NULL);
	old_pwd = getenv("PWD") ? xstrdup(getenv("PWD")) : NULL;
	setenv("PWD", "/", 1);
	want = xasprintf("PWD=%s\n", real);
	t.cmd = "env";
	one(t, &r);
	CHECK(r.out && strstr(r.out, want) != NULL);
	exec_result_release(&r);
	t.cmd = "env | grep ^PWD=";
	one(t, &r);
	CHECK_STR(r.out, want);
	exec_result_release(&r);
	free(want);
	if (old_pwd)
		setenv("PWD", old_pwd, 1);
	else
		unsetenv("PWD");
	free(old_pwd);

	/* an assignment first is the shell's; later it is a plain word */
	t.cmd = "env TG_DIRECT_X=1";
	one(t, &r);
	CHECK(r.out && strstr(r.out, "\nTG_DIRECT_X=1\n") != NULL);
	exec_result_release(&r);
	t.cmd = "TG_DIRECT_X=2 env";
	one(t, &r);
	CHECK(r.out && strstr(r.out, "\nTG_DIRECT_X=2\n") != NULL);
	exec_result_release(&r);
	/* words the shell keeps for itself stay with it */
	t.cmd = "exit 4";
	one(t, &r);
	CHECK_INT(r.exit_code, 4);
	exec_result_release(&r);
}

/*
 * Each child appends "start I" to a file, waits until the file holds the
 * starts of its whole batch of three, then appends "end I". Replaying the
 * file (appends of one line are atomic) gives how many ran at once: never
 * more than max_jobs, and exactly max_jobs, whatever the machine's speed
 * (a runner that ran fewer at once would leave the children waiting for a
 * start that never comes, and their lines say so).
 */
static void test_max_jobs(void)
{
	const char *cmds[9];
	struct sched s = { .cmds = cmds, .n = 9, .proto = { .cwd = dir } };
	struct exec_opts o = { .max_jobs = 3 };
	struct err e;
	int running = 0, maxc = 0, starts = 0, ends = 0, waited = 0;
	char *txt, *line, *save = NULL;

	for (int i = 0; i < 9; i++)
		cmds[i] = xasprintf(
			"echo 'start %d' >> events; n=0; "
			"while [ $(grep -c '^start' events) -lt %d ] && [ $n -lt 3000 ]; do sleep 0.01; n=$((n+1)); done; "
			"if [ $n -lt 3000 ]; then echo 'end %d waited' >> events; else echo 'end %d alone' >> events; fi",
			i, (i / 3 + 1) * 3, i, i);
	CHECK_INT(run_sched(&s, &o, &e), 0);
	CHECK_INT(s.finished, 9);
	CHECK_INT(s.max_running, 3);
	txt = slurp("events");
	for (line = txt ? strtok_r(txt, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "start ", 6)) {
			starts++;
			if (++running > maxc)
				maxc = running;
		} else if (!strncmp(line, "end ", 4)) {
			ends++;
			running--;
			waited += strstr(line, " waited") != NULL;
		}
	}
	CHECK_INT(starts, 9);
	CHECK_INT(ends, 9);
	CHECK_INT(waited, 9);
	CHECK_INT(maxc, 3);
	free(txt);
	for (int i = 0; i < 9; i++)
		free((char *)cmds[i]);
	sched_release(&s);
}

static void test_no_fd_leak(void)
{
	const char *cmds[] = { "sleep 0.3", "sleep 0.3", "exec ls /proc/self/fd",
			       "readlink /proc/self/fd/0" };
	struct sched s = { .cmds = cmds, .n = 4, .proto = { .capture_stdout = true } };
	struct exec_opts o = { .max_jobs = 4 };
	struct err e;
	int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC on purpose */
	char *log = path_in("fd.log");

	s.proto.log_path = log;
	CHECK(leak > 2);
	CHECK_INT(run_sched(&s, &o, &e), 0);
	/* ls holds 0-2 and the directory it reads: nothing of ours */
	CHECK_STR(s.res[2].out, "0\n1\n2\n3\n");
	CHECK_STR(s.res[3].out, "/dev/null\n");
	close(leak);
	free(log);
	sched_release(&s);
}

static void test_cancel(void)
{
	static struct cancel_token cancel;
	const char *sleeps[] = { "sleep 30; echo finished", "sleep 30; echo finished",
				 "sleep 30; echo finished", "sleep 30", "sleep 30" };
	const char *quick[] = { "sleep 0.2; echo done", "sleep 0.2; echo done",
				"sleep 0.2; echo done", "sleep 0.2; echo done" };
	struct err e;

	/* kill policy: running commands are terminated, nothing new starts */
	{
		struct sched s = { .cmds = sleeps, .n = 5, .cancel = &cancel,
				   .cancel_after_starts = 3 };
		struct exec_opts o = { .max_jobs = 3, .cancel = &cancel,
				       .cancel_policy = EXEC_CANCEL_KILL };
		cancel_init(&cancel);
		CHECK_INT(run_sched(&s, &o, &e), 1);
		CHECK_INT(s.asked, 3);
		CHECK_INT(s.finished, 3);
		for (int i = 0; i < 3; i++) {
			CHECK(s.res[i].cancelled);
			CHECK_INT(s.res[i].term_signal, SIGTERM);
			CHECK(strstr(s.res[i].tail, "finished") == NULL);
		}
		sched_release(&s);
	}
	/* finish policy: running commands end normally, nothing new starts */
	{
		struct sched s = { .cmds = quick, .n = 4, .cancel = &cancel,
				   .cancel_after_starts = 2 };
		struct exec_opts o = { .max_jobs = 2, .cancel = &cancel,
				       .cancel_policy = EXEC_CANCEL_FINISH };
		cancel_init(&cancel);
		CHECK_INT(run_sched(&s, &o, &e), 1);
		CHECK_INT(s.asked, 2);
		CHECK_INT(s.finished, 2);
		for (int i = 0; i < 2; i++) {
			CHECK(exec_result_ok(&s.res[i]));
			CHECK(!s.res[i].cancelled);
			CHECK_STR(s.res[i].tail, "done\n");
		}
		sched_release(&s);
	}
	/* a level-2 incident: a failure stops new starts, the others finish */
	{
		const char *cmds[] = { "exit 1", "sleep 0.3; echo done", "echo never", "echo never" };
		struct sched s = { .cmds = cmds, .n = 4, .cancel = &cancel, .cancel_on_failure = 1 };
		struct exec_opts o = { .max_jobs = 2, .cancel = &cancel,
				       .cancel_policy = EXEC_CANCEL_FINISH };
		cancel_init(&cancel);
		CHECK_INT(run_sched(&s, &o, &e), 1);
		CHECK_INT(s.asked, 2);
		CHECK_INT(s.res[0].exit_code, 1);
		CHECK(exec_result_ok(&s.res[1]));
		CHECK_STR(s.res[1].tail, "done\n");
		sched_release(&s);
	}
}

static struct cancel_token sig_cancel;
static void on_usr1(int sig)
{
	int level = cancel_level(&sig_cancel);
	(void)sig;
	cancel_raise(&sig_cancel, level + 1);
}

static void test_cancel_by_signal(void)
{
	/* a real signal wakes the wait; the first asks to let it finish (the
	 * command goes on: it says so), the second (a second Ctrl-C) kills */
	const char *cmds[] = { "kill -USR1 $PPID; sleep 0.3; echo after-first; "
			       "kill -USR1 $PPID; sleep 30; echo survived" };
	struct sched s = { .cmds = cmds, .n = 1 };
	struct exec_opts o = { .max_jobs = 1, .cancel = &sig_cancel,
			       .cancel_policy = EXEC_CANCEL_FINISH };
	struct sigaction sa, old;
	struct err e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, &old);
	cancel_init(&sig_cancel);
	CHECK_INT(run_sched(&s, &o, &e), 1);
	CHECK_INT(cancel_level(&sig_cancel), 2);
	CHECK(s.res[0].cancelled);
	CHECK_INT(s.res[0].term_signal, SIGTERM);
	CHECK(strstr(s.res[0].tail, "after-first\n") != NULL);
	CHECK(strstr(s.res[0].tail, "survived") == NULL);
	sigaction(SIGUSR1, &old, NULL);
	sched_release(&s);
}

/* The token raised by another thread (a server's shutdown): no signal wakes
 * the wait, yet the run stops. The command would run for 30 s. */
struct raiser {
	struct cancel_token *token;
	const char *flag; /* raise once this file exists */
};

static void *raise_when_started(void *arg)
{
	struct raiser *r = arg;
	for (int i = 0; i < 3000 && access(r->flag, F_OK) < 0; i++)
		usleep(10000);
	cancel_raise(r->token, 2);
	return NULL;
}

static void test_cancel_from_thread(void)
{
	static struct cancel_token token;
	const char *cmds[] = { "touch started; sleep 30; echo survived" };
	struct sched s = { .cmds = cmds, .n = 1, .proto = { .cwd = dir } };
	struct exec_opts o = { .max_jobs = 1, .cancel = &token };
	struct raiser r = { .token = &token };
	struct err e;
	pthread_t th;

	r.flag = path_in("started");
	cancel_init(&token);
	CHECK_INT(pthread_create(&th, NULL, raise_when_started, &r), 0);
	CHECK_INT(run_sched(&s, &o, &e), 1);
	pthread_join(th, NULL);
	CHECK(s.res[0].cancelled);
	CHECK_INT(s.res[0].term_signal, SIGTERM);
	CHECK(strstr(s.res[0].tail, "survived") == NULL);
	free((char *)r.flag);
	sched_release(&s);
}

/* Two runs at once on two threads of one process, each with its own token:
 * cancelling one leaves the other alone. */
struct parallel_run {
	struct sched s;
	struct exec_opts o;
	struct cancel_token token;
	int rc;
};

static void *run_thread(void *arg)
{
	struct parallel_run *p = arg;
	struct err e;
	p->rc = run_sched(&p->s, &p->o, &e);
	return NULL;
}

static void test_two_runs_at_once(void)
{
	const char *a_cmds[] = { "touch a-started; while [ ! -e b-done ]; do sleep 0.01; done; echo a-ok" };
	const char *b_cmds[] = { "touch b-started; sleep 30; echo survived",
				 "echo b-second" };
	struct parallel_run a = { .s = { .cmds = a_cmds, .n = 1, .proto = { .cwd = dir } },
				  .o = { .max_jobs = 2 } };
	struct parallel_run b = { .s = { .cmds = b_cmds, .n = 2, .proto = { .cwd = dir } },
				  .o = { .max_jobs = 1, .cancel_policy = EXEC_CANCEL_KILL } };
	struct raiser r = { .token = &b.token };
	pthread_t ta, tb, tr;
	char *done = path_in("b-done");
	int fd;

	cancel_init(&a.token);
	cancel_init(&b.token);
	a.o.cancel = &a.token;
	b.o.cancel = &b.token;
	r.flag = path_in("b-started");
	CHECK_INT(pthread_create(&ta, NULL, run_thread, &a), 0);
	CHECK_INT(pthread_create(&tb, NULL, run_thread, &b), 0);
	CHECK_INT(pthread_create(&tr, NULL, raise_when_started, &r), 0);
	pthread_join(tb, NULL);
	pthread_join(tr, NULL);
	/* b was cancelled while a's command still waits for b-done */
	CHECK_INT(b.rc, 1);
	CHECK(b.s.res[0].cancelled);
	CHECK_INT(b.s.asked, 1);
	fd = open(done, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	pthread_join(ta, NULL);
	CHECK_INT(a.rc, 0);
	CHECK(exec_result_ok(&a.s.res[0]));
	CHECK_STR(a.s.res[0].tail, "a-ok\n");
	CHECK_INT(cancel_level(&a.token), 0);
	free(done);
	free((char *)r.flag);
	sched_release(&a.s);
	sched_release(&b.s);
}

static int bug_state;
static int bug_next(void *cb, struct exec_task *out)
{
	(void)cb;
	if (bug_state++ == 0) {
		out->cmd = "true";
		return 1;
	}
	return 0; /* waits for something that is not running */
}

static void test_scheduler_bug(void)
{
	struct exec_opts o = { .max_jobs = 2, .next_task = bug_next };
	struct err e;

	err_init(&e);
	bug_state = 0;
	CHECK_INT(exec_run_parallel(&o, &e), -1);
	CHECK_STR(e.msg, "scheduler bug: no task is ready and none is running");
	CHECK_INT(bug_state, 3);

	o.max_jobs = 0;
	err_init(&e);
	CHECK_INT(exec_run_parallel(&o, &e), -1);
	CHECK_INT(e.code, ERR_USAGE);
}

static void test_spawn_failure(void)
{
	const char *cmds[] = { "echo never", "echo ran" };
	struct sched s = { .cmds = cmds, .n = 2 };
	struct exec_opts o = { .max_jobs = 1 };
	struct err e;

	s.proto.log_path = "/nonexistent/dir/run.log";
	CHECK_INT(run_sched(&s, &o, &e), 0);
	CHECK_INT(s.started, 0);
	CHECK_INT(s.finished, 2);
	CHECK_INT(s.res[0].spawn_errno, ENOENT);
	CHECK_STR(s.res[0].spawn_error,
		  "cannot open log '/nonexistent/dir/run.log': No such file or directory");
	CHECK(!exec_result_ok(&s.res[0]));
	sched_release(&s);
}

/* Has pid set SIGTERM to ignored (its /proc status SigIgn mask)? Polls up
 * to ms milliseconds. */
static bool wait_term_ignored(pid_t pid, int64_t ms)
{
	int64_t end = exec_mono_ms() + ms;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	while (exec_mono_ms() < end) {
		char line[256];
		FILE *f = fopen(path, "r");
		if (!f)
			return false;
		while (fgets(line, sizeof(line), f)) {
			unsigned long long mask;
			if (sscanf(line, "SigIgn: %llx", &mask) == 1 && (mask & (1ull << (SIGTERM - 1)))) {
				fclose(f);
				return true;
			}
		}
		fclose(f);
		usleep(5000);
	}
	return false;
}

static void test_background_and_kill_group(void)
{
	struct exec_result r;
	int64_t t0, started;
	pid_t bg;
	char *log = path_in("bg.log"), *s;

	/* a background process the step leaves in its group is ended when the
	 * step's main process exits (SIGTERM), and the log says so; the run
	 * returns once it is gone */
	one((struct exec_task){ .cmd = "(trap '' TERM; : >bg.ready; exec sleep 30) & "
				       "while [ ! -e bg.ready ]; do sleep 0.01; done; echo started",
				.cwd = dir, .log_path = log, .grace_ms = 200 },
	    &r);
	CHECK(exec_result_ok(&r));
	CHECK_STR(r.tail, "started\n");
	s = slurp("bg.log");
	{
		static const char want[] = "started\n[tollgate: the command exited and left processes "
					   "running in its group ";
		CHECK(!strncmp(s, want, sizeof(want) - 1));
	}
	CHECK(strstr(s, ": SIGTERM sent, SIGKILL after 200 ms]\n") != NULL);
	free(s);
	free(log);
	CHECK(!exec_group_alive(r.pgid));
	exec_result_release(&r);

	/* crash repair: a survivor that ignores SIGTERM (a group left by a run
	 * that was killed), found by its group */
	{
		pid_t pg = fork();
		if (pg == 0) {
			setpgid(0, 0);
			signal(SIGTERM, SIG_IGN);
			execlp("sleep", "sleep", "30", (char *)NULL);
			_exit(127);
		}
		CHECK(pg > 0);
		setpgid(pg, pg);
		bg = pg;
		t0 = exec_wall_ms();
		CHECK(exec_pid_alive(bg));
		started = exec_pid_start_ms(bg);
		CHECK(started >= t0 - 1500 && started <= exec_wall_ms() + 1500);
		CHECK(wait_term_ignored(bg, 5000));
		t0 = exec_mono_ms();
		CHECK_INT(exec_kill_group(pg, 200), 0);
		CHECK(exec_mono_ms() - t0 >= 200);
		waitpid(pg, NULL, 0);
		CHECK(!exec_pid_alive(bg));
		CHECK_INT(exec_kill_group(pg, 200), 1);
	}

	CHECK_INT(exec_kill_group(1, 10), -1);
	CHECK_INT(exec_kill_group(getpgrp(), 10), -1);
	CHECK(exec_pid_alive(getpid()));
	CHECK(exec_pid_start_ms(getpid()) > 0 && exec_pid_start_ms(getpid()) <= exec_wall_ms() + 1500);
	CHECK_INT(exec_pid_start_ms(0), -1);
	CHECK(!exec_pid_alive(0));
}

/* on_tick writes a line per tick; the command waits for three of them: the
 * ticks come while commands run, however slow the machine. */
static FILE *tick_file;
static void s_tick_logged(void *cb, int64_t now)
{
	s_tick(cb, now);
	fputs("tick\n", tick_file);
	fflush(tick_file);
}

static void test_ticks_and_many(void)
{
	static const char *cmds[MAXT];
	struct sched s = { .cmds = cmds, .n = 1, .proto = { .cwd = dir } };
	struct exec_opts o = { .max_jobs = 4, .on_tick = s_tick_logged, .tick_ms = 50 };
	struct err e;
	int ok = 0;
	int64_t t0;
	char *ticks = path_in("ticks");

	tick_file = fopen(ticks, "w");
	CHECK(tick_file != NULL);
	if (!tick_file) {
		free(ticks);
		return;
	}
	cmds[0] = "n=0; while [ $(wc -l < ticks) -lt 3 ] && [ $n -lt 3000 ]; do sleep 0.01; n=$((n+1)); done; "
		  "[ $n -lt 3000 ]";
	CHECK_INT(run_sched(&s, &o, &e), 0);
	CHECK(exec_result_ok(&s.res[0]));
	CHECK(s.ticks >= 3);
	fclose(tick_file);
	free(ticks);
	sched_release(&s);

	memset(&s, 0, sizeof(s));
	s.cmds = cmds;
	s.n = 100;
	for (int i = 0; i < s.n; i++)
		cmds[i] = "true";
	o.on_tick = NULL;
	t0 = exec_mono_ms();
	CHECK_INT(run_sched(&s, &o, &e), 0);
	for (int i = 0; i < s.n; i++)
		ok += exec_result_ok(&s.res[i]);
	CHECK_INT(ok, 100);
	CHECK(s.max_running >= 1 && s.max_running <= 4);
	printf("100 true at -j4: %lld ms\n", (long long)(exec_mono_ms() - t0));
	sched_release(&s);
}

/* ---- gathering ends (exec_opts.gather_us) ---- */

struct gather {
	struct sched s;
	int finished_at_ask; /* s.finished when next_task was last asked */
	int asks_after_ends; /* asks that followed at least one end */
	int max_busy;        /* the most tasks in flight at such an ask */
	int touch_at;        /* create the file "go" when task touch_at is given */
};

static int g_next(void *cb, struct exec_task *out)
{
	struct gather *g = cb;
	int busy = g->s.next - g->s.finished;

	if (g->s.finished > g->finished_at_ask) {
		g->asks_after_ends++;
		if (busy > g->max_busy)
			g->max_busy = busy;
	}
	g->finished_at_ask = g->s.finished;
	if (g->touch_at && g->s.next == g->touch_at) {
		char *go = path_in("go");
		int fd = open(go, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		free(go);
	}
	return s_next(&g->s, out);
}

static int run_gather(struct gather *g, struct exec_opts *o, struct err *e)
{
	o->next_task = g_next;
	o->on_start = s_start;
	o->on_finish = s_finish;
	o->cb = g;
	err_init(e);
	return exec_run_parallel(o, e);
}

/*
 * After a short task ends, next_task is asked again only once half of the
 * slots are free: with a gathering that never times out (a minute), every
 * ask that follows an end finds at most 2 of the 4 slots busy. Without
 * gathering the runner asks after each end, with 3 busy.
 */
static void test_gather_half(void)
{
	static const char *cmds[40];
	struct gather g = { .s = { .cmds = cmds, .n = 40, .proto = { .cwd = dir } } };
	struct exec_opts o = { .max_jobs = 4, .gather_us = 60 * 1000000LL };
	struct err e;
	int ok = 0;

	for (int i = 0; i < g.s.n; i++)
		cmds[i] = "true";
	CHECK_INT(run_gather(&g, &o, &e), 0);
	for (int i = 0; i < g.s.n; i++)
		ok += exec_result_ok(&g.s.res[i]);
	CHECK_INT(ok, 40);
	CHECK(g.asks_after_ends > 0);
	CHECK(g.max_busy <= 2);
	sched_release(&g.s);
}

/*
 * A gathering ends when its time is up, though no other slot frees: task 0
 * ends at once, tasks 1-3 wait until task 4 is given (the file "go"). Were
 * next_task not asked while they ran, they would wait for their timeout.
 */
static void test_gather_time(void)
{
	static const char *cmds[5];
	static const int64_t timeouts[] = { 0, 60000, 60000, 60000, 0 };
	struct gather g = { .s = { .cmds = cmds, .n = 5, .timeouts = timeouts,
				   .proto = { .cwd = dir } },
			    .touch_at = 4 };
	struct exec_opts o = { .max_jobs = 4, .gather_us = 1000 };
	struct err e;

	cmds[0] = "true";
	for (int i = 1; i < 4; i++)
		cmds[i] = "while [ ! -f go ]; do sleep 0.01; done";
	cmds[4] = "true";
	CHECK_INT(run_gather(&g, &o, &e), 0);
	for (int i = 0; i < 5; i++)
		CHECK(exec_result_ok(&g.s.res[i]));
	CHECK_INT(g.max_busy, 3);
	sched_release(&g.s);
}

static void test_without_pidfd(void)
{
	const char *cmds[] = { "exit 7", "exit 7", "echo hi; exit 7", "sleep 30", "exit 7", "exit 7" };
	/* only the sleep has a timeout: the others end when they end */
	static const int64_t timeouts[] = { 0, 0, 0, 150, 0, 0 };
	struct sched s = { .cmds = cmds, .n = 6, .timeouts = timeouts,
			   .proto = { .grace_ms = 300 } };
	struct exec_opts o = { .max_jobs = 3, .no_pidfd = true };
	struct err e;

	CHECK_INT(run_sched(&s, &o, &e), 0);
	for (int i = 0; i < 6; i++)
		if (i != 3)
			CHECK_INT(s.res[i].exit_code, 7);
	CHECK_STR(s.res[2].tail, "hi\n");
	CHECK(s.res[3].timed_out);
	CHECK_INT(s.res[3].term_signal, SIGTERM);
	sched_release(&s);
}

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

int main(void)
{
	char *cmd;
	int fds = count_fds();

	snprintf(dir, sizeof(dir), "%s/tollgate-exec.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	if (chdir(dir) < 0) { /* whatever a command leaves lands in dir */
		perror("chdir");
		return 2;
	}
	RUN(test_exit_status);
	RUN(test_timeout);
	RUN(test_group_killed);
	RUN(test_log_cap);
	RUN(test_env_values);
	RUN(test_cwd_and_capture);
	RUN(test_direct_start);
	RUN(test_max_jobs);
	RUN(test_no_fd_leak);
	RUN(test_cancel);
	RUN(test_cancel_by_signal);
	RUN(test_cancel_from_thread);
	RUN(test_two_runs_at_once);
	RUN(test_scheduler_bug);
	RUN(test_spawn_failure);
	RUN(test_background_and_kill_group);
	RUN(test_ticks_and_many);
	RUN(test_gather_half);
	RUN(test_gather_time);
	RUN(test_without_pidfd);
	CHECK_INT(count_fds(), fds); /* nothing of ours left open */
	if (chdir("/") < 0)
		perror("chdir");
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(cmd);
	return TEST_DONE();
}
