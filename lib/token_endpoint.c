#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/remedy.h"
#include "sasl-oauth2/token_endpoint.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/server_error.h"
#include "sasl-oauth2/token.h"

/* Microsoft puts the reason in an AADSTS code; these are the ones a mail
 * admin meets with delegated (user) tokens (Microsoft Entra
 * "authentication and authorization error codes"), in words that say what
 * to do. */
static const struct oa2_error_words aadsts[] = {
	{ "AADSTS700082", "the refresh token expired after 90 days without use: authorize "
			  "the account again" },
	{ "AADSTS50076", "the tenant now requires multi-factor authentication: authorize "
			 "the account again and complete it" },
	{ "AADSTS50078", "the multi-factor authentication expired under the tenant's "
			 "policy: authorize the account again" },
	{ "AADSTS50079", "the user must enrol in multi-factor authentication" },
	{ "AADSTS70043", "a Conditional Access sign-in frequency policy ended the session: "
			 "authorize the account again (ask the tenant admin about the policy "
			 "for unattended use)" },
	{ "AADSTS53003", "a Conditional Access policy blocks this sign-in: ask the tenant "
			 "admin which policy (Entra sign-in logs) and to exempt this app or "
			 "host" },
	{ "AADSTS530035", "the tenant's security defaults block this sign-in: ask the "
			  "tenant admin" },
	{ "AADSTS7000218", "the app registration treats this client as confidential: give "
			   "its client secret, or for the device flow turn on \"Allow public "
			   "client flows\" (Authentication page); the browser flow needs a "
			   "\"Mobile and desktop applications\" redirect URI instead of a Web one" },
	{ "AADSTS7000215", "the client secret is wrong: use the secret's Value, not its "
			   "Secret ID, or create a new one under \"Certificates & secrets\"" },
	{ "AADSTS7000222", "the client secret expired: create a new one under "
			   "\"Certificates & secrets\"" },
	{ "AADSTS700025", "the app is a public client, so it must not send a client secret: "
			  "remove client_secret" },
	{ "AADSTS9002332", "the app is registered for work or school accounts only, and "
			   "/consumers (Outlook.com) cannot use it: use --tenant organizations "
			   "or your tenant, or let the app registration take personal accounts" },
	{ "AADSTS65001", "the user or an administrator has not consented to the app's "
			 "permissions" },
	{ "AADSTS50173", "the refresh token was revoked, e.g. after a password change: "
			 "authorize the account again" },
	{ "AADSTS70000", "the grant is not valid (InvalidGrant): it was revoked, its scopes "
			 "changed, or it belongs to another app: authorize the account again" },
	/* "Tenant not found": also what a national-cloud tenant gets from the
	 * worldwide sign-in host (Microsoft Learn, "National clouds"). */
	{ "AADSTS90002", "the tenant was not found: check --tenant, and --cloud (a GCC High, "
			 "DoD or 21Vianet tenant exists only on its own cloud's sign-in host)" },
	/* Microsoft Learn, "Unexpected error when performing consent to an
	 * application": the user sees "Need admin approval". */
	{ "AADSTS90094", "the app needs an administrator's consent (\"Need admin approval\"): "
			 "an administrator opens the app registration, API permissions, and "
			 "clicks \"Grant admin consent\" for the tenant; then authorize again" },
};

const char *oa2_error_words_find(const struct oa2_error_words *t, size_t n,
				 const char *description)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(t[i].code);
		const char *hit = strstr(description, t[i].code);
		/* AADSTS7000 must not match AADSTS70002 */
		if (hit != NULL && (hit[len] < '0' || hit[len] > '9'))
			return t[i].words;
	}
	return NULL;
}

const char *oa2_token_error_explain(const char *error, const char *description)
{
	const char *words = oa2_error_words_find(aadsts, sizeof(aadsts) / sizeof(aadsts[0]),
						 description);

	if (words != NULL)
		return words;
	if (strcmp(error, "invalid_grant") == 0)
		return "the refresh token is expired, revoked or was already used";
	if (strcmp(error, "invalid_client") == 0 || strcmp(error, "unauthorized_client") == 0)
		return "the client id or client secret is wrong, or the client may not use "
		       "this grant";
	if (strcmp(error, "interaction_required") == 0 || strcmp(error, "consent_required") == 0)
		return "the provider needs the user to sign in again interactively";
	if (strcmp(error, "invalid_scope") == 0)
		return "the requested scope is not allowed for this client";
	/* Google, "Using OAuth 2.0 to Access Google APIs", Refresh token
	 * expiration: an admin set a service the scopes name to Restricted. */
	if (strcmp(error, "admin_policy_enforced") == 0)
		return "the Google Workspace administrator restricted Gmail for third-party apps "
		       "(Admin console, Security, API controls): ask them to trust this app's "
		       "client ID";
	return NULL;
}

static int is_google(const char *endpoint)
{
	return strncasecmp(endpoint, "https://oauth2.googleapis.com/", 30) == 0 ||
	       strncasecmp(endpoint, "https://accounts.google.com/", 28) == 0;
}

static const char *explain(const char *endpoint, const char *error, const char *description)
{
	const char *words = oa2_token_error_explain(error, description);

	/* Google ends the refresh tokens of an External app in "Testing" 7 days
	 * after consent (same page): the likeliest cause by far. */
	if (strcmp(error, "invalid_grant") == 0 && is_google(endpoint))
		return "the refresh token expired or was revoked; if the Google Cloud app is "
		       "in Testing, Google ends its refresh tokens 7 days after consent: "
		       "publish it (Google Auth Platform, Audience, Publish app: In production) "
		       "before authorizing again";
	return words != NULL ? words : "the token endpoint refused the refresh";
}

static int parse_error_body(const char *body, size_t len, struct oa2_token_response *res)
{
	struct json_object *obj;

	if (len == 0 || oa2_json_parse_object(body, len, "token endpoint answer", &obj, NULL) != OA2_OK)
		return -1;
	oa2_json_printable_field(obj, "error", res->error, sizeof(res->error));
	oa2_json_printable_field(obj, "error_description", res->description, sizeof(res->description));
	oa2_json_put_wiped(obj);
	return res->error[0] ? 0 : -1;
}

static int take(struct json_object *obj, const char *key, char **dst, const char *endpoint,
		struct oa2_err *err)
{
	const char *v;
	size_t n;
	char origin[300];

	snprintf(origin, sizeof(origin), "token endpoint %.256s answer", endpoint);
	if (oa2_json_get_string(obj, key, OA2_ACCESS_TOKEN_MAX, &v, &n, origin, err) != OA2_OK)
		return OA2_ERR_PARSE;
	if (v == NULL || n == 0)
		return OA2_OK;
	if (!oa2_chars_printable(v, n))
		return oa2_err_set(err, OA2_ERR_PARSE, "%s: field \"%s\" contains control "
				   "characters", origin, key);
	*dst = oa2_secret_strndup(v, n);
	return *dst != NULL ? OA2_OK : oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
}

int oa2_token_endpoint_parse(long status, const char *body, size_t len,
			     const char *endpoint, const char *account,
			     struct oa2_token_response *res, struct oa2_err *err)
{
	struct json_object *obj = NULL, *m;
	char shown[96];
	int rc;

	memset(res, 0, sizeof(*res));
	res->status = status;
	if (status == 408 || status == 429 || status >= 500) {
		parse_error_body(body, len, res);
		return oa2_err_set(err, OA2_ERR_TEMPORARY,
				   "token endpoint %s answered HTTP %ld%s%s (temporary; will retry, "
				   "nothing discarded)", endpoint, status,
				   res->error[0] ? ": " : "", res->error);
	}
	if (status != 200) {
		if (parse_error_body(body, len, res) == 0)
			return oa2_err_set(err, OA2_ERR_DENIED,
					   "token endpoint %s refused the refresh (HTTP %ld, %s: %s): "
					   "%s; authorize again with: %s %s",
					   endpoint, status, res->error,
					   res->description[0] ? res->description : "no description",
					   explain(endpoint, res->error, res->description),
					   oa2_remedy_command(OA2_REMEDY_AUTHORIZE), account);
		oa2_printable(body, len, shown, sizeof(shown));
		return oa2_err_set(err, OA2_ERR_TEMPORARY,
				   "token endpoint %s answered HTTP %ld without an OAuth error "
				   "(\"%s\"); check token_endpoint", endpoint, status, shown);
	}
	if (oa2_json_parse_object(body, len, "token endpoint answer", &obj, NULL) != OA2_OK) {
		oa2_printable(body, len, shown, sizeof(shown));
		return oa2_err_set(err, OA2_ERR_PARSE,
				   "token endpoint %s answered 200 but not with JSON (\"%s\"); "
				   "check token_endpoint (nothing discarded)", endpoint, shown);
	}
	rc = take(obj, "access_token", &res->access_token, endpoint, err);
	if (rc == OA2_OK)
		rc = take(obj, "refresh_token", &res->refresh_token, endpoint, err);
	if (rc == OA2_OK)
		rc = take(obj, "scope", &res->scope, endpoint, err);
	if (rc == OA2_OK)
		rc = take(obj, "id_token", &res->id_token, endpoint, err);
	if (rc == OA2_OK && res->access_token == NULL)
		rc = oa2_err_set(err, OA2_ERR_PARSE,
				 "token endpoint %s answered 200 without \"access_token\" "
				 "(nothing discarded)", endpoint);
	if (rc == OA2_OK && json_object_object_get_ex(obj, "expires_in", &m)) {
		/* Some providers send it as a string. */
		if (oa2_json_get_time(obj, "expires_in", &res->expires_in, "token endpoint answer",
				      err) != OA2_OK || res->expires_in > 10LL * 365 * 86400)
			rc = oa2_err_set(err, OA2_ERR_PARSE, "token endpoint %s: \"expires_in\" is "
					 "not a valid number of seconds", endpoint);
	}
	oa2_json_put_wiped(obj);
	if (rc != OA2_OK) {
		oa2_token_response_clear(res);
		res->status = status;
	}
	return rc;
}

int oa2_token_endpoint_post(const char *endpoint, struct oa2_buf *form, const char *client_id,
			    const char *client_secret, const struct oa2_http_opts *o,
			    const char *account, struct oa2_token_response *res,
			    struct oa2_err *err)
{
	struct oa2_http_response resp;
	int rc;

	memset(res, 0, sizeof(*res));
	if (client_id != NULL) /* NULL: the form carries its own proof (RFC 7523) */
		oa2_form_add(form, "client_id", client_id);
	if (client_secret != NULL)
		oa2_form_add(form, "client_secret", client_secret);
	if (oa2_buf_failed(form)) {
		oa2_buf_clear(form);
		return oa2_err_set(err, OA2_ERR_NOMEM, "cannot build the token request");
	}
	rc = oa2_http_post_form(endpoint, form, o, &resp, err);
	oa2_buf_clear(form);
	if (rc == OA2_ERR_TOOBIG)
		return OA2_ERR_TEMPORARY; /* a broken proxy or server: try again later */
	if (rc != OA2_OK)
		return rc;
	rc = oa2_token_endpoint_parse(resp.status, resp.body.data ? resp.body.data : "",
				      resp.body.len, endpoint, account, res, err);
	oa2_http_response_clear(&resp);
	return rc;
}

void oa2_token_response_clear(struct oa2_token_response *res)
{
	oa2_secret_free_str(res->access_token);
	oa2_secret_free_str(res->refresh_token);
	oa2_secret_free_str(res->scope);
	oa2_secret_free_str(res->id_token);
	memset(res, 0, sizeof(*res));
}
