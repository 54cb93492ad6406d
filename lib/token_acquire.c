/* The one token policy (token_acquire.h). */
#include <string.h>
#include <time.h>

#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/token_acquire.h"
#include "sasl-oauth2/token_cache.h"
#include "sasl-oauth2/token_store.h"

static int first_read(const char *path, const struct oa2_acquire_req *req,
		      struct oa2_token *tok, struct oa2_err *err)
{
	struct json_object *obj = NULL;
	int rc;

	if (req->cache != NULL)
		return oa2_token_cache_get(req->cache, path, tok, err);
	rc = oa2_store_read(path, &obj, tok, NULL, err);
	if (rc == OA2_OK && req->obj != NULL)
		*req->obj = obj;
	else
		oa2_json_put_wiped(obj);
	return rc;
}

/* Not renewed for info->stop, why: the current token if a server would
 * still take it, else the error. A planted file or lock is never
 * overlooked. */
static int keep_current(struct oa2_token *out, struct oa2_acquire_info *info,
			const struct oa2_err *why, struct oa2_err *err)
{
	if (why->rc != OA2_ERR_UNSAFE && oa2_store_still_valid(out, info->now)) {
		info->outcome = OA2_ACQUIRE_KEPT;
		info->why = *why;
		return OA2_OK;
	}
	oa2_token_clear(out);
	if (err != NULL)
		*err = *why;
	return why->rc;
}

/* Renews under the lock; *out is the token first read, replaced when the
 * store hands out another. */
static int renew(const char *path, const struct oa2_config *cfg,
		 const struct oa2_acquire_req *req, struct oa2_token *out,
		 struct oa2_acquire_info *info, struct oa2_err *err)
{
	long margin = req->min_valid >= 0 ? req->min_valid : OA2_MARGIN_DEFAULT;
	struct oa2_token fresh;
	struct oa2_err why, notice;
	int rc, renewed;

	rc = oa2_store_refresh(path, req->account, cfg, margin, &fresh, &why, &notice, &renewed);
	if (rc != OA2_OK) {
		/* The store could not even use the file (it changed, or the
		 * lock failed): the token read at first may still do. */
		info->stop = OA2_ACQUIRE_FAILED;
		info->now = (long long)time(NULL);
		return keep_current(out, info, &why, err);
	}
	oa2_token_clear(out);
	*out = fresh;
	info->now = (long long)time(NULL);
	if (notice.msg[0] == '\0') {
		info->outcome = OA2_ACQUIRE_RENEWED;
		return OA2_OK;
	}
	info->outcome = renewed ? OA2_ACQUIRE_UNSAVED : OA2_ACQUIRE_KEPT;
	info->stop = renewed ? OA2_ACQUIRE_NO_STOP : OA2_ACQUIRE_FAILED;
	info->why = notice;
	return OA2_OK;
}

int oa2_token_acquire(const char *path, const struct oa2_config *cfg,
		      const struct oa2_acquire_req *req, struct oa2_token *out,
		      struct oa2_acquire_info *info, struct oa2_err *err)
{
	struct oa2_err why;
	long margin;
	int rc;

	memset(info, 0, sizeof(*info));
	memset(out, 0, sizeof(*out));
	if (req->obj != NULL)
		*req->obj = NULL;
	info->outcome = OA2_ACQUIRE_CURRENT;
	rc = first_read(path, req, out, err);
	if (rc != OA2_OK) {
		info->stop = OA2_ACQUIRE_READ;
		return rc;
	}
	info->now = (long long)time(NULL);
	info->expires_at = out->expires_at;
	info->rejected_at = out->rejected_at;
	info->missing = oa2_grant_kind_of(out)->missing(out, cfg);
	info->renewable = info->missing == NULL;
	margin = req->min_valid >= 0 ? req->min_valid : oa2_store_margin(out, cfg);
	if (!oa2_store_needs_refresh(out, margin, info->now))
		return OA2_OK;

	/* The configuration first: what a file lacks may be what a broken
	 * configuration failed to give (its client_id). */
	if (req->cfg_err != NULL) {
		info->stop = OA2_ACQUIRE_NO_CONFIG;
		return keep_current(out, info, req->cfg_err, err);
	}
	/* Nothing could renew it: no lock taken, nothing written. */
	if (!info->renewable) {
		info->stop = OA2_ACQUIRE_NO_GRANT;
		oa2_grant_check(path, req->account, cfg, out, &why);
		return keep_current(out, info, &why, err);
	}
	return renew(path, cfg, req, out, info, err);
}
