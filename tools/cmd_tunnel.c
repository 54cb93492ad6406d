/*
 * sasl-oauth2 tunnel ACCOUNT [HOST [PORT]]: the connection command for
 * mail clients that cannot sign in with OAuth themselves (fetchmail's
 * plugin, mutt's tunnel, mbsync's Tunnel). See tunnel.h for the pieces.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmdutil.h"
#include "privsep.h"
#include "token_get.h"
#include "tunnel.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/provider.h"

#define TUNNEL_TIMEOUT_DEFAULT 30

struct opts {
	const char *account, *host, *port;
	int protocol;            /* 0 unset, 1 imap, 2 pop3 */
	int tls;                 /* 0 unset, 1 implicit, 2 starttls */
	const char *mech;
	int preauth;
	const char *ca_file;
	long timeout;
	int verbose;
	int help;
};

static int parse_choice(const char *opt, const char *v, const char *a, const char *b, int *out)
{
	if (strcasecmp(v, a) == 0)
		*out = 1;
	else if (strcasecmp(v, b) == 0)
		*out = 2;
	else
		return cli_usage_error(&cmd_tunnel, "%s takes %s or %s, not \"%s\"", opt, a, b, v);
	return CLI_OK;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "protocol", required_argument, NULL, 'P' },
		{ "tls", required_argument, NULL, 't' },
		{ "mech", required_argument, NULL, 'm' },
		{ "preauth", no_argument, NULL, 'p' },
		{ "ca-file", required_argument, NULL, 'C' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, mech = 0, rc = CLI_OK;

	memset(o, 0, sizeof(*o));
	o->timeout = TUNNEL_TIMEOUT_DEFAULT;
	opterr = 0;
	while (rc == CLI_OK && (c = getopt_long(argc, argv, ":hv", lo, NULL)) != -1) {
		switch (c) {
		case 'P': rc = parse_choice("--protocol", optarg, "imap", "pop3", &o->protocol); break;
		case 't': rc = parse_choice("--tls", optarg, "implicit", "starttls", &o->tls); break;
		case 'm':
			rc = parse_choice("--mech", optarg, "xoauth2", "oauthbearer", &mech);
			o->mech = mech == 1 ? "XOAUTH2" : "OAUTHBEARER";
			break;
		case 'p': o->preauth = 1; break;
		case 'C': o->ca_file = optarg; break;
		case 'T': rc = cli_parse_seconds(&cmd_tunnel, "--timeout", optarg, 600, &o->timeout);
			if (rc == CLI_OK && o->timeout == 0)
				rc = cli_usage_error(&cmd_tunnel, "--timeout takes 1-600 seconds");
			break;
		case 'v': o->verbose = 1; break;
		case 'h': o->help = 1; return CLI_OK;
		default: return cli_bad_option(&cmd_tunnel, c, argv);
		}
	}
	if (rc != CLI_OK)
		return rc;
	if (optind >= argc || argc - optind > 3)
		return cli_usage_error(&cmd_tunnel, optind >= argc ? "missing ACCOUNT"
				       : "give ACCOUNT [HOST [PORT]]");
	o->account = argv[optind];
	o->host = optind + 1 < argc ? argv[optind + 1] : NULL;
	o->port = optind + 2 < argc ? argv[optind + 2] : NULL;
	if (o->port != NULL && (strspn(o->port, "0123456789") != strlen(o->port) ||
				atoi(o->port) < 1 || atoi(o->port) > 65535))
		return cli_usage_error(&cmd_tunnel, "bad PORT \"%s\"", o->port);
	if (o->host != NULL && o->host[0] == '\0')
		return cli_usage_error(&cmd_tunnel, "empty HOST");
	if (o->preauth && o->protocol == 2)
		return cli_usage_error(&cmd_tunnel, "--preauth is for IMAP");
	return CLI_OK;
}

/* Protocol, port and TLS from one another: 993/995 mean TLS from the
 * start and 110/995 POP3; otherwise IMAP and STARTTLS. */
static void settle(struct opts *o, char *port, size_t n)
{
	int p = o->port != NULL ? atoi(o->port) : 0;

	if (o->protocol == 0)
		o->protocol = p == 110 || p == 995 ? 2 : 1;
	if (o->tls == 0)
		o->tls = p == 0 || p == 993 || p == 995 ? 1 : 2;
	if (o->port != NULL)
		snprintf(port, n, "%s", o->port);
	else
		snprintf(port, n, "%s", o->protocol == 2 ? (o->tls == 1 ? "995" : "110")
					: (o->tls == 1 ? "993" : "143"));
}

/* The provider's IMAP or POP3 host for the account (built-in providers
 * only: no network here), named by the file's "provider" or its token
 * endpoint; Microsoft's cloud comes from the endpoint. 0, or -1. */
static int provider_host(const struct cli *cli, struct json_object *obj,
			 const struct oa2_token *tok, int pop3, char *host, size_t n)
{
	struct oa2_provider_request rq;
	struct oa2_http_opts ho;
	struct oa2_provider p;
	struct oa2_err err;
	const char *name = NULL, *cloud = NULL;
	char tenant[256], ephost[256];
	const struct oa2_mail_server *srv;
	int rc = -1;

	if (obj != NULL)
		(void)oa2_json_get_string(obj, "provider", 64, &name, NULL, "", NULL);
	if (tok->token_endpoint != NULL &&
	    oa2_microsoft_endpoint_parts(tok->token_endpoint, tok->scope, tenant, sizeof(tenant),
					 &cloud) == 0) {
		name = "microsoft";
	} else if (name == NULL && tok->token_endpoint != NULL &&
		   cli_url_host(tok->token_endpoint, ephost, sizeof(ephost)) == 0 &&
		   strcmp(ephost, "oauth2.googleapis.com") == 0) {
		name = "google";
	}
	if (name == NULL || (strcmp(name, "microsoft") != 0 && strcmp(name, "google") != 0))
		return -1;
	memset(&rq, 0, sizeof(rq));
	memset(&ho, 0, sizeof(ho));
	rq.name = name;
	rq.cloud = cloud;
	if (oa2_provider_resolve(&cli->cfg, &rq, &ho, &p, &err) != OA2_OK)
		return -1;
	srv = pop3 ? &p.pop : &p.imap;
	if (srv->host != NULL) {
		snprintf(host, n, "%s", srv->host);
		rc = 0;
	}
	oa2_provider_clear(&p);
	return rc;
}

static int run_tunnel(struct cli *cli, struct opts *o, const struct account *acct)
{
	static struct tunnel t;
	struct json_object *obj = NULL;
	struct oa2_err err;
	char host[256], port[8];
	FILE *transcript;
	int rc;

	memset(&t, 0, sizeof(t));
	t.conn.fd = -1;
	t.account = o->account;
	t.path = acct->path;
	cli_account_label(acct, o->account, t.label, sizeof(t.label));
	t.cl.in = STDIN_FILENO;
	t.cl.out = STDOUT_FILENO;
	t.mech = o->mech;
	t.preauth = o->preauth;
	t.ca_file = o->ca_file;
	t.ca_blob = cli->cfg.ca_blob;
	t.ca_len = cli->cfg.ca_blob_len;
	settle(o, port, sizeof(port));
	t.pop3 = o->protocol == 2;
	t.starttls = o->tls == 2;
	t.port = port;

	rc = token_get(cli, acct, o->account, -1, &t.tok, &obj);
	if (rc == CLI_UNAVAILABLE || rc == CLI_NOACCOUNT) {
		/* Nothing will change until someone authorizes again: the client
		 * sees its ordinary login failure (fetchmail's notice), not a
		 * broken connection it would retry forever; with --preauth, a BYE
		 * greeting that says so. */
		if (snprintf(t.answer, sizeof(t.answer), "%ssasl-oauth2 has no valid token for "
			     "account %s; authorize it again: sasl-oauth2 authorize %s",
			     t.pop3 ? "[AUTH] " : "[AUTHENTICATIONFAILED] ", o->account,
			     t.label) >= (int)sizeof(t.answer))
			snprintf(t.answer, sizeof(t.answer), "%ssasl-oauth2 has no valid token",
				 t.pop3 ? "[AUTH] " : "[AUTHENTICATIONFAILED] ");
		rc = CLI_OK;
	} else if (rc != CLI_OK) {
		return rc;
	} else {
		t.have_token = 1;
	}
	if (o->host != NULL)
		snprintf(host, sizeof(host), "%s", o->host);
	else if (!t.have_token)
		snprintf(host, sizeof(host), "the mail server");
	else if (provider_host(cli, obj, &t.tok, t.pop3, host, sizeof(host)) != 0)
		rc = cli_usage_error(&cmd_tunnel, "give HOST: the account's provider has no known "
				     "%s server", t.pop3 ? "POP3" : "IMAP");
	oa2_json_put_wiped(obj);
	t.host = host;
	if (rc == CLI_OK && t.preauth && t.tok.user == NULL && t.have_token)
		rc = cli_usage_error(&cmd_tunnel, "--preauth needs the token file's \"user\"");
	if (rc != CLI_OK) {
		oa2_token_clear(&t.tok);
		return rc;
	}
	transcript = o->verbose ? stderr : fopen("/dev/null", "we");
	if (transcript == NULL) {
		cli_error("tunnel: cannot open /dev/null");
		oa2_token_clear(&t.tok);
		return CLI_SOFTWARE;
	}
	if (t.have_token) {
		rc = mailconn_open(&t.conn, host, port, (int)o->timeout, transcript, &err);
		if (rc == OA2_OK && !t.starttls)
			rc = mailconn_tls(&t.conn, t.ca_file, t.ca_blob, t.ca_len, &err);
		if (rc != OA2_OK) {
			cli_error("tunnel: %s port %s: %s", host, port, err.msg);
			rc = rc == OA2_ERR_NET ? CLI_TEMPFAIL : rc == OA2_ERR_CONFIG ? CLI_CONFIG
				: CLI_FAIL;
			goto out;
		}
	}
	rc = t.pop3 ? tun_pop3(&t) : tun_imap(&t);
out:
	oa2_token_clear(&t.tok);
	mailconn_close(&t.conn);
	if (transcript != stderr)
		fclose(transcript);
	return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct account acct;
	struct opts o;
	int rc;

	rc = parse(argc, argv, &o);
	if (rc != CLI_OK || o.help)
		return o.help ? cli_help(&cmd_tunnel) : rc;
	rc = cli_resolve(cli, o.account, 0, &acct);
	if (rc != CLI_OK)
		return rc;
	/* A client that hangs up is an end, not a signal to die of. */
	signal(SIGPIPE, SIG_IGN);
	/* The token file is read and refreshed as its owner; root never works
	 * in another user's directory (privsep.h). */
	if ((rc = privsep_become_owner(&acct, "tunnel")) != CLI_OK)
		return rc;
	return run_tunnel(cli, &o, &acct);
}

const struct cli_command cmd_tunnel = {
	.name = "tunnel",
	.summary = "connect a mail client, signed in with the token (fetchmail plugin)",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 tunnel ACCOUNT [HOST [PORT]] [--protocol imap|pop3]\n"
	"                          [--tls implicit|starttls] [--mech xoauth2|oauthbearer]\n"
	"                          [--preauth] [--ca-file FILE] [--timeout SECS] [--verbose]\n"
	"\n"
	"A connection command for mail programs that cannot sign in with OAuth 2.0\n"
	"themselves but can run a command and speak IMAP or POP3 over its standard\n"
	"input and output:\n"
	"  fetchmail   plugin \"sasl-oauth2 tunnel ACCOUNT %h %p\"  (with auth password,\n"
	"              any password, and sslproto '')\n"
	"  mutt        set tunnel = \"sasl-oauth2 tunnel ACCOUNT\"\n"
	"  mbsync      Tunnel \"sasl-oauth2 tunnel ACCOUNT\"\n"
	"\n"
	"It connects to HOST over TLS (verifying the certificate and the host name\n"
	"against the system's CAs, the configuration's ca_bundle, or --ca-file),\n"
	"greets the client as the server would, and answers the client's own login\n"
	"(IMAP LOGIN or AUTHENTICATE PLAIN; POP3 USER/PASS or AUTH PLAIN; the password\n"
	"is ignored) by signing in to the server with XOAUTH2 or OAUTHBEARER and the\n"
	"account's access token, refreshed first when it needs it. The server's\n"
	"refusal is the client's ordinary login failure, plus one line here on\n"
	"standard error. After the sign-in every byte passes unchanged both ways until\n"
	"either side hangs up. The capabilities the client sees leave out STARTTLS\n"
	"and LOGINDISABLED and offer the tunnel's logins. It never listens on a\n"
	"socket; the token never leaves the process except to the server.\n"
	"\n"
	"HOST and PORT default to the account's provider: Microsoft 365 and\n"
	"Outlook.com outlook.office365.com (per cloud: outlook.office365.us,\n"
	"outlook-dod.office365.us, partner.outlook.cn), Gmail imap.gmail.com and\n"
	"pop.gmail.com; ports 993 (IMAP) and 995 (POP3).\n"
	"\n"
	"Options:\n"
	"  --protocol P        imap or pop3 (default: pop3 for ports 110 and 995, else\n"
	"                      imap)\n"
	"  --tls MODE          implicit (TLS from the start; default for 993 and 995)\n"
	"                      or starttls (default for other ports); a server that\n"
	"                      does not offer STARTTLS is refused, never used in clear\n"
	"  --mech MECH         xoauth2 or oauthbearer (default: what the server\n"
	"                      offers, XOAUTH2 first)\n"
	"  --preauth           IMAP: sign in before the greeting and greet with PREAUTH\n"
	"                      (for clients that then skip their login, e.g. mutt,\n"
	"                      mbsync, offlineimap's preauthtunnel)\n"
	"  --ca-file FILE      trust the CAs in FILE for the mail server\n"
	"  --timeout SECS      for connecting and each read or write before the\n"
	"                      sign-in (default 30)\n"
	"  -v, --verbose       show the exchange with the server up to the sign-in on\n"
	"                      standard error (the token redacted)\n"
	"  -h, --help          this help\n"
	"\n"
	"Exit status: 0 the session ended; 1 the server refused the token or the\n"
	"connection (certificate, no STARTTLS); 2 bad command line; 67 no such\n"
	"account; 69 no valid token and none can be had (authorize again);\n"
	"75 the server or the token endpoint could not be reached; others as for\n"
	"`sasl-oauth2 token`.\n",
};
