/*
 * cmd-init.c - `tollgate init [DIR]`: write the commented starter plan
 * tollgate.yaml into DIR (default: the current folder), never over an
 * existing one, and keep the store out of git: a .gitignore with .tollgate/
 * (an existing one gets the line appended when it lacks it).
 */
#include "cmd/cmd.h"

#include <errno.h>
#include <jansson.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plan/plan.h"

enum gitignore_result { GITIGNORE_FAILED, GITIGNORE_CREATED, GITIGNORE_APPENDED, GITIGNORE_KEPT };
static const char *const gitignore_words[] = { "failed", "created", "appended", "kept" };

/* Does a .gitignore line ignore the folder .tollgate at its root? */
static bool ignores_store(const char *line, size_t n)
{
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		n--;
	if (n && line[0] == '/') {
		line++;
		n--;
	}
	if (n && line[n - 1] == '/')
		n--;
	return n == 9 && !memcmp(line, ".tollgate", 9);
}

/* DIR/.gitignore holds .tollgate/: created, appended to, or kept as it is. */
static enum gitignore_result write_gitignore(const char *dir, char **pathp)
{
	static const char line[] = ".tollgate/\n";
	struct strbuf sb = STRBUF_INIT;
	enum gitignore_result res = GITIGNORE_FAILED;
	const char *prefix = "";
	char *path = xasprintf("%s%s.gitignore", dir, dir[strlen(dir) - 1] == '/' ? "" : "/");
	FILE *f;

	*pathp = path;
	if (strbuf_read_file(&sb, path, 16u << 20) < 0) {
		if (errno != ENOENT)
			goto out;
		f = fopen(path, "wx");
		if (!f)
			goto out;
		fputs("# tollgate's store, step logs and plan cache (tollgate init)\n", f);
		fputs(line, f);
		res = fclose(f) ? GITIGNORE_FAILED : GITIGNORE_CREATED;
		goto out;
	}
	for (size_t i = 0; i < sb.len;) {
		const char *nl = memchr(sb.buf + i, '\n', sb.len - i);
		size_t end = nl ? (size_t)(nl - sb.buf) : sb.len;
		if (ignores_store(sb.buf + i, end - i)) {
			res = GITIGNORE_KEPT;
			goto out;
		}
		i = end + 1;
	}
	if (sb.len && sb.buf[sb.len - 1] != '\n')
		prefix = "\n";
	f = fopen(path, "a");
	if (!f)
		goto out;
	fprintf(f, "%s%s", prefix, line);
	res = fclose(f) ? GITIGNORE_FAILED : GITIGNORE_APPENDED;
out:
	strbuf_release(&sb);
	return res;
}

static int init_exec(struct app *app, struct cmd_args *args)
{
	const char *dir = args->argc > 0 ? args->argv[0] : ".";
	struct passwd *pw = getpwuid(geteuid());
	/* identity: os from the start, with the user running init in it */
	char *text = plan_starter(pw ? pw->pw_name : NULL);
	size_t len = strlen(text);
	struct stat st;
	char *path = NULL, *gi_path = NULL;
	enum gitignore_result gi;
	int fd, rc = EXIT_OK;

	if (stat(dir, &st) < 0) {
		if (errno != ENOENT) {
			rc = cmd_error(EXIT_FAILED, "cannot use '%s': %s", dir, strerror(errno));
			goto out;
		}
		if (mkdir(dir, 0777) < 0) {
			rc = cmd_error(EXIT_FAILED, "cannot create folder '%s': %s", dir,
				       strerror(errno));
			goto out;
		}
	} else if (!S_ISDIR(st.st_mode)) {
		rc = cmd_error(EXIT_USAGE, "'%s' is not a folder; give the folder to write tollgate.yaml into",
			       dir);
		goto out;
	}
	path = xasprintf("%s%stollgate.yaml", dir, dir[strlen(dir) - 1] == '/' ? "" : "/");
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0) {
		if (errno == EEXIST)
			rc = cmd_error(EXIT_USAGE, "'%s' already exists; not overwriting it (remove it first, or init another folder)",
				       path);
		else
			rc = cmd_error(EXIT_FAILED, "cannot create '%s': %s", path, strerror(errno));
		goto out;
	}
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			rc = cmd_error(EXIT_FAILED, "cannot write '%s': %s", path, strerror(errno));
			close(fd);
			unlink(path);
			goto out;
		}
		off += (size_t)w;
	}
	if (close(fd) < 0) {
		rc = cmd_error(EXIT_FAILED, "cannot write '%s': %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	gi = write_gitignore(dir, &gi_path);
	if (gi == GITIGNORE_FAILED)
		cmd_warn("cannot add .tollgate/ to '%s' (%s); keep the store out of git by hand",
			 gi_path, strerror(errno));
	if (app->json)
		cmd_print_json(json_pack("{s:b, s:s, s:{s:s, s:s}}", "written", 1, "path", path,
					 "gitignore", "path", gi_path, "change",
					 gitignore_words[gi]));
	else {
		printf("wrote %s; edit it, then run 'tollgate validate'\n", path);
		if (gi == GITIGNORE_CREATED)
			printf("wrote %s: git ignores the store (.tollgate/)\n", gi_path);
		else if (gi == GITIGNORE_APPENDED)
			printf("added .tollgate/ to %s: git ignores the store\n", gi_path);
		if (!strstr(text, PLAN_STARTER_LOGIN))
			printf("identity: os: you act as 'dana', whose login is your OS user '%s'; "
			       "give each person their own\n",
			       pw->pw_name);
		else
			printf("identity: os: put your OS user in a person's 'login' (now '%s') "
			       "to act\n",
			       PLAN_STARTER_LOGIN);
	}
out:
	free(path);
	free(gi_path);
	free(text);
	return rc;
}

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.usage = "[DIR]",
	.summary = "writes a commented starter plan tollgate.yaml into DIR (default: here)",
	.help = "The starter plan shows every kind of key once and validates as it stands.\n"
		"It uses 'identity: os' with your OS user as the login of its first person.\n"
		"An existing tollgate.yaml is never overwritten.\n"
		"It also keeps the store out of git: DIR/.gitignore gets a '.tollgate/' line\n"
		"(the file is created, or the line appended when it lacks it).\n",
	.examples = "tollgate init\n"
		    "tollgate init release-q3\n",
	.opts = NULL,
	.min_args = 0,
	.max_args = 1,
	.needs = 0,
	.exec = init_exec,
};
