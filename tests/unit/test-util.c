/*
 * test-util.c - the helpers every module leans on: error records (first
 * error wins, reasons), the per-run cancellation token across threads, and
 * the UTF-8 gate and scrubber that keep escape sequences off terminals.
 */
#include <pthread.h>
#include <stdlib.h>

#include "test.h"
#include "util/util.h"

static void test_err_first_wins(void)
{
	struct err e;
	err_init(&e);
	CHECK_INT(e.code, ERR_NONE);
	CHECK(!err_is(&e, REASON_NONE));
	CHECK_INT(err_setr(&e, ERR_NOT_READY, REASON_BUSY, "held by run %d", 7), -1);
	CHECK_INT(err_set(&e, ERR_FAILED, "a later failure"), -1);
	CHECK_INT(e.code, ERR_NOT_READY);
	CHECK_STR(e.msg, "held by run 7");
	CHECK(err_is(&e, REASON_BUSY));
	CHECK(!err_is(&e, REASON_NOT_READY));
	CHECK_STR(err_reason_name(e.reason), "busy");
	err_init(&e);
	err_set(&e, ERR_USAGE, "bad");
	CHECK(err_is(&e, REASON_INVALID));
	err_init(&e);
	err_set(&e, ERR_FAILED, "x");
	CHECK(err_is(&e, REASON_FAILED));
	err_init(&e);
	err_set(&e, ERR_NOT_READY, "x");
	CHECK(err_is(&e, REASON_NOT_READY));
	CHECK_INT(err_set(NULL, ERR_FAILED, "nowhere"), -1);
}

static void test_err_copy(void)
{
	struct err a, b;
	err_init(&a);
	err_init(&b);
	err_copy(&a, &b); /* nothing to copy */
	CHECK_INT(a.code, ERR_NONE);
	err_setr(&b, ERR_USAGE, REASON_NOT_FOUND, "unknown project 'x'");
	err_copy(&a, &b);
	CHECK(err_is(&a, REASON_NOT_FOUND));
	CHECK_STR(a.msg, "unknown project 'x'");
	err_init(&b);
	err_set(&b, ERR_FAILED, "second");
	err_copy(&a, &b);
	CHECK_STR(a.msg, "unknown project 'x'");
	CHECK_STR(err_reason_name(REASON_CONFLICT), "conflict");
	CHECK_STR(err_reason_name((enum err_reason)999), "failed");
}

static void *raiser(void *arg)
{
	struct cancel_token *t = arg;
	for (int i = 0; i < 1000; i++)
		cancel_raise(t, 1 + (i & 1));
	return NULL;
}

static void test_cancel(void)
{
	struct cancel_token t;
	pthread_t th[4];
	cancel_init(&t);
	CHECK_INT(cancel_level(&t), 0);
	CHECK_INT(cancel_level(NULL), 0);
	cancel_raise(&t, 1);
	CHECK_INT(cancel_level(&t), 1);
	cancel_raise(&t, 0); /* never lowers */
	CHECK_INT(cancel_level(&t), 1);
	cancel_init(&t);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, raiser, &t);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_INT(cancel_level(&t), 2);
}

static void test_utf8(void)
{
	size_t bad = 99;
	CHECK(util_utf8_valid("caf\xc3\xa9 \xe2\x86\x92 \xf0\x9f\x9a\x80", 14, &bad));
	CHECK(!util_utf8_valid("caf\xe9", 4, &bad));
	CHECK_INT(bad, 3);
	CHECK(!util_utf8_valid("\xc0\xaf", 2, &bad)); /* overlong '/' */
	CHECK_INT(bad, 0);
	CHECK(!util_utf8_valid("a\xed\xa0\x80", 4, &bad)); /* a surrogate */
	CHECK_INT(bad, 1);
	CHECK(!util_utf8_valid("\xf4\x90\x80\x80", 4, &bad)); /* past U+10FFFF */
	CHECK(!util_utf8_valid("\xe2\x86", 2, &bad));         /* cut short */
	CHECK(util_utf8_valid("", 0, NULL));
	CHECK_INT(util_utf8_seq((const unsigned char *)"\xe2\x86\x92", 3), 3);
	CHECK_INT(util_utf8_seq((const unsigned char *)"\xe2\x86\x92", 2), 0);
}

static void test_scrub(void)
{
	char a[] = "title\x1b]0;pwned\x07\r\nnext \x7f line";
	char b[] = "out\tput\nline 2\x1b[2J";
	char c[] = "c1 \xc2\x9b" "31m and \xc2\xa0nbsp, caf\xe9, \xe2\x86\x92";
	struct strbuf sb = STRBUF_INIT;
	util_scrub(a, false);
	CHECK_STR(a, "title?]0;pwned???next ? line");
	util_scrub(b, true);
	CHECK_STR(b, "out\tput\nline 2?[2J");
	util_scrub(c, false);
	CHECK_STR(c, "c1 ??" "31m and \xc2\xa0nbsp, caf?, \xe2\x86\x92");
	strbuf_addstr(&sb, "log: ");
	strbuf_add_scrubbed(&sb, "fake\n     9  row", false);
	strbuf_add_scrubbed(&sb, NULL, false);
	CHECK_STR(sb.buf, "log: fake?     9  row");
	strbuf_release(&sb);
}

int main(void)
{
	RUN(test_err_first_wins);
	RUN(test_err_copy);
	RUN(test_cancel);
	RUN(test_utf8);
	RUN(test_scrub);
	return TEST_DONE();
}
