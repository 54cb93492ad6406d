/* sasl-oauth2 authorize: sign in once and write the account's token file. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/jwt.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/token.h"

#include "authorize.h"
#include "cmdutil.h"
#include "privsep.h"
#include "browser_open.h"

static const char usage[] =
"Usage: sasl-oauth2 authorize ACCOUNT --provider PROVIDER [OPTIONS]\n"
"       sasl-oauth2 authorize ACCOUNT [OPTIONS]   (an account that exists)\n"
"\n"
"Signs in to the provider once (OAuth 2.0 authorization code with PKCE, or the\n"
"device flow) and writes ACCOUNT's token file, which the SASL plugin and\n"
"'sasl-oauth2 token' keep fresh from then on. The token file is written only\n"
"once the new tokens are in hand: an existing file stays as it was until then,\n"
"and whenever anything fails.\n"
"\n"
"For an ACCOUNT that exists, every option left out is taken from its token\n"
"file: provider, tenant and cloud, services, user, client id and secret, and\n"
"Postfix's placement (a NAME found only among Postfix's accounts is written\n"
"there again). So 'sasl-oauth2 authorize ACCOUNT', which the plugin and the\n"
"other commands print when a refresh token has died, signs in again as before.\n"
"\n"
"ACCOUNT is a name (the file NAME.json in your state directory: $SASL_OAUTH2_STATE_DIR,\n"
"else $XDG_STATE_HOME/sasl-oauth2 or ~/.local/state/sasl-oauth2; for root\n"
"/var/lib/sasl-oauth2) or a token file path.\n"
"\n"
"Options:\n"
"  -p, --provider P       microsoft, google, or a provider.P.* section of the\n"
"                         configuration file (explicit endpoints, or an issuer\n"
"                         whose OpenID discovery document gives them)\n"
"      --tenant T         microsoft: common (default), organizations, consumers,\n"
"                         or your tenant id or domain\n"
"      --cloud C          microsoft: worldwide (default, also for GCC), gcc-high\n"
"                         (alias us), dod or china (21Vianet); see\n"
"                         sasl-oauth2(7) for their sign-in and mail hosts\n"
"      --services LIST    what the token is for, comma-separated: imap, smtp, pop\n"
"                         (default imap,smtp); sets Microsoft's scopes and the\n"
"                         next steps printed at the end\n"
"  -u, --user EMAIL       the mailbox; also sent to the provider as login_hint.\n"
"                         Default: the email (or preferred_username) claim of the\n"
"                         id_token the provider returns (openid email is added to\n"
"                         the scope for that)\n"
"      --shared-mailbox ADDRESS\n"
"                         log in to the shared mailbox ADDRESS with the signed-in\n"
"                         account's token (Microsoft 365: the account needs Full\n"
"                         Access to it; sending as it, Send As): ADDRESS becomes\n"
"                         the token file's user, the account its signed_in_as\n"
"      --client-id ID     the OAuth client (app registration) id; default the\n"
"                         provider's client_id in the configuration file\n"
"      --client-secret-file F\n"
"                         read the client secret from the first line of F.\n"
"                         Otherwise it comes from $SASL_OAUTH2_CLIENT_SECRET, the\n"
"                         configuration file, or (google, on a terminal) a prompt;\n"
"                         never from the command line. Public clients have none\n"
"      --flow F           browser: open a browser here and catch its redirect on\n"
"                           http://localhost:PORT/ (microsoft) or\n"
"                           http://127.0.0.1:PORT/ (default when $DISPLAY,\n"
"                           $WAYLAND_DISPLAY or $BROWSER is set)\n"
"                         device: show a code to enter on any device (default\n"
"                           otherwise, when the provider has a device flow)\n"
"                         manual: open the URL anywhere, paste back the address\n"
"                           the browser ends on (default otherwise)\n"
"      --port N           the redirect port (browser: default a free one;\n"
"                         manual: default 8087). Register http://localhost\n"
"                         (microsoft) or http://127.0.0.1 as a redirect URI of\n"
"                         the app: providers accept any port on it\n"
"      --timeout SECONDS  how long to wait for the sign-in (browser: default 300;\n"
"                         device: until the code expires; manual: no limit)\n"
"      --for postfix      write the file for Postfix's smtp client: in\n"
"                         CHROOT/etc/sasl-oauth2 (chroot_dir, default\n"
"                         /var/spool/postfix), owned by the postfix user, mode 0600\n"
"                         (needs root)\n"
"      --no-open          do not start a browser; only print the URL\n"
"  -h, --help             this help\n"
"\n"
"The browser is $BROWSER (the first command of the ':'-separated list that\n"
"exists) or xdg-open, started with the URL as its only argument. The URL is\n"
"always printed on stderr too. The redirect listener answers only on\n"
"127.0.0.1 (and ::1 for http://localhost; provider.NAME.redirect_host in\n"
"sasl-oauth2.conf(5) picks the host), takes the first answer carrying this\n"
"sign-in's state and refuses everything after it. Requests with another state\n"
"(a stale tab, another local user) get an error page and are ignored.\n"
"\n"
"On success the token file holds version, provider, user, client_id,\n"
"client_secret (if any), token_endpoint, revocation_endpoint (if known), scope,\n"
"access_token, expires_at, refresh_token and authorized_at (see sasl-oauth2(7)),\n"
"and the next steps for Postfix, mbsync, neomutt/mutt and msmtp are printed.\n"
"\n"
"App-only accounts (no one signs in; the recommended setup for relays):\n"
"  sasl-oauth2 authorize ACCOUNT --app --tenant T --client-id ID --user MAILBOX\n"
"        (--client-secret-file F | --certificate F --private-key F)\n"
"  sasl-oauth2 authorize ACCOUNT --service-account KEYFILE --user MAILBOX\n"
"      --app              Microsoft 365: the client credentials grant, app\n"
"                         permissions SMTP.SendAsApp, IMAP.AccessAsApp,\n"
"                         POP.AccessAsApp; scope: the cloud's Exchange Online\n"
"                         resource + /.default (https://outlook.office365.com/.default;\n"
"                         --cloud gcc-high, dod, china: their own)\n"
"      --tenant T         required with --app: the tenant id (a GUID) or a domain;\n"
"                         common, organizations and consumers do not work\n"
"      --certificate F, --private-key F\n"
"                         a certificate uploaded to the app registration and its\n"
"                         unencrypted RSA key (mode 0600): the client signs a JWT\n"
"                         assertion (make both with 'sasl-oauth2 keygen')\n"
"      --assertion-alg A  the assertion's algorithm: RS256 (default) or PS256\n"
"      --client-secret-file F\n"
"                         or a client secret in F (first line, mode 0600)\n"
"      --service-account KEYFILE\n"
"                         Google Workspace: the service account's JSON key (mode\n"
"                         0600), authorized for https://mail.google.com/ under\n"
"                         domain-wide delegation; the JWT bearer grant\n"
"      -u, --user MAILBOX required: the mailbox the tokens act for\n"
"      --scope S          another scope; -p, --provider P another token endpoint (a\n"
"                         provider.P.* section); --cloud, --services, --for as above\n"
"  Credential files are read, by the path stored in the token file, whenever a\n"
"  token is renewed; they are never copied. The first token is fetched before the\n"
"  file is written, then the Exchange Online PowerShell lines (with the ids\n"
"  filled in) or the Workspace delegation step are printed.\n"
"\n"
"Exit status:\n"
"   0  authorized, token file written\n"
"   1  the sign-in failed: state mismatch, port in use, ... (the message says)\n"
"   2  bad command line, unknown provider, --flow device with a provider\n"
"      that has no device flow, no --provider for an account that does not exist\n"
"  65  what was pasted in the manual flow is empty or not an address or\n"
"      code, or the provider's answer is malformed\n"
"  69  the user or the provider refused: access denied, wrong client secret, ...\n"
"  70  internal error (out of memory)\n"
"  74  the token file or its directory cannot be written\n"
"  75  no answer in time, network trouble, provider busy: try again\n"
"  77  --for postfix without root\n"
"  78  the configuration file is wrong (or its CA bundle unreadable)\n";

struct opts {
	struct authorize_common_opts c;
	const char *flow, *shared;
	int port;
	long timeout;
	int timeout_given, no_open;
};

static int number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* A word without spaces or control characters, at most max bytes. */
static int plain_word(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && oa2_chars_visible(s, n);
}

/* Returns -1 to go on, else the exit code. */
static int parse(int argc, char **argv, struct opts *o)
{
	enum { O_FLOW = AUTHORIZE_O_OWN, O_PORT, O_TIMEOUT, O_NO_OPEN, O_SHARED };
	static const struct option lopts[] = {
		AUTHORIZE_COMMON_LOPTS,
		{ "flow", required_argument, NULL, O_FLOW },
		{ "port", required_argument, NULL, O_PORT },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "no-open", no_argument, NULL, O_NO_OPEN },
		{ "shared-mailbox", required_argument, NULL, O_SHARED },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->port = -1;
	o->timeout = AUTHORIZE_TIMEOUT_DEFAULT;
	while ((c = getopt_long(argc, argv, ":p:u:h", lopts, NULL)) != -1) {
		if (authorize_common_opt(c, optarg, &o->c))
			continue;
		switch (c) {
		case O_FLOW: o->flow = optarg; break;
		case O_PORT:
			if (number(optarg, 0, 65535, &v) != 0)
				return cli_usage_error(&cmd_authorize, "--port takes a port number "
						       "(0-65535), not \"%s\"", optarg);
			o->port = (int)v;
			break;
		case O_TIMEOUT:
			if (number(optarg, 1, 86400, &o->timeout) != 0)
				return cli_usage_error(&cmd_authorize, "--timeout takes seconds "
						       "(1-86400), not \"%s\"", optarg);
			o->timeout_given = 1;
			break;
		case O_NO_OPEN: o->no_open = 1; break;
		case O_SHARED: o->shared = optarg; break;
		case 'h': return cli_help(&cmd_authorize);
		default: return cli_bad_option(&cmd_authorize, c, argv);
		}
	}
	if ((c = authorize_account_operand(argc, argv, &o->c)) != -1)
		return c;
	if (o->flow != NULL && strcmp(o->flow, "browser") != 0 && strcmp(o->flow, "device") != 0 &&
	    strcmp(o->flow, "manual") != 0)
		return cli_usage_error(&cmd_authorize, "--flow is browser, device or manual, not "
				       "\"%s\"", o->flow);
	if (o->c.for_who != NULL && strcmp(o->c.for_who, "postfix") != 0)
		return cli_usage_error(&cmd_authorize, "--for takes only \"postfix\"");
	if (o->c.user != NULL && (!plain_word(o->c.user, OA2_USER_MAX) ||
				  !oa2_chars_mailbox(o->c.user, strlen(o->c.user))))
		return cli_usage_error(&cmd_authorize, "--user must be a mailbox (local@domain, "
				       "without quotes, spaces or shell metacharacters), at most %d "
				       "bytes", OA2_USER_MAX);
	if (o->shared != NULL && (!plain_word(o->shared, OA2_USER_MAX) || !strchr(o->shared, '@')))
		return cli_usage_error(&cmd_authorize, "--shared-mailbox takes the shared "
				       "mailbox's address (NAME@DOMAIN, no spaces, at most %d "
				       "bytes)", OA2_USER_MAX);
	if (o->c.client_id != NULL && !plain_word(o->c.client_id, 512))
		return cli_usage_error(&cmd_authorize, "--client-id must be one word without "
				       "spaces");
	return -1;
}

struct probe_job {
	const struct account *acct;
	struct oa2_err err;   /* sent back */
};

/* As the account's owner (privsep.h), who will write the file. */
static int probe_as_owner(void *ctx)
{
	struct probe_job *j = ctx;
	char probe[PATH_MAX];
	int fd;

	if (snprintf(probe, sizeof(probe), "%s/.sasl-oauth2-probe.XXXXXX", j->acct->dir) >=
	    (int)sizeof(probe))
		return oa2_err_set(&j->err, OA2_ERR_INVALID, "%s: path too long", j->acct->dir);
	fd = mkstemp(probe);
	if (fd < 0)
		return oa2_err_set(&j->err, OA2_ERR_IO, "cannot write the token file %s: the "
				   "directory %s does not take new files (%s); fix its permissions "
				   "or give another ACCOUNT path (nothing was changed)",
				   j->acct->path, j->acct->dir, strerror(errno));
	close(fd);
	unlink(probe);
	return OA2_OK;
}

/* Creates the account's directory and checks, before the sign-in, that it
 * takes new files. */
static int prepare_dir(const struct account *acct, struct oa2_err *err)
{
	struct probe_job j = { acct, { "", OA2_OK } };
	int rc = privsep_make_dir(acct, err);

	return rc != OA2_OK ? rc : privsep_run_rc(acct, probe_as_owner, &j, &j.err, err);
}

static void rerun_word(struct oa2_buf *b, const char *opt, const char *val)
{
	oa2_buf_putc(b, ' ');
	oa2_buf_puts(b, opt);
	if (val == NULL)
		return;
	oa2_buf_putc(b, ' ');
	if (val[0] != '\0' && strspn(val, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789._@+/-=:,") == strlen(val)) {
		oa2_buf_puts(b, val);
		return;
	}
	oa2_buf_putc(b, '\'');
	for (; *val; val++) {
		if (*val == '\'')
			oa2_buf_puts(b, "'\\''");
		else
			oa2_buf_putc(b, *val);
	}
	oa2_buf_putc(b, '\'');
}

static int regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The command line again, for the manual flow's advice. */
static void rerun_line(const struct opts *o, struct oa2_buf *b)
{
	oa2_buf_puts(b, "sasl-oauth2 authorize");
	rerun_word(b, o->c.account, NULL);
	rerun_word(b, "--provider", o->c.provider);
	if (o->c.tenant)
		rerun_word(b, "--tenant", o->c.tenant);
	if (o->c.cloud)
		rerun_word(b, "--cloud", o->c.cloud);
	if (o->c.services)
		rerun_word(b, "--services", o->c.services);
	if (o->c.user)
		rerun_word(b, "--user", o->c.user);
	if (o->shared)
		rerun_word(b, "--shared-mailbox", o->shared);
	if (o->c.client_id)
		rerun_word(b, "--client-id", o->c.client_id);
	/* a pipe (<(cmd)) is read once: the line names a file to give instead */
	if (o->c.secret_file)
		rerun_word(b, "--client-secret-file", regular_file(o->c.secret_file)
						       ? o->c.secret_file : "FILE");
	if (o->c.for_who)
		rerun_word(b, "--for", o->c.for_who);
}

/* The mailbox: --user, else what the id_token says. */
static int find_user(const struct opts *o, const struct oa2_token_response *res, char *user,
		     size_t n, struct oa2_err *err)
{
	struct oa2_err why;

	if (o->c.user != NULL) {
		char signed_in[OA2_USER_MAX + 1];

		snprintf(user, n, "%s", o->c.user);
		/* A mismatch can be legitimate (an alias or a shared mailbox the
		 * account may use), so it is not fatal, but it is the usual cause
		 * of a server refusing a fresh token: say so now. */
		if (res->id_token != NULL &&
		    oa2_jwt_user(res->id_token, signed_in, sizeof(signed_in), NULL) == OA2_OK &&
		    strcasecmp(signed_in, o->c.user) != 0)
			cli_error("warning: you signed in as %s, but --user is %s: mail servers "
				  "refuse the token unless %s is a mailbox %s may use (an alias or "
				  "a shared mailbox; for a shared mailbox, give --user %s "
				  "--shared-mailbox %s)", signed_in, o->c.user, o->c.user, signed_in,
				  signed_in, o->c.user);
		return OA2_OK;
	}
	if (res->id_token == NULL)
		return oa2_err_set(err, OA2_ERR_MISSING, "the provider sent no id_token, so the "
				   "mailbox is unknown; nothing was saved: run the command again "
				   "with --user EMAIL");
	if (oa2_jwt_user(res->id_token, user, n, &why) != OA2_OK)
		return oa2_err_set(err, OA2_ERR_MISSING, "cannot tell the mailbox from the "
				   "provider's answer (%s); nothing was saved: run the command "
				   "again with --user EMAIL", why.msg);
	return OA2_OK;
}

static const char *pick_flow(const struct opts *o, const struct oa2_provider *p)
{
	if (o->flow != NULL)
		return o->flow;
	if (browser_available())
		return "browser";
	return p->device_endpoint != NULL ? "device" : "manual";
}

static void summary(const struct authorize *a, const struct oa2_token_response *res,
		    const char *user)
{
	char valid[32];

	cli_format_duration(res->expires_in > 0 ? res->expires_in : 3600, valid, sizeof(valid));
	printf("Authorized %s with %s.\nToken file: %s (the access token is valid for %s%s)\n",
	       user, a->prov->name, a->acct->path, valid,
	       res->refresh_token ? "; it is refreshed when needed" : "");
	if (res->refresh_token == NULL)
		cli_error("warning: the provider sent no refresh token: the token works until it "
			  "expires, then run this command again%s",
			  strcmp(a->prov->name, "microsoft") == 0 ? " (is offline_access granted?)"
								  : "");
}

struct state {
	struct account acct;
	struct authorize_prior prior;
	struct oa2_provider prov;
	struct oa2_token_response res;
	struct oa2_buf rerun;
	char *secret;
	char user[OA2_USER_MAX + 1];
};

/* Fills what the command line leaves out from the account's token file
 * (same provider only), so `sasl-oauth2 authorize ACCOUNT`, the advice
 * every other command prints, signs in again as before. */
static int reuse_account(const struct cli *cli, struct opts *o, struct state *s)
{
	struct authorize_prior *p = &s->prior;
	struct oa2_err err;
	char near[300];
	int rc;

	rc = authorize_prior_read(cli, o->c.account, o->c.for_who != NULL, &s->acct, p, &err);
	if (rc == OA2_ERR_INVALID)
		return cli_usage_error(&cmd_authorize, "%s", err.msg);
	if (rc != OA2_OK && o->c.provider != NULL) {
		/* A broken file is what a new sign-in replaces. */
		cli_warn("%s; signing in anew with the options given", err.msg);
	} else if (rc != OA2_OK) {
		cli_error("%s; to replace the file, give --provider and the other options "
			  "again", err.msg);
		return cli_exit_for(rc);
	}
	if (s->acct.for_postfix)
		o->c.for_who = "postfix";
	if (p->found && p->provider[0] != '\0' &&
	    (o->c.provider == NULL || strcasecmp(o->c.provider, p->provider) == 0)) {
		o->c.provider = o->c.provider ? o->c.provider : p->provider;
		if (o->c.tenant == NULL && p->tenant[0] != '\0')
			o->c.tenant = p->tenant;
		if (o->c.cloud == NULL && p->cloud != NULL)
			o->c.cloud = p->cloud;
		if (o->c.services == NULL && p->services[0] != '\0')
			o->c.services = p->services;
		if (o->c.user == NULL && p->user[0] != '\0')
			o->c.user = p->user;
		if (o->c.client_id == NULL && p->client_id[0] != '\0')
			o->c.client_id = p->client_id;
		authorize_note("Signing in again as %s was authorized (provider %s%s%s%s%s%s%s); "
			       "options given on the command line win.", s->acct.path, o->c.provider,
			       o->c.tenant ? ", tenant " : "", o->c.tenant ? o->c.tenant : "",
			       o->c.user ? ", user " : "", o->c.user ? o->c.user : "",
			       o->c.services ? ", services " : "", o->c.services ? o->c.services : "");
	}
	if (o->c.provider != NULL)
		return -1;
	if (p->found)
		return cli_usage_error(&cmd_authorize, "token file %s does not say which provider "
				       "issued it: give --provider (microsoft, google, or one "
				       "defined in the configuration file)", s->acct.path);
	cli_account_suggestion(s->acct.dir, o->c.account, near, sizeof(near));
	return cli_usage_error(&cmd_authorize, "no account \"%s\"%s yet (no token file %s): a new "
			       "account needs --provider (microsoft, google, or one defined in "
			       "the configuration file)", o->c.account, near, s->acct.path);
}

/* The client secret: --client-secret-file or the environment, else the
 * one kept for this client id (config, then the account's file), else a
 * prompt when the provider's clients normally have one. */
static int client_secret(const struct opts *o, struct state *s, const char *client_id)
{
	const struct authorize_prior *p = &s->prior;
	const char *kept = NULL;
	struct oa2_err err;
	int rc;

	if (s->prov.client_secret != NULL &&
	    (s->prov.client_id == NULL || strcmp(s->prov.client_id, client_id) == 0))
		kept = s->prov.client_secret;
	else if (p->client_secret[0] != '\0' && strcmp(p->client_id, client_id) == 0)
		kept = p->client_secret;
	else if (s->prov.client_secret != NULL)
		kept = s->prov.client_secret;
	rc = cli_read_client_secret(o->c.secret_file, s->prov.wants_secret && kept == NULL,
				    &s->secret, &err);
	if (rc != OA2_OK) {
		cli_error("%s", err.msg);
		return cli_exit_for(rc);
	}
	if (s->secret == NULL && kept != NULL &&
	    (s->secret = oa2_secret_strndup(kept, strlen(kept))) == NULL)
		return CLI_SOFTWARE;
	return -1;
}

static int authorize(struct cli *cli, struct opts *o, struct state *s)
{
	struct oa2_provider_request rq;
	struct authorize a;
	struct oa2_err err;
	const char *flow, *sasl_user;
	int services = OA2_SERVICES_DEFAULT, rc;

	if ((rc = reuse_account(cli, o, s)) >= 0)
		return rc;
	if (o->c.services != NULL && (services = oa2_services_parse(o->c.services)) < 0)
		return cli_usage_error(&cmd_authorize, "--services is a comma-separated list of "
				       "imap, smtp and pop, not \"%s\"", o->c.services);
	if (s->acct.for_postfix && geteuid() != 0 && geteuid() != s->acct.owner) {
		cli_error("--for postfix: only root can give the token file to the postfix user");
		return CLI_NOPERM;
	}

	memset(&a, 0, sizeof(a));
	a.cli = cli;
	a.acct = &s->acct;
	a.account_arg = o->c.account;
	a.http.transport = cli->cfg.transport;
	a.http.connect_timeout = cli->cfg.connect_timeout;
	a.http.timeout = cli->cfg.timeout;
	a.http.proxy = cli->cfg.proxy;
	a.http.ca_blob = cli->cfg.ca_blob;
	a.http.ca_blob_len = cli->cfg.ca_blob_len;
	if (a.http.ca_blob == NULL) {
		cli_error("%s", cli->cfg.ca_error[0] ? cli->cfg.ca_error : "no CA bundle");
		return CLI_CONFIG;
	}

	memset(&rq, 0, sizeof(rq));
	rq.name = o->c.provider;
	rq.tenant = o->c.tenant;
	rq.cloud = o->c.cloud;
	rq.services = (unsigned)services;
	rq.want_user = o->c.user == NULL;
	rc = oa2_provider_resolve(&cli->cfg, &rq, &a.http, &s->prov, &err);
	if (rc != OA2_OK) {
		if (rc == OA2_ERR_INVALID)
			return cli_usage_error(&cmd_authorize, "%s", err.msg);
		cli_error("%s", err.msg);
		return cli_exit_for(rc);
	}
	a.prov = &s->prov;
	if (o->flow != NULL && strcmp(o->flow, "device") == 0 && s->prov.device_endpoint == NULL)
		return cli_usage_error(&cmd_authorize, "--flow device: provider %s: %s; use "
				       "--flow browser or --flow manual", s->prov.name,
				       s->prov.no_device_why);
	a.client_id = o->c.client_id ? o->c.client_id : s->prov.client_id;
	if (a.client_id == NULL)
		return cli_usage_error(&cmd_authorize, "no client id for %s: register an app with "
				       "the provider and give --client-id, or set "
				       "provider.%s.client_id in %s", o->c.provider, o->c.provider,
				       cli->cfg.path ? cli->cfg.path : oa2_config_path());
	if (o->c.user == NULL && !s->prov.openid)
		return cli_usage_error(&cmd_authorize, "provider %s is not an OpenID provider (no "
				       "issuer), so its answer will not name the mailbox: give "
				       "--user EMAIL", o->c.provider);
	/* The directory must take the file before anyone signs in for nothing. */
	if ((rc = prepare_dir(&s->acct, &err)) != OA2_OK) {
		cli_error("%s", err.msg);
		return cli_exit_for(rc);
	}
	if ((rc = client_secret(o, s, a.client_id)) >= 0)
		return rc;
	a.client_secret = s->secret;
	a.user = o->c.user;
	a.port = o->port;
	a.timeout = o->timeout;
	a.timeout_given = o->timeout_given;
	a.no_open = o->no_open;
	oa2_buf_init(&s->rerun, 4096);
	rerun_line(o, &s->rerun);
	a.rerun = s->rerun.failed ? "sasl-oauth2 authorize ..." : s->rerun.data;

	flow = pick_flow(o, &s->prov);
	if (strcmp(flow, "browser") == 0)
		rc = authorize_browser(&a, &s->res, &err);
	else if (strcmp(flow, "device") == 0)
		rc = authorize_device(&a, &s->res, &err);
	else
		rc = authorize_manual(&a, &s->res, &err);
	if (rc == OA2_OK)
		rc = find_user(o, &s->res, s->user, sizeof(s->user), &err);
	/* A shared mailbox: the servers take the delegate's token with the
	 * shared address as the user (Microsoft's OAuth for IMAP/POP/SMTP). */
	sasl_user = o->shared ? o->shared : s->user;
	a.signed_in_as = o->shared ? s->user : NULL;
	if (rc == OA2_OK)
		rc = authorize_save(&a, &s->res, sasl_user, &err);
	if (rc != OA2_OK) {
		cli_error("%s", err.msg);
		return rc == OA2_ERR_INVALID ? CLI_FAIL : cli_exit_for(rc);
	}
	summary(&a, &s->res, sasl_user);
	if (o->shared)
		printf("Signed in as %s; the mail servers get %s as the user (a shared mailbox: "
		       "%s needs Full Access to it, and Send As to send as it).\n", s->user,
		       o->shared, s->user);
	authorize_next_steps(&a, sasl_user, (unsigned)services);
	return CLI_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct opts o;
	struct state s;
	int rc;

	if (authorize_app_wanted(argc, argv))
		return authorize_app(cli, argc, argv);
	rc = parse(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if ((rc = cli_require_config(cli)) != CLI_OK)
		return rc;
	memset(&s, 0, sizeof(s));
	rc = authorize(cli, &o, &s);
	oa2_token_response_clear(&s.res);
	oa2_provider_clear(&s.prov);
	oa2_secret_free_str(s.secret);
	oa2_buf_clear(&s.rerun);
	authorize_prior_clear(&s.prior);
	return rc;
}

const struct cli_command cmd_authorize = {
	.name = "authorize",
	.summary = "sign in to a provider and write an account's token file",
	.run = run,
	.usage = usage,
};
