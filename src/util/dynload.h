/*
 * dynload.h - loading a library tollgate does not link (libpq, libcurl,
 * libmicrohttpd, libcrypto: each only where it is needed) with every
 * function it calls resolved, or none: a library that lacks one is closed
 * again and no pointer of it is left set. The callers keep the pointers
 * (one per function, listed by an X-macro) and run this once
 * (pthread_once), reporting its failure on every later call.
 */
#ifndef TOLLGATE_UTIL_DYNLOAD_H
#define TOLLGATE_UTIL_DYNLOAD_H

#include <stddef.h>

struct dyn_sym {
	const char *name;
	void *slot; /* the address of the function pointer to set */
};

/*
 * Load env's library, or dflt when env is unset or empty (tests name a
 * missing one), resolving every symbol of syms. Returns the handle, or NULL
 * with failure holding one line: "cannot load WHAT: WHY; install PKG", or
 * "FILE lacks SYMBOL; install a newer PKG".
 */
void *dyn_load(const char *env, const char *dflt, const char *what, const char *pkg,
	       const struct dyn_sym *syms, size_t n, char *failure, size_t len);
/* Undo a dyn_load that succeeded: every pointer NULL, the library closed. */
void dyn_unload(void *lib, const struct dyn_sym *syms, size_t n);

#endif
