#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/jwt_sign.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/token.h"

int oa2_token_grant_known(const char *name)
{
	static const char *const names[] = { "refresh_token", "client_credentials",
					     "jwt_bearer" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

int oa2_secret_is_path(const char *secret)
{
	return secret != NULL && secret[0] == '/';
}

/* Copies an optional string member into *dst (NULL when absent). */
static int take_string(struct json_object *obj, const char *key, size_t max, int token_chars,
		       const char *origin, char **dst, struct oa2_err *err)
{
	const char *v;
	size_t n;
	int rc = oa2_json_get_string(obj, key, max, &v, &n, origin, err);

	if (rc != OA2_OK)
		return rc;
	if (v == NULL || n == 0)
		return OA2_OK;
	if (token_chars ? !oa2_chars_visible(v, n) : !oa2_chars_no_controls(v, n))
		return oa2_err_set(err, OA2_ERR_PARSE,
				   "%s: field \"%s\" contains %scontrol characters", origin, key,
				   token_chars ? "spaces or " : "");
	*dst = oa2_secret_strndup(v, n);
	if (*dst == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "%s: out of memory", origin);
	return OA2_OK;
}

#define URL_MAX 2048

/* "user" goes into command lines doctor prints for root (the Postfix
 * password map entry) and into SASL messages: a mailbox and nothing else.
 * "revocation_endpoint" is a URL forget sends the refresh token to. Both
 * are checked when a file is read and when one is written. */
int oa2_token_check_fields(struct json_object *obj, const char *origin, struct oa2_err *err)
{
	const char *v;
	size_t n;
	int rc = oa2_json_get_string(obj, "user", OA2_USER_MAX, &v, &n, origin, err);

	if (rc != OA2_OK)
		return rc;
	if (v != NULL && n > 0 && !oa2_chars_mailbox(v, n))
		return oa2_err_set(err, OA2_ERR_PARSE, "%s: field \"user\" is \"%s\", not a mailbox "
				   "(local@domain, without quotes, spaces or shell "
				   "metacharacters): refusing it", origin, v);
	rc = oa2_json_get_string(obj, "revocation_endpoint", URL_MAX, &v, &n, origin, err);
	if (rc == OA2_OK && v != NULL && n > 0 && !oa2_chars_visible(v, n))
		rc = oa2_err_set(err, OA2_ERR_PARSE, "%s: field \"revocation_endpoint\" contains "
				 "spaces or control characters", origin);
	return rc;
}

/* The grant kind and the paths of its credentials (format version 2). A
 * version 1 file, or one without "grant", is renewed with its refresh token. */
static int take_grant(struct json_object *obj, const char *origin, struct oa2_token *t,
		      struct oa2_err *err)
{
	static const struct {
		const char *key;
		size_t off;
	} paths[] = {
		{ "client_secret_file", offsetof(struct oa2_token, client_secret_file) },
		{ "certificate_file", offsetof(struct oa2_token, certificate_file) },
		{ "private_key_file", offsetof(struct oa2_token, private_key_file) },
		{ "service_account_file", offsetof(struct oa2_token, service_account_file) },
	};
	int rc = take_string(obj, "grant", 64, 1, origin, &t->grant, err);

	if (rc == OA2_OK && t->grant != NULL && !oa2_token_grant_known(t->grant))
		rc = oa2_err_set(err, OA2_ERR_PARSE, "%s: field \"grant\" is \"%s\", which this "
				 "sasl-oauth2 does not know (it knows %s)", origin, t->grant,
				 OA2_TOKEN_GRANTS);
	if (rc == OA2_OK)
		rc = take_string(obj, "assertion_alg", 16, 1, origin, &t->assertion_alg, err);
	if (rc == OA2_OK && t->assertion_alg != NULL && !oa2_jwt_alg_known(t->assertion_alg))
		rc = oa2_err_set(err, OA2_ERR_PARSE, "%s: field \"assertion_alg\" is \"%s\"; "
				 "RS256 and PS256 are supported", origin, t->assertion_alg);
	for (size_t i = 0; rc == OA2_OK && i < sizeof(paths) / sizeof(paths[0]); i++) {
		char **dst = (char **)((char *)t + paths[i].off);
		rc = take_string(obj, paths[i].key, PATH_MAX, 0, origin, dst, err);
		if (rc == OA2_OK && *dst != NULL && (*dst)[0] != '/')
			rc = oa2_err_set(err, OA2_ERR_PARSE, "%s: field \"%s\" must be an absolute "
					 "path", origin, paths[i].key);
	}
	return rc;
}

int oa2_token_from_json(struct json_object *obj, const char *origin,
			struct oa2_token *tok, struct oa2_err *err)
{
	struct oa2_token t = { 0 };
	struct json_object *m;
	int rc;

	t.refresh_window = -1;
	rc = take_string(obj, "access_token", OA2_ACCESS_TOKEN_MAX, 1, origin, &t.access_token, err);
	if (rc == OA2_OK && t.access_token == NULL &&
	    json_object_object_get_ex(obj, "private_key", NULL))
		rc = oa2_err_set(err, OA2_ERR_MISSING, "%s: not a token file but a key (it holds "
				 "\"private_key\"): keep credentials in the keys/ directory beside "
				 "the token files, never among them", origin);
	else if (rc == OA2_OK && t.access_token == NULL)
		rc = oa2_err_set(err, OA2_ERR_MISSING,
				 "%s: no \"access_token\" field; authorize the account again", origin);
	if (rc == OA2_OK)
		rc = oa2_token_check_fields(obj, origin, err);
	if (rc == OA2_OK)
		rc = take_string(obj, "user", OA2_USER_MAX, 0, origin, &t.user, err);
	if (rc == OA2_OK)
		rc = take_string(obj, "signed_in_as", OA2_USER_MAX, 0, origin, &t.signed_in_as, err);
	if (rc == OA2_OK)
		rc = take_string(obj, "refresh_token", OA2_ACCESS_TOKEN_MAX, 1, origin,
				 &t.refresh_token, err);
	if (rc == OA2_OK)
		rc = take_string(obj, "client_id", OA2_USER_MAX, 0, origin, &t.client_id, err);
	if (rc == OA2_OK)
		rc = take_string(obj, "client_secret", OA2_USER_MAX, 0, origin, &t.client_secret, err);
	if (rc == OA2_OK)
		rc = take_string(obj, "token_endpoint", URL_MAX, 1, origin, &t.token_endpoint, err);
	if (rc == OA2_OK)
		rc = take_string(obj, "scope", URL_MAX, 0, origin, &t.scope, err);
	if (rc == OA2_OK)
		rc = take_string(obj, "proxy", URL_MAX, 1, origin, &t.proxy, err);
	if (rc == OA2_OK)
		rc = take_string(obj, "ca_bundle_file", URL_MAX, 0, origin, &t.ca_bundle_file, err);
	if (rc == OA2_OK)
		rc = take_grant(obj, origin, &t, err);
	if (rc == OA2_OK)
		rc = oa2_json_get_time(obj, "expires_at", &t.expires_at, origin, err);
	if (rc == OA2_OK && t.expires_at == 0)
		rc = oa2_json_get_time(obj, "expiry", &t.expires_at, origin, err);
	if (rc == OA2_OK)
		rc = oa2_json_get_time(obj, "rejected_at", &t.rejected_at, origin, err);
	if (rc == OA2_OK && json_object_object_get_ex(obj, "refresh_window", &m)) {
		rc = oa2_json_get_time(obj, "refresh_window", &t.refresh_window, origin, err);
		if (rc == OA2_OK && t.refresh_window > 86400)
			rc = oa2_err_set(err, OA2_ERR_PARSE,
					 "%s: field \"refresh_window\" is more than a day", origin);
	}
	if (rc != OA2_OK) {
		oa2_token_clear(&t);
		return rc;
	}
	*tok = t;
	return OA2_OK;
}

int oa2_token_parse(const char *text, size_t len, const char *origin,
		    struct oa2_token *tok, struct oa2_err *err)
{
	struct json_object *obj = NULL;
	int rc;

	if (len > OA2_TOKEN_FILE_MAX)
		return oa2_err_set(err, OA2_ERR_TOOBIG,
				   "%s is %zu bytes, more than the limit of %d",
				   origin, len, OA2_TOKEN_FILE_MAX);
	rc = oa2_json_parse_object(text, len, origin, &obj, err);
	if (rc != OA2_OK)
		return rc;
	rc = oa2_token_from_json(obj, origin, tok, err);
	oa2_json_put_wiped(obj);
	return rc;
}

int oa2_token_check_mode(const char *path, const struct stat *st, struct oa2_err *err)
{
	if ((st->st_mode & 077) == 0)
		return OA2_OK;
	char word[2 * PATH_MAX + 8];

	/* the fix names the path as one shell word: it comes from a directory
	 * listing another user may have written */
	if (oa2_chars_shell_quote(path, word, sizeof(word)) != 0)
		snprintf(word, sizeof(word), "FILE");
	return oa2_err_set(err, OA2_ERR_UNSAFE,
			   "token file %s is %s by group or others (mode %04o), refusing "
			   "to use it; fix it with: chmod 600 %s", path,
			   (st->st_mode & 022) ? "writable" : "readable",
			   (unsigned)(st->st_mode & 07777), word);
}

static int dup_opt(char **dst, const char *src)
{
	if (src == NULL)
		return 0;
	*dst = oa2_secret_strndup(src, strlen(src));
	return *dst == NULL ? -1 : 0;
}

int oa2_token_copy(struct oa2_token *dst, const struct oa2_token *src)
{
	struct oa2_token t = *src;
	int bad = 0;

	t.access_token = t.user = t.signed_in_as = NULL;
	t.refresh_token = t.client_id = t.client_secret = NULL;
	t.token_endpoint = t.scope = t.proxy = t.ca_bundle_file = NULL;
	t.grant = t.client_secret_file = t.certificate_file = t.private_key_file = NULL;
	t.service_account_file = t.assertion_alg = NULL;
	bad |= dup_opt(&t.access_token, src->access_token);
	bad |= dup_opt(&t.user, src->user);
	bad |= dup_opt(&t.signed_in_as, src->signed_in_as);
	bad |= dup_opt(&t.refresh_token, src->refresh_token);
	bad |= dup_opt(&t.client_id, src->client_id);
	bad |= dup_opt(&t.client_secret, src->client_secret);
	bad |= dup_opt(&t.token_endpoint, src->token_endpoint);
	bad |= dup_opt(&t.scope, src->scope);
	bad |= dup_opt(&t.proxy, src->proxy);
	bad |= dup_opt(&t.ca_bundle_file, src->ca_bundle_file);
	bad |= dup_opt(&t.grant, src->grant);
	bad |= dup_opt(&t.client_secret_file, src->client_secret_file);
	bad |= dup_opt(&t.certificate_file, src->certificate_file);
	bad |= dup_opt(&t.private_key_file, src->private_key_file);
	bad |= dup_opt(&t.service_account_file, src->service_account_file);
	bad |= dup_opt(&t.assertion_alg, src->assertion_alg);
	if (bad) {
		oa2_token_clear(&t);
		return OA2_ERR_NOMEM;
	}
	*dst = t;
	return OA2_OK;
}

void oa2_token_clear(struct oa2_token *tok)
{
	oa2_secret_free_str(tok->access_token);
	oa2_secret_free_str(tok->user);
	oa2_secret_free_str(tok->signed_in_as);
	oa2_secret_free_str(tok->refresh_token);
	oa2_secret_free_str(tok->client_id);
	oa2_secret_free_str(tok->client_secret);
	oa2_secret_free_str(tok->token_endpoint);
	oa2_secret_free_str(tok->scope);
	oa2_secret_free_str(tok->proxy);
	oa2_secret_free_str(tok->ca_bundle_file);
	oa2_secret_free_str(tok->grant);
	oa2_secret_free_str(tok->client_secret_file);
	oa2_secret_free_str(tok->certificate_file);
	oa2_secret_free_str(tok->private_key_file);
	oa2_secret_free_str(tok->service_account_file);
	oa2_secret_free_str(tok->assertion_alg);
	memset(tok, 0, sizeof(*tok));
}
