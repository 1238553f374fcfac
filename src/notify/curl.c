/*
 * curl.c - loading libcurl for the notify senders (curl.h): once,
 * thread-safe, and a failed load is reported on every later call, never a
 * success with null functions.
 */
#define NOTIFY_CURL_NO_REDIRECT
#include "notify/curl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NOTIFY_CURL_DEFINE(f) __typeof__(f) *notify_curl_##f;
NOTIFY_CURL_FUNCS(NOTIFY_CURL_DEFINE)
#undef NOTIFY_CURL_DEFINE

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_failure[400]; /* written once inside curl_once; empty: loaded */

static void curl_load_once(void)
{
	const char *name = getenv("TOLLGATE_LIBCURL");
	void *lib;

	if (!name || !*name)
		name = "libcurl.so.4";
	lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		snprintf(curl_failure, sizeof(curl_failure),
			 "cannot load libcurl to send notifications: %s; install libcurl4",
			 why ? why : name);
		return;
	}
#define NOTIFY_CURL_RESOLVE(f)                                                   \
	if (!(notify_curl_##f = (__typeof__(notify_curl_##f))dlsym(lib, #f))) {  \
		snprintf(curl_failure, sizeof(curl_failure),                     \
			 "%s lacks %s; install a newer libcurl4", name, #f);     \
		goto fail;                                                       \
	}
	NOTIFY_CURL_FUNCS(NOTIFY_CURL_RESOLVE)
#undef NOTIFY_CURL_RESOLVE
	if (notify_curl_curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(curl_failure, sizeof(curl_failure), "libcurl failed to initialise");
		goto fail;
	}
	return;
fail:
#define NOTIFY_CURL_CLEAR(f) notify_curl_##f = NULL;
	NOTIFY_CURL_FUNCS(NOTIFY_CURL_CLEAR)
#undef NOTIFY_CURL_CLEAR
	dlclose(lib);
}

int notify_curl_load(struct err *e)
{
	pthread_once(&curl_once, curl_load_once);
	if (curl_failure[0])
		return err_setr(e, ERR_FAILED, REASON_IO, "%s", curl_failure);
	return 0;
}
