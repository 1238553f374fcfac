/*
 * mhd.c - loading libmicrohttpd for `serve` (mhd.h), as backend-pg.c loads
 * libpq: once, thread-safe, and a failed load is reported on every later
 * call, never a success with null functions.
 */
#define SERVE_MHD_NO_REDIRECT
#include "serve/mhd.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define SERVE_MHD_DEFINE(f) __typeof__(f) *serve_mhd_##f;
SERVE_MHD_FUNCS(SERVE_MHD_DEFINE)
#undef SERVE_MHD_DEFINE

static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;
static char mhd_failure[400]; /* written once inside mhd_once; empty: loaded */

static void mhd_load_once(void)
{
	const char *name = getenv("TOLLGATE_LIBMHD");
	void *lib;

	if (!name || !*name)
		name = "libmicrohttpd.so.12";
	lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		snprintf(mhd_failure, sizeof(mhd_failure),
			 "cannot load libmicrohttpd for serve: %s; install libmicrohttpd12",
			 why ? why : name);
		return;
	}
#define SERVE_MHD_RESOLVE(f)                                                   \
	if (!(serve_mhd_##f = (__typeof__(serve_mhd_##f))dlsym(lib, #f))) {    \
		snprintf(mhd_failure, sizeof(mhd_failure),                     \
			 "%s lacks %s; install a newer libmicrohttpd12", name, #f); \
		goto fail;                                                     \
	}
	SERVE_MHD_FUNCS(SERVE_MHD_RESOLVE)
#undef SERVE_MHD_RESOLVE
	return;
fail:
#define SERVE_MHD_CLEAR(f) serve_mhd_##f = NULL;
	SERVE_MHD_FUNCS(SERVE_MHD_CLEAR)
#undef SERVE_MHD_CLEAR
	dlclose(lib);
}

int serve_mhd_load(struct err *e)
{
	pthread_once(&mhd_once, mhd_load_once);
	if (mhd_failure[0])
		return err_setr(e, ERR_FAILED, REASON_IO, "%s", mhd_failure);
	return 0;
}
