/*
 * test-notify-email.c - the e-mail message (headers, RFC 2047 subject,
 * quoted-printable parts) and its delivery to a real SMTP server: Debian's
 * python3-aiosmtpd, started on a free loopback port with a Maildir handler
 * and stopped after, plain, with STARTTLS and over SMTPS (a self-signed
 * certificate made with openssl). What arrived is read back with Python's
 * own e-mail parser.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "notify/curl.h"
#include "notify/email.h"
#include "test.h"

static char tmp[64];

static void test_encodings(void)
{
	char *s;

	s = notify_email_encode_header("Release q1: healthy");
	CHECK_STR(s, "Release q1: healthy");
	free(s);
	s = notify_email_encode_header("D\xc3\xa9ploiement r\xc3\xa9ussi");
	CHECK_STR(s, "=?UTF-8?B?RMOpcGxvaWVtZW50IHLDqXVzc2k=?=");
	free(s);
	/* a long subject: several words, none splitting the two-byte é */
	{
		char in[200];
		for (int i = 0; i < 60; i++)
			memcpy(in + 2 * i, "\xc3\xa9", 2);
		in[120] = '\0';
		s = notify_email_encode_header(in);
		CHECK(strstr(s, "?=\r\n =?UTF-8?B?") != NULL);
		char *w = s;
		int words = 0;
		while ((w = strstr(w, "=?UTF-8?B?"))) {
			char *end = strstr(w, "?=");
			CHECK(end && end - w + 2 <= 68);
			words++;
			w = end;
		}
		CHECK_INT(words, 3);
		free(s);
	}
	s = notify_email_qp("a=b \xc3\xa9t\xc3\xa9 \n.dot\nend ");
	CHECK_STR(s, "a=3Db =C3=A9t=C3=A9=20\r\n=2Edot\r\nend=20");
	free(s);
	{
		char in[201];
		memset(in, 'x', 200);
		in[200] = '\0';
		s = notify_email_qp(in);
		CHECK(strncmp(s, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx=\r\n", 78) == 0);
		free(s);
	}
}

static void test_build(void)
{
	const char *to[] = {"ops@example.com", "lead@example.com"};
	struct notify_email m = {
		.from = "tollgate@example.com", .to = to, .nto = 2,
		.subject = "Rollback: api@prod \xe2\x86\x92 1.1.0",
		.text = "api rolled back in prod\n<seq 42>\n", .delivery_id = "q1:42:ops-mail",
		.date = 1781514000, /* 2026-06-15T09:00:00Z */ .seq = 42, .hash = "ab12cd",
	};
	struct err e = {0};
	char *msg;

	CHECK_INT(notify_email_build(&m, &msg, &e), 0);
	{
		const char *head = "From: tollgate@example.com\r\nTo: ops@example.com,\r\n lead@example.com\r\n";
		CHECK(strncmp(msg, head, strlen(head)) == 0);
	}
	CHECK(strstr(msg, "\r\nSubject: =?UTF-8?B?") != NULL);
	CHECK(strstr(msg, "\r\nDate: Mon, 15 Jun 2026 09:00:00 +0000\r\n") != NULL);
	CHECK(strstr(msg, "\r\nMessage-ID: <q1.42.ops-mail@example.com>\r\n") != NULL);
	CHECK(strstr(msg, "\r\nX-Tollgate-Seq: 42\r\nX-Tollgate-Hash: ab12cd\r\n") != NULL);
	CHECK(strstr(msg, "Content-Type: multipart/alternative; boundary=\"=_tollgate_") != NULL);
	CHECK(strstr(msg, "Content-Type: text/html; charset=UTF-8") != NULL);
	CHECK(strstr(msg, "&lt;seq 42&gt;") != NULL);
	free(msg);

	const char *bad[] = {"ops@example.com\r\nBcc: x@y"};
	m.to = bad;
	m.nto = 1;
	CHECK(notify_email_build(&m, &msg, &e) < 0);
	CHECK(msg == NULL);
	m.to = to;
	m.nto = 0;
	CHECK(notify_email_build(&m, &msg, &e) < 0);
}

static void test_content(void)
{
	const char *issues[] = {"incident 7 (level 2): 5xx <1%>"};
	struct notify_entry en = {
		.plan = "q1", .event = "promotion.rolled-back", .actor = "tollgate", .subject = "api@prod",
		.seq = 42, .at = 1781514000, .hash = "ab12", .project = "api", .environment = "prod",
		.version = "1.2.0", .status = "rolled-back", .issues = issues, .nissues = 1,
		.detail = "verify failed",
	};
	const char *who[] = {"ops-lead@example.com"};
	struct notify_email_content c;

	en.mentions = who;
	en.nmentions = 1;
	notify_email_entry_content(&en, "http://127.0.0.1:8080", &c);
	CHECK(strstr(c.text, "Escalated to: ops-lead@example.com\n") != NULL);
	CHECK_STR(c.subject, "[q1] api \xe2\x86\x92 prod: rolled-back 1.2.0");
	CHECK(strstr(c.text, "Project: api\nEnvironment: prod\nVersion: 1.2.0\nStatus: rolled-back\n"
			     "Issues:\n  - incident 7 (level 2): 5xx <1%>\nEscalated to: ops-lead@example.com\n\nverify failed\n") != NULL);
	CHECK(strstr(c.text, "Audit seq: 42\nAudit hash: ab12\n") != NULL);
	CHECK(strstr(c.text, "At: 2026-06-15T09:00:00Z\n") != NULL);
	CHECK(strstr(c.text, "Dashboard: http://127.0.0.1:8080/#board\n") != NULL);
	CHECK(strstr(c.html, "<li>incident 7 (level 2): 5xx &lt;1%&gt;</li>") != NULL);
	CHECK(strstr(c.html, "<a href=\"http://127.0.0.1:8080/#board\">") != NULL);
	notify_email_content_release(&c);

	json_t *d = json_loads("{\"digest\":\"status\",\"plan\":\"q1\",\"at\":\"2026-06-15T09:00:00Z\","
			       "\"rows\":[],\"blockers\":[],\"incidents\":[]}", 0, NULL);
	notify_email_digest_content(d, NULL, &c);
	CHECK_STR(c.subject, "[q1] Status at 2026-06-15T09:00:00Z");
	CHECK(strstr(c.text, "Status of q1 at 2026-06-15T09:00:00Z\n  nothing promoted yet\n") != NULL);
	CHECK(strstr(c.html, "<pre>Status of q1") != NULL);
	CHECK(strstr(c.text, "Dashboard") == NULL);
	notify_email_content_release(&c);
	json_decref(d);
}

static bool mapped(const char *lib)
{
	struct strbuf sb = STRBUF_INIT;
	bool found;
	strbuf_read_file(&sb, "/proc/self/maps", 0);
	found = sb.buf && strstr(sb.buf, lib) != NULL;
	strbuf_release(&sb);
	return found;
}

/* libcurl is loaded by the first send, and the binary does not need it */
static void test_lazy_load(void)
{
	const char *bin = getenv("TOLLGATE_BIN");
	struct err e = {0};

	CHECK(!mapped("libcurl"));
	CHECK_INT(notify_curl_load(&e), 0);
	CHECK(mapped("libcurl"));
	if (bin) {
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "readelf -d '%s' | grep -q 'NEEDED.*libc[.]so'", bin);
		CHECK(system(cmd) == 0); /* readelf reads it */
		snprintf(cmd, sizeof(cmd), "readelf -d '%s' | grep -q 'NEEDED.*libcurl'", bin);
		CHECK(system(cmd) != 0);
	}
}

/* ---- a real SMTP server ----------------------------------------------------- */

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0)
		return -1;
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool port_open(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

/* aiosmtpd on port, writing to maildir; mode "" plain, "starttls", "smtps" */
static pid_t smtp_start(int port, const char *maildir, const char *mode)
{
	char listen[32], cert[128], key[128], log[128];
	pid_t pid;

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	snprintf(cert, sizeof(cert), "%s/cert.pem", tmp);
	snprintf(key, sizeof(key), "%s/key.pem", tmp);
	snprintf(log, sizeof(log), "%s/smtpd.log", tmp);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (!freopen(log, "a", stdout) || !freopen(log, "a", stderr))
			_exit(127);
		if (!strcmp(mode, "starttls"))
			execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen, "--tlscert",
			      cert, "--tlskey", key, "-c", "aiosmtpd.handlers.Mailbox", maildir, (char *)NULL);
		else if (!strcmp(mode, "smtps"))
			execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen,
			      "--smtpscert", cert, "--smtpskey", key, "-c", "aiosmtpd.handlers.Mailbox",
			      maildir, (char *)NULL);
		else
			execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen, "-c",
			      "aiosmtpd.handlers.Mailbox", maildir, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 300 && pid > 0; i++) {
		int st;
		if (port_open(port))
			return pid;
		if (waitpid(pid, &st, WNOHANG) == pid)
			return -1;
		usleep(50000);
	}
	return -1;
}

static void smtp_stop(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
}

/* The one message in maildir/new, as Python's e-mail parser reads it. */
static char *received(const char *maildir)
{
	char cmd[1200], dir[256], path[512] = "";
	struct strbuf sb = STRBUF_INIT;
	struct dirent *d;
	DIR *dp;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/new", maildir);
	dp = opendir(dir);
	while (dp && (d = readdir(dp)))
		if (d->d_name[0] != '.')
			snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
	if (dp)
		closedir(dp);
	if (!path[0])
		return NULL;
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/check.py %s", tmp, path);
	f = popen(cmd, "r");
	if (!f)
		return NULL;
	strbuf_read_fd(&sb, fileno(f));
	pclose(f);
	return strbuf_detach(&sb);
}

static const char check_py[] =
	"import email, email.policy, sys\n"
	"m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n"
	"for h in ('X-MailFrom', 'X-RcptTo', 'From', 'To', 'Subject', 'Date', 'Message-ID',\n"
	"          'X-Tollgate-Delivery', 'X-Tollgate-Seq', 'X-Tollgate-Hash'):\n"
	"    print('%s: %s' % (h, m[h]))\n"
	"print('type: %s' % m.get_content_type())\n"
	"print('date-ok: %s' % (m['Date'].datetime is not None))\n"
	"for p in m.iter_parts():\n"
	"    print('part: %s' % p.get_content_type())\n"
	"    print(p.get_content(), end='')\n"
	"    print('--')\n";

static void send_one(int port, const char *scheme, const char *mode, const char *tag)
{
	const char *to[] = {"ops@example.com", "lead@example.com"};
	char maildir[128], url[128], *msg, *got;
	char text[400];
	struct notify_email m = {
		.from = "tollgate@example.com", .to = to, .nto = 2,
		.subject = "D\xc3\xa9ploiement: api@prod healthy",
		.text = text, .html = "<p>api is <b>healthy</b> in prod &amp; caf\xc3\xa9</p>\n",
		.delivery_id = "q1:42:ops-mail", .date = 1781514000, .seq = 42,
		.hash = "00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff",
	};
	struct notify_email_answer a;
	struct err e = {0};
	pid_t pid;

	snprintf(text, sizeof(text),
		 "api healthy in prod (%s)\n.a line starting with a dot\ncaf\xc3\xa9 = 1\n"
		 "a long line: %s\n", tag,
		 "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789");
	snprintf(maildir, sizeof(maildir), "%s/mail-%s", tmp, tag);
	pid = smtp_start(port, maildir, mode);
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d", scheme, port);
	CHECK_INT(notify_email_build(&m, &msg, &e), 0);
	CHECK_INT(notify_email_send(url, m.from, to, 2, msg, 20, &a, &e), 0);
	if (e.code)
		fprintf(stderr, "send (%s): %s\n", tag, e.msg);
	CHECK_INT(a.code, 250);
	free(msg);
	got = received(maildir);
	smtp_stop(pid);
	CHECK(got != NULL);
	if (!got)
		return;
	CHECK(strstr(got, "X-MailFrom: tollgate@example.com\n") != NULL);
	CHECK(strstr(got, "X-RcptTo: ops@example.com, lead@example.com\n") != NULL);
	CHECK(strstr(got, "Subject: D\xc3\xa9ploiement: api@prod healthy\n") != NULL);
	CHECK(strstr(got, "Date: Mon, 15 Jun 2026 09:00:00 +0000\n") != NULL);
	CHECK(strstr(got, "date-ok: True\n") != NULL);
	CHECK(strstr(got, "Message-ID: <q1.42.ops-mail@example.com>\n") != NULL);
	CHECK(strstr(got, "X-Tollgate-Delivery: q1.42.ops-mail\n") != NULL);
	CHECK(strstr(got, "X-Tollgate-Seq: 42\n") != NULL);
	CHECK(strstr(got, "X-Tollgate-Hash: 00ff00ff") != NULL);
	CHECK(strstr(got, "type: multipart/alternative\n") != NULL);
	CHECK(strstr(got, "part: text/plain\n") != NULL);
	CHECK(strstr(got, text) != NULL);
	CHECK(strstr(got, "part: text/html\n<p>api is <b>healthy</b> in prod &amp; caf\xc3\xa9</p>\n--\n") != NULL);
	if (test_failures)
		fprintf(stderr, "received:\n%s\n", got);
	free(got);
}

static void test_send_plain(void)
{
	send_one(free_port(), "smtp", "", "plain");
}

static bool make_cert(void)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey rsa:2048 -nodes -keyout %s/key.pem -out %s/cert.pem -days 2 "
		 "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >%s/openssl.log 2>&1",
		 tmp, tmp, tmp);
	return system(cmd) == 0;
}

static void test_send_tls(void)
{
	char ca[128];

	CHECK(make_cert());
	snprintf(ca, sizeof(ca), "%s/cert.pem", tmp);
	setenv("TOLLGATE_SMTP_CAINFO", ca, 1);
	send_one(free_port(), "smtp", "starttls", "starttls");
	send_one(free_port(), "smtps", "smtps", "smtps");
	unsetenv("TOLLGATE_SMTP_CAINFO");
}

static void test_send_fails(void)
{
	const char *to[] = {"ops@example.com"};
	struct notify_email_answer a;
	struct err e = {0};
	char url[128];
	int port = free_port();

	/* nothing listens: refused, and the password is nowhere */
	snprintf(url, sizeof(url), "smtp://bob:s3cr3t@127.0.0.1:%d", port);
	CHECK(notify_email_send(url, "tollgate@example.com", to, 1, "Subject: x\r\n\r\nx\r\n", 5, &a, &e) < 0);
	CHECK(e.code == ERR_FAILED);
	CHECK(strstr(e.msg, "127.0.0.1") != NULL);
	CHECK(strstr(e.msg, "s3cr3t") == NULL);
	CHECK(strstr(a.text, "s3cr3t") == NULL);

	memset(&e, 0, sizeof(e));
	CHECK(notify_email_send("https://bob:s3cr3t@example.com", "tollgate@example.com", to, 1, "x", 5,
				&a, &e) < 0);
	CHECK(strstr(e.msg, "s3cr3t") == NULL);
}

int main(void)
{
	FILE *f;
	char path[128];
	int rc;

	snprintf(tmp, sizeof(tmp), "/tmp/tg-email-XXXXXX");
	if (!mkdtemp(tmp))
		return 1;
	snprintf(path, sizeof(path), "%s/check.py", tmp);
	f = fopen(path, "w");
	if (!f)
		return 1;
	fputs(check_py, f);
	fclose(f);
	RUN(test_encodings);
	RUN(test_build);
	RUN(test_content);
	RUN(test_lazy_load);
	RUN(test_send_plain);
	RUN(test_send_tls);
	RUN(test_send_fails);
	rc = TEST_DONE();
	if (!rc) {
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		if (system(cmd) != 0)
			rc = 1;
	} else {
		fprintf(stderr, "left for a look: %s\n", tmp);
	}
	return rc;
}
