/*
 * sasl-oauth2 authorize ACCOUNT --app | --service-account KEYFILE: app-only
 * accounts, for relays and other daemons. No one signs in: the token file
 * names its grant (client_credentials, jwt_bearer) and the credential files,
 * and the first token is fetched here to prove the setup before the file is
 * written.
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/jwt.h"
#include "sasl-oauth2/jwt_sign.h"
#include "sasl-oauth2/sa_key.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/token_store.h"

#include "authorize.h"
#include "privsep.h"

#define GOOGLE_SCOPE "https://mail.google.com/"
#define GOOGLE_TOKEN_URI "https://oauth2.googleapis.com/token"

struct app_opts {
	struct authorize_common_opts c;
	const char *certificate, *private_key, *service_account, *scope, *alg;
	int app;
};

int authorize_app_wanted(int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--app") == 0 || strcmp(argv[i], "--service-account") == 0 ||
		    strncmp(argv[i], "--service-account=", 18) == 0)
			return 1;
	return 0;
}

static int parse(int argc, char **argv, struct app_opts *o)
{
	enum { O_APP = AUTHORIZE_O_OWN, O_CERT, O_KEY, O_SA, O_SCOPE, O_ALG };
	static const struct option lopts[] = {
		AUTHORIZE_COMMON_LOPTS,
		{ "app", no_argument, NULL, O_APP },
		{ "certificate", required_argument, NULL, O_CERT },
		{ "private-key", required_argument, NULL, O_KEY },
		{ "service-account", required_argument, NULL, O_SA },
		{ "scope", required_argument, NULL, O_SCOPE },
		{ "assertion-alg", required_argument, NULL, O_ALG },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	while ((c = getopt_long(argc, argv, "p:u:h", lopts, NULL)) != -1) {
		if (authorize_common_opt(c, optarg, &o->c))
			continue;
		switch (c) {
		case O_APP: o->app = 1; break;
		case O_CERT: o->certificate = optarg; break;
		case O_KEY: o->private_key = optarg; break;
		case O_SA: o->service_account = optarg; break;
		case O_SCOPE: o->scope = optarg; break;
		case O_ALG: o->alg = optarg; break;
		case 'h': return cli_help(&cmd_authorize);
		default: return cli_usage_error(&cmd_authorize, "unknown option for an app-only "
						"account");
		}
	}
	if ((c = authorize_account_operand(argc, argv, &o->c)) != -1)
		return c;
	if (o->app && o->service_account)
		return cli_usage_error(&cmd_authorize, "--app (Microsoft client credentials) and "
				       "--service-account (Google) do not go together");
	if (o->c.user == NULL || o->c.user[0] == '\0' || strlen(o->c.user) > OA2_USER_MAX ||
	    !oa2_chars_mailbox(o->c.user, strlen(o->c.user)))
		return cli_usage_error(&cmd_authorize, "--user MAILBOX is required: app-only "
				       "tokens act for a mailbox that the admin names");
	if (o->c.for_who != NULL && strcmp(o->c.for_who, "postfix") != 0)
		return cli_usage_error(&cmd_authorize, "--for takes only \"postfix\"");
	if (o->alg != NULL && (!oa2_jwt_alg_known(o->alg) || o->certificate == NULL))
		return cli_usage_error(&cmd_authorize, "--assertion-alg is RS256 or PS256, and only "
				       "with --certificate");
	if (o->service_account)
		return -1;
	if (o->c.secret_file == NULL && (o->certificate == NULL || o->private_key == NULL))
		return cli_usage_error(&cmd_authorize, "--app needs the app's credential: "
				       "--client-secret-file FILE, or --certificate FILE and "
				       "--private-key FILE (make them with: sasl-oauth2 keygen)");
	if (o->c.secret_file != NULL && (o->certificate != NULL || o->private_key != NULL))
		return cli_usage_error(&cmd_authorize, "give either --client-secret-file or "
				       "--certificate and --private-key, not both");
	if (o->c.client_id == NULL || !oa2_chars_visible(o->c.client_id, strlen(o->c.client_id)))
		return cli_usage_error(&cmd_authorize, "--client-id is required: the app "
				       "registration's Application (client) ID");
	return -1;
}

static int is_guid(const char *s)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };

	for (int g = 0; g < 5; g++) {
		for (int i = 0; i < groups[g]; i++, s++)
			if (!isxdigit((unsigned char)*s))
				return 0;
		if (*s != (g == 4 ? '\0' : '-'))
			return 0;
		if (g < 4)
			s++;
	}
	return 1;
}

static int is_domain(const char *s)
{
	size_t n = strlen(s);

	return n >= 3 && n <= 253 && strchr(s, '.') != NULL && s[0] != '.' && s[n - 1] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n;
}

/* App-only tokens are issued by the organisation's own tenant: the
 * multi-tenant aliases have no admin who consented to the app. */
static int check_tenant(const char *t)
{
	if (t == NULL)
		return cli_usage_error(&cmd_authorize, "--app needs --tenant: your tenant id (a "
				       "GUID, \"Directory (tenant) ID\" in the app registration) or "
				       "domain (contoso.onmicrosoft.com)");
	if (strcasecmp(t, "common") == 0 || strcasecmp(t, "organizations") == 0 ||
	    strcasecmp(t, "consumers") == 0)
		return cli_usage_error(&cmd_authorize, "--tenant %s does not work for app-only "
				       "access: Microsoft issues client credentials tokens only "
				       "for a specific tenant; give its id (a GUID) or domain", t);
	if (!is_guid(t) && !is_domain(t))
		return cli_usage_error(&cmd_authorize, "--tenant \"%s\" is neither a tenant id "
				       "(a GUID) nor a domain", t);
	return -1;
}

/* A credential path as the token file keeps it: absolute, the file there.
 * Every renewal reads it again, so a pipe (--client-secret-file <(cmd))
 * that is gone once authorize ends will not do. */
static int absolute(const char *given, const char *what, char *out)
{
	struct stat st;

	if (stat(given, &st) == 0 && !S_ISREG(st.st_mode)) {
		cli_error("%s %s is not a regular file (a pipe, as <(cmd) makes?): app-only "
			  "renewals read it again each time, so it must stay: keep it in a file "
			  "of mode 0600 (in the keys/ directory beside the token files); nothing "
			  "was saved", what, given);
		return CLI_USAGE;
	}
	if (realpath(given, out) == NULL) {
		cli_error("%s %s: %m", what, given);
		return CLI_IOERR;
	}
	return -1;
}

/* Postfix's smtp client renews the token as postfix, inside its chroot:
 * the credential must be a postfix file there. */
static void check_for_postfix(const struct account *acct, const struct oa2_config *cfg,
			      const char *path, const char *what, int secret)
{
	size_t n = strlen(cfg->chroot_dir);
	char keys[PATH_MAX];
	struct stat st;

	if ((strncmp(path, cfg->chroot_dir, n) != 0 || path[n] != '/') &&
	    account_keys_dir(1, cfg, keys, sizeof(keys), NULL) == OA2_OK)
		cli_error("warning: %s %s is outside Postfix's chroot %s: Postfix's smtp client "
			  "cannot read it there; move it to %s/", what, path, cfg->chroot_dir, keys);
	if (secret && stat(path, &st) == 0 && st.st_uid != acct->owner)
		cli_error("warning: %s %s is not owned by the postfix user (uid %u), which must "
			  "read it: chown postfix %s", what, path, (unsigned)acct->owner, path);
}

/* A credential kept as NAME.json among the token files would be listed,
 * locked and refreshed as account NAME by status, refresh --all, watch and
 * completion: it belongs in the credentials directory keys/. */
static int check_not_among_tokens(const struct account *acct, const char *path,
				  const char *what)
{
	char dir[PATH_MAX], keys[PATH_MAX + 8];
	const char *slash = strrchr(path, '/');
	size_t n = strlen(path);

	if (slash == NULL || n <= 5 || strcmp(path + n - 5, ".json") != 0 ||
	    realpath(acct->dir, dir) == NULL || strlen(dir) != (size_t)(slash - path) ||
	    strncmp(dir, path, (size_t)(slash - path)) != 0)
		return -1;
	snprintf(keys, sizeof(keys), "%s/keys", dir);
	/* as the directory's owner: root makes nothing in postfix's directory */
	cli_error("%s %s is among the token files in %s, where it would be taken for an "
		  "account; nothing was saved: keep credentials in %s/ (%smkdir -m 700 %s && "
		  "%smv %s %s/)", what, path, dir, keys, acct->for_postfix ?
		  "runuser -u postfix -- " : "", keys, acct->for_postfix ?
		  "runuser -u postfix -- " : "", path, keys);
	return CLI_USAGE;
}

struct app_state {
	struct account acct;
	struct oa2_provider prov;
	struct oa2_token tok;
	struct oa2_token_response res;
	char secret_path[PATH_MAX], cert_path[PATH_MAX], key_path[PATH_MAX], sa_path[PATH_MAX];
	int use_token_uri;        /* the service account key's token_uri is the endpoint */
};

/* What the account's owner sends back after fetching and saving. */
struct app_back {
	struct oa2_err err;
	long long expires_in;
	char oid[64], tid[64];    /* Microsoft: the service principal, the tenant */
	char sa_client_id[128], sa_email[OA2_USER_MAX + 1];
};

static char *copy_str(const char *s)
{
	return s ? oa2_secret_strndup(s, strlen(s)) : NULL;
}

/* Fills s->prov (servers for the next steps, the token endpoint) and s->tok
 * (what the token file will hold, credentials as paths). */
static int prepare(struct cli *cli, const struct app_opts *o, struct app_state *s,
		   const struct oa2_http_opts *http)
{
	struct oa2_provider_request rq;
	struct oa2_err err;
	const char *scope = o->scope;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.name = o->c.provider ? o->c.provider : o->service_account ? "google" : "microsoft";
	if (strcmp(rq.name, "microsoft") == 0) {
		if ((rc = check_tenant(o->c.tenant)) >= 0)
			return rc;
		rq.tenant = o->c.tenant;
		rq.cloud = o->c.cloud;
	} else if (o->c.tenant != NULL || o->c.cloud != NULL) {
		return cli_usage_error(&cmd_authorize, "--tenant and --cloud are for Microsoft");
	}
	rc = oa2_provider_resolve(&cli->cfg, &rq, http, &s->prov, &err);
	if (rc != OA2_OK) {
		cli_error("%s", err.msg);
		return rc == OA2_ERR_INVALID ? CLI_USAGE : cli_exit_for(rc);
	}
	if (o->service_account) {
		if ((rc = absolute(o->service_account, "service account key file", s->sa_path)) >= 0)
			return rc;
		/* The key file's token_uri replaces this unless a provider was
		 * named (fetch_and_save reads the file as the account's owner). */
		s->tok.token_endpoint = copy_str(s->prov.token_endpoint);
		s->use_token_uri = o->c.provider == NULL;
		s->tok.grant = copy_str("jwt_bearer");
		s->tok.service_account_file = copy_str(s->sa_path);
		s->tok.scope = copy_str(scope ? scope : GOOGLE_SCOPE);
	} else {
		if (o->c.secret_file &&
		    (rc = absolute(o->c.secret_file, "client secret file", s->secret_path)) >= 0)
			return rc;
		if (o->certificate &&
		    ((rc = absolute(o->certificate, "certificate file", s->cert_path)) >= 0 ||
		     (rc = absolute(o->private_key, "private key file", s->key_path)) >= 0))
			return rc;
		/* Microsoft: the cloud's RESOURCE/.default (provider.h); the
		 * client credentials grant refuses the delegated scopes. */
		if (scope == NULL)
			scope = s->prov.app_scope;
		if (scope == NULL && (scope = s->prov.scope) == NULL)
			return cli_usage_error(&cmd_authorize, "provider %s has no scope: give "
					       "--scope", rq.name);
		s->tok.grant = copy_str("client_credentials");
		s->tok.client_id = copy_str(o->c.client_id);
		s->tok.token_endpoint = copy_str(s->prov.token_endpoint);
		s->tok.scope = copy_str(scope);
		s->tok.client_secret_file = o->c.secret_file ? copy_str(s->secret_path) : NULL;
		s->tok.certificate_file = o->certificate ? copy_str(s->cert_path) : NULL;
		s->tok.private_key_file = o->certificate ? copy_str(s->key_path) : NULL;
		s->tok.assertion_alg = o->alg ? copy_str(o->alg) : NULL;
	}
	s->tok.user = copy_str(o->c.user);
	if (s->tok.user == NULL || s->tok.scope == NULL || s->tok.token_endpoint == NULL ||
	    s->tok.grant == NULL)
		return CLI_SOFTWARE;
	const char *files[][2] = {
		{ s->tok.client_secret_file, "client secret file" },
		{ s->tok.certificate_file, "certificate file" },
		{ s->tok.private_key_file, "private key file" },
		{ s->tok.service_account_file, "service account key file" },
	};
	for (size_t i = 0; i < 4; i++) {
		if (files[i][0] == NULL)
			continue;
		if ((rc = check_not_among_tokens(&s->acct, files[i][0], files[i][1])) >= 0)
			return rc;
		if (s->acct.for_postfix)
			check_for_postfix(&s->acct, &cli->cfg, files[i][0], files[i][1], i != 1);
	}
	return -1;
}

static int save(const struct app_state *s, struct oa2_err *err)
{
	struct json_object *obj = json_object_new_object();
	long long now = (long long)time(NULL);
	int rc, bad = 0;

	if (obj == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	json_object_object_add(obj, "version", json_object_new_int(2));
	bad |= oa2_json_set_string(obj, "grant", s->tok.grant);
	bad |= oa2_json_set_string(obj, "provider", s->prov.name);
	bad |= oa2_json_set_string(obj, "user", s->tok.user);
	bad |= oa2_json_set_string(obj, "client_id", s->tok.client_id);
	bad |= oa2_json_set_string(obj, "token_endpoint", s->tok.token_endpoint);
	bad |= oa2_json_set_string(obj, "scope", s->tok.scope);
	bad |= oa2_json_set_string(obj, "client_secret_file", s->tok.client_secret_file);
	bad |= oa2_json_set_string(obj, "certificate_file", s->tok.certificate_file);
	bad |= oa2_json_set_string(obj, "private_key_file", s->tok.private_key_file);
	bad |= oa2_json_set_string(obj, "service_account_file", s->tok.service_account_file);
	bad |= oa2_json_set_string(obj, "assertion_alg", s->tok.assertion_alg);
	bad |= oa2_json_set_string(obj, "access_token", s->res.access_token);
	json_object_object_add(obj, "expires_at", json_object_new_int64(
				       now + (s->res.expires_in > 0 ? s->res.expires_in : 3600)));
	json_object_object_add(obj, "authorized_at", json_object_new_int64(now));
	rc = bad ? oa2_err_set(err, OA2_ERR_NOMEM, "out of memory")
		 : authorize_write(&s->acct, obj, err);
	oa2_json_put_wiped(obj);
	return rc;
}

/* A claim of Microsoft's app-only access token (a JWT), read only to print
 * the ids an admin needs; never trusted for anything else. */
static void claim(const char *token, const char *name, char *out, size_t n, const char *dflt)
{
	struct json_object *obj;
	const char *v;
	size_t len;

	snprintf(out, n, "%s", dflt);
	if (oa2_jwt_payload(token, &obj, NULL) != OA2_OK)
		return;
	if (oa2_json_get_string(obj, name, n - 1, &v, &len, "access token", NULL) == OA2_OK &&
	    v != NULL && len > 0 && oa2_chars_visible(v, len))
		snprintf(out, n, "%s", v);
	oa2_json_put_wiped(obj);
}

static void exchange_steps(const struct app_opts *o, const struct app_state *s,
			   const struct app_back *b)
{
	const char *oid = b->oid, *tid = b->tid[0] ? b->tid : o->c.tenant;

	printf("\nExchange Online: register the app's service principal and give it the "
	       "mailbox\n(Exchange Online PowerShell, as an Exchange administrator; the ObjectId "
	       "is the\nEnterprise application's object id, not the app registration's%s):\n",
	       oid[0] == '<' ? "" : "; taken from the token");
	printf("  Connect-ExchangeOnline -Organization %s\n", tid);
	printf("  New-ServicePrincipal -AppId %s -ObjectId %s -DisplayName \"sasl-oauth2 %s\"\n",
	       o->c.client_id, oid, s->acct.name);
	printf("  Add-MailboxPermission -Identity \"%s\" -User %s -AccessRights FullAccess\n",
	       o->c.user, oid);
	printf("  Add-RecipientPermission -Identity \"%s\" -Trustee %s -AccessRights SendAs "
	       "-Confirm:$false\n", o->c.user, oid);
	printf("The app registration needs the application permissions SMTP.SendAsApp (and\n"
	       "IMAP.AccessAsApp, POP.AccessAsApp for reading) of \"Office 365 Exchange Online\",\n"
	       "with admin consent. SMTP AUTH must be enabled for the mailbox.\n");
	/* Exchange's RBAC for Applications took SMTP in November 2025
	 * (Microsoft 365 message center MC1158911, "SMTP onboarding to App
	 * RBAC"): a role scoped to the mailbox, no Entra permission. */
	printf("For sending only, Exchange's RBAC for Applications needs neither the\n"
	       "SMTP.SendAsApp API permission nor FullAccess: after New-ServicePrincipal,\n"
	       "  New-ManagementScope -Name \"sasl-oauth2-%s\" -RecipientRestrictionFilter "
	       "\"PrimarySmtpAddress -eq '%s'\"\n"
	       "  New-ManagementRoleAssignment -App %s -Role \"Application SMTP.SendAsApp\" "
	       "-CustomResourceScope \"sasl-oauth2-%s\"\n", s->acct.name, o->c.user,
	       o->c.client_id, s->acct.name);
}

static void google_steps(const struct app_state *s, const struct app_back *b)
{
	printf("\nGoogle Workspace: in the Admin console, Security > Access and data control >\n"
	       "API controls > Domain-wide delegation, add client id %s\n(the service account "
	       "%s) with the OAuth scope\n  %s\n", b->sa_client_id, b->sa_email, s->tok.scope);
}

struct app_job {
	struct cli *cli;
	const char *account;
	struct app_state *s;
	struct app_back back;
};

/* As the account's owner (privsep.h): the credential files are read, the
 * first token fetched and the token file written by the user who will renew
 * it, never by root inside that user's directory. */
static int fetch_and_save(void *ctx)
{
	struct app_job *j = ctx;
	struct app_state *s = j->s;
	struct app_back *b = &j->back;
	int rc;

	if (s->tok.service_account_file != NULL) {
		struct oa2_sa_key k;

		rc = oa2_sa_key_load(s->tok.service_account_file, NULL, &k, &b->err);
		if (rc != OA2_OK)
			return rc;
		snprintf(b->sa_email, sizeof(b->sa_email), "%s", k.client_email);
		snprintf(b->sa_client_id, sizeof(b->sa_client_id), "%s",
			 k.client_id ? k.client_id : "(see the key file)");
		if (s->use_token_uri && k.token_uri != NULL) {
			oa2_secret_free_str(s->tok.token_endpoint);
			s->tok.token_endpoint = copy_str(k.token_uri);
		}
		oa2_sa_key_clear(&k);
		if (s->tok.token_endpoint == NULL)
			return oa2_err_set(&b->err, OA2_ERR_NOMEM, "out of memory");
	}
	/* The first token proves the whole setup before anything is written. */
	rc = oa2_grant_renew(s->acct.path, j->account, &j->cli->cfg, &s->tok, &s->res, &b->err);
	if (rc == OA2_OK)
		rc = save(s, &b->err);
	if (rc != OA2_OK)
		return rc;
	b->expires_in = s->res.expires_in;
	claim(s->res.access_token, "oid", b->oid, sizeof(b->oid),
	      "<Object ID of the app under Enterprise applications>");
	claim(s->res.access_token, "tid", b->tid, sizeof(b->tid), "");
	return OA2_OK;
}

/* The first token was refused: nothing was saved, so the library's "check
 * with: sasl-oauth2 doctor" (right for a renewal) is not the way on; this
 * command, run again after the fix, is. A service account's delegation is
 * granted to its client id: name it, as the guide says authorize does. */
static void refused(const struct app_opts *o, const struct app_state *s,
		    const struct app_back *b, int rc, struct oa2_err *err)
{
	char *tail = strstr(err->msg, "; after fixing it, check with: ");

	if (tail != NULL)
		*tail = '\0';
	cli_error("%s; nothing was saved%s", err->msg, rc == OA2_ERR_DENIED ?
		  ": after fixing it, run this authorize command again" : "");
	if (o->service_account != NULL && b->sa_client_id[0] != '\0')
		cli_error("the service account %s has client id %s: domain-wide delegation "
			  "must grant it the scope %s", b->sa_email, b->sa_client_id, s->tok.scope);
}

static int run_app(struct cli *cli, const struct app_opts *o, struct app_state *s)
{
	struct oa2_http_opts http;
	struct authorize a;
	struct app_job job;
	struct oa2_err err;
	int services = OA2_SERVICE_SMTP, rc;

	if (o->c.services != NULL && (services = oa2_services_parse(o->c.services)) < 0)
		return cli_usage_error(&cmd_authorize, "--services is a comma-separated list of "
				       "imap, smtp and pop, not \"%s\"", o->c.services);
	rc = account_resolve(o->c.account, o->c.for_who != NULL, &cli->cfg, &s->acct, &err);
	if (rc != OA2_OK)
		return cli_usage_error(&cmd_authorize, "%s", err.msg);
	if (s->acct.for_postfix && geteuid() != 0 && geteuid() != s->acct.owner) {
		cli_error("--for postfix: only root can give the token file to the postfix user");
		return CLI_NOPERM;
	}
	memset(&http, 0, sizeof(http));
	http.transport = cli->cfg.transport;
	http.connect_timeout = cli->cfg.connect_timeout;
	http.timeout = cli->cfg.timeout;
	http.proxy = cli->cfg.proxy;
	http.ca_blob = cli->cfg.ca_blob;
	http.ca_blob_len = cli->cfg.ca_blob_len;
	if ((rc = prepare(cli, o, s, &http)) >= 0)
		return rc;
	if ((rc = privsep_make_dir(&s->acct, &err)) != OA2_OK) {
		cli_error("%s", err.msg);
		return cli_exit_for(rc);
	}
	memset(&job, 0, sizeof(job));
	job.cli = cli;
	job.account = o->c.account;
	job.s = s;
	if (privsep_run(&s->acct, fetch_and_save, &job, &job.back, sizeof(job.back), &rc,
			&err) != OA2_OK)
		rc = err.rc != OA2_OK ? err.rc : OA2_ERR_IO;
	else if (rc != OA2_OK)
		err = job.back.err;
	if (rc != OA2_OK) {
		refused(o, s, &job.back, rc, &err);
		return cli_exit_for(rc);
	}
	printf("Authorized %s app-only (%s grant, %s).\nToken file: %s (renewed with the %s "
	       "when it is about to expire; no refresh token, nothing to sign in again)\n",
	       o->c.user, s->tok.grant, s->prov.name, s->acct.path,
	       oa2_grant_kind_of(&s->tok)->title);
	if (o->service_account)
		google_steps(s, &job.back);
	else if (strcmp(s->prov.name, "microsoft") == 0)
		exchange_steps(o, s, &job.back);
	memset(&a, 0, sizeof(a));
	a.cli = cli;
	a.acct = &s->acct;
	a.account_arg = o->c.account;
	a.prov = &s->prov;
	authorize_next_steps(&a, o->c.user, (unsigned)services);
	return CLI_OK;
}

int authorize_app(struct cli *cli, int argc, char **argv)
{
	struct app_opts o;
	struct app_state s;
	int rc = parse(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if ((rc = cli_require_config(cli)) != CLI_OK)
		return rc;
	if (cli->cfg.ca_blob == NULL) {
		cli_error("%s", cli->cfg.ca_error[0] ? cli->cfg.ca_error : "no CA bundle");
		return CLI_CONFIG;
	}
	memset(&s, 0, sizeof(s));
	rc = run_app(cli, &o, &s);
	oa2_token_response_clear(&s.res);
	oa2_provider_clear(&s.prov);
	oa2_token_clear(&s.tok);
	return rc;
}
