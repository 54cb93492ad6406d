#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/base64url.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/jwt.h"

int oa2_jwt_payload(const char *jwt, struct json_object **out, struct oa2_err *err)
{
	const char *p1, *p2;
	unsigned char *raw;
	size_t len, n;
	int rc;

	len = strnlen(jwt, OA2_JWT_MAX + 1);
	if (len > OA2_JWT_MAX)
		return oa2_err_set(err, OA2_ERR_TOOBIG, "id_token longer than %d bytes", OA2_JWT_MAX);
	p1 = memchr(jwt, '.', len);
	p2 = p1 ? memchr(p1 + 1, '.', len - (size_t)(p1 + 1 - jwt)) : NULL;
	if (p1 == NULL || p2 == NULL || memchr(p2 + 1, '.', len - (size_t)(p2 + 1 - jwt)) != NULL)
		return oa2_err_set(err, OA2_ERR_PARSE, "the id_token is not a JWT (three parts)");
	raw = malloc(len);
	if (raw == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	if (oa2_base64url_decode(p1 + 1, (size_t)(p2 - p1 - 1), raw, len, &n) != 0) {
		free(raw);
		return oa2_err_set(err, OA2_ERR_PARSE, "the id_token's payload is not base64url");
	}
	rc = oa2_json_parse_object((const char *)raw, n, "id_token payload", out, err);
	OPENSSL_cleanse(raw, n);
	free(raw);
	return rc;
}

static int plausible(const char *s, size_t n)
{
	return n > 0 && oa2_chars_visible(s, n);
}

int oa2_jwt_user(const char *id_token, char *user, size_t n, struct oa2_err *err)
{
	static const char *const claims[] = { "email", "preferred_username", "upn" };
	struct json_object *obj;
	const char *v;
	size_t len;
	int rc;

	rc = oa2_jwt_payload(id_token, &obj, err);
	if (rc != OA2_OK)
		return rc;
	rc = oa2_err_set(err, OA2_ERR_MISSING, "the id_token names no user (no \"email\", "
			 "\"preferred_username\" or \"upn\" claim)");
	for (size_t i = 0; i < sizeof(claims) / sizeof(claims[0]); i++) {
		if (oa2_json_get_string(obj, claims[i], n - 1, &v, &len, "id_token", NULL) != OA2_OK ||
		    v == NULL)
			continue;
		if (!plausible(v, len)) {
			rc = oa2_err_set(err, OA2_ERR_PARSE, "the id_token's \"%s\" claim is not a "
					 "user name", claims[i]);
			continue;
		}
		memcpy(user, v, len);
		user[len] = '\0';
		rc = OA2_OK;
		break;
	}
	oa2_json_put_wiped(obj);
	return rc;
}
