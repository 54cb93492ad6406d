/* The device flow (RFC 8628): a code the user enters on any device, and
 * polling the token endpoint until the sign-in is done. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sasl-oauth2/device.h"

#include "authorize.h"

#define NET_FAILURES_MAX 5 /* consecutive network failures before giving up */

static void sleep_s(long s)
{
	struct timespec ts = { s, 0 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int poll_once(const struct authorize *a, const struct oa2_device_auth *d,
		     struct oa2_token_response *res, struct oa2_err *err)
{
	struct oa2_buf form;

	oa2_buf_init(&form, 16 * 1024);
	oa2_form_add(&form, "grant_type", OA2_DEVICE_GRANT);
	oa2_form_add(&form, "device_code", d->device_code);
	return oa2_token_endpoint_post(a->prov->token_endpoint, &form, a->client_id, a->client_secret,
				       &a->http, a->acct->name, res, err);
}

static int wait_for_sign_in(const struct authorize *a, const struct oa2_device_auth *d,
			    struct oa2_token_response *res, struct oa2_err *err)
{
	long interval = d->interval > 0 ? d->interval : OA2_DEVICE_INTERVAL_DEFAULT;
	long limit = d->expires_in;
	time_t end;
	int rc, net_failures = 0;

	if (a->timeout_given && a->timeout < limit)
		limit = a->timeout;
	end = time(NULL) + limit;
	for (;;) {
		if (time(NULL) + interval > end)
			return oa2_err_set(err, OA2_ERR_TEMPORARY, "nobody signed in with the code %s "
					   "within %ld s (it %s); nothing was saved: run the "
					   "command again", d->user_code, limit,
					   limit < d->expires_in ? "was still valid, --timeout ran out"
								 : "expired");
		sleep_s(interval);
		rc = poll_once(a, d, res, err);
		if (rc == OA2_OK)
			return OA2_OK;
		if (rc == OA2_ERR_NET || rc == OA2_ERR_TEMPORARY) {
			/* RFC 8628 3.5: keep going through passing trouble. */
			if (++net_failures >= NET_FAILURES_MAX)
				return authorize_refusal(a, rc, res, "the device code", err);
			oa2_token_response_clear(res);
			continue;
		}
		net_failures = 0;
		if (rc != OA2_ERR_DENIED)
			return authorize_refusal(a, rc, res, "the device code", err);
		if (strcmp(res->error, "authorization_pending") == 0) {
			oa2_token_response_clear(res);
			continue;
		}
		if (strcmp(res->error, "slow_down") == 0) {
			/* RFC 8628 3.5: 5 s more for this and every later poll. */
			interval += 5;
			oa2_token_response_clear(res);
			continue;
		}
		if (strcmp(res->error, "access_denied") == 0)
			return oa2_err_set(err, OA2_ERR_DENIED, "the user or provider denied access "
					   "(access_denied: %s); nothing was saved",
					   res->description[0] ? res->description : "no description");
		/* Microsoft's word for it (its device-code documentation) */
		if (strcmp(res->error, "authorization_declined") == 0)
			return oa2_err_set(err, OA2_ERR_DENIED, "the user declined the sign-in "
					   "(authorization_declined: %s); nothing was saved: run the "
					   "command again and accept on the sign-in page",
					   res->description[0] ? res->description : "no description");
		if (strcmp(res->error, "expired_token") == 0)
			return oa2_err_set(err, OA2_ERR_TEMPORARY, "the code %s expired before the "
					   "sign-in was finished; nothing was saved: run the command "
					   "again", d->user_code);
		return authorize_refusal(a, rc, res, "the device code", err);
	}
}

int authorize_device(const struct authorize *a, struct oa2_token_response *res,
		     struct oa2_err *err)
{
	struct oa2_device_auth d;
	char left[32];
	const char *words;
	int rc;

	/* cmd_authorize.c refuses --flow device for a provider without one. */
	rc = oa2_device_authorize(a->prov->device_endpoint, a->client_id, a->client_secret,
				  a->prov->scope, &a->http, &d, err);
	if (rc == OA2_ERR_DENIED) {
		words = oa2_token_error_explain(d.error, d.description);
		if (words != NULL && strlen(err->msg) + strlen(words) + 3 < sizeof(err->msg)) {
			strcat(err->msg, ": ");
			strcat(err->msg, words);
		}
	}
	if (rc != OA2_OK) {
		oa2_device_auth_clear(&d);
		return rc;
	}
	cli_format_duration(d.expires_in, left, sizeof(left));
	authorize_note("To sign in, open this page in a browser on any device and enter the "
		       "code:");
	authorize_note("  Page: %s", d.verification_uri);
	authorize_note("  Code: %s", d.user_code);
	if (d.verification_uri_complete[0])
		authorize_note("  Or open %s (the code is filled in)", d.verification_uri_complete);
	authorize_note("Waiting for the sign-in (the code expires in %s) ...", left);
	rc = wait_for_sign_in(a, &d, res, err);
	oa2_device_auth_clear(&d);
	return rc;
}
