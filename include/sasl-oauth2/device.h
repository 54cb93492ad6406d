/*
 * The device authorization request of RFC 8628 (section 3.1 and 3.2): the
 * first step of the device flow. Polling the token endpoint afterwards is
 * an ordinary token request (oa2_token_endpoint_post with grant_type
 * urn:ietf:params:oauth:grant-type:device_code), read through res->error.
 */
#ifndef SASL_OAUTH2_DEVICE_H
#define SASL_OAUTH2_DEVICE_H

#include "sasl-oauth2/error.h"
#include "sasl-oauth2/http.h"

#define OA2_DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define OA2_DEVICE_INTERVAL_DEFAULT 5     /* seconds, RFC 8628 3.2 */
#define OA2_DEVICE_EXPIRES_DEFAULT 900    /* when the answer has no expires_in */

struct oa2_device_auth {
	char *device_code;                 /* owned, secret */
	char user_code[64];                /* what the user types */
	char verification_uri[512];
	char verification_uri_complete[1024]; /* "" when not sent */
	long expires_in;                   /* seconds */
	long interval;                     /* seconds between polls */
	/* When the endpoint refused (OA2_ERR_DENIED): what it said. */
	long status;
	char error[64];
	char description[512];
};

/* POSTs client_id, scope (and client_secret when not NULL) to the device
 * authorization endpoint and reads its answer (all strings checked to be
 * printable and within their bounds; Google's "verification_url" is taken
 * for verification_uri). OA2_ERR_DENIED with d->error for an OAuth error,
 * OA2_ERR_TEMPORARY for 408/429/5xx, OA2_ERR_PARSE for an unusable 200,
 * OA2_ERR_NET when no answer came. */
int oa2_device_authorize(const char *endpoint, const char *client_id, const char *client_secret,
			 const char *scope, const struct oa2_http_opts *o,
			 struct oa2_device_auth *d, struct oa2_err *err);

/* Wipes device_code and zeroes *d. */
void oa2_device_auth_clear(struct oa2_device_auth *d);

#endif
