/*
 * sasl-oauth2 import: takes over a token file written by another tool and
 * writes it as a sasl-oauth2 token file (format version 1) for an account:
 *
 *   tarickb/sasl-xoauth2   refresh_token, access_token, expiry (a digit
 *                          string), user, client_id, client_secret,
 *                          token_endpoint, proxy, ca_bundle_file,
 *                          refresh_window: all of them sasl-oauth2 reads as
 *                          they are
 *   mutt_oauth2.py         registration (google, microsoft), authflow, email,
 *                          access_token, access_token_expiration (ISO 8601,
 *                          local time), refresh_token, client_id,
 *                          client_secret, tenant (microsoft); unencrypted
 *
 * Members sasl-oauth2 does not know are kept. The new file is written
 * atomically, mode 0600, owned by the account's owner.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "cmdutil.h"
#include "import_read.h"
#include "privsep.h"
#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/client_route.h"
#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/provider.h"
#include "sasl-oauth2/token_endpoint.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/timefmt.h"
#include "sasl-oauth2/token_store.h"
#include "sasl-oauth2/token_lock.h"

#define URL_MAX 2048
/* tarickb/sasl-xoauth2's configuration (CLI_SASL_XOAUTH2_CONF): client_id,
 * client_secret and token_endpoint for token files without their own. */
#define SASL_XOAUTH2_CONF CLI_SASL_XOAUTH2_CONF

enum source_format { FORMAT_TARICKB, FORMAT_MUTT, FORMAT_OURS };

static const char *const format_names[] = {
	[FORMAT_TARICKB] = "tarickb/sasl-xoauth2",
	[FORMAT_MUTT] = "mutt_oauth2.py",
	[FORMAT_OURS] = "sasl-oauth2",
};

struct opts {
	const char *file;
	const char *account;   /* NULL: none given (the file's user is only suggested) */
	const char *provider;  /* NULL: from the file */
	const char *tenant, *cloud, *client_id, *secret_file;
	const char *xoauth2_conf; /* tarickb's config; default SASL_XOAUTH2_CONF */
	int for_postfix;
	int force;
	int help;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "provider", required_argument, NULL, 'p' },
		{ "tenant", required_argument, NULL, 'T' },
		{ "cloud", required_argument, NULL, 'C' },
		{ "client-id", required_argument, NULL, 'i' },
		{ "client-secret-file", required_argument, NULL, 's' },
		{ "sasl-xoauth2-conf", required_argument, NULL, 'x' },
		{ "for", required_argument, NULL, 'F' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = CLI_OK;

	memset(o, 0, sizeof(*o));
	o->xoauth2_conf = SASL_XOAUTH2_CONF;
	opterr = 0;
	while (rc == CLI_OK && (c = getopt_long(argc, argv, ":hf", lo, NULL)) != -1) {
		switch (c) {
		case 'p': o->provider = optarg; break;
		case 'T': o->tenant = optarg; break;
		case 'C': o->cloud = optarg; break;
		case 'i': o->client_id = optarg; break;
		case 's': o->secret_file = optarg; break;
		case 'x': o->xoauth2_conf = optarg; break;
		case 'F': rc = cli_parse_for(&cmd_import, optarg, &o->for_postfix); break;
		case 'f': o->force = 1; break;
		case 'h': o->help = 1; return CLI_OK;
		default: return cli_bad_option(&cmd_import, c, argv);
		}
	}
	if (rc != CLI_OK)
		return rc;
	if (optind >= argc)
		return cli_usage_error(&cmd_import, "missing FILE");
	if (argc - optind > 2)
		return cli_usage_error(&cmd_import, "give FILE and at most one ACCOUNT");
	o->file = argv[optind];
	o->account = optind + 1 < argc ? argv[optind + 1] : NULL;
	return CLI_OK;
}

/* ----- reading the source file ---------------------------------------------- */

/* mutt_oauth2.py normally encrypts its token files with gpg. */
static int looks_encrypted(const struct oa2_buf *b)
{
	const unsigned char first = (unsigned char)b->data[0];

	return strncmp(b->data, "-----BEGIN PGP", 14) == 0 || (first & 0x80) != 0;
}

static int load_source(const struct opts *o, struct json_object **obj, long long *mtime,
		       struct oa2_err *err)
{
	char origin[PATH_MAX + 16];
	struct oa2_buf b;
	int rc = import_read_file(o->file, "file to import", &b, mtime, err);

	if (rc == OA2_OK && looks_encrypted(&b))
		rc = oa2_err_set(err, OA2_ERR_PARSE, "%s is encrypted (mutt_oauth2.py encrypts its "
				 "token files with gpg); decrypt it straight into the import: gpg "
				 "--decrypt %s | sasl-oauth2 import - %s", o->file, o->file,
				 o->account ? o->account : "ACCOUNT");
	snprintf(origin, sizeof(origin), "%s", strcmp(o->file, "-") ? o->file : "standard input");
	if (rc == OA2_OK)
		rc = oa2_json_parse_object(b.data, b.len, origin, obj, err);
	oa2_buf_clear(&b);
	return rc;
}

static int has(struct json_object *obj, const char *key)
{
	return json_object_object_get_ex(obj, key, NULL);
}

static int detect(struct json_object *obj, const char *file, enum source_format *f,
		  struct oa2_err *err)
{
	if (has(obj, "registration"))
		*f = FORMAT_MUTT;
	else if (has(obj, "version"))
		*f = FORMAT_OURS;
	else if (has(obj, "refresh_token") || has(obj, "access_token"))
		*f = FORMAT_TARICKB;
	else
		return oa2_err_set(err, OA2_ERR_PARSE, "%s is not a token file that sasl-oauth2 "
				   "can import (tarickb/sasl-xoauth2 or mutt_oauth2.py): it has no "
				   "\"refresh_token\"", file);
	return OA2_OK;
}

/* The string member key, or NULL when absent, empty or not a string. */
static const char *get(struct json_object *obj, const char *key)
{
	const char *v;

	if (oa2_json_get_string(obj, key, OA2_TOKEN_FILE_MAX, &v, NULL, "", NULL) != OA2_OK ||
	    v == NULL || v[0] == '\0')
		return NULL;
	return v;
}

static int set(struct json_object *obj, const char *key, const char *val, struct oa2_err *err)
{
	if (oa2_json_set_string(obj, key, val) != 0)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	return OA2_OK;
}

static void set_time(struct json_object *obj, const char *key, long long t)
{
	json_object_object_add(obj, key, json_object_new_int64(t));
}

/* ----- turning it into a version 1 file ------------------------------------- */

/* mutt_oauth2.py's names for the members sasl-oauth2 calls otherwise. */
static int from_mutt(struct json_object *obj, const char *file, struct oa2_err *err)
{
	const char *exp = get(obj, "access_token_expiration");
	long long t = (long long)time(NULL);
	int rc = OA2_OK;

	/* An expiry it never wrote means: refresh before the first use. */
	if (exp != NULL && oa2_parse_iso8601(exp, &t) != 0)
		return oa2_err_set(err, OA2_ERR_PARSE, "%s: \"access_token_expiration\" is not an "
				   "ISO 8601 time such as 2024-05-01T12:34:56.789012", file);
	set_time(obj, "expires_at", t);
	if (get(obj, "email") != NULL && get(obj, "user") == NULL)
		rc = set(obj, "user", get(obj, "email"), err);
	json_object_object_del(obj, "access_token_expiration");
	json_object_object_del(obj, "email");
	return rc;
}

/* tarickb's "expiry" (and our own files) already say it; "0" or none means
 * expired. The reader takes expires_at first; expiry is kept in step. */
static void set_expiry(struct json_object *obj)
{
	long long t = 0;

	if (oa2_json_get_time(obj, "expires_at", &t, "", NULL) == OA2_OK && t != 0)
		return;
	if (oa2_json_get_time(obj, "expiry", &t, "", NULL) != OA2_OK || t == 0)
		t = (long long)time(NULL);
	set_time(obj, "expires_at", t);
}

/* Hosts of the built-in providers' token endpoints, to name a tarickb
 * file's provider. */
static const char *provider_of(const char *token_endpoint)
{
	char host[256];

	if (token_endpoint == NULL || cli_url_host(token_endpoint, host, sizeof(host)) != 0)
		return NULL;
	if (strcmp(host, "oauth2.googleapis.com") == 0 || strcmp(host, "accounts.google.com") == 0)
		return "google";
	if (strcmp(host, "login.microsoftonline.com") == 0)
		return "microsoft";
	return NULL;
}

/* The file's client and way (client_route.h); may_use_config: the
 * config's client may go to the file's token endpoint, then the config's
 * way. */
static void route_for(const struct cli *cli, struct json_object *obj, int may_use_config,
		      struct oa2_route *r, struct oa2_http_opts *o)
{
	struct oa2_file_client file = { get(obj, "client_id"), get(obj, "client_secret"),
					get(obj, "proxy"), get(obj, "ca_bundle_file") };

	oa2_client_route(&cli->cfg, &file, get(obj, "token_endpoint"), may_use_config, r, o);
}

/* The configuration's provider.NAME client goes into the file only
 * together with that provider's own endpoints, and the file's proxy and CA
 * bundle go (the configuration's then apply): once in the file, it is the
 * file's client, sent wherever the file says. */
static int copy_provider_client(const struct opts *o, struct json_object *obj,
				const struct oa2_provider *p, struct oa2_err *err)
{
	static const char *const routes[] = { "proxy", "ca_bundle_file" };
	const char *te = get(obj, "token_endpoint"), *re = get(obj, "revocation_endpoint");
	int rc;

	if ((te != NULL && strcmp(te, p->token_endpoint) != 0) ||
	    (re != NULL && (p->revocation_endpoint == NULL || strcmp(re, p->revocation_endpoint) != 0)))
		cli_warn("%s: its endpoints are replaced by provider %s's, whose client_id the "
			 "configuration gives (the configuration's client goes only to its own "
			 "provider's servers)", o->file, p->name);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (get(obj, routes[i]) != NULL) {
			cli_warn("%s: its \"%s\" is dropped: the configuration's client for %s "
				 "goes only the configuration's way", o->file, routes[i], p->name);
			json_object_object_del(obj, routes[i]);
		}
	rc = set(obj, "token_endpoint", p->token_endpoint, err);
	if (rc == OA2_OK && p->revocation_endpoint != NULL)
		rc = set(obj, "revocation_endpoint", p->revocation_endpoint, err);
	else if (rc == OA2_OK)
		json_object_object_del(obj, "revocation_endpoint");
	if (rc == OA2_OK)
		rc = set(obj, "client_id", p->client_id, err);
	json_object_object_del(obj, "client_secret"); /* a secret without its client */
	if (rc == OA2_OK && p->client_secret != NULL)
		rc = set(obj, "client_secret", p->client_secret, err);
	return rc;
}

/* Names the provider (--provider, mutt's registration, or the token
 * endpoint's host) and fills in what the file lacks from it: token
 * endpoint, scope, and the client the configuration registers for it. */
static int apply_provider(const struct cli *cli, const struct opts *o, enum source_format f,
			  struct json_object *obj, struct oa2_err *err)
{
	const char *name = o->provider;
	struct oa2_provider_request rq;
	struct oa2_http_opts ho;
	struct oa2_provider p;
	struct oa2_route r;
	char ms_tenant[256] = "";
	int rc;

	if (name == NULL && f == FORMAT_MUTT)
		name = get(obj, "registration");
	if (name == NULL)
		name = get(obj, "provider");
	if (name == NULL)
		name = provider_of(get(obj, "token_endpoint"));
	if (name == NULL)
		return OA2_OK; /* the configuration's token_endpoint, if any, applies */
	memset(&rq, 0, sizeof(rq));
	rq.name = name;
	if (strcmp(name, "microsoft") == 0) {
		if (o->tenant != NULL)
			snprintf(ms_tenant, sizeof(ms_tenant), "%s", o->tenant);
		else if (get(obj, "tenant") != NULL)
			snprintf(ms_tenant, sizeof(ms_tenant), "%s", get(obj, "tenant"));
		rq.tenant = ms_tenant[0] ? ms_tenant : NULL;
		rq.cloud = o->cloud;
		/* tarickb/sasl-xoauth2 is Postfix's: its tokens were consented for
		 * sending; record no more than that */
		rq.services = f == FORMAT_TARICKB ? OA2_SERVICE_SMTP
			      : OA2_SERVICE_IMAP | OA2_SERVICE_SMTP | OA2_SERVICE_POP;
	}
	route_for(cli, obj, 0, &r, &ho); /* discovery sends no client */
	rc = oa2_provider_resolve(&cli->cfg, &rq, &ho, &p, err);
	if (rc == OA2_ERR_INVALID && o->provider == NULL) {
		struct oa2_err why = *err;
		return oa2_err_set(err, rc, "%s: %s; name the provider with --provider", o->file,
				   why.msg);
	}
	if (rc != OA2_OK)
		return rc;
	rc = set(obj, "provider", p.name, err);
	/* --tenant and --cloud say where the app lives: they win over the
	 * file's endpoint (often .../common/... for a single-tenant app). */
	if (rc == OA2_OK && (get(obj, "token_endpoint") == NULL || o->tenant || o->cloud))
		rc = set(obj, "token_endpoint", p.token_endpoint, err);
	if (rc == OA2_OK && ms_tenant[0])
		rc = set(obj, "tenant", ms_tenant, err);
	if (rc == OA2_OK && get(obj, "scope") == NULL && p.scope != NULL)
		rc = set(obj, "scope", p.scope, err);
	if (rc == OA2_OK && get(obj, "client_id") == NULL && p.client_id != NULL)
		rc = copy_provider_client(o, obj, &p, err);
	if (f == FORMAT_MUTT)
		json_object_object_del(obj, "registration");
	oa2_provider_clear(&p);
	return rc;
}

/* A file with a refresh token but no access token (tarickb's setup
 * instructions write such files): get the first access token now. */
static int first_access_token(const struct cli *cli, struct json_object *obj,
			      const char *file, const char *account, struct oa2_err *err)
{
	struct oa2_refresh_request rq;
	struct oa2_token_response res;
	struct oa2_http_opts ho;
	struct oa2_route r;
	long long now = (long long)time(NULL);
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.refresh_token = get(obj, "refresh_token");
	rq.token_endpoint = get(obj, "token_endpoint") ? get(obj, "token_endpoint") :
			    cli->cfg.token_endpoint;
	/* The config's client goes only to the config's or a built-in
	 * provider's server, never to an endpoint the imported file names,
	 * and only the config's way (client_route.h). */
	route_for(cli, obj, 1, &r, &ho);
	rq.client_id = r.client_id;
	rq.client_secret = r.client_secret;
	if (rq.refresh_token == NULL)
		return oa2_err_set(err, OA2_ERR_MISSING, "%s has neither an access token nor a "
				   "refresh token: nothing to import", file);
	if (rq.client_id == NULL && cli->cfg.client_id != NULL)
		return oa2_err_set(err, OA2_ERR_MISSING, "%s has no access token, and no client_id "
				   "of its own to get one with: its token_endpoint is not the one "
				   "%s names, so that file's client is not sent there (give "
				   "--client-id)", file, cli->cfg.path ? cli->cfg.path :
				   oa2_config_path());
	if (rq.client_id == NULL || rq.token_endpoint == NULL)
		return oa2_err_set(err, OA2_ERR_MISSING, "%s has no access token, and no %s to get "
				   "one with (give --provider, or set it in %s)", file,
				   rq.client_id == NULL ? "client_id" : "token_endpoint",
				   cli->cfg.path ? cli->cfg.path : oa2_config_path());
	if (cli->cfg_rc != OA2_OK)
		return oa2_err_set(err, cli->cfg_rc, "%s", cli->cfg_err.msg);
	if (ho.ca_blob == NULL && ho.ca_file == NULL)
		return oa2_err_set(err, OA2_ERR_CONFIG, "%s", cli->cfg.ca_error);
	memset(&res, 0, sizeof(res));
	rc = oa2_refresh_exchange(&rq, &ho, account, &res, err);
	if (rc == OA2_OK) {
		rc = set(obj, "access_token", res.access_token, err);
		if (rc == OA2_OK && res.refresh_token != NULL)
			rc = set(obj, "refresh_token", res.refresh_token, err);
		if (rc == OA2_OK && res.scope != NULL)
			rc = set(obj, "scope", res.scope, err);
		set_time(obj, "expires_at", now + (res.expires_in > 0 ? res.expires_in : 3600));
		set_time(obj, "refreshed_at", now);
	}
	oa2_token_response_clear(&res);
	return rc;
}

/* tarickb/sasl-xoauth2 keeps client_id, client_secret and token_endpoint
 * in its own config file when the token file has none. Absent: nothing to
 * take. What the token file has wins, as it does in sasl-xoauth2. */
static int apply_xoauth2_conf(const struct opts *o, struct json_object *obj,
			      struct oa2_err *err)
{
	static const char *const keys[] = { "client_id", "client_secret", "token_endpoint" };
	struct json_object *conf = NULL;
	struct oa2_buf b;
	int rc;

	if (access(o->xoauth2_conf, F_OK) != 0 && errno == ENOENT)
		return OA2_OK;
	rc = import_read_file(o->xoauth2_conf, "sasl-xoauth2 configuration", &b, NULL, err);
	if (rc == OA2_OK)
		rc = oa2_json_parse_object(b.data, b.len, o->xoauth2_conf, &conf, err);
	oa2_buf_clear(&b);
	for (size_t i = 0; rc == OA2_OK && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (get(obj, keys[i]) == NULL && get(conf, keys[i]) != NULL)
			rc = set(obj, keys[i], get(conf, keys[i]), err);
	oa2_json_put_wiped(conf);
	return rc;
}

/* --client-id and --client-secret-file: the app the refresh token was
 * issued to, when the file does not say or says wrong. */
static int apply_client(const struct opts *o, struct json_object *obj, struct oa2_err *err)
{
	char *secret = NULL;
	int rc = OA2_OK;

	if (o->client_id != NULL)
		rc = set(obj, "client_id", o->client_id, err);
	if (rc == OA2_OK && o->secret_file != NULL)
		rc = cli_read_client_secret(o->secret_file, 0, &secret, err);
	if (rc == OA2_OK && secret != NULL)
		rc = set(obj, "client_secret", secret, err);
	oa2_secret_free_str(secret);
	return rc;
}

/* An access token alone lives an hour and cannot be renewed: importing it
 * would make an account that silently dies. */
static int need_refresh_token(const struct opts *o, struct json_object *obj, const char *account,
			      struct oa2_err *err)
{
	if (get(obj, "refresh_token") != NULL || get(obj, "access_token") == NULL)
		return OA2_OK;
	return oa2_err_set(err, OA2_ERR_MISSING, "%s holds an access token but no refresh token: "
			   "sasl-oauth2 could use it only until it expires (about an hour) and "
			   "never renew it, so it is not imported; authorize the account instead: "
			   "sasl-oauth2 authorize %s --provider PROVIDER%s", o->file, account,
			   o->for_postfix ? " --for postfix" : "");
}

/* Everything but the write: the version 1 file in obj. src_mtime is when
 * the other tool last wrote FILE, which it does when it refreshes. */
static int convert(const struct cli *cli, const struct opts *o, enum source_format f,
		   struct json_object *obj, const char *account, long long src_mtime,
		   struct oa2_err *err)
{
	int rc = need_refresh_token(o, obj, account, err);

	json_object_object_add(obj, "version", json_object_new_int(OA2_TOKEN_FILE_VERSION));
	if (rc == OA2_OK && f == FORMAT_MUTT)
		rc = from_mutt(obj, o->file, err);
	else if (rc == OA2_OK)
		set_expiry(obj);
	if (rc == OA2_OK && f == FORMAT_TARICKB)
		rc = apply_xoauth2_conf(o, obj, err);
	if (rc == OA2_OK)
		rc = apply_client(o, obj, err);
	/* The refresh token's age (Microsoft revokes it after 90 days unused)
	 * is the source's, not the import's. */
	if (rc == OA2_OK && src_mtime > 0 && !has(obj, "refreshed_at") &&
	    !has(obj, "authorized_at"))
		set_time(obj, "refreshed_at", src_mtime);
	if (rc == OA2_OK)
		rc = apply_provider(cli, o, f, obj, err);
	if (rc == OA2_OK && get(obj, "access_token") == NULL)
		rc = first_access_token(cli, obj, o->file, account, err);
	return rc;
}

/* ----- writing it ------------------------------------------------------------- */

struct write_job {
	const struct account *acct;
	struct json_object *obj;
	int force;
	struct oa2_err err;   /* sent back */
};

/* As the account's owner (privsep.h): the file is theirs from the start. */
static int write_as_owner(void *ctx)
{
	struct write_job *j = ctx;
	struct stat like;
	int lockfd, rc;

	lockfd = oa2_token_lock(j->acct->path, &j->err);
	if (lockfd < 0)
		return j->err.rc;
	if (!j->force && !cli_account_missing(j->acct)) {
		oa2_token_unlock(lockfd);
		return oa2_err_set(&j->err, OA2_ERR_INVALID, "account %s exists (%s); give --force "
				   "to replace it, or import under another ACCOUNT name",
				   j->acct->name, j->acct->path);
	}
	memset(&like, 0, sizeof(like));
	like.st_mode = S_IFREG | 0600;
	rc = oa2_store_write(j->acct->path, j->obj, &like, &j->err);
	oa2_token_unlock(lockfd);
	return rc;
}

static int write_account(const struct account *acct, struct json_object *obj, int force,
			 struct oa2_err *err)
{
	struct write_job j = { acct, obj, force, { "", OA2_OK } };
	int rc = privsep_make_dir(acct, err);

	return rc != OA2_OK ? rc : privsep_run_rc(acct, write_as_owner, &j, &j.err, err);
}

/* The converted file must read as a token file before it replaces anything. */
static int check(struct json_object *obj, const char *file, struct oa2_err *err)
{
	char origin[PATH_MAX + 64];
	struct oa2_token tok;
	int rc;

	snprintf(origin, sizeof(origin), "%s (converted)", file);
	rc = oa2_token_from_json(obj, origin, &tok, err);
	if (rc == OA2_OK)
		oa2_token_clear(&tok);
	return rc;
}

/* A file that names no client or no token endpoint refreshes with the
 * configuration's; say so when the configuration has none either. */
static void warn_unrefreshable(const struct cli *cli, const struct opts *o,
			       const struct account *acct, struct json_object *obj)
{
	const char *missing = NULL;

	if (get(obj, "client_id") == NULL && cli->cfg.client_id == NULL)
		missing = "client_id";
	else if (get(obj, "token_endpoint") == NULL && cli->cfg.token_endpoint == NULL)
		missing = "token_endpoint";
	if (missing != NULL)
		cli_warn("%s names no %s, nor does %s or %s: refreshes will fail until one is "
			 "set; import again with %s and --force, or set it in %s",
			 o->file, missing, o->xoauth2_conf,
			 cli->cfg.path ? cli->cfg.path : oa2_config_path(),
			 strcmp(missing, "client_id") == 0 ? "--client-id ID" :
			 "--provider P (and --tenant T)",
			 cli->cfg.path ? cli->cfg.path : oa2_config_path());
	(void)acct;
}

static void report(const struct opts *o, enum source_format f, const struct account *acct,
		   struct json_object *obj)
{
	const char *user = get(obj, "user"), *provider = get(obj, "provider");
	long long now = (long long)time(NULL), exp = 0;
	char left[32];

	(void)oa2_json_get_time(obj, "expires_at", &exp, "", NULL);
	oa2_format_span(exp - now, left, sizeof(left));
	cli_say("%s: imported %s (%s) as %s", acct->name,
	        strcmp(o->file, "-") ? o->file : "standard input", format_names[f], acct->path);
	cli_say("%s: user %s, provider %s, access token %s %s%s", acct->name,
	        user ? user : "(none)", provider ? provider : "-",
	        exp > now ? "expires in" : "expired", left,
	        exp > now ? "" : " ago (the first use refreshes it)");
}

/* Without ACCOUNT: the file's user is only a suggestion. Someone else may
 * have written the file, and a name decides where the account is written,
 * so it is printed for the user to confirm, never used. */
static void suggest_name(const struct opts *o, struct json_object *obj, enum source_format f)
{
	const char *user = get(obj, f == FORMAT_MUTT ? "email" : "user");
	char name[256];
	struct oa2_err err;

	if (user != NULL && account_name_check(user, name, sizeof(name), &err) == OA2_OK)
		cli_error("give the ACCOUNT to import %s as; the file is for %s, so perhaps: "
			  "sasl-oauth2 import %s %s%s", o->file, name, o->file, name,
			  o->for_postfix ? " --for postfix" : "");
	else
		cli_error("give the ACCOUNT to import %s as: sasl-oauth2 import %s ACCOUNT%s",
			  o->file, o->file, o->for_postfix ? " --for postfix" : "");
}

/* FILE as Postfix's chrooted smtp client names it (tarickb's sasl_passwd
 * says /etc/tokens/NAME): where nothing is at that path on the host but
 * something is inside the chroot, that is the file, as the plugin reads it. */
static void in_chroot(const struct oa2_config *cfg, struct opts *o, char *buf, size_t n)
{
	struct stat st;

	if (o->file[0] != '/' || stat(o->file, &st) == 0 || errno != ENOENT ||
	    snprintf(buf, n, "%s%s", cfg->chroot_dir, o->file) >= (int)n || stat(buf, &st) != 0)
		return;
	fprintf(stderr, "sasl-oauth2: %s is %s inside Postfix's chroot %s\n", o->file, buf,
		cfg->chroot_dir);
	o->file = buf;
}

static int run(struct cli *cli, int argc, char **argv)
{
	char mapped[PATH_MAX * 2];
	struct json_object *obj = NULL;
	enum source_format f = FORMAT_TARICKB;
	struct account acct;
	struct opts o;
	struct oa2_err err;
	long long src_mtime = 0;
	int rc;

	rc = parse(argc, argv, &o);
	if (rc != CLI_OK || o.help)
		return o.help ? cli_help(&cmd_import) : rc;
	in_chroot(&cli->cfg, &o, mapped, sizeof(mapped));
	rc = load_source(&o, &obj, &src_mtime, &err);
	if (rc == OA2_OK)
		rc = detect(obj, o.file, &f, &err);
	if (rc != OA2_OK) {
		oa2_json_put_wiped(obj);
		cli_error("%s", err.msg);
		return cli_exit_for(rc);
	}
	if (o.account == NULL) {
		suggest_name(&o, obj, f);
		oa2_json_put_wiped(obj);
		return CLI_USAGE;
	}
	rc = cli_resolve(cli, o.account, o.for_postfix, &acct);
	if (rc == CLI_OK) {
		rc = convert(cli, &o, f, obj, acct.name, src_mtime, &err);
		if (rc == OA2_OK)
			rc = check(obj, o.file, &err);
		if (rc == OA2_OK)
			rc = write_account(&acct, obj, o.force, &err);
		if (rc == OA2_OK) {
			report(&o, f, &acct, obj);
			warn_unrefreshable(cli, &o, &acct, obj);
		} else
			cli_error("%s", err.msg);
		rc = cli_exit_for(rc);
	}
	oa2_json_put_wiped(obj);
	return rc;
}

const struct cli_command cmd_import = {
	.name = "import",
	.summary = "import a token file of tarickb/sasl-xoauth2 or mutt_oauth2.py",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 import FILE ACCOUNT [--provider P] [--tenant T] [--cloud C]\n"
	"                          [--client-id ID] [--client-secret-file F]\n"
	"                          [--sasl-xoauth2-conf FILE] [--force] [--for postfix]\n"
	"\n"
	"Writes the tokens in FILE (\"-\": standard input) as a sasl-oauth2 token file\n"
	"(format version 1, see sasl-oauth2(7)) for ACCOUNT. Without ACCOUNT nothing\n"
	"is written: the user named in FILE is printed as a suggestion (a file's\n"
	"contents never choose where an account is written). FILE may be\n"
	"  a tarickb/sasl-xoauth2 token file   refresh_token, access_token, expiry,\n"
	"      user, client_id, client_secret, token_endpoint, proxy, ca_bundle_file,\n"
	"      refresh_window: kept as they are (sasl-oauth2 reads them all); the\n"
	"      client_id, client_secret and token_endpoint it lacks are taken from\n"
	"      sasl-xoauth2's own /etc/sasl-xoauth2.conf when that exists\n"
	"  a mutt_oauth2.py token file, unencrypted   registration (google or\n"
	"      microsoft), email, access_token, access_token_expiration (local time),\n"
	"      refresh_token, client_id, client_secret, tenant; decrypt an encrypted\n"
	"      one into the import: gpg --decrypt FILE | sasl-oauth2 import - ACCOUNT\n"
	"Members sasl-oauth2 does not use are kept. The provider (--provider, else\n"
	"mutt's registration, else the token endpoint's host) is recorded in\n"
	"\"provider\" and fills in what FILE lacks: token_endpoint (google:\n"
	"https://oauth2.googleapis.com/token; microsoft:\n"
	"https://login.microsoftonline.com/TENANT/oauth2/v2.0/token, TENANT from\n"
	"--tenant, the file, or \"common\"), scope, and the client_id and\n"
	"client_secret of a provider.NAME section in sasl-oauth2.conf(5); that\n"
	"client comes only with that provider's endpoints: FILE's token_endpoint\n"
	"and revocation_endpoint are replaced, its proxy and ca_bundle_file\n"
	"dropped (the configuration's apply), each with a warning. A FILE\n"
	"with a refresh token but no access token gets its first access token now.\n"
	"A FILE with an access token and no refresh token is refused: it could\n"
	"never be renewed. FILE's modification time is recorded as the refresh\n"
	"token's last use (\"refreshed_at\"), since the other tool rewrites the file\n"
	"whenever it refreshes.\n"
	"\n"
	"The file is written atomically, mode 0600, owned by the account's owner\n"
	"(the postfix user for --for postfix), in a directory created when missing.\n"
	"FILE itself is left as it is. FILE is read as the owner of its directory\n"
	"(as postfix for tarickb's /var/spool/postfix/etc/tokens), and must be a\n"
	"regular file of that user's with one name, at most 64 KiB: a symbolic\n"
	"link, a FIFO, a device or a directory is refused.\n"
	"\n"
	"Options:\n"
	"  --provider P    google, microsoft, or a provider.P section of the\n"
	"                  configuration (its endpoints win over the built-in ones)\n"
	"  --tenant T      microsoft: the tenant the app is registered in (a\n"
	"                  single-tenant app needs its tenant id or domain, not\n"
	"                  common); replaces the token endpoint FILE names\n"
	"  --cloud C       microsoft: worldwide (default, also GCC), gcc-high (alias\n"
	"                  us), dod or china\n"
	"  --client-id ID  the app the refresh token was issued to (wins over FILE)\n"
	"  --client-secret-file F\n"
	"                  the app's client secret, from the first line of F\n"
	"  --sasl-xoauth2-conf FILE\n"
	"                  sasl-xoauth2's configuration (default /etc/sasl-xoauth2.conf)\n"
	"  --force         replace an existing account\n"
	"  --for postfix   write one of Postfix's accounts (CHROOT/etc/sasl-oauth2)\n"
	"  -h, --help      this help\n"
	"\n"
	"ACCOUNT is a name (NAME.json in the state directory) or a token file path.\n"
	"\n"
	"Exit status:\n"
	"   0  imported\n"
	"   1  ACCOUNT exists (give --force), or another failure\n"
	"   2  bad command line, bad ACCOUNT name, or no ACCOUNT given\n"
	"  65  FILE is malformed, encrypted, not a token file sasl-oauth2 knows, or\n"
	"      has no refresh token\n"
	"  69  FILE had no access token and the provider refused to issue one\n"
	"  70  out of memory\n"
	"  74  FILE could not be read, or the account's directory or file could not\n"
	"      be created or written (nothing was written)\n"
	"  77  FILE is a link, not a regular file, or not its directory owner's\n"
	"  75  FILE had no access token and the provider could not be reached: try\n"
	"      again later\n"
	"  78  the configuration file (or its provider section) is wrong\n",
};
