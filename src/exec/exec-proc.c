/*
 * exec-proc.c - processes that outlived the tollgate that started them
 * (crash repair): are they alive, when did they start, end their group.
 * Read from /proc; nothing is cached.
 */
#define _GNU_SOURCE
#include "exec/exec-internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>


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
