#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "mailtest.h"
#include "sasl-oauth2/sasl_response.h"
#include "sasl-oauth2/token.h"

#define RESPONSE_MAX (OA2_ACCESS_TOKEN_MAX + 4 * OA2_USER_MAX + 1024)

int mail_sasl_response(const struct mail_login *l, struct oa2_buf *b64, struct oa2_err *err)
{
	struct oa2_buf raw;
	int failed;

	oa2_buf_init(&raw, RESPONSE_MAX);
	if (strcmp(l->mech, "OAUTHBEARER") == 0)
		oa2_oauthbearer_response(&raw, l->user, l->host, l->port, l->token);
	else
		oa2_xoauth2_response(&raw, l->user, l->token);
	if (!oa2_buf_failed(&raw))
		oa2_base64_append(b64, raw.data, raw.len);
	failed = oa2_buf_failed(&raw) || oa2_buf_failed(b64);
	oa2_buf_clear(&raw);
	if (failed)
		return oa2_err_set(err, OA2_ERR_TOOBIG, "the %s response would be too long",
				   l->mech);
	return OA2_OK;
}

void mail_sasl_shown(const struct mail_login *l, char *buf, size_t n)
{
	char head[8];

	snprintf(head, sizeof(head), "%.6s", l->token);
	snprintf(buf, n, "<redacted: %s for %s, token %s...>", l->mech, l->user, head);
	OPENSSL_cleanse(head, sizeof(head));
}

const char *mail_sasl_error(struct mailconn *c, const struct mail_login *l, const char *b64,
			    struct mail_result *r)
{
	unsigned char raw[OA2_SERVER_ERROR_MAX + 4];
	size_t n = strlen(b64), pad = 0;
	struct oa2_err err;
	char advice[768];
	int len;

	while (n > 0 && (b64[n - 1] == ' ' || b64[n - 1] == '\t'))
		n--;
	if (n > 0 && b64[n - 1] == '=')
		pad++;
	if (n > 1 && b64[n - 2] == '=')
		pad++;
	len = n == 0 ? 0 : (n % 4 != 0 || n / 4 * 3 > sizeof(raw)) ? -1
		: EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)n);
	if (len < 0) {
		mailconn_note(c, "the server's challenge is not base64 (or over %d bytes)",
			      OA2_SERVER_ERROR_MAX);
	} else {
		len -= (int)pad;
		oa2_printable((const char *)raw, (size_t)len, r->error_json, sizeof(r->error_json));
		mailconn_note(c, "server error challenge, decoded: %s", r->error_json);
		memset(&r->error, 0, sizeof(r->error));
		if (oa2_server_error_parse((const char *)raw, (size_t)len, &r->error, &err) == OA2_OK) {
			r->have_error = 1;
			oa2_server_error_advice(&r->error, advice, sizeof(advice));
			mailconn_note(c, "that means: %s", advice);
		} else {
			mailconn_note(c, "not the JSON error RFC 7628 describes: %s", err.msg);
		}
	}
	if (strcmp(l->mech, "OAUTHBEARER") == 0) {
		mailconn_note(c, "answering with a single 0x01, as RFC 7628 3.2.3 requires");
		return "AQ==";
	}
	mailconn_note(c, "answering with an empty response, as XOAUTH2 requires");
	return "";
}
