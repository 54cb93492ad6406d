#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/discovery.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/server_error.h"

#define WELL_KNOWN "/.well-known/openid-configuration"

static size_t without_slash(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '/' ? n - 1 : n;
}

static int url_ok(const char *v, size_t n)
{
	if (n < 9 || strncasecmp(v, "https://", 8) != 0)
		return 0;
	return oa2_chars_visible(v, n);
}

static int endpoint(struct json_object *obj, const char *key, char **dst, const char *where,
		    struct oa2_err *err)
{
	const char *v;
	size_t n;

	if (oa2_json_get_string(obj, key, OA2_ENDPOINT_MAX, &v, &n, where, err) != OA2_OK)
		return OA2_ERR_PARSE;
	if (v == NULL || n == 0)
		return OA2_OK;
	if (!url_ok(v, n))
		return oa2_err_set(err, OA2_ERR_PARSE, "%s: \"%s\" is not an https:// URL", where, key);
	*dst = strndup(v, n);
	return *dst != NULL ? OA2_OK : oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
}

static int check_issuer(struct json_object *obj, const char *issuer, const char *where,
			struct oa2_err *err)
{
	char shown[128];
	const char *v;
	size_t n;

	if (oa2_json_get_string(obj, "issuer", OA2_ENDPOINT_MAX, &v, &n, where, err) != OA2_OK)
		return OA2_ERR_PARSE;
	if (v == NULL)
		return oa2_err_set(err, OA2_ERR_PARSE, "%s has no \"issuer\"", where);
	if (n > 0 && v[n - 1] == '/')
		n--;
	if (n != without_slash(issuer) || memcmp(v, issuer, n) != 0) {
		oa2_printable(v, n, shown, sizeof(shown));
		return oa2_err_set(err, OA2_ERR_PARSE, "%s names the issuer \"%s\", not %s: set "
				   "provider.NAME.issuer to the provider's exact issuer", where,
				   shown, issuer);
	}
	return OA2_OK;
}

int oa2_discover(const char *issuer, const struct oa2_http_opts *o, struct oa2_discovery *d,
		 struct oa2_err *err)
{
	struct oa2_http_response resp;
	struct json_object *obj = NULL;
	char url[OA2_ENDPOINT_MAX + sizeof(WELL_KNOWN)], where[OA2_ENDPOINT_MAX + 64];
	char shown[96];
	int rc;

	memset(d, 0, sizeof(*d));
	if (!url_ok(issuer, strlen(issuer)) || strlen(issuer) > OA2_ENDPOINT_MAX)
		return oa2_err_set(err, OA2_ERR_INVALID, "issuer %s is not an https:// URL", issuer);
	snprintf(url, sizeof(url), "%.*s" WELL_KNOWN, (int)without_slash(issuer), issuer);
	snprintf(where, sizeof(where), "OpenID discovery document %s", url);
	rc = oa2_http_request("OpenID discovery", url, NULL, o, &resp, err);
	if (rc == OA2_ERR_TOOBIG)
		return OA2_ERR_PARSE;
	if (rc != OA2_OK)
		return rc;
	if (resp.status != 200) {
		oa2_printable(resp.body.data ? resp.body.data : "", resp.body.len, shown,
			      sizeof(shown));
		rc = oa2_err_set(err, resp.status == 408 || resp.status == 429 || resp.status >= 500
				      ? OA2_ERR_TEMPORARY : OA2_ERR_PARSE,
				 "%s: HTTP %ld (\"%s\"); check provider.NAME.issuer", where,
				 resp.status, shown);
		goto out;
	}
	rc = oa2_json_parse_object(resp.body.data ? resp.body.data : "", resp.body.len, where,
				   &obj, err);
	if (rc == OA2_OK)
		rc = check_issuer(obj, issuer, where, err);
	if (rc == OA2_OK)
		rc = endpoint(obj, "authorization_endpoint", &d->authorization_endpoint, where, err);
	if (rc == OA2_OK)
		rc = endpoint(obj, "token_endpoint", &d->token_endpoint, where, err);
	if (rc == OA2_OK)
		rc = endpoint(obj, "device_authorization_endpoint",
			      &d->device_authorization_endpoint, where, err);
	if (rc == OA2_OK)
		rc = endpoint(obj, "revocation_endpoint", &d->revocation_endpoint, where, err);
	if (obj != NULL)
		oa2_json_put_wiped(obj);
	if (rc != OA2_OK)
		oa2_discovery_clear(d);
out:
	oa2_http_response_clear(&resp);
	return rc;
}

void oa2_discovery_clear(struct oa2_discovery *d)
{
	free(d->authorization_endpoint);
	free(d->token_endpoint);
	free(d->device_authorization_endpoint);
	free(d->revocation_endpoint);
	memset(d, 0, sizeof(*d));
}
