/*
 * What a secret handed to the plugin (or found in a Postfix password map)
 * looks like, without ever printing it.
 *
 * The plugin sends a bearer token exactly as it was given. A mechanism
 * that libsasl2 picked for an account holding an ordinary password would
 * send that password to the server as "auth=Bearer <password>", so a secret
 * that is not shaped like a bearer token is never sent.
 */
#ifndef SASL_OAUTH2_SECRET_SHAPE_H
#define SASL_OAUTH2_SECRET_SHAPE_H

#include <stddef.h>

/* Fewer characters than this is not taken for an access token: real ones
 * are hundreds of characters long (JWTs, Microsoft's opaque "EwB..."
 * tokens, Google's "ya29."). */
#define OA2_TOKEN_MIN_CHARS 20

/* Non-zero when the n bytes at s are an RFC 6750 b64token of at least
 * OA2_TOKEN_MIN_CHARS characters: 1*( ALPHA / DIGIT / "-" / "." / "_" /
 * "~" / "+" / "/" ) *"=". */
int oa2_secret_token_shaped(const char *s, size_t n);

/* Writes into out (size n >= 16) at most the first 4 characters of s, then
 * "..." and the length in characters: `"/var..." (45 characters)`. Only
 * printable ASCII is copied; anything else becomes '?'. For naming a
 * string that may be a secret without showing it. */
void oa2_secret_prefix(const char *s, char *out, size_t n);

#endif
