#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/device.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/server_error.h"

/* Copies a printable string member into dst; *found says whether it was
 * there. OA2_ERR_PARSE when it is not a string, too long or not printable. */
static int get(struct json_object *obj, const char *key, char *dst, size_t n, int *found,
	       const char *endpoint, struct oa2_err *err)
{
	const char *v;
	size_t len;

	*found = 0;
	dst[0] = '\0';
	if (oa2_json_get_string(obj, key, n - 1, &v, &len, "device endpoint answer", err) != OA2_OK ||
	    (v != NULL && !oa2_chars_printable(v, len)))
		return oa2_err_set(err, OA2_ERR_PARSE, "device endpoint %s: \"%s\" is not a "
				   "printable string of at most %zu bytes", endpoint, key, n - 1);
	if (v == NULL || len == 0)
		return OA2_OK;
	memcpy(dst, v, len);
	dst[len] = '\0';
	*found = 1;
	return OA2_OK;
}

static int get_seconds(struct json_object *obj, const char *key, long dflt, long max,
		       long *out, const char *endpoint, struct oa2_err *err)
{
	long long v;

	if (oa2_json_get_time(obj, key, &v, "device endpoint answer", NULL) != OA2_OK ||
	    v < 0 || v > max)
		return oa2_err_set(err, OA2_ERR_PARSE, "device endpoint %s: \"%s\" is not a number "
				   "of seconds up to %ld", endpoint, key, max);
	*out = v > 0 ? (long)v : dflt;
	return OA2_OK;
}

static int get_device_code(struct json_object *obj, char **code, const char *endpoint,
			   struct oa2_err *err)
{
	const char *v;
	size_t n;

	*code = NULL;
	if (oa2_json_get_string(obj, "device_code", 4096, &v, &n, "", NULL) != OA2_OK ||
	    v == NULL || n == 0 || !oa2_chars_printable(v, n))
		return oa2_err_set(err, OA2_ERR_PARSE, "device endpoint %s: the answer has no "
				   "usable \"device_code\"", endpoint);
	*code = oa2_secret_strndup(v, n);
	return *code != NULL ? OA2_OK : oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
}

static int parse_answer(const char *body, size_t len, const char *endpoint,
			struct oa2_device_auth *d, struct oa2_err *err)
{
	struct json_object *obj;
	char *code;
	int rc, found, have_uri;

	rc = oa2_json_parse_object(body, len, "device endpoint answer", &obj, err);
	if (rc != OA2_OK)
		return oa2_err_set(err, OA2_ERR_PARSE, "device endpoint %s answered 200 but not "
				   "with a JSON object", endpoint);
	rc = get_device_code(obj, &code, endpoint, err);
	if (rc == OA2_OK)
		rc = get(obj, "user_code", d->user_code, sizeof(d->user_code), &found, endpoint, err);
	if (rc == OA2_OK && !found)
		rc = oa2_err_set(err, OA2_ERR_PARSE, "device endpoint %s: the answer has no "
				 "\"user_code\"", endpoint);
	if (rc == OA2_OK)
		rc = get(obj, "verification_uri", d->verification_uri,
			 sizeof(d->verification_uri), &have_uri, endpoint, err);
	if (rc == OA2_OK && !have_uri) /* Google's older name */
		rc = get(obj, "verification_url", d->verification_uri,
			 sizeof(d->verification_uri), &have_uri, endpoint, err);
	if (rc == OA2_OK && !have_uri)
		rc = oa2_err_set(err, OA2_ERR_PARSE, "device endpoint %s: the answer has no "
				 "\"verification_uri\"", endpoint);
	if (rc == OA2_OK)
		rc = get(obj, "verification_uri_complete", d->verification_uri_complete,
			 sizeof(d->verification_uri_complete), &found, endpoint, err);
	if (rc == OA2_OK)
		rc = get_seconds(obj, "expires_in", OA2_DEVICE_EXPIRES_DEFAULT, 86400,
				 &d->expires_in, endpoint, err);
	if (rc == OA2_OK)
		rc = get_seconds(obj, "interval", OA2_DEVICE_INTERVAL_DEFAULT, 3600,
				 &d->interval, endpoint, err);
	oa2_json_put_wiped(obj);
	if (rc != OA2_OK) {
		oa2_secret_free_str(code);
		return rc;
	}
	d->device_code = code;
	return OA2_OK;
}

/* An error answer: {"error": ..., "error_description": ...}. */
static void parse_error(const char *body, size_t len, struct oa2_device_auth *d)
{
	struct json_object *obj;
	const char *v;
	size_t n;

	if (len == 0 || oa2_json_parse_object(body, len, "device endpoint answer", &obj, NULL) != OA2_OK)
		return;
	if (oa2_json_get_string(obj, "error", 1024, &v, &n, "", NULL) == OA2_OK && v != NULL)
		oa2_printable(v, n, d->error, sizeof(d->error));
	if (oa2_json_get_string(obj, "error_description", 8192, &v, &n, "", NULL) == OA2_OK &&
	    v != NULL) {
		/* Microsoft's trace lines only push the reason out of view. */
		const char *cut = memchr(v, '\r', n) ? memchr(v, '\r', n) : memchr(v, '\n', n);
		oa2_printable(v, cut ? (size_t)(cut - v) : n, d->description, sizeof(d->description));
	}
	oa2_json_put_wiped(obj);
}

int oa2_device_authorize(const char *endpoint, const char *client_id, const char *client_secret,
			 const char *scope, const struct oa2_http_opts *o,
			 struct oa2_device_auth *d, struct oa2_err *err)
{
	struct oa2_http_response resp;
	struct oa2_buf form;
	const char *body;
	char shown[96];
	int rc;

	memset(d, 0, sizeof(*d));
	oa2_buf_init(&form, 16 * 1024);
	oa2_form_add(&form, "client_id", client_id);
	if (scope != NULL)
		oa2_form_add(&form, "scope", scope);
	if (client_secret != NULL)
		oa2_form_add(&form, "client_secret", client_secret);
	if (oa2_buf_failed(&form)) {
		oa2_buf_clear(&form);
		return oa2_err_set(err, OA2_ERR_NOMEM, "cannot build the device request");
	}
	rc = oa2_http_request("device endpoint", endpoint, &form, o, &resp, err);
	oa2_buf_clear(&form);
	if (rc == OA2_ERR_TOOBIG)
		return OA2_ERR_TEMPORARY;
	if (rc != OA2_OK)
		return rc;
	body = resp.body.data ? resp.body.data : "";
	d->status = resp.status;
	if (resp.status == 200) {
		rc = parse_answer(body, resp.body.len, endpoint, d, err);
	} else {
		parse_error(body, resp.body.len, d);
		if (resp.status == 408 || resp.status == 429 || resp.status >= 500) {
			rc = oa2_err_set(err, OA2_ERR_TEMPORARY, "device endpoint %s answered HTTP "
					 "%ld%s%s (temporary; try again later)", endpoint,
					 resp.status, d->error[0] ? ": " : "", d->error);
		} else if (d->error[0]) {
			rc = oa2_err_set(err, OA2_ERR_DENIED, "device endpoint %s refused (HTTP %ld, "
					 "%s: %s)", endpoint, resp.status, d->error,
					 d->description[0] ? d->description : "no description");
		} else {
			oa2_printable(body, resp.body.len, shown, sizeof(shown));
			rc = oa2_err_set(err, OA2_ERR_PARSE, "device endpoint %s answered HTTP %ld "
					 "without an OAuth error (\"%s\"); check the endpoint",
					 endpoint, resp.status, shown);
		}
	}
	oa2_http_response_clear(&resp);
	return rc;
}

void oa2_device_auth_clear(struct oa2_device_auth *d)
{
	oa2_secret_free_str(d->device_code);
	memset(d, 0, sizeof(*d));
}
