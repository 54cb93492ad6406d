/* Unit tests of the shared library's building blocks. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sasl-oauth2/account_name.h"
#include "sasl-oauth2/base64url.h"
#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/cloud.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/jwt.h"
#include "sasl-oauth2/pkce.h"
#include "sasl-oauth2/provider.h"
#include "sasl-oauth2/token_endpoint.h"
#include "sasl-oauth2/safe_file.h"
#include "sasl-oauth2/secret_shape.h"
#include "sasl-oauth2/server_error.h"
#include "sasl-oauth2/suggest.h"
#include "sasl-oauth2/token.h"
#include "sasl-oauth2/remedy.h"
#include "sasl-oauth2/token_lock.h"
#include "sasl-oauth2/token_store.h"

#include "../../tools/privsep_path.h"
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

/* Nothing from another user's file reaches a terminal raw (issue 9, 4). */
static void test_escape(void)
{
	char out[64];

	oa2_chars_escape("a\x1b[2J\x07" "b\x7f", out, sizeof(out));
	CHECK(strcmp(out, "a\\x1b[2J\\x07b\\x7f") == 0, "escape: C0 and DEL as \\xNN (got %s)", out);
	oa2_chars_escape("caf\xc3\xa9 \xc2\x9b" "1m \xff", out, sizeof(out));
	CHECK(strcmp(out, "caf\xc3\xa9 \\xc2\\x9b1m \\xff") == 0,
	      "escape: UTF-8 text stays, C1 controls and bad bytes escaped (got %s)", out);
	oa2_chars_escape("\x1b\x1b\x1b", out, 9);
	CHECK(strcmp(out, "\\x1b\\x1b") == 0, "escape: cut short, never half an escape");
	/* issue 16: the check that user names and recorded errors pass */
	CHECK(!oa2_chars_no_controls("a\xc2\x9b" "1m", 5) && !oa2_chars_no_controls("\xc2\x85", 2),
	      "no_controls: C1 controls as UTF-8 (CSI, NEL) are controls");
	CHECK(!oa2_chars_no_controls("a\x9b", 2) && !oa2_chars_no_controls("\xc3", 1),
	      "no_controls: a lone C1 byte and a cut UTF-8 sequence are refused");
	CHECK(oa2_chars_no_controls("caf\xc3\xa9 \xc2\xa0x", 9) && !oa2_chars_no_controls("a\x7f", 2),
	      "no_controls: UTF-8 text (U+00A0 and up) passes, DEL does not");
}

/* The "user" of a token file goes into a command doctor prints for root
 * (issue 16, 2): a mailbox, nothing a shell reads as syntax. */
static void test_mailbox(void)
{
	static const char *const good[] = { "alice@example.com", "a@b", "first.last+tag@sub.example.org",
					    "x_y%z-1@host-1.example" };
	static const char *const bad[] = { "alice", "@example.com", "alice@", "a'b@example.com",
					   "a b@example.com", "a\"b\"@example.com", "a;id@x",
					   "a@x;id", "a$(id)@x", "a`id`@x", "a@b@c", ".a@x", "a.@x",
					   "a..b@x", "a@.x", "a@x.", "a@x\t", "a|b@x", "a&b@x", "a>b@x",
					   "a@[127.0.0.1]", "caf\xc3\xa9@x", "a*@x", "~a@x", "a!b@x" };
	struct oa2_token t;
	struct oa2_err e;
	int rc;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(oa2_chars_mailbox(good[i], strlen(good[i])), "mailbox: %s passes", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!oa2_chars_mailbox(bad[i], strlen(bad[i])), "mailbox: %s is refused", bad[i]);
	rc = parse("{\"access_token\":\"abc\",\"user\":\"x' >/tmp/p; '@b\"}", &t, &e);
	CHECK(rc == OA2_ERR_PARSE && strstr(e.msg, "/t.json") && strstr(e.msg, "field \"user\"") &&
	      strstr(e.msg, "not a mailbox"), "token: a user with shell syntax is refused, naming "
	      "the file and field: %s", rc ? e.msg : "accepted");
	rc = parse("{\"access_token\":\"abc\",\"revocation_endpoint\":\"https://x/r \\u001b[2J\"}",
		   &t, &e);
	CHECK(rc == OA2_ERR_PARSE && strstr(e.msg, "revocation_endpoint"),
	      "token: a revocation_endpoint with spaces or controls is refused: %s",
	      rc ? e.msg : "accepted");
	if (rc == OA2_OK)
		oa2_token_clear(&t);
}

/* Every argument of a command doctor prints (issue 16, 1). */
static void test_shell_quote(void)
{
	static const struct { const char *in, *out; } q[] = {
		{ "/var/spool/postfix/etc/x.json", "/var/spool/postfix/etc/x.json" },
		{ "postfix:postfix", "postfix:postfix" },
		{ "/a b/x", "'/a b/x'" },
		{ "/x; id > X; #", "'/x; id > X; #'" },
		{ "it's", "'it'\\''s'" },
		{ "", "''" },
		{ "$(id)`id`", "'$(id)`id`'" },
		{ "a\tb", "'a\tb'" },
		{ "~root", "'~root'" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		int rc = oa2_chars_shell_quote(q[i].in, out, sizeof(out));
		CHECK(rc == 0 && strcmp(out, q[i].out) == 0, "shell quote: [%s] -> [%s] (got [%s])",
		      q[i].in, q[i].out, out);
	}
	CHECK(oa2_chars_shell_quote("a'b", out, 7) == -1 && out[0] == '\0',
	      "shell quote: a word that does not fit is refused, never cut");
	CHECK(oa2_chars_shell_quote("a'b", out, 9) == 0 && strcmp(out, "'a'\\''b'") == 0,
	      "shell quote: a word that just fits is whole");
}

/* A password is never taken for a bearer token (issue 9, section 3). */
static void test_secret_shape(void)
{
	char out[64];

	CHECK(oa2_secret_token_shaped("eyJhbGciOiJSUzI1NiJ9.e30.sig", 28) &&
	      oa2_secret_token_shaped("ya29.a0AfB_byC-xyz~+/0123456==", 30) &&
	      oa2_secret_token_shaped("abcdefghij0123456789", 20),
	      "secret shape: JWTs, Google-style and 20-character b64tokens are tokens");
	CHECK(!oa2_secret_token_shaped("abcdefghij012345678", 19) &&
	      !oa2_secret_token_shaped("correct horse battery staple", 28) &&
	      !oa2_secret_token_shaped("Passw0rd!Passw0rd!Passw0rd!", 27) &&
	      !oa2_secret_token_shaped("abcdefghij=0123456789", 21) &&
	      !oa2_secret_token_shaped("====================", 20),
	      "secret shape: short strings, spaces, '!', '=' inside or only '=' are not tokens");
	oa2_secret_prefix("/SeCrEtToKeN0123456789", out, sizeof(out));
	CHECK(strcmp(out, "\"/SeC...\" (22 characters)") == 0 && !strstr(out, "ToKeN"),
	      "secret prefix: 4 characters and the length, nothing more (got %s)", out);
	oa2_secret_prefix("a\x1b[2J", out, sizeof(out));
	CHECK(strcmp(out, "\"a?[2...\" (5 characters)") == 0,
	      "secret prefix: control characters are not copied (got %s)", out);
}

static void test_server_error(void)
{
	struct oa2_server_error se;
	struct oa2_err e;
	char advice[768], raw[16];
	static const char bell[] = "{\"status\":\"\\u0007bell\"}";
	static const char js[] = "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"mail\"}";
	static const char gmail[] = "{\"status\":\"400\",\"schemes\":\"Bearer\","
				    "\"scope\":\"https://mail.google.com/\"}";

	CHECK(oa2_server_error_parse(js, strlen(js), &se, &e) == OA2_OK &&
	      strcmp(se.status, "401") == 0 && strcmp(se.scope, "mail") == 0 &&
	      strcmp(se.schemes, "bearer") == 0, "server error: fields parsed");
	oa2_server_error_advice(&se, advice, sizeof(advice));
	CHECK(strstr(advice, "status 401, scope mail: ") && strstr(advice, "refresh"),
	      "server error: advice names status, scope and the fix: %s", advice);
	CHECK(oa2_server_error_parse(gmail, strlen(gmail), &se, &e) == OA2_OK, "server error: Gmail's 400 parsed");
	oa2_server_error_advice(&se, advice, sizeof(advice));
	CHECK(strstr(advice, "status 400, scope https://mail.google.com/: ") &&
	      strstr(advice, "expired or was revoked") && strstr(advice, "user name") &&
	      !strstr(advice, "malformed"),
	      "server error: Gmail's 400 means an expired/revoked token or another user: %s", advice);
	CHECK(strstr(advice, "lacks the scope https://mail.google.com/") &&
	      strstr(advice, "gmail.send"),
	      "server error: Gmail's 400 also names a token without https://mail.google.com/");
	CHECK(oa2_server_error_parse(bell, strlen(bell), &se, &e) == OA2_OK &&
	      strcmp(se.status, "?bell") == 0, "server error: control bytes are masked");
	oa2_printable("abc\001defghijklmnopqrstuvwxyz", 27, raw, sizeof(raw));
	CHECK(strlen(raw) == 15 && strncmp(raw, "abc?", 4) == 0 && strcmp(raw + 12, "...") == 0,
	      "printable: masks and truncates with an ellipsis (%s)", raw);
}

static void test_base64url_pkce(void)
{
	unsigned char out[16];
	char enc[16], r1[OA2_RANDOM_LEN + 1], r2[OA2_RANDOM_LEN + 1], ch[OA2_PKCE_CHALLENGE_LEN + 1];
	struct oa2_pkce p;
	struct oa2_err e;
	size_t n;

	CHECK(oa2_base64url_encode((const unsigned char *)"\xfb\xff", 2, enc, sizeof(enc)) == 3 &&
	      strcmp(enc, "-_8") == 0, "base64url: URL alphabet, no padding");
	CHECK(oa2_base64url_encode((const unsigned char *)"abcd", 4, enc, 6) == 0,
	      "base64url: refuses a short output buffer");
	CHECK(oa2_base64url_decode("YWJjZA", 6, out, sizeof(out), &n) == 0 && n == 4 &&
	      memcmp(out, "abcd", 4) == 0, "base64url: decodes unpadded");
	CHECK(oa2_base64url_decode("YWJjZA==", 8, out, sizeof(out), &n) == 0 && n == 4,
	      "base64url: tolerates padding");
	CHECK(oa2_base64url_decode("YW+j", 4, out, sizeof(out), &n) == -1 &&
	      oa2_base64url_decode("YWJjZ", 5, out, sizeof(out), &n) == -1 &&
	      oa2_base64url_decode("YWJjZA", 6, out, 3, &n) == -1,
	      "base64url: refuses '+', impossible lengths, output past the bound");
	/* RFC 7636 appendix B */
	CHECK(oa2_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", ch, sizeof(ch), &e) ==
	      OA2_OK && strcmp(ch, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM") == 0,
	      "pkce: RFC 7636 appendix B challenge");
	CHECK(oa2_pkce_challenge("short", ch, sizeof(ch), &e) == OA2_ERR_INVALID,
	      "pkce: a verifier under 43 characters is refused");
	CHECK(oa2_random_string(r1, sizeof(r1), &e) == OA2_OK &&
	      oa2_random_string(r2, sizeof(r2), &e) == OA2_OK && strlen(r1) == OA2_RANDOM_LEN &&
	      strspn(r1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
	      OA2_RANDOM_LEN && strcmp(r1, r2) != 0, "pkce: random strings, 43 unreserved chars");
	CHECK(oa2_pkce_new(&p, &e) == OA2_OK && oa2_pkce_challenge(p.verifier, ch, sizeof(ch), &e) ==
	      OA2_OK && strcmp(ch, p.challenge) == 0, "pkce: a new pair matches");
	oa2_pkce_clear(&p);
}

/* A JWT with the given payload (header and signature are not read). */
static void make_jwt(const char *payload, char *out, size_t n)
{
	size_t len = strlen("eyJhbGciOiJub25lIn0.");

	memcpy(out, "eyJhbGciOiJub25lIn0.", len + 1);
	len += oa2_base64url_encode((const unsigned char *)payload, strlen(payload), out + len, n - len - 4);
	memcpy(out + len, ".sig", 5);
}

static void test_jwt(void)
{
	char jwt[512], user[OA2_USER_MAX + 1];
	struct json_object *obj;
	struct oa2_err e;

	make_jwt("{\"sub\":\"x\",\"email\":\"a@b.example\",\"preferred_username\":\"p@b\"}", jwt, sizeof(jwt));
	CHECK(oa2_jwt_user(jwt, user, sizeof(user), &e) == OA2_OK && strcmp(user, "a@b.example") == 0,
	      "jwt: the email claim names the user");
	make_jwt("{\"sub\":\"x\",\"preferred_username\":\"p@b.example\"}", jwt, sizeof(jwt));
	CHECK(oa2_jwt_user(jwt, user, sizeof(user), &e) == OA2_OK && strcmp(user, "p@b.example") == 0,
	      "jwt: else preferred_username");
	make_jwt("{\"sub\":\"x\"}", jwt, sizeof(jwt));
	CHECK(oa2_jwt_user(jwt, user, sizeof(user), &e) == OA2_ERR_MISSING, "jwt: no user claim: %s", e.msg);
	make_jwt("{\"email\":\"a b@c\"}", jwt, sizeof(jwt));
	CHECK(oa2_jwt_user(jwt, user, sizeof(user), &e) == OA2_ERR_PARSE, "jwt: a user with a space is refused");
	CHECK(oa2_jwt_user("abc.def", user, sizeof(user), &e) == OA2_ERR_PARSE &&
	      oa2_jwt_user("a.$$$.c", user, sizeof(user), &e) == OA2_ERR_PARSE &&
	      oa2_jwt_user("a.YWJj.c", user, sizeof(user), &e) == OA2_ERR_PARSE,
	      "jwt: two parts, bad base64url, a payload that is not JSON: refused");
	make_jwt("{\"iat\":5}", jwt, sizeof(jwt));
	CHECK(oa2_jwt_payload(jwt, &obj, &e) == OA2_OK, "jwt: payload decoded");
	oa2_json_put_wiped(obj);
}

/* Microsoft's clouds (sign-in host, scope resource, mail hosts) and the
 * Outlook.com SMTP host for personal accounts. */
static void test_clouds(const struct oa2_config *cfg)
{
	static const struct {
		const char *cloud, *tenant, *login, *resource, *imap, *smtp, *personal, *app;
	} want[] = {
		{ NULL, NULL, "login.microsoftonline.com", "https://outlook.office.com",
		  "outlook.office365.com", "smtp.office365.com", "smtp-mail.outlook.com",
		  "https://outlook.office365.com/.default" },
		{ "worldwide", "contoso.example", "login.microsoftonline.com",
		  "https://outlook.office.com", "outlook.office365.com", "smtp.office365.com", NULL,
		  "https://outlook.office365.com/.default" },
		{ "gcc", "contoso.gov", "login.microsoftonline.com", "https://outlook.office.com",
		  "outlook.office365.com", "smtp.office365.com", NULL,
		  "https://outlook.office365.com/.default" },
		{ "global", "organizations", "login.microsoftonline.com", "https://outlook.office.com",
		  "outlook.office365.com", "smtp.office365.com", NULL,
		  "https://outlook.office365.com/.default" },
		{ NULL, "consumers", "login.microsoftonline.com", "https://outlook.office.com",
		  "outlook.office365.com", "smtp-mail.outlook.com", NULL,
		  "https://outlook.office365.com/.default" },
		{ "us", NULL, "login.microsoftonline.us", "https://outlook.office365.us",
		  "outlook.office365.us", "outlook.office365.us", NULL,
		  "https://outlook.office365.us/.default" },
		{ "gcc-high", NULL, "login.microsoftonline.us", "https://outlook.office365.us",
		  "outlook.office365.us", "outlook.office365.us", NULL,
		  "https://outlook.office365.us/.default" },
		{ "dod", NULL, "login.microsoftonline.us", "https://outlook-dod.office365.us",
		  "outlook-dod.office365.us", "outlook-dod.office365.us", NULL,
		  "https://outlook-dod.office365.us/.default" },
		{ "china", NULL, "login.partner.microsoftonline.cn", "https://partner.outlook.cn",
		  "partner.outlook.cn", "smtp.partner.outlook.cn", NULL,
		  "https://partner.outlook.cn/.default" },
	};
	struct oa2_http_opts o = { 0 };
	struct oa2_provider p;
	struct oa2_err e;

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		struct oa2_provider_request rq = { .name = "microsoft", .cloud = want[i].cloud,
						   .tenant = want[i].tenant,
						   .services = OA2_SERVICE_SMTP };
		char token[256], scope[256];
		int rc = oa2_provider_resolve(cfg, &rq, &o, &p, &e);

		snprintf(token, sizeof(token), "https://%s/%s/oauth2/v2.0/token", want[i].login,
			 want[i].tenant ? want[i].tenant : "common");
		snprintf(scope, sizeof(scope), "%s/SMTP.Send offline_access", want[i].resource);
		CHECK(rc == OA2_OK && strcmp(p.token_endpoint, token) == 0 &&
		      strcmp(p.scope, scope) == 0 && strcmp(p.imap.host, want[i].imap) == 0 &&
		      strcmp(p.smtp.host, want[i].smtp) == 0 && p.smtp.port == 587 &&
		      strcmp(p.app_scope, want[i].app) == 0 &&
		      strcmp(oa2_microsoft_app_scope(want[i].cloud), want[i].app) == 0 &&
		      (want[i].personal ? p.smtp_personal && strcmp(p.smtp_personal, want[i].personal) == 0
					: p.smtp_personal == NULL),
		      "provider: microsoft --cloud %s --tenant %s: %s, %s, app-only %s, IMAP %s, "
		      "SMTP %s%s%s", want[i].cloud ? want[i].cloud : "(default)",
		      want[i].tenant ? want[i].tenant : "(common)", token, scope, want[i].app,
		      want[i].imap,
		      want[i].smtp, want[i].personal ? ", personal accounts " : "",
		      want[i].personal ? want[i].personal : "");
		if (rc == OA2_OK)
			oa2_provider_clear(&p);
	}
	{
		struct oa2_provider_request rq = { .name = "microsoft", .cloud = "dod",
						   .tenant = "consumers" };
		CHECK(oa2_provider_resolve(cfg, &rq, &o, &p, &e) == OA2_ERR_INVALID &&
		      strstr(e.msg, "worldwide"), "provider: consumers only in the worldwide cloud: %s",
		      e.msg);
	}
}

/* The AADSTS1002012 advice's scope, from the token endpoint (and the
 * scope sent, where GCC High and DoD share a sign-in host). */
static void test_app_scope_words(void)
{
	static const struct {
		const char *endpoint, *scope, *want;
	} cases[] = {
		{ "https://login.microsoftonline.com/t.example/oauth2/v2.0/token",
		  "https://outlook.office.com/SMTP.Send",
		  "https://outlook.office365.com/.default (worldwide and GCC)" },
		{ "https://login.microsoftonline.us/t.example/oauth2/v2.0/token",
		  "https://outlook-dod.office365.us/SMTP.SendAsApp",
		  "https://outlook-dod.office365.us/.default (DoD)" },
		{ "https://login.microsoftonline.us/t.example/oauth2/v2.0/token",
		  "https://outlook.office365.us/IMAP.AccessAsApp",
		  "https://outlook.office365.us/.default (GCC High)" },
		{ "https://login.microsoftonline.us/t.example/oauth2/v2.0/token", "mail",
		  "https://outlook.office365.us/.default (GCC High) or "
		  "https://outlook-dod.office365.us/.default (DoD)" },
		{ "https://login.partner.microsoftonline.cn/t.example/oauth2/v2.0/token", NULL,
		  "https://partner.outlook.cn/.default (21Vianet)" },
		{ "https://idp.example/token", NULL,
		  "https://outlook.office365.com/.default (worldwide and GCC), "
		  "https://outlook.office365.us/.default (GCC High), "
		  "https://outlook-dod.office365.us/.default (DoD) or "
		  "https://partner.outlook.cn/.default (21Vianet)" },
	};
	char buf[512], small[24];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		oa2_microsoft_app_scope_words(cases[i].endpoint, cases[i].scope, buf, sizeof(buf));
		CHECK(strcmp(buf, cases[i].want) == 0, "app scope words: %s -> \"%s\" (got \"%s\")",
		      cases[i].endpoint, cases[i].want, buf);
	}
	oa2_microsoft_app_scope_words(NULL, NULL, small, sizeof(small));
	CHECK(strlen(small) == sizeof(small) - 1, "app scope words: cut to the buffer, terminated");
	CHECK(oa2_microsoft_app_scope("mars") == NULL, "app scope: none for an unknown cloud");
}

static void test_provider(void)
{
	struct oa2_provider_request rq = { .name = "microsoft" };
	struct oa2_http_opts o = { 0 };
	struct oa2_config cfg;
	struct oa2_provider p;
	struct oa2_buf url;
	struct oa2_err e;

	memset(&cfg, 0, sizeof(cfg));
	CHECK(oa2_services_parse("imap,SMTP,pop") == 7 && oa2_services_parse("imap,ftp") == -1 &&
	      oa2_services_parse("") == -1, "provider: services list parsed");
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_OK &&
	      strcmp(p.token_endpoint, "https://login.microsoftonline.com/common/oauth2/v2.0/token") == 0 &&
	      strcmp(p.device_endpoint, "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode") == 0 &&
	      strcmp(p.scope, "https://outlook.office.com/IMAP.AccessAsUser.All "
		     "https://outlook.office.com/SMTP.Send offline_access") == 0 &&
	      strcmp(p.smtp.host, "smtp.office365.com") == 0 &&
	      strcmp(p.redirect_host, "localhost") == 0, "provider: microsoft defaults");
	oa2_buf_init(&url, 8192);
	CHECK(oa2_provider_authorize_url(&p, "cid", "http://127.0.0.1:5/", "st", "ch", "a b@c", &url, &e) ==
	      OA2_OK && strcmp(url.data, "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?"
	      "response_type=code&client_id=cid&redirect_uri=http%3A%2F%2F127.0.0.1%3A5%2F&scope="
	      "https%3A%2F%2Foutlook.office.com%2FIMAP.AccessAsUser.All%20https%3A%2F%2Foutlook.office.com"
	      "%2FSMTP.Send%20offline_access&state=st&code_challenge=ch&code_challenge_method=S256"
	      "&login_hint=a%20b%40c") == 0, "provider: authorization URL, every value encoded");
	oa2_buf_clear(&url);
	oa2_provider_clear(&p);
	rq.tenant = "contoso.onmicrosoft.com";
	rq.cloud = "china";
	rq.services = OA2_SERVICE_SMTP;
	rq.want_user = 1;
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_OK &&
	      strcmp(p.authorize_endpoint, "https://login.partner.microsoftonline.cn/"
		     "contoso.onmicrosoft.com/oauth2/v2.0/authorize") == 0 &&
	      strcmp(p.scope, "https://partner.outlook.cn/SMTP.Send offline_access openid email profile") == 0,
	      "provider: microsoft tenant, china cloud, SMTP only, openid for the user");
	oa2_provider_clear(&p);
	test_clouds(&cfg);
	rq.tenant = "../x";
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_ERR_INVALID, "provider: a bad tenant is refused");
	rq.tenant = NULL;
	rq.cloud = "mars";
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_ERR_INVALID, "provider: an unknown cloud is refused");
	memset(&rq, 0, sizeof(rq));
	rq.name = "google";
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_OK && p.device_endpoint == NULL &&
	      strcmp(p.scope, "https://mail.google.com/") == 0 &&
	      strcmp(p.revocation_endpoint, "https://oauth2.googleapis.com/revoke") == 0 &&
	      strcmp(p.authorize_extra, "access_type=offline&prompt=consent") == 0 &&
	      strcmp(p.authorize_endpoint, "https://accounts.google.com/o/oauth2/v2/auth") == 0 &&
	      strcmp(p.redirect_host, "127.0.0.1") == 0,
	      "provider: google, no device flow, redirect to 127.0.0.1");
	oa2_provider_clear(&p);
	rq.cloud = "us";
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_ERR_INVALID, "provider: --cloud only for microsoft");
	rq.cloud = NULL;
	rq.name = "nosuch";
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_ERR_INVALID && strstr(e.msg, "nosuch"),
	      "provider: unknown name: %s", e.msg);
}

/* AADSTS codes in a token endpoint's error_description, put in words. */
static void test_aadsts(void)
{
	static const struct { const char *error, *desc, *want; } cases[] = {
		{ "invalid_grant", "AADSTS70000: The provided value for the 'code' parameter is not valid.",
		  "InvalidGrant" },
		{ "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret "
		  "being sent in the request is the client secret value, not the client secret ID",
		  "not its Secret ID" },
		{ "invalid_client", "AADSTS7000222: The provided client secret keys for app 'x' are expired.",
		  "client secret expired" },
		{ "invalid_client", "AADSTS700025: Client is public so neither 'client_assertion' nor "
		  "'client_secret' should be presented.", "public client" },
		{ "invalid_request", "AADSTS9002332: Application 'x' is configured for use by Azure "
		  "Active Directory users only. Please do not use the /consumers endpoint",
		  "work or school accounts only" },
		{ "invalid_grant", "AADSTS53003: Access has been blocked by Conditional Access policies.",
		  "Conditional Access policy blocks" },
		{ "invalid_grant", "AADSTS530035: Access has been blocked by security defaults.",
		  "security defaults" },
		{ "invalid_grant", "AADSTS50078: Presented multi-factor authentication has expired due "
		  "to policies configured by your administrator", "multi-factor authentication expired" },
		{ "invalid_grant", "AADSTS70043: The refresh token has expired or is invalid due to "
		  "sign-in frequency checks by conditional access.", "sign-in frequency" },
		{ "invalid_client", "AADSTS7000218: The request body must contain the following "
		  "parameter: 'client_assertion' or 'client_secret'.", "Allow public client flows" },
		{ "invalid_grant", "AADSTS700000: a code that is not in the table", "expired, revoked" },
		{ "invalid_request", "AADSTS90002: Tenant 'contoso.us' not found. Check to make sure "
		  "you have the correct tenant ID and are signing into the correct cloud.",
		  "--cloud" },
		{ "invalid_grant", "AADSTS90094: The grant requires admin permission.",
		  "Grant admin consent" },
		{ "admin_policy_enforced", "Access to Gmail is restricted by the administrator",
		  "restricted Gmail" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *w = oa2_token_error_explain(cases[i].error, cases[i].desc);
		CHECK(w != NULL && strstr(w, cases[i].want) != NULL, "AADSTS: %.14s -> \"%s\" (%s)",
		      cases[i].desc, cases[i].want, w ? w : "(none)");
	}
}

/* A refused refresh at Google's token endpoint: invalid_grant there is most
 * often an app left in Testing (7-day refresh tokens); elsewhere not. */
static void test_refresh_testing_hint(void)
{
	static const char body[] = "{\"error\":\"invalid_grant\",\"error_description\":"
				   "\"Token has been expired or revoked.\"}";
	struct oa2_token_response res;
	struct oa2_err e = { .msg = "" };

	CHECK(oa2_token_endpoint_parse(400, body, strlen(body), "https://oauth2.googleapis.com/token",
				       "gmail", &res, &e) == OA2_ERR_DENIED &&
				       strstr(e.msg, "Testing") && strstr(e.msg, "7 days") && strstr(e.msg, "Publish app") &&
				       strstr(e.msg, "sasl-oauth2 authorize gmail"),
				       "refresh: Google's invalid_grant names the Testing status and how to publish: %s", e.msg);
	oa2_token_response_clear(&res);
	CHECK(oa2_token_endpoint_parse(400, body, strlen(body), "https://idp.example/token",
				       "other", &res, &e) == OA2_ERR_DENIED &&
				       !strstr(e.msg, "Testing") && strstr(e.msg, "expired, revoked"),
				       "refresh: another provider's invalid_grant says nothing of Google's Testing: %s", e.msg);
	oa2_token_response_clear(&res);
}

/* provider.NAME.redirect_host, and the built-in providers' values
 * overridden by a group of their name (sasl-oauth2.conf(5)). */
static void test_redirect_host(void)
{
	static const char good[] = "provider.microsoft.redirect_host = 127.0.0.1\n"
				   "provider.Google.redirect_host = localhost\n"
				   "provider.microsoft.client_id = cfg-client\n";
	static const char *const bad[] = {
		"provider.microsoft.redirect_host = [::1]\n",
		"provider.microsoft.token_endpoint = http://plain.example/token\n",
	};
	struct oa2_provider_request rq = { .name = "microsoft" };
	struct oa2_http_opts o = { 0 };
	struct oa2_config cfg;
	struct oa2_provider p;
	struct oa2_err e = { .msg = "" };
	char path[] = "/tmp/test_lib_conf.XXXXXX";
	int fd = mkstemp(path);

	CHECK(fd >= 0 && write(fd, good, strlen(good)) == (ssize_t)strlen(good), "redirect_host: config written");
	close(fd);
	CHECK(oa2_config_load(path, &cfg, &e) == OA2_OK, "redirect_host: config accepted (%s)", e.msg);
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_OK &&
	      strcmp(p.redirect_host, "127.0.0.1") == 0 &&
	      strcmp(p.token_endpoint, "https://login.microsoftonline.com/common/oauth2/v2.0/token") == 0,
	      "redirect_host: provider.microsoft.redirect_host = 127.0.0.1 overrides localhost only");
	CHECK(p.client_id != NULL && strcmp(p.client_id, "cfg-client") == 0,
	      "provider.microsoft.client_id overrides the built-in provider's (none)");
	oa2_provider_clear(&p);
	rq.name = "MicroSoft";
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_OK && strcmp(p.name, "microsoft") == 0,
	      "provider names are case-insensitive (MicroSoft is microsoft)");
	oa2_provider_clear(&p);
	rq.name = "google";
	CHECK(oa2_provider_resolve(&cfg, &rq, &o, &p, &e) == OA2_OK &&
	      strcmp(p.redirect_host, "localhost") == 0, "redirect_host: google set to localhost");
	oa2_provider_clear(&p);
	oa2_config_clear(&cfg);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = open(path, O_WRONLY | O_TRUNC);
		CHECK(fd >= 0 && write(fd, bad[i], strlen(bad[i])) == (ssize_t)strlen(bad[i]),
		      "redirect_host: bad config written");
		close(fd);
		CHECK(oa2_config_load(path, &cfg, &e) == OA2_ERR_CONFIG && strstr(e.msg, "provider."),
		      "redirect_host: refused with a message naming the key: %s", e.msg);
		oa2_config_clear(&cfg);
	}
	unlink(path);
}

/* ----- the token store never trusts a name someone else could plant -------- */

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	chmod(path, mode);
}

static int read_rc(const char *path, struct oa2_err *e)
{
	struct json_object *obj = NULL;
	struct oa2_token t;
	int rc = oa2_store_read(path, &obj, &t, NULL, e);

	if (rc == OA2_OK) {
		oa2_token_clear(&t);
		oa2_json_put_wiped(obj);
	}
	return rc;
}

static void test_store_links(void)
{
	char dir[] = "/tmp/oa2-unit-XXXXXX", tok[64], alias[64], lock[80], victim[64], fifo[64];
	const char *body = "{\"access_token\":\"abc\",\"user\":\"u@x\"}";
	uid_t other = 65534;
	struct oa2_err e;
	struct stat st;
	int fd, rc;

	if (mkdtemp(dir) == NULL) {
		CHECK(0, "store: cannot make a temporary directory");
		return;
	}
	snprintf(tok, sizeof(tok), "%s/t.json", dir);
	snprintf(alias, sizeof(alias), "%s/alias.json", dir);
	snprintf(lock, sizeof(lock), "%s/t.json.lock", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo.json", dir);
	write_file(tok, body, 0600);
	CHECK(read_rc(tok, &e) == OA2_OK, "store: a plain token file reads");

	/* Another user points a name at a token file that is not theirs. */
	(void)!symlink(tok, alias);
	rc = read_rc(alias, &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, "symbolic link") && strstr(e.msg, tok),
	      "store: a token file that is a symbolic link is refused, naming its target: %s",
	      rc ? e.msg : "read");
	unlink(alias);
	(void)!link(tok, alias);
	rc = read_rc(alias, &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, "2 hard links"),
	      "store: a token file with a second hard link is refused: %s", rc ? e.msg : "read");
	CHECK(read_rc(tok, &e) == OA2_ERR_UNSAFE, "store: ... under either name");
	unlink(alias);
	(void)!mkfifo(fifo, 0600);
	rc = read_rc(fifo, &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, "a FIFO, not a regular file"),
	      "store: a FIFO is refused without blocking: %s", rc ? e.msg : "read");

	/* The lock name planted as a hard link to someone else's file: the
	 * lock must neither take it nor change its owner. */
	write_file(victim, "victim\n", 0666);
	if (geteuid() == 0)
		(void)!chown(victim, other, other);
	(void)!link(victim, lock);
	fd = oa2_token_lock(tok, &e);
	CHECK(fd < 0 && e.rc == OA2_ERR_UNSAFE && strstr(e.msg, "lock file") &&
	      strstr(e.msg, "hard links"),
	      "store: a lock file planted as a hard link is refused: %s", fd < 0 ? e.msg : "locked");
	oa2_token_unlock(fd);
	memset(&st, 0, sizeof(st));
	rc = stat(victim, &st);
	CHECK(rc == 0 && st.st_uid == (geteuid() == 0 ? other : geteuid()),
	      "store: the linked file keeps its owner (uid %u)", (unsigned)st.st_uid);
	unlink(lock);
	(void)!symlink(victim, lock);
	fd = oa2_token_lock(tok, &e);
	CHECK(fd < 0 && e.rc == OA2_ERR_UNSAFE && strstr(e.msg, "symbolic link"),
	      "store: a lock file that is a symbolic link is refused: %s", fd < 0 ? e.msg : "locked");
	oa2_token_unlock(fd);
	unlink(lock);
	fd = oa2_token_lock(tok, &e);
	memset(&st, 0, sizeof(st));
	(void)!stat(lock, &st);
	CHECK(fd >= 0 && (st.st_mode & 0777) == 0600 &&
	      st.st_uid == geteuid(), "store: a missing lock file is created 0600, the caller's");
	oa2_token_unlock(fd);

	if (geteuid() == 0) {
		struct json_object *obj = json_tokener_parse(body);
		struct stat like;

		/* Root only reads and writes its own files; another user's
		 * are worked on as that user. */
		(void)!chown(tok, other, other);
		rc = read_rc(tok, &e);
		CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, "belongs to uid 65534"),
		      "store: root refuses a token file owned by another user: %s",
		      rc ? e.msg : "read");
		(void)!chown(tok, 0, 0);
		memset(&like, 0, sizeof(like));
		like.st_uid = other;
		like.st_gid = other;
		like.st_mode = S_IFREG | 0600;
		rc = oa2_store_write(tok, obj, &like, &e);
		memset(&st, 0, sizeof(st));
		(void)!stat(tok, &st);
		CHECK(rc == OA2_OK && st.st_uid == 0,
		      "store: a write never gives the file away (owner uid %u)", (unsigned)st.st_uid);
		json_object_put(obj);
	}
	unlink(tok);
	unlink(lock);
	unlink(victim);
	unlink(fifo);
	rmdir(dir);
}

/* What re-authorizing an account reads back, and how advice names it. */
static void test_reauthorize_parts(void)
{
	static const char *const cmds[] = { "authorize", "token", "status", "help" };
	char tenant[64], label[256];
	const char *cloud = NULL;

	CHECK(oa2_microsoft_endpoint_parts("https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token",
					   NULL, tenant, sizeof(tenant), &cloud) == 0 &&
	      strcmp(tenant, "contoso.example") == 0 && cloud == NULL,
	      "endpoint parts: tenant of a worldwide token endpoint (cloud: the default)");
	CHECK(oa2_microsoft_endpoint_parts("https://login.microsoftonline.us/t1/oauth2/v2.0/token",
					   "https://outlook-dod.office365.us/SMTP.Send", tenant, sizeof(tenant),
					   &cloud) == 0 && cloud != NULL && strcmp(cloud, "dod") == 0 &&
	      oa2_microsoft_endpoint_parts("https://login.microsoftonline.us/t1/oauth2/v2.0/token",
					   "https://outlook.office365.us/SMTP.Send", tenant, sizeof(tenant),
					   &cloud) == 0 && cloud != NULL && strcmp(cloud, "gcc-high") == 0,
	      "endpoint parts: clouds sharing a sign-in host told apart by the scope");
	CHECK(oa2_microsoft_endpoint_parts("https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
					   NULL, tenant, sizeof(tenant), &cloud) == -1 &&
	      oa2_microsoft_endpoint_parts("https://login.example.com/common/oauth2/v2.0/token",
					   NULL, tenant, sizeof(tenant), &cloud) == -1 &&
	      oa2_microsoft_endpoint_parts("https://login.microsoftonline.com/a/b/oauth2/v2.0/token",
					   NULL, tenant, sizeof(tenant), &cloud) == -1 &&
	      oa2_microsoft_endpoint_parts("https://login.microsoftonline.com//oauth2/v2.0/token",
					   NULL, tenant, sizeof(tenant), &cloud) == -1,
	      "endpoint parts: not a token endpoint, another host, a path in the tenant, none");
	CHECK(oa2_microsoft_endpoint_parts("https://login.microsoftonline.com/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef/oauth2/v2.0/token",
					   NULL, tenant, sizeof(tenant), &cloud) == -1,
	      "endpoint parts: a tenant longer than the buffer is refused, not cut");
	CHECK(oa2_services_from_scope("https://outlook.office.com/IMAP.AccessAsUser.All offline_access") ==
		      OA2_SERVICE_IMAP &&
	      oa2_services_from_scope("https://outlook.office365.us/SMTP.Send https://outlook.office365.us/POP.AccessAsUser.All") ==
		      (OA2_SERVICE_SMTP | OA2_SERVICE_POP) &&
	      oa2_services_from_scope("https://mail.google.com/") == 0 && oa2_services_from_scope(NULL) == 0 &&
	      oa2_services_from_scope("SMTP.Send") == 0,
	      "services from scope: Microsoft's permissions only");
	oa2_remedy_account("/var/spool/postfix/etc/sasl-oauth2/relay.json", "/var/spool/postfix",
				label, sizeof(label));
	CHECK(strcmp(label, "relay --for postfix") == 0, "label: Postfix's file is NAME --for postfix");
	oa2_remedy_account("/etc/sasl-oauth2/relay.json", "/var/spool/postfix", label, sizeof(label));
	CHECK(strcmp(label, "relay --for postfix") == 0, "label: the same path inside the chroot too");
	oa2_remedy_account("/var/lib/sasl-oauth2/work.json", "/var/spool/postfix", label, sizeof(label));
	CHECK(strcmp(label, "work") == 0, "label: root's state directory is the name");
	oa2_remedy_account("/home/u/tokens/a b.json", "/var/spool/postfix", label, sizeof(label));
	CHECK(strcmp(label, "/home/u/tokens/a b.json") == 0, "label: any other path stays a path");
	oa2_remedy_account("/var/lib/sasl-oauth2/.hidden.json", "/var/spool/postfix", label, sizeof(label));
	CHECK(strcmp(label, "/var/lib/sasl-oauth2/.hidden.json") == 0, "label: not a valid name stays a path");
	CHECK(oa2_suggest_nearest("stauts", cmds, 4) == cmds[2] && oa2_suggest_nearest("hlep", cmds, 4) == cmds[3] &&
	      oa2_suggest_nearest("TOKEN", cmds, 4) == cmds[1] && oa2_suggest_nearest("xyzzy", cmds, 4) == NULL &&
	      oa2_suggest_nearest("token", cmds, 4) == NULL,
	      "suggest: swaps, case, nothing far, not the word itself");
}

/* The open import and the store use (safe_file.h) on what a hostile
 * directory owner can put under a name: a FIFO with a writer that never
 * writes, a device, a directory, a file of another user's. */
static void test_safe_open_kinds(void)
{
	char dir[] = "/tmp/oa2-unit-XXXXXX", fifo[64], file[64];
	struct oa2_err e;
	struct stat st;
	int fd, w;

	if (mkdtemp(dir) == NULL) {
		CHECK(0, "safe open: cannot make a temporary directory");
		return;
	}
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	(void)!mkfifo(fifo, 0600);
	w = open(fifo, O_RDWR | O_NONBLOCK); /* a writer that stays idle */
	fd = oa2_safe_open(fifo, O_RDONLY, OA2_SAFE_EXISTING, "file to import", &st, &e);
	CHECK(fd < 0 && e.rc == OA2_ERR_UNSAFE && strstr(e.msg, "file to import") &&
	      strstr(e.msg, fifo) && strstr(e.msg, "a FIFO"),
	      "safe open: a FIFO with an idle writer is refused at once, naming it: %s",
	      fd < 0 ? e.msg : "opened");
	if (w >= 0)
		close(w);
	fd = oa2_safe_open("/dev/null", O_RDONLY, OA2_SAFE_EXISTING, "file to import", &st, &e);
	CHECK(fd < 0 && e.rc == OA2_ERR_UNSAFE && strstr(e.msg, "/dev/null is a device"),
	      "safe open: a device is refused: %s", fd < 0 ? e.msg : "opened");
	fd = oa2_safe_open(dir, O_RDONLY, OA2_SAFE_EXISTING, "file to import", &st, &e);
	CHECK(fd < 0 && e.rc == OA2_ERR_UNSAFE && strstr(e.msg, "a directory"),
	      "safe open: a directory is refused: %s", fd < 0 ? e.msg : "opened");
	write_file(file, "{}", 0600);
	fd = oa2_safe_open(file, O_RDONLY, OA2_SAFE_EXISTING, "file to import", &st, &e);
	CHECK(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) == 0,
	      "safe open: a regular file of one's own opens, for blocking reads");
	if (fd >= 0)
		close(fd);
	if (geteuid() == 0 && chown(file, 65534, 65534) == 0) {
		fd = oa2_safe_open(file, O_RDONLY, OA2_SAFE_EXISTING, "file to import", &st, &e);
		CHECK(fd < 0 && e.rc == OA2_ERR_UNSAFE && strstr(e.msg, "belongs to uid 65534"),
		      "safe open: root does not read another user's file as itself: %s",
		      fd < 0 ? e.msg : "opened");
	}
	unlink(fifo);
	unlink(file);
	rmdir(dir);
}

/* The owner decision of the directory rule (privsep_path.h). */
static void test_dir_rule(void)
{
	char dir[] = "/tmp/oa2-unit-XXXXXX", below[64];
	struct stat st;
	struct oa2_err e;
	int rc;

	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFDIR | 0755;
	CHECK(privsep_dir_ok("/a", &st, 1000, "alice", 0, &e) == OA2_OK,
	      "dir rule: root's directory, 0755: fine for anyone below it");
	st.st_uid = 1000;
	st.st_mode = S_IFDIR | 0700;
	CHECK(privsep_dir_ok("/a", &st, 1000, "alice", 0, &e) == OA2_OK,
	      "dir rule: the owner's own directory: fine");
	st.st_uid = 1001;
	rc = privsep_dir_ok("/a", &st, 1000, "alice", 0, &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, "directory /a belongs to uid 1001") &&
	      strstr(e.msg, "neither root nor alice"),
	      "dir rule: a third user's directory is refused, naming it: %s", e.msg);
	st.st_uid = 0;
	st.st_mode = S_IFDIR | 02775;
	rc = privsep_dir_ok("/a", &st, 1000, "alice", 0, &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, "writable by its group (mode 2775)") &&
	      strstr(e.msg, "chmod go-w /a"),
	      "dir rule: a group-writable directory is refused with the fix: %s", e.msg);
	st.st_mode = S_IFDIR | 01777;
	rc = privsep_dir_ok("/a", &st, 0, "root", 0, &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, "writable by group and others (mode 1777)"),
	      "dir rule: a sticky world-writable account directory is refused: %s", e.msg);
	CHECK(privsep_dir_ok("/tmp", &st, 1000, "alice", 1, &e) == OA2_OK,
	      "dir rule: above the account's directory, root's sticky /tmp is fine (only an "
	      "entry's owner may rename it)");
	st.st_uid = 1001;
	rc = privsep_dir_ok("/t", &st, 1000, "alice", 1, &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, "belongs to uid 1001"),
	      "dir rule: a third user's sticky directory above it is not: %s", e.msg);
	st.st_uid = 0;
	st.st_mode = S_IFDIR | 0777;
	rc = privsep_dir_ok("/t", &st, 1000, "alice", 1, &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, "(mode 0777)"),
	      "dir rule: nor a world-writable one without the sticky bit: %s", e.msg);

	CHECK(privsep_check_path("/usr/bin/not-made-yet/deeper", geteuid(), "me", &e) == OA2_OK,
	      "dir rule: a directory to be made is checked from its nearest existing one");
	if (mkdtemp(dir) == NULL) {
		CHECK(0, "dir rule: cannot make a temporary directory");
		return;
	}
	chmod(dir, 0775);
	snprintf(below, sizeof(below), "%s/sub", dir);
	rc = privsep_check_path(below, geteuid(), "me", &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, dir) && strstr(e.msg, "its group"),
	      "dir rule: the walk up names the first directory that fails: %s", e.msg);
	chmod(dir, 0700);
	rc = privsep_check_path(below, geteuid(), "me", &e);
	CHECK(rc == OA2_OK, "dir rule: ... and goes on up to /, past root's sticky /tmp: %s",
	      rc ? e.msg : "fine");
	chmod(dir, 01777);
	rc = privsep_check_path(dir, geteuid(), "me", &e);
	CHECK(rc == OA2_ERR_UNSAFE && strstr(e.msg, dir),
	      "dir rule: a sticky account directory itself is refused: %s", e.msg);
	rmdir(dir);
}

/* One account-name rule for the CLI and the store's advice: a name
 * authorize refuses is never offered as "sasl-oauth2 authorize NAME". */
static void test_account_name(void)
{
	char name[OA2_ACCOUNT_NAME_MAX + 2], path[64 + sizeof(name)], label[OA2_ACCOUNT_LABEL_MAX];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK(oa2_account_name_ok(name, OA2_ACCOUNT_NAME_MAX),
	      "account name: %d characters (the limit) accepted", OA2_ACCOUNT_NAME_MAX);
	CHECK(!oa2_account_name_ok(name, OA2_ACCOUNT_NAME_MAX + 1),
	      "account name: %d characters refused", OA2_ACCOUNT_NAME_MAX + 1);
	CHECK(oa2_account_name_ok("alice@example.com", 17) && oa2_account_name_ok("a.b_c+d-e", 9) &&
	      oa2_account_name_ok("work.json", 4),
	      "account name: a mail address, ._+- inside, a prefix of a longer string");
	CHECK(!oa2_account_name_ok("", 0) && !oa2_account_name_ok(".hidden", 7) &&
	      !oa2_account_name_ok("-x", 2) && !oa2_account_name_ok("@x", 2) &&
	      !oa2_account_name_ok("a..b", 4) && !oa2_account_name_ok("a/b", 3) &&
	      !oa2_account_name_ok("a b", 3) && !oa2_account_name_ok("a\0b", 3),
	      "account name: empty, a leading . - @, \"..\", /, space, NUL refused");

	name[OA2_ACCOUNT_NAME_MAX] = '\0';
	snprintf(path, sizeof(path), "/var/lib/sasl-oauth2/%s.json", name);
	oa2_remedy_account(path, "/var/spool/postfix", label, sizeof(label));
	CHECK(strcmp(label, name) == 0, "label: a %d-character name is the name",
	      OA2_ACCOUNT_NAME_MAX);
	memset(name, 'a', sizeof(name) - 1);
	snprintf(path, sizeof(path), "/var/spool/postfix/etc/sasl-oauth2/%s.json", name);
	oa2_remedy_account(path, "/var/spool/postfix", label, sizeof(label));
	CHECK(strcmp(label, path) == 0, "label: a %d-character name (authorize refuses it) stays "
	      "a path", OA2_ACCOUNT_NAME_MAX + 1);
	oa2_remedy_account("/var/lib/sasl-oauth2/a..b.json", NULL, label, sizeof(label));
	CHECK(strcmp(label, "/var/lib/sasl-oauth2/a..b.json") == 0,
	      "label: a name with \"..\" stays a path");
	oa2_remedy_account("/var/lib/sasl-oauth2/-x.json", NULL, label, sizeof(label));
	CHECK(strcmp(label, "/var/lib/sasl-oauth2/-x.json") == 0,
	      "label: a name starting with - stays a path");
}

int main(void)
{
	test_buf();
	test_account_name();
	test_token_parse();
	test_secret_shape();
	test_escape();
	test_mailbox();
	test_shell_quote();
	test_server_error();
	test_base64url_pkce();
	test_jwt();
	test_provider();
	test_redirect_host();
	test_reauthorize_parts();
	test_app_scope_words();
	test_aadsts();
	test_refresh_testing_hint();
	test_store_links();
	test_safe_open_kinds();
	test_dir_rule();
	return tap_exit_code();
}
