/*
 * serve-web.c - the dashboard's files (src/serve/web/, compiled into the
 * binary by scripts/embed.cmake): `/` and `/assets/…`. They hold no data
 * (the page reads the API), so they are served to anyone; each has an ETag
 * of its content, and the page its security headers (r->page: send_reply
 * adds them).
 */
#include "util/crypto.h"
#include <string.h>

#include "serve/serve-internal.h"

extern const char serve_web_index_html[], serve_web_app_js[], serve_web_app_css[];
extern const size_t serve_web_index_html_len, serve_web_app_js_len, serve_web_app_css_len;

struct asset {
	const char *path;
	const char *type;
	const char *data;
	const size_t *len;
	char etag[24]; /* "w-" + 16 hex of the SHA-256, quoted; set on first use */
};

static struct asset assets[] = {
	{ "/", "text/html; charset=utf-8", serve_web_index_html, &serve_web_index_html_len, "" },
	{ "/assets/app.js", "text/javascript; charset=utf-8", serve_web_app_js,
	  &serve_web_app_js_len, "" },
	{ "/assets/app.css", "text/css; charset=utf-8", serve_web_app_css, &serve_web_app_css_len,
	  "" },
};

static void etag_of(struct asset *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char sum[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *o = a->etag;
	if (a->etag[0])
		return;
	if (EVP_Digest(a->data, *a->len, sum, &n, EVP_sha256(), NULL) != 1)
		n = 0;
	*o++ = '"';
	*o++ = 'w';
	*o++ = '-';
	for (unsigned i = 0; i < 8 && i < n; i++) {
		*o++ = hex[sum[i] >> 4];
		*o++ = hex[sum[i] & 15];
	}
	*o++ = '"';
	*o = '\0';
}

int serve_web_asset(struct serve *s, const struct serve_request *rq, struct serve_reply *r,
		    struct err *e)
{
	const char *inm = rq->header(rq->conn, "If-None-Match");
	(void)s;
	for (size_t i = 0; i < ARRAY_SIZE(assets); i++) {
		struct asset *a = &assets[i];
		if (strcmp(a->path, rq->path))
			continue;
		etag_of(a);
		snprintf(r->etag, sizeof(r->etag), "%s", a->etag);
		r->content_type = a->type;
		r->page = !strcmp(a->path, "/");
		strbuf_reset(&r->body);
		if (inm && (strstr(inm, a->etag) || !strcmp(inm, "*"))) {
			r->status = 304;
			return 0;
		}
		strbuf_add(&r->body, a->data, *a->len);
		return 0;
	}
	return err_setr(e, ERR_USAGE, REASON_NOT_FOUND, "no such file '%s'", rq->path);
}

bool serve_web_public(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(assets); i++)
		if (!strcmp(assets[i].path, path))
			return true;
	return false;
}
