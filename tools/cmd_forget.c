/*
 * sasl-oauth2 forget: removes an account - its token file and lock - after
 * revoking its refresh token at the provider (RFC 7009) when the provider
 * has a revocation endpoint. The file is removed first, under the lock, so
 * no refresh can write it back; the revocation then works from the copy in
 * memory. A failed revocation is a warning: the account is gone either way.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cmdutil.h"
#include "privsep.h"
#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/client_route.h"
#include "sasl-oauth2/health.h"
#include "sasl-oauth2/http.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/provider.h"
#include "sasl-oauth2/server_error.h"
#include "sasl-oauth2/token_store.h"
#include "sasl-oauth2/token_lock.h"

#define URL_MAX 2048

struct opts {
	const char *account;
	int for_postfix;
	int keep_token;
	int help;
};

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "for", required_argument, NULL, 'F' },
		{ "keep-token", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc = CLI_OK;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while (rc == CLI_OK && (c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case 'F': rc = cli_parse_for(&cmd_forget, optarg, &o->for_postfix); break;
		case 'k': o->keep_token = 1; break;
		case 'h': o->help = 1; return CLI_OK;
		default: return cli_bad_option(&cmd_forget, c, argv);
		}
	}
	if (rc != CLI_OK)
		return rc;
	if (optind != argc - 1)
		return cli_usage_error(&cmd_forget, optind >= argc ? "missing ACCOUNT"
						    : "give one ACCOUNT");
	o->account = argv[optind];
	return CLI_OK;
}

/* The revocation endpoint: the file's "revocation_endpoint", else that of
 * the provider the file names (built in, configured or discovered). */
static int find_endpoint(const struct cli *cli, struct json_object *obj,
			 const struct oa2_http_opts *ho, char *url, size_t n,
			 struct oa2_err *err)
{
	struct oa2_provider_request rq;
	struct oa2_provider p;
	const char *v, *name;
	int rc;

	url[0] = '\0';
	if (oa2_json_get_string(obj, "revocation_endpoint", URL_MAX, &v, NULL, "", NULL) ==
		    OA2_OK && v != NULL && v[0] != '\0') {
		snprintf(url, n, "%s", v);
		return OA2_OK;
	}
	if (oa2_json_get_string(obj, "provider", 256, &name, NULL, "", NULL) != OA2_OK ||
	    name == NULL || name[0] == '\0')
		return OA2_OK;
	memset(&rq, 0, sizeof(rq));
	rq.name = name;
	rc = oa2_provider_resolve(&cli->cfg, &rq, ho, &p, err);
	if (rc != OA2_OK)
		return rc;
	if (p.revocation_endpoint != NULL)
		snprintf(url, n, "%s", p.revocation_endpoint);
	oa2_provider_clear(&p);
	return OA2_OK;
}

/* The file's client and way (client_route.h); may_use_config: the
 * config's client may be sent to url instead, then the config's way. */
static void route_for(const struct cli *cli, const struct oa2_token *tok, const char *url,
		      int may_use_config, struct oa2_route *r, struct oa2_http_opts *o)
{
	struct oa2_file_client file = { tok->client_id, tok->client_secret, tok->proxy,
					tok->ca_bundle_file };

	oa2_client_route(&cli->cfg, &file, url, may_use_config, r, o);
}

/* What a refusal said: "HTTP 400: invalid_request (description)". */
static void describe_refusal(const struct oa2_http_response *resp, char *buf, size_t n)
{
	struct json_object *obj = NULL;
	char error[64] = "", desc[256] = "";
	const char *v;
	size_t len;

	if (resp->body.len > 0 &&
	    oa2_json_parse_object(resp->body.data, resp->body.len, "answer", &obj, NULL) == OA2_OK) {
		if (oa2_json_get_string(obj, "error", 256, &v, &len, "", NULL) == OA2_OK && v)
			oa2_printable(v, len, error, sizeof(error));
		if (oa2_json_get_string(obj, "error_description", 4096, &v, &len, "", NULL) ==
			    OA2_OK && v)
			oa2_printable(v, len, desc, sizeof(desc));
		oa2_json_put_wiped(obj);
	}
	snprintf(buf, n, "HTTP %ld%s%s%s%s%s", resp->status, error[0] ? ": " : "", error,
		 desc[0] ? " (" : "", desc, desc[0] ? ")" : "");
}

/* RFC 7009 section 2.1: POST token, token_type_hint and the client's
 * credentials. Returns OA2_OK when the provider answered 200. */
static int revoke_at(const struct cli *cli, const struct oa2_token *tok, const char *url,
		     struct oa2_err *err)
{
	struct oa2_http_response resp;
	struct oa2_http_opts opts, *ho = &opts;
	struct oa2_route r;
	struct oa2_buf form;
	const char *client_id, *secret;
	char why[512];
	int rc;

	/* The config's client goes only to the config's or a built-in
	 * provider's server, and only the config's way (client_route.h). */
	route_for(cli, tok, url, 1, &r, ho);
	client_id = r.client_id;
	secret = r.client_secret;
	if (ho->ca_blob == NULL && ho->ca_file == NULL)
		return oa2_err_set(err, OA2_ERR_CONFIG, "%s", cli->cfg.ca_error);
	oa2_buf_init(&form, 64 * 1024);
	oa2_form_add(&form, "token", tok->refresh_token);
	oa2_form_add(&form, "token_type_hint", "refresh_token");
	if (client_id != NULL)
		oa2_form_add(&form, "client_id", client_id);
	if (secret != NULL)
		oa2_form_add(&form, "client_secret", secret);
	if (oa2_buf_failed(&form)) {
		oa2_buf_clear(&form);
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	}
	rc = oa2_http_request("revocation endpoint", url, &form, ho, &resp, err);
	oa2_buf_clear(&form);
	if (rc != OA2_OK)
		return rc;
	if (resp.status != 200) {
		describe_refusal(&resp, why, sizeof(why));
		rc = oa2_err_set(err, resp.status >= 500 || resp.status == 429 ?
				 OA2_ERR_TEMPORARY : OA2_ERR_DENIED,
				 "revocation endpoint %s answered %s", url, why);
	}
	oa2_http_response_clear(&resp);
	return rc;
}

/* Revokes the refresh token if there is one and an endpoint for it, and
 * says what happened (a warning when it did not). */
static void revoke_and_report(const struct cli *cli, const struct account *acct,
			      struct json_object *obj, const struct oa2_token *tok)
{
	struct oa2_http_opts ho;
	struct oa2_route r;
	struct oa2_err err;
	char url[URL_MAX + 1];

	if (tok->grant != NULL && strcmp(tok->grant, "refresh_token") != 0) {
		cli_say("%s: an app-only account (%s grant): nothing to revoke; its credential "
		        "files were left in place", acct->name, tok->grant);
		return;
	}
	if (tok->refresh_token == NULL) {
		cli_say("%s: the token file holds no refresh token: nothing to revoke", acct->name);
		return;
	}
	if (cli->cfg_rc != OA2_OK) {
		cli_warn("%s: the refresh token was not revoked: %s; revoke the app's access in "
			 "your account's security settings", acct->name, cli->cfg_err.msg);
		return;
	}
	/* Finding the endpoint sends no client. */
	route_for(cli, tok, NULL, 0, &r, &ho);
	if (find_endpoint(cli, obj, &ho, url, sizeof(url), &err) != OA2_OK) {
		cli_warn("%s: the refresh token was not revoked: %s; revoke the app's access in "
			 "your account's security settings", acct->name, err.msg);
		return;
	}
	if (url[0] == '\0') {
		cli_say("%s: the provider has no revocation endpoint known to sasl-oauth2: the "
		        "refresh token was not revoked (it stays valid until it expires or you "
		        "revoke the app's access in your account's security settings)",
		        acct->name);
		return;
	}
	if (revoke_at(cli, tok, url, &err) != OA2_OK) {
		cli_warn("%s: the refresh token was not revoked: %s; revoke the app's access in "
			 "your account's security settings", acct->name, err.msg);
		return;
	}
	cli_say("%s: revoked the refresh token at %s", acct->name, url);
}

/* The account's directory, opened without following a link: the names
 * are removed through it (unlinkat), so a directory swapped for another
 * after the checks cannot redirect the removal. */
static int open_dir(const struct account *acct)
{
	int dfd = open(acct->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		cli_error("cannot open directory %s: %s; nothing was removed", acct->dir,
			  errno == ELOOP ? "it is a symbolic link" : strerror(errno));
	return dfd;
}

static const char *base_of(const struct account *acct)
{
	const char *slash = strrchr(acct->path, '/');

	return slash ? slash + 1 : acct->path;
}

/* The lock and the state file (sasl-oauth2/health.h) beside the token file. */
static void remove_lock(int dfd, const struct account *acct)
{
	char lock[PATH_MAX + 8], state[PATH_MAX + 8];

	snprintf(lock, sizeof(lock), "%s.lock", base_of(acct));
	if (unlinkat(dfd, lock, 0) != 0 && errno != ENOENT)
		cli_warn("cannot remove the lock file %s.lock: %s", acct->path, strerror(errno));
	if (oa2_health_path(base_of(acct), state, sizeof(state)) == 0 &&
	    unlinkat(dfd, state, 0) != 0 && errno != ENOENT)
		cli_warn("cannot remove the state file %s.state: %s", acct->path, strerror(errno));
}

/* Removes the token file through dfd; when it was read (read non-NULL),
 * only if the name there is still the file that was read. */
static int remove_file(int dfd, const struct account *acct, const struct stat *read)
{
	struct stat there;

	if (read != NULL && (fstatat(dfd, base_of(acct), &there, AT_SYMLINK_NOFOLLOW) != 0 ||
			     there.st_dev != read->st_dev || there.st_ino != read->st_ino)) {
		errno = ESTALE;
		return -1;
	}
	return unlinkat(dfd, base_of(acct), 0);
}

/* Whether the path is an account at all, before anything is created next
 * to it (the lock file): a regular file named NAME.json, or one that reads
 * as a token file. Anything else is refused as it is. */
static int is_account(const struct account *acct)
{
	struct oa2_token tok;
	struct oa2_err err;
	struct stat st;
	size_t n = strlen(acct->path);

	if (lstat(acct->path, &st) != 0 || !S_ISREG(st.st_mode)) {
		cli_error("%s is not a token file (%s); nothing was changed", acct->path,
			  S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ?
			  "a directory" : "not a regular file");
		return 0;
	}
	if (n > 5 && strcmp(acct->path + n - 5, ".json") == 0)
		return 1;
	memset(&tok, 0, sizeof(tok));
	if (oa2_store_load(acct->path, &tok, NULL, &err) != OA2_OK) {
		cli_error("%s does not read as a token file (%s); nothing was changed (a "
			  "token file that is not NAME.json is removed only when it can be read)",
			  acct->path, err.msg);
		return 0;
	}
	oa2_token_clear(&tok);
	return 1;
}

struct job {
	const struct cli *cli;
	const struct account *acct;
	const struct opts *o;
};

/* As the account's owner (privsep.h): the file, its lock and the
 * revocation alike. */
static int forget(void *ctx)
{
	const struct job *j = ctx;
	const struct cli *cli = j->cli;
	const struct account *acct = j->acct;
	const struct opts *o = j->o;
	struct json_object *obj = NULL;
	struct oa2_token tok;
	struct oa2_err err;
	struct stat st;
	int dfd, lockfd, rc;

	if ((dfd = open_dir(acct)) < 0)
		return CLI_IOERR;
	lockfd = oa2_token_lock(acct->path, &err);
	if (lockfd < 0) {
		cli_error("%s; nothing was removed", err.msg);
		close(dfd);
		return CLI_IOERR;
	}
	/* A file that cannot be read is still removed: that is what was asked. */
	rc = oa2_store_read(acct->path, &obj, &tok, &st, &err);
	if (rc != OA2_OK && !o->keep_token)
		cli_warn("%s; the refresh token in it (if any) was not revoked", err.msg);
	if (remove_file(dfd, acct, rc == OA2_OK ? &st : NULL) != 0) {
		cli_error("cannot remove %s: %s; nothing was changed", acct->path,
			  errno == ESTALE ? "it was replaced while it was read" : strerror(errno));
		if (rc == OA2_OK) {
			oa2_token_clear(&tok);
			oa2_json_put_wiped(obj);
		}
		oa2_token_unlock(lockfd);
		close(dfd);
		return CLI_IOERR;
	}
	if (rc == OA2_OK && !o->keep_token)
		revoke_and_report(cli, acct, obj, &tok);
	else if (rc == OA2_OK)
		cli_say("%s: the refresh token was kept (not revoked), as asked", acct->name);
	if (rc == OA2_OK) {
		oa2_token_clear(&tok);
		oa2_json_put_wiped(obj);
	}
	remove_lock(dfd, acct);
	oa2_token_unlock(lockfd);
	close(dfd);
	cli_say("%s: removed %s", acct->name, acct->path);
	return CLI_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct account acct;
	struct opts o;
	struct job j = { cli, &acct, &o };
	char msg[OA2_ERR_MSG_MAX];
	int rc;

	rc = parse(argc, argv, &o);
	if (rc != CLI_OK || o.help)
		return o.help ? cli_help(&cmd_forget) : rc;
	rc = cli_resolve(cli, o.account, o.for_postfix, &acct);
	if (rc != CLI_OK)
		return rc;
	if (cli_account_missing(&acct)) {
		cli_no_account_msg(&cli->cfg, &acct, o.account, msg, sizeof(msg));
		cli_error("%s", msg);
		return CLI_NOACCOUNT;
	}
	if (!is_account(&acct))
		return CLI_DATAERR;
	return privsep_command(&acct, forget, &j, NULL, 0);
}

const struct cli_command cmd_forget = {
	.name = "forget",
	.summary = "revoke an account's refresh token and remove its token file",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 forget ACCOUNT [--keep-token] [--for postfix]\n"
	"\n"
	"Removes ACCOUNT: its token file and the file's lock. First, under the lock,\n"
	"the file is read and removed, so no refresh can write it back; then the\n"
	"refresh token is revoked at the provider (RFC 7009: token, token_type_hint=\n"
	"refresh_token, client_id and client_secret POSTed to the revocation endpoint)\n"
	"when one is known: the file's \"revocation_endpoint\", else the revocation\n"
	"endpoint of the file's \"provider\" (google has one; microsoft has none; a\n"
	"provider.NAME.revocation_endpoint or issuer in sasl-oauth2.conf(5)).\n"
	"\n"
	"A revocation that fails (network, the provider refuses) is a warning: the\n"
	"account is removed anyway, and the message says how to revoke the access\n"
	"by hand. A token file that cannot be read (malformed, unsafe permissions)\n"
	"is removed too, without revocation.\n"
	"\n"
	"Options:\n"
	"  --keep-token    do not revoke the refresh token; only remove the file\n"
	"  --for postfix   ACCOUNT is one of Postfix's (CHROOT/etc/sasl-oauth2)\n"
	"  -h, --help      this help\n"
	"\n"
	"ACCOUNT is a name (NAME.json in the state directory) or a token file path.\n"
	"\n"
	"Exit status:\n"
	"   0  the account was removed (with or without revocation; see the warnings)\n"
	"   2  bad command line or account name\n"
	"  65  ACCOUNT is not a token file (a directory, a link, a file that is\n"
	"      not NAME.json and does not read as a token file): nothing was changed\n"
	"  67  no such account\n"
	"  74  the token file could not be locked or removed (its directory is not\n"
	"      writable): nothing was changed\n",
};
