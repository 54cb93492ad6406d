/*
 * Access tokens as the SASL mechanisms use them.
 *
 * The secret an application hands the plugin (the PASS callback, Postfix's
 * sasl_passwd) is either the bearer token itself or the absolute path of a
 * token file. The rule: a secret that starts with '/' is a path. Bearer
 * tokens never start with '/' (JWTs start with "eyJ", Microsoft's opaque
 * tokens with "Ew", Google's with "ya29.").
 *
 * A token file is a JSON object:
 *   "access_token" (string, required)
 *   "user"         (string, optional: the mailbox the token is for)
 *   "expires_at"   (epoch seconds, integer or digit string, optional)
 *   "expiry"       (accepted as expires_at, as written by other tools)
 * Unknown members are ignored.
 */
#ifndef SASL_OAUTH2_TOKEN_H
#define SASL_OAUTH2_TOKEN_H

#include <stddef.h>
#include <sys/stat.h>

#include "sasl-oauth2/error.h"

#define OA2_TOKEN_FILE_MAX   (64 * 1024) /* bytes in a token file */
#define OA2_ACCESS_TOKEN_MAX (16 * 1024) /* bytes in an access token */
#define OA2_USER_MAX         320         /* bytes in a user name */

struct oa2_token {
	char *access_token; /* owned, secret: wipe with oa2_token_clear */
	char *user;         /* owned, NULL when the file has none */
	long long expires_at; /* epoch seconds; 0 when unknown */
};

/* Non-zero when `secret` names a token file rather than being a token. */
int oa2_secret_is_path(const char *secret);

/* Parses a token file's contents. `origin` names the file in messages.
 * On success *tok is filled and owned by the caller; on error it is
 * untouched. Bounded by OA2_TOKEN_FILE_MAX and the field limits above. */
int oa2_token_parse(const char *text, size_t len, const char *origin,
		    struct oa2_token *tok, struct oa2_err *err);

/* Reads and parses the token file at path. When st is non-NULL it receives
 * the stat of the file actually read (for change detection). */
int oa2_token_load(const char *path, struct oa2_token *tok, struct stat *st,
		   struct oa2_err *err);

/* Deep copy; returns OA2_OK or OA2_ERR_NOMEM (dst untouched on error). */
int oa2_token_copy(struct oa2_token *dst, const struct oa2_token *src);

/* Wipes and frees the members; leaves *tok zeroed. */
void oa2_token_clear(struct oa2_token *tok);

#endif
