/*
 * Proof Key for Code Exchange (RFC 7636) with the S256 method, and the
 * random "state" an authorization request carries (RFC 6749 10.12).
 *
 * Both come from 32 bytes of OpenSSL's RAND_bytes, base64url-encoded
 * without padding: 43 characters of the unreserved set, which is the
 * shortest verifier RFC 7636 allows and carries 256 bits.
 */
#ifndef SASL_OAUTH2_PKCE_H
#define SASL_OAUTH2_PKCE_H

#include <stddef.h>

#include "sasl-oauth2/error.h"

#define OA2_RANDOM_BYTES 32
#define OA2_RANDOM_LEN 43              /* base64url of OA2_RANDOM_BYTES */
#define OA2_PKCE_CHALLENGE_LEN 43      /* base64url of a SHA-256 digest */

struct oa2_pkce {
	char verifier[OA2_RANDOM_LEN + 1];        /* secret until the exchange */
	char challenge[OA2_PKCE_CHALLENGE_LEN + 1];
};

/* Fills out (at least OA2_RANDOM_LEN + 1 bytes) with a fresh random string.
 * Returns OA2_OK, or OA2_ERR_NOMEM when OpenSSL's generator fails. */
int oa2_random_string(char *out, size_t n, struct oa2_err *err);

/* The S256 challenge of a verifier: BASE64URL(SHA256(verifier)). out needs
 * OA2_PKCE_CHALLENGE_LEN + 1 bytes. Returns OA2_OK or OA2_ERR_INVALID. */
int oa2_pkce_challenge(const char *verifier, char *out, size_t n, struct oa2_err *err);

/* A fresh verifier and its challenge. */
int oa2_pkce_new(struct oa2_pkce *p, struct oa2_err *err);

/* Wipes the verifier. */
void oa2_pkce_clear(struct oa2_pkce *p);

#endif
