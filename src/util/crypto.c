/*
 * crypto.c - loading libcrypto on first use (crypto.h): once, thread-safe,
 * every function resolved or none (dyn_load).
 */
#define TG_CRYPTO_NO_REDIRECT
#include "util/crypto.h"
#include "util/dynload.h"
#include "util/util.h"

#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define TG_CRYPTO_DEFINE(f) __typeof__(f) *tg_crypto_##f;
TG_CRYPTO_FUNCS(TG_CRYPTO_DEFINE)
#undef TG_CRYPTO_DEFINE
#define TG_CRYPTO_SYM(f) { #f, &tg_crypto_##f },

atomic_bool tg_crypto_ready;
static pthread_once_t crypto_once = PTHREAD_ONCE_INIT;
static char crypto_failure[400]; /* written once inside crypto_once; empty: loaded */

static void crypto_load_once(void)
{
	static const struct dyn_sym syms[] = { TG_CRYPTO_FUNCS(TG_CRYPTO_SYM) };

	if (dyn_load("TOLLGATE_LIBCRYPTO", "libcrypto.so.3", "OpenSSL's libcrypto", "libssl3", syms,
		     ARRAY_SIZE(syms), crypto_failure, sizeof(crypto_failure)))
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
