/*
 * dynload.c - see dynload.h.
 */
#include "util/dynload.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void clear(const struct dyn_sym *syms, size_t n)
{
	void *none = NULL;
	for (size_t i = 0; i < n; i++)
		memcpy(syms[i].slot, &none, sizeof(none));
}

void *dyn_load(const char *env, const char *dflt, const char *what, const char *pkg,
	       const struct dyn_sym *syms, size_t n, char *failure, size_t len)
{
	const char *name = getenv(env);
	void *lib;

	if (!name || !*name)
		name = dflt;
	lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		snprintf(failure, len, "cannot load %s: %s; install %s", what, why ? why : name,
			 pkg);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		/* a function's address as dlsym gives it (POSIX: a void * holds it) */
		void *f = dlsym(lib, syms[i].name);
		if (!f) {
			snprintf(failure, len, "%s lacks %s; install a newer %s", name,
				 syms[i].name, pkg);
			dyn_unload(lib, syms, n);
			return NULL;
		}
		memcpy(syms[i].slot, &f, sizeof(f));
	}
	return lib;
}

void dyn_unload(void *lib, const struct dyn_sym *syms, size_t n)
{
	clear(syms, n);
	dlclose(lib);
}
