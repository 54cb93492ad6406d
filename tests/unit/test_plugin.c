/*
 * The plugin driven through the real libsasl2, as mail programs drive it:
 * exact initial responses, replies to error challenges, the callback and the
 * prompt styles, and every bad input, with the log lines they produce.
 *
 * usage: test_plugin PLUGIN_DIR TEMP_DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sasl/sasl.h>

#include "tap.h"

#define TOKEN "SeCrEtToKeN.abc-123_xyz"
#define USER "alice@example.com"

static const char *plugin_dir;
static const char *tmp_dir;

/* --- what the application gives -------------------------------------------- */
static const char *g_authname;
static const char *g_authzid;
static const char *g_secret;
static sasl_secret_t *g_secret_buf;

/* --- what the plugin logs ---------------------------------------------------- */
#define MAX_LOGS 64
static struct { int level; char text[1200]; } logs[MAX_LOGS];
static int nlogs;
static char all_logs[MAX_LOGS * 1200]; /* every line ever logged, for the secret scan */

static int cb_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	if (nlogs < MAX_LOGS) {
		logs[nlogs].level = level;
		snprintf(logs[nlogs].text, sizeof(logs[nlogs].text), "%s", msg);
		nlogs++;
	}
	strncat(all_logs, msg, sizeof(all_logs) - strlen(all_logs) - 2);
	strcat(all_logs, "\n");
	return SASL_OK;
}

static int cb_getpath(void *ctx, const char **path)
{
	(void)ctx;
	*path = plugin_dir;
	return SASL_OK;
}

static int cb_simple(void *ctx, int id, const char **result, unsigned *len)
{
	const char *v = id == SASL_CB_AUTHNAME ? g_authname : g_authzid;

	(void)ctx;
	if (v == NULL)
		return SASL_FAIL;
	*result = v;
	if (len)
		*len = (unsigned)strlen(v);
	return SASL_OK;
}

static int cb_pass(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	size_t n;

	(void)conn; (void)ctx; (void)id;
	if (g_secret == NULL)
		return SASL_FAIL;
	n = strlen(g_secret);
	free(g_secret_buf);
	g_secret_buf = malloc(sizeof(sasl_secret_t) + n);
	g_secret_buf->len = n;
	memcpy(g_secret_buf->data, g_secret, n + 1);
	*psecret = g_secret_buf;
	return SASL_OK;
}

/* Casting through void (*)(void) is how gcc allows a generic function pointer. */
#define CB(f) ((int (*)(void))(void (*)(void))(f))

/* Postfix style: function callbacks, no prompts. */
static sasl_callback_t fn_callbacks[] = {
	{ SASL_CB_AUTHNAME, CB(cb_simple), NULL },
	{ SASL_CB_USER, CB(cb_simple), NULL },
	{ SASL_CB_PASS, CB(cb_pass), NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

/* imtest style: callbacks listed without functions, answered by prompts. */
static sasl_callback_t prompt_callbacks[] = {
	{ SASL_CB_USER, NULL, NULL },
	{ SASL_CB_AUTHNAME, NULL, NULL },
	{ SASL_CB_PASS, NULL, NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

static sasl_callback_t global_callbacks[] = {
	{ SASL_CB_LOG, CB(cb_log), NULL },
	{ SASL_CB_GETPATH, CB(cb_getpath), NULL },
	{ SASL_CB_LIST_END, NULL, NULL },
};

static void reset_logs(void) { nlogs = 0; }

/* The first log line at `level` that contains every needle, or NULL. */
static const char *find_log(int level, const char *n1, const char *n2)
{
	for (int i = 0; i < nlogs; i++)
		if (logs[i].level == level && strstr(logs[i].text, n1) &&
		    (n2 == NULL || strstr(logs[i].text, n2)))
			return logs[i].text;
	return NULL;
}

static int count_logs(int level)
{
	int n = 0;
	for (int i = 0; i < nlogs; i++)
		n += logs[i].level == level;
	return n;
}

/* --- helpers ----------------------------------------------------------------- */
static void set_app(const char *authname, const char *authzid, const char *secret)
{
	g_authname = authname;
	g_authzid = authzid;
	g_secret = secret;
}

static char *path_in_tmp(const char *name)
{
	static char buf[8][4096];
	static int i;
	char *p = buf[i++ % 8];
	snprintf(p, 4096, "%s/%s", tmp_dir, name);
	return p;
}

static const char *write_file(const char *name, const char *content, size_t len)
{
	char *path = path_in_tmp(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, content, len) != (ssize_t)len) {
		perror(path);
		exit(2);
	}
	close(fd);
	return path;
}

static const char *write_token_file(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static const char *write_token_file(const char *name, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return write_file(name, buf, strlen(buf));
}

struct run {
	sasl_conn_t *conn;
	int rc;
	const char *out;
	unsigned outlen;
	const char *mech;
};

/* Starts `mech` for an application that registered `service`. */
static void start_service(struct run *r, const char *service, const char *mech,
			  sasl_callback_t *cbs, const char *remote, sasl_interact_t **prompts)
{
	memset(r, 0, sizeof(*r));
	reset_logs();
	r->rc = sasl_client_new(service, "mail.example.com", "127.0.0.1;40000", remote, cbs, 0,
				&r->conn);
	if (r->rc != SASL_OK) {
		printf("# sasl_client_new: %d\n", r->rc);
		return;
	}
	r->rc = sasl_client_start(r->conn, mech, prompts, &r->out, &r->outlen, &r->mech);
}

static void start(struct run *r, const char *mech, sasl_callback_t *cbs,
		  const char *remote, sasl_interact_t **prompts)
{
	start_service(r, "imap", mech, cbs, remote, prompts);
}

static int bytes_eq(const struct run *r, const char *want, size_t wantlen)
{
	return r->out != NULL && r->outlen == wantlen && memcmp(r->out, want, wantlen) == 0;
}

/* --- tests ------------------------------------------------------------------- */
static void test_xoauth2_direct_token(void)
{
	struct run r;
	static const char want[] = "user=" USER "\001auth=Bearer " TOKEN "\001\001";
	const void *name = NULL;

	set_app(USER, USER, TOKEN);
	start(&r, "XOAUTH2", fn_callbacks, "127.0.0.1;993", NULL);
	CHECK(r.rc == SASL_CONTINUE, "XOAUTH2 start with a direct token returns SASL_CONTINUE: the server may still send an error challenge (got %d)", r.rc);
	CHECK(r.mech && strcmp(r.mech, "XOAUTH2") == 0, "XOAUTH2 is the chosen mechanism");
	CHECK(bytes_eq(&r, want, sizeof(want) - 1), "XOAUTH2 initial response is exact");
	CHECK(sasl_getprop(r.conn, SASL_USERNAME, &name) == SASL_OK && name &&
	      strcmp(name, USER) == 0, "XOAUTH2 canonicalised the user name");
	CHECK(count_logs(SASL_LOG_WARN) == 0, "XOAUTH2 success logs no warning");
	sasl_dispose(&r.conn);
}

static void test_oauthbearer_direct_token(void)
{
	struct run r;
	static const char want[] = "n,a=" USER ",\001host=mail.example.com\001port=993\001"
				   "auth=Bearer " TOKEN "\001\001";
	static const char want_noport[] = "n,a=" USER ",\001host=mail.example.com\001"
					  "auth=Bearer " TOKEN "\001\001";

	set_app(USER, USER, TOKEN);
	start(&r, "OAUTHBEARER", fn_callbacks, "127.0.0.1;993", NULL);
	CHECK(r.rc == SASL_CONTINUE, "OAUTHBEARER start returns SASL_CONTINUE (got %d)", r.rc);
	CHECK(bytes_eq(&r, want, sizeof(want) - 1),
	      "OAUTHBEARER initial response is exact, with host= and port=");
	sasl_dispose(&r.conn);

	start(&r, "OAUTHBEARER", fn_callbacks, NULL, NULL);
	CHECK(r.rc == SASL_CONTINUE && bytes_eq(&r, want_noport, sizeof(want_noport) - 1),
	      "OAUTHBEARER omits port= when the application gave no remote address");
	sasl_dispose(&r.conn);
}

static void test_oauthbearer_authzid(void)
{
	struct run r;
	static const char want[] = "n,a=shared=2Cbox=3D1@example.com,\001host=mail.example.com\001"
				   "port=993\001auth=Bearer " TOKEN "\001\001";
	const void *authzid = NULL;

	set_app(USER, "shared,box=1@example.com", TOKEN);
	start(&r, "OAUTHBEARER", fn_callbacks, "127.0.0.1;993", NULL);
	CHECK(r.rc == SASL_CONTINUE && bytes_eq(&r, want, sizeof(want) - 1),
	      "OAUTHBEARER sends a distinct authzid as a=, escaping ',' and '='");
	CHECK(sasl_getprop(r.conn, SASL_USERNAME, &authzid) == SASL_OK && authzid &&
	      strcmp(authzid, "shared,box=1@example.com") == 0,
	      "OAUTHBEARER canonicalised the authorization identity");
	sasl_dispose(&r.conn);
}

static void test_token_file(void)
{
	struct run r;
	static const char want[] = "user=bob@example.org\001auth=Bearer FileToken1\001\001";
	static const char want2[] = "user=bob@example.org\001auth=Bearer FileToken2\001\001";
	static const char want3[] = "user=" USER "\001auth=Bearer OldToolToken\001\001";
	const char *path;

	path = write_token_file("good.json",
				"{\"access_token\":\"FileToken1\",\"user\":\"bob@example.org\","
				"\"expires_at\":%lld,\"other\":[1,2,{\"x\":null}]}",
				(long long)time(NULL) + 3600);
	set_app(USER, USER, path);
	start(&r, "XOAUTH2", fn_callbacks, NULL, NULL);
	CHECK(r.rc == SASL_CONTINUE && bytes_eq(&r, want, sizeof(want) - 1),
	      "token file: XOAUTH2 sends its token and the file's user");
	sasl_dispose(&r.conn);

	/* Same size, new content: the cache must notice the change. */
	sleep(0); /* mtime granularity is ns on ext4/tmpfs; ctime changes too */
	write_token_file("good.json",
			 "{\"access_token\":\"FileToken2\",\"user\":\"bob@example.org\","
			 "\"expires_at\":%lld,\"other\":[1,2,{\"x\":null}]}",
			 (long long)time(NULL) + 3600);
	start(&r, "XOAUTH2", fn_callbacks, NULL, NULL);
	CHECK(r.rc == SASL_CONTINUE && bytes_eq(&r, want2, sizeof(want2) - 1),
	      "token file: a rewritten file is read again");
	sasl_dispose(&r.conn);

	/* tarickb/sasl-xoauth2 writes expiry as a string and may omit user. */
	path = write_token_file("oldtool.json",
				"{\"access_token\":\"OldToolToken\",\"refresh_token\":\"r\","
				"\"expiry\":\"%lld\"}", (long long)time(NULL) + 3600);
	set_app(USER, USER, path);
	start(&r, "XOAUTH2", fn_callbacks, NULL, NULL);
	CHECK(r.rc == SASL_CONTINUE && bytes_eq(&r, want3, sizeof(want3) - 1),
	      "token file: expiry as a string, user from the application");
	sasl_dispose(&r.conn);
}

/* A refreshable token file (refresh_token, client_id, token_endpoint), the
 * kind the plugin marks when a server rejects its token. */
static const char *refreshable_file(const char *name)
{
	return write_token_file(name,
				"{\"access_token\":\"" TOKEN "\",\"user\":\"" USER "\","
				"\"expires_at\":%lld,\"refresh_token\":\"r-" TOKEN "\","
				"\"client_id\":\"cid\",\"token_endpoint\":\"https://127.0.0.1:9/t\"}",
				(long long)time(NULL) + 3600);
}

static int file_marked(const char *path)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, "\"rejected_at\"") != NULL;
}

/* Starts `mech` with the refreshable token file and feeds `data` (len
 * bytes; NULL for none) as the second step. */
static int second_step(struct run *r, const char *mech, const char *path, const char *data,
		       unsigned len, const char **out, unsigned *outlen)
{
	set_app(USER, USER, path);
	start(r, mech, fn_callbacks, "127.0.0.1;993", NULL);
	if (r->rc != SASL_CONTINUE)
		printf("# %s start: rc %d\n", mech, r->rc);
	reset_logs();
	*out = NULL;
	*outlen = 99;
	return sasl_client_step(r->conn, data, len, NULL, out, outlen);
}

/* After the server's success: mbsync steps once more with no data. */
static void step_success(const char *mech)
{
	struct run r;
	const char *out, *path = refreshable_file("success.json");
	unsigned outlen;
	int rc;

	rc = second_step(&r, mech, path, NULL, 0, &out, &outlen);
	CHECK(rc == SASL_OK, "%s: a step with no server data (the server's success) returns "
	      "SASL_OK (rc %d)", mech, rc);
	CHECK(outlen == 0, "%s: ... and sends nothing (got %u bytes)", mech, outlen);
	CHECK(nlogs == 0, "%s: ... and logs nothing, even at log_level debug (got %d lines%s%s)",
	      mech, nlogs, nlogs ? ": " : "", nlogs ? logs[0].text : "");
	CHECK(!file_marked(path), "%s: ... and leaves the token file unmarked", mech);
	rc = sasl_client_step(r.conn, NULL, 0, NULL, &out, &outlen);
	CHECK(rc != SASL_OK && rc != SASL_CONTINUE,
	      "%s: ... and ends the exchange (doneflag): another step fails (rc %d)", mech, rc);
	sasl_dispose(&r.conn);
}

static void step_error(const char *mech, const char *challenge, const char *want_reply,
		       unsigned want_len, const char *want_log)
{
	struct run r;
	const char *out, *path = refreshable_file("rejected.json");
	unsigned outlen;
	int rc;

	rc = second_step(&r, mech, path, challenge, (unsigned)strlen(challenge), &out, &outlen);
	CHECK(rc == SASL_OK, "%s: the error challenge %s is answered with SASL_OK (rc %d)",
	      mech, challenge, rc);
	CHECK(outlen == want_len && (want_len == 0 || memcmp(out, want_reply, want_len) == 0),
	      "%s: the reply to the error challenge is %u byte(s) as the spec says (got %u)",
	      mech, want_len, outlen);
	CHECK(count_logs(SASL_LOG_WARN) == 1 && find_log(SASL_LOG_WARN, "rejected the token", want_log),
	      "%s: exactly one WARN line saying what the server reported (%s)", mech, want_log);
	CHECK(find_log(SASL_LOG_WARN, path, NULL) != NULL, "%s: the WARN line names the token file",
	      mech);
	CHECK(file_marked(path), "%s: the token file is marked rejected", mech);
	rc = sasl_client_step(r.conn, "{}", 2, NULL, &out, &outlen);
	CHECK(rc != SASL_OK && rc != SASL_CONTINUE,
	      "%s: a further challenge after the error reply fails (rc %d)", mech, rc);
	sasl_dispose(&r.conn);
}

/* Server data that is not a JSON error with a status: answered the same
 * way, logged at debug level without the data, the file left alone. mutt
 * and neomutt step after the server's OK with their leftover buffer: the
 * base64 initial response or the whole AUTHENTICATE line. */
static void step_other(const char *mech, const char *what, const char *data, unsigned len,
		       const char *want_reply, unsigned want_len)
{
	struct run r;
	const char *out, *path = refreshable_file("other.json");
	char prefix[9];
	unsigned outlen;
	int rc;

	rc = second_step(&r, mech, path, data, len, &out, &outlen);
	CHECK(rc == SASL_OK, "%s: %s: SASL_OK (rc %d)", mech, what, rc);
	CHECK(outlen == want_len && (want_len == 0 || memcmp(out, want_reply, want_len) == 0),
	      "%s: %s: the error reply (%u byte(s)) all the same (got %u)", mech, what,
	      want_len, outlen);
	CHECK(count_logs(SASL_LOG_WARN) == 0, "%s: %s: no WARN line", mech, what);
	CHECK(nlogs == 1 && count_logs(SASL_LOG_DEBUG) == 1 &&
	      find_log(SASL_LOG_DEBUG, "not an error challenge", NULL) != NULL,
	      "%s: %s: one debug line", mech, what);
	memcpy(prefix, data, len < sizeof(prefix) - 1 ? len : sizeof(prefix) - 1);
	prefix[len < sizeof(prefix) - 1 ? len : sizeof(prefix) - 1] = '\0';
	CHECK(nlogs == 0 || strlen(prefix) < 4 || strstr(logs[0].text, prefix) == NULL,
	      "%s: %s: the debug line shows none of the data", mech, what);
	CHECK(!file_marked(path), "%s: %s: the token file is not marked", mech, what);
	rc = sasl_client_step(r.conn, NULL, 0, NULL, &out, &outlen);
	CHECK(rc != SASL_OK && rc != SASL_CONTINUE, "%s: %s: the exchange is over (rc %d)",
	      mech, what, rc);
	sasl_dispose(&r.conn);
}

static void test_second_step(void)
{
	/* base64 of the initial responses this test's token and user give */
	static const char ir_b64[] = "dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciBT"
				     "ZUNyRXRUb0tlTi5hYmMtMTIzX3h5egEB";
	static const char line[] = "a0001 AUTHENTICATE XOAUTH2 dXNlcj1hbGljZUBleGFtcGxlLmNvbQFhdXRoPUJl"
				   "YXJlciBTZUNyRXRUb0tlTi5hYmMtMTIzX3h5egEB\r\n";
	static const char ob_b64[] = "bixhPWFsaWNlQGV4YW1wbGUuY29tLAFob3N0PW1haWwuZXhh"
				     "bXBsZS5jb20BcG9ydD05OTMBYXV0aD1CZWFyZXIgU2VDckV0VG9LZU4uYWJjLTEyM194eXoBAQ==";

	step_success("XOAUTH2");
	step_success("OAUTHBEARER");

	step_error("XOAUTH2", "{\"status\":\"401\",\"schemes\":\"bearer\",\"scope\":\"mail\"}",
		   "", 0, "status 401, scope mail");
	step_error("XOAUTH2",
		   "{\"status\":\"400\",\"schemes\":\"Bearer\",\"scope\":\"https://mail.google.com/\"}",
		   "", 0, "scope https://mail.google.com/");
	step_error("OAUTHBEARER", "{\"status\":\"invalid_token\"}", "\001", 1,
		   "status invalid_token");
	step_error("OAUTHBEARER",
		   "{\"status\":\"insufficient_scope\",\"scope\":\"imap\","
		   "\"openid-configuration\":\"https://idp.example/.well-known/openid-configuration\"}",
		   "\001", 1, "openid-configuration https://idp.example/");

	step_other("XOAUTH2", "mutt's leftover base64 initial response", ir_b64,
		   sizeof(ir_b64) - 1, "", 0);
	step_other("XOAUTH2", "a leftover AUTHENTICATE line", line, sizeof(line) - 1, "", 0);
	/* mutt 2.2 with SASL-IR: its buffer holds the command, its length
	 * still counts only the command's start */
	step_other("XOAUTH2", "mutt's leftover command start", "AUTHENTICATE XOAUTH2 ", 21, "", 0);
	step_other("OAUTHBEARER", "mutt's leftover command start", "AUTHENTICATE OAUTHBEARER ",
		   25, "\001", 1);
	step_other("OAUTHBEARER", "a leftover base64 initial response", ob_b64,
		   sizeof(ob_b64) - 1, "\001", 1);
	step_other("XOAUTH2", "text that is not JSON", "this is not json", 16, "", 0);
	step_other("OAUTHBEARER", "a JSON array", "[1,2,3]", 7, "\001", 1);
	step_other("OAUTHBEARER", "a JSON object without status", "{\"scope\":\"imap\"}", 16,
		   "\001", 1);
	step_other("XOAUTH2", "binary bytes", "\001\002\377\000x", 5, "", 0);
}

static int fill_prompts(sasl_interact_t *p, const char *authname, const char *secret)
{
	int n = 0;
	for (; p->id != SASL_CB_LIST_END; p++, n++) {
		const char *v = p->id == SASL_CB_PASS ? secret :
				p->id == SASL_CB_AUTHNAME ? authname : "";
		if (p->prompt == NULL)
			return -1;
		p->result = v;
		p->len = (unsigned)strlen(v);
	}
	return n;
}

/* --- initial responses too long for the AUTH line (RFC 4954 4, RFC 5034 4) -- */

/* A token of n characters, as long as providers' (Microsoft's JWTs 1.5 to
 * over 4 KB, Google's service-account tokens about 1 KB). */
static char *long_token(size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._";
	char *t = malloc(n + 1);

	for (size_t i = 0; i < n; i++)
		t[i] = abc[(i * 7 + i / 64) % (sizeof(abc) - 1)];
	t[n] = '\0';
	return t;
}

/* The XOAUTH2 response this file's user and token t make. */
static size_t xoauth2_bytes(const char *t, char *buf, size_t n)
{
	return (size_t)snprintf(buf, n, "user=%s\001auth=Bearer %s\001\001", USER, t);
}

/* Where it was on the AUTH line, the response is start's output; where it
 * was withheld, start gives nothing (the application sends "AUTH MECH"
 * alone) and the server's empty challenge gets the response. */
static int withheld_then_sent(struct run *r, const char *want, size_t wantlen)
{
	const char *out = NULL;
	unsigned outlen = 99;
	int rc;

	if (r->rc != SASL_CONTINUE || r->out != NULL || r->outlen != 0)
		return 0;
	rc = sasl_client_step(r->conn, "", 0, NULL, &out, &outlen);
	return rc == SASL_CONTINUE && out != NULL && outlen == wantlen &&
	       memcmp(out, want, wantlen) == 0;
}

/* The boundary, from the RFCs' arithmetic: "AUTH XOAUTH2 " is 13 octets,
 * CRLF 2, and base64 of the response 4 per 3 bytes. With this file's user
 * (17 characters) the response is 37 bytes plus the token: a 335-character
 * token makes a 496-octet base64 and a 511-octet line; 336 makes 500 and
 * 515. For POP3's 255: 143 characters make a 255-octet line, 144 make 259. */
static void test_withheld_boundary(void)
{
	static const struct {
		const char *service;
		size_t token_len;
		int withheld;
	} cases[] = {
		{ "smtp", 335, 0 }, { "smtp", 336, 1 }, { "SMTP", 336, 1 },
		{ "pop", 143, 0 }, { "pop", 144, 1 },
		{ "imap", 4500, 0 }, { "sieve", 4500, 0 },
	};
	char want[8192];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = long_token(cases[i].token_len);
		size_t n = xoauth2_bytes(t, want, sizeof(want));
		struct run r;

		set_app(USER, USER, t);
		start_service(&r, cases[i].service, "XOAUTH2", fn_callbacks, "127.0.0.1;587", NULL);
		if (cases[i].withheld)
			CHECK(withheld_then_sent(&r, want, n),
			      "%s, %zu-character token: the response is withheld from the AUTH line "
			      "and answers the empty challenge (rc %d, %u bytes at start)",
			      cases[i].service, cases[i].token_len, r.rc, r.outlen);
		else
			CHECK(r.rc == SASL_CONTINUE && bytes_eq(&r, want, n),
			      "%s, %zu-character token: the response is on the AUTH line (rc %d)",
			      cases[i].service, cases[i].token_len, r.rc);
		sasl_dispose(&r.conn);
		free(t);
	}
}

/* OAUTHBEARER's line is "AUTH OAUTHBEARER " (17 octets) plus base64 and
 * CRLF: its response of 369 bytes makes 509 octets, 370 makes 513. */
static void test_withheld_oauthbearer(void)
{
	static const char head[] = "n,a=" USER ",\001host=mail.example.com\001port=587\001auth=Bearer ";
	char want[8192];

	for (size_t resp = 369; resp <= 370; resp++) {
		size_t tlen = resp - (sizeof(head) - 1) - 2;
		char *t = long_token(tlen);
		int n = snprintf(want, sizeof(want), "%s%s\001\001", head, t);
		struct run r;

		set_app(USER, USER, t);
		start_service(&r, "smtp", "OAUTHBEARER", fn_callbacks, "127.0.0.1;587", NULL);
		if (resp == 369)
			CHECK(r.rc == SASL_CONTINUE && bytes_eq(&r, want, (size_t)n),
			      "smtp OAUTHBEARER: a %zu-byte response is on the AUTH line", resp);
		else
			CHECK(withheld_then_sent(&r, want, (size_t)n),
			      "smtp OAUTHBEARER: a %zu-byte response is withheld and sent after the "
			      "empty challenge", resp);
		sasl_dispose(&r.conn);
		free(t);
	}
}

/* The whole exchange with provider-sized tokens over SMTP and POP3: after
 * the withheld response the steps mean what they mean when it was on the
 * AUTH line (REFERENCE "Client step semantics"). */
static void test_withheld_exchange(void)
{
	static const size_t sizes[] = { 1100, 2000, 4500 };
	static const char *const services[] = { "smtp", "pop" };
	char want[8192];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t s = 0; s < 2; s++) {
			char *t = long_token(sizes[i]);
			size_t n = xoauth2_bytes(t, want, sizeof(want));
			const char *out = NULL, *path;
			unsigned outlen = 99;
			struct run r;
			int rc;

			/* success: the step after the server's OK sends nothing */
			set_app(USER, USER, t);
			start_service(&r, services[s], "XOAUTH2", fn_callbacks, "127.0.0.1;587", NULL);
			CHECK(withheld_then_sent(&r, want, n), "%s, %zu-character token: withheld, "
			      "then sent after the empty challenge", services[s], sizes[i]);
			rc = sasl_client_step(r.conn, NULL, 0, NULL, &out, &outlen);
			CHECK(rc == SASL_OK && outlen == 0, "%s, %zu: a step with no data after the "
			      "sent response is the server's success (rc %d, %u bytes)",
			      services[s], sizes[i], rc, outlen);
			CHECK(count_logs(SASL_LOG_WARN) == 0, "%s, %zu: no warning on success",
			      services[s], sizes[i]);
			rc = sasl_client_step(r.conn, NULL, 0, NULL, &out, &outlen);
			CHECK(rc != SASL_OK && rc != SASL_CONTINUE, "%s, %zu: the exchange is over "
			      "(rc %d)", services[s], sizes[i], rc);
			sasl_dispose(&r.conn);

			/* rejection: the error challenge after the sent response */
			path = write_token_file("long-rejected.json",
						"{\"access_token\":\"%s\",\"user\":\"" USER "\","
						"\"expires_at\":%lld,\"refresh_token\":\"r\","
						"\"client_id\":\"cid\",\"token_endpoint\":"
						"\"https://127.0.0.1:9/t\"}", t,
						(long long)time(NULL) + 3600);
			set_app(USER, USER, path);
			start_service(&r, services[s], "OAUTHBEARER", fn_callbacks, NULL, NULL);
			rc = r.rc == SASL_CONTINUE && r.outlen == 0 ?
			     sasl_client_step(r.conn, "", 0, NULL, &out, &outlen) : -100;
			CHECK(rc == SASL_CONTINUE && outlen > sizes[i] &&
			      strstr(out, "auth=Bearer ") != NULL,
			      "%s, %zu: OAUTHBEARER from a token file: withheld, then sent (rc %d)",
			      services[s], sizes[i], rc);
			rc = sasl_client_step(r.conn, "{\"status\":\"invalid_token\"}", 26, NULL,
					      &out, &outlen);
			CHECK(rc == SASL_OK && outlen == 1 && out[0] == '\001',
			      "%s, %zu: the error challenge is answered with 0x01 (rc %d, %u bytes)",
			      services[s], sizes[i], rc, outlen);
			CHECK(count_logs(SASL_LOG_WARN) == 1 &&
			      find_log(SASL_LOG_WARN, "rejected the token", path) != NULL,
			      "%s, %zu: one WARN line naming the token file", services[s], sizes[i]);
			CHECK(file_marked(path), "%s, %zu: the token file is marked rejected",
			      services[s], sizes[i]);
			sasl_dispose(&r.conn);
			free(t);
		}
	}
}

/* smtptest answers prompts: the withheld response survives the
 * SASL_INTERACT round, and mutt's POP3 code steps with its leftover
 * buffer when a server's "+" has no space: the response is sent all the
 * same. */
static void test_withheld_prompts_and_data(void)
{
	sasl_interact_t *prompts = NULL;
	char *t = long_token(1100);
	char want[8192];
	size_t n = xoauth2_bytes(t, want, sizeof(want));
	const char *out = NULL;
	unsigned outlen = 0;
	struct run r;
	int rc;

	start_service(&r, "smtp", "XOAUTH2", prompt_callbacks, NULL, &prompts);
	if (r.rc == SASL_INTERACT && prompts != NULL)
		fill_prompts(prompts, USER, t);
	r.rc = sasl_client_start(r.conn, "XOAUTH2", &prompts, &r.out, &r.outlen, &r.mech);
	CHECK(withheld_then_sent(&r, want, n),
	      "prompts: after the answers the 1,100-character token is withheld, then sent");
	sasl_dispose(&r.conn);

	set_app(USER, USER, t);
	start_service(&r, "pop", "XOAUTH2", fn_callbacks, NULL, NULL);
	rc = sasl_client_step(r.conn, "AUTH XOAUTH2", 12, NULL, &out, &outlen);
	CHECK(rc == SASL_CONTINUE && outlen == n && memcmp(out, want, n) == 0,
	      "data where the empty challenge belongs: the response is sent (rc %d)", rc);
	CHECK(find_log(SASL_LOG_DEBUG, "empty challenge was expected", NULL) != NULL &&
	      strstr(all_logs, "AUTH XOAUTH2") == NULL,
	      "... with a debug line that shows none of the data");
	sasl_dispose(&r.conn);
	free(t);
}

static void test_prompts(void)
{
	struct run r;
	sasl_interact_t *prompts = NULL;
	static const char want[] = "user=" USER "\001auth=Bearer " TOKEN "\001\001";
	static const char want_ob[] = "n,a=" USER ",\001host=mail.example.com\001port=143\001"
				      "auth=Bearer " TOKEN "\001\001";
	int n;

	start(&r, "XOAUTH2", prompt_callbacks, NULL, &prompts);
	CHECK(r.rc == SASL_INTERACT && prompts != NULL,
	      "prompts: XOAUTH2 asks the application through SASL_INTERACT (rc %d)", r.rc);
	n = prompts ? fill_prompts(prompts, USER, TOKEN) : -1;
	CHECK(n == 3, "prompts: user, authentication name and token are asked, each with a "
	      "prompt text (got %d)", n);
	r.rc = sasl_client_start(r.conn, "XOAUTH2", &prompts, &r.out, &r.outlen, &r.mech);
	CHECK(r.rc == SASL_CONTINUE && bytes_eq(&r, want, sizeof(want) - 1),
	      "prompts: after the answers XOAUTH2 sends the exact response (rc %d)", r.rc);
	sasl_dispose(&r.conn);

	prompts = NULL;
	start(&r, "OAUTHBEARER", prompt_callbacks, "127.0.0.1;143", &prompts);
	n = (r.rc == SASL_INTERACT && prompts) ? fill_prompts(prompts, USER, TOKEN) : -1;
	r.rc = sasl_client_start(r.conn, "OAUTHBEARER", &prompts, &r.out, &r.outlen, &r.mech);
	CHECK(n == 3 && r.rc == SASL_CONTINUE && bytes_eq(&r, want_ob, sizeof(want_ob) - 1),
	      "prompts: OAUTHBEARER after the answers sends the exact response (rc %d)", r.rc);
	sasl_dispose(&r.conn);

	/* Postfix never answers prompts: a callback that needs one must fail
	 * cleanly, not return SASL_INTERACT. */
	start(&r, "XOAUTH2", prompt_callbacks, NULL, NULL);
	CHECK(r.rc != SASL_OK && r.rc != SASL_INTERACT && r.rc != SASL_CONTINUE,
	      "prompts: with prompt_need NULL the start fails instead of prompting (rc %d)", r.rc);
	CHECK(find_log(SASL_LOG_WARN, "cannot answer them", NULL) != NULL,
	      "prompts: the failure is explained in a WARN line");
	sasl_dispose(&r.conn);
}

/* Starts `mech` expecting failure, one WARN line containing both needles,
 * and sasl_errdetail carrying the same reason. */
static void expect_failure(const char *what, const char *mech, const char *n1, const char *n2)
{
	struct run r;
	const char *detail;

	start(&r, mech, fn_callbacks, "127.0.0.1;993", NULL);
	CHECK(r.rc != SASL_OK && r.rc != SASL_CONTINUE && r.rc != SASL_INTERACT,
	      "%s: %s fails (rc %d)", what, mech, r.rc);
	CHECK(count_logs(SASL_LOG_WARN) == 1 && find_log(SASL_LOG_WARN, n1, n2) != NULL,
	      "%s: one WARN line containing \"%s\"%s%s%s", what, n1, n2 ? " and \"" : "",
	      n2 ? n2 : "", n2 ? "\"" : "");
	detail = sasl_errdetail(r.conn);
	CHECK(detail != NULL && strstr(detail, n1) != NULL, "%s: sasl_errdetail says why", what);
	sasl_dispose(&r.conn);
}

static void test_bad_inputs(void)
{
	const char *path;
	char *big;
	size_t i;

	path = write_token_file("expired.json",
				"{\"access_token\":\"" TOKEN "\",\"expires_at\":%lld}",
				(long long)time(NULL) - 120);
	set_app(USER, USER, path);
	expect_failure("expired token", "XOAUTH2", "expired at", path);
	expect_failure("expired token", "OAUTHBEARER", "expired at", path);
	/* A token a server rejected, in a file that cannot renew it: refused
	 * (oa2_token_acquire's one rule; the plugin used to send it again). */
	path = write_token_file("rejected-unrenewable.json",
				"{\"access_token\":\"" TOKEN "\",\"expires_at\":%lld,\"rejected_at\":%lld}",
				(long long)time(NULL) + 3600, (long long)time(NULL) - 5);
	set_app(USER, USER, path);
	expect_failure("rejected token, nothing to renew it with", "XOAUTH2",
		       "a server rejected the access token", path);

	big = malloc(70001);
	memset(big, ' ', 70000);
	memcpy(big, "{\"access_token\":\"x\"}", 20);
	path = write_file("oversize.json", big, 70000);
	set_app(USER, USER, path);
	expect_failure("oversize token file", "XOAUTH2", "more than the limit", path);

	memset(big, 'A', 70000);
	memcpy(big, "{\"access_token\":\"", 17);
	memcpy(big + 17 + 20000, "\"}", 3);
	path = write_file("longtoken.json", big, strlen(big));
	set_app(USER, USER, path);
	expect_failure("oversize access_token", "XOAUTH2", "\"access_token\" is 20000 bytes", path);

	memset(big, 'u', 400);
	big[400] = '\0';
	path = write_token_file("longuser.json", "{\"access_token\":\"t\",\"user\":\"%s\"}", big);
	set_app(USER, USER, path);
	expect_failure("oversize user in file", "OAUTHBEARER", "\"user\" is 400 bytes", path);

	set_app(big, NULL, TOKEN);
	expect_failure("oversize user from the application", "XOAUTH2",
		       "user name is 400 bytes", NULL);

	for (i = 0; i < 20000; i++)
		big[i] = 'T';
	big[20000] = '\0';
	set_app(USER, USER, big);
	expect_failure("oversize direct token", "XOAUTH2", "more than the limit", NULL);
	free(big);

	path = write_token_file("malformed.json", "{\"access_token\": \"" TOKEN "\",");
	set_app(USER, USER, path);
	expect_failure("malformed JSON", "XOAUTH2", "not valid JSON", path);

	path = write_token_file("trailing.json", "{\"access_token\":\"t\"} {}");
	set_app(USER, USER, path);
	expect_failure("trailing garbage", "XOAUTH2", "not valid JSON", path);

	path = write_token_file("noaccess.json", "{\"user\":\"x@example.com\"}");
	set_app(USER, USER, path);
	expect_failure("missing access_token", "XOAUTH2", "no \"access_token\"", path);

	path = write_token_file("wrongtype.json", "{\"access_token\":42}");
	set_app(USER, USER, path);
	expect_failure("access_token not a string", "XOAUTH2", "must be a string", path);

	path = write_token_file("ctl.json", "{\"access_token\":\"a\\u0001b\"}");
	set_app(USER, USER, path);
	expect_failure("control byte in access_token", "XOAUTH2", "control characters", path);

	path = write_file("empty.json", "", 0);
	set_app(USER, USER, path);
	expect_failure("empty token file", "XOAUTH2", "is empty", path);

	path = path_in_tmp("does-not-exist.json");
	set_app(USER, USER, path);
	/* in an existing directory it is a mistyped path, shown whole */
	expect_failure("missing token file", "XOAUTH2", "which does not exist", path);

	set_app(USER, USER, tmp_dir);
	expect_failure("token path is a directory", "XOAUTH2", "not a regular file", tmp_dir);

	set_app(USER, USER, "tok en");
	expect_failure("direct token with a space", "XOAUTH2", "does not look like an access token",
		       NULL);

	set_app(USER, USER, "");
	expect_failure("empty password", "XOAUTH2", "no token given", NULL);

	path = write_token_file("nouser.json", "{\"access_token\":\"t\"}");
	set_app(NULL, NULL, path);
	setenv("USER", "", 1); /* libsasl2 falls back to $USER for AUTHNAME */
	unsetenv("USERNAME");
	expect_failure("no user anywhere", "XOAUTH2", "no user name", NULL);
}

#define PASSWORD "hunter2-Passw0rd!"
#define SLASH_TOKEN "/SlAsHtOkEn0123456789abcdefXYZ"

/* libsasl2 may give XOAUTH2/OAUTHBEARER an ordinary password: it must never
 * be sent as "auth=Bearer <password>", nor logged (issue 9, section 3). */
static void test_password_not_sent(void)
{
	static const char *const mechs[] = { "XOAUTH2", "OAUTHBEARER" };
	static const char *const passwords[] = { PASSWORD, "short", "abcdefghij012345678" };
	struct run r;

	for (size_t m = 0; m < 2; m++)
		for (size_t i = 0; i < sizeof(passwords) / sizeof(passwords[0]); i++) {
			set_app(USER, USER, passwords[i]);
			start(&r, mechs[m], fn_callbacks, "127.0.0.1;587", NULL);
			CHECK(r.rc == SASL_BADPARAM && r.outlen == 0,
			      "password %zu: %s sends nothing (rc %d, %u bytes)", i, mechs[m], r.rc,
			      r.outlen);
			CHECK(count_logs(SASL_LOG_WARN) == 1 &&
			      find_log(SASL_LOG_WARN, "does not look like an access token",
				       "smtp_sasl_mechanism_filter") != NULL,
			      "password %zu: %s logs one WARN line that says why and how to "
			      "restrict the mechanisms", i, mechs[m]);
			CHECK(find_log(SASL_LOG_WARN, passwords[i], NULL) == NULL,
			      "password %zu: the line does not contain the password", i);
			sasl_dispose(&r.conn);
		}
	set_app(USER, USER, "abcdefghij0123456789");
	start(&r, "XOAUTH2", fn_callbacks, "127.0.0.1;587", NULL);
	CHECK((r.rc == SASL_OK || r.rc == SASL_CONTINUE) && r.outlen > 0,
	      "a 20-character b64token is sent as a token (rc %d)", r.rc);
	sasl_dispose(&r.conn);
}

/* A token that starts with '/' is taken for a path; when nothing is there,
 * the log shows only its first characters (issue 9, section 4). */
static void test_slash_token_not_logged(void)
{
	set_app(USER, USER, SLASH_TOKEN);
	expect_failure("token starting with /", "XOAUTH2", "no file at that path", "\"/SlA...\"");
	CHECK(strstr(all_logs, "SlAsHtOkEn") == NULL,
	      "token starting with /: no more than its first 4 characters are logged");
}

/* A real-sized token (2 KB) that starts with '/': ENAMETOOLONG, not a path
 * that exists; the log shows its first characters only (issue 16, 6). */
static void test_long_slash_token_not_logged(void)
{
	static char token[2049];

	token[0] = '/';
	for (size_t i = 1; i < sizeof(token) - 1; i++)
		token[i] = "SeCrEt0123456789-_.~+abcdefghijkXYZ"[i % 35];
	set_app(USER, USER, token);
	expect_failure("2 KB token starting with /", "XOAUTH2", "too long to be a path", "...\" (2048 characters)");
	CHECK(strstr(all_logs, "SeCrEt0123") == NULL && strstr(all_logs, "abcdefghijk") == NULL,
	      "2 KB token starting with /: no more than its first 4 characters are logged");
}

/* Starts mech on a connection whose application asks for `flags` and
 * reads at most `maxbufsize` bytes of a security layer at a time. */
static void start_with_props(struct run *r, const char *mech, unsigned flags,
			     unsigned maxbufsize)
{
	sasl_security_properties_t props;

	memset(&props, 0, sizeof(props));
	props.max_ssf = 256;
	props.maxbufsize = maxbufsize;
	props.security_flags = flags;
	memset(r, 0, sizeof(*r));
	reset_logs();
	r->rc = sasl_client_new("smtp", "mail.example.com", NULL, NULL, fn_callbacks, 0, &r->conn);
	if (r->rc == SASL_OK)
		r->rc = sasl_setprop(r->conn, SASL_SEC_PROPS, &props);
	if (r->rc == SASL_OK)
		r->rc = sasl_client_start(r->conn, mech, NULL, &r->out, &r->outlen, &r->mech);
}

static void start_with_flags(struct run *r, const char *mech, unsigned flags)
{
	start_with_props(r, mech, flags, 4096);
}

/* Checks what the application reads through sasl_getprop. The properties
 * are read before the checks: the order a call evaluates its arguments in
 * is unspecified. */
static void check_out_params(sasl_conn_t *conn, const char *what, unsigned want_maxoutbuf)
{
	const void *maxoutbuf = NULL, *ssf = NULL, *user = NULL, *authid = NULL;
	int rc_buf = sasl_getprop(conn, SASL_MAXOUTBUF, &maxoutbuf);
	int rc_ssf = sasl_getprop(conn, SASL_SSF, &ssf);
	int rc_user = sasl_getprop(conn, SASL_USERNAME, &user);
	int rc_authid = sasl_getprop(conn, SASL_AUTHUSER, &authid);
	unsigned got = rc_buf == SASL_OK && maxoutbuf ? *(const unsigned *)maxoutbuf : 0;

	CHECK(rc_buf == SASL_OK && got == want_maxoutbuf,
	      "%s: SASL_MAXOUTBUF is the application's buffer size %u (got %u)", what,
	      want_maxoutbuf, got);
	CHECK(rc_ssf == SASL_OK && ssf && *(const sasl_ssf_t *)ssf == 0,
	      "%s: SASL_SSF is 0 (no security layer)", what);
	CHECK(rc_user == SASL_OK && user && strcmp(user, USER) == 0,
	      "%s: SASL_USERNAME is the user", what);
	CHECK(rc_authid == SASL_OK && authid && strcmp(authid, USER) == 0,
	      "%s: SASL_AUTHUSER is the user", what);
}

/* Cyrus imclient (cyradm, Cyrus::IMAP) never steps again after the
 * server's OK and reads SASL_MAXOUTBUF then: every out parameter must be
 * final after the first step, though it returns SASL_CONTINUE (libsasl2
 * fills in maxoutbuf only after SASL_OK). With 0 imclient wrote zero
 * bytes forever. The 1,100-character token is withheld from the SMTP
 * AUTH line: the first step sends nothing, and is final all the same. */
static void test_out_params_after_first_step(void)
{
	static const char *const mechs[] = { "XOAUTH2", "OAUTHBEARER" };
	static const unsigned sizes[] = { 4096, 65536 };
	char what[160], *long_tok = long_token(1100);
	const char *out;
	unsigned outlen;
	struct run r;

	for (size_t k = 0; k < 2; k++) {
		set_app(USER, USER, k == 0 ? TOKEN : long_tok);
		for (size_t m = 0; m < 2; m++) {
			for (size_t i = 0; i < 2; i++) {
				start_with_props(&r, mechs[m], 0, sizes[i]);
				snprintf(what, sizeof(what), "%s, %s token, buffer %u, after the "
					 "first step", mechs[m], k == 0 ? "short" : "1,100-character",
					 sizes[i]);
				CHECK(r.rc == SASL_CONTINUE && (k == 0) == (r.out != NULL),
				      "%s: SASL_CONTINUE, the response %s (rc %d)", what,
				      k == 0 ? "on the AUTH line" : "withheld", r.rc);
				check_out_params(r.conn, what, sizes[i]);
				if (k == 1)
					CHECK(sasl_client_step(r.conn, "", 0, NULL, &out, &outlen) ==
					      SASL_CONTINUE && outlen > 1100,
					      "%s: the response after the empty challenge", what);
				CHECK(sasl_client_step(r.conn, NULL, 0, NULL, &out, &outlen) == SASL_OK,
				      "%s: the server's success step", what);
				snprintf(what, sizeof(what), "%s, %s token, buffer %u, after the "
					 "success step", mechs[m], k == 0 ? "short" : "1,100-character",
					 sizes[i]);
				check_out_params(r.conn, what, sizes[i]);
				sasl_dispose(&r.conn);
			}
		}
	}
	free(long_tok);
}

/* The flags decide where libsasl2 lets the mechanisms run: a bearer token
 * is a plaintext credential (NOPLAINTEXT not claimed), and it names a user
 * (NOANONYMOUS). */
static void test_security_flags(void)
{
	static const char *const mechs[] = { "XOAUTH2", "OAUTHBEARER" };
	struct run r;

	set_app(USER, USER, TOKEN);
	for (size_t m = 0; m < 2; m++) {
		start_with_flags(&r, mechs[m], SASL_SEC_NOPLAINTEXT | SASL_SEC_NOANONYMOUS);
		CHECK(r.rc == SASL_NOMECH,
		      "%s is not offered where the application asks for noplaintext (rc %d)",
		      mechs[m], r.rc);
		sasl_dispose(&r.conn);
		start_with_flags(&r, mechs[m], SASL_SEC_NOANONYMOUS);
		CHECK(r.rc == SASL_OK || r.rc == SASL_CONTINUE,
		      "%s is offered where the application asks for noanonymous (rc %d)",
		      mechs[m], r.rc);
		sasl_dispose(&r.conn);
	}
}

/* Root reads any file, so an unreadable file is tested as an unprivileged
 * user in a child process. */
static void test_unreadable_file(void)
{
	const char *path = write_token_file("unreadable.json", "{\"access_token\":\"t\"}");
	struct passwd *pw = getpwnam("nobody");
	pid_t pid;
	int status = 0;

	chmod(path, 0600);
	if (geteuid() != 0 || pw == NULL) {
		chmod(path, 0000);
		set_app(USER, USER, path);
		expect_failure("unreadable token file", "XOAUTH2", "Permission denied", path);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		tap_failed = 0; /* count only the child's own checks */
		if (setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
			_exit(3);
		set_app(USER, USER, path);
		expect_failure("unreadable token file", "XOAUTH2", "Permission denied", path);
		fflush(stdout);
		_exit(tap_failed ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "unreadable token file: the unprivileged child saw the right error");
}

int main(int argc, char **argv)
{
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PLUGIN_DIR TEMP_DIR\n", argv[0]);
		return 2;
	}
	plugin_dir = argv[1];
	tmp_dir = argv[2];
	/* log_level debug: the checks that a step logs nothing cover every level. */
	setenv("SASL_OAUTH2_CONF", write_file("sasl-oauth2.conf", "log_level = debug\n", 18), 1);
	rc = sasl_client_init(global_callbacks);
	if (!CHECK(rc == SASL_OK, "sasl_client_init with the build tree's plugin (rc %d)", rc))
		return 1;

	test_xoauth2_direct_token();
	test_oauthbearer_direct_token();
	test_oauthbearer_authzid();
	test_token_file();
	test_second_step();
	test_prompts();
	test_withheld_boundary();
	test_withheld_oauthbearer();
	test_withheld_exchange();
	test_withheld_prompts_and_data();
	test_bad_inputs();
	test_unreadable_file();
	test_password_not_sent();
	test_slash_token_not_logged();
	test_long_slash_token_not_logged();
	test_security_flags();
	test_out_params_after_first_step();

	{
		char *t = long_token(40);
		CHECK(strstr(all_logs, t) == NULL, "no provider-sized token appears in any log line");
		free(t);
	}
	CHECK(strstr(all_logs, TOKEN) == NULL && strstr(all_logs, "FileToken") == NULL &&
	      strstr(all_logs, "TTTTTTTT") == NULL && strstr(all_logs, "AAAAAAAA") == NULL &&
	      strstr(all_logs, PASSWORD) == NULL && strstr(all_logs, "hunter2") == NULL,
	      "no token appears in any log line");
	free(g_secret_buf);
	sasl_client_done();
	return tap_exit_code();
}
