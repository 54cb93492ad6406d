/* Unit tests of the shared library's building blocks. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/server_error.h"
#include "sasl-oauth2/token.h"

#include "tap.h"

static void test_buf(void)
{
	struct oa2_buf b;

	oa2_buf_init(&b, 8);
	oa2_buf_puts(&b, "abcd");
	oa2_buf_putc(&b, 'e');
	CHECK(!oa2_buf_failed(&b) && b.len == 5 && strcmp(b.data, "abcde") == 0,
	      "buf: appends within the bound");
	CHECK(oa2_buf_puts(&b, "fghij") == -1 && oa2_buf_failed(&b) && b.len == 5,
	      "buf: an append past the bound fails and changes nothing");
	CHECK(oa2_buf_putc(&b, 'x') == -1, "buf: the failure sticks");
	oa2_buf_clear(&b);
	CHECK(b.data == NULL && b.len == 0 && !b.failed, "buf: clear resets it");
	oa2_buf_init(&b, 100000);
	for (int i = 0; i < 10000; i++)
		oa2_buf_puts(&b, "0123456789");
	CHECK(!oa2_buf_failed(&b) && b.len == 100000 && b.data[b.len] == '\0',
	      "buf: grows to the bound, NUL-terminated");
	oa2_buf_clear(&b);
}

static int parse(const char *json, struct oa2_token *t, struct oa2_err *e)
{
	memset(t, 0, sizeof(*t));
	return oa2_token_parse(json, strlen(json), "token file /t.json", t, e);
}

static void test_token_parse(void)
{
	struct oa2_token t;
	struct oa2_err e;
	int rc;

	rc = parse("{\"access_token\":\"abc\",\"user\":\"u@x\",\"expires_at\":1700000000}", &t, &e);
	CHECK(rc == OA2_OK && strcmp(t.access_token, "abc") == 0 && strcmp(t.user, "u@x") == 0 &&
	      t.expires_at == 1700000000, "token: all fields parsed");
	oa2_token_clear(&t);
	rc = parse("{\"access_token\":\"abc\",\"expiry\":\"1700000001\"}", &t, &e);
	CHECK(rc == OA2_OK && t.user == NULL && t.expires_at == 1700000001,
	      "token: expiry as a digit string (tarickb's format)");
	oa2_token_clear(&t);
	rc = parse("{\"access_token\":\"abc\",\"expires_at\":\"soon\"}", &t, &e);
	CHECK(rc == OA2_ERR_PARSE && strstr(e.msg, "/t.json") && strstr(e.msg, "expires_at"),
	      "token: a bad expires_at names the file and field: %s", e.msg);
	rc = parse("{\"access_token\":\"abc\",\"expires_at\":-1}", &t, &e);
	CHECK(rc == OA2_ERR_PARSE, "token: a negative time is refused");
	rc = parse("{\"access_token\":\"\"}", &t, &e);
	CHECK(rc == OA2_ERR_MISSING, "token: an empty access_token is missing");
	rc = parse("{\"access_token\":\"abc\",\"user\":7}", &t, &e);
	CHECK(rc == OA2_ERR_PARSE && strstr(e.msg, "\"user\""), "token: user must be a string");
	rc = parse("[\"access_token\"]", &t, &e);
	CHECK(rc == OA2_ERR_PARSE && strstr(e.msg, "object"), "token: top level must be an object");
	rc = parse("{\"a\":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]],\"access_token\":\"x\"}", &t, &e);
	CHECK(rc == OA2_ERR_PARSE, "token: nesting deeper than the bound is refused");
	rc = oa2_token_parse("{\"access_token\":\"a\"}\0", 21, "f", &t, &e);
	CHECK(rc == OA2_ERR_PARSE && strstr(e.msg, "NUL"), "token: an embedded NUL is refused");
	CHECK(oa2_secret_is_path("/etc/x.json") && !oa2_secret_is_path("eyJabc") &&
	      !oa2_secret_is_path("relative/path") && !oa2_secret_is_path(NULL),
	      "token: only an absolute path names a file");
}

static void test_server_error(void)
{
	struct oa2_server_error se;
	struct oa2_err e;
	char advice[768], raw[16];
	static const char bell[] = "{\"status\":\"\\u0007bell\"}";
	static const char js[] = "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"mail\"}";

	CHECK(oa2_server_error_parse(js, strlen(js), &se, &e) == OA2_OK &&
	      strcmp(se.status, "401") == 0 && strcmp(se.scope, "mail") == 0 &&
	      strcmp(se.schemes, "bearer") == 0, "server error: fields parsed");
	oa2_server_error_advice(&se, advice, sizeof(advice));
	CHECK(strstr(advice, "status 401, scope mail: ") && strstr(advice, "refresh"),
	      "server error: advice names status, scope and the fix: %s", advice);
	CHECK(oa2_server_error_parse(bell, strlen(bell), &se, &e) == OA2_OK &&
	      strcmp(se.status, "?bell") == 0, "server error: control bytes are masked");
	oa2_printable("abc\001defghijklmnopqrstuvwxyz", 27, raw, sizeof(raw));
	CHECK(strlen(raw) == 15 && strncmp(raw, "abc?", 4) == 0 && strcmp(raw + 12, "...") == 0,
	      "printable: masks and truncates with an ellipsis (%s)", raw);
}

int main(void)
{
	test_buf();
	test_token_parse();
	test_server_error();
	return tap_exit_code();
}
