/*
 * Signed JWT assertions (RFC 7515 compact form, RFC 7523 client and grant
 * assertions), signed with OpenSSL's EVP interface. RSA keys only: both
 * Microsoft's certificate credentials and Google's service account keys are
 * RSA. RS256 (RSASSA-PKCS1-v1_5) is what Google documents and what
 * Microsoft's certificate credentials long documented; Microsoft's current
 * page asks for PS256 (RSASSA-PSS, salt length 32, RFC 7518 3.5).
 */
#ifndef SASL_OAUTH2_JWT_SIGN_H
#define SASL_OAUTH2_JWT_SIGN_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sasl-oauth2/error.h"

struct json_object;

/* base64url(SHA-256(DER of cert)) without padding: the "x5t#S256" header
 * (RFC 7515 4.1.8) and the thumbprint shown to admins. */
#define OA2_X5T_S256_LEN 43
int oa2_jwt_x5t_s256(X509 *cert, char out[OA2_X5T_S256_LEN + 1], struct oa2_err *err);

/* The same thumbprint as SHA-1 hex (what the Entra portal lists), and the
 * SHA-1 base64url for the "x5t" header (RFC 7515 4.1.7). */
int oa2_jwt_x5t_sha1(X509 *cert, char b64[28], char hex[41], struct oa2_err *err);

/* Non-zero for an algorithm oa2_jwt_sign takes: "RS256" or "PS256". */
int oa2_jwt_alg_known(const char *alg);

/* Signs the claims with key using alg (NULL: RS256) and returns the compact
 * JWT in *out (owned; release with oa2_secret_free_str: it is a credential
 * for minutes). `header` holds the members besides "alg" and "typ" (kid,
 * x5t#S256), or is NULL. The key must be RSA of at least 2048 bits. */
int oa2_jwt_sign(const char *alg, struct json_object *header, struct json_object *claims,
		 EVP_PKEY *key, char **out, struct oa2_err *err);

/* A random "jti" claim: 128 bits, base64url. OA2_ERR_NOMEM when OpenSSL's
 * random generator fails. */
int oa2_jwt_jti(char out[32], struct oa2_err *err);

/* OA2_OK for an RSA key of at least 2048 bits, else OA2_ERR_INVALID
 * saying what the key is; `origin` names the key's file. */
int oa2_jwt_key_usable(EVP_PKEY *key, const char *origin, struct oa2_err *err);

#endif
