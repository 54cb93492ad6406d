#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include "sasl-oauth2/base64url.h"
#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/jwt_sign.h"
#include "sasl-oauth2/remedy.h"

#define JWT_MAX (16 * 1024)

static int der_digest(X509 *cert, const EVP_MD *md, unsigned char *out, unsigned *n,
		      struct oa2_err *err)
{
	if (X509_digest(cert, md, out, n) != 1)
		return oa2_err_set(err, OA2_ERR_INVALID, "cannot compute the certificate's "
				   "thumbprint");
	return OA2_OK;
}

int oa2_jwt_x5t_s256(X509 *cert, char out[OA2_X5T_S256_LEN + 1], struct oa2_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	int rc = der_digest(cert, EVP_sha256(), md, &n, err);

	if (rc == OA2_OK && oa2_base64url_encode(md, n, out, OA2_X5T_S256_LEN + 1) == 0)
		rc = oa2_err_set(err, OA2_ERR_INVALID, "certificate thumbprint too long");
	return rc;
}

int oa2_jwt_x5t_sha1(X509 *cert, char b64[28], char hex[41], struct oa2_err *err)
{
	static const char digits[] = "0123456789ABCDEF";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	int rc = der_digest(cert, EVP_sha1(), md, &n, err);

	if (rc != OA2_OK)
		return rc;
	if (n != 20 || oa2_base64url_encode(md, n, b64, 28) == 0)
		return oa2_err_set(err, OA2_ERR_INVALID, "certificate thumbprint too long");
	for (unsigned i = 0; i < n; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[40] = '\0';
	return OA2_OK;
}

int oa2_jwt_key_usable(EVP_PKEY *key, const char *origin, struct oa2_err *err)
{
	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		return oa2_err_set(err, OA2_ERR_INVALID, "%s is not an RSA key (%s); RS256 "
				   "needs RSA: make one with %s", origin,
				   EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "?",
				   oa2_remedy_command(OA2_REMEDY_KEYGEN));
	if (EVP_PKEY_get_bits(key) < 2048)
		return oa2_err_set(err, OA2_ERR_INVALID, "%s is an RSA key of %d bits; at least "
				   "2048 are needed: make one with %s", origin,
				   EVP_PKEY_get_bits(key), oa2_remedy_command(OA2_REMEDY_KEYGEN));
	return OA2_OK;
}

int oa2_jwt_jti(char out[32], struct oa2_err *err)
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1)
		return oa2_err_set(err, OA2_ERR_NOMEM, "OpenSSL's random generator failed");
	oa2_base64url_encode(r, sizeof(r), out, 32);
	return OA2_OK;
}

/* Appends base64url(JSON text of obj). */
static void put_part(struct oa2_buf *b, struct json_object *obj)
{
	const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t n = text ? strlen(text) : 0, m = OA2_BASE64URL_LEN(n) + 1;
	char *enc = malloc(m);

	if (text == NULL || enc == NULL || oa2_base64url_encode((const unsigned char *)text, n,
								enc, m) == 0)
		b->failed = 1;
	else
		oa2_buf_puts(b, enc);
	free(enc);
}

int oa2_jwt_alg_known(const char *alg)
{
	return strcmp(alg, "RS256") == 0 || strcmp(alg, "PS256") == 0;
}

static int sign(struct oa2_buf *b, EVP_PKEY *key, int pss, struct oa2_err *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *enc = NULL;
	int ok;

	/* PS256: PSS with MGF1-SHA-256 and a salt as long as the hash. */
	ok = ctx != NULL && EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) == 1 &&
	     (!pss || (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
	     EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)b->data, b->len) == 1 &&
	     (sig = malloc(siglen)) != NULL &&
	     EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)b->data, b->len) == 1 &&
	     (enc = malloc(OA2_BASE64URL_LEN(siglen) + 1)) != NULL &&
	     oa2_base64url_encode(sig, siglen, enc, OA2_BASE64URL_LEN(siglen) + 1) != 0;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	if (ok) {
		oa2_buf_putc(b, '.');
		oa2_buf_puts(b, enc);
	}
	free(sig);
	free(enc);
	return ok ? OA2_OK : oa2_err_set(err, OA2_ERR_INVALID, "OpenSSL could not sign the "
					 "JWT assertion with the private key");
}

int oa2_jwt_sign(const char *alg, struct json_object *header, struct json_object *claims,
		 EVP_PKEY *key, char **out, struct oa2_err *err)
{
	struct json_object *h;
	struct oa2_buf b;
	int rc;

	*out = NULL;
	if (alg == NULL)
		alg = "RS256";
	if (!oa2_jwt_alg_known(alg))
		return oa2_err_set(err, OA2_ERR_INVALID, "JWT algorithm %s is not supported (RS256, "
				   "PS256)", alg);
	if ((h = json_object_new_object()) == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	json_object_object_add(h, "alg", json_object_new_string(alg));
	json_object_object_add(h, "typ", json_object_new_string("JWT"));
	if (header != NULL) {
		json_object_object_foreach(header, k, v)
			json_object_object_add(h, k, json_object_get(v));
	}
	rc = oa2_jwt_key_usable(key, "the private key", err);
	oa2_buf_init(&b, JWT_MAX);
	if (rc == OA2_OK) {
		put_part(&b, h);
		oa2_buf_putc(&b, '.');
		put_part(&b, claims);
		if (b.failed)
			rc = oa2_err_set(err, OA2_ERR_NOMEM, "cannot build the JWT assertion");
	}
	json_object_put(h);
	if (rc == OA2_OK)
		rc = sign(&b, key, strcmp(alg, "PS256") == 0, err);
	if (rc == OA2_OK && b.failed)
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "cannot build the JWT assertion");
	if (rc == OA2_OK) {
		*out = b.data; /* ownership moves to the caller */
		return OA2_OK;
	}
	oa2_buf_clear(&b);
	return rc;
}
