/*
 * mhd.h - libmicrohttpd, loaded when `serve` starts rather than linked into
 * every command (its GnuTLS chain would cost each `status` and `why` about
 * a millisecond of start-up): the types come from <microhttpd.h>; each
 * function the server calls is a pointer resolved by serve_mhd_load, and the
 * MHD_… names below redirect to them, so the code reads as plain MHD.
 * Include this instead of <microhttpd.h>.
 */
#ifndef TOLLGATE_SERVE_MHD_H
#define TOLLGATE_SERVE_MHD_H

#include <microhttpd.h>

#include "util/util.h"

#define SERVE_MHD_FUNCS(X)                                                      \
	X(MHD_add_response_header)                                              \
	X(MHD_lookup_connection_value)                                          \
	X(MHD_stop_daemon)                                                      \
	X(MHD_queue_response)                                                   \
	X(MHD_get_connection_info)                                              \
	X(MHD_destroy_response)                                                 \
	X(MHD_suspend_connection)                                               \
	X(MHD_start_daemon)                                                     \
	X(MHD_resume_connection)                                                \
	X(MHD_quiesce_daemon)                                                   \
	X(MHD_is_feature_supported)                                             \
	X(MHD_get_daemon_info)                                                  \
	X(MHD_create_response_from_callback)                                    \
	X(MHD_create_response_from_buffer)                                      \
	X(MHD_create_response_from_buffer_with_free_callback_cls)

#define SERVE_MHD_DECLARE(f) extern __typeof__(f) *serve_mhd_##f;
SERVE_MHD_FUNCS(SERVE_MHD_DECLARE)
#undef SERVE_MHD_DECLARE

/* Load libmicrohttpd (once; TOLLGATE_LIBMHD names another file). 0, or -1
 * with e saying what to install; a failure is reported on every call. */
int serve_mhd_load(struct err *e);

#ifndef SERVE_MHD_NO_REDIRECT
#define MHD_add_response_header (*serve_mhd_MHD_add_response_header)
#define MHD_lookup_connection_value (*serve_mhd_MHD_lookup_connection_value)
#define MHD_stop_daemon (*serve_mhd_MHD_stop_daemon)
#define MHD_queue_response (*serve_mhd_MHD_queue_response)
#define MHD_get_connection_info (*serve_mhd_MHD_get_connection_info)
#define MHD_destroy_response (*serve_mhd_MHD_destroy_response)
#define MHD_suspend_connection (*serve_mhd_MHD_suspend_connection)
#define MHD_start_daemon (*serve_mhd_MHD_start_daemon)
#define MHD_resume_connection (*serve_mhd_MHD_resume_connection)
#define MHD_quiesce_daemon (*serve_mhd_MHD_quiesce_daemon)
#define MHD_is_feature_supported (*serve_mhd_MHD_is_feature_supported)
#define MHD_get_daemon_info (*serve_mhd_MHD_get_daemon_info)
#define MHD_create_response_from_callback (*serve_mhd_MHD_create_response_from_callback)
#define MHD_create_response_from_buffer (*serve_mhd_MHD_create_response_from_buffer)
#define MHD_create_response_from_buffer_with_free_callback_cls \
	(*serve_mhd_MHD_create_response_from_buffer_with_free_callback_cls)
#endif

#endif
