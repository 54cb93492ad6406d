/*
 * The JWT bearer grant (RFC 7523 2.1) as Google's service accounts use it
 * with domain-wide delegation: an assertion signed by the service account's
 * key, iss = its client_email, sub = the mailbox, scope, aud = the token
 * endpoint, exp at most an hour after iat. No client authentication.
 */
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/jwt_sign.h"
#include "sasl-oauth2/sa_key.h"
#include "sasl-oauth2/secret.h"

#define ASSERTION_LIFETIME 3600 /* Google's maximum */

static const char *missing(const struct oa2_token *tok, const struct oa2_config *cfg)
{
	(void)cfg;
	if (tok->service_account_file == NULL)
		return "\"service_account_file\"";
	if (tok->user == NULL)
		return "\"user\" (the mailbox to act for)";
	if (tok->token_endpoint == NULL)
		return "\"token_endpoint\"";
	if (tok->scope == NULL)
		return "\"scope\"";
	return NULL;
}

int oa2_grant_sa_assertion(const char *sa_path, const char *chroot_dir, const char *user,
			   const char *scope, const char *audience, char **out,
			   struct oa2_err *err)
{
	struct json_object *h = NULL, *c = NULL;
	long long now = (long long)time(NULL);
	struct oa2_sa_key k;
	int rc;

	*out = NULL;
	rc = oa2_sa_key_load(sa_path, chroot_dir, &k, err);
	if (rc != OA2_OK)
		return rc;
	h = json_object_new_object();
	c = json_object_new_object();
	if (h == NULL || c == NULL) {
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	} else {
		if (k.private_key_id != NULL)
			json_object_object_add(h, "kid", json_object_new_string(k.private_key_id));
		json_object_object_add(c, "iss", json_object_new_string(k.client_email));
		json_object_object_add(c, "sub", json_object_new_string(user));
		json_object_object_add(c, "scope", json_object_new_string(scope));
		json_object_object_add(c, "aud", json_object_new_string(audience));
		json_object_object_add(c, "iat", json_object_new_int64(now));
		json_object_object_add(c, "exp", json_object_new_int64(now + ASSERTION_LIFETIME));
		rc = oa2_jwt_sign("RS256", h, c, k.key, out, err);
	}
	json_object_put(h);
	json_object_put(c);
	oa2_sa_key_clear(&k);
	return rc;
}

static int renew(const struct oa2_grant_ctx *c, struct oa2_token_response *res,
		 struct oa2_err *err)
{
	const struct oa2_token *t = c->tok;
	char *assertion = NULL;
	struct oa2_buf form;
	int rc;

	rc = oa2_grant_sa_assertion(t->service_account_file, c->cfg->chroot_dir, t->user,
				    t->scope, t->token_endpoint, &assertion, err);
	if (rc != OA2_OK)
		return rc;
	oa2_buf_init(&form, 64 * 1024);
	oa2_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
	oa2_form_add(&form, "assertion", assertion);
	oa2_secret_free_str(assertion);
	/* The assertion is the client's proof: no client_id, no secret. */
	return oa2_token_endpoint_post(t->token_endpoint, &form, NULL, NULL, c->http, c->account, res,
				       err);
}

/* Google says little in its codes; the descriptions tell the cases apart.
 * Causes as Google's error table for service accounts lists them ("Using
 * OAuth 2.0 for Server to Server Applications", Error codes). */
static const char *explain(const struct oa2_token *tok, const char *error,
			   const char *description, char *buf, size_t n)
{
	static const struct oa2_error_words texts[] = {
		{ "timeframe", "the assertion's times were refused: this host's clock is off "
			       "(check NTP)" },
		{ "iat and exp", "the assertion's times were refused: this host's clock is off "
				 "(check NTP)" },
		{ "Signature", "the key is not (or no longer) one of the service account's: it "
			       "was deleted, disabled or has expired; create a new JSON key" },
		{ "email or User ID", "the mailbox (\"user\") is not a user of the Workspace "
				      "domain" },
	};
	const char *words;

	(void)tok;
	(void)buf;
	(void)n;
	if (strcmp(error, "unauthorized_client") == 0)
		return "domain-wide delegation is not granted: in the Google Admin console "
		       "(Security > Access and data control > API controls > Domain-wide "
		       "delegation) add the service account's numeric client id (the key "
		       "file's client_id, not its e-mail address) with the scope "
		       "https://mail.google.com/; a new delegation can take up to 24 hours "
		       "to apply";
	if (strcmp(error, "access_denied") == 0)
		return "the scope is not in the service account's domain-wide delegation: add "
		       "https://mail.google.com/ to its client id in the Google Admin console "
		       "(API controls > Domain-wide delegation); changes can take up to 24 hours";
	if (strcmp(error, "disabled_client") == 0)
		return "the service account or the key that signed the assertion is disabled: "
		       "enable it in the Cloud console (IAM & Admin > Service accounts), or "
		       "create a new JSON key";
	if (strcmp(error, "invalid_grant") != 0)
		return NULL;
	words = oa2_error_words_find(texts, sizeof(texts) / sizeof(texts[0]), description);
	return words != NULL ? words : "the assertion was refused: check the key file, the "
				       "mailbox and this host's clock";
}

const struct oa2_grant_kind oa2_grant_jwt_bearer = {
	.name = "jwt_bearer",
	.title = "JWT bearer grant (service account)",
	.missing = missing,
	.renew = renew,
	.explain = explain,
	.redo = OA2_REMEDY_DOCTOR,
};
