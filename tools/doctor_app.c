/* doctor: an app-only account: its grant, the tenant, and the credential
 * files the plugin reads when it renews the token (mode, owner, the key
 * matching the certificate, the certificate's days left). */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/err.h>

#include "doctor.h"
#include "sasl-oauth2/credfile.h"
#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/sa_key.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/token.h"

#define CERT_WARN_DAYS 30

/* Read as root, a file of another user passes the library's owner rule:
 * the user that renews (postfix, or the token file's owner) must own it. */
static int check_file(struct doctor *d, const struct account *a, const char *path,
		      const char *what)
{
	char fix[2 * PATH_MAX + 64], tmpl[128], uid[16];
	struct stat st;

	/* lstat: the file's owner, not that of what a link points to; the
	 * plugin refuses a link, and a chown through one would hand its target
	 * (a root-only file, say) to the user that renews the token. */
	if (lstat(path, &st) != 0) {
		snprintf(tmpl, sizeof(tmpl), "put the %s back at %%s, or authorize again", what);
		report(d, FAIL, doctor_fix(fix, sizeof(fix), tmpl, path), "%s %s: %m", what, path);
		return -1;
	}
	snprintf(uid, sizeof(uid), "%u", (unsigned)a->owner);
	if (S_ISLNK(st.st_mode)) {
		report(d, FAIL, doctor_fix(fix, sizeof(fix), "chown %s %p", uid, path),
		       "%s %s is a symbolic link: the plugin does not follow it", what, path);
		return -1;
	}
	if (st.st_uid != a->owner) {
		report(d, FAIL, doctor_fix(fix, sizeof(fix), "chown %s %p", uid, path),
		       "%s %s is owned by uid %u, but uid %u renews the token",
		       what, path, (unsigned)st.st_uid, (unsigned)a->owner);
		return -1;
	}
	if (a->for_postfix && strncmp(path, d->cli->cfg.chroot_dir,
				      strlen(d->cli->cfg.chroot_dir)) != 0)
		report(d, FAIL, "move it under CHROOT/etc/sasl-oauth2 and authorize again",
		       "%s %s is outside Postfix's chroot %s: the smtp client cannot read it",
		       what, path, d->cli->cfg.chroot_dir);
	return 0;
}

static void fail_with(struct doctor *d, const struct oa2_err *err, int rc, const char *path)
{
	char fix[2 * PATH_MAX + 64];

	report(d, FAIL, rc == OA2_ERR_UNSAFE ? doctor_fix(fix, sizeof(fix), "chmod 600 %p", path) :
	       "follow the advice in the message", "%s", err->msg);
}

static void check_secret(struct doctor *d, const struct account *a, const char *path)
{
	struct oa2_err err;
	char *secret = NULL;
	int rc;

	if (check_file(d, a, path, "client secret file") != 0)
		return;
	rc = oa2_cred_client_secret(path, NULL, &secret, &err);
	if (rc != OA2_OK)
		fail_with(d, &err, rc, path);
	else
		report(d, OK, NULL, "client secret file: %s (mode 0600, one secret); Microsoft's "
		       "secrets expire (at most 2 years): note the date in the app registration",
		       path);
	oa2_secret_free_str(secret);
}

static void check_certificate(struct doctor *d, const struct account *a, const char *cert_path,
			      const char *key_path)
{
	struct oa2_err err;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	long days;
	int rc;

	if (check_file(d, a, key_path, "private key file") != 0 ||
	    check_file(d, a, cert_path, "certificate file") != 0)
		return;
	rc = oa2_cred_private_key(key_path, NULL, &key, &err);
	if (rc != OA2_OK) {
		fail_with(d, &err, rc, key_path);
		return;
	}
	rc = oa2_cred_certificate(cert_path, NULL, &cert, &err);
	if (rc != OA2_OK) {
		report(d, FAIL, "give the certificate uploaded to the app registration", "%s",
		       err.msg);
	} else if (X509_check_private_key(cert, key) != 1) {
		report(d, FAIL, "give the certificate made with this key (sasl-oauth2 keygen "
		       "makes both), and upload it to the app registration",
		       "certificate: %s does not belong to private key %s", cert_path, key_path);
	} else {
		report(d, OK, NULL, "certificate: %s belongs to private key %s", cert_path,
		       key_path);
		days = oa2_cred_cert_days_left(cert);
		if (days < 0)
			report(d, FAIL, "make a new pair (sasl-oauth2 keygen), upload the certificate "
			       "and authorize again", "certificate: %s expired %ld days ago",
			       cert_path, -days);
		else if (days < CERT_WARN_DAYS)
			report(d, WARN, "make a new pair now (sasl-oauth2 keygen), upload the "
			       "certificate and authorize again with it",
			       "certificate: %s expires in %ld days", cert_path, days);
		else
			report(d, OK, NULL, "certificate: valid for %ld more days", days);
	}
	ERR_clear_error();
	EVP_PKEY_free(key);
	X509_free(cert);
}

static void check_service_account(struct doctor *d, const struct account *a, const char *path)
{
	struct oa2_sa_key k;
	struct oa2_err err;
	int rc;

	if (check_file(d, a, path, "service account key file") != 0)
		return;
	rc = oa2_sa_key_load(path, NULL, &k, &err);
	if (rc != OA2_OK) {
		fail_with(d, &err, rc, path);
		return;
	}
	report(d, OK, NULL, "service account: %s (client id %s); domain-wide delegation must "
	       "grant it the file's scope", k.client_email, k.client_id ? k.client_id : "?");
	oa2_sa_key_clear(&k);
}

void doctor_check_app(struct doctor *d, const struct account *a, const struct oa2_token *tok)
{
	const struct oa2_grant_kind *k = oa2_grant_kind_of(tok);
	const char *missing = k->missing(tok, &d->cli->cfg);
	static const char *const multi[] = { "/common/", "/organizations/", "/consumers/" };

	report(d, OK, NULL, "grant: %s (app-only, no refresh token to expire)", k->name);
	if (missing != NULL)
		return; /* doctor_token.c's refresh check names what is missing */
	for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++)
		if (strstr(tok->token_endpoint, multi[i]) != NULL)
			report(d, FAIL, "authorize again with --tenant YOUR-TENANT-ID",
			       "tenant: %s names no tenant (%.*s): app-only tokens need a "
			       "specific tenant", tok->token_endpoint,
			       (int)strlen(multi[i]) - 2, multi[i] + 1);
	if (tok->client_secret_file != NULL)
		check_secret(d, a, tok->client_secret_file);
	else if (tok->certificate_file != NULL)
		check_certificate(d, a, tok->certificate_file, tok->private_key_file);
	if (tok->service_account_file != NULL)
		check_service_account(d, a, tok->service_account_file);
}
