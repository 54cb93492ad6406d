/*
 * The libcurl transport for http.h: the few libcurl functions a request
 * needs, as a table, so that the same request code serves the plugin (the
 * functions it links, oa2_http_linked) and the CLI (the same functions
 * found with dlsym on first use, tools/curl_lazy.c).
 */
#ifndef SASL_OAUTH2_HTTP_CURL_H
#define SASL_OAUTH2_HTTP_CURL_H

#include <curl/curl.h>

#include "sasl-oauth2/http.h"

struct oa2_curl_fns {
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
};

/* The request function of a libcurl transport: t->ctx is the
 * struct oa2_curl_fns to call. */
int oa2_http_curl_request(const struct oa2_http_transport *t, const char *what, const char *url,
			  const struct oa2_buf *form, const struct oa2_http_opts *o,
			  struct oa2_http_response *resp, struct oa2_err *err);

/* libcurl as linked into the program (lib/http_curl_linked.c). Referring to
 * it makes the program depend on libcurl at load time: the plugin does, the
 * CLI does not. */
extern const struct oa2_http_transport oa2_http_linked;

#endif
