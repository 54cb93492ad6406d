/*
 * Access tokens as the SASL mechanisms use them.
 *
 * The secret an application hands the plugin (the PASS callback, Postfix's
 * sasl_passwd) is either the bearer token itself or the absolute path of a
 * token file. The rule: a secret that starts with '/' is a path. Bearer
 * tokens never start with '/' (JWTs start with "eyJ", Microsoft's opaque
 * tokens with "Ew", Google's with "ya29.").
 *
 * A token file is a JSON object (format version 1 or 2, see sasl-oauth2(7)):
 *   "version"        1, or 2 for files that name their "grant"
 *   "grant"          which grant renews the access token (version 2):
 *                    "refresh_token" (the default), "client_credentials"
 *                    (Microsoft app-only) or "jwt_bearer" (Google service
 *                    account); see sasl-oauth2/grant.h
 *   "access_token"   string, required
 *   "user"           the mailbox the token is for
 *   "signed_in_as"   for a shared mailbox: the account the token belongs to
 *   "expires_at"     epoch seconds, integer or digit string
 *   "refresh_token", "client_id", "client_secret", "token_endpoint", "scope":
 *                    what a refresh needs; without them none is possible
 *   "client_secret_file", "certificate_file", "private_key_file",
 *   "service_account_file": paths of the app-only credentials, read when the
 *                    token is renewed (never copied into the token file)
 *   "refreshed_at", "last_error", "rejected_at": written by the refresh code
 * tarickb/sasl-xoauth2's files are read as they are: "expiry" (a digit
 * string) stands for expires_at, and "proxy", "ca_bundle_file" and
 * "refresh_window" override the configuration for that file. Members not
 * named here are kept when the file is rewritten.
 *
 * The file must not be readable or writable by group or others.
 */
#ifndef SASL_OAUTH2_TOKEN_H
#define SASL_OAUTH2_TOKEN_H

#include <stddef.h>
#include <sys/stat.h>

#include "sasl-oauth2/error.h"

#define OA2_TOKEN_FILE_MAX   (64 * 1024) /* bytes in a token file */
#define OA2_ACCESS_TOKEN_MAX (16 * 1024) /* bytes in an access token */
#define OA2_USER_MAX         320         /* bytes in a user name */

/* The "grant" values the file format defines, for messages; grant.h has a
 * kind for each (a unit test holds the two together). */
#define OA2_TOKEN_GRANTS "refresh_token, client_credentials, jwt_bearer"

/* Non-zero when name is one of OA2_TOKEN_GRANTS. */
int oa2_token_grant_known(const char *name);

/* Every string is owned and wiped by oa2_token_clear; NULL when absent. */
struct oa2_token {
	char *access_token;   /* secret */
	char *user;
	char *signed_in_as;   /* shared mailbox: the token's own account; NULL */
	long long expires_at; /* epoch seconds; 0 when unknown */
	char *refresh_token;  /* secret */
	char *client_id;
	char *client_secret;  /* secret */
	char *token_endpoint;
	char *scope;
	char *proxy;          /* per-file override */
	char *ca_bundle_file; /* per-file override, a path */
	long long refresh_window; /* per-file margin in seconds; -1 when unset */
	long long rejected_at; /* when a server last rejected access_token; 0 */
	char *grant;          /* the "grant" member; NULL means refresh_token */
	char *client_secret_file;   /* app-only credentials: paths */
	char *certificate_file;
	char *private_key_file;
	char *service_account_file;
	char *assertion_alg;  /* "RS256" (when NULL) or "PS256" */
};

struct json_object;

/* Fills *tok from a parsed token file. Same errors as oa2_token_parse. */
int oa2_token_from_json(struct json_object *obj, const char *origin,
			struct oa2_token *tok, struct oa2_err *err);

/* OA2_ERR_PARSE, naming the field, when "user" is not a mailbox
 * (oa2_chars_mailbox) or "revocation_endpoint" is not visible characters;
 * run on every token file read (oa2_token_from_json) and written
 * (oa2_store_write). */
int oa2_token_check_fields(struct json_object *obj, const char *origin, struct oa2_err *err);

/* OA2_OK when the file's mode keeps group and others out, else
 * OA2_ERR_UNSAFE with a message that gives the chmod that fixes it. */
int oa2_token_check_mode(const char *path, const struct stat *st,
			 struct oa2_err *err);

/* Non-zero when `secret` names a token file rather than being a token. */
int oa2_secret_is_path(const char *secret);

/* Parses a token file's contents. `origin` names the file in messages.
 * On success *tok is filled and owned by the caller; on error it is
 * untouched. Bounded by OA2_TOKEN_FILE_MAX and the field limits above. */
int oa2_token_parse(const char *text, size_t len, const char *origin,
		    struct oa2_token *tok, struct oa2_err *err);

/* Deep copy; returns OA2_OK or OA2_ERR_NOMEM (dst untouched on error). */
int oa2_token_copy(struct oa2_token *dst, const struct oa2_token *src);

/* Wipes and frees the members; leaves *tok zeroed. */
void oa2_token_clear(struct oa2_token *tok);

#endif
