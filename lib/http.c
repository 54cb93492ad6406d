#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

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

struct sink {
	struct oa2_buf *body;
	int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (oa2_buf_put(s->body, ptr, n) != 0) {
		s->too_big = 1;
		return 0; /* makes libcurl abort the transfer */
	}
	return n;
}

/* The proxy URL without user name and password, for messages. */
static void proxy_shown(const char *proxy, char *buf, size_t n)
{
	const char *scheme = strstr(proxy, "://"), *host = scheme ? scheme + 3 : proxy;
	const char *at = strchr(host, '@'), *slash = strchr(host, '/');

	if (at != NULL && (slash == NULL || at < slash))
		snprintf(buf, n, "%.*s%s", scheme ? (int)(host - proxy) : 0, proxy, at + 1);
	else
		snprintf(buf, n, "%s", proxy);
}

/* One message per failure: libcurl's detail when it has one (it already
 * says what curl_easy_strerror would, in more words), and the proxy named
 * when it was the proxy that failed: with a proxy, curl connects only to
 * the proxy, which then reports on the tunnel to the server. */
static int net_error(CURL *c, CURLcode cc, const char *errbuf, const char *what,
		     const char *url, const struct oa2_http_opts *o, struct oa2_err *err)
{
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(cc);
	long connect_code = 0;
	char proxy[512];

	if (o->proxy == NULL || o->proxy[0] == '\0')
		return oa2_err_set(err, OA2_ERR_NET, "%s %s: %s", what, url, detail);
	curl_easy_getinfo(c, CURLINFO_HTTP_CONNECTCODE, &connect_code);
	proxy_shown(o->proxy, proxy, sizeof(proxy));
	if (cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_COULDNT_CONNECT ||
	    cc == CURLE_PROXY ||
	    (connect_code != 0 && connect_code != 200))
		return oa2_err_set(err, OA2_ERR_NET, "%s %s: the proxy %s failed: %s (check "
				   "the proxy setting of the configuration or token file)", what, url, proxy, detail);
	return oa2_err_set(err, OA2_ERR_NET, "%s %s (through the proxy %s): %s", what, url,
			   proxy, detail);
}

int oa2_http_request(const char *what, const char *url, const struct oa2_buf *form,
		     const struct oa2_http_opts *o, struct oa2_http_response *resp,
		     struct oa2_err *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct curl_blob blob;
	struct sink sink;
	CURLcode cc;
	CURL *c;
	char *ct = NULL;
	int rc = OA2_OK;

	memset(resp, 0, sizeof(*resp));
	oa2_buf_init(&resp->body, OA2_HTTP_RESPONSE_MAX);
	if (strncasecmp(url, "https://", 8) != 0)
		return oa2_err_set(err, OA2_ERR_INVALID,
				   "%s %s is not an https:// URL; refusing to send %s over it",
				   what, url, form != NULL ? "a token or code" : "a request");
	c = curl_easy_init();
	if (c == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "%s %s: cannot start libcurl", what, url);
	sink.body = &resp->body;
	sink.too_big = 0;
	headers = curl_slist_append(headers, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* we run inside other programs */
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)OA2_HTTP_RESPONSE_MAX);
	if (form != NULL) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, form->data ? form->data : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form->len);
	} else {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "sasl-oauth2/" PACKAGE_VERSION);
	if (o->proxy != NULL)
		curl_easy_setopt(c, CURLOPT_PROXY, o->proxy);
	if (o->ca_blob != NULL) {
		blob.data = (void *)o->ca_blob;
		blob.len = o->ca_blob_len;
		blob.flags = CURL_BLOB_NOCOPY;
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	} else if (o->ca_file != NULL) {
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	}

	cc = curl_easy_perform(c);
	if (sink.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = oa2_err_set(err, OA2_ERR_TOOBIG,
				 "%s %s: the answer is larger than %d bytes", what, url,
				 OA2_HTTP_RESPONSE_MAX);
	} else if (cc != CURLE_OK) {
		rc = net_error(c, cc, errbuf, what, url, o, err);
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
			snprintf(resp->content_type, sizeof(resp->content_type), "%s", ct);
		if (resp->body.failed)
			rc = oa2_err_set(err, OA2_ERR_NOMEM, "%s %s: out of memory", what, url);
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	if (rc != OA2_OK)
		oa2_http_response_clear(resp);
	return rc;
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
