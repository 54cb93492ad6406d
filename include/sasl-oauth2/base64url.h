/*
 * base64url (RFC 4648 section 5) without padding, as PKCE (RFC 7636) and
 * JWTs (RFC 7515) use it. Both directions are bounded by the caller's
 * output buffer and never allocate.
 */
#ifndef SASL_OAUTH2_BASE64URL_H
#define SASL_OAUTH2_BASE64URL_H

#include <stddef.h>

/* Output length of encoding n bytes, without padding or NUL. */
#define OA2_BASE64URL_LEN(n) (((n) * 4 + 2) / 3)

/* Encodes n bytes into out (NUL-terminated). Returns the length written, or
 * 0 when out (of size outsz) is too small. */
size_t oa2_base64url_encode(const unsigned char *in, size_t n, char *out, size_t outsz);

/* Decodes n characters of unpadded base64url ('=' padding at the end is
 * tolerated). Returns 0 with *outlen set, or -1 for a character outside the
 * alphabet, an impossible length, or output over outsz bytes. */
int oa2_base64url_decode(const char *in, size_t n, unsigned char *out, size_t outsz,
			 size_t *outlen);

#endif
