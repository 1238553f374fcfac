/*
 * plan-find.c - which plan a command reads when none is named: tollgate.yaml
 * in the current folder or the nearest of its parents, as git finds .git.
 * The search stops at the root and where a parent is on another file system
 * (a mount point is a boundary a plan does not cross, as in git). The path
 * found is relative ("../../tollgate.yaml"): messages name it as the user
 * would, and the store, the logs and the steps' folder follow the plan's
 * folder as they do for --plan.
 */
#include "plan/plan.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PLAN_FIND_MAX_UP 256

char *plan_find(const char *name)
{
	struct stat here, up;
	char *dir = xstrdup("."), *path = NULL;

	for (int depth = 0; depth <= PLAN_FIND_MAX_UP; depth++) {
		struct stat st;
		char *parent;

		path = depth ? xasprintf("%s/%s", dir, name) : xstrdup(name);
		if (!stat(path, &st) && S_ISREG(st.st_mode))
			break;
		free(path);
		path = NULL;
		if (stat(dir, &here) < 0)
			break;
		parent = depth ? xasprintf("%s/..", dir) : xstrdup("..");
		if (stat(parent, &up) < 0 || up.st_dev != here.st_dev ||
		    (up.st_ino == here.st_ino && up.st_dev == here.st_dev)) {
			free(parent); /* another file system, or the root */
			break;
		}
		free(dir);
		dir = parent;
	}
	free(dir);
	return path;
}
