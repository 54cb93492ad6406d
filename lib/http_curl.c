/* Requests made with libcurl, through a table of its functions (http_curl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include <openssl/ssl.h>

#include "sasl-oauth2/http_curl.h"

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
static int net_error(const struct oa2_curl_fns *f, CURL *c, CURLcode cc, const char *errbuf,
		     const char *what, const char *url, const struct oa2_http_opts *o, struct oa2_err *err)
{
	const char *detail = errbuf[0] ? errbuf : f->easy_strerror(cc);
	long connect_code = 0;
	char proxy[512];

	if (o->proxy == NULL || o->proxy[0] == '\0')
		return oa2_err_set(err, OA2_ERR_NET, "%s %s: %s", what, url, detail);
	f->easy_getinfo(c, CURLINFO_HTTP_CONNECTCODE, &connect_code);
	proxy_shown(o->proxy, proxy, sizeof(proxy));
	if (cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_COULDNT_CONNECT ||
	    cc == CURLE_PROXY ||
	    (connect_code != 0 && connect_code != 200))
		return oa2_err_set(err, OA2_ERR_NET, "%s %s: the proxy %s failed: %s (check "
				   "the proxy setting of the configuration or token file)", what, url, proxy, detail);
	return oa2_err_set(err, OA2_ERR_NET, "%s %s (through the proxy %s): %s", what, url,
			   proxy, detail);
}

/* libcurl reads the caller's environment with plain getenv: in a set-id
 * program (a libsasl2 client may be one) the caller would choose the proxy
 * that sees the token request, and SSLKEYLOGFILE would have the TLS keys
 * written for it. Only the configured proxy (the config file is read with
 * secure_getenv) is used: "" is no proxy, whatever https_proxy says, and
 * no_proxy is not read. The key log file is kept from libcurl's own init
 * (plugin/plugin.c); should another part of the program have started
 * libcurl before, the keys of TLS 1.3 go through the callback cleared
 * here, and TLS 1.2 (whose keys libcurl writes itself) is not offered. */
static CURLcode no_keylog(CURL *c, void *ssl_ctx, void *arg)
{
	(void)c;
	(void)arg;
	SSL_CTX_set_keylog_callback(ssl_ctx, NULL);
	return CURLE_OK;
}

static void set_id_options(const struct oa2_curl_fns *f, CURL *c, const struct oa2_http_opts *o)
{
	f->easy_setopt(c, CURLOPT_PROXY, o->proxy != NULL ? o->proxy : "");
	f->easy_setopt(c, CURLOPT_NOPROXY, "");
	if (getenv("SSLKEYLOGFILE") != NULL) {
		f->easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, no_keylog);
		f->easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_3);
	}
}

int oa2_http_curl_request(const struct oa2_http_transport *t, const char *what, const char *url,
			  const struct oa2_buf *form, const struct oa2_http_opts *o,
			  struct oa2_http_response *resp, struct oa2_err *err)
{
	const struct oa2_curl_fns *f = t->ctx;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = NULL;
	struct curl_blob blob;
	struct sink sink;
	CURLcode cc;
	CURL *c;
	char *ct = NULL;
	int rc = OA2_OK;

	c = f->easy_init();
	if (c == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "%s %s: cannot start libcurl", what, url);
	sink.body = &resp->body;
	sink.too_big = 0;
	headers = f->slist_append(headers, "Accept: application/json");
	f->easy_setopt(c, CURLOPT_URL, url);
	f->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	f->easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	f->easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	f->easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	f->easy_setopt(c, CURLOPT_NOSIGNAL, 1L); /* we run inside other programs */
	f->easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	f->easy_setopt(c, CURLOPT_TIMEOUT, o->timeout);
	f->easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)OA2_HTTP_RESPONSE_MAX);
	if (form != NULL) {
		f->easy_setopt(c, CURLOPT_POST, 1L);
		f->easy_setopt(c, CURLOPT_POSTFIELDS, form->data ? form->data : "");
		f->easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)form->len);
	} else {
		f->easy_setopt(c, CURLOPT_HTTPGET, 1L);
	}
	f->easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	f->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	f->easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	f->easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	f->easy_setopt(c, CURLOPT_USERAGENT, "sasl-oauth2/" PACKAGE_VERSION);
	if (o->proxy != NULL)
		f->easy_setopt(c, CURLOPT_PROXY, o->proxy);
	if (getauxval(AT_SECURE))
		set_id_options(f, c, o);
	if (o->ca_blob != NULL) {
		blob.data = (void *)o->ca_blob;
		blob.len = o->ca_blob_len;
		blob.flags = CURL_BLOB_NOCOPY;
		f->easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	} else if (o->ca_file != NULL) {
		f->easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	}

	cc = f->easy_perform(c);
	if (sink.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
		rc = oa2_err_set(err, OA2_ERR_TOOBIG,
				 "%s %s: the answer is larger than %d bytes", what, url,
				 OA2_HTTP_RESPONSE_MAX);
	} else if (cc != CURLE_OK) {
		rc = net_error(f, c, cc, errbuf, what, url, o, err);
	} else {
		f->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
		if (f->easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct != NULL)
			snprintf(resp->content_type, sizeof(resp->content_type), "%s", ct);
		if (resp->body.failed)
			rc = oa2_err_set(err, OA2_ERR_NOMEM, "%s %s: out of memory", what, url);
	}
	f->slist_free_all(headers);
	f->easy_cleanup(c);
	if (rc != OA2_OK)
		oa2_http_response_clear(resp);
	return rc;
}

