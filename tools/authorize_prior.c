/*
 * `sasl-oauth2 authorize ACCOUNT` on an account that exists: what its token
 * file says about how it was authorized (provider, tenant and cloud,
 * client id and secret, services, mailbox, and whether it is Postfix's),
 * so the re-authorize advice every other command prints runs as printed.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/provider.h"
#include "sasl-oauth2/token_store.h"

#include "authorize.h"
#include "privsep.h"

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The account's file: as named, else (for a name without --for) the
 * Postfix account of that name when only that one exists. */
static int locate(const struct cli *cli, const char *arg, int for_postfix, struct account *acct,
		  struct oa2_err *err)
{
	struct account pf;
	char dir[PATH_MAX];
	int rc = account_resolve(arg, for_postfix, &cli->cfg, acct, err);

	if (rc != OA2_OK || for_postfix)
		return rc;
	if (strchr(arg, '/') != NULL) {
		/* A path into Postfix's directory gets Postfix's owner. */
		snprintf(dir, sizeof(dir), "%s/etc/sasl-oauth2", cli->cfg.chroot_dir);
		if (strcmp(acct->dir, dir) == 0)
			return account_resolve(arg, 1, &cli->cfg, acct, err);
		return OA2_OK;
	}
	if (!exists(acct->path) && account_resolve(arg, 1, &cli->cfg, &pf, NULL) == OA2_OK &&
	    exists(pf.path))
		*acct = pf;
	return OA2_OK;
}

static void copy_member(struct json_object *obj, const char *key, char *buf, size_t n)
{
	const char *v = NULL;
	size_t len = 0;

	buf[0] = '\0';
	if (oa2_json_get_string(obj, key, n - 1, &v, &len, "", NULL) == OA2_OK && v != NULL &&
	    oa2_chars_visible(v, len))
		snprintf(buf, n, "%.*s", (int)len, v);
}

/* Reads the token file at job->path into job->out (as the file's owner:
 * privsep_run). */
struct read_job {
	const char *path;
	struct read_out {
		struct authorize_prior p;
		struct oa2_err err;
	} out;
};

static int read_prior(void *ctx)
{
	struct read_job *job = ctx;
	struct authorize_prior *p = &job->out.p;
	struct json_object *obj = NULL;
	struct oa2_token tok;
	const char *cloud;
	unsigned sv;
	int rc;

	memset(&tok, 0, sizeof(tok));
	rc = oa2_store_read(job->path, &obj, &tok, NULL, &job->out.err);
	if (rc != OA2_OK)
		return rc;
	p->found = 1;
	copy_member(obj, "provider", p->provider, sizeof(p->provider));
	copy_member(obj, "user", p->user, sizeof(p->user));
	copy_member(obj, "client_id", p->client_id, sizeof(p->client_id));
	if (tok.client_secret != NULL && strlen(tok.client_secret) < sizeof(p->client_secret))
		snprintf(p->client_secret, sizeof(p->client_secret), "%s", tok.client_secret);
	if (strcasecmp(p->provider, "microsoft") == 0 && tok.token_endpoint != NULL &&
	    oa2_microsoft_endpoint_parts(tok.token_endpoint, tok.scope, p->tenant,
					 sizeof(p->tenant), &cloud) == 0) {
		/* a static name: the same pointer in the parent after fork */
		p->cloud = cloud;
		if (strcmp(p->tenant, "common") == 0)
			p->tenant[0] = '\0';
	}
	sv = oa2_services_from_scope(tok.scope);
	snprintf(p->services, sizeof(p->services), "%s%s%s",
		 sv & OA2_SERVICE_IMAP ? ",imap" : "", sv & OA2_SERVICE_SMTP ? ",smtp" : "",
		 sv & OA2_SERVICE_POP ? ",pop" : "");
	if (p->services[0] == ',')
		memmove(p->services, p->services + 1, strlen(p->services));
	oa2_token_clear(&tok);
	oa2_json_put_wiped(obj);
	return OA2_OK;
}

int authorize_prior_read(const struct cli *cli, const char *arg, int for_postfix,
			 struct account *acct, struct authorize_prior *p, struct oa2_err *err)
{
	struct read_job job;
	struct account own;
	const struct account *from = acct;
	int rc, result;

	memset(p, 0, sizeof(*p));
	rc = locate(cli, arg, for_postfix, acct, err);
	if (rc != OA2_OK)
		return rc;
	/* `authorize NAME --for postfix` for a NAME that so far exists only
	 * as the caller's own account: Postfix's copy is signed in the same
	 * way (the advice authorize prints for Postfix). */
	if (!exists(acct->path) && for_postfix && strchr(arg, '/') == NULL &&
	    account_resolve(arg, 0, &cli->cfg, &own, NULL) == OA2_OK && exists(own.path))
		from = &own;
	if (!exists(from->path))
		return OA2_OK;
	memset(&job, 0, sizeof(job));
	job.path = from->path;
	rc = privsep_run(from, read_prior, &job, &job.out, sizeof(job.out), &result, err);
	if (rc == OA2_OK && result != OA2_OK) {
		*err = job.out.err;
		rc = result;
	}
	if (rc == OA2_OK)
		*p = job.out.p;
	OPENSSL_cleanse(&job.out, sizeof(job.out));
	return rc;
}

void authorize_prior_clear(struct authorize_prior *p)
{
	OPENSSL_cleanse(p, sizeof(*p));
}
