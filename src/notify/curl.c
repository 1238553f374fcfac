/*
 * curl.c - loading libcurl for the notify senders (curl.h): once,
 * thread-safe, and a failed load is reported on every later call, never a
 * success with null functions.
 */
#define NOTIFY_CURL_NO_REDIRECT
#include "notify/curl.h"
#include "util/dynload.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NOTIFY_CURL_DEFINE(f) __typeof__(f) *notify_curl_##f;
NOTIFY_CURL_FUNCS(NOTIFY_CURL_DEFINE)
#undef NOTIFY_CURL_DEFINE
#define NOTIFY_CURL_SYM(f) { #f, &notify_curl_##f },

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_failure[400]; /* written once inside curl_once; empty: loaded */

static void curl_load_once(void)
{
	static const struct dyn_sym syms[] = { NOTIFY_CURL_FUNCS(NOTIFY_CURL_SYM) };
	void *lib = dyn_load("TOLLGATE_LIBCURL", "libcurl.so.4", "libcurl to send notifications",
			     "libcurl4", syms, ARRAY_SIZE(syms), curl_failure, sizeof(curl_failure));

	if (lib && notify_curl_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curl_failure, sizeof(curl_failure), "libcurl failed to initialise");
		dyn_unload(lib, syms, ARRAY_SIZE(syms));
	}
}

int notify_curl_load(struct err *e)
{
	pthread_once(&curl_once, curl_load_once);
	if (curl_failure[0])
		return err_setr(e, ERR_FAILED, REASON_IO, "%s", curl_failure);
	return 0;
}
