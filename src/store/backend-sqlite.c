/*
 * backend-sqlite.c - the store on an embedded SQLite file.
 *
 * WAL journal, a bounded busy wait (30 s unless the caller says otherwise)
 * and BEGIN IMMEDIATE for every write transaction: concurrent tollgate
 * processes on one machine queue for the write lock instead of failing with
 * "database is locked", and readers never wait for writers. A wait that
 * passes a second is reported once (who has the file open); one that runs
 * out says who and what to do. Prepared statements are cached by the address
 * of their (static) SQL text.
 *
 * A reader (store_open_opts.read_only) opens the file read only, so that
 * it works where its user may only read the store, and on a full disk; a
 * writer checks first that it may write the file, its folder and its -wal
 * and -shm, and takes over a -wal or -shm that another user left behind.
 * Errors name the cause (whose file, which mode; a full disk) and the fix,
 * not "attempt to write a readonly database" or "disk I/O error".
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "store/store-internal.h"

#define SQ_NOTICE_MS 1000
#define SQ_MAX_COLS 32
#define SQ_MAX_CMDS 8
#define SQ_CMD_LEN 40
/* SQLite's lock bytes on the database file (os_unix.c): a connection to a
 * WAL database holds a read lock on its SHARED range for as long as it is
 * open, and takes a write lock on it to checkpoint and delete the WAL when
 * it is the last to close */
#define SQ_SHARED_FIRST 0x40000002
#define SQ_SHARED_SIZE 510
#define SQ_WAL_HEADER 32 /* a -wal no longer than this holds no commit */
/* what to do when this user may not write the store */
#define SQ_FIX_WRITE                                                                   \
	"; ask its owner to let you write it, or use a command that only reads "       \
	"(status, why, next, log, report, promote --dry-run)"

struct sq_stmt {
	const char *sql;
	sqlite3_stmt *st;
	int plan_at; /* the index of :plan, 0: none */
};

struct sq_conn {
	sqlite3 *db;
	char *path; /* the database file, resolved */
	bool read_only;
	/* an immutable reader's read lock on the SHARED range (sq_open_read),
	 * -1: none */
	int lock_fd;
	int64_t wait_ms;
	void (*waiting)(void *ctx, const char *holder);
	void *waiting_ctx;
	bool noticed; /* this wait was reported */
	struct timespec busy_since;
	unsigned seed;
	struct sq_stmt *stmts;
	size_t nstmts, alloc;
	char *plan; /* bound to every :plan */
	/* the short one-statement commands of every transaction (BEGIN,
	 * COMMIT, SAVEPOINT…), prepared once; keyed by their text, a copy */
	struct sq_stmt cmds[SQ_MAX_CMDS];
	size_t ncmds;
	/* sq_watch: PRAGMA data_version when last looked at */
	bool watching;
	int64_t data_version;
};

/*
 * The processes other than us that have the database (or its WAL) open: one
 * of them holds the lock. "pid 4242 (tollgate promote --to sit), pid 77
 * (sqlite3 state.db)"; empty when none can be seen (another user's process,
 * another machine on a shared folder). Bounded: the first 4 are named.
 */
static void sq_holders(const struct sq_conn *c, struct strbuf *out)
{
	DIR *proc = opendir("/proc");
	struct dirent *d;
	size_t named = 0, more = 0;
	size_t plen = c->path ? strlen(c->path) : 0;

	if (!proc || !plen) {
		if (proc)
			closedir(proc);
		return;
	}
	while ((d = readdir(proc))) {
		char fddir[64], link[PATH_MAX], target[PATH_MAX];
		DIR *fds;
		struct dirent *f;
		bool hit = false;
		long pid = strtol(d->d_name, NULL, 10);

		if (pid <= 0 || pid == (long)getpid())
			continue;
		snprintf(fddir, sizeof(fddir), "/proc/%ld/fd", pid);
		if (!(fds = opendir(fddir)))
			continue;
		while (!hit && (f = readdir(fds))) {
			ssize_t n;
			if (f->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", fddir, f->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			if (n <= 0)
				continue;
			target[n] = '\0';
			hit = !strncmp(target, c->path, plen) &&
			      (!target[plen] || !strcmp(target + plen, "-wal") ||
			       !strcmp(target + plen, "-shm"));
		}
		closedir(fds);
		if (!hit)
			continue;
		if (named == 4) {
			more++;
			continue;
		}
		{
			char cmd[160] = "";
			int fd;
			snprintf(link, sizeof(link), "/proc/%ld/cmdline", pid);
			fd = open(link, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
				close(fd);
				if (n < 0)
					n = 0;
				cmd[n] = '\0';
				for (ssize_t i = 0; i + 1 < n; i++)
					if (!cmd[i])
						cmd[i] = ' ';
			}
			strbuf_addf(out, "%spid %ld", named ? ", " : "", pid);
			if (cmd[0]) {
				strbuf_addstr(out, " (");
				strbuf_add_scrubbed(out, cmd, false);
				strbuf_addch(out, ')');
			}
			named++;
		}
	}
	closedir(proc);
	if (more)
		strbuf_addf(out, " and %zu more", more);
}

/*
 * SQLite's own busy timeout sleeps up to 100 ms between tries, so a queue of
 * writers moves in 100 ms steps. Retry every 0.5-2 ms instead (with jitter so
 * waiters do not move in lockstep), up to wait_ms in all; say once who holds
 * the file when the wait passes a second.
 */
static int sq_busy(void *arg, int tries)
{
	struct sq_conn *c = arg;
	struct timespec now;
	long waited_ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (tries == 0) {
		c->busy_since = now;
		c->noticed = false;
	}
	waited_ms = (now.tv_sec - c->busy_since.tv_sec) * 1000 +
		    (now.tv_nsec - c->busy_since.tv_nsec) / 1000000;
	if (waited_ms >= c->wait_ms)
		return 0;
	if (waited_ms >= SQ_NOTICE_MS && !c->noticed && c->waiting) {
		struct strbuf who = STRBUF_INIT;
		c->noticed = true;
		sq_holders(c, &who);
		c->waiting(c->waiting_ctx, who.len ? who.buf : "another writer");
		strbuf_release(&who);
	}
	c->seed = c->seed * 1103515245u + 12345u;
	usleep(500 + (c->seed >> 16) % 1500);
	return 1;
}

/* ---- causes: whose file, which mode, which disk --------------------------- */

static void sq_add_user(struct strbuf *out, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	if (pw && pw->pw_name && *pw->pw_name)
		strbuf_addstr(out, pw->pw_name);
	else
		strbuf_addf(out, "uid %lu", (unsigned long)uid);
}

/* "you (user bob) may not write 'P' (it belongs to alice, mode 0644)" */
static void sq_may_not(struct strbuf *out, const char *verb, const char *path)
{
	struct stat st;
	strbuf_addstr(out, "you (user ");
	sq_add_user(out, geteuid());
	strbuf_addf(out, ") may not %s '", verb);
	strbuf_add_scrubbed(out, path, false);
	strbuf_addch(out, '\'');
	if (stat(path, &st) == 0) {
		strbuf_addstr(out, " (it belongs to ");
		sq_add_user(out, st.st_uid);
		strbuf_addf(out, ", mode %04o)", (unsigned)(st.st_mode & 07777));
	}
}

/* Why path cannot be written (errno of a failed faccessat or open), and
 * what to do: REASON_FORBIDDEN. */
static int sq_denied(struct err *e, const char *path, int errnum)
{
	struct strbuf sb = STRBUF_INIT;
	if (errnum == EROFS) {
		strbuf_addch(&sb, '\'');
		strbuf_add_scrubbed(&sb, path, false);
		strbuf_addstr(&sb, "' is on a read-only file system");
	} else if (errnum == EACCES || errnum == EPERM) {
		sq_may_not(&sb, "write", path);
	} else {
		strbuf_addstr(&sb, "cannot write '");
		strbuf_add_scrubbed(&sb, path, false);
		strbuf_addf(&sb, "': %s", strerror(errnum));
	}
	err_setr(e, ERR_FAILED, REASON_FORBIDDEN, "%s" SQ_FIX_WRITE, sb.buf);
	strbuf_release(&sb);
	return -1;
}

static void sq_add_size(struct strbuf *out, unsigned long long n)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	size_t u = 0;
	while (n >= 10240 && u + 1 < ARRAY_SIZE(units)) {
		n /= 1024;
		u++;
	}
	strbuf_addf(out, "%llu %s", n, units[u]);
}

/* The disk under the store is full (or a quota, or a file size limit). */
static int sq_full(const struct sq_conn *c, int sys, struct err *e)
{
	struct strbuf sb = STRBUF_INIT;
	char *dir = store_dir_of(c->path ? c->path : ".");
	struct statvfs vfs;

	if (sys == EDQUOT) {
		strbuf_addstr(&sb, "your disk quota where the store is ('");
		strbuf_add_scrubbed(&sb, dir, false);
		strbuf_addstr(&sb, "') is used up; free some of it");
	} else if (sys == EFBIG) {
		strbuf_addstr(&sb, "a file size limit (ulimit -f) stops the store '");
		strbuf_add_scrubbed(&sb, c->path ? c->path : "", false);
		strbuf_addstr(&sb, "' from growing; raise it");
	} else {
		strbuf_addstr(&sb, "the disk that holds the store is full ('");
		strbuf_add_scrubbed(&sb, dir, false);
		strbuf_addch(&sb, '\'');
		if (statvfs(dir, &vfs) == 0) {
			strbuf_addstr(&sb, ", ");
			sq_add_size(&sb, (unsigned long long)vfs.f_bavail * vfs.f_frsize);
			strbuf_addstr(&sb, " free");
		}
		strbuf_addstr(&sb, "); free space on it");
	}
	strbuf_addstr(&sb, ", then try again");
	err_setr(e, ERR_FAILED, REASON_IO, "%s", sb.buf);
	strbuf_release(&sb);
	free(dir);
	return -1;
}

/* Which of the store's files this user may not write: the first of the
 * file, its -wal, its -shm and its folder; 0 with *errnum, or -1 none. */
static int sq_unwritable(const char *path, struct strbuf *which, int *errnum)
{
	static const char *const sides[] = { "", "-wal", "-shm" };
	char *dir = store_dir_of(path);
	for (size_t i = 0; i < ARRAY_SIZE(sides); i++) {
		struct strbuf f = STRBUF_INIT;
		strbuf_addf(&f, "%s%s", path, sides[i]);
		if (access(f.buf, F_OK) == 0 && faccessat(AT_FDCWD, f.buf, W_OK, AT_EACCESS) < 0) {
			*errnum = errno;
			strbuf_add(which, f.buf, f.len);
			strbuf_release(&f);
			free(dir);
			return 0;
		}
		strbuf_release(&f);
	}
	if (faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0) {
		*errnum = errno;
		strbuf_addstr(which, dir);
		free(dir);
		return 0;
	}
	free(dir);
	return -1;
}

/* What a failed SQLite call means, said as its cause and its fix. */
static int sq_cause(const struct sq_conn *c, struct err *e)
{
	int ext = sqlite3_extended_errcode(c->db), prim = ext & 0xff;
	int sys = sqlite3_system_errno(c->db);
	bool os = prim == SQLITE_IOERR || prim == SQLITE_CANTOPEN || prim == SQLITE_FULL ||
		  prim == SQLITE_READONLY;

	if (prim == SQLITE_FULL || (os && (sys == ENOSPC || sys == EDQUOT || sys == EFBIG)))
		return sq_full(c, sys, e);
	if (c->path && (prim == SQLITE_READONLY ||
			(os && (sys == EACCES || sys == EPERM || sys == EROFS)))) {
		struct strbuf which = STRBUF_INIT;
		int errnum = EACCES;
		if (sq_unwritable(c->path, &which, &errnum) == 0) {
			sq_denied(e, which.buf, errnum);
			strbuf_release(&which);
			return -1;
		}
		strbuf_release(&which);
	}
	if (os && sys)
		return err_setr(e, ERR_FAILED, REASON_IO, "%s (%s)", sqlite3_errmsg(c->db),
				strerror(sys));
	return err_setr(e, ERR_FAILED, REASON_IO, "%s", sqlite3_errmsg(c->db));
}

static int sq_fail(struct sq_conn *c, struct err *e)
{
	if (sqlite3_errcode(c->db) == SQLITE_BUSY) {
		struct strbuf who = STRBUF_INIT;
		char d[32];
		sq_holders(c, &who);
		util_fmt_duration((c->wait_ms + 999) / 1000, d, sizeof(d));
		err_setr(e, ERR_FAILED, REASON_BUSY,
			 "the store is locked by another writer%s%s and stayed locked for %s; "
			 "wait for it to finish, or wait longer with TOLLGATE_STORE_WAIT",
			 who.len ? ": " : "", who.buf ? who.buf : "", d);
		strbuf_release(&who);
		return -1;
	}
	if (sqlite3_errcode(c->db) == SQLITE_CONSTRAINT)
		return err_setr(e, ERR_FAILED, REASON_CONFLICT, "%s", sqlite3_errmsg(c->db));
	return sq_cause(c, e);
}

static void sq_close(void *conn)
{
	struct sq_conn *c = conn;
	if (!c)
		return;
	for (size_t i = 0; i < c->nstmts; i++)
		sqlite3_finalize(c->stmts[i].st);
	free(c->stmts);
	for (size_t i = 0; i < c->ncmds; i++) {
		sqlite3_finalize(c->cmds[i].st);
		free((char *)c->cmds[i].sql);
	}
	sqlite3_close_v2(c->db);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c->path);
	free(c->plan);
	free(c);
}

/* sql prepared, when it is a short command of one statement (cached);
 * NULL: run it with sqlite3_exec. */
static sqlite3_stmt *sq_cmd(struct sq_conn *c, const char *sql)
{
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;

	if (strlen(sql) > SQ_CMD_LEN || strchr(sql, ';'))
		return NULL;
	for (size_t i = 0; i < c->ncmds; i++)
		if (!strcmp(c->cmds[i].sql, sql))
			return c->cmds[i].st;
	if (c->ncmds == SQ_MAX_CMDS ||
	    sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, &tail) != SQLITE_OK)
		return NULL;
	if (!st || (tail && *tail)) {
		sqlite3_finalize(st);
		return NULL;
	}
	c->cmds[c->ncmds].sql = xstrdup(sql);
	c->cmds[c->ncmds].st = st;
	c->ncmds++;
	return st;
}

static int sq_exec(void *conn, const char *sql, struct err *e)
{
	struct sq_conn *c = conn;
	sqlite3_stmt *st = sq_cmd(c, sql);
	char *msg = NULL;

	if (st) {
		int rc = sqlite3_step(st);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			sq_fail(c, e);
			sqlite3_reset(st);
			return -1;
		}
		sqlite3_reset(st);
		return 0;
	}
	if (sqlite3_exec(c->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sq_fail(c, e);
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/*
 * Switch a new store to WAL. While a fresh file is still in rollback mode,
 * several processes opening it at once can meet in a lock upgrade that
 * SQLite refuses at once (SQLITE_BUSY without calling the busy handler: it
 * would deadlock); so this one statement is retried here, up to the wait.
 */
static int sq_wal(struct sq_conn *c, struct err *e)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct err tmp;
		long waited_ms;
		err_init(&tmp);
		if (sq_exec(c, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", &tmp) == 0)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		waited_ms = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if (!err_is(&tmp, REASON_BUSY) || waited_ms >= c->wait_ms) {
			err_copy(e, &tmp);
			return -1;
		}
		c->seed = c->seed * 1103515245u + 12345u;
		usleep(500 + (c->seed >> 16) % 1500);
	}
}

/* ---- opening ---------------------------------------------------------------- */

/* c->db on uri (or a plain path), with the busy handler; c->path resolved.
 * An error is said by sq_fail (the cause); c->db is closed then. */
static int sq_connect(struct sq_conn *c, const char *name, int flags, struct err *e)
{
	int rc = sqlite3_open_v2(name, &c->db, flags | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		if (c->db)
			sq_fail(c, e);
		else
			err_setr(e, ERR_FAILED, REASON_IO, "out of memory");
		sqlite3_close_v2(c->db);
		c->db = NULL;
		return -1;
	}
	sqlite3_extended_result_codes(c->db, 0);
	if (!c->path) {
		const char *f = sqlite3_db_filename(c->db, "main");
		char *real = f && *f ? realpath(f, NULL) : NULL;
		c->path = real ? real : f && *f ? xstrdup(f) : NULL;
	}
	sqlite3_busy_handler(c->db, sq_busy, c);
	return 0;
}

/* "file:PATH?params", the path percent-encoded (SQLite's URI filenames) */
static char *sq_uri(const char *path, const char *params)
{
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, path[0] == '/' ? "file://" : "file:");
	for (const char *p = path; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (isalnum(ch) || strchr("/._-~", ch))
			strbuf_addch(&sb, (char)ch);
		else
			strbuf_addf(&sb, "%%%02X", ch);
	}
	strbuf_addf(&sb, "?%s", params);
	return strbuf_detach(&sb);
}

/* A read-only connection with these URI parameters that has read the
 * schema (the first read opens the WAL, where a reader fails if it fails). */
static int sq_connect_read(struct sq_conn *c, const char *path, const char *params,
			   struct err *e)
{
	char *uri = sq_uri(path, params);
	int rc = sq_connect(c, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, e);
	free(uri);
	if (rc < 0)
		return -1;
	if (sqlite3_exec(c->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
		sq_fail(c, e);
		sqlite3_close_v2(c->db);
		c->db = NULL;
		return -1;
	}
	return 0;
}

/* Does the -wal beside path hold a commit (it may be missing)? */
static bool sq_wal_has_frames(const char *path)
{
	struct stat st;
	char *wal = xasprintf("%s-wal", path);
	bool has = stat(wal, &st) == 0 && st.st_size > SQ_WAL_HEADER;
	free(wal);
	return has;
}

/*
 * A read lock on the SHARED range of path, for an immutable reader: while
 * it is held no writer can checkpoint into the file and delete the WAL as
 * the last connection to close, which is the one way a file with no WAL
 * changes under a reader that sees no WAL. Waits out a writer checkpointing
 * now (its write lock) up to the store's wait.
 */
static int sq_read_lock(struct sq_conn *c, const char *path, struct err *e)
{
	struct flock lk = { .l_type = F_RDLCK, .l_whence = SEEK_SET,
			    .l_start = SQ_SHARED_FIRST, .l_len = SQ_SHARED_SIZE };
	int tries = 0;

	c->lock_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (c->lock_fd < 0)
		return err_setr(e, ERR_FAILED, REASON_IO, "cannot open '%s': %s", path,
				strerror(errno));
	while (fcntl(c->lock_fd, F_SETLK, &lk) < 0) {
		if ((errno != EAGAIN && errno != EACCES) || sq_busy(c, tries++) == 0) {
			close(c->lock_fd);
			c->lock_fd = -1;
			return err_setr(e, ERR_FAILED, REASON_BUSY,
					"the store '%s' stayed locked by a writer; run again", path);
		}
	}
	return 0;
}

/*
 * A reader. First as SQLite opens a WAL database read only: that needs the
 * -wal and -shm to exist or the folder to be writable (sqlite.org/wal.html,
 * "Read-Only Databases"), and a -shm that can grow. Where that fails (a
 * folder its user may not write, a full disk, a -shm left by another user
 * that this one may not open):
 *  - a -wal with no commit in it: the file is the whole store; it is read
 *    as immutable (no -wal, no -shm, no lock of SQLite's), under a read lock
 *    of ours that keeps writers from checkpointing into it meanwhile;
 *  - a -wal with commits and a -shm: readonly_shm=1, the -shm read only
 *    (SQLite rebuilds the index in private memory when no writer holds it).
 * Nothing else is tried: a -wal with commits and no -shm needs recovery by a
 * writer.
 */
static int sq_open_read(struct sq_conn *c, const char *path, struct err *e)
{
	struct err first, again;
	struct stat st;
	char *shm;
	bool has_shm;

	if (stat(path, &st) < 0) {
		if (errno == ENOENT)
			return err_setr(e, ERR_FAILED, REASON_NOT_FOUND, "'%s' does not exist", path);
		return err_setr(e, ERR_FAILED, REASON_IO, "cannot read '%s': %s", path,
				strerror(errno));
	}
	if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) < 0) {
		struct strbuf sb = STRBUF_INIT;
		sq_may_not(&sb, "read", path);
		err_setr(e, ERR_FAILED, REASON_FORBIDDEN,
			 "%s; ask its owner for read access (a plan's store_mode: group lets the "
			 "owner's group read and write it)",
			 sb.buf);
		strbuf_release(&sb);
		return -1;
	}
	err_init(&first);
	if (sq_connect_read(c, path, "mode=ro", &first) == 0)
		return 0;
	err_init(&again);
	if (!sq_wal_has_frames(path)) {
		if (sq_read_lock(c, path, &again) < 0) {
			err_copy(e, &again);
			return -1;
		}
		/* a writer may have begun between the look and the lock */
		if (!sq_wal_has_frames(path)) {
			if (sq_connect_read(c, path, "mode=ro&immutable=1", &again) == 0)
				return 0;
			err_copy(e, &first);
			return -1;
		}
		close(c->lock_fd);
		c->lock_fd = -1;
	}
	shm = xasprintf("%s-shm", path);
	has_shm = access(shm, F_OK) == 0;
	free(shm);
	if (has_shm && sq_connect_read(c, path, "mode=ro&readonly_shm=1", &again) == 0)
		return 0;
	if (!has_shm)
		return err_setr(e, ERR_FAILED, first.reason,
				"%s; its write-ahead log '%s-wal' holds changes but has no index "
				"('%s-shm'): a writer must open the store once to recover it (any "
				"tollgate command run by someone who may write its folder)",
				first.msg, path, path);
	err_copy(e, &first);
	return -1;
}

/*
 * A -wal or -shm that this user may not write, left by another user (a
 * reader that could create them in a shared folder, a process that died),
 * makes SQLite open the store read only: every write would fail with
 * "attempt to write a readonly database", even after the store's own mode
 * was fixed. While no connection has the store open (a WAL connection holds
 * a read lock on the SHARED range for as long as it is open: our write lock
 * there proves there is none, and keeps new ones out meanwhile), make them
 * ours: the -shm is only an index of the -wal, rebuilt by the next opener,
 * so it is removed; the -wal holds commits not yet copied into the store,
 * so it is copied byte for byte into a file of ours that replaces it. Files
 * of ours only get their mode back. mode: the store file's (SQLite gives
 * its -wal and -shm the database file's mode).
 */
static int sq_take_over(struct sq_conn *c, const char *path, unsigned mode, struct err *e)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = SQ_SHARED_FIRST, .l_len = SQ_SHARED_SIZE };
	static const char *const sides[] = { "-shm", "-wal" };
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	int rc = 0;

	if (fd < 0)
		return sq_denied(e, path, errno);
	if (fcntl(fd, F_SETLK, &lk) < 0) {
		struct strbuf who = STRBUF_INIT;
		close(fd);
		sq_holders(c, &who);
		err_setr(e, ERR_FAILED, REASON_BUSY,
			 "its -wal and -shm are another user's and read-only to you, and the store "
			 "is open in another process%s%s; run again once it is done",
			 who.len ? ": " : "", who.len ? who.buf : "");
		strbuf_release(&who);
		return -1;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sides) && rc == 0; i++) {
		char *side = xasprintf("%s%s", path, sides[i]);
		struct stat st;
		if (lstat(side, &st) < 0 || faccessat(AT_FDCWD, side, R_OK | W_OK, AT_EACCESS) == 0) {
			free(side);
			continue;
		}
		if (st.st_uid == geteuid()) {
			if (chmod(side, (mode_t)mode) < 0)
				rc = sq_denied(e, side, errno);
		} else if (i == 0) {
			if (unlink(side) < 0) {
				struct strbuf sb = STRBUF_INIT;
				sq_may_not(&sb, "write", side);
				err_setr(e, ERR_FAILED, REASON_FORBIDDEN,
					 "%s, nor remove it (%s); it is only an index, rebuilt when the "
					 "store opens: ask its owner to remove it while no tollgate runs",
					 sb.buf, strerror(errno));
				strbuf_release(&sb);
				rc = -1;
			}
		} else {
			/* the same bytes in a file of ours, renamed over it */
			char *tmp = xasprintf("%s.XXXXXX", side);
			int in = open(side, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
			int out = in >= 0 ? mkstemp(tmp) : -1;
			struct strbuf data = STRBUF_INIT;
			bool ok = in >= 0 && out >= 0 && strbuf_read_fd(&data, in) >= 0 &&
				  write(out, data.buf ? data.buf : "", data.len) == (ssize_t)data.len &&
				  fchmod(out, (mode_t)mode) == 0 && fsync(out) == 0;
			int errnum = errno;
			if (out >= 0 && (close(out) < 0 || !ok || rename(tmp, side) < 0)) {
				errnum = ok ? errno : errnum;
				ok = false;
				unlink(tmp);
			}
			if (in >= 0)
				close(in);
			if (!ok) {
				struct strbuf sb = STRBUF_INIT;
				sq_may_not(&sb, "write", side);
				err_setr(e, ERR_FAILED, REASON_FORBIDDEN,
					 "%s, nor replace it with a copy of your own (%s); it holds "
					 "changes not yet in the store, so do not delete it: ask its "
					 "owner to open the store once (any tollgate command), or to let "
					 "you write it",
					 sb.buf, strerror(errnum));
				strbuf_release(&sb);
				rc = -1;
			}
			strbuf_release(&data);
			free(tmp);
		}
		free(side);
	}
	close(fd); /* drops the lock */
	return rc;
}

/*
 * Before a writer opens the store: may this user write the file, its -wal
 * and -shm, and (where one of them must be made) its folder? Cause-only
 * errors (REASON_FORBIDDEN), so that the caller says what to do. With
 * enforce_mode, a store of ours gets the plan's mode (and so its -wal and
 * -shm, by SQLite's rule, or by us when they are there already).
 */
static int sq_check_write(struct sq_conn *c, const char *path, const struct store_open_opts *o,
			  struct err *e)
{
	static const char *const sides[] = { "-wal", "-shm" };
	struct stat st;
	bool exists = stat(path, &st) == 0, need_dir = !exists, foreign = false;
	unsigned mode = exists ? (unsigned)(st.st_mode & 0777) : o->file_mode;
	char *dir = store_dir_of(path);
	int rc = -1;

	if (exists && faccessat(AT_FDCWD, path, R_OK | W_OK, AT_EACCESS) < 0) {
		sq_denied(e, path, errno);
		goto out;
	}
	if (exists && o->enforce_mode && st.st_uid == geteuid() && mode != o->file_mode) {
		if (chmod(path, (mode_t)o->file_mode) < 0) {
			sq_denied(e, path, errno);
			goto out;
		}
		mode = o->file_mode;
	}
	for (size_t i = 0; i < ARRAY_SIZE(sides); i++) {
		char *side = xasprintf("%s%s", path, sides[i]);
		struct stat ss;
		if (lstat(side, &ss) < 0) {
			need_dir = true;
		} else if (faccessat(AT_FDCWD, side, R_OK | W_OK, AT_EACCESS) < 0) {
			if (errno == EROFS) {
				sq_denied(e, side, errno);
				free(side);
				goto out;
			}
			foreign = true;
		} else if (ss.st_uid == geteuid() && (ss.st_mode & 0777) != mode) {
			(void)!chmod(side, (mode_t)mode); /* SQLite's rule, kept after a chmod */
		}
		free(side);
	}
	if (need_dir && faccessat(AT_FDCWD, dir, W_OK | X_OK, AT_EACCESS) < 0) {
		struct strbuf sb = STRBUF_INIT;
		if (errno == ENOENT || errno == ENOTDIR) {
			err_setr(e, ERR_FAILED, REASON_IO,
				 "its folder '%s' does not exist; create it, or name another store", dir);
			goto out;
		}
		if (errno != EACCES && errno != EPERM) {
			sq_denied(e, dir, errno);
			goto out;
		}
		sq_may_not(&sb, "write", dir);
		strbuf_addstr(&sb, ", the folder where SQLite keeps the store's write-ahead log "
				   "(its -wal and -shm)");
		err_setr(e, ERR_FAILED, REASON_FORBIDDEN, "%s" SQ_FIX_WRITE, sb.buf);
		strbuf_release(&sb);
		goto out;
	}
	if (foreign && sq_take_over(c, path, mode, e) < 0)
		goto out;
	rc = 0;
out:
	free(dir);
	return rc;
}

static int sq_open(void **out, const char *path, const struct store_open_opts *o,
		   struct err *e)
{
	struct sq_conn *c = xcalloc(1, sizeof(*c));

	*out = NULL;
	c->lock_fd = -1;
	c->wait_ms = o->wait_ms > 0 ? o->wait_ms : STORE_WAIT_DEFAULT_MS;
	c->plan = xstrdup(o->plan_id ? o->plan_id : "");
	c->waiting = o->waiting;
	c->waiting_ctx = o->ctx;
	c->seed = (unsigned)getpid() ^ (unsigned)(uintptr_t)c;
	c->read_only = o->read_only && *path;
	if (c->read_only) {
		char *real = realpath(path, NULL);
		c->path = real ? real : xstrdup(path);
		if (sq_open_read(c, path, e) < 0) {
			sq_close(c);
			return -1;
		}
		*out = c;
		return 0;
	}
	/* a new store has the plan's store_mode (0600 unless it says: steps'
	 * evidence and the audit may hold what should not be readable by
	 * others), whatever the umask; SQLite gives its -wal and -shm the
	 * database file's mode. An empty path is a private temporary database
	 * (the state `log --verify` rebuilds), deleted when it closes. */
	if (*path) {
		unsigned mode = o->file_mode ? o->file_mode : 0600;
		int fd;
		char *real;
		c->path = (real = realpath(path, NULL)) ? real : xstrdup(path);
		if (sq_check_write(c, path, o, e) < 0) {
			sq_close(c);
			return -1;
		}
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
		if (fd >= 0) {
			(void)!fchmod(fd, (mode_t)mode);
			close(fd);
			free(c->path);
			c->path = (real = realpath(path, NULL)) ? real : xstrdup(path);
		}
	}
	if (sq_connect(c, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, e) < 0) {
		sq_close(c);
		return -1;
	}
	/* journal_mode=WAL is persistent; switching needs a lock, so it waits
	 * in the busy handler like everything else. synchronous=NORMAL is the
	 * WAL setting: a crash never corrupts the file or breaks the audit chain;
	 * a power cut may lose the last commits (data and their entries
	 * together). */
	if (*path ? sq_wal(c, e) < 0
		  : sq_exec(c, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", e) < 0) {
		sq_close(c);
		return -1;
	}
	*out = c;
	return 0;
}

static int sq_begin(void *conn, bool write, struct err *e)
{
	return sq_exec(conn, write ? "BEGIN IMMEDIATE" : "BEGIN", e);
}

static int sq_commit(void *conn, struct err *e)
{
	struct sq_conn *c = conn;
	if (sq_exec(c, "COMMIT", e) < 0) {
		if (!sqlite3_get_autocommit(c->db))
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void sq_rollback(void *conn)
{
	struct sq_conn *c = conn;
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

static struct sq_stmt *sq_prepare(struct sq_conn *c, const char *sql, struct err *e)
{
	sqlite3_stmt *st = NULL;
	struct sq_stmt *x;
	for (size_t i = 0; i < c->nstmts; i++)
		if (c->stmts[i].sql == sql)
			return &c->stmts[i];
	if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		sq_fail(c, e);
		return NULL;
	}
	ALLOC_GROW(c->stmts, c->nstmts + 1, c->alloc);
	x = &c->stmts[c->nstmts++];
	x->sql = sql;
	x->st = st;
	x->plan_at = sqlite3_bind_parameter_index(st, ":plan");
	return x;
}

static int64_t sq_query(void *conn, const char *sql, const struct store_val *params, int nparams,
			unsigned flags, store_row_fn fn, void *ctx, struct err *e)
{
	struct sq_conn *c = conn;
	struct store_val cols[SQ_MAX_COLS];
	struct sq_stmt *x = sq_prepare(c, sql, e);
	sqlite3_stmt *st;
	int64_t ret = 0;
	int rc, ncol, plan_at;

	(void)flags; /* sqlite3_step streams already */
	if (!x)
		return -1;
	st = x->st;
	/* :plan takes the index SQLite gave it; the `?` are numbered around it */
	plan_at = x->plan_at;
	if (plan_at && sqlite3_bind_text(st, plan_at, c->plan, -1, SQLITE_STATIC) != SQLITE_OK) {
		ret = sq_fail(c, e);
		goto out;
	}
	for (int i = 0; i < nparams; i++) {
		const struct store_val *p = &params[i];
		int at = plan_at && i + 1 >= plan_at ? i + 2 : i + 1;
		if (p->type == SV_INT)
			rc = sqlite3_bind_int64(st, at, p->i);
		else if (p->type == SV_TEXT)
			rc = sqlite3_bind_text(st, at, p->s, -1, SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(st, at);
		if (rc != SQLITE_OK) {
			ret = sq_fail(c, e);
			goto out;
		}
	}
	ncol = sqlite3_column_count(st);
	if (ncol > SQ_MAX_COLS)
		BUG("query with %d columns", ncol);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_row row = { ncol, cols };
		if (!fn)
			continue;
		for (int i = 0; i < ncol; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				cols[i] = sv_null();
				break;
			case SQLITE_INTEGER:
				cols[i] = sv_int(sqlite3_column_int64(st, i));
				break;
			default:
				cols[i].type = SV_TEXT;
				cols[i].s = (const char *)sqlite3_column_text(st, i);
				cols[i].len = (size_t)sqlite3_column_bytes(st, i);
				cols[i].i = 0;
				break;
			}
		}
		ret = fn(ctx, &row);
		if (ret)
			goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_fail(c, e);
		goto out;
	}
	ret = sqlite3_stmt_readonly(st) ? 0 : sqlite3_changes64(c->db);
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static void sq_owner(void *conn, struct strbuf *out)
{
	struct sq_conn *c = conn;
	struct stat st;
	if (c->path && stat(c->path, &st) == 0) {
		strbuf_addstr(out, "its owner is user ");
		sq_add_user(out, st.st_uid);
	}
}

static void sq_set_plan(void *conn, const char *plan)
{
	struct sq_conn *c = conn;
	free(c->plan);
	c->plan = xstrdup(plan ? plan : "");
}

/*
 * Watching for other connections' commits: PRAGMA data_version changes when
 * another connection commits to the file, and reads only the WAL index (no
 * table page), so polling it is nearly free.
 */
static const char sq_sql_data_version[] = "PRAGMA data_version";

static int sq_version_row(void *ctx, const struct store_row *r)
{
	*(int64_t *)ctx = r->n > 0 ? r->v[0].i : 0;
	return 0;
}

static int sq_data_version(struct sq_conn *c, int64_t *v, struct err *e)
{
	return sq_query(c, sq_sql_data_version, NULL, 0, 0, sq_version_row, v, e) < 0 ? -1 : 0;
}

static int sq_watch(void *conn, int timeout_ms, struct err *e)
{
	struct sq_conn *c = conn;
	int64_t v = 0;
	int waited = 0;

	if (sq_data_version(c, &v, e) < 0)
		return -1;
	if (!c->watching) {
		c->watching = true;
		c->data_version = v;
		return 1;
	}
	for (;;) {
		struct timespec ts;
		int step;
		if (v != c->data_version) {
			c->data_version = v;
			return 1;
		}
		if (waited >= timeout_ms)
			return 0;
		step = timeout_ms - waited < STORE_WATCH_POLL_MS ? timeout_ms - waited
								 : STORE_WATCH_POLL_MS;
		ts.tv_sec = step / 1000;
		ts.tv_nsec = (long)(step % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		waited += step;
		if (sq_data_version(c, &v, e) < 0)
			return -1;
	}
}

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.query = sq_query,
	.set_plan = sq_set_plan,
	.owner = sq_owner,
	.sql_has_table = "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
	.max_params = 32766,
	.watch = sq_watch,
};
