#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "notify.h"
#include "sasl-oauth2/credfile.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/token_store.h"
#include "sasl-oauth2/token_lock.h"

/* The certificate's notAfter, where the account has one (app-only
 * accounts with a certificate credential); 0 otherwise. */
static long long cert_expiry(const struct oa2_token *tok, const struct oa2_config *cfg,
			     char *path, size_t n)
{
	struct oa2_err err;
	struct tm tm;
	X509 *cert = NULL;
	long long at = 0;

	path[0] = '\0';
	if (tok->certificate_file == NULL)
		return 0;
	snprintf(path, n, "%s", tok->certificate_file);
	if (oa2_cred_certificate(tok->certificate_file, cfg->chroot_dir, &cert, &err) != OA2_OK) {
		ERR_clear_error();
		return 0; /* the renewal reports an unreadable certificate */
	}
	if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
		at = (long long)timegm(&tm);
	X509_free(cert);
	return at;
}

static int read_token(const char *path, const struct oa2_config *cfg, struct acct_health *out,
		      struct oa2_err *err)
{
	struct json_object *obj = NULL;
	struct oa2_token tok;
	int rc;

	rc = oa2_store_read(path, &obj, &tok, NULL, err);
	if (rc != OA2_OK)
		return rc;
	if (oa2_json_get_time(obj, "refreshed_at", &out->refreshed_at, "token file", NULL) != OA2_OK)
		out->refreshed_at = 0;
	oa2_json_put_wiped(obj);
	out->have = 1;
	out->expires_at = tok.expires_at;
	snprintf(out->user, sizeof(out->user), "%s", tok.user ? tok.user : "");
	out->credential_expires_at = cert_expiry(&tok, cfg, out->credential,
						 sizeof(out->credential));
	oa2_token_clear(&tok);
	return OA2_OK;
}

static int state_now(const struct acct_health *ah, const struct oa2_config *cfg)
{
	return oa2_health_state(&ah->h, (long long)time(NULL), cfg->notify_failing_after,
				ah->credential_expires_at, cfg->notify_expiring_within);
}

int acct_health_load(const char *path, const struct oa2_config *cfg, int mark,
		     struct acct_health *out, struct oa2_err *err)
{
	int lockfd, rc;

	memset(out, 0, sizeof(*out));
	rc = read_token(path, cfg, out, err);
	if (rc != OA2_OK)
		return rc;
	if (!mark) {
		rc = oa2_health_read(path, &out->h, err);
		out->state = state_now(out, cfg);
		return rc;
	}
	/* Read, compare and mark in one go: the plugin and other watch runs
	 * write the same file under the same lock. */
	lockfd = oa2_token_lock(path, err);
	if (lockfd < 0)
		return err->rc;
	rc = oa2_health_read(path, &out->h, err);
	out->state = state_now(out, cfg);
	if (rc == OA2_OK && out->state != out->h.announced) {
		out->previous = out->h.announced;
		out->h.announced = out->state;
		out->h.announced_at = (long long)time(NULL);
		rc = oa2_health_write(path, &out->h, err);
		out->announce = rc == OA2_OK;
	}
	oa2_token_unlock(lockfd);
	return rc;
}

const char *acct_health_event(const struct acct_health *ah)
{
	return ah->state == OA2_HEALTH_OK ? "recovered" : oa2_health_state_name(ah->state);
}
