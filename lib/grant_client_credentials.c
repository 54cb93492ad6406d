/*
 * The client credentials grant (RFC 6749 4.4): Microsoft 365 app-only
 * access. The client authenticates with the secret in client_secret_file
 * (client_secret_post), or with a JWT assertion signed by private_key_file
 * (RFC 7523 private_key_jwt; Microsoft's "certificate credentials": claims
 * aud = token endpoint, iss = sub = client id, jti, nbf, iat, exp; header
 * x5t and x5t#S256, the certificate's SHA-1 and SHA-256 thumbprints).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "sasl-oauth2/cloud.h"
#include "sasl-oauth2/credfile.h"
#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/jwt_sign.h"
#include "sasl-oauth2/secret.h"

/* Short-lived: the assertion is a credential until it expires. */
#define ASSERTION_LIFETIME 300

static const char *missing(const struct oa2_token *tok, const struct oa2_config *cfg)
{
	(void)cfg;
	if (tok->token_endpoint == NULL)
		return "\"token_endpoint\"";
	if (tok->client_id == NULL)
		return "\"client_id\"";
	if (tok->scope == NULL)
		return "\"scope\"";
	if (tok->client_secret_file == NULL &&
	    (tok->certificate_file == NULL || tok->private_key_file == NULL))
		return "\"client_secret_file\", nor \"certificate_file\" and \"private_key_file\"";
	return NULL;
}

int oa2_grant_client_assertion(const char *alg, const char *client_id, const char *audience,
			       const char *key_path, const char *cert_path,
			       const char *chroot_dir, char **out, struct oa2_err *err)
{
	struct json_object *h = NULL, *c = NULL;
	char s256[OA2_X5T_S256_LEN + 1], s1[28], hex[41], jti[32];
	long long now = (long long)time(NULL);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc;

	*out = NULL;
	rc = oa2_cred_key_and_cert(key_path, cert_path, chroot_dir, &key, &cert, err);
	if (rc == OA2_OK)
		rc = oa2_jwt_x5t_s256(cert, s256, err);
	if (rc == OA2_OK)
		rc = oa2_jwt_x5t_sha1(cert, s1, hex, err);
	if (rc == OA2_OK)
		rc = oa2_jwt_jti(jti, err);
	if (rc == OA2_OK) {
		h = json_object_new_object();
		c = json_object_new_object();
		if (h == NULL || c == NULL)
			rc = oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	}
	if (rc == OA2_OK) {
		json_object_object_add(h, "x5t", json_object_new_string(s1));
		json_object_object_add(h, "x5t#S256", json_object_new_string(s256));
		json_object_object_add(c, "aud", json_object_new_string(audience));
		json_object_object_add(c, "iss", json_object_new_string(client_id));
		json_object_object_add(c, "sub", json_object_new_string(client_id));
		json_object_object_add(c, "jti", json_object_new_string(jti));
		json_object_object_add(c, "nbf", json_object_new_int64(now));
		json_object_object_add(c, "iat", json_object_new_int64(now));
		json_object_object_add(c, "exp", json_object_new_int64(now + ASSERTION_LIFETIME));
		rc = oa2_jwt_sign(alg, h, c, key, out, err);
	}
	json_object_put(h);
	json_object_put(c);
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc;
}

static int renew(const struct oa2_grant_ctx *c, struct oa2_token_response *res,
		 struct oa2_err *err)
{
	const struct oa2_token *t = c->tok;
	const char *chroot = c->cfg->chroot_dir;
	char *secret = NULL, *assertion = NULL;
	struct oa2_buf form;
	int rc;

	if (t->client_secret_file != NULL)
		rc = oa2_cred_client_secret(t->client_secret_file, chroot, &secret, err);
	else
		rc = oa2_grant_client_assertion(t->assertion_alg, t->client_id, t->token_endpoint,
						t->private_key_file, t->certificate_file, chroot,
						&assertion, err);
	if (rc != OA2_OK)
		return rc;
	oa2_buf_init(&form, 64 * 1024);
	oa2_form_add(&form, "grant_type", "client_credentials");
	oa2_form_add(&form, "scope", t->scope);
	if (assertion != NULL) {
		oa2_form_add(&form, "client_assertion_type",
			     "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
		oa2_form_add(&form, "client_assertion", assertion);
	}
	rc = oa2_token_endpoint_post(t->token_endpoint, &form, t->client_id, secret, c->http, c->account,
				     res, err);
	oa2_secret_free_str(secret);
	oa2_secret_free_str(assertion);
	return rc;
}

/* AADSTS1002012: the cloud's own scope, named from the file's endpoint. */
static const char *wrong_scope(const struct oa2_token *tok, char *buf, size_t n)
{
	char scopes[256];
	int w;

	oa2_microsoft_app_scope_words(tok ? tok->token_endpoint : NULL, tok ? tok->scope : NULL,
				      scopes, sizeof(scopes));
	w = snprintf(buf, n, "the scope is wrong for app-only access: the client credentials "
		     "grant takes only the cloud's Exchange Online resource with /.default: %s",
		     scopes);
	return w > 0 && (size_t)w < n ? buf : "the scope is wrong for app-only access: it "
					      "must be the cloud's RESOURCE/.default";
}

/* Microsoft's words for the refusals an app-only setup meets (Microsoft
 * Entra "authentication and authorization error codes"). */
static const char *explain(const struct oa2_token *tok, const char *error,
			   const char *description, char *buf, size_t n)
{
	static const struct oa2_error_words codes[] = {
		{ "AADSTS700027", "the client assertion did not verify: upload the certificate "
				  "made with this private key to the app registration "
				  "(Certificates & secrets), and check the clock" },
		{ "AADSTS700024", "the client assertion is outside its valid time: this host's "
				  "clock is wrong (check NTP)" },
		{ "AADSTS7000215", "the client secret is wrong: put the secret's Value (not its "
				   "ID) in the client secret file" },
		{ "AADSTS7000222", "the client secret expired: create a new one under "
				   "Certificates & secrets and put it in the client secret file" },
		{ "AADSTS700016", "the application is not in this tenant: check the client id and "
				  "--tenant, and that an admin consented to its permissions" },
	};
	const char *words;

	if (strstr(description, "AADSTS1002012") != NULL)
		return wrong_scope(tok, buf, n);
	words = oa2_error_words_find(codes, sizeof(codes) / sizeof(codes[0]),
						 description);

	if (words != NULL)
		return words;
	if (strcmp(error, "invalid_client") == 0)
		return "the token endpoint did not accept the client's credentials (secret or "
		       "certificate)";
	if (strcmp(error, "unauthorized_client") == 0)
		return "the app may not use the client credentials grant: grant it the "
		       "application permissions and admin consent";
	return NULL;
}

const struct oa2_grant_kind oa2_grant_client_credentials = {
	.name = "client_credentials",
	.title = "client credentials grant",
	.missing = missing,
	.renew = renew,
	.explain = explain,
	.redo = OA2_REMEDY_DOCTOR,
};
