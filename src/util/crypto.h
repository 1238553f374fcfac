/*
 * crypto.h - libcrypto (OpenSSL), loaded the first time it is called rather
 * than linked into every command: its relocations cost each process about
 * half a millisecond of start-up (0.63 -> 1.2 ms for an empty program),
 * which `status`, `why` and `next` never need when the plan's cache is found
 * by its stat. The types and constants come from the OpenSSL headers; each
 * function tollgate calls is a pointer resolved on first use, and the names
 * below redirect to it (making sure it is loaded), so the code reads as
 * plain OpenSSL. Include this instead of <openssl/...>.
 *
 * libcrypto is as much a dependency as any linked library: when it cannot
 * be loaded the command stops with a message saying what to install (exit
 * 1), as the dynamic loader would have stopped it at start.
 */
#ifndef TOLLGATE_UTIL_CRYPTO_H
#define TOLLGATE_UTIL_CRYPTO_H

#include <stdatomic.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define TG_CRYPTO_FUNCS(X)     \
	X(CRYPTO_memcmp)       \
	X(EVP_Digest)          \
	X(EVP_DigestFinal_ex)  \
	X(EVP_DigestInit_ex2)  \
	X(EVP_DigestInit_ex)   \
	X(EVP_DigestUpdate)    \
	X(EVP_EncodeBlock)     \
	X(EVP_MD_CTX_free)     \
	X(EVP_MD_CTX_new)      \
	X(EVP_MD_fetch)        \
	X(EVP_MD_free)         \
	X(EVP_sha256)          \
	X(HMAC)                \
	X(OPENSSL_cleanse)     \
	X(RAND_bytes)

#define TG_CRYPTO_DECLARE(f) extern __typeof__(f) *tg_crypto_##f;
TG_CRYPTO_FUNCS(TG_CRYPTO_DECLARE)
#undef TG_CRYPTO_DECLARE

extern atomic_bool tg_crypto_ready;
/* Load libcrypto (once, thread-safe; TOLLGATE_LIBCRYPTO names another
 * file), or stop the process saying why. */
void tg_crypto_load(void);

static inline int tg_crypto(void)
{
	if (!atomic_load_explicit(&tg_crypto_ready, memory_order_acquire))
		tg_crypto_load();
	return 0;
}

#ifndef TG_CRYPTO_NO_REDIRECT
#define CRYPTO_memcmp (tg_crypto(), *tg_crypto_CRYPTO_memcmp)
#define EVP_Digest (tg_crypto(), *tg_crypto_EVP_Digest)
#define EVP_DigestFinal_ex (tg_crypto(), *tg_crypto_EVP_DigestFinal_ex)
#define EVP_DigestInit_ex2 (tg_crypto(), *tg_crypto_EVP_DigestInit_ex2)
#define EVP_DigestInit_ex (tg_crypto(), *tg_crypto_EVP_DigestInit_ex)
#define EVP_DigestUpdate (tg_crypto(), *tg_crypto_EVP_DigestUpdate)
#define EVP_EncodeBlock (tg_crypto(), *tg_crypto_EVP_EncodeBlock)
#define EVP_MD_CTX_free (tg_crypto(), *tg_crypto_EVP_MD_CTX_free)
#define EVP_MD_CTX_new (tg_crypto(), *tg_crypto_EVP_MD_CTX_new)
#define EVP_MD_fetch (tg_crypto(), *tg_crypto_EVP_MD_fetch)
#define EVP_MD_free (tg_crypto(), *tg_crypto_EVP_MD_free)
#define EVP_sha256 (tg_crypto(), *tg_crypto_EVP_sha256)
#define HMAC (tg_crypto(), *tg_crypto_HMAC)
#define OPENSSL_cleanse (tg_crypto(), *tg_crypto_OPENSSL_cleanse)
#define RAND_bytes (tg_crypto(), *tg_crypto_RAND_bytes)
#endif

#endif
