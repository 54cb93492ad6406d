#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sasl-oauth2/http.h"

void oa2_form_add(struct oa2_buf *form, const char *key, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *parts[2] = { key, value };

	if (form->len > 0)
		oa2_buf_putc(form, '&');
	for (int i = 0; i < 2; i++) {
		if (i == 1)
			oa2_buf_putc(form, '=');
		for (const unsigned char *p = (const unsigned char *)parts[i]; *p; p++) {
			if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
			    *p == '~') {
				oa2_buf_putc(form, (char)*p);
			} else {
				char enc[3] = { '%', hex[*p >> 4], hex[*p & 15] };
				oa2_buf_put(form, enc, 3);
			}
		}
	}
}

int oa2_http_request(const char *what, const char *url, const struct oa2_buf *form,
		     const struct oa2_http_opts *o, struct oa2_http_response *resp,
		     struct oa2_err *err)
{
	memset(resp, 0, sizeof(*resp));
	oa2_buf_init(&resp->body, OA2_HTTP_RESPONSE_MAX);
	if (strncasecmp(url, "https://", 8) != 0)
		return oa2_err_set(err, OA2_ERR_INVALID,
				   "%s %s is not an https:// URL; refusing to send %s over it",
				   what, url, form != NULL ? "a token or code" : "a request");
	if (o->transport == NULL)
		return oa2_err_set(err, OA2_ERR_INVALID, "%s %s: no HTTP transport was given "
				   "(a bug in the calling program)", what, url);
	return o->transport->request(o->transport, what, url, form, o, resp, err);
}

int oa2_http_post_form(const char *url, const struct oa2_buf *form,
		       const struct oa2_http_opts *o, struct oa2_http_response *resp,
		       struct oa2_err *err)
{
	return oa2_http_request("token endpoint", url, form, o, resp, err);
}

void oa2_http_response_clear(struct oa2_http_response *resp)
{
	oa2_buf_clear(&resp->body);
}
