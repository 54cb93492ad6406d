/* What the browser and manual flows share: the request (PKCE, state, URL)
 * and the authorization_code grant; refusals put in words. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/server_error.h"

#include "authorize.h"

void authorize_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}

int authorize_request_init(const struct authorize *a, int port, struct authorize_request *r,
			   struct oa2_err *err)
{
	int rc;

	memset(r, 0, sizeof(*r));
	oa2_buf_init(&r->url, 16 * 1024);
	snprintf(r->redirect_uri, sizeof(r->redirect_uri), "http://%s:%d/", a->prov->redirect_host,
		 port);
	rc = oa2_pkce_new(&r->pkce, err);
	if (rc == OA2_OK)
		rc = oa2_random_string(r->state, sizeof(r->state), err);
	if (rc == OA2_OK)
		rc = oa2_provider_authorize_url(a->prov, a->client_id, r->redirect_uri, r->state,
						r->pkce.challenge, a->user, &r->url, err);
	if (rc != OA2_OK)
		authorize_request_clear(r);
	return rc;
}

void authorize_request_clear(struct authorize_request *r)
{
	oa2_pkce_clear(&r->pkce);
	oa2_buf_clear(&r->url);
	memset(r, 0, sizeof(*r));
}

int authorize_exchange(const struct authorize *a, const struct authorize_request *r,
		       const char *code, struct oa2_token_response *res, struct oa2_err *err)
{
	struct oa2_buf form;
	int rc;

	oa2_buf_init(&form, 32 * 1024);
	oa2_form_add(&form, "grant_type", "authorization_code");
	oa2_form_add(&form, "code", code);
	oa2_form_add(&form, "redirect_uri", r->redirect_uri);
	oa2_form_add(&form, "code_verifier", r->pkce.verifier);
	rc = oa2_token_endpoint_post(a->prov->token_endpoint, &form, a->client_id, a->client_secret,
				     &a->http, a->acct->name, res, err);
	if (rc != OA2_OK)
		rc = authorize_refusal(a, rc, res, "the authorization code", err);
	return rc;
}

int authorize_refusal(const struct authorize *a, int rc, const struct oa2_token_response *res,
		      const char *what, struct oa2_err *err)
{
	const char *ep = a->prov->token_endpoint, *words;
	const char *desc = res->description[0] ? res->description : "no description";

	if (rc == OA2_ERR_DENIED && res->error[0]) {
		if (strcmp(res->error, "invalid_grant") == 0)
			words = "the code expired or was already used, or the redirect URI or "
				"PKCE verifier does not match; run the command again";
		else if (strcmp(res->error, "invalid_request") == 0)
			words = strcmp(a->prov->redirect_host, "localhost") == 0
				? "the provider found the request malformed; check the client id "
				  "and that http://localhost is a registered redirect URI"
				: "the provider found the request malformed; check the client id "
				  "and that http://127.0.0.1 is a registered redirect URI";
		else
			words = oa2_token_error_explain(res->error, res->description);
		return oa2_err_set(err, OA2_ERR_DENIED, "the token endpoint %s refused %s (HTTP "
				   "%ld, %s: %s)%s%s; nothing was saved", ep, what, res->status,
				   res->error, desc, words ? ": " : "", words ? words : "");
	}
	if (rc == OA2_ERR_TEMPORARY && (res->status == 408 || res->status == 429 ||
					res->status >= 500))
		return oa2_err_set(err, rc, "the token endpoint %s answered HTTP %ld%s%s: the "
				   "provider has trouble, try again later; nothing was saved", ep,
				   res->status, res->error[0] ? ": " : "", res->error);
	/* Network, parse and local errors already name the endpoint. */
	if (strlen(err->msg) + 24 < sizeof(err->msg))
		strcat(err->msg, "; nothing was saved");
	return rc;
}
