/*
 * test.h - a tiny harness for the unit tests: each test file is one process,
 * each CHECK failure is printed with file:line and counted; a test that ran
 * no check fails; main() returns non-zero when any check failed.
 */
#ifndef TOLLGATE_TEST_H
#define TOLLGATE_TEST_H

#include <stdio.h>
#include <string.h>

static int test_failures;
static int test_checks;

#define CHECK(cond)                                                            \
	do {                                                                   \
		test_checks++;                                                 \
		if (!(cond)) {                                                 \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		test_checks++;                                                 \
		if (!a_ || !b_ || strcmp(a_, b_)) {                            \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: '%s' != '%s'\n", __FILE__,     \
				__LINE__, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
		}                                                              \
	} while (0)

#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		test_checks++;                                                 \
		if (a_ != b_) {                                                \
			test_failures++;                                       \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",  \
				__FILE__, __LINE__, #a, a_, b_);               \
		}                                                              \
	} while (0)

/* A test that ran no check proves nothing: it fails (a test whose checks
 * were all skipped by an early return, or a renamed RUN target). */
#define RUN(fn)                                                                \
	do {                                                                   \
		int before_ = test_failures, checks_ = test_checks;            \
		fn();                                                          \
		if (test_checks == checks_) {                                  \
			test_failures++;                                       \
			fprintf(stderr, "%s: ran no check\n", #fn);            \
		}                                                              \
		printf("%s %s\n", test_failures == before_ ? "ok" : "FAIL", #fn); \
	} while (0)

#define TEST_DONE()                                                            \
	(printf("%d checks, %d failed\n", test_checks, test_failures),         \
	 test_failures ? 1 : 0)

#endif
