#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "sasl-oauth2/base64url.h"
#include "sasl-oauth2/pkce.h"

int oa2_random_string(char *out, size_t n, struct oa2_err *err)
{
	unsigned char raw[OA2_RANDOM_BYTES];
	size_t len;

	if (n < OA2_RANDOM_LEN + 1)
		return oa2_err_set(err, OA2_ERR_INVALID, "random string buffer too small");
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return oa2_err_set(err, OA2_ERR_NOMEM,
				   "OpenSSL's random number generator failed");
	len = oa2_base64url_encode(raw, sizeof(raw), out, n);
	OPENSSL_cleanse(raw, sizeof(raw));
	return len == OA2_RANDOM_LEN ? OA2_OK
				     : oa2_err_set(err, OA2_ERR_INVALID, "random string encoding");
}

int oa2_pkce_challenge(const char *verifier, char *out, size_t n, struct oa2_err *err)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	size_t vlen = strlen(verifier), len;

	/* RFC 7636 4.1: 43 to 128 characters. */
	if (vlen < 43 || vlen > 128)
		return oa2_err_set(err, OA2_ERR_INVALID, "PKCE verifier of %zu characters", vlen);
	SHA256((const unsigned char *)verifier, vlen, digest);
	len = oa2_base64url_encode(digest, sizeof(digest), out, n);
	return len == OA2_PKCE_CHALLENGE_LEN ? OA2_OK
					     : oa2_err_set(err, OA2_ERR_INVALID,
							   "PKCE challenge buffer too small");
}

int oa2_pkce_new(struct oa2_pkce *p, struct oa2_err *err)
{
	int rc = oa2_random_string(p->verifier, sizeof(p->verifier), err);

	if (rc == OA2_OK)
		rc = oa2_pkce_challenge(p->verifier, p->challenge, sizeof(p->challenge), err);
	if (rc != OA2_OK)
		oa2_pkce_clear(p);
	return rc;
}

void oa2_pkce_clear(struct oa2_pkce *p)
{
	OPENSSL_cleanse(p, sizeof(*p));
}
