/*
 * The token endpoint's client: POSTs a grant's form (RFC 6749 section 3.2,
 * client authentication per section 2.3.1) and says what the answer means,
 * for every grant kind.
 */
#ifndef SASL_OAUTH2_TOKEN_ENDPOINT_H
#define SASL_OAUTH2_TOKEN_ENDPOINT_H

#include "sasl-oauth2/error.h"
#include "sasl-oauth2/http.h"

/* Strings owned, secrets wiped by oa2_token_response_clear. */
struct oa2_token_response {
	char *access_token;
	char *refresh_token;  /* NULL when the server did not rotate it */
	char *scope;          /* NULL when not returned */
	char *id_token;       /* OpenID Connect id_token; NULL when not returned */
	long long expires_in; /* seconds; 0 when not returned */
	/* On OA2_ERR_DENIED / OA2_ERR_TEMPORARY: what the server said. */
	long status;
	char error[64];        /* OAuth "error" code, printable */
	char description[512]; /* "error_description", printable */
};

/* Interprets a token endpoint's answer. OA2_OK fills the token fields;
 * OA2_ERR_TEMPORARY for 408, 429 and 5xx; OA2_ERR_DENIED for OAuth errors
 * that need the user (invalid_grant, invalid_client, ...); OA2_ERR_PARSE for
 * a 200 that is not a usable token response. err says it in plain words,
 * with the provider's error_description, naming `endpoint` and, for denials,
 * how to re-authorize `account`. Never puts a token in err. */
int oa2_token_endpoint_parse(long status, const char *body, size_t len,
			     const char *endpoint, const char *account,
			     struct oa2_token_response *res, struct oa2_err *err);

/* Completes a grant form (authorization_code, device_code, refresh_token
 * ...) with the client's credentials, POSTs it to a token endpoint and
 * interprets the answer as oa2_token_endpoint_parse. client_secret is NULL
 * for public clients; client_id is NULL for grants that authenticate the
 * client by their own assertion. The form is wiped and released in every case. A
 * device-flow poller reads res->error ("authorization_pending",
 * "slow_down") after OA2_ERR_DENIED. */
int oa2_token_endpoint_post(const char *endpoint, struct oa2_buf *form, const char *client_id,
			    const char *client_secret, const struct oa2_http_opts *o,
			    const char *account, struct oa2_token_response *res, struct oa2_err *err);

/* What a token endpoint's OAuth error means for the admin, in words that say
 * what to do (Microsoft's AADSTS codes in the description first), or NULL
 * for an error without a known meaning. */
const char *oa2_token_error_explain(const char *error, const char *description);

/* A provider's error code (Microsoft's "AADSTS700082") and what it means
 * for the admin. */
struct oa2_error_words {
	const char *code;
	const char *words;
};

/* The words of the first code in t that description contains as a whole
 * number (AADSTS7000 does not match AADSTS70002), or NULL. */
const char *oa2_error_words_find(const struct oa2_error_words *t, size_t n,
				 const char *description);

void oa2_token_response_clear(struct oa2_token_response *res);

#endif
