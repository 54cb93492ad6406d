/* sasl-oauth2 test: a real IMAP or SMTP login with an account's token. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "account.h"
#include "cli.h"
#include "cmdutil.h"
#include "mailtest.h"
#include "privsep.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/jwt.h"
#include "sasl-oauth2/token_acquire.h"

#define TEST_TIMEOUT_DEFAULT 15

struct test_opts {
	const char *server;      /* HOST[:PORT] */
	int smtp;
	int tls;                 /* 1: TLS at once; 2: STARTTLS */
	const char *mech;
	int for_postfix;
	const char *ca_file;
	const char *user;
	long timeout;
};

/* HOST, [V6]:PORT, HOST:PORT, or a bare IPv6 address. */
static int split_server(const char *arg, char *host, size_t hn, char *port, size_t pn,
			const char *dflt)
{
	const char *colon = strrchr(arg, ':');

	if (arg[0] == '[') {
		const char *end = strchr(arg, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':') || end == arg + 1)
			return -1;
		snprintf(host, hn, "%.*s", (int)(end - arg - 1), arg + 1);
		snprintf(port, pn, "%s", end[1] == ':' ? end + 2 : dflt);
	} else if (colon != NULL && strchr(arg, ':') == colon) {
		snprintf(host, hn, "%.*s", (int)(colon - arg), arg);
		snprintf(port, pn, "%s", colon + 1);
	} else {
		snprintf(host, hn, "%s", arg);
		snprintf(port, pn, "%s", dflt);
	}
	if (host[0] == '\0' || port[0] == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    atoi(port) < 1 || atoi(port) > 65535)
		return -1;
	return 0;
}

static void format_when(long long t, long long now, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char when[40], span[32];

	if (gmtime_r(&tt, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC",
						   &tm) == 0)
		snprintf(when, sizeof(when), "%lld", t);
	cli_format_duration(t - now, span, sizeof(span));
	snprintf(buf, n, "%s (%s %s%s)", when, t >= now ? "in" : "expired", span,
		 t >= now ? "" : " ago");
}

/* The claims of a JWT access token that say whom and what it is for. Only
 * the payload is decoded (no signature check: this is a display); the
 * token itself is never printed. */
static void show_claims(const char *token, const char *user, const char *signed_in_as,
			long long now)
{
	static const char *const claims[] = {
		"aud", "scp", "scope", "upn", "unique_name", "email", "preferred_username", "sub",
		"iss", "exp",
	};
	static const char *const who[] = { "upn", "unique_name", "email", "preferred_username" };
	struct json_object *obj, *v;
	struct oa2_err err;
	char shown[512], when[96];
	int named = 0, matches = 0, delegate = 0;

	if (strncmp(token, "eyJ", 3) != 0 || strchr(token, '.') == NULL)
		return;
	if (oa2_jwt_payload(token, &obj, &err) != OA2_OK) {
		cli_say("* the access token looks like a JWT but its claims cannot be read");
		return;
	}
	cli_say("* the access token is a JWT; its claims (signature not checked):");
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		const char *s;

		if (!json_object_object_get_ex(obj, claims[i], &v) || v == NULL)
			continue;
		if (strcmp(claims[i], "exp") == 0 && json_object_is_type(v, json_type_int)) {
			format_when((long long)json_object_get_int64(v), now, when, sizeof(when));
			cli_say("*   exp: %s", when);
			continue;
		}
		s = json_object_is_type(v, json_type_string) ? json_object_get_string(v)
			: json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		oa2_printable(s, strlen(s), shown, sizeof(shown));
		cli_say("*   %s: %s", claims[i], shown);
	}
	for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++)
		if (json_object_object_get_ex(obj, who[i], &v) &&
		    json_object_is_type(v, json_type_string)) {
			named++;
			if (strcasecmp(json_object_get_string(v), user) == 0)
				matches++;
			if (signed_in_as != NULL &&
			    strcasecmp(json_object_get_string(v), signed_in_as) == 0)
				delegate++;
		}
	if (named > 0 && matches == 0 && delegate > 0)
		cli_say("* the token is %s's, used for the shared mailbox %s (authorize "
		        "--shared-mailbox): %s needs Full Access to it, and Send As to send as it",
		        signed_in_as, user, signed_in_as);
	else if (named > 0 && matches == 0)
		cli_say("* note: the token names another user than %s: servers refuse that, or "
		        "(Microsoft) accept the login and fail afterwards", user);
	oa2_json_put_wiped(obj);
}

/* The token file could not be read: no account, or what is wrong with it. */
static int read_failed(struct cli *cli, const struct account *acct, const char *arg, int rc,
		       const struct oa2_err *err)
{
	char msg[OA2_ERR_MSG_MAX];

	if (rc == OA2_ERR_IO && access(acct->path, F_OK) != 0) {
		cli_no_account_msg(&cli->cfg, acct, arg, msg, sizeof(msg));
		cli_error("test: %s", msg);
		return CLI_NOACCOUNT;
	}
	cli_error("test: %s", err->msg);
	return cli_exit_for(rc);
}

/* A token the file cannot renew, and no server would take. */
static int not_renewable(const struct account *acct, const struct oa2_acquire_info *info)
{
	char when[96];

	if (info->expires_at != 0 && info->expires_at <= info->now) {
		format_when(info->expires_at, info->now, when, sizeof(when));
		cli_error("test: the access token expired at %s and the token file has nothing to "
			  "refresh it with; authorize again with: sasl-oauth2 authorize %s%s", when,
			  acct->name, acct->for_postfix ? " --for postfix" : "");
	} else {
		cli_error("test: a server rejected the access token and the token file has nothing "
			  "to refresh it with; authorize again with: sasl-oauth2 authorize %s%s",
			  acct->name, acct->for_postfix ? " --for postfix" : "");
	}
	return CLI_UNAVAILABLE;
}

/* The account's access token, refreshed first when it needs it
 * (oa2_token_acquire decides, as for the plugin; this tells the story). */
static int get_token(struct cli *cli, const struct account *acct, const char *arg,
		     struct oa2_token *tok)
{
	struct oa2_acquire_req req = { 0 };
	struct oa2_acquire_info info;
	struct oa2_err err;
	char account[PATH_MAX + 32];
	int rc;

	/* the ACCOUNT to name in re-authorize advice */
	snprintf(account, sizeof(account), "%s%s", acct->for_postfix ? "--for postfix " : "",
		 strchr(arg, '/') != NULL ? arg : acct->name);
	req.account = account;
	req.min_valid = -1;
	req.cfg_err = cli->cfg_rc != OA2_OK ? &cli->cfg_err : NULL;
	rc = oa2_token_acquire(acct->path, &cli->cfg, &req, tok, &info, &err);
	if (info.stop == OA2_ACQUIRE_READ)
		return read_failed(cli, acct, arg, rc, &err);
	cli_say("* account %s: token file %s", acct->name, acct->path);
	if (info.stop == OA2_ACQUIRE_NO_GRANT)
		return rc == OA2_OK ? CLI_OK : not_renewable(acct, &info);
	if (info.stop == OA2_ACQUIRE_NO_CONFIG && rc != OA2_OK) {
		cli_error("%s", err.msg);
		return CLI_CONFIG;
	}
	if (info.stop == OA2_ACQUIRE_NO_CONFIG) {
		cli_say("* the access token is due for a refresh, but the configuration is wrong "
			"(%s); using the current token, still valid", info.why.msg);
		return CLI_OK;
	}
	if (info.outcome != OA2_ACQUIRE_CURRENT || rc != OA2_OK)
		cli_say("* the access token %s: refreshing it first",
			"expires within the refresh margin or was rejected");
	if (rc != OA2_OK) {
		cli_error("test: %s", err.msg);
		return cli_exit_for(rc);
	}
	if (info.outcome == OA2_ACQUIRE_KEPT)
		cli_say("* the refresh failed; using the current token, still valid: %s",
			info.why.msg);
	else if (info.outcome == OA2_ACQUIRE_UNSAVED)
		cli_say("* refreshed, but the new token could not be saved (%s); using it anyway",
			info.why.msg);
	return CLI_OK;
}

/* The verdict, once: stdout for success, stderr for the failure. */
static int report(const struct test_opts *o, const struct mail_login *l, const char *host,
		  const char *port, int rc, const struct oa2_err *err, const struct mail_result *r)
{
	const char *proto = o->smtp ? "SMTP" : "IMAP";

	if (rc != OA2_OK) {
		cli_error("test: %s %s port %s: %s", proto, host, port, err->msg);
		return rc == OA2_ERR_NET ? CLI_TEMPFAIL : rc == OA2_ERR_CONFIG ? CLI_CONFIG :
		       rc == OA2_ERR_NOMEM ? CLI_SOFTWARE : CLI_FAIL;
	}
	if (!r->authenticated) {
		char advice[768] = "";

		if (r->have_error)
			oa2_server_error_advice(&r->error, advice, sizeof(advice));
		cli_error("test: %s %s rejected the login as %s with %s (it answered \"%s\")%s%s",
			  proto, host, l->user, l->mech, r->server_text[0] ? r->server_text : "",
			  advice[0] ? "; its error challenge says " : "", advice);
		return CLI_FAIL;
	}
	if (!r->after_ok) {
		cli_error("test: %s %s accepted the login as %s, but then refused %s (\"%s\"): the "
			  "token may belong to another mailbox than %s (Microsoft 365 accepts such "
			  "logins and fails afterwards), or the mailbox is not enabled for %s",
			  proto, host, l->user, r->after_cmd, r->server_text, l->user,
			  o->smtp ? "SMTP AUTH" : "IMAP");
		return CLI_FAIL;
	}
	cli_say("* OK: logged in to %s port %s as %s with %s%s; %s works", host, port, l->user,
	        l->mech, o->tls == 1 ? " over TLS" : o->tls == 2 ? " after STARTTLS" : "",
	        r->after_cmd);
	return CLI_OK;
}

static int run_test(struct cli *cli, const struct test_opts *o, const struct account *acct,
		    const char *arg)
{
	struct oa2_token tok;
	struct mail_login l;
	struct mail_result r;
	struct mailconn c;
	struct oa2_err err;
	char host[256], port[8], when[96], head[8];
	long long now;
	int rc;

	memset(&tok, 0, sizeof(tok));
	if (split_server(o->server, host, sizeof(host), port, sizeof(port),
			 o->smtp ? (o->tls == 1 ? "465" : "587") : (o->tls == 1 ? "993" : "143")) != 0)
		return cli_usage_error(&cmd_test, "bad server \"%s\": use HOST, HOST:PORT or "
				       "[IPV6]:PORT", o->server);
	if ((rc = get_token(cli, acct, arg, &tok)) != CLI_OK) {
		oa2_token_clear(&tok);
		return rc;
	}
	memset(&l, 0, sizeof(l));
	l.mech = o->mech;
	l.user = o->user != NULL ? o->user : tok.user;
	if (l.user == NULL) {
		oa2_token_clear(&tok);
		return cli_usage_error(&cmd_test, "the token file names no user: give --user "
				       "MAILBOX");
	}
	l.token = tok.access_token;
	l.host = host;
	l.port = port;
	l.starttls = o->tls == 2;
	l.ca_file = o->ca_file;
	l.ca_blob = cli->cfg.ca_blob;
	l.ca_len = cli->cfg.ca_blob_len;

	now = (long long)time(NULL);
	snprintf(head, sizeof(head), "%.6s", tok.access_token);
	if (tok.expires_at != 0)
		format_when(tok.expires_at, now, when, sizeof(when));
	cli_say("* user %s; access token %s... (%zu bytes), expires %s", l.user, head,
	        strlen(tok.access_token), tok.expires_at != 0 ? when : "(not recorded)");
	show_claims(tok.access_token, l.user, tok.signed_in_as, now);

	memset(&r, 0, sizeof(r));
	rc = mailconn_open(&c, host, port, (int)o->timeout, stdout, &err);
	if (rc == OA2_OK && o->tls == 0 && !c.loopback)
		/* A bearer token in the clear is anyone's on the way. */
		rc = oa2_err_set(&err, OA2_ERR_UNSAFE, "refusing to send a token unencrypted to "
				 "a host that is not on loopback: use --starttls or --tls");
	if (rc == OA2_OK && o->tls == 1)
		rc = mailconn_tls(&c, l.ca_file, l.ca_blob, l.ca_len, &err);
	if (rc == OA2_OK)
		rc = o->smtp ? mail_test_smtp(&c, &l, &r, &err) : mail_test_imap(&c, &l, &r, &err);
	mailconn_close(&c);
	rc = report(o, &l, host, port, rc, &err, &r);
	oa2_token_clear(&tok); /* l.user may point into it */
	return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "imap", required_argument, NULL, 'I' },
		{ "smtp", required_argument, NULL, 'S' },
		{ "starttls", no_argument, NULL, 's' },
		{ "tls", no_argument, NULL, 't' },
		{ "mech", required_argument, NULL, 'm' },
		{ "for", required_argument, NULL, 'F' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "user", required_argument, NULL, 'u' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct test_opts o = { .mech = "XOAUTH2", .timeout = TEST_TIMEOUT_DEFAULT };
	struct account acct;
	struct oa2_err err;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'I':
		case 'S':
			if (o.server != NULL)
				return cli_usage_error(&cmd_test, "give one of --imap and --smtp");
			o.server = optarg;
			o.smtp = c == 'S';
			break;
		case 's':
		case 't':
			if (o.tls != 0)
				return cli_usage_error(&cmd_test, "give one of --tls and --starttls");
			o.tls = c == 't' ? 1 : 2;
			break;
		case 'm':
			if (strcasecmp(optarg, "xoauth2") == 0)
				o.mech = "XOAUTH2";
			else if (strcasecmp(optarg, "oauthbearer") == 0)
				o.mech = "OAUTHBEARER";
			else
				return cli_usage_error(&cmd_test, "--mech takes xoauth2 or oauthbearer");
			break;
		case 'F':
			if (strcmp(optarg, "postfix") != 0)
				return cli_usage_error(&cmd_test, "--for takes \"postfix\"");
			o.for_postfix = 1;
			break;
		case 'C': o.ca_file = optarg; break;
		case 'u': o.user = optarg; break;
		case 'T':
			o.timeout = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || o.timeout < 1 || o.timeout > 600)
				return cli_usage_error(&cmd_test, "--timeout takes seconds, 1-600");
			break;
		case 'h': return cli_help(&cmd_test);
		default: return cli_bad_option(&cmd_test, c, argv);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cmd_test, "give exactly one ACCOUNT");
	if (o.server == NULL)
		return cli_usage_error(&cmd_test, "give --imap HOST[:PORT] or --smtp HOST[:PORT]");
	if (account_resolve(argv[optind], o.for_postfix, &cli->cfg, &acct, &err) != OA2_OK) {
		cli_error("test: %s", err.msg);
		return CLI_USAGE;
	}
	/* The test reads (and may refresh) the token file as its owner: a
	 * refresh leaves Postfix's files postfix's, and root never works in
	 * another user's directory. */
	if ((c = privsep_become_owner(&acct, "test")) != CLI_OK)
		return c;
	return run_test(cli, &o, &acct, argv[optind]);
}

const struct cli_command cmd_test = {
	.name = "test",
	.summary = "log in to an IMAP or SMTP server with an account's token",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 test ACCOUNT (--imap HOST[:PORT] | --smtp HOST[:PORT])\n"
	"                        [--starttls | --tls] [--mech xoauth2|oauthbearer]\n"
	"                        [--for postfix] [--ca-file FILE] [--user MAILBOX]\n"
	"                        [--timeout SECS]\n"
	"\n"
	"Logs in for real with the account's access token (refreshed first when it\n"
	"expires within the refresh margin) and shows the exchange line by line,\n"
	"\"C:\" for what is sent and \"S:\" for what the server answers. The token is\n"
	"never shown: the login line reads <redacted: XOAUTH2 for USER, token abc123...>.\n"
	"When the access token is a JWT, its aud, scp/scope, user and exp claims are\n"
	"shown (decoded, not verified).\n"
	"\n"
	"IMAP: CAPABILITY, AUTHENTICATE (with the initial response on the command line\n"
	"when the server offers SASL-IR), then EXAMINE INBOX, because Microsoft 365 may\n"
	"accept a token for another mailbox and fail only there. SMTP: EHLO, AUTH, then\n"
	"MAIL FROM:<USER> and RSET. An error challenge from the server is decoded and\n"
	"answered as the mechanism requires (empty for XOAUTH2, 0x01 for OAUTHBEARER).\n"
	"\n"
	"Options:\n"
	"  --imap HOST[:PORT]  IMAP server; port 143, or 993 with --tls\n"
	"  --smtp HOST[:PORT]  SMTP submission server; port 587, or 465 with --tls\n"
	"  --starttls          upgrade to TLS with STARTTLS before logging in\n"
	"  --tls               TLS from the start (implicit TLS)\n"
	"                      (neither: plain text, refused unless the server is on\n"
	"                      loopback)\n"
	"  --mech MECH         xoauth2 (default) or oauthbearer\n"
	"  --for postfix       ACCOUNT is one of Postfix's (CHROOT/etc/sasl-oauth2)\n"
	"  --ca-file FILE      trust the CAs in FILE (default: ca_bundle from the config)\n"
	"  --user MAILBOX      log in as MAILBOX (default: the token file's \"user\")\n"
	"  --timeout SECS      for connecting and for each read or write (default 15)\n"
	"  -h, --help          this help\n"
	"\n"
	"TLS always verifies the certificate and that it is for HOST.\n"
	"\n"
	"Exit status: 0 the login and the command after it worked; 1 the server\n"
	"refused (the message says what it answered); 75 the server could not be\n"
	"reached or timed out; 69 the token could not be refreshed (authorize again);\n"
	"67 no such account; 2 bad usage.\n",
};
