/*
 * The HTTP requests sasl-oauth2 makes: form POSTs to a token (or device
 * authorization) endpoint, and the GET of an OpenID discovery document.
 *
 * HTTPS only, certificate and host verification always on, no redirects,
 * bounded connect and total time, bounded response size. The CA bundle is
 * passed from memory (CURLOPT_CAINFO_BLOB) so it works inside a chroot.
 *
 * lib/ never picks how a request leaves the process: the caller hands it a
 * transport in oa2_http_opts. The plugin passes the libcurl it links
 * (oa2_http_linked, http_curl.h), because inside Postfix's chroot there is no
 * library left to load; the CLI passes one that loads libcurl on first use
 * (tools/curl_lazy.c), because most of its runs make no request; unit tests
 * pass a scripted one, so the renewing policy is tested without a server.
 */
#ifndef SASL_OAUTH2_HTTP_H
#define SASL_OAUTH2_HTTP_H

#include <stddef.h>

#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/error.h"

#define OA2_HTTP_RESPONSE_MAX (64 * 1024)
#define OA2_ENDPOINT_MAX 2048 /* bytes in an endpoint URL */

struct oa2_http_opts;
struct oa2_http_response;

/* Performs one request (a form POST, or a GET when form is NULL) with the
 * contract of oa2_http_request below, after that function has checked the
 * URL and emptied resp. ctx is the transport's own. */
struct oa2_http_transport {
	int (*request)(const struct oa2_http_transport *t, const char *what, const char *url,
		       const struct oa2_buf *form, const struct oa2_http_opts *o,
		       struct oa2_http_response *resp, struct oa2_err *err);
	const void *ctx;
};

struct oa2_http_opts {
	const struct oa2_http_transport *transport; /* required; not owned */
	long connect_timeout;    /* seconds */
	long timeout;            /* seconds, whole request */
	const char *proxy;       /* NULL: libcurl's environment rules */
	const void *ca_blob;     /* PEM bundle in memory, or NULL */
	size_t ca_blob_len;
	const char *ca_file;     /* used when ca_blob is NULL */
};

struct oa2_http_response {
	long status;             /* HTTP status */
	struct oa2_buf body;     /* owned; release with oa2_http_response_clear */
	char content_type[128];
};

/* Appends key=value to a form body, both percent-encoded, '&'-separated. */
void oa2_form_add(struct oa2_buf *form, const char *key, const char *value);

/* POSTs the form to url. OA2_OK means an HTTP answer arrived (whatever its
 * status); OA2_ERR_NET a connection, TLS or timeout failure; OA2_ERR_TOOBIG
 * a body over OA2_HTTP_RESPONSE_MAX; OA2_ERR_INVALID a URL that is not
 * https:// (or no transport in o). err names the URL and the failure. */
int oa2_http_post_form(const char *url, const struct oa2_buf *form,
		       const struct oa2_http_opts *o, struct oa2_http_response *resp,
		       struct oa2_err *err);

/* The same for any endpoint: a form POST, or a GET when form is NULL (OpenID
 * discovery). `what` names the endpoint in err ("device endpoint"). */
int oa2_http_request(const char *what, const char *url, const struct oa2_buf *form,
		     const struct oa2_http_opts *o, struct oa2_http_response *resp,
		     struct oa2_err *err);

void oa2_http_response_clear(struct oa2_http_response *resp);

#endif
