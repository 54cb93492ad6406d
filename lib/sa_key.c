#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/credfile.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/sa_key.h"
#include "sasl-oauth2/secret.h"

#define FIELD_MAX 512

static int field(struct json_object *obj, const char *key, int required, const char *origin,
		 char **dst, struct oa2_err *err)
{
	const char *v;
	size_t n;
	int rc = oa2_json_get_string(obj, key, FIELD_MAX, &v, &n, origin, err);

	if (rc != OA2_OK)
		return rc;
	if (v == NULL || n == 0)
		return required ? oa2_err_set(err, OA2_ERR_MISSING, "%s: no \"%s\"; download a "
					      "new JSON key for the service account", origin, key)
				: OA2_OK;
	if (!oa2_chars_visible(v, n))
		return oa2_err_set(err, OA2_ERR_PARSE, "%s: \"%s\" contains spaces or control "
				   "characters", origin, key);
	*dst = oa2_secret_strndup(v, n);
	return *dst != NULL ? OA2_OK : oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
}

int oa2_sa_key_parse(const char *text, size_t len, const char *origin, struct oa2_sa_key *k,
		     struct oa2_err *err)
{
	struct oa2_sa_key t = { 0 };
	struct json_object *obj = NULL;
	const char *type, *pem;
	size_t n;
	int rc;

	memset(k, 0, sizeof(*k));
	if (len > OA2_CRED_FILE_MAX)
		return oa2_err_set(err, OA2_ERR_TOOBIG, "%s is larger than %d bytes", origin,
				   OA2_CRED_FILE_MAX);
	rc = oa2_json_parse_object(text, len, origin, &obj, err);
	if (rc != OA2_OK)
		return rc;
	rc = oa2_json_get_string(obj, "type", 64, &type, NULL, origin, err);
	if (rc == OA2_OK && (type == NULL || strcmp(type, "service_account") != 0))
		rc = oa2_err_set(err, OA2_ERR_PARSE, "%s is not a service account key (its "
				 "\"type\" is not \"service_account\"); download a JSON key under "
				 "IAM > Service accounts > Keys", origin);
	if (rc == OA2_OK)
		rc = field(obj, "client_email", 1, origin, &t.client_email, err);
	if (rc == OA2_OK)
		rc = field(obj, "client_id", 0, origin, &t.client_id, err);
	if (rc == OA2_OK)
		rc = field(obj, "private_key_id", 0, origin, &t.private_key_id, err);
	if (rc == OA2_OK)
		rc = field(obj, "token_uri", 0, origin, &t.token_uri, err);
	if (rc == OA2_OK && t.token_uri != NULL && strncmp(t.token_uri, "https://", 8) != 0)
		rc = oa2_err_set(err, OA2_ERR_PARSE, "%s: \"token_uri\" is not an https:// URL",
				 origin);
	if (rc == OA2_OK)
		rc = oa2_json_get_string(obj, "private_key", OA2_CRED_FILE_MAX, &pem, &n, origin, err);
	if (rc == OA2_OK && (pem == NULL || n == 0))
		rc = oa2_err_set(err, OA2_ERR_MISSING, "%s: no \"private_key\"; download a new "
				 "JSON key for the service account", origin);
	if (rc == OA2_OK)
		rc = oa2_cred_parse_private_key(pem, n, origin, &t.key, err);
	oa2_json_put_wiped(obj);
	if (rc != OA2_OK) {
		oa2_sa_key_clear(&t);
		return rc;
	}
	*k = t;
	return OA2_OK;
}

int oa2_sa_key_load(const char *path, const char *chroot_dir, struct oa2_sa_key *k,
		    struct oa2_err *err)
{
	char origin[64 + 4096];
	char *data;
	size_t len;
	int rc = oa2_cred_read(path, chroot_dir, "service account key file", 1, OA2_CRED_FILE_MAX,
			       &data, &len, err);

	memset(k, 0, sizeof(*k));
	if (rc != OA2_OK)
		return rc;
	snprintf(origin, sizeof(origin), "service account key file %s", path);
	rc = oa2_sa_key_parse(data, len, origin, k, err);
	oa2_secret_free(data, len + 1);
	return rc;
}

void oa2_sa_key_clear(struct oa2_sa_key *k)
{
	oa2_secret_free_str(k->client_email);
	oa2_secret_free_str(k->client_id);
	oa2_secret_free_str(k->private_key_id);
	oa2_secret_free_str(k->token_uri);
	EVP_PKEY_free(k->key);
	memset(k, 0, sizeof(*k));
}
