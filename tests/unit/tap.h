/* Minimal TAP-style reporting for the C tests: one "ok - ..." or
 * "not ok - ..." line per check; tests/run-suite.sh counts them. */
#ifndef SASL_OAUTH2_TEST_TAP_H
#define SASL_OAUTH2_TEST_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int tap_failed;

__attribute__((format(printf, 2, 3)))
static int tap_check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		tap_failed++;
	return ok;
}

#define CHECK(cond, ...) tap_check(!!(cond), __VA_ARGS__)

static inline int tap_exit_code(void) { return tap_failed ? 1 : 0; }

#endif
