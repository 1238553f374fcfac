/*
 * crypto.c - loading libcrypto on first use (crypto.h), as mhd.c loads
 * libmicrohttpd: once, thread-safe, every function resolved or none.
 */
#define TG_CRYPTO_NO_REDIRECT
#include "util/crypto.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TG_CRYPTO_DEFINE(f) __typeof__(f) *tg_crypto_##f;
TG_CRYPTO_FUNCS(TG_CRYPTO_DEFINE)
#undef TG_CRYPTO_DEFINE

atomic_bool tg_crypto_ready;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static char crypto_failure[400]; /* written once inside crypto_once; empty: loaded */

static void crypto_load_once(void)
{
	const char *name = getenv("TOLLGATE_LIBCRYPTO");
	void *lib;

	if (!name || !*name)
		name = "libcrypto.so.3";
	lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		const char *why = dlerror();
		snprintf(crypto_failure, sizeof(crypto_failure),
			 "cannot load OpenSSL's libcrypto: %s; install libssl3", why ? why : name);
		return;
	}
#define TG_CRYPTO_RESOLVE(f)                                                          \
	if (!(tg_crypto_##f = (__typeof__(tg_crypto_##f))dlsym(lib, #f))) {           \
		snprintf(crypto_failure, sizeof(crypto_failure),                      \
			 "%s lacks %s; install libssl3 (OpenSSL 3)", name, #f);       \
		return;                                                               \
	}
	TG_CRYPTO_FUNCS(TG_CRYPTO_RESOLVE)
#undef TG_CRYPTO_RESOLVE
	atomic_store_explicit(&tg_crypto_ready, true, memory_order_release);
}

void tg_crypto_load(void)
{
	pthread_once(&crypto_once, crypto_load_once);
	if (crypto_failure[0]) {
		/* stopped where it stands, as a missing linked library would
		 * have stopped it at start: no handler runs, an open transaction
		 * is never committed (the store rolls it back) */
		fflush(stdout);
		fprintf(stderr, "tollgate: error: %s\n", crypto_failure);
		_exit(1);
	}
}
