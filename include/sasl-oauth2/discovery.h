/*
 * OpenID Connect discovery (OpenID Connect Discovery 1.0, section 4): the
 * endpoints of an issuer, read from ISSUER/.well-known/openid-configuration
 * with one bounded HTTPS GET (same TLS rules as every other request).
 */
#ifndef SASL_OAUTH2_DISCOVERY_H
#define SASL_OAUTH2_DISCOVERY_H

#include "sasl-oauth2/error.h"
#include "sasl-oauth2/http.h"

/* Owned strings, NULL when the document has no such member. */
struct oa2_discovery {
	char *authorization_endpoint;
	char *token_endpoint;
	char *device_authorization_endpoint;
	char *revocation_endpoint;
};

/* Fetches and checks the document: it must be a JSON object whose "issuer"
 * is the issuer asked for (a trailing '/' aside), and whose endpoints are
 * https:// URLs of at most OA2_ENDPOINT_MAX bytes. Errors: OA2_ERR_INVALID
 * for an issuer that is not https://, OA2_ERR_NET / OA2_ERR_TEMPORARY when
 * no good answer came, OA2_ERR_PARSE for a bad document. */
int oa2_discover(const char *issuer, const struct oa2_http_opts *o, struct oa2_discovery *d,
		 struct oa2_err *err);

void oa2_discovery_clear(struct oa2_discovery *d);

#endif
