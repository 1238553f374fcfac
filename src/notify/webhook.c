/*
 * webhook.c - the webhook channel (docs/notify.md): POST the message's JSON
 * body to the URL read from the channel's url_env, signed with
 * X-Tollgate-Signature: sha256=HEX (HMAC-SHA256 of the body with the key
 * read from secret_env) and named by X-Tollgate-Delivery, the same id on
 * every retry so receivers can drop duplicates. Any 2xx is delivered; any
 * other answer, or none, is a failure (with the receiver's Retry-After).
 * The URL and the secret are never written to a message or a log: a
 * channel's URL (a Slack webhook's) is itself a secret.
 */
#include "notify/curl.h"
#include "notify/notify.h"

#include "util/crypto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef TOLLGATE_VERSION
#define TOLLGATE_VERSION "0"
#endif

struct sink {
	struct notify_answer *a;
	size_t len;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *k = ctx;
	size_t len = size * n, room = sizeof(k->a->body) - 1 - k->len;
	size_t take = len < room ? len : room;
	memcpy(k->a->body + k->len, data, take);
	k->len += take;
	k->a->body[k->len] = '\0';
	return len;
}

/* "sha256=" and the hex HMAC-SHA256 of body with key into out[72]. */
static int sign(const char *key, const char *body, char out[72])
{
	unsigned char mac[32];
	unsigned int n = 0;
	if (!HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)body, strlen(body), mac,
		  &n) ||
	    n != 32)
		return -1;
	memcpy(out, "sha256=", 7);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", mac[i]);
	return 0;
}

/* Read the environment variable a channel names for key: NULL and e set
 * when it is unset or empty. */
const char *notify_channel_env(const struct plan_channel *c, const char *key, const char *name,
			       struct err *e)
{
	const char *v = getenv(name);
	if (!v || !*v) {
		err_setr(e, ERR_FAILED, REASON_INVALID,
			 "channel '%s': the environment variable %s (its %s) is not set", c->id,
			 name, key);
		return NULL;
	}
	return v;
}

/* A drain's handle (notify_http_begin): kept between messages so its
 * connection to a receiver is reused. One per thread. */
static __thread CURL *tl_handle;

void notify_http_begin(void)
{
	struct err e;
	err_init(&e);
	if (!tl_handle && notify_curl_load(&e) == 0)
		tl_handle = curl_easy_init();
}

void notify_http_end(void)
{
	if (tl_handle)
		curl_easy_cleanup(tl_handle);
	tl_handle = NULL;
}

/* POST body to url with headers (libcurl loaded); fill a; 0 on 2xx. Used by the webhook and
 * slack kinds (what differs is the body and the signature). */
int notify_post(const struct plan_channel *c, const char *url, struct curl_slist *hdr,
		const char *body, struct notify_answer *a, struct err *e)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink k = { a, 0 };
	curl_off_t retry = -1;
	CURLcode rc;
	CURL *h;
	int ret = -1;

	if (tl_handle) {
		h = tl_handle;
		curl_easy_reset(h); /* the options go; the connections stay */
	} else {
		h = curl_easy_init();
	}
	if (!h)
		return err_set(e, ERR_FAILED, "channel '%s': libcurl could not start a request", c->id);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "tollgate/" TOLLGATE_VERSION);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK) {
		/* curl's message names the host at most, never the URL's path
		 * (where a Slack webhook keeps its secret) */
		err_setr(e, ERR_FAILED, REASON_IO, "channel '%s': %s", c->id,
			 errbuf[0] ? errbuf : curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
	if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry) == CURLE_OK && retry > 0)
		a->retry_after = (int64_t)retry;
	if (a->status < 200 || a->status > 299) {
		err_setr(e, ERR_FAILED, REASON_FAILED, "channel '%s': HTTP %ld%s%.200s", c->id,
			 a->status, a->body[0] ? ": " : "", a->body);
		goto out;
	}
	ret = 0;
out:
	if (h != tl_handle)
		curl_easy_cleanup(h);
	return ret;
}

int notify_send_webhook(const struct plan *p, const struct plan_channel *c,
			const struct notify_msg *m, struct notify_answer *a, struct err *e)
{
	struct curl_slist *hdr = NULL;
	const char *url, *secret = NULL;
	char sig[72], *line;
	int rc;

	(void)p;
	if (notify_curl_load(e) < 0)
		return -1;
	url = notify_channel_env(c, "url_env", c->url_env, e);
	if (!url)
		return -1;
	if (c->secret_env) {
		/* a channel that says it is signed is never sent unsigned */
		secret = notify_channel_env(c, "secret_env", c->secret_env, e);
		if (!secret)
			return -1;
		if (sign(secret, m->payload, sig) < 0)
			return err_set(e, ERR_FAILED, "channel '%s': HMAC-SHA256 failed", c->id);
	}
	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	line = xasprintf("X-Tollgate-Delivery: %s", m->delivery_id);
	hdr = curl_slist_append(hdr, line);
	free(line);
	line = xasprintf("X-Tollgate-Event: %s", m->event);
	hdr = curl_slist_append(hdr, line);
	free(line);
	if (secret) {
		line = xasprintf("X-Tollgate-Signature: %s", sig);
		hdr = curl_slist_append(hdr, line);
		free(line);
	}
	rc = notify_post(c, url, hdr, m->payload, a, e);
	curl_slist_free_all(hdr);
	return rc;
}
