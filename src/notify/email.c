/*
 * email.c - building an RFC 5322 multipart/alternative message and sending
 * it over SMTP(S) with libcurl, loaded on first use as serve/mhd.c loads
 * libmicrohttpd (email.h).
 */
#define CURL_DISABLE_TYPECHECK
#include "notify/email.h"
#include "notify/curl.h"
#include "notify/schedule.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- building --------------------------------------------------------------- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void base64_add(struct strbuf *sb, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		strbuf_addch(sb, b64[(v >> 18) & 63]);
		strbuf_addch(sb, b64[(v >> 12) & 63]);
		strbuf_addch(sb, i + 1 < n ? b64[(v >> 6) & 63] : '=');
		strbuf_addch(sb, i + 2 < n ? b64[v & 63] : '=');
	}
}

char *notify_email_encode_header(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = strlen(s), i = 0;
	bool plain = true;

	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] > 0x7e)
			plain = false;
	/* "=?" in plain text would read as an encoded word: encode it too */
	if (plain && !strstr(s, "=?"))
		return xstrdup(s);
	strbuf_addstr(&sb, "");
	while (i < n) {
		/* 42 bytes make 56 base64 characters: a 68-character word, and
		 * "Subject: " with it fits a 78-character line; never split a
		 * UTF-8 sequence between two words */
		size_t len = n - i < 42 ? n - i : 42;
		while (len > 1 && i + len < n && ((unsigned char)s[i + len] & 0xc0) == 0x80)
			len--;
		if (i)
			strbuf_addstr(&sb, "\r\n ");
		strbuf_addstr(&sb, "=?UTF-8?B?");
		base64_add(&sb, (const unsigned char *)s + i, len);
		strbuf_addstr(&sb, "?=");
		i += len;
	}
	return strbuf_detach(&sb);
}

char *notify_email_qp(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t col = 0;

	strbuf_addstr(&sb, "");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char tok[4];
		bool eol_next = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');

		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == '\n') {
			strbuf_addstr(&sb, "\r\n");
			col = 0;
			continue;
		}
		if ((*p < 0x20 && *p != '\t') || *p > 0x7e || *p == '=' || (col == 0 && *p == '.') ||
		    ((*p == ' ' || *p == '\t') && eol_next))
			snprintf(tok, sizeof(tok), "=%02X", *p);
		else
			snprintf(tok, sizeof(tok), "%c", *p);
		/* 76 characters a line, a soft break "=" included */
		if (col + strlen(tok) > (eol_next ? 76 : 75)) {
			strbuf_addstr(&sb, "=\r\n");
			col = 0;
			if (*p == '.')
				snprintf(tok, sizeof(tok), "=2E");
		}
		strbuf_addstr(&sb, tok);
		col += strlen(tok);
	}
	return strbuf_detach(&sb);
}

/* an address we write into a header and an SMTP command as is */
static bool address_ok(const char *a)
{
	const char *at = a ? strrchr(a, '@') : NULL;

	if (!at || at == a || !at[1])
		return false;
	for (const char *c = a; *c; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c >= 0x7f || strchr("<>(),;:\"[]\\", *c))
			return false;
	return true;
}

static void html_escape_add(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': strbuf_addstr(sb, "&amp;"); break;
		case '<': strbuf_addstr(sb, "&lt;"); break;
		case '>': strbuf_addstr(sb, "&gt;"); break;
		case '"': strbuf_addstr(sb, "&quot;"); break;
		default: strbuf_addch(sb, *s);
		}
	}
}

static void add_part(struct strbuf *sb, const char *boundary, const char *type, const char *body)
{
	char *qp = notify_email_qp(body);
	strbuf_addf(sb, "--%s\r\nContent-Type: %s; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n%s\r\n",
		    boundary, type, qp);
	free(qp);
}

int notify_email_build(const struct notify_email *m, char **out, struct err *e)
{
	static const char *const wday[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	struct strbuf sb = STRBUF_INIT, id = STRBUF_INIT, html = STRBUF_INIT;
	time_t t = (time_t)m->date;
	struct tm tm;
	char *subject;
	char boundary[64];
	uint64_t h = 1469598103934665603ull;

	*out = NULL;
	if (!address_ok(m->from))
		return err_set(e, ERR_USAGE, "e-mail sender '%s' is not an address", m->from ? m->from : "");
	if (!m->nto)
		return err_set(e, ERR_USAGE, "an e-mail needs a recipient");
	for (size_t i = 0; i < m->nto; i++)
		if (!address_ok(m->to[i]))
			return err_set(e, ERR_USAGE, "e-mail recipient '%s' is not an address", m->to[i]);
	if (!gmtime_r(&t, &tm))
		return err_set(e, ERR_USAGE, "e-mail date %lld is out of range", (long long)m->date);

	/* the id in dot-atom characters: stable across retries */
	for (const char *c = m->delivery_id ? m->delivery_id : ""; *c; c++)
		strbuf_addch(&id, (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
					   (*c >= '0' && *c <= '9') || strchr(".-_+=", *c)
				   ? *c : '.');
	if (!id.len)
		strbuf_addf(&id, "tollgate.%lld", (long long)m->date);
	for (const char *c = id.buf; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	/* "=_" never appears in a quoted-printable body */
	snprintf(boundary, sizeof(boundary), "=_tollgate_%016llx", (unsigned long long)h);

	strbuf_addf(&sb, "From: %s\r\nTo: ", m->from);
	for (size_t i = 0; i < m->nto; i++)
		strbuf_addf(&sb, "%s%s", i ? ",\r\n " : "", m->to[i]);
	subject = notify_email_encode_header(m->subject ? m->subject : "");
	strbuf_addf(&sb, "\r\nSubject: %s\r\n", subject);
	free(subject);
	strbuf_addf(&sb, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", wday[tm.tm_wday], tm.tm_mday,
		    mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	strbuf_addf(&sb, "Message-ID: <%s@%s>\r\n", id.buf, strrchr(m->from, '@') + 1);
	strbuf_addstr(&sb, "MIME-Version: 1.0\r\n");
	if (m->delivery_id)
		strbuf_addf(&sb, "X-Tollgate-Delivery: %s\r\n", id.buf);
	if (m->seq)
		strbuf_addf(&sb, "X-Tollgate-Seq: %lld\r\n", (long long)m->seq);
	if (m->hash && strspn(m->hash, "0123456789abcdefABCDEF") == strlen(m->hash))
		strbuf_addf(&sb, "X-Tollgate-Hash: %s\r\n", m->hash);
	strbuf_addf(&sb, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary);
	strbuf_addstr(&sb, "This is a MIME message with a text and an HTML part.\r\n\r\n");

	add_part(&sb, boundary, "text/plain", m->text ? m->text : "");
	if (m->html) {
		add_part(&sb, boundary, "text/html", m->html);
	} else {
		strbuf_addstr(&html, "<!DOCTYPE html>\n<html><body><pre>");
		html_escape_add(&html, m->text ? m->text : "");
		strbuf_addstr(&html, "</pre></body></html>\n");
		add_part(&sb, boundary, "text/html", html.buf);
	}
	strbuf_addf(&sb, "--%s--\r\n", boundary);
	strbuf_release(&id);
	strbuf_release(&html);
	*out = strbuf_detach(&sb);
	return 0;
}

/* ---- content ---------------------------------------------------------------- */

static void row(struct strbuf *text, struct strbuf *html, const char *label, const char *value)
{
	strbuf_addf(text, "%s: %s\n", label, value && *value ? value : "-");
	strbuf_addf(html, "<tr><th align=\"left\">%s</th><td>", label);
	html_escape_add(html, value && *value ? value : "-");
	strbuf_addstr(html, "</td></tr>\n");
}

void notify_email_entry_content(const struct notify_entry *en, const char *dashboard_url,
				struct notify_email_content *c)
{
	struct strbuf subj = STRBUF_INIT, text = STRBUF_INIT, html = STRBUF_INIT;
	char when[32] = "", seq[32], *link = notify_dashboard_link(dashboard_url, notify_entry_view(en->event));
	const char *status = en->status ? en->status : en->event;

	if (en->at)
		util_fmt_time(en->at, when, sizeof(when));
	strbuf_addf(&subj, "[%s] ", en->plan ? en->plan : "tollgate");
	if (en->project && en->environment)
		strbuf_addf(&subj, "%s \xe2\x86\x92 %s: %s", en->project, en->environment, status ? status : "");
	else
		strbuf_addf(&subj, "%s: %s", en->subject && *en->subject ? en->subject : "-",
			    en->event ? en->event : "");
	if (en->version)
		strbuf_addf(&subj, " %s", en->version);

	strbuf_addstr(&html, "<!DOCTYPE html>\n<html><body>\n<h2>");
	html_escape_add(&html, subj.buf);
	strbuf_addstr(&html, "</h2>\n<table>\n");
	row(&text, &html, "Project", en->project);
	row(&text, &html, "Environment", en->environment);
	row(&text, &html, "Version", en->version);
	row(&text, &html, "Status", status);
	strbuf_addstr(&html, "</table>\n<h3>Issues</h3>\n<ul>\n");
	strbuf_addstr(&text, "Issues:");
	if (!en->nissues) {
		strbuf_addstr(&text, " none");
		strbuf_addstr(&html, "<li>none</li>\n");
	}
	strbuf_addch(&text, '\n');
	for (size_t i = 0; i < en->nissues; i++) {
		strbuf_addf(&text, "  - %s\n", en->issues[i]);
		strbuf_addstr(&html, "<li>");
		html_escape_add(&html, en->issues[i]);
		strbuf_addstr(&html, "</li>\n");
	}
	strbuf_addstr(&html, "</ul>\n");
	if (en->alert) {
		strbuf_addf(&text, "%s\n", en->alert);
		strbuf_addstr(&html, "<p><b>");
		html_escape_add(&html, en->alert);
		strbuf_addstr(&html, "</b></p>\n");
	}
	if (en->nmentions) {
		strbuf_addstr(&text, "Escalated to:");
		strbuf_addstr(&html, "<p>Escalated to:");
		for (size_t i = 0; i < en->nmentions; i++) {
			strbuf_addf(&text, " %s", en->mentions[i]);
			strbuf_addch(&html, ' ');
			html_escape_add(&html, en->mentions[i]);
		}
		strbuf_addch(&text, '\n');
		strbuf_addstr(&html, "</p>\n");
	}
	if (en->detail && *en->detail) {
		strbuf_addf(&text, "\n%s\n", en->detail);
		strbuf_addstr(&html, "<p>");
		html_escape_add(&html, en->detail);
		strbuf_addstr(&html, "</p>\n");
	}
	snprintf(seq, sizeof(seq), "%lld", (long long)en->seq);
	strbuf_addch(&text, '\n');
	strbuf_addstr(&html, "<table>\n");
	row(&text, &html, "Event", en->event);
	row(&text, &html, "By", en->actor);
	row(&text, &html, "At", when);
	row(&text, &html, "Audit seq", seq);
	row(&text, &html, "Audit hash", en->hash);
	strbuf_addstr(&html, "</table>\n");
	if (link) {
		strbuf_addf(&text, "\nDashboard: %s\n", link);
		strbuf_addstr(&html, "<p><a href=\"");
		html_escape_add(&html, link);
		strbuf_addstr(&html, "\">Open the dashboard</a></p>\n");
	}
	strbuf_addstr(&html, "</body></html>\n");
	free(link);
	c->subject = strbuf_detach(&subj);
	c->text = strbuf_detach(&text);
	c->html = strbuf_detach(&html);
}

void notify_email_digest_content(const json_t *digest, const char *dashboard_url,
				 struct notify_email_content *c)
{
	const char *plan = json_string_value(json_object_get(digest, "plan"));
	const char *kind = json_string_value(json_object_get(digest, "digest"));
	const char *at = json_string_value(json_object_get(digest, "at"));
	char *link = notify_dashboard_link(dashboard_url, "board");
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
	char *body = notify_digest_text(digest);

	c->subject = xasprintf("[%s] %s at %s", plan ? plan : "tollgate",
			       kind && !strcmp(kind, "standup") ? "Standup" : "Status", at ? at : "-");
	strbuf_addstr(&text, body);
	strbuf_addstr(&html, "<!DOCTYPE html>\n<html><body>\n<pre>");
	html_escape_add(&html, body);
	strbuf_addstr(&html, "</pre>\n");
	if (link) {
		strbuf_addf(&text, "\nDashboard: %s\n", link);
		strbuf_addstr(&html, "<p><a href=\"");
		html_escape_add(&html, link);
		strbuf_addstr(&html, "\">Open the dashboard</a></p>\n");
	}
	strbuf_addstr(&html, "</body></html>\n");
	free(body);
	free(link);
	c->text = strbuf_detach(&text);
	c->html = strbuf_detach(&html);
}

void notify_email_content_release(struct notify_email_content *c)
{
	free(c->subject);
	free(c->text);
	free(c->html);
	c->subject = c->text = c->html = NULL;
}

/* ---- sending ---------------------------------------------------------------- */

/* The host of an smtp[s]:// URL (no user, password or port) into host:
 * 1 smtps, 0 smtp, -1 not such a URL. */
static int smtp_url_host(const char *url, char *host, size_t size)
{
	const char *p, *end, *at;
	int tls;

	if (!strncasecmp(url, "smtps://", 8)) {
		tls = 1;
		p = url + 8;
	} else if (!strncasecmp(url, "smtp://", 7)) {
		tls = 0;
		p = url + 7;
	} else {
		return -1;
	}
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	/* the last '@' of the authority ends the user information */
	while (at) {
		const char *next = memchr(at + 1, '@', (size_t)(end - at - 1));
		if (!next)
			break;
		at = next;
	}
	if (at)
		p = at + 1;
	if (*p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return -1;
		end = close + 1;
	} else {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon)
			end = colon;
	}
	if (end == p || (size_t)(end - p) >= size)
		return -1;
	memcpy(host, p, (size_t)(end - p));
	host[end - p] = '\0';
	return tls;
}

static bool host_is_loopback(const char *host)
{
	struct in_addr a4;

	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]"))
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

struct upload {
	const char *data;
	size_t len, off;
};

static size_t upload_read(char *buf, size_t size, size_t n, void *ctx)
{
	struct upload *u = ctx;
	size_t room = size * n, left = u->len - u->off;
	if (room > left)
		room = left;
	memcpy(buf, u->data + u->off, room);
	u->off += room;
	return room;
}

int notify_email_send(const char *url, const char *from, const char *const *to, size_t nto,
		      const char *message, long timeout, struct notify_email_answer *a,
		      struct err *e)
{
	struct upload up = {message, strlen(message), 0};
	struct curl_slist *rcpt = NULL;
	char host[256], sender[320], errbuf[CURL_ERROR_SIZE] = "";
	const char *cainfo = getenv("TOLLGATE_SMTP_CAINFO");
	CURL *h = NULL;
	CURLcode rc;
	int tls, ret = -1;

	a->code = 0;
	a->text[0] = '\0';
	tls = url ? smtp_url_host(url, host, sizeof(host)) : -1;
	if (tls < 0) {
		snprintf(a->text, sizeof(a->text), "not an smtp:// or smtps:// URL");
		/* never echo the URL: it holds the password */
		return err_setr(e, ERR_FAILED, REASON_INVALID,
				"the e-mail server is not an smtp:// or smtps:// URL");
	}
	if (!address_ok(from) || !nto) {
		snprintf(a->text, sizeof(a->text), "no valid sender or recipient");
		return err_setr(e, ERR_FAILED, REASON_INVALID, "an e-mail needs a sender and a recipient");
	}
	if (notify_curl_load(e) < 0) {
		snprintf(a->text, sizeof(a->text), "%.200s", e->msg);
		return -1;
	}
	h = curl_easy_init();
	if (!h) {
		snprintf(a->text, sizeof(a->text), "libcurl could not start");
		return err_setr(e, ERR_FAILED, REASON_IO, "libcurl could not start a transfer");
	}
	snprintf(sender, sizeof(sender), "<%s>", from);
	for (size_t i = 0; i < nto; i++) {
		char r[320];
		if (!address_ok(to[i])) {
			snprintf(a->text, sizeof(a->text), "recipient is not an address");
			err_setr(e, ERR_FAILED, REASON_INVALID, "e-mail recipient '%s' is not an address", to[i]);
			goto out;
		}
		snprintf(r, sizeof(r), "<%s>", to[i]);
		rcpt = curl_slist_append(rcpt, r);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, timeout > 0 ? timeout : 30L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USE_SSL,
			   (long)(tls || !host_is_loopback(host) ? CURLUSESSL_ALL : CURLUSESSL_TRY));
	if (cainfo && *cainfo)
		curl_easy_setopt(h, CURLOPT_CAINFO, cainfo);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, sender);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read);
	curl_easy_setopt(h, CURLOPT_READDATA, &up);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up.len);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->code);
	if (rc != CURLE_OK) {
		/* curl's messages name hosts and replies, not the URL's password */
		snprintf(a->text, sizeof(a->text), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
		err_setr(e, ERR_FAILED, REASON_IO, "e-mail to %s through %s failed: %s", to[0], host,
			 a->text);
		goto out;
	}
	ret = 0;
out:
	curl_slist_free_all(rcpt);
	curl_easy_cleanup(h);
	return ret;
}
