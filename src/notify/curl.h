/*
 * curl.h - libcurl, loaded by the commands that send (notify) rather than
 * linked into every command, as serve/mhd.h loads libmicrohttpd: the types
 * come from <curl/curl.h>; each function called is a pointer resolved by
 * notify_curl_load, and the curl_… names below redirect to them.
 * Include this instead of <curl/curl.h>.
 */
#ifndef TOLLGATE_NOTIFY_CURL_H
#define TOLLGATE_NOTIFY_CURL_H

#include <curl/curl.h>

#include "util/util.h"

#define NOTIFY_CURL_FUNCS(X)                                                    \
	X(curl_global_init)                                                     \
	X(curl_easy_init)                                                       \
	X(curl_easy_setopt)                                                     \
	X(curl_easy_perform)                                                    \
	X(curl_easy_getinfo)                                                    \
	X(curl_easy_cleanup)                                                    \
	X(curl_easy_reset)                                                      \
	X(curl_easy_strerror)                                                   \
	X(curl_slist_append)                                                    \
	X(curl_slist_free_all)

#define NOTIFY_CURL_DECLARE(f) extern __typeof__(f) *notify_curl_##f;
NOTIFY_CURL_FUNCS(NOTIFY_CURL_DECLARE)
#undef NOTIFY_CURL_DECLARE

/* Load libcurl and initialise it (once; TOLLGATE_LIBCURL names another
 * file). 0, or -1 with e saying what to install; reported on every call. */
int notify_curl_load(struct err *e);

#ifndef NOTIFY_CURL_NO_REDIRECT
#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init (*notify_curl_curl_global_init)
#define curl_easy_init (*notify_curl_curl_easy_init)
#define curl_easy_setopt (*notify_curl_curl_easy_setopt)
#define curl_easy_perform (*notify_curl_curl_easy_perform)
#define curl_easy_getinfo (*notify_curl_curl_easy_getinfo)
#define curl_easy_cleanup (*notify_curl_curl_easy_cleanup)
#define curl_easy_reset (*notify_curl_curl_easy_reset)
#define curl_easy_strerror (*notify_curl_curl_easy_strerror)
#define curl_slist_append (*notify_curl_curl_slist_append)
#define curl_slist_free_all (*notify_curl_curl_slist_free_all)
#endif

#endif
