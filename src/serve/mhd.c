/*
 * mhd.c - loading libmicrohttpd for `serve` (mhd.h), as backend-pg.c loads
 * libpq: once, thread-safe, and a failed load is reported on every later
 * call, never a success with null functions.
 */
#define SERVE_MHD_NO_REDIRECT
#include "serve/mhd.h"
#include "util/dynload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define SERVE_MHD_DEFINE(f) __typeof__(f) *serve_mhd_##f;
SERVE_MHD_FUNCS(SERVE_MHD_DEFINE)
#undef SERVE_MHD_DEFINE
#define SERVE_MHD_SYM(f) { #f, &serve_mhd_##f },

static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;
static char mhd_failure[400]; /* written once inside mhd_once; empty: loaded */

static void mhd_load_once(void)
{
	static const struct dyn_sym syms[] = { SERVE_MHD_FUNCS(SERVE_MHD_SYM) };

	dyn_load("TOLLGATE_LIBMHD", "libmicrohttpd.so.12", "libmicrohttpd for serve",
		 "libmicrohttpd12", syms, ARRAY_SIZE(syms), mhd_failure, sizeof(mhd_failure));
}

int serve_mhd_load(struct err *e)
{
	pthread_once(&mhd_once, mhd_load_once);
	if (mhd_failure[0])
		return err_setr(e, ERR_FAILED, REASON_IO, "%s", mhd_failure);
	return 0;
}
