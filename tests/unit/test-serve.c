/*
 * test-serve.c - the parts of `tollgate serve` a black-box test cannot reach
 * from a loopback address: who needs a token, the placeholder token check
 * (no token valid yet), --listen parsing and the reason → status table.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "serve/serve-auth.h"
#include "serve/serve-internal.h"
#include "serve/serve.h"
#include "test.h"

static struct sockaddr_storage v4(const char *ip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *a = (struct sockaddr_in *)&ss;
	memset(&ss, 0, sizeof(ss));
	a->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &a->sin_addr);
	return ss;
}

static struct sockaddr_storage v6(const char *ip)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
	memset(&ss, 0, sizeof(ss));
	a->sin6_family = AF_INET6;
	inet_pton(AF_INET6, ip, &a->sin6_addr);
	return ss;
}

static void test_needs_token(void)
{
	struct sockaddr_storage lo = v4("127.0.0.1"), lo2 = v4("127.3.2.1"), far = v4("10.0.0.7");
	struct sockaddr_storage lo6 = v6("::1"), mapped = v6("::ffff:127.0.0.1"), far6 = v6("2001:db8::1");
	const char *st = "/api/v1/status";

	CHECK(!serve_needs_token((struct sockaddr *)&lo, false, st));
	CHECK(!serve_needs_token((struct sockaddr *)&lo2, false, st));
	CHECK(!serve_needs_token((struct sockaddr *)&lo6, false, st));
	CHECK(!serve_needs_token((struct sockaddr *)&mapped, false, st));
	CHECK(serve_needs_token((struct sockaddr *)&far, false, st));
	CHECK(serve_needs_token((struct sockaddr *)&far6, false, st));
	CHECK(serve_needs_token(NULL, false, st));
	CHECK(!serve_needs_token((struct sockaddr *)&far, true, st));
	CHECK(!serve_needs_token((struct sockaddr *)&far, false, "/healthz"));
	CHECK(!serve_needs_token((struct sockaddr *)&far, false, "/readyz"));
	CHECK(serve_needs_token((struct sockaddr *)&far, false, "/metrics"));
}

static void test_listen(void)
{
	struct sockaddr_storage ss;
	unsigned len = 0;
	struct err e;
	err_init(&e);
	CHECK_INT(serve_parse_listen("127.0.0.1:8086", &ss, &len, &e), 0);
	CHECK(ss.ss_family == AF_INET && ntohs(((struct sockaddr_in *)&ss)->sin_port) == 8086);
	CHECK_INT(serve_parse_listen("[::1]:9000", &ss, &len, &e), 0);
	CHECK(ss.ss_family == AF_INET6 && ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == 9000);
	const char *bad[] = { "localhost:80", "127.0.0.1", "127.0.0.1:", ":80", "127.0.0.1:99999",
			      "::1:80", "[::1]80", "1.2.3.4:8x", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_init(&e);
		CHECK_INT(serve_parse_listen(bad[i], &ss, &len, &e), -1);
		CHECK(err_is(&e, REASON_INVALID));
	}
}

static void test_status_of(void)
{
	static const struct {
		enum err_reason r;
		int status;
	} want[] = { { REASON_INVALID, 400 }, { REASON_FORBIDDEN, 403 }, { REASON_NOT_FOUND, 404 },
		     { REASON_CONFLICT, 409 }, { REASON_NOT_READY, 409 }, { REASON_BUSY, 503 },
		     { REASON_IO, 500 },       { REASON_FAILED, 500 },    { REASON_CANCELLED, 503 } };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct err e;
		err_init(&e);
		err_setr(&e, ERR_FAILED, want[i].r, "x");
		CHECK_INT(serve_status_of(&e), want[i].status);
	}
}

int main(void)
{
	RUN(test_needs_token);
	RUN(test_listen);
	RUN(test_status_of);
	return TEST_DONE();
}
