/* libcurl linked into the program: what the plugin uses, since it may
 * renew a token after Postfix's smtp has chrooted, where nothing can be
 * loaded any more. Kept apart from http_curl.c so that only a program that
 * names oa2_http_linked pulls libcurl in. */
#include "sasl-oauth2/http_curl.h"

static const struct oa2_curl_fns linked = {
	.easy_init = curl_easy_init,
	.easy_setopt = curl_easy_setopt,
	.easy_perform = curl_easy_perform,
	.easy_getinfo = curl_easy_getinfo,
	.easy_cleanup = curl_easy_cleanup,
	.easy_strerror = curl_easy_strerror,
	.slist_append = curl_slist_append,
	.slist_free_all = curl_slist_free_all,
};

const struct oa2_http_transport oa2_http_linked = { oa2_http_curl_request, &linked };
