/*
 * email.h - e-mail notifications (issue 13, channel kind `email`): an RFC 5322
 * message with a text and an HTML part (multipart/alternative, both UTF-8
 * quoted-printable), and its delivery over SMTP or SMTPS through libcurl.
 *
 * libcurl is loaded (dlopen) the first time a message is sent, never by the
 * other commands: see notify_email_send. The SMTP URL carries the password
 * (smtp://user:pass@host:587, smtps://user:pass@host:465); it is read by the
 * caller from the channel's smtp_env variable and never appears in an error
 * message: errors name the host only.
 */
#ifndef TOLLGATE_NOTIFY_EMAIL_H
#define TOLLGATE_NOTIFY_EMAIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "notify/entry.h"
#include "util/util.h"

/* What a message says. Strings are UTF-8; none is kept after the call. */
struct notify_email {
	const char *from;          /* "tollgate@example.com" (the channel's from) */
	const char *const *to;     /* the channel's to, nto >= 1 */
	size_t nto;
	const char *subject;       /* any UTF-8: RFC 2047-encoded when not plain ASCII */
	const char *text;          /* the text/plain part */
	const char *html;          /* the text/html part; NULL: the text, escaped, in <pre> */
	const char *delivery_id;   /* the outbox's delivery id: the Message-ID's left part and
				      X-Tollgate-Delivery, the same on every retry */
	int64_t date;              /* UTC epoch seconds: the Date header */
	int64_t seq;               /* the audit entry's sequence (X-Tollgate-Seq), 0: none */
	const char *hash;          /* its hash (X-Tollgate-Hash), NULL: none */
};

/*
 * The whole message (headers, CRLF line ends, a blank line, the MIME body)
 * into *out (the caller frees it). Message-ID is
 * <DELIVERY-ID@DOMAIN-OF-FROM> with the id's characters outside RFC 5322's
 * dot-atom replaced, so a receiver sees one id across retries. 0, or -1 with
 * e filled (ERR_USAGE) for an address with no '@' or with a control
 * character, or no recipient.
 */
int notify_email_build(const struct notify_email *m, char **out, struct err *e);

/* s encoded as RFC 2047 encoded-words (=?UTF-8?B?…?=, each of at most 68
 * characters, folded with CRLF SP) when it has a byte outside printable
 * ASCII, else a copy. The caller frees it. */
char *notify_email_encode_header(const char *s);

/* s as quoted-printable (RFC 2045: lines at most 76 characters, CRLF line
 * ends, '=', non-ASCII, a trailing blank and a leading '.' encoded). */
char *notify_email_qp(const char *s);

/* A message's words: what notify_email_build's subject, text and html take. */
struct notify_email_content {
	char *subject, *text, *html; /* owned; free with notify_email_content_release */
};
/*
 * The content for audit entry en: subject "[PLAN] api → prod: healthy 1.2.0"
 * (or "[PLAN] SUBJECT: EVENT"), a text part and an HTML part with the same
 * facts as the Slack message (project, environment, version, status, issues,
 * detail, seq and hash, actor and time, the dashboard's link when
 * dashboard_url is set), every value HTML-escaped in the HTML part.
 */
void notify_email_entry_content(const struct notify_entry *en, const char *dashboard_url,
				struct notify_email_content *c);
/* The content for a digest (schedule.h): subject "[PLAN] Status at TIME" or
 * "[PLAN] Standup at TIME", notify_digest_text as the text, the same in
 * <pre> with the dashboard's link as the HTML. */
void notify_email_digest_content(const json_t *digest, const char *dashboard_url,
				 struct notify_email_content *c);
void notify_email_content_release(struct notify_email_content *c);

/* What the SMTP server answered. */
struct notify_email_answer {
	long code;      /* the last SMTP reply code (250 on success), 0: none */
	char text[256]; /* what went wrong, for a person (no secret); "" on success */
};

/*
 * Send message (notify_email_build's) from m_from to the nto addresses of
 * to through the server of url: smtps:// is TLS from the start; smtp:// must
 * upgrade with STARTTLS (CURLUSESSL_ALL), except to a loopback host
 * (localhost, 127.0.0.0/8, [::1]) where STARTTLS is used when offered. A
 * user and password in the URL log in. timeout: seconds for the whole
 * exchange (0: 30). TOLLGATE_LIBCURL names another library file;
 * TOLLGATE_SMTP_CAINFO a CA bundle to trust (a test's self-signed server).
 * 0 sent (the server accepted it for every recipient), or -1 with e filled
 * (ERR_FAILED, REASON_IO) and a->code / a->text set to what was known.
 * Thread-safe (libcurl is initialised once, CURLOPT_NOSIGNAL is set).
 */
int notify_email_send(const char *url, const char *from, const char *const *to, size_t nto,
		      const char *message, long timeout, struct notify_email_answer *a,
		      struct err *e);

/* libcurl is loaded by notify_email_send through notify/curl.h
 * (notify_curl_load), the one loader the webhook sender uses too. */

#endif
