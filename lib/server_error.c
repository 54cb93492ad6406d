#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/json.h"
#include "sasl-oauth2/server_error.h"

void oa2_printable(const char *data, size_t len, char *buf, size_t n)
{
	size_t i, o = 0;

	if (n == 0)
		return;
	for (i = 0; i < len && o + 1 < n; i++) {
		unsigned char ch = (unsigned char)data[i];
		buf[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	buf[o] = '\0';
	if (i < len && n > 4)
		memcpy(buf + (o > n - 4 ? n - 4 : o), "...", 4);
}

void oa2_json_printable_field(struct json_object *obj, const char *key, char *dst, size_t n)
{
	struct json_object *m;
	const char *v;
	size_t len;

	dst[0] = '\0';
	if (!json_object_object_get_ex(obj, key, &m) || !json_object_is_type(m, json_type_string))
		return;
	v = json_object_get_string(m);
	len = (size_t)json_object_get_string_len(m);
	for (size_t i = 0; i < len; i++)
		if (v[i] == '\r' || v[i] == '\n') {
			len = i;
			break;
		}
	oa2_printable(v, len, dst, n);
}

int oa2_server_error_parse(const char *data, size_t len,
			   struct oa2_server_error *out, struct oa2_err *err)
{
	struct json_object *obj;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > OA2_SERVER_ERROR_MAX)
		return oa2_err_set(err, OA2_ERR_TOOBIG,
				   "server error challenge is %zu bytes, more than %d", len,
				   OA2_SERVER_ERROR_MAX);
	rc = oa2_json_parse_object(data, len, "server error challenge", &obj, err);
	if (rc != OA2_OK)
		return rc;
	oa2_json_printable_field(obj, "status", out->status, sizeof(out->status));
	oa2_json_printable_field(obj, "scope", out->scope, sizeof(out->scope));
	oa2_json_printable_field(obj, "schemes", out->schemes, sizeof(out->schemes));
	oa2_json_printable_field(obj, "openid-configuration", out->openid_configuration,
				 sizeof(out->openid_configuration));
	json_object_put(obj);
	return OA2_OK;
}

void oa2_server_error_advice(const struct oa2_server_error *e, char *buf, size_t n)
{
	const char *what;

	/* RFC 7628 uses RFC 6750 error codes; Gmail and Dovecot's XOAUTH2 send
	 * HTTP status numbers instead. */
	if (strcmp(e->status, "invalid_token") == 0 || strcmp(e->status, "401") == 0)
		what = "the token is expired, revoked or not valid for this server; "
		       "refresh the token or authorize the account again";
	else if (strcmp(e->status, "insufficient_scope") == 0 || strcmp(e->status, "403") == 0)
		what = "the token lacks the scope this server needs; authorize the "
		       "account again with the scope the server names";
	else if (strcmp(e->status, "400") == 0)
		/* Gmail's answer to an expired or revoked token, to a user name
		 * that is not the token's account (seen on IMAP and SMTP), and to
		 * a token without https://mail.google.com/ (one for gmail.send
		 * only: Gmail's IMAP and SMTP take no narrower scope, Google's
		 * "Gmail API scopes" page) */
		what = "most likely the token expired or was revoked, the user name "
		       "is not the account the token was issued for, or the token lacks "
		       "the scope https://mail.google.com/ (e.g. it has only gmail.send); "
		       "check that the user name is the token file's user and its scope, "
		       "then refresh the token or authorize the account again";
	else if (strcmp(e->status, "invalid_request") == 0)
		what = "the server found the request malformed; check that the user "
		       "name matches the account the token was issued for";
	else
		what = "check that the user name matches the token's account and that "
		       "the token is current";
	snprintf(buf, n, "status %s%s%s%s%s: %s",
		 e->status[0] ? e->status : "(none)",
		 e->scope[0] ? ", scope " : "", e->scope,
		 e->openid_configuration[0] ? ", openid-configuration " : "",
		 e->openid_configuration, what);
}
