/*
 * Reading the claims of a JWT (RFC 7519), such as an OpenID Connect
 * id_token, WITHOUT checking its signature.
 *
 * Use the claims only to show them, or, for an id_token, when it came
 * straight from the token endpoint over verified TLS in the authorization
 * code or device flow, which OpenID Connect Core 3.1.3.7 accepts in place
 * of a signature check. Never trust claims of a token from anywhere else.
 */
#ifndef SASL_OAUTH2_JWT_H
#define SASL_OAUTH2_JWT_H

#include <stddef.h>

#include "sasl-oauth2/error.h"

#define OA2_JWT_MAX (16 * 1024) /* bytes in a JWT we decode */

struct json_object;

/* Decodes the payload (second part) of a compact JWT into a JSON object,
 * owned by the caller (release with oa2_json_put_wiped). OA2_ERR_PARSE for
 * anything that is not a JWT with a JSON object payload. */
int oa2_jwt_payload(const char *jwt, struct json_object **out, struct oa2_err *err);

/* The mailbox an id_token names: its "email" claim, else
 * "preferred_username" (Microsoft's sign-in name), else "upn". Copies it to
 * user (of size n). OA2_ERR_MISSING when it names none; OA2_ERR_PARSE when
 * the claim is not a plausible user name (control characters, spaces, over
 * n - 1 bytes). */
int oa2_jwt_user(const char *id_token, char *user, size_t n, struct oa2_err *err);

#endif
