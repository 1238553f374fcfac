/*
 * cmd-init.c - `tollgate init [DIR]`: write the commented starter plan
 * tollgate.yaml into DIR (default: the current folder), never over an
 * existing one.
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

static int init_exec(struct app *app, struct cmd_args *args)
{
	const char *dir = args->argc > 0 ? args->argv[0] : ".";
	struct passwd *pw = getpwuid(geteuid());
	/* identity: os from the start, with the user running init in it */
	char *text = plan_starter(pw ? pw->pw_name : NULL);
	size_t len = strlen(text);
	struct stat st;
	char *path = NULL;
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
	if (app->json)
		cmd_print_json(json_pack("{s:b, s:s}", "written", 1, "path", path));
	else {
		printf("wrote %s; edit it, then run 'tollgate validate'\n", path);
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
	free(text);
	return rc;
}

const struct cmd_entry cmd_init_entry = {
	.name = "init",
	.usage = "[DIR]",
	.summary = "writes a commented starter plan tollgate.yaml into DIR (default: here)",
	.help = "The starter plan shows every kind of key once and validates as it stands.\n"
		"It uses 'identity: os' with your OS user as the login of its first person.\n"
		"An existing tollgate.yaml is never overwritten.\n",
	.examples = "tollgate init\n"
		    "tollgate init release-q3\n",
	.opts = NULL,
	.min_args = 0,
	.max_args = 1,
	.needs = 0,
	.exec = init_exec,
};
